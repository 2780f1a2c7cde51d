"""The survey page, driven by AppTest: every question type, conditions, messages, registry write-back.

Typed answers use the page's keystroke-saving component; AppTest sets its state the way the
browser does (``{"value": text}`` under the widget's key), then reruns the page.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from collect.campaigns import create_campaign
from collect.questionnaire import load_questionnaire
from collect.surveys import publish_questionnaire
from models.registry import get_structure, structure_history, update_structure
from tests.pages.conftest import APP, TIMEOUT

QUESTIONNAIRE = Path(__file__).resolve().parents[1] / "fixtures" / "questionnaires" / "tous-les-types.yaml"


@pytest.fixture
def survey(ui_store):
    with ui_store.atomic() as con:
        stored = publish_questionnaire(con, load_questionnaire(QUESTIONNAIRE), by="test")
        campaign_id = create_campaign(con, nom="Test", questionnaire_id=stored.id, by="test")
    structure = ui_store.query(
        "SELECT id FROM structures WHERE services IS NOT NULL AND horaires IS NULL ORDER BY nom LIMIT 1"
    )[0]["id"]
    return {"campaign": campaign_id, "structure": structure, "store": ui_store}


def open_survey(survey, app=None):
    """The survey page of the test's structure and campaign, in ``app`` or in a new session (a
    reload, a new tab)."""
    app = app or AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    app.query_params["campagne"] = survey["campaign"]
    app.query_params["structure"] = survey["structure"]
    app.run()
    app.switch_page("pages/enquete.py")
    app.run()
    assert not app.exception
    return app


@pytest.fixture
def page(app, survey):
    return open_survey(survey, app)


def draft_id(survey):
    return survey["store"].query(
        "SELECT id FROM drafts WHERE structure_id = ? AND campaign_id = ?", [survey["structure"], survey["campaign"]]
    )[0]["id"]


def saved(survey):
    rows = survey["store"].query(
        "SELECT question_code, value FROM draft_values v JOIN drafts d ON d.id = v.draft_id"
        " WHERE d.structure_id = ? AND d.campaign_id = ?",
        [survey["structure"], survey["campaign"]],
    )
    return {row["question_code"]: json.loads(row["value"]) for row in rows}


def key(survey, code):
    return f"enquete.q.{draft_id(survey)}.{code}"


def go(page, section):
    """Show a section, as a click on its title does."""
    (section_key,) = [k for k in page.session_state.keys() if k.startswith("enquete.section.") and not k.endswith(".derniere")]
    page.session_state[section_key] = section
    page.session_state[section_key + ".derniere"] = section
    page.run()
    assert not page.exception


def type_text(page, survey, code, text):
    page.session_state[key(survey, code)] = {"value": text}
    page.run()
    assert not page.exception


def test_the_page_opens_the_structure_and_shows_what_the_registry_knows(page, survey):
    assert page.title[0].value == "Enquête"
    assert [c.value for c in page.caption if c.value.startswith("Registre :")][0].startswith("Registre : ")
    assert survey["store"].query("SELECT count(*) AS n FROM drafts WHERE structure_id = ? AND campaign_id = ?",
                                 [survey["structure"], survey["campaign"]]) == [{"n": 1}]


@pytest.mark.parametrize(
    ("code", "text", "stored"),
    [
        ("texte_court", "Médiathèque", "Médiathèque"),
        ("texte_long", "Deux lignes\net plus", "Deux lignes\net plus"),
        ("entier", "7", "7"),
        ("decimal", "2,5", "2,5"),
        ("telephone", "05 45 36 19 50", "05 45 36 19 50"),
        ("courriel", "contact@exemple.fr", "contact@exemple.fr"),
        ("url", "www.exemple.fr", "www.exemple.fr"),
        ("ouverture_ateliers", "Tu,Th 14:00-17:00", "Tu,Th 14:00-17:00"),
    ],
)
def test_every_typed_answer_is_saved_as_typed_at_once(page, survey, code, text, stored):
    go(page, "saisies")
    type_text(page, survey, code, text)
    assert saved(survey)[code] == stored
    assert any("Enregistré à" in c.value for c in page.caption)


def test_a_date_a_yes_no_and_choices_are_saved_at_once(page, survey):
    go(page, "saisies")
    page.date_input(key=key(survey, "date")).set_value(date(2024, 3, 12)).run()
    go(page, "choix")
    page.radio(key=key(survey, "oui_non")).set_value("Oui").run()
    page.radio(key=key(survey, "unique")).set_value("vert").run()
    page.multiselect(key=key(survey, "multiple")).set_value(["rouge", "bleu"]).run()
    assert not page.exception
    values = saved(survey)
    assert (values["date"], values["oui_non"], values["unique"], values["multiple"]) == (
        "2024-03-12", True, "vert", ["rouge", "bleu"]
    )


def test_a_condition_shows_a_question_only_when_its_answer_calls_for_it(page, survey):
    go(page, "choix")
    assert key(survey, "si_non") not in page.session_state
    page.radio(key=key(survey, "oui_non")).set_value("Non").run()
    assert key(survey, "si_non") in page.session_state
    page.radio(key=key(survey, "oui_non")).set_value("Oui").run()
    page.run()  # the hidden question's widget is gone, its answer is not required any more
    assert key(survey, "si_non") not in page.session_state
    assert any(m.value == "Une simple note." for m in page.info)


def test_submitting_shows_each_required_and_constraint_message_next_to_its_question(page, survey):
    go(page, "saisies")
    type_text(page, survey, "texte_court", "minuscule")
    type_text(page, survey, "entier", "12")
    type_text(page, survey, "ouverture_ateliers", "mardi après-midi")
    go(page, "choix")
    page.multiselect(key=key(survey, "multiple")).set_value(["rouge", "vert", "bleu"]).run()
    page.button(key="enquete.soumettre").click().run()
    assert not page.exception
    errors = page.session_state["enquete.erreurs"][draft_id(survey)]
    assert errors["ouverture_ateliers"].startswith("Horaires « mardi après-midi » illisibles")
    assert errors == {
        "texte_court": "Commencez par une majuscule.",
        "entier": "La valeur doit être au plus 10.",
        "ouverture_ateliers": errors["ouverture_ateliers"],
        "oui_non": "Répondez oui ou non.",
        "multiple": "Deux au plus.",
    }
    assert survey["store"].query("SELECT count(*) AS n FROM responses WHERE campaign_id = ?",
                                 [survey["campaign"]]) == [{"n": 0}]
    shown = [e.value for e in page.error]
    assert "Commencez par une majuscule." in shown and "La valeur doit être au plus 10." in shown  # section « Saisies »


def test_a_submission_writes_the_response_and_the_confirmed_registry_answers(page, survey):
    type_text(page, survey, "horaires", "Mo-Fr 09:00-12:00")
    go(page, "choix")
    page.radio(key=key(survey, "oui_non")).set_value("Oui").run()
    page.button(key="enquete.soumettre").click().run()
    assert not page.exception
    assert any("Réponse soumise le" in s.value for s in page.success)
    response = survey["store"].query("SELECT answers, revision FROM responses WHERE campaign_id = ?", [survey["campaign"]])
    assert len(response) == 1 and response[0]["revision"] == 1
    assert json.loads(response[0]["answers"])["horaires"] == "Mo-Fr 09:00-12:00"
    with survey["store"].connect() as con:
        assert get_structure(con, survey["structure"])["horaires"] == "Mo-Fr 09:00-12:00"
        assert structure_history(con, survey["structure"])[-1]["change_reason"] == "enquete"
    assert survey["store"].query("SELECT count(*) AS n FROM responses WHERE campaign_id = ?",
                                 [survey["campaign"]]) == [{"n": 1}]


def test_a_reopened_page_brings_back_the_draft_on_the_same_section(app, page, survey):
    go(page, "saisies")
    type_text(page, survey, "texte_court", "Bonjour")
    again = open_survey(survey)  # a new session: a reload or a new tab
    assert again.session_state[f"enquete.section.{draft_id(survey)}"] == "saisies"
    assert again.session_state[key(survey, "texte_court")]["value"] == "Bonjour"


def test_a_field_changed_in_another_tab_is_not_overwritten(app, page, survey):
    go(page, "saisies")
    type_text(page, survey, "texte_court", "Premier")
    other = open_survey(survey)
    other.session_state[key(survey, "texte_court")] = {"value": "Autre onglet"}
    other.run()
    assert saved(survey)["texte_court"] == "Autre onglet"
    type_text(page, survey, "texte_court", "Premier modifié")  # this tab still believes « Premier »
    assert saved(survey)["texte_court"] == "Autre onglet"
    warnings = [w.value for w in page.warning]
    assert any("Modifié dans un autre onglet" in w and "Autre onglet" in w for w in warnings)
    page.button(key="enquete.garder.texte_court").click().run()
    page.run()
    assert saved(survey)["texte_court"] == "Premier modifié"


def test_without_a_structure_in_the_url_the_page_offers_to_resume_my_drafts(app, page, survey):
    go(page, "saisies")
    type_text(page, survey, "texte_court", "Bonjour")
    fresh = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    fresh.run()
    fresh.switch_page("pages/enquete.py")
    fresh.run()
    assert not fresh.exception
    assert [s.value for s in fresh.subheader][:1] == ["Mes brouillons en cours"]
    resume = [b for b in fresh.button if b.key and b.key.startswith("enquete.reprendre.")]
    assert len(resume) == 1
    resume[0].click().run()
    assert survey["structure"] in str(fresh.query_params["structure"])


# -- the registry write-back never overwrites a fiche changed during the call (issue 17) ---------------


def submit_with(page, survey):
    go(page, "choix")
    page.radio(key=key(survey, "oui_non")).set_value("Oui").run()
    page.button(key="enquete.soumettre").click().run()
    assert not page.exception
    assert any("Réponse soumise le" in s.value for s in page.success)  # the response itself is always kept


@pytest.mark.parametrize(
    ("fiche_edit", "conflict"),
    [({"nom": "Espace numérique du quartier"}, False), ({"horaires": "Tu-Fr 14:00-18:00"}, True)],
    ids=["un autre champ de la fiche", "le même champ"],
)
def test_a_registry_answer_never_overwrites_the_fiche_changed_during_the_call(page, survey, fiche_edit, conflict):
    with survey["store"].atomic() as con:  # a coordinator edits the fiche while the surveyor is on the phone
        before = get_structure(con, survey["structure"])
        update_structure(con, survey["structure"], fiche_edit, by="claire")
    type_text(page, survey, "horaires", "Mo-Fr 09:00-12:00")
    submit_with(page, survey)

    with survey["store"].connect() as con:
        row = get_structure(con, survey["structure"])
    assert row["nom"] == fiche_edit.get("nom", before["nom"])
    warnings = [w.value for w in page.warning]
    if conflict:
        assert row["horaires"] == "Tu-Fr 14:00-18:00"
        (warning,) = warnings
        assert "Horaires (la fiche dit « Tu-Fr 14:00-18:00 », enregistré par claire le " in warning
        assert "votre réponse : « Mo-Fr 09:00-12:00 »" in warning and "Conflits à résoudre" in warning
    else:
        assert row["horaires"] == "Mo-Fr 09:00-12:00" and warnings == []


def test_a_tab_opened_after_the_fiche_changed_is_based_on_the_value_it_showed(app, page, survey):
    with survey["store"].atomic() as con:  # the draft is open; then the fiche gets hours
        update_structure(con, survey["structure"], {"horaires": "Tu-Fr 14:00-18:00"}, by="claire")
    other = open_survey(survey)  # a new tab shows those hours and the surveyor corrects them
    assert any("Registre : Tu-Fr 14:00-18:00" in c.value for c in other.caption)
    type_text(other, survey, "horaires", "Mo-Fr 09:00-12:00")
    submit_with(other, survey)
    with survey["store"].connect() as con:
        assert get_structure(con, survey["structure"])["horaires"] == "Mo-Fr 09:00-12:00"
    assert [w.value for w in other.warning] == []
