"""Export: a batch's relances written for the organisation's own mailer, one ``.eml`` per message
(``X-Unsent: 1``, ready to send from Outlook) and a ``relances.csv`` (French Excel) for a mail
merge, in a folder or a zip. Exported rows become ``exportee``: they count as sent and are never
exported again, except on purpose (``again=True``, a lost download).
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from collect.relances.batches import cancel_unmailable, existing_batch
from collect.relances.errors import RelanceError
from collect.relances.templates import build_message
from models.audit import record_audit
from models.excel_csv import excel_csv_bytes, write_excel_csv
from models.records import RELANCE_PENDING_STATUSES
from models.store import Store, utc_now

EXPORT_CSV_NAME = "relances.csv"
EXPORT_COLUMNS = ("destinataire", "structure", "commune", "objet", "fichier", "message_id")
NOTHING_TO_EXPORT = "Rien à exporter dans ce lot : toutes ses relances sont déjà envoyées, exportées ou annulées."


def _slug(text: str | None) -> str:
    ascii_text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:60].rstrip("-") or "structure"


def eml_file_name(row: Mapping[str, Any]) -> str:
    """``mediatheque-de-cognac-3f2a9c81d0e4.eml``: the structure's name and the relance id's end."""
    return f"{_slug(row.get('structure'))}-{row['id'].replace('-', '')[-12:]}.eml"


def _export_rows(store: Store, batch_id: str, *, again: bool, by: str) -> list[dict[str, Any]]:
    """The rows to write: pending ones still mailable (the others are cancelled), or with ``again``
    those already exported."""
    with store.connect() as con:
        rows = existing_batch(con, batch_id)
    if again:
        return [row for row in rows if row["statut"] == "exportee"]
    keep, _ = cancel_unmailable(store, [row for row in rows if row["statut"] in RELANCE_PENDING_STATUSES], by=by)
    return keep


def _export_files(
    rows: list[dict[str, Any]], expediteur: str | None, nom_expediteur: str | None
) -> tuple[list[tuple[str, bytes]], list[dict[str, Any]]]:
    files, listing = [], []
    now = utc_now()
    for row in rows:
        name = eml_file_name(row)
        message = build_message(row, expediteur=expediteur, nom_expediteur=nom_expediteur, date_header=now, draft=True)
        files.append((name, message.as_bytes()))
        listing.append({"destinataire": row["destinataire"], "structure": row["structure"], "commune": row["commune"],
                        "objet": row["objet"], "fichier": name, "message_id": row["message_id"]})
    return files, listing


def _mark_exported(store: Store, batch_id: str, ids: list[str], *, by: str, destination: str) -> None:
    now = utc_now()
    with store.atomic() as con:
        con.execute(
            "UPDATE relances SET statut = 'exportee', canal = 'export', erreur = NULL, sent_at = ?, updated_at = ?,"
            " updated_by = ? WHERE list_contains(?, id) AND list_contains(?, statut)",
            [now, now, by, ids, list(RELANCE_PENDING_STATUSES)],
        )
        record_audit(con, actor=by, action="relance.export", entity="relances", entity_id=batch_id,
                     details={"messages": len(ids), "destination": destination})


def export_batch(
    store: Store,
    batch_id: str,
    destination: str | Path,
    *,
    by: str,
    expediteur: str | None = None,
    nom_expediteur: str | None = None,
    again: bool = False,
) -> Path:
    """Write a batch's unsent relances as ``.eml`` files and a ``relances.csv`` (French Excel) into
    the directory ``destination`` — or into a zip file when it ends with ``.zip`` — and mark them
    ``exportee`` (they then count as sent, and are never exported again). ``again=True`` rewrites
    the files of rows already exported (a lost download) without changing anything.
    Returns the directory or zip written."""
    rows = _export_rows(store, batch_id, again=again, by=by)
    if not rows:
        raise RelanceError(NOTHING_TO_EXPORT)
    files, listing = _export_files(rows, expediteur, nom_expediteur)
    target = Path(destination)
    if target.suffix.lower() == ".zip":
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partiel")
        partial.write_bytes(_zip(files, listing))
        partial.replace(target)
    else:
        target.mkdir(parents=True, exist_ok=True)
        for name, content in files:
            (target / name).write_bytes(content)
        write_excel_csv(target / EXPORT_CSV_NAME, EXPORT_COLUMNS, listing)
    if not again:
        _mark_exported(store, batch_id, [row["id"] for row in rows], by=by, destination=str(target))
    return target


def batch_zip_bytes(
    store: Store,
    batch_id: str,
    *,
    by: str,
    expediteur: str | None = None,
    nom_expediteur: str | None = None,
    again: bool = False,
) -> bytes:
    """The same export as one zip in memory (a download button), the rows marked ``exportee``."""
    rows = _export_rows(store, batch_id, again=again, by=by)
    if not rows:
        raise RelanceError(NOTHING_TO_EXPORT)
    files, listing = _export_files(rows, expediteur, nom_expediteur)
    content = _zip(files, listing)
    if not again:
        _mark_exported(store, batch_id, [row["id"] for row in rows], by=by, destination="téléchargement zip")
    return content


def _zip(files: list[tuple[str, bytes]], listing: list[dict[str, Any]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(EXPORT_CSV_NAME, excel_csv_bytes(EXPORT_COLUMNS, listing))
        for name, content in files:
            archive.writestr(name, content)
    return buffer.getvalue()
