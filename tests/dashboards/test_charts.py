"""The committee's charts: each builder on a few hand-made rows, its French title and encodings, and
a real offline rendering (vl-convert) in the French locale."""

from __future__ import annotations

import html
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import altair as alt
import pandas as pd
import pytest
import vl_convert

from dashboards.charts import (
    FRENCH_LOCALE,
    coverage_chart,
    french,
    interviews_chart,
    offer_changes_chart,
    offer_chart,
    offer_over_time_chart,
    question_chart,
    rates_by_chart,
    rates_over_time_chart,
    vega_lite_spec,
)
from dashboards.indicators import QuestionCounts
from dashboards.maps import coverage_map, lieux_map
from dashboards.offer import coverage, offer_changes, offer_counts

PARIS = ZoneInfo("Europe/Paris")
AIDE = "Aide aux démarches administratives"
OUTILS = "Maîtrise des outils numériques du quotidien"
COGNAC, JARNAC = "16102", "16167"
LIEUX = [
    {"nom": "Médiathèque", "code_insee": COGNAC, "services": [AIDE, OUTILS]},
    {"nom": "France services", "code_insee": JARNAC, "services": [AIDE]},
]


def weeks(period: str = "Semaine", labels: tuple[str, str] = ("semaine du 12/10/2026", "semaine du 19/10/2026")):
    """Two rows as ``rates.rates_over_time`` gives them."""
    return [
        {period: labels[0], "Fin": datetime(2026, 10, 19, tzinfo=PARIS), "Structures": 4, "I": 1,
         "Entretiens de la période": 1, "RR1": 0.25, "RR3": 0.3, "COOP1": 0.5, "REF1": 0.0, "CON1": 0.5, "e": 0.8},
        {period: labels[1], "Fin": datetime(2026, 10, 26, tzinfo=PARIS), "Structures": 4, "I": 2,
         "Entretiens de la période": 1, "RR1": 0.5, "RR3": 0.55, "COOP1": 0.5, "REF1": 0.25, "CON1": 0.75, "e": 0.8},
    ]


BY_TYPOLOGY = [  # as ``rates.rates_by(…, "typologie")`` gives them
    {"Typologie": "CCAS", "Structures": 6, "RR1": 0.5, "RR3": 0.55, "COOP1": 0.6, "REF1": 0.1, "CON1": 0.8},
    {"Typologie": "Autres (moins de 5)", "Structures": 5, "RR1": 0.2, "RR3": 0.25, "COOP1": 0.3, "REF1": 0.2,
     "CON1": 0.6},
]
PARTNERS = QuestionCounts(
    "partenaires", "Avec quels acteurs travaillez-vous déjà ?", "Partenariats", True, 2,
    [{"Réponse": "CCAS ou CIAS", "Structures": 2, "Part": 1.0},
     {"Réponse": "Médiathèque ou bibliothèque", "Structures": 1, "Part": 0.5},
     {"Réponse": "Aucun", "Structures": 0, "Part": 0.0}],
)
OVER_TIME = [  # as ``offer.offer_over_time`` gives them
    {"Date": date(2026, 3, 31), "Lieux": 3, "Lieux avec services": 2, "Services proposés": 3},
    {"Date": date(2026, 4, 30), "Lieux": 4, "Lieux avec services": 3, "Services proposés": 5},
]

BUILDERS = [
    pytest.param(lambda: rates_over_time_chart(weeks()), "Taux de réponse cumulés par semaine (AAPOR)",
                 {"x": ("Période", "ordinal"), "y": ("Valeur", "quantitative"), "color": ("Nom", "nominal")},
                 id="rates over time"),
    pytest.param(lambda: interviews_chart(weeks()), "Entretiens réalisés par semaine",
                 {"x": ("Période", "ordinal"), "y": ("Entretiens de la période", "quantitative")}, id="interviews"),
    pytest.param(lambda: rates_by_chart(BY_TYPOLOGY, "Typologie"), "RR1 par typologie",
                 {"y": ("Typologie", "nominal"), "x": ("RR1", "quantitative"), "text": ("RR1", "quantitative")},
                 id="rates by typology"),
    pytest.param(lambda: offer_chart(offer_counts(LIEUX, "services"), "Lieux par catégorie de service"),
                 "Lieux par catégorie de service",
                 {"y": ("Valeur", "nominal"), "x": ("Lieux", "quantitative"),
                  "text": ("Part des lieux", "quantitative")},
                 id="offer"),
    pytest.param(lambda: question_chart(PARTNERS),
                 {"text": "Avec quels acteurs travaillez-vous déjà ?",
                  "subtitle": "2 structures ont répondu (plusieurs réponses possibles)"},
                 {"y": ("Réponse", "nominal"), "x": ("Structures", "quantitative"), "text": ("Part", "quantitative")},
                 id="closed question"),
    pytest.param(lambda: coverage_chart(coverage(LIEUX, [COGNAC, JARNAC], categories=[AIDE, OUTILS]).table()),
                 "Population couverte par catégorie de service",
                 {"y": ("Catégorie", "nominal"), "x": ("Part de la population", "quantitative"),
                  "text": ("Part de la population", "quantitative")},
                 id="coverage"),
    pytest.param(lambda: offer_over_time_chart(OVER_TIME), "L'offre cartographiée dans le temps",
                 {"x": ("Date", "temporal"), "y": ("Nombre", "quantitative"), "color": ("Mesure", "nominal")},
                 id="offer over time"),
    pytest.param(lambda: offer_changes_chart(offer_changes(LIEUX[1:], LIEUX, "services"), "Lieux par service",
                                             before="01/03/2026", after="24/11/2026"),
                 "Lieux par service",
                 {"y": ("Valeur", "nominal"), "yOffset": ("Quand", "nominal"), "x": ("Lieux", "quantitative"),
                  "color": ("Quand", "nominal")},
                 id="offer changes"),
]


def encodings(spec):
    """Every channel but the tooltip, as (field, type), over the layers of a layered chart."""
    found = {}
    for layer in spec.get("layer", [spec]):
        for channel, encoding in layer.get("encoding", {}).items():
            if channel != "tooltip":
                found[channel] = (encoding["field"], encoding["type"])
    return found


def rows_of(spec):
    return spec["datasets"][spec["data"]["name"]]


def svg_texts(chart, *, in_french: bool = True) -> list[str]:
    """The texts drawn by vl-convert (the French locale applied by ``french`` unless told otherwise)."""
    svg = vl_convert.vegalite_to_svg((french(chart) if in_french else chart).to_json())
    return [html.unescape(text) for text in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]


@pytest.mark.parametrize(("build", "title", "channels"), BUILDERS)
def test_each_chart_has_its_french_title_and_encodings_and_renders_offline(build, title, channels):
    chart = build()
    spec = chart.to_dict()
    assert spec["title"] == title
    assert encodings(spec) == channels
    assert "url" not in spec["data"] and rows_of(spec)  # the data travels inside the chart
    texts = svg_texts(chart)
    assert (title if isinstance(title, str) else title["text"]) in texts


MAP_ROWS = [{"nom": "Médiathèque", "code_insee": COGNAC, "latitude": 45.69, "longitude": -0.33, "services": [AIDE]},
            {"nom": "Lieu de Nouméa", "code_insee": "98818", "services": [OUTILS]}]
MAPS = [
    pytest.param(lambda: lieux_map(MAP_ROWS, ["16", "988"]), id="lieux map"),
    pytest.param(lambda: coverage_map(coverage(MAP_ROWS, [COGNAC, JARNAC], categories=[AIDE, OUTILS]), AIDE, ["16"]),
                 id="coverage map"),
]


@pytest.mark.parametrize("build", [param.values[0] for param in BUILDERS + MAPS], ids=[param.id for param in BUILDERS + MAPS])
def test_the_spec_sent_to_the_page_is_altairs_validated_spec(build):
    chart = french(build())
    assert vega_lite_spec(chart) == chart.to_dict()  # to_dict validates against Vega-Lite's schema


def test_the_offer_changes_chart_names_its_two_dates():
    chart = offer_changes_chart(offer_changes(LIEUX[1:], LIEUX, "services"), "Lieux par service",
                                before="01/03/2026", after="24/11/2026")
    rows = rows_of(chart.to_dict())
    assert {row["Quand"] for row in rows} == {"01/03/2026", "24/11/2026"}
    assert {(row["Valeur"], row["Quand"]): row["Lieux"] for row in rows if row["Valeur"] == OUTILS} == {
        (OUTILS, "01/03/2026"): 0, (OUTILS, "24/11/2026"): 1}
    assert "24/11/2026" in svg_texts(chart)  # in the legend


@pytest.mark.parametrize(
    ("period", "labels"),
    [
        pytest.param("Semaine", ("semaine du 12/10/2026", "semaine du 19/10/2026"), id="weeks"),
        pytest.param("Jour", ("12/10/2026", "19/10/2026"), id="days"),
    ],
)
@pytest.mark.parametrize("builder", [rates_over_time_chart, interviews_chart])
def test_the_time_axis_shows_day_and_month_of_each_period(builder, period, labels):
    chart = builder(weeks(period, labels), period=period)
    rows = rows_of(chart.to_dict())
    assert sorted({row["Période"] for row in rows}) == ["12/10", "19/10"]
    assert {row[period] for row in rows} == set(labels)  # the whole label stays in the tooltip
    assert {"12/10", "19/10"} <= set(svg_texts(chart))
    assert f"par {period.lower()}" in chart.to_dict()["title"]


def test_each_rate_line_is_named_with_its_french_label():
    rows = rows_of(rates_over_time_chart(weeks(), rates=("RR1", "REF1")).to_dict())
    assert sorted({row["Nom"] for row in rows}) == [
        "REF1 — taux de refus", "RR1 — taux de réponse, complets (minimal)"]


def test_french_sets_the_french_locale_for_numbers_and_dates():
    table = pd.DataFrame({"Valeur": ["a"], "Nombre": [1234.5], "Part": [0.5]})
    chart = alt.Chart(table).mark_text().encode(text=alt.Text("Nombre:Q", format=",.1f"))
    config = french(chart).to_dict()["config"]
    assert config["locale"] == FRENCH_LOCALE and config["locale"]["number"]["decimal"] == ","
    assert svg_texts(chart) == ["1\u202f234,5"]  # a narrow no-break space between thousands, a decimal comma
    assert svg_texts(chart, in_french=False) == ["1,234.5"]  # Vega's default locale, for comparison
    share = alt.Chart(table).mark_text().encode(text=alt.Text("Part:Q", format=".0%"))
    assert svg_texts(share) == ["50\u202f%"]
