"""Page « Historique »: who did what, when, to which record (coordinators and admins).

Only lays out: the entries come from ``models.history`` (which checks the right itself).
"""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import streamlit as st

from models.history import ENTITY_LABELS, HistoryEntry, actors, recent_activity, record_history
from models.moments import moment_text
from models.text import counted
from ui.shared import csv_bytes, current_user, get_store, page_setup, viewer_zone

KIND = "historique.type"
ACTOR = "historique.personne"
RECORD = "historique.enregistrement"
ALL = ""


def _details_text(entry: HistoryEntry) -> str:
    return json.dumps(entry.details, ensure_ascii=False, default=str)[:300] if entry.details else ""


def _table(entries: list[HistoryEntry]) -> pd.DataFrame:
    zone = viewer_zone()
    return pd.DataFrame([
        {"Date": moment_text(entry.occurred_at, zone, seconds=True), "Par": entry.actor, "Action": entry.action_text,
         "Enregistrement": f"{entry.entity_text} {entry.entity_id or ''}".strip(), "Détails": _details_text(entry)}
        for entry in entries
    ], columns=["Date", "Par", "Action", "Enregistrement", "Détails"])


page_setup("lire_historique")
st.title("Historique")
st.caption("Chaque enregistrement fait dans Maillage (fiche, campagne, appel, réponse, relance, compte…) est inscrit"
           " ici avec son auteur et son heure, dans la même transaction que le changement lui-même.")
store = get_store()
me = current_user()

with store.connect() as con:
    people = actors(con, by=me)
filters = st.columns(3)
kind = filters[0].selectbox("Type d'enregistrement", [ALL, *ENTITY_LABELS], key=KIND,
                            format_func=lambda name: ENTITY_LABELS.get(name, "Tous"))
person = filters[1].selectbox("Par", [ALL, *people], key=ACTOR, format_func=lambda name: name or "Tout le monde")
record = filters[2].text_input("Identifiant d'un enregistrement", key=RECORD,
                               help="L'identifiant affiché sur la fiche (structure, campagne, réponse…) : montre"
                                    " tout son historique, du plus ancien au plus récent.").strip()

with store.connect() as con:
    if record and kind:
        entries = record_history(con, kind, record, by=me)
        title = f"Historique de : {ENTITY_LABELS[kind]} {record}"
    else:
        entries = recent_activity(con, by=me, entity=kind or None, actor=person or None)
        title = "Dernières écritures (500 au plus), la plus récente en premier"
if record and not kind:
    st.info("Choisissez aussi le type d'enregistrement pour lire l'historique d'un identifiant.")
st.subheader(title)
st.caption(f"{counted(len(entries), 'écriture')}.")
table = _table(entries)
st.dataframe(table, hide_index=True)
st.download_button(f"CSV ({counted(len(table), 'ligne')})", csv_bytes(table),
                   file_name=f"historique-{date.today().isoformat()}.csv", mime="text/csv", key="historique.csv",
                   icon=":material/download:", on_click="ignore",
                   help="Pour Excel : séparé par des points-virgules ; un texte qui ressemble à une formule y reste"
                        " du texte.")
