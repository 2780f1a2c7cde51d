"""Response rates by the AAPOR Standard Definitions (10th edition, 2023).

Every case of a campaign has one final disposition code (``models.dispositions``), grouped as
AAPOR does (``AAPOR_GROUPS``):

====  ==========================================================  =========================
I     complete interview                                           1.1
P     partial interview                                            1.2
R     refusal and break-off                                        2.1x
NC    non-contact                                                  2.2x
O     other eligible, no interview                                 2.0, 2.3x
UH    unknown if eligible, never reached the household/structure   3.1x
UO    unknown eligibility, other                                   3.2–3.9
NE    not eligible                                                 4.x
====  ==========================================================  =========================

With ``U = UH + UO`` and ``e`` the estimated share of the unknown-eligibility cases that are
eligible, the rates are (a denominator of 0 gives None):

- RR1 = I / (I+P + R+NC+O + U)          RR2 = (I+P) / (I+P + R+NC+O + U)
- RR3 = I / (I+P + R+NC+O + e·U)        RR4 = (I+P) / (I+P + R+NC+O + e·U)
- RR5 = I / (I+P + R+NC+O)              RR6 = (I+P) / (I+P + R+NC+O)
- COOP1 = I / (I+P + R + O)             COOP2 = (I+P) / (I+P + R + O)
- COOP3 = I / (I+P + R)                 COOP4 = (I+P) / (I+P + R)
- REF1 = R / (I+P + R+NC+O + U)         REF2 = R / (I+P + R+NC+O + e·U)      REF3 = R / (I+P + R+NC+O)
- CON1 = (I+P + R + O) / (I+P + R+NC+O + U)
- CON2 = (I+P + R + O) / (I+P + R+NC+O + e·U)
- CON3 = (I+P + R + O) / (I+P + R+NC+O)

``e`` by the **proportional method** (AAPOR's CASRO allocation): the eligible share among the
cases whose eligibility is known, ``(I+P+R+NC+O) / (I+P+R+NC+O+NE)``; None when no case's
eligibility is known (the rates using ``e`` are then None too).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import duckdb

from collect.calls import Case, load_cases
from collect.campaigns import get_campaign
from models.campaign_rules import CampaignRules
from models.cog import cog
from models.dispositions import AAPOR_GROUPS, CaseSummary, DispositionReplay, disposition_of
from models.errors import MaillageError
from models.moments import PARIS

GROUPS: tuple[str, ...] = ("I", "P", "R", "NC", "O", "UH", "UO", "NE")
RATE_NAMES: tuple[str, ...] = (
    "RR1", "RR2", "RR3", "RR4", "RR5", "RR6", "COOP1", "COOP2", "COOP3", "COOP4",
    "REF1", "REF2", "REF3", "CON1", "CON2", "CON3",
)
# Short French names of the rates, for charts and tables (the formulas are in ``aapor_rates``).
RATE_LABELS: dict[str, str] = {
    "RR1": "taux de réponse, complets (minimal)",
    "RR2": "taux de réponse, complets et partiels",
    "RR3": "taux de réponse, complets, e estimé",
    "RR4": "taux de réponse, complets et partiels, e estimé",
    "RR5": "taux de réponse, complets, éligibles connus",
    "RR6": "taux de réponse, complets et partiels, éligibles connus",
    "COOP1": "taux de coopération, complets",
    "COOP2": "taux de coopération, complets et partiels",
    "COOP3": "taux de coopération, complets, hors incapacités",
    "COOP4": "taux de coopération, complets et partiels, hors incapacités",
    "REF1": "taux de refus",
    "REF2": "taux de refus, e estimé",
    "REF3": "taux de refus, éligibles connus",
    "CON1": "taux de contact",
    "CON2": "taux de contact, e estimé",
    "CON3": "taux de contact, éligibles connus",
}


def group_counts(codes: Iterable[str]) -> dict[str, int]:
    """The AAPOR group counts of some final disposition codes (every group present, 0 if none)."""
    counted = Counter(AAPOR_GROUPS[code] for code in codes)
    return {group: counted.get(group, 0) for group in GROUPS}


def proportional_e(counts: Mapping[str, int]) -> float | None:
    """The share of unknown-eligibility cases estimated eligible, by the proportional method."""
    c = _checked(counts)
    eligible = c["I"] + c["P"] + c["R"] + c["NC"] + c["O"]
    known = eligible + c["NE"]
    return eligible / known if known else None


def aapor_rates(counts: Mapping[str, int], e: float | None = None) -> dict[str, float | None]:
    """Every AAPOR rate by its name (see the module docstring), and ``e`` as used.

    ``counts`` holds the counts of I, P, R, NC, O, UH, UO and NE (a missing group is 0; an
    unknown key or a negative count is a ``ValueError``). ``e`` defaults to the proportional
    estimate; given, it must lie in [0, 1].
    """
    c = _checked(counts)
    if e is None:
        e = proportional_e(c)
    elif not 0 <= e <= 1:
        raise ValueError(f"e must lie between 0 and 1, not {e}")
    interviews = c["I"] + c["P"]
    eligible_no_interview = c["R"] + c["NC"] + c["O"]
    unknown = c["UH"] + c["UO"]
    contacted = interviews + c["R"] + c["O"]
    all_cases = interviews + eligible_no_interview + unknown
    known_eligible = interviews + eligible_no_interview
    with_e = None if e is None else known_eligible + e * unknown
    rates: dict[str, float | None] = {
        "RR1": _ratio(c["I"], all_cases),
        "RR2": _ratio(interviews, all_cases),
        "RR3": _ratio(c["I"], with_e),
        "RR4": _ratio(interviews, with_e),
        "RR5": _ratio(c["I"], known_eligible),
        "RR6": _ratio(interviews, known_eligible),
        "COOP1": _ratio(c["I"], interviews + c["R"] + c["O"]),
        "COOP2": _ratio(interviews, interviews + c["R"] + c["O"]),
        "COOP3": _ratio(c["I"], interviews + c["R"]),
        "COOP4": _ratio(interviews, interviews + c["R"]),
        "REF1": _ratio(c["R"], all_cases),
        "REF2": _ratio(c["R"], with_e),
        "REF3": _ratio(c["R"], known_eligible),
        "CON1": _ratio(contacted, all_cases),
        "CON2": _ratio(contacted, with_e),
        "CON3": _ratio(contacted, known_eligible),
    }
    rates["e"] = e
    return rates


def _ratio(numerator: float, denominator: float | None) -> float | None:
    return None if not denominator else numerator / denominator


def _checked(counts: Mapping[str, int]) -> dict[str, int]:
    unknown = set(counts) - set(GROUPS)
    if unknown:
        raise ValueError(f"unknown AAPOR groups: {sorted(unknown)} (expected {', '.join(GROUPS)})")
    checked = {group: int(counts.get(group, 0)) for group in GROUPS}
    negative = [group for group, count in checked.items() if count < 0]
    if negative:
        raise ValueError(f"negative counts for {negative}")
    return checked


# -- breakdowns ---------------------------------------------------------------------------------

DIMENSIONS: dict[str, str] = {
    "typologie": "Typologie",
    "commune": "Commune",
    "epci": "EPCI",
    "departement": "Département",
    "enqueteur": "Enquêteur",
    "tentatives": "Tentatives",
}
MIN_CASES = 5  # groups with fewer cases are not shown (no personal data through small counts)
THRESHOLD_VARIABLE = "MAILLAGE_SEUIL_DIFFUSION"


def disclosed(count: int, threshold: int = MIN_CASES) -> bool:
    """Whether a figure resting on ``count`` structures (or answers) may be shown: never below the
    threshold, which would single structures out. The one rule of every committee page and of
    ``rates_by``'s groups."""
    return count >= threshold


def disclosure_threshold() -> int:
    """The smallest count the committee's pages show (``$MAILLAGE_SEUIL_DIFFUSION``, default 5):
    smaller groups are merged or hidden. A value that is not a whole number of at least 1 is refused
    with a French message (never silently replaced: it protects people's data)."""
    text = os.environ.get(THRESHOLD_VARIABLE, "").strip()
    if not text:
        return MIN_CASES
    if not text.isdigit() or int(text) < 1:
        raise MaillageError(f"{THRESHOLD_VARIABLE} vaut « {text} » : un nombre entier d'au moins 1 est attendu"
                            f" (par défaut {MIN_CASES}).")
    return int(text)
HEADLINE_RATES: tuple[str, ...] = ("RR1", "RR3", "COOP1", "REF1", "CON1")


def rates_by(
    con: duckdb.DuckDBPyConnection,
    campaign_id: str,
    dimension: str,
    *,
    cases: Sequence[Case] | None = None,
    min_cases: int = MIN_CASES,
) -> list[dict[str, Any]]:
    """The campaign's rates per group of ``dimension`` (a key of ``DIMENSIONS``), largest groups
    first: the group, its number of cases, its AAPOR group counts, ``HEADLINE_RATES`` and ``e``.

    A structure with several typologies counts in each. Groups with fewer than ``min_cases`` cases
    are merged into « Autres (moins de N) », so no small count singles out a structure; when
    those merged are fewer than ``min_cases`` too, they are left out.
    """
    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension!r} (expected one of {', '.join(DIMENSIONS)})")
    cases = load_cases(con, campaign_id) if cases is None else cases
    keys = _group_keys(con, cases, dimension)
    codes: dict[str, list[str]] = {}
    for case in cases:
        for key in keys[case.structure_id]:
            codes.setdefault(key, []).append(case.disposition.code)
    small = [key for key, found in codes.items() if not disclosed(len(found), min_cases)]
    others = [code for key in small for code in codes.pop(key)]
    if disclosed(len(others), min_cases):  # fewer still would single structures out: left out altogether
        codes[f"Autres (moins de {min_cases})"] = others
    rows = []
    for key, found in sorted(codes.items(), key=lambda item: (item[0].startswith("Autres ("), -len(item[1]), item[0])):
        counts = group_counts(found)
        rates = aapor_rates(counts)
        rows.append({DIMENSIONS[dimension]: key, "Structures": len(found), **counts,
                     **{name: rates[name] for name in HEADLINE_RATES}, "e": rates["e"]})
    return rows


def _group_keys(con: duckdb.DuckDBPyConnection, cases: Sequence[Case], dimension: str) -> dict[str, list[str]]:
    """Each case's groups for a dimension (French « non renseigné » when unknown)."""
    missing = "Non renseigné"
    if dimension == "enqueteur":
        return {case.structure_id: [case.surveyor or "Non attribuée"] for case in cases}
    if dimension == "departement":
        return {case.structure_id: [case.departement or missing] for case in cases}
    if dimension == "tentatives":
        return {case.structure_id: [_attempts_band(case.summary.count)] for case in cases}
    rows = con.execute(
        "SELECT id, commune, code_insee, typologie FROM structures WHERE id IN (SELECT unnest(?::VARCHAR[]))",
        [[case.structure_id for case in cases]],
    ).fetchall()
    by_id = {row[0]: row for row in rows}
    keys: dict[str, list[str]] = {}
    for case in cases:
        _id, commune, code_insee, typologies = by_id.get(case.structure_id, (None, None, None, None))
        if dimension == "commune":
            keys[case.structure_id] = [commune or missing]
        elif dimension == "typologie":
            keys[case.structure_id] = list(typologies or []) or [missing]
        else:  # epci
            keys[case.structure_id] = [_epci_name(code_insee) or missing]
    return keys


def _epci_name(code_insee: str | None) -> str | None:
    if not code_insee:
        return None
    commune = cog().current_commune(code_insee)
    epci = cog().epci(commune.epci) if commune is not None and commune.epci else None
    return epci.nom if epci is not None else None


def _attempts_band(count: int) -> str:
    if count == 0:
        return "0 (pas encore appelée)"
    return f"{count} tentative" + ("s" if count > 1 else "") if count < 6 else "6 tentatives ou plus"


# -- over time ----------------------------------------------------------------------------------

PERIODS: dict[str, str] = {"jour": "Jour", "semaine": "Semaine"}


def rates_over_time(
    con: duckdb.DuckDBPyConnection,
    campaign_id: str,
    *,
    period: str = "jour",
    zone: ZoneInfo = PARIS,
    until: datetime | None = None,
    since: datetime | None = None,
    structure_ids: Collection[str] | None = None,
) -> list[dict[str, Any]]:
    """The campaign's rates as they stood at the end of each day (or week, Monday to Sunday) in
    ``zone``, from its first call to ``until`` (default: now): cumulative, each case counted under
    the disposition its calls gave it by then. Columns: the period's label, its end, the number
    of cases, the AAPOR group counts, the interviews completed during the period,
    ``HEADLINE_RATES`` and ``e``. Only the periods ending after ``since`` are returned (still
    cumulative from the campaign's start); ``structure_ids`` narrows the cases."""
    if period not in PERIODS:
        raise ValueError(f"unknown period {period!r} (expected one of {', '.join(PERIODS)})")
    events = _disposition_events(con, campaign_id, structure_ids)
    if not events:
        return []
    until = until or datetime.now(zone)
    rows: list[dict[str, Any]] = []
    current: dict[str, str] = {}
    index = 0
    completed_before = 0
    for start, end in _periods(events[0][0].replace(tzinfo=UTC), until, period, zone):
        naive_end = end.astimezone(UTC).replace(tzinfo=None)  # events are naive UTC
        while index < len(events) and events[index][0] < naive_end:
            _moment, structure_id, code = events[index]
            current[structure_id] = code
            index += 1
        counts = group_counts(current.values())
        rates = aapor_rates(counts)
        rows.append({PERIODS[period]: _period_label(start, period), "Fin": end, "Structures": len(current), **counts,
                     "Entretiens de la période": counts["I"] - completed_before,
                     **{name: rates[name] for name in HEADLINE_RATES}, "e": rates["e"]})
        completed_before = counts["I"]
    return [row for row in rows if since is None or row["Fin"] > since]


def _disposition_events(
    con: duckdb.DuckDBPyConnection, campaign_id: str, structure_ids: Collection[str] | None = None
) -> list[tuple[datetime, str, str]]:
    """(moment, structure, disposition code from then on) for every target (of ``structure_ids``,
    None: all) and every call that changes its code, in order. Each case is replayed call by call
    (``models.dispositions.DispositionReplay``). Moments are naive UTC datetimes (DuckDB gives them
    without pytz, ten times faster on 100 000 calls); ``rates_over_time`` compares them with naive
    UTC period ends."""
    max_attempts = CampaignRules.of(get_campaign(con, campaign_id)).max_tentatives
    wanted = None if structure_ids is None else list(structure_ids)
    targets = dict(con.execute(
        "SELECT structure_id, created_at::TIMESTAMP FROM campaign_targets WHERE campaign_id = ? AND deleted_at IS NULL"
        " AND (?::VARCHAR[] IS NULL OR list_contains(?::VARCHAR[], structure_id))",
        [campaign_id, wanted, wanted]).fetchall())
    replay = DispositionReplay(max_attempts)
    never_called = disposition_of(replay.start, max_attempts=max_attempts).code
    events: list[tuple[datetime, str, str]] = []
    states: dict[str, tuple[CaseSummary, str]] = {}
    for structure_id, outcome, moment in con.execute(
        "SELECT structure_id, outcome, attempted_at::TIMESTAMP FROM call_attempts WHERE campaign_id = ?"
        " AND deleted_at IS NULL ORDER BY structure_id, attempted_at, id", [campaign_id]).fetchall():
        if structure_id not in targets:
            continue
        if structure_id not in states:  # the case opens at its targeting, or its first call if earlier
            events.append((min(targets[structure_id], moment), structure_id, never_called))
            states[structure_id] = (replay.start, never_called)
        state, code = states[structure_id]
        state, after = states[structure_id] = replay.step(state, outcome)
        if after != code:
            events.append((moment, structure_id, after))
    events += [(targeted_at, structure_id, never_called) for structure_id, targeted_at in targets.items()
               if structure_id not in states]
    events.sort(key=lambda event: event[0])
    return events


def _periods(first: datetime, until: datetime, period: str, zone: ZoneInfo) -> list[tuple[datetime, datetime]]:
    """Consecutive (start, end) of days or weeks in ``zone`` covering ``first``..``until`` (the
    last one ends at ``until``; none starts at ``until`` itself: a period ending at midnight has no empty
    day after it)."""
    day = first.astimezone(zone).date()
    if period == "semaine":
        day -= timedelta(days=day.weekday())
    step = timedelta(days=7 if period == "semaine" else 1)
    spans = []
    while True:
        start = datetime.combine(day, time(0), zone)
        end = datetime.combine(day + step, time(0), zone)
        if start >= until and spans:
            break
        spans.append((start, min(end, until)))
        day += step
    return spans


def _period_label(start: datetime, period: str) -> str:
    return f"semaine du {start:%d/%m/%Y}" if period == "semaine" else f"{start:%d/%m/%Y}"
