"""Values of the legacy standard v0.1.1 mapped to the lists of v1.

v0.1 lists were condensed or split in v1: ``translate_legacy`` gives, for the values of one v0.1
field, the v1 values by v1 field, and the values that have no v1 equivalent (never dropped without
a word, except the few the correspondence says mean nothing in v1). Values are matched on the label
before `` : ``, accents, case, spaces and apostrophes ignored.
"""

from __future__ import annotations

import pytest

from collect.legacy import LEGACY_VALUE_MAP, fold, translate_legacy
from models.standard import standard_v1


@pytest.mark.parametrize(
    ("source_field", "values", "expected"),
    [
        pytest.param("services", ["Devenir autonome dans les démarches administratives"],
                     {"services": ["Aide aux démarches administratives"]}, id="a condensed service"),
        pytest.param("services", ["Prendre en main un ordinateur", "Utiliser le numérique au quotidien"],
                     {"services": ["Maîtrise des outils numériques du quotidien"]},
                     id="two v0 services of one v1 service give it once"),
        pytest.param("publics_accueillis", ["Seniors (+ 65 ans)", "Surdité", "Familles/enfants"],
                     {"publics_specifiquement_adresses": ["Seniors", "Familles et/ou enfants"],
                      "prise_en_charge_specifique": ["Surdité"]}, id="publics split into two v1 fields"),
        pytest.param("conditions_acces", ["Payant : L'accès au lieu et/ou à ses services est payant",
                                          "Accepte le Pass numérique : Il est possible d'utiliser un Pass numérique"],
                     {"frais_a_charge": ["Payant", "Gratuit sous condition"]},
                     id="long v0 values matched on their label before ' : '"),
        pytest.param("labels_nationaux", ["CNFS", "France Services", "Fabriques de Territoire", "APTIC"],
                     {"dispositif_programmes_nationaux": ["Conseillers numériques", "France Services"],
                      "formations_labels": ["Fabriques de Territoire"],
                      "autres_formations_labels": ["APTIC"]}, id="labels split, a label with no code kept as text"),
        pytest.param("modalites_accompagnement", ["Seul : j'ai accès à du matériel et une connexion",
                                                  "Avec de l'aide : je suis accompagné seul"],
                     {"modalites_accompagnement": ["En autonomie", "Accompagnement individuel"]},
                     id="modalities renamed"),
    ],
)
def test_legacy_values_give_their_v1_values_by_v1_field(source_field, values, expected):
    translation = translate_legacy(source_field, values)
    assert translation.values == expected
    assert translation.unmapped == []


@pytest.mark.parametrize(
    ("spelling", "expected"),
    [
        pytest.param("gratuit sous condition", "Gratuit sous condition", id="lowercase"),
        pytest.param("ADHÉSION", "Payant", id="uppercase with accent"),
        pytest.param("Adhesion", "Payant", id="accent left out"),
        pytest.param("  Gratuit   :  Je peux accéder gratuitement", "Gratuit", id="extra spaces"),
    ],
)
def test_case_accents_and_spaces_do_not_matter(spelling, expected):
    assert translate_legacy("conditions_acces", [spelling]).values == {"frais_a_charge": [expected]}


def test_a_typographic_apostrophe_matches_a_straight_one():
    translation = translate_legacy("publics_accueillis", ["Personnes en situation d’illettrisme"])
    assert translation.values == {"prise_en_charge_specifique": ["Illettrisme"]}


@pytest.mark.parametrize(
    ("source_field", "values"),
    [
        pytest.param("labels_nationaux", ["Label inventé par le département"], id="a value v0.1 never had"),
        pytest.param("conditions_acces", ["Sur rendez-vous"], id="a value of another field"),
        pytest.param("champ_inconnu", ["Gratuit"], id="a field with no correspondence"),
    ],
)
def test_a_value_with_no_correspondence_is_returned_as_unmapped_never_dropped(source_field, values):
    translation = translate_legacy(source_field, values)
    assert (translation.values, translation.unmapped) == ({}, values)


def test_mapped_and_unmapped_values_of_one_cell_are_told_apart():
    translation = translate_legacy("labels_nationaux", ["Point relais CAF", "Label inventé", "Point numérique CAF"])
    assert translation.values == {"dispositif_programmes_nationaux": ["Point d'accès numérique CAF"]}
    assert translation.unmapped == ["Label inventé"]


def test_a_value_the_correspondence_says_has_no_v1_equivalent_gives_nothing_and_is_not_unmapped():
    # « Adultes » is every public: v1 only lists the publics a lieu *specifically* addresses.
    translation = translate_legacy("publics_accueillis", ["Adultes", "Jeunes (16-26 ans)"])
    assert (translation.values, translation.unmapped) == ({"publics_specifiquement_adresses": ["Jeunes"]}, [])


@pytest.mark.parametrize(
    ("v1_field", "v1_value"),
    sorted({(target, value) for entries in LEGACY_VALUE_MAP.values() for _, target, value in entries
            if value is not None and target != "autres_formations_labels"}),
)
def test_every_v1_value_of_the_correspondence_is_a_value_of_the_v1_standard(v1_field, v1_value):
    assert v1_value in standard_v1().choices(v1_field)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Médiathèque", "mediatheque"),
        ("  L’Été   à  NOËL ", "l'ete a noel"),
        ("Familles/enfants", "familles/enfants"),
    ],
)
def test_fold_gives_the_key_labels_are_compared_on(text, key):
    assert fold(text) == key
