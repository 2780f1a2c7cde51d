"""Reading one tab of the hub as people left it: records found by ``id``, never by position.

Row 1 holds the column names. People may sort or filter the rows, insert rows (a row without
``id`` is a new record), add their own columns (kept, never read into the store nor written),
reorder columns, or delete one of ours (the column is then ``ABSENT`` for every row: the sheet
says nothing about it). ``read_tab`` turns the values of one batched read into a ``TabRead``;
what cannot be read safely (no header, no ``id`` column, a column name twice) is a ``TabError``
whose French message says which tab and what to fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from models.errors import MaillageError
from sync.sheet_values import ABSENT


class TabError(MaillageError):
    """A tab of the hub a person broke in a way the sync cannot read safely."""


@dataclass(frozen=True)
class SheetRow:
    """One non-empty row of a tab: its line (1-based, as read), ``id`` (None for a person's new
    record) and the raw cell of each of our columns (``ABSENT`` for a column the tab lacks)."""

    line: int
    id: str | None
    cells: dict[str, object]


@dataclass
class TabRead:
    """A tab read once: where our columns are, people's own columns, and the records by id."""

    tab: str
    header: list[str]
    positions: dict[str, int]  # our column → 0-based index in the header
    missing: list[str]  # our columns the header lacks
    foreign: list[str]  # people's own columns, never read nor written
    rows: dict[str, SheetRow] = field(default_factory=dict)
    new_rows: list[SheetRow] = field(default_factory=list)
    duplicates: dict[str, list[int]] = field(default_factory=dict)  # id → every line holding it

    @property
    def last_line(self) -> int:
        """The last line holding something (the header is line 1)."""
        lines = [row.line for row in self.rows.values()] + [row.line for row in self.new_rows]
        lines += [line for found in self.duplicates.values() for line in found]
        return max(lines, default=1)


def read_tab(tab: str, values: Sequence[Sequence[object]], columns: Sequence[str]) -> TabRead:
    """Read a tab's values (row 1 = header) for our ``columns`` (``id`` among them)."""
    if not values or not any(str(cell).strip() for cell in values[0]):
        raise TabError(
            f"Onglet « {tab} » : la ligne 1 est vide. Elle doit contenir les noms des colonnes, dont « id » ;"
            " remettez-la (ou supprimez l'onglet : la synchronisation le recréera)."
        )
    header = [str(cell).strip() for cell in values[0]]
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            raise TabError(f"Onglet « {tab} » : la colonne « {name} » apparaît deux fois en ligne 1 ; renommez ou"
                           " supprimez l'une des deux.")
        seen.add(name)
    if "id" not in header:
        raise TabError(
            f"Onglet « {tab} » : la colonne « id » manque en ligne 1 (elle identifie chaque ligne) ; remettez-la,"
            " avec ses valeurs, avant de synchroniser."
        )
    positions = {name: header.index(name) for name in columns if name in header}
    read = TabRead(
        tab=tab, header=header, positions=positions,
        missing=[name for name in columns if name not in header],
        foreign=[name for name in header if name and name not in columns],
    )
    lines_by_id: dict[str, list[SheetRow]] = {}
    for offset, raw in enumerate(values[1:], start=2):
        cells = {name: (raw[index] if index < len(raw) else "") for name, index in positions.items()}
        if not any(str(cell).strip() for cell in cells.values()):
            continue  # an empty row (or one holding only people's own columns)
        for name in read.missing:
            cells[name] = ABSENT
        row_id = str(cells.get("id") or "").strip() or None
        row = SheetRow(offset, row_id, cells)
        if row_id is None:
            read.new_rows.append(row)
        else:
            lines_by_id.setdefault(row_id, []).append(row)
    for row_id, found in lines_by_id.items():
        if len(found) == 1:
            read.rows[row_id] = found[0]
        else:
            read.duplicates[row_id] = [row.line for row in found]
    return read


def quoted_tab(tab: str) -> str:
    """A tab's title as an A1 range of the whole tab (quoted, quotes doubled)."""
    return "'" + tab.replace("'", "''") + "'"


def line_range(tab: str, line: int) -> str:
    """The A1 range of one whole line of a tab (1-based), e.g. ``'structures'!5:5``."""
    return f"{quoted_tab(tab)}!{line}:{line}"
