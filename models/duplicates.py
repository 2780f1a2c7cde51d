"""Duplicate candidates: pairs of structures that may be the same lieu, proposed, never merged silently.

A candidate is recorded by an import (same SIRET/pivot, or a close name in the same commune)
and waits (``a_examiner``) until a person merges the pair or says they are distinct.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

import duckdb
import pyarrow as pa

from models.access import require
from models.audit import record_audit
from models.errors import MaillageError
from models.ids import new_id
from models.registry import delete_structure, get_structure, replace_structures, structure_from_row, write_for_row
from models.store import fetch_dicts, utc_now
from models.structure import data_fields

DuplicateStatus = Literal["a_examiner", "fusionne", "distinct"]
DUPLICATE_STATUSES: tuple[str, ...] = get_args(DuplicateStatus)


_PAIR_SCHEMA = pa.schema(
    [("id", pa.string()), ("structure_id", pa.string()), ("other_id", pa.string()), ("reason", pa.string()),
     ("score", pa.float64()), ("import_run_id", pa.string()), ("created_at", pa.timestamp("us", tz="UTC")),
     ("updated_at", pa.timestamp("us", tz="UTC")), ("updated_by", pa.string())]
)


@dataclass(frozen=True, slots=True)
class DuplicatePair:
    """Two structures that look alike, why (in French) and how close (0–100)."""

    structure_id: str
    other_id: str
    reason: str
    score: float


def record_duplicate_candidates(
    con: duckdb.DuckDBPyConnection, pairs: Sequence[DuplicatePair], *, by: str, import_run_id: str | None = None
) -> int:
    """Store the pairs not already known (in either order); return how many were added."""
    known = {
        frozenset((row[0], row[1]))
        for row in con.execute("SELECT structure_id, other_id FROM duplicate_candidates").fetchall()
    }
    now = utc_now()
    rows = []
    for pair in pairs:
        key = frozenset((pair.structure_id, pair.other_id))
        if key in known:
            continue
        known.add(key)
        rows.append({
            "id": new_id(), "structure_id": pair.structure_id, "other_id": pair.other_id, "reason": pair.reason,
            "score": pair.score, "import_run_id": import_run_id, "created_at": now, "updated_at": now, "updated_by": by,
        })
    if rows:
        con.register("_maillage_pairs", pa.Table.from_pylist(rows, schema=_PAIR_SCHEMA))
        try:
            con.execute(
                "INSERT INTO duplicate_candidates (id, structure_id, other_id, reason, score, status, import_run_id,"
                " created_at, updated_at, updated_by) SELECT id, structure_id, other_id, reason, score, 'a_examiner',"
                " import_run_id, created_at, updated_at, updated_by FROM _maillage_pairs"
            )
        finally:
            con.unregister("_maillage_pairs")
    return len(rows)


def list_duplicate_candidates(con: duckdb.DuckDBPyConnection, *, status: str = "a_examiner") -> list[dict[str, Any]]:
    """Candidates with the names and communes of both structures, closest first."""
    return fetch_dicts(
        con,
        "SELECT d.id, d.reason, d.score, d.status, d.structure_id, a.nom AS nom, a.commune AS commune,"
        " d.other_id, b.nom AS autre_nom, b.commune AS autre_commune"
        " FROM duplicate_candidates d JOIN structures a ON a.id = d.structure_id"
        " JOIN structures b ON b.id = d.other_id"
        " WHERE d.status = ? AND a.deleted_at IS NULL AND b.deleted_at IS NULL"
        " ORDER BY d.score DESC, a.nom",
        [status],
    )


def _set_status(con: duckdb.DuckDBPyConnection, candidate_id: str, status: str, by: str) -> None:
    con.execute(
        "UPDATE duplicate_candidates SET status = ?, updated_at = ?, updated_by = ? WHERE id = ?",
        [status, utc_now(), by, candidate_id],
    )


class DuplicateError(MaillageError):
    """A possible duplicate cannot be decided (unknown, already decided by someone else…); message in French."""


_DECIDED = {"distinct": "deux lieux distincts", "fusionne": "fiches fusionnées"}


def _open_candidate(con: duckdb.DuckDBPyConnection, candidate_id: str) -> dict[str, Any]:
    """The pair still to examine, or a French error: unknown, or decided meanwhile (by another person or tab)."""
    rows = fetch_dicts(con, "SELECT structure_id, other_id, status FROM duplicate_candidates WHERE id = ?", [candidate_id])
    if not rows:
        raise DuplicateError(f"Doublon possible introuvable : {candidate_id}.")
    status = rows[0]["status"]
    if status in _DECIDED:
        raise DuplicateError(f"Ce doublon possible a déjà été tranché ({_DECIDED[status]}), sans doute depuis un autre"
                             " onglet : rechargez la liste.")
    return rows[0]


def dismiss_duplicate(con: duckdb.DuckDBPyConnection, candidate_id: str, *, by: str) -> None:
    """Record that the two structures of a candidate are distinct lieux."""
    require(con, by, "modifier_registre")
    _open_candidate(con, candidate_id)
    _set_status(con, candidate_id, "distinct", by)
    record_audit(con, actor=by, action="duplicate.dismiss", entity="duplicate_candidates", entity_id=candidate_id)


def merge_duplicate(con: duckdb.DuckDBPyConnection, candidate_id: str, *, keep: str, by: str) -> str:
    """Merge a candidate pair into ``keep``: its empty fields take the other's values, the other is
    soft-deleted with ``merged_into`` (its history stays). Returns the id kept."""
    require(con, by, "modifier_registre")
    candidate = _open_candidate(con, candidate_id)
    pair = {candidate["structure_id"], candidate["other_id"]}
    if keep not in pair:
        raise DuplicateError("La fiche à garder doit être l'une des deux fiches du doublon possible.")
    (drop,) = pair - {keep}
    kept_row, dropped_row = get_structure(con, keep), get_structure(con, drop)
    if kept_row is None or dropped_row is None:
        raise DuplicateError("L'une des deux fiches a été supprimée entre-temps : rien n'est fusionné, rechargez la liste.")
    kept = structure_from_row(kept_row).model_dump()
    dropped = structure_from_row(dropped_row).model_dump()
    filled = {name: dropped[name] for name in data_fields() if not kept.get(name) and dropped.get(name)}
    if filled:
        merged = structure_from_row({**kept_row, **filled})
        replace_structures(con, [write_for_row(kept_row, merged)], by=by, reason="fusion")
    delete_structure(con, drop, by=by, merged_into=keep)
    _set_status(con, candidate_id, "fusionne", by)
    record_audit(con, actor=by, action="duplicate.merge", entity="structures", entity_id=keep,
                 details={"fusionnee": drop, "champs_repris": sorted(filled)})
    return keep
