"""Questionnaire versions, campaigns, drafts saved field by field, and immutable responses.

The life of a survey (ODK Central's rules: a submission is never lost, never overwritten):

1. ``publish_questionnaire`` stores a questionnaire as a new *version* (its definition is kept
   whole, so a response made under v1 still reads after v2 is published).
2. A campaign (``collect.campaigns``) is surveyed with one questionnaire version at a time; drafts
   and responses keep the version they started with.
3. ``open_draft`` gives the draft of one structure × campaign × surveyor. ``save_answer`` stores
   ONE field at once (``draft_values``), with a revision number: a tab that saves over a value
   another tab changed since it loaded gets a ``conflict`` back instead of overwriting it. For a
   registry answer it also keeps the registry's value the tab showed (``registry_base``).
   ``save_answers`` saves several answers of a draft in one go (a correction's pre-filled
   answers, the demo), each by the same rule: ``save_answer`` is it with one answer.
4. ``submit_draft`` checks every visible answer (``check_answers``), writes an immutable
   response and the registry answers the surveyor changed (a new version of the structure) in one
   transaction. Submitting twice (a double click) returns the same response.
5. A correction (``open_correction``) is a new draft pre-filled from a response; submitting it
   makes revision n+1 pointing at the response it supersedes, with who and when.

The registry write-back is field-level (``models.registry.edit_structure``): only the registry
answers the surveyor changed in this revision are written — changed from what the registry held
when they saw it, or, for a correction, from the revision it corrects — each based on that value.
A field someone changed on the fiche meanwhile is not overwritten: it is kept as a conflict to
resolve on the fiche. A correction of an unrelated answer writes nothing to the registry.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import duckdb

from collect.campaigns import get_campaign
from collect.expressions import parse_expression
from collect.follow_ups import ResponseSubmitted, follow_up
from collect.questionnaire import Question, Questionnaire, questionnaire_from_dict
from models import normalize
from models.access import require
from models.audit import record_audit
from models.cog import departement_of_place
from models.edits import FieldConflict, same_value
from models.errors import InvalidValue, MaillageError
from models.ids import new_id
from models.registry import edit_structure, get_structure
from models.store import Store, fetch_dicts, utc_now
from models.structure import list_fields
from models.vocabulary import normalize_bool


class SurveyError(MaillageError):
    """A survey action is impossible (unknown draft, campaign or questionnaire); message in French."""


# -- questionnaires -----------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredQuestionnaire:
    """A published version of a questionnaire."""

    id: str
    code: str
    version: int
    questionnaire: Questionnaire
    published_at: datetime


def _definition_json(questionnaire: Questionnaire) -> str:
    data = questionnaire.model_dump(mode="json", exclude={"version"})
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def publish_questionnaire(con: duckdb.DuckDBPyConnection, questionnaire: Questionnaire, *, by: str) -> StoredQuestionnaire:
    """Store ``questionnaire`` as its next version; publishing an unchanged definition is a no-op.

    The version number is the store's: one more than the latest of that code (the file's
    ``version`` is only a hint), so two devices never publish two different "v2".
    """
    require(con, by, "gerer_questionnaires")
    definition = _definition_json(questionnaire)
    digest = hashlib.sha256(definition.encode()).hexdigest()
    latest = latest_questionnaire(con, questionnaire.code)
    if latest is not None and _definition_json(latest.questionnaire) == definition:
        return latest
    version = (latest.version + 1) if latest else max(1, questionnaire.version)
    stored = questionnaire.model_copy(update={"version": version})
    now = utc_now()
    questionnaire_id = new_id()
    con.execute(
        "INSERT INTO questionnaires (id, code, version, titre, definition, sha256, published_at, created_at, updated_at,"
        " updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [questionnaire_id, stored.code, version, stored.titre, stored.model_dump_json(), digest, now, now, now, by],
    )
    record_audit(con, actor=by, action="questionnaire.publish", entity="questionnaires", entity_id=questionnaire_id,
                 details={"code": stored.code, "version": version})
    return StoredQuestionnaire(questionnaire_id, stored.code, version, stored, now)


def _stored(row: Mapping[str, Any]) -> StoredQuestionnaire:
    questionnaire = questionnaire_from_dict(json.loads(row["definition"]), source=f"{row['code']} v{row['version']}")
    return StoredQuestionnaire(row["id"], row["code"], row["version"], questionnaire, row["published_at"])


_QUESTIONNAIRE_CACHE: dict[str, StoredQuestionnaire] = {}


def get_questionnaire(con: duckdb.DuckDBPyConnection, questionnaire_id: str) -> StoredQuestionnaire:
    """A published version by id (versions are immutable, so they are cached by id)."""
    cached = _QUESTIONNAIRE_CACHE.get(questionnaire_id)
    if cached is not None:
        return cached
    rows = fetch_dicts(con, "SELECT * FROM questionnaires WHERE id = ?", [questionnaire_id])
    if not rows:
        raise SurveyError(f"Questionnaire introuvable : {questionnaire_id}")
    stored = _QUESTIONNAIRE_CACHE[questionnaire_id] = _stored(rows[0])
    return stored


def latest_questionnaire(con: duckdb.DuckDBPyConnection, code: str) -> StoredQuestionnaire | None:
    """The latest published version of a questionnaire code, or None."""
    rows = fetch_dicts(
        con, "SELECT id FROM questionnaires WHERE code = ? AND deleted_at IS NULL ORDER BY version DESC LIMIT 1", [code]
    )
    return get_questionnaire(con, rows[0]["id"]) if rows else None


def list_questionnaires(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Every published version: id, code, version, titre, published_at (newest first per code)."""
    return fetch_dicts(
        con,
        "SELECT id, code, version, titre, published_at FROM questionnaires WHERE deleted_at IS NULL"
        " ORDER BY code, version DESC",
    )


# -- drafts -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DraftValue:
    """One saved answer of a draft: the value as typed, its revision, when and from which tab."""

    value: Any
    revision: int
    updated_at: datetime
    session_id: str | None
    updated_by: str


@dataclass
class Draft:
    """A draft (structure × campaign × surveyor) with its answers by question code."""

    id: str
    structure_id: str
    campaign_id: str
    surveyor: str
    questionnaire_id: str
    section: str | None
    supersedes: str | None
    submitted_response_id: str | None
    created_at: datetime
    updated_at: datetime
    values: dict[str, DraftValue] = field(default_factory=dict)
    # question code → the registry's value shown when that registry answer was first changed
    registry_bases: dict[str, Any] = field(default_factory=dict)

    def answers(self) -> dict[str, Any]:
        return {code: value.value for code, value in self.values.items()}

    @property
    def last_saved_at(self) -> datetime:
        """When an answer of this draft was last saved (its creation time when it has none)."""
        return max([v.updated_at for v in self.values.values()], default=self.created_at)


def _draft_from_row(con: duckdb.DuckDBPyConnection, row: Mapping[str, Any]) -> Draft:
    draft = Draft(**{name: row[name] for name in Draft.__dataclass_fields__ if name not in ("values", "registry_bases")})
    for value_row in fetch_dicts(
        con,
        "SELECT question_code, value, revision, updated_at, session_id, updated_by, registry_base FROM draft_values"
        " WHERE draft_id = ?",
        [draft.id],
    ):
        draft.values[value_row["question_code"]] = _draft_value(value_row)
        if value_row["registry_base"] is not None:  # SQL NULL: not known; JSON null: the registry had none
            draft.registry_bases[value_row["question_code"]] = json.loads(value_row["registry_base"])
    return draft


def _draft_value(row: Mapping[str, Any]) -> DraftValue:
    return DraftValue(json.loads(row["value"]) if row["value"] is not None else None, row["revision"],
                      row["updated_at"], row["session_id"], row["updated_by"])


def load_draft(con: duckdb.DuckDBPyConnection, draft_id: str) -> Draft:
    """A draft and every saved answer."""
    rows = fetch_dicts(con, "SELECT * FROM drafts WHERE id = ?", [draft_id])
    return _draft_from_row(con, _found(rows[0] if rows else None, draft_id))


def _found(row: Mapping[str, Any] | None, draft_id: str) -> Mapping[str, Any]:
    """The draft's row; the French error of an unknown draft when there is none."""
    if row is None:
        raise SurveyError(f"Brouillon introuvable : {draft_id}")
    return row


def _require_on_draft(con: duckdb.DuckDBPyConnection, draft_id: str, by: str) -> dict[str, Any] | None:
    """The right to fill this draft's survey (a surveyor: on a structure assigned to them); returns
    the draft's row once the right is checked (None when there is no such draft)."""
    rows = fetch_dicts(con, "SELECT * FROM drafts WHERE id = ?", [draft_id])
    if rows:
        require(con, by, "saisir_enquete", campaign_id=rows[0]["campaign_id"], structure_id=rows[0]["structure_id"])
        return rows[0]
    require(con, by, "saisir_enquete")
    return None


def find_draft(
    con: duckdb.DuckDBPyConnection, *, structure_id: str, campaign_id: str, surveyor: str
) -> Draft | None:
    """The open (not submitted, not deleted) draft of a structure × campaign × surveyor, if any."""
    rows = fetch_dicts(
        con,
        "SELECT * FROM drafts WHERE structure_id = ? AND campaign_id = ? AND surveyor = ?"
        " AND submitted_response_id IS NULL AND deleted_at IS NULL ORDER BY created_at DESC LIMIT 1",
        [structure_id, campaign_id, surveyor],
    )
    return _draft_from_row(con, rows[0]) if rows else None


def open_draft(
    con: duckdb.DuckDBPyConnection, *, structure_id: str, campaign_id: str, surveyor: str, by: str
) -> Draft:
    """The open draft of a structure × campaign × surveyor, created (empty) if there is none."""
    require(con, by, "saisir_enquete", campaign_id=campaign_id, structure_id=structure_id)
    existing = find_draft(con, structure_id=structure_id, campaign_id=campaign_id, surveyor=surveyor)
    if existing is not None:
        return existing
    if get_structure(con, structure_id) is None:
        raise SurveyError(f"Structure introuvable : {structure_id}")
    campaign = get_campaign(con, campaign_id)
    return _create_draft(con, structure_id, campaign_id, surveyor, campaign["questionnaire_id"], by=by)


def draft_or_response(
    con: duckdb.DuckDBPyConnection, *, structure_id: str, campaign_id: str, surveyor: str, draft_id: str | None = None,
) -> tuple[Draft | None, dict[str, Any] | None]:
    """What the survey page opens for a structure × campaign: the draft ``draft_id`` (any surveyor's,
    to take it over) while it is still open and about this structure; else the surveyor's open
    draft; else the last response submitted (shown read-only, its correction opens a new draft);
    else a new empty draft. Returns ``(draft, None)`` or ``(None, response)``."""
    if draft_id:
        named = load_draft(con, draft_id)
        if named.submitted_response_id is None and named.structure_id == structure_id:
            return named, None
    draft = find_draft(con, structure_id=structure_id, campaign_id=campaign_id, surveyor=surveyor)
    if draft is not None:
        return draft, None
    responses = list_responses(con, campaign_id=campaign_id, structure_ids=[structure_id])
    if responses:
        return None, responses[0]
    return open_draft(con, structure_id=structure_id, campaign_id=campaign_id, surveyor=surveyor, by=surveyor), None


def _create_draft(
    con: duckdb.DuckDBPyConnection, structure_id: str, campaign_id: str, surveyor: str, questionnaire_id: str,
    *, by: str, supersedes: str | None = None,
) -> Draft:
    now = utc_now()
    draft = Draft(new_id(), structure_id, campaign_id, surveyor, questionnaire_id, section=None, supersedes=supersedes,
                  submitted_response_id=None, created_at=now, updated_at=now)
    con.execute(
        "INSERT INTO drafts (id, structure_id, campaign_id, surveyor, questionnaire_id, supersedes, created_at,"
        " updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [draft.id, structure_id, campaign_id, surveyor, questionnaire_id, supersedes, draft.created_at,
         draft.updated_at, by],
    )
    return draft  # as written: a new draft has no answer yet


NO_BASE: Any = object()  # ``save_answer`` was given no registry value (not a registry question, or unknown)


@dataclass(frozen=True)
class SaveOutcome:
    """What ``save_answer`` did: saved (with the new revision), or refused because of a conflict."""

    saved: bool
    revision: int
    saved_at: datetime | None
    conflict: DraftValue | None = None


def save_answer(
    con: duckdb.DuckDBPyConnection,
    draft_id: str,
    code: str,
    value: Any,
    *,
    base_revision: int,
    session_id: str,
    by: str,
    registry_base: Any = NO_BASE,
) -> SaveOutcome:
    """Save one answer of a draft at once, unless another tab changed it since ``base_revision``.

    :param base_revision: the revision of this answer the tab loaded (0 when it had none).
    :param registry_base: for a registry question, the registry's value the tab showed; the first
        one known is kept with the answer: submitting writes the answer to the registry only if it
        differs from it, and only if the registry still holds it (``edit_structure``).
    Returns ``saved=False`` and the other tab's value in ``conflict`` when saving would overwrite
    a change made elsewhere; saving the value already stored is a no-op that succeeds.
    """
    return save_answers(
        con, draft_id, {code: value}, base_revisions={code: base_revision}, session_id=session_id, by=by,
        registry_bases={} if registry_base is NO_BASE else {code: registry_base},
    )[code]


def _encoded(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


# Long: one right check, one read and one write for every answer, each answer ruled as ``save_answer``
# rules it; the three steps share the draft's stored answers.
def save_answers(
    con: duckdb.DuckDBPyConnection,
    draft_id: str,
    answers: Mapping[str, Any],
    *,
    session_id: str,
    by: str,
    base_revisions: Mapping[str, int] | None = None,
    registry_bases: Mapping[str, Any] | None = None,
) -> dict[str, SaveOutcome]:
    """Save several answers of one draft at once (question code → value), each as ``save_answer``
    would: one right check, one read of the stored answers and one write for all of them.

    :param base_revisions: the revision of each answer the tab loaded; an answer not given had
        none (0).
    :param registry_bases: for registry questions, the registry's value the tab showed (see
        ``save_answer``); an answer not given has none.
    Returns the outcome of each answer by code: an answer another tab changed is refused (its
    value in ``conflict``) while the others are saved.
    """
    _require_on_draft(con, draft_id, by)
    if not answers:
        return {}
    base_revisions = base_revisions or {}
    registry_bases = registry_bases or {}
    codes = list(answers)
    stored = {row["question_code"]: row for row in fetch_dicts(
        con,
        "SELECT question_code, value, revision, updated_at, session_id, updated_by FROM draft_values"
        f" WHERE draft_id = ? AND question_code IN ({', '.join('?' * len(codes))})",
        [draft_id, *codes],
    )}
    now = utc_now()
    outcomes: dict[str, SaveOutcome] = {}
    new: list[tuple[str, str, str | None]] = []  # (code, value, registry base): no answer stored yet
    changed: list[tuple[str, str, int, str | None]] = []  # (code, value, revision, registry base)
    for code, value in answers.items():
        encoded = _encoded(value)
        base = _encoded(registry_bases[code]) if code in registry_bases else None
        current = stored.get(code)
        if current is None:
            new.append((code, encoded, base))
            outcomes[code] = SaveOutcome(True, 1, now)
        elif current["value"] == encoded:
            outcomes[code] = SaveOutcome(True, current["revision"], current["updated_at"])
        elif current["revision"] != base_revisions.get(code, 0) and current["session_id"] != session_id:
            outcomes[code] = SaveOutcome(False, current["revision"], None, conflict=_draft_value(current))
        else:
            changed.append((code, encoded, current["revision"] + 1, base))
            outcomes[code] = SaveOutcome(True, current["revision"] + 1, now)
    # A plain INSERT of the new answers and UPDATE of the others, never an upsert (several times
    # slower in DuckDB): what is stored was read in this transaction. Another tab saving one of
    # these answers at once makes one of the two fail (a duplicate key, « Conflict on update »: an
    # upsert fails the same way); ``Store.transaction`` runs it again, and it then sees the other's.
    if new:
        con.execute(
            "INSERT INTO draft_values (draft_id, question_code, value, revision, session_id, updated_at, updated_by,"
            " registry_base) SELECT ?, unnest(?::VARCHAR[]), unnest(?::JSON[]), 1, ?, ?, ?, unnest(?::JSON[])",
            [draft_id, [code for code, _, _ in new], [value for _, value, _ in new], session_id, now, by,
             [base for _, _, base in new]],
        )
    if changed:  # one statement per answer: faster than a join for the single answer a page saves
        con.executemany(
            "UPDATE draft_values SET value = ?, revision = ?, session_id = ?, updated_at = ?, updated_by = ?,"
            " registry_base = coalesce(registry_base, ?::JSON) WHERE draft_id = ? AND question_code = ?",
            [(value, revision, session_id, now, by, base, draft_id, code) for code, value, revision, base in changed],
        )
    return outcomes


def set_draft_section(con: duckdb.DuckDBPyConnection, draft_id: str, section: str, *, by: str) -> None:
    """Remember the section the surveyor is on, so a reload comes back to it."""
    _require_on_draft(con, draft_id, by)
    con.execute(
        "UPDATE drafts SET section = ?, updated_at = ?, updated_by = ? WHERE id = ? AND section IS DISTINCT FROM ?",
        [section, utc_now(), by, draft_id, section],
    )


def delete_draft(con: duckdb.DuckDBPyConnection, draft_id: str, *, by: str) -> None:
    """Abandon a draft (soft delete: its values stay readable in the store)."""
    _require_on_draft(con, draft_id, by)
    con.execute("UPDATE drafts SET deleted_at = ?, updated_at = ?, updated_by = ? WHERE id = ?",
                [utc_now(), utc_now(), by, draft_id])
    record_audit(con, actor=by, action="draft.delete", entity="drafts", entity_id=draft_id)


# -- answers ------------------------------------------------------------------------------------


def registry_value(question: Question, structure: Mapping[str, Any] | None) -> Any:
    """What the registry knows for a registry question (a list for list fields), else None."""
    if question.type != "registre" or structure is None:
        return None
    assert question.champ is not None
    value = structure.get(question.champ)
    if question.champ in list_fields():
        return list(value or [])
    return value


def effective_answers(questionnaire: Questionnaire, draft: Draft, structure: Mapping[str, Any] | None) -> dict[str, Any]:
    """The draft's answers, where a registry question not yet touched shows the registry's value."""
    answers = draft.answers()
    for question in questionnaire.questions():
        if question.type == "registre" and question.code not in answers:
            answers[question.code] = registry_value(question, structure)
    return answers


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or (isinstance(value, str) and not value.strip())


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if str(v).strip()]
    return [part.strip() for part in re.split(r"\s*\|\s*", str(value)) if part.strip()]


_INTEGER = re.compile(r"^[+-]?\d+$")


def parse_answer(question: Question, raw: Any, *, departement: str | None = None) -> Any:
    """The answer in its stored form (int, float, bool, ISO date, list of codes, E.164…), or raise
    ``InvalidValue`` with a French message."""
    kind = question.answer_type
    if kind in ("texte", "texte_long"):
        if question.type == "registre" and question.is_list:
            items = _as_list(raw)
            if question.champ == "courriels":
                return [normalize.normalize_email(item) for item in items]
            if question.champ == "site_web":
                return [normalize.normalize_url(item) for item in items]
            return items
        return normalize.clean_text(raw) if not isinstance(raw, str) else raw.strip()
    if kind == "entier":
        text = re.sub(r"[\s\u00a0\u202f]", "", str(raw))
        if text.endswith((",0", ".0")):
            text = text[:-2]
        if not _INTEGER.match(text):
            raise InvalidValue(f"« {raw} » n'est pas un nombre entier.")
        return int(text)
    if kind == "decimal":
        return normalize.normalize_decimal(raw)
    if kind == "date":
        return normalize.normalize_date(raw).isoformat()
    if kind == "oui_non":
        if isinstance(raw, bool):
            return raw
        return normalize_bool(raw)
    if kind == "choix_unique":
        codes = {c.code for c in question.choix}
        if str(raw) not in codes:
            raise InvalidValue(f"« {raw} » n'est pas un des choix proposés.")
        return str(raw)
    if kind == "choix_multiple":
        codes = [c.code for c in question.choix]
        chosen = _as_list(raw)
        unknown = [item for item in chosen if item not in codes]
        if unknown:
            raise InvalidValue(f"« {unknown[0]} » n'est pas un des choix proposés.")
        return [code for code in codes if code in chosen]  # in the questionnaire's order
    if kind == "telephone":
        return normalize.normalize_phone(raw, departement=departement)
    if kind == "courriel":
        return normalize.normalize_email(raw)
    if kind == "url":
        return normalize.normalize_url(raw)
    if kind == "horaires":
        return normalize.normalize_horaires(raw)
    return raw


def _number_or_date(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _bound_text(value: Any) -> str:
    """A bound as a French reader writes it: 50, 2,5, 01/01/1990."""
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).replace(".", ",")


def _constraint_error(question: Question, value: Any, answers: Mapping[str, Any], today: date | None) -> str | None:
    """The French message when ``value`` breaks a constraint of ``question``, else None."""
    message = question.message_contrainte
    kind = question.answer_type
    if kind in ("entier", "decimal", "date"):
        low, high = _number_or_date(question.min), _number_or_date(question.max)
        if low is not None and value < low:
            return message or f"La valeur doit être au moins {_bound_text(question.min)}."
        if high is not None and value > high:
            return message or f"La valeur doit être au plus {_bound_text(question.max)}."
    if isinstance(value, list):
        if question.min_choix is not None and len(value) < question.min_choix:
            return message or f"Choisissez au moins {question.min_choix} réponse(s)."
        if question.max_choix is not None and len(value) > question.max_choix:
            return message or f"Choisissez au plus {question.max_choix} réponse(s)."
    if question.motif and isinstance(value, str) and not re.search(question.motif, value):
        return message or "La réponse n'a pas la forme attendue."
    if question.contrainte and not parse_expression(question.contrainte).is_true(answers, current=value, today=today):
        return message or "La réponse ne respecte pas la contrainte de la question."
    return None


def is_visible(question: Question, answers: Mapping[str, Any], *, today: date | None = None) -> bool:
    """Whether a question is asked, given the answers so far (its ``visible_si``)."""
    if not question.visible_si:
        return True
    return parse_expression(question.visible_si).is_true(answers, today=today)


@dataclass
class CheckedAnswers:
    """Answers checked against a questionnaire: the stored form of each visible answer, and the
    French error of each question that is wrong (by code)."""

    answers: dict[str, Any]
    errors: dict[str, str]
    visible: list[str]


def check_answers(
    questionnaire: Questionnaire,
    raw_answers: Mapping[str, Any],
    *,
    departement: str | None = None,
    today: date | None = None,
) -> CheckedAnswers:
    """Check every visible question in order: type, required, constraints. Hidden answers are dropped."""
    answers: dict[str, Any] = {}
    errors: dict[str, str] = {}
    visible: list[str] = []
    for question in questionnaire.questions():
        if not is_visible(question, answers, today=today):
            continue
        visible.append(question.code)
        if question.type == "note":
            continue
        raw = raw_answers.get(question.code)
        if _is_empty(raw):
            if question.obligatoire:
                errors[question.code] = question.message_obligatoire or "Réponse obligatoire."
            continue
        try:
            value = parse_answer(question, raw, departement=departement)
        except InvalidValue as error:
            errors[question.code] = str(error)
            continue
        if _is_empty(value):
            if question.obligatoire:
                errors[question.code] = question.message_obligatoire or "Réponse obligatoire."
            continue
        problem = _constraint_error(question, value, {**answers, question.code: value}, today)
        if problem:
            errors[question.code] = problem
            continue
        answers[question.code] = value
    return CheckedAnswers(answers, errors, visible)


# -- responses ----------------------------------------------------------------------------------


@dataclass
class SubmitOutcome:
    """A submission: the response id, or the errors (French, by question code) that stopped it."""

    response_id: str | None
    errors: dict[str, str] = field(default_factory=dict)
    already_submitted: bool = False
    registry_changes: dict[str, Any] = field(default_factory=dict)  # written to the registry
    # registry answers not written: the fiche was changed meanwhile (kept to resolve on the fiche)
    registry_conflicts: list[FieldConflict] = field(default_factory=list)


def _registry_when_opened(con: duckdb.DuckDBPyConnection, draft: Draft) -> dict[str, Any] | None:
    """The structure as the registry held it when the draft was opened (its version then)."""
    rows = fetch_dicts(
        con,
        "SELECT * FROM structure_versions WHERE structure_id = ? AND valid_from <= ? AND (valid_to IS NULL OR valid_to > ?)"
        " ORDER BY valid_from DESC LIMIT 1",
        [draft.structure_id, draft.created_at, draft.created_at],
    )
    return rows[0] if rows else None


def registry_edits(
    con: duckdb.DuckDBPyConnection, questionnaire: Questionnaire, answers: Mapping[str, Any], draft: Draft,
) -> dict[str, tuple[Any, Any]]:
    """The registry fields the surveyor changed in this revision, each as ``(based_on, new)``.

    A registry answer the surveyor never touched shows the registry's value: not a change. A touched
    one is compared with the value it was based on: for a correction, the answer of the revision it
    corrects; else the registry's value the tab showed (``registry_base``), else the registry as it
    stood when the draft was opened. Lists of the registry have no order.
    """
    previous = get_response(con, draft.supersedes)["answers"] if draft.supersedes else {}
    opened: dict[str, Any] | None = None
    edits: dict[str, tuple[Any, Any]] = {}
    for question in questionnaire.questions():
        if question.type != "registre" or question.code not in answers or question.code not in draft.values:
            continue
        assert question.champ is not None
        if question.code in previous:
            based_on = previous[question.code]
        elif question.code in draft.registry_bases:
            based_on = draft.registry_bases[question.code]
        else:
            opened = opened or _registry_when_opened(con, draft) or get_structure(con, draft.structure_id)
            based_on = registry_value(question, opened)
        new = answers[question.code]
        if not same_value(new, based_on):
            edits[question.champ] = (based_on, new)
    return edits


def submit_draft(
    store: Store, draft_id: str, *, by: str, today: date | None = None, submitted_at: datetime | None = None
) -> SubmitOutcome:
    """Check and submit a draft in one transaction: the response, the registry update, the draft closed.

    A draft already submitted returns its response (a double click submits once). Errors leave
    everything as it was.
    """
    # Two tabs submitting the same draft at once: the loser runs again and finds it submitted.
    return store.transaction(
        lambda con: submit_in_transaction(con, draft_id, by=by, today=today, submitted_at=submitted_at)
    )


# Long: the submission in its order (checks, registry edits, the response, the draft closed, the audit,
# the follow-ups), all inside the caller's one transaction.
def submit_in_transaction(
    con: duckdb.DuckDBPyConnection, draft_id: str, *, by: str, today: date | None = None,
    submitted_at: datetime | None = None,
) -> SubmitOutcome:
    """``submit_draft`` inside a transaction the caller holds (bulk loads such as the demo).

    :param submitted_at: when the response was given, for responses recorded after the fact;
        default now.
    """
    row = _require_on_draft(con, draft_id, by)  # the draft is read once, with the check of the right
    draft = _draft_from_row(con, _found(row, draft_id))
    if draft.submitted_response_id:
        return SubmitOutcome(draft.submitted_response_id, already_submitted=True)
    stored = get_questionnaire(con, draft.questionnaire_id)
    structure = get_structure(con, draft.structure_id)
    if structure is None:
        raise SurveyError(f"Structure introuvable : {draft.structure_id}")
    departement = departement_of_place(structure.get("code_insee"), structure.get("code_postal"))
    raw = effective_answers(stored.questionnaire, draft, structure)
    checked = check_answers(stored.questionnaire, raw, departement=departement, today=today)
    if checked.errors:
        return SubmitOutcome(None, errors=checked.errors)
    if draft.supersedes and fetch_dicts(  # before anything is written: a refusal writes nothing
        con, "SELECT id FROM responses WHERE supersedes = ? AND deleted_at IS NULL", [draft.supersedes]
    ):
        return SubmitOutcome(None, errors={"_": "Cette réponse a déjà été corrigée entre-temps : rouvrez sa dernière révision."})
    response_id = new_id()
    changes: dict[str, Any] = {}
    conflicts: list[FieldConflict] = []
    edits = registry_edits(con, stored.questionnaire, checked.answers, draft)
    if edits:
        result = edit_structure(con, draft.structure_id, edits, by=by, reason="enquete", campaign_id=draft.campaign_id,
                                origin="correction" if draft.supersedes else "enquete", response_id=response_id)
        if result.refused:
            by_field = {q.champ: q.code for q in stored.questionnaire.questions() if q.type == "registre"}
            return SubmitOutcome(
                None, errors={by_field.get(i.field, i.field or "?"): i.message for i in result.issues if i.is_error}
            )
        changes = {name: getattr(result.record, name) for name in result.written}
        conflicts = result.conflicts
    revision, supersedes = 1, draft.supersedes
    if supersedes:
        previous = fetch_dicts(con, "SELECT revision FROM responses WHERE id = ?", [supersedes])
        revision = previous[0]["revision"] + 1 if previous else 1
    now = utc_now()
    submitted_at = submitted_at or now
    con.execute(
        "INSERT INTO responses (id, structure_id, campaign_id, questionnaire_id, surveyor, revision, supersedes, draft_id,"
        " answers, registry_changes, submitted_at, created_at, updated_at, updated_by)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [response_id, draft.structure_id, draft.campaign_id, draft.questionnaire_id, draft.surveyor, revision, supersedes,
         draft.id, json.dumps(checked.answers, ensure_ascii=False), json.dumps(changes, ensure_ascii=False, default=str) if changes else None,
         submitted_at, now, now, by],
    )
    con.execute(
        "UPDATE drafts SET submitted_response_id = ?, updated_at = ?, updated_by = ? WHERE id = ?",
        [response_id, now, by, draft.id],
    )
    record_audit(con, actor=by, action="response.submit", entity="responses", entity_id=response_id,
                 details={"structure_id": draft.structure_id, "revision": revision, "registre": sorted(changes),
                          "conflits_registre": sorted(c.field for c in conflicts)})
    follow_up(con, ResponseSubmitted(draft.campaign_id, draft.structure_id, draft.surveyor, by, submitted_at))
    return SubmitOutcome(response_id, registry_changes=changes, registry_conflicts=conflicts)


def get_response(con: duckdb.DuckDBPyConnection, response_id: str) -> dict[str, Any]:
    """A response with its answers decoded."""
    rows = fetch_dicts(con, "SELECT * FROM responses WHERE id = ?", [response_id])
    if not rows:
        raise SurveyError(f"Réponse introuvable : {response_id}")
    row = rows[0]
    row["answers"] = json.loads(row["answers"])
    return row


def open_correction(con: duckdb.DuckDBPyConnection, response_id: str, *, surveyor: str, by: str) -> Draft:
    """A new draft pre-filled with a response's answers, to submit as its next revision."""
    response = get_response(con, response_id)
    newer = fetch_dicts(con, "SELECT id FROM responses WHERE supersedes = ? AND deleted_at IS NULL", [response_id])
    if newer:
        raise SurveyError("Cette réponse a déjà été corrigée : corrigez sa dernière révision.")
    open_corrections = fetch_dicts(
        con,
        "SELECT id FROM drafts WHERE supersedes = ? AND submitted_response_id IS NULL AND deleted_at IS NULL"
        " ORDER BY created_at LIMIT 1",
        [response_id],
    )
    if open_corrections:  # one correction at a time: whoever opens it continues the same draft
        return load_draft(con, open_corrections[0]["id"])
    draft = _create_draft(con, response["structure_id"], response["campaign_id"], surveyor, response["questionnaire_id"],
                          by=by, supersedes=response_id)
    save_answers(con, draft.id, response["answers"], session_id="correction", by=by)
    return load_draft(con, draft.id)


def list_responses(
    con: duckdb.DuckDBPyConnection, *, campaign_id: str | None = None, latest_only: bool = True,
    structure_ids: Collection[str] | None = None,
) -> list[dict[str, Any]]:
    """Responses with the structure's name and commune; by default only the latest revision of
    each; only those of ``structure_ids`` when given."""
    sql = (
        "SELECT r.*, s.nom AS structure_nom, s.commune AS structure_commune, s.code_insee AS structure_code_insee"
        " FROM responses r JOIN structures s ON s.id = r.structure_id WHERE r.deleted_at IS NULL"
    )
    params: list[Any] = []
    if campaign_id:
        sql += " AND r.campaign_id = ?"
        params.append(campaign_id)
    if structure_ids is not None:
        sql += " AND list_contains(?::VARCHAR[], r.structure_id)"
        params.append(list(structure_ids))
    if latest_only:
        sql += " AND NOT EXISTS (SELECT 1 FROM responses n WHERE n.supersedes = r.id AND n.deleted_at IS NULL)"
    sql += " ORDER BY r.submitted_at DESC"
    rows = fetch_dicts(con, sql, params)
    for row in rows:
        row["answers"] = json.loads(row["answers"])
    return rows


def list_drafts(con: duckdb.DuckDBPyConnection, *, campaign_id: str | None = None) -> list[dict[str, Any]]:
    """Open drafts with the structure's name, how many answers they hold and when they were last saved."""
    sql = (
        "SELECT d.id, d.structure_id, d.campaign_id, d.surveyor, d.questionnaire_id, d.section, d.supersedes,"
        " d.created_at, s.nom AS structure_nom, s.commune AS structure_commune,"
        " count(v.question_code) AS reponses, greatest(d.updated_at, max(v.updated_at)) AS derniere_saisie"
        " FROM drafts d JOIN structures s ON s.id = d.structure_id"
        " LEFT JOIN draft_values v ON v.draft_id = d.id"
        " WHERE d.submitted_response_id IS NULL AND d.deleted_at IS NULL"
    )
    params: list[Any] = []
    if campaign_id:
        sql += " AND d.campaign_id = ?"
        params.append(campaign_id)
    sql += (" GROUP BY d.id, d.structure_id, d.campaign_id, d.surveyor, d.questionnaire_id, d.section, d.supersedes,"
            " d.created_at, d.updated_at, s.nom, s.commune ORDER BY derniere_saisie DESC")
    return fetch_dicts(con, sql, params)


def answer_text(question: Question, value: Any) -> str:
    """An answer as a person reads it (choice labels, « Oui »/« Non », dd/mm/yyyy)."""
    if value is None or value == [] or value == "":
        return ""
    if isinstance(value, bool):
        return "Oui" if value else "Non"
    if question.answer_type == "choix_multiple" and isinstance(value, list):
        return ", ".join(question.choice_label(code) for code in value)
    if question.answer_type == "choix_unique":
        return question.choice_label(str(value))
    if question.answer_type == "date" and isinstance(value, str):
        try:
            return date.fromisoformat(value).strftime("%d/%m/%Y")
        except ValueError:
            return value
    if isinstance(value, list):
        return " | ".join(str(v) for v in value)
    return str(value)


def answer_codes(questionnaires: Sequence[Questionnaire]) -> list[Question]:
    """The union of the questions of several versions (oldest first), for exports: in order of first
    appearance, each as its latest version words it, with the choices of every version (a choice a later
    version added, or an earlier one dropped, still has its label), and personal when any version says so
    (a question made personal later never exports the answers given before either)."""
    versions: dict[str, list[Question]] = {}
    for questionnaire in questionnaires:
        for question in questionnaire.questions():
            versions.setdefault(question.code, []).append(question)
    return [_merged_question(found) for found in versions.values()]


def _merged_question(versions: list[Question]) -> Question:
    latest = versions[-1]
    choices = {choice.code: choice for question in versions for choice in question.choix}
    choices.update({choice.code: choice for choice in latest.choix})  # the latest label of each choice
    ordered = [*latest.choix, *(c for code, c in choices.items() if code not in {x.code for x in latest.choix})]
    return latest.model_copy(update={"choix": ordered, "personnel": any(q.personnel for q in versions)})
