"""Chart images and the steering committee's one-file report.

- ``chart_png`` / ``chart_svg`` render an Altair chart with vl-convert, offline: the charts carry
  their data inline, a chart reading data from a URL is refused, and vl-convert is told to fetch
  nothing (``allowed_base_urls=[]``). Numbers and dates on the axes use the French locale.
- ``report_html`` writes the report as **one HTML file**: it opens in any browser, by e-mail or
  from a USB stick, and « Imprimer → Enregistrer en PDF » gives a clean PDF (print CSS), so no
  PDF engine is needed. Everything is inside the file: inline CSS, no JavaScript, no external
  URL (a Content-Security-Policy forbids fetching anyway). Charts are embedded as inline SVG
  (vector, sharp when printed, text searchable), their ids prefixed per chart so two charts'
  clip paths or gradients never clash. Every text coming from data is HTML-escaped.
"""

from __future__ import annotations

import html
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import altair as alt
import pandas as pd
import vl_convert as vlc

from dashboards.charts import vega_lite_spec
from models.moments import PARIS, moment_text

_RENDERING: dict[str, Any] = {"allowed_base_urls": [], "format_locale": "fr-FR", "time_format_locale": "fr-FR"}
_SVG_REFERENCES = re.compile(r'(\sid="|="url\(#|\shref="#)([^")]+)')


def chart_spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """The chart's Vega-Lite spec with its data inline (NaN → null, datetimes → ISO text); raises
    ValueError when some data is read from a URL."""
    spec = vega_lite_spec(chart)
    url = _data_url(spec)
    if url is not None:
        raise ValueError(f"Chart data must be inline; this chart reads data from a URL: {url}")
    return spec


def _data_url(node: Any) -> str | None:
    """The first ``{"data": {"url": …}}`` anywhere in a spec (layers, concatenations, lookups)."""
    if isinstance(node, Mapping):
        data = node.get("data")
        if isinstance(data, Mapping) and "url" in data:
            return str(data["url"])
        node = node.values()
    if isinstance(node, Iterable) and not isinstance(node, str):
        return next((url for child in node if (url := _data_url(child)) is not None), None)
    return None


def chart_png(chart: alt.TopLevelMixin, *, scale: float = 2) -> bytes:
    """The chart as a PNG image, ``scale`` times its size in pixels (2: sharp on screens and paper)."""
    return vlc.vegalite_to_png(chart_spec(chart), scale=scale, **_RENDERING)


def chart_svg(chart: alt.TopLevelMixin) -> bytes:
    """The chart as an SVG image (UTF-8 bytes)."""
    return vlc.vegalite_to_svg(chart_spec(chart), **_RENDERING).encode("utf-8")


def safe_file_name(title: str, ext: str) -> str:
    """« Taux de réponse par semaine », "png" → ``taux-de-reponse-par-semaine.png``: accents
    folded, only ASCII letters, digits and hyphens (``export`` when nothing is left)."""
    folded = unicodedata.normalize("NFKD", title.replace("œ", "oe").replace("Œ", "Oe").replace("æ", "ae"))
    stem = re.sub(r"[^a-z0-9]+", "-", folded.encode("ascii", "ignore").decode().lower()).strip("-")
    return f"{stem[:80].rstrip('-') or 'export'}.{ext.lstrip('.')}"


@dataclass
class Section:
    """One part of the report: a title, an optional text, key figures (label, formatted value),
    charts (caption, chart) and tables (caption, table)."""

    title: str
    text: str | None = None
    metrics: list[tuple[str, str]] = field(default_factory=list)
    charts: list[tuple[str, alt.TopLevelMixin]] = field(default_factory=list)
    tables: list[tuple[str, pd.DataFrame]] = field(default_factory=list)


@dataclass
class Report:
    """The committee's report; ``subtitle`` says which filters are in effect, times are shown in ``zone``."""

    title: str
    subtitle: str
    generated_at: datetime
    sections: list[Section] = field(default_factory=list)
    zone: ZoneInfo = PARIS

    def __post_init__(self) -> None:
        if self.generated_at.tzinfo is None:
            raise ValueError("Report.generated_at must be timezone-aware")


def report_file_name(report: Report) -> str:
    """``rapport-comite-2026-11-24.html``: the title and the day it was generated, in its zone."""
    return safe_file_name(f"{report.title} {report.generated_at.astimezone(report.zone):%Y-%m-%d}", "html")


def cell_text(value: Any, *, share: bool = False, zone: ZoneInfo = PARIS) -> str:
    """A table cell as French text: empty for None/NaN/NaT, « oui »/« non », « 1 234,5 », a share
    (0–1) as « 66,7 % », dates « 24/11/2026 », aware times « 24/11/2026 à 10:41 » in ``zone``."""
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return ""
    if pd.api.types.is_bool(value):
        return "oui" if value else "non"
    if _is_number(value) and math.isfinite(value):
        if share:
            return _number_text(value * 100, 1) + "\u202f%"
        return _number_text(value, 2 if pd.api.types.is_float(value) else 0)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            return moment_text(value, zone)
        return value.strftime("%d/%m/%Y" if value.time() == time(0) else "%d/%m/%Y à %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, Iterable) and not isinstance(value, (str, bytes, Mapping)):
        return ", ".join(cell_text(item, zone=zone) for item in value)
    return str(value)


def _is_number(value: Any) -> bool:
    """Python or NumPy int or float, not a bool."""
    return pd.api.types.is_integer(value) or pd.api.types.is_float(value)


def _number_text(number: float, decimals: int) -> str:
    """« 1 234,57 » (no-break space between thousands, decimal comma, trailing zeros dropped)."""
    text = f"{number:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(",", "\u00a0").replace(".", ",")


def report_html(report: Report) -> bytes:
    """The report as one self-contained HTML5 file (UTF-8): no script, nothing fetched, print-ready."""
    e = html.escape
    sections = "\n".join(_section_html(section, number, report.zone)
                         for number, section in enumerate(report.sections, 1))
    page = f"""<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(report.title)}</title>
<style>{_CSS}</style>
</head>
<body>
<header><h1>{e(report.title)}</h1><p class="subtitle">{e(report.subtitle)}</p></header>
<main>
{sections}
</main>
<footer>Rapport généré par Maillage le {moment_text(report.generated_at, report.zone)}</footer>
</body>
</html>
"""
    return page.encode("utf-8")


def _section_html(section: Section, number: int, zone: ZoneInfo) -> str:
    e = html.escape
    parts = [f"<h2>{e(section.title)}</h2>"]
    for paragraph in re.split(r"\n\s*\n", (section.text or "").strip()):
        if paragraph:
            parts.append("<p>" + "<br>".join(e(line) for line in paragraph.splitlines()) + "</p>")
    if section.metrics:
        items = "".join(f"<div><dt>{e(label)}</dt><dd>{e(str(value))}</dd></div>" for label, value in section.metrics)
        parts.append(f'<dl class="metrics">{items}</dl>')
    for index, (caption, chart) in enumerate(section.charts, 1):
        svg = _inline_svg(chart, prefix=f"s{number}c{index}")
        parts.append(f'<figure class="chart">{svg}<figcaption>{e(caption)}</figcaption></figure>')
    parts += [_table_html(caption, table, zone) for caption, table in section.tables]
    return "<section>\n" + "\n".join(parts) + "\n</section>"


def _inline_svg(chart: alt.TopLevelMixin, *, prefix: str) -> str:
    """The chart's SVG without XML declaration, its ids (clip paths, gradients) prefixed."""
    svg = re.sub(r"^\s*<\?xml[^>]*\?>\s*", "", chart_svg(chart).decode("utf-8"))
    return _SVG_REFERENCES.sub(lambda match: f"{match[1]}{prefix}-{match[2]}", svg)


def _table_html(caption: str, table: pd.DataFrame, zone: ZoneInfo) -> str:
    """An HTML table; a column named « Part … » holds shares (0–1) shown as percentages."""
    e = html.escape
    if any(name is not None for name in table.index.names):
        table = table.reset_index()
    shares = [str(column).split(" ")[0] == "Part" for column in table.columns]
    head = "".join(f'<th scope="col">{e(str(column))}</th>' for column in table.columns)
    rows = []
    for row in table.itertuples(index=False, name=None):
        cells = "".join(_cell_html(value, share, zone) for value, share in zip(row, shares, strict=True))
        rows.append(f"<tr>{cells}</tr>")
    return (f"<table><caption>{e(caption)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def _cell_html(value: Any, share: bool, zone: ZoneInfo) -> str:
    """A cell, right-aligned when it holds a number."""
    opening = '<td class="num">' if _is_number(value) else "<td>"
    return f"{opening}{html.escape(cell_text(value, share=share, zone=zone))}</td>"


_CSS = """
body { font-family: system-ui, "Segoe UI", Roboto, "DejaVu Sans", Arial, sans-serif; color: #1b1b1b;
       max-width: 62rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.45; }
h1 { margin-bottom: 0.2rem; } .subtitle { color: #555; margin-top: 0; }
h2 { border-bottom: 2px solid #2d5f8b; padding-bottom: 0.2rem; margin-top: 2.5rem; break-after: avoid; }
.metrics { display: flex; flex-wrap: wrap; gap: 0.75rem; margin: 1rem 0; }
.metrics div { border: 1px solid #ccd; border-radius: 6px; padding: 0.5rem 0.9rem; min-width: 10rem; }
.metrics dt { font-size: 0.85rem; color: #555; } .metrics dd { margin: 0; font-size: 1.4rem; font-weight: 600; }
figure.chart { margin: 1.5rem 0; } figure.chart svg { max-width: 100%; height: auto; }
figcaption, caption { font-style: italic; color: #444; text-align: left; padding: 0.3rem 0; }
table { border-collapse: collapse; margin: 1.5rem 0; font-size: 0.9rem; }
th, td { border: 1px solid #ccd; padding: 0.25rem 0.5rem; vertical-align: top; }
th { background: #eef2f7; text-align: left; } td.num { text-align: right; white-space: nowrap; }
footer { margin-top: 3rem; font-size: 0.8rem; color: #666; border-top: 1px solid #ccd; padding-top: 0.5rem; }
@media print {
  body { margin: 0; max-width: none; font-size: 10.5pt; }
  section, figure.chart, .metrics, tr { break-inside: avoid; page-break-inside: avoid; }
  h2 { page-break-after: avoid; } thead { display: table-header-group; }
  th { background: none; }
}
"""
