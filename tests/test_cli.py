"""The ``maillage`` command: each subcommand wraps one core function; French messages, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main

FIXTURES = Path(__file__).resolve().parent / "fixtures"
NC = sorted((Path(__file__).resolve().parent.parent / "demo").glob("*caledonie*.json"))[0]


@pytest.fixture
def run(tmp_path):
    db = tmp_path / "cli.duckdb"

    def invoke(*args: str, **env: str):
        return CliRunner().invoke(main, ["--db", str(db), *args], env=env or None, catch_exceptions=False)

    invoke.db = db
    return invoke


def test_init_creates_the_store_and_lists_its_migrations(run):
    result = run("init")
    assert result.exit_code == 0 and "Base prête" in result.output
    listing = run("migrate", "--list")
    assert "appliquée  0001_registry" in listing.output


def test_the_store_can_be_chosen_by_environment_variable(tmp_path):
    db = tmp_path / "env.duckdb"
    result = CliRunner().invoke(main, ["init"], env={"MAILLAGE_DB": str(db)})
    assert result.exit_code == 0 and db.exists()


def test_a_dry_run_prints_each_rejected_line_and_the_counts(run):
    result = run("import", "--dry-run", str(FIXTURES / "structures-lignes-en-erreur.csv"))
    assert result.exit_code == 0
    assert "[erreur] structures-lignes-en-erreur.csv, ligne 4, champ nom : Le nom de la structure est obligatoire." in result.output
    assert "Simulation (rien n'a été enregistré)" in result.output
    assert "2 nouvelles" in result.output and "4 rejetées" in result.output


def test_import_then_export_then_validate(run, tmp_path):
    assert "90 nouvelles" in run("import", str(NC)).output
    assert "90 inchangées" in run("import", str(NC)).output
    out = tmp_path / "lieux.json"
    exported = run("export", "--format", "json", str(out))
    assert exported.exit_code == 0 and "90 lieux exportés" in exported.output
    assert len(json.loads(out.read_text())) == 90
    checked = run("validate", str(out))
    assert checked.exit_code == 0 and "valide (90 lignes" in checked.output


def test_export_as_of_a_date_before_any_import_is_empty(run, tmp_path):
    run("import", str(NC))
    out = tmp_path / "vide.csv"
    assert "0 lieux exportés" in run("export", "--as-of", "2020-01-01", str(out)).output


def test_a_bad_date_is_refused_in_french(run, tmp_path):
    result = CliRunner().invoke(main, ["--db", str(run.db), "export", "--as-of", "hier", str(tmp_path / "x.csv")])
    assert result.exit_code == 2 and "n'est pas une date AAAA-MM-JJ" in result.output


def test_validate_exits_1_with_french_messages_on_an_invalid_file(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("id,nom\n1,Lieu\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(bad)])
    assert result.exit_code == 1
    assert "colonne du standard absente de l'en-tête" in result.output


def test_a_file_that_is_not_a_table_is_a_french_error_not_a_traceback(run, tmp_path):
    binary = tmp_path / "photo.png"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    result = CliRunner().invoke(main, ["--db", str(run.db), "import", str(binary)])
    assert result.exit_code == 1
    assert "photo.png" in result.output and "Traceback" not in result.output


def test_the_problems_report_is_written_as_an_excel_friendly_csv(run, tmp_path):
    report = tmp_path / "rapport.csv"
    run("import", "--dry-run", "--rapport", str(report), str(FIXTURES / "structures-lignes-en-erreur.csv"))
    text = report.read_text(encoding="utf-8-sig")
    assert text.splitlines()[0] == "fichier;ligne;champ;valeur;gravité;message"
    assert len(text.splitlines()) == 5


def test_init_demo_loads_the_924_lieux_once(run):
    first = run("init", "--demo")
    assert first.output.count("nouvelles") == 3
    second = run("init", "--demo")
    assert "déjà chargée" in second.output


QUESTIONNAIRE = Path(__file__).resolve().parent / "fixtures" / "questionnaires" / "tous-les-types.yaml"


def test_a_questionnaire_is_published_as_numbered_versions(run):
    first = run("questionnaire", "publish", str(QUESTIONNAIRE), "--campagne", "Essai")
    assert first.exit_code == 0
    assert "version 1 publiée" in first.output and "Campagne « Essai » créée" in first.output
    again = run("questionnaire", "publish", str(QUESTIONNAIRE))
    assert "version 1 publiée" in again.output  # unchanged: the same version


def test_responses_export_to_an_excel_csv(run, tmp_path):
    run("init", "--demo")
    out = tmp_path / "reponses.csv"
    result = run("reponses", "export", str(out), "--campagne", "Diagnostic 2026 (démonstration)")
    assert result.exit_code == 0 and "60 réponses exportées" in result.output
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    unknown = run("reponses", "export", str(out), "--campagne", "Inconnue")
    assert unknown.exit_code == 1 and "introuvable" in unknown.output
