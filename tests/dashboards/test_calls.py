"""The coordinator's campaign reports, on a small real campaign with known calls and times."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from collect.calls import add_targets, assign, load_cases, log_attempt, remove_targets
from collect.campaigns import create_campaign
from collect.questionnaire import default_questionnaire
from collect.surveys import publish_questionnaire
from dashboards.calls import (
    TABLES,
    assigned_to,
    callback_times,
    campaign_funnel,
    cases_to_take_over,
    delay_text,
    disposition_breakdown,
    late_callbacks,
    new_targets,
    non_respondents,
    open_cases,
    surveyor_table,
    table_columns,
    table_csv,
    upcoming_callbacks,
)
from models.ids import new_id
from models.registry import create_structure
from models.store import utc_now

PARIS = ZoneInfo("Europe/Paris")
GUADELOUPE = ZoneInfo("America/Guadeloupe")
NOW = datetime(2026, 3, 9, 11, 0, tzinfo=PARIS)  # a Monday; the 7-day window starts 02/03 11:00

LIEUX = {
    "cognac": {"nom": "Médiathèque de Cognac", "commune": "Cognac", "code_postal": "16100", "adresse": "1 rue",
               "telephone": "05 45 00 00 01"},
    "abymes": {"nom": "CCAS des Abymes", "commune": "Les Abymes", "code_postal": "97139", "code_insee": "97101",
               "adresse": "Rue Achille René-Boisneuf", "telephone": "05 90 00 00 02"},
    "angouleme": {"nom": "Espace numérique d'Angoulême", "commune": "Angoulême", "code_postal": "16000",
                  "adresse": "3 rue", "telephone": "05 45 00 00 03"},
    "jarnac": {"nom": "France services Jarnac", "commune": "Jarnac", "code_postal": "16200", "adresse": "4 rue"},
    "barbezieux": {"nom": "Tiers-lieu de Barbezieux", "commune": "Barbezieux-Saint-Hilaire", "code_postal": "16300",
                   "adresse": "5 rue"},
    "ruffec": {"nom": "Point numérique de Ruffec", "commune": "Ruffec", "code_postal": "16700", "adresse": "6 rue"},
}


def paris(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=PARIS)


@pytest.fixture
def campaign(store):
    """Six targets: alice has Cognac (complete) and Angoulême (3 × no answer: 3.90); bob has the
    Abymes (call-back asked for Thu 05/03 10:00 local, never made) and Jarnac (first called by
    carol, then reassigned to bob: hard refusal); carol has Barbezieux (partial, then an
    appointment 10 minutes before NOW); Ruffec has nobody and was never called."""
    with store.atomic() as con:
        stored = publish_questionnaire(con, default_questionnaire(), by="t")
        campaign_id = create_campaign(con, nom="Diagnostic", questionnaire_id=stored.id, by="t")
        con.execute("UPDATE campaigns SET max_tentatives = 3 WHERE id = ?", [campaign_id])
        ids = {}
        for name, data in LIEUX.items():
            structure, issues = create_structure(con, {**data, "date_maj": "2026-01-01"}, by="t")
            assert structure is not None, issues
            ids[name] = structure.id
        add_targets(con, campaign_id, list(ids.values()), by="coord")
        assign(con, campaign_id, [ids["cognac"], ids["angouleme"]], "alice", by="coord")
        assign(con, campaign_id, [ids["abymes"], ids["jarnac"]], "bob", by="coord")
        assign(con, campaign_id, [ids["barbezieux"], ids["jarnac"]], "carol", by="coord")
        calls = [
            ("cognac", "alice", "pas_de_reponse", paris(2, 10), None),  # before the 7-day window
            ("cognac", "alice", "complete", paris(3, 10), None),
            ("abymes", "bob", "rappel", paris(2, 15, 30), datetime(2026, 3, 5, 10, 0, tzinfo=GUADELOUPE)),
            ("angouleme", "alice", "pas_de_reponse", paris(3, 9, 30), None),
            ("angouleme", "alice", "pas_de_reponse", paris(4, 9, 30), None),
            ("angouleme", "alice", "pas_de_reponse", paris(6, 9, 30), None),
            ("jarnac", "carol", "pas_de_reponse", paris(2, 9, 15), None),  # before the 7-day window
            ("barbezieux", "carol", "partielle", paris(5, 14), None),
            ("barbezieux", "carol", "rendez_vous", paris(6, 10), NOW - timedelta(minutes=10)),
        ]
        for who, surveyor, outcome, at, callback_at in calls:
            log_attempt(con, campaign_id, ids[who], outcome, surveyor=surveyor, by=surveyor, at=at,
                        callback_at=callback_at)
        assign(con, campaign_id, [ids["jarnac"]], "bob", by="coord")
        log_attempt(con, campaign_id, ids["jarnac"], "refus_ferme", surveyor="bob", by="bob", at=paris(4, 14))
    return {"id": campaign_id, **ids}


def report(store, function, campaign, **kwargs):
    with store.connect() as con:
        return function(con, campaign["id"], **kwargs)


def add_relance(store, campaign, who, statut):
    now = utc_now()
    with store.atomic() as con:
        con.execute(
            "INSERT INTO relances (id, batch_id, campaign_id, structure_id, destinataire, objet, corps, message_id,"
            " canal, statut, created_at, updated_at, updated_by) VALUES (?, 'lot', ?, ?, 'a@b.fr', 'o', 'c', ?,"
            " 'smtp', ?, ?, ?, 't')",
            [new_id(), campaign["id"], campaign[who], new_id(), statut, now, now],
        )



def by_structure(rows):
    return {row["Structure"]: row for row in rows}


# -- funnel and dispositions --------------------------------------------------------------------


def test_the_funnel_goes_from_targeted_to_complete_with_partials_apart(store, campaign):
    assert [tuple(row.values()) for row in report(store, campaign_funnel, campaign)] == [
        ("Ciblées", 6, 100.0),
        ("Attribuées", 5, 83.3),
        ("Appelées au moins une fois", 5, 83.3),
        ("Jointes", 4, 66.7),  # Angoulême was never reached, Ruffec never called
        ("Questionnaire complet", 1, 16.7),
        ("Questionnaire partiel (non complet)", 1, 16.7),
    ]


def test_every_target_is_counted_once_under_its_aapor_disposition(store, campaign):
    assert [tuple(row.values()) for row in report(store, disposition_breakdown, campaign)] == [
        ("1.1", "Entretien complet", "I", 1, 1, 16.7),
        ("1.2", "Entretien partiel", "P", 1, 0, 16.7),
        ("2.11", "Refus", "R", 1, 1, 16.7),
        ("2.21", "Interlocuteur jamais disponible", "NC", 1, 0, 16.7),
        ("3.11", "Pas encore appelée", "UH", 1, 0, 16.7),
        ("3.90", "Éligibilité inconnue (tentatives épuisées ou autre)", "UO", 1, 1, 16.7),
    ]


def test_a_campaign_without_targets_gives_zeros_and_no_percentages(store):
    with store.atomic() as con:
        stored = publish_questionnaire(con, default_questionnaire(), by="t")
        campaign_id = create_campaign(con, nom="Vide", questionnaire_id=stored.id, by="t")
        funnel = campaign_funnel(con, campaign_id)
        assert [(row["Structures"], row["% des ciblées"]) for row in funnel] == [(0, None)] * 6
        assert disposition_breakdown(con, campaign_id) == []
        assert surveyor_table(con, campaign_id, now=NOW) == []
        assert late_callbacks(con, campaign_id, now=NOW) == []
        assert non_respondents(con, campaign_id) == []


# -- surveyors ----------------------------------------------------------------------------------


def test_each_surveyor_s_workload_and_results(store, campaign):
    rows = report(store, surveyor_table, campaign, now=NOW)
    assert list(rows[0]) == table_columns("surveyors")
    assert [tuple(row.values()) for row in rows] == [
        # attribuées, restant, appels, 7 jours, complets, partiels, refus, contact %, rappels en retard
        ("alice", 2, 0, 5, 4, 1, 0, 0, 50.0, 0),
        ("bob", 2, 1, 2, 2, 0, 0, 1, 100.0, 1),  # Jarnac's refusal follows it to bob
        ("carol", 1, 1, 3, 2, 0, 1, 0, 100.0, 0),  # her call to Jarnac still counts as hers
        ("Non attribuées", 1, 1, None, None, 0, 0, 0, None, 0),
    ]


def test_a_surveyor_left_with_calls_only_keeps_a_row(store, campaign):
    with store.atomic() as con:
        assign(con, campaign["id"], [campaign["barbezieux"]], "alice", by="coord")
    rows = {row["Enquêteur"]: row for row in report(store, surveyor_table, campaign, now=NOW)}
    assert (rows["carol"]["Structures attribuées"], rows["carol"]["Appels passés"]) == (0, 3)
    alice = rows["alice"]
    assert (alice["Structures attribuées"], alice["Partiels"], alice["Restant à traiter"]) == (3, 1, 1)


# -- a surveyor's cases, the targets to add ---------------------------------------------------------


def cases_of(store, campaign):
    with store.connect() as con:
        return load_cases(con, campaign["id"])


@pytest.mark.parametrize(
    ("surveyor", "held", "still_open"),
    [
        ("alice", {"cognac", "angouleme"}, set()),  # a complete interview; three attempts without an answer
        ("bob", {"abymes", "jarnac"}, {"abymes"}),  # a call-back asked; a hard refusal
        ("carol", {"barbezieux"}, {"barbezieux"}),  # a partial interview, then an appointment
        (None, {"ruffec"}, {"ruffec"}),  # nobody has it, never called
        ("dora", set(), set()),  # holds nothing
    ],
)
def test_a_surveyor_holds_their_assigned_cases_and_those_not_closed_are_still_to_treat(
    store, campaign, surveyor, held, still_open
):
    cases = cases_of(store, campaign)
    mine = assigned_to(cases, surveyor)
    assert {case.structure_id for case in mine} == {campaign[name] for name in held}
    assert {case.structure_id for case in open_cases(mine)} == {campaign[name] for name in still_open}
    if surveyor is not None:  # the cases taken over when the surveyor leaves: the open ones only
        assert set(cases_to_take_over(cases, surveyor)) == {campaign[name] for name in still_open}


def test_the_cases_still_to_treat_are_the_surveyor_table_s(store, campaign):
    cases = cases_of(store, campaign)
    rows = {row["Enquêteur"]: row for row in report(store, surveyor_table, campaign, now=NOW)}
    for surveyor in ("alice", "bob", "carol"):
        assert rows[surveyor]["Restant à traiter"] == len(open_cases(assigned_to(cases, surveyor)))
    assert rows["Non attribuées"]["Restant à traiter"] == len(open_cases(assigned_to(cases, None)))


def test_the_new_targets_are_what_adding_them_adds(store, campaign):
    with store.atomic() as con:
        other, issues = create_structure(con, {"nom": "Mairie de Cognac", "commune": "Cognac", "code_postal": "16100",
                                               "adresse": "68 boulevard Denfert-Rochereau", "date_maj": "2026-01-01"},
                                         by="t")
        assert other is not None, issues
        remove_targets(con, campaign["id"], [campaign["ruffec"]], by="coord")
    asked = [campaign["cognac"], other.id, campaign["ruffec"], other.id]  # targeted, never, taken out, twice
    new = new_targets(cases_of(store, campaign), asked)
    assert new == [other.id, campaign["ruffec"]]
    with store.atomic() as con:
        assert add_targets(con, campaign["id"], asked, by="coord") == len(new)
    assert new_targets(cases_of(store, campaign), asked) == []


# -- call-backs to come, late call-backs ----------------------------------------------------------

ABYMES_ASKED = datetime(2026, 3, 5, 10, 0, tzinfo=GUADELOUPE)  # Thursday 05/03, 15:00 in Paris
BARBEZIEUX_ASKED = NOW - timedelta(minutes=10)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (paris(4, 12), ["abymes", "barbezieux"]),  # both to come, the soonest first
        (ABYMES_ASKED - timedelta(minutes=1), ["abymes", "barbezieux"]),
        (ABYMES_ASKED, ["barbezieux"]),  # due now: in bob's queue, no longer to come
        (paris(7, 9), ["barbezieux"]),
        (NOW, []),  # Barbezieux's appointment was 10 minutes ago, the Abymes' call-back days ago
    ],
)
def test_the_call_backs_to_come_are_the_open_cases_asked_to_be_called_later_soonest_first(
    store, campaign, now, expected
):
    coming = upcoming_callbacks(cases_of(store, campaign), now=now)
    assert [case.structure_id for case in coming] == [campaign[name] for name in expected]


@pytest.mark.parametrize(
    ("after", "state"),
    [
        (-timedelta(minutes=1), "à venir"),
        (timedelta(0), "due"),
        (timedelta(minutes=29), "due"),  # in the queue, within the grace
        (timedelta(minutes=31), "en retard"),
        (timedelta(days=3), "en retard"),
    ],
)
def test_a_call_back_is_to_come_then_due_then_late_never_two_at_once(store, campaign, after, state):
    now = ABYMES_ASKED + after
    cases = assigned_to(cases_of(store, campaign), "bob")
    coming = [case.nom for case in upcoming_callbacks(cases, now=now)]
    with store.connect() as con:
        late = [row["Structure"] for row in late_callbacks(con, campaign["id"], now=now, cases=cases)]
    found = {"à venir": coming == ["CCAS des Abymes"] and not late,
             "due": not coming and not late,
             "en retard": late == ["CCAS des Abymes"] and not coming}
    assert found[state], (coming, late)


@pytest.mark.parametrize(
    ("calls", "expected"),
    [
        ([("rappel", 2)], ["ruffec"]),
        ([("pas_de_reponse", None), ("rendez_vous", 2)], ["ruffec"]),
        ([("rappel", 2), ("pas_de_reponse", None)], []),  # a call made since replaces the request
        ([("pas_de_reponse", None), ("pas_de_reponse", None), ("rappel", 2)], []),  # the last attempt allowed: closed
    ],
    ids=["rappel", "rendez-vous", "appel-depuis", "tentatives-epuisees"],
)
def test_only_an_open_case_whose_last_call_asked_a_time_has_a_call_back_to_come(store, campaign, calls, expected):
    with store.atomic() as con:
        for minutes, (outcome, days) in enumerate(calls):
            log_attempt(con, campaign["id"], campaign["ruffec"], outcome, surveyor="dora", by="dora",
                        at=paris(9, 9, minutes), callback_at=NOW + timedelta(days=days) if days else None)
    coming = upcoming_callbacks(assigned_to(cases_of(store, campaign), None), now=NOW)
    assert [case.structure_id for case in coming] == [campaign[name] for name in expected]


# -- late call-backs ----------------------------------------------------------------------------


def test_a_late_call_back_shows_both_time_zones_and_the_delay(store, campaign):
    assert report(store, late_callbacks, campaign, now=NOW) == [{
        "Structure": "CCAS des Abymes", "Commune": "Les Abymes", "Téléphone": "0590 00 00 02", "Enquêteur": "bob",
        "Issue": "Rappel demandé", "Heure demandée (heure locale)": "jeu. 05/03 10:00 (America/Guadeloupe)",
        "Heure demandée (Paris)": "15:00 Paris", "Retard": "3 j 20 h",
    }]


@pytest.mark.parametrize(
    ("grace", "expected"),
    [
        (timedelta(minutes=30), [("CCAS des Abymes", "3 j 20 h")]),  # Barbezieux's appointment is 10 min past
        (timedelta(minutes=5), [("CCAS des Abymes", "3 j 20 h"), ("Tiers-lieu de Barbezieux", "10 min")]),
    ],
)
def test_late_call_backs_wait_the_grace_and_come_most_late_first(store, campaign, grace, expected):
    rows = report(store, late_callbacks, campaign, now=NOW, grace=grace)
    assert [(row["Structure"], row["Retard"]) for row in rows] == expected


def test_a_call_made_since_the_call_back_takes_it_off_the_list(store, campaign):
    with store.atomic() as con:
        log_attempt(con, campaign["id"], campaign["abymes"], "pas_de_reponse", surveyor="bob", by="bob",
                    at=paris(9, 10))
    assert report(store, late_callbacks, campaign, now=NOW) == []
    late = {row["Enquêteur"]: row["Rappels en retard"] for row in report(store, surveyor_table, campaign, now=NOW)}
    assert late["bob"] == 0


@pytest.mark.parametrize(
    ("asked", "local_text", "paris_text"),
    [
        # Guadeloupe is UTC-4 all year; Paris moves from UTC+1 to UTC+2 on Sunday 29 March 2026.
        (datetime(2026, 3, 5, 10, 0, tzinfo=GUADELOUPE), "jeu. 05/03 10:00 (America/Guadeloupe)", "15:00 Paris"),
        (datetime(2026, 4, 2, 10, 0, tzinfo=GUADELOUPE), "jeu. 02/04 10:00 (America/Guadeloupe)", "16:00 Paris"),
    ],
)
def test_a_call_back_at_10_in_guadeloupe_reads_15_or_16_in_paris_around_the_dst_change(
    store, campaign, asked, local_text, paris_text
):
    with store.atomic() as con:
        log_attempt(con, campaign["id"], campaign["abymes"], "rappel", surveyor="bob", by="bob",
                    at=asked - timedelta(days=1), callback_at=asked)
    now = asked + timedelta(days=2, hours=3)
    row = by_structure(report(store, late_callbacks, campaign, now=now))["CCAS des Abymes"]
    assert (row["Heure demandée (heure locale)"], row["Heure demandée (Paris)"], row["Retard"]) == (
        local_text, paris_text, "2 j 3 h")


@pytest.mark.parametrize(
    ("asked", "zone", "expected"),
    [
        (datetime(2026, 3, 5, 22, 0, tzinfo=GUADELOUPE), "America/Guadeloupe",
         ("jeu. 05/03 22:00 (America/Guadeloupe)", "ven. 06/03 03:00 Paris")),  # another day in Paris
        (datetime(2026, 3, 8, 9, 0, tzinfo=PARIS), "Indian/Reunion",
         ("dim. 08/03 12:00 (Indian/Reunion)", "09:00 Paris")),
        (datetime(2026, 3, 2, 9, 0, tzinfo=PARIS), "Europe/Paris", ("lun. 02/03 09:00 (Europe/Paris)", "09:00 Paris")),
    ],
)
def test_call_back_times_are_written_in_french_in_both_zones(asked, zone, expected):
    assert callback_times(asked, zone) == expected


@pytest.mark.parametrize(
    ("delay", "text"),
    [
        (timedelta(seconds=59), "0 min"),
        (timedelta(minutes=45), "45 min"),
        (timedelta(hours=3), "3 h"),
        (timedelta(hours=3, minutes=5), "3 h 05 min"),
        (timedelta(days=1), "1 j"),
        (timedelta(days=2, hours=3, minutes=59), "2 j 3 h"),
    ],
)
def test_delays_read_in_french(delay, text):
    assert delay_text(delay) == text


# -- non-respondents ----------------------------------------------------------------------------


def test_non_respondents_are_contacted_targets_without_interview_refusal_or_exclusion(store, campaign):
    assert report(store, non_respondents, campaign) == [
        {"Structure": "CCAS des Abymes", "Commune": "Les Abymes", "Téléphone": "0590 00 00 02", "Enquêteur": "bob",
         "Tentatives": 1, "Dernier appel (Paris)": "02/03/2026 à 15:30", "Dernière issue": "Rappel demandé",
         "Code AAPOR": "2.21", "Disposition": "Interlocuteur jamais disponible", "Cas clos": False,
         "Relances envoyées": 0},
        {"Structure": "Tiers-lieu de Barbezieux", "Commune": "Barbezieux-Saint-Hilaire", "Téléphone": "",
         "Enquêteur": "carol", "Tentatives": 2, "Dernier appel (Paris)": "06/03/2026 à 10:00",
         "Dernière issue": "Rendez-vous pris", "Code AAPOR": "1.2", "Disposition": "Entretien partiel",
         "Cas clos": False, "Relances envoyées": 0},
        {"Structure": "Espace numérique d'Angoulême", "Commune": "Angoulême", "Téléphone": "05 45 00 00 03",
         "Enquêteur": "alice", "Tentatives": 3, "Dernier appel (Paris)": "06/03/2026 à 09:30",
         "Dernière issue": "Pas de réponse", "Code AAPOR": "3.90",
         "Disposition": "Éligibilité inconnue (tentatives épuisées ou autre)", "Cas clos": True,
         "Relances envoyées": 0},
    ]


def test_only_relances_that_left_are_counted_and_one_makes_a_never_called_target_a_non_respondent(store, campaign):
    for statut in ("envoyee", "exportee", "echec", "a_envoyer", "en_cours"):
        add_relance(store, campaign, "angouleme", statut)
    add_relance(store, campaign, "ruffec", "exportee")
    add_relance(store, campaign, "abymes", "echec")
    rows = by_structure(report(store, non_respondents, campaign))
    assert {name: row["Relances envoyées"] for name, row in rows.items()} == {
        "CCAS des Abymes": 0, "Tiers-lieu de Barbezieux": 0, "Espace numérique d'Angoulême": 2,
        "Point numérique de Ruffec": 1,
    }
    ruffec = rows["Point numérique de Ruffec"]
    assert (ruffec["Enquêteur"], ruffec["Tentatives"], ruffec["Dernier appel (Paris)"], ruffec["Dernière issue"],
            ruffec["Code AAPOR"]) == ("Non attribuée", 0, None, None, "3.11")


@pytest.mark.parametrize(
    ("outcome", "code"),
    [
        ("pas_de_reponse", "3.13"),
        ("occupe", "3.12"),
        ("repondeur_message", "2.222"),
        ("abandon", "2.12"),  # a break-off may be resumed: still chased
        ("autre", "3.90"),
        ("refus_doux", None),  # refusals are respected, soft or hard
        ("refus_ferme", None),
        ("non_eligible", None),
        ("mauvais_numero", None),
        ("numero_inexistant", None),
        ("complete", None),
    ],
)
def test_which_outcomes_make_a_non_respondent(store, campaign, outcome, code):
    with store.atomic() as con:
        log_attempt(con, campaign["id"], campaign["ruffec"], outcome, surveyor="carol", by="carol", at=paris(6, 11))
    row = by_structure(report(store, non_respondents, campaign)).get("Point numérique de Ruffec")
    assert (row["Code AAPOR"] if row else None) == code


def test_a_submitted_response_is_no_non_response(store, campaign):
    now = utc_now()
    with store.atomic() as con:
        questionnaire_id = con.execute(
            "SELECT questionnaire_id FROM campaigns WHERE id = ?", [campaign["id"]]).fetchone()[0]
        con.execute(
            "INSERT INTO responses (id, structure_id, campaign_id, questionnaire_id, surveyor, revision, answers,"
            " submitted_at, created_at, updated_at, updated_by) VALUES (?, ?, ?, ?, 'bob', 1, '{}', ?, ?, ?, 'bob')",
            [new_id(), campaign["abymes"], campaign["id"], questionnaire_id, now, now, now],
        )
    assert "CCAS des Abymes" not in by_structure(report(store, non_respondents, campaign))


# -- tables and CSV -----------------------------------------------------------------------------


def all_reports(store, campaign):
    with store.connect() as con:
        cases = load_cases(con, campaign["id"])
        return {
            "funnel": campaign_funnel(con, campaign["id"], cases=cases),
            "dispositions": disposition_breakdown(con, campaign["id"], cases=cases),
            "surveyors": surveyor_table(con, campaign["id"], now=NOW, cases=cases),
            "late_callbacks": late_callbacks(con, campaign["id"], now=NOW, cases=cases),
            "non_respondents": non_respondents(con, campaign["id"], cases=cases),
        }


def test_every_report_has_exactly_its_declared_columns_in_order(store, campaign):
    reports = all_reports(store, campaign)
    assert set(reports) == set(TABLES)
    for name, rows in reports.items():
        assert rows, name
        assert all(list(row) == table_columns(name) for row in rows), name


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM French Excel needs to read UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))


def test_the_csv_exports_open_in_french_excel(store, campaign):
    reports = all_reports(store, campaign)
    surveyors = read_csv(table_csv("surveyors", reports["surveyors"]))
    assert surveyors == [
        list(TABLES["surveyors"].columns),
        ["alice", "2", "0", "5", "4", "1", "0", "0", "50,0", "0"],
        ["bob", "2", "1", "2", "2", "0", "0", "1", "100,0", "1"],
        ["carol", "1", "1", "3", "2", "0", "1", "0", "100,0", "0"],
        ["Non attribuées", "1", "1", "", "", "0", "0", "0", "", "0"],
    ]
    funnel = read_csv(table_csv("funnel", reports["funnel"]))
    assert funnel[1:3] == [["Ciblées", "6", "100,0"], ["Attribuées", "5", "83,3"]]
    late = read_csv(table_csv("late_callbacks", reports["late_callbacks"]))
    assert late[1][5:] == ["jeu. 05/03 10:00 (America/Guadeloupe)", "15:00 Paris", "3 j 20 h"]
    angouleme = read_csv(table_csv("non_respondents", reports["non_respondents"]))[3]
    # a phone number starting with + is kept as text, never read as a formula
    assert angouleme == ["Espace numérique d'Angoulême", "Angoulême", "05 45 00 00 03", "alice", "3", "06/03/2026 à 09:30",
                         "Pas de réponse", "3.90", "Éligibilité inconnue (tentatives épuisées ou autre)", "Oui", "0"]
