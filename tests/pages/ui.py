"""Small readers of an AppTest run shared by the page tests: texts, buttons, metrics."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from models.access import create_user
from models.store import Store

ADMIN_PASSWORD = "le mot de passe de l'admin"
PASSWORD = "une phrase de passe assez longue"


def texts_of(elements) -> list[str]:
    """The values of some elements (``at.caption``, ``at.info``…), in page order."""
    return [element.value for element in elements]


def find_button(at: AppTest, label: str):
    """The button (or form submit button) with this label, else the first whose label starts with
    it (labels that carry a count: « Ajouter 90 structures… »)."""
    buttons = [*at.button, *at.form_submit_button]
    found = [b for b in buttons if b.label == label] or [b for b in buttons if b.label.startswith(label)]
    assert found, f"pas de bouton « {label} » parmi {[b.label for b in buttons]}"
    return found[0]


def metric_values(at: AppTest) -> dict[str, str]:
    """Each metric's value by its label."""
    return {metric.label: metric.value for metric in at.metric}


def with_accounts(store: Store, *accounts: tuple[str, str]) -> None:
    """The store in server mode: an admin « alix », and these (login, role) accounts."""
    with store.atomic() as con:
        create_user(con, "alix", nom="Alix Admin", role="admin", password=ADMIN_PASSWORD, by="terminal")
        for login, role in accounts:
            create_user(con, login, nom=login.title(), role=role, password=PASSWORD, by="alix")


def sign_in(at: AppTest, login: str, password: str) -> AppTest:
    """Fill the « Connexion » page and submit it."""
    at.text_input(key="connexion.identifiant").input(login)
    at.text_input(key="connexion.mot_de_passe").input(password)
    return find_button(at, "Se connecter").click().run()
