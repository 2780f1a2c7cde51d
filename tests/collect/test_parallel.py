"""Bulk work on every core (``collect.parallel``): an import's lines are prepared by worker processes
and the caller together, and the result is exactly the serial one — in the file's order, whoever
prepared each chunk, even when a worker dies or the person cancels."""

from __future__ import annotations

import multiprocessing
import os
from datetime import date

import pytest

from collect import imports, parallel
from collect.readers import read_table
from tests.conftest import SAMPLE_FILES


def all_results(work, setup, items, **options) -> list:
    """``parallel.iter_chunks``' results as one list, in the items' order."""
    return [result for chunk in parallel.iter_chunks(work, setup, items, **options) for result in chunk]


def squares(offset: int, chunk: list[int]) -> list[tuple[int, int]]:
    """A chunk's work: each item squared plus the setup, with the process that did it."""
    return [(item * item + offset, os.getpid()) for item in chunk]


def dies_in_a_worker(offset: int, chunk: list[int]) -> list[int]:
    """A worker killed while it works (memory exhausted, ``kill -9``): only the caller gets through."""
    if multiprocessing.parent_process() is not None:
        os._exit(9)
    return [item + offset for item in chunk]


@pytest.mark.parametrize("workers", ["0", "1", "2"])
def test_results_come_back_in_the_items_order_whoever_did_each_chunk(monkeypatch, workers):
    monkeypatch.setenv(parallel.WORKERS_VARIABLE, workers)
    results = all_results(squares, 7, list(range(1000)), chunk_size=37, parallel_from=1, caller_works=False)
    assert [value for value, _ in results] == [item * item + 7 for item in range(1000)]
    done_elsewhere = {pid for _, pid in results} - {os.getpid()}
    assert parallel.last_counts.chunks == 28
    if workers == "0":
        assert not done_elsewhere and parallel.last_counts.by_workers == 0
    else:
        assert done_elsewhere and parallel.last_counts.by_workers == 28  # the caller left every chunk to them


@pytest.mark.parametrize("started, items, shared", [
    (False, 50, False), (False, 500, False), (False, 5000, True),  # starting the workers must be repaid
    (True, 50, False), (True, 500, True),  # once started, they are worth it sooner
])
def test_a_few_items_are_done_by_the_caller_alone(monkeypatch, started, items, shared):
    monkeypatch.setenv(parallel.WORKERS_VARIABLE, "2")
    monkeypatch.setattr(parallel, "_server_started", started)
    results = all_results(squares, 0, list(range(items)), chunk_size=50, parallel_from=100, cold_from=1000)
    assert [value for value, _ in results] == [item * item for item in range(items)]
    assert (parallel.last_counts.workers > 0) is shared


def test_a_dead_worker_loses_nothing_the_caller_does_its_chunks(monkeypatch):
    monkeypatch.setenv(parallel.WORKERS_VARIABLE, "1")
    results = all_results(dies_in_a_worker, 1, list(range(300)), chunk_size=20, parallel_from=1,
                                  caller_works=False)
    assert results == [item + 1 for item in range(300)]


def test_a_progress_callback_that_raises_stops_the_work_and_its_error_comes_back(monkeypatch):
    monkeypatch.setenv(parallel.WORKERS_VARIABLE, "1")
    seen: list[int] = []

    def progress(done: int) -> None:
        seen.append(done)
        if done >= 100:
            raise KeyboardInterrupt("annulé")

    with pytest.raises(KeyboardInterrupt):
        all_results(squares, 0, list(range(5000)), chunk_size=50, parallel_from=1, on_chunk=progress)
    assert seen[-1] >= 100 and seen[-1] < 5000


@pytest.mark.parametrize("variable, expected", [("0", 0), ("2", 2), ("beaucoup", None), ("", None)])
def test_the_number_of_workers_is_one_less_than_the_cores_unless_set(monkeypatch, variable, expected):
    monkeypatch.setenv(parallel.WORKERS_VARIABLE, variable)
    cores = len(os.sched_getaffinity(0))
    assert parallel.worker_count() == (expected if expected is not None else max(0, min(parallel.MAX_WORKERS, cores - 1)))


def _prepared(path, monkeypatch, workers: str) -> list[tuple]:
    """What preparing the file gives (each new lieu's id aside: a new one is drawn on every run)."""
    monkeypatch.setenv(parallel.WORKERS_VARIABLE, workers)
    monkeypatch.setattr(imports, "PREPARE_CHUNK", 40)
    monkeypatch.setattr(imports, "PARALLEL_FROM_LINES", 1)
    monkeypatch.setattr(imports, "COLD_PARALLEL_FROM_LINES", 1)
    prepared = imports.prepare_import(None, read_table(path), use_profile=False, today=date(2026, 12, 7))
    return [(line.line, fingerprint, line.structure.model_dump(exclude={"id"}) if line.structure else None,
             [str(issue) for issue in line.issues], line.import_key, line.donnees_source, line.own_date)
            for line, fingerprint in prepared.lines]


@pytest.mark.parametrize("sample", SAMPLE_FILES[:1], ids=lambda path: path.stem[:30])
def test_a_file_prepared_by_workers_gives_exactly_the_lines_of_a_serial_preparation(monkeypatch, sample):
    serial = _prepared(sample, monkeypatch, "0")
    shared = _prepared(sample, monkeypatch, "2")
    assert len(serial) > 500
    assert shared == serial


def writes_its_pid_then_waits(folder: str, chunk: list[int]) -> list[int]:
    """A chunk's work that takes long: the worker says who it is, then works for a minute."""
    import time
    from pathlib import Path

    (Path(folder) / f"travailleur-{os.getpid()}").touch()
    time.sleep(60)
    return chunk


_KILLED_CALLER = """
import os
os.environ["MAILLAGE_IMPORT_WORKERS"] = "1"
from collect import parallel
from tests.collect.test_parallel import all_results, writes_its_pid_then_waits
if __name__ == "__main__":
    all_results(writes_its_pid_then_waits, {folder!r}, list(range(40)), chunk_size=10, parallel_from=1,
                caller_works=False)
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_workers_and_their_fork_server_end_when_the_caller_is_killed(tmp_path):
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    script = tmp_path / "appelant.py"
    script.write_text(_KILLED_CALLER.format(folder=str(tmp_path)))
    root = Path(__file__).resolve().parents[2]
    caller = subprocess.Popen([sys.executable, str(script)], cwd=root, env={**os.environ, "PYTHONPATH": str(root)})
    deadline = time.monotonic() + 120
    while not list(tmp_path.glob("travailleur-*")):
        assert caller.poll() is None and time.monotonic() < deadline, "no worker started"
        time.sleep(0.05)
    worker = int(next(tmp_path.glob("travailleur-*")).name.split("-")[1])
    with open(f"/proc/{worker}/stat") as stat:
        fork_server = int(stat.read().split()[3])
    caller.send_signal(signal.SIGKILL)
    caller.wait()
    deadline = time.monotonic() + 60
    while _alive(worker) or _alive(fork_server):
        assert time.monotonic() < deadline, "a worker or the fork server outlived its killed caller"
        time.sleep(0.1)


def test_where_there_is_no_fork_server_spawned_workers_give_the_same_results(monkeypatch):
    """Windows has no fork server: the same code spawns its workers (forced here, on Linux)."""
    monkeypatch.setattr(parallel, "start_method", lambda: "spawn")
    monkeypatch.setenv(parallel.WORKERS_VARIABLE, "1")
    results = all_results(squares, 3, list(range(300)), chunk_size=20, parallel_from=1, caller_works=False)
    assert [value for value, _ in results] == [item * item + 3 for item in range(300)]
    assert parallel.last_counts.by_workers == 15 and {pid for _, pid in results} != {os.getpid()}


@pytest.mark.parametrize(("started", "method", "shared"), [(True, "forkserver", True), (True, "spawn", False)])
def test_spawned_workers_are_started_only_for_many_items_even_once_started(monkeypatch, started, method, shared):
    monkeypatch.setenv(parallel.WORKERS_VARIABLE, "2")
    monkeypatch.setattr(parallel, "_server_started", started)
    monkeypatch.setattr(parallel, "start_method", lambda: method)
    assert (parallel._workers_for(500, 100, 1000) > 0) is shared
