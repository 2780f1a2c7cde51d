"""Page « Taux de réponse »: the campaign's AAPOR rates, over time and broken down.

Every rate of the AAPOR Standard Definitions (10th edition) with the counts it is computed from,
the cumulative rates per day or week of the campaign, and the rates per typology, commune, EPCI,
département, surveyor or number of attempts (groups under 5 structures merged, never shown alone).
"""

from __future__ import annotations

import streamlit as st

from dashboards.charts import interviews_chart, rates_by_chart, rates_over_time_chart
from dashboards.rates import DIMENSIONS, GROUPS, PERIODS, RATE_LABELS, RATE_NAMES
from dashboards.views import rates_view
from ui.dashboard import open_dashboard, percent, percent_columns
from ui.shared import viewer_zone

GROUP_LABELS = {
    "I": "Entretiens complets (I)", "P": "Entretiens partiels (P)", "R": "Refus et abandons (R)",
    "NC": "Non-contacts (NC)", "O": "Autres éligibles (O)", "UH": "Éligibilité inconnue, jamais joints (UH)",
    "UO": "Éligibilité inconnue, autres (UO)", "NE": "Hors champ (NE)",
}

store, page = open_dashboard(
    "Taux de réponse",
    without_campaign="Aucune campagne : les taux de réponse apparaîtront avec la première campagne.")
filters, campaign = page.filters, page.campaign

zone = viewer_zone()
period = st.segmented_control("Pas de temps", list(PERIODS), format_func=PERIODS.get, default="semaine",
                              key="taux.periode", required=True)
dimension = st.selectbox("Ventilation", list(DIMENSIONS), format_func=DIMENSIONS.get, key="taux.dimension")
with store.connect() as con:
    view = rates_view(con, filters, campaign["id"], period=period, dimension=dimension, zone=zone,
                      min_cases=page.threshold)
cases, counts, rates = view.state.cases, view.state.counts, view.state.rates
over_time, breakdown = view.over_time, view.breakdown
page.section("Où en est la campagne", "État actuel des structures ciblées du périmètre, chacune comptée sous sa"
             " disposition finale AAPOR ; e (part estimée éligible des cas d'éligibilité inconnue) par la méthode"
             " proportionnelle.")
if page.hides(len(cases)):
    st.info(f"Moins de {page.threshold} structures ciblées dans ce périmètre : les taux ne sont pas affichés.")
    page.report_button()
    st.stop()
page.metrics([("Structures ciblées", str(len(cases))), ("RR1", percent(rates["RR1"])), ("COOP1", percent(rates["COOP1"])),
              ("REF1", percent(rates["REF1"])), ("CON1", percent(rates["CON1"])), ("e", percent(rates["e"]))])
left, right = st.columns(2)
with left:
    page.table([{"Groupe": GROUP_LABELS[group], "Structures": counts[group]} for group in GROUPS],
               key="taux.groupes", caption="Structures par groupe de dispositions AAPOR")
with right:
    page.table([{"Taux": name, "Définition": RATE_LABELS[name], "Valeur": rates[name]} for name in RATE_NAMES]
               + [{"Taux": "e", "Définition": "part estimée éligible des cas d'éligibilité inconnue", "Valeur": rates["e"]}],
               key="taux.taux", caption="Tous les taux AAPOR", column_config=percent_columns("Valeur"))

page.section(f"Évolution par {PERIODS[period].lower()}", "Taux cumulés à la fin de chaque période (fuseau de votre"
             " navigateur) et entretiens réalisés pendant la période.")
if over_time:
    period_label = PERIODS[period]
    page.chart(rates_over_time_chart(over_time, period=period_label), key="taux.evolution")
    page.chart(interviews_chart(over_time, period=period_label), key="taux.entretiens")
    shown = [{key: value for key, value in row.items() if key != "Fin"} for row in over_time]
    page.table(shown, key="taux.evolution.table", caption=f"Taux par {period_label.lower()}",
               column_config=percent_columns("RR1", "RR3", "COOP1", "REF1", "CON1", "e"))
else:
    st.caption("Aucun appel sur la période.")

page.section(f"Par {DIMENSIONS[dimension].lower()}", f"Les groupes de moins de {page.threshold} structures sont"
             " regroupés dans « Autres » ; une structure de plusieurs typologies compte dans chacune.")
page.chart(rates_by_chart(breakdown, DIMENSIONS[dimension]), key="taux.ventilation")
page.table(breakdown, key="taux.ventilation.table", caption=f"Taux par {DIMENSIONS[dimension].lower()}",
           column_config=percent_columns("RR1", "RR3", "COOP1", "REF1", "CON1", "e"))
page.report_button()
