"""Responses as a table (and a French-Excel CSV): one line per response, one column per question.

The first columns say which response it is (structure, campaign, questionnaire version, revision,
surveyor, when — Paris time); then one column per question of every version met, a multiple-choice
question adding one ``code/choice`` column per choice holding 1 or 0. Notes are not questions, and
personal questions (the contact person) are never exported. Seeing the responses needs the right to
see personal data.
"""

from __future__ import annotations

import copy
import csv
import io
from datetime import UTC, datetime

import pytest

from collect.campaigns import create_campaign, set_campaign_questionnaire
from collect.questionnaire import questionnaire_from_dict
from collect.response_export import META_COLUMNS, export_responses_csv, responses_table
from collect.surveys import open_correction, open_draft, publish_questionnaire, save_answers, submit_draft
from models.access import AccessDenied, create_user
from models.registry import create_structure

RELEVE = {
    "code": "releve",
    "titre": "Relevé des lieux",
    "sections": [
        {
            "code": "lieu",
            "titre": "Le lieu",
            "questions": [
                {"code": "intro", "type": "note", "libelle": "Merci de prendre quelques minutes."},
                {"code": "ouvert_samedi", "type": "oui_non", "libelle": "Ouvert le samedi ?"},
                {"code": "equipements", "type": "choix_multiple", "libelle": "Équipements",
                 "choix": [{"postes": "Postes"}, {"wifi": "Wi-Fi"}, {"salle": "Salle"}]},
                {"code": "salaries", "type": "entier", "libelle": "Salariés"},
                {"code": "budget", "type": "decimal", "libelle": "Budget annuel"},
                {"code": "ouverture", "type": "date", "libelle": "Date d'ouverture"},
                {"code": "referent", "type": "texte", "libelle": "Référent numérique"},
            ],
        },
        {
            "code": "contact",
            "titre": "La personne contact",
            "questions": [
                {"code": "contact_nom", "type": "texte", "libelle": "Nom", "personnel": True},
                {"code": "contact_telephone", "type": "telephone", "libelle": "Téléphone", "personnel": True},
                {"code": "contact_courriel", "type": "courriel", "libelle": "E-mail", "personnel": True},
            ],
        },
    ],
}
QUESTION_COLUMNS = ["ouvert_samedi", "equipements", "equipements/postes", "equipements/wifi", "equipements/salle",
                    "salaries", "budget", "ouverture", "referent"]
PERSONAL = {"contact_nom": "Paul Personne", "contact_telephone": "05 45 36 19 50",
            "contact_courriel": "paul.personne@example.org"}
COGNAC = {"nom": "Médiathèque de Cognac", "commune": "Cognac", "code_postal": "16100", "adresse": "10 rue du Minage",
          "code_insee": "16102", "date_maj": "2024-01-10"}
JARNAC = {"nom": "Espace numérique de Jarnac", "commune": "Jarnac", "code_postal": "16200",
          "adresse": "3 rue des Chais", "code_insee": "16167", "date_maj": "2024-01-10"}


@pytest.fixture
def releve(store):
    """Two lieux, the questionnaire published and a campaign « Relevé 2026 » under it."""
    with store.atomic() as con:
        cognac = create_structure(con, COGNAC, by="t")[0].id
        jarnac = create_structure(con, JARNAC, by="t")[0].id
        stored = publish_questionnaire(con, questionnaire_from_dict(RELEVE), by="t")
        campaign_id = create_campaign(con, nom="Relevé 2026", questionnaire_id=stored.id, by="t")
    return {"cognac": cognac, "jarnac": jarnac, "campaign_id": campaign_id, "questionnaire_id": stored.id}


def respond(store, structure_id, campaign_id, answers, *, surveyor="alice", at=None):
    """A response submitted by ``surveyor`` with ``answers``; its id."""
    with store.atomic() as con:
        draft = open_draft(con, structure_id=structure_id, campaign_id=campaign_id, surveyor=surveyor, by=surveyor)
        save_answers(con, draft.id, answers, session_id="onglet", by=surveyor)
    outcome = submit_draft(store, draft.id, by=surveyor, submitted_at=at)
    assert outcome.response_id, outcome.errors
    return outcome.response_id


def test_the_columns_are_the_response_s_facts_then_one_per_question_and_one_per_choice(store, releve):
    respond(store, releve["cognac"], releve["campaign_id"], {"ouvert_samedi": True})
    columns, _ = responses_table(store, by="t")
    assert columns == [*META_COLUMNS, *QUESTION_COLUMNS]
    assert list(META_COLUMNS) == ["id_reponse", "structure", "commune", "code_insee", "campagne", "questionnaire",
                                  "version", "revision", "remplace", "enqueteur", "soumise_le"]


def test_a_row_says_which_response_it_is_and_when_it_was_given_in_paris_time(store, releve):
    at = datetime(2026, 7, 1, 7, 30, tzinfo=UTC)  # 9:30 in Paris (summer time)
    response_id = respond(store, releve["cognac"], releve["campaign_id"], {"ouvert_samedi": True}, surveyor="bob", at=at)
    _, (row,) = responses_table(store, by="t")
    assert {column: row[column] for column in META_COLUMNS} == {
        "id_reponse": response_id, "structure": "Médiathèque de Cognac", "commune": "Cognac", "code_insee": "16102",
        "campagne": "Relevé 2026", "questionnaire": "releve", "version": 1, "revision": 1, "remplace": None,
        "enqueteur": "bob", "soumise_le": datetime(2026, 7, 1, 9, 30),
    }


@pytest.mark.parametrize(
    ("answers", "cells"),
    [
        pytest.param({"equipements": ["postes", "salle"]},
                     {"equipements": "Postes, Salle", "equipements/postes": 1, "equipements/wifi": 0,
                      "equipements/salle": 1}, id="chosen choices are 1, the others 0"),
        pytest.param({"ouvert_samedi": True},
                     {"equipements": None, "equipements/postes": None, "equipements/wifi": None,
                      "equipements/salle": None}, id="a multiple choice left unanswered is empty, not 0"),
        pytest.param({"ouvert_samedi": False}, {"ouvert_samedi": "Non"}, id="yes or no in words"),
        pytest.param({"salaries": "3", "budget": "1500,5"}, {"salaries": 3, "budget": 1500.5},
                     id="numbers stay numbers"),
        pytest.param({"ouverture": "2019-09-02"}, {"ouverture": "02/09/2019"}, id="a date as dd/mm/yyyy"),
        pytest.param({"referent": "Espace jeunesse"}, {"referent": "Espace jeunesse", "salaries": None},
                     id="a text as given, an unanswered question empty"),
    ],
)
def test_each_answer_is_exported_as_a_spreadsheet_reads_it(store, releve, answers, cells):
    respond(store, releve["cognac"], releve["campaign_id"], answers)
    _, (row,) = responses_table(store, by="t")
    assert {column: row[column] for column in cells} == cells


@pytest.mark.parametrize("question", sorted(PERSONAL))
def test_a_personal_answer_is_never_exported(store, releve, tmp_path, question):
    respond(store, releve["cognac"], releve["campaign_id"], {"ouvert_samedi": True, question: PERSONAL[question]})
    columns, (row,) = responses_table(store, by="t")
    assert not set(PERSONAL) & set(columns) and not set(PERSONAL) & set(row)
    out = tmp_path / "reponses.csv"
    assert export_responses_csv(store, out, by="t") == 1
    text = out.read_text(encoding="utf-8-sig")
    assert "Paul" not in text and "paul.personne" not in text and "45 36 19 50" not in text
    assert next(csv.reader(io.StringIO(text), delimiter=";")) == [*META_COLUMNS, *QUESTION_COLUMNS]


def test_only_the_campaign_asked_for_is_exported(store, releve):
    with store.atomic() as con:
        other = create_campaign(con, nom="Relevé 2027", questionnaire_id=releve["questionnaire_id"], by="t")
    respond(store, releve["cognac"], releve["campaign_id"], {"salaries": "1"})
    respond(store, releve["jarnac"], other, {"salaries": "2"})
    every = {row["campagne"]: row["structure"] for row in responses_table(store, by="t")[1]}
    assert every == {"Relevé 2026": "Médiathèque de Cognac", "Relevé 2027": "Espace numérique de Jarnac"}
    _, rows = responses_table(store, by="t", campaign_id=other)
    assert [(row["campagne"], row["salaries"]) for row in rows] == [("Relevé 2027", 2)]


@pytest.mark.parametrize("include_revisions", [False, True], ids=["latest revision only", "every revision"])
def test_a_corrected_response_exports_its_latest_revision_unless_every_revision_is_asked(
    store, releve, include_revisions
):
    first = respond(store, releve["cognac"], releve["campaign_id"], {"salaries": "1"})
    with store.atomic() as con:
        correction = open_correction(con, first, surveyor="bob", by="bob")
        save_answers(con, correction.id, {"salaries": "2"}, session_id="onglet", by="bob",
                     base_revisions={"salaries": correction.values["salaries"].revision})
    second = submit_draft(store, correction.id, by="bob").response_id
    _, rows = responses_table(store, by="t", include_revisions=include_revisions)
    exported = sorted((row["revision"], row["id_reponse"], row["remplace"], row["enqueteur"], row["salaries"])
                      for row in rows)
    latest = (2, second, first, "bob", 2)
    assert exported == ([(1, first, None, "alice", 1), latest] if include_revisions else [latest])


def test_responses_made_under_two_versions_export_side_by_side(store, releve):
    respond(store, releve["cognac"], releve["campaign_id"], {"salaries": "1"})
    v2 = copy.deepcopy(RELEVE)
    v2["sections"][0]["questions"].append({"code": "horaires_ete", "type": "texte", "libelle": "Horaires d'été"})
    with store.atomic() as con:
        stored = publish_questionnaire(con, questionnaire_from_dict(v2), by="t")
        set_campaign_questionnaire(con, releve["campaign_id"], stored.id, by="t")
    respond(store, releve["jarnac"], releve["campaign_id"], {"salaries": "2", "horaires_ete": "Fermé en août"})
    columns, rows = responses_table(store, by="t")
    assert columns == [*META_COLUMNS, *QUESTION_COLUMNS, "horaires_ete"]
    by_version = {row["version"]: row for row in rows}
    assert (by_version[1]["salaries"], by_version[1].get("horaires_ete")) == (1, None)
    assert (by_version[2]["salaries"], by_version[2]["horaires_ete"]) == (2, "Fermé en août")


def test_a_question_made_personal_in_a_later_version_is_not_exported(store, releve, tmp_path):
    respond(store, releve["cognac"], releve["campaign_id"], {"referent": "Espace jeunesse"})  # under v1: not personal
    v2 = copy.deepcopy(RELEVE)
    v2["sections"][0]["questions"][-1]["personnel"] = True  # « referent » now names a person
    with store.atomic() as con:
        stored = publish_questionnaire(con, questionnaire_from_dict(v2), by="t")
        set_campaign_questionnaire(con, releve["campaign_id"], stored.id, by="t")
    respond(store, releve["jarnac"], releve["campaign_id"], {"referent": "Jeanne Valjean"})
    out = tmp_path / "reponses.csv"
    export_responses_csv(store, out, by="t")
    assert "Jeanne Valjean" not in out.read_text(encoding="utf-8-sig")


def test_a_choice_added_by_a_later_version_gets_its_column_and_its_label(store, releve):
    respond(store, releve["cognac"], releve["campaign_id"], {"equipements": ["wifi"]})
    v2 = copy.deepcopy(RELEVE)
    v2["sections"][0]["questions"][2]["choix"].append({"imprimante": "Imprimante"})
    with store.atomic() as con:
        stored = publish_questionnaire(con, questionnaire_from_dict(v2), by="t")
        set_campaign_questionnaire(con, releve["campaign_id"], stored.id, by="t")
    respond(store, releve["jarnac"], releve["campaign_id"], {"equipements": ["postes", "imprimante"]})
    columns, rows = responses_table(store, by="t")
    assert "equipements/imprimante" in columns
    by_version = {row["version"]: row for row in rows}
    assert (by_version[2]["equipements"], by_version[2]["equipements/imprimante"]) == ("Postes, Imprimante", 1)
    assert by_version[1]["equipements/imprimante"] == 0


@pytest.mark.parametrize(
    ("role", "refusal"),
    [
        pytest.param("enqueteur", None, id="a surveyor may"),
        pytest.param("comite", "Accès refusé : un compte membre du comité de pilotage (camille) ne peut pas voir les "
                     "contacts et les réponses des structures.", id="the committee may not"),
    ],
)
def test_exporting_the_responses_needs_the_right_to_see_personal_data(store, releve, tmp_path, role, refusal):
    respond(store, releve["cognac"], releve["campaign_id"], {"salaries": "1"})
    with store.atomic() as con:
        create_user(con, "admin", nom="Alix Admin", role="admin", email="alix@example.org", by="installation")
        create_user(con, "camille", nom="Camille", role=role, email="camille@example.org", by="admin")
    out = tmp_path / "reponses.csv"
    if refusal is None:
        assert export_responses_csv(store, out, by="camille") == 1
    else:
        with pytest.raises(AccessDenied) as caught:
            export_responses_csv(store, out, by="camille")
        assert str(caught.value) == refusal
        assert not out.exists()
