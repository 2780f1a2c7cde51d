"""Page « Enquête »: fill a structure's questionnaire during the phone call, nothing typed ever lost.

The structure and the campaign are in the URL (``?campagne=…&structure=…``), so a reload, a new
tab or a restarted server reopens the same draft, on the section the surveyor was on.

Every change of every widget is saved to the draft at once (``collect.surveys.save_answer``),
one field at a time, with the revision this tab last knew: when another tab changed the same
field meanwhile, nothing is overwritten and both values are shown. A registry answer is saved with
the registry's value this tab showed: submitting writes to the fiche only the registry answers the
surveyor changed from it, and a fiche field changed meanwhile is kept there as a conflict to resolve
(said once the response is submitted). Typed answers use
``ui.saisie.saisie_texte``, which sends keystrokes (not only on blur) and keeps unsent ones in
the browser.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import streamlit as st

from collect.campaigns import list_campaigns
from collect.questionnaire import Question
from collect.surveys import (
    SaveOutcome,
    answer_text,
    check_answers,
    draft_or_response,
    effective_answers,
    get_questionnaire,
    list_drafts,
    load_draft,
    open_correction,
    registry_value,
    save_answer,
    set_draft_section,
    submit_draft,
)
from models.errors import MaillageError
from models.ids import new_id
from models.moments import moment_text
from models.registry import find_structures, get_structure, structure_from_row
from models.store import utc_now
from ui.saisie import saisie_texte
from ui.shared import current_user, get_store, label, page_setup, viewer_zone

YES, NO = "Oui", "Non"
SYNC = "enquete.synchro"  # per draft and question: the value and revision this tab last agreed with the store
ERRORS = "enquete.erreurs"  # per draft: {code: French message} of the last submission
CONFLICTS = "enquete.conflits"
STARTED = "enquete.debut_session"
TAB = "enquete.onglet"
LAST_SAVE = "enquete.dernier_enregistrement"
SUBMITTED = "enquete.soumise"
REGISTRY_CONFLICTS = "enquete.conflits_registre"  # registry answers of the last submission not written
RESUMED = "enquete.repris"  # per draft: when it was last saved before this session, else None


def _local(moment: datetime, fmt: str) -> str:
    return moment.astimezone(viewer_zone()).strftime(fmt)


# -- values: storage form ↔ widget form ----------------------------------------------------------


def _stored_to_text(question: Question, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return " | ".join(str(v) for v in value)
    if isinstance(value, float) and value.is_integer() and question.answer_type == "decimal":
        return str(value).replace(".", ",")
    return str(value)


def _stored_to_text_plain(value: Any) -> str:
    """A registry value as text (lists joined by « | »), « vide » when there is none."""
    if value in (None, "", []):
        return "vide"
    return " | ".join(str(v) for v in value) if isinstance(value, list) else str(value)


def _widget_key(draft_id: str, code: str) -> str:
    return f"enquete.q.{draft_id}.{code}"


def _set_widget(draft_id: str, question: Question, value: Any) -> None:
    """Put a stored value into the question's widget (before the widget is drawn)."""
    key = _widget_key(draft_id, question.code)
    kind = question.answer_type
    if question.is_typed:
        st.session_state[key] = {"value": _stored_to_text(question, value)}
    elif kind == "oui_non":
        st.session_state[key] = None if value is None else (YES if value else NO)
    elif kind == "date":
        try:
            st.session_state[key] = date.fromisoformat(value) if value else None
        except (TypeError, ValueError):
            st.session_state[key] = None
    elif kind == "choix_multiple":
        codes = {c.code for c in question.choix}
        st.session_state[key] = [v for v in (value or []) if v in codes]
    elif kind == "choix_unique":
        st.session_state[key] = value if value in {c.code for c in question.choix} else None


def _draw(draft_id: str, question: Question, registry: Any) -> Any:
    """Draw a question's widget; return its value in storage form (text as typed, bool, ISO date, codes)."""
    key = _widget_key(draft_id, question.code)
    label = question.libelle or question.code
    if question.obligatoire:
        label += " *"
    kind = question.answer_type
    if question.is_typed:
        value = saisie_texte(
            label,
            key=key,
            value=st.session_state.get(key, {}).get("value", ""),
            storage_key=f"maillage:{draft_id}:{question.code}",
            multiline=kind == "texte_long",
            help=question.aide,
            inputmode={"entier": "numeric", "decimal": "decimal", "telephone": "tel", "courriel": "email", "url": "url"}.get(kind),
        )
        return value if value.strip() else None
    if kind == "oui_non":
        choice = st.radio(label, [YES, NO], index=None, key=key, horizontal=True, help=question.aide)
        return None if choice is None else choice == YES
    if kind == "date":
        chosen = st.date_input(label, value=None, key=key, format="DD/MM/YYYY", help=question.aide,
                               min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))
        return chosen.isoformat() if chosen else None
    if kind == "choix_unique":
        codes = [c.code for c in question.choix]
        widget = st.radio if len(codes) <= 6 else st.selectbox
        return widget(label, codes, index=None, key=key, format_func=question.choice_label, help=question.aide)
    if kind == "choix_multiple":
        codes = [c.code for c in question.choix]
        chosen = st.multiselect(label, codes, key=key, format_func=question.choice_label, help=question.aide,
                                placeholder="Choisir…")
        return chosen or None
    return None


# -- one question: draw, compare with what this tab last agreed with the store, save -------------


def _question(store, draft, question: Question, registry: Any, errors: dict[str, str]) -> Any:
    """Draw one question, save its change at once; return its current value (storage form)."""
    sync = st.session_state[SYNC].setdefault(draft.id, {})
    conflicts = st.session_state[CONFLICTS].setdefault(draft.id, {})
    stored = draft.values.get(question.code)
    agreed = sync.get(question.code)
    if agreed is None:
        # First time this tab shows the question: start from the draft, else the registry's value.
        initial = stored.value if stored else registry
        if question.is_typed and initial is not None:
            initial = _stored_to_text(question, initial) or None  # typed answers live as text in the widget
        agreed = sync[question.code] = {"value": initial, "revision": stored.revision if stored else 0,
                                        "registry": registry}  # the registry's value this tab showed
        _set_widget(draft.id, question, initial)
    elif stored and stored.revision > agreed["revision"] and question.code not in conflicts:
        # Another tab saved this question; take its value unless this tab has unsaved changes.
        if _current_widget_value(draft.id, question) == agreed["value"]:
            agreed.update(value=stored.value, revision=stored.revision)
            _set_widget(draft.id, question, stored.value)

    if _widget_key(draft.id, question.code) not in st.session_state:
        # Streamlit forgets the state of a widget not drawn on a run (another section was shown):
        # give it back the agreed value, never an empty widget that would be saved as a change.
        _set_widget(draft.id, question, agreed["value"])

    if question.type == "registre":
        shown = _stored_to_text(question, registry) if registry not in (None, []) else "non renseigné"
        st.caption(f"Registre : {shown} — la réponse confirmée mettra la fiche à jour.")
    value = _draw(draft.id, question, registry)

    conflict = conflicts.get(question.code)
    if value != agreed["value"] and not (value is None and agreed["value"] in (None, "", [])):
        # run again on a write conflict (two tabs saving at once): the other tab's save then
        # comes back as a conflict to show
        based_on = {"registry_base": agreed.get("registry", registry)} if question.type == "registre" else {}
        outcome: SaveOutcome = store.transaction(lambda con: save_answer(
            con, draft.id, question.code, value, base_revision=agreed["revision"],
            session_id=st.session_state[TAB], by=current_user(), **based_on,
        ))
        if outcome.saved:
            agreed.update(value=value, revision=outcome.revision)
            st.session_state[LAST_SAVE] = outcome.saved_at
            conflicts.pop(question.code, None)
            errors.pop(question.code, None)
        else:
            conflict = conflicts[question.code] = outcome.conflict
    if conflict is not None:
        st.warning(
            f"Modifié dans un autre onglet ({conflict.updated_by}) à {_local(conflict.updated_at, '%H:%M:%S')} : "
            f"« {answer_text(question, conflict.value) or 'vide'} ». Votre saisie n'a pas été enregistrée.",
            icon=":material/sync_problem:",
        )
        keep, take = st.columns(2)
        keep.button("Garder ma saisie", key=f"enquete.garder.{question.code}", on_click=_keep_mine,
                    args=(draft.id, question.code, conflict.revision))
        take.button("Reprendre cette valeur", key=f"enquete.reprendre.{question.code}", on_click=_take_theirs,
                    args=(draft.id, question, conflict.value, conflict.revision))
    if question.code in errors:
        st.error(errors[question.code], icon=":material/error:")
    return value


def _current_widget_value(draft_id: str, question: Question) -> Any:
    key = _widget_key(draft_id, question.code)
    raw = st.session_state.get(key)
    kind = question.answer_type
    if question.is_typed:
        text = raw.get("value", "") if raw is not None and hasattr(raw, "get") else ""
        return text if text and text.strip() else None
    if kind == "oui_non":
        return None if raw is None else raw == YES
    if kind == "date":
        return raw.isoformat() if raw else None
    if kind == "choix_multiple":
        return raw or None
    return raw


def _keep_mine(draft_id: str, code: str, revision: int) -> None:
    """Save this tab's value over the other one, knowingly."""
    st.session_state[SYNC][draft_id][code]["revision"] = revision
    st.session_state[SYNC][draft_id][code]["value"] = object()  # differs from any value: saved on this run
    st.session_state[CONFLICTS].get(draft_id, {}).pop(code, None)


def _take_theirs(draft_id: str, question: Question, value: Any, revision: int) -> None:
    st.session_state[SYNC][draft_id][question.code] = {"value": value, "revision": revision}
    _set_widget(draft_id, question, value)
    st.session_state[CONFLICTS].get(draft_id, {}).pop(question.code, None)


# -- choosing what to survey ---------------------------------------------------------------------


def _choose(store) -> None:
    with store.connect() as con:
        campaigns = list_campaigns(con)
    if not campaigns:
        st.info("Aucune campagne : la démonstration en crée une au premier démarrage.")
        st.stop()
    with store.connect() as con:
        mine = [d for d in list_drafts(con) if d["surveyor"] == current_user()]
    if mine:
        st.subheader("Mes brouillons en cours")
        for draft in mine[:10]:
            when = _local(draft["derniere_saisie"], "%d/%m à %H:%M")
            if st.button(f"{draft['structure_nom']} — {draft['structure_commune']} · {draft['reponses']} réponse(s),"
                         f" dernière saisie le {when}", key=f"enquete.reprendre.{draft['id']}", icon=":material/history:"):
                st.query_params["campagne"] = draft["campaign_id"]
                st.query_params["structure"] = draft["structure_id"]
                st.rerun()
        st.subheader("Nouvel appel")
    names = {c["id"]: f"{c['nom']} (questionnaire v{c['questionnaire_version']})" for c in campaigns}
    campaign_id = st.selectbox("Campagne", list(names), format_func=names.__getitem__, key="enquete.campagne")
    text = st.text_input("Rechercher une structure", placeholder="Nom, commune, code postal ou SIRET",
                         key="enquete.recherche")
    with store.connect() as con:
        found = find_structures(con, text=text or None, limit=50)
    if not found:
        st.info("Aucune structure ne correspond.")
        st.stop()
    labels = {row["id"]: f"{row['nom']} — {row['commune']} ({row['code_postal']})" for row in found}
    structure_id = st.selectbox("Structure", list(labels), index=None, format_func=labels.__getitem__,
                                placeholder="Choisir la structure appelée…", key="enquete.structure")
    if st.button("Ouvrir le questionnaire", type="primary", disabled=structure_id is None):
        st.query_params["campagne"] = campaign_id
        st.query_params["structure"] = structure_id
        st.rerun()
    st.stop()


def _show_response(store, response: dict[str, Any]) -> None:
    st.success(
        f"Réponse soumise le {_local(response['submitted_at'], '%d/%m/%Y à %H:%M')} par {response['surveyor']}"
        f" (révision {response['revision']}). Une réponse soumise ne change plus : une correction en fait une nouvelle révision.",
        icon=":material/task_alt:",
    )
    with store.connect() as con:
        questionnaire = get_questionnaire(con, response["questionnaire_id"]).questionnaire
    for section in questionnaire.sections:
        lines = [
            f"- **{q.libelle}** : {answer_text(q, response['answers'][q.code])}"
            for q in section.questions if q.code in response["answers"]
        ]
        if lines:
            st.markdown(f"**{section.titre}**\n\n" + "\n".join(lines))
    if st.button("Corriger cette réponse", key="enquete.corriger"):
        with store.atomic() as con:
            open_correction(con, response["id"], surveyor=current_user(), by=current_user())
        st.rerun()


# -- the page ------------------------------------------------------------------------------------

page_setup("saisir_enquete")
st.title("Enquête")
store = get_store()
st.session_state.setdefault(STARTED, utc_now())
st.session_state.setdefault(TAB, new_id())
st.session_state.setdefault(SYNC, {})
st.session_state.setdefault(CONFLICTS, {})
st.session_state.setdefault(ERRORS, {})

campaign_id = st.query_params.get("campagne")
structure_id = st.query_params.get("structure")
if not campaign_id or not structure_id:
    _choose(store)

try:
    with store.connect() as con:
        structure = get_structure(con, structure_id)
    if structure is None:
        raise MaillageError("Structure introuvable : le lien est peut-être ancien.")
    draft, response = store.transaction(lambda con: draft_or_response(
        con, structure_id=structure_id, campaign_id=campaign_id, surveyor=current_user(),
        draft_id=st.query_params.get("brouillon")))
except MaillageError as error:
    st.error(str(error))
    if st.button("Choisir une autre structure"):
        st.query_params.clear()
        st.rerun()
    st.stop()

zone = structure_from_row(structure).timezone
local_time = datetime.now(ZoneInfo(zone)).strftime("%H:%M")
st.subheader(structure["nom"])
st.caption(
    f"{structure['commune']} ({structure['code_postal']}) · "
    + (f"[{structure['telephone']}](tel:{structure['telephone']}) · " if structure.get("telephone") else "")
    + f"heure locale du lieu : {local_time} ({zone})"
)
if st.query_params.get("depuis") == "appels":
    st.page_link("pages/appels.py", label="Retour à Mes appels (noter l'issue de l'appel)", icon=":material/arrow_back:")
if st.button("Changer de structure", key="enquete.changer", type="tertiary"):
    st.query_params.clear()
    st.rerun()

if response is not None:
    if st.session_state.pop(SUBMITTED, None):
        st.balloons()
    not_written = st.session_state.pop(REGISTRY_CONFLICTS, None)
    if not_written:
        st.warning(
            "Ces réponses n'ont pas mis la fiche à jour, car elle a été changée entre-temps : "
            + " ; ".join(
                f"{label(c.field)} (la fiche dit « {_stored_to_text_plain(c.current)} », enregistré par"
                f" {c.current_by or '?'} le {moment_text(c.current_at)} ; votre réponse : « {_stored_to_text_plain(c.proposed)} »)"
                for c in not_written
            )
            + ". Rien n'est perdu : les deux valeurs sont gardées sur la fiche (page Structures, « Conflits à résoudre »).",
            icon=":material/sync_problem:",
        )
    _show_response(store, response)
    st.stop()

with store.connect() as con:
    draft = load_draft(con, draft.id)
    stored_questionnaire = get_questionnaire(con, draft.questionnaire_id)
questionnaire = stored_questionnaire.questionnaire
errors: dict[str, str] = st.session_state[ERRORS].setdefault(draft.id, {})
status = st.empty()

if draft.supersedes:
    st.info("Correction d'une réponse soumise : la soumettre en fera une nouvelle révision.", icon=":material/edit_note:")

answers = effective_answers(questionnaire, draft, structure)
titles = {s.code: s.titre for s in questionnaire.sections}
codes = [s.code for s in questionnaire.sections]
section_key = f"enquete.section.{draft.id}"
if section_key not in st.session_state:
    st.session_state[section_key] = draft.section if draft.section in codes else codes[0]


def _section_label(code: str) -> str:
    wrong = sum(1 for q in questionnaire.sections[codes.index(code)].questions if q.code in errors)
    return titles[code] + (f" ({wrong} ⚠)" if wrong else "")


def _section_chosen(key: str, last_key: str) -> None:
    """Clicking the section already shown deselects it in a segmented control: keep it shown."""
    if st.session_state.get(key) is None:
        st.session_state[key] = st.session_state.get(last_key)
    st.session_state[last_key] = st.session_state[key]


last_section_key = section_key + ".derniere"
st.session_state.setdefault(last_section_key, st.session_state[section_key])
section = st.segmented_control(
    "Section", codes, key=section_key, format_func=_section_label, selection_mode="single",
    label_visibility="collapsed", on_change=_section_chosen, args=(section_key, last_section_key),
) or st.session_state[last_section_key] or codes[0]
if section != draft.section:
    store.transaction(lambda con: set_draft_section(con, draft.id, section, by=current_user()))

current = questionnaire.sections[codes.index(section)]
if current.description:
    st.caption(current.description)
for question in current.questions:
    # Conditions read the answers as they are now, including those just changed above on this run.
    if question.code not in check_answers(questionnaire, answers).visible:
        continue
    if question.type == "note":
        st.info(question.libelle)
        continue
    registry = registry_value(question, structure) if question.type == "registre" else None
    answers[question.code] = _question(store, draft, question, registry, errors)

index = codes.index(section)


def _go(target: str) -> None:
    st.session_state[section_key] = st.session_state[last_section_key] = target


previous_col, next_col = st.columns(2)
if index > 0:
    previous_col.button("← " + titles[codes[index - 1]], on_click=_go, args=(codes[index - 1],), key="enquete.precedente")
if index < len(codes) - 1:
    next_col.button(titles[codes[index + 1]] + " →", on_click=_go, args=(codes[index + 1],), key="enquete.suivante")

st.divider()
question_codes = {q.code for q in questionnaire.questions()}
for code, message in errors.items():
    if code not in question_codes:  # an error about the whole response (e.g. corrected meanwhile)
        st.error(message, icon=":material/error:")
if any(code in question_codes for code in errors):
    by_section: dict[str, int] = {}
    for code in errors:
        if code in question_codes:
            title = questionnaire.section_of(code).titre
            by_section[title] = by_section.get(title, 0) + 1
    st.error(
        f"{sum(by_section.values())} réponse(s) à corriger avant de soumettre : "
        + ", ".join(f"{name} ({count})" for name, count in by_section.items()) + ".",
        icon=":material/error:",
    )


def _submit(draft_id: str) -> None:
    outcome = submit_draft(get_store(), draft_id, by=current_user())
    if outcome.response_id:
        st.session_state[ERRORS].pop(draft_id, None)
        st.session_state[SUBMITTED] = outcome.response_id
        st.session_state[REGISTRY_CONFLICTS] = outcome.registry_conflicts
    else:
        st.session_state[ERRORS][draft_id] = dict(outcome.errors)
        asked = [code for code in outcome.errors if code in question_codes]
        if asked:  # show the first section with an error
            target = questionnaire.section_of(asked[0]).code
            st.session_state[f"enquete.section.{draft_id}"] = target
            st.session_state[f"enquete.section.{draft_id}.derniere"] = target


st.button("Soumettre la réponse", type="primary", key="enquete.soumettre", on_click=_submit, args=(draft.id,))

last = st.session_state.get(LAST_SAVE)
saved = f":material/cloud_done: Enregistré à {_local(last, '%H:%M:%S')}" if last is not None else ""
resumed = st.session_state.setdefault(RESUMED, {})
if draft.id not in resumed:
    # Decided once per session: was this draft saved before this session began?
    older = bool(draft.values) and draft.last_saved_at < st.session_state[STARTED]
    resumed[draft.id] = draft.last_saved_at if older else None
if resumed[draft.id] is not None:
    status.info(
        f"Brouillon repris du {_local(resumed[draft.id], '%d/%m')} à {_local(resumed[draft.id], '%H:%M')}."
        + (f" {saved}" if saved else ""),
        icon=":material/history:",
    )
elif saved:
    status.caption(saved)
