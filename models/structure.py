"""A structure (lieu de médiation numérique): the 32 fields of the standard v1.0.x plus Maillage's own.

The model validates one record wherever it comes from (an import line, the edit form, a sheet
row). Every check reads the standard's schema (``models.standard``): the enumerations, the
patterns and the maximum length are the schema's, never retyped here. Messages are French and
tied to a field, so a form can show each next to its widget::

    structure, issues = validate_structure({"nom": "Médiathèque", ...})
    for issue in issues:
        print(issue.field, issue.message)

Beyond the fields, ``check_coherence`` compares the record with the COG (postcode ↔ commune,
INSEE code, coordinates inside the département).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from functools import cache, partial
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from models import normalize
from models.errors import InvalidValue
from models.ids import new_id
from models.issues import Issue
from models.standard import FREE_MULTI_FIELDS_V1, standard_v1
from models.typologies import typologies
from models.vocabulary import normalize_bool, typology_code

# Maillage's own fields, kept beside the standard's. The contact person is personal data: kept
# for the campaign, never exported nor shown to the committee.
PERSONAL_FIELDS = ("contact_nom", "contact_telephone", "contact_courriel")
EXTRA_FIELDS = ("telephones_autres", "numero_court", *PERSONAL_FIELDS, "statut", "date_maj_estimee")


@cache
def standard_field_names() -> tuple[str, ...]:
    """The 32 field names of the standard v1, in the schema's order (``id`` first)."""
    return standard_v1().field_names


@cache
def enumerated_fields() -> tuple[str, ...]:
    """Fields whose values must come from a list of the standard (``services``, ``frais_a_charge``…)."""
    return tuple(f.name for f in standard_v1().fields if f.choices)


@cache
def list_fields() -> tuple[str, ...]:
    """Fields holding several values (joined by ``|`` in the standard's files)."""
    return (*enumerated_fields(), *FREE_MULTI_FIELDS_V1, "telephones_autres")


def _normalized(info: ValidationInfo) -> bool:
    """True when the caller already normalised every value with ``models.normalize`` (imports do,
    line by line, with the same functions): the validators then skip parsing a second time."""
    return bool(info.context and info.context.get("normalized"))


def _fail(message: str) -> PydanticCustomError:
    return PydanticCustomError("maillage", "{message}", {"message": message})


def _text(value: Any) -> str | None:
    return normalize.clean_text(value) if value is not None else None


def _as_list(value: Any, separator: str = "|") -> list[str]:
    """A list from a list, or from text joined by the standard's separator."""
    if value is None:
        return []
    if isinstance(value, list | tuple | set):
        items = [normalize.clean_text(v) for v in value]
    else:
        items = [normalize.clean_text(v) for v in str(value).split(separator)]
    return [item for item in items if item]


def _one(value: Any, info: ValidationInfo, normalizer: Callable[[str], Any], *, required: str | None = None) -> Any:
    """One value through its ``models.normalize`` function (skipped when already normalised): None
    when blank (or the French ``required`` message), the function's French error as the field's."""
    if _normalized(info):
        return value
    text = _text(value)
    if not text:
        if required:
            raise _fail(required)
        return None
    try:
        return normalizer(text)
    except InvalidValue as error:
        raise _fail(str(error)) from None


def _each(value: Any, info: ValidationInfo, normalizer: Callable[[str], Any]) -> list[Any]:
    """Each item of a list (or of ``|``-joined text) through its ``models.normalize`` function, as ``_one``."""
    if _normalized(info):
        return value
    try:
        return [normalizer(item) for item in _as_list(value)]
    except InvalidValue as error:
        raise _fail(str(error)) from None


def _departement(data: Mapping[str, Any]) -> str | None:
    from models.cog import departement_of_place

    return departement_of_place(data.get("code_insee"), data.get("code_postal"))


def _check_pattern(field: str, text: str) -> None:
    pattern = standard_v1().field(field).pattern
    if pattern and not re.search(pattern, text):
        raise _fail(f"« {text} » ne respecte pas le format du champ {field} du standard.")


class Structure(BaseModel):
    """One lieu, normalised. ``Structure.model_validate(data)`` raises with French messages."""

    model_config = ConfigDict(extra="forbid", validate_default=False)

    id: str = Field(default_factory=new_id)
    pivot: str | None = None
    nom: str
    commune: str
    code_postal: str
    code_insee: str | None = None
    adresse: str
    complement_adresse: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    typologie: list[str] = Field(default_factory=list)
    telephone: str | None = None
    courriels: list[str] = Field(default_factory=list)
    site_web: list[str] = Field(default_factory=list)
    horaires: str | None = None
    presentation_resume: str | None = None
    presentation_detail: str | None = None
    source: str | None = None
    itinerance: list[str] = Field(default_factory=list)
    structure_parente: str | None = None
    date_maj: date = Field(default_factory=date.today)
    services: list[str] = Field(default_factory=list)
    publics_specifiquement_adresses: list[str] = Field(default_factory=list)
    prise_en_charge_specifique: list[str] = Field(default_factory=list)
    frais_a_charge: list[str] = Field(default_factory=list)
    dispositif_programmes_nationaux: list[str] = Field(default_factory=list)
    formations_labels: list[str] = Field(default_factory=list)
    autres_formations_labels: str | None = None
    modalites_acces: list[str] = Field(default_factory=list)
    modalites_accompagnement: list[str] = Field(default_factory=list)
    fiche_acces_libre: str | None = None
    prise_rdv: str | None = None
    # Maillage's own fields.
    telephones_autres: list[str] = Field(default_factory=list)
    numero_court: str | None = None
    contact_nom: str | None = None
    contact_telephone: str | None = None
    contact_courriel: str | None = None
    # Where the lieu stands in its source (models.vocabulary.STATUTS); None = open. Only an open lieu
    # is published: a closed, inactive, hidden or to-be-deleted lieu is kept, never exported as open.
    statut: str | None = None
    # True when date_maj is not the source's own date but the day of the import (an estimate).
    date_maj_estimee: bool | None = None

    # -- required text -------------------------------------------------------------------------

    @field_validator("nom", "commune", "adresse", mode="before")
    @classmethod
    def _required_text(cls, value: Any, info: ValidationInfo) -> str:
        text = _text(value)
        if not text:
            raise _fail(f"Le champ {info.field_name} est obligatoire.")
        return text

    @field_validator(
        "complement_adresse",
        "presentation_detail",
        "source",
        "structure_parente",
        "autres_formations_labels",
        "contact_nom",
        mode="before",
    )
    @classmethod
    def _optional_text(cls, value: Any) -> str | None:
        return _text(value)

    @field_validator("presentation_resume", mode="before")
    @classmethod
    def _resume(cls, value: Any) -> str | None:
        text = _text(value)
        limit = standard_v1().field("presentation_resume").max_length
        if text and limit and len(text) > limit:
            raise _fail(f"Le résumé fait {len(text)} caractères ; le standard en permet {limit} au plus.")
        return text

    # -- identifiers and places ------------------------------------------------------------------

    @field_validator("pivot", mode="before")
    @classmethod
    def _pivot(cls, value: Any, info: ValidationInfo) -> str | None:
        return _one(value, info, normalize.normalize_pivot)

    @field_validator("code_postal", mode="before")
    @classmethod
    def _code_postal(cls, value: Any, info: ValidationInfo) -> str:
        return _one(value, info, normalize.normalize_postcode, required="Le code postal est obligatoire.")

    @field_validator("code_insee", mode="before")
    @classmethod
    def _code_insee(cls, value: Any, info: ValidationInfo) -> str | None:
        return _one(value, info, normalize.normalize_insee)

    @field_validator("latitude", "longitude", mode="before")
    @classmethod
    def _coordinate(cls, value: Any, info: ValidationInfo) -> float | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        try:
            number = normalize.normalize_decimal(value)
        except InvalidValue as error:
            raise _fail(str(error)) from None
        limit = 90 if info.field_name == "latitude" else 180
        if not -limit <= number <= limit:
            raise _fail(f"{info.field_name} {number} impossible : elle doit être entre -{limit} et {limit} degrés.")
        return number

    # -- contact -------------------------------------------------------------------------------

    @field_validator("telephone", "contact_telephone", mode="before")
    @classmethod
    def _telephone(cls, value: Any, info: ValidationInfo) -> str | None:
        if _normalized(info):
            return value
        phone = _one(value, info, partial(normalize.normalize_phone, departement=_departement(info.data)))
        if phone:
            _check_pattern("telephone", phone)
        return phone

    @field_validator("telephones_autres", mode="before")
    @classmethod
    def _telephones_autres(cls, value: Any, info: ValidationInfo) -> list[str]:
        if _normalized(info):
            return value
        return _each(value, info, partial(normalize.normalize_phone, departement=_departement(info.data)))

    @field_validator("numero_court", mode="before")
    @classmethod
    def _numero_court(cls, value: Any) -> str | None:
        text = _text(value)
        if not text:
            return None
        digits = re.sub(r"\D", "", text)
        if not normalize.is_short_number(digits):
            raise _fail(f"« {text} » n'est pas un numéro court de service (3 ou 4 chiffres, ex. 3949).")
        return digits

    @field_validator("courriels", mode="before")
    @classmethod
    def _courriels(cls, value: Any, info: ValidationInfo) -> list[str]:
        return _each(value, info, normalize.normalize_email)

    @field_validator("contact_courriel", mode="before")
    @classmethod
    def _contact_courriel(cls, value: Any, info: ValidationInfo) -> str | None:
        return _one(value, info, normalize.normalize_email)

    @field_validator("site_web", mode="before")
    @classmethod
    def _site_web(cls, value: Any, info: ValidationInfo) -> list[str]:
        return _each(value, info, normalize.normalize_url)

    @field_validator("fiche_acces_libre", "prise_rdv", mode="before")
    @classmethod
    def _url(cls, value: Any, info: ValidationInfo) -> str | None:
        return _one(value, info, normalize.normalize_url)

    @field_validator("horaires", mode="before")
    @classmethod
    def _horaires(cls, value: Any, info: ValidationInfo) -> str | None:
        return _one(value, info, normalize.normalize_horaires)

    @field_validator("date_maj", mode="before")
    @classmethod
    def _date_maj(cls, value: Any, info: ValidationInfo) -> date:
        if _normalized(info):
            return value
        if value is None or (isinstance(value, str) and not value.strip()):
            raise _fail("La date de mise à jour (date_maj) est obligatoire.")
        try:
            return normalize.normalize_date(value)
        except InvalidValue as error:
            raise _fail(str(error)) from None

    # -- lists of the standard -----------------------------------------------------------------

    @field_validator("typologie", mode="before")
    @classmethod
    def _typologie(cls, value: Any, info: ValidationInfo) -> list[str]:
        if _normalized(info):
            return value
        codes = []
        for item in _as_list(value):
            code = typology_code(item)
            if code is None:
                raise _fail(
                    f"« {item} » n'est pas une typologie de structure connue (codes data·inclusion : "
                    f"CCAS, MUNI, BIB, ASSO… {len(typologies())} codes)."
                )
            if code not in codes:
                codes.append(code)
        return codes

    @field_validator(
        "itinerance",
        "services",
        "publics_specifiquement_adresses",
        "prise_en_charge_specifique",
        "frais_a_charge",
        "dispositif_programmes_nationaux",
        "formations_labels",
        "modalites_acces",
        "modalites_accompagnement",
        mode="before",
    )
    @classmethod
    def _choices(cls, value: Any, info: ValidationInfo) -> list[str]:
        if _normalized(info):
            return value
        assert info.field_name is not None
        allowed = standard_v1().choices(info.field_name)
        chosen = []
        for item in _as_list(value):
            if item not in allowed:
                raise _fail(
                    f"« {item} » n'est pas une valeur possible du champ {info.field_name} "
                    f"(valeurs du standard : {' ; '.join(allowed)})."
                )
            if item not in chosen:
                chosen.append(item)
        return chosen

    @field_validator("statut", mode="before")
    @classmethod
    def _statut(cls, value: Any) -> str | None:
        from models.vocabulary import STATUT_LABELS, STATUTS, status_of

        text = _text(value)
        if not text:
            return None
        code = text if text in STATUTS else status_of(text)
        if code is None:
            raise _fail(f"« {text} » n'est pas un statut connu ({', '.join(STATUT_LABELS[c] for c in STATUTS)}).")
        return code

    @field_validator("date_maj_estimee", mode="before")
    @classmethod
    def _date_maj_estimee(cls, value: Any) -> bool | None:
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            return value or None
        try:
            return normalize_bool(value) or None
        except InvalidValue as error:
            raise _fail(str(error)) from None

    # -- derived -------------------------------------------------------------------------------

    @property
    def departement(self) -> str | None:
        """The département (or COM) code of the lieu, from its INSEE code or postcode."""
        return _departement({"code_insee": self.code_insee, "code_postal": self.code_postal})

    @property
    def timezone(self) -> str:
        """The lieu's IANA time zone, from its département (``Indian/Reunion`` for 974…)."""
        from models.cog import timezone_for_departement

        return timezone_for_departement(self.departement)


def validation_issues(error: ValidationError) -> list[Issue]:
    """French, field-level issues from a pydantic error of ``Structure``."""
    issues = []
    for detail in error.errors():
        field = str(detail["loc"][0]) if detail["loc"] else None
        raw = detail.get("input")
        value = None if raw is None or isinstance(raw, dict) else str(raw)
        if detail["type"] == "maillage":
            message = detail["msg"]
        elif detail["type"] == "missing":
            message = f"Le champ {field} est obligatoire."
        elif detail["type"] == "extra_forbidden":
            message = f"Le champ {field} n'existe pas dans le registre."
        else:
            message = f"Valeur invalide pour le champ {field}."
        issues.append(Issue(field=field, value=value, message=message))
    return issues


def check_coherence(structure: Structure) -> list[Issue]:
    """Compare a valid structure with the COG: INSEE code, postcode ↔ commune, coordinates.

    Errors are things that cannot be right (unknown INSEE code, a point outside the
    département); warnings are what a person should look at (a CEDEX postcode, a commune name
    that differs from the COG's).
    """
    from models.cog import cog
    from models.geo import point_in_departement

    issues: list[Issue] = []
    referential = cog()
    commune = referential.commune(structure.code_insee) if structure.code_insee else None
    if structure.code_insee and commune is None:
        issues.append(Issue("code_insee", structure.code_insee, f"Code INSEE {structure.code_insee} inconnu du COG."))
    if commune is not None:
        if commune.type in ("commune-deleguee", "commune-associee") and commune.parent:
            current = referential.commune(commune.parent)
            issues.append(
                Issue(
                    "code_insee",
                    structure.code_insee,
                    f"{commune.nom} ({commune.code}) est une commune déléguée ou associée : la commune actuelle est "
                    f"{current.nom if current else commune.parent} ({commune.parent}).",
                    "avertissement",
                )
            )
        if commune.codes_postaux and structure.code_postal not in commune.codes_postaux:
            issues.append(
                Issue(
                    "code_postal",
                    structure.code_postal,
                    f"Le code postal {structure.code_postal} n'est pas celui de {commune.nom} "
                    f"({', '.join(commune.codes_postaux)}) ; code CEDEX ou erreur ?",
                    "avertissement",
                )
            )
    elif not referential.communes_by_postcode(structure.code_postal):
        issues.append(
            Issue(
                "code_postal",
                structure.code_postal,
                f"Le code postal {structure.code_postal} n'existe pas dans la base officielle (code CEDEX ?).",
                "avertissement",
            )
        )
    departement = structure.departement
    if structure.latitude is not None and structure.longitude is not None and departement:
        if not point_in_departement(structure.latitude, structure.longitude, departement):
            issues.append(
                Issue(
                    "latitude",
                    f"{structure.latitude}, {structure.longitude}",
                    f"Les coordonnées ({structure.latitude}, {structure.longitude}) sont hors du département {departement}.",
                )
            )
    if (structure.latitude is None) != (structure.longitude is None):
        issues.append(Issue("longitude", None, "Latitude et longitude vont ensemble : renseignez les deux ou aucune."))
    return issues


def validate_structure(data: Mapping[str, Any]) -> tuple[Structure | None, list[Issue]]:
    """Validate a record: the model (field by field) then its coherence with the COG.

    Returns the structure (None when any error) and every issue found, errors and warnings.
    """
    try:
        structure = Structure.model_validate(dict(data))
    except ValidationError as error:
        return None, validation_issues(error)
    issues = check_coherence(structure)
    if any(issue.is_error for issue in issues):
        return None, issues
    return structure, issues


@cache
def data_fields() -> tuple[str, ...]:
    """Every field of a structure but its id, in a stable order (standard first, then extras)."""
    return tuple(name for name in Structure.model_fields if name != "id")


def structure_values(structure: Structure) -> dict[str, Any]:
    """The structure's fields as a plain dict (a shallow copy: every field is a plain value or a
    list of text, so no serialiser is needed; much cheaper than ``model_dump`` on bulk imports)."""
    return {name: (list(value) if isinstance(value, list) else value) for name, value in structure.__dict__.items()}


def changed_fields(before: Mapping[str, Any], after: Mapping[str, Any], fields: Iterable[str]) -> list[str]:
    """Names of the fields whose value differs (an empty list equals an absent value)."""

    def comparable(value: Any) -> Any:
        if value in ([], (), ""):
            return None
        if isinstance(value, tuple):
            return list(value)
        return value

    return [name for name in fields if comparable(before.get(name)) != comparable(after.get(name))]
