"""Bench: the two-way Google Sheets sync of 20 000 structures and 50 000 responses, and the naive way.

Run from the project root::

    .venv/bin/python -m bench.sync

stdout holds only the figures (``name: value unit``); notes go to stderr. Measured, through
gspread's real client and the Sheets emulator started **in a subprocess** (``python -m
sync.sheets_emulator``) so that its CPU is not counted as ours:

1. the first push of the whole store (``first_push_*``);
2. the sync right after it (``settle_*``: no change on either side, but the sheet's modifiedTime
   moved with our own writes, so the sheet is read once) and a sync with nothing to do
   (``noop_*``);
3. a sync with 100 changes on each side (``incremental_*``): 100 structures edited in the store
   (SQL), 100 cells typed in the sheet by a person through gspread (``values_batch_update``,
   USER_ENTERED; those requests are counted apart, ``person_edit_requests``), then the sync after
   it (``idle_after_changes_*``).

For each: requests, bytes sent and received, CPU seconds of this process (``time.process_time``)
and wall seconds. Goals (issue): at most 3 requests for an incremental sync, under 5 s of CPU for
the first push. Compared in the same run with what a script using gspread's high-level API row
by row would do: ``append_row`` per record for a first push, ``find`` then ``update`` per changed
record, ``get_all_values`` of every tab to see whether anything changed. The row-by-row ways are
measured on a sample and extrapolated (the figure's name says so); Google's quota of 60 write
requests per minute turns their request counts into hours.

The store: the 20 000 synthetic structures of ``bench.import_export`` (imported by the real
importer, so every row is valid), the default questionnaire under three campaigns and 50 000
responses inserted in one Arrow batch, their answers drawn (seeded) from ``collect.demo``'s
generator and checked by the questionnaire.
"""

from __future__ import annotations

import json
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
from gspread.utils import rowcol_to_a1

from bench.import_export import check, figure, imported_store, note

STRUCTURES = 20_000
RESPONSES = 50_000
CHANGES = 100  # on each side, for the incremental sync
SEED = 6
SPREADSHEET = "bench-sync-hub"
GOAL_INCREMENTAL_REQUESTS = 3
GOAL_FIRST_PUSH_CPU_SECONDS = 5.0
GOOGLE_WRITES_PER_MINUTE = 60  # Sheets API quota: write requests per minute per user
NAIVE_APPEND_SAMPLE = 200  # rows appended one by one, then extrapolated to the whole store
NAIVE_CHANGE_SAMPLE = 10  # records found then updated one by one (each find reads the whole tab)
SURVEYORS = [f"enqueteur-{n}" for n in range(1, 11)]


# -- the store ---------------------------------------------------------------------------------


def _answers_pool(questionnaire, structures: list[dict[str, Any]], rng: random.Random, size: int) -> list[str]:
    """``size`` answer sets as the store keeps them (the registry's values filled in as a draft
    shows them, checked by the questionnaire), as JSON."""
    from collect.demo import demo_answers
    from collect.surveys import check_answers, registry_value

    pool = []
    for _attempt in range(size * 3):
        structure = rng.choice(structures)
        raw = demo_answers(rng, structure, partnership=rng.random() < 0.58, mobility=rng.random() < 0.57,
                           can_redirect=rng.random() < 0.67)
        for question in questionnaire.questions():
            if question.type == "registre" and question.code not in raw:
                raw[question.code] = registry_value(question, structure)
        checked = check_answers(questionnaire, raw, today=date(2026, 6, 1))
        if not checked.errors:
            pool.append(json.dumps(checked.answers, ensure_ascii=False))
        if len(pool) == size:
            return pool
    raise AssertionError(f"only {len(pool)} answer sets of {size} pass the questionnaire's checks: {checked.errors}")


def build(directory: Path):
    from collect.campaigns import create_campaign
    from collect.questionnaire import default_questionnaire
    from collect.surveys import publish_questionnaire
    from models.store import fetch_dicts

    store = imported_store(directory / "sync.duckdb", STRUCTURES)
    rng = random.Random(SEED)
    with store.atomic() as con:
        stored = publish_questionnaire(con, default_questionnaire(), by="bench")
        campaigns = [create_campaign(con, nom=f"Diagnostic {year}", questionnaire_id=stored.id, by="bench")
                     for year in (2024, 2025, 2026)]
        structures = fetch_dicts(con, "SELECT * FROM structures ORDER BY id")
        pool = _answers_pool(stored.questionnaire, rng.sample(structures, 500), rng, 500)
        start = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
        responses: dict[str, list] = {name: [] for name in (
            "id", "structure_id", "campaign_id", "surveyor", "answers", "submitted_at")}
        for n in range(RESPONSES):
            responses["id"].append(f"bench-reponse-{n:05d}")
            responses["structure_id"].append(structures[n % len(structures)]["id"])
            responses["campaign_id"].append(campaigns[n // len(structures)])
            responses["surveyor"].append(SURVEYORS[n % len(SURVEYORS)])
            responses["answers"].append(rng.choice(pool))
            responses["submitted_at"].append(start + timedelta(days=365 * (n // len(structures)),
                                                               minutes=rng.randrange(90 * 24 * 60)))
        batch = pa.table(responses, schema=pa.schema([
            ("id", pa.string()), ("structure_id", pa.string()), ("campaign_id", pa.string()),
            ("surveyor", pa.string()), ("answers", pa.string()), ("submitted_at", pa.timestamp("us", tz="UTC")),
        ]))
        con.register("bench_responses", batch)
        con.execute(
            "INSERT INTO responses (id, structure_id, campaign_id, questionnaire_id, surveyor, revision, answers,"
            " submitted_at, created_at, updated_at, updated_by) SELECT id, structure_id, campaign_id, ?, surveyor, 1,"
            " answers::JSON, submitted_at, submitted_at, submitted_at, surveyor FROM bench_responses",
            [stored.id],
        )
        con.unregister("bench_responses")
    return store


# -- the emulator, in its own process ---------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_emulator() -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "sync.sheets_emulator", "--port", str(port), "--id", SPREADSHEET],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the emulator exited: {process.stderr.read().decode() if process.stderr else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the emulator did not listen within 30 s")


def emulator_client(url: str):
    """gspread's client on a counting ``SyncTransport`` (what the CLI and the app use)."""
    from sync.credentials import hub_settings, open_hub_client

    settings = hub_settings({}, {"MAILLAGE_GSHEETS_SPREADSHEET": SPREADSHEET, "MAILLAGE_GSHEETS_EMULATOR": url})
    return open_hub_client(settings)


# -- measuring -----------------------------------------------------------------------------------------


@dataclass
class Cost:
    requests: int
    bytes_sent: int
    bytes_received: int
    cpu: float
    wall: float

    def scaled(self, factor: float) -> Cost:
        return Cost(round(self.requests * factor), round(self.bytes_sent * factor), round(self.bytes_received * factor),
                    self.cpu * factor, self.wall * factor)


def measured(transport, call: Callable[[], Any]) -> tuple[Any, Cost]:
    stats = transport.stats
    before = (stats.requests, stats.bytes_sent, stats.bytes_received)
    cpu, wall = time.process_time(), time.perf_counter()
    result = call()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return result, Cost(stats.requests - before[0], stats.bytes_sent - before[1], stats.bytes_received - before[2],
                        cpu, wall)


def print_cost(prefix: str, cost: Cost) -> None:
    figure(f"{prefix}_requests", cost.requests, "requests")
    figure(f"{prefix}_bytes_sent", cost.bytes_sent, "bytes")
    figure(f"{prefix}_bytes_received", cost.bytes_received, "bytes")
    figure(f"{prefix}_cpu", f"{cost.cpu:.2f}", "s")
    figure(f"{prefix}_wall", f"{cost.wall:.2f}", "s")


def verdict(name: str, met: bool) -> None:
    print(f"{name}: {'yes' if met else 'no'}", flush=True)


def sync(store, client, transport, label: str):
    from sync.hub import sync_hub

    note(f"… {label}")
    steps: list[tuple[str, float]] = []

    def progress(step: str, _share: float) -> None:
        steps.append((step, time.process_time()))

    report, cost = measured(transport, lambda: sync_hub(store, client, SPREADSHEET, by="bench", stats=transport.stats,
                                                        progress=progress))
    note(f"  {report.message}")
    note("  CPU by step: " + ", ".join(f"{step} {end - start:.2f} s"
                                       for (step, start), (_next, end) in zip(steps, steps[1:], strict=False)))
    check(not report.errors, f"{label}: {report.errors[:3]}")
    check(report.requests == cost.requests, f"{label}: the report counts {report.requests} requests, the transport {cost.requests}")
    return report, cost


def sheet_rows(emulator_url: str, tab: str) -> list[list[str]]:
    """A tab's values, read by a client of its own (not counted in any figure)."""
    client, _ = emulator_client(emulator_url)
    return client.open_by_key(SPREADSHEET).worksheet(tab).get_all_values()


# -- the bench -----------------------------------------------------------------------------------------


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="maillage-bench-sync-") as tmp:
        note(f"… building {STRUCTURES} structures and {RESPONSES} responses")
        begin = time.perf_counter()
        store = build(Path(tmp))
        note(f"  built in {time.perf_counter() - begin:.1f} s")
        counts = {row["tab"]: row["n"] for row in store.query(
            "SELECT 'structures' AS tab, count(*) AS n FROM structures UNION ALL SELECT 'reponses', count(*) FROM responses"
            " UNION ALL SELECT 'appels', count(*) FROM call_attempts UNION ALL SELECT 'relances', count(*) FROM relances")}
        total_rows = sum(counts.values())
        figure("structures", counts["structures"], "rows")
        figure("responses", counts["reponses"], "rows")

        emulator, url = start_emulator()
        try:
            client, transport = emulator_client(url)
            run_all(store, client, transport, url, counts, total_rows)
        finally:
            emulator.terminate()
            emulator.wait(timeout=30)
        store.release()
    return 0


def run_all(store, client, transport, url: str, counts: dict[str, int], total_rows: int) -> None:
    # 1. the first push
    report, first = sync(store, client, transport, "first push")
    check(report.new_in_sheet == total_rows, f"first push sent {report.new_in_sheet} rows of {total_rows}")
    print_cost("first_push", first)
    figure("first_push_cpu_goal", f"{GOAL_FIRST_PUSH_CPU_SECONDS:.1f}", "s")
    verdict("first_push_cpu_goal_met", first.cpu < GOAL_FIRST_PUSH_CPU_SECONDS)
    check(len(sheet_rows(url, "reponses")) == counts["reponses"] + 1, "the responses tab is incomplete")

    # 2. nothing to do
    _report, settle = sync(store, client, transport, "sync right after the push (own writes moved modifiedTime)")
    print_cost("settle", settle)
    report, noop = sync(store, client, transport, "sync with nothing to do")
    check(report.status == "rien_a_faire", f"no-op sync ended {report.status}")
    print_cost("noop", noop)

    # 3. 100 changes on each side
    rows = sheet_rows(url, "structures")
    header = rows[0]
    id_column, text_column = header.index("id"), header.index("presentation_resume")
    sheet_side = {rows[line - 1][id_column]: line for line in range(2, 2 + 2 * CHANGES, 2)}  # every other line
    store_side = [rows[line - 1][id_column] for line in range(3, 3 + 2 * CHANGES, 2)]
    with store.atomic() as con:
        con.execute(
            "UPDATE structures SET presentation_detail = 'Modifié sur cet appareil : ' || id, updated_at = now(),"
            " updated_by = 'bench' WHERE list_contains(?, id)", [store_side])
    person, person_transport = emulator_client(url)

    def person_types() -> None:
        spreadsheet = person.open_by_key(SPREADSHEET)
        spreadsheet.values_batch_update({"valueInputOption": "USER_ENTERED", "data": [
            {"range": "structures!" + rowcol_to_a1(line, text_column + 1), "values": [[f"Saisi dans la feuille, ligne {line}"]]}
            for line in sheet_side.values()]})

    _, typed = measured(person_transport, person_types)
    figure("person_edit_requests", typed.requests, "requests")
    report, incremental = sync(store, client, transport, f"sync with {CHANGES} changes on each side")
    check(report.to_store == CHANGES and report.to_sheet == CHANGES,
          f"incremental sync: {report.to_store} values to the store, {report.to_sheet} to the sheet")
    stored = {row["id"]: row["presentation_resume"] for row in store.query(
        "SELECT id, presentation_resume FROM structures WHERE list_contains(?, id)", [list(sheet_side)])}
    check(stored == {row_id: f"Saisi dans la feuille, ligne {line}" for row_id, line in sheet_side.items()},
          "the sheet's changes did not all reach the store")
    after = {row[id_column]: row[header.index("presentation_detail")] for row in sheet_rows(url, "structures")[1:]}
    check(all(after[row_id] == f"Modifié sur cet appareil : {row_id}" for row_id in store_side),
          "the store's changes did not all reach the sheet")
    print_cost("incremental", incremental)
    figure("incremental_requests_goal", GOAL_INCREMENTAL_REQUESTS, "requests")
    verdict("incremental_requests_goal_met", incremental.requests <= GOAL_INCREMENTAL_REQUESTS)
    _report, idle = sync(store, client, transport, "sync right after the incremental one")
    print_cost("idle_after_changes", idle)

    naive(client, transport, url, store, total_rows)


def naive(client, transport, url: str, store, total_rows: int) -> None:
    """What a script using gspread's high-level API row by row would cost (samples, extrapolated)."""
    from sync.store_side import store_texts
    from sync.tables import SYNCED_TABLES, synced_columns

    spec = SYNCED_TABLES[0]
    with store.connect() as con:
        kinds = synced_columns(con, spec)
        texts = store_texts(con, spec, kinds)
    columns = list(kinds)
    records = [[row[name] for name in columns] for row in list(texts.values())]

    # first push: one append_row per record, on a new spreadsheet
    def append_rows() -> None:
        spreadsheet = client.create("Naïf")
        sheet = spreadsheet.add_worksheet("structures", rows=1, cols=len(columns))
        sheet.append_row(columns, value_input_option="RAW")
        for record in records[:NAIVE_APPEND_SAMPLE]:
            sheet.append_row(record, value_input_option="RAW")

    note(f"… naive first push: append_row for {NAIVE_APPEND_SAMPLE} records")
    _, sample = measured(transport, append_rows)
    per_row = sample.scaled(1 / NAIVE_APPEND_SAMPLE)
    extrapolated = per_row.scaled(total_rows)
    figure("naive_first_push_requests_extrapolated", extrapolated.requests, "requests")
    figure("naive_first_push_bytes_sent_extrapolated", extrapolated.bytes_sent, "bytes")
    figure("naive_first_push_cpu_extrapolated", f"{extrapolated.cpu:.1f}", "s")
    figure("naive_first_push_wall_extrapolated", f"{extrapolated.wall:.1f}", "s")
    figure("naive_first_push_hours_at_google_write_quota", f"{extrapolated.requests / GOOGLE_WRITES_PER_MINUTE / 60:.1f}", "h")

    # incremental: find each changed record's line, then update it
    hub = client.open_by_key(SPREADSHEET)
    sheet = hub.worksheet("structures")

    def find_and_update() -> None:
        for record in records[:NAIVE_CHANGE_SAMPLE]:
            cell = sheet.find(record[0], in_column=1)
            check(cell is not None, f"naive find: {record[0]} not in the sheet")
            sheet.update([record], f"A{cell.row}:{rowcol_to_a1(cell.row, len(columns))}", value_input_option="RAW")

    note(f"… naive incremental: find then update for {NAIVE_CHANGE_SAMPLE} records")
    _, sample = measured(transport, find_and_update)
    per_100 = sample.scaled(CHANGES / NAIVE_CHANGE_SAMPLE)
    figure("naive_incremental_requests_per_100_changes", per_100.requests, "requests")
    figure("naive_incremental_bytes_received_per_100_changes_extrapolated", per_100.bytes_received, "bytes")
    figure("naive_incremental_cpu_per_100_changes_extrapolated", f"{per_100.cpu:.1f}", "s")
    figure("naive_incremental_wall_per_100_changes_extrapolated", f"{per_100.wall:.1f}", "s")

    # nothing to do: read every tab to find out
    def read_everything() -> int:
        return sum(len(tab.get_all_values()) for tab in client.open_by_key(SPREADSHEET).worksheets())

    note("… naive no-op: get_all_values of every tab")
    lines, noop = measured(transport, read_everything)
    check(lines >= total_rows, f"naive no-op read {lines} lines")
    print_cost("naive_noop", noop)


if __name__ == "__main__":
    sys.exit(main())
