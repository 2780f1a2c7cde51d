"""One sync between this device's store and the shared Google Sheet (the hub), both ways.

The steps, each written to ``sync_journal`` as it ends (a cut run is seen by the next one, which
then never takes the one-request shortcut and completes the work):

1. **Anything to do?** Local changes are found in SQL (a hash per row against ``sync_base``).
   With none, and a previous run that ended clean, the Drive file's ``modifiedTime`` alone decides:
   unchanged → the run stops after **one request**. Before that, a ``sync_base`` stored by an older
   Maillage (or under another DuckDB) is upgraded once to the current format, so that an upgrade
   is never « every record changed »; one a newer Maillage stored stops the run, nothing changed
   (``sync.store_side``, « the stored state carries a version »).
2. **Read** every tab in **one** ``values:batchGet`` (``FORMATTED_VALUE``). Tabs are created
   first when missing (their ``sheetId`` is remembered in ``sync_state``).
3. **Merge** each record by ``id`` (``sync.merge``): only records whose store hash or sheet hash
   moved since the last sync are looked at. New records of people (a line without ``id``) get an
   id derived from their content (two devices reading the same line give it the same id); records
   a person deleted in the sheet wait for a coordinator (``sync_deletions``).
4. **Write** every change in **one** ``spreadsheets:batchUpdate``: ``updateCells`` for changed
   cells (text values, like RAW: never a formula), ``appendCells`` for new rows (atomic at the end
   of the tab, so a person or another device adding rows at the same moment is never
   overwritten). A large first push is split into requests of at most ``MAX_PAYLOAD_BYTES``.
5. **Verify**: one ``values:batchGetByDataFilter`` reads back the lines written. A line whose
   ``id`` is not the record's any more was moved by a sort between the read and the write: the
   cells written there are put back from the first read, the change is written on the record's
   new line (one more read and write, within the same run). A written cell holding another value
   was overwritten by another device at the same moment: its base is not advanced, so the next
   run sees both values and records a conflict rather than losing one.
6. **Record**, in one store transaction: the sheet's changes, conflicts, deletions waiting, the new
   ``sync_base`` and the run's figures. A run cut before this point changed nothing locally; the
   next run finds the sheet already holding what was written (both sides equal: nothing lost,
   nothing twice).

An incremental run therefore costs three requests (read, write, verify), an idle one one or two.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb
import gspread
import pyarrow as pa

from models.access import require
from models.audit import record_audit
from models.errors import MaillageError
from models.ids import new_id
from models.records import CLOSED_COLUMNS, RecordProblem, closed_column_reason, code_of
from models.store import Store, fetch_dicts, utc_now
from models.structure import data_fields, validate_structure
from sync.apply import (
    RowRejected,
    check_row,
    insert_record,
    issue_problems,
    problems_text,
    update_record,
    values_from_texts,
)
from sync.merge import FieldConflict, merge_row
from sync.sheet_layout import SheetRow, TabError, TabRead, line_range, quoted_tab, read_tab
from sync.sheet_values import ABSENT, CellError, Kind, from_cell, to_cell
from sync.store_side import (
    DUCKDB_VERSION,
    ROW_FORMAT_VERSION,
    RowFormatTooNew,
    base_cells,
    base_index,
    check_row_format,
    local_changes,
    record_row_format,
    row_format_outdated,
    store_columns,
    store_hashes,
    store_texts,
    table_sql,
    texts_hash,
    upgrade_tab_bases,
)
from sync.tables import METADATA_COLUMNS, PROTECTED_COLUMNS, SYNCED_TABLES, SyncedTable, synced_columns
from sync.transport import TransportError, TransportStats

MAX_PAYLOAD_BYTES = 2_000_000  # Google advises at most 2 MB per request
BULK_APPEND_ROWS = 500  # more new rows than this in a tab (a first push): compact ``values:append`` requests
HUMAN_EDITOR = "feuille partagée"  # who changed a value typed by a person in the sheet
_ID_NAMESPACE = uuid.UUID("6f1c1c52-4a8e-4d7e-9a59-2f4d0f7d6a11")  # ids of people's new lines
_SHEETS_URL = "https://sheets.googleapis.com/v4/spreadsheets/"
_REPAIR_ROUNDS = 2


class SyncError(MaillageError):
    """A sync that could not run or complete (message in French; nothing is lost)."""


@dataclass
class SyncReport:
    """What a run did, for the page, the CLI and the journal."""

    run_id: str
    status: str = "en_cours"  # terminee | rien_a_faire | interrompue | erreur
    requests: int = 0
    retries: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0
    cpu_seconds: float = 0.0
    to_store: int = 0  # fields (and records) brought into this store
    to_sheet: int = 0  # fields written in the sheet
    new_in_store: int = 0
    new_in_sheet: int = 0
    conflicts: int = 0
    refused: int = 0
    deletions: int = 0
    repaired: int = 0
    deferred: int = 0  # records left for the next run (changed during this one, or written over)
    created_tabs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    message: str = ""

    def summary(self) -> dict[str, Any]:
        keys = ("to_store", "to_sheet", "new_in_store", "new_in_sheet", "conflicts", "refused", "deletions",
                "repaired", "deferred", "created_tabs", "errors")
        return {key: getattr(self, key) for key in keys}


@dataclass
class _Plan:
    """What the run decided for one record of one tab."""

    kind: str  # merge | from_sheet | human_new (rows only this store has are appended column-wise)
    row_id: str
    line: int | None = None
    store_hash: str | None = None  # the store row's hash when planned (None: not in store)
    to_store: dict[str, str] = field(default_factory=dict)
    to_sheet: dict[str, str] = field(default_factory=dict)
    conflicts: list[FieldConflict] = field(default_factory=list)
    refused: list[FieldConflict] = field(default_factory=list)
    base: dict[str, str] = field(default_factory=dict)  # every column's text both sides hold after the run
    sheet_texts: dict[str, str] = field(default_factory=dict)  # the row's texts in the sheet after the write
    first_read: dict[str, object] = field(default_factory=dict)  # the line as first read
    old_base: dict[str, str] | None = None  # the last synced texts before this run
    stamp: tuple[Any, str] | None = None  # (updated_at, updated_by) of a change from the sheet
    values: dict[str, Any] = field(default_factory=dict)  # store values of to_store (or of a new record)
    written_over: set[str] = field(default_factory=set)  # columns another writer overwrote
    sheet_by: str = HUMAN_EDITOR
    sheet_at: Any = None
    store_by: str | None = None  # who last changed the record on this device, and when (for conflicts)
    store_at: Any = None
    deferred: bool = False


@dataclass
class _Tab:
    spec: SyncedTable
    kinds: dict[str, Kind]
    sheet_id: int
    read: TabRead | None = None
    plans: list[_Plan] = field(default_factory=list)
    header_added: list[str] = field(default_factory=list)
    positions: dict[str, int] = field(default_factory=dict)  # our column → index, header additions included
    bulk_rows: list[Sequence[str]] = field(default_factory=list)  # new rows sent by ``values:append``
    # records never synced and absent from the sheet, column by column (``id`` included), with
    # their store hashes: appended as they are, and their base saved in one statement
    appends: dict[str, list[str]] = field(default_factory=dict)
    append_hashes: list[str] = field(default_factory=list)
    deletions: list[str] = field(default_factory=list)
    reappeared: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Refusal:
    """A line of the sheet refused for its content: where, which column, value and reason."""

    tab: str
    row_id: str
    line: int | None
    problem: RecordProblem
    device_value: str | None  # this device's value of that column (None: the record is not here)


class _Run:
    """The state of one run (see the module docstring for its steps)."""

    def __init__(self, store: Store, client: gspread.Client, spreadsheet_id: str, *, by: str,
                 stats: TransportStats | None, progress: Callable[[str, float], None] | None) -> None:
        self.store, self.client, self.sid, self.by = store, client, spreadsheet_id, by
        self.stats = stats
        self.progress = progress or (lambda label, share: None)
        self.report = SyncReport(run_id=new_id())
        self.step = 0
        self.stats_start = _copy_stats(stats)
        self.cpu_start = time.process_time()
        self.tabs: dict[str, _Tab] = {}
        self.modified_time: str | None = None
        self.clean = True
        self.started_at = utc_now()
        self.refusals: list[_Refusal] = []  # lines refused for their content, kept for a coordinator
        self.id_typos: list[tuple[str, str, str, int]] = []  # (tab, typed id, original id, line) to decide
        self._known: dict[str, set[str]] = {}

    def known(self, table: str, record_id: str) -> bool:
        """Whether this device holds ``record_id`` in ``table`` (or this run takes it from the sheet)."""
        if table not in self._known:
            with self.store.connect() as con:
                self._known[table] = {row_id for (row_id,) in con.execute("SELECT id FROM " + table).fetchall()}
            for tab in self.tabs.values():
                if tab.spec.table == table:
                    self._known[table].update(p.row_id for p in tab.plans if p.kind in ("from_sheet", "human_new"))
        return record_id in self._known[table]

    def refuse(self, tab: _Tab, row_id: str, line: int | None, error: RowRejected | CellError,
               store_texts: Mapping[str, str] | None = None) -> None:
        """A line the store cannot take: said in the report, kept for the Conflits page and tab."""
        self.report.errors.append(str(error))
        self.clean = False
        if isinstance(error, CellError):
            problems = [RecordProblem(error.column, error.value, error.reason)]
        else:
            problems = error.problems
        for problem in problems:
            device = store_texts.get(problem.column or "") if store_texts is not None else None
            self.refusals.append(_Refusal(tab.spec.tab, row_id, line, problem, device))

    # -- journal -----------------------------------------------------------------------------

    def journal(self, etape: str, **details: Any) -> None:
        """One step of the run, committed at once (so it survives a cut)."""
        self.step += 1
        with self.store.atomic() as con:
            con.execute(
                "INSERT INTO sync_journal (run_id, step, etape, occurred_at, details) VALUES (?, ?, ?, ?, ?)",
                [self.report.run_id, self.step, etape, utc_now(), json.dumps(details, ensure_ascii=False, default=str)],
            )

    def begin(self) -> dict[str, Any] | None:
        with self.store.atomic() as con:
            cut = con.execute(
                "SELECT id FROM sync_runs WHERE spreadsheet_id = ? AND statut = 'en_cours'", [self.sid]
            ).fetchall()
            con.execute(
                "UPDATE sync_runs SET statut = 'interrompue', finished_at = ?,"
                " erreur = coalesce(erreur, 'synchronisation coupée avant la fin ; reprise par la suivante')"
                " WHERE spreadsheet_id = ? AND statut = 'en_cours'",
                [utc_now(), self.sid],
            )
            con.execute(
                "INSERT INTO sync_runs (id, spreadsheet_id, started_at, statut, par) VALUES (?, ?, ?, 'en_cours', ?)",
                [self.report.run_id, self.sid, utc_now(), self.by],
            )
            state = fetch_dicts(con, "SELECT * FROM sync_state WHERE spreadsheet_id = ?", [self.sid])
        self.journal("debut", reprise_de=[row[0] for row in cut])
        if cut:
            return None  # a cut run: no shortcut this time
        return state[0] if state else None

    # -- requests ----------------------------------------------------------------------------

    def api(self, call: Callable[[], Any]) -> Any:
        """One request to Google, its errors in French (a missing tab is named from Google's message)."""
        from sync.credentials import explain_api_error

        try:
            return call()
        except TransportError:
            raise
        except gspread.exceptions.APIError as error:
            raise explain_api_error(error) from error

    def drive_modified_time(self) -> str:
        data = self.api(lambda: self.client.http_client.get_file_drive_metadata(self.sid))
        return str(data.get("modifiedTime") or "")

    def fetch_tab_ids(self) -> dict[str, int]:
        data = self.api(lambda: self.client.http_client.fetch_sheet_metadata(
            self.sid, params={"fields": "sheets.properties(sheetId,title)"}))
        return {sheet["properties"]["title"]: sheet["properties"]["sheetId"] for sheet in data.get("sheets", [])}

    def create_tabs(self, tab_ids: dict[str, int], kinds_by_tab: Mapping[str, dict[str, Kind]]) -> dict[str, int]:
        """Add the missing tabs, each with its header row, in one request."""
        missing = [spec for spec in SYNCED_TABLES if spec.tab not in tab_ids]
        if not missing:
            return tab_ids
        used = set(tab_ids.values())
        requests: list[dict] = []
        for spec in missing:
            sheet_id = _free_sheet_id(spec.tab, used)
            used.add(sheet_id)
            tab_ids = {**tab_ids, spec.tab: sheet_id}
            columns = list(kinds_by_tab[spec.tab])
            requests.append({"addSheet": {"properties": {
                "sheetId": sheet_id, "title": spec.tab,
                "gridProperties": {"rowCount": 1000, "columnCount": max(26, len(columns)), "frozenRowCount": 1}}}})
            requests.append(_update_cells(sheet_id, 0, 0, columns))
        self.api(lambda: self.client.http_client.batch_update(self.sid, {"requests": requests}))
        self.report.created_tabs += [spec.tab for spec in missing]
        self.journal("onglets_crees", onglets=[spec.tab for spec in missing])
        return tab_ids

    def read_values(self, tabs: Sequence[str]) -> dict[str, list[list[Any]]]:
        ranges = [quoted_tab(tab) for tab in tabs]
        data = self.api(lambda: self.client.http_client.values_batch_get(
            self.sid, ranges, params={"valueRenderOption": "FORMATTED_VALUE", "majorDimension": "ROWS"}))
        return {tab: found.get("values", []) for tab, found in zip(tabs, data.get("valueRanges", []), strict=True)}

    def read_lines(self, wanted: Sequence[tuple[str, int]]) -> dict[tuple[str, int], list[Any]]:
        """The given lines of given tabs, in one ``values:batchGetByDataFilter``."""
        body = {
            "dataFilters": [{"a1Range": line_range(tab, line)} for tab, line in wanted],
            "valueRenderOption": "FORMATTED_VALUE", "majorDimension": "ROWS",
        }
        url = _SHEETS_URL + self.sid + "/values:batchGetByDataFilter"
        response = self.api(lambda: self.client.http_client.request("post", url, json=body))
        found = response.json().get("valueRanges", [])
        out: dict[tuple[str, int], list[Any]] = {}
        for key, item in zip(wanted, found, strict=True):
            values = item.get("valueRange", {}).get("values", [])
            out[key] = values[0] if values else []
        return out

    def append_values(self, tab: str, rows: list[list[str]]) -> None:
        """Add many rows at the end of a tab with ``values:append`` (RAW, rows inserted), split by
        payload size: the compact form of a first push (a list of texts instead of a cell object
        per value). Google appends after the data, atomically, like ``appendCells``."""
        params = {"valueInputOption": "RAW", "insertDataOption": "INSERT_ROWS"}
        chunks = _chunks(rows, _row_size)
        sent = 0
        for index, chunk in enumerate(chunks, start=1):
            self.api(lambda chunk=chunk: self.client.http_client.values_append(
                self.sid, quoted_tab(tab), params, {"values": chunk}))
            sent += len(chunk)
            if index % 10 == 0 or index == len(chunks):  # the journal every ten requests: a cut is seen anyway
                self.journal("ecriture", onglet=tab, lignes_ajoutees=sent, requetes=index)

    def write(self, requests: list[dict]) -> None:
        """Send ``spreadsheets:batchUpdate`` requests, split by payload size."""
        for index, chunk in enumerate(_chunks(requests, _estimated_size)):
            self.api(lambda chunk=chunk: self.client.http_client.batch_update(self.sid, {"requests": chunk}))
            self.journal("ecriture", lot=index + 1, requetes=len(chunk))

    def finish_stats(self) -> None:
        report = self.report
        if self.stats is not None:
            report.requests = self.stats.requests - self.stats_start.requests
            report.retries = self.stats.retries - self.stats_start.retries
            report.bytes_sent = self.stats.bytes_sent - self.stats_start.bytes_sent
            report.bytes_received = self.stats.bytes_received - self.stats_start.bytes_received
        report.cpu_seconds = round(time.process_time() - self.cpu_start, 3)


def _copy_stats(stats: TransportStats | None) -> TransportStats:
    return TransportStats(**vars(stats)) if stats is not None else TransportStats()


def _free_sheet_id(tab: str, used: set[int]) -> int:
    candidate = uuid.uuid5(_ID_NAMESPACE, tab).int % 2_000_000_000 + 1
    while candidate in used:
        candidate += 1
    return candidate


def _cell(text: str) -> dict:
    return {"userEnteredValue": {"stringValue": text}} if text != "" else {}


def _update_cells(sheet_id: int, row_index: int, column_index: int, texts: Sequence[str]) -> dict:
    return {"updateCells": {
        "start": {"sheetId": sheet_id, "rowIndex": row_index, "columnIndex": column_index},
        "rows": [{"values": [_cell(text) for text in texts]}],
        "fields": "userEnteredValue",
    }}


def _chunks(items: Sequence[Any], weight: Callable[[Any], int]) -> list[list[Any]]:
    """Items grouped in order so each group weighs at most ``MAX_PAYLOAD_BYTES`` (one request each)."""
    chunks: list[list[Any]] = []
    current: list[Any] = []
    size = 0
    for item in items:
        cost = weight(item)
        if current and size + cost > MAX_PAYLOAD_BYTES:
            chunks.append(current)
            current, size = [], 0
        current.append(item)
        size += cost
    if current:
        chunks.append(current)
    return chunks


def _row_size(row: Sequence[str]) -> int:
    """About a row's JSON size in a ``values:append``."""
    return 4 + sum(map(len, row)) + 3 * len(row)


def _estimated_size(request: dict) -> int:
    """About the request's JSON size: a cell costs its text plus ~40 bytes of wrapping."""
    (payload,) = request.values()
    rows = payload.get("rows") if isinstance(payload, dict) else None
    if not rows:
        return 200
    return 100 + sum(20 + sum(40 + len(cell["userEnteredValue"]["stringValue"]) if cell else 3 for cell in row["values"])
                     for row in rows)


def human_row_id(spreadsheet_id: str, tab: str, texts: Sequence[str], occurrence: int) -> str:
    """The id given to a person's new line: derived from its content, so two devices reading the
    same line at the same moment give it the same id (and the store never holds it twice)."""
    return str(uuid.uuid5(_ID_NAMESPACE, "\x1f".join([spreadsheet_id, tab, str(occurrence), *texts])))


# -- the run ------------------------------------------------------------------------------------


def sync_hub(
    store: Store,
    client: gspread.Client,
    spreadsheet_id: str,
    *,
    by: str | None = None,
    stats: TransportStats | None = None,
    progress: Callable[[str, float], None] | None = None,
) -> SyncReport:
    """Synchronise ``store`` with the spreadsheet, both ways (see the module docstring).

    ``stats``: the ``SyncTransport.stats`` of the client's session, so the run reports its
    requests and bytes. ``progress(label, share)`` is called between steps (French labels).
    Raises ``SyncError`` (or a French ``MaillageError`` about access) when the run cannot
    complete; whatever it wrote is completed by the next run.
    """
    with store.connect() as con:
        require(con, by or store.device, "synchroniser")
        try:  # before the run exists: a state a newer Maillage wrote is left exactly as it is
            check_row_format(con, spreadsheet_id)
        except RowFormatTooNew as error:
            raise SyncError(str(error)) from error
    run = _Run(store, client, spreadsheet_id, by=by or store.device, stats=stats, progress=progress)
    try:
        _run(run)
    except MaillageError as error:
        _abort(run, error, "erreur")
        raise
    except Exception as error:  # unexpected: journalled, then raised as is
        _abort(run, error, "erreur")
        raise
    return run.report


def _abort(run: _Run, error: BaseException, status: str) -> None:
    run.finish_stats()
    run.report.status = "interrompue" if isinstance(error, TransportError) else status
    run.report.message = str(error)
    try:
        with run.store.atomic() as con:
            con.execute(
                "UPDATE sync_runs SET statut = ?, finished_at = ?, requetes = ?, reessais = ?, octets_envoyes = ?,"
                " octets_recus = ?, cpu_secondes = ?, bilan = ?, erreur = ? WHERE id = ?",
                [run.report.status, utc_now(), run.report.requests, run.report.retries, run.report.bytes_sent,
                 run.report.bytes_received, run.report.cpu_seconds, json.dumps(run.report.summary(), ensure_ascii=False),
                 str(error), run.report.run_id],
            )
            con.execute("UPDATE sync_state SET clean = FALSE WHERE spreadsheet_id = ?", [run.sid])
        run.journal("echec", erreur=str(error))
    except Exception:  # noqa: BLE001 - the store itself failing: the original error matters more
        pass


def _upgrade_state(run: _Run) -> None:
    """The stored state of an older format (or of another DuckDB) written in the current one, once,
    before anything compares it (``sync.store_side``: from the stored bases, so edits stay edits).
    Tab by tab, each in its own short transaction; the format is recorded last, so a run cut
    meanwhile leaves it to the next, which does it again (the upgrade is idempotent)."""
    with run.store.connect() as con:
        stored = check_row_format(con, run.sid)
        if not row_format_outdated(con, run.sid):
            return
    rewritten: dict[str, int] = {}
    for spec in SYNCED_TABLES:
        with run.store.atomic() as con:
            rewritten[spec.tab] = upgrade_tab_bases(con, run.sid, spec, synced_columns(con, spec))
    with run.store.atomic() as con:
        record_row_format(con, run.sid, now=utc_now(), by=run.by)
    run.journal("etat_mis_a_jour", format=f"{stored.version} → {ROW_FORMAT_VERSION}",
                duckdb=f"{stored.duckdb or 'inconnu'} → {DUCKDB_VERSION}", bases=rewritten)


# Long: the run's steps in order (local changes, « nothing to do », tabs, read, plan, write, verify, record),
# each a call or two with its progress and journal line; the order is the protocol.
def _run(run: _Run) -> None:
    run.progress("Préparation", 0.0)
    state = run.begin()
    _upgrade_state(run)
    with run.store.connect() as con:
        changes = local_changes(con, run.sid)
        kinds_by_tab = {spec.tab: synced_columns(con, spec) for spec in SYNCED_TABLES}
    waiting = sum(changes.values())
    run.journal("modifications_locales", **changes)

    if waiting == 0:
        run.progress("Le classeur a-t-il changé ?", 0.05)
        run.modified_time = run.drive_modified_time()
        if state and state["clean"] and state["modified_time"] == run.modified_time:
            _finish(run, "rien_a_faire", tab_ids=json.loads(state["tab_ids"] or "{}"))
            return

    tab_ids = json.loads(state["tab_ids"]) if state and state["tab_ids"] else {}
    if any(spec.tab not in tab_ids for spec in SYNCED_TABLES):
        tab_ids = run.create_tabs(run.fetch_tab_ids(), kinds_by_tab)

    run.progress("Lecture du classeur", 0.15)
    try:
        values = run.read_values([spec.tab for spec in SYNCED_TABLES])
    except MaillageError:
        # a tab renamed or deleted by a person since the last run: find the tabs again, then read
        fresh = run.fetch_tab_ids()
        if all(spec.tab in fresh for spec in SYNCED_TABLES):
            raise
        tab_ids = run.create_tabs(fresh, kinds_by_tab)
        values = run.read_values([spec.tab for spec in SYNCED_TABLES])
    run.journal("lecture", lignes={tab: len(rows) for tab, rows in values.items()})

    run.progress("Comparaison", 0.35)
    # Tab by tab, the store held only for its SQL reads (``_plan_tab``): reading the sheet's lines
    # and merging are Python work that needs no file, and a busy server waits for every moment
    # this process holds it (models/store.py: the processes take turns).
    for spec in SYNCED_TABLES:
        tab = _Tab(spec, kinds_by_tab[spec.tab], tab_ids[spec.tab])
        run.tabs[spec.tab] = tab
        if spec.tab in run.report.created_tabs:
            with run.store.connect() as con:
                con.execute("DELETE FROM sync_base WHERE spreadsheet_id = ? AND tab = ?", [run.sid, spec.tab])
        try:
            tab.read = read_tab(spec.tab, values.get(spec.tab, []), list(tab.kinds))
        except TabError as error:
            run.report.errors.append(str(error))
            run.clean = False
            continue
        _plan_tab(run, tab)

    run.progress("Écriture dans le classeur", 0.55)
    requests = _write_requests(run)
    if requests:
        run.write(requests)
    for tab in run.tabs.values():
        if tab.bulk_rows:
            run.append_values(tab.spec.tab, tab.bulk_rows)
    run.progress("Vérification", 0.75)
    _verify_and_repair(run)

    run.progress("Enregistrement", 0.9)
    _record(run)
    _finish(run, "terminee", tab_ids=tab_ids)
    run.progress("Terminé", 1.0)


# -- planning -----------------------------------------------------------------------------------


def _canonical(raw: object, kind: Kind, *, table: str, tab: str, line: int, column: str) -> object:
    """The canonical text of a cell as read (``ABSENT`` stays), raising ``CellError``. A closed
    column's cell gives its code (« Occupé » → ``occupe``); a value outside its list is an error."""
    if raw is ABSENT:
        return ABSENT
    value = from_cell(raw, kind, tab=tab, line=line, column=column)
    if value is not None and column in CLOSED_COLUMNS.get(table, {}):
        code = code_of(table, column, str(value))
        if code is None:
            raise CellError(tab, line, column, raw, closed_column_reason(table, column))
        value = code
    return to_cell(value, kind)


# Long: the tab's plan in three steps that hand each other the sheet's rows, the stored bases and the
# store's rows; cut apart, each would take and return all of them.
def _plan_tab(run: _Run, tab: _Tab) -> None:
    """What to do with each record of a tab: the sheet's side first, then the store's in one short
    unit of work (SQL reads only), then the merges, without the store."""
    spec, kinds, read = tab.spec, tab.kinds, tab.read
    assert read is not None
    columns = list(kinds)
    for row_id, lines in read.duplicates.items():
        run.report.errors.append(
            f"Onglet « {spec.tab} » : l'identifiant {row_id} apparaît sur plusieurs lignes"
            f" ({', '.join(str(line) for line in lines)}) ; supprimez les lignes en trop (gardez la bonne), la"
            " ligne sera synchronisée ensuite."
        )
        run.clean = False
    sheet_hashes = {row_id: texts_hash([row.cells[name] for name in columns]) for row_id, row in read.rows.items()}

    with run.store.connect() as con:
        base = base_index(con, run.sid, spec.tab)
        hashes = store_hashes(con, spec, kinds)
        pending = {
            row_id for (row_id,) in con.execute(
                "SELECT row_id FROM sync_deletions WHERE spreadsheet_id = ? AND tab = ?"
                " AND statut IN ('a_confirmer', 'confirmee')",
                [run.sid, spec.tab],
            ).fetchall()
        }
        candidates: list[str] = []
        for row_id, row_hash in hashes.items():
            known = base.get(row_id)
            if row_id in read.duplicates:
                continue
            if (known is None or known.store_hash != row_hash or row_id not in read.rows
                    or known.sheet_hash != sheet_hashes[row_id]):
                candidates.append(row_id)
        appending = {row_id for row_id in candidates if row_id not in read.rows and row_id not in base}
        if appending:
            tab.appends = store_columns(con, spec, kinds, sorted(appending))
            tab.append_hashes = [hashes[row_id] for row_id in tab.appends["id"]]
            candidates = [row_id for row_id in candidates if row_id not in appending]
        texts = store_texts(con, spec, kinds, candidates) if candidates else {}
        bases = base_cells(con, run.sid, spec.tab, [row_id for row_id in candidates if row_id in base])
        decisions = _id_decisions(con, run.sid, spec.tab)
    from_sheet = [row_id for row_id in read.rows if row_id not in hashes]
    vanished = [row_id for row_id in candidates if row_id not in read.rows and row_id not in pending and row_id in bases]
    typos = _likely_id_typos(tab, [read.rows[row_id] for row_id in from_sheet], vanished, bases)
    for typed, original in typos.items():
        decision = decisions.get((original, typed))
        if decision == "appareil":  # the coordinator chose to repair: the line is the original's again
            row = read.rows[typed]
            plan = _merge_plan(run, tab, SheetRow(row.line, original, row.cells), texts[original], bases.get(original),
                               hashes[original])
            if plan is not None:
                tab.plans.append(plan)
        elif decision != "feuille":  # not decided yet: neither a new record nor a deletion meanwhile
            run.id_typos.append((spec.tab, typed, original, read.rows[typed].line))
            run.clean = False
    held = {original for typed, original in typos.items() if decisions.get((original, typed)) != "feuille"}
    from_sheet = [row_id for row_id in from_sheet if row_id not in typos or decisions.get((typos[row_id], row_id)) == "feuille"]

    for row_id in candidates:
        row = read.rows.get(row_id)
        if row_id in held:
            continue
        if row is None:
            if row_id not in pending:  # was in the sheet: a person deleted the line
                tab.deletions.append(row_id)
                run.report.deletions += 1
            continue
        if row_id in pending:  # back in the sheet (a person's undo, or restored by another device)
            tab.reappeared.append(row_id)
        plan = _merge_plan(run, tab, row, texts[row_id], bases.get(row_id), hashes[row_id])
        if plan is not None:
            tab.plans.append(plan)

    for row_id in from_sheet:
        plan = _from_sheet_plan(run, tab, read.rows[row_id])
        if plan is not None:
            tab.plans.append(plan)

    occurrences: dict[tuple[str, ...], int] = {}
    for row in read.new_rows:
        plan = _human_new_plan(run, tab, row, occurrences)
        if plan is not None:
            tab.plans.append(plan)

    if read.missing:
        tab.header_added = list(read.missing)


# Columns compared to recognise a line whose ``id`` a person mistyped: all but the id itself.
def _likely_id_typos(tab: _Tab, new_ids: Sequence[SheetRow], vanished: Sequence[str],
                     bases: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
    """Lines whose id this device does not know, each beside a record whose id vanished from the
    sheet with exactly the same other cells: a likely typo in the ``id`` cell (typed id → original)."""
    if not new_ids or not vanished:
        return {}
    columns = [name for name in tab.kinds if name != "id"]
    by_content: dict[tuple[str, ...], list[str]] = {}
    for row_id in vanished:
        by_content.setdefault(tuple(bases[row_id].get(name, "") for name in columns), []).append(row_id)
    typos: dict[str, str] = {}
    for row in new_ids:
        content = tuple("" if row.cells[name] is ABSENT else str(row.cells[name]) for name in columns)
        originals = by_content.get(content, [])
        if len(originals) == 1 and row.id:
            typos[row.id] = originals[0]
    return typos


def _id_decisions(con: duckdb.DuckDBPyConnection, spreadsheet_id: str, tab: str) -> dict[tuple[str, str], str]:
    """The coordinator's decisions on likely id typos: (original, typed) → ``appareil`` (repair),
    ``feuille`` (keep both) or ``ouvert`` (not decided yet)."""
    rows = con.execute(
        "SELECT row_id, valeur_feuille, CASE WHEN statut = 'resolu' THEN resolution ELSE 'ouvert' END"
        " FROM sync_conflicts WHERE spreadsheet_id = ? AND tab = ? AND nature = 'identifiant' AND deleted_at IS NULL",
        [spreadsheet_id, tab],
    ).fetchall()
    return {(original, typed): decision for original, typed, decision in rows}


def _sheet_stamp(row: SheetRow, kinds: Mapping[str, Kind], base: Mapping[str, str] | None) -> tuple[bool, str, Any]:
    """Whether another device wrote the row since the last sync, and who and when."""
    sheet_at = row.cells.get("updated_at", ABSENT)
    sheet_by = row.cells.get("updated_by", ABSENT)
    if sheet_at is ABSENT or not str(sheet_at).strip():
        return False, HUMAN_EDITOR, None
    moved = base is None or str(sheet_at) != base.get("updated_at")
    if not moved:
        return False, HUMAN_EDITOR, None
    try:
        when = from_cell(sheet_at, kinds["updated_at"])
    except CellError:
        return False, HUMAN_EDITOR, None
    return True, str(sheet_by) if sheet_by is not ABSENT and sheet_by else HUMAN_EDITOR, when


# Long: one record's merge (sheet cells read, ``merge_row``, protected and device-only columns, conflicts
# kept), each step on the same three rows (base, store, sheet) and the same plan.
def _merge_plan(run: _Run, tab: _Tab, row: SheetRow, store_row: dict[str, str], base: dict[str, str] | None,
                store_hash: str) -> _Plan | None:
    spec, kinds = tab.spec, tab.kinds
    merged_columns = [name for name in kinds if name not in METADATA_COLUMNS]
    sheet: dict[str, object] = {}
    try:
        for name in merged_columns:
            raw = row.cells[name]
            sheet[name] = raw if base is not None and raw == base.get(name) else _canonical(
                raw, kinds[name], table=spec.table, tab=spec.tab, line=row.line, column=name)
    except CellError as error:
        run.refuse(tab, row.id or "", row.line, error, store_row)
        return None
    result = merge_row(
        {name: base[name] for name in merged_columns if name in base} if base is not None else None,
        {name: store_row[name] for name in merged_columns},
        sheet,
    )
    plan = _Plan("merge", row.id or "", line=row.line, store_hash=store_hash, first_read=dict(row.cells), old_base=base)
    plan.to_store, plan.to_sheet, plan.conflicts = dict(result.to_store), dict(result.to_sheet), list(result.conflicts)
    for name in PROTECTED_COLUMNS:
        if name in plan.to_store:
            del plan.to_store[name]
            plan.to_sheet[name] = store_row[name]
    plan.conflicts = [c for c in plan.conflicts if c.column not in PROTECTED_COLUMNS]
    device_change, plan.sheet_by, plan.sheet_at = _sheet_stamp(row, kinds, base)
    plan.store_by = store_row.get("updated_by") or None
    plan.store_at = from_cell(store_row["updated_at"], kinds["updated_at"]) if store_row.get("updated_at") else None
    if spec.device_only and not device_change and (plan.to_store or plan.conflicts):
        # a person's edit of a tab only devices write: put the device's value back, keep theirs visible
        for name, text in plan.to_store.items():
            plan.refused.append(FieldConflict(name, (base or {}).get(name), store_row[name], text))
            plan.to_sheet[name] = store_row[name]
        for conflict in plan.conflicts:
            plan.refused.append(conflict)
            plan.to_sheet[conflict.column] = store_row[conflict.column]
        plan.to_store, plan.conflicts = {}, []
    if plan.to_store:
        try:
            plan.values = values_from_texts(kinds, plan.to_store, tab=spec.tab, line=row.line)
            _check_structure(spec, kinds, store_row, plan, row.line)
            _check_merged_row(run, tab, store_row, plan, row.line)
        except RowRejected as error:
            run.refuse(tab, row.id or "", row.line, error, store_row)
            return None
        if device_change:
            plan.stamp = (plan.sheet_at, plan.sheet_by)
        else:  # a person's edit: the line says so, like a device's would
            plan.stamp = (run.started_at, HUMAN_EDITOR)
            stamps = {"updated_at": run.started_at, "updated_by": HUMAN_EDITOR}
            plan.to_sheet.update({name: to_cell(value, kinds[name]) for name, value in stamps.items() if name in kinds})
    if plan.to_sheet:
        for name in METADATA_COLUMNS:
            if name not in plan.to_sheet and row.cells.get(name, ABSENT) != store_row[name]:
                plan.to_sheet[name] = store_row[name]
    plan.sheet_texts = {**_sheet_texts(row, kinds), **plan.to_sheet}
    plan.base = {name: store_row[name] for name in kinds}
    plan.base.update(plan.to_store)
    for conflict in plan.conflicts:
        plan.base[conflict.column] = conflict.sheet
    for name in METADATA_COLUMNS:
        plan.base[name] = plan.sheet_texts[name]
    return plan  # possibly with nothing to write: the base then just moves to the values both hold


def _check_merged_row(run: _Run, tab: _Tab, store_row: Mapping[str, str], plan: _Plan, line: int | None) -> None:
    """A campaign table's row as it would be after the sheet's changes, checked whole with the app's
    rules (``models.records``): a cell typed in the sheet cannot make a row the app would refuse."""
    spec, kinds = tab.spec, tab.kinds
    if spec.table == "structures" or spec.table == "sync_conflicts":
        return
    merged = {name: text for name, text in store_row.items() if name in kinds}
    merged.update(plan.to_store)
    check_row(spec, values_from_texts(kinds, merged, tab=spec.tab, line=line), run.known, tab=spec.tab, line=line)


def _check_structure(spec: SyncedTable, kinds: Mapping[str, Kind], store_row: Mapping[str, str], plan: _Plan,
                     line: int | None) -> None:
    """Validate a structure's sheet changes before anything is written (the registry's model)."""
    if spec.table != "structures" or not any(name in data_fields() for name in plan.values):
        return
    fields = [name for name in data_fields() if name in kinds]
    data = values_from_texts(kinds, {name: store_row[name] for name in fields}, tab=spec.tab, line=line)
    data.update({name: value for name, value in plan.values.items() if name in data_fields()})
    data["id"] = plan.row_id
    structure, issues = validate_structure(data)
    if structure is None:
        problems = issue_problems(issues)
        raise RowRejected(f"Onglet « {spec.tab} », ligne {line} : modification refusée — {problems_text(problems)}.",
                          problems)


def _refuse_hand_line(run: _Run, spec: SyncedTable, row: SheetRow) -> None:
    run.report.errors.append(
        f"Onglet « {spec.tab} », ligne {row.line} : ligne ajoutée à la main dans un onglet en lecture seule ;"
        " elle n'est pas reprise (saisissez-la dans l'application)."
    )


def _record_of_line(run: _Run, tab: _Tab, row: SheetRow, columns: Sequence[str],
                    row_id: str) -> tuple[dict[str, str], dict[str, Any]] | None:
    """A line's canonical texts and store values (of ``columns``), checked as a new record of the
    table (structures: the registry's model); None, with the French reason reported, if refused."""
    spec, kinds = tab.spec, tab.kinds
    try:
        texts = {name: "" if row.cells[name] is ABSENT else str(_canonical(
            row.cells[name], kinds[name], table=spec.table, tab=spec.tab, line=row.line, column=name))
            for name in columns}
        values = values_from_texts(kinds, texts, tab=spec.tab, line=row.line)
        values["id"] = row_id
        if spec.table == "structures":
            structure, issues = validate_structure({name: values.get(name) for name in ("id", *data_fields())})
            if structure is None:
                problems = issue_problems(issues)
                raise RowRejected(
                    f"Onglet « {spec.tab} », ligne {row.line} : structure refusée — {problems_text(problems)} ;"
                    " corrigez la ligne, elle sera reprise à la prochaine synchronisation.", problems)
        elif spec.table != "sync_conflicts":
            checked = check_row(spec, values, run.known, tab=spec.tab, line=row.line)
            values = {name: checked[name] for name in values}
    except (CellError, RowRejected) as error:
        run.refuse(tab, row_id, row.line, error)
        return None
    return texts, values



def _sheet_texts(row: SheetRow, kinds: Mapping[str, Kind]) -> dict[str, str]:
    return {name: ("" if row.cells[name] is ABSENT else str(row.cells[name])) for name in kinds}


def _from_sheet_plan(run: _Run, tab: _Tab, row: SheetRow) -> _Plan | None:
    """A record the sheet holds and this store does not: from another device (or typed with an id)."""
    if tab.spec.device_only and not str(row.cells.get("updated_by") or "").strip():
        _refuse_hand_line(run, tab.spec, row)
        return None
    read = _record_of_line(run, tab, row, list(tab.kinds), row.id or "")
    if read is None:
        return None
    plan = _Plan("from_sheet", row.id or "", line=row.line, first_read=dict(row.cells))
    plan.to_store, plan.values = read
    plan.base = dict(plan.to_store)
    plan.sheet_texts = _sheet_texts(row, tab.kinds)
    return plan


def _human_new_plan(run: _Run, tab: _Tab, row: SheetRow, occurrences: dict[tuple[str, ...], int]) -> _Plan | None:
    """A line a person added without ``id``: a new record, given an id written back in the line."""
    spec, kinds = tab.spec, tab.kinds
    if spec.device_only:
        _refuse_hand_line(run, spec, row)
        return None
    content = tuple("" if row.cells[name] is ABSENT else str(row.cells[name]) for name in kinds if name != "id")
    occurrence = occurrences.get(content, 0)
    occurrences[content] = occurrence + 1
    row_id = human_row_id(run.sid, spec.tab, content, occurrence)
    editable = [name for name in kinds if name not in ("id", *METADATA_COLUMNS, "created_at")]
    read = _record_of_line(run, tab, row, editable, row_id)
    if read is None:
        return None
    plan = _Plan("human_new", row_id, line=row.line, first_read=dict(row.cells))
    texts, plan.values = read
    # the id and the record's stamps go into the line, so both sides hold the same record at once
    stamps = {"created_at": run.started_at, "updated_at": run.started_at, "updated_by": HUMAN_EDITOR}
    plan.values.update({name: value for name, value in stamps.items() if name in kinds})
    plan.to_sheet = {"id": row_id, **{name: to_cell(value, kinds[name]) for name, value in stamps.items() if name in kinds}}
    plan.to_store = texts
    plan.stamp = (run.started_at, HUMAN_EDITOR)
    plan.sheet_texts = {**_sheet_texts(row, kinds), **plan.to_sheet}
    plan.base = {**{name: "" for name in kinds}, **texts, **plan.to_sheet}
    return plan


# -- writing ------------------------------------------------------------------------------------


def _write_requests(run: _Run) -> list[dict]:
    """Every write of the run as ``spreadsheets:batchUpdate`` requests (header first, then cells,
    then appended rows)."""
    requests: list[dict] = []
    for tab in run.tabs.values():
        read = tab.read
        if read is None:
            continue
        positions = dict(read.positions)
        if tab.header_added:
            start = len(read.header)
            requests.append({"appendDimension": {"sheetId": tab.sheet_id, "dimension": "COLUMNS",
                                                 "length": len(tab.header_added)}})
            requests.append(_update_cells(tab.sheet_id, 0, start, tab.header_added))
            for offset, name in enumerate(tab.header_added):
                positions[name] = start + offset
        tab.positions = positions
        width = max(positions.values()) + 1
        appended = _appended_rows(tab, width)
        run.report.new_in_sheet += len(appended)
        for plan in tab.plans:
            if not plan.to_sheet or plan.line is None:
                continue
            requests += _line_requests(tab.sheet_id, plan.line, {positions[name]: text for name, text in plan.to_sheet.items()})
            run.report.to_sheet += len([name for name in plan.to_sheet if name not in METADATA_COLUMNS + PROTECTED_COLUMNS])
        if len(appended) > BULK_APPEND_ROWS:
            tab.bulk_rows = appended
        elif appended:
            requests.append({"appendCells": {"sheetId": tab.sheet_id, "fields": "userEnteredValue",
                                             "rows": [{"values": [_cell(text) for text in cells]} for cells in appended]}})
    return requests


def _appended_rows(tab: _Tab, width: int) -> list[Sequence[str]]:
    """The new rows of a tab laid out by the header's positions (people's columns left empty)."""
    if not tab.appends or not tab.appends["id"]:
        return []
    count = len(tab.appends["id"])
    by_position = {index: name for name, index in tab.positions.items()}
    empty = [""] * count
    return list(zip(*[tab.appends.get(by_position.get(index, ""), empty) if index in by_position else empty
                      for index in range(width)], strict=True))


def _line_requests(sheet_id: int, line: int, cells: Mapping[int, str]) -> list[dict]:
    """``updateCells`` for the given cells of one line, one per run of adjacent columns."""
    requests: list[dict] = []
    run_start: int | None = None
    texts: list[str] = []
    previous = -2
    for index in sorted(cells):
        if index != previous + 1 and texts:
            requests.append(_update_cells(sheet_id, line - 1, run_start or 0, texts))
            texts = []
        if not texts:
            run_start = index
        texts.append(cells[index])
        previous = index
    if texts:
        requests.append(_update_cells(sheet_id, line - 1, run_start or 0, texts))
    return requests


# -- verifying ----------------------------------------------------------------------------------


def _written_lines(run: _Run) -> list[tuple[_Tab, _Plan]]:
    return [(tab, plan) for tab in run.tabs.values() for plan in tab.plans
            if plan.to_sheet and plan.line is not None and not plan.deferred]


def _cells_of_line(tab: _Tab, values: Sequence[Any]) -> dict[str, str]:
    return {name: (str(values[index]) if index < len(values) else "") for name, index in tab.positions.items()}


def _verify_and_repair(run: _Run) -> None:
    """Read back the written lines; repair writes a sort moved (bounded rounds, same run)."""
    for round_number in range(_REPAIR_ROUNDS + 1):
        written = _written_lines(run)
        if not written:
            return
        lines = run.read_lines([(tab.spec.tab, plan.line) for tab, plan in written])  # type: ignore[misc]
        misplaced: list[tuple[_Tab, _Plan, dict[str, str]]] = []
        for tab, plan in written:
            now = _cells_of_line(tab, lines[(tab.spec.tab, plan.line)])  # type: ignore[index]
            if now.get("id") != plan.row_id or (plan.kind == "human_new" and not _same_content(tab, plan, now)):
                misplaced.append((tab, plan, now))
                continue
            plan.written_over = {name for name, text in plan.to_sheet.items()
                                 if now.get(name) != text and name not in METADATA_COLUMNS}
        run.journal("verification", tour=round_number + 1, lignes=len(written), deplacees=len(misplaced))
        if not misplaced:
            return
        if round_number == _REPAIR_ROUNDS:
            for _tab, plan, _now in misplaced:
                _defer(run, plan)
            run.report.errors.append(
                "La feuille a été triée ou réorganisée plusieurs fois pendant la synchronisation : "
                f"{len(misplaced)} ligne(s) seront reprises à la prochaine synchronisation (rien n'est perdu)."
            )
            return
        _repair(run, misplaced)


def _same_content(tab: _Tab, plan: _Plan, now: Mapping[str, str]) -> bool:
    return all(now.get(name, "") == ("" if plan.first_read.get(name, ABSENT) is ABSENT else str(plan.first_read[name]))
               for name in tab.kinds if name != "id" and name not in plan.to_sheet)


def _defer(run: _Run, plan: _Plan) -> None:
    plan.deferred = True
    run.report.deferred += 1
    run.clean = False


def _repair(run: _Run, misplaced: list[tuple[_Tab, _Plan, dict[str, str]]]) -> None:
    """Put back what landed on the wrong lines and write it on the right ones (one read, one write)."""
    tabs = sorted({tab.spec.tab for tab, _plan, _now in misplaced})
    values = run.read_values(tabs)
    reread = {name: read_tab(name, values[name], list(run.tabs[name].kinds)) for name in tabs}
    requests: list[dict] = []
    for tab, plan, now in misplaced:
        fresh = reread[tab.spec.tab]
        positions = tab.positions
        first = tab.read
        assert first is not None
        # 1. the record whose line received our cells: give it back its own values (as first read,
        #    or as this run meant to write them)
        victim_id = now.get("id") or None
        if plan.kind == "human_new" and victim_id == plan.row_id:
            victim_id = _lost_id(first, fresh, now, tab)  # our id overwrote another record's
            if victim_id is not None:
                victim_line = _line_holding(fresh, plan.row_id)
                if victim_line is not None:
                    requests += _line_requests(tab.sheet_id, victim_line, {positions["id"]: victim_id})
        if victim_id and victim_id in first.rows and victim_id in fresh.rows:
            original = first.rows[victim_id].cells
            own = next((p for p in tab.plans if p.row_id == victim_id and p.kind == "merge"), None)
            restore = {}
            for name in plan.to_sheet:
                if name == "id":
                    continue
                meant = own.to_sheet.get(name) if own is not None and name in own.to_sheet else original.get(name, "")
                restore[positions[name]] = "" if meant is ABSENT else str(meant)
            requests += _line_requests(tab.sheet_id, fresh.rows[victim_id].line, restore)
            run.report.repaired += 1
        # 2. our change, on the record's line now
        target = _target_line(fresh, plan, tab)
        if target is None:
            _defer(run, plan)
            continue
        plan.line = target
        requests += _line_requests(tab.sheet_id, target, {positions[name]: text for name, text in plan.to_sheet.items()})
    if requests:
        run.write(requests)
    run.journal("reparation", lignes=len(misplaced))


def _target_line(fresh: TabRead, plan: _Plan, tab: _Tab) -> int | None:
    if plan.kind != "human_new":
        row = fresh.rows.get(plan.row_id)
        return row.line if row is not None else None
    wanted = {name: ("" if plan.first_read.get(name, ABSENT) is ABSENT else str(plan.first_read[name]))
              for name in tab.kinds if name != "id"}
    for row in fresh.new_rows:
        if all(("" if row.cells[name] is ABSENT else str(row.cells[name])) == text for name, text in wanted.items()):
            return row.line
    row = fresh.rows.get(plan.row_id)
    return row.line if row is not None and all(
        ("" if row.cells[name] is ABSENT else str(row.cells[name])) == text for name, text in wanted.items()) else None


def _lost_id(first: TabRead, fresh: TabRead, now: Mapping[str, str], tab: _Tab) -> str | None:
    """The record whose id our id overwrote: gone since the first read, with the line's content."""
    for row_id, row in first.rows.items():
        if row_id in fresh.rows:
            continue
        if all(now.get(name, "") == ("" if row.cells[name] is ABSENT else str(row.cells[name]))
               for name in tab.kinds if name != "id"):
            return row_id
    return None


def _line_holding(fresh: TabRead, row_id: str) -> int | None:
    row = fresh.rows.get(row_id)
    if row is not None:
        return row.line
    lines = fresh.duplicates.get(row_id) or []
    return lines[0] if lines else None


# -- recording ----------------------------------------------------------------------------------


def _record(run: _Run) -> None:
    """The store's side of the run, in one transaction."""
    now = utc_now()
    with run.store.atomic() as con:
        for tab in run.tabs.values():
            if tab.read is None:
                continue
            spec, kinds = tab.spec, tab.kinds
            applying = [plan.row_id for plan in tab.plans if plan.to_store and plan.kind == "merge"]
            current = store_hashes(con, spec, kinds, applying) if applying else {}
            base_rows: list[_BaseWrite] = []
            for plan in tab.plans:
                if plan.deferred:
                    continue
                sheet_hash = texts_hash([plan.sheet_texts.get(name, "") for name in kinds])
                if plan.row_id in current and current[plan.row_id] != plan.store_hash:
                    # changed on this device during the run: the sheet's changes wait for the next run,
                    # what this run wrote in the sheet becomes the base
                    agreed = dict(plan.old_base or {})
                    agreed.update({name: text for name, text in plan.to_sheet.items() if name not in plan.written_over})
                    base_rows.append(_BaseWrite(plan.row_id, agreed, None, sheet_hash, check=False))
                    run.report.deferred += 1
                    run.clean = False
                    continue
                if not _apply_plan(run, con, tab, plan, now):
                    continue
                agreed = plan.base
                if plan.written_over:  # another writer's value is in the sheet: keep the old base
                    agreed = {**plan.base, **{name: (plan.old_base or {}).get(name, "") for name in plan.written_over}}
                if plan.written_over:
                    run.clean = False
                base_rows.append(_BaseWrite(plan.row_id, agreed, "", sheet_hash,
                                            check=bool(plan.to_store) and not plan.written_over,
                                            complete=not plan.written_over))
            _save_bases(run, con, tab, base_rows, now)
            _save_appended_bases(run, con, tab, now)
            _save_deletions(run, con, tab, now)
        _save_refusals(run, con, now)
        _save_id_typos(run, con, now)


_TYPO_REASON = ("identifiant modifié dans le classeur (faute de frappe ?) : la ligne a toutes les autres valeurs de"
                " l'enregistrement d'origine")


def _save_id_typos(run: _Run, con: duckdb.DuckDBPyConnection, now: datetime) -> None:
    """A likely typo in an id, listed once for a coordinator: repair the line, or keep both records."""
    for tab, typed, original, line in run.id_typos:
        known = con.execute(
            "SELECT count(*) FROM sync_conflicts WHERE spreadsheet_id = ? AND tab = ? AND nature = 'identifiant'"
            " AND row_id = ? AND valeur_feuille = ?", [run.sid, tab, original, typed]).fetchall()[0][0]
        if known:
            continue
        con.execute(
            "INSERT INTO sync_conflicts (id, spreadsheet_id, tab, row_id, colonne, nature, valeur_appareil, valeur_feuille,"
            " feuille_par, feuille_le, valeur_courante, statut, ligne, motif, created_at, updated_at, updated_by)"
            " VALUES (?, ?, ?, ?, 'id', 'identifiant', ?, ?, ?, ?, ?, 'ouvert', ?, ?, ?, ?, ?)",
            [new_id(), run.sid, tab, original, original, typed, HUMAN_EDITOR, now, original, line, _TYPO_REASON,
             now, now, run.by],
        )
        run.report.errors.append(
            f"Onglet « {tab} », ligne {line} : l'identifiant « {typed} » remplace « {original} » sur une ligne identique"
            " par ailleurs (faute de frappe ?) ; rien n'est créé ni supprimé en attendant la décision d'un"
            " coordinateur (page Conflits).")


# Refused lines are the sheet's state, not events: each run lists the lines refused now; an entry of a
# tab read in full that no line produces any more (corrected, or deleted) is closed as « corrigee ».
def _save_refusals(run: _Run, con: duckdb.DuckDBPyConnection, now: datetime) -> None:
    read_tabs = [tab.spec.tab for tab in run.tabs.values() if tab.read is not None and tab.spec.table != "sync_conflicts"]
    if not read_tabs:
        return
    open_rows = con.execute(
        "SELECT id, tab, row_id, colonne, valeur_feuille FROM sync_conflicts WHERE spreadsheet_id = ?"
        " AND nature = 'invalide' AND statut = 'ouvert' AND list_contains(?, tab)",
        [run.sid, read_tabs],
    ).fetchall()
    still: set[str] = set()
    existing = {(tab, row_id, column, value): conflict_id for conflict_id, tab, row_id, column, value in open_rows}
    for refusal in run.refusals:
        if refusal.tab not in read_tabs:
            continue
        problem = refusal.problem
        value = None if problem.value in (None, "") else str(problem.value)
        key = (refusal.tab, refusal.row_id, problem.column or "", value)
        if key in existing:
            still.add(existing[key])
            con.execute("UPDATE sync_conflicts SET ligne = ?, motif = ? WHERE id = ?",
                        [refusal.line, problem.reason, existing[key]])
            continue
        conflict_id = new_id()
        existing[key] = conflict_id
        still.add(conflict_id)
        con.execute(
            "INSERT INTO sync_conflicts (id, spreadsheet_id, tab, row_id, colonne, nature, valeur_appareil,"
            " valeur_feuille, feuille_par, feuille_le, valeur_courante, statut, ligne, motif, created_at, updated_at,"
            " updated_by) VALUES (?, ?, ?, ?, ?, 'invalide', ?, ?, ?, ?, ?, 'ouvert', ?, ?, ?, ?, ?)",
            [conflict_id, run.sid, refusal.tab, refusal.row_id, problem.column or "", refusal.device_value, value,
             HUMAN_EDITOR, now, refusal.device_value, refusal.line, problem.reason, now, now, run.by],
        )
    gone = [conflict_id for conflict_id, *_ in open_rows if conflict_id not in still]
    if gone:
        con.execute(
            "UPDATE sync_conflicts SET statut = 'resolu', resolution = 'corrigee', resolu_par = ?, resolu_le = ?,"
            " updated_at = ?, updated_by = ? WHERE list_contains(?, id)",
            [HUMAN_EDITOR, now, now, run.by, gone],
        )


def _apply_plan(run: _Run, con: duckdb.DuckDBPyConnection, tab: _Tab, plan: _Plan, now: datetime) -> bool:
    spec = tab.spec
    try:
        if plan.kind in ("from_sheet", "human_new"):
            if con.execute("SELECT count(*) FROM " + table_sql(spec) + " WHERE id = ?", [plan.row_id]).fetchall()[0][0]:
                return True  # already taken (a run cut after its write, then the same line again)
            insert_record(con, spec, tab.kinds, plan.values, by=plan.stamp[1] if plan.stamp else run.by,
                          tab=spec.tab, line=plan.line)
            run.report.new_in_store += 1
        elif plan.to_store:
            stamp_at, stamp_by = plan.stamp or (None, HUMAN_EDITOR)
            values = dict(plan.values)
            if stamp_at is not None:
                values["updated_at"], values["updated_by"] = stamp_at, stamp_by
            update_record(con, spec, plan.row_id, values, stamp=now, by=stamp_by, tab=spec.tab, line=plan.line)
            run.report.to_store += len(plan.to_store)
    except RowRejected as error:
        run.refuse(tab, plan.row_id, plan.line, error, plan.base if plan.kind == "merge" else None)
        return False
    for conflict in plan.conflicts:
        _save_conflict(run, con, tab, plan, conflict, "conflit", now)
    for conflict in plan.refused:
        if spec.table != "sync_conflicts":
            _save_conflict(run, con, tab, plan, conflict, "refusee", now)
        run.report.refused += 1
    return True


def _save_conflict(run: _Run, con: duckdb.DuckDBPyConnection, tab: _Tab, plan: _Plan, conflict: FieldConflict,
                   nature: str, now: datetime) -> None:
    current = conflict.sheet if nature == "conflit" else conflict.store
    con.execute(
        "INSERT INTO sync_conflicts (id, spreadsheet_id, tab, row_id, colonne, nature, valeur_base, valeur_appareil,"
        " appareil_par, appareil_le, valeur_feuille, feuille_par, feuille_le, valeur_courante, statut, created_at,"
        " updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'ouvert', ?, ?, ?)",
        [new_id(), run.sid, tab.spec.tab, plan.row_id, conflict.column, nature, conflict.base, conflict.store,
         plan.store_by or run.by, plan.store_at,
         conflict.sheet, plan.sheet_by, plan.sheet_at or now, current, now, now, run.by],
    )
    if nature == "conflit":
        run.report.conflicts += 1


@dataclass
class _BaseWrite:
    """The new ``sync_base`` row of a record. ``store_hash`` "" = take the store's hash now;
    ``check``: compare the store's texts now with the agreed ones (the registry may have normalised
    a value from the sheet, which then goes to the sheet next run)."""

    row_id: str
    cells: dict[str, str]
    store_hash: str | None
    sheet_hash: str
    check: bool = False
    complete: bool = True


def _save_bases(run: _Run, con: duckdb.DuckDBPyConnection, tab: _Tab, rows: list[_BaseWrite], now: datetime) -> None:
    """Advance ``sync_base`` for the records this run agreed on (one statement whatever their number)."""
    if not rows:
        return
    kinds = tab.kinds
    hashes = store_hashes(con, tab.spec, kinds, [row.row_id for row in rows if row.store_hash == ""])
    fresh = store_texts(con, tab.spec, kinds, [row.row_id for row in rows if row.check])
    store_hash_col: list[str | None] = []
    for row in rows:
        if row.store_hash != "":
            store_hash_col.append(row.store_hash)
            continue
        now_texts = fresh.get(row.row_id)
        agrees = row.complete and (now_texts is None or all(
            now_texts.get(name) == row.cells.get(name) for name in kinds if name not in METADATA_COLUMNS))
        if not agrees:
            run.clean = False  # e.g. a value the registry normalised: written to the sheet next run
        store_hash_col.append(hashes.get(row.row_id) if agrees else None)
    table = pa.table({
        "row_id": [row.row_id for row in rows],
        "cells": [json.dumps(row.cells, ensure_ascii=False, separators=(",", ":")) for row in rows],
        "store_hash": store_hash_col,
        "sheet_hash": [row.sheet_hash for row in rows],
    })
    con.register("_sync_base_batch", table)
    try:
        con.execute(
            "INSERT OR REPLACE INTO sync_base (spreadsheet_id, tab, row_id, cells, store_hash, sheet_hash, synced_at)"
            " SELECT ?, ?, row_id, cells, store_hash, sheet_hash, ? FROM _sync_base_batch",
            [run.sid, tab.spec.tab, now],
        )
    finally:
        con.unregister("_sync_base_batch")


def _save_appended_bases(run: _Run, con: duckdb.DuckDBPyConnection, tab: _Tab, now: datetime) -> None:
    """The base of the rows appended: the texts written, built by DuckDB from the columns (a JSON
    object and the sheet hash per row, no Python object per row)."""
    if not tab.appends or not tab.appends["id"]:
        return
    names = list(tab.kinds)
    table = pa.table({**{f"c{index}": tab.appends[name] for index, name in enumerate(names)},
                      "store_hash": tab.append_hashes})
    keys = ", ".join(f"?, c{index}" for index in range(len(names)))
    joined = ", ".join(f"c{index}" for index in range(len(names)))
    con.register("_sync_appended", table)
    try:
        con.execute(
            "INSERT OR REPLACE INTO sync_base (spreadsheet_id, tab, row_id, cells, store_hash, sheet_hash, synced_at)"
            f" SELECT ?, ?, c0, json_object({keys}), store_hash, md5(concat_ws(chr(31), {joined})), ? FROM _sync_appended",
            [run.sid, tab.spec.tab, *names, now],
        )
    finally:
        con.unregister("_sync_appended")


def _save_deletions(run: _Run, con: duckdb.DuckDBPyConnection, tab: _Tab, now: datetime) -> None:
    for row_id in tab.deletions:
        con.execute(
            "INSERT OR REPLACE INTO sync_deletions (spreadsheet_id, tab, row_id, detected_at, statut)"
            " VALUES (?, ?, ?, ?, 'a_confirmer')",
            [run.sid, tab.spec.tab, row_id, now],
        )
    if tab.reappeared:
        con.execute(
            "UPDATE sync_deletions SET statut = 'reapparue', decide_le = ? WHERE spreadsheet_id = ? AND tab = ?"
            " AND statut = 'a_confirmer' AND row_id IN (SELECT unnest(?::VARCHAR[]))",
            [now, run.sid, tab.spec.tab, tab.reappeared],
        )


def _finish(run: _Run, status: str, *, tab_ids: Mapping[str, int]) -> None:
    run.finish_stats()
    report = run.report
    report.status = status
    report.message = _message(report)
    clean = run.clean and not report.errors and report.deferred == 0
    with run.store.atomic() as con:
        con.execute(
            "INSERT OR REPLACE INTO sync_state (spreadsheet_id, modified_time, tab_ids, clean, last_sync_at, last_run_id,"
            " updated_at, updated_by, row_format, row_format_duckdb) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [run.sid, run.modified_time, json.dumps(dict(tab_ids)), clean, utc_now(), report.run_id, utc_now(), run.by,
             ROW_FORMAT_VERSION, DUCKDB_VERSION],
        )
        con.execute(
            "UPDATE sync_runs SET statut = ?, finished_at = ?, requetes = ?, reessais = ?, octets_envoyes = ?,"
            " octets_recus = ?, cpu_secondes = ?, bilan = ? WHERE id = ?",
            [status, utc_now(), report.requests, report.retries, report.bytes_sent, report.bytes_received,
             report.cpu_seconds, json.dumps(report.summary(), ensure_ascii=False), report.run_id],
        )
        if any(report.summary().values()):  # who synced, what came and went (each row's change is in its history)
            record_audit(con, actor=run.by, action="sync.run", entity="sync_runs", entity_id=report.run_id,
                         details={"classeur": run.sid, "statut": status, **report.summary()})
    run.journal("fin", statut=status)


def _message(report: SyncReport) -> str:
    if report.status == "rien_a_faire":
        return f"Rien à synchroniser : ni cet appareil ni le classeur n'ont changé ({report.requests} requête)."
    parts = [
        f"{report.to_store} valeur(s) et {report.new_in_store} ligne(s) reçues du classeur",
        f"{report.to_sheet} valeur(s) et {report.new_in_sheet} ligne(s) envoyées",
    ]
    if report.conflicts:
        parts.append(f"{report.conflicts} conflit(s) à trancher (page Conflits)")
    if report.deletions:
        parts.append(f"{report.deletions} ligne(s) supprimée(s) dans le classeur, à confirmer")
    if report.refused:
        parts.append(f"{report.refused} modification(s) refusée(s) (onglet en lecture seule)")
    if report.repaired:
        parts.append(f"{report.repaired} écriture(s) déplacée(s) par un tri, réparée(s)")
    if report.deferred:
        parts.append(f"{report.deferred} ligne(s) reprise(s) à la prochaine synchronisation")
    return "Synchronisation terminée : " + " ; ".join(parts) + f" ({report.requests} requêtes)."
