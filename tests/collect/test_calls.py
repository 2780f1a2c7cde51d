"""Call campaigns: assignment with history, attempts, and the queue across time zones and hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from collect.calls import (
    CallAttempt,
    CallError,
    add_targets,
    assign,
    assignment_history,
    load_cases,
    log_attempt,
    log_attempts,
    open_at,
    surveyor_queue,
)
from collect.campaigns import create_campaign
from collect.questionnaire import default_questionnaire
from collect.surveys import publish_questionnaire
from models.registry import create_structure

PARIS = ZoneInfo("Europe/Paris")
GUADELOUPE = ZoneInfo("America/Guadeloupe")

LIEUX = {
    "paris": {"nom": "Médiathèque de Cognac", "commune": "Cognac", "code_postal": "16100", "adresse": "1 rue",
              "date_maj": "2026-01-01"},
    "gwada": {"nom": "CCAS des Abymes", "commune": "Les Abymes", "code_postal": "97139", "code_insee": "97101",
              "adresse": "Rue Achille René-Boisneuf", "date_maj": "2026-01-01"},
    "matin": {"nom": "Espace numérique du matin", "commune": "Cognac", "code_postal": "16100", "adresse": "2 rue",
              "horaires": "Mo-Fr 08:00-12:00", "date_maj": "2026-01-01"},
}


@pytest.fixture
def campaign(store):
    with store.atomic() as con:
        stored = publish_questionnaire(con, default_questionnaire(), by="t")
        campaign_id = create_campaign(con, nom="Diagnostic", questionnaire_id=stored.id, by="t")
        con.execute("UPDATE campaigns SET max_tentatives = 3, heures_appel = 'Mo-Fr 09:00-18:00' WHERE id = ?", [campaign_id])
        ids = {}
        for name, data in LIEUX.items():
            structure, issues = create_structure(con, data, by="t")
            assert structure is not None, issues
            ids[name] = structure.id
        add_targets(con, campaign_id, list(ids.values()), by="coord")
        assign(con, campaign_id, list(ids.values()), "alice", by="coord")
    return {"id": campaign_id, **ids}


def queue(store, campaign, now, surveyor="alice"):
    with store.connect() as con:
        return [(item.case.nom, item.reason) for item in surveyor_queue(con, campaign["id"], surveyor, now=now)]


def call(store, campaign, who, outcome, at, **kwargs):
    with store.atomic() as con:
        log_attempt(con, campaign["id"], campaign[who], outcome, surveyor="alice", by="alice", at=at, **kwargs)


def test_never_called_structures_come_in_name_order_when_they_can_be_called(store, campaign):
    monday_10_paris = datetime(2026, 3, 2, 10, 0, tzinfo=PARIS)  # 05:00 in Guadeloupe: too early there
    assert queue(store, campaign, monday_10_paris) == [
        ("Espace numérique du matin", "Jamais appelée"), ("Médiathèque de Cognac", "Jamais appelée"),
    ]
    monday_15_paris = datetime(2026, 3, 2, 15, 0, tzinfo=PARIS)  # 10:00 in Guadeloupe; the morning lieu is closed
    assert queue(store, campaign, monday_15_paris) == [
        ("CCAS des Abymes", "Jamais appelée"), ("Médiathèque de Cognac", "Jamais appelée"),
    ]


@pytest.mark.parametrize(
    ("asked_local", "due_paris"),
    [
        (datetime(2026, 3, 5, 10, 0, tzinfo=GUADELOUPE), "15:00"),  # winter: Paris UTC+1, Guadeloupe UTC-4
        (datetime(2026, 4, 2, 10, 0, tzinfo=GUADELOUPE), "16:00"),  # after Paris moved to summer time
    ],
)
def test_a_call_back_at_10_in_guadeloupe_is_due_at_15_or_16_in_paris_and_comes_first(store, campaign, asked_local, due_paris):
    call(store, campaign, "gwada", "rappel", asked_local - timedelta(days=3), callback_at=asked_local)
    assert asked_local.astimezone(PARIS).strftime("%H:%M") == due_paris
    just_before = asked_local - timedelta(minutes=1)
    assert ("CCAS des Abymes", "Rappel prévu") not in queue(store, campaign, just_before)
    at_time = asked_local + timedelta(minutes=1)
    assert queue(store, campaign, at_time)[0] == ("CCAS des Abymes", "Rappel prévu")


def test_a_retry_waits_its_delay_then_comes_after_new_structures(store, campaign):
    first = datetime(2026, 3, 2, 9, 30, tzinfo=PARIS)
    call(store, campaign, "paris", "pas_de_reponse", first)
    assert ("Médiathèque de Cognac", "Nouvelle tentative") not in queue(store, campaign, first + timedelta(hours=2))
    later = first + timedelta(hours=3, minutes=5)
    assert queue(store, campaign, later)[-1] == ("Médiathèque de Cognac", "Nouvelle tentative")


def test_the_maximum_attempts_closes_the_case(store, campaign):
    start = datetime(2026, 3, 2, 9, 30, tzinfo=PARIS)
    for day in range(3):
        call(store, campaign, "paris", "pas_de_reponse", start + timedelta(days=day))
    with store.connect() as con:
        case = next(c for c in load_cases(con, campaign["id"]) if c.structure_id == campaign["paris"])
    assert (case.disposition.code, case.disposition.final) == ("3.90", True)
    assert "Médiathèque de Cognac" not in [name for name, _ in queue(store, campaign, start + timedelta(days=7))]


def test_nobody_is_called_outside_the_campaign_hours_even_across_a_dst_change(store, campaign):
    sunday = datetime(2026, 3, 29, 12, 0, tzinfo=PARIS)  # the night Paris moved to summer time; Sunday
    assert queue(store, campaign, sunday) == []
    monday_8_30 = datetime(2026, 3, 30, 8, 30, tzinfo=PARIS)
    assert [name for name, _ in queue(store, campaign, monday_8_30)] == []  # before 09:00, in summer time too


@pytest.mark.parametrize(
    ("horaires", "moment", "expected"),
    [
        ("Mo-Fr 09:00-12:00", datetime(2026, 3, 2, 10, 0, tzinfo=PARIS), True),
        ("Mo-Fr 09:00-12:00", datetime(2026, 3, 2, 13, 0, tzinfo=PARIS), False),
        ("Mo-Fr 09:00-12:00", datetime(2026, 3, 7, 10, 0, tzinfo=PARIS), False),  # Saturday
        ("pas lisible", datetime(2026, 3, 7, 10, 0, tzinfo=PARIS), True),
        (None, datetime(2026, 3, 7, 3, 0, tzinfo=PARIS), True),
    ],
)
def test_opening_hours_are_read_in_the_structure_s_time(horaires, moment, expected):
    assert open_at(horaires, moment, "Europe/Paris") is expected


def test_reassigning_keeps_the_history(store, campaign):
    with store.atomic() as con:
        assert assign(con, campaign["id"], [campaign["paris"]], "bob", by="coord") == 1
        assert assign(con, campaign["id"], [campaign["paris"]], "bob", by="coord") == 0
        history = assignment_history(con, campaign["id"], campaign["paris"])
    assert [(h["surveyor"], h["ended_at"] is None) for h in history] == [("alice", False), ("bob", True)]
    assert "Médiathèque de Cognac" in [n for n, _ in queue(store, campaign, datetime(2026, 3, 2, 10, 0, tzinfo=PARIS), "bob")]


@pytest.mark.parametrize(
    ("outcome", "kwargs", "message"),
    [
        ("decroche", {}, "inconnue"),
        ("rappel", {}, "date et son heure"),
        ("rappel", {"callback_at": datetime(2026, 3, 1, tzinfo=UTC)}, "après l'appel"),
    ],
)
def test_a_bad_call_log_is_refused_in_french(store, campaign, outcome, kwargs, message):
    with pytest.raises(CallError) as caught:
        call(store, campaign, "paris", outcome, datetime(2026, 3, 2, 10, 0, tzinfo=PARIS), **kwargs)
    assert message in str(caught.value)
    assert store.query("SELECT count(*) AS n FROM call_attempts") == [{"n": 0}]


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 6, 7])
def test_the_sql_summary_of_attempts_is_the_python_one(store, campaign, seed):
    """The queue sums up attempts in DuckDB; the rules read the same summary as in Python."""
    import random

    from collect.calls import case_summaries
    from models.dispositions import OUTCOMES_ALL, AttemptView, summarize

    rng = random.Random(seed)
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    made: dict[str, list[AttemptView]] = {campaign[name]: [] for name in ("paris", "gwada", "matin")}
    with store.atomic() as con:
        for structure_id in made:
            for n in range(rng.randint(1, 9)):
                outcome = rng.choice(OUTCOMES_ALL)
                at = start + timedelta(hours=5 * n + rng.random())
                callback = at + timedelta(days=1) if outcome in ("rappel", "rendez_vous") else None
                log_attempt(con, campaign["id"], structure_id, outcome, surveyor="alice", by="t", at=at, callback_at=callback)
                made[structure_id].append(AttemptView(outcome, at, callback))
        in_sql = case_summaries(con, campaign["id"])
    for structure_id, attempts in made.items():
        assert in_sql[structure_id] == summarize(attempts)


@pytest.mark.parametrize("seed", [11, 12, 13, 14, 15, 16, 17, 18])
def test_the_sql_pre_filter_of_due_cases_keeps_exactly_what_the_python_rules_keep(store, campaign, seed):
    """Queues ask DuckDB for the due cases only; the Python rules, applied to every case, agree."""
    import random

    from models.dispositions import OUTCOMES_ALL

    rng = random.Random(seed)
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with store.atomic() as con:
        for name in ("paris", "gwada"):  # "matin" stays never called
            for n in range(rng.randint(1, 4)):
                outcome = rng.choice(OUTCOMES_ALL)
                at = start + timedelta(hours=7 * n + rng.random())
                callback = at + timedelta(hours=rng.randint(1, 60)) if outcome in ("rappel", "rendez_vous") else None
                log_attempt(con, campaign["id"], campaign[name], outcome, surveyor="alice", by="t", at=at, callback_at=callback)
        every_case = load_cases(con, campaign["id"])
        for hours in range(0, 24 * 12, 5):
            now = start + timedelta(hours=hours, minutes=rng.randint(0, 59))
            by_rules = {
                c.structure_id for c in every_case
                if c.surveyor and not c.disposition.final and (c.summary.count == 0 or c.next_at <= now)
            }
            assert {c.structure_id for c in load_cases(con, campaign["id"], due_at=now)} == by_rules, now


# -- setting a campaign up: rules, targets, balanced assignment ----------------------------------


@pytest.fixture
def demo_campaign(demo_store):
    """A new campaign over the 924 demo lieux (PACA, Charente, Nouvelle-Calédonie), no target yet."""
    with demo_store.atomic() as con:
        stored = publish_questionnaire(con, default_questionnaire(), by="t")
        campaign_id = create_campaign(con, nom="Relevé 2027", questionnaire_id=stored.id, by="t")
    return demo_store, campaign_id


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_tentatives": 0, "heures_appel": "Mo-Fr 09:00-18:00"}, "entre 1 et 50"),
        ({"max_tentatives": 5, "heures_appel": "du lundi au vendredi"}, "Heures d'appel illisibles"),
        ({"max_tentatives": 5, "heures_appel": "Mo-Fr 09:00-18:00", "date_debut": datetime(2026, 5, 1).date(),
          "date_fin": datetime(2026, 4, 1).date()}, "date de fin"),
    ],
)
def test_a_campaign_s_calling_rules_are_checked_before_they_are_saved(demo_campaign, kwargs, message):
    from collect.calls import configure_campaign
    from collect.campaigns import get_campaign

    store, campaign_id = demo_campaign
    with pytest.raises(CallError) as caught, store.atomic() as con:
        configure_campaign(con, campaign_id, by="coord", **kwargs)
    assert message in str(caught.value)
    with store.connect() as con:
        assert get_campaign(con, campaign_id)["max_tentatives"] == 6  # unchanged


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ([{"departement": "16"}], 188),  # a territory: Charente
        ([{"departement": "16"}, {"departement": "988"}], 188 + 90),  # two territories
        ([{"departement": "16", "typologie": "MUNI"}], None),  # a territory and a typology: counted below
    ],
)
def test_targets_are_chosen_by_territory_and_typology(demo_campaign, filters, expected):
    from collect.calls import target_by_filters
    from models.registry import count_structures
    from models.saved_filters import StructureFilter

    store, campaign_id = demo_campaign
    criteria = [StructureFilter(**f) for f in filters]
    with store.atomic() as con:
        if expected is None:
            expected = count_structures(con, **criteria[0].model_dump())
            assert 0 < expected < 188
        assert target_by_filters(con, campaign_id, criteria, by="coord") == expected
        assert target_by_filters(con, campaign_id, criteria, by="coord") == 0  # already targeted
        assert len(load_cases(con, campaign_id)) == expected


def test_a_saved_filter_targets_what_it_found_in_the_registry(demo_campaign):
    from collect.calls import target_by_filters
    from models.registry import find_structures
    from models.saved_filters import StructureFilter, get_filter, list_filters, save_filter

    store, campaign_id = demo_campaign
    with store.atomic() as con:
        save_filter(con, "Médiathèques de Charente", StructureFilter(departement="16", text="médiathèque"), by="coord")
    with store.atomic() as con:
        saved = get_filter(con, "médiathèques de charente")
        assert [f.nom for f in list_filters(con)] == ["Médiathèques de Charente"]
        added = target_by_filters(con, campaign_id, [saved.criteria], by="coord")
        found = find_structures(con, departement="16", text="médiathèque", limit=None)
    assert added == len(found) > 0
    with store.connect() as con:
        assert {c.structure_id for c in load_cases(con, campaign_id)} == {row["id"] for row in found}


def test_balanced_assignment_evens_workloads_and_keeps_territories_together(demo_campaign):
    from collect.calls import plan_balanced_assignment, target_by_filters
    from models.saved_filters import StructureFilter

    store, campaign_id = demo_campaign
    with store.atomic() as con:
        target_by_filters(con, campaign_id, [StructureFilter(departement=d) for d in ("16", "988")], by="coord")
        ids = [c.structure_id for c in load_cases(con, campaign_id)]
        assign(con, campaign_id, ids[:40], "alice", by="coord")  # alice already has 40 cases
        plan = plan_balanced_assignment(con, campaign_id, ["alice", "bruno", "chloe"])
        for surveyor, share in plan.items():
            assign(con, campaign_id, share, surveyor, by="coord")
        cases = load_cases(con, campaign_id)
    loads = {s: sum(1 for c in cases if c.surveyor == s) for s in ("alice", "bruno", "chloe")}
    assert sum(loads.values()) == 278 and max(loads.values()) - min(loads.values()) <= 1
    # bruno's and chloe's shares are contiguous by territory: each spans at most two départements
    for surveyor in ("bruno", "chloe"):
        assert len({c.departement for c in cases if c.surveyor == surveyor}) <= 2


def test_the_cases_of_a_surveyor_who_leaves_are_shared_among_the_others_with_history(demo_campaign):
    from collect.calls import plan_balanced_assignment, target_by_filters
    from models.saved_filters import StructureFilter

    store, campaign_id = demo_campaign
    with store.atomic() as con:
        target_by_filters(con, campaign_id, [StructureFilter(departement="16")], by="coord")
        for surveyor, share in plan_balanced_assignment(con, campaign_id, ["alice", "bruno", "chloe"]).items():
            assign(con, campaign_id, share, surveyor, by="coord")
        leaving = [c.structure_id for c in load_cases(con, campaign_id) if c.surveyor == "chloe"]
        plan = plan_balanced_assignment(con, campaign_id, ["alice", "bruno"], structure_ids=leaving)
        for surveyor, share in plan.items():
            assign(con, campaign_id, share, surveyor, by="coord")
        cases = load_cases(con, campaign_id)
        history = assignment_history(con, campaign_id, leaving[0])
    assert not any(c.surveyor == "chloe" for c in cases)
    assert sum(len(share) for share in plan.values()) == len(leaving) == 62
    assert {sum(1 for c in cases if c.surveyor == s) for s in ("alice", "bruno")} == {94}
    assert [row["surveyor"] for row in history][0] == "chloe" and history[0]["ended_at"] is not None


def test_submitting_the_questionnaire_closes_the_case_as_complete_once(store, campaign):
    """The interview is the call: its submission logs ``complete``; a later correction adds nothing."""
    import random

    from collect.demo import demo_answers
    from collect.surveys import open_correction, open_draft, save_answer, submit_draft
    from models.registry import get_structure

    with store.atomic() as con:
        draft = open_draft(con, structure_id=campaign["paris"], campaign_id=campaign["id"], surveyor="alice", by="alice")
        answers = demo_answers(random.Random(1), get_structure(con, campaign["paris"]), partnership=True, mobility=False,
                               can_redirect=True)
        for code, value in answers.items():
            save_answer(con, draft.id, code, value, base_revision=0, session_id="t", by="alice")
    outcome = submit_draft(store, draft.id, by="alice")
    assert outcome.response_id, outcome.errors
    with store.atomic() as con:
        correction = open_correction(con, outcome.response_id, surveyor="alice", by="alice")
    assert submit_draft(store, correction.id, by="alice").response_id
    with store.connect() as con:
        case = next(c for c in load_cases(con, campaign["id"]) if c.structure_id == campaign["paris"])
    assert (case.summary.count, case.summary.last_outcome, case.disposition.code, case.disposition.final) == (
        1, "complete", "1.1", True)


def test_answering_machine_messages_are_capped(store, campaign):
    monday = datetime(2026, 3, 2, 10, 0, tzinfo=PARIS)
    for day in range(2):
        call(store, campaign, "paris", "repondeur_message", monday + timedelta(days=day))
    with pytest.raises(CallError, match="Déjà 2 messages"):
        call(store, campaign, "paris", "repondeur_message", monday + timedelta(days=2))
    call(store, campaign, "paris", "repondeur_sans_message", monday + timedelta(days=2))
    with store.connect() as con:
        from collect.calls import attempts_of
        assert [a["libelle"] for a in attempts_of(con, campaign["id"], campaign["paris"])] == [
            "Répondeur, pas de message", "Répondeur, message laissé", "Répondeur, message laissé"]


# -- the calling rules form edits field by field (issue 17) ------------------------------------------


def test_two_coordinators_changing_different_rules_keep_both_and_the_same_rule_is_a_conflict(store, campaign):
    from collect.calls import campaign_rules, edit_campaign_rules
    from collect.campaigns import get_campaign

    with store.connect() as con:
        seen = campaign_rules(get_campaign(con, campaign["id"]))  # both open the page

    def edit(new: dict, by: str):
        return store.transaction(lambda con: edit_campaign_rules(
            con, campaign["id"], {name: (seen[name], value) for name, value in new.items()}, by=by))

    first = edit({"heures_appel": "Mo-Sa 08:30-19:00"}, "claire")
    second = edit({"max_tentatives": 5}, "dora")
    third = edit({"heures_appel": "Tu-Fr 10:00-17:00", "date_fin": datetime(2026, 12, 31).date()}, "eve")

    assert (first.saved, second.saved, third.saved) == (["heures_appel"], ["max_tentatives"], ["date_fin"])
    (conflict,) = third.conflicts
    assert (conflict.field, conflict.proposed, conflict.current, conflict.current_by) == (
        "heures_appel", "Tu-Fr 10:00-17:00", "Mo-Sa 08:30-19:00", "dora")  # the campaign's last writer
    with store.connect() as con:
        rules = campaign_rules(get_campaign(con, campaign["id"]))
    assert (rules["heures_appel"], rules["max_tentatives"], str(rules["date_fin"])) == (
        "Mo-Sa 08:30-19:00", 5, "2026-12-31")


# -- several calls logged at once, targets added again -----------------------------------------------

MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=PARIS)


def calls_at_once(store, campaign, planned, *, by="alice"):
    """Log ``planned`` — (structure, outcome) pairs, an hour apart from Monday 10:00 — at once."""
    with store.atomic() as con:
        return log_attempts(con, campaign["id"], [
            CallAttempt(campaign[who], outcome, "alice", MONDAY + timedelta(hours=n)) for n, (who, outcome) in enumerate(planned)
        ], by=by)


@pytest.mark.parametrize(
    ("before", "planned", "refusal"),
    [
        pytest.param([], [("paris", "pas_de_reponse"), ("paris", "repondeur_message"), ("gwada", "occupe"),
                          ("paris", "repondeur_message")], None, id="two messages: allowed"),
        pytest.param([], [("paris", "repondeur_message"), ("gwada", "repondeur_message"),
                          ("gwada", "repondeur_message"), ("paris", "repondeur_message")], None,
                     id="two messages on each of two structures"),
        pytest.param([], [("paris", "repondeur_message")] * 3, "Déjà 2 messages", id="a third message in the batch"),
        pytest.param(["repondeur_message"], [("paris", "occupe"), ("paris", "repondeur_message"),
                                             ("paris", "repondeur_message")], "Déjà 2 messages",
                     id="a third message counting the one logged before"),
        pytest.param([], [("paris", "occupe"), ("gwada", "decroche")], "inconnue", id="an unknown outcome last"),
        pytest.param([], [("paris", "rappel")], "date et son heure", id="a call-back without its time"),
    ],
)
def test_calls_logged_at_once_are_each_checked_and_all_refused_together(store, campaign, before, planned, refusal):
    """A batch of calls follows the rules of one call, its own earlier calls counted; one refused
    call writes none of them."""
    for outcome in before:
        call(store, campaign, "paris", outcome, MONDAY - timedelta(days=1))
    if refusal:
        with pytest.raises(CallError, match=refusal):
            calls_at_once(store, campaign, planned)
        assert store.query("SELECT count(*) AS n FROM call_attempts") == [{"n": len(before)}]
        return
    ids = calls_at_once(store, campaign, planned)
    rows = store.query("SELECT id, structure_id, outcome, attempted_at FROM call_attempts ORDER BY attempted_at")
    assert [(r["id"], r["structure_id"], r["outcome"]) for r in rows] == [
        (i, campaign[who], outcome) for i, (who, outcome) in zip(ids, planned, strict=True)]
    audit = store.query("SELECT entity_id, details->>'appel' AS appel, details->>'issue' AS issue FROM audit_log"
                        " WHERE action = 'call.attempt'")
    assert sorted((a["appel"], a["entity_id"], a["issue"]) for a in audit) == sorted(
        (i, campaign[who], outcome) for i, (who, outcome) in zip(ids, planned, strict=True))


@pytest.mark.parametrize(
    ("structures", "refusal"),
    [
        (["paris", "paris"], None),
        (["paris", "gwada"], ("une de ces structures n'est pas attribuée à alice dans cette campagne ;"
                              " demandez à un coordinateur de vous l'attribuer")),
        (["gwada", "matin"], ("2 de ces structures ne sont pas attribuées à alice dans cette campagne ;"
                              " demandez à un coordinateur de vous les attribuer")),
        (["gwada"], "cette structure n'est pas attribuée à alice"),
    ],
)
def test_a_surveyor_logs_calls_at_once_only_on_the_structures_assigned_to_them(store, campaign, structures, refusal):
    from models.access import AccessDenied, create_user

    with store.atomic() as con:  # the store becomes a server: rights now count
        create_user(con, "admin", nom="Alix Admin", role="admin", password="une phrase de passe assez longue",
                    by="installation")
        for login in ("alice", "bob"):
            create_user(con, login, nom=login.title(), role="enqueteur", password="une phrase de passe assez longue",
                        by="admin")
        assign(con, campaign["id"], [campaign["gwada"], campaign["matin"]], "bob", by="admin")
    planned = [(who, "pas_de_reponse") for who in structures]
    if refusal:
        with pytest.raises(AccessDenied, match=refusal):
            calls_at_once(store, campaign, planned)
    else:
        assert len(calls_at_once(store, campaign, planned)) == len(structures)
    assert store.query("SELECT count(*) AS n FROM call_attempts") == [{"n": 0 if refusal else len(structures)}]


@pytest.mark.parametrize(
    ("taken_out", "added", "count"),
    [
        ([], ["paris"], 0),  # already a target: kept as it is
        (["paris"], ["paris", "gwada"], 1),  # taken out, then added again
        (["paris", "gwada"], ["paris", "gwada", "paris"], 2),
    ],
)
def test_a_structure_taken_out_of_the_targets_comes_back_when_added_again(store, campaign, taken_out, added, count):
    from collect.calls import remove_targets

    with store.atomic() as con:
        remove_targets(con, campaign["id"], [campaign[who] for who in taken_out], by="coord")
        assert add_targets(con, campaign["id"], [campaign[who] for who in added], by="coord") == count
    targets = store.query("SELECT structure_id FROM campaign_targets WHERE deleted_at IS NULL ORDER BY structure_id")
    assert [t["structure_id"] for t in targets] == sorted(campaign[who] for who in LIEUX)
