"""Accounts, roles and rights, as an admin and the people of a campaign meet them.

A store without accounts is a laptop: its one user may do everything. The first account is an
admin's; from then on each core function checks the rights of whoever calls it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher

import models.access
from collect.calls import add_targets, assign
from collect.campaigns import create_campaign
from collect.questionnaire import default_questionnaire
from collect.surveys import publish_questionnaire
from models.access import (
    LOCK_MINUTES,
    MAX_FAILURES,
    RIGHTS,
    ROLES,
    AccessDenied,
    SignIn,
    authenticate,
    create_user,
    get_user,
    list_users,
    may,
    require,
    set_active,
    set_password,
    set_role,
    sign_in,
    sign_in_by_email,
    user_for_email,
)
from models.errors import MaillageError
from models.history import recent_activity, record_history
from models.registry import create_structure, update_structure
from models.store import Store, utc_now

PASSWORD = "une phrase de passe assez longue"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def team_template(tmp_path_factory, migrated_store_template) -> Path:
    """A server store: an admin, a coordinator, two surveyors, a committee member — built once (five
    Argon2 hashes take seconds on a busy machine); copy it, never write to it."""
    path = tmp_path_factory.mktemp("team") / "team.duckdb"
    shutil.copy(migrated_store_template, path)
    template = Store(path, device="test")
    with template.atomic() as con:
        create_user(con, "admin", nom="Alix Admin", role="admin", password=PASSWORD, by="installation")
        for login, nom, role in [("coord", "Camille Coord", "coordinateur"), ("eve", "Ève Enquête", "enqueteur"),
                                 ("yann", "Yann Enquête", "enqueteur"), ("comite", "Côme Comité", "comite")]:
            create_user(con, login, nom=nom, role=role, password=PASSWORD, by="admin")
    assert template.release()
    return path


@pytest.fixture
def team(store, team_template):
    """A private copy of the team's store."""
    shutil.copy(team_template, store.path)
    return store


def test_a_store_without_accounts_lets_its_one_user_do_everything(store):
    with store.connect() as con:
        assert all(may(con, "mon-portable", right) for right in RIGHTS)


def test_the_first_account_must_be_an_admin(store):
    with store.atomic() as con, pytest.raises(MaillageError, match="premier compte.*administrateur"):
        create_user(con, "camille", nom="Camille", role="coordinateur", password=PASSWORD, by="installation")


@pytest.mark.parametrize(
    ("login", "right", "allowed"),
    [
        ("coord", "gerer_campagne", True),
        ("coord", "importer", True),
        ("coord", "synchroniser", True),
        ("coord", "trancher_conflits", True),
        ("coord", "relancer", True),
        ("coord", "lire_historique", True),
        ("coord", "gerer_comptes", False),
        ("coord", "gerer_questionnaires", False),
        ("eve", "gerer_campagne", False),
        ("eve", "importer", False),
        ("eve", "voir_donnees_personnelles", True),
        ("comite", "voir_tableaux", True),
        ("comite", "voir_donnees_personnelles", False),
        ("comite", "saisir_enquete", False),
        ("comite", "exporter_tout", False),
        ("admin", "gerer_comptes", True),
        ("admin", "gerer_campagne", True),
        ("mon-portable", "voir_tableaux", False),  # once accounts exist, a device name is nobody
    ],
)
def test_each_role_has_its_rights_and_no_other(team, login, right, allowed):
    with team.connect() as con:
        assert may(con, login, right) is allowed


def test_a_refusal_says_who_and_what_in_french(team):
    with team.connect() as con, pytest.raises(AccessDenied) as refused:
        require(con, "comite", "importer")
    assert str(refused.value) == ("Accès refusé : un compte membre du comité de pilotage (comite) ne peut pas"
                                  " importer des structures.")


def test_a_surveyor_fills_surveys_only_for_the_structures_assigned_to_them(team):
    with team.atomic() as con:
        mine, theirs = (create_structure(con, {"nom": nom, "commune": commune, "code_postal": postcode,
                                               "adresse": "1 place", "date_maj": "2024-01-01"}, by="coord")[0].id
                        for nom, commune, postcode in [("CCAS de Cognac", "Cognac", "16100"),
                                                       ("Médiathèque de Jarnac", "Jarnac", "16200")])
        questionnaire = publish_questionnaire(con, default_questionnaire(), by="admin")
        campaign = create_campaign(con, nom="Diagnostic", questionnaire_id=questionnaire.id, by="coord")
        add_targets(con, campaign, [mine, theirs], by="coord")
        assign(con, campaign, [mine], "eve", by="coord")
        assign(con, campaign, [theirs], "yann", by="coord")
    with team.connect() as con:
        assert may(con, "eve", "saisir_enquete", campaign_id=campaign, structure_id=mine)
        assert not may(con, "eve", "saisir_enquete", campaign_id=campaign, structure_id=theirs)
        assert not may(con, "eve", "noter_appel", campaign_id=campaign, structure_id=theirs)
        assert may(con, "coord", "saisir_enquete", campaign_id=campaign, structure_id=theirs)
        with pytest.raises(AccessDenied, match="pas attribuée à eve"):
            require(con, "eve", "noter_appel", campaign_id=campaign, structure_id=theirs)
    with team.atomic() as con:  # a survey's registry answers: only for her structures, never the registry itself
        assert update_structure(con, mine, {"telephone": "05 45 82 00 00"}, by="eve", reason="enquete",
                                campaign_id=campaign)[0] is not None
        for kwargs in ({"reason": "enquete", "campaign_id": campaign}, {"reason": "enquete"}, {}):
            with pytest.raises(AccessDenied):
                update_structure(con, theirs if kwargs else mine, {"telephone": "05 45 82 00 01"}, by="eve", **kwargs)


def test_only_an_admin_manages_accounts(team):
    with team.atomic() as con, pytest.raises(AccessDenied):
        create_user(con, "intrus", nom="Intrus", role="admin", password=PASSWORD, by="coord")
    with team.atomic() as con:
        set_role(con, "eve", "coordinateur", by="admin")
        assert may(con, "eve", "gerer_campagne")


def test_the_last_active_admin_cannot_be_demoted_or_deactivated(team):
    with team.atomic() as con:
        with pytest.raises(MaillageError, match="dernier administrateur"):
            set_role(con, "admin", "comite", by="admin")
        with pytest.raises(MaillageError, match="dernier administrateur"):
            set_active(con, "admin", False, by="admin")


@pytest.mark.parametrize(
    ("login", "message"),
    [("", "Identifiant"), ("Émilie Martin", "invalide"), ("a" * 70, "invalide")],
)
def test_a_bad_login_is_refused_in_french(team, login, message):
    with team.atomic() as con, pytest.raises(MaillageError, match=message):
        create_user(con, login, nom="X", role="comite", password=PASSWORD, by="admin")


def test_a_login_ignores_case_and_accents(team):
    with team.atomic() as con:
        create_user(con, "Élodie.Martin", nom="Élodie Martin", role="comite", password=PASSWORD, by="admin")
        assert authenticate(con, "ELODIE.martin", PASSWORD).user.login == "elodie.martin"


def test_a_short_password_is_refused(team):
    with team.atomic() as con, pytest.raises(MaillageError, match="au moins 12 caractères"):
        set_password(con, "eve", "court", by="eve")


def test_passwords_are_stored_as_argon2id_hashes(team):
    with team.connect() as con:
        (stored,) = con.execute("SELECT password_hash FROM users WHERE login = 'eve'").fetchall()[0]
        users = list_users(con)
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert len(users) == 5 and all(not hasattr(user, "password_hash") for user in users)


def test_the_product_hashes_with_argon2id_s_recommended_parameters_and_rehashes_lighter_hashes(team):
    """The suite hashes lightly in its own process (``tests/conftest.py``); the product does not:
    a process of its own shows the parameters the app and the CLI use, and a password stored with
    lighter ones is hashed again with them at the next sign-in."""
    shown = subprocess.run(
        [sys.executable, "-c", "from models.access import _hasher as h; print(h.time_cost, h.memory_cost, h.parallelism)"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.split()
    default = PasswordHasher()
    assert [int(n) for n in shown] == [default.time_cost, default.memory_cost, default.parallelism]
    assert default.memory_cost >= 19 * 1024  # OWASP's floor for Argon2id (19 MiB)
    with team.connect() as con:
        light = con.execute("SELECT password_hash FROM users WHERE login = 'eve'").fetchone()[0]
    assert not models.access._hasher.check_needs_rehash(light)
    models.access._hasher, light_hasher = default, models.access._hasher
    try:
        with team.atomic() as con:
            assert authenticate(con, "eve", PASSWORD).user is not None
        with team.connect() as con:
            rehashed = con.execute("SELECT password_hash FROM users WHERE login = 'eve'").fetchone()[0]
        assert rehashed != light and not default.check_needs_rehash(rehashed)
    finally:
        models.access._hasher = light_hasher


def test_signing_in_gives_the_account_or_one_refusal_for_wrong_login_and_password(team):
    with team.atomic() as con:
        assert authenticate(con, "eve", PASSWORD).user.role == "enqueteur"
        wrong_password = authenticate(con, "eve", "pas le bon mot de passe")
        no_such_login = authenticate(con, "personne", PASSWORD)
    assert wrong_password.user is None and wrong_password.refusal == no_such_login.refusal == (
        "Identifiant ou mot de passe incorrect.")


def test_repeated_failures_lock_the_account_then_longer_and_an_admin_unlocks_it(team):
    now = utc_now()
    with team.atomic() as con:
        for _ in range(MAX_FAILURES):
            assert authenticate(con, "eve", "mauvais mot de passe", now=now).user is None
        locked = authenticate(con, "eve", PASSWORD, now=now + timedelta(minutes=1))
        assert locked.user is None and "bloqué jusqu'au" in locked.refusal  # even the right password
        later = now + timedelta(minutes=LOCK_MINUTES + 1)
        assert authenticate(con, "eve", "encore faux", now=later).user is None  # locked again, twice as long
        assert authenticate(con, "eve", PASSWORD, now=later + timedelta(minutes=LOCK_MINUTES + 1)).user is None
        set_password(con, "eve", PASSWORD + " neuve", by="admin")
        assert authenticate(con, "eve", PASSWORD + " neuve", now=later).user.login == "eve"


def test_failures_are_counted_even_though_the_sign_in_is_refused(team):
    with team.atomic() as con:
        authenticate(con, "eve", "mauvais")
    with team.connect() as con:
        assert con.execute("SELECT echecs FROM users WHERE login = 'eve'").fetchall() == [(1,)]


def test_a_deactivated_account_can_no_longer_sign_in_nor_act(team):
    with team.atomic() as con:
        set_active(con, "coord", False, by="admin")
        assert authenticate(con, "coord", PASSWORD).user is None
        assert not may(con, "coord", "gerer_campagne")


def test_an_openid_identity_maps_to_its_account_by_email(team):
    with team.atomic() as con:
        create_user(con, "prefecture", nom="Préfecture", role="comite", email="Pilotage@Prefecture.gouv.fr", by="admin")
        assert user_for_email(con, "pilotage@prefecture.gouv.fr").login == "prefecture"
        assert authenticate(con, "prefecture", PASSWORD).user is None  # no password: OpenID Connect only
        assert sign_in_by_email(con, "PILOTAGE@prefecture.gouv.fr").user.login == "prefecture"
        refused = sign_in_by_email(con, "inconnu@example.org")
        assert refused.user is None and "Aucun compte actif" in refused.refusal
        assert con.execute("SELECT count(*) FROM audit_log WHERE action = 'user.sign_in_oidc'").fetchall() == [(1,)]


def test_a_coordinator_reads_the_history_of_any_record_the_committee_cannot(team):
    with team.atomic() as con:
        structure = create_structure(con, {"nom": "CCAS de Cognac", "commune": "Cognac", "code_postal": "16100",
                                           "adresse": "1 place", "date_maj": "2024-01-01"}, by="coord")[0].id
        update_structure(con, structure, {"telephone": "05 45 82 00 00"}, by="admin")
    with team.connect() as con:
        history = record_history(con, "structures", structure, by="coord")
        assert [(entry.actor, entry.action_text) for entry in history] == [("coord", "création"), ("admin", "modification")]
        assert [entry.actor for entry in recent_activity(con, by="coord", entity="structures")] == ["admin", "coord"]
        for login in ("comite", "eve"):
            with pytest.raises(AccessDenied, match="lire l'historique"):
                record_history(con, "structures", structure, by=login)


def test_account_changes_are_in_the_audit_log_without_the_password(team):
    with team.atomic() as con:
        set_password(con, "eve", PASSWORD + " 2", by="eve")
    with team.connect() as con:
        rows = con.execute("SELECT actor, action, details FROM audit_log WHERE entity = 'users' AND entity_id = 'eve'"
                           " ORDER BY occurred_at").fetchall()
    assert [(actor, action) for actor, action, _ in rows] == [("admin", "user.create"), ("eve", "user.password")]
    assert all(PASSWORD not in details for _, _, details in rows)


def test_every_role_has_a_french_name():
    assert set(ROLES) == {"enqueteur", "coordinateur", "comite", "admin"}


# -- sign-ins at the same moment: counted as if made one after another ---------------------------

WRONG = "pas le bon mot de passe"
BATCH = 12  # sessions trying at the same moment


def attempts_at_once(path, passwords: list[str], *, login: str = "eve") -> list[SignIn | BaseException]:
    """Each password tried by its own thread at the same moment, as the sessions of one server try
    them: each opens the store as the pages do (``Store(path)``: the process's shared instance of
    the file) and calls ``sign_in``, the function of the « Connexion » page; a barrier starts them
    together. What each one got: its ``SignIn``, or the exception that escaped."""
    barrier = threading.Barrier(len(passwords))
    outcomes: list[SignIn | BaseException | None] = [None] * len(passwords)

    def attempt(index: int, password: str) -> None:
        store = Store(path, device="test")
        barrier.wait()
        try:
            outcomes[index] = sign_in(store, login, password)
        except BaseException as error:  # noqa: BLE001 - what a page would have shown
            outcomes[index] = error

    threads = [threading.Thread(target=attempt, args=pair) for pair in enumerate(passwords)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def kinds(outcomes) -> Counter:
    """« signed in », « incorrect », « locked », or the name of an exception that escaped."""
    def kind(outcome) -> str:
        if isinstance(outcome, BaseException):
            return type(outcome).__name__
        if outcome.user is not None:
            return "signed in"
        return "locked" if "bloqué jusqu'au" in outcome.refusal else "incorrect"
    return Counter(kind(outcome) for outcome in outcomes)


def replay_of_the_history(store, login: str = "eve") -> int:
    """Read the account's sign-ins in the order they were recorded and check they are those of
    attempts made one after another: each failure carries the count before it plus one, a
    success clears it, and nothing signs in or counts once ``MAX_FAILURES`` lock the account.
    Returns the count, which is also the account's."""
    with store.connect() as con:
        history = con.execute("SELECT action, details FROM audit_log WHERE entity_id = ?"
                              " AND action IN ('user.sign_in', 'user.sign_in_failed') ORDER BY occurred_at",
                              [login]).fetchall()
        (stored,), = con.execute("SELECT echecs FROM users WHERE login = ?", [login]).fetchall()
    count = 0
    for action, details in history:
        assert count < MAX_FAILURES, "an attempt was recorded on a locked account"
        count = 0 if action == "user.sign_in" else count + 1
        if action == "user.sign_in_failed":
            assert json.loads(details)["echecs"] == count
    assert stored == count
    return count


@pytest.mark.parametrize(("at_once", "rounds"), [
    (BATCH, 4),  # issue 17: 48 guesses were 5 failures and 43 crashed sessions
    (MAX_FAILURES - 1, 1),  # fewer than the lock: each one counted
    (3, 2),  # the lock comes at the 5th, inside the second round
])
def test_wrong_passwords_tried_at_the_same_moment_are_each_counted_and_lock_the_account_at_the_fifth(
    team, at_once, rounds
):
    outcomes = []
    for _ in range(rounds):
        outcomes += attempts_at_once(team.path, [WRONG] * at_once)
    total = at_once * rounds
    counted = min(total, MAX_FAILURES)
    assert kinds(outcomes) == Counter({"incorrect": counted, "locked": total - counted})  # nothing escaped
    assert replay_of_the_history(team) == counted
    with team.connect() as con:
        assert (get_user(con, "eve").bloque_jusqua is not None) is (total >= MAX_FAILURES)


@pytest.mark.parametrize(("wrong", "rounds"), [
    (MAX_FAILURES - 1, 1),  # too few to lock: the right password always signs in
    (BATCH - 1, 4),  # enough to lock: it signs in if recorded before the 5th failure, else it is refused as locked
])
def test_the_right_password_among_wrong_ones_signs_in_unless_the_account_is_locked_before_it_is_recorded(
    team, wrong, rounds
):
    passwords = [WRONG] * (wrong // 2) + [PASSWORD] + [WRONG] * (wrong - wrong // 2)
    rights = []
    for _ in range(rounds):
        outcomes = attempts_at_once(team.path, passwords)
        assert all(isinstance(outcome, SignIn) for outcome in outcomes), kinds(outcomes)
        assert set(kinds(outcomes)) <= {"signed in", "incorrect", "locked"}
        rights.append(outcomes[wrong // 2])
        assert kinds(outcomes)["signed in"] == (rights[-1].user is not None)
    assert all(right.user is not None and right.user.login == "eve" or "bloqué jusqu'au" in right.refusal
               for right in rights)  # never « incorrect », never an error
    if wrong < MAX_FAILURES:
        assert [right.user.login for right in rights] == ["eve"]
    count = replay_of_the_history(team)
    assert count <= wrong
    with team.connect() as con:
        assert con.execute("SELECT count(*) FROM audit_log WHERE entity_id = 'eve' AND action = 'user.sign_in'"
                           ).fetchall() == [(sum(right.user is not None for right in rights),)]


@pytest.mark.parametrize(("typed", "signed_in"), [
    ("old", False),  # checked against the old password, which is no longer the account's: a failure
    ("new", True),  # typed the new one before the change was recorded: checked again, it signs in
])
def test_a_password_changed_while_an_attempt_is_checked_is_checked_again(team, monkeypatch, typed, signed_in):
    import models.access

    new = PASSWORD + " neuve"
    real_check = models.access._check
    changes = []

    def check_then_the_admin_changes_it(row, password):
        checked = real_check(row, password)
        if not changes:  # the admin's change lands between the check and the record
            changes.append(team.transaction(lambda con: set_password(con, "eve", new, by="admin")))
        return checked

    monkeypatch.setattr(models.access, "_check", check_then_the_admin_changes_it)
    outcome = sign_in(team, "eve", PASSWORD if typed == "old" else new)
    assert (outcome.user is not None) is signed_in
    with team.connect() as con:
        assert get_user(con, "eve").login == "eve"
        assert con.execute("SELECT echecs FROM users WHERE login = 'eve'").fetchall() == [(0 if signed_in else 1,)]


# -- the core functions check the rights of whoever calls them --------------------------------------


def _counts(store) -> dict[str, int]:
    with store.connect() as con:
        return {table: con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]  # noqa: S608 (fixed names)
                for table in ("structures", "campaigns", "campaign_targets", "questionnaires", "audit_log")}


def _import(store, by):
    from collect.imports import import_file
    from tests.conftest import FIXTURES

    return import_file(store, FIXTURES / "structures-excel-cp1252.csv", by=by)


def _campaign(store, by):
    with store.atomic() as con:
        questionnaire = publish_questionnaire(con, default_questionnaire(), by="admin")
    with store.atomic() as con:
        return create_campaign(con, nom="Diagnostic", questionnaire_id=questionnaire.id, by=by)


def _new_structure(store, by):
    with store.atomic() as con:
        return create_structure(con, {"nom": "CCAS de Cognac", "commune": "Cognac", "code_postal": "16100",
                                      "adresse": "1 place", "date_maj": "2024-01-01"}, by=by)


def _questionnaire(store, by):
    with store.atomic() as con:
        return publish_questionnaire(con, default_questionnaire(), by=by)


@pytest.mark.parametrize("action", [_import, _campaign, _new_structure, _questionnaire])
@pytest.mark.parametrize("who", ["comite", "eve"])
def test_a_committee_member_or_surveyor_calling_a_coordinators_function_is_refused_and_nothing_is_written(
    team, action, who
):
    before = _counts(team)
    with pytest.raises(AccessDenied, match="Accès refusé"):
        action(team, who)
    after = _counts(team)
    after["questionnaires"] -= action is _campaign  # the admin's publication before the refused step
    assert after["audit_log"] - before["audit_log"] == (action is _campaign)
    assert {k: v for k, v in after.items() if k != "audit_log"} == {k: v for k, v in before.items() if k != "audit_log"}


@pytest.mark.parametrize("action", [_import, _campaign, _new_structure])
def test_a_coordinator_may_do_them(team, action):
    action(team, "coord")
