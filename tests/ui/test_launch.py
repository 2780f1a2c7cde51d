"""``maillage app``: the app started with the settings of .streamlit/config.toml, on the store of this computer."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

from tests.ports import free_port
from ui.launch import APP_SCRIPT, STREAMLIT_OPTIONS, streamlit_arguments

ROOT = Path(__file__).resolve().parents[2]


def test_the_settings_passed_on_the_command_line_are_those_of_the_config_file():
    with (ROOT / ".streamlit" / "config.toml").open("rb") as handle:
        assert tomllib.load(handle) == STREAMLIT_OPTIONS


def test_the_arguments_name_the_apps_script_the_port_and_no_browser():
    arguments = streamlit_arguments(port=8765, open_browser=False)
    assert arguments[:2] == ["run", str(APP_SCRIPT)] and APP_SCRIPT.is_file()
    pairs = dict(zip(arguments[2::2], arguments[3::2], strict=True))
    assert pairs["--server.port"] == "8765" and pairs["--server.headless"] == "true"
    assert pairs["--client.showSidebarNavigation"] == "false" and pairs["--server.maxUploadSize"] == "200"


def test_maillage_app_serves_the_app_on_the_store_of_its_data_folder(tmp_path):
    port = free_port()
    folder = tmp_path / "Données de l'enquêtrice"
    env = {**os.environ, "MAILLAGE_DOSSIER": str(folder)}
    env.pop("MAILLAGE_DB", None)
    proc = subprocess.Popen([sys.executable, "-m", "cli", "--version"], cwd=tmp_path, env={**env, "PYTHONPATH": str(ROOT)},
                            stdout=subprocess.PIPE, text=True)
    shown = proc.communicate(timeout=60)[0]
    assert f"Base : {folder / 'maillage.duckdb'}" in shown and "Maillage " in shown
    app = subprocess.Popen([sys.executable, "-m", "cli", "app", "--no-browser", "--port", str(port)], cwd=tmp_path,
                           env={**env, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True)
    try:
        deadline = time.monotonic() + 90
        while True:
            assert app.poll() is None, app.stdout.read()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as answer:
                    assert answer.read() == b"ok"
                    break
            except OSError:
                assert time.monotonic() < deadline, "maillage app did not answer"
                time.sleep(0.3)
    finally:
        app.terminate()
        app.wait(timeout=30)
