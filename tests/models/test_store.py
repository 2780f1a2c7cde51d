"""The store: migrations, one transaction per action, and two processes sharing the file."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from models.errors import StoreBusy, UnitOfWorkFailed
from models.migrations import MIGRATIONS
from models.store import Store, sql_identifier

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



SETTING = "INSERT INTO settings (key, value, updated_at, updated_by) VALUES (?, '1', now(), 't')"


def _keys(store) -> list[str]:
    return [row["key"] for row in store.query("SELECT key FROM settings ORDER BY key")]


@pytest.mark.parametrize("inner", ["atomic", "transaction"])
def test_a_unit_of_work_inside_another_joins_it_and_commits_with_it(store, inner):
    """A helper that opens its own unit of work, called inside an action, is part of that action:
    it sees the action's writes, and nothing it writes is visible before the action commits."""
    seen_inside: list[int] = []

    def helper(con) -> None:
        seen_inside.append(con.execute("SELECT count(*) FROM settings").fetchone()[0])
        con.execute(SETTING, ["interne"])

    with store.atomic() as con:
        con.execute(SETTING, ["externe"])
        if inner == "atomic":
            with store.atomic() as nested:
                helper(nested)
        else:
            store.transaction(helper)
        assert [r["key"] for r in store.query("SELECT key FROM settings ORDER BY key")] == ["externe", "interne"]
        other_thread: list[list[str]] = []
        reader = threading.Thread(target=lambda: other_thread.append(_keys(store)))
        reader.start()
        reader.join(10)
        assert other_thread == [[]]  # another session sees nothing before the commit
    assert seen_inside == [1]
    assert _keys(store) == ["externe", "interne"]


def test_an_action_failing_after_a_nested_unit_rolls_back_the_nested_writes_too(store):
    with pytest.raises(RuntimeError):
        with store.atomic() as con:
            store.transaction(lambda nested: nested.execute(SETTING, ["interne"]))
            con.execute(SETTING, ["externe"])
            raise RuntimeError("boom")
    assert _keys(store) == []


def test_a_nested_failure_caught_by_the_outer_code_never_commits_half_an_action(store):
    """DuckDB has no savepoints: the nested part cannot be undone alone, so the whole action is
    rolled back, with a French message, rather than committed without knowing what half was kept."""

    def half_done(con) -> None:
        con.execute(SETTING, ["moitie"])
        raise ValueError("la seconde moitié échoue")

    with pytest.raises(UnitOfWorkFailed, match="rien n'a été enregistré") as raised:
        with store.atomic() as con:
            con.execute(SETTING, ["avant"])
            try:
                store.transaction(half_done)
            except ValueError:
                pass  # the outer code goes on as if nothing happened
    assert isinstance(raised.value.__cause__, ValueError)
    assert _keys(store) == []
    store.transaction(lambda con: con.execute(SETTING, ["ensuite"]))  # the next action is not affected
    assert _keys(store) == ["ensuite"]


def test_units_of_work_of_two_stores_do_not_join(tmp_path, store):
    other = Store(tmp_path / "autre.duckdb")
    other.migrate()
    with pytest.raises(RuntimeError):
        with store.atomic() as con:
            con.execute(SETTING, ["ici"])
            other.transaction(lambda con: con.execute(SETTING, ["ailleurs"]))  # its own unit: committed
            raise RuntimeError("boom")
    assert _keys(store) == [] and _keys(other) == ["ailleurs"]


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


def test_a_busy_process_lets_another_take_its_turn_within_a_moment(tmp_path):
    """A server never idle (units of work back to back) still lets cron's sync in: the waiting
    process asks for its turn, the holder lets go between two units of work, then takes the file
    back; nothing is lost on either side.

    No stopwatch (a loaded machine makes any one slow): the holder keeps the file open for a minute
    when idle and is never idle, so without turns the other process could only fail, refused after
    its own 20 s of waiting; it gets in, then the holder writes again."""
    store = Store(tmp_path / "tours.duckdb", keep_open=60)
    store.migrate()
    stop = threading.Event()
    written: list[int] = []

    def busy() -> None:  # a unit of work every 5 ms, for as long as the test lasts
        while not stop.is_set():
            with store.atomic() as con:
                con.execute("INSERT INTO settings (key, value, updated_at, updated_by) VALUES (?, '1', now(), 'app')",
                            [f"app-{len(written)}"])
            written.append(len(written))
            time.sleep(0.005)

    worker = threading.Thread(target=busy)
    worker.start()
    try:
        while len(written) < 20:  # the holder is at work
            time.sleep(0.01)
        other = subprocess.run([sys.executable, "-c", textwrap.dedent(f"""
            import sys
            sys.path.insert(0, {str(ROOT)!r})
            from models.store import Store
            with Store({str(store.path)!r}, keep_open=0, lock_timeout=20).atomic() as con:
                con.execute("INSERT INTO settings (key, value, updated_at, updated_by) VALUES ('cron', '1', now(), 'cron')")
            print("entré")
        """)], capture_output=True, text=True, timeout=120)
        before = len(written)
        deadline = time.monotonic() + 60
        while len(written) == before and time.monotonic() < deadline:  # the app has the file back
            time.sleep(0.01)
        assert len(written) > before
    finally:
        stop.set()
        worker.join()
    assert other.returncode == 0 and other.stdout.strip() == "entré", other.stderr
    assert store.query("SELECT count(*) AS n FROM settings") == [{"n": len(written) + 1}]
    assert not list(tmp_path.glob("tours.duckdb.attente-*"))  # the request withdrawn once served


def test_a_long_unit_of_work_does_not_hold_back_the_others_while_another_process_waits(tmp_path):
    """While another process waits for the file, new units of work wait for the running ones to
    end — except when one of them is long (an import): the other sessions then go on, and the
    waiting process gets the file as soon as the long one ends."""
    store = Store(tmp_path / "long.duckdb", keep_open=2)
    store.migrate()
    finish = threading.Event()

    def long_unit() -> None:
        with store.connect() as con:
            con.execute("SELECT 1")
            finish.wait(20)

    worker = threading.Thread(target=long_unit)
    worker.start()
    waiter = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        from models.store import Store
        with Store({str(store.path)!r}, keep_open=0).atomic() as con:
            con.execute("INSERT INTO settings (key, value, updated_at, updated_by) VALUES ('cron', '1', now(), 'cron')")
        print("ok")
    """)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.5)  # the other process asks meanwhile (it starts in about a second)
        durations = []
        for n in range(10):
            started = time.monotonic()
            with store.atomic() as con:
                con.execute("INSERT INTO settings (key, value, updated_at, updated_by) VALUES (?, '1', now(), 'app')",
                            [f"app-{n}"])
            durations.append(time.monotonic() - started)
            time.sleep(0.05)
    finally:
        finish.set()
        worker.join()
    out, err = waiter.communicate(timeout=60)
    assert waiter.returncode == 0 and out.strip() == "ok", err
    assert max(durations) < 0.5, durations
    assert store.query("SELECT count(*) AS n FROM settings") == [{"n": 11}]


def test_a_transaction_refused_for_a_write_conflict_runs_again(store):
    """Two units of work of one process write the same row at once: DuckDB refuses the second
    (« Conflict on update »); ``Store.transaction`` runs it again once the first has committed."""
    with store.atomic() as con:
        con.execute("INSERT INTO settings (key, value, updated_at, updated_by) VALUES ('k', '0', now(), 't')")
    started = threading.Event()
    committed = threading.Event()
    attempts: list[int] = []
    outcome: list[object] = []

    def second(con) -> int:
        attempts.append(1)
        con.execute("SELECT count(*) FROM settings").fetchall()  # its snapshot: before the first commits
        started.set()
        committed.wait(10)
        con.execute("UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 10 AS VARCHAR) WHERE key = 'k'")
        return con.execute("SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'k'").fetchone()[0]

    with store.atomic() as con:
        con.execute("UPDATE settings SET value = '1' WHERE key = 'k'")
        other = threading.Thread(target=lambda: outcome.append(store.transaction(second)))
        other.start()
        assert started.wait(10)
    committed.set()
    other.join(timeout=30)
    assert outcome == [11]  # on top of the first one's write, not over it
    assert len(attempts) == 2
    assert store.query("SELECT CAST(value AS INTEGER) AS v FROM settings WHERE key = 'k'") == [{"v": 11}]


@pytest.mark.parametrize("name", ["nom", "pivot", 'colonne "bizarre"', "Code postal", "é;--"])
def test_any_name_quoted_as_an_identifier_names_that_column_and_nothing_else(tmp_path, name):
    store = Store(tmp_path / "q.duckdb")
    with store.connect() as con:
        con.execute(f"CREATE TABLE t ({sql_identifier(name)} VARCHAR, autre VARCHAR)")
        con.execute(f"INSERT INTO t ({sql_identifier(name)}, autre) VALUES (?, ?)", ["valeur", "x"])
        columns = [row[0] for row in con.execute("SELECT column_name FROM duckdb_columns() WHERE table_name = 't'"
                                                 " ORDER BY column_index").fetchall()]
        assert columns == [name, "autre"]
        assert con.execute(f"SELECT {sql_identifier(name)} FROM t").fetchall() == [("valeur",)]


@pytest.mark.parametrize("refusal", [PermissionError(1, "Operation not permitted"), OSError(95, "Operation not supported")])
def test_a_new_store_is_created_whole_on_a_usb_key_without_hard_links(tmp_path, monkeypatch, refusal):
    """FAT and exFAT (a USB key) have no hard links: the complete file is renamed into place instead,
    and an existing store is never replaced."""
    import models.store as store_module

    def no_links(source, target):
        raise refusal

    monkeypatch.setattr(store_module.os, "link", no_links)
    path = tmp_path / "clé USB" / "maillage été.duckdb"
    store = Store(path, keep_open=0)
    store.migrate()
    store.transaction(lambda con: con.execute(SETTING, ["gardee"]))
    assert _keys(Store(path, keep_open=0)) == ["gardee"]  # opened again: the same file, not a new one
    assert sorted(p.name for p in path.parent.iterdir()) == ["maillage été.duckdb"]  # no partial file left
