"""End to end: what a surveyor types survives a reload and a killed server; submitting makes one response."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from models.store import Store
from tests.ports import free_port

from .conftest import CHROMIUM, start_streamlit, stop_streamlit

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _field(page, label: str):
    """The keystroke-saving text field of a question, by its label."""
    return page.get_by_label(label, exact=True)


def _saved(db: Path, code: str):
    """The value saved in the browser user's draft (the demo's drafts belong to other surveyors)."""
    rows = Store(db, keep_open=0).query(
        "SELECT v.value FROM draft_values v JOIN drafts d ON d.id = v.draft_id"
        " WHERE v.question_code = ? AND d.surveyor = 'navigateur'",
        [code],
    )
    return json.loads(rows[0]["value"]) if rows else None


def _wait_saved(db: Path, code: str, expected, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _saved(db, code) == expected:
            return
        time.sleep(0.2)
    raise AssertionError(f"{code} not saved as {expected!r}: {_saved(db, code)!r}")


def test_typed_answers_survive_a_reload_and_a_killed_server_then_submit_once(tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: `make test` installs Debian's chromium.")
    from playwright.sync_api import sync_playwright

    from .conftest import CHROMIUM_ARGS

    db = tmp_path / "enquete.duckdb"
    port = free_port()
    server = start_streamlit(db, port)
    url = f"http://127.0.0.1:{port}"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_context(locale="fr-FR", viewport={"width": 1300, "height": 1400}).new_page()
        page.set_default_timeout(60_000)
        try:
            page.goto(url)  # first start: the demo (924 lieux and a campaign) is loaded
            expect(page.get_by_text("924 structures").first).to_be_visible(timeout=120_000)
            store = Store(db, keep_open=0)  # never hold the file the server uses
            campaign = store.query("SELECT id FROM campaigns")[0]["id"]
            structure = store.query(
                "SELECT id FROM structures WHERE services IS NOT NULL AND itinerance IS NULL AND site_web IS NULL"
                " AND telephone IS NULL AND courriels IS NULL"
                " AND id NOT IN (SELECT structure_id FROM drafts) ORDER BY nom LIMIT 1"
            )[0]["id"]
            survey_url = f"{url}/enquete?campagne={campaign}&structure={structure}"
            page.goto(survey_url)
            expect(page.get_by_role("heading", name="Enquête")).to_be_visible()

            # Type into several fields; the last one is never left (no blur, no Enter) before the reload.
            _field(page, "Téléphone d'accueil du public").fill("05 45 36 19 50")
            _field(page, "E-mail(s) de contact du lieu").click()
            page.keyboard.type("accueil@mediatheque.fr")
            _wait_saved(db, "telephone", "05 45 36 19 50")
            _wait_saved(db, "courriels", "accueil@mediatheque.fr")
            _field(page, "Site web").click()
            page.keyboard.type("www.mediatheque-test.fr")
            page.reload()
            expect(_field(page, "Site web")).to_have_value("www.mediatheque-test.fr")
            expect(_field(page, "Téléphone d'accueil du public")).to_have_value("05 45 36 19 50")
            expect(_field(page, "E-mail(s) de contact du lieu")).to_have_value("accueil@mediatheque.fr")
            _wait_saved(db, "site_web", "www.mediatheque-test.fr")

            # Another section: a choice and a long text, then the same section comes back after a reload.
            page.get_by_text("Les partenariats", exact=True).first.click()
            page.locator("[data-testid='stRadio']", has_text="développer des partenariats").get_by_text(
                "Oui", exact=True).click()
            _wait_saved(db, "interesse_partenariat", True)
            page.reload()
            expect(page.get_by_role("radio", name="Oui").first).to_be_checked()

            # The server is killed (a crash) and started again: everything is still there.
            stop_streamlit(server, kill=True)
            server = start_streamlit(db, port)
            page.goto(survey_url)
            expect(page.get_by_role("radio", name="Oui").first).to_be_checked()
            page.get_by_text("Les partenariats", exact=True).first.click()  # away and back in the same session
            page.get_by_text("Le lieu", exact=True).first.click()
            expect(_field(page, "Site web")).to_have_value("www.mediatheque-test.fr")
            expect(_field(page, "Nom du lieu *")).not_to_have_value("")
            expect(_field(page, "Téléphone d'accueil du public")).to_have_value("05 45 36 19 50")
            expect(page.get_by_text("Brouillon repris du")).to_be_visible()

            # Submitting shows each missing answer next to its question; filled, a double click submits once.
            page.get_by_role("button", name="Soumettre la réponse").click()
            expect(page.get_by_text("réponse(s) à corriger avant de soumettre")).to_be_visible()
            for section, question, code in (
                ("L'orientation des publics", "Quand vous ne pouvez pas", "peut_orienter"),
                ("Les freins", "La mobilité des usagers", "mobilite_frein"),
                ("Publication", "Acceptez-vous que les informations", "consentement_open_data"),
            ):
                page.get_by_text(re.compile("^" + re.escape(section))).first.click()  # titles gain « (1 ⚠) »
                radio = page.locator("[data-testid='stRadio']", has_text=question)
                expect(radio).to_be_visible()
                radio.get_by_text("Non", exact=True).click()
                _wait_saved(db, code, False)
            page.get_by_text(re.compile("^Personne contact")).first.click()
            expect(_field(page, "Nom et prénom de la personne interrogée *")).to_be_visible()
            _field(page, "Nom et prénom de la personne interrogée *").fill("Camille Essai")
            _wait_saved(db, "contact_nom", "Camille Essai")
            page.get_by_role("button", name="Soumettre la réponse").dblclick()
            expect(page.get_by_text("Réponse soumise le")).to_be_visible()
            responses = Store(db, keep_open=0).query("SELECT answers FROM responses WHERE structure_id = ?", [structure])
            assert len(responses) == 1
            answers = json.loads(responses[0]["answers"])
            assert answers["telephone"] == "+33545361950"
            assert answers["site_web"] == ["https://www.mediatheque-test.fr"]
            assert answers["interesse_partenariat"] is True and answers["contact_nom"] == "Camille Essai"
            assert page.locator("[data-testid='stException']").count() == 0
        except Exception:
            page.screenshot(path=str(tmp_path / "echec.png"), full_page=True)
            page.screenshot(path="/tmp/echec.png", full_page=True)
            raise
        finally:
            browser.close()
            stop_streamlit(server)
