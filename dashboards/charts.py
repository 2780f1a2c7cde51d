"""The committee's charts: tables of ``dashboards.rates``, ``offer`` and ``indicators`` → Altair.

Each builder takes the rows a dashboard function returned and gives a chart with its French title
(so a PNG pasted into slides says what it shows), numbers and dates in French (``french``), and
the data inline (no URL: charts draw and export offline). Pages lay them out; ``export`` turns
them into PNG, SVG and the report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt
import pandas as pd

from dashboards.indicators import QuestionCounts
from dashboards.rates import RATE_LABELS

BLUE = "#000091"  # the French State's blue (DSFR), the committee's slides' colour
RED = "#e1000f"
PALETTE = [BLUE, "#6a6af4", "#009081", "#c3992a", RED, "#a558a0"]
WIDTH = 560

# Vega's French locale: 1 234,5 and 12 %; dates « 24 nov. 2026 ».
FRENCH_LOCALE = {
    "number": {"decimal": ",", "thousands": "\u202f", "grouping": [3], "currency": ["", "\u00a0€"],
               "percent": "\u202f%"},
    "time": {
        "dateTime": "%A %e %B %Y à %X", "date": "%d/%m/%Y", "time": "%H:%M:%S",
        "periods": ["AM", "PM"],
        "days": ["dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"],
        "shortDays": ["dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."],
        "months": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
                   "octobre", "novembre", "décembre"],
        "shortMonths": ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
                        "nov.", "déc."],
    },
}


def french(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """The chart with the French locale and the app's look (apply once, to the top-level chart)."""
    return chart.configure(locale=FRENCH_LOCALE, font="Marianne, Arial, sans-serif").configure_title(
        anchor="start", fontSize=14).configure_view(stroke=None)


def vega_lite_spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """The chart's Vega-Lite spec, as the page sends it (``st.vega_lite_chart``) and vl-convert
    draws it: Altair's ``to_dict`` without its JSON-schema validation, and the named datasets set on
    the chart (the maps' thousands of points and polygons) added as they are instead of being
    walked and copied by Altair. A third of a page's time on 20 000 lieux otherwise; equal to the
    validated ``to_dict`` for every chart of this module and of ``dashboards.maps``
    (``tests/dashboards/test_charts.py``)."""
    datasets = chart.datasets if isinstance(chart.datasets, dict) else {}
    bare = chart.copy(deep=False)
    bare.datasets = alt.Undefined
    spec = bare.to_dict(validate=False)
    if datasets:
        spec["datasets"] = {**spec.get("datasets", {}), **datasets}
    return spec


def _bars_height(bars: int, per_bar: int = 24) -> int:
    """The height of a bar chart: room for each bar, and never so low that the title and the axis
    leave no room for the bars (Streamlit fits the whole chart, title included, to this height)."""
    return 70 + per_bar * max(bars, 1)


def _frame(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


def _period_axis_label(label: str) -> str:
    """« semaine du 12/10/2026 » or « 12/10/2026 » → « 12/10 » (axes are in the viewer's days, as
    the rows are: no time-zone conversion by the renderer)."""
    return label.removeprefix("semaine du ")[:5]


def rates_over_time_chart(rows: Sequence[Mapping[str, Any]], *, rates: Sequence[str] = ("RR1", "COOP1", "REF1", "CON1"),
                          period: str = "Semaine") -> alt.Chart:
    """Cumulative rates at the end of each period (``rates.rates_over_time`` rows): one line per rate."""
    table = _frame(rows)
    table["Période"] = table[period].map(_period_axis_label)
    long = table.melt(id_vars=[period, "Période"], value_vars=list(rates), var_name="Taux", value_name="Valeur")
    long["Nom"] = long["Taux"].map(lambda name: f"{name} — {RATE_LABELS.get(name, name)}")
    return alt.Chart(long).mark_line(point=True).encode(
        x=alt.X("Période:O", sort=None, title=None, axis=alt.Axis(labelAngle=0, labelOverlap=True)),
        y=alt.Y("Valeur:Q", title="Taux cumulé", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("Nom:N", title=None, scale=alt.Scale(range=PALETTE),
                        legend=alt.Legend(orient="bottom", columns=2, labelLimit=400)),
        tooltip=[alt.Tooltip(f"{period}:N"), alt.Tooltip("Nom:N", title="Taux"), alt.Tooltip("Valeur:Q", format=".1%")],
    ).properties(title=f"Taux de réponse cumulés par {period.lower()} (AAPOR)", width=WIDTH, height=260)


def interviews_chart(rows: Sequence[Mapping[str, Any]], *, period: str = "Semaine") -> alt.Chart:
    """Interviews completed in each period (bars)."""
    table = _frame(rows)
    table["Période"] = table[period].map(_period_axis_label)
    return alt.Chart(table).mark_bar(color=BLUE).encode(
        x=alt.X("Période:O", sort=None, title=None, axis=alt.Axis(labelAngle=0, labelOverlap=True)),
        y=alt.Y("Entretiens de la période:Q", title="Entretiens"),
        tooltip=[f"{period}:N", "Entretiens de la période:Q", "Structures:Q"],
    ).properties(title=f"Entretiens réalisés par {period.lower()}", width=WIDTH, height=200)


def rates_by_chart(rows: Sequence[Mapping[str, Any]], dimension: str, *, rate: str = "RR1") -> alt.Chart:
    """One rate per group of a breakdown (``rates.rates_by`` rows), with each group's size."""
    table = _frame(rows)
    base = alt.Chart(table).encode(
        y=alt.Y(f"{dimension}:N", sort=None, title=None),
        x=alt.X(f"{rate}:Q", title=f"{rate} — {RATE_LABELS.get(rate, rate)}", axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1])),
        tooltip=[f"{dimension}:N", "Structures:Q", *(alt.Tooltip(f"{name}:Q", format=".1%")
                                                     for name in ("RR1", "RR3", "COOP1", "REF1", "CON1"))],
    )
    bars = base.mark_bar(color=BLUE)
    labels = base.mark_text(align="left", dx=3).encode(text=alt.Text(f"{rate}:Q", format=".0%"))
    return (bars + labels).properties(title=f"{rate} par {dimension.lower()}", width=WIDTH,
                                      height=_bars_height(len(table)))


def counts_chart(rows: Sequence[Mapping[str, Any]], *, category: str, count: str, share: str | None, title: str,
                 color: str = BLUE) -> alt.Chart:
    """Horizontal bars of ``count`` per ``category``, labelled with the share when given."""
    table = _frame(rows)
    tooltip: list[Any] = [f"{category}:N", f"{count}:Q"]
    if share:
        tooltip.append(alt.Tooltip(f"{share}:Q", format=".1%"))
    base = alt.Chart(table).encode(y=alt.Y(f"{category}:N", sort=None, title=None, axis=alt.Axis(labelLimit=320)),
                                   x=alt.X(f"{count}:Q", title=count), tooltip=tooltip)
    labels = base.mark_text(align="left", dx=3).encode(
        text=alt.Text(f"{share}:Q", format=".0%") if share else alt.Text(f"{count}:Q"))
    return (base.mark_bar(color=color) + labels).properties(title=title, width=WIDTH, height=_bars_height(len(table)))


def offer_chart(rows: Sequence[Mapping[str, Any]], title: str) -> alt.Chart:
    """Lieux per value of a list field (``offer.offer_counts`` rows)."""
    return counts_chart(rows, category="Valeur", count="Lieux", share="Part des lieux", title=title)


def question_chart(question: QuestionCounts) -> alt.Chart:
    """A closed question's answers: structures per answer, labelled with the share."""
    note = " (plusieurs réponses possibles)" if question.multiple else ""
    title = alt.TitleParams(question.libelle, subtitle=f"{question.answered} structures ont répondu{note}")
    return counts_chart(question.rows, category="Réponse", count="Structures", share="Part", title=title)


def coverage_chart(rows: Sequence[Mapping[str, Any]]) -> alt.Chart:
    """Per service category, the share of the population living in a covered unit (``Coverage.table``)."""
    table = _frame(rows)
    units = next(name for name in table.columns if name.endswith("s couvertes"))
    base = alt.Chart(table).encode(
        y=alt.Y("Catégorie:N", sort=None, title=None, axis=alt.Axis(labelLimit=320)),
        x=alt.X("Part de la population:Q", title="Part de la population couverte", axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1])),
        tooltip=["Catégorie:N", f"{units}:Q", "Population couverte:Q", "Zones blanches:Q",
                 alt.Tooltip("Part de la population:Q", format=".1%")],
    )
    labels = base.mark_text(align="left", dx=3).encode(text=alt.Text("Part de la population:Q", format=".0%"))
    return (base.mark_bar(color=BLUE) + labels).properties(
        title="Population couverte par catégorie de service", width=WIDTH, height=_bars_height(len(table)))


def offer_over_time_chart(rows: Sequence[Mapping[str, Any]]) -> alt.Chart:
    """Lieux and services offered at each date (``offer.offer_over_time`` rows)."""
    long = _frame(rows).melt(id_vars=["Date"], value_vars=["Lieux", "Services proposés"], var_name="Mesure",
                             value_name="Nombre")
    long["Date"] = pd.to_datetime(long["Date"])
    return alt.Chart(long).mark_line(point=True, interpolate="step-after").encode(
        x=alt.X("Date:T", title=None, axis=alt.Axis(format="%m/%Y")),
        y=alt.Y("Nombre:Q", title=None),
        color=alt.Color("Mesure:N", title=None, scale=alt.Scale(range=[BLUE, "#009081"]), legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip("Date:T", format="%d/%m/%Y"), "Mesure:N", "Nombre:Q"],
    ).properties(title="L'offre cartographiée dans le temps", width=WIDTH, height=240)


def offer_changes_chart(rows: Sequence[Mapping[str, Any]], title: str, *, before: str, after: str) -> alt.Chart:
    """Lieux per value at two dates side by side (``offer.offer_changes`` rows)."""
    long = _frame(rows).melt(id_vars=["Valeur"], value_vars=["Avant", "Après"], var_name="Quand", value_name="Lieux")
    long["Quand"] = long["Quand"].map({"Avant": before, "Après": after})
    return alt.Chart(long).mark_bar().encode(
        y=alt.Y("Valeur:N", sort=None, title=None, axis=alt.Axis(labelLimit=320)),
        yOffset=alt.YOffset("Quand:N", sort=[before, after]),
        x=alt.X("Lieux:Q", title="Lieux"),
        color=alt.Color("Quand:N", title=None, sort=[before, after], scale=alt.Scale(range=["#9a9aff", BLUE]),
                        legend=alt.Legend(orient="bottom")),
        tooltip=["Valeur:N", "Quand:N", "Lieux:Q"],
    ).properties(title=title, width=WIDTH, height=_bars_height(len(rows), 40))
