"""Crash tests: a real process killed with SIGKILL in the middle of its work, then restarted.

Each scenario runs the product in a process of its own — ``maillage import`` of a generated CSV
of thousands of lines, a loop of survey submits through ``collect.surveys`` that prints
« ACK <response id> » after each committed submit (what the user is told), ``maillage sync
--emulateur`` against a Sheets emulator running as another process (``maillage dev
sheets-emulator``) — and kills it with ``kill -9`` at a point found by watching what it does
(its output, the store's files, the sheet through gspread's real client), never by patching it.
Then the store is reopened by a fresh process and checked (``store_problems``), and the command
is run again:

- the store opens, every table reads, no orphan row (a version without its structure, an answer
  without its draft, a response without its audit line…), counts agree with the audit log; a new
  store killed while its file is being created opens too;
- an import is ONE transaction (``collect/imports.py``): after the kill it is all there or not
  at all — and all there once the command printed its summary; run again, it completes once;
- every submit acknowledged to the user is in the store exactly once, its draft closed on it;
  the loop restarted (same drafts, as the survey page reopens them) ends with one response per
  structure;
- a killed sync run again to completion leaves the sheet and the store agreeing cell for cell,
  every record on exactly one line of the sheet (no line twice from the replay), and a further
  run finds nothing to send or take.
"""

from __future__ import annotations

import csv
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import gspread
import pytest

from collect.campaigns import create_campaign
from collect.imports import import_file
from collect.questionnaire import questionnaire_from_dict
from collect.surveys import publish_questionnaire
from models.store import Store
from models.text import figure
from sync.emulator_client import emulator_session
from sync.store_side import store_texts
from sync.tables import SYNCED_TABLES, synced_columns, synced_table
from tests.browser.conftest import stop_streamlit
from tests.reliability.storecheck import Dump, dump_difference, store_dump

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]

ROOT = Path(__file__).resolve().parents[2]
MAILLAGE = Path(sys.executable).with_name("maillage")
BASE_LINES = 200  # lieux of an earlier import, in every store
NEW_LINES = 1900  # the big file: these new lieux…
UPDATED_LINES = 100  # …and new opening hours for this many of the earlier ones
BIG_FILE = "lieux-territoire.csv"
OLD_HOURS, NEW_HOURS = "Mo-Fr 09:00-12:00", "Mo-Sa 09:00-12:00"
SURVEYED = 10  # structures the survey loop goes through
SYNC_NEW_LINES, SYNC_DETAIL = 600, 20  # the synced store's own import: few lines, but long (~4 kB) ones
SYNC_SURVEYED = 8  # responses (and their calls) in the synced store
SURVEYOR = "enqueteur"
KILL_TIMEOUT = 60.0

QUESTIONNAIRE = {
    "code": "coupure",
    "titre": "Diagnostic (essai de coupure)",
    "sections": [{
        "code": "offre",
        "titre": "Offre",
        "questions": [
            {"code": "horaires", "type": "registre", "champ": "horaires"},
            {"code": "interesse", "type": "oui_non", "libelle": "Intéressé ?", "obligatoire": True},
            {"code": "salaries", "type": "entier", "libelle": "Salariés", "min": 0, "max": 50},
            {"code": "remarque", "type": "texte_long", "libelle": "Remarque"},
        ],
    }],
}

# The survey loop: for each structure, the surveyor's draft (the latest one: the survey page keeps
# it in its URL, so a restarted session reopens the same draft, submitted or not), one transaction
# per answer, then the submit; « ACK <response id> » once the submit is committed.
SUBMITTER = textwrap.dedent("""
    import sys
    from collect.surveys import load_draft, open_draft, save_answer, submit_draft
    from models.backup import open_store

    campaign_id, count = sys.argv[1], int(sys.argv[2])
    answers = {"horaires": "Mo-Sa 10:00-12:30", "interesse": "oui", "salaries": "3",
               "remarque": "Atelier numérique le mardi ; 2 postes en accès libre."}
    by = surveyor = "SURVEYOR_NAME"
    store = open_store()
    with store.connect() as con:
        found = con.execute("SELECT id FROM structures ORDER BY nom LIMIT ?", [count]).fetchall()
    structures = [row[0] for row in found]
    for structure_id in structures:
        with store.atomic() as con:
            latest = con.execute(
                "SELECT id FROM drafts WHERE structure_id = ? AND campaign_id = ? AND surveyor = ?"
                " AND deleted_at IS NULL ORDER BY created_at DESC LIMIT 1",
                [structure_id, campaign_id, surveyor],
            ).fetchall()
            draft = load_draft(con, latest[0][0]) if latest else open_draft(
                con, structure_id=structure_id, campaign_id=campaign_id, surveyor=surveyor, by=by)
        if draft.submitted_response_id is None:
            for code, value in answers.items():
                base = draft.values[code].revision if code in draft.values else 0
                with store.atomic() as con:
                    saved = save_answer(con, draft.id, code, value, base_revision=base, session_id="onglet", by=by)
                assert saved.saved, saved
        outcome = submit_draft(store, draft.id, by=by)
        assert outcome.response_id and not outcome.errors, outcome
        print("ACK", outcome.response_id, flush=True)
""").replace("SURVEYOR_NAME", SURVEYOR)


# -- the store's consistency ---------------------------------------------------------------------

# (what is wrong, a query counting the rows where it is); every query holds in any Maillage store.
_ORPHANS: tuple[tuple[str, str], ...] = (
    ("versions sans leur structure",
     "SELECT count(*) FROM structure_versions v"
     " WHERE NOT EXISTS (SELECT 1 FROM structures s WHERE s.id = v.structure_id)"),
    ("structures sans exactement une version ouverte",
     "SELECT count(*) FROM structures s WHERE (SELECT count(*) FROM structure_versions v"
     " WHERE v.structure_id = s.id AND v.valid_to IS NULL) <> 1"),
    ("versions d'un import inconnu",
     "SELECT count(*) FROM structure_versions v WHERE v.import_run_id IS NOT NULL"
     " AND NOT EXISTS (SELECT 1 FROM import_runs r WHERE r.id = v.import_run_id)"),
    ("imports dont les versions ne font pas le compte annoncé (nouvelles + mises à jour)",
     "SELECT count(*) FROM import_runs r WHERE (SELECT count(*) FROM structure_versions v WHERE v.import_run_id = r.id)"
     " <> CAST(json_extract_string(r.counts, '$.nouvelles') AS INTEGER)"
     " + CAST(json_extract_string(r.counts, '$.\"mises à jour\"') AS INTEGER)"),
    ("imports sans exactement une ligne d'historique",
     "SELECT count(*) FROM import_runs r WHERE (SELECT count(*) FROM audit_log a WHERE a.action = 'import'"
     " AND a.entity_id = r.id) <> 1"),
    ("historique d'un import absent",
     "SELECT count(*) FROM audit_log a WHERE a.action = 'import'"
     " AND NOT EXISTS (SELECT 1 FROM import_runs r WHERE r.id = a.entity_id)"),
    ("doublons possibles sans leurs structures",
     "SELECT count(*) FROM duplicate_candidates d"
     " WHERE NOT EXISTS (SELECT 1 FROM structures s WHERE s.id = d.structure_id)"
     " OR NOT EXISTS (SELECT 1 FROM structures s WHERE s.id = d.other_id)"),
    ("campagnes sans leur questionnaire",
     "SELECT count(*) FROM campaigns c"
     " WHERE NOT EXISTS (SELECT 1 FROM questionnaires q WHERE q.id = c.questionnaire_id)"),
    ("brouillons sans leur structure, campagne ou questionnaire",
     "SELECT count(*) FROM drafts d WHERE NOT EXISTS (SELECT 1 FROM structures s WHERE s.id = d.structure_id)"
     " OR NOT EXISTS (SELECT 1 FROM campaigns c WHERE c.id = d.campaign_id)"
     " OR NOT EXISTS (SELECT 1 FROM questionnaires q WHERE q.id = d.questionnaire_id)"),
    ("valeurs saisies sans leur brouillon",
     "SELECT count(*) FROM draft_values v WHERE NOT EXISTS (SELECT 1 FROM drafts d WHERE d.id = v.draft_id)"),
    ("réponses sans leur structure, campagne ou questionnaire",
     "SELECT count(*) FROM responses r WHERE NOT EXISTS (SELECT 1 FROM structures s WHERE s.id = r.structure_id)"
     " OR NOT EXISTS (SELECT 1 FROM campaigns c WHERE c.id = r.campaign_id)"
     " OR NOT EXISTS (SELECT 1 FROM questionnaires q WHERE q.id = r.questionnaire_id)"),
    ("brouillons soumis dont la réponse manque",
     "SELECT count(*) FROM drafts d WHERE d.submitted_response_id IS NOT NULL AND NOT EXISTS"
     " (SELECT 1 FROM responses r WHERE r.id = d.submitted_response_id AND r.draft_id = d.id)"),
    ("réponses dont le brouillon n'est pas fermé sur elles",
     "SELECT count(*) FROM responses r WHERE r.draft_id IS NOT NULL AND NOT EXISTS"
     " (SELECT 1 FROM drafts d WHERE d.id = r.draft_id AND d.submitted_response_id = r.id)"),
    ("réponses sans exactement une ligne d'historique",
     "SELECT count(*) FROM responses r WHERE (SELECT count(*) FROM audit_log a WHERE a.action = 'response.submit'"
     " AND a.entity_id = r.id) <> 1"),
    ("historique d'une réponse absente",
     "SELECT count(*) FROM audit_log a WHERE a.action = 'response.submit'"
     " AND NOT EXISTS (SELECT 1 FROM responses r WHERE r.id = a.entity_id)"),
    ("réponses changeant le registre sans autant de versions « enquete »",
     "SELECT abs((SELECT count(*) FROM responses WHERE registry_changes IS NOT NULL)"
     " - (SELECT count(*) FROM structure_versions WHERE change_reason = 'enquete'))"),
    ("versions d'une modification ou d'une enquête sans autant de lignes d'historique",
     "SELECT abs((SELECT count(*) FROM structure_versions WHERE change_reason IN ('modification', 'enquete'))"
     " - (SELECT count(*) FROM audit_log WHERE action = 'structure.update'))"),
    ("créations sans autant de lignes d'historique",
     "SELECT abs((SELECT count(*) FROM structure_versions WHERE change_reason = 'creation')"
     " - (SELECT count(*) FROM audit_log WHERE action = 'structure.create'))"),
    ("réponses sans leur appel « complete »",
     "SELECT count(*) FROM responses r WHERE NOT EXISTS (SELECT 1 FROM call_attempts a"
     " WHERE a.campaign_id = r.campaign_id AND a.structure_id = r.structure_id AND a.outcome = 'complete')"),
    ("appels sans leur campagne ou structure",
     "SELECT count(*) FROM call_attempts a WHERE NOT EXISTS (SELECT 1 FROM campaigns c WHERE c.id = a.campaign_id)"
     " OR NOT EXISTS (SELECT 1 FROM structures s WHERE s.id = a.structure_id)"),
    ("étapes de synchronisation sans leur synchronisation",
     "SELECT count(*) FROM sync_journal j WHERE NOT EXISTS (SELECT 1 FROM sync_runs r WHERE r.id = j.run_id)"),
    ("bases de synchronisation sans leur ligne",
     "SELECT count(*) FROM sync_base b WHERE (b.tab = 'structures' AND b.row_id NOT IN (SELECT id FROM structures))"
     " OR (b.tab = 'reponses' AND b.row_id NOT IN (SELECT id FROM responses))"
     " OR (b.tab = 'appels' AND b.row_id NOT IN (SELECT id FROM call_attempts))"),
    ("plus d'une synchronisation en cours",
     "SELECT greatest(count(*) - 1, 0) FROM sync_runs WHERE statut = 'en_cours'"),
)


def store_problems(store: Store) -> list[str]:
    """What is wrong in a store, in French (empty: consistent). Opening it, migrating it (what every
    restart does) and reading every row of every table (``store_dump``) must work first."""
    assert store.migrate() == []
    dump = store_dump(store)
    problems: list[str] = []
    with store.connect() as con:
        for table, (columns, _rows) in dump.items():
            if "id" in columns:  # a primary key the write-ahead log's replay must have kept
                relation = ".".join('"' + part + '"' for part in table.split("."))  # names from the catalog
                (twice,) = con.execute("SELECT count(id) - count(DISTINCT id) FROM " + relation).fetchone()
                if twice:
                    problems.append(f"{table} : {twice} identifiant(s) en double")
        for what, sql in _ORPHANS:
            (count,) = con.execute(sql).fetchone()
            if count:
                problems.append(f"{what} : {count}")
    return problems


def assert_consistent(store: Store) -> None:
    problems = store_problems(store)
    assert problems == [], "\n".join(problems)


def test_the_consistency_check_names_what_a_crash_could_leave(base, tmp_path):
    """The check itself: a store damaged on purpose (as a half-applied write would leave it)."""
    store = Store(_copy(base.store, tmp_path / "abimee.duckdb"), keep_open=0)
    assert store_problems(store) == []
    with store.atomic() as con:
        (structure_id,) = con.execute("SELECT id FROM structures ORDER BY id LIMIT 1").fetchone()
        con.execute("DELETE FROM structures WHERE id = ?", [structure_id])  # its versions stay
        con.execute("DELETE FROM audit_log WHERE action = ?", ["import"])  # the import's line lost
        con.execute("INSERT INTO draft_values (draft_id, question_code, value, revision, updated_at, updated_by)"
                    " VALUES (?, ?, ?, 1, now(), ?)", ["brouillon-perdu", "interesse", "true", SURVEYOR])
    problems = "\n".join(store_problems(store))
    for expected in ("versions sans leur structure", "imports sans exactement une ligne d'historique",
                     "valeurs saisies sans leur brouillon"):
        assert expected in problems, problems


# -- processes killed on cue ---------------------------------------------------------------------


def _env(db: Path, device: str = "poste-coupe") -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("MAILLAGE_")}
    env.update({"MAILLAGE_DB": str(db), "MAILLAGE_DEVICE": device, "PYTHONPATH": str(ROOT)})
    return env


class Child:
    """A real process of the product; its output read line by line as it comes (with the time)."""

    def __init__(self, args: list[str], *, env: dict[str, str], cwd: Path) -> None:
        self.process = subprocess.Popen(args, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True, encoding="utf-8")
        self.out: list[tuple[float, str]] = []
        self.err: list[tuple[float, str]] = []
        self._readers = [threading.Thread(target=self._read, args=(stream, lines), daemon=True)
                         for stream, lines in ((self.process.stdout, self.out), (self.process.stderr, self.err))]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _read(stream, lines: list[tuple[float, str]]) -> None:
        for line in stream:
            lines.append((time.monotonic(), line))

    def output(self) -> str:
        return "".join(line for _, line in self.out) + "".join(line for _, line in self.err)

    def seen(self, text: str, *, stream: str = "out") -> float | None:
        """When a line holding ``text`` was first written (monotonic time), or None."""
        return next((at for at, line in list(self.out if stream == "out" else self.err) if text in line), None)

    def kill_when(self, ready: Callable[[], bool], *, timeout: float = KILL_TIMEOUT, every: float = 0.002) -> None:
        """SIGKILL the process as soon as ``ready()`` (asked every ``every`` s); fails if it ended first."""
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                self.finish()
                pytest.fail(f"the process ended (status {self.process.returncode}) before its kill point:\n"
                            + self.output())
            if ready():
                break
            if time.monotonic() > deadline:
                self.process.kill()
                self.finish()
                pytest.fail(f"kill point not reached in {timeout} s:\n{self.output()}")
            time.sleep(every)
        self.process.send_signal(signal.SIGKILL)
        self.finish()
        assert self.process.returncode == -signal.SIGKILL, (self.process.returncode, self.output())

    def finish(self) -> None:
        self.process.wait(timeout=30)
        for reader in self._readers:
            reader.join(timeout=10)


def _run(args: list[str], *, env: dict[str, str], cwd: Path, timeout: float = 90) -> subprocess.CompletedProcess:
    return subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, encoding="utf-8", timeout=timeout)


def _copy(template: Path, target: Path) -> Path:
    shutil.copyfile(template, target)
    return target


# -- the data ------------------------------------------------------------------------------------

_SYLLABLES = ("ba", "ko", "ri", "mu", "ta", "le", "no", "vi", "sa", "pe", "du", "ga", "fi", "jo", "ze", "wa", "lu",
              "cy", "ho", "mi")
_COMMUNES = (("Cognac", "16100"), ("Angoulême", "16000"), ("Nouméa", "98800"), ("Bourg-en-Bresse", "01000"))
_DETAIL = ("Accueil sans rendez-vous, ateliers collectifs et accompagnement individuel aux démarches en ligne ; "
           "prêt de matériel, aide à la création de comptes, impression de justificatifs. ")


def _name(number: int) -> str:
    """A lieu's name: three invented words, far enough from each other's not to look like duplicates."""
    rng = random.Random(number)
    return " ".join("".join(rng.choice(_SYLLABLES) for _ in range(4)).capitalize() for _ in range(3))


def write_lieux(path: Path, numbers: range, *, hours: Callable[[int], str], detail: int = 1) -> Path:
    """A French CSV (``;``) of lieux ``numbers``, each with its source id and a presentation
    ``detail`` paragraphs long."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["id", "nom", "adresse", "code_postal", "commune", "courriels", "date_maj", "services",
                         "horaires", "presentation_detail"])
        for number in numbers:
            commune, postcode = _COMMUNES[number % len(_COMMUNES)]
            writer.writerow([
                f"src-{number:05d}", _name(number), f"{number % 300 + 1} rue de la Paix", postcode, commune,
                f"lieu{number}@exemple.fr", "2024-03-01", "Aide aux démarches administratives", hours(number),
                f"{_name(number)} : {_DETAIL * detail}",
            ])
    return path


@dataclass(frozen=True)
class Base:
    """The module's files: a store with an earlier import, a questionnaire and a campaign; the big file."""

    store: Path
    dump: Dump
    campaign_id: str
    big_file: Path


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Base:
    folder = tmp_path_factory.mktemp("coupures")
    store = Store(folder / "base.duckdb", keep_open=0)
    store.migrate()
    earlier = write_lieux(folder / "lieux-avant.csv", range(BASE_LINES), hours=lambda n: OLD_HOURS)
    assert import_file(store, earlier).new == BASE_LINES
    with store.atomic() as con:
        stored = publish_questionnaire(con, questionnaire_from_dict(QUESTIONNAIRE), by="coordination")
        campaign_id = create_campaign(con, nom="Diagnostic 2026", questionnaire_id=stored.id, by="coordination")
    big_file = write_lieux(folder / BIG_FILE, range(BASE_LINES + NEW_LINES),
                           hours=lambda n: NEW_HOURS if n < UPDATED_LINES else OLD_HOURS)
    assert not store.path.with_name(store.path.name + ".wal").exists()
    return Base(store.path, store_dump(store), campaign_id, big_file)


# -- (a) an import killed ------------------------------------------------------------------------


def _import_outcome(store: Store) -> str:
    """« absent » or « complet »: the big file's import is wholly in the store or not at all."""
    runs = store.query("SELECT id FROM import_runs WHERE file_name = ?", [BIG_FILE])
    (figures,) = store.query(
        "SELECT count(*) AS structures, count(*) FILTER (WHERE horaires = ?) AS new_hours,"
        " (SELECT count(*) FROM structure_versions) AS versions FROM structures", [NEW_HOURS])
    if not runs:
        assert figures == {"structures": BASE_LINES, "new_hours": 0, "versions": BASE_LINES}, figures
        return "absent"
    assert len(runs) == 1, runs
    (run,) = runs
    in_run = store.query("SELECT count(*) AS n FROM structure_versions WHERE import_run_id = ?", [run["id"]])[0]["n"]
    assert figures == {"structures": BASE_LINES + NEW_LINES, "new_hours": UPDATED_LINES,
                       "versions": BASE_LINES + NEW_LINES + UPDATED_LINES}, figures
    assert in_run == NEW_LINES + UPDATED_LINES
    return "complet"


# kill point → the outcomes it allows (a kill before the commit leaves nothing; once the summary is
# printed, the user was told: everything must be there)
IMPORT_KILLS = {
    "lecture-des-lignes": ("absent",),  # preparing the lines: nothing is written before the transaction
    "ecriture-du-journal": ("absent", "complet"),  # the commit is writing the write-ahead log
    "resume-affiche": ("complet",),  # committed and told; killed before the file is closed
    "point-de-controle": ("complet",),  # closing at exit: the log being copied into the file
}


@pytest.mark.parametrize("point", list(IMPORT_KILLS))
def test_an_import_killed_midway_is_all_there_or_not_at_all(point, base, tmp_path):
    db = _copy(base.store, tmp_path / "coupe.duckdb")
    wal = db.with_name(db.name + ".wal")
    size_before = db.stat().st_size
    env = _env(db)
    run = Child([str(MAILLAGE), "import", str(base.big_file)], env=env, cwd=tmp_path)
    ready = {
        "lecture-des-lignes": lambda: (at := run.seen("Lecture des lignes", stream="err")) is not None
        and time.monotonic() - at > 0.1,
        "ecriture-du-journal": lambda: wal.exists() and wal.stat().st_size > 0,
        "resume-affiche": lambda: run.seen("Import —") is not None,
        "point-de-controle": lambda: db.stat().st_size > size_before,
    }[point]
    run.kill_when(ready)

    store = Store(db, keep_open=0)
    assert_consistent(store)
    outcome = _import_outcome(store)
    assert outcome in IMPORT_KILLS[point], f"{point}: {outcome}\n{run.output()}"
    if outcome == "absent":  # not a row of it, anywhere
        assert store_dump(store) == base.dump, dump_difference(base.dump, store_dump(store))

    again = _run([str(MAILLAGE), "import", str(base.big_file)], env=env, cwd=tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    if outcome == "absent":
        assert f"{figure(NEW_LINES)} nouvelles, {figure(UPDATED_LINES)} mises à jour" in again.stdout, again.stdout
    else:  # the killed import was complete: the same file again changes nothing
        assert f"0 nouvelle, 0 mise à jour, {figure(BASE_LINES + NEW_LINES)} inchangées" in again.stdout, again.stdout
    assert_consistent(store)
    assert _import_outcome(store) == "complet"


def test_a_new_store_killed_while_its_file_is_created_opens_again(tmp_path):
    """A new device's first command killed as soon as a file appears beside the store: the store
    opens again (DuckDB used to leave a file it could never open; see ``Store._create_file``).

    The window is a few hundred microseconds: a kill lands in it about four times in ten here,
    so several attempts (without the fix, 6 attempts all missing it: about 5 %)."""
    for attempt in range(6):
        folder = tmp_path / f"poste-{attempt}"
        folder.mkdir()
        db = folder / "maillage.duckdb"
        run = Child([str(MAILLAGE), "migrate"], env=_env(db), cwd=tmp_path)
        run.kill_when(lambda folder=folder: any(folder.iterdir()), every=0)
        restarted = Store(db, keep_open=0)
        restarted.migrate()
        assert_consistent(restarted)


# -- (b) survey submits killed -------------------------------------------------------------------


def _acks(lines: list[tuple[float, str]]) -> list[str]:
    return [match[1] for _, line in lines if (match := re.fullmatch(r"ACK (\S+)\n", line))]


# kill point: after the n-th acknowledgement, plus a delay landing in the saves or the submit of the next
SURVEY_KILLS = {"apres-un-acquittement": (1, 0.0), "pendant-la-saisie": (3, 0.03), "pendant-une-soumission": (6, 0.08)}


@pytest.mark.parametrize("point", list(SURVEY_KILLS))
def test_every_acknowledged_submit_survives_a_kill_exactly_once(point, base, tmp_path):
    acks_before_kill, delay = SURVEY_KILLS[point]
    db = _copy(base.store, tmp_path / "enquetes.duckdb")
    env = _env(db, device="tablette")
    command = [sys.executable, "-c", SUBMITTER, base.campaign_id, str(SURVEYED)]
    run = Child(command, env=env, cwd=tmp_path)

    def ready() -> bool:
        acks = [at for at, line in list(run.out) if line.startswith("ACK ")]
        return len(acks) >= acks_before_kill and time.monotonic() - acks[acks_before_kill - 1] >= delay

    run.kill_when(ready)
    acknowledged = _acks(run.out)
    assert len(acknowledged) >= acks_before_kill and len(acknowledged) < SURVEYED, run.output()

    store = Store(db, keep_open=0)
    assert_consistent(store)
    found = Counter(row["id"] for row in store.query(
        "SELECT id FROM responses WHERE list_contains(?, id)", [acknowledged]))
    assert found == Counter(acknowledged), f"acquittées {acknowledged}, trouvées {dict(found)}"
    responses = store.query("SELECT id FROM responses")
    assert len(responses) <= len(acknowledged) + 1  # at most the one being committed when killed

    # the surveyor comes back: same drafts; what was submitted is not submitted twice
    again = _run(command, env=env, cwd=tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    assert_consistent(store)
    rows = store.query("SELECT id, structure_id FROM responses")
    assert len(rows) == SURVEYED
    assert len({row["structure_id"] for row in rows}) == SURVEYED
    after_restart = re.findall(r"^ACK (\S+)$", again.stdout, flags=re.MULTILINE)
    assert Counter(after_restart) == Counter(row["id"] for row in rows)  # one response per structure, told once more
    assert set(acknowledged) <= set(after_restart)


# -- (c) a sync killed ---------------------------------------------------------------------------

# Lines a person typed in the structures tab before the first sync (no id): each must become one
# record, on one line, whatever the cut.
HUMAN_LINES = [
    {"nom": "Espace public numérique du Port", "adresse": "2 quai de la Marine", "code_postal": "16100",
     "commune": "Cognac", "date_maj": "2026-03-05"},
    {"nom": "Point d'accueil de Magenta", "adresse": "104 avenue Koenig", "code_postal": "98800",
     "commune": "Nouméa", "date_maj": "2026-02-11"},
    {"nom": "Tiers-lieu de la Grand-Place", "adresse": "1 place de la Grand-Place", "code_postal": "01000",
     "commune": "Bourg-en-Bresse", "date_maj": "2026-01-20"},
]


@pytest.fixture(scope="module")
def sync_template(base: Base, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The base store after an import of long lines (a first push of over 2 MB: more than one
    ``values:append``) and a few submitted surveys (with their calls)."""
    folder = tmp_path_factory.mktemp("hub")
    path = _copy(base.store, folder / "a-synchroniser.duckdb")
    store = Store(path, keep_open=0)
    lines = write_lieux(folder / "lieux-longs.csv", range(BASE_LINES, BASE_LINES + SYNC_NEW_LINES),
                        hours=lambda n: OLD_HOURS, detail=SYNC_DETAIL)
    assert import_file(store, lines).new == SYNC_NEW_LINES
    surveys = _run([sys.executable, "-c", SUBMITTER, base.campaign_id, str(SYNC_SURVEYED)], env=_env(path), cwd=folder)
    assert surveys.returncode == 0, surveys.stderr
    assert not path.with_name(path.name + ".wal").exists()
    return path


@pytest.fixture(scope="module")
def emulator_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``maillage dev sheets-emulator`` in a process of its own, on a free port."""
    folder = tmp_path_factory.mktemp("emulateur")
    log = folder / "emulateur.log"  # a file, not a pipe: what a killed client makes it print never blocks it
    with log.open("w", encoding="utf-8") as errors:
        process = subprocess.Popen([str(MAILLAGE), "dev", "sheets-emulator", "--port", "0"], cwd=folder,
                                   stdout=subprocess.PIPE, stderr=errors, text=True, encoding="utf-8")
    try:
        first = process.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:\d+", first)
        assert found, first + log.read_text(encoding="utf-8")
        yield found[0]
    finally:
        stop_streamlit(process)  # any process: terminate, then kill if it lingers


@pytest.fixture
def gc(emulator_url: str) -> Iterator[gspread.Client]:
    """gspread's real client, its requests sent to the emulator process."""
    session = emulator_session(emulator_url)
    yield gspread.Client(auth=None, session=session)
    session.close()


def _sheet_ids(spreadsheet: gspread.Spreadsheet, tab: str) -> list[str]:
    """The ``id`` column of a tab (header left out); [] while the tab does not exist."""
    try:
        values = spreadsheet.values_get(f"'{tab}'!A:A").get("values", [])
    except gspread.exceptions.APIError:
        return []
    return [row[0] if row else "" for row in values[1:]]


def _structures_of_sheet(spreadsheet: gspread.Spreadsheet) -> int:
    return len(_sheet_ids(spreadsheet, "structures"))


STRUCTURES_IN_SHEET = BASE_LINES + SYNC_NEW_LINES + len(HUMAN_LINES)

# kill points, seen from the sheet and the store's write-ahead log (each described where detected);
# at each, the one spreadsheets:batchUpdate of the run has landed: the people's lines hold their ids,
# the small tabs their rows
SYNC_KILLS = ("ajout-en-cours", "feuille-ecrite", "enregistrement")


def _sync_killed_at(point: str, sync_template: Path, emulator_url: str, gc: gspread.Client,
                    folder: Path) -> tuple[Store, gspread.Spreadsheet, list[str], dict[str, str]]:
    """A sync of a copy of the template, killed at ``point``: the store, the sheet, the command, its env."""
    folder.mkdir()
    db = _copy(sync_template, folder / "poste.duckdb")
    store = Store(db, keep_open=0)
    spreadsheet = gc.create("Hub Maillage (coupure)")
    with store.connect() as con:
        header = list(synced_columns(con, synced_table("structures")))
    tab = spreadsheet.add_worksheet("structures", rows=20, cols=len(header))
    tab.update([header, *[[line.get(name, "") for name in header] for line in HUMAN_LINES]], "A1",
               value_input_option="RAW")

    env = _env(db)
    command = [str(MAILLAGE), "sync", "--emulateur", emulator_url, "--classeur", spreadsheet.id]
    wal = db.with_name(db.name + ".wal")
    wal_before = [0]  # the log's size the last time the sheet was seen incomplete

    def recording() -> bool:
        size = wal.stat().st_size if wal.exists() else 0  # read before the sheet: never too late
        if _structures_of_sheet(spreadsheet) < STRUCTURES_IN_SHEET:
            wal_before[0] = size
            return False
        return size > wal_before[0] + 500_000

    run = Child(command, env=env, cwd=folder)
    ready = {
        # the first values:append of the structures landed, not the last
        "ajout-en-cours": lambda: len(HUMAN_LINES) < _structures_of_sheet(spreadsheet) < STRUCTURES_IN_SHEET,
        # everything is in the sheet: the run reads it back and records it in the store
        "feuille-ecrite": lambda: _structures_of_sheet(spreadsheet) == STRUCTURES_IN_SHEET,
        # then the store's transaction of the run (the sheet's changes, every record's base: over
        # 1 MB of log) is being committed
        "enregistrement": recording,
    }[point]
    run.kill_when(ready, every=0.01)

    return store, spreadsheet, command, env


@pytest.mark.parametrize("point", SYNC_KILLS)
def test_a_killed_sync_run_again_leaves_sheet_and_store_agreeing(point, sync_template, emulator_url, gc, tmp_path):
    # The kill point is a moment of the child's run seen from outside (polled): on a loaded machine the
    # run may pass it between two looks. Such a run completed normally; the scenario is then played
    # again on a fresh copy (at most three times) rather than failing the test for the machine's load.
    for attempt in range(1, 4):
        try:
            store, spreadsheet, command, env = _sync_killed_at(point, sync_template, emulator_url, gc,
                                                               tmp_path / f"essai-{attempt}")
            break
        except pytest.fail.Exception as error:
            if "before its kill point" not in str(error) or attempt == 3:
                raise
    assert_consistent(store)
    for spec in SYNCED_TABLES:  # even cut, no record on two lines
        ids = [row_id for row_id in _sheet_ids(spreadsheet, spec.tab) if row_id]
        assert [row_id for row_id, n in Counter(ids).items() if n > 1] == [], spec.tab

    again = _run(command, env=env, cwd=tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Synchronisation terminée" in again.stdout, again.stdout
    assert_consistent(store)
    last = _run(command, env=env, cwd=tmp_path)
    assert last.returncode == 0, last.stdout + last.stderr
    nothing = "0 valeur(s) et 0 ligne(s) reçues du classeur ; 0 valeur(s) et 0 ligne(s) envoyées"
    assert "Rien à synchroniser" in last.stdout or nothing in last.stdout, last.stdout

    _assert_sheet_and_store_agree(store, spreadsheet)
    assert store.query("SELECT count(*) AS n FROM sync_runs WHERE statut = 'en_cours'")[0]["n"] == 0
    names = Counter(row["nom"] for row in store.query("SELECT nom FROM structures"))
    assert all(names[line["nom"]] == 1 for line in HUMAN_LINES), names


def _assert_sheet_and_store_agree(store: Store, spreadsheet: gspread.Spreadsheet) -> None:
    """Every record of every synced table on exactly one line of its tab, cell for cell as the sync
    writes it, and no other line."""
    tabs = [spec.tab for spec in SYNCED_TABLES]
    read = spreadsheet.values_batch_get([f"'{tab}'" for tab in tabs])["valueRanges"]
    with store.connect() as con:
        for spec, found in zip(SYNCED_TABLES, read, strict=True):
            header, *lines = found.get("values", [[]])
            kinds = synced_columns(con, spec)
            assert set(kinds) <= set(header), (spec.tab, sorted(set(kinds) - set(header)))
            rows = [dict(zip(header, line + [""] * (len(header) - len(line)), strict=True)) for line in lines]
            counts = Counter(row["id"] for row in rows)
            assert [row_id for row_id, n in counts.items() if n > 1 or not row_id] == [], spec.tab
            expected = store_texts(con, spec, kinds)
            assert set(counts) == set(expected), (spec.tab, len(counts), len(expected))
            differing = [(row["id"], name, row[name], expected[row["id"]][name])
                         for row in rows for name in kinds if row[name] != expected[row["id"]][name]]
            assert differing == [], (spec.tab, differing[:5])
