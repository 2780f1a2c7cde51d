"""Bench: every surveyor's call queue for a campaign of 20 000 structures and 100 000 attempts.

Run from the project root::

    .venv/bin/python -m bench.calls

stdout holds only the figures (``name: value unit``); notes go to stderr. Goal (issue 5): computing
every surveyor's queue under 200 ms. Compared in the same run with the naive way: one
``surveyor_queue`` call per surveyor (each reloading the whole campaign).

The store: the 20 000 synthetic structures of ``bench.import_export``, all targeted by one
campaign, assigned round-robin to 10 surveyors, with 100 000 attempts (seeded) spread over four
weeks, of every outcome in plausible shares, call-backs included.
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa

from bench.import_export import check, figure, imported_store, note

STRUCTURES = 20_000
ATTEMPTS = 100_000
SURVEYORS = [f"enqueteur-{n}" for n in range(1, 11)]
SEED = 5
GOAL_MS = 200.0
RUNS = 7
OUTCOME_SHARES = {
    "pas_de_reponse": 40, "occupe": 8, "repondeur_message": 10, "repondeur_sans_message": 8, "rappel": 8,
    "rendez_vous": 2, "refus_doux": 4, "abandon": 2, "partielle": 3, "complete": 10, "refus_ferme": 2,
    "mauvais_numero": 1, "numero_inexistant": 1, "non_eligible": 1,
}


def build(directory: Path):
    from collect.calls import add_targets, assign
    from collect.campaigns import create_campaign
    from collect.questionnaire import default_questionnaire
    from collect.surveys import publish_questionnaire


    store = imported_store(directory / "calls.duckdb", STRUCTURES)
    rng = random.Random(SEED)
    with store.atomic() as con:
        stored = publish_questionnaire(con, default_questionnaire(), by="bench")
        campaign_id = create_campaign(con, nom="Bench", questionnaire_id=stored.id, by="bench")
        con.execute("UPDATE campaigns SET max_tentatives = 8, heures_appel = 'Mo-Su 00:00-24:00' WHERE id = ?",
                    [campaign_id])
        ids = [row[0] for row in con.execute("SELECT id FROM structures ORDER BY id").fetchall()]
        add_targets(con, campaign_id, ids, by="bench")
        for index, surveyor in enumerate(SURVEYORS):
            assign(con, campaign_id, ids[index::len(SURVEYORS)], surveyor, by="bench")
        start = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
        outcomes = list(OUTCOME_SHARES)
        weights = list(OUTCOME_SHARES.values())
        attempts = {"id": [], "campaign_id": [], "structure_id": [], "surveyor": [], "attempted_at": [], "outcome": [],
                    "callback_at": []}
        for n in range(ATTEMPTS):
            structure_index = rng.randrange(STRUCTURES)
            outcome = rng.choices(outcomes, weights)[0]
            at = start + timedelta(minutes=rng.randrange(28 * 24 * 60))
            attempts["id"].append(f"bench-{n}")
            attempts["campaign_id"].append(campaign_id)
            attempts["structure_id"].append(ids[structure_index])
            attempts["surveyor"].append(SURVEYORS[structure_index % len(SURVEYORS)])
            attempts["attempted_at"].append(at)
            attempts["outcome"].append(outcome)
            attempts["callback_at"].append(at + timedelta(days=2) if outcome in ("rappel", "rendez_vous") else None)
        batch = pa.table(attempts, schema=pa.schema([
            ("id", pa.string()), ("campaign_id", pa.string()), ("structure_id", pa.string()), ("surveyor", pa.string()),
            ("attempted_at", pa.timestamp("us", tz="UTC")), ("outcome", pa.string()),
            ("callback_at", pa.timestamp("us", tz="UTC")),
        ]))
        con.register("bench_attempts", batch)
        con.execute(
            "INSERT INTO call_attempts (id, campaign_id, structure_id, surveyor, attempted_at, outcome, callback_at,"
            " created_at, updated_at, updated_by) SELECT id, campaign_id, structure_id, surveyor, attempted_at, outcome,"
            " callback_at, now(), now(), 'bench' FROM bench_attempts"
        )
        con.unregister("bench_attempts")
    return store, campaign_id, start + timedelta(days=30)


def timed(call, runs: int = RUNS) -> list[float]:
    durations = []
    for _ in range(runs):
        begin = time.perf_counter()
        call()
        durations.append((time.perf_counter() - begin) * 1000)
    return durations


def main() -> int:
    from collect.calls import campaign_queues, surveyor_queue

    with tempfile.TemporaryDirectory(prefix="maillage-bench-calls-") as tmp:
        note("… building 20 000 structures and 100 000 attempts")
        store, campaign_id, now = build(Path(tmp))
        figure("structures", STRUCTURES, "structures")
        figure("attempts", store.query("SELECT count(*) AS n FROM call_attempts")[0]["n"], "attempts")
        figure("surveyors", len(SURVEYORS), "surveyors")
        figure("goal_all_queues_ms", f"{GOAL_MS:.0f}", "ms")
        with store.connect() as con:
            queues = campaign_queues(con, campaign_id, now=now)
            check(set(queues) <= set(SURVEYORS) and sum(len(q) for q in queues.values()) > 0, "empty queues")
            one = surveyor_queue(con, campaign_id, SURVEYORS[0], now=now)
            check([i.case.structure_id for i in one] == [i.case.structure_id for i in queues[SURVEYORS[0]]],
                  "one surveyor's queue differs from the campaign pass")
            note(f"  {sum(len(q) for q in queues.values())} calls to make now across {len(queues)} surveyors")
            all_queues = timed(lambda: campaign_queues(con, campaign_id, now=now))
            naive = timed(lambda: [surveyor_queue(con, campaign_id, s, now=now) for s in SURVEYORS], runs=3)
        figure("all_queues_ms_median", f"{statistics.median(all_queues):.0f}", "ms")
        figure("all_queues_ms_max", f"{max(all_queues):.0f}", "ms")
        figure("naive_one_call_per_surveyor_ms_median", f"{statistics.median(naive):.0f}", "ms")
        store.release()
    return 0


if __name__ == "__main__":
    sys.exit(main())
