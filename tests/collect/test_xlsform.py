"""collect.xlsform: an XLSForm (ODK, KoboToolbox) becomes a Maillage questionnaire, and what cannot is reported."""

from __future__ import annotations

import importlib.util
import io
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from collect.questionnaire import load_questionnaire, questionnaire_to_yaml
from collect.xlsform import XLSFormImport, XLSFormProblem, code_of_name, import_xlsform, import_xlsform_bytes

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "xlsform"
MINI = FIXTURES / "diagnostic-mini.xlsx"

_spec = importlib.util.spec_from_file_location("xlsform_fixtures", FIXTURES / "make_fixtures.py")
assert _spec and _spec.loader
fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fixtures)

HEADER = ["type", "name", "label", "relevant", "constraint"]
YES_NO = [["list_name", "name", "label"], ["yn", "yes", "Yes"], ["yn", "no", "No"]]


def xlsform(tmp_path: Path, survey: list[list], choices: list[list] | None = None, settings: list[list] | None = None,
            *, name: str = "form.xlsx", **sheets: list[list]) -> Path:
    """An XLSForm in tmp_path; ``survey`` starts with its header row."""
    book = {"survey": survey, **({"choices": choices} if choices is not None else {}),
            **({"settings": settings} if settings is not None else {}), **sheets}
    return fixtures.write_workbook(tmp_path / name, book)


def imported(tmp_path: Path, survey: list[list], choices: list[list] | None = None, **kwargs) -> XLSFormImport:
    return import_xlsform(xlsform(tmp_path, survey, choices, **kwargs))


def shape(result: XLSFormImport) -> list[tuple[str, list[str]]]:
    assert result.questionnaire is not None, [str(p) for p in result.problems]
    return [(s.code, [q.code for q in s.questions]) for s in result.questionnaire.sections]


def messages(result: XLSFormImport) -> list[str]:
    return [str(p) for p in result.problems]


# --------------------------------------------------------------------------------------------
# A good form


GOOD_SURVEY = [
    ["type", "name", "label::Français (fr)", "hint::Français (fr)", "required", "required_message::Français (fr)",
     "relevant", "constraint", "constraint_message::Français (fr)", "appearance"],
    ["note", "bienvenue", "Bienvenue", None, None, None, None, None, None, None],
    ["begin group", "identite", "Identité du lieu", None, None, None, None, None, None, "field-list"],
    ["text", "nom", "Nom du lieu", "Tel qu'affiché", "yes", "Le nom est obligatoire.", None, None, None, None],
    ["text", "presentation", "Présentation", None, "no", None, None, None, None, "multiline"],
    ["integer", "salaries", "Nombre de salariés", None, "TRUE", None, None, ". >= 0 and . <= 500",
     "Entre 0 et 500.", None],
    ["decimal", "budget", "Budget (k€)", None, None, None, "${salaries} > 0", ". >= 0", "Positif.", None],
    ["date", "ouverture", "Date d'ouverture", None, None, None, None, ". <= today()", "Pas dans le futur.", None],
    ["end group", None, None, None, None, None, None, None, None, None],
    ["begin_group", "offre", "L'offre", None, None, None, None, None, None, None],
    ["select_one yn", "partenariats", "Des partenariats ?", None, "1", None, None, None, None, None],
    ["select_multiple services", "services", "Services", None, None, None, "${partenariats} = 'yes'",
     "count-selected(.) <= 2", "Deux au plus.", None],
    ["text", "autre", "Autre service", None, None, None, "selected(${services}, 'autre')", None, None, None],
    ["end_group", None, None, None, None, None, None, None, None, None],
]
GOOD_CHOICES = [
    ["list_name", "name", "label::Français (fr)"],
    ["yn", "yes", "Oui"],
    ["yn", "no", "Non"],
    ["services", "ateliers", "Ateliers"],
    ["services", "autre", "Autre"],
]


def test_a_complete_xlsform_becomes_the_expected_questionnaire_without_any_problem(tmp_path):
    result = imported(tmp_path, GOOD_SURVEY, GOOD_CHOICES, settings=[["form_title", "form_id"], ["Diagnostic", "diag"]])
    assert result.problems == []
    form = result.questionnaire
    assert form is not None and (form.code, form.titre, form.version) == ("diag", "Diagnostic", 1)
    assert shape(result) == [
        ("questions", ["bienvenue"]),
        ("identite", ["nom", "presentation", "salaries", "budget", "ouverture"]),
        ("offre", ["partenariats", "services", "autre"]),
    ]
    assert [s.titre for s in form.sections] == ["Questions", "Identité du lieu", "L'offre"]
    assert [q.type for q in form.questions()] == [
        "note", "texte", "texte_long", "entier", "decimal", "date", "choix_unique", "choix_multiple", "texte",
    ]
    nom, salaries, budget = form.question("nom"), form.question("salaries"), form.question("budget")
    assert (nom.libelle, nom.aide, nom.obligatoire, nom.message_obligatoire) == (
        "Nom du lieu", "Tel qu'affiché", True, "Le nom est obligatoire.")
    assert not form.question("presentation").obligatoire and form.question("partenariats").obligatoire
    assert (salaries.obligatoire, salaries.contrainte, salaries.message_contrainte) == (
        True, ". >= 0 and . <= 500", "Entre 0 et 500.")
    assert (budget.visible_si, budget.contrainte) == ("${salaries} > 0", ". >= 0")
    assert budget.message_contrainte == "Positif."
    assert form.question("ouverture").contrainte == ". <= today()"
    assert [(c.code, c.libelle) for c in form.question("partenariats").choix] == [("yes", "Oui"), ("no", "Non")]
    services = form.question("services")
    assert [c.code for c in services.choix] == ["ateliers", "autre"]
    assert (services.visible_si, services.contrainte) == ("${partenariats} = 'yes'", "count-selected(.) <= 2")
    assert form.question("autre").visible_si == "selected(${services}, 'autre')"


def test_the_round_trip_import_yaml_load_gives_the_same_questionnaire(tmp_path):
    form = imported(tmp_path, GOOD_SURVEY, GOOD_CHOICES).questionnaire
    assert form is not None
    path = tmp_path / "form.yaml"
    path.write_text(questionnaire_to_yaml(form), encoding="utf-8")
    assert load_questionnaire(path) == form


def test_settings_give_the_title_the_code_and_an_integer_version(tmp_path):
    survey = [HEADER, ["text", "nom", "Nom", None, None]]
    result = imported(
        tmp_path, survey, settings=[["Form_Title", "form_id", "version"], ["Mon enquête", "Enquête-2024", 7]]
    )
    form = result.questionnaire
    assert form is not None and (form.titre, form.code, form.version) == ("Mon enquête", "enquete_2024", 7)
    assert messages(result) == [
        "settings, ligne 2, colonne form_id : code du questionnaire « Enquête-2024 » renommé « enquete_2024 »"
    ]
    # --code wins over form_id; a version that is not an integer is reported and left at 1.
    other = imported(tmp_path, survey, settings=[["form_id", "version"], ["x", "vGh5Lk2"]], name="b.xlsx")
    assert other.questionnaire is not None and other.questionnaire.version == 1
    assert "version « vGh5Lk2 » : pas un nombre entier, version 1 retenue" in other.problems[0].message
    coded = import_xlsform(tmp_path / "b.xlsx", code="diagnostic_2")
    assert coded.questionnaire is not None and coded.questionnaire.code == "diagnostic_2"


def test_without_settings_the_file_name_gives_code_and_title(tmp_path):
    result = imported(tmp_path, [HEADER, ["text", "nom", "Nom", None, None]], name="Enquête Lieux.xlsx")
    assert result.questionnaire is not None
    assert (result.questionnaire.code, result.questionnaire.titre) == ("enquete_lieux", "Enquête Lieux")


@pytest.mark.parametrize(
    ("headers", "default_language", "read"),
    [
        (["label"], None, "label"),
        (["label::English (en)", "label::Français (fr)"], None, "label::Français (fr)"),
        (["label::English (en)", "label::French (fr)"], None, "label::French (fr)"),
        (["label::English (en)", "label::Français"], None, "label::Français"),
        (["LABEL::fr", "label"], None, "LABEL::fr"),
        (["label :: English (en)", "Label :: Français (fr)"], None, "Label :: Français (fr)"),
        (["label::English (en)", "label::fr-FR"], None, "label::fr-FR"),
        # No French: the settings' default_language, however it is spelled…
        (["label::Deutsch (de)", "label::English (en)"], "English (en)", "label::English (en)"),
        (["label::Deutsch (de)", "label::English (en)"], "en", "label::English (en)"),
        (["label::Deutsch (de)", "label::English (en)"], "English", "label::English (en)"),
        # … the column without language (it is the default language's, French when that is French)…
        (["label::English (en)", "label"], "Français (fr)", "label"),
        (["label::English (en)", "label"], None, "label"),
        # … else the first language.
        (["label::English (en)", "label::Deutsch (de)"], None, "label::English (en)"),
        (["label::Deutsch (de)", "label::English (en)"], "Español (es)", "label::Deutsch (de)"),
        # French wins over the default language.
        (["label::English (en)", "label::Français (fr)"], "English (en)", "label::Français (fr)"),
    ],
)
def test_the_label_column_read_is_french_then_the_default_language_then_the_first(
        tmp_path, headers, default_language, read):
    survey = [["Type", "NAME", *headers], ["text", "a", *headers], ["text", "b", *headers]]
    settings = [["default_language"], [default_language]] if default_language else None
    result = imported(tmp_path, survey, settings=settings)
    assert result.questionnaire is not None
    assert [q.libelle for q in result.questionnaire.questions()] == [read, read]
    others = [h for h in headers if h != read]
    assert messages(result) == [
        f"survey, ligne 1, colonne {h} : autre langue : lue seulement là où la colonne « {read} » est vide"
        for h in others
    ]


def test_a_row_whose_chosen_language_is_empty_takes_the_text_of_the_next_language(tmp_path):
    survey = [["type", "name", "label::English (en)", "label::Français (fr)", "hint::English (en)"],
              ["text", "a", "Name", "Nom", "As shown"],
              ["text", "b", "Town", None, None]]
    result = imported(tmp_path, survey)
    form = result.questionnaire
    assert form is not None
    assert [(q.libelle, q.aide) for q in form.questions()] == [("Nom", "As shown"), ("Town", None)]
    assert messages(result) == [
        "survey, ligne 1, colonne label::English (en) : "
        "autre langue : lue seulement là où la colonne « label::Français (fr) » est vide",
        "survey, ligne 3, colonne label::English (en) : "
        "colonne « label::Français (fr) » vide : texte repris de cette colonne",
    ]


@pytest.mark.parametrize(
    ("column", "kind"),
    [
        ("media::image", "une image"),  # KoboToolbox
        ("image", "une image"),
        ("label::image", "une image"),
        ("image::Français (fr)", "une image"),
        ("media::image::English (en)", "une image"),
        ("media::audio", "un son"),
        ("media::video", "une vidéo"),
    ],
)
@pytest.mark.parametrize("row_type", ["note", "text"])
def test_a_label_given_only_as_an_image_is_replaced_by_the_name_on_its_row(tmp_path, column, kind, row_type):
    survey = [["type", "name", "label::English (en)", column],
              ["text", "a", "A", None], [row_type, "logo", None, "logo.png"], ["text", "b", "B", "b.png"]]
    path = xlsform(tmp_path, survey)
    result = import_xlsform(path)
    form = result.questionnaire
    assert form is not None and [(q.code, q.libelle) for q in form.questions()] == [
        ("a", "A"), ("logo", "logo"), ("b", "B")]
    assert messages(result) == [
        f"survey, ligne 3, colonne {column} : pas de libellé, seulement {kind} : le nom « logo » sert de libellé",
        f"survey, ligne 4, colonne {column} : colonne non prise en charge : ignorée",
    ]
    assert not result.review and result.status == "valide"


def test_an_image_only_label_is_a_form_pyxform_accepts(tmp_path):
    xls2xform = pytest.importorskip("pyxform.xls2xform")
    path = xlsform(tmp_path, [["type", "name", "label", "media::image"], ["note", "logo", None, "logo.png"]])
    assert "<h:html" in xls2xform.convert(str(path)).xform
    assert import_xlsform(path).errors == []


def test_a_choice_label_given_only_as_an_image_is_replaced_by_its_code(tmp_path):
    choices = [["list_name", "name", "label", "media::image"], ["l", "x", None, "x.png"], ["l", "y", "Y", None]]
    result = imported(tmp_path, [HEADER, ["select_one l", "a", "A", None, None]], choices)
    assert result.questionnaire is not None
    assert [(c.code, c.libelle) for c in result.questionnaire.question("a").choix] == [("x", "x"), ("y", "Y")]
    assert messages(result) == [
        "choices, ligne 2, colonne media::image : choix « x » : pas de libellé, seulement une image : "
        "son code sert de libellé",
    ]


# --------------------------------------------------------------------------------------------
# What Maillage does not do: reported, skipped, the rest imported


@pytest.mark.parametrize(
    "kind",
    ["calculate", "geopoint", "geotrace", "image", "audio", "barcode", "acknowledge", "range", "hidden", "time",
     "start", "select_one_from_file communes.csv", "rank yn", "Datetime"],
)
def test_each_unsupported_row_type_is_reported_with_its_row_and_skipped(tmp_path, kind):
    survey = [HEADER, ["text", "avant", "Avant", None, None], [kind, "autre", "Autre", None, None],
              ["integer", "apres", "Après", None, None]]
    result = imported(tmp_path, survey, YES_NO)
    assert shape(result) == [("questions", ["avant", "apres"])]
    assert result.problems == [
        XLSFormProblem("survey", 3, "type", f"type « {kind} » non pris en charge : ligne ignorée", fatal=False)
    ]
    assert str(result.problems[0]) == (
        f"survey, ligne 3, colonne type : type « {kind} » non pris en charge : ligne ignorée"
    )


def test_an_unknown_type_is_reported_as_unknown(tmp_path):
    result = imported(tmp_path, [HEADER, ["txet", "a", "A", None, None], ["text", "b", "B", None, None]])
    assert messages(result) == ["survey, ligne 2, colonne type : type « txet » inconnu : ligne ignorée"]
    assert shape(result) == [("questions", ["b"])]


def test_a_repeat_is_skipped_as_a_whole_with_one_problem(tmp_path):
    survey = [
        HEADER,
        ["text", "nom", "Nom", None, None],
        ["begin repeat", "membres", "Membres", None, None],
        ["text", "prenom", "Prénom", None, None],
        ["begin group", "detail", "Détail", None, None],
        ["integer", "age", "Âge", None, None],
        ["end group", None, None, None, None],
        ["end repeat", None, None, None, None],
        ["text", "fin", "Fin", "${prenom} != ''", None],
    ]
    result = imported(tmp_path, survey)
    assert shape(result) == [("questions", ["nom", "fin"])]
    assert messages(result) == [
        "survey, ligne 3, colonne type : groupe répété (repeat) « membres » non pris en charge : lignes 3 à 8 ignorées",
        "survey, ligne 9, colonne relevant : « ${prenom} != '' » : ${prenom} désigne une question ignorée (ligne 4) : "
        "condition ignorée : la question sera toujours posée",
    ]
    assert result.questionnaire is not None and result.questionnaire.question("fin").visible_si is None


@pytest.mark.parametrize("column", ["choice_filter", "default", "read_only", "calculation", "media::image"])
def test_an_unsupported_column_with_a_value_is_reported_once_per_row(tmp_path, column):
    survey = [[*HEADER, column], ["text", "a", "A", None, None, "x"], ["text", "b", "B", None, None, None],
              ["text", "c", "C", None, None, "y"]]
    result = imported(tmp_path, survey)
    assert shape(result) == [("questions", ["a", "b", "c"])]
    assert messages(result) == [
        f"survey, ligne {row}, colonne {column} : colonne non prise en charge : ignorée" for row in (2, 4)
    ]


def test_nested_groups_are_flattened_into_their_section_and_their_conditions_kept(tmp_path):
    survey = [
        HEADER,
        ["begin group", "lieu", "Le lieu", "", None],
        ["select_one yn", "itinerant", "Itinérant ?", None, None],
        ["begin group", "tournee", "Tournée", "${itinerant} = 'yes'", None],
        ["integer", "etapes", "Étapes", "${etapes_max} > 0", None],
        ["end group", None, None, None, None],
        ["end group", None, None, None, None],
        ["begin group", "vide", "Vide", None, None],
        ["geopoint", "gps", "GPS", None, None],
        ["end group", None, None, None, None],
        ["text", "fin", "Fin", None, None],
    ]
    result = imported(tmp_path, survey, YES_NO)
    assert shape(result) == [("lieu", ["itinerant", "etapes"]), ("questions", ["fin"])]
    assert result.questionnaire is not None
    assert result.questionnaire.question("etapes").visible_si == "${itinerant} = 'yes'"
    assert messages(result) == [
        "survey, ligne 4, colonne type : groupe imbriqué « tournee » : "
        "ses questions sont rangées dans la section « lieu »",
        "survey, ligne 5, colonne relevant : « ${etapes_max} > 0 » : ${etapes_max} ne désigne aucune question : "
        "condition ignorée : la question sera toujours posée",
        "survey, ligne 8, colonne name : groupe « vide » : aucune question importée, section omise",
        "survey, ligne 9, colonne type : type « geopoint » non pris en charge : ligne ignorée",
    ]


def test_a_group_condition_applies_to_each_of_its_questions_with_their_own(tmp_path):
    survey = [
        HEADER,
        ["select_one yn", "actif", "Actif ?", None, None],
        ["integer", "n", "Combien ?", None, None],
        ["begin group", "detail", "Détail", "${actif} = 'yes'", None],
        ["text", "a", "A", None, None],
        ["text", "b", "B", "${n} > 2", None],
        ["end group", None, None, None, None],
    ]
    result = imported(tmp_path, survey, YES_NO)
    assert result.problems == []
    form = result.questionnaire
    assert form is not None
    assert form.question("a").visible_si == "${actif} = 'yes'"
    assert form.question("b").visible_si == "(${actif} = 'yes') and (${n} > 2)"


@pytest.mark.parametrize(
    ("value", "required"),
    [("yes", True), ("TRUE", True), ("true()", True), ("1", True), ("oui", True), ("Yes", True), (True, True),
     ("no", False), ("false", False), ("0", False), (False, False), (None, False)],
)
def test_required_reads_the_usual_spellings(tmp_path, value, required):
    result = imported(tmp_path, [["type", "name", "label", "required"], ["text", "a", "A", value]])
    assert result.questionnaire is not None and result.questionnaire.question("a").obligatoire is required
    assert result.problems == []


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (["note", "n", "Merci", None, None, "yes"],
         "colonne required : une note ne peut pas être obligatoire : ignoré"),
        (["text", "n", "Merci ${a}", None, None, None],
         "colonne label : référence ${…} dans le libellé : affichée telle quelle"),
        (["select_one yn or_other", "n", "N", None, None, None],
         "colonne type : « or_other » non pris en charge : pas de choix « autre » à préciser"),
        (["geopoint", "n", "N", None, "yes", None], "colonne disabled : ligne désactivée (disabled) : ignorée"),
    ],
)
def test_smaller_differences_are_warnings_on_their_row(tmp_path, row, message):
    survey = [[*HEADER, "disabled", "required"], ["text", "a", "A", None, None, None, None], [*row[:4], None, *row[4:]]]
    result = imported(tmp_path, survey, YES_NO)
    assert result.questionnaire is not None
    assert messages(result) == [f"survey, ligne 3, {message}"]


def test_choices_without_label_use_their_code(tmp_path):
    survey = [HEADER, ["select_one l", "a", "A", None, None]]
    result = imported(tmp_path, survey, [["list_name", "name", "label"], ["l", "x", None], ["l", "y", "Y"]])
    assert result.questionnaire is not None
    assert [(c.code, c.libelle) for c in result.questionnaire.question("a").choix] == [("x", "x"), ("y", "Y")]
    assert messages(result) == ["choices, ligne 2, colonne label : choix « x » sans libellé : son code sert de libellé"]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([["l", "x", "X bis"]],
         "choices, ligne 4, colonne name : choix « x » en double dans la liste « l » (déjà ligne 2) : ligne ignorée"),
        ([["l", None, "Z"]], "choices, ligne 4, colonne name : choix sans « name » : ligne ignorée"),
        ([[None, "z", "Z"]], "choices, ligne 4, colonne list_name : choix sans « list_name » : ligne ignorée"),
        ([[None, None, "Z"]], "choices, ligne 4 : choix sans « list_name » ni « name » : ligne ignorée"),
    ],
)
def test_a_bad_choice_row_is_skipped_and_the_first_of_two_duplicates_kept(tmp_path, rows, message):
    choices = [["list_name", "name", "label"], ["l", "x", "X"], ["l", "y", "Y"], *rows]
    result = imported(tmp_path, [HEADER, ["select_one l", "a", "A", None, None]], choices)
    assert result.questionnaire is not None
    assert [(c.code, c.libelle) for c in result.questionnaire.question("a").choix] == [("x", "X"), ("y", "Y")]
    assert messages(result) == [message]


def test_a_choices_sheet_without_list_name_column_skips_the_selects_and_keeps_the_rest(tmp_path):
    survey = [HEADER, ["select_one yn", "a", "A", None, None], ["text", "b", "B", None, None]]
    result = imported(tmp_path, survey, [["name", "label"], ["yes", "Oui"]])
    assert shape(result) == [("questions", ["b"])]
    assert messages(result) == [
        "survey, ligne 2, colonne type : liste « yn » : onglet « choices » illisible (colonne list_name absente) : "
        "ligne ignorée",
        "choices, ligne 1 : colonne « list_name » absente de l'onglet des choix : aucune liste lisible",
    ]


def test_empty_rows_are_skipped_silently_and_row_numbers_stay_the_sheets(tmp_path):
    survey = [HEADER, [None] * 5, ["text", "a", "A", None, None], [None] * 5, [None] * 5,
              ["geopoint", "gps", "GPS", None, None]]
    result = imported(tmp_path, survey)
    assert shape(result) == [("questions", ["a"])]
    assert [(p.row, p.column) for p in result.problems] == [(6, "type")]


# --------------------------------------------------------------------------------------------
# Codes


@pytest.mark.parametrize(
    ("name", "code"),
    [("Nom-Lieu", "nom_lieu"), ("q1.a", "q1_a"), ("Année", "annee"), ("_meta", "meta"), ("1er", "q_1er"),
     ("nom_lieu", "nom_lieu")],
)
def test_an_xlsform_name_becomes_a_valid_code(name, code):
    assert code_of_name(name) == code


def test_renamed_codes_rewrite_every_reference_and_are_reported(tmp_path):
    survey = [
        HEADER,
        ["select_one yn", "A-Partenaire", "Partenaire ?", None, None],
        ["integer", "Nb.Salaries", "Salariés", "${A-Partenaire} = 'yes'", ". >= 0"],
        ["begin group", "Detail", "Détail", "${Nb.Salaries} > 2", None],
        ["integer", "nb_conseillers", "Conseillers", None, ". <= ${Nb.Salaries}"],
        ["end group", None, None, None, None],
    ]
    result = imported(tmp_path, survey, YES_NO)
    assert shape(result) == [("questions", ["a_partenaire", "nb_salaries"]), ("detail", ["nb_conseillers"])]
    form = result.questionnaire
    assert form is not None
    assert form.question("nb_salaries").visible_si == "${a_partenaire} = 'yes'"
    assert form.question("nb_conseillers").visible_si == "${nb_salaries} > 2"
    assert form.question("nb_conseillers").contrainte == ". <= ${nb_salaries}"
    assert messages(result) == [
        "survey, ligne 2, colonne name : code « A-Partenaire » renommé « a_partenaire »",
        "survey, ligne 3, colonne name : code « Nb.Salaries » renommé « nb_salaries »",
        "survey, ligne 4, colonne name : code de section « Detail » renommé « detail »",
    ]


@pytest.mark.parametrize(
    ("rows", "codes", "expected", "visible_si"),
    [
        # The same name twice: the first keeps it, ${nom} keeps meaning the first.
        ([["text", "nom", "Nom", None, None], ["text", "nom", "Nom bis", None, None]],
         ["nom", "nom_2"],
         ["survey, ligne 3, colonne name : code « nom » en double (déjà ligne 2, « nom ») : "
          "question renommée « nom_2 », ${nom} désigne la première"],
         "${nom} != ''"),
        # Two names giving one code: each ${…} keeps meaning its own question.
        ([["text", "Nom", "Nom", None, None], ["text", "nom", "Nom bis", None, None]],
         ["nom", "nom_2"],
         ["survey, ligne 2, colonne name : code « Nom » renommé « nom »",
          "survey, ligne 3, colonne name : code « nom » en double (déjà ligne 2, « Nom ») : "
          "question renommée « nom_2 »"],
         "${nom_2} != ''"),
        # The new code is not one a later question has.
        ([["text", "nom", "Nom", None, None], ["text", "nom", "Nom bis", None, None],
          ["text", "nom_2", "Nom ter", None, None]],
         ["nom", "nom_3", "nom_2"],
         ["survey, ligne 3, colonne name : code « nom » en double (déjà ligne 2, « nom ») : "
          "question renommée « nom_3 », ${nom} désigne la première"],
         "${nom} != ''"),
    ],
)
def test_two_questions_with_the_same_code_keep_the_first_and_rename_the_second(
        tmp_path, rows, codes, expected, visible_si):
    result = imported(tmp_path, [HEADER, *rows, ["text", "fin", "Fin", "${nom} != ''", None]])
    assert shape(result) == [("questions", [*codes, "fin"])]
    assert messages(result) == expected
    form = result.questionnaire
    assert form is not None and form.question("fin").visible_si == visible_si
    assert [q.libelle for q in form.questions()][:2] == ["Nom", "Nom bis"]


def test_two_groups_with_the_same_code_keep_both_sections_the_second_renamed(tmp_path):
    survey = [HEADER, ["begin group", "Lieu", "L", None, None], ["text", "a", "A", None, None],
              ["end group", None, None, None, None], ["begin group", "lieu", "L bis", None, None],
              ["text", "b", "B", None, None], ["end group", None, None, None, None]]
    result = imported(tmp_path, survey)
    assert shape(result) == [("lieu", ["a"]), ("lieu_2", ["b"])]
    assert messages(result) == [
        "survey, ligne 2, colonne name : code de section « Lieu » renommé « lieu »",
        "survey, ligne 5, colonne name : code de section « lieu » en double (déjà ligne 2, « Lieu ») : "
        "section renommée « lieu_2 »",
    ]


# --------------------------------------------------------------------------------------------
# Expressions Maillage cannot use: dropped, never stricter than the form, the row « à revoir »


@pytest.mark.parametrize(
    ("relevant", "reason"),
    [
        ("${a} = ", "illisible : valeur attendue après « = »"),
        ("${a} = 'x", "illisible : texte non fermé"),
        ("pulldata('lieux', 'nom', 'id', ${a}) = 'x'", "illisible : fonction inconnue « pulldata »"),
        ("jr:choice-name(${a}, '${a}') = 'x'", "illisible"),
        ("${inconnue} = 'x'", "${inconnue} ne désigne aucune question"),
        ("${gps} != ''", "${gps} désigne une question ignorée (ligne 3)"),
        ("${c} = 'x'", "${c} n'est pas une question posée avant"),
    ],
)
def test_an_unusable_condition_is_dropped_and_its_row_is_to_review(tmp_path, relevant, reason):
    survey = [HEADER, ["text", "a", "A", None, None], ["geopoint", "gps", "GPS", None, None],
              ["text", "b", "B", relevant, None], ["text", "c", "C", None, None]]
    result = imported(tmp_path, survey)
    assert result.questionnaire is not None and result.questionnaire.question("b").visible_si is None
    (problem,) = [p for p in result.problems if p.row == 4]
    assert (problem.sheet, problem.column, problem.fatal, problem.severity) == (
        "survey", "relevant", False, "à revoir")
    assert reason in problem.message and problem.message.endswith("condition ignorée : la question sera toujours posée")
    assert result.review == [problem] and result.rows_to_review == [("survey", 4)]
    assert result.status == "à revoir"


R_HEADER = ["type", "name", "label", "required", "relevant", "constraint", "required_message"]
ACTIF = ["select_one yn", "actif", "Actif ?", None, None, None, None]  # row 2
MADE_OPTIONAL = ("question obligatoire, mais {which} est ignorée : rendue facultative, "
                 "pour ne pas l'exiger là où le formulaire ne la pose pas")
SAME_AS_CONDITION = ("obligation « ${actif} = 'yes' » identique à la condition d'affichage : "
                     "question obligatoire quand elle est posée")


@pytest.mark.parametrize(
    ("rows", "question", "review", "warnings"),
    [
        pytest.param(
            [["text", "q", "Q", "yes", "pulldata('x') = 1", None, "Obligatoire !"]],
            (False, None, None, None),
            ["survey, ligne 3, colonne relevant : expression « pulldata('x') = 1 » illisible : "
             "fonction inconnue « pulldata » (caractère 1) : condition ignorée : la question sera toujours posée",
             "survey, ligne 3, colonne required : " + MADE_OPTIONAL.format(which="sa condition d'affichage")],
            [],
            id="condition illisible : l'obligatoire devient facultative",
        ),
        pytest.param(
            [["begin group", "g", "G", None, "${inconnue} = 'oui'", None, None],
             ["text", "q", "Q", "yes", "${actif} = 'yes'", None, None],
             ["end group", None, None, None, None, None, None]],
            (False, "${actif} = 'yes'", None, None),
            ["survey, ligne 3, colonne relevant : « ${inconnue} = 'oui' » : ${inconnue} ne désigne aucune question : "
             "condition du groupe ignorée : ses questions seront toujours posées",
             "survey, ligne 4, colonne required : "
             + MADE_OPTIONAL.format(which="la condition de son groupe (ligne 3)")],
            [],
            id="condition du groupe ignorée : ses obligatoires deviennent facultatives",
        ),
        pytest.param(
            [["geopoint", "gps", "GPS", None, None, None, None],
             ["text", "q", "Q", "TRUE", "${gps} = ''", None, None]],
            (False, None, None, None),
            ["survey, ligne 4, colonne relevant : « ${gps} = '' » : ${gps} désigne une question ignorée (ligne 3) : "
             "condition ignorée : la question sera toujours posée",
             "survey, ligne 4, colonne required : " + MADE_OPTIONAL.format(which="sa condition d'affichage")],
            ["survey, ligne 3, colonne type : type « geopoint » non pris en charge : ligne ignorée"],
            id="condition sur une question ignorée",
        ),
        pytest.param(
            [["integer", "q", "Q", "yes", None, "0 <= . <= 5", None]],
            (True, None, None, None),
            ["survey, ligne 3, colonne constraint : expression « 0 <= . <= 5 » illisible : "
             "deux comparaisons de suite (« <= » puis « <= ») : les relier par « and », "
             "par exemple « 0 <= . and . <= 500 » (caractère 8) : "
             "contrainte ignorée : la réponse ne sera pas vérifiée"],
            [],
            id="contrainte illisible : seule la contrainte tombe",
        ),
        pytest.param(
            [["text", "q", "Q", "${actif} = 'yes'", None, None, "Obligatoire !"]],
            (False, None, None, None),
            ["survey, ligne 3, colonne required : "
             "obligation conditionnelle « ${actif} = 'yes' » non prise en charge : question facultative"],
            [],
            id="obligation conditionnelle : facultative",
        ),
        pytest.param(
            [["text", "q", "Q", "pulldata('x') = 1", None, None, None]],
            (False, None, None, None),
            ["survey, ligne 3, colonne required : "
             "obligation conditionnelle « pulldata('x') = 1 » non prise en charge : question facultative"],
            [],
            id="obligation illisible : facultative",
        ),
        pytest.param(
            [["text", "q", "Q", "${actif}='yes'", "${actif} = 'yes'", None, "Obligatoire !"]],
            (True, "${actif} = 'yes'", None, "Obligatoire !"),
            [],
            ["survey, ligne 3, colonne required : obligation « ${actif}='yes' » identique à la condition d'affichage : "
             "question obligatoire quand elle est posée"],
            id="obligation identique à la condition : obligatoire quand posée",
        ),
        pytest.param(
            [["begin group", "g", "G", None, "${actif} = 'yes'", None, None],
             ["text", "q", "Q", "${actif} = 'yes'", None, None, None],
             ["end group", None, None, None, None, None, None]],
            (True, "${actif} = 'yes'", None, None),
            [],
            ["survey, ligne 4, colonne required : " + SAME_AS_CONDITION],
            id="obligation identique à la condition du groupe",
        ),
        pytest.param(
            [["text", "q", "Q", "pulldata('x') = 1", "pulldata('x') = 1", None, None]],
            (False, None, None, None),
            ["survey, ligne 3, colonne relevant : expression « pulldata('x') = 1 » illisible : "
             "fonction inconnue « pulldata » (caractère 1) : condition ignorée : la question sera toujours posée",
             "survey, ligne 3, colonne required : "
             "obligation conditionnelle « pulldata('x') = 1 » non prise en charge : question facultative"],
            [],
            id="obligation identique à une condition illisible : facultative",
        ),
        pytest.param(
            [["text", "q", "Q", "yes", "${actif} = 'yes'", ". != 'x'", None]],
            (True, "${actif} = 'yes'", ". != 'x'", None),
            [],
            [],
            id="tout est lisible : rien à revoir",
        ),
    ],
)
def test_a_dropped_expression_never_leaves_a_question_stricter_than_the_form(tmp_path, rows, question, review,
                                                                              warnings):
    result = imported(tmp_path, [R_HEADER, ACTIF, *rows], YES_NO)
    form = result.questionnaire
    assert form is not None, messages(result)
    q = form.question("q")
    assert (q.obligatoire, q.visible_si, q.contrainte, q.message_obligatoire) == question
    assert [str(p) for p in result.review] == review
    assert [str(p) for p in result.warnings] == warnings
    assert result.status == ("à revoir" if review else "valide")


def test_the_rows_to_review_are_listed_once_each_in_workbook_order(tmp_path):
    survey = [R_HEADER, ACTIF,
              ["text", "a", "A", "yes", "${x} = 1", None, None],
              ["text", "b", "B", None, None, None, None],
              ["integer", "c", "C", "${a} = ''", None, "1 < . < 3", None]]
    result = imported(tmp_path, survey, YES_NO)
    assert [(p.row, p.column) for p in result.review] == [
        (3, "relevant"), (3, "required"), (5, "constraint"), (5, "required")]
    assert result.rows_to_review == [("survey", 3), ("survey", 5)]
    assert result.review_summary() == "2 lignes à revoir (survey : lignes 3 et 5)"
    assert imported(tmp_path, [R_HEADER, ACTIF], YES_NO, name="b.xlsx").review_summary() is None


# --------------------------------------------------------------------------------------------
# A row pyxform would refuse: reported on its row, skipped or repaired, the rest imported


@pytest.mark.parametrize(
    ("rows", "expected", "sections"),
    [
        pytest.param(
            [["end group", None, None, None, None]],
            ["survey, ligne 3, colonne type : « end group » sans « begin group » : ligne ignorée"],
            [("questions", ["a", "z"])], id="end group orphelin : ignoré"),
        pytest.param(
            [["begin group", "g", "G", None, None]],
            ["survey, ligne 3, colonne type : groupe « g » sans « end group » : fermé à la fin du formulaire"],
            [("questions", ["a"]), ("g", ["z"])], id="groupe jamais fermé : fermé à la fin"),
        pytest.param(
            [["begin repeat", "r", "R", None, None], ["text", "b", "B", None, None]],
            ["survey, ligne 3, colonne type : groupe répété (repeat) « r » non pris en charge, "
             "sans « end repeat » : lignes 3 à 5 ignorées"],
            [("questions", ["a"])], id="repeat jamais fermé : ignoré jusqu'à la fin"),
        pytest.param(
            [["end_repeat", None, None, None, None]],
            ["survey, ligne 3, colonne type : « end_repeat » sans « begin repeat » : ligne ignorée"],
            [("questions", ["a", "z"])], id="end repeat orphelin : ignoré"),
        pytest.param(
            [[None, "x", "X", None, None]],
            ["survey, ligne 3, colonne type : question sans type : ligne ignorée"],
            [("questions", ["a", "z"])], id="sans type : ignorée"),
        pytest.param(
            [["text", None, "X", None, None]],
            ["survey, ligne 3, colonne name : question sans nom : ligne ignorée"],
            [("questions", ["a", "z"])], id="sans nom : ignorée"),
        pytest.param(
            [["text", "x", None, None, None]],
            ["survey, ligne 3, colonne label : libellé manquant : le nom « x » sert de libellé"],
            [("questions", ["a", "x", "z"])], id="sans libellé : son nom"),
        pytest.param(
            [["begin group", None, "Sans nom", None, None], ["text", "b", "B", None, None],
             ["end group", None, None, None, None]],
            ["survey, ligne 3, colonne name : groupe sans nom : nommé « groupe_ligne_3 »"],
            [("questions", ["a"]), ("groupe_ligne_3", ["b"]), ("questions_2", ["z"])], id="groupe sans nom : nommé"),
        pytest.param(
            [["select_one statut", "s", "S", None, None]],
            ["survey, ligne 3, colonne type : liste « statut » absente de l'onglet « choices » : ligne ignorée"],
            [("questions", ["a", "z"])], id="liste de choix absente : ignorée"),
        pytest.param(
            [["select_one", "s", "S", None, None]],
            ["survey, ligne 3, colonne type : « select_one » sans nom de liste de choix : ligne ignorée"],
            [("questions", ["a", "z"])], id="select sans liste : ignoré"),
    ],
)
def test_a_row_pyxform_would_refuse_is_reported_and_the_rest_imported(tmp_path, rows, expected, sections):
    result = imported(tmp_path, [HEADER, ["text", "a", "A", None, None], *rows, ["text", "z", "Z", None, None]],
                      YES_NO)
    assert shape(result) == sections
    assert messages(result) == expected
    assert result.errors == [] and result.review == [] and result.status == "valide"


def test_a_select_without_a_choices_sheet_is_skipped(tmp_path):
    result = imported(tmp_path, [HEADER, ["select_multiple yn", "x", "X", None, None], ["text", "b", "B", None, None]])
    assert shape(result) == [("questions", ["b"])]
    assert messages(result) == [
        "survey, ligne 2, colonne type : liste « yn » : onglet « choices » absent du classeur : ligne ignorée"]


def test_a_condition_on_a_skipped_row_says_which_row(tmp_path):
    survey = [HEADER, ["select_one statut", "s", "S", None, None], ["text", "b", "B", "${s} = 'x'", None]]
    result = imported(tmp_path, survey, YES_NO)
    assert shape(result) == [("questions", ["b"])]
    assert [str(p) for p in result.review] == [
        "survey, ligne 3, colonne relevant : « ${s} = 'x' » : ${s} désigne une question ignorée (ligne 2) : "
        "condition ignorée : la question sera toujours posée"]


def test_a_column_written_twice_is_read_once_the_first(tmp_path):
    result = imported(tmp_path, [["type", "name", "label", "Label"], ["text", "a", "A", "Autre"]])
    assert result.questionnaire is not None and result.questionnaire.question("a").libelle == "A"
    assert messages(result) == [
        "survey, ligne 1, colonne Label : colonne « Label » en double (déjà « label ») : ignorée"]


# --------------------------------------------------------------------------------------------
# Fatal problems: the form cannot be read as a whole, no questionnaire


def test_a_missing_survey_sheet_is_fatal(tmp_path):
    path = fixtures.write_workbook(tmp_path / "f.xlsx", {"Feuil1": [["type", "name"]], "choices": YES_NO})
    result = import_xlsform(path)
    assert result.questionnaire is None and result.status == "invalide"
    assert messages(result) == ["f.xlsx : onglet « survey » absent (onglets du classeur : « Feuil1 », « choices »)"]


@pytest.mark.parametrize(
    ("header", "missing"),
    [(["Type", "label"], "« name »"), (["name", "label"], "« type »"), (["label"], "« type » et « name »")],
)
def test_a_survey_sheet_without_type_or_name_column_is_fatal(tmp_path, header, missing):
    result = imported(tmp_path, [header, ["text"] * len(header)])
    assert result.questionnaire is None
    assert messages(result) == [f"survey, ligne 1 : colonne {missing} absente de l'onglet des questions"]


@pytest.mark.parametrize(
    "rows", [[], [["geopoint", "gps", "GPS", None, None], ["end group", None, None, None, None]]],
    ids=["en-tête seul", "rien d'importable"],
)
def test_a_form_with_nothing_importable_is_fatal(tmp_path, rows):
    result = imported(tmp_path, [HEADER, *rows])
    assert result.questionnaire is None
    assert [str(p) for p in result.errors] == ["survey : aucune question importable"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "le fichier est vide"),
        (b"type;name;label\ntext;nom;Nom\n", "ce n'est pas un classeur Excel (.xlsx)"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "ancien format Excel (.xls)"),
        (b"PK\x03\x04garbage", "archive zip endommagée"),
    ],
)
def test_bytes_that_are_not_an_xlsx_are_one_fatal_problem(data, message):
    result = import_xlsform_bytes(data, "formulaire.xlsx")
    assert result.questionnaire is None and len(result.problems) == 1
    assert result.problems[0].fatal and result.problems[0].row is None
    assert str(result.problems[0]).startswith(f"formulaire.xlsx : {message}")


def test_a_zip_that_is_not_a_workbook_and_a_broken_workbook_are_fatal():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "bonjour")
    assert "pas un classeur" in import_xlsform_bytes(buffer.getvalue(), "a.xlsx").problems[0].message
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "<not really")
    result = import_xlsform_bytes(buffer.getvalue(), "b.xlsx")
    assert result.questionnaire is None and "illisible ou endommagé" in result.problems[0].message


def test_a_missing_file_is_a_fatal_problem(tmp_path):
    result = import_xlsform(tmp_path / "absent.xlsx")
    assert messages(result) == ["absent.xlsx : fichier introuvable"] and result.questionnaire is None


def test_what_the_questionnaire_model_rejects_becomes_fatal_problems(tmp_path):
    result = import_xlsform(xlsform(tmp_path, [HEADER, ["text", "a", "A", None, None]]), code="Pas Valide")
    assert result.questionnaire is None
    assert messages(result) == ["form.xlsx : champ code : code de questionnaire « Pas Valide » invalide"]


@settings(max_examples=50, database=None, deadline=None)
@given(st.one_of(st.binary(max_size=400), st.binary(max_size=400).map(lambda b: b"PK\x03\x04" + b)))
def test_any_bytes_give_problems_never_a_traceback(data):
    result = import_xlsform_bytes(data, "x.xlsx")
    assert result.questionnaire is None and result.errors


def test_a_truncated_real_form_gives_a_problem_never_a_traceback():
    data = MINI.read_bytes()
    for cut in (len(data) // 3, len(data) // 2, len(data) - 10):
        result = import_xlsform_bytes(data[:cut], "coupe.xlsx")
        assert result.questionnaire is None and result.errors


# --------------------------------------------------------------------------------------------
# The committed realistic fixture


def test_the_committed_fixture_holds_what_its_generator_writes():
    workbook = openpyxl.load_workbook(MINI, read_only=True)
    try:
        for title, rows in fixtures.SHEETS.items():
            assert [list(r) for r in workbook[title].iter_rows(values_only=True)] == rows
    finally:
        workbook.close()


def test_the_committed_fixture_is_a_form_pyxform_converts():
    xls2xform = pytest.importorskip("pyxform.xls2xform")
    assert "<h:html" in xls2xform.convert(str(MINI)).xform


def test_the_realistic_kobo_form_imports_with_each_problem_where_it_is():
    result = import_xlsform(MINI)
    assert shape(result) == [
        ("questions", ["intro"]),
        ("lieu", ["nom_lieu", "typologie", "annee_ouverture"]),
        ("offre", ["services", "autre_service", "itinerance", "nb_communes", "budget"]),
        ("questions_2", ["date_entretien", "commentaires", "precision_gps"]),
    ]
    form = result.questionnaire
    assert form is not None
    assert (form.code, form.version) == ("diagnostic_mini", 3)
    assert form.titre == "Diagnostic d'un lieu de médiation numérique"
    assert [c.code for c in form.question("typologie").choix] == ["ASSO", "MUNI", "CS", "TIERS_LIEUX"]
    assert form.question("nb_communes").visible_si == "${itinerance} = 'oui'"
    assert form.question("budget").visible_si == "${nom_lieu} != ''"
    assert form.question("commentaires").type == "texte_long"
    assert form.question("precision_gps").visible_si is None
    assert all(not p.fatal for p in result.problems)
    assert [(p.sheet, p.row, p.column) for p in result.problems] == [
        ("survey", 1, "label::English (en)"),
        ("survey", 2, "type"), ("survey", 3, "type"),
        ("survey", 6, "name"),
        ("survey", 9, "type"),
        ("survey", 15, "type"),
        ("survey", 16, "default"),
        ("survey", 18, "type"),
        ("survey", 21, "type"),
        ("survey", 26, "relevant"),
        ("choices", 1, "label::English (en)"),
        ("settings", 2, "style"), ("settings", 2, "form_id"),
    ]
    # The GPS question is not asked, so the condition « no GPS position » cannot hold: to review.
    assert result.rows_to_review == [("survey", 26)] and result.status == "à revoir"
    assert result.review_summary() == "1 ligne à revoir (survey : ligne 26)"
