"""End to end: a committee member opens the main dashboard of a fresh install in a real browser
(the demo is there), narrows it to one territory, gets a link that reproduces the view, and
downloads a chart as a PNG for the slides."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from .conftest import settled

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


FIRST_START_MS = 120_000  # as the survey test waits for a first start


def _metric(page, label: str):
    """The value of the metric with this label."""
    return page.get_by_test_id("stMetric").filter(has_text=label).first.get_by_test_id("stMetricValue")


def _choose_territory(page, option: str, tries: int = 3) -> None:
    """Choose a territory in the sidebar, as a person would, again if a rerun of the page (its address
    being completed, the map drawn) closed the list under the click on a busy machine."""
    for attempt in range(tries):
        try:
            settled(page)  # a run still drawing would close the dropdown under the click
            if "territoire=" in page.url:
                return  # the earlier attempt went through after all
            # Scroll the sidebar as a person would: Playwright's own scrolling leaves the field at the
            # window's bottom edge, and the list opening there scrolls again, which closes it.
            page.get_by_test_id("stSidebarContent").evaluate("e => { e.scrollTop = e.scrollHeight; }")
            page.get_by_label("Territoire (départements)").click(timeout=15_000)
            page.get_by_role("option", name=option).click(timeout=15_000)
            page.keyboard.press("Escape")
            expect(page).to_have_url(re.compile(r"territoire="), timeout=20_000)
            return
        except (AssertionError, PlaywrightTimeout):
            if attempt == tries - 1:
                raise
            page.keyboard.press("Escape")


def test_the_main_dashboard_filters_by_territory_and_downloads_a_png(demo_app, page, tmp_path: Path):
    url, _db = demo_app
    page.goto(f"{url}/tableau_de_bord")
    # The demo store's first page run builds the campaign's tables: on a busy machine, more than the usual wait.
    expect(page.get_by_role("heading", name="Tableau de bord du comité de pilotage")).to_be_visible(
        timeout=FIRST_START_MS)
    expect(_metric(page, "Structures enquêtées")).to_have_text("60")  # the demo campaign
    expect(_metric(page, "Lieux")).to_have_text("924")
    expect(page.get_by_test_id("stVegaLiteChart").first).to_be_visible()

    _choose_territory(page, "Nouvelle-Calédonie (988)")
    expect(_metric(page, "Lieux")).to_have_text("90")
    expect(page).to_have_url(re.compile(r"territoire=988"))
    link = page.url

    settled(page)
    with page.expect_download() as download:
        page.get_by_test_id("stDownloadButton").filter(has_text="PNG").first.get_by_role("button").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.suffix == ".png" and saved.read_bytes().startswith(PNG_SIGNATURE)

    other = page.context.new_page()  # the link reproduces the view in a new session
    other.goto(link)
    expect(other.get_by_role("heading", name="Tableau de bord du comité de pilotage")).to_be_visible()
    expect(_metric(other, "Lieux")).to_have_text("90")
    expect(other.get_by_text("Territoire : Nouvelle-Calédonie (988)", exact=False)).to_be_visible()
