"""The ``maillage`` command: each subcommand wraps one core function; French messages, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from collect.demo import DEMO_CAMPAIGN, DEMO_DIR
from models.store import Store
from tests.mail_server import Mailbox, start_server

FIXTURES = Path(__file__).resolve().parent / "fixtures"
NC = sorted(DEMO_DIR.glob("*caledonie*.json"))[0]


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
    lines = text.splitlines()
    assert lines[0] == "fichier;ligne;champ;valeur;gravité;message"
    assert sum(";erreur;" in line for line in lines) == 4  # the four rejected lines, one message each
    assert len(lines) == 1 + len(set(lines[1:]))


def test_a_formula_in_an_imported_file_is_not_a_formula_in_the_problems_report(run, tmp_path):
    hostile = tmp_path / "hostile.csv"
    hostile.write_text('nom;adresse;commune;code_postal;telephone\n=HYPERLINK("http://x";"y");1 rue;Cognac;16100;=1+1\n',
                       encoding="utf-8")
    report = tmp_path / "rapport.csv"
    run("import", "--dry-run", "--rapport", str(report), str(hostile))
    cells = [cell for line in report.read_text(encoding="utf-8-sig").splitlines()[1:] for cell in line.split(";")]
    assert any("1+1" in cell for cell in cells)
    assert not any(cell.lstrip('"').startswith(("=", "+", "@")) for cell in cells)


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


def test_a_call_campaign_from_the_terminal_create_target_assign_report(run, tmp_path):
    assert run("import", str(NC)).exit_code == 0
    created = run("campaign", "create", "Relevé 2027", "--max-tentatives", "5", "--debut", "04/01/2027",
                  "--fin", "2027-03-31")
    assert created.exit_code == 0 and "Campagne « Relevé 2027 » créée" in created.output
    targeted = run("campaign", "target", "Relevé 2027", "--departement", "988")
    assert targeted.exit_code == 0 and "90 structures ajoutées ; la campagne en cible 90." in targeted.output
    assigned = run("campaign", "assign", "Relevé 2027", "--enqueteur", "alice", "--enqueteur", "bruno")
    assert assigned.output.splitlines() == ["alice : 45 structures attribuées", "bruno : 45 structures attribuées"]
    taken_over = run("campaign", "assign", "Relevé 2027", "--enqueteur", "alice", "--enqueteur", "chloe",
                     "--reprendre", "bruno")
    assert taken_over.output.splitlines() == ["chloe : 45 structures attribuées"]  # chloe had none: she takes all
    report = run("campaign", "report", "Relevé 2027", "--csv", str(tmp_path / "suivi"))
    assert report.exit_code == 0
    assert "  Ciblées : 90 (100,0 %)" in report.output and "  chloe : 45 attribuées, 45 à traiter" in report.output
    assert sorted(p.name for p in (tmp_path / "suivi").iterdir()) == [
        "avancement.csv", "dispositions.csv", "enqueteurs.csv", "non-repondants.csv", "rappels-en-retard.csv"]
    assert "Relevé 2027" in run("campaign", "list").output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("campaign", "create", "X", "--heures", "lundi matin"), "Heures d'appel illisibles"),
        (("campaign", "create", "X", "--questionnaire", "inconnu"), "Aucun questionnaire publié"),
        (("campaign", "target", "Inconnue", "--departement", "16"), "Campagne « Inconnue » introuvable"),
        (("campaign", "target", "Inconnue"), "Précisez --departement"),
        (("campaign", "assign", "Inconnue", "--enqueteur", "a"), "introuvable"),
    ],
)
def test_campaign_commands_refuse_bad_input_in_french(run, args, message):
    result = run(*args)
    assert result.exit_code == 1 and message in result.output
    assert "Traceback" not in result.output


# -- French, from the first word to the last -----------------------------------------------------

HINT = "Essayez « maillage {command}--help » pour obtenir de l'aide."


@pytest.mark.parametrize(
    ("args", "typed", "code", "lines"),
    [
        (("restore", "absente.duckdb", "--oui"), None, 1,  # a refusal of the core
         ["Erreur : Sauvegarde introuvable : absente.duckdb n'est pas un fichier."]),
        (("init", "--nimporte"), None, 2,
         ["Utilisation : maillage init [OPTIONS]", HINT.format(command="init "), "",
          "Erreur : Option inconnue : --nimporte."]),
        (("init", "--dem"), None, 2,
         ["Utilisation : maillage init [OPTIONS]", HINT.format(command="init "), "",
          "Erreur : Option inconnue : --dem. Vouliez-vous dire '--demo' ?"]),
        (("restore",), None, 2,
         ["Utilisation : maillage restore [OPTIONS] FICHIER", HINT.format(command="restore "), "",
          "Erreur : Argument manquant 'FICHIER'."]),
        (("export", "--format", "xml", "lieux.xml"), None, 2,
         ["Utilisation : maillage export [OPTIONS] OUT", HINT.format(command="export "), "",
          "Erreur : Valeur invalide pour '--format' : « xml » n'est pas l'un de 'csv', 'json'."]),
        (("import", "absent.csv"), None, 2,
         ["Utilisation : maillage import [OPTIONS] FILE", HINT.format(command="import "), "",
          "Erreur : Valeur invalide pour 'FILE' : Fichier « absent.csv » introuvable."]),
        (("synchroniser",), None, 2,
         ["Utilisation : maillage [OPTIONS] COMMAND [ARGS]...", HINT.format(command=""), "",
          "Erreur : Commande inconnue : synchroniser."]),
        (("campaign", "create", "X", "--max-tentatives", "six"), None, 2,
         ["Utilisation : maillage campaign create [OPTIONS] NOM", HINT.format(command="campaign create "), "",
          "Erreur : Valeur invalide pour '--max-tentatives' : « six » n'est pas un nombre valide."]),
        (("user", "add", "alix", "--nom", "Alix", "--role", "admin"), "", 1,  # Ctrl-D at the password prompt
         ["Mot de passe du compte: ", "", "Interrompu."]),
    ],
    ids=["refus", "option-inconnue", "option-proche", "argument-manquant", "choix", "fichier-absent",
         "commande-inconnue", "nombre", "interrompu"],
)
def test_refusals_and_usage_errors_are_in_french(run, args, typed, code, lines):
    result = run(*args, input=typed)
    assert result.exit_code == code
    assert result.output.splitlines() == lines
    for english in ("Error", "Usage", "Try ", "Aborted", "Missing", "No such", "Invalid value"):
        assert english not in result.output


def test_the_version_says_where_this_computer_keeps_the_store(run, tmp_path):
    result = run("--version")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].startswith("Maillage ") and lines[1].startswith("Base : ") and lines[1].endswith(".duckdb")
    assert lines[2].startswith("Dossier de données : ") and lines[3].startswith("Fichier de secrets : ")


def test_the_help_is_in_french(run):
    result = run("--help")
    assert result.exit_code == 0
    assert result.output.startswith("Utilisation : maillage [OPTIONS] COMMAND [ARGS]...")
    assert "Afficher cette aide et quitter." in result.output and "Afficher la version, la base" in result.output
    assert "\nCommandes :\n" in result.output and "\nOptions :\n" in result.output
    assert "Show this message" not in result.output and "Usage" not in result.output


# -- relances: shown, mailed through a real local SMTP server, exported --------------------------




@pytest.fixture
def run_demo(demo_store: Store):
    demo_store.release()

    def invoke(*args: str):
        return CliRunner().invoke(main, ["--db", str(demo_store.path), *args], catch_exceptions=False)

    return invoke


@pytest.fixture
def server():
    box = Mailbox()
    controller = start_server(box)
    box.port = controller.port
    yield box
    controller.stop()


def _secrets(tmp_path, port: int):
    path = tmp_path / "secrets.toml"
    path.write_text(
        f"[smtp]\nhost = \"127.0.0.1\"\nport = {port}\nstarttls = false\ntimeout = 5\n"
        "expediteur = \"diagnostic@territoire.fr\"\nnom_expediteur = \"Équipe du diagnostic\"\n",
        encoding="utf-8",
    )
    return str(path)


def test_without_an_action_the_command_only_shows_who_would_be_reminded(run_demo):
    result = run_demo("campaign", "relances", DEMO_CAMPAIGN)
    assert result.exit_code == 0
    assert "structures à relancer ; écartées :" in result.output and "Questionnaire complet : 60" in result.output


def test_the_structures_left_out_for_a_reason_are_listed_by_its_code_or_its_french_title(run_demo):
    by_code = run_demo("campaign", "relances", DEMO_CAMPAIGN, "--ecartees", "complete")
    by_title = run_demo("campaign", "relances", DEMO_CAMPAIGN, "--ecartees", "Questionnaire complet")
    assert by_code.exit_code == 0, by_code.output
    assert by_title.output == by_code.output
    left_out = [line for line in by_code.output.splitlines() if " (écartée) : " in line]
    assert len(left_out) == 60
    assert all(line.endswith("(écartée) : questionnaire complet (1.1) : déjà répondu") for line in left_out)


def test_an_unknown_reason_to_list_is_refused_in_french_naming_the_accepted_ones(run_demo):
    refused = run_demo("campaign", "relances", DEMO_CAMPAIGN, "--ecartees", "trop tard")
    assert refused.exit_code == 2
    assert ("Erreur : Valeur invalide pour '--ecartees' : « trop tard » n'est pas une raison d'écart connue"
            " (attendu : complete (Questionnaire complet), refus (A refusé de répondre),") in refused.output
    assert "delai (Relancée trop récemment)" in refused.output
    for english in ("Error", "Usage", "Invalid value"):
        assert english not in refused.output


def test_relances_go_to_the_smtp_server_once_then_nothing_is_sent_again(run_demo, server, tmp_path):
    secrets = _secrets(tmp_path, server.port)
    shown = run_demo("campaign", "relances", DEMO_CAMPAIGN, "--regle", "partielle")
    wanted = shown.output.count("questionnaire commencé, pas terminé")
    assert wanted > 0
    sent = run_demo("campaign", "relances", DEMO_CAMPAIGN, "--regle", "partielle", "--envoyer", "--secrets", secrets)
    assert sent.exit_code == 0, sent.output
    assert f"{wanted} relance(s) envoyée(s)" in sent.output
    assert len(server.received) == wanted and set(server.recipients().values()) == {1}
    again = run_demo("campaign", "relances", DEMO_CAMPAIGN, "--regle", "partielle", "--envoyer", "--secrets", secrets)
    assert "0 structure à relancer" in again.output  # within the 7 days between relances
    assert len(server.received) == wanted


def test_a_failed_send_says_how_to_retry_only_what_did_not_leave(run_demo, server, tmp_path):
    secrets = _secrets(tmp_path, server.port)
    shown = run_demo("campaign", "relances", DEMO_CAMPAIGN, "--regle", "partielle")
    first = shown.output.splitlines()[0]
    refused = first[first.index("<") + 1:first.index(">")]
    server.refuse.add(refused)
    sent = run_demo("campaign", "relances", DEMO_CAMPAIGN, "--regle", "partielle", "--envoyer", "--secrets", secrets)
    assert sent.exit_code == 1 and "en échec" in sent.output and "--reprendre-lot" in sent.output
    batch = sent.output.split("--reprendre-lot ")[1].split()[0]
    before = len(server.received)
    server.refuse.clear()
    retried = run_demo("campaign", "relances", DEMO_CAMPAIGN, "--reprendre-lot", batch, "--secrets", secrets)
    assert retried.exit_code == 0 and "1 relance(s) envoyée(s)" in retried.output
    assert len(server.received) == before + 1 and server.recipients()[refused] == 1


def test_an_export_writes_eml_files_and_a_csv_and_a_missing_secrets_file_is_explained(run_demo, tmp_path):
    out = tmp_path / "lot"
    exported = run_demo("campaign", "relances", DEMO_CAMPAIGN, "--exporter", str(out))
    assert exported.exit_code == 0, exported.output
    names = sorted(p.name for p in out.iterdir())
    assert "relances.csv" in names and sum(name.endswith(".eml") for name in names) == len(names) - 1
    missing = run_demo("campaign", "relances", DEMO_CAMPAIGN, "--envoyer", "--secrets", str(tmp_path / "absent.toml"))
    assert missing.exit_code == 1 and "introuvable" in missing.output and "[smtp]" in missing.output


def test_the_sheets_emulator_starts_by_hand_and_answers_like_google(tmp_path):
    """`maillage dev sheets-emulator`: a newcomer sees the Sheets API without a Google account."""
    import signal
    import subprocess
    import sys
    import time

    import requests

    from tests.ports import free_port

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "cli", "dev", "sheets-emulator", "--port", str(port)],
                            cwd=Path(__file__).resolve().parent.parent, stdout=subprocess.PIPE, text=True)
    try:
        ready = proc.stdout.readline()
        assert ready.startswith("Émulateur Google Sheets prêt : http://127.0.0.1:")
        deadline = time.monotonic() + 10
        while True:
            try:
                answer = requests.get(f"http://127.0.0.1:{port}/v4/spreadsheets/maillage-demo", timeout=2)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        assert answer.status_code == 200 and answer.json()["spreadsheetId"] == "maillage-demo"
        missing = requests.get(f"http://127.0.0.1:{port}/v4/spreadsheets/absent", timeout=2)
        assert missing.status_code == 404 and missing.json()["error"]["status"] == "NOT_FOUND"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
