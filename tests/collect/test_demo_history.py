"""The demo registry has a past: each demo lieu is on the map since its update date in the national
dataset, so the offer can be shown « as of » any date from the first start on."""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from collect.demo import DEMO_CAMPAIGN, DEMO_DIR, EARLIEST_PLAUSIBLE_UPDATE, load_demo
from dashboards.filters import history_start
from models.registry import structures_as_of
from models.store import Store

ROOT = Path(__file__).resolve().parents[2]
NC_DEMO = DEMO_DIR / "20240320-nouvelle-caledonie-lieux-de-mediation-numeriques-nouvelle-caledonie.json"
PUBLISHED = date(2024, 3, 20)  # the file name's AAAAMMJJ
PARIS = ZoneInfo("Europe/Paris")
NC_RECORDS = json.loads(NC_DEMO.read_text(encoding="utf-8"))


def paris_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), PARIS)


@pytest.fixture(scope="module")
def nc_demo(tmp_path_factory: pytest.TempPathFactory):
    """A first start on a demo folder holding only the Nouvelle-Calédonie file (90 lieux), as
    ``tests/pages/conftest.py`` builds it; the tests only read it. Gives the store and the day it
    was loaded."""
    folder = tmp_path_factory.mktemp("demo-nc")
    shutil.copy(NC_DEMO, folder / NC_DEMO.name)
    store = Store(tmp_path_factory.mktemp("history") / "nc.duckdb", device="test")
    store.migrate()
    loaded_on = date.today()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("collect.demo.DEMO_DIR", folder)
        (report,) = load_demo(store, by="test")
    assert report.new == len(NC_RECORDS) == 90
    return store, loaded_on


def test_the_file_s_placeholder_dates_are_the_ones_set_aside():
    days = [date.fromisoformat(record["date_maj"][:10]) for record in NC_RECORDS]
    assert sum(1 for day in days if day < EARLIEST_PLAUSIBLE_UPDATE) == 6  # placeholders: 1969-12-31
    assert min(day for day in days if day >= EARLIEST_PLAUSIBLE_UPDATE) == date(2023, 9, 13)
    assert max(days) == date(2024, 3, 6)


def test_each_demo_lieu_is_on_the_map_since_its_update_date_else_since_the_file_s_date(nc_demo):
    store, _ = nc_demo

    def start(record):
        day = date.fromisoformat(record["date_maj"][:10])
        return paris_midnight(day if EARLIEST_PLAUSIBLE_UPDATE <= day <= PUBLISHED else PUBLISHED)

    with store.connect() as con:
        firsts = dict(con.execute(
            "SELECT s.source_id, min(v.valid_from) FROM structure_versions v JOIN structures s ON s.id = v.structure_id"
            " GROUP BY s.source_id").fetchall())
    assert firsts == {str(record["id"]): start(record) for record in NC_RECORDS}


@pytest.mark.parametrize(
    ("day", "lieux"),
    [
        pytest.param(date(2023, 9, 12), 0, id="nothing the day before the earliest update"),
        pytest.param(date(2023, 9, 13), 3, id="the three lieux updated on the earliest day"),
        pytest.param(date(2024, 3, 19), 84, id="the day before the file: all but the six placeholder dates"),
        pytest.param(date(2024, 3, 20), 90, id="the file's day: every lieu"),
    ],
)
def test_the_demo_registry_as_of_a_date(nc_demo, day, lieux):
    store, _ = nc_demo
    with store.connect() as con:
        assert len(structures_as_of(con, day)) == lieux


def test_the_dashboards_history_starts_on_the_earliest_update(nc_demo):
    store, _ = nc_demo
    with store.connect() as con:
        assert history_start(con) == date(2023, 9, 13)


def test_only_the_first_version_moves_into_the_past(nc_demo):
    store, loaded_on = nc_demo
    with store.connect() as con:
        versions = con.execute(
            "SELECT structure_id, valid_from, valid_to, change_reason FROM structure_versions"
            " ORDER BY structure_id, valid_from").fetchall()
    by_structure: dict[str, list[tuple]] = {}
    for structure_id, *version in versions:
        by_structure.setdefault(structure_id, []).append(tuple(version))
    for history in by_structure.values():
        assert history[0][2] == "import" and history[0][0] <= paris_midnight(PUBLISHED)
        for (_, closed_at, _), (opened_at, _, reason) in zip(history, history[1:], strict=False):
            assert closed_at == opened_at  # no gap, no overlap
            assert reason == "enquete" and opened_at.date() >= loaded_on - timedelta(days=1)  # written at load time


def test_the_demo_campaign_s_targets_were_chosen_when_it_began(nc_demo):
    store, loaded_on = nc_demo
    with store.connect() as con:
        ((campaign_id, date_debut),) = con.execute(
            "SELECT id, date_debut FROM campaigns WHERE nom = ?", [DEMO_CAMPAIGN]).fetchall()
        created = con.execute(
            "SELECT DISTINCT created_at FROM campaign_targets WHERE campaign_id = ?", [campaign_id]).fetchall()
        (targets,) = con.execute(
            "SELECT count(*) FROM campaign_targets WHERE campaign_id = ?", [campaign_id]).fetchone()
    assert date_debut == loaded_on - timedelta(days=45)
    assert created == [(paris_midnight(date_debut),)]
    assert targets == 90  # every lieu of Nouvelle-Calédonie is a target of the demo campaign
