"""The wheel is the product: built from this clone, installed in a fresh virtual environment outside the
repository, it starts the app on the user's data folder (the demo loaded, a page drawn) and imports and
exports without the clone.

The fresh environment gets Maillage from the wheel alone; its dependencies (the same pinned versions)
are borrowed from the suite's environment through a path file, so the test needs no network. That
path is added without its own path files, so the clone's editable install is not seen there: the
test checks that the code running is the installed one.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import sysconfig
import time
import urllib.request
import venv
from pathlib import Path

import pytest
from playwright.sync_api import expect

from collect.demo import DEMO_DIR
from models.store import Store
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser"), pytest.mark.timeout(600)]
NC_DEMO = DEMO_DIR / "20240320-nouvelle-caledonie-lieux-de-mediation-numeriques-nouvelle-caledonie.json"


def _run(arguments: list[str], **options) -> subprocess.CompletedProcess:
    return subprocess.run(arguments, capture_output=True, text=True, timeout=300, **options)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The wheel built from this clone and installed alone in a new virtual environment."""
    work = tmp_path_factory.mktemp("paquet")
    built = _run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(work / "dist"), str(ROOT)])
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = (work / "dist").glob("maillage-*-py3-none-any.whl")
    environment = work / "env"
    venv.EnvBuilder(with_pip=False).create(environment)
    python = environment / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    (site / "dependances-de-la-suite.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    pip = _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", str(wheel)])
    assert pip.returncode == 0, pip.stdout + pip.stderr
    home = work / "utilisatrice"  # a new user: nothing of hers exists yet
    home.mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith("MAILLAGE_") and key != "PYTHONPATH"}
    env.update(HOME=str(home), XDG_DATA_HOME=str(home / ".local" / "share"))
    return {"python": python, "maillage": python.parent / "maillage", "home": home, "env": env, "wheel": wheel}


def _maillage(installed, *arguments: str) -> subprocess.CompletedProcess:
    return _run([str(installed["maillage"]), *arguments], cwd=installed["home"], env=installed["env"])


def test_the_installed_code_is_the_wheels_and_holds_the_app_and_its_data(installed):
    shown = _run([str(installed["python"]), "-c", "import app, cli, models, pages, ui.launch, collect.demo as d;"
                  " print(app.__file__); print(len(d.demo_files()))"], cwd=installed["home"], env=installed["env"])
    assert shown.returncode == 0, shown.stderr
    app_file, demo_files = shown.stdout.split()
    assert Path(app_file).is_relative_to(installed["python"].parents[1]) and not Path(app_file).is_relative_to(ROOT)
    assert demo_files == "3"


PACKAGES = ("models", "collect", "sync", "dashboards", "ui", "pages")


def test_every_file_of_the_apps_folders_is_in_the_wheel(installed):
    """Code and data alike (a questionnaire, a reference file, a demo file left out breaks the app only
    once installed): every file of the packages' folders, and the two top-level modules."""
    import zipfile

    shipped = set(zipfile.ZipFile(installed["wheel"]).namelist())
    expected = {"app.py", "cli.py"} | {
        path.relative_to(ROOT).as_posix() for package in PACKAGES for path in (ROOT / package).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert expected - shipped == set()


def test_the_version_says_where_the_store_is_the_users_data_folder(installed):
    shown = _maillage(installed, "--version")
    assert shown.returncode == 0, shown.stderr
    store = installed["home"] / ".local" / "share" / "maillage" / "maillage.duckdb"
    assert "Maillage 0.1.0" in shown.stdout and f"Base : {store}" in shown.stdout


def test_import_and_export_work_from_the_installed_command(installed, tmp_path):
    db = tmp_path / "base é.duckdb"
    imported = _maillage(installed, "--db", str(db), "import", str(NC_DEMO))
    assert imported.returncode == 0, imported.stdout + imported.stderr
    exported = _maillage(installed, "--db", str(db), "export", str(tmp_path / "lieux.csv"))
    assert exported.returncode == 0, exported.stdout + exported.stderr
    text = (tmp_path / "lieux.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text, newline=""), dialect=csv.Sniffer().sniff(text.splitlines()[0])))
    assert len(rows) == 90 and all(row["id"] and row["nom"] for row in rows)


def test_maillage_app_starts_on_the_users_data_folder_with_the_demo_and_draws_a_page(installed):
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: `make test` installs Debian's chromium (apt-get install chromium).")
    from playwright.sync_api import sync_playwright

    port = free_port()
    app = subprocess.Popen([str(installed["maillage"]), "app", "--no-browser", "--port", str(port)],
                           cwd=installed["home"], env=installed["env"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert app.poll() is None, app.stdout.read()
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as answer:
                    assert answer.read() == b"ok"
                    break
            except OSError:
                assert time.monotonic() < deadline, "maillage app did not answer"
                time.sleep(0.3)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            page = browser.new_context(locale="fr-FR", viewport={"width": 1400, "height": 1000}).new_page()
            page.goto(url)
            expect(page.get_by_text("924 structures").first).to_be_visible(timeout=120_000)
            expect(page.get_by_role("heading", name="Structures")).to_be_visible()
            assert page.locator("[data-testid='stException']").count() == 0
            browser.close()
    finally:
        app.terminate()
        app.wait(timeout=30)
    store = installed["home"] / ".local" / "share" / "maillage" / "maillage.duckdb"
    assert Store(store, keep_open=0).query("SELECT count(*) AS n FROM structures") == [{"n": 924}]
