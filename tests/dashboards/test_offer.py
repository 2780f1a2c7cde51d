"""The mapped offer and its coverage, on a small territory computed by hand, and as of a date."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dashboards.offer import coverage, offer_counts, territory_communes
from models.registry import create_structure, structures_as_of, update_structure
from models.store import utc_now

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
