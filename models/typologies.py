"""Structure typologies of data·inclusion (the list the standard's ``typologie`` field points to).

Read from ``data/data-inclusion/typologies-de-structures.json`` (92 codes: CCAS, MUNI, BIB, ML,
EVS, CAF, RFS, ASSO…). The codes the national map's own model adds (ESAT, FABRIQUE, MDH,
RELAIS_LECTURE) are accepted too, so files produced by the national map import cleanly.
"""

from __future__ import annotations

import json
from functools import cache

from models.standard import DATA_DIR

TYPOLOGIES_PATH = DATA_DIR / "data-inclusion" / "typologies-de-structures.json"

# Codes of the national map's TypeScript model (@gouvfr-anct/lieux-de-mediation-numerique) that
# data·inclusion v0 lacks. Labels written here because that package is not copied.
NATIONAL_MAP_EXTRA_TYPOLOGIES = {
    "ESAT": "Établissement ou service d'aide par le travail (ESAT)",
    "FABRIQUE": "Fabrique de territoire",
    "MDH": "Maison de l'habitat",
    "RELAIS_LECTURE": "Relais lecture",
}


@cache
def typologies() -> dict[str, str]:
    """Every known typology code with its French label, e.g. ``{"CCAS": "Centre communal…"}``."""
    entries = json.loads(TYPOLOGIES_PATH.read_text(encoding="utf-8"))
    found = {entry["value"]: entry["label"] for entry in entries}
    for code, label in NATIONAL_MAP_EXTRA_TYPOLOGIES.items():
        found.setdefault(code, label)
    return found
