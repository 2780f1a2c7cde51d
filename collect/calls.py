"""Call campaigns: targets, assignment to surveyors, call attempts, and each surveyor's queue.

The queue (*Mes appels*) orders a surveyor's work as CATI systems do:

1. call-backs and appointments that are due (the time the structure asked, in its own zone);
2. structures never called;
3. retries whose minimum delay has passed (``models.dispositions.retry_not_before``: the delay
   of the last outcome, growing with attempts).

It leaves out closed cases (complete, hard refusal, not eligible, maximum attempts reached) and
structures that cannot be called *now*: outside the campaign's calling hours or outside the
structure's opening hours (``horaires``, OSM syntax), both read in the structure's local time
(``Structure.timezone``: a surveyor in Paris calling Guadeloupe sees Guadeloupe's hours). A
structure whose ``horaires`` cannot be read is only held to the campaign's calling hours.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache, lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
from opening_hours import OpeningHours, ParserError

from collect.campaigns import CampaignError, edit_campaign_settings, get_campaign
from models.access import require
from models.audit import AuditEntry, record_audit, record_audits
from models.campaign_rules import RULE_FIELDS, CampaignRules
from models.cog import departement_sql, timezone_for_departement
from models.dispositions import (
    CALLBACK_OUTCOMES,
    MAX_ANSWERING_MACHINE_MESSAGES,
    OUTCOME_RULES,
    SPACING_GROWTH,
    AttemptView,
    CaseSummary,
    Disposition,
    disposition_of,
    may_leave_message,
    next_call_at,
    outcome_rule,
)
from models.edits import EditResult
from models.ids import new_id
from models.runtime import collector_paused
from models.saved_filters import StructureFilter, structure_ids_matching
from models.store import fetch_dicts, utc_now


class CallError(CampaignError):
    """A call action is impossible (unknown outcome, call-back in the past…); message in French."""


# -- targets and assignment ---------------------------------------------------------------------


def add_targets(con: duckdb.DuckDBPyConnection, campaign_id: str, structure_ids: Sequence[str], *, by: str) -> int:
    """Add structures to a campaign's target list (already targeted ones are kept, removed ones come
    back); return how many were added."""
    require(con, by, "gerer_campagne")
    get_campaign(con, campaign_id)
    removed: dict[str, bool] = dict(con.execute(  # every structure ever targeted → whether it was taken out since
        "SELECT structure_id, deleted_at IS NOT NULL FROM campaign_targets WHERE campaign_id = ?", [campaign_id]
    ).fetchall())
    new = [sid for sid in dict.fromkeys(structure_ids) if removed.get(sid, True)]
    # A plain INSERT of the structures never targeted and an UPDATE of the removed ones (an upsert
    # is much slower in DuckDB); a target added meanwhile by another session fails on its key.
    again = [sid for sid in new if sid in removed]
    if again:
        con.execute(
            "UPDATE campaign_targets SET deleted_at = NULL WHERE campaign_id = ?"
            " AND structure_id IN (SELECT unnest(?::VARCHAR[]))",
            [campaign_id, again],
        )
    first = [sid for sid in new if sid not in removed]
    if first:
        con.execute(
            "INSERT INTO campaign_targets (campaign_id, structure_id, created_at, updated_by)"
            " SELECT ?, unnest(?::VARCHAR[]), ?, ?",
            [campaign_id, first, utc_now(), by],
        )
    return len(new)


def configure_campaign(
    con: duckdb.DuckDBPyConnection,
    campaign_id: str,
    *,
    max_tentatives: int,
    heures_appel: str,
    date_debut: date | None = None,
    date_fin: date | None = None,
    by: str,
) -> None:
    """Set a campaign's calling rules: maximum attempts per structure, calling hours (OSM syntax,
    read in each structure's own time), and dates. Refused in French when a rule is not usable."""
    require(con, by, "gerer_campagne")
    get_campaign(con, campaign_id)
    if not 1 <= max_tentatives <= 50:
        raise CallError("Le nombre maximal de tentatives doit être compris entre 1 et 50.")
    heures_appel = heures_appel.strip()
    if _hours(heures_appel) is None:
        raise CallError(
            f"Heures d'appel illisibles : « {heures_appel} ». Écrivez-les comme des horaires OpenStreetMap,"
            " par exemple « Mo-Fr 09:00-12:30,13:30-18:00 »."
        )
    if date_debut and date_fin and date_fin < date_debut:
        raise CallError("La date de fin de la campagne est avant sa date de début.")
    con.execute(
        "UPDATE campaigns SET max_tentatives = ?, heures_appel = ?, date_debut = ?, date_fin = ?, updated_at = ?,"
        " updated_by = ? WHERE id = ?",
        [max_tentatives, heures_appel, date_debut, date_fin, utc_now(), by, campaign_id],
    )
    record_audit(con, actor=by, action="campaign.configure", entity="campaigns", entity_id=campaign_id,
                 details={"max_tentatives": max_tentatives, "heures_appel": heures_appel})


def campaign_rules(campaign: Mapping[str, Any]) -> dict[str, Any]:
    """A campaign's calling rules as the rules form shows them (argument names of ``configure_campaign``)."""
    return CampaignRules.of(campaign).model_dump()


def edit_campaign_rules(
    con: duckdb.DuckDBPyConnection, campaign_id: str, changes: Mapping[str, tuple[Any, Any]], *, by: str
) -> EditResult:
    """Save the calling rules a person changed, each as ``(based_on, new)``: the value the form showed
    and the one typed (``models.edits``). A rule still holding ``based_on`` gets ``new``; a rule
    someone else changed meanwhile is left as it is and comes back as a conflict (the campaign's
    last writer and time), audited; the others are written by ``configure_campaign`` (same checks)."""
    require(con, by, "gerer_campagne")
    unknown = sorted(set(changes) - set(RULE_FIELDS))
    if unknown:
        raise CallError(f"Règle d'appel inconnue : {', '.join(unknown)}.")
    return edit_campaign_settings(
        con, campaign_id, changes, shown=campaign_rules, conflict_action="campaign.conflict", by=by,
        save=lambda campaign, written: configure_campaign(con, campaign_id, **{**campaign_rules(campaign), **written},
                                                          by=by),
    )


def target_by_filters(
    con: duckdb.DuckDBPyConnection, campaign_id: str, filters: Sequence[StructureFilter], *, by: str
) -> int:
    """Add to a campaign the structures matching any of ``filters`` (a territory, a typology, a saved
    filter's criteria); return how many were added."""
    require(con, by, "gerer_campagne")
    added = add_targets(con, campaign_id, structure_ids_matching(con, filters), by=by)
    record_audit(con, actor=by, action="campaign.target", entity="campaigns", entity_id=campaign_id,
                 details={"filtres": [f.describe() for f in filters], "ajoutees": added})
    return added


def remove_targets(con: duckdb.DuckDBPyConnection, campaign_id: str, structure_ids: Sequence[str], *, by: str) -> int:
    """Take structures out of a campaign's targets (their attempts and assignments are kept)."""
    require(con, by, "gerer_campagne")
    now = utc_now()
    row = con.execute(
        "UPDATE campaign_targets SET deleted_at = ?, updated_by = ? WHERE campaign_id = ? AND deleted_at IS NULL"
        " AND structure_id IN (SELECT unnest(?::VARCHAR[])) RETURNING structure_id",
        [now, by, campaign_id, list(structure_ids)],
    ).fetchall()
    return len(row)


def assign(
    con: duckdb.DuckDBPyConnection, campaign_id: str, structure_ids: Sequence[str], surveyor: str, *, by: str
) -> int:
    """Assign structures to a surveyor; a structure assigned to someone else is reassigned (the
    previous assignment is ended, never erased). Returns how many assignments changed."""
    require(con, by, "gerer_campagne")
    now = utc_now()
    current = {row[0]: row[1] for row in con.execute(
        "SELECT structure_id, surveyor FROM assignments WHERE campaign_id = ? AND ended_at IS NULL AND deleted_at IS NULL",
        [campaign_id],
    ).fetchall()}
    changed = [sid for sid in dict.fromkeys(structure_ids) if current.get(sid) != surveyor]
    if not changed:
        return 0
    con.execute(
        "UPDATE assignments SET ended_at = ?, updated_at = ?, updated_by = ? WHERE campaign_id = ? AND ended_at IS NULL"
        " AND structure_id IN (SELECT unnest(?::VARCHAR[]))",
        [now, now, by, campaign_id, changed],
    )
    con.execute(  # one statement for all (an executemany runs one per row)
        "INSERT INTO assignments (id, campaign_id, structure_id, surveyor, assigned_at, created_at, updated_at, updated_by)"
        " SELECT unnest(?::VARCHAR[]), ?, unnest(?::VARCHAR[]), ?, ?, ?, ?, ?",
        [[new_id() for _ in changed], campaign_id, changed, surveyor, now, now, now, by],
    )
    record_audit(con, actor=by, action="campaign.assign", entity="campaigns", entity_id=campaign_id,
                 details={"enqueteur": surveyor, "structures": len(changed)})
    return len(changed)


def unassign(con: duckdb.DuckDBPyConnection, campaign_id: str, structure_ids: Sequence[str], *, by: str) -> int:
    """End the current assignment of structures (history kept); return how many were assigned."""
    require(con, by, "gerer_campagne")
    now = utc_now()
    ended = con.execute(
        "UPDATE assignments SET ended_at = ?, updated_at = ?, updated_by = ? WHERE campaign_id = ? AND ended_at IS NULL"
        " AND deleted_at IS NULL AND structure_id IN (SELECT unnest(?::VARCHAR[])) RETURNING structure_id",
        [now, now, by, campaign_id, list(structure_ids)],
    ).fetchall()
    if ended:
        record_audit(con, actor=by, action="campaign.unassign", entity="campaigns", entity_id=campaign_id,
                     details={"structures": len(ended)})
    return len(ended)


def plan_balanced_assignment(
    con: duckdb.DuckDBPyConnection,
    campaign_id: str,
    surveyors: Sequence[str],
    *,
    structure_ids: Sequence[str] | None = None,
) -> dict[str, list[str]]:
    """Share structures among surveyors so that each one ends with the same number of open cases,
    each one's share staying together by territory (département, then commune, then name).

    ``structure_ids`` defaults to the open targets nobody has; given, they are reassigned (e.g.
    the cases of a surveyor who leaves). Surveyors' current open cases count in their workload,
    so a newcomer gets more. Returns the plan; ``assign`` each share to apply it.
    """
    surveyors = list(dict.fromkeys(s.strip() for s in surveyors if s and s.strip()))
    if not surveyors:
        raise CallError("Choisissez au moins un enquêteur ou une enquêtrice.")
    cases = [case for case in load_cases(con, campaign_id) if not case.disposition.final]
    chosen = set(structure_ids) if structure_ids is not None else {c.structure_id for c in cases if c.surveyor is None}
    to_share = sorted(
        (case for case in cases if case.structure_id in chosen),
        key=lambda c: (c.departement or "", c.commune or "", c.nom or "", c.structure_id),
    )
    load = {s: 0 for s in surveyors}
    for case in cases:
        if case.surveyor in load and case.structure_id not in chosen:
            load[case.surveyor] += 1
    quotas = _fair_quotas(load, len(to_share))
    plan: dict[str, list[str]] = {}
    position = 0
    for surveyor in surveyors:
        share = to_share[position:position + quotas[surveyor]]
        position += len(share)
        if share:
            plan[surveyor] = [case.structure_id for case in share]
    return plan


def _fair_quotas(load: dict[str, int], count: int) -> dict[str, int]:
    """How many of ``count`` new cases each surveyor takes so that loads end as even as possible
    (water-filling: the least loaded are topped up first)."""
    quotas = {surveyor: 0 for surveyor in load}
    for _ in range(count):
        surveyor = min(load, key=lambda s: (load[s] + quotas[s], s))
        quotas[surveyor] += 1
    return quotas


def campaign_surveyors(con: duckdb.DuckDBPyConnection, campaign_id: str) -> list[str]:
    """Everyone who holds structures of a campaign now, by name."""
    return [row[0] for row in con.execute(
        "SELECT DISTINCT surveyor FROM assignments WHERE campaign_id = ? AND ended_at IS NULL AND deleted_at IS NULL"
        " ORDER BY surveyor",
        [campaign_id],
    ).fetchall()]


def assignment_history(con: duckdb.DuckDBPyConnection, campaign_id: str, structure_id: str) -> list[dict[str, Any]]:
    """Every assignment of a structure in a campaign, oldest first."""
    return fetch_dicts(
        con,
        "SELECT surveyor, assigned_at, ended_at, updated_by FROM assignments WHERE campaign_id = ? AND structure_id = ?"
        " ORDER BY assigned_at, id",
        [campaign_id, structure_id],
    )


# -- attempts -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CallAttempt:
    """One call to log: the structure called, its outcome, the surveyor who called, when (aware;
    default now), the call-back or appointment time (aware) and a note."""

    structure_id: str
    outcome: str
    surveyor: str
    at: datetime | None = None
    callback_at: datetime | None = None
    note: str | None = None


def log_attempt(
    con: duckdb.DuckDBPyConnection,
    campaign_id: str,
    structure_id: str,
    outcome: str,
    *,
    surveyor: str,
    by: str,
    at: datetime | None = None,
    callback_at: datetime | None = None,
    note: str | None = None,
) -> str:
    """Record one call and its outcome; a call-back or appointment needs its (aware) time. Returns the id."""
    return log_attempts(con, campaign_id, [CallAttempt(structure_id, outcome, surveyor, at, callback_at, note)], by=by)[0]


def log_attempts(
    con: duckdb.DuckDBPyConnection, campaign_id: str, attempts: Sequence[CallAttempt], *, by: str
) -> list[str]:
    """Record several calls of a campaign, in order, each checked as ``log_attempt`` does: one
    right check for all their structures, one read of the messages already left, one write. One
    refused call refuses them all (nothing written). Returns their ids, in order."""
    require(con, by, "noter_appel", campaign_id=campaign_id, structure_ids={a.structure_id for a in attempts})
    return _write_attempts(con, campaign_id, attempts, by=by)


def _write_attempts(
    con: duckdb.DuckDBPyConnection, campaign_id: str, attempts: Sequence[CallAttempt], *, by: str
) -> list[str]:
    """Check and write calls whose right was checked, with their audit rows."""
    now = utc_now()
    rows = []
    for attempt in attempts:
        at, callback_at, outcome = attempt.at or now, attempt.callback_at, attempt.outcome
        if outcome not in OUTCOME_RULES:
            raise CallError(f"Issue d'appel inconnue : « {outcome} ».")
        if at.tzinfo is None or (callback_at is not None and callback_at.tzinfo is None):
            raise CallError("Les heures d'appel et de rappel doivent porter leur fuseau horaire.")
        if outcome in CALLBACK_OUTCOMES:
            if callback_at is None:
                raise CallError("Un rappel ou un rendez-vous demande sa date et son heure.")
            if callback_at <= at:
                raise CallError("La date de rappel doit être après l'appel.")
        rows.append((new_id(), attempt, at))
    if not rows:
        return []
    messages = {a.structure_id for a in attempts if a.outcome == "repondeur_message"}
    views = _attempt_views_of(con, campaign_id, messages) if messages else {}
    for _, attempt, at in rows:  # the earlier calls of this batch count too
        if attempt.outcome == "repondeur_message" and not may_leave_message(views.get(attempt.structure_id, [])):
            raise CallError(
                f"Déjà {MAX_ANSWERING_MACHINE_MESSAGES} messages laissés sur ce répondeur : n'en laissez pas d'autre,"
                " notez « Répondeur, pas de message »."
            )
        if attempt.structure_id in messages:
            views.setdefault(attempt.structure_id, []).append(AttemptView(attempt.outcome, at, attempt.callback_at))
    con.execute(
        "INSERT INTO call_attempts (id, campaign_id, structure_id, surveyor, attempted_at, outcome, callback_at, note,"
        " created_at, updated_at, updated_by) SELECT unnest(?::VARCHAR[]), ?, unnest(?::VARCHAR[]),"
        " unnest(?::VARCHAR[]), unnest(?::TIMESTAMPTZ[]), unnest(?::VARCHAR[]), unnest(?::TIMESTAMPTZ[]),"
        " unnest(?::VARCHAR[]), ?, ?, ?",
        [[i for i, _, _ in rows], campaign_id, [a.structure_id for _, a, _ in rows], [a.surveyor for _, a, _ in rows],
         [at for _, _, at in rows], [a.outcome for _, a, _ in rows], [a.callback_at for _, a, _ in rows],
         [a.note for _, a, _ in rows], now, now, by],
    )
    record_audits(con, actor=by, entries=[
        AuditEntry("call.attempt", "structures", attempt.structure_id,
                   {"campaign_id": campaign_id, "appel": attempt_id, "issue": attempt.outcome,
                    "enqueteur": attempt.surveyor, "rappel": attempt.callback_at})
        for attempt_id, attempt, _ in rows
    ])
    return [attempt_id for attempt_id, _, _ in rows]


def attempts_of(con: duckdb.DuckDBPyConnection, campaign_id: str, structure_id: str) -> list[dict[str, Any]]:
    """A structure's calls in a campaign, latest first: time, surveyor, outcome (and its French
    label and AAPOR code), call-back time, note."""
    rows = fetch_dicts(
        con,
        "SELECT id, attempted_at, surveyor, outcome, callback_at, note FROM call_attempts"
        " WHERE campaign_id = ? AND structure_id = ? AND deleted_at IS NULL ORDER BY attempted_at DESC, id DESC",
        [campaign_id, structure_id],
    )
    for row in rows:
        rule = outcome_rule(row["outcome"])
        row["libelle"], row["code"] = rule.label, rule.code
    return rows


def attempt_views(con: duckdb.DuckDBPyConnection, campaign_id: str, structure_id: str) -> list[AttemptView]:
    """A structure's calls in a campaign as the disposition rules read them (oldest first)."""
    return _attempt_views_of(con, campaign_id, [structure_id]).get(structure_id, [])


def _attempt_views_of(
    con: duckdb.DuckDBPyConnection, campaign_id: str, structure_ids: Collection[str]
) -> dict[str, list[AttemptView]]:
    """The calls of several structures of a campaign as the rules read them, by structure (oldest first)."""
    views: dict[str, list[AttemptView]] = defaultdict(list)
    for structure_id, outcome, attempted_at, callback_at in con.execute(
        "SELECT structure_id, outcome, attempted_at, callback_at FROM call_attempts WHERE campaign_id = ?"
        " AND structure_id IN (SELECT unnest(?::VARCHAR[])) AND deleted_at IS NULL ORDER BY attempted_at, id",
        [campaign_id, list(structure_ids)],
    ).fetchall():
        views[structure_id].append(AttemptView(outcome, attempted_at, callback_at))
    return dict(views)


def record_interview(
    con: duckdb.DuckDBPyConnection, campaign_id: str, structure_id: str, *, surveyor: str, by: str, at: datetime
) -> bool:
    """Log the call of a submitted interview as ``complete`` (once per structure and campaign: a
    correction adds nothing), so the case closes as 1.1 without the surveyor logging it by hand.
    Returns whether an attempt was added."""
    require(con, by, "noter_appel", campaign_id=campaign_id, structure_id=structure_id)
    done = con.execute(
        "SELECT count(*) FROM call_attempts WHERE campaign_id = ? AND structure_id = ? AND outcome = 'complete'"
        " AND deleted_at IS NULL",
        [campaign_id, structure_id],
    ).fetchone()
    if done and done[0]:
        return False
    _write_attempts(con, campaign_id, [CallAttempt(structure_id, "complete", surveyor, at, note="Questionnaire soumis")],
                    by=by)  # its right was checked above
    return True


# -- cases and queue ----------------------------------------------------------------------------


@dataclass
class Case:
    """One target structure of a campaign: who has it, its attempts summed up, disposition, next call time."""

    structure_id: str
    nom: str
    commune: str | None
    telephone: str | None
    horaires: str | None
    departement: str | None
    timezone: str
    surveyor: str | None
    summary: CaseSummary
    disposition: Disposition
    next_at: datetime | None  # None: closed, or never called (call it now)


_CLOSING = [name for name, rule in OUTCOME_RULES.items() if rule.retry_after is None]
_REACHED = [name for name, rule in OUTCOME_RULES.items() if rule.reached]
_NAMES = list(OUTCOME_RULES)
_RANKS = [rule.rank for rule in OUTCOME_RULES.values()]
_RETRY_SECONDS = [None if rule.retry_after is None else rule.retry_after.total_seconds() for rule in OUTCOME_RULES.values()]

# One row per structure with the fields of ``CaseSummary``, computed by DuckDB from the attempts
# (the rules' lists are parameters: the rules stay written once, in models/dispositions.py; a code
# outside the list ranks lowest and waits as « Autre » does, as ``outcome_rule`` reads it).
_SUMMARY_SQL = (
    "SELECT structure_id, count(*) AS n, bool_or(outcome = 'complete') AS has_complete,"
    " bool_or(outcome = 'partielle') AS has_partial,"
    " arg_max(outcome, attempted_at) FILTER (WHERE list_contains($closing, outcome)) AS last_closing,"
    " bool_or(list_contains($reached, outcome)) AS reached,"
    " arg_max(outcome, coalesce(list_extract($ranks, list_position($names, outcome)), 0) * 10000000000.0"
    "   + epoch(attempted_at)) AS best,"
    " arg_max(outcome, attempted_at) AS last_outcome, max(attempted_at)::TIMESTAMP AS last_at,"
    " arg_max_null(callback_at, attempted_at)::TIMESTAMP AS last_callback"
    " FROM call_attempts WHERE campaign_id = $campaign AND deleted_at IS NULL GROUP BY structure_id"
)

# Every target with its structure's fields, its current surveyor and its summary. With $due_at,
# only the cases a queue may take at that time: assigned, not closed, never called or whose next
# call time has passed. That pre-filter is ``next_call_at`` and ``disposition_of(...).final``
# written in SQL with the same rule parameters, so that Python builds only the cases it needs;
# tests/collect/test_calls.py checks that it keeps exactly the cases the Python rules keep.
@cache
def _cases_sql() -> str:
    return (
    "WITH summary AS (" + _SUMMARY_SQL + "),"
    " cases AS (SELECT s.id, s.nom, s.commune, s.telephone, s.horaires, " + departement_sql() + " AS dep,"
    "  a.surveyor, m.n, m.has_complete, m.has_partial, m.last_closing, m.reached, m.best, m.last_outcome,"
    "  m.last_at, m.last_callback"
    "  FROM campaign_targets t JOIN structures s ON s.id = t.structure_id"
    "  LEFT JOIN assignments a ON a.campaign_id = t.campaign_id AND a.structure_id = t.structure_id"
    "   AND a.ended_at IS NULL AND a.deleted_at IS NULL"
    "  LEFT JOIN summary m ON m.structure_id = t.structure_id"
    "  WHERE t.campaign_id = $campaign AND t.deleted_at IS NULL AND s.deleted_at IS NULL)"
    " SELECT * FROM cases WHERE $due_at::TIMESTAMP IS NULL OR (surveyor IS NOT NULL AND (n IS NULL OR ("
    "  NOT has_complete AND last_closing IS NULL AND n < $max_attempts"
    "  AND CASE WHEN list_contains($callbacks, last_outcome) AND last_callback IS NOT NULL THEN last_callback"
    "   ELSE last_at + to_microseconds((coalesce(list_extract($retry, list_position($names, last_outcome)), "
    + str(int(outcome_rule("").retry_after.total_seconds())) + ")"
    "    * 1000000 * (1 + $growth * (n - 1)))::BIGINT) END <= $due_at::TIMESTAMP)))"
    )


def _summary(row: Sequence[Any]) -> CaseSummary:
    # Times come back naive (TIMESTAMP, the session is in UTC): made aware here, much cheaper than
    # DuckDB's per-value conversion of TIMESTAMPTZ.
    return CaseSummary(*row[:7], row[7].replace(tzinfo=UTC), row[8].replace(tzinfo=UTC) if row[8] else None)


def case_summaries(con: duckdb.DuckDBPyConnection, campaign_id: str) -> dict[str, CaseSummary]:
    """The summary of every structure's attempts in a campaign, computed in one query."""
    rows = con.execute(_SUMMARY_SQL, _rule_parameters(campaign_id)).fetchall()
    return {row[0]: _summary(row[1:]) for row in rows}


def _rule_parameters(campaign_id: str) -> dict[str, Any]:
    return {"closing": _CLOSING, "reached": _REACHED, "ranks": _RANKS, "names": _NAMES, "campaign": campaign_id}


_NEVER_CALLED = CaseSummary(0, False, False, None, False, None, None, None, None)


def load_cases(con: duckdb.DuckDBPyConnection, campaign_id: str, *, due_at: datetime | None = None) -> list[Case]:
    """Every target of a campaign with its attempts summed up, in one query whatever its size.

    With ``due_at``, only the cases a queue may take at that time (assigned, open, and never
    called or due), the others being left out by DuckDB before any Python object is built.
    """
    campaign = get_campaign(con, campaign_id)
    max_attempts = CampaignRules.of(campaign).max_tentatives
    parameters = _rule_parameters(campaign_id) | {
        "due_at": due_at.astimezone(UTC).replace(tzinfo=None) if due_at else None,
        "max_attempts": max_attempts, "retry": _RETRY_SECONDS, "growth": SPACING_GROWTH,
        "callbacks": list(CALLBACK_OUTCOMES),
    }
    zones: dict[str | None, str] = {}
    cases = []
    with collector_paused():
        rows = con.execute(_cases_sql(), parameters).fetchall()
        for structure_id, nom, commune, telephone, horaires, dep, surveyor, *summary_row in rows:
            summary = _NEVER_CALLED if summary_row[0] is None else _summary(summary_row)
            if dep not in zones:
                zones[dep] = timezone_for_departement(dep)
            disposition = disposition_of(summary, max_attempts=max_attempts)
            cases.append(Case(
                structure_id, nom, commune, telephone, horaires, dep, zones[dep], surveyor, summary,
                disposition, next_call_at(summary, max_attempts=max_attempts, disposition=disposition),
            ))
    return cases


@lru_cache(maxsize=4096)
def _hours(text: str) -> OpeningHours | None:
    try:
        return OpeningHours(text)
    except ParserError:  # unreadable opening hours: the structure is not held to them
        return None


def open_at(horaires: str | None, moment: datetime, timezone: str) -> bool:
    """Whether ``horaires`` (OSM syntax) are open at ``moment`` in ``timezone``; True when unknown."""
    if not horaires:
        return True
    hours = _hours(horaires)
    if hours is None:
        return True
    local = moment.astimezone(ZoneInfo(timezone)).replace(tzinfo=None)
    return bool(hours.is_open(local))


@dataclass(frozen=True)
class QueueItem:
    """One call to make now, and why it comes at this rank."""

    case: Case
    priority: int  # 0 due call-back, 1 never called, 2 retry
    reason: str
    local_time: str  # the structure's local time now, « 10:41 »


_PRIORITY_REASON = {0: "Rappel prévu", 1: "Jamais appelée", 2: "Nouvelle tentative"}


def campaign_queues(
    con: duckdb.DuckDBPyConnection, campaign_id: str, *, now: datetime | None = None
) -> dict[str, list[QueueItem]]:
    """Every surveyor's queue of a campaign, computed in one pass over its cases."""
    with collector_paused():  # thousands of cases and queue items built at once
        return _campaign_queues(con, campaign_id, now or utc_now())


def _campaign_queues(con: duckdb.DuckDBPyConnection, campaign_id: str, now: datetime) -> dict[str, list[QueueItem]]:
    campaign = get_campaign(con, campaign_id)
    calling_hours = CampaignRules.of(campaign).heures_appel
    ranked: dict[str, list[tuple[int, str, QueueItem]]] = defaultdict(list)
    open_zones: dict[str, bool] = {}
    local_times: dict[str, str] = {}
    for case in load_cases(con, campaign_id, due_at=now):  # assigned, open, never called or due
        if case.summary.count == 0:
            priority, sort_key = 1, (case.nom or "")
        else:
            assert case.next_at is not None
            priority = 0 if case.summary.last_outcome in CALLBACK_OUTCOMES else 2
            sort_key = case.next_at.isoformat()
        assert case.surveyor is not None
        if case.timezone not in open_zones:  # the calling hours depend only on the zone: once per zone
            open_zones[case.timezone] = open_at(calling_hours, now, case.timezone)
            local_times[case.timezone] = now.astimezone(ZoneInfo(case.timezone)).strftime("%H:%M")
        if not open_zones[case.timezone] or not open_at(case.horaires, now, case.timezone):
            continue
        item = QueueItem(case, priority, _PRIORITY_REASON[priority], local_times[case.timezone])
        ranked[case.surveyor].append((priority, sort_key, item))
    return {
        surveyor: [item for _, _, item in sorted(items, key=lambda entry: (entry[0], entry[1]))]
        for surveyor, items in ranked.items()
    }


def surveyor_queue(
    con: duckdb.DuckDBPyConnection, campaign_id: str, surveyor: str, *, now: datetime | None = None
) -> list[QueueItem]:
    """The calls a surveyor can make now, in order (see the module docstring)."""
    return campaign_queues(con, campaign_id, now=now).get(surveyor, [])
