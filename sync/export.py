"""The open-data export: the registry as of a date, in the national standard v1.0.x (CSV or JSON).

Only the standard's 32 columns are written, in the schema's order: Maillage's own fields (the
contact person's name, direct phone and e-mail, other phones, short numbers, set-aside values)
never leave the store. Every export can be checked with ``validate_file`` (frictionless against
the schema file shipped in ``models/data/standard/``), which is also ``maillage validate``.

Values are written as the standard wants them (``+33…`` phones, ``|``-joined lists, coordinates
as numbers). The CSV is also opened in spreadsheets, so a text that a spreadsheet would run as a
formula (``=…``, ``+…``, ``-…``, ``@…``: a name or an e-mail typed by anyone) gets the leading
apostrophe of ``models.excel_csv``; phones and coordinates, whose form the standard fixes, never
need it and stay exact. The import removes that apostrophe, so an export re-imported gives back
the same values. The JSON is not opened by spreadsheets and stays exact.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal, get_args

from frictionless import Resource, Schema, system
from frictionless import validate as frictionless_validate

from models.errors import MaillageError, NotATable
from models.excel_csv import neutralise
from models.registry import find_structures, structures_as_of
from models.runtime import bulk
from models.standard import SCHEMA_V1_PATH, standard_v1
from models.store import Store

ExportFormat = Literal["csv", "json"]
EXPORT_FORMATS: tuple[str, ...] = get_args(ExportFormat)

# The standard requires a pivot; a lieu whose SIRET/RNA/RIDET is unknown gets the placeholder the
# national map uses. Inside Maillage it stays empty, so it never counts as an identifier.
PIVOT_PLACEHOLDER = "00000000000000"


@dataclass
class ExportResult:
    """Where the export went, how many lieux it holds, and what it did not publish (French, one line each)."""

    path: Path
    format: str
    count: int
    not_open: int = 0  # closed, inactive, hidden or to-be-deleted lieux: never published as open
    withheld: list[str] = field(default_factory=list)  # lieux that failed the personal-data check


def _cell(name: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return "|".join(str(v) for v in value)
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def standard_record(row: Mapping[str, Any]) -> dict[str, str]:
    """A store row as the standard's columns (text), personal data left out by construction."""
    record = {name: _cell(name, row.get(name)) for name in standard_v1().field_names}
    if not record["pivot"]:
        record["pivot"] = PIVOT_PLACEHOLDER
    return record


def registry_rows(store: Store, *, as_of: date | datetime | None = None) -> list[dict[str, Any]]:
    """The structures of the registry now, or as it stood at ``as_of`` (open or not)."""
    with store.connect() as con:
        if as_of is None:
            return find_structures(con, limit=None)
        return structures_as_of(con, as_of)


def is_published(row: Mapping[str, Any]) -> bool:
    """Only an open lieu is published: closed, inactive, hidden, to-be-deleted ones never are."""
    from models.vocabulary import PUBLISHED_STATUTS

    return row.get("statut") in (None, *PUBLISHED_STATUTS)


def publishable_rows(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    """The rows that pass the personal-data check, and a French line for each lieu withheld.

    The people known to the registry (every lieu's contact person) are looked for in every
    published text; a person's e-mail in ``courriels`` fails too (``models.personal_data``)."""
    from models.personal_data import KnownPeople, known_people_from, publication_problems

    known = KnownPeople(known_people_from(row["contact_nom"] for row in rows if row.get("contact_nom")))
    kept: list[dict[str, Any]] = []
    withheld: list[str] = []
    for row in rows:
        problems = publication_problems(row, known_people=known)
        if not problems:
            kept.append(row)
            continue
        details = " ; ".join(f"champ {p.field} : {p.message}" for p in problems)
        withheld.append(f"Lieu « {row.get('nom')} » ({row.get('id')}) non publié — {details}")
    return kept, withheld


# Fields whose form the standard fixes and a spreadsheet reads as a number, never as a formula.
_EXACT_IN_CSV = frozenset({"telephone", "latitude", "longitude"})


def write_csv(records: Iterable[Mapping[str, str]], out: io.TextIOBase | Any) -> int:
    """Write standard records as the standard's CSV (comma, UTF-8, header = field names); a
    formula-like text gets a leading apostrophe (see the module docstring)."""
    writer = csv.DictWriter(out, fieldnames=list(standard_v1().field_names), lineterminator="\n")
    writer.writeheader()
    count = 0
    for record in records:
        writer.writerow({name: value if name in _EXACT_IN_CSV else neutralise(value) for name, value in record.items()})
        count += 1
    return count


def json_record(record: Mapping[str, str]) -> dict[str, Any]:
    """A standard record as JSON: empty fields left out, coordinates as numbers (like the national map)."""
    result: dict[str, Any] = {}
    for name, value in record.items():
        if value == "":
            continue
        result[name] = float(value) if name in ("latitude", "longitude") else value
    return result


@bulk  # tens of thousands of rows, records and checks built at once
def export_structures(
    store: Store, out: str | Path, *, format: ExportFormat = "csv", as_of: date | datetime | None = None
) -> ExportResult:
    """Write the registry (as of ``as_of``, default now) to ``out`` in the standard; returns the count.

    The file is written next to ``out`` then moved, so a failed export never leaves half a file.
    """
    if format not in EXPORT_FORMATS:
        raise MaillageError(f"Format d'export inconnu « {format} » : choisissez csv ou json.")
    rows = registry_rows(store, as_of=as_of)
    open_rows = [row for row in rows if is_published(row)]
    publishable, withheld = publishable_rows(open_rows)
    records = [standard_record(row) for row in publishable]
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partiel")
    with partial.open("w", encoding="utf-8", newline="") as handle:
        if format == "csv":
            count = write_csv(records, handle)
        else:
            json.dump([json_record(r) for r in records], handle, ensure_ascii=False, indent=1)
            count = len(records)
    partial.replace(target)
    return ExportResult(target, format, count, not_open=len(rows) - len(open_rows), withheld=withheld)


# -- validation ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ValidationError:
    """One error of a file against the standard: line (as in the file), column, value, reason in French."""

    line: int | None
    field: str | None
    value: str | None
    message: str

    def __str__(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"ligne {self.line}")
        if self.field:
            where.append(f"colonne {self.field}")
        head = ", ".join(where) or "fichier"
        return f"{head} : {self.message}"


@dataclass
class ValidationReport:
    """The result of checking a file against the standard v1.0.x."""

    file: str
    rows: int = 0
    errors: list[ValidationError] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        if self.valid:
            return f"{self.file} : valide ({self.rows} lignes conformes au standard {standard_v1().version})."
        return f"{self.file} : {len(self.errors)} erreur(s) sur {self.rows} lignes (standard {standard_v1().version})."


_CONSTRAINTS_FR = {
    "required": "valeur obligatoire manquante",
    "pattern": "la valeur ne respecte pas le format attendu",
    "maxLength": "valeur trop longue",
    "unique": "valeur en double (elle doit être unique)",
    "enum": "valeur hors de la liste autorisée",
}


def _french(error: Any) -> str:
    kind = error.type
    note = getattr(error, "note", "") or ""
    if kind == "constraint-error":
        constraint = note.split('"')[1] if '"' in note else ""
        text = _CONSTRAINTS_FR.get(constraint, "contrainte non respectée")
        if constraint == "pattern":
            pattern = note.split(" is ", 1)[-1].strip('"')
            text += f" (motif {pattern})"
        if constraint == "maxLength":
            text += f" ({note.split(' is ', 1)[-1].strip(chr(34))} caractères au plus)"
        return text
    if kind == "type-error":
        return f"type de valeur incorrect ({note})"
    if kind == "missing-label":
        return "colonne du standard absente de l'en-tête"
    if kind == "extra-label":
        return "colonne inconnue du standard"
    if kind == "incorrect-label":
        return "nom de colonne différent de celui du standard à cette position"
    if kind == "duplicate-label":
        return "colonne en double dans l'en-tête"
    if kind == "blank-row":
        return "ligne vide"
    if kind == "extra-cell":
        return "cellule en trop au-delà de la dernière colonne"
    if kind == "missing-cell":
        return "cellule manquante (ligne plus courte que l'en-tête)"
    if kind == "primary-key":
        return "identifiant (id) en double"
    if kind in ("blank-label",):
        return "nom de colonne vide"
    return f"{kind} : {note}".strip(" :")


def _validate_resource(resource: Resource, name: str) -> ValidationReport:
    with system.use_context(trusted=True):
        result = frictionless_validate(resource, limit_errors=10_000)
    report = ValidationReport(file=name, rows=result.stats.get("rows") or 0)
    if not result.tasks:
        return report
    task = result.tasks[0]
    report.rows = task.stats.get("rows") or 0
    for error in task.errors:
        if error.type in ("resource-error", "source-error", "format-error", "encoding-error", "scheme-error"):
            raise NotATable(name, f"lecture impossible ({error.note})")
        report.errors.append(
            ValidationError(
                line=getattr(error, "row_number", None),
                field=getattr(error, "field_name", None) or getattr(error, "label", None),
                value=None if getattr(error, "cell", None) is None else str(error.cell),
                message=_french(error),
            )
        )
    return report


def validate_file(path: str | Path) -> ValidationReport:
    """Check a CSV or JSON file against the standard v1.0.x, like validata; errors in French.

    JSON files are arrays of objects (the national map's form); their lines are positions in the
    array plus one, as a header would count in a CSV.
    """
    path = Path(path)
    if not path.exists():
        raise NotATable(str(path), "fichier introuvable")
    schema = Schema.from_descriptor(str(SCHEMA_V1_PATH))
    text_head = path.read_bytes()[:64].lstrip(b"\xef\xbb\xbf \r\n\t")
    if text_head.startswith((b"[", b"{")):
        try:
            data = json.loads(path.read_text(encoding="utf-8-sig"))
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise NotATable(path.name, f"JSON invalide ({error})") from None
        if isinstance(data, dict):
            lists = [v for v in data.values() if isinstance(v, list)]
            data = lists[0] if len(lists) == 1 else None
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise NotATable(path.name, "le JSON doit être une liste d'objets (un par lieu)")
        names = list(standard_v1().field_names)
        unknown = sorted({k for r in data for k in r} - set(names))
        rows = [names] + [[_json_cell(record.get(n)) for n in names] for record in data]
        report = _validate_resource(Resource(data=rows, schema=schema), path.name)
        for name in unknown:
            report.errors.append(ValidationError(None, name, None, "champ inconnu du standard"))
        return report
    return _validate_resource(Resource(path=str(path), schema=schema), path.name)


def _json_cell(value: Any) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, list):
        return "|".join(str(v) for v in value)
    return str(value) if not isinstance(value, float | int) or isinstance(value, bool) else value
