"""``maillage import`` and ``maillage profils``: a territory's file in, its columns and words
understood, the source's choices kept as a profile for its next export, the file's date."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from collect.import_profiles import ImportProfile, save_profile
from models.store import Store

HEADER = "Nom;Adresse;CP;Ville;Type;Mise à jour;Interne"
JANUARY = f"""{HEADER}
Médiathèque de Cognac;10 rue du Minage;16100;Cognac;Médiathèque;;à rappeler
Tiers-lieu La Forge;2 rue de Bordeaux;16000;Angoulême;Zorglub;;ok
CCAS d'Angoulême;2 place de l'Hôtel de Ville;16000;Angoulême;CCAS;2024-02-15;vu
"""
FEBRUARY = f"""{HEADER}
Espace numérique de Ma Campagne;3 rue de Bordeaux;16000;Angoulême;Médiathèque;;nouveau
Médiathèque de Jarnac;4 rue Carnot;16200;Jarnac;Médiathèque;;vu
"""


def write(tmp_path: Path, name: str, text: str = JANUARY) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def dates(run) -> dict[str, tuple[date, bool | None]]:
    rows = Store(run.db).query("SELECT nom, date_maj, date_maj_estimee FROM structures")
    return {row["nom"]: (row["date_maj"], row["date_maj_estimee"]) for row in rows}


# -- the simulation shows the columns and the translations --------------------------------------------


def test_a_dry_run_prints_every_column_its_fate_and_the_translation_of_the_values(run, tmp_path):
    result = run("import", "--dry-run", write(tmp_path, "lieux.csv"))
    assert result.exit_code == 0
    lines = result.output.splitlines()
    start = lines.index("Colonnes du fichier (7) :")
    assert lines[start + 1].split() == ["colonne", "sort", "raison", "exemples"]
    table = {line.split("  ")[0]: " ".join(line.split()) for line in lines[start + 2: start + 9]}
    assert list(table) == HEADER.split(";")
    assert table["Nom"].startswith("Nom nom (par le nom) nom exact du champ Médiathèque de Cognac | Tiers-lieu La Forge")
    assert "code_postal (par le nom) synonyme connu 16100 | 16000" in table["CP"]
    assert "typologie (par le nom)" in table["Type"]
    assert "date_maj (par le nom) synonyme connu 2024-02-15" in table["Mise à jour"]
    assert table["Interne"] == "Interne conservée à part sur chaque fiche à rappeler | ok | vu"
    start = lines.index("Traduction des valeurs (3) :")
    assert lines[start + 1].split() == ["colonne", "valeur", "traduction", "lignes", "comment"]
    assert [" ".join(line.split()) for line in lines[start + 2: start + 5]] == [
        "Type CCAS CCAS 1 valeur du standard",
        "Type Médiathèque BIB 1 valeur du standard",
        "Type Zorglub (aucune : conservée à part) 1 aucune",
    ]
    assert "Simulation (rien n'a été enregistré)" in result.output
    assert Store(run.db).query("SELECT count(*) AS n FROM structures") == [{"n": 0}]


def test_a_real_import_does_not_print_the_tables(run, tmp_path):
    result = run("import", write(tmp_path, "lieux.csv"))
    assert result.exit_code == 0 and "3 nouvelles" in result.output
    assert "Colonnes du fichier" not in result.output and "Traduction des valeurs" not in result.output


# -- profiles -----------------------------------------------------------------------------------------


def test_a_profile_saved_from_an_import_is_listed_and_shown(run, tmp_path):
    saved = run("import", "--dry-run", "--enregistrer-profil", "Hub du Sud", write(tmp_path, "lieux.csv"))
    assert saved.exit_code == 0
    assert "Profil d'import « Hub du Sud » enregistré (7 colonnes)." in saved.output
    listed = run("profils", "list")
    assert listed.exit_code == 0
    assert listed.output.splitlines() == ["Hub du Sud — 7 colonnes, 6 choisies, 0 traductions"]
    shown = run("profils", "show", "hub du sud")
    assert shown.exit_code == 0
    assert shown.output.splitlines() == [
        "Profil « Hub du Sud » (7 colonnes dans l'en-tête) :",
        "  Nom → nom", "  Adresse → adresse", "  CP → code_postal", "  Ville → commune", "  Type → typologie",
        "  Mise à jour → date_maj",
    ]


def test_a_profile_shows_the_columns_left_out_and_its_translations(run):
    store = Store(run.db)
    store.migrate()
    with store.atomic() as con:
        save_profile(con, ImportProfile(nom="Hub du Sud", colonnes=HEADER.split(";"),
                                        correspondance={"Nom": "nom", "Interne": None},
                                        traductions={"Type": {"Zorglub": [["typologie", "TIERS_LIEUX"]],
                                                              "Rien": []}}), by="test")
    assert run("profils", "list").output.splitlines() == ["Hub du Sud — 7 colonnes, 1 choisies, 2 traductions"]
    assert run("profils", "show", "Hub du Sud").output.splitlines()[1:] == [
        "  Nom → nom", "  Interne → (écartée)", "  Type : « Rien » → (rien)", "  Type : « Zorglub » → TIERS_LIEUX",
    ]


def test_without_profiles_the_list_says_so(run):
    result = run("profils", "list")
    assert result.exit_code == 0 and result.output.strip() == "Aucun profil d'import enregistré."


def test_the_next_file_with_the_same_header_gets_the_profile_of_its_source(run, tmp_path):
    run("import", "--enregistrer-profil", "Hub du Sud", write(tmp_path, "hub-janvier.csv"))
    result = run("import", "--dry-run", write(tmp_path, "hub-fevrier.csv", FEBRUARY))
    assert result.exit_code == 0
    assert "Profil d'import « Hub du Sud » appliqué (reconnu d'après l'en-tête du fichier)." in result.output
    assert "nom (par le profil)" in result.output


def test_importing_the_same_file_again_after_saving_its_profile_changes_nothing(run, tmp_path):
    path = write(tmp_path, "hub-janvier.csv", JANUARY.replace("Nom;", "id;Nom;", 1).replace("\nMéd", "\n1;Méd")
                 .replace("\nTiers", "\n2;Tiers").replace("\nCCAS", "\n3;CCAS"))
    assert "3 nouvelles" in run("import", "--enregistrer-profil", "Hub du Sud", path).output
    again = run("import", path)
    assert "Profil d'import « Hub du Sud » appliqué" in again.output
    assert "0 nouvelle, 0 mise à jour, 3 inchangées" in again.output


def test_a_profile_named_by_the_person_is_applied_as_chosen(run, tmp_path):
    run("import", "--dry-run", "--enregistrer-profil", "Hub du Sud", write(tmp_path, "hub-janvier.csv"))
    result = run("import", "--dry-run", "--profil", "HUB DU SUD", write(tmp_path, "hub-fevrier.csv", FEBRUARY))
    assert result.exit_code == 0
    assert "Profil d'import « Hub du Sud » appliqué (choisi)." in result.output


def test_an_import_without_profile_ignores_the_one_of_the_source(run, tmp_path):
    run("import", "--dry-run", "--enregistrer-profil", "Hub du Sud", write(tmp_path, "hub-janvier.csv"))
    result = run("import", "--dry-run", "--sans-profil", write(tmp_path, "hub-fevrier.csv", FEBRUARY))
    assert result.exit_code == 0
    assert "Profil d'import" not in result.output
    assert "nom (par le nom)" in result.output and "par le profil" not in result.output


def test_an_unknown_profile_stops_the_import_with_a_french_message(run, tmp_path):
    run("import", "--dry-run", "--enregistrer-profil", "Hub du Sud", write(tmp_path, "hub-janvier.csv"))
    result = run("import", "--profil", "Inconnu", write(tmp_path, "hub-fevrier.csv", FEBRUARY))
    assert result.exit_code == 1
    assert "Profil d'import « Inconnu » introuvable (profils enregistrés : « Hub du Sud »)." in result.output
    assert "Traceback" not in result.output
    assert Store(run.db).query("SELECT count(*) AS n FROM structures") == [{"n": 0}]


def test_a_profile_without_a_name_is_refused_in_french(run, tmp_path):
    result = run("import", "--dry-run", "--enregistrer-profil", "   ", write(tmp_path, "lieux.csv"))
    assert result.exit_code == 1
    assert "Le nom du profil est obligatoire." in result.output and "Traceback" not in result.output


def test_a_deleted_profile_is_no_longer_listed_nor_applied(run, tmp_path):
    run("import", "--dry-run", "--enregistrer-profil", "Hub du Sud", write(tmp_path, "hub-janvier.csv"))
    deleted = run("profils", "delete", "hub du sud")
    assert deleted.exit_code == 0 and deleted.output.strip() == "Profil d'import « Hub du Sud » supprimé."
    assert run("profils", "list").output.strip() == "Aucun profil d'import enregistré."
    assert "Profil d'import" not in run("import", "--dry-run", write(tmp_path, "hub-fevrier.csv", FEBRUARY)).output
    again = run("profils", "delete", "Hub du Sud")
    assert again.exit_code == 1
    assert "Profil d'import « Hub du Sud » introuvable (profils enregistrés : aucun)." in again.output


@pytest.mark.parametrize("command", [("show", "Inconnu"), ("delete", "Inconnu")])
def test_an_unknown_profile_is_a_french_error(run, command):
    result = run("profils", *command)
    assert result.exit_code == 1
    assert "Profil d'import « Inconnu » introuvable (profils enregistrés : aucun)." in result.output


# -- the date of the file -----------------------------------------------------------------------------


def test_the_date_given_by_the_person_goes_to_the_lieux_without_a_date(run, tmp_path):
    result = run("import", "--date-maj", "2024-05-01", write(tmp_path, "2024-03-20_lieux.csv"))
    assert result.exit_code == 0
    assert "2 lieux sans date de mise à jour dans le fichier : date 01/05/2024 (donnée par la personne)." in result.output
    found = dates(run)
    assert found["Médiathèque de Cognac"][0] == found["Tiers-lieu La Forge"][0] == date(2024, 5, 1)
    assert not found["Médiathèque de Cognac"][1]
    assert found["CCAS d'Angoulême"][0] == date(2024, 2, 15)  # its own date is kept


@pytest.mark.parametrize("value", ["01/05/2024", "hier", "2024-02-30"])
def test_a_date_that_is_not_a_date_is_refused_in_french(run, tmp_path, value):
    result = run("import", "--date-maj", value, write(tmp_path, "lieux.csv"))
    assert result.exit_code == 2
    assert f"« {value} » n'est pas une date AAAA-MM-JJ." in result.output
    assert Store(run.db).query("SELECT count(*) AS n FROM structures") == [{"n": 0}]


def test_the_date_in_the_files_name_goes_to_the_lieux_without_a_date(run, tmp_path):
    result = run("import", write(tmp_path, "2024-03-20_lieux.csv"))
    assert result.exit_code == 0
    assert "2 lieux sans date de mise à jour dans le fichier : date 20/03/2024 (nom du fichier)." in result.output
    found = dates(run)
    assert found["Médiathèque de Cognac"][0] == date(2024, 3, 20) and not found["Médiathèque de Cognac"][1]
    assert found["CCAS d'Angoulême"][0] == date(2024, 2, 15)


def test_without_a_date_the_lieux_get_the_import_day_marked_as_estimated(run, tmp_path):
    result = run("import", write(tmp_path, "lieux.csv"))
    assert result.exit_code == 0
    assert ("2 lieux sans date de mise à jour : date de l'import retenue, marquée « estimée » sur la fiche "
            "(donnez la date du fichier pour la remplacer).") in result.output
    found = dates(run)
    assert found["Médiathèque de Cognac"] == (date.today(), True)
    assert found["Tiers-lieu La Forge"] == (date.today(), True)
    assert found["CCAS d'Angoulême"][0] == date(2024, 2, 15) and not found["CCAS d'Angoulême"][1]
