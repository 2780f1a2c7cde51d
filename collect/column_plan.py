"""Every column of a file and its fate: used for a field (and how that was found), or kept aside.

``plan_columns(table)`` decides, for each column of the file, in this order of authority:

1. **the person** (overrides from the Import page or a mapping file) — ``how = "personne"``;
2. **the import profile** saved for this source — ``how = "profil"``;
3. **the name**: the standard's field names and synonyms, then the header rules of
   ``collect.headers`` (abbreviations, prefixes, squashed names, question texts), day columns of
   opening hours (``collect.hours.day_column``), and yes/no columns whose name means a code
   (``c_mediatheque`` → typologie) — ``how = "nom"``;
4. **the content**, when the name says nothing: values that translate to a list of the standard
   (``models.vocabulary``), then the value kinds of ``collect.profiling`` (e-mails, phones,
   dates, postcodes, coordinates…) — ``how = "contenu"``, with a confidence.

A field that holds one value (``nom``, ``adresse``, ``date_maj``…) takes one column: the most
authoritative, then most confident, then leftmost; the others are kept aside with one message.
Lists (typologie, services, courriels, téléphones…) may take several columns. Columns that feed
no field are kept aside on each lieu (``donnees_source``), never dropped; a column the person
leaves out is « écartée ». When a required field has no column, ONE message names the columns
whose content could hold it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from collect import columns as column_names
from collect.readers import Table
from collect.translations import TRANSLATED_FIELDS, split_cell
from models import vocabulary

HOW_PERSON = "personne"
HOW_PROFILE = "profil"
HOW_NAME = "nom"
HOW_CONTENT = "contenu"
HOW_LABELS = {HOW_PERSON: "par la personne", HOW_PROFILE: "par le profil", HOW_NAME: "par le nom",
              HOW_CONTENT: "par le contenu"}
_AUTHORITY = {HOW_PERSON: 0, HOW_PROFILE: 1, HOW_NAME: 2, HOW_CONTENT: 3}

# The person's choice « no field, keep the values aside on each lieu » (None: leave the column out).
KEPT_ASIDE = "(conservée à part)"
# A cell holding both coordinates ("{'lon': 166.4, 'lat': -22.2}", "47.47, -0.55").
POINT_FIELD = "coordonnees"
# Fields a column can feed: the standard's, Maillage's own, the legacy v0.1 ones, and the point.
TARGET_FIELDS: tuple[str, ...] = (*column_names.TARGET_FIELDS, "statut", POINT_FIELD)
# Fields that may take several columns (their values are added up).
MULTI_COLUMN_FIELDS = frozenset({*TRANSLATED_FIELDS, "courriels", "site_web", "telephone", "horaires"})
# Fields whose content detection is trusted only when no column has the field by name.
REQUIRED = ("nom", "adresse")
CONTENT_THRESHOLD = 0.6  # below this confidence, content alone proposes nothing
VOCABULARY_SHARE = 0.5  # share of a column's distinct items a list must translate to be proposed
CATEGORICAL_SHARE = 0.5  # at most this many distinct items per item written, for a column read as a list
TYPOLOGY_WORDS = 4  # a kind of place is a short label: more words on average is a column of names


@dataclass(frozen=True)
class ColumnUse:
    """What happens to one column of the file."""

    column: str
    field: str | None  # None: kept aside on each lieu (donnees_source)
    how: str = ""  # personne | profil | nom | contenu | "" (nothing found)
    reason: str = ""  # French: « nom exact », « 96 % d'adresses e-mail »…
    confidence: float = 0.0
    samples: tuple[str, ...] = ()
    ignored: bool = False  # the person left the column out altogether
    day: str | None = None  # opening hours: OSM day of a day column
    part: str | None = None  # opening hours: part of the day (None: whole day)

    @property
    def fate(self) -> str:
        """French, for the column table: « nom (par le nom) », « conservée à part », « écartée »."""
        if self.ignored:
            return "écartée"
        if self.field is None:
            return "conservée à part sur chaque fiche"
        return f"{self.field} ({HOW_LABELS.get(self.how, self.how)})"


@dataclass
class ColumnPlan:
    """The fate of every column, in file order, and the file-level messages about columns."""

    uses: list[ColumnUse]
    messages: list[str] = field(default_factory=list)

    @property
    def fields(self) -> dict[str, str]:
        """Column → field, for the columns that feed a field."""
        return {u.column: u.field for u in self.uses if u.field and not u.ignored}

    @property
    def unmatched(self) -> list[str]:
        """Columns kept aside on each lieu."""
        return [u.column for u in self.uses if u.field is None and not u.ignored]

    @property
    def ignored(self) -> list[str]:
        return [u.column for u in self.uses if u.ignored]

    def use(self, column: str) -> ColumnUse | None:
        return next((u for u in self.uses if u.column == column), None)

    def columns_for(self, target: str) -> list[str]:
        """The columns feeding ``target``, in the file's order."""
        return [u.column for u in self.uses if u.field == target and not u.ignored]

    @cached_property
    def day_columns(self) -> list[ColumnUse]:
        """The opening-hours columns of one day (or half-day). Read on every line: computed once a plan."""
        return [u for u in self.uses if u.field == "horaires" and u.day and not u.ignored]

    @cached_property
    def read_columns(self) -> tuple[str, ...]:
        """The columns a line's cells are read from (``collect.lines``), in the order of ``uses``."""
        return tuple(u.column for u in self.uses)

    def signature(self) -> list[Any]:
        """What the line preparation depends on (for the seen-line fingerprints)."""
        return sorted([u.column, u.field, u.day, u.part] for u in self.uses if not u.ignored)


def _samples(values: Sequence[str | None]) -> tuple[str, ...]:
    seen: list[str] = []
    for value in values:
        if value and value not in seen:
            seen.append(value)
            if len(seen) == 3:
                break
    return tuple(seen)


EXACT_NAME = "nom exact du champ"  # the reason of a column named as its field


def _checked_target(column: str, value: Any) -> str | None:
    """The field a decision names; None (the column left out) for no field or a blank one, as in a mapping file."""
    text = "" if value is None else str(value).strip()
    if not text:
        return None
    if text in TARGET_FIELDS:
        return text
    found = column_names._field_name(text)
    if found is None:
        from models.errors import InvalidMapping

        raise InvalidMapping(f"Correspondance des colonnes, colonne « {column} » : champ inconnu « {text} ».")
    return found


def _decided(table: Table, decisions: Mapping[str, str | None] | None, how: str) -> dict[str, ColumnUse]:
    """Uses decided by the person or the profile (a column absent from the file is skipped)."""
    if not decisions:
        return {}
    by_key = {column_names.normalize_header(c): c for c in reversed(table.columns)}
    uses: dict[str, ColumnUse] = {}
    for key, value in decisions.items():
        column = key if key in table.columns else by_key.get(column_names.normalize_header(str(key)))
        if column is None or column in uses:
            continue
        if value == KEPT_ASIDE:
            uses[column] = ColumnUse(column, None, how, "conservée à part (choix confirmé)", 1.0)
            continue
        target = _checked_target(column, value if value is None else str(value))
        if target is None:
            uses[column] = ColumnUse(column, None, how, "colonne écartée", 1.0, ignored=True)
        else:
            day = _day(column) if target == "horaires" else None
            uses[column] = ColumnUse(column, target, how, "choix confirmé", 1.0,
                                     day=day[0] if day else None, part=day[1] if day else None)
    return uses


def _day(column: str) -> tuple[str, str | None] | None:
    from collect.hours import day_column

    found = day_column(column)
    return (found.day, found.part) if found else None


def _by_name(column: str, values: Sequence[str | None]) -> ColumnUse | None:
    """The field a column's name means (exact, synonym, header rules, day column, yes/no meaning)."""
    key = column_names.normalize_header(column)
    if key in column_names._EXACT:
        return ColumnUse(column, column_names._EXACT[key], HOW_NAME, EXACT_NAME, 1.0)
    if key in column_names._SYNONYM:
        return ColumnUse(column, column_names._SYNONYM[key], HOW_NAME, "synonyme connu", 1.0)
    day = _day(column)
    if day is not None:
        return ColumnUse(column, "horaires", HOW_NAME, "colonne d'horaires d'un jour", 0.9, day=day[0], part=day[1])
    from collect.headers import AUTO_MATCH_CONFIDENCE, field_for_header

    match = field_for_header(column)
    if match is None or match.field not in TARGET_FIELDS:
        return None
    if match.confidence < AUTO_MATCH_CONFIDENCE and not _hint_confirmed(column, match.field, values):
        return None  # a hint the name alone does not make sure of (« Autre - … », « c_formation »)
    return ColumnUse(column, match.field, HOW_NAME, match.reason, match.confidence)


def _hint_confirmed(column: str, field: str, values: Sequence[str | None]) -> bool:
    """A weak name match is kept when it is a contact column, a place guess (set aside later when
    the file has its own place columns), or a list some of whose values translate to that list
    (« statut juridique » = Associatif → ASSO; the values that do not are kept aside and shown)."""
    if field.startswith("contact_") or field in _PLACE_FIELDS:
        return True
    if field not in TRANSLATED_FIELDS or field == "statut":
        return False
    from collect.translations import item_targets

    items = {item for value in values if value for item in split_cell(field, value)}
    translated = sum(1 for item in items if item_targets(column, field, item)[1] not in ("aucune", "oui/non"))
    return translated > 0


def _is_yes_no_column(values: Sequence[str | None]) -> bool:
    """Every value is a yes/no answer (oui, X, True, 0, Souvent, Jamais…)."""
    distinct = {v for v in values if v}
    return bool(distinct) and len(distinct) <= 12 and all(vocabulary.yes_no(v) is not None for v in distinct)


def _by_name_or_meaning(column: str, values: Sequence[str | None]) -> ColumnUse | None:
    """The name's field; for a yes/no column, the code its name means decides (« Enlibreacces » = X →
    modalités : En autonomie), and a yes/no column whose name names no code of its field is kept aside."""
    by_name = _by_name(column, values)
    if by_name is not None and by_name.confidence >= 1.0 and by_name.field not in TRANSLATED_FIELDS:
        return by_name
    if not _is_yes_no_column(values):
        return by_name
    by_meaning = _by_meaning(column, values)
    if by_meaning is not None:
        return by_meaning
    if by_name is not None and by_name.field in TRANSLATED_FIELDS and by_name.field != "itinerance":
        return ColumnUse(column, None, "", f"colonne oui/non : son nom ne dit pas quelle valeur du champ "
                         f"{by_name.field} elle donne", by_name.confidence)
    return by_name


# Place fields a geocoder's output columns (« result_citycode »…) may give, and only when the file has none.
_PLACE_FIELDS = ("commune", "code_postal", "code_insee", "adresse")
GUESS_CONFIDENCE = 0.5


_COMMUNE_FIELDS = ("commune", "code_postal", "code_insee")


def _set_aside_geocoder_guesses(chosen: dict[str, ColumnUse]) -> None:
    """A low-confidence place column (a geocoder's guess) is not used when the file has its own column
    for that field (for the commune, its postcode or INSEE code: any of the three)."""
    own = {u.field for u in chosen.values() if u.field in _PLACE_FIELDS and u.confidence >= GUESS_CONFIDENCE}
    if own & set(_COMMUNE_FIELDS):
        own |= set(_COMMUNE_FIELDS)
    for column, use in list(chosen.items()):
        if use.field in own and use.confidence < GUESS_CONFIDENCE and use.how == HOW_NAME:
            chosen[column] = ColumnUse(column, None, "", f"{use.reason} ; le fichier a sa propre colonne",
                                       use.confidence)


def _by_meaning(column: str, values: Sequence[str | None]) -> ColumnUse | None:
    """A yes/no column whose name means a code: « c_mediatheque » → typologie BIB."""
    for meaning in vocabulary.meanings(column):
        if meaning.field in TRANSLATED_FIELDS:
            return ColumnUse(column, meaning.field, HOW_NAME, f"colonne oui/non : {meaning.code}", 0.8)
    status = vocabulary.status_of(column)
    if status is not None:
        return ColumnUse(column, "statut", HOW_NAME, "colonne oui/non de statut", 0.8)
    return None


# What the values of a list column « are », in French, for the reasons.
_LIST_PHRASES = {
    "typologie": "des sortes de lieux (typologie)",
    "services": "des services du standard",
    "publics_specifiquement_adresses": "des publics du standard",
    "prise_en_charge_specifique": "des prises en charge spécifiques du standard",
    "modalites_accompagnement": "des modalités d'accompagnement du standard",
    "modalites_acces": "des modalités d'accès du standard",
    "frais_a_charge": "des frais à charge du standard",
    "dispositif_programmes_nationaux": "des dispositifs ou programmes nationaux",
    "formations_labels": "des formations ou labels du standard",
    "statut": "des statuts (ouvert, fermé, masqué…)",
}


def _by_vocabulary(column: str, values: Sequence[str | None]) -> ColumnUse | None:
    """A column whose items translate to one list of the standard (« Tag 12 », « PICTO »)."""
    from collect.translations import item_targets

    occurrences = 0
    items: set[str] = set()
    for value in values:
        if value:
            parts = split_cell("", value)
            occurrences += len(parts)
            items.update(parts)
        if len(items) > 400:
            break
    # A list's words repeat from line to line (a few kinds of places, services…); a column whose every
    # line is different (« Médiathèque l'Alpha », « Espace numérique de Cognac ») holds names.
    if not items or len(items) > CATEGORICAL_SHARE * occurrences:
        return None
    words = sum(len(item.split()) for item in items) / len(items)
    best: tuple[float, str] | None = None
    for target in ("typologie", "services", "publics_specifiquement_adresses", "prise_en_charge_specifique",
                   "modalites_accompagnement", "modalites_acces", "frais_a_charge",
                   "dispositif_programmes_nationaux", "formations_labels"):
        if target == "typologie" and words > TYPOLOGY_WORDS:
            continue  # long names (« Communauté d'agglomération - Pays Basque ») name places, not kinds
        translated = sum(1 for item in items if item_targets(column, target, item)[1] not in ("aucune", "oui/non"))
        share = translated / len(items)
        if share >= VOCABULARY_SHARE and (best is None or share > best[0]):
            best = (share, target)
    statuses = sum(1 for item in items if vocabulary.status_of(item) is not None)
    if statuses / len(items) >= VOCABULARY_SHARE and (best is None or statuses / len(items) > best[0]):
        best = (statuses / len(items), "statut")
    if best is None:
        return None
    share, target = best
    return ColumnUse(column, target, HOW_CONTENT, f"{round(share * 100)}\u202f% des valeurs sont {_LIST_PHRASES[target]}",
                     min(0.95, 0.5 + share / 2))


_SERIES = re.compile(r"^(.*?\D)[\s_\-.]*\d{1,3}$")


def _series_base(column: str) -> str | None:
    """« Tag 12 » → « tag », « QUALIF3 » → « qualif »: numbered columns of one series."""
    match = _SERIES.match(column.strip())
    return column_names.normalize_header(match[1]) if match else None


def _complete_series(columns: Sequence[str], chosen: dict[str, ColumnUse]) -> None:
    """Numbered columns of one series (« Tag 1 » … « Tag 51 ») feed the same list: when most of those
    the rules placed go to one list field, the others of the series go there too."""
    series: dict[str, list[str]] = {}
    for column in columns:
        base = _series_base(column)
        if base:
            series.setdefault(base, []).append(column)
    for base, members in series.items():
        if len(members) < 3:
            continue
        placed = [chosen[c].field for c in members if c in chosen and chosen[c].field in TRANSLATED_FIELDS]
        if not placed:
            continue
        field, count = Counter(placed).most_common(1)[0]
        if count * 2 <= len([c for c in members if c in chosen]):
            continue  # no list has most of them (« Tag 1 » typologie, « Tag 2 » services): none is guessed
        for column in members:
            if column not in chosen:
                chosen[column] = ColumnUse(column, field, HOW_CONTENT, f"même série que les autres colonnes « {base} »",
                                           0.7)


def _by_content(table: Table, unmatched: list[str], profiles: dict[str, Any]) -> dict[str, ColumnUse]:
    from collect.profiling import propose_fields

    proposals = propose_fields([profiles[c] for c in unmatched])
    uses: dict[str, ColumnUse] = {}
    for column, proposal in proposals.items():
        if proposal.confidence < CONTENT_THRESHOLD:
            continue
        target = proposal.field
        if "longitude" in proposal.also_fields:  # one cell holds both coordinates
            target = POINT_FIELD
        if target not in TARGET_FIELDS:
            continue
        uses[column] = ColumnUse(column, target, HOW_CONTENT, proposal.reason, proposal.confidence)
    return uses


def plan_columns(
    table: Table,
    *,
    overrides: Mapping[str, str | None] | None = None,
    profile: Mapping[str, str | None] | None = None,
) -> ColumnPlan:
    """Decide the fate of every column of ``table`` (see the module docstring)."""
    from collect.profiling import column_values, profile_column

    values_of = column_values(table)
    person = _decided(table, overrides, HOW_PERSON)
    saved = _decided(table, profile, HOW_PROFILE)
    chosen: dict[str, ColumnUse] = {}
    for column in table.columns:
        use = person.get(column) or saved.get(column) or _by_name_or_meaning(column, values_of[column])
        if use is not None:
            chosen[column] = use
    _set_aside_geocoder_guesses(chosen)
    profiles = {c: profile_column(c, values_of[c]) for c in table.columns}
    open_columns = [c for c in table.columns if c not in chosen]
    for column in open_columns:
        use = _by_vocabulary(column, values_of[column])
        if use is not None:
            chosen[column] = use
    _complete_series(table.columns, chosen)
    content = _by_content(table, [c for c in table.columns if c not in chosen], profiles)
    taken = {u.field for u in chosen.values() if u.field}
    for column, use in content.items():
        if use.field in MULTI_COLUMN_FIELDS and use.field in taken and use.field not in TRANSLATED_FIELDS:
            continue  # a second e-mail or phone column by content alone: kept aside, not published
        chosen[column] = use
    _set_aside_contradicted_names(chosen, profiles)
    plan = _resolve(table, chosen, values_of, profiles)
    plan.messages += _missing_required(plan, profiles)
    return plan


# Value kinds (``collect.profiling``) a field's column must mostly hold when its content says anything.
_EXPECTED_KINDS = {
    "courriels": ("courriel",), "contact_courriel": ("courriel",),
    "telephone": ("telephone",), "contact_telephone": ("telephone",),
    "site_web": ("url",), "fiche_acces_libre": ("url",), "prise_rdv": ("url",),
    "date_maj": ("date",),
    "latitude": ("latitude", "lambert93", "nombre"), "longitude": ("longitude", "lambert93", "nombre"),
    "code_postal": ("code_postal", "code_insee", "nombre"),
}
CONTENT_FIT = 0.3  # below this share of the expected kind, a column's name is contradicted by its content


def _set_aside_contradicted_names(chosen: dict[str, ColumnUse], profiles: dict[str, Any]) -> None:
    """A column whose name says e-mail, phone, web site, date, postcode or coordinates but whose values
    are mostly something else (« accessibilite » holding « Accessible PMR ») is kept aside, not used."""
    for column, use in list(chosen.items()):
        kinds = _EXPECTED_KINDS.get(use.field or "")
        profile = profiles.get(column)
        if not kinds or use.how != HOW_NAME or profile is None or profile.non_empty < 3:
            continue
        share = profile.share(*kinds)
        if share < CONTENT_FIT:
            chosen[column] = ColumnUse(
                column, None, "", f"le nom dit {use.field}, mais {round(share * 100)} % seulement des valeurs en sont",
                use.confidence)


def _resolve(table: Table, chosen: dict[str, ColumnUse], values_of: dict[str, list[str | None]],
             profiles: dict[str, Any]) -> ColumnPlan:
    """One column per single-valued field (the others kept aside, said once); samples added.

    Among columns equally good by name, a column with values wins over an empty one, the field's own name
    over a synonym (« Nom » beside « Raison sociale »), then the one with more values (« latitude » full
    beside a sparse « Latitude »), then the leftmost."""
    position = {c: i for i, c in enumerate(table.columns)}
    winners: dict[str, str] = {}
    for column in sorted(
        (c for c, u in chosen.items() if u.field and not u.ignored),
        key=lambda c: (_AUTHORITY.get(chosen[c].how, 9), -chosen[c].confidence, not profiles[c].non_empty,
                       chosen[c].reason != EXACT_NAME, -profiles[c].non_empty, position[c]),
    ):
        winners.setdefault(chosen[column].field, column)
    uses: list[ColumnUse] = []
    losers: dict[str, list[str]] = {}  # field → the columns kept aside for it, in file order
    for column in table.columns:
        samples = _samples(values_of[column])
        use = chosen.get(column)
        if use is None:
            uses.append(ColumnUse(column, None, samples=samples))
            continue
        if use.field and not use.ignored and use.field not in MULTI_COLUMN_FIELDS and winners[use.field] != column:
            losers.setdefault(use.field, []).append(column)
            uses.append(ColumnUse(column, None, "", f"aussi possible pour {use.field}", use.confidence, samples))
            continue
        uses.append(ColumnUse(use.column, use.field, use.how, use.reason, use.confidence, samples, use.ignored,
                              use.day, use.part))
    return ColumnPlan(uses, [_conflict_message(target, winners[target], aside) for target, aside in losers.items()])


def _conflict_message(target: str, winner: str, aside: list[str]) -> str:
    """ONE message per field several columns claim: the one used, the others kept aside."""
    if len(aside) == 1:
        return (f"Les colonnes « {winner} » et « {aside[0]} » correspondent toutes deux au champ « {target} » : "
                f"« {winner} » est utilisée, « {aside[0]} » est conservée à part.")
    others = ", ".join(f"« {c} »" for c in aside[:-1]) + f" et « {aside[-1]} »"
    return (f"Les colonnes « {winner} », {others} correspondent toutes au champ « {target} » : « {winner} » est "
            f"utilisée, {others} sont conservées à part.")


_REQUIRED_LABELS = {"nom": "le nom du lieu", "adresse": "l'adresse", "commune": "la commune"}


def _missing_required(plan: ColumnPlan, profiles: dict[str, Any]) -> list[str]:
    """ONE message per required field no column feeds, naming the columns that could hold it."""
    from collect.profiling import columns_that_could_hold

    present = set(plan.fields.values())
    missing = [f for f in REQUIRED if f not in present]
    # Without any place column, the commune may still be read inside the address.
    if not present & {"commune", "code_postal", "code_insee", "adresse"}:
        missing.append("commune")
    messages = []
    free = [profiles[c] for c in plan.unmatched]
    for name in missing:
        candidates = columns_that_could_hold(name, free)
        hint = (" Colonnes qui pourraient le contenir : " + ", ".join(f"« {c} »" for c in candidates) + "."
                if candidates else " Aucune colonne du fichier ne semble le contenir.")
        messages.append(
            f"Aucune colonne n'a été reconnue pour {_REQUIRED_LABELS[name]} (champ {name}) : "
            f"indiquez-la dans la correspondance des colonnes.{hint}"
        )
    return messages


