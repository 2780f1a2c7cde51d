"""One line of a file turned into a structure, or the reasons it cannot be (``prepare_line``).

Each value is repaired the way a careful person would (lost zeros, phones as numbers, Lambert-93,
swapped coordinates, two phones in a cell, v0.1 values, French opening hours, postcode and commune
inside the address…) and what cannot be kept in the standard is *set aside* on the lieu
(``valeurs_ecartees``, with the reason) — never dropped. A line is rejected only when it cannot
be a lieu at all (no name, no address, no commune). Personal data found in the lieu's own fields
(a person's e-mail) is moved to the contact person's fields, which are never published.

Resolutions that repeat within a territory (places, lists, opening hours) are memoised; phones,
e-mails and names are never memoised (see docs/architecture.md, Imports).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from collect.column_plan import POINT_FIELD, ColumnPlan
from collect.import_context import FileContext
from collect.legacy import fold
from collect.readers import cells_of
from collect.translations import TRANSLATED_FIELDS, TranslationIndex, split_cell
from models import normalize
from models.cog import Commune, cog, departement_of_place
from models.errors import InvalidValue
from models.issues import Issue
from models.standard import standard_v1
from models.structure import (
    Structure,
    check_coherence,
    data_fields,
    enumerated_fields,
    validation_issues,
)

# Fields of a lieu a line must give (the standard requires them).
REQUIRED = ("nom", "commune", "code_postal", "adresse", "date_maj")
# Most restrictive status first: a lieu two columns call « à supprimer » and « ouvert » is not open.
STATUS_PRECEDENCE = ("a_supprimer", "ferme", "inactif", "masque", "a_valider", "ouvert")


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
    own_date: bool = True  # date_maj came from the line itself (not the file or the import day)

    def warn(self, name: str | None, value: Any, message: str, *, keep: bool = True) -> None:
        """Record a warning (once: the same problem found by two checks is said once); with ``keep`` the value
        is set aside on the structure."""
        text = None if value is None else str(value)
        issue = Issue(name, text, message, "avertissement")
        if issue not in self.issues:
            self.issues.append(issue)
        if keep and text:
            self.keep_aside(name, text, message)

    def keep_aside(self, name: str | None, value: str, reason: str) -> None:
        """Set a value aside on the lieu without a line message (the file-level report says it once)."""
        item = {"champ": name, "valeur": value, "raison": reason}
        if item not in self.set_aside:
            self.set_aside.append(item)

    def fail(self, name: str | None, value: Any, message: str) -> None:
        self.issues.append(Issue(name, None if value is None else str(value), message, "erreur"))

    @property
    def rejected(self) -> bool:
        return any(issue.is_error for issue in self.issues)


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


_URL_SPLIT = re.compile(r"\s*[|;]\s*|\s+")


# -- lists of the standard ---------------------------------------------------------------------------


class CellTranslator:
    """The translation of whole cells of a file, remembered: a file repeats the same few cells
    (« Médiathèque », « oui », « Gratuit ») on thousands of lines."""

    def __init__(self, index: TranslationIndex) -> None:
        self.index = index
        self._cells: dict[tuple[str, str], tuple[tuple[tuple[str, str], ...], tuple[str, ...]]] = {}

    def cell(self, column: str, column_field: str, cell: str) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
        """(the (field, code) targets of the cell's items, the items nothing translates)."""
        key = (column, cell)
        found = self._cells.get(key)
        if found is None:
            table = self.index.get(column, {})
            targets: list[tuple[str, str]] = []
            unknown: list[str] = []
            for item in split_cell(column_field, cell):
                item_targets = table.get(item)
                if item_targets is None:
                    unknown.append(item)
                else:
                    targets.extend(item_targets)
            found = self._cells[key] = (tuple(targets), tuple(unknown))
        return found


def _prepare_translated(values: dict[str, Any], cells: list[tuple[str, str, str]],
                        index: TranslationIndex | CellTranslator, prepared: PreparedLine) -> None:
    """Lists and status from the translated columns (``cells``: column, field, cell text).

    An item nothing translates is kept aside on the lieu; the file-level report lists it once."""
    translator = index if isinstance(index, CellTranslator) else CellTranslator(index)
    collected: dict[str, list[str]] = {}
    labels_text: list[str] = []
    for column, column_field, cell in cells:
        targets, unknown = translator.cell(column, column_field, cell)
        for item in unknown:
            prepared.keep_aside(column_field, item, f"aucune correspondance dans le champ {column_field} "
                                f"(colonne « {column} »)")
        for target_field, code in targets:
            if target_field == "autres_formations_labels":
                labels_text.append(code)
                continue
            bucket = collected.setdefault(target_field, [])
            if code not in bucket:
                bucket.append(code)
    for name in _LIST_TARGETS:
        values[name] = collected.get(name, [])
    statuses = collected.get("statut", [])
    values["statut"] = next((s for s in STATUS_PRECEDENCE if s in statuses), None)
    if labels_text:
        existing = values.get("autres_formations_labels")
        values["autres_formations_labels"] = "|".join(([existing] if existing else []) + labels_text)


_LIST_TARGETS = (*enumerated_fields(), "typologie")


# -- opening hours ----------------------------------------------------------------------------------


def _has_digit(text: str) -> bool:
    return any(c.isdigit() for c in text)


def _prepare_hours(values: dict[str, Any], plan: ColumnPlan, raw: Mapping[str, str | None],
                   texts: list[tuple[str, str]], prepared: PreparedLine) -> None:
    """``horaires`` from day columns (with parts of the day) or from a text (OSM or French)."""
    from collect.hours import days_from_text, hours_from_day_parts, hours_from_days, hours_from_text

    values["horaires"] = None
    days = plan.day_columns
    reading = None
    if days:
        whole = {u.day: normalize.clean_text(raw.get(u.column)) for u in days if u.part is None}
        parts = {(u.day, u.part): normalize.clean_text(raw.get(u.column)) for u in days if u.part is not None}
        if any(parts.values()):
            reading = hours_from_day_parts(parts)
        elif any(whole.values()):
            reading = hours_from_days(whole)
        if reading is not None and reading.osm is None:
            shown = " ; ".join(f"{u.column} = {raw.get(u.column)}" for u in days if raw.get(u.column))
            prepared.warn("horaires", shown, f"{reading.message} Horaires conservés à part.")
            reading = None
    if reading is None:
        day_lists = [days_from_text(text) for _, text in texts]
        days = next((d for d, (_, text) in zip(day_lists, texts, strict=True) if d and not _has_digit(text)), None)
        for _column, text in texts:
            if days is not None and days_from_text(text) == days and not _has_digit(text):
                continue  # the column of days itself (« {Lundi,Mardi} »)
            reading = hours_from_text(text, days=days)
            if reading.osm is None:
                prepared.warn("horaires", text, f"{reading.message or 'Horaires illisibles.'} Texte conservé à part.")
                reading = None
                continue
            break
    if reading is not None and reading.osm:
        values["horaires"] = reading.osm


# -- places, phones, e-mails, web sites, coordinates ------------------------------------------------


_PLACE_FIELDS = ("code_insee", "code_postal", "commune", "adresse", "departement_hint")


@lru_cache(maxsize=16384)
def _place_outcome(cells: tuple[str | None, ...]) -> tuple[dict[str, Any], Commune | None, _Recorder]:
    """Where a line is, from its INSEE code, postcode, commune (and address); cached per distinct place."""
    values = dict(zip(_PLACE_FIELDS, cells, strict=True))
    recorder = _Recorder()
    commune = _compute_place(values, recorder)
    return values, commune, recorder


def _resolve_place(values: dict[str, Any], context: FileContext, prepared: PreparedLine) -> Commune | None:
    """Fill ``code_insee``, ``commune`` and ``code_postal`` from whatever the line gives."""
    # The address only matters when the postcode is missing (it may hold one): keep it out of
    # the cache key otherwise, so that lines of the same commune share one resolution.
    address = values.get("adresse") if not values.get("code_postal") else None
    cells = (values.get("code_insee"), values.get("code_postal"), values.get("commune"), address,
             context.departement_hint)
    changes, commune, recorder = _place_outcome(cells)
    values.update({k: v for k, v in changes.items() if k not in ("adresse", "departement_hint")})
    recorder.replay(prepared)
    return commune


# Long: the precedence of a lieu's place (INSEE code, postcode, commune name, address, coordinates),
# each rule falling back on the next; read in one piece, the order is the rule.
def _compute_place(values: dict[str, Any], prepared: Any) -> Commune | None:
    referential = cog()
    commune: Commune | None = None
    insee_text = values.get("code_insee")
    if insee_text:
        try:
            insee = normalize.normalize_insee(insee_text)
            commune = referential.current_commune(insee)
            if commune is None:  # set aside on the lieu, as said: the commune's name may still give the code
                prepared.warn("code_insee", insee_text, f"Code INSEE {insee} inconnu du COG : ignoré.")
                values["code_insee"] = None
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
        commune = _commune_named(name, postcode, values.get("departement_hint"), prepared)
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


def _commune_named(name: str, postcode: str | None, hint: str | None, prepared: Any) -> Commune | None:
    """The commune a name means, homonyms resolved by postcode, else by the file's département."""
    from models.addresses import resolve_commune

    resolution = resolve_commune(name=name, postcode=postcode, departement_hint=hint)
    for note in resolution.notes:
        prepared.warn("commune", name, note, keep=False)
    return resolution.commune


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
    parts = normalize.split_phones(cell) if cell else []
    phones: list[str] = []
    for part in parts:
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
    if cell and not parts:
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




def _prepare_point(values: dict[str, Any], cell: str | None, prepared: PreparedLine) -> None:
    """Latitude and longitude from one cell holding both (``{'lon': 166.4, 'lat': -22.2}``, « 47.4, -0.5 »)."""
    if not cell or values.get("latitude") or values.get("longitude"):
        return
    from collect.profiling import parse_point

    point = parse_point(cell)
    if point is None:
        prepared.warn("latitude", cell, "Coordonnées illisibles (attendu latitude et longitude) : mises de côté.")
        return
    values["latitude"], values["longitude"] = str(point[0]), str(point[1])


def _contact_emails_out_of_name(values: dict[str, Any]) -> None:
    """A contact column holding e-mails (« c.huque@adsea28.org ») gives the contact's e-mail, not a name."""
    text = values.get("contact_nom")
    if not text or "@" not in text:
        return
    emails = normalize.split_emails(text)
    if emails and not values.get("contact_courriel"):
        values["contact_courriel"] = emails[0]
    rest = text
    for email in emails:
        rest = rest.replace(email, " ")
    values["contact_nom"] = " ".join(rest.replace(",", " ").replace(";", " ").split()) or None


def _prepare_personal_emails(values: dict[str, Any], context: FileContext, prepared: PreparedLine) -> None:
    """An e-mail of the lieu that belongs to a person goes to the contact person (never published)."""
    from models.personal_data import email_owner

    kept: list[str] = []
    for email in values.get("courriels") or []:
        owner = email_owner(email, known_people=context.known_people, lieu_name=values.get("nom"))
        if owner is None:
            kept.append(email)
            continue
        if not values.get("contact_courriel"):
            values["contact_courriel"] = email
            where = "gardée comme e-mail de la personne contact (non publiée)"
        else:
            prepared.keep_aside("contact_courriel", email, "autre e-mail personnel")
            where = "conservée à part (non publiée)"
        prepared.warn("courriels", email, f"Adresse e-mail personnelle ({owner.reason}) : {where}.", keep=False)
    values["courriels"] = kept


def _flag_people_in_text(values: dict[str, Any], context: FileContext, prepared: PreparedLine) -> None:
    """A person's name inside the lieu's name, address or description is flagged for review."""
    from models.personal_data import people_in_text

    for name in ("nom", "adresse", "complement_adresse", "presentation_resume", "presentation_detail"):
        text = values.get(name)
        if not text:
            continue
        people = people_in_text(text, context.known_people)
        if people:
            prepared.warn(name, text, f"Le texte contient le nom d'une personne ({', '.join(people)}) : "
                          "à revoir avant publication.", keep=False)


def _prepare_date(values: dict[str, Any], context: FileContext, today: date, prepared: PreparedLine) -> None:
    """The source's own date; else the file's date; else the import day, marked as an estimate."""
    raw = values.get("date_maj")
    if raw is not None:
        try:
            values["date_maj"] = normalize.normalize_date(raw)
            return
        except InvalidValue as error:
            prepared.warn("date_maj", raw, f"{error} Date du fichier ou du jour retenue.")
    prepared.own_date = False
    if context.file_date is not None:
        values["date_maj"] = context.file_date
    else:
        values["date_maj"] = today
        values["date_maj_estimee"] = True


def _without_export_apostrophe(text: str | None) -> str | None:
    """« '=SOMME(A1) » → « =SOMME(A1) »: the apostrophe CSV exports put before a text a spreadsheet
    would run as a formula (``models.excel_csv``, ``sync.export``) is not part of the value."""
    if text and len(text) > 1 and text[0] == "'" and text[1] in "=+-@":
        return text[1:]
    return text


@lru_cache(maxsize=65536)
def _cleaned(cell: str) -> str | None:
    """A cell as the import reads it (spaces and placeholders cleaned, an export's apostrophe taken off);
    remembered, since a file repeats the same cells on many lines."""
    return _without_export_apostrophe(normalize.clean_text(cell))


_JOINERS = {"telephone": " / ", "courriels": " ; ", "site_web": " "}


def _read_cells(raw: Mapping[str, str | None], plan: ColumnPlan, prepared: PreparedLine) -> tuple[
    dict[str, str], list[tuple[str, str, str]], list[tuple[str, str]]
]:
    """The line's cells by field: single values, translated cells, opening-hours texts."""
    fields: dict[str, str] = {}
    translated: list[tuple[str, str, str]] = []
    hours: list[tuple[str, str]] = []
    for use, cell in zip(plan.uses, cells_of(raw, plan.read_columns), strict=True):
        if cell is None or use.ignored:
            continue
        value = _cleaned(cell)
        if value is None:
            continue
        target = use.field
        if target is None:
            prepared.donnees_source[use.column] = value
        elif target in TRANSLATED_FIELDS:
            translated.append((use.column, target, value))
        elif target == "horaires":
            if use.day is None:
                hours.append((use.column, value))
        elif target in _JOINERS and target in fields:
            fields[target] += _JOINERS[target] + value
        elif target not in fields:
            fields[target] = value
    if raw.get("__extra__"):
        prepared.warn(None, raw["__extra__"], "Cellules en trop au-delà de la dernière colonne : conservées à part.")
    return fields, translated, hours


_MAY_HOLD_PLACE = re.compile(r"\d{2} ?\d{3}|\bcedex\b|\bb\.? ?p\b|\bcs\b", re.IGNORECASE)


def _prepare_address(values: dict[str, Any], prepared: PreparedLine) -> None:
    """Postcode and commune read out of the address when the file has no column for them."""
    from models.addresses import parse_address

    text = values.get("adresse")
    if not text or (values.get("code_postal") and values.get("commune") and not _MAY_HOLD_PLACE.search(text)):
        return  # the place has its own columns and the address holds no postcode, BP or CEDEX
    parts = parse_address(text)
    if not values.get("code_postal") and parts.postcode:
        values["code_postal"] = parts.postcode
        prepared.warn("code_postal", parts.postcode, "Code postal repris de l'adresse.", keep=False)
    if not values.get("commune") and parts.commune_text:
        values["commune"] = parts.commune_text
        prepared.warn("commune", parts.commune_text, "Commune reprise de l'adresse.", keep=False)
    if parts.street and parts.street != text and (parts.postcode or parts.commune_text):
        values["adresse"] = parts.street
        if parts.cedex or parts.bp:
            extra = " ".join(p for p in (parts.bp, parts.cedex) if p)
            values["complement_adresse"] = " ".join(p for p in (values.get("complement_adresse"), extra) if p)


def _commune_from_point(values: dict[str, Any], context: FileContext, prepared: PreparedLine) -> None:
    """No commune, postcode nor INSEE code but coordinates: the nearest commune of the file's
    département, flagged for review (never a commune of another département)."""
    if values.get("commune") or values.get("code_postal") or values.get("code_insee") or not context.departement_hint:
        return
    try:
        latitude, longitude, _ = normalize.normalize_coordinates(values.get("latitude"), values.get("longitude"),
                                                                 departement=context.departement_hint)
    except (InvalidValue, TypeError):
        return
    from models.geo import point_in_departement

    if not point_in_departement(latitude, longitude, context.departement_hint):
        return
    commune = cog().nearest_commune(latitude, longitude, departement=context.departement_hint)
    if commune is None:
        return
    values["commune"], values["code_insee"] = commune.nom, commune.code
    prepared.warn("commune", commune.nom, f"Commune absente : {commune.nom} ({commune.code}), la plus proche des "
                  "coordonnées dans le département du fichier — à vérifier.", keep=False)


def _check_postcode(values: dict[str, Any], raw_postcode: str | None, commune: Commune | None,
                    prepared: PreparedLine) -> None:
    """A postcode that contradicts the commune (or a zero padding that moved the lieu) is flagged."""
    from models.addresses import check_postcode

    if not raw_postcode or commune is None or raw_postcode in commune.codes_postaux:
        return  # nothing to check: the commune's own postcode, as written
    point = None
    if values.get("latitude") is not None and values.get("longitude") is not None:
        try:
            point = (float(values["latitude"]), float(values["longitude"]))
        except (TypeError, ValueError):
            point = None
    result = check_postcode(raw_postcode, commune, point)
    if result.message:
        if result.likely and result.likely != values.get("code_postal"):
            prepared.warn("code_postal", raw_postcode, f"{result.message} Code postal {result.likely} retenu.")
            values["code_postal"] = result.likely
        else:
            prepared.warn("code_postal", raw_postcode, result.message, keep=False)


def prepare_line(
    raw: Mapping[str, str | None], plan: ColumnPlan, index: TranslationIndex | CellTranslator, context: FileContext,
    *, line: int, today: date,
) -> PreparedLine:
    """Turn one line of a file into a valid structure, or the reasons it is rejected."""
    prepared = PreparedLine(line=line)
    fields, translated, hour_texts = _read_cells(raw, plan, prepared)
    values: dict[str, Any] = {name: fields[name] for name in data_fields() if name in fields}
    prepared.source_id = fields.get("id")
    if not values.get("nom"):
        prepared.fail("nom", None, "Le nom de la structure est obligatoire.")
    if not values.get("adresse"):
        prepared.fail("adresse", None, "L'adresse est obligatoire (le standard l'exige).")

    _prepare_translated(values, translated, index, prepared)
    _prepare_point(values, fields.get(POINT_FIELD), prepared)
    raw_postcode = values.get("code_postal")
    _prepare_address(values, prepared)
    _commune_from_point(values, context, prepared)
    commune = _resolve_place(values, context, prepared)
    _check_postcode(values, raw_postcode, commune, prepared)
    departement = departement_of_place(commune.code if commune else None, values.get("code_postal"))
    _prepare_phones(values, departement, prepared)
    _contact_emails_out_of_name(values)
    _prepare_emails(values, prepared)
    _prepare_personal_emails(values, context, prepared)
    _prepare_urls(values, prepared)
    _prepare_single(values, "pivot", normalize.normalize_pivot, prepared)
    _prepare_hours(values, plan, raw, hour_texts, prepared)
    _prepare_coordinates(values, departement, prepared)
    _prepare_resume(values, prepared)
    _prepare_date(values, context, today, prepared)
    _flag_people_in_text(values, context, prepared)
    if prepared.rejected:
        return prepared

    structure = _validate_keeping_line(values, prepared)
    if structure is None:
        return prepared
    structure = _coherent(structure, prepared)
    if not prepared.rejected and structure is not None:
        prepared.structure = structure
        prepared.import_key = import_key(structure, prepared.source_id, context.namespace)
    return prepared


def _coherent(structure: Structure, prepared: PreparedLine) -> Structure | None:
    """COG checks; a point outside the département is set aside (the lieu is kept), other errors reject."""
    for issue in check_coherence(structure):
        if issue.is_error and issue.field in ("latitude", "longitude"):
            prepared.warn("latitude", issue.value, f"{issue.message} Coordonnées mises de côté.")
            structure = structure.model_copy(update={"latitude": None, "longitude": None})
        elif issue.is_error:
            prepared.fail(issue.field, issue.value, issue.message)
        else:
            prepared.issues.append(issue)
    return None if prepared.rejected else structure


def _validate_keeping_line(values: dict[str, Any], prepared: PreparedLine) -> Structure | None:
    """Validate; a bad optional value is set aside (warning) and the line validated again."""
    from pydantic import ValidationError

    for _attempt in range(3):
        try:
            return Structure.model_validate(values, context={"normalized": True})
        except ValidationError as error:
            issues = validation_issues(error)
        for issue in issues:
            if issue.field in REQUIRED or issue.field is None:
                prepared.fail(issue.field, issue.value, issue.message)
            else:
                prepared.warn(issue.field, issue.value, f"{issue.message} Valeur mise de côté.")
                values.pop(issue.field, None)
        if prepared.rejected:
            return None
    return None


def import_key(structure: Structure, source_id: str | None, namespace: str) -> str:
    """How a line is recognised on re-import: its id within its source, else a fingerprint of the place.

    The source's ids are namespaced by the lieu's ``source`` when it has one, else by the file's
    namespace (``collect.import_context``): ids 1…N of two sources never collide."""
    if source_id:
        space = fold(structure.source) if structure.source else namespace
        return f"id:{space}:{source_id}"
    fingerprint = "|".join(
        fold(part or "") for part in (structure.nom, structure.code_insee or structure.commune, structure.code_postal, structure.adresse)
    )
    return "h:" + hashlib.sha1(fingerprint.encode()).hexdigest()[:20]
