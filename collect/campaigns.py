"""Campaigns: a named survey of the territory's structures with one questionnaire version at a time.

``create_campaign`` ties a campaign to a questionnaire version; ``set_campaign_questionnaire`` moves it
to a newer version mid-campaign (drafts and responses keep the version they started with, see
``collect.surveys``). Surveys, calls and relances all work within a campaign and read it from here;
this module reads no survey, call or relance itself, so each of them may build on it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

import duckdb

from models.access import require
from models.audit import record_audit
from models.edits import EditResult, plan_edit, planned_result
from models.errors import MaillageError
from models.ids import new_id
from models.store import fetch_dicts, utc_now


class CampaignError(MaillageError):
    """A campaign action is impossible (unknown campaign or questionnaire, no name…); message in French."""


def _require_questionnaire(con: duckdb.DuckDBPyConnection, questionnaire_id: str) -> None:
    """A published questionnaire version of that id exists, or a French error."""
    if not con.execute("SELECT 1 FROM questionnaires WHERE id = ?", [questionnaire_id]).fetchone():
        raise CampaignError(f"Questionnaire introuvable : {questionnaire_id}")


def create_campaign(
    con: duckdb.DuckDBPyConnection,
    *,
    nom: str,
    questionnaire_id: str,
    date_debut: date | None = None,
    date_fin: date | None = None,
    by: str,
) -> str:
    """Add a campaign surveyed with a questionnaire version; return its id."""
    require(con, by, "gerer_campagne")
    if not (nom or "").strip():
        raise CampaignError("Donnez un nom à la campagne (par exemple « Diagnostic 2027 »).")
    _require_questionnaire(con, questionnaire_id)
    campaign_id = new_id()
    now = utc_now()
    con.execute(
        "INSERT INTO campaigns (id, nom, questionnaire_id, date_debut, date_fin, created_at, updated_at, updated_by)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [campaign_id, nom, questionnaire_id, date_debut, date_fin, now, now, by],
    )
    record_audit(con, actor=by, action="campaign.create", entity="campaigns", entity_id=campaign_id, details={"nom": nom})
    return campaign_id


def set_campaign_questionnaire(con: duckdb.DuckDBPyConnection, campaign_id: str, questionnaire_id: str, *, by: str) -> None:
    """Move a campaign to another questionnaire version; open drafts and responses keep theirs."""
    require(con, by, "gerer_campagne")
    get_campaign(con, campaign_id)
    _require_questionnaire(con, questionnaire_id)
    con.execute(
        "UPDATE campaigns SET questionnaire_id = ?, updated_at = ?, updated_by = ? WHERE id = ?",
        [questionnaire_id, utc_now(), by, campaign_id],
    )
    record_audit(con, actor=by, action="campaign.questionnaire", entity="campaigns", entity_id=campaign_id,
                 details={"questionnaire_id": questionnaire_id})


def get_campaign(con: duckdb.DuckDBPyConnection, campaign_id: str) -> dict[str, Any]:
    rows = fetch_dicts(con, "SELECT * FROM campaigns WHERE id = ?", [campaign_id])
    if not rows:
        raise CampaignError(f"Campagne introuvable : {campaign_id}")
    return rows[0]


def find_campaign(con: duckdb.DuckDBPyConnection, id_or_name: str) -> dict[str, Any]:
    """A campaign by id or name (the newest of that name), the name as stored (as typed) or without the
    spaces around it (« Diagnostic » finds « Diagnostic » typed with a trailing space); a French error when none."""
    rows = fetch_dicts(
        con, "SELECT * FROM campaigns WHERE (id = ? OR nom = ? OR trim(nom) = trim(?)) AND deleted_at IS NULL"
        " ORDER BY nom = ? DESC, created_at DESC",
        [id_or_name, id_or_name, id_or_name, id_or_name],
    )
    if not rows:
        raise CampaignError(f"Campagne « {id_or_name} » introuvable.")
    return rows[0]


def list_campaigns(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Campaigns with their questionnaire's title and version, newest first."""
    return fetch_dicts(
        con,
        "SELECT c.*, q.titre AS questionnaire_titre, q.version AS questionnaire_version"
        " FROM campaigns c JOIN questionnaires q ON q.id = c.questionnaire_id"
        " WHERE c.deleted_at IS NULL ORDER BY c.created_at DESC",
    )


def edit_campaign_settings(
    con: duckdb.DuckDBPyConnection,
    campaign_id: str,
    changes: Mapping[str, tuple[Any, Any]],
    *,
    shown: Callable[[dict[str, Any]], dict[str, Any]],
    save: Callable[[dict[str, Any], dict[str, Any]], None],
    conflict_action: str,
    by: str,
) -> EditResult:
    """Save the settings of a campaign a person changed, each as ``(based_on, new)``: the value the form
    showed and the one typed (``models.edits``). ``shown(campaign)`` gives the settings as the form shows
    them; the settings still holding their ``based_on`` get their ``new``, through ``save(campaign, written)``
    (the setter's own checks); one someone else changed meanwhile is left as it is and comes back as a conflict
    (the campaign's last writer and time), audited as ``conflict_action``. The calling rules
    (``collect.calls.edit_campaign_rules``) and the relance settings (``collect.relances.templates``) are
    edited this way; each checks its right and its setting names first."""
    campaign = get_campaign(con, campaign_id)
    current = shown(campaign)
    plan = plan_edit(current, changes)
    result = planned_result(plan, current_by=campaign["updated_by"], current_at=campaign["updated_at"])
    if plan.write:
        save(campaign, dict(plan.write))
    if result.conflicts:
        record_audit(con, actor=by, action=conflict_action, entity="campaigns", entity_id=campaign_id,
                     details={"proposees": {c.field: c.proposed for c in result.conflicts}})
    return result
