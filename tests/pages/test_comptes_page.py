"""Sign-in and accounts in the app: laptop mode needs none; once the first (admin) account exists,
everyone signs in and sees only the pages of their role; the admin manages accounts on « Comptes »."""

from __future__ import annotations

import csv
import io

import pytest
from streamlit.testing.v1 import AppTest

from models.access import get_user
from models.text import counted
from tests.pages.conftest import ROOT, TIMEOUT
from tests.pages.ui import ADMIN_PASSWORD, PASSWORD, find_button, sign_in, texts_of, with_accounts
from ui.shared import ACCOUNT, ENTRY_MARK, pages_of

ROLE_PAGES = {
    "enqueteur": {"Mes appels", "Enquête", "Réponses", "Structures", "Tableau de bord", "Taux de réponse",
                  "Offre cartographiée", "Indicateurs de l'enquête"},
    "comite": {"Tableau de bord", "Taux de réponse", "Offre cartographiée", "Indicateurs de l'enquête"},
}


def fill_account(at: AppTest, login: str, nom: str, password: str) -> None:
    at.text_input(key="comptes.identifiant").input(login)
    at.text_input(key="comptes.nom").input(nom)
    at.text_input(key="comptes.mot_de_passe").input(password)
    at.text_input(key="comptes.confirmation").input(password)


def test_laptop_mode_needs_no_sign_in_and_offers_to_create_the_first_admin(app):
    at = app.switch_page("pages/comptes.py").run()
    assert not at.exception
    assert any("Mode poste unique" in text for text in texts_of(at.info))
    fill_account(at, "alix", "Alix Admin", ADMIN_PASSWORD)
    at = find_button(at, "Créer le compte").click().run()
    assert not at.exception
    assert any("mode serveur" in text for text in texts_of(at.success))
    assert any("Alix Admin" in text for text in texts_of(at.sidebar.markdown))  # its creator is signed in with it


def test_in_server_mode_the_app_asks_who_is_there_and_counts_failed_attempts(app, ui_store):
    with_accounts(ui_store)
    at = app.run()
    assert [title.value for title in at.title] == ["Connexion"]
    at = sign_in(at, "alix", "pas le bon mot de passe")
    assert texts_of(at.error) == ["Identifiant ou mot de passe incorrect."]
    with ui_store.connect() as con:
        assert con.execute("SELECT echecs FROM users WHERE login = 'alix'").fetchall() == [(1,)]
    at = sign_in(at, "Alix", ADMIN_PASSWORD)  # logins ignore case
    assert not at.exception and "Connexion" not in [title.value for title in at.title]
    assert any("Alix Admin" in text for text in texts_of(at.sidebar.markdown))


def test_after_five_failures_the_account_is_locked_even_with_the_right_password(app, ui_store):
    with_accounts(ui_store)
    at = app.run()
    for _ in range(5):
        at = sign_in(at, "alix", "mauvais mot de passe")
    at = sign_in(at, "alix", ADMIN_PASSWORD)
    assert any("bloqué" in text for text in texts_of(at.error))
    assert [title.value for title in at.title] == ["Connexion"]


@pytest.mark.parametrize("role", ["enqueteur", "comite"])
def test_each_role_sees_only_its_pages_and_lands_on_its_home(app, ui_store, role):
    with_accounts(ui_store, ("camille", role))
    at = sign_in(app.run(), "camille", PASSWORD)
    assert not at.exception
    home = {"enqueteur": "Mes appels", "comite": "Tableau de bord"}[role]
    assert at.title[0].value.startswith(home)
    assert {page.title for pages in pages_of(role).values() for page in pages} == ROLE_PAGES[role]


@pytest.mark.parametrize("page", ["pages/structures.py", "pages/reponses.py", "pages/importer.py",
                                  "pages/comptes.py", "pages/historique.py", "pages/relances.py"])
def test_a_committee_member_cannot_open_a_page_of_personal_data_even_by_its_address(app, ui_store, page):
    with_accounts(ui_store, ("camille", "comite"))
    at = sign_in(app.run(), "camille", PASSWORD)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(page)  # not in the committee's navigation: its address leads nowhere
    # and were the page run anyway, it checks the right itself
    direct = AppTest.from_file(str(ROOT / page), default_timeout=TIMEOUT)
    with ui_store.connect() as con:
        direct.session_state[ACCOUNT] = get_user(con, "camille")
    direct.session_state[ENTRY_MARK] = True
    direct.run()
    assert not direct.exception
    assert any(text.startswith("Accès refusé : un compte membre du comité de pilotage (camille) ne peut pas")
               for text in texts_of(direct.error)), texts_of(direct.error)
    assert not direct.dataframe


def test_the_admin_creates_an_account_changes_its_role_and_disables_it(app, ui_store):
    with_accounts(ui_store)
    at = sign_in(app.run(), "alix", ADMIN_PASSWORD)
    at = at.switch_page("pages/comptes.py").run()
    assert not at.exception
    fill_account(at, "Élise.Durand", "Élise Durand", PASSWORD)
    at.selectbox(key="comptes.role").select("enqueteur")
    at = find_button(at, "Créer le compte").click().run()
    assert texts_of(at.success) == ["Compte « Élise.Durand » créé (enquêteur·rice)."]
    at.selectbox(key="comptes.choisi").select("elise.durand").run()
    at.selectbox(key="comptes.nouveau_role").select("coordinateur")
    at = find_button(at, "Changer le rôle").click().run()
    assert any("coordinateur·rice" in text for text in texts_of(at.success))
    at = find_button(at, "Désactiver le compte").click().run()
    with ui_store.connect() as con:
        assert con.execute("SELECT role, actif FROM users WHERE login = 'elise.durand'").fetchall() == [
            ("coordinateur", False)]
        actions = [row[0] for row in con.execute(
            "SELECT action FROM audit_log WHERE entity = 'users' AND entity_id = 'elise.durand' ORDER BY occurred_at")
            .fetchall()]
    assert actions == ["user.create", "user.role", "user.deactivate"]


def test_a_deactivated_account_is_signed_out_at_its_next_click(app, ui_store):
    from models.access import set_active

    with_accounts(ui_store, ("camille", "coordinateur"))
    at = sign_in(app.run(), "camille", PASSWORD)
    assert at.title[0].value != "Connexion"
    with ui_store.atomic() as con:
        set_active(con, "camille", False, by="alix")
    at = at.run()
    assert [title.value for title in at.title] == ["Connexion"]


def test_the_history_page_shows_who_did_what(app, ui_store):
    with_accounts(ui_store, ("colin", "coordinateur"))
    at = sign_in(app.run(), "colin", PASSWORD)
    at = at.switch_page("pages/historique.py").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert {"Date", "Par", "Action", "Enregistrement"} <= set(table.columns)
    assert "connexion" in set(table["Action"]) and "colin" in set(table["Par"])


def test_the_history_is_downloaded_for_french_excel_with_formulas_made_harmless(app, ui_store, downloads):
    from models.audit import record_audit

    with ui_store.atomic() as con:
        record_audit(con, actor='=HYPERLINK("http://evil.example","x")', action="test.formule", entity="structures",
                     entity_id="+cmd|' /C calc'!A0")
    at = app.switch_page("pages/historique.py").run()
    assert not at.exception
    (button,) = [b for b in at.get("download_button") if b.proto.label.startswith("CSV")]
    assert button.proto.label == f"CSV ({counted(len(at.dataframe[0].value), 'ligne')})"
    (name,) = [name for name in downloads if name.startswith("historique-")]
    assert name.endswith(".csv") and downloads[name].startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: French Excel
    header, *lines = list(csv.reader(io.StringIO(downloads[name].decode("utf-8-sig")), delimiter=";"))
    assert header == ["Date", "Par", "Action", "Enregistrement", "Détails"]
    assert '\'=HYPERLINK("http://evil.example","x")' in [line[1] for line in lines]  # shown as text, never run


@pytest.mark.parametrize(("auth", "buttons"), [
    ({"redirect_uri": "https://maillage.exemple.fr/oauth2callback", "cookie_secret": "s" * 32, "client_id": "maillage",
      "client_secret": "x", "server_metadata_url": "https://idp.exemple.fr/.well-known/openid-configuration"},
     ["Se connecter avec le compte de l’organisation"]),
    ({"redirect_uri": "https://maillage.exemple.fr/oauth2callback", "cookie_secret": "s" * 32,
      "agentconnect": {"client_id": "maillage", "client_secret": "x",
                       "server_metadata_url": "https://idp.exemple.fr/.well-known/openid-configuration"}},
     ["Se connecter avec agentconnect"]),
    (None, []),
])
def test_the_sign_in_page_offers_the_identity_providers_the_server_configures(app, ui_store, auth, buttons):
    with_accounts(ui_store)
    if auth is not None:
        app.secrets["auth"] = auth
    at = app.run()
    assert [button.label for button in at.button if button.label.startswith("Se connecter avec")] == buttons
