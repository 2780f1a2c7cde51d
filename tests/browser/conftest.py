"""A real `streamlit run app.py` on a free port and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.ports import free_port

# A loaded CI machine (2 cores, the rest of the suite beside) may take seconds to rerun a page.
expect.set_options(timeout=30_000)

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def settled(page) -> None:
    """Wait until the page's script run is over (the app root's ``data-test-script-state``, as
    Streamlit's own end-to-end tests do). Click only on a settled page: a run still drawing may
    redraw a widget under the mouse (a dropdown closes, the click is lost), which a loaded
    machine makes likely."""
    page.wait_for_timeout(100)  # a rerun just asked for changes the state within a few frames
    expect(page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]')).to_have_count(1)


def _wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}: {proc.stdout.read() if proc.stdout else ''}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"streamlit did not answer on {url}")


def start_streamlit(db: Path, port: int) -> subprocess.Popen:
    """`streamlit run app.py` on ``port`` with the store ``db``; returns once it answers."""
    env = {**os.environ, "MAILLAGE_DB": str(db), "MAILLAGE_DEVICE": "navigateur"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    _wait_healthy(f"http://127.0.0.1:{port}", proc)
    return proc


def stop_streamlit(proc: subprocess.Popen, *, kill: bool = False) -> None:
    """Stop the server: politely, or with SIGKILL (a crash: nothing gets to clean up)."""
    if kill:
        proc.kill()
    else:
        proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture
def streamlit_app(tmp_path):
    """Start the app on a fresh store (first start: the demo is loaded); yield its URL and store path."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: `make test` installs Debian's chromium (apt-get install chromium).")
    port = free_port()
    db = tmp_path / "browser.duckdb"
    proc = start_streamlit(db, port)
    try:
        yield f"http://127.0.0.1:{port}", db
    finally:
        stop_streamlit(proc)


@pytest.fixture
def demo_app(tmp_path: Path, demo_store_template: Path):
    """The app on a copy of the demo store (the demo already loaded: no first-start import to wait
    for, only ``test_the_app_starts_on_the_demo_territory`` needs one); yields its URL and store path."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: `make test` installs Debian's chromium (apt-get install chromium).")
    db = tmp_path / "demo.duckdb"
    shutil.copy(demo_store_template, db)
    port = free_port()
    server = start_streamlit(db, port)
    try:
        yield f"http://127.0.0.1:{port}", db
    finally:
        stop_streamlit(server)


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(locale="fr-FR", viewport={"width": 1400, "height": 1000})
        tab = context.new_page()
        tab.set_default_timeout(60_000)
        try:
            yield tab
        finally:
            context.close()
            browser.close()
