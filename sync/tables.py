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
    """One synced table: its tab's title and the store table behind it.

    ``device_only``: people may read the tab but their edits there are not taken (a response is
    immutable; the conflicts tab is written by the devices); only a change another device made
    (its row's ``updated_at`` moved) is. ``local_columns``: device-local state never sent.
    """

    tab: str
    table: str
    device_only: bool = False
    local_columns: tuple[str, ...] = ()


# Written with every row a device writes, never merged (each device stamps its own writes).
METADATA_COLUMNS: tuple[str, ...] = ("updated_at", "updated_by")
# Never changed through the sheet: a person's edit there is put back.
PROTECTED_COLUMNS: tuple[str, ...] = ("id", "created_at")

# The tabs of the hub, in the order they appear in the sheet.
SYNCED_TABLES: tuple[SyncedTable, ...] = (
    SyncedTable(
        "structures", "structures",
        # the import's own memory of each source line: meaningful on the device that imported only
        local_columns=("import_key", "import_base", "import_fingerprint", "donnees_source", "valeurs_ecartees"),
    ),
    SyncedTable("reponses", "responses", device_only=True),
    SyncedTable("appels", "call_attempts"),
    SyncedTable("relances", "relances"),
    SyncedTable("conflits", "sync_conflicts", device_only=True),
)


def synced_table(tab: str) -> SyncedTable:
    """The synced table of a tab title."""
    for spec in SYNCED_TABLES:
        if spec.tab == tab:
            return spec
    raise KeyError(tab)


def synced_columns(con: duckdb.DuckDBPyConnection, spec: SyncedTable) -> dict[str, Kind]:
    """The columns of a tab (``id`` first) with their kinds: the table's, minus its local ones."""
    return {name: kind for name, kind in column_kinds(con, spec.table).items() if name not in spec.local_columns}


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
