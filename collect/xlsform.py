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

Problems are *fatal* when the form cannot be read or when pyxform itself would reject it (no
``survey`` sheet, no ``type``/``name`` column, a select whose list is missing, an unmatched
``end group``, duplicate codes…): no questionnaire then. They are *warnings* when the form is a
valid XLSForm using something Maillage does not do (a ``geopoint``, a ``repeat``, a
``choice_filter`` column, an expression the expression language cannot read…): that row, column
or condition is left out and the rest is imported.

Rows are read with openpyxl (not pyxform's reader): every message names the sheet's real row
number, headers are matched case-insensitively, and pyxform is not a dependency of Maillage.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from collect.expressions import ExpressionError, parse_expression
from collect.questionnaire import Questionnaire, QuestionnaireInvalid, questionnaire_from_dict

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

    @property
    def severity(self) -> str:
        return "erreur" if self.fatal else "avertissement"

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
        return [p for p in self.problems if p.fatal]

    @property
    def warnings(self) -> list[XLSFormProblem]:
        return [p for p in self.problems if not p.fatal]


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
    title = str(worksheet.title).strip()
    if hasattr(worksheet, "reset_dimensions"):
        worksheet.reset_dimensions()  # some producers write a wrong <dimension>: read every row
    rows_iter = worksheet.iter_rows(values_only=True)
    header_cells = next(rows_iter, ())
    columns: list[str | None] = []
    headers: dict[str, str] = {}
    for index, value in enumerate(header_cells):
        text = _cell_text(value)
        if text is None:
            columns.append(None)
            continue
        key = _header_key(text)
        if key in headers:
            raise _Fatal(
                XLSFormProblem(title, 1, text, f"colonne « {text} » en double (déjà « {headers[key]} »)", fatal=True)
            )
        headers[key] = text
        columns.append(key)
    rows: list[tuple[int, dict[str, str]]] = []
    for number, cells in enumerate(rows_iter, start=2):
        values: dict[str, str] = {}
        for key, value in zip(columns, cells):
            if key is None:
                continue
            text = _cell_text(value)
            if text is not None:
                values[key] = text
        if values:
            rows.append((number, values))
    return _Sheet(title, headers, rows)


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
_SURVEY_COLUMNS = {"type", "name", "required", "relevant", "constraint", "appearance", "disabled", *_TRANSLATABLE}
_CHOICES_COLUMNS = {"list_name", "name", "label"}
_SETTINGS_COLUMNS = {"form_title", "form_id", "version", "default_language"}
_FRENCH_NAMES = {"fr", "fra", "fre", "french", "français", "francais"}


def _family(key: str) -> str:
    return key.partition("::")[0]


def _is_french(language: str) -> bool:
    language = language.strip().casefold()
    if language in _FRENCH_NAMES or re.fullmatch(r"fr[-_][a-z]{2}", language):
        return True
    if re.search(r"\(\s*fr([-_][a-z]{2})?\s*\)$", language):
        return True
    return language.split("(")[0].strip() in _FRENCH_NAMES


def _pick_column(sheet: _Sheet, family: str, default_language: str | None) -> tuple[str | None, list[str]]:
    """The column of ``family`` to read (French first, then the default language), and the others."""
    candidates = [key for key in sheet.headers if _family(key) == family]
    if not candidates:
        return None, []

    def language(key: str) -> str | None:
        return key.partition("::")[2] or None

    chosen = next((k for k in candidates if language(k) and _is_french(language(k) or "")), None)
    if chosen is None and default_language and _is_french(default_language) and family in candidates:
        chosen = family
    if chosen is None and default_language:
        wanted = " ".join(default_language.split()).casefold()
        chosen = next((k for k in candidates if language(k) == wanted), None)
    if chosen is None:
        chosen = family if family in candidates else candidates[0]
    return chosen, [k for k in candidates if k != chosen]


def _report_other_languages(sheet: _Sheet, others: list[str], chosen: str, problems: list[XLSFormProblem]) -> None:
    for key in others:
        if any(key in values for _, values in sheet.rows):
            problems.append(
                XLSFormProblem(
                    sheet.title, 1, sheet.headers[key],
                    f"autre langue (la colonne « {sheet.headers[chosen]} » est lue) : colonne ignorée",
                )
            )


# --------------------------------------------------------------------------------------------
# Codes and expressions

_REFERENCE = re.compile(r"""'[^']*'|"[^"]*"|\$\{\s*([^}]*?)\s*\}""")


def code_of_name(name: str) -> str:
    """A valid Maillage code for an XLSForm name: lowercase, without accents, ``[a-z0-9_]``, a letter first."""
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    code = re.sub(r"[^a-z0-9_]", "_", bare).lstrip("_")
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
        self.choices: dict[str, list[dict[str, str]]] | None = None
        self.columns: dict[str, str | None] = {}  # translatable family → the column read
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

    def fatal(self, sheet: str, row: int | None, column: str | None, message: str) -> None:
        self.problems.append(XLSFormProblem(sheet, row, column, message, fatal=True))

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

    def read_choices(self, default_language: str | None) -> dict[str, list[dict[str, str]]] | None:
        sheet = self.sheets.get("choices")
        if sheet is None:
            return None
        lists: dict[str, list[dict[str, str]]] = {}
        if not sheet.rows:
            return lists
        missing = [needed for needed in ("list_name", "name") if needed not in sheet.headers]
        for needed in missing:
            self.fatal(sheet.title, 1, None, f"colonne « {needed} » absente de l'onglet des choix")
        if missing:
            return lists
        label, others = _pick_column(sheet, "label", default_language)
        if label is not None:
            _report_other_languages(sheet, others, label, self.problems)
        reported: set[str] = set()
        seen: dict[tuple[str, str], int] = {}
        for number, values in sheet.rows:
            for key in values:
                if key not in _CHOICES_COLUMNS and _family(key) != "label" and key not in reported:
                    reported.add(key)
                    self.warn(sheet.title, number, sheet.headers[key], "colonne non prise en charge : ignorée")
            list_name = values.get("list_name")
            choice = values.get("name")
            if list_name is None and choice is None:
                continue
            if list_name is None or choice is None:
                absent = "list_name" if list_name is None else "name"
                self.fatal(sheet.title, number, sheet.headers.get(absent), f"choix sans « {absent} »")
                continue
            if (list_name, choice) in seen:
                first = seen[list_name, choice]
                self.fatal(
                    sheet.title, number, sheet.headers["name"],
                    f"choix « {choice} » en double dans la liste « {list_name} » (déjà ligne {first})",
                )
                continue
            seen[list_name, choice] = number
            text = values.get(label) if label else None
            if text is None:
                self.warn(sheet.title, number, sheet.headers.get(label or "", "label"),
                          f"choix « {choice} » sans libellé : son code sert de libellé")
                text = choice
            lists.setdefault(list_name, []).append({"code": choice, "libelle": text})
        return lists

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
        settings = self.read_settings()
        default_language = settings["default_language"][0] if "default_language" in settings else None
        self.choices = self.read_choices(default_language)
        for family in _TRANSLATABLE:
            chosen, others = _pick_column(survey, family, default_language)
            self.columns[family] = chosen
            if chosen is not None:
                _report_other_languages(survey, others, chosen, self.problems)
        self.known = _SURVEY_COLUMNS | {k for k in survey.headers if _family(k) in _TRANSLATABLE}
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

    def text(self, values: dict[str, str], family: str) -> str | None:
        key = self.columns.get(family)
        return values.get(key) if key else None

    def column(self, key: str | None) -> str | None:
        """A column's header as written in the survey sheet."""
        return self.survey.headers.get(key) if key else None

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
                if name or self.text(values, "label"):
                    self.fatal(survey.title, number, type_column, "question sans type")
                else:
                    self.warn(survey.title, number, None, "ligne sans type ni nom : ignorée")
                continue
            if control:
                self.control(number, kind, name, values, control.group(1), control.group(2))
                continue
            self.question(number, kind, name, values)

        if self.skip is not None:
            kind = self.skip.kind
            self.fatal(survey.title, self.skip.row, type_column, f"« begin {kind} » sans « end {kind} »")
        for group in self.groups:
            self.fatal(survey.title, group.row, type_column, f"groupe « {group.name} » sans « end group »")

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
                self.fatal(survey.title, number, type_column, f"« {kind} » sans « begin {what} »")
            return
        if verb == "end":
            if not self.groups:
                self.fatal(survey.title, number, type_column, f"« {kind} » sans « begin group »")
                return
            closed = self.groups.pop()
            if closed.section is not None:
                if not closed.section["questions"]:
                    self.warn(survey.title, closed.row, survey.headers["name"],
                              f"groupe « {closed.name} » : aucune question importée, section omise")
                    self.sections.remove(closed.section)
                self.current = None
            return
        if not name:
            self.fatal(survey.title, number, survey.headers["name"], "groupe sans nom")
            name = f"groupe_ligne_{number}"
        self.unsupported_columns(number, values)
        group = _Group(number, name, values.get("relevant"), None)
        self.all_groups[number] = group
        if not self.groups:
            code = code_of_name(name)
            if code in self.section_codes:
                first_row, first_name = self.section_codes[code]
                self.fatal(survey.title, number, survey.headers["name"],
                           f"code de section « {code} » en double (déjà ligne {first_row}, « {first_name} »)")
            self.section_codes[code] = (number, name)
            if code != name:
                self.warn(
                    survey.title, number, survey.headers["name"], f"code de section « {name} » renommé « {code} »"
                )
            title = self.text(values, "label")
            if not title:
                self.warn(survey.title, number, None, f"groupe « {name} » sans libellé : son nom sert de titre")
                title = name
            group.section = {"code": code, "titre": title, "questions": []}
            self.sections.append(group.section)
            self.current = group.section
        else:
            outer = self.groups[0].name
            self.warn(survey.title, number, type_column,
                      f"groupe imbriqué « {name} » : ses questions sont rangées dans la section « {outer} »")
        self.groups.append(group)

    def question(self, number: int, kind: str, name: str | None, values: dict[str, str]) -> None:
        survey = self.survey
        type_column = survey.headers["type"]
        select = _SELECT.fullmatch(kind)
        question_type = _SIMPLE_TYPES.get(kind.casefold())
        if question_type is None and select is None:
            folded = kind.casefold()
            known = any(folded == k or folded.startswith(f"{k} ") for k in _KNOWN_UNSUPPORTED)
            reason = "non pris en charge" if known else "inconnu"
            self.warn(survey.title, number, type_column, f"type « {kind} » {reason} : ligne ignorée")
            if name:
                self.skipped.setdefault(name, number)
            return
        if not name:
            self.fatal(survey.title, number, survey.headers["name"], "question sans nom")
            return

        question: dict[str, Any] = {"code": self.codes[name]}
        if select is not None:
            single = select.group(1).casefold() in ("select_one", "select1", "select one")
            question_type = "choix_unique" if single else "choix_multiple"
            list_name = select.group(2)
            if not list_name:
                self.fatal(survey.title, number, type_column, f"« {kind} » sans nom de liste de choix")
                return
            if self.choices is None:
                self.fatal(
                    survey.title, number, type_column, f"liste « {list_name} » : onglet « choices » absent du classeur"
                )
                return
            if list_name not in self.choices:
                self.fatal(survey.title, number, type_column,
                           f"liste « {list_name} » absente de l'onglet « {self.sheets['choices'].title} »")
                return
            if select.group(3):
                self.warn(
                    survey.title, number, type_column,
                    "« or_other » non pris en charge : pas de choix « autre » à préciser",
                )
            question["choix"] = [dict(choice) for choice in self.choices[list_name]]
        elif question_type == "texte" and "multiline" in values.get("appearance", "").casefold().split():
            question_type = "texte_long"
        question["type"] = question_type

        self.unsupported_columns(number, values)
        code = question["code"]
        if code in self.seen_codes:
            first_row, first_name = self.seen_codes[code]
            self.fatal(survey.title, number, survey.headers["name"],
                       f"code « {code} » en double (déjà ligne {first_row}, « {first_name} »)")
            return
        self.seen_codes[code] = (number, name)
        if code != name:
            self.warn(survey.title, number, survey.headers["name"], f"code « {name} » renommé « {code} »")

        if label := self.text(values, "label"):
            question["libelle"] = label
            if _references(label):
                self.warn(survey.title, number, self.column(self.columns["label"]),
                          "référence ${…} dans le libellé : affichée telle quelle")
        else:
            self.fatal(survey.title, number, self.column(self.columns["label"]), "libellé manquant")
        if hint := self.text(values, "hint"):
            question["aide"] = hint
        required = _truth(values.get("required"))
        if required is None:
            self.warn(survey.title, number, self.column("required"),
                      f"obligation conditionnelle « {values['required']} » non prise en charge : question facultative")
        elif required and question_type == "note":
            self.warn(survey.title, number, self.column("required"), "une note ne peut pas être obligatoire : ignoré")
        elif required:
            question["obligatoire"] = True
            if message := self.text(values, "required_message"):
                question["message_obligatoire"] = message
        if values.get("constraint") and (message := self.text(values, "constraint_message")):
            question["message_contrainte"] = message

        if self.current is None:
            self.current = {"code": None, "titre": "Questions", "questions": []}
            self.sections.append(self.current)
        self.current["questions"].append(question)
        self.items.append(
            _Item(number, question, values.get("relevant"), values.get("constraint"), [g.row for g in self.groups])
        )

    def unsupported_columns(self, number: int, values: dict[str, str]) -> None:
        for key in values:
            if key not in self.known:
                self.warn(self.survey.title, number, self.survey.headers[key], "colonne non prise en charge : ignorée")

    # -- expressions ---------------------------------------------------------------------------

    def check_expressions(self) -> None:
        """Rename references, then keep each condition/constraint only if Maillage can evaluate it."""
        defined: set[str] = set()
        group_conditions: dict[int, str | None] = {}
        for item in self.items:
            conditions = []
            for row in item.groups:
                if row not in group_conditions:
                    group_conditions[row] = self.expression(
                        row, "relevant", self.all_groups[row].relevant, defined, None,
                        "condition du groupe ignorée : ses questions seront toujours posées",
                    )
                if condition := group_conditions[row]:
                    conditions.append(condition)
            if own := self.expression(
                item.row, "relevant", item.relevant, defined, None,
                "condition ignorée : la question sera toujours posée",
            ):
                conditions.append(own)
            if len(conditions) == 1:
                item.data["visible_si"] = conditions[0]
            elif conditions:
                item.data["visible_si"] = " and ".join(f"({c})" for c in conditions)
            constraint = self.expression(
                item.row, "constraint", item.constraint, defined, item.data["code"], "contrainte ignorée"
            )
            if constraint:
                item.data["contrainte"] = constraint
            else:
                item.data.pop("message_contrainte", None)
            defined.add(item.data["code"])

    def expression(
        self, row: int, key: str, text: str | None, defined: set[str], own: str | None, dropped: str
    ) -> str | None:
        """The expression with Maillage codes, or None (and a warning saying it is dropped)."""
        if not text:
            return None
        column = self.column(key)
        title = self.survey.title
        for name in _references(text):
            if name in self.skipped and self.codes.get(name) not in self.seen_codes:
                where = self.skipped[name]
                self.warn(title, row, column,
                          f"« {text} » : ${{{name}}} désigne une question ignorée (ligne {where}) : {dropped}")
                return None
            if name not in self.codes:
                self.warn(title, row, column, f"« {text} » : ${{{name}}} ne désigne aucune question : {dropped}")
                return None
        renamed = _rename_references(text, self.codes)
        try:
            parsed = parse_expression(renamed)  # also rejects the functions the language does not have
        except ExpressionError as error:
            where = f" (caractère {error.position})" if error.position and renamed == text else ""
            self.warn(title, row, column, f"expression « {text} » illisible : {error.reason}{where} : {dropped}")
            return None
        for reference in sorted(parsed.references()):
            if reference not in defined and reference != own:
                self.warn(title, row, column,
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
