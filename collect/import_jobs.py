"""Imports that run off the page's thread: progress, cancel, memory freed when done or abandoned.

A 100 MB file takes minutes to prepare. Run on the page's own script thread, it held the session
(and gigabytes) long after the tab was closed. Here an import (or a simulation) is an
:class:`ImportJob` run by a worker thread of its own, that never touches Streamlit:

- ``jobs().start_import(store, data, name, …)`` starts it and returns the job; the page keeps only
  its id;
- ``poll(id)`` gives its :class:`JobStatus` (« en attente », « en cours » with the step and the
  lines prepared, then « terminé » with the report, « annulé » or « échec » with a French message)
  and refreshes the job's *heartbeat*: the page polls while it shows the job;
- ``cancel(id)`` stops it at its next line, as long as the writing has not begun: the import is
  ONE transaction, so a cancelled import has written nothing;
- ``finish(id)`` hands the final status over once and forgets the job.

A job whose page stopped polling for ``abandon_after`` seconds (the tab was closed) cancels itself
at its next line, and the registry forgets it: nothing of it stays in memory. At most ``running``
jobs run at once per process (the others wait, « en attente »), and at most ``waiting`` wait: more
is refused with a French message. A worker thread still shares the interpreter's lock with the
other sessions: the interpreter hands it over every few milliseconds; the progress callback also
yields at each step of the progress bar, but one import at a time is what keeps other pages quick.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from collect.imports import STEP_PREPARE, STEP_WRITE, ImportReport, import_table
from collect.readers import read_table_bytes
from collect.uploads import SpooledUpload
from models.errors import MaillageError
from models.store import Store

log = logging.getLogger(__name__)

# The states of a job (French: shown as they are).
WAITING = "en attente"
RUNNING = "en cours"
DONE = "terminé"
CANCELLED = "annulé"
FAILED = "échec"
FINISHED = (DONE, CANCELLED, FAILED)

STEP_WAIT = "En attente d'une autre importation"
STEP_READ = "Lecture du fichier"

ABANDON_AFTER = 60.0  # seconds without a poll after which a job's page is taken as closed
WAIT_CHECK = 0.5  # seconds between two checks of a waiting job (cancelled? abandoned?)

CANCELLED_MESSAGE = "Import annulé : rien n'a été enregistré."
ABANDONED_MESSAGE = "Import abandonné (la page a été fermée) : rien n'a été enregistré."
UNEXPECTED_MESSAGE = ("L'import s'est arrêté sur une erreur inattendue ; rien n'a été enregistré. "
                      "Réessayez, et signalez-le si cela se reproduit.")


class ImportCancelled(Exception):
    """Raised in the worker by a job's progress or step callback once it is cancelled or abandoned."""


class ImportBusy(MaillageError):
    """Too many imports started at once on this server."""


@dataclass(frozen=True)
class JobStatus:
    """What a page shows of a job: its state, its step, the lines prepared, then its outcome."""

    id: str
    state: str
    step: str
    done: int = 0
    total: int = 0
    report: ImportReport | None = None
    message: str | None = None  # French: why it failed or was cancelled
    cancellable: bool = True  # False once the writing has begun (one transaction: it goes to its end)
    cancelling: bool = False  # cancel asked, the job stops at its next line

    @property
    def finished(self) -> bool:
        return self.state in FINISHED

    @property
    def fraction(self) -> float:
        return min(1.0, self.done / self.total) if self.total else 0.0


Work = Callable[["ImportJob"], ImportReport]


class ImportJob:
    """One import or simulation run by a worker thread (see the module's docstring)."""

    def __init__(self, registry: ImportJobs, work: Work, *, kind: str) -> None:
        self.id = uuid.uuid4().hex
        self.kind = kind
        self._registry = registry
        self._work: Work | None = work
        self._lock = threading.Lock()
        self._cancel = threading.Event()
        self._finished = threading.Event()
        self._state = WAITING
        self._step = STEP_WAIT
        self._done = 0
        self._total = 0
        self._report: ImportReport | None = None
        self._message: str | None = None
        self._cancellable = True
        self._abandoned = False
        self.last_seen = registry.clock()
        self.thread = threading.Thread(target=self._run, name=f"maillage-import-{self.id[:8]}", daemon=True)

    # -- seen from the page --

    def status(self) -> JobStatus:
        with self._lock:
            running = self._state not in FINISHED
            return JobStatus(self.id, self._state, self._step, self._done, self._total, self._report,
                             self._message, self._cancellable and running, self._cancel.is_set() and running)

    def cancel(self) -> bool:
        """Ask the job to stop; False if it is too late (finished, or writing its one transaction)."""
        with self._lock:
            if self._state in FINISHED or not self._cancellable:
                return False
            self._cancel.set()
            return True

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the job has finished (True), or ``timeout`` seconds (False)."""
        return self._finished.wait(timeout)

    # -- seen from the worker --

    def check(self) -> None:
        """Raise ``ImportCancelled`` if the job was cancelled or its page stopped polling."""
        if not self._cancel.is_set() and self._registry.lapsed(self):
            with self._lock:
                self._abandoned = True
            self._cancel.set()
        if self._cancel.is_set():
            raise ImportCancelled

    def progress(self, done: int, total: int) -> None:
        """``import_table``'s progress callback: record, check, and let other threads run."""
        with self._lock:
            self._done, self._total = done, total
        self.check()
        time.sleep(0)  # hand the interpreter's lock over (it is also handed over every few milliseconds)

    def at_step(self, step: str) -> None:
        """``import_table``'s step callback; the writing, once begun, can no longer be cancelled."""
        self.check()
        with self._lock:
            self._step = step
            self._state = RUNNING
            if step == STEP_WRITE:
                self._cancellable = False
        if step == STEP_WRITE:
            self.check()  # a cancel that came just before the lock: still nothing written

    def _run(self) -> None:
        state, report, message = FAILED, None, UNEXPECTED_MESSAGE
        slot = False
        try:
            slot = self._registry._take_slot(self)
            assert self._work is not None
            report = self._work(self)
            state, message = DONE, None
        except ImportCancelled:
            state = CANCELLED
            message = ABANDONED_MESSAGE if self._abandoned else CANCELLED_MESSAGE
        except MaillageError as error:
            message = str(error)
        except Exception:
            log.exception("Import %s failed", self.id)
        finally:
            self._work = None  # the file's bytes and everything read from them go with it
            with self._lock:
                self._state, self._report, self._message = state, report, message
                self._cancellable = False
            if slot:
                self._registry._give_slot()
            self._finished.set()
            self._registry._finished(self)


class ImportJobs:
    """The jobs of this process, by id: at most ``running`` at once, ``waiting`` more in line."""

    def __init__(self, *, running: int = 2, waiting: int = 4, abandon_after: float = ABANDON_AFTER,
                 clock: Callable[[], float] = time.monotonic,
                 release_memory: Callable[[], None] | None = None) -> None:
        self.clock = clock
        self.abandon_after = abandon_after
        self._limit = running + waiting
        self._slots = threading.Semaphore(running)
        self._lock = threading.Lock()
        self._jobs: dict[str, ImportJob] = {}
        self._release_memory = release_memory or release_freed_memory

    def start(self, work: Work, *, kind: str = "import") -> ImportJob:
        """Run ``work(job)`` on a worker thread; raises ``ImportBusy`` (French) when too many are started."""
        self.sweep()
        with self._lock:
            live = sum(1 for job in self._jobs.values() if not job.status().finished)
            if live >= self._limit:
                raise ImportBusy("Trop d'imports sont déjà en cours sur ce serveur : réessayez dans quelques minutes.")
            job = ImportJob(self, work, kind=kind)
            self._jobs[job.id] = job
        job.thread.start()
        return job

    def start_import(self, store: Store, data: bytes | SpooledUpload, name: str, *, sheet: str | None = None,
                     kind: str = "import", **options: Any) -> ImportJob:
        """Read an uploaded file's bytes (or the file an upload was spooled to, read by the job) and
        ``import_table`` them (its options; ``dry_run=True`` to simulate)."""

        def work(job: ImportJob) -> ImportReport:
            job.at_step(STEP_READ)
            table = read_table_bytes(data.read() if isinstance(data, SpooledUpload) else data, name, sheet=sheet)
            job.at_step(STEP_PREPARE)
            return import_table(store, table, progress=job.progress, step=job.at_step, in_background=True, **options)

        return self.start(work, kind=kind)

    def get(self, job_id: str | None) -> ImportJob | None:
        """The job (its heartbeat untouched), None if unknown or forgotten."""
        with self._lock:
            return self._jobs.get(job_id or "")

    def poll(self, job_id: str | None) -> JobStatus | None:
        """The job's status, refreshing its heartbeat; None if unknown (forgotten, or the server restarted)."""
        self.sweep()
        job = self.get(job_id)
        if job is None:
            return None
        job.last_seen = self.clock()
        return job.status()

    def cancel(self, job_id: str | None) -> bool:
        job = self.get(job_id)
        return job.cancel() if job is not None else False

    def finish(self, job_id: str | None) -> JobStatus | None:
        """The final status of a finished job, handed over once: the job is forgotten. None while it runs."""
        with self._lock:
            job = self._jobs.get(job_id or "")
            if job is None or not job.status().finished:
                return None
            del self._jobs[job.id]
        return job.status()

    def forget(self, job_id: str | None) -> None:
        """Cancel the job if it runs, and forget it (a page that starts another one)."""
        job = self.get(job_id)
        if job is None:
            return
        job.cancel()
        with self._lock:
            self._jobs.pop(job.id, None)

    def lapsed(self, job: ImportJob) -> bool:
        return self.clock() - job.last_seen > self.abandon_after

    def sweep(self) -> None:
        """Cancel and forget the jobs whose page stopped polling (finished ones too: nobody will read them)."""
        with self._lock:
            gone = [job for job in self._jobs.values() if self.lapsed(job)]
            for job in gone:
                del self._jobs[job.id]
        for job in gone:
            job.cancel()  # it stops at its next line, even if its page never comes back

    def __len__(self) -> int:
        with self._lock:
            return len(self._jobs)

    def __contains__(self, job_id: object) -> bool:
        with self._lock:
            return job_id in self._jobs

    # -- used by the jobs --

    def _take_slot(self, job: ImportJob) -> bool:
        while not self._slots.acquire(timeout=WAIT_CHECK):
            job.check()
        return True

    def _give_slot(self) -> None:
        self._slots.release()

    def _finished(self, job: ImportJob) -> None:
        if job.status().message == ABANDONED_MESSAGE:  # nobody will read it
            with self._lock:
                if self._jobs.get(job.id) is job:
                    del self._jobs[job.id]
        try:
            self._release_memory()
        except Exception:  # best effort: never fail an import for it
            log.debug("Could not release freed memory", exc_info=True)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    return getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None


def release_freed_memory() -> None:
    """Give the heap's freed pages back to the system (glibc keeps them otherwise: a server that imported
    a large file would go on holding gigabytes it no longer uses). Does nothing where unavailable."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


_JOBS = ImportJobs()


def jobs() -> ImportJobs:
    """The jobs of this process (one registry per server)."""
    return _JOBS
