"""Saved filters: a named registry search, found again by name, replaced when saved again."""

from __future__ import annotations

import pytest

from models.saved_filters import FilterError, StructureFilter, delete_filter, get_filter, list_filters, save_filter


@pytest.mark.parametrize(
    ("criteria", "text"),
    [
        (StructureFilter(), "toutes les structures"),
        (StructureFilter(departement=" 16 ", typologie=""), "département 16"),
        (StructureFilter(departement="971", typologie="CCAS"), "département 971, typologie CCAS"),
    ],
)
def test_a_filter_describes_itself_in_french(criteria, text):
    assert criteria.describe() == text


def test_saving_under_the_same_name_replaces_and_deleting_hides(store):
    with store.atomic() as con:
        first = save_filter(con, "CCAS", StructureFilter(typologie="CCAS"), by="coord")
        again = save_filter(con, "ccas", StructureFilter(typologie="CCAS", departement="16"), by="coord")
        assert first == again
        assert get_filter(con, first).criteria == StructureFilter(typologie="CCAS", departement="16")
        delete_filter(con, first, by="coord")
        assert list_filters(con) == []
        with pytest.raises(FilterError, match="introuvable"):
            get_filter(con, "CCAS")


def test_a_filter_needs_a_name(store):
    with pytest.raises(FilterError, match="nom"), store.atomic() as con:
        save_filter(con, "  ", StructureFilter(), by="coord")
