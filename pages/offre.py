"""Page « Offre cartographiée »: what the lieux offer, where, and how it changed.

The registry as it stood at the end of the sidebar's period (its slider runs over the registry's
history), compared with the period's start; the lieux per category of the national standard's
lists; the coverage of the territory's communes or EPCI per service category with the white
zones, as tables and offline maps. Lieux are public data of the national map; no contact person
is shown.
"""

from __future__ import annotations

import streamlit as st

from dashboards.charts import coverage_chart, offer_changes_chart, offer_chart, offer_over_time_chart
from dashboards.maps import coverage_map, lieux_map
from dashboards.offer import LEVELS, OFFER_FIELDS, coverage_changes, offer_changes, offer_counts, offer_totals
from dashboards.views import offer_view
from models.standard import standard_v1
from models.text import counted
from ui.dashboard import open_dashboard, percent_columns
from ui.shared import viewer_zone

store, page = open_dashboard("Offre cartographiée")
filters, campaign = page.filters, page.campaign
today = page.report.generated_at.astimezone(viewer_zone()).date()
LEVEL = "offre.echelle"  # its radio is drawn with the coverage, its value is needed now
with store.connect() as con:
    view = offer_view(con, filters, level=st.session_state.get(LEVEL, "commune"), today=today)
shown_on, lieux, before, departements = view.shown_on, view.lieux, view.before, view.departements
on_text = "aujourd'hui" if shown_on == today else f"au {shown_on:%d/%m/%Y}"

page.section(f"L'offre {on_text}", "Déplacez la fin de la période (barre latérale) pour voir la carte à une autre"
             " date ; son début sert de point de comparaison.")
totals = offer_totals(lieux)
page.metrics([("Lieux", str(totals["Lieux"])),
              ("Lieux proposant un service", str(totals["Lieux avec services"])),
              ("Services proposés", str(totals["Services proposés"])),
              ("Départements", str(len(departements)))])
page.chart(offer_over_time_chart(view.timeline), key="offre.temps")
if not lieux:
    st.info(f"Aucun lieu {on_text} dans ce périmètre.")
    page.report_button()
    st.stop()

page.section("Ce que proposent les lieux", "Un lieu compte une fois pour chaque valeur qu'il déclare (standard"
             " national des lieux de médiation numérique).")
tabs = st.tabs(list(OFFER_FIELDS.values()))
for tab, (field_name, title) in zip(tabs, OFFER_FIELDS.items(), strict=True):
    with tab:
        counts = offer_counts(lieux, field_name)
        page.chart(offer_chart(counts, f"Lieux par {title.lower()}"), key=f"offre.{field_name}")
        page.table(counts, key=f"offre.{field_name}.table", caption=f"Lieux par {title.lower()}",
                   column_config=percent_columns("Part des lieux"))

page.section("Couverture du territoire et zones blanches", "Une commune (ou un EPCI) est couverte pour une catégorie"
             " quand au moins un lieu situé sur son territoire la propose ; population municipale INSEE.")
left, right = st.columns(2)
level = left.radio("Échelle", list(LEVELS), format_func=LEVELS.get, horizontal=True, key=LEVEL)
categories = list(standard_v1().choices("services"))
category = right.selectbox("Catégorie de service", categories, key="offre.categorie")
covered = view.coverage
page.chart(coverage_chart(covered.table()), key="offre.couverture")
page.table(covered.table(), key="offre.couverture.table", caption="Couverture par catégorie de service",
           column_config=percent_columns(f"Part des {LEVELS[level].lower()}s", "Part de la population"))
white = covered.white_zones(category)
st.markdown(f"**{category}** : {counted(len(covered.covered(category)), LEVELS[level].lower())} couverte(s),"
            f" {counted(len(white), 'zone blanche', 'zones blanches')}.")
page.chart(coverage_map(covered, category, departements), key="offre.carte.couverture",
           caption=f"Couverture : {category}", stretch=False)
page.table([{LEVELS[level]: unit.nom, "Code": unit.code, "Population": unit.population, "Lieux": unit.lieux}
            for unit in white], key="offre.zones.blanches", caption=f"Zones blanches : {category}")

page.section("Les lieux sur la carte", "Position déclarée du lieu, sinon centre de sa commune.")
page.chart(lieux_map(lieux, departements), key="offre.carte.lieux", caption="Carte des lieux", stretch=False)

if before is not None:
    then = f"{filters.du:%d/%m/%Y}"
    page.section(f"Évolution depuis le {then}", f"{counted(len(before), 'lieu')} le {then},"
                 f" {counted(len(lieux), 'lieu')} {on_text}.")
    changes = offer_changes(before, lieux, "services")
    page.chart(offer_changes_chart(changes, "Lieux par catégorie de service, aux deux dates", before=then,
                                   after=on_text), key="offre.evolution")
    page.table(changes, key="offre.evolution.table", caption="Lieux par catégorie de service, aux deux dates")
    page.table(coverage_changes(view.coverage_before, covered), key="offre.evolution.couverture",
               caption=f"Couverture des {LEVELS[level].lower()}s, aux deux dates")
else:
    st.caption("Choisissez un début de période (barre latérale) pour comparer l'offre entre deux dates.")
page.report_button()
