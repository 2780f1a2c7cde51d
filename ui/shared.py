"""What every page shares: the store, the navigation and the rights of each page, small widgets.

The store is the file named by ``$MAILLAGE_DB`` (read at each run, so tests and several
territories on one machine each get their own file), opened and migrated once per process and
path. The cached entry also remembers the file's identity: a file deleted (and perhaps
recreated) since is opened and migrated again.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from models.access import User, refusal_of, role_may
from models.backup import open_store
from models.errors import MaillageError
from models.excel_csv import excel_csv_bytes
from models.issues import Issue
from models.moments import PARIS
from models.registry_views import field_labels
from models.store import Store, default_db_path

ENTRY_MARK = "maillage.app_py_a_tourne"  # set by app.py on each run, taken by the page it runs
ACCOUNT = "maillage.compte"  # the signed-in account (models.access.User), checked by app.py on each run


@dataclass(frozen=True)
class PageSpec:
    """A page of the app and the right it needs (``models.access.RIGHTS``)."""

    path: str
    title: str
    icon: str
    right: str


PAGES: dict[str, list[PageSpec]] = {
    "Enquêtes": [
        PageSpec("pages/appels.py", "Mes appels", ":material/phone_in_talk:", "saisir_enquete"),
        PageSpec("pages/enquete.py", "Enquête", ":material/call:", "saisir_enquete"),
        PageSpec("pages/reponses.py", "Réponses", ":material/table_view:", "voir_donnees_personnelles"),
    ],
    "Coordination": [
        PageSpec("pages/coordination.py", "Suivi de campagne", ":material/monitoring:", "gerer_campagne"),
        PageSpec("pages/campagne.py", "Préparer la campagne", ":material/tune:", "gerer_campagne"),
        PageSpec("pages/relances.py", "Relances", ":material/forward_to_inbox:", "relancer"),
        PageSpec("pages/synchronisation.py", "Synchronisation", ":material/sync:", "synchroniser"),
        PageSpec("pages/conflits.py", "Conflits", ":material/call_split:", "trancher_conflits"),
        PageSpec("pages/historique.py", "Historique", ":material/history:", "lire_historique"),
    ],
    "Registre": [
        PageSpec("pages/structures.py", "Structures", ":material/apartment:", "voir_donnees_personnelles"),
        PageSpec("pages/importer.py", "Import", ":material/upload_file:", "importer"),
    ],
    "Comité de pilotage": [
        PageSpec("pages/tableau_de_bord.py", "Tableau de bord", ":material/dashboard:", "voir_tableaux"),
        PageSpec("pages/taux_reponse.py", "Taux de réponse", ":material/percent:", "voir_tableaux"),
        PageSpec("pages/offre.py", "Offre cartographiée", ":material/map:", "voir_tableaux"),
        PageSpec("pages/indicateurs.py", "Indicateurs de l'enquête", ":material/bar_chart:", "voir_tableaux"),
    ],
    "Administration": [
        PageSpec("pages/comptes.py", "Comptes", ":material/manage_accounts:", "gerer_comptes"),
    ],
}
# Where each role lands (laptop mode and the other roles: the registry).
HOME_PAGES = {"enqueteur": "pages/appels.py", "comite": "pages/tableau_de_bord.py"}
HOME_PAGE = "pages/structures.py"


def pages_of(role: str | None) -> dict[str, list[PageSpec]]:
    """The pages a role may open, by menu group (``None``: laptop mode, every page)."""
    allowed = {group: [spec for spec in specs if role_may(role, spec.right)] for group, specs in PAGES.items()}
    return {group: specs for group, specs in allowed.items() if specs}


def url_path(spec: PageSpec) -> str:
    """The address of a page (``/structures``): its file's name, as Streamlit infers it."""
    return Path(spec.path).stem


# The name under which the home page is registered as the app's root (``/``, the address it is
# served at): never shown, but it must differ from the home page's own address, which a hidden copy
# of the page keeps, and from any address a person would type.
ROOT_PAGE_NAME = "_racine"


def _refused_page(spec: PageSpec) -> Callable[[], None]:
    def refused() -> None:
        with get_store().connect() as con:
            refusal = refusal_of(con, current_user(), spec.right)
        st.title(spec.title)
        st.error(refusal or "Accès refusé.", icon=":material/block:")
    return refused


def requested_address() -> str | None:
    """The page a browser asks for by its address (``/historique`` typed by hand or bookmarked: the
    first request of a tab names the page, later ones send its hash), or None.

    Read from Streamlit's script-run context (``PagesManager.intended_page_name``, Streamlit 1.67,
    pinned); None if a later Streamlit no longer has it, and its own « Page not found » comes back."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    pages_manager = getattr(get_script_run_ctx(), "pages_manager", None)
    if pages_manager is None or getattr(pages_manager, "intended_page_script_hash", None):
        return None
    name = getattr(pages_manager, "intended_page_name", None)
    return name.strip("/") or None if isinstance(name, str) else None


def _unknown_address_page(address: str, home: st.Page) -> st.Page:
    """A page for an address that is no page of Maillage: a French explanation and a link home.
    Registered under that very address (hidden), so Streamlit finds a page and never draws its
    English « Page not found » dialog."""
    def unknown() -> None:
        st.title("Page introuvable")
        st.warning(f"L'adresse « /{address} » ne correspond à aucune page de Maillage (une adresse mal recopiée,"
                   " ou une page qui a changé de nom). Choisissez une page dans le menu.", icon=":material/link_off:")
        st.page_link(home, label=f"Aller à l'accueil ({home.title})", icon=":material/home:")
    return st.Page(unknown, title="Page introuvable", icon=":material/link_off:", url_path=address,
                   visibility="hidden")


def app_pages(role: str | None = None) -> dict[str, list[st.Page]]:
    """The navigation of the app for a role: the pages whose right the role has. The others keep
    their address, hidden, and show there only the French refusal — never their content (each
    page also checks its right itself, ``page_setup``).

    Every page answers at its own address, the role's home page included: Streamlit serves the
    default page at the root (``/``) only, so the home page is registered twice, as the root (under
    ``ROOT_PAGE_NAME``) and, hidden, under its address (``/structures``). An address that is no
    page gets a French page (``requested_address``) instead of Streamlit's English dialog; one
    with a ``/`` inside cannot (Streamlit has no nested addresses) and keeps that dialog."""
    home = HOME_PAGES.get(role or "", HOME_PAGE)
    navigation: dict[str, list[st.Page]] = {}
    home_page = home_spec = None
    for group, specs in pages_of(role).items():
        navigation[group] = []
        for spec in specs:
            if spec.path == home:
                home_spec = spec
                home_page = st.Page(spec.path, title=spec.title, icon=spec.icon, url_path=ROOT_PAGE_NAME, default=True)
                navigation[group].append(home_page)
            else:
                navigation[group].append(st.Page(spec.path, title=spec.title, icon=spec.icon))
    hidden = [st.Page(_refused_page(spec), title=spec.title, url_path=url_path(spec), visibility="hidden")
              for specs in PAGES.values() for spec in specs if not role_may(role, spec.right)]
    if home_spec is not None:
        hidden.append(st.Page(home_spec.path, title=home_spec.title, icon=home_spec.icon, url_path=url_path(home_spec),
                              visibility="hidden"))
    known = {url_path(spec) for specs in PAGES.values() for spec in specs} | {ROOT_PAGE_NAME}
    address = requested_address()
    if address is not None and address not in known and "/" not in address and home_page is not None:
        hidden.append(_unknown_address_page(address, home_page))
    # Last, so that a link to a page file (``st.page_link("pages/structures.py")``) finds its menu entry first.
    navigation[next(reversed(navigation))].extend(hidden)
    return navigation


def mark_entry_run() -> None:
    """Called by ``app.py`` on every run, before the page runs (see ``page_setup``)."""
    st.session_state[ENTRY_MARK] = True


def page_setup(right: str) -> None:
    """First call of every page: make sure the page runs through ``app.py``, and that the person
    at the screen has the page's ``right`` (else a French refusal and the page stops).

    With a ``pages/`` folder next to the main script, Streamlit starts in its legacy multipage
    mode until ``st.navigation`` is called once in the process. If a new server's first request
    is a deep link (``/importer``), Streamlit then runs the page file alone: no ``app.py``, no
    demo load, and a sidebar listing every file of ``pages/``. Calling ``st.navigation`` leaves
    that mode for good; the rerun then goes through ``app.py`` to the same page.
    """
    if not st.session_state.pop(ENTRY_MARK, False):
        st.navigation(app_pages(current_role()))
        st.rerun()
    with get_store().connect() as con:
        refusal = refusal_of(con, current_user(), right)
    if refusal:
        st.error(refusal, icon=":material/block:")
        st.stop()


@dataclass
class OpenedStore:
    """A migrated store, the identity (device, inode) of its file when opened, and whether the
    first-start demo load was already checked for it (see ``app.py``)."""

    store: Store
    file_id: tuple[int, int] | None
    demo_checked: bool = False


def file_id(path: str | os.PathLike[str]) -> tuple[int, int] | None:
    """The identity of a file (device, inode), or None when it does not exist."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    return info.st_dev, info.st_ino


def _same_file(opened: OpenedStore) -> bool:
    return opened.file_id is not None and file_id(opened.store.path) == opened.file_id


@st.cache_resource(show_spinner=False, validate=_same_file)
def _open(path: str) -> OpenedStore:
    store = open_store(path)
    return OpenedStore(store, file_id(store.path))


def store_path() -> str:
    """The absolute path of the current store file (``$MAILLAGE_DB`` or the default)."""
    return str(default_db_path().expanduser().resolve())


def opened_store() -> OpenedStore:
    """The cached entry of the current ``$MAILLAGE_DB``: opened again when its file went away."""
    return _open(store_path())


def get_store() -> Store:
    """The migrated store of the current ``$MAILLAGE_DB`` (opened once per process and file)."""
    return opened_store().store


def signed_in() -> User | None:
    """The account signed in in this session (server mode), as ``app.py`` checked it this run."""
    return st.session_state.get(ACCOUNT)


def current_user() -> str:
    """Who acts, passed as ``by=`` to the core (which checks their rights) and recorded in the
    history: the signed-in account in server mode, the device's name in laptop mode."""
    account = signed_in()
    return account.login if account is not None else get_store().device


def current_role() -> str | None:
    """The signed-in account's role, or None in laptop mode (every right)."""
    account = signed_in()
    return account.role if account is not None else None


def label(field: str | None) -> str:
    """The French title of a field (« Numéro de téléphone »), or the name itself when unknown."""
    if not field:
        return "Fiche"
    return field_labels().get(field, field)


def issue_text(issue: Issue) -> str:
    """One issue as a French sentence naming its field."""
    return f"{label(issue.field)} : {issue.message}" if issue.field else issue.message


def render_issues(issues: Iterable[Issue], *, with_field: bool = True) -> None:
    """Show issues in French: errors as ``st.error``, warnings as ``st.warning``."""
    for issue in issues:
        text = issue_text(issue) if with_field else issue.message
        if issue.is_error:
            st.error(text, icon=":material/error:")
        else:
            st.warning(text, icon=":material/warning:")


def viewer_zone() -> ZoneInfo:
    """The time zone of the person at the screen: their browser's, else Paris."""
    try:
        return ZoneInfo(st.context.timezone or "Europe/Paris")
    except Exception:  # noqa: BLE001 - an unknown zone name from the browser
        return PARIS


def table_key(prefix: str, *parts: Any) -> str:
    """A widget key that changes with what a table shows (its filters, page, rows), so a stale row
    selection is never applied to other rows."""
    digest = hashlib.sha1(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:12]
    return f"{prefix}.{digest}"


def newly_selected_row(
    table: pd.DataFrame, ids: list[str], *, key: str, last_key: str, column_config: dict[str, Any] | None = None
) -> str | None:
    """Draw a table whose rows can be clicked; return the id of the row newly selected, or None when
    no row is selected or the row already acted upon stays selected (it is remembered under
    ``last_key`` until the row is unselected)."""
    event = st.dataframe(table, hide_index=True, key=key, on_select="rerun", selection_mode="single-row",
                         column_config=column_config or {})
    selected = [ids[index] for index in event.selection.rows if index < len(ids)]
    if not selected:  # unselected: clicking the same row again acts again
        st.session_state.pop(last_key, None)
    if selected and st.session_state.get(last_key) != (key, selected[0]):
        st.session_state[last_key] = (key, selected[0])
        return selected[0]
    return None


def run_action(flash_key: str, action: Callable[[Any], object], success: str) -> bool:
    """Run one user action in one transaction (``action(con)``, run again on a write conflict with
    another session: ``Store.transaction``), and keep for the next draw of the page, under
    ``flash_key``, its French outcome: ``success``, or the error's own message."""
    try:
        get_store().transaction(action)
    except MaillageError as error:
        st.session_state[flash_key] = ("error", str(error))
        return False
    st.session_state[flash_key] = ("success", success)
    return True


def edit_outcome(result: Any, labels: Mapping[str, str], success: str) -> tuple[str, str]:
    """The French flash of a settings form's field-level edit (``models.edits.EditResult``): what was
    saved, and what was not because it changed elsewhere meanwhile (shown under the form)."""
    saved = ", ".join(labels[name] for name in result.saved)
    if result.conflicts:
        names = ", ".join(labels[c.field] for c in result.conflicts)
        return ("warning", (f"Enregistré : {saved}. " if saved else "")
                + f"Non enregistré, car changé ailleurs pendant que vous modifiiez : {names}"
                " (les deux valeurs sont sous le formulaire).")
    return ("success", success if saved else "Aucune modification à enregistrer.")


def show_flash(flash_key: str) -> None:
    """Show once the French outcome of the last action kept under ``flash_key`` (``run_action``)."""
    flash = st.session_state.pop(flash_key, None)
    if flash:
        kind, text = flash
        {"success": st.success, "warning": st.warning}.get(kind, st.error)(text)


def choose_campaign(
    store: Store, key: str, *, on_change: Callable[[], None] | None = None, with_version: bool = False
) -> dict[str, Any]:
    """The campaign chooser of the campaign pages (newest first; ``with_version`` adds the
    questionnaire version to each name): the chosen campaign's row of ``list_campaigns``; with no
    campaign, a French note and the page stops."""
    from collect.campaigns import list_campaigns

    with store.connect() as con:
        campaigns = list_campaigns(con)
    if not campaigns:
        st.info("Aucune campagne : créez-en une sur la page « Préparer la campagne » (la démonstration en crée une"
                " au premier démarrage).")
        st.stop()
    by_id = {c["id"]: c for c in campaigns}
    if st.session_state.get(key) not in by_id:
        st.session_state[key] = campaigns[0]["id"]
    chosen = st.selectbox(
        "Campagne", list(by_id), key=key, on_change=on_change,
        format_func=lambda cid: by_id[cid]["nom"] + (
            f" (questionnaire v{by_id[cid]['questionnaire_version']})" if with_version else ""),
    )
    return by_id[chosen]


def blank_missing(table: pd.DataFrame) -> pd.DataFrame:
    """The table with missing texts as empty cells (Streamlit would write « None »); number
    columns keep their type, so they stay numbers (right-aligned, sortable)."""
    texts = [name for name in table.columns if table[name].dtype == object]
    return table.fillna({name: "" for name in texts})


def csv_bytes(table: pd.DataFrame) -> bytes:
    """A table as a CSV French spreadsheets open as-is: ``;``-separated, UTF-8 with BOM, and no
    cell Excel could run as a formula (``models.excel_csv``). Missing values are empty cells."""
    cells = table.astype(object).where(table.notna(), None)
    return excel_csv_bytes(list(table.columns), cells.to_dict("records"))
