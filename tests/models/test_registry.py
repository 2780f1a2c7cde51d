"""The registry keeps history: every change closes a version and opens one; nothing is removed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from models.errors import StructureNotFound
from models.registry import (
    count_structures,
    create_structure,
    delete_structure,
    find_structures,
    get_structure,
    restore_structure,
    structure_history,
    structures_as_of,
    update_structure,
)

LIEU = {
    "nom": "Espace municipal de Rivière Salée",
    "commune": "Nouméa",
    "code_postal": "98800",
    "code_insee": "98818",
    "adresse": "104 avenue Koenig",
    "telephone": "44 57 28",
    "services": "Accès internet et matériel informatique|Aide aux démarches administratives",
    "contact_nom": "Marie Dupont",
    "date_maj": "2023-11-05",
}


@pytest.fixture
def lieu_id(store):
    with store.atomic() as con:
        structure, issues = create_structure(con, LIEU, by="alice")
    assert structure is not None, issues
    return structure.id


def test_a_new_structure_has_one_open_version(store, lieu_id):
    with store.connect() as con:
        history = structure_history(con, lieu_id)
        row = get_structure(con, lieu_id)
    assert len(history) == 1 and history[0]["valid_to"] is None
    assert row["telephone"] == "+687445728"
    assert row["updated_by"] == "alice"
    assert row["created_at"].tzinfo is not None


def test_an_edit_closes_the_current_version_and_opens_a_new_one(store, lieu_id):
    with store.atomic() as con:
        saved, _ = update_structure(con, lieu_id, {"telephone": "28 12 34"}, by="bob")
    assert saved is not None and saved.telephone == "+687281234"
    with store.connect() as con:
        history = structure_history(con, lieu_id)
    assert [v["telephone"] for v in history] == ["+687445728", "+687281234"]
    assert history[0]["valid_to"] == history[1]["valid_from"]
    assert history[1]["changes"] == ["telephone"] and history[1]["updated_by"] == "bob"


def test_the_registry_as_of_a_past_instant_is_one_query_on_the_history(store, lieu_id):
    before_edit = datetime.now(UTC)
    with store.atomic() as con:
        update_structure(con, lieu_id, {"nom": "Espace Rivière Salée"}, by="bob")
    with store.connect() as con:
        then = structures_as_of(con, before_edit)
        now = structures_as_of(con, datetime.now(UTC))
        long_ago = structures_as_of(con, before_edit - timedelta(days=365))
    assert [r["nom"] for r in then] == ["Espace municipal de Rivière Salée"]
    assert [r["nom"] for r in now] == ["Espace Rivière Salée"]
    assert long_ago == []


def test_an_edit_that_changes_nothing_writes_nothing(store, lieu_id):
    with store.atomic() as con:
        update_structure(con, lieu_id, {"telephone": "+687 44.57.28"}, by="bob")
    with store.connect() as con:
        assert len(structure_history(con, lieu_id)) == 1


def test_an_edit_with_an_error_writes_nothing_and_says_which_field(store, lieu_id):
    with store.atomic() as con:
        saved, issues = update_structure(con, lieu_id, {"code_postal": "ABCDE", "nom": "Autre"}, by="bob")
    assert saved is None
    assert [i.field for i in issues] == ["code_postal"]
    with store.connect() as con:
        assert get_structure(con, lieu_id)["nom"] == LIEU["nom"]
        assert len(structure_history(con, lieu_id)) == 1


def test_a_soft_deleted_structure_is_hidden_but_kept_and_restorable(store, lieu_id):
    before = datetime.now(UTC)
    with store.atomic() as con:
        delete_structure(con, lieu_id, by="carla")
    with store.connect() as con:
        assert find_structures(con) == []
        assert count_structures(con, include_deleted=True) == 1
        assert [r["id"] for r in structures_as_of(con, before)] == [lieu_id]
        assert structures_as_of(con, datetime.now(UTC)) == []
    with store.atomic() as con:
        restore_structure(con, lieu_id, by="carla")
    with store.connect() as con:
        assert [r["id"] for r in find_structures(con)] == [lieu_id]
        assert [v["change_reason"] for v in structure_history(con, lieu_id)] == ["creation", "suppression", "restauration"]


def test_editing_a_deleted_structure_is_refused(store, lieu_id):
    with store.atomic() as con:
        delete_structure(con, lieu_id, by="carla")
    with pytest.raises(StructureNotFound):
        with store.atomic() as con:
            update_structure(con, lieu_id, {"nom": "X"}, by="bob")


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"text": "riviere"}, 1),
        ({"text": "98800"}, 1),
        ({"code_insee": "98818"}, 1),
        ({"departement": "988"}, 1),
        ({"departement": "16"}, 0),
        ({"service": "Aide aux démarches administratives"}, 1),
        ({"service": "Loisirs et créations numériques"}, 0),
        ({"typologie": "MQ"}, 0),
    ],
)
def test_search_filters_combine(store, lieu_id, filters, expected):
    with store.connect() as con:
        assert count_structures(con, **filters) == expected
        assert len(find_structures(con, **filters)) == expected


def test_every_write_is_in_the_audit_log(store, lieu_id):
    with store.atomic() as con:
        update_structure(con, lieu_id, {"nom": "Espace Rivière Salée"}, by="bob")
    rows = store.query("SELECT actor, action FROM audit_log ORDER BY occurred_at")
    assert rows == [{"actor": "alice", "action": "structure.create"}, {"actor": "bob", "action": "structure.update"}]


def test_a_siret_typed_with_spaces_finds_its_structure(store):
    with store.atomic() as con:
        create_structure(con, {**LIEU, "pivot": "21010053500017"}, by="alice")
    with store.connect() as con:
        assert count_structures(con, text="210 100 535 00017") == 1
        assert count_structures(con, text="210.100.535.00017") == 1


def test_the_sql_departement_of_a_postcode_agrees_with_the_cog(tmp_path):
    """``DEPARTEMENT_SQL`` on a postcode alone gives what ``Cog.departement_of_postcode`` gives, for every
    postcode of the COG but the three shared by two départements (counted by their first digits)."""
    import duckdb

    from models.cog import cog
    from models.registry import DEPARTEMENT_SQL

    postcodes = sorted({code for commune in cog().communes() for code in commune.codes_postaux})
    con = duckdb.connect()
    rows = con.execute("SELECT code_postal, " + DEPARTEMENT_SQL + " FROM (SELECT unnest(?::VARCHAR[]) AS code_postal,"
                       " NULL::VARCHAR AS code_insee)", [postcodes]).fetchall()
    differ = {code: found for code, found in rows if found != cog().departement_of_postcode(code)}
    assert len(rows) > 6000 and sorted(differ) == ["01590", "42620", "94390"]
