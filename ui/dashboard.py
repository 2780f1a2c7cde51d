"""What the committee's pages share: the filter bar, charts and tables with their
downloads, and the « Rapport » of the current view.

Filters live in the session (so they follow the person from page to page) and in the URL query
parameters (so a link reproduces the view): a link's parameters are read when the session first
opens a dashboard; from then on the session's filters are written back to the URL of the page
shown at each run (Streamlit clears the query parameters on a page change).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from collect.campaigns import list_campaigns
from dashboards.charts import french, vega_lite_spec
from dashboards.export import Report, Section, chart_png, chart_svg, report_file_name, report_html, safe_file_name
from dashboards.filters import (
    QUERY_KEYS,
    DashboardFilters,
    describe,
    filter_options,
    from_query_params,
    history_start,
    to_query_params,
    typology_text,
)
from dashboards.rates import disclosed, disclosure_threshold
from models.cog import cog
from models.errors import MaillageError
from models.runtime import collector_paused
from models.store import Store
from ui.shared import csv_bytes, get_store, page_setup, viewer_zone

FILTERS = "dashboards.filtres"
WIDGETS = {"territoire": "dashboards.w.territoire", "typologie": "dashboards.w.typologie",
           "campagne": "dashboards.w.campagne", "periode": "dashboards.w.periode"}


# -- filters --------------------------------------------------------------------------------------


def _filter_choices(store: Store) -> tuple[list[str], list[str], list[dict[str, Any]], date]:
    """The départements and typologies present in the registry, the campaigns, the history's start."""
    with store.connect() as con:
        departements, kinds = filter_options(con)
        campaigns = list_campaigns(con)
        first = history_start(con)
    today = datetime.now(viewer_zone()).date()
    return departements, kinds, campaigns, min(first or today, today)


def _departement_text(code: str) -> str:
    found = cog().departement(code)
    return f"{found.nom} ({code})" if found else code


def _set_widgets(filters: DashboardFilters, first: date, today: date) -> None:
    st.session_state[WIDGETS["territoire"]] = list(filters.territoire)
    st.session_state[WIDGETS["typologie"]] = list(filters.typologie)
    st.session_state[WIDGETS["campagne"]] = filters.campagne
    st.session_state[WIDGETS["periode"]] = (max(first, min(filters.du or first, today)),
                                            max(first, min(filters.au or today, today)))


def dashboard_filters(store: Store) -> tuple[DashboardFilters, dict[str, Any] | None]:
    """Draw the filter bar in the sidebar; return the filters in effect and the chosen campaign
    (None when the store has none). The URL is updated to reproduce the view."""
    for key in WIDGETS.values():  # keep the widgets' values when the person comes from another page
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]
    departements, kinds, campaigns, first = _filter_choices(store)
    today = datetime.now(viewer_zone()).date()
    link = {key: st.query_params.get_all(key) for key in QUERY_KEYS if st.query_params.get_all(key)}
    current: DashboardFilters | None = st.session_state.get(FILTERS)
    # The link is read when the session opens a dashboard (a pasted link opens a new session). Later
    # runs may carry a URL older than the one just written (a rerun sent before the browser applied
    # it): the session's filters are then the truth, and the URL only follows them.
    if link and current is None:
        current, notes = from_query_params(link)
        for note in notes:
            st.warning(note, icon=":material/link_off:")
        _set_widgets(current, first, today)
    elif current is None or any(key not in st.session_state for key in WIDGETS.values()):
        current = current or DashboardFilters()
        _set_widgets(current, first, today)
    by_id = {campaign["id"]: campaign for campaign in campaigns}
    if st.session_state.get(WIDGETS["campagne"]) not in by_id:
        st.session_state[WIDGETS["campagne"]] = campaigns[0]["id"] if campaigns else None

    sidebar = st.sidebar
    sidebar.subheader("Filtres du tableau de bord")
    territoire = sidebar.multiselect(
        "Territoire (départements)", sorted(set(departements) | set(current.territoire)), key=WIDGETS["territoire"],
        format_func=_departement_text, placeholder="Tous")
    typologie = sidebar.multiselect(
        "Typologie des structures", sorted(set(kinds) | set(current.typologie)), key=WIDGETS["typologie"],
        format_func=typology_text, placeholder="Toutes")
    campagne = sidebar.selectbox(
        "Campagne", list(by_id) or [None], key=WIDGETS["campagne"],
        format_func=lambda cid: by_id[cid]["nom"] if cid in by_id else "Aucune campagne")
    du, au = first, today
    if first < today:
        du, au = sidebar.slider("Période", min_value=first, max_value=today, key=WIDGETS["periode"], format="DD/MM/YYYY",
                                help="La carte et l'offre sont montrées à la fin de la période et comparées à son début ;"
                                     " les indicateurs comptent les réponses données pendant la période.")
    chosen = DashboardFilters(territoire=territoire, typologie=typologie, campagne=campagne,
                              du=None if du <= first else du, au=None if au >= today else au)
    st.session_state[FILTERS] = chosen
    st.query_params.from_dict(to_query_params(chosen))
    return chosen, by_id.get(campagne)


def filters_caption(filters: DashboardFilters, campaign: Mapping[str, Any] | None) -> str:
    return describe(filters, campaign_name=campaign["nom"] if campaign else None)


# -- blocks of a dashboard page ---------------------------------------------------------------------


def open_dashboard(title: str, *, without_campaign: str | None = None) -> tuple[Store, DashboardPage]:
    """The start of every committee page: its title, the filter bar, the caption of the filters in
    effect; with ``without_campaign``, the page stops with that French note when there is no campaign."""
    page_setup("voir_tableaux")
    st.title(title)
    store = get_store()
    filters, campaign = dashboard_filters(store)
    try:
        page = DashboardPage(title, filters, campaign, threshold=disclosure_threshold())
    except MaillageError as error:
        st.error(str(error))
        st.stop()
    st.caption(page.report.subtitle)
    if without_campaign and campaign is None:
        st.info(without_campaign)
        st.stop()
    return store, page


class DashboardPage:
    """A committee page being drawn: each block is shown and kept for the page's report."""

    def __init__(self, title: str, filters: DashboardFilters, campaign: Mapping[str, Any] | None, *,
                 threshold: int) -> None:
        self.filters = filters
        self.campaign = campaign
        self.threshold = threshold  # smaller counts are not shown (``dashboards.rates.disclosure_threshold``)
        self.report = Report(title=title, subtitle=filters_caption(filters, campaign),
                             generated_at=datetime.now(viewer_zone()), zone=viewer_zone())
        self._section: Section | None = None

    def hides(self, count: int) -> bool:
        """Whether a figure resting on ``count`` structures stays hidden (``dashboards.rates.disclosed``)."""
        return not disclosed(count, self.threshold)

    def section(self, title: str, text: str | None = None) -> None:
        """Start a section: a subheader on the page, a part of the report."""
        st.subheader(title)
        if text:
            st.caption(text)
        self._section = Section(title=title, text=text)
        self.report.sections.append(self._section)

    def _current(self) -> Section:
        if self._section is None:
            self._section = Section(title=self.report.title)
            self.report.sections.append(self._section)
        return self._section

    def metrics(self, figures: Sequence[tuple[str, str]], *, help_texts: Mapping[str, str] | None = None) -> None:
        """A row of headline figures (label, formatted value)."""
        for column, (label, value) in zip(st.columns(len(figures)), figures, strict=True):
            column.metric(label, value, help=(help_texts or {}).get(label))
        self._current().metrics.extend(figures)

    def chart(self, chart: alt.TopLevelMixin, *, key: str, caption: str = "", stretch: bool = True) -> None:
        """A chart, with PNG and SVG downloads (made when clicked)."""
        styled = french(chart)
        with collector_paused():  # the datasets of a map to Arrow: thousands of objects
            st.vega_lite_chart(vega_lite_spec(styled), width="stretch" if stretch else "content", theme=None,
                               alt=_chart_title(chart) or None)
        name = caption or _chart_title(chart) or key
        left, right, _rest = st.columns([1, 1, 8])
        left.download_button("PNG", lambda: chart_png(styled), file_name=safe_file_name(name, "png"), mime="image/png",
                             key=f"{key}.png", icon=":material/image:", on_click="ignore")
        right.download_button("SVG", lambda: chart_svg(styled), file_name=safe_file_name(name, "svg"),
                              mime="image/svg+xml", key=f"{key}.svg", icon=":material/draw:", on_click="ignore")
        self._current().charts.append((caption, styled))

    def table(self, rows: Sequence[Mapping[str, Any]] | pd.DataFrame, *, key: str, caption: str,
              column_config: Mapping[str, Any] | None = None, in_report: bool = True) -> None:
        """A table with its CSV download (French Excel opens it as is)."""
        table = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
        st.dataframe(table, hide_index=True, column_config=dict(column_config or {}))
        st.download_button(f"CSV ({len(table)} lignes)", csv_bytes(table), file_name=safe_file_name(caption, "csv"),
                           mime="text/csv", key=f"{key}.csv", icon=":material/download:", on_click="ignore")
        if in_report:
            self._current().tables.append((caption, table))

    def report_button(self) -> None:
        """The « Rapport » download: one HTML file of everything this page showed."""
        report = self.report
        st.sidebar.download_button(
            "Rapport (HTML)", lambda: report_html(report), file_name=report_file_name(report), mime="text/html",
            key="dashboards.rapport", icon=":material/summarize:", type="primary", on_click="ignore",
            help="Un seul fichier pour le comité : graphiques, chiffres et tableaux de cette vue ; s'imprime en PDF.")


def _chart_title(chart: alt.TopLevelMixin) -> str:
    """The title the chart was given (``.properties(title=…)``), as text."""
    title = getattr(chart, "title", None)
    text = getattr(title, "text", title)
    return text if isinstance(text, str) else ""


def percent(value: float | None) -> str:
    """0.583 → « 58 % » (None → « — »)."""
    return "—" if value is None else f"{value:.0%}".replace("%", "\u202f%")


def percent_columns(*names: str) -> dict[str, Any]:
    """Column settings showing shares (0.583) as « 58,3 % »."""
    return {name: st.column_config.NumberColumn(name, format="percent") for name in names}
