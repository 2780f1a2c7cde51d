"""Offline maps: views of a territory, lieux placed on them, coverage statuses, rendered by vl-convert."""

from __future__ import annotations

import json
import re

import pytest
import vl_convert as vlc

from dashboards.maps import COMMUNE_CENTROID, OWN_POSITION, MapView, coverage_map, lieux_map, locate_lieux, map_views
from dashboards.offer import coverage, territory_communes
from models.cog import cog
from models.geo import communes_geojson

COGNAC, CHATEAUBERNARD, JARNAC = "16102", "16089", "16167"
GRAND_COGNAC = "CA du Grand Cognac"  # EPCI 200070514: the three communes
AIDE = "Aide aux démarches administratives"
OUTILS = "Maîtrise des outils numériques du quotidien"
TERRITORY = ["16", "13", "988", "971"]
ROWS = [
    {"nom": "Médiathèque de Jarnac", "code_insee": JARNAC, "latitude": 45.6812, "longitude": -0.1745,
     "typologie": "BIB"},
    {"nom": "France services de Cognac", "code_insee": COGNAC, "typologie": "PIMMS"},  # its commune's centroid
    {"nom": "Lieu sans adresse"},  # no position at all: counted, not drawn
    {"nom": "Espace numérique parisien", "code_insee": "75056"},  # outside the territory: left out
]


def centroid(code: str) -> tuple[float, float]:
    commune = cog().commune(code)
    return round(commune.longitude, 5), round(commune.latitude, 5)


def projections(vega: dict | list) -> list[dict]:
    """Every projection of a compiled Vega spec, at any depth."""
    if isinstance(vega, list):
        return [projection for item in vega for projection in projections(item)]
    if not isinstance(vega, dict):
        return []
    found = list(vega.get("projections", []))
    nested = [value for key, value in vega.items() if key != "projections"]
    return found + projections(nested)


def test_views_group_the_metropolitan_departements_and_give_each_overseas_one_its_own():
    assert map_views(TERRITORY) == [
        MapView("France métropolitaine", ("13", "16"), True),
        MapView("Guadeloupe", ("971",), True),
        MapView("Nouvelle-Calédonie", ("988",), False),  # a COM: no shapes, only commune centroids
    ]
    assert [view.title for view in map_views(["2B", "2A", "01"])] == ["France métropolitaine"]
    assert map_views(["2B", "2A", "01"])[0].departements == ("01", "2A", "2B")


def test_an_unknown_departement_is_refused():
    with pytest.raises(ValueError):
        map_views(["16", "99"])


@pytest.mark.parametrize("row, expected", [
    ({"nom": "A", "code_insee": COGNAC, "latitude": 45.7, "longitude": -0.33}, ("16", (-0.33, 45.7), OWN_POSITION)),
    ({"nom": "B", "code_insee": COGNAC, "latitude": -0.33, "longitude": 45.7},  # swapped axes: not trusted
     ("16", centroid(COGNAC), COMMUNE_CENTROID)),
    ({"nom": "C", "commune": "Jarnac", "code_postal": "16200"}, ("16", centroid(JARNAC), COMMUNE_CENTROID)),
    ({"nom": "D", "latitude": 45.7, "longitude": -0.33}, ("16", (-0.33, 45.7), OWN_POSITION)),  # no commune
    ({"nom": "E", "latitude": 48.85, "longitude": 2.35}, None),  # no commune, coordinates in Paris
    ({"nom": "F", "code_insee": "75056"}, None),
])
def test_a_lieu_is_placed_by_its_coordinates_else_its_communes_centroid(row, expected):
    points, unplaced = locate_lieux([row], ["16"])
    assert unplaced == 0
    assert [(point["departement"], (point["longitude"], point["latitude"]), point["position"])
            for point in points] == ([expected] if expected else [])


def test_lieux_map_has_one_point_per_placed_lieu_in_its_views_panel():
    rows = [*ROWS, {"nom": "Médiathèque de Nouméa", "code_insee": "98818"}]
    spec = lieux_map(rows, TERRITORY, color_field="typologie").to_dict()
    assert spec["datasets"]["lieux-metropole"] == [
        {"nom": "Médiathèque de Jarnac", "commune": "Jarnac", "departement": "16", "longitude": -0.1745,
         "latitude": 45.6812, "position": OWN_POSITION, "categorie": "BIB"},
        {"nom": "France services de Cognac", "commune": "Cognac", "departement": "16",
         "longitude": centroid(COGNAC)[0], "latitude": centroid(COGNAC)[1], "position": COMMUNE_CENTROID,
         "categorie": "PIMMS"},
    ]
    assert [point["nom"] for point in spec["datasets"]["lieux-988"]] == ["Médiathèque de Nouméa"]
    assert spec["datasets"]["lieux-971"] == []
    assert spec["title"]["subtitle"] == "1 lieu sans position connue n'apparaît pas sur la carte"
    assert {feature["properties"]["code"] for feature in spec["datasets"]["contours-metropole"]} == {"13", "16"}
    assert "contours-988" not in spec["datasets"]  # no shapes for a COM: its communes' centroids instead
    assert len(spec["datasets"]["fond-988"]) == len(cog().communes(departement="988"))
    metropole, overseas = spec["hconcat"]
    assert metropole["title"] == "France métropolitaine" and metropole["width"] > overseas["concat"][0]["width"]
    assert [panel["title"] for panel in overseas["concat"]] == ["Guadeloupe", "Nouvelle-Calédonie"]
    lieux = metropole["layer"][1]["encoding"]
    assert [tooltip["title"] for tooltip in lieux["tooltip"]] == ["Lieu", "Commune", "Position", "Typologie"]


def test_a_map_of_many_lieux_draws_one_circle_per_commune_sized_by_its_lieux():
    cognac = [{"nom": f"Lieu {n}", "code_insee": COGNAC} for n in range(3)]
    jarnac = [{"nom": "Médiathèque de Jarnac", "code_insee": JARNAC}]
    spec = lieux_map(cognac + jarnac, ["16"], max_points=3).to_dict()
    assert [(p["commune"], p["lieux"]) for p in spec["datasets"]["lieux-metropole"]] == [("Cognac", 3), ("Jarnac", 1)]
    assert spec["datasets"]["lieux-metropole"][0]["longitude"] == centroid(COGNAC)[0]
    assert spec["title"]["subtitle"] == "un cercle par commune, de surface proportionnelle au nombre de lieux"
    layer = spec["hconcat"][0]["layer"][1]["encoding"]
    assert layer["size"]["field"] == "lieux"
    assert lieux_map(cognac + jarnac, ["16"]).to_dict()["datasets"]["lieux-metropole"][0]["nom"] == "Lieu 0"


def test_each_panel_keeps_its_own_projection_and_the_map_renders_offline():
    chart = lieux_map(ROWS, ["16", "971", "988"])
    vega = vlc.vegalite_to_vega(chart.to_json())
    assert len(projections(vega)) == 3  # Vega-Lite would merge equal projections: fitted to one place
    svg = vlc.vegalite_to_svg(chart.to_json())
    assert svg.startswith("<svg") and "<path" in svg and 'width="' in svg
    assert int(svg.split('width="')[1].split('"')[0]) < 1000  # no panel blown up by a far-away point


def small_coverage(level: str = "commune"):
    rows = [{"nom": "Médiathèque", "code_insee": COGNAC, "services": [AIDE]}]
    return coverage(rows, [COGNAC, CHATEAUBERNARD, JARNAC], level=level, categories=[AIDE, OUTILS])


def test_coverage_map_colours_each_commune_by_its_status():
    spec = coverage_map(small_coverage(), AIDE, ["16"]).to_dict()
    communes = spec["datasets"]["communes-metropole"]
    assert {commune["nom"]: commune["statut"] for commune in communes} == {
        "Cognac": "Couverte", "Châteaubernard": "Zone blanche", "Jarnac": "Zone blanche"}
    cognac = next(commune for commune in communes if commune["code"] == COGNAC)
    assert (cognac["longitude"], cognac["latitude"]) == (round(cog().commune(COGNAC).longitude, 5),
                                                         round(cog().commune(COGNAC).latitude, 5))
    assert cognac["population_texte"] == "18\u00a0532" and cognac["epci"] == ""
    encoding = spec["hconcat"][0]["layer"][1]["encoding"]
    assert encoding["color"]["scale"] == {"domain": ["Couverte", "Zone blanche"], "range": ["#000091", "#e1000f"]}
    assert [tooltip["title"] for tooltip in encoding["tooltip"]] == ["Commune", "Population", "Statut"]
    assert spec["title"]["text"] == f"« {AIDE} » : couverture par commune"
    assert {commune["statut"] for commune in coverage_map(small_coverage(), OUTILS, ["16"]).to_dict()
            ["datasets"]["communes-metropole"]} == {"Zone blanche"}


def test_at_epci_level_each_commune_takes_its_epcis_status():
    spec = coverage_map(small_coverage("epci"), AIDE, ["16"]).to_dict()
    communes = {commune["code"]: commune for commune in spec["datasets"]["communes-metropole"]}
    assert {communes[code]["statut"] for code in (COGNAC, CHATEAUBERNARD, JARNAC)} == {"Couverte"}
    assert {commune["epci"] for commune in communes.values()} == {GRAND_COGNAC}  # the whole EPCI is drawn
    assert len(communes) == len([c for c in cog().communes(departement="16") if c.epci == "200070514"])
    tooltip = spec["hconcat"][0]["layer"][1]["encoding"]["tooltip"]
    assert [item["title"] for item in tooltip] == ["Commune", "Population", "EPCI", "Statut"]


def test_drom_communes_are_polygons_carrying_their_status():
    before = json.dumps(communes_geojson("971")["features"][0])
    rows = [{"nom": "Cyber-base", "code_insee": "97101", "services": [AIDE]}]
    result = coverage(rows, territory_communes(["971"]), categories=[AIDE])
    spec = coverage_map(result, AIDE, ["971"]).to_dict()
    polygons = spec["datasets"]["polygones-971"]
    assert len(polygons) == 32 and spec["datasets"]["communes-971"] == []
    statuses = {feature["properties"]["code"]: feature["properties"]["statut"] for feature in polygons}
    assert statuses.pop("97101") == "Couverte" and set(statuses.values()) == {"Zone blanche"}
    assert {feature["geometry"]["type"] for feature in polygons} <= {"Polygon", "MultiPolygon"}
    assert not re.search(r"\.\d{5}", json.dumps([feature["geometry"] for feature in polygons]))  # rounded copy…
    assert json.dumps(communes_geojson("971")["features"][0]) == before  # …the shared GeoJSON untouched
    assert spec["hconcat"][0]["layer"][1]["encoding"]["color"]["field"] == "properties.statut"


def test_a_category_outside_the_coverage_is_refused():
    with pytest.raises(ValueError):
        coverage_map(small_coverage(), "Parentalité", ["16"])


def test_coverage_map_renders_to_png_offline():
    png = vlc.vegalite_to_png(coverage_map(small_coverage(), AIDE, ["16"]).to_json(), scale=1)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
