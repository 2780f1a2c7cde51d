"""Reading the audit log back, for coordinators: a record's history, the latest activity, who wrote, in French."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from models.access import AccessDenied, create_user
from models.audit import record_audit
from models.backup import backup_store, restore_store
from models.history import ACTION_LABELS, ENTITY_LABELS, HistoryEntry, actors, recent_activity, record_history
from models.registry import create_structure, delete_structure, update_structure
from models.store import Store

LIEU = {"nom": "CCAS de Cognac", "commune": "Cognac", "code_postal": "16100", "code_insee": "16102",
        "adresse": "Hôtel de ville", "date_maj": "2024-04-02"}


def _copy(template: Path, folder: Path) -> Store:
    target = folder / "maillage.duckdb"
    shutil.copy(template, target)
    return Store(target, device="test")


@pytest.fixture(scope="module")
def written(tmp_path_factory, migrated_store_template):
    """A structure created by alice, edited by bob, deleted by carla; a campaign made by carla, and a row of
    another table with the structure's id. Each in its own transaction, so the moments follow that order.
    Built once: the tests only read it."""
    store = _copy(migrated_store_template, tmp_path_factory.mktemp("history"))
    with store.atomic() as con:
        structure, issues = create_structure(con, LIEU, by="alice")
        assert structure is not None, issues
    with store.atomic() as con:
        update_structure(con, structure.id, {"telephone": "05 45 82 43 51"}, by="bob")
    with store.atomic() as con:
        record_audit(con, actor="carla", action="campaign.create", entity="campaigns", entity_id="campagne-1",
                     details={"nom": "Diagnostic Charente"})
    with store.atomic() as con:
        record_audit(con, actor="carla", action="structure.update", entity="campaigns", entity_id=structure.id)
    with store.atomic() as con:
        delete_structure(con, structure.id, by="carla")
    return store, structure.id


@pytest.fixture
def store(written):
    return written[0]


@pytest.fixture
def activity(written):
    return written[1]


def test_the_history_of_a_record_is_everything_done_to_it_oldest_first(store, activity):
    with store.connect() as con:
        history = record_history(con, "structures", activity, by="coord")
    assert [(entry.actor, entry.action, entry.action_text) for entry in history] == [
        ("alice", "structure.create", "création"),
        ("bob", "structure.update", "modification"),
        ("carla", "structure.delete", "suppression"),
    ]  # the row of another table with the same id is not this record's
    assert all(entry.entity == "structures" and entry.entity_id == activity for entry in history)
    assert [entry.occurred_at for entry in history] == sorted(entry.occurred_at for entry in history)


def test_the_history_of_a_record_nobody_touched_is_empty(store, activity):
    with store.connect() as con:
        assert record_history(con, "structures", "inconnue", by="coord") == []


def test_the_latest_activity_is_newest_first(store, activity):
    with store.connect() as con:
        latest = recent_activity(con, by="coord")
    assert [(entry.actor, entry.action) for entry in latest] == [
        ("carla", "structure.delete"),
        ("carla", "structure.update"),
        ("carla", "campaign.create"),
        ("bob", "structure.update"),
        ("alice", "structure.create"),
    ]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"entity": "structures"}, ["structure.delete", "structure.update", "structure.create"]),
        ({"entity": "campaigns"}, ["structure.update", "campaign.create"]),
        ({"actor": "carla"}, ["structure.delete", "structure.update", "campaign.create"]),
        ({"actor": "carla", "entity": "structures"}, ["structure.delete"]),
        ({"actor": "personne"}, []),
        ({"limit": 2}, ["structure.delete", "structure.update"]),
        ({"entity": "structures", "limit": 1}, ["structure.delete"]),
    ],
    ids=["one-kind", "other-kind", "one-person", "both", "nobody", "limit", "kind-and-limit"],
)
def test_the_latest_activity_narrows_to_a_kind_of_record_a_person_and_a_number(store, activity, filters, expected):
    with store.connect() as con:
        assert [entry.action for entry in recent_activity(con, by="coord", **filters)] == expected


def test_everyone_who_wrote_something_is_listed_once_by_name(store, activity):
    with store.connect() as con:
        assert actors(con, by="coord") == ["alice", "bob", "carla"]


def test_an_entry_gives_its_details_back_as_they_were_recorded(store, activity):
    with store.connect() as con:
        (entry,) = recent_activity(con, by="coord", entity="campaigns", actor="carla", limit=5)[1:]
    assert entry.details == {"nom": "Diagnostic Charente"}
    assert entry.entity_text == "Campagne" and entry.action_text == "création de la campagne"
    assert entry.occurred_at.tzinfo is not None


@pytest.mark.parametrize(
    ("action", "entity", "action_text", "entity_text"),
    [
        ("structure.update", "structures", "modification", "Structure"),
        ("duplicate.merge", "duplicate_candidates", "fusion de doublons", "Doublon possible"),
        ("user.sign_in_failed", "users", "connexion refusée", "Compte"),
        ("action.future", "table_future", "action.future", "table_future"),  # no label yet: the code, as is
        ("sync.run", None, "synchronisation avec le classeur", ""),
    ],
)
def test_an_entry_reads_in_french_and_falls_back_to_the_code_it_has_no_label_for(action, entity, action_text,
                                                                                 entity_text):
    entry = HistoryEntry(datetime(2026, 11, 24, 9, 41, tzinfo=UTC), "camille", action, entity, None, {})
    assert (entry.action_text, entry.entity_text) == (action_text, entity_text)


# Every action the core writes to the audit log (models, collect, sync), as it writes it.
RECORDED_ACTIONS = [
    "structure.create", "structure.update", "structure.delete", "structure.restore",
    "edit_conflict.open", "edit_conflict.resolve", "campaign.conflict", "relance.conflict", "call.attempt",
    "campaign.create", "campaign.configure", "campaign.questionnaire", "campaign.target", "campaign.assign",
    "campaign.unassign", "response.submit", "draft.delete", "questionnaire.publish", "relance.settings",
    "relance.prepare", "relance.send", "relance.export", "relance.cancel", "relance.resolve", "relance.opt_out",
    "relance.opt_in", "import", "filter.save", "filter.delete", "duplicate.merge", "duplicate.dismiss", "sync.run",
    "conflict.resolve", "deletion.confirm", "deletion.restore", "user.create", "user.password", "user.role",
    "user.activate", "user.deactivate", "user.recover", "user.sign_in", "user.sign_in_oidc", "user.sign_in_failed",
    "import_profile.delete",
]


@pytest.mark.parametrize("action", RECORDED_ACTIONS)
def test_every_action_the_core_records_has_a_french_label(action):
    assert action in ACTION_LABELS


# Every kind of record the core names in the audit log.
RECORDED_ENTITIES = [
    "structures", "campaigns", "responses", "drafts", "questionnaires", "relances", "users", "saved_filters",
    "import_runs", "duplicate_candidates", "sync_runs",
    "import_profiles",
    "store",
    "call_attempts",
]


@pytest.mark.parametrize("entity", RECORDED_ENTITIES)
def test_every_kind_of_record_the_core_audits_has_a_french_name(entity):
    assert entity in ENTITY_LABELS


def test_a_restore_reads_in_the_history_as_a_store_restored_from_a_backup(tmp_path, migrated_store_template):
    store = _copy(migrated_store_template, tmp_path)
    backup = backup_store(store, tmp_path / "sauvegarde.duckdb", by="coord")
    restore_store(store, backup.path, by="coord")
    with store.connect() as con:
        (entry,) = recent_activity(con, by="coord", limit=1)
    assert entry.actor == "coord"
    assert entry.action_text == "base restaurée depuis une sauvegarde"


# -- who may read it ---------------------------------------------------------------------------------


def _read(function, con, by):
    if function is record_history:
        return record_history(con, "structures", "x", by=by)
    return function(con, by=by)


@pytest.fixture(scope="module")
def team(tmp_path_factory, migrated_store_template):
    """Server mode: an admin, a coordinator, a surveyor, a committee member (OpenID Connect accounts: no hashing).
    Built once: the tests only read it."""
    store = _copy(migrated_store_template, tmp_path_factory.mktemp("team"))
    with store.atomic() as con:
        create_user(con, "admin", nom="Alix Admin", role="admin", email="admin@example.org", by="installation")
        for login, role in [("coord", "coordinateur"), ("eve", "enqueteur"), ("come", "comite")]:
            create_user(con, login, nom=login.title(), role=role, email=f"{login}@example.org", by="admin")
    return store


@pytest.mark.parametrize("function", [record_history, recent_activity, actors], ids=lambda f: f.__name__)
@pytest.mark.parametrize("login", ["coord", "admin"])
def test_coordinators_and_admins_read_the_history(team, function, login):
    with team.connect() as con:
        assert isinstance(_read(function, con, login), list)


@pytest.mark.parametrize("function", [record_history, recent_activity, actors], ids=lambda f: f.__name__)
@pytest.mark.parametrize(
    ("login", "refusal"),
    [
        ("come", "Accès refusé : un compte membre du comité de pilotage (come) ne peut pas lire l'historique des"
                 " enregistrements."),
        ("eve", "Accès refusé : un compte enquêteur·rice (eve) ne peut pas lire l'historique des enregistrements."),
        ("inconnu", "Accès refusé : « inconnu » n'est pas un compte actif de cette base ; connectez-vous pour lire"
                    " l'historique des enregistrements."),
    ],
)
def test_the_committee_surveyors_and_strangers_are_refused_in_french(team, function, login, refusal):
    with team.connect() as con, pytest.raises(AccessDenied) as refused:
        _read(function, con, login)
    assert str(refused.value) == refusal


def test_on_a_laptop_without_accounts_its_one_user_reads_the_history(store, activity):
    with store.connect() as con:
        assert len(record_history(con, "structures", activity, by="portable-de-camille")) == 3
