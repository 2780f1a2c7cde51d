"""Call outcomes, their AAPOR disposition codes, retry delays, and each structure's final disposition.

Codes are those of AAPOR's *Standard Definitions* (10th edition, 2023), telephone surveys, read
for establishment surveys (the "household" of the tables is the structure):

==========================  ======  ===========================================================
outcome (``Outcome``)       code    AAPOR meaning
==========================  ======  ===========================================================
complete                    1.1     Complete interview
partial                     1.2     Partial interview
refus_doux / refus_ferme    2.11    Refusal (soft: may be retried after 7 days; hard: final)
abandon                     2.12    Break-off
rappel / rendez_vous        2.21    Respondent never available (a call-back or appointment
                                    that never led to an interview)
repondeur_message           2.222   Answering machine of the structure, message left
repondeur_sans_message      2.221   Answering machine of the structure, no message left
occupe                      3.12    Always busy
pas_de_reponse              3.13    No answer
autre                       3.90    Other, unknown eligibility
mauvais_numero              4.41    Number changed / reaches someone else than the structure
numero_inexistant           4.31    Non-working number
non_eligible                4.90    Other not eligible (structure closed, out of scope)
==========================  ======  ===========================================================

A structure never called is 3.11 (not attempted). Reaching the campaign's maximum number of
attempts without an interview closes the case as 2.30 (eligible, other non-interview) when the
structure was reached at least once (a refusal, a call-back, its answering machine…) and as
3.90 (unknown eligibility) otherwise.

``final_disposition`` derives a structure's disposition from all its attempts, by precedence:
an interview beats everything (1.1, then 1.2 when no later complete); a final outcome stops the
case (hard refusal 2.11, not eligible 4.x); then, if the maximum is reached, 2.30 or 3.90;
else the most informative outcome so far (refusal > break-off > call-back > answering machine >
busy/no answer > other), which says where the case stands while it is still being worked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Literal, get_args
from zoneinfo import ZoneInfo

Outcome = Literal[
    "complete",
    "partielle",
    "refus_doux",
    "refus_ferme",
    "abandon",
    "pas_de_reponse",
    "occupe",
    "repondeur_message",
    "repondeur_sans_message",
    "mauvais_numero",
    "numero_inexistant",
    "rappel",
    "rendez_vous",
    "non_eligible",
    "autre",
]
OUTCOMES_ALL: tuple[str, ...] = get_args(Outcome)


@dataclass(frozen=True)
class OutcomeRule:
    """What an outcome means: its French label, AAPOR code, delay before the next try (None: the
    case is closed), whether it shows the structure exists and was reached, and its precedence."""

    label: str
    code: str
    retry_after: timedelta | None
    reached: bool
    rank: int  # higher = more informative, for the disposition of a case still in progress


OUTCOME_RULES: dict[str, OutcomeRule] = {
    "complete": OutcomeRule("Questionnaire complet", "1.1", None, True, 100),
    "partielle": OutcomeRule("Questionnaire partiel", "1.2", timedelta(days=1), True, 90),
    "refus_ferme": OutcomeRule("Refus définitif", "2.11", None, True, 80),
    "refus_doux": OutcomeRule("Refus (à relancer)", "2.11", timedelta(days=7), True, 70),
    "abandon": OutcomeRule("Abandon en cours d'entretien", "2.12", timedelta(days=1), True, 65),
    "rendez_vous": OutcomeRule("Rendez-vous pris", "2.21", timedelta(0), True, 60),
    "rappel": OutcomeRule("Rappel demandé", "2.21", timedelta(0), True, 60),
    "repondeur_message": OutcomeRule("Répondeur, message laissé", "2.222", timedelta(hours=3), True, 50),
    "repondeur_sans_message": OutcomeRule("Répondeur, pas de message", "2.221", timedelta(hours=3), True, 45),
    "occupe": OutcomeRule("Occupé", "3.12", timedelta(minutes=20), False, 20),
    "pas_de_reponse": OutcomeRule("Pas de réponse", "3.13", timedelta(hours=3), False, 20),
    "autre": OutcomeRule("Autre", "3.90", timedelta(days=1), False, 10),
    "mauvais_numero": OutcomeRule("Mauvais numéro", "4.41", None, False, 85),
    "numero_inexistant": OutcomeRule("Numéro inexistant", "4.31", None, False, 85),
    "non_eligible": OutcomeRule("Non éligible (fermée, hors champ)", "4.90", None, True, 85),
}



def outcome_rule(outcome: str) -> OutcomeRule:
    """The rule of an outcome code; a code outside the list (a store written before the sheet's rows
    were checked, a newer version's code) reads as « Autre » under its own name, never as an error."""
    rule = OUTCOME_RULES.get(outcome)
    if rule is not None:
        return rule
    return replace(OUTCOME_RULES["autre"], label=f"Issue inconnue « {outcome} »", rank=0)


CODE_LABELS: dict[str, str] = {
    "1.1": "Entretien complet",
    "1.2": "Entretien partiel",
    "2.11": "Refus",
    "2.12": "Abandon",
    "2.21": "Interlocuteur jamais disponible",
    "2.221": "Répondeur, pas de message",
    "2.222": "Répondeur, message laissé",
    "2.30": "Éligible, sans entretien (tentatives épuisées)",
    "3.11": "Pas encore appelée",
    "3.12": "Toujours occupé",
    "3.13": "Pas de réponse",
    "3.90": "Éligibilité inconnue (tentatives épuisées ou autre)",
    "4.31": "Numéro inexistant",
    "4.41": "Mauvais numéro",
    "4.90": "Non éligible",
}

# AAPOR's grouping of codes, used by the response rates (issue 7): I, P, R, NC, O, UH, UO, NE.
AAPOR_GROUPS: dict[str, str] = {
    "1.1": "I", "1.2": "P", "2.11": "R", "2.12": "R", "2.21": "NC", "2.221": "NC", "2.222": "NC", "2.30": "O",
    "3.11": "UH", "3.12": "UH", "3.13": "UH", "3.90": "UO", "4.31": "NE", "4.41": "NE", "4.90": "NE",
}

# Outcomes that set a time to call again (``callback_at``): the case is due at that time.
CALLBACK_OUTCOMES: tuple[str, ...] = ("rappel", "rendez_vous")
# Answering-machine messages left on one structure, at most; later machines leave none.
MAX_ANSWERING_MACHINE_MESSAGES = 2
# Each further attempt waits longer: the rule's delay × (1 + SPACING_GROWTH × (attempts - 1)).
SPACING_GROWTH = 0.5


@dataclass(frozen=True)
class AttemptView:
    """What disposition rules need of one call attempt."""

    outcome: str
    attempted_at: datetime
    callback_at: datetime | None = None


@dataclass(frozen=True)
class Disposition:
    """A structure's disposition: AAPOR code, French label, and whether the case is closed."""

    code: str
    label: str
    final: bool
    reason: str


@lru_cache(maxsize=256)
def _disposition(code: str, final: bool, reason: str) -> Disposition:
    return Disposition(code, CODE_LABELS[code], final, reason)


@dataclass(frozen=True)
class CaseSummary:
    """All the disposition rules need of a structure's attempts (computed in Python from the
    attempts, or in SQL by ``collect.calls`` for a whole campaign at once)."""

    count: int
    has_complete: bool
    has_partial: bool
    last_closing: str | None  # the latest outcome that closes a case, if any
    reached: bool  # any outcome showing the structure exists and was reached
    best: str | None  # the most informative outcome (rank, then the latest)
    last_outcome: str | None
    last_at: datetime | None
    last_callback: datetime | None


def summarize(attempts: Sequence[AttemptView]) -> CaseSummary:
    """The summary of a structure's attempts."""
    if not attempts:
        return NO_ATTEMPT
    ordered = sorted(attempts, key=lambda a: a.attempted_at)
    closing = [a.outcome for a in ordered if outcome_rule(a.outcome).retry_after is None]
    best = max(ordered, key=lambda a: (outcome_rule(a.outcome).rank, a.attempted_at))
    return CaseSummary(
        count=len(ordered),
        has_complete=any(a.outcome == "complete" for a in ordered),
        has_partial=any(a.outcome == "partielle" for a in ordered),
        last_closing=closing[-1] if closing else None,
        reached=any(outcome_rule(a.outcome).reached for a in ordered),
        best=best.outcome,
        last_outcome=ordered[-1].outcome,
        last_at=ordered[-1].attempted_at,
        last_callback=ordered[-1].callback_at,
    )


NO_ATTEMPT = CaseSummary(0, False, False, None, False, None, None, None, None)


def with_attempt(summary: CaseSummary, attempt: AttemptView) -> CaseSummary:
    """The summary once one more attempt, later than all those summed up, is added: equal to
    ``summarize`` of them all, in constant time (a case's history replayed call by call)."""
    rule = outcome_rule(attempt.outcome)
    best_rule = outcome_rule(summary.best) if summary.best is not None else None
    return CaseSummary(
        count=summary.count + 1,
        has_complete=summary.has_complete or attempt.outcome == "complete",
        has_partial=summary.has_partial or attempt.outcome == "partielle",
        last_closing=attempt.outcome if rule.retry_after is None else summary.last_closing,
        reached=summary.reached or rule.reached,
        best=attempt.outcome if best_rule is None or rule.rank >= best_rule.rank else summary.best,
        last_outcome=attempt.outcome,
        last_at=attempt.attempted_at,
        last_callback=attempt.callback_at,
    )


class DispositionReplay:
    """A case's disposition code call after call, as a small automaton (for replaying a whole
    campaign's calls: ``dashboards.rates.rates_over_time``).

    A disposition depends on the summary's outcomes and its count up to ``max_attempts``, never
    on times: the states are summaries without times and with the count capped, a few dozen in a
    campaign; each (state, outcome) step is computed once by ``with_attempt`` and
    ``disposition_of``, then looked up. Equal to ``disposition_of(summarize(calls so far))``
    (``tests/models/test_dispositions.py``)."""

    start: CaseSummary = NO_ATTEMPT

    def __init__(self, max_attempts: int) -> None:
        self.max_attempts = max_attempts
        self._steps: dict[tuple[CaseSummary, str], tuple[CaseSummary, str]] = {}

    def step(self, state: CaseSummary, outcome: str) -> tuple[CaseSummary, str]:
        """The state after one more call with this outcome, and the case's disposition code then."""
        found = self._steps.get((state, outcome))
        if found is None:
            after = with_attempt(state, AttemptView(outcome, _NO_TIME))
            after = replace(after, count=min(after.count, self.max_attempts), last_at=None)
            found = self._steps[(state, outcome)] = (after, disposition_of(after, max_attempts=self.max_attempts).code)
        return found


_NO_TIME = datetime.min.replace(tzinfo=UTC)


def disposition_of(summary: CaseSummary, *, max_attempts: int) -> Disposition:
    """The disposition of a case from its summary (see the module's precedence rules)."""
    if summary.count == 0:
        return _disposition("3.11", False, "aucune tentative")
    if summary.has_complete:
        return _disposition("1.1", True, "questionnaire complet")
    if summary.last_closing is not None:
        rule = outcome_rule(summary.last_closing)
        return _disposition(rule.code, True, rule.label)
    if summary.has_partial and summary.count >= max_attempts:
        return _disposition("1.2", True, "questionnaire partiel, tentatives épuisées")
    if summary.count >= max_attempts:
        return _disposition(
            "2.30" if summary.reached else "3.90", True,
            f"{max_attempts} tentatives sans entretien" + (" (structure jointe)" if summary.reached else " (jamais jointe)"),
        )
    assert summary.best is not None
    rule = outcome_rule(summary.best)
    return _disposition(rule.code, False, rule.label)


PROPOSED_CALLBACK_HOUR = time(10, 0)  # what the call form proposes: the next morning, in the structure's time


def proposed_callback(now: datetime, timezone: str) -> tuple[date, time]:
    """The call-back the call form proposes: the next day at 10:00 in the structure's own zone (Réunion,
    Nouméa… as their surveyors call them); never a moment that does not exist there (10:00 is in no
    daylight-saving gap of any French zone)."""
    return now.astimezone(ZoneInfo(timezone)).date() + timedelta(days=1), PROPOSED_CALLBACK_HOUR


def next_call_at(
    summary: CaseSummary, *, max_attempts: int, disposition: Disposition | None = None
) -> datetime | None:
    """When the structure may be called again, or None when closed or never called (pass the
    case's ``disposition`` when already known, to spare computing it again)."""
    if summary.count == 0:
        return None
    if (disposition or disposition_of(summary, max_attempts=max_attempts)).final:
        return None
    assert summary.last_outcome is not None and summary.last_at is not None
    rule = outcome_rule(summary.last_outcome)
    assert rule.retry_after is not None
    if summary.last_outcome in CALLBACK_OUTCOMES and summary.last_callback is not None:
        return summary.last_callback
    return summary.last_at + rule.retry_after * (1 + SPACING_GROWTH * (summary.count - 1))


def final_disposition(attempts: Sequence[AttemptView], *, max_attempts: int) -> Disposition:
    """The disposition of a structure from all its attempts (see the module's precedence rules)."""
    return disposition_of(summarize(attempts), max_attempts=max_attempts)


def retry_not_before(attempts: Sequence[AttemptView], *, max_attempts: int) -> datetime | None:
    """When the structure may be called again (aware datetime), or None when its case is closed.

    A call-back or appointment gives its own time; otherwise the last outcome's delay, growing
    with the number of attempts already made.
    """
    if not attempts:
        raise ValueError("a structure never called has no retry time: call it")
    return next_call_at(summarize(attempts), max_attempts=max_attempts)


def may_leave_message(attempts: Sequence[AttemptView]) -> bool:
    """Whether the surveyor may leave another answering-machine message (capped per structure)."""
    return sum(1 for a in attempts if a.outcome == "repondeur_message") < MAX_ANSWERING_MACHINE_MESSAGES
