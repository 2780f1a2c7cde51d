"""Three-way merge of a record, field by field: a side that changed wins; both changed is a conflict."""

from __future__ import annotations

import pytest

from sync.merge import FieldConflict, merge_row
from sync.sheet_values import ABSENT


@pytest.mark.parametrize(
    ("base", "store", "sheet", "to_store", "to_sheet", "conflict"),
    [
        pytest.param("a", "a", "a", {}, {}, None, id="nobody-changed"),
        pytest.param("a", "b", "a", {}, {"f": "b"}, None, id="store-changed"),
        pytest.param("a", "a", "b", {"f": "b"}, {}, None, id="sheet-changed"),
        pytest.param("a", "b", "b", {}, {}, None, id="both-to-the-same"),
        pytest.param("a", "b", "c", {"f": "c"}, {}, FieldConflict("f", "a", "b", "c"), id="conflict-sheet-current"),
        pytest.param("a", "", "a", {}, {"f": ""}, None, id="store-emptied"),
        pytest.param("a", "a", "", {"f": ""}, {}, None, id="sheet-emptied"),
        pytest.param(None, "x", "", {}, {"f": "x"}, None, id="first-sync-store-only"),
        pytest.param(None, "", "y", {"f": "y"}, {}, None, id="first-sync-sheet-only"),
        pytest.param(None, "x", "y", {"f": "y"}, {}, FieldConflict("f", None, "x", "y"), id="first-sync-both"),
        pytest.param("a", "a", ABSENT, {}, {"f": "a"}, None, id="column-deleted-in-sheet-put-back"),
        pytest.param("a", "", ABSENT, {}, {}, None, id="column-deleted-nothing-to-put-back"),
    ],
)
def test_each_field_takes_the_side_that_changed(base, store, sheet, to_store, to_sheet, conflict):
    merged = merge_row(None if base is None else {"f": base}, {"f": store}, {"f": sheet})
    assert merged.to_store == to_store
    assert merged.to_sheet == to_sheet
    assert merged.conflicts == ([conflict] if conflict else [])


def test_fields_of_one_record_merge_independently():
    base = {"nom": "CCAS", "telephone": "05 45 00 00 00", "horaires": "Mo-Fr 09:00-12:00"}
    store = {"nom": "CCAS de Cognac", "telephone": "05 45 00 00 00", "horaires": "Mo-Fr 09:00-12:00"}
    sheet = {"nom": "CCAS", "telephone": "05 45 11 11 11", "horaires": "Mo-Fr 09:00-12:00", "note perso": "rappeler"}
    merged = merge_row(base, store, sheet)
    assert merged.to_sheet == {"nom": "CCAS de Cognac"}
    assert merged.to_store == {"telephone": "05 45 11 11 11"}  # « note perso » is a person's own column: left alone
    assert merged.base == {"nom": "CCAS de Cognac", "telephone": "05 45 11 11 11"}
    assert not merged.conflicts and merged.changed
