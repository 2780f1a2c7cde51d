"""Follow-ups: what an action sets off elsewhere, read from one table, run in the action's own transaction."""

from __future__ import annotations

import pytest

from collect import follow_ups
from collect.campaigns import create_campaign
from collect.follow_ups import FOLLOW_UPS, ResponseSubmitted
from collect.questionnaire import questionnaire_from_dict
from collect.surveys import open_draft, publish_questionnaire, save_answer, submit_draft
from models.registry import create_structure

ONE_QUESTION = {"code": "mini", "titre": "Mini", "sections": [{"code": "s", "titre": "S", "questions": [
    {"code": "interesse", "type": "oui_non", "libelle": "Intéressé ?", "obligatoire": True}]}]}


@pytest.fixture
def answered_draft(store):
    """A draft of one structure whose only question is answered, ready to submit."""
    with store.atomic() as con:
        structure, _ = create_structure(con, {
            "nom": "CCAS de Cognac", "commune": "Cognac", "code_postal": "16100", "adresse": "1 rue Richard",
            "services": "Aide aux démarches administratives", "date_maj": "2026-01-10",
        }, by="test")
        stored = publish_questionnaire(con, questionnaire_from_dict(ONE_QUESTION), by="test")
        campaign_id = create_campaign(con, nom="Diagnostic", questionnaire_id=stored.id, by="test")
        draft = open_draft(con, structure_id=structure.id, campaign_id=campaign_id, surveyor="alice", by="alice")
        save_answer(con, draft.id, "interesse", True, base_revision=0, session_id="onglet", by="alice")
    return draft


def test_the_table_names_each_follow_up_of_a_submitted_response():
    assert [handler.__name__ for handler in FOLLOW_UPS[ResponseSubmitted.action]] == [
        "_log_the_interview_as_a_complete_call"
    ]


def test_a_submitted_response_logs_its_interview_as_a_complete_call(store, answered_draft):
    outcome = submit_draft(store, answered_draft.id, by="alice")

    assert outcome.response_id
    assert store.query("SELECT structure_id, outcome, surveyor FROM call_attempts") == [
        {"structure_id": answered_draft.structure_id, "outcome": "complete", "surveyor": "alice"}
    ]


def test_a_failing_follow_up_leaves_the_response_unsaved_too(store, answered_draft, monkeypatch):
    def refuse(con, event):
        raise RuntimeError("le suivi a échoué")

    monkeypatch.setitem(follow_ups.FOLLOW_UPS, ResponseSubmitted.action, (refuse,))

    with pytest.raises(RuntimeError, match="le suivi a échoué"):
        submit_draft(store, answered_draft.id, by="alice")

    assert store.query("SELECT count(*) AS n FROM responses") == [{"n": 0}]
    assert store.query("SELECT count(*) AS n FROM call_attempts") == [{"n": 0}]
