"""``maillage questionnaire import|check``: an XLSForm in, a YAML questionnaire out, every problem in French.

``check`` ends with one line saying « valide », « à revoir » or « invalide », and its exit status
says the same: 0 valide, 3 à revoir (the form imports, but conditions, constraints or obligations it
could not read were dropped), 1 invalide (2 stays click's « command badly written »).
``import`` prints the same problems, writes the YAML unless the form is unreadable (status 1), and
ends with the rows to review.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from collect.questionnaire import load_questionnaire
from collect.xlsform import import_xlsform

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "xlsform"
MINI = FIXTURES / "diagnostic-mini.xlsx"

_spec = importlib.util.spec_from_file_location("xlsform_fixtures", FIXTURES / "make_fixtures.py")
assert _spec and _spec.loader
fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fixtures)

HEADER = ["type", "name", "label", "required", "relevant", "constraint"]
YES_NO = [["list_name", "name", "label"], ["yn", "yes", "Oui"], ["yn", "no", "Non"]]

VALID = [HEADER, ["select_one yn", "actif", "Actif ?", "yes", None, None],
         ["text", "nom", "Nom", "yes", "${actif} = 'yes'", None]]
WITH_A_WARNING = [HEADER, ["select_one yn", "actif", "Actif ?", None, None, None],
                  ["geopoint", "gps", "GPS", None, None, None]]
TO_REVIEW = [HEADER, ["select_one yn", "actif", "Actif ?", None, None, None],
             ["text", "nom", "Nom", "yes", "pulldata('lieux', 'nom') = ''", None]]
UNREADABLE = [["type", "label"], ["text", "Nom"]]

DROPPED_CONDITION = (
    "[à revoir] survey, ligne 3, colonne relevant : expression « pulldata('lieux', 'nom') = '' » illisible : "
    "fonction inconnue « pulldata » (caractère 1) : condition ignorée : la question sera toujours posée\n"
    "[à revoir] survey, ligne 3, colonne required : question obligatoire, mais sa condition d'affichage est "
    "ignorée : rendue facultative, pour ne pas l'exiger là où le formulaire ne la pose pas\n"
)


def form(tmp_path: Path, survey: list[list], name: str = "form.xlsx") -> Path:
    return fixtures.write_workbook(tmp_path / name, {"survey": survey, "choices": YES_NO})


def run(*args: str):
    return CliRunner().invoke(main, ["questionnaire", *args])


# --------------------------------------------------------------------------------------------
# check


@pytest.mark.parametrize(
    ("survey", "status", "output"),
    [
        pytest.param(VALID, 0, "form.xlsx : questionnaire valide (1 section, 2 questions).\n", id="valide"),
        pytest.param(
            WITH_A_WARNING, 0,
            "[avertissement] survey, ligne 3, colonne type : type « geopoint » non pris en charge : ligne ignorée\n"
            "form.xlsx : questionnaire valide (1 section, 1 question).\n",
            id="valide avec un avertissement",
        ),
        pytest.param(
            TO_REVIEW, 3,
            DROPPED_CONDITION + "form.xlsx : questionnaire à revoir (1 section, 2 questions) : "
            "1 ligne à revoir (survey : ligne 3).\n",
            id="à revoir",
        ),
        pytest.param(
            UNREADABLE, 1,
            "[erreur] survey, ligne 1 : colonne « name » absente de l'onglet des questions\n"
            "form.xlsx : questionnaire invalide (1 erreur).\n",
            id="invalide",
        ),
    ],
)
def test_check_says_valid_to_review_or_invalid_with_its_own_exit_status(tmp_path, survey, status, output):
    result = run("check", str(form(tmp_path, survey)))
    assert (result.exit_code, result.output) == (status, output)


def test_check_lists_every_row_to_review_once(tmp_path):
    survey = [HEADER, ["select_one yn", "actif", "Actif ?", None, None, None],
              ["text", "a", "A", "yes", "${inconnue} = 1", None],
              ["text", "b", "B", None, None, None],
              ["integer", "c", "C", "${actif} = 'yes'", None, "1 < . < 3"]]
    result = run("check", str(form(tmp_path, survey)))
    assert result.exit_code == 3
    assert [line.split(" : ")[0] for line in result.output.splitlines()[:-1]] == [
        "[à revoir] survey, ligne 3, colonne relevant", "[à revoir] survey, ligne 3, colonne required",
        "[à revoir] survey, ligne 5, colonne constraint", "[à revoir] survey, ligne 5, colonne required",
    ]
    assert result.output.splitlines()[-1] == (
        "form.xlsx : questionnaire à revoir (1 section, 4 questions) : 2 lignes à revoir (survey : lignes 3 et 5)."
    )


def test_check_help_gives_the_meaning_of_each_exit_status():
    result = run("check", "--help")
    assert result.exit_code == 0
    lines = [" ".join(line.split()) for line in result.output.splitlines()]
    assert "0 questionnaire valide ;" in lines
    assert "1 questionnaire invalide (erreurs à corriger, aucun questionnaire) ;" in lines
    assert any(line.startswith("3 questionnaire à revoir :") for line in lines)
    assert run("check").exit_code == 2  # click's own status for a command badly written: not « à revoir »


def test_check_imports_the_realistic_form_in_memory_and_writes_nothing():
    result = run("check", str(MINI))
    assert result.exit_code == 3
    assert result.output.endswith(
        "diagnostic-mini.xlsx : questionnaire à revoir (4 sections, 12 questions) : "
        "1 ligne à revoir (survey : ligne 26).\n"
    )
    assert not MINI.with_suffix(".yaml").exists()


def test_check_reports_a_file_that_is_not_a_workbook(tmp_path):
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a workbook")
    result = run("check", str(broken))
    assert (result.exit_code, result.output) == (
        1,
        "[erreur] broken.xlsx : ce n'est pas un classeur Excel (.xlsx)\n"
        "broken.xlsx : questionnaire invalide (1 erreur).\n",
    )


def test_check_reports_an_invalid_yaml_in_french(tmp_path):
    bad = tmp_path / "q.yaml"
    bad.write_text("code: q\ntitre: Q\nsections:\n  - code: s\n    titre: S\n    questions:\n"
                   "      - code: a\n        type: couleur\n        libelle: A\n", encoding="utf-8")
    result = run("check", str(bad))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.startswith("q.yaml : section 1 (s), question 1 (a), champ type : type « couleur » inconnu")
    missing = run("check", str(tmp_path / "absent.yaml"))
    assert (missing.exit_code, missing.output) == (1, "absent.yaml : fichier introuvable.\n")


# --------------------------------------------------------------------------------------------
# import


def test_import_prints_the_problems_check_prints_writes_the_yaml_and_names_the_rows_to_review(tmp_path):
    path = form(tmp_path, TO_REVIEW)
    result = run("import", str(path))
    written = tmp_path / "form.yaml"
    assert result.exit_code == 0, result.output
    assert result.output == (
        DROPPED_CONDITION
        + f"Questionnaire « form » : 1 section, 2 questions → {written}\n"
        "Questionnaire à revoir avant de s'en servir : 1 ligne à revoir (survey : ligne 3).\n"
    )
    checked = run("check", str(path))
    assert result.output.splitlines()[:2] == checked.output.splitlines()[:2]
    nom = load_questionnaire(written).question("nom")
    assert (nom.obligatoire, nom.visible_si) == (False, None)
    # The YAML written is a plain questionnaire: nothing in it is left to review.
    assert run("check", str(written)).output == "form.yaml : questionnaire valide (1 section, 2 questions).\n"


def test_import_skips_a_bad_row_and_writes_the_rest(tmp_path):
    path = form(tmp_path, [HEADER, ["select_one absente", "a", "A", None, None, None],
                           ["text", "b", "B", None, None, None]])
    result = run("import", str(path))
    assert result.exit_code == 0
    assert result.output == (
        "[avertissement] survey, ligne 2, colonne type : liste « absente » absente de l'onglet « choices » : "
        "ligne ignorée\n"
        f"Questionnaire « form » : 1 section, 1 question → {tmp_path / 'form.yaml'}\n"
    )
    assert [q.code for q in load_questionnaire(tmp_path / "form.yaml").questions()] == ["b"]


def test_import_fails_with_status_1_when_the_form_is_unreadable(tmp_path):
    result = run("import", str(form(tmp_path, UNREADABLE)))
    assert result.exit_code == 1
    assert result.output == (
        "[erreur] survey, ligne 1 : colonne « name » absente de l'onglet des questions\n"
        "Aucun questionnaire produit : 1 erreur à corriger dans form.xlsx.\n"
    )
    assert not (tmp_path / "form.yaml").exists()


def test_import_takes_an_output_file_and_a_code(tmp_path):
    out = tmp_path / "sortie" / "q.yaml"
    out.parent.mkdir()
    result = run("import", str(form(tmp_path, VALID)), "--out", str(out), "--code", "enquete")
    assert result.exit_code == 0 and result.output == f"Questionnaire « form » : 1 section, 2 questions → {out}\n"
    assert load_questionnaire(out).code == "enquete"


def test_import_of_the_realistic_kobo_form(tmp_path):
    copy = tmp_path / "diagnostic-mini.xlsx"
    copy.write_bytes(MINI.read_bytes())
    result = run("import", str(copy))
    assert result.exit_code == 0, result.output
    written = tmp_path / "diagnostic-mini.yaml"
    lines = result.output.splitlines()
    geopoint = "[avertissement] survey, ligne 9, colonne type : type « geopoint » non pris en charge : ligne ignorée"
    assert geopoint in lines
    assert lines[-2:] == [
        f"Questionnaire « Diagnostic d'un lieu de médiation numérique » : 4 sections, 12 questions → {written}",
        "Questionnaire à revoir avant de s'en servir : 1 ligne à revoir (survey : ligne 26).",
    ]
    assert load_questionnaire(written) == import_xlsform(MINI).questionnaire


def test_a_form_to_review_can_still_be_published(tmp_path):
    path = form(tmp_path, TO_REVIEW)
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "m.duckdb"), "questionnaire", "publish", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(DROPPED_CONDITION)
    assert result.output.endswith("Questionnaire « form » : version 1 publiée (1 section, 2 questions).\n")
