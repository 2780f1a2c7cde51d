"""Where Maillage keeps its files: the clone's data/ for a developer, the user's data folder once
installed, and the two variables that move them."""

from __future__ import annotations

from pathlib import Path

import pytest

import models.places as places

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def clean_environment(monkeypatch, tmp_path):
    for name in (places.FOLDER_VARIABLE, places.STORE_VARIABLE):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # never the current folder, whatever it is
    return monkeypatch


def test_in_a_clone_the_store_is_in_the_clones_data_folder_whatever_the_current_folder(clean_environment):
    assert places.source_checkout() == ROOT
    assert places.data_folder() == ROOT / "data"
    assert places.default_store_path() == ROOT / "data" / "maillage.duckdb"


@pytest.mark.parametrize(("platform", "name"), [("linux", "maillage"), ("win32", "Maillage"), ("darwin", "Maillage")])
def test_installed_the_store_is_in_the_users_data_folder(clean_environment, tmp_path, platform, name):
    clean_environment.setattr(places, "source_checkout", lambda: None)
    clean_environment.setattr(places.sys, "platform", platform)
    clean_environment.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))  # read on Linux (this machine)
    # The folder's name follows each system's habit; where it sits is platformdirs' rule of the system
    # really running (this one: Linux, so $XDG_DATA_HOME).
    assert places.data_folder() == tmp_path / "xdg" / name
    assert places.default_store_path() == tmp_path / "xdg" / name / "maillage.duckdb"


def test_on_linux_the_xdg_data_home_is_respected(clean_environment, tmp_path):
    clean_environment.setattr(places, "source_checkout", lambda: None)
    clean_environment.setenv("XDG_DATA_HOME", str(tmp_path / "donnees"))
    assert places.data_folder() == tmp_path / "donnees" / "maillage"


@pytest.mark.parametrize("installed", [True, False])
def test_the_two_variables_win_the_store_over_the_folder(clean_environment, tmp_path, installed):
    if installed:
        clean_environment.setattr(places, "source_checkout", lambda: None)
    clean_environment.setenv(places.FOLDER_VARIABLE, str(tmp_path / "clé USB" / "Maillage été"))
    assert places.default_store_path() == tmp_path / "clé USB" / "Maillage été" / "maillage.duckdb"
    clean_environment.setenv(places.STORE_VARIABLE, str(tmp_path / "autre.duckdb"))
    assert places.default_store_path() == tmp_path / "autre.duckdb"


def test_the_secrets_file_is_the_current_folders_else_the_data_folders(clean_environment, tmp_path):
    folder = tmp_path / "donnees"
    clean_environment.setenv(places.FOLDER_VARIABLE, str(folder))
    clean_environment.setattr(places, "source_checkout", lambda: None)
    assert places.secrets_path() == folder / ".streamlit" / "secrets.toml"  # named in messages: where to put it
    (folder / ".streamlit").mkdir(parents=True)
    (folder / ".streamlit" / "secrets.toml").write_text("[smtp]\n", encoding="utf-8")
    assert places.secrets_path() == folder / ".streamlit" / "secrets.toml"
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text("[smtp]\n", encoding="utf-8")
    assert places.secrets_path() == tmp_path / ".streamlit" / "secrets.toml"  # a developer's own file first


def test_in_a_clone_without_secrets_the_current_folders_file_is_named(clean_environment, tmp_path):
    assert places.secrets_path() == tmp_path / ".streamlit" / "secrets.toml"
