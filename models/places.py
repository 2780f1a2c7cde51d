"""Where Maillage keeps its files on a computer: the store, its backups, the secrets file.

- ``$MAILLAGE_DB`` (or the CLI's ``--db``) names the store itself and always wins.
- ``$MAILLAGE_DOSSIER`` names the folder of everything (a USB key, a shared drive, a test).
- In a clone of the repository (the code runs from a folder holding ``pyproject.toml`` and ``app.py``:
  ``make app``, a developer), the folder is the clone's ``data/``, as it always was.
- Installed (a wheel through ``pipx`` or ``uv tool``), there is no clone: the folder is the user's
  data folder, as each system names it (platformdirs): ``%LOCALAPPDATA%\\Maillage`` on Windows,
  ``~/Library/Application Support/Maillage`` on macOS, ``~/.local/share/maillage`` on Linux
  (``$XDG_DATA_HOME`` respected). Never the current folder: a surveyor starting the app from
  another folder must find the same store.

The secrets file is ``.streamlit/secrets.toml`` under the current folder (Streamlit's own place, where
a developer keeps it), else under the data folder (where ``maillage app`` runs Streamlit).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

FOLDER_VARIABLE = "MAILLAGE_DOSSIER"
STORE_VARIABLE = "MAILLAGE_DB"
STORE_NAME = "maillage.duckdb"
SECRETS_RELATIVE = Path(".streamlit") / "secrets.toml"


def source_checkout() -> Path | None:
    """The clone this code runs from, or None when it runs installed (from a wheel)."""
    root = Path(__file__).resolve().parents[1]
    if (root / "pyproject.toml").is_file() and (root / "app.py").is_file():
        return root
    return None


def _app_name() -> str:
    """« Maillage » where folder names are capitalised (Windows, macOS), « maillage » on Linux (XDG)."""
    return "maillage" if sys.platform.startswith("linux") else "Maillage"


def data_folder() -> Path:
    """The folder of the store, its backups and the secrets file (see the module's rules)."""
    named = os.environ.get(FOLDER_VARIABLE, "").strip()
    if named:
        return Path(named).expanduser()
    clone = source_checkout()
    if clone is not None:
        return clone / "data"
    return Path(platformdirs.user_data_dir(_app_name(), appauthor=False, roaming=False))


def default_store_path() -> Path:
    """The store: ``$MAILLAGE_DB`` when set, else ``maillage.duckdb`` in the data folder."""
    named = os.environ.get(STORE_VARIABLE, "").strip()
    return Path(named).expanduser() if named else data_folder() / STORE_NAME


def secrets_path() -> Path:
    """The secrets file to read: the current folder's ``.streamlit/secrets.toml`` when it exists,
    else the data folder's (the one named in messages when neither exists)."""
    here = Path.cwd() / SECRETS_RELATIVE
    if here.is_file():
        return here
    beside_store = data_folder() / SECRETS_RELATIVE
    if beside_store.is_file() or source_checkout() is None:
        return beside_store
    return here
