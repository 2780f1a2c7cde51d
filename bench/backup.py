"""Bench: backup, restore and export of every table, on a store of 20 000 structures and 50 000 responses.

Run from the project root::

    .venv/bin/python -m bench.backup [--neuf]

stdout holds only the figures, one per line, as ``name: value unit``; notes go to stderr.

The store is the committee dashboards' bench store (``bench.dashboards.build``: 20 000 structures
with a year of history, 50 000 responses, 100 000 call attempts). Building it takes minutes, so it
is kept in ``$MAILLAGE_BENCH_CACHE`` (default: ``maillage-bench-cache`` in the temporary folder)
and reused while it is complete and fully migrated; ``--neuf`` rebuilds it. Every timing runs on a
private copy of it.

Measured, in one run:

1. ``backup``: ``models.backup.backup_store`` (``COPY FROM DATABASE`` in one transaction into an
   attached file, checked, renamed), best of 3, and the size of the file it writes;
2. the other ways, for comparison: ``EXPORT DATABASE`` (Parquet) alone — not a file one can open
   as a store — and followed by ``IMPORT DATABASE`` into a new file (the naive backup that does
   give a store); ``CHECKPOINT`` then a copy of the file's bytes (fast, but torn if a unit of work
   of the same process commits during the copy: not what ``backup_store`` does);
3. ``restore``: ``models.backup.restore_store`` of that backup (check, copy, migrate, safety copy
   of the current store, swap);
4. ``export_all``: every table in Parquet and CSV, and the size written.

Correctness is checked on the way (the backup and the restored store hold the store's rows).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench.import_export import check, figure, note

RUNS = 3
BY = "bench"
EXPECTED = {"structures": 20_000, "responses": 50_000}


def cache_path() -> Path:
    folder = Path(os.environ.get("MAILLAGE_BENCH_CACHE") or Path(tempfile.gettempdir()) / "maillage-bench-cache")
    return folder / "backup-store.duckdb"


def _usable(path: Path) -> bool:
    """The cached store is complete (the figures it was built for) and has every migration."""
    from models.store import Store

    if not path.exists():
        return False
    store = Store(path, keep_open=0)
    if store.pending_migrations():
        return False
    counts = store.query("SELECT (SELECT count(*) FROM structures) AS structures,"
                         " (SELECT count(*) FROM responses) AS responses")[0]
    return counts == EXPECTED


def cached_store(rebuild: bool) -> Path:
    """The bench store file, built by ``bench.dashboards.build`` when missing (then kept)."""
    from bench.dashboards import build

    path = cache_path()
    if not rebuild and _usable(path):
        note(f"… reusing the bench store {path}")
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".build-") as tmp:
        built = build(Path(tmp) / "store.duckdb")
        check(built.store.release(), "the built store is still in use")
        os.replace(built.store.path, path)
    note(f"  built in {built.seconds:.0f} s, kept in {path}")
    check(_usable(path), f"{path}: the built store is not the expected one")
    return path


def _megabytes(path: Path) -> str:
    size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else path.stat().st_size
    return f"{size / 1e6:.1f}"


def _sql_text(path: Path) -> str:
    """A path of our own temporary folder as an SQL string literal (EXPORT/IMPORT DATABASE take
    no parameter)."""
    return "'" + str(path).replace("'", "''") + "'"


def main() -> int:
    import duckdb

    from models.backup import backup_store, export_all, restore_store
    from models.store import Store

    began = time.perf_counter()
    source = cached_store(rebuild="--neuf" in sys.argv[1:])
    with tempfile.TemporaryDirectory(prefix="maillage-bench-backup-") as tmp:
        work = Path(tmp)
        shutil.copyfile(source, work / "maillage.duckdb")
        store = Store(work / "maillage.duckdb", device="bench")
        store.migrate()
        with store.connect() as con:
            tables = [name for (name,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
            counts = {name: con.execute('SELECT count(*) FROM "' + name + '"').fetchall()[0][0] for name in tables}
        check(store.release(), "store still in use")
        figure("store_tables", len(counts), "tables")
        figure("store_rows", sum(counts.values()), "rows")
        figure("store_size", _megabytes(store.path), "MB")

        note("… backup_store (COPY FROM DATABASE in one transaction), best of 3")
        times = []
        for run in range(RUNS):
            report = backup_store(store, work / f"sauvegarde-{run}.duckdb", by=BY)
            check(report.counts == counts, "the backup does not hold the store's rows")
            times.append(report.seconds)
            note(f"  run {run + 1}: {report.seconds:.2f} s")
        store.release()
        backup = report.path
        figure("backup_copy_database", f"{min(times):.2f}", "s")
        figure("backup_size", _megabytes(backup), "MB")

        note("… naive: EXPORT DATABASE (Parquet), then IMPORT DATABASE into a new file")
        exported = work / "export-database"
        started = time.perf_counter()
        with store.connect() as con:
            con.execute("EXPORT DATABASE " + _sql_text(exported) + " (FORMAT parquet)")
        export_seconds = time.perf_counter() - started
        store.release()
        imported = work / "import-database.duckdb"
        with duckdb.connect(str(imported)) as con:
            con.execute("IMPORT DATABASE " + _sql_text(exported))
            rows = con.execute("SELECT count(*) FROM responses").fetchall()[0][0]
            check(rows == counts["responses"], f"IMPORT DATABASE: {rows} responses")
        figure("naive_export_database", f"{export_seconds:.2f}", "s")
        figure("naive_export_then_import", f"{time.perf_counter() - started:.2f}", "s")
        figure("naive_export_import_size", _megabytes(imported), "MB")

        note("… other way: CHECKPOINT then a copy of the file's bytes (torn by a concurrent commit)")
        started = time.perf_counter()
        with store.connect() as con:
            con.execute("CHECKPOINT")
            shutil.copyfile(store.path, work / "copie-brute.duckdb")
        figure("checkpoint_file_copy", f"{time.perf_counter() - started:.2f}", "s")
        store.release()

        note("… restore_store of the backup (with its safety copy of the current store)")
        restored = restore_store(store, backup, by=BY)
        check(restored.counts["responses"] == counts["responses"], "the restored store lost responses")
        figure("restore", f"{restored.seconds:.2f}", "s")
        figure("restore_safety_copy", f"{restored.safety_copy.seconds:.2f}", "s")
        store.release()

        note("… export_all (every table in Parquet and CSV)")
        exported_all = export_all(store, work / "export-all", by=BY)
        check(exported_all.rows == sum(counts.values()) + 1, "export_all rows")  # + the restore's audit row
        figure("export_all", f"{exported_all.seconds:.2f}", "s")
        figure("export_all_size", f"{exported_all.size / 1e6:.1f}", "MB")
        store.release()
    figure("bench_total", f"{time.perf_counter() - began:.0f}", "s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
