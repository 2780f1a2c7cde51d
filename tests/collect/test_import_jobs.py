"""Imports run off the page's thread (``collect.import_jobs``): progress, cancel, French failures,
and nothing kept once a job is finished or its page is gone.

The worker is held at a known point by a *gate* (two ``threading.Event``), never by sleeping; the
heartbeat's lapse is driven by a clock the test moves by hand.
"""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Callable

import pytest

from collect import import_jobs
from collect.import_jobs import (
    ABANDONED_MESSAGE,
    CANCELLED,
    CANCELLED_MESSAGE,
    DONE,
    FAILED,
    RUNNING,
    WAITING,
    ImportBusy,
    ImportJobs,
)
from collect.imports import STEP_PREPARE, STEP_WRITE, import_table
from models.store import Store

DEADLINE = 60  # seconds: generous, the machine may be loaded; a passing test never waits that long

CSV = (
    "nom;adresse;code_postal;commune\n"
    "Médiathèque l'Alpha;1 rue Coligny;16000;Angoulême\n"
    "Espace numérique de Cognac;2 place François 1er;16100;Cognac\n"
    "Mairie de Soyaux;Place de la mairie;16800;Soyaux\n"
).encode()


class Clock:
    """A monotonic clock moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Gate:
    """Holds the worker the first time it reaches a point, until the test releases it."""

    def __init__(self) -> None:
        self.reached = threading.Event()
        self.released = threading.Event()

    def hold(self) -> None:
        if not self.reached.is_set():
            self.reached.set()
            assert self.released.wait(DEADLINE), "the test never released the worker"

    def wait_reached(self) -> None:
        assert self.reached.wait(DEADLINE), "the worker never reached the gate"


def gated(monkeypatch: pytest.MonkeyPatch, at: str = "progress") -> Gate:
    """Make the jobs' ``import_table`` stop at its first progress report (``at="progress"``) or as
    the step ``at`` begins, until the gate is released; then it goes on as usual."""
    gate = Gate()

    def held_import_table(store, table, *, progress: Callable, step: Callable, **options):
        def held_progress(done: int, total: int) -> None:
            progress(done, total)  # recorded: the page can show it while the worker is held
            if at == "progress":
                gate.hold()
                progress(done, total)  # and checked again once released

        def held_step(name: str) -> None:
            step(name)
            if name == at:
                gate.hold()

        return import_table(store, table, progress=held_progress, step=held_step, **options)

    monkeypatch.setattr(import_jobs, "import_table", held_import_table)
    return gate


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def released() -> list[int]:
    """How many times the registry gave freed memory back to the system."""
    return []


@pytest.fixture
def registry(clock: Clock, released: list[int]) -> ImportJobs:
    return ImportJobs(clock=clock, abandon_after=60, release_memory=lambda: released.append(1))


def structure_count(store: Store) -> int:
    return store.query("SELECT count(*) AS n FROM structures")[0]["n"]


def test_an_import_runs_on_its_own_thread_reports_its_lines_and_hands_its_report_over_once(store, registry,
                                                                                             released):
    job = registry.start_import(store, CSV, "lieux.csv", by="test")
    assert job.thread is not threading.current_thread()
    assert job.wait(DEADLINE)

    status = registry.poll(job.id)
    assert (status.state, status.done, status.total, status.fraction) == (DONE, 3, 3, 1.0)
    assert status.report.new == 3 and status.report.written
    assert status.message is None and not status.cancellable
    assert structure_count(store) == 3
    assert released  # the freed heap went back to the system

    final = registry.finish(job.id)
    assert final.report.new == 3
    assert registry.finish(job.id) is None  # handed over once: the job is forgotten
    assert job.id not in registry and len(registry) == 0


def test_a_job_leaves_the_lines_to_worker_processes_and_imports_exactly_what_it_would_alone(store, registry,
                                                                                           monkeypatch):
    from collect import imports, parallel

    lines = "".join(f"Espace numérique {n};{n} rue Coligny;16000;Angoulême\n" for n in range(1, 301))
    data = ("nom;adresse;code_postal;commune\n" + lines).encode()
    monkeypatch.setenv(parallel.WORKERS_VARIABLE, "1")
    monkeypatch.setattr(imports, "PARALLEL_FROM_LINES", 1)
    monkeypatch.setattr(imports, "COLD_PARALLEL_FROM_LINES", 1)
    job = registry.start_import(store, data, "lieux.csv", by="test")
    assert job.wait(DEADLINE)
    status = registry.finish(job.id)
    assert (status.state, status.report.new, status.report.rejected) == (DONE, 300, 0)
    assert parallel.last_counts.by_workers == parallel.last_counts.chunks  # the job's thread prepared none
    assert structure_count(store) == 300


def test_a_simulation_is_a_dry_run_job_that_writes_nothing(store, registry):
    job = registry.start_import(store, CSV, "lieux.csv", by="test", dry_run=True, kind="simulation")
    assert job.wait(DEADLINE)
    status = registry.finish(job.id)
    assert (status.state, status.report.new, status.report.written) == (DONE, 3, False)
    assert structure_count(store) == 0


def test_the_progress_shows_the_lines_prepared_while_the_job_runs(store, registry, monkeypatch):
    gate = gated(monkeypatch)
    job = registry.start_import(store, CSV, "lieux.csv", by="test")
    gate.wait_reached()

    status = registry.poll(job.id)
    assert (status.state, status.step, status.done, status.total) == (RUNNING, STEP_PREPARE, 1, 3)
    assert status.fraction == pytest.approx(1 / 3)
    assert status.cancellable and not status.finished
    assert registry.finish(job.id) is None  # not before it has finished

    gate.released.set()
    assert job.wait(DEADLINE)
    assert registry.poll(job.id).state == DONE


def test_cancelling_before_the_write_leaves_the_store_unchanged_and_frees_the_job(store, registry, monkeypatch):
    from collect import readers

    tables: list[weakref.ref] = []
    read = readers.read_table_bytes

    def read_table_bytes(*args, **kwargs):
        table = read(*args, **kwargs)
        tables.append(weakref.ref(table))
        return table

    monkeypatch.setattr(import_jobs, "read_table_bytes", read_table_bytes)
    gate = gated(monkeypatch)
    job = registry.start_import(store, CSV, "lieux.csv", by="test")
    gate.wait_reached()

    assert registry.cancel(job.id)
    assert registry.poll(job.id).cancelling  # the page says so until the job has stopped
    gate.released.set()
    assert job.wait(DEADLINE)

    status = registry.finish(job.id)
    assert (status.state, status.message, status.report) == (CANCELLED, CANCELLED_MESSAGE, None)
    assert "rien n'a été enregistré" in status.message
    assert structure_count(store) == 0
    assert store.query("SELECT count(*) AS n FROM import_runs") == [{"n": 0}]
    assert len(registry) == 0
    gc.collect()
    assert [ref() for ref in tables] == [None]  # the file read is no longer in memory


def test_once_the_writing_has_begun_the_import_goes_to_its_end(store, registry, monkeypatch):
    gate = gated(monkeypatch, at=STEP_WRITE)
    job = registry.start_import(store, CSV, "lieux.csv", by="test")
    gate.wait_reached()

    status = registry.poll(job.id)
    assert (status.step, status.cancellable) == (STEP_WRITE, False)
    assert not registry.cancel(job.id)  # too late: one transaction, written whole
    gate.released.set()
    assert job.wait(DEADLINE)
    assert registry.finish(job.id).state == DONE
    assert structure_count(store) == 3


def test_a_failing_import_gives_its_french_message(store, registry):
    job = registry.start_import(store, b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "plan.csv", by="test")
    assert job.wait(DEADLINE)
    status = registry.finish(job.id)
    assert status.state == FAILED
    assert status.message.startswith("plan.csv : ") and "PDF" in status.message
    assert structure_count(store) == 0


def test_an_unexpected_error_is_told_in_french_without_its_python_details(store, registry):
    def work(job):
        raise KeyError("colonne")

    job = registry.start(work)
    assert job.wait(DEADLINE)
    status = registry.finish(job.id)
    assert status.state == FAILED
    assert status.message.startswith("L'import s'est arrêté sur une erreur inattendue ; rien n'a été enregistré.")
    assert "KeyError" not in status.message


def test_a_job_whose_page_stopped_polling_cancels_itself_and_is_forgotten(store, registry, clock, monkeypatch):
    gate = gated(monkeypatch)
    job = registry.start_import(store, CSV, "lieux.csv", by="test")
    gate.wait_reached()

    clock.advance(59)
    assert registry.poll(job.id).state == RUNNING  # the page polled: its heartbeat is fresh again
    clock.advance(59)
    assert job.id in registry

    clock.advance(2)  # 61 s without a poll: the tab was closed
    gate.released.set()
    assert job.wait(DEADLINE)
    status = job.status()
    assert (status.state, status.message) == (CANCELLED, ABANDONED_MESSAGE)
    assert job.id not in registry and registry.poll(job.id) is None
    assert structure_count(store) == 0


def test_a_finished_job_nobody_came_back_for_is_forgotten(store, registry, clock):
    job = registry.start_import(store, CSV, "lieux.csv", by="test", dry_run=True)
    assert job.wait(DEADLINE)
    assert job.id in registry
    clock.advance(61)
    registry.sweep()
    assert job.id not in registry
    assert job._work is None  # nor its bytes, held by the work


def test_beyond_the_running_limit_a_job_waits_and_can_be_cancelled_while_waiting(store, clock, monkeypatch):
    registry = ImportJobs(running=1, waiting=1, clock=clock, release_memory=lambda: None)
    gate = gated(monkeypatch)
    first = registry.start_import(store, CSV, "lieux.csv", by="test", dry_run=True)
    gate.wait_reached()

    second = registry.start_import(store, CSV, "autres.csv", by="test", dry_run=True)
    status = registry.poll(second.id)
    assert (status.state, status.step) == (WAITING, "En attente d'une autre importation")
    with pytest.raises(ImportBusy, match="Trop d'imports sont déjà en cours sur ce serveur"):
        registry.start_import(store, CSV, "encore.csv", by="test", dry_run=True)

    assert registry.cancel(second.id)
    assert second.wait(DEADLINE)
    assert registry.finish(second.id).state == CANCELLED
    gate.released.set()
    assert first.wait(DEADLINE)
    assert registry.finish(first.id).state == DONE


def test_a_waiting_job_runs_once_the_running_one_ends(store, clock, monkeypatch):
    registry = ImportJobs(running=1, clock=clock, release_memory=lambda: None)
    gate = gated(monkeypatch)
    first = registry.start_import(store, CSV, "lieux.csv", by="test", dry_run=True)
    gate.wait_reached()
    second = registry.start_import(store, CSV, "lieux.csv", by="test", dry_run=True)
    assert registry.poll(second.id).state == WAITING

    gate.released.set()
    assert first.wait(DEADLINE) and second.wait(DEADLINE)
    assert registry.finish(second.id).report.new == 3


def test_forgetting_a_running_job_cancels_it(store, registry, monkeypatch):
    gate = gated(monkeypatch)
    job = registry.start_import(store, CSV, "lieux.csv", by="test")
    gate.wait_reached()
    registry.forget(job.id)
    assert job.id not in registry
    gate.released.set()
    assert job.wait(DEADLINE)
    assert job.status().state == CANCELLED
    assert structure_count(store) == 0
