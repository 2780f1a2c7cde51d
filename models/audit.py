"""The audit log: who did what to which record, written in the same transaction as the change."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb

from models.ids import new_id
from models.store import utc_now


@dataclass(frozen=True)
class AuditEntry:
    """One action to record: what (e.g. ``"structure.update"``), on which record, with its details."""

    action: str
    entity: str | None = None
    entity_id: str | None = None
    details: dict[str, Any] | None = None


def record_audit(
    con: duckdb.DuckDBPyConnection,
    *,
    actor: str,
    action: str,
    entity: str | None = None,
    entity_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> str:
    """Add one audit row (e.g. ``action="structure.update"``) and return its id."""
    return record_audits(con, actor=actor, entries=[AuditEntry(action, entity, entity_id, details)])[0]


def record_audits(con: duckdb.DuckDBPyConnection, *, actor: str, entries: Sequence[AuditEntry]) -> list[str]:
    """Add one audit row per entry, all at once (a bulk action: one row per record it touched);
    return their ids in order."""
    ids = [new_id() for _ in entries]
    if ids:
        con.execute(
            "INSERT INTO audit_log (id, occurred_at, actor, action, entity, entity_id, details)"
            " SELECT unnest(?::VARCHAR[]), ?, ?, unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), unnest(?::VARCHAR[]),"
            " unnest(?::JSON[])",
            [ids, utc_now(), actor, [e.action for e in entries], [e.entity for e in entries],
             [e.entity_id for e in entries],
             [json.dumps(e.details or {}, ensure_ascii=False, default=str) for e in entries]],
        )
    return ids
