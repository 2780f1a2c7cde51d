"""A Google Sheets API v4 (and Drive v3 ``files``) emulator, served over HTTP on 127.0.0.1.

Why: the two-way Google Sheets sync must be tested against gspread's real client and Google's
real wire formats, offline, and a newcomer must be able to watch a sync work without a Google
account. ``SheetsEmulator`` keeps spreadsheets in memory and answers the endpoints the sync uses
with Google's JSON shapes and error envelopes; ``tests/sync/test_sheets_emulator.py`` replays
gspread's recorded exchanges (``tests/fixtures/gspread-cassettes``) against it.

In a test::

    with SheetsEmulator() as emulator:
        sid = emulator.create_spreadsheet("Hub", sheets={"lieux": [["id", "nom"], ["1", "CCAS"]]})
        gc = gspread.Client(auth=None, session=emulator.session())
        gc.open_by_key(sid).worksheet("lieux").get_all_values()

The session mounts an adapter on ``https://sheets.googleapis.com/`` and
``https://www.googleapis.com/`` that sends each request to the emulator (same path and query),
so gspread runs unchanged and nothing of it is mocked.

Modelled: spreadsheets, sheets (id, title, index, grid size), cell values (text, numbers,
booleans, ISO dates and arithmetic formulas when written USER_ENTERED, en_US rules), A1 ranges,
the values endpoints (get, batchGet, update, batchUpdate, append, clear, batchClear and the
*ByDataFilter variants), developer metadata (on the spreadsheet, a sheet, a row or a column: row
and column metadata follow inserted and deleted rows/columns but not sorts, as Google
documents), ``spreadsheets.batchUpdate`` requests that change values or structure, the Drive
file's ``modifiedTime`` (bumped by every change, a person's edit included) and test controls:
a person's edits, a request log, injected 429/500/503 answers and dropped connections.

Not modelled: cell formatting (formatting requests such as ``repeatCell`` are accepted and
ignored), formulas beyond arithmetic (kept as their text), locales other than en_US, R1C1
ranges, named and protected ranges, ``copyTo``, exports and uploads.

By hand: ``python -m sync.sheets_emulator --port 8765`` (``maillage dev sheets-emulator``).
"""

from __future__ import annotations

import argparse
import ast
import copy
import html
import json
import operator
import random
import re
import signal
import socket
import string
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple
from urllib.parse import parse_qs, unquote

import requests

from sync.emulator_client import emulator_session

SPREADSHEET_MIME = "application/vnd.google-apps.spreadsheet"
DEFAULT_ROWS, DEFAULT_COLUMNS = 1000, 26
MAX_COLUMNS = 18278  # column ZZZ

_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    501: "NOT_IMPLEMENTED",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
_FAULT_MESSAGES = {
    500: "Internal error encountered.",
    502: "The service is currently unavailable.",
    503: "The service is currently unavailable.",
    504: "The service is currently unavailable.",
}

# What Google returns in every spreadsheet's properties besides title, locale and time zone
# (copied from the recorded answers, so that response shapes match).
_WHITE = {"red": 1, "green": 1, "blue": 1}
_DEFAULT_FORMAT = {
    "backgroundColor": dict(_WHITE),
    "padding": {"top": 2, "right": 3, "bottom": 2, "left": 3},
    "verticalAlignment": "BOTTOM",
    "wrapStrategy": "OVERFLOW_CELL",
    "textFormat": {
        "foregroundColor": {},
        "fontFamily": "arial,sans,sans-serif",
        "fontSize": 10,
        "bold": False,
        "italic": False,
        "strikethrough": False,
        "underline": False,
        "foregroundColorStyle": {"rgbColor": {}},
    },
    "backgroundColorStyle": {"rgbColor": dict(_WHITE)},
}
_THEME_COLORS = [
    ("TEXT", {}),
    ("BACKGROUND", dict(_WHITE)),
    ("ACCENT1", {"red": 0.25882354, "green": 0.52156866, "blue": 0.95686275}),
    ("ACCENT2", {"red": 0.91764706, "green": 0.2627451, "blue": 0.20784314}),
    ("ACCENT3", {"red": 0.9843137, "green": 0.7372549, "blue": 0.015686275}),
    ("ACCENT4", {"red": 0.20392157, "green": 0.65882355, "blue": 0.3254902}),
    ("ACCENT5", {"red": 1, "green": 0.42745098, "blue": 0.003921569}),
    ("ACCENT6", {"red": 0.27450982, "green": 0.7411765, "blue": 0.7764706}),
    ("LINK", {"red": 0.06666667, "green": 0.33333334, "blue": 0.8}),
]
_THEME = {
    "primaryFontFamily": "Arial",
    "themeColors": [{"colorType": kind, "color": {"rgbColor": rgb}} for kind, rgb in _THEME_COLORS],
}

# Real ``spreadsheets.batchUpdate`` request kinds: an unknown kind is a JSON error, a known one
# the emulator does not implement is a clear 400.
_KNOWN_REQUESTS = frozenset(
    "updateSpreadsheetProperties updateSheetProperties updateDimensionProperties updateNamedRange "
    "repeatCell addNamedRange deleteNamedRange addSheet deleteSheet autoFill cutPaste copyPaste "
    "mergeCells unmergeCells updateBorders updateCells addFilterView appendCells clearBasicFilter "
    "deleteDimension deleteEmbeddedObject deleteFilterView duplicateFilterView duplicateSheet "
    "findReplace insertDimension insertRange moveDimension updateEmbeddedObjectPosition pasteData "
    "textToColumns updateFilterView deleteRange appendDimension addConditionalFormatRule "
    "updateConditionalFormatRule deleteConditionalFormatRule sortRange setDataValidation "
    "setBasicFilter addProtectedRange updateProtectedRange deleteProtectedRange "
    "autoResizeDimensions addChart updateChartSpec updateBanding addBanding deleteBanding "
    "createDeveloperMetadata updateDeveloperMetadata deleteDeveloperMetadata randomizeRange "
    "addDimensionGroup deleteDimensionGroup updateDimensionGroup trimWhitespace deleteDuplicates "
    "updateEmbeddedObjectBorder addSlicer updateSlicerSpec addDataSource updateDataSource "
    "deleteDataSource refreshDataSource cancelDataSourceRefresh addTable updateTable deleteTable".split()
)
# Formatting-only requests: accepted (reply ``{}``) and ignored, values never change.
_IGNORED_REQUESTS = frozenset(
    "setDataValidation repeatCell updateDimensionProperties updateBorders addConditionalFormatRule "
    "setBasicFilter clearBasicFilter autoResizeDimensions".split()
)


# --------------------------------------------------------------------------------------------
# Errors


class ApiError(Exception):
    """An error answer: Google's envelope ``{"error": {"code", "message", "status"}}``.

    Drive errors carry ``errors`` (Drive's list of reasons) instead of ``status``.
    """

    def __init__(
        self,
        code: int,
        message: str,
        *,
        details: list | None = None,
        errors: list | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details
        self.errors = errors

    def envelope(self) -> dict:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.errors is not None:
            error["errors"] = self.errors
        else:
            error["status"] = _STATUS_NAMES.get(self.code, "UNKNOWN")
        if self.details:
            error["details"] = self.details
        return {"error": error}


class _RequestError(Exception):
    """An invalid ``batchUpdate`` request; becomes ``Invalid requests[i].kind: message``."""


def _not_found() -> ApiError:
    return ApiError(404, "Requested entity was not found.")


def _drive_not_found(file_id: str) -> ApiError:
    message = f"File not found: {file_id}."
    reason = {
        "message": message,
        "domain": "global",
        "reason": "notFound",
        "location": "fileId",
        "locationType": "parameter",
    }
    return ApiError(404, message, errors=[reason])


def _invalid_value(field_path: str, value: Any, proto_type: str) -> ApiError:
    """Google's answer to a JSON value of the wrong type (with its ``fieldViolations``)."""
    message = f"Invalid value at '{field_path}' (type.googleapis.com/{proto_type}), {json.dumps(value)}"
    violation = {"field": field_path, "description": message}
    details = [{"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": [violation]}]
    return ApiError(400, message, details=details)


# --------------------------------------------------------------------------------------------
# Cells


class Cell(NamedTuple):
    """One non-empty cell. Empty cells are ``None`` in a sheet's grid."""

    value: Any  # str, int, float or bool: what UNFORMATTED_VALUE returns
    text: str  # what FORMATTED_VALUE returns
    formula: str | None = None  # what FORMULA returns, for a formula
    is_date: bool = False  # ``value`` is a date serial number, ``text`` the date as typed


SKIP = object()  # a JSON null among written values: Google leaves that cell unchanged

_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?(?:[eE][+-]?\d+)?")
_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?")
_SERIAL_EPOCH = date(1899, 12, 30)  # day 0 of Google's date serial numbers
_BINARY = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}


def _json_number(value: int | float) -> int | float:
    """A number as Google writes it in JSON: integral doubles without ``.0``."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def number_text(value: int | float) -> str:
    """A number as Google's automatic format shows it (``2``, ``1.5``, ``0.0009765625``)."""
    value = _json_number(value)
    return str(value) if isinstance(value, int) else repr(value).replace("e", "E")


def raw_cell(value: Any) -> Cell | None | object:
    """A value written with valueInputOption RAW: text stays text, verbatim."""
    if value is None:
        return SKIP
    if isinstance(value, bool):
        return Cell(value, "TRUE" if value else "FALSE")
    if isinstance(value, (int, float)):
        number = _json_number(value)
        return Cell(number, number_text(number))
    text = str(value)
    return Cell(text, text) if text else None


def user_entered_cell(value: Any) -> Cell | None | object:
    """A value written USER_ENTERED, as if typed in the Sheets UI (en_US locale).

    Numbers (``12``, ``+33…``, ``0123``, ``2,000,000.01``, ``12%``), ``TRUE``/``FALSE`` and ISO
    dates are parsed; a leading apostrophe forces text; ``=…`` is a formula, computed when it is
    plain arithmetic and otherwise kept as its text.
    """
    if not isinstance(value, str):
        return raw_cell(value)
    if value == "":
        return None
    if value.startswith("'"):
        return Cell(value[1:], value[1:]) if len(value) > 1 else None
    if value.startswith("="):
        return _formula_cell(value)
    stripped = value.strip()
    if stripped.upper() in ("TRUE", "FALSE"):
        return Cell(stripped.upper() == "TRUE", stripped.upper())
    number = _parse_number(stripped)
    if number is not None:
        keep_typed = "," in stripped or stripped.endswith("%")
        return Cell(number, stripped if keep_typed else number_text(number))
    serial = _parse_date(stripped)
    if serial is not None:
        return Cell(serial, stripped, is_date=True)
    return Cell(value, value)


def _parse_number(text: str) -> int | float | None:
    percent = text.endswith("%")
    body = text[:-1] if percent else text
    if not any(ch.isdigit() for ch in body) or not _NUMBER.fullmatch(body):
        return None
    plain = body.replace(",", "")
    number: int | float = float(plain) if any(ch in plain for ch in ".eE") else int(plain)
    return _json_number(number / 100) if percent else _json_number(number)


def _parse_date(text: str) -> int | float | None:
    match = _DATE.fullmatch(text)
    if not match:
        return None
    year, month, day, hour, minute, second = (int(part) if part else 0 for part in match.groups())
    try:
        days = (date(year, month, day) - _SERIAL_EPOCH).days
    except ValueError:
        return None
    return _json_number(days + (hour * 3600 + minute * 60 + second) / 86400)


def _formula_cell(formula: str) -> Cell:
    try:
        result = _evaluate(ast.parse(formula[1:].strip().replace("^", "**"), mode="eval").body)
    except ZeroDivisionError:
        return Cell("#DIV/0!", "#DIV/0!", formula)
    except (SyntaxError, ValueError, TypeError, OverflowError):
        return Cell(formula, formula, formula)
    number = _json_number(result)
    return Cell(number, number_text(number), formula)


def _evaluate(node: ast.AST) -> int | float:
    """Plain arithmetic only (numbers, + - * / ^, parentheses); anything else is a ValueError."""
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub)):
        operand = _evaluate(node.operand)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _evaluate(node.left), _evaluate(node.right)
        if isinstance(node.op, ast.Pow) and abs(right) > 64:
            raise ValueError("exponent too large")
        return _BINARY[type(node.op)](left, right)
    raise ValueError("not arithmetic")


def render(cell: Cell | None, value_option: str = "FORMATTED_VALUE", date_option: str = "SERIAL_NUMBER") -> Any:
    """A cell as ``valueRenderOption`` / ``dateTimeRenderOption`` ask; ``""`` when empty."""
    if cell is None:
        return ""
    if value_option == "FORMATTED_VALUE":
        return cell.text
    if value_option == "FORMULA" and cell.formula is not None:
        return cell.formula
    if cell.is_date and date_option == "FORMATTED_STRING":
        return cell.text
    return cell.value


def _extended_value(value: Any) -> dict:
    """A value as Google's ``ExtendedValue`` (``{"stringValue": …}`` …)."""
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, (int, float)):
        return {"numberValue": value}
    return {"stringValue": value}


# --------------------------------------------------------------------------------------------
# A1 notation


def column_letters(index: int) -> str:
    """0 → ``A``, 25 → ``Z``, 26 → ``AA``."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_index(letters: str) -> int:
    """``A`` → 0, ``AA`` → 26."""
    index = 0
    for letter in letters.upper():
        index = index * 26 + ord(letter) - 64
    return index - 1


def quote_sheet_title(title: str) -> str:
    """A sheet title as Google writes it in a range: quoted unless it is a plain word."""
    plain = re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", title)
    looks_like_cell = re.fullmatch(r"[A-Za-z]{1,3}\d+|[Rr]\d*[Cc]\d*", title)
    if plain and not looks_like_cell:
        return title
    return "'" + title.replace("'", "''") + "'"


def format_range(title: str, r0: int, r1: int, c0: int, c1: int) -> str:
    """Google's normalised range, ``Sheet1!A1:D4`` (``Sheet1!A1`` for one cell); ends exclusive."""
    start = f"{column_letters(c0)}{r0 + 1}"
    if r1 - r0 == 1 and c1 - c0 == 1:
        return f"{quote_sheet_title(title)}!{start}"
    return f"{quote_sheet_title(title)}!{start}:{column_letters(c1 - 1)}{r1}"


@dataclass(frozen=True)
class Bounds:
    """A rectangle of a sheet, 0-based, ends exclusive; ``None`` ends are unbounded.

    ``anchor`` is set for a single cell or a whole sheet: a write there may extend right and
    down (Google treats them as a starting point), a write in any other range must fit in it.
    """

    r0: int
    r1: int | None
    c0: int
    c1: int | None
    anchor: bool = False


WHOLE_SHEET = Bounds(0, None, 0, None, anchor=True)
_ENDPOINT = re.compile(r"\$?([A-Za-z]{0,3})\$?(\d*)")


def parse_a1(text: str) -> Bounds | None:
    """``A1``, ``A1:C3``, ``A:C``, ``A2:Z``, ``2:5``, ``A2:2`` as ``Bounds``; ``None`` if not A1."""
    parts = text.strip().split(":")
    if len(parts) == 1:
        match = _ENDPOINT.fullmatch(parts[0])
        if not match or not match.group(1) or not match.group(2) or int(match.group(2)) < 1:
            return None
        row, col = int(match.group(2)) - 1, column_index(match.group(1))
        return Bounds(row, row + 1, col, col + 1, anchor=True)
    if len(parts) != 2:
        return None
    start, end = _ENDPOINT.fullmatch(parts[0]), _ENDPOINT.fullmatch(parts[1])
    if not start or not end or not any(start.groups()) or not any(end.groups()):
        return None
    if any(group == "0" or (group and group.isdigit() and int(group) < 1) for group in (start[2], end[2])):
        return None
    r0 = int(start[2]) - 1 if start[2] else 0
    c0 = column_index(start[1]) if start[1] else 0
    r1 = int(end[2]) if end[2] else None
    c1 = column_index(end[1]) + 1 if end[1] else None
    if r1 is not None and r1 <= r0:  # written backwards, as in B5:A1
        r0, r1 = r1 - 1, r0 + 1
    if c1 is not None and c1 <= c0:
        c0, c1 = c1 - 1, c0 + 1
    return Bounds(r0, r1, c0, c1)


def split_sheet_name(text: str) -> tuple[str | None, str | None]:
    """``'My sheet'!A1`` → (``My sheet``, ``A1``); ``Sheet1`` → (None, ``Sheet1``)."""
    if text.startswith("'"):
        name, i = [], 1
        while i < len(text):
            if text[i] == "'":
                if text[i + 1 : i + 2] == "'":
                    name.append("'")
                    i += 2
                    continue
                break
            name.append(text[i])
            i += 1
        else:
            raise ValueError("unterminated quote")
        rest = text[i + 1 :]
        if rest == "":
            return "".join(name), None
        if rest.startswith("!"):
            return "".join(name), rest[1:]
        raise ValueError("text after the quoted sheet name")
    if "!" in text:
        name, a1 = text.rsplit("!", 1)
        return name, a1
    return None, text


# --------------------------------------------------------------------------------------------
# The model


class Sheet:
    """One tab: Google's sheet properties and a sparse grid (rows of cells, ``None`` = empty)."""

    def __init__(self, sheet_id: int, title: str, index: int, rows: int = DEFAULT_ROWS, columns: int = DEFAULT_COLUMNS):
        self.properties: dict[str, Any] = {
            "sheetId": sheet_id,
            "title": title,
            "index": index,
            "sheetType": "GRID",
            "gridProperties": {"rowCount": rows, "columnCount": columns},
        }
        self.grid: list[list[Cell | None]] = []

    @property
    def id(self) -> int:
        return self.properties["sheetId"]

    @property
    def title(self) -> str:
        return self.properties["title"]

    @property
    def row_count(self) -> int:
        return self.properties["gridProperties"]["rowCount"]

    @property
    def column_count(self) -> int:
        return self.properties["gridProperties"]["columnCount"]

    def cell(self, row: int, col: int) -> Cell | None:
        if row < len(self.grid) and col < len(self.grid[row]):
            return self.grid[row][col]
        return None

    def set_cell(self, row: int, col: int, cell: Cell | None) -> None:
        if cell is None:
            if row < len(self.grid) and col < len(self.grid[row]):
                self.grid[row][col] = None
            return
        while len(self.grid) <= row:
            self.grid.append([])
        line = self.grid[row]
        if len(line) <= col:
            line.extend([None] * (col + 1 - len(line)))
        line[col] = cell

    def has_data(self, row: int, c0: int, c1: int) -> bool:
        """Whether row ``row`` holds a value in columns [c0, c1)."""
        if row >= len(self.grid):
            return False
        return any(cell is not None for cell in self.grid[row][c0:c1])

    def data_height(self) -> int:
        """The number of rows down to the last one holding a value."""
        for row in range(len(self.grid) - 1, -1, -1):
            if any(cell is not None for cell in self.grid[row]):
                return row + 1
        return 0

    def set_size(self, rows: int, columns: int) -> None:
        """Resize the grid; cells outside the new size are lost."""
        self.properties["gridProperties"]["rowCount"] = rows
        self.properties["gridProperties"]["columnCount"] = columns
        del self.grid[rows:]
        for line in self.grid:
            del line[columns:]

    def insert(self, dimension: str, start: int, count: int) -> None:
        grid = self.properties["gridProperties"]
        if dimension == "ROWS":
            if start < len(self.grid):
                self.grid[start:start] = [[] for _ in range(count)]
            grid["rowCount"] += count
        else:
            for line in self.grid:
                if start < len(line):
                    line[start:start] = [None] * count
            grid["columnCount"] += count

    def delete(self, dimension: str, start: int, end: int) -> None:
        grid = self.properties["gridProperties"]
        if dimension == "ROWS":
            del self.grid[start:end]
            grid["rowCount"] -= end - start
        else:
            for line in self.grid:
                del line[start:end]
            grid["columnCount"] -= end - start

    def sort(self, r0: int, r1: int, c0: int, c1: int, specs: list[tuple[int, bool]]) -> None:
        """Sort rows [r0, r1) of columns [c0, c1) by (column, descending) specs; empties last."""
        r1 = min(r1, len(self.grid))
        if r1 - r0 < 2:
            return
        block = [[self.cell(r, c) for c in range(c0, c1)] for r in range(r0, r1)]
        for column, descending in reversed(specs):
            offset = column - c0
            filled = [line for line in block if line[offset] is not None]
            empty = [line for line in block if line[offset] is None]
            filled.sort(key=lambda line: _sort_key(line[offset]), reverse=descending)
            block = filled + empty
        for r, line in zip(range(r0, r1), block, strict=True):
            for c, cell in zip(range(c0, c1), line, strict=True):
                self.set_cell(r, c, cell)

    def clone(self) -> Sheet:
        twin = Sheet.__new__(Sheet)
        twin.properties = copy.deepcopy(self.properties)
        twin.grid = [list(line) for line in self.grid]
        return twin


def _sort_key(cell: Cell) -> tuple:
    """Google's ascending order: numbers (and dates), then text (case-insensitive), then booleans."""
    if isinstance(cell.value, bool):
        return (2, cell.value)
    if isinstance(cell.value, (int, float)):
        return (0, cell.value)
    return (1, str(cell.value).casefold())


@dataclass
class DeveloperMetadata:
    """Developer metadata; ``location`` is ("SPREADSHEET",), ("SHEET", id) or (dimension, id, index)."""

    metadata_id: int
    key: str
    value: str | None
    visibility: str
    location: tuple

    @property
    def location_type(self) -> str:
        return {"ROWS": "ROW", "COLUMNS": "COLUMN"}.get(self.location[0], self.location[0])

    @property
    def sheet_id(self) -> int | None:
        return self.location[1] if len(self.location) > 1 else None

    def location_json(self) -> dict:
        kind = self.location[0]
        if kind == "SPREADSHEET":
            return {"locationType": "SPREADSHEET", "spreadsheet": True}
        if kind == "SHEET":
            return {"locationType": "SHEET", "sheetId": self.location[1]}
        _, sheet_id, index = self.location
        dimension_range = {"sheetId": sheet_id, "dimension": kind, "startIndex": index, "endIndex": index + 1}
        return {"locationType": self.location_type, "dimensionRange": dimension_range}

    def to_json(self) -> dict:
        out: dict[str, Any] = {"metadataId": self.metadata_id, "metadataKey": self.key}
        if self.value is not None:
            out["metadataValue"] = self.value
        out["location"] = self.location_json()
        out["visibility"] = self.visibility
        return out


class Spreadsheet:
    """A spreadsheet (and its Drive file): sheets in tab order, developer metadata, times."""

    def __init__(self, spreadsheet_id: str, title: str, now: float) -> None:
        self.id = spreadsheet_id
        self.title = title
        self.locale = "en_US"
        self.time_zone = "Etc/GMT"
        self.sheets: list[Sheet] = []
        self.metadata: list[DeveloperMetadata] = []
        self.created = now
        self.modified = now
        self.version = 1

    def sheet_by_title(self, title: str) -> Sheet | None:
        for sheet in self.sheets:
            if sheet.title == title:
                return sheet
        folded = title.casefold()
        return next((sheet for sheet in self.sheets if sheet.title.casefold() == folded), None)

    def sheet_by_id(self, sheet_id: Any) -> Sheet | None:
        return next((sheet for sheet in self.sheets if sheet.id == sheet_id), None)

    def renumber(self) -> None:
        for index, sheet in enumerate(self.sheets):
            sheet.properties["index"] = index

    def insert_dimension(self, sheet: Sheet, dimension: str, start: int, end: int) -> None:
        """Insert rows/columns [start, end); metadata on later ones moves with them."""
        sheet.insert(dimension, start, end - start)
        for meta in self.metadata:
            if meta.location[0] == dimension and meta.location[1] == sheet.id and meta.location[2] >= start:
                meta.location = (dimension, sheet.id, meta.location[2] + end - start)

    def delete_dimension(self, sheet: Sheet, dimension: str, start: int, end: int) -> None:
        """Delete rows/columns [start, end) with their metadata; later metadata moves up."""
        sheet.delete(dimension, start, end)
        kept = []
        for meta in self.metadata:
            if meta.location[0] == dimension and meta.location[1] == sheet.id:
                index = meta.location[2]
                if start <= index < end:
                    continue
                if index >= end:
                    meta.location = (dimension, sheet.id, index - (end - start))
            kept.append(meta)
        self.metadata = kept

    def resize(self, sheet: Sheet, rows: int, columns: int) -> None:
        """Resize a sheet; metadata on rows/columns cut off goes with them."""
        sheet.set_size(rows, columns)
        limits = {"ROWS": rows, "COLUMNS": columns}
        self.metadata = [
            meta
            for meta in self.metadata
            if not (meta.location[0] in limits and meta.location[1] == sheet.id and meta.location[2] >= limits[meta.location[0]])
        ]

    def remove_sheet(self, sheet: Sheet) -> None:
        self.sheets.remove(sheet)
        self.metadata = [meta for meta in self.metadata if meta.sheet_id != sheet.id or meta.location[0] == "SPREADSHEET"]
        self.renumber()

    def clone(self) -> Spreadsheet:
        twin = copy.copy(self)
        twin.sheets = [sheet.clone() for sheet in self.sheets]
        twin.metadata = [copy.copy(meta) for meta in self.metadata]
        return twin


def rfc3339(seconds: float) -> str:
    """``2023-07-20T08:48:08.584Z``, as Drive writes times."""
    moment = datetime.fromtimestamp(seconds, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


# --------------------------------------------------------------------------------------------
# The request log and fault injection


@dataclass
class LoggedRequest:
    """One request the emulator received (``status`` is None when the connection was dropped)."""

    index: int
    method: str
    path: str  # path and query, as sent
    status: int | None
    request_bytes: int  # size of the request body
    response_bytes: int  # size of the response body
    request_body: bytes = b""
    response_body: bytes = b""


@dataclass
class _Fault:
    status: int | None  # None: drop the connection
    retry_after: float | int | None = None
    message: str | None = None
    applied: bool = False  # a dropped connection after the request was applied (the answer is lost)


@dataclass
class _Route:
    handler: Callable[..., Any]
    spreadsheet_id: str | None = None
    args: tuple = ()
    mutating: bool = False
    status: int = 200
    extra: dict = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# The emulator


class SheetsEmulator:
    """An in-memory Google Sheets + Drive, served over HTTP; see the module docstring.

    All state sits behind one lock; every public method is thread-safe. Rows and columns of the
    test controls (``human_*``) are 1-based, like A1 notation and gspread.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, seed: int = 0) -> None:
        self.host = host
        self._requested_port = port
        self._lock = threading.RLock()
        self._random = random.Random(seed)
        self._spreadsheets: dict[str, Spreadsheet] = {}
        self._log: list[LoggedRequest] = []
        self._served = 0  # requests received since start, never reset (fault/hook indices)
        self._faults: deque[_Fault] = deque()
        self._scheduled: dict[int, _Fault] = {}
        self._hooks: dict[int, list[Callable[[], Any]]] = {}
        self._clock = 0.0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ---- server life ----------------------------------------------------------------------

    def start(self) -> SheetsEmulator:
        """Start serving (on a free port unless one was given); returns self."""
        if self._server is not None:
            return self
        server = _Server((self.host, self._requested_port), _Handler)
        server.emulator = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="sheets-emulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close every open connection."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        server.close_connections()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> SheetsEmulator:
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the emulator is not started")
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://{self.host}:{self.port}"

    def session(self) -> requests.Session:
        """A ``requests.Session`` whose Google API calls reach this emulator."""
        return emulator_session(self.url)

    def gspread_client(self) -> Any:
        """``gspread.Client(auth=None, session=self.session())``."""
        import gspread

        return gspread.Client(auth=None, session=self.session())

    # ---- test controls: content -----------------------------------------------------------

    def create_spreadsheet(
        self,
        title: str = "Untitled spreadsheet",
        sheets: Mapping[str, Iterable[Iterable[Any]] | None] | None = None,
        *,
        spreadsheet_id: str | None = None,
        rows: int = DEFAULT_ROWS,
        columns: int = DEFAULT_COLUMNS,
    ) -> str:
        """Create a spreadsheet and return its id.

        ``sheets`` maps tab titles to their rows (stored as RAW writes store them: text stays
        text); the default is one empty ``Sheet1``. Each grid is ``rows`` x ``columns``, or larger
        to hold its data.
        """
        with self._lock:
            if spreadsheet_id is not None and spreadsheet_id in self._spreadsheets:
                raise ValueError(f"spreadsheet {spreadsheet_id!r} already exists")
            spreadsheet = Spreadsheet(spreadsheet_id or self._new_spreadsheet_id(), title, self._tick())
            for index, (sheet_title, data) in enumerate((sheets or {"Sheet1": None}).items()):
                lines = [list(line) for line in (data or [])]
                width = max((len(line) for line in lines), default=0)
                sheet_id = 0 if index == 0 else self._new_sheet_id(spreadsheet)
                sheet = Sheet(sheet_id, sheet_title, index, max(rows, len(lines)), max(columns, width))
                for r, line in enumerate(lines):
                    for c, value in enumerate(line):
                        cell = raw_cell(value)
                        if cell is not SKIP:
                            sheet.set_cell(r, c, cell)
                spreadsheet.sheets.append(sheet)
            self._spreadsheets[spreadsheet.id] = spreadsheet
            return spreadsheet.id

    def delete_spreadsheet(self, spreadsheet_id: str) -> None:
        with self._lock:
            self._get(spreadsheet_id)
            del self._spreadsheets[spreadsheet_id]

    def spreadsheet_ids(self) -> list[str]:
        with self._lock:
            return list(self._spreadsheets)

    def sheet_titles(self, spreadsheet_id: str) -> list[str]:
        with self._lock:
            return [sheet.title for sheet in self._get(spreadsheet_id).sheets]

    def values(self, spreadsheet_id: str, sheet: str, render_option: str = "FORMATTED_VALUE") -> list[list[Any]]:
        """The tab's content down to its last non-empty row and column, padded to a rectangle
        with ``""`` (as gspread's ``get_all_values`` returns it)."""
        with self._lock:
            tab = self._tab(spreadsheet_id, sheet)
            height = tab.data_height()
            width = max((_last_filled(line) for line in tab.grid[:height]), default=0)
            return [[render(tab.cell(r, c), render_option) for c in range(width)] for r in range(height)]

    def developer_metadata(self, spreadsheet_id: str) -> list[dict]:
        """Every developer metadata of the spreadsheet, as Google's JSON."""
        with self._lock:
            return [meta.to_json() for meta in self._get(spreadsheet_id).metadata]

    def modified_time(self, spreadsheet_id: str) -> str:
        """The Drive file's ``modifiedTime``."""
        with self._lock:
            return rfc3339(self._get(spreadsheet_id).modified)

    # ---- test controls: a person's edits (bump modifiedTime) --------------------------------

    def human_edit(self, spreadsheet_id: str, sheet: str, row: int, col: int, value: Any, *, raw: bool = False) -> None:
        """A person types ``value`` into cell (row, col), 1-based; parsed as typed (USER_ENTERED)
        unless ``raw``. An empty string clears the cell."""
        with self._lock:
            spreadsheet, tab = self._get(spreadsheet_id), self._tab(spreadsheet_id, sheet)
            if not (1 <= row <= tab.row_count and 1 <= col <= tab.column_count):
                raise ValueError(f"cell ({row}, {col}) is outside the {tab.row_count}x{tab.column_count} grid")
            cell = (raw_cell if raw else user_entered_cell)(value)
            tab.set_cell(row - 1, col - 1, None if cell is SKIP else cell)
            self._touch(spreadsheet)

    def human_insert_row(
        self, spreadsheet_id: str, sheet: str, row: int | None = None, values: Iterable[Any] | None = None
    ) -> int:
        """A person inserts a row so that it becomes row ``row`` (default: after the last
        non-empty row) and types ``values`` into it; rows below move down with their metadata.
        Returns the new row's number."""
        with self._lock:
            spreadsheet, tab = self._get(spreadsheet_id), self._tab(spreadsheet_id, sheet)
            row = tab.data_height() + 1 if row is None else row
            if not 1 <= row <= tab.row_count + 1:
                raise ValueError(f"row {row} is outside the sheet")
            spreadsheet.insert_dimension(tab, "ROWS", row - 1, row)
            for c, value in enumerate(values or ()):
                if c >= tab.column_count:
                    raise ValueError("more values than columns")
                cell = user_entered_cell(value)
                tab.set_cell(row - 1, c, None if cell is SKIP else cell)
            self._touch(spreadsheet)
            return row

    def human_delete_row(self, spreadsheet_id: str, sheet: str, row: int) -> None:
        """A person deletes row ``row`` (1-based) and its metadata; rows below move up."""
        with self._lock:
            spreadsheet, tab = self._get(spreadsheet_id), self._tab(spreadsheet_id, sheet)
            if not 1 <= row <= tab.row_count or tab.row_count == 1:
                raise ValueError(f"cannot delete row {row}")
            spreadsheet.delete_dimension(tab, "ROWS", row - 1, row)
            self._touch(spreadsheet)

    def human_insert_column(
        self, spreadsheet_id: str, sheet: str, col: int, values: Iterable[Any] | None = None
    ) -> None:
        """A person inserts a column at ``col`` (1-based), typing ``values`` down from row 1."""
        with self._lock:
            spreadsheet, tab = self._get(spreadsheet_id), self._tab(spreadsheet_id, sheet)
            if not 1 <= col <= tab.column_count + 1:
                raise ValueError(f"column {col} is outside the sheet")
            spreadsheet.insert_dimension(tab, "COLUMNS", col - 1, col)
            for r, value in enumerate(values or ()):
                if r >= tab.row_count:
                    raise ValueError("more values than rows")
                cell = user_entered_cell(value)
                tab.set_cell(r, col - 1, None if cell is SKIP else cell)
            self._touch(spreadsheet)

    def human_sort(self, spreadsheet_id: str, sheet: str, column_index: int, reverse: bool = False) -> None:
        """A person sorts the rows below the header by column ``column_index`` (1-based).

        Like Google's sort, row metadata stays where it was (it does not follow the values).
        """
        with self._lock:
            spreadsheet, tab = self._get(spreadsheet_id), self._tab(spreadsheet_id, sheet)
            if not 1 <= column_index <= tab.column_count:
                raise ValueError(f"column {column_index} is outside the sheet")
            tab.sort(1, tab.row_count, 0, tab.column_count, [(column_index - 1, reverse)])
            self._touch(spreadsheet)

    # ---- test controls: log, faults, hooks --------------------------------------------------

    @property
    def requests(self) -> list[LoggedRequest]:
        """The API requests received since the last ``reset_log()``, oldest first."""
        with self._lock:
            return list(self._log)

    @property
    def request_count(self) -> int:
        with self._lock:
            return len(self._log)

    def reset_log(self) -> None:
        with self._lock:
            self._log.clear()

    def fail_next(self, status: int = 503, times: int = 1, retry_after: float | int | None = None, message: str | None = None) -> None:
        """The next ``times`` requests get error ``status`` (429, 500, 503…) in Google's
        envelope, with a ``Retry-After`` header when ``retry_after`` is given; queued after
        faults already queued."""
        if not 400 <= status <= 599:
            raise ValueError("status must be an HTTP error code")
        with self._lock:
            self._faults.extend(_Fault(status, retry_after, message) for _ in range(times))

    def drop_next(self, times: int = 1) -> None:
        """The next ``times`` requests are read, then their connection closed without answer."""
        with self._lock:
            self._faults.extend(_Fault(None) for _ in range(times))

    def fail_at(
        self, request_index: int, status: int = 500, *, retry_after: float | int | None = None, drop: bool = False,
        applied: bool = False,
    ) -> None:
        """The ``request_index``-th request from now (1 = the next one) fails with ``status``,
        or has its connection dropped when ``drop`` — before it is applied, or after when
        ``applied`` (the change is made, the client never hears of it)."""
        if request_index < 1:
            raise ValueError("request_index counts from 1 (the next request)")
        with self._lock:
            self._scheduled[self._served + request_index - 1] = _Fault(None if drop else status, retry_after, applied=applied)

    def before_request(self, callback: Callable[[], Any], nth: int = 1) -> None:
        """Run ``callback()`` (say, a person's edit) just before the ``nth`` request from now
        (1 = the next one) is served."""
        if nth < 1:
            raise ValueError("nth counts from 1 (the next request)")
        with self._lock:
            self._hooks.setdefault(self._served + nth - 1, []).append(callback)

    def between(self, callback: Callable[[], Any], after: int = 1) -> None:
        """Run ``callback()`` between the ``after``-th request from now and the next one."""
        self.before_request(callback, nth=after + 1)

    def reset_faults(self) -> None:
        """Forget queued faults and hooks."""
        with self._lock:
            self._faults.clear()
            self._scheduled.clear()
            self._hooks.clear()

    # ---- internals: state -----------------------------------------------------------------

    def _tick(self) -> float:
        """Now, strictly later than the previous tick (millisecond steps)."""
        self._clock = max(round(time.time(), 3), round(self._clock + 0.001, 3))
        return self._clock

    def _touch(self, spreadsheet: Spreadsheet) -> None:
        spreadsheet.modified = self._tick()
        spreadsheet.version += 1

    def _get(self, spreadsheet_id: str) -> Spreadsheet:
        try:
            return self._spreadsheets[spreadsheet_id]
        except KeyError:
            raise KeyError(f"no spreadsheet {spreadsheet_id!r}") from None

    def _tab(self, spreadsheet_id: str, title: str) -> Sheet:
        tab = self._get(spreadsheet_id).sheet_by_title(title)
        if tab is None:
            raise KeyError(f"no sheet {title!r} in spreadsheet {spreadsheet_id!r}")
        return tab

    def _new_spreadsheet_id(self) -> str:
        alphabet = string.ascii_letters + string.digits + "-_"
        while True:
            candidate = "1" + "".join(self._random.choice(alphabet) for _ in range(43))
            if candidate not in self._spreadsheets:
                return candidate

    def _new_sheet_id(self, spreadsheet: Spreadsheet) -> int:
        while True:
            candidate = self._random.randint(1, 2**31 - 1)
            if spreadsheet.sheet_by_id(candidate) is None:
                return candidate

    def _new_metadata_id(self, spreadsheet: Spreadsheet) -> int:
        taken = {meta.metadata_id for meta in spreadsheet.metadata}
        while True:
            candidate = self._random.randint(1, 2**31 - 1)
            if candidate not in taken:
                return candidate

    # ---- internals: serving ---------------------------------------------------------------

    def _serve(self, method: str, target: str, body: bytes) -> tuple[int, list[tuple[str, str]], bytes] | None:
        """Answer one HTTP request: (status, headers, body), or None to drop the connection."""
        path, _, query = target.partition("?")
        if path == "/" or path.startswith("/_emulator"):
            return self._console()
        with self._lock:
            index = self._served
            self._served += 1
            hooks = self._hooks.pop(index, [])
            fault = self._scheduled.pop(index, None)
            if fault is None and self._faults:
                fault = self._faults.popleft()
        headers = [("Content-Type", "application/json; charset=UTF-8")]
        try:
            for hook in hooks:
                hook()
        except Exception as error:  # noqa: BLE001 - a broken test hook must show, not hang the client
            traceback.print_exc()
            fault = _Fault(500, message=f"Sheets emulator: a before_request hook failed: {error!r}")
        if fault is not None and fault.status is None:
            if fault.applied:
                self._answer(method, path, parse_qs(query, keep_blank_values=True), body)
            self._record(index, method, target, None, body, b"")
            return None
        if fault is not None:
            status, payload = fault.status, self._fault_payload(fault, method)
            if fault.retry_after is not None:
                headers.append(("Retry-After", str(fault.retry_after)))
        else:
            status, payload = self._answer(method, path, parse_qs(query, keep_blank_values=True), body)
        data = b"" if payload is None else json.dumps(payload, indent=2, ensure_ascii=False).encode("utf-8")
        if payload is None:
            headers = [("Content-Type", "text/html")]
        self._record(index, method, target, status, body, data)
        return status, headers, data

    def _record(self, index: int, method: str, target: str, status: int | None, body: bytes, data: bytes) -> None:
        with self._lock:
            self._log.append(LoggedRequest(index, method, target, status, len(body), len(data), body, data))

    @staticmethod
    def _fault_payload(fault: _Fault, method: str) -> dict:
        status = fault.status or 500
        details = None
        if status == 429:
            kind = "Read" if method == "GET" else "Write"
            message = fault.message or (
                f"Quota exceeded for quota metric '{kind} requests' and limit '{kind} requests per minute "
                "per user' of service 'sheets.googleapis.com' for consumer 'project_number:000000000000'."
            )
            details = [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "RATE_LIMIT_EXCEEDED",
                    "domain": "googleapis.com",
                    "metadata": {
                        "service": "sheets.googleapis.com",
                        "quota_metric": f"sheets.googleapis.com/{kind.lower()}_requests",
                        "quota_limit": f"{kind}RequestsPerMinutePerUser",
                        "consumer": "projects/000000000000",
                        "quota_location": "global",
                        "quota_limit_value": "60",
                    },
                }
            ]
        else:
            message = fault.message or _FAULT_MESSAGES.get(status, "Request failed (injected by the Sheets emulator).")
        return ApiError(status, message, details=details).envelope()

    def _answer(self, method: str, path: str, query: dict[str, list[str]], body: bytes) -> tuple[int, Any]:
        """Route and run one API call; errors become Google's envelopes."""
        try:
            route = self._route(method, path)
            with self._lock:
                if route.spreadsheet_id is None:
                    return route.status, route.handler(query, body, *route.args)
                spreadsheet = self._spreadsheets.get(route.spreadsheet_id)
                if spreadsheet is None:
                    if route.extra.get("drive"):
                        raise _drive_not_found(route.spreadsheet_id)
                    raise _not_found()
                if not route.mutating:
                    return route.status, route.handler(spreadsheet, query, body, *route.args)
                work = spreadsheet.clone()  # all or nothing, as Google applies a batch
                payload = route.handler(work, query, body, *route.args)
                self._touch(work)
                self._spreadsheets[work.id] = work
                return route.status, payload
        except ApiError as error:
            return error.code, error.envelope()
        except Exception as error:  # noqa: BLE001 - an emulator bug: say so in Google's envelope
            traceback.print_exc()
            return 500, ApiError(500, f"Sheets emulator internal error: {error!r}").envelope()

    def _route(self, method: str, path: str) -> _Route:
        """Find the handler of ``method path`` (path still percent-encoded)."""
        drive = re.fullmatch(r"/drive/v3/files(?:/([^/]+))?", path)
        if drive:
            file_id = unquote(drive[1]) if drive[1] else None
            if file_id is None and method == "GET":
                return _Route(self._drive_list)
            if file_id is None and method == "POST":
                return _Route(self._drive_create)
            if file_id is not None and method == "GET":
                return _Route(self._drive_get, file_id, extra={"drive": True})
            if file_id is not None and method == "PATCH":
                return _Route(self._drive_patch, file_id, mutating=True, extra={"drive": True})
            if file_id is not None and method == "DELETE":
                return _Route(self._drive_delete_route(file_id), status=204)
        if path == "/v4/spreadsheets" and method == "POST":
            return _Route(self._spreadsheets_create)
        match = re.fullmatch(r"/v4/spreadsheets/([^/:]+)(.*)", path)
        if match:
            sid, tail = unquote(match[1]), match[2]
            fixed = {
                ("GET", ""): (self._spreadsheet_get, False),
                ("POST", ":batchUpdate"): (self._batch_update, True),
                ("GET", "/values:batchGet"): (self._values_batch_get, False),
                ("POST", "/values:batchUpdate"): (self._values_batch_update, True),
                ("POST", "/values:batchClear"): (self._values_batch_clear, True),
                ("POST", "/values:batchGetByDataFilter"): (self._values_batch_get_by_filter, False),
                ("POST", "/values:batchUpdateByDataFilter"): (self._values_batch_update_by_filter, True),
                ("POST", "/values:batchClearByDataFilter"): (self._values_batch_clear_by_filter, True),
                ("POST", "/developerMetadata:search"): (self._metadata_search, False),
            }
            if (method, tail) in fixed:
                handler, mutating = fixed[(method, tail)]
                return _Route(handler, sid, mutating=mutating)
            if tail.startswith("/values/"):
                target = tail[len("/values/") :]
                if method == "GET":
                    return _Route(self._values_get, sid, (unquote(target),))
                if method == "PUT":
                    return _Route(self._values_update, sid, (unquote(target),), mutating=True)
                if method == "POST" and ":" in target:
                    range_text, action = target.rsplit(":", 1)
                    if action == "append":
                        return _Route(self._values_append, sid, (unquote(range_text),), mutating=True)
                    if action == "clear":
                        return _Route(self._values_clear, sid, (unquote(range_text),), mutating=True)
            metadata = re.fullmatch(r"/developerMetadata/(\d+)", tail)
            if metadata and method == "GET":
                return _Route(self._metadata_get, sid, (int(metadata[1]),))
            if re.fullmatch(r"/sheets/\d+:copyTo|:getByDataFilter", tail):
                raise ApiError(400, f"Sheets emulator: {method} {path} is a real endpoint the emulator does not implement.")
        if path.startswith("/upload/") or re.fullmatch(r"/drive/v3/files/[^/]+/.+", path):
            raise ApiError(400, f"Sheets emulator: {method} {path} is a real endpoint the emulator does not implement.")
        raise ApiError(404, f"Sheets emulator: no endpoint for {method} {path}.")

    # ---- internals: helpers for handlers --------------------------------------------------

    @staticmethod
    def _json_body(body: bytes) -> dict:
        if not body.strip():
            return {}
        try:
            data = json.loads(body)
        except ValueError:
            raise ApiError(400, "Invalid JSON payload received. Unexpected token.") from None
        if not isinstance(data, dict):
            raise ApiError(400, 'Invalid JSON payload received. Unknown name "": Root element must be a message.')
        return data

    @staticmethod
    def _param(query: dict[str, list[str]], name: str, default: str | None = None) -> str | None:
        values = query.get(name)
        return values[-1] if values else default

    @staticmethod
    def _enum(value: Any, allowed: tuple[str, ...], default: str, field_path: str, proto_type: str) -> str:
        if value in (None, "", allowed[0] + "_UNSPECIFIED"):
            return default
        if value not in allowed:
            raise _invalid_value(field_path, value, f"google.apps.sheets.v4.{proto_type}")
        return value

    def _render_options(self, source: Mapping[str, Any], prefix: str = "") -> tuple[str, str, str]:
        """(valueRenderOption, dateTimeRenderOption, majorDimension) from a query or a body."""

        def get(name: str) -> Any:
            value = source.get(name)
            return value[-1] if isinstance(value, list) else value

        value_name = f"{prefix}valueRenderOption" if not prefix else f"{prefix}ValueRenderOption"
        date_name = f"{prefix}dateTimeRenderOption" if not prefix else f"{prefix}DateTimeRenderOption"
        value_option = self._enum(
            get(value_name), ("FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA"), "FORMATTED_VALUE",
            "value_render_option", "ValueRenderOption",
        )
        date_option = self._enum(
            get(date_name), ("SERIAL_NUMBER", "FORMATTED_STRING"), "SERIAL_NUMBER",
            "date_time_render_option", "DateTimeRenderOption",
        )
        major = self._enum(get("majorDimension") if not prefix else None, ("ROWS", "COLUMNS"), "ROWS", "major_dimension", "Dimension")
        return value_option, date_option, major

    def _input_option(self, value: Any) -> str:
        if value in (None, "", "INPUT_VALUE_OPTION_UNSPECIFIED"):
            raise ApiError(400, "'valueInputOption' is required but not specified")
        if value not in ("RAW", "USER_ENTERED"):
            raise _invalid_value("value_input_option", value, "google.apps.sheets.v4.ValueInputOption")
        return value

    @staticmethod
    def _resolve(spreadsheet: Spreadsheet, text: str) -> tuple[Sheet, Bounds]:
        """A range in A1 notation as (sheet, bounds); 400 "Unable to parse range" otherwise."""
        failure = ApiError(400, f"Unable to parse range: {text}")
        if not isinstance(text, str) or not text.strip():
            raise failure
        try:
            name, a1 = split_sheet_name(text.strip())
        except ValueError:
            raise failure from None
        if name is None:
            sheet = spreadsheet.sheet_by_title(a1)
            if sheet is not None:
                return sheet, WHOLE_SHEET
            bounds = parse_a1(a1)
            if bounds is None or not spreadsheet.sheets:
                raise failure
            return spreadsheet.sheets[0], bounds
        sheet = spreadsheet.sheet_by_title(name)
        if sheet is None:
            raise failure
        if a1 is None:
            return sheet, WHOLE_SHEET
        bounds = parse_a1(a1)
        if bounds is None:
            raise failure
        return sheet, bounds

    @staticmethod
    def _clip(sheet: Sheet, bounds: Bounds) -> tuple[int, int, int, int]:
        """The bounds inside the grid; 400 "exceeds grid limits" when they reach outside it."""
        rows, columns = sheet.row_count, sheet.column_count
        r1 = rows if bounds.r1 is None else bounds.r1
        c1 = columns if bounds.c1 is None else bounds.c1
        if bounds.r0 >= rows or bounds.c0 >= columns or r1 > rows or c1 > columns:
            shown = format_range(sheet.title, bounds.r0, max(r1, bounds.r0 + 1), bounds.c0, max(c1, bounds.c0 + 1))
            raise ApiError(400, f"Range ({shown}) exceeds grid limits. Max rows: {rows}, max columns: {columns}")
        return bounds.r0, r1, bounds.c0, c1

    @staticmethod
    def _read(sheet: Sheet, area: tuple[int, int, int, int], options: tuple[str, str, str]) -> list[list[Any]]:
        """Rendered values of an area, trailing empty cells and rows trimmed, as Google does."""
        r0, r1, c0, c1 = area
        value_option, date_option, major = options
        lines = []
        for r in range(r0, min(r1, len(sheet.grid))):
            source = sheet.grid[r]
            lines.append([render(source[c], value_option, date_option) for c in range(c0, min(c1, len(source)))])
        if major == "COLUMNS":
            width = max((len(line) for line in lines), default=0)
            lines = [[line[c] if c < len(line) else "" for line in lines] for c in range(width)]
        for line in lines:
            while line and _is_blank(line[-1]):
                line.pop()
        while lines and not lines[-1]:
            lines.pop()
        return lines

    def _value_range(self, sheet: Sheet, bounds: Bounds, options: tuple[str, str, str]) -> dict:
        area = self._clip(sheet, bounds)
        out: dict[str, Any] = {"range": format_range(sheet.title, *area), "majorDimension": options[2]}
        values = self._read(sheet, area, options)
        if values:
            out["values"] = values
        return out

    @staticmethod
    def _check_values(values: Any, field_path: str) -> list[list[Any]]:
        """Google's type checks on ``values``: a list of lists of scalars."""
        if values is None:
            return []
        if not isinstance(values, list):
            raise _invalid_value(field_path, values, "google.protobuf.ListValue")
        for i, line in enumerate(values):
            if not isinstance(line, list):
                raise _invalid_value(f"{field_path}[{i}]", line, "google.protobuf.ListValue")
            for j, value in enumerate(line):
                if isinstance(value, (list, dict)):
                    raise _invalid_value(f"{field_path}[{i}][{j}]", value, "google.protobuf.Value")
        return values

    def _write(
        self,
        spreadsheet: Spreadsheet,
        sheet: Sheet,
        bounds: Bounds,
        values: Any,
        major: str | None,
        input_option: str,
        *,
        field_path: str = "data.values",
        grow_rows: bool = False,
    ) -> tuple[dict, tuple[int, int, int, int] | None]:
        """Write values at ``bounds``; returns Google's UpdateValuesResponse and the area written."""
        values = self._check_values(values, field_path)
        major = self._enum(major, ("ROWS", "COLUMNS"), "ROWS", "data.major_dimension", "Dimension")
        parse = raw_cell if input_option == "RAW" else user_entered_cell
        cells = [(i, j, value) for i, line in enumerate(values) for j, value in enumerate(line)]
        if major == "COLUMNS":
            cells = [(j, i, value) for i, j, value in cells]
        if not cells:
            return {"spreadsheetId": spreadsheet.id}, None
        height = max(i for i, _, _ in cells) + 1
        width = max(j for _, j, _ in cells) + 1
        r0, c0 = bounds.r0, bounds.c0
        if not bounds.anchor:
            shown = format_range(
                sheet.title, r0, bounds.r1 or sheet.row_count, c0, bounds.c1 or sheet.column_count
            )
            if bounds.r1 is not None and r0 + height > bounds.r1:
                raise ApiError(400, f"Requested writing within range [{shown}], but tried writing to row [{bounds.r1 + 1}]")
            if bounds.c1 is not None and c0 + width > bounds.c1:
                raise ApiError(
                    400, f"Requested writing within range [{shown}], but tried writing to column [{column_letters(bounds.c1)}]"
                )
        if r0 + height > sheet.row_count and grow_rows:
            sheet.properties["gridProperties"]["rowCount"] = r0 + height
        if r0 + height > sheet.row_count or c0 + width > sheet.column_count:
            shown = format_range(sheet.title, r0, r0 + height, c0, c0 + width)
            raise ApiError(
                400,
                f"Range ({shown}) exceeds grid limits. Max rows: {sheet.row_count}, max columns: {sheet.column_count}",
            )
        written = 0
        for i, j, value in cells:
            cell = parse(value)
            if cell is SKIP:
                continue
            sheet.set_cell(r0 + i, c0 + j, cell)
            written += 1
        area = (r0, r0 + height, c0, c0 + width)
        response = {
            "spreadsheetId": spreadsheet.id,
            "updatedRange": format_range(sheet.title, *area),
            "updatedRows": height,
            "updatedColumns": width,
            "updatedCells": written,
        }
        return response, area

    def _updated_data(self, sheet: Sheet, area: tuple[int, int, int, int] | None, source: Mapping[str, Any]) -> dict | None:
        """``updatedData`` when ``includeValuesInResponse`` is true."""
        flag = source.get("includeValuesInResponse")
        flag = flag[-1] if isinstance(flag, list) else flag
        if area is None or str(flag).lower() != "true":
            return None
        options = self._render_options(source, prefix="response")
        out: dict[str, Any] = {"range": format_range(sheet.title, *area), "majorDimension": "ROWS"}
        values = self._read(sheet, area, options)
        if values:
            out["values"] = values
        return out

    @staticmethod
    def _grid_bounds(spreadsheet: Spreadsheet, grid_range: Any, where: str = "range") -> tuple[Sheet, Bounds]:
        """A GridRange (``sheetId``, ``startRowIndex``…) as (sheet, bounds)."""
        if not isinstance(grid_range, dict):
            raise _RequestError(f"A {where} is required.")
        sheet = spreadsheet.sheet_by_id(grid_range.get("sheetId", 0))
        if sheet is None:
            raise _RequestError(f"No grid with id: {grid_range.get('sheetId', 0)}")
        bounds = Bounds(
            int(grid_range.get("startRowIndex", 0)),
            grid_range.get("endRowIndex"),
            int(grid_range.get("startColumnIndex", 0)),
            grid_range.get("endColumnIndex"),
        )
        if (bounds.r1 is not None and bounds.r1 <= bounds.r0) or (bounds.c1 is not None and bounds.c1 <= bounds.c0):
            raise _RequestError("The range is empty.")
        return sheet, bounds

    # ---- Sheets: spreadsheets -------------------------------------------------------------

    def _spreadsheet_json(self, spreadsheet: Spreadsheet, include_grid: bool = False) -> dict:
        properties = {
            "title": spreadsheet.title,
            "locale": spreadsheet.locale,
            "autoRecalc": "ON_CHANGE",
            "timeZone": spreadsheet.time_zone,
            "defaultFormat": copy.deepcopy(_DEFAULT_FORMAT),
            "spreadsheetTheme": copy.deepcopy(_THEME),
        }
        out: dict[str, Any] = {"spreadsheetId": spreadsheet.id, "properties": properties, "sheets": []}
        for sheet in spreadsheet.sheets:
            entry: dict[str, Any] = {"properties": copy.deepcopy(sheet.properties)}
            if include_grid:
                entry["data"] = [{"rowData": [_row_data(line) for line in sheet.grid[: sheet.data_height()]]}]
            sheet_metadata = [m.to_json() for m in spreadsheet.metadata if m.location == ("SHEET", sheet.id)]
            if sheet_metadata:
                entry["developerMetadata"] = sheet_metadata
            out["sheets"].append(entry)
        top = [m.to_json() for m in spreadsheet.metadata if m.location[0] == "SPREADSHEET"]
        if top:
            out["developerMetadata"] = top
        out["spreadsheetUrl"] = f"https://docs.google.com/spreadsheets/d/{spreadsheet.id}/edit"
        return out

    def _spreadsheet_get(self, spreadsheet: Spreadsheet, query: dict, body: bytes) -> dict:
        include_grid = (self._param(query, "includeGridData") or "false").lower() == "true"
        return self._spreadsheet_json(spreadsheet, include_grid)

    def _spreadsheets_create(self, query: dict, body: bytes) -> dict:
        data = self._json_body(body)
        title = (data.get("properties") or {}).get("title") or "Untitled spreadsheet"
        sheets = data.get("sheets") or [{"properties": {"title": "Sheet1"}}]
        titles = {}
        for i, entry in enumerate(sheets):
            props = entry.get("properties") or {}
            titles[props.get("title") or f"Sheet{i + 1}"] = None
        spreadsheet_id = self.create_spreadsheet(title, titles)
        return self._spreadsheet_json(self._spreadsheets[spreadsheet_id])

    # ---- Sheets: values -------------------------------------------------------------------

    def _values_get(self, spreadsheet: Spreadsheet, query: dict, body: bytes, range_text: str) -> dict:
        sheet, bounds = self._resolve(spreadsheet, range_text)
        return self._value_range(sheet, bounds, self._render_options(query))

    def _values_batch_get(self, spreadsheet: Spreadsheet, query: dict, body: bytes) -> dict:
        options = self._render_options(query)
        ranges = [self._resolve(spreadsheet, text) for text in query.get("ranges", [])]
        out: dict[str, Any] = {"spreadsheetId": spreadsheet.id}
        if ranges:
            out["valueRanges"] = [self._value_range(sheet, bounds, options) for sheet, bounds in ranges]
        return out

    def _values_update(self, spreadsheet: Spreadsheet, query: dict, body: bytes, range_text: str) -> dict:
        input_option = self._input_option(self._param(query, "valueInputOption"))
        data = self._json_body(body)
        sheet, bounds = self._resolve(spreadsheet, range_text)
        if data.get("range") and data["range"] != range_text:
            sheet_b, bounds_b = self._resolve(spreadsheet, data["range"])
            if (sheet_b.id, bounds_b) != (sheet.id, bounds):
                raise ApiError(
                    400,
                    f"Requested entity range [{data['range']}] does not match the URL range [{range_text}]",
                )
        response, area = self._write(spreadsheet, sheet, bounds, data.get("values"), data.get("majorDimension"), input_option)
        updated = self._updated_data(sheet, area, query)
        if updated is not None:
            response["updatedData"] = updated
        return response

    def _values_append(self, spreadsheet: Spreadsheet, query: dict, body: bytes, range_text: str) -> dict:
        input_option = self._input_option(self._param(query, "valueInputOption"))
        insert = self._enum(
            self._param(query, "insertDataOption"), ("OVERWRITE", "INSERT_ROWS"), "OVERWRITE",
            "insert_data_option", "InsertDataOption",
        )
        data = self._json_body(body)
        sheet, bounds = self._resolve(spreadsheet, range_text)
        area = self._clip(sheet, bounds)
        table = _find_table(sheet, area)
        start_row, start_col = (table[1], table[2]) if table else (area[0], area[2])
        values = self._check_values(data.get("values"), "data.values")
        if insert == "INSERT_ROWS" and values and start_row < sheet.row_count:
            count = len(values) if data.get("majorDimension") != "COLUMNS" else max(len(line) for line in values)
            spreadsheet.insert_dimension(sheet, "ROWS", start_row, start_row + count)
        target = Bounds(start_row, None, start_col, None, anchor=True)
        updates, written = self._write(
            spreadsheet, sheet, target, values, data.get("majorDimension"), input_option, grow_rows=True
        )
        updated = self._updated_data(sheet, written, query)
        if updated is not None:
            updates["updatedData"] = updated
        out: dict[str, Any] = {"spreadsheetId": spreadsheet.id}
        if table:
            out["tableRange"] = format_range(sheet.title, *table)
        out["updates"] = updates
        return out

    def _values_clear(self, spreadsheet: Spreadsheet, query: dict, body: bytes, range_text: str) -> dict:
        sheet, bounds = self._resolve(spreadsheet, range_text)
        return {"spreadsheetId": spreadsheet.id, "clearedRange": self._clear(sheet, bounds)}

    def _clear(self, sheet: Sheet, bounds: Bounds) -> str:
        r0, r1, c0, c1 = area = self._clip(sheet, bounds)
        for r in range(r0, min(r1, len(sheet.grid))):
            line = sheet.grid[r]
            for c in range(c0, min(c1, len(line))):
                line[c] = None
        return format_range(sheet.title, *area)

    def _values_batch_clear(self, spreadsheet: Spreadsheet, query: dict, body: bytes) -> dict:
        data = self._json_body(body)
        ranges = [self._resolve(spreadsheet, text) for text in data.get("ranges") or []]
        out: dict[str, Any] = {"spreadsheetId": spreadsheet.id}
        cleared = [self._clear(sheet, bounds) for sheet, bounds in ranges]
        if cleared:
            out["clearedRanges"] = cleared
        return out

    def _values_batch_update(self, spreadsheet: Spreadsheet, query: dict, body: bytes) -> dict:
        data = self._json_body(body)
        input_option = self._input_option(data.get("valueInputOption"))
        targets = []
        for i, entry in enumerate(data.get("data") or []):
            sheet, bounds = self._resolve(spreadsheet, entry.get("range", ""))
            targets.append((sheet, bounds, entry, f"data[{i}].values", None))
        return self._write_all(spreadsheet, targets, input_option, data)

    def _write_all(self, spreadsheet: Spreadsheet, targets: list, input_option: str, data: dict) -> dict:
        """Write each (sheet, bounds, entry, field, filter); Google's BatchUpdateValuesResponse."""
        responses, rows, columns, sheets, cells = [], set(), set(), set(), 0
        for sheet, bounds, entry, field_path, data_filter in targets:
            response, area = self._write(
                spreadsheet, sheet, bounds, entry.get("values"), entry.get("majorDimension"), input_option,
                field_path=field_path,
            )
            updated = self._updated_data(sheet, area, data)
            if updated is not None:
                response["updatedData"] = updated
            if data_filter is not None:
                response.pop("spreadsheetId", None)
                response["dataFilter"] = data_filter
            responses.append(response)
            if area is not None:
                rows.update((sheet.id, r) for r in range(area[0], area[1]))
                columns.update((sheet.id, c) for c in range(area[2], area[3]))
                sheets.add(sheet.id)
                cells += response["updatedCells"]
        out: dict[str, Any] = {"spreadsheetId": spreadsheet.id}
        totals = {
            "totalUpdatedRows": len(rows),
            "totalUpdatedColumns": len(columns),
            "totalUpdatedCells": cells,
            "totalUpdatedSheets": len(sheets),
        }
        out.update({name: value for name, value in totals.items() if value})
        if responses:
            out["responses"] = responses
        return out

    # ---- Sheets: data filters and developer metadata --------------------------------------

    def _filter_targets(self, spreadsheet: Spreadsheet, data_filter: Any) -> list[tuple[Sheet, Bounds]]:
        """The ranges a DataFilter selects (one per matching metadata for a lookup)."""
        if not isinstance(data_filter, dict) or len(data_filter) != 1:
            raise ApiError(400, "Sheets emulator: a DataFilter needs exactly one of developerMetadataLookup, a1Range, gridRange.")
        if "a1Range" in data_filter:
            return [self._resolve(spreadsheet, data_filter["a1Range"])]
        if "gridRange" in data_filter:
            try:
                return [self._grid_bounds(spreadsheet, data_filter["gridRange"])]
            except _RequestError as error:
                raise ApiError(400, str(error)) from None
        if "developerMetadataLookup" in data_filter:
            targets = []
            for meta in self._lookup(spreadsheet, data_filter["developerMetadataLookup"]):
                sheet = spreadsheet.sheet_by_id(meta.sheet_id)
                if meta.location[0] == "ROWS":
                    targets.append((sheet, Bounds(meta.location[2], meta.location[2] + 1, 0, None)))
                elif meta.location[0] == "COLUMNS":
                    targets.append((sheet, Bounds(0, None, meta.location[2], meta.location[2] + 1)))
                elif meta.location[0] == "SHEET":
                    targets.append((sheet, WHOLE_SHEET))
            return targets
        raise ApiError(400, f"Sheets emulator: unsupported DataFilter {json.dumps(data_filter)}.")

    def _lookup(self, spreadsheet: Spreadsheet, lookup: Any) -> list[DeveloperMetadata]:
        """The metadata a DeveloperMetadataLookup matches."""
        if not isinstance(lookup, dict) or not lookup:
            raise ApiError(400, "Sheets emulator: an empty developerMetadataLookup matches nothing useful.")
        location = lookup.get("metadataLocation")
        strategy = lookup.get("locationMatchingStrategy", "EXACT_LOCATION")
        wanted = None
        if location is not None:
            try:
                wanted = self._location(spreadsheet, location)
            except _RequestError as error:
                raise ApiError(400, str(error)) from None
        found = []
        for meta in spreadsheet.metadata:
            checks = (
                ("metadataId", meta.metadata_id),
                ("metadataKey", meta.key),
                ("metadataValue", meta.value),
                ("visibility", meta.visibility),
                ("locationType", meta.location_type),
            )
            if any(name in lookup and lookup[name] != value for name, value in checks):
                continue
            if wanted is not None and not _location_matches(meta.location, wanted, strategy):
                continue
            found.append(meta)
        return found

    def _location(self, spreadsheet: Spreadsheet, location: Any, *, single: bool = False) -> tuple:
        """A DeveloperMetadataLocation as the model's tuple."""
        if not isinstance(location, dict):
            raise _RequestError("A metadata location is required.")
        if location.get("spreadsheet"):
            return ("SPREADSHEET",)
        if "sheetId" in location:
            if spreadsheet.sheet_by_id(location["sheetId"]) is None:
                raise _RequestError(f"No sheet with id: {location['sheetId']}")
            return ("SHEET", location["sheetId"])
        if "dimensionRange" in location:
            span = location["dimensionRange"] or {}
            sheet = spreadsheet.sheet_by_id(span.get("sheetId", 0))
            if sheet is None:
                raise _RequestError(f"No grid with id: {span.get('sheetId', 0)}")
            dimension = span.get("dimension")
            if dimension not in ("ROWS", "COLUMNS"):
                raise _RequestError("A dimensionRange needs dimension ROWS or COLUMNS.")
            start, end = span.get("startIndex", 0), span.get("endIndex")
            size = sheet.row_count if dimension == "ROWS" else sheet.column_count
            if single and (end is None or end - start != 1):
                raise _RequestError(
                    "The specified DimensionRange must represent a single row or column; it cannot be "
                    "unbounded or span multiple rows or columns."
                )
            if start < 0 or start >= size:
                raise _RequestError(f"The dimensionRange startIndex {start} is outside the sheet ({size}).")
            if single:
                return (dimension, sheet.id, start)
            return (dimension, sheet.id, start, end if end is not None else size)
        raise _RequestError("A metadata location must set spreadsheet, sheetId or dimensionRange.")

    def _metadata_in_range(self, spreadsheet: Spreadsheet, data_filter: dict) -> list[DeveloperMetadata]:
        """Metadata whose location intersects a range filter (a1Range or gridRange)."""
        (sheet, bounds), = self._filter_targets(spreadsheet, data_filter)
        r0, r1, c0, c1 = self._clip(sheet, bounds)
        found = []
        for meta in spreadsheet.metadata:
            kind = meta.location[0]
            if kind == "SPREADSHEET" or (kind == "SHEET" and meta.sheet_id == sheet.id):
                found.append(meta)
            elif kind in ("ROWS", "COLUMNS") and meta.sheet_id == sheet.id:
                low, high = (r0, r1) if kind == "ROWS" else (c0, c1)
                if low <= meta.location[2] < high:
                    found.append(meta)
        return found

    def _matching_metadata(self, spreadsheet: Spreadsheet, data_filter: Any) -> list[DeveloperMetadata]:
        if isinstance(data_filter, dict) and "developerMetadataLookup" in data_filter:
            return self._lookup(spreadsheet, data_filter["developerMetadataLookup"])
        return self._metadata_in_range(spreadsheet, data_filter)

    def _metadata_search(self, spreadsheet: Spreadsheet, query: dict, body: bytes) -> dict:
        data = self._json_body(body)
        matched: dict[int, dict] = {}
        for data_filter in data.get("dataFilters") or []:
            for meta in self._matching_metadata(spreadsheet, data_filter):
                entry = matched.setdefault(meta.metadata_id, {"developerMetadata": meta.to_json(), "dataFilters": []})
                entry["dataFilters"].append(data_filter)
        return {"matchedDeveloperMetadata": list(matched.values())} if matched else {}

    def _metadata_get(self, spreadsheet: Spreadsheet, query: dict, body: bytes, metadata_id: int) -> dict:
        for meta in spreadsheet.metadata:
            if meta.metadata_id == metadata_id:
                return meta.to_json()
        raise _not_found()

    def _values_batch_get_by_filter(self, spreadsheet: Spreadsheet, query: dict, body: bytes) -> dict:
        data = self._json_body(body)
        options = self._render_options(data)
        matched: dict[str, dict] = {}
        for data_filter in data.get("dataFilters") or []:
            for sheet, bounds in self._filter_targets(spreadsheet, data_filter):
                value_range = self._value_range(sheet, bounds, options)
                entry = matched.setdefault(value_range["range"], {"valueRange": value_range, "dataFilters": []})
                entry["dataFilters"].append(data_filter)
        out: dict[str, Any] = {"spreadsheetId": spreadsheet.id}
        if matched:
            out["valueRanges"] = list(matched.values())
        return out

    def _values_batch_update_by_filter(self, spreadsheet: Spreadsheet, query: dict, body: bytes) -> dict:
        data = self._json_body(body)
        input_option = self._input_option(data.get("valueInputOption"))
        targets = []
        for i, entry in enumerate(data.get("data") or []):
            data_filter = entry.get("dataFilter")
            for sheet, bounds in self._filter_targets(spreadsheet, data_filter):
                targets.append((sheet, bounds, entry, f"data[{i}].values", data_filter))
        return self._write_all(spreadsheet, targets, input_option, data)

    def _values_batch_clear_by_filter(self, spreadsheet: Spreadsheet, query: dict, body: bytes) -> dict:
        data = self._json_body(body)
        cleared = []
        for data_filter in data.get("dataFilters") or []:
            cleared += [self._clear(sheet, bounds) for sheet, bounds in self._filter_targets(spreadsheet, data_filter)]
        out: dict[str, Any] = {"spreadsheetId": spreadsheet.id}
        if cleared:
            out["clearedRanges"] = cleared
        return out

    # ---- Sheets: spreadsheets.batchUpdate ---------------------------------------------------

    def _batch_update(self, spreadsheet: Spreadsheet, query: dict, body: bytes) -> dict:
        data = self._json_body(body)
        batch = data.get("requests")
        if not isinstance(batch, list) or not batch:
            raise ApiError(400, "Must specify at least one request.")
        replies = []
        for i, request in enumerate(batch):
            if not isinstance(request, dict) or len(request) != 1:
                raise ApiError(400, f"Invalid requests[{i}]: exactly one kind of request must be set.")
            (kind, payload), = request.items()
            handler = self._REQUESTS.get(kind)
            if handler is None and kind in _IGNORED_REQUESTS:
                handler = SheetsEmulator._ignored_request
            if handler is None:
                if kind in _KNOWN_REQUESTS:
                    raise ApiError(400, f'Sheets emulator: the request "{kind}" (requests[{i}]) is not implemented by the emulator.')
                raise ApiError(400, f"Invalid JSON payload received. Unknown name \"{kind}\" at 'requests[{i}]': Cannot find field.")
            try:
                replies.append(handler(self, spreadsheet, payload or {}))
            except _RequestError as error:
                raise ApiError(400, f"Invalid requests[{i}].{kind}: {error}") from None
        out: dict[str, Any] = {"spreadsheetId": spreadsheet.id, "replies": replies}
        if data.get("includeSpreadsheetInResponse"):
            out["updatedSpreadsheet"] = self._spreadsheet_json(spreadsheet)
        return out

    def _ignored_request(self, spreadsheet: Spreadsheet, payload: dict) -> dict:
        fields = str(payload.get("fields", ""))
        if "userEnteredValue" in fields or "cell" in payload and "userEnteredValue" in json.dumps(payload["cell"]):
            raise _RequestError("Sheets emulator: writing values through formatting requests is not implemented.")
        return {}

    def _sheet_of(self, spreadsheet: Spreadsheet, sheet_id: Any) -> Sheet:
        sheet = spreadsheet.sheet_by_id(sheet_id)
        if sheet is None:
            raise _RequestError(f"No grid with id: {sheet_id}")
        return sheet

    def _add_sheet(self, spreadsheet: Spreadsheet, payload: dict) -> dict:
        properties = dict(payload.get("properties") or {})
        title = properties.pop("title", None)
        if not title:
            number = len(spreadsheet.sheets) + 1
            while spreadsheet.sheet_by_title(f"Sheet{number}"):
                number += 1
            title = f"Sheet{number}"
        if spreadsheet.sheet_by_title(title) is not None:
            raise _RequestError(f'A sheet with the name "{title}" already exists. Please enter another name.')
        sheet_id = properties.pop("sheetId", None)
        if sheet_id is not None and spreadsheet.sheet_by_id(sheet_id) is not None:
            raise _RequestError(f"A sheet with the id {sheet_id} already exists.")
        grid = dict(properties.pop("gridProperties", None) or {})
        rows, columns = grid.pop("rowCount", DEFAULT_ROWS), grid.pop("columnCount", DEFAULT_COLUMNS)
        if rows < 1 or columns < 1 or columns > MAX_COLUMNS:
            raise _RequestError("The grid size is invalid.")
        index = min(max(int(properties.pop("index", len(spreadsheet.sheets))), 0), len(spreadsheet.sheets))
        properties.pop("sheetType", None)
        sheet = Sheet(sheet_id if sheet_id is not None else self._new_sheet_id(spreadsheet), title, index, rows, columns)
        sheet.properties["gridProperties"].update(grid)
        sheet.properties.update(properties)
        spreadsheet.sheets.insert(index, sheet)
        spreadsheet.renumber()
        return {"addSheet": {"properties": copy.deepcopy(sheet.properties)}}

    def _delete_sheet(self, spreadsheet: Spreadsheet, payload: dict) -> dict:
        sheet = spreadsheet.sheet_by_id(payload.get("sheetId"))
        if sheet is None:
            raise _RequestError(f"No sheet with id: {payload.get('sheetId')}")
        if len(spreadsheet.sheets) == 1:
            raise _RequestError("You can't remove all the sheets in a document.")
        spreadsheet.remove_sheet(sheet)
        return {}

    def _update_sheet_properties(self, spreadsheet: Spreadsheet, payload: dict) -> dict:
        given = payload.get("properties") or {}
        sheet = self._sheet_of(spreadsheet, given.get("sheetId", 0))
        paths = _field_paths(payload.get("fields"), given)
        updated = copy.deepcopy(sheet.properties)
        for path in paths:
            if path[0] in ("sheetId", "sheetType"):
                raise _RequestError(f"The field {'.'.join(path)} cannot be updated.")
            _set_path(updated, path, _get_path(given, path))
        grid = updated.setdefault("gridProperties", {})
        rows = grid.get("rowCount") or sheet.row_count
        columns = grid.get("columnCount") or sheet.column_count
        if rows < 1 or columns < 1 or columns > MAX_COLUMNS:
            raise _RequestError("The grid size is invalid.")
        title = updated.get("title") or sheet.title
        other = spreadsheet.sheet_by_title(title)
        if other is not None and other is not sheet:
            raise _RequestError(f'A sheet with the name "{title}" already exists. Please enter another name.')
        index = updated.get("index", sheet.properties["index"])
        updated.update(title=title, sheetId=sheet.id, index=sheet.properties["index"], sheetType="GRID")
        grid.update(rowCount=sheet.row_count, columnCount=sheet.column_count)
        sheet.properties = updated
        spreadsheet.resize(sheet, rows, columns)
        if index != sheet.properties["index"]:
            spreadsheet.sheets.remove(sheet)
            spreadsheet.sheets.insert(min(max(int(index), 0), len(spreadsheet.sheets)), sheet)
            spreadsheet.renumber()
        return {}

    def _update_spreadsheet_properties(self, spreadsheet: Spreadsheet, payload: dict) -> dict:
        given = payload.get("properties") or {}
        for path in _field_paths(payload.get("fields"), given):
            name = path[0]
            if name == "title":
                spreadsheet.title = given.get("title") or spreadsheet.title
            elif name == "locale":
                spreadsheet.locale = given.get("locale") or spreadsheet.locale
            elif name == "timeZone":
                spreadsheet.time_zone = given.get("timeZone") or spreadsheet.time_zone
        return {}

    def _dimension_span(self, spreadsheet: Spreadsheet, span: Any) -> tuple[Sheet, str, int, int]:
        if not isinstance(span, dict):
            raise _RequestError("A range is required.")
        sheet = self._sheet_of(spreadsheet, span.get("sheetId", 0))
        dimension = span.get("dimension")
        if dimension not in ("ROWS", "COLUMNS"):
            raise _RequestError("The dimension must be ROWS or COLUMNS.")
        size = sheet.row_count if dimension == "ROWS" else sheet.column_count
        start, end = int(span.get("startIndex", 0)), int(span.get("endIndex", size))
        if not 0 <= start < end:
            raise _RequestError(f"The range [{start}, {end}) is empty or negative.")
        return sheet, dimension, start, end

    def _insert_dimension(self, spreadsheet: Spreadsheet, payload: dict) -> dict:
        sheet, dimension, start, end = self._dimension_span(spreadsheet, payload.get("range"))
        size = sheet.row_count if dimension == "ROWS" else sheet.column_count
        if start > size:
            raise _RequestError(f"The startIndex {start} is beyond the end of the sheet ({size}).")
        if dimension == "COLUMNS" and sheet.column_count + end - start > MAX_COLUMNS:
            raise _RequestError("This action would increase the number of columns beyond the limit.")
        spreadsheet.insert_dimension(sheet, dimension, start, end)
        return {}

    def _delete_dimension(self, spreadsheet: Spreadsheet, payload: dict) -> dict:
        sheet, dimension, start, end = self._dimension_span(spreadsheet, payload.get("range"))
        size = sheet.row_count if dimension == "ROWS" else sheet.column_count
        if end > size:
            raise _RequestError(f"Cannot delete a {dimension.lower()[:-1]} that doesn't exist. Tried to delete index {end - 1} but there are only {size}.")
        if start == 0 and end == size:
            raise _RequestError(f"You can't delete all the {dimension.lower()} on the sheet.")
        spreadsheet.delete_dimension(sheet, dimension, start, end)
        return {}

    def _append_dimension(self, spreadsheet: Spreadsheet, payload: dict) -> dict:
        sheet = self._sheet_of(spreadsheet, payload.get("sheetId", 0))
        dimension, length = payload.get("dimension"), int(payload.get("length", 0))
        if dimension not in ("ROWS", "COLUMNS") or length < 1:
            raise _RequestError("appendDimension needs a dimension (ROWS or COLUMNS) and a positive length.")
        if dimension == "ROWS":
            sheet.properties["gridProperties"]["rowCount"] += length
        else:
            sheet.properties["gridProperties"]["columnCount"] += length
        return {}

    def _sort_range(self, spreadsheet: Spreadsheet, payload: dict) -> dict:
        sheet, bounds = self._grid_bounds(spreadsheet, payload.get("range"))
        r1 = sheet.row_count if bounds.r1 is None else bounds.r1
        c1 = sheet.column_count if bounds.c1 is None else bounds.c1
        specs = []
        for spec in payload.get("sortSpecs") or []:
            column = spec.get("dimensionIndex")
            if column is None or not bounds.c0 <= column < c1:
                raise _RequestError("Each sortSpec needs a dimensionIndex inside the range.")
            specs.append((column, spec.get("sortOrder") == "DESCENDING"))
        if not specs:
            raise _RequestError("At least one sortSpec is required.")
        sheet.sort(bounds.r0, r1, bounds.c0, c1, specs)  # metadata stays put, as in Google
        return {}

    def _create_metadata(self, spreadsheet: Spreadsheet, payload: dict) -> dict:
        given = payload.get("developerMetadata") or {}
        if not given.get("metadataKey"):
            raise _RequestError("Developer metadata must have a metadataKey.")
        if given.get("visibility") not in ("DOCUMENT", "PROJECT"):
            raise _RequestError("Developer metadata visibility must be DOCUMENT or PROJECT.")
        metadata_id = given.get("metadataId")
        if metadata_id is not None and any(meta.metadata_id == metadata_id for meta in spreadsheet.metadata):
            raise _RequestError(f"Developer metadata with id {metadata_id} already exists.")
        meta = DeveloperMetadata(
            metadata_id if metadata_id is not None else self._new_metadata_id(spreadsheet),
            given["metadataKey"],
            given.get("metadataValue"),
            given["visibility"],
            self._location(spreadsheet, given.get("location"), single=True),
        )
        spreadsheet.metadata.append(meta)
        return {"createDeveloperMetadata": {"developerMetadata": meta.to_json()}}

    def _update_metadata(self, spreadsheet: Spreadsheet, payload: dict) -> dict:
        given = payload.get("developerMetadata") or {}
        paths = _field_paths(payload.get("fields"), given)
        matched: dict[int, DeveloperMetadata] = {}
        for data_filter in payload.get("dataFilters") or []:
            for meta in self._matching_metadata(spreadsheet, data_filter):
                matched[meta.metadata_id] = meta
        for meta in matched.values():
            for path in paths:
                name = path[0]
                if name == "metadataKey":
                    meta.key = given.get("metadataKey") or meta.key
                elif name == "metadataValue":
                    meta.value = given.get("metadataValue")
                elif name == "visibility":
                    meta.visibility = given.get("visibility") or meta.visibility
                elif name == "location":
                    meta.location = self._location(spreadsheet, given.get("location"), single=True)
                else:
                    raise _RequestError(f"The field {'.'.join(path)} cannot be updated.")
        out = [meta.to_json() for meta in matched.values()]
        return {"updateDeveloperMetadata": {"developerMetadata": out} if out else {}}

    def _delete_metadata(self, spreadsheet: Spreadsheet, payload: dict) -> dict:
        doomed = self._matching_metadata(spreadsheet, payload.get("dataFilter"))
        ids = {meta.metadata_id for meta in doomed}
        spreadsheet.metadata = [meta for meta in spreadsheet.metadata if meta.metadata_id not in ids]
        deleted = [meta.to_json() for meta in doomed]
        return {"deleteDeveloperMetadata": {"deletedDeveloperMetadata": deleted} if deleted else {}}

    @staticmethod
    def _cell_data(data: Any, where: str) -> Cell | None:
        """A ``CellData``'s ``userEnteredValue`` as a cell: ``stringValue`` is text verbatim (never
        a formula, like RAW), ``formulaValue`` a formula; no value clears the cell."""
        if data is None:
            return None
        if not isinstance(data, dict):
            raise _RequestError(f"{where} must be a CellData object.")
        value = data.get("userEnteredValue")
        if value is None:
            return None
        if not isinstance(value, dict) or len(value) != 1:
            raise _RequestError(f"{where}.userEnteredValue must set exactly one kind of value.")
        (kind, given), = value.items()
        if kind == "stringValue":
            text = str(given)
            return Cell(text, text) if text else None
        if kind == "numberValue":
            cell = raw_cell(float(given))
            return cell if isinstance(cell, Cell) else None
        if kind == "boolValue":
            return Cell(bool(given), "TRUE" if given else "FALSE")
        if kind == "formulaValue":
            return _formula_cell(str(given))
        raise _RequestError(f"{where}.userEnteredValue: the kind {kind} is not supported by the emulator.")

    def _put_rows(self, sheet: Sheet, rows: Any, fields: Any, row0: int, col0: int, where: str) -> None:
        """Write ``RowData`` rows from (row0, col0): the grid must already hold them."""
        paths = str(fields or "")
        if not paths:
            raise _RequestError("At least one field must be specified in 'fields'.")
        if paths != "*" and "userEnteredValue" not in paths.split(","):
            return  # formatting only: values unchanged
        if not isinstance(rows, list):
            raise _RequestError(f"{where}.rows must be a list of RowData.")
        for i, row in enumerate(rows):
            cells = (row or {}).get("values") or []
            if row0 + i >= sheet.row_count or col0 + len(cells) > sheet.column_count:
                shown = format_range(sheet.title, row0 + i, row0 + i + 1, col0, col0 + max(len(cells), 1))
                raise _RequestError(
                    f"Range ({shown}) exceeds grid limits. Max rows: {sheet.row_count}, max columns: {sheet.column_count}"
                )
            for j, data in enumerate(cells):
                sheet.set_cell(row0 + i, col0 + j, self._cell_data(data, f"{where}.rows[{i}].values[{j}]"))

    def _update_cells(self, spreadsheet: Spreadsheet, payload: dict) -> dict:
        if "start" in payload:
            start = payload.get("start") or {}
            sheet = self._sheet_of(spreadsheet, start.get("sheetId", 0))
            row0, col0 = int(start.get("rowIndex", 0)), int(start.get("columnIndex", 0))
        else:
            sheet, bounds = self._grid_bounds(spreadsheet, payload.get("range"))
            row0, col0 = bounds.r0, bounds.c0
        self._put_rows(sheet, payload.get("rows") or [], payload.get("fields"), row0, col0, "updateCells")
        return {}

    def _append_cells(self, spreadsheet: Spreadsheet, payload: dict) -> dict:
        """Rows added after the last row holding data, the grid grown as needed (atomic, so two
        writers appending at once never overwrite each other)."""
        sheet = self._sheet_of(spreadsheet, payload.get("sheetId", 0))
        rows = payload.get("rows") or []
        start = sheet.data_height()
        missing = start + len(rows) - sheet.row_count
        if missing > 0:
            sheet.properties["gridProperties"]["rowCount"] += missing
        self._put_rows(sheet, rows, payload.get("fields"), start, 0, "appendCells")
        return {}

    _REQUESTS: dict[str, Callable[..., dict]] = {
        "addSheet": _add_sheet,
        "deleteSheet": _delete_sheet,
        "updateSheetProperties": _update_sheet_properties,
        "updateSpreadsheetProperties": _update_spreadsheet_properties,
        "insertDimension": _insert_dimension,
        "deleteDimension": _delete_dimension,
        "appendDimension": _append_dimension,
        "sortRange": _sort_range,
        "updateCells": _update_cells,
        "appendCells": _append_cells,
        "createDeveloperMetadata": _create_metadata,
        "updateDeveloperMetadata": _update_metadata,
        "deleteDeveloperMetadata": _delete_metadata,
    }

    # ---- Drive ----------------------------------------------------------------------------

    @staticmethod
    def _drive_json(spreadsheet: Spreadsheet, fields: str | None) -> dict:
        full = {
            "kind": "drive#file",
            "id": spreadsheet.id,
            "name": spreadsheet.title,
            "mimeType": SPREADSHEET_MIME,
            "createdTime": rfc3339(spreadsheet.created),
            "modifiedTime": rfc3339(spreadsheet.modified),
            "version": str(spreadsheet.version),
            "trashed": False,
        }
        if not fields:
            names = ["kind", "id", "name", "mimeType"]
        elif fields.strip() == "*":
            names = list(full)
        else:
            names = [name.strip() for name in fields.split(",")]
        return {name: full[name] for name in names if name in full}

    def _drive_get(self, spreadsheet: Spreadsheet, query: dict, body: bytes) -> dict:
        return self._drive_json(spreadsheet, self._param(query, "fields"))

    def _drive_create(self, query: dict, body: bytes) -> dict:
        data = self._json_body(body)
        mime = data.get("mimeType", SPREADSHEET_MIME)
        if mime != SPREADSHEET_MIME:
            raise ApiError(400, f"Sheets emulator: only Google Sheets files ({SPREADSHEET_MIME}) can be created, not {mime}.")
        spreadsheet_id = self.create_spreadsheet(data.get("name") or "Untitled spreadsheet")
        return self._drive_json(self._spreadsheets[spreadsheet_id], self._param(query, "fields"))

    def _drive_patch(self, spreadsheet: Spreadsheet, query: dict, body: bytes) -> dict:
        data = self._json_body(body)
        if data.get("name"):
            spreadsheet.title = data["name"]
        return self._drive_json(spreadsheet, self._param(query, "fields"))

    def _drive_delete_route(self, file_id: str) -> Callable[..., None]:
        def delete(query: dict, body: bytes) -> None:
            if self._spreadsheets.pop(file_id, None) is None:
                raise _drive_not_found(file_id)

        return delete

    def _drive_list(self, query: dict, body: bytes) -> dict:
        text = self._param(query, "q") or ""
        name = re.search(r"name\s*=\s*'((?:[^'\\]|\\.)*)'", text)
        wanted = name[1].replace("\\'", "'") if name else None
        files = [
            self._drive_json(spreadsheet, "kind,id,name,mimeType,createdTime,modifiedTime")
            for spreadsheet in self._spreadsheets.values()
            if wanted is None or spreadsheet.title == wanted
        ]
        return {"kind": "drive#fileList", "incompleteSearch": False, "files": files}

    # ---- a page for people ----------------------------------------------------------------

    def _console(self) -> tuple[int, list[tuple[str, str]], bytes]:
        """``GET /``: every spreadsheet as HTML tables, refreshed every 2 s (not logged)."""
        with self._lock:
            parts = [
                "<!doctype html><meta charset=utf-8><meta http-equiv=refresh content=2>",
                "<title>Émulateur Google Sheets</title><h1>Émulateur Google Sheets</h1>",
            ]
            if not self._spreadsheets:
                parts.append("<p>Aucun classeur.</p>")
            for spreadsheet in self._spreadsheets.values():
                parts.append(
                    f"<h2>{html.escape(spreadsheet.title)}</h2><p><code>{spreadsheet.id}</code>"
                    f" — modifié {rfc3339(spreadsheet.modified)}</p>"
                )
                for sheet in spreadsheet.sheets:
                    parts.append(f"<h3>{html.escape(sheet.title)}</h3><table border=1 cellpadding=3>")
                    for line in sheet.grid[: min(sheet.data_height(), 500)]:
                        cells = "".join(f"<td>{html.escape(render(cell))}</td>" for cell in line)
                        parts.append(f"<tr>{cells}</tr>")
                    parts.append("</table>")
        return 200, [("Content-Type", "text/html; charset=utf-8")], "".join(parts).encode("utf-8")


# --------------------------------------------------------------------------------------------
# Small helpers of the handlers


def _is_blank(value: Any) -> bool:
    return isinstance(value, str) and value == ""


def _last_filled(line: list[Cell | None]) -> int:
    for c in range(len(line) - 1, -1, -1):
        if line[c] is not None:
            return c + 1
    return 0


def _row_data(line: list[Cell | None]) -> dict:
    """One row of ``includeGridData=true`` (values only, no formats)."""
    values = []
    for cell in line:
        if cell is None:
            values.append({})
            continue
        entered = {"formulaValue": cell.formula} if cell.formula else _extended_value(cell.value)
        values.append({"userEnteredValue": entered, "effectiveValue": _extended_value(cell.value), "formattedValue": cell.text})
    return {"values": values} if values else {}


def _find_table(sheet: Sheet, area: tuple[int, int, int, int]) -> tuple[int, int, int, int] | None:
    """The "table" values:append looks for: the first cell holding data in the range, grown
    down and right while the next row or column holds data (Google's logical table)."""
    r0, r1, c0, c1 = area
    start = None
    for r in range(r0, min(r1, len(sheet.grid))):
        line = sheet.grid[r]
        for c in range(c0, min(c1, len(line))):
            if line[c] is not None:
                start = (r, c)
                break
        if start:
            break
    if start is None:
        return None
    top, left = start
    bottom, right = top + 1, left + 1
    grown = True
    while grown:  # the smallest block closed under growth (rows first: linear on a long table)
        grown = False
        while sheet.has_data(bottom, left, right):
            bottom += 1
            grown = True
        while right < sheet.column_count and any(sheet.cell(r, right) is not None for r in range(top, bottom)):
            right += 1
            grown = True
        while left > c0 and any(sheet.cell(r, left - 1) is not None for r in range(top, bottom)):
            left -= 1
            grown = True
    return top, bottom, left, right


def _location_matches(actual: tuple, wanted: tuple, strategy: str) -> bool:
    """Whether a metadata location matches a lookup's ``metadataLocation``."""
    if wanted[0] == "SPREADSHEET":
        return actual[0] == "SPREADSHEET" or strategy == "INTERSECTING_LOCATION"
    if wanted[0] == "SHEET":
        if actual == wanted:
            return True
        return strategy == "INTERSECTING_LOCATION" and len(actual) > 1 and actual[1] == wanted[1]
    dimension, sheet_id, start, end = wanted
    if actual[0] != dimension or actual[1] != sheet_id:
        return False
    if strategy == "INTERSECTING_LOCATION":
        return start <= actual[2] < end
    return end - start == 1 and actual[2] == start


def _field_paths(fields: Any, given: Mapping[str, Any]) -> list[tuple[str, ...]]:
    """A field mask (``title,gridProperties/rowCount`` or ``*``) as paths."""
    if not fields:
        raise _RequestError("At least one field must be updated ('fields' is empty).")
    if str(fields).strip() == "*":
        return [(name,) for name in given if name != "sheetId"]
    return [tuple(part.strip().replace("/", ".").split(".")) for part in str(fields).split(",") if part.strip()]


def _get_path(source: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    for name in path:
        if not isinstance(source, Mapping) or name not in source:
            return None
        source = source[name]
    return source


def _set_path(target: dict, path: tuple[str, ...], value: Any) -> None:
    for name in path[:-1]:
        target = target.setdefault(name, {})
    if value is None:
        target.pop(path[-1], None)
    else:
        target[path[-1]] = copy.deepcopy(value)


# --------------------------------------------------------------------------------------------
# HTTP


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    emulator: SheetsEmulator

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Close kept-alive connections, so that no handler thread outlives ``stop()``."""
        with self._connections_lock:
            connections, self._connections = list(self._connections), set()
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            connection.close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as with Google
    server_version = "SheetsEmulator"
    disable_nagle_algorithm = True  # else each answer waits ~40 ms for a delayed ACK
    server: _Server

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        answer = self.server.emulator._serve(self.command, self.path, body)
        if answer is None:  # an injected dropped connection
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        status, headers, payload = answer
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass  # the emulator keeps its own log


# --------------------------------------------------------------------------------------------
# By hand


def main(argv: list[str] | None = None) -> int:
    """Serve an emulator until Ctrl-C, with one demo spreadsheet, and say how to use it."""
    parser = argparse.ArgumentParser(
        prog="maillage dev sheets-emulator",
        description="Émulateur local de l'API Google Sheets (aucun compte Google nécessaire).",
    )
    parser.add_argument("--port", type=int, default=8765, help="port d'écoute (défaut : 8765 ; 0 = libre)")
    parser.add_argument("--titre", default="Maillage (émulateur)", help="titre du classeur de démonstration")
    parser.add_argument("--id", default="maillage-demo", help="identifiant du classeur de démonstration")
    args = parser.parse_args(argv)
    emulator = SheetsEmulator(port=args.port).start()
    emulator.create_spreadsheet(args.titre, spreadsheet_id=args.id)
    print(f"Émulateur Google Sheets prêt : {emulator.url}")
    print(f"  Classeur de démonstration : {args.titre!r}, identifiant {args.id}")
    print(f"  Voir les feuilles dans un navigateur : {emulator.url}/")
    print(f"  Synchroniser Maillage avec lui : maillage sync --emulateur {emulator.url} --classeur {args.id}")
    print(f"  (ou MAILLAGE_GSHEETS_EMULATOR={emulator.url} MAILLAGE_GSHEETS_SPREADSHEET={args.id} maillage sync)")
    print("  Depuis Python : gspread.Client(auth=None, session=emulator_session(URL))")
    print("  (from sync.emulator_client import emulator_session). Ctrl-C pour arrêter.")
    sys.stdout.flush()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stop cleanly when killed too
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
        print("Émulateur arrêté.")
    return 0


def serve_forever(port: int = 8765) -> int:
    """``main()`` on a given port."""
    return main(["--port", str(port)])


if __name__ == "__main__":
    raise SystemExit(main())
