"""The registry of structures: SQL of ``structures`` and ``structure_versions``.

``structures`` holds the current state of every lieu; ``structure_versions`` its history. Every
change closes the current version (``valid_to``) and opens a new one (``valid_from``), so the
registry *as of* any instant is one query (``structures_as_of``). Nothing is physically
removed: a deletion is a version flagged ``deleted`` and ``structures.deleted_at``.

Write functions take an open connection inside ``store.atomic()`` and never commit: the caller
makes one user action one transaction.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pyarrow as pa
from pydantic import ValidationError

from models.access import require
from models.audit import record_audit
from models.cog import departement_sql
from models.edits import (
    Choice,
    EditConflictError,
    EditResult,
    FieldConflict,
    Origin,
    close_conflict,
    get_conflict,
    plan_edit,
    record_conflict,
    same_value,
)
from models.errors import MaillageError, StructureNotFound
from models.issues import Issue
from models.store import fetch_dicts, sql_identifier, utc_now
from models.structure import Structure, changed_fields, data_fields, list_fields, validate_structure

# Columns kept beside the structure's own fields: set-aside values and unmatched source columns.
IMPORT_DATA_COLUMNS = ("valeurs_ecartees", "donnees_source")
REGISTRY_TIMEZONE = ZoneInfo("Europe/Paris")

@cache
def structure_columns() -> tuple[str, ...]:
    """Data columns shared by ``structures`` and ``structure_versions`` (without bookkeeping)."""
    return (*data_fields(), *IMPORT_DATA_COLUMNS)


def _quoted(names: Iterable[str]) -> str:
    return ", ".join(sql_identifier(name) for name in names)


@cache
def _arrow_schema(extra: tuple[tuple[str, str], ...]) -> pa.Schema:
    types: dict[str, pa.DataType] = {
        "latitude": pa.float64(), "longitude": pa.float64(), "date_maj": pa.date32(), "date_maj_estimee": pa.bool_(),
    }
    for name in list_fields():
        types[name] = pa.list_(pa.string())
    fields = [pa.field(name, types.get(name, pa.string())) for name in structure_columns()]
    kinds = {"text": pa.string(), "time": pa.timestamp("us", tz="UTC"), "bool": pa.bool_()}
    fields += [pa.field(name, kinds[kind]) for name, kind in extra]
    return pa.schema(fields)


_CURRENT_EXTRA = (
    ("id", "text"),
    ("source_id", "text"),
    ("import_key", "text"),
    ("import_base", "text"),
    ("import_fingerprint", "text"),
    ("created_at", "time"),
    ("updated_at", "time"),
    ("updated_by", "text"),
)


@dataclass
class StructureWrite:
    """One structure to write, with what the import knows about it."""

    structure: Structure
    source_id: str | None = None
    import_key: str | None = None
    valeurs_ecartees: list[dict[str, Any]] = field(default_factory=list)
    donnees_source: dict[str, Any] = field(default_factory=dict)
    import_base: dict[str, Any] | None = None  # the values as the source last gave them
    import_fingerprint: str | None = None  # hash of the source line as read (see collect.imports)


# One encoder for every row of a batch: json.dumps with options builds a new one per call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str, sort_keys=True)


def _json_or_none(value: Any) -> str | None:
    return _ENCODER.encode(value) if value else None


def import_base_json(base: Mapping[str, Any] | None) -> str | None:
    """The values a source last gave (``import_base``) as stored: empty ones left out (read back,
    an absent field is an empty one), which makes it a quarter of the size on a typical lieu."""
    return _json_or_none({name: value for name, value in (base or {}).items() if value not in (None, "", [])})


def write_for_row(row: Mapping[str, Any], structure: Structure) -> StructureWrite:
    """A write of new values for a stored structure, keeping what its imports recorded."""
    return StructureWrite(
        structure,
        source_id=row.get("source_id"),
        import_key=row.get("import_key"),
        valeurs_ecartees=json.loads(row.get("valeurs_ecartees") or "[]"),
        donnees_source=json.loads(row.get("donnees_source") or "{}"),
    )


def _batch_column(writes: Sequence[StructureWrite], name: str, *, now: datetime, by: str) -> list[Any]:
    """One column of the ``structures`` rows of ``writes`` (``created_at`` is only used by inserts)."""
    if name in _STRUCTURE_FIELDS:
        values = [getattr(write.structure, name) for write in writes]
        return [value or None for value in values] if name in _LIST_FIELDS else values
    if name == "import_base":
        return [import_base_json(write.import_base) for write in writes]
    if name in ("valeurs_ecartees", "donnees_source"):
        return [_json_or_none(getattr(write, name)) for write in writes]
    if name == "id":
        return [write.structure.id for write in writes]
    if name in ("created_at", "updated_at"):
        return [now] * len(writes)
    if name == "updated_by":
        return [by] * len(writes)
    return [getattr(write, name) for write in writes]  # source_id, import_key, import_fingerprint


_STRUCTURE_FIELDS = frozenset(data_fields())
_LIST_FIELDS = frozenset(list_fields())


def _register_batch(con: duckdb.DuckDBPyConnection, writes: Sequence[StructureWrite], *, now: datetime,
                    by: str) -> str:
    """Register the ``structures`` rows of ``writes`` as the Arrow view ``_maillage_batch``; return its
    column list. Built column by column straight from the models: no dict per row."""
    schema = _arrow_schema(_CURRENT_EXTRA)
    batch = pa.table({name: _batch_column(writes, name, now=now, by=by) for name in schema.names}, schema=schema)
    con.register("_maillage_batch", batch)
    return _quoted(schema.names)


def _open_versions(
    con: duckdb.DuckDBPyConnection,
    structure_ids: Sequence[str],
    *,
    now: datetime,
    by: str,
    reason: str,
    import_run_id: str | None,
    deleted: bool = False,
) -> None:
    """Open a version of each structure: a snapshot, taken in SQL, of its current row."""
    columns = _quoted(structure_columns())
    sql = (
        "INSERT INTO structure_versions (version_id, structure_id, valid_from, deleted, change_reason, import_run_id, "
        + columns
        + ", created_at, updated_at, updated_by) SELECT uuidv7()::VARCHAR, id, ?, ?, ?, ?, "
        + columns
        + ", ?, ?, ? FROM structures WHERE id IN (SELECT unnest(?::VARCHAR[]))"
    )
    con.execute(sql, [now, deleted, reason, import_run_id, now, now, by, list(structure_ids)])


def _close_current_versions(con: duckdb.DuckDBPyConnection, structure_ids: Sequence[str], now: datetime) -> None:
    if not structure_ids:
        return
    con.execute(
        "UPDATE structure_versions SET valid_to = ?, updated_at = ? WHERE valid_to IS NULL AND structure_id IN "
        "(SELECT unnest(?::VARCHAR[]))",
        [now, now, list(structure_ids)],
    )


def insert_structures(
    con: duckdb.DuckDBPyConnection,
    writes: Sequence[StructureWrite],
    *,
    by: str,
    reason: str = "creation",
    import_run_id: str | None = None,
    now: datetime | None = None,
) -> list[str]:
    """Add new structures and their first version, in two statements whatever their number; return their ids."""
    if not writes:
        return []
    now = now or utc_now()
    ids = [write.structure.id for write in writes]
    columns = _register_batch(con, writes, now=now, by=by)
    try:
        con.execute("INSERT INTO structures (" + columns + ") SELECT " + columns + " FROM _maillage_batch")
    finally:
        con.unregister("_maillage_batch")
    _open_versions(con, ids, now=now, by=by, reason=reason, import_run_id=import_run_id)
    return ids


def replace_structures(
    con: duckdb.DuckDBPyConnection,
    writes: Sequence[StructureWrite],
    *,
    by: str,
    reason: str = "modification",
    import_run_id: str | None = None,
    now: datetime | None = None,
) -> list[str]:
    """Write new values of existing structures: close their versions, update them, open new versions."""
    if not writes:
        return []
    now = now or utc_now()
    ids = [write.structure.id for write in writes]
    _close_current_versions(con, ids, now)
    _register_batch(con, writes, now=now, by=by)
    assignments = ", ".join(f"{sql_identifier(name)} = b.{sql_identifier(name)}" for name in structure_columns())
    try:
        sql = (
            "UPDATE structures SET " + assignments + ", updated_at = b.updated_at, updated_by = b.updated_by,"
            " source_id = coalesce(b.source_id, structures.source_id),"
            " import_key = coalesce(b.import_key, structures.import_key),"
            " import_base = coalesce(b.import_base, structures.import_base),"
            " import_fingerprint = coalesce(b.import_fingerprint, structures.import_fingerprint)"
            " FROM _maillage_batch b WHERE structures.id = b.id"
        )
        con.execute(sql)
    finally:
        con.unregister("_maillage_batch")
    _open_versions(con, ids, now=now, by=by, reason=reason, import_run_id=import_run_id)
    return ids


# -- reads ---------------------------------------------------------------------------------------


def get_structure(con: duckdb.DuckDBPyConnection, structure_id: str) -> dict[str, Any] | None:
    """The current row of a structure (deleted ones included), or None."""
    rows = fetch_dicts(con, "SELECT * FROM structures WHERE id = ?", [structure_id])
    return rows[0] if rows else None


def structure_from_row(row: Mapping[str, Any]) -> Structure:
    """Rebuild the model from a store row (values were validated when written)."""
    values = {name: row.get(name) for name in ("id", *data_fields())}
    for name in list_fields():
        values[name] = list(values.get(name) or [])
    return Structure.model_construct(**values)


def find_structures(
    con: duckdb.DuckDBPyConnection,
    *,
    text: str | None = None,
    code_insee: str | None = None,
    departement: str | None = None,
    typologie: str | None = None,
    service: str | None = None,
    include_deleted: bool = False,
    limit: int | None = 200,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Current structures matching every filter given, by name; ``text`` searches name, commune, address."""
    sql, params = _filter_sql(text, code_insee, departement, typologie, service, include_deleted)
    sql = "SELECT * FROM structures WHERE " + sql + " ORDER BY nom, id"
    if limit is not None:
        sql += " LIMIT ? OFFSET ?"
        params += [limit, offset]
    return fetch_dicts(con, sql, params)


def count_structures(
    con: duckdb.DuckDBPyConnection,
    *,
    text: str | None = None,
    code_insee: str | None = None,
    departement: str | None = None,
    typologie: str | None = None,
    service: str | None = None,
    include_deleted: bool = False,
) -> int:
    """How many structures ``find_structures`` would return without a limit."""
    sql, params = _filter_sql(text, code_insee, departement, typologie, service, include_deleted)
    row = con.execute("SELECT count(*) FROM structures WHERE " + sql, params).fetchone()
    return int(row[0]) if row else 0


def _search_text(raw: str | None) -> str | None:
    """The searched text; a SIRET or postcode typed with spaces or dots (``434 933 123 00029``) is compacted."""
    text = (raw or "").strip()
    if re.fullmatch(r"[\d\s.]+", text):
        text = re.sub(r"[\s.]", "", text)
    return text or None


def _filter_sql(text, code_insee, departement, typologie, service, include_deleted) -> tuple[str, list[Any]]:
    clauses = ["TRUE"]
    params: list[Any] = []
    if not include_deleted:
        clauses.append("deleted_at IS NULL")
    text = _search_text(text)
    if text:
        # contains(), not LIKE: a « % » or « _ » typed in the search is text, not a wildcard.
        clauses.append(
            "(contains(strip_accents(lower(nom)), strip_accents(lower(?)))"
            " OR contains(strip_accents(lower(commune)), strip_accents(lower(?)))"
            " OR contains(strip_accents(lower(coalesce(adresse, ''))), strip_accents(lower(?)))"
            " OR \"pivot\" = ? OR code_postal = ?)"
        )
        params += [text, text, text, text, text]
    if code_insee:
        clauses.append("code_insee = ?")
        params.append(code_insee)
    if departement:
        clauses.append(departement_sql() + " = ?")
        params.append(departement)
    if typologie:
        clauses.append("list_contains(typologie, ?)")
        params.append(typologie)
    if service:
        clauses.append("list_contains(services, ?)")
        params.append(service)
    return " AND ".join(clauses), params


def as_of_instant(when: date | datetime) -> datetime:
    """The instant a registry date means: the end of that day in Paris time (aware datetimes as given)."""
    if isinstance(when, datetime):
        if when.tzinfo is None:
            raise ValueError("as_of needs a timezone-aware datetime")
        return when
    return datetime.combine(when + timedelta(days=1), time.min, tzinfo=REGISTRY_TIMEZONE)


def structures_as_of(
    con: duckdb.DuckDBPyConnection, when: date | datetime, *,
    departements: Sequence[str] = (), typologies: Sequence[str] = (), fields: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """The registry as it stood at ``when`` (a date means the end of that day): one query on the
    history; optionally only the structures of some départements and of some typologies, and only
    some ``fields`` (columns of ``structure_versions``, besides ``id``)."""
    instant = as_of_instant(when)
    if fields is None:
        selected = "* EXCLUDE (structure_id)"
    else:
        unknown = set(fields) - set(structure_columns())
        if unknown:
            raise ValueError(f"unknown structure fields: {sorted(unknown)}")
        selected = _quoted(fields)
    return fetch_dicts(
        con,
        "SELECT structure_id AS id, " + selected + " FROM structure_versions"
        " WHERE valid_from < ? AND (valid_to IS NULL OR valid_to >= ?) AND NOT deleted AND " + scope_sql()
        + " ORDER BY nom, structure_id",
        [instant, instant, *scope_params(departements, typologies)],
    )


def scope_sql() -> str:
    """The condition « in these départements (none: any) and of one of these typologies (none: any) » on a
    structure or structure_versions row; its parameters come from ``scope_params``."""
    return (
        "(len(?::VARCHAR[]) = 0 OR " + departement_sql() + " IN (SELECT unnest(?::VARCHAR[])))"
        " AND (len(?::VARCHAR[]) = 0 OR list_has_any(coalesce(typologie, []), ?::VARCHAR[]))"
    )


def scope_params(departements: Sequence[str] = (), typologies: Sequence[str] = ()) -> list[list[str]]:
    """The parameters of ``scope_sql()``."""
    return [list(departements), list(departements), list(typologies), list(typologies)]


def structure_history(con: duckdb.DuckDBPyConnection, structure_id: str) -> list[dict[str, Any]]:
    """Every version of a structure, oldest first, each with the fields it changed (``changes``)."""
    versions = fetch_dicts(
        con, "SELECT * FROM structure_versions WHERE structure_id = ? ORDER BY valid_from, version_id", [structure_id]
    )
    previous: dict[str, Any] = {}
    for version in versions:
        version["changes"] = changed_fields(previous, version, structure_columns()) if previous else []
        previous = version
    return versions


# -- user actions --------------------------------------------------------------------------------


def _require_edit(con: duckdb.DuckDBPyConnection, structure_id: str, *, by: str, reason: str,
                  campaign_id: str | None) -> dict[str, Any]:
    """The right to edit a structure, and its current row (a French error when it is gone)."""
    if reason == "enquete":
        require(con, by, "saisir_enquete", campaign_id=campaign_id, structure_id=structure_id)
    else:
        require(con, by, "modifier_registre")
    row = get_structure(con, structure_id)
    if row is None or row["deleted_at"] is not None:
        raise StructureNotFound(structure_id)
    return row


def update_structure(
    con: duckdb.DuckDBPyConnection, structure_id: str, changes: Mapping[str, Any], *, by: str,
    reason: str = "modification", campaign_id: str | None = None,
) -> tuple[Structure | None, list[Issue]]:
    """Write new values over whatever the structure holds now: validate, then open a new version if
    anything changed.

    Not for a form a person filled from values loaded earlier: that is ``edit_structure``, which
    never overwrites a field someone else changed meanwhile. Returns the saved structure (None when
    there were errors, and nothing is written) and the issues found. An edit that changes nothing
    writes nothing. Needs the right to modify the registry, or — for the registry answers of a
    survey submitted in ``campaign_id`` (reason « enquete ») — the right to survey that structure
    in that campaign.
    """
    row = _require_edit(con, structure_id, by=by, reason=reason, campaign_id=campaign_id)
    current = structure_from_row(row).model_dump()
    merged = {**current, **changes, "id": structure_id}
    structure, issues = validate_structure(merged)
    if structure is None:
        return None, issues
    changed = changed_fields(current, structure.model_dump(), data_fields())
    if changed:
        replace_structures(con, [write_for_row(row, structure)], by=by, reason=reason)
        record_audit(con, actor=by, action="structure.update", entity="structures", entity_id=structure_id,
                     details={"champs": changed, "motif": reason})
    return structure, issues


def _normalised(current: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` in their stored form, each read in the context of the record ``current`` (a phone
    number needs its postcode); a value the model refuses is kept as given."""
    try:
        model = Structure.model_validate({**current, **values})
        return {name: getattr(model, name) for name in values}
    except ValidationError:
        pass
    normalised = {}
    for name, value in values.items():
        try:
            normalised[name] = getattr(Structure.model_validate({**current, name: value}), name)
        except ValidationError:
            normalised[name] = value
    return normalised


def field_last_change(con: duckdb.DuckDBPyConnection, structure_id: str, name: str) -> tuple[str | None, datetime | None]:
    """Who gave a field of a structure its current value, and when (from the history): the first
    version of the latest run of versions holding that value."""
    versions = fetch_dicts(
        con,
        f'SELECT "{name}" AS value, updated_by, valid_from FROM structure_versions WHERE structure_id = ?'
        " ORDER BY valid_from DESC, version_id DESC",
        [structure_id],
    )
    who: str | None = None
    when: datetime | None = None
    for index, version in enumerate(versions):
        if index and not same_value(version["value"], versions[0]["value"]):
            break
        who, when = version["updated_by"], version["valid_from"]
    return who, when


def edit_structure(
    con: duckdb.DuckDBPyConnection,
    structure_id: str,
    changes: Mapping[str, tuple[Any, Any]],
    *,
    by: str,
    reason: str = "modification",
    campaign_id: str | None = None,
    origin: Origin = "fiche",
    response_id: str | None = None,
) -> EditResult:
    """Apply a person's field-level edit, checked against what they saw (``models.edits``).

    ``changes`` maps each field the person changed to ``(based_on, new)``: the value they saw when
    they loaded the fiche (or the survey), and the value they want. In one transaction, each field
    still holding ``based_on`` gets ``new`` (one new version for all of them); a field someone else
    changed since is not written and is kept as a conflict (``edit_conflicts``, ``origin`` and
    ``response_id`` saying where it came from); a field not changed is skipped. A value refused by
    the model (or a record the COG refuses once the fields are combined) writes nothing at all:
    ``issues`` says why, field by field. Rights as ``update_structure``.
    """
    row = _require_edit(con, structure_id, by=by, reason=reason, campaign_id=campaign_id)
    unknown = sorted(set(changes) - set(data_fields()))
    if unknown:
        raise MaillageError(f"Champ inconnu du registre : {', '.join(unknown)}.")
    current = structure_from_row(row).model_dump()
    proposed, issues = validate_structure({**current, **{name: new for name, (_, new) in changes.items()}, "id": structure_id})
    if proposed is None:
        return EditResult(issues=issues)
    seen = _normalised(current, {name: based_on for name, (based_on, _) in changes.items()})
    plan = plan_edit(current, {name: (seen[name], getattr(proposed, name)) for name in changes})
    result = EditResult(saved=[*plan.write, *plan.already], written=list(plan.write), unchanged=plan.unchanged)
    structure: Structure | None = structure_from_row(row)
    if plan.write:
        structure, issues = validate_structure({**current, **plan.write, "id": structure_id})
        if structure is None:  # fields valid one by one, refused together (another person's change)
            return EditResult(issues=issues)
        replace_structures(con, [write_for_row(row, structure)], by=by, reason=reason)
    result.issues = issues  # warnings only, here: the edit went through
    for name, (based_on, new, stored) in plan.conflicts.items():
        who, when = field_last_change(con, structure_id, name)
        conflict = FieldConflict(name, based_on, new, stored, who, when)
        conflict_id = record_conflict(con, "structures", structure_id, conflict, by=by, origin=origin,
                                      response_id=response_id)
        result.conflicts.append(FieldConflict(name, based_on, new, stored, who, when, conflict_id))
    if plan.write:  # one audit row per version written (a conflict has its own: edit_conflict.open)
        record_audit(con, actor=by, action="structure.update", entity="structures", entity_id=structure_id,
                     details={"champs": list(plan.write), "motif": reason, "conflits": list(plan.conflicts)})
    result.record = structure
    return result


def resolve_structure_conflict(
    con: duckdb.DuckDBPyConnection, conflict_id: str, choice: Choice, *, seen: Any, by: str
) -> Any:
    """Resolve a conflict of a fiche by keeping one of its two values; return the value kept.

    :param choice: ``proposee`` (the value that was not saved) or ``courante`` (the value the fiche holds).
    :param seen: the fiche's current value as the person saw it when choosing: when it changed
        again since, nothing is done and a French error asks to choose again.
    The choice is audited; keeping the proposed value writes it as a new version (« résolution »).
    """
    require(con, by, "modifier_registre")
    conflict = get_conflict(con, conflict_id)
    if conflict["statut"] != "ouvert":
        raise EditConflictError(f"Ce conflit a déjà été résolu par {conflict['resolu_par']}.")
    if choice not in ("proposee", "courante"):
        raise EditConflictError(f"Choix inconnu : {choice} (proposee ou courante).")
    structure_id, name = conflict["entity_id"], conflict["champ"]
    row = _require_edit(con, structure_id, by=by, reason="resolution", campaign_id=None)
    live = structure_from_row(row).model_dump().get(name)
    if not same_value(live, seen):
        raise EditConflictError(
            f"Le champ {name} a encore été modifié depuis l'affichage du conflit : regardez sa nouvelle valeur,"
            " puis choisissez de nouveau. Rien n'a été changé."
        )
    kept = live
    if choice == "proposee":
        result = edit_structure(con, structure_id, {name: (live, conflict["valeur_proposee"])}, by=by,
                                reason="resolution")
        if result.refused:
            raise EditConflictError(
                "La valeur proposée ne peut plus être enregistrée : "
                + " ; ".join(issue.message for issue in result.issues if issue.is_error) + " Rien n'a été changé."
            )
        kept = getattr(result.record, name)
    close_conflict(con, conflict, choice, kept, by=by)
    return kept


def create_structure(
    con: duckdb.DuckDBPyConnection, data: Mapping[str, Any], *, by: str
) -> tuple[Structure | None, list[Issue]]:
    """Add a structure typed by a person; returns it (or None and the errors)."""
    require(con, by, "modifier_registre")
    structure, issues = validate_structure(data)
    if structure is None:
        return None, issues
    insert_structures(con, [StructureWrite(structure)], by=by, reason="creation")
    record_audit(con, actor=by, action="structure.create", entity="structures", entity_id=structure.id)
    return structure, issues


def delete_structure(con: duckdb.DuckDBPyConnection, structure_id: str, *, by: str, merged_into: str | None = None) -> None:
    """Soft-delete a structure: flagged, its history kept, restorable."""
    require(con, by, "modifier_registre")
    row = get_structure(con, structure_id)
    if row is None or row["deleted_at"] is not None:
        raise StructureNotFound(structure_id)
    now = utc_now()
    _close_current_versions(con, [structure_id], now)
    _open_versions(con, [structure_id], now=now, by=by, reason="fusion" if merged_into else "suppression",
                   import_run_id=None, deleted=True)
    con.execute(
        "UPDATE structures SET deleted_at = ?, merged_into = ?, updated_at = ?, updated_by = ? WHERE id = ?",
        [now, merged_into, now, by, structure_id],
    )
    record_audit(con, actor=by, action="structure.delete", entity="structures", entity_id=structure_id,
                 details={"fusionnee_dans": merged_into} if merged_into else None)


def restore_structure(con: duckdb.DuckDBPyConnection, structure_id: str, *, by: str) -> None:
    """Bring back a soft-deleted structure as a new version."""
    require(con, by, "modifier_registre")
    row = get_structure(con, structure_id)
    if row is None or row["deleted_at"] is None:
        raise StructureNotFound(structure_id)
    now = utc_now()
    _close_current_versions(con, [structure_id], now)
    _open_versions(con, [structure_id], now=now, by=by, reason="restauration", import_run_id=None)
    con.execute(
        "UPDATE structures SET deleted_at = NULL, merged_into = NULL, updated_at = ?, updated_by = ? WHERE id = ?",
        [now, by, structure_id],
    )
    record_audit(con, actor=by, action="structure.restore", entity="structures", entity_id=structure_id)
