"""Importing structures from the files territories really have.

``import_file(store, path)`` reads a CSV/XLSX/JSON file (``collect.readers``), matches its
columns to the standard's fields (``collect.columns``), repairs what French Excel and hub
exports do to values (lost zeros, phones as numbers, Lambert-93, swapped coordinates, two
phones in a cell, v0.1 values…), validates every line (``models.structure``) and then, unless
it is a dry run, writes the valid lines in ONE transaction.

Each line ends in one of: new, updated (the source changed since its last import), unchanged,
rejected (an error: nothing of it is written). Values that cannot be kept in the standard are
set aside on the structure (``valeurs_ecartees``) with a warning, never silently dropped;
columns that match no field are kept too (``donnees_source``).

Re-importing a file changes nothing: a line is recognised by its id in the source (namespaced by
its ``source``), or by a fingerprint of its name, commune, postcode and address when the source
has no id. A re-import only applies the fields that changed *in the source* since the last
import, so an edit made in Maillage meanwhile is not overwritten by stale file values.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import pyarrow as pa
from collect.columns import ColumnMapping, load_mapping_file, match_columns
from collect.duplicates import Candidate, find_duplicates
from collect.legacy import LEGACY_FIELDS, fold, translate_legacy
from collect.readers import Table, read_table, read_table_bytes
from models import normalize
from models.access import require
from models.audit import record_audit
from models.cog import Commune, cog, departement_of_insee
from models.duplicates import DuplicatePair, record_duplicate_candidates
from models.errors import ImportRejected, InvalidValue
from models.ids import new_id
from models.issues import Issue
from models.runtime import collector_paused
from models.registry import StructureWrite, insert_structures, replace_structures, structure_from_row
from models.standard import standard_v1
from models.store import Store, fetch_dicts, utc_now
from models.structure import (
    Structure,
    changed_fields,
    check_coherence,
    data_fields,
    enumerated_fields,
    structure_values,
    validation_issues,
)
from models.typologies import typology_code

Progress = Callable[[int, int], None]

_LIST_SPLIT = re.compile(r"\s*[|;]\s*")
_URL_SPLIT = re.compile(r"\s*[|;]\s*|\s+")


@dataclass(frozen=True)
class ImportIssue:
    """A problem on one line of a file: where (file, line, field), the value, and why, in French."""

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


def _counted(count: int, singular: str, plural: str) -> str:
    """``1 ligne lue`` / ``0 ligne lue`` / ``3 lignes lues``: French agreement (0 and 1 are singular)."""
    return f"{count} {singular if count <= 1 else plural}"


@dataclass
class ImportReport:
    """What an import found and did; ``dry_run`` reports only, nothing is written."""

    file: str
    format: str
    rows_read: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    rejected: int = 0
    dry_run: bool = True
    written: bool = False
    import_run_id: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    mapping: dict[str, str] = field(default_factory=dict)
    unmatched_columns: list[str] = field(default_factory=list)
    issues: list[ImportIssue] = field(default_factory=list)
    duplicate_pairs: list[DuplicatePair] = field(default_factory=list)

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
            "doublons possibles": self.duplicates,
            "rejetées": self.rejected,
            "avertissements": len(self.warnings),
        }

    def summary(self) -> str:
        """One French sentence with the counts (« 1 ligne lue, 2 nouvelles… »)."""
        head = "Simulation (rien n'a été enregistré)" if self.dry_run else "Import"
        parts = [
            _counted(self.rows_read, "ligne lue", "lignes lues"),
            _counted(self.new, "nouvelle", "nouvelles"),
            _counted(self.updated, "mise à jour", "mises à jour"),
            _counted(self.unchanged, "inchangée", "inchangées"),
            _counted(self.duplicates, "doublon possible", "doublons possibles"),
            _counted(self.rejected, "rejetée", "rejetées"),
            _counted(len(self.warnings), "avertissement", "avertissements"),
        ]
        return f"{head} — {self.file} : " + ", ".join(parts) + "."

    def issue_rows(self) -> list[dict[str, Any]]:
        """The issues as table rows (French column names), for a page or a CSV."""
        return [
            {
                "fichier": i.file,
                "ligne": i.line,
                "champ": i.field,
                "valeur": i.value,
                "gravité": i.severity,
                "message": i.message,
            }
            for i in self.issues
        ]


@dataclass
class PreparedLine:
    """One line turned into a structure, or the reasons it cannot be."""

    line: int
    structure: Structure | None = None
    issues: list[Issue] = field(default_factory=list)
    set_aside: list[dict[str, Any]] = field(default_factory=list)
    donnees_source: dict[str, Any] = field(default_factory=dict)
    source_id: str | None = None
    import_key: str | None = None

    def warn(self, name: str | None, value: Any, message: str, *, keep: bool = True) -> None:
        """Record a warning; with ``keep`` the value is set aside on the structure."""
        text = None if value is None else str(value)
        self.issues.append(Issue(name, text, message, "avertissement"))
        if keep and text:
            self.set_aside.append({"champ": name, "valeur": text, "raison": message})

    def fail(self, name: str | None, value: Any, message: str) -> None:
        self.issues.append(Issue(name, None if value is None else str(value), message, "erreur"))

    @property
    def rejected(self) -> bool:
        return any(issue.is_error for issue in self.issues)


# -- values ---------------------------------------------------------------------------------------


def _split_list(value: str | None) -> list[str]:
    """Parts of an already cleaned cell joined by ``|`` or ``;``."""
    if not value:
        return []
    return [part for part in _LIST_SPLIT.split(value.strip()) if part]


def _choice_index(name: str) -> dict[str, str]:
    return {fold(choice): choice for choice in standard_v1().choices(name)}


_CHOICE_INDEXES: dict[str, dict[str, str]] = {}


def _match_choice(name: str, value: str) -> str | None:
    index = _CHOICE_INDEXES.get(name)
    if index is None:
        index = _CHOICE_INDEXES[name] = _choice_index(name)
    return index.get(fold(value))


def _itinerance(value: str) -> str | None:
    try:
        return "Itinérant" if normalize.normalize_bool(value) else "Fixe"
    except InvalidValue:
        return None


class _Recorder:
    """Stands for a ``PreparedLine`` in a cached step: records warnings and errors to replay them."""

    def __init__(self) -> None:
        self.notes: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    def warn(self, *args: Any, **kwargs: Any) -> None:
        self.notes.append(("warn", args, kwargs))

    def fail(self, *args: Any, **kwargs: Any) -> None:
        self.notes.append(("fail", args, kwargs))

    def replay(self, prepared: PreparedLine) -> None:
        for kind, args, kwargs in self.notes:
            getattr(prepared, kind)(*args, **kwargs)


def _copied(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, list) else v for k, v in values.items()}


_LIST_INPUTS = (*enumerated_fields(), *LEGACY_FIELDS, "autres_formations_labels")


@lru_cache(maxsize=16384)
def _lists_outcome(cells: tuple[str | None, ...]) -> tuple[dict[str, Any], _Recorder]:
    """The lists of a line from its list cells; cached, since territories repeat the same few combinations."""
    raw = dict(zip(_LIST_INPUTS, cells, strict=True))
    values = {"autres_formations_labels": raw["autres_formations_labels"]}
    recorder = _Recorder()
    _compute_lists(values, raw, recorder)
    return values, recorder


def _prepare_lists(values: dict[str, Any], raw: Mapping[str, str | None], prepared: PreparedLine) -> None:
    """Standard lists: exact or accent/case-insensitive v1 values, else v0.1 values translated."""
    cells = tuple(raw.get(name) if name != "autres_formations_labels" else values.get(name) for name in _LIST_INPUTS)
    changes, recorder = _lists_outcome(cells)
    values.update(_copied(changes))
    recorder.replay(prepared)


def _compute_lists(values: dict[str, Any], raw: Mapping[str, str | None], prepared: Any) -> None:
    collected: dict[str, list[str]] = {}
    labels_text: list[str] = []

    def add(target: str, value: str) -> None:
        bucket = collected.setdefault(target, [])
        if value not in bucket:
            bucket.append(value)

    for name in enumerated_fields():
        for item in _split_list(raw.get(name)):
            choice = _match_choice(name, item)
            if choice is None and name == "itinerance":
                choice = _itinerance(item)
            if choice is not None:
                add(name, choice)
                continue
            legacy = translate_legacy(name, [item])
            if legacy.values:
                for target, items in legacy.values.items():
                    for v1 in items:
                        add(target, v1)
            elif not legacy.unmapped and name in ("services", "modalites_accompagnement"):
                continue  # a v0 value with no v1 equivalent by design (e.g. "Adultes")
            else:
                prepared.warn(
                    name, item, f"« {item} » n'est pas une valeur du champ {name} du standard : valeur mise de côté."
                )
    for legacy_field in LEGACY_FIELDS:
        items = _split_list(raw.get(legacy_field))
        if not items:
            continue
        legacy = translate_legacy(legacy_field, items)
        for target, translated in legacy.values.items():
            for v1 in translated:
                if target == "autres_formations_labels":
                    labels_text.append(v1)
                else:
                    add(target, v1)
        for item in legacy.unmapped:
            prepared.warn(
                legacy_field, item, f"« {item} » (ancien champ {legacy_field}, standard 0.1) n'a pas d'équivalent en 1.0 : mis de côté."
            )
    for name in enumerated_fields():
        values[name] = collected.get(name, [])
    if labels_text:
        existing = values.get("autres_formations_labels")
        values["autres_formations_labels"] = "|".join(([existing] if existing else []) + labels_text)


@lru_cache(maxsize=16384)
def _horaires(text: str) -> str:
    """``normalize_horaires``, cached: opening hours repeat a lot within a territory."""
    return normalize.normalize_horaires(text)


def _prepare_typologie(values: dict[str, Any], raw_value: str | None, prepared: PreparedLine) -> None:
    codes = []
    for item in _split_list((raw_value or "").replace(",", "|")):
        code = typology_code(item)
        if code is None:
            prepared.warn("typologie", item, f"Typologie « {item} » inconnue (codes data·inclusion) : mise de côté.")
        elif code not in codes:
            codes.append(code)
    values["typologie"] = codes


_PLACE_FIELDS = ("code_insee", "code_postal", "commune", "adresse")


@lru_cache(maxsize=16384)
def _place_outcome(cells: tuple[str | None, ...]) -> tuple[dict[str, Any], Commune | None, _Recorder]:
    """Where a line is, from its INSEE code, postcode, commune (and address); cached per distinct place."""
    values = dict(zip(_PLACE_FIELDS, cells, strict=True))
    recorder = _Recorder()
    commune = _compute_place(values, recorder)
    return values, commune, recorder


def _resolve_place(values: dict[str, Any], prepared: PreparedLine) -> Commune | None:
    """Fill ``code_insee``, ``commune`` and ``code_postal`` from whatever the line gives."""
    # The address only matters when the postcode is missing (it may hold one): keep it out of
    # the cache key otherwise, so that lines of the same commune share one resolution.
    address = values.get("adresse") if not values.get("code_postal") else None
    cells = (values.get("code_insee"), values.get("code_postal"), values.get("commune"), address)
    changes, commune, recorder = _place_outcome(cells)
    values.update({k: v for k, v in changes.items() if k != "adresse"})
    recorder.replay(prepared)
    return commune


def _compute_place(values: dict[str, Any], prepared: Any) -> Commune | None:
    referential = cog()
    commune: Commune | None = None
    insee_text = values.get("code_insee")
    if insee_text:
        try:
            insee = normalize.normalize_insee(insee_text)
            commune = referential.current_commune(insee)
            if commune is None:
                prepared.warn("code_insee", insee_text, f"Code INSEE {insee} inconnu du COG : ignoré.")
            elif commune.code != insee:
                prepared.warn(
                    "code_insee", insee_text,
                    f"{insee} n'est plus une commune actuelle : rattaché à {commune.nom} ({commune.code}).", keep=False,
                )
        except InvalidValue as error:
            prepared.warn("code_insee", insee_text, str(error))

    postcode: str | None = None
    postcode_text = values.get("code_postal")
    if postcode_text:
        try:
            postcode = normalize.normalize_postcode(postcode_text)
        except InvalidValue as error:
            prepared.warn("code_postal", postcode_text, str(error))
    if postcode is None and values.get("adresse"):
        found = normalize.extract_postcode(values["adresse"])
        if found:
            postcode = found
            prepared.warn("code_postal", found, "Code postal absent : repris de l'adresse.", keep=False)

    name = values.get("commune")
    if commune is not None and postcode and name:
        commune = _check_insee_against_postcode(commune, name, postcode, prepared)
    if commune is None and name:
        commune = referential.find_commune(name, code_postal=postcode)
        if commune is None and postcode:
            commune = _single_commune_of_postcode(postcode)
            if commune is not None:
                prepared.warn(
                    "commune", name,
                    f"Commune « {name} » introuvable : rattachée à {commune.nom} ({commune.code}), seule commune du code postal {postcode}.",
                    keep=False,
                )
    if commune is None and not name and postcode:
        commune = _single_commune_of_postcode(postcode)
    if commune is None and not name:
        prepared.fail("commune", None, "Commune absente : indiquez la commune ou son code INSEE.")
        return None
    if commune is None:
        # An unknown spelling: kept as given, the COG code stays empty (the standard allows it).
        prepared.warn("commune", name, f"Commune « {name} » introuvable dans le COG : code INSEE non renseigné.", keep=False)
    else:
        values["code_insee"] = commune.code
        values["commune"] = commune.nom
    if postcode is None:
        codes = referential_postcodes(commune)
        if len(codes) == 1:
            postcode = codes[0]
            prepared.warn("code_postal", postcode, f"Code postal absent : déduit de la commune {commune.nom}.", keep=False)
        elif codes:
            prepared.fail(
                "code_postal", None,
                f"Code postal absent et la commune {commune.nom} en a plusieurs ({', '.join(codes)}) : précisez-le.",
            )
        else:
            prepared.fail("code_postal", None, "Code postal absent et impossible à déduire de la commune.")
    values["code_postal"] = postcode
    return commune


def _single_commune_of_postcode(postcode: str) -> Commune | None:
    candidates = cog().communes_by_postcode(postcode)
    return candidates[0] if len(candidates) == 1 else None


def _check_insee_against_postcode(commune: Commune, name: str, postcode: str, prepared: PreparedLine) -> Commune:
    """An INSEE code from another département than the postcode's: trust name + postcode if they agree."""
    referential = cog()
    postcode_departement = referential.departement_of_postcode(postcode)
    if postcode_departement is None or postcode_departement == commune.departement:
        return commune
    by_name = referential.find_commune(name, code_postal=postcode)
    if by_name is None or by_name.departement != postcode_departement:
        return commune
    prepared.warn(
        "code_insee", commune.code,
        f"Code INSEE {commune.code} ({commune.nom}, {commune.departement}) incohérent avec le code postal {postcode} : "
        f"rattaché à {by_name.nom} ({by_name.code}) d'après le nom et le code postal.",
    )
    return by_name


def referential_postcodes(commune: Commune | None) -> list[str]:
    """The postcodes of a commune (an arrondissement's own, else its city's)."""
    if commune is None:
        return []
    return list(commune.codes_postaux)


def _prepare_phones(values: dict[str, Any], departement: str | None, prepared: PreparedLine) -> None:
    cell = values.get("telephone")
    phones: list[str] = []
    for part in normalize.split_phones(cell) if cell else []:
        if normalize.is_short_number(part):
            values["numero_court"] = re.sub(r"\D", "", part)
            prepared.warn("telephone", part, "Numéro court de service : le standard ne peut pas le contenir, il est conservé à part (numero_court).", keep=False)
            continue
        try:
            phone = normalize.normalize_phone(part, departement=departement)
        except InvalidValue as error:
            prepared.warn("telephone", part, str(error))
            continue
        if phone not in phones:
            phones.append(phone)
    if cell and not normalize.split_phones(cell):
        prepared.warn("telephone", cell, "Aucun numéro de téléphone reconnu : valeur mise de côté.")
    values["telephone"] = phones[0] if phones else None
    if len(phones) > 1:
        values["telephones_autres"] = phones[1:]
        prepared.warn(
            "telephone", cell, "Plusieurs numéros : le premier est publié, les autres sont conservés à part.", keep=False
        )
    _prepare_contact(
        values, "contact_telephone", normalize.split_phones,
        lambda text: normalize.normalize_phone(text, departement=departement), "Téléphone", prepared,
    )


def _normalize_each(
    items: list[str], name: str, parse: Callable[[str], str], prepared: PreparedLine
) -> list[str]:
    """Each item parsed; a bad one set aside with its French reason; duplicates dropped."""
    kept: list[str] = []
    for item in items:
        try:
            value = parse(item)
        except InvalidValue as error:
            prepared.warn(name, item, str(error))
            continue
        if value not in kept:
            kept.append(value)
    return kept


def _prepare_contact(
    values: dict[str, Any], name: str, split: Callable[[str], list[str]], parse: Callable[[str], str],
    what: str, prepared: PreparedLine,
) -> None:
    """The contact person's phone or e-mail: the first one found, else set aside."""
    cell = values.get(name)
    if not cell:
        return
    try:
        values[name] = parse(split(cell)[0])
    except (InvalidValue, IndexError):
        prepared.warn(name, cell, f"{what} du contact non reconnu : mis de côté.")
        values[name] = None


def _prepare_emails(values: dict[str, Any], prepared: PreparedLine) -> None:
    cell = values.get("courriels")
    found = normalize.split_emails(cell) if cell else []
    if cell and not found:
        prepared.warn("courriels", cell, "Aucune adresse e-mail reconnue : valeur mise de côté.")
    values["courriels"] = _normalize_each(found, "courriels", normalize.normalize_email, prepared)
    _prepare_contact(values, "contact_courriel", normalize.split_emails, normalize.normalize_email, "E-mail", prepared)


def _prepare_urls(values: dict[str, Any], prepared: PreparedLine) -> None:
    items = [item for item in _URL_SPLIT.split(values.get("site_web") or "") if item]
    values["site_web"] = _normalize_each(items, "site_web", normalize.normalize_url, prepared)
    for name in ("fiche_acces_libre", "prise_rdv"):
        _prepare_single(values, name, normalize.normalize_url, prepared)


def _prepare_single(values: dict[str, Any], name: str, parse: Callable[[Any], Any], prepared: PreparedLine) -> None:
    if values.get(name) is None:
        return
    try:
        values[name] = parse(values[name])
    except InvalidValue as error:
        prepared.warn(name, values[name], str(error))
        values[name] = None


def _prepare_coordinates(values: dict[str, Any], departement: str | None, prepared: PreparedLine) -> None:
    lat, lon = values.get("latitude"), values.get("longitude")
    if lat is None and lon is None:
        return
    if lat is None or lon is None:
        prepared.warn("latitude", f"{lat}, {lon}", "Latitude ou longitude seule : coordonnées mises de côté.")
        values["latitude"] = values["longitude"] = None
        return
    try:
        latitude, longitude, note = normalize.normalize_coordinates(lat, lon, departement=departement)
    except InvalidValue as error:
        prepared.warn("latitude", f"{lat}, {lon}", f"{error} Coordonnées mises de côté.")
        values["latitude"] = values["longitude"] = None
        return
    if note:
        prepared.warn("latitude", f"{lat}, {lon}", note, keep=False)
    values["latitude"], values["longitude"] = latitude, longitude


def _prepare_resume(values: dict[str, Any], prepared: PreparedLine) -> None:
    text = values.get("presentation_resume")
    limit = standard_v1().field("presentation_resume").max_length or 280
    if not text or len(text) <= limit:
        return
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    values["presentation_resume"] = cut.rstrip(" ,;:.") + "…"
    if not values.get("presentation_detail"):
        values["presentation_detail"] = text
        where = "le texte entier est repris dans presentation_detail"
    else:
        prepared.set_aside.append({"champ": "presentation_resume", "valeur": text, "raison": "résumé trop long"})
        where = "le texte entier est conservé à part"
    prepared.warn(
        "presentation_resume", None,
        f"Résumé de {len(text)} caractères, le standard en permet {limit} : raccourci ; {where}.", keep=False,
    )


def _prepare_date(values: dict[str, Any], today: date, prepared: PreparedLine) -> None:
    raw = values.get("date_maj")
    if raw is None:
        values["date_maj"] = today
        prepared.warn("date_maj", None, f"Date de mise à jour absente : date du jour retenue ({today:%d/%m/%Y}).", keep=False)
        return
    try:
        values["date_maj"] = normalize.normalize_date(raw)
    except InvalidValue as error:
        prepared.warn("date_maj", raw, f"{error} Date du jour retenue.")
        values["date_maj"] = today


def _without_export_apostrophe(text: str | None) -> str | None:
    """« '=SOMME(A1) » → « =SOMME(A1) »: the apostrophe CSV exports put before a text a spreadsheet
    would run as a formula (``sync.excel_csv``, ``sync.export``) is not part of the value."""
    if text and len(text) > 1 and text[0] == "'" and text[1] in "=+-@":
        return text[1:]
    return text


def prepare_line(
    raw: Mapping[str, str | None], mapping: ColumnMapping, *, line: int, today: date
) -> PreparedLine:
    """Turn one line of a file into a valid structure, or the reasons it is rejected."""
    prepared = PreparedLine(line=line)
    fields: dict[str, str | None] = {}
    for column, target in mapping.fields.items():
        cell = raw.get(column)
        if cell is None or target in fields:
            continue
        value = _without_export_apostrophe(normalize.clean_text(cell))
        if value is not None:
            fields[target] = value
    for column in mapping.unmatched:
        cell = raw.get(column)
        value = None if cell is None else normalize.clean_text(cell)
        if value is not None:
            prepared.donnees_source[column] = value
    if raw.get("__extra__"):
        prepared.warn(None, raw["__extra__"], "Cellules en trop au-delà de la dernière colonne : conservées à part.")

    values: dict[str, Any] = {name: fields.get(name) for name in data_fields() if name in fields}
    prepared.source_id = fields.get("id")
    if not values.get("nom"):
        prepared.fail("nom", None, "Le nom de la structure est obligatoire.")
    if not values.get("adresse"):
        prepared.fail("adresse", None, "L'adresse est obligatoire (le standard l'exige).")

    _prepare_lists(values, fields, prepared)
    _prepare_typologie(values, fields.get("typologie"), prepared)
    commune = _resolve_place(values, prepared)
    departement = departement_of_insee(commune.code) if commune else (
        cog().departement_of_postcode(values["code_postal"]) if values.get("code_postal") else None
    )
    _prepare_phones(values, departement, prepared)
    _prepare_emails(values, prepared)
    _prepare_urls(values, prepared)
    _prepare_single(values, "pivot", normalize.normalize_pivot, prepared)
    _prepare_single(values, "horaires", _horaires, prepared)
    _prepare_coordinates(values, departement, prepared)
    _prepare_resume(values, prepared)
    _prepare_date(values, today, prepared)
    if prepared.rejected:
        return prepared

    structure = _validate_keeping_line(values, prepared)
    if structure is None:
        return prepared
    for issue in check_coherence(structure):
        if issue.is_error:
            prepared.fail(issue.field, issue.value, issue.message)
        else:
            prepared.issues.append(issue)
    if not prepared.rejected:
        prepared.structure = structure
        prepared.import_key = import_key(structure, prepared.source_id)
    return prepared


_REQUIRED = ("nom", "commune", "code_postal", "adresse", "date_maj")


def _validate_keeping_line(values: dict[str, Any], prepared: PreparedLine) -> Structure | None:
    """Validate; a bad optional value is set aside (warning) and the line validated again."""
    from pydantic import ValidationError

    for _attempt in range(3):
        try:
            return Structure.model_validate(values, context={"normalized": True})
        except ValidationError as error:
            issues = validation_issues(error)
        for issue in issues:
            if issue.field in _REQUIRED or issue.field is None:
                prepared.fail(issue.field, issue.value, issue.message)
            else:
                prepared.warn(issue.field, issue.value, f"{issue.message} Valeur mise de côté.")
                values.pop(issue.field, None)
        if prepared.rejected:
            return None
    return None


def import_key(structure: Structure, source_id: str | None) -> str:
    """How a line is recognised on re-import: its source id, else a fingerprint of the place."""
    if source_id:
        return f"id:{fold(structure.source or '')}:{source_id}"
    fingerprint = "|".join(
        fold(part or "") for part in (structure.nom, structure.code_insee or structure.commune, structure.code_postal, structure.adresse)
    )
    return "h:" + hashlib.sha1(fingerprint.encode()).hexdigest()[:20]


def _base(structure: Structure, prepared: PreparedLine) -> dict[str, Any]:
    """The values of a line as recorded for the next re-import's comparison."""
    base = structure_values(structure)
    del base["id"]
    base["date_maj"] = base["date_maj"].isoformat()  # as it reads back from the stored JSON
    base["donnees_source"] = prepared.donnees_source or None
    base["valeurs_ecartees"] = prepared.set_aside or None
    return base


_UUID_SHAPE = re.compile(r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}")


def _canonical_uuid(text: str | None) -> str | None:
    """The UUID ``text`` holds, written as Maillage writes ids (lowercase, with dashes); else None."""
    if not text or not _UUID_SHAPE.fullmatch(text):
        return None
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return None


# -- the import ----------------------------------------------------------------------------------


def import_file(
    store: Store,
    path: str | Path,
    *,
    sheet: str | None = None,
    mapping: str | Path | Mapping[str, str | None] | None = None,
    dry_run: bool = False,
    all_or_nothing: bool = False,
    by: str = "import",
    progress: Progress | None = None,
    today: date | None = None,
) -> ImportReport:
    """Read ``path`` and import its structures (see ``import_table``)."""
    table = read_table(path, sheet=sheet)
    return import_table(store, table, mapping=mapping, dry_run=dry_run, all_or_nothing=all_or_nothing,
                        by=by, progress=progress, today=today)


def import_bytes(
    store: Store,
    data: bytes,
    name: str,
    *,
    sheet: str | None = None,
    mapping: str | Path | Mapping[str, str | None] | None = None,
    dry_run: bool = False,
    all_or_nothing: bool = False,
    by: str = "import",
    progress: Progress | None = None,
    today: date | None = None,
) -> ImportReport:
    """Import an uploaded file's bytes (see ``import_table``)."""
    table = read_table_bytes(data, name, sheet=sheet)
    return import_table(store, table, mapping=mapping, dry_run=dry_run, all_or_nothing=all_or_nothing,
                        by=by, progress=progress, today=today)


def import_table(
    store: Store,
    table: Table,
    *,
    mapping: str | Path | Mapping[str, str | None] | None = None,
    dry_run: bool = False,
    all_or_nothing: bool = False,
    by: str = "import",
    progress: Progress | None = None,
    today: date | None = None,
) -> ImportReport:
    """Validate every line of ``table`` and, unless ``dry_run``, write the valid ones in one transaction.

    :param mapping: column overrides (``{"Nom du lieu": "nom", "Interne": None}``) or a mapping file.
    :param all_or_nothing: write nothing if any line is rejected (raises ``ImportRejected``).
    :param progress: called as ``progress(done, total)`` while lines are prepared and written.
    Returns an ``ImportReport``; raises ``NotATable`` (via the readers) or ``InvalidMapping``.
    """
    with store.connect() as con:
        require(con, by, "importer")
    with collector_paused():
        return _import_table(store, table, mapping=mapping, dry_run=dry_run, all_or_nothing=all_or_nothing,
                             by=by, progress=progress, today=today)


def _import_table(
    store: Store,
    table: Table,
    *,
    mapping: str | Path | Mapping[str, str | None] | None,
    dry_run: bool,
    all_or_nothing: bool,
    by: str,
    progress: Progress | None,
    today: date | None,
) -> ImportReport:
    overrides = load_mapping_file(mapping) if isinstance(mapping, str | Path) else dict(mapping or {})
    columns = match_columns(table.columns, overrides=overrides)
    report = ImportReport(
        file=table.file, format=table.format, rows_read=len(table.rows), dry_run=dry_run,
        encoding=table.encoding, delimiter=table.delimiter, sheet=table.sheet,
        mapping=dict(columns.fields), unmatched_columns=list(columns.unmatched),
    )
    for message in columns.conflicts:
        report.issues.append(ImportIssue(table.file, table.header_line, None, None, message, "avertissement"))
    today = today or date.today()
    total = len(table.rows)
    step = max(1, total // 100)

    existing = fetch_existing(store)
    by_key = {row["import_key"]: row for row in existing.values() if row["import_key"]}
    by_fingerprint = {
        row["import_fingerprint"]: row for row in existing.values() if row["import_fingerprint"] and row["deleted_at"] is None
    }
    signature = _mapping_signature(columns)
    prepared_lines: list[tuple[PreparedLine, str]] = []
    for index, (raw, line) in enumerate(zip(table.rows, table.line_numbers, strict=True)):
        fingerprint = line_fingerprint(raw, signature)
        if fingerprint in by_fingerprint:
            report.unchanged += 1  # the very same line was imported before: nothing to prepare
        else:
            prepared_lines.append((prepare_line(raw, columns, line=line, today=today), fingerprint))
        if progress and (index % step == 0 or index == total - 1):
            progress(index + 1, total)

    seen_keys: dict[str, int] = {}
    claimed: dict[str, int] = {}  # structure id → the line of the file that writes it
    new_writes: list[StructureWrite] = []
    updated_writes: list[StructureWrite] = []
    refreshed: list[tuple[str, str, str]] = []  # unchanged lines: remember their fingerprint and source values
    for prepared, fingerprint in prepared_lines:
        if prepared.structure is None:
            report.rejected += 1
            _report_issues(report, table.file, prepared)
            continue
        key = prepared.import_key or ""
        if key in seen_keys:
            prepared.fail("id", prepared.source_id, f"Même lieu que la ligne {seen_keys[key]} du fichier : ligne ignorée.")
            report.rejected += 1
            _report_issues(report, table.file, prepared)
            continue
        seen_keys[key] = prepared.line
        source_uuid = _canonical_uuid(prepared.source_id)
        match = existing.get(source_uuid) if source_uuid else None
        match = match or by_key.get(key)
        target = match["id"] if match is not None else source_uuid
        if target is not None and target in claimed:  # two lines of the file for one structure
            prepared.fail("id", prepared.source_id,
                          f"Même lieu que la ligne {claimed[target]} du fichier : ligne ignorée.")
            report.rejected += 1
            _report_issues(report, table.file, prepared)
            continue
        if target is not None:
            claimed[target] = prepared.line
        _report_issues(report, table.file, prepared)
        base = _base(prepared.structure, prepared)
        if match is None:
            structure = prepared.structure
            if source_uuid:
                structure = structure.model_copy(update={"id": source_uuid})
            new_writes.append(StructureWrite(structure, prepared.source_id, key, prepared.set_aside,
                                             prepared.donnees_source, import_base=base, import_fingerprint=fingerprint))
            continue
        if match["deleted_at"] is not None:
            report.unchanged += 1
            report.issues.append(ImportIssue(table.file, prepared.line, None, prepared.structure.nom,
                                             "Structure supprimée dans Maillage : ligne ignorée (restaurez-la pour la mettre à jour).",
                                             "avertissement"))
            continue
        previous = json.loads(match["import_base"]) if match["import_base"] else {}
        # What a file does not carry (set-aside values, unmatched columns) is never erased by it.
        compared = [k for k in base if k in Structure.model_fields or base[k]]
        changed = changed_fields(previous, base, compared)
        new_base = {**previous, **{k: base[k] for k in compared}}
        current = structure_from_row(match)
        current_values = current.model_dump()
        new_values = {**current_values, **{k: getattr(prepared.structure, k) for k in changed if k in Structure.model_fields}}
        set_aside = json.loads(match["valeurs_ecartees"] or "[]")
        set_aside += [item for item in prepared.set_aside if item not in set_aside]
        extras = {**json.loads(match["donnees_source"] or "{}"), **prepared.donnees_source}
        same_data = (
            not changed_fields(current_values, new_values, current_values)
            and set_aside == json.loads(match["valeurs_ecartees"] or "[]")
            and extras == json.loads(match["donnees_source"] or "{}")
        )
        if not changed or same_data:
            # Nothing to write to the registry (the source says what it already holds, e.g. after an
            # edit or a survey made the same change): remember the source's values, no new version.
            report.unchanged += 1
            if not dry_run:
                refreshed.append((match["id"], fingerprint, json.dumps(new_base, ensure_ascii=False, default=str, sort_keys=True)))
            continue
        updated_writes.append(StructureWrite(
            Structure.model_construct(**new_values), prepared.source_id or match["source_id"], key,
            set_aside, extras, import_base=new_base, import_fingerprint=fingerprint,
        ))
    report.new = len(new_writes)
    report.updated = len(updated_writes)

    pairs = find_duplicates(
        [_candidate(w.structure) for w in new_writes],
        [_candidate_of_row(row) for row in existing.values() if row["deleted_at"] is None],
    ) if new_writes else []
    report.duplicate_pairs = pairs
    report.duplicates = len({p.structure_id for p in pairs})

    if dry_run:
        return report
    if all_or_nothing and report.rejected:
        raise ImportRejected(table.file, report.rejected)
    if not new_writes and not updated_writes:
        if refreshed:
            with store.atomic() as con:
                remember_fingerprints(con, refreshed)
        return report
    report.import_run_id = new_id()
    now = utc_now()
    with store.atomic() as con:
        con.execute(
            "INSERT INTO import_runs (id, file_name, file_format, rows_read, counts, created_at, updated_at, updated_by)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [report.import_run_id, table.file, table.format, report.rows_read,
             json.dumps(report.counts(), ensure_ascii=False), now, now, by],
        )
        insert_structures(con, new_writes, by=by, reason="import", import_run_id=report.import_run_id, now=now)
        replace_structures(con, updated_writes, by=by, reason="import", import_run_id=report.import_run_id, now=now)
        record_duplicate_candidates(con, pairs, by=by, import_run_id=report.import_run_id)
        remember_fingerprints(con, refreshed)
        record_audit(con, actor=by, action="import", entity="import_runs", entity_id=report.import_run_id,
                     details={"fichier": table.file, **report.counts()})
    if progress:
        progress(total, total)
    report.written = True
    return report


def _candidate(structure: Structure) -> Candidate:
    return Candidate(structure.id, structure.nom, structure.code_insee or structure.code_postal, structure.pivot)


def _candidate_of_row(row: Mapping[str, Any]) -> Candidate:
    return Candidate(row["id"], row["nom"], row["code_insee"] or row["code_postal"], row["pivot"])


# Bump when line preparation changes what it produces, so that lines imported before are prepared again.
PREPARATION_VERSION = 2  # 2: the apostrophe of a formula-like text exported by Maillage is dropped


def _mapping_signature(columns: ColumnMapping) -> str:
    return json.dumps([PREPARATION_VERSION, sorted(columns.fields.items()), sorted(columns.unmatched)], ensure_ascii=False)


def line_fingerprint(raw: Mapping[str, str | None], signature: str) -> str:
    """A hash of a source line as read, with the column mapping: the same line re-imported is
    recognised without being prepared again (dlt's "seen row hashes")."""
    digest = hashlib.sha1(signature.encode())
    for key in sorted(k for k, v in raw.items() if v is not None):
        digest.update(f"\x1e{key}\x1f{raw[key]}".encode())
    return digest.hexdigest()


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
