"""The store: migrations, one transaction per action, and two processes sharing the file."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from models.errors import StoreBusy
from models.migrations import MIGRATIONS
from models.store import Store

ROOT = Path(__file__).resolve().parents[2]


def test_migrate_applies_every_migration_once(tmp_path):
    store = Store(tmp_path / "m.duckdb")
    assert store.pending_migrations() == [m.name for m in MIGRATIONS]
    assert store.migrate() == [m.name for m in MIGRATIONS]
    assert store.migrate() == []
    assert store.applied_migrations() == [m.name for m in MIGRATIONS]
    assert store.pending_migrations() == []


def test_listing_migrations_of_a_missing_file_creates_nothing(tmp_path):
    store = Store(tmp_path / "absent.duckdb")
    assert store.applied_migrations() == []
    assert not store.path.exists()


def test_atomic_rolls_back_everything_when_the_action_fails(store):
    with pytest.raises(RuntimeError):
        with store.atomic() as con:
            con.execute("INSERT INTO settings (key, value, updated_at, updated_by) VALUES ('a', '1', now(), 't')")
            raise RuntimeError("boom")
    assert store.query("SELECT count(*) AS n FROM settings") == [{"n": 0}]


def test_atomic_commits_when_the_action_succeeds(store):
    with store.atomic() as con:
        con.execute("INSERT INTO settings (key, value, updated_at, updated_by) VALUES ('a', '1', now(), 't')")
    assert store.query("SELECT key FROM settings") == [{"key": "a"}]


WRITER = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {root!r})
    from models.store import Store
    store = Store({path!r}, device=sys.argv[1])
    for i in range(int(sys.argv[2])):
        with store.atomic() as con:
            con.execute(
                "INSERT INTO settings (key, value, updated_at, updated_by) VALUES (?, ?, now(), ?)",
                [f"{{sys.argv[1]}}-{{i}}", str(i), sys.argv[1]],
            )
    print("done")
    """
)


def test_two_processes_writing_at_once_lose_no_write(store):
    """The app and the CLI write the same file at the same time: every write lands, none twice."""
    script = WRITER.format(root=str(ROOT), path=str(store.path))
    store.release()
    writes = 60
    procs = [
        subprocess.Popen([sys.executable, "-c", script, name, str(writes)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for name in ("app", "cli")
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert out.strip() == "done"
    rows = store.query("SELECT updated_by, count(*) AS n FROM settings GROUP BY updated_by ORDER BY updated_by")
    assert rows == [{"updated_by": "app", "n": writes}, {"updated_by": "cli", "n": writes}]


def test_a_lock_held_too_long_gives_a_french_message(store):
    assert store.release()  # this process lets go of the file first
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(store.path)!r}); print('held', flush=True); time.sleep(20)"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        impatient = Store(store.path, lock_timeout=0.3)
        started = time.monotonic()
        with pytest.raises(StoreBusy) as caught:
            with impatient.connect():
                pass
        assert time.monotonic() - started < 10
        assert "occupée par un autre programme" in str(caught.value)
        assert "rien n'a été enregistré" in str(caught.value)
    finally:
        holder.kill()
        holder.wait()


def test_units_of_work_share_one_open_instance_released_when_idle(tmp_path):
    store = Store(tmp_path / "partage.duckdb", keep_open=0.5)
    store.migrate()
    probe = [sys.executable, "-c", f"import duckdb; duckdb.connect({str(store.path)!r}); print('ouvert')"]
    with store.atomic() as con:
        con.execute("INSERT INTO settings (key, value, updated_at, updated_by) VALUES ('a', '1', now(), 't')")
        busy = subprocess.run(probe, capture_output=True, text=True, timeout=60)
        assert busy.returncode != 0 and "lock" in busy.stderr  # held while this process works
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:  # then let go once idle, without anyone asking
        free = subprocess.run(probe, capture_output=True, text=True, timeout=60)
        if free.stdout.strip() == "ouvert":
            break
        time.sleep(0.2)
    assert free.stdout.strip() == "ouvert"
    assert store.query("SELECT key FROM settings") == [{"key": "a"}]


def test_a_replaced_file_is_never_written_through_the_old_instance(tmp_path):
    store = Store(tmp_path / "remplace.duckdb", keep_open=5)
    store.migrate()
    store.query("SELECT 1")  # the instance is open on the first file
    other = tmp_path / "autre.duckdb"
    subprocess.run([sys.executable, "-c", f"import sys; sys.path.insert(0, {str(ROOT)!r});"
                    f"from models.store import Store; Store({str(other)!r}, keep_open=0).migrate()"], check=True, timeout=60)
    other.replace(store.path)  # e.g. a restore puts another file in its place
    with store.atomic() as con:
        con.execute("INSERT INTO settings (key, value, updated_at, updated_by) VALUES ('b', '2', now(), 't')")
    assert store.release()
    reader = subprocess.run([sys.executable, "-c", f"import duckdb; print(duckdb.connect({str(store.path)!r})"
                             ".execute('SELECT key FROM settings').fetchall())"], capture_output=True, text=True, timeout=60)
    assert reader.stdout.strip() == "[('b',)]"
