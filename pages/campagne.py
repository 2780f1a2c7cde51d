"""Page « Préparer la campagne »: create a call campaign, set its calling rules, choose its
targets (territory, typology, saved filter) and share them among surveyors.

Every button is one transaction in the core (``collect.calls``, ``collect.surveys``,
``models.saved_filters``); a refused input keeps the French message of the core and writes nothing.
A balanced assignment is shown before it is applied; reassigning keeps the history.
The calling rules form keeps the rules it was drawn with and sends only those changed, each with
the value it was based on (``collect.calls.edit_campaign_rules``): a rule someone else changed
meanwhile is not overwritten but shown with both values, to keep one.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from collect.calls import (
    assign,
    campaign_rules,
    edit_campaign_rules,
    load_cases,
    plan_balanced_assignment,
    remove_targets,
    target_by_filters,
    unassign,
)
from collect.campaigns import create_campaign, get_campaign, list_campaigns
from collect.surveys import list_questionnaires
from dashboards.calls import UNASSIGNED, cases_to_take_over, new_targets, surveyor_table
from models.campaign_rules import proposed_campaign_dates
from models.cog import cog
from models.moments import moment_text
from models.registry_views import departements_in_use
from models.saved_filters import list_filters, structure_ids_matching, territory_filters
from models.store import utc_now
from models.text import counted
from models.typologies import typologies
from ui.shared import choose_campaign, current_user, edit_outcome, get_store, page_setup, run_action, show_flash

# Session-state keys of this page.
CAMPAIGN = "campagne.choisie"
FLASH = "campagne.message"
NEW_NAME = "campagne.nouvelle.nom"
NEW_QUESTIONNAIRE = "campagne.nouvelle.questionnaire"
NEW_DATES = "campagne.nouvelle.dates"
MAX = "campagne.max_tentatives"
HOURS = "campagne.heures"
DATES = "campagne.dates"
DEPARTEMENTS = "campagne.departements"
TYPOLOGIES = "campagne.typologies"
FILTERS = "campagne.filtres"
SURVEYORS = "campagne.enqueteurs"
NEW_SURVEYORS = "campagne.nouveaux_enqueteurs"
LEAVING = "campagne.reprendre"
PLAN = "campagne.plan"  # (campaign id, plan) shown before it is applied
MANUAL = "campagne.manuelle"
MANUAL_TO = "campagne.manuelle_vers"
NOBODY = "(personne)"
RULES_SEEN = "campagne.regles.vues"  # (campaign id, the rules the form was drawn with)
RULES_CONFLICTS = "campagne.regles.conflits"  # (campaign id, conflicts of the last save)
RULE_LABELS = {"max_tentatives": "Tentatives au plus", "heures_appel": "Heures d'appel",
               "date_debut": "Date de début", "date_fin": "Date de fin"}



def _dates(value) -> tuple[date | None, date | None]:
    if isinstance(value, (list, tuple)):
        first = value[0] if len(value) > 0 else None
        last = value[1] if len(value) > 1 else None
        return first, last
    return value, None


# -- actions (callbacks: one transaction each, before the page is drawn) ----------------------------


def _create() -> None:
    name = (st.session_state.get(NEW_NAME) or "").strip()
    if not name:
        st.session_state[FLASH] = ("error", "Donnez un nom à la campagne.")
        return
    start, end = _dates(st.session_state.get(NEW_DATES))
    created: list[str] = []

    def action(con) -> None:
        created.append(create_campaign(con, nom=name, questionnaire_id=st.session_state[NEW_QUESTIONNAIRE],
                                       date_debut=start, date_fin=end, by=current_user()))

    if run_action(FLASH, action, f"Campagne « {name} » créée : choisissez ses structures ci-dessous."):
        st.session_state[CAMPAIGN] = created[0]
        st.session_state.pop(NEW_NAME, None)


def _rule_text(value: Any) -> str:
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return "vide" if value in (None, "") else str(value)


def _edit_rules(campaign_id: str, changes: dict[str, tuple[Any, Any]]) -> None:
    """Send rule changes; say what was saved and keep the conflicts to show under the form."""
    outcomes: list = []
    if not run_action(FLASH, lambda con: outcomes.append(edit_campaign_rules(con, campaign_id, changes,
                                                                              by=current_user())), ""):
        return
    result = outcomes[-1]
    st.session_state[RULES_CONFLICTS] = (campaign_id, result.conflicts)
    st.session_state[FLASH] = edit_outcome(result, RULE_LABELS, "Règles d'appel enregistrées.")
    for key in (MAX, HOURS, DATES, RULES_SEEN):  # drawn again from the store
        st.session_state.pop(key, None)


def _save_rules(campaign_id: str) -> None:
    seen_by = st.session_state.get(RULES_SEEN)
    if not seen_by or seen_by[0] != campaign_id:
        st.session_state[FLASH] = ("error", ("Rien n'a été enregistré : le formulaire n'était plus celui de cette"
                                             " campagne. Refaites la modification."))
        return
    seen = seen_by[1]
    start, end = _dates(st.session_state.get(DATES))
    typed = {"max_tentatives": int(st.session_state[MAX]), "heures_appel": st.session_state[HOURS].strip(),
             "date_debut": start, "date_fin": end}
    _edit_rules(campaign_id, {name: (seen[name], value) for name, value in typed.items() if value != seen[name]})


def _keep_rule(campaign_id: str, name: str, value: Any, seen: Any) -> None:
    """« Garder ma valeur » of a conflict: save it over the value shown with it."""
    _edit_rules(campaign_id, {name: (seen, value)})


def _drop_rule_conflict(campaign_id: str, name: str) -> None:
    """« Garder l'autre valeur »: nothing to write, the conflict is settled."""
    kept = st.session_state.get(RULES_CONFLICTS)
    if kept and kept[0] == campaign_id:
        st.session_state[RULES_CONFLICTS] = (campaign_id, [c for c in kept[1] if c.field != name])


def _chosen_filters():
    filters = [saved.criteria for saved in st.session_state.get(FILTERS) or []]
    departements, kinds = st.session_state.get(DEPARTEMENTS) or [], st.session_state.get(TYPOLOGIES) or []
    if departements or kinds:
        filters += territory_filters(departements, kinds)
    return filters


def _add_targets(campaign_id: str) -> None:
    filters = _chosen_filters()
    added: list[int] = []
    if run_action(FLASH, lambda con: added.append(target_by_filters(con, campaign_id, filters, by=current_user())), ""):
        st.session_state[FLASH] = ("success", f"{counted(added[0], 'structure ajoutée', 'structures ajoutées')} à la campagne.")


def _surveyor_names(chosen: list[str]) -> list[str]:
    typed = [name.strip() for name in (st.session_state.get(NEW_SURVEYORS) or "").split(",") if name.strip()]
    return list(dict.fromkeys([*chosen, *typed]))


def _plan(campaign_id: str, surveyors: list[str], leaving: str | None) -> None:
    def action(con) -> None:
        ids = cases_to_take_over(load_cases(con, campaign_id), leaving) if leaving else None
        plan = plan_balanced_assignment(con, campaign_id, [s for s in surveyors if s != leaving], structure_ids=ids)
        st.session_state[PLAN] = (campaign_id, plan)

    run_action(FLASH, action, "Répartition proposée : vérifiez-la, puis appliquez-la.")


def _apply_plan(campaign_id: str) -> None:
    _, plan = st.session_state.pop(PLAN)

    def action(con) -> None:
        for surveyor, share in plan.items():
            assign(con, campaign_id, share, surveyor, by=current_user())

    total = sum(len(share) for share in plan.values())
    run_action(FLASH, action, f"{counted(total, 'structure attribuée', 'structures attribuées')}.")


def _assign_by_hand(campaign_id: str) -> None:
    ids = st.session_state.get(f"{MANUAL}.{campaign_id}") or []
    surveyor = (st.session_state.get(f"{MANUAL_TO}.{campaign_id}") or "").strip()
    if not ids or not surveyor:
        st.session_state[FLASH] = ("error", "Choisissez des structures et la personne à qui les attribuer.")
        return
    if surveyor == NOBODY:
        run_action(FLASH, lambda con: unassign(con, campaign_id, ids, by=current_user()),
                   f"{counted(len(ids), 'structure retirée', 'structures retirées')} de leur enquêteur.")
    else:
        run_action(FLASH, lambda con: assign(con, campaign_id, ids, surveyor, by=current_user()),
                   f"{counted(len(ids), 'structure attribuée', 'structures attribuées')} à {surveyor}.")
    st.session_state.pop(f"{MANUAL}.{campaign_id}", None)


def _remove_targets(campaign_id: str) -> None:
    ids = st.session_state.get(f"{MANUAL}.{campaign_id}") or []
    if not ids:
        st.session_state[FLASH] = ("error", "Choisissez les structures à retirer de la campagne.")
        return
    run_action(FLASH, lambda con: remove_targets(con, campaign_id, ids, by=current_user()),
               f"{counted(len(ids), 'structure retirée', 'structures retirées')} de la campagne"
               " (leurs appels restent dans l'historique).")
    st.session_state.pop(f"{MANUAL}.{campaign_id}", None)


# -- the page --------------------------------------------------------------------------------------

page_setup("gerer_campagne")
st.title("Préparer la campagne")
store = get_store()
show_flash(FLASH)

with store.connect() as con:
    campaigns = list_campaigns(con)
    questionnaires = list_questionnaires(con)

with st.expander("Nouvelle campagne", expanded=not campaigns, icon=":material/add:"):
    if not questionnaires:
        st.info("Publiez d'abord un questionnaire (page Enquête ou commande « maillage questionnaire publish »).")
    else:
        versions = {q["id"]: f"{q['titre']} (v{q['version']})" for q in questionnaires}
        st.text_input("Nom de la campagne", key=NEW_NAME, placeholder="Diagnostic 2027")
        st.selectbox("Questionnaire", list(versions), format_func=versions.__getitem__, key=NEW_QUESTIONNAIRE)
        st.date_input("Dates (début et fin)", value=proposed_campaign_dates(date.today()), format="DD/MM/YYYY",
                      key=NEW_DATES)
        st.button("Créer la campagne", type="primary", on_click=_create, key="campagne.creer")
if not campaigns:
    st.stop()

campaign_id = choose_campaign(store, CAMPAIGN)["id"]
with store.connect() as con:
    campaign = get_campaign(con, campaign_id)
    cases = load_cases(con, campaign_id)

st.subheader("Règles d'appel")
seen_by = st.session_state.get(RULES_SEEN)
if not seen_by or seen_by[0] != campaign_id or MAX not in st.session_state:
    for key in (MAX, HOURS, DATES):  # fresh widgets, drawn from the rules as stored now
        st.session_state.pop(key, None)
    seen_by = st.session_state[RULES_SEEN] = (campaign_id, campaign_rules(campaign))
seen_rules = seen_by[1]
with st.form("campagne.regles", border=False):
    left, middle, right = st.columns([1, 2, 2])
    left.number_input("Tentatives au plus", min_value=1, max_value=50, value=seen_rules["max_tentatives"], key=MAX)
    middle.text_input("Heures d'appel (syntaxe OpenStreetMap, heure de chaque structure)",
                      value=seen_rules["heures_appel"], key=HOURS)
    right.date_input("Dates (début et fin)",
                     value=tuple(d for d in (seen_rules["date_debut"], seen_rules["date_fin"]) if d),
                     format="DD/MM/YYYY", key=DATES)
    st.form_submit_button("Enregistrer les règles", on_click=_save_rules, args=(campaign_id,))
conflicts_by = st.session_state.get(RULES_CONFLICTS)
for conflict in conflicts_by[1] if conflicts_by and conflicts_by[0] == campaign_id else []:
    title = RULE_LABELS[conflict.field]
    mine, theirs = _rule_text(conflict.proposed), _rule_text(conflict.current)
    st.warning(f"{title} : votre valeur « {mine} » n'est pas enregistrée, car {conflict.current_by or '?'} l'a changée"
               f" en « {theirs} » le {moment_text(conflict.current_at)} pendant que vous modifiiez les règles.",
               icon=":material/sync_problem:")
    keep, take = st.columns(2)
    keep.button(f"Garder « {mine} »", key=f"campagne.conflit.{conflict.field}.mienne", on_click=_keep_rule,
                args=(campaign_id, conflict.field, conflict.proposed, conflict.current))
    take.button(f"Garder « {theirs} »", key=f"campagne.conflit.{conflict.field}.autre", on_click=_drop_rule_conflict,
                args=(campaign_id, conflict.field))

st.subheader("Structures ciblées")
st.caption(f"La campagne cible {counted(len(cases), 'structure')}. Ajoutez celles d'un territoire, d'une typologie"
           " ou d'un filtre enregistré sur la page Structures.")
with store.connect() as con:
    departements = departements_in_use(con)
    saved_filters = list_filters(con)
kinds = typologies()
left, middle, right = st.columns(3)
left.multiselect("Départements", departements, key=DEPARTEMENTS, placeholder="Tous",
                 format_func=lambda code: f"{code} — {found.nom}" if (found := cog().departement(code)) else code)
middle.multiselect("Typologies", sorted(kinds), key=TYPOLOGIES, placeholder="Toutes",
                   format_func=lambda code: f"{code} — {kinds.get(code, code)}")
right.multiselect("Filtres enregistrés", saved_filters, key=FILTERS, placeholder="Aucun",
                  format_func=lambda saved: saved.nom)
chosen = _chosen_filters()
if chosen:
    with store.connect() as con:
        matching = structure_ids_matching(con, chosen)
    new = len(new_targets(cases, matching))
    st.caption(f"{counted(len(matching), 'structure correspond', 'structures correspondent')},"
               f" dont {counted(new, 'nouvelle')} pour la campagne.")
    st.button(f"Ajouter {counted(new, 'structure')} à la campagne", disabled=new == 0, on_click=_add_targets,
              args=(campaign_id,), key="campagne.ajouter", type="primary")

st.subheader("Attribution aux enquêteurs")
with store.connect() as con:
    loads = surveyor_table(con, campaign_id, now=utc_now(), cases=cases)  # the Suivi de campagne's workloads
held = [row for row in loads if row["Enquêteur"] != UNASSIGNED and row["Structures attribuées"]]
holders = [row["Enquêteur"] for row in held]
unassigned = sum(row["Restant à traiter"] for row in loads if row["Enquêteur"] == UNASSIGNED)
if held:
    st.dataframe(pd.DataFrame(held, columns=["Enquêteur", "Structures attribuées", "Restant à traiter"]),
                 hide_index=True)
st.caption(f"{counted(unassigned, 'structure à traiter non attribuée', 'structures à traiter non attribuées')}.")

left, right = st.columns(2)
# Widgets whose options depend on the campaign are keyed by it: a choice never outlives its options.
chosen_surveyors = left.multiselect("Enquêteurs", holders, default=holders, key=f"{SURVEYORS}.{campaign_id}")
right.text_input("Ajouter des enquêteurs (noms séparés par des virgules)", key=NEW_SURVEYORS, placeholder="alice, bruno")
surveyors = _surveyor_names(chosen_surveyors)
leaving = st.selectbox("Reprendre les structures en cours de…", [None, *holders], key=f"{LEAVING}.{campaign_id}",
                       format_func=lambda name: "personne (attribuer les non attribuées)" if name is None else name)
st.button("Proposer une répartition équilibrée", on_click=_plan, args=(campaign_id, surveyors, leaving),
          disabled=not surveyors, key="campagne.proposer")
planned = st.session_state.get(PLAN)
if planned and planned[0] == campaign_id:
    plan = planned[1]
    by_id = {c.structure_id: c for c in cases}
    if not plan:
        st.info("Aucune structure à répartir.")
    else:
        st.dataframe(pd.DataFrame([
            {"Enquêteur": surveyor, "Structures": len(share),
             "Territoires": ", ".join(sorted({f"{by_id[i].departement or '?'}" for i in share}))}
            for surveyor, share in plan.items()
        ]), hide_index=True)
        st.button("Appliquer cette répartition", type="primary", on_click=_apply_plan, args=(campaign_id,),
                  key="campagne.appliquer")

with st.expander("Attribuer ou retirer à la main", icon=":material/person_add:"):
    labels = {c.structure_id: f"{c.nom} — {c.commune or '?'} ({c.surveyor or 'non attribuée'})" for c in cases}
    st.multiselect("Structures", list(labels), format_func=labels.__getitem__, key=f"{MANUAL}.{campaign_id}")
    st.selectbox("À", [*surveyors, NOBODY], key=f"{MANUAL_TO}.{campaign_id}", accept_new_options=True,
                 help="Choisissez une personne, tapez un nouveau nom, ou « (personne) » pour retirer l'attribution.")
    left, right = st.columns(2)
    left.button("Attribuer", on_click=_assign_by_hand, args=(campaign_id,), key="campagne.attribuer")
    right.button("Retirer de la campagne", on_click=_remove_targets, args=(campaign_id,), key="campagne.retirer")
