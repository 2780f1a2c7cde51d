"""What the surveys say: every closed question counted, and a diagnostic's headline figures.

Only the latest revision of each structure's response counts. A closed question is a yes/no, a
single or a multiple choice that is not personal data; its counts are the number of structures
that gave each answer, its shares over the structures that answered it (a multiple choice's
shares may add up to more than 100 %). Free-text answers never appear here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb

from collect.questionnaire import Question
from collect.surveys import get_campaign, get_questionnaire, list_responses

CLOSED_TYPES: tuple[str, ...] = ("oui_non", "choix_unique", "choix_multiple")


@dataclass
class QuestionCounts:
    """The answers to one closed question."""

    code: str
    libelle: str
    section: str
    multiple: bool
    answered: int  # structures that answered it
    rows: list[dict[str, Any]]  # « Réponse », « Structures », « Part »


def closed_questions(con: duckdb.DuckDBPyConnection, campaign_id: str) -> list[QuestionCounts]:
    """Every closed question of the campaign's questionnaire, in questionnaire order, counted."""
    questionnaire = get_questionnaire(con, get_campaign(con, campaign_id)["questionnaire_id"]).questionnaire
    answers = [row["answers"] for row in list_responses(con, campaign_id=campaign_id)]
    out = []
    for section in questionnaire.sections:
        for question in section.questions:
            if question.type in CLOSED_TYPES and not question.personnel:
                out.append(_counted(question, section.titre, answers))
    return out


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


def headline_indicators(con: duckdb.DuckDBPyConnection, campaign_id: str) -> dict[str, Any]:
    """« Structures enquêtées », the share of each of ``HEADLINES`` among the structures that
    answered the question (None if none did), and « Services par acteur » (the mean number of
    services of a responding structure: its answer, else its registry entry)."""
    responses = list_responses(con, campaign_id=campaign_id)
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
