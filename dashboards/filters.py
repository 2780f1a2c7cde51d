"""The dashboards' shared filters: territory, typology, campaign and period.

One ``DashboardFilters`` value says what every committee page shows. It travels in the page's
URL query parameters (``?territoire=16,988&typologie=CCAS&campagne=…&du=2026-10-01&au=2026-11-24``),
so a link reproduces the view; ``from_query_params`` reads a link leniently (a wrong value is
dropped with a French note, never an error page) and ``to_query_params`` writes one back.

What each filter does:
- **territoire** (département codes) and **typologie** (data·inclusion codes) narrow the structures:
  the registry rows of the offer, the cases of the response rates, the responses of the indicators;
- **campagne**: the campaign whose rates and indicators are shown;
- **période** (``du`` … ``au``): the offer is shown as of ``au`` (default today) and compared with
  ``du``; the rates over time are drawn over the period; the indicators count the responses
  submitted in it. Dates are days in the viewer's time zone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
from pydantic import BaseModel, ConfigDict, field_validator

from models.cog import cog, departement_sql
from models.moments import PARIS
from models.registry import structures_as_of
from models.saved_filters import structure_ids_matching, territory_filters
from models.typologies import typologies
from models.vocabulary import typology_code

QUERY_KEYS: tuple[str, ...] = ("territoire", "typologie", "campagne", "du", "au")


class DashboardFilters(BaseModel):
    """What the committee's pages show (every field empty: everything, the newest campaign, up to today)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    territoire: tuple[str, ...] = ()
    typologie: tuple[str, ...] = ()
    campagne: str | None = None
    du: date | None = None
    au: date | None = None

    @field_validator("territoire", "typologie", mode="before")
    @classmethod
    def _sorted_unique(cls, value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            return tuple(sorted({str(item).strip() for item in value if str(item).strip()}))
        return value

    @property
    def scoped(self) -> bool:
        """Whether territory or typology narrows the structures."""
        return bool(self.territoire or self.typologie)

    def end_instant(self, zone: ZoneInfo = PARIS) -> datetime | None:
        """The end of the period's last day in ``zone`` (None: no end, i.e. now)."""
        return datetime.combine(self.au + timedelta(days=1), time(0), zone) if self.au else None

    def start_instant(self, zone: ZoneInfo = PARIS) -> datetime | None:
        """The start of the period's first day in ``zone`` (None: from the beginning)."""
        return datetime.combine(self.du, time(0), zone) if self.du else None


def from_query_params(params: Mapping[str, Any]) -> tuple[DashboardFilters, list[str]]:
    """The filters a link carries, and a French note for each value that was dropped.

    Lists are comma-separated (``territoire=16,988``); dates are ISO (``2026-11-24``).
    """
    notes: list[str] = []
    known_departements = {d.code for d in cog().departements()}
    territoire = []
    for code in _split(params.get("territoire")):
        if code.upper() in known_departements:  # « 2a » is Corse-du-Sud
            territoire.append(code.upper())
        else:
            notes.append(f"Territoire « {code} » inconnu (code de département attendu, par exemple 16 ou 971) : ignoré.")
    known_typologies = typologies()
    typologie = []
    for code in _split(params.get("typologie")):
        if typology_code(code) in known_typologies:  # « ccas » or « Centre communal d'action sociale »
            typologie.append(typology_code(code))
        else:
            notes.append(f"Typologie « {code} » inconnue : ignorée.")
    dates: dict[str, date | None] = {}
    for key, name in (("du", "début"), ("au", "fin")):
        text = _first(params.get(key))
        dates[key] = None
        if text:
            try:
                dates[key] = date.fromisoformat(text)
            except ValueError:
                notes.append(f"Date de {name} de période « {text} » illisible (AAAA-MM-JJ attendu) : ignorée.")
    if dates["du"] and dates["au"] and dates["du"] > dates["au"]:
        notes.append("La période commençait après sa fin : les deux dates ont été inversées.")
        dates["du"], dates["au"] = dates["au"], dates["du"]
    campagne = _first(params.get("campagne")) or None
    return DashboardFilters(territoire=territoire, typologie=typologie, campagne=campagne, **dates), notes


def to_query_params(filters: DashboardFilters) -> dict[str, str]:
    """The query parameters of a link to this view (empty filters are left out)."""
    params = {
        "territoire": ",".join(filters.territoire),
        "typologie": ",".join(filters.typologie),
        "campagne": filters.campagne or "",
        "du": filters.du.isoformat() if filters.du else "",
        "au": filters.au.isoformat() if filters.au else "",
    }
    return {key: value for key, value in params.items() if value}


def _split(value: Any) -> list[str]:
    """``"16, 988"`` or ``["16", "988"]`` → ``["16", "988"]``."""
    items = value if isinstance(value, (list, tuple)) else [value or ""]
    return [part.strip() for item in items for part in str(item).split(",") if part.strip()]


def _first(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        value = value[0] if value else ""
    return str(value or "").strip()


def describe(filters: DashboardFilters, *, campaign_name: str | None = None) -> str:
    """The filters in French, for a caption or the report: « Territoire : Charente (16) · … »."""
    registry = cog()
    places = [f"{registry.departement(code).nom} ({code})" if registry.departement(code) else code
              for code in filters.territoire]
    names = typologies()
    kinds = [typology_text(code, names) for code in filters.typologie]
    start = "du " + filters.du.strftime("%d/%m/%Y") if filters.du else ""
    end = "au " + filters.au.strftime("%d/%m/%Y") if filters.au else "à aujourd'hui"
    period = f"{start} {end}" if start else f"jusqu'{end}"
    parts = [
        "Territoire : " + (", ".join(places) or "tous"),
        "Typologie : " + (", ".join(kinds) or "toutes"),
    ]
    if campaign_name:
        parts.append("Campagne : " + campaign_name)
    parts.append("Période : " + period)
    return " · ".join(parts)


def typology_text(code: str, names: Mapping[str, str] | None = None) -> str:
    """« Centres communaux d’action sociale (CCAS) »: the label, with its code when the label lacks it."""
    label = (names or typologies()).get(code, code)
    return label if f"({code})" in label or label == code else f"{label} ({code})"


# -- the structures in scope ------------------------------------------------------------------------


def structure_ids_in_scope(con: duckdb.DuckDBPyConnection, filters: DashboardFilters) -> set[str] | None:
    """The live structures of the filters' territory and typologies (None: no narrowing)."""
    if not filters.scoped:
        return None
    return set(structure_ids_matching(con, territory_filters(filters.territoire, filters.typologie)))


def registry_in_scope(
    con: duckdb.DuckDBPyConnection, filters: DashboardFilters, when: date | datetime, *,
    fields: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """The registry as it stood at ``when`` (a date: the end of that day), narrowed to the filters'
    territory and typologies (only ``fields`` when given: reading fewer columns is faster)."""
    return structures_as_of(con, when, departements=filters.territoire, typologies=filters.typologie, fields=fields)


def filter_options(con: duckdb.DuckDBPyConnection) -> tuple[list[str], list[str]]:
    """The départements and the typologies of the live registry (the filter bar's choices)."""
    departements = [row[0] for row in con.execute(
        "SELECT DISTINCT " + departement_sql() + " AS d FROM structures WHERE deleted_at IS NULL AND d IS NOT NULL"
        " ORDER BY d").fetchall()]
    kinds = [row[0] for row in con.execute(
        "SELECT DISTINCT unnest(typologie) AS t FROM structures WHERE deleted_at IS NULL ORDER BY t").fetchall()]
    return departements, kinds


def history_start(con: duckdb.DuckDBPyConnection) -> date | None:
    """The first day the registry held a structure (the date slider's lower end)."""
    (first,) = con.execute("SELECT min(valid_from) FROM structure_versions").fetchall()[0]
    return first.astimezone(PARIS).date() if first else None
