"""`maillage backup`, `maillage restore`, `maillage export-all`: French output with figures,
refusals in French, the store untouched when a restore is refused or cancelled."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from models.migrations import MIGRATIONS
from models.store import Store

ADMIN_PASSWORD = "le mot de passe de l'admin"
PASSWORD = "une phrase de passe assez longue"


def _setting(db: Path, value: str | None = None) -> str:
    """Write (when given) then read one settings row: a change to undo by a restore."""
    store = Store(db)
    if value is not None:
        with store.atomic() as con:
            con.execute("INSERT OR REPLACE INTO settings (key, value, updated_at, updated_by)"
                        " VALUES ('essai', ?, now(), 'test')", [f'"{value}"'])
    return store.query("SELECT value FROM settings WHERE key = 'essai'")[0]["value"]


def test_backup_then_restore_with_oui_brings_the_store_back(run, tmp_path):
    run("init")
    _setting(run.db, "avant")
    saved = run("backup")
    assert saved.exit_code == 0, saved.output
    assert saved.output.startswith("Sauvegarde écrite : ") and "tables" in saved.output and " s." in saved.output
    backup = next((tmp_path / "backups").glob("maillage-*.duckdb"))
    assert str(backup) in saved.output

    _setting(run.db, "après")
    restored = run("restore", str(backup), "--oui")
    assert restored.exit_code == 0, restored.output
    assert f"restaurée depuis {backup}" in restored.output
    assert "Copie de sécurité de la base remplacée" in restored.output
    assert _setting(run.db) == '"avant"'
    safety = next((tmp_path / "backups").glob("*-avant-restauration.duckdb"))
    assert str(safety) in restored.output


def test_restore_asks_first_and_a_no_changes_nothing(run, tmp_path):
    run("init")
    _setting(run.db, "avant")
    run("backup", str(tmp_path / "b.duckdb"))
    _setting(run.db, "après")
    answered = run("restore", str(tmp_path / "b.duckdb"), input="non\n")
    assert answered.exit_code == 1
    assert "Remplacer la base" in answered.output and str(tmp_path / "backups") in answered.output
    assert "Restauration annulée : la base n'a pas changé." in answered.output
    assert _setting(run.db) == '"après"' and not (tmp_path / "backups").exists()


def _cut_in_half(path: Path, backup: Path) -> None:
    path.write_bytes(backup.read_bytes()[: backup.stat().st_size // 2])


def _foreign_duckdb(path: Path, backup: Path) -> None:
    """A DuckDB file with a « _maillage_migrations » table, but none of Maillage's other tables."""
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE _maillage_migrations (name VARCHAR, applied_at TIMESTAMPTZ);"
                " INSERT INTO _maillage_migrations VALUES ('0001_registry', now()); CREATE TABLE lieux (nom VARCHAR)")
    con.close()


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (_cut_in_half, "est incomplet : le fichier"),
        (_foreign_duckdb, "est une base DuckDB, mais pas une base Maillage : il lui manque les tables"),
        (lambda path, backup: path.write_text("nom;commune\nLa Pagaille;Angoulême\n", encoding="utf-8"),
         "n'est pas une base DuckDB : c'est un fichier texte"),
    ],
    ids=["tronquee", "duckdb-etrangere", "csv"],
)
@pytest.mark.parametrize("confirmed", [True, False], ids=["--oui", "sans-oui"])
def test_restore_of_a_file_that_is_not_a_usable_backup_says_why_in_french(run, tmp_path, make, expected, confirmed):
    run("init")
    _setting(run.db, "avant")
    run("backup", str(tmp_path / "b.duckdb"))
    _setting(run.db, "actuelle")
    candidate = tmp_path / "a-restaurer.duckdb"
    make(candidate, tmp_path / "b.duckdb")
    refused = run("restore", str(candidate), *(["--oui"] if confirmed else []), input="oui\n")
    assert refused.exit_code == 1
    assert refused.output.startswith(f"Erreur : {candidate} ") and expected in refused.output, refused.output
    assert refused.output.rstrip().endswith("La base actuelle n'a pas changé.")
    assert "Remplacer la base" not in refused.output  # refused before asking
    assert "Traceback" not in refused.output and "Error" not in refused.output
    assert _setting(run.db) == '"actuelle"' and not (tmp_path / "backups").exists()


def test_export_all_prints_each_table_and_the_figures(run, tmp_path):
    run("init")
    done = run("export-all", str(tmp_path / "export"))
    assert done.exit_code == 0, done.output
    assert f"  _maillage_migrations : {len(MIGRATIONS)} lignes" in done.output and "  users : 0 ligne" in done.output
    assert "Export complet écrit dans" in done.output and "en Parquet et en CSV" in done.output
    assert (tmp_path / "export" / "structures.parquet").exists() and (tmp_path / "export" / "structures.csv").exists()


def test_a_committee_member_is_refused_in_french(run, tmp_path):
    run("user", "add", "alix", "--nom", "Alix Admin", "--role", "admin", input=f"{ADMIN_PASSWORD}\n" * 2)
    run("user", "add", "carla", "--nom", "Carla Comité", "--role", "comite", "--par", "alix",
        input=f"{PASSWORD}\n{PASSWORD}\n{ADMIN_PASSWORD}\n")
    for args in (("backup",), ("export-all", str(tmp_path / "export"))):
        refused = run("--par", "carla", *args, MAILLAGE_MOT_DE_PASSE=PASSWORD)
        assert refused.exit_code == 1
        assert ("Accès refusé : un compte membre du comité de pilotage (carla) ne peut pas exporter ou sauvegarder"
                " toute la base.") in refused.output
    allowed = run("--par", "alix", "backup", MAILLAGE_MOT_DE_PASSE=ADMIN_PASSWORD)
    assert allowed.exit_code == 0, allowed.output
    backup = next((tmp_path / "backups").glob("maillage-*.duckdb"))
    refused = run("--par", "carla", "restore", str(backup), "--oui", MAILLAGE_MOT_DE_PASSE=PASSWORD)
    assert refused.exit_code == 1 and "Accès refusé" in refused.output
    assert not (tmp_path / "export").exists() and len(list((tmp_path / "backups").iterdir())) == 1
