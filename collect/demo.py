"""The demo territory: 924 real lieux (PACA, Charente, Nouvelle-Calédonie) loaded into a new store.

The files are copies of the national map's datasets (see ``collect/demo_data/SOURCES.md``). They are loaded
once, on a store's first start; the ``demo_loaded`` setting remembers it, so a territory that
deleted the demo lieux does not see them come back.
"""

from __future__ import annotations

import json
import random
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb

from collect.campaigns import create_campaign
from collect.imports import ImportReport, import_file
from collect.questionnaire import default_questionnaire
from collect.surveys import open_draft, publish_questionnaire, save_answers, submit_in_transaction
from models.dispositions import CALLBACK_OUTCOMES, MAX_ANSWERING_MACHINE_MESSAGES, OUTCOME_RULES
from models.registry import find_structures
from models.store import Store, fetch_dicts, utc_now

DEMO_DIR = Path(__file__).resolve().parent / "demo_data"


def demo_files() -> list[Path]:
    """The demo datasets, in a stable order."""
    return sorted(DEMO_DIR.glob("*.json"))


def demo_loaded(store: Store) -> bool:
    """Whether the demo was already loaded into this store (even if since deleted)."""
    with store.connect() as con:
        rows = fetch_dicts(con, "SELECT value FROM settings WHERE key = 'demo_loaded'")
    return bool(rows)


def load_demo(store: Store, *, by: str = "demo") -> list[ImportReport]:
    """Import the demo datasets once, then the demo campaign; returns one report per file (none when
    already loaded)."""
    if demo_loaded(store):
        return []
    reports = [import_file(store, path, by=by) for path in demo_files()]
    date_demo_history(store, reports)
    load_demo_campaign(store, by=by)
    with store.atomic() as con:
        con.execute(
            "INSERT INTO settings (key, value, updated_at, updated_by) VALUES ('demo_loaded', ?, ?, ?)"
            " ON CONFLICT (key) DO NOTHING",
            [json.dumps({"fichiers": [r.file for r in reports]}), utc_now(), by],
        )
    return reports


EARLIEST_PLAUSIBLE_UPDATE = date(2015, 1, 1)  # older date_maj values are placeholders (1970-01-01)


def date_demo_history(store: Store, reports: list[ImportReport]) -> None:
    """Give the demo registry a past, so the offer can be shown « as of » any date: each demo lieu
    is on the map since its ``date_maj`` in the national dataset (when plausible), else since the
    dataset's publication day (the file name's ``AAAAMMJJ``). Only the first version of lieux just
    imported by ``reports`` moves; nothing else of the history changes."""
    with store.atomic() as con:
        for report in reports:
            if not report.import_run_id:
                continue
            published = datetime.strptime(Path(report.file).name[:8], "%Y%m%d").date()
            con.execute(
                "UPDATE structure_versions v SET valid_from = timezone('Europe/Paris',"
                " (CASE WHEN s.date_maj >= ? AND s.date_maj <= ? THEN s.date_maj ELSE ? END)::TIMESTAMP)"
                " FROM structures s WHERE s.id = v.structure_id AND v.import_run_id = ? AND v.valid_to IS NULL"
                " AND NOT EXISTS (SELECT 1 FROM structure_versions o WHERE o.structure_id = v.structure_id"
                " AND o.version_id <> v.version_id)",
                [EARLIEST_PLAUSIBLE_UPDATE, published, published, report.import_run_id],
            )


# -- the demo campaign ---------------------------------------------------------------------------

DEMO_CAMPAIGN = "Diagnostic 2026 (démonstration)"
DEMO_RESPONSES = 60
DEMO_DRAFTS = 5
DEMO_SURVEYORS = ("enqueteur-1", "enqueteur-2", "enqueteur-3")
_FIRST_NAMES = ("Nadia", "Julien", "Sophie", "Karim", "Élodie", "Thomas", "Aïcha", "Marc", "Léa", "Rémi", "Inès", "Hugo")
_LAST_NAMES = ("Martin", "Bernard", "Dubois", "Moreau", "Laurent", "Girard", "Lefèvre", "Mercier", "Rousseau", "Vincent")
_FUNCTIONS = ("Directrice", "Responsable de l'accueil", "Conseiller numérique", "Médiatrice", "Coordinateur", "Bénévole")


def _pick(rng: random.Random, codes: list[str], low: int, high: int) -> list[str]:
    return sorted(rng.sample(codes, rng.randint(low, min(high, len(codes)))), key=codes.index)


def _shares(rng: random.Random, count: int, share: float) -> list[bool]:
    """``count`` booleans of which exactly ``round(count * share)`` are true, shuffled."""
    trues = round(count * share)
    flags = [True] * trues + [False] * (count - trues)
    rng.shuffle(flags)
    return flags


def demo_answers(
    rng: random.Random, structure: dict[str, Any], *, partnership: bool, mobility: bool, can_redirect: bool
) -> dict[str, Any]:
    """Plausible answers of one structure to the default questionnaire."""
    questionnaire = default_questionnaire()
    choices = {q.code: [c.code for c in q.choix] for q in questionnaire.questions()}
    answers: dict[str, Any] = {}
    if not structure.get("services"):
        answers["services"] = _pick(rng, choices["services"], 1, 3)
    if not structure.get("horaires") and rng.random() < 0.5:
        answers["horaires"] = "Mo-Fr 09:00-12:00,14:00-17:00"
    answers["debut_mediation"] = date(rng.randint(2005, 2024), rng.randint(1, 12), 1).isoformat()
    answers["personnes_par_mois"] = str(rng.choice([5, 10, 15, 20, 30, 40, 60, 80, 120]))
    salaries = rng.randint(0, 6)
    answers["salaries"] = str(salaries)
    answers["conseillers_numeriques"] = str(rng.randint(0, min(salaries, 2)))
    answers["benevoles"] = str(rng.choice([0, 0, 1, 2, 3, 5, 8]))
    equipements = _pick(rng, [c for c in choices["equipements"] if c != "aucun"], 1, 4)
    answers["equipements"] = equipements
    if "postes" in equipements:
        answers["postes"] = str(rng.randint(2, 12))
    answers["interesse_partenariat"] = partnership
    partenaires = _pick(rng, [c for c in choices["partenaires"] if c not in ("aucun", "autre")], 0, 3)
    answers["partenaires"] = partenaires or ["aucun"]
    if partenaires:
        answers["convention"] = rng.random() < 0.4
    answers["peut_orienter"] = can_redirect
    if can_redirect:
        answers["orientation_vers"] = _pick(rng, [c for c in choices["orientation_vers"] if c != "autre"], 1, 2)
    else:
        answers["raison_non_orientation"] = rng.choice(
            ["Nous ne connaissons pas les autres lieux du territoire.", "Il manque un annuaire à jour des acteurs.",
             "Les lieux proches ne prennent pas de nouveaux publics."]
        )
    answers["mobilite_frein"] = mobility
    answers["autres_freins"] = _pick(rng, choices["autres_freins"], 0, 3)
    answers["besoins"] = _pick(rng, choices["besoins"], 1, 3)
    if "formation" in answers["besoins"]:
        answers["besoins_formation"] = "Accompagnement aux démarches en ligne et cybersécurité."
    answers["consentement_open_data"] = rng.random() < 0.9
    answers["contact_nom"] = f"{rng.choice(_FIRST_NAMES)} {rng.choice(_LAST_NAMES)}"
    answers["contact_fonction"] = rng.choice(_FUNCTIONS)
    return answers


def load_demo_campaign(store: Store, *, by: str = "demo", seed: int = 2026) -> str:
    """The demo campaign under the default questionnaire: sixty responses given over the last six
    weeks and a few drafts in progress, on demo structures; returns the campaign id. The responses
    have the proportions of a real diagnostic: 58 % interested in partnerships, 57 % citing users'
    mobility as a blocker, 33 % unable to redirect a person they cannot help."""
    rng = random.Random(seed)
    total = DEMO_RESPONSES + DEMO_DRAFTS
    partnership, mobility = _shares(rng, total, 0.58), _shares(rng, total, 0.57)
    redirect = _shares(rng, total, 0.67)
    paris = ZoneInfo("Europe/Paris")
    today = date.today()
    with store.atomic() as con:
        stored = publish_questionnaire(con, default_questionnaire(), by=by)
        campaign_id = create_campaign(
            con, nom=DEMO_CAMPAIGN, questionnaire_id=stored.id,
            date_debut=today - timedelta(days=45), date_fin=today + timedelta(days=30), by=by,
        )
        structures = find_structures(con, limit=None)
        chosen = rng.sample(structures, min(len(structures), total))
        for index, structure in enumerate(chosen):
            surveyor = DEMO_SURVEYORS[index % len(DEMO_SURVEYORS)]
            draft = open_draft(con, structure_id=structure["id"], campaign_id=campaign_id, surveyor=surveyor, by=surveyor)
            answers = demo_answers(rng, structure, partnership=partnership[index], mobility=mobility[index],
                                   can_redirect=redirect[index])
            if index >= DEMO_RESPONSES:  # a draft in progress: the first sections only
                answers = {k: v for k, v in list(answers.items())[: rng.randint(3, 8)]}
            save_answers(con, draft.id, answers, session_id="demo", by=surveyor)
            if index < DEMO_RESPONSES:
                day = today - timedelta(days=rng.randint(0, 41))
                moment = datetime.combine(day, time(rng.randint(9, 17), rng.randint(0, 59)), tzinfo=paris)
                moment = min(moment, utc_now() - timedelta(minutes=5))  # loaded in the morning: never in the future
                outcome = submit_in_transaction(con, draft.id, by=surveyor, today=today, submitted_at=moment)
                if outcome.response_id is None:  # the generator and the questionnaire disagree: say so loudly
                    raise RuntimeError(f"demo response refused: {outcome.errors}")
        load_demo_calls(con, campaign_id, chosen, rng, by=by)
    load_demo_relances(store, campaign_id, by=by)
    return campaign_id


DEMO_RELANCE_DAYS_AGO = 9


def load_demo_relances(store: Store, campaign_id: str, *, by: str) -> int:
    """The demo's relances: the structures never reached after three attempts, or that promised
    to answer, were mailed nine days ago (an export for the organisation's mailer); returns how
    many. Their next relance is possible since two days (7 days apart, 2 at most)."""
    import tempfile

    from collect.relances.batches import prepare_batch
    from collect.relances.export import export_batch
    from collect.relances.selection import relance_candidates

    sent_at = utc_now() - timedelta(days=DEMO_RELANCE_DAYS_AGO)
    with store.connect() as con:
        chosen = relance_candidates(con, campaign_id, ["sans_contact", "promesse"], min_attempts=3, now=sent_at)
    ids = [candidate.structure_id for candidate in chosen.candidates]
    if not ids:
        return 0
    batch_id = prepare_batch(store, campaign_id, ids, canal="export", by=by, now=sent_at)
    with tempfile.TemporaryDirectory(prefix="maillage-demo-") as folder:
        export_batch(store, batch_id, Path(folder) / "relances.zip", by=by)
    with store.atomic() as con:  # the demo's batch went out nine days ago, not at load time
        con.execute("UPDATE relances SET sent_at = ?, created_at = ? WHERE batch_id = ?", [sent_at, sent_at, batch_id])
    return len(ids)


# Outcomes of the calls to structures that have not answered yet, in plausible shares.
_DEMO_OUTCOMES = {
    "pas_de_reponse": 34, "repondeur_message": 12, "repondeur_sans_message": 8, "occupe": 6, "rappel": 10,
    "rendez_vous": 3, "refus_doux": 5, "refus_ferme": 3, "abandon": 2, "mauvais_numero": 3, "numero_inexistant": 2,
    "non_eligible": 3, "autre": 2,
}
DEMO_TARGET_DEPARTEMENTS = ("16", "988")  # Charente and Nouvelle-Calédonie, beside the structures already surveyed
DEMO_UNASSIGNED = 12


def _call_time(rng: random.Random, zone: str, days_ago: int, now: datetime) -> datetime:
    """A weekday moment within calling hours in the structure's own zone, ``days_ago`` days back,
    never after ``now``."""
    day = now.astimezone(ZoneInfo(zone)).date() - timedelta(days=days_ago)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    moment = datetime.combine(day, time(rng.randint(9, 17), rng.randint(0, 59)), tzinfo=ZoneInfo(zone))
    return min(moment, now - timedelta(minutes=rng.randint(5, 90)))


# Long: a scripted demo scenario (targets, assignments, weeks of calls), read top to bottom like a story.
def load_demo_calls(
    con: duckdb.DuckDBPyConnection, campaign_id: str, surveyed: list[dict[str, Any]], rng: random.Random, *, by: str
) -> None:
    """The call side of the demo campaign: targets (the surveyed structures, plus every structure of
    Charente and Nouvelle-Calédonie), surveyors' assignments, a few weeks of call attempts with
    realistic outcomes, call-backs (some late, some to come) and structures never called yet."""
    from collect.calls import (
        CallAttempt,
        add_targets,
        assign,
        configure_campaign,
        load_cases,
        log_attempts,
        plan_balanced_assignment,
    )
    from collect.campaigns import get_campaign
    from models.campaign_rules import CampaignRules
    from models.saved_filters import StructureFilter, structure_ids_matching

    now = utc_now()
    campaign = get_campaign(con, campaign_id)
    configure_campaign(con, campaign_id, **CampaignRules.of(campaign).model_dump(), by=by)
    surveyed_ids = [structure["id"] for structure in surveyed]
    add_targets(con, campaign_id, surveyed_ids, by=by)
    add_targets(con, campaign_id, structure_ids_matching(
        con, [StructureFilter(departement=code) for code in DEMO_TARGET_DEPARTEMENTS]), by=by)
    con.execute(  # the demo's targets were chosen when its campaign began, not at load time
        "UPDATE campaign_targets SET created_at = timezone('Europe/Paris', ?::TIMESTAMP) WHERE campaign_id = ?",
        [campaign["date_debut"], campaign_id])
    for index, surveyor in enumerate(DEMO_SURVEYORS):
        assign(con, campaign_id, surveyed_ids[index::len(DEMO_SURVEYORS)], surveyor, by=by)
    open_ids = [c.structure_id for c in load_cases(con, campaign_id) if c.surveyor is None]
    plan = plan_balanced_assignment(con, campaign_id, DEMO_SURVEYORS, structure_ids=open_ids[DEMO_UNASSIGNED:])
    for surveyor, share in plan.items():
        assign(con, campaign_id, share, surveyor, by=by)
    cases = {c.structure_id: c for c in load_cases(con, campaign_id)}
    responses = {row["structure_id"]: row for row in fetch_dicts(
        con, "SELECT structure_id, surveyor, submitted_at FROM responses WHERE campaign_id = ?", [campaign_id])}
    outcomes, weights = list(_DEMO_OUTCOMES), list(_DEMO_OUTCOMES.values())
    calls: dict[str, list[CallAttempt]] = {surveyor: [] for surveyor in DEMO_SURVEYORS}  # each surveyor logs theirs
    for structure_id, case in cases.items():
        surveyor = case.surveyor or rng.choice(DEMO_SURVEYORS)
        response = responses.get(structure_id)
        if response is not None:  # a few unanswered calls before the interview
            done = response["submitted_at"]
            for n in range(rng.choice([0, 0, 1, 1, 2, 3]), 0, -1):
                at = done - timedelta(days=n * rng.randint(1, 3), hours=rng.randint(0, 3))
                machine = "repondeur_message" if n <= MAX_ANSWERING_MACHINE_MESSAGES else "repondeur_sans_message"
                calls[response["surveyor"]].append(CallAttempt(
                    structure_id, rng.choice(["pas_de_reponse", "occupe", machine]), response["surveyor"], at))
            continue  # the submission itself logged the interview (collect.calls.record_interview)
        if structure_id in surveyed_ids:  # a draft in progress: the interview was cut short
            calls[surveyor].append(CallAttempt(structure_id, "partielle", surveyor,
                                               _call_time(rng, case.timezone, rng.randint(1, 6), now)))
            continue
        if case.surveyor is None or rng.random() < 0.3:
            continue  # never called yet
        at = _call_time(rng, case.timezone, rng.randint(3, 40), now)
        messages = 0
        for _ in range(rng.randint(1, 5)):
            outcome = rng.choices(outcomes, weights)[0]
            if outcome == "repondeur_message":
                messages += 1
                if messages > MAX_ANSWERING_MACHINE_MESSAGES:
                    outcome = "repondeur_sans_message"
            callback = None
            if outcome in CALLBACK_OUTCOMES:
                zone = ZoneInfo(case.timezone)
                day = at.astimezone(zone).date() + timedelta(days=rng.randint(1, 7))
                callback = datetime.combine(day, time(rng.choice([9, 10, 14, 16])), tzinfo=zone)
            calls[surveyor].append(CallAttempt(structure_id, outcome, surveyor, at, callback))
            if OUTCOME_RULES[outcome].retry_after is None:
                break
            if callback is not None:
                if callback > now or rng.random() < 0.15:
                    break  # a call-back to come, or one the surveyor missed (late on the coordinator's page)
                at = callback + timedelta(minutes=rng.randint(0, 20))
            else:
                days = (now - at).days
                if days < 1:
                    break
                at = _call_time(rng, case.timezone, max(0, days - rng.randint(1, min(days, 6))), now)
            if at >= now:
                break
    for surveyor, attempts in calls.items():
        log_attempts(con, campaign_id, attempts, by=surveyor)
