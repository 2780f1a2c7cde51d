"""Offline geography: bounding boxes of départements, GeoJSON for maps.

- Départements of metropolitan France and the DROM (971, 972, 973, 974, 976): the bounding box
  of their polygon in ``data/geo/departements-avec-drom.geojson`` (ANCT, 2021), widened by
  :data:`DEPARTEMENT_MARGIN` because La Poste's centroids of some coastal or island communes
  (29083 Île-de-Sein, 56181, 02368, 39140) sit up to ~1.3 km outside the simplified polygons.
- COM (975, 977, 978, 986, 987, 988): there are no shapes, so the box is built from the La Poste
  centroids of their communes (through :mod:`models.cog`), widened by :data:`ISLAND_MARGIN`, or by
  :data:`ARCHIPELAGO_MARGIN` for Polynésie française, whose communes are groups of atolls spread
  far around their centroid (Rikitea, in Gambier, is 0.7° east of the commune's centroid).

A box is ``(min_lon, min_lat, max_lon, max_lat)`` in WGS84 degrees. No département of the data
crosses the antimeridian (Wallis-et-Futuna spans -178.5..-175.9); should one ever do, its box
has ``min_lon > max_lon`` and :func:`point_in_departement` understands it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path

from models.cog import COM_DEPARTEMENTS, cog

GEO_DIR = Path(__file__).parent / "data" / "geo"
DEPARTEMENTS_GEOJSON_PATH = GEO_DIR / "departements-avec-drom.geojson"
COMMUNES_DROM_DIR = GEO_DIR / "communes-drom"
DROM_WITH_COMMUNE_SHAPES = ("971", "972", "973", "974", "976")

DEPARTEMENT_MARGIN = 0.05  # degrees, ~5 km: polygons are simplified, centroids may sit offshore
ISLAND_MARGIN = 0.3  # degrees, ~30 km around commune centroids of small islands
ARCHIPELAGO_MARGIN = 1.2  # degrees, Polynésie française: atolls up to ~1° from their commune's centroid
_MARGINS = {"987": ARCHIPELAGO_MARGIN}

BBox = tuple[float, float, float, float]


@cache
def departements_geojson() -> dict:
    """The 101 département polygons (metropolitan France + DROM at their true positions).

    The parsed document is shared: do not mutate it.
    """
    with DEPARTEMENTS_GEOJSON_PATH.open(encoding="utf-8") as handle:
        return json.load(handle)


@cache
def communes_geojson(departement: str) -> dict | None:
    """Commune polygons of a DROM (971, 972, 973, 974, 976), None for any other département.

    Properties are ``code`` and ``nom`` (2018 names, without leading article: take names from
    the COG). The parsed document is shared: do not mutate it.
    """
    if departement not in DROM_WITH_COMMUNE_SHAPES:
        return None
    paths = sorted(COMMUNES_DROM_DIR.glob(f"communes-{departement}-*.geojson"))
    if not paths:
        return None
    with paths[0].open(encoding="utf-8") as handle:
        return json.load(handle)


def _positions(geometry: dict) -> Iterator[tuple[float, float]]:
    kind, coordinates = geometry["type"], geometry["coordinates"]
    if kind == "Polygon":
        polygons = [coordinates]
    elif kind == "MultiPolygon":
        polygons = coordinates
    else:
        raise ValueError(f"unexpected geometry {kind}")
    for polygon in polygons:
        for ring in polygon:
            for position in ring:
                yield position[0], position[1]


def _bbox(points: Iterable[tuple[float, float]], margin: float) -> BBox | None:
    """Box of (lon, lat) points widened by `margin`; min_lon > max_lon when it crosses ±180°."""
    lons: list[float] = []
    lats: list[float] = []
    for lon, lat in points:
        lons.append(lon)
        lats.append(lat)
    if not lons:
        return None
    min_lat, max_lat = max(min(lats) - margin, -90.0), min(max(lats) + margin, 90.0)
    min_lon, max_lon = min(lons), max(lons)
    # The same points seen from the antimeridian (longitudes in 0..360): narrower when crossing it.
    shifted = [lon + 360.0 if lon < 0 else lon for lon in lons]
    if max(shifted) - min(shifted) < max_lon - min_lon:
        west, east = min(shifted) - margin, max(shifted) + margin - 360.0
        west = west - 360.0 if west > 180.0 else west
        return (west, min_lat, east, max_lat)
    west, east = min_lon - margin, max_lon + margin
    if west < -180.0 or east > 180.0:  # the margin itself crosses the antimeridian
        return (west + 360.0 if west < -180.0 else west, min_lat, east - 360.0 if east > 180.0 else east, max_lat)
    return (west, min_lat, east, max_lat)


@cache
def _departement_bboxes() -> dict[str, BBox]:
    boxes: dict[str, BBox] = {}
    for feature in departements_geojson()["features"]:
        box = _bbox(_positions(feature["geometry"]), DEPARTEMENT_MARGIN)
        if box is not None:
            boxes[feature["properties"]["insee_dep"]] = box
    for departement in COM_DEPARTEMENTS:
        points = [
            (c.longitude, c.latitude)
            for c in cog().communes(departement=departement)
            if c.latitude is not None and c.longitude is not None
        ]
        box = _bbox(points, _MARGINS.get(departement, ISLAND_MARGIN))
        if box is not None:
            boxes[departement] = box
    return boxes


def departement_bbox(departement: str) -> BBox | None:
    """(min_lon, min_lat, max_lon, max_lat) of a département with its margin, None if unknown."""
    if not departement:
        return None
    return _departement_bboxes().get(departement.strip().upper())


def _in_bbox(latitude: float, longitude: float, box: BBox) -> bool:
    min_lon, min_lat, max_lon, max_lat = box
    if not min_lat <= latitude <= max_lat:
        return False
    if min_lon <= max_lon:
        return min_lon <= longitude <= max_lon
    return longitude >= min_lon or longitude <= max_lon  # box across the antimeridian


def point_in_departement(latitude: float, longitude: float, departement: str) -> bool:
    """Whether the point lies in the département's box (True when the département has no box)."""
    box = departement_bbox(departement)
    if box is None:
        return True
    return _in_bbox(latitude, longitude, box)


__all__ = [
    "ARCHIPELAGO_MARGIN",
    "DEPARTEMENT_MARGIN",
    "ISLAND_MARGIN",
    "communes_geojson",
    "departement_bbox",
    "departements_geojson",
    "point_in_departement",
]
