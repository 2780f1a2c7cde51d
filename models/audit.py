"""The audit log: who did what to which record, written in the same transaction as the change."""

from __future__ import annotations

import json
from typing import Any

import duckdb

from models.ids import new_id
from models.store import utc_now


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
    audit_id = new_id()
    con.execute(
        "INSERT INTO audit_log (id, occurred_at, actor, action, entity, entity_id, details) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [audit_id, utc_now(), actor, action, entity, entity_id, json.dumps(details or {}, ensure_ascii=False, default=str)],
    )
    return audit_id
