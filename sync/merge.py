"""Three-way merge of one record, field by field: the store now, the sheet now, the last synced value.

Values are compared as their canonical cell text (``sync.sheet_values.to_cell``), so ``4,5`` typed
in the sheet and ``4.5`` in the store are the same value. For each field:

==================================  ==============================================================
store vs base, sheet vs base        result
==================================  ==============================================================
neither changed                     nothing to do
only the store changed              written to the sheet
only the sheet changed              written to the store
both changed, to the same value     nothing to write; the base moves to it
both changed, to different values   **conflict**: both values kept; the sheet's is current
==================================  ==============================================================

Why the sheet's value is current in a conflict: the sheet is the hub everyone reads, so every
device converges on the same value at once; the store's value is not lost, it is kept in the
conflict (with who changed it and when) until a coordinator resolves it, and the resolution
syncs like any edit. A column the sheet does not have (``ABSENT``) means the sheet says nothing
about it: the store's value is kept and written back when the column returns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sync.sheet_values import ABSENT


@dataclass(frozen=True)
class FieldConflict:
    """Both sides changed a field to different values since the last sync."""

    column: str
    base: str | None
    store: str
    sheet: str  # the value kept as current


@dataclass
class RowMerge:
    """What the merge of one record decided, as cell texts per column."""

    to_store: dict[str, str] = field(default_factory=dict)  # sheet changes to apply locally
    to_sheet: dict[str, str] = field(default_factory=dict)  # store changes to write in the sheet
    conflicts: list[FieldConflict] = field(default_factory=list)
    base: dict[str, str] = field(default_factory=dict)  # the new last-synced value of each field merged

    @property
    def changed(self) -> bool:
        return bool(self.to_store or self.to_sheet or self.conflicts)


def merge_row(
    base: Mapping[str, str] | None, store: Mapping[str, str], sheet: Mapping[str, object]
) -> RowMerge:
    """Merge one record's fields (see the module's table): the columns of ``store``, all of them
    (``""`` when empty); the sheet's other columns are people's own and are never read or written.
    ``base`` is None for a record never synced; ``sheet`` values may be ``ABSENT``. Every text is a
    canonical cell text ("" = empty)."""
    base = base or {}
    result = RowMerge()
    for column in store:
        mine = store.get(column, "")
        theirs = sheet.get(column, ABSENT)
        before = base.get(column)
        if theirs is ABSENT:  # the sync puts the column back in the header, then writes the store's value
            if mine != "":
                result.to_sheet[column] = mine
                result.base[column] = mine
            continue
        assert isinstance(theirs, str)
        if mine == theirs:
            if before != mine:
                result.base[column] = mine
            continue
        if before is None:  # never synced: both sides "changed" unless one is empty
            if mine == "":
                result.to_store[column] = theirs
            elif theirs == "":
                result.to_sheet[column] = mine
            else:
                result.conflicts.append(FieldConflict(column, None, mine, theirs))
                result.to_store[column] = theirs
            result.base[column] = result.to_store.get(column, result.to_sheet.get(column, theirs))
            continue
        store_changed, sheet_changed = mine != before, theirs != before
        if store_changed and not sheet_changed:
            result.to_sheet[column] = mine
            result.base[column] = mine
        elif sheet_changed and not store_changed:
            result.to_store[column] = theirs
            result.base[column] = theirs
        else:
            result.conflicts.append(FieldConflict(column, before, mine, theirs))
            result.to_store[column] = theirs
            result.base[column] = theirs
    return result
