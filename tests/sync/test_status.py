"""Where this device stands with the hub (``sync.status``), after real syncs against the emulator.

A small store (three structures of Cognac) syncs with a spreadsheet of the Sheets emulator through
gspread's real client and the counting transport; the overview must show exactly what the runs
recorded, the changes waiting here, and the conflicts and deletions a coordinator must decide.
"""

from __future__ import annotations

import pytest

from models.moments import moment_text
from models.registry import create_structure, update_structure
from models.store import Store
from sync.conflicts import decide_deletion, resolve_conflict
from sync.credentials import hub_settings, open_hub_client
from sync.hub import SyncReport, sync_hub
from sync.sheets_emulator import SheetsEmulator
from sync.status import (
    RUN_STATUS_LABELS,
    conflict_rows,
    deletion_rows,
    hub_overview,
    pending_decisions,
    recent_runs,
    run_journal,
    run_status_label,
    run_summary,
)
from sync.transport import TransportError

LIEUX = [
    {"nom": "CCAS de Cognac", "commune": "Cognac", "code_postal": "16100", "adresse": "1 rue du Port",
     "date_maj": "2026-01-01"},
    {"nom": "Médiathèque de Cognac", "commune": "Cognac", "code_postal": "16100", "adresse": "10 place Cagnac",
     "date_maj": "2026-01-01"},
    {"nom": "Espace numérique du matin", "commune": "Cognac", "code_postal": "16100", "adresse": "2 rue Basse",
     "date_maj": "2026-01-01"},
]
NO_CHANGE = {"structures": 0, "reponses": 0, "appels": 0, "relances": 0, "conflits": 0}


def add_lieux(store: Store) -> list[str]:
    """The three structures, created by « alice »; their ids in order."""
    ids = []
    with store.atomic() as con:
        for data in LIEUX:
            structure, issues = create_structure(con, data, by="alice")
            assert structure is not None, issues
            ids.append(structure.id)
    return ids


class Hub:
    """One spreadsheet of the emulator and a way to sync a store with it (as the app does)."""

    def __init__(self, emulator: SheetsEmulator, **transport_options) -> None:
        self.emulator = emulator
        self.sid = emulator.create_spreadsheet("Hub Maillage")
        settings = hub_settings({"connections": {"gsheets": {"emulator": emulator.url, "spreadsheet": self.sid}}},
                                environ={})
        self.client, self.transport = open_hub_client(settings, transport_options=transport_options or None)

    def sync(self, store: Store, **kwargs) -> SyncReport:
        return sync_hub(store, self.client, self.sid, stats=self.transport.stats, **kwargs)

    def line_of(self, tab: str, row_id: str) -> int:
        """The 1-based line of a record in a tab."""
        rows = self.emulator.values(self.sid, tab)
        return next(index for index, row in enumerate(rows, start=1) if row and row[0] == row_id)

    def column_of(self, tab: str, name: str) -> int:
        return self.emulator.values(self.sid, tab)[0].index(name) + 1

    def cell(self, tab: str, row_id: str, name: str) -> str:
        rows = self.emulator.values(self.sid, tab)
        return rows[self.line_of(tab, row_id) - 1][rows[0].index(name)]

    def human_edit(self, tab: str, row_id: str, name: str, value: str) -> None:
        self.emulator.human_edit(self.sid, tab, self.line_of(tab, row_id), self.column_of(tab, name), value)

    def human_delete(self, tab: str, row_id: str) -> None:
        self.emulator.human_delete_row(self.sid, tab, self.line_of(tab, row_id))


@pytest.fixture
def lieux(store: Store) -> list[str]:
    return add_lieux(store)


@pytest.fixture
def hub(emulator: SheetsEmulator) -> Hub:
    return Hub(emulator)


def overview(store: Store, hub: Hub):
    with store.connect() as con:
        return hub_overview(con, hub.sid)


def edit(store: Store, structure_id: str, **changes) -> None:
    with store.atomic() as con:
        saved, issues = update_structure(con, structure_id, changes, by="alice")
    assert saved is not None, issues


# -- the overview after 0, 1 and 2 syncs -------------------------------------------------------------


@pytest.mark.parametrize("syncs", [0, 1, 2])
def test_the_overview_shows_what_the_runs_recorded(store, lieux, hub, syncs):
    reports = [hub.sync(store) for _ in range(syncs)]
    seen = overview(store, hub)
    with store.connect() as con:
        runs = recent_runs(con, hub.sid)

    assert [run["id"] for run in runs] == [report.run_id for report in reversed(reports)]
    for run, report in zip(runs, reversed(reports), strict=True):
        assert run["statut"] == report.status == "terminee"
        assert run["statut_libelle"] == "terminée"
        assert (run["requetes"], run["reessais"]) == (report.requests, report.retries)
        assert (run["octets_envoyes"], run["octets_recus"]) == (report.bytes_sent, report.bytes_received)
        assert run["cpu_secondes"] == report.cpu_seconds
        assert run["bilan"] == report.summary()
        assert run["debut"].tzinfo is not None and run["fin"] >= run["debut"]
    assert seen.open_conflicts == seen.pending_deletions == 0
    assert seen.previous_cut is False
    if syncs == 0:
        assert seen.never_synced and seen.last_run is None and seen.last_sync_at is None
        assert seen.waiting == {**NO_CHANGE, "structures": 3} and seen.waiting_total == 3
        return
    assert seen.last_run == runs[0]
    assert seen.last_sync_at == runs[0]["fin"]
    assert seen.waiting == NO_CHANGE and seen.waiting_total == 0
    first = runs[-1]
    assert first["bilan"]["new_in_sheet"] == 3
    assert first["resume"] == ("envoyé : 0 valeur, 3 lignes ;"
                               " onglets créés : structures, reponses, appels, relances, conflits")
    assert first["requetes"] == 4  # the tabs created, one read, one write, the check of what was written
    assert len(hub.emulator.values(hub.sid, "structures")) == 1 + 3
    if syncs == 2:
        assert runs[0]["bilan"]["new_in_sheet"] == 0 and runs[0]["resume"] == "Aucun changement."


def test_an_idle_sync_costs_one_request_and_says_so(store, lieux, hub):
    hub.sync(store)
    hub.sync(store)  # the first run wrote: the second reads the sheet once to learn its modifiedTime
    idle = hub.sync(store)
    seen = overview(store, hub)
    assert idle.status == "rien_a_faire" and idle.requests == 1
    assert seen.last_run["statut_libelle"] == "rien à faire"
    assert seen.last_run["requetes"] == 1
    assert seen.last_run["resume"] == "Rien à synchroniser."
    assert seen.last_sync_at == seen.last_run["fin"]


def test_the_journal_of_a_run_lists_its_steps_in_french(store, lieux, hub):
    report = hub.sync(store)
    with store.connect() as con:
        steps = run_journal(con, report.run_id)
    assert [step["etape"] for step in steps] == [
        "debut", "modifications_locales", "onglets_crees", "lecture", "ecriture", "fin"]  # appends need no check
    assert steps[0]["etape_libelle"] == "Début" and steps[-1]["etape_libelle"] == "Fin"
    assert steps[1]["details"]["structures"] == 3
    assert steps[1]["details_texte"] == "structures 3"
    assert steps[2]["details_texte"] == "onglets : structures, reponses, appels, relances, conflits"
    assert steps[-1]["details_texte"] == "statut : terminée"
    assert all(step["moment"].tzinfo is not None for step in steps)
    assert [s["moment"] for s in steps] == sorted(s["moment"] for s in steps)


# -- changes on either side ------------------------------------------------------------------------


def test_a_human_edit_in_the_sheet_waits_nothing_here_then_comes_in(store, lieux, hub):
    hub.sync(store)
    hub.human_edit("structures", lieux[1], "complement_adresse", "Bâtiment B")
    before = overview(store, hub)
    assert before.waiting_total == 0  # nothing changed on this device: the sheet's change is not known yet

    report = hub.sync(store)
    after = overview(store, hub)
    assert report.to_store == 1
    assert after.last_run["bilan"]["to_store"] == 1
    assert after.last_run["resume"] == "reçu : 1 valeur, 0 ligne"
    assert after.waiting_total == 0 and after.open_conflicts == 0
    with store.connect() as con:
        (complement,) = con.execute("SELECT complement_adresse FROM structures WHERE id = ?", [lieux[1]]).fetchone()
    assert complement == "Bâtiment B"


def test_a_local_edit_is_counted_as_waiting_until_the_next_sync(store, lieux, hub):
    hub.sync(store)
    edit(store, lieux[0], adresse="3 rue du Port")
    edit(store, lieux[2], horaires="Mo-Fr 08:00-12:00")
    waiting = overview(store, hub)
    assert waiting.waiting == {**NO_CHANGE, "structures": 2} and waiting.waiting_total == 2

    report = hub.sync(store)
    assert report.to_sheet == 2
    assert overview(store, hub).waiting_total == 0
    assert hub.cell("structures", lieux[0], "adresse") == "3 rue du Port"


# -- conflicts and deletions -----------------------------------------------------------------------


def test_a_conflict_is_counted_and_described_then_resolved(store, lieux, hub):
    hub.sync(store)
    edit(store, lieux[0], adresse="3 rue du Port")
    hub.human_edit("structures", lieux[0], "adresse", "5 rue du Port")
    hub.sync(store)

    seen = overview(store, hub)
    assert seen.open_conflicts == 1
    with store.connect() as con:
        (row,) = conflict_rows(con, hub.sid)
    assert row["libelle"] == "CCAS de Cognac (Cognac)"
    assert (row["tab"], row["colonne"], row["nature_libelle"]) == ("structures", "adresse", "conflit")
    assert row["colonne_libelle"] != "adresse"  # the standard's French title
    assert (row["valeur_base"], row["valeur_appareil"], row["valeur_feuille"]) == (
        "1 rue du Port", "3 rue du Port", "5 rue du Port")
    assert row["valeur_actuelle"] == "5 rue du Port"  # the sheet's value is kept until a decision
    assert row["choix"] == ["feuille", "appareil", "autre"]
    assert (row["appareil_par"], row["feuille_par"]) == ("alice", "feuille partagée")
    assert row["feuille_le"].tzinfo is not None and row["appareil_le"] < row["feuille_le"]

    with store.atomic() as con:
        resolve_conflict(con, row["id"], "appareil", by="coord")
        assert conflict_rows(con, hub.sid) == []
    assert overview(store, hub).open_conflicts == 0
    assert overview(store, hub).waiting["structures"] == 1


def test_the_decisions_waiting_are_split_into_refused_values_conflicts_and_deletions(store, lieux, hub):
    hub.sync(store)
    with store.connect() as con:
        assert pending_decisions(con, hub.sid).empty
    edit(store, lieux[0], adresse="3 rue du Port")
    hub.human_edit("structures", lieux[0], "adresse", "5 rue du Port")
    hub.human_edit("structures", lieux[1], "code_postal", "ABCDE")
    hub.human_delete("structures", lieux[2])
    hub.sync(store)
    with store.connect() as con:
        pending = pending_decisions(con, hub.sid)
    assert not pending.empty
    assert [(r["row_id"], r["colonne"]) for r in pending.conflicts] == [(lieux[0], "adresse")]
    assert [(r["row_id"], r["colonne"], r["valeur_feuille"]) for r in pending.refused_lines] == [
        (lieux[1], "code_postal", "ABCDE")]
    assert [r["row_id"] for r in pending.deletions] == [lieux[2]]


@pytest.mark.parametrize("confirm", [True, False])
def test_a_line_deleted_in_the_sheet_waits_for_a_decision(store, lieux, hub, confirm):
    hub.sync(store)
    hub.human_delete("structures", lieux[1])
    report = hub.sync(store)
    assert report.deletions == 1

    seen = overview(store, hub)
    assert seen.pending_deletions == 1
    assert seen.last_run["resume"] == "1 suppression à confirmer"
    with store.connect() as con:
        (row,) = deletion_rows(con, hub.sid)
    assert (row["tab"], row["row_id"], row["libelle"]) == ("structures", lieux[1], "Médiathèque de Cognac (Cognac)")
    assert row["marque_supprimee"] is True

    with store.atomic() as con:
        decide_deletion(con, hub.sid, "structures", lieux[1], confirm=confirm, by="coord")
        assert deletion_rows(con, hub.sid) == []
    decided = overview(store, hub)
    assert decided.pending_deletions == 0
    assert decided.waiting["structures"] == 1  # the line goes back to the sheet at the next sync

    hub.sync(store)
    assert overview(store, hub).waiting_total == 0
    deleted_at = hub.cell("structures", lieux[1], "deleted_at")
    assert (deleted_at != "") is confirm  # confirmed: back as deleted, which tells the other devices


# -- runs that did not finish ----------------------------------------------------------------------


class Killed(BaseException):
    """The process stopped mid-run (not an Exception: the run cannot record its end)."""


@pytest.mark.parametrize("cut", ["killed", "dropped"])
def test_a_cut_run_is_shown_and_the_last_good_sync_stays(store, lieux, emulator, cut):
    hub = Hub(emulator, max_tries=1, sleep=lambda _: None)
    good = hub.sync(store)
    edit(store, lieux[0], adresse="3 rue du Port")
    if cut == "killed":
        def stop(label, share):
            if label == "Écriture dans le classeur":
                raise Killed
        with pytest.raises(Killed):
            hub.sync(store, progress=stop)
    else:
        emulator.drop_next()
        with pytest.raises(TransportError):
            hub.sync(store)

    seen = overview(store, hub)
    assert seen.previous_cut is True
    assert seen.last_run["statut"] == {"killed": "en_cours", "dropped": "interrompue"}[cut]
    assert seen.last_run["statut_libelle"] == RUN_STATUS_LABELS[seen.last_run["statut"]]
    with store.connect() as con:
        (first,) = [run for run in recent_runs(con, hub.sid) if run["id"] == good.run_id]
    assert seen.last_sync_at == first["fin"]
    assert seen.waiting["structures"] == 1

    hub.sync(store)  # the next run completes the work
    after = overview(store, hub)
    assert after.previous_cut is False and after.waiting_total == 0
    assert hub.cell("structures", lieux[0], "adresse") == "3 rue du Port"
    with store.connect() as con:
        statuses = [run["statut"] for run in recent_runs(con, hub.sid)]
    assert statuses == ["terminee", "interrompue", "terminee"]


# -- French texts ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("statut", "label"), [
    ("terminee", "terminée"), ("rien_a_faire", "rien à faire"),
    ("interrompue", "interrompue (reprise à la suivante)"),
    ("erreur", "erreur"), ("en_cours", "en cours"),
])
def test_run_statuses_read_in_french(statut, label):
    assert run_status_label(statut) == label


@pytest.mark.parametrize(("statut", "bilan", "erreur", "text"), [
    ("rien_a_faire", None, None, "Rien à synchroniser."),
    ("terminee", {"to_store": 2, "new_in_store": 1, "conflicts": 1}, None, "reçu : 2 valeurs, 1 ligne ; 1 conflit"),
    ("terminee", {"to_sheet": 1, "refused": 2, "errors": ["x"]}, None,
     "envoyé : 1 valeur, 0 ligne ; 2 modifications refusées ; 1 erreur de ligne"),
    ("erreur", {}, "Classeur introuvable.", "Classeur introuvable."),
])
def test_a_run_is_summed_up_in_one_french_line(statut, bilan, erreur, text):
    assert run_summary(statut, bilan, erreur) == text


def test_times_are_shown_in_the_given_zone(store, lieux, hub):
    from zoneinfo import ZoneInfo

    report = hub.sync(store)
    with store.connect() as con:
        (run,) = recent_runs(con, hub.sid)
    assert run["id"] == report.run_id
    paris, noumea = moment_text(run["debut"], seconds=True), moment_text(run["debut"], ZoneInfo("Pacific/Noumea"), seconds=True)
    assert paris == run["debut"].astimezone(ZoneInfo("Europe/Paris")).strftime("%d/%m/%Y à %H:%M:%S")
    assert noumea == run["debut"].astimezone(ZoneInfo("Pacific/Noumea")).strftime("%d/%m/%Y à %H:%M:%S")
    with pytest.raises(ValueError):
        moment_text(run["debut"].replace(tzinfo=None))
