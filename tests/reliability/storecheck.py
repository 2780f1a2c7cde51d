"""Helpers of the reliability suite: stores copied from a template, whole-store dumps, French checks.

- ``StoreFactory`` builds a migrated (and optionally seeded) template store once, then hands each
  hypothesis example its own copy, so every example starts from the same known state.
- ``store_dump`` reads every table and view the DuckDB catalog lists, row by row, so a test can
  say « the store is unchanged » about all of it, including tables added by later migrations.
- ``assert_french`` checks a message meant for a person: French, and no raw Python/English
  error text (an exception class name, a library's English sentence).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import count
from pathlib import Path
from typing import Any

import openpyxl
from hypothesis import event
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from models.store import Store

Dump = dict[str, tuple[tuple[str, ...], list[str]]]

# ``MAILLAGE_FUZZ_SCALE=20 pytest tests/reliability`` searches twenty times longer (same seeds, more examples).
FUZZ_SCALE = float(os.environ.get("MAILLAGE_FUZZ_SCALE", "1"))


def note(text: str) -> None:
    """Count an outcome among a test's examples (``--hypothesis-show-statistics``); no-op outside one."""
    if currently_in_test_context():
        event(text)


def examples(count: int) -> int:
    """The number of hypothesis examples of a test, scaled by ``MAILLAGE_FUZZ_SCALE``."""
    return max(1, round(count * FUZZ_SCALE))


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def store_dump(store: Store) -> Dump:
    """Every table and view of the store: its columns and its rows (``repr``, sorted)."""
    with store.connect() as con:
        relations = con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = current_database()"
            " UNION ALL SELECT schema_name, view_name FROM duckdb_views()"
            " WHERE database_name = current_database() AND NOT internal ORDER BY ALL"
        ).fetchall()
        dump: Dump = {}
        for schema, name in relations:
            sql = "SELECT * FROM " + _quoted(schema) + "." + _quoted(name)
            cursor = con.execute(sql)
            columns = tuple(d[0] for d in cursor.description or [])
            dump[f"{schema}.{name}"] = (columns, sorted(repr(row) for row in cursor.fetchall()))
    return dump


def dump_difference(before: Dump, after: Dump) -> str:
    """A short description of what changed between two dumps (for assertion messages)."""
    lines = []
    for name in sorted(set(before) | set(after)):
        if name not in after:
            lines.append(f"{name}: table disparue")
        elif name not in before:
            lines.append(f"{name}: table apparue")
        elif before[name] != after[name]:
            (cols_b, rows_b), (cols_a, rows_a) = before[name], after[name]
            added = sorted(set(rows_a) - set(rows_b))[:2]
            removed = sorted(set(rows_b) - set(rows_a))[:2]
            lines.append(f"{name}: colonnes {cols_b != cols_a}, +{added} -{removed}")
    return "\n".join(lines)


class StoreFactory:
    """A template store built once; ``fresh()`` gives a private copy of it, removed afterwards."""

    def __init__(self, folder: Path, seed: Callable[[Store], Any] | None = None) -> None:
        self.folder = folder
        template = Store(folder / "modele.duckdb", device="test")
        template.migrate()
        self.seeded = seed(template) if seed is not None else None  # what the seed made (ids…)
        assert template.release()
        self.template = template.path
        self.dump = store_dump(template)
        assert template.release()
        self._numbers = count(1)

    @contextmanager
    def fresh(self) -> Iterator[Store]:
        path = self.folder / f"exemple-{next(self._numbers)}.duckdb"
        shutil.copyfile(self.template, path)
        store = Store(path, device="test")
        try:
            yield store
        finally:
            store.release()
            for leftover in (path, path.with_name(path.name + ".wal")):
                leftover.unlink(missing_ok=True)


# -- French messages ----------------------------------------------------------------------------

_QUOTED = re.compile(r"«[^»]*»|“[^”]*”")
_RAW = re.compile(
    r"Traceback|\b[A-Z][A-Za-z]*(?:Error|Exception|Warning)\b|\bNoneType\b|"
    r"\b(?:the|is|not|of|and|with|expected|unexpected|invalid|cannot|could|must|should|found|while|"
    r"line|column|field|value|object|string|character|enclosed|delimiter|limit|larger|missing)\b"
)
_FRENCH = re.compile(
    r"[éèêàâùûîôç]|\b(?:le|la|les|de|du|des|un|une|est|pas|il|ce|en|au|aux|et|ou|par|pour|sans|dans|sur|trop|"
    r"ligne|colonne|champ|fichier|onglet|feuille|invalide|inconnue?|illisibles?|absente?|obligatoire|attendue?|"
    r"aucune?|valeur|chiffres?|seule?)\b",
    re.IGNORECASE,
)


def assert_french(message: str, *, quoted: tuple[str, ...] = ()) -> None:
    """``message`` is French and holds no raw English/Python error text.

    Values shown between « » (and the strings of ``quoted``: file names, values typed by the
    user) are left out of the check: they are data, not the message's words.
    """
    assert message and message.strip(), "message vide"
    text = message
    present = {value.strip() for value in quoted if value.strip() and value.strip() in text}
    for value in sorted(present, key=len, reverse=True):  # a whole value only: « a » must not make « sans » « s ns »
        text = re.sub(r"(?<!\w)" + re.escape(value) + r"(?!\w)", " ", text)
    text = _QUOTED.sub(" ", text)
    raw = _RAW.search(text)
    assert raw is None, f"texte brut ou anglais ({raw.group()!r}) dans : {message}"
    assert _FRENCH.search(text), f"message qui ne semble pas français : {message}"


# -- workbooks ----------------------------------------------------------------------------------


def workbook_bytes(sheets: dict[str, list[list[Any]]]) -> bytes:
    """An .xlsx with one sheet per key (in order), its rows appended as given (None = empty cell)."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@st.composite
def damaged(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` (a zip: an .xlsx) cut short, with bytes changed, or with one member replaced or removed."""
    how = draw(st.sampled_from(["tronqué", "octets changés", "membre changé"]))
    if how == "tronqué":
        return data[: draw(st.integers(0, len(data) - 1))]
    if how == "octets changés":
        changed = bytearray(data)
        for _ in range(draw(st.integers(1, 30))):
            changed[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        return bytes(changed)
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        members = {info.filename: source.read(info) for info in source.infolist()}
    target = draw(st.sampled_from(sorted(members)))
    content = members[target]
    members[target] = draw(st.one_of(st.binary(max_size=200), st.just(content[: len(content) // 2]),
                                     st.just(content.replace(b"<", b"<x", 1)), st.just(b"<?xml version='1.0'?><a/>")))
    if draw(st.booleans()):
        del members[target]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member, body in members.items():
            archive.writestr(member, body)
    return buffer.getvalue()
