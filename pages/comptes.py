"""Page « Comptes » (admins): who may use this store, with which role.

Only lays out: every change goes through ``models.access`` (which checks the right itself and
writes the history). In laptop mode the page offers to create the first account, an admin's:
from then on everyone signs in.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from models.access import (
    MIN_PASSWORD_LENGTH,
    RIGHTS,
    ROLES,
    User,
    create_user,
    list_users,
    set_active,
    set_password,
    set_role,
)
from models.moments import moment_text
from models.text import counted
from ui.shared import ACCOUNT, current_user, get_store, page_setup, run_action, show_flash, signed_in

FLASH = "comptes.message"
CHOSEN = "comptes.choisi"


def accounts_caption(users: list[User]) -> str:
    """« 3 comptes actifs sur 4 »."""
    active = sum(1 for user in users if user.actif)
    return f"{counted(active, 'compte actif', 'comptes actifs')} sur {len(users)}"


def _rights_table() -> pd.DataFrame:
    return pd.DataFrame([
        {"Droit": action[0].upper() + action[1:], **{label: "✓" if role in roles else "" for role, label in ROLES.items()}}
        for action, roles in RIGHTS.values()
    ])


def _users_table(users) -> pd.DataFrame:
    return pd.DataFrame([
        {"Identifiant": user.login, "Nom": user.nom, "Rôle": user.role_text, "E-mail": user.email or "",
         "État": ("actif" if user.actif else "désactivé") + (" · bloqué" if user.bloque_jusqua else ""),
         "Dernière connexion": moment_text(user.derniere_connexion) or "jamais"}
        for user in users
    ])


def _create(login: str, nom: str, role: str, email: str, password: str, again: str, oidc_only: bool) -> None:
    if not oidc_only and password != again:
        st.session_state[FLASH] = ("error", "Les deux saisies du mot de passe diffèrent.")
        return
    first = signed_in() is None
    created = []
    done = run_action(FLASH, lambda con: created.append(create_user(
        con, login, nom=nom, role=role, email=email or None, password=None if oidc_only else password,
        by=current_user())), f"Compte « {login} » créé ({ROLES.get(role, role)}).")
    if done and first:  # the first account ends laptop mode: its creator is signed in with it
        st.session_state[ACCOUNT] = created[0]
        st.session_state[FLASH] = ("success", f"Compte administrateur « {created[0].login} » créé : la base est"
                                              " maintenant en mode serveur, chacun se connecte avec son compte.")


page_setup("gerer_comptes")
st.title("Comptes")
show_flash(FLASH)
store = get_store()
with store.connect() as con:
    users = list_users(con)

if not users:
    st.info("Mode poste unique : cette base n'a pas de comptes, la personne devant l'écran a tous les droits."
            " Pour partager l'application sur un serveur, créez le premier compte, celui d'un administrateur :"
            " ensuite, chacun se connecte avec son propre compte et n'a que les droits de son rôle.",
            icon=":material/info:")
else:
    st.caption(accounts_caption(users) + ". Un compte désactivé ne peut plus se connecter ; son historique reste.")
    st.dataframe(_users_table(users), hide_index=True)

with st.expander("Créer le premier compte (administrateur)" if not users else "Créer un compte", expanded=not users):
    with st.form("comptes.creer", clear_on_submit=True):
        left, right = st.columns(2)
        login = left.text_input("Identifiant", key="comptes.identifiant", help="Lettres sans accent, chiffres, point, tiret : camille.martin")
        nom = right.text_input("Nom et prénom", key="comptes.nom")
        role = left.selectbox("Rôle", list(ROLES) if users else ["admin"], format_func=ROLES.__getitem__,
                             key="comptes.role")
        email = right.text_input("E-mail (connexion par le fournisseur d'identité, facultatif)", key="comptes.email")
        password = left.text_input(f"Mot de passe ({MIN_PASSWORD_LENGTH} caractères au moins)", type="password",
                                   autocomplete="new-password", key="comptes.mot_de_passe")
        again = right.text_input("Confirmez le mot de passe", type="password", autocomplete="new-password",
                                 key="comptes.confirmation")
        oidc_only = st.checkbox("Sans mot de passe : connexion seulement par le fournisseur d'identité (e-mail requis)")
        if st.form_submit_button("Créer le compte", type="primary"):
            _create(login, nom, role, email, password, again, oidc_only)
            st.rerun()

if users:
    st.subheader("Modifier un compte")
    by_login = {user.login: user for user in users}
    if st.session_state.get(CHOSEN) not in by_login:
        st.session_state[CHOSEN] = users[0].login
    chosen = by_login[st.selectbox("Compte", list(by_login), key=CHOSEN,
                                   format_func=lambda key: f"{by_login[key].nom} ({key})")]
    role_col, password_col, state_col = st.columns(3)
    with role_col.form("comptes.role"):
        new_role = st.selectbox("Nouveau rôle", list(ROLES), index=list(ROLES).index(chosen.role),
                                format_func=ROLES.__getitem__, key="comptes.nouveau_role")
        if st.form_submit_button("Changer le rôle"):
            run_action(FLASH, lambda con: set_role(con, chosen.login, new_role, by=current_user()),
                       f"« {chosen.login} » est maintenant {ROLES[new_role]}.")
            st.rerun()
    with password_col.form("comptes.mot_de_passe", clear_on_submit=True):
        new_password = st.text_input("Nouveau mot de passe", type="password", autocomplete="new-password")
        if st.form_submit_button("Changer le mot de passe", help="Débloque aussi le compte."):
            run_action(FLASH, lambda con: set_password(con, chosen.login, new_password, by=current_user()),
                       f"Mot de passe de « {chosen.login} » changé ; le compte est débloqué.")
            st.rerun()
    with state_col:
        st.write("")
        if chosen.actif and st.button("Désactiver le compte", icon=":material/person_off:"):
            run_action(FLASH, lambda con: set_active(con, chosen.login, False, by=current_user()),
                       f"Compte « {chosen.login} » désactivé.")
            st.rerun()
        if not chosen.actif and st.button("Réactiver le compte", icon=":material/person_check:"):
            run_action(FLASH, lambda con: set_active(con, chosen.login, True, by=current_user()),
                       f"Compte « {chosen.login} » réactivé.")
            st.rerun()

with st.expander("Droits de chaque rôle"):
    st.dataframe(_rights_table(), hide_index=True)
    st.caption("Les droits sont vérifiés par chaque fonction de Maillage, quelle que soit la page ou la commande"
               " qui l'appelle. Une enquêtrice ou un enquêteur ne remplit et n'appelle que les structures qui lui sont"
               " attribuées.")
