"""CSV files that open correctly in French Excel, and never run a formula.

French Excel reads a CSV as ``;``-separated Windows text unless the file starts with a UTF-8
BOM; decimals are written with a comma. A cell starting with ``=``, ``+``, ``-``, ``@`` (or a tab
or carriage return) may be run as a formula (CSV injection, OWASP): such text cells get a leading
apostrophe, which Excel shows as plain text. Numbers are written as numbers.

The one CSV writer of Maillage: every CSV meant for people goes through it (problem reports,
responses, coordinator tables, relances, the pages' downloads, the CSV twin of each table in
``maillage export-all``). It imports nothing of Maillage, so ``models/`` may use it too. The
open-data export (``sync/export.py``) writes the national standard's CSV, comma-separated, and
neutralises its texts itself except the fields the standard fixes (phones, coordinates).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """Text a spreadsheet shows as text: a leading apostrophe before a formula-like start."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def excel_cell(value: Any) -> str:
    """One cell as French Excel reads it: decimal comma, dd/mm/yyyy dates, Oui/Non, safe text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Oui" if value else "Non"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value).replace(".", ",") if math.isfinite(value) else ""  # no « inf » Excel would misread
    if isinstance(value, Decimal):
        return str(value).replace(".", ",") if value.is_finite() else ""
    if isinstance(value, datetime):  # as given: callers convert a moment to the reader's zone first
        return value.strftime("%d/%m/%Y %H:%M:%S" if value.second or value.microsecond else "%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, list | tuple):
        return neutralise(" | ".join(str(v) for v in value))
    return neutralise(str(value))


def _write(out: TextIO, columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> int:
    """Header then one line per row, ``;``-separated, into ``out``; return the rows written."""
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([neutralise(str(c)) for c in columns])
    count = 0
    for row in rows:
        writer.writerow([excel_cell(row.get(column)) for column in columns])
        count += 1
    return count


def excel_csv_text(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    """The CSV text (without BOM): header then one line per row, ``;``-separated."""
    buffer = io.StringIO()
    _write(buffer, columns, rows)
    return buffer.getvalue()


def excel_csv_bytes(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> bytes:
    """The CSV as bytes, UTF-8 with BOM (what a download button sends)."""
    return excel_csv_text(columns, rows).encode("utf-8-sig")


def write_excel_csv(path: str | Path, columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> int:
    """Write the CSV (UTF-8 with BOM) to ``path``, row by row as ``rows`` yields them (a table of any
    size), through a temporary file, so a failure leaves no half file; return the rows written."""
    target = Path(path)
    partial = target.with_name(target.name + ".partiel")
    try:
        with partial.open("w", encoding="utf-8-sig", newline="") as out:
            count = _write(out, columns, rows)
        partial.replace(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return count
