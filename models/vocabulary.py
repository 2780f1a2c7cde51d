"""The words people write, translated into the codes of the standard, data·inclusion and Maillage.

Every keyword table lives in ``data/vocabulaire/*.csv`` (one row per keyword:
``champ,code,mot_cle,note``) and is read here only, once. ``data/vocabulaire/README.md``
documents the format, the matching rules and where the wordings come from. In short:

- :func:`split_items` cuts a multi-valued cell into its items (``,`` ``;`` ``|`` ``/`` ``+``,
  new lines, PostgreSQL arrays, bullets, form-tool underscores…);
- :func:`translate` gives the codes of one field that an item means: an exact code or label
  first, then a cut-off label (form tools truncate answers), then every keyword found in the
  item on word boundaries, the longest keyword winning over the keywords it contains;
- :func:`meanings` says what a short label or a column name (``c_mediatheque``, ``PRET_MAT``,
  ``Enlibreacces``) may mean, across all tables;
- :func:`yes_no` is the one definition of a yes/no answer; :func:`status_of` reads Maillage's
  status of a lieu (:data:`STATUTS`).

Nothing here reads a file other than the tables and the code lists; the functions are pure and
cached, since an import calls them on every distinct cell of files of 20 000 lines.
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from models.errors import InvalidValue
from models.normalize import clean_text
from models.standard import DATA_DIR, standard_v1
from models.text import fold_accents
from models.typologies import typologies

__all__ = [
    "PUBLISHED_STATUTS",
    "STATUTS",
    "STATUT_LABELS",
    "VOCABULARY_DIR",
    "KeywordRow",
    "Meaning",
    "fold",
    "keyword_rows",
    "meanings",
    "normalize_bool",
    "means_nothing",
    "split_items",
    "status_of",
    "table_fields",
    "translate",
    "translate_cell",
    "typology_code",
    "valid_codes",
    "yes_no",
]

VOCABULARY_DIR = DATA_DIR / "vocabulaire"

TYPOLOGY_FIELD = "typologie"
STATUS_FIELD = "statut"
YES_NO_FIELD = "oui_non"
PUBLICS_FIELD = "publics_specifiquement_adresses"

# Maillage's status of a lieu in its source, from the most to the least published.
STATUTS = ("ouvert", "a_valider", "masque", "inactif", "ferme", "a_supprimer")
STATUT_LABELS = {
    "ouvert": "Ouvert",
    "a_valider": "À valider",
    "masque": "Masqué",
    "inactif": "Inactif",
    "ferme": "Fermé",
    "a_supprimer": "À supprimer",
}
PUBLISHED_STATUTS = ("ouvert",)

# A keyword written "=mot" in a table only matches when it is the whole item.
WHOLE_ITEM_MARK = "="
# The code of a keyword that is known but means no code (« collectivité », « tout public »).
NO_CODE = ""


@dataclass(frozen=True)
class Meaning:
    """One thing a label or a column name may mean: ``Meaning("typologie", "BIB", "médiathèque")``."""

    field: str
    code: str
    keyword: str


@dataclass(frozen=True)
class KeywordRow:
    """One row of a keyword table, as written in its CSV file."""

    file: str
    champ: str
    code: str
    mot_cle: str
    note: str

    @property
    def whole_item(self) -> bool:
        """True for ``=mot`` keywords, which only match a whole item."""
        return self.mot_cle.startswith(WHOLE_ITEM_MARK)

    @property
    def keyword(self) -> str:
        """The keyword without its ``=`` mark."""
        return self.mot_cle[1:] if self.whole_item else self.mot_cle


# --------------------------------------------------------------------------------------------
# Folding: the form in which texts and keywords are compared
# --------------------------------------------------------------------------------------------

_SPECIAL = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "€": " euro ", "&": " et ", "ß": "ss"})
_NOT_ALPHANUMERIC = re.compile(r"[^0-9a-z]+")
_DIGIT_LETTER = re.compile(r"(?<=[0-9])(?=[a-z])|(?<=[a-z])(?=[0-9])")


@lru_cache(maxsize=131072)
def _plain(text: str) -> str:
    """Lower case, no accents, every run of punctuation a space, digits apart from letters."""
    spaced = _NOT_ALPHANUMERIC.sub(" ", fold_accents(text.translate(_SPECIAL)))
    return _DIGIT_LETTER.sub(" ", spaced).strip()


def _singular(word: str) -> str:
    """A crude French singular, the same on both sides of a comparison (bureaux → bureau, sociaux → social)."""
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith("eaux"):
        return word[:-1]
    if word.endswith("aux"):
        return word[:-3] + "al"
    if word.endswith(("eux", "oux")):
        return word[:-1]
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


@lru_cache(maxsize=131072)
def _folded_words(text: str) -> tuple[str, ...]:
    return tuple(_singular(word) for word in _plain(text).split())


def fold(text: str) -> str:
    """The compared form of a text: « Centres Sociaux » and « centre social » both give ``centre social``."""
    return " ".join(_folded_words(text))


# Words that carry no meaning of their own: ignored when judging how much of a name a keyword explains.
_STOPWORDS = frozenset(
    _singular(word)
    for word in (
        "a", "au", "aux", "avec", "ce", "ces", "cet", "cette", "d", "dans", "de", "des", "du", "en", "est", "et",
        "j", "je", "l", "la", "le", "les", "leur", "leurs", "ma", "mes", "mon", "n", "ne", "nos", "notre", "nous",
        "on", "ou", "par", "pour", "qu", "que", "quel", "quelle", "quelles", "quels", "s", "sa", "se", "ses",
        "son", "sont", "sur", "ta", "te", "un", "une", "vos", "votre", "vous", "y",
    )
)


# --------------------------------------------------------------------------------------------
# The tables
# --------------------------------------------------------------------------------------------


@cache
def keyword_rows() -> tuple[KeywordRow, ...]:
    """Every row of every table of ``data/vocabulaire/`` (file order, then row order)."""
    rows: list[KeywordRow] = []
    for path in sorted(VOCABULARY_DIR.glob("*.csv")):
        rows.extend(_rows_of(path))
    return tuple(rows)


def _rows_of(path: Path) -> Iterator[KeywordRow]:
    with path.open(encoding="utf-8", newline="") as handle:
        for raw in csv.DictReader(handle):
            yield KeywordRow(
                file=path.name,
                champ=raw["champ"].strip(),
                code=raw["code"].strip(),
                mot_cle=raw["mot_cle"].strip(),
                note=(raw.get("note") or "").strip(),
            )


@cache
def table_fields() -> tuple[str, ...]:
    """The fields that have a keyword table, except the yes/no words (``typologie``, ``services``…)."""
    found = dict.fromkeys(row.champ for row in keyword_rows() if row.champ != YES_NO_FIELD)
    return tuple(found)


@cache
def valid_codes(field: str) -> dict[str, str]:
    """The codes a field accepts with their label: data·inclusion, the standard's list or :data:`STATUTS`."""
    if field == TYPOLOGY_FIELD:
        return dict(typologies())
    if field == STATUS_FIELD:
        return dict(STATUT_LABELS)
    if field == YES_NO_FIELD:
        return {"oui": "Oui", "non": "Non"}
    return {choice: choice for choice in standard_v1().choices(field)}


@dataclass(frozen=True)
class _Entry:
    field: str
    code: str
    keyword: str
    words: tuple[str, ...]
    whole_item: bool


@dataclass(frozen=True)
class _Table:
    field: str
    by_words: dict[tuple[str, ...], tuple[_Entry, ...]]
    max_words: int
    exact: dict[str, str]  # folded code or label → code
    known: frozenset[str]  # folded keyword, code or label: a wording the table knows
    prefixes: tuple[tuple[str, str], ...]  # sorted (folded keyword or label, code), for cut-off items
    entries: tuple[_Entry, ...]


def _entries_of(field: str) -> list[_Entry]:
    entries = []
    for row in keyword_rows():
        if row.champ != field:
            continue
        words = _folded_words(row.keyword)
        if words:
            entries.append(_Entry(field, row.code, row.keyword, words, row.whole_item))
    return entries


@cache
def _table(field: str) -> _Table:
    if field not in table_fields():
        raise KeyError(f"Pas de table de mots-clés pour le champ « {field} ».")
    entries = _entries_of(field)
    by_words: dict[tuple[str, ...], list[_Entry]] = {}
    for entry in entries:
        by_words.setdefault(entry.words, []).append(entry)
    exact: dict[str, str] = {}
    for code, label in valid_codes(field).items():
        exact.setdefault(fold(label), code)
        exact[fold(code)] = code
    prefixes = {(" ".join(e.words), e.code) for e in entries if not e.whole_item}
    prefixes.update((folded, code) for folded, code in exact.items() if " " in folded)
    return _Table(
        field=field,
        by_words={words: tuple(found) for words, found in by_words.items()},
        max_words=max((len(e.words) for e in entries), default=1),
        exact=exact,
        known=frozenset({" ".join(e.words) for e in entries} | set(exact)),
        prefixes=tuple(sorted(prefixes)),
        entries=tuple(entries),
    )


@cache
def _known_wordings() -> frozenset[str]:
    """Every folded keyword, code and label of every table: what a whole item may be."""
    known: set[str] = set()
    for field in table_fields():
        known |= _table(field).known
    return frozenset(known)


# --------------------------------------------------------------------------------------------
# Matching
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Match:
    start: int
    end: int
    entry: _Entry

    @property
    def size(self) -> int:
        return self.end - self.start


def _without_contained(matches: list[_Match]) -> list[_Match]:
    """Drop every match lying inside a longer one (« centre social » inside « centre social et culturel »)."""
    kept: list[_Match] = []
    for match in sorted(matches, key=lambda m: (-m.size, m.start)):
        inside = any(k.start <= match.start and match.end <= k.end and k.size > match.size for k in kept)
        if not inside:
            kept.append(match)
    return sorted(kept, key=lambda m: (m.start, -m.size))


def _keyword_matches(table: _Table, words: tuple[str, ...]) -> list[_Match]:
    """Every keyword of the table found in ``words`` on word boundaries, the longest winning."""
    found: list[_Match] = []
    count = len(words)
    for start in range(count):
        for length in range(min(table.max_words, count - start), 0, -1):
            for entry in table.by_words.get(words[start:start + length], ()):
                if entry.whole_item and (start, length) != (0, count):
                    continue
                found.append(_Match(start, start + length, entry))
    return _without_contained(found)


def _cut_off_code(table: _Table, words: tuple[str, ...]) -> str | None:
    """The code of a label cut short by a form tool (« Devenir_autonome_dans_les_démar »), if only one fits."""
    joined = " ".join(words)
    if len(words) < 3 or len(joined) < 15 or joined in table.known:
        return None
    codes: set[str] = set()
    index = bisect_left(table.prefixes, (joined, ""))
    while index < len(table.prefixes) and table.prefixes[index][0].startswith(joined):
        codes.add(table.prefixes[index][1])
        index += 1
    codes.discard(NO_CODE)
    return codes.pop() if len(codes) == 1 else None


_AGE_RANGE = re.compile(r"\b(\d{1,2}) (?:a )?(\d{1,2}) ans\b")
_UNDER_AGE = re.compile(r"\bmoins de (\d{2}) ans\b")
_OVER_AGE = re.compile(r"\b(?:plus de|\+|>|au-dela de|apres) ?(\d{2}) ?ans\b|\b(\d{2}) ?ans ?(?:et ?)?(?:plus|\+)")


def _age_codes(text: str) -> list[str]:
    """Publics read from ages: « 16-25 ans » → Jeunes, « plus de 60 ans » → Seniors."""
    plain = _plain(text)
    codes = []
    young = any(10 <= int(a) < int(b) <= 30 for a, b in _AGE_RANGE.findall(plain))
    if young or any(int(n) <= 30 for n in _UNDER_AGE.findall(plain)):
        codes.append("Jeunes")
    lowered = unicodedata.normalize("NFKD", text.casefold()).encode("ascii", "ignore").decode()
    if any(int(a or b) >= 55 for a, b in _OVER_AGE.findall(lowered)):
        codes.append("Seniors")
    return codes


@lru_cache(maxsize=65536)
def _translated(field: str, text: str) -> tuple[str, ...]:
    table = _table(field)
    words = _folded_words(text)
    if not words:
        return ()
    exact = table.exact.get(" ".join(words))
    if exact is not None:
        return (exact,)
    cut_off = _cut_off_code(table, words)
    if cut_off is not None:
        return (cut_off,)
    codes = [m.entry.code for m in _keyword_matches(table, words) if m.entry.code != NO_CODE]
    if field == PUBLICS_FIELD:
        codes.extend(_age_codes(text))
    return tuple(dict.fromkeys(codes))


def translate(field: str, text: str | None) -> list[str]:
    """The codes of ``field`` one item means (« Médiathèque - Bibliothèque » → ``["BIB"]``), [] if none."""
    if text is None:
        return []
    return list(_translated(field, str(text)))


def translate_cell(field: str, cell: object) -> list[str]:
    """The codes of ``field`` meant by all the items of a cell (see :func:`split_items`), in order."""
    codes: dict[str, None] = {}
    for item in split_items(cell):
        codes.update(dict.fromkeys(translate(field, item)))
    return list(codes)


@lru_cache(maxsize=65536)
def means_nothing(field: str, text: str) -> bool:
    """True for a wording the table knows as meaning no code (« Tout public », « Collectivité »)."""
    table = _table(field)
    words = _folded_words(text)
    if not words or _translated(field, text):
        return False
    matches = _keyword_matches(table, words)
    covered = {i for m in matches for i in range(m.start, m.end)}
    content = {i for i, word in enumerate(words) if word not in _STOPWORDS}
    return bool(matches) and content <= covered


# --------------------------------------------------------------------------------------------
# Splitting a cell into items
# --------------------------------------------------------------------------------------------

_SEPARATOR = re.compile(r"[,;|/+\n\r]")
_OPENING = {"(": ")", "[": "]"}
_PROTECTED_WORDS = re.compile(r"\bet/ou\b|\band/or\b|\bn/a\b|(?:https?://|www\.)\S+", re.IGNORECASE)  # and web addresses
_SPACED_DASH = re.compile(r"\s+[-–—]\s+")
_BULLET = re.compile(r"^(?:[-•*·–—▪►◦‣]+\s*)+")
_SPACES = re.compile(r"\s+")
_EDGE_PUNCTUATION = " .;:,-–—"


def _bracketed_positions(text: str) -> set[int]:
    """Positions inside balanced brackets (an unclosed bracket, as in a cut-off label, protects nothing)."""
    inside: set[int] = set()
    if "(" not in text and "[" not in text:
        return inside
    stack: list[tuple[str, int]] = []
    for position, char in enumerate(text):
        if char in _OPENING:
            stack.append((_OPENING[char], position))
        elif stack and char == stack[-1][0]:
            _, start = stack.pop()
            inside.update(range(start, position + 1))
        elif char in (")", "]"):
            stack.clear()
    return inside


def _is_separator(text: str, position: int) -> bool:
    char = text[position]
    before = text[position - 1] if position else ""
    after = text[position + 1] if position + 1 < len(text) else ""
    if char == "," and before.isdigit() and after.isdigit():
        return False  # a decimal comma
    if char == "/" and (before.isdigit() or after.isdigit()):
        return False  # 24/24, 7j/7, 1/2
    if char == "+":
        following = text[position + 1:].lstrip()[:1]
        return not (following.isdigit() or before.isdigit() or "+" in (before, following))
    return True


def _split_at_separators(text: str) -> list[str]:
    candidates = [m.start() for m in _SEPARATOR.finditer(text)]
    if not candidates:
        return [text]
    protected = _bracketed_positions(text)
    for match in _PROTECTED_WORDS.finditer(text):
        protected.update(range(match.start(), match.end()))
    parts, start = [], 0
    for position in candidates:
        if position not in protected and _is_separator(text, position):
            parts.append(text[start:position])
            start = position + 1
    parts.append(text[start:])
    return parts


def _array_items(text: str) -> list[str] | None:
    """The values of a PostgreSQL array ``{A,B,"C D"}`` or a JSON list ``["A", "B"]``, else None."""
    if len(text) >= 2 and text[0] == "{" and text[-1] == "}":
        inner = text[1:-1]
        values = next(csv.reader([inner], quotechar='"', escapechar="\\", skipinitialspace=True), [])
        return [v for v in values if v.upper() != "NULL"]
    if len(text) >= 2 and text[0] == "[" and text[-1] == "]":
        try:
            values = json.loads(text)
        except ValueError:
            return None
        if isinstance(values, list):
            return [str(v) for v in values if v is not None]
    return None


_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)


def _underscores_as_spaces(text: str) -> str:
    """Form tools write « Point_relais_CAF »; web addresses keep their underscores."""
    if "_" not in text:
        return text
    if "http" not in text and "www" not in text:
        return text.replace("_", " ")
    pieces, start = [], 0
    for match in _URL.finditer(text):
        pieces.append(text[start:match.start()].replace("_", " "))
        pieces.append(match.group())
        start = match.end()
    pieces.append(text[start:].replace("_", " "))
    return "".join(pieces)


def _tidy(item: str) -> str:
    """One item as a person reads it: form-tool underscores as spaces, no bullet, no stray punctuation."""
    text = _SPACES.sub(" ", _underscores_as_spaces(item)).strip()
    text = _BULLET.sub("", text)
    return text.strip(_EDGE_PUNCTUATION)


def _split_dashes(item: str) -> list[str]:
    """« Jeunes - Adultes - Seniors » is a list; « Médiathèque - Bibliothèque » is one label with its gloss."""
    parts = _SPACED_DASH.split(item)
    return parts if len(parts) >= 3 else [item]


def _split_and(item: str) -> list[str]:
    """« Jeunes et familles » gives two items when each side is a known wording and the whole is not."""
    parts = re.split(r"\s+et\s+", item)
    if len(parts) < 2:
        return [item]
    known = _known_wordings()
    if fold(item) in known or not all(fold(part) in known for part in parts):
        return [item]
    return parts


@lru_cache(maxsize=65536)
def _items_of(text: str) -> tuple[str, ...]:
    array = _array_items(text)
    parts = array if array is not None else _split_at_separators(text)
    items: dict[str, str] = {}
    for part in parts:
        for piece in _split_dashes(_tidy(part)):
            for item in _split_and(piece):
                tidy = clean_text(_tidy(item))
                if tidy and _plain(tidy):
                    items.setdefault(_plain(tidy), tidy)
    return tuple(items.values())


def split_items(cell: object) -> list[str]:
    """The items of a multi-valued cell (« Centre social / EPN / France Services » → 3 items)."""
    text = clean_text(cell)
    if text is None:
        return []
    return list(_items_of(text))


# --------------------------------------------------------------------------------------------
# Meanings of labels and column names
# --------------------------------------------------------------------------------------------

_CAMEL = re.compile(r"(?<=[a-zà-ÿ])(?=[A-ZÀ-Ý])")
# Leading parts of column names that say nothing (c_mediatheque, c_b_epn, user_nom, is_fablab…).
_NAME_PREFIXES = frozenset({"c", "b", "user", "usr", "col", "is", "has", "flag", "bool", "chk", "arr", "varchar", "txt"})
_SQUASHED_MIN = 8
_COVERAGE_MIN = 0.5


def _name_tokens(text: str) -> list[str]:
    tokens = _plain(_CAMEL.sub(" ", text)).split()
    while len(tokens) > 1 and tokens[0] in _NAME_PREFIXES:
        tokens.pop(0)
    return tokens


def _content_positions(words: tuple[str, ...]) -> set[int]:
    content = {i for i, word in enumerate(words) if word not in _STOPWORDS}
    return content or set(range(len(words)))


def _meanings_of(matches: Iterable[_Match]) -> list[Meaning]:
    found: dict[tuple[str, str], Meaning] = {}
    for match in matches:
        if match.entry.code != NO_CODE:
            key = (match.entry.field, match.entry.code)
            found.setdefault(key, Meaning(match.entry.field, match.entry.code, match.entry.keyword))
    return list(found.values())


def _exact_matches(words: tuple[str, ...]) -> list[_Match]:
    """The whole name as a code or label of a field (« EPN », « Fixe »)."""
    joined = " ".join(words)
    found = []
    for field in table_fields():
        code = _table(field).exact.get(joined)
        if code is not None:
            found.append(_Match(0, len(words), _Entry(field, code, code, words, whole_item=True)))
    return found


def _literal_meanings(words: tuple[str, ...]) -> list[Meaning]:
    """Codes, labels and keywords found as written, when together they explain half of the name's words."""
    matches = _exact_matches(words)
    for field in table_fields():
        matches.extend(_keyword_matches(_table(field), words))
    content = _content_positions(words)
    covered = {i for m in matches for i in range(m.start, m.end)} & content
    if len(covered) < _COVERAGE_MIN * len(content):
        return []
    return _meanings_of(matches)


def _abbreviates(short: str, word: str) -> bool:
    return short == word or (len(short) >= 3 and word.startswith(short))


def _is_abbreviation(name: list[str], keyword: list[str]) -> bool:
    """« pret mat » abbreviates « prêt de matériel »: each word a start of the keyword's words, in order."""
    if len(name) < 2 or not keyword or not _abbreviates(name[0], keyword[0]):
        return False
    position = 1
    for short in name[1:]:
        while position < len(keyword) and not _abbreviates(short, keyword[position]):
            position += 1
        if position == len(keyword):
            return False
        position += 1
    return True


def _abbreviated_meanings(words: tuple[str, ...]) -> list[Meaning]:
    """Names written with shortened words (PRET_MAT, AIDE_DEMAT); one code per field or none."""
    name = [w for w in words if w not in _STOPWORDS] or list(words)
    by_field: dict[str, dict[str, Meaning]] = {}
    for field in table_fields():
        for entry in _table(field).entries:
            keyword = [w for w in entry.words if w not in _STOPWORDS]
            if entry.whole_item or not _is_abbreviation(name, keyword):
                continue
            by_field.setdefault(field, {}).setdefault(entry.code, Meaning(field, entry.code, entry.keyword))
    return [next(iter(codes.values())) for codes in by_field.values() if len(codes) == 1 and NO_CODE not in codes]


@cache
def _squashed_keywords() -> tuple[tuple[str, _Entry], ...]:
    """(keyword without spaces, entry) for keywords long enough to be found inside a squashed name."""
    found: dict[tuple[str, str, str], tuple[str, _Entry]] = {}
    for field in table_fields():
        for entry in _table(field).entries:
            if entry.whole_item:
                continue
            for squashed in ("".join(_plain(entry.keyword).split()), "".join(entry.words)):
                if len(squashed) >= _SQUASHED_MIN:
                    found.setdefault((field, entry.code, squashed), (squashed, entry))
    return tuple(found.values())


def _squashed_meanings(tokens: list[str]) -> list[Meaning]:
    """Names written without spaces (« Enlibreacces »): long keywords found inside the squashed name.

    Accepted when the keywords cover half of the name, or when a keyword of several words opens it
    (« Adomicilesouscertainesconditions » starts with « à domicile »)."""
    squashed = "".join(tokens)
    matches: list[_Match] = []
    for keyword, entry in _squashed_keywords():
        start = squashed.find(keyword)
        while start >= 0:
            matches.append(_Match(start, start + len(keyword), entry))
            start = squashed.find(keyword, start + 1)
    matches = _without_contained(matches)
    covered = {i for m in matches for i in range(m.start, m.end)}
    opening_phrase = any(m.start == 0 and len(m.entry.words) > 1 for m in matches)
    if len(covered) < _COVERAGE_MIN * len(squashed) and not opening_phrase:
        return []
    return _meanings_of(matches)


@lru_cache(maxsize=16384)
def _meanings(text: str) -> tuple[Meaning, ...]:
    tokens = _name_tokens(text)
    if not tokens:
        return ()
    words = tuple(_singular(t) for t in tokens)
    found = _literal_meanings(words) or _abbreviated_meanings(words) or _squashed_meanings(tokens)
    return tuple(found)


def meanings(text: str | None) -> list[Meaning]:
    """Every (field, code) a short label or a column name may mean (``c_mediatheque`` → typologie BIB)."""
    if not text:
        return []
    return list(_meanings(str(text)))


# --------------------------------------------------------------------------------------------
# Yes / no and status
# --------------------------------------------------------------------------------------------

_LEADING_CLAUSE = re.compile(r"^([a-z]{2,}(?: [a-z]+)*?)\s*[,;:.!(]")


def _answer_key(text: str) -> str:
    return " ".join(fold_accents(text).split()).strip(" .!\"'«»")


@cache
def _answers() -> dict[str, bool]:
    return {_answer_key(row.keyword): row.code == "oui" for row in keyword_rows() if row.champ == YES_NO_FIELD}


def yes_no(value: object) -> bool | None:
    """True for yes (oui, x, 1, true, ✓, souvent…), False for no (non, 0, jamais…), None otherwise."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return {1: True, 0: False}.get(value)  # type: ignore[call-overload]
    key = _answer_key(str(value))
    if not key:
        return None
    answer = _answers().get(key)
    if answer is None:
        head = _LEADING_CLAUSE.match(key)  # « Oui, cf questionnaire… »
        answer = _answers().get(head[1]) if head else None
    return answer


@cache
def _typology_by_folded_code_or_label() -> dict[str, str]:
    index: dict[str, str] = {}
    for code, label in typologies().items():
        index[fold_accents(label).strip()] = code
    for code in typologies():
        index[fold_accents(code).strip()] = code
    return index


def typology_code(value: str) -> str | None:
    """The code for a code, a label or a usual wording (``ccas``, ``Associations``, ``Médiathèque``), else None.

    Beyond codes and labels, the keyword table ``data/vocabulaire/typologie.csv`` is read (``translate``);
    a wording that means several codes (« EPN, Mairie ») gives None."""
    code = _typology_by_folded_code_or_label().get(fold_accents(value).strip())
    if code is not None:
        return code
    codes = translate(TYPOLOGY_FIELD, value)
    return codes[0] if len(codes) == 1 else None


def normalize_bool(value: object) -> bool:
    """True/False from Oui/Non, O/N, Vrai/Faux, true/false, 1/0, x, ✓, Souvent/Jamais… (``yes_no``'s words,
    the ``oui_non`` table, the one list); anything else is refused in French (``InvalidValue``)."""
    if isinstance(value, bool):
        return value
    raw = clean_text(value)
    if raw is None:
        raise InvalidValue("Valeur vide : attendu Oui ou Non.")
    answer = yes_no(raw)
    if answer is None:
        raise InvalidValue(f"« {raw} » n'est ni Oui ni Non.")
    return answer


def status_of(text: str | None) -> str | None:
    """The status a cell means (« Définitivement fermé » → ``ferme``); the least published wins, None if none."""
    if text is None:
        return None
    codes = _translated(STATUS_FIELD, str(text))
    if not codes:
        return None
    return max(codes, key=STATUTS.index)
