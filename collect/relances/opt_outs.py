"""Opt-outs: structures that asked not to be mailed any more, in every campaign (``mail_opt_outs``).

``collect.relances.selection`` leaves them out, and recording one cancels the structure's
pending relances.
"""

from __future__ import annotations

from typing import Any

import duckdb

from models.access import require
from models.audit import record_audit
from models.errors import StructureNotFound
from models.records import RELANCE_PENDING_STATUSES
from models.registry import get_structure
from models.store import fetch_dicts, utc_now


def add_opt_out(con: duckdb.DuckDBPyConnection, structure_id: str, motif: str | None = None, *, by: str) -> None:
    """Record that a structure asked not to be mailed any more (every campaign); its pending relances
    are cancelled."""
    require(con, by, "relancer")
    if get_structure(con, structure_id) is None:
        raise StructureNotFound(structure_id)
    now = utc_now()
    motif = (motif or "").strip() or None
    con.execute(
        "INSERT INTO mail_opt_outs (structure_id, motif, created_at, updated_by) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (structure_id) DO UPDATE SET motif = excluded.motif, updated_by = excluded.updated_by",
        [structure_id, motif, now, by],
    )
    con.execute(
        "UPDATE relances SET statut = 'annulee', erreur = ?, updated_at = ?, updated_by = ?"
        " WHERE structure_id = ? AND list_contains(?, statut)",
        ["la structure ne souhaite plus recevoir de courriels", now, by, structure_id, list(RELANCE_PENDING_STATUSES)],
    )
    record_audit(con, actor=by, action="relance.opt_out", entity="structures", entity_id=structure_id,
                 details={"motif": motif})


def remove_opt_out(con: duckdb.DuckDBPyConnection, structure_id: str, *, by: str) -> bool:
    """Allow mailing a structure again; False when it had not opted out."""
    require(con, by, "relancer")
    removed = con.execute(
        "DELETE FROM mail_opt_outs WHERE structure_id = ? RETURNING structure_id", [structure_id]
    ).fetchall()
    if removed:
        record_audit(con, actor=by, action="relance.opt_in", entity="structures", entity_id=structure_id)
    return bool(removed)


def list_opt_outs(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Structures that asked not to be mailed, newest first."""
    return fetch_dicts(
        con,
        "SELECT o.structure_id, s.nom, s.commune, o.motif, o.created_at, o.updated_by FROM mail_opt_outs o"
        " LEFT JOIN structures s ON s.id = o.structure_id ORDER BY o.created_at DESC",
    )
