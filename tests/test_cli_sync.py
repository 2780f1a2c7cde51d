"""``maillage sync``: the two-way sync from a terminal (or cron), through the real Sheets emulator.

The emulator runs in the test process; the command is run by click's CliRunner (in process) and,
once, as the installed ``maillage`` script in a subprocess, as cron would.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import Context, main
from models.registry import create_structure
from models.store import Store
from sync.credentials import ENV_CREDENTIALS, ENV_EMULATOR, ENV_GOOGLE_CREDENTIALS, ENV_SPREADSHEET
from sync.sheets_emulator import SheetsEmulator

SPREADSHEET = "hub-cli-essai"
LIEU = {"commune": "Nouméa", "code_postal": "98800", "code_insee": "98818", "adresse": "104 avenue Koenig",
        "date_maj": "2023-11-05"}
NAMES = ["Médiathèque de Rivière Salée", "CCAS de Nouméa", "Espace numérique de Magenta"]


@pytest.fixture
def emulator():
    with SheetsEmulator() as running:
        running.create_spreadsheet("Hub Maillage", spreadsheet_id=SPREADSHEET)
        yield running


@pytest.fixture
def small_store(tmp_path) -> Store:
    """A store without the demo: three structures typed by a person."""
    store = Store(tmp_path / "cli-sync.duckdb", device="poste-cli")
    store.migrate()
    with store.atomic() as con:
        for name in NAMES:
            structure, issues = create_structure(con, {**LIEU, "nom": name}, by="alice")
            assert structure is not None, issues
    return store


@pytest.fixture
def hub_env(monkeypatch, tmp_path):
    """No hub settings at all: a working directory without .streamlit/secrets.toml, no variables."""
    monkeypatch.chdir(tmp_path)
    for name in (ENV_SPREADSHEET, ENV_EMULATOR, ENV_CREDENTIALS, ENV_GOOGLE_CREDENTIALS):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def maillage(small_store, hub_env):
    """``maillage --db <store> ARGS`` in process; ``env`` adds variables for that run only."""

    def invoke(*args: str, env: dict[str, str] | None = None):
        return CliRunner().invoke(main, ["--db", str(small_store.path), *args], env=env, catch_exceptions=False)

    return invoke


@pytest.fixture
def synced(maillage, emulator):
    """``maillage sync`` on the emulator, configured by environment variables like cron would."""
    env = {ENV_EMULATOR: emulator.url, ENV_SPREADSHEET: SPREADSHEET}

    def run(*args: str):
        before = emulator.request_count
        result = maillage("sync", *args, env=env)
        result.requests = emulator.request_count - before
        return result

    return run


def _tab(emulator: SheetsEmulator, tab: str = "structures") -> tuple[list[str], list[list[str]]]:
    header, *rows = emulator.values(SPREADSHEET, tab)
    return header, rows


def test_the_first_sync_pushes_the_store_then_an_idle_sync_costs_one_request(synced, emulator, small_store):
    first = synced()
    assert first.exit_code == 0, first.output
    assert "0 valeur(s) et 3 ligne(s) envoyées" in first.output
    assert "Coût :" in first.output and "s de CPU" in first.output
    header, rows = _tab(emulator)
    ids = {row[header.index("id")] for row in rows}
    assert ids == {row["id"] for row in small_store.query("SELECT id FROM structures")}
    assert sorted(row[header.index("nom")] for row in rows) == sorted(NAMES)

    second = synced()
    assert second.exit_code == 0, second.output
    assert "Rien à synchroniser" in second.output or second.requests == 2
    assert "(2 requêtes)" in second.output or "(1 requête)" in second.output

    third = synced()
    assert third.exit_code == 0, third.output
    assert third.requests == 1
    assert "Rien à synchroniser" in third.output and "Coût : 1 requête," in third.output


def test_a_change_typed_in_the_sheet_comes_into_the_store(synced, emulator, small_store):
    assert synced().exit_code == 0
    header, rows = _tab(emulator)
    line = next(i for i, row in enumerate(rows, start=2) if row[header.index("nom")] == "CCAS de Nouméa")
    structure_id = rows[line - 2][header.index("id")]
    emulator.human_edit(SPREADSHEET, "structures", line, header.index("telephone") + 1, "44 57 28")

    result = synced()
    assert result.exit_code == 0, result.output
    assert "1 valeur(s) et 0 ligne(s) reçues du classeur" in result.output
    (row,) = small_store.query("SELECT telephone, updated_by FROM structures WHERE id = ?", [structure_id])
    assert row["telephone"] == "+687445728"  # normalised by the registry
    assert row["updated_by"] == "feuille partagée"
    again = synced()
    assert again.exit_code == 0, again.output
    assert again.requests <= 3


def test_a_line_a_person_broke_in_the_sheet_exits_1_and_names_it(synced, emulator, small_store):
    assert synced().exit_code == 0
    header, _rows = _tab(emulator)
    emulator.human_edit(SPREADSHEET, "structures", 3, header.index("date_maj") + 1, "la semaine dernière")

    result = synced()
    assert result.exit_code == 1, result.output
    assert "[erreur] Onglet « structures », ligne 3, colonne « date_maj »" in result.output
    assert "Traceback" not in result.output
    assert {str(row["date_maj"]) for row in small_store.query("SELECT date_maj FROM structures")} == {"2023-11-05"}


def test_etat_shows_the_changes_waiting_without_any_request(synced, emulator, small_store):
    before = emulator.request_count
    state = synced("--etat")
    assert state.exit_code == 0, state.output
    assert emulator.request_count == before
    assert f"Classeur : {SPREADSHEET} (source : variable {ENV_SPREADSHEET})" in state.output
    assert "Dernière synchronisation : aucune avec ce classeur." in state.output
    assert "Modifications en attente d'envoi : 3 (structures 3, reponses 0, appels 0, relances 0, conflits 0)." in state.output
    assert "Conflits ouverts : 0." in state.output

    assert synced().exit_code == 0
    with small_store.atomic() as con:
        con.execute("UPDATE structures SET telephone = '+687445728' WHERE nom = 'CCAS de Nouméa'")
    before = emulator.request_count
    state = synced("--etat")
    assert emulator.request_count == before
    assert "Dernière synchronisation : le " in state.output and "terminée" in state.output
    assert "Modifications en attente d'envoi : 1 (structures 1," in state.output


def test_the_options_override_the_settings(maillage, emulator, small_store):
    other = emulator.create_spreadsheet("Autre classeur", spreadsheet_id="autre-classeur-cli")
    env = {ENV_SPREADSHEET: SPREADSHEET, ENV_EMULATOR: "http://127.0.0.1:9"}  # nothing listens there
    result = maillage("sync", "--emulateur", emulator.url, "--classeur",
                      f"https://docs.google.com/spreadsheets/d/{other}/edit#gid=0", env=env)
    assert result.exit_code == 0, result.output
    assert len(emulator.values(other, "structures")) == 1 + len(NAMES)
    assert emulator.sheet_titles(SPREADSHEET) == ["Sheet1"]  # the configured one was left alone
    state = maillage("sync", "--etat", "--classeur", other, env=env)
    assert f"Classeur : {other} (source : option --classeur)" in state.output


def test_missing_settings_exit_2_with_a_french_message(maillage):
    result = maillage("sync")
    assert result.exit_code == 2
    assert "Synchronisation impossible : Aucun classeur Google Sheets n'est configuré" in result.output
    assert ENV_SPREADSHEET in result.output and "[connections.gsheets]" in result.output
    assert "Traceback" not in result.output

    no_key = maillage("sync", "--classeur", SPREADSHEET)
    assert no_key.exit_code == 2
    assert "Aucune clé de compte de service n'est configurée" in no_key.output


def test_an_unknown_spreadsheet_exits_2_with_the_french_404_message(maillage, emulator):
    result = maillage("sync", "--emulateur", emulator.url, "--classeur", "inconnu-du-tout-1234")
    assert result.exit_code == 2, result.output
    assert "Synchronisation impossible : Classeur introuvable : vérifiez l'identifiant inconnu-du-tout-1234" in result.output
    assert "Traceback" not in result.output


def test_a_bad_emulator_address_is_refused(maillage):
    result = maillage("sync", "--emulateur", "localhost 8765", "--classeur", SPREADSHEET)
    assert result.exit_code == 2 and "n'est pas une adresse web" in result.output


def test_a_store_held_by_another_program_exits_2(maillage, emulator, small_store, monkeypatch):
    assert small_store.release()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time\n"
         f"con = duckdb.connect({str(small_store.path)!r})\nprint('pris', flush=True)\nsys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "pris"
        monkeypatch.setattr(Context, "store", lambda self: Store(self.db, lock_timeout=0.5))
        result = maillage("sync", "--emulateur", emulator.url, "--classeur", SPREADSHEET)
    finally:
        holder.communicate("", timeout=10)
    assert result.exit_code == 2, result.output
    assert "Synchronisation impossible : La base" in result.output and "est occupée" in result.output


def test_the_installed_command_runs_from_cron_like_a_subprocess(small_store, emulator, tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith("MAILLAGE_GSHEETS")}
    env.update({"MAILLAGE_DB": str(small_store.path), ENV_EMULATOR: emulator.url, ENV_SPREADSHEET: SPREADSHEET})
    small_store.release()
    command = [str(Path(sys.executable).with_name("maillage")), "sync"]
    first = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert first.returncode == 0, first.stderr
    assert "3 ligne(s) envoyées" in first.stdout and first.stderr == ""
    broken = subprocess.run(command + ["--classeur", "inconnu-du-tout-1234"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)
    assert broken.returncode == 2
    assert broken.stderr.startswith("Synchronisation impossible : Classeur introuvable") and "Traceback" not in broken.stderr
