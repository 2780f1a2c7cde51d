"""A structure validates field by field with French messages, then against the COG."""

from __future__ import annotations

import csv

import pytest

from models.standard import DATA_DIR, standard_v1
from models.structure import Structure, data_fields, validate_structure

VALID = {
    "nom": "Médiathèque de Châteaubernard",
    "commune": "Châteaubernard",
    "code_postal": "16100",
    "code_insee": "16089",
    "adresse": "allée des justes de France",
    "date_maj": "2024-04-02",
}


def test_the_model_carries_the_32_fields_of_the_standard_in_order():
    assert tuple(Structure.model_fields)[:32] == standard_v1().field_names


def test_the_official_example_row_is_valid():
    with open(DATA_DIR / "standard" / "exemple-valide.csv", encoding="utf-8") as handle:
        row = next(csv.DictReader(handle))
    row.pop("id")
    row["code_insee"] = "51454"  # the example's coordinates are not in Reims; keep the fields check only
    structure = Structure.model_validate(row)
    assert structure.services == [
        "Maîtrise des outils numériques du quotidien",
        "Insertion professionnelle via le numérique",
        "Loisirs et créations numériques",
    ]
    assert structure.courriels == ["contact@laquincaillerie.tl", "responsable@laquincaillerie.tl"]
    assert structure.typologie == ["TIERS_LIEUX", "ASSO"]


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("nom", "  ", "obligatoire"),
        ("code_postal", "ABCDE", "ABCDE"),
        ("services", "Jardinage", "« Jardinage » n'est pas une valeur possible du champ services"),
        ("frais_a_charge", "Gratuit|Cher", "« Cher »"),
        ("telephone", "05 90", "05 90"),
        ("courriels", "contact@", "contact@"),
        ("presentation_resume", "x" * 281, "281 caractères"),
        ("typologie", "PLANETE", "PLANETE"),
        ("horaires", "lundi au vendredi 9h-12h", "lundi au vendredi"),
        ("latitude", "91", "entre -90 et 90"),
        ("date_maj", "31/02/2024", "31/02/2024"),
    ],
)
def test_a_bad_value_gets_a_french_message_on_its_field(field, value, expected):
    structure, issues = validate_structure({**VALID, field: value})
    assert structure is None
    assert [issue.field for issue in issues] == [field]
    assert expected in issues[0].message


def test_phones_are_stored_in_e164_with_the_territory_of_the_commune():
    structure, _ = validate_structure(
        {**VALID, "commune": "Les Abymes", "code_postal": "97139", "code_insee": "97101", "telephone": "0590 12 34 56"}
    )
    assert structure is not None and structure.telephone == "+590590123456"


def test_a_postcode_of_another_commune_is_a_warning_not_an_error():
    structure, issues = validate_structure({**VALID, "code_postal": "16000"})
    assert structure is not None
    assert [(i.field, i.severity) for i in issues] == [("code_postal", "avertissement")]
    assert "16000" in issues[0].message and "16100" in issues[0].message


def test_coordinates_outside_the_departement_are_an_error():
    structure, issues = validate_structure({**VALID, "latitude": "43.5", "longitude": "5.4"})
    assert structure is None
    assert issues[0].field == "latitude" and "hors du département 16" in issues[0].message


def test_an_unknown_insee_code_is_an_error():
    structure, issues = validate_structure({**VALID, "code_insee": "16999"})
    assert structure is None and "16999" in issues[0].message


def test_the_contact_person_is_kept_beside_the_standard_fields():
    assert {"contact_nom", "contact_telephone", "contact_courriel"} <= set(data_fields())
    assert not {"contact_nom", "contact_telephone", "contact_courriel"} & set(standard_v1().field_names)


@pytest.mark.parametrize(
    ("commune", "code_postal", "code_insee", "zone"),
    [
        ("Châteaubernard", "16100", "16089", "Europe/Paris"),
        ("Les Abymes", "97139", "97101", "America/Guadeloupe"),
        ("Saint-Denis", "97400", "97411", "Indian/Reunion"),
        ("Mamoudzou", "97600", "97611", "Indian/Mayotte"),
        ("Cayenne", "97300", "97302", "America/Cayenne"),
        ("Nouméa", "98800", "98818", "Pacific/Noumea"),
        ("Papeete", "98714", "98735", "Pacific/Tahiti"),
    ],
)
def test_each_structure_lives_in_the_time_zone_of_its_departement(commune, code_postal, code_insee, zone):
    structure, issues = validate_structure(
        {**VALID, "commune": commune, "code_postal": code_postal, "code_insee": code_insee}
    )
    assert structure is not None, issues
    assert structure.timezone == zone
