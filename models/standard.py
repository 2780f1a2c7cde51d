"""The national standard of lieux de médiation numérique, read from its Table Schema file.

Nothing here retypes the standard: field names, required flags, patterns, lengths and the
enumerations hidden in the multi-value patterns are all read from ``data/standard/schema.json``
(v1.0.x) and ``data/standard/v0.1.1/schema.json`` (legacy). See ``data/SOURCES.md``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).parent / "data"
SCHEMA_V1_PATH = DATA_DIR / "standard" / "schema.json"
SCHEMA_V0_PATH = DATA_DIR / "standard" / "v0.1.1" / "schema.json"

# The shape every multi-value field of the standard uses:
#   (?:(?:^|\|)(Value A|Value B|...))+$      (v1, separator "|")
#   (?:(?:^|;)(Value A|Value B|...))+$       (v0.1, separator ";")
_MULTI_PATTERN = re.compile(r"^\(\?:\(\?:\^\|(?P<sep>\\\||;)\)\((?P<alternatives>.*)\)\)\+\$$")


@dataclass(frozen=True)
class StandardField:
    """One column of the standard, as its schema declares it."""

    name: str
    type: str
    required: bool
    description: str
    pattern: str | None
    max_length: int | None
    choices: tuple[str, ...] | None
    separator: str | None

    @property
    def is_multi(self) -> bool:
        """True for the fields whose values are joined by the standard's separator."""
        return self.separator is not None


@dataclass(frozen=True)
class Standard:
    """The whole schema: its version and its fields in the order of the schema file."""

    version: str
    fields: tuple[StandardField, ...]
    separator: str

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def field(self, name: str) -> StandardField:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    def choices(self, name: str) -> tuple[str, ...]:
        """The allowed values of an enumerated field, e.g. ``choices("services")``."""
        found = self.field(name).choices
        if found is None:
            raise KeyError(f"{name} has no enumeration")
        return found


def _split_alternatives(alternatives: str) -> list[str]:
    """Split a regex alternation at top-level ``|``, keeping escaped characters as-is."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    i = 0
    while i < len(alternatives):
        char = alternatives[i]
        if char == "\\" and i + 1 < len(alternatives):
            current.append(alternatives[i : i + 2])
            i += 2
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "|" and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
        i += 1
    parts.append("".join(current))
    return parts


def _unescape(regex_literal: str) -> str:
    """Turn a literal written as a regex (``Langues étrangères \\(anglais\\)``) into its text."""
    return re.sub(r"\\(.)", r"\1", regex_literal)


def enumeration_from_pattern(pattern: str) -> tuple[tuple[str, ...], str] | None:
    """Return ``(choices, separator)`` when ``pattern`` is one of the standard's list patterns."""
    match = _MULTI_PATTERN.match(pattern)
    if not match:
        return None
    separator = "|" if match["sep"] == "\\|" else ";"
    values = tuple(_unescape(v) for v in _split_alternatives(match["alternatives"]))
    return values, separator


def _load(path: Path) -> Standard:
    schema = json.loads(path.read_text(encoding="utf-8"))
    fields = []
    default_separator = "|"
    for raw in schema["fields"]:
        constraints = raw.get("constraints", {})
        pattern = constraints.get("pattern")
        enumeration = enumeration_from_pattern(pattern) if pattern else None
        choices, separator = enumeration if enumeration else (None, None)
        if separator:
            default_separator = separator
        fields.append(
            StandardField(
                name=raw["name"],
                type=raw.get("type", "string"),
                required=bool(constraints.get("required", False)),
                description=raw.get("description", ""),
                pattern=pattern,
                max_length=constraints.get("maxLength"),
                choices=choices,
                separator=separator,
            )
        )
    return Standard(version=str(schema.get("version", "")), fields=tuple(fields), separator=default_separator)


@cache
def standard_v1() -> Standard:
    """The v1.0.x standard (32 fields), read once from the copied schema file."""
    return _load(SCHEMA_V1_PATH)


@cache
def standard_v0() -> Standard:
    """The legacy v0.1.1 standard (``;`` separator, ``courriel``, ``labels_nationaux``…)."""
    return _load(SCHEMA_V0_PATH)


# Fields of v1 that hold several values joined by "|" although the schema gives no enumeration.
FREE_MULTI_FIELDS_V1 = ("typologie", "courriels", "site_web")
