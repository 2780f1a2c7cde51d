"""Reading French addresses as a person would: split the line, find the commune, check the postcode.

Pure functions over the COG (:func:`models.cog.cog`, loaded once); no other I/O.

- :func:`parse_address` splits a free address text into the street line (number + street), the
  postcode, the commune as written, a CEDEX mention, a postal box (BP, CS, TSA) and the tails
  people append (département, région, country), which are dropped.
- :func:`resolve_commune` finds the current commune from whatever a line gives (INSEE code, name,
  postcode, the département most of the file is in, coordinates) and says how, with French notes.
- :func:`check_postcode` flags a postcode that contradicts its commune or its coordinates, with the
  likely right value: 4900 for Angers is 49000, not 04900 (Alpes-de-Haute-Provence).
- :func:`majority_departement` gives the département most lines of a file are in.

Rules never depend on a particular file: they use the COG's names and postcodes, La Poste's
localities and the départements' bounding boxes, so they hold for any territory.
"""

from __future__ import annotations

import difflib
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from models.cog import (
    ARRONDISSEMENT_MUNICIPAL,
    COMMUNE_ACTUELLE,
    COMMUNE_ASSOCIEE,
    COMMUNE_DELEGUEE,
    Commune,
    Locality,
    cog,
    normalize_name,
)
from models.errors import InvalidValue
from models.geo import point_in_departement
from models.normalize import clean_text, normalize_insee

Point = tuple[float, float]  # (latitude, longitude), WGS84 degrees

# A département is "the file's" when at least this share of the lines with a known département
# are in it, counted over at least MAJORITY_MIN_LINES such lines.
MAJORITY_SHARE = 0.6
MAJORITY_MIN_LINES = 3

# A name read loosely (typo) must be at least this close to a commune of its postcode.
CLOSE_NAME_RATIO = 0.8

__all__ = [
    "CLOSE_NAME_RATIO",
    "MAJORITY_MIN_LINES",
    "MAJORITY_SHARE",
    "AddressParts",
    "PlaceResolution",
    "PostcodeCheck",
    "PostcodeStatus",
    "ResolutionMethod",
    "check_postcode",
    "majority_departement",
    "parse_address",
    "resolve_commune",
]


# =========================================================================== parse_address


@dataclass(frozen=True, slots=True)
class AddressParts:
    """An address text split as a person reads it.

    ``street`` is what is left for the ``adresse`` field (number + street, lieu-dit, building…);
    ``postcode`` has 5 digits ("98 820" → "98820"); ``commune_text`` is the commune as written
    (without CEDEX or a name in parentheses); ``cedex`` is "CEDEX" or "CEDEX 09"; ``bp`` is
    "BP 123", "CS 41006" or "TSA 12345"; ``dropped`` lists what was removed and is no street:
    département, région and country names, other place names written after the postcode.
    """

    street: str | None = None
    postcode: str | None = None
    commune_text: str | None = None
    cedex: str | None = None
    bp: str | None = None
    dropped: tuple[str, ...] = ()


_POSTAL_BOX = re.compile(
    r"(?<![^\W\d_])(?P<kind>(?i:b\.?\s?p\.?|c\.?\s?s\.?|t\.?\s?s\.?\s?a\.?|bo[iî]te\s+postale))"
    r"\s*(?:n°|N°|no\b\.?)?\s*:?\s*(?P<number>(?:[A-Z]{1,3}\s?)?\d{1,6})(?!\d)"
)
_CEDEX = re.compile(r"(?<![^\W\d_])(?i:c[ée]dex)(?![^\W\d_])(?:\s*(?P<number>\d{1,2})(?!\d))?")
_POSTCODE = re.compile(r"(?<!\d)(?<!\d[.,])(?P<code>\d{5}|\d{2} \d{3})(?!\d)(?![.,]\d)")
_SEPARATOR = re.compile(r"\s*(?:[,;\n]|\s[-–—]+\s)\s*")
_EDGE_JUNK = " \t\n,;-–—"
_PARENTHESES = re.compile(r"\s*\(([^()]*)\)")
_NUMBER_COMMA = re.compile(r"^(\d+(?:\s?(?:bis|ter|quater|[a-d]))?)\s*,\s*(?=[^\W\d_])", re.IGNORECASE)
_STREET_WORDS = frozenset(
    {
        "rue", "route", "rte", "avenue", "av", "ave", "bd", "boulevard", "chemin", "che", "allee", "all",
        "impasse", "imp", "place", "pl", "lot", "lotissement", "residence", "res", "quai", "cours", "voie",
        "chaussee", "sentier", "passage", "square", "rn", "rd", "cd", "cite", "esplanade", "promenade", "parvis",
        "rond", "point", "zone", "za", "zi", "zac", "hameau", "ruelle", "traverse", "montee", "faubourg",
    }
)
_STREET_WORD_AHEAD = re.compile(
    r"\s*(?:" + "|".join(sorted(_STREET_WORDS, key=len, reverse=True)) + r")\b", re.IGNORECASE
)
# A street never ends with these: "rue de [Paris]", "place [Thiers]", "rue Saint [Martin]".
_CONNECTORS = _STREET_WORDS | frozenset(
    {"de", "du", "des", "d", "la", "le", "les", "l", "a", "au", "aux", "en", "sur", "sous", "et", "saint", "sainte"}
)
# Generic lieu-dit words that also happen to be commune names (Le Bourg, 46): never a commune
# unless a postcode confirms it.
_GENERIC_PLACES = frozenset({"bourg", "le bourg", "village", "centre", "centre ville", "centre bourg"})
_COUNTRIES = (
    "France", "FRA", "FR", "France métropolitaine", "République française", "New Caledonia",
    "French Polynesia", "Réunion", "Reunion Island", "French Guiana",
)
_OTHER_ADMINISTRATIVE_AREAS = (
    # former régions (before 2016), still written in addresses
    "Alsace", "Aquitaine", "Auvergne", "Basse-Normandie", "Bourgogne", "Champagne-Ardenne",
    "Franche-Comté", "Haute-Normandie", "Languedoc-Roussillon", "Limousin", "Lorraine",
    "Midi-Pyrénées", "Nord-Pas-de-Calais", "Picardie", "Poitou-Charentes", "Rhône-Alpes", "PACA",
    # provinces of New Caledonia
    "Province Sud", "Province Nord", "Province des Îles Loyauté", "Province des Îles", "Îles Loyauté",
)


def parse_address(text: object) -> AddressParts:
    """Split an address text into street, postcode, commune, CEDEX, postal box and dropped tails.

    Reads comma- or dash-separated tails ("1 Rue X, 51200, Épernay, Marne, Grand Est, FRA"),
    "2 avenue X - 64150 MOURENX", "… 64150 Mourenx Cedex", "BP 123 64150 …", postcodes written
    "98 820", a commune after the postcode or before it ("Nouméa 98800"), a postcode alone. What
    follows the postcode never goes back to the street; the street keeps its number.
    """
    cleaned = clean_text(text)
    if cleaned is None:
        return AddressParts()
    cleaned, bp = _take_postal_box(cleaned)
    cleaned, cedex = _take_cedex(cleaned)
    match = _last_postcode(cleaned)
    if match is None:
        street, commune_text, dropped = _split_without_postcode(cleaned)
        return AddressParts(_tidy_street(street), None, commune_text, cedex, bp, dropped)
    postcode = match["code"].replace(" ", "")
    head, tail = cleaned[: match.start()], cleaned[match.end() :]
    commune_text, dropped = _read_tail(tail, postcode)
    head, head_dropped = _drop_trailing_admin(head)
    if commune_text is None:
        head, commune_text = _take_commune_before_postcode(head, postcode)
    return AddressParts(_tidy_street(head), postcode, commune_text, cedex, bp, head_dropped + dropped)


def _take_postal_box(text: str) -> tuple[str, str | None]:
    """Remove every "BP 12" / "CS 41006" / "TSA 12345"; return the text and the first box."""
    found: list[str] = []

    def remove(match: re.Match[str]) -> str:
        kind = re.sub(r"[\s.]", "", match["kind"]).upper()
        kind = "BP" if kind.startswith("BO") else kind
        number = " ".join(match["number"].split()).upper()
        found.append(f"{kind} {number}")
        return " "

    return _POSTAL_BOX.sub(remove, text), (found[0] if found else None)


def _take_cedex(text: str) -> tuple[str, str | None]:
    found: list[str] = []

    def remove(match: re.Match[str]) -> str:
        found.append("CEDEX" + (f" {match['number']}" if match["number"] else ""))
        return " "

    return _CEDEX.sub(remove, text), (found[-1] if found else None)


def _last_postcode(text: str) -> re.Match[str] | None:
    """The last 5-digit (or "98 820") number that reads as a postcode, not a street number."""
    found = None
    for match in _POSTCODE.finditer(text):
        code = match["code"].replace(" ", "")
        if _looks_like_postcode(code) and not _street_follows(text, match.end(), code):
            found = match
    return found


def _street_follows(text: str, position: int, code: str) -> bool:
    """"12345 route de…" is a street number; "80120 Rue" names the commune Rue (Somme)."""
    if not _STREET_WORD_AHEAD.match(text, position):
        return False
    following = _segments(text[position:])
    return not (following and _fits_postcode(following[0], code, localities=False))


def _looks_like_postcode(code: str) -> bool:
    if code.startswith("00"):
        return False
    departement = cog().departement_of_postcode(code)
    return departement is not None and cog().departement(departement) is not None


def _segment_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each non-empty part of `text` between separators, trimmed."""
    spans = []
    position = 0
    for separator in [*_SEPARATOR.finditer(text), None]:
        end = separator.start() if separator else len(text)
        part = text[position:end]
        trimmed = part.strip(_EDGE_JUNK)
        if trimmed:
            start = position + part.find(trimmed)
            spans.append((start, start + len(trimmed)))
        position = separator.end() if separator else len(text)
    return spans


def _segments(text: str) -> list[str]:
    return [text[start:end] for start, end in _segment_spans(text)]


def _read_tail(tail: str, postcode: str) -> tuple[str | None, tuple[str, ...]]:
    """What follows the postcode: the commune (first place name), the rest dropped."""
    commune_text: str | None = None
    fallback: str | None = None
    dropped: list[str] = []
    for segment in _segments(tail):
        segment, inner = _without_parentheses(segment.strip(_EDGE_JUNK))
        dropped += inner
        if not segment:
            continue
        if commune_text is None:
            span = _place_span(segment, postcode, localities=True, prefix=True, suffix=True)
            if span is not None:
                start, end = span
                commune_text = segment[start:end]
                dropped += [rest for rest in (segment[:start].strip(), segment[end:].strip()) if rest]
                continue
        if fallback is None and commune_text is None and not _is_administrative(segment):
            fallback = segment
            continue
        dropped.append(segment)
    if commune_text is None and fallback is not None:
        commune_text = fallback
    return commune_text, tuple(dropped)


def _without_parentheses(text: str) -> tuple[str, list[str]]:
    inner = [m.strip() for m in _PARENTHESES.findall(text) if m.strip()]
    return _PARENTHESES.sub("", text).strip(), inner


def _drop_trailing_admin(head: str) -> tuple[str, tuple[str, ...]]:
    """"1 rue X, Marne, 51200 …": département/région/country names just before the postcode."""
    spans = _segment_spans(head)
    dropped: list[str] = []
    while len(spans) > 1 and _is_administrative(head[spans[-1][0] : spans[-1][1]]):
        dropped.insert(0, head[spans[-1][0] : spans[-1][1]])
        spans.pop()
    if dropped:
        head = head[: spans[-1][1]]
    return head, tuple(dropped)


def _take_commune_before_postcode(head: str, postcode: str) -> tuple[str, str | None]:
    """"…, Nouméa 98800" or "1 rue des tours Magenta Nouméa - 98800": the commune ends the head."""
    spans = _segment_spans(head)
    if not spans:
        return head, None
    first, last = spans[-1]
    span = _place_span(head[first:last], postcode, localities=False, prefix=False, suffix=True)
    if span is None:
        return head, None
    start = first + span[0]
    street = head[:start]
    if start > first and not _ends_like_a_street(street):
        return head, None
    return street, head[start : first + span[1]]


def _split_without_postcode(text: str) -> tuple[str, str | None, tuple[str, ...]]:
    """No postcode: whole trailing segments naming a commune or an administrative area.

    The first segment always stays the street; a commune must be a whole segment ("Belle Noue,
    Épernay, Marne"), not words inside one ("12 rue Thiers" keeps Thiers).
    """
    spans = _segment_spans(text)
    parts = [text[start:end] for start, end in spans]
    run_start = len(parts)
    while run_start > 1 and _is_place_segment(parts[run_start - 1]):
        run_start -= 1
    run = parts[run_start:]
    commune_text = next((part for part in run if _names_a_commune(part)), None)
    dropped = tuple(part for part in run if part != commune_text)
    street = text[: spans[run_start][0]] if run else text
    return street, commune_text, dropped


def _is_place_segment(segment: str) -> bool:
    if any(ch.isdigit() for ch in segment):
        return False
    return _is_administrative(segment) or _names_a_commune(segment)


def _names_a_commune(segment: str) -> bool:
    if normalize_name(segment) in _GENERIC_PLACES or _starts_with_street_word(segment):
        return False
    return bool(cog().communes_named(segment))


def _starts_with_street_word(text: str) -> bool:
    words = normalize_name(text).split()
    return bool(words) and words[0] in _STREET_WORDS


def _ends_like_a_street(street: str) -> bool:
    """True when the text left for the street may end there (not on 'rue', 'de', 'Saint'…)."""
    words = normalize_name(street).split()
    return bool(words) and words[-1] not in _CONNECTORS


def _place_span(
    text: str, postcode: str | None, *, localities: bool, prefix: bool, suffix: bool
) -> tuple[int, int] | None:
    """(start, end) of the longest run of words of `text` naming a commune that fits the postcode
    (the whole text first, then shorter runs at its start or end); failing that, a La Poste
    locality ("Wé Lifou" gives Lifou, not the locality Wé)."""
    words = [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]
    if not words:
        return None
    runs = [(0, len(words))]
    for size in range(len(words) - 1, 0, -1):
        if prefix:
            runs.append((0, size))
        if suffix:
            runs.append((len(words) - size, len(words)))
    spans = []
    for first, last in runs:
        start, end = words[first][0], words[last - 1][1]
        candidate = text[start:end].strip(_EDGE_JUNK + "().")
        if candidate:
            offset = start + text[start:end].find(candidate)
            spans.append((offset, offset + len(candidate)))
    for with_localities in (False, True) if localities else (False,):
        for start, end in spans:
            if _fits_postcode(text[start:end], postcode, localities=with_localities):
                return start, end
    return None


def _fits_postcode(name: str, postcode: str | None, *, localities: bool) -> bool:
    if postcode is None:
        return bool(cog().communes_named(name))
    if any(_commune_fits_postcode(c, postcode) for c in cog().communes_named(name)):
        return True
    return localities and any(_locality_fits_postcode(loc, postcode) for loc in cog().find_localities(name))


def _commune_fits_postcode(commune: Commune, postcode: str) -> bool:
    return postcode in _postcodes_of(commune) or commune.departement == cog().departement_of_postcode(postcode)


def _locality_fits_postcode(locality: Locality, postcode: str) -> bool:
    departement = cog().departement_of_postcode(postcode)
    return locality.code_postal == postcode or cog().departement_of_postcode(locality.code_postal) == departement


@cache
def _administrative_keys() -> frozenset[str]:
    referential = cog()
    names = [d.nom for d in referential.departements()] + [r.nom for r in referential.regions()]
    names += [*_COUNTRIES, *_OTHER_ADMINISTRATIVE_AREAS]
    keys: set[str] = set()
    for name in names:
        key = normalize_name(name)
        keys.add(key)
        keys.add(_without_article(key))
    return frozenset(keys)


def _without_article(key: str) -> str:
    words = key.split()
    return " ".join(words[1:]) if len(words) > 1 and words[0] in ("le", "la", "les", "l") else key


def _is_administrative(segment: str) -> bool:
    """A département, région or country name ("Marne", "Grand Est", "FRA", "Nouvelle-Calédonie")."""
    key = normalize_name(segment)
    return key in _administrative_keys() or _without_article(key) in _administrative_keys()


def _tidy_street(street: str) -> str | None:
    street = re.sub(r"\.{2,}\s*$", "", street.strip(_EDGE_JUNK))
    street = street.strip(_EDGE_JUNK)
    street = re.sub(r"\s*\n\s*", ", ", street)
    street = re.sub(r"[ \t]{2,}", " ", street)
    street = _NUMBER_COMMA.sub(r"\1 ", street)
    return street or None


# =========================================================================== resolve_commune


class ResolutionMethod(StrEnum):
    """How :func:`resolve_commune` found the commune."""

    INSEE = "insee"  # the INSEE code (current, former or delegated)
    NAME_AND_POSTCODE = "name_and_postcode"  # the name among the communes of the postcode (or its département)
    LOCALITY = "locality"  # a La Poste locality (hamlet, quarter) of the commune
    NAME_WITHIN_TEXT = "name_within_text"  # words of the name ("Hwadrilla Ouvéa" → Ouvéa)
    PART_OF_NAME = "part_of_name"  # words of a commune name of the postcode ("Tardets" → Tardets-Sorholus)
    CLOSE_NAME = "close_name"  # the closest name among the communes of the postcode (typo)
    NAME_AND_DEPARTEMENT = "name_and_departement"  # homonyms told apart by the file's main département
    NAME_AND_POINT = "name_and_point"  # homonyms told apart by the coordinates
    NAME = "name"  # the only commune with this name
    POSTCODE = "postcode"  # the only commune of the postcode
    POSTCODE_AND_POINT = "postcode_and_point"  # the commune of the postcode nearest to the coordinates


@dataclass(frozen=True, slots=True)
class PlaceResolution:
    """The commune a line designates (None if not found), how it was found, French notes.

    ``candidates`` lists the communes left when the line is ambiguous (homonyms, shared postcode).
    """

    commune: Commune | None
    method: ResolutionMethod | None = None
    notes: tuple[str, ...] = ()
    candidates: tuple[Commune, ...] = ()


def resolve_commune(
    *,
    name: object = None,
    postcode: object = None,
    insee: object = None,
    departement_hint: str | None = None,
    point: Point | None = None,
) -> PlaceResolution:
    """The current commune of a line, from its INSEE code, commune name, postcode and coordinates.

    Order: the INSEE code (unless its département contradicts the postcode and the name agrees
    with the postcode); the name among the communes of the postcode, as a La Poste locality, as
    words within the text, as words of a longer name, as a close spelling; then homonyms told apart
    by the file's main département (``departement_hint``), then by the coordinates (``point``,
    ``(latitude, longitude)``); a unique name; finally the postcode alone. Delegated communes
    and localities resolve to their current commune with a note.
    """
    postcode_text = _readable_postcode(postcode)
    hint = departement_hint.strip().upper() if departement_hint and departement_hint.strip() else None
    point = _valid_point(point)
    name_text = clean_text(name)
    notes: list[str] = []
    if clean_text(insee) is not None:
        by_code, code_notes = _resolve_by_insee(insee, name_text, postcode_text)
        notes += code_notes
        if by_code is not None:
            return _with_checks(by_code, notes, hint, point)
    if name_text:
        by_name = _resolve_by_name(name_text, postcode_text, hint, point)
        if by_name.commune is not None:
            return _with_checks(by_name, notes, hint, point)
        if postcode_text is None:
            return PlaceResolution(None, None, tuple(notes + list(by_name.notes)), by_name.candidates)
    if postcode_text:
        by_postcode = _resolve_by_postcode(postcode_text, name_text, point)
        return _with_checks(by_postcode, notes, hint, point)
    absent = "Commune absente : indiquez la commune, son code postal ou son code INSEE."
    return PlaceResolution(None, None, (*notes, absent))


def _with_checks(found: PlaceResolution, notes: list[str], hint: str | None, point: Point | None) -> PlaceResolution:
    """Prepend earlier notes; flag coordinates or a file département the commune is not in."""
    commune = found.commune
    extra: list[str] = []
    if commune is not None and point is not None and not point_in_departement(*point, commune.departement):
        extra.append(
            f"Les coordonnées ({point[0]:.5f}, {point[1]:.5f}) sont hors {_of_departement(commune.departement)}, "
            f"celui {_of(commune.nom)} : à vérifier."
        )
    if commune is not None and hint and commune.departement != hint and found.method in _METHODS_WITHOUT_POSTCODE:
        extra.append(
            f"{commune.nom} ({commune.code}) est hors du département {hint} où se trouve la majorité du fichier."
        )
    return PlaceResolution(commune, found.method, tuple(notes) + found.notes + tuple(extra), found.candidates)


_METHODS_WITHOUT_POSTCODE = {ResolutionMethod.NAME, ResolutionMethod.LOCALITY, ResolutionMethod.NAME_AND_POINT}


def _readable_postcode(raw: object) -> str | None:
    """5 digits from "64100", 64100, "98 820", "1000" (→ "01000") or "64100 BAYONNE"; else None."""
    text = clean_text(raw)
    if text is None:
        return None
    digits = re.sub(r"\s", "", text)
    if digits.isdigit() and len(digits) in (4, 5):
        code = digits.zfill(5)
        return None if code.startswith("00") else code
    match = _last_postcode(text)
    return match["code"].replace(" ", "") if match else None


def _valid_point(point: Point | None) -> Point | None:
    if point is None:
        return None
    try:
        latitude, longitude = float(point[0]), float(point[1])
    except (TypeError, ValueError, IndexError):
        return None
    if not (math.isfinite(latitude) and math.isfinite(longitude)):
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180) or (latitude == 0 and longitude == 0):
        return None
    return latitude, longitude


# ---- by INSEE code


def _resolve_by_insee(
    insee: object, name: str | None, postcode: str | None
) -> tuple[PlaceResolution | None, list[str]]:
    referential = cog()
    try:
        code = normalize_insee(insee)
    except InvalidValue as error:
        return None, [str(error)]
    commune = referential.current_commune(code)
    if commune is None:
        return None, [f"Code INSEE {code} inconnu du COG : ignoré."]
    notes = []
    if commune.code != code:
        notes.append(f"{code} n'est plus une commune actuelle : rattaché à {commune.nom} ({commune.code}).")
    postcode_departement = referential.departement_of_postcode(postcode) if postcode else None
    if name and postcode_departement and postcode_departement != commune.departement:
        by_name = referential.find_commune(name, code_postal=postcode)
        if by_name is not None and by_name.departement == postcode_departement:
            notes.append(
                f"Code INSEE {code} ({commune.nom}, {commune.departement}) incohérent avec le code postal "
                f"{postcode} : rattaché à {by_name.nom} ({by_name.code}) d'après le nom et le code postal."
            )
            return PlaceResolution(by_name, ResolutionMethod.NAME_AND_POSTCODE, ()), notes
    return PlaceResolution(commune, ResolutionMethod.INSEE, ()), notes


# ---- by name

_NameStep = Callable[[str, str], PlaceResolution | None]


def _resolve_by_name(name: str, postcode: str | None, hint: str | None, point: Point | None) -> PlaceResolution:
    variants = _name_variants(name)
    if postcode:
        postcode_steps: tuple[_NameStep, ...] = (
            _by_name_and_postcode,
            _by_locality_and_postcode,
            _by_words_and_postcode,
            _by_part_of_name_and_postcode,
            _by_close_name_and_postcode,
        )
        for step in postcode_steps:
            for variant in variants:
                found = step(variant, postcode)
                if found is not None:
                    return _named_as_written(found, name, variant)
    for variant in variants:
        found = _by_name_without_postcode(variant, hint, point)
        if found is not None and found.commune is not None:
            if postcode and _postcode_outweighs(found.commune, postcode, hint, point):
                break
            found = _named_as_written(found, name, variant)
            if postcode:
                found = _note_contradicting_postcode(found, postcode)
            return found
    homonyms = _homonyms(variants[0])
    if len(homonyms) > 1:
        listed = ", ".join(f"{c.nom} ({c.code})" for c in homonyms[:6]) + ("…" if len(homonyms) > 6 else "")
        note = f"Plusieurs communes s'appellent « {name} » : {listed}. Précisez le code postal."
        return PlaceResolution(None, None, (note,), tuple(homonyms))
    return PlaceResolution(None, None, (f"Commune « {name} » introuvable dans le COG.",))


def _name_variants(name: str) -> list[str]:
    """The name as written, without parentheses, with "s/" read "sur", without stray numbers."""
    variants = [name]
    variants.append(_PARENTHESES.sub("", name).strip())
    variants.append(re.sub(r"(?i)\bs/\s*", "sur ", variants[-1]))
    variants.append(re.sub(r"^\d+\s+|\s+\d+$", "", variants[-1]).strip())
    return [v for i, v in enumerate(variants) if v and v not in variants[:i]]


def _named_as_written(found: PlaceResolution, written: str, variant: str) -> PlaceResolution:
    """Add the delegated/associated-commune note when the name is not the commune's own."""
    commune = found.commune
    if commune is None or found.method not in _METHODS_BY_COMMUNE_NAME:
        return found
    named = cog().communes_named(variant)
    if any(c.code == commune.code and c.type in (COMMUNE_ACTUELLE, ARRONDISSEMENT_MUNICIPAL) for c in named):
        return found
    for sub in named:
        if sub.type in (COMMUNE_DELEGUEE, COMMUNE_ASSOCIEE) and _current(sub) == commune:
            kind = "commune déléguée" if sub.type == COMMUNE_DELEGUEE else "commune associée"
            note = f"« {written} » est une {kind} {_of(commune.nom)} ({commune.code}) : rattachée à cette commune."
            return PlaceResolution(commune, found.method, (note, *found.notes), found.candidates)
    return found


_METHODS_BY_COMMUNE_NAME = {
    ResolutionMethod.NAME_AND_POSTCODE,
    ResolutionMethod.NAME_AND_DEPARTEMENT,
    ResolutionMethod.NAME_AND_POINT,
    ResolutionMethod.NAME,
}


def _current(commune: Commune) -> Commune | None:
    if commune.type in (COMMUNE_ACTUELLE, ARRONDISSEMENT_MUNICIPAL):
        return commune
    return cog().current_commune(commune.parent or commune.code)


def _homonyms(name: str) -> list[Commune]:
    """The distinct current communes a name designates (a delegated one through its commune)."""
    found: dict[str, Commune] = {}
    for commune in cog().communes_named(name):
        current = _current(commune)
        if current is not None:
            found.setdefault(current.code, current)
    return list(found.values())


def _by_name_and_postcode(name: str, postcode: str) -> PlaceResolution | None:
    commune = cog().find_commune(name, code_postal=postcode)
    return PlaceResolution(commune, ResolutionMethod.NAME_AND_POSTCODE) if commune else None


def _by_locality_and_postcode(name: str, postcode: str) -> PlaceResolution | None:
    localities = cog().find_localities(name)
    exact = [loc for loc in localities if loc.code_postal == postcode]
    near = exact or [loc for loc in localities if _locality_fits_postcode(loc, postcode)]
    return _resolution_from_localities(name, near)


def _resolution_from_localities(name: str, localities: list[Locality]) -> PlaceResolution | None:
    communes = {c.code: c for loc in localities if (c := cog().current_commune(loc.code_insee)) is not None}
    if len(communes) != 1:
        return None
    commune = next(iter(communes.values()))
    note = f"« {name} » est une localité {_of(commune.nom)} ({commune.code}) : rattachée à cette commune."
    return PlaceResolution(commune, ResolutionMethod.LOCALITY, (note,))


def _by_words_and_postcode(name: str, postcode: str) -> PlaceResolution | None:
    """"Hwadrilla Ouvéa", "Nouméa centre-ville", "Saint-Vaury  Numéro de téléphone": a run of words."""
    span = _place_span(name, postcode, localities=True, prefix=True, suffix=True)
    if span is None or span == (0, len(name)):
        return None
    words = name[span[0] : span[1]]
    found = _by_name_and_postcode(words, postcode) or _by_locality_and_postcode(words, postcode)
    if found is None or found.commune is None:
        return None
    note = f"Commune lue « {words} » dans « {name} » : {found.commune.nom} ({found.commune.code})."
    return PlaceResolution(found.commune, ResolutionMethod.NAME_WITHIN_TEXT, (note,))


def _communes_of_postcode(postcode: str) -> list[Commune]:
    """Communes using the postcode; an arrondissement gives way to its city when both are listed."""
    communes = cog().communes_by_postcode(postcode)
    codes = {c.code for c in communes}
    return [c for c in communes if not (c.type == ARRONDISSEMENT_MUNICIPAL and c.parent in codes)]


def _by_part_of_name_and_postcode(name: str, postcode: str) -> PlaceResolution | None:
    """"TARDETS" 64470 → Tardets-Sorholus, "Châtain" 23700 → Arfeuille-Châtain: the only commune
    of the postcode whose name holds these whole words."""
    key = normalize_name(name)
    if len(key) < 3:
        return None
    holding = [c for c in _communes_of_postcode(postcode) if f" {key} " in f" {normalize_name(c.nom)} "]
    if len(holding) != 1:
        return None
    commune = holding[0]
    note = (
        f"« {name} » lu comme {commune.nom} ({commune.code}), seule commune du code postal {postcode} "
        "dont le nom contient ces mots."
    )
    return PlaceResolution(commune, ResolutionMethod.PART_OF_NAME, (note,))


def _by_close_name_and_postcode(name: str, postcode: str) -> PlaceResolution | None:
    """"ANGELT" 64600 → Anglet: the closest spelling among the communes of the postcode."""
    key = normalize_name(name)
    scored = []
    for commune in _communes_of_postcode(postcode):
        full = normalize_name(commune.nom)
        ratio = max(difflib.SequenceMatcher(None, key, k).ratio() for k in {full, _without_article(full)})
        scored.append((ratio, commune))
    scored.sort(key=lambda item: item[0], reverse=True)
    if not scored or scored[0][0] < CLOSE_NAME_RATIO or (len(scored) > 1 and scored[1][0] == scored[0][0]):
        return None
    commune = scored[0][1]
    note = (
        f"« {name} » lu comme {commune.nom} ({commune.code}), nom le plus proche parmi les communes "
        f"du code postal {postcode}."
    )
    return PlaceResolution(commune, ResolutionMethod.CLOSE_NAME, (note,))


def _by_name_without_postcode(name: str, hint: str | None, point: Point | None) -> PlaceResolution | None:
    """A name alone: in the file's département, near the coordinates, or the only one of its name."""
    homonyms = _homonyms(name)
    localities = cog().find_localities(name)
    if hint:
        in_hint = [c for c in homonyms if c.departement == hint]
        if len(in_hint) == 1:
            if len(homonyms) == 1:
                return PlaceResolution(in_hint[0], ResolutionMethod.NAME)
            return _chosen_by_departement(name, in_hint[0], homonyms, hint)
        hint_localities = [loc for loc in localities if cog().departement_of_postcode(loc.code_postal) == hint]
        if not in_hint and hint_localities:
            found = _resolution_from_localities(name, hint_localities)
            if found is not None:
                return found
    if point is not None:
        found = _chosen_by_point(name, homonyms, point)
        if found is not None:
            return found
    if len(homonyms) == 1:
        return PlaceResolution(homonyms[0], ResolutionMethod.NAME)
    if not homonyms:
        return _resolution_from_localities(name, localities)
    return None


def _chosen_by_departement(name: str, commune: Commune, homonyms: list[Commune], hint: str) -> PlaceResolution:
    note = (
        f"Plusieurs communes s'appellent « {name} » ({len(homonyms)}) : {commune.nom} ({commune.code}) retenue, "
        f"dans le département {hint} où se trouve la majorité du fichier."
    )
    return PlaceResolution(commune, ResolutionMethod.NAME_AND_DEPARTEMENT, (note,), tuple(homonyms))


def _chosen_by_point(name: str, homonyms: list[Commune], point: Point) -> PlaceResolution | None:
    """Homonyms whose département holds the point; several left: the nearest centroid."""
    around = [c for c in homonyms if point_in_departement(*point, c.departement)]
    if not around:
        return None
    commune = around[0] if len(around) == 1 else cog().nearest_commune(*point, among=around)
    if commune is None:
        return None
    if len(homonyms) == 1:
        return PlaceResolution(commune, ResolutionMethod.NAME)
    note = (
        f"Plusieurs communes s'appellent « {name} » ({len(homonyms)}) : {commune.nom} ({commune.code}) retenue "
        "d'après les coordonnées du lieu."
    )
    return PlaceResolution(commune, ResolutionMethod.NAME_AND_POINT, (note,), tuple(homonyms))


def _postcode_outweighs(commune: Commune, postcode: str, hint: str | None, point: Point | None) -> bool:
    """A real postcode of another département that the file's département or the coordinates
    confirm, and nothing confirms the commune's: "CESTAS" (33) with 18300 and a point in the
    Cher is not Cestas."""
    departement = cog().departement_of_postcode(postcode)
    if departement == commune.departement or postcode in _postcodes_of(commune) or not _communes_of_postcode(postcode):
        return False

    def confirmed(code: str) -> bool:
        return hint == code or (point is not None and point_in_departement(*point, code))

    return confirmed(departement) and not confirmed(commune.departement)


def _note_contradicting_postcode(found: PlaceResolution, postcode: str) -> PlaceResolution:
    commune = found.commune
    if commune is None or postcode in _postcodes_of(commune):
        return found
    note = (
        f"Le code postal {postcode} ne correspond pas à {commune.nom} ({commune.code}) : "
        "commune retenue d'après son nom."
    )
    return PlaceResolution(commune, found.method, (*found.notes, note), found.candidates)


# ---- by postcode


def _resolve_by_postcode(postcode: str, name: str | None, point: Point | None) -> PlaceResolution:
    communes = _communes_of_postcode(postcode)
    why = _why_the_postcode_decides(name, postcode)
    if len(communes) == 1:
        commune = communes[0]
        note = f"{why} : rattachée à {commune.nom} ({commune.code}), seule commune du code postal {postcode}."
        return PlaceResolution(commune, ResolutionMethod.POSTCODE, (note,))
    if not communes:
        return PlaceResolution(None, None, (f"{why} et le code postal {postcode} n'est celui d'aucune commune.",))
    around = [c for c in communes if point is not None and point_in_departement(*point, c.departement)]
    commune = cog().nearest_commune(*point, among=around) if point is not None and around else None
    if commune is not None:
        note = (
            f"{why} : le code postal {postcode} couvre {len(communes)} communes, {commune.nom} ({commune.code}) "
            "retenue car la plus proche des coordonnées du lieu (à vérifier)."
        )
        return PlaceResolution(commune, ResolutionMethod.POSTCODE_AND_POINT, (note,), tuple(communes))
    listed = ", ".join(c.nom for c in communes[:6]) + ("…" if len(communes) > 6 else "")
    note = f"{why} et le code postal {postcode} couvre plusieurs communes ({listed}) : précisez la commune."
    return PlaceResolution(None, None, (note,), tuple(communes))


def _why_the_postcode_decides(name: str | None, postcode: str) -> str:
    if not name:
        return "Commune absente"
    if _homonyms(name):
        return f"« {name} » ne désigne aucune commune du code postal {postcode}"
    return f"Commune « {name} » introuvable"


def _postcodes_of(commune: Commune) -> tuple[str, ...]:
    """A commune's postcodes; a delegated one adds its current commune's."""
    if commune.parent and commune.type in (COMMUNE_DELEGUEE, COMMUNE_ASSOCIEE):
        parent = cog().current_commune(commune.parent)
        if parent is not None:
            return commune.codes_postaux + parent.codes_postaux
    return commune.codes_postaux


# =========================================================================== check_postcode


class PostcodeStatus(StrEnum):
    OK = "ok"  # one of the commune's postcodes (or no commune nor point to compare with)
    PADDED = "padded"  # 4 digits whose leading zero was lost: 1000 → 01000, which fits
    CEDEX = "cedex"  # no commune's postcode, but in the commune's département: a CEDEX code
    POINT_SUSPECT = "point_suspect"  # the postcode fits the commune; the coordinates are elsewhere
    MISSING = "missing"
    INVALID = "invalid"
    UNCERTAIN = "uncertain"  # 4 digits whose padded value is no commune's postcode, nothing to compare with
    COMMUNE_MISMATCH = "commune_mismatch"  # another commune's postcode, or another département
    POINT_MISMATCH = "point_mismatch"  # no commune to compare with, and the coordinates are elsewhere


_ACCEPTED = {PostcodeStatus.OK, PostcodeStatus.PADDED, PostcodeStatus.CEDEX, PostcodeStatus.POINT_SUSPECT}


@dataclass(frozen=True, slots=True)
class PostcodeCheck:
    """The postcode as read (``postcode``, 5 digits), the value to store (``likely``, None when
    unknown) and a French ``message`` whenever there is something to say."""

    status: PostcodeStatus
    postcode: str | None
    likely: str | None
    message: str | None = None

    @property
    def ok(self) -> bool:
        """True when the postcode can be stored as read (``likely`` is then ``postcode``)."""
        return self.status in _ACCEPTED


def check_postcode(raw_postcode: object, commune: Commune | None, point: Point | None = None) -> PostcodeCheck:
    """Whether a raw postcode agrees with its commune and coordinates; if not, the likely right value.

    A 4-digit postcode lost its leading zero only if the padded value fits: for Angers (49),
    "4900" is 49000, not 04900 (Alpes-de-Haute-Provence); for Bourg-en-Bresse "1000" is 01000.
    A postcode used by no commune but in the commune's département is a CEDEX code and is
    accepted. Coordinates (``(latitude, longitude)``) arbitrate when the postcode and the commune
    disagree, and are reported as suspect when they alone disagree.
    """
    raw = clean_text(raw_postcode)
    point = _valid_point(point)
    if raw is None:
        return _missing_postcode(commune)
    digits = re.sub(r"\s", "", raw)
    if not (digits.isdigit() and len(digits) in (4, 5)):
        match = _last_postcode(raw)
        if match is None:
            return _invalid_postcode(raw, commune, "il faut 5 chiffres")
        digits = match["code"].replace(" ", "")
    if digits.zfill(5).startswith("00"):
        return _invalid_postcode(raw, commune, "aucun code postal ne commence par 00")
    if commune is None:
        return _check_against_point(raw, digits, point)
    return _check_against_commune(raw, digits, commune, point)


def _missing_postcode(commune: Commune | None) -> PostcodeCheck:
    codes = _postcodes_of(commune) if commune is not None else ()
    if commune is not None and len(codes) == 1:
        message = f"Code postal absent : déduit de la commune {commune.nom} ({codes[0]})."
        return PostcodeCheck(PostcodeStatus.MISSING, None, codes[0], message)
    if commune is not None and codes:
        message = f"Code postal absent et la commune {commune.nom} en a plusieurs ({', '.join(codes)}) : précisez-le."
        return PostcodeCheck(PostcodeStatus.MISSING, None, None, message)
    return PostcodeCheck(PostcodeStatus.MISSING, None, None, "Code postal absent.")


def _invalid_postcode(raw: str, commune: Commune | None, reason: str) -> PostcodeCheck:
    codes = _postcodes_of(commune) if commune is not None else ()
    likely = codes[0] if len(codes) == 1 else None
    message = f"Code postal « {raw} » invalide : {reason}."
    if commune is not None and likely:
        message += f" Celui {_of(commune.nom)} est {likely}."
    return PostcodeCheck(PostcodeStatus.INVALID, None, likely, message)


def _of(name: str) -> str:
    """"de Poya", "d'Angers", "du Controis-en-Sologne": the French 'of' before a place name."""
    for article, contracted in (("Le ", "du "), ("Les ", "des ")):
        if name.startswith(article):
            return contracted + name[len(article) :]
    return f"d'{name}" if name[:1].upper() in _VOWELS else f"de {name}"


_VOWELS = "AEIOUYÀÂÉÈÊÎÏÔÛ"


def _that(name: str) -> str:
    """"que Poya", "qu'Angers"."""
    return f"qu'{name}" if name[:1].upper() in _VOWELS else f"que {name}"


def _departement_label(code: str | None) -> str:
    """"le département Maine-et-Loire (49)"."""
    departement = cog().departement(code) if code else None
    return f"le département {departement.nom} ({departement.code})" if departement else f"le département {code}"


def _check_against_commune(raw: str, digits: str, commune: Commune, point: Point | None) -> PostcodeCheck:
    referential = cog()
    value = digits.zfill(5)
    padded = len(digits) == 4
    codes = _postcodes_of(commune)
    value_departement = referential.departement_of_postcode(value)
    if value in codes:
        status = PostcodeStatus.PADDED if padded else PostcodeStatus.OK
        message = f"Code postal « {raw} » complété en {value} (zéro initial perdu)." if padded else None
        return _with_point_suspicion(PostcodeCheck(status, value, value, message), commune, point)
    if value_departement == commune.departement and not referential.communes_by_postcode(value):
        return _with_point_suspicion(PostcodeCheck(PostcodeStatus.CEDEX, value, value), commune, point)
    if _point_says_commune_is_wrong(point, value_departement, commune):
        message = (
            f"Le code postal {value} et les coordonnées du lieu désignent {_departement_label(value_departement)}, "
            f"mais la commune {commune.nom} ({commune.code}) est dans {_departement_label(commune.departement)} : "
            "vérifiez la commune."
        )
        return PostcodeCheck(PostcodeStatus.COMMUNE_MISMATCH, value, None, message)
    likely = _closest_postcode(digits, codes)
    advice = f"le bon code est probablement {likely}" if likely else "précisez le code postal"
    if padded and value_departement != commune.departement:
        message = (
            f"Code postal « {raw} » : le compléter par un zéro donnerait {value}, dans "
            f"{_departement_label(value_departement)}, alors {_that(commune.nom)} ({commune.code}) est dans "
            f"{_departement_label(commune.departement)} : {advice}."
        )
        return PostcodeCheck(PostcodeStatus.COMMUNE_MISMATCH, value, likely, message)
    owners = _communes_of_postcode(value)
    if len(owners) == 1:
        whose = f" est celui {_of(owners[0].nom)} ({owners[0].code}), pas {_of(commune.nom)} ({commune.code})"
    else:
        whose = f"dans {_departement_label(value_departement)}, n'est pas celui {_of(commune.nom)} ({commune.code})"
        whose = f", {whose}"
    listed = f"le code postal est {codes[0]}" if len(codes) == 1 else f"les codes postaux sont {', '.join(codes)}"
    message = f"Le code postal {value}{whose}" + (f", dont {listed}" if codes else "") + f" : {advice}."
    return PostcodeCheck(PostcodeStatus.COMMUNE_MISMATCH, value, likely, message)


def _point_says_commune_is_wrong(point: Point | None, value_departement: str | None, commune: Commune) -> bool:
    """The coordinates lie in the postcode's département, not in the commune's."""
    if point is None or not value_departement or value_departement == commune.departement:
        return False
    if cog().departement(value_departement) is None:
        return False
    return point_in_departement(*point, value_departement) and not point_in_departement(*point, commune.departement)


def _with_point_suspicion(check: PostcodeCheck, commune: Commune, point: Point | None) -> PostcodeCheck:
    if point is None or point_in_departement(*point, commune.departement):
        return check
    message = (
        f"Le code postal {check.postcode} est bien celui {_of(commune.nom)}, mais les coordonnées "
        f"({point[0]:.5f}, {point[1]:.5f}) sont hors {_of_departement(commune.departement)} : "
        "vérifiez les coordonnées."
    )
    if check.message:
        message = f"{check.message} {message}"
    return PostcodeCheck(PostcodeStatus.POINT_SUSPECT, check.postcode, check.likely, message)


def _of_departement(code: str) -> str:
    """"du département La Réunion (974)"."""
    return "du " + _departement_label(code).removeprefix("le ")


def _closest_postcode(digits: str, codes: tuple[str, ...]) -> str | None:
    """The commune's postcode the raw digits most likely meant: the only one, one they start
    (4900 → 49000), else the one sharing the longest start with them."""
    if not codes:
        return None
    if len(codes) == 1:
        return codes[0]
    starting = [code for code in codes if code.startswith(digits)]
    if starting:
        return starting[0]

    def shared_start(code: str) -> int:
        return next((i for i, (a, b) in enumerate(zip(code, digits, strict=False)) if a != b), len(digits))

    return max(codes, key=shared_start)


def _check_against_point(raw: str, digits: str, point: Point | None) -> PostcodeCheck:
    """No commune: the coordinates, if any, must lie in the postcode's département."""
    value = digits.zfill(5)
    if len(digits) == 4:
        return _check_padding_without_commune(raw, digits, point)
    if point is not None and not _point_in_postcode_departement(point, value):
        message = (
            f"Le code postal {value}, dans {_departement_label(cog().departement_of_postcode(value))}, "
            f"ne correspond pas aux coordonnées du lieu ({point[0]:.5f}, {point[1]:.5f}) : "
            "vérifiez le code postal ou les coordonnées."
        )
        return PostcodeCheck(PostcodeStatus.POINT_MISMATCH, value, None, message)
    return PostcodeCheck(PostcodeStatus.OK, value, value)


def _check_padding_without_commune(raw: str, digits: str, point: Point | None) -> PostcodeCheck:
    """4 digits and no commune: the leading zero is restored if the coordinates (or, without
    them, the postcodes in use) agree; 4900 with a point in Angers reads 49000."""
    padded, trailing = "0" + digits, digits + "0"
    if point is not None:
        if _point_in_postcode_departement(point, padded):
            return _padded(raw, padded)
        fitting = trailing if _point_in_postcode_departement(point, trailing) else None
        message = (
            f"Code postal « {raw} » : le compléter par un zéro donnerait {padded}, dans "
            f"{_departement_label(cog().departement_of_postcode(padded))}, hors des coordonnées du lieu : "
            + (f"le bon code est probablement {fitting}." if fitting else "précisez le code postal.")
        )
        return PostcodeCheck(PostcodeStatus.POINT_MISMATCH, padded, fitting, message)
    if cog().communes_by_postcode(padded):
        return _padded(raw, padded)
    if cog().communes_by_postcode(trailing):
        message = (
            f"Code postal « {raw} » : {padded} n'est le code postal d'aucune commune ; "
            f"peut-être {trailing} ? Précisez-le."
        )
    else:
        message = f"Code postal « {raw} » : {padded} n'est le code postal d'aucune commune. Précisez-le."
    return PostcodeCheck(PostcodeStatus.UNCERTAIN, padded, None, message)


def _padded(raw: str, padded: str) -> PostcodeCheck:
    message = f"Code postal « {raw} » complété en {padded} (zéro initial perdu)."
    return PostcodeCheck(PostcodeStatus.PADDED, padded, padded, message)


def _point_in_postcode_departement(point: Point, postcode: str) -> bool:
    departement = cog().departement_of_postcode(postcode)
    if departement is None or cog().departement(departement) is None:
        return False
    return point_in_departement(*point, departement)


# =========================================================================== majority_departement


def majority_departement(departements: Iterable[str | None]) -> str | None:
    """The département of at least 60 % (:data:`MAJORITY_SHARE`) of the lines whose département is
    known, when at least 3 (:data:`MAJORITY_MIN_LINES`) are; None otherwise. Unknown lines (None,
    blank) are not counted: they are the ones the answer helps place."""
    counts = Counter(d.strip().upper() for d in departements if d and d.strip())
    total = sum(counts.values())
    if total < MAJORITY_MIN_LINES:
        return None
    departement, count = counts.most_common(1)[0]
    return departement if count / total >= MAJORITY_SHARE else None
