"""Read-only views of the registry for screens: filter choices present in the data, field labels.

``models.registry`` filters structures by département or commune; a screen offering those
filters needs the values that actually occur in the registry (a territory has a few
départements, not 107). The département of a structure is computed exactly as
``find_structures(departement=...)`` computes it, so every value offered here finds structures::

    with store.connect() as con:
        for code in departements_in_use(con):
            assert count_structures(con, departement=code) > 0

``field_labels()`` gives the French title of every field (the standard's schema titles, plus
Maillage's own fields), for forms and tables.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import duckdb

from models.cog import departement_sql
from models.standard import SCHEMA_V1_PATH
from models.store import fetch_dicts
from models.structure import data_fields

# Titles of Maillage's own fields (the standard's come from its schema file).
EXTRA_FIELD_LABELS = {
    "telephones_autres": "Autres téléphones",
    "numero_court": "Numéro court",
    "contact_nom": "Nom du contact",
    "contact_telephone": "Téléphone du contact",
    "contact_courriel": "Courriel du contact",
    "statut": "Statut dans la source",
    "date_maj_estimee": "Date de mise à jour estimée",
}


def departements_in_use(con: duckdb.DuckDBPyConnection, *, include_deleted: bool = False) -> list[str]:
    """Département (or COM) codes of the structures, sorted; each one is a valid ``departement`` filter."""
    where = "" if include_deleted else " WHERE deleted_at IS NULL"
    rows = fetch_dicts(
        con,
        "SELECT DISTINCT " + departement_sql() + " AS departement FROM structures" + where + " ORDER BY departement",
    )
    return [row["departement"] for row in rows if row["departement"]]


def communes_in_use(
    con: duckdb.DuckDBPyConnection, *, departement: str | None = None, include_deleted: bool = False
) -> list[dict[str, Any]]:
    """Communes having structures: ``code_insee``, ``commune`` and ``structures`` (how many), by name.

    Only structures with an INSEE code are counted (the ``code_insee`` filter needs one); with
    ``departement``, only that département's communes.
    """
    clauses = ["code_insee IS NOT NULL"]
    params: list[Any] = []
    if not include_deleted:
        clauses.append("deleted_at IS NULL")
    if departement:
        clauses.append(departement_sql() + " = ?")
        params.append(departement)
    return fetch_dicts(
        con,
        "SELECT code_insee, min(commune) AS commune, count(*) AS structures FROM structures"
        " WHERE " + " AND ".join(clauses) + " GROUP BY code_insee ORDER BY commune, code_insee",
        params,
    )


@cache
def field_labels() -> dict[str, str]:
    """French title of every field of a structure (``id`` and data fields).

    E.g. ``{"telephone": "Numéro de téléphone", "contact_nom": "Nom du contact", ...}``.
    """
    schema = json.loads(SCHEMA_V1_PATH.read_text(encoding="utf-8"))
    labels = {raw["name"]: raw.get("title") or raw["name"] for raw in schema["fields"]}
    labels.update(EXTRA_FIELD_LABELS)
    for name in ("id", *data_fields()):
        labels.setdefault(name, name)
    return labels
