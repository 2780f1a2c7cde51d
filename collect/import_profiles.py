"""Import profiles: what a person confirmed for one source, applied again to its next export.

A hub sends a new export every month with the same columns. What the coordinator confirmed on the
Import page — which column feeds which field (or is left out) and how the source's words translate
to the standard's codes — is saved under a name with the header it was made on. The next file whose
header is (nearly) the same is recognised (:func:`recognise_profile`) and the profile applied
automatically; it stays visible and changeable on the page, and ``maillage import --profil NOM``
names one explicitly. ``maillage profils`` lists, shows and deletes them.

Recognition compares the *normalised* header names (case, accents and punctuation ignored, see
``collect.columns.normalize_header``): the share of columns the two headers have in common
(Jaccard index). A source that added or dropped a column or two is still recognised; a file of
another source is not (threshold :data:`RECOGNITION_THRESHOLD`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb
from pydantic import BaseModel, ConfigDict, Field, field_validator

from collect.columns import normalize_header
from models.access import require
from models.audit import record_audit
from models.errors import MaillageError
from models.ids import new_id
from models.store import fetch_dicts, utc_now

# Share of normalised column names two headers must have in common for a profile to be recognised.
RECOGNITION_THRESHOLD = 0.8


class ProfileError(MaillageError):
    """A profile that cannot be saved, found or deleted (French message)."""


class ImportProfile(BaseModel):
    """A named profile: the header it was made on, the column choices and the value translations."""

    model_config = ConfigDict(extra="forbid")

    nom: str
    colonnes: list[str]
    correspondance: dict[str, str | None] = Field(default_factory=dict)  # column → field; None: left out
    # column → value → the (field, code) pairs it translates to (a yes/no column: [] for no)
    traductions: dict[str, dict[str, list[tuple[str, str]]]] = Field(default_factory=dict)
    espace: str | None = None  # the namespace of the source's ids, kept when the header changes
    id: str | None = None
    updated_at: datetime | None = None
    updated_by: str | None = None

    @field_validator("nom")
    @classmethod
    def _name(cls, value: str) -> str:
        # ProfileError, not ValueError: pydantic lets it through as is, a French message for the CLI and the page
        text = " ".join(str(value).split())
        if not text:
            raise ProfileError("Le nom du profil est obligatoire.")
        if len(text) > 80:
            raise ProfileError("Le nom du profil est trop long (80 caractères au plus).")
        return text


@dataclass(frozen=True)
class ProfileMatch:
    """A stored profile recognised for a file's header, and how close the headers are (0..1)."""

    profile: ImportProfile
    similarity: float


def header_key(columns: Iterable[str]) -> frozenset[str]:
    """The set of normalised column names a header is compared by."""
    return frozenset(key for key in (normalize_header(c) for c in columns) if key)


def header_similarity(a: Iterable[str], b: Iterable[str]) -> float:
    """Jaccard index of two headers' normalised column names (1.0: the same columns)."""
    left, right = header_key(a), header_key(b)
    if not left and not right:
        return 0.0
    return len(left & right) / len(left | right)


def _profile(row: Mapping[str, Any]) -> ImportProfile:
    return ImportProfile(
        id=row["id"],
        nom=row["nom"],
        colonnes=json.loads(row["colonnes"]),
        correspondance=json.loads(row["correspondance"]),
        traductions=json.loads(row["traductions"]),
        espace=row["espace"],
        updated_at=row["updated_at"],
        updated_by=row["updated_by"],
    )


def _fold_name(name: str) -> str:
    return " ".join(name.split()).casefold()


def list_profiles(con: duckdb.DuckDBPyConnection) -> list[ImportProfile]:
    """Every profile, by name."""
    rows = fetch_dicts(con, "SELECT * FROM import_profiles WHERE deleted_at IS NULL ORDER BY lower(nom)")
    return [_profile(row) for row in rows]


def find_profile(con: duckdb.DuckDBPyConnection, nom: str) -> ImportProfile | None:
    """The profile called ``nom`` (case and spaces ignored), else None."""
    wanted = _fold_name(nom)
    return next((p for p in list_profiles(con) if _fold_name(p.nom) == wanted), None)


def get_profile(con: duckdb.DuckDBPyConnection, nom: str) -> ImportProfile:
    """The profile called ``nom``; a French :class:`ProfileError` naming the known ones otherwise."""
    found = find_profile(con, nom)
    if found is None:
        known = ", ".join(f"« {p.nom} »" for p in list_profiles(con)) or "aucun"
        raise ProfileError(f"Profil d'import « {nom} » introuvable (profils enregistrés : {known}).")
    return found


def recognise_profile(con: duckdb.DuckDBPyConnection, columns: Iterable[str]) -> ProfileMatch | None:
    """The stored profile whose header is closest to ``columns``, when close enough; else None.

    Ties go to the most recently updated profile (the source's latest confirmation)."""
    header = list(columns)
    best: ProfileMatch | None = None
    for profile in list_profiles(con):
        similarity = header_similarity(header, profile.colonnes)
        if similarity < RECOGNITION_THRESHOLD:
            continue
        if best is None or (similarity, profile.updated_at) > (best.similarity, best.profile.updated_at):
            best = ProfileMatch(profile, similarity)
    return best


def save_profile(con: duckdb.DuckDBPyConnection, profile: ImportProfile, *, by: str) -> ImportProfile:
    """Insert the profile, or replace the one of the same name; audited. Needs the right to import."""
    require(con, by, "importer")
    now = utc_now()
    existing = find_profile(con, profile.nom)
    values = [
        json.dumps(profile.colonnes, ensure_ascii=False),
        json.dumps(profile.correspondance, ensure_ascii=False, sort_keys=True),
        json.dumps(profile.traductions, ensure_ascii=False, sort_keys=True),
    ]
    if existing is None:
        profile_id = new_id()
        con.execute(
            "INSERT INTO import_profiles (id, nom, colonnes, correspondance, traductions, espace, created_at,"
            " updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [profile_id, profile.nom, *values, profile.espace, now, now, by],
        )
        action = "import_profile.create"
    else:
        profile_id = existing.id
        con.execute(
            "UPDATE import_profiles SET nom = ?, colonnes = ?, correspondance = ?, traductions = ?,"
            " espace = coalesce(?, espace), updated_at = ?, updated_by = ? WHERE id = ?",
            [profile.nom, *values, profile.espace, now, by, profile_id],
        )
        action = "import_profile.update"
    record_audit(con, actor=by, action=action, entity="import_profiles", entity_id=profile_id,
                 details={"nom": profile.nom, "colonnes": len(profile.colonnes)})
    return profile.model_copy(update={"id": profile_id, "updated_at": now, "updated_by": by})


def delete_profile(con: duckdb.DuckDBPyConnection, nom: str, *, by: str) -> ImportProfile:
    """Delete (softly) the profile called ``nom``; audited. Needs the right to import."""
    require(con, by, "importer")
    profile = get_profile(con, nom)
    now = utc_now()
    con.execute("UPDATE import_profiles SET deleted_at = ?, updated_at = ?, updated_by = ? WHERE id = ?",
                [now, now, by, profile.id])
    record_audit(con, actor=by, action="import_profile.delete", entity="import_profiles", entity_id=profile.id,
                 details={"nom": profile.nom})
    return profile
