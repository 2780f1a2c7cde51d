"""Build the offline bundle of Maillage (``make paquet``): the product's wheel, every dependency's wheel
for Windows x86-64, macOS arm64 and Linux x86-64 and each Python the package declares, and the two
installers — what an IT department pushes to laptops that may have no network.

Run from the repository: ``python distribution/bundle.py dist/maillage-X-py3-none-any.whl`` writes
``dist/maillage-X-paquet/`` and its zip. pip does the downloading (``--only-binary=:all:``): a
dependency without a wheel for a platform stops the build, saying which.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# pip takes a list of platform tags; a Linux wheel may carry any of the manylinux tags.
PLATFORMS = {
    "Windows x86-64": ["win_amd64"],
    "macOS arm64": ["macosx_14_0_arm64"],
    "Linux x86-64": ["manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64"],
}


def project_table() -> dict:
    """The ``[project]`` table of pyproject.toml."""
    with (ROOT / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)["project"]


def supported_pythons() -> list[str]:
    """The Python versions the package declares (its classifiers), oldest first."""
    prefix = "Programming Language :: Python :: "
    return [c.removeprefix(prefix) for c in project_table()["classifiers"] if c.startswith(prefix) and "." in c]


def build(wheel: Path) -> Path:
    """The bundle folder beside ``wheel``, complete, and its zip; returns the zip."""
    name = wheel.name.split("-py3")[0]  # maillage-0.1.0
    folder = wheel.parent / f"{name}-paquet"
    shutil.rmtree(folder, ignore_errors=True)
    wheels = folder / "wheels"
    wheels.mkdir(parents=True)
    shutil.copy(wheel, wheels)
    requirements = folder / "dependances.txt"
    requirements.write_text("\n".join(project_table()["dependencies"]) + "\n", encoding="utf-8")
    for label, tags in PLATFORMS.items():
        for python in supported_pythons():
            print(f"{label}, Python {python}…", flush=True)
            platform_options = [option for tag in tags for option in ("--platform", tag)]
            subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
                            "--only-binary=:all:", *platform_options, "--python-version", python,
                            "--implementation", "cp", "-d", str(wheels), "-r", str(requirements),
                            "-c", str(ROOT / "requirements.lock")], check=True)
    requirements.unlink()
    for installer in ("installer.sh", "installer.bat"):
        shutil.copy(ROOT / "distribution" / installer, folder)
    (folder / "installer.sh").chmod(0o755)
    archive = shutil.make_archive(str(folder), "zip", folder.parent, folder.name)
    print(f"{archive} : {sum(1 for _ in wheels.iterdir())} wheels")
    return Path(archive)


if __name__ == "__main__":
    build(Path(sys.argv[1]))
