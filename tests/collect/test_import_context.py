"""collect.import_context: what an import knows of the whole file before reading its lines.

The date a lieu without its own date gets (the person's, else the one in the file's name), the
namespace of the source's ids (a fingerprint of the header), and the département most lines are in.
"""

from __future__ import annotations

from datetime import date

import pytest

from collect.import_context import (
    DATE_GIVEN,
    DATE_IN_FILE_NAME,
    date_in_file_name,
    departement_hint,
    file_date,
    header_namespace,
)

TODAY = date(2024, 6, 1)


@pytest.mark.parametrize(
    ("name", "found"),
    [
        ("2024-03-20_lieux.csv", date(2024, 3, 20)),
        ("20230517-hub-du-sud-structures.json", date(2023, 5, 17)),
        ("lieux_2024_03_20.xlsx", date(2024, 3, 20)),
        ("export.2024.03.20.csv", date(2024, 3, 20)),
        ("lieux 2024-03-20.csv", date(2024, 3, 20)),
        ("lieux-v2-2024-03-20-final.csv", date(2024, 3, 20)),
        ("export_2024-03-20T10-00-00.csv", date(2024, 3, 20)),
        ("2024-06-01_lieux.csv", date(2024, 6, 1)),  # today itself
        ("C:/exports/2023-01-05/2024-03-20_lieux.csv", date(2024, 3, 20)),  # the file's name, not its folder
    ],
)
def test_the_date_in_an_open_data_files_name_is_found(name, found):
    assert date_in_file_name(name, today=TODAY) == found


@pytest.mark.parametrize(
    "name",
    [
        "lieux.csv",
        "structures-83245678900012.csv",  # a SIRET
        "siret_12345678901234_lieux.csv",
        "0545820001.csv",  # a phone number
        "lieux_202403201030.csv",  # a timestamp with no separator: not 8 digits
        "2024-06-02_lieux.csv",  # tomorrow
        "2031-01-01_lieux.csv",  # the future
        "1999-12-31_lieux.csv",  # before 2000
        "2024-02-31_lieux.csv",  # 31 February
        "20240231-hub.json",
        "2024-13-01_lieux.csv",  # month 13
        "2024-3-20_lieux.csv",  # one-digit month
        "/tmp/2024-03-20/lieux.csv",  # only the folder has a date
    ],
)
def test_a_name_without_a_real_past_date_gives_none(name):
    assert date_in_file_name(name, today=TODAY) is None


def test_the_first_real_date_of_the_name_is_kept():
    assert date_in_file_name("lieux_2024-02-31_2024-03-20.csv", today=TODAY) == date(2024, 3, 20)


@pytest.mark.parametrize(
    ("name", "given", "expected"),
    [
        ("2024-03-20_lieux.csv", date(2024, 5, 1), (date(2024, 5, 1), DATE_GIVEN)),  # the person's date first
        ("lieux.csv", date(2024, 5, 1), (date(2024, 5, 1), DATE_GIVEN)),
        ("2024-03-20_lieux.csv", None, (date(2024, 3, 20), DATE_IN_FILE_NAME)),
        ("lieux.csv", None, (None, None)),  # the import day will be used, as an estimate
    ],
)
def test_the_files_date_is_the_persons_then_the_one_in_its_name(name, given, expected):
    assert file_date(name, given, today=TODAY) == expected


def test_the_date_sources_are_said_in_french():
    assert (DATE_GIVEN, DATE_IN_FILE_NAME) == ("donnée par la personne", "nom du fichier")


# -- namespace ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "columns",
    [
        ["id", "Nom", "Adresse", "Code postal"],
        ["Code postal", "Adresse", "Nom", "id"],  # another order
        ["ID", "NOM", "adresse", "code_postal"],  # another case, punctuation
        ["id", "Nom", "Adresse", "Code postal", ""],  # an empty column name
        ["id", "Nom", "Nom", "Adresse", "Code postal"],  # a repeated name
    ],
)
def test_a_sources_header_gives_the_same_namespace_whatever_its_order_and_case(columns):
    assert header_namespace(columns) == header_namespace(["id", "Nom", "Adresse", "Code postal"])


def test_another_header_gives_another_namespace():
    namespace = header_namespace(["id", "Nom", "Adresse", "Code postal"])
    assert namespace.startswith("f:") and len(namespace) == 14
    assert header_namespace(["id", "Nom", "Adresse", "Commune"]) != namespace
    assert header_namespace(["id", "Nom", "Adresse"]) != namespace


# -- département -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "columns", "departement"),
    [
        ([{"CP": "16100"}, {"CP": "16000"}, {"CP": "16200"}], ["CP"], "16"),
        ([{"CP": "1000"}, {"CP": "1090"}, {"CP": "01000"}], ["CP"], "01"),  # zeros lost by a spreadsheet
        ([{"INSEE": "2A004"}, {"INSEE": "2A041"}, {"INSEE": "2A247"}], ["INSEE"], "2A"),
        ([{"CP": "97400"}, {"CP": "97411"}, {"CP": "97410"}], ["CP"], "974"),
        ([{"Adresse": "10 rue du Minage 16100 Cognac"}] * 3, ["Adresse"], "16"),
        # the first column giving a département wins on each line: an empty postcode falls back to the address
        ([{"CP": None, "Adresse": "2 place de l'Hôtel de Ville 16000 Angoulême"}, {"CP": "16100"},
          {"CP": "16200", "Adresse": "1 rue de Paris 75001 Paris"}], ["CP", "Adresse"], "16"),
        # most lines in Charente, one in Ain: 3 of 4 is a majority
        ([{"CP": "16100"}, {"CP": "16000"}, {"CP": "16200"}, {"CP": "01000"}], ["CP"], "16"),
    ],
)
def test_the_departement_most_lines_are_in_is_found(rows, columns, departement):
    assert departement_hint(rows, columns) == departement


@pytest.mark.parametrize(
    ("rows", "columns"),
    [
        ([], ["CP"]),
        ([{"CP": "16100"}, {"CP": "16000"}], ["CP"]),  # too few lines to tell
        ([{"CP": "16100"}, {"CP": "16000"}, {"CP": "01000"}, {"CP": "01090"}], ["CP"]),  # no majority
        ([{"CP": "16100"}, {"CP": "16000"}, {"CP": "16200"}], []),  # no place column
        ([{"Adresse": "10 rue du Minage"}] * 3, ["Adresse"]),  # no postcode anywhere
    ],
)
def test_no_departement_when_the_lines_do_not_say_it_clearly(rows, columns):
    assert departement_hint(rows, columns) is None
