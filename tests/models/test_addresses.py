"""Tests of models/addresses.py: addresses read as a person would, on real lines and built cases.

The real cases are copied from the hub exports of /work/shared/reference/raw-hub-exports/ (the
folder is the first part of each test id); the expected commune is what the folder's
*.config.json maps to the commune (its « commune » column, or the address when there is none),
its INSEE code taken from the COG 2026.
"""

from __future__ import annotations

import dataclasses

import pytest

from models.addresses import (
    MAJORITY_MIN_LINES,
    MAJORITY_SHARE,
    AddressParts,
    PostcodeStatus,
    ResolutionMethod,
    check_postcode,
    majority_departement,
    parse_address,
    resolve_commune,
)
from models.cog import cog

# --------------------------------------------------------------------------- parse_address, real addresses

# (folder, address as written, street left, postcode, commune as written)
REAL_ADDRESSES = [
    (
        "epernay",
        "1 Rue Professeur Langevin, 51200, Épernay, Marne, Grand Est, FRA",
        "1 Rue Professeur Langevin",
        "51200",
        "Épernay",
    ),
    (
        "epernay",
        "10 Rue des Loriots, 51130, Vertus, Blancs-Coteaux, Marne, Grand Est, FRA",
        "10 Rue des Loriots",
        "51130",
        "Vertus",
    ),
    (
        "epernay",
        "62 Rue Carnot, 51160, Mareuil-sur-Ay, Ay-Champagne, Marne, Grand Est, FRA",
        "62 Rue Carnot",
        "51160",
        "Mareuil-sur-Ay",
    ),
    ("epernay", "9, Place de la paix 51530 MOUSSY", "9 Place de la paix", "51530", "MOUSSY"),
    (
        "epernay",
        "Avenue de Middelkerke, 51200, Épernay, Marne, Grand Est, FRA",
        "Avenue de Middelkerke",
        "51200",
        "Épernay",
    ),
    ("epernay", "1 rue de l'église   51130 VELYE", "1 rue de l'église", "51130", "VELYE"),
    ("epernay", "1 Rue Camille Soudant", "1 Rue Camille Soudant", None, None),
    (
        "epernay",
        "104 Avenue du Maréchal Foch, 51200, Épernay, Marne, Grand Est",
        "104 Avenue du Maréchal Foch",
        "51200",
        "Épernay",
    ),
    ("epernay", "1 Avenue de Middelkerke, 51200, Épernay", "1 Avenue de Middelkerke", "51200", "Épernay"),
    ("epernay", "24 boulevard Roederer 51077 REIMS Cédex", "24 boulevard Roederer", "51077", "REIMS"),
    ("epernay", "21 rue du moulin à vent, 51331 Epernay Cedex", "21 rue du moulin à vent", "51331", "Epernay"),
    (
        "epernay",
        "35 BIS Rue Louise Auban-Moët, 51200, Épernay, Marne, Grand Est",
        "35 BIS Rue Louise Auban-Moët",
        "51200",
        "Épernay",
    ),
    ("epernay", "Belle Noue, Épernay, Marne, Grand Est, FRA", "Belle Noue", None, "Épernay"),
    ("epernay", "8 rue Maurice Cerveaux - 51200 Épernay", "8 rue Maurice Cerveaux", "51200", "Épernay"),
    ("epernay", "2 RUE MARCEL PAUL 51200 EPERNAY", "2 RUE MARCEL PAUL", "51200", "EPERNAY"),
    ("epernay", "Grande Rue, 51530, Mancy, Marne, Grand Est, FRA", "Grande Rue", "51530", "Mancy"),
    ("nouvelle-caledonie", "Tribu de Gööpä (Gopahin) 98827 Poya (Nèkö)", "Tribu de Gööpä (Gopahin)", "98827", "Poya"),
    ("nouvelle-caledonie", "BP 71 98827 POYA", None, "98827", "POYA"),
    ("nouvelle-caledonie", "BP 8 98 820 Wé Lifou", None, "98820", "Lifou"),
    ("nouvelle-caledonie", "Place du dispensaire - 98829 Thio", "Place du dispensaire", "98829", "Thio"),
    ("nouvelle-caledonie", "Lot 2, voie urbaine 38 98 870 Bourail", "Lot 2, voie urbaine 38", "98870", "Bourail"),
    (
        "nouvelle-caledonie",
        "17 Rue Georges-Clemenceau, Nouméa 98800, Nouvelle-Calédonie",
        "17 Rue Georges-Clemenceau",
        "98800",
        "Nouméa",
    ),
    ("nouvelle-caledonie", "13 - 15, rue Jules Ferry - 98800 Nouméa", "13 - 15, rue Jules Ferry", "98800", "Nouméa"),
    (
        "nouvelle-caledonie",
        "Village de Hienghène RP3 Hienghène - 98815, NOUVELLE-CALÉDONIE",
        "Village de Hienghène RP3",
        "98815",
        "Hienghène",
    ),
    ("nouvelle-caledonie", "Tribu de Hwadrilla 98820 Hwadrilla Ouvéa", "Tribu de Hwadrilla", "98820", "Ouvéa"),
    ("nouvelle-caledonie", "20 rue Anatole France, 98 800 Nouméa", "20 rue Anatole France", "98800", "Nouméa"),
    ("nouvelle-caledonie", "RM3, 98828 Tadine Maré", "RM3", "98828", "Maré"),
    ("nouvelle-caledonie", "Mairie de Moindou\n98819  MOINDOU", "Mairie de Moindou", "98819", "MOINDOU"),
    ("nouvelle-caledonie", "1 rue des tours Magenta Nouméa - 98800", "1 rue des tours Magenta", "98800", "Nouméa"),
    ("nouvelle-caledonie", "266 rue du Grand Large 98 810 Nouvelle-Calédonie", "266 rue du Grand Large", "98810", None),
    ("nouvelle-caledonie", "1 rue de la Somme - 98 800 Nouméa centre-ville", "1 rue de la Somme", "98800", "Nouméa"),
    ("nouvelle-caledonie", "CORNICHE DU MONT-DORE , 98810, MONT DORE", "CORNICHE DU MONT-DORE", "98810", "MONT DORE"),
    (
        "nouvelle-caledonie",
        "48 rue des Thazards, Boulari, 98809 Mon-Dore",
        "48 rue des Thazards, Boulari",
        "98809",
        "Mon-Dore",
    ),
    (
        "nouvelle-caledonie",
        "Lot. municipal Waho 98834 Yaté, Nouvelle-Calédonie",
        "Lot. municipal Waho",
        "98834",
        "Yaté",
    ),
    (
        "nouvelle-caledonie",
        "56 rue Auer, dock n°8 Centre commercial Le Rond point, Nouméa, New Caledonia",
        "56 rue Auer, dock n°8 Centre commercial Le Rond point",
        None,
        "Nouméa",
    ),
    ("nouvelle-caledonie", "We, Lifou", "We", None, "Lifou"),
    ("nouvelle-caledonie", "BP 428 – 98845 Nouméa Cedex", None, "98845", "Nouméa"),
    ("nouvelle-caledonie", "BP R4 - 98 851 - Nouméa Cedex", None, "98851", "Nouméa"),
    ("nouvelle-caledonie", "BP 7145 - 98876", None, "98876", None),
    ("nouvelle-caledonie", "Mairie du MONT-DORE - BP 3 - 98810 MONT-DORE", "Mairie du MONT-DORE", "98810", "MONT-DORE"),
    ("nouvelle-caledonie", "Tribu de Koindé - 98800 LA FOA", "Tribu de Koindé", "98800", "LA FOA"),
    (
        "nouvelle-caledonie",
        "109 avenue du Grand large - Immeuble Makatéa-Boulari",
        "109 avenue du Grand large - Immeuble Makatéa-Boulari",
        None,
        None,
    ),
    ("nouvelle-caledonie", "227 RT1 Païta", "227 RT1 Païta", None, None),  # no separator, no postcode: kept whole
    ("ultra-num", "1 Allée des basses Dunes BP 903", "1 Allée des basses Dunes", None, None),
    ("ultra-num", "5 Rue Victor Hugo CS 41006", "5 Rue Victor Hugo", None, None),
    ("ultra-num", "Rue de la Douane BP 62004", "Rue de la Douane", None, None),
    ("ultra-num", "61 avenue du Général de Gaulle – BP 2", "61 avenue du Général de Gaulle", None, None),
    ("ultra-num", "4 rue René Demarne (locaux de Microstor)", "4 rue René Demarne (locaux de Microstor)", None, None),
    ("hub-lo", "Rue Léonard Hyppolyte Roger,..", "Rue Léonard Hyppolyte Roger", None, None),
    ("hub-lo", "Mairie de Saran - Place de la Liberté", "Mairie de Saran - Place de la Liberté", None, None),
    ("hub-lo", "La Métairie 2360, route de Bourges", "La Métairie 2360, route de Bourges", None, None),
    ("la-creuse", "4 impasse de la Gare -", "4 impasse de la Gare", None, None),
    (
        "bus-france-services-charente",
        "2 Place Arsène Roudy\nSaint-Angeau",
        "2 Place Arsène Roudy, Saint-Angeau",
        None,
        None,
    ),
    (
        "fibre-64",
        "Maison Pour Tous - 6 rue Albert Le Barillier",
        "Maison Pour Tous - 6 rue Albert Le Barillier",
        None,
        None,
    ),
    ("fibre-64", "4 a 8 avenue Robert Schuman", "4 a 8 avenue Robert Schuman", None, None),
    ("etapes-numerique", "5335 Grange neuve", "5335 Grange neuve", None, None),
]


@pytest.mark.parametrize(
    ("folder", "text", "street", "postcode", "commune_text"),
    REAL_ADDRESSES,
    ids=[f"{folder}-{text[:40]}" for folder, text, *_ in REAL_ADDRESSES],
)
def test_a_real_address_splits_into_street_postcode_and_commune(folder, text, street, postcode, commune_text):
    parts = parse_address(text)
    assert (parts.street, parts.postcode, parts.commune_text) == (street, postcode, commune_text)


@pytest.mark.parametrize(
    ("text", "dropped"),
    [
        ("1 Rue Professeur Langevin, 51200, Épernay, Marne, Grand Est, FRA", ("Marne", "Grand Est", "FRA")),
        (
            "10 Rue des Loriots, 51130, Vertus, Blancs-Coteaux, Marne, Grand Est, FRA",
            ("Blancs-Coteaux", "Marne", "Grand Est", "FRA"),
        ),
        ("Tribu de Gööpä (Gopahin) 98827 Poya (Nèkö)", ("Nèkö",)),
        ("266 rue du Grand Large 98 810 Nouvelle-Calédonie", ("Nouvelle-Calédonie",)),
        ("10 Rue de Bamako, 49000 Angers, France", ("France",)),
        ("1 rue de la Paix, Marne, 51200 Épernay", ("Marne",)),
        ("1 rue de la Paix, Poitiers, Vienne, Nouvelle-Aquitaine", ("Vienne", "Nouvelle-Aquitaine")),
        ("3 rue du Port, 97420 Le Port, La Réunion, France", ("La Réunion", "France")),
        ("7 avenue Foch, 64100 Bayonne, Aquitaine", ("Aquitaine",)),  # a former région
    ],
)
def test_departement_region_and_country_tails_are_dropped_never_put_in_the_street(text, dropped):
    parts = parse_address(text)
    assert parts.dropped == dropped
    assert not any(name in (parts.street or "") for name in dropped)


@pytest.mark.parametrize(
    ("text", "bp", "postcode"),
    [
        ("BP 71 98827 POYA", "BP 71", "98827"),  # nouvelle-caledonie
        ("BP 8 98 820 Wé Lifou", "BP 8", "98820"),
        ("BP R4 - 98 851 - Nouméa Cedex", "BP R4", "98851"),
        ("BP MGA 19 - 98802 Nouméa Cedex", "BP MGA 19", "98802"),
        ("BP : 7 - 98 890 Païta", "BP 7", "98890"),
        ("B.P. 6", "BP 6", None),
        ("Rue de la Douane BP 62004", "BP 62004", None),  # ultra-num: five digits after BP are no postcode
        ("Hôtel de ville 58 Rue du Gal LAMBERT BP1004", "BP 1004", None),
        ("5 Rue Victor Hugo CS 41006", "CS 41006", None),
        ("BP 123 64150 Mourenx", "BP 123", "64150"),
        ("Boîte postale 12, 64150 Mourenx", "BP 12", "64150"),
        ("TSA 70001, 75900 Paris Cedex 15", "TSA 70001", "75900"),
    ],
)
def test_a_postal_box_is_set_apart_and_its_number_is_no_postcode(text, bp, postcode):
    parts = parse_address(text)
    assert (parts.bp, parts.postcode) == (bp, postcode)
    assert "BP" not in (parts.street or "") and "CS " not in (parts.street or "")


@pytest.mark.parametrize(
    ("text", "cedex", "commune_text"),
    [
        ("2 avenue Charles Moureu 64150 Mourenx Cedex", "CEDEX", "Mourenx"),
        ("24 boulevard Roederer 51077 REIMS Cédex", "CEDEX", "REIMS"),
        ("12 rue de Rivoli, 75001 PARIS CEDEX 01", "CEDEX 01", "PARIS"),
        ("5 rue Lafayette 75009 Paris Cedex 09, France", "CEDEX 09", "Paris"),
    ],
)
def test_a_cedex_mention_is_set_apart_from_the_commune(text, cedex, commune_text):
    parts = parse_address(text)
    assert (parts.cedex, parts.commune_text) == (cedex, commune_text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2 avenue Charles Moureu - 64150 MOURENX", AddressParts("2 avenue Charles Moureu", "64150", "MOURENX")),
        ("64150", AddressParts(None, "64150")),
        ("64150 Mourenx", AddressParts(None, "64150", "Mourenx")),
        ("Mourenx 64150", AddressParts(None, "64150", "Mourenx")),
        ("1 Grande Rue 80120 Rue", AddressParts("1 Grande Rue", "80120", "Rue")),  # the commune Rue (Somme)
        ("2 place de l'Église, 69470 Cours", AddressParts("2 place de l'Église", "69470", "Cours")),
        ("2 rue de Paris 75001", AddressParts("2 rue de Paris", "75001")),  # "Paris" names the street
        ("12, rue Thiers", AddressParts("12 rue Thiers")),  # Thiers is a commune, here a street name
        ("1 rue X, Vienne", AddressParts("1 rue X", None, "Vienne")),  # a commune before being a département
        ("1 rue X, 86000 Poitiers, Vienne", AddressParts("1 rue X", "86000", "Poitiers", dropped=("Vienne",))),
        ("La Poste, Le Bourg", AddressParts("La Poste, Le Bourg")),  # Le Bourg (46) only with its postcode
        ("12345 route de Lyon", AddressParts("12345 route de Lyon")),  # a street number before a street word
        ("", AddressParts()),
        (None, AddressParts()),
        ("  -  ", AddressParts()),
    ],
)
def test_built_addresses_are_read_as_a_person_would(text, expected):
    assert parse_address(text) == expected


def test_the_street_number_is_never_dropped():
    for folder, text, street, *_ in REAL_ADDRESSES:
        number = text.split()[0]
        if number[:1].isdigit() and street is not None and len(number.strip(",")) < 5:
            assert street.startswith(number.strip(",")), (folder, text)


def test_address_parts_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        parse_address("64150 Mourenx").postcode = "64000"  # type: ignore[misc]


# --------------------------------------------------------------------------- resolve_commune, real lines

# (folder, commune as written, postcode as given, expected INSEE code, how)
M = ResolutionMethod
REAL_PLACES = [
    ("epernay", "Épernay", "51200", "51230", M.NAME_AND_POSTCODE),
    ("epernay", "Vertus", "51130", "51612", M.NAME_AND_POSTCODE),  # delegated commune of Blancs-Coteaux
    ("epernay", "Mareuil-sur-Ay", "51160", "51030", M.NAME_AND_POSTCODE),  # delegated commune of Aÿ-Champagne
    ("epernay", "REIMS", "51077", "51454", M.NAME_AND_POSTCODE),  # a CEDEX postcode
    ("epernay", "Saint-Mard-lès-Rouffy", "51130", "51499", M.NAME_AND_POSTCODE),
    ("nouvelle-caledonie", "Poya", "98800", "98827", M.NAME_AND_POSTCODE),  # 98800 is Nouméa's
    ("nouvelle-caledonie", "Mont-Dore", "98800", "98817", M.NAME_AND_POSTCODE),  # Le Mont-Dore, not Mont-Dore (63)
    ("nouvelle-caledonie", "Île-des-Pins", "98800", "98809", M.NAME_AND_POSTCODE),
    ("nouvelle-caledonie", "Boulouparis", "98800", "98802", M.LOCALITY),  # La Poste's spelling of Bouloupari
    ("nouvelle-caledonie", "Ouvéa", "98800", "98820", M.NAME_AND_POSTCODE),
    ("nouvelle-caledonie", "Wé Lifou", "98820", "98814", M.NAME_WITHIN_TEXT),
    ("nouvelle-caledonie", "Mon-Dore", "98809", "98817", M.CLOSE_NAME),
    ("etapes-numerique", "Bourg-en-Bresse", 1000, "01053", M.NAME_AND_POSTCODE),
    ("etapes-numerique", "Chauny", 2300, "02173", M.NAME_AND_POSTCODE),
    ("etapes-numerique", "Nice", 6000, "06088", M.NAME_AND_POSTCODE),
    ("etapes-numerique", "Yzeure", 3400, "03321", M.NAME_AND_POSTCODE),
    ("etapes-numerique", "Bastia", 20200, "2B033", M.NAME_AND_POSTCODE),
    ("etapes-numerique", "Saint-Pierre", 97410, "97416", M.NAME_AND_POSTCODE),
    ("etapes-numerique", "Lyon", 69007, "69123", M.NAME_AND_POSTCODE),
    ("etapes-numerique", "Mamoudzou", 97600, "97611", M.NAME_AND_POSTCODE),
    ("fibre-64", "ANGELT", 64600, "64024", M.CLOSE_NAME),
    ("fibre-64", "TARDETS", 64470, "64533", M.PART_OF_NAME),
    ("fibre-64", "MAULEON", 64130, "64371", M.PART_OF_NAME),
    ("fibre-64", "SAINT PALAIS", 64120, "64493", M.NAME_AND_POSTCODE),
    ("fibre-64", "ST JEAN DE LUZ", 64500, "64483", M.NAME_AND_POSTCODE),
    ("fibre-64", "ARZACQ- ARRAZIGUET", 64410, "64063", M.NAME_AND_POSTCODE),
    ("la-creuse", "Dun Le Palestel", "23800", "23075", M.NAME_AND_POSTCODE),
    ("la-creuse", "Saint-Priest la Feuille", "23300", "23235", M.NAME_AND_POSTCODE),
    ("la-creuse", "0 Pontarion", "23225", "23155", M.NAME_AND_POSTCODE),
    ("la-creuse", "Saint-Sulpice-le-Dunois  Ateliers Numériques", "23800", "23244", M.NAME_WITHIN_TEXT),
    ("la-creuse", "Saint-Vaury  Numéro de téléphone", "23320", "23247", M.NAME_WITHIN_TEXT),
    ("la-creuse", "Châtain", "23700", "23005", M.PART_OF_NAME),  # Arfeuille-Châtain
    ("ultra-num", "SAINTE CLOTILDE", 97490, "97411", M.LOCALITY),  # Saint-Denis
    ("ultra-num", "SAINT DENIS", 97400, "97411", M.NAME_AND_POSTCODE),
    ("ultra-num", "SAINTE MARIE", 97438, "97418", M.NAME_AND_POSTCODE),
    ("ultra-num", "RAVINE DES CABRIS", 97432, "97416", M.LOCALITY),  # Saint-Pierre
    ("ultra-num", "LA RIVIERE", 97421, "97414", M.LOCALITY),  # Saint-Louis, not La Rivière (38)
    ("ultra-num", "LA PLAINE DES CAFRES", 97418, "97422", M.LOCALITY),  # Le Tampon
    ("ultra-num", "SAINTE ANNE", 97437, "97410", M.LOCALITY),  # Saint-Benoît
    ("ultra-num", "PLAINE DES PALMISTES", 97431, "97406", M.NAME_AND_POSTCODE),
    ("ultra-num", "L ETANG SALE", 97427, "97404", M.NAME_AND_POSTCODE),
    ("ultra-num", "TROIS BASSINS", 97426, "97423", M.NAME_AND_POSTCODE),
    ("ultra-num", "SAINT LEU", 97424, "97413", M.NAME_AND_POSTCODE),
    ("bus-france-services-charente", "Verteuil s/Charente", 16510, "16400", M.NAME_AND_POSTCODE),
    ("bus-france-services-charente", "St Amant de Boixe", 16330, "16295", M.NAME_AND_POSTCODE),
    ("bus-france-services-charente", "La Foret de Tessé", 16240, "16142", M.NAME_AND_POSTCODE),
    ("hub-lo", "CONTRES", 41700, "41059", M.NAME_AND_POSTCODE),  # delegated commune of Le Controis-en-Sologne
    ("hub-lo", "OUZOUER-LE-MARCHÉ", 41240, "41173", M.NAME_AND_POSTCODE),
    ("hub-lo", "CLOYES-SUR-LE-LOIR", 28220, "28103", M.LOCALITY),
    ("hub-lo", "PORTS", 37800, "37187", M.PART_OF_NAME),  # Ports-sur-Vienne
]


@pytest.mark.parametrize(
    ("folder", "name", "postcode", "insee", "method"),
    REAL_PLACES,
    ids=[f"{folder}-{name}-{postcode}" for folder, name, postcode, *_ in REAL_PLACES],
)
def test_a_real_line_finds_its_current_commune(folder, name, postcode, insee, method):
    found = resolve_commune(name=name, postcode=postcode)
    assert found.commune is not None, found.notes
    assert (found.commune.code, found.method) == (insee, method)
    assert found.commune.is_current or found.commune.type == "arrondissement-municipal"


@pytest.mark.parametrize(
    ("name", "postcode", "words"),
    [
        ("Vertus", "51130", ("Vertus", "commune déléguée", "Blancs-Coteaux")),
        ("Mareuil-sur-Ay", "51160", ("commune déléguée", "Aÿ-Champagne")),
        ("SAINTE CLOTILDE", "97490", ("SAINTE CLOTILDE", "localité", "Saint-Denis", "97411")),
        ("Wé Lifou", "98820", ("Lifou", "Wé Lifou")),
        ("ANGELT", "64600", ("ANGELT", "Anglet")),
    ],
)
def test_a_delegated_commune_a_locality_or_a_loose_name_is_explained_in_french(name, postcode, words):
    notes = " ".join(resolve_commune(name=name, postcode=postcode).notes)
    assert all(word in notes for word in words), notes


def test_fibre_64_bayonne_stays_bayonne_although_its_point_is_nearer_anglet():
    point = (43.490689, -1.493205)  # « 20 rue Arnaud Detroyat », 64100 BAYONNE, geocoded near the limit
    assert cog().nearest_commune(*point).nom == "Anglet"
    found = resolve_commune(name="BAYONNE", postcode="64100", point=point)
    assert (found.commune.code, found.notes) == ("64102", ())


def test_bus_charente_the_insee_code_wins_and_a_point_far_away_is_noted():
    found = resolve_commune(name="Valence", postcode=16460, insee=16392, point=(43.451334, 5.411872))
    assert (found.commune.code, found.method) == ("16392", M.INSEE)
    assert "hors du département Charente (16)" in found.notes[0]


def test_hub_lo_a_name_of_another_departement_gives_way_to_the_postcode_and_the_point():
    found = resolve_commune(name="CESTAS", postcode="18300", point=(47.33987, 2.85303))  # Cestas is in Gironde
    assert found.commune.departement == "18"
    assert found.method == M.POSTCODE_AND_POINT
    assert "à vérifier" in found.notes[0]


# --------------------------------------------------------------------------- resolve_commune, each rule


@pytest.mark.parametrize(
    ("kwargs", "insee"),
    [
        ({"name": "Ajaccio", "postcode": "20000"}, "2A004"),
        ({"name": "AJACCIO", "postcode": "20090"}, "2A004"),
        ({"name": "Bastia", "postcode": "20200"}, "2B033"),
        ({"insee": "2a004"}, "2A004"),
        ({"insee": "2B033", "postcode": "20200", "name": "Bastia"}, "2B033"),
    ],
)
def test_corsica_uses_20xxx_postcodes_and_2a_2b_insee_codes(kwargs, insee):
    assert resolve_commune(**kwargs).commune.code == insee


@pytest.mark.parametrize(
    ("kwargs", "insee", "method"),
    [
        ({"name": "Saint-Denis", "postcode": "93200"}, "93066", M.NAME_AND_POSTCODE),
        ({"name": "ST DENIS", "postcode": "97400"}, "97411", M.NAME_AND_POSTCODE),
        ({"name": "Saint-Denis", "departement_hint": "974"}, "97411", M.NAME_AND_DEPARTEMENT),
        ({"name": "Saint-Denis", "point": (-20.88, 55.45)}, "97411", M.NAME_AND_POINT),
        ({"name": "Saint-Denis", "point": (48.93, 2.36)}, "93066", M.NAME_AND_POINT),
        ({"name": "Saint-Denis", "postcode": "93200", "departement_hint": "974"}, "93066", M.NAME_AND_POSTCODE),
        ({"name": "Sainte-Marie", "departement_hint": "972"}, "97228", M.NAME_AND_DEPARTEMENT),
        ({"name": "Ste Marie", "point": (14.78, -61.0)}, "97228", M.NAME_AND_POINT),
        (
            {"name": "Saint-Pierre", "departement_hint": "975", "point": (-21.34, 55.48)},
            "97502",
            M.NAME_AND_DEPARTEMENT,
        ),
        ({"name": "Mont Dore", "departement_hint": "988"}, "98817", M.NAME_AND_DEPARTEMENT),
    ],
)
def test_homonyms_are_told_apart_by_postcode_then_file_departement_then_point(kwargs, insee, method):
    found = resolve_commune(**kwargs)
    assert (found.commune.code, found.method) == (insee, method)


@pytest.mark.parametrize("name", ["Saint-Denis", "Sainte-Marie", "Saint-Pierre", "Le Bourg"])
def test_homonyms_without_postcode_file_departement_or_point_stay_unresolved(name):
    found = resolve_commune(name=name)
    assert found.commune is None
    assert len(found.candidates) > 1
    assert "Plusieurs communes" in found.notes[0] and "code postal" in found.notes[0]


def test_a_point_outside_every_homonym_leaves_them_unresolved():
    assert resolve_commune(name="Saint-Denis", point=(48.39, -4.48)).commune is None  # Finistère


@pytest.mark.parametrize(
    ("kwargs", "insee", "method"),
    [
        ({"name": "Vertus"}, "51612", M.NAME),
        ({"name": "Sainte-Clotilde"}, "97411", M.LOCALITY),
        ({"name": "Ste Clotilde", "departement_hint": "974"}, "97411", M.LOCALITY),
        ({"name": "Sainte-Clotilde", "postcode": "97490"}, "97411", M.LOCALITY),
        ({"name": "Tadine", "postcode": "98828"}, "98815", M.LOCALITY),  # Maré
    ],
)
def test_delegated_communes_and_localities_resolve_to_their_current_commune(kwargs, insee, method):
    found = resolve_commune(**kwargs)
    assert (found.commune.code, found.method) == (insee, method)
    assert found.notes


def test_angers_with_4900_is_found_by_its_name_and_the_postcode_is_noted():
    found = resolve_commune(name="Angers", postcode="4900")
    assert (found.commune.code, found.method) == ("49007", M.NAME)
    assert "04900" in found.notes[0]


@pytest.mark.parametrize(
    ("kwargs", "insee", "note"),
    [
        ({"insee": "01126"}, "01033", "n'est plus une commune actuelle"),  # Lancrans → Valserhône
        ({"insee": "85030"}, "85084", "n'est plus une commune actuelle"),  # delegated Boulogne → Essarts-en-Bocage
        ({"insee": 1053}, "01053", None),  # lost its leading zero
        ({"insee": "99999", "name": "Angers"}, "49007", "inconnu du COG"),
        ({"insee": "abc", "name": "Angers"}, "49007", "invalide"),
        ({"insee": "44109", "name": "Angers", "postcode": "49000"}, "49007", "incohérent avec le code postal 49000"),
    ],
)
def test_the_insee_code_comes_first_unless_unknown_or_contradicted(kwargs, insee, note):
    found = resolve_commune(**kwargs)
    assert found.commune.code == insee
    if note:
        assert any(note in n for n in found.notes), found.notes


@pytest.mark.parametrize(
    ("kwargs", "insee", "method"),
    [
        ({"postcode": "64600"}, "64024", M.POSTCODE),
        ({"postcode": "75005"}, "75056", M.POSTCODE),  # the city, not also its arrondissement
        ({"name": "Atlantis", "postcode": "64600"}, "64024", M.POSTCODE),
        ({"postcode": "64470", "point": (43.1289, -0.8389)}, "64533", M.POSTCODE_AND_POINT),
    ],
)
def test_the_postcode_alone_gives_its_only_commune_or_the_nearest_to_the_point(kwargs, insee, method):
    found = resolve_commune(**kwargs)
    assert (found.commune.code, found.method) == (insee, method)


def test_a_shared_postcode_without_point_lists_its_communes():
    found = resolve_commune(postcode="64470")
    assert found.commune is None
    assert len(found.candidates) > 10
    assert "précisez la commune" in found.notes[0]


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"name": "Atlantis"}, {"name": "  "}, {"postcode": "4900"}, {"point": (47.47, -0.55)}],
)
def test_nothing_usable_finds_no_commune_and_says_why(kwargs):
    found = resolve_commune(**kwargs)
    assert found.commune is None and found.method is None
    assert found.notes


def test_an_invalid_point_is_ignored():
    assert resolve_commune(name="Saint-Denis", point=(0.0, 0.0)).commune is None
    assert resolve_commune(name="Saint-Denis", point=(float("nan"), 2.0)).commune is None


# --------------------------------------------------------------------------- check_postcode


def _commune(code: str):
    return cog().commune(code)


S = PostcodeStatus


@pytest.mark.parametrize(
    ("raw", "insee", "point", "status", "likely"),
    [
        # nouvelle-caledonie: every line has 98800, Nouméa's postcode
        ("98800", "98827", None, S.COMMUNE_MISMATCH, "98827"),  # Poya
        ("98800", "98814", None, S.COMMUNE_MISMATCH, "98820"),  # Lifou
        ("98800", "98818", None, S.OK, "98800"),  # Nouméa
        ("98 827", "98827", None, S.OK, "98827"),
        # etapes-numerique: postcodes that lost their leading zero
        (1000, "01053", None, S.PADDED, "01000"),  # Bourg-en-Bresse
        (9700, "09282", None, S.PADDED, "09700"),  # Saverdun
        (1000.0, "01053", None, S.PADDED, "01000"),
        (20200, "2B033", None, S.OK, "20200"),  # Bastia
        (97410, "97416", None, S.OK, "97410"),  # Saint-Pierre
        # epernay: CEDEX codes of the commune's département
        ("51331", "51230", None, S.CEDEX, "51331"),
        ("51077", "51454", None, S.CEDEX, "51077"),
        # hub-lo: another commune's postcode of the same département
        ("45470", "45244", None, S.COMMUNE_MISMATCH, "45570"),  # Ouzouer-sur-Loire
        ("41120", "41159", None, S.COMMUNE_MISMATCH, "41210"),  # Neung-sur-Beuvron
        # fibre-64: a point near the limit with Anglet is still in the département
        ("64100", "64102", (43.490689, -1.493205), S.OK, "64100"),
        # ultra-num, bus-france-services-charente: the postcode fits, the point is far away
        ("97440", "97409", (48.390487, -4.485169), S.POINT_SUSPECT, "97440"),
        ("16460", "16392", (43.451334, 5.411872), S.POINT_SUSPECT, "16460"),
    ],
)
def test_a_real_postcode_is_checked_against_its_commune_and_point(raw, insee, point, status, likely):
    check = check_postcode(raw, _commune(insee), point)
    assert (check.status, check.likely) == (status, likely)
    assert check.ok == (status in (S.OK, S.PADDED, S.CEDEX, S.POINT_SUSPECT))
    if not check.ok or status == S.POINT_SUSPECT:
        assert check.message


def test_4900_for_angers_is_49000_not_04900_of_alpes_de_haute_provence():
    check = check_postcode("4900", _commune("49007"))
    assert (check.status, check.postcode, check.likely, check.ok) == (S.COMMUNE_MISMATCH, "04900", "49000", False)
    for word in ("4900", "04900", "Alpes-de-Haute-Provence", "Angers", "Maine-et-Loire", "49000"):
        assert word in check.message


@pytest.mark.parametrize(
    ("raw", "point", "status", "likely"),
    [
        ("4900", (47.47, -0.55), S.POINT_MISMATCH, "49000"),  # a point in Angers, no commune
        ("1000", (46.2, 5.22), S.PADDED, "01000"),  # a point in Bourg-en-Bresse
        ("1000", None, S.PADDED, "01000"),  # 01000 is Bourg-en-Bresse's postcode
        ("4900", None, S.UNCERTAIN, None),  # 04900 is no commune's postcode
        ("64100", (48.39, -4.48), S.POINT_MISMATCH, None),  # Bayonne's postcode, a point in Finistère
        ("64100", (43.49, -1.47), S.OK, "64100"),
        ("64100 BAYONNE", None, S.OK, "64100"),
    ],
)
def test_without_commune_the_point_decides_how_to_read_a_postcode(raw, point, status, likely):
    check = check_postcode(raw, None, point)
    assert (check.status, check.likely) == (status, likely)


@pytest.mark.parametrize(
    ("raw", "insee", "point", "status", "likely", "words"),
    [
        ("20200", "2A004", None, S.COMMUNE_MISMATCH, "20000", ("20200", "Haute-Corse", "Ajaccio", "20000")),
        ("20000", "2A004", None, S.OK, "20000", ()),
        ("20090", "2A004", None, S.OK, "20090", ()),
        ("49300", "49007", None, S.COMMUNE_MISMATCH, "49000", ("Cholet", "Angers", "49000, 49100")),
        ("04900", "49007", None, S.COMMUNE_MISMATCH, "49000", ("Alpes-de-Haute-Provence",)),
        ("13100", "49007", (43.52, 5.44), S.COMMUNE_MISMATCH, None, ("Bouches-du-Rhône", "vérifiez la commune")),
        ("75009", "75056", None, S.OK, "75009", ()),
        ("", "51230", None, S.MISSING, "51200", ("absent", "Épernay")),
        (None, "49007", None, S.MISSING, None, ("49000, 49100",)),
        ("abc", "98827", None, S.INVALID, "98827", ("abc", "5 chiffres")),
        ("00100", "49007", None, S.INVALID, None, ("00",)),
    ],
)
def test_built_postcodes_are_checked_with_a_french_message_naming_both_values(raw, insee, point, status, likely, words):
    check = check_postcode(raw, _commune(insee), point)
    assert (check.status, check.likely) == (status, likely)
    assert all(word in (check.message or "") for word in words), check.message


def test_a_mismatch_is_never_ok_and_never_proposes_the_wrong_padding():
    for raw in ("4900", "4910", "4930"):
        check = check_postcode(raw, _commune("49007"))
        assert not check.ok
        assert check.likely is None or check.likely.startswith("49")


# --------------------------------------------------------------------------- majority_departement


@pytest.mark.parametrize(
    ("departements", "expected"),
    [
        (["974"] * 8 + ["75", None], "974"),  # ultra-num
        (["988"] * 90, "988"),  # nouvelle-caledonie
        (["18", "28", "36", "37", "41", "45", "18", "45"], None),  # hub-lo: a whole région
        (["51", "51"], None),  # fewer than MAJORITY_MIN_LINES known lines
        (["51", "51", "51", None, None, None, None, ""], "51"),  # unknown lines are not counted
        (["2a", "2A", " 2A ", "2B"], "2A"),
        (["13", "13", "49", "49"], None),
        (["64", "64", "64", "40", "40"], "64"),  # exactly MAJORITY_SHARE
        ([], None),
    ],
)
def test_the_file_departement_is_a_clear_majority_of_the_known_lines(departements, expected):
    assert majority_departement(departements) == expected


def test_the_majority_threshold_is_documented():
    assert MAJORITY_SHARE == 0.6 and MAJORITY_MIN_LINES == 3
    assert majority_departement(iter(["23"] * 3)) == "23"  # any iterable
