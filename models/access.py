"""Who may do what: local accounts, roles, rights — checked by the core functions themselves.

Every write of the core already says who makes it (``by=``). ``require(con, by, right)`` looks
that person up in ``users`` and refuses, with a French message, a right their role lacks: a
committee member calling a coordinator's function from any page, link or script gets the same
refusal. Pages pass the signed-in person's login; they cannot be made to pass another.

Two modes:
- **laptop mode** — the store has no account: one person uses the app, under the device's name,
  with every right (``require`` allows everything). Creating the first account (an admin) turns
  the store into
- **server mode** — accounts exist: only an active account's rights count; any other name is
  refused (a device name, a deactivated account).

Roles (``ROLES``) and their rights (``RIGHTS``): a surveyor fills surveys and logs calls for the
structures assigned to them; a coordinator does everything on campaigns, imports, sync,
conflicts and relances; the committee sees the dashboards, never personal data; an admin manages
accounts and questionnaires, and has every right.

Passwords are hashed with Argon2id (argon2-cffi, its default parameters: OWASP's first choice);
after ``MAX_FAILURES`` failed sign-ins in a row the account is locked for ``LOCK_MINUTES``, then
for twice as long after each further failure, up to a day (a handful of guesses an hour at most).

Parallel sign-ins (the sessions of one server; a script trying passwords in parallel) count as if
made one after another, in the order they are recorded (``sign_in``): every failure is counted, the
lock comes at exactly the ``MAX_FAILURES``-th, and a right password signs in unless the account is
locked by the time it is recorded. Pages call ``sign_in`` (the password is checked outside any
lock, the outcome recorded in a short transaction under the account's lock, run again on a write
conflict); ``authenticate`` is the same check inside a caller's own transaction, for the command line.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

import duckdb
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from models.audit import record_audit
from models.errors import MaillageError
from models.moments import moment_text
from models.store import Store, fetch_dicts, utc_now

ROLES: dict[str, str] = {
    "enqueteur": "enquêteur·rice",
    "coordinateur": "coordinateur·rice",
    "comite": "membre du comité de pilotage",
    "admin": "administrateur·rice",
}
ALL_ROLES = frozenset(ROLES)
STAFF = frozenset({"enqueteur", "coordinateur", "admin"})
COORDINATION = frozenset({"coordinateur", "admin"})

# right → (what it allows, in French after « ne peut pas », the roles that have it)
RIGHTS: dict[str, tuple[str, frozenset[str]]] = {
    "saisir_enquete": ("remplir une enquête pour cette structure", STAFF),
    "noter_appel": ("noter un appel pour cette structure", STAFF),
    "voir_donnees_personnelles": ("voir les contacts et les réponses des structures", STAFF),
    "gerer_campagne": ("gérer une campagne (cibles, attributions, réglages)", COORDINATION),
    "modifier_registre": ("modifier le registre des structures", COORDINATION),
    "importer": ("importer des structures", COORDINATION),
    "synchroniser": ("synchroniser avec le Google Sheet", COORDINATION),
    "trancher_conflits": ("trancher les conflits de synchronisation", COORDINATION),
    "relancer": ("envoyer des relances", COORDINATION),
    "lire_historique": ("lire l'historique des enregistrements", COORDINATION),
    "exporter_tout": ("exporter ou sauvegarder toute la base", COORDINATION),
    "voir_tableaux": ("voir les tableaux de bord", ALL_ROLES),
    "gerer_comptes": ("gérer les comptes", frozenset({"admin"})),
    "gerer_questionnaires": ("publier un questionnaire", frozenset({"admin"})),
}
# Rights a surveyor has only on the structures assigned to them in the campaign.
ASSIGNED_ONLY = frozenset({"saisir_enquete", "noter_appel"})

MIN_PASSWORD_LENGTH = 12
MAX_FAILURES = 5
LOCK_MINUTES = 15
MAX_LOCK_MINUTES = 24 * 60
RECOVERY_ACTOR = "terminal (récupération)"
_LOGIN = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")
_hasher = PasswordHasher()


@cache
def _dummy_hash(hasher: PasswordHasher) -> str:
    """A hash verified for unknown logins, so they cost the same time as known ones (made on first
    use: hashing costs ~0.2 s, which every process importing this module would pay)."""
    return hasher.hash("maillage: no such account")


class AccessDenied(MaillageError):
    """A right the person's role lacks (French message naming the person, role and action)."""


@dataclass(frozen=True)
class User:
    """An account as the app shows it (never its password hash)."""

    login: str
    nom: str
    role: str
    email: str | None
    actif: bool
    derniere_connexion: datetime | None
    bloque_jusqua: datetime | None

    @property
    def role_text(self) -> str:
        return ROLES[self.role]


_SELECT_USERS = "SELECT login, nom, role, email, actif, derniere_connexion, bloque_jusqua FROM users"


def _user(row: dict[str, Any]) -> User:
    return User(**{name: row[name] for name in User.__dataclass_fields__})


# -- rights ------------------------------------------------------------------------------------


def accounts_exist(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the store is in server mode (at least one account)."""
    return con.execute("SELECT count(*) > 0 FROM users").fetchall()[0][0]


def role_may(role: str | None, right: str) -> bool:
    """Whether a role has a right (``None``: laptop mode, every right). What the navigation shows;
    ``require`` is still what decides, on each call."""
    return role is None or role in RIGHTS[right][1]


def may(con: duckdb.DuckDBPyConnection, login: str, right: str, *, campaign_id: str | None = None,
        structure_id: str | None = None) -> bool:
    """Whether ``login`` has ``right`` (on this structure of this campaign, for a surveyor)."""
    return refusal_of(con, login, right, campaign_id=campaign_id, structure_id=structure_id) is None


def require(con: duckdb.DuckDBPyConnection, login: str, right: str, *, campaign_id: str | None = None,
            structure_id: str | None = None, structure_ids: Collection[str] = ()) -> None:
    """Raise ``AccessDenied`` unless ``login`` has ``right``. For a surveyor, the rights of
    ``ASSIGNED_ONLY`` also need the structure (each of ``structure_ids``: one check for all) to be
    assigned to them in the campaign."""
    refusal = refusal_of(con, login, right, campaign_id=campaign_id, structure_id=structure_id,
                         structure_ids=structure_ids)
    if refusal is not None:
        raise AccessDenied(refusal)


def refusal_of(con: duckdb.DuckDBPyConnection, login: str, right: str, *, campaign_id: str | None = None,
               structure_id: str | None = None, structure_ids: Collection[str] = ()) -> str | None:
    """The French refusal ``require`` would raise, or None when ``login`` has ``right``."""
    action, roles = RIGHTS[right]
    (count, role), = con.execute(  # one scan: logins are unique
        "SELECT count(*), max(role) FILTER (WHERE login = ? AND actif) FROM users", [login]).fetchall()
    if count == 0:
        return None  # laptop mode: the one person has every right
    if role is None:
        return f"Accès refusé : « {login} » n'est pas un compte actif de cette base ; connectez-vous pour {action}."
    if role not in roles:
        return f"Accès refusé : un compte {ROLES[role]} ({login}) ne peut pas {action}."
    structures = {*structure_ids, *([] if structure_id is None else [structure_id])}
    if role == "enqueteur" and right in ASSIGNED_ONLY and structures:
        missing = structures - (_assigned(con, campaign_id, structures, login) if campaign_id is not None else set())
        if missing:
            if len(structures) == 1:
                which, them = "cette structure n'est pas attribuée", "l'"
            elif len(missing) == 1:
                which, them = "une de ces structures n'est pas attribuée", "l'"
            else:
                which, them = f"{len(missing)} de ces structures ne sont pas attribuées", "les "
            return (f"Accès refusé : {which} à {login} dans cette campagne ;"
                    f" demandez à un coordinateur de vous {them}attribuer.")
    return None


def _assigned(con: duckdb.DuckDBPyConnection, campaign_id: str, structure_ids: Collection[str], login: str) -> set[str]:
    """Which of ``structure_ids`` are assigned to ``login`` in the campaign now."""
    return {row[0] for row in con.execute(
        "SELECT structure_id FROM assignments WHERE campaign_id = ? AND structure_id IN (SELECT unnest(?::VARCHAR[]))"
        " AND surveyor = ? AND ended_at IS NULL AND deleted_at IS NULL", [campaign_id, list(structure_ids), login]).fetchall()}


# -- accounts ----------------------------------------------------------------------------------


def normalized_login(login: str) -> str:
    """« Camille.Martin » → « camille.martin »; a login is case-insensitive, without accents."""
    text = unicodedata.normalize("NFKD", login.strip()).encode("ascii", "ignore").decode().lower()
    if not _LOGIN.match(text):
        raise MaillageError(f"Identifiant « {login} » invalide : de 2 à 64 caractères, lettres sans accent,"
                            " chiffres, point, tiret, @ ou _.")
    return text


def _checked_role(role: str) -> str:
    if role not in ROLES:
        raise MaillageError(f"Rôle « {role} » inconnu : choisissez parmi {', '.join(ROLES)}.")
    return role


def _password_hash(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise MaillageError(f"Mot de passe trop court : au moins {MIN_PASSWORD_LENGTH} caractères"
                            " (une phrase de passe de quelques mots fait l'affaire).")
    return _hasher.hash(password)


def create_user(con: duckdb.DuckDBPyConnection, login: str, *, nom: str, role: str, by: str,
                password: str | None = None, email: str | None = None) -> User:
    """Add an account. The store's first account must be an admin's (it ends laptop mode); later
    ones need the right to manage accounts. Without a password, the person signs in through the
    server's OpenID Connect provider (``email`` then identifies them)."""
    login, role = normalized_login(login), _checked_role(role)
    if accounts_exist(con):
        require(con, by, "gerer_comptes")
    elif role != "admin":
        raise MaillageError("Le premier compte de la base doit être celui d'un administrateur (rôle admin).")
    if not nom.strip():
        raise MaillageError("Le nom de la personne est obligatoire.")
    if password is None and not (email or "").strip():
        raise MaillageError("Donnez un mot de passe, ou l'e-mail par lequel la personne se connecte (OpenID Connect).")
    if con.execute("SELECT 1 FROM users WHERE login = ?", [login]).fetchall():
        raise MaillageError(f"Le compte « {login} » existe déjà.")
    now = utc_now()
    con.execute(
        "INSERT INTO users (login, nom, role, email, password_hash, created_at, updated_at, updated_by)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [login, nom.strip(), role, (email or "").strip().lower() or None,
         None if password is None else _password_hash(password), now, now, by])
    _audited(con, login, by, "user.create", {"role": role, "nom": nom.strip()})
    return get_user(con, login)


def get_user(con: duckdb.DuckDBPyConnection, login: str) -> User:
    rows = fetch_dicts(con, _SELECT_USERS + " WHERE login = ?", [normalized_login(login)])
    if not rows:
        raise MaillageError(f"Aucun compte « {login} ».")
    return _user(rows[0])


def list_users(con: duckdb.DuckDBPyConnection) -> list[User]:
    """Every account, active first, by name (no password hash)."""
    return [_user(row) for row in fetch_dicts(con, _SELECT_USERS + " ORDER BY NOT actif, nom")]


def set_password(con: duckdb.DuckDBPyConnection, login: str, password: str, *, by: str) -> None:
    """A new password (by its owner or an admin); it also unlocks the account.

    The password is hashed (tenths of a second) before anything is read: DuckDB's transaction
    starts at its first statement, so a sign-in recorded on the account meanwhile does not make
    this write conflict (``Store.transaction`` would run it again; see ``sign_in``)."""
    new_hash = _password_hash(password)
    user = get_user(con, login)
    if by != user.login:
        require(con, by, "gerer_comptes")
    con.execute("UPDATE users SET password_hash = ?, echecs = 0, bloque_jusqua = NULL, updated_at = ?, updated_by = ?"
                " WHERE login = ?", [new_hash, utc_now(), by, user.login])
    _audited(con, user.login, by, "user.password")


def recover_admin(con: duckdb.DuckDBPyConnection, login: str, password: str) -> None:
    """The way back in when every admin password is lost: a new password for an admin account,
    unlocked and active again. No right is checked — it is called from the server's terminal
    (``maillage user recover``) by whoever holds the store file, who can read and change the file
    anyway; the history records it as « terminal (récupération) »."""
    new_hash = _password_hash(password)  # before any read: see set_password
    user = get_user(con, login)
    if user.role != "admin":
        raise MaillageError(f"« {user.login} » n'est pas administrateur : la récupération ne vaut que pour un compte"
                            " admin ; un administrateur change ensuite les autres mots de passe.")
    con.execute("UPDATE users SET password_hash = ?, echecs = 0, bloque_jusqua = NULL, actif = true, updated_at = ?,"
                " updated_by = ? WHERE login = ?", [new_hash, utc_now(), RECOVERY_ACTOR, user.login])
    _audited(con, user.login, RECOVERY_ACTOR, "user.recover")


def set_role(con: duckdb.DuckDBPyConnection, login: str, role: str, *, by: str) -> None:
    user = get_user(con, login)
    require(con, by, "gerer_comptes")
    role = _checked_role(role)
    if user.role == "admin" and role != "admin":
        _keep_an_admin(con, user.login)
    con.execute("UPDATE users SET role = ?, updated_at = ?, updated_by = ? WHERE login = ?",
                [role, utc_now(), by, user.login])
    _audited(con, user.login, by, "user.role", {"avant": user.role, "apres": role})


def set_active(con: duckdb.DuckDBPyConnection, login: str, active: bool, *, by: str) -> None:
    """Deactivate an account (it can no longer sign in; its history stays) or reactivate it."""
    user = get_user(con, login)
    require(con, by, "gerer_comptes")
    if not active and user.role == "admin":
        _keep_an_admin(con, user.login)
    con.execute("UPDATE users SET actif = ?, echecs = 0, bloque_jusqua = NULL, updated_at = ?, updated_by = ?"
                " WHERE login = ?", [active, utc_now(), by, user.login])
    _audited(con, user.login, by, "user.activate" if active else "user.deactivate")


def _keep_an_admin(con: duckdb.DuckDBPyConnection, login: str) -> None:
    others = con.execute("SELECT count(*) FROM users WHERE role = 'admin' AND actif AND login <> ?",
                         [login]).fetchall()[0][0]
    if others == 0:
        raise MaillageError(f"« {login} » est le dernier administrateur actif : nommez-en un autre d'abord.")


def _audited(con: duckdb.DuckDBPyConnection, login: str, by: str, action: str,
             details: dict[str, Any] | None = None) -> None:
    record_audit(con, actor=by, action=action, entity="users", entity_id=login, details=details)


# -- signing in --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in: the account, or the French reason it was refused."""

    user: User | None
    refusal: str | None = None


INCORRECT = "Identifiant ou mot de passe incorrect."
_CHECKS = 3  # a password changed during each of this many checks of one attempt: refused, not counted

# Account writes of this process that read a row then write it (a failure counted from the stored
# count) take the lock of their account first: see ``sign_in``. A fixed set of locks, shared by
# accounts whose (store, login) hash alike, so guessed logins never grow it.
_ACCOUNT_LOCKS = tuple(threading.RLock() for _ in range(64))


def _account_lock(store: Store, login: str) -> threading.RLock:
    """The lock this process takes around the short write transactions of ``login`` in ``store``."""
    return _ACCOUNT_LOCKS[hash((str(store.path.resolve()), login)) % len(_ACCOUNT_LOCKS)]


def sign_in(store: Store, login: str, password: str, *, now: datetime | None = None) -> SignIn:
    """A sign-in attempt as the app makes it: the account if ``password`` is its own, else the
    French refusal (the same words whether the login exists or not). The attempt is recorded —
    a failure counted, a success clearing the count — in its own transaction.

    Safe under parallel attempts (several sessions of one server, a script trying passwords):
    attempts on one account count as if made one after another, in the order they are recorded.
    Each failure is counted (the ``MAX_FAILURES``-th locks the account); a right password signs in
    unless the account is locked by the time its attempt is recorded — then, like every attempt
    until the lock ends, it is refused as locked (not counted). No attempt ends in a write conflict.

    How: the password is checked against the stored hash (Argon2id, tenths of a second) outside
    any lock or transaction, so parallel attempts do not queue behind each other's hashing. Then,
    under the account's lock in this process (``_account_lock``), one short transaction reads the
    account again and records the outcome from what it finds: the count as it is now, the lock as
    it is now. A password changed meanwhile makes the check stale: it is made again against the
    new hash. A conflict with another writer of the same columns of the account (DuckDB detects
    them column by column: an admin's new password or deactivation, which clear the count; an
    OpenID Connect sign-in) runs the transaction again (``Store.transaction``). Only one process
    writes a store file at a time, so the lock of this process is all it takes. A store error that
    outlasts the retries (DuckDB's, ``StoreBusy``) is raised: nothing is recorded (not even a
    failure), and the caller says so.
    """
    key = _login_key(login)
    for _ in range(_CHECKS):
        row = _account_row(store.query, key)
        refusal = _locked_refusal(row, now or utc_now())
        if refusal is not None:
            return refusal  # no hashing: a locked account costs nothing to ask
        check = _check(row, password)  # slow: outside any lock and transaction
        if row is None or not row["actif"]:
            return SignIn(None, INCORRECT)  # nothing to record on an unknown or deactivated account
        with _account_lock(store, key):
            outcome = store.transaction(lambda con, check=check: _record(con, key, check, now or utc_now()))
        if outcome is not None:
            return outcome
    return SignIn(None, INCORRECT)


def authenticate(con: duckdb.DuckDBPyConnection, login: str, password: str, *, now: datetime | None = None) -> SignIn:
    """``sign_in`` within the caller's transaction on ``con``, for a caller alone on the store (the
    command line: one attempt, one thread). Parallel attempts go through ``sign_in``, which
    records each in a transaction of its own, run again on a write conflict."""
    key = _login_key(login)
    now = now or utc_now()
    row = _account_row(lambda sql, params: fetch_dicts(con, sql, params), key)
    refusal = _locked_refusal(row, now)
    if refusal is not None:
        return refusal
    return _record(con, key, _check(row, password), now) or SignIn(None, INCORRECT)


def _login_key(login: str) -> str:
    try:
        return normalized_login(login)
    except MaillageError:
        return ""  # no account has it: refused as an unknown login


def _account_row(query: Any, key: str) -> dict[str, Any] | None:
    rows = query("SELECT login, password_hash, echecs, bloque_jusqua, actif FROM users WHERE login = ?", [key])
    return rows[0] if rows else None


def _locked_refusal(row: dict[str, Any] | None, now: datetime) -> SignIn | None:
    if row is None or row["bloque_jusqua"] is None or row["bloque_jusqua"] <= now:
        return None
    return SignIn(None, f"Trop d'essais manqués : ce compte est bloqué jusqu'au {moment_text(row['bloque_jusqua'])}"
                        " (heure de Paris), ou jusqu'à ce qu'un administrateur change son mot de passe.")


@dataclass(frozen=True)
class _Check:
    """A password checked against one stored hash (``None``: no password, or no account)."""

    stored: str | None
    verified: bool
    rehashed: str | None  # the password hashed again with today's parameters, when the stored hash needs it


def _check(row: dict[str, Any] | None, password: str) -> _Check:
    stored = row["password_hash"] if row is not None else None
    verified = _verified(stored, password)
    rehashed = _hasher.hash(password) if verified and _hasher.check_needs_rehash(stored) else None
    return _Check(stored, verified, rehashed)


def _record(con: duckdb.DuckDBPyConnection, key: str, check: _Check, now: datetime) -> SignIn | None:
    """Record a checked attempt on the account as it is now (read again in this transaction);
    None when its password changed since the check (the check is stale)."""
    row = _account_row(lambda sql, params: fetch_dicts(con, sql, params), key)
    if row is None or not row["actif"]:
        return SignIn(None, INCORRECT)
    refusal = _locked_refusal(row, now)
    if refusal is not None:
        return refusal
    if row["password_hash"] != check.stored:
        return None
    if not check.verified:
        _count_failure(con, row, now)
        return SignIn(None, INCORRECT)
    con.execute("UPDATE users SET echecs = 0, bloque_jusqua = NULL, derniere_connexion = ?"
                + (", password_hash = ?" if check.rehashed else "") + " WHERE login = ?",
                [now, *([check.rehashed] if check.rehashed else []), row["login"]])
    _audited(con, row["login"], row["login"], "user.sign_in")
    return SignIn(get_user(con, row["login"]))


def _verified(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _dummy_hash(_hasher), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def _count_failure(con: duckdb.DuckDBPyConnection, row: dict[str, Any], now: datetime) -> None:
    failures = row["echecs"] + 1
    locked = None
    if failures >= MAX_FAILURES:
        locked = now + timedelta(minutes=min(LOCK_MINUTES * 2 ** min(failures - MAX_FAILURES, 10), MAX_LOCK_MINUTES))
    con.execute("UPDATE users SET echecs = ?, bloque_jusqua = ? WHERE login = ?", [failures, locked, row["login"]])
    details: dict[str, Any] = {"echecs": failures}
    if locked is not None:
        details["bloque_jusqua"] = locked.isoformat()
    _audited(con, row["login"], row["login"], "user.sign_in_failed", details)


def user_for_email(con: duckdb.DuckDBPyConnection, email: str) -> User | None:
    """The active account an OpenID Connect identity (its verified e-mail) maps to, if any."""
    rows = fetch_dicts(con, _SELECT_USERS + " WHERE email = ? AND actif", [email.strip().lower()])
    return _user(rows[0]) if rows else None


def sign_in_by_email(con: duckdb.DuckDBPyConnection, email: str | None, *, now: datetime | None = None) -> SignIn:
    """Sign-in through the server's OpenID Connect provider: the provider has checked the person;
    the store decides who they are here (the active account holding that e-mail) and records it."""
    user = user_for_email(con, email) if email else None
    if user is None:
        return SignIn(None, f"Aucun compte actif de cette base n'a l'adresse « {email or '(aucune)'} » :"
                            " demandez à un administrateur de l'ajouter à votre compte.")
    con.execute("UPDATE users SET derniere_connexion = ? WHERE login = ?", [now or utc_now(), user.login])
    _audited(con, user.login, user.login, "user.sign_in_oidc")
    return SignIn(get_user(con, user.login))


def active_user(con: duckdb.DuckDBPyConnection, login: str) -> User | None:
    """The account if it exists and is still active (a session re-checks it on every page run:
    a deactivated account is signed out at its next click)."""
    rows = fetch_dicts(con, _SELECT_USERS + " WHERE login = ? AND actif", [login])
    return _user(rows[0]) if rows else None
