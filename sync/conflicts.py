"""What a coordinator decides after a sync: conflicts to resolve, lines deleted in the sheet.

A **conflict** is a field both this device and the sheet changed, to different values, since the
last sync. The run keeps the sheet's value as current (so every device agrees at once) and both
values here, with who and when. Resolving it sets the record's field to the value kept — the
sheet's, this device's, or another typed by the coordinator — and the next sync carries it to the
sheet and the other devices like any edit. A **refused** edit is a person's change in a tab only
devices write (``reponses``, ``conflits``): the device's value was put back, theirs is kept here.

A line a person **deleted** in the sheet is never deleted elsewhere silently: it waits here.
*Confirm* soft-deletes the record (``deleted_at``) and puts the line back in the sheet with its
``deleted_at`` filled in, which is how the other devices learn of it (a table without
``deleted_at``, such as ``relances``, keeps its record here and leaves the sheet as it is);
*restore* writes the line back as it was.
"""

from __future__ import annotations

import json
from typing import Any, Literal

import duckdb

from models.access import require
from models.audit import record_audit
from models.errors import MaillageError
from models.store import fetch_dicts, utc_now
from sync.apply import RowRejected, update_record, values_from_texts
from sync.store_side import columns_sql, table_sql, update_sql
from sync.tables import column_kinds, synced_table

Choice = Literal["feuille", "appareil", "autre"]
CHOICES: dict[str, str] = {
    "feuille": "Garder la valeur du classeur",
    "appareil": "Garder la valeur de cet appareil",
    "autre": "Saisir une autre valeur",
}


class ResolutionError(MaillageError):
    """A resolution that cannot be applied (message in French)."""


def open_conflicts(con: duckdb.DuckDBPyConnection, spreadsheet_id: str | None = None) -> list[dict[str, Any]]:
    """Conflicts and refused edits not resolved yet, oldest first."""
    sql = "SELECT * FROM sync_conflicts WHERE statut = 'ouvert' AND deleted_at IS NULL"
    params: list[Any] = []
    if spreadsheet_id is not None:
        sql += " AND spreadsheet_id = ?"
        params.append(spreadsheet_id)
    return fetch_dicts(con, sql + " ORDER BY created_at, id", params)


def count_open_conflicts(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute(
        "SELECT count(*) FROM sync_conflicts WHERE statut = 'ouvert' AND deleted_at IS NULL").fetchall()[0][0]


def resolve_conflict(con: duckdb.DuckDBPyConnection, conflict_id: str, choice: Choice, *, by: str,
                     value: str | None = None) -> dict[str, Any]:
    """Resolve one conflict (see the module docstring); returns the conflict as saved.

    ``value`` is the cell text to keep when ``choice`` is ``autre`` (as a person types it in the
    sheet: ``4,5``, ``Oui``, ``a|b``…). Raises ``ResolutionError`` in French.
    """
    require(con, by, "trancher_conflits")
    rows = fetch_dicts(con, "SELECT * FROM sync_conflicts WHERE id = ?", [conflict_id])
    if not rows:
        raise ResolutionError("Ce conflit n'existe plus (déjà supprimé ?) ; rechargez la page.")
    conflict = rows[0]
    if conflict["statut"] != "ouvert":
        raise ResolutionError(
            f"Ce conflit a déjà été résolu par {conflict['resolu_par']} ; rechargez la page pour voir la valeur retenue.")
    if choice not in CHOICES:
        raise ResolutionError(f"Choix inconnu : « {choice} » (attendu : {', '.join(CHOICES)}).")
    if conflict["nature"] in ("invalide", "identifiant"):
        return _decide_sheet_line(con, conflict, choice, by=by)
    if conflict["nature"] == "refusee" and choice != "appareil":
        raise ResolutionError(
            f"L'onglet « {conflict['tab']} » n'est pas modifiable dans le classeur : la valeur de l'appareil reste."
            " Pour corriger une réponse, ouvrez-la dans l'application (une correction crée une nouvelle révision).")
    if choice == "autre" and value is None:
        raise ResolutionError("Saisissez la valeur à garder.")
    kept = {"feuille": conflict["valeur_feuille"], "appareil": conflict["valeur_appareil"], "autre": value}[choice] or ""
    spec = synced_table(conflict["tab"])
    kinds = column_kinds(con, spec.table)
    column = conflict["colonne"]
    if column not in kinds:
        raise ResolutionError(f"La colonne « {column} » n'existe plus dans « {spec.table} ».")
    (column_sql,) = columns_sql(con, spec, [column])
    current = con.execute("SELECT " + column_sql + " FROM " + table_sql(spec) + " WHERE id = ?", [conflict["row_id"]]).fetchall()
    if not current:
        raise ResolutionError(f"L'enregistrement {conflict['row_id']} n'existe plus sur cet appareil.")
    if conflict["nature"] == "conflit":
        try:
            values = values_from_texts(kinds, {column: kept}, tab=spec.tab, line=None)
            update_record(con, spec, conflict["row_id"], values, stamp=utc_now(), by=by, tab=spec.tab, line=None)
        except RowRejected as error:
            raise ResolutionError(str(error)) from None
    now = utc_now()
    con.execute(
        "UPDATE sync_conflicts SET statut = 'resolu', resolution = ?, valeur_retenue = ?, resolu_par = ?, resolu_le = ?,"
        " updated_at = ?, updated_by = ? WHERE id = ?",
        [choice, kept, by, now, now, by, conflict_id],
    )
    record_audit(con, actor=by, action="conflict.resolve", entity=spec.table, entity_id=conflict["row_id"],
                 details={"colonne": column, "choix": choice, "valeur_retenue": kept, "conflit": conflict_id})
    return fetch_dicts(con, "SELECT * FROM sync_conflicts WHERE id = ?", [conflict_id])[0]


def _decide_sheet_line(con: duckdb.DuckDBPyConnection, conflict: dict[str, Any], choice: str, *, by: str) -> dict[str, Any]:
    """A refused line (``invalide``): put this device's value back in the sheet (``appareil``), the
    only choice the app can make (otherwise the line is fixed in the sheet). A likely id typo
    (``identifiant``): repair the line with the original id (``appareil``) or keep both records
    (``feuille``: the typed line becomes a new record, the original's line is written back)."""
    spreadsheet_id, tab, row_id = conflict["spreadsheet_id"], conflict["tab"], conflict["row_id"]
    base = con.execute("SELECT cells FROM sync_base WHERE spreadsheet_id = ? AND tab = ? AND row_id = ?",
                       [spreadsheet_id, tab, row_id]).fetchall()
    if conflict["nature"] == "invalide":
        if choice != "appareil" or not base:
            raise ResolutionError(
                f"Corrigez la ligne {conflict['ligne'] or ''} de l'onglet « {tab} » dans le classeur : elle sera reprise"
                " à la prochaine synchronisation." + (" Vous pouvez aussi y remettre la valeur de cet appareil."
                                                       if base else ""))
        cells = json.loads(base[0][0])
        cells[conflict["colonne"]] = conflict["valeur_feuille"] or ""  # the sheet's text counts as agreed: ours wins
        con.execute("UPDATE sync_base SET cells = ?, store_hash = NULL WHERE spreadsheet_id = ? AND tab = ? AND row_id = ?",
                    [json.dumps(cells, ensure_ascii=False), spreadsheet_id, tab, row_id])
    elif choice == "feuille":
        con.execute("DELETE FROM sync_base WHERE spreadsheet_id = ? AND tab = ? AND row_id = ?", [spreadsheet_id, tab, row_id])
    elif choice != "appareil":
        raise ResolutionError("Choisissez de réparer la ligne (identifiant d'origine) ou de garder les deux enregistrements.")
    kept = conflict["valeur_appareil"] if choice == "appareil" else conflict["valeur_feuille"]
    now = utc_now()
    con.execute(
        "UPDATE sync_conflicts SET statut = 'resolu', resolution = ?, valeur_retenue = ?, resolu_par = ?, resolu_le = ?,"
        " updated_at = ?, updated_by = ? WHERE id = ?",
        [choice, kept, by, now, now, by, conflict["id"]],
    )
    record_audit(con, actor=by, action="conflict.resolve", entity=synced_table(tab).table, entity_id=row_id,
                 details={"nature": conflict["nature"], "colonne": conflict["colonne"], "choix": choice,
                          "conflit": conflict["id"]})
    return fetch_dicts(con, "SELECT * FROM sync_conflicts WHERE id = ?", [conflict["id"]])[0]


def pending_deletions(con: duckdb.DuckDBPyConnection, spreadsheet_id: str | None = None) -> list[dict[str, Any]]:
    """Lines a person deleted in the sheet, waiting for a coordinator."""
    sql = "SELECT * FROM sync_deletions WHERE statut = 'a_confirmer'"
    params: list[Any] = []
    if spreadsheet_id is not None:
        sql += " AND spreadsheet_id = ?"
        params.append(spreadsheet_id)
    return fetch_dicts(con, sql + " ORDER BY detected_at, tab, row_id", params)


def decide_deletion(con: duckdb.DuckDBPyConnection, spreadsheet_id: str, tab: str, row_id: str, *, confirm: bool,
                    by: str) -> None:
    """Confirm (soft-delete here, the line back in the sheet as deleted) or restore a deleted line."""
    require(con, by, "trancher_conflits")
    found = con.execute(
        "SELECT statut FROM sync_deletions WHERE spreadsheet_id = ? AND tab = ? AND row_id = ?",
        [spreadsheet_id, tab, row_id],
    ).fetchall()
    if not found or found[0][0] != "a_confirmer":
        raise ResolutionError("Cette suppression a déjà été traitée ; rechargez la page.")
    spec = synced_table(tab)
    now = utc_now()
    has_deleted_at = "deleted_at" in column_kinds(con, spec.table)
    if confirm and has_deleted_at:
        if spec.table == "structures":
            from models.registry import delete_structure, get_structure

            row = get_structure(con, row_id)
            if row is not None and row["deleted_at"] is None:
                delete_structure(con, row_id, by=by)
        else:
            con.execute(
                update_sql(con, spec, ["deleted_at", "updated_at", "updated_by"]) + " AND deleted_at IS NULL",
                [now, now, by, row_id],
            )
    if not confirm or has_deleted_at:  # the line goes back to the sheet at the next sync
        con.execute("DELETE FROM sync_base WHERE spreadsheet_id = ? AND tab = ? AND row_id = ?", [spreadsheet_id, tab, row_id])
    con.execute(
        "UPDATE sync_deletions SET statut = ?, decide_par = ?, decide_le = ? WHERE spreadsheet_id = ? AND tab = ? AND row_id = ?",
        ["confirmee" if confirm else "restauree", by, now, spreadsheet_id, tab, row_id],
    )
    record_audit(con, actor=by, action="deletion.confirm" if confirm else "deletion.restore", entity=spec.table,
                 entity_id=row_id, details={"onglet": tab})
