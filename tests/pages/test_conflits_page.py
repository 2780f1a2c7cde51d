"""The « Conflits » page, driven through the real app with AppTest on a real store.

Real conflicts and deletions come from real syncs: conftest's copy of the 90 Nouvelle-Calédonie
lieux is synced with a spreadsheet of the Sheets emulator (gspread's real client over HTTP), then
the same field is changed on this device and in the sheet (``SheetsEmulator.human_edit``), or a
person deletes a line (``human_delete_row``), and the store is synced again. The page's decisions
are then checked in the store and, after one more sync, in the sheet.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from models.registry import get_structure, update_structure
from models.store import Store
from sync.sheets_emulator import SheetsEmulator
from sync.status import conflict_rows, deletion_rows
from tests.pages.ui import find_button, texts_of
from tests.sync.conftest import emulator  # noqa: F401 - the fixture
from tests.sync.test_status import Hub

PAGE = "pages/conflits.py"
EMPTY = "Aucun conflit ni suppression en attente : cet appareil et le classeur sont d'accord."


@pytest.fixture
def hub(ui_store: Store, emulator: SheetsEmulator) -> Hub:
    """A spreadsheet of the emulator holding the store, after a first sync."""
    hub = Hub(emulator)
    report = hub.sync(ui_store)
    assert report.status == "terminee" and not report.errors
    return hub


@pytest.fixture
def lieu(ui_store: Store) -> dict:
    """The first structure of the store, by name."""
    with ui_store.connect() as con:
        (structure_id,) = con.execute("SELECT id FROM structures ORDER BY nom, id LIMIT 1").fetchone()
        return get_structure(con, structure_id)


def _open(at: AppTest) -> AppTest:
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    assert texts_of(at.title) == ["Conflits"]
    return at


def _conflicts_table(at: AppTest):
    found = [df.value for df in at.dataframe if "Valeur du classeur" in df.value.columns]
    assert len(found) == 1, [list(df.value.columns) for df in at.dataframe]
    return found[0]


def _open_conflicts(store: Store) -> list[dict]:
    with store.connect() as con:
        return conflict_rows(con)


def _address_conflict(store: Store, hub: Hub, lieu: dict) -> dict:
    """The address of ``lieu`` changed here (by « alice ») and in the sheet, then synced: one conflict."""
    with store.atomic() as con:
        saved, issues = update_structure(con, lieu["id"], {"adresse": "3 rue de l'Appareil"}, by="alice")
    assert saved is not None, issues
    hub.human_edit("structures", lieu["id"], "adresse", "5 rue du Classeur")
    report = hub.sync(store)
    assert report.conflicts == 1
    (conflict,) = _open_conflicts(store)
    return conflict


def test_with_nothing_open_the_page_says_so(app, hub):
    at = _open(app)
    assert EMPTY in texts_of(at.success)
    assert not at.dataframe and not at.button


# -- conflicts --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("choice", "typed", "kept"), [
    ("appareil", None, "3 rue de l'Appareil"),
    ("feuille", None, "5 rue du Classeur"),
    ("autre", "7 rue de la Coordination", "7 rue de la Coordination"),
])
def test_a_conflict_is_listed_then_resolved_here_and_in_the_sheet(app, ui_store, hub, lieu, choice, typed, kept):
    conflict = _address_conflict(ui_store, hub, lieu)
    at = _open(app)
    table = _conflicts_table(at)
    assert len(table) == 1
    row = table.iloc[0]
    assert row["Onglet"] == "structures"
    assert row["Enregistrement"] == f"{lieu['nom']} ({lieu['commune']})"
    assert row["Nature"] == "conflit"
    assert (row["Valeur d'origine"], row["Valeur de cet appareil"], row["Valeur du classeur"]) == (
        lieu["adresse"] or "", "3 rue de l'Appareil", "5 rue du Classeur")
    assert row["Modifiée sur cet appareil"].startswith("alice le ")
    assert row["Modifiée dans le classeur"].startswith("feuille partagée le ")
    assert row["Valeur actuelle"] == "5 rue du Classeur"  # the sheet's value waits for a decision
    radio = at.radio(key=f"conflits.decision.{conflict['id']}")
    assert radio.options == ["Garder la valeur du classeur", "Garder la valeur de cet appareil",
                             "Saisir une autre valeur"]

    radio.set_value(choice).run()
    if typed is not None:
        at.text_input(key=f"conflits.autre.{conflict['id']}").input(typed).run()
    find_button(at, "Résoudre").click().run()
    assert not at.exception, at.exception
    assert texts_of(at.success)[0].startswith("Conflit résolu : ")
    assert EMPTY in texts_of(at.success)
    assert _open_conflicts(ui_store) == []
    with ui_store.connect() as con:
        assert get_structure(con, lieu["id"])["adresse"] == kept

    hub.sync(ui_store)
    assert hub.cell("structures", lieu["id"], "adresse") == kept


def test_another_value_must_be_typed(app, ui_store, hub, lieu):
    conflict = _address_conflict(ui_store, hub, lieu)
    at = _open(app)
    at.radio(key=f"conflits.decision.{conflict['id']}").set_value("autre").run()
    find_button(at, "Résoudre").click().run()
    assert not at.exception, at.exception
    assert texts_of(at.error) == ["Saisissez la valeur à garder."]
    assert [c["id"] for c in _open_conflicts(ui_store)] == [conflict["id"]]


def test_a_refused_edit_can_only_keep_this_device_value(app, ui_store, hub):
    with ui_store.connect() as con:
        (response_id, surveyor) = con.execute("SELECT id, surveyor FROM responses ORDER BY id LIMIT 1").fetchone()
    hub.human_edit("reponses", response_id, "surveyor", "quelqu'un d'autre")
    report = hub.sync(ui_store)
    assert report.refused == 1
    (conflict,) = _open_conflicts(ui_store)

    at = _open(app)
    row = _conflicts_table(at).iloc[0]
    assert (row["Onglet"], row["Nature"]) == ("reponses", "modification refusée")
    assert row["Enregistrement"].startswith("Réponse de ")
    assert any("n'est pas modifiable dans le classeur" in text for text in texts_of(at.info))
    radio = at.radio(key=f"conflits.decision.{conflict['id']}")
    assert radio.options == ["Garder la valeur de cet appareil"]
    find_button(at, "Résoudre").click().run()
    assert not at.exception, at.exception
    assert _open_conflicts(ui_store) == []
    assert hub.cell("reponses", response_id, "surveyor") == surveyor  # the device's value was put back


# -- lines deleted in the sheet ------------------------------------------------------------------------


@pytest.mark.parametrize("confirm", [True, False])
def test_a_line_deleted_in_the_sheet_is_confirmed_or_restored(app, ui_store, hub, lieu, confirm):
    hub.human_delete("structures", lieu["id"])
    assert hub.sync(ui_store).deletions == 1
    at = _open(app)
    assert f"{lieu['nom']} ({lieu['commune']})" in " ".join(texts_of(at.markdown))
    assert any("Confirmer la suppression" in text and "deleted_at" in text for text in texts_of(at.caption))

    find_button(at, "Confirmer la suppression" if confirm else "Restaurer la ligne").click().run()
    assert not at.exception, at.exception
    assert texts_of(at.success)[0].startswith("Suppression confirmée" if confirm else "Ligne restaurée")
    assert EMPTY in texts_of(at.success)
    with ui_store.connect() as con:
        assert deletion_rows(con) == []
        assert (get_structure(con, lieu["id"])["deleted_at"] is not None) is confirm

    hub.sync(ui_store)
    assert (hub.cell("structures", lieu["id"], "deleted_at") != "") is confirm
    assert hub.cell("structures", lieu["id"], "nom") == lieu["nom"]
