"""Bench: twenty survey sessions of one server saving fields at once, with and without cron's sync.

Run from the project root::

    .venv/bin/python -m bench.concurrent_sessions [--secondes 30] [--pause-synchro 0] [--sans-synchro]

stdout holds only the figures, one per line, as ``name: value unit``; notes and progress go to
stderr. The goal (issue 8, « shared server mode »): with 20 surveyors on one ``streamlit run``
server, p95 under 100 ms to save one field, also while ``maillage sync`` runs beside it.

The store is ``bench.surveys``'s (20 000 structures, 50 000 responses, 3 000 open drafts, built
in about a minute). Twenty threads of this process stand for the twenty sessions of one server:
each saves one field of its own drafts every second (on a fixed schedule: a slow save does not
lower the load) exactly as the survey page does — ``store.transaction`` of ``save_answer`` — and
the latency of a save is the wall time of that unit of work, waiting for the store included.
Three rounds of ``--secondes`` each:

1. ``alone``: the app's way (one shared DuckDB instance, ``Store.keep_open``), nobody else;
2. ``with_sync``: the same while ``maillage sync --emulateur`` runs again and again as a separate
   process, back to back by default (``--pause-synchro`` seconds apart otherwise; cron runs it
   every 15 minutes), against the Sheets emulator started in a subprocess. The first push of the
   store to the sheet is done before, untimed. On this store a sync holds the file for about
   1.2 s per run (its longest unit: ~0.6 s counting the local changes), so back to back it holds
   it a good part of the time: the figure is a worst case, the one to read with it is the max;
3. ``naive``: one DuckDB connection opened and closed per save (``keep_open=0``), nobody else.

Every saved value is read back at the end of each round (no save is ever dropped), and each
sync's exit status is checked. Figures taken while other processes load the machine are
pessimistic: DuckDB's checkpoints and the GIL compete for the same cores.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.import_export import check, figure, note

SESSIONS = 20
DRAFTS_PER_SESSION = 3
INTERVAL_SECONDS = 1.0  # one field saved per session per second
GOAL_P95_MS = 100.0
SEED = 8_2026
MAILLAGE = Path(sys.executable).with_name("maillage")
ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Round:
    """One round's saves: latencies (seconds), errors, and the values expected in the store."""

    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    expected: dict[tuple[str, str], str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    seconds: float = 0.0

    def percentile_ms(self, share: float) -> float:
        from bench.surveys import Measure

        return Measure(self.latencies).ms(share)

    def report(self, name: str) -> None:
        figure(f"{name}_saves", len(self.latencies), "saves")
        figure(f"{name}_saves_per_s", f"{len(self.latencies) / self.seconds:.1f}", "saves/s")
        for share in (0.50, 0.95, 0.99):
            figure(f"{name}_save_ms_p{round(share * 100)}", f"{self.percentile_ms(share):.1f}", "ms")
        figure(f"{name}_save_ms_max", f"{max(self.latencies) * 1000:.1f}", "ms")
        slow = sum(1 for seconds in self.latencies if seconds * 1000 > GOAL_P95_MS)
        figure(f"{name}_saves_over_goal_pct", f"{100 * slow / len(self.latencies):.1f}", "%")
        figure(f"{name}_errors", len(self.errors), "errors")
        for error in self.errors[:5]:
            note(f"  error: {error}")


def run_sessions(store: Any, drafts: list[Any], questions: list[Any], seconds: float, seed: int) -> Round:
    """Twenty sessions saving a field each second for ``seconds``, as the survey page does."""
    from bench.surveys import _new_value
    from collect.surveys import save_answer

    result = Round()
    start = time.monotonic() + 0.5

    def session(k: int) -> None:
        rng = random.Random(seed * 100 + k)
        mine = drafts[k * DRAFTS_PER_SESSION:(k + 1) * DRAFTS_PER_SESSION]
        due = start + rng.random() * INTERVAL_SECONDS  # sessions spread over the second
        n = 0
        while due < start + seconds:
            time.sleep(max(0.0, due - time.monotonic()))
            draft = mine[n % len(mine)]
            question = rng.choice(questions)
            value, encoded = _new_value(question, rng, draft)
            base = draft.values.get(question.code, (None, 0))[1]
            begin = time.perf_counter()
            try:
                outcome = store.transaction(lambda con, draft=draft, code=question.code, value=value, base=base: save_answer(
                    con, draft.id, code, value, base_revision=base, session_id=draft.session_id, by=draft.surveyor))
            except Exception as error:  # noqa: BLE001 - counted and shown: a save that fails is a finding
                with result.lock:
                    result.errors.append(f"{type(error).__name__}: {error}")
            else:
                elapsed = time.perf_counter() - begin
                with result.lock:
                    if outcome.saved and outcome.revision == base + 1:
                        result.latencies.append(elapsed)
                        result.expected[(draft.id, question.code)] = encoded
                    else:
                        result.errors.append(f"save of {question.code}: saved={outcome.saved}, "
                                             f"revision {outcome.revision} after {base}")
                if outcome.saved:
                    draft.values[question.code] = (encoded, outcome.revision)
            n += 1
            due += INTERVAL_SECONDS

    threads = [threading.Thread(target=session, args=(k,), name=f"session-{k}") for k in range(SESSIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = seconds
    return result


def check_read_back(store: Any, result: Round, name: str) -> None:
    """Every value a session saved is in the store, as saved."""
    drafts = sorted({draft_id for draft_id, _ in result.expected})
    with store.connect() as con:
        stored = {(d, c): v for d, c, v in con.execute(
            "SELECT draft_id, question_code, value::VARCHAR FROM draft_values WHERE list_contains(?, draft_id)",
            [drafts]).fetchall()}
    lost = [key for key, encoded in result.expected.items()
            if key not in stored or json.loads(stored[key]) != json.loads(encoded)]
    check(not lost, f"{name}: {len(lost)} saved values do not read back, e.g. {lost[:3]}")
    note(f"  {name}: {len(result.expected)} saved values read back identical")


@dataclass
class Cron:
    """``maillage sync`` run back to back in subprocesses until stopped."""

    command: list[str]
    env: dict[str, str]
    cwd: Path
    pause: float = 0.0
    runs: list[tuple[float, int, str]] = field(default_factory=list)  # seconds, exit status, output
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    def once(self) -> tuple[float, int, str]:
        begin = time.monotonic()
        done = subprocess.run(self.command, cwd=self.cwd, env=self.env, capture_output=True, text=True, timeout=600)
        run = (time.monotonic() - begin, done.returncode, done.stdout + done.stderr)
        self.runs.append(run)
        return run

    def start(self) -> None:
        def loop() -> None:
            while not self.stop.is_set():
                self.once()
                self.stop.wait(self.pause)

        self.thread = threading.Thread(target=loop, name="cron")
        self.thread.start()

    def finish(self) -> None:
        self.stop.set()
        if self.thread is not None:
            self.thread.join()


def main(argv: list[str] | None = None) -> int:
    from bench.surveys import build_store
    from bench.sync import SPREADSHEET, start_emulator, verdict
    from models.store import Store

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--secondes", type=float, default=30.0, help="length of each round (default 30)")
    parser.add_argument("--pause-synchro", type=float, default=0.0,
                        help="seconds between two syncs of the second round (default 0: back to back)")
    parser.add_argument("--sans-synchro", action="store_true", help="skip the round with the sync beside")
    options = parser.parse_args(argv)
    seconds = options.secondes

    with tempfile.TemporaryDirectory(prefix="maillage-bench-sessions-") as tmp:
        note("… building the store of bench.surveys")
        begin = time.perf_counter()
        built = build_store(Path(tmp))
        note(f"  built in {time.perf_counter() - begin:.1f} s")
        # The build leaves millions of Python objects behind; a server's heap is small. Without
        # this, the cyclic collector's full passes over them (GIL held) show up as save latency.
        gc.collect()
        gc.freeze()
        store = built.store
        questions = [q for q in built.questionnaire.questions() if q.type != "note"]
        check(len(built.partial) >= 3 * SESSIONS * DRAFTS_PER_SESSION, "not enough open drafts")
        rounds = [built.partial[i * SESSIONS * DRAFTS_PER_SESSION:(i + 1) * SESSIONS * DRAFTS_PER_SESSION]
                  for i in range(3)]
        figure("sessions", SESSIONS, "sessions")
        figure("round_seconds", f"{seconds:.0f}", "s")
        figure("goal_save_ms_p95", f"{GOAL_P95_MS:.0f}", "ms")

        note(f"… alone: {SESSIONS} sessions, one save each per second, {seconds:.0f} s")
        alone = run_sessions(store, rounds[0], questions, seconds, seed=1)
        alone.report("alone")
        check_read_back(store, alone, "alone")

        if not options.sans_synchro:
            emulator, url = start_emulator()
            try:
                env = {key: value for key, value in os.environ.items() if not key.startswith("MAILLAGE_")}
                env.update({"MAILLAGE_DB": str(store.path), "MAILLAGE_DEVICE": "cron", "PYTHONPATH": str(ROOT)})
                cron = Cron([str(MAILLAGE), "sync", "--emulateur", url, "--classeur", SPREADSHEET], env, Path(tmp),
                            pause=options.pause_synchro)
                store.release()
                note("… first push of the store to the sheet (untimed)")
                first = cron.once()
                check(first[1] == 0, f"first sync failed: {first[2]}")
                note(f"  first push: {first[0]:.1f} s")
                cron.runs.clear()
                cadence = f"{options.pause_synchro:g} s apart" if options.pause_synchro else "back to back"
                figure("with_sync_pause_s", f"{options.pause_synchro:g}", "s")
                note(f"… with_sync: the same while `maillage sync` runs {cadence} beside, {seconds:.0f} s")
                cron.start()
                with_sync = run_sessions(store, rounds[1], questions, seconds, seed=2)
                cron.finish()
            finally:
                emulator.terminate()
                emulator.wait(timeout=30)
            with_sync.report("with_sync")
            check_read_back(store, with_sync, "with_sync")
            durations = [run[0] for run in cron.runs]
            failed = [run for run in cron.runs if run[1] != 0]
            figure("with_sync_sync_runs", len(cron.runs), "runs")
            figure("with_sync_sync_run_s_max", f"{max(durations):.1f}" if durations else "0", "s")
            figure("with_sync_sync_failures", len(failed), "runs")
            for run in failed[:3]:
                note(f"  failed sync ({run[1]}): {run[2].strip()[-500:]}")

        store.release()
        naive_store = Store(store.path, keep_open=0)
        note(f"… naive: one connection opened and closed per save (keep_open=0), {seconds:.0f} s")
        naive = run_sessions(naive_store, rounds[2], questions, seconds, seed=3)
        naive.report("naive")
        check_read_back(naive_store, naive, "naive")

        check(not alone.errors and (options.sans_synchro or not with_sync.errors), "sessions met errors")
        verdict("goal_met_alone", alone.percentile_ms(0.95) < GOAL_P95_MS)
        if not options.sans_synchro:
            verdict("goal_met_with_sync", with_sync.percentile_ms(0.95) < GOAL_P95_MS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
