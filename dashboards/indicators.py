"""What the surveys say: every closed question counted, and a diagnostic's headline figures.

Only the latest revision of each structure's response counts. A closed question is a yes/no, a
single or a multiple choice that is not personal data; its counts are the number of structures
that gave each answer, its shares over the structures that answered it (a multiple choice's
shares may add up to more than 100 %). Free-text answers never appear here.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from collect.campaigns import get_campaign
from collect.questionnaire import Question, Questionnaire
from collect.surveys import get_questionnaire, list_responses

CLOSED_TYPES: tuple[str, ...] = ("oui_non", "choix_unique", "choix_multiple")
TEXT_TYPES: tuple[str, ...] = ("texte", "texte_long")


@dataclass
class QuestionCounts:
    """The answers to one closed question."""

    code: str
    libelle: str
    section: str
    multiple: bool
    answered: int  # structures that answered it
    rows: list[dict[str, Any]]  # « Réponse », « Structures », « Part »


def responses_in_scope(
    con: duckdb.DuckDBPyConnection,
    campaign_id: str,
    *,
    structure_ids: Collection[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    codes: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """The latest revision of each response of the campaign (id, structure_id, revision,
    submitted_at, answers), of the structures ``structure_ids`` (None: all), first submitted in
    ``since`` … ``until`` (a correction keeps its place: the period is that of the structure's
    first submission), newest first. With ``codes``, ``answers`` holds only those questions,
    picked by DuckDB (much faster than parsing whole answers when a page needs a few)."""
    paths = None if codes is None else [f'$."{code}"' for code in codes]
    wanted = None if structure_ids is None else list(structure_ids)
    rows = con.execute(
        "SELECT r.id, r.structure_id, r.revision, r.submitted_at,"
        " CASE WHEN ?::VARCHAR[] IS NULL THEN r.answers::VARCHAR END,"
        " CASE WHEN ?::VARCHAR[] IS NOT NULL THEN to_json(json_extract(r.answers::JSON, ?::VARCHAR[])) END"
        " FROM responses r JOIN (SELECT structure_id, min(submitted_at) AS first_at FROM responses"
        "  WHERE campaign_id = ? AND deleted_at IS NULL GROUP BY structure_id) f ON f.structure_id = r.structure_id"
        " WHERE r.campaign_id = ? AND r.deleted_at IS NULL"
        " AND NOT EXISTS (SELECT 1 FROM responses n WHERE n.supersedes = r.id AND n.deleted_at IS NULL)"
        " AND (?::VARCHAR[] IS NULL OR list_contains(?::VARCHAR[], r.structure_id))"
        " AND (?::TIMESTAMPTZ IS NULL OR f.first_at >= ?::TIMESTAMPTZ)"
        " AND (?::TIMESTAMPTZ IS NULL OR f.first_at < ?::TIMESTAMPTZ)"
        " ORDER BY r.submitted_at DESC",
        [paths, paths, paths, campaign_id, campaign_id, wanted, wanted, since, since, until, until],
    ).fetchall()
    out = []
    for response_id, structure_id, revision, submitted_at, whole, picked in rows:
        if codes is None:
            answers = json.loads(whole)
        else:
            # one JSON array per row, its values in ``codes`` order (null: missing or unanswered)
            answers = {code: value for code, value in zip(codes, json.loads(picked), strict=True) if value is not None}
        out.append({"id": response_id, "structure_id": structure_id, "revision": revision,
                    "submitted_at": submitted_at, "answers": answers})
    return out


def closed_questions(
    con: duckdb.DuckDBPyConnection, campaign_id: str, responses: Sequence[Mapping[str, Any]] | None = None
) -> list[QuestionCounts]:
    """Every closed question of the campaign's questionnaire, in questionnaire order, counted over
    ``responses`` (default: every latest response of the campaign, see ``responses_in_scope``)."""
    questionnaire = _questionnaire(con, campaign_id)
    responses = list_responses(con, campaign_id=campaign_id) if responses is None else responses
    answers = [row["answers"] for row in responses]
    out = []
    for section in questionnaire.sections:
        for question in section.questions:
            if question.type in CLOSED_TYPES and not question.personnel:
                out.append(_counted(question, section.titre, answers))
    return out


def publishable_answers(
    con: duckdb.DuckDBPyConnection, campaign_id: str, responses: Sequence[Mapping[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """The free-text answers of the questions marked « publiable » (never a personal one): one row
    per answer, with its question; no structure named, so an answer is not tied to its author."""
    questionnaire = _questionnaire(con, campaign_id)
    responses = list_responses(con, campaign_id=campaign_id) if responses is None else responses
    rows = []
    for section in questionnaire.sections:
        for question in section.questions:
            if question.publiable and not question.personnel and question.type in TEXT_TYPES:
                texts = sorted(str(row["answers"][question.code]).strip() for row in responses
                               if str(row["answers"].get(question.code) or "").strip())
                rows += [{"Question": question.libelle or question.code, "Réponse": text} for text in texts]
    return rows


def _questionnaire(con: duckdb.DuckDBPyConnection, campaign_id: str) -> Questionnaire:
    return get_questionnaire(con, get_campaign(con, campaign_id)["questionnaire_id"]).questionnaire


def _counted(question: Question, section: str, answers: Sequence[Mapping[str, Any]]) -> QuestionCounts:
    given = [answer[question.code] for answer in answers if answer.get(question.code) not in (None, "", [])]
    counted: Counter[str] = Counter()
    for value in given:
        for item in (value if isinstance(value, list) else [value]):
            counted[_label(question, item)] += 1
    labels = ["Oui", "Non"] if question.type == "oui_non" else [choice.libelle for choice in question.choix]
    labels += sorted(label for label in counted if label not in labels)
    rows = [{"Réponse": label, "Structures": counted.get(label, 0),
             "Part": counted.get(label, 0) / len(given) if given else None} for label in labels]
    return QuestionCounts(question.code, question.libelle or question.code, section, question.type == "choix_multiple", len(given), rows)


def _label(question: Question, value: Any) -> str:
    if question.type == "oui_non":
        return "Oui" if value is True or str(value).lower() in ("oui", "true") else "Non"
    return question.choice_label(str(value))


# The headline figures of a diagnostic, from the default questionnaire's codes: (label, question,
# the answer counted). A questionnaire without the question gives None.
HEADLINES: tuple[tuple[str, str, bool], ...] = (
    ("Intéressées par un partenariat", "interesse_partenariat", True),
    ("Citent la mobilité des publics comme frein", "mobilite_frein", True),
    ("Ne peuvent pas réorienter une personne qu'elles ne peuvent pas aider", "peut_orienter", False),
)


HEADLINE_CODES: tuple[str, ...] = (*(code for _label, code, _counted in HEADLINES), "services")


def committee_codes(con: duckdb.DuckDBPyConnection, campaign_id: str) -> list[str]:
    """The questions the committee's pages read: closed ones and publishable free texts (never a
    personal one), and those of the headline figures; what ``responses_in_scope(codes=…)`` picks,
    so no other answer even leaves the store for these pages."""
    codes = [question.code for section in _questionnaire(con, campaign_id).sections for question in section.questions
             if not question.personnel and (question.type in CLOSED_TYPES
                                            or (question.publiable and question.type in TEXT_TYPES))]
    return codes + [code for code in HEADLINE_CODES if code not in codes]


def headline_indicators(
    con: duckdb.DuckDBPyConnection, campaign_id: str, responses: Sequence[Mapping[str, Any]] | None = None
) -> dict[str, Any]:
    """« Structures enquêtées », the share of each of ``HEADLINES`` among the structures that
    answered the question (None if none did), and « Services par acteur » (the mean number of
    services of a responding structure: its answer, else its registry entry); over ``responses``
    (default: every latest response of the campaign)."""
    responses = list_responses(con, campaign_id=campaign_id) if responses is None else responses
    figures: dict[str, Any] = {"Structures enquêtées": len(responses)}
    for label, code, counted in HEADLINES:
        given = [row["answers"][code] for row in responses if isinstance(row["answers"].get(code), bool)]
        figures[label] = sum(1 for value in given if value is counted) / len(given) if given else None
    registry = dict(con.execute(
        "SELECT id, coalesce(len(services), 0) FROM structures WHERE id IN (SELECT unnest(?::VARCHAR[]))",
        [[row["structure_id"] for row in responses]]).fetchall()) if responses else {}
    services = [len(row["answers"]["services"]) if isinstance(row["answers"].get("services"), list)
                else registry.get(row["structure_id"], 0) for row in responses]
    figures["Services par acteur"] = sum(services) / len(services) if services else None
    return figures
