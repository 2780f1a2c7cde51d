"""Rows of the campaign tables as a hub carries them: call attempts, relances, survey responses.

A row that comes from outside the app (a line of the shared sheet, typed or edited by a person)
is checked with these models before it enters the store, with the rules the app applies when it
writes the row itself: closed vocabularies (a call's outcome, a relance's status and channel),
required fields, date-times with their zone, a call-back's time after the call, and the records
a row links to (campaign, structure, questionnaire) present on this device. A French label typed
where a code is expected (« Occupé » for ``occupe``, « Envoyée » for ``envoyee``) is read as the
code it names, when it names exactly one.

``check_record(table, values, known)`` returns the values to store and the problems found, each
naming its column, the value and the French reason; the caller (``sync.hub``) refuses the row
and keeps it for a coordinator.

The relances' other closed lists live here too, beside their statuses: the statuses that count as
sent or as pending, and why a target is left out of a relance (``RelanceExclusion``, read from
its code or French title by ``relance_exclusion``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Annotated, Any, Literal, get_args

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from models.dispositions import CALLBACK_OUTCOMES, OUTCOME_RULES, Outcome
from models.errors import InvalidValue
from models.vocabulary import fold

RelanceStatus = Literal["a_envoyer", "en_cours", "envoyee", "echec", "exportee", "annulee"]
RELANCE_STATUSES: tuple[str, ...] = get_args(RelanceStatus)
RELANCE_STATUS_LABELS: dict[str, str] = {
    "a_envoyer": "À envoyer",
    "en_cours": "Envoi incertain",
    "envoyee": "Envoyée",
    "echec": "Échec",
    "exportee": "Exportée",
    "annulee": "Annulée",
}
# Relances that count as sent for a campaign's delay and maximum (``en_cours`` may have been delivered).
RELANCE_SENT_STATUSES: tuple[RelanceStatus, ...] = ("envoyee", "exportee", "en_cours")
# Relances still waiting to go out: a send takes them; a structure with one is not prepared again.
RELANCE_PENDING_STATUSES: tuple[RelanceStatus, ...] = ("a_envoyer", "echec")
# Why a campaign target is left out of a relance (``collect.relances.selection.Exclusion``), with
# its short French title; the French reason of each structure says more.
RelanceExclusion = Literal[
    "complete", "refus", "non_eligible", "desinscrite", "hors_regles", "sans_courriel", "maximum", "delai",
    "en_attente", "hors_cible",
]
RELANCE_EXCLUSIONS: tuple[str, ...] = get_args(RelanceExclusion)
RELANCE_EXCLUSION_LABELS: dict[str, str] = {
    "complete": "Questionnaire complet",
    "refus": "A refusé de répondre",
    "non_eligible": "Non éligible",
    "desinscrite": "Désinscrite des courriels",
    "hors_regles": "Hors des règles choisies",
    "sans_courriel": "Aucune adresse e-mail",
    "maximum": "Nombre maximum de relances atteint",
    "delai": "Relancée trop récemment",
    "en_attente": "Relance déjà préparée, pas encore envoyée",
    "hors_cible": "Hors des cibles de la campagne",
}
Canal = Literal["smtp", "export"]
CANAUX: tuple[str, ...] = get_args(Canal)
CANAL_LABELS: dict[str, str] = {"smtp": "Courriel", "export": "Export"}
OUTCOME_LABELS: dict[str, str] = {code: rule.label for code, rule in OUTCOME_RULES.items()}

# The closed columns of each table, with the French label of each code (what people may type).
CLOSED_COLUMNS: dict[str, dict[str, Mapping[str, str]]] = {
    "call_attempts": {"outcome": OUTCOME_LABELS},
    "relances": {"statut": RELANCE_STATUS_LABELS, "canal": CANAL_LABELS},
}

# What a row links to: column → the table that must hold that id.
REFERENCES: dict[str, dict[str, str]] = {
    "call_attempts": {"campaign_id": "campaigns", "structure_id": "structures"},
    "relances": {"campaign_id": "campaigns", "structure_id": "structures"},
    "responses": {"campaign_id": "campaigns", "structure_id": "structures", "questionnaire_id": "questionnaires"},
}
_LINKED = {"campaigns": "campagne", "structures": "structure", "questionnaires": "questionnaire"}

# Date-times outside these years are typing slips (« 01/01/0001 », « 2062 » for 2026): refused.
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100


Required = Annotated[str, Field(min_length=1)]  # a text that must be given


@dataclass(frozen=True)
class RecordProblem:
    """Why a row cannot enter the store: the column (None: the row as a whole), its value, the reason."""

    column: str | None
    value: Any
    reason: str

    def text(self) -> str:
        where = f"colonne « {self.column} » : " if self.column else ""
        quoted = f"« {self.value} »"
        shown = "" if self.value in (None, "") or quoted in self.reason else f"{quoted} "  # a message may quote it
        return f"{where}{shown}{self.reason}"


def _folded_index(labels: Mapping[str, str]) -> dict[str, str | None]:
    """Folded code or label → code (None when a text names several codes)."""
    index: dict[str, str | None] = {}
    for code, label in labels.items():
        for text in (code, label):
            key = fold(text)
            index[key] = code if index.get(key, code) == code else None
    return index


@cache
def _codes_by_folded_text(table: str, column: str) -> dict[str, str | None]:
    return _folded_index(CLOSED_COLUMNS[table][column])


@cache
def _exclusions_by_folded_text() -> dict[str, str | None]:
    return _folded_index(RELANCE_EXCLUSION_LABELS)


def relance_exclusion(text: str) -> RelanceExclusion:
    """The exclusion code ``text`` names: its code or its French title, any case or accents
    (« relancée trop récemment » → ``delai``); anything else → ``InvalidValue`` in French, listing
    the accepted values."""
    code = _exclusions_by_folded_text().get(fold(text)) if text and text.strip() else None
    if code is None:
        listed = ", ".join(f"{known} ({label})" for known, label in RELANCE_EXCLUSION_LABELS.items())
        raise InvalidValue(f"« {text} » n'est pas une raison d'écart connue (attendu : {listed}).")
    return code  # type: ignore[return-value]  # a key of RELANCE_EXCLUSION_LABELS


def code_of(table: str, column: str, text: str) -> str | None:
    """The code a closed column's cell names (its code or its French label, any case or accents), else None."""
    return _codes_by_folded_text(table, column).get(fold(text)) if text and text.strip() else None


def closed_column_reason(table: str, column: str) -> str:
    """The French reason given for a value outside a closed column's list."""
    labels = CLOSED_COLUMNS[table][column]
    listed = ", ".join(f"{code} ({label})" for code, label in labels.items())
    return f"n'est pas une valeur de la liste (attendu : {listed})"


def _closed(table: str, column: str) -> Callable[[Any], Any]:
    def read(value: Any) -> Any:
        if value is None or not isinstance(value, str):
            return value
        code = code_of(table, column, value)
        if code is None:
            raise ValueError(closed_column_reason(table, column))
        return code
    return read


def _plausible(moment: datetime | None) -> datetime | None:
    if moment is not None and not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
        raise ValueError(f"date hors de la période attendue ({EARLIEST_YEAR}–{LATEST_YEAR})")
    return moment


class _Record(BaseModel):
    model_config = ConfigDict(extra="allow")  # values kept exactly as given (a note may end with a newline)

    id: Required


class CallAttemptRecord(_Record):
    """One call: who called which structure in which campaign, when, with what outcome."""

    campaign_id: Required
    structure_id: Required
    surveyor: Required
    attempted_at: AwareDatetime
    outcome: Outcome
    callback_at: AwareDatetime | None = None
    note: str | None = None

    _outcome = field_validator("outcome", mode="before")(_closed("call_attempts", "outcome"))
    _moments = field_validator("attempted_at", "callback_at")(_plausible)

    @model_validator(mode="after")
    def _callback_after_the_call(self) -> CallAttemptRecord:
        if self.outcome in CALLBACK_OUTCOMES:
            if self.callback_at is None:
                raise ValueError("callback_at|un rappel ou un rendez-vous demande sa date et son heure")
            if self.callback_at <= self.attempted_at:
                raise ValueError("callback_at|la date de rappel doit être après l'appel")
        return self


class RelanceRecord(_Record):
    """One relance message of a campaign to a structure."""

    batch_id: Required
    campaign_id: Required
    structure_id: Required
    destinataire: Required
    objet: Required
    corps: Required
    message_id: Required
    canal: Canal
    statut: RelanceStatus
    tentatives: int = Field(default=0, ge=0, le=1000)
    sent_at: AwareDatetime | None = None

    _canal = field_validator("canal", mode="before")(_closed("relances", "canal"))
    _statut = field_validator("statut", mode="before")(_closed("relances", "statut"))
    _moments = field_validator("sent_at")(_plausible)


class ResponseRecord(_Record):
    """One revision of a survey response (written by devices only)."""

    structure_id: Required
    campaign_id: Required
    questionnaire_id: Required
    surveyor: Required
    revision: int = Field(ge=1)
    answers: dict[str, Any]
    submitted_at: AwareDatetime

    _moments = field_validator("submitted_at")(_plausible)


RECORD_MODELS: dict[str, type[_Record]] = {
    "call_attempts": CallAttemptRecord,
    "relances": RelanceRecord,
    "responses": ResponseRecord,
}

_REASONS = {
    "missing": "ce champ est obligatoire",
    "string_too_short": "ce champ est obligatoire",
    "timezone_aware": "la date et l'heure doivent porter leur fuseau horaire",
    "datetime_parsing": "n'est pas une date et heure",
    "datetime_type": "n'est pas une date et heure",
    "int_parsing": "n'est pas un nombre entier",
    "int_type": "n'est pas un nombre entier",
    "greater_than_equal": "est trop petit",
    "less_than_equal": "est trop grand",
    "dict_type": "n'est pas un objet JSON (réponses par question)",
}


def _problems(error: ValidationError, values: Mapping[str, Any]) -> list[RecordProblem]:
    problems: list[RecordProblem] = []
    for item in error.errors(include_url=False):
        column = str(item["loc"][0]) if item["loc"] else None
        message = str(item.get("ctx", {}).get("error", "")) or item["msg"]
        if item.get("input") is None and item["type"] != "value_error":
            message = _REASONS["missing"]
        elif item["type"] == "literal_error":
            message = "n'est pas une valeur de la liste"
        elif item["type"] in _REASONS:
            message = _REASONS[item["type"]]
        elif item["type"] != "value_error":
            message = "n'a pas la forme attendue"  # never pydantic's English
        if column is None and "|" in message:  # a rule on several columns names the one to fix
            column, message = message.split("|", 1)
        problems.append(RecordProblem(column, values.get(column) if column else None, message))
    return problems


def check_record(
    table: str, values: Mapping[str, Any], known: Callable[[str, str], bool] | None = None,
) -> tuple[dict[str, Any], list[RecordProblem]]:
    """The values to store for a row of ``table`` (codes for labels) and the problems found.

    :param known: ``known("campaigns", id)`` says whether this device holds the record a row links to;
        None skips those checks. A table without a model (``structures`` has its own) is taken as is.
    """
    model = RECORD_MODELS.get(table)
    if model is None:
        return dict(values), []
    try:
        record = model.model_validate(dict(values))
    except ValidationError as error:
        return dict(values), _problems(error, values)
    checked = dict(values)
    checked.update({name: getattr(record, name) for name in model.model_fields if name in values})
    problems = [
        RecordProblem(column, checked[column], f"{_LINKED[linked]} inconnue sur cet appareil"
                      if linked != "questionnaires" else "questionnaire inconnu sur cet appareil")
        for column, linked in REFERENCES.get(table, {}).items()
        if known is not None and checked.get(column) and not known(linked, str(checked[column]))
    ]
    return checked, problems
