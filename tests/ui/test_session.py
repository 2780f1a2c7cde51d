"""Signing in when the store cannot record it: a French message on the page, never a traceback.

A sign-in is recorded (a failure counted, a success clearing the count), so it writes the
account. When another unit of work holds an unfinished change of that account longer than the
core's retries last (about a second), the attempt cannot be recorded: the page says so in French,
nothing is recorded, and the next attempt, once the store is free, goes through. Parallel attempts
themselves never get there: they are counted one after another (tests/models/test_access.py).
"""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from streamlit.testing.v1 import AppTest

from tests.pages.conftest import APP, TIMEOUT
from tests.pages.ui import PASSWORD, find_button, sign_in, texts_of, with_accounts
from ui.session import STORE_TROUBLE

NEW_PASSWORD = "une toute nouvelle phrase de passe"


@contextmanager
def account_change_in_progress(store, login: str):
    """A change of the account's failure count written by another unit of work, not committed
    while the block runs, then abandoned (rolled back). Meanwhile DuckDB refuses any other write
    of that column of that row (« Conflict on update »), such as the record of a sign-in: a
    conflict lasting longer than the core's retries. (DuckDB detects conflicts column by column,
    and an update to the same value is no change: hence a count no account has.)"""
    with store.connect() as con:
        con.execute("BEGIN TRANSACTION")
        con.execute("UPDATE users SET echecs = 99 WHERE login = ?", [login])
        try:
            yield
        finally:
            con.execute("ROLLBACK")


def account_state(store, login: str) -> tuple[int, bool]:
    with store.connect() as con:
        (failures, signed_in_once), = con.execute(
            "SELECT echecs, derniere_connexion IS NOT NULL FROM users WHERE login = ?", [login]).fetchall()
    return failures, signed_in_once


def titles(at: AppTest) -> list[str]:
    return [title.value for title in at.title]


@pytest.mark.parametrize("password", [PASSWORD, "pas le bon mot de passe"])
def test_a_sign_in_the_store_cannot_record_is_refused_in_french_then_the_next_one_goes_through(
    app, ui_store, password
):
    with_accounts(ui_store, ("camille", "coordinateur"))
    at = app.run()
    with account_change_in_progress(ui_store, "camille"):
        at = sign_in(at, "camille", password)
    assert not at.exception
    assert texts_of(at.error) == [STORE_TROUBLE]
    assert titles(at) == ["Connexion"]
    assert account_state(ui_store, "camille") == (0, False)  # nothing recorded: neither a failure nor a sign-in
    at = sign_in(at, "camille", password)  # the store is free again
    assert not at.exception
    if password == PASSWORD:
        assert "Connexion" not in titles(at)
        assert account_state(ui_store, "camille") == (0, True)
    else:
        assert texts_of(at.error) == ["Identifiant ou mot de passe incorrect."]
        assert account_state(ui_store, "camille") == (1, False)


def change_own_password(at: AppTest, current: str, new: str) -> AppTest:
    """Fill « Mon mot de passe » in the sidebar and submit it."""
    fields = {field.label: field for field in at.text_input}
    fields["Mot de passe actuel"].input(current)
    fields["Nouveau mot de passe"].input(new)
    fields["Confirmez le nouveau mot de passe"].input(new)
    return find_button(at, "Changer mon mot de passe").click().run()


@pytest.mark.parametrize("store_busy", [False, True])
def test_changing_ones_own_password_says_in_french_when_the_store_cannot_record_it(app, ui_store, store_busy):
    with_accounts(ui_store, ("camille", "coordinateur"))
    at = sign_in(app.run(), "camille", PASSWORD)
    assert "Connexion" not in titles(at)
    if store_busy:
        with account_change_in_progress(ui_store, "camille"):
            at = change_own_password(at, PASSWORD, NEW_PASSWORD)
        assert texts_of(at.error) == [STORE_TROUBLE]
    else:
        at = change_own_password(at, PASSWORD, NEW_PASSWORD)
        assert texts_of(at.success) == ["Mot de passe changé."]
    assert not at.exception
    kept, lost = (PASSWORD, NEW_PASSWORD) if store_busy else (NEW_PASSWORD, PASSWORD)
    fresh = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()  # another browser tab
    assert texts_of(sign_in(fresh, "camille", lost).error) == ["Identifiant ou mot de passe incorrect."]
    assert "Connexion" not in titles(sign_in(fresh, "camille", kept))
