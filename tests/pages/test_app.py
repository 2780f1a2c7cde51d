"""The app as a whole (``app.py``): what every page shares.

- Every page opens at its own address (``/structures``, ``/historique``…), typed by hand or kept in
  a bookmark, for every role, its home page included; an address that is no page of Maillage shows
  a French page, never Streamlit's English « Page not found » dialog.
- No table offers Streamlit's built-in « Download as CSV » (it writes formulas as they are, and a
  comma-separated file French Excel opens in one column): the pages offer their own downloads.
"""

from __future__ import annotations

import tomllib
from functools import partial

import pytest
import streamlit as st
import streamlit.commands.navigation as streamlit_navigation
from streamlit.runtime.scriptrunner_utils.script_requests import RerunData
from streamlit.testing.v1 import AppTest, local_script_runner

from models.access import get_user
from pages.shared import ACCOUNT, PAGES, url_path
from tests.pages.conftest import ROOT
from tests.pages.ui import texts_of, with_accounts

ADDRESSES = [url_path(spec) for specs in PAGES.values() for spec in specs]


@pytest.fixture
def open_address(monkeypatch: pytest.MonkeyPatch):
    """``open_address(at, "/structures")`` runs the app as a browser does for an address typed by
    hand: its first request names the page by its address (AppTest's ``switch_page`` names it by a
    page hash instead). Returns whether Streamlit told the browser « Page not found » (the English
    dialog its frontend draws, whatever the app does)."""
    not_found: list[str] = []
    send = streamlit_navigation.send_page_not_found

    def spy(ctx) -> None:
        not_found.append("Page not found")
        send(ctx)

    monkeypatch.setattr(streamlit_navigation, "send_page_not_found", spy)

    def open_at(at: AppTest, address: str) -> bool:
        monkeypatch.setattr(local_script_runner, "RerunData", partial(RerunData, page_name=address.strip("/")))
        try:
            at.run()
        finally:
            monkeypatch.setattr(local_script_runner, "RerunData", RerunData)
        found = not not_found
        not_found.clear()
        return found

    return open_at


def _as(at: AppTest, store, role: str | None) -> AppTest:
    """The app for someone of ``role`` already signed in (None: laptop mode, no accounts)."""
    if role is not None:
        with_accounts(store, ("camille", role))
        with store.connect() as con:
            at.session_state[ACCOUNT] = get_user(con, "camille")
    return at


@pytest.mark.parametrize(("role", "address", "title"), [
    (None, "/structures", "Structures"),  # laptop mode's home page
    (None, "/importer", "Import"),
    ("admin", "/structures", "Structures"),
    ("coordinateur", "/structures", "Structures"),
    ("enqueteur", "/appels", "Mes appels"),  # a surveyor's home page
    ("comite", "/tableau_de_bord", "Tableau de bord"),  # the committee's home page
    ("comite", "/structures", "Structures"),  # a page the committee may not open: its French refusal
], ids=["poste-unique-accueil", "poste-unique-import", "admin", "coordinateur", "enqueteur-accueil",
        "comite-accueil", "comite-refus"])
def test_every_page_opens_at_its_own_address_home_page_included(app, ui_store, open_address, role, address, title):
    _as(app, ui_store, role)
    assert open_address(app, address), f"{address} : « Page not found » de Streamlit"
    assert not app.exception
    assert app.title[0].value.startswith(title)


def test_every_page_of_maillage_has_an_address_of_its_own():
    assert len(set(ADDRESSES)) == len(ADDRESSES) and "" not in ADDRESSES


@pytest.mark.parametrize("address", ["/nimporte-quoi", "/Structures", "/tableau-de-bord"])
def test_an_address_that_is_no_page_shows_a_french_page(app, open_address, address):
    assert open_address(app, address), "Streamlit a affiché son « Page not found » en anglais"
    assert not app.exception
    assert [title.value for title in app.title] == ["Page introuvable"]
    assert any(f"« {address} »" in text for text in texts_of(app.warning)), texts_of(app.warning)


def test_no_table_offers_streamlit_s_own_csv_download(app):
    settings = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert settings["client"]["disableDataExport"] is True  # `streamlit run` in the project's folder
    app.run()
    assert not app.exception
    assert st.get_option("client.disableDataExport") is True  # and wherever app.py is run from
