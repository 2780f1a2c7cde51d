"""Survey indicators: closed questions counted from the latest responses, headline figures."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from collect.campaigns import create_campaign
from collect.questionnaire import default_questionnaire, questionnaire_from_dict
from collect.surveys import list_responses, publish_questionnaire
from dashboards.filters import DashboardFilters
from dashboards.indicators import (
    closed_questions,
    committee_codes,
    headline_indicators,
    publishable_answers,
    responses_in_scope,
)
from models.registry import create_structure

AIDE = "Aide aux démarches administratives"
ANSWERS = [  # four structures; the first one corrected its answer (only the correction counts)
    {"interesse_partenariat": True, "mobilite_frein": True, "peut_orienter": False, "services": [AIDE],
     "partenaires": ["ccas", "mediatheque"], "contact_nom": "Jeanne Martin"},
    {"interesse_partenariat": True, "mobilite_frein": False, "peut_orienter": True},
    {"interesse_partenariat": False, "mobilite_frein": True, "peut_orienter": True, "partenaires": ["ccas"]},
    {"mobilite_frein": True},
]


@pytest.fixture
def surveyed(store):
    with store.atomic() as con:
        stored = publish_questionnaire(con, default_questionnaire(), by="t")
        campaign_id = create_campaign(con, nom="Diagnostic", questionnaire_id=stored.id, by="t")
        for index, answers in enumerate(ANSWERS):
            structure, issues = create_structure(con, {
                "nom": f"Lieu {index}", "commune": "Cognac", "code_postal": "16100", "adresse": "1 rue",
                "date_maj": "2026-01-01", "services": [AIDE, "Maîtrise des outils numériques du quotidien"]}, by="t")
            assert structure is not None, issues
            first = f"r{index}"
            _response(con, first, structure.id, campaign_id, stored.id, answers if index else {**answers, "mobilite_frein": False})
            if index == 0:  # a correction supersedes the first answer
                _response(con, "r0-bis", structure.id, campaign_id, stored.id, answers, supersedes=first, revision=2)
    return campaign_id


def _response(con, response_id, structure_id, campaign_id, questionnaire_id, answers, *, supersedes=None, revision=1):
    con.execute(
        "INSERT INTO responses (id, structure_id, campaign_id, questionnaire_id, surveyor, revision, supersedes, answers,"
        " submitted_at, created_at, updated_at, updated_by) VALUES (?, ?, ?, ?, 'alice', ?, ?, ?, now(), now(), now(), 't')",
        [response_id, structure_id, campaign_id, questionnaire_id, revision, supersedes, json.dumps(answers)],
    )


def test_the_headline_figures_of_a_diagnostic(store, surveyed):
    with store.connect() as con:
        figures = headline_indicators(con, surveyed)
    assert figures["Structures enquêtées"] == 4
    assert figures["Intéressées par un partenariat"] == pytest.approx(2 / 3)  # 3 answered, 2 yes
    assert figures["Citent la mobilité des publics comme frein"] == pytest.approx(3 / 4)  # the correction says yes
    assert figures["Ne peuvent pas réorienter une personne qu'elles ne peuvent pas aider"] == pytest.approx(1 / 3)
    assert figures["Services par acteur"] == pytest.approx((1 + 2 + 2 + 2) / 4)  # answer, else the registry


def test_every_closed_question_is_counted_and_no_personal_data_appears(store, surveyed):
    with store.connect() as con:
        questions = {question.code: question for question in closed_questions(con, surveyed)}
    assert "contact_nom" not in questions and "raison_non_orientation" not in questions  # personal / free text
    mobility = questions["mobilite_frein"]
    assert mobility.answered == 4
    assert {row["Réponse"]: row["Structures"] for row in mobility.rows} == {"Oui": 3, "Non": 1}
    partners = questions["partenaires"]
    assert partners.multiple and partners.answered == 2
    shares = {row["Réponse"]: row["Part"] for row in partners.rows if row["Structures"]}
    assert len(shares) == 2 and sorted(shares.values()) == [0.5, 1.0]  # CCAS twice, médiathèque once
    assert all(question.rows for question in questions.values())  # every choice listed, even at 0


# -- the responses in scope ------------------------------------------------------------------------

PARIS = ZoneInfo("Europe/Paris")
PARTNERS = "partenaires_precisions"
PARTNERS_LABEL = "Précisez les partenaires (noms, nature du partenariat)"


def paris(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=PARIS)


def _dated_response(con, response_id, structure_id, campaign_id, questionnaire_id, answers, submitted_at, *,
                    supersedes=None, revision=1):
    con.execute(
        "INSERT INTO responses (id, structure_id, campaign_id, questionnaire_id, surveyor, revision, supersedes,"
        " answers, submitted_at, created_at, updated_at, updated_by)"
        " VALUES (?, ?, ?, ?, 'alice', ?, ?, ?, ?, ?, ?, 't')",
        [response_id, structure_id, campaign_id, questionnaire_id, revision, supersedes, json.dumps(answers),
         submitted_at, submitted_at, submitted_at],
    )


@pytest.fixture
def dated(store):
    """Three structures of a campaign: Cognac answered on 5 October and corrected its answer on 20
    November, Jarnac answered on 20 October, Angoulême on 10 November (Paris time)."""
    with store.atomic() as con:
        stored = publish_questionnaire(con, default_questionnaire(), by="t")
        campaign_id = create_campaign(con, nom="Diagnostic", questionnaire_id=stored.id, by="t")
        ids = {}
        for name, commune, code_postal in (("cognac", "Cognac", "16100"), ("jarnac", "Jarnac", "16200"),
                                            ("angouleme", "Angoulême", "16000")):
            structure, issues = create_structure(con, {"nom": f"Médiathèque de {commune}", "commune": commune,
                                                       "code_postal": code_postal, "adresse": "1 rue"}, by="t")
            assert structure is not None, issues
            ids[name] = structure.id

        def respond(response_id, name, answers, at, **kwargs):
            _dated_response(con, response_id, ids[name], campaign_id, stored.id, answers, at, **kwargs)

        respond("r-cognac", "cognac", {PARTNERS: "La mairie, pour les ateliers."}, paris(10, 5))
        respond("r-jarnac", "jarnac", {PARTNERS: "  "}, paris(10, 20, 14))
        respond("r-angouleme", "angouleme", {PARTNERS: "Le CCAS : permanences communes."}, paris(11, 10, 16))
        respond("r-cognac-2", "cognac", {PARTNERS: "La mairie et la CAF."}, paris(11, 20),
                supersedes="r-cognac", revision=2)
    return {"campaign": campaign_id, "questionnaire": stored.id, **ids}


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        pytest.param({}, ["r-cognac-2", "r-angouleme", "r-jarnac"], id="every latest revision, newest first"),
        pytest.param({"structure_ids": {"cognac", "angouleme"}}, ["r-cognac-2", "r-angouleme"],
                     id="only the structures in scope"),
        pytest.param({"structure_ids": set()}, [], id="no structure in scope: no response"),
        pytest.param({"since": paris(10, 15)}, ["r-angouleme", "r-jarnac"],
                     id="a correction keeps the place of the first submission"),
        pytest.param({"until": paris(10, 15)}, ["r-cognac-2"],
                     id="a structure first submitted in the period is shown by its latest revision"),
        pytest.param({"since": paris(10, 20, 14), "until": paris(11, 10, 16)}, ["r-jarnac"],
                     id="from since included to until excluded"),
        pytest.param({"structure_ids": {"jarnac", "angouleme"}, "until": paris(11, 1)}, ["r-jarnac"],
                     id="structures and period together"),
    ],
)
def test_the_responses_in_scope_are_latest_revisions_of_structures_first_submitted_in_the_period(store, dated, scope,
                                                                                                 expected):
    if "structure_ids" in scope:
        scope = {**scope, "structure_ids": {dated[name] for name in scope["structure_ids"]}}
    with store.connect() as con:
        found = responses_in_scope(con, dated["campaign"], **scope)
    assert [row["id"] for row in found] == expected


def test_the_period_of_the_filters_counts_whole_days(store, dated):
    filters = DashboardFilters(du=date(2026, 10, 20), au=date(2026, 11, 10))
    with store.connect() as con:
        found = responses_in_scope(con, dated["campaign"], since=filters.start_instant(PARIS),
                                   until=filters.end_instant(PARIS))
        a_day_shorter = responses_in_scope(con, dated["campaign"], since=filters.start_instant(PARIS),
                                           until=filters.end_instant(PARIS) - timedelta(days=1))
    assert [row["id"] for row in found] == ["r-angouleme", "r-jarnac"]  # 10 November 16:00 is in
    assert [row["id"] for row in a_day_shorter] == ["r-jarnac"]


# -- publishable answers ----------------------------------------------------------------------------


def test_the_default_questionnaire_publishes_only_the_partners_details():
    assert [question.code for question in default_questionnaire().questions() if question.publiable] == [PARTNERS]


def test_publishable_answers_are_the_latest_texts_without_the_structure_s_name(store, dated):
    with store.connect() as con:
        rows = publishable_answers(con, dated["campaign"])
    assert rows == [  # sorted; the blank answer and the corrected text are left out
        {"Question": PARTNERS_LABEL, "Réponse": "La mairie et la CAF."},
        {"Question": PARTNERS_LABEL, "Réponse": "Le CCAS : permanences communes."},
    ]
    assert not any("Médiathèque" in value for row in rows for value in row.values())


def test_publishable_answers_over_a_subset_of_responses(store, dated):
    with store.connect() as con:
        responses = responses_in_scope(con, dated["campaign"], until=paris(10, 15))
        assert publishable_answers(con, dated["campaign"], responses) == [
            {"Question": PARTNERS_LABEL, "Réponse": "La mairie et la CAF."}]


PUBLISHING = {
    "code": "publication", "titre": "Ce qui se publie",
    "sections": [{"code": "s", "titre": "Section", "questions": [
        {"code": "attentes", "type": "texte_long", "libelle": "Vos attentes", "publiable": True},
        {"code": "idee", "type": "texte", "libelle": "Une idée", "publiable": True},
        {"code": "remarque", "type": "texte_long", "libelle": "Remarque interne"},
        {"code": "temoignage", "type": "texte_long", "libelle": "Témoignage signé", "publiable": True,
         "personnel": True},
        {"code": "satisfait", "type": "oui_non", "libelle": "Satisfait ?", "publiable": True},
        {"code": "theme", "type": "choix_unique", "libelle": "Thème", "publiable": True,
         "choix": ["Accès", "Usages"]},
    ]}],
}


def test_only_free_texts_marked_publiable_and_not_personal_are_published(store):
    with store.atomic() as con:
        stored = publish_questionnaire(con, questionnaire_from_dict(PUBLISHING), by="t")
        campaign_id = create_campaign(con, nom="Publication", questionnaire_id=stored.id, by="t")
        structure, issues = create_structure(con, {"nom": "CCAS de Jarnac", "commune": "Jarnac", "code_postal": "16200",
                                                   "adresse": "1 rue"}, by="t")
        assert structure is not None, issues
        _response(con, "r1", structure.id, campaign_id, stored.id, {
            "attentes": "Un annuaire des lieux.", "idee": "Un café numérique", "remarque": "Accueil difficile.",
            "temoignage": "Jeanne Martin, directrice", "satisfait": True, "theme": "acces"})
        assert publishable_answers(con, campaign_id) == [
            {"Question": "Vos attentes", "Réponse": "Un annuaire des lieux."},
            {"Question": "Une idée", "Réponse": "Un café numérique"},
        ]


# -- the indicators of a subset --------------------------------------------------------------------


def _ids_of(con, campaign_id, *names):
    return {row["structure_id"] for row in list_responses(con, campaign_id=campaign_id)
            if row["structure_nom"] in names}


def test_closed_questions_and_headline_figures_over_the_responses_in_scope(store, surveyed):
    with store.connect() as con:
        responses = responses_in_scope(con, surveyed, structure_ids=_ids_of(con, surveyed, "Lieu 0", "Lieu 2"))
        questions = {question.code: question for question in closed_questions(con, surveyed, responses)}
        figures = headline_indicators(con, surveyed, responses)
    assert len(responses) == 2 and {row["revision"] for row in responses} == {1, 2}  # Lieu 0 by its correction
    assert {row["Réponse"]: row["Structures"] for row in questions["mobilite_frein"].rows} == {"Oui": 2, "Non": 0}
    assert questions["partenaires"].answered == 2
    assert {row["Réponse"]: row["Part"] for row in questions["partenaires"].rows if row["Structures"]} == {
        "CCAS ou CIAS": 1.0, "Médiathèque ou bibliothèque": 0.5}
    assert figures == {
        "Structures enquêtées": 2,
        "Intéressées par un partenariat": 0.5,
        "Citent la mobilité des publics comme frein": 1.0,
        "Ne peuvent pas réorienter une personne qu'elles ne peuvent pas aider": 0.5,
        "Services par acteur": 1.5,  # Lieu 0 answered one service, Lieu 2 has two in the registry
    }


def test_no_response_in_scope_gives_empty_figures(store, surveyed):
    with store.connect() as con:
        questions = closed_questions(con, surveyed, [])
        figures = headline_indicators(con, surveyed, [])
    assert all(question.answered == 0 and all(row["Part"] is None for row in question.rows) for question in questions)
    assert figures == {
        "Structures enquêtées": 0,
        "Intéressées par un partenariat": None,
        "Citent la mobilité des publics comme frein": None,
        "Ne peuvent pas réorienter une personne qu'elles ne peuvent pas aider": None,
        "Services par acteur": None,
    }


def test_the_committee_reads_only_closed_publishable_and_headline_answers(store, surveyed):
    personal = [q.code for s in default_questionnaire().sections for q in s.questions if q.personnel]
    with store.connect() as con:
        codes = committee_codes(con, surveyed)
        picked = responses_in_scope(con, surveyed, codes=codes)
        whole = responses_in_scope(con, surveyed)
        assert headline_indicators(con, surveyed, picked) == headline_indicators(con, surveyed)
    assert personal and not set(personal) & set(codes)
    assert {"partenaires_precisions", "interesse_partenariat", "services"} <= set(codes)
    assert all(not set(row["answers"]) - set(codes) for row in picked)
    assert any("contact_nom" in row["answers"] for row in whole)  # the answers do hold personal data
    assert [{k: v for k, v in row["answers"].items() if k in codes} for row in whole] == [row["answers"] for row in picked]
