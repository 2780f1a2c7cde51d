"""Page « Tableau de bord »: the steering committee's first page.

The diagnostic's headline figures, the campaign's response rates over its weeks and the mapped
offer, for the filters of the sidebar (kept in the URL). Every figure comes from ``dashboards``;
no contact person, phone, e-mail or free-text answer is shown here.
"""

from __future__ import annotations

import streamlit as st

from dashboards.charts import offer_chart, rates_over_time_chart
from dashboards.maps import lieux_map
from dashboards.offer import departements_of, offer_counts, offer_totals
from dashboards.views import main_view
from models.text import counted
from ui.dashboard import open_dashboard, percent
from ui.shared import viewer_zone

store, page = open_dashboard("Tableau de bord du comité de pilotage")
filters, campaign = page.filters, page.campaign
with store.connect() as con:
    view = main_view(con, filters, campaign["id"] if campaign else None, zone=viewer_zone(),
                     now=page.report.generated_at)
lieux, headline = view.lieux, view.headline

if campaign is not None:
    page.section("L'essentiel du diagnostic", f"Campagne « {campaign['nom']} » : réponses de la période.")
    if page.hides(headline["Structures enquêtées"]):
        st.info(f"Moins de {page.threshold} structures enquêtées dans ce périmètre : les parts ne sont pas affichées,"
                " pour qu'aucune réponse ne puisse être attribuée à une structure.")
        page.metrics([("Structures enquêtées", str(headline["Structures enquêtées"]))])
    else:
        services = headline["Services par acteur"]
        page.metrics([
            ("Structures enquêtées", str(headline["Structures enquêtées"])),
            ("Intéressées par un partenariat", percent(headline["Intéressées par un partenariat"])),
            ("Citent la mobilité des publics comme frein", percent(headline["Citent la mobilité des publics comme frein"])),
            ("Ne peuvent pas réorienter une personne", percent(
                headline["Ne peuvent pas réorienter une personne qu'elles ne peuvent pas aider"])),
            ("Services par acteur", "—" if services is None else f"{services:.1f}".replace(".", ",")),
        ])

    page.section("Taux de réponse (AAPOR)", "Taux cumulés depuis le début de la campagne"
                 + (f" jusqu'au {filters.au:%d/%m/%Y}" if filters.au else "") + " ; e estimé par la méthode"
                 " proportionnelle. Le détail est sur la page « Taux de réponse ».")
    latest = view.latest or {}
    page.metrics([("Structures ciblées", str(latest.get("Structures", 0)))]
                 + [(label, percent(latest.get(name))) for label, name in (
                     ("RR1", "RR1"), ("RR3", "RR3"), ("Coopération (COOP1)", "COOP1"), ("Refus (REF1)", "REF1"),
                     ("Contact (CON1)", "CON1"), ("e", "e"))])
    if view.weekly:
        page.chart(rates_over_time_chart(view.weekly), key="tdb.taux")
    else:
        st.caption("Aucun appel sur la période.")
else:
    st.info("Aucune campagne : les taux de réponse et les indicateurs apparaîtront avec la première campagne.")

page.section("L'offre cartographiée", f"{counted(len(lieux), 'lieu')} de médiation numérique"
             + (f" au {filters.au:%d/%m/%Y}" if filters.au else " aujourd'hui") + ". Le détail (couverture, zones"
             " blanches, évolution) est sur la page « Offre cartographiée ».")
totals = offer_totals(lieux)
page.metrics([("Lieux", str(totals["Lieux"])),
              ("Lieux proposant un service", str(totals["Lieux avec services"])),
              ("Services proposés", str(totals["Services proposés"]))])
if lieux:
    page.chart(offer_chart(offer_counts(lieux, "services"), "Lieux par catégorie de service"), key="tdb.services")
    page.chart(lieux_map(lieux, filters.territoire or departements_of(lieux)), key="tdb.carte",
               caption="Carte des lieux", stretch=False)
page.report_button()
