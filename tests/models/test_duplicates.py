"""Possible duplicates: pairs of structures proposed by an import, merged or set apart by a person, never silently."""

from __future__ import annotations

import json

import pytest

from models.access import AccessDenied, create_user
from models.duplicates import (
    DUPLICATE_STATUSES,
    DuplicateError,
    DuplicatePair,
    dismiss_duplicate,
    list_duplicate_candidates,
    merge_duplicate,
    record_duplicate_candidates,
)
from models.registry import create_structure, delete_structure, get_structure, structure_history

COGNAC = {"nom": "CCAS de Cognac", "commune": "Cognac", "code_postal": "16100", "code_insee": "16102",
          "adresse": "Hôtel de ville", "date_maj": "2024-04-02"}
LIEUX = {
    # the same CCAS typed twice: one with a phone, the other with opening hours and another phone
    "ccas": {**COGNAC, "telephone": "05 45 36 55 36"},
    "ccas_bis": {**COGNAC, "nom": "C.C.A.S. Cognac", "horaires": "Mo-Fr 09:00-12:00", "telephone": "05 45 36 55 00"},
    "mediatheque": {**COGNAC, "nom": "Médiathèque de Cognac", "adresse": "10 rue du Minage"},
    "mediatheque_bis": {**COGNAC, "nom": "Médiathèque municipale de Cognac", "adresse": "10 rue du Minage"},
}


@pytest.fixture
def lieux(store) -> dict[str, str]:
    ids = {}
    with store.atomic() as con:
        for name, data in LIEUX.items():
            structure, issues = create_structure(con, data, by="import")
            assert structure is not None, issues
            ids[name] = structure.id
    return ids


@pytest.fixture
def proposed(store, lieux) -> dict[str, str]:
    """Both pairs proposed by an import: the CCAS (same name, 92) before the médiathèques (close names, 81)."""
    with store.atomic() as con:
        added = record_duplicate_candidates(con, [
            DuplicatePair(lieux["mediatheque"], lieux["mediatheque_bis"], "Nom proche dans la même commune", 81.0),
            DuplicatePair(lieux["ccas"], lieux["ccas_bis"], "Même nom dans la même commune", 92.0),
        ], by="import", import_run_id="import-1")
    assert added == 2
    with store.connect() as con:
        return {row["nom"]: row["id"] for row in list_duplicate_candidates(con)}


def test_a_candidate_is_in_one_of_three_states():
    assert DUPLICATE_STATUSES == ("a_examiner", "fusionne", "distinct")


def test_proposed_pairs_wait_for_a_person_closest_first_with_both_names_and_communes(store, lieux, proposed):
    with store.connect() as con:
        rows = list_duplicate_candidates(con)
    assert [(row["nom"], row["autre_nom"], row["score"], row["status"]) for row in rows] == [
        ("CCAS de Cognac", "C.C.A.S. Cognac", 92.0, "a_examiner"),
        ("Médiathèque de Cognac", "Médiathèque municipale de Cognac", 81.0, "a_examiner"),
    ]
    assert rows[0]["reason"] == "Même nom dans la même commune"
    assert (rows[0]["commune"], rows[0]["autre_commune"]) == ("Cognac", "Cognac")
    assert (rows[0]["structure_id"], rows[0]["other_id"]) == (lieux["ccas"], lieux["ccas_bis"])
    stored = store.query("SELECT import_run_id, updated_by FROM duplicate_candidates")
    assert stored == [{"import_run_id": "import-1", "updated_by": "import"}] * 2


@pytest.mark.parametrize("reverse", [False, True], ids=["same-order", "reverse-order"])
def test_a_pair_already_known_is_not_proposed_again_in_either_order(store, lieux, proposed, reverse):
    first, second = lieux["ccas"], lieux["ccas_bis"]
    pair = DuplicatePair(second, first, "Même téléphone", 99.0) if reverse else DuplicatePair(first, second, "x", 10.0)
    with store.atomic() as con:
        assert record_duplicate_candidates(con, [pair], by="import") == 0
    assert store.query("SELECT count(*) AS n FROM duplicate_candidates") == [{"n": 2}]


def test_a_pair_given_twice_in_one_batch_is_kept_once(store, lieux):
    pairs = [DuplicatePair(lieux["ccas"], lieux["ccas_bis"], "Même nom", 92.0),
             DuplicatePair(lieux["ccas_bis"], lieux["ccas"], "Même nom", 92.0)]
    with store.atomic() as con:
        assert record_duplicate_candidates(con, pairs, by="import") == 1
        assert record_duplicate_candidates(con, [], by="import") == 0


def test_a_pair_whose_structure_was_deleted_is_no_longer_proposed(store, lieux, proposed):
    with store.atomic() as con:
        delete_structure(con, lieux["mediatheque_bis"], by="camille")
    with store.connect() as con:
        assert [row["nom"] for row in list_duplicate_candidates(con)] == ["CCAS de Cognac"]


def test_two_structures_said_distinct_leave_the_list_and_stay_as_they_are(store, lieux, proposed):
    with store.atomic() as con:
        dismiss_duplicate(con, proposed["Médiathèque de Cognac"], by="camille")
    with store.connect() as con:
        assert [row["nom"] for row in list_duplicate_candidates(con)] == ["CCAS de Cognac"]
        assert [row["nom"] for row in list_duplicate_candidates(con, status="distinct")] == ["Médiathèque de Cognac"]
        assert get_structure(con, lieux["mediatheque_bis"])["deleted_at"] is None
    audit = store.query("SELECT actor, entity, entity_id FROM audit_log WHERE action = 'duplicate.dismiss'")
    assert audit == [{"actor": "camille", "entity": "duplicate_candidates", "entity_id": proposed["Médiathèque de Cognac"]}]
    assert store.query("SELECT updated_by FROM duplicate_candidates WHERE status = 'distinct'") == [{"updated_by": "camille"}]


@pytest.mark.parametrize(
    ("keep", "drop", "filled", "phone"),
    [
        ("ccas", "ccas_bis", ["horaires"], "+33545365536"),  # the kept phone stays, the hours come from the other
        ("ccas_bis", "ccas", [], "+33545365500"),  # nothing empty in the one kept: nothing taken
    ],
)
def test_a_merge_fills_the_kept_structures_empty_fields_and_deletes_the_other_keeping_its_history(
        store, lieux, proposed, keep, drop, filled, phone):
    with store.atomic() as con:
        assert merge_duplicate(con, proposed["CCAS de Cognac"], keep=lieux[keep], by="camille") == lieux[keep]
    with store.connect() as con:
        kept, dropped = get_structure(con, lieux[keep]), get_structure(con, lieux[drop])
        kept_history = structure_history(con, lieux[keep])
        dropped_history = structure_history(con, lieux[drop])
        assert [row["nom"] for row in list_duplicate_candidates(con)] == ["Médiathèque de Cognac"]
    assert (kept["horaires"], kept["telephone"], kept["deleted_at"]) == ("Mo-Fr 09:00-12:00", phone, None)
    assert kept["nom"] == LIEUX[keep]["nom"]
    assert dropped["deleted_at"] is not None and dropped["merged_into"] == lieux[keep]
    assert [v["change_reason"] for v in dropped_history] == ["creation", "fusion"]  # its history stays
    assert [v["change_reason"] for v in kept_history] == ["creation"] + (["fusion"] if filled else [])
    assert store.query("SELECT status, updated_by FROM duplicate_candidates WHERE id = ?", [proposed["CCAS de Cognac"]]
                       ) == [{"status": "fusionne", "updated_by": "camille"}]
    (audit,) = store.query("SELECT actor, entity, entity_id, details FROM audit_log WHERE action = 'duplicate.merge'")
    assert (audit["actor"], audit["entity"], audit["entity_id"]) == ("camille", "structures", lieux[keep])
    assert json.loads(audit["details"]) == {"fusionnee": lieux[drop], "champs_repris": filled}


def test_a_merge_must_keep_one_of_the_two_structures_of_the_pair(store, lieux, proposed):
    with pytest.raises(DuplicateError, match="La fiche à garder doit être l'une des deux"), store.atomic() as con:
        merge_duplicate(con, proposed["CCAS de Cognac"], keep=lieux["mediatheque"], by="camille")
    with store.connect() as con:
        assert len(list_duplicate_candidates(con)) == 2


def test_merging_an_unknown_candidate_is_refused_in_french(store, lieux):
    with pytest.raises(DuplicateError, match="Doublon possible introuvable : inconnu"), store.atomic() as con:
        merge_duplicate(con, "inconnu", keep=lieux["ccas"], by="camille")


@pytest.mark.parametrize("first", ["merge", "dismiss"])
@pytest.mark.parametrize("second", ["merge", "dismiss"])
def test_a_pair_decided_in_another_tab_is_not_decided_again(store, lieux, proposed, first, second):
    """Two coordinators on the same list: the second decision is refused in French, the first one stands."""
    candidate = proposed["CCAS de Cognac"]

    def decide(how):
        with store.atomic() as con:
            if how == "merge":
                merge_duplicate(con, candidate, keep=lieux["ccas"], by="camille")
            else:
                dismiss_duplicate(con, candidate, by="camille")

    decide(first)
    before = store.query("SELECT status FROM duplicate_candidates WHERE id = ?", [candidate])
    audits = store.query("SELECT count(*) AS n FROM audit_log")
    with pytest.raises(DuplicateError, match="déjà été tranché"):
        decide(second)
    assert store.query("SELECT status FROM duplicate_candidates WHERE id = ?", [candidate]) == before
    assert store.query("SELECT count(*) AS n FROM audit_log") == audits


@pytest.fixture
def committee(store):
    """Server mode with a committee member (OpenID Connect accounts: no password to hash)."""
    with store.atomic() as con:
        create_user(con, "admin", nom="Alix Admin", role="admin", email="admin@example.org", by="installation")
        create_user(con, "come", nom="Côme Comité", role="comite", email="come@example.org", by="admin")
    return "come"


@pytest.mark.parametrize("decide", ["merge", "dismiss"])
def test_only_someone_who_may_edit_the_registry_decides_a_duplicate(store, lieux, proposed, committee, decide):
    candidate = proposed["CCAS de Cognac"]
    with pytest.raises(AccessDenied) as refused, store.atomic() as con:
        if decide == "merge":
            merge_duplicate(con, candidate, keep=lieux["ccas"], by=committee)
        else:
            dismiss_duplicate(con, candidate, by=committee)
    assert str(refused.value) == ("Accès refusé : un compte membre du comité de pilotage (come) ne peut pas modifier"
                                  " le registre des structures.")
    with store.connect() as con:
        assert len(list_duplicate_candidates(con)) == 2
