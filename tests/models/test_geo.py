"""Tests of models/geo.py: département boxes (metropolitan France, DROM, COM) and the GeoJSON for maps."""

from __future__ import annotations

import csv

import pytest

from models.cog import COM_DEPARTEMENTS, LAPOSTE_PATH, cog, departement_of_insee
from models.geo import (
    _bbox,
    communes_geojson,
    departement_bbox,
    departements_geojson,
    point_in_departement,
)

# (département, INSEE code of a commune in it)
CHEFS_LIEUX = [
    ("971", "97101"),  # Les Abymes
    ("972", "97209"),  # Fort-de-France
    ("973", "97302"),  # Cayenne
    ("974", "97411"),  # Saint-Denis
    ("976", "97611"),  # Mamoudzou
    ("975", "97502"),  # Saint-Pierre
    ("977", "97701"),  # Saint-Barthélemy
    ("978", "97801"),  # Saint-Martin
    ("986", "98613"),  # Uvea (Wallis)
    ("986", "98612"),  # Sigave (Futuna)
    ("987", "98735"),  # Papeete
    ("988", "98818"),  # Nouméa
    ("13", "13056"),  # Martigues
    ("2A", "2A004"),  # Ajaccio
    ("75", "75056"),  # Paris
    ("29", "29083"),  # Île-de-Sein: its centroid lies just outside the simplified polygon
]


@pytest.mark.parametrize(("departement", "code"), CHEFS_LIEUX)
def test_a_commune_point_lies_in_the_box_of_its_departement(departement, code):
    commune = cog().commune(code)
    assert departement_bbox(departement) is not None
    assert point_in_departement(commune.latitude, commune.longitude, departement)


@pytest.mark.parametrize(
    ("place", "latitude", "longitude", "departement"),
    [
        ("Rikitea, Mangareva (Gambier), far from its commune's centroid", -23.12, -134.97, "987"),
        ("Taiohae, Nuku Hiva (Marquesas)", -8.91, -140.10, "987"),
        ("Rapa, the southernmost inhabited island", -27.61, -144.34, "987"),
        ("Mata-Utu, Wallis", -13.28, -176.17, "986"),
        ("Leava, Futuna", -14.29, -178.16, "986"),
        ("Miquelon village", 47.10, -56.38, "975"),
        ("Gustavia", 17.90, -62.85, "977"),
        ("Marigot", 18.07, -63.08, "978"),
        ("Wé, Lifou (Loyalty Islands)", -20.92, 167.26, "988"),
        ("Vao, Île des Pins", -22.67, 167.48, "988"),
        ("Dzaoudzi, Petite-Terre", -12.78, 45.28, "976"),
        ("Saint-Laurent-du-Maroni", 5.50, -54.03, "973"),
        ("Grand-Bourg, Marie-Galante", 15.88, -61.31, "971"),
        ("Ouessant", 48.46, -5.08, "29"),
        ("Bonifacio", 41.39, 9.16, "2A"),
    ],
)
def test_a_known_inhabited_place_lies_in_the_box_of_its_departement(place, latitude, longitude, departement):
    assert point_in_departement(latitude, longitude, departement), place


@pytest.mark.parametrize(
    ("latitude", "longitude", "departement"),
    [
        (48.8566, 2.3522, "13"),  # Paris is not in the Bouches-du-Rhône
        (17.90, -62.85, "971"),  # Saint-Barthélemy left Guadeloupe in 2007
        (18.07, -63.08, "971"),  # so did Saint-Martin
        (-22.27, 166.45, "987"),  # Nouméa is not in Polynésie
        (-17.55, -149.56, "988"),  # Papeete is not in Nouvelle-Calédonie
        (2.3522, 48.8566, "75"),  # latitude and longitude swapped
        (0.0, 0.0, "974"),
    ],
)
def test_a_point_elsewhere_is_outside_the_box(latitude, longitude, departement):
    assert not point_in_departement(latitude, longitude, departement)


def test_every_departement_of_the_cog_and_every_com_has_a_box():
    for departement in cog().departements():
        box = departement_bbox(departement.code)
        assert box is not None, departement.code
        min_lon, min_lat, max_lon, max_lat = box
        assert -180 <= min_lon < max_lon <= 180, departement.code  # none crosses the antimeridian
        assert -90 <= min_lat < max_lat <= 90, departement.code


def test_a_departement_without_bounds_accepts_any_point():
    assert departement_bbox("984") is None
    assert departement_bbox("") is None
    assert point_in_departement(-49.35, 70.22, "984")


def test_polynesie_box_spans_its_archipelagos():
    min_lon, min_lat, max_lon, max_lat = departement_bbox("987")
    assert -155.0 < min_lon < -154.5 and -134.9 < max_lon < -134.3
    assert min_lat < -27.9 and max_lat > -7.9


def test_metropolitan_boxes_are_the_polygons_with_a_small_margin():
    min_lon, min_lat, max_lon, max_lat = departement_bbox("75")
    assert (min_lon, min_lat, max_lon, max_lat) == pytest.approx((2.174, 48.766, 2.517, 48.952), abs=0.002)


def test_every_commune_point_of_the_cog_lies_in_its_departement_box():
    outside = [
        c.code
        for c in cog()._communes_all
        if c.latitude is not None and not point_in_departement(c.latitude, c.longitude, c.departement)
    ]
    assert outside == []


def test_every_la_poste_point_of_a_current_commune_lies_in_its_departement_box():
    with LAPOSTE_PATH.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    checked = 0
    for row in rows:
        commune = cog().current_commune(row["code_commune_insee"])
        if commune is None or commune.code != row["code_commune_insee"]:
            continue  # Monaco, Clipperton, codes merged since 2023
        latitude, longitude = map(float, row["coordonnees_geographiques"].split(","))
        assert point_in_departement(latitude, longitude, commune.departement), row
        checked += 1
    assert checked > 39_000


def test_a_box_across_the_antimeridian_is_understood():
    box = _bbox([(179.8, -16.0), (-179.9, -15.0)], 0.1)
    assert box[0] > box[2]  # west edge east of the east edge
    from models.geo import _in_bbox

    assert _in_bbox(-15.5, 179.95, box) and _in_bbox(-15.5, -179.95, box)
    assert not _in_bbox(-15.5, 0.0, box)
    assert _bbox([(-179.9, 0.0), (-179.5, 1.0)], 0.3)[0] == pytest.approx(179.8)


def test_the_departements_geojson_has_the_101_departements_of_the_cog():
    features = departements_geojson()["features"]
    codes = {f["properties"]["insee_dep"] for f in features}
    assert len(features) == 101
    assert codes == {d.code for d in cog().departements()} - set(COM_DEPARTEMENTS)
    assert departements_geojson() is departements_geojson()


@pytest.mark.parametrize("departement", ["971", "972", "973", "974", "976"])
def test_each_drom_has_commune_shapes_matching_its_cog_communes(departement):
    geojson = communes_geojson(departement)
    codes = {f["properties"]["code"] for f in geojson["features"]}
    assert codes == {c.code for c in cog().communes(departement=departement)}
    assert all(departement_of_insee(code) == departement for code in codes)


@pytest.mark.parametrize("departement", ["75", "975", "987", "988", "2A", "99"])
def test_other_departements_have_no_commune_shapes(departement):
    assert communes_geojson(departement) is None
