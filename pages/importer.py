"""Page « Import »: upload a file, simulate the import (always first), read what happens to every
column (field, how it was found, samples) and to every value that is translated, correct either,
save what was confirmed as the source's import profile, read the anomalies, then import.

The uploaded bytes, the person's choices and the simulation's report are kept in
``st.session_state``: the confirm step (and a visit to another page and back) never needs the file
again. Every rule lives in the core (``collect.imports``, ``collect.import_profiles``).

A simulation or an import runs off the page's thread (``collect.import_jobs``): the session keeps only
the job's id; the page shows its progress (« Lignes préparées : X / Y ») and « Annuler », polling it
every second with a fragment, which also keeps the job alive; a closed tab stops polling and the job
cancels itself. A small file is done within ``QUICK_WAIT``: its report shows without a progress bar.
"""

from __future__ import annotations

from datetime import date
from pathlib import PurePath
from typing import Any

import pandas as pd
import streamlit as st

from collect.column_plan import KEPT_ASIDE, TARGET_FIELDS
from collect.import_jobs import CANCELLED, WAITING, JobStatus, jobs
from collect.import_jobs import DONE as JOB_DONE
from collect.import_profiles import list_profiles, save_profile
from collect.imports import STEP_PLAN, STEP_PREPARE, STEP_WRITE, ImportReport, profile_from_report
from collect.translations import parse_targets
from collect.uploads import spool_upload
from models.errors import MaillageError
from models.text import counted
from ui.shared import csv_bytes, current_user, get_store, page_setup, run_action, show_flash

ACCEPTED_TYPES = ["csv", "tsv", "txt", "xlsx", "json"]
NO_FIELD = "(aucun champ)"  # a column matching no field: its values are kept aside on each structure
IGNORE = "(ignorer)"  # a column left out of the import altogether
MODES = ("Importer les lignes valides", "Tout ou rien")
METRICS = ("nouvelles", "mises à jour", "inchangées", "doublons possibles", "rejetées", "avertissements")
AUTOMATIC = "Reconnu d'après l'en-tête"  # profile choice: the one the file's header makes recognise
NO_PROFILE = "Aucun profil"

# Session-state keys of this page.
FILE = "import.fichier_recu"  # {"name", "spool": SpooledUpload (the bytes on disk), "file_id"}
SIMULATION = "import.simulation"  # {"report", "sheet", "mapping"}
MAPPING = "import.correspondance"  # column → field (None: ignored), the person's overrides
ERROR = "import.erreur"  # French message of the last failure (file not a table, rejected import…)
DONE = "import.resultat"  # summary of the last import written
EDITOR_VERSION = "import.version_editeur"
UPLOADER = "import.televersement"
RESIMULATE = "import.resimuler"  # set by a callback: simulate again on this run
IMPORT_ERROR = "import.erreur_import"  # French message of a failed import (e.g. « tout ou rien » refused)
CORRECTIONS = "import.traductions"  # column → value → [(field, code)…], the person's translations
PROFILE_CHOICE = "import.profil"  # AUTOMATIC, NO_PROFILE or a profile's name
FILE_DATE = "import.date_fichier"  # the date of the file, for lieux without their own date
TRANSLATION_VERSION = "import.version_traductions"
FLASH = "import.message"
JOB = "import.travail"  # {"id", "kind", "sheet", "mapping"}: the simulation or import running off the page
CANCEL_NOTE = "import.annulation"  # French message of the last job cancelled

SIMULATION_KIND, IMPORT_KIND = "simulation", "import"
QUICK_WAIT = 1.0  # seconds the page waits for a job before showing its progress (a small file is done by then)
POLL_EVERY = 1.0  # seconds between two looks at a running job


# -- state ------------------------------------------------------------------------------------------


def _drop_job() -> None:
    """Cancel this page's running job (if any) and forget it."""
    job = st.session_state.pop(JOB, None)
    if job:
        jobs().forget(job["id"])


def _reset(*, keep_file: bool = True) -> None:
    _drop_job()
    for key in (SIMULATION, MAPPING, ERROR, IMPORT_ERROR, DONE, CORRECTIONS, CANCEL_NOTE):
        st.session_state.pop(key, None)
    if not keep_file:
        _discard(st.session_state.pop(FILE, None))


def _discard(upload: dict[str, Any] | None) -> None:
    if upload is not None:
        upload["spool"].discard()


def _remember(uploaded: Any) -> None:
    """Keep an uploaded file (on disk: ``collect.uploads``), forgetting the previous file and what was found about it."""
    _reset(keep_file=False)
    st.session_state[FILE] = {"name": uploaded.name, "spool": spool_upload(uploaded, uploaded.name),
                              "file_id": uploaded.file_id}


def _upload_changed() -> None:
    uploaded = st.session_state.get(UPLOADER)
    if uploaded is None:
        _reset(keep_file=False)
    else:
        _remember(uploaded)


def _forget_file() -> None:
    _reset(keep_file=False)


def _size_text(size: int) -> str:
    if size < 1024:
        return f"{size} octets"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} ko".replace(".", ",")
    return f"{size / 1024 / 1024:.1f} Mo".replace(".", ",")


# -- the two steps, run off the page's thread --------------------------------------------------------


def _options() -> dict[str, Any]:
    """The person's choices that every simulation and the import share."""
    choice = st.session_state.get(PROFILE_CHOICE, AUTOMATIC)
    return {
        "profile": None if choice in (AUTOMATIC, NO_PROFILE) else choice,
        "use_profile": choice != NO_PROFILE,
        "translations": st.session_state.get(CORRECTIONS) or None,
        "date_maj": st.session_state.get(FILE_DATE),
    }


def _start(kind: str, upload: dict[str, Any], *, sheet: str | None, mapping: dict[str, str | None],
           **options: Any) -> None:
    """Start a simulation or an import of the uploaded bytes on a worker thread (the previous job of
    this page is cancelled); wait a moment, so that a small file's outcome shows at once."""
    _drop_job()
    st.session_state.pop(CANCEL_NOTE, None)
    try:
        job = jobs().start_import(get_store(), upload["spool"], upload["name"], sheet=sheet, mapping=mapping or None,
                                  by=current_user(), kind=kind, **_options(), **options)
    except MaillageError as error:
        st.session_state[ERROR if kind == SIMULATION_KIND else IMPORT_ERROR] = str(error)
        return
    st.session_state[JOB] = {"id": job.id, "kind": kind, "sheet": sheet, "mapping": dict(mapping)}
    job.wait(QUICK_WAIT)


def simulate(upload: dict[str, Any], *, sheet: str | None, mapping: dict[str, str | None]) -> None:
    """Dry-run the import of the uploaded bytes (its report, or French error, comes with ``_take_outcome``)."""
    _start(SIMULATION_KIND, upload, sheet=sheet, mapping=mapping, dry_run=True)


def run_import(upload: dict[str, Any], *, sheet: str | None, mapping: dict[str, str | None],
               all_or_nothing: bool) -> None:
    """Import the uploaded bytes for real (one transaction, off the page's thread)."""
    _start(IMPORT_KIND, upload, sheet=sheet, mapping=mapping, dry_run=False, all_or_nothing=all_or_nothing)


def _take_outcome(job: dict[str, Any], status: JobStatus) -> None:
    """Keep what a finished job found (the report, a summary or a French message); not the job."""
    simulation = job["kind"] == SIMULATION_KIND
    if status.state == JOB_DONE and simulation:
        for key in (ERROR, IMPORT_ERROR, DONE):
            st.session_state.pop(key, None)
        st.session_state[SIMULATION] = {"report": status.report, "sheet": job["sheet"], "mapping": job["mapping"]}
        st.session_state[EDITOR_VERSION] = st.session_state.get(EDITOR_VERSION, 0) + 1
        st.session_state[TRANSLATION_VERSION] = st.session_state.get(TRANSLATION_VERSION, 0) + 1
    elif status.state == JOB_DONE:
        st.session_state.pop(SIMULATION, None)
        st.session_state.pop(IMPORT_ERROR, None)
        st.session_state[DONE] = status.report.summary()
    elif status.state == CANCELLED:
        st.session_state[CANCEL_NOTE] = ("Simulation annulée." if simulation
                                         else "Import annulé : rien n'a été enregistré.")
    elif simulation:
        st.session_state.pop(SIMULATION, None)
        st.session_state[ERROR] = status.message
    else:
        st.session_state[IMPORT_ERROR] = status.message


def _progress_text(kind: str, status: JobStatus) -> str:
    head = "Simulation" if kind == SIMULATION_KIND else "Import"
    if status.cancelling:
        return f"{head} : annulation en cours…"
    if status.state == WAITING:
        return f"{head} en attente : une autre importation est en cours sur ce serveur."
    if status.step == STEP_PREPARE and status.total:
        return f"{head} — Lignes préparées : {status.done} / {status.total}"
    if status.step == STEP_PLAN:
        return f"{head} — Comparaison avec la base…"
    if status.step == STEP_WRITE:
        return f"{head} — Enregistrement…"
    return f"{head} — {status.step}…"


def _cancel_job() -> None:
    job = st.session_state.get(JOB)
    if job:
        jobs().cancel(job["id"])


@st.fragment(run_every=POLL_EVERY)
def _job_panel(job: dict[str, Any]) -> None:
    """The running job's progress and « Annuler », redrawn every second (each look keeps it alive)."""
    status = jobs().poll(job["id"])
    if status is None or status.finished:
        st.rerun()  # the whole page takes the outcome
    st.progress(status.fraction, text=_progress_text(job["kind"], status))
    if status.step == STEP_WRITE:
        st.caption("L'enregistrement a commencé : il va jusqu'au bout (une seule transaction).")
    else:
        st.button("Annuler", key="import.annuler", on_click=_cancel_job, disabled=status.cancelling)


def _follow_job() -> None:
    """Take a finished job's outcome, or show the running one and stop the page there."""
    job = st.session_state.get(JOB)
    if not job:
        return
    status = jobs().poll(job["id"])
    if status is None:  # forgotten (the server restarted, or the page stayed away too long)
        st.session_state.pop(JOB, None)
        st.session_state[ERROR if job["kind"] == SIMULATION_KIND else IMPORT_ERROR] = (
            "L'opération en cours a été interrompue ; rien n'a été enregistré. Relancez-la.")
        return
    if status.finished:
        jobs().finish(job["id"])
        st.session_state.pop(JOB, None)
        _take_outcome(job, status)
        st.rerun()  # draw the page (and the sidebar's count) with the outcome
    _job_panel(job)
    st.stop()


# -- rendering --------------------------------------------------------------------------------------


def _metrics(report: ImportReport) -> None:
    counts = report.counts()
    details = [f"{counted(report.rows_read, 'ligne lue', 'lignes lues')}", f"format {report.format}"]
    if report.encoding:
        details.append(f"encodage {report.encoding}")
    if report.delimiter:
        details.append("séparateur « " + ("tabulation" if report.delimiter == "\t" else report.delimiter) + " »")
    if report.sheet:
        details.append(f"feuille « {report.sheet} »")
    st.caption(f"Simulation de {report.file} : " + ", ".join(details) + ". Rien n'a encore été enregistré.")
    for column, name in zip(st.columns(len(METRICS)), METRICS, strict=True):
        column.metric(name.capitalize(), counts[name], border=True)


COLUMN_TABLE = ["Colonne du fichier", "Champ", "Trouvée", "Raison", "Exemples"]


def _mapping_rows(report: ImportReport) -> pd.DataFrame:
    """Every column of the file: its field (or kept aside / left out), how it was found, three samples."""
    rows = []
    for use in report.columns:
        field = IGNORE if use.ignored else (use.field or NO_FIELD)
        found = "" if use.ignored or use.field is None else use.fate.split(" (", 1)[-1].rstrip(")")
        rows.append((use.column, field, found, use.reason, " | ".join(use.samples)))
    return pd.DataFrame(rows, columns=COLUMN_TABLE)


def _mapping_editor(upload: dict[str, Any], simulation: dict[str, Any]) -> None:
    report: ImportReport = simulation["report"]
    st.subheader("Correspondance des colonnes")
    st.caption(
        "Chaque colonne du fichier, le champ qu'elle remplit et comment il a été trouvé (par le nom, par le "
        "contenu, par le profil ou par vous), avec trois exemples. Changez un champ pour corriger : la simulation "
        f"est relancée. {NO_FIELD} : valeurs conservées à part sur chaque fiche ; {IGNORE} : colonne écartée."
    )
    detected = _mapping_rows(report)
    edited = st.data_editor(
        detected,
        key=f"import.editeur.{st.session_state.get(EDITOR_VERSION, 0)}",
        hide_index=True,
        num_rows="fixed",
        disabled=["Colonne du fichier", "Trouvée", "Raison", "Exemples"],
        column_config={
            "Colonne du fichier": st.column_config.TextColumn(),
            "Champ": st.column_config.SelectboxColumn(options=[*TARGET_FIELDS, NO_FIELD, IGNORE], required=True),
        },
    )
    changes: dict[str, str | None] = {}
    for (column, before, *_), after in zip(detected.itertuples(index=False), edited["Champ"], strict=True):
        if after != before and after:
            changes[column] = {NO_FIELD: KEPT_ASIDE, IGNORE: None}.get(after, after)
    if simulation["mapping"] or st.session_state.get(CORRECTIONS):
        st.button("Rétablir la correspondance détectée", key="import.retablir", on_click=_restore_detected)
    if changes:
        mapping = {**simulation["mapping"], **changes}
        st.session_state[MAPPING] = mapping
        simulate(upload, sheet=simulation["sheet"], mapping=mapping)
        st.rerun()


TRANSLATION_TABLE = ["Colonne", "Champ", "Valeur", "Lignes", "Traduction", "Comment"]


def _translation_rows(report: ImportReport) -> pd.DataFrame:
    rows = [(t.column, t.field, t.value, t.count, t.targets_text(), t.how if not t.unknown else "aucune : conservée à part")
            for t in report.translations]
    return pd.DataFrame(rows, columns=TRANSLATION_TABLE)


def _translations_editor(upload: dict[str, Any], simulation: dict[str, Any]) -> None:
    """Each distinct value of the translated columns, what it becomes, and the person's corrections."""
    report: ImportReport = simulation["report"]
    if not report.translations:
        return
    st.subheader("Traduction des valeurs")
    st.caption(
        "Les mots du fichier et les codes du standard qu'ils donnent (typologie, services, publics, modalités, "
        "statut…). Corrigez une traduction (plusieurs codes séparés par « ; », vide : ne donne rien) : la "
        "simulation est relancée. Une valeur sans traduction est conservée à part sur chaque fiche."
    )
    shown = _translation_rows(report)
    edited = st.data_editor(
        shown, key=f"import.traductions.{st.session_state.get(TRANSLATION_VERSION, 0)}", hide_index=True,
        num_rows="fixed", disabled=["Colonne", "Champ", "Valeur", "Lignes", "Comment"],
        column_config={"Lignes": st.column_config.NumberColumn(format="%d")},
    )
    corrections = {c: dict(v) for c, v in (st.session_state.get(CORRECTIONS) or {}).items()}
    changed = False
    for (column, field, value, _count, before, _how), after in zip(
        shown.itertuples(index=False), edited["Traduction"], strict=True
    ):
        after = after if isinstance(after, str) else ""  # a cleared cell comes back as None or NaN
        if after == before:
            continue
        try:
            targets = parse_targets(field, after)
        except ValueError as error:
            st.error(f"Colonne « {column} », valeur « {value} » : {error}")
            continue
        corrections.setdefault(column, {})[value] = [list(t) for t in targets]
        changed = True
    if changed:
        st.session_state[CORRECTIONS] = corrections
        simulate(upload, sheet=simulation["sheet"], mapping=simulation["mapping"])
        st.rerun()


def _profile_section(simulation: dict[str, Any], upload: dict[str, Any]) -> None:
    """The profile applied, and saving what was confirmed as this source's profile."""
    report: ImportReport = simulation["report"]
    st.subheader("Profil d'import")
    if report.profile:
        how = "reconnu d'après l'en-tête du fichier" if report.profile_recognised else "choisi"
        st.info(f"Profil « {report.profile} » appliqué ({how}) : ses choix de colonnes et de traductions sont "
                "repris ci-dessus, et restent modifiables.")
    else:
        st.caption("Aucun profil appliqué. Enregistrez vos choix pour que le prochain fichier de cette source "
                   "(même en-tête) soit reconnu et traité de la même façon.")
    left, right = st.columns([3, 1])
    name = left.text_input("Nom du profil", value=report.profile or PurePath(upload["name"]).stem,
                           key="import.nom_profil")
    right.write("")
    if right.button("Enregistrer comme profil", key="import.enregistrer_profil"):
        # Built inside the action: a blank or too long name is the core's French ProfileError, shown as such.
        run_action(FLASH, lambda con: save_profile(con, profile_from_report(report, name), by=current_user()),
                   f"Profil d'import « {' '.join(name.split())} » enregistré : le prochain fichier de même en-tête "
                   "l'utilisera.")
        st.rerun()


def _restore_detected() -> None:
    st.session_state[MAPPING] = {}
    st.session_state[CORRECTIONS] = {}
    st.session_state[RESIMULATE] = True


def _request_simulation() -> None:
    if st.session_state.get(SIMULATION) is not None:
        st.session_state[RESIMULATE] = True


def _anomalies(report: ImportReport) -> None:
    st.subheader("Anomalies")
    rows = report.issue_rows()
    if not rows:
        st.success("Aucune anomalie : toutes les lignes sont conformes.")
        return
    counts = {"erreur": len(report.errors), "avertissement": len(report.warnings)}
    chosen = st.segmented_control(
        "Gravité",
        ["erreur", "avertissement"],
        selection_mode="multi",
        default=["erreur", "avertissement"],
        format_func=lambda severity: f"{'Erreurs' if severity == 'erreur' else 'Avertissements'} ({counts[severity]})",
        key="import.gravite",
    )
    table = pd.DataFrame(rows, columns=["fichier", "ligne", "champ", "valeur", "gravité", "message"])
    table = table[table["gravité"].isin(chosen or [])]
    st.caption(
        "Erreur : la ligne est rejetée. Avertissement : la ligne est importée, la valeur corrigée ou mise de côté."
    )
    st.dataframe(table, hide_index=True, placeholder="—",
                 column_config={"ligne": st.column_config.NumberColumn(format="%d")})
    st.download_button(
        "Télécharger ces anomalies (CSV)",
        data=csv_bytes(table),
        file_name=f"anomalies-{PurePath(report.file).stem}.csv",
        mime="text/csv",
        on_click="ignore",
        key="import.telecharger",
    )


def _confirm(upload: dict[str, Any], simulation: dict[str, Any]) -> None:
    report: ImportReport = simulation["report"]
    st.subheader("Importer")
    mode = st.radio(
        "Lignes à importer",
        MODES,
        key="import.mode",
        captions=[
            f"Les lignes rejetées ({report.rejected}) sont laissées de côté ; les autres sont enregistrées.",
            "Rien n'est enregistré si une seule ligne est rejetée.",
        ],
    )
    if st.button("Importer", type="primary", key="import.importer"):
        run_import(upload, sheet=simulation["sheet"], mapping=simulation["mapping"], all_or_nothing=mode == MODES[1])
        st.rerun()  # the outcome (or the progress) is drawn from the top
    if st.session_state.get(IMPORT_ERROR):
        st.error(st.session_state[IMPORT_ERROR])


# -- the page ---------------------------------------------------------------------------------------

page_setup("importer")
st.title("Import")
st.caption(
    "Fichiers acceptés : CSV ou texte (.csv, .tsv, .txt), Excel (.xlsx), JSON (dont les exports de la cartographie "
    "nationale). Une simulation montre d'abord ce que l'import ferait : rien n'est enregistré avant « Importer »."
)

uploaded = st.file_uploader("Fichier de structures", type=ACCEPTED_TYPES, key=UPLOADER, on_change=_upload_changed)
if uploaded is not None and st.session_state.get(FILE, {}).get("file_id") != uploaded.file_id:
    _remember(uploaded)
upload = st.session_state.get(FILE)

if st.session_state.get(DONE):
    st.success(st.session_state[DONE])
    st.page_link("pages/structures.py", label="Voir les structures", icon=":material/apartment:")

if upload is None:
    st.info("Choisissez un fichier pour commencer.")
    st.stop()

if uploaded is None:
    left, right = st.columns([4, 1])
    left.markdown(f"Fichier en cours : **{upload['name']}** ({_size_text(upload['spool'].size)})")
    right.button("Retirer ce fichier", on_click=_forget_file, key="import.retirer")

sheet = None
if upload["name"].lower().endswith(".xlsx"):
    sheet = st.text_input("Feuille du classeur", key="import.feuille", placeholder="Vide : la première feuille") or None
    sheet = sheet.strip() if sheet else None

with get_store().connect() as con:
    profile_names = [p.nom for p in list_profiles(con)]
choices = [AUTOMATIC, NO_PROFILE, *profile_names]
if st.session_state.get(PROFILE_CHOICE) not in choices:
    st.session_state[PROFILE_CHOICE] = AUTOMATIC
left, right = st.columns(2)
left.selectbox("Profil d'import", choices, key=PROFILE_CHOICE, on_change=_request_simulation)
right.date_input("Date du fichier (lieux sans date de mise à jour)", value=None, key=FILE_DATE, format="DD/MM/YYYY",
                 on_change=_request_simulation, max_value=date.today(),
                 help="Vide : la date du nom du fichier s'il en porte une, sinon la date du jour (marquée « estimée »).")

simulation = st.session_state.get(SIMULATION)
stale = simulation is not None and simulation["sheet"] != sheet
asked = st.button("Simuler l'import", type="secondary" if simulation and not stale else "primary", key="import.simuler")
if asked or st.session_state.pop(RESIMULATE, False):
    simulate(upload, sheet=sheet, mapping=st.session_state.get(MAPPING, {}))
_follow_job()  # a running job stops the page here; a finished one reruns it with its outcome
if st.session_state.get(CANCEL_NOTE):
    st.info(st.session_state[CANCEL_NOTE])

if st.session_state.get(ERROR):
    st.error(st.session_state[ERROR])

if simulation is None:
    st.stop()
if stale:
    st.info("La feuille a changé : relancez la simulation.")
    st.stop()

report = simulation["report"]
show_flash(FLASH)
_metrics(report)
if report.date_note:
    st.caption(report.date_note)
_mapping_editor(upload, simulation)
_translations_editor(upload, simulation)
_profile_section(simulation, upload)
_anomalies(report)
_confirm(upload, simulation)
