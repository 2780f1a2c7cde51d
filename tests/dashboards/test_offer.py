"""The mapped offer and its coverage, on a small territory computed by hand, and as of a date."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dashboards.offer import (
    OFFER_FIELDS,
    coverage,
    coverage_changes,
    departements_of,
    offer_changes,
    offer_counts,
    offer_over_time,
    offer_totals,
    territory_communes,
    timeline_dates,
)
from models.registry import (
    StructureWrite,
    create_structure,
    delete_structure,
    insert_structures,
    structures_as_of,
    update_structure,
)
from models.standard import standard_v1
from models.store import utc_now
from models.structure import list_fields
from tests.dashboards.dated import edit_at, valid_structure

# Three communes of the CA du Grand Cognac (COG 2026 populations)
COGNAC, CHATEAUBERNARD, JARNAC = "16102", "16089", "16167"
POPULATION = {COGNAC: 18532, CHATEAUBERNARD: 3878, JARNAC: 4486}
AIDE = "Aide aux démarches administratives"
OUTILS = "Maîtrise des outils numériques du quotidien"
ROWS = [
    {"nom": "Médiathèque", "code_insee": COGNAC, "services": [AIDE, OUTILS]},
    {"nom": "France services", "code_insee": JARNAC, "services": [AIDE]},
    {"nom": "Association", "code_insee": JARNAC, "services": None},
    {"nom": "Ailleurs", "code_insee": "75056", "services": [OUTILS]},  # outside the territory: ignored
]


def test_coverage_per_category_by_commune():
    result = coverage(ROWS, [COGNAC, CHATEAUBERNARD, JARNAC], categories=[AIDE, OUTILS])
    table = {row["Catégorie"]: row for row in result.table()}
    total = sum(POPULATION.values())
    assert table[AIDE]["Communes couvertes"] == 2 and table[AIDE]["Part des communes"] == pytest.approx(2 / 3)
    assert table[AIDE]["Part de la population"] == pytest.approx((POPULATION[COGNAC] + POPULATION[JARNAC]) / total)
    assert table[OUTILS]["Population couverte"] == POPULATION[COGNAC] and table[OUTILS]["Zones blanches"] == 2
    assert [unit.nom for unit in result.white_zones(OUTILS)] == ["Jarnac", "Châteaubernard"]  # most populated first
    assert [unit.nom for unit in result.white_zones(AIDE)] == ["Châteaubernard"]
    assert {unit.nom: unit.lieux for unit in result.units} == {"Châteaubernard": 0, "Cognac": 1, "Jarnac": 2}


def test_coverage_by_epci_counts_the_epci_once():
    result = coverage(ROWS, [COGNAC, CHATEAUBERNARD, JARNAC], level="epci", categories=[AIDE])
    (unit,) = result.units
    assert (unit.nom, unit.lieux, unit.categories) == ("CA du Grand Cognac", 3, {AIDE})
    assert result.table()[0]["Part de la population"] == 1.0


def test_every_category_of_the_standard_is_listed_even_when_nobody_offers_it():
    result = coverage(ROWS, [COGNAC])
    assert len(result.table()) == 9
    assert sum(row["Communes couvertes"] for row in result.table()) == 2


def test_an_unknown_commune_or_level_is_refused():
    with pytest.raises(ValueError):
        coverage(ROWS, ["99999"])
    with pytest.raises(ValueError):
        coverage(ROWS, [COGNAC], level="canton")


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (ROWS, (4, 3, 4)),  # the association offers nothing; each lieu counts each of its services
        ([], (0, 0, 0)),
        ([{"nom": "Sans services", "services": None}, {"nom": "Liste vide", "services": []}], (2, 0, 0)),
        ([{"nom": "Un", "services": [AIDE]}, {"nom": "Deux", "services": [AIDE]}], (2, 2, 2)),  # once per lieu offering it
    ],
    ids=["territoire", "aucun-lieu", "sans-services", "meme-service"],
)
def test_the_offer_s_headline_figures_count_lieux_those_offering_a_service_and_their_services(rows, expected):
    assert offer_totals(rows) == dict(zip(("Lieux", "Lieux avec services", "Services proposés"), expected, strict=True))


def test_offer_counts_list_every_value_of_the_standard():
    counts = {row["Valeur"]: row for row in offer_counts(ROWS, "services")}
    assert counts[AIDE]["Lieux"] == 2 and counts[OUTILS]["Lieux"] == 2
    assert counts[AIDE]["Part des lieux"] == pytest.approx(0.5)
    assert len(counts) == 9 and counts["Parentalité et éducation avec le numérique"]["Lieux"] == 0


def test_the_territory_of_a_departement_is_its_current_communes():
    communes = territory_communes(["16"])
    assert COGNAC in communes and len(communes) > 300 and all(code.startswith("16") for code in communes)


def test_the_offer_as_of_a_date_reads_the_history(store):
    with store.atomic() as con:
        structure, issues = create_structure(con, {
            "nom": "Médiathèque de Cognac", "commune": "Cognac", "code_postal": "16100", "adresse": "1 rue",
            "date_maj": "2026-01-01", "services": [AIDE]}, by="t")
        assert structure is not None, issues
    between = utc_now()
    with store.atomic() as con:
        update_structure(con, structure.id, {"services": [AIDE, OUTILS]}, by="t")
        before = structures_as_of(con, between)
        after = structures_as_of(con, utc_now() + timedelta(seconds=1))
    territory = [COGNAC]
    assert coverage(before, territory, categories=[OUTILS]).table()[0]["Communes couvertes"] == 0
    assert coverage(after, territory, categories=[OUTILS]).table()[0]["Communes couvertes"] == 1


# -- the offer between two dates --------------------------------------------------------------------

PARIS = ZoneInfo("Europe/Paris")


def test_offer_changes_give_each_value_before_after_and_the_difference():
    before = [{"services": [AIDE]}, {"services": [AIDE]}, {"services": [AIDE, OUTILS]}]
    changes = offer_changes(before, ROWS, "services")
    assert changes[:2] == [  # in the order of the later date: most frequent first, then by name
        {"Valeur": AIDE, "Avant": 3, "Après": 2, "Évolution": -1},
        {"Valeur": OUTILS, "Avant": 1, "Après": 2, "Évolution": 1},
    ]
    assert len(changes) == 9 and all(row["Avant"] == row["Après"] == row["Évolution"] == 0 for row in changes[2:])


def _lieux(categories_by_commune):
    return [{"nom": f"Lieu de {code}", "code_insee": code, "services": sorted(categories)}
            for code, categories in categories_by_commune.items()]


def test_coverage_changes_name_the_communes_that_gained_or_lost_a_category_most_populated_first():
    territory = [COGNAC, CHATEAUBERNARD, JARNAC]
    before = coverage(_lieux({COGNAC: {AIDE, OUTILS}, JARNAC: {AIDE}}), territory, categories=[AIDE, OUTILS])
    after = coverage(_lieux({COGNAC: {AIDE}, JARNAC: {AIDE, OUTILS}, CHATEAUBERNARD: {OUTILS}}), territory,
                     categories=[AIDE, OUTILS])
    assert coverage_changes(before, after) == [
        {"Catégorie": AIDE, "Couvertes avant": 2, "Couvertes après": 2, "Nouvellement couvertes": "",
         "Plus couvertes": ""},
        {"Catégorie": OUTILS, "Couvertes avant": 1, "Couvertes après": 2,
         "Nouvellement couvertes": "Jarnac, Châteaubernard",  # 4 486 inhabitants before 3 878
         "Plus couvertes": "Cognac"},
    ]


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(([COGNAC, JARNAC], "commune"), ([COGNAC, CHATEAUBERNARD], "commune"), id="other communes"),
        pytest.param(([COGNAC, JARNAC], "commune"), ([COGNAC], "commune"), id="a commune fewer"),
        pytest.param(([COGNAC, JARNAC], "commune"), ([COGNAC, JARNAC], "epci"), id="another level"),
    ],
)
def test_coverage_changes_compare_only_the_same_territory_at_the_same_level(before, after):
    (communes_before, level_before), (communes_after, level_after) = before, after
    with pytest.raises(ValueError):
        coverage_changes(coverage(ROWS, communes_before, level=level_before),
                         coverage(ROWS, communes_after, level=level_after))


def _days(first, *offsets):
    return [first + timedelta(days=offset) for offset in offsets]


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        pytest.param(date(2025, 1, 15), date(2025, 12, 20),
                     [date(2025, 1, 15), date(2025, 1, 31), date(2025, 2, 28), date(2025, 3, 31), date(2025, 4, 30),
                      date(2025, 5, 31), date(2025, 6, 30), date(2025, 7, 31), date(2025, 8, 31), date(2025, 9, 30),
                      date(2025, 10, 31), date(2025, 11, 30), date(2025, 12, 20)],
                     id="a year: the first day, every month end, the last day"),
        pytest.param(date(2024, 1, 1), date(2025, 12, 31),
                     [date(2024, 1, 1), date(2024, 2, 29), date(2024, 4, 30), date(2024, 6, 30), date(2024, 8, 31),
                      date(2024, 10, 31), date(2024, 12, 31), date(2025, 2, 28), date(2025, 4, 30), date(2025, 6, 30),
                      date(2025, 8, 31), date(2025, 10, 31), date(2025, 12, 31)],
                     id="two years: every other month end, counted back from the last day"),
        pytest.param(date(2026, 8, 31), date(2026, 11, 24),
                     [date(2026, 8, 31), date(2026, 9, 30), date(2026, 10, 31), date(2026, 11, 24)],
                     id="four month ends are enough for month ends"),
        pytest.param(date(2026, 11, 1), date(2026, 11, 24), _days(date(2026, 11, 1), 0, 2, 4, 6, 8, 10, 13, 15, 17, 19,
                                                                   21, 23),
                     id="a few weeks: twelve evenly spaced days"),
        pytest.param(date(2026, 11, 20), date(2026, 11, 24), _days(date(2026, 11, 20), 0, 1, 2, 3, 4),
                     id="a few days: every day"),
        pytest.param(date(2026, 11, 24), date(2026, 11, 24), [date(2026, 11, 24)], id="one day"),
        pytest.param(date(2026, 11, 25), date(2026, 11, 24), [date(2026, 11, 24)],
                     id="a start after the end: the end alone"),
    ],
)
def test_timeline_dates_are_month_ends_over_a_long_span_else_evenly_spaced_days(first, last, expected):
    assert timeline_dates(first, last) == expected


def test_timeline_dates_take_fewer_month_ends_when_asked_fewer_points():
    assert timeline_dates(date(2025, 1, 15), date(2025, 12, 20), points=4) == [
        date(2025, 1, 15), date(2025, 3, 31), date(2025, 6, 30), date(2025, 9, 30), date(2025, 12, 20)]


# A small registry with a past: three lieux on the map since 2 March 2026; on 15 June the
# médiathèque stopped one service and the Basse-Terre CCAS started one; the Cognac CCAS is
# deleted at the present instant (see ``dated_registry``).
MARCH = datetime(2026, 3, 2, 9, 0, tzinfo=PARIS)
JUNE = datetime(2026, 6, 15, 10, 0, tzinfo=PARIS)
DATED_LIEUX = {
    "ccas_cognac": {"nom": "CCAS de Cognac", "commune": "Cognac", "code_postal": "16100", "code_insee": COGNAC,
                    "typologie": ["CCAS"], "services": [AIDE]},
    "mediatheque": {"nom": "Médiathèque de Jarnac", "commune": "Jarnac", "code_postal": "16200", "code_insee": JARNAC,
                    "typologie": ["BIB"], "services": [AIDE, OUTILS]},
    "ccas_basse_terre": {"nom": "CCAS de Basse-Terre", "commune": "Basse-Terre", "code_postal": "97100",
                         "code_insee": "97105", "typologie": ["CCAS"]},
}


@pytest.fixture
def dated_registry(store):
    structures = {name: valid_structure(data) for name, data in DATED_LIEUX.items()}
    with store.atomic() as con:
        insert_structures(con, [StructureWrite(s) for s in structures.values()], by="coord", now=MARCH)
        edit_at(con, structures["mediatheque"].id, {"services": [AIDE]}, JUNE)
        edit_at(con, structures["ccas_basse_terre"].id, {"services": [OUTILS]}, JUNE)
        delete_structure(con, structures["ccas_cognac"].id, by="coord")
    return {name: structure.id for name, structure in structures.items()}


def test_the_offer_over_time_counts_lieux_and_services_at_each_date(store, dated_registry):
    today = utc_now().astimezone(PARIS).date()
    dates = [date(2026, 3, 1), date(2026, 3, 2), date(2026, 6, 15), today]
    with store.connect() as con:
        assert offer_over_time(con, dates) == [
            {"Date": date(2026, 3, 1), "Lieux": 0, "Lieux avec services": 0, "Services proposés": 0},
            {"Date": date(2026, 3, 2), "Lieux": 3, "Lieux avec services": 2, "Services proposés": 3},
            {"Date": date(2026, 6, 15), "Lieux": 3, "Lieux avec services": 3, "Services proposés": 3},
            {"Date": today, "Lieux": 2, "Lieux avec services": 2, "Services proposés": 2},  # Cognac deleted
        ]
        assert offer_over_time(con, []) == []


@pytest.mark.parametrize(
    ("departements", "typologies"),
    [((), ()), (["16"], ()), (["971"], ()), (["16", "971"], ()), ((), ["CCAS"]), (["16"], ["CCAS", "BIB"]),
     (["988"], ())],
)
def test_the_offer_over_time_is_the_registry_as_of_each_date_counted(store, dated_registry, departements, typologies):
    today = utc_now().astimezone(PARIS).date()
    dates = timeline_dates(date(2026, 2, 1), today)
    with store.connect() as con:
        expected = []
        for day in dates:
            rows = structures_as_of(con, day, departements=departements, typologies=typologies)
            expected.append({"Date": day, **offer_totals(rows)})  # the pages' figures, one date at a time
        assert offer_over_time(con, dates, departements=departements, typologies=typologies) == expected


def test_the_offer_over_time_of_a_date_given_twice_is_counted_once(store, dated_registry):
    day = date(2026, 4, 1)
    with store.connect() as con:
        (once,) = offer_over_time(con, [day])
        assert offer_over_time(con, [day, day]) == [once, once]


def test_the_departements_of_some_lieux_are_those_of_their_communes():
    rows = [
        {"code_insee": COGNAC},
        {"code_insee": "97105"},
        {"code_insee": "98818"},
        {"commune": "Ajaccio", "code_postal": "20000"},  # no INSEE code: found by name and postcode
        {"code_insee": JARNAC},
        {"nom": "Nulle part"},
    ]
    assert departements_of(rows) == ["16", "2A", "971", "988"]
    assert departements_of([]) == []


@pytest.mark.parametrize("field_name", list(OFFER_FIELDS))
def test_the_offer_is_described_by_list_fields_of_the_standard(field_name):
    assert field_name in list_fields()
    assert standard_v1().choices(field_name)
    assert len(offer_counts([], field_name)) == len(standard_v1().choices(field_name))
