"""Starting the app from the ``maillage app`` command, installed or in a clone.

Streamlit reads its settings from ``.streamlit/config.toml`` of the folder it is started from: in a
clone (``make app``) that is the repository's file; an installed Maillage is started from anywhere,
so ``maillage app`` passes the same settings on Streamlit's command line. ``STREAMLIT_OPTIONS`` is
that file's content, and ``tests/ui/test_launch.py`` checks that the two never drift apart.
"""

from __future__ import annotations

import os
from pathlib import Path

from models.places import STORE_VARIABLE, secrets_path

APP_SCRIPT = Path(__file__).resolve().parents[1] / "app.py"

# The settings of .streamlit/config.toml, table by table (the team server adds its own on the command line).
STREAMLIT_OPTIONS: dict[str, dict[str, object]] = {
    "browser": {"gatherUsageStats": False},
    "server": {"maxUploadSize": 200, "runOnSave": False},
    "client": {"toolbarMode": "minimal", "disableDataExport": True, "showSidebarNavigation": False},
    "theme": {"primaryColor": "#000091", "base": "light"},
}


def _flag_value(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def streamlit_arguments(*, port: int, open_browser: bool, address: str | None = None) -> list[str]:
    """The arguments of ``streamlit run`` for the app: its script, the settings, the port."""
    arguments = ["run", str(APP_SCRIPT)]
    for table, options in STREAMLIT_OPTIONS.items():
        for name, value in options.items():
            arguments += [f"--{table}.{name}", _flag_value(value)]
    arguments += ["--server.port", str(port), "--server.headless", _flag_value(not open_browser),
                  "--server.fileWatcherType", "none", "--secrets.files", str(secrets_path())]
    if address:
        arguments += ["--server.address", address]
    return arguments


def run_app(store: Path, *, port: int, open_browser: bool, address: str | None = None) -> None:
    """Run the app on ``store`` until it is stopped (Ctrl+C), in this process."""
    from streamlit.web import cli as streamlit_cli

    os.environ[STORE_VARIABLE] = str(store.expanduser().resolve())  # the pages open the same store
    streamlit_cli.main(streamlit_arguments(port=port, open_browser=open_browser, address=address),
                       prog_name="streamlit")
