"""The territory's mapped offer: what the lieux offer, and where nothing is offered.

Pure functions over registry rows (``models.registry.structures_as_of`` gives the registry as it
stood on any date, so every figure here can be shown « as of » a date and compared between two).

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
from typing import Any

from models.cog import Commune, cog
from models.standard import standard_v1

LEVELS: dict[str, str] = {"commune": "Commune", "epci": "EPCI"}


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
