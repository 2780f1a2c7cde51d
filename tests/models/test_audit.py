"""The audit log: who did what to which record, written in the same transaction as the change itself."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from models.audit import AuditEntry, record_audit, record_audits
from models.registry import create_structure

LIEU = {"nom": "CCAS de Cognac", "commune": "Cognac", "code_postal": "16100", "code_insee": "16102",
        "adresse": "Hôtel de ville", "date_maj": "2024-04-02"}


def audit_rows(store) -> list[dict]:
    rows = store.query("SELECT id, occurred_at, actor, action, entity, entity_id, details FROM audit_log"
                       " ORDER BY occurred_at, id")
    for row in rows:
        row["details"] = json.loads(row["details"])
    return rows


def test_an_action_is_recorded_with_who_did_it_when_on_which_record_and_its_details(store):
    before = datetime.now(UTC)
    with store.atomic() as con:
        audit_id = record_audit(con, actor="camille", action="structure.update", entity="structures",
                                entity_id="lieu-1", details={"champs": ["telephone"]})
    (row,) = audit_rows(store)
    assert row["id"] == audit_id
    assert (row["actor"], row["action"], row["entity"], row["entity_id"]) == (
        "camille", "structure.update", "structures", "lieu-1")
    assert row["details"] == {"champs": ["telephone"]}
    assert before <= row["occurred_at"] <= datetime.now(UTC) and row["occurred_at"].tzinfo is not None


def test_an_action_on_no_particular_record_has_empty_details(store):
    with store.atomic() as con:
        record_audit(con, actor="coordinatrice", action="sync.run")
    (row,) = audit_rows(store)
    assert (row["entity"], row["entity_id"], row["details"]) == (None, None, {})


@pytest.mark.parametrize(
    ("details", "stored"),
    [
        ({"motif": "Fermé le lundi — déménagé à Châteaubernard"}, {"motif": "Fermé le lundi — déménagé à Châteaubernard"}),
        ({"le": datetime(2026, 11, 24, 9, 41, tzinfo=UTC)}, {"le": "2026-11-24 09:41:00+00:00"}),
        ({"jour": date(2026, 11, 24), "n": 3, "ok": True}, {"jour": "2026-11-24", "n": 3, "ok": True}),
        ({"valeurs": {"avant": None, "apres": ["BIB", "CCAS"]}}, {"valeurs": {"avant": None, "apres": ["BIB", "CCAS"]}}),
    ],
    ids=["french-text", "datetime", "date-and-numbers", "nested"],
)
def test_details_are_kept_as_json_french_text_readable_dates_as_text(store, details, stored):
    with store.atomic() as con:
        record_audit(con, actor="camille", action="structure.update", details=details)
    (row,) = audit_rows(store)
    assert row["details"] == stored
    raw = store.query("SELECT details::VARCHAR AS d FROM audit_log")[0]["d"]
    assert "\\u" not in raw  # accents stored as themselves, readable in an export


def test_a_bulk_action_records_one_row_per_record_it_touched_and_returns_their_ids_in_order(store):
    entries = [AuditEntry("call.attempt", "structures", f"lieu-{index}", {"issue": "pas_de_reponse"})
               for index in range(3)] + [AuditEntry("campaign.assign")]
    with store.atomic() as con:
        ids = record_audits(con, actor="alice", entries=entries)
    assert len(ids) == len(set(ids)) == 4
    rows = {row["id"]: row for row in audit_rows(store)}
    assert [(rows[i]["action"], rows[i]["entity_id"], rows[i]["details"]) for i in ids] == [
        ("call.attempt", "lieu-0", {"issue": "pas_de_reponse"}),
        ("call.attempt", "lieu-1", {"issue": "pas_de_reponse"}),
        ("call.attempt", "lieu-2", {"issue": "pas_de_reponse"}),
        ("campaign.assign", None, {}),
    ]
    assert {row["actor"] for row in rows.values()} == {"alice"}
    assert len({row["occurred_at"] for row in rows.values()}) == 1  # one moment for the one action
    assert ids == sorted(ids)  # time-ordered ids, in the entries' order


def test_a_bulk_action_that_touched_nothing_writes_nothing(store):
    with store.atomic() as con:
        assert record_audits(con, actor="alice", entries=[]) == []
    assert audit_rows(store) == []


def test_the_audit_row_goes_with_its_change_when_the_transaction_is_rolled_back(store):
    with pytest.raises(RuntimeError), store.atomic() as con:
        structure, _ = create_structure(con, LIEU, by="alice")
        assert structure is not None
        assert con.execute("SELECT count(*) FROM audit_log").fetchall() == [(1,)]
        raise RuntimeError("la page a planté avant la fin")
    assert audit_rows(store) == []
    assert store.query("SELECT count(*) AS n FROM structures") == [{"n": 0}]


def test_a_change_of_the_core_is_audited_in_the_same_transaction(store):
    with store.atomic() as con:
        structure, _ = create_structure(con, LIEU, by="alice")
    (row,) = audit_rows(store)
    assert (row["actor"], row["action"], row["entity"], row["entity_id"]) == (
        "alice", "structure.create", "structures", structure.id)
