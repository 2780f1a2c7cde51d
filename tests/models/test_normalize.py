"""Normalisation of single cell values, over real-looking cases of every French territory."""

from __future__ import annotations

import datetime as dt
import re
import sys
import types

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.errors import InvalidValue
from models.normalize import (
    _PLACEHOLDERS,
    _SPACE_AROUND_NEWLINE,
    _SPACE_LIKE,
    _SPACE_RUN,
    _TEN_DIGIT_TERRITORIES,
    ShortPhoneNumber,
    _national_number,
    clean_text,
    extract_postcode,
    is_short_number,
    normalize_coordinates,
    normalize_date,
    normalize_decimal,
    normalize_email,
    normalize_horaires,
    normalize_insee,
    normalize_phone,
    normalize_pivot,
    normalize_postcode,
    normalize_siren,
    normalize_siret,
    normalize_url,
    split_emails,
    split_multi,
    split_phones,
    territory_of_departement,
)
from models.standard import standard_v1

CHARENTE = (-0.47, 45.19, 0.95, 46.14)
GUADELOUPE = (-61.81, 15.83, -61.0, 16.52)
REUNION = (55.21, -21.39, 55.84, -20.87)
NOUVELLE_CALEDONIE = (163.5, -22.9, 168.2, -19.5)
MAYOTTE = (44.97, -13.05, 45.35, -12.59)
GUYANE = (-54.65, 2.06, -51.57, 5.8)

PHONE_PATTERN = re.compile(standard_v1().field("telephone").pattern)
PIVOT_PATTERN = re.compile(standard_v1().field("pivot").pattern)


# --------------------------------------------------------------------------------------------
# clean_text
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Mairie  de\u00a0Pointe-à-Pitre ", "Mairie de Pointe-à-Pitre"),
        ("Espace\u202fFrance\tServices", "Espace France Services"),
        ("Ligne 1  \n  Ligne 2", "Ligne 1\nLigne 2"),
        (1000.0, "1000"),
        (97110, "97110"),
        (43.5, "43.5"),
        ("\ufeffCCAS", "CCAS"),
    ],
)
def test_clean_text_tidies_spaces_and_excel_floats(raw, expected):
    assert clean_text(raw) == expected


_ODD_CHARACTERS = "\u00a0\u202f\u2007\u2009\u200a\u3000\u200b\ufeff\r\n\t\f\v\x01\u2028 éA-"


def tidied_the_long_way(text: str) -> str | None:
    """clean_text of a string as if every string needed rewriting (no shortcut for plain ones)."""
    text = _SPACE_RUN.sub(" ", text.translate(_SPACE_LIKE))
    text = _SPACE_AROUND_NEWLINE.sub("\n", text).strip()
    return None if text.lower() in _PLACEHOLDERS else text


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from(_ODD_CHARACTERS) | st.characters(), max_size=30))
def test_clean_text_gives_a_plain_string_as_the_long_way_does(text):
    assert clean_text(text) == tidied_the_long_way(text)


@pytest.mark.parametrize(
    "placeholder", [None, "", "   ", "nan", "NaN", "NULL", "null", "None", "-", "N/A", "n/a", "#N/A", float("nan")]
)
def test_clean_text_turns_placeholders_into_none(placeholder):
    assert clean_text(placeholder) is None


# --------------------------------------------------------------------------------------------
# Territories and phones
# --------------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(region=st.sampled_from(sorted(_TEN_DIGIT_TERRITORIES)), digits=st.from_regex(r"0[1-9][0-9]{8}", fullmatch=True))
def test_a_ten_digit_number_is_the_one_phonenumbers_parse_reads(region, digits):
    assert _national_number(digits, region) == phonenumbers.parse(digits, region)


@pytest.mark.parametrize(
    ("departement", "region"),
    [
        ("971", "GP"), ("972", "MQ"), ("973", "GF"), ("974", "RE"), ("975", "PM"), ("976", "YT"),
        ("977", "BL"), ("978", "MF"), ("986", "WF"), ("987", "PF"), ("988", "NC"),
        ("16", "FR"), ("2A", "FR"), ("01", "FR"), (None, "FR"), (971, "GP"),
    ],
)
def test_territory_of_departement_gives_the_phone_region(departement, region):
    assert territory_of_departement(departement) == region


@pytest.mark.parametrize(
    ("raw", "departement", "expected"),
    [
        # Metropolitan France, written every way people write them.
        ("01 23 45 67 89", None, "+33123456789"),
        ("01.23.45.67.89", "75", "+33123456789"),
        ("01-23-45-67-89", "16", "+33123456789"),
        ("(01) 23 45 67 89", "16", "+33123456789"),
        ("Tél : 05 45 12 34 56", "16", "+33545123456"),
        ("Tél. 06 12 34 56 78", "16", "+33612345678"),
        ("+33 (0)1 23 45 67 89", None, "+33123456789"),
        ("+33 1 23 45 67 89", None, "+33123456789"),
        ("0033 1 23 45 67 89", None, "+33123456789"),
        ("+33 0 1 23 45 67 89", None, "+33123456789"),
        ("33612345678", None, "+33612345678"),
        ("0800 12 34 56", None, "+33800123456"),
        ("09 70 12 34 56", "971", "+33970123456"),
        # Excel lost the leading zero or wrote the number as a number.
        (123456789, "16", "+33123456789"),
        (545123456.0, "16", "+33545123456"),
        ("545123456", None, "+33545123456"),
        ("545123456.0", None, "+33545123456"),
        ("5,45123456e+08", "16", "+33545123456"),
        ("5.45123456E+08", None, "+33545123456"),
        # Corsica uses the metropolitan plan.
        ("04 95 12 34 56", "2A", "+33495123456"),
    ],
)
def test_phone_from_metropolitan_france_gets_plus_33(raw, departement, expected):
    assert normalize_phone(raw, departement=departement) == expected
    assert PHONE_PATTERN.match(expected)


@pytest.mark.parametrize(
    ("raw", "departement", "expected"),
    [
        ("0590 20 12 34", "971", "+590590201234"),
        ("05 90 20 12 34", None, "+590590201234"),
        ("05.90.20.12.34", "16", "+590590201234"),
        ("0690 00 12 34", "971", "+590690001234"),
        ("0691 28 12 34", "971", "+590691281234"),
        ("+590 590 20 12 34", None, "+590590201234"),
        ("+590 (0)590 20 12 34", None, "+590590201234"),
        ("00590 690 00 12 34", None, "+590690001234"),
        ("+33 5 90 20 12 34", None, "+590590201234"),
        (590201234, "971", "+590590201234"),
        (590201234.0, "971", "+590590201234"),
        ("590201234", None, "+590590201234"),
        ("5,90201234e+08", "971", "+590590201234"),
        ("5.90201234E+08", None, "+590590201234"),
    ],
)
def test_phone_from_guadeloupe_gets_plus_590(raw, departement, expected):
    assert normalize_phone(raw, departement=departement) == expected


@pytest.mark.parametrize(
    ("raw", "departement", "expected"),
    [
        ("0590 27 12 34", "977", "+590590271234"),  # Saint-Barthélemy
        ("0690 00 12 34", "977", "+590690001234"),
        ("0590 87 12 34", "978", "+590590871234"),  # Saint-Martin
        ("0690 22 33 44", "978", "+590690223344"),
    ],
)
def test_phone_from_saint_barthelemy_and_saint_martin_gets_plus_590(raw, departement, expected):
    assert normalize_phone(raw, departement=departement) == expected


@pytest.mark.parametrize(
    ("raw", "departement", "expected"),
    [
        ("0596 30 12 34", "972", "+596596301234"),
        ("0696 20 12 34", "972", "+596696201234"),
        ("0697 12 34 56", None, "+596697123456"),
        ("+596 596 30 12 34", None, "+596596301234"),
        (596301234, "972", "+596596301234"),
    ],
)
def test_phone_from_martinique_gets_plus_596(raw, departement, expected):
    assert normalize_phone(raw, departement=departement) == expected


@pytest.mark.parametrize(
    ("raw", "departement", "expected"),
    [
        ("0594 10 12 34", "973", "+594594101234"),
        ("0694 20 12 34", "973", "+594694201234"),
        ("05-94-10-12-34", "16", "+594594101234"),
        ("+594 694 20 12 34", None, "+594694201234"),
    ],
)
def test_phone_from_guyane_gets_plus_594(raw, departement, expected):
    assert normalize_phone(raw, departement=departement) == expected


@pytest.mark.parametrize(
    ("raw", "departement", "expected"),
    [
        ("0262 16 12 34", "974", "+262262161234"),
        ("0263 00 12 34", "974", "+262263001234"),
        ("0692 12 34 56", "974", "+262692123456"),
        ("0693 11 22 33", None, "+262693112233"),
        ("+262 262 16 12 34", None, "+262262161234"),
        ("262161234", "974", "+262262161234"),
    ],
)
def test_phone_from_la_reunion_gets_plus_262(raw, departement, expected):
    assert normalize_phone(raw, departement=departement) == expected


@pytest.mark.parametrize(
    ("raw", "departement", "expected"),
    [
        ("0269 60 12 34", "976", "+262269601234"),
        ("0639 01 23 45", "976", "+262639012345"),
        ("02 69 61 12 34", None, "+262269611234"),
        ("+262 639 01 23 45", None, "+262639012345"),
        (269601234, "976", "+262269601234"),
    ],
)
def test_phone_from_mayotte_gets_plus_262_with_its_own_prefixes(raw, departement, expected):
    assert normalize_phone(raw, departement=departement) == expected
    assert PHONE_PATTERN.match(expected)


@pytest.mark.parametrize(
    ("raw", "departement", "expected"),
    [
        ("41 23 45", "975", "+508412345"),
        ("0508 41 23 45", None, "+508412345"),
        ("05 08 41 23 45", "975", "+508412345"),
        ("+508 41 23 45", None, "+508412345"),
        ("508 41 23 45", "975", "+508412345"),
    ],
)
def test_phone_from_saint_pierre_et_miquelon_gets_plus_508(raw, departement, expected):
    assert normalize_phone(raw, departement=departement) == expected


@pytest.mark.parametrize(
    ("raw", "departement", "expected"),
    [
        ("445728", "988", "+687445728"),
        ("44.57.28", "988", "+687445728"),
        ("44 57 28", "988", "+687445728"),
        ("687 44 57 28", "988", "+687445728"),
        ("+687 44.57.28", None, "+687445728"),
        ("(+687) 27 12 34", "988", "+687271234"),
        (445728, "988", "+687445728"),
        ("75.12.34", "988", "+687751234"),
    ],
)
def test_phone_from_nouvelle_caledonie_gets_plus_687(raw, departement, expected):
    assert normalize_phone(raw, departement=departement) == expected
    assert PHONE_PATTERN.match(expected)


@pytest.mark.parametrize(
    ("raw", "departement", "expected"),
    [
        ("40 12 34 56", "987", "+68940123456"),
        ("40 41 23 45", "987", "+68940412345"),
        ("87 12 34 56", "987", "+68987123456"),
        ("89.12.34.56", "987", "+68989123456"),
        ("689 87 12 34 56", "987", "+68987123456"),
        ("+689 87 12 34 56", None, "+68987123456"),
    ],
)
def test_phone_from_polynesie_gets_plus_689(raw, departement, expected):
    assert normalize_phone(raw, departement=departement) == expected


@pytest.mark.parametrize(
    ("raw", "departement", "expected"),
    [
        ("72 12 34", "986", "+681721234"),
        ("82 12 34", "986", "+681821234"),
        ("+681 72 12 34", None, "+681721234"),
        ("681 72 12 34", "986", "+681721234"),
    ],
)
def test_phone_from_wallis_et_futuna_gets_plus_681(raw, departement, expected):
    assert normalize_phone(raw, departement=departement) == expected


@pytest.mark.parametrize(
    ("raw", "departement", "fragment"),
    [
        ("05 90", "971", "il faut 10 chiffres pour un numéro de Guadeloupe"),
        ("01 23 45", None, "il faut 10 chiffres pour un numéro de France"),
        ("0692 12 34", "974", "il faut 10 chiffres pour un numéro de La Réunion"),
        ("44 57", "988", "il faut 6 chiffres pour un numéro de Nouvelle-Calédonie"),
        ("87 12 34", "987", "il faut 8 chiffres pour un numéro de Polynésie française"),
        ("01 23 45 67 89 01", None, "trop long"),
        ("05 90 12 34 56 06 90 12 34 56", "971", "deux numéros collés"),
        ("4457281", "988", "trop long"),
    ],
)
def test_phone_of_the_wrong_length_is_rejected_in_french(raw, departement, fragment):
    with pytest.raises(InvalidValue) as error:
        normalize_phone(raw, departement=departement)
    assert raw in str(error.value)
    assert fragment in str(error.value)


@pytest.mark.parametrize(
    "raw", ["abc", "non communiqué", "01 23 45 67 8a", "+1 202 555 0123", "+32 2 550 11 11", "0596 12 34 56"]
)
def test_phone_that_is_not_a_french_number_is_rejected(raw):
    with pytest.raises(InvalidValue) as error:
        normalize_phone(raw)
    assert raw in str(error.value)


@pytest.mark.parametrize("raw", ["5,9e+08", "5.9E+08", "6,9012e+08"])
def test_phone_damaged_by_excel_scientific_notation_must_be_retyped(raw):
    with pytest.raises(InvalidValue) as error:
        normalize_phone(raw, departement="971")
    message = str(error.value)
    assert raw in message
    assert "notation scientifique" in message
    assert "ressaisir" in message


@pytest.mark.parametrize(
    ("raw", "digits"),
    [("3949", "3949"), ("39 49", "3949"), (3646, "3646"), ("1010", "1010"), ("115", "115"), ("119", "119"),
     ("3919", "3919"), ("Tél : 3939", "3939"), ("116 006", "116006")],
)
def test_short_service_number_is_kept_aside_with_a_french_message(raw, digits):
    assert is_short_number(raw)
    with pytest.raises(ShortPhoneNumber) as error:
        normalize_phone(raw)
    assert isinstance(error.value, InvalidValue)
    assert error.value.digits == digits
    assert f"numéro court ({digits})" in str(error.value).lower()
    assert "le standard ne peut pas le contenir" in str(error.value)


@pytest.mark.parametrize("raw", ["01 23 45 67 89", "445728", "0590", "44 57 28", "", None, "abc", "+33 3949"])
def test_ordinary_numbers_are_not_short_numbers(raw):
    assert not is_short_number(raw)


# --------------------------------------------------------------------------------------------
# Multi-value cells
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("05 90 12 34 56 / 06 90 12 34 56", ["05 90 12 34 56", "06 90 12 34 56"]),
        ("05.90.12.34.56 - 06.90.12.34.56", ["05.90.12.34.56", "06.90.12.34.56"]),
        ("05-90-12-34-56", ["05-90-12-34-56"]),
        ("05 90 12 34 56", ["05 90 12 34 56"]),
        ("05/90/12/34/56", ["05/90/12/34/56"]),
        ("05 90 12 34 56 06 90 12 34 56", ["05 90 12 34 56", "06 90 12 34 56"]),
        ("0590123456;0690123456", ["0590123456", "0690123456"]),
        ("Tél : 05 90 12 34 56 (accueil), 0690123456", ["05 90 12 34 56", "0690123456"]),
        ("+590 590 20 12 34 / +590 690 00 12 34", ["+590 590 20 12 34", "+590 690 00 12 34"]),
        ("+33 (0)1 23 45 67 89 ou +33 (0)6 12 34 56 78", ["+33 1 23 45 67 89", "+33 6 12 34 56 78"]),
        ("44.57.28 / 27.12.34", ["44.57.28", "27.12.34"]),
        ("3949 / 05 90 12 34 56", ["3949", "05 90 12 34 56"]),
        ("5,90123456e+08", ["5,90123456e+08"]),
        (590123456, ["590123456"]),
        ("non communiqué", ["non communiqué"]),
        ("", []),
        (None, []),
    ],
)
def test_split_phones_cuts_only_between_complete_numbers(raw, expected):
    assert split_phones(raw) == expected


def test_split_phones_output_feeds_normalize_phone():
    phones = [normalize_phone(p, departement="971") for p in split_phones("0590 20 12 34 et 0690 00 12 34")]
    assert phones == ["+590590201234", "+590690001234"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a@x.fr; b@y.fr", ["a@x.fr", "b@y.fr"]),
        ("a@x.fr et b@y.fr", ["a@x.fr", "b@y.fr"]),
        ("a@x.fr ou b@y.fr", ["a@x.fr", "b@y.fr"]),
        ("a@x.fr / b@y.fr", ["a@x.fr", "b@y.fr"]),
        (
            "Accueil <accueil@mairie-lamentin.fr>, mailto:cnfs@cagsc.fr.",
            ["accueil@mairie-lamentin.fr", "cnfs@cagsc.fr"],
        ),
        ("mediation.numerique@ville-noumea.nc", ["mediation.numerique@ville-noumea.nc"]),
        ("pas de mail", ["pas de mail"]),
        ("", []),
    ],
)
def test_split_emails_finds_every_address_in_a_cell(raw, expected):
    assert split_emails(raw) == expected


@pytest.mark.parametrize(
    ("raw", "separators", "expected"),
    [
        ("Mairie | CCAS ; France Services", "|;,/\n", ["Mairie", "CCAS", "France Services"]),
        ("Jeunes,Seniors,, ", "|;,/\n", ["Jeunes", "Seniors"]),
        (
            "Aide aux démarches administratives|Certification PIX",
            "|",
            ["Aide aux démarches administratives", "Certification PIX"],
        ),
        ("Familles et/ou enfants|Seniors", "|", ["Familles et/ou enfants", "Seniors"]),
        ("ligne 1\nligne 2", "|;,/\n", ["ligne 1", "ligne 2"]),
        (None, "|", []),
    ],
)
def test_split_multi_splits_at_the_given_separators(raw, separators, expected):
    assert split_multi(raw, separators) == expected


# --------------------------------------------------------------------------------------------
# SIRET, SIREN, pivot
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("43493312300029", "43493312300029"),
        ("434 933 123 00029", "43493312300029"),
        ("434.933.123.00029", "43493312300029"),
        (43493312300029, "43493312300029"),
        (43493312300029.0, "43493312300029"),
        ("43493312300029.0", "43493312300029"),
        ("4.3493312300029E+13", "43493312300029"),
        ("21160052300016", "21160052300016"),
        ("35600000000048", "35600000000048"),  # La Poste, siège (passes Luhn)
        ("35600000062292", "35600000062292"),  # La Poste, a bureau (digit sum multiple of 5 only)
    ],
)
def test_valid_siret_is_returned_as_14_digits(raw, expected):
    assert normalize_siret(raw) == expected


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("4349331230002", "13 chiffres"),
        ("43493312300028", "clé de contrôle"),
        ("12345678000006", "clé de contrôle de son SIREN (123456780)"),  # passes Luhn, its SIREN does not
        ("35600000000049", "clé de contrôle"),
        ("434933123", "9 chiffres au lieu de 14"),
        ("4349331230002A", "que des chiffres"),
        ("4,34933123E+13", "notation scientifique"),
    ],
)
def test_invalid_siret_is_rejected_in_french(raw, fragment):
    with pytest.raises(InvalidValue) as error:
        normalize_siret(raw)
    assert raw in str(error.value)
    assert fragment in str(error.value)


@pytest.mark.parametrize("raw", ["356000000", "434 933 123", 434933123, "211600523"])
def test_valid_siren_is_returned_as_9_digits(raw):
    assert normalize_siren(raw) == str(raw).replace(" ", "")


@pytest.mark.parametrize("raw", ["434933124", "12345678", "4349331230"])
def test_invalid_siren_is_rejected_in_french(raw):
    with pytest.raises(InvalidValue) as error:
        normalize_siren(raw)
    assert raw in str(error.value)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("43493312300029", "43493312300029"),
        ("434 933 123 00029", "43493312300029"),
        (43493312300029.0, "43493312300029"),
        ("35600000062292", "35600000062292"),
        ("356000000", "356000000"),
        ("W751234567", "W751234567"),
        ("w971001234", "W971001234"),
        ("W 751 234 567", "W751234567"),
        ("W2B1001234", "W2B1001234"),
        ("1234567.001", "1234567001"),  # RIDET of Nouvelle-Calédonie
        ("1 234 567 001", "1234567001"),
        ("123456.002", "0123456002"),
        ("1234567-001", "1234567001"),
    ],
)
def test_pivot_accepts_siret_siren_rna_and_ridet(raw, expected):
    assert normalize_pivot(raw) == expected
    assert PIVOT_PATTERN.match(expected)


@pytest.mark.parametrize("raw", ["00000000000000", "000000000", "0", "000", "", None, "NULL", 0])
def test_pivot_placeholders_identify_nothing(raw):
    assert normalize_pivot(raw) is None


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("W12", "RNA"),
        ("ABCDEFGHI", "non reconnu"),
        ("12345", "non reconnu"),
        ("1234567", "RIDET"),
        ("4349331230002", "13 chiffres"),
        ("43493312300028", "clé de contrôle"),
        ("12345678000006", "clé de contrôle de son SIREN (123456780)"),  # passes Luhn, its SIREN does not
    ],
)
def test_pivot_that_identifies_nothing_known_is_rejected(raw, fragment):
    with pytest.raises(InvalidValue) as error:
        normalize_pivot(raw)
    assert raw in str(error.value)
    assert fragment in str(error.value)


# --------------------------------------------------------------------------------------------
# Postcodes and INSEE codes
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("97110", "97110"),  # Pointe-à-Pitre
        ("97200", "97200"),  # Fort-de-France
        ("97300", "97300"),  # Cayenne
        ("97400", "97400"),  # Saint-Denis
        ("97600", "97600"),  # Mamoudzou
        ("97500", "97500"),  # Saint-Pierre
        ("97133", "97133"),  # Saint-Barthélemy
        ("97150", "97150"),  # Saint-Martin
        ("98600", "98600"),  # Wallis-et-Futuna
        ("98714", "98714"),  # Papeete
        ("98800", "98800"),  # Nouméa
        ("20000", "20000"),  # Ajaccio
        ("01000", "01000"),  # Bourg-en-Bresse
        (1000, "01000"),
        ("1000", "01000"),
        ("1000.0", "01000"),
        (1000.0, "01000"),
        ("1300", "01300"),
        ("97 110", "97110"),
        (97110, "97110"),
    ],
)
def test_postcode_is_five_digits_with_its_leading_zero_restored(raw, expected):
    assert normalize_postcode(raw) == expected


@pytest.mark.parametrize("raw", ["ABCDE", "123456", "123", "00000", "00123", "97110 Pointe-à-Pitre"])
def test_invalid_postcode_is_rejected_in_french(raw):
    with pytest.raises(InvalidValue) as error:
        normalize_postcode(raw)
    assert raw in str(error.value)
    assert "Code postal" in str(error.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12 rue X 97110 Pointe-à-Pitre", "97110"),
        ("Rue Victor Hugo, 97200 Fort-de-France", "97200"),
        ("12345 route de la Plaine 97400 Saint-Denis", "97400"),
        ("BP 12, 98800 Nouméa", "98800"),
        ("Immeuble Te Fare, 98714 PAPEETE", "98714"),
        ("Place de l'Hôtel de Ville 16000", "16000"),
        ("12 rue de Paris 75001 PARIS CEDEX 01", "75001"),
        ("12345 route de Cayenne", None),
        ("Lotissement Les Palmiers", None),
        (None, None),
    ],
)
def test_extract_postcode_finds_the_postcode_of_an_address(text, expected):
    assert extract_postcode(text) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2A004", "2A004"),  # Ajaccio
        ("2a004", "2A004"),
        ("2B033", "2B033"),  # Bastia
        ("97101", "97101"),  # Les Abymes
        ("97209", "97209"),  # Fort-de-France
        ("97302", "97302"),  # Cayenne
        ("97411", "97411"),  # Saint-Denis
        ("97611", "97611"),  # Mamoudzou
        ("97502", "97502"),  # Saint-Pierre
        ("97701", "97701"),  # Saint-Barthélemy
        ("98735", "98735"),  # Papeete
        ("98818", "98818"),  # Nouméa
        ("01053", "01053"),  # Bourg-en-Bresse
        (1053, "01053"),
        ("1053", "01053"),
        ("1053.0", "01053"),
    ],
)
def test_insee_code_is_five_characters(raw, expected):
    assert normalize_insee(raw) == expected


@pytest.mark.parametrize(
    ("raw", "fragment"), [("20004", "2A ou 2B"), ("ABCDE", "5 caractères"), ("123", "5 caractères")]
)
def test_invalid_insee_code_is_rejected_in_french(raw, fragment):
    with pytest.raises(InvalidValue) as error:
        normalize_insee(raw)
    assert raw in str(error.value)
    assert fragment in str(error.value)


# --------------------------------------------------------------------------------------------
# E-mail, URL, opening hours
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("contact@mairie-abymes.fr", "contact@mairie-abymes.fr"),
        ("Contact@Mairie-Abymes.FR", "contact@mairie-abymes.fr"),
        ("  cnfs@ville-noumea.nc ", "cnfs@ville-noumea.nc"),
        ("mailto:accueil@cc-grandsud.re", "accueil@cc-grandsud.re"),
        ("<franceservices@mamoudzou.yt>", "franceservices@mamoudzou.yt"),
        ("mediation@presidence.pf", "mediation@presidence.pf"),
    ],
)
def test_valid_email_is_returned_normalised(raw, expected):
    assert normalize_email(raw) == expected


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("contact.mairie.fr", "il manque le @"),
        ("contact@mairie", "pas de point"),
        ("a@@mairie.fr", "plusieurs @"),
        ("jean dupont@mairie.fr", "espace"),
        ("contact@mairie..fr", "deux points"),
        ("@mairie.fr", "avant le @"),
    ],
)
def test_invalid_email_is_rejected_with_the_reason_in_french(raw, fragment):
    with pytest.raises(InvalidValue) as error:
        normalize_email(raw)
    assert raw in str(error.value)
    assert "invalide" in str(error.value)
    assert fragment in str(error.value)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("www.ville.fr", "https://www.ville.fr"),
        ("ville-pointeapitre.fr", "https://ville-pointeapitre.fr"),
        ("https://www.service-public.fr/particuliers", "https://www.service-public.fr/particuliers"),
        ("http://www.mairie-koungou.yt/?page=1", "http://www.mairie-koungou.yt/?page=1"),
        ("HTTPS://WWW.Noumea.NC/Mediation", "https://www.noumea.nc/Mediation"),
        (" www.cagsc.fr/france-services ", "https://www.cagsc.fr/france-services"),
    ],
)
def test_url_gets_a_scheme_when_missing(raw, expected):
    assert normalize_url(raw) == expected


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("ftp://ville.fr", "http"),
        ("http:/ville.fr", "//"),
        ("contact@ville.fr", "adresse e-mail"),
        ("pas de site", "espaces"),
        ("http://localhost", "localhost"),
        ("https://", "nom de domaine"),
    ],
)
def test_invalid_url_is_rejected_in_french(raw, fragment):
    with pytest.raises(InvalidValue) as error:
        normalize_url(raw)
    assert raw in str(error.value)
    assert fragment in str(error.value)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Mo-Fr 09:00-12:00,14:00-18:30; Sa 08:30-12:00", "Mo-Fr 09:00-12:00,14:00-18:30; Sa 08:30-12:00"),
        (
            "Mo-Fr 08:30-12:00,13:00-17:00; Th 08:00-13:00,13:01-15:00",
            "Mo-Fr 08:30-12:00,13:00-17:00; Th 08:00-13:00,13:01-15:00",
        ),
        ("We,Fr 09:00-12:00,13:00-16:30; Mo 13:30-16:30", "We,Fr 09:00-12:00,13:00-16:30; Mo 13:30-16:30"),
        ("24/7", "24/7"),
        ("Mo-Fr 09:00-17:00; PH off", "Mo-Fr 09:00-17:00; PH off"),
        ("  Mo-Fr  09:00-17:00;\u00a0PH off ", "Mo-Fr 09:00-17:00; PH off"),
    ],
)
def test_opening_hours_in_osm_syntax_are_kept(raw, expected):
    assert normalize_horaires(raw) == expected


@pytest.mark.parametrize("raw", ["lundi au vendredi 9h-12h", "Mo-Fr 25:00-26:00", "Mo-Fr 09h00-12h00"])
def test_opening_hours_not_in_osm_syntax_are_rejected(raw):
    with pytest.raises(InvalidValue) as error:
        normalize_horaires(raw)
    assert raw in str(error.value)
    assert "OpenStreetMap" in str(error.value)


# --------------------------------------------------------------------------------------------
# Dates, booleans, decimals
# --------------------------------------------------------------------------------------------

APRIL_2 = dt.date(2024, 4, 2)


@pytest.mark.parametrize(
    "raw",
    [
        "2024-04-02",
        "02/04/2024",
        "2/4/2024",
        "02-04-2024",
        "02.04.2024",
        "02/04/24",
        "2024-04-02T10:00:00+02:00",
        "2024-04-02T10:00:00.000Z",
        "2024-04-02 10:00:00",
        "02/04/2024 10:00",
        "20240402",
        45384,
        45384.0,
        "45384",
        45384.5,
        dt.datetime(2024, 4, 2, 10, 30),
        APRIL_2,
    ],
)
def test_date_is_read_in_french_order_iso_or_excel_serial(raw):
    assert normalize_date(raw) == APRIL_2


def test_date_with_day_above_twelve_is_never_read_month_first():
    assert normalize_date("13/04/2024") == dt.date(2024, 4, 13)
    with pytest.raises(InvalidValue):
        normalize_date("04/13/2024")


@pytest.mark.parametrize(("raw", "fragment"), [("31/02/2024", "impossible"), ("2024-13-01", "impossible"),
                                               ("hier", "illisible"), ("12", "illisible"), ("1000000", "illisible")])
def test_invalid_date_is_rejected_in_french(raw, fragment):
    with pytest.raises(InvalidValue) as error:
        normalize_date(raw)
    assert raw in str(error.value)
    assert fragment in str(error.value)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("43,52609", 43.52609), ("43.52609", 43.52609), (" 43,526 ", 43.526), ("1 234,5", 1234.5),
     ("1\u202f234,5", 1234.5), ("1.234,5", 1234.5), ("-61,5331", -61.5331), ("−21,1", -21.1),
     (12, 12.0), (16.2411, 16.2411)],
)
def test_decimal_reads_french_commas_and_spaces(raw, expected):
    assert normalize_decimal(raw) == pytest.approx(expected)


@pytest.mark.parametrize("raw", ["abc", "1,2,3", "12 ha", "4 5 . 2 ,1,2"])
def test_invalid_decimal_is_rejected_in_french(raw):
    with pytest.raises(InvalidValue) as error:
        normalize_decimal(raw)
    assert clean_text(raw) in str(error.value)


# --------------------------------------------------------------------------------------------
# Coordinates
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lat", "lon", "departement", "bbox", "expected", "note"),
    [
        # Angoulême, as written in degrees with a decimal comma.
        ("45,6484", "0,1562", "16", CHARENTE, (45.6484, 0.1562), None),
        (45.6484, 0.1562, "16", CHARENTE, (45.6484, 0.1562), None),
        # Swapped degrees, detected by the bounds of the département.
        (0.1562, 45.6484, "16", CHARENTE, (45.6484, 0.1562), "inversées"),
        ("-61,5331", "16,2411", "971", GUADELOUPE, (16.2411, -61.5331), "inversées"),
        # Swapped degrees detected without any bounds, because |latitude| > 90.
        (166.4572, -22.2758, None, None, (-22.2758, 166.4572), "inversées"),
        # Signs lost overseas.
        (16.2411, 61.5331, "971", GUADELOUPE, (16.2411, -61.5331), "signe"),
        (20.8789, 55.4481, "974", REUNION, (-20.8789, 55.4481), "signe"),
        # Other territories in plain degrees.
        ("-20,8789", "55,4481", "974", REUNION, (-20.8789, 55.4481), None),
        (-22.2758, 166.4572, "988", NOUVELLE_CALEDONIE, (-22.2758, 166.4572), None),
        (-12.7806, 45.2279, "976", MAYOTTE, (-12.7806, 45.2279), None),
        (4.9372, -52.326, "973", GUYANE, (4.9372, -52.326), None),
    ],
)
def test_coordinates_in_degrees_are_checked_and_repaired(lat, lon, departement, bbox, expected, note):
    latitude, longitude, said = normalize_coordinates(lat, lon, departement=departement, bbox=bbox)
    assert (latitude, longitude) == pytest.approx(expected)
    if note is None:
        assert said is None
    else:
        assert note in said


@pytest.mark.parametrize(
    ("lat", "lon", "departement", "bbox", "expected", "system"),
    [
        # Angoulême in Lambert-93, in the right order, as strings, swapped, without a département.
        (6510000, 476000, "16", CHARENTE, (45.653, 0.123), "Lambert-93"),
        ("6510000", "476000", "16", CHARENTE, (45.653, 0.123), "Lambert-93"),
        ("6 510 000,0", "476 000,0", "16", CHARENTE, (45.653, 0.123), "Lambert-93"),
        (476000, 6510000, "16", CHARENTE, (45.653, 0.123), "Lambert-93"),
        (6510000, 476000, None, None, (45.653, 0.123), "Lambert-93"),
        # Pointe-à-Pitre in UTM 20N (RGAF09), both orders.
        (1796166, 656771, "971", GUADELOUPE, (16.2411, -61.5331), "UTM 20N"),
        (656771, 1796166, "971", GUADELOUPE, (16.2411, -61.5331), "UTM 20N"),
        # Saint-Denis de La Réunion in UTM 40S, Mamoudzou in UTM 38S, Cayenne in UTM 22N.
        (7690475, 338568, "974", REUNION, (-20.8789, 55.4481), "UTM 40S"),
        (8587116, 524735, "976", MAYOTTE, (-12.7806, 45.2279), "UTM 38S"),
        (545869, 352980, "973", GUYANE, (4.9372, -52.326), "UTM 22N"),
        (352980, 545869, "973", GUYANE, (4.9372, -52.326), "UTM 22N"),
        # Nouméa in Lambert Nouvelle-Calédonie.
        (214034, 447119, "988", NOUVELLE_CALEDONIE, (-22.2758, 166.4572), "Lambert Nouvelle-Calédonie"),
    ],
)
def test_projected_coordinates_are_converted_to_wgs84(lat, lon, departement, bbox, expected, system):
    latitude, longitude, note = normalize_coordinates(lat, lon, departement=departement, bbox=bbox)
    assert (latitude, longitude) == pytest.approx(expected, abs=1e-3)
    assert system in note
    assert "converties en WGS84" in note


@pytest.mark.parametrize(
    ("lat", "lon", "departement", "bbox", "fragment"),
    [
        (48.85, 2.35, "16", CHARENTE, "hors du département 16"),  # Paris is not in Charente
        (45.6484, 0.1562, "971", GUADELOUPE, "hors du département 971"),
        (6692424, 652000, "16", CHARENTE, "hors du département 16"),  # Lambert-93 of Paris
        (6692424, 12, "16", CHARENTE, "illisibles"),
        (6692424, 652000, "987", None, "illisibles"),
        (1796166, 656771, None, None, "illisibles"),  # UTM without a département to say so
        (0, 0, "16", CHARENTE, "0, 0"),
        ("0", "0", None, None, "0, 0"),
        (95.5, 120.3, None, None, "impossibles"),
        ("abc", "0,15", "16", CHARENTE, "abc"),
    ],
)
def test_impossible_coordinates_are_rejected_in_french(lat, lon, departement, bbox, fragment):
    with pytest.raises(InvalidValue) as error:
        normalize_coordinates(lat, lon, departement=departement, bbox=bbox)
    message = str(error.value)
    assert fragment in message
    assert str(lat) in message


def test_projected_latitude_never_comes_out_as_is():
    for lat, lon in [(6692424, 652000), (6510000, 476000), (6692424, 0.5)]:
        try:
            latitude, _, _ = normalize_coordinates(lat, lon, departement=None)
        except InvalidValue:
            continue
        assert -90 <= latitude <= 90


def test_coordinates_look_up_the_departement_bounds_when_none_are_given(monkeypatch):
    asked = []

    def departement_bbox(departement):
        asked.append(departement)
        return CHARENTE

    monkeypatch.setitem(sys.modules, "models.geo", types.SimpleNamespace(departement_bbox=departement_bbox))
    assert normalize_coordinates(0.1562, 45.6484, departement="16")[:2] == pytest.approx((45.6484, 0.1562))
    with pytest.raises(InvalidValue, match="hors du département 16"):
        normalize_coordinates(48.85, 2.35, departement="16")
    assert asked == ["16", "16"]


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("+33545824351", "05 45 82 43 51"),  # metropolitan France
        ("+590590821234", "0590 82 12 34"),  # Guadeloupe: dialled like a French number
        ("+262262401234", "0262 40 12 34"),  # La Réunion
        ("+687203500", "+687 20.35.00"),  # Nouvelle-Calédonie: its own country code, its own grouping
        ("+68940123456", "+689 40 12 34 56"),  # Polynésie française
        (None, ""),
        ("pas un numéro", "pas un numéro"),
    ],
)
def test_a_stored_number_is_shown_as_dialled_from_france(stored, shown):
    from models.normalize import phone_display

    assert phone_display(stored) == shown
