"""Understand a file's columns by their content, when their names say nothing.

Two steps, both pure and fast (no I/O after the reference data is loaded once):

1. :func:`profile_column` looks at a deterministic sample of a column's non-empty values (at most
   ``sample_size``, spread over the whole column, the same for the same input) and counts, for each
   *kind* of value (:data:`KINDS`, a closed vocabulary), the share of sampled values of that kind.
   Counts that need the whole column (non-empty, distinct, unique, longest, first three distinct
   values) use C-level passes (``set``, ``list.count``, ``map``); only the sample goes through the
   per-value tests, which are compiled regular expressions and a few dictionary look-ups in the
   COG, each distinct value read once.
2. :func:`propose_fields` turns the profiles of a table into one proposal per column for the
   fields of the national standard (plus ``contact_nom``): the best column for each field, with a
   confidence (share × how telling the kind is × how many values were seen) and a French reason
   naming the other columns that could hold it. Of two columns nearly as convincing, the earlier
   one wins (appended columns are usually derived: a geocoder's ``result_*``); for ``date_maj``,
   the later dates. Latitude and longitude come in pairs (degrees, decimal commas, Lambert-93), or
   from one "point" column feeding both, kept only when their points fall in France or overseas.

:func:`columns_that_could_hold` lists, for a missing required field, the columns whose content could
hold it (one French message instead of one error per line).

Kinds are counted independently (a postcode is also a ``nombre``); the "text" kinds (``adresse``,
``commune``, ``nom_personne``, ``texte_court``, ``texte_long``) only count values that matched none
of the structured kinds. Column-level kinds (``constante``, ``drapeau``, ``identifiant``, and
``oui_non`` for 0/1) come from the whole column.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from itertools import compress
from operator import not_
from typing import TYPE_CHECKING

from models.cog import cog, normalize_name
from models.errors import InvalidValue
from models.geo import departement_bbox
from models.normalize import normalize_coordinates, normalize_siren, normalize_siret, split_phones
from models.standard import standard_v1

if TYPE_CHECKING:
    from collect.readers import Table

__all__ = [
    "CONTENT_FIELDS",
    "DEFAULT_SAMPLE_SIZE",
    "KINDS",
    "ColumnProfile",
    "ContentProposal",
    "columns_that_could_hold",
    "parse_point",
    "profile_column",
    "profile_table",
    "propose_fields",
]

DEFAULT_SAMPLE_SIZE = 200

# The closed vocabulary of kinds: code → French label shown to users.
KINDS: dict[str, str] = {
    "courriel": "Adresse e-mail",
    "telephone": "Téléphone",
    "date": "Date",
    "code_postal": "Code postal",
    "code_insee": "Code INSEE",
    "siret": "SIRET",
    "siren": "SIREN",
    "rna": "Numéro RNA",
    "url": "Site web",
    "latitude": "Latitude",
    "longitude": "Longitude",
    "lambert93": "Coordonnée Lambert-93",
    "point": "Point (latitude et longitude)",
    "horaires": "Horaires",
    "heure": "Heure",
    "oui_non": "Oui / non",
    "drapeau": "Case cochée (une seule valeur)",
    "nombre": "Nombre",
    "commune": "Commune",
    "adresse": "Adresse",
    "nom_personne": "Nom de personne",
    "texte_long": "Texte long",
    "texte_court": "Texte court",
    "identifiant": "Identifiant",
    "constante": "Valeur constante",
}

# How much a kind tells about a column (0..1): an e-mail is an e-mail, a short text says nothing.
SPECIFICITY: dict[str, float] = {
    "courriel": 1.0, "url": 0.95, "siret": 0.95, "rna": 0.95, "point": 0.95, "telephone": 0.9,
    "date": 0.85, "code_postal": 0.85, "code_insee": 0.85, "horaires": 0.85, "siren": 0.8,
    "adresse": 0.8, "commune": 0.75, "heure": 0.7, "lambert93": 0.6, "latitude": 0.55,
    "longitude": 0.55, "oui_non": 0.6, "drapeau": 0.5, "nom_personne": 0.45, "constante": 0.3,
    "identifiant": 0.3, "texte_long": 0.2, "nombre": 0.15, "texte_court": 0.05,
}

# What a share of values "is", in French, for the reasons: « 96 % des valeurs sont des … ».
_KIND_PHRASES: dict[str, str] = {
    "courriel": "des adresses e-mail",
    "telephone": "des numéros de téléphone",
    "date": "des dates",
    "code_postal": "des codes postaux",
    "code_insee": "des codes INSEE de communes",
    "siret": "des SIRET valides",
    "siren": "des SIREN valides",
    "rna": "des numéros RNA",
    "url": "des adresses de sites web",
    "horaires": "des horaires (jours et heures)",
    "heure": "des heures",
    "commune": "des noms de communes",
    "adresse": "des adresses (numéro et voie)",
    "nom_personne": "des noms de personnes",
    "texte_long": "des textes longs",
    "identifiant": "des codes tous différents",
}

# Values that mean "nothing here" (compared lower-cased): Excel errors, n/a, placeholders.
_PLACEHOLDERS = frozenset({
    "-", "--", "---", "—", "–", ".", "?", "/", "n/a", "#n/a", "n/d", "#n/d", "na", "nan", "nat", "null",
    "none", "nil", "#ref!", "#valeur!", "#value!", "#div/0!", "#nom?", "#name?", "#null!", "#num!",
    "nc", "n.c.", "nr", "n.r.", "non renseigné", "non renseigne", "non communiqué", "non communique",
})
# Spellings looked up in the distinct values of a large column (no pass over all its values).
_PLACEHOLDER_SPELLINGS = frozenset(
    spelling for p in _PLACEHOLDERS for spelling in (p, p.upper(), p.capitalize(), p.title())
)
_SMALL_DISTINCT = 2_000  # up to this many distinct values, each is checked for being a placeholder

_YES_NO = frozenset({"oui", "non", "vrai", "faux", "true", "false", "yes", "no", "x", "o", "n"})
_ZERO_ONE = frozenset({"0", "1"})

_CONSTANT_MAX_EMPTY_SHARE = 0.05  # one value on (nearly) every line: constante; else drapeau
_CODE_MAX_LENGTH = 40
_LONG_TEXT = 100
_HORAIRES_MAX_LENGTH = 300
_ADDRESS_MAX_LENGTH = 200


# --------------------------------------------------------------------------------------------
# Value tests (compiled once; each runs on at most ``sample_size`` values per column)
# --------------------------------------------------------------------------------------------

_EMAIL = re.compile(r"(?:mailto:)?[\w.!#$%&'*+=?^`{}~-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}")
_LETTER = re.compile(r"[^\W\d_]")
_DIGIT = re.compile(r"\d")
_SPACE = re.compile(r"\s")
_EIGHT_DIGITS = re.compile(r"(?:\d\D{0,3}){8}")  # a phone has at least 8 digits, in small groups

_URL_WITH_SCHEME = re.compile(r"(?:https?://|www\.)[^\s,;|]+", re.IGNORECASE)
_BARE_DOMAIN = re.compile(
    r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+([a-z]{2,13})(?::\d+)?(?:/[^\s,;|]*)?", re.IGNORECASE
)
# Top-level domains accepted without "http" or "www" (a bare "photo.jpeg" is not a site).
_COMMON_TLDS = frozenset({
    "fr", "com", "org", "net", "eu", "info", "bzh", "paris", "alsace", "corsica", "re", "nc", "pf", "gp",
    "mq", "gf", "yt", "pm", "wf", "bl", "mf", "be", "ch", "lu", "io", "co", "app", "site", "online",
    "asso", "gouv", "tv", "me", "blog", "coop", "social",
})
_URL_SEPARATORS = re.compile(r"[\s,;|]+")

_PHONE_SHAPE = re.compile(
    r"0[1-9]\d{8}"  # 05 45 82 43 51
    r"|[1-9]\d{8}"  # the same without its leading zero (a spreadsheet dropped it)
    r"|(?:\+|00)?33[1-9]\d{8}"  # +33 5 45 …, 33545…
    r"|(?:\+|00)?(?:262|590|594|596)\d{9}"  # +262 2 62 …
    r"|(?:\+|00)(?:269|508|681|687|689)\d{6,9}"  # +687 44 57 28
    r"|\+[1-9]\d{7,14}"  # any other international number
)
_NOT_DIGIT_OR_PLUS = re.compile(r"[^\d+]")

_TIME_SUFFIX = r"(?:[T ]\d{1,2}[:h]\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+\-]\d{2}:?\d{2})?)?"
_ISO_DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})" + _TIME_SUFFIX)
_FRENCH_DATE = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})" + _TIME_SUFFIX)

_POSTCODE_LIKE = re.compile(r"\d{4,5}|2[AB]\d{3}")
_ID_SEPARATORS = re.compile(r"[ .\-]")
_RNA = re.compile(r"W[0-9A-Z]{3}\d{6}")

_NUMBER = re.compile(r"[+\-\u2212]?(?:\d{1,3}(?:[ \u00a0\u202f]\d{3})+|\d+)(?:[.,](\d+))?")

_HOUR = re.compile(r"(?:[01]?\d|2[0-4])\s*(?:[:hH]\s*[0-5]\d(?::[0-5]\d)?|[hH])")
_OSM_DAY = re.compile(r"\b(?:Mo|Tu|We|Th|Fr|Sa|Su|PH)\b")
_OSM_TIME = re.compile(r"\d{1,2}:\d{2}\s*-\s*\d{1,2}:\d{2}|\b(?:off|closed)\b|24/7")
_FRENCH_DAY = re.compile(r"\b(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)s?\b", re.IGNORECASE)
_CLOCK = re.compile(r"\b(?:[01]?\d|2[0-4])\s*(?:[hH]|:[0-5]\d)")
_TIME_RANGE = re.compile(
    r"\b(?:[01]?\d|2[0-4])\s*(?:[hH:]\s*(?:[0-5]\d)?)?\s*(?:-|–|à|a|au)\s*(?:[01]?\d|2[0-4])\s*[hH:]"
)

_STREET_WORDS = (
    r"(?:rue|ruelle|avenue|av|ave|bd|boulevard|blvd|chemin|allée|allee|allées|allees|impasse|imp|place|pl|"
    r"route|rte|quai|cours|voie|chaussée|chaussee|sentier|passage|square|cité|cite|lotissement|lot|"
    r"résidence|residence|rond-point|promenade|esplanade|faubourg|fbg|parvis|hameau|lieu-dit|lieudit|"
    r"montée|montee|traverse|venelle|villa|zone|za|zi|zac|rn|rd|carrefour|domaine|parc|tribu)"
)
_NUMBERED_STREET = re.compile(
    r"(?<![\d,.])\d{1,4}\s*(?:bis|ter|quater|[a-d])?\s*,?\s+" + _STREET_WORDS + r"\b", re.IGNORECASE
)
_STREET_FIRST = re.compile(r"(?:le bourg\b|" + _STREET_WORDS + r"\.?\s+[^\W\d_])", re.IGNORECASE)

_UPPER = "A-ZÀ-ÖØ-Þ"
_LOWER = "a-zß-öø-ÿ"
_TITLE_WORD = rf"[{_UPPER}][{_LOWER}]+(?:[-'’][{_UPPER}]?[{_LOWER}]+)*"
_UPPER_WORD = rf"[{_UPPER}]{{2,}}(?:[-'’][{_UPPER}]+)*"
_PERSON = re.compile(
    rf"(?:(?:M\.|Mme|Mlle|Mr|Monsieur|Madame)\s+)?((?:{_TITLE_WORD}|{_UPPER_WORD})(?:\s+(?:{_TITLE_WORD}|{_UPPER_WORD})){{1,2}})"
)
_LOWER_LETTER = re.compile(rf"[{_LOWER}]")
# Words of place or organisation names that are no one's name (lower-cased, accents kept).
_NOT_PERSON_WORDS = frozenset({
    "mairie", "espace", "maison", "centre", "association", "asso", "médiathèque", "mediatheque",
    "bibliothèque", "bibliotheque", "france", "services", "service", "point", "cyber", "cyberbase",
    "club", "salle", "ville", "saint", "sainte", "rue", "avenue", "place", "numérique", "numerique",
    "agence", "conseil", "département", "departement", "région", "region", "communauté", "communaute",
    "commune", "ccas", "caf", "cpam", "poste", "bureau", "école", "ecole", "collège", "college", "lycée",
    "lycee", "université", "universite", "quartier", "social", "sociale", "emploi", "mission", "locale",
    "jeunesse", "tiers", "lieu", "fablab", "atelier", "ateliers", "accueil", "public", "publique",
    "foyer", "résidence", "residence", "epn", "msap", "pôle", "pole", "office", "institut", "fondation",
    "sas", "sarl", "bp", "cedex", "tribu", "tous", "tout", "grand", "est", "ouest", "nord",
    "sud", "bourg", "gratuit", "payant", "accès", "acces", "accessibilité", "accessibilite", "accessible",
    "wifi", "pmr", "internet", "plus", "connect", "aidants", "agglo", "métropole", "metropole", "pays",
})
_NAME_LIKE = re.compile(r"[^\W\d_][^\W_]*(?:[\s'’\-]+[^\W_]+){0,7}")

_POINT_LAT = re.compile(r"""["']?(?:lat|latitude)["']?\s*[:=]\s*["']?([+\-]?\d+(?:\.\d+)?)""", re.IGNORECASE)
_POINT_LON = re.compile(
    r"""["']?(?:lon|lng|long|longitude)["']?\s*[:=]\s*["']?([+\-]?\d+(?:\.\d+)?)""", re.IGNORECASE
)
_POINT_WKT = re.compile(
    r"(?:SRID=\d+;)?POINT\s*Z?\s*\(\s*([+\-]?\d+(?:\.\d+)?)\s+([+\-]?\d+(?:\.\d+)?)(?:\s+[+\-]?\d+(?:\.\d+)?)?\s*\)",
    re.IGNORECASE,
)
_POINT_GEOJSON = re.compile(
    r"""["']coordinates["']\s*:\s*\[\s*([+\-]?\d+(?:\.\d+)?)\s*,\s*([+\-]?\d+(?:\.\d+)?)""", re.IGNORECASE
)
_POINT_PAIR = re.compile(
    r"[(\[]?\s*([+\-]?\d{1,3}\.\d+)\s*[,;\s]\s*([+\-]?\d{1,3}\.\d+)\s*[)\]]?"
    r"|[(\[]?\s*([+\-]?\d{1,3},\d+)\s*;\s*([+\-]?\d{1,3},\d+)\s*[)\]]?"
)

# Lambert-93 in metres: easting (x) and northing (y) ranges.
_LAMBERT_X = (100_000.0, 1_300_000.0)
_LAMBERT_Y = (6_000_000.0, 7_200_000.0)


def _is_placeholder(value: object) -> bool:
    """True for "", "#N/D", "n/a", "-"… (an empty cell under another name)."""
    if not isinstance(value, str):
        return False
    text = value.strip()
    return not text or (len(text) <= 16 and text.lower() in _PLACEHOLDERS)


def _is_email(text: str) -> bool:
    """One or more e-mail addresses, with at most a short label around them."""
    if "@" not in text:
        return False
    if not _EMAIL.search(text):
        return False
    rest = _EMAIL.sub(" ", text)
    return len(_LETTER.findall(rest)) <= 10


def _is_url_token(token: str) -> bool:
    if _URL_WITH_SCHEME.fullmatch(token):
        return True
    match = _BARE_DOMAIN.fullmatch(token)
    return bool(match) and match[1].lower() in _COMMON_TLDS


def _is_url(text: str) -> bool:
    """One or a few web addresses (``https://…``, ``www.…``, ``ville.fr``)."""
    if "." not in text or ("@" in text and "://" not in text):
        return False
    tokens = [t for t in _URL_SEPARATORS.split(text) if t]
    return 0 < len(tokens) <= 6 and all(_is_url_token(t) for t in tokens)


def _phone_shape(part: str) -> str | None:
    """The digits of one phone number written in ``part`` when they have a phone's shape, else None."""
    compact = _NOT_DIGIT_OR_PLUS.sub("", part.replace("(0)", ""))
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    return compact if _PHONE_SHAPE.fullmatch(compact) else None


def _is_phone(text: str) -> bool:
    """One or several phone numbers (national, without their lost zero, international), short label allowed."""
    if not _EIGHT_DIGITS.search(text) or len(_LETTER.findall(text)) > 20:
        return False
    shapes = [_phone_shape(part) for part in split_phones(text)]
    return bool(shapes) and all(shape is not None for shape in shapes)


def _date(text: str) -> str | None:
    """The day (ISO ``yyyy-mm-dd``) of dd/mm/yyyy, yyyy-mm-dd (or with / and .), with or without a time."""
    match = _ISO_DATE.fullmatch(text)
    if match:
        year, month, day = int(match[1]), int(match[2]), int(match[3])
    else:
        match = _FRENCH_DATE.fullmatch(text)
        if not match:
            return None
        day, month, year = int(match[1]), int(match[2]), int(match[3])
        if len(match[3]) == 2:
            year += 2000
    if not (1 <= month <= 12 and 1 <= day <= 31 and 1900 <= year <= 2100):
        return None
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:  # 31/02: a day that does not exist
        return None


def _commune_codes(text: str) -> tuple[str, ...]:
    """("code_postal",) / ("code_insee",) / both for a 5-character code (4 digits: lost zero)."""
    compact = text.replace(" ", "").upper()
    if not _POSTCODE_LIKE.fullmatch(compact):
        return ()
    code = "0" + compact if len(compact) == 4 else compact
    if code.startswith("00"):
        return ()
    referential = cog()
    is_postcode = bool(referential.communes_by_postcode(code))
    is_insee = referential.current_commune(code) is not None
    if is_postcode and is_insee:
        # Most postcodes end in 0, few INSEE codes do: the tie goes to the postcode.
        return ("code_postal",) if code.endswith("0") else ("code_postal", "code_insee")
    if is_postcode:
        return ("code_postal",)
    return ("code_insee",) if is_insee else ()


def _company_number(text: str) -> str | None:
    """ "siret", "siren" or "rna" for a valid identifier of a company or an association."""
    compact = _ID_SEPARATORS.sub("", text).upper()
    if compact.isdigit():
        if len(compact) == 14:
            try:
                normalize_siret(compact)
            except InvalidValue:
                return None
            return "siret"
        if len(compact) == 9 and compact.strip("0"):
            try:
                normalize_siren(compact)
            except InvalidValue:
                return None
            return "siren"
        return None
    return "rna" if _RNA.fullmatch(compact) else None


def _number(text: str) -> tuple[float, bool] | None:
    """(value, has decimals) for "43.52", "3,953037972", "-0.55", "1 234", else None."""
    match = _NUMBER.fullmatch(text)
    if not match:
        return None
    cleaned = text.replace("\u2212", "-").replace(" ", "").replace("\u00a0", "").replace("\u202f", "")
    return float(cleaned.replace(",", ".")), match[1] is not None


def _is_hour(text: str) -> bool:
    """A time of day alone: "08:30", "8h30", "14h"."""
    return bool(_HOUR.fullmatch(text))


def _is_horaires(text: str) -> bool:
    """Opening hours: OSM syntax, French day names with times, or time ranges ("9h-12h")."""
    if _OSM_DAY.search(text) and _OSM_TIME.search(text):
        return True
    if text == "24/7" or len(text) > _HORAIRES_MAX_LENGTH:
        return False
    if _FRENCH_DAY.search(text) and _CLOCK.search(text):
        return True
    return bool(_TIME_RANGE.search(text))


def parse_point(text: str) -> tuple[float, float, bool] | None:
    """(latitude, longitude, certain) of a cell holding both coordinates, or None.

    Keyed forms (``{"lat": …, "lon": …}``, ``{'lon': …, 'lat': …}``), WKT ``POINT(lon lat)`` and
    GeoJSON ``"coordinates": [lon, lat]`` are certain; a bare pair ("47.47, -0.55") is read as
    latitude then longitude (``certain`` False: the other order is possible).
    """
    lat_match = _POINT_LAT.search(text)
    lon_match = _POINT_LON.search(text)
    if lat_match and lon_match:
        return _point_in_range(float(lat_match[1]), float(lon_match[1]), certain=True)
    match = _POINT_WKT.fullmatch(text.strip()) or _POINT_GEOJSON.search(text)
    if match:
        return _point_in_range(float(match[2]), float(match[1]), certain=True)
    match = _POINT_PAIR.fullmatch(text.strip())
    if match:
        first, second = (match[1], match[2]) if match[1] is not None else (match[3], match[4])
        return _point_in_range(float(first.replace(",", ".")), float(second.replace(",", ".")), certain=False)
    return None


def _point_in_range(lat: float, lon: float, *, certain: bool) -> tuple[float, float, bool] | None:
    if abs(lat) <= 90 and abs(lon) <= 180:
        return lat, lon, certain
    if not certain and abs(lon) <= 90 and abs(lat) <= 180:
        return lon, lat, certain
    return None


@cache
def _commune_names() -> frozenset[str]:
    """Comparison keys (:func:`models.cog.normalize_name`) of every current commune's name."""
    return frozenset(normalize_name(commune.nom) for commune in cog().communes())


def _is_commune(text: str) -> bool:
    """A commune name of the COG ("Épernay", "SAINT PIERRE", "Dun le Palestel", "BOURGES CEDEX")."""
    if len(text) > 60 or not _NAME_LIKE.fullmatch(text):
        return False
    if normalize_name(text) in _commune_names():
        return True
    return len(text.split()) <= 4 and cog().find_commune(text) is not None  # "Celle-Dunoise", delegated ones


def _is_address(text: str) -> bool:
    """A street number and a street word ("38 bis, avenue Pasteur"), or a value starting with a street word."""
    if len(text) > _ADDRESS_MAX_LENGTH:
        return False
    return bool(_NUMBERED_STREET.search(text) or _STREET_FIRST.match(text))


def _is_person_name(text: str) -> bool:
    """Two or three capitalised words, one possibly upper case: "Sophie SAUBION", "ABDELKRIM Chibab"."""
    match = _PERSON.fullmatch(text)
    if not match:
        return False
    words = match[1].split()
    if not any(_LOWER_LETTER.search(word) for word in words):
        return False  # "BGE CHER": an organisation in capitals
    if any(word.lower().strip("'’-") in _NOT_PERSON_WORDS for word in words):
        return False
    return not _is_commune(text)


def _is_code(text: str) -> bool:
    """One short token with a digit, not a decimal number: what identifiers look like
    ("42", "13001_3079_00001", "9cdaa786-d92e-…", "W131004321")."""
    if len(text) > _CODE_MAX_LENGTH or not _DIGIT.search(text) or _SPACE.search(text):
        return False
    parsed = _number(text)
    return parsed is None or not parsed[1]


@dataclass(frozen=True)
class _Reading:
    """What one sampled value is."""

    kinds: tuple[str, ...]
    number: float | None = None
    point: tuple[float, float, bool] | None = None
    code: bool = False  # looks like an identifier (see _is_code)
    day: str | None = None  # the date, ISO, of a date value


def _read_value(text: str, *, zero_one: bool) -> _Reading:
    """The kinds of one non-empty value (``zero_one``: the column holds only yes/no answers and 0/1)."""
    kinds: list[str] = []
    lowered = text.lower()
    if lowered in _YES_NO or (zero_one and text in _ZERO_ONE):
        kinds.append("oui_non")
    if text[:1] in "{[(" or lowered.startswith(("point", "srid=")):
        point = parse_point(text)
        if point is not None:
            return _Reading((*kinds, "point"), point=point)
    number, point = None, None
    if _is_email(text):
        kinds.append("courriel")
    elif _is_url(text):
        kinds.append("url")
    else:
        number, has_decimals = _number(text) or (None, False)
        if number is not None:
            kinds.extend(_number_kinds(number, has_decimals))
        if not has_decimals and _DIGIT.search(text):  # "43.5263932" is no phone, SIREN or SIRET
            kinds.extend(_digit_kinds(text))
        if not kinds and ("," in text or ";" in text or " " in text):
            point = parse_point(text)  # "47.47, -0.55"
            if point is not None:
                kinds.append("point")
        if not kinds and _is_horaires(text):
            kinds.append("horaires")
    if not kinds:
        kinds.extend(_text_kinds(text))
    day = _date(text) if "date" in kinds else None
    return _Reading(tuple(kinds), number, point, _is_code(text), day)


def _number_kinds(number: float, has_decimals: bool) -> list[str]:
    """nombre, and the coordinates the number could be: degrees (with decimals) or Lambert-93 metres."""
    kinds = ["nombre"]
    if has_decimals and abs(number) <= 90:
        kinds.append("latitude")
    if has_decimals and abs(number) <= 180:
        kinds.append("longitude")
    if _LAMBERT_X[0] <= number <= _LAMBERT_X[1] or _LAMBERT_Y[0] <= number <= _LAMBERT_Y[1]:
        kinds.append("lambert93")
    return kinds


def _digit_kinds(text: str) -> list[str]:
    """Kinds of a value holding digits: date, hour, codes, identifiers, phone."""
    if _date(text):
        return ["date"]
    if _is_hour(text):
        return ["heure"]
    kinds = list(_commune_codes(text))
    company = _company_number(text)
    if company:
        kinds.append(company)
    if not kinds and _is_phone(text):  # a 9-digit SIREN passing Luhn is not a phone that lost its zero
        kinds.append("telephone")
    return kinds


def _text_kinds(text: str) -> list[str]:
    """Kinds of a value that matched no structured kind: address, commune, person, free text."""
    if not _LETTER.search(text):
        return []
    if _is_code(text):
        return []  # a code ("9cdaa786-d92e-…", "A12"): not words
    if len(text) >= _LONG_TEXT:
        return ["texte_long"]
    kinds = ["texte_court"]
    if _is_address(text):
        kinds.append("adresse")
    elif _is_commune(text):
        kinds.append("commune")
    elif _is_person_name(text):
        kinds.append("nom_personne")
    return kinds


# --------------------------------------------------------------------------------------------
# Column profile
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnProfile:
    """What a column holds, from its whole content (counts) and a sample (kinds)."""

    name: str
    rows: int  # cells in the column, empty ones included
    non_empty: int
    distinct: int  # distinct non-empty values
    unique: bool  # every non-empty value differs from the others
    samples: tuple[str, ...]  # the first three distinct non-empty values, as they appear, in file order
    max_length: int
    sampled: int  # non-empty values looked at
    kinds: dict[str, float]  # kind → share of the sampled values (0..1), most frequent first
    # For the pairing of coordinates (propose_fields): (row, number) of sampled numeric values,
    # and (row, latitude, longitude, certain order) of sampled point values.
    numbers: tuple[tuple[int, float], ...] = field(default=(), repr=False)
    points: tuple[tuple[int, float, float, bool], ...] = field(default=(), repr=False)
    latest_date: str | None = None  # the latest day (ISO) among the sampled dates
    mean_day: float | None = field(default=None, repr=False)  # mean ordinal of the sampled dates

    def share(self, *kinds: str) -> float:
        """Share of sampled values of any of ``kinds`` (shares of exclusive kinds add up)."""
        return min(1.0, sum(self.kinds.get(kind, 0.0) for kind in kinds))

    @property
    def main_kind(self) -> str | None:
        """The kind that best describes the column (share weighted by how telling the kind is)."""
        if not self.kinds:
            return None
        return max(self.kinds, key=lambda kind: (self.kinds[kind] * SPECIFICITY[kind], self.kinds[kind]))

    @property
    def label(self) -> str:
        """The main kind in French (« Adresse e-mail »), « Vide » for an empty column."""
        kind = self.main_kind
        if kind is None:
            return "Vide" if self.non_empty == 0 else "Indéterminé"
        return KINDS[kind]

    @property
    def fill(self) -> float:
        """Share of the lines that have a value."""
        return self.non_empty / self.rows if self.rows else 0.0


def _empty_spellings(distinct: set) -> set:
    """The values of the column that mean "empty" (None, "", "#N/D", "n/a"…), removed from ``distinct``."""
    if len(distinct) <= _SMALL_DISTINCT:
        found = {v for v in distinct if v is None or _is_placeholder(v)}
    else:  # a large column: look the usual spellings up instead of checking every value
        found = {v for v in (None, "", *_PLACEHOLDER_SPELLINGS) if v in distinct}
    distinct.difference_update(found)
    return found


def _filled_positions(values: Sequence[object], empties: set) -> list[int]:
    """Positions of the non-empty cells."""
    if empties - {None, ""}:  # "#N/D"…: a C-level mask rather than a test per cell
        return list(compress(range(len(values)), map(not_, map(empties.__contains__, values))))
    return list(compress(range(len(values)), values))  # neither None nor ""


def _sample_positions(values: Sequence[object], empties: set, non_empty: int, size: int) -> list[int]:
    """Positions of ``min(size, non_empty)`` non-empty cells: for each of ``size`` points spread
    evenly over the rows, the first non-empty cell at or after it (then, if the last cells are
    empty, the unchosen filled cells nearest the end). Columns filled alike get the same rows:
    that is what lets propose_fields pair a latitude column with a longitude column."""
    rows = len(values)
    if non_empty <= size:
        return _filled_positions(values, empties)
    if non_empty * 8 < rows:  # sparse: find the filled cells once rather than walk over the gaps
        filled = _filled_positions(values, empties)
        indexes: list[int] = []
        for step in range(size):
            i = max(bisect_left(filled, step * rows // size), indexes[-1] + 1 if indexes else 0)
            if i >= len(filled):
                break
            indexes.append(i)
        taken = set(indexes)
        indexes += [i for i in range(len(filled) - 1, -1, -1) if i not in taken][: size - len(indexes)]
        return sorted(filled[i] for i in indexes)
    chosen: list[int] = []
    position = -1
    for step in range(size):
        position = max(step * rows // size, position + 1)
        while position < rows and values[position] in empties:
            position += 1
        if position >= rows:
            break
        chosen.append(position)
    if len(chosen) < size:
        taken = set(chosen)
        position = rows - 1
        while len(chosen) < size and position >= 0:
            if position not in taken and values[position] not in empties:
                chosen.append(position)
            position -= 1
        chosen.sort()
    return chosen


def _first_distinct(values: Sequence[object], empties: set, wanted: int) -> tuple[str, ...]:
    """The first ``wanted`` distinct non-empty values, in file order."""
    found: dict[str, None] = {}
    if wanted <= 0:
        return ()
    for value in values:
        if value in empties:
            continue
        found.setdefault(str(value), None)
        if len(found) >= wanted:
            break
    return tuple(found)


def _max_length(values: Sequence[object], distinct: set, empties: set) -> int:
    """The longest non-empty value: from the distinct values when they are few, else in file order."""
    if not distinct:
        return 0
    try:
        if len(distinct) * 4 < len(values) or empties - {None, ""}:
            return max(map(len, distinct))
        return max(map(len, filter(None, values)))  # type: ignore[arg-type]
    except TypeError:  # numbers given instead of text
        return max(len(str(v)) for v in distinct)


def _is_zero_one_column(distinct: set) -> bool:
    """Only yes/no answers, with 0 or 1 among them: then 0 and 1 are answers too."""
    if len(distinct) > len(_YES_NO) + 2:
        return False
    texts = {str(v).strip().lower() for v in distinct}
    return bool(texts & _ZERO_ONE) and texts <= (_YES_NO | _ZERO_ONE)


def profile_column(
    name: str, values: Sequence[str | None], *, sample_size: int = DEFAULT_SAMPLE_SIZE
) -> ColumnProfile:
    """Profile one column: counts over all its values, kinds over a deterministic sample of them.

    Whole-column passes are C-level (``set``, ``list.count``, ``map``); only the sample is read
    value by value.
    """
    rows = len(values)
    distinct = set(values)
    empties = _empty_spellings(distinct)
    non_empty = rows - sum(values.count(empty) for empty in empties)
    distinct_count = len(distinct)
    positions = _sample_positions(values, empties, non_empty, sample_size)
    zero_one = _is_zero_one_column(distinct)

    counts: Counter[str] = Counter()
    numbers: list[tuple[int, float]] = []
    points: list[tuple[int, float, float, bool]] = []
    codes = 0
    days: list[str] = []
    readings: dict[object, _Reading] = {}  # a value seen again is not read again
    for position in positions:
        value = values[position]
        reading = readings.get(value)
        if reading is None:
            reading = readings[value] = _read_value(str(value).strip(), zero_one=zero_one)
        counts.update(reading.kinds)
        if reading.number is not None and math.isfinite(reading.number):
            numbers.append((position, reading.number))
        if reading.point is not None:
            points.append((position, *reading.point))
        codes += reading.code
        if reading.day:
            days.append(reading.day)
    sampled = len(positions)
    shares = {kind: count / sampled for kind, count in counts.items()} if sampled else {}
    shares.update(_column_kinds(rows, non_empty, distinct_count, codes, sampled))
    order = list(KINDS)
    ordered = dict(sorted(shares.items(), key=lambda item: (-item[1], order.index(item[0]))))
    return ColumnProfile(
        name=name,
        rows=rows,
        non_empty=non_empty,
        distinct=distinct_count,
        unique=non_empty > 0 and distinct_count == non_empty,
        samples=_first_distinct(values, empties, min(3, distinct_count)),
        max_length=_max_length(values, distinct, empties),
        sampled=sampled,
        kinds={kind: round(share, 4) for kind, share in ordered.items()},
        numbers=tuple(numbers),
        points=tuple(points),
        latest_date=max(days) if days else None,
        mean_day=sum(map(_ordinal, days)) / len(days) if days else None,
    )


def _ordinal(day: str) -> int:
    return dt.date.fromisoformat(day).toordinal()


def _column_kinds(rows: int, non_empty: int, distinct: int, codes: int, sampled: int) -> dict[str, float]:
    """constante / drapeau (one distinct value) and identifiant (unique short codes)."""
    kinds: dict[str, float] = {}
    if distinct == 1 and non_empty >= 2:
        empty_share = 1 - non_empty / rows
        kinds["constante" if empty_share < _CONSTANT_MAX_EMPTY_SHARE else "drapeau"] = 1.0
    if non_empty >= 3 and distinct == non_empty and sampled and codes:
        kinds["identifiant"] = codes / sampled
    return kinds


def column_values(table: Table) -> dict[str, list[str | None]]:
    """The table's cells column by column."""
    return {name: table.column(name) for name in table.columns}


def profile_table(table: Table, *, sample_size: int = DEFAULT_SAMPLE_SIZE) -> list[ColumnProfile]:
    """The profile of every column of a table read by :mod:`collect.readers`, in column order."""
    return [
        profile_column(name, values, sample_size=sample_size) for name, values in column_values(table).items()
    ]


# --------------------------------------------------------------------------------------------
# Proposals
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContentProposal:
    """A field proposed for a column from its content."""

    field: str
    confidence: float  # 0..1
    reason: str  # French, e.g. « 96 % des valeurs sont des adresses e-mail »
    also_fields: tuple[str, ...] = ()  # other fields the same column feeds (a point: longitude)
    paired_with: str | None = None  # the column holding the other coordinate
    alternatives: tuple[str, ...] = ()  # other columns whose content could hold the field too

    @property
    def fields(self) -> tuple[str, ...]:
        return (self.field, *self.also_fields)


@dataclass(frozen=True)
class _FieldRule:
    field: str
    kinds: tuple[str, ...]
    min_share: float
    weight: float  # how much this kind of content tells about the field
    varied: bool = False  # the field differs from line to line: no proposal for a one-value column


_FIELD_RULES: tuple[_FieldRule, ...] = (
    _FieldRule("courriels", ("courriel",), 0.5, 1.0),
    _FieldRule("site_web", ("url",), 0.5, 0.95),
    _FieldRule("telephone", ("telephone",), 0.5, 0.9),
    _FieldRule("pivot", ("siret", "siren", "rna"), 0.5, 0.9),
    _FieldRule("code_postal", ("code_postal",), 0.5, 0.85),
    _FieldRule("code_insee", ("code_insee",), 0.5, 0.85),
    _FieldRule("horaires", ("horaires",), 0.5, 0.8),
    _FieldRule("adresse", ("adresse",), 0.5, 0.8),
    _FieldRule("date_maj", ("date",), 0.5, 0.75),
    _FieldRule("commune", ("commune",), 0.6, 0.7),
    _FieldRule("contact_nom", ("nom_personne",), 0.6, 0.45, varied=True),
    _FieldRule("presentation_detail", ("texte_long",), 0.5, 0.35, varied=True),
    _FieldRule("presentation_resume", ("texte_long",), 0.5, 0.35, varied=True),
    _FieldRule("id", ("identifiant",), 0.9, 0.35, varied=True),
)
CONTENT_FIELDS: tuple[str, ...] = ("latitude", "longitude", *(rule.field for rule in _FIELD_RULES), "nom")
_FIELD_ORDER = {name: i for i, name in enumerate(CONTENT_FIELDS)}

_COORDINATE_MIN_SHARE = 0.8  # of a column's values that must look like a latitude/longitude
_IN_FRANCE_MIN_SHARE = 0.5  # of a pair's points that must fall in France or overseas
_COORDINATE_WEIGHT = 0.95
_NAME_WEIGHT = 0.3
_LAMBERT_CHECKED_POINTS = 30
_LOOSE_FACTOR = 0.6  # columns_that_could_hold: thresholds scaled down
# Two columns nearly as convincing for a field: the earlier one wins (columns appended at the end of
# a file are usually derived: a geocoder's result_*, a join).
_EARLIER_WINS_RATIO = 0.85
_ALTERNATIVE_MIN_RATIO = 0.6  # a rival is named in the reason when at least this close to the winner
_MIN_CONFIDENCE = 0.15  # below this, a proposal says too little to be made
_RESUME_MAX_LENGTH = standard_v1().field("presentation_resume").max_length or 280


@dataclass(frozen=True)
class _Part:
    column: str
    fields: tuple[str, ...]
    reason: str
    paired_with: str | None = None


@dataclass(frozen=True)
class _Candidate:
    confidence: float
    parts: tuple[_Part, ...]
    order: tuple[int, ...]  # tie-break: file order of the columns (then distance of a pair's columns)

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(part.column for part in self.parts)

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(f for part in self.parts for f in part.fields)


def _evidence(count: int) -> float:
    """How much ``count`` sampled values can be trusted: 1 → 0.33, 10 → 0.83, 200 → 0.99."""
    return count / (count + 2)


def _percent(share: float) -> str:
    return f"{round(share * 100)}\u202f%"


def _rule_candidates(profiles: Sequence[ColumnProfile], scale: float) -> list[_Candidate]:
    """One candidate per (column, field) whose kinds reach the rule's share."""
    found = []
    for index, profile in enumerate(profiles):
        for rule in _FIELD_RULES:
            share = profile.share(*rule.kinds)
            if share < rule.min_share * scale or not profile.sampled:
                continue
            if (rule.varied and profile.distinct < 2) or not _fits_length(rule.field, profile):
                continue
            confidence = share * rule.weight * _evidence(profile.sampled)
            part = _Part(profile.name, (rule.field,), _rule_reason(rule, share))
            found.append(_Candidate(confidence, (part,), _rule_order(rule.field, index, profile)))
    return found


def _fits_length(field_name: str, profile: ColumnProfile) -> bool:
    """A long text fits the summary (presentation_resume, at most 280 characters) or the detail."""
    if field_name not in ("presentation_resume", "presentation_detail"):
        return True
    limit = _RESUME_MAX_LENGTH
    return profile.max_length <= limit if field_name == "presentation_resume" else profile.max_length > limit


def _rule_order(field_name: str, index: int, profile: ColumnProfile) -> tuple:
    """Tie-break among close candidates: file order; for date_maj, the latest dates first
    (a file's creation date and last edit date: the update is the later one, on average)."""
    if field_name == "date_maj" and profile.mean_day is not None:
        return (-profile.mean_day, index)
    return (index,)


def _rule_reason(rule: _FieldRule, share: float) -> str:
    if rule.field == "id":
        return f"{_percent(share)} des valeurs sont des codes courts, tous différents d'une ligne à l'autre"
    what = "des SIRET, SIREN ou RNA valides" if rule.field == "pivot" else _KIND_PHRASES[rule.kinds[0]]
    return f"{_percent(share)} des valeurs sont {what}"


@cache
def _french_boxes() -> tuple[tuple[float, float, float, float], ...]:
    """Bounding boxes of France: one around metropolitan France, one per overseas département or COM."""
    metro: list[tuple[float, float, float, float]] = []
    overseas: list[tuple[float, float, float, float]] = []
    for departement in cog().departements():
        box = departement_bbox(departement.code)
        if box is None:
            continue
        (overseas if departement.code.startswith(("97", "98")) else metro).append(box)
    union = (min(b[0] for b in metro), min(b[1] for b in metro), max(b[2] for b in metro), max(b[3] for b in metro))
    return (union, *overseas)


def _in_france(lat: float, lon: float) -> bool:
    """Whether the point falls in metropolitan France or an overseas département or collectivité."""
    for min_lon, min_lat, max_lon, max_lat in _french_boxes():
        if not min_lat <= lat <= max_lat:
            continue
        if min_lon <= max_lon:
            if min_lon <= lon <= max_lon:
                return True
        elif lon >= min_lon or lon <= max_lon:  # a box across the antimeridian
            return True
    return False


def _share_in_france(points: Sequence[tuple[float, float]]) -> float:
    if not points:
        return 0.0
    return sum(1 for lat, lon in points if _in_france(lat, lon)) / len(points)


def _pair_parts(lat_column: str, lon_column: str, what: str, in_france: float, note: str = "") -> tuple[_Part, _Part]:
    """The two halves of a latitude/longitude pair, each naming the other column."""
    lead = f"{_percent(in_france)} des {what} formés avec la colonne"
    return (
        _Part(lat_column, ("latitude",), f"{lead} « {lon_column} » (longitude) tombent en France ou outre-mer{note}",
              lon_column),
        _Part(lon_column, ("longitude",), f"{lead} « {lat_column} » (latitude) tombent en France ou outre-mer{note}",
              lat_column),
    )


def _pair_candidates(profiles: Sequence[ColumnProfile], scale: float) -> list[_Candidate]:
    """A latitude column with a longitude column whose points (same rows) fall in France."""
    minimum = _COORDINATE_MIN_SHARE * scale
    lat_columns = [(i, p) for i, p in enumerate(profiles) if p.share("latitude") >= minimum]
    lon_columns = [(i, p) for i, p in enumerate(profiles) if p.share("longitude") >= minimum]
    found = []
    for lat_index, lat_profile in lat_columns:
        lat_numbers = dict(lat_profile.numbers)
        for lon_index, lon_profile in lon_columns:
            if lon_index == lat_index:
                continue
            pairs = [(lat_numbers[row], lon) for row, lon in lon_profile.numbers if row in lat_numbers]
            in_france = _share_in_france(pairs)
            if in_france < _IN_FRANCE_MIN_SHARE * scale:
                continue
            share = min(lat_profile.share("latitude"), lon_profile.share("longitude"))
            confidence = in_france * share * _COORDINATE_WEIGHT * _evidence(len(pairs))
            parts = _pair_parts(lat_profile.name, lon_profile.name, "points", in_france)
            found.append(_Candidate(confidence, parts, (min(lat_index, lon_index), abs(lat_index - lon_index))))
    return found


def _point_candidates(profiles: Sequence[ColumnProfile], scale: float) -> list[_Candidate]:
    """A column whose cells hold both coordinates, in France: feeds latitude and longitude."""
    found = []
    for index, profile in enumerate(profiles):
        share = profile.share("point")
        if share < 0.5 * scale or not profile.points:
            continue
        certain = [(lat, lon) for _, lat, lon, sure in profile.points if sure]
        unsure = [(lat, lon) for _, lat, lon, sure in profile.points if not sure]
        as_read = _share_in_france(certain + unsure)
        swapped = _share_in_france(certain + [(lon, lat) for lat, lon in unsure])
        in_france = max(as_read, swapped)
        if in_france < _IN_FRANCE_MIN_SHARE * scale:
            continue
        confidence = in_france * share * _COORDINATE_WEIGHT * _evidence(len(profile.points))
        order = " (écrits longitude puis latitude)" if swapped > as_read else ""
        reason = (
            f"{_percent(share)} des valeurs sont des points (latitude et longitude dans la même cellule){order}, "
            f"{_percent(in_france)} situés en France ou outre-mer : la colonne alimente latitude et longitude"
        )
        found.append(_Candidate(confidence, (_Part(profile.name, ("latitude", "longitude"), reason),), (index,)))
    return found


def _share_between(profile: ColumnProfile, low: float, high: float) -> float:
    if not profile.sampled:
        return 0.0
    return sum(1 for _, n in profile.numbers if low <= n <= high) / profile.sampled


def _lambert_candidates(profiles: Sequence[ColumnProfile], scale: float) -> list[_Candidate]:
    """An easting column and a northing column in Lambert-93 metres, converted into France."""
    minimum = _COORDINATE_MIN_SHARE * scale
    eastings = [(i, p) for i, p in enumerate(profiles) if _share_between(p, *_LAMBERT_X) >= minimum]
    northings = [(i, p) for i, p in enumerate(profiles) if _share_between(p, *_LAMBERT_Y) >= minimum]
    found = []
    for x_index, x_profile in eastings:
        xs = dict(x_profile.numbers)
        for y_index, y_profile in northings:
            pairs = [(xs[row], y) for row, y in y_profile.numbers if row in xs]
            if not pairs:
                continue
            checked = pairs[:: max(1, len(pairs) // _LAMBERT_CHECKED_POINTS)]
            in_france = _share_in_france(_unprojected(checked))
            if in_france < _IN_FRANCE_MIN_SHARE * scale:
                continue
            share = min(_share_between(x_profile, *_LAMBERT_X), _share_between(y_profile, *_LAMBERT_Y))
            confidence = in_france * share * _COORDINATE_WEIGHT * _evidence(len(pairs))
            parts = _pair_parts(y_profile.name, x_profile.name, "points Lambert-93 (mètres)", in_france,
                                " une fois convertis en degrés")
            found.append(_Candidate(confidence, parts, (min(x_index, y_index), abs(x_index - y_index))))
    return found


def _unprojected(pairs: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    """Lambert-93 (x, y) pairs converted to (latitude, longitude); unconvertible ones left out."""
    points = []
    for x, y in pairs:
        try:
            lat, lon, _ = normalize_coordinates(y, x)
        except InvalidValue:
            continue
        points.append((lat, lon))
    return points


def _content_candidates(profiles: Sequence[ColumnProfile], scale: float = 1.0) -> list[_Candidate]:
    """Every candidate but ``nom``, best first (ties: file order, then the field's order)."""
    candidates = (
        _rule_candidates(profiles, scale)
        + _pair_candidates(profiles, scale)
        + _point_candidates(profiles, scale)
        + _lambert_candidates(profiles, scale)
    )
    return sorted(candidates, key=lambda c: (-c.confidence, c.order, [_FIELD_ORDER[f] for f in c.fields]))


def _name_candidates(profiles: Sequence[ColumnProfile], scale: float) -> list[_Candidate]:
    """Columns of short texts nearly all different: perhaps the lieu's name (low confidence)."""
    found = []
    for index, profile in enumerate(profiles):
        if profile.non_empty < 2:
            continue
        text = profile.share("texte_court")
        variety = profile.distinct / profile.non_empty
        if text < 0.7 * scale or variety < 0.7 * scale or profile.fill < 0.5 * scale:
            continue
        if max(profile.share("adresse"), profile.share("commune"), profile.share("nom_personne")) >= 0.5:
            continue
        confidence = _NAME_WEIGHT * text * variety * profile.fill * _evidence(profile.sampled)
        reason = (
            f"{_percent(text)} des valeurs sont des textes courts, {_percent(variety)} différents : "
            "peut-être le nom du lieu (à vérifier)"
        )
        found.append(_Candidate(confidence, (_Part(profile.name, ("nom",), reason),), (index,)))
    return sorted(found, key=lambda c: (-c.confidence, c.order))


@dataclass
class _Choice:
    """The proposals being chosen: column → (part, confidence); field → rival columns."""

    parts: dict[str, tuple[_Part, float]] = field(default_factory=dict)
    fields: set[str] = field(default_factory=set)
    rivals: dict[str, dict[str, float]] = field(default_factory=dict)

    def is_free(self, candidate: _Candidate) -> bool:
        return not any(c in self.parts for c in candidate.columns) and not any(f in self.fields for f in candidate.fields)

    def take(self, candidate: _Candidate) -> None:
        for part in candidate.parts:
            self.parts[part.column] = (part, candidate.confidence)
        self.fields.update(candidate.fields)

    def note_rival(self, candidate: _Candidate) -> None:
        """A losing candidate: its columns could hold its fields, unless it only paired a column
        already chosen for the same field differently (latitude with another "longitude")."""
        chosen_same = any(
            set(self.parts[c][0].fields) & set(candidate.fields) for c in candidate.columns if c in self.parts
        )
        if chosen_same:
            return
        for part in candidate.parts:
            for name in part.fields:
                rivals = self.rivals.setdefault(name, {})
                rivals[part.column] = max(rivals.get(part.column, 0.0), candidate.confidence)


def _choose(candidates: Sequence[_Candidate], choice: _Choice) -> None:
    """Greedy, best first: a column feeds one proposal, a field comes from one column; among
    candidates for the same fields nearly as good as the best, the earliest column wins."""
    pending = list(candidates)
    while pending:
        best = pending.pop(0)
        if not choice.is_free(best):
            choice.note_rival(best)
            continue
        close = [
            c for c in pending
            if c.fields == best.fields and c.confidence >= best.confidence * _EARLIER_WINS_RATIO and choice.is_free(c)
        ]
        winner = min([best, *close], key=lambda c: c.order)
        if winner is not best:
            pending.remove(winner)
            pending.insert(0, best)
        choice.take(winner)


def propose_fields(
    profiles: Sequence[ColumnProfile], *, known: Mapping[str, str | None] | None = None
) -> dict[str, ContentProposal]:
    """Column → field proposed from its content, for the columns whose content says something.

    The most confident column wins a field; each column feeds one proposal (a point column feeds
    latitude and longitude). ``nom`` is proposed last, with a low confidence, for a column left
    over that holds short texts nearly all different. ``known`` (column → field, e.g. matched by
    name) keeps those columns and fields out of the proposals.
    """
    choice = _Choice()
    for column, name in (known or {}).items():
        choice.parts[column] = (_Part(column, (name,) if name else (), ""), 1.0)
        if name:
            choice.fields.add(name)
    _choose(_content_candidates(profiles), choice)
    if "nom" not in choice.fields:
        _choose(_name_candidates(profiles, 1.0), choice)
    proposals: dict[str, ContentProposal] = {}
    for profile in profiles:
        if profile.name not in choice.parts or profile.name in (known or {}):
            continue
        part, confidence = choice.parts[profile.name]
        if confidence < _MIN_CONFIDENCE:
            continue
        rivals = choice.rivals.get(part.fields[0], {})
        others = tuple(
            column for column, rival in rivals.items()
            if column not in choice.parts and rival >= confidence * _ALTERNATIVE_MIN_RATIO
        )
        proposals[profile.name] = ContentProposal(
            field=part.fields[0],
            confidence=round(confidence, 3),
            reason=part.reason + _alternatives_note(others),
            also_fields=part.fields[1:],
            paired_with=part.paired_with,
            alternatives=others,
        )
    return proposals


def _alternatives_note(columns: Sequence[str]) -> str:
    if not columns:
        return ""
    quoted = ", ".join(f"« {column} »" for column in columns)
    return f" ; autres colonnes possibles : {quoted}" if len(columns) > 1 else f" ; autre colonne possible : {quoted}"


def columns_that_could_hold(field: str, profiles: Sequence[ColumnProfile]) -> list[str]:
    """The columns whose content could hold ``field``, most likely first (thresholds lowered).

    For one French message when a required field (nom, adresse, commune…) has no column.
    """
    scale = _LOOSE_FACTOR
    if field == "nom":
        candidates = _name_candidates(profiles, scale)
    else:
        candidates = _content_candidates(profiles, scale)
    if field == "horaires":  # one column per opening or closing time: together, they hold the hours
        candidates += [
            _Candidate(p.share("heure") * SPECIFICITY["heure"] * 0.5, (_Part(p.name, ("horaires",), ""),), (i,))
            for i, p in enumerate(profiles)
            if p.share("heure") >= 0.5
        ]
    confidence: dict[str, float] = {}
    for candidate in candidates:
        for part in candidate.parts:
            if field in part.fields:
                confidence[part.column] = max(confidence.get(part.column, 0.0), candidate.confidence)
    order = {p.name: i for i, p in enumerate(profiles)}
    return _ranked(confidence, order)


def _ranked(confidence: dict[str, float], order: Mapping[str, int]) -> list[str]:
    """Columns best first; one nearly as good as the best (see _EARLIER_WINS_RATIO) but earlier goes first."""
    left = sorted(confidence, key=lambda column: (-confidence[column], order[column]))
    ranked: list[str] = []
    while left:
        best = confidence[left[0]]
        column = min((c for c in left if confidence[c] >= best * _EARLIER_WINS_RATIO), key=order.__getitem__)
        ranked.append(column)
        left.remove(column)
    return ranked
