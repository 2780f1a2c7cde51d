"""Values translated, not dropped: the words of a file turned into the standard's codes.

A column that feeds a list of the standard (``typologie``, ``services``, ``publics…``,
``modalites…``, ``frais_a_charge``, ``itinerance``…) or Maillage's ``statut`` holds the words its
source uses: « Médiathèque - Bibliothèque », « Centre social / EPN / France Services », ``True`` in
a ``c_mediatheque`` column, ``X`` under « En libre accès », « Souvent » under « Démarches
administratives ». Each distinct item of such a column (a cell split by
``models.vocabulary.split_items``) is translated once, for the whole file, into ``(field, code)``
targets, in this order:

1. what the person (or the import profile) said for this column and value;
2. a value of the standard itself (exact, or accents/case ignored) — or of the legacy v0.1 lists;
3. the keyword tables of ``models/data/vocabulaire/`` (``models.vocabulary.translate``);
4. a yes/no answer in a column whose *name* means a code (``c_mediatheque`` → BIB): yes gives
   that code, no gives nothing (and, for a status column, its negative: « actif = non » → inactif).

An item nothing translates is *kept aside* on each lieu (``valeurs_ecartees``) and reported once
for the file with its count, never silently dropped. The dry run shows every translation with its
count (:class:`Translation`); the Import page lets the person correct them, and corrections are
saved with the import profile.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from collect.legacy import LEGACY_FIELDS, fold, translate_legacy
from collect.readers import column_cells
from models import vocabulary
from models.standard import standard_v1
from models.structure import enumerated_fields
from models.vocabulary import typology_code

# Fields whose values are translated to codes (the legacy v0.1 fields feed v1 fields).
TRANSLATED_FIELDS: tuple[str, ...] = ("typologie", *enumerated_fields(), "statut", *LEGACY_FIELDS)

# How a translation was found, as shown to the person.
HOW_PERSON = "personne"
HOW_PROFILE = "profil"
HOW_STANDARD = "valeur du standard"
HOW_LEGACY = "standard 0.1"
HOW_KEYWORD = "mot-clé"
HOW_YES_NO = "oui/non"
HOW_KNOWN = "mot connu, sans code"
HOW_NONE = "aucune"
HOW_CONSTANT = "même valeur partout : non appliquée"

Target = tuple[str, str]  # (field, code)


@dataclass(frozen=True)
class Translation:
    """One distinct item of a column and what it becomes (``targets`` empty: nothing, e.g. « non »)."""

    column: str
    field: str
    value: str
    targets: tuple[Target, ...]
    count: int
    how: str

    @property
    def unknown(self) -> bool:
        """Nothing translates it (kept aside on each lieu)."""
        return self.how == HOW_NONE

    def targets_text(self) -> str:
        """« BIB », « Aide aux démarches administratives ; Fixe (itinerance) » — for a table cell."""
        return " ; ".join(code if field == self.field else f"{code} ({field})" for field, code in self.targets)


# column → item → targets: what the line preparation applies (None: nothing translates the item,
# kept aside on the lieu; an empty tuple: the item means nothing, like « non » in a yes/no column).
TranslationIndex = dict[str, dict[str, tuple[Target, ...] | None]]


def split_cell(field: str, cell: str) -> list[str]:
    """The items of a cell: several values in one cell for lists, the whole cell for a yes/no."""
    return list(_split_cell(cell))


@lru_cache(maxsize=65536)
def _split_cell(cell: str) -> tuple[str, ...]:
    items = vocabulary.split_items(cell)
    return tuple(items) if items else ((cell.strip(),) if cell.strip() else ())


@lru_cache(maxsize=4096)
def _choice_index(field: str) -> dict[str, str]:
    return {fold(choice): choice for choice in standard_v1().choices(field)}


def _standard_value(field: str, item: str) -> str | None:
    if field == "typologie":
        return typology_code(item)
    if field == "statut":
        return item if item in vocabulary.STATUTS else None
    if field == "itinerance" and fold(item) in ("itinerant", "itinerante", "mobile"):
        return "Itinérant"
    return _choice_index(field).get(fold(item)) if field in enumerated_fields() else None


@lru_cache(maxsize=8192)
def column_meaning(column: str, field: str) -> tuple[Target, ...]:
    """What a « yes » in ``column`` means for ``field``, read from the column's name."""
    if field == "statut":
        code = vocabulary.status_of(column)
        return (("statut", code),) if code else ()
    return tuple((m.field, m.code) for m in vocabulary.meanings(column) if m.field == field)


_NEGATIVE_STATUS = {"ouvert": "ferme"}


def _negative_status(column: str) -> tuple[Target, ...]:
    """« actif = non » → inactif, « publié = non » → masqué, « validé = non » → à valider."""
    code = vocabulary.status_of(f"non {column}")
    if code and code != "ouvert":
        return (("statut", code),)
    meant = vocabulary.status_of(column)
    negative = _NEGATIVE_STATUS.get(meant or "")
    return (("statut", negative),) if negative else ()


@lru_cache(maxsize=65536)
def item_targets(column: str, field: str, item: str) -> tuple[tuple[Target, ...], str]:
    """The targets of one item of ``column`` (mapped to ``field``) and how they were found."""
    if field in LEGACY_FIELDS:
        legacy = translate_legacy(field, [item])
        if legacy.values:
            return tuple((f, code) for f, codes in legacy.values.items() for code in codes), HOW_LEGACY
        if not legacy.unmapped:
            return (), HOW_LEGACY  # a v0.1 value with no v1 equivalent by design
        field = _LEGACY_TARGET.get(field, field)
    standard = _standard_value(field, item)
    if standard is not None:
        return ((field, standard),), HOW_STANDARD
    if field in ("services", "modalites_accompagnement"):  # v0.1 had other values under the same name
        legacy = translate_legacy(field, [item])
        if legacy.values:
            return tuple((f, c) for f, codes in legacy.values.items() for c in codes), HOW_LEGACY
    if field == "statut":
        code = vocabulary.status_of(item)
        if code is not None:
            return (("statut", code),), HOW_KEYWORD
    else:
        codes = vocabulary.translate(field, item)
        if codes:
            return tuple((field, code) for code in codes), HOW_KEYWORD
        if vocabulary.means_nothing(field, item):  # « Tout public », « Collectivité »: known, no code
            return (), HOW_KNOWN
    answer = vocabulary.yes_no(item)
    if answer is not None and field == "itinerance":  # a yes/no question with its own two values
        return (("itinerance", "Itinérant" if answer else "Fixe"),), HOW_YES_NO
    if answer is not None:
        meaning = column_meaning(column, field)
        if answer and meaning:
            return meaning, HOW_YES_NO
        if not answer:
            return (_negative_status(column) if field == "statut" else ()), HOW_YES_NO
    return (), HOW_NONE


# A legacy field whose value is not a v0.1 value is read as its v1 successor's words.
_LEGACY_TARGET = {
    "publics_accueillis": "publics_specifiquement_adresses",
    "conditions_acces": "frais_a_charge",
    "labels_nationaux": "dispositif_programmes_nationaux",
}
# The free-text field a v0.1 label with no national code goes to (« APTIC »).
_FREE_LABELS = "autres_formations_labels"


def column_items(rows: Sequence[Mapping[str, str | None]], column: str, field: str) -> Counter[str]:
    """Each distinct item of a column with the number of lines where it appears (each distinct cell split once:
    a column of 300 000 lines holds a few hundred different cells)."""
    counts: Counter[str] = Counter()
    for cell, lines in Counter(column_cells(rows, column)).items():
        if cell:
            for item in set(split_cell(field, cell)):
                counts[item] += lines
    return counts


def propose_translations(
    rows: list[Mapping[str, str | None]],
    columns: Mapping[str, str],
    *,
    corrections: Mapping[str, Mapping[str, Iterable[Iterable[str]]]] | None = None,
    corrected_by: str = HOW_PERSON,
) -> list[Translation]:
    """Every distinct item of every translated column (``columns``: column → field) with its targets.

    ``corrections`` (column → value → [(field, code)…]) come from the person or the import profile
    and win over the rules; a correction for a value absent from this file is simply unused."""
    corrections = corrections or {}
    found: list[Translation] = []
    for column, field in columns.items():
        if field not in TRANSLATED_FIELDS:
            continue
        fixed = corrections.get(column, {})
        for item, count in sorted(column_items(rows, column, field).items(), key=lambda kv: (-kv[1], kv[0])):
            if item in fixed:
                targets = tuple((str(f), str(c)) for f, c in fixed[item])
                found.append(Translation(column, field, item, targets, count, corrected_by))
                continue
            targets, how = item_targets(column, field, item)
            found.append(Translation(column, field, item, targets, count, how))
    return found


def translation_index(translations: Iterable[Translation]) -> TranslationIndex:
    """The translations as column → item → targets, for preparing lines."""
    index: TranslationIndex = {}
    for t in translations:
        index.setdefault(t.column, {})[t.value] = None if t.unknown else t.targets
    return index


def unknown_items(translations: Iterable[Translation]) -> dict[tuple[str, str], Translation]:
    """The (column, item) pairs nothing translates."""
    return {(t.column, t.value): t for t in translations if t.unknown}


def corrections_of(translations: Iterable[Translation]) -> dict[str, dict[str, list[list[str]]]]:
    """What the person or the profile decided (to save with the profile)."""
    out: dict[str, dict[str, list[list[str]]]] = {}
    for t in translations:
        if t.how in (HOW_PERSON, HOW_PROFILE):
            out.setdefault(t.column, {})[t.value] = [list(target) for target in t.targets]
    return out


def parse_targets(field: str, text: str) -> tuple[Target, ...]:
    """The targets a person typed in a table cell (« BIB ; MUNI », « Surdité (prise_en_charge_specifique) »).

    A v0.1 column's codes are those of its v1 successor (« Jeunes » under ``publics_accueillis``), and
    « APTIC (autres_formations_labels) » — free text — is taken as written, as the table shows it.
    Raises ``ValueError`` with a French message for a code that is not one of the field's."""
    targets: list[Target] = []
    for part in [p.strip() for p in text.replace("|", ";").split(";") if p.strip()]:
        target_field = _LEGACY_TARGET.get(field, field)
        if part.endswith(")") and "(" in part:
            head, _, tail = part[:-1].rpartition("(")
            if tail.strip() in (*TRANSLATED_FIELDS, _FREE_LABELS) and head.strip():
                part, target_field = head.strip(), tail.strip()
        if target_field == _FREE_LABELS:
            targets.append((target_field, part))
            continue
        code = _standard_value(target_field, part)
        if code is None and target_field == "statut":
            code = vocabulary.status_of(part)
        if code is None:
            raise ValueError(f"« {part} » n'est pas une valeur du champ {target_field}.")
        targets.append((target_field, code))
    return tuple(targets)
