"""Maillage — the Streamlit entry point: ``streamlit run app.py``.

Opens the store named by ``$MAILLAGE_DB`` (default ``data/maillage.duckdb``), migrated; on a
store's first start loads the demo territory; in server mode (the store has accounts) asks who is
at the screen (``pages.session_ui``); then runs the page chosen in the navigation, among the pages
the person's role may open.
Pages live in ``pages/`` and only read widgets, call the core and render.
"""

from __future__ import annotations

import threading

import streamlit as st

from collect.demo import demo_loaded, load_demo
from models.errors import MaillageError
from models.registry import count_structures
from pages.session_ui import account_sidebar, signed_in_or_sign_in
from pages.shared import app_pages, count_text, current_role, get_store, mark_entry_run, opened_store

st.set_page_config(page_title="Maillage", layout="wide")
# No built-in « Download as CSV » on the tables (nor their copy to the clipboard): it would write the
# store's texts as they are, formulas included (« =HYPERLINK(…) » run by Excel), comma-separated for a
# French Excel. The pages offer their own downloads (``pages.shared.csv_bytes``). Also in
# .streamlit/config.toml, which holds from a session's first run; this holds wherever app.py is run from.
st.set_option("client.disableDataExport", True)


@st.cache_resource(show_spinner=False)
def _demo_lock() -> threading.Lock:
    """One demo load at a time in this process (two sessions may start together)."""
    return threading.Lock()


def ensure_demo() -> None:
    """On a store's first start, load the demo lieux (checked once per process and store file)."""
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


try:
    store = get_store()
    ensure_demo()
    with store.connect() as con:
        total = count_structures(con)
except MaillageError as error:
    st.error(str(error))
    st.stop()

if not signed_in_or_sign_in(store):
    st.stop()
navigation = st.navigation(app_pages(current_role()), expanded=True)
account_sidebar(store)
st.sidebar.caption(f"Base : `{store.path}` · {count_text(total, 'structure')}")
mark_entry_run()
navigation.run()
