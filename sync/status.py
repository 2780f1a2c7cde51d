"""Where this device stands with the Google Sheets hub, for the « Synchronisation » and « Conflits »
pages (and anything else that wants to show it): read-only views of the sync tables.

- ``hub_overview``: the last run (its figures and decoded ``bilan``), the last sync that went
  through, the local changes waiting per tab (``sync.store_side.local_changes``), the conflicts
  and deletions waiting for a coordinator, and whether the last run was cut;
- ``recent_runs`` and ``run_journal``: the runs of a spreadsheet and the steps of one run, with
  French labels and a one-line French summary of each run;
- ``conflict_rows`` and ``deletion_rows``: the open conflicts and the lines deleted in the sheet,
  each with a French label of its record (the structure's name, for a structure or a record
  about one); ``pending_decisions``: both, the sheet's refused values apart from the conflicts.

Times are returned as the store keeps them (timezone-aware, UTC); ``models.moments.moment_text`` shows one in a
given zone. Every text meant for people is French.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb

from models.store import fetch_dicts
from models.text import counted
from sync.conflicts import CHOICES
from sync.store_side import local_changes, store_texts, table_sql
from sync.tables import SYNCED_TABLES, column_kinds, synced_columns, synced_table

RUN_STATUS_LABELS: dict[str, str] = {
    "terminee": "terminée",
    "rien_a_faire": "rien à faire",
    "interrompue": "interrompue (reprise à la suivante)",
    "erreur": "erreur",
    "en_cours": "en cours",
}
SUCCESSFUL_STATUSES = ("terminee", "rien_a_faire")
CUT_STATUSES = ("en_cours", "interrompue")

STEP_LABELS: dict[str, str] = {
    "debut": "Début",
    "etat_mis_a_jour": "État de synchronisation mis au format de cette version",
    "modifications_locales": "Modifications locales à envoyer",
    "onglets_crees": "Onglets créés dans le classeur",
    "lecture": "Lecture du classeur",
    "ecriture": "Écriture dans le classeur",
    "verification": "Vérification des lignes écrites",
    "reparation": "Réparation des lignes déplacées par un tri",
    "echec": "Échec",
    "fin": "Fin",
}
_DETAIL_LABELS: dict[str, str] = {
    "reprise_de": "reprend",
    "bases": "lignes de référence réécrites",
    "onglets": "onglets",
    "lignes": "lignes",
    "lot": "lot",
    "requetes": "opérations",
    "tour": "tour",
    "deplacees": "déplacées",
    "erreur": "erreur",
    "statut": "statut",
}
NATURE_LABELS: dict[str, str] = {"conflit": "conflit", "refusee": "modification refusée", "invalide": "ligne refusée",
                                  "identifiant": "identifiant modifié ?"}
# What a coordinator may choose for each nature (``sync.conflicts.resolve_conflict``), with its words.
NATURE_CHOICES: dict[str, dict[str, str]] = {
    "refusee": {"appareil": "Garder la valeur de cet appareil"},
    "invalide": {"appareil": "Remettre dans le classeur la valeur de cet appareil"},
    "identifiant": {"appareil": "Réparer : remettre l'identifiant d'origine dans la ligne",
                    "feuille": "Garder les deux : la ligne devient un nouvel enregistrement"},
}


def run_status_label(statut: str | None) -> str:
    """The French words of a run status (« terminée », « rien à faire »…)."""
    return RUN_STATUS_LABELS.get(statut or "", statut or "")


def _decoded(value: Any) -> Any:
    if value is None or not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value


def run_summary(statut: str | None, bilan: dict[str, Any] | None, erreur: str | None = None) -> str:
    """One French line of what a run did, from its ``bilan`` (``SyncReport.summary()``)."""
    if statut == "rien_a_faire":
        return "Rien à synchroniser."
    if statut == "en_cours":
        return "En cours (ou coupée sans avoir pu le noter)."
    bilan = bilan or {}
    parts: list[str] = []
    received = int(bilan.get("to_store") or 0)
    new_here = int(bilan.get("new_in_store") or 0)
    sent = int(bilan.get("to_sheet") or 0)
    new_there = int(bilan.get("new_in_sheet") or 0)
    if received or new_here:
        parts.append(f"reçu : {counted(received, 'valeur')}, {counted(new_here, 'ligne')}")
    if sent or new_there:
        parts.append(f"envoyé : {counted(sent, 'valeur')}, {counted(new_there, 'ligne')}")
    for key, singular, plural in (
        ("conflicts", "conflit", None),
        ("refused", "modification refusée", "modifications refusées"),
        ("deletions", "suppression à confirmer", "suppressions à confirmer"),
        ("repaired", "ligne réparée", "lignes réparées"),
        ("deferred", "ligne reportée", "lignes reportées"),
    ):
        count = int(bilan.get(key) or 0)
        if count:
            parts.append(counted(count, singular, plural))
    tabs = bilan.get("created_tabs") or []
    if tabs:
        parts.append("onglets créés : " + ", ".join(tabs))
    errors = bilan.get("errors") or []
    if errors:
        parts.append(counted(len(errors), "erreur de ligne", "erreurs de ligne"))
    if erreur and statut in ("erreur", "interrompue"):
        parts.append(erreur)
    return " ; ".join(parts) if parts else "Aucun changement."


def _run_row(row: dict[str, Any]) -> dict[str, Any]:
    bilan = _decoded(row.get("bilan"))
    bilan = bilan if isinstance(bilan, dict) else None
    return {
        "id": row["id"],
        "spreadsheet_id": row["spreadsheet_id"],
        "debut": row["started_at"],
        "fin": row["finished_at"],
        "statut": row["statut"],
        "statut_libelle": run_status_label(row["statut"]),
        "requetes": row["requetes"],
        "reessais": row["reessais"],
        "octets_envoyes": row["octets_envoyes"],
        "octets_recus": row["octets_recus"],
        "cpu_secondes": row["cpu_secondes"],
        "bilan": bilan,
        "erreur": row["erreur"],
        "par": row["par"],
        "resume": run_summary(row["statut"], bilan, row["erreur"]),
    }


def recent_runs(con: duckdb.DuckDBPyConnection, spreadsheet_id: str, limit: int = 20) -> list[dict[str, Any]]:
    """The last runs with this spreadsheet, newest first: ``debut``, ``fin``, ``statut`` and
    ``statut_libelle`` (French), ``requetes``, ``reessais``, ``octets_envoyes``, ``octets_recus``,
    ``cpu_secondes``, ``bilan`` (decoded, or None), ``erreur``, ``par`` and ``resume`` (French)."""
    rows = fetch_dicts(
        con,
        "SELECT * FROM sync_runs WHERE spreadsheet_id = ? ORDER BY started_at DESC, id DESC LIMIT ?",
        [spreadsheet_id, limit],
    )
    return [_run_row(row) for row in rows]


def _detail_value(key: str, value: Any) -> str:
    if key == "statut":
        return run_status_label(str(value))
    if isinstance(value, dict):
        return ", ".join(f"{name} {count}" for name, count in value.items()) or "aucun"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "aucun"
    return str(value)


def journal_details_text(etape: str, details: Any) -> str:
    """The details of one journal step as a short French text."""
    if not isinstance(details, dict) or not details:
        return "" if details in (None, {}, "") else str(details)
    if etape == "modifications_locales":  # tab -> records changed here
        changed = {tab: count for tab, count in details.items() if count}
        return ", ".join(f"{tab} {count}" for tab, count in changed.items()) or "aucune"
    if etape == "debut":
        cut = details.get("reprise_de") or []
        return f"reprend {counted(len(cut), 'synchronisation coupée', 'synchronisations coupées')}" if cut else ""
    return " · ".join(f"{_DETAIL_LABELS.get(key, key)} : {_detail_value(key, value)}"
                      for key, value in details.items())


def run_journal(con: duckdb.DuckDBPyConnection, run_id: str) -> list[dict[str, Any]]:
    """The steps of one run in order: ``etape`` and ``etape_libelle`` (French), ``moment``,
    ``details`` (decoded) and ``details_texte`` (French)."""
    rows = fetch_dicts(
        con, "SELECT step, etape, occurred_at, details FROM sync_journal WHERE run_id = ? ORDER BY step", [run_id]
    )
    out = []
    for row in rows:
        details = _decoded(row["details"])
        out.append({
            "etape": row["etape"],
            "etape_libelle": STEP_LABELS.get(row["etape"], row["etape"]),
            "moment": row["occurred_at"],
            "details": details,
            "details_texte": journal_details_text(row["etape"], details),
        })
    return out


@dataclass(frozen=True)
class HubOverview:
    """Where this store stands with one spreadsheet (see ``hub_overview``)."""

    spreadsheet_id: str
    last_run: dict[str, Any] | None  # a row of ``recent_runs``
    last_sync_at: datetime | None  # end of the last run that went through (terminée or rien à faire)
    waiting: dict[str, int] = field(default_factory=dict)  # tab -> local records to send
    waiting_total: int = 0
    open_conflicts: int = 0
    pending_deletions: int = 0
    previous_cut: bool = False  # the last run did not finish (cut, or still running elsewhere)

    @property
    def never_synced(self) -> bool:
        return self.last_run is None


def hub_overview(con: duckdb.DuckDBPyConnection, spreadsheet_id: str) -> HubOverview:
    """The state of the hub for this device and this spreadsheet (counts of this spreadsheet only)."""
    runs = recent_runs(con, spreadsheet_id, limit=1)
    last_run = runs[0] if runs else None
    (last_sync_at,) = con.execute(
        "SELECT max(finished_at) FROM sync_runs WHERE spreadsheet_id = ? AND statut IN ('terminee', 'rien_a_faire')",
        [spreadsheet_id],
    ).fetchall()[0]
    waiting = local_changes(con, spreadsheet_id)
    (conflicts,) = con.execute(
        "SELECT count(*) FROM sync_conflicts WHERE statut = 'ouvert' AND deleted_at IS NULL AND spreadsheet_id = ?",
        [spreadsheet_id],
    ).fetchall()[0]
    (deletions,) = con.execute(
        "SELECT count(*) FROM sync_deletions WHERE statut = 'a_confirmer' AND spreadsheet_id = ?", [spreadsheet_id]
    ).fetchall()[0]
    return HubOverview(
        spreadsheet_id=spreadsheet_id,
        last_run=last_run,
        last_sync_at=last_sync_at,
        waiting=waiting,
        waiting_total=sum(waiting.values()),
        open_conflicts=conflicts,
        pending_deletions=deletions,
        previous_cut=last_run is not None and last_run["statut"] in CUT_STATUSES,
    )


# -- conflicts and deletions, for the « Conflits » page ------------------------------------------


def _structure_names(con: duckdb.DuckDBPyConnection, ids: set[str]) -> dict[str, str]:
    """« Nom (Commune) » of some structures, deleted ones included."""
    if not ids:
        return {}
    rows = con.execute(
        "SELECT id, nom, commune FROM structures WHERE id IN (SELECT unnest(?::VARCHAR[]))", [sorted(ids)]
    ).fetchall()
    return {row_id: f"{nom} ({commune})" if commune else str(nom) for row_id, nom, commune in rows}


def record_labels(con: duckdb.DuckDBPyConnection, records: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """A French label for each (tab, record id): the structure's name for a structure, « Réponse
    de … », « Appel à … », « Relance à … » for a record about a structure; the id otherwise."""
    by_tab: dict[str, set[str]] = {}
    for tab, row_id in records:
        by_tab.setdefault(tab, set()).add(row_id)
    structure_of: dict[tuple[str, str], str] = {}
    for tab, ids in by_tab.items():
        try:
            spec = synced_table(tab)
        except KeyError:
            continue
        if spec.table == "structures":
            structure_of.update({(tab, row_id): row_id for row_id in ids})
        elif "structure_id" in column_kinds(con, spec.table):
            rows = con.execute(
                "SELECT id, structure_id FROM " + table_sql(spec) + " WHERE id IN (SELECT unnest(?::VARCHAR[]))",
                [sorted(ids)],
            ).fetchall()
            structure_of.update({(tab, row_id): structure_id for row_id, structure_id in rows if structure_id})
    names = _structure_names(con, set(structure_of.values()))
    prefixes = {"reponses": "Réponse de ", "appels": "Appel à ", "relances": "Relance à "}
    labels: dict[tuple[str, str], str] = {}
    for tab, row_id in records:
        name = names.get(structure_of.get((tab, row_id), ""))
        if name is None:
            labels[(tab, row_id)] = f"Enregistrement {row_id}"
        else:
            labels[(tab, row_id)] = prefixes.get(tab, "") + name
    return labels


def _column_label(tab: str, column: str) -> str:
    if tab == "structures":
        from models.registry_views import field_labels

        return field_labels().get(column, column)
    return column


def _current_texts(
    con: duckdb.DuckDBPyConnection, wanted: list[tuple[str, str]]
) -> dict[tuple[str, str], dict[str, str]]:
    """The store's cell texts now of some (tab, record id)."""
    by_tab: dict[str, list[str]] = {}
    for tab, row_id in wanted:
        by_tab.setdefault(tab, []).append(row_id)
    out: dict[tuple[str, str], dict[str, str]] = {}
    for tab, ids in by_tab.items():
        try:
            spec = synced_table(tab)
        except KeyError:
            continue
        for row_id, texts in store_texts(con, spec, synced_columns(con, spec), ids).items():
            out[(tab, row_id)] = texts
    return out


def conflict_rows(con: duckdb.DuckDBPyConnection, spreadsheet_id: str | None = None) -> list[dict[str, Any]]:
    """The open conflicts (``sync.conflicts.open_conflicts``), oldest first, each with what a page
    shows: ``libelle`` of the record, ``colonne_libelle``, ``nature_libelle`` (« conflit » or
    « modification refusée »), ``valeur_actuelle`` (the store's value now) and ``choix`` (the keys
    of ``CHOICES`` allowed: only ``appareil`` for a refused edit; see ``NATURE_CHOICES``) with
    ``choix_libelles``, their French words."""
    sql = "SELECT * FROM sync_conflicts WHERE statut = 'ouvert' AND deleted_at IS NULL"
    params: list[Any] = []
    if spreadsheet_id is not None:
        sql += " AND spreadsheet_id = ?"
        params.append(spreadsheet_id)
    conflicts = fetch_dicts(con, sql + " ORDER BY created_at, id", params)
    keys = [(row["tab"], row["row_id"]) for row in conflicts]
    labels = record_labels(con, keys)
    current = _current_texts(con, keys)
    rows = []
    for row in conflicts:
        key = (row["tab"], row["row_id"])
        now = current.get(key)
        rows.append({
            **row,
            "libelle": labels.get(key, row["row_id"]),
            "colonne_libelle": _column_label(row["tab"], row["colonne"]),
            "nature_libelle": NATURE_LABELS.get(row["nature"], row["nature"]),
            "valeur_actuelle": now.get(row["colonne"], "") if now is not None else row["valeur_courante"],
            "choix": list(_choices(row, now is not None)),
            "choix_libelles": _choices(row, now is not None),
        })
    return rows


def _choices(conflict: Mapping[str, Any], on_device: bool) -> dict[str, str]:
    """The decisions open to a coordinator for one conflict, with their French words."""
    if conflict["nature"] == "invalide" and not on_device:
        return {}  # a new line of the sheet: only fixing it in the sheet helps
    return dict(NATURE_CHOICES.get(conflict["nature"], CHOICES))


def deletion_rows(con: duckdb.DuckDBPyConnection, spreadsheet_id: str | None = None) -> list[dict[str, Any]]:
    """The lines a person deleted in the sheet, waiting for a coordinator, each with ``libelle``
    (French) and ``marque_supprimee``: whether confirming marks the record deleted and puts the
    line back with ``deleted_at`` (False for a table without ``deleted_at``, such as relances)."""
    sql = "SELECT * FROM sync_deletions WHERE statut = 'a_confirmer'"
    params: list[Any] = []
    if spreadsheet_id is not None:
        sql += " AND spreadsheet_id = ?"
        params.append(spreadsheet_id)
    deletions = fetch_dicts(con, sql + " ORDER BY detected_at, tab, row_id", params)
    labels = record_labels(con, [(row["tab"], row["row_id"]) for row in deletions])
    with_deleted_at = {spec.tab: "deleted_at" in column_kinds(con, spec.table) for spec in SYNCED_TABLES}
    return [{
        **row,
        "libelle": labels.get((row["tab"], row["row_id"]), row["row_id"]),
        "marque_supprimee": with_deleted_at.get(row["tab"], False),
    } for row in deletions]


@dataclass(frozen=True)
class PendingDecisions:
    """What waits for a coordinator on the conflicts page, in its three parts: the sheet's values
    refused for their content (only fixing them in the sheet helps, or the device's value is kept),
    the values changed on both sides (or refused, or a changed identifier) to decide, and the lines
    deleted in the sheet to confirm or restore."""

    refused_lines: list[dict[str, Any]]
    conflicts: list[dict[str, Any]]
    deletions: list[dict[str, Any]]

    @property
    def empty(self) -> bool:
        return not (self.refused_lines or self.conflicts or self.deletions)


def pending_decisions(con: duckdb.DuckDBPyConnection, spreadsheet_id: str | None = None) -> PendingDecisions:
    """``conflict_rows`` split by nature (a refused value of the sheet is not a conflict to decide)
    and ``deletion_rows``."""
    every = conflict_rows(con, spreadsheet_id)
    return PendingDecisions(
        refused_lines=[row for row in every if row["nature"] == "invalide"],
        conflicts=[row for row in every if row["nature"] != "invalide"],
        deletions=deletion_rows(con, spreadsheet_id),
    )

