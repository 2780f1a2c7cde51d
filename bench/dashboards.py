"""Bench: the steering committee's dashboards on 20 000 structures, 50 000 responses and 100 000 call attempts.

Run from the project root::

    .venv/bin/python -m bench.dashboards

stdout holds only the figures (``name: value unit``); notes go to stderr. The goal (issue 7): each
dashboard computed in under 1 s. Measured, in one run:

1. **Compute time of each page**, outside Streamlit: the exact calls the page makes (its filter
   bar's queries, its view in ``dashboards.views``, the tables' CSV the page makes for its
   download buttons, every Altair chart through ``dashboards.charts.french``) and
   the serialisation Streamlit does in ``st.altair_chart`` (Altair's ``to_dict`` with Streamlit's
   Arrow data transformer, the datasets to Arrow, the spec to JSON), best of 3 runs, with the
   default filters (whole territory), with one département, and for the offer page with a period
   start (the page then compares two dates). The figure line says whether the goal is met. For a
   page missing it: the same runs with Python's cyclic collector paused (``*_gc_paused``, best of
   2: what the collector's walks of the heap cost), and a cProfile of its slowest variant on stderr.
2. **Components** timed alone, to explain a slow page (best of 3).
3. **The naive ways**, in the same run: the offer over time by one ``structures_as_of`` per date
   counted in Python against ``offer_over_time`` (one query); the AAPOR group counts at the end of
   each week recomputed from the attempts made by then (one query and ``final_disposition`` per
   case and week) against the replay of ``rates_over_time``. Both must give the same figures; the
   naive ways are timed once (that run is the check), the others best of 3.
4. **AppTest render time** of each committee page (``switch_page(...).run()``, then a second
   ``run()``), on a copy of the bench store marked « demo loaded ».

The store (built in a temporary directory, about a minute; not a goal): the 20 000 synthetic
structures of ``bench.import_export`` imported the normal way, given a past (their first versions
spread over a year, then 22 monthly rounds of 200 edits of their services through
``replace_structures``, then 100 deletions), the default questionnaire under three campaigns and
50 000 responses (two past campaigns of 15 000 and 17 000; the campaign shown, the newest: 16 000
first submissions and 2 000 corrections), and 100 000 call attempts on the campaign shown (its
19 900 live structures targeted, assigned round-robin to 10 surveyors, over 10 weeks ending 3
days ago; each respondent's last attempt is the ``complete`` its response came from). Dates are
relative to the day of the run. Like the other benches, nothing is cached between runs.
"""

from __future__ import annotations

import cProfile
import io
import json
import logging
import os
import pstats
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa

from bench.import_export import check, figure, imported_store, note

STRUCTURES = 20_000
ATTEMPTS = 100_000
PAST_CAMPAIGNS = ((2, 15_000), (1, 17_000))  # (years ago, responses)
RESPONDENTS = 16_000  # first submissions in the campaign shown
CORRECTIONS = 2_000  # revisions 2 in the campaign shown
RESPONSES = sum(n for _, n in PAST_CAMPAIGNS) + RESPONDENTS + CORRECTIONS
EDIT_ROUNDS = 22  # monthly rounds of edits after the import
EDITS_PER_ROUND = 200
DELETIONS = 100
FIELDWORK_WEEKS = 10
MAX_ATTEMPTS = 8
SURVEYORS = [f"enqueteur-{n}" for n in range(1, 11)]
SEED = 7
DEPARTEMENT = "13"  # the one-département variant (Bouches-du-Rhône: the most structures of the bench)
GOAL_SECONDS = 1.0
RUNS = 3
APPTEST_TIMEOUT = 600
PARIS = ZoneInfo("Europe/Paris")
ROOT = Path(__file__).resolve().parents[1]
BY = "bench"
# Outcomes as bench.calls draws them; "complete" is given to respondents only.
OUTCOME_SHARES = {
    "pas_de_reponse": 40, "occupe": 8, "repondeur_message": 10, "repondeur_sans_message": 8, "rappel": 8,
    "rendez_vous": 2, "refus_doux": 4, "abandon": 2, "partielle": 3, "refus_ferme": 2,
    "mauvais_numero": 1, "numero_inexistant": 1, "non_eligible": 1,
}
COMMITTEE_PAGES = {
    "tableau_de_bord": "pages/tableau_de_bord.py",
    "taux_reponse": "pages/taux_reponse.py",
    "offre": "pages/offre.py",
    "indicateurs": "pages/indicateurs.py",
}


# -- the store ---------------------------------------------------------------------------------


@dataclass
class Built:
    store: Any
    campaign_id: str
    seconds: float


def _backdate_import(con: Any, first_day: datetime) -> None:
    """The imported registry did not appear in one day: each first version from a day of the year
    after ``first_day`` (deterministic: DuckDB's hash of the id)."""
    con.execute(
        "UPDATE structure_versions SET valid_from = ?::TIMESTAMPTZ + to_days(CAST(hash(structure_id) % 365 AS INTEGER))"
        " + to_minutes(CAST(hash(structure_id || 'm') % 600 AS INTEGER))",
        [first_day])
    con.execute("UPDATE structures SET created_at = v.valid_from FROM structure_versions v"
                " WHERE v.structure_id = structures.id")


def _edit_rounds(con: Any, rng: random.Random, ids: list[str], first_round: datetime) -> int:
    """``EDIT_ROUNDS`` monthly rounds of ``EDITS_PER_ROUND`` services changes (one category added or
    removed), each written by ``replace_structures`` at its own date: new versions, as people's edits make."""
    from models.registry import replace_structures, structure_from_row, write_for_row
    from models.standard import standard_v1
    from models.store import fetch_dicts

    categories = list(standard_v1().choices("services"))
    edits = 0
    for index in range(EDIT_ROUNDS):
        chosen = rng.sample(ids, EDITS_PER_ROUND)
        rows = fetch_dicts(con, "SELECT * FROM structures WHERE id IN (SELECT unnest(?::VARCHAR[])) ORDER BY id",
                           [chosen])
        writes = []
        for row in rows:
            services = list(row["services"] or [])
            if len(services) > 1 and rng.random() < 0.35:
                services.remove(rng.choice(services))
            else:
                services.append(rng.choice([c for c in categories if c not in services]))
            structure = structure_from_row(row).model_copy(update={"services": services})
            writes.append(write_for_row(row, structure))
        replace_structures(con, writes, by=BY, reason="modification", now=first_round + timedelta(days=30 * index))
        edits += len(writes)
    return edits


def _delete(con: Any, ids: list[str], when: datetime) -> None:
    """Soft-delete ``ids`` through the registry, then date the deletions ``when``."""
    from models.registry import delete_structure
    from models.store import utc_now

    mark = utc_now()
    for structure_id in ids:
        delete_structure(con, structure_id, by=BY)
    con.execute("UPDATE structure_versions SET valid_to = ? WHERE valid_to >= ?", [when, mark])
    con.execute("UPDATE structure_versions SET valid_from = ?, created_at = ? WHERE valid_from >= ?",
                [when, when, mark])
    con.execute("UPDATE structures SET deleted_at = ? WHERE deleted_at >= ?", [when, mark])


def _insert(con: Any, table: str, columns: dict[str, list], schema: pa.Schema, sql: str) -> None:
    con.register("bench_batch", pa.table(columns, schema=schema))
    try:
        con.execute(sql.format(table=table))
    finally:
        con.unregister("bench_batch")


RESPONSE_SCHEMA = pa.schema([
    ("id", pa.string()), ("structure_id", pa.string()), ("campaign_id", pa.string()), ("surveyor", pa.string()),
    ("revision", pa.int32()), ("supersedes", pa.string()), ("answers", pa.string()),
    ("submitted_at", pa.timestamp("us", tz="UTC")),
])
ATTEMPT_SCHEMA = pa.schema([
    ("id", pa.string()), ("campaign_id", pa.string()), ("structure_id", pa.string()), ("surveyor", pa.string()),
    ("attempted_at", pa.timestamp("us", tz="UTC")), ("outcome", pa.string()),
    ("callback_at", pa.timestamp("us", tz="UTC")),
])


def build(path: Path) -> Built:
    from bench.sync import _answers_pool
    from collect.calls import add_targets, assign
    from collect.campaigns import create_campaign
    from collect.questionnaire import default_questionnaire
    from collect.surveys import publish_questionnaire
    from models.store import fetch_dicts

    begin = time.perf_counter()
    note(f"… importing {STRUCTURES} synthetic structures")
    store = imported_store(path, STRUCTURES)
    rng = random.Random(SEED)
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    first_day = today - timedelta(days=1050)  # the registry fills up over the year after it
    fieldwork_end = today - timedelta(days=3) + timedelta(hours=17)
    fieldwork_start = fieldwork_end - timedelta(weeks=FIELDWORK_WEEKS)
    note("… giving the registry a past, campaigns, responses and call attempts")
    with store.atomic() as con:
        _backdate_import(con, first_day)
        ids = [row[0] for row in con.execute("SELECT id FROM structures ORDER BY id").fetchall()]
        edits = _edit_rounds(con, rng, ids, first_day + timedelta(days=400))
        _delete(con, rng.sample(ids, DELETIONS), today - timedelta(days=10))
        live = [row[0] for row in con.execute(
            "SELECT id FROM structures WHERE deleted_at IS NULL ORDER BY id").fetchall()]

        stored = publish_questionnaire(con, default_questionnaire(), by=BY)
        past = [(create_campaign(con, nom=f"Diagnostic {today.year - years}", questionnaire_id=stored.id, by=BY),
                 years, count) for years, count in PAST_CAMPAIGNS]
        campaign_id = create_campaign(con, nom=f"Diagnostic {today.year} (bench)", questionnaire_id=stored.id, by=BY)
        for past_id, years, _count in past:
            con.execute("UPDATE campaigns SET created_at = ? WHERE id = ?",
                        [fieldwork_start - timedelta(days=365 * years + 7), past_id])
        con.execute("UPDATE campaigns SET created_at = ?, max_tentatives = ?, heures_appel = 'Mo-Su 00:00-24:00'"
                    " WHERE id = ?", [fieldwork_start - timedelta(days=7), MAX_ATTEMPTS, campaign_id])
        add_targets(con, campaign_id, live, by=BY)
        for index, surveyor in enumerate(SURVEYORS):
            assign(con, campaign_id, live[index::len(SURVEYORS)], surveyor, by=BY)
        con.execute("UPDATE campaign_targets SET created_at = ? WHERE campaign_id = ?",
                    [fieldwork_start - timedelta(days=2), campaign_id])
        con.execute("UPDATE assignments SET assigned_at = ?, created_at = ? WHERE campaign_id = ?",
                    [fieldwork_start - timedelta(days=2), fieldwork_start - timedelta(days=2), campaign_id])

        structures = fetch_dicts(con, "SELECT * FROM structures WHERE deleted_at IS NULL ORDER BY id")
        pool = _answers_pool(stored.questionnaire, rng.sample(structures, 500), rng, 500)
        surveyor_of = {sid: SURVEYORS[index % len(SURVEYORS)] for index, sid in enumerate(live)}

        responses: dict[str, list] = {name: [] for name in RESPONSE_SCHEMA.names}

        def respond(rid: str, sid: str, cid: str, at: datetime, revision: int = 1,
                    supersedes: str | None = None) -> None:
            for name, value in zip(RESPONSE_SCHEMA.names, (rid, sid, cid, surveyor_of[sid], revision, supersedes,
                                                           rng.choice(pool), at), strict=True):
                responses[name].append(value)

        for past_id, years, count in past:
            start = fieldwork_start - timedelta(days=365 * years)
            for n, sid in enumerate(rng.sample(live, count)):
                respond(f"bench-r{years}-{n:05d}", sid, past_id,
                        start + timedelta(minutes=rng.randrange(FIELDWORK_WEEKS * 7 * 24 * 60)))

        # the campaign shown: every respondent's last attempt is the complete interview
        minutes = int((fieldwork_end - fieldwork_start).total_seconds() // 60)
        respondents = rng.sample(live, RESPONDENTS)
        priors = [rng.randint(0, MAX_ATTEMPTS - 1) for _ in respondents]
        responding = set(respondents)
        others = [sid for sid in live if sid not in responding]
        remaining = ATTEMPTS - sum(priors) - len(respondents)
        check(0 < remaining <= len(others) * MAX_ATTEMPTS, f"{remaining} attempts left for {len(others)} structures")
        counts = [remaining // len(others) + (1 if i < remaining % len(others) else 0) for i in range(len(others))]
        retried = [o for o in OUTCOME_SHARES if o not in ("refus_ferme", "mauvais_numero", "numero_inexistant",
                                                           "non_eligible")]
        attempts: dict[str, list] = {name: [] for name in ATTEMPT_SCHEMA.names}

        def calls(sid: str, count: int, last: str | None) -> datetime:
            moments = sorted(fieldwork_start + timedelta(minutes=rng.randrange(minutes)) for _ in range(count))
            for k, at in enumerate(moments):
                if k == count - 1 and last is not None:
                    outcome = last
                elif k == count - 1:
                    outcome = rng.choices(list(OUTCOME_SHARES), list(OUTCOME_SHARES.values()))[0]
                else:
                    outcome = rng.choices(retried, [OUTCOME_SHARES[o] for o in retried])[0]
                callback = at + timedelta(days=2) if outcome in ("rappel", "rendez_vous") else None
                for name, value in zip(ATTEMPT_SCHEMA.names, (f"bench-a{len(attempts['id']):06d}", campaign_id, sid,
                                                              surveyor_of[sid], at, outcome, callback), strict=True):
                    attempts[name].append(value)
            return moments[-1]

        completed: dict[str, tuple[str, datetime]] = {}
        for n, (sid, prior) in enumerate(zip(respondents, priors, strict=True)):
            submitted = calls(sid, prior + 1, "complete") + timedelta(minutes=20)
            completed[sid] = (f"bench-r0-{n:05d}", submitted)
            respond(completed[sid][0], sid, campaign_id, submitted)
        for sid, count in zip(others, counts, strict=True):
            calls(sid, count, None)
        check(len(attempts["id"]) == ATTEMPTS, f"{len(attempts['id'])} attempts generated")
        for n, sid in enumerate(rng.sample(respondents, CORRECTIONS)):
            original, first = completed[sid]
            respond(f"bench-c0-{n:05d}", sid, campaign_id, min(first + timedelta(days=rng.randint(1, 5)),
                                                                 today - timedelta(hours=1)),
                    revision=2, supersedes=original)
        check(len(responses["id"]) == RESPONSES, f"{len(responses['id'])} responses generated")

        _insert(con, "responses", responses, RESPONSE_SCHEMA,
                "INSERT INTO {table} (id, structure_id, campaign_id, questionnaire_id, surveyor, revision, supersedes,"
                " answers, submitted_at, created_at, updated_at, updated_by) SELECT id, structure_id, campaign_id, '"
                + stored.id + "', surveyor, revision, supersedes, answers::JSON, submitted_at, submitted_at,"
                " submitted_at, surveyor FROM bench_batch")
        _insert(con, "call_attempts", attempts, ATTEMPT_SCHEMA,
                "INSERT INTO {table} (id, campaign_id, structure_id, surveyor, attempted_at, outcome, callback_at,"
                " created_at, updated_at, updated_by) SELECT id, campaign_id, structure_id, surveyor, attempted_at,"
                " outcome, callback_at, attempted_at, attempted_at, surveyor FROM bench_batch")
        con.execute("INSERT INTO settings (key, value, updated_at, updated_by) VALUES ('demo_loaded', ?, now(), ?)"
                    " ON CONFLICT (key) DO NOTHING", [json.dumps({"bench": "dashboards"}), BY])
    store.release()
    note(f"  {edits} edits, {DELETIONS} deletions, {len(live)} live structures targeted")
    return Built(store, campaign_id, time.perf_counter() - begin)


# -- what a page does -------------------------------------------------------------------------------


def _silence_bare_mode_warnings() -> None:
    """``ui.shared.viewer_zone`` reads ``st.context`` outside a script run: Streamlit logs a
    warning each time in bare mode (the zone is then Paris, as the pages fall back to)."""
    import streamlit.runtime.scriptrunner_utils.script_run_context  # noqa: F401 (creates the logger, at its level)

    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel(logging.ERROR)


def serialised(chart: Any, *, stretch: bool = True) -> int:
    """What ``DashboardPage.chart`` does to a chart before sending it: the Vega-Lite spec
    (``dashboards.charts.vega_lite_spec``), then ``st.vega_lite_chart``'s own steps (Streamlit's
    functions): named datasets to Arrow, the spec to JSON. Returns the payload's size in bytes."""
    from streamlit.elements.vega_charts import _marshall_chart_data, _prepare_vega_lite_spec, _stabilize_vega_json_spec
    from streamlit.proto.VegaLiteChart_pb2 import VegaLiteChart

    from dashboards.charts import french, vega_lite_spec
    from models.runtime import collector_paused

    styled = french(chart)
    with collector_paused():  # as ``DashboardPage.chart`` does around ``st.vega_lite_chart``
        spec = _prepare_vega_lite_spec(vega_lite_spec(styled), stretch)
        proto = VegaLiteChart()
        _marshall_chart_data(proto, spec, None)
    text = _stabilize_vega_json_spec(json.dumps(spec))
    return len(text) + sum(len(dataset.data.data) for dataset in proto.datasets)


def table_csv(rows: Any) -> int:
    """What ``DashboardPage.table`` computes at once: the DataFrame and its CSV download."""
    import pandas as pd

    from ui.shared import csv_bytes

    table = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    return len(csv_bytes(table))


@dataclass
class Opened:
    """What ``ui.dashboard.open_dashboard`` gives a page: the campaign, the disclosure threshold."""

    campaign: dict[str, Any] | None
    threshold: int
    generated_at: datetime


def open_dashboard(store: Any, filters: Any) -> Opened:
    """``open_dashboard`` without Streamlit: the filter bar's queries (``_filter_choices``, the
    page's own function), the campaign it selects (the newest), the report's header."""
    from dashboards.filters import describe
    from dashboards.rates import disclosure_threshold
    from ui.dashboard import _filter_choices

    _departements, _kinds, campaigns, _first = _filter_choices(store)
    by_id = {campaign["id"]: campaign for campaign in campaigns}
    campaign = by_id.get(filters.campagne) if filters.campagne else campaigns[0] if campaigns else None
    describe(filters, campaign_name=campaign["nom"] if campaign else None)
    return Opened(campaign, disclosure_threshold(), datetime.now(PARIS))


def tableau_de_bord(store: Any, filters: Any) -> None:
    """pages/tableau_de_bord.py, without Streamlit."""
    from dashboards.charts import offer_chart, rates_over_time_chart
    from dashboards.maps import lieux_map
    from dashboards.offer import departements_of, offer_counts
    from dashboards.views import main_view

    page = open_dashboard(store, filters)
    with store.connect() as con:
        view = main_view(con, filters, page.campaign["id"] if page.campaign else None, zone=PARIS,
                         now=page.generated_at)
    lieux = view.lieux
    check(view.headline is not None and view.headline["Structures enquêtées"] >= page.threshold,
          "no response in scope")
    check(bool(view.weekly), "no weekly rates")
    serialised(rates_over_time_chart(view.weekly))
    sum(1 for row in lieux if row.get("services"))
    sum(len(row.get("services") or []) for row in lieux)
    serialised(offer_chart(offer_counts(lieux, "services"), "Lieux par catégorie de service"))
    serialised(lieux_map(lieux, filters.territoire or departements_of(lieux)), stretch=False)


def taux_reponse(store: Any, filters: Any) -> None:
    """pages/taux_reponse.py with its default widgets (« Semaine », « Typologie »), without Streamlit."""
    from dashboards.charts import interviews_chart, rates_by_chart, rates_over_time_chart
    from dashboards.rates import DIMENSIONS, GROUPS, PERIODS, RATE_LABELS, RATE_NAMES
    from dashboards.views import rates_view

    page = open_dashboard(store, filters)
    period, dimension = "semaine", next(iter(DIMENSIONS))
    with store.connect() as con:
        view = rates_view(con, filters, page.campaign["id"], period=period, dimension=dimension, zone=PARIS,
                          min_cases=page.threshold)
    counts, rates = view.state.counts, view.state.rates
    check(len(view.state.cases) >= page.threshold and bool(view.over_time), "no case in scope")
    table_csv([{"Groupe": group, "Structures": counts[group]} for group in GROUPS])
    table_csv([{"Taux": name, "Définition": RATE_LABELS[name], "Valeur": rates[name]} for name in RATE_NAMES])
    period_label = PERIODS[period]
    serialised(rates_over_time_chart(view.over_time, period=period_label))
    serialised(interviews_chart(view.over_time, period=period_label))
    table_csv([{key: value for key, value in row.items() if key != "Fin"} for row in view.over_time])
    serialised(rates_by_chart(view.breakdown, DIMENSIONS[dimension]))
    table_csv(view.breakdown)


def offre(store: Any, filters: Any) -> None:
    """pages/offre.py with its default widgets (« Commune », the first category), without Streamlit."""
    from dashboards.charts import coverage_chart, offer_changes_chart, offer_chart, offer_over_time_chart
    from dashboards.maps import coverage_map, lieux_map
    from dashboards.offer import LEVELS, OFFER_FIELDS, coverage_changes, offer_changes, offer_counts
    from dashboards.views import offer_view
    from models.standard import standard_v1

    page = open_dashboard(store, filters)
    today = page.generated_at.date()
    level = next(iter(LEVELS))
    with store.connect() as con:
        view = offer_view(con, filters, level=level, today=today)
    lieux, departements = view.lieux, view.departements
    sum(1 for row in lieux if row.get("services"))
    sum(len(row.get("services") or []) for row in lieux)
    serialised(offer_over_time_chart(view.timeline))
    check(bool(lieux), "no lieu in scope")
    for field_name, title in OFFER_FIELDS.items():
        counts = offer_counts(lieux, field_name)
        serialised(offer_chart(counts, f"Lieux par {title.lower()}"))
        table_csv(counts)
    category = list(standard_v1().choices("services"))[0]
    covered = view.coverage
    serialised(coverage_chart(covered.table()))
    table_csv(covered.table())
    white = covered.white_zones(category)
    covered.covered(category)
    serialised(coverage_map(covered, category, departements), stretch=False)
    table_csv([{LEVELS[level]: unit.nom, "Code": unit.code, "Population": unit.population, "Lieux": unit.lieux}
               for unit in white])
    serialised(lieux_map(lieux, departements), stretch=False)
    if view.before is not None:
        changes = offer_changes(view.before, lieux, "services")
        serialised(offer_changes_chart(changes, "Lieux par catégorie de service, aux deux dates", before="avant",
                                       after="après"))
        table_csv(changes)
        table_csv(coverage_changes(view.coverage_before, covered))


def indicateurs(store: Any, filters: Any) -> None:
    """pages/indicateurs.py, without Streamlit."""
    from dashboards.charts import question_chart
    from dashboards.views import indicators_view

    page = open_dashboard(store, filters)
    with store.connect() as con:
        view = indicators_view(con, filters, page.campaign["id"], zone=PARIS)
    check(len(view.responses) >= page.threshold, f"{len(view.responses)} responses in scope")
    for question in view.questions:
        if question.answered < page.threshold:
            continue
        serialised(question_chart(question))
        table_csv(question.rows)
    if view.texts:
        table_csv(view.texts)


PAGES: dict[str, Callable[[Any, Any], None]] = {
    "tableau_de_bord": tableau_de_bord, "taux_reponse": taux_reponse, "offre": offre, "indicateurs": indicateurs,
}


# -- measuring ---------------------------------------------------------------------------------------


def best_of(call: Callable[[], Any], runs: int = RUNS) -> tuple[float, list[float]]:
    durations = []
    for _ in range(runs):
        begin = time.perf_counter()
        call()
        durations.append(time.perf_counter() - begin)
    return min(durations), durations


def goal_figure(name: str, seconds: float) -> bool:
    met = seconds < GOAL_SECONDS
    print(f"{name}: {seconds:.2f} s (goal {GOAL_SECONDS:.1f} s: {'met' if met else 'missed'})", flush=True)
    return met


def profile(label: str, call: Callable[[], Any]) -> None:
    """Where the time of one run goes, to stderr (DuckDB's C calls count in their Python caller)."""
    profiler = cProfile.Profile()
    profiler.enable()
    call()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    out.write(f"\n=== cProfile: {label}, by cumulative time ===\n")
    stats.sort_stats("cumulative").print_stats(35)
    out.write(f"=== cProfile: {label}, by own time ===\n")
    stats.sort_stats("tottime").print_stats(15)
    note(out.getvalue())


def compute_pages(store: Any) -> None:
    from dashboards.filters import DashboardFilters
    from models.runtime import collector_paused

    variants = {"all": DashboardFilters(), f"dep{DEPARTEMENT}": DashboardFilters(territoire=[DEPARTEMENT])}
    start = datetime.now(PARIS).date() - timedelta(days=365)
    runs: list[tuple[str, str, Any]] = [(page, variant, filters)
                                        for page in PAGES for variant, filters in variants.items()]
    # the offer page also compares with the period's start when one is chosen
    runs.append(("offre", "all_with_period_start", DashboardFilters(du=start)))
    missed: dict[str, tuple[float, str, Any]] = {}
    for page, variant, filters in runs:
        compute = PAGES[page]
        if variant == "all":
            compute(store, filters)  # warm-up: imports, the COG and GeoJSON caches (a long-lived server has them)
        seconds, durations = best_of(lambda compute=compute, filters=filters: compute(store, filters))
        note(f"  {page} ({variant}{', du ' + str(start) if filters.du else ''}): runs "
             + ", ".join(f"{s:.2f}" for s in durations) + " s")
        if not goal_figure(f"{page}_compute_{variant}", seconds) and seconds > missed.get(page, (0.0,))[0]:
            missed[page] = (seconds, variant, filters)
    # Python's cyclic collector walks the whole heap again and again while these pages build
    # tens of thousands of dicts (rows, map points, Altair's copies): the same runs with it paused.
    for page, variant, filters in runs:
        if page not in missed:
            continue
        with collector_paused():
            seconds, _ = best_of(lambda page=page, filters=filters: PAGES[page](store, filters), runs=2)
        figure(f"{page}_compute_{variant}_gc_paused", f"{seconds:.2f}", "s")
    for page, (_seconds, variant, filters) in missed.items():
        profile(f"{page}_compute_{variant}", lambda page=page, filters=filters: PAGES[page](store, filters))


def components(store: Any, campaign_id: str) -> None:
    """Pieces of the pages timed alone (whole territory unless said), best of 3."""
    from collect.calls import load_cases
    from collect.surveys import list_responses
    from dashboards.charts import rates_over_time_chart
    from dashboards.filters import DashboardFilters, registry_in_scope
    from dashboards.indicators import closed_questions, responses_in_scope
    from dashboards.maps import coverage_map, lieux_map
    from dashboards.offer import coverage, departements_of, territory_communes
    from dashboards.rates import rates_by, rates_over_time
    from models.standard import standard_v1

    everywhere = DashboardFilters()
    today = datetime.now(PARIS).date()
    with store.connect() as con:
        lieux = registry_in_scope(con, everywhere, today)
        cases = load_cases(con, campaign_id)
        responses = responses_in_scope(con, campaign_id)
    departements = departements_of(lieux)
    communes = territory_communes(departements)
    covered = coverage(lieux, communes, level="commune")
    category = list(standard_v1().choices("services"))[0]
    note(f"  {len(lieux)} lieux in {len(departements)} départements ({', '.join(departements)}), {len(communes)}"
         f" communes, {len(cases)} cases, {len(responses)} latest responses")
    weekly: list = []

    def with_con(call: Callable[[Any], Any]) -> Callable[[], Any]:
        def run() -> Any:
            with store.connect() as con:
                return call(con)
        return run

    measures: list[tuple[str, Callable[[], Any]]] = [
        ("registry_in_scope", with_con(lambda con: registry_in_scope(con, everywhere, today))),
        ("departements_of", lambda: departements_of(lieux)),
        ("load_cases", with_con(lambda con: load_cases(con, campaign_id))),
        ("rates_over_time_semaine", with_con(lambda con: weekly.append(rates_over_time(
            con, campaign_id, period="semaine", zone=PARIS)))),
        ("rates_over_time_jour", with_con(lambda con: rates_over_time(con, campaign_id, period="jour", zone=PARIS))),
        ("rates_over_time_chart_serialised", lambda: serialised(rates_over_time_chart(weekly[-1]))),
        ("rates_by_commune", with_con(lambda con: rates_by(con, campaign_id, "commune", cases=cases))),
        ("rates_by_epci", with_con(lambda con: rates_by(con, campaign_id, "epci", cases=cases))),
        ("list_responses", with_con(lambda con: list_responses(con, campaign_id=campaign_id))),
        ("closed_questions", with_con(lambda con: closed_questions(con, campaign_id, responses))),
        ("coverage_commune_all", lambda: coverage(lieux, communes, level="commune")),
        ("coverage_epci_all", lambda: coverage(lieux, communes, level="epci")),
        ("lieux_map_build_all", lambda: lieux_map(lieux, departements)),
        ("lieux_map_serialised_all", lambda: serialised(lieux_map(lieux, departements), stretch=False)),
        ("coverage_map_build_all", lambda: coverage_map(covered, category, departements)),
        ("coverage_map_serialised_all", lambda: serialised(coverage_map(covered, category, departements),
                                                           stretch=False)),
    ]
    for name, call in measures:  # the pages warmed the caches up
        seconds, _runs = best_of(call)
        figure(f"component_{name}", f"{seconds:.3f}", "s")
    figure("lieux_map_payload_all", f"{serialised(lieux_map(lieux, departements), stretch=False) / 1e6:.2f}", "MB")
    figure("coverage_map_payload_all",
           f"{serialised(coverage_map(covered, category, departements), stretch=False) / 1e6:.2f}", "MB")


# -- the naive ways ---------------------------------------------------------------------------------


def naive_offer_over_time(store: Any) -> None:
    """One ``structures_as_of`` per date, counted in Python, against ``offer_over_time``."""
    from dashboards.filters import history_start
    from dashboards.offer import offer_over_time, timeline_dates
    from models.registry import structures_as_of

    today = datetime.now(PARIS).date()
    with store.connect() as con:
        dates = timeline_dates(history_start(con), today)

    def one_query() -> list[dict[str, Any]]:
        with store.connect() as con:
            return offer_over_time(con, dates)

    def naive() -> list[dict[str, Any]]:
        out = []
        with store.connect() as con:
            for day in dates:
                rows = structures_as_of(con, day)
                out.append({"Date": day, "Lieux": len(rows),
                            "Lieux avec services": sum(1 for row in rows if row.get("services")),
                            "Services proposés": sum(len(row.get("services") or []) for row in rows)})
        return out

    seconds, _ = best_of(one_query)
    begin = time.perf_counter()
    naive_rows = naive()
    naive_seconds = time.perf_counter() - begin  # one run (seconds each): it is also the check
    check(one_query() == naive_rows, "offer_over_time and the naive count differ")
    counts = [row["Lieux"] for row in naive_rows]
    note(f"  offer at {len(dates)} dates: {counts[0]} … {counts[-1]} lieux")
    figure("offer_over_time_one_query", f"{seconds:.3f}", "s")
    figure("naive_offer_over_time_structures_as_of_per_date", f"{naive_seconds:.3f}", "s")


def naive_weekly_rates(store: Any, campaign_id: str) -> None:
    """The AAPOR group counts at the end of each week recomputed from scratch (the attempts made by
    then, one ``final_disposition`` per case) against the replay of ``rates_over_time``.
    (``load_cases`` has no « as of »: it always gives the dispositions of now.)"""
    from dashboards.rates import GROUPS, group_counts, rates_over_time
    from models.dispositions import AttemptView, final_disposition

    def replay() -> list[dict[str, Any]]:
        with store.connect() as con:
            return rates_over_time(con, campaign_id, period="semaine", zone=PARIS)

    def naive() -> list[dict[str, int]]:
        weeks = []
        with store.connect() as con:
            (max_attempts,) = con.execute("SELECT coalesce(max_tentatives, 6) FROM campaigns WHERE id = ?",
                                          [campaign_id]).fetchall()[0]
            for row in rows:
                end = row["Fin"]
                targeted = {sid for (sid,) in con.execute(
                    "SELECT structure_id FROM campaign_targets WHERE campaign_id = ? AND deleted_at IS NULL"
                    " AND created_at < ?", [campaign_id, end]).fetchall()}
                calls: dict[str, list[AttemptView]] = {}
                for sid, outcome, at, callback in con.execute(
                        "SELECT structure_id, outcome, attempted_at, callback_at FROM call_attempts"
                        " WHERE campaign_id = ? AND deleted_at IS NULL AND attempted_at < ?"
                        " ORDER BY structure_id, attempted_at, id",
                        [campaign_id, end]).fetchall():
                    calls.setdefault(sid, []).append(AttemptView(outcome, at, callback))
                codes = [final_disposition(calls.get(sid, []), max_attempts=max_attempts).code
                         for sid in targeted | set(calls)]
                weeks.append(group_counts(codes))
        return weeks

    rows = replay()
    seconds, _ = best_of(replay)
    begin = time.perf_counter()
    naive_weeks = naive()
    naive_seconds = time.perf_counter() - begin  # one run (seconds each): it is also the check
    check([{group: row[group] for group in GROUPS} for row in rows] == naive_weeks,
          "rates_over_time and the naive weekly recount differ")
    last = rows[-1]
    note(f"  {len(rows)} weeks; at the end: {', '.join(f'{g} {last[g]}' for g in GROUPS)}, RR1 {last['RR1']:.3f}")
    figure("rates_over_time_semaine_replay", f"{seconds:.3f}", "s")
    figure("naive_rates_per_week_recomputed", f"{naive_seconds:.3f}", "s")


# -- AppTest -------------------------------------------------------------------------------------------


def apptest(source: Path, directory: Path) -> None:
    """Each committee page through the real app (``app.py``) under AppTest, on a copy of the store."""
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.testing.v1 import AppTest

    path = directory / "apptest.duckdb"
    shutil.copy(source, path)
    saved = {key: os.environ.get(key) for key in ("MAILLAGE_DB", "MAILLAGE_DEVICE")}
    os.environ["MAILLAGE_DB"] = str(path)
    os.environ["MAILLAGE_DEVICE"] = "poste-bench"
    # As tests/pages/conftest.py's ``server_navigation``: every run goes through app.py, as under
    # ``streamlit run`` (AppTest would otherwise run the page file alone after the first run).
    original_init = PagesManager.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    PagesManager.__init__ = init  # type: ignore[method-assign]
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=APPTEST_TIMEOUT)
        begin = time.perf_counter()
        at.run()
        check(not at.exception, f"app.py: {at.exception}")
        figure("app_first_run_structures_page", f"{time.perf_counter() - begin:.2f}", "s")
        for name, page in COMMITTEE_PAGES.items():
            begin = time.perf_counter()
            at.switch_page(page).run()
            first = time.perf_counter() - begin
            check(not at.exception, f"{page}: {at.exception}")
            check(bool(at.get("vega_lite_chart")), f"{page}: no chart")
            begin = time.perf_counter()
            at.run()
            second = time.perf_counter() - begin
            check(not at.exception, f"{page} (second run): {at.exception}")
            charts = len(at.get("vega_lite_chart"))
            note(f"  {page}: « {at.title[0].value} », {charts} charts, {len(at.metric)} metrics")
            figure(f"{name}_apptest_render", f"{first:.2f}", "s")
            figure(f"{name}_apptest_render_second_run", f"{second:.2f}", "s")
    finally:
        PagesManager.__init__ = original_init  # type: ignore[method-assign]
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


# -- the bench ---------------------------------------------------------------------------------------


def main() -> int:
    from models.cog import departement_sql

    _silence_bare_mode_warnings()
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="maillage-bench-dashboards-") as tmp:
        directory = Path(tmp)
        built = build(directory / "dashboards.duckdb")
        store, campaign_id = built.store, built.campaign_id
        counts = store.query(
            "SELECT (SELECT count(*) FROM structures WHERE deleted_at IS NULL) AS structures,"
            " (SELECT count(*) FROM structure_versions) AS versions, (SELECT count(*) FROM responses) AS responses,"
            " (SELECT count(*) FROM responses WHERE campaign_id = ?) AS campaign_responses,"
            " (SELECT count(*) FROM call_attempts) AS attempts,"
            " (SELECT count(*) FROM campaign_targets WHERE campaign_id = ?) AS targets", [campaign_id, campaign_id])[0]
        by_departement = store.query(
            "SELECT " + departement_sql() + " AS d, count(*) AS n FROM structures WHERE deleted_at IS NULL"
            " GROUP BY d ORDER BY n DESC")
        note("  structures by département: " + ", ".join(f"{row['d']} {row['n']}" for row in by_departement))
        figure("structures", counts["structures"], "structures")
        figure("structure_versions", counts["versions"], "versions")
        figure("responses", counts["responses"], "responses")
        figure("campaign_responses", counts["campaign_responses"], "responses")
        figure("call_attempts", counts["attempts"], "attempts")
        figure("campaign_targets", counts["targets"], "targets")
        figure("build", f"{built.seconds:.1f}", "s")
        figure("goal_compute", f"{GOAL_SECONDS:.1f}", "s")
        check(counts["responses"] == RESPONSES and counts["attempts"] == ATTEMPTS, f"store: {counts}")

        note("… compute time of each page (best of 3)")
        compute_pages(store)
        note("… components")
        components(store, campaign_id)
        note("… naive ways")
        naive_offer_over_time(store)
        naive_weekly_rates(store, campaign_id)
        store.release()
        note("… AppTest")
        apptest(store.path, directory)
    figure("bench_total", f"{time.perf_counter() - began:.0f}", "s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
