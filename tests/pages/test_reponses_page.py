"""The « Réponses » page, driven through the real app with AppTest on a real store.

The store is conftest's copy of the 90 Nouvelle-Calédonie lieux, with the demo campaign (60
responses, 5 drafts) that ``load_demo`` adds on a first start (loaded here if missing).
A response is opened with the « Ouvrir une réponse » selectbox or, in one test, by a row
selection written to the table's session state, as AppTest allows. The downloaded CSV is read
from Streamlit's media storage, where ``st.download_button`` puts the bytes it serves.
"""

from __future__ import annotations

import csv
import io
import re

from streamlit.testing.v1 import AppTest

from collect.demo import DEMO_CAMPAIGN, DEMO_DRAFTS, DEMO_RESPONSES
from collect.surveys import (
    get_response,
    list_drafts,
    list_responses,
    load_draft,
    open_correction,
    submit_draft,
)
from models.store import Store
from tests.pages.ui import find_button, metric_values, texts_of

DEVICE = "poste-test"  # $MAILLAGE_DEVICE in the fixture: who acts
CHOOSER = "reponses.choisir"
DRAFT_CHOOSER = "reponses.brouillon"
EXPANDER = "Personne contact (données personnelles)"
PARIS_TIME = re.compile(r"^\d{2}/\d{2}/\d{4} à \d{2}:\d{2}$")





def _table(at: AppTest, first_column: str, *, without: str | None = None):
    found = [df.value for df in at.dataframe
             if df.value.columns[0] == first_column and (without is None or without not in df.value.columns)]
    assert len(found) == 1, [list(df.value.columns) for df in at.dataframe]
    return found[0]


def _responses_table(at: AppTest):
    return _table(at, "Structure", without="Réponses saisies")


def _drafts_table(at: AppTest):
    (table,) = [df.value for df in at.dataframe if "Réponses saisies" in df.value.columns]
    return table




def _on_page(app: AppTest) -> AppTest:
    at = app.run()
    at.switch_page("pages/reponses.py").run()
    assert not at.exception
    assert texts_of(at.title) == ["Réponses"]
    return at


def _open(at: AppTest, response_id: str) -> AppTest:
    at.selectbox(key=CHOOSER).set_value(response_id).run()
    assert not at.exception
    return at


def _latest(store: Store, campaign_id: str) -> list[dict]:
    with store.connect() as con:
        return list_responses(con, campaign_id=campaign_id)


def _drafts(store: Store, campaign_id: str) -> list[dict]:
    with store.connect() as con:
        return list_drafts(con, campaign_id=campaign_id)


def test_the_page_lists_the_60_responses_and_the_5_drafts(app, ui_store, campaign_id):
    at = _on_page(app)
    campaign = at.selectbox(key="reponses.campagne")
    assert campaign.value == campaign_id
    assert campaign.format_func(campaign_id).startswith(DEMO_CAMPAIGN)
    assert metric_values(at) == {
        "Réponses": str(DEMO_RESPONSES),
        "Brouillons en cours": str(DEMO_DRAFTS),
        "Structures distinctes": str(DEMO_RESPONSES),
    }
    assert [tab.label for tab in at.tabs] == ["Réponses", "Brouillons"]

    responses = _responses_table(at)
    assert list(responses.columns) == ["Structure", "Commune", "Enquêteur", "Soumise le", "Révision"]
    assert len(responses) == DEMO_RESPONSES
    assert all(PARIS_TIME.match(text) for text in responses["Soumise le"])
    assert set(responses["Révision"]) == {1}
    assert set(responses["Enquêteur"]) == {"enqueteur-1", "enqueteur-2", "enqueteur-3"}
    expected = _latest(ui_store, campaign_id)
    assert list(responses["Structure"]) == [r["structure_nom"] for r in expected]

    drafts = _drafts_table(at)
    assert list(drafts.columns) == [
        "Structure", "Commune", "Enquêteur", "Réponses saisies", "Dernière saisie", "Section", "Correction"
    ]
    assert len(drafts) == DEMO_DRAFTS
    assert all(count >= 3 for count in drafts["Réponses saisies"])
    assert all(PARIS_TIME.match(text) for text in drafts["Dernière saisie"])
    assert sorted(drafts["Structure"]) == sorted(d["structure_nom"] for d in _drafts(ui_store, campaign_id))


def test_selecting_a_response_shows_its_answers_with_labels_and_personal_data_only_in_the_expander(
    app, ui_store, campaign_id
):
    at = _on_page(app)
    assert not at.expander  # nothing opened yet
    response = _latest(ui_store, campaign_id)[0]
    contact = response["answers"]["contact_nom"]
    _open(at, response["id"])

    assert f"{response['structure_nom']} — {response['structure_commune']}" in texts_of(at.subheader)
    everything = "\n".join(texts_of(at.markdown))
    assert "**Le lieu**" in everything
    assert "**Nom du lieu**" in everything
    assert "**Depuis quand le lieu propose-t-il de la médiation numérique ?**" in everything
    # Choice codes are shown as their labels, dates the French way.
    assert re.search(r"médiation numérique \?\*\* : \d{2}/\d{2}/\d{4}", everything)
    assert "Oui" in everything or "Non" in everything

    (expander,) = at.expander
    assert expander.label == EXPANDER
    inside = texts_of(expander.markdown)
    assert any(contact in text for text in inside)
    assert any("**Fonction**" in text for text in inside)
    outside = [text for text in texts_of(at.markdown) if text not in inside]
    assert not any(contact in text for text in outside)
    assert not any("Fonction" in text for text in outside)
    assert all(contact not in df.value.to_string() for df in at.dataframe)

    history = _table(at, "Révision")
    assert list(history.columns) == ["Révision", "Soumise le", "Par", "Affichée"]
    assert list(history["Révision"]) == [1] and list(history["Par"]) == [response["surveyor"]]

    # Clicking a row of the table opens that response too.
    other = _latest(ui_store, campaign_id)[5]
    (table_key,) = [df.key for df in at.dataframe if df.key and df.key.startswith("reponses.tableau.")]
    at.session_state[table_key] = {"selection": {"rows": [5], "columns": []}}
    at.run()
    assert not at.exception
    assert f"{other['structure_nom']} — {other['structure_commune']}" in texts_of(at.subheader)
    assert at.selectbox(key=CHOOSER).value == other["id"]


def test_the_csv_download_is_for_excel_one_row_per_response_and_without_contact_names(
    app, ui_store, campaign_id, downloads
):
    at = _on_page(app)
    (button,) = at.download_button
    assert button.label == "Télécharger les réponses (CSV pour Excel)"
    (name,) = downloads
    assert re.fullmatch(r"reponses-diagnostic-2026-demonstration-\d{4}-\d{2}-\d{2}\.csv", name)
    data = downloads[name]
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    header, *lines = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert header[:3] == ["id_reponse", "structure", "commune"]
    assert "equipements/postes" in header  # one 0/1 column per choice
    assert not {"contact_nom", "contact_fonction", "contact_telephone", "commentaire"} & set(header)
    assert len(lines) == DEMO_RESPONSES
    assert {line[0] for line in lines} == {r["id"] for r in _latest(ui_store, campaign_id)}
    for response in _latest(ui_store, campaign_id):
        assert response["answers"]["contact_nom"] not in text
    assert any("jamais exportées" in caption for caption in texts_of(at.caption))


def test_corriger_opens_a_correction_draft_and_switches_to_the_survey_page(app, ui_store, campaign_id):
    at = _on_page(app)
    response = _latest(ui_store, campaign_id)[0]
    _open(at, response["id"])
    find_button(at, "Corriger cette réponse").click().run()
    assert not at.exception

    corrections = [d for d in _drafts(ui_store, campaign_id) if d["supersedes"] is not None]
    assert len(corrections) == 1
    (correction,) = corrections
    assert correction["supersedes"] == response["id"]
    assert correction["surveyor"] == DEVICE
    assert correction["structure_id"] == response["structure_id"]
    with ui_store.connect() as con:  # pre-filled with the response's answers
        prefilled = load_draft(con, correction["id"]).answers()
    assert set(prefilled) >= set(response["answers"])
    assert prefilled["contact_nom"] == response["answers"]["contact_nom"]
    assert texts_of(at.title) == ["Enquête"]
    assert at.query_params.get("campagne") == campaign_id
    assert at.query_params.get("structure") == response["structure_id"]

    # Back on « Réponses », a second « Corriger » reopens the same correction draft.
    at.switch_page("pages/reponses.py").run()
    _open(at, response["id"])
    find_button(at, "Corriger cette réponse").click().run()
    assert not at.exception
    assert [d["id"] for d in _drafts(ui_store, campaign_id) if d["supersedes"]] == [correction["id"]]


def test_abandonner_soft_deletes_a_draft_after_confirmation(app, ui_store, campaign_id):
    at = _on_page(app)
    draft = _drafts(ui_store, campaign_id)[0]
    at.selectbox(key=DRAFT_CHOOSER).set_value(draft["id"]).run()
    assert not at.exception
    assert find_button(at, "Reprendre")
    find_button(at, "Abandonner").click().run()
    assert not at.exception
    assert any(draft["structure_nom"] in text for text in texts_of(at.warning))
    find_button(at, "Annuler").click().run()
    assert not at.warning and len(_drafts(ui_store, campaign_id)) == DEMO_DRAFTS

    find_button(at, "Abandonner").click().run()
    find_button(at, "Confirmer l'abandon").click().run()
    assert not at.exception
    assert any("abandonné" in text for text in texts_of(at.success))
    remaining = _drafts(ui_store, campaign_id)
    assert len(remaining) == DEMO_DRAFTS - 1 and draft["id"] not in {d["id"] for d in remaining}
    assert metric_values(at)["Brouillons en cours"] == str(DEMO_DRAFTS - 1)
    assert len(_drafts_table(at)) == DEMO_DRAFTS - 1
    # Soft delete: the draft and its answers are still in the store.
    (row,) = ui_store.query("SELECT deleted_at, updated_by FROM drafts WHERE id = ?", [draft["id"]])
    assert row["deleted_at"] is not None and row["updated_by"] == DEVICE
    with ui_store.connect() as con:
        assert len(load_draft(con, draft["id"]).values) == draft["reponses"]


def test_reprendre_switches_to_the_survey_page_of_that_structure(app, ui_store, campaign_id):
    at = _on_page(app)
    draft = _drafts(ui_store, campaign_id)[0]
    at.selectbox(key=DRAFT_CHOOSER).set_value(draft["id"]).run()
    find_button(at, "Reprendre").click().run()
    assert not at.exception
    assert texts_of(at.title) == ["Enquête"]
    assert at.query_params.get("campagne") == campaign_id
    assert at.query_params.get("structure") == draft["structure_id"]


def test_the_all_revisions_checkbox_shows_corrected_responses_too(app, ui_store, campaign_id, downloads):
    first = _latest(ui_store, campaign_id)[0]
    with ui_store.atomic() as con:
        draft = open_correction(con, first["id"], surveyor="enqueteur-2", by="enqueteur-2")
    outcome = submit_draft(ui_store, draft.id, by="enqueteur-2")
    assert outcome.response_id, outcome.errors

    at = _on_page(app)
    assert metric_values(at)["Réponses"] == str(DEMO_RESPONSES)
    assert len(_responses_table(at)) == DEMO_RESPONSES
    assert sorted(_responses_table(at)["Révision"])[-1] == 2
    _open(at, outcome.response_id)
    history = _table(at, "Révision")
    assert list(history["Révision"]) == [2, 1]
    assert list(history["Par"]) == ["enqueteur-2", first["surveyor"]]
    assert list(history["Affichée"]) == [True, False]

    at.checkbox(key="reponses.toutes_revisions").check().run()
    assert not at.exception
    table = _responses_table(at)
    assert len(table) == DEMO_RESPONSES + 1
    assert list(table["Révision"]).count(1) == DEMO_RESPONSES and list(table["Révision"]).count(2) == 1
    assert metric_values(at)["Réponses"] == str(DEMO_RESPONSES)  # the count stays the latest revisions
    (name,) = downloads  # the download follows the checkbox
    lines = downloads[name].decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 1 + DEMO_RESPONSES + 1

    # The superseded revision reads, but only the latest one can be corrected.
    _open(at, first["id"])
    assert any("corrigée depuis" in text for text in texts_of(at.info))
    assert "Corriger cette réponse" not in [b.label for b in at.button]
    with ui_store.connect() as con:
        assert get_response(con, first["id"])["revision"] == 1


def test_without_a_campaign_the_page_says_so(app, ui_store, monkeypatch):
    monkeypatch.setattr("collect.campaigns.list_campaigns", lambda con: [])
    at = _on_page(app)
    assert any("Aucune campagne" in text for text in texts_of(at.info))
    assert not at.metric and not at.dataframe
