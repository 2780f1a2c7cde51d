"""The store's side of a sync: each synced row as canonical cell texts, what changed locally since
the last sync (a hash per row, compared in SQL), and the last synced values (``sync_base``).

A row's *store hash* is the md5 of its synced columns as DuckDB prints them; ``sync_base`` keeps,
for each record of each tab, the cell texts both sides agreed on, the store hash and the sheet
hash at that moment. A row whose two hashes still match needs no look at all: this is what keeps
a sync's CPU proportional to the changes and lets an idle sync stop after one request.

**The stored state carries a version** (as dlt versions its state): the texts, the store hash and
the sheet hash all depend on how values are written, so a Maillage release writing a kind
differently, or a DuckDB release printing a row differently, would make every record look changed
(every record merged again, its new text pushed to the sheet as an edit). ``ROW_FORMAT_VERSION``
names Maillage's way of writing them and is stored with the DuckDB version that computed the store
hashes (``sync_state.row_format``, ``row_format_duckdb``). A state of an older version, or of
another DuckDB, is upgraded once at the start of the next sync (``upgrade_tab_bases``); a state a
newer Maillage wrote stops the sync (``check_row_format``, French), nothing changed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb
import pyarrow as pa

from models.errors import MaillageError
from models.store import sql_identifier
from sync.sheet_values import ABSENT, CellError, Kind, from_cell, to_cell
from sync.tables import METADATA_COLUMNS, SYNCED_TABLES, SyncedTable, column_kinds, synced_columns

_SEPARATOR = "\x1f"
_ABSENT_MARK = "\x00"


def table_sql(spec: SyncedTable) -> str:
    """A synced table's name as a SQL identifier; only the fixed list ``SYNCED_TABLES`` is allowed."""
    if spec not in SYNCED_TABLES:
        raise ValueError(f"not a synced table: {spec.table}")
    return sql_identifier(spec.table)


def columns_sql(con: duckdb.DuckDBPyConnection, spec: SyncedTable, names: Iterable[str]) -> list[str]:
    """Column names as SQL identifiers, each checked against the table's schema (a name that is
    not one of its columns is refused, so no text from elsewhere ever reaches the SQL)."""
    allowed = column_kinds(con, spec.table)
    checked = []
    for name in names:
        if name not in allowed:
            raise ValueError(f"{spec.table} has no column {name!r}")
        checked.append(sql_identifier(name))
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
    return "md5(CAST(ROW(" + ", ".join(prefix + sql_identifier(name) for name in columns) + ") AS VARCHAR))"


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
    column = sql_identifier(name)
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
    expressions = [_text_sql(name, kind) or sql_identifier(name) for name, kind in kinds.items()]
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
    confirmed without a ``deleted_at`` to carry), are not counted. A state of an older format (an
    upgrade since the last sync, e.g. the status page before the next sync) is read as the upgrade
    will leave it, without writing anything: an upgrade is not a change."""
    counts: dict[str, int] = {}
    upgrading = row_format_outdated(con, spreadsheet_id)
    for spec in SYNCED_TABLES:
        kinds = synced_columns(con, spec)
        bases = "sync_base"
        if upgrading:
            rows = upgraded_bases(con, spreadsheet_id, spec, kinds)
            con.register("_sync_base_upgraded", _upgraded_table(spreadsheet_id, spec.tab, rows))
            bases = "_sync_base_upgraded"
        sql = (
            "SELECT count(*) FROM " + table_sql(spec) + " t"
            " LEFT JOIN " + bases + " b ON b.spreadsheet_id = ? AND b.tab = ? AND b.row_id = t.id"
            " WHERE (b.row_id IS NULL OR b.store_hash IS NULL OR b.store_hash <> "
            + store_hash_sql(kinds, "t")
            + ") AND NOT (b.row_id IS NOT NULL AND EXISTS (SELECT 1 FROM sync_deletions d WHERE d.spreadsheet_id = ?"
            " AND d.tab = ? AND d.row_id = t.id AND d.statut IN ('a_confirmer', 'confirmee')))"
        )
        try:
            counts[spec.tab] = con.execute(sql, [spreadsheet_id, spec.tab, spreadsheet_id, spec.tab]).fetchall()[0][0]
        finally:
            if upgrading:
                con.unregister("_sync_base_upgraded")
    return counts


# -- the version of the stored state ------------------------------------------------------------

# How ``sync_base`` is written. Bump it with any change of ``sheet_values.to_cell``, ``_text_sql``,
# ``store_hash_sql`` or ``texts_hash``, add a line below, never edit one, and keep ``from_cell``
# reading the texts older versions wrote (the upgrade reads them back with it).
#   0  states written before versions (``sync_state.row_format`` NULL): texts by ``to_cell``, store
#      hashes by a DuckDB nobody recorded.
#   1  the same texts and hashes, with the DuckDB version that computed the store hashes recorded.
ROW_FORMAT_VERSION = 1
DUCKDB_VERSION = duckdb.__version__  # the store hash is DuckDB's print of a row: its version is part of the format

_UPGRADED_SCHEMA = pa.schema([("spreadsheet_id", pa.string()), ("tab", pa.string()), ("row_id", pa.string()),
                              ("cells", pa.string()), ("store_hash", pa.string())])


class RowFormatTooNew(MaillageError):
    """The sync's stored state was written by a newer Maillage: this one cannot read it safely."""

    def __init__(self, stored: int) -> None:
        super().__init__(
            f"L'état de synchronisation de cet appareil a été écrit par une version plus récente de Maillage (format"
            f" {stored} ; cette version ne connaît que le format {ROW_FORMAT_VERSION} et ses prédécesseurs)."
            " Mettez Maillage à jour avant de synchroniser : rien n'a été modifié, ni ici ni dans le classeur.")
        self.stored = stored


@dataclass(frozen=True)
class RowFormat:
    """How a spreadsheet's stored state was written: Maillage's format version and DuckDB's version."""

    version: int
    duckdb: str | None


# Stored once per spreadsheet (``sync_state``), not per base row: every base of a spreadsheet is
# written by the code of the run that writes it, the first sync after an upgrade rewrites them all
# before anything compares them, and the upgrade is idempotent (a cut upgrade is simply done again:
# texts already current read back to themselves, hashes are taken again), so the bases of one
# spreadsheet never mix two formats that matter. A per-row version would cost a column in every
# base row and a check on every read, for no information.
def stored_row_format(con: duckdb.DuckDBPyConnection, spreadsheet_id: str) -> RowFormat:
    """The format of a spreadsheet's stored state. No ``sync_state`` row while bases exist (a first
    sync cut before its end) is read as version 0: upgrading current texts changes nothing."""
    rows = con.execute("SELECT row_format, row_format_duckdb FROM sync_state WHERE spreadsheet_id = ?",
                       [spreadsheet_id]).fetchall()
    if not rows:
        return RowFormat(0, None)
    version, engine = rows[0]
    return RowFormat(version or 0, engine)


def check_row_format(con: duckdb.DuckDBPyConnection, spreadsheet_id: str) -> RowFormat:
    """The stored format, refused (``RowFormatTooNew``, French) when a newer Maillage wrote it."""
    stored = stored_row_format(con, spreadsheet_id)
    if stored.version > ROW_FORMAT_VERSION:
        raise RowFormatTooNew(stored.version)
    return stored


def row_format_outdated(con: duckdb.DuckDBPyConnection, spreadsheet_id: str) -> bool:
    """Whether the stored state must be upgraded before its hashes can be compared (False for a
    newer format: that one is refused by the sync, not upgraded)."""
    stored = stored_row_format(con, spreadsheet_id)
    if stored.version > ROW_FORMAT_VERSION:
        return False
    if stored.version == ROW_FORMAT_VERSION and stored.duckdb == DUCKDB_VERSION:
        return False
    return bool(con.execute("SELECT count(*) FROM sync_base WHERE spreadsheet_id = ?", [spreadsheet_id]).fetchall()[0][0])


def record_row_format(con: duckdb.DuckDBPyConnection, spreadsheet_id: str, *, now: datetime, by: str) -> None:
    """Note that the spreadsheet's state is in the current format (created if the state is missing)."""
    con.execute(
        "INSERT INTO sync_state (spreadsheet_id, row_format, row_format_duckdb, updated_at, updated_by)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (spreadsheet_id) DO UPDATE SET row_format = excluded.row_format,"
        " row_format_duckdb = excluded.row_format_duckdb",
        [spreadsheet_id, ROW_FORMAT_VERSION, DUCKDB_VERSION, now, by],
    )


@dataclass(frozen=True)
class UpgradedBase:
    """A base row as the current format writes it (``changed``: it differs from the stored one)."""

    row_id: str
    cells: str
    store_hash: str | None
    changed: bool


def upgraded_text(text: str, kind: Kind) -> str:
    """A base text as the current writer writes its value: read back with ``from_cell`` (which
    reads every text an older version wrote), written with ``to_cell``; date-times in UTC, as the
    store keeps them. A text that cannot be read is kept as it is."""
    try:
        value = from_cell(text, kind)
        if kind == "datetime" and value is not None:
            value = value.astimezone(UTC)
        return to_cell(value, kind)
    except (CellError, ValueError, TypeError, OverflowError):
        return text


def upgraded_bases(con: duckdb.DuckDBPyConnection, spreadsheet_id: str, spec: SyncedTable,
                   kinds: Mapping[str, Kind]) -> list[UpgradedBase]:
    """A tab's bases as the current format writes them (reads only).

    - Texts: every merged column's stored base text written again by the current writer
      (``upgraded_text``) — from the stored base value, never from either side's current value,
      so a field edited on this device or in the sheet since the last sync is still an edit (and
      both edited, still a conflict). The metadata columns (``updated_at``, ``updated_by``) hold
      the sheet's own text, compared as such with the sheet: kept as they are.
    - Store hash: DuckDB's hash of the store row now when its texts equal the upgraded base texts
      on every merged column — the merge's own definition of « unchanged »; NULL otherwise (to be
      merged, as after an edit). NULL stays NULL (something was left to write). It cannot be
      computed from the base texts alone: a text is not the whole value ('' and NULL, [] and NULL
      all write "", a JSON value is stored as it was typed), so a hash of them would differ from
      the row's for records nobody touched.
    - Sheet hash: kept. The sheet still holds the texts it held, and ``texts_hash`` has not changed
      since version 0 (a version that changes it must recompute it here).
    """
    rows = con.execute("SELECT row_id, cells, store_hash FROM sync_base WHERE spreadsheet_id = ? AND tab = ?",
                       [spreadsheet_id, spec.tab]).fetchall()
    if not rows:
        return []
    columns = store_columns(con, spec, kinds)  # column by column: no object per store row
    position = {row_id: index for index, row_id in enumerate(columns["id"])}
    hashes = store_hashes(con, spec, kinds)
    merged = [name for name in kinds if name not in METADATA_COLUMNS]
    upgraded: list[UpgradedBase] = []
    for row_id, stored_cells, stored_hash in rows:
        cells = json.loads(stored_cells)
        index = position.get(row_id)
        before = dict(cells)
        for name in merged:
            text = cells.get(name)
            if not isinstance(text, str) or (index is not None and text == columns[name][index]):
                continue  # already what the current writer writes for the store's value
            cells[name] = upgraded_text(text, kinds[name])
        if stored_hash is None or index is None:  # left to write, or the record is gone: nothing to hash
            store_hash = stored_hash
        elif all(cells.get(name) == columns[name][index] for name in merged):
            store_hash = hashes[row_id]
        else:
            store_hash = None
        upgraded.append(UpgradedBase(row_id, json.dumps(cells, ensure_ascii=False, separators=(",", ":")), store_hash,
                                     changed=cells != before or store_hash != stored_hash))
    return upgraded


def _upgraded_table(spreadsheet_id: str, tab: str, rows: Sequence[UpgradedBase]) -> pa.Table:
    return pa.table({
        "spreadsheet_id": [spreadsheet_id] * len(rows), "tab": [tab] * len(rows), "row_id": [row.row_id for row in rows],
        "cells": [row.cells for row in rows], "store_hash": [row.store_hash for row in rows]}, schema=_UPGRADED_SCHEMA)


def upgrade_tab_bases(con: duckdb.DuckDBPyConnection, spreadsheet_id: str, spec: SyncedTable,
                      kinds: Mapping[str, Kind]) -> int:
    """Write a tab's bases in the current format (``upgraded_bases``), in one statement; the number
    of base rows rewritten. Idempotent: a second pass finds nothing to change."""
    changed = [row for row in upgraded_bases(con, spreadsheet_id, spec, kinds) if row.changed]
    if not changed:
        return 0
    con.register("_sync_base_upgraded", _upgraded_table(spreadsheet_id, spec.tab, changed))
    try:
        con.execute(
            "UPDATE sync_base SET cells = u.cells, store_hash = u.store_hash FROM _sync_base_upgraded u"
            " WHERE sync_base.spreadsheet_id = u.spreadsheet_id AND sync_base.tab = u.tab"
            " AND sync_base.row_id = u.row_id")
    finally:
        con.unregister("_sync_base_upgraded")
    return len(changed)
