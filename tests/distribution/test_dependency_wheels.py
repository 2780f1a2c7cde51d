"""Every pinned dependency of the product installs from wheels on the laptops of the people who run
diagnostics — Windows x86-64, macOS on Apple silicon — for each Python the package declares (its
classifiers): no compiler needed, and an offline bundle can hold them all. (Linux x86-64 is where
the suite itself installs them; Intel Macs are not covered: cryptography no longer ships wheels
for them.)

pip itself answers (``pip install --dry-run --only-binary=:all: --platform … --python-version …``, the
resolution of the real registry, metadata only). Where the registry cannot be reached, the test is
skipped saying so.
"""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from distribution.bundle import PLATFORMS, project_table, supported_pythons

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

# The laptops of the issue; Linux x86-64 is where the suite itself installs them.
CHECKED = ("Windows x86-64", "macOS arm64")


def _registry_reachable() -> str | None:
    """None when pip reaches the registry; else what it said."""
    probe = subprocess.run([sys.executable, "-m", "pip", "index", "versions", "pip", "--disable-pip-version-check"],
                           capture_output=True, text=True, timeout=120)
    return None if probe.returncode == 0 else (probe.stderr.strip().splitlines() or ["?"])[-1]


def _resolve(tags: list[str], python: str, tmp_path: Path) -> subprocess.CompletedProcess:
    requirements = tmp_path / "dependances.txt"
    requirements.write_text("\n".join(project_table()["dependencies"]) + "\n", encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--disable-pip-version-check",
         "--ignore-installed", "--only-binary=:all:", *[o for tag in tags for o in ("--platform", tag)],
         "--python-version", python, "--implementation", "cp", "--target", str(tmp_path / f"cible-{tags[0]}-{python}"),
         "-r", str(requirements), "-c", str(ROOT / "requirements.lock")],
        capture_output=True, text=True, timeout=600,
    )


def _first_error(stderr: str) -> str:
    errors = [line for line in stderr.splitlines() if line.startswith("ERROR")]
    return errors[0] if errors else stderr.strip()[-300:]


def test_the_package_declares_the_pythons_it_supports():
    pythons = supported_pythons()
    assert pythons and pythons[0] == project_table()["requires-python"].removeprefix(">=")
    assert pythons == sorted(pythons, key=lambda v: tuple(map(int, v.split("."))))


def test_every_pinned_dependency_has_a_wheel_for_each_laptop_and_python(tmp_path):
    unreachable = _registry_reachable()
    if unreachable:
        pytest.skip(f"Registre de paquets injoignable ({unreachable}) : disponibilité des wheels non vérifiée.")
    combinations = [(label, PLATFORMS[label], python) for label in CHECKED for python in supported_pythons()]
    with ThreadPoolExecutor(max_workers=4) as pool:  # pip mostly waits for the registry
        outcomes = list(pool.map(lambda c: _resolve(c[1], c[2], tmp_path), combinations))
    missing = [f"{label}, Python {python} : {_first_error(outcome.stderr)}"
               for (label, _, python), outcome in zip(combinations, outcomes, strict=True) if outcome.returncode != 0]
    assert missing == []
