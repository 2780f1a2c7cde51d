"""Helpers of the dashboard tests that need a registry with a past (not a test module)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import duckdb

from models.registry import get_structure, replace_structures, structure_from_row, write_for_row
from models.structure import Structure, validate_structure


def valid_structure(data: dict[str, Any]) -> Structure:
    """A valid structure from a few fields (an address and a date_maj are added)."""
    structure, issues = validate_structure({"adresse": "1 rue de la Gare", "date_maj": "2026-01-05", **data})
    assert structure is not None, issues
    return structure


def edit_at(con: duckdb.DuckDBPyConnection, structure_id: str, changes: dict[str, Any], when: datetime) -> None:
    """``update_structure``'s write, dated ``when`` (``update_structure`` writes at the present instant)."""
    row = get_structure(con, structure_id)
    structure = valid_structure({**structure_from_row(row).model_dump(), **changes, "id": structure_id})
    replace_structures(con, [write_for_row(row, structure)], by="coord", now=when)
