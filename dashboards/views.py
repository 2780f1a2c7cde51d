"""What each committee page computes, for the filters in effect: one function per page.

A page calls its view once per draw and lays the result out; the benchmark (``bench.dashboards``)
times the very same calls. Each view reads the store in one connection and returns plain tables
(charts are built from them by ``dashboards.charts`` and ``dashboards.maps``). Views run with
Python's cyclic collector paused (``models.runtime.bulk``: a quarter of a page's time on 20 000
structures otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import duckdb

from collect.calls import Case, load_cases
from dashboards.filters import DashboardFilters, history_start, registry_in_scope, structure_ids_in_scope
from dashboards.indicators import (
    HEADLINE_CODES,
    QuestionCounts,
    closed_questions,
    committee_codes,
    headline_indicators,
    publishable_answers,
    responses_in_scope,
)
from dashboards.offer import (
    OFFER_COLUMNS,
    Coverage,
    coverage,
    departements_of,
    offer_over_time,
    territory_communes,
    timeline_dates,
)
from dashboards.rates import MIN_CASES, aapor_rates, group_counts, rates_by, rates_over_time
from models.runtime import bulk


@dataclass
class CampaignState:
    """A campaign's cases in scope, their AAPOR group counts and rates (as of now)."""

    cases: list[Case]
    counts: dict[str, int]
    rates: dict[str, float | None]


def campaign_state(con: duckdb.DuckDBPyConnection, campaign_id: str, scope: set[str] | None) -> CampaignState:
    cases = [case for case in load_cases(con, campaign_id) if scope is None or case.structure_id in scope]
    counts = group_counts(case.disposition.code for case in cases)
    return CampaignState(cases, counts, aapor_rates(counts))


@dataclass
class MainView:
    """« Tableau de bord »: the diagnostic's headline figures, rates per week, the offer."""

    lieux: list[dict[str, Any]]
    headline: dict[str, Any] | None = None
    weekly: list[dict[str, Any]] = field(default_factory=list)

    @property
    def latest(self) -> dict[str, Any] | None:
        """The rates at the period's end (the last week's cumulative row: number of cases, group
        counts, ``HEADLINE_RATES`` and ``e``), None when the campaign has no target in scope. The
        replay ends in the state ``load_cases`` gives (``tests/models/test_dispositions.py``)."""
        return self.weekly[-1] if self.weekly else None


@bulk
def main_view(con: duckdb.DuckDBPyConnection, filters: DashboardFilters, campaign_id: str | None, *,
              zone: ZoneInfo, now: datetime) -> MainView:
    scope = structure_ids_in_scope(con, filters)
    until = filters.end_instant(zone)
    view = MainView(lieux=registry_in_scope(con, filters, until or now, fields=OFFER_COLUMNS))
    if campaign_id is not None:
        responses = responses_in_scope(con, campaign_id, structure_ids=scope, since=filters.start_instant(zone),
                                       until=until, codes=HEADLINE_CODES)
        view.headline = headline_indicators(con, campaign_id, responses)
        view.weekly = rates_over_time(con, campaign_id, period="semaine", zone=zone, until=until,
                                      since=filters.start_instant(zone), structure_ids=scope)
    return view


@dataclass
class RatesView:
    """« Taux de réponse »: the state, the rates per period, a breakdown."""

    state: CampaignState
    over_time: list[dict[str, Any]]
    breakdown: list[dict[str, Any]]


@bulk
def rates_view(con: duckdb.DuckDBPyConnection, filters: DashboardFilters, campaign_id: str, *, period: str,
               dimension: str, zone: ZoneInfo, min_cases: int = MIN_CASES) -> RatesView:
    scope = structure_ids_in_scope(con, filters)
    state = campaign_state(con, campaign_id, scope)
    over_time = rates_over_time(con, campaign_id, period=period, zone=zone, until=filters.end_instant(zone),
                                since=filters.start_instant(zone), structure_ids=scope)
    return RatesView(state, over_time, rates_by(con, campaign_id, dimension, cases=state.cases, min_cases=min_cases))


@dataclass
class OfferView:
    """« Offre cartographiée »: the registry at the period's end (and start), its timeline, coverage."""

    shown_on: date
    lieux: list[dict[str, Any]]
    before: list[dict[str, Any]] | None
    timeline: list[dict[str, Any]]
    departements: list[str]
    communes: list[str]
    coverage: Coverage
    coverage_before: Coverage | None


@bulk
def offer_view(con: duckdb.DuckDBPyConnection, filters: DashboardFilters, *, level: str, today: date) -> OfferView:
    shown_on = filters.au or today
    first = history_start(con) or today
    lieux = registry_in_scope(con, filters, shown_on, fields=OFFER_COLUMNS)
    before = registry_in_scope(con, filters, filters.du, fields=OFFER_COLUMNS) if filters.du else None
    timeline = offer_over_time(con, timeline_dates(filters.du or first, shown_on),
                               departements=filters.territoire, typologies=filters.typologie)
    departements = list(filters.territoire) or departements_of(lieux)
    communes = territory_communes(departements)
    return OfferView(shown_on, lieux, before, timeline, departements, communes,
                     coverage(lieux, communes, level=level),
                     coverage(before, communes, level=level) if before is not None else None)


@dataclass
class IndicatorsView:
    """« Indicateurs de l'enquête »: the responses in scope, their headline figures, every closed
    question counted, the publishable free texts."""

    responses: list[dict[str, Any]]
    headline: dict[str, Any]
    questions: list[QuestionCounts]
    texts: list[dict[str, Any]]


@bulk
def indicators_view(con: duckdb.DuckDBPyConnection, filters: DashboardFilters, campaign_id: str, *,
                    zone: ZoneInfo) -> IndicatorsView:
    scope = structure_ids_in_scope(con, filters)
    responses = responses_in_scope(con, campaign_id, structure_ids=scope, since=filters.start_instant(zone),
                                   until=filters.end_instant(zone), codes=committee_codes(con, campaign_id))
    return IndicatorsView(responses, headline_indicators(con, campaign_id, responses),
                          closed_questions(con, campaign_id, responses), publishable_answers(con, campaign_id, responses))
