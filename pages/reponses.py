"""Page « Réponses »: the responses and drafts of a survey campaign, read-only, with the CSV for Excel.

A response is shown by section (question → answer); the contact person's answers (personal data)
only inside their own expander, and never in the download. A submitted response never changes:
« Corriger cette réponse » opens a correction draft (``collect.surveys.open_correction``) and sends
the surveyor to the survey page, whose submission makes the next revision.

Every user action is one transaction (``store.atomic()``), run in a widget callback, or inline
just before the page is left for the survey page.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pandas as pd
import streamlit as st

from collect.legacy import fold
from collect.questionnaire import Questionnaire
from collect.response_export import responses_table
from collect.surveys import (
    answer_text,
    delete_draft,
    get_questionnaire,
    get_response,
    list_drafts,
    list_responses,
    open_correction,
)
from models.errors import MaillageError
from models.excel_csv import excel_csv_bytes
from models.moments import moment_text
from models.text import counted
from ui.shared import (
    PARIS,
    choose_campaign,
    current_user,
    get_store,
    newly_selected_row,
    page_setup,
    run_action,
    show_flash,
    table_key,
)

SURVEY_PAGE = "pages/enquete.py"
PERSONAL_EXPANDER = "Personne contact (données personnelles)"

# Session-state keys of this page.
CAMPAIGN = "reponses.campagne"
ALL_REVISIONS = "reponses.toutes_revisions"
OPEN = "reponses.ouverte"  # id of the response shown in detail
CHOOSER = "reponses.choisir"
LAST_ROW = "reponses.derniere_ligne"  # (table, id) of the row selection last acted upon
DRAFT_CHOOSER = "reponses.brouillon"
LAST_DRAFT_ROW = "reponses.derniere_ligne_brouillon"
CONFIRM_ABANDON = "reponses.confirmer_abandon"  # id of the draft awaiting a confirmation
FLASH = "reponses.message"  # (kind, text) of the last action, shown once

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_\[\]<>$~|#])")


def _md(text: Any) -> str:
    """Text safe to put in markdown (no accidental bold, links or LaTeX)."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", str(text))


def _slug(text: str) -> str:
    """« Diagnostic 2026 (démonstration) » → « diagnostic-2026-demonstration »."""
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-") or "campagne"


# -- actions (callbacks: one transaction each, before the page is drawn) ----------------------------


def _open_response(response_id: str | None) -> None:
    st.session_state[OPEN] = response_id


def _open_chosen() -> None:
    chosen = st.session_state.get(CHOOSER)
    if chosen:
        _open_response(chosen)


def _close() -> None:
    _open_response(None)
    st.session_state[CHOOSER] = None


def _campaign_changed() -> None:
    _close()
    st.session_state[DRAFT_CHOOSER] = None
    st.session_state.pop(CONFIRM_ABANDON, None)


def _ask_abandon(draft_id: str) -> None:
    st.session_state[CONFIRM_ABANDON] = draft_id


def _cancel_abandon() -> None:
    st.session_state.pop(CONFIRM_ABANDON, None)


def _abandon(draft_id: str, name: str) -> None:
    st.session_state.pop(CONFIRM_ABANDON, None)
    if run_action(FLASH, lambda con: delete_draft(con, draft_id, by=current_user()),
                  f"Brouillon de « {name} » abandonné. Ses réponses restent lisibles dans la base."):
        st.session_state[DRAFT_CHOOSER] = None


def _go_to_survey(campaign_id: str, structure_id: str, draft_id: str | None = None) -> None:
    """Leave for the survey page on this structure × campaign (it reads them from the URL); with a
    draft id, the survey page continues that very draft, whoever started it."""
    params = {"campagne": campaign_id, "structure": structure_id}
    if draft_id:
        params["brouillon"] = draft_id
    st.switch_page(SURVEY_PAGE, query_params=params)


def _correct(response: dict[str, Any]) -> None:
    """Open the correction draft of a response (the open one if someone already started it), then fill it."""
    user = current_user()
    try:
        with get_store().atomic() as con:
            draft = open_correction(con, response["id"], surveyor=user, by=user)
    except MaillageError as error:
        st.error(str(error))
        return
    _go_to_survey(response["campaign_id"], response["structure_id"], draft.id)


# -- the campaign -----------------------------------------------------------------------------------


def _metrics(latest: list[dict[str, Any]], drafts: list[dict[str, Any]]) -> None:
    columns = st.columns(3)
    columns[0].metric("Réponses", len(latest), help="Dernière révision de chaque réponse soumise.")
    columns[1].metric("Brouillons en cours", len(drafts), help="Questionnaires commencés, pas encore soumis.")
    columns[2].metric("Structures distinctes", len({r["structure_id"] for r in latest}),
                      help="Structures ayant au moins une réponse soumise.")


def _download(campaign: dict[str, Any], include_revisions: bool) -> None:
    columns, rows = responses_table(get_store(), by=current_user(), campaign_id=campaign["id"],
                                   include_revisions=include_revisions)
    today = datetime.now(PARIS).date().isoformat()
    st.download_button(
        "Télécharger les réponses (CSV pour Excel)",
        data=excel_csv_bytes(columns, rows),
        file_name=f"reponses-{_slug(campaign['nom'])}-{today}.csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
        disabled=not rows,
        key="reponses.telecharger",
    )
    which = "toutes les révisions" if include_revisions else "la dernière révision de chaque réponse"
    st.caption(
        f"Une ligne par réponse ({which}), une colonne par question ; pour une question à choix multiples, "
        "une colonne 0/1 par choix en plus, pour compter les réponses dans le tableur. Séparateur « ; », "
        "s'ouvre tel quel dans Excel. Les données personnelles (personne contact, commentaire de "
        "l'enquêteur) ne sont jamais exportées."
    )


# -- tab « Réponses » -------------------------------------------------------------------------------


def _responses_table(campaign_id: str, responses: list[dict[str, Any]], include_revisions: bool) -> None:
    if not responses:
        st.info("Aucune réponse soumise pour cette campagne.")
        return
    table = pd.DataFrame(
        {
            "Structure": [r["structure_nom"] for r in responses],
            "Commune": [r["structure_commune"] for r in responses],
            "Enquêteur": [r["surveyor"] for r in responses],
            "Soumise le": [moment_text(r["submitted_at"]) for r in responses],
            "Révision": [r["revision"] for r in responses],
        }
    )
    ids = [r["id"] for r in responses]
    chosen = newly_selected_row(
        table, ids, key=table_key("reponses.tableau", campaign_id, include_revisions), last_key=LAST_ROW,
        column_config={"Révision": st.column_config.NumberColumn(format="%d")},
    )
    if chosen:
        _open_response(chosen)
        st.session_state[CHOOSER] = chosen
    names = {
        r["id"]: f"{r['structure_nom']} — {r['structure_commune']} · {moment_text(r['submitted_at'])}"
        + (f" · révision {r['revision']}" if include_revisions or r["revision"] > 1 else "")
        for r in responses
    }
    if st.session_state.get(CHOOSER) not in (None, *names):
        st.session_state[CHOOSER] = None
    st.selectbox(
        "Ouvrir une réponse (ou cliquez sur une ligne du tableau)",
        ids,
        index=None,
        format_func=names.__getitem__,
        placeholder="Choisir une réponse…",
        key=CHOOSER,
        on_change=_open_chosen,
    )


def _answers(questionnaire: Questionnaire, answers: dict[str, Any]) -> None:
    """The answers by section, question label → answer; personal questions only in their expander."""
    personal = []
    for section in questionnaire.sections:
        lines = []
        for question in section.questions:
            if question.type == "note" or question.code not in answers:
                continue
            text = answer_text(question, answers[question.code])
            if not text:
                continue
            line = f"- **{_md(question.libelle)}** : {_md(text)}"
            if question.personnel:
                personal.append(line)
            else:
                lines.append(line)
        if lines:
            st.markdown(f"**{_md(section.titre)}**\n\n" + "\n".join(lines))
    st.caption("Seules les questions répondues sont affichées.")
    with st.expander(PERSONAL_EXPANDER):
        st.caption("Gardées pour la campagne ; jamais exportées ni montrées au comité.")
        st.markdown("\n".join(personal) if personal else "Aucune donnée personnelle saisie.")


def _revisions(response: dict[str, Any], all_responses: list[dict[str, Any]]) -> None:
    versions = sorted(
        (r for r in all_responses if r["structure_id"] == response["structure_id"]), key=lambda r: r["revision"]
    )
    st.markdown("**Historique des révisions**")
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Révision": r["revision"],
                    "Soumise le": moment_text(r["submitted_at"]),
                    "Par": r["surveyor"],
                    "Affichée": r["id"] == response["id"],
                }
                for r in reversed(versions)
            ]
        ),
        hide_index=True,
        key=f"reponses.historique.{response['id']}",
        column_config={
            "Révision": st.column_config.NumberColumn(format="%d"),
            "Affichée": st.column_config.CheckboxColumn(),
        },
    )
    st.caption(f"{counted(len(versions), 'révision')}, la plus récente en premier. Heures de Paris.")


def _detail(response_id: str, all_responses: list[dict[str, Any]], latest_ids: set[str]) -> None:
    try:
        with get_store().connect() as con:
            response = get_response(con, response_id)
            questionnaire = get_questionnaire(con, response["questionnaire_id"])
    except MaillageError:
        st.session_state[OPEN] = None
        st.info("Cette réponse n'existe plus.")
        return
    found = [r for r in all_responses if r["id"] == response_id]
    if not found:  # another campaign's response: nothing to show here
        st.session_state[OPEN] = None
        return
    summary = found[0]
    st.divider()
    head = st.columns([5, 1], vertical_alignment="bottom")
    head[0].subheader(f"{summary['structure_nom']} — {summary['structure_commune']}")
    head[1].button("Fermer", on_click=_close, key="reponses.fermer", width="stretch")
    st.caption(
        f"Révision {response['revision']} soumise le {moment_text(response['submitted_at'])} par "
        f"{response['surveyor']} · questionnaire {questionnaire.code} v{questionnaire.version}. "
        "Une réponse soumise ne change plus : une correction en fait une nouvelle révision."
    )
    latest = response_id in latest_ids
    if latest:
        if st.button("Corriger cette réponse", key="reponses.corriger", icon=":material/edit_note:"):
            _correct(response)
    else:
        st.info("Cette révision a été corrigée depuis : seule la dernière révision peut être corrigée.")
    _answers(questionnaire.questionnaire, response["answers"])
    _revisions(response, all_responses)


# -- tab « Brouillons » -----------------------------------------------------------------------------


def _section_titles(drafts: list[dict[str, Any]]) -> list[str]:
    """The title of the section each draft was left on ("" when none yet)."""
    with get_store().connect() as con:
        titles = {
            qid: {section.code: section.titre for section in get_questionnaire(con, qid).questionnaire.sections}
            for qid in {d["questionnaire_id"] for d in drafts}
        }
    return [titles[d["questionnaire_id"]].get(d["section"], d["section"]) if d["section"] else "" for d in drafts]


def _drafts(campaign_id: str, drafts: list[dict[str, Any]]) -> None:
    if not drafts:
        st.info("Aucun brouillon en cours pour cette campagne.")
        return
    table = pd.DataFrame(
        {
            "Structure": [d["structure_nom"] for d in drafts],
            "Commune": [d["structure_commune"] for d in drafts],
            "Enquêteur": [d["surveyor"] for d in drafts],
            "Réponses saisies": [d["reponses"] for d in drafts],
            "Dernière saisie": [moment_text(d["derniere_saisie"]) for d in drafts],
            "Section": _section_titles(drafts),
            "Correction": [d["supersedes"] is not None for d in drafts],
        }
    )
    ids = [d["id"] for d in drafts]
    chosen = newly_selected_row(
        table, ids, key=table_key("reponses.brouillons", campaign_id, ids), last_key=LAST_DRAFT_ROW,
        column_config={
            "Réponses saisies": st.column_config.NumberColumn(format="%d"),
            "Correction": st.column_config.CheckboxColumn(help="Correction d'une réponse déjà soumise"),
        },
    )
    if chosen:
        st.session_state[DRAFT_CHOOSER] = chosen
        st.session_state.pop(CONFIRM_ABANDON, None)
    by_id = {d["id"]: d for d in drafts}
    if st.session_state.get(DRAFT_CHOOSER) not in (None, *by_id):
        st.session_state[DRAFT_CHOOSER] = None
    draft_id = st.selectbox(
        "Brouillon (ou cliquez sur une ligne du tableau)",
        ids,
        index=None,
        format_func=lambda did: f"{by_id[did]['structure_nom']} — {by_id[did]['structure_commune']}"
        f" · {by_id[did]['surveyor']}",
        placeholder="Choisir un brouillon…",
        key=DRAFT_CHOOSER,
        on_change=_cancel_abandon,
    )
    if draft_id is None:
        return
    draft = by_id[draft_id]
    if draft["surveyor"] != current_user():
        st.caption(f"Brouillon commencé par {draft['surveyor']} : vous le continuerez (vos saisies sont à votre nom).")
    actions = st.columns([1, 1, 4])
    if actions[0].button("Reprendre", type="primary", key="reponses.reprendre", icon=":material/play_arrow:"):
        _go_to_survey(draft["campaign_id"], draft["structure_id"], draft_id)
    actions[1].button("Abandonner", key="reponses.abandonner", on_click=_ask_abandon, args=(draft_id,),
                      icon=":material/delete:")
    if st.session_state.get(CONFIRM_ABANDON) == draft_id:
        st.warning(
            f"Abandonner le brouillon de « {draft['structure_nom']} » "
            f"({counted(draft['reponses'], 'réponse saisie', 'réponses saisies')}) ? "
            "Il ne sera plus proposé ; ses réponses restent lisibles dans la base."
        )
        confirm = st.columns([2, 1, 5])
        confirm[0].button("Confirmer l'abandon", type="primary", key="reponses.confirmer_abandon_bouton",
                          on_click=_abandon, args=(draft_id, draft["structure_nom"]))
        confirm[1].button("Annuler", key="reponses.annuler_abandon", on_click=_cancel_abandon)


# -- the page ---------------------------------------------------------------------------------------

page_setup("voir_donnees_personnelles")
st.title("Réponses")
show_flash(FLASH)

store = get_store()
campaign = choose_campaign(store, CAMPAIGN, on_change=_campaign_changed, with_version=True)
include_revisions = bool(st.session_state.get(ALL_REVISIONS, False))
with store.connect() as con:
    all_responses = list_responses(con, campaign_id=campaign["id"], latest_only=False)
    latest_responses = list_responses(con, campaign_id=campaign["id"], latest_only=True)
    open_drafts = list_drafts(con, campaign_id=campaign["id"])
_metrics(latest_responses, open_drafts)

responses_tab, drafts_tab = st.tabs(["Réponses", "Brouillons"])
with responses_tab:
    st.checkbox("Afficher toutes les révisions", key=ALL_REVISIONS,
                help="Avec les versions corrigées depuis, et non la seule dernière révision de chaque réponse.")
    shown = all_responses if include_revisions else latest_responses
    _responses_table(campaign["id"], shown, include_revisions)
    _download(campaign, include_revisions)
    opened = st.session_state.get(OPEN)
    if opened:
        _detail(opened, all_responses, {r["id"] for r in latest_responses})
with drafts_tab:
    _drafts(campaign["id"], open_drafts)
