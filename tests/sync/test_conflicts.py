"""What a coordinator decides after a sync: a field both sides changed (keep the sheet's value, this device's, or
another), an edit refused in a read-only tab, a line refused or with a mistyped id, a line deleted in the sheet.

Each test starts from what a sync leaves in the store (rows of ``sync_conflicts``, ``sync_deletions`` and
``sync_base``, as ``sync.hub`` writes them); ``tests/sync/test_hub.py`` shows whole syncs producing them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from models.access import AccessDenied, create_user
from models.ids import new_id
from models.registry import create_structure, get_structure, structure_history
from models.store import utc_now
from sync.conflicts import (
    CHOICES,
    ResolutionError,
    count_open_conflicts,
    decide_deletion,
    open_conflicts,
    pending_deletions,
    resolve_conflict,
)

HUB = "hub-charente"
SHEET = "feuille partagée"
COGNAC = {"nom": "CCAS de Cognac", "commune": "Cognac", "code_postal": "16100", "code_insee": "16102",
          "adresse": "Hôtel de ville", "date_maj": "2024-04-02"}


@pytest.fixture
def cognac(store) -> str:
    with store.atomic() as con:
        structure, issues = create_structure(con, COGNAC, by="alice")
    assert structure is not None, issues
    return structure.id


def add_conflict(store, row_id: str, *, nature: str = "conflit", tab: str = "structures", colonne: str = "adresse",
                 appareil: str | None = "1 rue de l'appareil", feuille: str | None = "2 rue du classeur",
                 spreadsheet_id: str = HUB, created_at: datetime | None = None, ligne: int | None = None,
                 statut: str = "ouvert") -> str:
    """A conflict as a sync records it: the base, this device's value (alice's), the sheet's (current)."""
    now = created_at or utc_now()
    conflict_id = new_id()
    with store.atomic() as con:
        con.execute(
            "INSERT INTO sync_conflicts (id, spreadsheet_id, tab, row_id, colonne, nature, valeur_base, valeur_appareil,"
            " appareil_par, appareil_le, valeur_feuille, feuille_par, feuille_le, valeur_courante, statut, ligne,"
            " created_at, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, 'Hôtel de ville', ?, 'alice', ?, ?, ?, ?, ?,"
            " ?, ?, ?, ?, 'portable-alice')",
            [conflict_id, spreadsheet_id, tab, row_id, colonne, nature, appareil, now, feuille, SHEET, now,
             feuille if nature == "conflit" else appareil, statut, ligne, now, now],
        )
    return conflict_id


def add_base(store, tab: str, row_id: str, cells: dict[str, str]) -> None:
    with store.atomic() as con:
        con.execute("INSERT INTO sync_base (spreadsheet_id, tab, row_id, cells, store_hash, sheet_hash, synced_at)"
                    " VALUES (?, ?, ?, ?, 'hash-appareil', 'hash-feuille', now())",
                    [HUB, tab, row_id, json.dumps(cells, ensure_ascii=False)])


def base_of(store, tab: str, row_id: str) -> dict | None:
    rows = store.query("SELECT cells, store_hash FROM sync_base WHERE spreadsheet_id = ? AND tab = ? AND row_id = ?",
                       [HUB, tab, row_id])
    return {"cells": json.loads(rows[0]["cells"]), "store_hash": rows[0]["store_hash"]} if rows else None


def resolve(store, conflict_id: str, choice: str, *, by: str = "coord", value: str | None = None) -> dict:
    with store.atomic() as con:
        return resolve_conflict(con, conflict_id, choice, by=by, value=value)


def adresse(store, structure_id: str) -> str:
    with store.connect() as con:
        return get_structure(con, structure_id)["adresse"]


# -- the list ------------------------------------------------------------------------------------------


def test_the_open_conflicts_are_listed_oldest_first_and_counted(store, cognac):
    start = utc_now() - timedelta(hours=1)
    later = add_conflict(store, cognac, created_at=start + timedelta(minutes=5))
    first = add_conflict(store, cognac, colonne="horaires", created_at=start)
    other_hub = add_conflict(store, cognac, spreadsheet_id="hub-guadeloupe", created_at=start + timedelta(minutes=9))
    add_conflict(store, cognac, statut="resolu")
    with store.connect() as con:
        assert [row["id"] for row in open_conflicts(con)] == [first, later, other_hub]
        assert [row["id"] for row in open_conflicts(con, HUB)] == [first, later]
        assert count_open_conflicts(con) == 3


def test_the_three_choices_say_in_french_which_value_is_kept():
    assert CHOICES == {"feuille": "Garder la valeur du classeur", "appareil": "Garder la valeur de cet appareil",
                       "autre": "Saisir une autre valeur"}


# -- a field both sides changed ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("choice", "value", "kept"),
    [
        ("feuille", None, "2 rue du classeur"),
        ("appareil", None, "1 rue de l'appareil"),
        ("autre", "3 place François Ier", "3 place François Ier"),
    ],
)
def test_resolving_a_conflict_sets_the_records_field_to_the_value_kept(store, cognac, choice, value, kept):
    conflict_id = add_conflict(store, cognac)
    saved = resolve(store, conflict_id, choice, value=value, by="coord")
    assert adresse(store, cognac) == kept
    assert (saved["statut"], saved["resolution"], saved["valeur_retenue"], saved["resolu_par"]) == (
        "resolu", choice, kept, "coord")
    assert saved["resolu_le"] is not None
    with store.connect() as con:
        assert open_conflicts(con) == []
        history = structure_history(con, cognac)
    assert history[-1]["updated_by"] == "coord"  # a new version: the next sync carries it like any edit
    (audit,) = store.query("SELECT actor, entity, entity_id, details FROM audit_log WHERE action = 'conflict.resolve'")
    assert (audit["actor"], audit["entity"], audit["entity_id"]) == ("coord", "structures", cognac)
    assert json.loads(audit["details"]) == {"colonne": "adresse", "choix": choice, "valeur_retenue": kept,
                                            "conflit": conflict_id}


def test_another_value_is_read_as_a_person_types_it_in_the_sheet(store, cognac):
    conflict_id = add_conflict(store, cognac, colonne="typologie", appareil="CCAS", feuille="MUNI")
    resolve(store, conflict_id, "autre", value="CCAS | MUNI")
    with store.connect() as con:
        assert get_structure(con, cognac)["typologie"] == ["CCAS", "MUNI"]


def test_a_conflict_on_a_call_sets_the_calls_field(store, cognac):
    with store.atomic() as con:
        con.execute("INSERT INTO call_attempts (id, campaign_id, structure_id, surveyor, attempted_at, outcome, note,"
                    " created_at, updated_at, updated_by) VALUES ('appel-1', 'campagne-1', ?, 'alice', now(),"
                    " 'pas_de_reponse', 'Classeur', now(), now(), 'alice')", [cognac])
    conflict_id = add_conflict(store, "appel-1", tab="appels", colonne="note", appareil="Appareil", feuille="Classeur")
    resolve(store, conflict_id, "appareil")
    assert store.query("SELECT note, updated_by FROM call_attempts") == [{"note": "Appareil", "updated_by": "coord"}]
    assert store.query("SELECT entity FROM audit_log WHERE action = 'conflict.resolve'") == [{"entity": "call_attempts"}]


@pytest.mark.parametrize(
    ("choice", "value", "message"),
    [
        ("garder", None, "Choix inconnu : « garder » (attendu : feuille, appareil, autre)."),
        ("autre", None, "Saisissez la valeur à garder."),
    ],
)
def test_a_choice_that_cannot_be_applied_is_refused_in_french_and_the_conflict_stays_open(store, cognac, choice,
                                                                                         value, message):
    conflict_id = add_conflict(store, cognac)
    with pytest.raises(ResolutionError) as refused:
        resolve(store, conflict_id, choice, value=value)
    assert str(refused.value) == message
    with store.connect() as con:
        assert [row["id"] for row in open_conflicts(con)] == [conflict_id]
    assert adresse(store, cognac) == "Hôtel de ville"


def test_a_value_the_registry_refuses_is_refused_in_french_and_nothing_changes(store, cognac):
    conflict_id = add_conflict(store, cognac, colonne="code_postal", appareil="16100", feuille="16101")
    with pytest.raises(ResolutionError) as refused:
        resolve(store, conflict_id, "autre", value="ABCDE")
    assert str(refused.value).startswith("Onglet « structures » : structure refusée — colonne « code_postal » :")
    assert "Code postal « ABCDE » invalide" in str(refused.value)
    with store.connect() as con:
        assert get_structure(con, cognac)["code_postal"] == "16100"
        assert count_open_conflicts(con) == 1


def test_a_value_that_cannot_be_read_is_refused_in_french(store, cognac):
    conflict_id = add_conflict(store, cognac, colonne="latitude", appareil="45.69", feuille="45.7")
    with pytest.raises(ResolutionError, match="« abc » n'est pas un nombre"):
        resolve(store, conflict_id, "autre", value="abc")


def test_a_value_typed_in_the_app_is_refused_without_naming_a_line_of_the_sheet(store, cognac):
    conflict_id = add_conflict(store, cognac, colonne="latitude", appareil="45.69", feuille="45.7")
    with pytest.raises(ResolutionError) as refused:
        resolve(store, conflict_id, "autre", value="abc")
    assert str(refused.value) == ("Onglet « structures », colonne « latitude » : « abc » n'est pas un nombre (virgule ou"
                                  " point décimal).")


def test_a_conflict_already_resolved_says_by_whom(store, cognac):
    conflict_id = add_conflict(store, cognac)
    resolve(store, conflict_id, "feuille", by="dora")
    with pytest.raises(ResolutionError) as refused:
        resolve(store, conflict_id, "appareil", by="coord")
    assert str(refused.value) == "Ce conflit a déjà été résolu par dora ; rechargez la page pour voir la valeur retenue."
    assert adresse(store, cognac) == "2 rue du classeur"


@pytest.mark.parametrize(
    ("what", "message"),
    [
        ("conflict", "Ce conflit n'existe plus (déjà supprimé ?) ; rechargez la page."),
        ("record", "L'enregistrement {row_id} n'existe plus sur cet appareil."),
        ("column", "La colonne « colonne_retiree » n'existe plus dans « structures »."),
    ],
)
def test_a_conflict_whose_conflict_record_or_column_is_gone_is_refused_in_french(store, cognac, what, message):
    row_id = "lieu-disparu" if what == "record" else cognac
    conflict_id = add_conflict(store, row_id, colonne="colonne_retiree" if what == "column" else "adresse")
    with pytest.raises(ResolutionError) as refused:
        resolve(store, "inconnu" if what == "conflict" else conflict_id, "feuille")
    assert str(refused.value) == message.format(row_id=row_id)


# -- an edit refused in a tab only devices write ---------------------------------------------------------


def add_response(store, structure_id: str) -> str:
    with store.atomic() as con:
        con.execute("INSERT INTO responses (id, structure_id, campaign_id, questionnaire_id, surveyor, revision,"
                    " answers, submitted_at, created_at, updated_at, updated_by) VALUES ('reponse-1', ?, 'campagne-1',"
                    " 'questionnaire-1', 'alice', 1, '{}', now(), now(), now(), 'alice')", [structure_id])
    return "reponse-1"


def test_a_refused_edit_keeps_this_devices_value_and_is_closed_by_acknowledging_it(store, cognac):
    add_response(store, cognac)
    conflict_id = add_conflict(store, "reponse-1", nature="refusee", tab="reponses", colonne="surveyor",
                               appareil="alice", feuille="bob")
    saved = resolve(store, conflict_id, "appareil")
    assert (saved["statut"], saved["valeur_retenue"]) == ("resolu", "alice")
    assert store.query("SELECT surveyor, updated_by FROM responses") == [{"surveyor": "alice", "updated_by": "alice"}]


@pytest.mark.parametrize("choice", ["feuille", "autre"])
def test_a_refused_edit_cannot_take_the_sheets_value(store, choice):
    conflict_id = add_conflict(store, "reponse-1", nature="refusee", tab="reponses", colonne="surveyor",
                               appareil="alice", feuille="bob")
    with pytest.raises(ResolutionError) as refused:
        resolve(store, conflict_id, choice, value="carla")
    assert str(refused.value) == (
        "L'onglet « reponses » n'est pas modifiable dans le classeur : la valeur de l'appareil reste. Pour corriger"
        " une réponse, ouvrez-la dans l'application (une correction crée une nouvelle révision).")


# -- a line of the sheet refused, or with a mistyped id ---------------------------------------------------


def test_a_refused_line_can_get_this_devices_value_back_in_the_sheet(store, cognac):
    add_base(store, "structures", cognac, {"id": cognac, "code_postal": "16100", "nom": "CCAS de Cognac"})
    conflict_id = add_conflict(store, cognac, nature="invalide", colonne="code_postal", appareil="16100",
                               feuille="ABCDE", ligne=7)
    saved = resolve(store, conflict_id, "appareil")
    assert (saved["statut"], saved["resolution"], saved["valeur_retenue"]) == ("resolu", "appareil", "16100")
    # the sheet's text counts as agreed and the store's row as not written yet: the next sync puts 16100 back
    assert base_of(store, "structures", cognac) == {
        "cells": {"id": cognac, "code_postal": "ABCDE", "nom": "CCAS de Cognac"}, "store_hash": None}
    with store.connect() as con:
        assert get_structure(con, cognac)["code_postal"] == "16100"


@pytest.mark.parametrize(
    ("with_base", "choice", "message"),
    [
        (True, "feuille", "Corrigez la ligne 7 de l'onglet « structures » dans le classeur : elle sera reprise à la"
                          " prochaine synchronisation. Vous pouvez aussi y remettre la valeur de cet appareil."),
        (False, "appareil", "Corrigez la ligne 7 de l'onglet « structures » dans le classeur : elle sera reprise à la"
                            " prochaine synchronisation."),
    ],
    ids=["sheets-value", "never-synced"],
)
def test_a_refused_line_is_otherwise_fixed_in_the_sheet(store, cognac, with_base, choice, message):
    if with_base:
        add_base(store, "structures", cognac, {"id": cognac, "code_postal": "16100"})
    conflict_id = add_conflict(store, cognac, nature="invalide", colonne="code_postal", appareil="16100",
                               feuille="ABCDE", ligne=7)
    with pytest.raises(ResolutionError) as refused:
        resolve(store, conflict_id, choice)
    assert str(refused.value) == message


def test_a_mistyped_id_is_repaired_with_the_original_id(store, cognac):
    add_base(store, "structures", cognac, {"id": cognac, "nom": "CCAS de Cognac"})
    conflict_id = add_conflict(store, cognac, nature="identifiant", colonne="id", appareil=cognac,
                               feuille=cognac + "x", ligne=4)
    saved = resolve(store, conflict_id, "appareil")
    assert (saved["resolution"], saved["valeur_retenue"]) == ("appareil", cognac)
    assert base_of(store, "structures", cognac)["store_hash"] == "hash-appareil"  # nothing else to redo
    (audit,) = store.query("SELECT details FROM audit_log WHERE action = 'conflict.resolve'")
    assert json.loads(audit["details"]) == {"nature": "identifiant", "colonne": "id", "choix": "appareil",
                                            "conflit": conflict_id}


def test_a_mistyped_id_kept_as_typed_makes_two_records_the_originals_line_written_back(store, cognac):
    add_base(store, "structures", cognac, {"id": cognac, "nom": "CCAS de Cognac"})
    conflict_id = add_conflict(store, cognac, nature="identifiant", colonne="id", appareil=cognac,
                               feuille=cognac + "x", ligne=4)
    saved = resolve(store, conflict_id, "feuille")
    assert (saved["resolution"], saved["valeur_retenue"]) == ("feuille", cognac + "x")
    assert base_of(store, "structures", cognac) is None  # forgotten: the next sync writes the original's line again


def test_a_mistyped_id_cannot_take_another_value(store, cognac):
    conflict_id = add_conflict(store, cognac, nature="identifiant", colonne="id", appareil=cognac, feuille="x")
    with pytest.raises(ResolutionError) as refused:
        resolve(store, conflict_id, "autre", value="y")
    assert str(refused.value) == ("Choisissez de réparer la ligne (identifiant d'origine) ou de garder les deux"
                                  " enregistrements.")


# -- a line deleted in the sheet -------------------------------------------------------------------------


def add_deletion(store, tab: str, row_id: str, *, detected_at: datetime | None = None,
                 spreadsheet_id: str = HUB) -> None:
    with store.atomic() as con:
        con.execute("INSERT INTO sync_deletions (spreadsheet_id, tab, row_id, detected_at, statut)"
                    " VALUES (?, ?, ?, ?, 'a_confirmer')", [spreadsheet_id, tab, row_id, detected_at or utc_now()])


def test_deleted_lines_wait_for_a_coordinator_oldest_first(store):
    start = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    add_deletion(store, "structures", "lieu-2", detected_at=start + timedelta(minutes=1))
    add_deletion(store, "appels", "appel-1", detected_at=start)
    add_deletion(store, "structures", "lieu-3", detected_at=start, spreadsheet_id="hub-guadeloupe")
    with store.connect() as con:
        assert [(row["tab"], row["row_id"]) for row in pending_deletions(con)] == [
            ("appels", "appel-1"), ("structures", "lieu-3"), ("structures", "lieu-2")]
        assert [row["row_id"] for row in pending_deletions(con, HUB)] == ["appel-1", "lieu-2"]


@pytest.mark.parametrize("confirm", [True, False], ids=["confirm", "restore"])
def test_a_deleted_structures_line_is_confirmed_as_a_soft_delete_or_restored_and_goes_back_to_the_sheet(
        store, cognac, confirm):
    add_base(store, "structures", cognac, {"id": cognac})
    add_deletion(store, "structures", cognac)
    with store.atomic() as con:
        decide_deletion(con, HUB, "structures", cognac, confirm=confirm, by="coord")
    with store.connect() as con:
        row = get_structure(con, cognac)
        assert pending_deletions(con) == []
    assert (row["deleted_at"] is not None) is confirm  # never deleted unless confirmed
    assert base_of(store, "structures", cognac) is None  # the line is written back (as deleted, or as it was)
    decided = store.query("SELECT statut, decide_par FROM sync_deletions")[0]
    assert decided == {"statut": "confirmee" if confirm else "restauree", "decide_par": "coord"}
    (audit,) = store.query("SELECT action, entity, entity_id, details FROM audit_log WHERE action LIKE 'deletion.%'")
    assert (audit["action"], audit["entity"], audit["entity_id"]) == (
        "deletion.confirm" if confirm else "deletion.restore", "structures", cognac)
    assert json.loads(audit["details"]) == {"onglet": "structures"}


def test_a_confirmed_deletion_of_a_call_soft_deletes_it(store, cognac):
    with store.atomic() as con:
        con.execute("INSERT INTO call_attempts (id, campaign_id, structure_id, surveyor, attempted_at, outcome,"
                    " created_at, updated_at, updated_by) VALUES ('appel-1', 'campagne-1', ?, 'alice', now(),"
                    " 'pas_de_reponse', now(), now(), 'alice')", [cognac])
    add_deletion(store, "appels", "appel-1")
    with store.atomic() as con:
        decide_deletion(con, HUB, "appels", "appel-1", confirm=True, by="coord")
    row = store.query("SELECT deleted_at, updated_by FROM call_attempts")[0]
    assert row["deleted_at"] is not None and row["updated_by"] == "coord"


def test_a_confirmed_deletion_in_a_table_without_soft_delete_keeps_the_record_and_the_sheet_as_they_are(store, cognac):
    with store.atomic() as con:
        con.execute("INSERT INTO relances (id, batch_id, campaign_id, structure_id, destinataire, objet, corps,"
                    " message_id, canal, statut, created_at, updated_at, updated_by) VALUES ('relance-1', 'lot',"
                    " 'campagne-1', ?, 'ccas@cognac.fr', 'Objet', 'Corps', 'm-1', 'smtp', 'envoyee', now(), now(),"
                    " 'alice')", [cognac])
    add_base(store, "relances", "relance-1", {"id": "relance-1"})
    add_deletion(store, "relances", "relance-1")
    with store.atomic() as con:
        decide_deletion(con, HUB, "relances", "relance-1", confirm=True, by="coord")
    assert store.query("SELECT count(*) AS n FROM relances") == [{"n": 1}]
    assert base_of(store, "relances", "relance-1") is not None  # nothing written back to the sheet
    assert store.query("SELECT statut FROM sync_deletions") == [{"statut": "confirmee"}]


@pytest.mark.parametrize("already", [True, False], ids=["decided", "unknown"])
def test_a_deletion_decided_already_or_unknown_is_refused_in_french(store, cognac, already):
    if already:
        add_deletion(store, "structures", cognac)
        with store.atomic() as con:
            decide_deletion(con, HUB, "structures", cognac, confirm=False, by="dora")
    with pytest.raises(ResolutionError) as refused, store.atomic() as con:
        decide_deletion(con, HUB, "structures", cognac, confirm=True, by="coord")
    assert str(refused.value) == "Cette suppression a déjà été traitée ; rechargez la page."
    with store.connect() as con:
        assert get_structure(con, cognac)["deleted_at"] is None


# -- who decides -----------------------------------------------------------------------------------------


@pytest.fixture
def committee(store):
    """Server mode with a committee member (OpenID Connect accounts: no password to hash)."""
    with store.atomic() as con:
        create_user(con, "admin", nom="Alix Admin", role="admin", email="admin@example.org", by="installation")
        create_user(con, "come", nom="Côme Comité", role="comite", email="come@example.org", by="admin")
    return "come"


@pytest.mark.parametrize("decision", ["conflict", "deletion"])
def test_only_a_coordinator_decides_conflicts_and_deletions(store, cognac, committee, decision):
    conflict_id = add_conflict(store, cognac)
    add_deletion(store, "structures", cognac)
    with pytest.raises(AccessDenied) as refused, store.atomic() as con:
        if decision == "conflict":
            resolve_conflict(con, conflict_id, "feuille", by=committee)
        else:
            decide_deletion(con, HUB, "structures", cognac, confirm=True, by=committee)
    assert str(refused.value) == ("Accès refusé : un compte membre du comité de pilotage (come) ne peut pas trancher"
                                  " les conflits de synchronisation.")
    with store.connect() as con:
        assert count_open_conflicts(con) == 1 and len(pending_deletions(con)) == 1
