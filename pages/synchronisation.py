"""Page « Synchronisation »: this device and the shared Google Sheet (the hub), both ways.

The hub is found by ``sync.credentials.hub_settings`` in the ``[connections.gsheets]`` table of
``.streamlit/secrets.toml`` (or the environment); without it the page says, in French, what to
write there. Otherwise it shows where this device stands (``sync.status.hub_overview``: last
sync, changes waiting per tab, conflicts and deletions waiting, requests of the last run), runs a
sync on demand (``sync.hub.sync_hub``, with a progress bar fed by its ``progress`` callback and
the transport's request count), and lists the recent runs with the journal of the last one.
A refused access, an unknown spreadsheet or a network failure is shown as the French error the
core raises: nothing is lost, the next sync completes what a cut run began.
"""

from __future__ import annotations

from dataclasses import asdict

import pandas as pd
import streamlit as st

from models.errors import MaillageError
from models.moments import moment_text
from models.text import counted
from sync.credentials import (
    ENV_CREDENTIALS,
    ENV_EMULATOR,
    ENV_SPREADSHEET,
    HubConfigError,
    HubSettings,
    hub_settings,
    open_hub_client,
)
from sync.hub import sync_hub
from sync.status import hub_overview, recent_runs, run_journal
from ui.shared import current_user, get_store, page_setup, viewer_zone

REPORT = "synchronisation.rapport"  # the last report of a sync run from this page, by spreadsheet id
CONFLICTS_PAGE = "pages/conflits.py"
SECRETS_EXAMPLE = """# .streamlit/secrets.toml (à côté de app.py ; ne le partagez pas, ne le versionnez pas)
[connections.gsheets]
spreadsheet = "https://docs.google.com/spreadsheets/d/<identifiant>/edit"
service_account_file = "cle-compte-de-service.json"   # ou les champs de la clé : type, client_email, private_key…
"""
EMULATOR_EXAMPLE = """# Pour essayer sans compte Google : lancez « maillage dev sheets-emulator », puis
[connections.gsheets]
spreadsheet = "<identifiant affiché par l'émulateur>"
emulator = "http://127.0.0.1:8765"
"""


def _size(count: int | None) -> str:
    """A number of bytes as people read it: « 12,3 ko »."""
    count = int(count or 0)
    for unit, scale in (("Mo", 1_000_000), ("ko", 1_000)):
        if count >= scale:
            return f"{count / scale:.1f}".replace(".", ",") + f" {unit}"
    return f"{count} o"


def _when(moment) -> str:
    return moment_text(moment, viewer_zone(), seconds=True)


def _run(settings: HubSettings) -> None:
    """Run one sync with a progress bar; keep its outcome for the next draw, then redraw."""
    bar = st.progress(0.0, text="Connexion au classeur…")
    transport = None
    outcome: dict = {"spreadsheet_id": settings.spreadsheet_id}
    try:
        client, transport = open_hub_client(settings)
        start = transport.stats.requests

        def progress(label: str, share: float) -> None:
            used = transport.stats.requests - start
            bar.progress(min(max(share, 0.0), 1.0), text=f"{label} · {counted(used, 'requête')}")

        report = sync_hub(get_store(), client, settings.spreadsheet_id, by=current_user(), stats=transport.stats,
                          progress=progress)
        outcome.update(asdict(report), kind="success")
    except MaillageError as error:
        outcome.update(kind="error", message=str(error))
    except Exception as error:  # noqa: BLE001 - never a crash: the journal keeps the run, the person sees what happened
        outcome.update(kind="error", message=f"Erreur inattendue pendant la synchronisation ({type(error).__name__} :"
                                             f" {error}) ; rien n'est perdu, la prochaine synchronisation reprendra.")
    finally:
        if transport is not None:
            transport.close()
    st.session_state[REPORT] = outcome
    st.rerun()


def _show_report(spreadsheet_id: str) -> None:
    report = st.session_state.get(REPORT)
    if not report or report.get("spreadsheet_id") != spreadsheet_id:
        return
    if report["kind"] == "error":
        st.error(report["message"], icon=":material/sync_problem:")
        return
    st.success(report["message"], icon=":material/cloud_done:")
    for error in report.get("errors") or []:
        st.warning(error, icon=":material/warning:")
    st.caption(f"Cette synchronisation : {counted(report['requests'], 'requête')}"
               + (f" dont {report['retries']} réessai(s)" if report.get("retries") else "")
               + f" · envoyé {_size(report['bytes_sent'])} · reçu {_size(report['bytes_received'])}"
               + f" · {report['cpu_seconds']:.2f} s de calcul".replace(".", ","))


def _show_not_configured(error: HubConfigError) -> None:
    st.error(str(error), icon=":material/settings_alert:")
    st.markdown(
        "Pour synchroniser cet appareil avec le classeur Google Sheets partagé, ajoutez au fichier"
        " `.streamlit/secrets.toml` une table `[connections.gsheets]` avec l'adresse du classeur (`spreadsheet`)"
        " et la clé du compte de service (ses champs, ou `service_account_file` : le chemin du fichier JSON), puis"
        " rechargez la page. Le classeur doit être partagé, en Éditeur, avec l'adresse `client_email` de la clé."
    )
    st.code(SECRETS_EXAMPLE, language="toml")
    st.markdown(f"Les variables d'environnement `{ENV_SPREADSHEET}` et `{ENV_CREDENTIALS}` (chemin de la clé)"
                f" remplacent ces réglages. Pour essayer sans compte Google, avec l'émulateur local"
                f" (ou la variable `{ENV_EMULATOR}`) :")
    st.code(EMULATOR_EXAMPLE, language="toml")


# -- the page --------------------------------------------------------------------------------------

page_setup("synchroniser")
st.title("Synchronisation")
store = get_store()

try:
    settings = hub_settings(st.secrets)
except HubConfigError as error:
    _show_not_configured(error)
    st.stop()

sid = settings.spreadsheet_id
if settings.emulator_url:
    st.markdown(f"Classeur : `{sid}` sur l'émulateur local [{settings.emulator_url}]({settings.emulator_url})"
                " (aucune donnée n'est envoyée à Google).")
else:
    st.markdown(f"Classeur : [{sid}]({settings.spreadsheet_url})")
st.caption(f"Accès : {settings.credentials_origin}."
           + (f" Le classeur doit être partagé avec {settings.client_email}." if settings.client_email else ""))

with store.connect() as con:
    overview = hub_overview(con, sid)
    runs = recent_runs(con, sid)
    journal = run_journal(con, overview.last_run["id"]) if overview.last_run else []

if overview.previous_cut:
    st.warning("La dernière synchronisation ne s'est pas terminée (coupée, ou encore en cours sur un autre onglet) :"
               " la prochaine reprendra son travail ; rien n'est perdu.", icon=":material/sync_problem:")

last = overview.last_run
columns = st.columns(5)
columns[0].metric("Dernière synchronisation", _when(overview.last_sync_at) if overview.last_sync_at else "jamais")
columns[1].metric("Modifications en attente", overview.waiting_total)
columns[2].metric("Conflits ouverts", overview.open_conflicts)
columns[3].metric("Suppressions à confirmer", overview.pending_deletions)
columns[4].metric("Requêtes (dernière synchronisation)",
                  last["requetes"] if last and last["requetes"] is not None else "—")
waiting = {tab: count for tab, count in overview.waiting.items() if count}
st.caption("À envoyer au classeur : " + (" · ".join(f"{tab} : {count}" for tab, count in waiting.items())
                                        if waiting else "rien, cet appareil n'a pas de modification en attente."))
if overview.open_conflicts or overview.pending_deletions:
    st.page_link(CONFLICTS_PAGE, label="Trancher les conflits et les suppressions", icon=":material/call_split:")

if st.button("Synchroniser maintenant", type="primary", icon=":material/sync:", key="synchronisation.lancer"):
    _run(settings)
_show_report(sid)

st.subheader("Synchronisations récentes")
if not runs:
    st.caption("Aucune synchronisation avec ce classeur depuis cet appareil.")
else:
    st.dataframe(pd.DataFrame([
        {"Début": _when(run["debut"]), "Fin": _when(run["fin"]), "Statut": run["statut_libelle"],
         "Requêtes": run["requetes"], "Octets envoyés": run["octets_envoyes"], "Octets reçus": run["octets_recus"],
         "CPU (s)": run["cpu_secondes"], "Résumé": run["resume"], "Par": run["par"]}
        for run in runs
    ]), hide_index=True)
    with st.expander(f"Journal de la dernière synchronisation ({last['statut_libelle']})"):
        st.dataframe(pd.DataFrame([
            {"Étape": step["etape_libelle"], "Heure": _when(step["moment"]), "Détails": step["details_texte"]}
            for step in journal
        ]), hide_index=True)
        if last["erreur"]:
            st.caption(f"Erreur : {last['erreur']}")
