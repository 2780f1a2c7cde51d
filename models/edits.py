"""Field-level edits checked against what the person saw (issue 17).

A form remembers the values it was drawn with. On saving, it sends only the fields the person
changed, each as ``(based_on, new)``: the value the person saw and the value they want. The
record's owner (``models.registry.edit_structure``) then decides field by field, in one
transaction, with ``plan_edit``:

- ``new`` equals ``based_on``: the person did not change it; nothing is written;
- the stored value already equals ``new``: nothing to write, the field holds the person's value;
- the stored value still equals ``based_on``: nobody changed it since; ``new`` is written;
- otherwise someone else changed it since the person loaded it: nothing is written for that field
  and it becomes a **conflict** (``edit_conflicts``: both values, who and when) that a person
  resolves later by keeping one of the two values. Nothing anyone saved is ever overwritten unseen.

Values are compared in their stored (normalised) form: an empty text, an empty list and None are
the same, lists of the registry have no order, a date equals its ISO text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

import duckdb

from models.audit import record_audit
from models.errors import MaillageError
from models.ids import new_id
from models.issues import Issue
from models.store import fetch_dicts, utc_now

Origin = Literal["fiche", "enquete", "correction"]
Choice = Literal["proposee", "courante"]
CHOICES: tuple[str, ...] = ("proposee", "courante")


class EditConflictError(MaillageError):
    """A conflict cannot be resolved as asked (unknown, already resolved, changed again); French message."""


def comparable(value: Any) -> Any:
    """A value in the form two values are compared in (see the module's docstring)."""
    if value is None or value == "" or (isinstance(value, list | tuple | set) and not value):
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, list | tuple | set):
        items = [comparable(item) for item in value]
        return tuple(sorted((item for item in items if item is not None), key=repr)) or None
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def same_value(first: Any, second: Any) -> bool:
    """Whether two values of one field are the same value once normalised."""
    return comparable(first) == comparable(second)


@dataclass
class EditPlan:
    """What ``plan_edit`` decided for each field sent."""

    write: dict[str, Any] = field(default_factory=dict)  # field → new value, to write
    already: list[str] = field(default_factory=list)  # the stored value already is the new one
    unchanged: list[str] = field(default_factory=list)  # the person did not change it
    conflicts: dict[str, tuple[Any, Any, Any]] = field(default_factory=dict)  # field → (based_on, new, current)


def plan_edit(current: Mapping[str, Any], changes: Mapping[str, tuple[Any, Any]]) -> EditPlan:
    """Decide, field by field, what an edit based on ``changes`` (``{field: (based_on, new)}``, values
    already normalised) does to a record whose stored values are ``current``."""
    plan = EditPlan()
    for name, (based_on, new) in changes.items():
        stored = current.get(name)
        if same_value(new, based_on):
            plan.unchanged.append(name)
        elif same_value(stored, new):
            plan.already.append(name)
        elif same_value(stored, based_on):
            plan.write[name] = new
        else:
            plan.conflicts[name] = (based_on, new, stored)
    return plan


@dataclass(frozen=True)
class FieldConflict:
    """A field a person changed that someone else had changed since the person loaded it."""

    field: str
    based_on: Any  # what the person saw
    proposed: Any  # what the person saved (not written)
    current: Any  # what the record holds: someone else's value, kept
    current_by: str | None  # who saved the current value
    current_at: datetime | None  # and when
    id: str | None = None  # the row of ``edit_conflicts`` keeping it


@dataclass
class EditResult:
    """What an edit did: the fields saved, those in conflict (not saved), the validation issues.

    ``issues`` holding an error means nothing was written at all.
    """

    saved: list[str] = field(default_factory=list)  # fields that now hold the person's value
    written: list[str] = field(default_factory=list)  # the subset this edit wrote
    conflicts: list[FieldConflict] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    record: Any = None  # the record as it is after the edit (None when refused)

    @property
    def refused(self) -> bool:
        """True when an error stopped the edit: nothing was written."""
        return any(issue.is_error for issue in self.issues)

    @property
    def complete(self) -> bool:
        """True when every field the person changed now holds their value."""
        return not self.refused and not self.conflicts


def planned_result(plan: EditPlan, *, current_by: str | None, current_at: datetime | None) -> EditResult:
    """The result of a plan applied to a record without per-field history: its conflicts name the
    record's last writer and time (``updated_by``, ``updated_at``)."""
    return EditResult(
        saved=[*plan.write, *plan.already], written=list(plan.write), unchanged=list(plan.unchanged),
        conflicts=[FieldConflict(name, seen, new, stored, current_by, current_at)
                   for name, (seen, new, stored) in plan.conflicts.items()],
    )


# -- stored conflicts ---------------------------------------------------------------------------------


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _decoded(row: dict[str, Any]) -> dict[str, Any]:
    for name in ("valeur_vue", "valeur_proposee", "valeur_courante", "valeur_retenue"):
        if row.get(name) is not None:
            row[name] = json.loads(row[name])
    return row


def record_conflict(
    con: duckdb.DuckDBPyConnection, entity: str, entity_id: str, conflict: FieldConflict, *, by: str, origin: Origin,
    response_id: str | None = None,
) -> str:
    """Keep a conflict for a person to resolve; return its id. A person's newer conflict on the same
    field of the same record replaces their open one (marked ``remplace``, kept)."""
    now = utc_now()
    con.execute(
        "UPDATE edit_conflicts SET statut = 'remplace', updated_at = ?, updated_by = ?"
        " WHERE entity = ? AND entity_id = ? AND champ = ? AND propose_par = ? AND statut = 'ouvert'",
        [now, by, entity, entity_id, conflict.field, by],
    )
    conflict_id = new_id()
    con.execute(
        "INSERT INTO edit_conflicts (id, entity, entity_id, champ, origine, response_id, valeur_vue, valeur_proposee,"
        " propose_par, propose_le, valeur_courante, courante_par, courante_le, statut, created_at, updated_at, updated_by)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'ouvert', ?, ?, ?)",
        [conflict_id, entity, entity_id, conflict.field, origin, response_id, _json(conflict.based_on),
         _json(conflict.proposed), by, now, _json(conflict.current), conflict.current_by, conflict.current_at,
         now, now, by],
    )
    record_audit(con, actor=by, action="edit_conflict.open", entity=entity, entity_id=entity_id,
                 details={"champ": conflict.field, "origine": origin, "conflit": conflict_id})
    return conflict_id


def open_conflicts(con: duckdb.DuckDBPyConnection, entity: str, entity_id: str | None = None) -> list[dict[str, Any]]:
    """The open conflicts of a record (of every record of ``entity`` without ``entity_id``), oldest first,
    values decoded."""
    rows = fetch_dicts(
        con,
        "SELECT * FROM edit_conflicts WHERE entity = ? AND (? IS NULL OR entity_id = ?) AND statut = 'ouvert'"
        " AND deleted_at IS NULL ORDER BY propose_le, id",
        [entity, entity_id, entity_id],
    )
    return [_decoded(row) for row in rows]


def get_conflict(con: duckdb.DuckDBPyConnection, conflict_id: str) -> dict[str, Any]:
    """One conflict, values decoded; a French error when it does not exist."""
    rows = fetch_dicts(con, "SELECT * FROM edit_conflicts WHERE id = ? AND deleted_at IS NULL", [conflict_id])
    if not rows:
        raise EditConflictError("Ce conflit n'existe plus.")
    return _decoded(rows[0])


def close_conflict(con: duckdb.DuckDBPyConnection, conflict: Mapping[str, Any], choice: Choice, kept: Any, *,
                   by: str) -> None:
    """Mark a conflict resolved with the value kept, and say so in the audit log."""
    now = utc_now()
    con.execute(
        "UPDATE edit_conflicts SET statut = 'resolu', resolution = ?, valeur_retenue = ?, resolu_par = ?, resolu_le = ?,"
        " updated_at = ?, updated_by = ? WHERE id = ?",
        [choice, _json(kept), by, now, now, by, conflict["id"]],
    )
    record_audit(con, actor=by, action="edit_conflict.resolve", entity=conflict["entity"],
                 entity_id=conflict["entity_id"],
                 details={"champ": conflict["champ"], "choix": choice, "conflit": conflict["id"]})
