"""A tab read as people left it: records by id whatever the order, people's rows and columns kept."""

from __future__ import annotations

import pytest

from sync.sheet_layout import TabError, line_range, quoted_tab, read_tab
from sync.sheet_values import ABSENT

COLUMNS = ["id", "nom", "code_postal", "telephone"]


def test_records_are_found_by_id_whatever_the_order_and_people_s_columns_are_set_aside():
    values = [
        ["nom", "id", "Notes de l'équipe", "telephone", "code_postal"],  # columns reordered, one of people's own
        ["CCAS de Cognac", "b", "rappeler lundi", "+33545000000", "16100"],
        [],  # an empty row left by a deletion
        ["Médiathèque", "a", "", "", "01000"],
        ["Nouveau lieu", "", "ajouté à la main", "", "16000"],  # a person's new record: no id yet
        ["", "", "seulement une note"],  # only people's own column: not a record
    ]
    read = read_tab("structures", values, COLUMNS)
    assert read.foreign == ["Notes de l'équipe"] and read.missing == []
    assert {row_id: row.line for row_id, row in read.rows.items()} == {"b": 2, "a": 4}
    assert read.rows["a"].cells == {"id": "a", "nom": "Médiathèque", "code_postal": "01000", "telephone": ""}
    assert [(row.line, row.cells["nom"]) for row in read.new_rows] == [(5, "Nouveau lieu")]
    assert read.last_line == 5


def test_a_column_deleted_by_a_person_is_absent_not_emptied():
    read = read_tab("structures", [["id", "nom", "code_postal"], ["a", "Médiathèque", "16100"]], COLUMNS)
    assert read.missing == ["telephone"]
    assert read.rows["a"].cells["telephone"] is ABSENT


def test_an_id_on_two_rows_is_reported_not_guessed():
    read = read_tab("structures", [["id", "nom"], ["a", "Un"], ["b", "Deux"], ["a", "Un (copie)"]], COLUMNS)
    assert read.duplicates == {"a": [2, 4]} and list(read.rows) == ["b"]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ([], "Onglet « structures » : la ligne 1 est vide"),
        ([["", ""], ["a", "b"]], "la ligne 1 est vide"),
        ([["nom", "code_postal"], ["CCAS", "16100"]], "la colonne « id » manque en ligne 1"),
        ([["id", "nom", "nom"]], "la colonne « nom » apparaît deux fois en ligne 1"),
    ],
)
def test_a_broken_header_is_a_french_error_naming_the_tab(values, message):
    with pytest.raises(TabError) as caught:
        read_tab("structures", values, COLUMNS)
    assert message in str(caught.value)


def test_ranges_quote_the_tab():
    assert quoted_tab("structures") == "'structures'"
    assert line_range("l'équipe", 5) == "'l''équipe'!5:5"
