"""Normalisation of single cell values (phones, SIRET, postcodes, dates, coordinates…).

Every public function takes a raw value as it comes from a CSV, Excel or JSON cell (``str``, or
``int``/``float`` from Excel/JSON) and returns the normalised value, or raises
:class:`~models.errors.InvalidValue` whose message (French) names the value and what is wrong.
The functions are pure and fast: no I/O except reading the standard's patterns once.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from functools import cache, lru_cache

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from opening_hours import OpeningHours, ParserError
from stdnum.fr import siren as siren_number
from stdnum.fr import siret as siret_number

from models.errors import InvalidValue
from models.standard import standard_v1

__all__ = [
    "ShortPhoneNumber",
    "clean_text",
    "territory_of_departement",
    "normalize_phone",
    "split_multi",
    "split_phones",
    "split_emails",
    "is_short_number",
    "normalize_siret",
    "normalize_siren",
    "normalize_pivot",
    "normalize_postcode",
    "extract_postcode",
    "normalize_insee",
    "normalize_email",
    "normalize_url",
    "normalize_horaires",
    "normalize_date",
    "normalize_decimal",
    "normalize_coordinates",
]


class ShortPhoneNumber(InvalidValue):
    """A French short service number (3949, 115…) that the standard's E.164 pattern cannot hold."""

    def __init__(self, digits: str) -> None:
        super().__init__(
            f"Numéro court ({digits}) : le standard ne peut pas le contenir ; il est conservé à part."
        )
        self.digits = digits


# --------------------------------------------------------------------------------------------
# Text
# --------------------------------------------------------------------------------------------

_PLACEHOLDERS = frozenset({"", "nan", "nat", "null", "none", "-", "n/a", "#n/a"})
_SPACE_LIKE = str.maketrans(
    {"\u00a0": " ", "\u202f": " ", "\u2007": " ", "\u2009": " ", "\u200a": " ", "\u3000": " ",
     "\u200b": None, "\ufeff": None, "\r": None}
)
_SPACE_RUN = re.compile(r"[ \t\f\v]+")
_SPACE_AROUND_NEWLINE = re.compile(r" ?\n ?")

_PLACEHOLDER_MAX = max(len(p) for p in _PLACEHOLDERS)


def clean_text(value: object) -> str | None:
    """Return the cell as a tidy string (odd spaces unified, runs collapsed) or None when empty."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value
    elif isinstance(value, float):
        if math.isnan(value):
            return None
        text = str(int(value)) if value.is_integer() else str(value)
    else:
        text = str(value)
    # The common case, a plain string, skips the rewriting below: every character it changes (odd spaces,
    # tabs, CR, newlines) is unprintable for str.isprintable, a C loop 4 times faster than a regex search;
    # other unprintable characters go through a rewriting that leaves them as they are.
    if not text.isprintable() or "  " in text:
        text = _SPACE_RUN.sub(" ", text.translate(_SPACE_LIKE))
        if "\n" in text:
            text = _SPACE_AROUND_NEWLINE.sub("\n", text)
    text = text.strip()
    if len(text) <= _PLACEHOLDER_MAX and text.lower() in _PLACEHOLDERS:
        return None
    return text


def _required_text(value: object, what: str) -> str:
    """Return the cleaned text of ``value`` or raise when the cell is empty."""
    text = clean_text(value)
    if text is None:
        raise InvalidValue(f"{what} vide.")
    return text


_EXCEL_FLOAT_TEXT = re.compile(r"^(\d+)[.,]0+$")
_SCIENTIFIC = re.compile(r"^(\d)(?:[.,](\d+))?[eE]\+?(\d{1,2})$")


def _integer_text(value: object, label: str) -> str:
    """Return the digits of an integer-like cell, undoing Excel's ``.0`` and scientific notation."""
    if isinstance(value, bool):
        raise InvalidValue(f"{label} « {value} » : ce n'est pas un nombre.")
    if isinstance(value, int):
        return str(value)
    text = _required_text(value, label)
    compact = text.replace(" ", "")
    match = _EXCEL_FLOAT_TEXT.match(compact)
    if match:
        return match[1]
    match = _SCIENTIFIC.match(compact)
    if match:
        mantissa = match[1] + (match[2] or "")
        length = int(match[3]) + 1
        if len(mantissa) == length:
            return mantissa
        if len(mantissa) < length:
            raise InvalidValue(
                f"{label} « {text} » abîmé par Excel (notation scientifique) : des chiffres ont été "
                "perdus, il faut le ressaisir (colonne au format Texte)."
            )
    return text


@cache
def _standard_pattern(field: str) -> re.Pattern[str]:
    """The compiled pattern of a field of the v1 standard."""
    pattern = standard_v1().field(field).pattern
    assert pattern is not None, field
    return re.compile(pattern)


# --------------------------------------------------------------------------------------------
# Territories and phones
# --------------------------------------------------------------------------------------------

_REGION_OF_DEPARTEMENT = {
    "971": "GP", "972": "MQ", "973": "GF", "974": "RE", "975": "PM", "976": "YT",
    "977": "BL", "978": "MF", "986": "WF", "987": "PF", "988": "NC",
}
_TERRITORY_NAME = {
    "FR": "France", "GP": "Guadeloupe", "MQ": "Martinique", "GF": "Guyane", "RE": "La Réunion",
    "PM": "Saint-Pierre-et-Miquelon", "YT": "Mayotte", "BL": "Saint-Barthélemy",
    "MF": "Saint-Martin", "WF": "Wallis-et-Futuna", "PF": "Polynésie française",
    "NC": "Nouvelle-Calédonie",
}
# Territories whose numbers are dialled as 10 digits starting with 0 (the French plan).
_TEN_DIGIT_TERRITORIES = frozenset({"FR", "GP", "MQ", "GF", "RE", "YT", "BL", "MF"})
# Territories with their own short plan: (country code, national length).
_PACIFIC_PLANS = {"NC": ("687", 6), "WF": ("681", 6), "PF": ("689", 8), "PM": ("508", 6)}
# Overseas numbers recognised by their first four digits, whatever the département says.
_OVERSEAS_PREFIX = {
    "0590": "GP", "0690": "GP", "0691": "GP",
    "0262": "RE", "0263": "RE", "0692": "RE", "0693": "RE",
    "0269": "YT", "0639": "YT",
    "0594": "GF", "0694": "GF",
    "0596": "MQ", "0696": "MQ", "0697": "MQ",
}
_PHONE_LABEL = re.compile(r"^[^\d+(]*")
_PHONE_SEPARATORS = re.compile(r"[ .\-()/]")
_COMPACT_NUMBER = re.compile(r"\+?\d+")
_TRUNK_ZERO = re.compile(r"((?:\+|00)\d{1,3}) ?\(0\)")


def _departement_code(departement: object) -> str | None:
    """The département code as an upper-case string ("16", "2A", "971") or None."""
    if departement is None:
        return None
    code = clean_text(departement)
    if code is None:
        return None
    return code.zfill(2) if code.isdigit() and len(code) == 1 else code.upper()


def territory_of_departement(departement: str | None) -> str:
    """Return the phonenumbers region code of a département (971 → "GP"), "FR" by default."""
    code = _departement_code(departement)
    return _REGION_OF_DEPARTEMENT.get(code, "FR") if code else "FR"


def _phone_digits(value: object) -> tuple[str, str]:
    """Return ``(raw text, compact number)`` where the number is ``+digits`` or ``digits``."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        text = clean_text(value)
        if text is None:
            raise InvalidValue("Numéro de téléphone vide.")
        if isinstance(value, float) and not value.is_integer():
            raise InvalidValue(f"« {text} » n'est pas un numéro de téléphone.")
        return text, text
    text = _required_text(value, "Numéro de téléphone")
    digits_text = _integer_text(text, "Numéro")
    if digits_text != text:  # Excel damage undone ("590123456.0", "5,90123456e+08")
        return text, digits_text
    body = _PHONE_LABEL.sub("", text).strip()
    if not any(c.isdigit() for c in body):
        raise InvalidValue(f"« {text} » n'est pas un numéro de téléphone.")
    body = _TRUNK_ZERO.sub(r"\1 ", body)
    compact = _PHONE_SEPARATORS.sub("", body)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if not _COMPACT_NUMBER.fullmatch(compact):
        raise InvalidValue(
            f"« {text} » n'est pas un numéro de téléphone : il contient autre chose que des chiffres."
        )
    return text, compact


def _length_error(raw: str, count: int, region: str) -> InvalidValue:
    """The message for a national number of the wrong length in ``region``."""
    name = _TERRITORY_NAME[region]
    expected = 10 if region in _TEN_DIGIT_TERRITORIES else _PACIFIC_PLANS[region][1]
    if count < expected:
        return InvalidValue(
            f"Numéro « {raw} » incomplet : il faut {expected} chiffres pour un numéro de {name}."
        )
    hint = " (deux numéros collés ?)" if count >= 2 * expected - 1 else ""
    return InvalidValue(
        f"Numéro « {raw} » trop long : {count} chiffres, alors qu'un numéro de {name} "
        f"en compte {expected}{hint}."
    )


def _parse_national(raw: str, digits: str, region: str) -> tuple[phonenumbers.PhoneNumber, str]:
    """Parse national ``digits`` (no +) for a département whose territory is ``region``."""
    if region in _PACIFIC_PLANS and not digits.startswith("0"):
        code, length = _PACIFIC_PLANS[region]
        if len(digits) == len(code) + length and digits.startswith(code):
            digits = digits[len(code):]  # "687 44 57 28": country code without the +
        if len(digits) != length:
            raise _length_error(raw, len(digits), region)
        return phonenumbers.parse(digits, region), region
    if (len(digits) == 11 and digits.startswith("33")) or (
        len(digits) == 12 and digits[:3] in ("590", "594", "596", "262")
    ):
        return _parse_international(raw, "+" + digits)  # country code written without the +
    if len(digits) == 9 and not digits.startswith("0"):
        digits = "0" + digits  # a spreadsheet dropped the leading zero
    overseas = _OVERSEAS_PREFIX.get(digits[:4])
    if overseas == "GP" and region in ("BL", "MF"):
        overseas = region
    if len(digits) != 10 or not digits.startswith("0"):
        plan = overseas or (region if region in _TEN_DIGIT_TERRITORIES else "FR")
        raise _length_error(raw, len(digits), plan)
    if digits.startswith("0508"):
        return phonenumbers.parse(digits[4:], "PM"), "PM"
    number_region = overseas or "FR"
    return _national_number(digits, number_region), number_region


def _national_number(digits: str, region: str) -> phonenumbers.PhoneNumber:
    """``phonenumbers.parse(digits, region)`` for ten digits starting with one 0, built directly: the text is
    already checked to be digits, so parse's reading of it (three quarters of a number's time) is not needed."""
    if digits[1] == "0":  # "00…": parse knows what to make of it
        return phonenumbers.parse(digits, region)
    return phonenumbers.PhoneNumber(country_code=phonenumbers.country_code_for_region(region),
                                    national_number=int(digits[1:]))


_FRENCH_ZONE_CODES = ("33", "590", "594", "596", "262", "508", "687", "689", "681")


def _parse_international(raw: str, compact: str) -> tuple[phonenumbers.PhoneNumber, str]:
    """Parse a ``+…`` number, re-routing ``+33 590…`` style numbers to their overseas code."""
    for code in _FRENCH_ZONE_CODES:
        if compact.startswith("+" + code):
            national = compact[1 + len(code):]
            if national.startswith("0"):
                national = national[1:]  # "+33 0 1 23…", "+590 0590…"
            if code == "33":
                return _parse_national(raw, "0" + national, "FR")
            compact = "+" + code + national
            break
    try:
        number = phonenumbers.parse(compact, None)
    except phonenumbers.NumberParseException:
        raise InvalidValue(f"« {raw} » n'est pas un numéro de téléphone reconnu.") from None
    region = phonenumbers.region_code_for_country_code(number.country_code)
    return number, region


def is_short_number(value: object) -> bool:
    """True for French short service numbers (3949, 1010, 115, 116 000…) the standard cannot hold."""
    if isinstance(value, bool) or value is None:
        return False
    text = clean_text(value)
    if text is None:
        return False
    digits = _PHONE_SEPARATORS.sub("", _PHONE_LABEL.sub("", text))
    if not digits.isdigit():
        return False
    if len(digits) == 2:
        return digits in ("15", "17", "18")
    if len(digits) == 3:
        return digits[0] == "1"
    if len(digits) == 4:
        return digits[0] in "13"
    if len(digits) == 6:
        return digits.startswith("116")
    return False


def normalize_phone(value: object, *, departement: str | None = None) -> str:
    """Return the number in E.164 (``+33123456789``), guessing the territory from prefix and département."""
    if isinstance(value, str):
        return _phone_of_text(value, departement)
    return _phone(value, departement)


def _phone(value: object, departement: str | None) -> str:
    if is_short_number(value):
        digits = _PHONE_SEPARATORS.sub("", _PHONE_LABEL.sub("", clean_text(value) or ""))
        raise ShortPhoneNumber(digits)
    raw, compact = _phone_digits(value)
    region = territory_of_departement(departement)
    try:
        if compact.startswith("+"):
            number, number_region = _parse_international(raw, compact)
        else:
            number, number_region = _parse_national(raw, compact, region)
    except phonenumbers.NumberParseException:
        raise InvalidValue(f"« {raw} » n'est pas un numéro de téléphone reconnu.") from None
    if number_region not in _TERRITORY_NAME:
        raise InvalidValue(
            f"Numéro « {raw} » : le standard n'accepte que les numéros de France et des outre-mer."
        )
    pacific = number_region in _PACIFIC_PLANS
    ok = phonenumbers.is_valid_number(number) or (pacific and phonenumbers.is_possible_number(number))
    if not ok:
        where = _TERRITORY_NAME[number_region]
        raise InvalidValue(
            f"Numéro « {raw} » invalide : ce numéro n'existe pas dans le plan de numérotation de {where}."
        )
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if not _standard_pattern("telephone").match(e164):
        raise InvalidValue(
            f"Numéro « {raw} » ({e164}) : le standard n'accepte que les numéros de France "
            "et des outre-mer."
        )
    return e164


# A file repeats its numbers, addresses and sites (a network's switchboard on every antenna, a town's
# site on each of its lieux): each text is parsed once. Errors are not remembered (parsed again).
_CACHED_TEXTS = 65536
_phone_of_text = lru_cache(maxsize=_CACHED_TEXTS)(_phone)


# --------------------------------------------------------------------------------------------
# Multi-value cells
# --------------------------------------------------------------------------------------------


def split_multi(value: object, separators: str = "|;,/\n") -> list[str]:
    """Split a cell holding several values at any of ``separators`` into cleaned non-empty parts."""
    text = clean_text(value)
    if text is None:
        return []
    if not separators:
        return [text]
    pattern = "[" + re.escape(separators) + "]"
    return [part for part in (clean_text(p) for p in re.split(pattern, text)) if part]


_PHONE_RUN = re.compile(r"[+(]*\d[\d .\-()/\t]*")
_STRONG_PHONE_SEPARATOR = re.compile(r"\s*/\s*|\s+[-–—]\s+")
# Expected total digit count of a number written with ``+`` and a French-zone country code.
_INTERNATIONAL_LENGTH = {"33": 11, "590": 12, "594": 12, "596": 12, "262": 12,
                         "508": 9, "687": 9, "681": 9, "689": 11}


def _expected_digits(digits: str) -> int | None:
    """How many digits a number starting with ``digits`` has in all, or None if unknown."""
    if digits.startswith("+") or digits.startswith("00"):
        prefix = 0 if digits.startswith("+") else 2
        rest = digits.lstrip("+")[prefix:]
        for code, length in _INTERNATIONAL_LENGTH.items():
            if rest.startswith(code):
                return length + prefix
        return None
    if digits.startswith("0"):
        return 10
    return None


def _split_run(run: str) -> list[str]:
    """Cut a run of digits and separators holding several numbers into one string per number."""
    run = _TRUNK_ZERO.sub(r"\1 ", run)
    total = sum(c.isdigit() for c in run)
    if total <= 10 or (run.startswith(("+", "00")) and total <= 14):
        return [run]
    groups = [(m.start(), m.end(), m.group()) for m in re.finditer(r"\+?\d+", run)]
    parts: list[str] | None = []
    i = 0
    while i < len(groups):
        expected = _expected_digits("".join(g[2] for g in groups[i:i + 4]))
        if expected is None:
            parts = None
            break
        count, j = 0, i
        while j < len(groups) and count < expected:
            count += len(groups[j][2].lstrip("+"))
            j += 1
        if count != expected:
            parts = None
            break
        parts.append(run[groups[i][0]:groups[j - 1][1]])
        i = j
    if parts and len(parts) >= 2:
        return parts
    pieces = [p.strip(" .-(/\t") for p in _STRONG_PHONE_SEPARATOR.split(run)]
    pieces = [p for p in pieces if p]
    if len(pieces) >= 2 and all(sum(c.isdigit() for c in p) >= 3 for p in pieces):
        return pieces
    return [run]


# Regions inside the French national numbering plan: their numbers are dialled « 0… » from France.
_FRENCH_PLAN_REGIONS = frozenset({"FR", "GP", "MQ", "GF", "RE", "YT", "PM", "BL", "MF"})


def phone_display(value: str | None) -> str:
    """A stored E.164 number as people dial it from France: « 05 45 82 43 51 », « 0590 82 12 34 »;
    Nouvelle-Calédonie, Polynésie, Wallis-et-Futuna keep their country code (« +687 20.35.00 »)."""
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return value
    national = phonenumbers.region_code_for_number(number) in _FRENCH_PLAN_REGIONS
    return phonenumbers.format_number(
        number, phonenumbers.PhoneNumberFormat.NATIONAL if national else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )


def split_phones(value: object) -> list[str]:
    """Find every phone number written in a cell, e.g. ``"05 90 12 34 56 / 06 90 12 34 56"`` → two."""
    text = clean_text(value)
    if text is None:
        return []
    compact = text.replace(" ", "")
    if _EXCEL_FLOAT_TEXT.match(compact) or _SCIENTIFIC.match(compact):
        return [text]
    found: list[str] = []
    for match in _PHONE_RUN.finditer(text):
        run = match.group().strip(" .-(/\t")
        if sum(c.isdigit() for c in run) >= 2:
            found.extend(_split_run(run))
    return found or [text]


_EMAIL_TOKEN = re.compile(r"[^\s@<>()\[\],;:\"|/]+@[^\s@<>()\[\],;:\"|/]+")


def split_emails(value: object) -> list[str]:
    """Find every e-mail-looking token in a cell (``"a@x.fr et b@y.fr"`` → two addresses)."""
    text = clean_text(value)
    if text is None:
        return []
    found = [token.strip(".'") for token in _EMAIL_TOKEN.findall(text)]
    found = [token for token in found if token]
    return found or [text]


# --------------------------------------------------------------------------------------------
# SIRET, SIREN, pivot
# --------------------------------------------------------------------------------------------

_ID_SEPARATORS = re.compile(r"[ .\-]")


def _compact_id(value: object, label: str) -> str:
    """The identifier without spaces, dots or dashes, Excel damage undone."""
    text = _integer_text(value, label)
    return _ID_SEPARATORS.sub("", text)


def normalize_siret(value: object) -> str:
    """Return a checked 14-digit SIRET (python-stdnum: Luhn or La Poste's digit-sum rule, and its SIREN's key)."""
    raw = clean_text(value) or ""
    siret = _compact_id(value, "SIRET")
    if not siret.isdigit():
        raise InvalidValue(f"SIRET « {raw} » invalide : il ne doit contenir que des chiffres.")
    if len(siret) == 13:
        raise InvalidValue(
            f"SIRET « {raw} » invalide : 13 chiffres au lieu de 14 (un zéro de tête perdu par "
            "un tableur ne peut pas être deviné) ; ressaisissez le SIRET complet."
        )
    if len(siret) != 14:
        raise InvalidValue(f"SIRET « {raw} » invalide : {len(siret)} chiffres au lieu de 14.")
    if siret_number.is_valid(siret):  # Luhn, or La Poste's digit-sum rule, and the SIREN's own key
        return siret
    if not siren_number.is_valid(siret[:9]):
        raise InvalidValue(f"SIRET « {raw} » invalide : la clé de contrôle de son SIREN ({siret[:9]}) ne correspond "
                           "pas (faute de frappe ?).")
    raise InvalidValue(f"SIRET « {raw} » invalide : la clé de contrôle ne correspond pas (faute de frappe ?).")


def normalize_siren(value: object) -> str:
    """Return a checked 9-digit SIREN (python-stdnum: Luhn)."""
    raw = clean_text(value) or ""
    siren = _compact_id(value, "SIREN")
    if not siren.isdigit():
        raise InvalidValue(f"SIREN « {raw} » invalide : il ne doit contenir que des chiffres.")
    if len(siren) != 9:
        raise InvalidValue(f"SIREN « {raw} » invalide : {len(siren)} chiffres au lieu de 9.")
    if not siren_number.is_valid(siren):
        raise InvalidValue(f"SIREN « {raw} » invalide : la clé de contrôle ne correspond pas (faute de frappe ?).")
    return siren


_RNA = re.compile(r"^W[0-9A-Z]{3}\d{6}$")
_RIDET_EXPLICIT = re.compile(r"^(\d{6,7})[./\-](\d{3})$")


def normalize_pivot(value: object) -> str | None:
    """Return the pivot identifier (SIRET, SIREN, RNA or RIDET) checked, or None for a placeholder."""
    raw = clean_text(value)
    if raw is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        compact = _compact_id(value, "Identifiant")
    else:
        compact = raw.replace(" ", "").upper()
        match = _RIDET_EXPLICIT.match(compact)
        if match:
            return _ridet(raw, match[1], match[2])
        if compact.startswith("W"):
            if _RNA.match(compact):
                return compact
            raise InvalidValue(
                f"Identifiant « {raw} » invalide : un numéro RNA s'écrit W suivi de 9 caractères "
                "(ex. W751234567)."
            )
        compact = _ID_SEPARATORS.sub("", _integer_text(compact, "Identifiant"))
    if compact.strip("0") == "" and compact:
        return None
    if not compact.isdigit():
        raise InvalidValue(
            f"Identifiant « {raw} » non reconnu : attendu un SIRET (14 chiffres), un SIREN "
            "(9 chiffres), un RNA (W + 9 caractères) ou un RIDET."
        )
    if len(compact) in (13, 14):
        result = normalize_siret(raw)
    elif len(compact) == 9:
        result = normalize_siren(raw)
    elif len(compact) == 10:
        return _ridet(raw, compact[:7], compact[7:])
    elif len(compact) in (6, 7):
        raise InvalidValue(
            f"RIDET « {raw} » incomplet : ajoutez les 3 chiffres de l'établissement "
            f"(ex. {compact.zfill(7)}.001)."
        )
    else:
        raise InvalidValue(
            f"Identifiant « {raw} » non reconnu : {len(compact)} chiffres, alors qu'un SIRET en a 14, "
            "un SIREN 9 et un RIDET 10."
        )
    return result


def _ridet(raw: str, company: str, establishment: str) -> str:
    """Return a RIDET of Nouvelle-Calédonie as 10 digits (company on 7 digits + establishment)."""
    ridet = company.zfill(7) + establishment
    if not _standard_pattern("pivot").match(ridet):  # pragma: no cover - 10 digits always match
        raise InvalidValue(f"RIDET « {raw} » invalide.")
    return ridet


# --------------------------------------------------------------------------------------------
# Postcodes and INSEE codes
# --------------------------------------------------------------------------------------------


def normalize_postcode(value: object) -> str:
    """Return a 5-digit postcode, restoring a leading zero lost by a spreadsheet (1000 → "01000")."""
    raw = clean_text(value) or ""
    code = _integer_text(value, "Code postal").replace(" ", "")
    if code.isdigit() and len(code) == 4:
        code = "0" + code
    if not (code.isdigit() and len(code) == 5):
        raise InvalidValue(f"Code postal « {raw} » invalide : il faut 5 chiffres.")
    if code.startswith("00"):
        raise InvalidValue(f"Code postal « {raw} » invalide : aucun code postal ne commence par 00.")
    return code


_POSTCODE_TOKEN = re.compile(r"(?<![\d,.])(\d{5})(?!\d)(?=\s*(?:[,\-–]\s*)?([^\W\d_]|$))")
_STREET_WORD = re.compile(
    r"\s*(?:rue|route|avenue|av|bd|boulevard|chemin|allée|allee|impasse|place|pl|lot|lotissement|"
    r"résidence|residence|quai|cours|voie|chaussée|sentier|passage|square|rn|rd|cité|cite)\b",
    re.IGNORECASE,
)


def extract_postcode(text: object) -> str | None:
    """Return the 5-digit postcode found in an address text (the last one before a town name), or None."""
    cleaned = clean_text(text)
    if cleaned is None:
        return None
    found = None
    for match in _POSTCODE_TOKEN.finditer(cleaned):
        code = match[1]
        if code.startswith("00") or _STREET_WORD.match(cleaned, match.end()):
            continue
        found = code
    return found


def normalize_insee(value: object) -> str:
    """Return a 5-character INSEE commune code (1053 → "01053", "2a004" → "2A004")."""
    raw = clean_text(value) or ""
    code = _integer_text(value, "Code INSEE").replace(" ", "").upper()
    if code.isdigit() and len(code) == 4:
        code = "0" + code
    if not _standard_pattern("code_insee").match(code):
        hint = " (en Corse, 2A ou 2B et non 20)" if code.startswith("20") else ""
        raise InvalidValue(f"Code INSEE « {raw} » invalide : il faut 5 caractères comme 01053 ou 2A004{hint}.")
    return code


# --------------------------------------------------------------------------------------------
# E-mail, URL, opening hours
# --------------------------------------------------------------------------------------------

_EMAIL_REASONS = (
    ("must have an @-sign", "il manque le @"),
    ("after the @-sign contains invalid characters: '@'", "elle contient plusieurs @"),
    ("There must be something before the @-sign", "il manque la partie avant le @"),
    ("There must be something after the @-sign", "il manque le domaine après le @"),
    ("should have a period", "le domaine après le @ n'a pas de point (ex. mairie.fr)"),
    ("before the @-sign: SPACE", "elle contient une espace"),
    ("cannot end with a period", "il y a un point en trop à la fin"),
    ("cannot start with a period", "il y a un point en trop au début"),
    ("two periods in a row", "il y a deux points qui se suivent"),
    ("hyphen", "un tiret est mal placé dans le domaine"),
    ("invalid characters", "elle contient des caractères interdits"),
    ("too long", "elle est trop longue"),
    ("special-use or reserved name", "le domaine est réservé et ne peut pas recevoir de courrier"),
)


def normalize_email(value: object) -> str:
    """Return the e-mail address validated (syntax only) and lower-cased."""
    return _email_of_text(value) if isinstance(value, str) else _email(value)


def _email(value: object) -> str:
    raw = _required_text(value, "Adresse e-mail")
    address = raw[7:] if raw.lower().startswith("mailto:") else raw
    address = address.strip().strip("<>").strip()
    try:
        result = validate_email(address, check_deliverability=False)
    except EmailNotValidError as error:
        message = str(error)
        reason = next((fr for en, fr in _EMAIL_REASONS if en in message), None)
        suffix = f" : {reason}" if reason else ""
        raise InvalidValue(f"Adresse e-mail « {raw} » invalide{suffix}.") from None
    return result.normalized.lower()


_email_of_text = lru_cache(maxsize=_CACHED_TEXTS)(_email)


_URL_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
_HOST = re.compile(r"^[^\s/@:]+\.[^\s/@:.]{2,}$")


def normalize_url(value: object) -> str:
    """Return an http(s) URL, adding ``https://`` when the scheme is missing (``www.ville.fr``)."""
    return _url_of_text(value) if isinstance(value, str) else _url(value)


def _url(value: object) -> str:
    raw = _required_text(value, "Adresse de site web")
    url = raw.strip()
    if any(c.isspace() for c in url):
        raise InvalidValue(f"Adresse de site web « {raw} » invalide : elle contient des espaces.")
    scheme_match = _URL_SCHEME.match(url)
    if scheme_match and not re.match(r"^[^/:]+:\d", url):
        scheme = scheme_match[1].lower()
        if scheme not in ("http", "https"):
            raise InvalidValue(
                f"Adresse de site web « {raw} » invalide : seules les adresses http:// ou https:// "
                "sont acceptées."
            )
        rest = url[len(scheme_match[0]):]
        if not rest.startswith("//"):
            raise InvalidValue(f"Adresse de site web « {raw} » invalide : il manque « // » après « {scheme}: ».")
        url = scheme + ":" + rest
    else:
        if "@" in url.split("/")[0]:
            raise InvalidValue(f"« {raw} » est une adresse e-mail, pas un site web.")
        url = "https://" + url.lstrip("/")
    scheme, after_scheme = url.split("://", 1)
    netloc, path = re.match(r"^([^/?#]*)(.*)$", after_scheme).groups()
    host = re.sub(r":\d+$", "", netloc.rsplit("@", 1)[-1])
    if not host:
        raise InvalidValue(f"Adresse de site web « {raw} » invalide : il manque le nom de domaine.")
    if not _HOST.match(host):
        raise InvalidValue(
            f"Adresse de site web « {raw} » invalide : le nom de domaine « {host} » est incomplet "
            "(ex. www.ville.fr)."
        )
    return f"{scheme}://{netloc.lower()}{path}"


_url_of_text = lru_cache(maxsize=_CACHED_TEXTS)(_url)


_PARSER_POSITION = re.compile(r"-->\s*\d+:(\d+)")


def normalize_horaires(value: object) -> str:
    """Return opening hours in OpenStreetMap syntax, checked by the opening_hours parser."""
    raw = _required_text(value, "Horaires")
    text = " ".join(raw.split())
    try:
        OpeningHours(text)
    except (ParserError, SyntaxError, ValueError) as error:
        match = _PARSER_POSITION.search(str(error))
        where = ""
        if match:
            column = int(match[1])
            excerpt = text[column - 1:column + 14]
            where = f" ; l'erreur est au caractère {column} (« {excerpt} »)" if excerpt else ""
        raise InvalidValue(
            f"Horaires « {raw} » illisibles : ils doivent suivre le format OpenStreetMap "
            f"(ex. « Mo-Fr 09:00-12:00,14:00-17:00; Sa 09:00-12:00 »){where}."
        ) from None
    return text


# --------------------------------------------------------------------------------------------
# Dates, booleans, decimals
# --------------------------------------------------------------------------------------------

_EXCEL_EPOCH = dt.date(1899, 12, 30)
_EXCEL_SERIAL_MIN, _EXCEL_SERIAL_MAX = 25569, 73051  # 1970-01-01 … 2100-01-01
_TIME_SUFFIX = r"(?:[T ]\d{1,2}[:h]\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+\-]\d{2}:?\d{2})?)?"
_ISO_DATE = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})" + _TIME_SUFFIX + "$")
_FRENCH_DATE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})" + _TIME_SUFFIX + "$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def _make_date(raw: str, year: int, month: int, day: int) -> dt.date:
    """Build a date or raise a French message for an impossible one (31/02/2024)."""
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise InvalidValue(f"Date « {raw} » impossible : ce jour n'existe pas.") from None


def normalize_date(value: object) -> dt.date:
    """Return a date from ISO, French (jj/mm/aaaa) or Excel serial forms."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raw = _required_text(value, "Date")
    if isinstance(value, bool):
        raise InvalidValue(f"Date « {raw} » illisible.")
    match = _ISO_DATE.match(raw)
    if match:
        return _make_date(raw, int(match[1]), int(match[2]), int(match[3]))
    match = _FRENCH_DATE.match(raw)
    if match:
        year = int(match[3])
        if len(match[3]) == 2:
            year += 2000
        return _make_date(raw, year, int(match[2]), int(match[1]))
    match = _COMPACT_DATE.match(raw)
    if match and 1900 <= int(match[1]) <= 2100:
        return _make_date(raw, int(match[1]), int(match[2]), int(match[3]))
    serial_text = raw.replace(",", ".")
    if re.fullmatch(r"\d+(?:\.\d+)?", serial_text):
        serial = float(serial_text)
        if _EXCEL_SERIAL_MIN <= serial <= _EXCEL_SERIAL_MAX:
            return _EXCEL_EPOCH + dt.timedelta(days=int(serial))
    raise InvalidValue(f"Date « {raw} » illisible : écrivez-la jj/mm/aaaa (ex. 02/04/2024) ou aaaa-mm-jj.")


_DECIMAL = re.compile(r"^[+\-]?(?:\d+(?:\.\d*)?|\.\d+)$")


def normalize_decimal(value: object) -> float:
    """Return a float from ``"43,52609"``, ``"1 234,5"``, ``"43.52609"`` or a number."""
    if isinstance(value, bool):
        raise InvalidValue(f"« {value} » n'est pas un nombre.")
    if isinstance(value, (int, float)):
        number = float(value)
        if not math.isfinite(number):
            raise InvalidValue(f"« {value} » n'est pas un nombre.")
        return number
    raw = _required_text(value, "Nombre")
    text = raw.replace(" ", "").replace("\u2212", "-").rstrip("°")
    if "," in text and "." in text:
        decimal_mark = "," if text.rfind(",") > text.rfind(".") else "."
        thousands = "." if decimal_mark == "," else ","
        text = text.replace(thousands, "")
    text = text.replace(",", ".")
    if not _DECIMAL.match(text):
        raise InvalidValue(f"« {raw} » n'est pas un nombre.")
    return float(text)


# --------------------------------------------------------------------------------------------
# Coordinates
# --------------------------------------------------------------------------------------------

# Projected systems by département: (EPSG code, label, x range, y range) in metres.
_LAMBERT_93 = (2154, "Lambert-93", (100_000, 1_300_000), (6_000_000, 7_200_000))
_UTM_X = (100_000, 900_000)
_PROJECTED_BY_DEPARTEMENT = {
    "971": (5490, "UTM 20N (RGAF09)", _UTM_X, (1_500_000, 2_100_000)),
    "972": (5490, "UTM 20N (RGAF09)", _UTM_X, (1_500_000, 2_100_000)),
    "977": (5490, "UTM 20N (RGAF09)", _UTM_X, (1_500_000, 2_100_000)),
    "978": (5490, "UTM 20N (RGAF09)", _UTM_X, (1_500_000, 2_100_000)),
    "973": (2972, "UTM 22N (RGFG95)", _UTM_X, (100_000, 1_000_000)),
    "974": (2975, "UTM 40S (RGR92)", _UTM_X, (7_500_000, 7_800_000)),
    "976": (4471, "UTM 38S (RGM04)", _UTM_X, (8_500_000, 8_700_000)),
    "975": (4467, "UTM 21N (RGSPM06)", _UTM_X, (5_000_000, 5_400_000)),
    "988": (3163, "Lambert Nouvelle-Calédonie (RGNC91-93)", (0, 1_000_000), (0, 700_000)),
}
_OTHER_OVERSEAS = frozenset({"986", "987"})


@cache
def _to_wgs84(epsg: int):  # -> pyproj.Transformer
    """A cached transformer from ``epsg`` to WGS84 (longitude, latitude order)."""
    from pyproj import Transformer

    return Transformer.from_crs(epsg, 4326, always_xy=True)


def _inside(lat: float, lon: float, bbox: tuple[float, float, float, float]) -> bool:
    """True when (lat, lon) is in ``bbox`` (min_lon, min_lat, max_lon, max_lat); min_lon > max_lon crosses ±180°."""
    min_lon, min_lat, max_lon, max_lat = bbox
    if not min_lat <= lat <= max_lat:
        return False
    if min_lon <= max_lon:
        return min_lon <= lon <= max_lon
    return lon >= min_lon or lon <= max_lon


def _bbox_of(departement: str | None) -> tuple[float, float, float, float] | None:
    """The département's bounding box from :mod:`models.geo`, or None when unknown."""
    if departement is None:
        return None
    try:
        from models.geo import departement_bbox
    except ModuleNotFoundError as error:  # models.geo not shipped yet: no bounds check
        if error.name in ("models.geo", "models"):
            return None
        raise
    return departement_bbox(departement)


def _unproject(x: float, y: float, departement: str | None,
               bbox: tuple[float, float, float, float] | None) -> tuple[float, float, str]:
    """Convert projected metres (x, y, possibly swapped) to (lat, lon) and the French note."""
    if departement in _PROJECTED_BY_DEPARTEMENT:
        system = _PROJECTED_BY_DEPARTEMENT[departement]
    elif departement in _OTHER_OVERSEAS:
        system = None
    else:
        system = _LAMBERT_93
    if system is not None:
        epsg, label, (x_min, x_max), (y_min, y_max) = system
        fallback = None
        for east, north, swapped in ((x, y, False), (y, x, True)):
            if not (x_min <= east <= x_max and y_min <= north <= y_max):
                continue
            lon, lat = _to_wgs84(epsg).transform(east, north)
            if not (math.isfinite(lat) and math.isfinite(lon)):
                continue
            note = f"coordonnées en {label} converties en WGS84"
            if swapped:
                note += " (x et y étaient inversés)"
            if bbox is None or _inside(lat, lon, bbox):
                return lat, lon, note
            fallback = fallback or (lat, lon, note)
        if fallback is not None:
            return fallback  # converted, but outside the bounds: the caller's check reports it
    raise InvalidValue(
        f"Coordonnées ({_fmt(y)}, {_fmt(x)}) illisibles : ce ne sont pas des degrés, et pas non plus "
        "des mètres d'un système connu pour ce territoire."
    )


def _fmt(number: float) -> str:
    """A number as the user would read it back (no useless ``.0``)."""
    return str(int(number)) if float(number).is_integer() else repr(number)


def normalize_coordinates(
    lat: object,
    lon: object,
    *,
    departement: str | None = None,
    bbox: tuple[float, float, float, float] | None = None,
) -> tuple[float, float, str | None]:
    """Return ``(latitude, longitude, note)`` in WGS84, repaired (swaps, metres), checked against the département."""

    def shown() -> str:
        return f"({clean_text(lat)}, {clean_text(lon)})"

    dep = _departement_code(departement)
    try:
        latitude = normalize_decimal(lat)
        longitude = normalize_decimal(lon)
    except InvalidValue:
        raise InvalidValue(f"Coordonnées {shown()} illisibles : ce ne sont pas des nombres.") from None
    if latitude == 0 and longitude == 0:
        raise InvalidValue(f"Coordonnées {shown()} : 0, 0 n'est pas un emplacement (valeur par défaut).")
    if bbox is None and dep is not None:
        bbox = _bbox_of(dep)
    notes: list[str] = []
    if abs(latitude) > 180 or abs(longitude) > 180:
        latitude, longitude, note = _unproject(longitude, latitude, dep, bbox)
        if bbox is not None and not _inside(latitude, longitude, bbox):
            where = f"du département {dep}" if dep else "de la zone attendue"
            raise InvalidValue(f"Coordonnées {shown()} hors {where} (même après conversion en degrés).")
        return latitude, longitude, note
    if abs(latitude) > 90:
        if abs(longitude) > 90:
            raise InvalidValue(f"Coordonnées {shown()} impossibles : la latitude doit être entre -90 et 90.")
        latitude, longitude = longitude, latitude
        notes.append("latitude et longitude inversées, remises dans l'ordre")
    if bbox is not None and not _inside(latitude, longitude, bbox):
        candidates = (
            (longitude, latitude, "latitude et longitude inversées, remises dans l'ordre"),
            (latitude, -longitude, "signe de la longitude corrigé"),
            (-latitude, longitude, "signe de la latitude corrigé"),
            (-latitude, -longitude, "signes de la latitude et de la longitude corrigés"),
            (-longitude, latitude, "latitude et longitude inversées et signe corrigé"),
            (longitude, -latitude, "latitude et longitude inversées et signe corrigé"),
        )
        for cand_lat, cand_lon, note in candidates:
            if abs(cand_lat) <= 90 and _inside(cand_lat, cand_lon, bbox):
                latitude, longitude = cand_lat, cand_lon
                notes.append(note)
                break
        else:
            where = f"du département {dep}" if dep else "de la zone attendue"
            raise InvalidValue(f"Coordonnées {shown()} hors {where}.")
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):  # pragma: no cover - defensive
        raise InvalidValue(f"Coordonnées {shown()} impossibles.")
    return latitude, longitude, ("; ".join(notes) if notes else None)
