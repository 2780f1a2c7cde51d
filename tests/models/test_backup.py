"""Backup, restore and export of every table, on real DuckDB files (and a real second process)."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
import threading
import time
import zipfile
from pathlib import Path

import duckdb
import pytest

from models.access import AccessDenied, create_user
from models.audit import record_audit
from models.backup import BackupError, backup_store, export_all, inspect_backup, restore_store
from models.errors import (
    BackupInUse,
    CorruptedBackup,
    NewerMaillageBackup,
    NotADuckDBFile,
    NotAMaillageStore,
    TruncatedBackup,
    UnusableBackup,
)
from models.migrations import MIGRATIONS
from models.moments import PARIS
from models.registry import create_structure, update_structure
from models.store import Store

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "une phrase de passe assez longue"
ALL_MIGRATIONS = [migration.name for migration in MIGRATIONS]


def _read(path: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, params).fetchall() if params else con.execute(sql).fetchall()
    finally:
        con.close()


def _counts(path: Path) -> dict[str, int]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = [name for (name,) in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        return {name: con.execute('SELECT count(*) FROM "' + name + '"').fetchall()[0][0] for name in tables}
    finally:
        con.close()


def _store_counts(store: Store) -> dict[str, int]:
    """Rows per table of the store, read through it (this process may hold the file)."""
    with store.connect() as con:
        tables = [name for (name,) in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        return {name: con.execute('SELECT count(*) FROM "' + name + '"').fetchall()[0][0] for name in tables}


@pytest.fixture
def filled(store: Store) -> Store:
    """A store with three structures (and their versions and audit rows)."""
    with store.atomic() as con:
        for nom, commune, postcode in [("CCAS de Cognac", "Cognac", "16100"),
                                       ("Médiathèque de Jarnac", "Jarnac", "16200"),
                                       ("Espace France services", "Angoulême", "16000")]:
            structure, issues = create_structure(con, {"nom": nom, "commune": commune, "code_postal": postcode,
                                                       "adresse": "1 place", "date_maj": "2024-01-01"}, by="cli")
            assert structure is not None, issues
    return store


def _server_mode(store: Store) -> None:
    """Accounts: an admin, a committee member, a surveyor (each with a password hash)."""
    with store.atomic() as con:
        create_user(con, "alix", nom="Alix Admin", role="admin", password=PASSWORD, by="terminal")
        create_user(con, "carla", nom="Carla Comité", role="comite", password=PASSWORD, by="alix")
        create_user(con, "eve", nom="Ève Enquête", role="enqueteur", password=PASSWORD, by="alix")


# -- backup ------------------------------------------------------------------------------------


def test_a_backup_opens_is_migrated_and_holds_every_row(filled):
    report = backup_store(filled, by="cli")
    assert re.fullmatch(r"maillage-\d{8}-\d{6}\.duckdb", report.path.name)
    assert report.path.parent == filled.path.parent / "backups"
    assert report.counts["structures"] == 3 and report.counts == _store_counts(filled)
    assert _counts(report.path) == report.counts
    assert Store(report.path, keep_open=0).applied_migrations() == ALL_MIGRATIONS
    assert [p.name for p in report.path.parent.iterdir()] == [report.path.name]  # no temporary file left
    assert report.summary().startswith(f"Sauvegarde écrite : {report.path} (")


def test_a_backup_never_overwrites_a_file_nor_writes_on_the_store(store, tmp_path):
    existing = tmp_path / "deja.duckdb"
    existing.write_text("une autre sauvegarde")
    with pytest.raises(BackupError, match="existe déjà"):
        backup_store(store, existing, by="cli")
    assert existing.read_text() == "une autre sauvegarde"
    with pytest.raises(BackupError, match="la base elle-même"):
        backup_store(store, store.path, by="cli")
    folder = tmp_path / "sauvegardes"
    folder.mkdir()
    assert backup_store(store, folder, by="cli").path.parent == folder  # a folder: the default name inside


WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    sys.path.insert(0, {root!r})
    from models.audit import record_audit
    from models.store import Store
    store = Store({path!r}, keep_open=0)  # the app's short units of work
    stop = Path({stop!r})
    n = 0
    while not stop.exists():
        with store.atomic() as con:  # two rows per transaction: a torn one would show
            first = record_audit(con, actor="ecrivain", action="test.ecriture", details={{"n": n}})
            record_audit(con, actor="ecrivain", action="test.ecriture.paire", entity_id=first)
        print(first, flush=True)  # committed
        n += 1
        time.sleep(0.005)
    """
)


def test_a_backup_taken_while_another_process_writes_is_one_consistent_snapshot(store, tmp_path):
    stop = tmp_path / "stop"
    store.release()
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER.format(root=str(ROOT), path=str(store.path), stop=str(stop))],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    committed: list[str] = []
    reader = threading.Thread(target=lambda: committed.extend(line.strip() for line in writer.stdout), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 30
        while len(committed) < 5 and time.monotonic() < deadline:
            time.sleep(0.02)
        before = list(committed)
        report = backup_store(store, tmp_path / "pendant.duckdb", by="cli")
        store.release()  # let the writer go on
        saved = [row[0] for row in _read(report.path, "SELECT id FROM audit_log WHERE action = 'test.ecriture'")]
        while len(committed) < len(saved) + 5 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        stop.touch()
        _, err = writer.communicate(timeout=60)
        reader.join(timeout=10)
    assert writer.returncode == 0, err
    assert len(before) >= 5

    assert Store(report.path, keep_open=0).applied_migrations() == ALL_MIGRATIONS
    pairs = _read(report.path, "SELECT entity_id FROM audit_log WHERE action = 'test.ecriture.paire'")
    assert sorted(saved) == sorted(row[0] for row in pairs)  # no transaction cut in half
    assert set(before) <= set(saved)  # everything committed before the backup began is in it
    assert set(saved) == set(committed[:len(saved)])  # a prefix of the commits, nothing else
    assert len(saved) < len(committed)  # and the writer went on after it


# -- restore -----------------------------------------------------------------------------------


def _rename(store: Store, structure_id: str, nom: str) -> None:
    with store.atomic() as con:
        assert update_structure(con, structure_id, {"nom": nom}, by="cli")[0] is not None


def test_a_restore_brings_back_the_backup_and_keeps_a_safety_copy_of_the_newer_state(filled, tmp_path):
    structure_id, nom = filled.query("SELECT id, nom FROM structures ORDER BY id LIMIT 1")[0].values()
    backup = backup_store(filled, tmp_path / "avant.duckdb", by="cli")
    _rename(filled, structure_id, "Nom changé après la sauvegarde")
    with filled.atomic() as con:
        record_audit(con, actor="cli", action="test.apres")

    report = restore_store(filled, backup.path, by="cli")

    assert filled.query("SELECT nom FROM structures WHERE id = ?", [structure_id]) == [{"nom": nom}]
    assert filled.query("SELECT count(*) AS n FROM audit_log WHERE action = 'test.apres'") == [{"n": 0}]
    assert filled.applied_migrations() == ALL_MIGRATIONS
    restored = filled.query("SELECT actor, details->>'fichier' AS fichier, details->>'copie_de_securite' AS copie"
                                " FROM audit_log WHERE action = 'store.restore'")
    assert restored == [{"actor": "cli", "fichier": str(backup.path.resolve()),
                         "copie": str(report.safety_copy.path.resolve())}]
    safety = report.safety_copy.path
    assert safety.parent == filled.path.parent / "backups" and "avant-restauration" in safety.name
    newer = _read(safety, "SELECT nom FROM structures WHERE id = ?", [structure_id])
    assert newer == [("Nom changé après la sauvegarde",)]
    assert "Copie de sécurité" in report.summary()
    assert sorted(p.name for p in filled.path.parent.iterdir() if p.name.startswith(".")) == []
    _rename(filled, structure_id, "Écrit dans la base restaurée")  # the store works as before
    assert filled.query("SELECT nom FROM structures WHERE id = ?", [structure_id]) == [
        {"nom": "Écrit dans la base restaurée"}]


def _unchanged(store: Store, before: dict[str, int]) -> None:
    assert store.release()
    assert _store_counts(store) == before
    assert not (store.path.parent / "backups").exists()  # no safety copy: nothing was about to change
    assert [p.name for p in store.path.parent.iterdir() if p.name.startswith(".")] == []


@pytest.fixture(scope="module")
def full_backup(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The bytes of a real backup of a store whose history fills most of the file (40 000 rows)."""
    folder = tmp_path_factory.mktemp("sauvegarde-pleine")
    source = Store(folder / "source.duckdb", keep_open=0)
    source.migrate()
    with source.atomic() as con:
        con.execute("INSERT INTO audit_log SELECT 'a' || i, now(), 'cli', 'test.historique', 'structures', NULL,"
                    " json_object('note', md5(i::VARCHAR) || md5((i + 1)::VARCHAR)) FROM range(40000) t(i)")
    return backup_store(source, folder / "pleine.duckdb", by="cli").path.read_bytes()


def _truncated(path: Path, backup: bytes) -> None:
    """A copy cut in the middle (a download or a copy to a USB key interrupted)."""
    path.write_bytes(backup[: len(backup) // 2])


def _corrupted(path: Path, backup: bytes) -> None:
    """The middle sixteenth of the file overwritten (a failing disk, a bad transfer)."""
    start, end = len(backup) * 15 // 32, len(backup) * 17 // 32
    path.write_bytes(backup[:start] + b"\xab" * (end - start) + backup[end:])


def _duckdb(sql: str):
    def make(path: Path, backup: bytes) -> None:
        con = duckdb.connect(str(path))
        con.execute(sql)
        con.close()
    return make


def _zipped(path: Path, backup: bytes) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("maillage.duckdb", backup[:4096])


def _parquet(path: Path, backup: bytes) -> None:
    duckdb.connect().execute("COPY (SELECT 'CCAS de Cognac' AS nom) TO ? (FORMAT parquet)", [str(path)])


@pytest.mark.parametrize(
    ("make", "refusal", "expected"),
    [
        (_truncated, TruncatedBackup, "est incomplet"),
        (_corrupted, CorruptedBackup, "est abîmé"),
        (_duckdb("CREATE TABLE lieux (nom VARCHAR); INSERT INTO lieux VALUES ('La Pagaille')"), NotAMaillageStore,
         "est une base DuckDB, mais pas une base Maillage (elle n'a pas de table _maillage_migrations)"),
        (_duckdb("CREATE TABLE _maillage_migrations (name VARCHAR, applied_at TIMESTAMPTZ);"
                 " INSERT INTO _maillage_migrations VALUES ('0001_registry', now()); CREATE TABLE lieux (nom VARCHAR)"),
         NotAMaillageStore, ("il lui manque les tables audit_log, duplicate_candidates, import_runs, settings,"
                             " structure_versions, structures")),
        (_duckdb("CREATE TABLE _maillage_migrations (x INTEGER)"), NotAMaillageStore,
         "est une base DuckDB, mais pas une base Maillage"),
        (lambda path, backup: path.write_text("nom;commune\nLa Pagaille;Angoulême\n"), NotADuckDBFile,
         "n'est pas une base DuckDB : c'est un fichier texte"),
        (lambda path, backup: path.write_bytes(b""), NotADuckDBFile, "est vide (0 octet)"),
        (_zipped, NotADuckDBFile, "est une archive zip : décompressez-la"),
        (_parquet, NotADuckDBFile, "est un fichier Parquet"),
    ],
    ids=["tronquee", "abimee", "duckdb-sans-maillage", "duckdb-avec-une-table-de-migrations",
         "table-de-migrations-etrangere", "csv", "vide", "zip", "parquet"],
)
def test_a_file_that_cannot_be_restored_is_refused_saying_why_and_the_store_is_unchanged(
        store, tmp_path, full_backup, make, refusal, expected):
    candidate = tmp_path / "a-restaurer" / "sauvegarde.duckdb"
    candidate.parent.mkdir()
    make(candidate, full_backup)
    before = _store_counts(store)
    with pytest.raises(refusal) as caught:
        restore_store(store, candidate, by="cli")
    message = str(caught.value)
    assert isinstance(caught.value, UnusableBackup) and isinstance(caught.value, BackupError)
    assert message.startswith(f"{candidate} ") and expected in message, message
    assert message.endswith("La base actuelle n'a pas changé."), message
    assert "Error" not in message and "ouvert en écriture" not in message  # the old, wrong, explanation
    _unchanged(store, before)


def test_a_backup_from_a_newer_maillage_is_refused_saying_which_migration(store, tmp_path):
    newer = backup_store(store, tmp_path / "future" / "plus-recente.duckdb", by="cli").path
    con = duckdb.connect(str(newer))
    con.execute("INSERT INTO _maillage_migrations VALUES ('0099_futur', now())")
    con.close()
    before = _store_counts(store)
    with pytest.raises(NewerMaillageBackup, match="version plus récente de Maillage") as caught:
        restore_store(store, newer, by="cli")
    assert "0099_futur" in str(caught.value) and str(newer) in str(caught.value)
    _unchanged(store, before)


HOLDER = textwrap.dedent(
    """
    import sys, time, duckdb
    con = duckdb.connect({path!r})  # opened for writing: DuckDB locks the file
    print("ouvert", flush=True)
    sys.stdin.read()
    """
)


def test_a_backup_another_program_is_writing_is_refused_saying_so(store, tmp_path):
    busy = backup_store(store, tmp_path / "ailleurs" / "ouverte.duckdb", by="cli").path
    holder = subprocess.Popen([sys.executable, "-c", HOLDER.format(path=str(busy))], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ouvert"
        before = _store_counts(store)
        with pytest.raises(BackupInUse) as caught:
            restore_store(store, busy, by="cli")
        assert str(caught.value).startswith(f"{busy} est ouvert en écriture par un autre programme")
        _unchanged(store, before)
    finally:
        holder.communicate(input="", timeout=30)


def test_inspect_backup_says_what_a_backup_holds(filled, tmp_path):
    backup = backup_store(filled, tmp_path / "b.duckdb", by="cli")
    info = inspect_backup(backup.path)
    assert info.counts == backup.counts and info.migrations == ALL_MIGRATIONS and info.pending == []
    with pytest.raises(BackupError, match="introuvable"):
        inspect_backup(tmp_path / "absente.duckdb")


# -- export of every table -----------------------------------------------------------------------


def test_export_all_writes_every_table_in_parquet_and_csv_without_password_hashes(filled, tmp_path):
    _server_mode(filled)
    tables = _store_counts(filled)
    assert "_maillage_migrations" in tables and tables["users"] == 3

    report = export_all(filled, tmp_path / "export", by="alix")

    folder = tmp_path / "export"
    expected = sorted(f"{table}.{ext}" for table in tables for ext in ("parquet", "csv"))
    assert sorted(p.name for p in folder.iterdir()) == expected
    assert {t.name: t.rows for t in report.tables} == tables
    con = duckdb.connect()
    for table, rows in tables.items():
        assert con.execute("SELECT count(*) FROM read_parquet(?)",
                           [str(folder / f"{table}.parquet")]).fetchall() == [(rows,)]
        assert con.execute("SELECT count(*) FROM read_csv(?, header = true, delim = ';', all_varchar = true)",
                           [str(folder / f"{table}.csv")]).fetchall() == [(rows,)]
    users = con.execute("SELECT * FROM read_parquet(?)", [str(folder / "users.parquet")])
    assert "password_hash" not in [d[0] for d in users.description] and len(users.fetchall()) == 3
    # the CSV is for French Excel: BOM, « ; », moments at the time of Paris
    assert (folder / "users.csv").read_bytes().startswith(b"\xef\xbb\xbflogin;nom;role")
    created = con.execute("SELECT created_at FROM read_parquet(?) WHERE login = 'alix'",
                          [str(folder / "users.parquet")]).fetchall()[0][0]
    lines = (folder / "users.csv").read_text(encoding="utf-8-sig").splitlines()
    header, alix = lines[0].split(";"), next(line.split(";") for line in lines if line.startswith("alix;"))
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d(:\d\d)?", alix[header.index("created_at")])
    assert alix[header.index("created_at")][:16] == created.astimezone(PARIS).strftime("%d/%m/%Y %H:%M")
    for file in folder.iterdir():
        assert b"$argon2" not in file.read_bytes()
    assert "Parquet et en CSV" in report.summary()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_export_all_refuses_a_folder_that_is_not_empty(store, tmp_path):
    folder = tmp_path / "plein"
    folder.mkdir()
    (folder / "autre.txt").write_text("à garder")
    with pytest.raises(BackupError, match="n'est pas un dossier vide"):
        export_all(store, folder, by="cli")
    assert [p.name for p in folder.iterdir()] == ["autre.txt"]


# -- rights --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("login", "role_text"), [("carla", "membre du comité de pilotage"), ("eve", "enquêteur·rice")])
def test_committee_and_surveyors_may_not_back_up_restore_or_export(store, tmp_path, login, role_text):
    _server_mode(store)
    backup = backup_store(store, tmp_path / "par-admin.duckdb", by="alix")
    before = _store_counts(store)
    refusal = f"Accès refusé : un compte {role_text} ({login}) ne peut pas exporter ou sauvegarder toute la base."
    for attempt in (lambda: backup_store(store, by=login), lambda: export_all(store, tmp_path / "export", by=login),
                    lambda: restore_store(store, backup.path, by=login)):
        with pytest.raises(AccessDenied) as caught:
            attempt()
        assert str(caught.value) == refusal
    assert not (tmp_path / "export").exists()
    _unchanged(store, before)
