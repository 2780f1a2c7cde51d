"""Reading the audit log: who did what, when, to which record — for coordinators.

Every write of the core adds an ``audit_log`` row in its own transaction (``models.audit``); this
module only reads them back, for people with the right ``lire_historique`` (coordinators, admins).
A record is named by its table (``entity``: structures, campaigns, responses, users…) and its id.
Call attempts are filed under their structure, so a structure's history also tells its calls.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from models.access import require
from models.store import fetch_dicts

ENTITY_LABELS: dict[str, str] = {
    "structures": "Structure",
    "campaigns": "Campagne",
    "responses": "Réponse",
    "drafts": "Brouillon",
    "questionnaires": "Questionnaire",
    "relances": "Relance",
    "users": "Compte",
    "saved_filters": "Filtre enregistré",
    "import_runs": "Import",
    "duplicate_candidates": "Doublon possible",
    "sync_runs": "Synchronisation",
    "import_profiles": "Profil d'import",
    "store": "Base",
    "call_attempts": "Appel",
}

ACTION_LABELS: dict[str, str] = {
    "structure.create": "création",
    "structure.update": "modification",
    "structure.delete": "suppression",
    "structure.restore": "restauration",
    "edit_conflict.open": "modification en conflit (non enregistrée)",
    "edit_conflict.resolve": "conflit de modification tranché",
    "campaign.conflict": "réglage de campagne en conflit (non enregistré)",
    "relance.conflict": "réglage des relances en conflit (non enregistré)",
    "call.attempt": "appel noté",
    "campaign.create": "création de la campagne",
    "campaign.configure": "réglages de la campagne",
    "campaign.questionnaire": "changement de questionnaire",
    "campaign.target": "ciblage",
    "campaign.assign": "attribution",
    "campaign.unassign": "retrait d'attribution",
    "response.submit": "réponse soumise",
    "draft.delete": "brouillon supprimé",
    "questionnaire.publish": "questionnaire publié",
    "relance.settings": "réglages des relances",
    "relance.prepare": "lot de relances préparé",
    "relance.send": "relance envoyée",
    "relance.export": "relances exportées",
    "relance.cancel": "relance annulée",
    "relance.resolve": "envoi incertain tranché",
    "relance.opt_out": "ne plus relancer",
    "relance.opt_in": "relances rétablies",
    "import": "import",
    "filter.save": "filtre enregistré",
    "filter.delete": "filtre supprimé",
    "duplicate.merge": "fusion de doublons",
    "duplicate.dismiss": "doublon écarté",
    "sync.run": "synchronisation avec le classeur",
    "conflict.resolve": "conflit de synchronisation tranché",
    "deletion.confirm": "suppression dans le classeur confirmée",
    "deletion.restore": "ligne supprimée dans le classeur restaurée",
    "user.create": "compte créé",
    "user.password": "mot de passe changé",
    "user.role": "rôle changé",
    "user.activate": "compte réactivé",
    "user.deactivate": "compte désactivé",
    "user.recover": "mot de passe d'administrateur récupéré",
    "user.sign_in": "connexion",
    "user.sign_in_oidc": "connexion (OpenID Connect)",
    "user.sign_in_failed": "connexion refusée",
    "store.restore": "base restaurée depuis une sauvegarde",
    "import_profile.delete": "profil d'import supprimé",
}


@dataclass(frozen=True)
class HistoryEntry:
    """One audit row as a coordinator reads it."""

    occurred_at: datetime
    actor: str
    action: str
    entity: str | None
    entity_id: str | None
    details: dict[str, Any]

    @property
    def action_text(self) -> str:
        """« modification », or the action's code when it has no French label yet."""
        return ACTION_LABELS.get(self.action, self.action)

    @property
    def entity_text(self) -> str:
        return ENTITY_LABELS.get(self.entity or "", self.entity or "")


def _entries(rows: list[dict[str, Any]]) -> list[HistoryEntry]:
    return [HistoryEntry(row["occurred_at"], row["actor"], row["action"], row["entity"], row["entity_id"],
                         json.loads(row["details"] or "{}")) for row in rows]


_SELECT = "SELECT occurred_at, actor, action, entity, entity_id, details FROM audit_log"


def record_history(con: duckdb.DuckDBPyConnection, entity: str, entity_id: str, *, by: str) -> list[HistoryEntry]:
    """Everything done to one record, oldest first (a coordinator's right)."""
    require(con, by, "lire_historique")
    return _entries(fetch_dicts(con, _SELECT + " WHERE entity = ? AND entity_id = ? ORDER BY occurred_at, id",
                                [entity, entity_id]))


def recent_activity(con: duckdb.DuckDBPyConnection, *, by: str, entity: str | None = None, actor: str | None = None,
                    limit: int = 500) -> list[HistoryEntry]:
    """The latest writes, newest first, optionally of one kind of record and/or by one person."""
    require(con, by, "lire_historique")
    rows = fetch_dicts(
        con,
        _SELECT + " WHERE (? IS NULL OR entity = ?) AND (? IS NULL OR actor = ?) ORDER BY occurred_at DESC, id DESC"
                  " LIMIT ?",
        [entity, entity, actor, actor, limit])
    return _entries(rows)


def actors(con: duckdb.DuckDBPyConnection, *, by: str) -> list[str]:
    """Everyone who wrote something, by name (for the history page's filter)."""
    require(con, by, "lire_historique")
    return [row[0] for row in con.execute("SELECT DISTINCT actor FROM audit_log ORDER BY actor").fetchall()]
