"""Maillage — the Streamlit entry point: ``streamlit run app.py``.

Opens the store named by ``$MAILLAGE_DB`` (default ``data/maillage.duckdb``), migrated; in server
mode (the store has accounts) asks who is at the screen (``ui.session``); builds the navigation
of the pages the person's role may open; on a store's first start loads the demo territory; then
runs the page chosen in the navigation.
Pages live in ``pages/`` and only read widgets, call the core and render; what they share lives
in ``ui/``, where Streamlit cannot serve it as a page.

The menu never lists file names. With a ``pages/`` folder beside this script, the first run of a
process is Streamlit's legacy multipage mode: Streamlit itself sends a menu of the raw file names of
``pages/`` (« appels », « tableau de bord »…), then runs this script inside it (or, for a first
request at a page's address, that page's file, whose ``page_setup`` reruns through this script).
``client.showSidebarNavigation = false`` (.streamlit/config.toml) keeps that menu hidden; this
script turns the option back on for the process, replaces that menu at once with a hidden one
(before its own imports: seconds on a first start; and the only guard when run from a folder
without that config file), and builds the real menu before the demo load.
"""

from __future__ import annotations

import threading

import streamlit as st

st.set_page_config(page_title="Maillage", layout="wide")
# No built-in « Download as CSV » on the tables (nor their copy to the clipboard): it would write the
# store's texts as they are, formulas included (« =HYPERLINK(…) » run by Excel), comma-separated for a
# French Excel. The pages offer their own downloads (``ui.shared.csv_bytes``). Also in
# .streamlit/config.toml, which holds from a session's first run; this holds wherever app.py is run from.
st.set_option("client.disableDataExport", True)
# Streamlit's own menu of a first run is hidden by .streamlit/config.toml; the app's own menu is shown.
st.set_option("client.showSidebarNavigation", True)


def _in_file_navigation() -> bool:
    """Whether this run is Streamlit's legacy multipage mode (the process's first run, whose menu
    lists the files of ``pages/``): ``PagesManager.uses_pages_directory``, Streamlit 1.67 (pinned);
    False if a later Streamlit no longer has it."""
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:
        return False
    return bool(getattr(PagesManager, "uses_pages_directory", False))


def _starting() -> None:
    """The only page of the hidden navigation of a first run: never run (the real one below replaces it)."""


if _in_file_navigation():  # leaves that mode for the process (st.navigation), the raw menu hidden at once
    st.navigation([st.Page(_starting, title="Maillage", default=True)], position="hidden")


@st.cache_resource(show_spinner=False)
def _demo_lock() -> threading.Lock:
    """One demo load at a time in this process (two sessions may start together)."""
    return threading.Lock()


def ensure_demo() -> None:
    """On a store's first start, load the demo lieux (checked once per process and store file)."""
    from collect.demo import demo_loaded, load_demo
    from ui.shared import opened_store

    opened = opened_store()
    if opened.demo_checked:
        return
    with _demo_lock():
        if opened.demo_checked:
            return
        if not demo_loaded(opened.store):
            with st.spinner("Chargement des 924 lieux de démonstration…"):
                load_demo(opened.store, by="demo")
        opened.demo_checked = True


def main() -> None:
    """Every run: the store, who is at the screen, the menu, the demo on a first start, the page."""
    # The slow imports (pandas, DuckDB…: seconds on a first start), here: after the hidden menu above.
    from models.errors import MaillageError
    from models.registry import count_structures
    from models.text import counted
    from ui.session import account_sidebar, signed_in_or_sign_in
    from ui.shared import app_pages, current_role, get_store, mark_entry_run

    try:
        store = get_store()
    except MaillageError as error:
        st.error(str(error))
        st.stop()
    if not signed_in_or_sign_in(store):
        st.stop()
    # The menu first (page titles, never file names), then the demo load of a first start under it.
    navigation = st.navigation(app_pages(current_role()), expanded=True)
    try:
        ensure_demo()
        with store.connect() as con:
            total = count_structures(con)
    except MaillageError as error:
        st.error(str(error))
        st.stop()
    account_sidebar(store)
    st.sidebar.caption(f"Base : `{store.path}` · {counted(total, 'structure')}")
    mark_entry_run()
    navigation.run()


main()
