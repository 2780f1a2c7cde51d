"""Who is at the screen (not a page: never registered in ``st.navigation``).

``app.py`` calls ``signed_in_or_sign_in(store)`` on every run, before the navigation:

- **laptop mode** (the store has no account): nothing to do, the person acts under the device's
  name with every right;
- **server mode**: the session's account is looked up again on each run (a deactivated account is
  signed out at its next click); without one, the only page is « Connexion »: a local account
  (login + password, ``models.access.authenticate``: failed attempts counted, the account locked
  after too many), or the server's OpenID Connect provider through ``st.login`` when
  ``.streamlit/secrets.toml`` has an ``[auth]`` table (the verified e-mail picks the account).

A local sign-in lasts as long as the browser tab's session: reloading the page asks again.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from models.access import (
    ROLES,
    User,
    accounts_exist,
    active_user,
    authenticate,
    set_password,
    sign_in_by_email,
)
from models.errors import MaillageError
from models.store import Store
from pages.shared import ACCOUNT, PAGES, PageSpec, signed_in, url_path

FLASH = "maillage.connexion.message"


def oidc_providers() -> list[str | None]:
    """The OpenID Connect providers the server's secrets configure for ``st.login``: ``[None]``
    for a single provider (``[auth]`` with its ``client_id``), the names of ``[auth.NAME]`` tables
    otherwise, ``[]`` when there is no ``[auth]`` table (or no secrets file)."""
    try:
        auth: Any = st.secrets.get("auth")
    except Exception:  # no secrets file, or one Streamlit cannot read: no OpenID Connect
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
    except Exception:  # Streamlit without auth support configured
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
            with store.atomic() as con:
                outcome = sign_in_by_email(con, email)
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
        with store.atomic() as con:  # a failed attempt is committed: it counts towards the lock
            outcome = authenticate(con, login, password)
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
    with store.atomic() as con:
        checked = authenticate(con, account.login, current)
    if checked.user is None:
        st.error(checked.refusal or "Mot de passe actuel incorrect.")
        return
    try:
        with store.atomic() as con:
            set_password(con, account.login, new, by=account.login)
    except MaillageError as error:
        st.error(str(error))
        return
    st.success("Mot de passe changé.")


def sign_out() -> None:
    """End this session's sign-in (and the provider's, after an OpenID Connect sign-in)."""
    st.session_state.pop(ACCOUNT, None)
    if _oidc_email() is not None:
        st.logout()
    st.rerun()

