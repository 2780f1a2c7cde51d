"""Bench: the duplicate search of an import, near-linear whatever the names (issue 17, item 6).

Run from the project root::

    .venv/bin/python -m bench.duplicates

stdout holds only the figures, one per line, as ``name: value unit``; notes go to stderr.

The input (seeded, rebuilt identically in every subprocess): N new lieux placed in 3 000 communes
by a Zipf law (a commune's share ∝ 1/its rank), as a national file spreads them: most communes
hold a handful, the largest ~1/8.6 of the file (~35 000 lieux at 300 000). Two sets of names:

- ``unique``: every name different (« Lieu 000123 qhxkwpzb »), but 1 % misspelt twins of earlier
  lieux in their commune (one letter changed): the pairs to find;
- ``near``: « Grand 1 Médiathèque du centre », « Grand 2 … »: every name within the similarity
  threshold of every other of its commune, the issue's file (377 s and 16 GB, unfinished).

Each search runs in its own subprocess: its wall time, and its peak memory as how far it raised
the resident size above what the process held before it (the peak is reset first, Linux's
``/proc/self/clear_refs``; the input built before is not counted). The code before this
change (``collect/duplicates.py`` at BEFORE_COMMIT, read from git) runs at 20 000 lieux only: it
compares all the names of a commune with each other and reads the n × n scores with a Python
loop, so at 300 000 (35 000² scores in the largest commune) it does not finish in any reasonable
time. The new search runs at 20 000 too (same-size comparison) and at 300 000.

Checked on the way: no lieu gets more than MAX_NAME_PAIRS_PER_LIEU pairs; at 20 000 every pair the
new search proposes is one the old search proposes too, and with unique names both give the same.
"""

from __future__ import annotations

import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.import_export import check, figure, note

BEFORE_COMMIT = "b3769be"  # the last commit before the bounded duplicate search
SEED = 20_260_317
COMMUNES = 3_000
SIZES = {"before": (20_000,), "after": (20_000, 300_000)}
KINDS = ("unique", "near")
ROOT = Path(__file__).resolve().parents[1]


def candidates(kind: str, count: int, candidate_type):
    """The N lieux of one case, identical in every process (ids ``id0``…, names, Zipf communes).

    With unique names, the last 1 % are misspelt twins (one letter changed) of earlier lieux, in
    the same commune: the pairs the search must find.
    """
    rng = random.Random(SEED)
    weights = [1 / rank for rank in range(1, COMMUNES + 1)]
    communes = rng.choices([f"{10_000 + r:05d}" for r in range(COMMUNES)], weights=weights, k=count)
    if kind == "near":
        names = [f"Grand {i} Médiathèque du centre" for i in range(count)]
    else:
        letters = "abcdefghijklmnopqrstuvwxyz"
        twins = count // 100
        names = [f"Lieu {i:06d} {''.join(rng.choices(letters, k=8))}" for i in range(count - twins)]
        for twin in range(twins):
            original = rng.randrange(count - twins)
            names.append(names[original][:-1] + ("a" if names[original][-1] != "a" else "b"))
            communes[count - twins + twin] = communes[original]
    return [candidate_type(f"id{i}", names[i], communes[i], None) for i in range(count)]


def _memory_kb(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def resident_peak_during(work):
    """``(result, seconds, megabytes)``: ``work()``, its wall time and how far it raised the resident memory
    above what the process held before (Linux: the peak is reset first; else the growth of ru_maxrss)."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear:
            clear.write("5")  # resets the peak resident size (VmHWM) to the current one
        before, peak = _memory_kb("VmRSS"), lambda: _memory_kb("VmHWM")
    except OSError:
        before, peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, \
            lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - started
    return result, seconds, max(0, peak() - before) / 1024


def one_search(kind: str, count: int, code: str, pairs_path: str) -> None:
    """Child process: build the case, run one search, print its figures as JSON, save its pairs."""
    if code == "after":
        from collect import duplicates as module
    else:
        import importlib.util

        spec = importlib.util.spec_from_file_location("duplicates_before", code)
        module = importlib.util.module_from_spec(spec)
        sys.modules["duplicates_before"] = module
        spec.loader.exec_module(module)
    lieux = candidates(kind, count, module.Candidate)
    pairs, seconds, peak = resident_peak_during(lambda: module.find_duplicates(lieux, []))
    per_lieu: dict[str, int] = {}
    for pair in pairs:
        per_lieu[pair.structure_id] = per_lieu.get(pair.structure_id, 0) + 1
    numbered = np.array([sorted((int(p.structure_id[2:]), int(p.other_id[2:]))) for p in pairs] or
                        np.zeros((0, 2)), dtype=np.int64).reshape(-1, 2)
    np.save(pairs_path, numbered[:, 0] * count + numbered[:, 1])
    capped = sum(1 for p in pairs if "seuls les" in p.reason)
    print(json.dumps({"seconds": seconds, "peak_mb": peak, "pairs": len(pairs),
                      "most_per_lieu": max(per_lieu.values(), default=0), "capped_reasons": capped}))


def measured(kind: str, count: int, code: str, directory: Path) -> tuple[dict, np.ndarray]:
    pairs_path = directory / f"{kind}-{count}-{'after' if code == 'after' else 'before'}.npy"
    done = subprocess.run([sys.executable, "-m", "bench.duplicates", "--one", kind, str(count), code, str(pairs_path)],
                          capture_output=True, text=True, cwd=ROOT, timeout=3600, check=False)
    check(done.returncode == 0, f"search {kind} {count} {code} failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1]), np.load(pairs_path)


def main() -> int:
    from collect.duplicates import EXACT_BLOCK, MAX_NAME_PAIRS_PER_LIEU, NEIGHBOURS

    note(f"communes: {COMMUNES} (Zipf), compared all with all up to {EXACT_BLOCK} lieux, beyond by "
         f"{NEIGHBOURS} neighbours on each side; at most {MAX_NAME_PAIRS_PER_LIEU} name pairs a lieu")
    with tempfile.TemporaryDirectory(prefix="maillage-bench-duplicates-") as tmp:
        directory = Path(tmp)
        before_code = directory / "duplicates_before.py"
        shown = subprocess.run(["git", "-C", str(ROOT), "show", f"{BEFORE_COMMIT}:collect/duplicates.py"],
                               capture_output=True, text=True, check=False)
        if shown.returncode == 0:
            before_code.write_text(shown.stdout, encoding="utf-8")
        else:
            note(f"  before this change: unavailable ({shown.stderr.strip()[:200]})")
        for kind in KINDS:
            results: dict[tuple[str, int], tuple[dict, np.ndarray]] = {}
            for code, sizes in SIZES.items():
                if code == "before" and not before_code.exists():
                    continue
                for count in sizes:
                    if code == "before":
                        note(f"… {kind} names, {count} lieux, code before this change ({BEFORE_COMMIT}); "
                             "not run at 300 000: quadratic in the largest commune, it does not finish")
                    else:
                        note(f"… {kind} names, {count} lieux, new search")
                    result, pairs = measured(kind, count, "after" if code == "after" else str(before_code),
                                             directory)
                    results[(code, count)] = (result, pairs)
                    note(f"  {result['seconds']:.1f} s, +{result['peak_mb']:.0f} MB, {result['pairs']} pairs, "
                         f"at most {result['most_per_lieu']} a lieu, {result['capped_reasons']} pairs saying the cap")
                    name = f"duplicates_{kind}_{count}_{code}"
                    figure(f"{name}_seconds", f"{result['seconds']:.1f}", "s")
                    figure(f"{name}_peak_memory", f"{result['peak_mb']:.0f}", "MB")
                    figure(f"{name}_pairs", result["pairs"], "pairs")
                    if code == "after":
                        check(result["most_per_lieu"] <= max(MAX_NAME_PAIRS_PER_LIEU, 1),
                              f"{kind} {count}: a lieu got {result['most_per_lieu']} pairs")
            if ("before", 20_000) in results:
                old, new = results[("before", 20_000)][1], results[("after", 20_000)][1]
                check(bool(np.isin(new, old).all()), f"{kind}: the new search proposes pairs the old one did not")
                if kind == "unique":
                    check(np.array_equal(np.sort(new), np.sort(old)), "unique names: not the same pairs as before")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--one":
        one_search(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5])
        sys.exit(0)
    sys.exit(main())
