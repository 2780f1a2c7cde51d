"""The territory's mapped offer: what the lieux offer, and where nothing is offered.

Pure functions over registry rows (``models.registry.structures_as_of`` gives the registry as it
stood on any date, so every figure here can be shown « as of » a date and compared between two).

- ``offer_totals(rows)``: the headline figures (lieux, lieux offering a service, services offered),
  as ``offer_over_time`` counts them at each date.
- ``offer_counts(rows, field)``: lieux per value of a list field of the national standard
  (``services``, ``publics_specifiquement_adresses``, ``modalites_acces``, ``frais_a_charge``…).
- ``coverage(rows, communes, level=…)``: for each commune (or EPCI) of a territory, the service
  categories offered there; per category, the share of units and of the population covered
  (COG populations); the **white zones**: the units where no lieu offers the category.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import duckdb

from models.cog import Commune, cog
from models.registry import as_of_instant, scope_params, scope_sql
from models.standard import standard_v1

LEVELS: dict[str, str] = {"commune": "Commune", "epci": "EPCI"}


def offer_totals(rows: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """The offer's headline figures: « Lieux », « Lieux avec services » (lieux declaring at least one
    service) and « Services proposés » (each lieu's services, summed: a service offered by two
    lieux counts twice), the figures of ``offer_over_time`` for one date."""
    rows = list(rows)
    return {"Lieux": len(rows), "Lieux avec services": sum(1 for row in rows if row.get("services")),
            "Services proposés": sum(len(row.get("services") or []) for row in rows)}


def offer_counts(rows: Iterable[Mapping[str, Any]], field_name: str) -> list[dict[str, Any]]:
    """Lieux per value of a list field, every value of the standard's enumeration listed (0 when
    none), most frequent first, with the share of lieux (a lieu counts once per value it has)."""
    rows = list(rows)
    counted = Counter(value for row in rows for value in set(row.get(field_name) or []))
    try:
        values = list(standard_v1().choices(field_name))
    except KeyError:
        values = []
    values += sorted(value for value in counted if value not in values)
    total = len(rows)
    table = [{"Valeur": value, "Lieux": counted.get(value, 0),
              "Part des lieux": counted.get(value, 0) / total if total else None} for value in values]
    return sorted(table, key=lambda row: (-row["Lieux"], row["Valeur"]))


@dataclass
class Unit:
    """A commune or an EPCI of the territory, with what is offered there."""

    code: str
    nom: str
    population: int
    lieux: int = 0
    categories: set[str] = field(default_factory=set)


@dataclass
class Coverage:
    """The coverage of a territory by service category (see ``coverage``)."""

    level: str
    units: list[Unit]
    categories: list[str]

    def covered(self, category: str) -> list[Unit]:
        return [unit for unit in self.units if category in unit.categories]

    def white_zones(self, category: str) -> list[Unit]:
        """The units where no lieu offers ``category``, most populated first."""
        return sorted((unit for unit in self.units if category not in unit.categories),
                      key=lambda unit: (-unit.population, unit.nom))

    def table(self) -> list[dict[str, Any]]:
        """Per category: units covered and their share, population covered and its share, white zones."""
        total_units = len(self.units)
        total_population = sum(unit.population for unit in self.units)
        out = []
        for category in self.categories:
            covered = self.covered(category)
            population = sum(unit.population for unit in covered)
            out.append({
                "Catégorie": category,
                f"{LEVELS[self.level]}s couvertes": len(covered),
                f"Part des {LEVELS[self.level].lower()}s": len(covered) / total_units if total_units else None,
                "Population couverte": population,
                "Part de la population": population / total_population if total_population else None,
                "Zones blanches": total_units - len(covered),
            })
        return out


def coverage(
    rows: Iterable[Mapping[str, Any]],
    communes: Sequence[str],
    *,
    level: str = "commune",
    categories: Sequence[str] | None = None,
    field_name: str = "services",
) -> Coverage:
    """Which categories of ``field_name`` are offered in each unit of the territory made of the
    current communes ``communes`` (INSEE codes; or the EPCI they belong to when ``level`` is
    ``epci``). A lieu counts in its commune (``commune_of``: a delegated commune counts in its
    current commune); lieux outside the territory are ignored."""
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r} (expected one of {', '.join(LEVELS)})")
    registry = cog()
    categories = list(categories or standard_v1().choices(field_name))
    units: dict[str, Unit] = {}
    unit_of_commune: dict[str, str] = {}
    for code in communes:
        commune = registry.current_commune(code)
        if commune is None:
            raise ValueError(f"unknown commune: {code}")
        if level == "commune":
            units.setdefault(commune.code, Unit(commune.code, commune.nom, commune.population or 0))
            unit_of_commune[commune.code] = commune.code
        elif commune.epci:
            epci = registry.epci(commune.epci)
            if epci is not None:
                units.setdefault(epci.siren, Unit(epci.siren, epci.nom, epci.population))
                unit_of_commune[commune.code] = epci.siren
    for row in rows:
        commune = commune_of(row)
        unit = units.get(unit_of_commune.get(commune.code, "")) if commune is not None else None
        if unit is None:
            continue
        unit.lieux += 1
        unit.categories.update(value for value in row.get(field_name) or [] if value in categories)
    return Coverage(level, sorted(units.values(), key=lambda unit: unit.nom), categories)


def commune_of(row: Mapping[str, Any]) -> Commune | None:
    """The current commune of a lieu: its ``code_insee``, else its commune's name and postcode."""
    registry = cog()
    if row.get("code_insee"):
        return registry.current_commune(row["code_insee"])
    if row.get("commune"):
        return registry.find_commune(row["commune"], code_postal=row.get("code_postal"))
    return None


def territory_communes(departements: Iterable[str]) -> list[str]:
    """The current communes of some départements (the territory of a diagnostic)."""
    registry = cog()
    return [commune.code for code in departements for commune in registry.communes(departement=code)]


# The list fields of the standard the offer is described by, with their French titles.
OFFER_FIELDS: dict[str, str] = {
    "services": "Services",
    "publics_specifiquement_adresses": "Publics spécifiquement adressés",
    "modalites_acces": "Modalités d'accès",
    "modalites_accompagnement": "Modalités d'accompagnement",
    "frais_a_charge": "Frais à charge",
    "prise_en_charge_specifique": "Prise en charge spécifique",
}


# What the dashboards read of a lieu: where it is, what it is, what it offers (no contact, no timestamps).
OFFER_COLUMNS: tuple[str, ...] = ("nom", "commune", "code_postal", "code_insee", "latitude", "longitude", "typologie",
                                  *OFFER_FIELDS)


def offer_changes(
    before: Iterable[Mapping[str, Any]], after: Iterable[Mapping[str, Any]], field_name: str
) -> list[dict[str, Any]]:
    """Lieux per value of a list field at two dates: « Avant », « Après » and the difference, in
    the order of ``offer_counts`` at the later date."""
    earlier = {row["Valeur"]: row["Lieux"] for row in offer_counts(before, field_name)}
    return [{"Valeur": row["Valeur"], "Avant": earlier.get(row["Valeur"], 0), "Après": row["Lieux"],
             "Évolution": row["Lieux"] - earlier.get(row["Valeur"], 0)} for row in offer_counts(after, field_name)]


def coverage_changes(before: Coverage, after: Coverage) -> list[dict[str, Any]]:
    """Per category, how coverage changed between two dates: units covered before and after, and
    the units that gained or lost the category (names, most populated first). Both coverages must
    be of the same territory and level."""
    if before.level != after.level or {u.code for u in before.units} != {u.code for u in after.units}:
        raise ValueError("coverage_changes compares two coverages of the same territory and level")
    was = {unit.code: unit.categories for unit in before.units}
    rows = []
    for category in after.categories:
        gained = [unit for unit in after.covered(category) if category not in was[unit.code]]
        covered_now = {unit.code for unit in after.covered(category)}
        lost = [unit for unit in before.covered(category) if unit.code not in covered_now]
        rows.append({
            "Catégorie": category,
            "Couvertes avant": len(before.covered(category)),
            "Couvertes après": len(covered_now),
            "Nouvellement couvertes": _names(gained),
            "Plus couvertes": _names(lost),
        })
    return rows


def _names(units: Iterable[Unit]) -> str:
    return ", ".join(unit.nom for unit in sorted(units, key=lambda unit: (-unit.population, unit.nom)))


def timeline_dates(first: date, last: date, *, points: int = 12) -> list[date]:
    """About ``points`` dates from ``first`` to ``last`` (both included): month ends when the span
    is long enough, else evenly spaced days."""
    if last <= first:
        return [last]
    month_ends = []
    month = date(first.year, first.month, 1)
    while month <= last:
        following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        month_ends.append(min(following - timedelta(days=1), last))
        month = following
    if len(month_ends) >= 4:
        step = max(1, -(-len(month_ends) // points))
        chosen = month_ends[::-step][::-1]
        return ([first] if chosen[0] > first else []) + chosen
    days = (last - first).days
    count = min(points, days + 1)
    return sorted({first + timedelta(days=round(index * days / (count - 1))) for index in range(count)})


def offer_over_time(
    con: duckdb.DuckDBPyConnection, dates: Sequence[date], *,
    departements: Sequence[str] = (), typologies: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """The offer at the end of each date (as ``structures_as_of``), in one query on the history:
    lieux, lieux with at least one service, and (lieu, service) pairs."""
    if not dates:
        return []
    instants = [as_of_instant(day) for day in dates]
    counted = {moment: (lieux, with_services, services) for moment, lieux, with_services, services in con.execute(
        "SELECT d.moment, count(v.structure_id), count(v.structure_id) FILTER (WHERE len(v.services) > 0),"
        " coalesce(sum(len(v.services)), 0)"
        " FROM (SELECT DISTINCT unnest(?::TIMESTAMPTZ[]) AS moment) d LEFT JOIN (SELECT * FROM structure_versions"
        " WHERE NOT deleted AND " + scope_sql() + ") v ON v.valid_from < d.moment AND (v.valid_to IS NULL OR v.valid_to >= d.moment)"
        " GROUP BY d.moment", [instants, *scope_params(departements, typologies)]).fetchall()}
    return [{"Date": day, "Lieux": counted[moment][0], "Lieux avec services": counted[moment][1],
             "Services proposés": int(counted[moment][2])} for day, moment in zip(dates, instants, strict=True)]


def departements_of(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """The départements where some lieux are (the territory a map shows when none is chosen)."""
    return sorted({commune.departement for row in rows if (commune := commune_of(row)) is not None})
