"""Field-level edits checked against what the person saw: written, already there, unchanged, or a conflict kept
for a person to resolve — nothing anyone saved is overwritten unseen."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from models.edits import (
    CHOICES,
    EditConflictError,
    EditPlan,
    EditResult,
    FieldConflict,
    close_conflict,
    comparable,
    get_conflict,
    open_conflicts,
    plan_edit,
    planned_result,
    record_conflict,
    same_value,
)
from models.issues import Issue

BOB_AT = datetime(2026, 11, 24, 9, 41, tzinfo=UTC)


# -- comparing values --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (None, ""),
        (None, []),
        ("", ()),
        ("  ", None),  # blank is empty
        ("Mo-Fr 09:00-12:00 ", "Mo-Fr 09:00-12:00"),  # spaces around do not count
        (["BIB", "CCAS"], ["CCAS", "BIB"]),  # the registry's lists have no order
        (["BIB", "", None], ("BIB",)),  # empty items do not count
        ({"CCAS"}, ["CCAS"]),
        (date(2026, 3, 5), "2026-03-05"),  # a date equals its ISO text
        (datetime(2026, 3, 5, 10, 0, tzinfo=UTC), "2026-03-05T10:00:00+00:00"),
        (3, 3),
        (True, True),
    ],
)
def test_values_that_are_the_same_once_normalised_are_the_same_value(first, second):
    assert same_value(first, second) and same_value(second, first)
    assert comparable(first) == comparable(second)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("CCAS", "ccas"),  # case counts: the stored value is already normalised
        ("CCAS de Cognac", "CCAS  de Cognac"),
        (["BIB"], ["BIB", "CCAS"]),
        (None, "x"),
        (date(2026, 3, 5), "05/03/2026"),
        (0, None),
        (False, None),
        ("1", 1),
    ],
)
def test_values_that_differ_once_normalised_are_different_values(first, second):
    assert not same_value(first, second) and not same_value(second, first)


# -- deciding field by field -------------------------------------------------------------------------

STORED = {"nom": "CCAS de Cognac", "horaires": "Mo-Fr 08:00-12:00", "telephone": None,
          "typologie": ["CCAS", "MUNI"]}


@pytest.mark.parametrize(
    ("change", "decision"),
    [
        # the person did not change it: nothing written, whatever the record holds now
        (("horaires", "Mo-Fr 09:00-12:00", "Mo-Fr 09:00-12:00"), "unchanged"),
        (("typologie", ["CCAS", "MUNI"], ["MUNI", "CCAS"]), "unchanged"),
        # the record already holds the person's value (someone made the same change)
        (("horaires", "Mo 10:00-12:00", "Mo-Fr 08:00-12:00"), "already"),
        (("typologie", ["CCAS"], ["MUNI", "CCAS"]), "already"),
        # nobody changed it since the person saw it: written
        (("nom", "CCAS de Cognac", "Centre communal d'action sociale"), "write"),
        (("telephone", "", "+33545365536"), "write"),
        (("typologie", ["MUNI", "CCAS"], ["CCAS"]), "write"),
        # someone else changed it since: a conflict, nothing written
        (("horaires", "Mo-Fr 09:00-12:00", "Tu-Sa 09:00-17:00"), "conflict"),
        (("horaires", "Mo-Fr 09:00-12:00", None), "conflict"),  # emptying a value someone else changed
        (("telephone", "+33545000000", None), "already"),  # emptying what someone else emptied already
    ],
    ids=["unchanged", "unchanged-list", "already", "already-list", "write", "write-empty-before", "write-list",
         "conflict", "conflict-emptying", "already-emptied"],
)
def test_each_field_sent_is_unchanged_already_there_written_or_a_conflict(change, decision):
    name, based_on, new = change
    plan = plan_edit(STORED, {name: (based_on, new)})
    decided = {"unchanged": plan.unchanged == [name], "already": plan.already == [name],
               "write": plan.write == {name: new}, "conflict": plan.conflicts == {name: (based_on, new, STORED[name])}}
    assert [kind for kind, found in decided.items() if found] == [decision]


def test_a_field_the_record_does_not_hold_yet_counts_as_empty():
    plan = plan_edit({}, {"numero_court": (None, "1010")})
    assert plan.write == {"numero_court": "1010"}


def test_one_edit_decides_each_of_its_fields_on_its_own():
    plan = plan_edit(STORED, {
        "nom": ("CCAS de Cognac", "CCAS de Cognac"),
        "horaires": ("Mo-Fr 09:00-12:00", "Tu-Sa 09:00-17:00"),
        "telephone": (None, "+33545365536"),
        "typologie": (["CCAS"], ["CCAS", "MUNI"]),
    })
    assert plan == EditPlan(
        write={"telephone": "+33545365536"}, already=["typologie"], unchanged=["nom"],
        conflicts={"horaires": ("Mo-Fr 09:00-12:00", "Tu-Sa 09:00-17:00", "Mo-Fr 08:00-12:00")})


def test_the_result_of_a_plan_names_the_records_last_writer_in_each_conflict():
    plan = plan_edit(STORED, {"horaires": ("Mo-Fr 09:00-12:00", "Tu-Sa 09:00-17:00"), "telephone": (None, "+33545365536"),
                              "typologie": (["CCAS"], ["CCAS", "MUNI"]), "nom": ("CCAS de Cognac", "CCAS de Cognac")})
    result = planned_result(plan, current_by="bob", current_at=BOB_AT)
    assert (result.saved, result.written, result.unchanged) == (["telephone", "typologie"], ["telephone"], ["nom"])
    assert result.conflicts == [FieldConflict("horaires", "Mo-Fr 09:00-12:00", "Tu-Sa 09:00-17:00", "Mo-Fr 08:00-12:00",
                                              "bob", BOB_AT)]
    assert not result.refused and not result.complete


@pytest.mark.parametrize(
    ("result", "refused", "complete"),
    [
        (EditResult(saved=["nom"]), False, True),
        (EditResult(), False, True),
        (EditResult(conflicts=[FieldConflict("nom", "a", "b", "c", "bob", BOB_AT)]), False, False),
        (EditResult(issues=[Issue("code_postal", "ABCDE", "Code postal « ABCDE » invalide : il faut 5 chiffres.")]),
         True, False),
        (EditResult(saved=["nom"], issues=[Issue("telephone", "12", "numéro écarté", "avertissement")]), False, True),
    ],
    ids=["saved", "nothing-to-do", "conflict", "error", "warning"],
)
def test_an_edit_is_refused_only_by_an_error_and_complete_when_every_change_holds(result, refused, complete):
    assert (result.refused, result.complete) == (refused, complete)


# -- conflicts kept for a person ---------------------------------------------------------------------

HOURS = FieldConflict("horaires", "Mo-Fr 09:00-12:00", "Tu-Sa 09:00-17:00", "Mo-Fr 08:00-12:00", "bob", BOB_AT)
TYPES = FieldConflict("typologie", ["CCAS"], ["CCAS", "BIB"], ["MUNI"], "bob", BOB_AT)


def test_a_conflict_is_kept_with_both_values_who_and_when_until_someone_resolves_it(store):
    with store.atomic() as con:
        conflict_id = record_conflict(con, "structures", "lieu-1", HOURS, by="carla", origin="fiche")
    with store.connect() as con:
        (kept,) = open_conflicts(con, "structures", "lieu-1")
        assert get_conflict(con, conflict_id) == kept
    assert kept["id"] == conflict_id
    assert (kept["champ"], kept["origine"], kept["statut"]) == ("horaires", "fiche", "ouvert")
    assert (kept["valeur_vue"], kept["valeur_proposee"], kept["valeur_courante"]) == (
        "Mo-Fr 09:00-12:00", "Tu-Sa 09:00-17:00", "Mo-Fr 08:00-12:00")
    assert (kept["propose_par"], kept["courante_par"], kept["courante_le"]) == ("carla", "bob", BOB_AT)
    assert kept["propose_le"].tzinfo is not None and kept["resolution"] is None
    (audit,) = store.query("SELECT actor, action, entity, entity_id, details FROM audit_log")
    assert (audit["actor"], audit["action"], audit["entity"], audit["entity_id"]) == (
        "carla", "edit_conflict.open", "structures", "lieu-1")
    assert json.loads(audit["details"]) == {"champ": "horaires", "origine": "fiche", "conflit": conflict_id}


def test_a_conflict_on_a_list_keeps_its_values_as_lists(store):
    with store.atomic() as con:
        conflict_id = record_conflict(con, "structures", "lieu-1", TYPES, by="carla", origin="enquete",
                                      response_id="reponse-1")
    with store.connect() as con:
        kept = get_conflict(con, conflict_id)
    assert (kept["valeur_vue"], kept["valeur_proposee"], kept["valeur_courante"]) == (["CCAS"], ["CCAS", "BIB"], ["MUNI"])
    assert (kept["origine"], kept["response_id"]) == ("enquete", "reponse-1")


def test_a_persons_newer_conflict_on_the_same_field_replaces_their_open_one(store):
    with store.atomic() as con:
        first = record_conflict(con, "structures", "lieu-1", HOURS, by="carla", origin="fiche")
        second = record_conflict(con, "structures", "lieu-1",
                                 FieldConflict("horaires", "Mo-Fr 09:00-12:00", "Sa 09:00-12:00", "Mo-Fr 08:00-12:00",
                                               "bob", BOB_AT), by="carla", origin="fiche")
        others = [record_conflict(con, "structures", "lieu-1", HOURS, by="dora", origin="fiche"),  # another person
                  record_conflict(con, "structures", "lieu-1", TYPES, by="carla", origin="fiche"),  # another field
                  record_conflict(con, "structures", "lieu-2", HOURS, by="carla", origin="fiche")]  # another record
    with store.connect() as con:
        assert [row["id"] for row in open_conflicts(con, "structures", "lieu-1")] == [second, others[0], others[1]]
        replaced = get_conflict(con, first)  # kept, marked as replaced
    assert replaced["statut"] == "remplace" and replaced["valeur_proposee"] == "Tu-Sa 09:00-17:00"


def test_the_open_conflicts_of_every_record_of_a_kind_are_listed_oldest_first(store):
    with store.atomic() as con:
        ids = [record_conflict(con, "structures", record, HOURS, by="carla", origin="fiche")
               for record in ("lieu-2", "lieu-1", "lieu-3")]
        record_conflict(con, "campaigns", "campagne-1", HOURS, by="carla", origin="fiche")
    with store.connect() as con:
        assert [row["id"] for row in open_conflicts(con, "structures")] == ids
        assert open_conflicts(con, "structures", "lieu-9") == []


def test_a_conflict_that_does_not_exist_is_a_french_error(store):
    with store.connect() as con, pytest.raises(EditConflictError) as missing:
        get_conflict(con, "inconnu")
    assert str(missing.value) == "Ce conflit n'existe plus."


@pytest.mark.parametrize(("choice", "kept"), [("proposee", "Tu-Sa 09:00-17:00"), ("courante", "Mo-Fr 08:00-12:00")])
def test_closing_a_conflict_records_the_value_kept_who_chose_it_and_says_so_in_the_audit_log(store, choice, kept):
    with store.atomic() as con:
        conflict_id = record_conflict(con, "structures", "lieu-1", HOURS, by="carla", origin="fiche")
    with store.atomic() as con:
        close_conflict(con, get_conflict(con, conflict_id), choice, kept, by="dora")
    with store.connect() as con:
        closed = get_conflict(con, conflict_id)
        assert open_conflicts(con, "structures", "lieu-1") == []
    assert (closed["statut"], closed["resolution"], closed["valeur_retenue"], closed["resolu_par"]) == (
        "resolu", choice, kept, "dora")
    assert closed["resolu_le"] is not None
    (audit,) = store.query("SELECT actor, entity_id, details FROM audit_log WHERE action = 'edit_conflict.resolve'")
    assert (audit["actor"], audit["entity_id"]) == ("dora", "lieu-1")
    assert json.loads(audit["details"]) == {"champ": "horaires", "choix": choice, "conflit": conflict_id}


def test_a_conflict_is_resolved_by_keeping_one_of_its_two_values():
    assert CHOICES == ("proposee", "courante")
