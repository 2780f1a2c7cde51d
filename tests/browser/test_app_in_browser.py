"""End to end: a real `streamlit run app.py` driven in Debian's Chromium, as a user would."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from models.store import Store
from tests.browser.conftest import settled

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
ROOT = Path(__file__).resolve().parents[2]
# The titles Streamlit gives the files of pages/ (and app.py) in its own menu of a process's first run.
FILE_NAMES = {path.stem.replace("_", " ") for path in (ROOT / "pages").glob("*.py")} | {"app"}
# Every menu the page ever holds, recorded from before Streamlit's own scripts run (each text of its links).
WATCH_MENUS = """
window.menus = [];
new MutationObserver(() => {
  const links = [...document.querySelectorAll("[data-testid='stSidebarNav'] a")];
  const texts = links.flatMap(link => [link, ...link.querySelectorAll("span")].map(node => node.textContent.trim()));
  if (links.length && texts.join("|") !== window.lastMenu) {
    window.lastMenu = texts.join("|");
    window.menus.push(texts);
  }
}).observe(document, {childList: true, subtree: true, characterData: true});
"""


def _no_exception(page) -> None:
    assert page.locator("[data-testid='stException']").count() == 0


def test_the_app_starts_on_the_demo_territory(streamlit_app, page):
    url, db = streamlit_app
    page.add_init_script(WATCH_MENUS)
    page.goto(url)
    expect(page.get_by_text("924 structures").first).to_be_visible(timeout=90_000)
    expect(page.get_by_role("heading", name="Structures")).to_be_visible()
    _no_exception(page)
    menus = page.evaluate("window.menus")
    assert menus and "Structures" in menus[-1]
    assert not {text for menu in menus for text in menu} & FILE_NAMES, menus[:4]  # not even while the demo loaded
    assert Store(db, keep_open=0).query("SELECT count(*) AS n FROM structures") == [{"n": 924}]


def test_a_search_narrows_the_list_and_a_structure_opens(demo_app, page):
    url, _ = demo_app
    page.goto(url)
    expect(page.get_by_text("924 structures").first).to_be_visible(timeout=90_000)
    search = page.get_by_label(re.compile("Rechercher", re.IGNORECASE)).first
    search.fill("Rivière Salée")
    search.press("Enter")
    expect(page.get_by_text(re.compile(r"\b1 structure\b")).first).to_be_visible()
    _no_exception(page)


def test_an_address_typed_by_hand_opens_its_page_or_a_french_page_never_page_not_found(demo_app, page):
    url, _ = demo_app
    page.goto(url)
    expect(page.get_by_text("924 structures").first).to_be_visible(timeout=90_000)
    page.goto(url + "/structures")  # the laptop's home page, by its own address
    expect(page.get_by_role("heading", name="Structures")).to_be_visible()
    settled(page)
    expect(page.get_by_text("Page not found")).to_have_count(0)
    page.goto(url + "/nimporte-quoi")
    expect(page.get_by_role("heading", name="Page introuvable")).to_be_visible()
    expect(page.get_by_text("L'adresse « /nimporte-quoi » ne correspond à aucune page de Maillage")).to_be_visible()
    settled(page)
    expect(page.get_by_text("Page not found")).to_have_count(0)
    page.get_by_role("link", name="Aller à l'accueil (Structures)").click()
    expect(page.get_by_text("924 structures").first).to_be_visible()
    _no_exception(page)


def test_a_french_excel_file_is_simulated_then_imported(demo_app, page):
    url, db = demo_app
    page.goto(url)
    expect(page.get_by_text("924 structures").first).to_be_visible(timeout=90_000)
    page.goto(url + "/importer")
    expect(page.get_by_role("heading", name="Import")).to_be_visible()
    page.locator("input[type='file']").set_input_files(str(FIXTURES / "structures-excel-cp1252.csv"))
    page.get_by_role("button", name="Simuler l'import").click()
    expect(page.get_by_text("Correspondance des colonnes")).to_be_visible()
    assert Store(db, keep_open=0).query("SELECT count(*) AS n FROM structures") == [{"n": 924}]  # a simulation writes nothing
    page.get_by_role("button", name="Importer", exact=True).click()
    expect(page.get_by_text("931 structures").first).to_be_visible()
    _no_exception(page)
    assert Store(db, keep_open=0).query("SELECT count(*) AS n FROM structures") == [{"n": 931}]
