"""The store's side of a sync: canonical texts written by DuckDB equal ``to_cell``'s, hashes."""

from __future__ import annotations

import json

import pytest

from sync.sheet_values import to_cell
from sync.store_side import local_changes, store_columns, table_sql, texts_hash, update_sql
from sync.tables import SYNCED_TABLES, SyncedTable, synced_columns, synced_table

ATTEMPTS = [
    ("a-1", "2026-03-29 00:59:59+00", "2026-10-25 01:30:00.000100+00", "note", None),
    ("a-2", "2026-03-29 01:00:00.5+00", None, None, "2026-01-01 00:00:00+00"),
    ("a-3", "1999-12-31 23:59:59.999999+00", None, "", None),
]


@pytest.mark.parametrize("spec", SYNCED_TABLES, ids=lambda spec: spec.tab)
def test_texts_written_by_duckdb_equal_to_cell(demo_store, spec):
    with demo_store.atomic() as con:
        for row_id, attempted, callback, note, deleted in ATTEMPTS:
            con.execute(
                "INSERT INTO call_attempts (id, campaign_id, structure_id, surveyor, attempted_at, outcome, callback_at,"
                " note, created_at, updated_at, updated_by, deleted_at) VALUES (?, 'c', 's', 'alice', ?, 'o', ?, ?,"
                " now(), now(), 'a', ?)",
                [row_id, attempted, callback, note, deleted],
            )
        con.execute("UPDATE structures SET typologie = [] WHERE id IN (SELECT id FROM structures LIMIT 3)")
        kinds = synced_columns(con, spec)
        texts = store_columns(con, spec, kinds)
        rows = con.execute("SELECT " + ", ".join(f'"{name}"' for name in kinds) + f' FROM "{spec.table}"').fetchall()
    by_id = {row[0]: row for row in rows}
    for index, row_id in enumerate(texts["id"]):
        for position, (name, kind) in enumerate(kinds.items()):
            value = by_id[row_id][position]
            expected = to_cell(json.loads(value) if kind == "json" and value is not None else value, kind)
            assert texts[name][index] == expected, (spec.table, row_id, name, value)


def test_the_sheet_hash_marks_an_absent_column():
    from sync.sheet_values import ABSENT

    assert texts_hash(["a", "", "b"]) != texts_hash(["a", ABSENT, "b"])


def test_local_changes_count_records_never_synced(store):
    with store.atomic() as con:
        con.execute(
            "INSERT INTO call_attempts (id, campaign_id, structure_id, surveyor, attempted_at, outcome, created_at,"
            " updated_at, updated_by) VALUES ('a', 'c', 's', 'alice', now(), 'o', now(), now(), 'a')")
        assert local_changes(con, "classeur")["appels"] == 1


@pytest.mark.parametrize("columns", [["nom", "nom\" = 'x' --"], ["pas_une_colonne"]])
def test_sql_builders_refuse_a_column_the_table_does_not_have(store, columns):
    with store.connect() as con, pytest.raises(ValueError):
        update_sql(con, synced_table("structures"), columns)


def test_sql_builders_only_name_synced_tables(store):
    with pytest.raises(ValueError):
        table_sql(SyncedTable("x", "audit_log"))


# (stored base text, kind, the text the current writer writes for its value): texts a previous
# writer may have stored are read back by ``from_cell`` and written again; current texts are kept
UPGRADED_TEXTS = [
    ("TRUE", "boolean", "Oui"),
    ("Non", "boolean", "Non"),
    ("02/04/2024", "date", "2024-04-02"),
    ("2024-04-02", "date", "2024-04-02"),
    ("2026-03-05 10:00:00+00", "datetime", "2026-03-05T10:00:00+00:00"),
    ("2026-03-05 10:00:00.25+00", "datetime", "2026-03-05T10:00:00.250000+00:00"),
    ("2026-03-05T11:00:00+01:00", "datetime", "2026-03-05T10:00:00+00:00"),  # the store keeps UTC
    ("4,5", "decimal", "4.5"),
    ("12.0", "integer", "12"),
    ('{"b": 1, "a": [2]}', "json", '{"a":[2],"b":1}'),
    ("a | b", "list", "a|b"),
    (" padded text ", "text", " padded text "),
    ("", "date", ""),
    ("pas une date", "date", "pas une date"),  # unreadable: kept, the merge sees it as it is
]


@pytest.mark.parametrize(("text", "kind", "expected"), UPGRADED_TEXTS)
def test_a_stored_base_text_is_upgraded_to_the_current_writer(text, kind, expected):
    from sync.store_side import upgraded_text

    assert upgraded_text(text, kind) == expected
    assert upgraded_text(expected, kind) == expected  # once: the current text is its own upgrade
