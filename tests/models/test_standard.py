"""The standard is read from its schema file: fields, lists and patterns are never retyped."""

from __future__ import annotations

import json
import re

import pytest

from models.standard import SCHEMA_V1_PATH, enumeration_from_pattern, standard_v0, standard_v1


def test_v1_has_the_32_fields_of_the_schema_in_order():
    names = [f["name"] for f in json.loads(SCHEMA_V1_PATH.read_text())["fields"]]
    assert len(names) == 32
    assert standard_v1().field_names == tuple(names)


def test_legacy_v01_uses_semicolons_and_its_own_fields():
    legacy = standard_v0()
    assert legacy.separator == ";"
    assert {"courriel", "labels_nationaux", "publics_accueillis", "conditions_acces"} <= set(legacy.field_names)


@pytest.mark.parametrize("field", [f.name for f in standard_v1().fields if f.choices])
def test_every_choice_read_from_a_pattern_satisfies_that_pattern(field):
    standard_field = standard_v1().field(field)
    for choice in standard_field.choices:
        assert re.search(standard_field.pattern, choice), choice
    assert re.search(standard_field.pattern, "|".join(standard_field.choices))


def test_escaped_parentheses_become_plain_text():
    assert "Langues étrangères (anglais)" in standard_v1().choices("prise_en_charge_specifique")
    assert "Relais numérique (Emmaüs Connect)" in standard_v1().choices("dispositif_programmes_nationaux")


def test_a_free_pattern_is_not_an_enumeration():
    assert enumeration_from_pattern(r"^\d{5}$") is None
