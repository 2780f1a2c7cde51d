"""The dashboards' shared filters: read from a link, written back to one, described in French, and
applied to the registry as it stood on a date."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from dashboards.filters import (
    DashboardFilters,
    describe,
    from_query_params,
    history_start,
    registry_in_scope,
    structure_ids_in_scope,
    to_query_params,
    typology_text,
)
from models.cog import cog
from models.registry import (
    StructureWrite,
    create_structure,
    delete_structure,
    insert_structures,
    structures_as_of,
)
from models.store import utc_now
from models.typologies import typologies
from tests.dashboards.dated import edit_at, valid_structure

PARIS = ZoneInfo("Europe/Paris")
GUADELOUPE = ZoneInfo("America/Guadeloupe")
AIDE = "Aide aux démarches administratives"
OUTILS = "Maîtrise des outils numériques du quotidien"
CCAS_LABEL = "Centres communaux d’action sociale (CCAS)"

# -- reading a link -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected", "notes"),
    [
        pytest.param({}, DashboardFilters(), [], id="no parameter: everything, up to today"),
        pytest.param(
            {"territoire": "16,988", "typologie": "CCAS", "campagne": "c-1", "du": "2026-10-01", "au": "2026-11-24"},
            DashboardFilters(territoire=("16", "988"), typologie=("CCAS",), campagne="c-1",
                             du=date(2026, 10, 1), au=date(2026, 11, 24)),
            [], id="every filter of a link"),
        pytest.param({"territoire": " 971 , 16,,16 "}, DashboardFilters(territoire=("16", "971")), [],
                     id="a comma list is trimmed, sorted and without repeats"),
        pytest.param({"territoire": ["988", "16,971"], "typologie": ["BIB", "CCAS"], "campagne": ["c-1", "c-2"]},
                     DashboardFilters(territoire=("16", "971", "988"), typologie=("BIB", "CCAS"), campagne="c-1"), [],
                     id="list values are read too (the first campaign wins)"),
        pytest.param(
            {"territoire": "16,99,Charente"}, DashboardFilters(territoire=("16",)),
            ["Territoire « 99 » inconnu (code de département attendu, par exemple 16 ou 971) : ignoré.",
             "Territoire « Charente » inconnu (code de département attendu, par exemple 16 ou 971) : ignoré."],
            id="an unknown département is dropped with a note"),
        pytest.param({"territoire": "2a,2B", "typologie": "ccas"}, DashboardFilters(territoire=("2A", "2B"), typologie=("CCAS",)),
                     [], id="codes typed in lower case are understood"),
        pytest.param({"typologie": "CCAS,ZORGLUB"}, DashboardFilters(typologie=("CCAS",)),
                     ["Typologie « ZORGLUB » inconnue : ignorée."], id="an unknown typology is dropped with a note"),
        pytest.param(
            {"du": "01/10/2026", "au": "2026-11-31"}, DashboardFilters(),
            ["Date de début de période « 01/10/2026 » illisible (AAAA-MM-JJ attendu) : ignorée.",
             "Date de fin de période « 2026-11-31 » illisible (AAAA-MM-JJ attendu) : ignorée."],
            id="unreadable dates are dropped with a note"),
        pytest.param({"du": "2026-11-24", "au": "2026-10-01"},
                     DashboardFilters(du=date(2026, 10, 1), au=date(2026, 11, 24)),
                     ["La période commençait après sa fin : les deux dates ont été inversées."],
                     id="swapped dates are swapped back with a note"),
        pytest.param({"du": "2026-10-01", "au": "  "}, DashboardFilters(du=date(2026, 10, 1)), [],
                     id="an empty value is no filter"),
        pytest.param({"campagne": "  "}, DashboardFilters(), [], id="a blank campaign is the newest one"),
    ],
)
def test_a_link_is_read_leniently_with_a_french_note_for_each_value_dropped(params, expected, notes):
    assert from_query_params(params) == (expected, notes)


def test_filters_are_frozen_and_refuse_unknown_fields():
    with pytest.raises(ValidationError):
        DashboardFilters(commune="16102")
    with pytest.raises(ValidationError):
        DashboardFilters().territoire = ("16",)


@pytest.mark.parametrize(
    ("filters", "scoped"),
    [
        (DashboardFilters(), False),
        (DashboardFilters(campagne="c-1", du=date(2026, 10, 1)), False),
        (DashboardFilters(territoire=["16"]), True),
        (DashboardFilters(typologie=["CCAS"]), True),
    ],
)
def test_only_territory_and_typology_narrow_the_structures(filters, scoped):
    assert filters.scoped is scoped


# -- writing a link -------------------------------------------------------------------------------


def test_a_link_leaves_empty_filters_out():
    assert to_query_params(DashboardFilters()) == {}
    assert to_query_params(DashboardFilters(territoire=["988", "16"], au=date(2026, 11, 24))) == {
        "territoire": "16,988", "au": "2026-11-24"}


DEPARTEMENTS = [departement.code for departement in cog().departements()]
TYPOLOGIES = list(typologies())


@st.composite
def any_filters(draw) -> DashboardFilters:
    first, second = draw(st.none() | st.dates()), draw(st.none() | st.dates())
    if first and second and first > second:
        first, second = second, first
    return DashboardFilters(
        territoire=draw(st.lists(st.sampled_from(DEPARTEMENTS), max_size=4)),
        typologie=draw(st.lists(st.sampled_from(TYPOLOGIES), max_size=3)),
        campagne=draw(st.none() | st.uuids().map(str) | st.text(min_size=1).map(str.strip).filter(bool)),
        du=first,
        au=second,
    )


@settings(max_examples=200, deadline=None)
@given(any_filters())
def test_reading_the_link_of_any_filters_gives_them_back_without_a_note(filters):
    assert from_query_params(to_query_params(filters)) == (filters, [])


# -- in French ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filters", "campaign_name", "text"),
    [
        pytest.param(DashboardFilters(), None,
                     "Territoire : tous · Typologie : toutes · Période : jusqu'à aujourd'hui", id="no filter"),
        pytest.param(
            DashboardFilters(territoire=["971", "16"], typologie=["CCAS", "BIB"], du=date(2026, 10, 1),
                             au=date(2026, 11, 24)),
            "Diagnostic 2026",
            "Territoire : Charente (16), Guadeloupe (971) · Typologie : Bibliothèque / Médiathèque (BIB), "
            f"{CCAS_LABEL} · Campagne : Diagnostic 2026 · Période : du 01/10/2026 au 24/11/2026",
            id="every filter"),
        pytest.param(DashboardFilters(territoire=["988"], au=date(2026, 11, 24)), None,
                     "Territoire : Nouvelle-Calédonie (988) · Typologie : toutes · Période : jusqu'au 24/11/2026",
                     id="up to a day"),
        pytest.param(DashboardFilters(du=date(2026, 10, 1)), None,
                     "Territoire : tous · Typologie : toutes · Période : du 01/10/2026 à aujourd'hui",
                     id="from a day"),
    ],
)
def test_the_filters_are_described_in_french(filters, campaign_name, text):
    assert describe(filters, campaign_name=campaign_name) == text


@pytest.mark.parametrize(
    ("code", "text"),
    [
        pytest.param("CCAS", CCAS_LABEL, id="a label holding its code is shown alone"),
        pytest.param("BIB", "Bibliothèque / Médiathèque (BIB)", id="else the code follows the label"),
        pytest.param("INCONNUE", "INCONNUE", id="an unknown code is shown as is"),
    ],
)
def test_a_typology_is_shown_by_its_label_with_its_code(code, text):
    assert typology_text(code) == text
    assert typology_text(code, {"CCAS": CCAS_LABEL, "BIB": "Bibliothèque / Médiathèque"}) == text


# -- the period, in the viewer's time zone --------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "start", "end"),
    [
        pytest.param(PARIS, datetime(2026, 9, 30, 22, tzinfo=UTC), datetime(2026, 11, 24, 23, tzinfo=UTC),
                     id="Paris: summer time at the start, winter time at the end"),
        pytest.param(GUADELOUPE, datetime(2026, 10, 1, 4, tzinfo=UTC), datetime(2026, 11, 25, 4, tzinfo=UTC),
                     id="Guadeloupe: UTC-4 all year"),
    ],
)
def test_the_period_runs_from_the_first_day_s_start_to_the_last_day_s_end_in_the_viewer_s_zone(zone, start, end):
    filters = DashboardFilters(du=date(2026, 10, 1), au=date(2026, 11, 24))
    assert filters.start_instant(zone) == start
    assert filters.end_instant(zone) == end
    assert DashboardFilters().start_instant(zone) is None and DashboardFilters().end_instant(zone) is None


def test_the_period_is_in_paris_time_by_default():
    filters = DashboardFilters(du=date(2026, 10, 1), au=date(2026, 11, 24))
    assert filters.start_instant() == filters.start_instant(PARIS)
    assert filters.end_instant() == filters.end_instant(PARIS)


# -- the registry in scope, as of a date ----------------------------------------------------------

MARCH = datetime(2026, 3, 2, 0, 30, tzinfo=PARIS)  # 1 March 23:30 UTC: already 2 March in Paris
JUNE = datetime(2026, 6, 15, 10, 0, tzinfo=PARIS)
LIEUX = {
    "ccas_cognac": {"nom": "CCAS de Cognac", "commune": "Cognac", "code_postal": "16100", "code_insee": "16102",
                    "typologie": ["CCAS"], "services": [AIDE]},
    "mediatheque": {"nom": "Médiathèque de Jarnac", "commune": "Jarnac", "code_postal": "16200",
                    "code_insee": "16167",
                    "typologie": ["BIB"], "services": [AIDE, OUTILS]},
    "ccas_basse_terre": {"nom": "CCAS de Basse-Terre", "commune": "Basse-Terre", "code_postal": "97100",
                         "code_insee": "97105", "typologie": ["CCAS"], "services": [OUTILS]},
    "bus": {"nom": "Bus numérique", "commune": "Cognac", "code_postal": "16100", "code_insee": "16102",
            "typologie": ["TIERS_LIEUX"]},
}


@pytest.fixture
def registry(store):
    """Four lieux on the map since 2 March 2026 (Paris); on 15 June the médiathèque also became a
    municipal service and the bus moved from Cognac (16) to Basse-Terre (971)."""
    structures = {name: valid_structure(data) for name, data in LIEUX.items()}
    with store.atomic() as con:
        insert_structures(con, [StructureWrite(structure) for structure in structures.values()], by="coord", now=MARCH)
        edit_at(con, structures["mediatheque"].id, {"typologie": ["BIB", "MUNI"]}, JUNE)
        edit_at(con, structures["bus"].id, {"commune": "Basse-Terre", "code_postal": "97100", "code_insee": "97105"},
                JUNE)
    return {name: structure.id for name, structure in structures.items()}


def names(rows):
    return [row["nom"] for row in rows]


@pytest.mark.parametrize(
    ("when", "territoire", "typologie", "expected"),
    [
        pytest.param(date(2026, 3, 1), (), (), [], id="nothing the day before the first lieu"),
        pytest.param(date(2026, 3, 2), (), (),
                     ["Bus numérique", "CCAS de Basse-Terre", "CCAS de Cognac", "Médiathèque de Jarnac"],
                     id="everything from the first day, by name"),
        pytest.param(date(2026, 4, 1), ["16"], (), ["Bus numérique", "CCAS de Cognac", "Médiathèque de Jarnac"],
                     id="the bus counts in Charente before it moved"),
        pytest.param(date(2026, 4, 1), ["971"], (), ["CCAS de Basse-Terre"], id="Guadeloupe before the move"),
        pytest.param(JUNE, ["16"], (), ["Bus numérique", "CCAS de Cognac", "Médiathèque de Jarnac"],
                     id="at the very instant of the edit, the old version still holds"),
        pytest.param(JUNE + timedelta(microseconds=1), ["971"], (), ["Bus numérique", "CCAS de Basse-Terre"],
                     id="just after it, the new one"),
        pytest.param(date(2026, 7, 1), ["16"], (), ["CCAS de Cognac", "Médiathèque de Jarnac"],
                     id="the bus left Charente"),
        pytest.param(date(2026, 7, 1), ["971"], (), ["Bus numérique", "CCAS de Basse-Terre"],
                     id="and counts in Guadeloupe"),
        pytest.param(date(2026, 7, 1), ["16", "971"], (),
                     ["Bus numérique", "CCAS de Basse-Terre", "CCAS de Cognac", "Médiathèque de Jarnac"],
                     id="several départements: any of them"),
        pytest.param(date(2026, 4, 1), (), ["MUNI"], [], id="no municipal service before the edit"),
        pytest.param(date(2026, 7, 1), (), ["MUNI"], ["Médiathèque de Jarnac"], id="one after it"),
        pytest.param(date(2026, 7, 1), (), ["BIB", "TIERS_LIEUX"], ["Bus numérique", "Médiathèque de Jarnac"],
                     id="several typologies: any of them"),
        pytest.param(date(2026, 7, 1), ["971"], ["CCAS"], ["CCAS de Basse-Terre"],
                     id="territory and typology: both"),
    ],
)
def test_the_registry_in_scope_is_the_territory_and_typologies_as_of_a_date(store, registry, when, territoire,
                                                                             typologie, expected):
    filters = DashboardFilters(territoire=territoire, typologie=typologie)
    with store.connect() as con:
        assert names(registry_in_scope(con, filters, when)) == expected


def test_a_deleted_lieu_leaves_the_registry_from_its_deletion_on(store, registry):
    before = utc_now()
    with store.atomic() as con:
        delete_structure(con, registry["ccas_cognac"], by="coord")
    charente = DashboardFilters(territoire=["16"])
    with store.connect() as con:
        assert names(registry_in_scope(con, charente, before)) == ["CCAS de Cognac", "Médiathèque de Jarnac"]
        assert names(registry_in_scope(con, charente, utc_now() + timedelta(seconds=1))) == ["Médiathèque de Jarnac"]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        pytest.param(DashboardFilters(), None, id="no territory nor typology: no narrowing"),
        pytest.param(DashboardFilters(campagne="c-1", du=date(2026, 1, 1)), None,
                     id="campaign and period do not narrow"),
        pytest.param(DashboardFilters(territoire=["971"]), {"bus", "ccas_basse_terre"}, id="where lieux are now"),
        pytest.param(DashboardFilters(typologie=["MUNI", "CCAS"]), {"mediatheque", "ccas_cognac", "ccas_basse_terre"},
                     id="any of the typologies"),
        pytest.param(DashboardFilters(territoire=["16"], typologie=["CCAS"]), {"ccas_cognac"}, id="both"),
        pytest.param(DashboardFilters(territoire=["988"]), set(), id="nothing in scope is not everything"),
    ],
)
def test_the_structures_in_scope_are_the_live_ones_of_the_territory_and_typologies(store, registry, filters, expected):
    with store.connect() as con:
        found = structure_ids_in_scope(con, filters)
    assert found == (None if expected is None else {registry[name] for name in expected})


def test_a_deleted_structure_is_not_in_scope(store, registry):
    with store.atomic() as con:
        delete_structure(con, registry["ccas_cognac"], by="coord")
        assert structure_ids_in_scope(con, DashboardFilters(typologie=["CCAS"])) == {registry["ccas_basse_terre"]}


def test_the_history_starts_on_the_paris_day_of_the_first_version(store):
    with store.connect() as con:
        assert history_start(con) is None
    with store.atomic() as con:
        insert_structures(con, [StructureWrite(valid_structure(LIEUX["bus"]))], by="coord", now=MARCH)
        assert history_start(con) == date(2026, 3, 2)  # 1 March in UTC


def test_a_drom_structure_is_in_its_three_character_departement(store):
    with store.atomic() as con:
        for data in (LIEUX["ccas_basse_terre"], LIEUX["ccas_cognac"]):
            structure, issues = create_structure(con, {"adresse": "1 rue", **data}, by="coord")
            assert structure is not None, issues
        now = utc_now() + timedelta(seconds=1)
        assert names(structures_as_of(con, now, departements=["971"])) == ["CCAS de Basse-Terre"]
        assert names(structures_as_of(con, now, departements=["16"])) == ["CCAS de Cognac"]
        assert names(structures_as_of(con, now, departements=["97"])) == []


@pytest.mark.parametrize(
    ("commune", "code_postal", "departement"),
    [("Basse-Terre", "97100", "971"), ("Ajaccio", "20000", "2A"), ("Bastia", "20200", "2B"),
     ("Gustavia", "97133", "977"), ("Nouméa", "98800", "988"), ("Cognac", "16100", "16")],
)
def test_a_structure_without_insee_code_is_in_the_departement_of_its_postcode(store, commune, code_postal, departement):
    with store.atomic() as con:
        structure, issues = create_structure(
            con, {"nom": "Lieu sans code INSEE", "adresse": "1 rue", "commune": commune, "code_postal": code_postal},
            by="coord")
        assert structure is not None, issues
        assert structure.code_insee is None and structure.departement == departement
        found = structures_as_of(con, utc_now() + timedelta(seconds=1), departements=[departement])
    assert names(found) == ["Lieu sans code INSEE"]
