"""Chart images and the committee's report, rendered for real by vl-convert (offline)."""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import UTC, datetime
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import altair as alt
import pandas as pd
import pytest

from dashboards.export import (
    Report,
    Section,
    cell_text,
    chart_png,
    chart_spec,
    chart_svg,
    report_file_name,
    report_html,
    safe_file_name,
)
from models.moments import PARIS

SCRIPT = "<script>alert(1)</script>"
FORMULA = "=cmd|' /C calc'!A0"
GENERATED_AT = datetime(2026, 11, 24, 10, 41, tzinfo=UTC)
SVG = "{http://www.w3.org/2000/svg}"


def bar_chart(title: str = "Taux de réponse par semaine") -> alt.Chart:
    table = pd.DataFrame({"Territoire": ["Cognac", "Jarnac", SCRIPT], "Taux": [0.42, 0.58, 0.3]})
    return alt.Chart(table, title=title).mark_bar().encode(x="Territoire:N", y="Taux:Q", tooltip=["Territoire"])


def weekly_chart() -> alt.Chart:
    """Datetimes (aware, one missing) and a missing value, as the dashboards' tables have them."""
    table = pd.DataFrame({
        "Semaine": [datetime(2026, 11, 2, tzinfo=UTC), None, datetime(2026, 11, 16, tzinfo=UTC)],
        "Réponses": [12, None, 7],
    })
    return alt.Chart(table, title="Réponses par semaine").mark_line(point=True).encode(x="Semaine:T", y="Réponses:Q")


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk."""
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def test_png_has_the_signature_and_scale_multiplies_its_size():
    chart = bar_chart()
    single, double = chart_png(chart, scale=1), chart_png(chart, scale=2)
    assert single[:8] == double[:8] == b"\x89PNG\r\n\x1a\n" and single[12:16] == b"IHDR"
    width, height = png_size(single)
    assert width > 100 and png_size(double) == (2 * width, 2 * height)


def test_svg_parses_and_holds_the_title():
    root = ET.fromstring(chart_svg(bar_chart("Taux de réponse par semaine")))
    texts = [element.text for element in root.iter(f"{SVG}text")]
    assert root.tag == f"{SVG}svg" and "Taux de réponse par semaine" in texts
    assert SCRIPT in texts  # an axis label from data is text, never markup


def test_missing_values_and_datetimes_are_inline_json():
    spec = chart_spec(weekly_chart())
    (rows,) = spec["datasets"].values()
    assert rows[0] == {"Semaine": "2026-11-02T00:00:00+00:00", "Réponses": 12.0}
    assert rows[1]["Réponses"] is None  # NaN → null


@pytest.mark.parametrize("render", [chart_png, chart_svg])
def test_chart_with_datetimes_and_missing_values_renders(render):
    assert len(render(weekly_chart())) > 1000


URL_CHARTS = {
    "chart": alt.Chart(alt.UrlData("https://exemple.fr/structures.csv")).mark_point().encode(x="a:Q"),
    "layer": alt.layer(bar_chart(), alt.Chart("https://exemple.fr/seuils.json").mark_rule().encode(y="s:Q")),
}


@pytest.mark.parametrize("render", [chart_png, chart_svg])
@pytest.mark.parametrize("name", URL_CHARTS)
def test_chart_reading_data_from_a_url_is_refused(render, name):
    with pytest.raises(ValueError, match="inline.*https://exemple.fr/"):
        render(URL_CHARTS[name])


@pytest.mark.parametrize(("title", "ext", "expected"), [
    ("Taux de réponse par semaine", "png", "taux-de-reponse-par-semaine.png"),
    ("Cœur d'Hérault / Île-de-France (2026)", ".svg", "coeur-d-herault-ile-de-france-2026.svg"),
    (SCRIPT, "png", "script-alert-1-script.png"),
    ("« … »", "png", "export.png"),
])
def test_safe_file_name_folds_accents(title, ext, expected):
    assert safe_file_name(title, ext) == expected


@pytest.mark.parametrize(("value", "share", "expected"), [
    (None, False, ""), (float("nan"), False, ""), (pd.NA, False, ""), (pd.NaT, False, ""),
    (1234567, False, "1\u00a0234\u00a0567"), (1234.5678, False, "1\u00a0234,57"), (3.0, False, "3"),
    (2 / 3, True, "66,7\u202f%"), (True, False, "oui"), (["a", "b"], False, "a, b"),
    (datetime(2026, 11, 24, 10, 41, tzinfo=UTC), False, "24/11/2026 à 11:41"),
])
def test_cell_text_in_french(value, share, expected):
    assert cell_text(value, share=share) == expected


class PageParser(HTMLParser):
    """Every start tag with its attributes, the text, the table cells and the style sheet."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.cells: list[str] = []
        self.style = ""
        self._open: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._open.append(tag)
        if tag == "td":
            self.cells.append("")

    def handle_endtag(self, tag):
        while self._open and self._open.pop() != tag:
            pass

    def handle_data(self, data):
        self.text.append(data)
        if self._open and self._open[-1] == "td":
            self.cells[-1] += data
        if self._open and self._open[-1] == "style":
            self.style += data


def committee_report(zone: ZoneInfo = PARIS, *, charts: bool = True) -> Report:
    table = pd.DataFrame({
        "Structure": [SCRIPT, FORMULA, "Médiathèque de Jarnac"],
        "Site web": ["https://exemple.fr", None, "http://jarnac.fr"],
        "Réponses": [12, None, 3],
        "Part des lieux": [2 / 3, float("nan"), 0.5],
        "Relancée": [True, False, None],
    })
    return Report(
        title=f"Comité de pilotage {SCRIPT}",
        subtitle=f"Campagne 2026 · Charente · {FORMULA}",
        generated_at=GENERATED_AT,
        zone=zone,
        sections=[
            Section(title="Participation", text=f"Deux semaines.\n\n{SCRIPT}",
                    metrics=[("Structures enquêtées", "60"), (SCRIPT, FORMULA)],
                    charts=[("Taux par territoire", bar_chart()), (SCRIPT, weekly_chart())] if charts else []),
            Section(title=FORMULA, charts=[("Encore", bar_chart("Autre"))] if charts else [],
                    tables=[(f"Lieux {SCRIPT}", table)]),
        ],
    )


@pytest.fixture(scope="module")
def page() -> str:
    return report_html(committee_report()).decode("utf-8")


@pytest.fixture(scope="module")
def parsed(page) -> PageParser:
    parser = PageParser()
    parser.feed(page)
    parser.close()
    return parser


def test_report_is_one_self_contained_file(page, parsed):
    tags = Counter(tag for tag, _ in parsed.tags)
    assert page.startswith("<!DOCTYPE html>") and parsed.tags[0] == ("html", {"lang": "fr"})
    assert not tags.keys() & {"script", "link", "iframe", "object", "embed", "img", "base", "image", "use"}
    assert "<script" not in page.lower() and "@import" not in parsed.style and "url(" not in parsed.style
    # The only attribute values naming a web address are the SVG namespaces (names, never fetched)
    addresses = {(name, value) for _, attrs in parsed.tags for name, value in attrs.items() if "//" in (value or "")}
    assert addresses == {("xmlns", "http://www.w3.org/2000/svg"), ("xmlns:xlink", "http://www.w3.org/1999/xlink")}
    assert tags["svg"] == 3 and tags["style"] == 1 and tags["table"] == 1


def test_report_svg_ids_are_unique_and_resolve(parsed):
    ids = [attrs["id"] for _, attrs in parsed.tags if "id" in attrs]
    values = [value or "" for _, attrs in parsed.tags for value in attrs.values()]
    references = {value[5:-1] for value in values if value.startswith("url(#")}
    assert len(ids) == len(set(ids)) and references <= set(ids)


@pytest.mark.parametrize(("injected", "places"), [
    (SCRIPT, 7),  # <title>, h1, section text, metric label, chart and table captions, cell (+ SVG axis labels)
    (FORMULA, 4),  # subtitle, section title, metric value, cell
])
def test_report_shows_text_from_data_as_text_never_markup(page, parsed, injected, places):
    assert injected not in page and html.escape(injected) in page
    assert "".join(parsed.text).count(injected) >= places


def test_report_has_sections_metrics_and_tables(page, parsed):
    text = "".join(parsed.text)
    for expected in ("Participation", "Structures enquêtées", "60", "Taux par territoire", "Lieux <script>"):
        assert expected in text
    assert parsed.cells == [
        SCRIPT, "https://exemple.fr", "12", "66,7\u202f%", "oui",
        FORMULA, "", "", "", "non",
        "Médiathèque de Jarnac", "http://jarnac.fr", "3", "50\u202f%", "",
    ]
    assert [attrs.get("scope") for tag, attrs in parsed.tags if tag == "th"] == ["col"] * 5
    assert "@media print" in parsed.style and "page-break-inside: avoid" in parsed.style


@pytest.mark.parametrize(("zone", "shown"), [("Europe/Paris", "24/11/2026 à 11:41"),
                                              ("America/Guadeloupe", "24/11/2026 à 06:41"),
                                              ("Pacific/Noumea", "24/11/2026 à 21:41")])
def test_report_time_is_shown_in_its_zone(zone, shown):
    page = report_html(committee_report(ZoneInfo(zone), charts=False)).decode("utf-8")
    assert f"<footer>Rapport généré par Maillage le {shown}</footer>" in page


def test_report_file_name_carries_the_day_in_its_zone():
    late = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)
    report = Report(title="Rapport comité", subtitle="", generated_at=late)
    assert report_file_name(report) == "rapport-comite-2026-11-25.html"  # already the 25th in Paris
    report.zone = ZoneInfo("America/Guadeloupe")
    assert report_file_name(report) == "rapport-comite-2026-11-24.html"


def test_report_needs_an_aware_time():
    with pytest.raises(ValueError, match="timezone-aware"):
        Report(title="Rapport", subtitle="", generated_at=datetime(2026, 11, 24, 10, 41))
