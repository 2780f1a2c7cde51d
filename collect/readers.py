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
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from models.errors import NotATable
from models.text import counted, figure

# Key under which a CSV row keeps the cells beyond the header's width (joined with the delimiter).
EXTRA_KEY = "__extra__"

CSV_DELIMITERS = (";", ",", "\t", "|")  # order = preference when the evidence is even


class Row(Mapping[str, "str | None"]):
    """One line's cells by column name: a tuple, behind column positions that every line of its table shares.

    A dict a line costs ~830 bytes for 30 columns, this ~320: 150 MB less for 300 000 lines. Read-only;
    a column taken out of the table (:meth:`RowLayout.drop`) is gone from every line at once."""

    __slots__ = ("_cells", "_positions")

    def __init__(self, positions: dict[str, int], cells: tuple[str | None, ...]) -> None:
        self._positions = positions
        self._cells = cells

    def __getitem__(self, column: str) -> str | None:
        return self._cells[self._positions[column]]

    def get(self, column: str, default: Any = None) -> Any:  # type: ignore[override]
        position = self._positions.get(column)
        return default if position is None else self._cells[position]

    def __contains__(self, column: object) -> bool:
        return column in self._positions

    def __iter__(self) -> Iterator[str]:
        return iter(self._positions)

    def __len__(self) -> int:
        return len(self._positions)

    def __reduce__(self) -> tuple[type[Row], tuple[dict[str, int], tuple[str | None, ...]]]:
        return Row, (self._positions, self._cells)  # a chunk of lines pickles its shared positions once

    def __repr__(self) -> str:
        return f"Row({dict(self)!r})"

    def cells_of(self, columns: Sequence[str]) -> list[str | None]:
        """The cells of ``columns``, in that order (None for a column the row lacks)."""
        positions, cells = self._positions, self._cells
        return [cells[positions[column]] if column in positions else None for column in columns]


class RowLayout:
    """The column positions a table's rows share: one for plain lines, one for lines with cells beyond the
    header (:data:`EXTRA_KEY`, the last cell)."""

    def __init__(self, columns: list[str]) -> None:
        self._plain = {column: position for position, column in enumerate(columns)}
        self._with_extra = {**self._plain, EXTRA_KEY: len(columns)}

    def row(self, cells: list[str | None], extra: str | None = None) -> Row:
        """A line of ``cells``, one per column, and the text of the cells beyond the header, if any."""
        if extra is None:
            return Row(self._plain, tuple(cells))
        return Row(self._with_extra, (*cells, extra))

    def drop(self, columns: list[str]) -> None:
        """Take ``columns`` out of every row."""
        for positions in (self._plain, self._with_extra):
            for column in columns:
                positions.pop(column, None)


def column_cells(rows: Sequence[Mapping[str, str | None]], name: str) -> list[str | None]:
    """The cell of column ``name`` of each row of a table (None where a row lacks it), in one pass. The ``Row``s of
    one table share their column positions: the position is looked up once, not once a row."""
    if not rows or not isinstance(rows[0], Row):
        return [row.get(name) for row in rows]
    position = rows[0]._positions.get(name)
    if position is None:
        return [None] * len(rows)
    return [row._cells[position] for row in rows]  # type: ignore[attr-defined]


def cells_of(row: Mapping[str, str | None], columns: Sequence[str]) -> list[str | None]:
    """The cells of ``columns`` of a row of any table, in that order (None for a column the row lacks): one call
    a line, not one a cell."""
    if isinstance(row, Row):
        return row.cells_of(columns)
    return [row.get(column) for column in columns]


@dataclass
class Table:
    """A table read from a file: header, rows of text, and where each row is in the file."""

    file: str
    format: str  # "csv", "xlsx" or "json"
    columns: list[str]
    rows: list[Mapping[str, str | None]]  # Row for CSV and XLSX, dict for JSON
    line_numbers: list[int]
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    header_line: int = 1  # where the column names are (a workbook may start lower down)

    def column(self, name: str) -> list[str | None]:
        """Every line's cell in column ``name`` (None where a line lacks it)."""
        return column_cells(self.rows, name)


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
        return _read(data if type(data) is bytes else bytes(data), name, sheet)  # no copy of a big file
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


def _drop_empty_unnamed(columns: list[str], rows: list[Mapping[str, str | None]], unnamed: set[str],
                        layout: RowLayout | None = None) -> list[str]:
    """Remove the columns without a header name that are empty on every row (Excel leftovers)."""
    empty = [c for c in columns if c in unnamed and all(row.get(c) is None for row in rows)]
    if not empty:
        return columns
    if layout is not None:
        layout.drop(empty)
    else:
        for row in rows:
            for column in empty:
                row.pop(column, None)  # type: ignore[attr-defined]
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


_LINES_BLOCK = 1 << 20  # characters


def _line_end(text: str, at: int) -> int:
    """Where the line holding ``text[at]`` ends (just after its \\n, \\r\\n or \\r), or the text's length."""
    ends = [end for end in (text.find("\n", at), text.find("\r", at)) if end >= 0]
    if not ends:
        return len(text)
    end = min(ends)
    return end + 2 if text.startswith("\r\n", end) else end + 1


def _lines_of(text: str, block: int = _LINES_BLOCK) -> Iterator[str]:
    """The lines of ``text`` with their ends, as ``io.StringIO(text, newline="")`` gives them, read a
    block at a time: a StringIO of a whole file holds 4 bytes per character (450 MB for a 100 MB CSV)."""
    start, size = 0, len(text)
    while start < size:
        end = size
        if start + block < size:
            cut = text.rfind("\n", start, start + block)  # a \r\n is never split
            end = cut + 1 if cut >= start else _line_end(text, start + block)
        yield from io.StringIO(text[start:end], newline="")
        start = end


def _records(text: str, delimiter: str):
    """csv records with the physical line where each starts; ends with the sentinel record."""

    def source():
        yield from _lines_of(text)
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


SHARED_CELLS_PER_COLUMN = 4096


class _SharedCells:
    """Each column's repeated cells kept as one string (a commune, a date, a list of services written on
    thousands of lines): a big file's rows hold far less. A column of mostly different cells (names,
    ids, phones) stops being shared past ``SHARED_CELLS_PER_COLUMN`` of them: no table grows further."""

    def __init__(self, width: int) -> None:
        self._seen: list[dict[str, str]] = [{} for _ in range(width)]
        self._shared = tuple(range(width))

    def share(self, cells: list[str | None]) -> None:
        """Replace, in place, each cell already met in its column by the string kept for it."""
        for index in self._shared:
            if index < len(cells) and (cell := cells[index]):
                seen = self._seen[index]
                kept = cells[index] = seen.setdefault(cell, cell)
                if kept is cell and len(seen) > SHARED_CELLS_PER_COLUMN:
                    self._shared = tuple(i for i in self._shared if i != index)
                    self._seen[index] = {}


# Long: one reading loop (an unclosed quote, the header, short and long lines kept whole, line numbers of
# multi-line records) whose state (columns, width, shared cells) its checks share.
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
    rows: list[Mapping[str, str | None]] = []
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
                shared = _SharedCells(width)
                layout = RowLayout(columns)
                continue
            shared.share(cells)
            extra = None
            if len(cells) < width:
                cells += [""] * (width - len(cells))
            elif len(cells) > width:
                beyond = cells[width:]
                while beyond and not beyond[-1]:
                    beyond.pop()
                extra = join_with.join(beyond) if beyond else None
                del cells[width:]
            rows.append(layout.row([cell or None for cell in cells], extra))
            line_numbers.append(start)
    except _RecordError as error:
        raise NotATable(name, _record_problem(error)) from None

    if columns is None:
        raise NotATable(name, "le fichier est vide")
    if not rows:
        raise NotATable(name, "aucune ligne de données (seulement la ligne d'en-tête)")
    columns = _drop_empty_unnamed(columns, rows, unnamed, layout)
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
#
# Cells are read by python-calamine (Rust: 20 000 rows × 20 columns in a fraction of a second,
# where openpyxl took seconds and a 1 000 000-row sheet minutes). Before calamine loads anything,
# the archive and the chosen sheet are checked here, so that a file beyond the limits is refused
# at once, in French, instead of filling the memory or keeping a core busy for minutes:
#
# 1. the archive's announced uncompressed size (a zip bomb is refused before any inflating);
# 2. every part calamine will read is inflated here once, with zlib, and must give exactly the
#    size and CRC it announces (a part that inflates beyond its announced size is refused: zipfile
#    would silently cut it, calamine would not);
# 3. the chosen sheet's XML is scanned as it inflates: where its values really are (rows holding a
#    value, last row, last column). The ``<dimension ref="A1:T1000000">`` a producer writes is only
#    quoted, never trusted: a file announcing a huge range but holding few values is read, one
#    really holding 1 000 000 rows is refused when the scan passes row MAX_SHEET_ROWS.
#
# The same scan notes what calamine does not give as openpyxl did: the text of error cells
# (``#N/A``), the cells whose number format is made of digits only (``00000`` keeps a postcode's
# leading zero) and the numbers under a date format outside Excel's dates (``#VALUE!``, 1899…).
# When calamine still fails on a cell (a duration of 10^20 days makes it panic), openpyxl reads
# the sheet as before: slower, but within the limits checked first.

# A lieu is a row. A national registry is ~100 000 lieux (and a bench imports 300 000): beyond, a
# file is not a list of lieux; split it.
MAX_SHEET_ROWS = 300_000
# The national standard has 32 columns, the widest real exports ~100 (a column per service):
# 500 leaves room, Excel's 16 384 does not matter here.
MAX_SHEET_COLUMNS = 500
# calamine holds the sheet's rectangle (first to last row holding a value × columns) in memory,
# ~32 bytes a cell: 20 000 000 cells ≈ 640 MB, and the table of text read from it as much as the
# same CSV would take. 300 000 rows × 66 columns fit.
MAX_SHEET_CELLS = 20_000_000
# An .xlsx at the cell limit holds ~1 GB of XML (inline texts as openpyxl writes them: ~50 bytes a
# cell): announcing more than 2 GB once inflated is not a spreadsheet within the limits.
MAX_XLSX_UNCOMPRESSED = 2_000_000_000

_INFLATE_CHUNK = 1 << 20
_MAX_ROW_BYTES = 256 << 20  # one <row> element, scanned whole: beyond, the file is not a table
_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature, …, name length, extra length
_MAIN_PART = "xl/workbook.xml"
_WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
_SMALL_PART = 64 << 20  # workbook, relationships, styles: parsed whole


def _size_text(size: int) -> str:
    """« 84,2 ko », « 12,3 Mo », « 2,0 Go »."""
    for unit, scale in (("Go", 1e9), ("Mo", 1e6), ("ko", 1e3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}".replace(".", ",")
    return f"{size} octets"


def _column_letters(index: int) -> str:
    """1 → A, 27 → AA, 16 384 → XFD."""
    letters = ""
    while index > 0:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _column_index(letters: bytes) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + letter - 64
    return index


_COLUMNS = {_column_letters(index).encode("ascii"): index for index in range(1, 703)}  # A … ZZ


def _damaged(name: str) -> NotATable:
    return NotATable(name, "classeur Excel (.xlsx) illisible ou endommagé")


class _Archive:
    """The .xlsx zip: its members, announced sizes checked, each part inflated and verified."""

    def __init__(self, data: bytes, name: str) -> None:
        self.data, self.name = data, name
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                self.members = {info.filename: info for info in archive.infolist()}
        except Exception:  # noqa: BLE001 - BadZipFile, truncated archives, odd headers…
            raise NotATable(name, "archive zip endommagée ou fichier .xlsx incomplet") from None
        announced = sum(info.file_size for info in self.members.values())
        if announced > MAX_XLSX_UNCOMPRESSED:
            raise NotATable(
                name,
                f"classeur Excel (.xlsx) de {_size_text(announced)} une fois décompressé, plus que les "
                f"{_size_text(MAX_XLSX_UNCOMPRESSED)} qu'un import accepte (archive anormale, ou classeur bien plus "
                f"grand que {figure(MAX_SHEET_ROWS)} lignes) ; enregistrez la feuille utile seule, en .xlsx ou en CSV",
            )

    def chunks(self, part: str) -> Iterator[bytes]:
        """The inflated bytes of ``part``, exactly as announced (size and CRC) or NotATable."""
        info = self.members.get(part)
        if info is None:
            raise _damaged(self.name)
        start = info.header_offset
        try:
            signature, name_length, extra_length = _LOCAL_HEADER.unpack_from(self.data, start)
        except struct.error:
            raise _damaged(self.name) from None
        if signature != b"PK\x03\x04" or info.flag_bits & 0x1:  # not a local header, or encrypted
            raise _damaged(self.name)
        begin = start + _LOCAL_HEADER.size + name_length + extra_length
        # As zipfile does, a compressed size a little wrong is forgiven: the deflate stream says where it ends.
        raw = memoryview(self.data)[begin: begin + info.compress_size]
        produced, crc = 0, 0
        if info.compress_type == zipfile.ZIP_STORED:
            raw = raw[: info.file_size]
            pieces: Iterator[bytes] = (bytes(raw[i: i + _INFLATE_CHUNK]) for i in range(0, len(raw), _INFLATE_CHUNK))
            def finished() -> bool:
                return True
        elif info.compress_type == zipfile.ZIP_DEFLATED:
            inflater = zlib.decompressobj(-zlib.MAX_WBITS)
            pieces = self._inflated(raw, inflater)
            def finished() -> bool:
                return inflater.eof
        else:
            raise NotATable(self.name, "classeur Excel (.xlsx) compressé d'une façon non prise en charge : "
                                       "enregistrez-le de nouveau depuis Excel ou LibreOffice")
        for piece in pieces:
            produced += len(piece)
            if produced > info.file_size:
                raise _BeyondAnnounced(self.name, f"classeur Excel (.xlsx) anormal : la partie « {part} » se "
                                                  f"décompresse au-delà des {_size_text(info.file_size)} annoncés "
                                                  "(archive piégée ?)")
            crc = zlib.crc32(piece, crc)
            yield piece
        if not finished() or produced != info.file_size or crc != info.CRC:
            raise _damaged(self.name)

    @staticmethod
    def _inflated(raw: memoryview, inflater: Any) -> Iterator[bytes]:
        position = 0
        while not inflater.eof:
            if inflater.unconsumed_tail:
                pending = inflater.unconsumed_tail
            else:
                pending = raw[position: position + _INFLATE_CHUNK]
                position += len(pending)
            try:
                piece = inflater.decompress(pending, _INFLATE_CHUNK)
            except zlib.error:
                return
            if not piece and not pending:
                return  # the compressed data ended before the stream: the caller sees it unfinished
            yield piece

    def read(self, part: str) -> bytes:
        """A small part whole (workbook, relationships, styles), verified."""
        info = self.members.get(part)
        if info is None or info.file_size > _SMALL_PART:
            raise _damaged(self.name)
        return b"".join(self.chunks(part))

    def verify(self, part: str, *, needed: bool) -> None:
        """Inflate ``part`` through: refused if it inflates beyond its announced size; if it is damaged,
        only when the sheet's values need it (zipfile and openpyxl forgave a damaged part they did not read)."""
        try:
            for _ in self.chunks(part):
                pass
        except _BeyondAnnounced:
            raise
        except NotATable:
            if needed:
                raise


class _BeyondAnnounced(NotATable):
    """A part of the archive inflates beyond the size it announces (what a zip bomb does)."""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _xml(archive: _Archive, part: str) -> ElementTree.Element:
    try:
        return ElementTree.fromstring(archive.read(part))
    except ElementTree.ParseError:
        raise _damaged(archive.name) from None


@dataclass
class _SheetEntry:
    title: str
    part: str | None  # the sheet's XML in the archive
    is_worksheet: bool


def _sheet_entries(archive: _Archive) -> list[_SheetEntry]:
    """The workbook's sheets in order, with the part holding each (workbook.xml and its relationships)."""
    targets: dict[str, tuple[str, str]] = {}
    if _WORKBOOK_RELS in archive.members:
        for relation in _xml(archive, _WORKBOOK_RELS):
            if _local(relation.tag) == "Relationship" and relation.get("Id") and relation.get("Target"):
                target = relation.get("Target", "")
                part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
                targets[relation.get("Id", "")] = (part, relation.get("Type", ""))
    entries = []
    for element in _xml(archive, _MAIN_PART).iter():
        if _local(element.tag) != "sheet":
            continue
        relation = next((v for k, v in element.attrib.items() if _local(k) == "id" and k.startswith("{")), None)
        part, kind = targets.get(relation or "", (None, ""))
        entries.append(_SheetEntry(element.get("name", ""), part, not kind.endswith(("/chartsheet", "/dialogsheet"))))
    return entries


@dataclass
class _Styles:
    """What the scan needs of the workbook's cell styles (index in ``cellXfs``)."""

    digits: dict[int, str] = field(default_factory=dict)  # digits-only number format (``00000``)
    dates: set[int] = field(default_factory=set)  # a date or time format (not a duration)
    date1904: bool = False


def _styles(archive: _Archive) -> _Styles:
    from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format

    styles = _Styles()
    for element in _xml(archive, _MAIN_PART).iter():
        if _local(element.tag) == "workbookPr":
            styles.date1904 = element.get("date1904", "").lower() in ("1", "true")
    part = "xl/styles.xml"
    if part not in archive.members:
        return styles
    root = _xml(archive, part)
    formats = {str(k): v for k, v in BUILTIN_FORMATS.items()}
    for element in root.iter():
        if _local(element.tag) == "numFmt" and element.get("formatCode"):
            formats[element.get("numFmtId", "")] = element.get("formatCode", "")
    for element in root:
        if _local(element.tag) != "cellXfs":
            continue
        for index, xf in enumerate(child for child in element if _local(child.tag) == "xf"):
            code = formats.get(xf.get("numFmtId", "0"))
            if not code:
                continue
            if "0" in code and _DIGIT_FORMAT.fullmatch(code) and code != "0":
                styles.digits[index] = code
            elif is_date_format(code) and not is_timedelta_format(code):
                styles.dates.add(index)
    return styles


def _odd_date_text(serial: float, date1904: bool) -> str | None:
    """A number under a date format, as openpyxl read it before (``#VALUE!`` beyond the dates)."""
    from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH, from_excel

    try:
        return _cell_text(from_excel(serial, MAC_EPOCH if date1904 else WINDOWS_EPOCH))
    except (OverflowError, ValueError):
        return "#VALUE!"


# Numbers under a date format that calamine does not read as Excel shows them: before 1900 (negative),
# after 9999 (7 digits), a hair short of one day, or written with an exponent.
_ODD_DATE_VALUE = re.compile(rb"<(?:\w+:)?v>\s*(?:-|\d{7}|0\.9999999[89]|[0-9.]+[eE])")
_SAFE_DATES = (0.99999998, 1.0, 2958466.0)


@dataclass
class _SheetScan:
    """Where the values of a sheet are, from its XML (rows and columns counted from 1)."""

    first_row: int = 0  # 0: no value at all
    last_row: int = 0
    last_column: int = 0
    last_column_row: int = 0
    filled_rows: int = 0
    dimension: str | None = None  # the range the file announces (quoted, never trusted)
    # What calamine does not give, by row then column: ("texte", "#N/A") for an error cell or an odd
    # date (shown as before), ("format", "00000") for a number shown with a digits-only format.
    notes: dict[int, dict[int, tuple[str, str]]] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return self.last_row - self.first_row + 1 if self.first_row else 0


_SHEET_DATA = re.compile(rb"<(\w+:)?sheetData[\s>/]")
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]{1,3}\d+(?::[A-Z]{1,3}\d+)?)"')
_ROW_NUMBER = re.compile(rb'\br="(\d+)"')
_CELL_REFERENCE = re.compile(rb'\br="([A-Z]{1,3})(\d+)"')
_STYLE = re.compile(rb'\bs="(\d+)"')


class _SheetScanner:
    """Feeds on the sheet's XML as it inflates; refuses the sheet as soon as it passes a limit."""

    def __init__(self, name: str, title: str, styles: _Styles) -> None:
        self.name, self.title, self.styles = name, title, styles
        self.scan = _SheetScan()
        self.prefix: bytes | None = None  # the namespace prefix of the sheet's elements (usually none)
        self.pending = b""
        self.row_number = 0

    def feed(self, piece: bytes, *, last: bool = False) -> None:
        buffer = self.pending + piece
        if self.prefix is None:  # the head of the sheet (views, columns…), then <sheetData>
            found = _SHEET_DATA.search(buffer)
            if found is None:
                self._too_long(buffer)
                self.pending = b"" if last else buffer
                return
            self._dimension(buffer[: found.start()])
            self.prefix = found.group(1) or b""
            self._compile()
            buffer = buffer[found.start():]
        if last:
            end = buffer.find(b"</" + self.prefix + b"sheetData>")
            self._rows(buffer if end < 0 else buffer[:end], final=True)
            self.pending = b""
            return
        cut = max(buffer.rfind(self.row_open + b" "), buffer.rfind(self.row_open + b">"))
        if cut <= 0:
            self._too_long(buffer)
            self.pending = buffer
            return
        self._rows(buffer[:cut])
        self.pending = buffer[cut:]

    def _too_long(self, buffer: bytes) -> None:
        if len(buffer) > _MAX_ROW_BYTES:
            raise NotATable(self.name, f"feuille « {self.title} » : une seule ligne de plus de "
                                       f"{_size_text(_MAX_ROW_BYTES)} en XML, ce n'est pas un tableau de lieux")

    def _dimension(self, head: bytes) -> None:
        found = _DIMENSION.search(head)
        if found:
            self.scan.dimension = found.group(1).decode("ascii")

    def _compile(self) -> None:
        p = self.prefix or b""
        self.row_open = b"<" + p + b"row"
        self.rows_split = re.compile(rb"<" + re.escape(p) + rb"row\b([^>]*)>")
        self.values = (b"<" + p + b"v>", b"<" + p + b"is>", b"<" + p + b"v ")
        self.cell_opens = (b"<" + p + b"c ", b"<" + p + b"c>")
        self.cell_close = b"</" + p + b"c>"
        self.cell_start = b"<" + p + b"c"
        self.cell = re.compile(rb"<" + re.escape(p) + rb"c\b([^>]*?)(/?)>")
        self.cell_at = re.compile(rb"<" + re.escape(p) + rb'c r="([A-Z]{1,3})(\d+)"')
        self.error_mark = b't="e"'
        self.digit_marks = tuple(b' s="%d"' % index for index in self.styles.digits)
        self.date_marks = tuple(b' s="%d"' % index for index in self.styles.dates)

    def _rows(self, block: bytes, *, final: bool = False) -> None:
        """The complete rows of ``block``: a few C-level searches a row (300 000 rows: well under a second)."""
        parts = self.rows_split.split(block)
        value, inline, value_with_attributes = self.values
        cell_open, cell_start, cell_at = self.cell_opens[0], self.cell_start, self.cell_at
        scan = self.scan
        first, last, filled, last_column = scan.first_row, scan.last_row, scan.filled_rows, scan.last_column
        noting = self.error_mark in block or any(m in block for m in self.digit_marks) or (
            self.date_marks and _ODD_DATE_VALUE.search(block) is not None)
        row = self.row_number
        for position in range(1, len(parts), 2):
            attributes, content = parts[position], parts[position + 1]
            row += 1  # a row without r="…" follows the previous one
            tag = content.rfind(cell_open)
            if tag >= 0 and (content.find(value, tag) > 0 or content.find(inline, tag) > 0):  # the last cell has a value
                cell = cell_at.match(content, tag)
                if cell is not None:
                    column, row = _COLUMNS.get(cell.group(1)) or _column_index(cell.group(1)), int(cell.group(2))
                else:  # cells without r="…": the last one's rank
                    if b"r=" in attributes:
                        numbered = _ROW_NUMBER.search(attributes)
                        row = int(numbered.group(1)) if numbered else row
                    column = content.count(cell_start)  # <c …> and <c>: no other element of a row starts so
            else:  # no cell, or a last cell without a value (styled, empty): the slow way
                if b"r=" in attributes:
                    numbered = _ROW_NUMBER.search(attributes)
                    row = int(numbered.group(1)) if numbered else row
                if attributes.endswith(b"/") or (value not in content and inline not in content
                                                 and value_with_attributes not in content):
                    continue
                column = self._last_value_column(content)
            filled += 1
            first = first or row
            last = row
            if column > last_column:
                last_column, scan.last_column_row = column, row
            if noting and (self.error_mark in content or any(m in content for m in self.digit_marks) or (
                    self.date_marks and _ODD_DATE_VALUE.search(content) and any(m in content for m in self.date_marks))):
                self._note_cells(row, content)
        self.row_number = row
        scan.first_row, scan.last_row, scan.filled_rows, scan.last_column = first, max(last, scan.last_row), filled, \
            last_column
        self._check(final=final)

    def _last_value_column(self, content: bytes) -> int:
        """The column of the row's last cell holding a value (its reference, else its rank in the row)."""
        end = max(content.rfind(mark) for mark in self.values)
        tag = max(content.rfind(opening, 0, end) for opening in self.cell_opens)
        if tag < 0:
            return 1
        reference = _CELL_REFERENCE.search(content, tag, content.find(b">", tag) + 1)
        if reference:
            return _column_index(reference.group(1))
        return sum(content.count(opening, 0, tag + len(opening)) for opening in self.cell_opens)

    def _note_cells(self, row: int, content: bytes) -> None:
        """The cells of a row that calamine does not give as a person sees them: found by their marks
        (a style, ``t="e"``, an odd number), so the cost is that of these cells, not of the row."""
        styles = self.styles
        notes: dict[int, tuple[str, str]] = {}
        for mark, index in zip(self.digit_marks, styles.digits, strict=True):
            at = content.find(mark)
            while at >= 0:
                notes[self._column_at(content, at)] = ("format", styles.digits[index])
                at = content.find(mark, at + len(mark))
        at = content.find(self.error_mark)
        while at >= 0:
            notes[self._column_at(content, at)] = ("texte", self._value_after(content, at).decode("utf-8", "replace"))
            at = content.find(self.error_mark, at + 1)
        if self.date_marks:
            for odd in _ODD_DATE_VALUE.finditer(content):
                tag = max(content.rfind(opening, 0, odd.start()) for opening in self.cell_opens)
                attributes = content[tag: content.find(b">", tag)]
                style = _STYLE.search(attributes)
                if (tag < 0 or not style or int(style.group(1)) not in styles.dates
                        or b't="' in attributes.replace(b't="n"', b"")):
                    continue
                try:
                    serial = float(self._value_after(content, tag))
                except ValueError:
                    continue
                low, one, high = _SAFE_DATES
                if not (0 <= serial <= low or one <= serial < high):
                    text = _odd_date_text(serial, styles.date1904) or ""
                    notes[self._column_at(content, odd.start())] = ("texte", text)
        if notes:
            self.scan.notes[row] = notes

    def _column_at(self, content: bytes, at: int) -> int:
        """The column of the cell whose tag holds position ``at`` (its reference, else its rank in the row)."""
        tag = max(content.rfind(opening, 0, at) for opening in self.cell_opens)
        reference = _CELL_REFERENCE.search(content, tag, content.find(b">", tag) + 1)
        if reference:
            return _column_index(reference.group(1))
        return sum(content.count(opening, 0, tag + len(opening)) for opening in self.cell_opens)

    def _value_after(self, content: bytes, at: int) -> bytes:
        """The text of the ``<v>`` of the cell whose tag holds position ``at`` (empty if it has none)."""
        value = self.values[0]
        start, close = content.find(value, at), content.find(self.cell_close, at)
        if not 0 <= start < close:
            return b""
        start += len(value)
        return content[start: content.find(b"<", start)].strip()

    def _check(self, *, final: bool) -> None:
        scan = self.scan
        rows, columns = scan.rows, scan.last_column
        if rows <= MAX_SHEET_ROWS and columns <= MAX_SHEET_COLUMNS and rows * columns <= MAX_SHEET_CELLS:
            return
        at_least = "" if final else " au moins"
        last_cell = f"{_column_letters(columns)}{scan.last_column_row}"
        if columns > MAX_SHEET_COLUMNS:
            found = (f"des valeurs jusqu'à la colonne {_column_letters(columns)} ({figure(columns)}e colonne, cellule "
                     f"{last_cell}), plus que les {figure(MAX_SHEET_COLUMNS)} colonnes qu'un import accepte")
        elif rows > MAX_SHEET_ROWS:
            found = (f"des valeurs de la ligne {figure(scan.first_row)} à la ligne {figure(scan.last_row)}{at_least} "
                     f"({counted(scan.filled_rows, 'ligne remplie', 'lignes remplies')}, "
                     f"{counted(columns, 'colonne', 'colonnes')}), plus que les {figure(MAX_SHEET_ROWS)} lignes qu'un "
                     "import accepte")
        else:
            found = (f"{counted(rows, 'ligne', 'lignes')} × {counted(columns, 'colonne', 'colonnes')} = "
                     f"{figure(rows * columns)} cellules{at_least} (des valeurs jusqu'à la ligne "
                     f"{figure(scan.last_row)} et la colonne {_column_letters(columns)}), plus que les "
                     f"{figure(MAX_SHEET_CELLS)} cellules qu'un import accepte")
        announced = f" ; la feuille annonce la plage {scan.dimension}" if scan.dimension else ""
        raise NotATable(
            self.name,
            f"feuille « {self.title} » trop grande pour un import : {found}{announced} ; limites d'un import : "
            f"{figure(MAX_SHEET_ROWS)} lignes, {figure(MAX_SHEET_COLUMNS)} colonnes, {figure(MAX_SHEET_CELLS)} "
            "cellules. Découpez le tableau en fichiers plus petits, ou supprimez les lignes et colonnes en trop "
            "(une valeur isolée loin du tableau suffit à l'étendre).",
        )

    def finish(self) -> _SheetScan:
        self.feed(b"", last=True)
        self._check(final=True)
        return self.scan


def _choose_sheet(entries: list[_SheetEntry], name: str, sheet: str | None) -> _SheetEntry:
    worksheets = [entry for entry in entries if entry.is_worksheet]
    if sheet is None:
        if not worksheets:
            raise NotATable(name, "le classeur ne contient aucune feuille de calcul")
        return worksheets[0]
    wanted = sheet.strip()
    matches = [e for e in worksheets if e.title == wanted] or [
        e for e in worksheets if e.title.strip().casefold() == wanted.casefold()
    ]
    if not matches:
        sheetnames = [entry.title for entry in entries]
        raise NotATable(name, f"la feuille « {sheet} » n'existe pas ; feuilles du classeur : {_quote_list(sheetnames)}")
    return matches[0]


def _read_xlsx(data: bytes, name: str, sheet: str | None) -> Table:
    archive = _Archive(data, name)
    entries = _sheet_entries(archive)
    chosen = _choose_sheet(entries, name, sheet)
    if chosen.part is None or chosen.part not in archive.members:
        raise _damaged(name)
    # Every part calamine may read is inflated once first, bounded (not the other sheets, images…).
    folder, _, file = chosen.part.rpartition("/")
    for part in archive.members:
        if part.endswith((".xml", ".rels")) and (not part.startswith(_NOT_READ) or part == f"{folder}/_rels/{file}.rels"):
            archive.verify(part, needed=part in _NEEDED)
    scanner = _SheetScanner(name, chosen.title, _styles(archive))
    for piece in archive.chunks(chosen.part):
        scanner.feed(piece)
    scan = scanner.finish()
    return _read_sheet(data, name, chosen.title, [entry.title for entry in entries], scan)


# The parts the values of a sheet need (besides the sheet): damaged, the file cannot be read.
_NEEDED = frozenset({_MAIN_PART, _WORKBOOK_RELS, "xl/styles.xml", "xl/sharedStrings.xml"})
# Parts calamine never reads for the values of one sheet: not inflated (a workbook's other sheets).
_NOT_READ = ("xl/worksheets/", "xl/chartsheets/", "xl/drawings/", "xl/charts/", "xl/media/", "xl/pivotCache/",
             "xl/externalLinks/", "docProps/", "customXml/")


def _read_sheet(data: bytes, name: str, title: str, sheetnames: list[str], scan: _SheetScan) -> Table:
    try:
        lines = _calamine_lines(data, title, scan)
    except Exception:  # noqa: BLE001 - calamine refuses a few cells openpyxl reads (a duration of 10^20 days)
        lines = None
    except BaseException as error:  # a Rust panic in calamine is a BaseException (pyo3's PanicException)
        if type(error).__name__ != "PanicException":
            raise
        lines = None
    if lines is None:
        # Within the limits (checked above), so bounded: openpyxl reads them as before, slower.
        lines = _openpyxl_lines(data, name, title)

    header: list[str | None] | None = None
    header_row = 0
    raw_rows: list[list[str | None]] = []
    line_numbers: list[int] = []
    width = 0
    for row_number, values in lines:
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
    rows: list[Mapping[str, str | None]] = []
    shared = _SharedCells(width)
    layout = RowLayout(columns)
    for values in raw_rows:
        values = values + [None] * (width - len(values))
        shared.share(values)
        rows.append(layout.row(values))
    columns = _drop_empty_unnamed(columns, rows, unnamed, layout)
    return Table(file=name, format="xlsx", columns=columns, rows=rows, line_numbers=line_numbers, sheet=title,
                 header_line=header_row)


def _calamine_lines(data: bytes, title: str, scan: _SheetScan) -> list[tuple[int, list[str | None]]]:
    """The non-empty rows of the sheet (row number, texts without the trailing empty cells), by calamine."""
    from python_calamine import CalamineWorkbook  # imported here: only XLSX needs it

    lines: list[tuple[int, list[str | None]]] = []
    with CalamineWorkbook.from_filelike(io.BytesIO(data)) as workbook:
        worksheet = workbook.get_sheet_by_name(title)
        start, end = worksheet.start, worksheet.end
        if start is None or end is None:
            return lines
        yielded = 0
        skipped: int | None = None  # empty columns left of the first value: calamine starts there
        for index, cells in enumerate(worksheet.iter_rows()):
            yielded += 1
            if skipped is None:
                skipped = start[1] if len(cells) < end[1] + 1 else 0
            row_number = index + 1  # calamine gives the rows from the sheet's first one, empty or not
            values = [None] * skipped + [_cell_text(value) for value in cells]
            notes = scan.notes.get(row_number)
            if notes:
                _apply_notes(values, cells, skipped, notes)
            while values and values[-1] is None:
                values.pop()
            if values:
                lines.append((row_number, values))
        if yielded != end[0] + 1:  # not the rows this calamine is known to give: never misnumber a line
            raise ValueError(f"calamine gave {yielded} rows for a sheet ending on row {end[0] + 1}")
    return lines


def _openpyxl_lines(data: bytes, name: str, title: str) -> list[tuple[int, list[str | None]]]:
    """The same as :func:`_calamine_lines`, by openpyxl (the reader before calamine)."""
    import warnings

    import openpyxl

    lines: list[tuple[int, list[str | None]]] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns about what it drops (data validation, odd dates…)
        try:
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:  # noqa: BLE001 - any corruption in the zip or its XML parts
            raise _damaged(name) from None
        try:
            worksheet = workbook[title]
            worksheet.reset_dimensions()  # some producers write a wrong <dimension>: read every row
            for row_number, cells in enumerate(worksheet.iter_rows(), start=1):
                values = [_cell_text(cell.value, getattr(cell, "number_format", None)) for cell in cells]
                while values and values[-1] is None:
                    values.pop()
                if values:
                    lines.append((row_number, values))
        except Exception:  # noqa: BLE001
            raise _damaged(name) from None
        finally:
            workbook.close()
    return lines


def _apply_notes(values: list[str | None], cells: list, skipped: int, notes: dict[int, tuple[str, str]]) -> None:
    """The text of error cells and the digits-only formats of one row, which calamine does not give."""
    for column, (kind, detail) in notes.items():
        if not 0 < column <= len(values):
            continue
        if kind == "texte":
            values[column - 1] = detail or None
            continue
        value = cells[column - 1 - skipped] if column > skipped else None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            values[column - 1] = _cell_text(value, detail)


def _quote_list(names: list[str]) -> str:
    return ", ".join(f"« {n} »" for n in names) if names else "aucune"


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
    key_names = dict(zip(raw_keys, columns, strict=True))

    rows: list[Mapping[str, str | None]] = []
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
