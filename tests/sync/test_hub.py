"""The two-way sync with the hub, rule by rule, against the Sheets emulator and real stores.

Each test reads as a user story: what a surveyor's device and the people editing the sheet did,
then what both sides hold after the sync.
"""

from __future__ import annotations

import json
import shutil
import threading
from datetime import date

import gspread
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.dispositions import CALLBACK_OUTCOMES, OUTCOMES_ALL
from models.registry import create_structure, update_structure
from models.store import Store, sql_identifier
from sync.conflicts import decide_deletion, open_conflicts, pending_deletions, resolve_conflict
from sync.hub import SyncError, SyncReport, sync_hub
from sync.sheets_emulator import SheetsEmulator
from sync.status import hub_overview
from sync.store_side import DUCKDB_VERSION, ROW_FORMAT_VERSION, upgrade_tab_bases
from sync.tables import METADATA_COLUMNS, SYNCED_TABLES, synced_columns, synced_table
from sync.transport import SyncTransport, TransportError

LIEUX = [
    {"nom": "Médiathèque de Châteaubernard", "commune": "Châteaubernard", "code_postal": "16100", "code_insee": "16089",
     "adresse": "allée des justes de France", "date_maj": "2024-04-02"},
    {"nom": "CCAS de Cognac", "commune": "Cognac", "code_postal": "16100", "code_insee": "16102",
     "adresse": "Hôtel de ville", "date_maj": "2024-04-02"},
    {"nom": "CCAS des Abymes", "commune": "Les Abymes", "code_postal": "97139", "code_insee": "97101",
     "adresse": "Rue Achille René-Boisneuf", "date_maj": "2026-01-01"},
]


def run_sync(store: Store, emulator: SheetsEmulator, sid: str, **kwargs) -> SyncReport:
    """One sync of ``store`` through gspread's real client (retries without waiting)."""
    transport = SyncTransport(emulator.session(), sleep=lambda seconds: None, max_tries=4)
    try:
        return sync_hub(store, gspread.Client(auth=None, session=transport), sid, stats=transport.stats, **kwargs)
    finally:
        transport.close()


def sheet_records(emulator: SheetsEmulator, sid: str, tab: str) -> dict[str, dict[str, str]]:
    """The tab as people see it: records by id (lines without id under ``""``-keys are skipped)."""
    values = emulator.values(sid, tab)
    header = values[0]
    records: dict[str, dict[str, str]] = {}
    for line in values[1:]:
        row = {name: (line[index] if index < len(line) else "") for index, name in enumerate(header)}
        if row.get("id"):
            assert row["id"] not in records, f"id {row['id']} twice in {tab}"
            records[row["id"]] = row
    return records


def line_of(emulator: SheetsEmulator, sid: str, tab: str, row_id: str) -> int:
    values = emulator.values(sid, tab)
    ids = [line[0] if line else "" for line in values]
    return ids.index(row_id) + 1


def column_of(emulator: SheetsEmulator, sid: str, tab: str, name: str) -> int:
    return emulator.values(sid, tab)[0].index(name) + 1


def store_value(store: Store, structure_id: str, column: str):
    return store.query(f'SELECT "{column}" AS v FROM structures WHERE id = ?', [structure_id])[0]["v"]


@pytest.fixture
def lieux(store: Store) -> dict[str, str]:
    """Three structures typed on this device, by name."""
    ids = {}
    with store.atomic() as con:
        for data in LIEUX:
            structure, issues = create_structure(con, data, by="alice")
            assert structure is not None, issues
            ids[data["nom"]] = structure.id
    return ids


@pytest.fixture
def hub(emulator: SheetsEmulator) -> str:
    return emulator.create_spreadsheet("Diagnostic Charente")


@pytest.fixture
def synced(store: Store, lieux: dict[str, str], emulator: SheetsEmulator, hub: str) -> dict[str, str]:
    """The three structures pushed to the hub; the next sync knows the sheet's state."""
    report = run_sync(store, emulator, hub)
    assert report.status == "terminee" and report.new_in_sheet == 3, report
    assert run_sync(store, emulator, hub).requests == 2  # reads once to learn the sheet's modified time
    return lieux


# -- request budget ------------------------------------------------------------------------------


def test_a_first_push_creates_the_tabs_and_writes_every_record(store, lieux, emulator, hub):
    report = run_sync(store, emulator, hub)
    assert report.created_tabs == ["structures", "reponses", "appels", "relances", "conflits"]
    records = sheet_records(emulator, hub, "structures")
    assert set(records) == set(lieux.values())
    assert records[lieux["CCAS de Cognac"]]["code_insee"] == "16102"
    assert emulator.values(hub, "conflits")[0][:3] == ["id", "spreadsheet_id", "tab"]


def test_each_sync_that_moves_something_is_in_the_history_with_who_ran_it(store, lieux, emulator, hub):
    run_sync(store, emulator, hub)
    run_sync(store, emulator, hub)  # nothing to do: not a write, not in the history
    rows = store.query("SELECT actor, entity, details FROM audit_log WHERE action = 'sync.run'")
    assert len(rows) == 1 and rows[0]["entity"] == "sync_runs"
    assert json.loads(rows[0]["details"])["new_in_sheet"] == 3


def test_a_sync_with_nothing_to_do_costs_one_request(store, synced, emulator, hub):
    emulator.reset_log()
    report = run_sync(store, emulator, hub)
    assert report.status == "rien_a_faire" and report.requests == 1
    assert [request.method for request in emulator.requests] == ["GET"]  # Drive files.get, nothing else
    assert "/drive/v3/files/" in emulator.requests[0].path


def test_an_incremental_sync_costs_three_requests(store, synced, emulator, hub):
    with store.atomic() as con:
        update_structure(con, synced["CCAS de Cognac"], {"telephone": "0545824351"}, by="alice")
    emulator.human_edit(hub, "structures", line_of(emulator, hub, "structures", synced["CCAS des Abymes"]),
                        column_of(emulator, hub, "structures", "adresse"), "Boulevard des Héros")
    emulator.reset_log()
    report = run_sync(store, emulator, hub)
    assert report.requests == 3, [request.path for request in emulator.requests]
    endpoints = [request.path.split("?")[0].rsplit("/", 1)[-1] for request in emulator.requests]
    assert endpoints == ["values:batchGet", f"{hub}:batchUpdate", "values:batchGetByDataFilter"]
    assert store_value(store, synced["CCAS des Abymes"], "adresse") == "Boulevard des Héros"
    assert sheet_records(emulator, hub, "structures")[synced["CCAS de Cognac"]]["telephone"] == "+33545824351"


# -- merge rules ---------------------------------------------------------------------------------


def test_a_persons_edit_and_a_local_edit_of_one_record_are_both_kept(store, synced, emulator, hub):
    cognac = synced["CCAS de Cognac"]
    with store.atomic() as con:
        update_structure(con, cognac, {"horaires": "Mo-Fr 09:00-12:00"}, by="alice")
    emulator.human_edit(hub, "structures", line_of(emulator, hub, "structures", cognac),
                        column_of(emulator, hub, "structures", "adresse"), "Place François Ier")
    report = run_sync(store, emulator, hub)
    assert (report.to_store, report.to_sheet, report.conflicts) == (1, 1, 0)
    row = sheet_records(emulator, hub, "structures")[cognac]
    assert (row["adresse"], row["horaires"]) == ("Place François Ier", "Mo-Fr 09:00-12:00")
    assert store_value(store, cognac, "adresse") == "Place François Ier"
    assert store_value(store, cognac, "updated_by") == "feuille partagée"


def test_both_sides_changing_a_field_is_a_conflict_resolved_by_a_coordinator(store, synced, emulator, hub):
    cognac = synced["CCAS de Cognac"]
    with store.atomic() as con:
        update_structure(con, cognac, {"adresse": "1 rue de l'appareil"}, by="alice")
    emulator.human_edit(hub, "structures", line_of(emulator, hub, "structures", cognac),
                        column_of(emulator, hub, "structures", "adresse"), "2 rue du classeur")
    report = run_sync(store, emulator, hub)
    assert report.conflicts == 1
    # the sheet's value is current everywhere; the device's is kept in the conflict, with who and when
    assert store_value(store, cognac, "adresse") == "2 rue du classeur"
    assert sheet_records(emulator, hub, "structures")[cognac]["adresse"] == "2 rue du classeur"
    with store.connect() as con:
        (conflict,) = open_conflicts(con)
    assert (conflict["valeur_appareil"], conflict["appareil_par"]) == ("1 rue de l'appareil", "alice")
    assert (conflict["valeur_feuille"], conflict["feuille_par"]) == ("2 rue du classeur", "feuille partagée")
    assert conflict["valeur_base"] == "Hôtel de ville"
    # the conflict is in the read-only conflicts tab after the next sync
    run_sync(store, emulator, hub)
    assert sheet_records(emulator, hub, "conflits")[conflict["id"]]["statut"] == "ouvert"

    with store.atomic() as con:
        resolve_conflict(con, conflict["id"], "appareil", by="coordinatrice")
    run_sync(store, emulator, hub)
    assert sheet_records(emulator, hub, "structures")[cognac]["adresse"] == "1 rue de l'appareil"
    assert sheet_records(emulator, hub, "conflits")[conflict["id"]]["statut"] == "resolu"
    assert run_sync(store, emulator, hub).conflicts == 0


def test_a_persons_new_line_becomes_a_structure_with_an_id(store, synced, emulator, hub):
    header = emulator.values(hub, "structures")[0]
    values = {"nom": "Espace de vie sociale du Breuil", "commune": "Cognac", "code_postal": "16100",
              "adresse": "3 rue du Breuil", "date_maj": "2026-03-01"}
    line = emulator.human_insert_row(hub, "structures", None, [values.get(name, "") for name in header])
    report = run_sync(store, emulator, hub)
    assert report.new_in_store == 1 and not report.errors
    new_id = emulator.values(hub, "structures")[line - 1][0]
    assert new_id and store_value(store, new_id, "nom") == "Espace de vie sociale du Breuil"
    assert run_sync(store, emulator, hub).new_in_store == 0  # taken once


def test_a_new_line_the_registry_refuses_is_explained_and_left_as_typed(store, synced, emulator, hub):
    header = emulator.values(hub, "structures")[0]
    line = emulator.human_insert_row(hub, "structures", None,
                                     ["", "", "Sans commune"] + [""] * (len(header) - 3))
    report = run_sync(store, emulator, hub)
    assert report.new_in_store == 0
    assert any(f"ligne {line}" in error and "refusée" in error for error in report.errors), report.errors
    assert emulator.values(hub, "structures")[line - 1][0] == ""  # no id given: fix the line, it is taken next time
    assert store.query("SELECT count(*) AS n FROM structures")[0]["n"] == 3


def test_a_deleted_line_waits_for_a_coordinator(store, synced, emulator, hub):
    abymes = synced["CCAS des Abymes"]
    emulator.human_delete_row(hub, "structures", line_of(emulator, hub, "structures", abymes))
    report = run_sync(store, emulator, hub)
    assert report.deletions == 1
    assert store_value(store, abymes, "deleted_at") is None  # never deleted silently
    assert abymes not in sheet_records(emulator, hub, "structures")  # nor put back silently
    with store.connect() as con:
        assert [row["row_id"] for row in pending_deletions(con)] == [abymes]
    assert run_sync(store, emulator, hub).deletions == 0  # flagged once

    with store.atomic() as con:
        decide_deletion(con, hub, "structures", abymes, confirm=True, by="coordinatrice")
    run_sync(store, emulator, hub)
    assert store_value(store, abymes, "deleted_at") is not None
    assert sheet_records(emulator, hub, "structures")[abymes]["deleted_at"]  # back as deleted: other devices learn it


def test_a_restored_line_comes_back_as_it_was(store, synced, emulator, hub):
    cognac = synced["CCAS de Cognac"]
    emulator.human_delete_row(hub, "structures", line_of(emulator, hub, "structures", cognac))
    run_sync(store, emulator, hub)
    with store.atomic() as con:
        decide_deletion(con, hub, "structures", cognac, confirm=False, by="coordinatrice")
    run_sync(store, emulator, hub)
    row = sheet_records(emulator, hub, "structures")[cognac]
    assert (row["nom"], row["deleted_at"]) == ("CCAS de Cognac", "")


def test_peoples_own_columns_are_kept_and_a_deleted_column_comes_back(store, synced, emulator, hub):
    width = len(emulator.values(hub, "structures")[0])
    emulator.human_insert_column(hub, "structures", width + 1, ["Remarques", "à rappeler"])
    cognac = synced["CCAS de Cognac"]
    with store.atomic() as con:
        update_structure(con, cognac, {"adresse": "Nouvelle adresse"}, by="alice")
    run_sync(store, emulator, hub)
    values = emulator.values(hub, "structures")
    assert values[0][width] == "Remarques" and values[1][width] == "à rappeler"

    # a person deletes the « horaires » column: the sheet says nothing about it, the store keeps its values
    with store.atomic() as con:
        update_structure(con, cognac, {"horaires": "Mo 09:00-12:00"}, by="alice")
    run_sync(store, emulator, hub)
    column = column_of(emulator, hub, "structures", "horaires")
    for line in range(1, len(emulator.values(hub, "structures")) + 1):
        emulator.human_edit(hub, "structures", line, column, "")
    run_sync(store, emulator, hub)
    assert store_value(store, cognac, "horaires") == "Mo 09:00-12:00"
    assert sheet_records(emulator, hub, "structures")[cognac]["horaires"] == "Mo 09:00-12:00"


def test_a_broken_header_is_explained_in_french(store, synced, emulator, hub):
    emulator.human_edit(hub, "structures", 1, 1, "identifiant")
    report = run_sync(store, emulator, hub)
    assert any("« structures »" in error and "« id »" in error for error in report.errors), report.errors
    assert store.query("SELECT count(*) AS n FROM structures")[0]["n"] == 3


FORMULA_LOOKING = ["=1+1", "=cmd|' /C calc'!A0", "+33 5 45 82 43 51", "-", "@SOMME(A1)", "'0123", "007", " espace "]


def _cell(emulator: SheetsEmulator, hub: str, tab: str, row_id: str, column: str, option: str) -> object:
    line = line_of(emulator, hub, tab, row_id)
    return emulator.values(hub, tab, option)[line - 1][column_of(emulator, hub, tab, column) - 1]


@pytest.mark.parametrize("text", FORMULA_LOOKING)
def test_formula_looking_notes_stay_text_both_ways(store, synced, emulator, hub, text):
    with store.atomic() as con:
        con.execute(
            "INSERT INTO call_attempts (id, campaign_id, structure_id, surveyor, attempted_at, outcome, note, created_at,"
            " updated_at, updated_by) VALUES ('appel-1', 'c', ?, 'alice', now(), 'pas_de_reponse', ?, now(), now(), 'alice')",
            [synced["CCAS de Cognac"], text],
        )
    run_sync(store, emulator, hub)
    for option in ("FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA"):
        assert _cell(emulator, hub, "appels", "appel-1", "note", option) == text
    report = run_sync(store, emulator, hub)
    assert report.to_store == 0  # read back exactly: nothing comes back
    assert store.query("SELECT note FROM call_attempts")[0]["note"] == text


@pytest.mark.parametrize("text", [text for text in FORMULA_LOOKING if text != "-"])  # « - » is the registry's « empty »
def test_formula_looking_structure_fields_stay_text(store, synced, emulator, hub, text):
    cognac = synced["CCAS de Cognac"]
    with store.atomic() as con:
        update_structure(con, cognac, {"presentation_resume": text}, by="alice")
    run_sync(store, emulator, hub)
    stored = store_value(store, cognac, "presentation_resume")
    for option in ("FORMATTED_VALUE", "FORMULA"):
        assert _cell(emulator, hub, "structures", cognac, "presentation_resume", option) == stored
    assert run_sync(store, emulator, hub).to_store == 0


def test_a_formula_a_person_types_arrives_as_what_they_see(store, synced, emulator, hub):
    cognac = synced["CCAS de Cognac"]
    emulator.human_edit(hub, "structures", line_of(emulator, hub, "structures", cognac),
                        column_of(emulator, hub, "structures", "complement_adresse"), "=2+3")
    run_sync(store, emulator, hub)
    assert store_value(store, cognac, "complement_adresse") == "5"


def test_a_persons_edit_of_the_read_only_conflicts_tab_is_put_back(store, synced, emulator, hub):
    cognac = synced["CCAS de Cognac"]
    with store.atomic() as con:
        update_structure(con, cognac, {"adresse": "A"}, by="alice")
    emulator.human_edit(hub, "structures", line_of(emulator, hub, "structures", cognac),
                        column_of(emulator, hub, "structures", "adresse"), "B")
    run_sync(store, emulator, hub)
    run_sync(store, emulator, hub)
    with store.connect() as con:
        (conflict,) = open_conflicts(con)
    emulator.human_edit(hub, "conflits", line_of(emulator, hub, "conflits", conflict["id"]),
                        column_of(emulator, hub, "conflits", "statut"), "resolu")
    report = run_sync(store, emulator, hub)
    assert report.refused == 1
    assert sheet_records(emulator, hub, "conflits")[conflict["id"]]["statut"] == "ouvert"


# -- right row, always ---------------------------------------------------------------------------


@pytest.mark.parametrize("reverse", [False, True])
def test_a_sort_between_the_read_and_the_write_is_repaired_in_the_same_sync(store, synced, emulator, hub, reverse):
    cognac, abymes = synced["CCAS de Cognac"], synced["CCAS des Abymes"]
    with store.atomic() as con:
        update_structure(con, cognac, {"horaires": "Tu 14:00-18:00"}, by="alice")
        update_structure(con, abymes, {"telephone": "0590826000"}, by="alice")
    before = sheet_records(emulator, hub, "structures")
    nom = column_of(emulator, hub, "structures", "nom")
    emulator.between(lambda: emulator.human_sort(hub, "structures", nom, reverse=not reverse), after=1)
    report = run_sync(store, emulator, hub)
    after = sheet_records(emulator, hub, "structures")
    assert after[cognac]["horaires"] == "Tu 14:00-18:00"
    assert after[abymes]["telephone"] == "+590590826000"
    for row_id, row in before.items():  # every other cell as it was: nothing written on a wrong line
        for name, text in row.items():
            if (row_id, name) not in {(cognac, "horaires"), (abymes, "telephone")} and name not in ("updated_at", "updated_by"):
                assert after[row_id][name] == text, (row_id, name)
    assert run_sync(store, emulator, hub).to_sheet == 0
    assert report.repaired >= 1  # the sort moved the lines: the misplaced cells were put back


def test_a_line_inserted_between_the_read_and_the_write_is_not_overwritten(store, synced, emulator, hub):
    cognac = synced["CCAS de Cognac"]
    with store.atomic() as con:
        update_structure(con, cognac, {"horaires": "We 10:00-12:00"}, by="alice")
        create_structure(con, {"nom": "Mission locale", "commune": "Cognac", "code_postal": "16100",
                               "adresse": "4 rue", "date_maj": "2026-01-01"}, by="alice")
    header = emulator.values(hub, "structures")[0]
    typed = {"nom": "Association Trait d'union", "commune": "Cognac", "code_postal": "16100", "adresse": "5 rue",
             "date_maj": "2026-01-01"}
    emulator.between(lambda: emulator.human_insert_row(hub, "structures", 2, [typed.get(n, "") for n in header]), after=1)
    run_sync(store, emulator, hub)
    run_sync(store, emulator, hub)
    names = {row["nom"] for row in sheet_records(emulator, hub, "structures").values()}
    assert {"Mission locale", "Association Trait d'union", "CCAS de Cognac"} <= names
    assert sheet_records(emulator, hub, "structures")[cognac]["horaires"] == "We 10:00-12:00"
    assert store.query("SELECT count(*) AS n FROM structures")[0]["n"] == 5


# -- faults --------------------------------------------------------------------------------------


def _changes_on_both_sides(store: Store, emulator: SheetsEmulator, hub: str, ids: dict[str, str]) -> None:
    with store.atomic() as con:
        update_structure(con, ids["CCAS de Cognac"], {"horaires": "Th 09:00-12:00"}, by="alice")
        create_structure(con, {"nom": "France Services de Jarnac", "commune": "Jarnac", "code_postal": "16200",
                               "adresse": "1 place", "date_maj": "2026-01-01"}, by="alice")
    emulator.human_edit(hub, "structures", line_of(emulator, hub, "structures", ids["CCAS des Abymes"]),
                        column_of(emulator, hub, "structures", "adresse"), "Rue Schœlcher")
    header = emulator.values(hub, "structures")[0]
    typed = {"nom": "Médiathèque de Segonzac", "commune": "Segonzac", "code_postal": "16130", "adresse": "2 rue",
             "date_maj": "2026-01-01"}
    emulator.human_insert_row(hub, "structures", None, [typed.get(name, "") for name in header])


def _everything_once_on_both_sides(store: Store, emulator: SheetsEmulator, hub: str, ids: dict[str, str]) -> None:
    records = sheet_records(emulator, hub, "structures")  # asserts no id twice
    names = sorted(row["nom"] for row in records.values())
    assert names == sorted(["Médiathèque de Châteaubernard", "CCAS de Cognac", "CCAS des Abymes",
                            "France Services de Jarnac", "Médiathèque de Segonzac"])
    assert not [line for line in emulator.values(hub, "structures")[1:] if line and not line[0]]  # every line has its id
    stored = {row["id"]: row for row in store.query("SELECT id, nom, adresse, horaires FROM structures")}
    assert set(stored) == set(records)
    assert stored[ids["CCAS des Abymes"]]["adresse"] == "Rue Schœlcher"
    assert records[ids["CCAS de Cognac"]]["horaires"] == "Th 09:00-12:00"


@pytest.mark.parametrize("fault", ["503", "429", "drop", "drop_after_apply"])
@pytest.mark.parametrize("index", [1, 2, 3])
def test_a_fault_at_any_request_loses_nothing_and_duplicates_nothing(store, synced, emulator, hub, index, fault):
    _changes_on_both_sides(store, emulator, hub, synced)
    if fault in ("503", "429"):
        emulator.fail_at(index, int(fault), retry_after=0)
    else:
        emulator.fail_at(index, drop=True, applied=fault == "drop_after_apply")
    try:
        run_sync(store, emulator, hub)
    except TransportError as error:
        assert "prochaine synchronisation" in str(error)
    for _ in range(2):
        run_sync(store, emulator, hub)
    _everything_once_on_both_sides(store, emulator, hub, synced)
    assert run_sync(store, emulator, hub).status == "rien_a_faire"


def test_a_cut_sync_is_in_the_journal_and_the_next_one_completes_it(store, synced, emulator, hub):
    _changes_on_both_sides(store, emulator, hub, synced)
    emulator.fail_at(2, drop=True, applied=True)  # the write is applied, its answer lost
    with pytest.raises(TransportError):
        run_sync(store, emulator, hub)
    (cut,) = store.query("SELECT id, statut FROM sync_runs WHERE statut = 'interrompue'")
    steps = [row["etape"] for row in store.query("SELECT etape FROM sync_journal WHERE run_id = ? ORDER BY step", [cut["id"]])]
    assert steps[:3] == ["debut", "modifications_locales", "lecture"] and steps[-1] == "echec"
    report = run_sync(store, emulator, hub)
    assert report.status == "terminee" and not report.errors
    _everything_once_on_both_sides(store, emulator, hub, synced)


# -- two devices ---------------------------------------------------------------------------------


def test_two_devices_syncing_at_the_same_moment_both_end_with_every_change(store, synced, emulator, hub, tmp_path):
    other = Store(tmp_path / "appareil-b.duckdb", device="bob")
    other.migrate()
    assert run_sync(other, emulator, hub).new_in_store == 3  # the second laptop joins the hub
    run_sync(other, emulator, hub)
    cognac, abymes = synced["CCAS de Cognac"], synced["CCAS des Abymes"]
    with store.atomic() as con:
        update_structure(con, cognac, {"horaires": "Mo 09:00-12:00"}, by="alice")
        create_structure(con, {"nom": "Lieu d'Alice", "commune": "Cognac", "code_postal": "16100", "adresse": "1 rue",
                               "date_maj": "2026-01-01"}, by="alice")
    with other.atomic() as con:
        update_structure(con, abymes, {"adresse": "Rue de Bob"}, by="bob")
        create_structure(con, {"nom": "Lieu de Bob", "commune": "Cognac", "code_postal": "16100", "adresse": "2 rue",
                               "date_maj": "2026-01-01"}, by="bob")
    barrier = threading.Barrier(2)
    failures: list[BaseException] = []

    def device(target: Store) -> None:
        try:
            barrier.wait()
            run_sync(target, emulator, hub)
        except BaseException as error:  # noqa: BLE001 — reported below
            failures.append(error)

    threads = [threading.Thread(target=device, args=(target,)) for target in (store, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    for _ in range(2):
        run_sync(store, emulator, hub)
        run_sync(other, emulator, hub)
    sheet = sheet_records(emulator, hub, "structures")
    for target in (store, other):
        rows = {row["id"]: row for row in target.query("SELECT id, nom, adresse, horaires FROM structures")}
        assert set(rows) == set(sheet) and len(rows) == 5
        assert rows[cognac]["horaires"] == "Mo 09:00-12:00"
        assert rows[abymes]["adresse"] == "Rue de Bob"
    assert {row["nom"] for row in sheet.values()} >= {"Lieu d'Alice", "Lieu de Bob"}


def test_two_devices_taking_the_same_new_line_give_it_one_id(store, synced, emulator, hub, tmp_path):
    assert store.release()  # the file alone is complete
    shutil.copy(store.path, tmp_path / "copie.duckdb")  # a second device with the same history
    other = Store(tmp_path / "copie.duckdb", device="bob")
    header = emulator.values(hub, "structures")[0]
    typed = {"nom": "Point numérique CAF", "commune": "Cognac", "code_postal": "16100", "adresse": "6 rue",
             "date_maj": "2026-01-01"}
    emulator.human_insert_row(hub, "structures", None, [typed.get(name, "") for name in header])
    run_sync(store, emulator, hub)
    run_sync(other, emulator, hub)
    ids = {row["id"] for row in store.query("SELECT id FROM structures WHERE nom = 'Point numérique CAF'")}
    assert ids == {row["id"] for row in other.query("SELECT id FROM structures WHERE nom = 'Point numérique CAF'")}
    assert len(ids) == 1


# -- cost grows with the changes, values round-trip ----------------------------------------------


def test_an_incremental_sync_of_the_demo_costs_three_requests_whatever_its_size(demo_store, emulator, hub):
    first = run_sync(demo_store, emulator, hub)
    assert first.new_in_sheet >= 924 and first.requests <= 8  # 924 lieux, plus the demo campaign's calls and relances
    run_sync(demo_store, emulator, hub)
    ids = [row["id"] for row in demo_store.query("SELECT id FROM structures ORDER BY id LIMIT 200")]
    with demo_store.atomic() as con:
        for row_id in ids[:100]:
            update_structure(con, row_id, {"horaires": "Mo-Fr 10:00-12:00"}, by="alice")
    values = emulator.values(hub, "structures")
    lines = {line[0]: number for number, line in enumerate(values, start=1)}
    column = values[0].index("complement_adresse") + 1
    for row_id in ids[100:]:
        emulator.human_edit(hub, "structures", lines[row_id], column, "Bâtiment B")
    report = run_sync(demo_store, emulator, hub)
    assert (report.requests, report.to_store, report.to_sheet) == (3, 100, 100)
    assert report.bytes_sent < 100_000  # the changes, not the table
    sheet = sheet_records(emulator, hub, "structures")
    assert all(sheet[row_id]["horaires"] == "Mo-Fr 10:00-12:00" for row_id in ids[:100])
    stored = {row["id"]: row["complement_adresse"] for row in demo_store.query(
        "SELECT id, complement_adresse FROM structures WHERE id IN (SELECT unnest(?::VARCHAR[]))", [ids[100:]])}
    assert set(stored.values()) == {"Bâtiment B"}


_TEXTS = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40)


_PLAIN_OUTCOMES = [code for code in OUTCOMES_ALL if code not in CALLBACK_OUTCOMES]


def _shared_campaign(store: Store) -> None:
    """The same questionnaire, campaign and structure on a device (as when a team copies one store)."""
    with store.atomic() as con:
        con.execute("INSERT INTO questionnaires VALUES ('q', 'q', 1, 'Q', '{}', 'x', now(), now(), now(), 'a', NULL)")
        con.execute("INSERT INTO campaigns (id, nom, questionnaire_id, created_at, updated_at, updated_by)"
                    " VALUES ('c', 'Campagne', 'q', now(), now(), 'a')")
        con.execute("INSERT INTO structures (id, nom, adresse, date_maj, created_at, updated_at, updated_by)"
                    " VALUES ('s', 'Lieu', 'Rue', DATE '2026-01-01', now(), now(), 'a')")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(notes=st.lists(_TEXTS, min_size=1, max_size=6), callback=st.booleans(), done=st.sampled_from(_PLAIN_OUTCOMES))
def test_random_rows_round_trip_through_the_hub(tmp_path_factory, emulator, notes, callback, done):
    """Random call attempts (any text, empty vs filled, dates with offsets) pushed by one device
    and pulled by another arrive identical."""
    folder = tmp_path_factory.mktemp("rt")
    sid = emulator.create_spreadsheet("Aller-retour")
    sender, receiver = Store(folder / "a.duckdb", device="a"), Store(folder / "b.duckdb", device="b")
    sender.migrate()
    receiver.migrate()
    _shared_campaign(sender)
    _shared_campaign(receiver)
    with sender.atomic() as con:
        for index, note in enumerate(notes):
            con.execute(
                "INSERT INTO call_attempts (id, campaign_id, structure_id, surveyor, attempted_at, outcome, callback_at,"
                " note, created_at, updated_at, updated_by) VALUES (?, 'c', 's', 'alice',"
                " TIMESTAMPTZ '2026-03-29 00:59:59.999999+00', ?, ?, ?, now(), now(), 'a')",
                [f"appel-{index}", "rappel" if callback else done,
                 "2026-10-25 02:30:00+02" if callback else None, note or None],
            )
    run_sync(sender, emulator, sid)
    run_sync(receiver, emulator, sid)
    columns = "id, campaign_id, structure_id, surveyor, attempted_at, outcome, callback_at, note, created_at, updated_at, updated_by"
    query = f"SELECT {columns} FROM call_attempts ORDER BY id"
    assert receiver.query(query) == sender.query(query)


def test_a_tab_a_person_deleted_is_created_again_and_filled(store, synced, emulator, hub):
    spreadsheet = emulator.gspread_client().open_by_key(hub)
    spreadsheet.del_worksheet(spreadsheet.worksheet("structures"))
    report = run_sync(store, emulator, hub)
    assert report.created_tabs == ["structures"] and not report.errors
    assert set(sheet_records(emulator, hub, "structures")) == set(synced.values())
    assert report.deletions == 0  # a missing tab is not three deleted lines


# -- an upgrade of Maillage or DuckDB ------------------------------------------------------------
# The stored state (``sync_base``) carries the version of the writer that made it (issue 18): an
# older one is upgraded once, from the stored base values, and is never « every record changed ».


def _previous_text(text: str, kind: str) -> str:
    """How a previous writer could have written a canonical text (what ``from_cell`` still reads)."""
    if text == "":
        return text
    if kind == "date":
        year, month, day = text.split("-")
        return f"{day}/{month}/{year}"
    if kind == "datetime":  # as DuckDB prints a TIMESTAMPTZ
        return text.replace("T", " ").replace("+00:00", "+00")
    if kind == "boolean":
        return {"Oui": "TRUE", "Non": "FALSE"}[text]
    if kind == "list":
        return " | ".join(text.split("|"))
    if kind == "decimal":
        return text.replace(".", ",")
    return text


def _stored_as_previously(store: Store, hub: str, previous: str) -> None:
    """Rewrite the hub's stored state as a previous release left it: ``maillage`` — no version
    (before versions), texts serialised the old way, store hashes by an older DuckDB, which printed
    a row in braces; ``duckdb`` — this format, but store hashes by another DuckDB (1.0.0)."""
    with store.atomic() as con:
        tabs = [tab for (tab,) in con.execute("SELECT DISTINCT tab FROM sync_base WHERE spreadsheet_id = ?",
                                              [hub]).fetchall()]
        for tab in tabs:
            spec = synced_table(tab)
            kinds = synced_columns(con, spec)
            printed = "CAST(ROW(" + ", ".join(sql_identifier(name) for name in kinds) + ") AS VARCHAR)"
            old_hashes = dict(con.execute(
                f"SELECT id, md5('{{' || substr({printed}, 2, length({printed}) - 2) || '}}') FROM \"{spec.table}\""
            ).fetchall())
            for row_id, cells in con.execute("SELECT row_id, cells FROM sync_base WHERE spreadsheet_id = ? AND tab = ?",
                                             [hub, tab]).fetchall():
                texts = json.loads(cells)
                if previous == "maillage":
                    texts = {name: text if name in METADATA_COLUMNS else _previous_text(text, kinds[name])
                             for name, text in texts.items()}
                con.execute("UPDATE sync_base SET cells = ?, store_hash = CASE WHEN store_hash IS NULL THEN NULL"
                            " ELSE ? END WHERE spreadsheet_id = ? AND tab = ? AND row_id = ?",
                            [json.dumps(texts, ensure_ascii=False), old_hashes[row_id], hub, tab, row_id])
        version, engine = (None, None) if previous == "maillage" else (ROW_FORMAT_VERSION, "1.0.0")
        con.execute("UPDATE sync_state SET row_format = ?, row_format_duckdb = ? WHERE spreadsheet_id = ?",
                    [version, engine, hub])


def _bases(store: Store, hub: str) -> dict[tuple[str, str], tuple[dict, str | None, str | None]]:
    return {(row["tab"], row["row_id"]): (json.loads(row["cells"]), row["store_hash"], row["sheet_hash"])
            for row in store.query("SELECT * FROM sync_base WHERE spreadsheet_id = ?", [hub])}


@pytest.fixture
def settled(store: Store, synced: dict[str, str], emulator: SheetsEmulator, hub: str) -> dict[str, str]:
    """The synced structures, one holding values whose text is not the whole value ('' and an empty
    list both written "") and one a real date-time, synced until a sync has nothing to do."""
    with store.atomic() as con:
        con.execute("UPDATE structures SET horaires = '', services = [], date_maj_estimee = TRUE, latitude = 45.695"
                    " WHERE id = ?", [synced["Médiathèque de Châteaubernard"]])
    for _ in range(3):
        if run_sync(store, emulator, hub).status == "rien_a_faire":
            return synced
    raise AssertionError("the hub never settled")


@pytest.mark.parametrize("previous", ["maillage", "duckdb"])
def test_an_upgrade_is_migrated_once_and_is_not_every_record_changed(store, settled, emulator, hub, previous):
    agreed = _bases(store, hub)
    _stored_as_previously(store, hub, previous)
    assert _bases(store, hub) != agreed
    sheet_before = emulator.values(hub, "structures")
    with store.connect(read_only=True) as con:  # the status page before the sync: nothing waits
        assert hub_overview(con, hub).waiting_total == 0

    emulator.reset_log()
    report = run_sync(store, emulator, hub)
    assert report.status == "rien_a_faire" and report.requests == 1, report
    assert not any(report.summary().values())
    assert emulator.values(hub, "structures") == sheet_before
    assert _bases(store, hub) == agreed  # the bases as the current writer had written them
    state = store.query("SELECT row_format, row_format_duckdb FROM sync_state WHERE spreadsheet_id = ?", [hub])[0]
    assert (state["row_format"], state["row_format_duckdb"]) == (ROW_FORMAT_VERSION, DUCKDB_VERSION)
    steps = store.query("SELECT etape FROM sync_journal WHERE run_id = ? ORDER BY step", [report.run_id])
    assert [step["etape"] for step in steps][:2] == ["debut", "etat_mis_a_jour"]
    # once: the next sync has nothing to upgrade, and upgrading again changes nothing
    report = run_sync(store, emulator, hub)
    assert report.status == "rien_a_faire"
    assert "etat_mis_a_jour" not in {row["etape"] for row in store.query(
        "SELECT etape FROM sync_journal WHERE run_id = ?", [report.run_id])}
    with store.atomic() as con:
        assert [upgrade_tab_bases(con, hub, spec, synced_columns(con, spec)) for spec in SYNCED_TABLES] == [0] * 5


# (edit, report's to_store, to_sheet, conflicts): each made while the stored state is the previous
# release's, on a field the previous release wrote differently (date_maj « 02/04/2024 »)
EDITS_BEFORE_UPGRADE = [
    ("appareil", 0, 1, 0),
    ("feuille", 1, 0, 0),
    ("les_deux", 1, 0, 1),
]


@pytest.mark.parametrize("previous", ["maillage", "duckdb"])
@pytest.mark.parametrize(("edit", "to_store", "to_sheet", "conflicts"), EDITS_BEFORE_UPGRADE,
                         ids=[case[0] for case in EDITS_BEFORE_UPGRADE])
def test_an_edit_made_before_an_upgrade_is_still_an_edit(store, settled, emulator, hub, previous, edit, to_store,
                                                         to_sheet, conflicts):
    cognac = settled["CCAS de Cognac"]
    others = {row_id: row for row_id, row in sheet_records(emulator, hub, "structures").items() if row_id != cognac}
    _stored_as_previously(store, hub, previous)
    if edit in ("appareil", "les_deux"):
        with store.atomic() as con:
            update_structure(con, cognac, {"date_maj": "2025-06-01"}, by="alice")
    if edit in ("feuille", "les_deux"):
        emulator.human_edit(hub, "structures", line_of(emulator, hub, "structures", cognac),
                            column_of(emulator, hub, "structures", "date_maj"), "05/03/2026")

    report = run_sync(store, emulator, hub)
    assert (report.to_store, report.to_sheet, report.conflicts, report.new_in_sheet) == (to_store, to_sheet, conflicts, 0)
    expected = date(2025, 6, 1) if edit == "appareil" else date(2026, 3, 5)
    assert store_value(store, cognac, "date_maj") == expected
    if edit == "appareil":
        assert sheet_records(emulator, hub, "structures")[cognac]["date_maj"] == "2025-06-01"
    if conflicts:
        with store.connect() as con:
            (conflict,) = open_conflicts(con)
        # the base is the upgraded stored value, in the current writer's text
        assert (conflict["valeur_base"], conflict["valeur_appareil"], conflict["valeur_feuille"]) == (
            "2024-04-02", "2025-06-01", "2026-03-05")
    assert {row_id: row for row_id, row in sheet_records(emulator, hub, "structures").items()
            if row_id != cognac} == others  # the records nobody touched were not written
    assert run_sync(store, emulator, hub).to_sheet == 0


def test_a_state_written_by_a_newer_maillage_stops_the_sync_and_changes_nothing(store, settled, emulator, hub):
    cognac = settled["CCAS de Cognac"]
    with store.atomic() as con:
        con.execute("UPDATE sync_state SET row_format = ? WHERE spreadsheet_id = ?", [ROW_FORMAT_VERSION + 1, hub])
        update_structure(con, cognac, {"telephone": "0545824351"}, by="alice")
    emulator.human_edit(hub, "structures", line_of(emulator, hub, "structures", settled["CCAS des Abymes"]),
                        column_of(emulator, hub, "structures", "adresse"), "Boulevard des Héros")
    tables = ("structures", "sync_base", "sync_state", "sync_runs", "sync_journal", "sync_conflicts", "audit_log")
    before = {table: store.query(f"SELECT * FROM {table} ORDER BY ALL") for table in tables}
    sheet_before = {tab: emulator.values(hub, tab) for tab in ("structures", "conflits")}
    emulator.reset_log()

    with pytest.raises(SyncError, match="version plus récente de Maillage") as raised:
        run_sync(store, emulator, hub)
    assert "Mettez Maillage à jour" in str(raised.value)
    assert emulator.requests == []
    assert {table: store.query(f"SELECT * FROM {table} ORDER BY ALL") for table in tables} == before
    assert {tab: emulator.values(hub, tab) for tab in sheet_before} == sheet_before
