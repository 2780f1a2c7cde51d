"""Structure typologies: data·inclusion's codes with their French labels, plus the national map's own codes."""

from __future__ import annotations

import json

import pytest

from models.typologies import NATIONAL_MAP_EXTRA_TYPOLOGIES, TYPOLOGIES_PATH, typologies


def _published() -> list[dict]:
    return json.loads(TYPOLOGIES_PATH.read_text(encoding="utf-8"))


def test_every_code_of_data_inclusion_is_known_with_its_label():
    published = _published()
    assert len(published) == 92
    known = typologies()
    assert {entry["value"]: known[entry["value"]] for entry in published} == {
        entry["value"]: entry["label"] for entry in published}


@pytest.mark.parametrize(
    ("code", "label"),
    [
        ("CCAS", "Centres communaux d’action sociale (CCAS)"),
        ("MUNI", "Municipalités"),
        ("BIB", "Bibliothèque / Médiathèque"),
        ("ML", "Mission Locale"),
        ("EVS", "Espace de Vie Sociale (EVS)"),
        ("CAF", "Caisses d’allocation familiale (CAF)"),
        ("RFS", "Réseau France Services"),
        ("ASSO", "Associations"),
        ("Autre", "Autre"),  # data·inclusion's one code not in capitals
    ],
)
def test_the_usual_codes_have_their_french_label(code, label):
    assert typologies()[code] == label


@pytest.mark.parametrize(("code", "label"), sorted(NATIONAL_MAP_EXTRA_TYPOLOGIES.items()))
def test_the_codes_the_national_map_adds_are_accepted_with_a_french_label(code, label):
    assert code not in {entry["value"] for entry in _published()}
    assert typologies()[code] == label


def test_the_national_maps_codes_are_esat_fabrique_mdh_and_relais_lecture():
    assert sorted(NATIONAL_MAP_EXTRA_TYPOLOGIES) == ["ESAT", "FABRIQUE", "MDH", "RELAIS_LECTURE"]
    assert len(typologies()) == 92 + 4


def test_every_code_is_a_bare_word_and_every_label_a_non_empty_text():
    for code, label in typologies().items():
        assert code.replace("_", "").isalnum(), code
        assert isinstance(label, str) and label.strip() == label and label, code


def test_the_list_is_read_once_and_shared():
    assert typologies() is typologies()
