"""Batches: the ``relances`` rows of one sending, and the state machine of each row.

``prepare_batch`` records one row per structure (``a_envoyer``) in one transaction, with its
message rendered and a fixed ``Message-ID``, the exclusions checked again. Then a row goes
``a_envoyer`` → ``en_cours`` → ``envoyee`` | ``echec`` (``collect.relances.transport``; ``echec``
is retried by the next send), or → ``exportee`` once written to files (``collect.relances.export``);
``annulee`` when cancelled (``cancel_batch``) or when the structure became un-mailable (completed,
refused, opted out) before sending (``cancel_unmailable``). A row left ``en_cours`` may have been
delivered: it is never re-sent automatically, but settled by the coordinator (``resolve_uncertain``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from collect.campaigns import get_campaign
from collect.relances.errors import RelanceError
from collect.relances.selection import campaign_limits, limit_reason, load_targets, never_mail_reason, reference_time
from collect.relances.templates import render_message
from models.access import require
from models.audit import record_audit
from models.ids import new_id
from models.records import RELANCE_PENDING_STATUSES, RELANCE_STATUS_LABELS, Canal
from models.store import Store, fetch_dicts, utc_now


@dataclass(frozen=True)
class MessageOutcome:
    """What happened to one relance of a batch."""

    relance_id: str
    structure: str | None
    destinataire: str
    erreur: str | None = None


def prepare_batch(
    target: Store | duckdb.DuckDBPyConnection,
    campaign_id: str,
    structure_ids: Sequence[str],
    *,
    canal: Canal = "smtp",
    by: str,
    now: datetime | None = None,
) -> str:
    """Record one relance (``a_envoyer``) per structure, in one transaction, and return the batch id.

    The exclusions are checked again: a completed, refused, not eligible or opted-out structure,
    one without address, at its maximum, within the delay or already in a pending batch is left
    out (listed in the audit row) whatever the caller passed. No structure left → ``RelanceError``.
    With a ``Store``, the batch is its own transaction; with a connection, the caller's.
    """
    if isinstance(target, Store):
        with target.atomic() as con:
            return _prepare(con, campaign_id, structure_ids, canal=canal, by=by, now=now)
    return _prepare(target, campaign_id, structure_ids, canal=canal, by=by, now=now)


def _prepare(
    con: duckdb.DuckDBPyConnection, campaign_id: str, structure_ids: Sequence[str], *, canal: str, by: str,
    now: datetime | None,
) -> str:
    require(con, by, "relancer")
    if canal not in ("smtp", "export"):
        raise RelanceError(f"Canal d'envoi inconnu : « {canal} » (smtp ou export).")
    now = reference_time(now)
    campaign = get_campaign(con, campaign_id)
    delai_jours, max_relances = campaign_limits(campaign)
    targets = load_targets(con, campaign_id)
    batch_id = new_id()
    created = utc_now()
    rows, left_out = [], []
    for structure_id in dict.fromkeys(structure_ids):
        target = targets.get(structure_id)
        if target is None:
            left_out.append({"structure_id": structure_id, "motif": "ne fait pas partie des cibles de la campagne"})
            continue
        reason = never_mail_reason(target) or limit_reason(
            target, delai_jours=delai_jours, max_relances=max_relances, now=now)
        if reason is not None:
            left_out.append({"structure_id": structure_id, "nom": target.case.nom, "motif": reason[1]})
            continue
        assert target.destinataire is not None
        objet, corps = render_message(campaign, target.row, target.destinataire)
        relance_id = new_id()
        rows.append((relance_id, batch_id, campaign_id, structure_id, target.destinataire, objet, corps,
                     f"<relance-{relance_id}@maillage.local>", canal, "a_envoyer", created, created, by))
    if not rows:
        detail = " ; ".join(f"{r.get('nom') or r['structure_id']} : {r['motif']}" for r in left_out[:5])
        raise RelanceError("Aucune structure à relancer dans ce lot" + (f" ({detail})." if detail else "."))
    con.executemany(
        "INSERT INTO relances (id, batch_id, campaign_id, structure_id, destinataire, objet, corps, message_id, canal,"
        " statut, created_at, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    record_audit(con, actor=by, action="relance.prepare", entity="campaigns", entity_id=campaign_id,
                 details={"lot": batch_id, "canal": canal, "messages": len(rows), "ecartees": left_out})
    return batch_id


def batch_rows(con: duckdb.DuckDBPyConnection, batch_id: str) -> list[dict[str, Any]]:
    """The relances of a batch, in sending order (structure name), with the structure's name."""
    return fetch_dicts(
        con,
        "SELECT r.*, s.nom AS structure, s.commune FROM relances r LEFT JOIN structures s ON s.id = r.structure_id"
        " WHERE r.batch_id = ? ORDER BY s.nom, r.id",
        [batch_id],
    )


def existing_batch(con: duckdb.DuckDBPyConnection, batch_id: str) -> list[dict[str, Any]]:
    """The rows of a batch (``batch_rows``); an unknown batch → ``RelanceError``."""
    rows = batch_rows(con, batch_id)
    if not rows:
        raise RelanceError(f"Lot de relances introuvable : {batch_id}")
    return rows


def relance_history(con: duckdb.DuckDBPyConnection, campaign_id: str) -> list[dict[str, Any]]:
    """Every relance of a campaign, newest first: structure, destinataire, statut (and its French
    label), tentatives, sent_at, erreur, batch and channel."""
    rows = fetch_dicts(
        con,
        "SELECT r.id, r.batch_id, r.structure_id, s.nom AS structure, s.commune, r.destinataire, r.objet, r.canal,"
        " r.statut, r.tentatives, r.sent_at, r.erreur, r.created_at, r.updated_at, r.updated_by"
        " FROM relances r LEFT JOIN structures s ON s.id = r.structure_id"
        " WHERE r.campaign_id = ? ORDER BY r.created_at DESC, s.nom, r.id",
        [campaign_id],
    )
    for row in rows:
        row["statut_libelle"] = RELANCE_STATUS_LABELS.get(row["statut"], row["statut"])
    return rows


def cancel_batch(store: Store, batch_id: str, *, by: str) -> int:
    """Cancel what a batch has not sent yet (``a_envoyer``, ``echec``); return how many rows."""
    with store.connect() as con:
        require(con, by, "relancer")
    with store.atomic() as con:
        existing_batch(con, batch_id)
        cancelled = con.execute(
            "UPDATE relances SET statut = 'annulee', erreur = 'lot annulé', updated_at = ?, updated_by = ?"
            " WHERE batch_id = ? AND list_contains(?, statut) RETURNING id",
            [utc_now(), by, batch_id, list(RELANCE_PENDING_STATUSES)],
        ).fetchall()
        record_audit(con, actor=by, action="relance.cancel", entity="relances", entity_id=batch_id,
                     details={"annulees": len(cancelled)})
    return len(cancelled)


def resolve_uncertain(store: Store, relance_id: str, *, delivered: bool, by: str) -> None:
    """Settle a relance left « envoi incertain » (``en_cours``): the coordinator checked that it
    arrived (``delivered=True`` → ``envoyee``) or asks to send it again (→ ``echec``, taken by the
    next ``send_batch``)."""
    with store.connect() as con:
        require(con, by, "relancer")
    now = utc_now()
    with store.atomic() as con:
        if delivered:
            changed = con.execute(
                "UPDATE relances SET statut = 'envoyee', sent_at = coalesce(sent_at, updated_at), erreur = NULL,"
                " updated_at = ?, updated_by = ? WHERE id = ? AND statut = 'en_cours' RETURNING id",
                [now, by, relance_id],
            ).fetchall()
        else:
            changed = con.execute(
                "UPDATE relances SET statut = 'echec', erreur = ?, updated_at = ?, updated_by = ?"
                " WHERE id = ? AND statut = 'en_cours' RETURNING id",
                [f"à renvoyer (envoi incertain, décision de {by})", now, by, relance_id],
            ).fetchall()
        if not changed:
            raise RelanceError("Cette relance n'est pas en « envoi incertain » : rien n'a été changé.")
        record_audit(con, actor=by, action="relance.resolve", entity="relances", entity_id=relance_id,
                     details={"arrivee": delivered})


def mark_relance(
    store: Store, relance_id: str, statut: str, *, by: str, erreur: str | None = None, failed: bool = False,
    sent: bool = False, only_from: Sequence[str] | None = None,
) -> bool:
    """Set one row's status in its own transaction; with ``only_from``, only if its status is one of
    them (False when it was not: another send took it)."""
    now = utc_now()
    sql = "UPDATE relances SET statut = ?, erreur = ?, tentatives = tentatives + ?, updated_at = ?, updated_by = ?"
    params: list[Any] = [statut, erreur, 1 if failed else 0, now, by]
    if sent:
        sql += ", sent_at = ?"
        params.append(now)
    sql += " WHERE id = ?"
    params.append(relance_id)
    if only_from is not None:
        sql += " AND list_contains(?, statut)"
        params.append(list(only_from))
    with store.atomic() as con:
        return bool(con.execute(sql + " RETURNING id", params).fetchall())


def cancel_unmailable(
    store: Store, rows: list[dict[str, Any]], *, by: str
) -> tuple[list[dict[str, Any]], list[MessageOutcome]]:
    """Split a batch's pending rows into those still mailable and those cancelled now because the
    structure was completed, refused, found not eligible or opted out since the batch was prepared."""
    if not rows:
        return [], []
    with store.connect() as con:
        targets = load_targets(con, rows[0]["campaign_id"])
    keep, cancelled = [], []
    for row in rows:
        target = targets.get(row["structure_id"])
        never = never_mail_reason(target) if target else ("hors_cible", "ne fait plus partie des cibles de la campagne")
        if never is None:
            keep.append(row)
        elif mark_relance(store, row["id"], "annulee", by=by, erreur=never[1], only_from=RELANCE_PENDING_STATUSES):
            cancelled.append(MessageOutcome(row["id"], row["structure"], row["destinataire"], never[1]))
    return keep, cancelled
