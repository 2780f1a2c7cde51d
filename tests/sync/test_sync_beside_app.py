"""``maillage sync`` beside a running app: cron syncs while the app is open and people write.

A real ``streamlit run app.py`` serves a store (its first run loads the demo); a session of it
(Streamlit's own websocket protocol, as a browser speaks it) reruns the main page every 3 s.
At the same time another process writes call attempts and structure edits through the core
functions, one transaction each, and ``maillage sync --emulateur`` runs three times in a row in
subprocesses against the Sheets emulator of the test process. Nothing may be refused for a busy
store, nothing lost, nothing written twice, and the app must keep answering.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from collect.demo import demo_loaded
from models.store import Store
from sync.sheets_emulator import SheetsEmulator
from tests.browser.conftest import start_streamlit, stop_streamlit
from tests.ports import free_port

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser"), pytest.mark.timeout(180)]

ROOT = Path(__file__).resolve().parents[2]
MAILLAGE = Path(sys.executable).with_name("maillage")
SPREADSHEET = "hub-a-cote-de-l-app"
WRITES = 20
PAUSE_SECONDS = 0.15
SYNC_RUNS = 3
RERUN_EVERY_SECONDS = 3.0
BAD_SIGNS = ("StoreBusy", "Traceback", "est occupée")

# The other writer: call attempts and structure edits through the core, one transaction each;
# prints each committed record as a JSON line.
WRITER = textwrap.dedent(f"""
    import json, time
    from collect.calls import log_attempt
    from collect.demo import DEMO_CAMPAIGN
    from collect.campaigns import find_campaign
    from models.registry import update_structure
    from models.backup import open_store

    store = open_store()
    with store.connect() as con:
        campaign_id = find_campaign(con, DEMO_CAMPAIGN)["id"]
        targets = [row[0] for row in con.execute(
            "SELECT structure_id FROM campaign_targets WHERE campaign_id = ? ORDER BY structure_id", [campaign_id]
        ).fetchall()]
    for n in range({WRITES}):
        structure_id = targets[n % len(targets)]
        with store.atomic() as con:
            if n % 2 == 0:
                attempt_id = log_attempt(con, campaign_id, structure_id, "occupe", surveyor="ecrivain", by="ecrivain")
                record = {{"appels": attempt_id}}
            else:
                text = f"Modifié par l'écrivain ({{n}})"
                saved, issues = update_structure(con, structure_id, {{"presentation_resume": text}}, by="ecrivain")
                assert saved is not None, issues
                record = {{"structures": structure_id, "presentation_resume": text}}
        print(json.dumps(record), flush=True)
        time.sleep({PAUSE_SECONDS})
""")


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/_stcore/health", timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


@contextmanager
def app_session(port: int) -> Iterator[Callable[[], list[str]]]:
    """A session of the app over Streamlit's websocket, as a browser tab holds it; yields a function
    running the main page once (``app.py``, then the default page) and returning the errors shown."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from websockets.sync.client import connect

    def run(timeout: float = 90.0) -> list[str]:
        message = BackMsg()
        message.rerun_script.query_string = ""
        message.rerun_script.page_script_hash = ""
        ws.send(message.SerializeToString())
        errors: list[str] = []
        deadline = time.monotonic() + timeout
        while True:
            answer = ForwardMsg()
            answer.ParseFromString(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            kind = answer.WhichOneof("type")
            if kind == "delta" and answer.delta.WhichOneof("type") == "new_element":
                element = answer.delta.new_element
                if element.WhichOneof("type") == "exception":
                    errors.append(f"{element.exception.type}: {element.exception.message}")
                elif element.WhichOneof("type") == "alert" and element.alert.format == element.alert.ERROR:
                    errors.append(element.alert.body)
            if kind == "script_finished":
                if answer.script_finished != ForwardMsg.FINISHED_SUCCESSFULLY:
                    errors.append(f"script ended with status {answer.script_finished}")
                return errors

    with connect(f"ws://127.0.0.1:{port}/_stcore/stream", subprotocols=["streamlit"], max_size=None,
                 open_timeout=30) as ws:
        yield run


def _sheet_ids(emulator: SheetsEmulator, tab: str) -> tuple[Counter[str], dict[str, dict[str, str]]]:
    header, *rows = emulator.values(SPREADSHEET, tab)
    by_id = {row[header.index("id")]: dict(zip(header, row, strict=False)) for row in rows}
    return Counter(row[header.index("id")] for row in rows), by_id


def test_cron_syncs_beside_a_running_app_and_another_writer(tmp_path):
    db = tmp_path / "app.duckdb"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    app = start_streamlit(db, port)
    try:
        with SheetsEmulator() as emulator, app_session(port) as run_page:
            _cron_beside_the_app(tmp_path, db, url, emulator, run_page)
            assert app.poll() is None and _healthy(url)
            assert run_page() == []  # the app still works
    finally:
        stop_streamlit(app)
    output = app.stdout.read() if app.stdout else ""
    assert not any(sign in output for sign in BAD_SIGNS), output


def _cron_beside_the_app(tmp_path: Path, db: Path, url: str, emulator: SheetsEmulator,
                         run_page: Callable[[], list[str]]) -> None:
    # the app's first run loads the demo into the new store
    assert run_page() == []
    assert demo_loaded(Store(db, keep_open=0))
    emulator.create_spreadsheet("Hub Maillage", spreadsheet_id=SPREADSHEET)

    env = {key: value for key, value in os.environ.items() if not key.startswith("MAILLAGE_")}
    env.update({"MAILLAGE_DB": str(db), "PYTHONPATH": str(ROOT)})
    sync_command = [str(MAILLAGE), "sync", "--emulateur", emulator.url, "--classeur", SPREADSHEET]
    cron_env = {**env, "MAILLAGE_DEVICE": "cron"}

    # at the same time: the app in use, another writer, cron's syncs
    stop = threading.Event()
    app_errors: list[str] = []
    unhealthy: list[float] = []
    reruns: list[float] = []

    def use_the_app() -> None:
        while not stop.is_set():
            if not _healthy(url):
                unhealthy.append(time.monotonic())
            begin = time.monotonic()
            try:
                app_errors.extend(run_page())
            except Exception as error:  # noqa: BLE001 - a session that stops answering is a failure too
                app_errors.append(repr(error))
                return
            reruns.append(time.monotonic() - begin)
            stop.wait(RERUN_EVERY_SECONDS)

    syncs: list[subprocess.CompletedProcess] = []

    def cron() -> None:
        for _ in range(SYNC_RUNS):
            syncs.append(subprocess.run(sync_command, cwd=tmp_path, env=cron_env, capture_output=True, text=True,
                                        timeout=120))

    # The writer opens the file for each transaction (MAILLAGE_KEEP_OPEN_SECONDS=0): with the default,
    # a process writing more often than every 2 s keeps the file up to 10 s in a row, which the app's
    # session already does here.
    writer = subprocess.Popen([sys.executable, "-c", WRITER], cwd=tmp_path,
                              env={**env, "MAILLAGE_DEVICE": "ecrivain", "MAILLAGE_KEEP_OPEN_SECONDS": "0"},
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    threads = [threading.Thread(target=use_the_app), threading.Thread(target=cron)]
    for thread in threads:
        thread.start()
    try:
        written, writer_errors = writer.communicate(timeout=120)
    finally:
        threads[1].join(timeout=150)
        stop.set()
        threads[0].join(timeout=60)

    assert writer.returncode == 0, writer_errors
    records = [json.loads(line) for line in written.splitlines()]
    assert len(records) == WRITES
    assert len(syncs) == SYNC_RUNS
    for result in syncs:
        assert result.returncode == 0, result.stdout + result.stderr
        assert not any(sign in result.stdout + result.stderr for sign in BAD_SIGNS), result.stdout + result.stderr
    assert not any(sign in writer_errors for sign in BAD_SIGNS), writer_errors
    assert app_errors == []
    assert unhealthy == []
    assert len(reruns) >= 2  # the app was really in use meanwhile

    # one last sync, once everybody is done
    last = subprocess.run(sync_command, cwd=tmp_path, env=cron_env, capture_output=True, text=True, timeout=120)
    assert last.returncode == 0, last.stdout + last.stderr
    assert "Traceback" not in last.stderr

    # every committed record: once in the store, once in the sheet, with its last value
    store = Store(db, keep_open=0)
    attempts = [record["appels"] for record in records if "appels" in record]
    edits = {record["structures"]: record["presentation_resume"] for record in records if "structures" in record}
    in_store = {row["id"]: row["n"] for row in store.query(
        "SELECT id, count(*) AS n FROM call_attempts WHERE list_contains(?, id) GROUP BY id", [attempts])}
    assert in_store == {attempt: 1 for attempt in attempts}
    stored_texts = {row["id"]: row["presentation_resume"] for row in store.query(
        "SELECT id, presentation_resume FROM structures WHERE list_contains(?, id)", [list(edits)])}
    assert stored_texts == edits

    for tab, table in (("appels", "call_attempts"), ("structures", "structures")):
        counts, _rows = _sheet_ids(emulator, tab)
        assert [row_id for row_id, n in counts.items() if n > 1] == []
        assert set(counts) == {row["id"] for row in store.query(f"SELECT id FROM {table}")}
    attempt_lines, _ = _sheet_ids(emulator, "appels")
    assert all(attempt_lines[attempt] == 1 for attempt in attempts)
    _, structure_lines = _sheet_ids(emulator, "structures")
    assert {row_id: structure_lines[row_id]["presentation_resume"] for row_id in edits} == edits
