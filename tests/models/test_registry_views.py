"""Filter choices present in the registry, and the French field labels."""

from __future__ import annotations

from datetime import date

from models.registry import count_structures, create_structure, delete_structure
from models.registry_views import communes_in_use, departements_in_use, field_labels
from models.structure import PERSONAL_FIELDS, data_fields


def _add(store, **values):
    data = {"nom": "Lieu", "adresse": "1 rue de la Gare", "date_maj": date(2026, 1, 5), **values}
    with store.atomic() as con:
        structure, issues = create_structure(con, data, by="test")
    assert structure is not None, issues
    return structure


def test_departements_in_use_are_the_filters_that_find_structures(store):
    _add(store, nom="Médiathèque", commune="Angoulême", code_postal="16000", code_insee="16015")
    _add(store, nom="France services", commune="Nouméa", code_postal="98800", code_insee="98818")
    _add(store, nom="Sans code INSEE", commune="Marseille", code_postal="13001")
    with store.connect() as con:
        codes = departements_in_use(con)
        assert codes == ["13", "16", "988"]
        assert sum(count_structures(con, departement=code) for code in codes) == count_structures(con)


def test_a_deleted_structure_s_departement_is_offered_only_when_deleted_ones_are_shown(store):
    kept = _add(store, nom="Médiathèque", commune="Angoulême", code_postal="16000", code_insee="16015")
    gone = _add(store, nom="France services", commune="Nouméa", code_postal="98800", code_insee="98818")
    with store.atomic() as con:
        delete_structure(con, gone.id, by="test")
    with store.connect() as con:
        assert departements_in_use(con) == ["16"]
        assert departements_in_use(con, include_deleted=True) == ["16", "988"]
    assert kept.id


def test_communes_in_use_counts_structures_by_insee_code_within_a_departement(store):
    _add(store, nom="Médiathèque", commune="Angoulême", code_postal="16000", code_insee="16015")
    _add(store, nom="CCAS", commune="Angoulême", code_postal="16000", code_insee="16015")
    _add(store, nom="Espace numérique", commune="Cognac", code_postal="16100", code_insee="16102")
    _add(store, nom="France services", commune="Nouméa", code_postal="98800", code_insee="98818")
    with store.connect() as con:
        in_charente = communes_in_use(con, departement="16")
        everywhere = communes_in_use(con)
    assert in_charente == [
        {"code_insee": "16015", "commune": "Angoulême", "structures": 2},
        {"code_insee": "16102", "commune": "Cognac", "structures": 1},
    ]
    assert [row["code_insee"] for row in everywhere] == ["16015", "16102", "98818"]


def test_every_field_has_a_french_label_from_the_standard_or_maillage():
    labels = field_labels()
    assert labels["telephone"] == "Numéro de téléphone"
    assert labels["pivot"] == "SIRET ou RNA ou RIDET"
    assert labels["date_maj"] == "Date de mise à jour"
    for name in data_fields():
        assert labels[name] != name, name
    personal = {labels[name] for name in PERSONAL_FIELDS}
    assert personal == {"Nom du contact", "Téléphone du contact", "Courriel du contact"}
