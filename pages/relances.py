"""Page « Relances »: remind a campaign's non-respondents by e-mail, for its coordinator.

The coordinator sets the campaign's French template (subject and body with the structure's
fields, the delay between two relances and their maximum), picks the non-respondents by rule
(never reached after N attempts, questionnaire started, promised to answer), sees why every other
target is left out, then sends the batch through the SMTP server of the ``[smtp]`` table of
``.streamlit/secrets.toml`` or exports it (``.eml`` files and a ``relances.csv`` in a zip) for the
organisation's own mailer. Everything is done by ``collect.relances``: each message is recorded
once, a retry sends only what was not sent, and completed, refused and opted-out structures are
never mailed. The history shows every relance; an « envoi incertain » is settled by hand.
The template form keeps the settings it was drawn with and sends only those changed, each with the
value it was based on (``collect.relances.templates.edit_relance_settings``): a setting someone else changed
meanwhile is not overwritten but shown with both values, to keep one.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

import pandas as pd
import streamlit as st

from collect.calls import load_cases
from collect.campaigns import get_campaign
from collect.relances.batches import batch_rows, cancel_batch, prepare_batch, relance_history, resolve_uncertain
from collect.relances.errors import RelanceError
from collect.relances.export import batch_zip_bytes
from collect.relances.opt_outs import add_opt_out, list_opt_outs, remove_opt_out
from collect.relances.selection import RULE_LABELS, campaign_limits, relance_candidates
from collect.relances.templates import PLACEHOLDERS, edit_relance_settings, preview_message, relance_settings_shown
from collect.relances.transport import SendReport, SmtpSettings, send_batch, smtp_settings_from_secrets
from models.errors import MaillageError
from models.moments import moment_text
from models.records import CANAL_LABELS, RELANCE_EXCLUSION_LABELS
from models.secrets import SECRETS_PATH
from models.store import utc_now
from models.text import counted
from ui.shared import (
    PARIS,
    choose_campaign,
    current_user,
    edit_outcome,
    get_store,
    page_setup,
    run_action,
    show_flash,
    table_key,
)

# Session-state keys of this page (those of widgets whose value comes from a campaign end with its id).
CAMPAIGN = "relances.campagne"
FLASH = "relances.message"
OBJET = "relances.objet"
CORPS = "relances.corps"
DELAI = "relances.delai"
MAXIMUM = "relances.maximum"
TEMPLATE_SEEN = "relances.modele.vu"  # + "." + campaign id: the settings the template form was drawn with
TEMPLATE_CONFLICTS = "relances.modele.conflits"  # + "." + campaign id: conflicts of the last save
SETTING_KEYS = {"objet": OBJET, "corps": CORPS, "delai_jours": DELAI, "max_relances": MAXIMUM}
SETTING_LABELS = {"objet": "Objet", "corps": "Texte du courriel", "delai_jours": "Jours entre deux relances",
                  "max_relances": "Relances au plus"}
RULES = "relances.regles"
ATTEMPTS = "relances.tentatives"
LEAVE_OUT = "relances.ecarter"
LAST_BATCH = "relances.dernier_lot"  # (campaign id, batch id) of the last batch prepared here
EXPORTED = "relances.export"  # (campaign id, batch id, zip bytes, file name, messages) to download
OPT_OUT = "relances.desinscrire"
OPT_OUT_REASON = "relances.desinscrire.motif"
OPT_IN = "relances.reinscrire"

PENDING = ("a_envoyer", "echec")  # what « Renvoyer les échecs » sends (see collect.relances)
SMTP_EXAMPLE = f"""# {SECRETS_PATH.as_posix()} (à côté de app.py ; ne le partagez pas, ne le versionnez pas)
[smtp]
host = "smtp.example.fr"
port = 587                       # 465 avec ssl = true
username = "enquete@example.fr"  # facultatif, avec password
password = "mot de passe du compte d'envoi"
starttls = true
expediteur = "enquete@example.fr"
nom_expediteur = "Diagnostic inclusion numérique"  # facultatif
repondre_a = "coordination@example.fr"             # facultatif
"""



def _smtp_settings() -> tuple[SmtpSettings | None, str | None]:
    """The SMTP settings of the secrets, or None and the French reason why there are none."""
    try:
        return smtp_settings_from_secrets(st.secrets), None
    except RelanceError as error:
        return None, str(error)


def _report_flash(reports: list[SendReport]) -> None:
    """Keep the outcome of one or more sends: a warning when anything failed or is uncertain."""
    trouble = any(r.echecs or r.incertaines or r.non_tentees or r.connexion for r in reports)
    st.session_state[FLASH] = ("warning" if trouble else "success", " ".join(r.message for r in reports))


# -- actions (callbacks: run before the page is drawn) ---------------------------------------------


def _setting_text(value: Any) -> str:
    text = "vide" if value in (None, "") else str(value)
    return text if len(text) <= 60 else text[:59] + "…"


def _edit_template(campaign_id: str, changes: dict[str, tuple[Any, Any]]) -> None:
    """Send setting changes; say what was saved and keep the conflicts to show under the form."""
    outcomes: list = []
    if not run_action(FLASH, lambda con: outcomes.append(edit_relance_settings(con, campaign_id, changes,
                                                                                by=current_user())), ""):
        return  # refused: the form stays as typed, to be corrected
    result = outcomes[-1]
    st.session_state[f"{TEMPLATE_CONFLICTS}.{campaign_id}"] = result.conflicts
    st.session_state[FLASH] = edit_outcome(result, SETTING_LABELS, "Modèle et règles de relance enregistrés.")
    for key in (*SETTING_KEYS.values(), TEMPLATE_SEEN):  # drawn again from the store
        st.session_state.pop(f"{key}.{campaign_id}", None)


def _save_template(campaign_id: str) -> None:
    seen = st.session_state.get(f"{TEMPLATE_SEEN}.{campaign_id}")
    if seen is None:
        st.session_state[FLASH] = ("error", ("Rien n'a été enregistré : le formulaire n'était plus celui de cette"
                                             " campagne. Refaites la modification."))
        return
    typed = {name: st.session_state.get(f"{key}.{campaign_id}") for name, key in SETTING_KEYS.items()}
    typed["delai_jours"], typed["max_relances"] = int(typed["delai_jours"]), int(typed["max_relances"])
    _edit_template(campaign_id, {name: (seen[name], value) for name, value in typed.items() if value != seen[name]})


def _keep_setting(campaign_id: str, name: str, value: Any, seen: Any) -> None:
    """« Garder ma valeur » of a conflict: save it over the value shown with it."""
    _edit_template(campaign_id, {name: (seen, value)})


def _drop_setting_conflict(campaign_id: str, name: str) -> None:
    """« Garder l'autre valeur »: nothing to write, the conflict is settled."""
    key = f"{TEMPLATE_CONFLICTS}.{campaign_id}"
    st.session_state[key] = [c for c in st.session_state.get(key, []) if c.field != name]


def _send(campaign_id: str, structure_ids: list[str]) -> None:
    if not structure_ids:
        st.session_state[FLASH] = ("error", "Aucune structure choisie : rien n'a été envoyé.")
        return
    settings, problem = _smtp_settings()
    if settings is None:
        st.session_state[FLASH] = ("error", problem)
        return
    store = get_store()
    try:
        batch_id = prepare_batch(store, campaign_id, structure_ids, canal="smtp", by=current_user())
        st.session_state[LAST_BATCH] = (campaign_id, batch_id)
        report = send_batch(store, batch_id, settings, by=current_user())
    except MaillageError as error:
        st.session_state[FLASH] = ("error", str(error))
        return
    _report_flash([report])


def _retry(batch_ids: list[str]) -> None:
    """Send again what the batches have not sent (failures, and rows never tried)."""
    settings, problem = _smtp_settings()
    if settings is None:
        st.session_state[FLASH] = ("error", problem)
        return
    reports = []
    try:
        for batch_id in batch_ids:
            reports.append(send_batch(get_store(), batch_id, settings, by=current_user()))
    except MaillageError as error:
        st.session_state[FLASH] = ("error", str(error))
        return
    _report_flash(reports)


def _cancel(batch_ids: list[str]) -> None:
    try:
        cancelled = sum(cancel_batch(get_store(), batch_id, by=current_user()) for batch_id in batch_ids)
    except MaillageError as error:
        st.session_state[FLASH] = ("error", str(error))
        return
    st.session_state[FLASH] = ("success", f"{counted(cancelled, 'relance annulée', 'relances annulées')}.")


def _export(campaign_id: str, structure_ids: list[str]) -> None:
    if not structure_ids:
        st.session_state[FLASH] = ("error", "Aucune structure choisie : rien n'a été exporté.")
        return
    settings, _ = _smtp_settings()
    store = get_store()
    try:
        batch_id = prepare_batch(store, campaign_id, structure_ids, canal="export", by=current_user())
        st.session_state[LAST_BATCH] = (campaign_id, batch_id)
        content = batch_zip_bytes(store, batch_id, by=current_user(),
                                  expediteur=settings.expediteur if settings else None,
                                  nom_expediteur=settings.nom_expediteur if settings else None)
    except MaillageError as error:
        st.session_state[FLASH] = ("error", str(error))
        return
    with store.connect() as con:
        exported = sum(1 for row in batch_rows(con, batch_id) if row["statut"] == "exportee")
    name = f"relances-{utc_now().astimezone(PARIS):%Y%m%d-%H%M}.zip"
    st.session_state[EXPORTED] = (campaign_id, batch_id, content, name, exported)
    st.session_state[FLASH] = ("success", f"{counted(exported, 'relance exportée', 'relances exportées')} :"
                                          " téléchargez le lot ci-dessous. Elles comptent désormais comme envoyées.")


def _resolve(relance_id: str, delivered: bool) -> None:
    try:
        resolve_uncertain(get_store(), relance_id, delivered=delivered, by=current_user())
    except MaillageError as error:
        st.session_state[FLASH] = ("error", str(error))
        return
    st.session_state[FLASH] = ("success", "Relance marquée comme envoyée." if delivered else
                               "Relance remise en échec : « Renvoyer les échecs » l'enverra de nouveau.")


def _opt_out(campaign_id: str) -> None:
    structure_id = st.session_state.get(f"{OPT_OUT}.{campaign_id}")
    if not structure_id:
        st.session_state[FLASH] = ("error", "Choisissez la structure qui ne veut plus recevoir de courriels.")
        return
    reason = st.session_state.get(OPT_OUT_REASON)
    if run_action(FLASH, lambda con: add_opt_out(con, structure_id, reason, by=current_user()),
                  "Structure désinscrite : elle ne recevra plus de relances."):
        st.session_state.pop(f"{OPT_OUT}.{campaign_id}", None)
        st.session_state.pop(OPT_OUT_REASON, None)


def _opt_in() -> None:
    structure_id = st.session_state.get(OPT_IN)
    if not structure_id:
        st.session_state[FLASH] = ("error", "Choisissez la structure à réinscrire.")
        return
    if run_action(FLASH, lambda con: remove_opt_out(con, structure_id, by=current_user()),
                  "Structure réinscrite : elle peut de nouveau être relancée."):
        st.session_state.pop(OPT_IN, None)


# -- the page --------------------------------------------------------------------------------------

page_setup("relancer")
st.title("Relances")
store = get_store()
show_flash(FLASH)

campaign_id = choose_campaign(store, CAMPAIGN)["id"]
with store.connect() as con:
    campaign = get_campaign(con, campaign_id)
    cases = load_cases(con, campaign_id)
delai, maximum = campaign_limits(campaign)
if f"{OBJET}.{campaign_id}" not in st.session_state:  # fresh widgets: drawn from the settings as stored now
    st.session_state[f"{TEMPLATE_SEEN}.{campaign_id}"] = relance_settings_shown(campaign)
seen_settings = st.session_state.setdefault(f"{TEMPLATE_SEEN}.{campaign_id}", relance_settings_shown(campaign))

# 1. The template and the limits.
st.subheader("Modèle du message")
with st.form("relances.modele", border=False):
    st.text_input("Objet", value=seen_settings["objet"], max_chars=200, key=f"{OBJET}.{campaign_id}")
    st.text_area("Texte du courriel", value=seen_settings["corps"], height=320, key=f"{CORPS}.{campaign_id}")
    st.caption("Champs possibles, remplacés pour chaque structure : "
               + " · ".join(f"`{{{name}}}` {meaning}" for name, meaning in PLACEHOLDERS.items())
               + ". Laissez l'objet ou le texte vide pour revenir au modèle par défaut.")
    left, right = st.columns(2)
    left.number_input("Jours au moins entre deux relances", min_value=0, max_value=365,
                      value=seen_settings["delai_jours"], key=f"{DELAI}.{campaign_id}")
    right.number_input("Relances au plus par structure", min_value=1, max_value=10,
                       value=seen_settings["max_relances"], key=f"{MAXIMUM}.{campaign_id}")
    st.form_submit_button("Enregistrer le modèle", on_click=_save_template, args=(campaign_id,))
for conflict in st.session_state.get(f"{TEMPLATE_CONFLICTS}.{campaign_id}", []):
    title = SETTING_LABELS[conflict.field]
    mine, theirs = _setting_text(conflict.proposed), _setting_text(conflict.current)
    st.warning(f"{title} : votre valeur « {mine} » n'est pas enregistrée, car {conflict.current_by or '?'} l'a changée"
               f" en « {theirs} » le {moment_text(conflict.current_at)} pendant que vous modifiiez le modèle.",
               icon=":material/sync_problem:")
    keep, take = st.columns(2)
    keep.button(f"Garder « {mine} »", key=f"relances.conflit.{conflict.field}.mienne", on_click=_keep_setting,
                args=(campaign_id, conflict.field, conflict.proposed, conflict.current))
    take.button(f"Garder « {theirs} »", key=f"relances.conflit.{conflict.field}.autre",
                on_click=_drop_setting_conflict, args=(campaign_id, conflict.field))
preview_slot = st.container()  # filled once the structures to remind are known

# 2. Who to remind.
st.subheader("Qui relancer")
rules = st.multiselect("Règles (une structure qui correspond à l'une d'elles est relancée)", list(RULE_LABELS),
                       default=list(RULE_LABELS), format_func=RULE_LABELS.__getitem__, key=RULES)
attempts = st.number_input("Tentatives d'appel au moins, pour « jamais jointe »", min_value=1, max_value=50, value=3,
                           key=ATTEMPTS, disabled="sans_contact" not in rules)
st.caption(f"Au moins {counted(delai, 'jour')} entre deux relances, {maximum} au plus par structure."
           " Jamais relancées : les structures qui ont répondu, refusé, sont hors champ ou désinscrites.")
candidates, excluded = [], []
if not rules:
    st.info("Choisissez au moins une règle.")
else:
    try:
        with store.connect() as con:
            selection = relance_candidates(con, campaign_id, rules, min_attempts=int(attempts))
        candidates, excluded = selection.candidates, selection.excluded
    except MaillageError as error:
        st.error(str(error))

if candidates:
    st.dataframe(pd.DataFrame([
        {"Structure": c.nom, "Commune": c.commune, "Adresse e-mail": c.destinataire, "Motif": c.motif,
         "Tentatives": c.tentatives, "Relances déjà faites": c.relances}
        for c in candidates
    ]), hide_index=True)
elif rules:
    st.info("Aucune structure à relancer avec ces règles : voyez ci-dessous pourquoi les autres sont écartées.")
if excluded:
    with st.expander(f"Structures écartées et pourquoi ({counted(len(excluded), 'structure')})"):
        counts = Counter(e.code for e in excluded)
        st.dataframe(pd.DataFrame(
            [{"Raison": RELANCE_EXCLUSION_LABELS[code], "Structures": n} for code, n in counts.most_common()]
        ), hide_index=True)
        st.dataframe(pd.DataFrame([{"Structure": e.nom, "Raison de l'exclusion": e.motif} for e in excluded]),
                     hide_index=True)

by_id = {c.structure_id: c for c in candidates}
left_out: list[str] = []
if candidates:
    left_out = st.multiselect(
        "Ne pas relancer", list(by_id), key=table_key(LEAVE_OUT, campaign_id, list(by_id)),
        format_func=lambda sid: f"{by_id[sid].nom} — {by_id[sid].commune or '?'} ({by_id[sid].destinataire})",
        placeholder="Aucune : toutes les structures listées seront relancées",
    )
chosen = [sid for sid in by_id if sid not in left_out]
if candidates:
    st.caption(f"{counted(len(chosen), 'structure à relancer', 'structures à relancer')}.")

with preview_slot:
    if chosen:
        with store.connect() as con:
            preview = preview_message(con, campaign_id, chosen[0])
        st.caption(f"Aperçu du modèle enregistré, pour la première structure choisie ({by_id[chosen[0]].nom}) :")
        st.text(f"À : {preview['destinataire'] or '(aucune adresse)'}\nObjet : {preview['objet']}")
        st.code(preview["corps"], language=None, wrap_lines=True)
    else:
        st.caption("L'aperçu du message s'affiche dès qu'une structure est à relancer.")

# 3. Send or export.
st.subheader("Envoyer")
settings, smtp_problem = _smtp_settings()
if settings is not None:
    st.caption(f"Serveur d'envoi : {settings.host}:{settings.port} · expéditeur {settings.expediteur}"
               f" (table [smtp] de {SECRETS_PATH.as_posix()}).")
else:
    st.warning(f"Envoi par courriel indisponible. {smtp_problem}", icon=":material/mail_lock:")
    with st.expander("Configurer l'envoi par courriel", icon=":material/settings:"):
        st.markdown(
            f"Pour envoyer les relances depuis Maillage, ajoutez au fichier `{SECRETS_PATH.as_posix()}` une table"
            " `[smtp]` avec le serveur d'envoi de votre organisation (demandez-le à votre service informatique),"
            " puis rechargez la page. En attendant, préparez un export : un fichier `.eml` par message à ouvrir"
            " dans votre messagerie, et un `relances.csv` pour un publipostage."
        )
        st.code(SMTP_EXAMPLE, language="toml")
left, right = st.columns(2)
if settings is not None:
    left.button(f"Envoyer par courriel ({len(chosen)})", type="primary", icon=":material/send:",
                disabled=not chosen, on_click=_send, args=(campaign_id, chosen), key="relances.envoyer")
right.button("Préparer un export (.eml + CSV)", icon=":material/archive:", disabled=not chosen,
             on_click=_export, args=(campaign_id, chosen), key="relances.exporter",
             type="secondary" if settings is not None else "primary")

exported = st.session_state.get(EXPORTED)
if exported and exported[0] == campaign_id:
    _, _, content, file_name, count = exported
    st.download_button(f"Télécharger le lot ({counted(count, 'message')} .eml et relances.csv, zip)", content,
                       file_name=file_name, mime="application/zip", key="relances.telecharger",
                       icon=":material/download:")
    st.caption("Ouvrez chaque .eml dans votre messagerie pour l'envoyer, ou faites un publipostage avec relances.csv.")

with store.connect() as con:
    history = relance_history(con, campaign_id)
pending = [row for row in history if row["statut"] in PENDING]
if pending:
    last = st.session_state.get(LAST_BATCH)
    batches = list(dict.fromkeys(row["batch_id"] for row in pending))
    if last and last[0] == campaign_id and last[1] in batches:  # the last batch first
        batches.remove(last[1])
        batches.insert(0, last[1])
    failed = sum(1 for row in pending if row["statut"] == "echec")
    st.warning(f"{counted(len(pending), 'relance', 'relances')} pas encore partie(s), dont"
               f" {counted(failed, 'échec')} : renvoyez-les (seul ce qui n'est pas parti est envoyé),"
               " ou annulez-les.", icon=":material/error:")
    left, right = st.columns(2)
    if settings is not None:
        left.button(f"Renvoyer les échecs ({len(pending)})", icon=":material/replay:", on_click=_retry,
                    args=(batches,), key="relances.renvoyer")
    right.button(f"Annuler ces relances ({len(pending)})", icon=":material/cancel:", on_click=_cancel,
                 args=(batches,), key="relances.annuler")

# 4. History.
st.subheader("Historique des relances")
if not history:
    st.caption("Aucune relance pour cette campagne.")
else:
    statuses = Counter(row["statut_libelle"] for row in history)
    st.caption(" · ".join(f"{label} : {n}" for label, n in statuses.most_common()))
    st.dataframe(pd.DataFrame([
        {"Structure": row["structure"], "Destinataire": row["destinataire"], "Statut": row["statut_libelle"],
         "Canal": CANAL_LABELS.get(row["canal"], row["canal"]),
         "Date": moment_text(row["sent_at"] or row["updated_at"]), "Erreur": row["erreur"] or ""}
        for row in history
    ]), hide_index=True)
    for row in (r for r in history if r["statut"] == "en_cours"):
        with st.container(border=True):
            st.markdown(f"**Envoi incertain** : {row['structure']} ({row['destinataire']}), le"
                        f" {moment_text(row['updated_at'])}. L'envoi a été interrompu : vérifiez auprès de la"
                        " structure si le message est arrivé avant de le renvoyer.")
            left, right = st.columns(2)
            left.button("Marquer envoyée", key=f"relances.arrivee.{row['id']}", on_click=_resolve,
                        args=(row["id"], True), icon=":material/mark_email_read:")
            right.button("À renvoyer", key=f"relances.a_renvoyer.{row['id']}", on_click=_resolve,
                         args=(row["id"], False), icon=":material/forward_to_inbox:")

# 5. Opt-outs.
st.subheader("Désinscriptions")
st.caption("Une structure désinscrite ne reçoit plus aucune relance, dans aucune campagne ; ses relances"
           " pas encore parties sont annulées.")
with store.connect() as con:
    opted_out = list_opt_outs(con)
out_ids = {row["structure_id"] for row in opted_out}
targets = {c.structure_id: f"{c.nom} — {c.commune or '?'}" for c in cases if c.structure_id not in out_ids}
left, right = st.columns([2, 3])
left.selectbox("Structure", list(targets), format_func=targets.__getitem__, index=None,
               placeholder="Choisir une structure de la campagne", key=f"{OPT_OUT}.{campaign_id}")
right.text_input("Motif (facultatif)", key=OPT_OUT_REASON, placeholder="a répondu « STOP » le 12/03")
st.button("Désinscrire", on_click=_opt_out, args=(campaign_id,), key="relances.desinscrire.bouton",
          icon=":material/unsubscribe:")
if opted_out:
    st.dataframe(pd.DataFrame([
        {"Structure": row["nom"], "Commune": row["commune"], "Motif": row["motif"] or "",
         "Depuis le": moment_text(row["created_at"]) if isinstance(row["created_at"], datetime) else "",
         "Par": row["updated_by"]}
        for row in opted_out
    ]), hide_index=True)
    out_names = {row["structure_id"]: f"{row['nom']} — {row['commune'] or '?'}" for row in opted_out}
    st.selectbox("Structure désinscrite", list(out_names), format_func=out_names.__getitem__, index=None,
                 placeholder="Choisir une structure à réinscrire", key=OPT_IN)
    st.button("Réinscrire", on_click=_opt_in, key="relances.reinscrire.bouton", icon=":material/mark_email_unread:")
else:
    st.caption("Aucune structure désinscrite.")
