"""What each committee page computes for the filters in effect: one view per page, on the coordinator's real
six-structure campaign of ``tests/dashboards/test_calls.py`` (five in Charente, the Abymes in Guadeloupe)."""

from __future__ import annotations

import gc
import json
import shutil
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from collect.calls import add_targets, assign, log_attempt
from collect.campaigns import create_campaign
from collect.questionnaire import default_questionnaire
from collect.surveys import publish_questionnaire
from dashboards.filters import DashboardFilters
from dashboards.offer import OFFER_COLUMNS, territory_communes
from dashboards.rates import HEADLINE_RATES, aapor_rates, group_counts, rates_by, rates_over_time
from dashboards.views import (
    CampaignState,
    IndicatorsView,
    MainView,
    OfferView,
    RatesView,
    campaign_state,
    indicators_view,
    main_view,
    offer_view,
    rates_view,
)
from models.registry import create_structure
from models.store import Store
from tests.dashboards.test_calls import LIEUX, NOW, PARIS, paris

EVERYTHING = DashboardFilters()
GUADELOUPE = DashboardFilters(territoire=["971"])
CHARENTE = DashboardFilters(territoire=["16"])
# The campaign's dispositions (test_calls): complete, partial, refusal, never available, never called, exhausted.
COUNTS = {"I": 1, "P": 1, "R": 1, "NC": 1, "O": 0, "UH": 1, "UO": 1, "NE": 0}


@pytest.fixture(scope="module")
def built(tmp_path_factory, migrated_store_template):
    """The coordinator's campaign of ``tests/dashboards/test_calls.py`` (same lieux, assignments and calls), its
    targets set on 1 March 2026, before its first calls; Cognac answered on 3 March (with a contact name, personal),
    Jarnac on the 4th. Built once: the views only read."""
    target = tmp_path_factory.mktemp("views") / "maillage.duckdb"
    shutil.copy(migrated_store_template, target)
    store = Store(target, device="test")
    with store.atomic() as con:
        stored = publish_questionnaire(con, default_questionnaire(), by="t")
        campaign_id = create_campaign(con, nom="Diagnostic", questionnaire_id=stored.id, by="t")
        con.execute("UPDATE campaigns SET max_tentatives = 3 WHERE id = ?", [campaign_id])
        ids = {}
        for name, data in LIEUX.items():
            structure, issues = create_structure(con, {**data, "date_maj": "2026-01-01"}, by="t")
            assert structure is not None, issues
            ids[name] = structure.id
        add_targets(con, campaign_id, list(ids.values()), by="coord")
        con.execute("UPDATE campaign_targets SET created_at = TIMESTAMPTZ '2026-03-01 08:00:00+01' WHERE campaign_id = ?",
                    [campaign_id])
        assign(con, campaign_id, [ids["cognac"], ids["angouleme"]], "alice", by="coord")
        assign(con, campaign_id, [ids["abymes"], ids["jarnac"]], "bob", by="coord")
        assign(con, campaign_id, [ids["barbezieux"], ids["jarnac"]], "carol", by="coord")
        calls = [
            ("cognac", "alice", "pas_de_reponse", paris(2, 10), None),
            ("cognac", "alice", "complete", paris(3, 10), None),
            ("abymes", "bob", "rappel", paris(2, 15, 30), datetime(2026, 3, 5, 10, 0, tzinfo=ZoneInfo("America/Guadeloupe"))),
            ("angouleme", "alice", "pas_de_reponse", paris(3, 9, 30), None),
            ("angouleme", "alice", "pas_de_reponse", paris(4, 9, 30), None),
            ("angouleme", "alice", "pas_de_reponse", paris(6, 9, 30), None),
            ("jarnac", "carol", "pas_de_reponse", paris(2, 9, 15), None),
            ("barbezieux", "carol", "partielle", paris(5, 14), None),
            ("barbezieux", "carol", "rendez_vous", paris(6, 10), NOW - timedelta(minutes=10)),
        ]
        for who, surveyor, outcome, at, callback_at in calls:
            log_attempt(con, campaign_id, ids[who], outcome, surveyor=surveyor, by=surveyor, at=at,
                        callback_at=callback_at)
        assign(con, campaign_id, [ids["jarnac"]], "bob", by="coord")
        log_attempt(con, campaign_id, ids["jarnac"], "refus_ferme", surveyor="bob", by="bob", at=paris(4, 14))
        for response_id, who, answers, day in [
            ("r-cognac", "cognac", {"interesse_partenariat": True, "mobilite_frein": True, "peut_orienter": True,
                                    "contact_nom": "Jeanne Martin"}, 3),
            ("r-jarnac", "jarnac", {"interesse_partenariat": False, "mobilite_frein": True}, 4),
        ]:
            submitted = datetime(2026, 3, day, 11, 0, tzinfo=PARIS)
            con.execute(
                "INSERT INTO responses (id, structure_id, campaign_id, questionnaire_id, surveyor, revision, answers,"
                " submitted_at, created_at, updated_at, updated_by) VALUES (?, ?, ?, ?, 'alice', 1, ?, ?, ?, ?, 't')",
                [response_id, ids[who], campaign_id, stored.id, json.dumps(answers), submitted, submitted, submitted])
    return store, {"id": campaign_id, **ids}


@pytest.fixture
def store(built):
    return built[0]


@pytest.fixture
def targeted(built):
    return built[1]


@pytest.fixture
def answered(built):
    return built[1]


# -- a campaign's state ----------------------------------------------------------------------------------


def test_a_campaigns_state_counts_each_target_under_its_disposition_and_gives_its_rates(store, targeted):
    with store.connect() as con:
        state = campaign_state(con, targeted["id"], None)
    assert isinstance(state, CampaignState) and len(state.cases) == 6
    assert state.counts == COUNTS == group_counts(case.disposition.code for case in state.cases)
    assert state.rates == aapor_rates(COUNTS)
    assert state.rates["RR1"] == pytest.approx(1 / 6)


@pytest.mark.parametrize(
    ("scope", "cases", "counts"),
    [
        (lambda ids: {ids["abymes"]}, 1, {"NC": 1}),
        (lambda ids: {ids["cognac"], ids["jarnac"]}, 2, {"I": 1, "R": 1}),
        (lambda ids: set(), 0, {}),
    ],
    ids=["abymes", "cognac-and-jarnac", "nobody"],
)
def test_a_campaigns_state_narrows_to_the_structures_in_scope(store, targeted, scope, cases, counts):
    with store.connect() as con:
        state = campaign_state(con, targeted["id"], scope(targeted))
    assert len(state.cases) == cases
    assert {group: count for group, count in state.counts.items() if count} == counts
    assert state.rates == aapor_rates(state.counts)


# -- « Tableau de bord » -----------------------------------------------------------------------------------


def test_without_a_campaign_the_main_view_is_the_offer_alone(store, targeted):
    with store.connect() as con:
        view = main_view(con, EVERYTHING, None, zone=PARIS, now=datetime.now(PARIS))
    assert isinstance(view, MainView)
    assert len(view.lieux) == 6 and set(view.lieux[0]) >= set(OFFER_COLUMNS)
    assert (view.headline, view.weekly, view.latest) == (None, [], None)


def test_the_main_view_gives_the_headline_figures_and_the_rates_week_by_week_to_the_periods_end(store, answered):
    filters = DashboardFilters(au=date(2026, 3, 9))
    with store.connect() as con:
        view = main_view(con, filters, answered["id"], zone=PARIS, now=datetime.now(PARIS))
        state = campaign_state(con, answered["id"], None)
    assert [row["Semaine"] for row in view.weekly] == ["semaine du 23/02/2026", "semaine du 02/03/2026",
                                                      "semaine du 09/03/2026"]
    assert view.latest is view.weekly[-1]
    assert view.latest["Fin"] == datetime(2026, 3, 10, 0, 0, tzinfo=PARIS)  # the end of the period's last day
    assert {group: view.latest[group] for group in COUNTS} == state.counts  # the replay ends where the cases are
    assert set(HEADLINE_RATES) <= set(view.latest)
    assert view.headline["Structures enquêtées"] == 2
    assert view.headline["Intéressées par un partenariat"] == pytest.approx(0.5)
    assert view.headline["Citent la mobilité des publics comme frein"] == pytest.approx(1.0)


def test_the_main_view_shows_only_the_territory_chosen(store, answered):
    with store.connect() as con:
        view = main_view(con, GUADELOUPE, answered["id"], zone=PARIS, now=datetime.now(PARIS))
    assert [lieu["nom"] for lieu in view.lieux] == ["CCAS des Abymes"]
    assert view.latest["Structures"] == 1 and view.latest["NC"] == 1
    assert view.headline["Structures enquêtées"] == 0


def test_the_main_view_of_a_period_keeps_its_weeks_and_the_responses_first_submitted_in_it(store, answered):
    filters = DashboardFilters(du=date(2026, 3, 4), au=date(2026, 3, 9))
    with store.connect() as con:
        view = main_view(con, filters, answered["id"], zone=PARIS, now=datetime.now(PARIS))
    assert [row["Semaine"] for row in view.weekly] == ["semaine du 02/03/2026", "semaine du 09/03/2026"]
    assert view.headline["Structures enquêtées"] == 1  # Jarnac (4 March); Cognac answered on the 3rd


def test_a_campaign_with_no_target_in_scope_has_no_latest_rates(store, targeted):
    with store.connect() as con:
        view = main_view(con, DashboardFilters(territoire=["988"]), targeted["id"], zone=PARIS,
                         now=datetime.now(PARIS))
    assert (view.lieux, view.weekly, view.latest) == ([], [], None)


# -- « Taux de réponse » -----------------------------------------------------------------------------------


def test_the_rates_view_is_the_state_its_rates_over_time_and_a_breakdown_of_the_same_cases(store, targeted):
    filters = DashboardFilters(au=NOW.date())
    with store.connect() as con:
        view = rates_view(con, filters, targeted["id"], period="jour", dimension="enqueteur", zone=PARIS, min_cases=1)
        state = campaign_state(con, targeted["id"], None)
        over_time = rates_over_time(con, targeted["id"], until=filters.end_instant(PARIS), zone=PARIS)
        breakdown = rates_by(con, targeted["id"], "enqueteur", min_cases=1)
    assert isinstance(view, RatesView)
    assert (view.state.counts, view.state.rates) == (state.counts, state.rates)
    assert view.over_time == over_time
    assert view.over_time[0]["Jour"] == "01/03/2026"  # from the targeting, cumulative day by day
    assert view.breakdown == breakdown
    assert sum(row["Structures"] for row in view.breakdown) == 6


@pytest.mark.parametrize(("period", "last"), [("jour", "08/03/2026"), ("semaine", "semaine du 02/03/2026")])
def test_the_rates_over_time_stop_at_the_periods_last_day(store, targeted, period, last):
    filters = DashboardFilters(au=date(2026, 3, 8))  # a Sunday: its week is the one of Monday 2 March
    with store.connect() as con:
        view = rates_view(con, filters, targeted["id"], period=period, dimension="enqueteur", zone=PARIS)
    assert view.over_time[-1][{"jour": "Jour", "semaine": "Semaine"}[period]] == last
    assert view.over_time[-1]["Fin"] == datetime(2026, 3, 9, 0, 0, tzinfo=PARIS)


def test_the_rates_view_narrows_every_table_to_the_territory(store, targeted):
    with store.connect() as con:
        view = rates_view(con, CHARENTE, targeted["id"], period="semaine", dimension="departement", zone=PARIS,
                          min_cases=1)
    assert len(view.state.cases) == 5 and view.state.counts["NC"] == 0  # the Abymes' case is not in Charente
    assert {row["Structures"] for row in view.over_time[-1:]} == {5}
    assert [(row["Département"], row["Structures"]) for row in view.breakdown] == [("16", 5)]


def test_the_rates_view_leaves_out_groups_too_small_to_be_shown(store, targeted):
    with store.connect() as con:
        view = rates_view(con, EVERYTHING, targeted["id"], period="jour", dimension="departement", zone=PARIS)
    assert [(row["Département"], row["Structures"]) for row in view.breakdown] == [("16", 5)]  # Guadeloupe: 1


@pytest.mark.parametrize(("period", "dimension"), [("mois", "enqueteur"), ("jour", "couleur")])
def test_an_unknown_period_or_breakdown_is_refused(store, targeted, period, dimension):
    with store.connect() as con, pytest.raises(ValueError, match="unknown"):
        rates_view(con, EVERYTHING, targeted["id"], period=period, dimension=dimension, zone=PARIS)


# -- « Offre cartographiée » -------------------------------------------------------------------------------


def test_the_offer_view_shows_the_registry_today_its_departements_and_their_coverage(store, targeted):
    today = datetime.now(PARIS).date()
    with store.connect() as con:
        view = offer_view(con, EVERYTHING, level="commune", today=today)
    assert isinstance(view, OfferView)
    assert view.shown_on == today and len(view.lieux) == 6
    assert (view.before, view.coverage_before) == (None, None)
    assert view.departements == ["16", "971"]  # where the lieux are, when no territory is chosen
    assert view.communes == territory_communes(["16", "971"])
    assert len(view.coverage.units) == len(view.communes) and view.coverage.level == "commune"
    assert [(row["Date"], row["Lieux"]) for row in view.timeline] == [(today, 6)]  # the registry began today


def test_the_offer_view_of_a_territory_and_a_period_compares_its_start_and_end(store, targeted):
    today = datetime.now(PARIS).date()
    filters = DashboardFilters(territoire=["16"], du=today - timedelta(days=3), au=today)
    with store.connect() as con:
        view = offer_view(con, filters, level="epci", today=date(2030, 1, 1))
    assert view.shown_on == today  # the period's end, not the day given
    assert sorted(lieu["nom"] for lieu in view.lieux) == sorted(data["nom"] for name, data in LIEUX.items()
                                                                if name != "abymes")
    assert view.before == []  # none of them existed three days ago
    assert view.departements == ["16"] and view.communes == territory_communes(["16"])
    assert view.coverage.level == view.coverage_before.level == "epci"
    assert sum(unit.lieux for unit in view.coverage.units) == 5
    assert sum(unit.lieux for unit in view.coverage_before.units) == 0
    assert view.timeline[0] == {"Date": today - timedelta(days=3), "Lieux": 0, "Lieux avec services": 0,
                                "Services proposés": 0}
    assert view.timeline[-1]["Date"] == today and view.timeline[-1]["Lieux"] == 5


def test_the_offer_view_refuses_an_unknown_level(store, targeted):
    with store.connect() as con, pytest.raises(ValueError, match="unknown level"):
        offer_view(con, EVERYTHING, level="region", today=datetime.now(PARIS).date())


# -- « Indicateurs de l'enquête » --------------------------------------------------------------------------


def test_the_indicators_view_counts_the_responses_in_scope_without_personal_answers(store, answered):
    with store.connect() as con:
        view = indicators_view(con, EVERYTHING, answered["id"], zone=PARIS)
    assert isinstance(view, IndicatorsView)
    assert [row["id"] for row in view.responses] == ["r-jarnac", "r-cognac"]  # newest first
    assert all("contact_nom" not in row["answers"] for row in view.responses)  # never leaves the store
    assert view.headline["Structures enquêtées"] == 2
    counted = {question.code: question for question in view.questions}
    assert "interesse_partenariat" in counted and "contact_nom" not in counted
    assert all("Jeanne Martin" not in json.dumps(text, ensure_ascii=False, default=str) for text in view.texts)


@pytest.mark.parametrize(
    ("filters", "responses"),
    [
        (GUADELOUPE, []),
        (CHARENTE, ["r-jarnac", "r-cognac"]),
        (DashboardFilters(du=date(2026, 3, 4), au=date(2026, 3, 31)), ["r-jarnac"]),
        (DashboardFilters(au=date(2026, 3, 3)), ["r-cognac"]),
        (DashboardFilters(du=date(2026, 4, 1)), []),
    ],
    ids=["other-territory", "territory", "period", "until-a-day", "later-period"],
)
def test_the_indicators_view_keeps_the_responses_of_the_territory_and_period(store, answered, filters, responses):
    with store.connect() as con:
        view = indicators_view(con, filters, answered["id"], zone=PARIS)
    assert [row["id"] for row in view.responses] == responses
    assert view.headline["Structures enquêtées"] == len(responses)


# -- the garbage collector --------------------------------------------------------------------------------


def test_each_view_hands_the_garbage_collector_back_as_it_found_it_even_on_an_error(store, targeted):
    assert gc.isenabled()
    with store.connect() as con:
        main_view(con, EVERYTHING, targeted["id"], zone=PARIS, now=datetime.now(PARIS))
        assert gc.isenabled()
        with pytest.raises(ValueError):
            rates_view(con, EVERYTHING, targeted["id"], period="mois", dimension="enqueteur", zone=PARIS)
        assert gc.isenabled()
