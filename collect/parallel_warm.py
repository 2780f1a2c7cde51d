"""Imported by the fork server of ``collect.parallel`` (never by the app itself): what preparing
import lines loads on first use — modules, the COG and its lazily built indexes (localities, names),
phone-number metadata, vocabularies — is loaded once there, by preparing the demo files, and is
then in every worker forked from it. A worker started cold paid ~2 s of it on every import."""

from __future__ import annotations

import atexit
import gc
from datetime import date

from collect import parallel

parallel.workers_allowed = False  # the fork server and its workers never start workers of their own

# After the flag: preparing a file asks for workers.
from collect.demo import demo_files  # noqa: E402
from collect.imports import prepare_lines  # noqa: E402
from collect.readers import read_table  # noqa: E402

for path in demo_files():
    prepare_lines(read_table(path), today=date.today())
gc.freeze()  # what is loaded stays out of the cyclic collector's walks, and its pages shared with the workers
# Undone at exit: frozen objects are never finalised, and DuckDB's bindings then print « leaked instances »
# on the stderr the fork server shares with the app or the CLI.
atexit.register(gc.unfreeze)
