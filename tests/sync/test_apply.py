"""Writing what the sheet brought into the store: structures through the registry (validated, versioned), the
other tables as read, checked against their columns; a value the store cannot take is a French refusal naming
the tab, line, column and value, and nothing of that record is written."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from models.issues import Issue
from models.records import RecordProblem
from models.registry import create_structure, get_structure, structure_history
from sync.apply import (
    RowRejected,
    check_row,
    insert_record,
    issue_problems,
    problems_text,
    update_record,
    values_from_texts,
)
from sync.tables import column_kinds, synced_table

PARIS = ZoneInfo("Europe/Paris")
STRUCTURES, APPELS = synced_table("structures"), synced_table("appels")
SHEET = "feuille partagée"
OTHER_DEVICE_AT = datetime(2026, 11, 24, 9, 41, tzinfo=UTC)
COGNAC = {"nom": "CCAS de Cognac", "commune": "Cognac", "code_postal": "16100", "code_insee": "16102",
          "adresse": "Hôtel de ville", "date_maj": "2024-04-02"}
CALL = {"id": "appel-1", "campaign_id": "campagne-1", "structure_id": "lieu-1", "surveyor": "alice",
        "attempted_at": datetime(2026, 3, 5, 10, 0, tzinfo=PARIS), "outcome": "pas_de_reponse", "note": "Rappeler"}


@pytest.fixture
def cognac(store) -> str:
    with store.atomic() as con:
        structure, issues = create_structure(con, COGNAC, by="alice")
    assert structure is not None, issues
    return structure.id


@pytest.fixture
def call(store) -> str:
    """A call attempt the sheet brought earlier."""
    with store.atomic() as con:
        insert_record(con, APPELS, column_kinds(con, "call_attempts"), CALL, by="alice", tab="appels", line=2)
    return CALL["id"]


def kinds(store, table: str) -> dict:
    with store.connect() as con:
        return column_kinds(con, table)


# -- reading the cells -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "texts", "values"),
    [
        ("call_attempts", {"attempted_at": "05/03/2026 10:00", "note": "", "outcome": "Pas de réponse"},
         {"attempted_at": datetime(2026, 3, 5, 10, 0, tzinfo=PARIS), "note": None, "outcome": "Pas de réponse"}),
        ("structures", {"latitude": "45,695", "typologie": "CCAS | MUNI", "date_maj": "05/03/2026"},
         {"latitude": 45.695, "typologie": ["CCAS", "MUNI"], "date_maj": date(2026, 3, 5)}),
        ("structures", {"date_maj_estimee": "Oui", "code_postal": "01000"}, {"date_maj_estimee": True,
                                                                              "code_postal": "01000"}),
    ],
    ids=["call", "structure", "yes-and-leading-zero"],
)
def test_cell_texts_are_read_as_store_values_of_their_columns(store, table, texts, values):
    assert values_from_texts(kinds(store, table), texts, tab="x", line=3) == values


@pytest.mark.parametrize(
    ("column", "text", "message"),
    [
        ("attempted_at", "hier", "Onglet « appels », ligne 7, colonne « attempted_at » : « hier » n'est pas une date et"
                                 " heure (JJ/MM/AAAA HH:MM)."),
        ("created_at", "32/01/2026 10:00", "Onglet « appels », ligne 7, colonne « created_at » : « 32/01/2026 10:00 »"
                                           " n'est pas une date et heure (JJ/MM/AAAA HH:MM)."),
    ],
)
def test_a_cell_that_cannot_be_read_refuses_the_row_naming_tab_line_column_and_value(store, column, text, message):
    with pytest.raises(RowRejected) as refused:
        values_from_texts(kinds(store, "call_attempts"), {"note": "ok", column: text}, tab="appels", line=7)
    assert str(refused.value) == message
    (problem,) = refused.value.problems
    assert (problem.column, problem.value) == (column, text)
    assert problem.reason == "n'est pas une date et heure (JJ/MM/AAAA HH:MM)"


def test_a_cell_read_outside_any_line_of_the_sheet_names_no_line(store):
    with pytest.raises(RowRejected) as refused:
        values_from_texts(kinds(store, "call_attempts"), {"attempted_at": "hier"}, tab="appels", line=None)
    assert str(refused.value) == ("Onglet « appels », colonne « attempted_at » : « hier » n'est pas une date et heure"
                                  " (JJ/MM/AAAA HH:MM).")


# -- checking a whole row of a campaign table --------------------------------------------------------


def test_a_call_row_is_checked_with_the_apps_rules_and_a_french_label_read_as_its_code():
    checked = check_row(APPELS, {**CALL, "attempted_at": "2026-03-05T10:00:00+01:00", "outcome": "Pas de réponse"},
                        lambda table, record_id: True, tab="appels", line=4)
    assert checked["outcome"] == "pas_de_reponse"
    assert checked["attempted_at"] == datetime(2026, 3, 5, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("changes", "known", "message"),
    [
        ({"outcome": "Occupé2"}, None,
         "Onglet « appels », ligne 4 : ligne refusée — colonne « outcome » : « Occupé2 » n'est pas une valeur de la"
         " liste (attendu : complete (Questionnaire complet), "),
        ({"surveyor": ""}, None, "Onglet « appels », ligne 4 : ligne refusée — colonne « surveyor » : ce champ est"
                                 " obligatoire."),
        ({}, lambda table, record_id: table == "structures",
         "Onglet « appels », ligne 4 : ligne refusée — colonne « campaign_id » : « campagne-1 » campagne inconnue sur"
         " cet appareil."),
        ({"outcome": "rappel"}, None, "Onglet « appels », ligne 4 : ligne refusée — colonne « callback_at » : un rappel"
                                      " ou un rendez-vous demande sa date et son heure."),
    ],
    ids=["unknown-outcome", "required", "unknown-campaign", "callback-without-time"],
)
def test_a_call_row_breaking_a_rule_is_refused_in_french(changes, known, message):
    with pytest.raises(RowRejected) as refused:
        check_row(APPELS, {**CALL, **changes}, known, tab="appels", line=4)
    assert str(refused.value).startswith(message), str(refused.value)
    assert refused.value.problems and all(isinstance(p, RecordProblem) for p in refused.value.problems)


# -- changed fields of a known record ----------------------------------------------------------------


def test_changed_fields_of_a_call_are_written_and_stamped_with_who_and_when(store, call):
    stamp = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    with store.atomic() as con:
        update_record(con, APPELS, call, {"note": "Rappeler après 14 h", "outcome": "occupe"}, stamp=stamp, by=SHEET,
                      tab="appels", line=2)
    row = store.query("SELECT note, outcome, updated_at, updated_by FROM call_attempts WHERE id = ?", [call])[0]
    assert row == {"note": "Rappeler après 14 h", "outcome": "occupe", "updated_at": stamp, "updated_by": SHEET}


def test_a_change_another_device_made_keeps_that_devices_stamps(store, call):
    with store.atomic() as con:
        update_record(con, APPELS, call, {"note": "Vu", "updated_at": OTHER_DEVICE_AT, "updated_by": "bob"},
                      stamp=datetime.now(UTC), by=SHEET, tab="appels", line=2)
    row = store.query("SELECT note, updated_at, updated_by FROM call_attempts WHERE id = ?", [call])[0]
    assert row == {"note": "Vu", "updated_at": OTHER_DEVICE_AT, "updated_by": "bob"}


def test_nothing_changed_writes_nothing(store, call):
    before = store.query("SELECT * FROM call_attempts")
    with store.atomic() as con:
        update_record(con, APPELS, call, {}, stamp=datetime.now(UTC), by=SHEET, tab="appels", line=2)
    assert store.query("SELECT * FROM call_attempts") == before


@pytest.mark.parametrize(("line", "where"), [(6, "Onglet « appels », ligne 6"), (None, "Onglet « appels »")])
def test_emptying_a_required_column_is_refused_and_writes_nothing(store, call, line, where):
    with pytest.raises(RowRejected) as refused, store.atomic() as con:
        update_record(con, APPELS, call, {"note": "effacé", "surveyor": None}, stamp=datetime.now(UTC), by=SHEET,
                      tab="appels", line=line)
    assert str(refused.value) == (f"{where}, colonne « surveyor » : ce champ est obligatoire, il ne peut pas être"
                                  " vidé.")
    assert refused.value.problems == [RecordProblem("surveyor", None, "ce champ est obligatoire, il ne peut pas être"
                                                                      " vidé")]
    assert store.query("SELECT note, surveyor FROM call_attempts") == [{"note": "Rappeler", "surveyor": "alice"}]


def test_a_structures_change_goes_through_the_registry_as_a_new_version(store, cognac):
    stamp = datetime.now(UTC)  # the sync run's moment
    with store.atomic() as con:
        update_record(con, STRUCTURES, cognac, {"telephone": "05 45 36 55 36", "horaires": "Mo-Fr 09:00-12:00"},
                      stamp=stamp, by=SHEET, tab="structures", line=3)
        row = get_structure(con, cognac)
        history = structure_history(con, cognac)
    assert (row["telephone"], row["horaires"]) == ("+33545365536", "Mo-Fr 09:00-12:00")  # normalised as any entry
    assert (row["updated_by"], row["updated_at"]) == (SHEET, stamp)
    assert [(v["change_reason"], v["updated_by"]) for v in history] == [("creation", "alice"),
                                                                          ("synchronisation", SHEET)]
    assert history[1]["changes"] == ["telephone", "horaires"]


def test_another_devices_stamps_on_a_structure_are_the_ones_kept(store, cognac):
    with store.atomic() as con:
        update_record(con, STRUCTURES, cognac, {"nom": "CCAS de la ville de Cognac", "updated_at": OTHER_DEVICE_AT,
                                                "updated_by": "bob"},
                      stamp=datetime.now(UTC), by="bob", tab="structures", line=3)
        row = get_structure(con, cognac)
    assert (row["nom"], row["updated_at"], row["updated_by"]) == ("CCAS de la ville de Cognac", OTHER_DEVICE_AT, "bob")


def test_a_structure_value_the_registry_refuses_rejects_the_row_naming_the_field(store, cognac):
    with pytest.raises(RowRejected) as refused, store.atomic() as con:
        update_record(con, STRUCTURES, cognac, {"code_postal": "ABCDE", "nom": "Autre"}, stamp=datetime.now(UTC),
                      by=SHEET, tab="structures", line=5)
    assert str(refused.value).startswith("Onglet « structures », ligne 5 : structure refusée — colonne « code_postal »")
    assert refused.value.problems == [RecordProblem("code_postal", "ABCDE",
                                                    "Code postal « ABCDE » invalide : il faut 5 chiffres.")]
    with store.connect() as con:
        assert get_structure(con, cognac)["nom"] == "CCAS de Cognac"
        assert len(structure_history(con, cognac)) == 1


def test_a_refused_structure_reads_as_one_french_sentence(store, cognac):
    with pytest.raises(RowRejected) as refused, store.atomic() as con:
        update_record(con, STRUCTURES, cognac, {"code_postal": "ABCDE"}, stamp=datetime.now(UTC), by=SHEET,
                      tab="structures", line=5)
    message = str(refused.value)
    assert ".." not in message
    assert message.count("« ABCDE »") == 1


def test_a_structure_unknown_on_this_device_is_refused(store):
    with pytest.raises(RowRejected) as refused, store.atomic() as con:
        update_record(con, STRUCTURES, "inconnue", {"nom": "X"}, stamp=datetime.now(UTC), by=SHEET,
                      tab="structures", line=8)
    assert str(refused.value) == "Onglet « structures », ligne 8 : la structure inconnue est introuvable sur cet appareil."
    assert refused.value.problems == [RecordProblem(None, None, str(refused.value))]


def test_a_deletion_from_another_device_soft_deletes_the_structure_then_a_restore_brings_it_back(store, cognac):
    with store.atomic() as con:
        update_record(con, STRUCTURES, cognac, {"deleted_at": OTHER_DEVICE_AT, "updated_by": "bob"},
                      stamp=datetime.now(UTC), by="bob", tab="structures", line=3)
        deleted = get_structure(con, cognac)
    assert deleted["deleted_at"] == OTHER_DEVICE_AT  # the moment the other device deleted it
    with store.atomic() as con:
        update_record(con, STRUCTURES, cognac, {"deleted_at": None}, stamp=datetime.now(UTC), by="bob",
                      tab="structures", line=3)
        restored = get_structure(con, cognac)
        reasons = [v["change_reason"] for v in structure_history(con, cognac)]
    assert restored["deleted_at"] is None
    assert reasons == ["creation", "suppression", "restauration"]


# -- a record the store does not have ----------------------------------------------------------------


def test_a_new_call_is_added_as_read_with_its_stamps_or_now(store, call):
    row = store.query("SELECT * FROM call_attempts WHERE id = ?", [call])[0]
    assert {name: row[name] for name in CALL} == CALL
    assert row["updated_by"] == "alice" and row["created_at"] == row["updated_at"]
    assert row["created_at"].tzinfo is not None and row["deleted_at"] is None


def test_a_new_call_keeps_the_stamps_of_the_device_that_made_it(store):
    values = {**CALL, "created_at": OTHER_DEVICE_AT, "updated_at": OTHER_DEVICE_AT, "updated_by": "bob"}
    with store.atomic() as con:
        insert_record(con, APPELS, column_kinds(con, "call_attempts"), values, by=SHEET, tab="appels", line=2)
    row = store.query("SELECT created_at, updated_at, updated_by FROM call_attempts")[0]
    assert row == {"created_at": OTHER_DEVICE_AT, "updated_at": OTHER_DEVICE_AT, "updated_by": "bob"}


def test_a_new_call_missing_required_columns_is_refused_naming_them(store):
    with pytest.raises(RowRejected) as refused, store.atomic() as con:
        insert_record(con, APPELS, column_kinds(con, "call_attempts"), {**CALL, "outcome": None, "surveyor": None},
                      by=SHEET, tab="appels", line=9)
    assert str(refused.value) == "Onglet « appels », ligne 9 : ligne incomplète, il manque « outcome », « surveyor »."
    assert refused.value.problems == [RecordProblem("outcome", None, "ce champ est obligatoire"),
                                      RecordProblem("surveyor", None, "ce champ est obligatoire")]
    assert store.query("SELECT count(*) AS n FROM call_attempts") == [{"n": 0}]


def test_a_new_structure_enters_through_the_registry_and_keeps_its_creators_stamps(store):
    values = {**COGNAC, "id": "lieu-du-classeur", "telephone": "05 45 36 55 36", "created_at": OTHER_DEVICE_AT,
              "updated_at": OTHER_DEVICE_AT, "updated_by": "bob", "source_id": "source-1"}
    with store.atomic() as con:
        insert_record(con, STRUCTURES, column_kinds(con, "structures"), values, by=SHEET, tab="structures", line=4)
        row = get_structure(con, "lieu-du-classeur")
        history = structure_history(con, "lieu-du-classeur")
    assert (row["nom"], row["telephone"], row["source_id"]) == ("CCAS de Cognac", "+33545365536", "source-1")
    assert (row["created_at"], row["updated_at"], row["updated_by"]) == (OTHER_DEVICE_AT, OTHER_DEVICE_AT, "bob")
    assert [v["change_reason"] for v in history] == ["synchronisation"]


def test_a_new_structure_already_deleted_elsewhere_arrives_deleted(store):
    values = {**COGNAC, "id": "lieu-supprime", "deleted_at": OTHER_DEVICE_AT, "merged_into": "lieu-garde"}
    with store.atomic() as con:
        insert_record(con, STRUCTURES, column_kinds(con, "structures"), values, by=SHEET, tab="structures", line=4)
        row = get_structure(con, "lieu-supprime")
        reasons = [v["change_reason"] for v in structure_history(con, "lieu-supprime")]
    assert (row["deleted_at"], row["merged_into"]) == (OTHER_DEVICE_AT, "lieu-garde")
    assert reasons == ["synchronisation", "suppression"]


def test_a_new_structure_the_registry_refuses_is_not_added(store):
    with pytest.raises(RowRejected) as refused, store.atomic() as con:
        insert_record(con, STRUCTURES, column_kinds(con, "structures"), {**COGNAC, "id": "x", "nom": None},
                      by=SHEET, tab="structures", line=12)
    assert str(refused.value).startswith("Onglet « structures », ligne 12 : structure refusée — colonne « nom » :")
    assert [problem.column for problem in refused.value.problems] == ["nom"]
    assert store.query("SELECT count(*) AS n FROM structures") == [{"n": 0}]


# -- the problems of a refused row ------------------------------------------------------------------


def test_only_the_errors_of_a_validation_become_problems_of_the_row():
    issues = [Issue("telephone", "12", "Numéro « 12 » incomplet.", "erreur"),
              Issue("site_web", "x", "adresse écartée", "avertissement")]
    assert issue_problems(issues) == [RecordProblem("telephone", "12", "Numéro « 12 » incomplet.")]


def test_the_problems_of_a_row_read_as_one_sentence():
    problems = [RecordProblem("outcome", "Occupé2", "n'est pas une valeur de la liste"),
                RecordProblem("surveyor", None, "ce champ est obligatoire"),
                RecordProblem(None, "", "ligne vide")]
    assert problems_text(problems) == ("colonne « outcome » : « Occupé2 » n'est pas une valeur de la liste ;"
                                       " colonne « surveyor » : ce champ est obligatoire ; ligne vide")


def test_a_refusal_without_details_is_its_own_one_problem():
    refused = RowRejected("Onglet « appels » : en-tête illisible.")
    assert refused.problems == [RecordProblem(None, None, "Onglet « appels » : en-tête illisible.")]
