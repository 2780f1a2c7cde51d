"""Values between the store and a Google Sheet cell, exactly, both ways.

The sync writes every cell RAW (``valueInputOption=RAW``): the sheet keeps the text as given, so
``=cmd|…``, ``+33545…``, ``-``, ``@x`` stay text and never become formulas, and codes keep their
leading zeros (``01000``, ``2A004``). It reads back ``FORMATTED_VALUE``: what a person sees, so a
value a person typed in the sheet arrives as they typed it (``4,5`` in a French sheet, ``Oui``,
``05/03/2026``). ``to_cell`` writes one canonical text per value; ``from_cell`` reads that text
back to the same value, and also what people type:

============  ==========================  =========================================================
kind          written                     also read
============  ==========================  =========================================================
text, code    as is                       —
list          ``a|b`` (``|`` separated)   spaces around ``|`` ignored
boolean       ``Oui`` / ``Non``           ``TRUE``/``FALSE``, ``vrai``/``faux``, ``1``/``0``, ``oui``
integer       ``12``                      ``12,0``, ``1 234`` (spaces, narrow no-break spaces)
decimal       ``4.5`` (Python's repr)     ``4,5``, ``1 234,5``
date          ``2026-03-05``              ``05/03/2026``, ``5/3/2026``
datetime      ISO 8601 with its offset    ``05/03/2026 10:00`` (read in ``Europe/Paris``)
json          compact JSON                —
============  ==========================  =========================================================

An empty cell is ``None``; a column missing from the sheet is ``ABSENT`` (nothing to say about
it, which is not the same as emptied). A value that cannot be read is a ``CellError`` whose
French message names the tab, line, column and value.
"""

from __future__ import annotations

import json
import math
import re
from datetime import date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from models.errors import MaillageError
from models.vocabulary import yes_no

Kind = Literal["text", "code", "list", "boolean", "integer", "decimal", "date", "datetime", "json"]
KINDS: tuple[str, ...] = ("text", "code", "list", "boolean", "integer", "decimal", "date", "datetime", "json")

LIST_SEPARATOR = "|"
SHEET_TIMEZONE = ZoneInfo("Europe/Paris")  # how a date-time typed without offset by a person is read
_SPACES = re.compile(r"[\s\u00a0\u202f]")
_FRENCH_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_FRENCH_DATETIME = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$")


class _Absent:
    """The marker of a column the sheet does not have (a person deleted or renamed it)."""

    _instance: _Absent | None = None

    def __new__(cls) -> _Absent:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "ABSENT"

    def __bool__(self) -> bool:
        return False


ABSENT = _Absent()


class CellError(MaillageError):
    """A cell of the sheet holds a value that cannot be read for its column."""

    def __init__(self, tab: str, line: int | None, column: str, value: Any, reason: str) -> None:
        where = f"Onglet « {tab} », " + (f"ligne {line}, " if line is not None else "")  # None: typed in the app
        super().__init__(f"{where}colonne « {column} » : « {value} » {reason}.")
        self.tab, self.line, self.column, self.value, self.reason = tab, line, column, value, reason


def to_cell(value: Any, kind: Kind) -> str:
    """The text written RAW in the sheet for a store value ("" for None)."""
    if value is None:
        return ""
    if kind in ("text", "code"):
        return str(value)
    if kind == "list":
        return LIST_SEPARATOR.join(str(item) for item in value)
    if kind == "boolean":
        return "Oui" if value else "Non"
    if kind == "integer":
        return str(int(value))
    if kind == "decimal":
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(f"not a finite number: {value!r}")
        return repr(number)
    if kind == "date":
        return value.isoformat()
    if kind == "datetime":
        if value.tzinfo is None:
            raise ValueError("a date-time written to the sheet must carry its time zone")
        return value.isoformat()
    if kind == "json":
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    raise ValueError(f"unknown column kind: {kind}")


def from_cell(raw: Any, kind: Kind, *, tab: str = "", line: int | None = 0, column: str = "") -> Any:
    """The store value of a cell as read (FORMATTED_VALUE text, or a number/boolean some readers
    give); ``ABSENT`` stays ``ABSENT``; an empty cell is None. Raises ``CellError`` (French)."""
    if raw is ABSENT:
        return ABSENT
    if raw is None:
        return None
    if isinstance(raw, bool):
        text = "Oui" if raw else "Non"
    elif isinstance(raw, int | float):
        text = repr(raw) if isinstance(raw, float) else str(raw)
    else:
        text = str(raw)
    if kind in ("text", "code"):
        return text if text != "" else None
    text_stripped = text.strip()
    if text_stripped == "":
        return None
    try:
        return _READERS[kind](text_stripped)
    except (ValueError, OverflowError):
        raise CellError(tab, line, column, text, _REASONS[kind]) from None


def _list(text: str) -> list[str]:
    return [item.strip() for item in text.split(LIST_SEPARATOR) if item.strip()]


def _boolean(text: str) -> bool:
    """Yes or no as the import reads it (``models.vocabulary.yes_no``: oui, x, ✓, TRUE, non, 0…, the one list)."""
    answer = yes_no(text)
    if answer is None:
        raise ValueError(_REASONS["boolean"])
    return answer


def _number_text(text: str) -> str:
    compact = _SPACES.sub("", text)
    if "," in compact and "." in compact:  # « 1.234,5 » (dots as thousands) → « 1234.5 »
        compact = compact.replace(".", "")
    return compact.replace(",", ".")


def _integer(text: str) -> int:
    number = float(_number_text(text))
    if not math.isfinite(number) or number != int(number):
        raise ValueError(_REASONS["integer"])
    return int(number)


def _decimal(text: str) -> float:
    number = float(_number_text(text))
    if not math.isfinite(number):
        raise ValueError(_REASONS["decimal"])
    return number


def _date(text: str) -> date:
    found = _FRENCH_DATE.match(text)
    if found:
        day, month, year = (int(part) for part in found.groups())
        return date(year, month, day)
    return date.fromisoformat(text)


def _datetime(text: str) -> datetime:
    found = _FRENCH_DATETIME.match(text)
    if found:
        day, month, year, hour, minute = (int(part) for part in found.groups()[:5])
        second = int(found.group(6) or 0)
        return datetime(year, month, day, hour, minute, second, tzinfo=SHEET_TIMEZONE)
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=SHEET_TIMEZONE)


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise ValueError(_REASONS["json"]) from None


_READERS = {
    "list": _list, "boolean": _boolean, "integer": _integer, "decimal": _decimal, "date": _date,
    "datetime": _datetime, "json": _json,
}
_REASONS = {
    "boolean": "n'est pas un oui/non (Oui, Non, TRUE, FALSE)",
    "integer": "n'est pas un nombre entier",
    "decimal": "n'est pas un nombre (virgule ou point décimal)",
    "date": "n'est pas une date (JJ/MM/AAAA ou AAAA-MM-JJ)",
    "datetime": "n'est pas une date et heure (JJ/MM/AAAA HH:MM)",
    "json": "n'est pas une valeur JSON valide",
}
