"""The store's schema as named, ordered migrations: each applied once, in order, and never twice."""

from __future__ import annotations

import re

import duckdb
import pytest

from models.migrations import MIGRATIONS, Migration
from models.store import Store

NAMES = [migration.name for migration in MIGRATIONS]


def schema(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """Every column of every table with its type, nullability and default."""
    return con.execute(
        "SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns"
        " ORDER BY table_name, ordinal_position").fetchall()


def constraints(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute(
        "SELECT table_name, constraint_type, constraint_text FROM duckdb_constraints()"
        " ORDER BY table_name, constraint_text").fetchall()


def test_migrations_have_unique_names():
    assert len(set(NAMES)) == len(NAMES)


def test_migrations_are_numbered_from_0001_in_the_order_they_are_listed():
    numbers = []
    for name in NAMES:
        found = re.fullmatch(r"(\d{4})_[a-z0-9_]+", name)
        assert found, f"« {name} » : nom attendu 0001_quelque_chose"
        numbers.append(int(found.group(1)))
    assert numbers == list(range(1, len(NAMES) + 1))


def test_each_migration_is_a_named_step_with_a_function_that_says_what_it_does():
    for migration in MIGRATIONS:
        assert isinstance(migration, Migration) and callable(migration.apply)
        assert migration.apply.__doc__, migration.name


def test_a_new_store_gets_every_migration_once_in_order(tmp_path):
    store = Store(tmp_path / "neuve.duckdb")
    assert store.migrate() == NAMES
    with store.connect() as con:
        rows = con.execute("SELECT name, applied_at FROM _maillage_migrations ORDER BY applied_at, name").fetchall()
    assert [name for name, _ in rows] == NAMES
    assert [at for _, at in rows] == sorted(at for _, at in rows)  # applied one after the other
    assert all(at.tzinfo is not None for _, at in rows)


def test_migrating_a_migrated_store_again_changes_nothing(tmp_path):
    store = Store(tmp_path / "neuve.duckdb")
    store.migrate()
    with store.connect() as con:
        before = (schema(con), constraints(con), con.execute("SELECT * FROM _maillage_migrations ORDER BY name").fetchall())
    assert store.migrate() == []
    assert store.pending_migrations() == []
    with store.connect() as con:
        after = (schema(con), constraints(con), con.execute("SELECT * FROM _maillage_migrations ORDER BY name").fetchall())
    assert after == before


@pytest.mark.parametrize("done", [1, 4, len(MIGRATIONS) - 1])
def test_a_store_left_at_an_older_version_gets_only_the_migrations_it_lacks_in_order(tmp_path, done):
    path = tmp_path / "ancienne.duckdb"
    con = duckdb.connect(str(path))
    con.execute("SET TimeZone = 'UTC'")
    con.execute("CREATE TABLE _maillage_migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)")
    for migration in MIGRATIONS[:done]:  # as an older Maillage, which knew only these, left it
        migration.apply(con)
        con.execute("INSERT INTO _maillage_migrations VALUES (?, now())", [migration.name])
    con.close()

    store = Store(path)
    assert store.pending_migrations() == NAMES[done:]
    assert store.migrate() == NAMES[done:]
    assert store.applied_migrations() == NAMES

    fresh = Store(tmp_path / "neuve.duckdb")
    fresh.migrate()
    with store.connect() as upgraded, fresh.connect() as new:
        assert schema(upgraded) == schema(new)  # the same schema, whichever way it was reached


def test_every_moment_is_stored_with_its_time_zone():
    con = duckdb.connect()
    for migration in MIGRATIONS:
        migration.apply(con)
    naive = [(table, column) for table, column, kind, *_ in schema(con) if kind.startswith("TIMESTAMP")
             and kind != "TIMESTAMP WITH TIME ZONE"]
    assert naive == []


def test_the_tables_that_hold_records_have_a_text_id_as_primary_key():
    con = duckdb.connect()
    for migration in MIGRATIONS:
        migration.apply(con)
    columns: dict[str, dict[str, str]] = {}
    for table, column, kind, *_ in schema(con):
        columns.setdefault(table, {})[column] = kind
    keys = {table: text for table, kind, text in constraints(con) if kind == "PRIMARY KEY"}
    with_id = sorted(table for table, names in columns.items() if "id" in names)
    assert {"structures", "campaigns", "responses", "call_attempts", "relances", "audit_log", "sync_conflicts",
            "edit_conflicts", "import_profiles"} <= set(with_id)
    for table in with_id:
        assert columns[table]["id"] == "VARCHAR", table
        assert keys[table] == "PRIMARY KEY(id)", table

