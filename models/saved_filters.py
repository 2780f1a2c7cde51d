"""Saved structure filters: a name for a search of the registry, reused to target a campaign.

A filter holds exactly the criteria of ``models.registry.find_structures`` (text, commune,
département, typology, service), so that a filter saved from the Structures page finds the same
structures when a coordinator later targets a campaign with it::

    with store.atomic() as con:
        filter_id = save_filter(con, "CCAS de Charente", StructureFilter(departement="16", typologie="CCAS"), by="coord")
        ids = structure_ids_matching(con, [get_filter(con, filter_id).criteria])
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
from pydantic import BaseModel, ConfigDict, field_validator

from models.audit import record_audit
from models.errors import MaillageError
from models.ids import new_id
from models.registry import find_structures
from models.store import fetch_dicts, utc_now


class FilterError(MaillageError):
    """A saved filter cannot be saved or found; message in French."""


class StructureFilter(BaseModel):
    """Criteria of a registry search; every criterion given must match (empty: every structure)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str | None = None
    code_insee: str | None = None
    departement: str | None = None
    typologie: str | None = None
    service: str | None = None

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip()
            return value or None
        return value

    def is_empty(self) -> bool:
        return not any(self.model_dump().values())

    def describe(self) -> str:
        """The criteria in French, « département 16, typologie CCAS »."""
        names = {"text": "texte", "code_insee": "commune (INSEE)", "departement": "département",
                 "typologie": "typologie", "service": "service"}
        parts = [f"{names[key]} {value}" for key, value in self.model_dump().items() if value]
        return ", ".join(parts) or "toutes les structures"


@dataclass(frozen=True)
class SavedFilter:
    id: str
    nom: str
    criteria: StructureFilter


def save_filter(con: duckdb.DuckDBPyConnection, nom: str, criteria: StructureFilter, *, by: str) -> str:
    """Save ``criteria`` under a name (a live filter of the same name is replaced); return its id."""
    nom = nom.strip()
    if not nom:
        raise FilterError("Donnez un nom au filtre enregistré.")
    now = utc_now()
    existing = con.execute(
        "SELECT id FROM saved_filters WHERE lower(nom) = lower(?) AND deleted_at IS NULL", [nom]
    ).fetchone()
    payload = criteria.model_dump_json(exclude_none=True)
    if existing:
        filter_id = existing[0]
        con.execute(
            "UPDATE saved_filters SET nom = ?, criteria = ?, updated_at = ?, updated_by = ? WHERE id = ?",
            [nom, payload, now, by, filter_id],
        )
    else:
        filter_id = new_id()
        con.execute(
            "INSERT INTO saved_filters (id, nom, criteria, created_at, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?)",
            [filter_id, nom, payload, now, now, by],
        )
    record_audit(con, actor=by, action="filter.save", entity="saved_filters", entity_id=filter_id,
                 details={"nom": nom, "criteres": json.loads(payload)})
    return filter_id


def _saved(row: dict[str, Any]) -> SavedFilter:
    return SavedFilter(row["id"], row["nom"], StructureFilter.model_validate_json(row["criteria"]))


def list_filters(con: duckdb.DuckDBPyConnection) -> list[SavedFilter]:
    """Live saved filters, by name."""
    return [_saved(row) for row in fetch_dicts(
        con, "SELECT id, nom, criteria FROM saved_filters WHERE deleted_at IS NULL ORDER BY lower(nom), id"
    )]


def get_filter(con: duckdb.DuckDBPyConnection, filter_id_or_name: str) -> SavedFilter:
    """A live saved filter by id or (case-insensitive) name."""
    rows = fetch_dicts(
        con,
        "SELECT id, nom, criteria FROM saved_filters WHERE deleted_at IS NULL AND (id = ? OR lower(nom) = lower(?))",
        [filter_id_or_name, filter_id_or_name],
    )
    if not rows:
        raise FilterError(f"Filtre enregistré introuvable : « {filter_id_or_name} ».")
    return _saved(rows[0])


def delete_filter(con: duckdb.DuckDBPyConnection, filter_id: str, *, by: str) -> None:
    """Delete a saved filter (kept in the table, marked deleted)."""
    con.execute("UPDATE saved_filters SET deleted_at = ?, updated_by = ? WHERE id = ?", [utc_now(), by, filter_id])
    record_audit(con, actor=by, action="filter.delete", entity="saved_filters", entity_id=filter_id, details={})


def structure_ids_matching(con: duckdb.DuckDBPyConnection, filters: Sequence[StructureFilter]) -> list[str]:
    """Ids of the live structures matching any of ``filters`` (each one matched as ``find_structures``
    does), in name order, without repeats."""
    found: dict[str, None] = {}
    for criteria in filters:
        for row in find_structures(con, **criteria.model_dump(), limit=None):
            found.setdefault(row["id"], None)
    return list(found)


def territory_filters(departements: Sequence[str] = (), typologies: Sequence[str] = ()) -> list[StructureFilter]:
    """The filters of « these départements × these typologies » (either may be empty: no condition)."""
    return [
        StructureFilter(departement=departement, typologie=typologie)
        for departement in (departements or [None])
        for typologie in (typologies or [None])
    ]
