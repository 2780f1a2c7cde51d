"""What an import knows about the whole file before reading any line as a lieu.

- **namespace**: the ids of a source (``1``, ``2``… in many exports) identify lieux only within
  that source, so a line's identity is ``id:<namespace>:<id>``. The namespace is the lieu's own
  ``source`` when the file gives one, else the import profile's name, else a fingerprint of the
  file's header (a hub's monthly export keeps its header, so its lines keep their identity; another
  file with ids 1…N never takes them over).
- **file date**: the date a lieu without its own ``date_maj`` gets: the date the person gives,
  else a date in the file's name (open-data files are named ``2024-03-20_…``, ``20240320-…``,
  ``…_2024-03-20``), else none (the import day is then used and marked as an estimate).
- **département hint**: the département most lines are in, to resolve a commune name shared by
  several communes.
- **known people**: the names found in the file's contact / referent columns, to recognise their
  e-mails and names wherever they appear.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import PurePath

from collect.columns import normalize_header
from models.personal_data import KnownPeople

DATE_GIVEN = "donnée par la personne"
DATE_IN_FILE_NAME = "nom du fichier"

_ISO_IN_NAME = re.compile(r"(?<!\d)(\d{4})[-_.](\d{2})[-_.](\d{2})(?!\d)")
_COMPACT_IN_NAME = re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)")


@dataclass(frozen=True)
class FileContext:
    """File-level facts used while preparing each line (see the module docstring)."""

    namespace: str
    file_date: date | None = None
    file_date_source: str | None = None  # DATE_GIVEN | DATE_IN_FILE_NAME
    departement_hint: str | None = None
    known_people: KnownPeople = field(default_factory=KnownPeople)


def header_namespace(columns: Iterable[str]) -> str:
    """``f:`` + a short fingerprint of the file's normalised header (order and case ignored)."""
    keys = sorted({normalize_header(c) for c in columns if normalize_header(c)})
    return "f:" + hashlib.sha1("\x1f".join(keys).encode()).hexdigest()[:12]


def date_in_file_name(name: str, *, today: date) -> date | None:
    """The date an open-data file's name carries (``2024-03-20_lieux.csv``, ``20240320-hub.json``).

    Only a real calendar date between 2000 and today counts (a SIRET or a phone number in a name
    is not a date)."""
    stem = PurePath(name).name
    for pattern in (_ISO_IN_NAME, _COMPACT_IN_NAME):
        for match in pattern.finditer(stem):
            try:
                found = date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                continue
            if date(2000, 1, 1) <= found <= today:
                return found
    return None


def file_date(name: str, given: date | None, *, today: date) -> tuple[date | None, str | None]:
    """The file-level date and where it comes from (the person's first, then the file's name)."""
    if given is not None:
        return given, DATE_GIVEN
    found = date_in_file_name(name, today=today)
    return (found, DATE_IN_FILE_NAME) if found else (None, None)


def departement_hint(rows: Iterable[Mapping[str, str | None]], columns: Iterable[str]) -> str | None:
    """The département most lines are in, from their postcodes or INSEE codes (None when unclear)."""
    from models.addresses import majority_departement
    from models.cog import cog, departement_of_insee
    from models.normalize import extract_postcode

    referential = cog()
    names = list(columns)
    found: list[str | None] = []
    for row in rows:
        departement = None
        for column in names:
            cell = row.get(column)
            if not cell:
                continue
            if len(cell) in (4, 5) and cell.isdigit():
                code = cell.zfill(5)
                departement = referential.departement_of_postcode(code)
            elif len(cell) == 5 and cell[:2].upper() in ("2A", "2B"):
                departement = departement_of_insee(cell.upper())
            else:
                code = extract_postcode(cell)
                departement = referential.departement_of_postcode(code) if code else None
            if departement:
                break
        found.append(departement)
    return majority_departement(found)
