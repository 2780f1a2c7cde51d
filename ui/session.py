"""Who is at the screen.

``app.py`` calls ``signed_in_or_sign_in(store)`` on every run, before the navigation:

- **laptop mode** (the store has no account): nothing to do, the person acts under the device's
  name with every right;
- **server mode**: the session's account is looked up again on each run (a deactivated account is
  signed out at its next click); without one, the only page is « Connexion »: a local account
  (login + password, ``models.access.sign_in``: failed attempts counted exactly, even when many
  come at once, the account locked after too many), or the server's OpenID Connect provider
  through ``st.login`` when ``.streamlit/secrets.toml`` has an ``[auth]`` table (the verified
  e-mail picks the account).

A local sign-in lasts as long as the browser tab's session: reloading the page asks again. A
store error during a sign-in (one that outlasts the core's retries) is said in French on the page,
the attempt not made; its details go to the server's log, never to the screen.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import streamlit as st

from models.access import (
    ROLES,
    SignIn,
    User,
    accounts_exist,
    active_user,
    set_password,
    sign_in,
    sign_in_by_email,
)
from models.errors import MaillageError, WriteConflict
from models.store import Store
from ui.shared import ACCOUNT, PAGES, PageSpec, signed_in, url_path

FLASH = "maillage.connexion.message"
STORE_TROUBLE = ("La connexion n'a pas pu aboutir : la base n'a pas pu enregistrer cet essai. Réessayez dans un"
                 " instant ; si cela se reproduit, prévenez l'administrateur du serveur.")
PASSWORD_TROUBLE = ("Le mot de passe n'a pas pu être changé : la base n'a pas pu enregistrer la modification."
                    " Votre mot de passe actuel reste valable ; réessayez dans un instant.")

logger = logging.getLogger(__name__)


def attempt_outcome(attempt: Callable[[], SignIn]) -> SignIn:
    """The outcome of a sign-in attempt, or a refusal saying in French that the store failed it
    (``StoreBusy`` in its own words; any other error of the store, e.g. a write conflict that
    outlasted the retries, as ``STORE_TROUBLE``, its traceback in the server's log)."""
    try:
        return attempt()
    except WriteConflict:
        return SignIn(None, STORE_TROUBLE)
    except MaillageError as error:
        return SignIn(None, str(error))
    except Exception:
        logger.exception("A sign-in attempt failed on a store error")
        return SignIn(None, STORE_TROUBLE)


def oidc_providers() -> list[str | None]:
    """The OpenID Connect providers the server's secrets configure for ``st.login``: ``[None]``
    for a single provider (``[auth]`` with its ``client_id``), the names of ``[auth.NAME]`` tables
    otherwise, ``[]`` when there is no ``[auth]`` table (or no secrets file)."""
    try:
        auth: Any = st.secrets.get("auth")
    except Exception:  # noqa: BLE001 - no secrets file, or one Streamlit cannot read: no OpenID Connect
        return []
    if not auth:
        return []
    named = [name for name, value in auth.items() if hasattr(value, "items") and "client_id" in value]
    return named or ([None] if "client_id" in auth else [])


def _oidc_email() -> str | None:
    """The e-mail the OpenID Connect provider vouched for, when someone signed in through it."""
    try:
        if not st.user.is_logged_in:
            return None
    except Exception:  # noqa: BLE001 - Streamlit without auth support configured
        return None
    email = st.user.get("email")
    return str(email) if email else ""


def signed_in_or_sign_in(store: Store) -> bool:
    """True when the run may go on: laptop mode, or an active account signed in this session.
    Otherwise the sign-in page is drawn (through ``st.navigation``, so no page can be reached by
    its address) and the caller stops."""
    account = signed_in()
    with store.connect() as con:
        if not accounts_exist(con):
            st.session_state.pop(ACCOUNT, None)
            return True
        current = active_user(con, account.login) if account is not None else None
    if current is None:
        email = _oidc_email()
        if email is not None:
            outcome = attempt_outcome(lambda: store.transaction(lambda con: sign_in_by_email(con, email)))
            current = outcome.user
            if current is None:
                st.session_state[FLASH] = outcome.refusal
    if current is None:
        st.session_state.pop(ACCOUNT, None)
        st.navigation(_sign_in_pages(store), position="hidden").run()
        return False
    st.session_state[ACCOUNT] = current
    return True


def _sign_in_pages(store: Store) -> list[st.Page]:
    """« Connexion », also under every page's address: a link to ``/structures`` asks who is
    there, then (the address kept) opens the page if the person's role may."""
    def page_for(spec: PageSpec | None) -> st.Page:
        return st.Page(lambda: sign_in_page(store), title="Connexion", icon=":material/login:",
                       url_path=url_path(spec) if spec else "connexion", default=spec is None,
                       visibility="visible" if spec is None else "hidden")
    return [page_for(None), *(page_for(spec) for specs in PAGES.values() for spec in specs)]


def sign_in_page(store: Store) -> None:
    """« Connexion »: a local account's login and password, or the OpenID Connect provider."""
    st.title("Connexion")
    st.caption("Cette base est partagée par une équipe : connectez-vous pour continuer.")
    message = st.session_state.pop(FLASH, None)
    if message:
        st.error(message, icon=":material/error:")
    with st.form("connexion"):
        login = st.text_input("Identifiant", autocomplete="username", key="connexion.identifiant")
        password = st.text_input("Mot de passe", type="password", autocomplete="current-password",
                                 key="connexion.mot_de_passe")
        submitted = st.form_submit_button("Se connecter", type="primary")
    if submitted:
        outcome = attempt_outcome(lambda: sign_in(store, login, password))  # a failure counts towards the lock
        if outcome.user is None:
            st.session_state[FLASH] = outcome.refusal
        else:
            st.session_state[ACCOUNT] = outcome.user
        st.rerun()
    providers = oidc_providers()
    if providers:
        st.divider()
        if _oidc_email() is not None:  # signed in at the provider, but no account here
            st.button("Se déconnecter du fournisseur d'identité", on_click=st.logout)
        for provider in providers:
            st.button(f"Se connecter avec {provider or 'le compte de l’organisation'}",
                      key=f"oidc.{provider}", on_click=st.login, args=(provider,) if provider else ())


def account_sidebar(store: Store) -> None:
    """The signed-in person in the sidebar: name and role, their own password, sign-out."""
    account = signed_in()
    if account is None:
        st.sidebar.caption("Mode poste unique : pas de comptes sur cette base.")
        return
    st.sidebar.markdown(f"**{account.nom}** · {ROLES[account.role]}")
    with st.sidebar.popover("Mon mot de passe", icon=":material/key:"):
        _own_password_form(store, account)
    if st.sidebar.button("Se déconnecter", icon=":material/logout:"):
        sign_out()


def _own_password_form(store: Store, account: User) -> None:
    with st.form("mon_mot_de_passe", clear_on_submit=True):
        current = st.text_input("Mot de passe actuel", type="password", autocomplete="current-password")
        new = st.text_input("Nouveau mot de passe", type="password", autocomplete="new-password")
        again = st.text_input("Confirmez le nouveau mot de passe", type="password", autocomplete="new-password")
        submitted = st.form_submit_button("Changer mon mot de passe")
    if not submitted:
        return
    if new != again:
        st.error("Les deux saisies du nouveau mot de passe diffèrent.")
        return
    checked = attempt_outcome(lambda: sign_in(store, account.login, current))
    if checked.user is None:
        st.error(checked.refusal or "Mot de passe actuel incorrect.")
        return
    try:
        store.transaction(lambda con: set_password(con, account.login, new, by=account.login))
    except WriteConflict:
        st.error(PASSWORD_TROUBLE)
        return
    except MaillageError as error:
        st.error(str(error))
        return
    except Exception:
        logger.exception("A password change failed on a store error")
        st.error(PASSWORD_TROUBLE)
        return
    st.success("Mot de passe changé.")


def sign_out() -> None:
    """End this session's sign-in (and the provider's, after an OpenID Connect sign-in)."""
    st.session_state.pop(ACCOUNT, None)
    if _oidc_email() is not None:
        st.logout()
    st.rerun()

