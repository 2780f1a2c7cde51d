"""Cell values: what the sync writes RAW reads back as the same value; what people type is read too."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync.sheet_values import ABSENT, CellError, from_cell, to_cell

PARIS = ZoneInfo("Europe/Paris")

# Texts people and data hold that a spreadsheet would turn into something else if not written RAW.
TRICKY_TEXTS = ["=cmd|' /C calc'!A0", "+33545000000", "-", "@x", "00123", "2A004", "0590 82 12 34", "1e5", "TRUE",
                "05/03/2026", " espace ", "a|b", "", "Saint-Étienne", "=1+1", "'quoted"]


@pytest.mark.parametrize("text", TRICKY_TEXTS)
def test_texts_and_codes_are_written_and_read_back_as_they_are(text):
    for kind in ("text", "code"):
        assert to_cell(text, kind) == text
        assert from_cell(to_cell(text, kind), kind) == (text if text != "" else None)


@pytest.mark.parametrize(
    ("kind", "typed", "value"),
    [
        ("boolean", "Oui", True), ("boolean", "non", False), ("boolean", "TRUE", True), ("boolean", "FALSE", False),
        ("boolean", "vrai", True), ("boolean", "0", False), ("boolean", True, True),
        # the import's words for yes and no, the one list (models.vocabulary.yes_no): « x » is oui everywhere
        ("boolean", "x", True), ("boolean", "X", True), ("boolean", "✓", True), ("boolean", "Non ", False),
        ("boolean", "jamais", False),
        ("integer", "12", 12), ("integer", "1 234", 1234), ("integer", "1\u202f234", 1234), ("integer", "12,0", 12),
        ("integer", 12, 12),
        ("decimal", "4,5", 4.5), ("decimal", "1 234,5", 1234.5), ("decimal", "1.234,5", 1234.5), ("decimal", "-0.25", -0.25),
        ("decimal", 4.5, 4.5),
        ("date", "05/03/2026", date(2026, 3, 5)), ("date", "5/3/2026", date(2026, 3, 5)), ("date", "2026-03-05", date(2026, 3, 5)),
        ("datetime", "05/03/2026 10:00", datetime(2026, 3, 5, 10, 0, tzinfo=PARIS)),
        ("datetime", "2026-03-05T10:00:00-04:00", datetime(2026, 3, 5, 14, 0, tzinfo=UTC)),
        ("list", "CCAS | MUNI|", ["CCAS", "MUNI"]),
        ("json", '{"a":[1,2]}', {"a": [1, 2]}),
        ("decimal", "", None), ("date", "  ", None),
    ],
)
def test_what_people_type_in_a_french_sheet_is_read(kind, typed, value):
    assert from_cell(typed, kind) == value


@pytest.mark.parametrize(
    ("kind", "typed", "reason"),
    [
        ("boolean", "peut-être", "n'est pas un oui/non (Oui, Non, TRUE, FALSE)"),
        ("integer", "12,5", "n'est pas un nombre entier"),
        ("decimal", "quatre", "n'est pas un nombre (virgule ou point décimal)"),
        ("date", "31/02/2026", "n'est pas une date (JJ/MM/AAAA ou AAAA-MM-JJ)"),
        ("datetime", "demain", "n'est pas une date et heure (JJ/MM/AAAA HH:MM)"),
        ("json", "{a:", "n'est pas une valeur JSON valide"),
    ],
)
def test_an_unreadable_cell_names_the_tab_line_column_and_value_in_french(kind, typed, reason):
    with pytest.raises(CellError) as caught:
        from_cell(typed, kind, tab="structures", line=12, column="champ")
    assert str(caught.value) == f"Onglet « structures », ligne 12, colonne « champ » : « {typed} » {reason}."


def test_an_empty_cell_is_none_and_a_missing_column_is_absent():
    assert from_cell("", "text") is None
    assert from_cell(ABSENT, "integer") is ABSENT
    assert not ABSENT and repr(ABSENT) == "ABSENT"


# -- every value the store can hold round-trips exactly --------------------------------------

texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
list_items = st.text(st.characters(blacklist_categories=("Cs", "Zs", "Cc", "Zl", "Zp"), blacklist_characters="|"),
                     min_size=1, max_size=12)
aware = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1),
                     timezones=st.sampled_from([UTC, PARIS, ZoneInfo("America/Guadeloupe"), ZoneInfo("Pacific/Noumea"),
                                                timezone(timedelta(hours=-3))]))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**9, 10**9) | st.text(max_size=10),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=8,
)
VALUES = {
    "text": texts.filter(bool), "code": texts.filter(bool), "list": st.lists(list_items, min_size=1, max_size=5),
    "boolean": st.booleans(), "integer": st.integers(-10**15, 10**15),
    "decimal": st.floats(allow_nan=False, allow_infinity=False), "date": st.dates(), "datetime": aware, "json": json_values,
}


@pytest.mark.parametrize("kind", list(VALUES))
def test_every_value_round_trips_through_its_cell_text(kind):
    @given(VALUES[kind])
    def round_trip(value):
        back = from_cell(to_cell(value, kind), kind)
        if kind == "json" and value is None:
            assert back is None  # JSON null and an empty cell are the same: nothing
        elif kind == "datetime":  # the same instant and offset (== is False across zones on a DST fold: PEP 495)
            assert back.timestamp() == value.timestamp() and back.utcoffset() == value.utcoffset()
        else:
            assert back == value

    round_trip()
