"""Tests of models/cog.py against the real COG 2026 files (metropolitan France and every overseas territory)."""

from __future__ import annotations

import csv
import zoneinfo

import pytest

from models.cog import (
    ARRONDISSEMENT_MUNICIPAL,
    COM_DEPARTEMENTS,
    COMMUNE_ACTUELLE,
    COMMUNE_DELEGUEE,
    DEPARTEMENTS_PATH,
    Commune,
    cog,
    departement_of_insee,
    normalize_name,
    timezone_for_departement,
)

COG_COMMUNES_CSV = DEPARTEMENTS_PATH.parent / "communes.csv"

# (INSEE code, name in the COG, département, one of its postcodes, time zone)
PLACES = [
    ("97101", "Les Abymes", "971", "97139", "America/Guadeloupe"),
    ("97209", "Fort-de-France", "972", "97200", "America/Martinique"),
    ("97302", "Cayenne", "973", "97300", "America/Cayenne"),
    ("97411", "Saint-Denis", "974", "97400", "Indian/Reunion"),
    ("97611", "Mamoudzou", "976", "97600", "Indian/Mayotte"),
    ("97502", "Saint-Pierre", "975", "97500", "America/Miquelon"),
    ("97701", "Saint-Barthélemy", "977", "97133", "America/St_Barthelemy"),
    ("97801", "Saint-Martin", "978", "97150", "America/Marigot"),
    ("98613", "Uvea", "986", "98600", "Pacific/Wallis"),
    ("98611", "Alo", "986", "98610", "Pacific/Wallis"),
    ("98735", "Papeete", "987", "98714", "Pacific/Tahiti"),
    ("98818", "Nouméa", "988", "98800", "Pacific/Noumea"),
    ("13056", "Martigues", "13", "13500", "Europe/Paris"),
    ("2A004", "Ajaccio", "2A", "20000", "Europe/Paris"),
    ("75056", "Paris", "75", "75015", "Europe/Paris"),
    ("16102", "Cognac", "16", "16100", "Europe/Paris"),
    ("16089", "Châteaubernard", "16", "16100", "Europe/Paris"),
    ("59350", "Lille", "59", "59000", "Europe/Paris"),
]
PLACE_IDS = [f"{code}-{nom}" for code, nom, *_ in PLACES]


def _cog_rows() -> list[dict[str, str]]:
    with COG_COMMUNES_CSV.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# --------------------------------------------------------------------------- real places


@pytest.mark.parametrize(("code", "nom", "departement", "code_postal", "timezone"), PLACES, ids=PLACE_IDS)
def test_a_commune_is_found_by_its_code_with_its_name_departement_and_postcode(code, nom, departement, code_postal, timezone):
    commune = cog().commune(code)
    assert commune is not None
    assert (commune.nom, commune.type, commune.departement) == (nom, COMMUNE_ACTUELLE, departement)
    assert code_postal in commune.codes_postaux
    assert commune.latitude is not None and commune.longitude is not None
    assert commune.population and commune.population > 0


@pytest.mark.parametrize(("code", "nom", "departement", "code_postal", "timezone"), PLACES, ids=PLACE_IDS)
def test_a_commune_is_found_by_its_name_and_postcode(code, nom, departement, code_postal, timezone):
    assert cog().find_commune(nom, code_postal=code_postal).code == code
    assert cog().find_commune(nom.upper(), departement=departement).code == code


@pytest.mark.parametrize(("code", "nom", "departement", "code_postal", "timezone"), PLACES, ids=PLACE_IDS)
def test_a_postcode_lists_its_commune_and_gives_its_departement(code, nom, departement, code_postal, timezone):
    assert code in [c.code for c in cog().communes_by_postcode(code_postal)]
    assert cog().departement_of_postcode(code_postal) == departement


@pytest.mark.parametrize(("code", "nom", "departement", "code_postal", "timezone"), PLACES, ids=PLACE_IDS)
def test_the_departement_of_a_commune_code_has_the_right_time_zone(code, nom, departement, code_postal, timezone):
    assert departement_of_insee(code) == departement
    assert timezone_for_departement(departement) == timezone
    assert cog().departement(departement).timezone == timezone


def test_saint_barthelemy_and_saint_martin_postcodes_look_like_guadeloupe_but_are_their_own_com():
    assert cog().departement_of_postcode("97133") == "977"
    assert cog().departement_of_postcode("97150") == "978"
    assert [c.code for c in cog().communes_by_postcode("97133")] == ["97701"]


def test_wallis_et_futuna_has_its_three_communes():
    assert [c.nom for c in cog().communes(departement="986")] == ["Alo", "Sigave", "Uvea"]


def test_communes_of_the_com_have_no_region_and_no_epci():
    for departement in COM_DEPARTEMENTS:
        communes = cog().communes(departement=departement)
        assert communes, departement
        assert all(c.region is None and c.epci is None for c in communes)


# --------------------------------------------------------------------------- names as people write them


@pytest.mark.parametrize(
    ("written", "hints", "expected"),
    [
        ("CHÂTEAUBERNARD", {}, "16089"),
        ("chateaubernard", {"code_postal": "16100"}, "16089"),
        ("COGNAC", {"code_postal": "16100"}, "16102"),
        ("Cognac Cedex", {"code_postal": "16108"}, "16102"),
        ("Pointe a Pitre", {}, "97120"),
        ("POINTE-A-PITRE", {"code_postal": "97110"}, "97120"),
        ("Noumea", {}, "98818"),
        ("Abymes", {}, "97101"),
        ("les abymes", {"code_postal": "97139"}, "97101"),
        ("Fort de France", {}, "97209"),
        ("ST DENIS", {"code_postal": "97400"}, "97411"),
        ("St-Denis", {"departement": "93"}, "93066"),
        ("Saint Pierre", {"code_postal": "97410"}, "97416"),
        ("Saint-Pierre", {"departement": "975"}, "97502"),
        ("Saint Barthelemy", {"code_postal": "97133"}, "97701"),
        ("saint-martin", {"code_postal": "97150"}, "97801"),
        ("Mamoudzou", {}, "97611"),
        ("PAPEETE", {}, "98735"),
        ("Martigues", {"code_postal": "13500"}, "13056"),
        ("ajaccio", {}, "2A004"),
        ("Abergement Clemenciat", {}, "01001"),
        ("L'Abergement-Clémenciat", {}, "01001"),
        ("Le Mans", {}, "72181"),
        ("Paris", {}, "75056"),
        ("Paris", {"code_postal": "75015"}, "75056"),
        ("Marseille 5e", {}, "13205"),
        ("MARSEILLE 05", {"code_postal": "13005"}, "13205"),
        ("Paris 15e Arrondissement", {}, "75115"),
        ("paris 15ème", {}, "75115"),
        ("Lyon 1er", {}, "69381"),
        ("Lyon 3eme arrondissement", {}, "69383"),
    ],
)
def test_a_name_written_loosely_finds_its_commune(written, hints, expected):
    commune = cog().find_commune(written, **hints)
    assert commune is not None, written
    assert commune.code == expected


@pytest.mark.parametrize(
    ("written", "hints"),
    [
        ("Saint-Denis", {}),
        ("Saint-Pierre", {}),
        ("Saint-Martin", {}),
        ("Sainte-Marie", {}),
        ("Saint-Denis", {"code_postal": "97139"}),  # no Saint-Denis in Guadeloupe
        ("Atlantis", {}),
        ("", {}),
    ],
)
def test_an_ambiguous_or_unknown_name_finds_nothing(written, hints):
    assert cog().find_commune(written, **hints) is None


def test_the_cognac_postcode_is_shared_and_the_name_tells_the_communes_apart():
    communes = {c.nom: c.code for c in cog().communes_by_postcode("16100")}
    assert {"Cognac": "16102", "Châteaubernard": "16089"}.items() <= communes.items()
    assert len(communes) > 2
    assert cog().find_commune("Châteaubernard", code_postal="16100").code == "16089"
    assert cog().find_commune("Cognac", code_postal="16100").code == "16102"
    assert cog().departement_of_postcode("16100") == "16"


@pytest.mark.parametrize(
    ("written", "code_postal", "current"),
    [
        ("Boulogne", "85140", "85084"),  # delegated commune of Essarts-en-Bocage
        ("Les Essarts", "85140", "85084"),
        ("Bellegarde-sur-Valserine", "01200", "01033"),  # delegated chef-lieu of Valserhône, same code
        ("Cherbourg-Octeville", "50100", "50129"),
        ("Annecy-le-Vieux", "74940", "74010"),
        ("Drain", "49530", "49126"),
    ],
)
def test_a_delegated_commune_name_with_its_postcode_gives_the_current_commune(written, code_postal, current):
    commune = cog().find_commune(written, code_postal=code_postal)
    assert commune is not None
    assert (commune.code, commune.type) == (current, COMMUNE_ACTUELLE)


def test_names_are_compared_without_case_accents_punctuation_or_abbreviations():
    assert normalize_name("ST-ÉTIENNE") == normalize_name("saint etienne")
    assert normalize_name("Ste  Marie") == normalize_name("Sainte-Marie")
    assert normalize_name("Œuilly") == "oeuilly"
    assert normalize_name("Paris 15e Arrondissement") == normalize_name("PARIS 15")


# --------------------------------------------------------------------------- codes, delegated communes, arrondissements


def test_a_code_shared_by_a_commune_nouvelle_and_its_chef_lieu_gives_the_commune_nouvelle():
    commune = cog().commune("01015")
    assert (commune.nom, commune.type) == ("Arboys en Bugey", COMMUNE_ACTUELLE)
    assert [c.nom for c in cog().delegated_communes("01015")] == ["Arbignieu"]


def test_a_delegated_commune_code_maps_to_its_current_commune():
    delegated = cog().commune("85030")
    assert (delegated.nom, delegated.type, delegated.parent) == ("Boulogne", COMMUNE_DELEGUEE, "85084")
    assert delegated.epci == cog().commune("85084").epci
    assert cog().current_commune("85030").nom == "Essarts-en-Bocage"


def test_a_former_code_maps_to_its_current_commune():
    assert cog().commune("01126") is None  # Lancrans, merged into Valserhône without a delegated commune
    assert cog().current_commune("01126").code == "01033"
    assert cog().current_commune("12076").code == "12218"  # Conques-en-Rouergue's code before 2026
    assert cog().current_commune("12218").code == "12218"


def test_an_unknown_code_has_no_commune():
    assert cog().commune("99999") is None
    assert cog().current_commune("99999") is None
    assert cog().current_commune("") is None


@pytest.mark.parametrize(
    ("code", "city", "code_postal"),
    [("75101", "75056", "75001"), ("75116", "75056", "75116"), ("13205", "13055", "13005"), ("69381", "69123", "69001")],
)
def test_an_arrondissement_is_its_own_current_commune_and_names_its_city(code, city, code_postal):
    arrondissement = cog().current_commune(code)
    assert arrondissement.code == code
    assert (arrondissement.type, arrondissement.parent) == (ARRONDISSEMENT_MUNICIPAL, city)
    assert code_postal in arrondissement.codes_postaux
    assert arrondissement.epci == cog().commune(city).epci
    assert code in [c.code for c in cog().communes_by_postcode(code_postal)]


def test_paris_marseille_and_lyon_sit_at_the_mean_of_their_arrondissements():
    for city, count in (("75056", 20), ("13055", 16), ("69123", 9)):
        arrondissements = [c for c in cog()._communes_all if c.parent == city]
        assert len(arrondissements) == count
        commune = cog().commune(city)
        assert commune.latitude == pytest.approx(sum(a.latitude for a in arrondissements) / count)
        assert commune.longitude == pytest.approx(sum(a.longitude for a in arrondissements) / count)


@pytest.mark.parametrize(
    "code", ["12218", "14581", "15031", "15035", "15047", "15171", "27676", "49126", "60694", "69114", "85165", "85212"]
)
def test_a_commune_created_after_the_la_poste_file_still_has_a_point_and_an_epci(code):
    commune = cog().commune(code)
    assert commune.latitude is not None and commune.longitude is not None
    assert commune.epci is not None and code in cog().epci(commune.epci).communes


# --------------------------------------------------------------------------- completeness against the COG file


def test_all_34875_current_communes_of_the_cog_are_known_with_their_names_and_departements():
    rows = [r for r in _cog_rows() if r["TYPECOM"] == "COM"]
    assert len(rows) == 34875
    for row in rows:
        commune = cog().commune(row["COM"])
        assert commune is not None, row["COM"]
        assert (commune.nom, commune.type, commune.departement, commune.region) == (
            row["LIBELLE"],
            COMMUNE_ACTUELLE,
            row["DEP"],
            row["REG"],
        )
        assert commune.latitude is not None, row["COM"]
    overseas = sum(len(cog().communes(departement=d)) for d in COM_DEPARTEMENTS)
    assert len(cog().communes()) == 34875 + overseas == 34875 + 88


def test_every_delegated_associated_commune_and_arrondissement_of_the_cog_resolves():
    for row in _cog_rows():
        if row["TYPECOM"] in ("COMD", "COMA"):
            assert cog().current_commune(row["COM"]).code == row["COMPARENT"], row
            assert any(c.nom == row["LIBELLE"] for c in cog().delegated_communes(row["COM"])), row
        elif row["TYPECOM"] == "ARM":
            assert cog().current_commune(row["COM"]).type == ARRONDISSEMENT_MUNICIPAL


def test_every_current_commune_is_in_its_departement_and_region():
    for commune in cog().communes():
        departement = cog().departement(commune.departement)
        assert departement is not None, commune
        assert commune.region == departement.region
        assert commune.code.startswith(commune.departement[:2])


# --------------------------------------------------------------------------- départements, régions, EPCI


def test_every_departement_of_the_cog_and_every_com_is_listed_with_a_valid_time_zone():
    with DEPARTEMENTS_PATH.open(encoding="utf-8", newline="") as handle:
        cog_departements = {r["DEP"]: r for r in csv.DictReader(handle)}
    departements = {d.code: d for d in cog().departements()}
    assert set(departements) == set(cog_departements) | set(COM_DEPARTEMENTS)
    assert len(departements) == 107
    for code, departement in departements.items():
        zoneinfo.ZoneInfo(departement.timezone)
        if code in COM_DEPARTEMENTS:
            assert (departement.nom, departement.region) == (COM_DEPARTEMENTS[code], None)
        else:
            assert departement.nom == cog_departements[code]["LIBELLE"]
            assert cog().region(departement.region) is not None
        assert cog().communes(departement=code), code
    codes = [d.code for d in cog().departements()]
    assert codes[codes.index("19") + 1 : codes.index("19") + 4] == ["2A", "2B", "21"]


def test_com_departements_have_their_usual_names():
    assert cog().departement("987").nom == "Polynésie française"
    assert cog().departement("988").nom == "Nouvelle-Calédonie"
    assert cog().departement("975").nom == "Saint-Pierre-et-Miquelon"


def test_time_zone_defaults_to_paris():
    assert timezone_for_departement(None) == "Europe/Paris"
    assert timezone_for_departement("2B") == "Europe/Paris"
    assert timezone_for_departement("984") == "Europe/Paris"


@pytest.mark.parametrize(
    ("code_insee", "departement"), [("01001", "01"), ("2A004", "2A"), ("2B033", "2B"), ("97101", "971"), ("98818", "988")]
)
def test_the_departement_of_an_insee_code_is_read_from_its_first_characters(code_insee, departement):
    assert departement_of_insee(code_insee) == departement


@pytest.mark.parametrize(
    ("code_postal", "departement"),
    [("20000", "2A"), ("20200", "2B"), ("20999", "2B"), ("97199", "971"), ("16108", "16"), ("99999", "99"), ("abc", None), ("", None)],
)
def test_the_departement_of_an_unknown_postcode_is_guessed_from_its_digits(code_postal, departement):
    assert cog().departement_of_postcode(code_postal) == departement


def test_the_regions_of_the_cog_are_known():
    assert cog().region("94").nom == "Corse"
    assert cog().region("01").nom == "Guadeloupe"
    assert len(cog().regions()) == 18


def test_martigues_belongs_to_the_metropole_aix_marseille_provence():
    epci = cog().epci(cog().commune("13056").epci)
    assert (epci.siren, epci.type) == ("200054807", "METRO")
    assert "13055" in epci.communes and "13056" in epci.communes
    assert epci.population > 1_800_000


def test_every_epci_lists_current_communes_that_point_back_to_it():
    epcis = cog().epcis()
    assert len(epcis) == 1255
    listed = 0
    for epci in epcis:
        assert epci.communes, epci.siren
        for code in epci.communes:
            assert cog().commune(code).epci == epci.siren
        listed += len(epci.communes)
    without = [c.code for c in cog().communes() if c.epci is None and c.departement not in COM_DEPARTEMENTS]
    # the four island communes exempt from any EPCI
    assert sorted(without) == ["22016", "29083", "29155", "85113"]
    assert listed == 34875 - 4


def test_commune_is_a_frozen_value():
    commune = cog().commune("97101")
    assert isinstance(commune, Commune)
    with pytest.raises(AttributeError):
        commune.nom = "x"  # type: ignore[misc]


def test_the_cog_is_loaded_once():
    assert cog() is cog()


# --------------------------------------------------------------------------- names, localities and points for addresses


def test_corsican_postcodes_find_their_2a_and_2b_communes():
    assert cog().find_commune("Ajaccio", code_postal="20000").code == "2A004"
    assert cog().find_commune("Bastia", code_postal="20200").code == "2B033"
    assert cog().departement_of_postcode("20000") == "2A"
    assert cog().departement_of_postcode("20200") == "2B"


def test_communes_named_lists_every_homonym_and_delegated_commune():
    codes = {(c.code, c.type) for c in cog().communes_named("ST DENIS")}
    assert {("93066", COMMUNE_ACTUELLE), ("97411", COMMUNE_ACTUELLE), ("93066", COMMUNE_DELEGUEE)} <= codes
    assert [(c.nom, c.parent) for c in cog().communes_named("vertus")] == [("Vertus", "51612")]
    assert {c.code for c in cog().communes_named("Mont Dore")} == {"63236", "98817"}  # with or without article
    assert cog().communes_named("Atlantis") == [] and cog().communes_named(" ") == []


@pytest.mark.parametrize(
    ("written", "code_postal", "code_insee"),
    [
        ("Sainte-Clotilde", "97490", "97411"),  # STE CLOTILDE, Saint-Denis
        ("RAVINE DES CABRIS", "97432", "97416"),  # Saint-Pierre
        ("La Plaine des Cafres", "97418", "97422"),  # Le Tampon
        ("Wé", "98820", "98814"),  # Lifou (La Poste's libellé d'acheminement)
        ("TADINE", "98828", "98815"),  # Maré
    ],
)
def test_la_poste_localities_are_found_with_their_postcode_and_commune(written, code_postal, code_insee):
    assert (code_postal, code_insee) in {(loc.code_postal, loc.code_insee) for loc in cog().find_localities(written)}


def test_a_commune_name_is_not_its_own_locality():
    assert all(loc.code_insee != "97411" for loc in cog().find_localities("Saint-Denis"))
    assert cog().find_localities("Atlantis") == [] and cog().find_localities("") == []


def test_the_nearest_commune_is_chosen_by_its_centroid():
    assert cog().nearest_commune(48.8566, 2.3522).code in {"75056"}  # centre of Paris
    assert cog().nearest_commune(-20.88, 55.45, departement="974").code == "97411"
    among = [cog().commune("93066"), cog().commune("97411")]
    assert cog().nearest_commune(-21.0, 55.5, among=among).code == "97411"
    assert cog().nearest_commune(-13.3, -176.2, departement="986").departement == "986"  # Wallis, west of 180°
    assert cog().nearest_commune(0.0, 0.0, among=[]) is None


def test_the_postcodes_in_use_are_listed_once_each_and_each_finds_its_communes():
    postcodes = cog().postcodes()
    assert postcodes == sorted(set(postcodes)) and len(postcodes) > 6000
    assert {"97133", "75001", "20000"} <= set(postcodes)
    assert all(cog().communes_by_postcode(p) for p in postcodes)
