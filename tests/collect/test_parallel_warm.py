"""The fork server's warm-up (``collect.parallel_warm``), imported by the fork server only.

Importing it forbids workers in that process (the fork server and the workers forked from it never
start workers of their own), then prepares the demo files once — every lazily built index is then
loaded, and shared by every worker forked from it — and freezes what was loaded out of the cyclic
garbage collector's walks. The app itself never imports it.

It runs at import time, so it is imported here in a fresh interpreter of the project, as the fork
server imports it; the facts it leaves are printed back as JSON.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

WARM_UP = """
import gc, json, multiprocessing, sys

import collect.imports  # what the app imports to read a file: never the warm-up
from collect import parallel

before = {"warm_up_imported": "collect.parallel_warm" in sys.modules, "workers_allowed": parallel.workers_allowed,
          "worker_count": parallel.worker_count()}
import collect.parallel_warm
print(json.dumps({
    "before": before,
    "workers_allowed": parallel.workers_allowed,
    "worker_count": parallel.worker_count(),
    "fork_server_started": parallel._server_started,
    "children": len(multiprocessing.active_children()),
    "frozen_objects": gc.get_freeze_count(),
}))
"""


@pytest.fixture(scope="module")
def run() -> subprocess.CompletedProcess:
    """A fresh interpreter of the project importing the warm-up (four workers asked for), run to its end."""
    return subprocess.run([sys.executable, "-c", WARM_UP], cwd=ROOT, capture_output=True, text=True, timeout=240,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "MAILLAGE_IMPORT_WORKERS": "4"})


@pytest.fixture(scope="module")
def warmed(run) -> dict:
    """The facts that interpreter printed once the warm-up was imported."""
    assert run.returncode == 0, run.stderr
    (line,) = run.stdout.splitlines()  # the demo files prepared without a word
    return json.loads(line)


def test_the_app_never_imports_the_warm_up_and_may_start_workers(warmed):
    assert warmed["before"] == {"warm_up_imported": False, "workers_allowed": True, "worker_count": 4}


@pytest.mark.parametrize(
    ("fact", "expected"),
    [
        pytest.param("workers_allowed", False, id="workers are forbidden in the fork server"),
        pytest.param("worker_count", 0, id="even when the environment asks for four"),
        pytest.param("fork_server_started", False, id="preparing the demo files started no fork server"),
        pytest.param("children", 0, id="nor any worker process"),
    ],
)
def test_importing_the_warm_up_forbids_workers_of_its_own(warmed, fact, expected):
    assert warmed[fact] == expected


def test_what_the_warm_up_loaded_is_frozen_out_of_the_garbage_collector(warmed):
    assert warmed["frozen_objects"] > 100_000  # the modules alone are ~50 000 objects: the COG and its indexes too


def test_a_process_that_imported_the_warm_up_ends_without_a_word_on_stderr(run):
    assert run.returncode == 0
    assert run.stderr == ""
