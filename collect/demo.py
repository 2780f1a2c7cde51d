"""The demo territory: 924 real lieux (PACA, Charente, Nouvelle-Calédonie) loaded into a new store.

The files are copies of the national map's datasets (see ``demo/SOURCES.md``). They are loaded
once, on a store's first start; the ``demo_loaded`` setting remembers it, so a territory that
deleted the demo lieux does not see them come back.
"""

from __future__ import annotations

import json
from pathlib import Path

from collect.imports import ImportReport, import_file
from models.store import Store, fetch_dicts, utc_now

DEMO_DIR = Path(__file__).resolve().parent.parent / "demo"


def demo_files() -> list[Path]:
    """The demo datasets, in a stable order."""
    return sorted(DEMO_DIR.glob("*.json"))


def demo_loaded(store: Store) -> bool:
    """Whether the demo was already loaded into this store (even if since deleted)."""
    with store.connect() as con:
        rows = fetch_dicts(con, "SELECT value FROM settings WHERE key = 'demo_loaded'")
    return bool(rows)


def load_demo(store: Store, *, by: str = "demo") -> list[ImportReport]:
    """Import the demo datasets once; returns one report per file (none when already loaded)."""
    if demo_loaded(store):
        return []
    reports = [import_file(store, path, by=by) for path in demo_files()]
    with store.atomic() as con:
        con.execute(
            "INSERT INTO settings (key, value, updated_at, updated_by) VALUES ('demo_loaded', ?, ?, ?)"
            " ON CONFLICT (key) DO NOTHING",
            [json.dumps({"fichiers": [r.file for r in reports]}), utc_now(), by],
        )
    return reports
