"""Page « Mes appels »: a surveyor's calls to make now, in order, and the logging of each call.

The queue comes from ``collect.calls.surveyor_queue`` (due call-backs and appointments first,
then structures never called, then retries; only structures open now in their own time zone).
Clicking a row opens the call panel: the structure's phone and local time, its previous calls,
« Ouvrir le questionnaire » (the survey page, in the same tab, back here afterwards), and the
outcome of the call, logged in one transaction. A call-back is typed in the structure's own time
and shown in the surveyor's too.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from collect.calls import (
    attempt_views,
    attempts_of,
    campaign_surveyors,
    load_cases,
    log_attempt,
    surveyor_queue,
)
from collect.campaigns import get_campaign
from dashboards.calls import assigned_to, callback_times, open_cases, upcoming_callbacks
from models.dispositions import CALLBACK_OUTCOMES, OUTCOMES_ALL, may_leave_message, outcome_rule, proposed_callback
from models.normalize import phone_display
from models.store import utc_now
from models.text import counted
from ui.shared import (
    choose_campaign,
    current_user,
    get_store,
    newly_selected_row,
    page_setup,
    run_action,
    show_flash,
    table_key,
    viewer_zone,
)

SURVEY_PAGE = "pages/enquete.py"

# Session-state keys of this page.
CAMPAIGN = "appels.campagne"
SURVEYOR = "appels.enqueteur"
CURRENT = "appels.en_cours"  # structure id of the open call panel
LAST_ROW = "appels.derniere_ligne"
OUTCOME = "appels.issue"
CALLBACK_DAY = "appels.rappel_jour"
CALLBACK_TIME = "appels.rappel_heure"
NOTE = "appels.note"
FLASH = "appels.message"
LAST_CALL = "appels.dernier_appel"  # French line telling the last call logged in this session




def _choose_surveyor(store, campaign_id: str) -> str:
    with store.connect() as con:
        assigned = campaign_surveyors(con, campaign_id)
    me = current_user()
    surveyors = assigned if me in assigned else [*assigned, me]
    if st.session_state.get(SURVEYOR) not in surveyors:  # this device's user when assigned, else the first
        st.session_state[SURVEYOR] = me if me in assigned or not assigned else assigned[0]
    return st.selectbox("Enquêteur ou enquêtrice", surveyors, key=SURVEYOR,
                        help="Les structures attribuées à cette personne sur la page Coordination.")


def _when(moment: datetime | None, zone: str, viewer: ZoneInfo) -> str:
    """« jeu. 05/03 10:00 (America/Guadeloupe) · 15:00 Paris »: the structure's time, then the viewer's."""
    if moment is None:
        return ""
    local, mine = callback_times(moment, zone, viewer=viewer)
    return f"{local} · {mine}"


def _queue_table(items, viewer: ZoneInfo) -> pd.DataFrame:
    return pd.DataFrame([
        {
            "Ordre": rank,
            "Motif": item.reason,
            "Structure": item.case.nom,
            "Commune": item.case.commune,
            "Téléphone": phone_display(item.case.telephone),
            "Heure locale": f"{item.local_time} ({item.case.timezone})",
            "Tentatives": item.case.summary.count,
            "Dernière issue": outcome_rule(item.case.summary.last_outcome).label if item.case.summary.last_outcome else "",
            "Rappel demandé": _when(item.case.next_at, item.case.timezone, viewer) if item.priority == 0 else "",
        }
        for rank, item in enumerate(items, start=1)
    ], columns=["Ordre", "Motif", "Structure", "Commune", "Téléphone", "Heure locale", "Tentatives", "Dernière issue",
                "Rappel demandé"])


def _log_call(campaign_id: str, structure_id: str, name: str, surveyor: str, zone: str) -> None:
    """Widget callback of « Enregistrer l'appel »: one transaction, the outcome kept for the next draw."""
    outcome = st.session_state[OUTCOME]
    callback_at = None
    if outcome in CALLBACK_OUTCOMES:
        day, hour = st.session_state.get(CALLBACK_DAY), st.session_state.get(CALLBACK_TIME)
        if day is None or hour is None:
            st.session_state[FLASH] = ("error", "Indiquez la date et l'heure du rappel.")
            return
        callback_at = datetime.combine(day, hour, tzinfo=ZoneInfo(zone))
    note = (st.session_state.get(NOTE) or "").strip() or None
    label = outcome_rule(outcome).label
    done = run_action(
        FLASH,
        lambda con: log_attempt(con, campaign_id, structure_id, outcome, surveyor=surveyor, by=current_user(),
                                callback_at=callback_at, note=note),
        f"Appel enregistré : {label}.",
    )
    if done:
        for key in (CURRENT, NOTE, OUTCOME, CALLBACK_DAY, CALLBACK_TIME):
            st.session_state.pop(key, None)
        # Kept until the next call (the flash above is shown once): the surveyor always sees what was logged.
        st.session_state[LAST_CALL] = f"Dernier appel enregistré : {name} — {label}, à {utc_now().astimezone(viewer_zone()):%H:%M}."


def _call_panel(store, campaign_id: str, case, surveyor: str, viewer: ZoneInfo) -> None:
    zone = case.timezone
    now = utc_now()
    with st.container(border=True):
        st.subheader(f"Appel : {case.nom}")
        phone = f"[{phone_display(case.telephone)}](tel:{case.telephone})" if case.telephone else "pas de téléphone"
        there = now.astimezone(ZoneInfo(zone)).strftime("%H:%M")
        here = now.astimezone(viewer).strftime("%H:%M")
        st.markdown(f"{case.commune or ''} · {phone} · il est **{there}** sur place ({zone}), {here} pour vous")
        if case.horaires:
            st.caption(f"Horaires d'ouverture : {case.horaires}")
        with store.connect() as con:
            previous = attempts_of(con, campaign_id, case.structure_id)
            may_message = may_leave_message(attempt_views(con, campaign_id, case.structure_id))
        if previous:
            st.dataframe(pd.DataFrame([
                {"Appel": _when(row["attempted_at"], zone, viewer), "Par": row["surveyor"], "Issue": row["libelle"],
                 "Code AAPOR": row["code"], "Rappel demandé": _when(row["callback_at"], zone, viewer),
                 "Note": row["note"] or ""}
                for row in previous
            ]), hide_index=True)
        else:
            st.caption("Premier appel de cette structure.")
        if st.button("Ouvrir le questionnaire", icon=":material/assignment:", key="appels.questionnaire"):
            st.switch_page(SURVEY_PAGE, query_params={"campagne": campaign_id, "structure": case.structure_id,
                                                      "depuis": "appels"})
        outcomes = list(OUTCOMES_ALL)
        outcome = st.selectbox("Issue de l'appel", outcomes, format_func=lambda o: outcome_rule(o).label,
                               index=outcomes.index("pas_de_reponse"), key=OUTCOME)
        if outcome == "repondeur_message" and not may_message:
            st.warning("Deux messages ont déjà été laissés sur ce répondeur : n'en laissez pas d'autre.")
        if outcome in CALLBACK_OUTCOMES:
            local_now = now.astimezone(ZoneInfo(zone))
            left, right = st.columns(2)
            proposed_day, proposed_hour = proposed_callback(now, zone)
            left.date_input(f"Date du rappel (heure de la structure, {zone})", value=proposed_day,
                            min_value=local_now.date(), format="DD/MM/YYYY", key=CALLBACK_DAY)
            right.time_input("Heure du rappel", value=proposed_hour, step=timedelta(minutes=15), key=CALLBACK_TIME)
            day, hour = st.session_state.get(CALLBACK_DAY), st.session_state.get(CALLBACK_TIME)
            if isinstance(day, date) and isinstance(hour, time):
                asked = datetime.combine(day, hour, tzinfo=ZoneInfo(zone))
                st.caption(f"Rappel le {_when(asked, zone, viewer)} (pour vous).")
        st.text_area("Note (facultatif)", key=NOTE, height=68)
        left, right = st.columns([1, 1])
        left.button("Enregistrer l'appel", type="primary", icon=":material/save:", key="appels.enregistrer",
                    on_click=_log_call, args=(campaign_id, case.structure_id, case.nom, surveyor, zone))
        if right.button("Fermer sans enregistrer", key="appels.fermer"):
            st.session_state.pop(CURRENT, None)
            st.rerun()


# -- the page ------------------------------------------------------------------------------------

page_setup("saisir_enquete")
st.title("Mes appels")
store = get_store()
show_flash(FLASH)
campaign_id = choose_campaign(store, CAMPAIGN)["id"]
surveyor = _choose_surveyor(store, campaign_id)
viewer = viewer_zone()
now = utc_now()
with store.connect() as con:
    campaign = get_campaign(con, campaign_id)
    queue = surveyor_queue(con, campaign_id, surveyor, now=now)
    mine = assigned_to(load_cases(con, campaign_id), surveyor)
still_open = open_cases(mine)
coming = upcoming_callbacks(mine, now=now)
st.caption(
    f"Il est {now.astimezone(viewer).strftime('%H:%M')} pour vous ({viewer.key}). Heures d'appel de la campagne,"
    f" dans l'heure de chaque structure : {campaign['heures_appel']} · au plus {campaign['max_tentatives']} tentatives."
)
first, second, third = st.columns(3)
first.metric("À appeler maintenant", len(queue))
second.metric("Rappels à venir", len(coming))
third.metric("Structures en cours", len(still_open), help=f"{counted(len(mine), 'structure attribuée', 'structures attribuées')}")

if st.session_state.get(LAST_CALL):
    st.caption(st.session_state[LAST_CALL])
by_id = {c.structure_id: c for c in mine}
current = st.session_state.get(CURRENT)
if current in by_id:
    _call_panel(store, campaign_id, by_id[current], surveyor, viewer)

st.subheader("À appeler maintenant")
if queue:
    ids = [item.case.structure_id for item in queue]
    picked = newly_selected_row(_queue_table(queue, viewer), ids, key=table_key("appels.file", campaign_id, surveyor, ids),
                                last_key=LAST_ROW)
    st.caption("Cliquez une ligne pour ouvrir l'appel.")
    if picked:
        st.session_state[CURRENT] = picked
        st.rerun()
else:
    if not mine:
        st.info("Aucune structure ne vous est attribuée dans cette campagne : voyez la page Coordination.")
    elif not still_open:
        st.success("Toutes vos structures sont traitées.")
    else:
        st.info("Personne à appeler maintenant : hors des heures d'appel ou d'ouverture des structures,"
                " ou tentatives déjà faites récemment. Les rappels à venir sont ci-dessous.")

st.subheader("Rappels et rendez-vous à venir")
if coming:
    st.dataframe(pd.DataFrame([
        {"Rappel": _when(c.summary.last_callback, c.timezone, viewer), "Structure": c.nom, "Commune": c.commune,
         "Téléphone": phone_display(c.telephone), "Issue": outcome_rule(c.summary.last_outcome).label}
        for c in coming
    ]), hide_index=True)
else:
    st.caption("Aucun rappel prévu.")
