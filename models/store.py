"""The DuckDB store: one file per device, short-lived connections, one transaction per action.

DuckDB lets one process at a time hold a database file for writing. The app and the CLI (e.g.
``maillage sync`` from cron) therefore never keep a connection open between units of work: each
unit opens the file, does its work in one transaction and closes it, and opening retries for a
bounded time while another process holds the lock.

Usage::

    store = Store("data/maillage.duckdb")
    store.migrate()
    with store.atomic() as con:         # one user action = one transaction
        con.execute("INSERT ...", [...])
    rows = store.query("SELECT ...", [...])   # read-only unit of work
"""

from __future__ import annotations

import os
import random
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


@dataclass
class Store:
    """A Maillage DuckDB file. Cheap to create: it holds a path, not a connection."""

    path: Path
    lock_timeout: float = LOCK_TIMEOUT_SECONDS
    device: str = field(default_factory=lambda: os.environ.get("MAILLAGE_DEVICE") or os.uname().nodename)

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
        """A short-lived connection for one unit of work, closed on exit."""
        con = self._open(read_only=read_only)
        try:
            yield con
        finally:
            con.close()

    @contextmanager
    def atomic(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One transaction on a fresh connection: committed on success, rolled back on error.

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
