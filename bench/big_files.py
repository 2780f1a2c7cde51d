"""Bench: dry run of a 100 MB CSV (300 000 lieux), with unique names and with near-identical names.

Run from the project root::

    .venv/bin/python -m bench.big_files [--lignes 300000] [--limite 600]

stdout holds only the figures, one per line, as ``name: value unit``; notes go to stderr. The goal
(issue 17): a dry run of a 100 MB CSV of 300 000 lines under 60 s and under 1 GB, whatever the
names. Each dry run runs in its own process (its peak memory is that process's ``VmHWM``),
capped in time (``--limite`` seconds) and in address space (8 GB) so that a run that would exhaust
the machine is stopped and reported as such (``…_stopped: 1``) instead of taking the machine down.
The same files are dry-run with the code of BEFORE_COMMIT (a git worktree), in the same run.

The files are built from ``bench.import_export.synthetic_rows`` (real demo lieux as templates,
each antenna with its own phone and e-mails, 10 % of rows messy): once as they are (unique names),
once renamed « Grand 1 … », « Grand 2 … » — near-identical names, which a duplicate search that
compares every pair of a commune makes quadratic.
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.import_export import code_at, figure, note, synthetic_rows, write_inputs

BEFORE_COMMIT = "3675c4b"  # the last commit before issue 17's work
ADDRESS_SPACE_BYTES = 8 * 1024**3
_DRY_RUN = """
import resource, sys, time
sys.path.insert(0, sys.argv[1])
resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[4]), int(sys.argv[4])))
from collect.imports import import_file
from models.store import Store
store = Store(sys.argv[3]); store.migrate()
started = time.perf_counter()
report = import_file(store, sys.argv[2], dry_run=True)
print("seconds", time.perf_counter() - started)
print("new", report.new)
# VmHWM: this process's own peak. ru_maxrss would report the bench's if it were bigger: Linux carries a
# process's peak across exec, and the bench, holding the synthetic rows, is what forks this one.
status = dict(line.split(":", 1) for line in open("/proc/self/status")) if sys.platform == "linux" else {}
peak = int(status["VmHWM"].split()[0]) if "VmHWM" in status else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print("peak_mb", peak / 1024)
"""


def near_identical(source: Path, target: Path) -> Path:
    """The same file with every name replaced by « Grand N Espace numérique »."""
    with source.open(encoding="cp1252", newline="") as read, target.open("w", encoding="cp1252", newline="") as write:
        reader = csv.DictReader(read, delimiter=";")
        writer = csv.DictWriter(write, fieldnames=reader.fieldnames or [], delimiter=";", lineterminator="\r\n")
        writer.writeheader()
        for number, row in enumerate(reader, start=1):
            row["nom"] = f"Grand {number} Espace numérique"
            writer.writerow(row)
    return target


def dry_run(code: Path, csv_path: Path, directory: Path, limit: float) -> dict[str, float]:
    """A dry run of ``csv_path`` by the code in ``code``, in a capped subprocess."""
    store = directory / f"dry-{time.monotonic_ns()}.duckdb"
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, "-c", _DRY_RUN, str(code), str(csv_path), str(store), str(ADDRESS_SPACE_BYTES)],
            capture_output=True, text=True, cwd=directory, timeout=limit,
        )
    except subprocess.TimeoutExpired:
        return {"seconds": time.perf_counter() - started, "stopped": 1}
    figures = {}
    for line in done.stdout.splitlines():
        name, value = line.split()
        figures[name] = float(value)
    if "seconds" not in figures:
        note(f"  stopped: {done.stderr.strip()[-300:]}")
        return {"seconds": time.perf_counter() - started, "stopped": 1}
    figures["stopped"] = 0
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lignes", type=int, default=300_000)
    parser.add_argument("--limite", type=float, default=600.0, help="seconds allowed to each dry run")
    options = parser.parse_args()
    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as folder:
        directory = Path(folder)
        note(f"… {options.lignes} synthetic lieux")
        columns, rows = synthetic_rows(options.lignes)
        unique, _ = write_inputs(directory, columns, rows)
        del rows
        similar = near_identical(unique, directory / "noms-proches.csv")
        figure("rows", options.lignes, "rows")
        figure("csv_megabytes", round(unique.stat().st_size / 1e6), "MB")
        with code_at(BEFORE_COMMIT, directory) as tree:
            for label, path in (("unique_names", unique), ("near_identical_names", similar)):
                for who, code in (("", root), ("before_", tree)):
                    if code is None:
                        continue
                    note(f"… dry run, {label}, {'before' if who else 'now'}")
                    result = dry_run(code, path, directory, options.limite)
                    figure(f"{who}{label}_dry_run_seconds", round(result["seconds"], 1), "s")
                    if "peak_mb" in result:
                        figure(f"{who}{label}_dry_run_peak_memory", round(result["peak_mb"]), "MB")
                    figure(f"{who}{label}_dry_run_stopped", int(result["stopped"]), "")
    return 0


if __name__ == "__main__":
    sys.exit(main())
