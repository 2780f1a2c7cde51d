"""The coordinator's campaign reports: funnel, dispositions, surveyors, late call-backs, non-respondents.

Pure computations (no Streamlit): each report takes a DuckDB connection and a campaign id and
returns a table as a list of dicts keyed by French column labels, ready to display; the order of
those columns, for display and for the CSV export (``models.excel_csv``), is in ``TABLES``, and
``table_csv`` gives the bytes of the download.

Every report reads the campaign's cases through ``collect.calls.load_cases`` (one query), so
dispositions are never re-derived here; a page showing several reports loads the cases once and
passes them as ``cases=``. The rules the call pages read from those cases are here too, written
once: the cases a surveyor holds (``assigned_to``), those still to treat (``open_cases``), the
call-backs still to come (``upcoming_callbacks``), late (``late_callbacks``), the cases to take
over from a surveyor who leaves (``cases_to_take_over``) and the structures a campaign does not
target yet (``new_targets``).

Times are shown as people read them: in Europe/Paris (the coordinator's time) as « 05/03/2026
14:30 », and a call-back also in the structure's own zone (Guadeloupe, Réunion…). Weekday names
are French whatever the system locale.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import duckdb

from collect.calls import Case, load_cases
from models.access import require
from models.dispositions import AAPOR_GROUPS, CALLBACK_OUTCOMES, CODE_LABELS, outcome_rule
from models.excel_csv import excel_csv_bytes
from models.moments import PARIS, moment_text
from models.normalize import phone_display

_WEEKDAYS = ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim.")  # datetime.weekday() order

UNASSIGNED = "Non attribuées"  # the surveyor table's row of targets nobody has
NOBODY = "Non attribuée"  # the « Enquêteur » cell of a structure nobody has
SENT_RELANCE_STATUSES = ("envoyee", "exportee")  # a relance that left (by mail or in an export)
RECENT_DAYS = 7


# -- tables and their CSV -----------------------------------------------------------------------


@dataclass(frozen=True)
class TableSpec:
    """A report's title, the stem of its CSV file name, and its columns in display order."""

    title: str
    file_stem: str
    columns: tuple[str, ...]


TABLES: dict[str, TableSpec] = {
    "funnel": TableSpec("Avancement de la campagne", "avancement", ("Étape", "Structures", "% des ciblées")),
    "dispositions": TableSpec(
        "Structures par disposition AAPOR", "dispositions",
        ("Code AAPOR", "Disposition", "Groupe AAPOR", "Structures", "dont cas clos", "% des ciblées"),
    ),
    "surveyors": TableSpec(
        "Charge et résultats par enquêteur", "enqueteurs",
        ("Enquêteur", "Structures attribuées", "Restant à traiter", "Appels passés",
         f"Appels ({RECENT_DAYS} derniers jours)", "Complets", "Partiels", "Refus", "Taux de contact (%)",
         "Rappels en retard"),
    ),
    "late_callbacks": TableSpec(
        "Rappels en retard", "rappels-en-retard",
        ("Structure", "Commune", "Téléphone", "Enquêteur", "Issue", "Heure demandée (heure locale)",
         "Heure demandée (Paris)", "Retard"),
    ),
    "non_respondents": TableSpec(
        "Structures sans réponse", "non-repondants",
        ("Structure", "Commune", "Téléphone", "Enquêteur", "Tentatives", "Dernier appel (Paris)", "Dernière issue",
         "Code AAPOR", "Disposition", "Cas clos", "Relances envoyées"),
    ),
}


def table_columns(table: str) -> list[str]:
    """The columns of a report (a key of ``TABLES``), in display and CSV order."""
    return list(TABLES[table].columns)


def table_csv(table: str, rows: Iterable[Mapping[str, Any]]) -> bytes:
    """A report's rows as a CSV French Excel opens as-is (``;``, UTF-8 BOM, no formula run)."""
    return excel_csv_bytes(table_columns(table), rows)


# -- French text --------------------------------------------------------------------------------


def weekday_text(moment: datetime) -> str:
    """« jeu. 05/03 10:00 »: French weekday abbreviation, day/month and time, in ``moment``'s own zone."""
    return f"{_WEEKDAYS[moment.weekday()]} {moment.strftime('%d/%m %H:%M')}"


def delay_text(delay: timedelta) -> str:
    """A delay as French text: « 2 j 3 h », « 3 h 05 min », « 12 min » (rounded down to the minute)."""
    minutes = max(0, int(delay.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} j {hours} h" if hours else f"{days} j"
    if hours:
        return f"{hours} h {minutes:02d} min" if minutes else f"{hours} h"
    return f"{minutes} min"


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _code_key(code: str) -> tuple[int, ...]:
    return tuple(int(part) for part in code.split("."))


def _cases(con: duckdb.DuckDBPyConnection, campaign_id: str, cases: Sequence[Case] | None) -> Sequence[Case]:
    return load_cases(con, campaign_id) if cases is None else cases


# -- funnel and dispositions --------------------------------------------------------------------


def campaign_funnel(
    con: duckdb.DuckDBPyConnection, campaign_id: str, *, cases: Sequence[Case] | None = None
) -> list[dict[str, Any]]:
    """The campaign's progress, from targeted to completed: columns of ``TABLES["funnel"]``.

    Steps, each a subset of the one before: *Ciblées* (every target), *Attribuées* (having a
    surveyor now), *Appelées au moins une fois*, *Jointes* (an outcome showing the structure was
    reached: interview, refusal, call-back, its answering machine…), *Questionnaire complet*
    (disposition 1.1). A last row counts the partial interviews (disposition 1.2), which are
    not a further step: they are reached structures not (yet) complete.
    """
    cases = _cases(con, campaign_id, cases)
    total = len(cases)
    steps = [
        ("Ciblées", total),
        ("Attribuées", sum(1 for c in cases if c.surveyor is not None)),
        ("Appelées au moins une fois", sum(1 for c in cases if c.summary.count > 0)),
        ("Jointes", sum(1 for c in cases if c.summary.reached)),
        ("Questionnaire complet", sum(1 for c in cases if c.disposition.code == "1.1")),
        ("Questionnaire partiel (non complet)", sum(1 for c in cases if c.disposition.code == "1.2")),
    ]
    return [{"Étape": name, "Structures": n, "% des ciblées": _percent(n, total)} for name, n in steps]


def disposition_breakdown(
    con: duckdb.DuckDBPyConnection, campaign_id: str, *, cases: Sequence[Case] | None = None
) -> list[dict[str, Any]]:
    """Every target counted once under its AAPOR disposition code (codes present only, in code
    order): columns of ``TABLES["dispositions"]``; *dont cas clos* counts the closed cases of
    the code (a soft refusal is 2.11 and still open, a hard refusal 2.11 and closed)."""
    cases = _cases(con, campaign_id, cases)
    counts = Counter(c.disposition.code for c in cases)
    closed = Counter(c.disposition.code for c in cases if c.disposition.final)
    return [
        {"Code AAPOR": code, "Disposition": CODE_LABELS[code], "Groupe AAPOR": AAPOR_GROUPS[code],
         "Structures": counts[code], "dont cas clos": closed[code], "% des ciblées": _percent(counts[code], len(cases))}
        for code in sorted(counts, key=_code_key)
    ]


# -- cases of a surveyor, call-backs --------------------------------------------------------------


def assigned_to(cases: Iterable[Case], surveyor: str | None) -> list[Case]:
    """The cases ``surveyor`` holds now (``None``: those nobody holds), in the given order."""
    return [case for case in cases if case.surveyor == surveyor]


def open_cases(cases: Iterable[Case]) -> list[Case]:
    """The cases still to treat (« Restant à traiter », « en cours »): those whose disposition is not
    final (a complete interview, a hard refusal, a structure out of scope and the attempts run out
    close a case), in the given order."""
    return [case for case in cases if not case.disposition.final]


def cases_to_take_over(cases: Iterable[Case], surveyor: str) -> list[str]:
    """The structures to share among the others when ``surveyor`` leaves: the open cases they hold
    (a closed case stays with whoever holds it, its history with it), in the given order."""
    return [case.structure_id for case in open_cases(assigned_to(cases, surveyor))]


def new_targets(cases: Iterable[Case], structure_ids: Iterable[str]) -> list[str]:
    """The structures of ``structure_ids`` that are no target of the campaign whose ``cases`` these
    are (never targeted, or taken out since), each once, in the given order: what adding them to the
    campaign adds (``collect.calls.add_targets``)."""
    targeted = {case.structure_id for case in cases}
    return [structure_id for structure_id in dict.fromkeys(structure_ids) if structure_id not in targeted]


def _asked_callback(case: Case) -> datetime | None:
    """The time an open case's last call asked to be called back at (a call-back or an appointment),
    else None: a closed case, or a last call that asked nothing (a call made since the request
    replaces it)."""
    if case.disposition.final or case.summary.last_outcome not in CALLBACK_OUTCOMES:
        return None
    return case.summary.last_callback


def _is_late(case: Case, now: datetime, grace: timedelta) -> bool:
    """An open case whose last call asked a call-back (or set an appointment) now past by more than
    ``grace``; the last outcome being the call-back, no call was made since."""
    asked = _asked_callback(case)
    return asked is not None and asked < now - grace


def upcoming_callbacks(cases: Iterable[Case], *, now: datetime) -> list[Case]:
    """The call-backs and appointments still to come: open cases whose last call asked to be called
    back at a time after ``now``, soonest first (then by structure name).

    At that time the case joins its surveyor's queue (``collect.calls.surveyor_queue``, « Rappel
    prévu »); if no call is made within the grace that follows, it is a late call-back
    (``late_callbacks``)."""
    coming = [(asked, case) for case in cases if (asked := _asked_callback(case)) is not None and asked > now]
    coming.sort(key=lambda pair: (pair[0], (pair[1].nom or "").casefold(), pair[1].structure_id))
    return [case for _, case in coming]


# -- surveyors ----------------------------------------------------------------------------------


def surveyor_table(
    con: duckdb.DuckDBPyConnection,
    campaign_id: str,
    *,
    now: datetime,
    grace: timedelta = timedelta(minutes=30),
    cases: Sequence[Case] | None = None,
) -> list[dict[str, Any]]:
    """Workload and results per surveyor: columns of ``TABLES["surveyors"]``, surveyors in name
    order, then a row « Non attribuées » when some targets have no surveyor.

    Calls (*Appels passés*, *Appels (7 derniers jours)*, i.e. in (now - 7 days, now]) are counted
    for whoever made them (``call_attempts.surveyor``), so a surveyor whose structures were all
    reassigned keeps a row; the other columns describe the structures assigned to the surveyor
    *now* (a reassigned structure's results follow it): *Restant à traiter* = open cases,
    *Complets* / *Partiels* / *Refus* = dispositions 1.1 / 1.2 / 2.11 (soft and hard),
    *Taux de contact* = reached ÷ called at least once, in %, *Rappels en retard* as
    ``late_callbacks`` with the same ``grace``. The « Non attribuées » row has no calls.
    """
    cases = _cases(con, campaign_id, cases)
    calls = {
        surveyor: (total, recent)
        for surveyor, total, recent in con.execute(
            "SELECT surveyor, count(*), count(*) FILTER (WHERE attempted_at > ? AND attempted_at <= ?)"
            " FROM call_attempts WHERE campaign_id = ? AND deleted_at IS NULL GROUP BY surveyor",
            [now - timedelta(days=RECENT_DAYS), now, campaign_id],
        ).fetchall()
    }
    by_surveyor: dict[str | None, list[Case]] = defaultdict(list)
    for case in cases:
        by_surveyor[case.surveyor].append(case)
    names = sorted(set(calls) | {s for s in by_surveyor if s is not None}, key=lambda s: (s.casefold(), s))
    rows = []
    for name in [*names, None] if by_surveyor.get(None) else names:
        assigned = by_surveyor.get(name, [])
        called = sum(1 for c in assigned if c.summary.count > 0)
        total, recent = calls.get(name, (0, 0)) if name is not None else (None, None)
        rows.append({
            "Enquêteur": name if name is not None else UNASSIGNED,
            "Structures attribuées": len(assigned),
            "Restant à traiter": len(open_cases(assigned)),
            "Appels passés": total,
            f"Appels ({RECENT_DAYS} derniers jours)": recent,
            "Complets": sum(1 for c in assigned if c.disposition.code == "1.1"),
            "Partiels": sum(1 for c in assigned if c.disposition.code == "1.2"),
            "Refus": sum(1 for c in assigned if c.disposition.code == "2.11"),
            "Taux de contact (%)": _percent(sum(1 for c in assigned if c.summary.reached), called),
            "Rappels en retard": sum(1 for c in assigned if _is_late(c, now, grace)),
        })
    return rows


# -- late call-backs ----------------------------------------------------------------------------


def callback_times(moment: datetime, timezone: str, *, viewer: ZoneInfo = PARIS) -> tuple[str, str]:
    """A call-back time as asked, in the structure's zone, and as read by the viewer (Paris by
    default): (« jeu. 05/03 10:00 (America/Guadeloupe) », « 15:00 Paris »); the viewer's text
    carries the day too when it falls on another date than the local one (« ven. 06/03 03:00 Paris »)."""
    local = moment.astimezone(ZoneInfo(timezone))
    seen = moment.astimezone(viewer)
    shown = seen.strftime("%H:%M") if seen.date() == local.date() else weekday_text(seen)
    return f"{weekday_text(local)} ({timezone})", f"{shown} {zone_city(viewer)}"


def zone_city(zone: ZoneInfo) -> str:
    """The place a time zone is named after: « Paris », « Guadeloupe », « Port of Spain »."""
    return zone.key.rsplit("/", 1)[-1].replace("_", " ")


def late_callbacks(
    con: duckdb.DuckDBPyConnection,
    campaign_id: str,
    *,
    now: datetime,
    grace: timedelta = timedelta(minutes=30),
    cases: Sequence[Case] | None = None,
) -> list[dict[str, Any]]:
    """Open cases whose last call asked a call-back or set an appointment for a time before
    ``now - grace``, no call made since: columns of ``TABLES["late_callbacks"]``, most late first
    (then by structure name). *Retard* is French text (« 2 j 3 h »)."""
    cases = _cases(con, campaign_id, cases)
    late = sorted(
        (c for c in cases if _is_late(c, now, grace)),
        key=lambda c: (c.summary.last_callback, (c.nom or "").casefold()),
    )
    rows = []
    for case in late:
        asked = case.summary.last_callback
        assert asked is not None and case.summary.last_outcome is not None
        local, paris = callback_times(asked, case.timezone)
        rows.append({
            "Structure": case.nom, "Commune": case.commune, "Téléphone": phone_display(case.telephone),
            "Enquêteur": case.surveyor or NOBODY, "Issue": outcome_rule(case.summary.last_outcome).label,
            "Heure demandée (heure locale)": local, "Heure demandée (Paris)": paris, "Retard": delay_text(now - asked),
        })
    return rows


# -- non-respondents ----------------------------------------------------------------------------

# Dispositions that are no non-response to chase: interview done, refusal, not eligible.
_NOT_TO_CHASE = frozenset({"1.1", "2.11", "4.31", "4.41", "4.90"})


def non_respondents(
    con: duckdb.DuckDBPyConnection, campaign_id: str, *, cases: Sequence[Case] | None = None
) -> list[dict[str, Any]]:
    """Targets contacted without answering: columns of ``TABLES["non_respondents"]``.

    A non-respondent is a target called at least once or sent a relance (``relances`` with status
    envoyee or exportee), with no complete interview (disposition 1.1) and no response submitted
    in the campaign, that is neither a refusal (2.11, soft or hard: a refusal is respected, not
    chased) nor a structure out of scope (4.x: wrong or non-working number, not eligible). It
    keeps the open cases (call-backs, answering machines, no answer, break-offs, partial
    interviews) and the cases closed without interview (2.30, 3.90 once the attempts ran out),
    *Cas clos* telling them apart. Targets never contacted are left out (they are not
    non-respondents yet: see the funnel). Sorted open cases first, then by structure name.
    """
    cases = _cases(con, campaign_id, cases)
    relances = dict(con.execute(
        "SELECT structure_id, count(*) FROM relances WHERE campaign_id = ? AND list_contains(?, statut)"
        " GROUP BY structure_id",
        [campaign_id, list(SENT_RELANCE_STATUSES)],
    ).fetchall())
    answered = {row[0] for row in con.execute(
        "SELECT DISTINCT structure_id FROM responses WHERE campaign_id = ? AND deleted_at IS NULL", [campaign_id]
    ).fetchall()}
    kept = sorted(
        (c for c in cases
         if (c.summary.count > 0 or relances.get(c.structure_id))
         and c.disposition.code not in _NOT_TO_CHASE and c.structure_id not in answered),
        key=lambda c: (c.disposition.final, (c.nom or "").casefold(), c.structure_id),
    )
    return [
        {
            "Structure": c.nom, "Commune": c.commune, "Téléphone": phone_display(c.telephone), "Enquêteur": c.surveyor or NOBODY,
            "Tentatives": c.summary.count, "Dernier appel (Paris)": moment_text(c.summary.last_at) or None,
            "Dernière issue": outcome_rule(c.summary.last_outcome).label if c.summary.last_outcome else None,
            "Code AAPOR": c.disposition.code, "Disposition": c.disposition.label, "Cas clos": c.disposition.final,
            "Relances envoyées": relances.get(c.structure_id, 0),
        }
        for c in kept
    ]


def campaign_report(con: duckdb.DuckDBPyConnection, campaign_id: str, *, now: datetime,
                    by: str) -> dict[str, list[dict[str, Any]]]:
    """Every report of a campaign (keys of ``TABLES``), its cases loaded once. It names surveyors
    and non-respondents with their contacts: a coordinator's report (right ``gerer_campagne``)."""
    require(con, by, "gerer_campagne")
    cases = load_cases(con, campaign_id)
    return {
        "funnel": campaign_funnel(con, campaign_id, cases=cases),
        "dispositions": disposition_breakdown(con, campaign_id, cases=cases),
        "surveyors": surveyor_table(con, campaign_id, now=now, cases=cases),
        "late_callbacks": late_callbacks(con, campaign_id, now=now, cases=cases),
        "non_respondents": non_respondents(con, campaign_id, cases=cases),
    }
