"""Where the Google Sheets hub is, with which key, and Google's API errors in French.

The app and the CLI find the shared spreadsheet and its service-account key the same way
(``hub_settings``), in this order:

1. the ``[connections.gsheets]`` table of the Streamlit secrets (``st.secrets`` on a page, else
   ``.streamlit/secrets.toml`` read with ``tomllib``), with st-gsheets-connection's keys::

       [connections.gsheets]
       spreadsheet = "https://docs.google.com/spreadsheets/d/<identifiant>/edit"   # or the bare id
       type = "service_account"          # then the key's fields: project_id, private_key_id,
       private_key = "-----BEGIN PRIVATE KEY-----\\n…"   # private_key, client_email, client_id,
       client_email = "maillage@projet.iam.gserviceaccount.com"   # auth_uri, token_uri…
       token_uri = "https://oauth2.googleapis.com/token"

   or, instead of the key's fields, ``service_account_file = "cle.json"`` (a relative path is
   relative to the project directory, the parent of ``.streamlit/``), or
   ``emulator = "http://127.0.0.1:8765"`` (``maillage dev sheets-emulator``: no key needed).
   ``worksheet`` may be there (st-gsheets-connection's) and is ignored: the sync knows its tabs.
2. environment variables, which override the secrets when set: ``MAILLAGE_GSHEETS_SPREADSHEET``
   (URL or id), ``MAILLAGE_GSHEETS_CREDENTIALS`` (path of the JSON key),
   ``MAILLAGE_GSHEETS_EMULATOR`` (emulator URL); ``GOOGLE_APPLICATION_CREDENTIALS`` is the last
   fallback for the key's path.

The key is checked at once (type, required fields, private key loadable by google-auth), so a
badly pasted key is reported before any request, naming where it came from. ``open_hub_client``
builds gspread's client on a counting, retrying ``SyncTransport``; ``explain_api_error`` turns
what Google answers (not shared, API disabled, unknown id, renamed tab, quota…) into a French
``HubAccessError`` saying what to do.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import google.auth.exceptions
import gspread
import requests
from google.auth.transport.requests import AuthorizedSession
from google.oauth2.service_account import Credentials
from gspread.exceptions import APIError, SpreadsheetNotFound, WorksheetNotFound

from models.errors import MaillageError
from models.places import secrets_path as default_secrets_path
from models.secrets import SECRETS_PATH, SecretsError, read_secrets, shown_path, toml_error
from sync.emulator_client import emulator_session
from sync.transport import SyncTransport, TransportError

ENV_SPREADSHEET = "MAILLAGE_GSHEETS_SPREADSHEET"
ENV_CREDENTIALS = "MAILLAGE_GSHEETS_CREDENTIALS"
ENV_GOOGLE_CREDENTIALS = "GOOGLE_APPLICATION_CREDENTIALS"
ENV_EMULATOR = "MAILLAGE_GSHEETS_EMULATOR"
SCOPES = ("https://www.googleapis.com/auth/spreadsheets", "https://www.googleapis.com/auth/drive.metadata.readonly")
REQUIRED_KEY_FIELDS = ("client_email", "private_key", "token_uri")

# Keys of [connections.gsheets] that configure the connection, not the service-account key.
_CONNECTION_KEYS = frozenset({"spreadsheet", "worksheet", "service_account_file", "emulator"})
# Any of these filled in the table means the key itself was pasted there.
_INLINE_KEY_FIELDS = ("type", "project_id", "private_key_id", "private_key", "client_email", "client_id")
_URL_ID = re.compile(r"/spreadsheets/(?:u/\d+/)?d/([A-Za-z0-9_-]+)")  # …/u/1/d/…: a second account
_BARE_ID = re.compile(r"[A-Za-z0-9_-]{10,}")
_TABLE = "[connections.gsheets]"


class HubConfigError(MaillageError):
    """The hub's spreadsheet or key is missing or wrong; the message (French) says where and what to do."""


class HubAccessError(MaillageError):
    """Google refused or failed a request to the hub; the message (French) says what to do.

    ``reason`` is the meaning to branch on: ``unauthorized``, ``not_shared``, ``api_disabled``,
    ``not_found``, ``tab_missing``, ``quota``, ``unavailable``, ``bad_request`` or ``unknown``;
    ``status`` the HTTP status when there was one.
    """

    def __init__(self, message: str, *, reason: str, status: int | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class HubSettings:
    """Where the hub is and how to reach it. ``service_account`` is None with the emulator.

    The key's fields are left out of ``repr`` so that a log never shows the private key.
    """

    spreadsheet_id: str
    service_account: dict[str, Any] | None = field(repr=False)
    credentials_origin: str
    emulator_url: str | None = None
    client_email: str | None = None
    spreadsheet_origin: str = ""

    @property
    def spreadsheet_url(self) -> str:
        """The spreadsheet's address in Google Sheets."""
        return f"https://docs.google.com/spreadsheets/d/{self.spreadsheet_id}/edit"


# -- settings -------------------------------------------------------------------------------------


def hub_settings(
    secrets: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    secrets_path: Path | None = None,
) -> HubSettings:
    """The hub's settings from the secrets and the environment (see the module docstring).

    ``secrets`` is the app's ``st.secrets``; when None, ``secrets_path`` (default
    ``models.places.secrets_path()``: under the current folder, else the data folder) is read if it exists. Either way
    ``secrets_path`` is the file named in messages, and its project directory (the parent of
    ``.streamlit/``) the base of a relative ``service_account_file``. ``environ`` defaults to
    ``os.environ``. Raises ``HubConfigError`` (French) on anything missing or wrong.
    """
    environ = os.environ if environ is None else environ
    path = Path(secrets_path) if secrets_path is not None else default_secrets_path()
    shown = shown_path(path)
    where = f"{shown} {_TABLE}"
    folder = path.absolute().parent
    project_dir = folder.parent if folder.name == ".streamlit" else folder  # service_account_file's base
    if secrets is None:
        try:
            secrets = read_secrets(path)
        except SecretsError as error:
            raise HubConfigError(str(error)) from None
    table = _gsheets_table(secrets, shown)

    spreadsheet_id, spreadsheet_origin = _spreadsheet(table, environ, where, shown)

    emulator, emulator_origin = _setting(table, environ, "emulator", ENV_EMULATOR, where)
    if emulator:
        url = emulator.strip().rstrip("/")
        if not re.fullmatch(r"https?://[^/\s]+(/\S*)?", url):
            raise HubConfigError(
                f"L'adresse de l'émulateur « {emulator} » (source : {emulator_origin}) n'est pas une adresse"
                " web : attendu par exemple http://127.0.0.1:8765 (lancé par « maillage dev sheets-emulator »)."
            )
        return HubSettings(
            spreadsheet_id=spreadsheet_id,
            service_account=None,
            credentials_origin=f"émulateur {url} ({emulator_origin}), sans clé",
            emulator_url=url,
            client_email=None,
            spreadsheet_origin=spreadsheet_origin,
        )

    info, credentials_origin = _key(table, environ, where, project_dir, spreadsheet_id, shown)
    info = _checked_key(info, credentials_origin)
    return HubSettings(
        spreadsheet_id=spreadsheet_id,
        service_account=info,
        credentials_origin=credentials_origin,
        emulator_url=None,
        client_email=info["client_email"],
        spreadsheet_origin=spreadsheet_origin,
    )


def parse_spreadsheet_id(value: str, origin: str) -> str:
    """The spreadsheet id in a Google Sheets URL (``…/spreadsheets/d/<ID>/edit#gid=0``) or a bare
    id; ``origin`` (French, e.g. « variable MAILLAGE_GSHEETS_SPREADSHEET ») is named on error."""
    text = value.strip()
    found = _URL_ID.search(text)
    if found and len(found.group(1)) >= 10:
        return found.group(1)
    if _BARE_ID.fullmatch(text):
        return text
    hint = ""
    if "/spreadsheets/d/e/" in text:
        hint = (" C'est l'adresse de publication sur le Web (« /d/e/… »), qui ne permet pas d'écrire :"
                " ouvrez le classeur lui-même et copiez l'adresse de la barre du navigateur.")
    raise HubConfigError(
        f"« {value} » (source : {origin}) n'est ni l'adresse d'un classeur Google Sheets ni son identifiant :"
        " copiez l'adresse du classeur ouvert dans Google Sheets, de la forme"
        " https://docs.google.com/spreadsheets/d/<identifiant>/edit, ou seulement l'identifiant"
        f" (la longue suite de lettres et chiffres entre /d/ et /edit).{hint}"
    )


def _env(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name)
    return value if value and value.strip() else None


def _filled(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _gsheets_table(secrets: Mapping[str, Any], shown: str) -> dict[str, Any]:
    """The ``[connections.gsheets]`` table of the secrets, or {} when absent."""
    try:
        connections = secrets.get("connections")
    except FileNotFoundError as error:  # st.secrets without a secrets file, or one that does not parse
        cause = error.__cause__
        if isinstance(cause, tomllib.TOMLDecodeError):  # Streamlit says « Error parsing secrets file at <path>: … »
            named = re.search(r"secrets file at (.+?): ", str(error))
            raise HubConfigError(str(toml_error(named.group(1) if named else shown, cause))) from None
        return {}
    if connections is None:
        return {}
    if not isinstance(connections, Mapping):
        raise HubConfigError(
            f"« connections » doit être une table dans {shown} : écrivez {_TABLE} suivi de ses clés."
        )
    table = connections.get("gsheets")
    if table is None:
        return {}
    if not isinstance(table, Mapping):
        raise HubConfigError(f"« gsheets » doit être une table dans {shown} : écrivez {_TABLE} suivi de ses clés.")
    return dict(table)


def _setting(
    table: Mapping[str, Any], environ: Mapping[str, str], key: str, variable: str, where: str
) -> tuple[str | None, str]:
    """A text setting: the environment variable when set, else the table's key."""
    value = _env(environ, variable)
    if value is not None:
        return value, f"variable {variable}"
    value = table.get(key)
    if not _filled(value):
        return None, ""
    if not isinstance(value, str):
        raise HubConfigError(f"La clé « {key} » de {where} doit être un texte entre guillemets, pas {value!r}.")
    return value, f"{where}, clé {key}"


def _no_spreadsheet(shown: str) -> HubConfigError:
    return HubConfigError(
        "Aucun classeur Google Sheets n'est configuré pour la synchronisation. Deux façons de le faire :\n"
        f"1. dans le fichier {shown}, une table {_TABLE} :\n"
        f"       {_TABLE}\n"
        '       spreadsheet = "https://docs.google.com/spreadsheets/d/<identifiant>/edit"\n'
        '       service_account_file = "cle-compte-de-service.json"\n'
        f"2. ou la variable d'environnement {ENV_SPREADSHEET} (adresse ou identifiant du classeur),"
        f" avec {ENV_CREDENTIALS} (chemin de la clé JSON du compte de service)."
    )


def _spreadsheet(table: Mapping[str, Any], environ: Mapping[str, str], where: str, shown: str) -> tuple[str, str]:
    value, origin = _setting(table, environ, "spreadsheet", ENV_SPREADSHEET, where)
    if value is None:
        raise _no_spreadsheet(shown)
    return parse_spreadsheet_id(value, origin), origin


def _key(
    table: Mapping[str, Any],
    environ: Mapping[str, str],
    where: str,
    project_dir: Path,
    spreadsheet_id: str,
    shown: str,
) -> tuple[dict[str, Any], str]:
    """The key's JSON info and where it came from, by precedence."""
    path = _env(environ, ENV_CREDENTIALS)
    if path is not None:
        return _load_key_file(Path(path).expanduser(), f"variable {ENV_CREDENTIALS}")
    file = table.get("service_account_file")
    if _filled(file):
        if not isinstance(file, str):
            raise HubConfigError(
                f"La clé « service_account_file » de {where} doit être un chemin entre guillemets, pas {file!r}."
            )
        key_path = Path(file.strip()).expanduser()
        if not key_path.is_absolute():
            key_path = project_dir / key_path
        return _load_key_file(key_path, f"{where}, clé service_account_file")
    if any(_filled(table.get(name)) for name in _INLINE_KEY_FIELDS):
        return {name: value for name, value in table.items() if name not in _CONNECTION_KEYS}, where
    path = _env(environ, ENV_GOOGLE_CREDENTIALS)
    if path is not None:
        return _load_key_file(Path(path).expanduser(), f"variable {ENV_GOOGLE_CREDENTIALS}")
    raise HubConfigError(
        f"Aucune clé de compte de service n'est configurée pour le classeur {spreadsheet_id} : ajoutez"
        f' service_account_file = "chemin/cle.json" (ou les champs de la clé : type, client_email,'
        f" private_key, token_uri…) dans la table {_TABLE} de {shown}, ou indiquez le chemin de la clé"
        f" JSON dans la variable d'environnement {ENV_CREDENTIALS}. Pour essayer sans compte Google :"
        f" {ENV_EMULATOR}=http://127.0.0.1:8765 avec « maillage dev sheets-emulator »."
    )


def _load_key_file(path: Path, by: str) -> tuple[dict[str, Any], str]:
    """A JSON key file's content and its origin « <by> (<path>) »; French errors naming the path."""
    origin = f"{by} ({path})"
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise HubConfigError(
            f"Le fichier de clé {path} (source : {by}) est introuvable : vérifiez le chemin, ou"
            " téléchargez la clé JSON du compte de service (console Google Cloud, IAM, Comptes de service,"
            " Clés, Ajouter une clé) et enregistrez-la à cet endroit."
        ) from None
    except IsADirectoryError:
        raise HubConfigError(
            f"{path} (source : {by}) est un dossier, pas le fichier de clé JSON : donnez le chemin du"
            " fichier .json lui-même."
        ) from None
    except OSError as error:
        raise HubConfigError(
            f"Le fichier de clé {path} (source : {by}) ne peut pas être lu ({error.strerror or error}) :"
            " vérifiez que vous avez le droit de le lire."
        ) from None
    try:
        info = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise HubConfigError(
            f"Le fichier de clé {path} (source : {by}) n'est pas un fichier JSON (ce n'est pas du texte) :"
            " téléchargez à nouveau la clé au format JSON."
        ) from None
    except json.JSONDecodeError as error:
        raise HubConfigError(
            f"Le fichier de clé {path} (source : {by}) n'est pas un JSON valide (ligne {error.lineno},"
            f" colonne {error.colno} : {error.msg}) : téléchargez à nouveau la clé JSON du compte de service"
            " plutôt que de la modifier à la main."
        ) from None
    if not isinstance(info, dict):
        raise HubConfigError(
            f"Le fichier de clé {path} (source : {by}) n'est pas une clé de compte de service : un objet"
            " JSON { \"type\": \"service_account\", … } est attendu."
        )
    return info, origin


def _checked_key(info: Mapping[str, Any], origin: str) -> dict[str, Any]:
    """The key, checked: a service account, with its required fields, and a private key that loads."""
    kind = info.get("type")
    if kind != "service_account":
        if kind is None and ("installed" in info or "web" in info):
            what = "un identifiant client OAuth (« installed »/« web »)"
        elif _filled(kind):
            what = f"une clé de type « {kind} »"
        else:
            what = "une clé sans champ « type »"
        raise HubConfigError(
            f"La clé (source : {origin}) est {what}, pas une clé de compte de service"
            ' (type = "service_account") : dans la console Google Cloud, IAM, Comptes de service, choisissez'
            " le compte, onglet Clés, Ajouter une clé, JSON."
        )
    missing = [name for name in REQUIRED_KEY_FIELDS if not _filled(info.get(name))]
    if missing:
        raise HubConfigError(
            f"La clé du compte de service (source : {origin}) n'a pas de valeur pour {', '.join(missing)} :"
            " recopiez tous les champs du fichier JSON de la clé, ou téléchargez-en une nouvelle."
        )
    info = dict(info)
    private_key = info["private_key"]
    if isinstance(private_key, str) and "\\n" in private_key and "\n" not in private_key:
        info["private_key"] = private_key.replace("\\n", "\n")  # pasted as a TOML literal string '…'
    try:
        Credentials.from_service_account_info(info)
    except (ValueError, TypeError) as error:
        raise HubConfigError(
            f"La clé privée du compte de service {info['client_email']} (source : {origin}) est invalide (copiée"
            " incomplètement ?) : recopiez tout le champ private_key, de -----BEGIN PRIVATE KEY----- à"
            " -----END PRIVATE KEY-----, ou téléchargez une nouvelle clé JSON."
        ) from error
    return info


# -- client ---------------------------------------------------------------------------------------


def open_hub_client(
    settings: HubSettings, *, transport_options: dict[str, Any] | None = None
) -> tuple[gspread.Client, SyncTransport]:
    """gspread's client for the hub, on a ``SyncTransport`` (its ``stats`` count the sync's
    requests): the emulator's session, or Google's authorised session for the service account.
    ``transport_options`` go to ``SyncTransport`` (``max_tries``, ``sleep``…)."""
    if settings.emulator_url:
        session: requests.Session = emulator_session(settings.emulator_url)
    else:
        if not settings.service_account:
            raise HubConfigError(
                f"Aucune clé de compte de service pour le classeur {settings.spreadsheet_id}"
                f" ({settings.credentials_origin}) : voir {_TABLE} dans {SECRETS_PATH.as_posix()}"
                f" ou la variable {ENV_CREDENTIALS}."
            )
        try:
            credentials = Credentials.from_service_account_info(settings.service_account, scopes=list(SCOPES))
        except (ValueError, TypeError) as error:
            raise HubConfigError(
                f"La clé privée du compte de service {settings.client_email} ({settings.credentials_origin}) est"
                " invalide (copiée incomplètement ?) : recopiez tout le champ private_key ou téléchargez une"
                " nouvelle clé JSON."
            ) from error
        session = AuthorizedSession(credentials)
    transport = SyncTransport(session, **(transport_options or {}))
    return gspread.Client(auth=None, session=transport), transport  # the session is used as is


# -- errors ---------------------------------------------------------------------------------------


def explain_api_error(
    error: Exception, settings: HubSettings | None = None, *, tab: str | None = None
) -> MaillageError:
    """A French error for what Google answered (or failed to): raise it ``from error``.

    ``TransportError`` and the other ``MaillageError``s come back unchanged; ``tab`` is the tab the
    request was about, named when Google cannot find it.
    """
    if isinstance(error, MaillageError):
        return error
    explained = _explain(error, settings, tab)
    explained.__cause__ = error
    return explained


def _explain(error: Exception, settings: HubSettings | None, tab: str | None) -> MaillageError:
    spreadsheet = f"le classeur {settings.spreadsheet_id}" if settings else "le classeur Google Sheets"
    account = settings.client_email if settings and settings.client_email else None
    key_where = f" (source : {settings.credentials_origin})" if settings else ""
    if isinstance(error, WorksheetNotFound):
        return _tab_missing(tab or str(error), spreadsheet, None)
    if isinstance(error, PermissionError) and isinstance(error.__cause__, APIError):
        error = error.__cause__  # gspread's open_by_key turns a 403 into a bare PermissionError
    if isinstance(error, google.auth.exceptions.RefreshError):
        who = f" {account}" if account else ""
        return HubAccessError(
            f"Google refuse la clé du compte de service{who} ({error.args[0] if error.args else error}) : elle a"
            " été révoquée, a expiré ou le compte a été supprimé. Créez une nouvelle clé JSON (console Google"
            f" Cloud, IAM, Comptes de service, Clés, Ajouter une clé) et remplacez l'ancienne{key_where}.",
            reason="unauthorized",
            status=401,
        )
    if isinstance(error, google.auth.exceptions.TransportError | requests.ConnectionError):
        return TransportError(
            "Google est injoignable pour obtenir l'accès au classeur : vérifiez la connexion à Internet,"
            " puis relancez la synchronisation ; rien n'est perdu."
        )
    if isinstance(error, SpreadsheetNotFound):  # gspread's open_by_key on a 404, open() on an unknown title
        if isinstance(error.__cause__, APIError):
            error = error.__cause__
        else:
            return _not_found(settings, account, None)
    if not isinstance(error, APIError):
        return HubAccessError(
            f"Erreur inattendue en accédant à {spreadsheet} : {type(error).__name__} : {error}",
            reason="unknown",
        )
    return _explain_api(error, settings, tab, spreadsheet, account, key_where)


def _explain_api(
    error: APIError, settings: HubSettings | None, tab: str | None, spreadsheet: str, account: str | None,
    key_where: str,
) -> HubAccessError:
    response = getattr(error, "response", None)
    status = response.status_code if response is not None else error.code
    details = error.error if isinstance(error.error, Mapping) else {}
    message = str(details.get("message") or "")
    if status == 401:
        who = f" {account}" if account else ""
        return HubAccessError(
            f"La clé du compte de service{who} est refusée par Google : révoquée ou expirée. Créez une nouvelle"
            " clé JSON (console Google Cloud, IAM, Comptes de service, Clés, Ajouter une clé) et remplacez"
            f" l'ancienne{key_where}.",
            reason="unauthorized",
            status=status,
        )
    if status == 403:
        disabled = _disabled_api(message, details)
        if disabled:
            api, link = disabled
            visit = f" : {link}" if link else " (console Google Cloud, API et services, Bibliothèque)"
            return HubAccessError(
                f"L'API {api} n'est pas activée dans le projet Google Cloud du compte de service : activez"
                f" l'API {api}{visit}, attendez quelques minutes puis relancez la synchronisation.",
                reason="api_disabled",
                status=status,
            )
        address = account or "(l'adresse client_email de sa clé JSON)"
        return HubAccessError(
            f"{_capital(spreadsheet)} n'est pas partagé avec le compte de service {address} : ouvrez-le dans"
            " Google Sheets, bouton Partager, ajoutez cette adresse en Éditeur, puis relancez la synchronisation.",
            reason="not_shared",
            status=status,
        )
    if status == 404:
        return _not_found(settings, account, status, _requested_id(response))
    if status == 400 and "Unable to parse range" in message:
        return _tab_missing(tab or _tab_in(message), spreadsheet, status)
    if status == 429:
        return HubAccessError(
            "Google limite le nombre de requêtes (quota par minute atteint) : réessayez dans une minute ;"
            " rien n'est perdu.",
            reason="quota",
            status=status,
        )
    if 500 <= status <= 599:
        return HubAccessError(
            f"Google Sheets est momentanément indisponible (erreur {status}) : rien n'est perdu, réessayez"
            " dans quelques minutes.",
            reason="unavailable",
            status=status,
        )
    return HubAccessError(
        f"Google a refusé une requête sur {spreadsheet} (erreur {status}) : {message or error}",
        reason="bad_request" if status == 400 else "unknown",
        status=status,
    )


def _not_found(
    settings: HubSettings | None, account: str | None, status: int | None, requested: str | None = None
) -> HubAccessError:
    identifier = requested or (settings.spreadsheet_id if settings else "du classeur")
    configured = settings is not None and identifier == settings.spreadsheet_id and settings.spreadsheet_origin
    origin = f" (source : {settings.spreadsheet_origin})" if configured else ""
    shared = f" ; vérifiez aussi qu'il est partagé avec {account} (bouton Partager)" if account else ""
    return HubAccessError(
        f"Classeur introuvable : vérifiez l'identifiant {identifier}{origin} en copiant l'adresse du classeur"
        f" ouvert dans Google Sheets{shared}.",
        reason="not_found",
        status=status,
    )


def _requested_id(response: requests.Response | None) -> str | None:
    """The spreadsheet (or Drive file) id in the URL of the request that got ``response``."""
    url = getattr(getattr(response, "request", None), "url", None) or ""
    found = re.search(r"/(?:spreadsheets|files)/([A-Za-z0-9_-]{10,})", url)
    return found.group(1) if found else None


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _tab_missing(tab: str | None, spreadsheet: str, status: int | None) -> HubAccessError:
    name = f"« {tab} »" if tab else "demandé"
    return HubAccessError(
        f"L'onglet {name} est introuvable ou a été renommé dans {spreadsheet} : redonnez-lui son nom exact"
        " (double-clic sur l'onglet dans Google Sheets), puis relancez la synchronisation.",
        reason="tab_missing",
        status=status,
    )


def _tab_in(message: str) -> str | None:
    """The tab named in Google's « Unable to parse range: 'a b'!A1 » message."""
    text = message.split("Unable to parse range:", 1)[-1].strip()
    if not text:
        return None
    if text.startswith("'"):
        quoted = re.match(r"'((?:[^']|'')*)'", text)
        return quoted.group(1).replace("''", "'") if quoted else text
    return text.split("!", 1)[0]


def _disabled_api(message: str, details: Mapping[str, Any]) -> tuple[str, str | None] | None:
    """(API name, activation link) when a 403 says the API is not enabled in the project."""
    reasons = {item.get("reason") for item in details.get("details") or [] if isinstance(item, Mapping)}
    if not ("has not been used in project" in message or "is disabled" in message or "SERVICE_DISABLED" in reasons):
        return None
    lowered = message.lower()
    api = "Google Drive" if "drive" in lowered else "Google Sheets" if "sheets" in lowered else "Google demandée"
    link = re.search(r"https://console\.(?:developers|cloud)\.google\.com/\S+", message)
    return api, link.group(0).rstrip(".") if link else None
