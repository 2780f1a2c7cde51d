"""Fuzzing the XLSForm import: whatever the workbook, French problems saying where, never a traceback.

Workbooks are built with openpyxl from random ``survey``, ``choices`` and ``settings`` sheets
(missing or renamed sheets, headers in any case and language, duplicate columns, types Maillage
knows or not, groups and repeats left open, duplicate names, names that become the same code,
conditions and constraints that are unreadable, refer to later questions, to themselves or to
nothing, cells of every type), plus corrupt archives. For every example:

- ``import_xlsform_bytes`` returns; every problem is French (no raw exception text) and says
  where: a sheet of the workbook (or the file for the whole file), a real row of that sheet, a
  column as written in its header;
- a questionnaire comes out exactly when no problem is fatal; when one is, nothing is published
  (the publishing flow of the CLI and the page is followed on a real store, which stays unchanged);
- a questionnaire that comes out is published, read back from the store and through YAML, equal.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collect.questionnaire import QuestionnaireInvalid, questionnaire_from_dict, questionnaire_to_yaml
from collect.surveys import get_questionnaire, publish_questionnaire
from collect.xlsform import XLSFormImport, import_xlsform_bytes
from models.store import Store
from tests.reliability.storecheck import (
    StoreFactory,
    assert_french,
    damaged,
    dump_difference,
    examples,
    note,
    store_dump,
    workbook_bytes,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "xlsform"
MINI = FIXTURES / "diagnostic-mini.xlsx"

FUZZ = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


@pytest.fixture(scope="module")
def factory(tmp_path_factory: pytest.TempPathFactory) -> StoreFactory:
    return StoreFactory(tmp_path_factory.mktemp("fuzz-xlsform"))


# -- what a workbook may hold --------------------------------------------------------------------

XLSX_ILLEGAL = {chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20))}
TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters=XLSX_ILLEGAL),
               max_size=20)
NAMES = st.one_of(
    st.sampled_from(["a", "b", "c", "nom", "Nom-Lieu", "nom_lieu", "1er", "é", "_x", "services", "g", "r", "a"]), TEXT)
LISTS = st.sampled_from(["yn", "services", "absente", "", "yn extra"])
TYPES = st.one_of(
    st.sampled_from([
        "text", "integer", "decimal", "date", "note", "string", "int", "TEXT", " text ",
        "begin group", "end group", "begin_group", "end_group", "begin repeat", "end repeat", "begin loop",
        "end loop", "geopoint", "calculate", "time", "start", "select_one_from_file x.csv", "acknowledge",
        "select one", "select_one", "select_multiple", "select all that apply", "select1",
    ]),
    LISTS.map(lambda name: f"select_one {name}"),
    LISTS.map(lambda name: f"select_multiple {name} or_other"),
    TEXT,
)
REFERENCES = st.one_of(NAMES.map(lambda name: "${" + name + "}"), st.sampled_from([".", "${", "${}", "$"]))
EXPRESSION_TOKENS = st.one_of(
    REFERENCES,
    st.sampled_from([
        "=", "!=", "<", "<=", ">", ">=", "and", "or", "not(", "(", ")", "'x'", "'yes'", "1", "2.5", "-",
        "selected(", "count-selected(", ",", "today()", "string-length(", "regex(", "'^[0-9]+$'", "'['", "if(",
        "coalesce(", "jr:choice-name(", "pulldata(", "div", "mod", "+", "*", "|", "[", "]", "/", "@", "'", '"',
        "date('2024-02-30')", "true()", "false()", "ou", "et", "non(",
    ]),
)
EXPRESSIONS = st.one_of(
    st.lists(EXPRESSION_TOKENS, min_size=1, max_size=8).map(" ".join),
    st.lists(EXPRESSION_TOKENS, min_size=1, max_size=8).map("".join),
    st.integers(1, 80).map(lambda depth: "(" * depth + "1" + ")" * depth),
    TEXT,
)
YES_NO = st.one_of(st.sampled_from(["yes", "no", "TRUE", "FALSE", "true()", "1", "0", "oui", "", "${a} = 'x'"]), TEXT)
CELLS: dict[str, st.SearchStrategy[Any]] = {
    "type": TYPES, "name": NAMES, "label": TEXT, "hint": TEXT, "relevant": EXPRESSIONS, "constraint": EXPRESSIONS,
    "required": YES_NO, "required_message": TEXT, "constraint_message": TEXT, "disabled": YES_NO,
    "appearance": st.sampled_from(["multiline", "field-list", "minimal", ""]), "choice_filter": TEXT,
    "calculation": EXPRESSIONS, "default": TEXT, "list_name": LISTS, "form_title": TEXT, "form_id": NAMES,
    "version": st.one_of(st.sampled_from(["1", "2024111801", "v2", "-1", "9" * 30]), TEXT),
    "default_language": st.sampled_from(["Français (fr)", "English (en)", "fr", "de"]),
}
ODD_VALUES = st.one_of(
    st.none(), st.integers(-(10**6), 10**6), st.floats(allow_nan=False, allow_infinity=False), st.booleans(),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(2100, 1, 1)),
)


def header_spelling(key: str) -> st.SearchStrategy[str]:
    """A column header as people write it: case, spaces, a language suffix."""
    spaced = key.replace("_", " ")
    options = [key, key.upper(), spaced, f" {spaced.title()} "]
    if key in ("label", "hint", "required_message", "constraint_message"):
        options += [f"{key}::Français (fr)", f"{key}::English (en)", f"{key} :: fr", f"{key}::"]
    return st.sampled_from(options)


@st.composite
def sheet_rows(draw, keys: tuple[str, ...], rows: st.SearchStrategy[int]) -> list[list[Any]]:
    """A header of some of ``keys`` (plus maybe a duplicate, an empty or an unknown column) and rows."""
    chosen = draw(st.lists(st.sampled_from(keys), min_size=1, max_size=len(keys) + 1))
    header: list[Any] = [draw(header_spelling(key)) for key in chosen]
    extra = draw(st.sampled_from([None, "", "media::image", "colonne perso", "type"]))
    if extra is not None:
        header.insert(draw(st.integers(0, len(header))), extra)
    body = []
    for _ in range(draw(rows)):
        row = []
        for key in chosen + ([extra] if extra is not None else []):
            strategy = CELLS.get(key or "", TEXT)
            row.append(draw(st.one_of(strategy, strategy, strategy, st.none(), ODD_VALUES)))
        body.append(row)
    return [header, *body]


SURVEY_KEYS = ("type", "name", "label", "relevant", "constraint", "required", "hint", "required_message",
               "constraint_message", "appearance", "disabled", "choice_filter", "calculation")
CHOICE_KEYS = ("list_name", "name", "label")
SETTING_KEYS = ("form_title", "form_id", "version", "default_language", "style")


GOOD_TYPES = ("text", "integer", "decimal", "date", "note", "select_one yn", "select_multiple services",
              "begin group", "end group", "geopoint", "begin repeat", "end repeat")
GOOD_CONDITIONS = ("${q0} = 'x'", "${q1} > 2", "selected(${q2}, 'ateliers')", "not(${q0} = '')", ". > 0",
                   "string-length(.) <= 10", "${q3} != 'yes' and ${q0} = 'a'", "count-selected(.) >= 1")
SURVEY_HEADER = ["type", "name", "label", "relevant", "constraint", "required", "hint"]


@st.composite
def near_valid_survey(draw) -> list[list[Any]]:
    """A well-formed survey sheet (balanced groups, unique names, labels), then a few cells changed."""
    rows: list[list[Any]] = [list(SURVEY_HEADER)]
    opened: list[str] = []
    for index in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(GOOD_TYPES))
        if kind.startswith("end"):
            if not opened:
                kind = "text"
            else:
                rows.append([f"end {opened.pop()}", None, None, None, None, None, None])
                continue
        if kind.startswith("begin"):
            opened.append(kind.split()[1])
        relevant = draw(st.one_of(st.none(), st.none(), st.sampled_from(GOOD_CONDITIONS)))
        constraint = draw(st.one_of(st.none(), st.none(), st.sampled_from(GOOD_CONDITIONS)))
        required = draw(st.sampled_from([None, "yes", "no"]))
        rows.append([kind, f"q{index}", f"Question {index}", relevant, constraint, required, None])
    rows += [[f"end {kind}", None, None, None, None, None, None] for kind in reversed(opened)]
    for _ in range(draw(st.integers(0, 3))):
        row = draw(st.integers(1, len(rows) - 1))
        column = draw(st.integers(0, len(SURVEY_HEADER) - 1))
        rows[row][column] = draw(st.one_of(st.none(), CELLS[SURVEY_HEADER[column]], ODD_VALUES))
    return rows


USUAL_CHOICES = [["list_name", "name", "label"], ["yn", "yes", "Oui"], ["yn", "no", "Non"],
                 ["services", "ateliers", "Ateliers"], ["services", "autre", "Autre"]]


@st.composite
def forms(draw) -> tuple[bytes, dict[str, list[list[Any]]]]:
    """The bytes of a random XLSForm and the sheets it was built from."""
    sheets: dict[str, list[list[Any]]] = {}
    if draw(st.booleans()):
        sheets["survey"] = draw(near_valid_survey())
        sheets["choices"] = USUAL_CHOICES + draw(st.lists(st.lists(st.one_of(st.none(), LISTS, TEXT), max_size=3),
                                                           max_size=2))
    elif draw(st.integers(0, 9)):
        title = draw(st.sampled_from(["survey", "Survey", "SURVEY ", "survey", "survey"]))
        sheets[title] = draw(sheet_rows(SURVEY_KEYS, st.integers(0, 12)))
    if "choices" not in sheets and draw(st.booleans()):
        choices = draw(sheet_rows(CHOICE_KEYS, st.integers(0, 6)))
        if draw(st.booleans()):  # the usual lists, so that selects often find theirs
            choices = USUAL_CHOICES + choices[1:]
        sheets[draw(st.sampled_from(["choices", "Choices"]))] = choices
    if draw(st.booleans()):
        sheets["settings"] = draw(sheet_rows(SETTING_KEYS, st.integers(0, 2)))
    if draw(st.booleans()) or not sheets:
        sheets[draw(st.sampled_from(["Feuil1", "external_choices", "notes"]))] = [["a"], [draw(TEXT)]]
    return workbook_bytes(sheets), sheets


# -- checks -------------------------------------------------------------------------------------


def _cell_text(value: Any) -> str:
    return "" if value is None else str(value)


def check_problems(result: XLSFormImport, name: str, sheets: dict[str, list[list[Any]]] | None) -> None:
    """Each problem is French and says where: a sheet (or the file), a real row, a written column."""
    quoted = [name, *(title for title in sheets or {})]
    for rows in (sheets or {}).values():
        quoted += [_cell_text(value).strip() for row in rows for value in row]
    for problem in result.problems:
        assert_french(problem.message, quoted=tuple(quoted))
        assert_french(str(problem), quoted=tuple(quoted))
        if sheets is None:  # a damaged copy of the realistic form
            assert problem.sheet in (name, "survey", "choices", "settings"), problem
            continue
        if problem.sheet == name:
            continue
        titles = {title.strip(): title for title in sheets}
        assert problem.sheet in titles, problem
        rows = sheets[titles[problem.sheet]]
        if problem.row is not None:
            assert 1 <= problem.row <= len(rows), problem
        if problem.column is not None:
            written = {_cell_text(value).strip() for value in rows[0]} if rows else set()
            assert problem.column in written, problem
    assert (result.questionnaire is None) == bool(result.errors), [str(p) for p in result.problems]


def publish_like_the_app(store: Store, data: bytes, name: str) -> XLSFormImport:
    """What ``maillage questionnaire publish`` and the page do: import, then publish only a questionnaire."""
    result = import_xlsform_bytes(data, name)
    if result.questionnaire is not None:
        with store.atomic() as con:
            publish_questionnaire(con, result.questionnaire, by="test")
    return result


def run_form(factory: StoreFactory, data: bytes, name: str, sheets: dict[str, list[list[Any]]] | None) -> None:
    with factory.fresh() as store:
        result = publish_like_the_app(store, data, name)
        check_problems(result, name, sheets)
        after = store_dump(store)
        if result.questionnaire is None:
            note("refusé")
            assert after == factory.dump, dump_difference(factory.dump, after)
            return
        note("questionnaire publié")
        published = store.query("SELECT id, code, version FROM questionnaires")
        assert len(published) == 1
        with store.connect() as con:
            stored = get_questionnaire(con, published[0]["id"]).questionnaire
        expected = result.questionnaire.model_copy(update={"version": published[0]["version"]})
        assert stored == expected
        try:
            reread = questionnaire_from_dict(yaml.safe_load(questionnaire_to_yaml(result.questionnaire)))
        except QuestionnaireInvalid as error:  # pragma: no cover - shown by the assertion
            raise AssertionError(f"le YAML écrit ne se relit pas : {error}") from None
        assert reread == result.questionnaire


# -- tests --------------------------------------------------------------------------------------


@settings(FUZZ, max_examples=examples(70))
@given(form=forms())
def test_random_xlsforms_give_french_problems_where_they_are_and_publish_only_what_is_valid(factory, form):
    data, sheets = form
    run_form(factory, data, "formulaire.xlsx", sheets)


@settings(FUZZ, max_examples=examples(20))
@given(data=damaged(MINI.read_bytes()))
def test_corrupt_xlsforms_give_french_problems_and_publish_nothing(factory, data):
    run_form(factory, data, "abime.xlsx", None)


def _form(survey: list[list[Any]], choices: list[list[Any]] | None = None) -> bytes:
    return workbook_bytes({"survey": survey, **({"choices": choices} if choices else {})})


HEADER = ["type", "name", "label", "relevant", "constraint"]


@pytest.mark.parametrize(
    ("case", "survey", "fatal"),
    [
        ("condition sur elle-même", [HEADER, ["text", "a", "A", "${a} = 'x'", None]], False),
        ("cycle entre deux questions", [HEADER, ["text", "a", "A", "${b} = 'x'", None],
                                        ["text", "b", "B", "${a} = 'x'", None]], False),
        ("groupe qui dépend de sa question", [HEADER, ["begin group", "g", "G", "${a} = 'x'", None],
                                               ["text", "a", "A", None, None], ["end group", None, None, None, None]],
         False),
        ("noms en double", [HEADER, ["text", "a", "A", None, None], ["integer", "a", "A2", None, None]], False),
        ("deux noms, un code", [HEADER, ["text", "Nom-Lieu", "A", None, None], ["text", "nom_lieu", "B", None, None]],
         False),
        ("groupe et question du même nom", [HEADER, ["begin group", "a", "G", None, None],
                                            ["text", "a", "A", None, None], ["end group", None, None, None, None]],
         False),
        ("repeat jamais fermé", [HEADER, ["begin repeat", "r", "R", None, None], ["text", "a", "A", None, None]], True),
        ("parenthèses très imbriquées", [HEADER, ["text", "a", "A", None, "(" * 500 + "." + ")" * 500]], False),
        ("expression immense", [HEADER, ["text", "a", "A", None, " or ".join([". = 'x'"] * 5000)]], False),
        ("référence vide", [HEADER, ["text", "a", "A", "${} = 1", "${ a } > 1"]], False),
        ("nom immense", [HEADER, ["text", "n" * 5000, "A", None, None]], False),
        ("en-tête seul", [HEADER], True),
        ("en-têtes en double", [["type", "name", "Type", "label"], ["text", "a", "x", "A"]], False),
        ("2 000 questions", [HEADER, *[["text", f"q{i}", f"Q{i}", None, None] for i in range(2_000)]], False),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_hostile_forms_give_french_problems_where_they_are(factory, case, survey, fatal):
    data = _form(survey)
    run_form(factory, data, "formulaire.xlsx", {"survey": survey})
    assert (import_xlsform_bytes(data, "formulaire.xlsx").questionnaire is None) == fatal


def test_a_form_without_any_survey_sheet_names_the_sheets_it_has(factory):
    data = workbook_bytes({"Questions": [["type", "name"]], "choices": [["list_name", "name", "label"]]})
    result = import_xlsform_bytes(data, "formulaire.xlsx")
    assert [str(p) for p in result.problems] == [
        "formulaire.xlsx : onglet « survey » absent (onglets du classeur : « Questions », « choices »)"]
    run_form(factory, data, "formulaire.xlsx", None)
