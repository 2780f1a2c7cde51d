"""Disposition rules: AAPOR codes of each outcome, the final disposition of a case, retry times."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.dispositions import (
    AAPOR_GROUPS,
    CODE_LABELS,
    MAX_ANSWERING_MACHINE_MESSAGES,
    NO_ATTEMPT,
    OUTCOME_RULES,
    OUTCOMES_ALL,
    AttemptView,
    DispositionReplay,
    final_disposition,
    may_leave_message,
    proposed_callback,
    retry_not_before,
    summarize,
    with_attempt,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def attempts(*outcomes: str, hours: float = 4) -> list[AttemptView]:
    return [AttemptView(o, T0 + timedelta(hours=hours * i)) for i, o in enumerate(outcomes)]


def test_every_outcome_has_a_rule_an_aapor_code_and_a_group():
    assert set(OUTCOME_RULES) == set(OUTCOMES_ALL)
    for rule in OUTCOME_RULES.values():
        assert rule.code in CODE_LABELS and rule.code in AAPOR_GROUPS
    assert set(CODE_LABELS) == set(AAPOR_GROUPS)


@pytest.mark.parametrize(
    ("outcomes", "max_attempts", "code", "final"),
    [
        ((), 5, "3.11", False),
        (("pas_de_reponse",), 5, "3.13", False),
        (("occupe", "pas_de_reponse"), 5, "3.13", False),
        (("pas_de_reponse", "repondeur_sans_message"), 5, "2.221", False),
        (("repondeur_message", "occupe"), 5, "2.222", False),
        (("pas_de_reponse", "rappel"), 5, "2.21", False),
        (("rappel", "refus_doux"), 5, "2.11", False),
        (("refus_doux", "complete"), 5, "1.1", True),
        (("abandon",), 5, "2.12", False),
        (("refus_ferme",), 5, "2.11", True),
        (("pas_de_reponse", "numero_inexistant"), 5, "4.31", True),
        (("mauvais_numero",), 5, "4.41", True),
        (("non_eligible",), 5, "4.90", True),
        (("partielle", "pas_de_reponse"), 5, "1.2", False),
        (("partielle", "pas_de_reponse", "pas_de_reponse"), 3, "1.2", True),
        (("pas_de_reponse", "occupe", "pas_de_reponse"), 3, "3.90", True),
        (("pas_de_reponse", "repondeur_message", "pas_de_reponse"), 3, "2.30", True),
        (("rappel", "pas_de_reponse", "occupe"), 3, "2.30", True),
        (("pas_de_reponse", "complete", "pas_de_reponse"), 3, "1.1", True),
        (("autre",), 5, "3.90", False),
    ],
)
def test_the_final_disposition_follows_the_documented_precedence(outcomes, max_attempts, code, final):
    disposition = final_disposition(attempts(*outcomes), max_attempts=max_attempts)
    assert (disposition.code, disposition.final) == (code, final)
    assert disposition.label == CODE_LABELS[code]


@pytest.mark.parametrize(
    ("outcomes", "expected_delay"),
    [
        (("pas_de_reponse",), timedelta(hours=3)),
        (("repondeur_message",), timedelta(hours=3)),
        (("occupe",), timedelta(minutes=20)),
        (("refus_doux",), timedelta(days=7)),
        (("pas_de_reponse", "pas_de_reponse"), timedelta(hours=4, minutes=30)),  # spacing grows
        (("pas_de_reponse", "occupe", "pas_de_reponse"), timedelta(hours=6)),
    ],
)
def test_each_outcome_waits_a_minimum_delay_that_grows_with_attempts(outcomes, expected_delay):
    made = attempts(*outcomes)
    assert retry_not_before(made, max_attempts=10) == made[-1].attempted_at + expected_delay


def test_a_call_back_is_due_at_the_time_the_structure_asked_in_its_own_time_zone():
    guadeloupe = ZoneInfo("America/Guadeloupe")
    asked = datetime(2026, 3, 5, 10, 0, tzinfo=guadeloupe)  # Thursday 10:00 in Pointe-à-Pitre
    made = [AttemptView("rappel", T0, callback_at=asked)]
    due = retry_not_before(made, max_attempts=5)
    assert due == asked
    assert due.astimezone(ZoneInfo("Europe/Paris")).strftime("%H:%M") == "15:00"  # winter: Paris is UTC+1
    summer = datetime(2026, 7, 2, 10, 0, tzinfo=guadeloupe)
    assert summer.astimezone(ZoneInfo("Europe/Paris")).strftime("%H:%M") == "16:00"  # summer time in Paris only


def test_a_closed_case_is_never_called_again():
    assert retry_not_before(attempts("refus_ferme"), max_attempts=5) is None
    assert retry_not_before(attempts("pas_de_reponse", "pas_de_reponse"), max_attempts=2) is None


def test_answering_machine_messages_are_capped():
    assert may_leave_message(attempts(*["repondeur_message"] * (MAX_ANSWERING_MACHINE_MESSAGES - 1)))
    assert not may_leave_message(attempts(*["repondeur_message"] * MAX_ANSWERING_MACHINE_MESSAGES))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(sorted(OUTCOME_RULES)), max_size=8))
def test_a_summary_extended_call_by_call_equals_the_summary_of_all_the_calls(outcomes):
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    attempts = [AttemptView(outcome, start + timedelta(hours=n)) for n, outcome in enumerate(outcomes)]
    summary = NO_ATTEMPT
    for count, attempt in enumerate(attempts, start=1):
        summary = with_attempt(summary, attempt)
        assert summary == summarize(attempts[:count])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(sorted(OUTCOME_RULES)), max_size=10), st.integers(min_value=1, max_value=8))
def test_the_replay_automaton_gives_the_disposition_of_the_calls_so_far(outcomes, max_attempts):
    replay = DispositionReplay(max_attempts)
    state = replay.start
    calls = attempts(*outcomes)
    for count, outcome in enumerate(outcomes, start=1):
        state, code = replay.step(state, outcome)
        assert code == final_disposition(calls[:count], max_attempts=max_attempts).code


@pytest.mark.parametrize(("now", "zone", "day"), [
    (datetime(2026, 3, 28, 23, 30, tzinfo=UTC), "Europe/Paris", date(2026, 3, 30)),  # already the 29th in Paris
    (datetime(2026, 12, 7, 21, 0, tzinfo=UTC), "Indian/Reunion", date(2026, 12, 9)),  # 01:00 on the 8th there
    (datetime(2026, 12, 7, 21, 0, tzinfo=UTC), "America/Guadeloupe", date(2026, 12, 8)),  # 17:00 on the 7th
    (datetime(2026, 12, 7, 14, 0, tzinfo=UTC), "Pacific/Noumea", date(2026, 12, 9)),  # 01:00 on the 8th
])
def test_the_proposed_call_back_is_the_next_morning_in_the_structure_s_own_time(now, zone, day):
    assert proposed_callback(now, zone) == (day, time(10, 0))
