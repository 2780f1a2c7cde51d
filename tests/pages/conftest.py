"""Fixtures of the page tests: the real app (``app.py``) driven by Streamlit's AppTest on a real store.

Each test gets its own copy of a store holding the 90 lieux of the Nouvelle-Calédonie demo file,
already marked « demo loaded » so the app does not import the 924 demo lieux in every test.
``MAILLAGE_DB`` is set before the app runs: the pages find their store through it.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

from collect.demo import DEMO_DIR, load_demo
from models.store import Store

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app.py"
NC_DEMO = DEMO_DIR / "20240320-nouvelle-caledonie-lieux-de-mediation-numeriques-nouvelle-caledonie.json"
NC_COUNT = 90
DEVICE = "poste-test"
TIMEOUT = 30


@pytest.fixture
def server_navigation(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make AppTest rerun ``app.py`` each time, as ``streamlit run`` does.

    The pages live in ``pages/``, which next to the main script also means Streamlit's legacy
    multipage mode. Under ``streamlit run``, the first ``st.navigation`` call sets
    ``PagesManager.uses_pages_directory = False`` for the whole process, so every later rerun
    executes ``app.py``. AppTest resets that flag to None before each run (streamlit PR #14217),
    and ``PagesManager.__init__`` then sets it back to True because ``pages/`` exists. The second
    and later AppTest runs would then execute the page file alone, without ``app.py`` (no demo
    check, no sidebar). This shim keeps the server's value after the PagesManager is created.

    (The pages' own guard, ``ui.shared.page_setup``, recovers from that mode with a rerun
    through ``app.py``, which is right for a server's first deep link but would eat the clicks
    of every AppTest run; ``test_a_page_run_without_app_py_reruns_through_app_py`` covers it.)
    """
    original_init = PagesManager.__init__

    def init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)


@pytest.fixture(scope="session")
def nc_store_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with the 90 Nouvelle-Calédonie lieux, built once; copy it, never write to it.

    ``load_demo`` runs on a demo folder holding only that file: it imports it and records the
    demo as loaded, exactly as on a real first start, in a fraction of the time.
    """
    folder = tmp_path_factory.mktemp("demo-nc")
    shutil.copy(NC_DEMO, folder / NC_DEMO.name)
    path = tmp_path_factory.mktemp("ui") / "nc.duckdb"
    store = Store(path, device="test")
    store.migrate()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("collect.demo.DEMO_DIR", folder)
        reports = load_demo(store, by="test")
    assert [report.new for report in reports] == [NC_COUNT]
    assert store.release()  # the file alone is complete: copies of it hold everything
    return path


@pytest.fixture
def ui_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, nc_store_template: Path) -> Store:
    """This test's store (a copy of the template), the one the app will open."""
    path = tmp_path / "maillage.duckdb"
    shutil.copy(nc_store_template, path)
    monkeypatch.setenv("MAILLAGE_DB", str(path))
    monkeypatch.setenv("MAILLAGE_DEVICE", DEVICE)
    return Store(path, device=DEVICE)


@pytest.fixture
def app(ui_store: Store, server_navigation: None) -> Iterator[AppTest]:
    """The app, not yet run, on the test's store."""
    yield AppTest.from_file(str(APP), default_timeout=TIMEOUT)



@pytest.fixture
def campaign_id(ui_store: Store) -> str:
    """The demo campaign of the test's store (``load_demo`` adds it on a first start)."""
    from collect.campaigns import list_campaigns
    from collect.demo import DEMO_CAMPAIGN

    with ui_store.connect() as con:
        (campaign,) = list_campaigns(con)
    assert campaign["nom"] == DEMO_CAMPAIGN
    return campaign["id"]


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """The files the app hands to download buttons, by their download name (read from Streamlit's
    media storage, where ``st.download_button`` puts the bytes it serves)."""
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    files: dict[str, bytes] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def load_and_get_id(self, path_or_data, mimetype, kind, filename=None):
        if filename and isinstance(path_or_data, bytes):
            files[filename] = path_or_data
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", load_and_get_id)
    return files
