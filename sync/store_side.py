"""The store's side of a sync: each synced row as canonical cell texts, what changed locally since
the last sync (a hash per row, compared in SQL), and the last synced values (``sync_base``).

A row's *store hash* is the md5 of its synced columns as DuckDB prints them; ``sync_base`` keeps,
for each record of each tab, the cell texts both sides agreed on, the store hash and the sheet
hash at that moment. A row whose two hashes still match needs no look at all: this is what keeps
a sync's CPU proportional to the changes and lets an idle sync stop after one request.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb

from sync.sheet_values import ABSENT, Kind, to_cell
from sync.tables import SYNCED_TABLES, SyncedTable, column_kinds, synced_columns

_SEPARATOR = "\x1f"
_ABSENT_MARK = "\x00"


def quoted(name: str) -> str:
    """A column name as a SQL identifier (names come from the store's schema, never from users)."""
    return '"' + name.replace('"', '""') + '"'


def table_sql(spec: SyncedTable) -> str:
    """A synced table's name as a SQL identifier; only the fixed list ``SYNCED_TABLES`` is allowed."""
    if spec not in SYNCED_TABLES:
        raise ValueError(f"not a synced table: {spec.table}")
    return quoted(spec.table)


def columns_sql(con: duckdb.DuckDBPyConnection, spec: SyncedTable, names: Iterable[str]) -> list[str]:
    """Column names as SQL identifiers, each checked against the table's schema (a name that is
    not one of its columns is refused, so no text from elsewhere ever reaches the SQL)."""
    allowed = column_kinds(con, spec.table)
    checked = []
    for name in names:
        if name not in allowed:
            raise ValueError(f"{spec.table} has no column {name!r}")
        checked.append(quoted(name))
    return checked


def update_sql(con: duckdb.DuckDBPyConnection, spec: SyncedTable, names: Iterable[str]) -> str:
    """``UPDATE table SET a = ?, b = ? WHERE id = ?`` for checked columns (values as parameters)."""
    assignments = ", ".join(name + " = ?" for name in columns_sql(con, spec, names))
    return "UPDATE " + table_sql(spec) + " SET " + assignments + " WHERE id = ?"


def insert_sql(con: duckdb.DuckDBPyConnection, spec: SyncedTable, names: Sequence[str]) -> str:
    """``INSERT INTO table (a, b) VALUES (?, ?)`` for checked columns (values as parameters)."""
    columns = columns_sql(con, spec, names)
    return "INSERT INTO " + table_sql(spec) + " (" + ", ".join(columns) + ") VALUES (" + ", ".join("?" for _ in columns) + ")"


def store_hash_sql(columns: Iterable[str], alias: str = "") -> str:
    """The SQL expression of a row's store hash over ``columns`` (of table ``alias`` if given)."""
    prefix = f"{alias}." if alias else ""
    return "md5(CAST(ROW(" + ", ".join(prefix + quoted(name) for name in columns) + ") AS VARCHAR))"


def texts_hash(texts: Sequence[object]) -> str:
    """The sheet hash of a row: its cell texts in the tab's column order (``ABSENT`` marked)."""
    joined = _SEPARATOR.join(_ABSENT_MARK if text is ABSENT else str(text) for text in texts)
    return hashlib.md5(joined.encode("utf-8"), usedforsecurity=False).hexdigest()


def store_hashes(con: duckdb.DuckDBPyConnection, spec: SyncedTable, kinds: Mapping[str, Kind],
                 ids: Sequence[str] | None = None) -> dict[str, str]:
    """Every row's store hash (or only those of ``ids``)."""
    sql = "SELECT id, " + store_hash_sql(kinds) + " FROM " + table_sql(spec)
    if ids is None:
        return dict(con.execute(sql).fetchall())
    return dict(con.execute(sql + " WHERE id IN (SELECT unnest(?::VARCHAR[]))", [list(ids)]).fetchall())


def _text_sql(name: str, kind: Kind) -> str | None:
    """The SQL giving a column's canonical cell text (as ``to_cell`` writes it), or None when
    Python must convert it (decimals: ``repr``; JSON: sorted compact keys). Times are stored in
    UTC, so ``isoformat`` always ends in ``+00:00`` and shows microseconds only when not zero."""
    column = quoted(name)
    if kind in ("text", "code"):
        return f"coalesce({column}, '')"
    if kind == "list":
        return f"coalesce(array_to_string({column}, '|'), '')"
    if kind == "boolean":
        return f"CASE WHEN {column} IS NULL THEN '' WHEN {column} THEN 'Oui' ELSE 'Non' END"
    if kind == "integer":
        return f"coalesce(CAST({column} AS VARCHAR), '')"
    if kind == "date":
        return f"coalesce(strftime({column}, '%Y-%m-%d'), '')"
    if kind == "datetime":
        return (f"CASE WHEN {column} IS NULL THEN '' WHEN microsecond({column}) % 1000000 = 0"
                f" THEN strftime({column}, '%Y-%m-%dT%H:%M:%S+00:00')"
                f" ELSE strftime({column}, '%Y-%m-%dT%H:%M:%S.%f+00:00') END")
    return None


def store_columns(con: duckdb.DuckDBPyConnection, spec: SyncedTable, kinds: Mapping[str, Kind],
                  ids: Sequence[str] | None = None) -> dict[str, list[str]]:
    """Rows of the table as canonical cell texts, column by column (all rows, or only ``ids``):
    DuckDB writes most texts itself, Python only decimals and JSON; no object per row — what
    keeps a first push of 70 000 rows cheap."""
    expressions = [_text_sql(name, kind) or quoted(name) for name, kind in kinds.items()]
    sql = "SELECT " + ", ".join(expressions) + " FROM " + table_sql(spec)
    cursor = con.execute(sql) if ids is None else con.execute(
        sql + " WHERE id IN (SELECT unnest(?::VARCHAR[]))", [list(ids)])
    rows = cursor.fetchall()
    if not rows:
        return {name: [] for name in kinds}
    columns = list(zip(*rows, strict=True))
    return {
        name: (list(values) if _text_sql(name, kind) is not None else _column_texts(values, kind))
        for (name, kind), values in zip(kinds.items(), columns, strict=True)
    }


def store_texts(con: duckdb.DuckDBPyConnection, spec: SyncedTable, kinds: Mapping[str, Kind],
                ids: Sequence[str] | None = None) -> dict[str, dict[str, str]]:
    """Rows of the table as canonical cell texts, by id (all rows, or only ``ids``)."""
    columns = store_columns(con, spec, kinds, ids)
    names = list(kinds)
    return {row_id: {name: columns[name][index] for name in names} for index, row_id in enumerate(columns["id"])}


def _column_texts(values: Sequence[Any], kind: Kind) -> list[str]:
    if kind in ("text", "code"):
        return ["" if value is None else str(value) for value in values]
    if kind == "list":
        return ["" if value is None else "|".join(str(item) for item in value) for value in values]
    if kind == "json":  # DuckDB hands JSON over as text: canonicalise it once
        return [to_cell(json.loads(value), kind) if value is not None else "" for value in values]
    return [to_cell(value, kind) for value in values]


@dataclass(frozen=True)
class BaseRow:
    """What ``sync_base`` remembers of a record (its cells are loaded only when needed)."""

    store_hash: str | None
    sheet_hash: str | None


def base_index(con: duckdb.DuckDBPyConnection, spreadsheet_id: str, tab: str) -> dict[str, BaseRow]:
    """Every record of a tab known to have been synced, with its hashes."""
    rows = con.execute(
        "SELECT row_id, store_hash, sheet_hash FROM sync_base WHERE spreadsheet_id = ? AND tab = ?",
        [spreadsheet_id, tab],
    ).fetchall()
    return {row_id: BaseRow(store_hash, sheet_hash) for row_id, store_hash, sheet_hash in rows}


def base_cells(con: duckdb.DuckDBPyConnection, spreadsheet_id: str, tab: str, ids: Sequence[str]) -> dict[str, dict[str, str]]:
    """The last synced cell texts of some records of a tab."""
    if not ids:
        return {}
    rows = con.execute(
        "SELECT row_id, cells FROM sync_base WHERE spreadsheet_id = ? AND tab = ? AND row_id IN (SELECT unnest(?::VARCHAR[]))",
        [spreadsheet_id, tab, list(ids)],
    ).fetchall()
    return {row_id: json.loads(cells) for row_id, cells in rows}


def local_changes(con: duckdb.DuckDBPyConnection, spreadsheet_id: str) -> dict[str, int]:
    """How many records of each tab changed in the store (or were never synced) since the last
    sync; lines a person deleted in the sheet, waiting for a coordinator (or whose deletion was
    confirmed without a ``deleted_at`` to carry), are not counted."""
    counts: dict[str, int] = {}
    for spec in SYNCED_TABLES:
        kinds = synced_columns(con, spec)
        sql = (
            "SELECT count(*) FROM " + table_sql(spec) + " t"
            " LEFT JOIN sync_base b ON b.spreadsheet_id = ? AND b.tab = ? AND b.row_id = t.id"
            " WHERE (b.row_id IS NULL OR b.store_hash IS NULL OR b.store_hash <> "
            + store_hash_sql(kinds, "t")
            + ") AND NOT (b.row_id IS NOT NULL AND EXISTS (SELECT 1 FROM sync_deletions d WHERE d.spreadsheet_id = ?"
            " AND d.tab = ? AND d.row_id = t.id AND d.statut IN ('a_confirmer', 'confirmee')))"
        )
        counts[spec.tab] = con.execute(sql, [spreadsheet_id, spec.tab, spreadsheet_id, spec.tab]).fetchall()[0][0]
    return counts
