"""Read the tabular files territories really have (CSV, XLSX, JSON) into rows of text.

One entry point, :func:`read_table_bytes` (a Streamlit upload gives bytes), and
:func:`read_table` on top of it for a path. The format is chosen from the content, not from
the extension. Every value comes out as the text a person would see in the file, ``None``
for an empty cell. Any input that is not a table raises :class:`models.errors.NotATable`
with a French reason; no other exception escapes, whatever the bytes.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import math
import re
import warnings
import zipfile
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from models.errors import NotATable

# Key under which a CSV row keeps the cells beyond the header's width (joined with the delimiter).
EXTRA_KEY = "__extra__"

CSV_DELIMITERS = (";", ",", "\t", "|")  # order = preference when the evidence is even


@dataclass
class Table:
    """A table read from a file: header, rows of text, and where each row is in the file."""

    file: str
    format: str  # "csv", "xlsx" or "json"
    columns: list[str]
    rows: list[dict[str, str | None]]
    line_numbers: list[int]
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    header_line: int = 1  # where the column names are (a workbook may start lower down)


# --------------------------------------------------------------------------------------------
# Entry points


def read_table(path: str | Path, *, sheet: str | None = None, name: str | None = None) -> Table:
    """Read the file at ``path``; ``name`` is the name shown to the user (default: file name)."""
    p = Path(path)
    display = name or p.name or str(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise NotATable(display, "fichier introuvable") from None
    except IsADirectoryError:
        raise NotATable(display, "c'est un dossier, pas un fichier") from None
    except OSError as error:
        raise NotATable(display, f"fichier illisible ({error.strerror or error})") from None
    return read_table_bytes(data, display, sheet=sheet)


def read_table_bytes(data: bytes, name: str, *, sheet: str | None = None) -> Table:
    """Read a table from the bytes of a file called ``name`` (``sheet``: XLSX sheet by name)."""
    try:
        return _read(bytes(data), name, sheet)
    except NotATable:
        raise
    except Exception as error:  # noqa: BLE001 - the promise: only NotATable leaves this function
        raise NotATable(name, f"lecture impossible, le fichier semble endommagé ({type(error).__name__})") from error


# --------------------------------------------------------------------------------------------
# Dispatch on content

_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")

# (magic prefix, what it is) for binary files that are certainly not tables.
_BINARY_MAGICS: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "PDF"),
    (b"\x89PNG\r\n\x1a\n", "image PNG"),
    (b"\xff\xd8\xff", "image JPEG"),
    (b"GIF87a", "image GIF"),
    (b"GIF89a", "image GIF"),
    (b"\x1f\x8b", "archive gzip"),
    (b"Rar!\x1a\x07", "archive RAR"),
    (b"7z\xbc\xaf\x27\x1c", "archive 7-Zip"),
    (b"SQLite format 3\x00", "base SQLite"),
    (b"{\\rtf", "document RTF"),
    (b"II*\x00", "image TIFF"),
    (b"MM\x00*", "image TIFF"),
    (b"\x00\x00\x01\x00", "icône"),
)


def _read(data: bytes, name: str, sheet: str | None) -> Table:
    if not data.strip(b" \t\r\n\x0b\x0c") or data in (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        raise NotATable(name, "le fichier est vide")

    if data.startswith(_ZIP_MAGICS):
        return _read_zip(data, name, sheet)
    if data.startswith(_OLE2_MAGIC):
        if name.lower().endswith((".xlsx", ".xlsm")):
            reason = (
                "classeur Excel protégé par mot de passe (ou ancien format) : enregistrez-le sans mot de passe "
                "au format .xlsx ou CSV, puis importez ce nouveau fichier"
            )
        else:
            reason = (
                "ancien format Excel (.xls) non pris en charge : ouvrez-le dans Excel ou LibreOffice et "
                "enregistrez-le au format .xlsx ou CSV, puis importez ce nouveau fichier"
            )
        raise NotATable(name, reason)
    if data[4:8] == b"ftyp":
        raise NotATable(name, "ce n'est pas un tableau (fichier binaire : vidéo ou image ?)")
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        raise NotATable(name, "ce n'est pas un tableau (fichier binaire : image WebP ?)")
    for magic, kind in _BINARY_MAGICS:
        if data.startswith(magic):
            raise NotATable(name, f"ce n'est pas un tableau (fichier binaire : {kind} ?)")

    text, encoding = _decode(data, name)
    head = text.lstrip("\ufeff \t\r\n\x0b\x0c")
    if not head:
        raise NotATable(name, "le fichier est vide")
    lowered = head[:200].lower()
    if lowered.startswith(("<!doctype html", "<html")):
        raise NotATable(name, "c'est une page web (HTML), pas un tableau : enregistrez les données en CSV ou .xlsx")
    if lowered.startswith("<?xml") or lowered.startswith("<"):
        raise NotATable(name, "c'est un fichier XML, pas un tableau : enregistrez les données en CSV ou .xlsx")
    if head[0] in "[{":
        return _read_json(text, name, encoding)
    return _read_csv(text, name, encoding)


def _read_zip(data: bytes, name: str, sheet: str | None) -> Table:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = set(archive.namelist())
            mimetype = ""
            if "mimetype" in members:
                mimetype = archive.read("mimetype")[:200].decode("ascii", "replace")
    except Exception:  # noqa: BLE001 - BadZipFile, truncated archives, odd headers…
        raise NotATable(name, "archive zip endommagée ou fichier .xlsx incomplet") from None
    if "xl/workbook.xml" in members:
        return _read_xlsx(data, name, sheet)
    if "spreadsheet" in mimetype:
        reason = (
            "classeur LibreOffice (.ods) non pris en charge : enregistrez-le au format .xlsx ou CSV, "
            "puis importez ce nouveau fichier"
        )
    elif "word/document.xml" in members:
        reason = "c'est un document Word, pas un tableau : importez un fichier CSV ou .xlsx"
    elif "ppt/presentation.xml" in members:
        reason = "c'est une présentation PowerPoint, pas un tableau : importez un fichier CSV ou .xlsx"
    else:
        reason = (
            "c'est une archive zip, pas un classeur Excel (.xlsx) : décompressez-la et importez le fichier "
            "CSV ou .xlsx qu'elle contient"
        )
    raise NotATable(name, reason)


# --------------------------------------------------------------------------------------------
# Text decoding


def _latin1_fallback(error: UnicodeDecodeError) -> tuple[str, int]:
    """cp1252 leaves 5 bytes undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D): read those as latin-1."""
    return error.object[error.start : error.end].decode("latin-1"), error.end


codecs.register_error("maillage-latin1", _latin1_fallback)

_CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")


def _cp1252(data: bytes) -> tuple[str, str]:
    encoding = "latin-1" if _CP1252_UNDEFINED.search(data) else "cp1252"
    return data.decode("cp1252", errors="maillage-latin1"), encoding


_SURROGATES = re.compile(r"[\udc80-\udcff]+")
_ASCII_RUNS = re.compile(r"[\x00-\x7f]+")


def _utf8_patched(body: bytes) -> str | None:
    """A mostly UTF-8 text where a few lines came from a cp1252 file: read those bytes as cp1252.

    None when the bytes look like plain cp1252 (more invalid UTF-8 sequences than valid ones).
    """
    mixed = body.decode("utf-8", errors="surrogateescape")
    non_ascii = _ASCII_RUNS.sub("", mixed)
    invalid = sum(len(run) for run in _SURROGATES.findall(non_ascii))
    if len(non_ascii) - invalid <= invalid:
        return None
    return _SURROGATES.sub(
        lambda run: run.group().encode("utf-8", "surrogateescape").decode("cp1252", errors="maillage-latin1"), mixed
    )


def _decode(data: bytes, name: str) -> tuple[str, str]:
    """Text of ``data`` and the encoding found: utf-8(-sig), cp1252/latin-1, utf-16 (with BOM)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise NotATable(name, "texte UTF-16 illisible (fichier tronqué ou endommagé)") from None
        if "\x00" in text:
            raise NotATable(name, "ce n'est pas un tableau (fichier binaire de format inconnu)")
        _reject_control_characters(text, name)
        return text, "utf-16"
    if b"\x00" in data:
        raise NotATable(name, "ce n'est pas un tableau (fichier binaire de format inconnu)")
    try:
        text = data.decode("utf-8-sig")
        encoding = "utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8"
    except UnicodeDecodeError:
        body = data[3:] if data.startswith(codecs.BOM_UTF8) else data
        patched = _utf8_patched(body)
        if patched is not None:
            text, encoding = patched, "utf-8+cp1252"
        else:
            text, encoding = _cp1252(body)
    _reject_control_characters(text, name)
    return text, encoding


_CONTROL = re.compile(r"[\x01-\x08\x0e-\x1f\x7f]")


def _reject_control_characters(text: str, name: str) -> None:
    sample = text[:8192]
    if sample and len(_CONTROL.findall(sample)) > max(2, len(sample) // 20):
        raise NotATable(name, "ce n'est pas un tableau (fichier binaire de format inconnu)")


# --------------------------------------------------------------------------------------------
# Values to text


def number_text(value: int | float) -> str:
    """A number as a person reads it: ``1000``, ``590123456`` (not ``5.9e8``), ``45.681367``."""
    if isinstance(value, bool):
        return "Oui" if value else "Non"
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value.is_integer():
        return str(int(value))
    shown = repr(value)
    if "e" in shown or "E" in shown:
        try:
            shown = format(Decimal(shown), "f")
        except InvalidOperation:  # pragma: no cover - repr of a finite float is always a Decimal
            pass
    return shown


def _excel_number_text(value: int | float) -> str:
    """Like :func:`number_text`, rounded to the 15 significant digits Excel shows."""
    if isinstance(value, float) and math.isfinite(value) and not value.is_integer():
        value = float(format(value, ".15g"))
    return number_text(value)


_DIGIT_FORMAT = re.compile(r"[0#]+(?: [0#]+)*")


def _digit_format(value: int, number_format: str) -> str | None:
    """Apply a digits-only Excel format (``00000`` postcode, ``0# ## ## ## ##`` phone) to an integer."""
    if value < 0 or "0" not in number_format or not _DIGIT_FORMAT.fullmatch(number_format):
        return None
    digits = str(value)
    out = list(number_format)
    index = len(digits) - 1
    for position in range(len(number_format) - 1, -1, -1):
        char = number_format[position]
        if char not in "0#":
            continue
        if index >= 0:
            out[position] = digits[index]
            index -= 1
        else:
            out[position] = "0" if char == "0" else ""
    return (digits[: index + 1] + "".join(out)).strip()


def _date_text(value: dt.date | dt.datetime | dt.time) -> str:
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds" if value.second or value.microsecond else "minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value.isoformat(timespec="seconds" if value.second or value.microsecond else "minutes")


def _cell_text(value: object, number_format: str | None = None) -> str | None:
    """An XLSX cell value as text (``None`` for an empty cell)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, bool):
        return "Oui" if value else "Non"
    if isinstance(value, (int, float)):
        if number_format and math.isfinite(value) and float(value).is_integer():
            formatted = _digit_format(int(value), number_format)
            if formatted is not None:
                return formatted
        return _excel_number_text(value)
    if isinstance(value, (dt.date, dt.time)):
        return _date_text(value)
    if isinstance(value, dt.timedelta):
        return str(value)
    return str(value).strip() or None


def _json_text(value: object) -> str | None:
    """A JSON value as text: lists joined with ``|``, objects kept as JSON."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, (bool, int, float)):
        return number_text(value)
    if isinstance(value, list):
        parts = [_json_text(item) for item in value]
        joined = "|".join(part for part in parts if part is not None)
        return joined or None
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False) if value else None
    return str(value)


# --------------------------------------------------------------------------------------------
# Header names


def _header_names(raw: list[str | None]) -> tuple[list[str], set[str]]:
    """Stripped names, ``colonne_N`` for empty ones, ``_2``… for duplicates; plus the unnamed ones."""
    names: list[str] = []
    unnamed: set[str] = set()
    seen: set[str] = set()
    next_suffix: dict[str, int] = {}  # the suffixes below are taken: 50 000 « nom » cost 50 000 steps, not 50 000²
    for position, value in enumerate(raw, start=1):
        base = (value or "").strip()
        is_unnamed = not base
        if is_unnamed:
            base = f"colonne_{position}"
        candidate, suffix = base, next_suffix.get(base, 2)
        while candidate in seen:
            candidate, suffix = f"{base}_{suffix}", suffix + 1
        if candidate != base:
            next_suffix[base] = suffix
        seen.add(candidate)
        names.append(candidate)
        if is_unnamed:
            unnamed.add(candidate)
    return names, unnamed


def _drop_empty_unnamed(columns: list[str], rows: list[dict[str, str | None]], unnamed: set[str]) -> list[str]:
    """Remove the columns without a header name that are empty on every row (Excel leftovers)."""
    empty = [c for c in columns if c in unnamed and all(row.get(c) is None for row in rows)]
    if not empty:
        return columns
    for row in rows:
        for column in empty:
            row.pop(column, None)
    dropped = set(empty)  # a set: a header of 100 000 empty cells must not cost 100 000² comparisons
    return [c for c in columns if c not in dropped]


# --------------------------------------------------------------------------------------------
# CSV

# Never in the decoded text (NUL bytes are refused), so it can mark the end of the input.
_SENTINEL = "\x00maillage-fin\x00"
_SINGLE_COLUMN_DELIMITER = "\x1f"
_FIELD_SIZE_LIMIT = 1 << 24


class _RecordError(Exception):
    """The csv module gave up on a record; ``line`` is the physical line where that record starts."""

    def __init__(self, line: int, error: csv.Error) -> None:
        super().__init__(str(error))
        self.line = line


def _records(text: str, delimiter: str):
    """csv records with the physical line where each starts; ends with the sentinel record."""
    lines = io.StringIO(text, newline="")

    def source():
        yield from lines
        yield _SENTINEL

    reader = csv.reader(source(), delimiter=delimiter, quotechar='"', skipinitialspace=True, strict=False)
    previous = 0
    try:
        for record in reader:
            start = previous + 1
            previous = reader.line_num
            yield start, record
    except csv.Error as error:
        raise _RecordError(previous + 1, error) from None


def _record_problem(error: _RecordError) -> str:
    """The csv module's English reason as a French one, with the line."""
    if "field larger than field limit" in str(error):
        size = _FIELD_SIZE_LIMIT // (1 << 20)
        return (
            f"ligne {error.line} : une cellule dépasse {size} millions de caractères (un guillemet jamais "
            "refermé ?), le fichier ne peut pas être lu ; corrigez cette ligne ou enregistrez de nouveau le "
            "fichier en CSV"
        )
    return f"ligne {error.line} : CSV illisible à partir de cette ligne ; enregistrez de nouveau le fichier en CSV"


def _detect_delimiter(text: str) -> str | None:
    """The delimiter of the header, checked against the first records; None for one column."""
    head = text[:65536]
    cut = max(head.rfind("\n"), head.rfind("\r"))
    if 0 < cut < len(head) - 1:
        head = head[: cut + 1]
    best: tuple[float, int, int] | None = None
    chosen: str | None = None
    for preference, delimiter in enumerate(CSV_DELIMITERS):
        header: list[str] | None = None
        total = consistent = 0
        for _, record in _records(head, delimiter):
            if record == [_SENTINEL] or not any(cell.strip() for cell in record):
                continue
            if header is None:
                header = record
                if len(header) < 2:
                    break
                continue
            total += 1
            consistent += len(record) == len(header)
            if total >= 30:
                break
        if header is None or len(header) < 2:
            continue
        score = (consistent / total if total else 1.0, len(header), -preference)
        if best is None or score > best:
            best, chosen = score, delimiter
    return chosen


def _read_csv(text: str, name: str, encoding: str) -> Table:
    # The csv module's limit is process-wide and other libraries set their own (frictionless: 2 GB
    # on import): read with ours, whatever was imported before, then put theirs back.
    previous_limit = csv.field_size_limit(_FIELD_SIZE_LIMIT)
    try:
        return _parse_csv(text, name, encoding)
    finally:
        csv.field_size_limit(previous_limit)


def _parse_csv(text: str, name: str, encoding: str) -> Table:
    try:
        delimiter = _detect_delimiter(text)
    except _RecordError as error:
        raise NotATable(name, _record_problem(error)) from None
    parse_with = delimiter or _SINGLE_COLUMN_DELIMITER
    join_with = delimiter or ""

    columns: list[str] | None = None
    unnamed: set[str] = set()
    width = 0
    rows: list[dict[str, str | None]] = []
    line_numbers: list[int] = []
    try:
        for start, record in _records(text, parse_with):
            if record and _SENTINEL in record[-1]:
                if record == [_SENTINEL]:
                    break
                raise NotATable(
                    name,
                    f"ligne {start} : un guillemet (\") ouvert n'est jamais refermé, la suite du fichier ne "
                    "peut pas être lue ; corrigez cette ligne ou enregistrez de nouveau le fichier en CSV",
                )
            cells = [cell.strip() for cell in record]
            if not any(cells):
                continue
            if columns is None:
                columns, unnamed = _header_names(cells)
                width = len(columns)
                continue
            if len(cells) == width:
                row = dict(zip(columns, [cell or None for cell in cells]))
            elif len(cells) < width:
                row = dict(zip(columns, [cell or None for cell in cells]))
                for column in columns[len(cells) :]:
                    row[column] = None
            else:
                row = dict(zip(columns, [cell or None for cell in cells[:width]]))
                extra = cells[width:]
                while extra and not extra[-1]:
                    extra.pop()
                if extra:
                    row[EXTRA_KEY] = join_with.join(extra)
            rows.append(row)
            line_numbers.append(start)
    except _RecordError as error:
        raise NotATable(name, _record_problem(error)) from None

    if columns is None:
        raise NotATable(name, "le fichier est vide")
    if not rows:
        raise NotATable(name, "aucune ligne de données (seulement la ligne d'en-tête)")
    columns = _drop_empty_unnamed(columns, rows, unnamed)
    return Table(
        file=name,
        format="csv",
        columns=columns,
        rows=rows,
        line_numbers=line_numbers,
        encoding=encoding,
        delimiter=delimiter,
    )


# --------------------------------------------------------------------------------------------
# XLSX


def _read_xlsx(data: bytes, name: str, sheet: str | None) -> Table:
    import openpyxl  # imported here: only XLSX needs it

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:  # noqa: BLE001 - any corruption in the zip or its XML parts
            raise NotATable(name, "classeur Excel (.xlsx) illisible ou endommagé") from None
        try:
            return _read_workbook(workbook, name, sheet)
        except NotATable:
            raise
        except Exception:  # noqa: BLE001
            raise NotATable(name, "classeur Excel (.xlsx) illisible ou endommagé") from None
        finally:
            workbook.close()


def _quote_list(names: list[str]) -> str:
    return ", ".join(f"« {n} »" for n in names) if names else "aucune"


def _read_workbook(workbook, name: str, sheet: str | None) -> Table:
    sheetnames = list(workbook.sheetnames)
    worksheets = list(workbook.worksheets)
    if sheet is None:
        if not worksheets:
            raise NotATable(name, "le classeur ne contient aucune feuille de calcul")
        worksheet = worksheets[0]
    else:
        wanted = sheet.strip()
        matches = [ws for ws in worksheets if ws.title == wanted] or [
            ws for ws in worksheets if ws.title.strip().casefold() == wanted.casefold()
        ]
        if not matches:
            raise NotATable(
                name, f"la feuille « {sheet} » n'existe pas ; feuilles du classeur : {_quote_list(sheetnames)}"
            )
        worksheet = matches[0]
    title = worksheet.title
    worksheet.reset_dimensions()  # some producers write a wrong <dimension>: read every row

    header: list[str | None] | None = None
    header_row = 0
    raw_rows: list[list[str | None]] = []
    line_numbers: list[int] = []
    width = 0
    for row_number, cells in enumerate(worksheet.iter_rows(), start=1):
        values = [_cell_text(cell.value, getattr(cell, "number_format", None)) for cell in cells]
        while values and values[-1] is None:
            values.pop()
        if not values:
            continue
        if header is None:
            header, header_row = values, row_number
            continue
        width = max(width, len(values))
        raw_rows.append(values)
        line_numbers.append(row_number)

    if header is None:
        others = [n for n in sheetnames if n != title]
        detail = f" ; autres feuilles : {_quote_list(others)} (choisissez-en une)" if others else ""
        raise NotATable(name, f"la feuille « {title} » est vide{detail}")
    if not raw_rows:
        raise NotATable(name, f"feuille « {title} » : aucune ligne de données (seulement l'en-tête, ligne {header_row})")
    width = max(width, len(header))
    columns, unnamed = _header_names(header + [None] * (width - len(header)))
    rows = []
    for values in raw_rows:
        values = values + [None] * (width - len(values))
        rows.append(dict(zip(columns, values)))
    columns = _drop_empty_unnamed(columns, rows, unnamed)
    return Table(file=name, format="xlsx", columns=columns, rows=rows, line_numbers=line_numbers, sheet=title,
                 header_line=header_row)


# --------------------------------------------------------------------------------------------
# JSON

_JSON_MESSAGES = {
    "Expecting value": "valeur attendue",
    "Expecting ',' delimiter": "virgule attendue",
    "Expecting ':' delimiter": "deux-points attendu",
    "Expecting property name enclosed in double quotes": "nom de propriété entre guillemets doubles attendu",
    "Unterminated string starting at": "texte entre guillemets jamais refermé",
    "Extra data": "contenu en trop après la fin des données",
    "Invalid control character at": "caractère de contrôle interdit dans un texte",
    "Invalid \\escape": "séquence d'échappement (\\) invalide",
    "Invalid \\uXXXX escape": "séquence \\uXXXX invalide",
    "Illegal trailing comma before end of array": "virgule en trop avant la fin de la liste",
    "Illegal trailing comma before end of object": "virgule en trop avant la fin de l'objet",
}


def _object_rows(items: list, name: str) -> list[dict]:
    for position, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            kind = {list: "une liste", str: "un texte", type(None): "null", bool: "un booléen"}.get(
                type(item), "un nombre"
            )
            raise NotATable(name, f"l'élément n°{position} de la liste JSON n'est pas un objet ({kind})")
    return items


def _geojson_rows(features: list, name: str) -> list[dict]:
    rows = []
    for position, feature in enumerate(features, start=1):
        if not isinstance(feature, dict):
            raise NotATable(name, f"l'élément n°{position} de « features » n'est pas un objet GeoJSON")
        properties = feature.get("properties")
        row = dict(properties) if isinstance(properties, dict) else {}
        geometry = feature.get("geometry")
        if isinstance(geometry, dict) and geometry.get("type") == "Point":
            coordinates = geometry.get("coordinates")
            if isinstance(coordinates, list) and len(coordinates) >= 2:
                row.setdefault("longitude", coordinates[0])
                row.setdefault("latitude", coordinates[1])
        rows.append(row)
    return rows


def _read_json(text: str, name: str, encoding: str) -> Table:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        message = _JSON_MESSAGES.get(error.msg, error.msg)
        raise NotATable(name, f"JSON invalide ligne {error.lineno}, colonne {error.colno} : {message}") from None
    except (RecursionError, ValueError):
        raise NotATable(name, "JSON illisible (trop imbriqué ou nombre trop long)") from None

    if isinstance(document, list):
        items = _object_rows(document, name)
    elif isinstance(document, dict):
        if document.get("type") == "FeatureCollection" and isinstance(document.get("features"), list):
            items = _geojson_rows(document["features"], name)
        else:
            lists = [(key, value) for key, value in document.items() if isinstance(value, list)]
            if len(lists) != 1:
                keys = _quote_list([str(k) for k in document][:10])
                raise NotATable(
                    name,
                    "le JSON n'est pas une liste d'objets : attendu [ {…}, {…} ] ou un objet contenant une "
                    f"seule liste (clés trouvées : {keys})",
                )
            key, value = lists[0]
            items = _object_rows(value, name)
    else:
        raise NotATable(name, "le JSON n'est pas une liste d'objets")
    if not items:
        raise NotATable(name, "la liste JSON est vide : aucune ligne de données")

    key_names: dict[str, str] = {}
    raw_keys: list[str] = []
    for item in items:
        for key in item:
            if key not in key_names:
                key_names[key] = ""
                raw_keys.append(key)
    columns, unnamed = _header_names(raw_keys)
    key_names = dict(zip(raw_keys, columns))

    rows: list[dict[str, str | None]] = []
    line_numbers: list[int] = []
    for position, item in enumerate(items, start=1):
        row: dict[str, str | None] = dict.fromkeys(columns)
        for key, value in item.items():
            try:
                row[key_names[key]] = _json_text(value)
            except RecursionError:
                raise NotATable(
                    name, f"JSON illisible : l'élément n°{position}, clé « {key} », a des valeurs imbriquées trop "
                    "profondément"
                ) from None
        if not any(value is not None for value in row.values()):
            continue
        rows.append(row)
        line_numbers.append(position)
    if not rows:
        raise NotATable(name, "les objets de la liste JSON sont tous vides : aucune ligne de données")
    columns = _drop_empty_unnamed(columns, rows, unnamed)
    return Table(file=name, format="json", columns=columns, rows=rows, line_numbers=line_numbers, encoding=encoding)
