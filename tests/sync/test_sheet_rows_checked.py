"""The sheet is an untrusted input: a line the app would refuse never enters the store.

A person may type anything in the shared sheet. Each line of the campaign tabs is checked with the
app's own rules (``models.records``) before it is taken: an outcome or a status outside its list,
a campaign or structure this device does not hold, a call-back without its time. A refused line
stays in the sheet as typed, is listed for a coordinator (Conflits page, ``conflits`` tab) with
its tab, line, column, value and reason, and the entry closes by itself once the line is fixed.
A French label where a code is expected (« Occupé ») is read as its code.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from cli import main
from collect.calls import add_targets, assign, log_attempt
from collect.campaigns import create_campaign
from collect.questionnaire import default_questionnaire
from collect.surveys import publish_questionnaire
from dashboards.calls import campaign_report
from models.registry import create_structure
from models.store import Store
from sync.conflicts import open_conflicts, resolve_conflict
from tests.sync.test_hub import column_of, line_of, run_sync, sheet_records

LIEU = {"nom": "CCAS de Cognac", "commune": "Cognac", "code_postal": "16100", "code_insee": "16102",
        "adresse": "Hôtel de ville", "date_maj": "2024-04-02"}


@pytest.fixture
def hub(emulator) -> str:
    return emulator.create_spreadsheet("Diagnostic Charente")


@pytest.fixture
def campaign(store: Store, emulator, hub) -> dict[str, str]:
    """A campaign with one structure, one call logged on this device, everything pushed to the sheet."""
    with store.atomic() as con:
        stored = publish_questionnaire(con, default_questionnaire(), by="coord")
        campaign_id = create_campaign(con, nom="Diagnostic", questionnaire_id=stored.id, by="coord")
        structure, issues = create_structure(con, LIEU, by="coord")
        assert structure is not None, issues
        add_targets(con, campaign_id, [structure.id], by="coord")
        assign(con, campaign_id, [structure.id], "alice", by="coord")
        attempt = log_attempt(con, campaign_id, structure.id, "pas_de_reponse", surveyor="alice", by="alice",
                              at=datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    run_sync(store, emulator, hub)
    return {"campaign": campaign_id, "structure": structure.id, "attempt": attempt}


def type_in(emulator, hub: str, tab: str, row_id: str, column: str, text: str) -> int:
    """A person types ``text`` in a cell of the line holding ``row_id``; returns the line."""
    line = line_of(emulator, hub, tab, row_id)
    emulator.human_edit(hub, tab, line, column_of(emulator, hub, tab, column), text)
    return line


def stored_outcome(store: Store, attempt_id: str) -> str:
    return store.query("SELECT outcome FROM call_attempts WHERE id = ?", [attempt_id])[0]["outcome"]


def refused(store: Store) -> list[dict]:
    with store.connect() as con:
        return [row for row in open_conflicts(con) if row["nature"] == "invalide"]


@pytest.mark.parametrize("typed", ["peut-être", "rappeler demain", "3.12"])
def test_an_outcome_outside_the_list_is_refused_listed_and_kept_in_the_sheet(store, campaign, emulator, hub, typed):
    line = type_in(emulator, hub, "appels", campaign["attempt"], "outcome", typed)
    report = run_sync(store, emulator, hub)
    assert stored_outcome(store, campaign["attempt"]) == "pas_de_reponse"  # never stored
    assert sheet_records(emulator, hub, "appels")[campaign["attempt"]]["outcome"] == typed  # kept as typed
    (entry,) = refused(store)
    assert (entry["tab"], entry["ligne"], entry["colonne"], entry["valeur_feuille"]) == ("appels", line, "outcome", typed)
    assert entry["motif"].startswith("n'est pas une valeur de la liste (attendu : complete (Questionnaire complet)")
    assert entry["valeur_appareil"] == "pas_de_reponse"
    assert any(f"ligne {line}, colonne « outcome »" in error for error in report.errors)
    # a second sync does not list it twice; the conflicts tab shows it with its line and reason
    run_sync(store, emulator, hub)
    assert len(refused(store)) == 1
    shown = sheet_records(emulator, hub, "conflits")[entry["id"]]
    assert (shown["nature"], shown["ligne"], shown["motif"]) == ("invalide", str(line), entry["motif"])


@pytest.mark.parametrize(("typed", "code"), [("Occupé", "occupe"), ("OCCUPE", "occupe"), ("Répondeur, message laissé",
                                                                                             "repondeur_message")])
def test_a_french_label_typed_for_an_outcome_is_read_as_its_code(store, campaign, emulator, hub, typed, code):
    type_in(emulator, hub, "appels", campaign["attempt"], "outcome", typed)
    report = run_sync(store, emulator, hub)
    assert report.errors == []
    assert stored_outcome(store, campaign["attempt"]) == code
    assert refused(store) == []


def test_a_refused_line_fixed_in_the_sheet_is_taken_and_its_entry_closes(store, campaign, emulator, hub):
    type_in(emulator, hub, "appels", campaign["attempt"], "outcome", "peut-être")
    run_sync(store, emulator, hub)
    assert len(refused(store)) == 1
    type_in(emulator, hub, "appels", campaign["attempt"], "outcome", "Occupé")
    run_sync(store, emulator, hub)
    assert stored_outcome(store, campaign["attempt"]) == "occupe"
    assert refused(store) == []
    closed = store.query("SELECT statut, resolution FROM sync_conflicts WHERE nature = 'invalide'")
    assert closed == [{"statut": "resolu", "resolution": "corrigee"}]


@pytest.mark.parametrize(("column", "typed", "reason"), [
    ("campaign_id", "campagne-inexistante", "campagne inconnue sur cet appareil"),
    ("structure_id", "structure-inexistante", "structure inconnue sur cet appareil"),
    ("attempted_at", "01/01/0001 10:00", "date hors de la période attendue (2000–2100)"),
    ("surveyor", "", "ce champ est obligatoire"),
])
def test_a_call_linked_to_nothing_here_or_badly_dated_is_refused(store, campaign, emulator, hub, column, typed, reason):
    line = type_in(emulator, hub, "appels", campaign["attempt"], column, typed)
    run_sync(store, emulator, hub)
    (entry,) = refused(store)
    assert (entry["ligne"], entry["colonne"], entry["motif"]) == (line, column, reason)
    row = store.query("SELECT campaign_id, structure_id, surveyor FROM call_attempts WHERE id = ?", [campaign["attempt"]])
    assert row == [{"campaign_id": campaign["campaign"], "structure_id": campaign["structure"], "surveyor": "alice"}]


def test_a_call_back_typed_without_its_time_is_refused(store, campaign, emulator, hub):
    type_in(emulator, hub, "appels", campaign["attempt"], "outcome", "Rappel demandé")
    run_sync(store, emulator, hub)
    (entry,) = refused(store)
    assert (entry["colonne"], entry["motif"]) == ("callback_at", "un rappel ou un rendez-vous demande sa date et son heure")
    assert stored_outcome(store, campaign["attempt"]) == "pas_de_reponse"


def test_a_new_line_typed_in_the_calls_tab_is_checked_like_an_edit(store, campaign, emulator, hub):
    header = emulator.values(hub, "appels")[0]
    typed = {"campaign_id": campaign["campaign"], "structure_id": "inconnue", "surveyor": "bob",
             "attempted_at": "02/12/2026 10:00", "outcome": "Occupé"}
    line = emulator.human_insert_row(hub, "appels", values=[typed.get(name, "") for name in header])
    run_sync(store, emulator, hub)
    (entry,) = refused(store)
    assert (entry["ligne"], entry["colonne"], entry["valeur_feuille"]) == (line, "structure_id", "inconnue")
    assert store.query("SELECT count(*) AS n FROM call_attempts")[0]["n"] == 1
    # fixed: the line is taken, with the outcome's code
    emulator.human_edit(hub, "appels", line, header.index("structure_id") + 1, campaign["structure"])
    run_sync(store, emulator, hub)
    assert refused(store) == []
    taken = store.query("SELECT outcome, surveyor FROM call_attempts WHERE surveyor = 'bob'")
    assert taken == [{"outcome": "occupe", "surveyor": "bob"}]


def test_a_relance_status_outside_its_list_is_refused(store, campaign, emulator, hub):
    with store.atomic() as con:
        con.execute(
            "INSERT INTO relances (id, batch_id, campaign_id, structure_id, destinataire, objet, corps, message_id, canal,"
            " statut, created_at, updated_at, updated_by) VALUES ('r1', 'b1', ?, ?, 'ccas@cognac.fr', 'Objet', 'Corps',"
            " '<m1@maillage>', 'export', 'exportee', now(), now(), 'coord')",
            [campaign["campaign"], campaign["structure"]],
        )
    run_sync(store, emulator, hub)
    type_in(emulator, hub, "relances", "r1", "statut", "faite")
    run_sync(store, emulator, hub)
    (entry,) = refused(store)
    assert (entry["tab"], entry["colonne"], entry["valeur_feuille"]) == ("relances", "statut", "faite")
    assert store.query("SELECT statut FROM relances")[0]["statut"] == "exportee"
    type_in(emulator, hub, "relances", "r1", "statut", "Envoyée")
    run_sync(store, emulator, hub)
    assert store.query("SELECT statut FROM relances")[0]["statut"] == "envoyee"


def test_an_outcome_outside_the_list_already_in_a_store_breaks_no_report(store, campaign, tmp_path):
    """A store written before the sheet's lines were checked may hold one: reports read it as « Autre »."""
    with store.atomic() as con:
        con.execute("UPDATE call_attempts SET outcome = 'peut-être'")
        tables = campaign_report(con, campaign["campaign"], now=datetime(2026, 12, 2, tzinfo=UTC), by="coord")
    assert tables["funnel"]
    result = CliRunner().invoke(main, ["--db", str(store.path), "campaign", "report", "Diagnostic"])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output and "Campagne « Diagnostic »" in result.output


# -- a typo in an id cell --------------------------------------------------------------------------


def typo_in_the_id(emulator, hub: str, structure_id: str) -> tuple[str, int]:
    typed = structure_id[:-1] + ("0" if structure_id[-1] != "0" else "1")
    return typed, type_in(emulator, hub, "structures", structure_id, "id", typed)


def test_a_typo_in_an_id_cell_neither_duplicates_nor_deletes_and_waits_for_a_coordinator(store, campaign, emulator, hub):
    typed, line = typo_in_the_id(emulator, hub, campaign["structure"])
    report = run_sync(store, emulator, hub)
    assert store.query("SELECT id FROM structures") == [{"id": campaign["structure"]}]  # no duplicate
    assert store.query("SELECT count(*) AS n FROM sync_deletions")[0]["n"] == 0  # nothing queued for deletion
    with store.connect() as con:
        (entry,) = [row for row in open_conflicts(con) if row["nature"] == "identifiant"]
    assert (entry["ligne"], entry["valeur_appareil"], entry["valeur_feuille"]) == (line, campaign["structure"], typed)
    assert any("faute de frappe" in error for error in report.errors)
    run_sync(store, emulator, hub)  # listed once
    with store.connect() as con:
        assert len([row for row in open_conflicts(con) if row["nature"] == "identifiant"]) == 1


def test_a_coordinator_repairs_a_mistyped_id_and_the_line_gets_its_id_back(store, campaign, emulator, hub):
    typed, line = typo_in_the_id(emulator, hub, campaign["structure"])
    run_sync(store, emulator, hub)
    with store.atomic() as con:
        (entry,) = [row for row in open_conflicts(con) if row["nature"] == "identifiant"]
        resolve_conflict(con, entry["id"], "appareil", by="coord")
    report = run_sync(store, emulator, hub)
    assert report.errors == []
    assert emulator.values(hub, "structures")[line - 1][0] == campaign["structure"]
    assert set(sheet_records(emulator, hub, "structures")) == {campaign["structure"]}
    assert store.query("SELECT id FROM structures") == [{"id": campaign["structure"]}]
    assert run_sync(store, emulator, hub).errors == []


def test_a_coordinator_keeps_both_records_of_a_changed_id(store, campaign, emulator, hub):
    typed, _ = typo_in_the_id(emulator, hub, campaign["structure"])
    run_sync(store, emulator, hub)
    with store.atomic() as con:
        (entry,) = [row for row in open_conflicts(con) if row["nature"] == "identifiant"]
        resolve_conflict(con, entry["id"], "feuille", by="coord")
    run_sync(store, emulator, hub)
    assert {row["id"] for row in store.query("SELECT id FROM structures")} == {campaign["structure"], typed}
    assert set(sheet_records(emulator, hub, "structures")) == {campaign["structure"], typed}
    assert store.query("SELECT count(*) AS n FROM sync_deletions")[0]["n"] == 0


def test_putting_this_devices_value_back_over_a_refused_cell(store, campaign, emulator, hub):
    type_in(emulator, hub, "appels", campaign["attempt"], "outcome", "peut-être")
    run_sync(store, emulator, hub)
    (entry,) = refused(store)
    with store.atomic() as con:
        resolve_conflict(con, entry["id"], "appareil", by="coord")
    run_sync(store, emulator, hub)
    assert sheet_records(emulator, hub, "appels")[campaign["attempt"]]["outcome"] == "pas_de_reponse"
    assert stored_outcome(store, campaign["attempt"]) == "pas_de_reponse"
    assert refused(store) == []
