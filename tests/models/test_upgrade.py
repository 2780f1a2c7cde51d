"""Upgrades keep data: the first start of a newer Maillage copies the store, in the schema the older
version reads, before migrating it; an older Maillage refuses a newer store untouched."""

from __future__ import annotations

import duckdb
import pytest

import models.store
from models.backup import inspect_backup, open_store, upgrade_store
from models.errors import NewerStore
from models.migrations import MIGRATIONS
from models.registry import create_structure
from models.store import Store

LIEU = {"nom": "Médiathèque de Cognac", "commune": "Cognac", "code_postal": "16100", "adresse": "10 rue du Minage",
        "date_maj": "2026-01-10"}


@pytest.fixture
def previous_release_store(tmp_path, monkeypatch):
    """A store made by the previous release: every migration but the last, and a lieu in it."""
    path = tmp_path / "Maillage" / "maillage.duckdb"
    with monkeypatch.context() as older:
        older.setattr(models.store, "MIGRATIONS", MIGRATIONS[:-1])
        store = Store(path, keep_open=0)
        assert store.migrate() == [m.name for m in MIGRATIONS[:-1]]
    with store.atomic() as con:
        create_structure(con, LIEU, by="alice")
    return store


def test_the_previous_releases_store_is_copied_then_migrated_and_keeps_its_lieux(previous_release_store):
    store = previous_release_store
    report = upgrade_store(store)
    assert report is not None and report.path.parent == store.path.parent / "backups"
    assert report.path.name.startswith("avant-mise-a-jour-")
    copy = inspect_backup(report.path)
    assert list(copy.pending) == [MIGRATIONS[-1].name]  # the schema the previous release reads
    assert copy.counts["structures"] == 1
    assert store.pending_migrations() == []
    assert store.query("SELECT nom FROM structures") == [{"nom": "Médiathèque de Cognac"}]
    assert upgrade_store(store) is None  # once only: the next start copies nothing
    assert len(list(report.path.parent.iterdir())) == 1


def test_a_new_store_is_only_created(tmp_path):
    store = open_store(tmp_path / "neuve.duckdb")
    assert store.pending_migrations() == [] and not (tmp_path / "backups").exists()


def test_an_older_maillage_refuses_a_newer_store_and_leaves_it_untouched(store):
    with store.atomic() as con:
        con.execute("INSERT INTO _maillage_migrations VALUES ('0099_futur', now())")
        create_structure(con, LIEU, by="alice")
    assert store.release()
    before = store.path.read_bytes()
    with pytest.raises(NewerStore, match="version plus récente de Maillage") as refused:
        upgrade_store(Store(store.path, keep_open=0))
    assert "0099_futur" in str(refused.value) and str(store.path) in str(refused.value)
    assert store.path.read_bytes() == before
    assert not (store.path.parent / "backups").exists()


def test_the_cli_says_where_the_copy_of_before_the_upgrade_is(previous_release_store, run):
    result = run("--db", str(previous_release_store.path), "export", str(previous_release_store.path.parent / "x.csv"))
    assert result.exit_code == 0, result.output
    assert "copie d'avant la mise à jour" in result.output
    copies = list((previous_release_store.path.parent / "backups").glob("avant-mise-a-jour-*.duckdb"))
    assert len(copies) == 1
    with duckdb.connect(str(copies[0]), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM structures").fetchone() == (1,)
