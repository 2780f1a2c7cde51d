"""`maillage user …`: an operator creates the first (admin) account from the terminal, then the
admin manages the team's accounts, each change checked against the admin's password."""

from __future__ import annotations

import pytest

from models.store import Store

ADMIN_PASSWORD = "le mot de passe de l'admin"
PASSWORD = "une phrase de passe assez longue"


def test_the_first_account_is_created_from_the_terminal_then_the_admin_adds_the_team(run):
    assert "mode poste unique" in run("user", "list").output
    first = run("user", "add", "alix", "--nom", "Alix Admin", "--role", "admin", input=f"{ADMIN_PASSWORD}\n" * 2)
    assert first.exit_code == 0 and "Compte « alix » créé (admin)." in first.output
    added = run("user", "add", "eve", "--nom", "Ève Enquête", "--role", "enqueteur", "--par", "alix",
                input=f"{PASSWORD}\n{PASSWORD}\n{ADMIN_PASSWORD}\n")
    assert added.exit_code == 0, added.output
    listed = run("user", "list").output
    assert "eve\tÈve Enquête\tenqueteur\tactif" in listed and "$argon2" not in listed


def test_a_change_without_the_admins_password_is_refused_in_french(run):
    run("user", "add", "alix", "--nom", "Alix Admin", "--role", "admin", input=f"{ADMIN_PASSWORD}\n" * 2)
    no_par = run("user", "add", "eve", "--nom", "Ève", "--role", "enqueteur", input=f"{PASSWORD}\n" * 2)
    assert no_par.exit_code == 1 and "indiquez qui agit avec --par" in no_par.output
    wrong = run("user", "role", "alix", "comite", "--par", "alix", MAILLAGE_MOT_DE_PASSE="pas le bon")
    assert wrong.exit_code == 1 and "Identifiant ou mot de passe incorrect." in wrong.output
    with Store(run.db).connect() as con:  # the failed attempt counts towards the lock-out
        assert con.execute("SELECT role, echecs FROM users WHERE login = 'alix'").fetchall() == [("admin", 1)]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("user", "role", "eve", "coordinateur"), "« eve » a maintenant le rôle coordinateur."),
        (("user", "disable", "eve"), "Compte « eve » désactivé."),
    ],
)
def test_the_admin_changes_a_role_or_disables_an_account(run, args, expected):
    run("user", "add", "alix", "--nom", "Alix Admin", "--role", "admin", input=f"{ADMIN_PASSWORD}\n" * 2)
    run("user", "add", "eve", "--nom", "Ève", "--role", "enqueteur", "--par", "alix",
        input=f"{PASSWORD}\n{PASSWORD}\n{ADMIN_PASSWORD}\n")
    done = run(*args, "--par", "alix", MAILLAGE_MOT_DE_PASSE=ADMIN_PASSWORD)
    assert done.exit_code == 0 and expected in done.output


def test_the_first_account_must_be_an_admin(run):
    refused = run("user", "add", "eve", "--nom", "Ève", "--role", "enqueteur", input=f"{PASSWORD}\n" * 2)
    assert refused.exit_code == 1 and "premier compte" in refused.output


def test_whoever_holds_the_file_recovers_an_admin_whose_password_is_lost(run):
    run("user", "add", "alix", "--nom", "Alix Admin", "--role", "admin", input=f"{ADMIN_PASSWORD}\n" * 2)
    for _ in range(6):  # locked out by failed attempts, password forgotten
        run("user", "role", "alix", "admin", "--par", "alix", MAILLAGE_MOT_DE_PASSE="oublié")
    recovered = run("user", "recover", "alix", input=f"{PASSWORD}\n" * 2)
    assert recovered.exit_code == 0 and "Nouveau mot de passe" in recovered.output
    changed = run("user", "add", "eve", "--nom", "Ève", "--role", "enqueteur", "--par", "alix",
                  input=f"{PASSWORD}\n{PASSWORD}\n{PASSWORD}\n")
    assert changed.exit_code == 0, changed.output
    with Store(run.db).connect() as con:
        assert con.execute("SELECT actor FROM audit_log WHERE action = 'user.recover'").fetchall() == [
            ("terminal (récupération)",)]


@pytest.mark.parametrize(("par", "exit_code", "expected"), [
    (None, 1, "indiquez qui agit avec --par"),
    ("eve", 1, "ne peut pas importer des structures"),
    ("colin", 0, "1 nouvelle"),
])
def test_in_server_mode_a_command_acts_as_the_account_named_by_par(run, par, exit_code, expected):
    run("user", "add", "alix", "--nom", "Alix Admin", "--role", "admin", input=f"{ADMIN_PASSWORD}\n" * 2)
    for login, role in (("eve", "enqueteur"), ("colin", "coordinateur")):
        run("user", "add", login, "--nom", login, "--role", role, "--par", "alix",
            input=f"{PASSWORD}\n{PASSWORD}\n{ADMIN_PASSWORD}\n")
    csv_file = run.db.parent / "structures.csv"
    csv_file.write_text("nom;adresse;commune;code_postal\nCCAS de Cognac;1 rue Haute;Cognac;16100\n", encoding="utf-8")
    options = ("--par", par) if par else ()
    done = run(*options, "import", str(csv_file), MAILLAGE_MOT_DE_PASSE=PASSWORD)
    assert done.exit_code == exit_code and expected in done.output, done.output


def test_a_committee_member_cannot_export_the_responses_from_the_terminal(run, tmp_path):
    run("user", "add", "alix", "--nom", "Alix Admin", "--role", "admin", input=f"{ADMIN_PASSWORD}\n" * 2)
    run("user", "add", "come", "--nom", "Côme", "--role", "comite", "--par", "alix",
        input=f"{PASSWORD}\n{PASSWORD}\n{ADMIN_PASSWORD}\n")
    out = tmp_path / "reponses.csv"
    refused = run("--par", "come", "reponses", "export", str(out), MAILLAGE_MOT_DE_PASSE=PASSWORD)
    assert refused.exit_code == 1 and "ne peut pas voir les contacts et les réponses" in refused.output
    assert not out.exists()
    done = run("--par", "alix", "reponses", "export", str(out), MAILLAGE_MOT_DE_PASSE=ADMIN_PASSWORD)
    assert done.exit_code == 0 and out.exists()
