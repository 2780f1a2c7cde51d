"""The one CSV writer for people: opens right in French Excel (``;``, UTF-8 BOM, decimal comma, dd/mm/yyyy)
and never runs a formula (a formula-like text gets a leading apostrophe)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from models.excel_csv import (
    FORMULA_PREFIXES,
    excel_cell,
    excel_csv_bytes,
    excel_csv_text,
    neutralise,
    write_excel_csv,
)

BOM = b"\xef\xbb\xbf"
COLUMNS = ["Structure", "Téléphone", "Score", "Rappel"]
ROWS = [
    {"Structure": "CCAS de Cognac", "Téléphone": "+33545824351", "Score": 4.5, "Rappel": date(2026, 11, 24)},
    {"Structure": "Médiathèque ; salle 2", "Téléphone": "05 45 82 43 51", "Score": 3, "Rappel": None},
]


def read_back(text: str) -> list[list[str]]:
    """The cells a reader splitting on ``;`` (as French Excel does) finds."""
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


# -- one cell ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", FORMULA_PREFIXES)
def test_a_text_starting_like_a_formula_gets_a_leading_apostrophe(prefix):
    text = prefix + "SOMME(A1:A9)"
    assert neutralise(text) == "'" + text
    assert excel_cell(text) == "'" + text


def test_the_formula_starts_are_equals_plus_minus_at_tab_and_carriage_return():
    assert set(FORMULA_PREFIXES) == {"=", "+", "-", "@", "\t", "\r"}


@pytest.mark.parametrize("text", ["CCAS de Cognac", "05 45 82 43 51", "'déjà protégé", " =1+1", "a=b", "", "100 %"])
def test_other_texts_are_written_as_they_are(text):
    assert neutralise(text) == text
    assert excel_cell(text) == text


@pytest.mark.parametrize(
    ("phone", "cell"),
    [
        ("+33545824351", "'+33545824351"),  # as the registry stores it: text, never the number 33545824351
        ("+687445728", "'+687445728"),
        ("05 45 82 43 51", "05 45 82 43 51"),  # spaces make it text already
    ],
)
def test_a_phone_number_stays_a_text_in_excel(phone, cell):
    assert excel_cell(phone) == cell


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        (None, ""),
        (True, "Oui"),
        (False, "Non"),
        (3, "3"),
        (-3, "-3"),  # a number, not a formula: left as it is
        (0, "0"),
        (4.5, "4,5"),
        (-1.25, "-1,25"),
        (float("nan"), ""),
        (Decimal("2.50"), "2,50"),
        (Decimal("-0.5"), "-0,5"),
        (Decimal("NaN"), ""),
        (Decimal("Infinity"), ""),
        (date(2026, 3, 5), "05/03/2026"),
        (datetime(2026, 11, 24, 10, 41), "24/11/2026 10:41"),
        (datetime(2026, 11, 24, 10, 41, 7), "24/11/2026 10:41:07"),
        (datetime(2026, 11, 24, 10, 41, 0, 500), "24/11/2026 10:41:00"),
        (datetime(2026, 11, 24, 9, 41, tzinfo=UTC), "24/11/2026 09:41"),  # as given: the caller picks the zone
        (["CCAS", "BIB"], "CCAS | BIB"),
        (("Aide aux démarches",), "Aide aux démarches"),
        (["=cmd|' /C calc'!A0", "x"], "'=cmd|' /C calc'!A0 | x"),
        ([], ""),
    ],
    ids=lambda value: repr(value)[:40],
)
def test_each_kind_of_value_is_written_as_french_excel_reads_it(value, cell):
    assert excel_cell(value) == cell


@pytest.mark.parametrize(
    "value",
    [
        float("inf"),
        float("-inf"),
        float("nan"),
        Decimal("Infinity"),
        Decimal("-Infinity"),
        Decimal("NaN"),
    ],
    ids=["float-inf", "float-minus-inf", "float-nan", "decimal-inf", "decimal-minus-inf", "decimal-nan"],
)
def test_a_number_that_is_not_finite_is_an_empty_cell(value):
    assert excel_cell(value) == ""


# -- a whole file ------------------------------------------------------------------------------------


def test_a_table_is_a_header_then_one_semicolon_separated_line_per_row_ended_by_crlf():
    text = excel_csv_text(COLUMNS, ROWS)
    assert text == (
        "Structure;Téléphone;Score;Rappel\r\n"
        "CCAS de Cognac;'+33545824351;4,5;24/11/2026\r\n"
        '"Médiathèque ; salle 2";05 45 82 43 51;3;\r\n'
    )
    assert read_back(text)[2] == ["Médiathèque ; salle 2", "05 45 82 43 51", "3", ""]


def test_a_cell_holding_the_separator_a_quote_or_a_line_break_is_read_back_whole():
    row = {"Note": 'Rappeler "Mme Martin" ; bureau 2\r\naprès 14 h'}
    assert read_back(excel_csv_text(["Note"], [row])) == [["Note"], ['Rappeler "Mme Martin" ; bureau 2\r\naprès 14 h']]


def test_the_header_is_neutralised_too():
    assert excel_csv_text(["=Nom", "@total"], []) == "'=Nom;'@total\r\n"


def test_only_the_columns_asked_for_are_written_in_their_order_and_a_missing_one_is_empty():
    text = excel_csv_text(["Score", "Absente", "Structure"], [ROWS[0]])
    assert read_back(text) == [["Score", "Absente", "Structure"], ["4,5", "", "CCAS de Cognac"]]


def test_the_text_has_no_bom_and_the_bytes_start_with_the_utf8_bom():
    text = excel_csv_text(COLUMNS, ROWS)
    assert not text.startswith("\ufeff")
    data = excel_csv_bytes(COLUMNS, ROWS)
    assert data.startswith(BOM) and data[len(BOM):].decode("utf-8") == text
    assert "Téléphone".encode() in data  # UTF-8, not Windows-1252


def test_a_file_is_written_with_the_bom_and_reads_back_the_same(tmp_path):
    target = tmp_path / "structures.csv"
    assert write_excel_csv(target, COLUMNS, ROWS) == 2
    data = target.read_bytes()
    assert data == excel_csv_bytes(COLUMNS, ROWS)
    with target.open(encoding="utf-8-sig", newline="") as opened:
        assert list(csv.reader(opened, delimiter=";"))[1] == ["CCAS de Cognac", "'+33545824351", "4,5", "24/11/2026"]


def test_a_file_of_any_size_is_written_row_by_row_from_a_generator(tmp_path):
    rows = ({"n": index, "nom": f"Lieu {index}"} for index in range(50_000))
    target = tmp_path / "grand.csv"
    assert write_excel_csv(target, ["n", "nom"], rows) == 50_000
    lines = target.read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 50_001 and lines[-1] == "49999;Lieu 49999"


def test_a_file_that_fails_half_way_leaves_no_half_file_and_keeps_the_previous_one(tmp_path):
    target = tmp_path / "structures.csv"
    write_excel_csv(target, COLUMNS, ROWS)
    before = target.read_bytes()

    def rows():
        yield ROWS[0]
        raise OSError("disque plein")

    with pytest.raises(OSError, match="disque plein"):
        write_excel_csv(target, COLUMNS, rows())
    assert target.read_bytes() == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["structures.csv"]


def test_an_empty_table_is_its_header_alone(tmp_path):
    target = tmp_path / "vide.csv"
    assert write_excel_csv(str(target), ["Structure", "Commune"], []) == 0
    assert target.read_bytes() == BOM + b"Structure;Commune\r\n"
