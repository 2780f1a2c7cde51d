"""Opening hours as territories' files really hold them, turned into OpenStreetMap ``opening_hours``.

Files carry hours in three shapes, each with its reader:

- free French text (``"Du lundi au vendredi de 9h à 12h et de 14h à 17h"``), or text already in
  OSM syntax: :func:`hours_from_text`;
- one column per day (``horaires_lundi`` = ``"09:00 - 12:00, 13:00 - 18:00"``): :func:`hours_from_days`;
- per day, the opening and closing times of the morning and the afternoon: :func:`hours_from_day_parts`.

:func:`day_column` recognises from a column's name which day (and part of day) it holds, and
:func:`hours_from_columns` applies it to a whole row.

Every reader returns a :class:`HoursReading`. Its ``osm`` is set only when the input is read
entirely and without doubt, and the result always passes ``opening_hours.OpeningHours``. Otherwise
``osm`` is None and ``message`` says why in French, so the caller keeps the text aside. There is no
partial schedule: a single fragment that cannot be read (a place name, "sur rendez-vous",
"2e jeudi du mois", "17h30 le mercredi" in brackets…) makes the whole input unreadable, because a
schedule that silently drops a condition would publish wrong hours. ``osm`` and ``message`` both
None means there was nothing to read (empty cells).

The functions are pure (no I/O) and memoised on their hashable inputs.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import pairwise

from opening_hours import OpeningHours, ParserError

from models.normalize import clean_text

__all__ = [
    "DAYS",
    "PARTS",
    "DayColumn",
    "HoursReading",
    "day_column",
    "days_from_text",
    "hours_from_columns",
    "hours_from_day_parts",
    "hours_from_days",
    "hours_from_text",
]

DAYS: tuple[str, ...] = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
PARTS: tuple[str, ...] = ("matin_ouverture", "matin_fermeture", "apres_midi_ouverture", "apres_midi_fermeture")

_DAY_NAMES = dict(zip(DAYS, ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"), strict=True))
_NOON, _ONE_PM, _MIDNIGHT = 12 * 60, 13 * 60, 24 * 60
_EXCERPT_LENGTH = 70


@dataclass(frozen=True, slots=True)
class HoursReading:
    """What a reader made of some hours: OSM syntax, or None and the reason (French)."""

    osm: str | None
    message: str | None = None

    @property
    def ok(self) -> bool:
        return self.osm is not None


@dataclass(frozen=True, slots=True)
class DayColumn:
    """A column that holds one day's hours: the whole day (``part`` None) or one of :data:`PARTS`."""

    day: str
    part: str | None = None


class _Unreadable(Exception):
    """Why some hours cannot become a schedule; the message is French and ends without a period."""


# --------------------------------------------------------------------------------------------
# Folding: one character for one character, so that offsets point into the original text
# --------------------------------------------------------------------------------------------

_CHAR_MAP = {
    "à": "§", "À": "§",  # "à" between two times; kept apart from the letter a so that "14hà17h" splits
    "–": "-", "—": "-", "‑": "-", "‐": "-", "−": "-",
    "’": "'", "‘": "'", "`": "'", "´": "'",
    "\t": " ", "\r": " ", "\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2007": " ",
}


@lru_cache(maxsize=1024)
def _fold_char(char: str) -> str:
    if char in _CHAR_MAP:
        return _CHAR_MAP[char]
    bare = unicodedata.normalize("NFKD", char)[:1].lower()[:1]
    return bare or char


def _fold(text: str) -> str:
    """Lowercase without accents, same length as ``text`` (``"Fermé à"`` → ``"ferme §"``)."""
    return "".join(map(_fold_char, text))


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _EXCERPT_LENGTH else flat[: _EXCERPT_LENGTH - 1].rstrip() + "…"


# --------------------------------------------------------------------------------------------
# Conditions that OSM hours cannot hold: the text is kept aside whatever else it says
# --------------------------------------------------------------------------------------------

_NO_APPOINTMENT = re.compile(r"sans\s+(?:prise\s+de\s+)?(?:rendez[\s-]*vous|rdv)")
_KEPT_ASIDE = (
    (re.compile(r"rendez[\s-]*vous|(?<![a-z])rdv(?![a-z])"), "ouverture sur rendez-vous"),
    (
        re.compile(
            r"(?<![\w])\d{1,2}\s*(?:er|ere|eme|e|nd|nde)(?![a-z])|premi(?:ere|er)s?|derni(?:ere|er)s?"
            r"|(?<![a-z])(?:du|de\s+chaque|par)\s+mois(?![a-z])"
            r"|(?<![a-z])(?:semaines?\s+)?(?:paires?|impaires?)(?![a-z])"
            r"|sur\s+deux(?![a-z])|tous\s+les\s+\d+\s+jours|toutes\s+les\s+\d+\s+semaines|quinzaine|alternance"
            r"|planification|planning|(?<![a-z])en\s+fonction|(?<![a-z])selon(?![a-z])"
        ),
        "horaires irréguliers",
    ),
    (
        re.compile(
            r"(?<![a-z])(?:vacances|periode|saison|ete|hiver|printemps|automne|janvier|fevrier|mars|avril|mai"
            r"|juin|juillet|aout|septembre|octobre|novembre|decembre|periodes|saisons)(?![a-z])"
        ),
        "horaires qui changent selon la période",
    ),
)


def _kept_aside_reason(text: str, folded: str) -> str | None:
    """The French reason why the text describes hours OSM cannot hold, quoting the words found."""
    masked = _NO_APPOINTMENT.sub(lambda m: " " * len(m[0]), folded)
    for pattern, reason in _KEPT_ASIDE:
        match = pattern.search(masked)
        if match:
            return f"{reason} (« {text[match.start():match.end()].strip()} »)"
    return None


# --------------------------------------------------------------------------------------------
# Tokens
# --------------------------------------------------------------------------------------------

_DAY_WORDS = {
    "lundi": "Mo", "mardi": "Tu", "mercredi": "We", "jeudi": "Th", "vendredi": "Fr", "samedi": "Sa", "dimanche": "Su",
    "lun": "Mo", "mar": "Tu", "mer": "We", "jeu": "Th", "ven": "Fr", "sam": "Sa", "dim": "Su",
}
_EVERY_DAY = frozenset(DAYS)
_WEEKDAYS = frozenset(DAYS[:5])
_WEEKEND = frozenset(DAYS[5:])

_W = r"(?<![a-z0-9])"  # a word starts here
_E = r"(?![a-z])"  # a word ends here
_TIME_START = r"(?<![\d.:])"
_HOUR_WORD = r"(?:h|heures?)"
_TOKEN = re.compile(
    rf"""
      (?P<pm>{_W}apres[\s-]*midis?{_E}|{_W}aprem{_E})
    | (?P<am>{_W}matin(?:s|ee|ees)?{_E})
    | (?P<every>{_W}tous\s+les\s+jours{_E}|{_W}7\s*j(?:ours)?\s*(?:/|sur)\s*7(?!\d))
    | (?P<weekdays>{_W}en\s+semaine{_E}|{_W}jours\s+ouvres{_E})
    | (?P<weekend>{_W}(?:le\s+)?week[\s-]?ends?{_E})
    | (?P<holidays>{_W}(?:jours\s+)?feries{_E})
    | (?P<day>{_W}(?:(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)s?|(?:lun|mar|mer|jeu|ven|sam|dim)\.?){_E})
    | (?P<closed>{_W}(?:ferm(?:e|ee|es|ees|eture|etures)|closed){_E})
    | (?P<except>{_W}(?:sauf|excepte){_E})
    | (?P<hm>{_TIME_START}(?P<hm_h>\d{{1,2}})
             (?:[ ]*:[ ]*(?P<hm_m>[0-5]\d)(?::00)?  (?# 9:30, 7 : 30, 08:00:00)
               |[ ]*{_HOUR_WORD}(?P<hm_m2>[0-5]\d)  (?# 9h30, 9 h30)
               |[ ]*{_HOUR_WORD}[ ]+(?P<hm_m3>00|15|30|45))  (?# 9 h 30, not the 14 of "12h 14-18h")
             (?![\d]|[:.]\d|[ ]*{_HOUR_WORD}(?![a-z])){_E})
    | (?P<dot>{_TIME_START}(?P<dot_h>\d{{1,2}})\.(?P<dot_m>[0-5]\d)(?![\d.]|[ ]*{_HOUR_WORD}{_E}))
    | (?P<hh>{_TIME_START}(?P<hh_h>\d{{1,2}})[ ]*{_HOUR_WORD}{_E})
    | (?P<noon>{_W}midi{_E})
    | (?P<midnight>{_W}minuit{_E})
    | (?P<trunc>{_TIME_START}\d{{1,2}}[ ]*:(?![ ]*\d))
    | (?P<bare>{_TIME_START}(?P<bare_h>\d{{1,2}})(?![\d.:a-z]))
    | (?P<sep>{_W}jusqu'?\s*(?:§|a{_E})|{_W}a(?:ux?)?{_E}|§|{_W}et{_E}|{_W}puis{_E}|--+|-|/|,|;|\.|\n)
    | (?P<filler>
          {_W}sans\s+(?:prise\s+de\s+)?(?:rendez[\s-]*vous|rdv){_E}
        | {_W}(?:en\s+)?(?:acces|accueil)\s+libre{_E}
        | {_W}(?:en\s+)?journees?\s+continues?{_E} | {_W}en\s+continu{_E}
        | {_W}[dl]'
        | {_W}(?:de|des|du|le|les|la|tous|toutes|chaque|uniquement|seulement|jours?|heures?|horaires?
              |ouvertures?|ouverte?s?|accueil|public){_E}
        | [:()\[\]{{}}"!]
      )
    """,
    re.VERBOSE,
)

_SEP_VALUES = {"§": "a", "a": "a", "au": "a", "aux": "a", "et": "et", "puis": "et"}


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # day, days, time, bare, trunc, am, pm, closed, except, holidays, sep
    value: object
    start: int
    end: int


def _tokens(text: str, folded: str) -> list[_Token]:
    """Cut the folded text into tokens; any stretch that is no known word makes the text unreadable."""
    tokens: list[_Token] = []
    unknown: list[tuple[int, int]] = []
    position = 0
    for match in _TOKEN.finditer(folded):
        if folded[position:match.start()].strip():
            _add_span(unknown, position, match.start(), folded)
        position = match.end()
        token = _token_of(match)
        if token is None:
            _add_span(unknown, match.start(), match.end(), folded)
        elif token.kind != "filler":
            tokens.append(token)
    if folded[position:].strip():
        _add_span(unknown, position, len(folded), folded)
    if unknown:
        quoted = ", ".join(f"« {_excerpt(text[start:end].strip())} »" for start, end in unknown[:3])
        raise _Unreadable(f"texte non reconnu : {quoted}")
    return tokens


_PUNCTUATION_ONLY = re.compile(r"[\s:.()\[\]{}\"!'/,;-]*")


def _add_span(spans: list[tuple[int, int]], start: int, end: int, folded: str) -> None:
    """Note an unknown stretch, joined to the previous one when only punctuation lies between."""
    if spans and _PUNCTUATION_ONLY.fullmatch(folded, spans[-1][1], start):
        spans[-1] = (spans[-1][0], end)
    else:
        spans.append((start, end))


def _token_of(match: re.Match[str]) -> _Token | None:
    """The token of one match, or None when it looks like a time but is not one (``25h``)."""
    kind = match.lastgroup
    start, end = match.span()
    if kind == "day":
        word = match[kind].rstrip(".")
        return _Token("day", frozenset({_DAY_WORDS.get(word) or _DAY_WORDS[word[:-1]]}), start, end)
    if kind in ("every", "weekdays", "weekend"):
        days = {"every": _EVERY_DAY, "weekdays": _WEEKDAYS, "weekend": _WEEKEND}[kind]
        return _Token("days", days, start, end)
    if kind in ("hm", "dot", "hh", "bare"):
        hours = int(match[f"{kind}_h"])
        minutes = _minutes_of(match) if kind in ("hm", "dot") else 0
        if hours > 24 or (hours == 24 and minutes):
            return None
        return _Token("bare" if kind == "bare" else "time", hours * 60 + minutes, start, end)
    if kind == "noon":
        return _Token("time", _NOON, start, end)
    if kind == "midnight":
        return _Token("time", _MIDNIGHT, start, end)
    if kind == "sep":
        word = " ".join(match[kind].split()) or "\n"
        return _Token("sep", _separator_value(word), start, end)
    return _Token(kind, None, start, end)


def _minutes_of(match: re.Match[str]) -> int:
    return int(next(filter(None, (match["hm_m"], match["hm_m2"], match["hm_m3"], match["dot_m"]))))


def _separator_value(word: str) -> str:
    """Separators reduced to what matters: "a" (à, au, jusqu'à), "et" (et, puis), ";" (--, .) or themselves."""
    if word.startswith("jusqu"):
        return "a"
    if word[0] in "-." and word != "-":
        return ";"
    return _SEP_VALUES.get(word, word)


# --------------------------------------------------------------------------------------------
# Items: day phrases and time groups made of tokens
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Days:
    days: frozenset[str]
    period: str | None  # "am", "pm" or None
    start: int
    end: int
    after_break: bool = False  # a comma, semicolon, "et" or new line comes just before


@dataclass(frozen=True, slots=True)
class _Times:
    ranges: tuple[tuple[int, int], ...]
    start: int
    end: int
    after_break: bool = False


_DAY_JOINS = frozenset({"-", ",", "et", "a", "/"})
_BREAKS = frozenset({",", ";", "et", "\n"})
_TIME_JOINS = frozenset({"-", "/", "a", ",", ";", "et", "\n"})
_INSIDE_RANGE = frozenset({"-", "/", "a"})
_BETWEEN_RANGES = frozenset({"-", "/", ",", ";", "et", "\n"})
_DAY_KINDS = ("day", "days")
_TIME_KINDS = ("time", "bare", "trunc")


def _joins_after(tokens: list[_Token], index: int) -> tuple[list[str], int]:
    """The separators that follow ``tokens[index - 1]`` and the index of the next other token."""
    joins = []
    while index < len(tokens) and tokens[index].kind == "sep":
        joins.append(tokens[index].value)
        index += 1
    return joins, index


def _items(tokens: list[_Token], text: str) -> list[object]:
    items: list[object] = []
    index = 0
    separators: set[str] = set()
    while index < len(tokens):
        token = tokens[index]
        if token.kind in _DAY_KINDS:
            item, index = _read_days(tokens, index, text)
        elif token.kind in _TIME_KINDS:
            item, index = _read_times(tokens, index, text)
        elif token.kind == "sep":
            separators.add(token.value)
            index += 1
            continue
        else:
            item, index = token, index + 1
        if separators & _BREAKS and isinstance(item, (_Days, _Times)):
            item = replace(item, after_break=True)
        items.append(item)
        separators = set()
    return items


def _read_days(tokens: list[_Token], index: int, text: str) -> tuple[_Days, int]:
    """A day phrase: ``lundi``, ``lundi, mardi et jeudi``, ``du lundi au vendredi``, ``mar-mer-jeu``."""
    elements = [tokens[index]]
    joins: list[list[str]] = []
    index += 1
    while True:
        between, after = _joins_after(tokens, index)
        if after < len(tokens) and tokens[after].kind in _DAY_KINDS and set(between) <= _DAY_JOINS:
            joins.append(between)
            elements.append(tokens[after])
            index = after + 1
        else:
            break
    days = _days_of_phrase(elements, joins, text)
    period = None
    if index < len(tokens) and tokens[index].kind in ("am", "pm"):
        period = tokens[index].kind
        index += 1
    return _Days(days, period, elements[0].start, tokens[index - 1].end), index


def _days_of_phrase(elements: list[_Token], joins: list[list[str]], text: str) -> frozenset[str]:
    """Days named by a phrase; a lone dash between two days is a range, a chain of dashes a list."""
    kinds = [_join_kind(between) for between in joins]
    if len(kinds) >= 2 and all(kind == "dash" for kind in kinds):
        kinds = ["list"] * len(kinds)
    days = set(elements[0].value)
    ended_range = False
    for kind, previous, element in zip(kinds, elements[:-1], elements[1:], strict=True):
        if kind == "list":
            days |= element.value
            ended_range = False
            continue
        if ended_range or previous.kind != "day" or element.kind != "day":
            phrase = text[elements[0].start:elements[-1].end]
            raise _Unreadable(f"suite de jours incompréhensible « {_excerpt(phrase)} »")
        days |= _day_span(next(iter(previous.value)), next(iter(element.value)))
        ended_range = True
    return frozenset(days)


def _join_kind(between: list[str]) -> str:
    if "a" in between:
        return "range"
    if between == ["-"]:
        return "dash"
    return "list"


def _day_span(first: str, last: str) -> set[str]:
    """``Mo``…``Fr`` → the five days; a span may wrap round the week end (``Sa``…``Mo``)."""
    start, stop = DAYS.index(first), DAYS.index(last)
    if start == stop:
        raise _Unreadable(f"plage de jours du {_DAY_NAMES[first]} au {_DAY_NAMES[last]}")
    length = (stop - start) % 7 + 1
    return {DAYS[(start + offset) % 7] for offset in range(length)}


def _read_times(tokens: list[_Token], index: int, text: str) -> tuple[_Times, int]:
    """A run of times (``de 9h à 12h et de 14h à 17h``, ``9h-12h / 14h-17h``) paired into ranges."""
    times = [tokens[index]]
    joins: list[list[str]] = []
    index += 1
    while True:
        between, after = _joins_after(tokens, index)
        if after < len(tokens) and tokens[after].kind in _TIME_KINDS and set(between) <= _TIME_JOINS:
            joins.append(between)
            times.append(tokens[after])
            index = after + 1
        else:
            break
    group = text[times[0].start:times[-1].end]
    return _Times(_ranges_of(times, joins, group), times[0].start, times[-1].end), index


def _ranges_of(times: list[_Token], joins: list[list[str]], group: str) -> tuple[tuple[int, int], ...]:
    truncated = [time for time in times if time.kind == "trunc"]
    if truncated:
        raise _Unreadable(f"heure incomplète dans « {_excerpt(group)} »")
    if len(times) % 2:
        raise _Unreadable(f"heures qui ne forment pas des plages début-fin : « {_excerpt(group)} »")
    has_explicit = any(time.kind == "time" for time in times)
    ranges: list[tuple[int, int]] = []
    for pair in range(0, len(times), 2):
        opening, closing = times[pair], times[pair + 1]
        inside = set(joins[pair])
        between = set(joins[pair - 1]) if pair else set()
        if not inside <= _INSIDE_RANGE or not between <= _BETWEEN_RANGES:
            raise _Unreadable(f"plages horaires mal séparées dans « {_excerpt(group)} »")
        if opening.kind == closing.kind == "bare" and not (has_explicit and inside <= {"-", "a"}):
            raise _Unreadable(f"nombres sans « h » ni « : » dans « {_excerpt(group)} »")
        start, end = opening.value, closing.value
        if not start < end or start >= _MIDNIGHT:
            raise _Unreadable(f"plage horaire inversée ou vide dans « {_excerpt(group)} »")
        if ranges and start < ranges[-1][1]:
            raise _Unreadable(f"plages horaires qui se chevauchent dans « {_excerpt(group)} »")
        ranges.append((start, end))
    return tuple(ranges)


# --------------------------------------------------------------------------------------------
# Schedule: items read in order, each day's ranges collected
# --------------------------------------------------------------------------------------------


class _Schedule:
    """The week being built: each day's ranges, the days said closed, public holidays off."""

    def __init__(self) -> None:
        self.hours: dict[str, tuple[tuple[int, int], ...]] = {}
        self.closed: set[str] = set()
        self.holidays_off = False
        self.used_default = False  # the days given beside the text took some of its times

    def add(self, days: Iterable[str], ranges: tuple[tuple[int, int], ...]) -> None:
        for day in days:
            if day in self.closed:
                raise _Unreadable(f"le {_DAY_NAMES[day]} est dit fermé et ouvert")
            merged = sorted(self.hours.get(day, ()) + ranges)
            if any(later[0] < earlier[1] for earlier, later in pairwise(merged)):
                raise _Unreadable(f"le {_DAY_NAMES[day]} reçoit des horaires qui se chevauchent")
            self.hours[day] = tuple(merged)

    def forget(self, days: Iterable[str]) -> None:
        for day in days:
            self.hours.pop(day, None)

    def close(self, item: _Days) -> None:
        if item.period is None:
            self.forget(item.days)
            self.closed |= item.days
            return
        if len(item.days) > 1:
            raise _Unreadable(
                "fermeture d'une demi-journée sur plusieurs jours : on ne sait pas à quels jours elle s'applique"
            )
        day = next(iter(item.days))
        self.hours[day] = _without_period(day, self.hours.get(day, ()), item.period)
        if not self.hours[day]:
            del self.hours[day]


def _without_period(day: str, ranges: tuple[tuple[int, int], ...], period: str) -> tuple[tuple[int, int], ...]:
    """The day's ranges once its morning (``am``) or afternoon (``pm``) is closed."""
    if period == "am":
        kept = tuple(r for r in ranges if r[1] > _ONE_PM)
        still_open = any(start < _NOON for start, _ in kept)
    else:
        kept = tuple(r for r in ranges if r[0] < _NOON)
        still_open = any(end > _ONE_PM for _, end in kept)
    if still_open:
        half = "matin" if period == "am" else "après-midi"
        raise _Unreadable(f"le {_DAY_NAMES[day]} {half} est dit fermé mais une plage le couvre")
    return kept


def _check_period(item: _Days, ranges: tuple[tuple[int, int], ...]) -> None:
    """``lundi matin 14h-17h`` contradicts itself."""
    if item.period == "am" and any(end > _ONE_PM for _, end in ranges):
        raise _Unreadable("des heures de l'après-midi sont données pour un matin")
    if item.period == "pm" and any(start < _NOON for start, _ in ranges):
        raise _Unreadable("des heures du matin sont données pour un après-midi")


class _Reader:
    """Reads items in order: ``<jours> <heures>``, ``<heures> <jours>``, ``fermé <jours>``, ``sauf <jours>``."""

    def __init__(self, items: list[object], text: str, default_days: frozenset[str]) -> None:
        self.items = items
        self.text = text
        self.default_days = default_days
        self.schedule = _Schedule()
        self.pending_days: _Days | None = None
        self.pending_times: _Times | None = None
        self.closing = False
        self.has_rule = False
        self.named_days = False

    def read(self) -> _Schedule:
        index = 0
        while index < len(self.items):
            index = self._step(index)
        self._finish()
        return self.schedule

    def _next(self, index: int) -> object | None:
        return self.items[index] if index < len(self.items) else None

    def _step(self, index: int) -> int:
        item = self.items[index]
        if isinstance(item, _Days):
            self._on_days(item, self._next(index + 1))
        elif isinstance(item, _Times):
            self._on_times(item)
        elif item.kind == "closed":
            self._on_closed()
        elif item.kind == "holidays":
            if not self.closing:
                raise _Unreadable("jours fériés mentionnés sans dire s'ils sont fermés")
            self.schedule.holidays_off = True
            self.closing = False
        elif item.kind == "except":
            return self._on_except(index)
        else:  # matin / après-midi not right after a day
            raise _Unreadable(f"« {self.text[item.start:item.end]} » ne suit aucun jour")
        return index + 1

    def _rule(self, days: _Days, times: _Times, *, named: bool = True) -> None:
        _check_period(days, times.ranges)
        self.schedule.add(days.days, times.ranges)
        self.has_rule = True
        self.named_days |= named

    def _on_days(self, item: _Days, following: object | None) -> None:
        if self.closing:
            self.schedule.close(item)
            self.closing = False
        elif self.pending_days is not None:
            self._no_hours(self.pending_days)
        elif self.pending_times is not None and self._closes_times_before(item, following):
            self._rule(item, self.pending_times)
            self.pending_times = None
        else:
            self._flush_times()
            self.pending_days = item

    @staticmethod
    def _closes_times_before(item: _Days, following: object | None) -> bool:
        """After times, do these days end that rule (``9h-12h du lundi au vendredi, 9h-12h le samedi``)?

        Yes when no times follow, or when a break (comma, new line…) parts them from the times that
        follow and none parts them from the times before; otherwise it is ambiguous.
        """
        if not isinstance(following, _Times):
            return True
        return following.after_break and not item.after_break

    def _on_times(self, item: _Times) -> None:
        if self.pending_days is not None:
            self._rule(self.pending_days, item)
            self.pending_days = None
        elif self.closing:
            raise _Unreadable(f"« fermé » suivi d'heures : « {_excerpt(self.text[item.start:item.end])} »")
        else:
            self._flush_times()
            self.pending_times = item

    def _on_closed(self) -> None:
        if self.pending_days is not None:
            self.schedule.close(self.pending_days)
            self.pending_days = None
        else:
            self._flush_times()
            self.closing = True

    def _on_except(self, index: int) -> int:
        """``du lundi au vendredi sauf mercredi``, ``… 8h-17h sauf le vendredi 8h-16h``, ``… sauf jeudi matin``."""
        excepted, following = self._next(index + 1), self._next(index + 2)
        if not isinstance(excepted, _Days):
            raise _Unreadable("« sauf » n'est suivi d'aucun jour")
        if self.pending_days is not None:
            if excepted.period is not None:
                raise _Unreadable("« sauf » une demi-journée avant les heures : on ne sait pas lesquelles retirer")
            left = self.pending_days.days - excepted.days
            if not left:
                raise _Unreadable("« sauf » retire tous les jours")
            self.pending_days = _Days(left, self.pending_days.period, self.pending_days.start, excepted.end)
            return index + 2
        self._flush_times()
        if not self.has_rule:
            raise _Unreadable("« sauf » sans horaires auxquels s'appliquer")
        if isinstance(following, _Times) and excepted.period is None:
            self.schedule.forget(excepted.days)
            self._rule(excepted, following, named=False)
            return index + 3
        if excepted.period is None:
            self.schedule.forget(excepted.days)  # an exception, not a closure: a later rule may give its hours
        else:
            self.schedule.close(excepted)
        return index + 2

    def _flush_times(self) -> None:
        """Times seen with no day: the default days take them, or the text is unreadable."""
        if self.pending_times is None:
            return
        times, self.pending_times = self.pending_times, None
        if not self.default_days:
            raise _Unreadable(f"aucun jour n'est indiqué pour « {_excerpt(self.text[times.start:times.end])} »")
        self._rule(_Days(self.default_days, None, times.start, times.end), times, named=False)
        self.schedule.used_default = True

    def _no_hours(self, item: _Days) -> None:
        raise _Unreadable(f"aucune heure n'est indiquée pour « {_excerpt(self.text[item.start:item.end])} »")

    def _finish(self) -> None:
        if self.pending_days is not None:
            self._no_hours(self.pending_days)
        self._flush_times()
        if self.closing:
            if not self.default_days:
                raise _Unreadable("« fermé » sans jour")
            self.schedule.close(_Days(self.default_days, None, 0, 0))
        if self.schedule.used_default and self.named_days:
            raise _Unreadable("certaines heures ont leurs jours et d'autres non")


# --------------------------------------------------------------------------------------------
# OSM output
# --------------------------------------------------------------------------------------------


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _day_selector(days: list[str]) -> str:
    """``[Mo, Tu, We, Fr]`` → ``Mo-We,Fr``: runs of three days or more become ranges."""
    indexes = sorted(DAYS.index(day) for day in days)
    runs: list[list[int]] = []
    for index in indexes:
        if runs and index == runs[-1][-1] + 1:
            runs[-1].append(index)
        else:
            runs.append([index])
    parts = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{DAYS[run[0]]}-{DAYS[run[-1]]}")
        else:
            parts.extend(DAYS[index] for index in run)
    return ",".join(parts)


def _osm_of(hours: Mapping[str, tuple[tuple[int, int], ...]], holidays_off: bool = False) -> str:
    """Days with the same ranges grouped, groups in week order: ``Mo-Fr 09:00-12:00; Sa 09:00-12:00``."""
    groups: dict[tuple[tuple[int, int], ...], list[str]] = {}
    for day in DAYS:
        if hours.get(day):
            groups.setdefault(tuple(hours[day]), []).append(day)
    rules = [
        f"{_day_selector(days)} {','.join(f'{_clock(start)}-{_clock(end)}' for start, end in ranges)}"
        for ranges, days in groups.items()
    ]
    if holidays_off:
        rules.append("PH off")
    return "; ".join(rules)


def _checked(osm: str, message: str | None) -> HoursReading:
    """The reading, once opening-hours-py accepts the OSM text."""
    try:
        OpeningHours(osm)
    except (ParserError, SyntaxError, ValueError):
        return HoursReading(None, f"Horaires « {_excerpt(osm)} » refusés par le contrôle OpenStreetMap.")
    return HoursReading(osm, message)


def _aside(raw: str, reason: str) -> HoursReading:
    return HoursReading(None, f"Horaires « {_excerpt(raw)} » gardés à part : {reason}.")


# --------------------------------------------------------------------------------------------
# Free text
# --------------------------------------------------------------------------------------------

_OSM_SELECTOR = re.compile(r"(?<![A-Za-z])(?:Mo|Tu|We|Th|Fr|Sa|Su|PH|SH)(?![a-z])", re.IGNORECASE)
_OSM_TIME = re.compile(r"\d{1,2}:\d{2}")


def _as_osm(text: str) -> HoursReading | None:
    """Text already in OSM syntax, tidied; None when it is not OSM.

    It must name a day (or holiday) and a time, or be ``24/7``: a bare ``Mo`` is valid OSM (all day
    Monday) but in a file it is a marker, and a bare ``09:00-17:00`` names no day.
    """
    flat = " ".join(text.split())
    if not flat.isascii() or not (flat == "24/7" or (_OSM_SELECTOR.search(flat) and _OSM_TIME.search(flat))):
        return None
    lines = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
    candidates = [flat] if len(lines) < 2 else [flat, "; ".join(line.rstrip(";") for line in lines)]
    for candidate in candidates:
        try:
            parsed = OpeningHours(candidate)
        except (ParserError, SyntaxError, ValueError):
            continue
        canonical = candidate if not parsed.warnings else str(parsed)
        if canonical == text:
            return HoursReading(canonical, None)
        if canonical == flat:
            return HoursReading(canonical, "Horaires OpenStreetMap remis sur une ligne.")
        return _checked(canonical, f"Horaires OpenStreetMap remis en forme : « {_excerpt(text)} » → « {canonical} ».")
    return None


def _schedule_of(text: str, default_days: frozenset[str]) -> _Schedule:
    folded = _fold(text)
    reason = _kept_aside_reason(text, folded)
    if reason:
        raise _Unreadable(reason)
    tokens = _tokens(text, folded)
    if not any(token.kind in _TIME_KINDS for token in tokens) and not any(t.kind == "closed" for t in tokens):
        raise _Unreadable("aucune heure n'est indiquée")
    return _Reader(_items(tokens, text), text, default_days).read()


def _checked_days(days: Iterable[str] | None) -> frozenset[str]:
    chosen = frozenset(days or ())
    unknown = chosen - _EVERY_DAY
    if unknown:
        raise ValueError(f"jours OSM inconnus : {sorted(unknown)}")
    return chosen


def hours_from_text(text: str, days: Iterable[str] | None = None) -> HoursReading:
    """French free text (or OSM syntax) → OSM hours, or None and why.

    ``days`` (OSM codes) are the opening days given elsewhere in the file (a "jours d'ouverture"
    column): they take the times of a text that names no day at all (``"9h-12h / 14h-17h"``).
    """
    return _hours_from_text(text, _checked_days(days))


@lru_cache(maxsize=8192)
def _hours_from_text(text: str, default_days: frozenset[str]) -> HoursReading:
    raw = clean_text(text)
    if raw is None:
        return HoursReading(None, None)
    osm = _as_osm(raw)
    if osm is not None:
        return osm
    try:
        schedule = _schedule_of(raw, default_days)
    except _Unreadable as why:
        return _aside(raw, str(why))
    if not schedule.hours:
        return _aside(raw, "aucun jour ouvert")
    osm_text = _osm_of(schedule.hours, schedule.holidays_off)
    given_days = " (jours d'ouverture pris à côté du texte)" if schedule.used_default else ""
    return _checked(osm_text, f"Horaires « {_excerpt(raw)} » convertis au format OpenStreetMap{given_days}.")


@lru_cache(maxsize=4096)
def days_from_text(text: str) -> tuple[str, ...] | None:
    """A list of days (``"{Lundi,Mardi,Jeudi}"``, ``"du lundi au vendredi"``) → OSM codes in week order.

    None when the text is empty or holds anything but days.
    """
    raw = clean_text(text)
    if raw is None:
        return None
    try:
        tokens = _tokens(raw, _fold(raw))
        items = _items(tokens, raw)
    except _Unreadable:
        return None
    if len(items) != 1 or not isinstance(items[0], _Days) or items[0].period:
        return None
    return tuple(day for day in DAYS if day in items[0].days)


# --------------------------------------------------------------------------------------------
# One cell per day
# --------------------------------------------------------------------------------------------


@lru_cache(maxsize=8192)
def _read_day_cell(day: str, text: str) -> tuple[tuple[tuple[int, int], ...], str | None]:
    """The ranges of one day's cell (empty when it says closed), or the reason it is unreadable."""
    try:
        schedule = _schedule_of(text, frozenset({day}))
    except _Unreadable as why:
        return (), str(why)
    if (set(schedule.hours) | schedule.closed) - {day} or schedule.holidays_off:
        return (), "la cellule parle d'autres jours"
    return schedule.hours.get(day, ()), None


def _cell_text(value: object) -> str | None:
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    return clean_text(value)


def hours_from_days(cells: Mapping[str, str | None]) -> HoursReading:
    """One cell per OSM day (``{"Mo": "09:00 - 12:00, 13:00 - 18:00", "Sa": "Fermé"}``) → OSM hours.

    A day without a cell or with an empty cell is closed. An unreadable cell makes the whole week
    unreadable, and the message names each such day.
    """
    _checked_days(cells)
    hours: dict[str, tuple[tuple[int, int], ...]] = {}
    problems: dict[tuple[str, str], list[str]] = {}  # (cell, reason) → the days that have it
    for day in DAYS:
        text = _cell_text(cells.get(day))
        if text is None:
            continue
        hours[day], reason = _read_day_cell(day, text)
        if reason:
            problems.setdefault((text, _reason_about_cell(reason, text)), []).append(_DAY_NAMES[day])
    if problems:
        details = " ; ".join(
            f"{', '.join(days)} « {_excerpt(text)} » ({reason})" for (text, reason), days in problems.items()
        )
        return HoursReading(None, f"Horaires par jour gardés à part : {details}.")
    if not hours:
        return HoursReading(None, None)
    if not any(hours.values()):
        return HoursReading(None, "Horaires par jour gardés à part : tous les jours remplis sont fermés.")
    return _checked(_osm_of(hours), None)


def _reason_about_cell(reason: str, text: str) -> str:
    """The reason without quoting the whole cell a second time."""
    quoted = f"« {_excerpt(text)} »"
    return reason.replace(f" dans {quoted}", "").replace(f" : {quoted}", "")


# --------------------------------------------------------------------------------------------
# Morning and afternoon opening / closing times per day
# --------------------------------------------------------------------------------------------

_PART_LABELS = {
    "matin_ouverture": "l'ouverture du matin",
    "matin_fermeture": "la fermeture du matin",
    "apres_midi_ouverture": "l'ouverture de l'après-midi",
    "apres_midi_fermeture": "la fermeture de l'après-midi",
}
_CLOSED_WORDS = frozenset({"ferme", "fermee", "closed", "off", "non"})


def _single_time(text: str | None) -> int | None:
    """``"08:00"``, ``"8h30"``, ``"08:00:00"``, ``"8"`` → minutes; None for empty or "fermé"."""
    if text is None or _fold(text).strip() in _CLOSED_WORDS:
        return None
    try:
        tokens = _tokens(text, _fold(text))
    except _Unreadable:
        tokens = []
    if len(tokens) != 1 or tokens[0].kind not in ("time", "bare"):
        raise _Unreadable(f"heure illisible « {_excerpt(text)} »")
    return tokens[0].value


@lru_cache(maxsize=4096)
def _read_day_parts(
    values: tuple[str | None, str | None, str | None, str | None],
) -> tuple[tuple[tuple[int, int], ...], bool, str | None]:
    """The ranges of one day from its four times, whether it was taken as continuous, or the reason
    it is unreadable."""
    try:
        ranges, continuous = _ranges_of_day_parts(values)
    except _Unreadable as why:
        return (), False, str(why)
    return ranges, continuous, None


def _ranges_of_day_parts(
    values: tuple[str | None, str | None, str | None, str | None],
) -> tuple[tuple[tuple[int, int], ...], bool]:
    """The ranges of one day from its four times (morning open/close, afternoon open/close).

    The flag says the day was taken as continuous from a morning opening and an afternoon closing.
    """
    times = []
    for part, value in zip(PARTS, values, strict=True):
        try:
            times.append(_single_time(value))
        except _Unreadable as why:
            raise _Unreadable(f"{why} pour {_PART_LABELS[part]}") from None
    morning_open, morning_close, afternoon_open, afternoon_close = times
    given = tuple(time is not None for time in times)
    if given == (True, True, True, True):
        ranges = [(morning_open, morning_close), (afternoon_open, afternoon_close)]
    elif given == (True, True, False, False):
        ranges = [(morning_open, morning_close)]
    elif given == (False, False, True, True):
        ranges = [(afternoon_open, afternoon_close)]
    elif given == (True, False, False, True):  # journée continue: opens in the morning, closes in the afternoon
        ranges = [(morning_open, afternoon_close)]
    elif given == (False, False, False, False):
        return (), False
    else:
        missing = [_PART_LABELS[part] for part, present in zip(PARTS, given, strict=True) if not present]
        raise _Unreadable(f"horaires incomplets, il manque {' et '.join(missing)}")
    for start, end in ranges:
        if not start < end or start >= _MIDNIGHT:
            raise _Unreadable(f"plage inversée ou vide {_clock(start)}-{_clock(end)}")
    if len(ranges) == 2 and ranges[1][0] < ranges[0][1]:
        raise _Unreadable(
            f"le matin ({_clock(ranges[0][0])}-{_clock(ranges[0][1])}) et l'après-midi "
            f"({_clock(ranges[1][0])}-{_clock(ranges[1][1])}) se chevauchent"
        )
    if len(ranges) == 2 and ranges[1][0] == ranges[0][1]:
        ranges = [(ranges[0][0], ranges[1][1])]
    return tuple(ranges), given == (True, False, False, True)


def hours_from_day_parts(parts: Mapping[tuple[str, str], str | None]) -> HoursReading:
    """Per day, opening/closing times of morning and afternoon → OSM hours.

    Keys are ``(day, part)`` with ``day`` an OSM code and ``part`` one of :data:`PARTS`. A morning
    whose closing comes after noon and no afternoon is a continuous day; so is a morning opening
    with an afternoon closing and nothing between.
    """
    unknown = {key for key in parts if key[0] not in DAYS or key[1] not in PARTS}
    if unknown:
        raise ValueError(f"clés d'horaires inconnues : {sorted(unknown)}")
    hours: dict[str, tuple[tuple[int, int], ...]] = {}
    problems: list[str] = []
    continuous: list[str] = []
    for day in DAYS:
        values = tuple(_cell_text(parts.get((day, part))) for part in PARTS)
        hours[day], is_continuous, reason = _read_day_parts(values)
        if reason:
            problems.append(f"le {_DAY_NAMES[day]} ({reason})")
            continue
        if is_continuous:
            continuous.append(_DAY_NAMES[day])
    if problems:
        return HoursReading(None, f"Horaires par demi-journée gardés à part : {' ; '.join(problems)}.")
    if not any(hours.values()):
        return HoursReading(None, None)
    note = None
    if continuous:
        note = (f"Journée continue retenue ({', '.join(continuous)}) : seules l'ouverture du matin "
                "et la fermeture de l'après-midi sont remplies.")
    return _checked(_osm_of(hours), note)


# --------------------------------------------------------------------------------------------
# Column names
# --------------------------------------------------------------------------------------------

_HEADER_DAYS = {
    **{name: code for name, code in _DAY_WORDS.items()},
    **{f"{name}s": code for name, code in _DAY_WORDS.items() if len(name) > 3},
    "monday": "Mo", "tuesday": "Tu", "wednesday": "We", "thursday": "Th", "friday": "Fr",
    "saturday": "Sa", "sunday": "Su",
}
_OPENING_WORDS = frozenset({"ouverture", "ouv", "debut", "deb", "open", "opening", "start", "opens"})
_CLOSING_WORDS = frozenset({"fermeture", "ferm", "fin", "close", "closing", "end", "closes", "jusqu"})
_WEAK_OPENING, _WEAK_CLOSING = frozenset({"de"}), frozenset({"a"})
_MORNING_WORDS = frozenset({"matin", "mat", "am", "morning"})
_AFTERNOON_WORDS = frozenset({"apresmidi", "aprem", "pm", "afternoon"})
_HEADER_FILLERS = frozenset({"horaires", "horaire", "heures", "heure", "hor", "du", "le", "la", "les", "jour", "des"})
_HEADER_VOCABULARY = (
    set(_HEADER_DAYS) | _OPENING_WORDS | _CLOSING_WORDS | _MORNING_WORDS | _AFTERNOON_WORDS | _HEADER_FILLERS
)
_BRACKETS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_HEADER_SPLIT = re.compile(r"[^a-z0-9]+")


def _segment(word: str) -> list[str] | None:
    """Split a glued word into vocabulary words (``horaireslundi`` → horaires, lundi), or None."""
    best: list[list[str] | None] = [[]] + [None] * len(word)
    for end in range(1, len(word) + 1):
        for start in range(max(0, end - 10), end - 1):
            piece = word[start:end]
            if best[start] is not None and piece in _HEADER_VOCABULARY:
                best[end] = best[start] + [piece]
                break
    return best[len(word)]


def _is_header_word(word: str) -> bool:
    single_letter = len(word) == 1 and word.isalpha()  # c_ prefixes, h, d', l'
    return word in _HEADER_VOCABULARY or word in _WEAK_OPENING | _WEAK_CLOSING or word == "apres" or single_letter


def _header_words(header: str) -> list[str] | None:
    folded = _BRACKETS.sub(" ", _fold(str(header)))
    words = [word for word in _HEADER_SPLIT.split(folded.replace("apres-midi", "apresmidi")) if word]
    joined: list[str] = []
    for word in words:
        if joined and joined[-1] == "apres" and word == "midi":
            joined[-1] = "apresmidi"
        elif _is_header_word(word):
            joined.append(word)
        else:
            pieces = _segment(word)
            if pieces is None:
                return None
            joined.extend(pieces)
    return joined if "apres" not in joined else None


@lru_cache(maxsize=4096)
def day_column(header: str) -> DayColumn | None:
    """A column name that holds one day's hours → its OSM day and part (None for the whole day).

    The name may only contain a day, words for hours (horaires, heures…), at most one side
    (ouverture/début/de, fermeture/fin/à) with one half (matin/am, après-midi/aprem/pm), and
    comments in brackets; anything else (``"Ouvert le samedi ?"``) means it is not an hours column.
    """
    words = _header_words(header)
    if not words:
        return None
    days = {_HEADER_DAYS[word] for word in words if word in _HEADER_DAYS}
    halves = {"matin" if word in _MORNING_WORDS else "apres_midi" for word in words
              if word in _MORNING_WORDS or word in _AFTERNOON_WORDS}
    opening = {word for word in words if word in _OPENING_WORDS or (halves and word in _WEAK_OPENING)}
    closing = {word for word in words if word in _CLOSING_WORDS or (halves and word in _WEAK_CLOSING)}
    if len(days) != 1 or len(halves) > 1 or (opening and closing):
        return None
    day = next(iter(days))
    if not halves and not opening and not closing:
        return DayColumn(day)
    if len(halves) != 1 or not (opening or closing):
        return None
    side = "ouverture" if opening else "fermeture"
    return DayColumn(day, f"{next(iter(halves))}_{side}")


def hours_from_columns(row: Mapping[str, object]) -> HoursReading | None:
    """A row's day columns (found by :func:`day_column`) → OSM hours; None when it has none.

    When a row has morning/afternoon columns, they are read and its whole-day columns (often a mere
    marker such as ``Lundi`` = ``Mo``) are ignored.
    """
    parts: dict[tuple[str, str], object] = {}
    cells: dict[str, object] = {}
    for header, value in row.items():
        column = day_column(header)
        if column is None:
            continue
        target, key = (parts, (column.day, column.part)) if column.part else (cells, column.day)
        if clean_text(target.get(key)) is not None and clean_text(value) is not None:
            return HoursReading(None, f"Horaires gardés à part : deux colonnes donnent les heures de « {header} ».")
        if clean_text(target.get(key)) is None:
            target[key] = value
    if parts:
        return hours_from_day_parts(parts)
    if cells:
        return hours_from_days(cells)
    return None
