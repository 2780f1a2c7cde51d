"""Responses as a table: one line per response, one column per question, as survey tools export.

A multiple-choice question gives a column with the chosen labels and one ``code/choice`` column
per choice holding 1 or 0 (KoboToolbox/ODK style), so a spreadsheet can count them. Questions of
every questionnaire version met are included, in order of first appearance, so responses made
under v1 and v2 export side by side. Personal questions (the contact person) are never exported.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from collect.campaigns import list_campaigns
from collect.questionnaire import Question
from collect.surveys import answer_codes, answer_text, get_questionnaire, list_responses
from models.access import require
from models.excel_csv import write_excel_csv
from models.store import Store

PARIS = ZoneInfo("Europe/Paris")
META_COLUMNS = (
    "id_reponse",
    "structure",
    "commune",
    "code_insee",
    "campagne",
    "questionnaire",
    "version",
    "revision",
    "remplace",
    "enqueteur",
    "soumise_le",
)


def _question_columns(question: Question) -> list[str]:
    if question.answer_type == "choix_multiple":
        return [question.code] + [f"{question.code}/{choice.code}" for choice in question.choix]
    return [question.code]


def _answer_cells(question: Question, value: Any) -> dict[str, Any]:
    cells: dict[str, Any] = {question.code: answer_text(question, value) if value is not None else None}
    if question.answer_type == "choix_multiple":
        chosen = set(value or []) if isinstance(value, list) else set()
        for choice in question.choix:
            cells[f"{question.code}/{choice.code}"] = (1 if choice.code in chosen else 0) if value is not None else None
    elif isinstance(value, int | float) and not isinstance(value, bool):
        cells[question.code] = value
    return cells


def responses_table(
    store: Store, *, by: str, campaign_id: str | None = None, include_revisions: bool = False
) -> tuple[list[str], list[dict[str, Any]]]:
    """The columns and rows of the responses (latest revision of each, unless ``include_revisions``).
    Each response names its structure and surveyor: ``by`` needs the right to see personal data."""
    with store.connect() as con:
        require(con, by, "voir_donnees_personnelles")
        responses = list_responses(con, campaign_id=campaign_id, latest_only=not include_revisions)
        campaigns = {c["id"]: c["nom"] for c in list_campaigns(con)}
        versions = {r["questionnaire_id"]: get_questionnaire(con, r["questionnaire_id"]) for r in responses}
    ordered = sorted(versions.values(), key=lambda v: (v.code, v.version))
    questions = [
        q for q in answer_codes([v.questionnaire for v in ordered]) if not q.personnel and q.type != "note"
    ]
    columns = list(META_COLUMNS) + [column for q in questions for column in _question_columns(q)]
    rows = []
    for response in responses:
        stored = versions[response["questionnaire_id"]]
        row: dict[str, Any] = {
            "id_reponse": response["id"],
            "structure": response["structure_nom"],
            "commune": response["structure_commune"],
            "code_insee": response["structure_code_insee"],
            "campagne": campaigns.get(response["campaign_id"], response["campaign_id"]),
            "questionnaire": stored.code,
            "version": stored.version,
            "revision": response["revision"],
            "remplace": response["supersedes"],
            "enqueteur": response["surveyor"],
            "soumise_le": response["submitted_at"].astimezone(PARIS).replace(tzinfo=None),
        }
        asked = {q.code for q in stored.questionnaire.questions()}
        for question in questions:
            if question.code in asked:
                row.update(_answer_cells(question, response["answers"].get(question.code)))
        rows.append(row)
    return columns, rows


def export_responses_csv(
    store: Store, out: str | Path, *, by: str, campaign_id: str | None = None, include_revisions: bool = False
) -> int:
    """Write the responses as a French-Excel CSV (``;``, UTF-8 with BOM); return how many."""
    columns, rows = responses_table(store, by=by, campaign_id=campaign_id, include_revisions=include_revisions)
    return write_excel_csv(out, columns, rows)
