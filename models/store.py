"""The DuckDB store: one file per device, briefly held connections, one transaction per action.

DuckDB lets one process at a time hold a database file for writing. The app and the CLI (e.g.
``maillage sync`` from cron) therefore take turns: a process keeps the file open while it works
and for ``keep_open`` seconds after (2 s by default); a process that finds the file locked asks
for its turn (a ``<file>.attente-<pid>`` request file) and retries for a bounded time, and the
holder lets go at its first moment without a unit of work running.

Usage::

    store = Store("data/maillage.duckdb")
    store.migrate()
    store.transaction(lambda con: save_answer(con, ...))  # one user action = one unit of work
    with store.atomic() as con:         # the same for a body that cannot be run again (no retries)
        con.execute("INSERT ...", [...])
    rows = store.query("SELECT ...", [...])   # read-only

Units of work nest: inside an open one (same store, same thread), ``transaction``, ``atomic``,
``connect`` and ``query`` join it — they read its uncommitted writes and commit with it — and only
the outermost one commits, rolls back or runs again on a write conflict. DuckDB has no savepoints,
so a nested unit that fails cannot be undone alone: its error dooms the whole unit, which is rolled
back even if the outer code caught the error (``UnitOfWorkFailed``), never committed half-done.
"""

from __future__ import annotations

import atexit
import os
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import duckdb

from models.errors import NewerStore, StoreBusy, UnitOfWorkFailed, WriteConflict
from models.migrations import MIGRATIONS
from models.places import default_store_path

T = TypeVar("T")

# Bounded wait for another process's lock: enough for a sync or an import batch to finish a
# unit of work, short enough that a user sees a clear message instead of a frozen page.
LOCK_TIMEOUT_SECONDS = 30.0

# How long a process keeps the file open after its last unit of work (see _SharedDatabase).
KEEP_OPEN_SECONDS = 2.0

# A request for the file's turn (see _ask_turn) older than this is a waiter that gave up or died.
TURN_REQUEST_FRESH_SECONDS = 2.0


@dataclass
class _OpenUnit:
    """The unit of work open in one thread on one store file (see ``Store.atomic``)."""

    con: duckdb.DuckDBPyConnection
    failed_inside: BaseException | None = None  # a nested unit's error: the whole unit is rolled back


_OPEN_UNITS = threading.local()  # per thread: resolved store path → its _OpenUnit


def _open_units() -> dict[str, _OpenUnit]:
    units = getattr(_OPEN_UNITS, "by_path", None)
    if units is None:
        units = _OPEN_UNITS.by_path = {}
    return units


def default_db_path() -> Path:
    """The store's path: ``$MAILLAGE_DB`` when set, else ``maillage.duckdb`` in the data folder
    (``models.places``: the clone's ``data/``, or the user's data folder when installed)."""
    return default_store_path()


def utc_now() -> datetime:
    """The current time, timezone-aware, in UTC (how every timestamp is stored)."""
    return datetime.now(UTC)


def _is_lock_error(error: Exception) -> bool:
    text = str(error)
    return "Could not set lock" in text or "Conflicting lock" in text


def _is_closing_elsewhere(error: Exception) -> bool:
    """DuckDB's answer when a thread of this process opens the file while another thread's last
    connection to it is still closing (``keep_open=0`` in several threads): gone in a moment."""
    return "Unique file handle conflict" in str(error)


# -- taking turns between processes ---------------------------------------------------------------
#
# DuckDB's lock is tried, never queued: a process cannot tell the holder it is waiting. So a waiter
# keeps a request file ``<file>.attente-<pid>`` fresh while it retries, and removes it once it has
# the file; the holder looks for fresh requests of other processes and lets go at its next idle
# moment. Without it, a busy server (20 sessions saving every second) is never idle, and cron's
# ``maillage sync`` could only get in through a forced release (which stalled every session) or not
# at all within ``lock_timeout``.


def _turn_request(path: Path) -> Path:
    return path.with_name(f"{path.name}.attente-{os.getpid()}")


def _ask_turn(path: Path) -> bool:
    """Create or refresh this process's request for the file; False when the folder refuses it
    (the holder then lets go only when idle for ``keep_open``)."""
    try:
        _turn_request(path).touch()
    except OSError:
        return False
    return True


def _withdraw_turn(path: Path) -> None:
    try:
        _turn_request(path).unlink(missing_ok=True)
    except OSError:
        pass


def _turn_requested(path: Path) -> bool:
    """Whether another process asked for the file within ``TURN_REQUEST_FRESH_SECONDS`` (a request
    left by a process killed while it waited is removed after a minute)."""
    prefix = f"{path.name}.attente-"
    own = f"{prefix}{os.getpid()}"
    now = time.time()
    asked = False
    try:
        with os.scandir(path.parent) as entries:
            for entry in entries:
                if not entry.name.startswith(prefix) or entry.name == own:
                    continue
                try:
                    age = now - entry.stat().st_mtime
                    if age < TURN_REQUEST_FRESH_SECONDS:
                        asked = True
                    elif age > 60:
                        os.unlink(entry.path)
                except FileNotFoundError:  # withdrawn meanwhile
                    continue
    except OSError:  # the folder unreadable: nobody can ask
        pass
    return asked


def _publish_whole(partial: Path, path: Path) -> None:
    """Give a complete file its final name, unless that name exists (``FileExistsError``).

    A hard link does it in one step where links exist (ext4, APFS, NTFS). On a file system without
    them (a FAT or exFAT USB key: ``PermissionError`` or « not supported »), a rename: exclusive on
    Windows (it refuses an existing name), checked just before elsewhere (a race left only between
    two first starts on such a key, where the later file replaces an equally empty one)."""
    try:
        os.link(partial, path)
        return
    except FileExistsError:
        raise
    except OSError:
        pass  # no hard links here
    if path.exists():
        raise FileExistsError(path)
    os.rename(partial, path)


class _SharedDatabase:
    """The process's one DuckDB instance of a file, opened on demand and closed when idle or asked.

    Opening a DuckDB file costs ~13 ms and closing it checkpoints (10-40 ms on a busy store): too
    much for a field saved on every keystroke pause (bench/surveys.py). So units of work of the
    same process share one open instance (each gets its own cursor, i.e. its own transaction
    context), and a watcher thread closes the instance — off the request path — once nobody has
    used it for ``keep_open`` seconds, or as soon as no unit of work runs when another process asks
    for its turn (``_turn_requested``).

    While such a request waits, no new unit of work starts here (the running ones end, then the
    file goes), unless a running one is long (over ``DRAIN_LIMIT_SECONDS``: an import, a big
    export): the other sessions then go on, and the file goes at the first idle moment after it.
    A unit that opens another inside itself is never held back (it would wait for itself). Once
    it has let go, this process waits for the other one to take the file (its request disappears)
    for at most ``TURN_SECONDS`` before opening again, so the turn is not taken back by a session
    that was quicker. A holder keeps the file at least ``MIN_HOLD_SECONDS`` once opened, so a
    process with several units of work in a row (a sync) does them in one turn rather than handing
    the file back at each one.
    """

    MIN_HOLD_SECONDS = 0.1
    DRAIN_LIMIT_SECONDS = 0.5
    TURN_SECONDS = 1.0
    POLL_SECONDS = 0.02  # the watcher's pace: how soon a request for the file is seen

    def __init__(self, path: Path, keep_open: float) -> None:
        self.path = path
        self.keep_open = keep_open
        self.lock = threading.Lock()
        self.con: duckdb.DuckDBPyConnection | None = None
        self.file_id: tuple[int, int] | None = None
        self.running: dict[int, tuple[int, float]] = {}  # units of work running: cursor id → (thread, start)
        self.last_used = 0.0
        self.opened_at = 0.0
        self.draining = False  # another process asked for the file: no new unit of work here
        self.yielded_at: float | None = None  # when this process let go of the file on request
        self.idle = threading.Event()  # wakes the watcher when the last running unit of work ends
        self.watcher: threading.Thread | None = None

    def _file_id(self) -> tuple[int, int] | None:
        try:
            info = os.stat(self.path)
        except FileNotFoundError:
            return None
        return info.st_dev, info.st_ino

    def _may_open(self) -> bool:
        """False while the process this one let go for has not taken the file yet (bounded)."""
        if self.yielded_at is None:
            return True
        if time.monotonic() - self.yielded_at < self.TURN_SECONDS and _turn_requested(self.path):
            return False
        self.yielded_at = None
        return True

    def acquire(self, opener: Callable[[], duckdb.DuckDBPyConnection]) -> duckdb.DuckDBPyConnection:
        """A cursor on the open instance (opened with ``opener`` when needed)."""
        while True:
            with self.lock:
                if self.con is not None and self._file_id() != self.file_id:
                    self._close()  # the file was deleted or replaced (a restore): never write to the old one
                if self.con is None and self._may_open():
                    self.con = opener()
                    self.file_id = self._file_id()
                    self.opened_at = time.monotonic()
                    self._watch()
                thread = threading.get_ident()
                nested = any(holder == thread for holder, _ in self.running.values())
                if self.con is not None and (not self.draining or nested):
                    cursor = self.con.cursor()
                    self.last_used = time.monotonic()
                    self.running[id(cursor)] = (thread, self.last_used)
                    return cursor
            time.sleep(0.005)

    def release(self, cursor: duckdb.DuckDBPyConnection) -> None:
        try:
            cursor.close()
        finally:
            with self.lock:
                self.running.pop(id(cursor), None)
                self.last_used = time.monotonic()
                if self.draining and not self.running:
                    self.idle.set()

    def _close(self) -> None:
        self.draining = False
        if self.con is not None:
            try:
                self.con.close()
            finally:
                self.con = None
                self.file_id = None

    def close_if_unused(self) -> bool:
        """Close the instance now if no unit of work uses it; True when closed (or already)."""
        with self.lock:
            if self.running:
                return False
            self._close()
            return True

    def _watch(self) -> None:
        if self.watcher is not None and self.watcher.is_alive():
            return
        self.watcher = threading.Thread(target=self._watch_loop, name=f"maillage-store-{self.path.name}", daemon=True)
        self.watcher.start()

    def _watch_loop(self) -> None:
        while True:
            self.idle.wait(min(self.POLL_SECONDS, max(self.keep_open / 4, 0.01)))
            self.idle.clear()
            asked = _turn_requested(self.path)  # outside the lock: a directory listing
            with self.lock:
                if self.con is None:
                    return
                now = time.monotonic()
                self.draining = (asked and now - self.opened_at >= self.MIN_HOLD_SECONDS
                                 and all(now - start < self.DRAIN_LIMIT_SECONDS for _, start in self.running.values()))
                if self.running:
                    continue
                if self.draining:
                    self._close()
                    self.yielded_at = now  # the other process's turn
                    return
                if now - self.last_used >= self.keep_open:
                    self._close()
                    return


_SHARED: dict[str, _SharedDatabase] = {}
_SHARED_LOCK = threading.Lock()


def _shared(path: Path, keep_open: float) -> _SharedDatabase:
    key = str(path.resolve())
    with _SHARED_LOCK:
        shared = _SHARED.get(key)
        if shared is None:
            shared = _SHARED[key] = _SharedDatabase(path, keep_open)
        return shared


@atexit.register
def _close_all() -> None:
    """Close every open instance at exit (each checkpoints its write-ahead log)."""
    for shared in list(_SHARED.values()):
        with shared.lock:
            shared._close()


def _keep_open_default() -> float:
    return float(os.environ.get("MAILLAGE_KEEP_OPEN_SECONDS", KEEP_OPEN_SECONDS))


@dataclass
class Store:
    """A Maillage DuckDB file. Cheap to create: it holds a path, not a connection.

    :param keep_open: seconds the process keeps the file open after its last unit of work
        (default 2, ``$MAILLAGE_KEEP_OPEN_SECONDS``); 0 opens and closes the file for every unit.
    """

    path: Path
    lock_timeout: float = LOCK_TIMEOUT_SECONDS
    device: str = field(default_factory=lambda: os.environ.get("MAILLAGE_DEVICE") or os.uname().nodename)
    keep_open: float = field(default_factory=_keep_open_default)

    def __post_init__(self) -> None:
        self.path = Path(self.path)

    # -- connections -------------------------------------------------------------------------

    def _open(self, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        """Open the file, retrying with jittered backoff while another process holds it (and asking
        for its turn meanwhile: see ``_ask_turn``)."""
        deadline = time.monotonic() + self.lock_timeout
        delay = 0.005
        asked = False
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():
            self._create_file()
        try:
            while True:
                try:
                    con = duckdb.connect(str(self.path), read_only=read_only and self.path.exists())
                    con.execute("SET TimeZone = 'UTC'")
                    return con
                except (duckdb.IOException, duckdb.OperationalError) as error:
                    locked = _is_lock_error(error)
                    if not (locked or _is_closing_elsewhere(error)) or time.monotonic() >= deadline:
                        if locked:
                            raise StoreBusy(self.path) from error
                        raise
                    if locked:
                        asked = _ask_turn(self.path) or asked
                    time.sleep(delay * (0.5 + random.random()))
                    delay = min(delay * 2, 0.05)  # the holder lets go within a few polls once asked
        finally:
            if asked:
                _withdraw_turn(self.path)

    def _create_file(self) -> None:
        """Create the store's file whole, or not at all.

        DuckDB writes a new file's headers one after the other: a process killed in between (a new
        device's first command cut, a crash) left a file DuckDB never opens again (« not a valid
        DuckDB database file », « Could not read enough bytes »), and with it every command and the
        app (tests/reliability/test_crash.py). So the file is made under a temporary name, closed
        (complete), then linked to the store's path, which is therefore either absent or a whole
        database. A link, not a rename: a store another process created meanwhile is kept.
        """
        partial = self.path.with_name(f"{self.path.name}.creation-{os.getpid()}-{threading.get_ident()}")
        for leftover in (partial, partial.with_name(partial.name + ".wal")):
            leftover.unlink(missing_ok=True)
        try:
            duckdb.connect(str(partial)).close()
            _publish_whole(partial, self.path)
        except FileExistsError:
            pass  # created by another process first: that one is the store
        finally:
            partial.unlink(missing_ok=True)

    @contextmanager
    def connect(self, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection for reading or for one unit of work (the open unit's own, when this thread is
        inside one on this store).

        With ``keep_open`` (the default), a cursor on the process's shared instance of the file
        (``read_only`` is then only a statement of intent); with ``keep_open=0``, a connection of
        its own, closed on exit.
        """
        unit = _open_units().get(self._key())
        if unit is not None:  # inside a unit of work of this thread: its connection, its writes
            yield unit.con
            return
        if self.keep_open <= 0:
            con = self._open(read_only=read_only)
            try:
                yield con
            finally:
                con.close()
            return
        shared = _shared(self.path, self.keep_open)
        cursor = shared.acquire(self._open)
        try:
            cursor.execute("SET TimeZone = 'UTC'")
            yield cursor
        finally:
            shared.release(cursor)

    def release(self) -> bool:
        """Close the process's open instance of the file now (a checkpoint: the file alone is then
        complete, e.g. before copying it). False when a unit of work is still using it."""
        shared = _SHARED.get(str(self.path.resolve()))
        return True if shared is None else shared.close_if_unused()

    def _key(self) -> str:
        return str(self.path.resolve())

    @contextmanager
    def atomic(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One unit of work: committed on success, rolled back on error (the error is re-raised, the
        store left as it was). Inside an open unit of work of this thread, it joins that one: an
        error inside dooms the whole (``UnitOfWorkFailed`` if the outer code then tries to commit).
        """
        units = _open_units()
        key = self._key()
        outer = units.get(key)
        if outer is not None:
            try:
                yield outer.con
            except BaseException as error:
                outer.failed_inside = outer.failed_inside or error
                raise
            return
        with self.connect() as con:
            con.execute("BEGIN TRANSACTION")
            unit = units[key] = _OpenUnit(con)
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            finally:
                del units[key]
            if unit.failed_inside is not None:
                con.execute("ROLLBACK")
                raise UnitOfWorkFailed() from unit.failed_inside
            con.execute("COMMIT")

    def transaction(self, action: Callable[[duckdb.DuckDBPyConnection], T], *, attempts: int = 8) -> T:
        """``action(con)`` in one unit of work (``atomic``), run again from the start when DuckDB
        refuses it for a write conflict. Inside an open unit of work it joins it and runs once: the
        outermost unit is the one that runs again.

        Units of work of this process run side by side on the shared instance, and DuckDB's
        concurrency is optimistic: when two of them write the same row at once (two tabs on one
        draft saving the same field, or changing its section), the second gets « Conflict on
        update » (or a duplicate key for a row both inserted) and its whole transaction is lost.
        Run again, it sees the first one's write (a field saved by the other tab then comes back
        as a conflict to show, never as an error). A real constraint error fails every attempt and
        is raised (a conflict lasting through every attempt as a French ``WriteConflict``). The waits
        double from 10 ms (about 1.3 s in all), enough for the other
        transaction — a submission, at most a few hundred milliseconds — to end.
        """
        if self._key() in _open_units():
            with self.atomic() as con:
                return action(con)
        for attempt in range(1, attempts + 1):
            try:
                with self.atomic() as con:
                    return action(con)
            except (duckdb.TransactionException, duckdb.ConstraintException) as error:
                if attempt == attempts:
                    if isinstance(error, duckdb.TransactionException):
                        raise WriteConflict() from error  # French, for the page that shows it
                    raise
                time.sleep(0.01 * 2 ** (attempt - 1) * (0.5 + random.random()))  # let the other one commit
        raise AssertionError("unreachable")

    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run one read query and return its rows as dicts."""
        with self.connect() as con:
            return fetch_dicts(con, sql, params)

    # -- migrations ----------------------------------------------------------------------------

    def applied_migrations(self) -> list[str]:
        """Names of the migrations already applied, in order (reads only)."""
        if not self.path.exists():
            return []
        with self.connect() as con:
            return applied_migrations(con)

    def pending_migrations(self) -> list[str]:
        """Names of the migrations not yet applied (reads only)."""
        done = set(self.applied_migrations())
        return [m.name for m in MIGRATIONS if m.name not in done]

    def migrate(self) -> list[str]:
        """Apply every pending migration, each in its own transaction; return their names. A store
        with migrations this code does not know (made by a newer Maillage) is refused untouched
        (``NewerStore``): an older schema would damage it."""
        applied_now = []
        with self.connect() as con:
            done = set(applied_migrations(con))
            unknown = sorted(done - {migration.name for migration in MIGRATIONS})
            if unknown:
                raise NewerStore(self.path, unknown)
            con.execute(
                "CREATE TABLE IF NOT EXISTS _maillage_migrations ("
                " name VARCHAR PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)"
            )
            for migration in MIGRATIONS:
                if migration.name in done:
                    continue
                con.execute("BEGIN TRANSACTION")
                try:
                    migration.apply(con)
                    con.execute(
                        "INSERT INTO _maillage_migrations (name, applied_at) VALUES (?, ?)",
                        [migration.name, utc_now()],
                    )
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
                con.execute("COMMIT")
                applied_now.append(migration.name)
        return applied_now


def applied_migrations(con: duckdb.DuckDBPyConnection) -> list[str]:
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = '_maillage_migrations'"
    ).fetchone()
    if not exists or not exists[0]:
        return []
    return [row[0] for row in con.execute("SELECT name FROM _maillage_migrations ORDER BY applied_at, name").fetchall()]


def sql_identifier(name: str) -> str:
    """A table or column name quoted for SQL, a ``"`` inside doubled: the one quoter (names come from the
    store's schema or DuckDB's catalog, never from users; values always go as parameters)."""
    return '"' + name.replace('"', '""') + '"'


def fetch_dicts(
    con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Execute ``sql`` with ``params`` on ``con`` and return the rows as dicts."""
    cursor = con.execute(sql, params) if params is not None else con.execute(sql)
    names = [d[0] for d in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


