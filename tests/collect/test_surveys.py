"""Surveys: questionnaire versions, drafts saved field by field, immutable responses, registry write-back."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from collect.campaigns import create_campaign, set_campaign_questionnaire
from collect.questionnaire import default_questionnaire, questionnaire_from_dict
from collect.response_export import export_responses_csv, responses_table
from collect.surveys import (
    check_answers,
    draft_or_response,
    get_response,
    list_drafts,
    list_responses,
    load_draft,
    open_correction,
    open_draft,
    publish_questionnaire,
    save_answer,
    save_answers,
    set_draft_section,
    submit_draft,
)
from models.edits import open_conflicts
from models.registry import create_structure, get_structure, structure_history, update_structure

TODAY = date(2026, 11, 23)

SMALL = {
    "code": "mini",
    "titre": "Mini questionnaire",
    "sections": [
        {
            "code": "offre",
            "titre": "Offre",
            "questions": [
                {"code": "services", "type": "registre", "champ": "services", "obligatoire": True},
                {"code": "horaires", "type": "registre", "champ": "horaires"},
                {"code": "interesse", "type": "oui_non", "libelle": "Intéressé ?", "obligatoire": True},
                {"code": "pourquoi", "type": "texte_long", "libelle": "Pourquoi ?", "visible_si": "${interesse} = 'non'",
                 "obligatoire": True, "message_obligatoire": "Dites pourquoi."},
                {"code": "salaries", "type": "entier", "libelle": "Salariés", "min": 0, "max": 50},
                {"code": "cnfs", "type": "entier", "libelle": "Conseillers", "contrainte": ". <= ${salaries}",
                 "message_contrainte": "Pas plus que de salariés."},
                {"code": "contact", "type": "texte", "libelle": "Contact", "personnel": True},
                {"code": "equipements", "type": "choix_multiple", "libelle": "Équipements", "max_choix": 2,
                 "choix": [{"postes": "Postes"}, {"wifi": "Wi-Fi"}, {"salle": "Salle"}]},
            ],
        }
    ],
}


@pytest.fixture
def survey(store):
    """A structure, the small questionnaire published and a campaign."""
    with store.atomic() as con:
        structure, _ = create_structure(con, {
            "nom": "Médiathèque de Cognac", "commune": "Cognac", "code_postal": "16100", "adresse": "10 rue du Minage",
            "services": "Aide aux démarches administratives", "date_maj": "2024-01-10",
        }, by="test")
        stored = publish_questionnaire(con, questionnaire_from_dict(SMALL), by="test")
        campaign_id = create_campaign(con, nom="Diagnostic", questionnaire_id=stored.id, by="test")
        draft = open_draft(con, structure_id=structure.id, campaign_id=campaign_id, surveyor="alice", by="alice")
    return {"structure_id": structure.id, "campaign_id": campaign_id, "questionnaire": stored, "draft_id": draft.id}


def save(store, draft_id, code, value, *, base=0, session="onglet-1"):
    with store.atomic() as con:
        return save_answer(con, draft_id, code, value, base_revision=base, session_id=session, by="alice")


def test_publishing_the_same_questionnaire_twice_keeps_one_version(store):
    with store.atomic() as con:
        first = publish_questionnaire(con, default_questionnaire(), by="t")
        again = publish_questionnaire(con, default_questionnaire(), by="t")
        changed = default_questionnaire().model_copy(update={"titre": "Diagnostic 2027"})
        second = publish_questionnaire(con, changed, by="t")
    assert (first.id, first.version) == (again.id, 1)
    assert second.version == 2 and second.id != first.id


def test_a_draft_is_one_per_structure_campaign_and_surveyor(store, survey):
    with store.atomic() as con:
        same = open_draft(con, structure_id=survey["structure_id"], campaign_id=survey["campaign_id"], surveyor="alice", by="alice")
        other = open_draft(con, structure_id=survey["structure_id"], campaign_id=survey["campaign_id"], surveyor="bob", by="bob")
    assert same.id == survey["draft_id"] and other.id != survey["draft_id"]


def _opened(store, survey, surveyor, draft_id=None):
    return store.transaction(lambda con: draft_or_response(
        con, structure_id=survey["structure_id"], campaign_id=survey["campaign_id"], surveyor=surveyor,
        draft_id=draft_id))


def test_the_survey_page_opens_the_surveyors_draft_then_the_response_then_a_new_draft(store, survey):
    draft, response = _opened(store, survey, "alice")
    assert (draft.id, response) == (survey["draft_id"], None)  # her open draft
    taken_over, _ = _opened(store, survey, "bob", draft_id=survey["draft_id"])
    assert taken_over.id == survey["draft_id"]  # a draft named in the link, to take it over
    save(store, survey["draft_id"], "interesse", True)
    submitted = submit_draft(store, survey["draft_id"], by="alice").response_id
    draft, response = _opened(store, survey, "alice", draft_id=survey["draft_id"])
    assert draft is None and response["id"] == submitted  # a submitted draft shows its response, read-only
    draft, response = _opened(store, survey, "bob")
    assert draft is None and response["id"] == submitted  # whoever opens the structure
    with store.atomic() as con:
        correction = open_correction(con, submitted, surveyor="bob", by="bob")
    assert _opened(store, survey, "bob")[0].id == correction.id  # his correction under way


def test_the_survey_page_opens_a_new_draft_for_a_structure_not_yet_surveyed(store, survey):
    with store.atomic() as con:
        con.execute("UPDATE drafts SET deleted_at = now() WHERE id = ?", [survey["draft_id"]])
    draft, response = _opened(store, survey, "alice")
    assert response is None and draft.id != survey["draft_id"] and draft.answers() == {}


def test_every_change_is_saved_at_once_with_a_revision(store, survey):
    first = save(store, survey["draft_id"], "salaries", "3")
    second = save(store, survey["draft_id"], "salaries", "4", base=first.revision)
    assert (first.saved, first.revision, second.revision) == (True, 1, 2)
    with store.connect() as con:
        draft = load_draft(con, survey["draft_id"])
    assert draft.answers() == {"salaries": "4"}


def test_another_tab_never_silently_overwrites_a_field(store, survey):
    loaded_by_both = 0
    save(store, survey["draft_id"], "salaries", "3", base=loaded_by_both, session="onglet-A")
    stale = save(store, survey["draft_id"], "salaries", "9", base=loaded_by_both, session="onglet-B")
    assert not stale.saved and stale.conflict.value == "3"
    other_field = save(store, survey["draft_id"], "cnfs", "1", base=0, session="onglet-B")
    assert other_field.saved  # different fields never conflict
    forced = save(store, survey["draft_id"], "salaries", "9", base=stale.revision, session="onglet-B")
    assert forced.saved
    with store.connect() as con:
        assert load_draft(con, survey["draft_id"]).answers() == {"salaries": "9", "cnfs": "1"}


def test_the_section_is_remembered(store, survey):
    with store.atomic() as con:
        set_draft_section(con, survey["draft_id"], "offre", by="alice")
    with store.connect() as con:
        assert load_draft(con, survey["draft_id"]).section == "offre"


@pytest.mark.parametrize(
    ("answers", "errors"),
    [
        ({}, {"services": "Réponse obligatoire.", "interesse": "Réponse obligatoire."}),
        ({"services": ["Aide aux démarches administratives"], "interesse": False},
         {"pourquoi": "Dites pourquoi."}),
        ({"services": ["Aide aux démarches administratives"], "interesse": True, "pourquoi": ""}, {}),
        ({"services": ["Aide aux démarches administratives"], "interesse": True, "salaries": "deux"},
         {"salaries": "« deux » n'est pas un nombre entier."}),
        ({"services": ["Aide aux démarches administratives"], "interesse": True, "salaries": "51"},
         {"salaries": "La valeur doit être au plus 50."}),
        ({"services": ["Aide aux démarches administratives"], "interesse": True, "salaries": "2", "cnfs": "3"},
         {"cnfs": "Pas plus que de salariés."}),
        ({"services": ["Aide aux démarches administratives"], "interesse": True, "equipements": ["postes", "wifi", "salle"]},
         {"equipements": "Choisissez au plus 2 réponse(s)."}),
        ({"services": ["Jardinage"], "interesse": True}, {"services": "« Jardinage » n'est pas un des choix proposés."}),
        ({"services": ["Aide aux démarches administratives"], "interesse": "peut-être"},
         {"interesse": "« peut-être » n'est ni Oui ni Non."}),
        ({"services": ["Aide aux démarches administratives"], "interesse": True, "horaires": "lundi 9h"},
         {"horaires": "Horaires « lundi 9h » illisibles"}),
    ],
)
def test_checking_answers_gives_one_french_message_per_wrong_question(survey, answers, errors):
    checked = check_answers(survey["questionnaire"].questionnaire, answers, today=TODAY)
    assert checked.errors.keys() == errors.keys()
    for code, message in errors.items():
        assert checked.errors[code].startswith(message)


def test_a_hidden_answer_is_dropped(survey):
    checked = check_answers(
        survey["questionnaire"].questionnaire,
        {"services": ["Aide aux démarches administratives"], "interesse": True, "pourquoi": "oublié"},
    )
    assert "pourquoi" not in checked.answers and "pourquoi" not in checked.visible


def test_submitting_writes_an_immutable_response_and_updates_the_registry_with_history(store, survey):
    draft_id = survey["draft_id"]
    save(store, draft_id, "interesse", True)
    save(store, draft_id, "horaires", "Mo-Fr 09:00-12:00")
    save(store, draft_id, "salaries", "2")
    outcome = submit_draft(store, draft_id, by="alice", today=TODAY)
    assert outcome.errors == {} and outcome.response_id
    assert outcome.registry_changes == {"horaires": "Mo-Fr 09:00-12:00"}
    with store.connect() as con:
        response = get_response(con, outcome.response_id)
        structure = get_structure(con, survey["structure_id"])
        history = structure_history(con, survey["structure_id"])
    assert response["answers"] == {
        "services": ["Aide aux démarches administratives"], "horaires": "Mo-Fr 09:00-12:00", "interesse": True, "salaries": 2,
    }
    assert (response["revision"], response["surveyor"]) == (1, "alice")
    assert structure["horaires"] == "Mo-Fr 09:00-12:00"
    assert [v["change_reason"] for v in history] == ["creation", "enquete"]


def test_a_submission_with_errors_writes_nothing(store, survey):
    outcome = submit_draft(store, survey["draft_id"], by="alice", today=TODAY)
    assert outcome.response_id is None and "interesse" in outcome.errors
    assert store.query("SELECT count(*) AS n FROM responses") == [{"n": 0}]


def test_a_double_click_submits_once(store, survey):
    save(store, survey["draft_id"], "interesse", True)
    first = submit_draft(store, survey["draft_id"], by="alice")
    second = submit_draft(store, survey["draft_id"], by="alice")
    assert second.already_submitted and second.response_id == first.response_id
    assert store.query("SELECT count(*) AS n FROM responses") == [{"n": 1}]


def test_a_correction_is_a_new_revision_that_says_what_it_supersedes(store, survey):
    save(store, survey["draft_id"], "interesse", True)
    first = submit_draft(store, survey["draft_id"], by="alice").response_id
    with store.atomic() as con:
        correction = open_correction(con, first, surveyor="bob", by="bob")
    save(store, correction.id, "interesse", False, base=correction.values["interesse"].revision)
    save(store, correction.id, "pourquoi", "Pas le temps")
    second = submit_draft(store, correction.id, by="bob").response_id
    with store.connect() as con:
        revised = get_response(con, second)
        latest = list_responses(con)
        original = get_response(con, first)
    assert (revised["revision"], revised["supersedes"], revised["surveyor"]) == (2, first, "bob")
    assert original["answers"]["interesse"] is True  # never overwritten
    assert [r["id"] for r in latest] == [second]


def test_a_response_under_v1_still_reads_and_exports_after_v2_is_published(store, survey, tmp_path):
    save(store, survey["draft_id"], "interesse", True)
    save(store, survey["draft_id"], "equipements", ["wifi"])
    v1_response = submit_draft(store, survey["draft_id"], by="alice").response_id
    v2_definition = {**SMALL, "sections": [{**SMALL["sections"][0], "questions": [
        q for q in SMALL["sections"][0]["questions"] if q["code"] != "equipements"
    ] + [{"code": "budget", "type": "decimal", "libelle": "Budget"}]}]}
    with store.atomic() as con:
        v2 = publish_questionnaire(con, questionnaire_from_dict(v2_definition), by="t")
        set_campaign_questionnaire(con, survey["campaign_id"], v2.id, by="t")
        other, _ = create_structure(con, {"nom": "CCAS de Cognac", "commune": "Cognac", "code_postal": "16100",
                                          "adresse": "1 place", "date_maj": "2024-01-01"}, by="t")
        draft = open_draft(con, structure_id=other.id, campaign_id=survey["campaign_id"], surveyor="alice", by="alice")
    assert v2.version == 2 and draft.questionnaire_id == v2.id
    for code, value in {"services": ["Aide aux démarches administratives"], "interesse": True, "budget": "1 500,50"}.items():
        save(store, draft.id, code, value)
    assert submit_draft(store, draft.id, by="alice").response_id
    with store.connect() as con:
        assert get_response(con, v1_response)["answers"]["equipements"] == ["wifi"]
    columns, rows = responses_table(store, by="test")
    assert "equipements/wifi" in columns and "budget" in columns
    by_version = {row["version"]: row for row in rows}
    assert by_version[1]["equipements/wifi"] == 1 and by_version[1].get("budget") is None
    assert by_version[2]["budget"] == 1500.5
    out = tmp_path / "reponses.csv"
    assert export_responses_csv(store, out, by="test") == 2


def test_the_responses_csv_opens_in_french_excel_without_personal_data(store, survey, tmp_path):
    save(store, survey["draft_id"], "interesse", True)
    save(store, survey["draft_id"], "contact", "Paul Personne")
    save(store, survey["draft_id"], "equipements", ["postes", "salle"])
    save(store, survey["draft_id"], "salaries", "=2+3")  # refused: not an integer
    assert submit_draft(store, survey["draft_id"], by="alice").errors == {"salaries": "« =2+3 » n'est pas un nombre entier."}
    save(store, survey["draft_id"], "salaries", "2", base=1)
    assert submit_draft(store, survey["draft_id"], by="alice").response_id
    out = tmp_path / "reponses.csv"
    export_responses_csv(store, out, by="test")
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert len(table) == 1
    row = table[0]
    assert (row["interesse"], row["equipements/postes"], row["equipements/wifi"], row["equipements/salle"]) == ("Oui", "1", "0", "1")
    assert row["equipements"] == "Postes, Salle" and row["salaries"] == "2"
    assert "contact" not in row and "Paul Personne" not in raw.decode("utf-8-sig")


def test_drafts_list_shows_how_far_each_one_got(store, survey):
    save(store, survey["draft_id"], "interesse", True)
    save(store, survey["draft_id"], "salaries", "2")
    with store.connect() as con:
        drafts = list_drafts(con)
    assert [(d["structure_nom"], d["reponses"]) for d in drafts] == [("Médiathèque de Cognac", 2)]


def test_confirming_registry_values_in_another_order_changes_nothing(store, survey):
    two = ["Maîtrise des outils numériques du quotidien", "Aide aux démarches administratives"]  # not the standard's order
    with store.atomic() as con:
        from models.registry import update_structure

        update_structure(con, survey["structure_id"], {"services": two}, by="test")
    save(store, survey["draft_id"], "interesse", True)
    outcome = submit_draft(store, survey["draft_id"], by="alice")
    assert outcome.response_id and outcome.registry_changes == {}
    with store.connect() as con:
        assert [v["change_reason"] for v in structure_history(con, survey["structure_id"])] == ["creation", "modification"]


# -- the registry write-back is field-level (issue 17, item 3) -----------------------------------------

WITH_NOM = {**SMALL, "sections": [{**SMALL["sections"][0], "questions": [
    {"code": "nom", "type": "registre", "champ": "nom"}, *SMALL["sections"][0]["questions"],
]}]}


@pytest.fixture
def nom_survey(store, survey):
    """The same structure surveyed with a questionnaire that also confirms its name."""
    with store.atomic() as con:
        stored = publish_questionnaire(con, questionnaire_from_dict(WITH_NOM), by="test")
        set_campaign_questionnaire(con, survey["campaign_id"], stored.id, by="test")
        draft = open_draft(con, structure_id=survey["structure_id"], campaign_id=survey["campaign_id"],
                           surveyor="bob", by="bob")
    return {**survey, "draft_id": draft.id}


def test_correcting_one_unrelated_answer_leaves_the_registry_as_the_fiche_left_it(store, nom_survey):
    structure_id = nom_survey["structure_id"]
    save(store, nom_survey["draft_id"], "nom", "Médiathèque municipale de Cognac")
    save(store, nom_survey["draft_id"], "horaires", "Mo-Fr 09:00-12:00")
    save(store, nom_survey["draft_id"], "interesse", True)
    first = submit_draft(store, nom_survey["draft_id"], by="bob", today=TODAY).response_id
    with store.atomic() as con:  # then a coordinator edits the fiche
        update_structure(con, structure_id, {"nom": "Médiathèque Jean Monnet", "horaires": "Mo-Sa 10:00-18:00"},
                         by="claire")
        correction = open_correction(con, first, surveyor="bob", by="bob")
    save(store, correction.id, "salaries", "3")  # the only answer the correction changes

    outcome = submit_draft(store, correction.id, by="bob", today=TODAY)

    assert outcome.response_id and outcome.registry_changes == {}
    with store.connect() as con:
        row = get_structure(con, structure_id)
        reasons = [v["change_reason"] for v in structure_history(con, structure_id)]
    assert (row["nom"], row["horaires"]) == ("Médiathèque Jean Monnet", "Mo-Sa 10:00-18:00")
    assert reasons == ["creation", "enquete", "modification"]  # the correction wrote nothing to the registry


@pytest.mark.parametrize(
    ("fiche_edit", "registry_after", "conflict"),
    [
        ({}, "Mo-Sa 09:00-12:00", False),  # nobody touched the fiche: the correction is written
        ({"nom": "Médiathèque Jean Monnet"}, "Mo-Sa 09:00-12:00", False),  # another field: both kept
        ({"horaires": "Tu-Fr 14:00-18:00"}, "Tu-Fr 14:00-18:00", True),  # the same field: a conflict, the fiche's kept
    ],
)
def test_a_correction_of_a_registry_answer_is_based_on_the_revision_it_corrects(
    store, nom_survey, fiche_edit, registry_after, conflict,
):
    structure_id = nom_survey["structure_id"]
    save(store, nom_survey["draft_id"], "horaires", "Mo-Fr 09:00-12:00")
    save(store, nom_survey["draft_id"], "interesse", True)
    first = submit_draft(store, nom_survey["draft_id"], by="bob", today=TODAY).response_id
    with store.atomic() as con:
        if fiche_edit:
            update_structure(con, structure_id, fiche_edit, by="claire")
        correction = open_correction(con, first, surveyor="bob", by="bob")
    save(store, correction.id, "horaires", "Mo-Sa 09:00-12:00", base=correction.values["horaires"].revision)

    outcome = submit_draft(store, correction.id, by="bob", today=TODAY)

    assert outcome.response_id  # the response is never lost, conflict or not
    assert outcome.registry_changes == ({} if conflict else {"horaires": "Mo-Sa 09:00-12:00"})
    with store.connect() as con:
        row = get_structure(con, structure_id)
        kept = open_conflicts(con, "structures", structure_id)
        answers = get_response(con, outcome.response_id)["answers"]
    assert row["horaires"] == registry_after and answers["horaires"] == "Mo-Sa 09:00-12:00"
    assert row["nom"] == fiche_edit.get("nom", "Médiathèque de Cognac")
    if conflict:
        (saved,) = kept
        assert (saved["champ"], saved["origine"], saved["response_id"]) == ("horaires", "correction", outcome.response_id)
        assert (saved["valeur_vue"], saved["valeur_proposee"], saved["valeur_courante"], saved["courante_par"]) == (
            "Mo-Fr 09:00-12:00", "Mo-Sa 09:00-12:00", "Tu-Fr 14:00-18:00", "claire")
        assert [c.field for c in outcome.registry_conflicts] == ["horaires"]
    else:
        assert kept == [] and outcome.registry_conflicts == []


@pytest.mark.parametrize(
    ("fiche_edit", "registry_after", "conflict"),
    [
        ({"nom": "Médiathèque Jean Monnet"}, "Mo-Fr 09:00-12:00", False),
        ({"horaires": "Tu-Fr 14:00-18:00"}, "Tu-Fr 14:00-18:00", True),
    ],
)
def test_a_registry_answer_is_based_on_the_registry_value_the_surveyor_saw(
    store, survey, fiche_edit, registry_after, conflict,
):
    shown = None  # the fiche had no hours when the surveyor's tab showed the question
    with store.atomic() as con:
        save_answer(con, survey["draft_id"], "horaires", "Mo-Fr 09:00-12:00", base_revision=0, session_id="onglet",
                    by="alice", registry_base=shown)
        update_structure(con, survey["structure_id"], fiche_edit, by="claire")  # meanwhile, on the fiche
    save(store, survey["draft_id"], "interesse", True)

    outcome = submit_draft(store, survey["draft_id"], by="alice", today=TODAY)

    assert outcome.response_id
    with store.connect() as con:
        row = get_structure(con, survey["structure_id"])
        conflicts = open_conflicts(con, "structures", survey["structure_id"])
    assert row["horaires"] == registry_after and row["nom"] == fiche_edit.get("nom", "Médiathèque de Cognac")
    assert [(c["champ"], c["origine"]) for c in conflicts] == ([("horaires", "enquete")] if conflict else [])


# -- several answers of a draft saved at once ------------------------------------------------------


def save_several(store, draft_id, answers, *, bases=None, session="onglet-B", registry_bases=None):
    with store.atomic() as con:
        return save_answers(con, draft_id, answers, base_revisions=bases, session_id=session, by="alice",
                            registry_bases=registry_bases)


@pytest.mark.parametrize(
    ("answers", "bases", "outcomes", "stored"),
    [
        pytest.param({"interesse": True, "equipements": ["wifi"]}, {},
                     {"interesse": (True, 1), "equipements": (True, 1)},
                     {"salaries": "3", "cnfs": "1", "interesse": True, "equipements": ["wifi"]},
                     id="new answers"),
        pytest.param({"salaries": "4", "cnfs": "1", "interesse": True}, {},
                     {"salaries": (False, 1), "cnfs": (True, 1), "interesse": (True, 1)},
                     {"salaries": "3", "cnfs": "1", "interesse": True},
                     id="one changed in the other tab meanwhile: that one alone is refused"),
        pytest.param({"salaries": "4", "cnfs": "2"}, {"salaries": 1, "cnfs": 1},
                     {"salaries": (True, 2), "cnfs": (True, 2)},
                     {"salaries": "4", "cnfs": "2"},
                     id="changes of the values the tab loaded"),
        pytest.param({}, {}, {}, {"salaries": "3", "cnfs": "1"}, id="nothing to save"),
    ],
)
def test_several_answers_saved_at_once_follow_the_rule_of_one(store, survey, answers, bases, outcomes, stored):
    """A tab saving several answers at once: each is saved, kept (same value) or refused as a
    conflict exactly as if saved alone; a conflict on one never stops the others."""
    save(store, survey["draft_id"], "salaries", "3", session="onglet-A")
    save(store, survey["draft_id"], "cnfs", "1", session="onglet-A")

    saved = save_several(store, survey["draft_id"], answers, bases=bases)

    assert {code: (o.saved, o.revision) for code, o in saved.items()} == outcomes
    assert all(o.conflict.value == "3" for o in saved.values() if not o.saved)
    with store.connect() as con:
        assert load_draft(con, survey["draft_id"]).answers() == stored


@pytest.mark.parametrize("together", [False, True], ids=["one at a time", "at once"])
def test_saving_answers_at_once_stores_what_saving_them_one_at_a_time_stores(store, survey, together):
    answers = {"services": ["Aide aux démarches administratives"], "interesse": True, "salaries": "2",
               "equipements": ["postes", "salle"]}
    if together:
        save_several(store, survey["draft_id"], answers, session="onglet-A")
    else:
        for code, value in answers.items():
            save(store, survey["draft_id"], code, value, session="onglet-A")
    with store.connect() as con:
        draft = load_draft(con, survey["draft_id"])
    assert draft.answers() == answers
    assert {(v.revision, v.session_id, v.updated_by) for v in draft.values.values()} == {(1, "onglet-A", "alice")}
    assert submit_draft(store, survey["draft_id"], by="alice", today=TODAY).response_id


@pytest.mark.parametrize(
    ("first_base", "second_base", "kept"),
    [
        (None, "Mo-Fr 09:00-12:00", None),  # the fiche had no hours when the tab first showed them
        ("Mo-Fr 09:00-12:00", "Tu-Fr 14:00-18:00", "Mo-Fr 09:00-12:00"),
    ],
)
def test_a_registry_answer_saved_with_others_keeps_the_first_registry_value_shown(
    store, survey, first_base, second_base, kept,
):
    save_several(store, survey["draft_id"], {"horaires": "Mo-Sa 09:00-12:00", "interesse": True},
                 registry_bases={"horaires": first_base})
    save_several(store, survey["draft_id"], {"horaires": "Mo-Su 09:00-12:00"}, bases={"horaires": 1},
                 registry_bases={"horaires": second_base})
    with store.connect() as con:
        draft = load_draft(con, survey["draft_id"])
    assert draft.registry_bases == {"horaires": kept}
    assert draft.answers() == {"horaires": "Mo-Su 09:00-12:00", "interesse": True}


def test_a_correction_starts_from_every_answer_of_the_response(store, survey):
    save_several(store, survey["draft_id"], {"interesse": False, "pourquoi": "Pas le temps", "salaries": "2"})
    first = submit_draft(store, survey["draft_id"], by="alice", today=TODAY).response_id
    with store.atomic() as con:
        correction = open_correction(con, first, surveyor="bob", by="bob")
    assert correction.answers() == {"services": ["Aide aux démarches administratives"],  # the registry's, confirmed
                                    "interesse": False, "pourquoi": "Pas le temps", "salaries": 2}
    assert {(v.revision, v.session_id) for v in correction.values.values()} == {(1, "correction")}


@pytest.mark.parametrize("already_saved", [False, True], ids=["a new answer", "an answer saved before"])
def test_two_tabs_saving_the_same_answer_at_the_same_moment_never_lose_one_silently(store, survey, already_saved):
    """Tab A has written the answer but not committed yet when tab B writes it too: DuckDB refuses
    one of the two (a duplicate key, « Conflict on update »), ``Store.transaction`` runs it again
    and it then sees the other's value, as a conflict to show."""
    import threading

    base = 0
    if already_saved:
        base = save(store, survey["draft_id"], "salaries", "1", session="onglet-0").revision
    a_wrote, b_tried = threading.Event(), threading.Event()
    outcomes = {}

    def tab_a(con):
        outcome = save_answers(con, survey["draft_id"], {"salaries": "3"}, base_revisions={"salaries": base},
                               session_id="onglet-A", by="alice")["salaries"]
        a_wrote.set()
        b_tried.wait(5)  # not committed until tab B has tried its own write
        return outcome

    def tab_b(con):
        try:
            return save_answers(con, survey["draft_id"], {"salaries": "9"}, base_revisions={"salaries": base},
                                session_id="onglet-B", by="alice")["salaries"]
        finally:
            b_tried.set()

    def run(name, action):
        outcomes[name] = store.transaction(action)

    first = threading.Thread(target=run, args=("A", tab_a))
    first.start()
    assert a_wrote.wait(5)
    run("B", tab_b)
    first.join(10)

    winner, loser = sorted(outcomes.values(), key=lambda o: not o.saved)
    assert (winner.saved, loser.saved) == (True, False)
    assert winner.revision == base + 1 and loser.conflict.revision == base + 1
    with store.connect() as con:
        stored = load_draft(con, survey["draft_id"]).values["salaries"]
    assert stored.value == loser.conflict.value and stored.revision == base + 1
