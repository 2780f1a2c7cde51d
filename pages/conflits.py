"""Page « Conflits »: what a coordinator decides after a sync with the shared Google Sheet.

A **conflict** is a field this device and the sheet both changed, to different values, since the
last sync: the sync kept the sheet's value, and both are listed here with who and when. The
coordinator keeps one of them, or types another (``sync.conflicts.resolve_conflict``); the next
sync carries the decision to the sheet and the other devices. A **refused** edit (a person's
change in a tab only devices write) can only keep this device's value.

A line a person **deleted** in the sheet is never deleted here silently: it waits until the
coordinator confirms the deletion or restores the line (``sync.conflicts.decide_deletion``).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from models.moments import moment_text
from models.text import counted
from sync.conflicts import decide_deletion, resolve_conflict
from sync.status import pending_decisions
from ui.shared import current_user, get_store, page_setup, run_action, show_flash, viewer_zone

FLASH = "conflits.message"
SELECTED = "conflits.choisi"
CHOICE = "conflits.decision"  # + "." + conflict id
OTHER = "conflits.autre"  # + "." + conflict id
KEPT = {"feuille": "valeur du classeur gardée", "appareil": "valeur de cet appareil gardée",
        "autre": "nouvelle valeur enregistrée"}


def _when(moment) -> str:
    return moment_text(moment, viewer_zone())


def _who_when(who: str | None, moment) -> str:
    parts = [part for part in (who or "", f"le {_when(moment)}" if moment else "") if part]
    return " ".join(parts)


def _shown(text: str | None) -> str:
    return text if text not in (None, "") else "(vide)"


# -- actions (callbacks: run before the page is drawn) ---------------------------------------------


def _resolve(conflict_id: str) -> None:
    choice = st.session_state.get(f"{CHOICE}.{conflict_id}")
    typed = st.session_state.get(f"{OTHER}.{conflict_id}")
    value = typed if choice == "autre" and typed and typed.strip() else None
    if run_action(FLASH, lambda con: resolve_conflict(con, conflict_id, choice, by=current_user(), value=value),
                  f"Conflit résolu : {KEPT.get(choice, choice)}. La prochaine synchronisation l'enverra au classeur"
                  " et aux autres appareils."):
        st.session_state.pop(SELECTED, None)


def _put_back(conflict_id: str) -> None:
    run_action(FLASH, lambda con: resolve_conflict(con, conflict_id, "appareil", by=current_user()),
               "La valeur de cet appareil sera remise dans le classeur à la prochaine synchronisation.")


def _decide(spreadsheet_id: str, tab: str, row_id: str, confirm: bool) -> None:
    run_action(FLASH, lambda con: decide_deletion(con, spreadsheet_id, tab, row_id, confirm=confirm, by=current_user()),
               "Suppression confirmée : la ligne revient dans le classeur marquée supprimée à la prochaine"
               " synchronisation." if confirm else
               "Ligne restaurée : elle sera réécrite dans le classeur à la prochaine synchronisation.")


# -- the page --------------------------------------------------------------------------------------

page_setup("trancher_conflits")
st.title("Conflits")
store = get_store()
show_flash(FLASH)

with store.connect() as con:
    pending = pending_decisions(con)
refused_lines, conflicts, deletions = pending.refused_lines, pending.conflicts, pending.deletions

if pending.empty:
    st.success("Aucun conflit ni suppression en attente : cet appareil et le classeur sont d'accord.",
               icon=":material/check_circle:")
    st.caption("Les conflits apparaissent ici après une synchronisation, quand une même valeur a été changée à la"
               " fois sur cet appareil et dans le classeur.")
    st.stop()

# 1. Lines of the sheet refused for their content.
if refused_lines:
    st.subheader("Lignes refusées du classeur")
    st.caption(f"{counted(len(refused_lines), 'valeur du classeur n’a', 'valeurs du classeur n’ont')} pas été"
               " reprises : elles sont hors de la liste attendue, renvoient à un enregistrement absent de cet appareil"
               " ou sont incomplètes. Corrigez-les dans le classeur : la ligne sera reprise à la prochaine"
               " synchronisation et disparaîtra d'ici.")
    st.dataframe(pd.DataFrame([
        {"Onglet": row["tab"], "Ligne": row["ligne"], "Enregistrement": row["libelle"],
         "Colonne": row["colonne_libelle"] or "(ligne entière)", "Valeur du classeur": row["valeur_feuille"] or "(vide)",
         "Motif": row["motif"] or "", "Valeur de cet appareil": row["valeur_appareil"] or ""}
        for row in refused_lines
    ]), hide_index=True)
    for row in refused_lines:
        if row["choix"]:
            st.button(f"Ligne {row['ligne']} ({row['tab']}) : {row['choix_libelles']['appareil'].lower()}",
                      key=f"conflits.remettre.{row['id']}", icon=":material/undo:", on_click=_put_back, args=(row["id"],))

# 2. Conflicts.
st.subheader("Conflits à trancher")
if not conflicts:
    st.caption("Aucun conflit ouvert.")
else:
    changed = counted(len(conflicts), "valeur changée", "valeurs changées")
    st.caption(f"{changed} des deux côtés depuis la dernière synchronisation. Pour un conflit, la valeur du classeur"
               " est gardée en attendant votre décision ; une modification refusée a été annulée dans le classeur.")
    st.dataframe(pd.DataFrame([
        {"Onglet": row["tab"], "Enregistrement": row["libelle"], "Colonne": row["colonne_libelle"],
         "Nature": row["nature_libelle"], "Valeur d'origine": row["valeur_base"] or "",
         "Valeur de cet appareil": row["valeur_appareil"] or "",
         "Modifiée sur cet appareil": _who_when(row["appareil_par"], row["appareil_le"]),
         "Valeur du classeur": row["valeur_feuille"] or "",
         "Modifiée dans le classeur": _who_when(row["feuille_par"], row["feuille_le"]),
         "Valeur actuelle": row["valeur_actuelle"] or ""}
        for row in conflicts
    ]), hide_index=True)

    by_id = {row["id"]: row for row in conflicts}
    if st.session_state.get(SELECTED) not in by_id:
        st.session_state[SELECTED] = conflicts[0]["id"]
    chosen_id = st.selectbox(
        "Conflit à trancher", list(by_id), key=SELECTED,
        format_func=lambda cid: (f"{by_id[cid]['libelle']} — {by_id[cid]['colonne_libelle']}"
                                 f" ({by_id[cid]['nature_libelle']})"),
    )
    chosen = by_id[chosen_id]
    with st.container(border=True):
        st.markdown(f"**{chosen['libelle']}** — {chosen['colonne_libelle']} (onglet « {chosen['tab']} »)")
        left, right = st.columns(2)
        left.markdown(f"Valeur de cet appareil : **{_shown(chosen['valeur_appareil'])}**  \n"
                      f"{_who_when(chosen['appareil_par'], chosen['appareil_le'])}")
        right.markdown(f"Valeur du classeur : **{_shown(chosen['valeur_feuille'])}**  \n"
                       f"{_who_when(chosen['feuille_par'], chosen['feuille_le'])}")
        st.caption(f"Valeur avant les deux modifications : {_shown(chosen['valeur_base'])} · valeur actuelle sur cet"
                   f" appareil : {_shown(chosen['valeur_actuelle'])}.")
        if chosen["nature"] == "refusee":
            st.info(f"L'onglet « {chosen['tab']} » n'est pas modifiable dans le classeur : la modification faite"
                    " là-bas a été annulée ; seule la valeur de cet appareil peut être gardée.",
                    icon=":material/lock:")
        if chosen["nature"] == "identifiant":
            st.warning(f"Ligne {chosen['ligne']} : l'identifiant « {chosen['valeur_feuille']} » a remplacé"
                       f" « {chosen['valeur_appareil']} » et toutes les autres valeurs sont celles de l'enregistrement"
                       " d'origine (faute de frappe ?). Rien n'a été créé ni supprimé en attendant votre décision.",
                       icon=":material/edit_note:")
        choice = st.radio("Décision", chosen["choix"], format_func=chosen["choix_libelles"].__getitem__,
                          key=f"{CHOICE}.{chosen_id}")
        if "autre" in chosen["choix"]:
            st.text_input("Saisir une autre valeur", key=f"{OTHER}.{chosen_id}", disabled=choice != "autre",
                          placeholder="telle qu'on la taperait dans le classeur (4,5 · Oui · a|b)",
                          help="Utilisée seulement avec la décision « Saisir une autre valeur ».")
        st.button("Résoudre", type="primary", icon=":material/task_alt:", key=f"conflits.resoudre.{chosen_id}",
                  on_click=_resolve, args=(chosen_id,))

# 3. Lines deleted in the sheet.
st.subheader("Lignes supprimées dans le classeur")
st.caption("« Confirmer la suppression » marque l'enregistrement comme supprimé ici, et sa ligne revient dans le"
           " classeur avec la colonne deleted_at remplie, ce qui prévient les autres appareils. « Restaurer la"
           " ligne » la réécrit telle quelle dans le classeur à la prochaine synchronisation.")
if not deletions:
    st.caption("Aucune ligne supprimée en attente.")
for row in deletions:
    key = f"{row['spreadsheet_id']}.{row['tab']}.{row['row_id']}"
    with st.container(border=True):
        st.markdown(f"**{row['libelle']}** — onglet « {row['tab']} »,"
                    f" suppression vue le {_when(row['detected_at'])}")
        if not row["marque_supprimee"]:
            st.caption("Cet onglet n'a pas de colonne deleted_at : confirmer garde l'enregistrement sur cet appareil et"
                       " laisse le classeur tel quel.")
        left, right = st.columns(2)
        left.button("Confirmer la suppression", key=f"conflits.confirmer.{key}", icon=":material/delete:",
                    on_click=_decide, args=(row["spreadsheet_id"], row["tab"], row["row_id"], True))
        right.button("Restaurer la ligne", key=f"conflits.restaurer.{key}", icon=":material/restore:",
                     on_click=_decide, args=(row["spreadsheet_id"], row["tab"], row["row_id"], False))
