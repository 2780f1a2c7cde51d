"""Maillage — the Streamlit entry point: ``streamlit run app.py``.

Opens the store named by ``$MAILLAGE_DB`` (default ``data/maillage.duckdb``), migrated; on a
store's first start loads the demo territory; then runs the page chosen in the navigation.
Pages live in ``pages/`` and only read widgets, call the core and render.
"""

from __future__ import annotations

import threading

import streamlit as st

from collect.demo import demo_loaded, load_demo
from models.errors import MaillageError
from models.registry import count_structures
from pages.shared import count_text, current_file_id, get_store, store_path

st.set_page_config(page_title="Maillage", layout="wide")


@st.cache_resource(show_spinner=False)
def _demo_checks() -> tuple[threading.Lock, set]:
    """Process-wide record of the store files whose demo load was already checked."""
    return threading.Lock(), set()


def ensure_demo() -> None:
    """On a store's first start, load the demo lieux (once per process and store file)."""
    lock, checked = _demo_checks()
    key = (store_path(), current_file_id())
    if key in checked:
        return
    with lock:
        if key in checked:
            return
        store = get_store()
        if not demo_loaded(store):
            with st.spinner("Chargement des 924 lieux de démonstration…"):
                load_demo(store, by="demo")
        checked.add(key)


try:
    store = get_store()
    ensure_demo()
    with store.connect() as con:
        total = count_structures(con)
except MaillageError as error:
    st.error(str(error))
    st.stop()

navigation = st.navigation(
    {
        "Registre": [
            st.Page("pages/structures.py", title="Structures", icon="🏢", default=True),
            st.Page("pages/importer.py", title="Import", icon="📥"),
        ],
    }
)
st.sidebar.caption(f"Base : `{store.path}` · {count_text(total, 'structure')}")
navigation.run()
