"""The registry keeps history: every change closes a version and opens one; nothing is removed."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from models.edits import EditConflictError, open_conflicts
from models.errors import StructureNotFound
from models.history import record_history
from models.registry import (
    count_structures,
    create_structure,
    delete_structure,
    edit_structure,
    find_structures,
    get_structure,
    resolve_structure_conflict,
    restore_structure,
    structure_from_row,
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
        create_structure(con, {**LIEU, "pivot": "21010053300004"}, by="alice")
    with store.connect() as con:
        assert count_structures(con, text="210 100 533 00004") == 1
        assert count_structures(con, text="210.100.533.00004") == 1


@pytest.mark.parametrize("code_insee", [None, "", "   "])
def test_the_sql_departement_of_a_postcode_agrees_with_the_cog_on_every_postcode(code_insee):
    """``departement_sql()`` on a postcode gives what ``departement_of_place`` gives for every postcode of the
    COG (97133 Saint-Barthélemy, the three shared by two départements, Corsica's) and every 20xxx one."""
    import duckdb

    from models.cog import cog, departement_of_place, departement_sql

    postcodes = sorted({code for commune in cog().communes() for code in commune.codes_postaux}
                       | {f"{n:05d}" for n in range(20000, 21000)} | {"97133", "01590", "42620", "94390"})
    con = duckdb.connect()
    rows = con.execute("SELECT code_postal, " + departement_sql() + " FROM (SELECT unnest(?::VARCHAR[]) AS code_postal,"
                       " ?::VARCHAR AS code_insee)", [postcodes, code_insee]).fetchall()
    assert len(rows) > 6000
    assert {code: found for code, found in rows if found != departement_of_place(code_insee, code)} == {}


@pytest.mark.parametrize(("code_insee", "code_postal"), [
    ("16102", "16100"), ("2A004", "20000"), ("97411", "97400"), ("97701", "97133"), ("98818", "98800"),
    (None, "42620"), (None, "1600"), (None, "ABCDE"), (None, None), ("2b033", None),
])
def test_the_sql_departement_of_a_row_agrees_with_python(code_insee, code_postal):
    import duckdb

    from models.cog import departement_of_place, departement_sql

    found = duckdb.connect().execute("SELECT " + departement_sql() + " FROM (SELECT ?::VARCHAR AS code_insee,"
                                     " ?::VARCHAR AS code_postal)", [code_insee, code_postal]).fetchone()[0]
    assert found == departement_of_place(code_insee, code_postal)


# -- field-level edits, checked against what the person saw (issue 17) ----------------------------------


def _loaded(store, structure_id: str) -> dict:
    """The fiche's values as a form loads them when a person opens it."""
    with store.connect() as con:
        return structure_from_row(get_structure(con, structure_id)).model_dump()


def _edit(store, structure_id: str, seen: dict, new: dict, *, by: str):
    """Save ``new`` (field → value) from a form drawn with ``seen``: only those fields, each with the value seen."""
    return store.transaction(lambda con: edit_structure(
        con, structure_id, {name: (seen[name], value) for name, value in new.items()}, by=by))


def test_two_people_editing_different_fields_from_the_same_loaded_fiche_both_keep_theirs(store, lieu_id):
    seen = _loaded(store, lieu_id)  # both open the fiche before either saves
    first = _edit(store, lieu_id, seen, {"site_web": "https://riviere-salee.nc"}, by="bob")
    second = _edit(store, lieu_id, seen, {"nom": "Espace Rivière Salée"}, by="carla")
    assert (first.saved, second.saved) == (["site_web"], ["nom"])
    assert first.complete and second.complete
    with store.connect() as con:
        row = get_structure(con, lieu_id)
        history = structure_history(con, lieu_id)
    assert (row["nom"], row["site_web"]) == ("Espace Rivière Salée", ["https://riviere-salee.nc"])
    assert [v["changes"] for v in history[1:]] == [["site_web"], ["nom"]]


def test_the_second_person_changing_the_same_field_gets_a_conflict_and_the_first_value_stays(store, lieu_id):
    seen = _loaded(store, lieu_id)
    _edit(store, lieu_id, seen, {"horaires": "Mo-Fr 08:00-12:00"}, by="bob")
    late = _edit(store, lieu_id, seen, {"horaires": "Tu-Sa 09:00-17:00", "nom": "Espace Rivière Salée"}, by="carla")

    assert late.saved == ["nom"] and not late.complete
    (conflict,) = late.conflicts
    assert (conflict.field, conflict.based_on, conflict.proposed, conflict.current) == (
        "horaires", None, "Tu-Sa 09:00-17:00", "Mo-Fr 08:00-12:00")
    assert conflict.current_by == "bob" and conflict.current_at is not None
    with store.connect() as con:
        assert get_structure(con, lieu_id)["horaires"] == "Mo-Fr 08:00-12:00"  # bob's, never overwritten
        (kept,) = open_conflicts(con, "structures", lieu_id)
    assert (kept["id"], kept["propose_par"], kept["courante_par"]) == (conflict.id, "carla", "bob")
    assert (kept["valeur_proposee"], kept["valeur_courante"], kept["origine"]) == (
        "Tu-Sa 09:00-17:00", "Mo-Fr 08:00-12:00", "fiche")


@pytest.mark.parametrize(
    ("field", "seen_as", "typed"),
    [
        ("telephone", "+687445728", "44 57 28"),  # the same number, typed as people do
        ("services", ["Aide aux démarches administratives", "Accès internet et matériel informatique"],
         "Aide aux démarches administratives | Accès internet et matériel informatique"),  # another order
        ("complement_adresse", None, "  "),  # blank is empty
    ],
)
def test_a_field_sent_with_the_value_it_was_based_on_is_not_written(store, lieu_id, field, seen_as, typed):
    with store.atomic() as con:
        update_structure(con, lieu_id, {field: "" if field == "complement_adresse" else seen_as}, by="bob")
    history_before = len(structure_history_of(store, lieu_id))
    result = _edit(store, lieu_id, {field: seen_as}, {field: typed}, by="carla")
    assert result.unchanged == [field] and result.saved == [] and result.conflicts == []
    assert len(structure_history_of(store, lieu_id)) == history_before


def test_a_field_not_changed_by_the_person_is_never_written_back_even_when_it_changed_meanwhile(store, lieu_id):
    seen = _loaded(store, lieu_id)
    _edit(store, lieu_id, seen, {"nom": "Espace Rivière Salée"}, by="bob")
    result = _edit(store, lieu_id, seen, {"nom": seen["nom"], "numero_court": "1010"}, by="carla")
    assert (result.saved, result.unchanged, result.conflicts) == (["numero_court"], ["nom"], [])
    with store.connect() as con:
        assert get_structure(con, lieu_id)["nom"] == "Espace Rivière Salée"


def test_the_same_change_made_twice_is_saved_not_a_conflict(store, lieu_id):
    seen = _loaded(store, lieu_id)
    _edit(store, lieu_id, seen, {"horaires": "Mo-Fr 08:00-12:00"}, by="bob")
    again = _edit(store, lieu_id, seen, {"horaires": "Mo-Fr 08:00-12:00"}, by="carla")
    assert again.saved == ["horaires"] and again.written == [] and again.complete


def test_a_refused_value_writes_nothing_and_keeps_no_conflict(store, lieu_id):
    seen = _loaded(store, lieu_id)
    _edit(store, lieu_id, seen, {"horaires": "Mo-Fr 08:00-12:00"}, by="bob")
    refused = _edit(store, lieu_id, seen, {"horaires": "Tu 09:00-17:00", "code_postal": "ABCDE"}, by="carla")
    assert refused.refused and refused.saved == [] and refused.conflicts == []
    assert [issue.field for issue in refused.issues] == ["code_postal"]
    with store.connect() as con:
        assert open_conflicts(con, "structures", lieu_id) == []


@pytest.mark.parametrize(("choice", "kept"), [("proposee", "Tu-Sa 09:00-17:00"), ("courante", "Mo-Fr 08:00-12:00")])
def test_a_conflict_is_resolved_by_keeping_one_of_its_two_values_and_the_choice_is_audited(store, lieu_id, choice, kept):
    seen = _loaded(store, lieu_id)
    _edit(store, lieu_id, seen, {"horaires": "Mo-Fr 08:00-12:00"}, by="bob")
    (conflict,) = _edit(store, lieu_id, seen, {"horaires": "Tu-Sa 09:00-17:00"}, by="carla").conflicts
    with store.atomic() as con:
        resolve_structure_conflict(con, conflict.id, choice, seen="Mo-Fr 08:00-12:00", by="dora")
    with store.connect() as con:
        assert get_structure(con, lieu_id)["horaires"] == kept
        assert open_conflicts(con, "structures", lieu_id) == []
        reasons = [v["change_reason"] for v in structure_history(con, lieu_id)]
    assert reasons == ["creation", "modification"] + (["resolution"] if choice == "proposee" else [])
    audit = store.query("SELECT actor, details FROM audit_log WHERE action = 'edit_conflict.resolve'")
    assert [row["actor"] for row in audit] == ["dora"] and f'"choix": "{choice}"' in audit[0]["details"]
    with store.connect() as con:  # the fiche's history says it in French
        told = [(e.actor, e.action_text) for e in record_history(con, "structures", lieu_id, by="dora")]
    assert ("carla", "modification en conflit (non enregistrée)") in told
    assert told[-1] == ("dora", "conflit de modification tranché")


def test_resolving_a_conflict_whose_value_changed_again_asks_to_choose_again(store, lieu_id):
    seen = _loaded(store, lieu_id)
    _edit(store, lieu_id, seen, {"horaires": "Mo-Fr 08:00-12:00"}, by="bob")
    (conflict,) = _edit(store, lieu_id, seen, {"horaires": "Tu-Sa 09:00-17:00"}, by="carla").conflicts
    _edit(store, lieu_id, {"horaires": "Mo-Fr 08:00-12:00"}, {"horaires": "Mo 10:00-12:00"}, by="eve")
    with pytest.raises(EditConflictError, match="encore été modifié"), store.atomic() as con:
        resolve_structure_conflict(con, conflict.id, "proposee", seen="Mo-Fr 08:00-12:00", by="dora")
    with store.connect() as con:
        assert get_structure(con, lieu_id)["horaires"] == "Mo 10:00-12:00"
        assert [c["id"] for c in open_conflicts(con, "structures", lieu_id)] == [conflict.id]


CONCURRENT_FIELDS = {
    "nom": "Espace Rivière Salée",
    "site_web": "https://riviere-salee.nc",
    "horaires": "Mo-Fr 08:00-12:00",
    "numero_court": "1010",
    "presentation_resume": "Ateliers numériques et aide aux démarches.",
}


def test_five_people_saving_different_fields_of_one_fiche_at_the_same_moment_all_keep_theirs(store, lieu_id):
    seen = _loaded(store, lieu_id)
    start = threading.Barrier(len(CONCURRENT_FIELDS))
    results = {}

    def person(name: str, value: str) -> None:
        start.wait()  # every save begins together, each on its own connection to the file
        results[name] = _edit(store, lieu_id, seen, {name: value}, by=f"personne-{name}")

    threads = [threading.Thread(target=person, args=item) for item in CONCURRENT_FIELDS.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(result.complete for result in results.values()) and len(results) == len(CONCURRENT_FIELDS)
    with store.connect() as con:
        row = get_structure(con, lieu_id)
        assert len(structure_history(con, lieu_id)) == 1 + len(CONCURRENT_FIELDS)
    assert {name: row[name] for name in CONCURRENT_FIELDS} == {
        **CONCURRENT_FIELDS, "site_web": [CONCURRENT_FIELDS["site_web"]]}


def structure_history_of(store, structure_id: str) -> list[dict]:
    with store.connect() as con:
        return structure_history(con, structure_id)
