"""The app as a whole (``app.py``): what every page shares.

- Every page opens at its own address (``/structures``, ``/historique``…), typed by hand or kept in
  a bookmark, for every role, its home page included; an address that is no page of Maillage shows
  a French page, never Streamlit's English « Page not found » dialog.
- Pages are pages: ``pages/`` holds the pages of the menu and nothing else (what they share is in
  ``ui/``), so no helper module can be opened by its address; on a first start the menu never
  lists file names, not even while the demo loads.
- No table offers Streamlit's built-in « Download as CSV » (it writes formulas as they are, and a
  comma-separated file French Excel opens in one column): the pages offer their own downloads.
"""

from __future__ import annotations

import shutil
import tomllib
from collections.abc import Iterator
from functools import partial

import pytest
import streamlit as st
import streamlit.commands.navigation as streamlit_navigation
from streamlit import config as streamlit_config
from streamlit.proto.Navigation_pb2 import Navigation
from streamlit.runtime.forward_msg_queue import ForwardMsgQueue
from streamlit.runtime.scriptrunner_utils.script_requests import RerunData
from streamlit.testing.v1 import AppTest, local_script_runner

import collect.demo
import ui.shared
from models.access import get_user
from tests.pages.conftest import APP, DEVICE, NC_COUNT, NC_DEMO, ROOT, TIMEOUT
from tests.pages.ui import texts_of, with_accounts
from ui.shared import ACCOUNT, PAGES, url_path

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


# -- pages are pages ----------------------------------------------------------------------------

# The modules that were files of pages/ without being pages (issue 18): Streamlit served each at its address.
HELPERS = ["shared", "session_ui", "dashboard_ui", "saisie"]
MENU = [spec.title for specs in PAGES.values() for spec in specs]


def test_pages_holds_the_pages_of_the_menu_and_nothing_else():
    """On a process's first run Streamlit serves every file of ``pages/`` as a page (its legacy
    multipage mode, before any ``st.navigation``): that folder holds only pages of the menu."""
    files = {path.relative_to(ROOT).as_posix() for path in (ROOT / "pages").glob("*.py")}
    assert files == {spec.path for specs in PAGES.values() for spec in specs}


@pytest.fixture
def first_start(tmp_path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[AppTest, list[tuple]]]:
    """The app's first run on a brand-new store, as a new server's: Streamlit's legacy multipage
    mode (no ``server_navigation`` shim: AppTest starts every run in it), the settings of
    ``.streamlit/config.toml`` as read at the server's start, the demo loaded (only the
    Nouvelle-Calédonie file, for speed). Yields the app, run, and the timeline of what it sent or
    did: each menu (``("menu", position, [(title, address, hidden)…])``), each element drawn,
    the store's opening and the demo load."""
    folder = tmp_path / "demo"
    folder.mkdir()
    shutil.copy(NC_DEMO, folder / NC_DEMO.name)
    monkeypatch.setattr(collect.demo, "DEMO_DIR", folder)
    monkeypatch.setenv("MAILLAGE_DB", str(tmp_path / "premier-demarrage.duckdb"))
    monkeypatch.setenv("MAILLAGE_DEVICE", DEVICE)
    timeline: list[tuple] = []

    def sent(msg) -> None:
        kind = msg.WhichOneof("type")
        if kind == "navigation":
            pages = [(page.page_name, page.url_pathname, page.is_hidden) for page in msg.navigation.app_pages]
            timeline.append(("menu", msg.navigation.position, pages))
        elif kind == "delta":
            timeline.append(("element",))

    def spied(name: str, function):
        def spy(*args, **kwargs):
            timeline.append((name,))
            return function(*args, **kwargs)
        return spy

    monkeypatch.setattr(ForwardMsgQueue, "_before_enqueue_msg", sent)
    monkeypatch.setattr(collect.demo, "load_demo", spied("demo", collect.demo.load_demo))
    monkeypatch.setattr(ui.shared, "open_store", spied("store", ui.shared.open_store))
    settings = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    shown = streamlit_config.get_option("client.showSidebarNavigation")
    streamlit_config.set_option("client.showSidebarNavigation", settings["client"]["showSidebarNavigation"])
    try:
        yield AppTest.from_file(str(APP), default_timeout=TIMEOUT).run(), timeline
    finally:
        streamlit_config.set_option("client.showSidebarNavigation", shown)


def test_a_first_start_never_shows_file_names_in_the_menu(first_start):
    at, timeline = first_start
    assert not at.exception
    assert texts_of(at.title) == ["Structures"]
    assert any(f"{NC_COUNT} structures" in caption for caption in texts_of(at.sidebar.caption))  # the demo loaded
    menus = [entry for entry in timeline if entry[0] == "menu"]
    streamlit_s = menus[0]  # Streamlit's own, from the files of pages/, sent before app.py runs
    file_names = {title for title, _, _ in streamlit_s[2]}
    assert {address for _, address, _ in streamlit_s[2]} <= {"", *ADDRESSES}  # no helper module to serve
    assert streamlit_s[1] == Navigation.Position.HIDDEN  # never shown (client.showSidebarNavigation = false)
    # and app.py replaces it at once: before it draws anything, opens the store or loads the demo
    after = timeline[timeline.index(streamlit_s) + 1]
    assert after[:2] == ("menu", Navigation.Position.HIDDEN), timeline[:5]
    for _, _, pages in menus[1:]:  # then only the pages' titles, never a file's name
        assert not {title for title, _, _ in pages} & file_names
    assert not {title for _, _, pages in menus for title, _, _ in pages} & {"shared", "session ui", "dashboard ui",
                                                                             "saisie"}
    # the demo loads under the real menu
    demo = timeline.index(("demo",))
    _, position, pages = [entry for entry in timeline[:demo] if entry[0] == "menu"][-1]
    assert position == Navigation.Position.SIDEBAR
    assert [title for title, _, hidden in pages if not hidden] == MENU


@pytest.mark.parametrize("helper", HELPERS)
@pytest.mark.parametrize("first", [True, False], ids=["premier-demarrage", "serveur-demarre"])
def test_a_helper_module_cannot_be_opened_by_its_address(request, ui_store, open_address, helper, first):
    if not first:  # the server's later runs: every run goes through app.py
        request.getfixturevalue("server_navigation")
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    found = open_address(at, f"/{helper}")
    assert not at.exception
    assert texts_of(at.title) == ["Page introuvable"]  # app.py ran, not the module
    if not first:  # on a first start Streamlit's own menu has no page there either: its English dialog, as for any
        assert found

