"""Import an XLSForm (the ``.xlsx`` of ODK, KoboToolbox, SurveyCTO…) as a Maillage questionnaire.

An XLSForm is a workbook with a ``survey`` sheet (one row per question or group), a ``choices``
sheet (the answers of the selects) and an optional ``settings`` sheet. What Maillage can ask is
imported; everything else is *reported* (sheet, row, column, reason) and skipped, never guessed:

=========================================  ===============================================
XLSForm                                    Maillage
=========================================  ===============================================
``text`` (appearance ``multiline``)        ``texte`` (``texte_long``)
``integer`` / ``decimal`` / ``date``       ``entier`` / ``decimal`` / ``date``
``select_one L`` / ``select_multiple L``   ``choix_unique`` / ``choix_multiple`` (choices of L)
``note``                                   ``note``
``begin group`` … ``end group``            a section (top-level group); nested: flattened
questions outside any group                a section « Questions » at their place
``name`` / ``label`` / ``hint``            ``code`` / ``libelle`` / ``aide``
``required`` / ``required_message``        ``obligatoire`` / ``message_obligatoire``
``relevant``                               ``visible_si`` (and the relevant of its groups)
``constraint`` / ``constraint_message``    ``contrainte`` / ``message_contrainte``
settings ``form_title`` / ``form_id``      ``titre`` / ``code``
settings ``version`` (an integer)          ``version``
=========================================  ===============================================

XLSForm names become Maillage codes (lowercase, ``[a-z0-9_]``, a letter first: ``Nom-Lieu`` →
``nom_lieu``), every ``${Nom-Lieu}`` of the expressions is rewritten and each renaming reported.
Choice names are kept as they are (a choice code is free text, and expressions compare to it), so a
yes/no list stays a ``choix_unique`` with its own codes: conditions keep meaning the same thing.

Languages: a text (label, hint, messages) is read from the French column (``label::Français (fr)``,
``label::French (fr)``, ``label::fr``…), else the column of the settings' ``default_language``, else
the column without language, else the first language; a row where that column is empty takes the
text of the next one that has it (reported). Media columns (``image``, ``media::image``,
``label::image``, ``image::fr``, audio, video) are never read as text: a question or note whose
label is only an image gets its name as label (reported).

Three levels of problems, each a :class:`XLSFormProblem` with sheet, row and column:

* *fatal* (``fatal``): the form cannot be read as a whole — not an ``.xlsx``, no ``survey`` sheet,
  no ``type`` or ``name`` column, nothing importable (or an invalid ``code`` given by the caller).
  No questionnaire then.
* *warning*: one row, cell or column Maillage does not take, and what was done instead; the rest
  is imported. A row pyxform would refuse is one of them, never a reason to refuse the whole form:
  an unknown type, a row without type or name, a select whose list is missing, a repeat (skipped);
  a duplicate choice (the first kept), a duplicate name (the second renamed ``nom_2``), a duplicate
  column (the first read); an ``end group`` without its ``begin`` (ignored), a group never closed
  (closed at the end of the form), a group without name (named after its row); a missing label
  (the name is used).
* *à revoir* (``review``): an expression Maillage cannot use was dropped, so the questionnaire
  asks differently from the form. A dropped expression never makes a question stricter than the
  form meant: a ``relevant`` (of the question or of an enclosing group) that cannot be used is
  dropped — the question is always asked — and a question that was ``required`` becomes optional;
  a dropped ``constraint`` just drops the check; a ``required`` holding an expression is optional,
  unless the expression is one of the question's own display conditions (then it is simply
  required when asked). :attr:`XLSFormImport.review` lists these rows, ``maillage questionnaire
  check`` says « à revoir » while any remain.

Rows are read with openpyxl (not pyxform's reader): every message names the sheet's real row
number, headers are matched case-insensitively, and pyxform is not a dependency of Maillage.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import warnings
import zipfile
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from collect.expressions import ExpressionError, parse_expression
from collect.questionnaire import Questionnaire, QuestionnaireInvalid, questionnaire_from_dict
from models.text import fold_accents

# --------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class XLSFormProblem:
    """One thing the import could not take as is, with where it is in the workbook."""

    sheet: str  # the sheet's name as written in the workbook, or the file's name for the whole file
    row: int | None  # the sheet's real row number (1 = the header row)
    column: str | None  # the column's header as written
    message: str  # French, says what was done (« ligne ignorée », « condition ignorée »…)
    fatal: bool = False
    review: bool = False  # an expression was dropped: the question asks differently from the form

    @property
    def severity(self) -> str:
        if self.fatal:
            return "erreur"
        return "à revoir" if self.review else "avertissement"

    def __str__(self) -> str:
        where = [self.sheet]
        if self.row is not None:
            where.append(f"ligne {self.row}")
        if self.column:
            where.append(f"colonne {self.column}")
        return f"{', '.join(where)} : {self.message}"


@dataclass
class XLSFormImport:
    """The questionnaire (``None`` when a problem is fatal) and every problem, in workbook order."""

    questionnaire: Questionnaire | None
    problems: list[XLSFormProblem] = field(default_factory=list)

    @property
    def errors(self) -> list[XLSFormProblem]:
        """The fatal problems (then there is no questionnaire)."""
        return [p for p in self.problems if p.fatal]

    @property
    def warnings(self) -> list[XLSFormProblem]:
        """What was skipped or repaired without changing what the imported questions ask."""
        return [p for p in self.problems if not p.fatal and not p.review]

    @property
    def review(self) -> list[XLSFormProblem]:
        """The problems « à revoir »: a dropped condition, constraint or obligation."""
        return [p for p in self.problems if p.review and not p.fatal]

    @property
    def rows_to_review(self) -> list[tuple[str, int]]:
        """Each (sheet, row) with something « à revoir », once, in workbook order."""
        return rows_to_review(self.problems)

    @property
    def status(self) -> str:
        """« invalide » (no questionnaire), « à revoir » (rows to review) or « valide »."""
        if self.questionnaire is None:
            return "invalide"
        return "à revoir" if self.review else "valide"

    def review_summary(self) -> str | None:
        """« 2 lignes à revoir (survey : lignes 4 et 7) », or None when nothing is to review."""
        return review_summary(self.problems)


def rows_to_review(problems: Iterable[XLSFormProblem]) -> list[tuple[str, int]]:
    """Each (sheet, row) of a problem « à revoir », once, in the order given."""
    rows: dict[tuple[str, int], None] = {}
    for problem in problems:
        if problem.review and not problem.fatal:
            rows.setdefault((problem.sheet, problem.row or 0), None)
    return list(rows)


def review_summary(problems: Iterable[XLSFormProblem]) -> str | None:
    """« 2 lignes à revoir (survey : lignes 4 et 7) » for the problems « à revoir », else None."""
    rows = rows_to_review(problems)
    if not rows:
        return None
    by_sheet: dict[str, list[int]] = {}
    for sheet, row in rows:
        by_sheet.setdefault(sheet, []).append(row)
    where = " ; ".join(
        f"{sheet} : {'ligne' if len(numbers) == 1 else 'lignes'} {_french_list([str(n) for n in numbers])}"
        for sheet, numbers in by_sheet.items()
    )
    count = f"{len(rows)} {'ligne' if len(rows) == 1 else 'lignes'}"
    return f"{count} à revoir ({where})"


def _french_list(items: list[str]) -> str:
    """« 4 », « 4 et 7 », « 4, 7 et 9 »."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} et {items[-1]}"


def import_xlsform(path: str | Path, *, code: str | None = None) -> XLSFormImport:
    """Import the XLSForm at ``path``; ``code`` overrides the questionnaire's code (else form_id)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return _failed(path.name, "fichier introuvable")
    except IsADirectoryError:
        return _failed(path.name, "c'est un dossier, pas un fichier .xlsx")
    except OSError as error:
        return _failed(path.name, f"fichier illisible ({error.strerror or error})")
    return import_xlsform_bytes(data, path.name, code=code)


def import_xlsform_bytes(data: bytes, name: str, *, code: str | None = None) -> XLSFormImport:
    """Import an XLSForm from its bytes; ``name`` (the file's name) is used in messages. Never raises."""
    try:
        return _import(data, name, code)
    except Exception as error:  # noqa: BLE001 - any input must give a French message, never a traceback
        return _failed(name, f"erreur inattendue en lisant le formulaire ({type(error).__name__} : {error})")


def _failed(name: str, message: str) -> XLSFormImport:
    return XLSFormImport(None, [XLSFormProblem(name, None, None, message, fatal=True)])


# --------------------------------------------------------------------------------------------
# Reading the workbook

_ZIP_MAGIC = b"PK\x03\x04"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass
class _Sheet:
    """A sheet as rows of text keyed by normalised header, each with its real row number."""

    title: str
    headers: dict[str, str]  # normalised header → header as written, in column order
    rows: list[tuple[int, dict[str, str]]]  # (row number, {normalised header: non-empty text})
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (header ignored, header read)


class _Fatal(Exception):
    def __init__(self, problem: XLSFormProblem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def _cell_text(value: Any) -> str | None:
    if value is None:
        return None
    if value is True:
        return "TRUE"
    if value is False:
        return "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    text = str(value).replace("\u00a0", " ").strip()
    return text or None


def _header_key(header: str) -> str:
    """``Label :: Français (fr)`` → ``label::français (fr)``; ``List name`` → ``list_name``."""
    family, sep, language = header.partition("::")
    family = re.sub(r"[\s_]+", "_", family.strip().casefold())
    if not sep:
        return family
    return f"{family}::{' '.join(language.split()).casefold()}"


def _read_sheet(worksheet: Any) -> _Sheet:
    """The sheet's rows; a second column with the same header is set aside (the first is read)."""
    title = str(worksheet.title).strip()
    if hasattr(worksheet, "reset_dimensions"):
        worksheet.reset_dimensions()  # some producers write a wrong <dimension>: read every row
    rows_iter = worksheet.iter_rows(values_only=True)
    header_cells = next(rows_iter, ())
    columns: list[str | None] = []
    headers: dict[str, str] = {}
    duplicates: list[tuple[str, str]] = []
    for value in header_cells:
        text = _cell_text(value)
        key = _header_key(text) if text is not None else None
        if key is not None and key in headers:
            duplicates.append((text or "", headers[key]))
            key = None
        if key is not None and text is not None:
            headers[key] = text
        columns.append(key)
    rows: list[tuple[int, dict[str, str]]] = []
    for number, cells in enumerate(rows_iter, start=2):
        values: dict[str, str] = {}
        for key, value in zip(columns, cells, strict=False):  # a row may be shorter or longer than the header
            if key is None:
                continue
            text = _cell_text(value)
            if text is not None:
                values[key] = text
        if values:
            rows.append((number, values))
    return _Sheet(title, headers, rows, duplicates)


def _read_workbook(data: bytes, name: str) -> tuple[dict[str, _Sheet], list[str]]:
    """The workbook's sheets keyed by casefolded name; a fatal problem when it is not an .xlsx."""
    if not data:
        raise _Fatal(XLSFormProblem(name, None, None, "le fichier est vide", fatal=True))
    if data.startswith(_OLE2_MAGIC):
        raise _Fatal(
            XLSFormProblem(
                name, None, None,
                "ancien format Excel (.xls) ou classeur protégé par mot de passe : enregistrez-le au format .xlsx",
                fatal=True,
            )
        )
    if not data.startswith(_ZIP_MAGIC):
        raise _Fatal(XLSFormProblem(name, None, None, "ce n'est pas un classeur Excel (.xlsx)", fatal=True))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = set(archive.namelist())
    except Exception:  # noqa: BLE001 - BadZipFile, truncated archives, odd headers…
        raise _Fatal(
            XLSFormProblem(name, None, None, "archive zip endommagée ou fichier .xlsx incomplet", fatal=True)
        ) from None
    if "xl/workbook.xml" not in members:
        raise _Fatal(
            XLSFormProblem(name, None, None, "archive zip qui n'est pas un classeur Excel (.xlsx)", fatal=True)
        )

    import openpyxl  # imported here: only this import needs it

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns about extensions it drops (data validation…)
        try:
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:  # noqa: BLE001 - any corruption in the zip or its XML parts
            raise _Fatal(
                XLSFormProblem(name, None, None, "classeur Excel (.xlsx) illisible ou endommagé", fatal=True)
            ) from None
        try:
            sheets: dict[str, _Sheet] = {}
            for worksheet in workbook.worksheets:
                key = " ".join(str(worksheet.title).split()).casefold()
                if key in ("survey", "choices", "settings") and key not in sheets:
                    sheets[key] = _read_sheet(worksheet)
            return sheets, [str(title) for title in workbook.sheetnames]
        except _Fatal:
            raise
        except Exception:  # noqa: BLE001
            raise _Fatal(
                XLSFormProblem(name, None, None, "classeur Excel (.xlsx) illisible ou endommagé", fatal=True)
            ) from None
        finally:
            workbook.close()



# --------------------------------------------------------------------------------------------
# Columns and languages

_TRANSLATABLE = ("label", "hint", "required_message", "constraint_message")
_SURVEY_COLUMNS = {"type", "name", "required", "relevant", "constraint", "appearance", "disabled"}
_CHOICES_COLUMNS = {"list_name", "name"}
_SETTINGS_COLUMNS = {"form_title", "form_id", "version", "default_language"}
_FRENCH_NAMES = {"fr", "fra", "fre", "french", "français", "francais"}
# Media columns (never text): what they hold, as a message says it.
_MEDIA_KINDS = {
    "image": "une image", "big-image": "une image", "big_image": "une image", "audio": "un son", "video": "une vidéo",
}


def _family(key: str) -> str:
    return key.partition("::")[0]


def _language(key: str) -> str | None:
    return key.partition("::")[2] or None


def _media_kind(key: str) -> str | None:
    """What a media column holds (« une image »…): ``image``, ``image::fr``, ``media::image``, ``label::image``."""
    parts = [part.strip() for part in key.split("::")]
    if parts[0] in ("media", "label") and len(parts) > 1:
        return _MEDIA_KINDS.get(parts[1])
    return _MEDIA_KINDS.get(parts[0])


def _is_french(language: str) -> bool:
    language = language.strip().casefold()
    if language in _FRENCH_NAMES or re.fullmatch(r"fr[-_][a-z]{2}", language):
        return True
    if re.search(r"\(\s*fr([-_][a-z]{2})?\s*\)$", language):
        return True
    return language.split("(")[0].strip() in _FRENCH_NAMES


def _language_tags(language: str) -> set[str]:
    """The ways a language is named: ``English (en)`` → {``english (en)``, ``english``, ``en``}."""
    text = " ".join(language.split()).casefold()
    name, _, code = text.partition("(")
    return {tag for tag in (text, name.strip(), code.rstrip(")").strip()) if tag}


def _text_columns(sheet: _Sheet, family: str, default_language: str | None) -> list[str]:
    """The text columns of ``family`` in reading order: French, the form's default language, the
    column without language, then the other languages as they come. Media columns are not text."""
    default = _language_tags(default_language) if default_language else set()
    default_is_french = bool(default_language) and _is_french(default_language or "")

    def rank(key: str) -> int:
        language = _language(key)
        if language is None:
            return 1 if default_is_french else 3
        if _is_french(language):
            return 0
        return 2 if _language_tags(language) & default else 4

    candidates = [key for key in sheet.headers if _family(key) == family and not _media_kind(key)]
    return sorted(candidates, key=rank)


def _media_columns(sheet: _Sheet) -> list[str]:
    """The media columns of a sheet, French ones first."""
    media = [key for key in sheet.headers if _media_kind(key)]
    return sorted(media, key=lambda key: not any(_is_french(part) for part in key.split("::")[1:]))


def _report_other_languages(sheet: _Sheet, columns: list[str], problems: list[XLSFormProblem]) -> None:
    chosen, *others = columns
    for key in others:
        if any(key in values for _, values in sheet.rows):
            problems.append(
                XLSFormProblem(
                    sheet.title, 1, sheet.headers[key],
                    f"autre langue : lue seulement là où la colonne « {sheet.headers[chosen]} » est vide",
                )
            )


# --------------------------------------------------------------------------------------------
# Codes and expressions

_REFERENCE = re.compile(r"""'[^']*'|"[^"]*"|\$\{\s*([^}]*?)\s*\}""")


def code_of_name(name: str) -> str:
    """A valid Maillage code for an XLSForm name: lowercase, without accents, ``[a-z0-9_]``, a letter first."""
    code = re.sub(r"[^a-z0-9_]", "_", fold_accents(name)).lstrip("_")
    if not code:
        code = "q"
    elif not code[0].isalpha():
        code = f"q_{code}"
    return code[:63]


def _references(text: str) -> list[str]:
    return [m.group(1) for m in _REFERENCE.finditer(text) if m.group(1) is not None]


def _rename_references(text: str, codes: dict[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        if match.group(1) is None:
            return match.group(0)
        return "${" + codes.get(match.group(1), match.group(1)) + "}"

    return _REFERENCE.sub(replace, text)


# --------------------------------------------------------------------------------------------
# Types

_TRUE = {"yes", "true", "true()", "1", "oui", "vrai", "y"}
_FALSE = {"no", "false", "false()", "0", "non", "faux", "n"}

_SIMPLE_TYPES = {
    "text": "texte",
    "string": "texte",
    "integer": "entier",
    "int": "entier",
    "decimal": "decimal",
    "date": "date",
    "note": "note",
}
_SELECT = re.compile(
    r"(select_one|select1|select one|select_multiple|select multiple|select all that apply)"
    r"(?:\s+(\S+))?(\s+or_other)?",
    re.IGNORECASE,
)
_CONTROL = re.compile(r"(begin|end)[ _](group|repeat|loop)(?:\s+.*)?")
# Valid XLSForm types Maillage does not ask (anything else is an unknown type).
_KNOWN_UNSUPPORTED = {
    "calculate", "geopoint", "geotrace", "geoshape", "image", "photo", "audio", "video", "file", "barcode",
    "acknowledge", "trigger", "range", "rank", "hidden", "time", "datetime", "background-audio",
    "background-geopoint", "xml-external", "csv-external", "start", "end", "today", "deviceid", "phonenumber",
    "username", "email", "audit", "simserial", "subscriberid", "start-geopoint", "uri:subscriberid",
    "uri:phonenumber", "uri:simserial", "uri:deviceid", "uri:username", "uri:email", "osm", "entity",
    "select_one_from_file", "select_multiple_from_file", "select_one_external", "select one from file",
    "select multiple from file", "signature", "add image prompt", "add photo prompt", "add audio prompt",
    "add video prompt", "add file prompt", "imei",
}


def _truth(value: str | None) -> bool | None:
    """True/False for a yes/no cell; None when it is something else (an expression)."""
    if value is None:
        return False
    folded = value.strip().casefold()
    if folded in _TRUE:
        return True
    if folded in _FALSE or not folded:
        return False
    return None




_SPACES_OUTSIDE_TEXT = re.compile(r"""('[^']*'|"[^"]*")|\s+""")


def _same_expression(one: str, other: str) -> bool:
    """The same expression but for spaces outside its texts."""

    def bare(text: str) -> str:
        return _SPACES_OUTSIDE_TEXT.sub(lambda m: m.group(1) or "", text)

    return bare(one) == bare(other)


def _media_instead_of_label(values: dict[str, str], media: list[str]) -> tuple[str, str] | None:
    """(« une image », its column) when a row without label has an image (or a sound, a video)."""
    key = next((key for key in media if key in values), None)
    if key is None:
        return None
    return _media_kind(key) or "un média", key


def _free_code(code: str, taken: set[str]) -> str:
    """``code_2``, ``code_3``… : the first not in ``taken`` (63 characters at most)."""
    index = 2
    while True:
        suffix = f"_{index}"
        candidate = f"{code[: 63 - len(suffix)]}{suffix}"
        if candidate not in taken:
            return candidate
        index += 1


# --------------------------------------------------------------------------------------------
# The conversion


@dataclass
class _Item:
    """A question taken from the survey sheet, before its expressions are checked."""

    row: int
    data: dict[str, Any]  # the question as questionnaire_from_dict reads it
    relevant: str | None
    constraint: str | None
    groups: list[int]  # rows of the enclosing groups (their relevant applies too)
    required: str | None = None  # a required given as an expression, decided with the conditions
    required_message: str | None = None


@dataclass
class _Group:
    row: int
    name: str
    relevant: str | None
    section: dict[str, Any] | None  # the section of a top-level group


@dataclass
class _Skip:
    """A block of rows being skipped (a repeat, a loop, a disabled group) up to its matching end."""

    row: int
    what: str  # what is skipped and why, for the warning
    kind: str  # group, repeat or loop: what its end is called
    depth: int = 1


class _Converter:
    """One pass over the survey sheet, then one over its expressions; problems as it goes."""

    survey: _Sheet

    def __init__(self, sheets: dict[str, _Sheet], sheet_names: list[str], name: str, code: str | None) -> None:
        self.sheets = sheets
        self.sheet_names = sheet_names
        self.name = name
        self.code = code
        self.problems: list[XLSFormProblem] = []
        self.choices: dict[str, list[dict[str, str]]] = {}
        self.no_lists: str | None = None  # why no list can be found, when the choices sheet is unusable
        self.columns: dict[str, list[str]] = {}  # translatable family → its columns in reading order
        self.media: list[str] = []  # the survey's media columns
        self.known: set[str] = set()
        self.codes: dict[str, str] = {}  # XLSForm name → Maillage code
        self.skipped: dict[str, int] = {}  # name → row of a question left out
        self.seen_codes: dict[str, tuple[int, str]] = {}  # code → (row, name) of an imported question
        self.section_codes: dict[str, tuple[int, str]] = {}  # the same for top-level groups
        self.sections: list[dict[str, Any]] = []
        self.current: dict[str, Any] | None = None
        self.groups: list[_Group] = []  # the open groups, outermost first
        self.all_groups: dict[int, _Group] = {}
        self.items: list[_Item] = []
        self.skip: _Skip | None = None

    def warn(self, sheet: str, row: int | None, column: str | None, message: str) -> None:
        self.problems.append(XLSFormProblem(sheet, row, column, message))

    def to_review(self, row: int, column: str | None, message: str) -> None:
        """A survey row whose question asks differently from the form (an expression was dropped)."""
        self.problems.append(XLSFormProblem(self.survey.title, row, column, message, review=True))

    def fatal(self, sheet: str, row: int | None, column: str | None, message: str) -> None:
        self.problems.append(XLSFormProblem(sheet, row, column, message, fatal=True))

    def report_duplicate_columns(self) -> None:
        for sheet in self.sheets.values():
            for ignored, read in sheet.duplicates:
                self.warn(sheet.title, 1, ignored,
                          f"colonne « {ignored} » en double (déjà « {read} ») : ignorée")

    def translated(self, sheet: _Sheet, number: int, values: dict[str, str], columns: list[str]) -> str | None:
        """The text of the first of ``columns`` filled on this row; a fallback to another language is reported."""
        for index, key in enumerate(columns):
            if key in values:
                if index:
                    self.warn(sheet.title, number, sheet.headers[key],
                              f"colonne « {sheet.headers[columns[0]]} » vide : texte repris de cette colonne")
                return values[key]
        return None

    # -- settings ----------------------------------------------------------------------------

    def read_settings(self) -> dict[str, Any]:
        settings = self.sheets.get("settings")
        found: dict[str, Any] = {}
        if settings is None or not settings.rows:
            return found
        number, values = settings.rows[0]
        for key, text in values.items():
            column = settings.headers[key]
            if key not in _SETTINGS_COLUMNS:
                self.warn(settings.title, number, column, "réglage non pris en charge : ignoré")
                continue
            found[key] = (text, number, column)
        for extra, _ in settings.rows[1:]:
            self.warn(settings.title, extra, None, "seule la première ligne de réglages est lue : ligne ignorée")
        return found

    # -- choices -----------------------------------------------------------------------------

    def read_choices(self, default_language: str | None) -> None:
        """The lists of the choices sheet; a bad row is reported and skipped, the first of two duplicates kept."""
        sheet = self.sheets.get("choices")
        if sheet is None:
            self.no_lists = "onglet « choices » absent du classeur"
            return
        if not sheet.rows:
            return
        missing = [needed for needed in ("list_name", "name") if needed not in sheet.headers]
        for needed in missing:
            self.warn(sheet.title, 1, None,
                      f"colonne « {needed} » absente de l'onglet des choix : aucune liste lisible")
        if missing:
            self.no_lists = f"onglet « {sheet.title} » illisible (colonne {' et '.join(missing)} absente)"
            return
        labels = _text_columns(sheet, "label", default_language)
        if labels:
            _report_other_languages(sheet, labels, self.problems)
        media = _media_columns(sheet)
        known = _CHOICES_COLUMNS | set(labels)
        reported: set[str] = set()
        seen: dict[tuple[str, str], int] = {}
        for number, values in sheet.rows:
            list_name = values.get("list_name")
            choice = values.get("name")
            used: set[str] = set()
            if list_name is not None and choice is not None and (list_name, choice) not in seen:
                seen[list_name, choice] = number
                self.choices.setdefault(list_name, []).append(
                    {"code": choice, "libelle": self.choice_label(sheet, number, values, labels, media, used)}
                )
            elif list_name is not None and choice is not None:
                self.warn(sheet.title, number, sheet.headers["name"],
                          f"choix « {choice} » en double dans la liste « {list_name} » "
                          f"(déjà ligne {seen[list_name, choice]}) : ligne ignorée")
            elif list_name is not None or choice is not None:
                absent = "list_name" if list_name is None else "name"
                self.warn(sheet.title, number, sheet.headers[absent], f"choix sans « {absent} » : ligne ignorée")
            else:
                self.warn(sheet.title, number, None, "choix sans « list_name » ni « name » : ligne ignorée")
            for key in values:
                if key not in known and key not in used and key not in reported:
                    reported.add(key)
                    self.warn(sheet.title, number, sheet.headers[key], "colonne non prise en charge : ignorée")

    def choice_label(self, sheet: _Sheet, number: int, values: dict[str, str], labels: list[str], media: list[str],
                     used: set[str]) -> str:
        """A choice's label; without one, its code (reported)."""
        if text := self.translated(sheet, number, values, labels):
            return text
        choice = values["name"]
        if found := _media_instead_of_label(values, media):
            kind, key = found
            used.add(key)
            self.warn(sheet.title, number, sheet.headers[key],
                      f"choix « {choice} » : pas de libellé, seulement {kind} : son code sert de libellé")
        else:
            self.warn(sheet.title, number, sheet.headers[labels[0]] if labels else None,
                      f"choix « {choice} » sans libellé : son code sert de libellé")
        return choice

    # -- survey ------------------------------------------------------------------------------

    def convert(self) -> dict[str, Any] | None:
        survey = self.sheets.get("survey")
        if survey is None:
            names = ", ".join(f"« {t} »" for t in self.sheet_names) or "aucun"
            self.fatal(self.name, None, None, f"onglet « survey » absent (onglets du classeur : {names})")
            return None
        missing = [c for c in ("type", "name") if c not in survey.headers]
        if missing:
            listed = " et ".join(f"« {c} »" for c in missing)
            self.fatal(survey.title, 1, None, f"colonne {listed} absente de l'onglet des questions")
            return None
        self.survey = survey
        self.report_duplicate_columns()
        settings = self.read_settings()
        default_language = settings["default_language"][0] if "default_language" in settings else None
        self.read_choices(default_language)
        for family in _TRANSLATABLE:
            self.columns[family] = _text_columns(survey, family, default_language)
            if self.columns[family]:
                _report_other_languages(survey, self.columns[family], self.problems)
        self.media = _media_columns(survey)
        self.known = _SURVEY_COLUMNS.union(*self.columns.values())
        # Every name of the sheet, to rename references and to tell a skipped question from an unknown one.
        for _, values in survey.rows:
            if "name" in values:
                self.codes.setdefault(values["name"], code_of_name(values["name"]))

        self.read_survey()
        self.check_expressions()
        if not any(p.fatal for p in self.problems) and not self.sections:
            self.fatal(survey.title, None, None, "aucune question importable")

        # Loose questions get a section code that no group uses.
        taken = {s["code"] for s in self.sections if s["code"]}
        for section in self.sections:
            if section["code"] is None:
                candidate, index = "questions", 2
                while candidate in taken:
                    candidate, index = f"questions_{index}", index + 1
                section["code"] = candidate
                taken.add(candidate)
        return {**self.header(settings), "sections": self.sections}

    def header(self, settings: dict[str, tuple[str, int, str]]) -> dict[str, Any]:
        """Code, title and version of the questionnaire."""
        raw: dict[str, Any] = {}
        sheet = self.sheets["settings"].title if "settings" in self.sheets else "settings"
        if self.code:
            raw["code"] = self.code
        elif "form_id" in settings:
            form_id, number, column = settings["form_id"]
            raw["code"] = code_of_name(form_id)
            if raw["code"] != form_id:
                self.warn(sheet, number, column, f"code du questionnaire « {form_id} » renommé « {raw['code']} »")
        else:
            raw["code"] = code_of_name(Path(self.name).stem)
        raw["titre"] = settings["form_title"][0] if "form_title" in settings else Path(self.name).stem
        if "version" in settings:
            version, number, column = settings["version"]
            if re.fullmatch(r"\d{1,18}", version):
                raw["version"] = int(version)
            else:
                self.warn(sheet, number, column, f"version « {version} » : pas un nombre entier, version 1 retenue")
        return raw

    def text(self, number: int, values: dict[str, str], family: str) -> str | None:
        return self.translated(self.survey, number, values, self.columns.get(family, []))

    def column(self, key: str | None) -> str | None:
        """A column's header as written in the survey sheet."""
        return self.survey.headers.get(key) if key else None

    def label_column(self) -> str | None:
        labels = self.columns.get("label")
        return self.column(labels[0]) if labels else None

    def read_survey(self) -> None:
        survey = self.survey
        type_column = survey.headers["type"]
        for number, values in survey.rows:
            kind = " ".join(values.get("type", "").split())
            name = values.get("name")
            control = _CONTROL.fullmatch(kind.casefold())

            if self.skip is not None:
                self.skipping(number, name, control)
                continue
            if _truth(values.get("disabled")):
                if control and control.group(1) == "begin":
                    what = f"« {kind} » « {name or ''} » désactivé (disabled)"
                    self.skip = _Skip(number, what, control.group(2))
                else:
                    if name:
                        self.skipped.setdefault(name, number)
                    self.warn(survey.title, number, self.column("disabled"), "ligne désactivée (disabled) : ignorée")
                continue
            if not kind:
                if name or any(key in values for key in self.columns["label"]):
                    self.warn(survey.title, number, type_column, "question sans type : ligne ignorée")
                    if name:
                        self.skipped.setdefault(name, number)
                else:
                    self.warn(survey.title, number, None, "ligne sans type ni nom : ignorée")
                continue
            if control:
                self.control(number, kind, name, values, control.group(1), control.group(2))
                continue
            self.question(number, kind, name, values)
        self.close_what_is_left_open()

    def close_what_is_left_open(self) -> None:
        """A block skipped to the end of the sheet, and groups never closed (closed here), are reported."""
        survey = self.survey
        type_column = survey.headers["type"]
        last = survey.rows[-1][0] if survey.rows else 1
        if self.skip is not None:
            kind = self.skip.kind
            self.warn(survey.title, self.skip.row, type_column,
                      f"{self.skip.what}, sans « end {kind} » : lignes {self.skip.row} à {last} ignorées")
            self.skip = None
        while self.groups:
            group = self.groups[-1]
            self.warn(survey.title, group.row, type_column,
                      f"groupe « {group.name} » sans « end group » : fermé à la fin du formulaire")
            self.close_group()

    def skipping(self, number: int, name: str | None, control: re.Match[str] | None) -> None:
        """A row inside a block being skipped (a repeat, a disabled group)."""
        assert self.skip is not None
        if name:
            self.skipped.setdefault(name, number)
        if control and control.group(1) == "begin":
            self.skip.depth += 1
        elif control and control.group(1) == "end":
            self.skip.depth -= 1
            if self.skip.depth == 0:
                self.warn(self.survey.title, self.skip.row, self.survey.headers["type"],
                          f"{self.skip.what} : lignes {self.skip.row} à {number} ignorées")
                self.skip = None

    def control(self, number: int, kind: str, name: str | None, values: dict[str, str], verb: str, what: str) -> None:
        """``begin group``, ``end group``, ``begin repeat``…"""
        survey = self.survey
        type_column = survey.headers["type"]
        if what in ("repeat", "loop"):
            if verb == "begin":
                label = "groupe répété (repeat)" if what == "repeat" else "boucle (loop)"
                self.skip = _Skip(number, f"{label} « {name or ''} » non pris en charge", what)
                if name:
                    self.skipped.setdefault(name, number)
            else:
                self.warn(survey.title, number, type_column, f"« {kind} » sans « begin {what} » : ligne ignorée")
            return
        if verb == "end":
            if not self.groups:
                self.warn(survey.title, number, type_column, f"« {kind} » sans « begin group » : ligne ignorée")
                return
            self.close_group()
            return
        if not name:
            name = f"groupe_ligne_{number}"
            self.warn(survey.title, number, survey.headers["name"], f"groupe sans nom : nommé « {name} »")
        self.unsupported_columns(number, values)
        group = _Group(number, name, values.get("relevant"), None)
        self.all_groups[number] = group
        if not self.groups:
            group.section = self.open_section(number, name, values)
        else:
            outer = self.groups[0].name
            self.warn(survey.title, number, type_column,
                      f"groupe imbriqué « {name} » : ses questions sont rangées dans la section « {outer} »")
        self.groups.append(group)

    def open_section(self, number: int, name: str, values: dict[str, str]) -> dict[str, Any]:
        """The section of a top-level group; a code another section has is made unique."""
        survey = self.survey
        code = code_of_name(name)
        if code in self.section_codes:
            first_row, first_name = self.section_codes[code]
            renamed = _free_code(code, set(self.section_codes))
            self.warn(survey.title, number, survey.headers["name"],
                      f"code de section « {code} » en double (déjà ligne {first_row}, « {first_name} ») : "
                      f"section renommée « {renamed} »")
            code = renamed
        elif code != name:
            self.warn(survey.title, number, survey.headers["name"],
                      f"code de section « {name} » renommé « {code} »")
        self.section_codes[code] = (number, name)
        title = self.text(number, values, "label")
        if not title:
            self.warn(survey.title, number, None, f"groupe « {name} » sans libellé : son nom sert de titre")
            title = name
        section = {"code": code, "titre": title, "questions": []}
        self.sections.append(section)
        self.current = section
        return section

    def close_group(self) -> None:
        closed = self.groups.pop()
        if closed.section is not None:
            if not closed.section["questions"]:
                self.warn(self.survey.title, closed.row, self.survey.headers["name"],
                          f"groupe « {closed.name} » : aucune question importée, section omise")
                self.sections.remove(closed.section)
            self.current = None

    def question(self, number: int, kind: str, name: str | None, values: dict[str, str]) -> None:
        survey = self.survey
        select = _SELECT.fullmatch(kind)
        question_type = _SIMPLE_TYPES.get(kind.casefold())
        if question_type is None and select is None:
            folded = kind.casefold()
            known = any(folded == k or folded.startswith(f"{k} ") for k in _KNOWN_UNSUPPORTED)
            reason = "non pris en charge" if known else "inconnu"
            self.skip_row(number, name, survey.headers["type"], f"type « {kind} » {reason} : ligne ignorée")
            return
        if not name:
            self.warn(survey.title, number, survey.headers["name"], "question sans nom : ligne ignorée")
            return

        choices = None
        if select is not None:
            choices = self.select_choices(number, kind, name, select)
            if choices is None:
                return
            single = select.group(1).casefold() in ("select_one", "select1", "select one")
            question_type = "choix_unique" if single else "choix_multiple"
        elif question_type == "texte" and "multiline" in values.get("appearance", "").casefold().split():
            question_type = "texte_long"
        question: dict[str, Any] = {"code": self.question_code(number, name), "type": question_type}
        if choices is not None:
            question["choix"] = choices

        used: set[str] = set()
        question["libelle"] = self.question_label(number, name, values, used)
        self.unsupported_columns(number, values, used)
        if hint := self.text(number, values, "hint"):
            question["aide"] = hint
        item = _Item(number, question, values.get("relevant"), values.get("constraint"), [g.row for g in self.groups])
        self.read_required(item, values)
        if values.get("constraint") and (message := self.text(number, values, "constraint_message")):
            question["message_contrainte"] = message

        if self.current is None:
            self.current = {"code": None, "titre": "Questions", "questions": []}
            self.sections.append(self.current)
        self.current["questions"].append(question)
        self.items.append(item)

    def skip_row(self, number: int, name: str | None, column: str | None, message: str) -> None:
        """A question row left out (its name remembered, so that conditions on it say why they are dropped)."""
        self.warn(self.survey.title, number, column, message)
        if name:
            self.skipped.setdefault(name, number)

    def select_choices(self, number: int, kind: str, name: str, select: re.Match[str]) -> list[dict[str, str]] | None:
        """The choices of a select's list, or None when the row is left out (no list)."""
        type_column = self.survey.headers["type"]
        list_name = select.group(2)
        if not list_name:
            self.skip_row(number, name, type_column, f"« {kind} » sans nom de liste de choix : ligne ignorée")
            return None
        if list_name not in self.choices:
            where = self.no_lists or f"absente de l'onglet « {self.sheets['choices'].title} »"
            separator = " :" if self.no_lists else ""
            self.skip_row(number, name, type_column, f"liste « {list_name} »{separator} {where} : ligne ignorée")
            return None
        if select.group(3):
            self.warn(self.survey.title, number, type_column,
                      "« or_other » non pris en charge : pas de choix « autre » à préciser")
        return [dict(choice) for choice in self.choices[list_name]]

    def question_code(self, number: int, name: str) -> str:
        """The question's code; the second of two questions with the same code is renamed (reported)."""
        name_column = self.survey.headers["name"]
        code = self.codes[name]
        if code in self.seen_codes:
            first_row, first_name = self.seen_codes[code]
            renamed = _free_code(code, set(self.seen_codes) | set(self.codes.values()))
            message = (f"code « {code} » en double (déjà ligne {first_row}, « {first_name} ») : "
                       f"question renommée « {renamed} »")
            if first_name == name:
                message += f", ${{{name}}} désigne la première"
            else:
                self.codes[name] = renamed  # ${name} means this question, not the first
            self.warn(self.survey.title, number, name_column, message)
            code = renamed
        elif code != name:
            self.warn(self.survey.title, number, name_column, f"code « {name} » renommé « {code} »")
        self.seen_codes[code] = (number, name)
        return code

    def question_label(self, number: int, name: str, values: dict[str, str], used: set[str]) -> str:
        """The label; without one (an image only, or nothing), the question's name (reported)."""
        title = self.survey.title
        if label := self.text(number, values, "label"):
            if _references(label):
                self.warn(title, number, self.label_column(),
                          "référence ${…} dans le libellé : affichée telle quelle")
            return label
        if found := _media_instead_of_label(values, self.media):
            kind, key = found
            used.add(key)
            self.warn(title, number, self.column(key),
                      f"pas de libellé, seulement {kind} : le nom « {name} » sert de libellé")
        else:
            self.warn(title, number, self.label_column(), f"libellé manquant : le nom « {name} » sert de libellé")
        return name

    def read_required(self, item: _Item, values: dict[str, str]) -> None:
        """Yes/no now; an expression is decided with the question's conditions (check_expressions)."""
        question = item.data
        raw = values.get("required")
        required = _truth(raw)
        if required is False:
            return
        if question["type"] == "note":
            self.warn(self.survey.title, item.row, self.column("required"),
                      "une note ne peut pas être obligatoire : ignoré")
            return
        item.required_message = self.text(item.row, values, "required_message")
        if required is None:
            item.required = raw
            return
        question["obligatoire"] = True
        if item.required_message:
            question["message_obligatoire"] = item.required_message

    def unsupported_columns(self, number: int, values: dict[str, str], used: Collection[str] = ()) -> None:
        for key in values:
            if key not in self.known and key not in used:
                self.warn(self.survey.title, number, self.survey.headers[key], "colonne non prise en charge : ignorée")

    # -- expressions ---------------------------------------------------------------------------

    def check_expressions(self) -> None:
        """Rename references, then keep each condition/constraint only if Maillage can evaluate it.

        What is dropped is « à revoir », and never leaves a question stricter than the form meant:
        a required question that lost a condition becomes optional."""
        defined: set[str] = set()
        group_conditions: dict[int, str | None] = {}
        for item in self.items:
            conditions: list[str] = []
            dropped: list[int] = []  # rows whose relevant was dropped
            for row in item.groups:
                relevant = self.all_groups[row].relevant
                if row not in group_conditions:
                    group_conditions[row] = self.expression(
                        row, "relevant", relevant, defined, None,
                        "condition du groupe ignorée : ses questions seront toujours posées",
                    )
                if condition := group_conditions[row]:
                    conditions.append(condition)
                elif relevant:
                    dropped.append(row)
            own = self.expression(
                item.row, "relevant", item.relevant, defined, None,
                "condition ignorée : la question sera toujours posée",
            )
            if own:
                conditions.append(own)
            elif item.relevant:
                dropped.append(item.row)
            if len(conditions) == 1:
                item.data["visible_si"] = conditions[0]
            elif conditions:
                item.data["visible_si"] = " and ".join(f"({c})" for c in conditions)
            constraint = self.expression(
                item.row, "constraint", item.constraint, defined, item.data["code"],
                "contrainte ignorée : la réponse ne sera pas vérifiée",
            )
            if constraint:
                item.data["contrainte"] = constraint
            else:
                item.data.pop("message_contrainte", None)
            self.settle_required(item, conditions, dropped)
            defined.add(item.data["code"])

    def settle_required(self, item: _Item, conditions: list[str], dropped: list[int]) -> None:
        """Required only when the form's meaning is kept: else optional, and « à revoir ».

        A required expression is kept when it is one of the question's display conditions (the
        question is then required whenever it is asked); any other is left out. A required question
        that lost a display condition becomes optional: it must not be demanded where the form
        does not ask it."""
        column = self.column("required")
        required = bool(item.data.get("obligatoire"))
        if item.required is not None:
            renamed = _rename_references(item.required, self.codes)
            required = any(_same_expression(renamed, condition) for condition in conditions)
            if not required:
                self.to_review(
                    item.row, column,
                    f"obligation conditionnelle « {item.required} » non prise en charge : question facultative",
                )
                return
        if required and dropped:
            item.data.pop("obligatoire", None)
            item.data.pop("message_obligatoire", None)
            row = dropped[0]
            which = "sa condition d'affichage" if row == item.row else f"la condition de son groupe (ligne {row})"
            self.to_review(item.row, column,
                           f"question obligatoire, mais {which} est ignorée : rendue facultative, "
                           "pour ne pas l'exiger là où le formulaire ne la pose pas")
            return
        if item.required is not None:
            self.warn(self.survey.title, item.row, column,
                      f"obligation « {item.required} » identique à la condition d'affichage : "
                      "question obligatoire quand elle est posée")
            item.data["obligatoire"] = True
            if item.required_message:
                item.data["message_obligatoire"] = item.required_message

    def expression(
        self, row: int, key: str, text: str | None, defined: set[str], own: str | None, dropped: str
    ) -> str | None:
        """The expression with Maillage codes, or None (and a row « à revoir » saying it is dropped)."""
        if not text:
            return None
        column = self.column(key)
        for name in _references(text):
            if name in self.skipped and self.codes.get(name) not in self.seen_codes:
                where = self.skipped[name]
                self.to_review(row, column,
                               f"« {text} » : ${{{name}}} désigne une question ignorée (ligne {where}) : {dropped}")
                return None
            if name not in self.codes:
                self.to_review(row, column, f"« {text} » : ${{{name}}} ne désigne aucune question : {dropped}")
                return None
        renamed = _rename_references(text, self.codes)
        try:
            parsed = parse_expression(renamed)  # also rejects the functions the language does not have
        except ExpressionError as error:
            where = f" (caractère {error.position})" if error.position and renamed == text else ""
            self.to_review(row, column, f"expression « {text} » illisible : {error.reason}{where} : {dropped}")
            return None
        for reference in sorted(parsed.references()):
            if reference not in defined and reference != own:
                self.to_review(row, column,
                               f"« {text} » : ${{{reference}}} n'est pas une question posée avant : {dropped}")
                return None
        return renamed


def _import(data: bytes, name: str, code: str | None) -> XLSFormImport:
    try:
        sheets, sheet_names = _read_workbook(data, name)
    except _Fatal as fatal:
        return XLSFormImport(None, [fatal.problem])
    converter = _Converter(sheets, sheet_names, name, code)
    raw = converter.convert()
    # In workbook order: the whole file, then survey, choices and settings, each by row.
    order = [sheets[key].title for key in ("survey", "choices", "settings") if key in sheets]
    rank = {name: 0, **{title: index for index, title in enumerate(order, start=1)}}
    problems = sorted(converter.problems, key=lambda p: (rank.get(p.sheet, 0), p.row or 0))
    if raw is None or any(p.fatal for p in problems):
        return XLSFormImport(None, problems)
    try:
        questionnaire = questionnaire_from_dict(raw, source=name)
    except QuestionnaireInvalid as error:
        for line in str(error).splitlines():
            problems.append(XLSFormProblem(name, None, None, line.removeprefix(f"{name} : "), fatal=True))
        return XLSFormImport(None, problems)
    return XLSFormImport(questionnaire, problems)
