"""Writing what the sheet brought into the store: changed fields of known records, new records.

Structures go through the registry (validated by the same model as every other entry, a new
version opened so the history keeps the change); the other tables take the values as read,
checked against their columns' kinds and NOT NULL constraints. A value that cannot be taken is
a ``RowRejected`` whose French message names the tab, line, column and value; the caller leaves
that record for a person to fix and goes on with the others.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import duckdb

from models.errors import MaillageError
from models.records import RecordProblem, check_record
from models.registry import (
    StructureWrite,
    delete_structure,
    get_structure,
    insert_structures,
    replace_structures,
    restore_structure,
    structure_from_row,
    write_for_row,
)
from models.store import utc_now
from models.structure import data_fields, validate_structure
from sync.sheet_values import CellError, Kind, from_cell
from sync.store_side import insert_sql, update_sql
from sync.tables import SyncedTable


class RowRejected(MaillageError):
    """A record of the sheet the store cannot take as it is (message in French); ``problems`` says
    which column, value and reason (``models.records.RecordProblem``), for the coordinator's list."""

    def __init__(self, message: str, problems: Sequence[RecordProblem] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems) or [RecordProblem(None, None, message)]


def values_from_texts(kinds: Mapping[str, Kind], texts: Mapping[str, str], *, tab: str, line: int | None) -> dict[str, Any]:
    """Store values of some cell texts; a text that cannot be read is a ``RowRejected``."""
    values: dict[str, Any] = {}
    for column, text in texts.items():
        try:
            values[column] = from_cell(text, kinds[column], tab=tab, line=line, column=column)
        except CellError as error:
            raise RowRejected(str(error), [RecordProblem(column, error.value, error.reason)]) from None
    return values


def _not_null_columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? AND is_nullable = 'NO'", [table]
    ).fetchall()
    return {name for (name,) in rows}


def _where(tab: str, line: int | None) -> str:
    return f"Onglet « {tab} », ligne {line}" if line else f"Onglet « {tab} »"


def _structure_issues(tab: str, line: int | None, issues: list) -> RowRejected:
    problems = issue_problems(issues)
    return RowRejected(f"{_where(tab, line)} : structure refusée — {problems_text(problems)}.", problems)


def issue_problems(issues: Sequence[Any]) -> list[RecordProblem]:
    """The errors of a validation (``models.issues.Issue``) as the problems of a refused row."""
    return [RecordProblem(issue.field, issue.value, issue.message) for issue in issues if issue.is_error]


def problems_text(problems: Sequence[RecordProblem]) -> str:
    """The problems of a row in one French sentence, without its final full stop (the caller's)."""
    return " ; ".join(problem.text().rstrip(". ") for problem in problems)


def check_row(spec: SyncedTable, values: Mapping[str, Any], known: Callable[[str, str], bool] | None, *, tab: str,
              line: int | None) -> dict[str, Any]:
    """The values of a whole row of a campaign table checked with the app's rules
    (``models.records``); raises ``RowRejected`` naming each column, value and reason."""
    checked, problems = check_record(spec.table, values, known)
    if problems:
        raise RowRejected(f"{_where(tab, line)} : ligne refusée — {problems_text(problems)}.", problems)
    return checked


def update_record(
    con: duckdb.DuckDBPyConnection, spec: SyncedTable, row_id: str, changes: Mapping[str, Any], *,
    stamp: datetime, by: str, tab: str, line: int | None,
) -> None:
    """Apply changed fields of a known record (``changes`` holds store values)."""
    if not changes:
        return
    if spec.table == "structures":
        _update_structure(con, spec, row_id, changes, stamp=stamp, by=by, tab=tab, line=line)
        return
    required = _not_null_columns(con, spec.table)
    for column, value in changes.items():
        if value is None and column in required:
            raise RowRejected(f"{_where(tab, line)}, colonne « {column} » : ce champ est obligatoire, il ne peut pas être vidé.",
                              [RecordProblem(column, None, "ce champ est obligatoire, il ne peut pas être vidé")])
    values = dict(changes)
    if "updated_at" not in values:
        values.update(updated_at=stamp, updated_by=by)
    con.execute(update_sql(con, spec, values), [*values.values(), row_id])


def _update_structure(
    con: duckdb.DuckDBPyConnection, spec: SyncedTable, row_id: str, changes: Mapping[str, Any], *, stamp: datetime,
    by: str, tab: str, line: int | None,
) -> None:
    row = get_structure(con, row_id)
    if row is None:
        raise RowRejected(f"{_where(tab, line)} : la structure {row_id} est introuvable sur cet appareil.")
    data = {name: value for name, value in changes.items() if name in data_fields()}
    if data:
        current = structure_from_row(row).model_dump()
        structure, issues = validate_structure({**current, **data, "id": row_id})
        if structure is None:
            raise _structure_issues(tab, line, issues)
        replace_structures(con, [write_for_row(row, structure)], by=by, reason="synchronisation", now=stamp)
    if "deleted_at" in changes:
        wanted = changes["deleted_at"]
        if wanted is not None and row["deleted_at"] is None:
            delete_structure(con, row_id, by=by)
        elif wanted is None and row["deleted_at"] is not None:
            restore_structure(con, row_id, by=by)
    # the other columns (deleted_at as the sheet has it, merged_into…) and the stamps of a change another
    # device made, after the registry's own writes so they are the values kept
    rest = {name: value for name, value in changes.items() if name not in data_fields()}
    if rest:
        con.execute(update_sql(con, spec, rest), [*rest.values(), row_id])


def insert_record(
    con: duckdb.DuckDBPyConnection, spec: SyncedTable, kinds: Mapping[str, Kind], values: Mapping[str, Any], *,
    by: str, tab: str, line: int | None,
) -> None:
    """Add a record the sheet holds and the store does not (from another device, or typed by a person)."""
    now = utc_now()
    row = {name: values.get(name) for name in kinds}
    row["created_at"] = row.get("created_at") or now
    row["updated_at"] = row.get("updated_at") or now
    row["updated_by"] = row.get("updated_by") or by
    if spec.table == "structures":
        _insert_structure(con, spec, row, by=by, tab=tab, line=line)
        return
    missing = [name for name in _not_null_columns(con, spec.table) if name in kinds and row.get(name) is None]
    if missing:
        names = ", ".join(f"« {name} »" for name in sorted(missing))
        raise RowRejected(f"{_where(tab, line)} : ligne incomplète, il manque {names}.",
                          [RecordProblem(name, None, "ce champ est obligatoire") for name in sorted(missing)])
    columns = [name for name in kinds if name in row]
    con.execute(insert_sql(con, spec, columns), [row[name] for name in columns])


def _insert_structure(con: duckdb.DuckDBPyConnection, spec: SyncedTable, row: Mapping[str, Any], *, by: str, tab: str,
                      line: int | None) -> None:
    structure, issues = validate_structure({name: row.get(name) for name in ("id", *data_fields())})
    if structure is None:
        raise _structure_issues(tab, line, issues)
    insert_structures(con, [StructureWrite(structure, source_id=row.get("source_id"))], by=by, reason="synchronisation")
    kept = {name: row[name] for name in ("created_at", "updated_at", "updated_by", "merged_into") if row.get(name) is not None}
    if row.get("deleted_at") is not None:
        delete_structure(con, structure.id, by=by)
        kept["deleted_at"] = row["deleted_at"]
    con.execute(update_sql(con, spec, kept), [*kept.values(), structure.id])
