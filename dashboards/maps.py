"""Offline maps of a territory: where the lieux are, and where a service category is offered.

Pure functions returning Altair (Vega-Lite) charts whose geometry is inline, read from the
project's GeoJSON files (``models.geo``): they draw with no tile server and no network, in
Streamlit as well as through vl-convert (SVG/PNG exports).

- **One panel per view** (``map_views``): metropolitan France in one large panel, each overseas
  département or collectivité in its own smaller panel beside it. The DROM polygons are at their
  TRUE positions (not moved next to Brittany as in printed atlases), so one projection for all
  would show mostly ocean: each panel has its own Mercator projection, fitted to the corners of
  its départements' box (``models.geo.departement_bbox``: the polygons' box for metropolitan
  France and the DROM, the communes' centroid box for the COM, which have no shapes). Boxes
  crossing the antimeridian are not handled (none does: Wallis-et-Futuna stops at -175.9°).
- **Communes**: the project holds commune polygons for the 5 DROM only (~35 000 metropolitan
  ones would be a heavy download and payload), so metropolitan and COM communes are one circle
  at their La Poste centroid, over their départements' outlines (a COM has none: grey dots at its
  communes' centroids instead); DROM communes are polygons.
- **Payload**: only the territory's départements (~10 kB of GeoJSON each), coordinates rounded
  to 4 decimals (~11 m), no other simplification; features are copies (the cached GeoJSON is
  never mutated). Layers name their data (``contours-metropole``, ``lieux-971``,
  ``communes-988``…), stored once in the chart's top-level ``datasets``: altair deep-copies
  inline values at each ``layer``/``concat`` (0.8 s for Charente + Guadeloupe) and limits them
  to 5 000 rows, not named data. One département's coverage map is 30-130 kB of compact JSON;
  all of France (35 000 circles) ~7.6 MB, and altair's validation in ``to_dict`` then takes ~5 s.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import altair as alt

from dashboards.offer import Coverage, commune_of
from models.cog import Commune, cog
from models.geo import (
    DROM_WITH_COMMUNE_SHAPES,
    communes_geojson,
    departement_bbox,
    departements_geojson,
    point_in_departement,
)
from models.runtime import bulk

METROPOLE = "France métropolitaine"
COVERED, WHITE_ZONE = "Couverte", "Zone blanche"
STATUS_SCALE = alt.Scale(domain=[COVERED, WHITE_ZONE], range=["#000091", "#e1000f"])  # DSFR blue, red
LIEU_COLOR = "#000091"
OUTLINE_STYLE = {"fill": "#f6f6f6", "stroke": "#929292", "strokeWidth": 0.7}
OWN_POSITION, COMMUNE_CENTROID = "Coordonnées du lieu", "Centre de la commune (approximatif)"
INSET_RATIO = 3  # an overseas panel is a third of the metropolitan one in each direction
DECIMALS = 4


@dataclass(frozen=True)
class MapView:
    """One panel of a map: its title, its départements, whether they have polygons."""

    title: str
    departements: tuple[str, ...]
    has_shapes: bool

    @property
    def metropolitan(self) -> bool:
        return not _is_overseas(self.departements[0])

    @property
    def key(self) -> str:
        """The view's part in dataset names: ``metropole`` or the overseas code."""
        return "metropole" if self.metropolitan else self.departements[0]


def _is_overseas(code: str) -> bool:
    return code[:2] in ("97", "98")


def _normalized(departements: Iterable[str]) -> list[str]:
    """Distinct codes in the COG's order (2A and 2B after 19, overseas last), unknown ones at the end."""
    order = {departement.code: index for index, departement in enumerate(cog().departements())}
    return sorted({code.strip().upper() for code in departements}, key=lambda code: (order.get(code, len(order)), code))


def map_views(departements: Iterable[str]) -> list[MapView]:
    """The panels of a territory's maps: « France métropolitaine » first, then one per overseas
    département or collectivité by code. Raises ``ValueError`` for a code unknown to the COG."""
    registry = cog()
    codes = _normalized(departements)
    unknown = [code for code in codes if registry.departement(code) is None]
    if unknown:
        raise ValueError(f"unknown département: {', '.join(unknown)}")
    shaped = {feature["properties"]["insee_dep"] for feature in departements_geojson()["features"]}
    metropolitan = tuple(code for code in codes if not _is_overseas(code))
    views = [MapView(METROPOLE, metropolitan, True)] if metropolitan else []
    views += [MapView(registry.departement(code).nom, (code,), code in shaped) for code in codes if _is_overseas(code)]
    return views


# --------------------------------------------------------------------------- geometry


def _rounded(coordinates: list) -> list:
    """A rounded copy of GeoJSON coordinates (any nesting)."""
    if coordinates and isinstance(coordinates[0], (int, float)):
        return [round(value, DECIMALS) for value in coordinates]
    return [_rounded(part) for part in coordinates]


def _feature(feature: Mapping[str, Any], properties: dict[str, Any]) -> dict[str, Any]:
    """A new feature with a rounded copy of ``feature``'s geometry and these properties."""
    geometry = feature["geometry"]
    return {"type": "Feature", "properties": properties,
            "geometry": {"type": geometry["type"], "coordinates": _rounded(geometry["coordinates"])}}


def _named(datasets: dict[str, list], name: str, values: list) -> alt.NamedData:
    """Store ``values`` under ``name`` in the chart's datasets and return a reference to them."""
    datasets[name] = values
    return alt.NamedData(name=name)


def _background_layers(view: MapView, datasets: dict[str, list]) -> list[alt.Chart]:
    """The view's département outlines (light fill); for a COM, which has no shapes, the
    centroids of its communes as grey dots, so that its panel is never blank."""
    features = [_feature(feature, {"code": feature["properties"]["insee_dep"], "nom": feature["properties"]["lib_dep"]})
                for feature in departements_geojson()["features"]
                if feature["properties"]["insee_dep"] in view.departements]
    if features:
        return [alt.Chart(_named(datasets, f"contours-{view.key}", features)).mark_geoshape(**OUTLINE_STYLE)]
    dots = [{"longitude": commune.longitude, "latitude": commune.latitude} for code in view.departements
            for commune in cog().communes(departement=code) if commune.latitude is not None]
    return [alt.Chart(_named(datasets, f"fond-{view.key}", dots)).mark_circle(size=10, color="#929292")
            .encode(longitude="longitude:Q", latitude="latitude:Q")]


def _projection(view: MapView) -> alt.Projection:
    """A Mercator projection fitted to the corners of the view's départements' box."""
    boxes = [box for code in view.departements if (box := departement_bbox(code)) is not None]
    if not boxes:
        return alt.Projection(type="mercator")
    corners = [[min(box[0] for box in boxes), min(box[1] for box in boxes)],
               [max(box[2] for box in boxes), max(box[3] for box in boxes)]]
    fit = {"type": "Feature", "properties": {}, "geometry": {"type": "MultiPoint", "coordinates": _rounded(corners)}}
    # Rotating to the box's central meridian leaves a Mercator map unchanged, but keeps Vega-Lite
    # from merging the panels' projections into one (it ignores ``fit`` when comparing them).
    central = round((corners[0][0] + corners[1][0]) / 2, 2)
    return alt.Projection(type="mercator", fit=fit, rotate=[-central, 0, 0])


def _compose(views: list[MapView], layers_of: Callable[[MapView, dict[str, list]], list[alt.Chart]],
             title: alt.Title, width: int, height: int) -> alt.HConcatChart:
    """One panel per view (its layers, its projection): the metropolitan one large, the others
    beside it in two columns. Every layer's values are stored once in the chart's datasets."""
    datasets: dict[str, list] = {}
    panels = []
    for view in views:
        shrink = 1 if view.metropolitan or len(views) == 1 else INSET_RATIO
        panels.append(alt.layer(*layers_of(view, datasets)).properties(
            title=view.title, projection=_projection(view), width=width // shrink, height=height // shrink))
    if len(panels) > 1 and views[0].metropolitan:
        chart = alt.hconcat(panels[0], alt.concat(*panels[1:], columns=2))
    else:
        chart = alt.hconcat(*panels)
    chart = chart.properties(title=title).resolve_scale(color="shared", size="shared")
    chart.datasets = datasets  # set, not given to .properties(): no deep copy; to_dict validates it once
    return chart


# --------------------------------------------------------------------------- lieux


def _lieu_position(row: Mapping[str, Any], commune: Commune | None) -> tuple[float, float, str] | None:
    """(longitude, latitude, origin): the lieu's own coordinates unless they fall outside its
    commune's département (a typo, swapped axes), else its commune's centroid, else None."""
    latitude, longitude = row.get("latitude"), row.get("longitude")
    if latitude is not None and longitude is not None:
        if commune is None or point_in_departement(float(latitude), float(longitude), commune.departement):
            return float(longitude), float(latitude), OWN_POSITION
    if commune is not None and commune.latitude is not None and commune.longitude is not None:
        return commune.longitude, commune.latitude, COMMUNE_CENTROID
    return None


def _category_text(value: Any) -> str:
    text = ", ".join(sorted(value)) if isinstance(value, (list, tuple, set)) else str(value or "")
    return text or "Non renseigné"


def locate_lieux(rows: Iterable[Mapping[str, Any]], departements: Iterable[str], *,
                 color_field: str | None = None) -> tuple[list[dict[str, Any]], int]:
    """The territory's lieux as map points (nom, commune, departement, longitude, latitude,
    position, and categorie when ``color_field`` is given), and how many had no position at all.
    A lieu without a commune is placed in the territory's département whose box holds it."""
    codes = _normalized(departements)
    points, unplaced = [], 0
    for row in rows:
        commune = commune_of(row)
        position = _lieu_position(row, commune)
        if commune is not None:
            departement = commune.departement
        elif position is not None:
            departement = next((code for code in codes if point_in_departement(position[1], position[0], code)), None)
        else:
            unplaced += 1
            continue
        if departement not in codes:
            continue
        if position is None:
            unplaced += 1
            continue
        point = {"nom": row.get("nom") or "Sans nom", "commune": commune.nom if commune else row.get("commune") or "",
                 "departement": departement, "longitude": round(position[0], 5),
                 "latitude": round(position[1], 5), "position": position[2]}
        if color_field:
            point["categorie"] = _category_text(row.get(color_field))
        points.append(point)
    return points, unplaced


def _lieu_layer(data: alt.NamedData, color_field: str | None) -> alt.Chart:
    tooltip = [alt.Tooltip("nom:N", title="Lieu"), alt.Tooltip("commune:N", title="Commune"),
               alt.Tooltip("position:N", title="Position")]
    chart = alt.Chart(data).mark_circle(size=45, opacity=0.85, color=LIEU_COLOR, stroke="white", strokeWidth=0.5)
    chart = chart.encode(longitude="longitude:Q", latitude="latitude:Q")
    if color_field:
        title = color_field.replace("_", " ").capitalize()
        chart = chart.encode(color=alt.Color("categorie:N", title=title))
        tooltip.append(alt.Tooltip("categorie:N", title=title))
    return chart.encode(tooltip=tooltip)


MAX_LIEU_POINTS = 2000  # beyond, one circle per commune: readable, and a payload of kilobytes, not megabytes


def lieux_by_commune(points: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One point per commune of ``locate_lieux``'s points: the mean position of its lieux and how
    many there are (« lieux »), largest first."""
    groups: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for point in points:
        groups.setdefault((point["departement"], point["commune"]), []).append(point)
    merged = [{"commune": commune, "departement": departement, "lieux": len(found),
               "longitude": round(sum(p["longitude"] for p in found) / len(found), 5),
               "latitude": round(sum(p["latitude"] for p in found) / len(found), 5)}
              for (departement, commune), found in groups.items()]
    return sorted(merged, key=lambda point: (-point["lieux"], point["commune"]))


def _commune_count_layer(data: alt.NamedData) -> alt.Chart:
    return alt.Chart(data).mark_circle(opacity=0.75, color=LIEU_COLOR, stroke="white", strokeWidth=0.5).encode(
        longitude="longitude:Q", latitude="latitude:Q",
        size=alt.Size("lieux:Q", title="Lieux par commune", scale=alt.Scale(range=[20, 600])),
        tooltip=[alt.Tooltip("commune:N", title="Commune"), alt.Tooltip("lieux:Q", title="Lieux")],
    )


@bulk
def lieux_map(rows: Iterable[Mapping[str, Any]], departements: Iterable[str], *, color_field: str | None = None,
              width: int = 520, height: int = 520, max_points: int = MAX_LIEU_POINTS) -> alt.HConcatChart:
    """One panel per view (``map_views``): département outlines and one circle per lieu (its
    coordinates, else its commune's centroid), coloured by ``color_field`` when given; beyond
    ``max_points`` lieux, one circle per commune sized by its number of lieux."""
    departements = _normalized(departements)
    points, unplaced = locate_lieux(rows, departements, color_field=color_field)
    grouped = len(points) > max_points
    if grouped:
        points = lieux_by_commune(points)

    def layers_of(view: MapView, datasets: dict[str, list]) -> list[alt.Chart]:
        here = _named(datasets, f"lieux-{view.key}", [p for p in points if p["departement"] in view.departements])
        layer = _commune_count_layer(here) if grouped else _lieu_layer(here, color_field)
        return _background_layers(view, datasets) + [layer]

    notes = ["un cercle par commune, de surface proportionnelle au nombre de lieux"] if grouped else []
    if unplaced:
        notes.append(f"{unplaced} lieux sans position connue n'apparaissent pas sur la carte" if unplaced > 1
                     else "1 lieu sans position connue n'apparaît pas sur la carte")
    title = alt.Title("Lieux d'inclusion numérique")
    if notes:
        title.subtitle = notes if len(notes) > 1 else notes[0]
    return _compose(map_views(departements), layers_of, title, width, height)


# --------------------------------------------------------------------------- coverage


def _rounded_or_none(degrees: float | None) -> float | None:
    return None if degrees is None else round(degrees, 5)  # ~1 m


def commune_statuses(coverage: Coverage, category: str, departements: Iterable[str]) -> list[dict[str, Any]]:
    """Each commune of the départements that belongs to a unit of ``coverage`` (itself, or its
    EPCI at level ``epci``), with its unit's status for ``category``: « Couverte » or « Zone blanche »."""
    if category not in coverage.categories:
        raise ValueError(f"category not in the coverage: {category}")
    units = {unit.code: unit for unit in coverage.units}
    statuses = []
    for code in _normalized(departements):
        for commune in cog().communes(departement=code):
            unit = units.get((commune.code if coverage.level == "commune" else commune.epci) or "")
            if unit is None:
                continue
            population = commune.population or 0
            statuses.append({"code": commune.code, "nom": commune.nom, "departement": commune.departement,
                             "population": population, "population_texte": f"{population:,}".replace(",", "\u00a0"),
                             "epci": unit.nom if coverage.level == "epci" else "",
                             "statut": COVERED if category in unit.categories else WHITE_ZONE,
                             "longitude": _rounded_or_none(commune.longitude),
                             "latitude": _rounded_or_none(commune.latitude)})
    return statuses


def _status_encoding(level: str, prefix: str = "") -> dict[str, Any]:
    """Colour by status and the tooltip, for fields at the datum's top (circles) or in properties (polygons)."""
    fields = [("nom", "Commune"), ("population_texte", "Population")]
    fields += [("epci", "EPCI")] if level == "epci" else []
    fields += [("statut", "Statut")]
    return {"color": alt.Color(f"{prefix}statut:N", scale=STATUS_SCALE, title="Couverture"),
            "tooltip": [alt.Tooltip(f"{prefix}{field}:N", title=title) for field, title in fields]}


def _commune_shapes(statuses: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The DROM communes among ``statuses`` as polygons, their status in their properties."""
    by_code = {status["code"]: status for status in statuses}
    drom = sorted({status["departement"] for status in statuses} & set(DROM_WITH_COMMUNE_SHAPES))
    return [_feature(feature, {key: value for key, value in by_code[feature["properties"]["code"]].items()
                               if key not in ("longitude", "latitude")})
            for departement in drom for feature in (communes_geojson(departement) or {}).get("features", [])
            if feature["properties"]["code"] in by_code]


def _coverage_layers(view: MapView, statuses: list[dict[str, Any]], level: str, size_by_population: bool,
                     datasets: dict[str, list]) -> list[alt.Chart]:
    """Outlines, DROM commune polygons, then one circle per other commune with a centroid."""
    layers = _background_layers(view, datasets) if view.has_shapes else []
    shapes = _commune_shapes(statuses)
    if shapes:
        layers.append(alt.Chart(_named(datasets, f"polygones-{view.key}", shapes))
                      .mark_geoshape(stroke="white", strokeWidth=0.4).encode(**_status_encoding(level, "properties.")))
    shaped = {shape["properties"]["code"] for shape in shapes}
    circles = [status for status in statuses if status["code"] not in shaped and status["latitude"] is not None]
    size = (alt.Size("population:Q", scale=alt.Scale(range=[6, 260]), legend=None) if size_by_population
            else alt.value(30))
    layers.append(alt.Chart(_named(datasets, f"communes-{view.key}", circles))
                  .mark_circle(opacity=0.8, stroke="white", strokeWidth=0.3)
                  .encode(longitude="longitude:Q", latitude="latitude:Q", size=size, **_status_encoding(level)))
    return layers


@bulk
def coverage_map(coverage: Coverage, category: str, departements: Iterable[str], *, size_by_population: bool = True,
                 width: int = 520, height: int = 520) -> alt.HConcatChart:
    """Communes covered for ``category`` and white zones, one panel per view (``map_views``):
    circles at the centroids (area by population) in metropolitan France and the COM, polygons in the DROM."""
    departements = _normalized(departements)
    statuses = commune_statuses(coverage, category, departements)

    def layers_of(view: MapView, datasets: dict[str, list]) -> list[alt.Chart]:
        here = [status for status in statuses if status["departement"] in view.departements]
        return _coverage_layers(view, here, coverage.level, size_by_population, datasets)

    unit = "commune" if coverage.level == "commune" else "EPCI"
    title = alt.Title(f"« {category} » : couverture par {unit}",
                      subtitle=f"{WHITE_ZONE} : aucun lieu n'y propose ce service")
    return _compose(map_views(departements), layers_of, title, width, height)
