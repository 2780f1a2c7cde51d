"""Page « Indicateurs de l'enquête »: what the structures answered.

Every closed question of the campaign's questionnaire gets its chart (structures per answer and
their share, with the number of answers), section by section; the free-text answers of the
questions marked « publiable » follow, without the structure's name. Personal questions never
appear; a question answered by fewer than 5 structures of the scope is not shown.
"""

from __future__ import annotations

import streamlit as st

from dashboards.charts import question_chart
from dashboards.views import indicators_view
from ui.dashboard import open_dashboard, percent, percent_columns
from ui.shared import viewer_zone

store, page = open_dashboard(
    "Indicateurs de l'enquête",
    without_campaign="Aucune campagne : les indicateurs apparaîtront avec les premières réponses.")
filters, campaign = page.filters, page.campaign

with store.connect() as con:
    view = indicators_view(con, filters, campaign["id"], zone=viewer_zone())
responses, headline, questions, texts = view.responses, view.headline, view.questions, view.texts

page.section("Les chiffres clés", f"{len(responses)} structure(s) enquêtée(s) dans ce périmètre et sur la période"
             " (dernière version de chaque réponse).")
if page.hides(len(responses)):
    st.info(f"Moins de {page.threshold} structures enquêtées dans ce périmètre : les résultats ne sont pas affichés,"
            " pour qu'aucune réponse ne puisse être attribuée à une structure. Élargissez les filtres.")
    page.report_button()
    st.stop()
services = headline["Services par acteur"]
page.metrics([
    ("Intéressées par un partenariat", percent(headline["Intéressées par un partenariat"])),
    ("Citent la mobilité des publics comme frein", percent(headline["Citent la mobilité des publics comme frein"])),
    ("Ne peuvent pas réorienter une personne", percent(
        headline["Ne peuvent pas réorienter une personne qu'elles ne peuvent pas aider"])),
    ("Services par acteur", "—" if services is None else f"{services:.1f}".replace(".", ",")),
])

hidden = []
current_section = None
for question in questions:
    if page.hides(question.answered):
        hidden.append(question.libelle)
        continue
    if question.section != current_section:
        current_section = question.section
        page.section(question.section)
    page.chart(question_chart(question), key=f"indicateurs.{question.code}")
    with st.expander("Tableau"):
        page.table(question.rows, key=f"indicateurs.{question.code}.table", caption=question.libelle,
                   column_config=percent_columns("Part"))
if hidden:
    st.caption(f"Non affichées (moins de {page.threshold} réponses) : " + " ; ".join(hidden))

if texts:
    page.section("Réponses libres publiables", "Seules les questions marquées « publiable » dans le questionnaire,"
                 " sans le nom de la structure.")
    page.table(texts, key="indicateurs.textes", caption="Réponses libres publiables")
page.report_button()
