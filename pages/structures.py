"""Page « Structures »: search the registry, open a lieu, edit it, read its history, delete/restore it,
and review the possible duplicates.

Every user action is one transaction (``store.atomic()``) run in a widget callback, so the page
drawn right after (and the sidebar count) already shows its result.

The edit form keeps, in the session, the values it was drawn with; saving sends only the fields
the person changed, each with the value it was based on (``models.registry.edit_structure``). A
field someone else changed meanwhile is not saved: it is shown above the tabs as a conflict (both
values, who, when) until someone keeps one of the two values.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from models.cog import cog
from models.duplicates import dismiss_duplicate, list_duplicate_candidates, merge_duplicate
from models.edits import open_conflicts
from models.errors import MaillageError
from models.moments import moment_text
from models.registry import (
    count_structures,
    delete_structure,
    edit_structure,
    field_last_change,
    find_structures,
    get_structure,
    resolve_structure_conflict,
    restore_structure,
    structure_from_row,
    structure_history,
)
from models.registry_views import communes_in_use, departements_in_use
from models.saved_filters import StructureFilter, save_filter
from models.standard import standard_v1
from models.store import Store
from models.structure import PERSONAL_FIELDS, data_fields, enumerated_fields, list_fields
from models.text import counted
from models.typologies import typologies
from models.vocabulary import STATUT_LABELS, STATUTS
from ui.shared import current_user, get_store, label, newly_selected_row, page_setup, run_action, show_flash, table_key

PAGE_SIZE = 200
DUPLICATES_SHOWN = 30

# Session-state keys of this page.
OPEN = "structures.ouverte"  # id of the structure shown in detail
FILTER_NAME = "structures.nom_filtre"
FLASH = "structures.message"  # (kind, text) of the last action, shown once
CONFIRM_DELETE = "structures.confirmer_suppression"  # id awaiting a confirmation
EDIT_RESULT = "structures.resultat_modification"  # outcome of the last edit form
LOADED = "structures.valeurs_chargees"  # + ".<id>.<form version>": the values the edit form was drawn with
PAGE = "structures.page"
CHOOSER = "structures.choisir"
LAST_ROW = "structures.derniere_ligne"  # (table, id) of the row selection last acted upon

SECTIONS: list[tuple[str, list[str]]] = [
    ("Identification", ["nom", "pivot", "typologie", "structure_parente", "source"]),
    ("Adresse", ["adresse", "complement_adresse", "code_postal", "commune", "code_insee", "latitude", "longitude"]),
    (
        "Coordonnées du lieu",
        ["telephone", "telephones_autres", "numero_court", "courriels", "site_web", "horaires", "prise_rdv",
         "fiche_acces_libre"],
    ),
    (
        "Offre",
        ["services", "publics_specifiquement_adresses", "prise_en_charge_specifique", "frais_a_charge",
         "dispositif_programmes_nationaux", "formations_labels", "autres_formations_labels", "modalites_acces",
         "modalites_accompagnement", "itinerance"],
    ),
    ("Présentation", ["presentation_resume", "presentation_detail", "date_maj"]),
]
_placed = {name for _, names in SECTIONS for name in names}
_others = [name for name in data_fields() if name not in _placed and name not in PERSONAL_FIELDS]
if _others:  # a field added to the model later still gets a widget
    SECTIONS.append(("Autres champs", _others))

REASONS = {
    "creation": "Création",
    "import": "Import",
    "modification": "Modification",
    "suppression": "Suppression",
    "fusion": "Fusion",
    "restauration": "Restauration",
    "enquete": "Enquête",
    "resolution": "Résolution d'un conflit",
}
ORIGINS = {"fiche": "sur la fiche", "enquete": "par une enquête", "correction": "par la correction d'une réponse"}
CONTACT_EXPANDER = "Contact (données personnelles, jamais publiées)"
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_\[\]<>$~|#])")


# -- small formatting helpers ---------------------------------------------------------------------


def _md(text: Any) -> str:
    """Text safe to put in markdown (no accidental bold, links or LaTeX)."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", str(text))


def _typologie_text(code: str) -> str:
    return f"{code} — {typologies().get(code, code)}"


def _value_text(name: str, value: Any) -> str:
    """A field's value as a person reads it ("" when empty)."""
    if value is None or value == [] or value == "":
        return ""
    if isinstance(value, list | tuple):
        if name == "typologie":
            return ", ".join(_typologie_text(code) for code in value)
        return ", ".join(str(item) for item in value)
    if isinstance(value, bool):
        return "oui" if value else "non"
    if name == "statut":
        return STATUT_LABELS.get(value, str(value))
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def _fiche_text(name: str, structure: Mapping[str, Any]) -> str:
    """A field as the fiche shows it: an estimated date says so."""
    text = _value_text(name, structure.get(name))
    if name == "date_maj" and text and structure.get("date_maj_estimee"):
        text += " (estimée : date de l'import, la source n'en donnait pas)"
    return text


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _departement_text(code: str) -> str:
    found = cog().departement(code)
    return f"{code} — {found.nom}" if found else code


# -- actions (callbacks: one transaction each, before the page is drawn) ----------------------------


def _open_structure(structure_id: str | None) -> None:
    st.session_state[OPEN] = structure_id
    st.session_state.pop(CONFIRM_DELETE, None)
    st.session_state.pop(EDIT_RESULT, None)


def _open_chosen() -> None:
    chosen = st.session_state.get(CHOOSER)
    if chosen:
        _open_structure(chosen)


def _close() -> None:
    _open_structure(None)
    st.session_state[CHOOSER] = None


def _reset_page() -> None:
    st.session_state[PAGE] = 1


def _departement_changed() -> None:
    st.session_state["structures.commune"] = None
    _reset_page()


def _ask_delete(structure_id: str) -> None:
    st.session_state[CONFIRM_DELETE] = structure_id


def _cancel_delete() -> None:
    st.session_state.pop(CONFIRM_DELETE, None)


def _delete(structure_id: str, name: str) -> None:
    st.session_state.pop(CONFIRM_DELETE, None)
    run_action(FLASH, lambda con: delete_structure(con, structure_id, by=current_user()),
               f"« {name} » est supprimée. Elle reste dans l'historique et peut être restaurée.")


def _restore(structure_id: str, name: str) -> None:
    run_action(FLASH, lambda con: restore_structure(con, structure_id, by=current_user()), f"« {name} » est restaurée.")


def _merge(candidate_id: str, keep: str, name: str) -> None:
    run_action(FLASH, lambda con: merge_duplicate(con, candidate_id, keep=keep, by=current_user()),
               f"Fiches fusionnées : « {name} » est conservée, l'autre est supprimée (son historique reste).")


def _dismiss(candidate_id: str) -> None:
    run_action(FLASH, lambda con: dismiss_duplicate(con, candidate_id, by=current_user()),
               "C'est noté : ce sont deux lieux distincts.")


def _edit_key(structure_id: str, version: int, name: str) -> str:
    return f"structures.modifier.{structure_id}.{version}.{name}"


def _version_key(structure_id: str) -> str:
    return f"structures.version_formulaire.{structure_id}"


def _form_version(structure_id: str) -> int:
    return st.session_state.get(_version_key(structure_id), 0)


def _fresh_form(structure_id: str) -> None:
    """Draw the edit form again from the stored values (a new form version: new widgets, new loaded values)."""
    version = _form_version(structure_id)
    st.session_state.pop(f"{LOADED}.{structure_id}.{version}", None)
    st.session_state[_version_key(structure_id)] = version + 1


def _form_value(key: str) -> Any:
    value = st.session_state.get(key)
    if isinstance(value, str):
        return value.strip() or None
    return value


def _form_fields() -> list[str]:
    return [name for _, section in SECTIONS for name in section] + list(PERSONAL_FIELDS)


def _widget_value(name: str, value: Any) -> Any:
    """What a field's widget shows for a stored value (``_widget`` draws it so)."""
    if name == "typologie":
        return list(value or [])
    if name in enumerated_fields():
        choices = standard_v1().choices(name)
        return [item for item in value or [] if item in choices]
    if name == "date_maj":
        return value or date.today()
    if name in list_fields():
        return " | ".join(value or [])
    if name == "statut":
        return value if value in STATUTS else None
    if name == "date_maj_estimee":
        return bool(value)
    if name in ("latitude", "longitude"):
        return value
    return value or ""


def _as_sent(value: Any) -> Any:
    return (value.strip() or None) if isinstance(value, str) else value


def _save(structure_id: str, version: int) -> None:
    """Send the fields the person changed, each with the value the form was drawn with; keep the
    outcome (saved fields, conflicts, errors) for the page to show next to the fields."""
    loaded = st.session_state.get(f"{LOADED}.{structure_id}.{version}")
    if loaded is None:  # never expected: the form is drawn before it can be sent
        st.session_state[EDIT_RESULT] = {"id": structure_id, "version": version, "issues": [], "done": False,
                                          "error": "Rien n'a été enregistré : ce formulaire n'est plus celui de la fiche"
                                                   " affichée. Rouvrez la fiche et refaites la modification."}
        return
    seen = loaded["values"]
    changes = {}
    for name in _form_fields():
        value = _form_value(_edit_key(structure_id, version, name))
        if name in seen and value != _as_sent(_widget_value(name, seen[name])):
            changes[name] = (seen[name], value)
    result: dict[str, Any] = {"id": structure_id, "version": version, "issues": [], "saved": [], "conflicts": [],
                              "error": None, "done": False}
    try:
        outcome = get_store().transaction(lambda con: edit_structure(con, structure_id, changes, by=current_user()))
    except MaillageError as error:
        result["error"] = str(error)
        st.session_state[EDIT_RESULT] = result
        return
    result["issues"] = outcome.issues
    if not outcome.refused:
        result.update(done=True, saved=outcome.saved, conflicts=outcome.conflicts, version=version + 1)
        _fresh_form(structure_id)  # a fresh form shows the values as stored (normalised), not as typed
    st.session_state[EDIT_RESULT] = result


def _resolve(conflict_id: str, choice: str, seen: Any, kept: str, structure_id: str) -> None:
    if run_action(FLASH, lambda con: resolve_structure_conflict(con, conflict_id, choice, seen=seen, by=current_user()),
                  f"Conflit résolu : « {kept} » est gardée."):
        _fresh_form(structure_id)
    st.session_state.pop(EDIT_RESULT, None)


# -- search ---------------------------------------------------------------------------------------


def _filters(store: Store) -> dict[str, Any]:
    show_deleted = st.session_state.get("structures.supprimees", False)
    with store.connect() as con:
        departements = departements_in_use(con, include_deleted=show_deleted)
        departement = st.session_state.get("structures.departement")
        if departement is not None and departement not in departements:
            departement = st.session_state["structures.departement"] = None
        communes = communes_in_use(con, departement=departement, include_deleted=show_deleted)
    commune_names = {
        row["code_insee"]: f"{row['commune']} ({row['code_insee']}) · {row['structures']}" for row in communes
    }
    if st.session_state.get("structures.commune") not in (None, *commune_names):
        st.session_state["structures.commune"] = None

    first = st.columns([3, 2, 2])
    text = first[0].text_input(
        "Rechercher",
        placeholder="Nom, commune, adresse, SIRET ou code postal",
        key="structures.recherche",
        on_change=_reset_page,
    )
    first[1].selectbox(
        "Département", departements, index=None, format_func=_departement_text, placeholder="Tous les départements",
        key="structures.departement", on_change=_departement_changed,
    )
    first[2].selectbox(
        "Commune", list(commune_names), index=None, format_func=commune_names.__getitem__,
        placeholder="Toutes les communes", key="structures.commune", on_change=_reset_page,
    )
    second = st.columns([3, 2, 2])
    codes = sorted(typologies())
    second[0].selectbox(
        "Typologie", codes, index=None, format_func=_typologie_text, placeholder="Toutes les typologies",
        key="structures.typologie", on_change=_reset_page,
    )
    second[1].selectbox(
        "Service", standard_v1().choices("services"), index=None, placeholder="Tous les services",
        key="structures.service", on_change=_reset_page,
    )
    with second[2]:
        st.space("small")
        st.checkbox("Afficher les structures supprimées", key="structures.supprimees", on_change=_reset_page)
    return {
        "text": text,
        "departement": st.session_state.get("structures.departement"),
        "code_insee": st.session_state.get("structures.commune"),
        "typologie": st.session_state.get("structures.typologie"),
        "service": st.session_state.get("structures.service"),
        "include_deleted": st.session_state.get("structures.supprimees", False),
    }


def _save_filter(criteria: StructureFilter) -> None:
    name = (st.session_state.get(FILTER_NAME) or "").strip()
    run_action(FLASH, lambda con: save_filter(con, name, criteria, by=current_user()),
               f"Filtre « {name} » enregistré : il peut cibler une campagne d'appels.")


def _save_filter_box(filters: dict[str, Any]) -> None:
    """« Enregistrer ce filtre »: name the current search, to target a campaign with it later."""
    criteria = StructureFilter(**{k: v for k, v in filters.items() if k != "include_deleted"})
    if criteria.is_empty():
        return
    with st.popover("Enregistrer ce filtre", icon=":material/bookmark_add:"):
        st.caption(f"Critères : {criteria.describe()}")
        st.text_input("Nom du filtre", key=FILTER_NAME, placeholder="Médiathèques de Charente")
        st.button("Enregistrer", key="structures.enregistrer_filtre", on_click=_save_filter, args=(criteria,))


def _results_table(store: Store, filters: dict[str, Any]) -> None:
    with store.connect() as con:
        total = count_structures(con, **filters)
    pages = max(1, math.ceil(total / PAGE_SIZE))
    if st.session_state.get(PAGE, 1) > pages:
        st.session_state[PAGE] = 1
    head = st.columns([4, 1])
    head[0].markdown(f"**{counted(total, 'structure')}**")
    page = 1
    if pages > 1:
        page = head[1].number_input("Page", min_value=1, max_value=pages, step=1, key=PAGE)
    with store.connect() as con:
        rows = find_structures(con, **filters, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    if pages > 1:
        first = (page - 1) * PAGE_SIZE + 1
        st.caption(f"Structures {first} à {first + len(rows) - 1} sur {total} (page {page} sur {pages}).")
    if not rows:
        if total == 0 and not any(value for value in filters.values()):
            st.info("Le registre est vide : importez un fichier de structures.")
            st.page_link("pages/importer.py", label="Aller à l'import", icon=":material/upload_file:")
        else:
            st.info("Aucune structure ne correspond à cette recherche.")
        return

    table = pd.DataFrame(
        {
            "Nom": [row["nom"] for row in rows],
            "Commune": [row["commune"] for row in rows],
            "Code postal": [row["code_postal"] for row in rows],
            "Typologie": [", ".join(row["typologie"] or []) for row in rows],
            "Services": [", ".join(row["services"] or []) for row in rows],
            "Téléphone": [row["telephone"] or "" for row in rows],
            "Mise à jour": [row["date_maj"] for row in rows],
        }
    )
    if filters["include_deleted"]:
        table["Supprimée"] = [row["deleted_at"] is not None for row in rows]
    ids = [row["id"] for row in rows]
    chosen = newly_selected_row(
        table, ids, key=table_key("structures.tableau", filters, page), last_key=LAST_ROW,
        column_config={
            "Mise à jour": st.column_config.DateColumn(format="DD/MM/YYYY"),
            "Supprimée": st.column_config.CheckboxColumn(),
        },
    )
    if chosen:
        _open_structure(chosen)
        st.session_state[CHOOSER] = chosen
    names = {row["id"]: f"{row['nom']} — {row['commune']} ({row['code_postal']})"
             + (" · supprimée" if row["deleted_at"] is not None else "") for row in rows}
    if st.session_state.get(CHOOSER) not in (None, *names):
        st.session_state[CHOOSER] = None
    st.selectbox(
        "Ouvrir une fiche (ou cliquez sur une ligne du tableau)",
        ids,
        index=None,
        format_func=names.__getitem__,
        placeholder="Choisir une structure…",
        key=CHOOSER,
        on_change=_open_chosen,
    )


# -- detail -----------------------------------------------------------------------------------------


def _fiche(row: dict[str, Any]) -> None:
    structure = structure_from_row(row).model_dump()
    empty = []
    for title, names in SECTIONS:
        lines = []
        for name in names:
            text = _fiche_text(name, structure)
            if text:
                lines.append(f"- **{_md(label(name))}** : {_md(text)}")
            else:
                empty.append(label(name))
        if lines:
            st.markdown(f"**{title}**\n\n" + "\n".join(lines))
    if empty:
        st.caption("Non renseignés : " + ", ".join(empty) + ".")
    with st.expander(CONTACT_EXPANDER):
        contact = [f"- **{_md(label(name))}** : {_md(_value_text(name, structure.get(name)))}"
                   for name in PERSONAL_FIELDS if structure.get(name)]
        st.markdown("\n".join(contact) if contact else "Aucun contact renseigné.")
    set_aside = json.loads(row.get("valeurs_ecartees") or "[]")
    if set_aside:
        with st.expander(f"Valeurs mises de côté à l'import ({len(set_aside)})"):
            st.dataframe(
                pd.DataFrame([
                    {"Champ": label(item.get("champ")), "Valeur": item.get("valeur"), "Raison": item.get("raison")}
                    for item in set_aside
                ]),
                hide_index=True,
            )
    source = json.loads(row.get("donnees_source") or "{}")
    if source:
        with st.expander(f"Colonnes du fichier source sans champ du standard ({len(source)})"):
            st.dataframe(pd.DataFrame([{"Colonne": k, "Valeur": v} for k, v in source.items()]), hide_index=True)
    st.caption(
        f"Identifiant : {row['id']} · dernière modification le {moment_text(row['updated_at'])} par {row['updated_by']}"
    )


def _widget(name: str, value: Any, key: str) -> None:
    """Draw a field's widget showing the stored ``value`` (as ``_widget_value`` puts it)."""
    title = label(name)
    shown = _widget_value(name, value)
    if name == "typologie":
        options = list(typologies())
        options += [code for code in shown if code not in options]
        st.multiselect(title, options, default=shown, format_func=_typologie_text, key=key,
                       placeholder="Choisir une ou plusieurs typologies")
    elif name in enumerated_fields():
        st.multiselect(title, standard_v1().choices(name), default=shown, key=key,
                       placeholder="Choisir dans la liste du standard")
    elif name in ("latitude", "longitude"):
        limit = 90.0 if name == "latitude" else 180.0
        st.number_input(title, min_value=-limit, max_value=limit, value=shown, step=0.0001, format="%.6f", key=key,
                        placeholder="Degrés WGS84")
    elif name == "date_maj":
        st.date_input(title, value=shown, format="DD/MM/YYYY", key=key)
    elif name in list_fields():
        st.text_input(title, value=shown, key=key, help="Plusieurs valeurs : séparez-les par « | ».")
    elif name in ("presentation_resume", "presentation_detail"):
        limit = standard_v1().field("presentation_resume").max_length
        hint = f"{limit} caractères au plus." if name == "presentation_resume" and limit else None
        st.text_area(title, value=shown, key=key, help=hint)
    elif name == "statut":
        st.selectbox(title, [None, *STATUTS], index=[None, *STATUTS].index(shown),
                     format_func=lambda code: "Non précisé (ouvert)" if code is None else STATUT_LABELS[code], key=key,
                     help="Seul un lieu ouvert est publié en données ouvertes.")
    elif name == "date_maj_estimee":
        st.checkbox(title, value=shown, key=key, help="Cochée : la date de mise à jour est celle de l'import.")
    elif name == "horaires":
        st.text_input(title, value=shown, key=key,
                      help="Format OpenStreetMap, par exemple « Mo-Fr 09:00-12:00,14:00-17:00 ».")
    else:
        st.text_input(title, value=shown, key=key)


def _field_issues(name: str, issues: list) -> None:
    for issue in issues:
        if issue.field == name:
            if issue.is_error:
                st.error(issue.message, icon=":material/error:")
            else:
                st.warning(issue.message, icon=":material/warning:")


def _edit_outcome(result: dict[str, Any], widget_fields: set[str]) -> None:
    """Say what the last save did: saved fields, fields in conflict (never « enregistrées » for those), errors."""
    issues = result["issues"]
    if result.get("error"):
        st.error(result["error"])
        return
    if result["done"]:
        saved = ", ".join(label(name) for name in result["saved"])
        if result["conflicts"]:
            in_conflict = "; ".join(
                f"{label(c.field)} (modifié par {c.current_by or '?'} le {moment_text(c.current_at)})"
                for c in result["conflicts"]
            )
            st.warning(
                (f"Enregistré : {saved}. " if saved else "Rien n'a été enregistré. ")
                + f"Non enregistré, car changé ailleurs depuis l'ouverture de votre formulaire : {in_conflict}."
                " Les deux valeurs sont gardées dans « Conflits à résoudre » : choisissez celle à garder.",
                icon=":material/sync_problem:",
            )
        elif saved:
            st.success(f"Modifications enregistrées : {saved}.")
        else:
            st.info("Aucune modification à enregistrer.")
        st.session_state.pop(EDIT_RESULT, None)  # said once; errors stay until the form is sent again
        return
    errors = [issue for issue in issues if issue.is_error]
    names = sorted({label(issue.field) for issue in errors})
    st.error(
        f"Rien n'a été enregistré : {counted(len(errors), 'erreur')} à corriger"
        + (f" ({', '.join(names)})." if names else ".")
    )
    for issue in errors:  # errors with no widget of their own
        if issue.field not in widget_fields:
            st.error(f"{label(issue.field)} : {issue.message}")


def _edit_form(row: dict[str, Any]) -> None:
    structure_id = row["id"]
    version = _form_version(structure_id)
    result = st.session_state.get(EDIT_RESULT)
    if not result or result["id"] != structure_id:
        result = None
    issues = result["issues"] if result else []
    widget_fields = {name for _, names in SECTIONS for name in names} | set(PERSONAL_FIELDS)
    # The values this form is drawn with, kept until it is saved: what the person saw.
    loaded = st.session_state.setdefault(f"{LOADED}.{structure_id}.{version}", {
        "values": structure_from_row(row).model_dump(), "updated_at": row["updated_at"],
    })
    seen = loaded["values"]

    if result:
        _edit_outcome(result, widget_fields)
    if row["updated_at"] != loaded["updated_at"]:
        st.info(
            f"Fiche modifiée par {row['updated_by']} le {moment_text(row['updated_at'])} depuis l'ouverture de ce"
            " formulaire : seuls les champs que vous changez seront enregistrés, et un champ qu'une autre personne a"
            " changé entre-temps vous sera signalé, jamais écrasé.",
            icon=":material/info:",
        )

    with st.form(f"structures.formulaire.{structure_id}.{version}", border=True):
        for title, names in SECTIONS:
            st.markdown(f"**{title}**")
            columns = st.columns(2)
            for index, name in enumerate(names):
                with columns[index % 2]:
                    _widget(name, seen.get(name), _edit_key(structure_id, version, name))
                    _field_issues(name, issues)
        personal_errors = any(issue.field in PERSONAL_FIELDS for issue in issues)
        with st.expander(CONTACT_EXPANDER, expanded=personal_errors):
            st.caption("Gardées pour les campagnes de mise à jour ; jamais exportées ni publiées.")
            for name in PERSONAL_FIELDS:
                _widget(name, seen.get(name), _edit_key(structure_id, version, name))
                _field_issues(name, issues)
        st.form_submit_button("Enregistrer les modifications", type="primary", on_click=_save,
                              args=(structure_id, version))


def _conflicts(row: dict[str, Any]) -> None:
    """The fields of this fiche two people changed at once: both values, who and when, and a choice."""
    structure_id = row["id"]
    with get_store().connect() as con:
        conflicts = open_conflicts(con, "structures", structure_id)
        authors = {c["champ"]: field_last_change(con, structure_id, c["champ"]) for c in conflicts}
    if not conflicts:
        return
    current = structure_from_row(row).model_dump()
    with st.expander(f"Conflits à résoudre ({len(conflicts)})", expanded=True, icon=":material/sync_problem:"):
        st.caption("Deux personnes ont changé le même champ en même temps : rien n'a été écrasé. Choisissez la valeur à garder.")
        for conflict in conflicts:
            name, cid = conflict["champ"], conflict["id"]
            live = current.get(name)
            who, when = authors[name]
            proposed = _value_text(name, conflict["valeur_proposee"]) or "vide"
            kept = _value_text(name, live) or "vide"
            with st.container(border=True):
                st.markdown(
                    f"**{_md(label(name))}**\n\n"
                    f"- « {_md(kept)} » : valeur de la fiche, enregistrée par {_md(who or '?')} le {moment_text(when)}\n"
                    f"- « {_md(proposed)} » : proposée {ORIGINS.get(conflict['origine'], '')} par"
                    f" {_md(conflict['propose_par'])} le {moment_text(conflict['propose_le'])}, non enregistrée"
                    f" (elle partait de « {_md(_value_text(name, conflict['valeur_vue']) or 'vide')} »)"
                )
                left, right = st.columns(2)
                left.button(f"Garder « {_short(proposed, 40)} »", key=f"structures.conflit.{cid}.proposee",
                            on_click=_resolve, args=(cid, "proposee", live, proposed, structure_id))
                right.button(f"Garder « {_short(kept, 40)} »", key=f"structures.conflit.{cid}.courante",
                             on_click=_resolve, args=(cid, "courante", live, kept, structure_id))


def _history(structure_id: str) -> None:
    with get_store().connect() as con:
        versions = structure_history(con, structure_id)
    rows = []
    previous: dict[str, Any] | None = None
    for version in versions:
        changes = version["changes"]
        if previous is None:
            detail = "Première version"
        elif changes:
            detail = " ; ".join(
                f"{label(name)} : {_short(_value_text(name, previous.get(name))) or '∅'} → "
                f"{_short(_value_text(name, version.get(name))) or '∅'}"
                for name in changes
            )
        else:
            detail = "—"
        rows.append(
            {
                "Date": moment_text(version["valid_from"]),
                "Par": version["updated_by"],
                "Motif": REASONS.get(version["change_reason"], version["change_reason"]),
                "Champs modifiés": ", ".join(label(name) for name in changes) or "—",
                "Détail": detail,
            }
        )
        previous = version
    st.caption(f"{counted(len(versions), 'version')}, la plus récente en premier. Heures de Paris.")
    st.dataframe(pd.DataFrame(list(reversed(rows))), hide_index=True)


def _detail(structure_id: str) -> None:
    with get_store().connect() as con:
        row = get_structure(con, structure_id)
    if row is None:
        st.session_state[OPEN] = None
        st.info("Cette structure n'existe plus.")
        return
    st.divider()
    head = st.columns([5, 1, 1], vertical_alignment="bottom")
    head[0].subheader(f"{row['nom']} — {row['commune']}")
    head[2].button("Fermer", on_click=_close, key="structures.fermer", help="Fermer la fiche", width="stretch")
    deleted = row["deleted_at"] is not None
    if deleted:
        message = f"Structure supprimée le {moment_text(row['deleted_at'])}"
        if row.get("merged_into"):
            with get_store().connect() as con:
                kept = get_structure(con, row["merged_into"])
            message += f", fusionnée dans « {kept['nom'] if kept else row['merged_into']} »"
        st.warning(message + ". Elle n'apparaît plus dans le registre ni dans les exports.")
        st.button("Restaurer", type="primary", on_click=_restore, args=(structure_id, row["nom"]),
                  key="structures.restaurer")
        fiche, history = st.tabs(["Fiche", "Historique"])
        with fiche:
            _fiche(row)
        with history:
            _history(structure_id)
        return

    head[1].button("Supprimer", on_click=_ask_delete, args=(structure_id,), key="structures.supprimer", width="stretch")
    if st.session_state.get(CONFIRM_DELETE) == structure_id:
        st.warning(f"Supprimer « {row['nom']} » ? Elle restera dans l'historique et pourra être restaurée.")
        confirm = st.columns([2, 1, 5])
        confirm[0].button("Confirmer la suppression", type="primary", on_click=_delete,
                          args=(structure_id, row["nom"]), key="structures.confirmer")
        confirm[1].button("Annuler", on_click=_cancel_delete, key="structures.annuler")
    _conflicts(row)
    fiche, edit, history = st.tabs(["Fiche", "Modifier", "Historique"])
    with fiche:
        _fiche(row)
    with edit:
        _edit_form(row)
    with history:
        _history(structure_id)


# -- duplicates -------------------------------------------------------------------------------------


def _duplicates() -> None:
    with get_store().connect() as con:
        candidates = list_duplicate_candidates(con)
    with st.expander(f"Doublons possibles à examiner ({len(candidates)})", key="structures.doublons"):
        if not candidates:
            st.caption("Aucun doublon possible à examiner.")
            return
        if len(candidates) > DUPLICATES_SHOWN:
            st.caption(f"Les {DUPLICATES_SHOWN} paires les plus ressemblantes sont affichées.")
        for candidate in candidates[:DUPLICATES_SHOWN]:
            cid = candidate["id"]
            with st.container(border=True):
                score = candidate["score"]
                st.caption(candidate["reason"] + (f" — ressemblance {score:.0f} %" if score is not None else ""))
                left, right, other = st.columns([3, 3, 2])
                for column, sid, name, commune in (
                    (left, candidate["structure_id"], candidate["nom"], candidate["commune"]),
                    (right, candidate["other_id"], candidate["autre_nom"], candidate["autre_commune"]),
                ):
                    with column:
                        st.markdown(f"**{_md(name)}** ({_md(commune)})")
                        st.button("Fusionner (garder celle-ci)", key=f"structures.fusion.{cid}.{sid}",
                                  on_click=_merge, args=(cid, sid, name))
                        st.button("Voir la fiche", key=f"structures.voir.{cid}.{sid}", type="tertiary",
                                  on_click=_open_structure, args=(sid,))
                other.button("Ce sont deux lieux distincts", key=f"structures.distinct.{cid}",
                             on_click=_dismiss, args=(cid,))


# -- the page ---------------------------------------------------------------------------------------

page_setup("voir_donnees_personnelles")
st.title("Structures")
show_flash(FLASH)

store = get_store()
filters = _filters(store)
_save_filter_box(filters)
_results_table(store, filters)
_duplicates()
opened = st.session_state.get(OPEN)
if opened:
    _detail(opened)
