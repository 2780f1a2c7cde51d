"""AAPOR response rates over disposition tables computed by hand."""

from __future__ import annotations

from fractions import Fraction as F

import pytest

from dashboards.rates import (
    MIN_CASES,
    RATE_NAMES,
    aapor_rates,
    disclosed,
    group_counts,
    proportional_e,
    rates_by,
    rates_over_time,
)
from tests.dashboards.test_calls import (
    NOW,
    PARIS,
    campaign,  # noqa: F401  (the six-structure campaign fixture)
)

# A campaign of 120 structures: 40 complete, 10 partial, 20 refusals, 15 never reached though
# eligible, 5 other, 6 never reached at all, 4 unknown (other), 20 not eligible.
TABLE = {"I": 40, "P": 10, "R": 20, "NC": 15, "O": 5, "UH": 6, "UO": 4, "NE": 20}
E = F(90, 110)  # eligible among the known: (40+10+20+15+5) / (90+20)
BY_HAND = {
    "RR1": F(40, 100), "RR2": F(50, 100), "RR3": 40 / (90 + E * 10), "RR4": 50 / (90 + E * 10),
    "RR5": F(40, 90), "RR6": F(50, 90),
    "COOP1": F(40, 75), "COOP2": F(50, 75), "COOP3": F(40, 70), "COOP4": F(50, 70),
    "REF1": F(20, 100), "REF2": 20 / (90 + E * 10), "REF3": F(20, 90),
    "CON1": F(75, 100), "CON2": 75 / (90 + E * 10), "CON3": F(75, 90),
}


@pytest.mark.parametrize("name", RATE_NAMES)
def test_each_rate_matches_the_hand_computation(name):
    assert aapor_rates(TABLE)[name] == pytest.approx(float(BY_HAND[name]))


def test_e_is_estimated_by_the_proportional_method_and_returned():
    assert proportional_e(TABLE) == pytest.approx(float(E))
    assert aapor_rates(TABLE)["e"] == pytest.approx(float(E))


@pytest.mark.parametrize(("e", "rr3"), [(0.5, F(40, 95)), (0.0, F(40, 90)), (1.0, F(40, 100))])
def test_a_given_e_is_used_by_the_rates_that_need_it(e, rr3):
    rates = aapor_rates(TABLE, e=e)
    assert rates["RR3"] == pytest.approx(float(rr3))
    assert rates["RR1"] == pytest.approx(0.4) and rates["e"] == e  # RR1 does not depend on e


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ({}, dict.fromkeys(RATE_NAMES)),  # nothing yet: every denominator is 0
        ({"NE": 7}, dict.fromkeys(RATE_NAMES)),  # only ineligible cases: e = 0, still nothing to divide
        ({"UH": 5}, {"RR1": 0.0, "RR2": 0.0, "RR3": None, "RR5": None, "COOP1": None, "REF1": 0.0, "CON1": 0.0,
                     "CON3": None}),  # only unknown: e cannot be estimated
        ({"R": 3}, {"RR1": 0.0, "COOP1": 0.0, "COOP3": 0.0, "REF1": 1.0, "REF3": 1.0, "CON1": 1.0}),
        ({"NC": 4, "NE": 4, "UO": 2}, {"RR3": 0.0, "COOP1": None, "CON2": 0.0}),
    ],
    ids=["empty", "only-ineligible", "only-unknown", "only-refusals", "no-contact"],
)
def test_edge_cases_give_none_where_a_denominator_is_zero(counts, expected):
    rates = aapor_rates(counts)
    for name, value in expected.items():
        assert rates[name] == (None if value is None else pytest.approx(value)), name


def test_e_of_a_table_without_known_eligibility_is_none():
    assert proportional_e({"UH": 3, "UO": 1}) is None
    assert proportional_e({"NE": 2}) == 0


@pytest.mark.parametrize(("counts", "e"), [({"X": 1}, None), ({"I": -1}, None), ({"I": 1}, 1.5)])
def test_bad_input_is_refused(counts, e):
    with pytest.raises(ValueError):
        aapor_rates(counts, e=e)


def test_group_counts_follow_the_disposition_codes():
    codes = ["1.1", "1.1", "1.2", "2.11", "2.12", "2.221", "2.30", "3.11", "3.90", "4.41"]
    assert group_counts(codes) == {"I": 2, "P": 1, "R": 2, "NC": 1, "O": 1, "UH": 1, "UO": 1, "NE": 1}


# -- breakdowns on a real campaign (the coordinator's six-structure campaign) ---------------------

def breakdown(store, campaign, dimension, **kwargs):
    with store.connect() as con:
        return {row[next(iter(row))]: row for row in rates_by(con, campaign["id"], dimension, **kwargs)}


def test_rates_by_surveyor_follow_each_surveyors_cases(store, campaign):
    rows = breakdown(store, campaign, "enqueteur", min_cases=1)
    alice = rows["alice"]  # Cognac complete (I), Angoulême three times unanswered (3.90, UO)
    assert (alice["Structures"], alice["I"], alice["UO"]) == (2, 1, 1)
    assert alice["RR1"] == pytest.approx(0.5) and alice["e"] == pytest.approx(1.0) and alice["RR3"] == pytest.approx(0.5)
    assert rows["Non attribuée"]["UH"] == 1  # Ruffec, never called
    assert sum(row["Structures"] for row in rows.values()) == 6


def test_small_groups_are_merged_so_no_structure_stands_out(store, campaign):
    rows = breakdown(store, campaign, "enqueteur")
    assert list(rows) == [f"Autres (moins de {MIN_CASES})"]
    assert rows[f"Autres (moins de {MIN_CASES})"]["Structures"] == 6


def test_small_groups_too_few_even_together_are_left_out(store, campaign):
    rows = breakdown(store, campaign, "departement")  # Charente 5 cases, Guadeloupe 1
    assert list(rows) == ["16"] and rows["16"]["Structures"] == 5


@pytest.mark.parametrize("dimension", ["typologie", "commune", "epci", "departement", "tentatives"])
def test_every_dimension_counts_every_case(store, campaign, dimension):
    rows = breakdown(store, campaign, dimension, min_cases=1)
    assert sum(row["Structures"] for row in rows.values()) == 6
    if dimension == "departement":
        assert rows["16"]["Structures"] == 5 and rows["971"]["Structures"] == 1
    if dimension == "tentatives":
        assert rows["3 tentatives"]["Structures"] == 1 and rows["0 (pas encore appelée)"]["Structures"] == 1
    if dimension == "epci":
        assert any(name != "Non renseigné" for name in rows)


def test_an_unknown_dimension_is_refused(store, campaign):
    with pytest.raises(ValueError):
        breakdown(store, campaign, "couleur")


@pytest.fixture
def targeted_on_march_1st(store, campaign):
    """The fixture's calls are dated March 2026: its targets are set before them."""
    with store.atomic() as con:
        con.execute("UPDATE campaign_targets SET created_at = TIMESTAMPTZ '2026-03-01 08:00:00+01' WHERE campaign_id = ?",
                    [campaign["id"]])
    return campaign


def test_rates_over_time_are_cumulative_day_by_day(store, targeted_on_march_1st):
    campaign = targeted_on_march_1st
    with store.connect() as con:
        days = {row["Jour"]: row for row in rates_over_time(con, campaign["id"], until=NOW, zone=PARIS)}
    assert list(days)[:2] == ["01/03/2026", "02/03/2026"] and list(days)[-1] == "09/03/2026"
    assert all(row["Structures"] == 6 for row in days.values())
    assert (days["02/03/2026"]["I"], days["03/03/2026"]["I"]) == (0, 1)  # Cognac completed on 03/03
    assert days["03/03/2026"]["Entretiens de la période"] == 1 and days["04/03/2026"]["Entretiens de la période"] == 0
    assert (days["03/03/2026"]["R"], days["04/03/2026"]["R"]) == (0, 1)  # Jarnac refused on 04/03
    assert (days["04/03/2026"]["P"], days["05/03/2026"]["P"]) == (0, 1)  # Barbezieux partial on 05/03
    assert days["09/03/2026"]["RR1"] == pytest.approx(1 / 6)


def test_rates_over_time_by_week_start_on_monday(store, targeted_on_march_1st):
    campaign = targeted_on_march_1st
    with store.connect() as con:
        weeks = rates_over_time(con, campaign["id"], period="semaine", until=NOW, zone=PARIS)
    # 01/03/2026 is a Sunday: its week began on Monday 23/02
    assert [row["Semaine"] for row in weeks] == ["semaine du 23/02/2026", "semaine du 02/03/2026", "semaine du 09/03/2026"]
    assert [row["I"] for row in weeks] == [0, 1, 1] and weeks[1]["Entretiens de la période"] == 1


@pytest.mark.parametrize(("count", "threshold", "shown"), [(0, 5, False), (4, 5, False), (5, 5, True), (6, 5, True),
                                                            (1, 1, True), (9, 10, False)])
def test_a_figure_is_shown_only_from_the_disclosure_threshold_up(count, threshold, shown):
    assert disclosed(count, threshold) is shown
