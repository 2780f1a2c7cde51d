"""Fixtures shared by the whole suite: real DuckDB stores in tmp_path, the real demo files."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from collect.demo import DEMO_DIR
from models.store import Store

# Hypothesis, the same everywhere: each run of the suite tries the same examples (derandomize), with no
# deadline (an example slower than 200 ms on a loaded machine is no failure: speed lives in bench/) and
# no example database (nothing a previous run left changes this one). ``HYPOTHESIS_PROFILE=explorer``
# searches further, at random, for a developer hunting new cases (what it finds becomes an explicit case).
settings.register_profile("suite", derandomize=True, deadline=None, database=None, print_blob=True)
settings.register_profile("explorer", deadline=None, max_examples=2_000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
DEMO = DEMO_DIR
SAMPLE_FILES = sorted(DEMO.glob("*.json"))


@pytest.fixture(scope="session", autouse=True)
def fast_password_hashing() -> Iterator[None]:
    """Argon2id with its lightest parameters in this test process (as Django's docs advise for test
    suites): a hash or a check then costs ~1 ms instead of ~0.2 s of both cores, hundreds of times.
    Processes the suite starts (the app under a browser, the CLI) keep the product's parameters,
    which ``tests/models/test_access.py`` checks in a process of its own."""
    from argon2 import PasswordHasher

    import models.access

    product = models.access._hasher
    models.access._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    models.access._hasher = product


@pytest.fixture(scope="session")
def migrated_store_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty store with every migration applied, built once per session; copy it, never write to it
    (migrating a new file costs ~0.1 s, a copy a few milliseconds: most tests start from one)."""
    path = tmp_path_factory.mktemp("migrated") / "maillage.duckdb"
    template = Store(path, device="test")
    template.migrate()
    assert template.release()  # the file alone is complete: copies of it hold everything
    return path


@pytest.fixture
def store(tmp_path: Path, migrated_store_template: Path) -> Store:
    """A fresh store file with every migration applied."""
    import shutil

    target = tmp_path / "maillage.duckdb"
    shutil.copy(migrated_store_template, target)
    return Store(target, device="test")


@pytest.fixture(scope="session")
def demo_store_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding the 924 demo lieux, built once per session; copy it, never write to it."""
    from collect.demo import load_demo

    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    template = Store(path, device="test")
    template.migrate()
    load_demo(template)
    assert template.release()  # the file alone is complete: copies of it hold everything
    return path


@pytest.fixture
def demo_store(tmp_path: Path, demo_store_template: Path) -> Store:
    """A private copy of the demo store."""
    import shutil

    target = tmp_path / "demo.duckdb"
    shutil.copy(demo_store_template, target)
    return Store(target, device="test")


@pytest.fixture
def run(tmp_path: Path):
    """``maillage --db <a store in tmp_path> ARGS…`` through click's runner: ``input`` feeds the
    prompts, keyword arguments set environment variables; ``run.db`` is the store's path."""
    db = tmp_path / "maillage.duckdb"

    def invoke(*args: str, input: str | None = None, **env: str):
        from click.testing import CliRunner

        from cli import main

        return CliRunner().invoke(main, ["--db", str(db), *args], input=input, env=env or None,
                                  catch_exceptions=False)

    invoke.db = db
    return invoke
