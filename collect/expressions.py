"""A small, safe expression language for question conditions and constraints.

Questionnaires (``visible_si``, ``contrainte``) and imported XLSForms (``relevant``,
``constraint``) write conditions in the subset of ODK XPath that people actually use::

    ${interesse_partenariat} = 'oui'
    selected(${services}, 'aide_admin') and ${nb_salaries} > 2
    . >= 0 and . <= 500
    regex(., '^[0-9]{5}$')
    count-selected(${besoins}) <= 3
    ${date_debut} <= today()

The text is read by a hand-written tokenizer and recursive-descent parser into a small tree of
nodes evaluated by this module: no ``eval``/``exec``/``compile``, no attribute access, no names
other than the operators and the functions listed below. :func:`parse_expression` is cached.

Grammar (EBNF; keywords and function names are case-insensitive, spaces are free)::

    expression  = or_expr ;
    or_expr     = and_expr , { ( "or" | "ou" ) , and_expr } ;
    and_expr    = comparison , { ( "and" | "et" ) , comparison } ;
    comparison  = additive , [ ( "=" | "!=" | "<" | "<=" | ">" | ">=" ) , additive ] ;
    additive    = multiplicative , { ( "+" | "-" ) , multiplicative } ;
    multiplicative = unary , { ( "*" | "div" | "mod" ) , unary } ;
    unary       = "-" , unary | primary ;
    primary     = number | string | reference | "." | "(" , or_expr , ")" | call ;
    call        = function , "(" , [ or_expr , { "," , or_expr } ] , ")" ;
    reference   = "${" , code , "}" ;            (* code = [A-Za-z_][A-Za-z0-9_.-]* *)
    number      = digits , [ "." , [ digits ] ] | "." , digits ;
    string      = "'" , { any character but "'" } , "'" | '"' , { any character but '"' } , '"' ;
    function    = "selected" | "count-selected" | "string-length" | "regex" | "today" | "date"
                | "number" | "string" | "coalesce" | "if" | "contains" | "starts-with"
                | "not" | "non" | "true" | "false" ;

One deliberate difference with XPath: comparisons do not chain. ``0 <= . <= 500`` means
``(0 <= .) <= 500`` in XPath (always true); here it is a parse error that says to write
``0 <= . and . <= 500``. Parse errors are :class:`ExpressionError` with a French message giving
what is wrong and where (``caractère N``, counted from 1): unclosed quote or parenthesis, missing
operand, unknown function (with a suggestion), wrong number of arguments, invalid literal regular
expression or date, too deep nesting.

Evaluation (:meth:`Expression.evaluate`, :meth:`Expression.is_true`) takes the answers of a form
(``{code: value}``), the value of the current question for ``.`` (constraints) and optionally the
date of "today". It never raises for ordinary data:

* An unanswered question — ``None``, or a code absent from ``answers`` — behaves as the empty
  string: ``${x} = ''`` is true, ``string-length(${x})`` is 0, ``${x} > 3`` and ``${x} < 3`` are
  false (an ordering comparison with an empty side is false). An empty list (multiple choice with
  nothing ticked) is empty too. Missing values of a table (``float('nan')``, ``pandas.NA``,
  ``NaT``) are unanswered.
* Yes/no answers are Python bools. ``True`` equals ``'oui'``, ``'yes'``, ``'true'``, ``'vrai'``,
  ``'1'``, the number 1 and ``true()``; ``False`` equals ``'non'``, ``'no'``, ``'false'``,
  ``'faux'``, ``'0'``, the number 0 and ``false()`` (words compared without case or surrounding
  spaces). Unanswered is neither: ``${a} = 'non'`` and ``${a} = false()`` are false when ``a`` is
  ``None``, and ``False`` does not equal ``''``.
* Multiple-choice answers are lists of codes. ``selected(${x}, 'a')`` tests membership,
  ``count-selected(${x})`` is the length, and a list compared with ``=`` (or anything else) is its
  codes joined with spaces, as in XLSForm. A single-choice answer is a ``str``: ``selected`` is
  then equality (or membership in the space-separated codes, for answers stored XLSForm-style).
* Comparisons: when both sides are numbers or numeric strings (``'12'``, ``' 2.5'``, ``'2,5'``)
  they compare as numbers; a number against a non-numeric text is never equal nor ordered;
  dates (``datetime.date`` or ISO strings such as ``today()``) compare as ISO strings; anything
  else compares as strings. Booleans order as 1 and 0 (XPath).
* Arithmetic (``+ - * div mod``, unary ``-``) converts both sides to numbers; a side that is not
  a number gives NaN, and every comparison with NaN is false (``!=`` is true). Division or modulo
  by zero gives ``None`` (unanswered), never ``ZeroDivisionError``. ``mod`` keeps the sign of the
  dividend (XPath). Integers beyond 2**53 become floats.
* ``and``/``or``/``not`` and :meth:`Expression.is_true` use the XPath boolean of a value: ``None``,
  ``''``, ``[]``, ``0`` and NaN are false; other numbers, texts (even ``'non'``), lists and dates
  are true; bools are themselves.

Functions:

* ``selected(x, code)``, ``count-selected(x)``: see multiple choice above.
* ``string-length(x)``: the length of the text of ``x`` (a list: its joined codes).
* ``regex(x, pattern)``: ``re.search`` of the pattern in the text of ``x``. A literal pattern is
  compiled when parsing (an invalid one is a parse error); patterns are cached. A computed pattern
  that does not compile gives false.
* ``today()``: today's date as an ISO string (``evaluate(..., today=date(2024, 1, 1))`` fixes it).
* ``date(x)``: a ``datetime.date`` from an ISO text (``'2024-01-01'``, a time part is ignored), a
  date, or a number of days since 1970-01-01 (XPath); ``None`` when unreadable. A literal text that
  is not a valid ISO date is a parse error.
* ``number(x)`` (NaN when not a number; ``true`` is 1), ``string(x)``.
* ``coalesce(a, b, …)``: the first value that is not empty. ``if(condition, a, b)``: only the
  chosen branch is evaluated.
* ``contains(a, b)``, ``starts-with(a, b)`` on texts; ``not(x)`` (also ``non(x)``), ``true()``,
  ``false()``.
"""

from __future__ import annotations

import datetime
import decimal
import difflib
import math
import numbers
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any, NamedTuple

from models.errors import MaillageError

__all__ = ["FUNCTION_NAMES", "Expression", "ExpressionError", "parse_expression"]

# Limits that keep parsing and evaluation far from Python's recursion limit.
MAX_NESTING = 40  # parentheses, function calls and unary minus inside one another
MAX_DEPTH = 100  # depth of the evaluated tree (and/or chains are flat and do not count)

_NAN = float("nan")
_INT_BOUND = 2**53  # integers beyond are floats (exact integer arithmetic is not the point here)
_EPOCH = datetime.date(1970, 1, 1)

TRUE_WORDS = frozenset({"oui", "yes", "true", "vrai", "1"})
FALSE_WORDS = frozenset({"non", "no", "false", "faux", "0"})


class ExpressionError(MaillageError, ValueError):
    """An expression that cannot be read. ``str(error)`` says what and where, in French.

    ``text`` is the expression, ``reason`` what is wrong, ``position`` the character it concerns
    (counted from 1; ``len(text) + 1`` for "at the end"; ``None`` when it concerns the whole text).
    """

    def __init__(self, text: str, reason: str, position: int | None = None) -> None:
        where = f" (caractère {position})" if position is not None else ""
        super().__init__(f"expression « {text} » : {reason}{where}")
        self.text = text
        self.reason = reason
        self.position = position

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.text, self.reason, self.position))


# ---------------------------------------------------------------------------------------------
# Values


def _bounded(value: int | float) -> int | float:
    """Integers stay ints while exact in a float; beyond, they become floats (maybe infinite)."""
    if isinstance(value, int) and not -_INT_BOUND <= value <= _INT_BOUND:
        try:
            return float(value)
        except OverflowError:
            return math.inf if value > 0 else -math.inf
    return value


def _normalize(value: Any) -> Any:
    """An answer as one of: None, bool, int, float, str, date/datetime, list of those."""
    if value is None or isinstance(value, (bool, str)):
        return value
    kind = type(value)
    if kind.__name__ in ("NAType", "NaTType"):  # pandas.NA, pandas.NaT (a datetime subclass)
        return None
    if isinstance(value, float):
        return None if value != value else float(value)  # a table's missing value
    if isinstance(value, int):
        return _bounded(int(value))
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [item for item in map(_normalize, value) if item is not None]
        return items if isinstance(value, (list, tuple)) else sorted(items, key=_to_string)
    if kind.__module__ == "numpy":
        if kind.__name__ in ("bool_", "bool"):
            return bool(value)
        if hasattr(value, "tolist"):  # numpy scalars and arrays
            return _normalize(value.tolist())
    if isinstance(value, numbers.Integral):
        return _bounded(int(value))
    if isinstance(value, (numbers.Real, decimal.Decimal)):  # Fraction, Decimal (not a Real)
        try:
            number = float(value)
        except (ValueError, OverflowError):
            return None
        return None if number != number else number
    return str(value)


def _format_number(value: int | float) -> str:
    if isinstance(value, int):
        return str(value)
    if value != value:
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def _to_string(value: Any) -> str:
    """XPath ``string()``: '' for unanswered, 'true'/'false', ISO dates, codes joined by spaces."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return _format_number(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list):
        return " ".join(_to_string(item) for item in value)
    return str(value)


_NUMERIC_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+|[0-9]+,[0-9]+)")


def _parse_number(text: str) -> int | float | None:
    """The number a text spells (decimal point or French comma), else None."""
    text = text.strip()
    if not _NUMERIC_TEXT.fullmatch(text):
        return None
    if "." not in text and "," not in text and len(text) <= 16:
        return _bounded(int(text))
    return float(text.replace(",", "."))


def _numeric(value: Any) -> int | float | None:
    """The number a value is or spells (bools are 1 and 0), else None."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        return _parse_number(value)
    if isinstance(value, list):
        return _parse_number(_to_string(value))
    return None


def _to_number(value: Any) -> int | float:
    """XPath ``number()``: NaN when the value is not a number."""
    number = _numeric(value)
    return _NAN if number is None else number


def _to_bool(value: Any) -> bool:
    """XPath ``boolean()``."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value == value and value != 0
    if isinstance(value, (str, list)):
        return len(value) > 0
    return True


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, (str, list)) and len(value) == 0)


def _items(value: Any) -> list[str]:
    """The codes of a choice answer: a list's items, or the space-separated codes of a text."""
    if value is None:
        return []
    if isinstance(value, list):
        return [_to_string(item) for item in value]
    return _to_string(value).split()


def _bool_matches(flag: bool, other: Any) -> bool:
    if isinstance(other, bool):
        return flag == other
    if isinstance(other, (int, float)):
        return other == (1 if flag else 0)
    if isinstance(other, str):
        return other.strip().lower() in (TRUE_WORDS if flag else FALSE_WORDS)
    return False  # unanswered, dates


def _equals(left: Any, right: Any) -> bool:
    if isinstance(left, list):
        left = _to_string(left)
    if isinstance(right, list):
        right = _to_string(right)
    if isinstance(left, bool):
        return _bool_matches(left, right)
    if isinstance(right, bool):
        return _bool_matches(right, left)
    a, b = _numeric(left), _numeric(right)
    if a is not None and b is not None:
        return a == b
    if isinstance(left, (int, float)) or isinstance(right, (int, float)):
        return False  # a number and a text that is not one
    return _to_string(left) == _to_string(right)


_ORDERINGS: dict[str, Callable[[Any, Any], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _compare(operator: str, left: Any, right: Any) -> bool:
    if operator == "=":
        return _equals(left, right)
    if operator == "!=":
        return not _equals(left, right)
    if isinstance(left, list):
        left = _to_string(left)
    if isinstance(right, list):
        right = _to_string(right)
    if _is_empty(left) or _is_empty(right):
        return False
    order = _ORDERINGS[operator]
    a, b = _numeric(left), _numeric(right)
    if a is not None and b is not None:
        return order(a, b)  # NaN: false
    if isinstance(left, (bool, int, float)) or isinstance(right, (bool, int, float)):
        return False  # a number and a text that is not one
    return order(_to_string(left), _to_string(right))  # dates as ISO strings, texts


def _arithmetic(operator: str, left: Any, right: Any) -> int | float | None:
    a, b = _to_number(left), _to_number(right)
    if a != a or b != b:
        return _NAN
    try:
        if operator == "+":
            result = a + b
        elif operator == "-":
            result = a - b
        elif operator == "*":
            result = a * b
        elif b == 0:
            return None  # division or modulo by zero
        elif operator == "div":
            result = a / b
        else:  # mod, with the sign of the dividend as in XPath
            result = math.fmod(a, b)
            if isinstance(a, int) and isinstance(b, int):
                result = int(result)
    except (OverflowError, ValueError):
        return _NAN
    return _bounded(result)


_ISO_DATE = re.compile(r"\s*([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[T ][0-9:.,+Z-]*)?\s*")


def _to_date(value: Any) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if value is None or isinstance(value, (bool, list)):
        return None
    if isinstance(value, (int, float)):
        try:
            return _EPOCH + datetime.timedelta(days=math.floor(value))
        except (OverflowError, ValueError):
            return None
    match = _ISO_DATE.fullmatch(_to_string(value))
    if not match:
        return None
    try:
        return datetime.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


@lru_cache(maxsize=256)
def _compile_regex(pattern: str) -> re.Pattern[str] | str:
    """The compiled pattern, or the reason it does not compile."""
    try:
        return re.compile(pattern)
    except re.error as error:
        return error.msg
    except (OverflowError, RecursionError, ValueError, TypeError) as error:
        return str(error)


# ---------------------------------------------------------------------------------------------
# Tree


class _Env:
    __slots__ = ("answers", "current", "today")

    def __init__(self, answers: Mapping[str, Any], current: Any, today: datetime.date | None) -> None:
        self.answers = answers
        self.current = current
        self.today = today


class _Node:
    __slots__ = ("depth", "pos")

    def __init__(self, pos: int, *children: _Node) -> None:
        self.pos = pos
        self.depth = 1 + max((child.depth for child in children), default=0)

    def compute(self, env: _Env) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError


class _Literal(_Node):
    __slots__ = ("value",)

    def __init__(self, pos: int, value: Any) -> None:
        super().__init__(pos)
        self.value = value

    def compute(self, env: _Env) -> Any:
        return self.value


class _Reference(_Node):
    __slots__ = ("code",)

    def __init__(self, pos: int, code: str) -> None:
        super().__init__(pos)
        self.code = code

    def compute(self, env: _Env) -> Any:
        return _normalize(env.answers.get(self.code))


class _Current(_Node):
    __slots__ = ()

    def compute(self, env: _Env) -> Any:
        return _normalize(env.current)


class _Negative(_Node):
    __slots__ = ("operand",)

    def __init__(self, pos: int, operand: _Node) -> None:
        super().__init__(pos, operand)
        self.operand = operand

    def compute(self, env: _Env) -> Any:
        return -_to_number(self.operand.compute(env))


class _Logic(_Node):
    """``and``/``or`` over any number of operands, short-circuited."""

    __slots__ = ("is_and", "operands")

    def __init__(self, pos: int, is_and: bool, operands: list[_Node]) -> None:
        super().__init__(pos, *operands)
        self.is_and = is_and
        self.operands = operands

    def compute(self, env: _Env) -> bool:
        for operand in self.operands:
            if _to_bool(operand.compute(env)) != self.is_and:
                return not self.is_and
        return self.is_and


class _Binary(_Node):
    __slots__ = ("left", "operator", "right")

    def __init__(self, pos: int, operator: str, left: _Node, right: _Node) -> None:
        super().__init__(pos, left, right)
        self.operator = operator
        self.left = left
        self.right = right

    def compute(self, env: _Env) -> Any:
        left, right = self.left.compute(env), self.right.compute(env)
        if self.operator in _COMPARISONS:
            return _compare(self.operator, left, right)
        return _arithmetic(self.operator, left, right)


class _Call(_Node):
    __slots__ = ("args", "function", "pattern")

    def __init__(self, pos: int, function: _Function, args: list[_Node]) -> None:
        super().__init__(pos, *args)
        self.function = function
        self.args = args
        self.pattern: re.Pattern[str] | None = None  # regex() with a literal pattern

    def compute(self, env: _Env) -> Any:
        return self.function.impl(self, env)


# ---------------------------------------------------------------------------------------------
# Functions (each receives its call node, to evaluate only the arguments it needs)


def _arg(call: _Call, env: _Env, index: int) -> Any:
    return call.args[index].compute(env)


def _fn_selected(call: _Call, env: _Env) -> bool:
    answer, code = _arg(call, env, 0), _to_string(_arg(call, env, 1))
    if isinstance(answer, bool):
        return _bool_matches(answer, code)
    if isinstance(answer, list):
        return code in _items(answer)
    text = _to_string(answer)
    return bool(text) and (text == code or code in text.split())


def _fn_regex(call: _Call, env: _Env) -> bool:
    text = _to_string(_arg(call, env, 0))
    pattern = call.pattern
    if pattern is None:
        compiled = _compile_regex(_to_string(_arg(call, env, 1)))
        if isinstance(compiled, str):
            return False
        pattern = compiled
    return pattern.search(text) is not None


def _fn_today(call: _Call, env: _Env) -> str:
    today = env.today if env.today is not None else datetime.date.today()
    if isinstance(today, datetime.datetime):
        today = today.date()
    return today.isoformat()


def _fn_coalesce(call: _Call, env: _Env) -> Any:
    value = None
    for arg in call.args:
        value = arg.compute(env)
        if not _is_empty(value):
            return value
    return value


def _fn_if(call: _Call, env: _Env) -> Any:
    return _arg(call, env, 1) if _to_bool(_arg(call, env, 0)) else _arg(call, env, 2)


class _Function(NamedTuple):
    min_args: int
    max_args: int | None
    impl: Callable[[_Call, _Env], Any]


_FUNCTIONS: dict[str, _Function] = {
    "selected": _Function(2, 2, _fn_selected),
    "count-selected": _Function(1, 1, lambda call, env: len(_items(_arg(call, env, 0)))),
    "string-length": _Function(1, 1, lambda call, env: len(_to_string(_arg(call, env, 0)))),
    "regex": _Function(2, 2, _fn_regex),
    "today": _Function(0, 0, _fn_today),
    "date": _Function(1, 1, lambda call, env: _to_date(_arg(call, env, 0))),
    "number": _Function(1, 1, lambda call, env: _to_number(_arg(call, env, 0))),
    "string": _Function(1, 1, lambda call, env: _to_string(_arg(call, env, 0))),
    "coalesce": _Function(2, None, _fn_coalesce),
    "if": _Function(3, 3, _fn_if),
    "contains": _Function(
        2, 2, lambda call, env: _to_string(_arg(call, env, 1)) in _to_string(_arg(call, env, 0))
    ),
    "starts-with": _Function(
        2, 2, lambda call, env: _to_string(_arg(call, env, 0)).startswith(_to_string(_arg(call, env, 1)))
    ),
    "not": _Function(1, 1, lambda call, env: not _to_bool(_arg(call, env, 0))),
    "true": _Function(0, 0, lambda call, env: True),
    "false": _Function(0, 0, lambda call, env: False),
}
_ALIASES = {"non": "not"}
FUNCTION_NAMES: tuple[str, ...] = tuple(sorted([*_FUNCTIONS, *_ALIASES]))


# ---------------------------------------------------------------------------------------------
# Tokens


class _Token(NamedTuple):
    kind: str  # num, str, ref, dot, name, op, eof, error
    value: Any  # the number, text, code, name or operator; the reason for an error
    pos: int  # 0-based
    end: int


_CODE = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z_][A-Za-z0-9_]*)*")
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+")
_OPERATORS = ("!=", "<=", ">=", "=", "<", ">", "+", "-", "*", "(", ")", ",")
_HINTS = {
    "==": "« == » n'existe pas : l'égalité s'écrit « = »",
    "<>": "« <> » n'existe pas : la différence s'écrit « != »",
    "&&": "« && » n'existe pas : écrire « and »",
    "||": "« || » n'existe pas : écrire « or »",
    "!": "« ! » seul n'existe pas : la négation s'écrit not(…), la différence « != »",
    "&": "« & » n'existe pas : écrire « and »",
    "|": "« | » n'existe pas : écrire « or »",
    "/": "« / » n'existe pas : la division s'écrit « div »",
    "%": "« % » n'existe pas : le reste de la division s'écrit « mod »",
    "..": "« .. » (question parente) n'est pas pris en charge",
}
_TYPOGRAPHIC_QUOTES = "‘’‚‛“”„«»‹›"


# Long: one tokenizer loop over the characters; its branches share the position and read together.
def _tokenize(text: str) -> list[_Token]:
    """The tokens of the text, ending with ``eof`` — or with an ``error`` token at the first
    character that cannot start a token (the parser reports it when it reaches it)."""
    tokens: list[_Token] = []
    i, n = 0, len(text)

    def error(reason: str, pos: int) -> list[_Token]:
        tokens.append(_Token("error", reason, pos, pos + 1))
        return tokens

    while True:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            tokens.append(_Token("eof", None, n, n))
            return tokens
        char = text[i]
        if char == "$":
            if not text.startswith("${", i):
                return error("« $ » doit ouvrir une référence à une question : ${code}", i)
            close = text.find("}", i + 2)
            if close < 0:
                return error("référence non fermée : « } » attendue après ${", i)
            code = text[i + 2 : close]
            if not _CODE.fullmatch(code):
                return error(
                    f"référence « ${{{code}}} » : le code d'une question commence par une lettre "
                    "ou « _ » et ne contient que lettres, chiffres, « _ », « . » et « - »",
                    i,
                )
            tokens.append(_Token("ref", code, i, close + 1))
            i = close + 1
        elif char in "'\"":
            close = text.find(char, i + 1)
            if close < 0:
                return error(f"texte non fermé : le guillemet {char} ouvert ici n'est pas refermé", i)
            tokens.append(_Token("str", text[i + 1 : close], i, close + 1))
            i = close + 1
        elif match := _NUMBER.match(text, i):
            literal = match.group()
            if "." in literal or len(literal) > 16:
                value: int | float = float(literal)
            else:
                value = int(literal)
            tokens.append(_Token("num", value, i, match.end()))
            i = match.end()
        elif char == ".":
            if text.startswith("..", i):
                return error(_HINTS[".."], i)
            tokens.append(_Token("dot", ".", i, i + 1))
            i += 1
        elif match := _NAME.match(text, i):
            tokens.append(_Token("name", match.group(), i, match.end()))
            i = match.end()
        else:
            for hint in ("==", "<>", "&&", "||"):
                if text.startswith(hint, i):
                    return error(_HINTS[hint], i)
            for operator in _OPERATORS:
                if text.startswith(operator, i):
                    tokens.append(_Token("op", operator, i, i + len(operator)))
                    i += len(operator)
                    break
            else:
                if char in _HINTS:
                    return error(_HINTS[char], i)
                if char in _TYPOGRAPHIC_QUOTES:
                    return error(f"guillemet typographique « {char} » : écrire les textes entre ' ou \"", i)
                return error(f"caractère inattendu « {char} »", i)


# ---------------------------------------------------------------------------------------------
# Parser

_COMPARISONS = frozenset({"=", "!=", "<", "<=", ">", ">="})
_ADDITIVE = frozenset({"+", "-"})
_MULTIPLICATIVE = frozenset({"*", "div", "mod"})
_WORD_OPERATORS = {"and": "and", "et": "and", "or": "or", "ou": "or", "div": "div", "mod": "mod"}


def _operator(token: _Token) -> str | None:
    if token.kind == "op":
        return token.value
    if token.kind == "name":
        return _WORD_OPERATORS.get(token.value.lower())
    return None


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.index = 0
        self.nesting = 0
        self.references: set[str] = set()

    # -- helpers

    def error(self, reason: str, pos: int | None) -> ExpressionError:
        return ExpressionError(self.text, reason, None if pos is None else pos + 1)

    def peek(self, ahead: int = 0) -> _Token:
        token = self.tokens[min(self.index + ahead, len(self.tokens) - 1)]
        if token.kind == "error":
            raise self.error(token.value, token.pos)
        return token

    def source(self, token: _Token) -> str:
        return self.text[token.pos : token.end]

    def node(self, node: _Node) -> _Node:
        if node.depth > MAX_DEPTH:
            raise self.error(f"expression trop complexe (plus de {MAX_DEPTH} opérations imbriquées)", node.pos)
        return node

    def enter(self, token: _Token) -> None:
        self.nesting += 1
        if self.nesting > MAX_NESTING:
            raise self.error(
                f"expression trop imbriquée (plus de {MAX_NESTING} parenthèses, fonctions ou « - » "
                "les unes dans les autres)",
                token.pos,
            )

    def missing_value(self, token: _Token) -> ExpressionError:
        if self.index == 0:
            if token.kind == "eof":
                return self.error("expression vide", None)
            return self.error(f"valeur attendue au début, avant « {self.source(token)} »", token.pos)
        previous = self.source(self.tokens[self.index - 1])
        return self.error(f"valeur attendue après « {previous} »", token.pos)

    # -- grammar

    def parse(self) -> _Node:
        root = self.parse_logic(is_and=False)
        token = self.peek()
        if token.kind != "eof":
            if token.kind == "op" and token.value == ")":
                raise self.error("parenthèse fermante « ) » sans parenthèse ouvrante", token.pos)
            if token.kind == "op" and token.value == ",":
                raise self.error("« , » en dehors des arguments d'une fonction", token.pos)
            raise self.error(f"opérateur attendu avant « {self.source(token)} »", token.pos)
        return root

    def parse_logic(self, is_and: bool) -> _Node:
        parse_operand = self.parse_comparison if is_and else (lambda: self.parse_logic(is_and=True))
        first = self.peek()
        operands = [parse_operand()]
        while _operator(self.peek()) == ("and" if is_and else "or"):
            self.index += 1
            operands.append(parse_operand())
        if len(operands) == 1:
            return operands[0]
        return self.node(_Logic(first.pos, is_and, operands))

    def parse_comparison(self) -> _Node:
        left = self.parse_binary(_ADDITIVE)
        token = self.peek()
        operator = _operator(token)
        if operator not in _COMPARISONS:
            return left
        self.index += 1
        right = self.parse_binary(_ADDITIVE)
        following = self.peek()
        if _operator(following) in _COMPARISONS:
            raise self.error(
                f"deux comparaisons de suite (« {token.value} » puis « {following.value} ») : "
                "les relier par « and », par exemple « 0 <= . and . <= 500 »",
                following.pos,
            )
        return self.node(_Binary(token.pos, operator, left, right))

    def parse_binary(self, operators: frozenset[str]) -> _Node:
        parse_operand = self.parse_unary if operators is _MULTIPLICATIVE else (
            lambda: self.parse_binary(_MULTIPLICATIVE)
        )
        left = parse_operand()
        while (operator := _operator(token := self.peek())) in operators:
            self.index += 1
            left = self.node(_Binary(token.pos, operator, left, parse_operand()))
        return left

    def parse_unary(self) -> _Node:
        token = self.peek()
        if token.kind == "op" and token.value == "-":
            self.index += 1
            self.enter(token)
            operand = self.parse_unary()
            self.nesting -= 1
            return self.node(_Negative(token.pos, operand))
        return self.parse_primary()

    def parse_primary(self) -> _Node:
        token = self.peek()
        kind = token.kind
        if kind in ("num", "str"):
            self.index += 1
            return _Literal(token.pos, token.value)
        if kind == "ref":
            self.index += 1
            self.references.add(token.value)
            return _Reference(token.pos, token.value)
        if kind == "dot":
            self.index += 1
            return _Current(token.pos)
        if kind == "op" and token.value == "(":
            self.index += 1
            self.enter(token)
            inner = self.parse_logic(is_and=False)
            self.close(token, "parenthèse")
            self.nesting -= 1
            return inner
        if kind == "name" and token.value.lower() not in _WORD_OPERATORS:
            following = self.peek(1)
            if following.kind == "op" and following.value == "(":
                return self.parse_call(token)
            raise self.error(self.bare_word(token.value), token.pos)
        raise self.missing_value(token)

    def close(self, opening: _Token, what: str) -> None:
        token = self.peek()
        if token.kind == "op" and token.value == ")":
            self.index += 1
            return
        where = f"{what} ouverte au caractère {opening.pos + 1}"
        if token.kind == "eof":
            raise self.error(f"{where} non fermée : « ) » attendue", token.pos)
        raise self.error(f"opérateur ou « ) » attendu avant « {self.source(token)} » ({where})", token.pos)

    def bare_word(self, word: str) -> str:
        lower = word.lower()
        if lower in ("true", "false", "vrai", "faux"):
            value = "true" if lower in ("true", "vrai") else "false"
            return f"mot inconnu « {word} » : le booléen s'écrit {value}() (ou le texte '{word}')"
        if lower in ("not", "non"):
            return f"« {word} » s'écrit comme une fonction : {lower}(…)"
        if lower in _FUNCTIONS or lower in _ALIASES:
            return f"« {word} » est une fonction : écrire {word}(…)"
        return (
            f"mot inconnu « {word} » : un texte s'écrit entre guillemets ('{word}'), "
            f"une question ${{{word}}}"
        )

    def parse_call(self, name: _Token) -> _Node:
        word = name.value.lower()
        key = _ALIASES.get(word, word)
        function = _FUNCTIONS.get(key)
        if function is None:
            close = difflib.get_close_matches(word, FUNCTION_NAMES, n=1)
            hint = f" (vouliez-vous dire « {close[0]} » ?)" if close else ""
            raise self.error(f"fonction inconnue « {name.value} »{hint}", name.pos)
        opening = self.peek(1)
        self.index += 2
        self.enter(name)
        args: list[_Node] = []
        token = self.peek()
        if token.kind == "op" and token.value == ")":
            self.index += 1
        else:
            while True:
                args.append(self.parse_logic(is_and=False))
                token = self.peek()
                if token.kind == "op" and token.value == ",":
                    self.index += 1
                    continue
                if token.kind == "op" and token.value == ")":
                    self.index += 1
                    break
                where = f"parenthèse de {name.value}( ouverte au caractère {opening.pos + 1}"
                if token.kind == "eof":
                    raise self.error(f"{where} non fermée : « ) » attendue", token.pos)
                raise self.error(f"« , » ou « ) » attendu avant « {self.source(token)} » ({where})", token.pos)
        self.nesting -= 1
        count = len(args)
        if count < function.min_args or (function.max_args is not None and count > function.max_args):
            if function.max_args is None:
                expected = f"au moins {function.min_args} arguments"
            elif function.min_args == 0:
                expected = "aucun argument"
            else:
                plural = "s" if function.min_args > 1 else ""
                expected = f"{function.min_args} argument{plural}"
            raise self.error(f"{name.value}() attend {expected}, pas {count}", name.pos)
        call = _Call(name.pos, function, args)
        self.check_literals(key, call)
        return self.node(call)

    def check_literals(self, key: str, call: _Call) -> None:
        """Literal regular expressions and dates are checked (and compiled) now."""
        if key == "regex" and isinstance(call.args[1], _Literal):
            literal = call.args[1]
            compiled = _compile_regex(_to_string(literal.value))
            if isinstance(compiled, str):
                raise self.error(
                    f"expression régulière « {_to_string(literal.value)} » invalide : {compiled}", literal.pos
                )
            call.pattern = compiled
        if key == "date" and isinstance(call.args[0], _Literal) and isinstance(call.args[0].value, str):
            literal = call.args[0]
            if _to_date(literal.value) is None:
                raise self.error(
                    f"date « {literal.value} » invalide : une date s'écrit AAAA-MM-JJ, par exemple '2024-01-31'",
                    literal.pos,
                )


# ---------------------------------------------------------------------------------------------
# Public API


class Expression:
    """A parsed expression; immutable and shared (see :func:`parse_expression`)."""

    __slots__ = ("_references", "_root", "text")

    def __init__(self, text: str, root: _Node, references: frozenset[str]) -> None:
        self.text = text
        self._root = root
        self._references = references

    def __repr__(self) -> str:
        return f"Expression({self.text!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Expression) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)

    def references(self) -> set[str]:
        """The codes of the questions used as ``${code}`` (not ``.``)."""
        return set(self._references)

    def evaluate(
        self,
        answers: Mapping[str, Any] | None,
        *,
        current: Any = None,
        today: datetime.date | None = None,
    ) -> Any:
        """The value of the expression for these answers (``current`` is ``.``; ``today`` fixes
        ``today()``). Never raises for ordinary data; see the module docstring for the rules."""
        return self._root.compute(_Env(answers if answers is not None else {}, current, today))

    def is_true(
        self,
        answers: Mapping[str, Any] | None,
        *,
        current: Any = None,
        today: datetime.date | None = None,
    ) -> bool:
        """The XPath boolean of :meth:`evaluate` (a condition holds, a constraint is met)."""
        return _to_bool(self.evaluate(answers, current=current, today=today))


@lru_cache(maxsize=1024)
def parse_expression(text: str) -> Expression:
    """Parse an expression once (cached): raises :class:`ExpressionError` when unreadable."""
    if not isinstance(text, str):
        raise TypeError(f"parse_expression attend un texte, pas {type(text).__name__}")
    parser = _Parser(text)
    try:
        root = parser.parse()
    except RecursionError:  # pragma: no cover - the nesting limits stop well before
        raise ExpressionError(text, "expression trop imbriquée") from None
    return Expression(text, root, frozenset(parser.references))
