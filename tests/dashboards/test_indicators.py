"""Survey indicators: closed questions counted from the latest responses, headline figures."""

from __future__ import annotations

import json

import pytest

from collect.questionnaire import default_questionnaire
from collect.surveys import create_campaign, publish_questionnaire
from dashboards.indicators import closed_questions, headline_indicators
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
