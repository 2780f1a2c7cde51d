"""collect.expressions: the safe XPath-like language of conditions (visible_si) and constraints."""

from __future__ import annotations

import datetime
import math
import pickle
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collect.expressions import FUNCTION_NAMES, Expression, ExpressionError, parse_expression
from models.errors import MaillageError

TODAY = datetime.date(2024, 6, 15)


# ---------------------------------------------------------------------------------------------
# Parse errors: French, with what and where


@pytest.mark.parametrize(
    ("text", "reason", "position"),
    [
        pytest.param("${a} = 'oui", "texte non fermé", 8, id="an unclosed quote is reported where it opens"),
        pytest.param('${a} = "oui', "texte non fermé", 8, id="an unclosed double quote too"),
        pytest.param("${a} = ", "valeur attendue après « = »", 8, id="a comparison without right operand"),
        pytest.param("${a} = 'x' and", "valeur attendue après « and »", 15, id="an and without right operand"),
        pytest.param("= 3", "valeur attendue au début", 1, id="an operator without left operand"),
        pytest.param("(${a} = 'x'", "non fermée", 12, id="an unclosed parenthesis"),
        pytest.param("selected(${a}, 'x'", "parenthèse de selected( ouverte au caractère 9", 19,
                     id="an unclosed function call says which call"),
        pytest.param("${a} = 'x')", "sans parenthèse ouvrante", 11, id="a closing parenthesis too many"),
        pytest.param("(${a} 'x')", "opérateur ou « ) » attendu avant « 'x' »", 7,
                     id="two values in parentheses without operator"),
        pytest.param("frobnicate(${a})", "fonction inconnue « frobnicate »", 1, id="an unknown function"),
        pytest.param("count-selectd(${a}) > 1", "vouliez-vous dire « count-selected »", 1,
                     id="a misspelt function gets a suggestion"),
        pytest.param("__import__('os')", "fonction inconnue « __import__ »", 1,
                     id="an import is an unknown function"),
        pytest.param("${a}.__class__", "opérateur attendu avant « . »", 5, id="attribute access is refused"),
        pytest.param("lambda x: x + 1", "mot inconnu « lambda »", 1, id="a lambda is an unknown word"),
        pytest.param("1; 2", "caractère inattendu « ; »", 2, id="two statements are refused"),
        pytest.param("${a}[0]", "caractère inattendu « [ »", 5, id="indexing is refused"),
        pytest.param("${a} = oui", "entre guillemets ('oui')", 8, id="an unquoted text says to quote it"),
        pytest.param("${a} = true", "true()", 8, id="a bare true says to call it"),
        pytest.param("not ${a}", "not(…)", 1, id="not without parentheses says it is a function"),
        pytest.param("${d} < today", "écrire today(…)", 8, id="a function without parentheses says to call it"),
        pytest.param("${a} == 'x'", "l'égalité s'écrit « = »", 6, id="a double equals sign says to write one"),
        pytest.param("${a} && ${b}", "écrire « and »", 6, id="a C-style and says to write and"),
        pytest.param("${a} / 2", "div", 6, id="a slash says division is div"),
        pytest.param("${a} = ’oui’", "guillemet typographique", 8, id="curly quotes say to use straight ones"),
        pytest.param("${a", "référence non fermée", 1, id="an unclosed reference"),
        pytest.param("${a b} = 1", "le code d'une question", 1, id="a reference with a space in its code"),
        pytest.param("${1a} = 1", "le code d'une question", 1, id="a reference starting with a digit"),
        pytest.param("$a = 1", "${code}", 1, id="a dollar without braces"),
        pytest.param("../a = 1", "question parente", 1, id="a parent path is not supported"),
        pytest.param("0 <= . <= 500", "deux comparaisons de suite", 8, id="chained comparisons are refused"),
        pytest.param("selected(${a})", "selected() attend 2 arguments, pas 1", 1,
                     id="a function with too few arguments"),
        pytest.param("today(1)", "today() attend aucun argument, pas 1", 1, id="a function with too many arguments"),
        pytest.param("coalesce(${a})", "au moins 2 arguments", 1, id="coalesce needs two values at least"),
        pytest.param("regex(., '[0-9')", "expression régulière « [0-9 » invalide", 10,
                     id="a literal regular expression that does not compile"),
        pytest.param("regex(., 'a{99999999999}')", "expression régulière", 10,
                     id="a literal regular expression with a huge repetition"),
        pytest.param("${d} > date('2024-13-01')", "date « 2024-13-01 » invalide", 13, id="a literal impossible date"),
        pytest.param("1 2", "opérateur attendu avant « 2 »", 3, id="two numbers without operator"),
        pytest.param("f(1, 2", "fonction inconnue « f »", 1, id="an unknown function before its parenthesis"),
        pytest.param("1, 2", "en dehors des arguments", 2, id="a comma outside a function"),
        pytest.param("(" * 41 + "1" + ")" * 41, "trop imbriquée", 41, id="too many nested parentheses"),
        pytest.param("-" * 41 + "1", "trop imbriquée", 41, id="too many unary minus signs"),
        pytest.param("+".join(["1"] * 102), "trop complexe", 200, id="too long a chain of additions"),
    ],
)
def test_an_unreadable_expression_says_what_and_where_in_french(text: str, reason: str, position: int) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_expression(text)
    error = caught.value
    assert str(error).startswith(f"expression « {text} » : ")
    assert reason in str(error)
    assert error.position == position
    assert str(error).endswith(f"(caractère {position})")


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_an_empty_expression_is_an_error(text: str) -> None:
    with pytest.raises(ExpressionError, match="expression vide"):
        parse_expression(text)


def test_an_expression_error_is_a_value_error_and_a_maillage_error_that_pickles() -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_expression("${a} =")
    error = caught.value
    assert isinstance(error, ValueError)
    assert isinstance(error, MaillageError)
    assert (error.text, error.position) == ("${a} =", 7)
    copy = pickle.loads(pickle.dumps(error))
    assert str(copy) == str(error)


def test_parsing_is_cached() -> None:
    assert parse_expression("${a} = 'oui'") is parse_expression("${a} = 'oui'")


def test_a_non_text_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        parse_expression(3)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# Evaluation over survey cases


@pytest.mark.parametrize(
    ("text", "answers", "current", "expected"),
    [
        # yes/no answers are bools
        pytest.param("${interesse_partenariat} = 'oui'", {"interesse_partenariat": True}, None, True,
                     id="a yes answer equals oui"),
        pytest.param("${interesse_partenariat} = 'oui'", {"interesse_partenariat": False}, None, False,
                     id="a no answer does not equal oui"),
        pytest.param("${interesse_partenariat} = 'non'", {"interesse_partenariat": False}, None, True,
                     id="a no answer equals non"),
        pytest.param("${interesse_partenariat} = 'non'", {}, None, False,
                     id="an unanswered yes-no question equals neither oui nor non"),
        pytest.param("${a} = 'Yes '", {"a": True}, None, True, id="yes words ignore case and spaces"),
        pytest.param("${a} = 'true'", {"a": True}, None, True, id="a yes answer equals the text true"),
        pytest.param("${a} = '1'", {"a": True}, None, True, id="a yes answer equals the text 1"),
        pytest.param("${a} = 1", {"a": True}, None, True, id="a yes answer equals the number 1"),
        pytest.param("${a} = 0", {"a": False}, None, True, id="a no answer equals the number 0"),
        pytest.param("${a} = true()", {"a": True}, None, True, id="a yes answer equals true()"),
        pytest.param("${a} = false()", {"a": False}, None, True, id="a no answer equals false()"),
        pytest.param("${a} = false()", {"a": None}, None, False, id="an unanswered question is not false()"),
        pytest.param("${a} = 'peut-être'", {"a": True}, None, False, id="a yes answer does not equal any text"),
        pytest.param("${a} = ''", {"a": False}, None, False, id="a no answer is not empty"),
        pytest.param("${a} != 'non'", {"a": True}, None, True, id="a yes answer differs from non"),
        pytest.param("not(${a} = 'non')", {"a": True}, None, True, id="not of a false comparison"),
        pytest.param("not(${a} = 'non')", {"a": False}, None, False, id="not of a true comparison"),
        pytest.param("non(${a} = 'non')", {"a": None}, None, True, id="non is the French not"),
        pytest.param("${a}", {"a": True}, None, True, id="a yes answer alone is true"),
        pytest.param("${a}", {"a": False}, None, False, id="a no answer alone is false"),
        # unanswered questions behave as ''
        pytest.param("${x} = ''", {}, None, True, id="an absent answer equals the empty text"),
        pytest.param("${x} = ''", {"x": None}, None, True, id="a None answer equals the empty text"),
        pytest.param("${x} = ''", {"x": []}, None, True, id="a multiple choice with nothing ticked is empty"),
        pytest.param("${x} != ''", {"x": "bonjour"}, None, True, id="a text answer is not empty"),
        pytest.param("string-length(${x})", {}, None, 0, id="an unanswered question has length 0"),
        pytest.param("${x} > 3", {}, None, False, id="an unanswered question is not greater than 3"),
        pytest.param("${x} < 3", {}, None, False, id="an unanswered question is not less than 3"),
        pytest.param("${x} = 0", {}, None, False, id="an unanswered question is not zero"),
        pytest.param("${x} > 3", {"x": float("nan")}, None, False, id="a table's missing value is unanswered"),
        pytest.param("${x}", {"x": ""}, None, "", id="an empty text alone is false"),
        # multiple choice
        pytest.param("selected(${services}, 'aide_admin') and ${nb_salaries} > 2",
                     {"services": ["numerique", "aide_admin"], "nb_salaries": 3}, None, True,
                     id="a ticked service and enough employees"),
        pytest.param("selected(${services}, 'aide_admin') and ${nb_salaries} > 2",
                     {"services": ["numerique"], "nb_salaries": 3}, None, False,
                     id="a service not ticked"),
        pytest.param("selected(${services}, 'aide_admin') and ${nb_salaries} > 2",
                     {"services": ["aide_admin"], "nb_salaries": "2"}, None, False,
                     id="too few employees given as a text"),
        pytest.param("selected(${services}, 'aide_admin')", {}, None, False,
                     id="nothing is selected in an unanswered question"),
        pytest.param("selected(${statut}, 'asso')", {"statut": "asso"}, None, True,
                     id="selected on a single choice is equality"),
        pytest.param("selected(${statut}, 'asso')", {"statut": "association"}, None, False,
                     id="selected on a single choice is not a prefix test"),
        pytest.param("selected(${s}, 'b')", {"s": "a b c"}, None, True,
                     id="selected on codes stored space separated"),
        pytest.param("selected(${s}, 'b')", {"s": ("a", "b")}, None, True, id="selected on a tuple of codes"),
        pytest.param("selected(${a}, 'oui')", {"a": True}, None, True, id="selected on a yes answer"),
        pytest.param("count-selected(${besoins}) <= 3", {"besoins": ["a", "b", "c"]}, None, True,
                     id="three needs are at most three"),
        pytest.param("count-selected(${besoins}) <= 3", {"besoins": ["a", "b", "c", "d"]}, None, False,
                     id="four needs are more than three"),
        pytest.param("count-selected(${besoins})", {}, None, 0, id="an unanswered multiple choice counts 0"),
        pytest.param("${services} = 'a b'", {"services": ["a", "b"]}, None, True,
                     id="a list compares as its codes joined by spaces"),
        pytest.param("${services} = 'a'", {"services": ["a"]}, None, True, id="a one-item list equals its code"),
        # constraints on the current value
        pytest.param(". >= 0 and . <= 500", {}, 250, True, id="a number within bounds"),
        pytest.param(". >= 0 and . <= 500", {}, 501, False, id="a number above the bound"),
        pytest.param(". >= 0 and . <= 500", {}, -1, False, id="a negative number"),
        pytest.param(". >= 0 and . <= 500", {}, "12", True, id="a number typed as text"),
        pytest.param(". >= 0 and . <= 500", {}, "12,5", True, id="a number with a French decimal comma"),
        pytest.param(". >= 0 and . <= 500", {}, "douze", False, id="a text that is not a number"),
        pytest.param(". >= 0 and . <= 500", {}, Decimal("2.5"), True, id="a decimal number"),
        pytest.param(". <= ${salaries}", {"salaries": 4}, 3, True, id="a constraint against another answer"),
        pytest.param(". <= ${salaries}", {"salaries": 4}, 5, False, id="a constraint broken by another answer"),
        pytest.param("regex(., '^[0-9]{5}$')", {}, "69001", True, id="a valid postal code"),
        pytest.param("regex(., '^[0-9]{5}$')", {}, "6900", False, id="a postal code too short"),
        pytest.param("regex(., '^[0-9]{5}$')", {}, 69001, True, id="a postal code given as a number"),
        pytest.param("regex(., '^[0-9]{5}$')", {}, None, False, id="no postal code"),
        pytest.param("regex(., ${motif})", {"motif": "^a"}, "abc", True, id="a pattern taken from an answer"),
        pytest.param("regex(., ${motif})", {"motif": "[a"}, "abc", False,
                     id="a broken pattern from an answer is false"),
        pytest.param("string-length(.) <= 10", {}, "court", True, id="a short text"),
        pytest.param("contains(., '@')", {}, "a@b.fr", True, id="a text contains a character"),
        pytest.param("starts-with(., '06')", {}, "0612345678", True, id="a text starts with a prefix"),
        pytest.param("starts-with(., '06')", {}, None, False, id="an empty text starts with nothing given"),
        # numbers and arithmetic
        pytest.param("${a} = ${b}", {"a": "3", "b": 3.0}, None, True, id="numeric text and number compare as numbers"),
        pytest.param("${a} = ${b}", {"a": "01", "b": "1"}, None, True, id="two numeric texts compare as numbers"),
        pytest.param("${a} < ${b}", {"a": "9", "b": "10"}, None, True, id="numbers do not compare as texts"),
        pytest.param("${a} < ${b}", {"a": "b", "b": "a"}, None, False, id="texts compare as texts"),
        pytest.param("${a} > 3", {"a": "abc"}, None, False, id="a text is never greater than a number"),
        pytest.param("${a} = 3", {"a": "abc"}, None, False, id="a text never equals a number"),
        pytest.param("${a} + ${b}", {"a": 2, "b": "3"}, None, 5, id="addition of a number and a numeric text"),
        pytest.param("${a} + 1 > 3", {"a": "abc"}, None, False, id="arithmetic on a text is not a number"),
        pytest.param("${a} + 1 != 3", {"a": "abc"}, None, True, id="NaN differs from everything"),
        pytest.param("${a} div ${b}", {"a": 1, "b": 0}, None, None, id="division by zero is unanswered"),
        pytest.param("${a} div ${b} > 0", {"a": 1, "b": 0}, None, False, id="division by zero compares false"),
        pytest.param("${a} mod 0", {"a": 7}, None, None, id="modulo by zero is unanswered"),
        pytest.param("7 mod -3", {}, None, 1, id="mod keeps the sign of the dividend"),
        pytest.param("-7 mod 3", {}, None, -1, id="mod of a negative dividend"),
        pytest.param("1 + 2 * 3 - 4 div 2", {}, None, 5.0, id="multiplication before addition"),
        pytest.param("(1 + 2) * 3", {}, None, 9, id="parentheses first"),
        pytest.param("- ${a} * 2", {"a": 3}, None, -6, id="unary minus"),
        pytest.param("1 = 1 or 1 = 2 and 1 = 3", {}, None, True, id="and binds tighter than or"),
        pytest.param("1 = 1 ou 1 = 2 et 1 = 3", {}, None, True, id="French et and ou"),
        pytest.param("1 = 1 AND 2 = 2", {}, None, True, id="keywords ignore case"),
        pytest.param("number('2.5') * 2", {}, None, 5.0, id="number of a text"),
        pytest.param("number('abc') = number('abc')", {}, None, False, id="number of a non-number is NaN"),
        pytest.param("string(3.0)", {}, None, "3", id="string of a whole float"),
        pytest.param("string(${a})", {"a": True}, None, "true", id="string of a yes answer"),
        pytest.param("string(${a})", {"a": ["x", "y"]}, None, "x y", id="string of a multiple choice"),
        # dates
        pytest.param("${date_debut} <= today()", {"date_debut": datetime.date(2024, 6, 1)}, None, True,
                     id="a date before the injected today"),
        pytest.param("${date_debut} <= today()", {"date_debut": datetime.date(2024, 7, 1)}, None, False,
                     id="a date after the injected today"),
        pytest.param("${date_debut} <= today()", {"date_debut": "2024-06-15"}, None, True,
                     id="an ISO text on the injected today"),
        pytest.param("${date_debut} <= today()", {}, None, False, id="no date is not before today"),
        pytest.param("today()", {}, None, "2024-06-15", id="today is an ISO text"),
        pytest.param("date('2024-01-01')", {}, None, datetime.date(2024, 1, 1), id="date of an ISO text"),
        pytest.param("date(0)", {}, None, datetime.date(1970, 1, 1), id="date of a number of days"),
        pytest.param("date(${d})", {"d": "pas une date"}, None, None, id="date of an unreadable text is unanswered"),
        pytest.param(". > date('2024-01-01')", {}, datetime.datetime(2024, 1, 2, 8, 30), True,
                     id="a datetime compares with a date"),
        pytest.param("${d} = '2024-01-01'", {"d": datetime.date(2024, 1, 1)}, None, True,
                     id="a date equals its ISO text"),
        # other functions
        pytest.param("coalesce(${a}, 'défaut')", {}, None, "défaut", id="coalesce of an unanswered question"),
        pytest.param("coalesce(${a}, 'défaut')", {"a": "x"}, None, "x", id="coalesce of an answered question"),
        pytest.param("if(${a} > 2, 'grand', 'petit')", {"a": 3}, None, "grand", id="if takes its first branch"),
        pytest.param("if(${a} > 2, 'grand', 'petit')", {}, None, "petit", id="if takes its second branch"),
        pytest.param("if(true(), 1, 1 div 0)", {}, None, 1, id="if does not evaluate the other branch"),
        pytest.param("${x} = \"l'école\"", {"x": "l'école"}, None, True,
                     id="a double-quoted text with an apostrophe"),
        pytest.param("${a.b-c} = 'x'", {"a.b-c": "x"}, None, True, id="codes may contain dots and hyphens"),
    ],
)
def test_an_expression_evaluates_like_xlsform_over_survey_answers(text, answers, current, expected) -> None:
    expression = parse_expression(text)
    result = expression.evaluate(answers, current=current, today=TODAY)
    assert result == expected and type(result) is type(expected)
    assert expression.is_true(answers, current=current, today=TODAY) is _xpath_bool(expected)


def _xpath_bool(value) -> bool:
    if value is None or value == "" or value == []:
        return False
    if isinstance(value, float) and math.isnan(value):
        return False
    return bool(value) if isinstance(value, (bool, int, float)) else True


def test_the_missing_values_and_scalars_of_a_table_behave_as_answers() -> None:
    import numpy as np
    import pandas as pd

    empty = parse_expression("${x} = '' and not(${x} > 3) and string-length(${x}) = 0")
    for missing in (pd.NA, pd.NaT, np.nan, float("nan"), [pd.NA, None]):
        assert empty.is_true({"x": missing}), missing
    assert parse_expression("${n} + 1 = 4 and ${b} = 'oui'").is_true({"n": np.int64(3), "b": np.bool_(True)})
    assert parse_expression("selected(${s}, 'b')").is_true({"s": np.array(["a", "b"])})
    assert parse_expression("${d} <= today()").is_true({"d": pd.Timestamp("2024-01-01")}, today=TODAY)


def test_today_defaults_to_the_real_date() -> None:
    assert parse_expression("today()").evaluate({}) == datetime.date.today().isoformat()


def test_an_injected_datetime_for_today_counts_as_its_date() -> None:
    assert parse_expression("today()").evaluate({}, today=datetime.datetime(2024, 1, 2, 23, 0)) == "2024-01-02"


def test_answers_may_be_none() -> None:
    assert parse_expression("${a} = ''").is_true(None)


@pytest.mark.parametrize(
    ("text", "references"),
    [
        pytest.param("${a} = 'oui'", {"a"}, id="one reference"),
        pytest.param("selected(${services}, 'x') and ${nb} > 2 or ${services} = ''", {"services", "nb"},
                     id="each code once"),
        pytest.param(". >= 0 and . <= ${max}", {"max"}, id="the current value is not a reference"),
        pytest.param("true()", set(), id="no reference"),
        pytest.param("'${a}' = 'x'", set(), id="a reference inside a text is text"),
    ],
)
def test_references_are_the_codes_used(text: str, references: set[str]) -> None:
    assert parse_expression(text).references() == references


def test_references_cannot_alter_the_cached_expression() -> None:
    expression = parse_expression("${a} = 1")
    expression.references().add("b")
    assert expression.references() == {"a"}


def test_an_expression_knows_its_text() -> None:
    expression = parse_expression("${a} = 1")
    assert isinstance(expression, Expression)
    assert expression.text == "${a} = 1"
    assert "count-selected" in FUNCTION_NAMES and "non" in FUNCTION_NAMES


# ---------------------------------------------------------------------------------------------
# Properties: never any other exception


TOKENS = [
    "${a}", "${b}", "${c}", ".", "'oui'", '"x"', "''", "0", "3", "2.5", "-", "+", "*", "div", "mod",
    "=", "!=", "<", "<=", ">", ">=", "and", "or", "et", "ou", "(", ")", ",", "not(", "non(",
    "selected(", "count-selected(", "string-length(", "regex(", "'^[0-9]+$'", "'['", "today()", "date(",
    "'2024-01-01'", "number(", "string(", "coalesce(", "if(", "contains(", "starts-with(", "true()",
    "false()", "${", "}", "'", '"', "$", ";", "..", "__import__", "lambda", ":", "[", "]", "==",
]

ANSWER_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.decimals(allow_nan=True),
    st.text(max_size=8),
    st.sampled_from(["oui", "non", "", "12", "2,5", "2024-01-01", "a b"]),
    st.lists(st.sampled_from(["a", "b", "aide_admin", "1"]), max_size=4),
    st.dates(),
    st.datetimes(),
)
ANSWERS = st.dictionaries(st.sampled_from(["a", "b", "c"]), ANSWER_VALUES)
RANDOM_TEXT = st.one_of(
    st.text(max_size=40),
    st.lists(st.sampled_from(TOKENS), max_size=14).map(" ".join),
    st.lists(st.sampled_from(TOKENS), max_size=14).map("".join),
)


def _expressions() -> st.SearchStrategy[str]:
    leaves = st.sampled_from(
        ["${a}", "${b}", "${c}", ".", "'oui'", "''", "'a'", "0", "3", "2.5", "true()", "false()", "today()",
         "date('2024-01-01')"]
    )

    def extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        binary = st.tuples(
            children,
            st.sampled_from(["=", "!=", "<", "<=", ">", ">=", "and", "or", "+", "-", "*", "div", "mod"]),
            children,
        ).map(lambda t: f"({t[0]} {t[1]} {t[2]})")
        one = st.tuples(
            st.sampled_from(["not", "non", "count-selected", "string-length", "number", "string", "-"]),
            children,
        ).map(lambda t: f"{t[0]}({t[1]})")
        # date() of a computed value (a literal that is not a date would be a parse error)
        computed_date = children.map(lambda child: f"date(string({child}))")
        two = st.tuples(
            st.sampled_from(["selected", "coalesce", "contains", "starts-with", "regex"]), children, children
        ).map(lambda t: f"{t[0]}({t[1]}, {t[2]})")
        literal_regex = st.tuples(children, st.sampled_from(["^[0-9]{5}$", "a|b", ""])).map(
            lambda t: f"regex({t[0]}, '{t[1]}')"
        )
        three = st.tuples(children, children, children).map(lambda t: f"if({t[0]}, {t[1]}, {t[2]})")
        return st.one_of(binary, one, computed_date, two, literal_regex, three)

    return st.recursive(leaves, extend, max_leaves=12)


FAST = settings(max_examples=300, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(text=RANDOM_TEXT, answers=ANSWERS, current=ANSWER_VALUES)
def test_random_text_parses_or_raises_an_expression_error_and_then_evaluates(text, answers, current) -> None:
    try:
        expression = parse_expression(text)
    except ExpressionError as error:
        assert str(error).startswith("expression « ")
        assert error.position is None or 1 <= error.position <= len(text) + 1
        return
    expression.evaluate(answers, current=current, today=TODAY)
    assert isinstance(expression.is_true(answers, current=current), bool)


@FAST
@given(text=_expressions(), answers=ANSWERS, current=ANSWER_VALUES)
def test_a_well_formed_expression_evaluates_on_any_answers_without_raising(text, answers, current) -> None:
    expression = parse_expression(text)
    assert expression.references() <= {"a", "b", "c"}
    result = expression.evaluate(answers, current=current, today=TODAY)
    assert result is None or isinstance(result, (bool, int, float, str, list, datetime.date))
    assert isinstance(expression.is_true(answers, current=current, today=TODAY), bool)
