"""The DuckDB store: one file per device, briefly held connections, one transaction per action.

DuckDB lets one process at a time hold a database file for writing. The app and the CLI (e.g.
``maillage sync`` from cron) therefore never hold the file for long: a process keeps it open
only while it works and for ``keep_open`` seconds after (2 s by default, at most 10 s in a row),
and opening retries for a bounded time while another process holds the lock.

Usage::

    store = Store("data/maillage.duckdb")
    store.migrate()
    with store.atomic() as con:         # one user action = one transaction
        con.execute("INSERT ...", [...])
    rows = store.query("SELECT ...", [...])   # read-only unit of work
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
from typing import Any

import duckdb

from models.errors import StoreBusy

DEFAULT_DB_PATH = Path("data") / "maillage.duckdb"

# Bounded wait for another process's lock: enough for a sync or an import batch to finish a
# unit of work, short enough that a user sees a clear message instead of a frozen page.
LOCK_TIMEOUT_SECONDS = 30.0

# How long a process keeps the file open after its last unit of work (see _SharedDatabase).
KEEP_OPEN_SECONDS = 2.0


def default_db_path() -> Path:
    """The store's path: ``$MAILLAGE_DB`` when set, else ``data/maillage.duckdb``."""
    return Path(os.environ.get("MAILLAGE_DB") or DEFAULT_DB_PATH)


def utc_now() -> datetime:
    """The current time, timezone-aware, in UTC (how every timestamp is stored)."""
    return datetime.now(UTC)


def _is_lock_error(error: Exception) -> bool:
    text = str(error)
    return "Could not set lock" in text or "Conflicting lock" in text


@dataclass
class Migration:
    """One named, ordered step of the schema; applied once, recorded in ``_maillage_migrations``."""

    name: str
    apply: Callable[[duckdb.DuckDBPyConnection], None]


class _SharedDatabase:
    """The process's one DuckDB instance of a file, opened on demand and closed when idle.

    Opening a DuckDB file costs ~13 ms and closing it checkpoints (10-40 ms on a busy store): too
    much for a field saved on every keystroke pause (bench/surveys.py). So units of work of the
    same process share one open instance (each gets its own cursor, i.e. its own transaction
    context), and a watcher thread closes the instance — off the request path — once nobody has
    used it for ``keep_open`` seconds, or once it has been held ``MAX_HOLD_SECONDS`` (then it waits
    ``YIELD_SECONDS`` before reopening). DuckDB's file lock is held only while the instance is
    open, so another process (``maillage sync`` from cron, the CLI) gets its turn within seconds.
    """

    MAX_HOLD_SECONDS = 10.0
    YIELD_SECONDS = 0.3

    def __init__(self, path: Path, keep_open: float) -> None:
        self.path = path
        self.keep_open = keep_open
        self.lock = threading.Lock()
        self.con: duckdb.DuckDBPyConnection | None = None
        self.file_id: tuple[int, int] | None = None
        self.users = 0
        self.last_used = 0.0
        self.opened_at = 0.0
        self.not_before = 0.0
        self.watcher: threading.Thread | None = None

    def _file_id(self) -> tuple[int, int] | None:
        try:
            info = os.stat(self.path)
        except FileNotFoundError:
            return None
        return info.st_dev, info.st_ino

    def acquire(self, opener: Callable[[], duckdb.DuckDBPyConnection]) -> duckdb.DuckDBPyConnection:
        """A cursor on the open instance (opened with ``opener`` when needed)."""
        while True:
            with self.lock:
                if self.con is not None and self._file_id() != self.file_id:
                    self._close()  # the file was deleted or replaced (a restore): never write to the old one
                wait = self.not_before - time.monotonic()
                if self.con is None and wait <= 0:
                    self.con = opener()
                    self.file_id = self._file_id()
                    self.opened_at = time.monotonic()
                    self._watch()
                if self.con is not None:
                    self.users += 1
                    self.last_used = time.monotonic()
                    try:
                        return self.con.cursor()
                    except BaseException:
                        self.users -= 1
                        raise
            time.sleep(max(wait, 0.01))

    def release(self, cursor: duckdb.DuckDBPyConnection) -> None:
        try:
            cursor.close()
        finally:
            with self.lock:
                self.users -= 1
                self.last_used = time.monotonic()

    def _close(self) -> None:
        if self.con is not None:
            try:
                self.con.close()
            finally:
                self.con = None
                self.file_id = None

    def close_if_unused(self) -> bool:
        """Close the instance now if no unit of work uses it; True when closed (or already)."""
        with self.lock:
            if self.users:
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
            time.sleep(min(0.1, max(self.keep_open / 4, 0.01)))
            with self.lock:
                if self.con is None:
                    return
                now = time.monotonic()
                if self.users:
                    continue
                if now - self.last_used >= self.keep_open:
                    self._close()
                    return
                if now - self.opened_at >= self.MAX_HOLD_SECONDS:
                    self._close()
                    self.not_before = now + self.YIELD_SECONDS  # let another process take its turn
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
        """Open the file, retrying with jittered backoff while another process holds it."""
        deadline = time.monotonic() + self.lock_timeout
        delay = 0.005
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            try:
                con = duckdb.connect(str(self.path), read_only=read_only and self.path.exists())
                con.execute("SET TimeZone = 'UTC'")
                return con
            except (duckdb.IOException, duckdb.OperationalError) as error:
                if not _is_lock_error(error) or time.monotonic() >= deadline:
                    if _is_lock_error(error):
                        raise StoreBusy(self.path) from error
                    raise
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, 0.25)

    @contextmanager
    def connect(self, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection for one unit of work.

        With ``keep_open`` (the default), a cursor on the process's shared instance of the file
        (``read_only`` is then only a statement of intent); with ``keep_open=0``, a connection of
        its own, closed on exit.
        """
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

    @contextmanager
    def atomic(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One transaction for one user action: committed on success, rolled back on error.

        The original error is re-raised after the rollback, so the store is left as it was.
        """
        with self.connect() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

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
        from models.migrations import MIGRATIONS

        done = set(self.applied_migrations())
        return [m.name for m in MIGRATIONS if m.name not in done]

    def migrate(self) -> list[str]:
        """Apply every pending migration, each in its own transaction; return their names."""
        from models.migrations import MIGRATIONS

        applied_now = []
        with self.connect() as con:
            con.execute(
                "CREATE TABLE IF NOT EXISTS _maillage_migrations ("
                " name VARCHAR PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)"
            )
            done = set(applied_migrations(con))
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


def fetch_dicts(
    con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Execute ``sql`` with ``params`` on ``con`` and return the rows as dicts."""
    cursor = con.execute(sql, params) if params is not None else con.execute(sql)
    names = [d[0] for d in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def open_store(path: str | os.PathLike[str] | None = None) -> Store:
    """The store at ``path`` (or the default), with every migration applied."""
    store = Store(Path(path) if path else default_db_path())
    store.migrate()
    return store
