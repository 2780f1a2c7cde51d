"""End to end: a surveyor opens « Mes appels » in a real browser, clicks the first call of the
queue, opens the questionnaire in the same tab, comes back and logs the outcome."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from collect.calls import add_targets, assign, configure_campaign
from collect.campaigns import create_campaign
from collect.surveys import latest_questionnaire
from models.store import Store
from tests.ports import free_port

from .conftest import CHROMIUM, CHROMIUM_ARGS, settled, start_streamlit, stop_streamlit

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

CAMPAIGN = "Appels au navigateur"


def _campaign_for_the_browser_user(db: Path) -> list[str]:
    """A campaign calling at any hour, three structures without opening hours, all given to the
    server's user (``navigateur``); returns their names in queue order."""
    store = Store(db, keep_open=0)
    with store.atomic() as con:
        ids = [row[0] for row in con.execute(
            "SELECT id FROM structures WHERE telephone IS NOT NULL AND deleted_at IS NULL ORDER BY nom LIMIT 3"
        ).fetchall()]
        con.execute("UPDATE structures SET horaires = NULL WHERE list_contains(?, id)", [ids])
        campaign_id = create_campaign(con, nom=CAMPAIGN, questionnaire_id=latest_questionnaire(con, "diagnostic").id,
                                      by="test")
        configure_campaign(con, campaign_id, max_tentatives=4, heures_appel="Mo-Su 00:00-24:00", by="test")
        add_targets(con, campaign_id, ids, by="test")
        assign(con, campaign_id, ids, "navigateur", by="test")
        names = [row[0] for row in con.execute(
            "SELECT nom FROM structures WHERE list_contains(?, id) ORDER BY nom", [ids]).fetchall()]
    return names


def test_a_call_from_the_queue_opens_the_questionnaire_then_its_outcome_is_logged(tmp_path, demo_store_template):
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: `make test` installs Debian's chromium.")
    from playwright.sync_api import sync_playwright

    db = tmp_path / "appels.duckdb"
    shutil.copy(demo_store_template, db)
    names = _campaign_for_the_browser_user(db)
    port = free_port()
    server = start_streamlit(db, port)
    url = f"http://127.0.0.1:{port}"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            context = browser.new_context(locale="fr-FR", timezone_id="America/Guadeloupe",
                                          viewport={"width": 1300, "height": 1600})
            page = context.new_page()
            page.set_default_timeout(60_000)
            page.goto(f"{url}/appels")
            expect(page.get_by_role("heading", name="Mes appels")).to_be_visible()
            settled(page)
            page.get_by_label("Campagne").click()  # the newest campaign comes first; choose ours all the same
            page.get_by_role("option", name=CAMPAIGN).click()
            expect(page.get_by_text("pour vous (America/Guadeloupe)")).to_be_visible()
            expect(page.get_by_test_id("stMetricValue").first).to_have_text("3")
            settled(page)

            # Click the first row of the queue (a canvas grid: its row-selection cell, left of the row).
            grid = page.get_by_test_id("stDataFrame").first
            box = grid.bounding_box()
            page.mouse.click(box["x"] + 12, box["y"] + 35 + 17)
            expect(page.get_by_role("heading", name=f"Appel : {names[0]}")).to_be_visible()
            settled(page)

            page.get_by_role("button", name="Ouvrir le questionnaire").click()
            expect(page.get_by_role("heading", name="Enquête")).to_be_visible()
            expect(page.get_by_role("heading", name=names[0])).to_be_visible()
            assert "depuis=appels" in page.url
            page.get_by_text("Retour à Mes appels").click()
            expect(page.get_by_role("heading", name="Mes appels")).to_be_visible()

            settled(page)
            page.get_by_label("Campagne").click()
            page.get_by_role("option", name=CAMPAIGN).click()
            settled(page)
            grid = page.get_by_test_id("stDataFrame").first
            box = grid.bounding_box()
            page.mouse.click(box["x"] + 12, box["y"] + 35 + 17)
            expect(page.get_by_role("heading", name=f"Appel : {names[0]}")).to_be_visible()
            settled(page)
            page.get_by_role("button", name="Enregistrer l'appel").click()  # « Pas de réponse » by default
            expect(page.get_by_test_id("stMetricValue").first).to_have_text("2")
            expect(page.get_by_text(f"Dernier appel enregistré : {names[0]} — Pas de réponse")).to_be_visible()
            browser.close()
    finally:
        stop_streamlit(server)
    attempts = Store(db, keep_open=0).query(
        "SELECT a.outcome, a.surveyor, s.nom FROM call_attempts a JOIN campaigns c ON c.id = a.campaign_id"
        " JOIN structures s ON s.id = a.structure_id WHERE c.nom = ?", [CAMPAIGN])
    assert attempts == [{"outcome": "pas_de_reponse", "surveyor": "navigateur", "nom": names[0]}]
