"""Importing structures from the files territories really have: prepare → plan → write.

``import_file(store, path)`` reads a CSV/XLSX/JSON file (``collect.readers``) and runs three steps,
each small and tested on its own:

1. **prepare** (:func:`prepare_import`): understand the columns by name and by content
   (``collect.column_plan``), with the person's choices and the source's import profile on top;
   translate the source's words to the standard's codes (``collect.translations``); read the
   file-level facts (``collect.import_context``); turn each line into a lieu or the reasons it
   cannot be (``collect.lines``).
2. **plan** (:func:`plan_import`): compare each lieu with the store — new, updated (the source
   changed since its last import), unchanged — and find possible duplicates. A dry run stops here.
3. **write** (:func:`write_import`): ONE transaction for the whole import.

Nothing is lost: two lines become one lieu only when they are identical in every column; lines of
one place that differ are both kept and proposed as duplicates to review. Columns that feed no
field stay with the lieu (``donnees_source``); values that cannot be kept in the standard are set
aside (``valeurs_ecartees``). Re-importing a file changes nothing: a line is recognised by its id
within its source (``lines.import_key``) or by a fingerprint of its place, and a re-import only
applies the fields that changed *in the source* since the last import, so an edit made in Maillage
meanwhile is not overwritten by stale file values. A date that is not the source's own (the file's
date, or the import day as an estimate) never counts as a change.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from itertools import chain
from pathlib import Path
from typing import Any

import pyarrow as pa

from collect.column_plan import KEPT_ASIDE, POINT_FIELD, ColumnPlan, ColumnUse, plan_columns
from collect.columns import load_mapping_file
from collect.duplicates import Candidate, find_duplicates
from collect.import_context import FileContext, departement_hint, file_date, header_namespace
from collect.import_profiles import (
    RECOGNITION_THRESHOLD,
    ImportProfile,
    ProfileError,
    get_profile,
    header_similarity,
    recognise_profile,
)
from collect.legacy import LEGACY_FIELDS
from collect.lines import CellTranslator, PreparedLine, prepare_line
from collect.parallel import iter_chunks, warm_up
from collect.readers import Table, cells_of, read_table, read_table_bytes
from collect.translations import (
    HOW_CONSTANT,
    HOW_PERSON,
    HOW_PROFILE,
    Translation,
    propose_translations,
    translation_index,
    unknown_items,
)
from models.access import require
from models.audit import record_audit
from models.duplicates import DuplicatePair, record_duplicate_candidates
from models.errors import ImportRejected
from models.ids import new_id
from models.personal_data import KnownPeople, known_people_from
from models.registry import StructureWrite, import_base_json, insert_structures, replace_structures, structure_from_row
from models.runtime import collector_paused
from models.store import Store, fetch_dicts, utc_now
from models.structure import Structure, changed_fields, data_fields, enumerated_fields, structure_values
from models.text import counted

Progress = Callable[[int, int], None]
PreparedItem = tuple[PreparedLine, str]  # a prepared line and the fingerprint of the line as read
Step = Callable[[str], None]

# The steps of an import, as ``import_table(step=…)`` announces them (French: shown on the Import page).
STEP_PREPARE = "Préparation des lignes"
STEP_PLAN = "Comparaison avec la base"
STEP_WRITE = "Enregistrement"
Corrections = Mapping[str, Mapping[str, Any]]

# Lines are prepared in chunks of 1 % of the file, at most this many; from PARALLEL_FROM_LINES lines, worker
# processes share them with the caller (collect.parallel) — from COLD_PARALLEL_FROM_LINES lines in a process
# that has not started them yet: their first start (~4 s of loading) is repaid by ~8 s of preparation only.
PREPARE_CHUNK = 500
PARALLEL_FROM_LINES = 2_000
COLD_PARALLEL_FROM_LINES = 15_000
# Bump when line preparation changes what it produces, so that lines imported before are prepared again.
PREPARATION_VERSION = 3  # 3: columns by content, value translations, file date, statut (issue 16)


@dataclass(frozen=True)
class ImportIssue:
    """A problem on one line of a file (or of the whole file, line None): where, the value, why (French)."""

    file: str
    line: int | None
    field: str | None
    value: str | None
    message: str
    severity: str  # "erreur" (line rejected) or "avertissement" (line kept, value fixed or set aside)

    def __str__(self) -> str:
        where = f"{self.file}, ligne {self.line}" if self.line is not None else self.file
        if self.field:
            where += f", champ {self.field}"
        if self.value not in (None, ""):
            where += f" (« {self.value} »)"
        return f"{where} : {self.message}"


@dataclass
class ImportReport:
    """What an import found and did; ``dry_run`` reports only, nothing is written."""

    file: str
    format: str
    rows_read: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    identical: int = 0  # lines identical in every column to an earlier line: the same lieu
    duplicates: int = 0
    rejected: int = 0
    dry_run: bool = True
    written: bool = False
    import_run_id: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    columns: list[ColumnUse] = field(default_factory=list)
    translations: list[Translation] = field(default_factory=list)
    profile: str | None = None  # the import profile applied
    profile_recognised: bool = False  # found by the file's header (not named by the person)
    date_note: str | None = None  # where the lieux without their own date got one
    namespace: str | None = None  # the namespace of the source's ids (collect.import_context)
    issues: list[ImportIssue] = field(default_factory=list)
    duplicate_pairs: list[DuplicatePair] = field(default_factory=list)

    @property
    def mapping(self) -> dict[str, str]:
        """Column → field, for the columns that feed a field."""
        return {u.column: u.field for u in self.columns if u.field and not u.ignored}

    @property
    def unmatched_columns(self) -> list[str]:
        return [u.column for u in self.columns if u.field is None and not u.ignored]

    @property
    def errors(self) -> list[ImportIssue]:
        return [issue for issue in self.issues if issue.severity == "erreur"]

    @property
    def warnings(self) -> list[ImportIssue]:
        return [issue for issue in self.issues if issue.severity != "erreur"]

    def counts(self) -> dict[str, int]:
        """The figures of the report by their French names."""
        return {
            "lignes lues": self.rows_read,
            "nouvelles": self.new,
            "mises à jour": self.updated,
            "inchangées": self.unchanged,
            "identiques": self.identical,
            "doublons possibles": self.duplicates,
            "rejetées": self.rejected,
            "avertissements": len(self.warnings),
        }

    def summary(self) -> str:
        """One French sentence with the counts (« 1 ligne lue, 2 nouvelles… »)."""
        head = "Simulation (rien n'a été enregistré)" if self.dry_run else "Import"
        parts = [
            counted(self.rows_read, "ligne lue", "lignes lues"),
            counted(self.new, "nouvelle", "nouvelles"),
            counted(self.updated, "mise à jour", "mises à jour"),
            counted(self.unchanged, "inchangée", "inchangées"),
        ]
        if self.identical:
            parts.append(counted(self.identical, "identique à une autre", "identiques à d'autres"))
        parts += [
            counted(self.duplicates, "doublon possible", "doublons possibles"),
            counted(self.rejected, "rejetée", "rejetées"),
            counted(len(self.warnings), "avertissement", "avertissements"),
        ]
        return f"{head} — {self.file} : " + ", ".join(parts) + "."

    def issue_rows(self) -> list[dict[str, Any]]:
        """The issues as table rows (French column names), for a page or a CSV."""
        return [
            {"fichier": i.file, "ligne": i.line, "champ": i.field, "valeur": i.value, "gravité": i.severity,
             "message": i.message}
            for i in self.issues
        ]

    def column_rows(self) -> list[dict[str, Any]]:
        """Every column of the file and its fate, for the column table (page, CLI)."""
        return [
            {"colonne": u.column, "champ": u.field or "", "trouvée": u.how and u.fate or u.fate,
             "raison": u.reason, "confiance": round(u.confidence, 2) if u.field else None,
             "exemples": " | ".join(u.samples)}
            for u in self.columns
        ]

    def translation_rows(self) -> list[dict[str, Any]]:
        """Every value translation with its count, for the translation table (page, CLI)."""
        return [
            {"colonne": t.column, "champ": t.field, "valeur": t.value, "traduction": t.targets_text(),
             "lignes": t.count, "comment": t.how}
            for t in self.translations
        ]


@dataclass
class PreparedImport:
    """Step 1's result: the file understood and every line prepared (nothing compared yet)."""

    table: Table
    plan: ColumnPlan
    translations: list[Translation]
    context: FileContext
    profile: ImportProfile | None
    profile_recognised: bool
    # The lines to compare, with their fingerprint, prepared as they are read (once, by ``plan_import``): only a
    # few chunks are in memory at a time, whatever the size of the file.
    lines: Iterator[PreparedItem]
    seen: list[tuple[int, str]]  # lines imported before exactly as they are: (line, fingerprint)
    identical: list[tuple[int, int]]  # (line, the earlier line it repeats)
    file_issues: list[ImportIssue]


@dataclass
class ImportPlan:
    """Step 2's result: what writing would do."""

    prepared: PreparedImport
    report: ImportReport
    new_writes: list[StructureWrite]  # the writes: none in a dry run's plan (its report has the counts)
    updated_writes: list[StructureWrite]
    refreshed: list[tuple[str, str, str]]  # unchanged lines: (id, fingerprint, source values)


# -- entry points ------------------------------------------------------------------------------------


def import_file(store: Store, path: str | Path, *, sheet: str | None = None, **options: Any) -> ImportReport:
    """Read ``path`` and import its structures (see ``import_table`` for the options)."""
    return import_table(store, read_table(path, sheet=sheet), **options)


def import_bytes(store: Store, data: bytes, name: str, *, sheet: str | None = None, **options: Any) -> ImportReport:
    """Import an uploaded file's bytes (see ``import_table`` for the options)."""
    return import_table(store, read_table_bytes(data, name, sheet=sheet), **options)


def import_table(
    store: Store,
    table: Table,
    *,
    mapping: str | Path | Mapping[str, str | None] | None = None,
    profile: str | ImportProfile | None = None,
    use_profile: bool = True,
    translations: Corrections | None = None,
    date_maj: date | None = None,
    dry_run: bool = False,
    all_or_nothing: bool = False,
    by: str = "import",
    progress: Progress | None = None,
    step: Step | None = None,
    today: date | None = None,
    in_background: bool = False,
) -> ImportReport:
    """Prepare, plan and (unless ``dry_run``) write the lieux of ``table`` in one transaction.

    :param mapping: the person's column choices (``{"Nom du lieu": "nom", "Interne": None}``) or a mapping file.
    :param profile: an import profile (its name, or the profile); None: the one recognised by the header,
        unless ``use_profile`` is False.
    :param translations: the person's value translations, column → value → [(field, code)…].
    :param date_maj: the date of the file, for the lieux without their own date.
    :param all_or_nothing: write nothing if any line is rejected (raises ``ImportRejected``).
    :param progress: called as ``progress(done, total)`` while lines are prepared.
    :param step: called with each step's French name (``STEP_PREPARE``, ``STEP_PLAN``, ``STEP_WRITE``) as it
        begins; raising from it (or from ``progress``) stops the import, and before ``STEP_WRITE`` nothing is written.
    :param in_background: the caller is a server's thread: worker processes prepare the lines, when
        the machine has some to spare, and the thread leaves the interpreter to the other visitors.
    Returns an ``ImportReport``; raises ``NotATable`` (readers), ``InvalidMapping`` or ``ProfileError``.
    """
    with store.connect() as con:
        require(con, by, "importer")
    overrides = load_mapping_file(mapping) if isinstance(mapping, str | Path) else dict(mapping or {})
    announce = step or (lambda name: None)
    with collector_paused():
        announce(STEP_PREPARE)
        prepared = prepare_import(store, table, overrides=overrides, profile=profile, use_profile=use_profile,
                                  corrections=translations, date_maj=date_maj, progress=progress,
                                  today=today or date.today(), in_background=in_background)
        prepared.lines = _then(prepared.lines, lambda: announce(STEP_PLAN))
        plan = plan_import(store, prepared, dry_run=dry_run)
        if dry_run:
            return plan.report
        if all_or_nothing and plan.report.rejected:
            raise ImportRejected(table.file, plan.report.rejected)
        announce(STEP_WRITE)
        return write_import(store, plan, by=by)


def _then(lines: Iterator[PreparedItem], done: Callable[[], None]) -> Iterator[PreparedItem]:
    """The lines, then ``done()`` once the last one is prepared (the comparison goes on meanwhile)."""
    yield from lines
    done()


def profile_from_report(report: ImportReport, name: str) -> ImportProfile:
    """What a simulation applied (the columns' fates and the value translations decided by a person or
    a profile), as a profile of that source called ``name``."""
    from collect.translations import corrections_of

    def choice(use: ColumnUse) -> str | None:
        if use.ignored:
            return None
        return use.field or KEPT_ASIDE

    decided = [u for u in report.columns if u.ignored or u.field or u.how in (HOW_PERSON, HOW_PROFILE)]
    return ImportProfile(
        nom=name,
        colonnes=[u.column for u in report.columns],
        correspondance={u.column: choice(u) for u in decided},
        traductions=corrections_of(report.translations),
        espace=report.namespace,
    )


# -- 1. prepare --------------------------------------------------------------------------------------


def _profile_for(store: Store | None, table: Table, profile: str | ImportProfile | None,
                 use_profile: bool) -> tuple[ImportProfile | None, bool]:
    """The profile named (or given), else the one recognised by the file's header, and whether it was
    recognised."""
    if isinstance(profile, ImportProfile):
        return profile, False
    if profile is None and (not use_profile or store is None or not store.path.exists()):
        return None, False
    if store is None or not store.path.exists():
        raise ProfileError(f"Profil d'import « {profile} » introuvable (aucun profil enregistré).")
    with store.connect() as con:
        if profile is not None:
            return get_profile(con, profile), False
        match = recognise_profile(con, table.columns)
    return (match.profile, True) if match else (None, False)


def _merged_corrections(profile: ImportProfile | None, person: Corrections | None) -> tuple[dict, dict]:
    """The profile's translations and the person's, kept apart to say who decided each."""
    saved = {c: dict(v) for c, v in (profile.traductions if profile else {}).items()}
    mine = {c: dict(v) for c, v in (person or {}).items()}
    return saved, mine


def _translations(table: Table, plan: ColumnPlan, profile: ImportProfile | None,
                  person: Corrections | None) -> list[Translation]:
    from collect.translations import TRANSLATED_FIELDS

    columns = {u.column: u.field for u in plan.uses if u.field in TRANSLATED_FIELDS and not u.ignored}
    saved, mine = _merged_corrections(profile, person)
    found = _without_constant_withholding(propose_translations(table.rows, columns, corrections=saved,
                                                               corrected_by=HOW_PROFILE))
    if not mine:
        return found
    by_person = {(t.column, t.value): t for t in
                 propose_translations(table.rows, columns, corrections=mine, corrected_by=HOW_PERSON)
                 if t.how == HOW_PERSON}
    return [by_person.get((t.column, t.value), t) for t in found]


def _without_constant_withholding(translations: list[Translation]) -> list[Translation]:
    """A status column with ONE value on every line that would withhold every lieu (« validation = 0 »
    everywhere) says nothing about any one lieu — often a field the exporting tool never used: it is
    not applied (the person can still confirm it on the page)."""
    from dataclasses import replace

    from models.vocabulary import PUBLISHED_STATUTS

    by_column: dict[str, list[Translation]] = {}
    for t in translations:
        by_column.setdefault(t.column, []).append(t)
    out = []
    for t in translations:
        single = len(by_column[t.column]) == 1
        withholds = any(f == "statut" and c not in PUBLISHED_STATUTS for f, c in t.targets)
        if single and withholds and t.how not in (HOW_PERSON, HOW_PROFILE):
            t = replace(t, targets=(), how=HOW_CONSTANT)
        out.append(t)
    return out


def _known_people(table: Table, plan: ColumnPlan) -> KnownPeople:
    values = [value for c in plan.columns_for("contact_nom") for value in table.column(c)]
    return KnownPeople(known_people_from(v for v in values if v))


def source_namespace(store: Store | None, columns: list[str], profile: ImportProfile | None) -> str:
    """The namespace of the source's ids: the profile's; else the one of the latest import whose header
    is the same give or take a column or two (a hub's next monthly export); else the header's own."""
    if profile is not None and profile.espace:
        return profile.espace
    if store is not None and store.path.exists():
        with store.connect() as con:
            runs = con.execute(
                "SELECT espace, colonnes FROM import_runs WHERE espace IS NOT NULL AND colonnes IS NOT NULL"
                " ORDER BY created_at DESC"
            ).fetchall()
        for namespace, header in runs:
            if header_similarity(columns, json.loads(header)) >= RECOGNITION_THRESHOLD:
                return namespace
    return header_namespace(columns)


def _context(store: Store | None, table: Table, plan: ColumnPlan, profile: ImportProfile | None,
             given: date | None, today: date) -> FileContext:
    namespace = source_namespace(store, table.columns, profile)
    found, source = file_date(table.file, given, today=today)
    place_columns = [*plan.columns_for("code_postal"), *plan.columns_for("code_insee"), *plan.columns_for("adresse")]
    return FileContext(namespace=namespace, file_date=found, file_date_source=source,
                       departement_hint=departement_hint(table.rows, place_columns),
                       known_people=_known_people(table, plan))


def raw_line_hash(raw: Mapping[str, str | None], columns: list[str]) -> str:
    """A hash of a line as read, every column in the file's order (for lines identical in every column)."""
    cells = cells_of(raw, columns)
    if "__extra__" in raw:
        cells.append(raw["__extra__"])
    text = "\x1f".join("\x00" if cell is None else cell for cell in cells)
    return hashlib.sha1(text.encode()).hexdigest()


def prepare_import(
    store: Store | None,
    table: Table,
    *,
    overrides: Mapping[str, str | None] | None = None,
    profile: str | ImportProfile | None = None,
    use_profile: bool = True,
    corrections: Corrections | None = None,
    date_maj: date | None = None,
    progress: Progress | None = None,
    today: date,
    in_background: bool = False,
) -> PreparedImport:
    """Step 1: the columns, the translations, the file's facts, and every line prepared (lazily: as
    ``plan_import`` reads them, on every core — ``collect.parallel.iter_chunks``)."""
    warm_up(len(table.rows), PARALLEL_FROM_LINES, COLD_PARALLEL_FROM_LINES)  # ready while the columns are studied
    chosen_profile, recognised = _profile_for(store, table, profile, use_profile)
    plan = plan_columns(table, overrides=overrides, profile=chosen_profile.correspondance if chosen_profile else None)
    translations = _translations(table, plan, chosen_profile, corrections)
    index = translation_index(translations)
    context = _context(store, table, plan, chosen_profile, date_maj, today)
    signature = json.dumps([PREPARATION_VERSION, plan.signature(), sorted((c, sorted(v.items())) for c, v in
                            index.items()), context.namespace, str(context.file_date)], ensure_ascii=False, default=str)
    seen_fingerprints = _seen_fingerprints(store)
    translator = CellTranslator(index)
    file_issues = [ImportIssue(table.file, table.header_line, None, None, m, "avertissement") for m in plan.messages]
    file_issues += _unknown_value_issues(table.file, translations)

    todo: list[tuple[Mapping[str, str | None], int]] = []
    fingerprints: list[str] = []
    seen: list[tuple[int, str]] = []
    identical: list[tuple[int, int]] = []
    first_of: dict[str, int] = {}
    signed = hashlib.sha1(signature.encode())  # the signature (a few KB) hashed once, each line's hash added after it
    for raw, line in zip(table.rows, table.line_numbers, strict=True):
        whole = raw_line_hash(raw, table.columns)
        if whole in first_of:
            identical.append((line, first_of[whole]))
            continue
        first_of[whole] = line
        with_line = signed.copy()
        with_line.update(whole.encode())
        fingerprint = with_line.hexdigest()  # = sha1(signature + whole): the fingerprints stored stay valid
        if fingerprint in seen_fingerprints:
            seen.append((line, fingerprint))
        else:
            todo.append((raw, line))
            fingerprints.append(fingerprint)
    total, skipped = len(table.rows), len(table.rows) - len(todo)
    if progress and (skipped or not todo):
        progress(skipped if todo else total, total)  # lines already imported, or identical to an earlier one
    chunk = max(1, min(PREPARE_CHUNK, len(todo) // 100))  # progress shown every 1 %
    chunks = iter_chunks(_prepare_chunk, (plan, translator, context, today), todo, chunk_size=chunk,
                         parallel_from=PARALLEL_FROM_LINES, cold_from=COLD_PARALLEL_FROM_LINES,
                         caller_works=not in_background,
                         on_chunk=(lambda done: progress(skipped + done, total)) if progress else None)
    lines = zip(chain.from_iterable(chunks), fingerprints, strict=True)
    return PreparedImport(table, plan, translations, context, chosen_profile, recognised, lines, seen, identical,
                          file_issues)


def _prepare_chunk(setup: tuple[ColumnPlan, CellTranslator, FileContext, date],
                   chunk: list[tuple[Mapping[str, str | None], int]]) -> list[PreparedLine]:
    """Lines of a file prepared (on a worker process or the caller: ``collect.parallel``)."""
    plan, translator, context, today = setup
    return [prepare_line(raw, plan, translator, context, line=line, today=today) for raw, line in chunk]


def _unknown_value_issues(file: str, translations: list[Translation]) -> list[ImportIssue]:
    """ONE message per value nothing translates (with its count), not one per line."""
    return [
        ImportIssue(file, None, t.field, t.value,
                    f"Colonne « {t.column} » : « {t.value} » ({counted(t.count, 'ligne', 'lignes')}) ne correspond à "
                    f"aucune valeur du champ {t.field} ; valeur conservée à part sur chaque fiche. Indiquez sa "
                    "traduction sur la page Import si elle en a une.", "avertissement")
        for t in unknown_items(translations).values()
    ]


def _seen_fingerprints(store: Store | None) -> set[str]:
    if store is None or not store.path.exists():
        return set()
    with store.connect() as con:
        rows = con.execute(
            "SELECT import_fingerprint FROM structures WHERE import_fingerprint IS NOT NULL AND deleted_at IS NULL"
        ).fetchall()
    return {row[0] for row in rows}


# -- 2. plan -----------------------------------------------------------------------------------------


def _report(prepared: PreparedImport, dry_run: bool) -> ImportReport:
    table = prepared.table
    report = ImportReport(
        file=table.file, format=table.format, rows_read=len(table.rows), dry_run=dry_run, encoding=table.encoding,
        delimiter=table.delimiter, sheet=table.sheet, columns=list(prepared.plan.uses),
        translations=list(prepared.translations), profile=prepared.profile.nom if prepared.profile else None,
        profile_recognised=prepared.profile_recognised, namespace=prepared.context.namespace,
    )
    report.issues += prepared.file_issues
    report.unchanged = len(prepared.seen)
    report.identical = len(prepared.identical)
    for line, first in prepared.identical:
        report.issues.append(ImportIssue(table.file, line, None, None,
                                         f"Ligne identique à la ligne {first} dans toutes ses colonnes : même lieu.",
                                         "avertissement"))
    return report


def _date_note(prepared: PreparedImport, report: ImportReport, lines_without_date: int) -> None:
    if not lines_without_date:
        return
    context = prepared.context
    count = counted(lines_without_date, "lieu", "lieux")
    if context.file_date is not None:
        report.date_note = (f"{count} sans date de mise à jour dans le fichier : date {context.file_date:%d/%m/%Y} "
                            f"({context.file_date_source}).")
    else:
        report.date_note = (f"{count} sans date de mise à jour : date de l'import retenue, marquée « estimée » sur "
                            "la fiche (donnez la date du fichier pour la remplacer).")
    report.issues.append(ImportIssue(report.file, None, "date_maj", None, report.date_note, "avertissement"))


# Long: one pass over the prepared lines (streamed chunk by chunk), comparing each with the store and
# counting it; the counters and the chunk's lookups are shared by every kind of line.
def plan_import(store: Store, prepared: PreparedImport, *, dry_run: bool = True) -> ImportPlan:
    """Step 2: compare every prepared line with the store; nothing is written.

    A dry run keeps only what its report needs (counts, messages, what the duplicate search compares),
    not the lieux: its memory does not grow with the file's lines."""
    report = _report(prepared, dry_run)
    existing = fetch_existing(store)
    by_key = {row["import_key"]: row for row in existing.values() if row["import_key"]}
    occurrences: dict[str, int] = {}
    claimed: dict[str, int] = {}  # structure id → the line of the file that writes it
    owner: dict[str, str] = {}  # a line's identity (source id or place) → the structure its first line wrote
    same_identity: list[DuplicatePair] = []
    new_writes: list[StructureWrite] = []
    updated_writes: list[StructureWrite] = []
    refreshed: list[tuple[str, str, str]] = []
    candidates: list[Candidate] = []  # the new lieux, for the duplicate search
    updated = without_date = 0
    fed = fed_fields(prepared.plan)
    for line, fingerprint in prepared.lines:
        _report_issues(report, prepared.table.file, line)
        if line.structure is None:
            report.rejected += 1
            continue
        without_date += not line.own_date
        identity = line.import_key or ""
        key = occurrence_key(identity, occurrences)
        source_uuid = _canonical_uuid(line.source_id)
        match = existing.get(source_uuid) if source_uuid else None
        match = match or by_key.get(key)
        earlier = owner.get(source_uuid or identity)
        if match is not None and match["id"] in claimed:
            match = None  # a second line for one stored lieu: kept as a new one, proposed as a duplicate
        base = _base(line) if match is not None or not dry_run else None  # a dry run writes no new lieu
        if match is None:
            structure = line.structure
            if source_uuid and source_uuid not in claimed and source_uuid not in existing:
                structure = structure.model_copy(update={"id": source_uuid})
            written_id = structure.id
            candidates.append(_candidate(structure))
            if not dry_run:
                new_writes.append(StructureWrite(structure, line.source_id, key, line.set_aside,
                                                 line.donnees_source, import_base=base, import_fingerprint=fingerprint))
        else:
            written_id = match["id"]
        if earlier is not None and earlier != written_id:
            same_identity.append(DuplicatePair(written_id, earlier,
                                               f"même identifiant que la ligne {claimed[earlier]} du fichier", 100.0))
        claimed.setdefault(written_id, line.line)
        owner.setdefault(source_uuid or identity, written_id)
        if match is None:
            continue
        if match["deleted_at"] is not None:
            report.unchanged += 1
            report.issues.append(ImportIssue(
                prepared.table.file, line.line, None, line.structure.nom,
                "Structure supprimée dans Maillage : ligne non appliquée (restaurez-la pour la mettre à jour).",
                "avertissement"))
            continue
        write = _update_of(match, line, base, key, fingerprint, fed)
        if write is None:
            report.unchanged += 1
            if not dry_run:
                refreshed.append((match["id"], fingerprint, import_base_json(
                    {**_previous_base(match), **{name: base.get(name) for name in _BASE_FIELDS}})))
            continue
        updated += 1
        if not dry_run:
            updated_writes.append(write)
    _date_note(prepared, report, without_date)
    report.new, report.updated = len(candidates), updated
    pairs = find_duplicates(
        candidates, [_candidate_of_row(row) for row in existing.values() if row["deleted_at"] is None],
    ) if candidates else []
    if same_identity:  # those the search did not already propose (a set of the few pairs concerned, not of all)
        wanted = {frozenset((p.structure_id, p.other_id)) for p in same_identity}
        known = {key for p in pairs if (key := frozenset((p.structure_id, p.other_id))) in wanted}
        pairs += [p for p in same_identity if frozenset((p.structure_id, p.other_id)) not in known]
    report.duplicate_pairs = pairs
    report.duplicates = len({p.structure_id for p in pairs})
    return ImportPlan(prepared, report, new_writes, updated_writes, refreshed)


def prepare_lines(table: Table, *, overrides: Mapping[str, str | None] | None = None,
                  today: date) -> list[PreparedLine]:
    """The lines of ``table`` as a first import into an empty store prepares them (identical lines once)."""
    prepared = prepare_import(None, table, overrides=overrides, use_profile=False, today=today)
    return [line for line, _ in prepared.lines]


def occurrence_key(key: str, occurrences: dict[str, int]) -> str:
    """The n-th line of the file with the same identity gets ``#n``: both lieux are kept, stably."""
    occurrences[key] = occurrences.get(key, 0) + 1
    return key if occurrences[key] == 1 else f"{key}#{occurrences[key]}"


def _previous_base(row: Mapping[str, Any]) -> dict[str, Any]:
    return json.loads(row["import_base"]) if row["import_base"] else {}


# Fields a column feeds beyond its own (a phone column may give other phones, an address a postcode…).
_ALSO_FED = {
    "telephone": ("telephones_autres", "numero_court"),
    "adresse": ("code_postal", "commune", "code_insee"),
    "code_postal": ("commune", "code_insee"),
    "commune": ("code_postal", "code_insee"),
    "code_insee": ("commune", "code_postal"),
    POINT_FIELD: ("latitude", "longitude"),
}


def fed_fields(plan: ColumnPlan) -> frozenset[str]:
    """The fields the file's columns can give a value to: only those are compared on re-import."""
    fed: set[str] = {"nom", "date_maj", "date_maj_estimee"}
    for target in plan.fields.values():
        fed.add(target)
        fed.update(_ALSO_FED.get(target, ()))
    if fed & set(LEGACY_FIELDS):
        fed.update(f for f in enumerated_fields())
        fed.add("autres_formations_labels")
    return frozenset(fed)


def _update_of(match: Mapping[str, Any], line: PreparedLine, base: dict[str, Any], key: str,
               fingerprint: str, fed: frozenset[str]) -> StructureWrite | None:
    """The write that applies what changed in the source since its last import (None: nothing)."""
    assert line.structure is not None
    previous = _previous_base(match)
    # What a file does not carry (a field no column feeds, set-aside values, unmatched columns) is
    # never erased by it, and a date that is not the source's own never counts as a change.
    compared = [k for k in _BASE_FIELDS if k in fed or base.get(k)]
    if not line.own_date:
        compared = [k for k in compared if k not in ("date_maj", "date_maj_estimee")]
    changed = changed_fields(previous, base, compared)
    new_base = {**previous, **{k: base.get(k) for k in compared}}
    current = structure_from_row(match)
    current_values = current.model_dump()
    updates = {k: getattr(line.structure, k) for k in changed if k in Structure.model_fields}
    if updates and not line.own_date:
        updates.update(date_maj=line.structure.date_maj, date_maj_estimee=line.structure.date_maj_estimee)
    new_values = {**current_values, **updates}
    stored_aside = json.loads(match["valeurs_ecartees"] or "[]")
    set_aside = stored_aside + [item for item in line.set_aside if item not in stored_aside]
    extras = {**json.loads(match["donnees_source"] or "{}"), **line.donnees_source}
    same_data = (
        not changed_fields(current_values, new_values, current_values)
        and set_aside == stored_aside
        and extras == json.loads(match["donnees_source"] or "{}")
    )
    if not changed or same_data:
        return None
    return StructureWrite(Structure.model_construct(**new_values), line.source_id or match["source_id"], key,
                          set_aside, extras, import_base=new_base, import_fingerprint=fingerprint)


# What a source line's base holds: every field of the lieu but its id, and what the import kept aside.
_BASE_FIELDS = (*data_fields(), "donnees_source", "valeurs_ecartees")


def _base(line: PreparedLine) -> dict[str, Any]:
    """The values of a line as the source gave them, for the next re-import's comparison: only the
    non-empty ones (an absent field is an empty one), a quarter of the memory on a typical lieu."""
    assert line.structure is not None
    base = {name: value for name, value in structure_values(line.structure).items()
            if value not in (None, "", []) and name not in ("id", "date_maj", "date_maj_estimee")}
    if line.own_date:
        base["date_maj"] = line.structure.date_maj.isoformat()
    if line.donnees_source:
        base["donnees_source"] = line.donnees_source
    if line.set_aside:
        base["valeurs_ecartees"] = line.set_aside
    return base


def _canonical_uuid(text: str | None) -> str | None:
    """The UUID ``text`` holds, written as Maillage writes ids (lowercase, with dashes); else None."""
    if not text or len(text.replace("-", "")) != 32:
        return None
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return None


# -- 3. write ----------------------------------------------------------------------------------------


def write_import(store: Store, plan: ImportPlan, *, by: str) -> ImportReport:
    """Step 3: write the plan in ONE transaction (an import run, structures, versions, duplicates, audit)."""
    report = plan.report
    report.dry_run = False
    table = plan.prepared.table
    if not plan.new_writes and not plan.updated_writes:
        if plan.refreshed:
            with store.atomic() as con:
                remember_fingerprints(con, plan.refreshed)
        return report
    report.import_run_id = new_id()
    now = utc_now()
    with store.atomic() as con:
        con.execute(
            "INSERT INTO import_runs (id, file_name, file_format, rows_read, counts, espace, colonnes, created_at,"
            " updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [report.import_run_id, table.file, table.format, report.rows_read,
             json.dumps(report.counts(), ensure_ascii=False), report.namespace,
             json.dumps(table.columns, ensure_ascii=False), now, now, by],
        )
        insert_structures(con, plan.new_writes, by=by, reason="import", import_run_id=report.import_run_id, now=now)
        replace_structures(con, plan.updated_writes, by=by, reason="import", import_run_id=report.import_run_id,
                           now=now)
        record_duplicate_candidates(con, report.duplicate_pairs, by=by, import_run_id=report.import_run_id)
        remember_fingerprints(con, plan.refreshed)
        record_audit(con, actor=by, action="import", entity="import_runs", entity_id=report.import_run_id,
                     details={"fichier": table.file, "profil": report.profile, **report.counts()})
    report.written = True
    return report


def _candidate(structure: Structure) -> Candidate:
    return Candidate(structure.id, structure.nom, structure.code_insee or structure.code_postal, structure.pivot)


def _candidate_of_row(row: Mapping[str, Any]) -> Candidate:
    return Candidate(row["id"], row["nom"], row["code_insee"] or row["code_postal"], row["pivot"])


def remember_fingerprints(con: Any, rows: list[tuple[str, str, str]]) -> None:
    """Record the fingerprint and source values of lines found unchanged (``(id, fingerprint, base)``),
    so the next re-import skips them and compares with what the source last said."""
    if not rows:
        return
    batch = pa.table({"id": [r[0] for r in rows], "fp": [r[1] for r in rows], "base": [r[2] for r in rows]})
    con.register("_maillage_fingerprints", batch)
    try:
        con.execute(
            "UPDATE structures SET import_fingerprint = f.fp, import_base = f.base"
            " FROM _maillage_fingerprints f WHERE structures.id = f.id"
        )
    finally:
        con.unregister("_maillage_fingerprints")


def _report_issues(report: ImportReport, file: str, prepared: PreparedLine) -> None:
    for issue in prepared.issues:
        report.issues.append(ImportIssue(file, prepared.line, issue.field, issue.value, issue.message, issue.severity))


def fetch_existing(store: Store) -> dict[str, dict[str, Any]]:
    """Every structure of the store (deleted ones too) by id, for matching an import's lines."""
    if not store.path.exists():
        return {}
    with store.connect() as con:
        rows = fetch_dicts(con, "SELECT * FROM structures")
    return {row["id"]: row for row in rows}
