"""collect.translations: the words of a file turned into the standard's codes, never dropped.

Each distinct item of a translated column is translated once for the whole file: what the person
or the import profile said first, then the standard's own values (and v0.1's), then the keyword
tables, then a yes/no read by the code the column's name means. What nothing translates is kept
aside and counted, and the person can type a correction in the translation table.
"""

from __future__ import annotations

import pytest

from collect.translations import (
    HOW_KEYWORD,
    HOW_KNOWN,
    HOW_LEGACY,
    HOW_NONE,
    HOW_PERSON,
    HOW_PROFILE,
    HOW_STANDARD,
    HOW_YES_NO,
    Translation,
    corrections_of,
    item_targets,
    parse_targets,
    propose_translations,
    translation_index,
    unknown_items,
)

# -- one item -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "field", "item", "targets"),
    [
        ("Type", "typologie", "BIB", [("typologie", "BIB")]),
        ("Type", "typologie", "bib", [("typologie", "BIB")]),
        ("Type", "typologie", "Médiathèque - Bibliothèque", [("typologie", "BIB")]),
        ("Services", "services", "Aide aux démarches administratives",
         [("services", "Aide aux démarches administratives")]),
        ("Services", "services", "aide aux demarches administratives",  # accents and case ignored
         [("services", "Aide aux démarches administratives")]),
        ("Frais", "frais_a_charge", "gratuit", [("frais_a_charge", "Gratuit")]),
        ("itinerance", "itinerance", "Fixe", [("itinerance", "Fixe")]),
        ("itinerance", "itinerance", "Mobile", [("itinerance", "Itinérant")]),
        ("Statut", "statut", "a_valider", [("statut", "a_valider")]),
    ],
)
def test_a_value_of_the_standard_gives_its_code(column, field, item, targets):
    assert item_targets(column, field, item) == (tuple(targets), HOW_STANDARD)


@pytest.mark.parametrize(
    ("field", "item", "targets"),
    [
        ("conditions_acces", "Payant", [("frais_a_charge", "Payant")]),
        ("labels_nationaux", "France Services", [("dispositif_programmes_nationaux", "France Services")]),
        ("labels_nationaux", "APTIC", [("autres_formations_labels", "APTIC")]),
        ("modalites_accompagnement", "Seul", [("modalites_accompagnement", "En autonomie")]),
        ("services", "Accompagner les démarches de santé", [("services", "Aide aux démarches administratives")]),
    ],
)
def test_a_value_of_the_v01_standard_gives_its_v1_code(field, item, targets):
    assert item_targets(field, field, item) == (tuple(targets), HOW_LEGACY)


@pytest.mark.parametrize(
    ("field", "item", "targets"),
    [
        ("services", "Wifi", [("services", "Accès internet et matériel informatique")]),
        ("publics_accueillis", "Familles", [("publics_specifiquement_adresses", "Familles et/ou enfants")]),
        ("statut", "Définitivement fermé", [("statut", "ferme")]),
    ],
)
def test_a_keyword_gives_its_code(field, item, targets):
    assert item_targets("Colonne", field, item) == (tuple(targets), HOW_KEYWORD)


@pytest.mark.parametrize(("field", "item"), [("publics_specifiquement_adresses", "Tout public"),
                                             ("typologie", "Collectivité")])
def test_a_known_word_without_a_code_gives_nothing_and_is_not_unknown(field, item):
    assert item_targets("Colonne", field, item) == ((), HOW_KNOWN)


@pytest.mark.parametrize(
    ("column", "field", "answer", "targets"),
    [
        ("c_mediatheque", "typologie", "True", [("typologie", "BIB")]),
        ("c_mediatheque", "typologie", "X", [("typologie", "BIB")]),
        ("c_mediatheque", "typologie", "False", []),
        ("c_mediatheque", "typologie", "non", []),
        ("Démarches administratives", "services", "Souvent", [("services", "Aide aux démarches administratives")]),
        ("Démarches administratives", "services", "Jamais", []),
    ],
)
def test_a_yes_gives_the_code_the_column_name_means_and_a_no_gives_nothing(column, field, answer, targets):
    assert item_targets(column, field, answer) == (tuple(targets), HOW_YES_NO)


def test_a_yes_in_a_column_whose_name_means_no_code_is_unknown():
    assert item_targets("Type", "typologie", "oui") == ((), HOW_NONE)


@pytest.mark.parametrize(
    ("column", "answer", "status"),
    [
        ("actif", "oui", "ouvert"),
        ("actif", "non", "inactif"),
        ("publié", "non", "masque"),
        ("validé", "non", "a_valider"),
        ("ouvert", "non", "ferme"),
        ("Fermé", "oui", "ferme"),
        ("Fermé", "non", None),  # not closed: nothing to say, the lieu stays as it is
    ],
)
def test_a_yes_no_status_column_gives_the_status_or_its_negative(column, answer, status):
    assert item_targets(column, "statut", answer) == (((("statut", status),) if status else ()), HOW_YES_NO)


@pytest.mark.parametrize(("answer", "code"), [("oui", "Itinérant"), ("X", "Itinérant"), ("non", "Fixe")])
def test_an_itinerance_yes_no_gives_itinerant_or_fixe(answer, code):
    assert item_targets("Itinérant", "itinerance", answer) == ((("itinerance", code),), HOW_YES_NO)


def test_a_word_nothing_translates_is_unknown():
    assert item_targets("Type", "typologie", "Zorglub") == ((), HOW_NONE)
    assert item_targets("Statut", "statut", "en cours") == ((), HOW_NONE)


# -- a whole file -------------------------------------------------------------------------------------

ROWS = [
    {"Type": "Médiathèque, EPN", "c_mediatheque": "X", "Frais": "Gratuit", "Nom": "Médiathèque de Cognac"},
    {"Type": "Médiathèque", "c_mediatheque": None, "Frais": "Zorglub", "Nom": "Médiathèque de Jarnac"},
    {"Type": "Zorglub ; Médiathèque", "c_mediatheque": "non", "Frais": None, "Nom": "Tiers-lieu La Forge"},
    {"Type": "Zorglub", "Nom": "Fablab"},
]
COLUMNS = {"Type": "typologie", "c_mediatheque": "typologie", "Frais": "frais_a_charge", "Nom": "nom"}


def test_each_distinct_item_is_translated_once_with_the_number_of_lines_it_is_on():
    found = propose_translations(ROWS, COLUMNS)
    assert [(t.column, t.value, t.targets, t.count, t.how) for t in found] == [
        ("Type", "Médiathèque", (("typologie", "BIB"),), 3, HOW_STANDARD),
        ("Type", "Zorglub", (), 2, HOW_NONE),
        ("Type", "EPN", (("typologie", "EPN"),), 1, HOW_STANDARD),
        ("c_mediatheque", "X", (("typologie", "BIB"),), 1, HOW_YES_NO),
        ("c_mediatheque", "non", (), 1, HOW_YES_NO),
        ("Frais", "Gratuit", (("frais_a_charge", "Gratuit"),), 1, HOW_STANDARD),
        ("Frais", "Zorglub", (), 1, HOW_NONE),
    ]  # « Nom » is not a translated field: none of its values


def test_the_values_nothing_translates_are_listed_once_per_column():
    unknown = unknown_items(propose_translations(ROWS, COLUMNS))
    assert sorted(unknown) == [("Frais", "Zorglub"), ("Type", "Zorglub")]
    assert unknown[("Type", "Zorglub")].unknown and unknown[("Type", "Zorglub")].count == 2


@pytest.mark.parametrize("by", [HOW_PERSON, HOW_PROFILE])
def test_a_correction_wins_over_the_rules_and_says_who_made_it(by):
    corrections = {"Type": {"Zorglub": [("typologie", "TIERS_LIEUX"), ("services", "Aide aux démarches administratives")],
                            "Médiathèque": [("typologie", "MUNI")],
                            "Absente du fichier": [("typologie", "BIB")]},
                   "c_mediatheque": {"non": [("typologie", "EPN")]}}
    found = {(t.column, t.value): t for t in propose_translations(ROWS, COLUMNS, corrections=corrections,
                                                                  corrected_by=by)}
    zorglub = found[("Type", "Zorglub")]
    assert (zorglub.targets, zorglub.count, zorglub.how) == (
        (("typologie", "TIERS_LIEUX"), ("services", "Aide aux démarches administratives")), 2, by)
    assert zorglub.targets_text() == "TIERS_LIEUX ; Aide aux démarches administratives (services)"
    assert found[("Type", "Médiathèque")].targets == (("typologie", "MUNI"),)
    assert found[("c_mediatheque", "non")].how == by
    assert found[("Type", "EPN")].how == HOW_STANDARD  # not corrected: the rules
    assert ("Type", "Absente du fichier") not in found


def test_the_translation_index_says_none_for_an_unknown_item_and_nothing_for_a_no():
    index = translation_index(propose_translations(ROWS, COLUMNS))
    assert index == {
        "Type": {"Médiathèque": (("typologie", "BIB"),), "Zorglub": None, "EPN": (("typologie", "EPN"),)},
        "c_mediatheque": {"X": (("typologie", "BIB"),), "non": ()},
        "Frais": {"Gratuit": (("frais_a_charge", "Gratuit"),), "Zorglub": None},
    }


def test_the_corrections_of_a_simulation_give_back_the_same_translations():
    person = {"Type": {"Zorglub": [["typologie", "TIERS_LIEUX"]]}, "c_mediatheque": {"non": []}}
    first = propose_translations(ROWS, COLUMNS, corrections=person)
    saved = corrections_of(first)
    assert saved == person  # only what a person (or a profile) decided, not the rules' translations
    again = propose_translations(ROWS, COLUMNS, corrections=saved, corrected_by=HOW_PROFILE)
    assert [(t.value, t.targets) for t in again] == [(t.value, t.targets) for t in first]
    assert corrections_of(again) == person


def test_the_targets_text_names_another_field_in_brackets():
    translation = Translation("Itinérant", "services", "oui",
                              (("services", "Aide aux démarches administratives"), ("itinerance", "Fixe")), 3, "")
    assert translation.targets_text() == "Aide aux démarches administratives ; Fixe (itinerance)"


# -- what the person types ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "text", "targets"),
    [
        ("typologie", "BIB ; MUNI", [("typologie", "BIB"), ("typologie", "MUNI")]),
        ("typologie", "Médiathèque | mairie", [("typologie", "BIB"), ("typologie", "MUNI")]),
        ("services", "Surdité (prise_en_charge_specifique)", [("prise_en_charge_specifique", "Surdité")]),
        ("services", "Aide aux démarches administratives ; Fixe (itinerance)",
         [("services", "Aide aux démarches administratives"), ("itinerance", "Fixe")]),
        ("statut", "Définitivement fermé", [("statut", "ferme")]),
        ("statut", "masque", [("statut", "masque")]),
        ("typologie", "", []),  # empty: the value gives nothing
        ("publics_accueillis", "Jeunes", [("publics_specifiquement_adresses", "Jeunes")]),  # a v0.1 column
        ("labels_nationaux", "APTIC (autres_formations_labels)", [("autres_formations_labels", "APTIC")]),
    ],
)
def test_the_person_types_codes_or_labels_separated_by_semicolons(field, text, targets):
    assert parse_targets(field, text) == tuple(targets)


@pytest.mark.parametrize(
    ("field", "text", "message"),
    [
        ("typologie", "Zorglub", "« Zorglub » n'est pas une valeur du champ typologie."),
        ("typologie", "BIB ; Zorglub", "« Zorglub » n'est pas une valeur du champ typologie."),
        ("typologie", "BIB (champ_inconnu)", "« BIB (champ_inconnu) » n'est pas une valeur du champ typologie."),
        ("services", "Surdité", "« Surdité » n'est pas une valeur du champ services."),
    ],
)
def test_a_code_that_is_not_the_fields_is_refused_in_french(field, text, message):
    with pytest.raises(ValueError) as refused:
        parse_targets(field, text)
    assert str(refused.value) == message


@pytest.mark.parametrize(
    ("column", "field", "cells"),
    [
        ("Type", "typologie", ["Médiathèque, Zorglub", "CCAS"]),
        ("c_mediatheque", "typologie", ["oui", "non"]),
        ("Itinérant", "itinerance", ["oui", "non"]),
        ("labels_nationaux", "labels_nationaux", ["France Services", "APTIC"]),
        ("publics", "publics_specifiquement_adresses", ["Familles", "Seniors"]),
    ],
)
def test_what_the_translation_table_shows_can_be_typed_back(column, field, cells):
    for t in propose_translations([{column: cell} for cell in cells], {column: field}):
        assert parse_targets(field, t.targets_text()) == t.targets
