"""Bench: saving one field of a draft and submitting a 60-question response, on a full store.

Run from the project root::

    .venv/bin/python -m bench.surveys

stdout holds only the figures, one per line, as ``name: value unit``; notes and progress go to
stderr. The goal (issue): on a store of 20 000 structures and 50 000 responses, p95 under 50 ms to
save one field change and under 100 ms to submit a 60-question response.

The store is built deterministically (seeded) in a temporary directory:

* 20 000 structures: the synthetic CSV of ``bench.import_export`` through ``import_file``;
* a 60-question questionnaire written here (every answer type, registry questions, conditions
  and constraints), published, and three campaigns (three waves of four weeks each);
* 50 000 responses over twelve weeks by twelve surveyors (48 000 first submissions, 2 000
  corrections superseding one of them), each with its submitted draft and that draft's
  ``draft_values`` — the app never deletes the values of a submitted draft, so a store that
  received 50 000 responses holds them too (about 2.5 million rows) — and its audit row;
* 3 000 open drafts answered part-way, and the complete drafts (60 answers) the timings use.

The answers are generated twice over: as the survey page saves them (text as typed, bool, ISO
date, codes) into ``draft_values``, and in the stored form ``submit_draft`` writes into
``responses``; a sample of them goes through ``check_answers`` and must come back identical and
without an error. Everything is inserted in bulk (Arrow tables, ``INSERT … SELECT``), then the
file is checkpointed.

The timings are the app's own code paths on a short-lived connection each (``store.atomic()``,
as the survey page does): ``save_answer`` of a new value on a random draft and question, and
``submit_draft`` of a complete draft (half of them change a registry answer, so they write a new
version of the structure). Beside them, in the same run: the naive save that rewrites the whole
draft (delete its 60 rows, insert them again), and ``save_answer`` on one connection held open,
which shows what the short-lived connection costs. When a goal is missed, the profile of a few more
operations of that kind goes to stderr: a cProfile, then the wall time of each DuckDB call (opening
the file, each statement, the commit, the checkpoint DuckDB runs when the last connection closes,
the rest of the close), DuckDB's C calls being invisible to cProfile.
"""

from __future__ import annotations

import cProfile
import io
import json
import pstats
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.import_export import check, figure, note, synthetic_rows, timed, write_inputs

STRUCTURES = 20_000
RESPONSES_BY_CAMPAIGN = (18_000, 17_000, 13_000)  # first submissions of each wave
CORRECTIONS = 2_000  # revisions 2, superseding one of the above
RESPONSES = sum(RESPONSES_BY_CAMPAIGN) + CORRECTIONS
OPEN_DRAFTS = 3_000
QUESTIONS = 60
OPERATIONS = 200  # timed operations of each kind
WARMUP = 5  # untimed operations before each kind (the app is a long-lived process)
PROFILED = 30  # operations of a kind profiled when its goal is missed
GOAL_SAVE_MS = 50.0
GOAL_SUBMIT_MS = 100.0
SEED = 20_261_123
SKIP_SHARE = 0.12  # share of optional questions left unanswered in a response
INSERT_CHUNK = 10_000  # responses per bulk insert
SAMPLE_CHECKED = 500  # generated responses re-checked through check_answers

# Twelve weeks of fieldwork ending on a fixed day (deterministic data; dates stay in the past).
FIELDWORK_END = datetime(2026, 3, 27, 18, 0, tzinfo=UTC)
FIELDWORK_WEEKS = 12
BY = "bench"

_FIRST = ("Nadia", "Julien", "Sophie", "Karim", "Elodie", "Thomas", "Aicha", "Marc", "Lea", "Remi", "Ines", "Hugo",
          "Camille", "Yanis", "Manon", "Olivier")
_LAST = ("Martin", "Bernard", "Dubois", "Moreau", "Laurent", "Girard", "Lefevre", "Mercier", "Rousseau", "Vincent",
         "Wamytan", "Poindi")
SURVEYORS = tuple(f"{first.lower()}.{last.lower()}" for first, last in zip(_FIRST[:12], _LAST, strict=True))
_FUNCTIONS = ("Directrice", "Responsable de l'accueil", "Conseiller numérique", "Médiatrice", "Coordinateur",
              "Bénévole", "Secrétaire de mairie", "Agent France Services")
_DOMAINS = ("mairie-exemple.fr", "mediatheque.fr", "ccas-sud.fr", "asso-numerique.org", "gmail.com", "orange.fr")
_SITES = ("www.mediatheque-{n}.fr/agenda", "mairie-{n}.fr/ateliers-numeriques", "https://www.asso-{n}.org/agenda",
          "http://ccas-{n}.fr/numerique", "www.france-services-{n}.fr")
_HORAIRES = ("Mo-Fr 09:00-12:00,14:00-17:00", "Tu,Th 14:00-17:00", "We 09:00-12:00; Sa 10:00-12:00",
             "Mo-Sa 09:00-18:00", "Mo 14:00-16:00; Fr 09:00-11:00", "Tu-Fr 08:30-12:00", "Th 18:00-20:00")
_LONG_TEXTS = {
    "partenaires_precisions": (
        "Convention avec le CCAS pour les rendez-vous d'aide aux démarches, le mardi matin.",
        "La médiathèque prête sa salle une fois par mois ; la mission locale nous adresse des jeunes.",
        "Partenariat informel avec France Services : nous échangeons les cas complexes par téléphone.",
    ),
    "temoignage": (
        "Beaucoup de seniors viennent pour leurs comptes en ligne (impots, Ameli) et reviennent ensuite aux ateliers.",
        "Les familles nous sollicitent surtout pour Pronote et les inscriptions scolaires.",
        "La demande a doublé depuis la fermeture du guichet de la CAF.",
        "",
    ),
    "besoins_formation": (
        "Accompagnement aux démarches en ligne et cybersécurité.",
        "Formation des bénévoles à l'accueil des publics en difficulté avec l'écrit.",
        "Prise en main des outils de France Connect et de l'identité numérique.",
    ),
    "commentaire": (
        "Entretien avec la responsable, très disponible. Rappeler en juin pour les nouveaux horaires.",
        "Interlocuteur pressé : vérifier le budget par e-mail.",
        "RAS.",
        "Structure en cours de réorganisation, effectifs susceptibles de changer.",
    ),
}
_OTHER_LANGUAGES = ("Comorien", "Wallisien", "Créole", "Portugais", "Turc", "Drehu")

# Realistic ranges of generated numbers (within each question's min/max).
_INTEGERS = {
    "personnes_par_mois": (5, 400), "ateliers_par_mois": (0, 30), "delai_rdv_jours": (1, 21), "salaries": (0, 8),
    "benevoles": (0, 15), "postes": (2, 20), "tablettes": (1, 12), "nb_partenaires": (0, 12),
    "usagers_sans_equipement": (5, 60), "usagers_sans_email": (5, 50),
}
_DECIMALS = {  # (low, high, digits)
    "duree_moyenne_rdv": (0.5, 2.5, 1), "taux_occupation": (20.0, 100.0, 1), "debit_mbps": (2.0, 1000.0, 1),
    "budget_annuel": (500.0, 120_000.0, 0), "distance_km": (1.0, 60.0, 1), "illectronisme_estime": (5.0, 45.0, 1),
    "montant_besoin": (500.0, 50_000.0, 2),
}
_YES_SHARE = {
    "rdv_obligatoire": 0.4, "financement_perenne": 0.3, "interesse_partenariat": 0.58, "convention": 0.4,
    "peut_orienter": 0.67, "orientation_retour": 0.5, "mobilite_frein": 0.57, "consentement_open_data": 0.9,
}
# Answers a complete draft must give so that every conditional question is asked.
_STEERED_YES = frozenset({"rdv_obligatoire", "peut_orienter", "mobilite_frein"})


# -- the questionnaire ---------------------------------------------------------------------------


def _q(code: str, kind: str, libelle: str | None = None, **extra: Any) -> dict[str, Any]:
    question = {"code": code, "type": kind, **extra}
    if libelle:
        question["libelle"] = libelle
    return question


def _choices(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{code: label} for code, label in pairs]


QUESTIONNAIRE: dict[str, Any] = {
    "code": "diagnostic_bench",
    "titre": "Diagnostic territorial (bench, 60 questions)",
    "sections": [
        {"code": "lieu", "titre": "Le lieu et l'interlocuteur", "questions": [
            _q("telephone_lieu", "registre", "Téléphone d'accueil du public", champ="telephone"),
            _q("horaires_lieu", "registre", "Horaires d'ouverture au public", champ="horaires"),
            _q("services", "registre", "Services proposés", champ="services", obligatoire=True),
            _q("frais", "registre", "Frais à la charge des usagers", champ="frais_a_charge", max_choix=2),
            _q("interlocuteur_nom", "texte", "Nom et prénom de la personne interrogée", obligatoire=True,
               personnel=True),
            _q("interlocuteur_fonction", "texte", "Fonction", personnel=True),
            _q("interlocuteur_tel", "telephone", "Téléphone direct", personnel=True),
            _q("interlocuteur_courriel", "courriel", "E-mail direct", personnel=True),
            _q("site_agenda", "url", "Lien vers l'agenda des ateliers"),
            _q("date_entretien", "date", "Date de l'entretien", obligatoire=True, min="2025-01-01",
               contrainte=". <= today()", message_contrainte="La date de l'entretien ne peut pas être future."),
        ]},
        {"code": "activite", "titre": "L'activité", "questions": [
            _q("debut_mediation", "date", "Depuis quand le lieu propose-t-il de la médiation ?", min="1990-01-01",
               contrainte=". <= today()"),
            _q("personnes_par_mois", "entier", "Personnes accompagnées par mois", min=0, max=20000),
            _q("ateliers_par_mois", "entier", "Ateliers collectifs par mois", min=0, max=200),
            _q("duree_moyenne_rdv", "decimal", "Durée moyenne d'un rendez-vous (heures)", min=0, max=8),
            _q("taux_occupation", "decimal", "Taux d'occupation des créneaux (%)", min=0, max=100),
            _q("public_principal", "choix_unique", "Public principal", choix=_choices(
                ("seniors", "Seniors"), ("jeunes", "Jeunes"), ("actifs", "Actifs"),
                ("demandeurs_emploi", "Demandeurs d'emploi"), ("familles", "Familles"), ("tous", "Tous publics"))),
            _q("thematiques", "choix_multiple", "Thématiques des ateliers", max_choix=4, choix=_choices(
                ("demarches", "Démarches en ligne"), ("bureautique", "Bureautique"), ("smartphone", "Smartphone"),
                ("securite", "Sécurité en ligne"), ("emploi", "Recherche d'emploi"), ("parentalite", "Parentalité"),
                ("creation", "Création numérique"), ("sante", "Santé en ligne"))),
            _q("horaires_ateliers", "horaires", "Horaires des ateliers"),
            _q("rdv_obligatoire", "oui_non", "Faut-il prendre rendez-vous ?"),
            _q("delai_rdv_jours", "entier", "Délai moyen d'un rendez-vous (jours)", min=0, max=90,
               visible_si="${rdv_obligatoire} = 'oui'"),
            _q("langues", "choix_multiple", "Langues pratiquées à l'accueil", choix=_choices(
                ("fr", "Français"), ("en", "Anglais"), ("ar", "Arabe"), ("es", "Espagnol"), ("autre", "Autre"))),
            _q("langues_autre", "texte", "Autre langue (précisez)", visible_si="selected(${langues}, 'autre')",
               obligatoire=True),
        ]},
        {"code": "moyens", "titre": "Les moyens", "questions": [
            _q("salaries", "entier", "Salariés consacrés à la médiation", min=0, max=500, obligatoire=True),
            _q("conseillers_numeriques", "entier", "Dont conseillers numériques", min=0, max=100,
               contrainte=". <= ${salaries}",
               message_contrainte="Il ne peut pas y avoir plus de conseillers numériques que de salariés."),
            _q("benevoles", "entier", "Bénévoles", min=0, max=1000),
            _q("etp_mediation", "decimal", "Équivalents temps plein de médiation", min=0,
               visible_si="${salaries} > 0", contrainte=". <= ${salaries}",
               message_contrainte="Pas plus d'ETP que de salariés."),
            _q("equipements", "choix_multiple", "Équipements à disposition du public",
               contrainte="not(selected(., 'aucun')) or count-selected(.) = 1",
               message_contrainte="« Aucun équipement » ne se combine pas avec un autre choix.", choix=_choices(
                   ("postes", "Ordinateurs en libre accès"), ("tablettes", "Tablettes"),
                   ("impression", "Imprimante ou scanner"), ("wifi", "Wi-Fi public"), ("salle", "Salle de formation"),
                   ("visio", "Visioconférence"), ("aucun", "Aucun équipement"))),
            _q("postes", "entier", "Ordinateurs en libre accès", visible_si="selected(${equipements}, 'postes')",
               min=1, max=200),
            _q("tablettes", "entier", "Tablettes", visible_si="selected(${equipements}, 'tablettes')", min=1, max=100),
            _q("connexion", "choix_unique", "Connexion internet", choix=_choices(
                ("fibre", "Fibre"), ("adsl", "ADSL"), ("4g", "4G/5G"), ("satellite", "Satellite"),
                ("aucune", "Aucune"))),
            _q("debit_mbps", "decimal", "Débit (Mbit/s)", visible_si="${connexion} != 'aucune'", min=0, max=10000),
            _q("budget_annuel", "decimal", "Budget annuel de la médiation (euros)", min=0),
            _q("financements", "choix_multiple", "Financeurs", max_choix=5, choix=_choices(
                ("etat", "État"), ("region", "Région"), ("departement", "Département"), ("commune", "Commune"),
                ("caf", "CAF"), ("fonds_propres", "Fonds propres"), ("autre", "Autre"))),
            _q("financement_perenne", "oui_non", "Ces financements sont-ils pérennes ?"),
        ]},
        {"code": "partenariats", "titre": "Partenariats et orientation", "questions": [
            _q("interesse_partenariat", "oui_non", "Souhaitez-vous développer des partenariats ?", obligatoire=True),
            _q("partenaires", "choix_multiple", "Partenaires actuels", choix=_choices(
                ("ccas", "CCAS ou CIAS"), ("mediatheque", "Médiathèque"), ("france_services", "France Services"),
                ("caf", "CAF"), ("mission_locale", "Mission locale"), ("association", "Association"),
                ("aucun", "Aucun"))),
            _q("partenaires_precisions", "texte_long", "Précisez les partenariats", publiable=True,
               visible_si="count-selected(${partenaires}) > 0 and not(selected(${partenaires}, 'aucun'))"),
            _q("convention", "oui_non", "Partenariats formalisés par une convention ?",
               visible_si="count-selected(${partenaires}) > 0 and not(selected(${partenaires}, 'aucun'))"),
            _q("reseau_local", "choix_unique", "Réseau local des aidants", choix=_choices(
                ("aucun", "Aucun"), ("informel", "Informel"), ("formalise", "Formalisé"))),
            _q("nb_partenaires", "entier", "Nombre de partenaires réguliers", min=0, max=100),
            _q("peut_orienter", "oui_non", "Savez-vous vers qui orienter une personne ?", obligatoire=True),
            _q("orientation_vers", "choix_multiple", "Vers qui ?", visible_si="${peut_orienter} = 'oui'", min_choix=1,
               choix=_choices(("france_services", "France Services"), ("ccas", "CCAS"),
                              ("conseiller_numerique", "Conseiller numérique"), ("association", "Association"),
                              ("mediatheque", "Médiathèque"))),
            _q("orientation_retour", "oui_non", "Avez-vous un retour des structures vers qui vous orientez ?",
               visible_si="${peut_orienter} = 'oui'"),
            _q("outil_orientation", "choix_unique", "Outil d'orientation utilisé", choix=_choices(
                ("aucun", "Aucun"), ("annuaire", "Annuaire papier"), ("carto", "Cartographie en ligne"),
                ("autre", "Autre"))),
        ]},
        {"code": "freins", "titre": "Les freins", "questions": [
            _q("mobilite_frein", "oui_non", "La mobilité est-elle un frein ?", obligatoire=True),
            _q("distance_km", "decimal", "Distance moyenne parcourue par les usagers (km)", min=0, max=200,
               visible_si="${mobilite_frein} = 'oui'"),
            _q("autres_freins", "choix_multiple", "Autres freins", choix=_choices(
                ("cout", "Le coût"), ("meconnaissance", "La méconnaissance de l'offre"), ("horaires", "Les horaires"),
                ("langue", "La langue"), ("handicap", "Un handicap"), ("equipement", "Le manque d'équipement"))),
            _q("frein_principal", "choix_unique", "Frein principal", choix=_choices(
                ("mobilite", "Mobilité"), ("cout", "Coût"), ("confiance", "Confiance"),
                ("competences", "Compétences"))),
            _q("usagers_sans_equipement", "entier", "Usagers sans équipement à domicile (%)", min=0, max=100),
            _q("usagers_sans_email", "entier", "Usagers sans adresse e-mail (%)", min=0, max=100),
            _q("temoignage", "texte_long", "Un témoignage sur les difficultés rencontrées", publiable=True),
            _q("illectronisme_estime", "decimal", "Part estimée d'illectronisme sur le territoire (%)",
               min=0, max=100),
        ]},
        {"code": "besoins", "titre": "Les besoins", "questions": [
            _q("besoins", "choix_multiple", "Besoins prioritaires", max_choix=3,
               message_contrainte="Trois besoins au plus.", choix=_choices(
                   ("formation", "Formation"), ("equipement", "Équipement"), ("visibilite", "Visibilité"),
                   ("financement", "Financement"), ("reseau", "Mise en réseau"))),
            _q("besoins_formation", "texte_long", "Quelles formations ?",
               visible_si="selected(${besoins}, 'formation')"),
            _q("montant_besoin", "decimal", "Montant estimé du besoin (euros)", min=0),
            _q("date_besoin", "date", "Échéance souhaitée", min="2025-01-01", max="2030-12-31"),
            _q("priorite", "choix_unique", "Priorité", choix=_choices(
                ("haute", "Haute"), ("moyenne", "Moyenne"), ("basse", "Basse"))),
        ]},
        {"code": "cloture", "titre": "Clôture", "questions": [
            _q("consentement_open_data", "oui_non", "Accord pour la publication en données ouvertes",
               obligatoire=True),
            _q("code_postal_interlocuteur", "texte", "Code postal de l'interlocuteur", motif="^[0-9]{5}$",
               message_contrainte="Cinq chiffres.", personnel=True),
            _q("commentaire", "texte_long", "Commentaire de l'enquêteur", personnel=True),
        ]},
    ],
}


def bench_questionnaire() -> Any:
    from collect.questionnaire import QUESTION_TYPES, questionnaire_from_dict

    questionnaire = questionnaire_from_dict(QUESTIONNAIRE, source="bench")
    questions = list(questionnaire.questions())
    check(len(questions) == QUESTIONS, f"the bench questionnaire has {len(questions)} questions")
    types = {q.type for q in questions}
    check(types == set(QUESTION_TYPES) - {"note"}, f"types not covered: {set(QUESTION_TYPES) - types}")
    return questionnaire


# -- answers -------------------------------------------------------------------------------------


@dataclass
class Context:
    """What generating the answers of one structure needs."""

    structure: dict[str, Any]
    departement: str | None
    day: date  # the day of the interview
    complete: bool = False  # every question answered and asked
    change_registry: bool = False  # a registry answer differs from the registry (complete drafts)
    stored: dict[str, Any] = field(default_factory=dict)  # answers so far, in stored form


_NORMALIZED: dict[tuple[str, str, str | None], Any] = {}


def _normalized(question: Any, raw: str, departement: str | None) -> Any:
    """The stored form of a typed text, by the app's own parser (cached: pools are small)."""
    from collect.surveys import parse_answer

    key = (question.code, raw, departement if question.answer_type == "telephone" else None)
    if key not in _NORMALIZED:
        _NORMALIZED[key] = parse_answer(question, raw, departement=departement)
    return _NORMALIZED[key]


def _pick(
    rng: random.Random, codes: Sequence[str], low: int, high: int, *, among: Sequence[str] | None = None,
    must: Sequence[str] = (),
) -> list[str]:
    """Between ``low`` and ``high`` codes of ``among`` (default all), plus ``must``, in the questionnaire's order."""
    pool = list(among if among is not None else codes)
    chosen = set(rng.sample(pool, rng.randint(low, min(high, len(pool))))) | set(must)
    return [code for code in codes if code in chosen]


def _phone(rng: random.Random, departement: str | None) -> str:
    if departement == "988":  # Nouvelle-Calédonie: six digits
        return f"{rng.choice((2, 4, 7, 9))}{rng.randrange(10)} {rng.randrange(100):02d} {rng.randrange(100):02d}"
    first = rng.choice("667")  # mobiles valid wherever the lieu is (0639, 069x: overseas; 070-072: unused)
    second = rng.choice("0124578" if first == "6" else "5678")
    return f"0{first} {second}{rng.randrange(10)} " + " ".join(f"{rng.randrange(100):02d}" for _ in range(3))


def _registry_answer(question: Any, rng: random.Random, ctx: Context, *, fresh: bool) -> Any:
    """A registry question's answer as typed: the registry's value, or another one."""
    from collect.surveys import registry_value

    codes = [c.code for c in question.choix]
    current = registry_value(question, ctx.structure)
    if question.is_list:
        current = [code for code in codes if code in (current or [])]
    if fresh or (ctx.change_registry and question.champ == "services"):
        if question.champ == "services":
            missing = [code for code in codes if code not in current]
            if missing:
                chosen = {*current, rng.choice(missing)}
                return [code for code in codes if code in chosen]
            return current[:-1]
        if question.champ == "frais_a_charge":
            return [rng.choice(codes)]
        if question.champ == "horaires":
            return rng.choice(_HORAIRES)
        if question.champ == "telephone":
            return _phone(rng, ctx.departement)
    return current or None


def _answer(question: Any, rng: random.Random, ctx: Context, *, fresh: bool = False) -> Any:
    """One answer as the survey page saves it (text as typed, bool, ISO date, list of codes)."""
    code, kind = question.code, question.type
    codes = [c.code for c in question.choix]
    if kind == "registre":
        return _registry_answer(question, rng, ctx, fresh=fresh)
    if kind == "texte":
        if code == "interlocuteur_nom":
            return f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
        if code == "interlocuteur_fonction":
            return rng.choice(_FUNCTIONS)
        if code == "langues_autre":
            return rng.choice(_OTHER_LANGUAGES)
        if code == "code_postal_interlocuteur":
            return f"{rng.randint(1000, 98899):05d}" if fresh else ctx.structure.get("code_postal") or "16000"
        raise AssertionError(f"no generator for {code}")
    if kind == "texte_long":
        texts = [text for text in _LONG_TEXTS[code] if text or not ctx.complete]
        return rng.choice(texts) or None
    if kind == "entier":
        if code == "conseillers_numeriques":
            salaries = ctx.stored.get("salaries", 5)
            return str(rng.randint(0, min(salaries, 3)))
        low, high = _INTEGERS[code]
        return str(rng.randint(max(low, 1) if ctx.complete and code == "salaries" else low, high))
    if kind == "decimal":
        if code == "etp_mediation":
            low, high, digits = 0.5, float(ctx.stored.get("salaries", 5)), 1
        else:
            low, high, digits = _DECIMALS[code]
        value = round(rng.uniform(low, max(low, high)), digits)
        text = f"{value:.{digits}f}" if digits else str(int(value))
        return text.replace(".", ",") if rng.random() < 0.8 else text  # mostly French decimal commas
    if kind == "date":
        if code == "date_entretien":
            return (ctx.day - timedelta(days=rng.randint(1, 20) if fresh else 0)).isoformat()
        if code == "date_besoin":
            return (ctx.day + timedelta(days=rng.randint(30, 365))).isoformat()
        return date(rng.randint(1995, 2024), rng.randint(1, 12), 1).isoformat()
    if kind == "oui_non":
        if ctx.complete and code in _STEERED_YES:
            return True
        return rng.random() < _YES_SHARE[code]
    if kind == "choix_unique":
        if code == "connexion":
            return rng.choice([c for c in codes if c != "aucune"]) if ctx.complete or rng.random() < 0.95 else "aucune"
        return rng.choice(codes)
    if kind == "choix_multiple":
        if code == "langues":
            return _pick(rng, codes, 0, 2, among=codes[1:-1], must=["fr", "autre"] if ctx.complete else ["fr"])
        if code == "equipements":
            if not ctx.complete and rng.random() < 0.05:
                return ["aucun"]
            return _pick(rng, codes, 1, 4, among=codes[:-1], must=["postes", "tablettes"] if ctx.complete else [])
        if code == "partenaires":
            if not ctx.complete and rng.random() < 0.15:
                return ["aucun"]
            return _pick(rng, codes, 1, 3, among=codes[:-1])
        if code == "besoins":
            return _pick(rng, codes, 1, 2 if ctx.complete else 3, must=["formation"] if ctx.complete else [])
        if code == "autres_freins":
            return _pick(rng, codes, 1 if ctx.complete else 0, 3) or None
        return _pick(rng, codes, 1, min(question.max_choix or 3, 3))
    if kind == "telephone":
        return _phone(rng, ctx.departement)
    if kind == "courriel":
        first, last = rng.choice(_FIRST).lower(), rng.choice(_LAST).lower()
        if rng.random() < 0.9:
            return f"{first}.{last}@{rng.choice(_DOMAINS)}"
        return f" {first.title()}@{rng.choice(_DOMAINS)}"  # as typed: a capital, a stray space
    if kind == "url":
        return rng.choice(_SITES).format(n=rng.randrange(40))
    if kind == "horaires":
        return rng.choice(_HORAIRES)
    raise AssertionError(f"no generator for {code} ({kind})")


def stored_form(question: Any, raw: Any, departement: str | None) -> Any:
    """What ``check_answers`` stores for ``raw`` (the app's parsers, cached for texts)."""
    kind = question.answer_type
    if kind == "entier":
        return int(raw)
    if kind in ("decimal", "telephone", "courriel", "url", "horaires") or (kind == "texte" and question.is_list):
        return _normalized(question, raw, departement)
    if kind in ("texte", "texte_long"):
        return raw.strip()
    return raw  # bool, ISO date, codes: stored as the page saves them


def fill(questionnaire: Any, rng: random.Random, ctx: Context) -> tuple[dict[str, Any], dict[str, Any]]:
    """A whole interview: (answers as saved in the draft, answers as stored in the response).

    Registry answers equal to the registry's value are kept out of the draft (the page only saves
    what the surveyor changed) unless the draft is complete.
    """
    from collect.surveys import is_visible, registry_value

    raw_answers: dict[str, Any] = {}
    ctx.stored = {}
    for question in questionnaire.questions():
        if not is_visible(question, ctx.stored):
            continue
        # An untouched registry question is answered by the registry's value: never skipped.
        if not (question.obligatoire or ctx.complete or question.type == "registre") and rng.random() < SKIP_SHARE:
            continue
        raw = _answer(question, rng, ctx)
        if raw is None or raw == []:
            continue
        ctx.stored[question.code] = stored_form(question, raw, ctx.departement)
        if question.type != "registre" or ctx.complete or ctx.stored[question.code] != registry_value(
            question, ctx.structure
        ):
            raw_answers[question.code] = raw
    return raw_answers, dict(ctx.stored)


def check_generated(questionnaire: Any, samples: list[tuple[dict[str, Any], dict[str, Any], Context]]) -> None:
    """Generated answers go through ``check_answers`` without an error and come back identical."""
    from collect.surveys import Draft, DraftValue, check_answers, effective_answers

    now = datetime.now(UTC)
    for raw_answers, stored, ctx in samples:
        draft = Draft("d", "s", "c", "x", "q", None, None, None, now, now,
                      {code: DraftValue(value, 1, now, None, "x") for code, value in raw_answers.items()})
        raw = effective_answers(questionnaire, draft, ctx.structure)
        checked = check_answers(questionnaire, raw, departement=ctx.departement)
        check(not checked.errors, f"generated answers refused: {checked.errors}")
        check(json.dumps(checked.answers, ensure_ascii=False) == json.dumps(stored, ensure_ascii=False),
              f"generated stored form differs: {checked.answers} != {stored}")


# -- the store -----------------------------------------------------------------------------------


def _uuid7(rng: random.Random, moment: datetime) -> str:
    """A UUIDv7 (as ``new_id``) at ``moment`` from seeded random bits: same seed, same ids."""
    milliseconds = int(moment.timestamp() * 1000)
    bits = rng.getrandbits(74)
    value = (milliseconds << 80) | (0x7 << 76) | ((bits >> 62) << 64) | (0b10 << 62) | (bits & ((1 << 62) - 1))
    return str(uuid.UUID(int=value))


def _micros(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


_TIMESTAMP = "timestamp[us, tz=UTC]"


class Batch:
    """Rows of one table kept column by column, inserted in one ``INSERT … SELECT`` from Arrow."""

    def __init__(self, table: str, columns: dict[str, str]) -> None:
        self.table = table
        self.types = columns  # name → "string" | "int32" | _TIMESTAMP
        self.columns: dict[str, list[Any]] = {name: [] for name in columns}
        self.inserted = 0

    def add(self, **row: Any) -> None:
        for name, values in self.columns.items():
            values.append(row.get(name))

    def __len__(self) -> int:
        return len(next(iter(self.columns.values())))

    def flush(self, con: Any) -> None:
        import pyarrow as pa

        if not len(self):
            return
        types = {"string": pa.string(), "int32": pa.int32(), _TIMESTAMP: pa.timestamp("us", tz="UTC")}
        table = pa.table({
            name: pa.array(values, type=types[self.types[name]]) for name, values in self.columns.items()
        })
        names = ", ".join(self.columns)
        con.register("_bench_batch", table)
        try:
            con.execute(f"INSERT INTO {self.table} ({names}) SELECT {names} FROM _bench_batch")
        finally:
            con.unregister("_bench_batch")
        self.inserted += len(self)
        for values in self.columns.values():
            values.clear()


def _batches() -> dict[str, Batch]:
    s, i, t = "string", "int32", _TIMESTAMP
    return {
        "drafts": Batch("drafts", {
            "id": s, "structure_id": s, "campaign_id": s, "surveyor": s, "questionnaire_id": s, "section": s,
            "supersedes": s, "submitted_response_id": s, "created_at": t, "updated_at": t, "updated_by": s}),
        "draft_values": Batch("draft_values", {
            "draft_id": s, "question_code": s, "value": s, "revision": i, "session_id": s, "updated_at": t,
            "updated_by": s}),
        "responses": Batch("responses", {
            "id": s, "structure_id": s, "campaign_id": s, "questionnaire_id": s, "surveyor": s, "revision": i,
            "supersedes": s, "draft_id": s, "answers": s, "registry_changes": s, "submitted_at": t, "created_at": t,
            "updated_at": t, "updated_by": s}),
        "audit_log": Batch("audit_log", {
            "id": s, "occurred_at": t, "actor": s, "action": s, "entity": s, "entity_id": s, "details": s}),
    }


@dataclass
class OpenDraft:
    """A draft the timings use, with what this bench knows it holds (raw JSON and revision by code)."""

    id: str
    structure_id: str
    surveyor: str
    session_id: str
    ctx: Context
    values: dict[str, tuple[str, int]]
    raw: dict[str, Any] = field(default_factory=dict)
    registry_change: bool = False


@dataclass
class Built:
    store: Any
    questionnaire: Any
    partial: list[OpenDraft]
    submit_drafts: list[OpenDraft]
    rewrite_drafts: list[OpenDraft]
    counts: dict[str, int]


def _encode(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)  # as save_answer does


def _add_draft(
    batches: dict[str, Batch], *, draft_id: str, structure_id: str, campaign_id: str, surveyor: str,
    questionnaire_id: str, raw: dict[str, Any], created: datetime, updated: datetime, session_id: str,
    section: str | None, supersedes: str | None = None, response_id: str | None = None, rng: random.Random,
) -> dict[str, tuple[str, int]]:
    batches["drafts"].add(
        id=draft_id, structure_id=structure_id, campaign_id=campaign_id, surveyor=surveyor,
        questionnaire_id=questionnaire_id, section=section, supersedes=supersedes, submitted_response_id=response_id,
        created_at=_micros(created), updated_at=_micros(updated), updated_by=surveyor,
    )
    values = {}
    start, step = _micros(created), max(1, (_micros(updated) - _micros(created)) // max(1, len(raw)))
    for index, (code, value) in enumerate(raw.items()):
        revision = 2 if rng.random() < 0.08 else 1  # a few answers typed twice
        encoded = _encode(value)
        batches["draft_values"].add(
            draft_id=draft_id, question_code=code, value=encoded, revision=revision, session_id=session_id,
            updated_at=start + index * step, updated_by=surveyor,
        )
        values[code] = (encoded, revision)
    return values


def build_store(directory: Path) -> Built:
    from collect.campaigns import create_campaign
    from collect.imports import import_file
    from collect.surveys import publish_questionnaire
    from models.cog import departement_of_insee
    from models.store import Store

    with timed("structures: synthetic CSV and import_file"):
        columns, rows = synthetic_rows(STRUCTURES)
        csv_path, _ = write_inputs(directory, columns, rows)
        store = Store(directory / "maillage.duckdb")
        store.migrate()
        report = import_file(store, csv_path)
    check(report.new == STRUCTURES and report.rejected == 0, f"import: {report.summary()}")
    del rows

    questionnaire = bench_questionnaire()
    start = FIELDWORK_END - timedelta(weeks=FIELDWORK_WEEKS)
    wave = timedelta(weeks=FIELDWORK_WEEKS // len(RESPONSES_BY_CAMPAIGN))
    with store.atomic() as con:
        stored = publish_questionnaire(con, questionnaire, by=BY)
        campaigns = [
            create_campaign(con, nom=f"Diagnostic 2026 — vague {k + 1}", questionnaire_id=stored.id,
                            date_debut=(start + k * wave).date(), date_fin=(start + (k + 1) * wave).date(), by=BY)
            for k in range(len(RESPONSES_BY_CAMPAIGN))
        ]
    structures = store.query(
        "SELECT id, nom, code_insee, code_postal, services, horaires, telephone, frais_a_charge FROM structures"
        " ORDER BY nom"
    )
    check(len(structures) == STRUCTURES, f"{len(structures)} structures in the store")
    departements = {s["id"]: departement_of_insee(s["code_insee"]) if s["code_insee"] else None for s in structures}

    rng = random.Random(SEED)
    batches = _batches()
    samples: list[tuple[dict[str, Any], dict[str, Any], Context]] = []
    sample_every = RESPONSES // SAMPLE_CHECKED
    originals: list[tuple[str, dict[str, Any], dict[str, Any], datetime, Context, int]] = []
    free_last_wave: list[dict[str, Any]] = []
    generated = 0

    def flush(con: Any) -> None:
        for batch in batches.values():
            batch.flush(con)

    def add_response(
        con: Any, structure: dict[str, Any], campaign: int, surveyor: str, raw: dict[str, Any],
        answers: dict[str, Any], submitted: datetime, *, revision: int = 1, supersedes: str | None = None,
    ) -> str:
        nonlocal generated
        response_id = _uuid7(rng, submitted)
        created = submitted - timedelta(minutes=rng.randint(15, 90))
        draft_id = _uuid7(rng, created)
        _add_draft(batches, draft_id=draft_id, structure_id=structure["id"], campaign_id=campaigns[campaign],
                   surveyor=surveyor, questionnaire_id=stored.id, raw=raw, created=created, updated=submitted,
                   session_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)), section="cloture",
                   supersedes=supersedes, response_id=response_id, rng=rng)
        micros = _micros(submitted)
        batches["responses"].add(
            id=response_id, structure_id=structure["id"], campaign_id=campaigns[campaign], questionnaire_id=stored.id,
            surveyor=surveyor, revision=revision, supersedes=supersedes, draft_id=draft_id,
            answers=json.dumps(answers, ensure_ascii=False), registry_changes=None, submitted_at=micros,
            created_at=micros, updated_at=micros, updated_by=surveyor,
        )
        batches["audit_log"].add(
            id=_uuid7(rng, submitted), occurred_at=micros, actor=surveyor, action="response.submit",
            entity="responses", entity_id=response_id,
            details=json.dumps({"structure_id": structure["id"], "revision": revision, "registre": []}),
        )
        generated += 1
        if len(batches["responses"]) >= INSERT_CHUNK:
            flush(con)
        return response_id

    with timed(f"{RESPONSES} responses, their drafts and draft values, in bulk"), store.atomic() as con:
        for campaign, count in enumerate(RESPONSES_BY_CAMPAIGN):
            surveyed = set(rng.sample(range(STRUCTURES), count))
            for index in sorted(surveyed):
                structure = structures[index]
                submitted = start + campaign * wave + timedelta(
                    days=rng.randrange(wave.days), hours=rng.randint(-9, -1), minutes=rng.randrange(60))
                ctx = Context(structure, departements[structure["id"]], submitted.date())
                raw, answers = fill(questionnaire, rng, ctx)
                surveyor = rng.choice(SURVEYORS)
                response_id = add_response(con, structure, campaign, surveyor, raw, answers, submitted)
                originals.append((response_id, raw, answers, submitted, ctx, campaign))
                if generated % sample_every == 0:
                    samples.append((raw, answers, ctx))
            if campaign == len(RESPONSES_BY_CAMPAIGN) - 1:
                free_last_wave = [structures[i] for i in range(STRUCTURES) if i not in surveyed]
        # Corrections: a new draft pre-filled with the response's stored answers (as open_correction
        # does), one answer changed, submitted as revision 2 a few days later.
        changeable = [q for q in questionnaire.questions() if q.type in ("entier", "texte_long", "choix_unique")
                      and q.code not in ("salaries", "conseillers_numeriques")]  # bound to each other
        corrections = 0
        for response_id, _raw, answers, submitted, ctx, campaign in rng.sample(originals, len(originals)):
            if corrections == CORRECTIONS:
                break
            question = rng.choice([q for q in changeable if q.code in answers])
            ctx.stored = dict(answers)
            ctx.complete = False
            new_raw = _answer(question, rng, ctx)
            if new_raw in (None, []):
                continue
            corrections += 1
            raw = {**answers, question.code: new_raw}
            corrected = {**answers, question.code: stored_form(question, new_raw, ctx.departement)}
            add_response(con, ctx.structure, campaign, rng.choice(SURVEYORS), raw, corrected,
                         submitted + timedelta(days=rng.randint(1, 7)), revision=2, supersedes=response_id)
        check(generated == RESPONSES, f"generated {generated} responses, expected {RESPONSES}")

        # Open drafts of the last wave, on structures it has not surveyed yet: part-way ones, and
        # complete ones (every answer, every conditional question asked) for the timings.
        rng.shuffle(free_last_wave)
        # Complete drafts go to structures whose registry knows every field a registry question asks,
        # its lists in the standard's order: an answer left as the registry has it is then no change
        # (submit compares lists in the questionnaire's order, so a list stored in another order
        # would count as a change: see the note printed below).
        order = [c.code for c in questionnaire.question("services").choix]

        def in_order(structure: dict[str, Any]) -> bool:
            services = list(structure["services"] or [])
            return services == [code for code in order if code in services]

        note(f"  {sum(1 for s in structures if not in_order(s))} structures hold their services in another order"
             " than the standard's: submitting them unchanged reports a registry change")
        with_registry = [s for s in free_last_wave
                         if in_order(s) and s["telephone"] and s["horaires"] and s["frais_a_charge"]]
        timed_count = 2 * (WARMUP + OPERATIONS + PROFILED)
        check(len(with_registry) >= timed_count, f"only {len(with_registry)} structures usable for complete drafts")
        complete_structures = with_registry[:timed_count]
        chosen_ids = {s["id"] for s in complete_structures}
        partial_structures = [s for s in free_last_wave if s["id"] not in chosen_ids][:OPEN_DRAFTS]
        check(len(partial_structures) == OPEN_DRAFTS, "not enough free structures for the open drafts")
        now = FIELDWORK_END
        partial: list[OpenDraft] = []
        complete: list[OpenDraft] = []
        for structure in [*partial_structures, *complete_structures]:
            is_complete = len(partial) >= OPEN_DRAFTS
            created = now - timedelta(days=rng.randint(0, 20), minutes=rng.randrange(600))
            ctx = Context(structure, departements[structure["id"]], created.date(), complete=is_complete,
                          change_registry=is_complete and len(complete) % 2 == 1)
            raw, _answers = fill(questionnaire, rng, ctx)
            if not is_complete:
                raw = dict(list(raw.items())[: rng.randint(3, 40)])
            else:
                check(len(raw) == QUESTIONS, f"a complete draft holds {len(raw)} answers")
            surveyor, session_id = rng.choice(SURVEYORS), str(uuid.UUID(int=rng.getrandbits(128), version=4))
            draft_id = _uuid7(rng, created)
            values = _add_draft(batches, draft_id=draft_id, structure_id=structure["id"],
                                campaign_id=campaigns[-1], surveyor=surveyor, questionnaire_id=stored.id, raw=raw,
                                created=created, updated=created + timedelta(minutes=25), session_id=session_id,
                                section=None if not is_complete else "cloture", rng=rng)
            draft = OpenDraft(draft_id, structure["id"], surveyor, session_id, ctx, values, raw, ctx.change_registry)
            (complete if is_complete else partial).append(draft)
        flush(con)
        counts = {name: batch.inserted for name, batch in batches.items()}

    with timed(f"checking {len(samples)} generated responses through check_answers"):
        check_generated(questionnaire, samples)
    with timed("checkpoint"), store.connect() as con:
        con.execute("CHECKPOINT")
        found = con.execute(
            "SELECT (SELECT count(*) FROM responses), (SELECT count(*) FROM drafts),"
            " (SELECT count(*) FROM draft_values), (SELECT count(*) FROM structures)"
        ).fetchone()
    check(found == (RESPONSES, counts["drafts"], counts["draft_values"], STRUCTURES), f"store holds {found}")
    note(f"  {counts['drafts']} drafts ({len(partial)} open part-way, {len(complete)} complete), "
         f"{counts['draft_values']} draft values, {counts['audit_log']} audit rows")
    half = len(complete) // 2
    return Built(store, questionnaire, partial, complete[:half], complete[half:], counts)


# -- the timings ---------------------------------------------------------------------------------


def _new_value(question: Any, rng: random.Random, draft: OpenDraft) -> tuple[Any, str]:
    """A value of ``question`` other than the one the draft holds (raw form, and its JSON)."""
    current = draft.values.get(question.code, (None, 0))[0]
    draft.ctx.stored = {}
    draft.ctx.complete = False
    for _attempt in range(20):
        value = _answer(question, rng, draft.ctx, fresh=True)
        if value is None or value == []:
            continue
        if question.type == "oui_non" and current is not None:
            value = not json.loads(current)
        encoded = _encode(value)
        if encoded != current:
            return value, encoded
    raise AssertionError(f"no new value found for {question.code}")


@dataclass
class Measure:
    durations: list[float] = field(default_factory=list)  # seconds

    def ms(self, share: float) -> float:
        points = statistics.quantiles(self.durations, n=100, method="inclusive")
        return points[round(share * 100) - 1] * 1000

    @property
    def mean_ms(self) -> float:
        return statistics.fmean(self.durations) * 1000

    def report(self, name: str) -> None:
        figure(f"{name}_ms_p50", f"{self.ms(0.50):.1f}", "ms")
        figure(f"{name}_ms_p95", f"{self.ms(0.95):.1f}", "ms")
        figure(f"{name}_ms_mean", f"{self.mean_ms:.1f}", "ms")
        note(f"  {name}: min {min(self.durations) * 1000:.1f} ms, max {max(self.durations) * 1000:.1f} ms "
             f"over {len(self.durations)}")


def run(
    operation: Callable[[Any], None], targets: Sequence[Any], label: str, *,
    before: Callable[[], Any] | None = None, operations: int = OPERATIONS, warmup: int = WARMUP,
) -> Measure:
    """``operation`` on each target: ``warmup`` untimed, then ``operations`` timed one by one
    (``before`` runs untimed ahead of each timed one)."""
    check(len(targets) >= warmup + operations, f"{label}: {len(targets)} targets")
    note(f"… {label}")
    for target in targets[:warmup]:
        operation(target)
    measure = Measure()
    for target in targets[warmup:warmup + operations]:
        if before is not None:
            before()
        start = time.perf_counter()
        operation(target)
        measure.durations.append(time.perf_counter() - start)
    return measure


class _Phases:
    """Wall time spent in each DuckDB call of the profiled operations, by statement."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def time(self, label: str, call: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        try:
            return call()
        finally:
            self.seconds[label] = self.seconds.get(label, 0.0) + time.perf_counter() - start


class _TimedConnection:
    """A DuckDB connection that times every statement (profiling only; the timings use the real one).

    Its close runs the checkpoint explicitly first, to tell the checkpoint DuckDB does when the
    last connection to a file closes from the rest of the close.
    """

    def __init__(self, con: Any, phases: _Phases) -> None:
        self._con, self._phases, self._label = con, phases, ""

    def execute(self, sql: str, params: Any = None) -> _TimedConnection:
        self._label = " ".join(sql.split())
        self._label = self._label if len(self._label) <= 72 else self._label[:71] + "…"
        arguments = () if params is None else (params,)
        self._phases.time(self._label, lambda: self._con.execute(sql, *arguments))
        return self

    def executemany(self, sql: str, params: Any) -> _TimedConnection:
        self._label = " ".join(sql.split())[:60] + "… (executemany)"
        self._phases.time(self._label, lambda: self._con.executemany(sql, params))
        return self

    def fetchall(self) -> Any:
        return self._phases.time(f"{self._label} → fetchall", self._con.fetchall)

    def fetchone(self) -> Any:
        return self._phases.time(f"{self._label} → fetchone", self._con.fetchone)

    @property
    def description(self) -> Any:
        return self._con.description

    def close(self) -> None:
        self._phases.time("close: CHECKPOINT (DuckDB's checkpoint on close, run explicitly here)",
                          lambda: self._con.execute("CHECKPOINT"))
        self._phases.time("close: the rest (database instance torn down)", self._con.close)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


def profile(operation: Callable[[Any], None], targets: Sequence[Any], label: str) -> None:
    """Where the time of ``operation`` goes, to stderr: a cProfile of half the targets, then the wall
    time of each DuckDB call (open, each statement, commit, checkpoint, close) on the other half."""
    from models.store import Store

    half = len(targets) // 2
    profiler = cProfile.Profile()
    profiler.enable()
    for target in targets[:half]:
        operation(target)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    out.write(f"\n=== cProfile: {label}, {half} operations, by own time (DuckDB's C calls count in their"
              " Python caller) ===\n")
    stats.sort_stats("tottime").print_stats(12)
    out.write(f"=== cProfile: {label}, by cumulative time ===\n")
    stats.sort_stats("cumulative").print_stats(20)

    phases = _Phases()
    original_open = Store._open

    def timed_open(self: Any, read_only: bool = False) -> Any:
        con = phases.time("open: duckdb.connect + SET TimeZone", lambda: original_open(self, read_only=read_only))
        return _TimedConnection(con, phases)

    timed_targets = targets[half:]
    Store._open = timed_open  # type: ignore[method-assign]
    try:
        start = time.perf_counter()
        for target in timed_targets:
            operation(target)
        total = time.perf_counter() - start
    finally:
        Store._open = original_open  # type: ignore[method-assign]
    count = len(timed_targets)
    out.write(f"=== {label}: wall time by DuckDB call, mean per operation over {count} ===\n")
    for name, seconds in sorted(phases.seconds.items(), key=lambda item: -item[1]):
        out.write(f"  {seconds / count * 1000:7.2f} ms  {name}\n")
    out.write(f"  {(total - sum(phases.seconds.values())) / count * 1000:7.2f} ms  Python (everything else)\n")
    out.write(f"  {total / count * 1000:7.2f} ms  total\n")
    note(out.getvalue())


def main() -> int:
    from collect.surveys import save_answer, submit_draft

    with tempfile.TemporaryDirectory(prefix="maillage-bench-surveys-") as tmp:
        built = build_store(Path(tmp))
        store, questionnaire = built.store, built.questionnaire
        questions = list(questionnaire.questions())
        figure("structures", STRUCTURES, "structures")
        figure("responses", RESPONSES, "responses")
        figure("drafts", built.counts["drafts"], "drafts")
        figure("draft_values", built.counts["draft_values"], "rows")
        figure("store_size_mb", f"{store.path.stat().st_size / 2**20:.1f}", "MB")
        figure("goal_save_ms", f"{GOAL_SAVE_MS:.0f}", "ms")
        figure("goal_submit_ms", f"{GOAL_SUBMIT_MS:.0f}", "ms")

        rng = random.Random(SEED + 1)
        save_total = WARMUP + OPERATIONS + PROFILED
        save_targets = [(rng.choice(built.partial), rng.choice(questions)) for _ in range(2 * save_total)]
        expected: dict[tuple[str, str], str] = {}

        def save(target: tuple[OpenDraft, Any], con: Any = None) -> None:
            draft, question = target
            value, encoded = _new_value(question, rng, draft)
            base = draft.values.get(question.code, (None, 0))[1]
            if con is None:  # the app: one short-lived connection and transaction per change
                with store.atomic() as fresh:
                    outcome = save_answer(fresh, draft.id, question.code, value, base_revision=base,
                                          session_id=draft.session_id, by=draft.surveyor)
            else:
                con.execute("BEGIN TRANSACTION")
                outcome = save_answer(con, draft.id, question.code, value, base_revision=base,
                                      session_id=draft.session_id, by=draft.surveyor)
                con.execute("COMMIT")
            check(outcome.saved and outcome.revision == base + 1,
                  f"save of {question.code}: saved={outcome.saved}, revision {outcome.revision} after {base}")
            draft.values[question.code] = (encoded, outcome.revision)
            expected[(draft.id, question.code)] = encoded

        app_saves = save_targets[:save_total]
        saved = run(save, app_saves[:WARMUP + OPERATIONS], "save_answer as the app does: store.atomic() each")
        saved.report("save_field")
        # The first change after a pause: the process had let go of the file (Store.keep_open), so
        # this save opens it again. The release (a checkpoint) happens off the request path in the
        # app (a watcher thread), so it is outside the timing here too.
        cold_targets = [(rng.choice(built.partial), rng.choice(questions)) for _ in range(WARMUP + OPERATIONS)]
        after_idle = run(save, cold_targets, "save_answer after the file was released (first change after a pause)",
                         before=store.release)
        after_idle.report("save_field_after_idle")

        with store.connect() as held_con:
            held = run(lambda target: save(target, held_con), save_targets[save_total:],
                       "save_answer on one connection held open (a transaction each)")
        held.report("held_connection_save")

        def rewrite(draft: OpenDraft) -> None:
            """The naive save: the whole form written again (delete the draft's rows, insert all 60)."""
            question = rng.choice(questions)
            value, encoded = _new_value(question, rng, draft)
            revision = draft.values[question.code][1] + 1
            draft.values[question.code] = (encoded, revision)
            now = datetime.now(UTC)
            rows = [[draft.id, code, text, rev, draft.session_id, now, draft.surveyor]
                    for code, (text, rev) in draft.values.items()]
            with store.atomic() as con:
                con.execute("DELETE FROM draft_values WHERE draft_id = ?", [draft.id])
                con.executemany(
                    "INSERT INTO draft_values (draft_id, question_code, value, revision, session_id, updated_at,"
                    " updated_by) VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
            expected[(draft.id, question.code)] = encoded

        naive = run(rewrite, built.rewrite_drafts, "naive save: rewrite the whole draft (60 rows)")
        naive.report("naive_save_rewrite_draft")

        with store.connect(read_only=True) as con:
            stored_values = {(d, c): v for d, c, v in con.execute(
                "SELECT draft_id, question_code, value::VARCHAR FROM draft_values WHERE draft_id IN (SELECT unnest(?))",
                [sorted({d for d, _ in expected})]).fetchall()}
            per_draft = dict(con.execute(
                "SELECT draft_id, count(*) FROM draft_values WHERE draft_id IN (SELECT unnest(?)) GROUP BY draft_id",
                [[d.id for d in built.rewrite_drafts[:WARMUP + OPERATIONS]]]).fetchall())
            responses_before = con.execute("SELECT count(*) FROM responses").fetchone()[0]
            versions_before = con.execute("SELECT count(*) FROM structure_versions").fetchone()[0]
        check(all(json.loads(stored_values.get(k, "null")) == json.loads(v) for k, v in expected.items()),
              "a saved value does not read back")
        check(set(per_draft.values()) == {QUESTIONS}, f"rewritten drafts hold {set(per_draft.values())} rows")
        note(f"  {len(expected)} saved values read back identical")

        outcomes: list[Any] = []

        def submit(draft: OpenDraft) -> None:
            outcome = submit_draft(store, draft.id, by=draft.surveyor)
            check(outcome.response_id is not None and not outcome.errors and not outcome.already_submitted,
                  f"submit refused: {outcome.errors}")
            check(bool(outcome.registry_changes) == draft.registry_change,
                  f"registry changes {outcome.registry_changes}, expected a change: {draft.registry_change}")
            outcomes.append(outcome)

        submit_targets = built.submit_drafts
        submitted = run(submit, submit_targets[:WARMUP + OPERATIONS], "submit_draft of complete 60-answer drafts")
        submitted.report("submit_60_questions")
        # The first submit after a pause (the file released, opened again by the submit). These
        # use the drafts kept for profiling, so a profile of submit (if needed) uses the same ones.
        cold_submits = submit_targets[WARMUP + OPERATIONS:]
        submitted_cold = run(submit, cold_submits, "submit_draft after the file was released",
                             before=store.release, operations=len(cold_submits), warmup=0)
        submitted_cold.report("submit_60_questions_after_idle")
        timed_submits = list(zip(submit_targets[WARMUP:], submitted.durations, strict=False))
        with_change = Measure([seconds for draft, seconds in timed_submits if draft.registry_change])
        without_change = Measure([seconds for draft, seconds in timed_submits if not draft.registry_change])
        note(f"  of the {len(timed_submits)} timed submits, {len(with_change.durations)} wrote a registry change back")
        figure("submit_with_registry_change_ms_p95", f"{with_change.ms(0.95):.1f}", "ms")
        figure("submit_without_registry_change_ms_p95", f"{without_change.ms(0.95):.1f}", "ms")
        with store.connect(read_only=True) as con:
            responses_after = con.execute("SELECT count(*) FROM responses").fetchone()[0]
            versions_after = con.execute("SELECT count(*) FROM structure_versions").fetchone()[0]
            ids = [o.response_id for o in outcomes]
            sizes = {row[0] for row in con.execute(
                "SELECT len(json_keys(answers)) FROM responses WHERE id IN (SELECT unnest(?))", [ids]
            ).fetchall()}
        check(responses_after - responses_before == len(outcomes),
              f"responses grew by {responses_after - responses_before} for {len(outcomes)} submits")
        changes = sum(1 for o in outcomes if o.registry_changes)
        check(versions_after - versions_before == changes,
              f"structure versions grew by {versions_after - versions_before} for {changes} registry changes")
        check(sizes == {QUESTIONS}, f"submitted responses hold {sizes} answers")
        note(f"  {len(outcomes)} submits, 0 errors, {changes} registry write-backs, every response of 60 answers")

        if saved.ms(0.95) > GOAL_SAVE_MS:
            profile(save, app_saves[WARMUP + OPERATIONS:], "save_answer, one short-lived connection each")
        if submitted.ms(0.95) > GOAL_SUBMIT_MS:
            note("  (submit goal missed: no fresh drafts left to profile; see the after-idle figure)")
        figure("store_size_after_mb", f"{store.path.stat().st_size / 2**20:.1f}", "MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
