"""Declarative questionnaires: a YAML file (keys in French) validated by pydantic.

A questionnaire has sections; a section has questions. Each question has a stable ``code``
(answers are stored under it), a French label and help, a type, and optionally: required (with
its message), constraints (min/max, pattern, number of choices, or an expression) with a French
message, and a condition ``visible_si`` on earlier answers written in the small expression
language of ``collect.expressions`` (XLSForm's ``relevant`` syntax: ``${code} = 'oui'``,
``selected(${services}, 'x')``, ``and``/``or``/``not``; never ``eval``).

*Registry questions* (``type: registre``) show what the registry knows of the structure for one of
its fields (``champ: services``) and, once confirmed, write the answer back to the registry. Their
widget and choices come from the field: a list of the standard gets the standard's choices.

Example::

    code: diagnostic
    titre: Diagnostic territorial
    sections:
      - code: offre
        titre: L'offre du lieu
        questions:
          - code: services
            type: registre
            champ: services
          - code: partenariats
            type: oui_non
            libelle: Souhaitez-vous développer des partenariats ?
            obligatoire: true
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from collect.expressions import ExpressionError, parse_expression
from models.errors import MaillageError
from models.standard import standard_v1
from models.structure import Structure, enumerated_fields, list_fields

QuestionType = Literal[
    "texte",
    "texte_long",
    "entier",
    "decimal",
    "date",
    "oui_non",
    "choix_unique",
    "choix_multiple",
    "telephone",
    "courriel",
    "url",
    "horaires",
    "registre",
    "note",
]
QUESTION_TYPES: tuple[str, ...] = get_args(QuestionType)

# Types typed on a keyboard (they need the keystroke-saving text widget in the survey page).
TYPED_TYPES = ("texte", "texte_long", "entier", "decimal", "telephone", "courriel", "url", "horaires")

# Registry fields a registry question may confirm, with the question type their widget behaves as.
REGISTRY_FIELD_TYPES: dict[str, str] = {
    "nom": "texte",
    "adresse": "texte",
    "complement_adresse": "texte",
    "telephone": "telephone",
    "courriels": "texte",
    "site_web": "texte",
    "horaires": "horaires",
    "presentation_resume": "texte_long",
    "presentation_detail": "texte_long",
    "autres_formations_labels": "texte",
    "prise_rdv": "url",
    "fiche_acces_libre": "url",
    "typologie": "choix_multiple",
    **{name: "choix_multiple" for name in enumerated_fields()},
}

_CODE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


class QuestionnaireInvalid(MaillageError):
    """A questionnaire file is malformed; the message lists every problem in French, with where."""


class Choice(BaseModel):
    """One answer a choice question offers: a stable code and its French label."""

    model_config = ConfigDict(extra="forbid")

    code: str
    libelle: str


class Question(BaseModel):
    """One question, with its checks and its condition."""

    model_config = ConfigDict(extra="forbid")

    code: str
    type: QuestionType
    libelle: str | None = None
    aide: str | None = None
    obligatoire: bool = False
    message_obligatoire: str | None = None
    choix: list[Choice] = Field(default_factory=list)
    min: float | date | None = None
    max: float | date | None = None
    min_choix: int | None = None
    max_choix: int | None = None
    motif: str | None = None
    contrainte: str | None = None
    message_contrainte: str | None = None
    visible_si: str | None = None
    champ: str | None = None  # registry field of a registry question
    personnel: bool = False  # personal data: kept for the campaign, never exported nor shown to the committee
    publiable: bool = False  # a free-text answer the committee may read

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        if not _CODE.match(value):
            raise ValueError(
                f"code « {value} » invalide : lettres minuscules sans accent, chiffres et _, commençant par une lettre"
            )
        return value

    @field_validator("choix", mode="before")
    @classmethod
    def _choices(cls, value: Any) -> Any:
        """Choices may be written as a list of labels, of {code: libellé} pairs, or of objects."""
        if not isinstance(value, list):
            return value
        choices = []
        for item in value:
            if isinstance(item, str):
                choices.append({"code": _code_of_label(item), "libelle": item})
            elif isinstance(item, dict) and len(item) == 1 and "code" not in item:
                ((code, label),) = item.items()
                choices.append({"code": str(code), "libelle": str(label)})
            else:
                choices.append(item)
        return choices

    @field_validator("motif")
    @classmethod
    def _pattern(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as error:
                raise ValueError(f"motif « {value} » illisible : {error}") from None
        return value

    @field_validator("visible_si", "contrainte")
    @classmethod
    def _expression(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                parse_expression(value)
            except ExpressionError as error:
                raise ValueError(str(error)) from None
        return value

    @model_validator(mode="after")
    def _coherent(self) -> Question:
        if self.type == "registre":
            if not self.champ:
                raise ValueError("une question « registre » doit dire quel champ du registre elle confirme (champ: …)")
            if self.champ not in REGISTRY_FIELD_TYPES:
                raise ValueError(
                    f"champ « {self.champ} » : pas un champ du registre qu'une question peut confirmer "
                    f"(possibles : {', '.join(sorted(REGISTRY_FIELD_TYPES))})"
                )
            if self.champ in Structure.model_fields and not self.libelle:
                self.libelle = _registry_label(self.champ)
            if not self.choix and self.answer_type in ("choix_unique", "choix_multiple"):
                self.choix = registry_choices(self.champ)
        elif self.champ:
            raise ValueError("« champ » n'a de sens que pour une question de type registre")
        if self.type in ("choix_unique", "choix_multiple") and not self.choix:
            raise ValueError("une question à choix doit lister ses choix")
        codes = [c.code for c in self.choix]
        if len(codes) != len(set(codes)):
            raise ValueError("deux choix ont le même code")
        if not self.libelle:
            raise ValueError("libellé manquant")
        if self.type == "note" and self.obligatoire:
            raise ValueError("une note ne peut pas être obligatoire")
        return self

    @property
    def answer_type(self) -> str:
        """How the answer behaves: a registry question takes its field's type."""
        if self.type == "registre":
            assert self.champ is not None
            return REGISTRY_FIELD_TYPES[self.champ]
        return self.type

    @property
    def is_list(self) -> bool:
        """True when the answer is a list (multiple choice, or a list field of the registry)."""
        return self.answer_type == "choix_multiple" or (self.type == "registre" and self.champ in list_fields())

    @property
    def is_typed(self) -> bool:
        return self.answer_type in TYPED_TYPES

    def choice_label(self, code: str) -> str:
        for choice in self.choix:
            if choice.code == code:
                return choice.libelle
        return code


class Section(BaseModel):
    """A page of the form."""

    model_config = ConfigDict(extra="forbid")

    code: str
    titre: str
    description: str | None = None
    questions: list[Question]

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        if not _CODE.match(value):
            raise ValueError(f"code de section « {value} » invalide")
        return value


class Questionnaire(BaseModel):
    """A whole questionnaire: its code, title, version number and sections."""

    model_config = ConfigDict(extra="forbid")

    code: str
    titre: str
    version: int = 1
    description: str | None = None
    sections: list[Section]

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        if not _CODE.match(value):
            raise ValueError(f"code de questionnaire « {value} » invalide")
        return value

    @model_validator(mode="after")
    def _references(self) -> Questionnaire:
        """Codes are unique; a condition only refers to questions asked before it."""
        seen: dict[str, Question] = {}
        problems = []
        for question in self.questions():
            if question.code in seen:
                problems.append(f"question « {question.code} » : code en double")
            for name, text in (("visible_si", question.visible_si), ("contrainte", question.contrainte)):
                if text is None:
                    continue
                for ref in parse_expression(text).references():
                    if ref not in seen and not (name == "contrainte" and ref == question.code):
                        problems.append(
                            f"question « {question.code} », {name} : ${{{ref}}} n'est pas une question posée avant"
                        )
            seen[question.code] = question
        if problems:
            raise ValueError(" ; ".join(problems))
        return self

    def questions(self) -> Iterator[Question]:
        """Every question, in order."""
        for section in self.sections:
            yield from section.questions

    def question(self, code: str) -> Question:
        for question in self.questions():
            if question.code == code:
                return question
        raise KeyError(code)

    def section_of(self, code: str) -> Section:
        for section in self.sections:
            if any(q.code == code for q in section.questions):
                return section
        raise KeyError(code)


def _code_of_label(label: str) -> str:
    from collect.legacy import fold

    code = re.sub(r"[^a-z0-9]+", "_", fold(label)).strip("_")
    return code[:63] or "choix"


@cache
def _schema_titles() -> dict[str, str]:
    import json

    from models.standard import SCHEMA_V1_PATH

    return {f["name"]: f.get("title") or f["name"] for f in json.loads(SCHEMA_V1_PATH.read_text())["fields"]}


def _registry_label(name: str) -> str:
    return _schema_titles().get(name, name)


def registry_choices(name: str) -> list[Choice]:
    """The choices of a registry list field: the standard's values (code = the value itself)."""
    if name == "typologie":
        from models.typologies import typologies

        return [Choice(code=code, libelle=f"{label} ({code})") for code, label in sorted(typologies().items())]
    return [Choice(code=value, libelle=value) for value in standard_v1().choices(name)]


def _where(loc: tuple[Any, ...], raw: dict[str, Any]) -> str:
    """« section 2 (offre), question 3 (services) » from a pydantic location."""
    parts = []
    node: Any = raw
    for index, key in enumerate(loc):
        if isinstance(node, dict):
            node = node.get(key) if isinstance(key, str) else None
        elif isinstance(node, list) and isinstance(key, int) and key < len(node):
            node = node[key]
            label = {"sections": "section", "questions": "question", "choix": "choix"}.get(str(loc[index - 1]), "élément")
            name = node.get("code") if isinstance(node, dict) else None
            parts.append(f"{label} {key + 1}" + (f" ({name})" if name else ""))
            continue
        else:
            node = None
        if isinstance(key, str) and key not in ("sections", "questions", "choix"):
            parts.append(f"champ {key}")
    return ", ".join(parts) or "racine"


def questionnaire_from_dict(raw: Any, *, source: str = "questionnaire") -> Questionnaire:
    """Validate a parsed questionnaire; raise ``QuestionnaireInvalid`` listing every problem in French."""
    if not isinstance(raw, dict):
        raise QuestionnaireInvalid(f"{source} : le fichier doit décrire un questionnaire (code, titre, sections).")
    try:
        return Questionnaire.model_validate(raw)
    except ValidationError as error:
        lines = []
        for detail in error.errors():
            message = detail["msg"].removeprefix("Value error, ")
            if detail["type"] == "missing":
                message = "obligatoire, absent"
            elif detail["type"] == "extra_forbidden":
                message = "clé inconnue"
            elif detail["type"] == "literal_error" and detail["loc"][-1] == "type":
                message = f"type « {detail.get('input')} » inconnu (types : {', '.join(QUESTION_TYPES)})"
            lines.append(f"{source} : {_where(tuple(detail['loc']), raw)} : {message}")
        raise QuestionnaireInvalid("\n".join(lines)) from None


def load_questionnaire(path: str | Path) -> Questionnaire:
    """Read and validate a questionnaire YAML file (French messages with where, never a traceback)."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise QuestionnaireInvalid(f"{path.name} : fichier introuvable.") from None
    except UnicodeDecodeError:
        raise QuestionnaireInvalid(f"{path.name} : le fichier doit être en UTF-8.") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"ligne {mark.line + 1}, colonne {mark.column + 1}" if mark else "syntaxe"
        raise QuestionnaireInvalid(f"{path.name} : YAML illisible ({where}) : {getattr(error, 'problem', error)}.") from None
    return questionnaire_from_dict(raw, source=path.name)


DEFAULT_QUESTIONNAIRE_PATH = Path(__file__).resolve().parent / "questionnaires" / "diagnostic.yaml"


@cache
def default_questionnaire() -> Questionnaire:
    """The product's default questionnaire of a territorial diagnostic (``collect/questionnaires/diagnostic.yaml``)."""
    return load_questionnaire(DEFAULT_QUESTIONNAIRE_PATH)


def questionnaire_to_yaml(questionnaire: Questionnaire) -> str:
    """The questionnaire as YAML, as ``load_questionnaire`` reads it back."""
    data = questionnaire.model_dump(mode="json", exclude_defaults=True)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
