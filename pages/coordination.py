"""Page « Suivi de campagne »: where a call campaign stands, for its coordinator.

Progress from targeted to completed, AAPOR dispositions, each surveyor's workload and results,
late call-backs and non-respondents, each table downloadable as a CSV French Excel opens as-is.
Every figure comes from ``dashboards.calls`` (one load of the campaign's cases per draw).
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from collect.campaigns import get_campaign
from dashboards.calls import TABLES, campaign_report, table_columns, table_csv
from models.moments import moment_text
from models.store import utc_now
from models.text import counted
from ui.shared import blank_missing, choose_campaign, current_user, get_store, page_setup

CAMPAIGN = "coordination.campagne"


def _table(name: str, rows: list[dict], *, empty: str) -> None:
    """A report table with its CSV download button (or a French sentence when it is empty)."""
    spec = TABLES[name]
    if not rows:
        st.caption(empty)
        return
    st.dataframe(blank_missing(pd.DataFrame(rows, columns=table_columns(name))), hide_index=True)
    st.download_button(
        f"Télécharger ({counted(len(rows), 'ligne')}, CSV pour Excel)", table_csv(name, rows),
        file_name=f"{spec.file_stem}.csv", mime="text/csv", key=f"coordination.csv.{name}", icon=":material/download:",
    )


page_setup("gerer_campagne")
st.title("Suivi de campagne")
store = get_store()
campaign_id = choose_campaign(store, CAMPAIGN)["id"]
now = utc_now()
with store.connect() as con:
    campaign = get_campaign(con, campaign_id)
    tables = campaign_report(con, campaign_id, now=now, by=current_user())
funnel = tables["funnel"]

dates = " → ".join(d.strftime("%d/%m/%Y") for d in (campaign["date_debut"], campaign["date_fin"]) if d)
st.caption(
    (f"{dates} · " if dates else "")
    + f"heures d'appel : {campaign['heures_appel']} · au plus {campaign['max_tentatives']} tentatives"
    + f" · état au {moment_text(now)}"
)
if not funnel[0]["Structures"]:  # no target yet
    st.info("Cette campagne n'a pas encore de structures ciblées : voyez la page « Préparer la campagne ».")
    st.stop()

counts = {row["Étape"]: row["Structures"] for row in funnel}
steps = list(counts)
columns = st.columns(len(steps))
for column, step in zip(columns, steps, strict=True):
    column.metric(step, counts[step])

st.subheader("Avancement")
chart = (
    alt.Chart(pd.DataFrame(funnel))
    .mark_bar(color="#000091")
    .encode(
        x=alt.X("Structures:Q", title="Structures"),
        y=alt.Y("Étape:N", sort=steps, title=None),
        tooltip=["Étape", "Structures", "% des ciblées"],
    )
    .properties(height=40 * len(steps))
)
st.altair_chart(chart, width="stretch")
_table("funnel", funnel, empty="")
with st.expander("Dispositions AAPOR de chaque structure"):
    _table("dispositions", tables["dispositions"], empty="Aucune structure.")

st.subheader("Par enquêteur ou enquêtrice")
_table("surveyors", tables["surveyors"], empty="Aucune structure attribuée.")

st.subheader("Rappels en retard")
_table("late_callbacks", tables["late_callbacks"], empty="Aucun rappel en retard.")

st.subheader("Non-répondants")
st.caption("Structures appelées ou relancées sans questionnaire complet (refus et hors champ exclus).")
_table("non_respondents", tables["non_respondents"], empty="Aucun non-répondant.")
