"""The store tables the Sheets hub carries, one tab each, and the kind of each column.

A column's kind (``sync.sheet_values.Kind``) is read from the store's own schema, so a column a
later migration adds is carried without code here (schema evolution, dlt-style). The ``id``
column comes first; the tab's header row is the column names.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from sync.sheet_values import Kind

# DuckDB type → cell kind. A type not listed here is refused loudly: a new type needs its codec.
_KINDS: dict[str, Kind] = {
    "VARCHAR": "text",
    "VARCHAR[]": "list",
    "BOOLEAN": "boolean",
    "INTEGER": "integer",
    "BIGINT": "integer",
    "DOUBLE": "decimal",
    "DATE": "date",
    "TIMESTAMP WITH TIME ZONE": "datetime",
    "JSON": "json",
}


@dataclass(frozen=True)
class SyncedTable:
    """One synced table: its tab's title and the store table behind it."""

    tab: str
    table: str


# The tabs of the hub, in the order they appear in the sheet (the conflicts tab is read-only).
SYNCED_TABLES: tuple[SyncedTable, ...] = (
    SyncedTable("structures", "structures"),
    SyncedTable("reponses", "responses"),
    SyncedTable("appels", "call_attempts"),
    SyncedTable("relances", "relances"),
)


def column_kinds(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, Kind]:
    """Every column of a store table with its cell kind, ``id`` first then the table's order."""
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
        [table],
    ).fetchall()
    if not rows:
        raise ValueError(f"unknown table: {table}")
    kinds: dict[str, Kind] = {}
    for name, data_type in sorted(rows, key=lambda row: row[0] != "id"):
        if data_type not in _KINDS:
            raise ValueError(f"{table}.{name}: no cell kind for the DuckDB type {data_type}")
        kinds[name] = _KINDS[data_type]
    return kinds
