"""The synced tables and their columns' cell kinds, read from the store's schema."""

from __future__ import annotations

import pytest

from sync.tables import SYNCED_TABLES, column_kinds


@pytest.mark.parametrize("synced", SYNCED_TABLES, ids=lambda synced: synced.tab)
def test_every_synced_table_has_an_id_first_and_a_kind_for_each_column(store, synced):
    with store.connect() as con:
        kinds = column_kinds(con, synced.table)
    assert next(iter(kinds)) == "id" and kinds["id"] == "text"
    assert kinds["updated_at"] == "datetime"


@pytest.mark.parametrize(
    ("table", "column", "kind"),
    [
        ("structures", "code_postal", "text"), ("structures", "typologie", "list"), ("structures", "latitude", "decimal"),
        ("structures", "date_maj", "date"), ("responses", "answers", "json"), ("responses", "revision", "integer"),
        ("call_attempts", "callback_at", "datetime"),
    ],
)
def test_column_kinds_follow_the_store_types(store, table, column, kind):
    with store.connect() as con:
        assert column_kinds(con, table)[column] == kind


def test_a_column_added_by_a_later_migration_is_carried(store):
    with store.atomic() as con:
        con.execute("ALTER TABLE call_attempts ADD COLUMN duree_secondes INTEGER")
        assert column_kinds(con, "call_attempts")["duree_secondes"] == "integer"
