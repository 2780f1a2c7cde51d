"""Bulk work shared between this process and worker processes, on every core of the machine.

Preparing an import line is pure Python (~0.5 ms: validation, phone numbers, addresses, the COG),
so one process uses one core whatever the machine has: a 20 000-line file took ~10 s on a laptop
whose other cores stayed idle. ``iter_chunks`` cuts the items into chunks and lets worker processes
and the calling thread take them in turn; each chunk's results come back in the items' order,
exactly what a serial run gives (``tests/collect/test_parallel.py``), as soon as the chunks before
it are done: the consumer works on them while the workers go on, and only a few chunks are ever
held at once (an import of 300 000 lines streams).

- Workers come from a *fork server* started once per process (``multiprocessing``'s
  ``forkserver``), never by forking the caller: the app's server has many threads (a fork would
  copy locks held by them) and a DuckDB instance. The fork server imports the preparation modules,
  loads the COG and prepares the demo files once (``collect.parallel_warm``: every lazily built
  index is then loaded); each pool's workers are forked from it with all of that already in
  memory, end with the call (or with their caller, even killed), freeing their memory.
- The pool starts on a background thread while the caller already works: the first call of a
  process does not wait for the fork server to import and load.
- ``setup`` (the file's column plan, translations and facts) is pickled once per call and unpickled
  once per worker, not once per chunk.
- ``on_chunk`` runs on the calling thread after each chunk: a progress callback that raises (a
  cancelled import) stops the call, and workers' pending chunks are dropped.
- A worker that dies (memory exhausted, killed) never loses work: its chunks are done by the caller.
- Few items, or one core (``MAILLAGE_IMPORT_WORKERS=0``), and nothing is started: the same code runs
  in the caller alone.
- Windows has no fork server (``multiprocessing.get_all_start_methods()``): workers are *spawned*
  there, each importing and loading on first use what it needs (nothing to inherit), so they are
  worth it only from ``cold_from`` items, every time.
"""

from __future__ import annotations

import bisect
import multiprocessing
import os
import pickle
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, TypeVar

from models.runtime import collector_paused

Item = TypeVar("Item")
Result = TypeVar("Result")

MAX_WORKERS = 3  # each worker holds the COG and its caches (~150 MB): more would cost more than it gives
WORKERS_VARIABLE = "MAILLAGE_IMPORT_WORKERS"
# Chunks queued per worker: results come back through the executor's threads, which wait for the busy caller to
# hand over the interpreter; a short queue left the workers idle meanwhile.
IN_FLIGHT_PER_WORKER = 6
POOL_START_SECONDS = 60.0  # a pool not ready by then (a stuck machine) is not waited for: the caller works
_PRELOAD = ["collect.parallel_warm"]

workers_allowed = True  # False in the fork server (collect.parallel_warm)
_server_started = False  # the fork server was started by this process
_setup_cache: tuple[int, Any] | None = None  # in a worker: the last call's setup, unpickled once


@dataclass
class ChunkCounts:
    """Who did the chunks of the last ``iter_chunks`` call of this process (for tests and benches)."""

    chunks: int = 0
    by_workers: int = 0
    workers: int = 0


last_counts = ChunkCounts()


def worker_count() -> int:
    """Worker processes to start beside the caller: one less than the cores this process may use,
    at most ``MAX_WORKERS``; ``$MAILLAGE_IMPORT_WORKERS`` sets it (0: the caller alone)."""
    if not workers_allowed or multiprocessing.parent_process() is not None:
        return 0  # a worker never starts workers (a script without a ``__main__`` guard is run again in each)
    given = os.environ.get(WORKERS_VARIABLE, "").strip()
    if given.isdigit():
        return min(int(given), MAX_WORKERS * 4)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(0, min(MAX_WORKERS, cores - 1))


def start_method() -> str:
    """``forkserver`` where the system has it (Linux, macOS), else ``spawn`` (Windows)."""
    return "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


def _context() -> multiprocessing.context.BaseContext:
    context = multiprocessing.get_context(start_method())
    if start_method() == "forkserver":
        context.set_forkserver_preload(_PRELOAD)
    return context


def _workers_for(items: int, parallel_from: int, cold_from: int | None) -> int:
    """The workers ``items`` are worth (0: none): from ``parallel_from`` items once the fork server
    runs in this process, from ``cold_from`` while it has yet to start (its ~4 s of loading must be repaid)."""
    warm = _server_started and start_method() == "forkserver"  # spawned workers load everything each time
    threshold = parallel_from if warm or cold_from is None else max(parallel_from, cold_from)
    return worker_count() if items >= threshold else 0


def warm_up(items: int, parallel_from: int, cold_from: int | None = None) -> None:
    """Start the fork server now if ``items`` will be shared with workers: its imports and loads
    (~4 s the first time in a process) then overlap the caller's own work before ``iter_chunks``."""
    global _server_started
    if not _workers_for(items, parallel_from, cold_from) or start_method() != "forkserver":
        return
    from multiprocessing import forkserver

    _context()
    try:
        forkserver.ensure_running()
    except OSError:
        return  # no processes here: iter_chunks will find out and work alone
    _server_started = True


def _end_with_parent() -> None:
    """A worker's first act: end when the process that started it ends, even killed (``kill -9``, memory
    exhausted). concurrent.futures' idle workers wait on a queue they hold both ends of and never
    notice; they and the fork server (held by them) stayed forever, ~350 MB each time."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        parent.join()  # returns when the parent's end of the sentinel pipe is closed: it has ended
        os._exit(0)

    threading.Thread(target=watch, name="maillage-parent-watch", daemon=True).start()


def _run_chunk(work: Callable[[Any, list[Any]], list[Any]], key: int, setup: bytes, chunk: list[Any]) -> list[Any]:
    """In a worker: ``work(setup, chunk)``, the setup unpickled once per call."""
    global _setup_cache
    with collector_paused():  # as in the caller: bulk work, no cyclic collection walking the COG meanwhile
        if _setup_cache is None or _setup_cache[0] != key:
            _setup_cache = (key, pickle.loads(setup))
        return work(_setup_cache[1], chunk)


class _PoolStarter:
    """A process pool started on a background thread; ``pool`` is None until it is ready. Closed
    before it is ready (the caller was quicker), it shuts itself down once started."""

    def __init__(self, workers: int) -> None:
        self.pool: ProcessPoolExecutor | None = None
        self.failed = False
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._start, args=(workers,), name="maillage-pool", daemon=True).start()

    def _start(self, workers: int) -> None:
        try:
            pool = ProcessPoolExecutor(max_workers=workers, mp_context=_context(), initializer=_end_with_parent)
            pool.submit(int).result()  # the fork server is up and a worker forked
        except (OSError, BrokenProcessPool, RuntimeError):
            self.failed = True  # no processes on this machine: the caller does all the work
            return
        with self._lock:
            if not self._closed:
                self.pool = pool
                return
        pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            pool, self.pool = self.pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


# Long: one scheduling loop (submit, wait, run a chunk here, yield in order); its state (running, done,
# redo, the pool) is shared by every branch and reads best in one place.
def iter_chunks(
    work: Callable[[Any, list[Item]], list[Result]],
    setup: Any,
    items: Sequence[Item],
    *,
    chunk_size: int,
    parallel_from: int,
    cold_from: int | None = None,
    on_chunk: Callable[[int], None] | None = None,
    caller_works: bool = True,
) -> Iterator[list[Result]]:
    """``work(setup, chunk)`` over ``items`` cut in chunks, on workers and on the calling thread;
    yields each chunk's results in the items' order, as soon as that chunk and those before it are
    done. ``work`` must be a module-level function returning one result per item, and ``setup``
    picklable. Workers are used for ``parallel_from`` items or more, or ``cold_from`` while this
    process has not started its fork server yet (see ``warm_up``).

    Streaming: at most twice ``IN_FLIGHT_PER_WORKER`` chunks per worker are pending (running, or
    done and waiting for an earlier one) at any time, whatever the number of items; what the consumer does between two chunks
    (an import's comparison with the store) overlaps the workers' preparation of the next ones.
    Closing the generator early (the consumer failed) drops the workers' pending chunks.

    :param on_chunk: called on the calling thread with the number of items done so far, after each
        chunk; what it raises stops the work (the workers' pending chunks are dropped) and is re-raised.
    :param caller_works: False leaves the chunks to the workers whenever there are some (a server's
        thread then keeps the interpreter free for its other visitors); the caller still does them all
        when no worker can start.
    """
    chunks = [list(items[start:start + chunk_size]) for start in range(0, len(items), chunk_size)]
    global _server_started
    workers = _workers_for(len(items), parallel_from, cold_from) if len(chunks) > 1 else 0
    _server_started = _server_started or workers > 0
    starter = _PoolStarter(workers) if workers else None
    pool_works = starter is not None
    in_flight = IN_FLIGHT_PER_WORKER * workers
    done: dict[int, list[Result]] = {}  # finished chunks waiting for an earlier one
    redo: list[int] = []  # chunks a dead worker held, sorted: the caller does them
    running: dict[Future, int] = {}
    next_chunk = next_out = done_items = 0
    counts = ChunkCounts(chunks=len(chunks), workers=workers)
    began = time.monotonic()

    def finished(index: int, result: list[Result]) -> None:
        nonlocal done_items
        done[index] = result
        done_items += len(chunks[index])
        if on_chunk:
            on_chunk(done_items)

    try:
        payload = pickle.dumps(setup, protocol=pickle.HIGHEST_PROTOCOL) if starter else b""
        key = uuid.uuid4().int
        while next_out < len(chunks):
            if next_out in done:
                result = done.pop(next_out)
                next_out += 1
                yield result
                continue
            pool = starter.pool if starter and pool_works else None
            while pool is not None and pool_works and next_chunk < len(chunks) and len(running) < in_flight:
                try:
                    running[pool.submit(_run_chunk, work, key, payload, chunks[next_chunk])] = next_chunk
                except (BrokenProcessPool, RuntimeError):
                    pool_works = False  # the pool broke meanwhile: the caller does the rest
                    break
                next_chunk += 1
            starting_too_long = pool is None and time.monotonic() - began > POOL_START_SECONDS
            alone = starter is None or not pool_works or starter.failed or starting_too_long
            left = bool(redo) or next_chunk < len(chunks)
            # The caller works too, on what holds the output back first, and never far ahead of it.
            blocking = redo[0] == next_out if redo else next_chunk == next_out
            room = len(done) + len(running) < 2 * in_flight
            caller_turn = left and (alone or (caller_works and (blocking or room)))
            if running:
                ready, _ = wait(running, timeout=0 if caller_turn else None, return_when=FIRST_COMPLETED)
                for future in ready:
                    index = running.pop(future)
                    try:
                        result = future.result()
                    except BrokenProcessPool:
                        pool_works = False  # a worker died: the caller does its chunks
                        bisect.insort(redo, index)
                        continue
                    counts.by_workers += 1
                    finished(index, result)
                if ready and next_out in done:
                    continue
            if caller_turn:
                if redo:
                    index = redo.pop(0)
                else:
                    index, next_chunk = next_chunk, next_chunk + 1
                finished(index, work(setup, chunks[index]))
            elif not running:
                time.sleep(0.02)  # the pool is starting
    finally:
        global last_counts
        last_counts = counts
        for future in running:
            future.cancel()
        if starter is not None:
            starter.close()
