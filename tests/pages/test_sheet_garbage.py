"""Anything typed in the shared sheet breaks nothing: random garbage in every synced tab, synced,
then every page drawn and every report run — French only, no traceback, nothing of the store lost.

The store is the Nouvelle-Calédonie demo (90 lieux, the demo campaign with its calls), synced with a
spreadsheet of the Sheets emulator through gspread's real client. Hypothesis then types texts of
every kind (labels, codes of other columns, dates out of range, JSON, huge numbers, control
characters…) into random cells of every tab, and adds lines of garbage, as people may.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from cli import main
from collect.demo import DEMO_CAMPAIGN
from models.dispositions import OUTCOMES_ALL
from models.records import RELANCE_STATUSES
from models.store import Store
from sync.sheets_emulator import SheetsEmulator
from tests.pages.conftest import APP, DEVICE, TIMEOUT
from tests.sync.test_hub import run_sync
from ui.shared import PAGES

TABS = ("structures", "reponses", "appels", "relances", "conflits")
GARBAGE = st.one_of(
    st.sampled_from(["peut-être", "Occupé", "oui", "NON", "", " ", "-", "0", "-1", "1e308", "NaN", "31/02/2026",
                     "01/01/0001 10:00", "2026-13-45", "{\"a\": 1}", "[]", "null", "=1+1", "complete",
                     "pas_de_reponse", "envoyee", "ouvert", "résolu", "x" * 300, "Ω≈ç√", "\t\n"]),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30),
)
ENGLISH = ("Traceback", "Error:", "Exception", "KeyError", "TypeError", "ValueError", "not found", "Invalid")


def _ids(store: Store) -> dict[str, set[str]]:
    tables = ("structures", "responses", "call_attempts", "relances", "campaigns", "questionnaires")
    return {table: {row["id"] for row in store.query(f"SELECT id FROM {table}")} for table in tables}


def _store_holds_only_valid_rows(store: Store) -> None:
    outcomes = {row["outcome"] for row in store.query("SELECT DISTINCT outcome FROM call_attempts")}
    assert outcomes <= set(OUTCOMES_ALL)
    statuses = {row["statut"] for row in store.query("SELECT DISTINCT statut FROM relances")}
    assert statuses <= set(RELANCE_STATUSES)
    for table in ("call_attempts", "relances", "responses"):
        orphans = store.query(
            f"SELECT count(*) AS n FROM {table} t WHERE NOT EXISTS (SELECT 1 FROM campaigns c WHERE c.id = t.campaign_id)"
            " OR NOT EXISTS (SELECT 1 FROM structures s WHERE s.id = t.structure_id)")
        assert orphans == [{"n": 0}], table


def _every_page_draws_in_french(path: Path) -> None:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, at.exception
    for specs in PAGES.values():
        for spec in specs:
            at.switch_page(spec.path).run()
            assert not at.exception, (spec.path, at.exception)
            shown = " ".join(str(element.value) for kind in ("error", "warning", "markdown", "caption")
                             for element in getattr(at, kind))
            assert not any(word in shown for word in ENGLISH), (spec.path, shown[:500])


@settings(max_examples=3, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(edits=st.lists(st.tuples(st.sampled_from(TABS), st.integers(1, 400), st.integers(0, 40), GARBAGE),
                      min_size=10, max_size=40),
       new_lines=st.lists(st.tuples(st.sampled_from(TABS), st.lists(GARBAGE, min_size=1, max_size=12)), max_size=4))
def test_garbage_typed_in_every_tab_breaks_no_page_and_loses_nothing(
        nc_store_template: Path, server_navigation: None, tmp_path_factory: pytest.TempPathFactory, edits, new_lines):
    folder = tmp_path_factory.mktemp("garbage")
    path = folder / "maillage.duckdb"
    shutil.copy(nc_store_template, path)
    store = Store(path, device=DEVICE)
    emulator = SheetsEmulator()
    emulator.start()
    saved = {name: os.environ.get(name) for name in ("MAILLAGE_DB", "MAILLAGE_DEVICE")}
    os.environ.update(MAILLAGE_DB=str(path), MAILLAGE_DEVICE=DEVICE)
    try:
        hub = emulator.create_spreadsheet("Diagnostic NC")
        run_sync(store, emulator, hub)
        before = _ids(store)
        for tab, line, column, text in edits:
            values = emulator.values(hub, tab)
            if len(values) < 2:
                continue
            row = 2 + (line - 2) % (len(values) - 1)
            emulator.human_edit(hub, tab, row, 1 + column % len(values[0]), text)
        for tab, texts in new_lines:
            emulator.human_insert_row(hub, tab, values=texts[:len(emulator.values(hub, tab)[0])])
        for _ in range(2):
            report = run_sync(store, emulator, hub)
            assert all(not any(word in error for word in ENGLISH) for error in report.errors), report.errors
        after = _ids(store)
        for table, ids in before.items():
            assert ids <= after[table], f"{table}: lost {sorted(ids - after[table])[:3]}"
        _store_holds_only_valid_rows(store)
        assert store.release()
        _every_page_draws_in_french(path)
        result = CliRunner().invoke(main, ["--db", str(path), "campaign", "report", DEMO_CAMPAIGN])
        assert result.exit_code == 0 and "Traceback" not in result.output, result.output
    finally:
        emulator.stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
