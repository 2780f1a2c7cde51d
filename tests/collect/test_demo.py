"""The demo territory, loaded once on a store's first start.

``load_demo`` imports the 924 real lieux of the three demo files (PACA, Charente, Nouvelle-Calédonie),
then the demo campaign (sixty responses, five drafts in progress, calls and relances); the
``demo_loaded`` setting remembers it, so the demo never comes back — not even into a territory that
deleted its demo lieux.

Loading takes seconds: the tests read the session's demo store (``demo_store``: a copy of the one
``tests/conftest.py`` builds with ``load_demo``) rather than loading it again.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from collect.demo import (
    DEMO_CAMPAIGN,
    DEMO_DRAFTS,
    DEMO_RELANCE_DAYS_AGO,
    DEMO_RESPONSES,
    DEMO_SURVEYORS,
    demo_files,
    demo_loaded,
    load_demo,
)
from models.registry import delete_structure

# The demo files, in their stable order, and how many lieux each holds.
DEMO = [
    ("20230517-hub-du-sud-lieux-de-mediation-numeriques-provence-alpes-cote-d-azur.json", 646),
    ("20230711-charente-lieux-de-mediation-numeriques-nouvelle-aquitaine.json", 188),
    ("20240320-nouvelle-caledonie-lieux-de-mediation-numeriques-nouvelle-caledonie.json", 90),
]


def counts(store):
    return store.query(
        "SELECT (SELECT count(*) FROM structures) AS lieux,"
        " (SELECT count(*) FROM structures WHERE deleted_at IS NULL) AS actifs,"
        " (SELECT count(*) FROM structure_versions) AS versions,"
        " (SELECT count(*) FROM import_runs) AS imports,"
        " (SELECT count(*) FROM campaigns) AS campagnes,"
        " (SELECT count(*) FROM responses) AS reponses,"
        " (SELECT count(*) FROM drafts) AS brouillons,"
        " (SELECT count(*) FROM call_attempts) AS appels,"
        " (SELECT count(*) FROM relances) AS relances"
    )[0]


def test_the_demo_files_are_the_three_territories_in_a_stable_order():
    assert [(path.name, len(json.loads(path.read_text(encoding="utf-8")))) for path in demo_files()] == DEMO


def test_a_new_store_has_not_loaded_the_demo(store):
    assert not demo_loaded(store)


def test_the_first_start_loads_the_924_lieux_of_the_three_files_and_remembers_it(demo_store):
    assert demo_loaded(demo_store)
    runs = demo_store.query("SELECT file_name, rows_read, counts FROM import_runs ORDER BY file_name")
    assert [(run["file_name"], run["rows_read"]) for run in runs] == DEMO
    figures = [json.loads(run["counts"]) for run in runs]
    assert [(f["nouvelles"], f["rejetées"]) for f in figures] == [(lieux, 0) for _, lieux in DEMO]
    assert counts(demo_store)["lieux"] == counts(demo_store)["actifs"] == 924
    (setting,) = demo_store.query("SELECT value, updated_by FROM settings WHERE key = 'demo_loaded'")
    assert json.loads(setting["value"]) == {"fichiers": [name for name, _ in DEMO]}


def test_the_demo_campaign_has_sixty_responses_five_drafts_in_progress_calls_and_relances(demo_store):
    (loaded,) = demo_store.query("SELECT updated_at FROM settings WHERE key = 'demo_loaded'")
    loaded = loaded["updated_at"]
    (campaign,) = demo_store.query(
        "SELECT c.id, c.nom, q.code FROM campaigns c JOIN questionnaires q ON q.id = c.questionnaire_id")
    assert (campaign["nom"], campaign["code"]) == (DEMO_CAMPAIGN, "diagnostic")
    responses = demo_store.query("SELECT surveyor, submitted_at FROM responses WHERE campaign_id = ?", [campaign["id"]])
    assert len(responses) == DEMO_RESPONSES == 60
    assert {r["surveyor"] for r in responses} == set(DEMO_SURVEYORS)
    # given over the six weeks before the first start, never after it (a demo loaded in the morning included)
    assert all(loaded - timedelta(weeks=6, days=1) < r["submitted_at"] <= loaded for r in responses)
    in_progress = demo_store.query("SELECT count(*) AS n FROM drafts WHERE submitted_response_id IS NULL")
    assert in_progress == [{"n": DEMO_DRAFTS}] and DEMO_DRAFTS == 5
    assert counts(demo_store)["appels"] > 0
    relances = demo_store.query("SELECT canal, statut, sent_at FROM relances")
    assert relances and {(r["canal"], r["statut"]) for r in relances} == {("export", "exportee")}
    mailed = loaded - timedelta(days=DEMO_RELANCE_DAYS_AGO)  # the demo's batch went out nine days before
    assert all(abs(r["sent_at"] - mailed) < timedelta(hours=1) for r in relances)


@pytest.mark.parametrize("deleted", [0, 3], ids=["as loaded", "after the territory deleted demo lieux"])
def test_a_second_start_never_loads_the_demo_again(demo_store, deleted):
    if deleted:
        with demo_store.atomic() as con:
            for (structure_id,) in con.execute("SELECT id FROM structures ORDER BY nom LIMIT ?", [deleted]).fetchall():
                delete_structure(con, structure_id, by="coord")
    before = counts(demo_store)
    assert before["actifs"] == 924 - deleted
    assert load_demo(demo_store, by="test") == []
    assert counts(demo_store) == before
