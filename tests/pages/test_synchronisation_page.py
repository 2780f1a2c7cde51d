"""The « Synchronisation » page, driven through the real app with AppTest on a real store.

The store is conftest's copy of the 90 Nouvelle-Calédonie lieux with the demo campaign. The hub
is a spreadsheet of the real Sheets emulator (``sync.sheets_emulator``, on 127.0.0.1), named in
``st.secrets`` through ``AppTest.secrets`` exactly as a ``[connections.gsheets]`` table of
``.streamlit/secrets.toml`` would; gspread's real client talks to it over HTTP. A developer's own
secrets file and ``MAILLAGE_GSHEETS_*`` variables are never read.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit
from streamlit import config
from streamlit.runtime.secrets import Secrets
from streamlit.testing.v1 import AppTest

from models.registry import update_structure
from models.store import Store
from sync.credentials import ENV_CREDENTIALS, ENV_EMULATOR, ENV_GOOGLE_CREDENTIALS, ENV_SPREADSHEET
from sync.sheets_emulator import SheetsEmulator
from sync.status import hub_overview, recent_runs
from sync.store_side import local_changes
from tests.pages.ui import find_button, metric_values, texts_of
from tests.sync.conftest import emulator  # noqa: F401 - the fixture
from tests.sync.test_status import Hub

PAGE = "pages/synchronisation.py"
SYNC = "Synchroniser maintenant"
UNKNOWN_ID = "1UnknownSpreadsheetIdXXXXXXXXXXXXXXXXXXXXXXX"


@pytest.fixture(autouse=True)
def no_secrets_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """``st.secrets`` reads only a ``secrets.toml`` that does not exist, and no hub variable is set:
    ``AppTest.secrets`` alone configures the hub of a test."""
    missing = [str(tmp_path / ".streamlit" / "secrets.toml")]
    get_option = config.get_option
    monkeypatch.setattr(config, "get_option", lambda key: missing if key == "secrets.files" else get_option(key))
    monkeypatch.setattr(streamlit, "secrets", Secrets())
    for name in (ENV_SPREADSHEET, ENV_CREDENTIALS, ENV_EMULATOR, ENV_GOOGLE_CREDENTIALS):
        monkeypatch.delenv(name, raising=False)


def _open(at: AppTest, gsheets: dict | None = None) -> AppTest:
    if gsheets is not None:
        at.secrets["connections"] = {"gsheets": gsheets}
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    assert texts_of(at.title) == ["Synchronisation"]
    return at


def _sync(at: AppTest) -> AppTest:
    find_button(at, SYNC).click().run()
    assert not at.exception, at.exception
    return at


def _runs_table(at: AppTest):
    found = [df.value for df in at.dataframe if "Résumé" in df.value.columns]
    assert len(found) == 1, [list(df.value.columns) for df in at.dataframe]
    return found[0]


# -- configuration ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("gsheets", "said"), [
    (None, "Aucun classeur Google Sheets n'est configuré"),
    ({"spreadsheet": "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"}, "Aucune clé de compte de service"),
])
def test_without_a_hub_the_page_says_what_to_configure(app, gsheets, said):
    at = _open(app, gsheets)
    (error,) = texts_of(at.error)
    assert said in error
    code = "\n".join(texts_of(at.code))
    assert "[connections.gsheets]" in code
    assert 'emulator = "http://127.0.0.1:8765"' in code and "service_account_file" in code
    assert any("maillage dev sheets-emulator" in text for text in [code, *texts_of(at.markdown)])
    assert not [b for b in at.button if b.label == SYNC]


# -- a sync ------------------------------------------------------------------------------------------


def test_syncing_puts_the_store_in_the_sheet_and_shows_the_report(app, ui_store: Store, emulator: SheetsEmulator):
    sid = emulator.create_spreadsheet("Hub Maillage")
    with ui_store.connect() as con:
        waiting = local_changes(con, sid)
        store_ids = {row_id for (row_id,) in con.execute("SELECT id FROM structures").fetchall()}
    at = _open(app, {"emulator": emulator.url, "spreadsheet": sid})
    assert any(sid in text for text in texts_of(at.markdown))
    shown = metric_values(at)
    assert shown["Dernière synchronisation"] == "jamais"
    assert shown["Modifications en attente"] == str(sum(waiting.values()))
    assert shown["Requêtes (dernière synchronisation)"] == "—"
    assert f"structures : {waiting['structures']}" in " ".join(texts_of(at.caption))
    assert "Aucune synchronisation avec ce classeur depuis cet appareil." in texts_of(at.caption)

    _sync(at)
    rows = emulator.values(sid, "structures")
    assert rows[0][0] == "id"
    assert {row[0] for row in rows[1:]} == store_ids
    with ui_store.connect() as con:
        (run,) = recent_runs(con, sid)
        overview = hub_overview(con, sid)
    assert run["statut"] == "terminee" and overview.waiting_total == 0
    (success,) = texts_of(at.success)
    assert success.startswith("Synchronisation terminée")
    assert f"{sum(waiting.values())} ligne(s) envoyées" in success
    assert f"({run['requetes']} requêtes)" in success
    assert any(text.startswith(f"Cette synchronisation : {run['requetes']} requêtes") for text in texts_of(at.caption))
    shown = metric_values(at)
    assert shown["Modifications en attente"] == "0"
    assert shown["Requêtes (dernière synchronisation)"] == str(run["requetes"])
    assert shown["Dernière synchronisation"] != "jamais"
    table = _runs_table(at)
    assert list(table["Statut"]) == ["terminée"] and list(table["Requêtes"]) == [run["requetes"]]
    assert [e.label for e in at.expander] == ["Journal de la dernière synchronisation (terminée)"]

    at.run()  # the report stays after another draw of the page
    assert texts_of(at.success) == [success]
    _sync(at)  # nothing changed since: the sheet is only read
    assert list(_runs_table(at)["Statut"]) == ["terminée", "terminée"]
    assert texts_of(at.success)[0].startswith("Synchronisation terminée")


def test_conflicts_and_deletions_waiting_are_counted_with_a_link_to_decide(app, ui_store: Store,
                                                                          emulator: SheetsEmulator):
    hub = Hub(emulator)
    hub.sync(ui_store)
    with ui_store.connect() as con:
        first, second = [row_id for (row_id,) in con.execute("SELECT id FROM structures ORDER BY id LIMIT 2").fetchall()]
    with ui_store.atomic() as con:
        saved, issues = update_structure(con, first, {"adresse": "3 rue de l'Appareil"}, by="alice")
    assert saved is not None, issues
    hub.human_edit("structures", first, "adresse", "5 rue du Classeur")
    hub.human_delete("structures", second)
    report = hub.sync(ui_store)
    assert (report.conflicts, report.deletions) == (1, 1)

    at = _open(app, {"emulator": emulator.url, "spreadsheet": hub.sid})
    shown = metric_values(at)
    assert (shown["Conflits ouverts"], shown["Suppressions à confirmer"]) == ("1", "1")
    assert shown["Requêtes (dernière synchronisation)"] == str(report.requests)
    assert [link.value for link in at.page_link] == ["Trancher les conflits et les suppressions"]
    assert "1 conflit ; 1 suppression à confirmer" in _runs_table(at)["Résumé"].iloc[0]


# -- errors --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("fault", "said", "statut"), [
    ("introuvable", "Classeur introuvable : vérifiez l'identifiant", "erreur"),
    ("refus", "n'est pas partagé avec le compte de service", "erreur"),
    ("coupure", "La connexion à Google Sheets a été coupée", "interrompue (reprise à la suivante)"),
])
def test_a_refused_or_failed_sync_is_a_french_error_not_a_crash(app, ui_store: Store, emulator: SheetsEmulator,
                                                                 fault, said, statut):
    sid = UNKNOWN_ID if fault == "introuvable" else emulator.create_spreadsheet("Hub Maillage")
    at = _open(app, {"emulator": emulator.url, "spreadsheet": sid})
    if fault == "refus":
        emulator.fail_next(403, message="The caller does not have permission")
    elif fault == "coupure":
        emulator.fail_at(2, drop=True)  # the tabs' creation (a structural write, never sent twice)
    _sync(at)
    (error,) = texts_of(at.error)
    assert said in error
    assert not at.success
    assert list(_runs_table(at)["Statut"]) == [statut]
    if fault == "coupure":
        assert any("ne s'est pas terminée" in text for text in texts_of(at.warning))
        emulator.reset_faults()
        _sync(at)  # the next sync completes the work
        assert texts_of(at.success)[0].startswith("Synchronisation terminée")
        assert len(emulator.values(sid, "structures")) > 1
