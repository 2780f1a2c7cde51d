"""End to end, in server mode: a real `streamlit run app.py` whose store has accounts. Whoever opens
it signs in first; a committee member typing the address of a page of personal data lands on the
committee's home instead."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from models.access import create_user
from models.store import Store
from tests.browser.conftest import settled

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

ADMIN_PASSWORD = "le mot de passe de l'admin"
PASSWORD = "une phrase de passe assez longue"


def _sign_in(page, login: str, password: str) -> None:
    expect(page.get_by_role("heading", name="Connexion")).to_be_visible(timeout=90_000)
    settled(page)
    page.get_by_label("Identifiant").fill(login)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()


def test_a_committee_member_signs_in_and_cannot_open_the_registry_by_its_address(demo_app, page):
    url, db = demo_app
    page.goto(url)
    expect(page.get_by_text("924 structures").first).to_be_visible(timeout=90_000)  # demo loaded, laptop mode
    with Store(db).atomic() as con:  # the operator turns the store into a server's (the app holds it briefly)
        create_user(con, "alix", nom="Alix Admin", role="admin", password=ADMIN_PASSWORD, by="terminal")
        create_user(con, "camille", nom="Camille Comité", role="comite", password=PASSWORD, by="alix")
        contact = con.execute("SELECT courriels[1] FROM structures WHERE len(courriels) > 0 LIMIT 1").fetchall()[0][0]

    page.goto(url)
    _sign_in(page, "camille", "pas le bon")
    expect(page.get_by_text("Identifiant ou mot de passe incorrect.")).to_be_visible()
    _sign_in(page, "camille", PASSWORD)
    expect(page.get_by_role("heading", name="Tableau de bord du comité de pilotage")).to_be_visible(timeout=60_000)
    settled(page)
    nav = page.get_by_test_id("stSidebarNav")
    expect(nav.get_by_text("Tableau de bord")).to_be_visible()
    expect(nav.get_by_text("Structures")).to_have_count(0)
    expect(nav.get_by_text("Réponses")).to_have_count(0)
    assert contact not in page.content()
    assert page.locator("[data-testid='stException']").count() == 0

    page.goto(url + "/structures")  # an address typed by hand: a new session, signed in again
    _sign_in(page, "camille", PASSWORD)
    expect(page.get_by_text("Accès refusé : un compte membre du comité de pilotage (camille) ne peut pas voir les"
                            " contacts")).to_be_visible(timeout=60_000)
    assert page.get_by_test_id("stDataFrame").count() == 0 and contact not in page.content()

    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("heading", name="Connexion")).to_be_visible()
