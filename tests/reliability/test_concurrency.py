"""Shared server mode under load: 20 surveyors on one store while cron's ``maillage sync`` runs.

Twenty sessions of the app — Streamlit's ``AppTest`` instances of the real ``app.py`` and survey
page, each driven from its own thread like the sessions of one ``streamlit run`` server — fill
and submit a questionnaire at the same time, each on its own structures, one field per page run
(the page saves each change at once, as it does under a browser). Meanwhile ``maillage sync
--emulateur`` runs again and again as a separate process against the Sheets emulator of the test
process, then once more when the sessions are done.

At the end: every submitted response is in the store exactly once with all its answers (and its
registry answer written back) and in the sheet exactly once (read through gspread's real client),
no session met an error, and syncs did write to the sheet while the sessions worked. How long the
saves and submissions waited for the store is printed (each ``Store.connect`` of the test process
is timed), never asserted: a loaded machine makes any unit slow, and the speed goal lives in
``bench.concurrent_sessions`` (p95 of a save among twenty sessions, with and without the sync).

AppTest is built for one session at a time: the process-wide state it resets around each run is
made safe for twenty (``concurrent_apptest``); nothing of the app or the page is changed.
"""

from __future__ import annotations

import ast
import contextlib
import json
import logging
import os
import random
import re
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest.mock import MagicMock

import gspread
import pytest
from streamlit.testing.v1 import AppTest

from collect.campaigns import create_campaign
from collect.questionnaire import questionnaire_from_dict
from collect.surveys import publish_questionnaire
from models.store import Store
from sync.sheets_emulator import SheetsEmulator
from tests.pages.conftest import APP, DEVICE, nc_store_template  # noqa: F401 - a fixture, used by name

pytestmark = [pytest.mark.slow, pytest.mark.timeout(150)]

ROOT = Path(__file__).resolve().parents[2]
MAILLAGE = Path(sys.executable).with_name("maillage")
SPREADSHEET = "hub-charge"
SESSIONS = 20
RUN_TIMEOUT = 60  # seconds for one page run: twenty sessions share one interpreter (and its GIL)
THINK_SECONDS = (1.0, 4.0)  # between two fields of a surveyor: listening, typing
BAD_SIGNS = ("StoreBusy", "Traceback", "est occupée")

QUESTIONNAIRE = {
    "code": "charge",
    "titre": "Appel de charge",
    "sections": [
        {"code": "appel", "titre": "Appel", "questions": [
            {"code": "interlocuteur", "type": "texte", "libelle": "Interlocuteur", "obligatoire": True},
            {"code": "fonction", "type": "texte", "libelle": "Fonction"},
            {"code": "postes", "type": "entier", "libelle": "Postes en accès libre", "min": 0, "max": 100},
        ]},
        {"code": "offre", "titre": "Offre", "questions": [
            {"code": "horaires", "type": "registre", "champ": "horaires"},
            {"code": "ateliers", "type": "oui_non", "libelle": "Des ateliers ?", "obligatoire": True},
            {"code": "publics", "type": "choix_multiple", "libelle": "Publics", "choix": ["Seniors", "Jeunes", "Familles"]},
            {"code": "remarque", "type": "texte_long", "libelle": "Remarque"},
        ]},
    ],
}


def answers_of(n: int) -> dict[str, Any]:
    """What session ``n`` answers, in the stored form ``submit_draft`` checks them into."""
    return {
        "interlocuteur": f"Personne {n}",
        "fonction": f"Médiatrice {n}",
        "postes": n,
        "horaires": "Mo-Fr 09:00-12:00" if n % 2 else "Tu,Th 14:00-17:00",
        "ateliers": n % 3 != 0,
        "publics": ["seniors", "familles"] if n % 2 else ["jeunes"],
        "remarque": f"Rappeler en juin (session {n}).\nDeux lignes.",
    }


# -- twenty AppTest sessions in one process ------------------------------------------------------


@contextmanager
def concurrent_apptest(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Let several ``AppTest`` instances run at once in one process, as sessions of one server do.

    Before each run, AppTest (1) puts a fresh mock in ``Runtime._instance`` and sets it back to
    None after the run, (2) sets ``PagesManager.uses_pages_directory`` to None (the server then
    sets it to False for good: see ``tests/pages/conftest.server_navigation``), (3) patches
    ``config.get_option`` for ``global.appTest`` during the run, and (4) compiles the scripts in
    a new ``ScriptCache``. With runs overlapping, one session's end would pull the runtime from
    under another's script, a session would run a page file without ``app.py``, and twenty
    compilations at once meet a CPython 3.11 bug (below). So, like one server: one runtime and one
    script cache for every session (set once), the pages directory mode left off,
    ``global.appTest`` on for the whole test. AppTest's 1 ms poll for the end of a run is also
    slowed to 10 ms, or twenty pollers take the GIL from the scripts they wait for.
    """
    import streamlit.testing.v1.app_test as app_test
    import streamlit.testing.v1.local_script_runner as local_runner
    from streamlit import config
    from streamlit.components.v2.component_manager import BidiComponentManager
    from streamlit.runtime import Runtime
    from streamlit.runtime.caching.storage.dummy_cache_storage import MemoryCacheStorageManager
    from streamlit.runtime.dataframe_source_manager import DataframeSourceManager
    from streamlit.runtime.media_file_manager import MediaFileManager
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1.util import build_mock_config_get_option

    runtime = MagicMock(spec=Runtime)
    runtime.media_file_mgr = MediaFileManager(MemoryMediaFileStorage("/mock/media"))
    runtime.dataframe_source_mgr = DataframeSourceManager()
    runtime.cache_storage_manager = MemoryCacheStorageManager()
    components = BidiComponentManager()
    components.discover_and_register_components(start_file_watching=False)
    runtime.bidi_component_registry = components

    class OneRuntime:
        """What AppTest sees as ``Runtime``: its per-run set and reset land here, not on Streamlit's."""

        _instance = None

    scripts = ScriptCache()  # one for every session, as the server's: each page compiled once
    monkeypatch.setattr(app_test, "ScriptCache", lambda: scripts)
    # CPython 3.11 keeps the AST converter's recursion depth per interpreter, not per thread: two
    # ``ast.parse`` at once (Streamlit's « magic » on a first compile, a traceback's carets) can fail
    # with « SystemError: AST constructor recursion depth mismatch ». One at a time, then.
    parse, parsing = ast.parse, threading.Lock()

    def parse_one_at_a_time(*args, **kwargs):
        with parsing:
            return parse(*args, **kwargs)

    monkeypatch.setattr(ast, "parse", parse_one_at_a_time)
    monkeypatch.setattr(Runtime, "_instance", runtime)
    monkeypatch.setattr(app_test, "Runtime", OneRuntime)
    original_init = PagesManager.__init__

    def init(self, *args, **kwargs):
        PagesManager.uses_pages_directory = False  # before: the original never sets True then
        original_init(self, *args, **kwargs)

    monkeypatch.setattr(PagesManager, "__init__", init)
    monkeypatch.setattr(config, "get_option", build_mock_config_get_option({"global.appTest": True}))
    monkeypatch.setattr(app_test, "patch_config_options", lambda overrides: contextlib.nullcontext())
    slow_time = type("SlowPoll", (), {"time": staticmethod(time.time),
                                      "sleep": staticmethod(lambda seconds: time.sleep(max(seconds, 0.01)))})
    monkeypatch.setattr(local_runner, "time", slow_time)
    # Session threads read their AppTest's state outside a script run: Streamlit warns each time.
    quiet = logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        yield
    finally:
        quiet.setLevel(level)


# -- measuring the store's units of work ---------------------------------------------------------


@dataclass
class Units:
    """Every unit of work of the app's store (wall time from asking for it to its end), by kind."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    seconds: dict[str, list[float]] = field(default_factory=dict)
    local: threading.local = field(default_factory=threading.local)

    def add(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.seconds.setdefault(kind, []).append(seconds)


@pytest.fixture
def units(monkeypatch: pytest.MonkeyPatch) -> Units:
    """Time each ``Store.connect`` (``atomic`` goes through it) of the test process; a unit that
    calls ``save_answer`` is a save, one that calls ``submit_in_transaction`` a submission."""
    import collect.surveys as surveys

    measured = Units()
    original_connect = Store.connect

    @contextmanager
    def connect(self, **kwargs):
        start = time.perf_counter()
        measured.local.kind = "autre"
        with original_connect(self, **kwargs) as con:
            yield con
        measured.add(measured.local.kind, time.perf_counter() - start)

    def tagged(kind, function):
        def call(*args, **kwargs):
            measured.local.kind = kind
            return function(*args, **kwargs)
        return call

    monkeypatch.setattr(Store, "connect", connect)
    monkeypatch.setattr(surveys, "save_answer", tagged("enregistrement", surveys.save_answer))
    monkeypatch.setattr(surveys, "submit_in_transaction", tagged("soumission", surveys.submit_in_transaction))
    return measured


# -- one session ---------------------------------------------------------------------------------


@dataclass
class Session:
    n: int
    structure_id: str
    campaign_id: str
    errors: list[str] = field(default_factory=list)
    runs: int = 0
    pauses: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.pauses = random.Random(self.n)


def _check(app: AppTest, session: Session, step: str) -> None:
    session.runs += 1
    problems = [f"{step}: {e.value}" for e in app.exception] + [f"{step}: {e.value}" for e in app.error]
    if problems:
        raise AssertionError("; ".join(problems))


def fill_and_submit(session: Session) -> None:
    """One surveyor's tab: open the survey of its structure, answer field by field, submit."""
    app = AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT)
    app.query_params["campagne"] = session.campaign_id
    app.query_params["structure"] = session.structure_id
    app.run()
    _check(app, session, "ouverture")
    app.switch_page("pages/enquete.py")
    app.run()
    _check(app, session, "page Enquête")
    (draft_key,) = [k for k in app.session_state.keys()
                    if k.startswith("enquete.section.") and not k.endswith(".derniere")]
    draft_id = draft_key.removeprefix("enquete.section.")

    def key(code: str) -> str:
        return f"enquete.q.{draft_id}.{code}"

    def typed(code: str, text: str) -> None:
        think()
        app.session_state[key(code)] = {"value": text}
        app.run()
        _check(app, session, code)

    def think() -> None:  # the surveyor listens and types between two fields
        time.sleep(session.pauses.uniform(*THINK_SECONDS))

    answers = answers_of(session.n)
    typed("interlocuteur", answers["interlocuteur"])
    typed("fonction", answers["fonction"])
    typed("postes", str(answers["postes"]))
    think()
    app.session_state[draft_key] = app.session_state[draft_key + ".derniere"] = "offre"
    app.run()
    _check(app, session, "section offre")
    typed("horaires", answers["horaires"])
    think()
    app.radio(key=key("ateliers")).set_value("Oui" if answers["ateliers"] else "Non").run()
    _check(app, session, "ateliers")
    think()
    app.multiselect(key=key("publics")).set_value(answers["publics"]).run()
    _check(app, session, "publics")
    typed("remarque", answers["remarque"])
    think()
    app.button(key="enquete.soumettre").click().run()
    _check(app, session, "soumission")
    if not any("Réponse soumise le" in s.value for s in app.success):
        raise AssertionError(f"not submitted: {app.session_state['enquete.erreurs']}")


# -- the test ------------------------------------------------------------------------------------


@pytest.fixture
def shared_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, nc_store_template: Path) -> Store:  # noqa: F811
    """The server's one store: a copy of the 90 Nouvelle-Calédonie lieux, the questionnaire published."""
    path = tmp_path / "maillage.duckdb"
    shutil.copy(nc_store_template, path)
    monkeypatch.setenv("MAILLAGE_DB", str(path))
    monkeypatch.setenv("MAILLAGE_DEVICE", DEVICE)
    return Store(path, device=DEVICE)


def test_twenty_sessions_submit_while_cron_syncs(tmp_path, shared_store, units, monkeypatch):
    started = time.monotonic()
    with shared_store.atomic() as con:
        stored = publish_questionnaire(con, questionnaire_from_dict(QUESTIONNAIRE, source="charge"), by="test")
        campaign_id = create_campaign(con, nom="Charge", questionnaire_id=stored.id, by="test")
    structure_ids = [row["id"] for row in shared_store.query(
        "SELECT id FROM structures WHERE deleted_at IS NULL ORDER BY id LIMIT ?", [SESSIONS])]
    sessions = [Session(n, structure_id, campaign_id) for n, structure_id in enumerate(structure_ids, start=1)]
    assert shared_store.release()

    with SheetsEmulator() as emulator, concurrent_apptest(monkeypatch):
        emulator.create_spreadsheet("Hub Maillage", spreadsheet_id=SPREADSHEET)
        env = {key: value for key, value in os.environ.items() if not key.startswith("MAILLAGE_")}
        env.update({"MAILLAGE_DB": str(shared_store.path), "MAILLAGE_DEVICE": "cron", "PYTHONPATH": str(ROOT)})
        command = [str(MAILLAGE), "sync", "--emulateur", emulator.url, "--classeur", SPREADSHEET]
        syncs: list[tuple[float, subprocess.CompletedProcess]] = []
        done = threading.Event()

        def sync_once() -> None:
            begin = time.monotonic()
            result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=80)
            syncs.append((time.monotonic() - begin, result))

        def cron() -> None:
            while not done.is_set():
                sync_once()

        def surveyor(session: Session) -> None:
            try:
                fill_and_submit(session)
            except Exception as error:  # noqa: BLE001 - reported below, with the session's number
                session.errors.append(repr(error))

        sync_thread = threading.Thread(target=cron, name="cron")
        threads = [threading.Thread(target=surveyor, args=(s,), name=f"session-{s.n}") for s in sessions]
        sync_thread.start()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        sessions_seconds = time.monotonic() - started
        done.set()
        sync_thread.join(timeout=90)
        runs_beside = len(syncs)
        shared_store.release()
        sync_once()  # once more, everybody done

        gc = gspread.Client(auth=None, session=emulator.session())
        sheet = gc.open_by_key(SPREADSHEET).worksheet("reponses").get_all_values()

    print(f"\nsessions: {sessions_seconds:.1f} s; syncs beside: {runs_beside}"
          f" ({', '.join(f'{s:.1f}' for s, _ in syncs)} s)")
    for kind, durations in sorted(units.seconds.items()):
        durations = sorted(durations)
        print(f"{kind}: {len(durations)} units, p50 {durations[len(durations) // 2] * 1000:.0f} ms,"
              f" p95 {durations[int(len(durations) * 0.95)] * 1000:.0f} ms, max {durations[-1] * 1000:.0f} ms")

    assert not any(t.is_alive() for t in threads), "a session is still running"
    assert {s.n: s.errors for s in sessions if s.errors} == {}
    assert {s.runs for s in sessions} == {11}  # every step of every session ran (open, 7 fields, section, submit)
    for _seconds, result in syncs:
        output = result.stdout + result.stderr
        assert result.returncode == 0, output
        assert not any(sign in output for sign in BAD_SIGNS), output
    sent_beside = [int(n) for _s, result in syncs[:runs_beside]
                   for n in re.findall(r"(\d+) ligne\(s\) envoyées", result.stdout)]
    assert runs_beside >= 2 and any(sent_beside), "no sync wrote to the sheet while the sessions worked"

    # the store: one response per session, with every answer
    store = Store(shared_store.path, keep_open=0)
    rows = store.query("SELECT id, structure_id, answers FROM responses WHERE campaign_id = ?", [campaign_id])
    by_structure = Counter(row["structure_id"] for row in rows)
    assert by_structure == Counter({s.structure_id: 1 for s in sessions})
    stored_answers = {row["structure_id"]: json.loads(row["answers"]) for row in rows}
    assert {s.n: stored_answers[s.structure_id] for s in sessions} == {s.n: answers_of(s.n) for s in sessions}
    registry = {row["id"]: row["horaires"] for row in store.query(
        "SELECT id, horaires FROM structures WHERE list_contains(?, id)", [structure_ids])}
    assert {s.n: registry[s.structure_id] for s in sessions} == {s.n: answers_of(s.n)["horaires"] for s in sessions}

    # the sheet: each response once, its answers as stored
    header, *lines = sheet
    in_sheet = Counter(line[header.index("id")] for line in lines)
    assert {row["id"]: in_sheet[row["id"]] for row in rows} == {row["id"]: 1 for row in rows}
    sheet_answers = {line[header.index("id")]: json.loads(line[header.index("answers")]) for line in lines}
    assert {row["id"]: sheet_answers[row["id"]] for row in rows} == {row["id"]: json.loads(row["answers"]) for row in rows}

    # every field save and submission went through the store (timed above, for the record)
    assert len(units.seconds["enregistrement"]) >= SESSIONS * 7 and len(units.seconds["soumission"]) >= SESSIONS
