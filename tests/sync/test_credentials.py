"""Where the hub and its key come from (secrets, secrets.toml, environment), every French
configuration error, the client on the emulator, and Google's errors explained in French.

Keys are real: an RSA key generated here, loaded by google-auth as in production. API errors are
real answers of the emulator read by gspread's unchanged client."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import google.auth.exceptions
import gspread
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth.transport.requests import AuthorizedSession
from streamlit import config as streamlit_config
from streamlit.runtime.secrets import AttrDict, Secrets

from sync.credentials import (
    ENV_CREDENTIALS,
    ENV_EMULATOR,
    ENV_GOOGLE_CREDENTIALS,
    ENV_SPREADSHEET,
    SCOPES,
    HubAccessError,
    HubConfigError,
    HubSettings,
    explain_api_error,
    hub_settings,
    open_hub_client,
    parse_spreadsheet_id,
)
from sync.transport import SyncTransport, TransportError

SHEET_ID = "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcd"
OTHER_ID = "1ZyXwVuTsRqPoNmLkJiHgFeDcBa9876543210_-zyxw"
EMAIL = "maillage@projet-maillage.iam.gserviceaccount.com"
TOKEN_URI = "https://oauth2.googleapis.com/token"


@pytest.fixture(scope="module")
def private_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def key_info(pem: str, **changes) -> dict:
    """A service-account JSON key as Google's console gives it (a change to None drops the field)."""
    info = {
        "type": "service_account",
        "project_id": "projet-maillage",
        "private_key_id": "0123456789abcdef",
        "private_key": pem,
        "client_email": EMAIL,
        "client_id": "123456789012345678901",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": TOKEN_URI,
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/maillage",
    }
    info.update(changes)
    return {name: value for name, value in info.items() if value is not None}


def write_key(path: Path, info) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(info, indent=2), encoding="utf-8")
    return path


def write_secrets(project: Path, text: str) -> Path:
    path = project / ".streamlit" / "secrets.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def toml_key(pem: str, **changes) -> str:
    """The key's fields as lines of a TOML table (the private key between triple quotes)."""
    lines = []
    for name, value in key_info(pem, **changes).items():
        quoted = f'"""{value}"""' if "\n" in value else json.dumps(value)
        lines.append(f"{name} = {quoted}")
    return "\n".join(lines) + "\n"


def gsheets(**table) -> dict:
    return {"connections": {"gsheets": table}}


# -- sources and precedence -----------------------------------------------------------------------


def test_the_secrets_mapping_of_the_app_gives_spreadsheet_and_key(private_key, tmp_path):
    secrets = AttrDict(gsheets(spreadsheet=f"https://docs.google.com/spreadsheets/d/{SHEET_ID}/edit#gid=0",
                               worksheet="0", **key_info(private_key)))
    settings = hub_settings(secrets, {}, secrets_path=tmp_path / ".streamlit" / "secrets.toml")
    assert settings.spreadsheet_id == SHEET_ID and settings.client_email == EMAIL
    assert settings.emulator_url is None
    assert settings.credentials_origin.endswith(".streamlit/secrets.toml [connections.gsheets]")
    assert settings.service_account == key_info(private_key)  # worksheet and spreadsheet left out
    assert private_key not in repr(settings) and "BEGIN PRIVATE KEY" not in repr(settings)


def test_the_secrets_file_of_the_current_directory_is_read_by_default(private_key, tmp_path, monkeypatch):
    write_secrets(tmp_path, f'[smtp]\nhost = "smtp.example.fr"\n\n[connections.gsheets]\nspreadsheet = "{SHEET_ID}"\n'
                            f'worksheet = "structures"\n{toml_key(private_key)}')
    monkeypatch.chdir(tmp_path)
    settings = hub_settings(environ={})
    assert settings.spreadsheet_id == SHEET_ID and settings.client_email == EMAIL
    assert settings.credentials_origin == ".streamlit/secrets.toml [connections.gsheets]"
    assert settings.spreadsheet_origin == ".streamlit/secrets.toml [connections.gsheets], clé spreadsheet"


def test_a_private_key_pasted_with_literal_backslash_n_is_accepted(private_key, tmp_path):
    one_line = private_key.replace("\n", "\\n")
    secrets_path = write_secrets(tmp_path, f"[connections.gsheets]\nspreadsheet = '{SHEET_ID}'\n"
                                           f"{toml_key(private_key, private_key=None)}private_key = '{one_line}'\n")
    settings = hub_settings(environ={}, secrets_path=secrets_path)
    assert settings.service_account["private_key"] == private_key


def test_service_account_file_is_relative_to_the_project_directory(private_key, tmp_path, monkeypatch):
    project = tmp_path / "projet"
    key_path = write_key(project / "cles" / "compte.json", key_info(private_key))
    secrets_path = write_secrets(project, f'[connections.gsheets]\nspreadsheet = "{SHEET_ID}"\n'
                                          'service_account_file = "cles/compte.json"\n')
    monkeypatch.chdir(tmp_path)  # not the project directory: the path still resolves
    settings = hub_settings(environ={}, secrets_path=secrets_path)
    assert settings.client_email == EMAIL
    assert str(key_path) in settings.credentials_origin and "service_account_file" in settings.credentials_origin


def test_environment_variables_override_the_secrets(private_key, tmp_path):
    other_email = "autre@autre-projet.iam.gserviceaccount.com"
    env_key = write_key(tmp_path / "env.json", key_info(private_key, client_email=other_email))
    secrets = gsheets(spreadsheet=SHEET_ID, **key_info(private_key))
    environ = {ENV_SPREADSHEET: f"https://docs.google.com/spreadsheets/d/{OTHER_ID}/edit?usp=sharing",
               ENV_CREDENTIALS: str(env_key)}
    settings = hub_settings(secrets, environ)
    assert settings.spreadsheet_id == OTHER_ID and settings.client_email == other_email
    assert settings.credentials_origin == f"variable {ENV_CREDENTIALS} ({env_key})"
    assert settings.spreadsheet_origin == f"variable {ENV_SPREADSHEET}"


def test_blank_environment_variables_are_unset(private_key):
    settings = hub_settings(gsheets(spreadsheet=SHEET_ID, **key_info(private_key)),
                            {ENV_SPREADSHEET: " ", ENV_CREDENTIALS: "", ENV_EMULATOR: ""})
    assert settings.spreadsheet_id == SHEET_ID and settings.emulator_url is None


@pytest.mark.parametrize(
    ("in_secrets", "maillage_variable", "expected"),
    [
        (False, False, "google"),  # nothing else: GOOGLE_APPLICATION_CREDENTIALS is used
        (True, False, "secrets"),  # a key in the secrets wins over it
        (False, True, "maillage"),  # and so does MAILLAGE_GSHEETS_CREDENTIALS
        (True, True, "maillage"),
    ],
)
def test_google_application_credentials_is_the_last_fallback(private_key, tmp_path, in_secrets, maillage_variable,
                                                               expected):
    emails = {source: f"{source}@projet.iam.gserviceaccount.com" for source in ("google", "secrets", "maillage")}
    table = {"spreadsheet": SHEET_ID}
    if in_secrets:
        table.update(key_info(private_key, client_email=emails["secrets"]))
    environ = {ENV_GOOGLE_CREDENTIALS: str(write_key(tmp_path / "g.json", key_info(private_key,
                                                                                   client_email=emails["google"])))}
    if maillage_variable:
        environ[ENV_CREDENTIALS] = str(write_key(tmp_path / "m.json", key_info(private_key,
                                                                               client_email=emails["maillage"])))
    assert hub_settings(gsheets(**table), environ).client_email == emails[expected]


@pytest.mark.parametrize(
    ("table", "environ", "expected_url", "origin"),
    [
        ({"emulator": "http://127.0.0.1:8765/"}, {}, "http://127.0.0.1:8765", "[connections.gsheets], clé emulator"),
        ({}, {ENV_EMULATOR: "http://localhost:9000"}, "http://localhost:9000", f"variable {ENV_EMULATOR}"),
        ({"emulator": "http://127.0.0.1:8765"}, {ENV_EMULATOR: "http://127.0.0.1:9999"}, "http://127.0.0.1:9999",
         f"variable {ENV_EMULATOR}"),
    ],
)
def test_the_emulator_needs_no_key(tmp_path, table, environ, expected_url, origin):
    settings = hub_settings(gsheets(spreadsheet=SHEET_ID, **table), environ, secrets_path=tmp_path / "secrets.toml")
    assert settings.emulator_url == expected_url and settings.service_account is None
    assert settings.client_email is None and origin in settings.credentials_origin


@pytest.mark.parametrize(
    "value",
    [
        f"https://docs.google.com/spreadsheets/d/{SHEET_ID}/edit#gid=0",
        f"https://docs.google.com/spreadsheets/d/{SHEET_ID}/edit?usp=sharing",
        f"https://docs.google.com/spreadsheets/u/1/d/{SHEET_ID}/",
        f"docs.google.com/spreadsheets/d/{SHEET_ID}",
        SHEET_ID,
        f"  {SHEET_ID}\n",
    ],
)
def test_the_spreadsheet_id_is_taken_from_a_url_or_as_is(value):
    assert parse_spreadsheet_id(value, "ici") == SHEET_ID


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("Hub inclusion numérique", "n'est ni l'adresse d'un classeur"),
        ("abc", "n'est ni l'adresse d'un classeur"),
        ("https://docs.google.com/spreadsheets/d/e/2PACX-1vQabcdefghijklmnop/pubhtml", "publication sur le Web"),
        ("https://drive.google.com/drive/folders/", "n'est ni l'adresse d'un classeur"),
    ],
)
def test_anything_else_is_refused_naming_where_it_came_from(value, fragment):
    with pytest.raises(HubConfigError) as raised:
        hub_settings({}, {ENV_SPREADSHEET: value, ENV_EMULATOR: "http://127.0.0.1:8765"})
    message = str(raised.value)
    assert fragment in message and f"variable {ENV_SPREADSHEET}" in message and value in message


def test_a_streamlit_secrets_object_without_any_file_is_no_configuration(private_key, tmp_path, monkeypatch):
    files = streamlit_config.get_option("secrets.files")
    streamlit_config.set_option("secrets.files", [str(tmp_path / "absent" / "secrets.toml")])
    try:
        key = write_key(tmp_path / "k.json", key_info(private_key))
        settings = hub_settings(Secrets(), {ENV_SPREADSHEET: SHEET_ID, ENV_CREDENTIALS: str(key)})
        assert settings.client_email == EMAIL
        with pytest.raises(HubConfigError, match="Aucun classeur"):
            hub_settings(Secrets(), {})
        bad = write_secrets(tmp_path, '[connections.gsheets]\nspreadsheet = "x"\nemulator = \n')
        streamlit_config.set_option("secrets.files", [str(bad)])
        with pytest.raises(HubConfigError) as raised:
            hub_settings(Secrets(), {})
        assert str(bad) in str(raised.value) and "ligne 3" in str(raised.value)
    finally:
        streamlit_config.set_option("secrets.files", files)


# -- configuration errors -------------------------------------------------------------------------


def _case_no_spreadsheet(project, private_key):
    return {"secrets": None, "environ": {}}


def _case_spreadsheet_not_text(project, private_key):
    write_secrets(project, "[connections.gsheets]\nspreadsheet = 12345\n")
    return {"secrets": None, "environ": {}}


def _case_no_key(project, private_key):
    write_secrets(project, f'[connections.gsheets]\nspreadsheet = "{SHEET_ID}"\nworksheet = "0"\n')
    return {"secrets": None, "environ": {}}


def _case_key_file_missing_from_variable(project, private_key):
    return {"secrets": gsheets(spreadsheet=SHEET_ID), "environ": {ENV_CREDENTIALS: str(project / "absente.json")}}


def _case_key_file_missing_from_secrets(project, private_key):
    write_secrets(project, f'[connections.gsheets]\nspreadsheet = "{SHEET_ID}"\nservice_account_file = "cle.json"\n')
    return {"secrets": None, "environ": {}}


def _case_key_path_is_a_folder(project, private_key):
    (project / "cles").mkdir()
    return {"secrets": gsheets(spreadsheet=SHEET_ID), "environ": {ENV_GOOGLE_CREDENTIALS: str(project / "cles")}}


def _case_key_file_not_json(project, private_key):
    (project / "cle.json").write_text("type: service_account\n", encoding="utf-8")
    return {"secrets": gsheets(spreadsheet=SHEET_ID), "environ": {ENV_CREDENTIALS: str(project / "cle.json")}}


def _case_key_file_binary(project, private_key):
    (project / "cle.json").write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    return {"secrets": gsheets(spreadsheet=SHEET_ID), "environ": {ENV_CREDENTIALS: str(project / "cle.json")}}


def _case_key_file_a_list(project, private_key):
    write_key(project / "cle.json", [key_info(private_key)])
    return {"secrets": gsheets(spreadsheet=SHEET_ID), "environ": {ENV_CREDENTIALS: str(project / "cle.json")}}


def _case_wrong_type(project, private_key):
    user_key = {"type": "authorized_user", "client_id": "x", "client_secret": "y", "refresh_token": "z"}
    write_key(project / "cle.json", user_key)
    return {"secrets": gsheets(spreadsheet=SHEET_ID), "environ": {ENV_CREDENTIALS: str(project / "cle.json")}}


def _case_oauth_client(project, private_key):
    write_key(project / "client.json", {"installed": {"client_id": "x", "client_secret": "y"}})
    return {"secrets": gsheets(spreadsheet=SHEET_ID), "environ": {ENV_CREDENTIALS: str(project / "client.json")}}


def _case_public_type_in_secrets(project, private_key):
    return {"secrets": gsheets(spreadsheet=SHEET_ID, type="public"), "environ": {}}


def _case_fields_left_empty_in_secrets(project, private_key):
    # the st-gsheets-connection template copied without filling client_email and private_key
    write_secrets(project, f'[connections.gsheets]\nspreadsheet = "{SHEET_ID}"\n'
                           f'{toml_key(private_key, client_email="", private_key="")}')
    return {"secrets": None, "environ": {}}


def _case_token_uri_missing_in_file(project, private_key):
    write_key(project / "cle.json", key_info(private_key, token_uri=None))
    return {"secrets": gsheets(spreadsheet=SHEET_ID), "environ": {ENV_CREDENTIALS: str(project / "cle.json")}}


def _case_truncated_private_key(project, private_key):
    truncated = private_key[: len(private_key) // 2]
    return {"secrets": gsheets(spreadsheet=SHEET_ID, **key_info(private_key, private_key=truncated)), "environ": {}}


def _case_private_key_garbage(project, private_key):
    write_key(project / "cle.json", key_info(private_key, private_key="MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"))
    return {"secrets": gsheets(spreadsheet=SHEET_ID), "environ": {ENV_CREDENTIALS: str(project / "cle.json")}}


def _case_toml_syntax_error(project, private_key):
    write_secrets(project, '[connections.gsheets]\nspreadsheet = "abc"\nprivate_key = -----BEGIN\n')
    return {"secrets": None, "environ": {}}


def _case_gsheets_not_a_table(project, private_key):
    write_secrets(project, '[connections]\ngsheets = "mon classeur"\n')
    return {"secrets": None, "environ": {}}


def _case_bad_emulator_url(project, private_key):
    return {"secrets": gsheets(spreadsheet=SHEET_ID), "environ": {ENV_EMULATOR: "127.0.0.1:8765"}}


@pytest.mark.parametrize(
    ("case", "fragments"),
    [
        (_case_no_spreadsheet, ["Aucun classeur", "[connections.gsheets]", ".streamlit/secrets.toml",
                                'spreadsheet = "https://docs.google.com/spreadsheets/d/', ENV_SPREADSHEET,
                                ENV_CREDENTIALS]),
        (_case_spreadsheet_not_text, ["« spreadsheet »", "[connections.gsheets]", "texte entre guillemets"]),
        (_case_no_key, ["Aucune clé de compte de service", SHEET_ID, "service_account_file", ENV_CREDENTIALS,
                        ".streamlit/secrets.toml", ENV_EMULATOR]),
        (_case_key_file_missing_from_variable, ["{project}/absente.json", "introuvable", ENV_CREDENTIALS]),
        (_case_key_file_missing_from_secrets, ["{project}/cle.json", "introuvable", "service_account_file",
                                               ".streamlit/secrets.toml"]),
        (_case_key_path_is_a_folder, ["{project}/cles", "dossier", ENV_GOOGLE_CREDENTIALS]),
        (_case_key_file_not_json, ["{project}/cle.json", "n'est pas un JSON valide", "ligne 1", ENV_CREDENTIALS]),
        (_case_key_file_binary, ["{project}/cle.json", "n'est pas un fichier JSON"]),
        (_case_key_file_a_list, ["{project}/cle.json", "objet JSON"]),
        (_case_wrong_type, ["« authorized_user »", '"service_account"', "{project}/cle.json", ENV_CREDENTIALS]),
        (_case_oauth_client, ["identifiant client OAuth", "{project}/client.json"]),
        (_case_public_type_in_secrets, ["« public »", "[connections.gsheets]"]),
        (_case_fields_left_empty_in_secrets, ["client_email, private_key", "[connections.gsheets]"]),
        (_case_token_uri_missing_in_file, ["token_uri", "{project}/cle.json"]),
        (_case_truncated_private_key, ["clé privée du compte de service", EMAIL,
                                       "est invalide (copiée incomplètement ?)", "[connections.gsheets]"]),
        (_case_private_key_garbage, ["est invalide (copiée incomplètement ?)", "{project}/cle.json"]),
        (_case_toml_syntax_error, [".streamlit/secrets.toml", "n'est pas un TOML valide", "ligne 3"]),
        (_case_gsheets_not_a_table, ["« gsheets » doit être une table", "[connections.gsheets]"]),
        (_case_bad_emulator_url, ["127.0.0.1:8765", ENV_EMULATOR, "http://127.0.0.1:8765"]),
    ],
    ids=lambda value: value.__name__.removeprefix("_case_") if callable(value) else None,
)
def test_every_configuration_error_says_what_and_where_in_french(private_key, tmp_path, monkeypatch, case, fragments):
    project = tmp_path / "projet"
    project.mkdir()
    monkeypatch.chdir(project)
    given = case(project, private_key)
    with pytest.raises(HubConfigError) as raised:
        hub_settings(given["secrets"], given["environ"])
    message = str(raised.value)
    for fragment in fragments:
        assert fragment.format(project=project) in message


# -- the client -----------------------------------------------------------------------------------


def test_the_client_reaches_the_emulator_through_a_counting_transport(emulator):
    sid = emulator.create_spreadsheet("Hub", sheets={"structures": [["id", "nom"], ["s1", "CCAS de Cognac"]]})
    settings = hub_settings(gsheets(spreadsheet=f"https://docs.google.com/spreadsheets/d/{sid}/edit",
                                    emulator=emulator.url), {})
    client, transport = open_hub_client(settings, transport_options={"max_tries": 2, "sleep": lambda _: None})
    assert isinstance(transport, SyncTransport) and client.http_client.session is transport
    assert transport.max_tries == 2
    values = client.http_client.values_batch_get(settings.spreadsheet_id, ["structures"])
    assert values["valueRanges"][0]["values"] == [["id", "nom"], ["s1", "CCAS de Cognac"]]
    assert transport.stats.requests == 1
    assert client.open_by_key(sid).worksheet("structures").acell("B2").value == "CCAS de Cognac"
    assert transport.stats.requests == emulator.request_count == 4  # + metadata twice, the cell


def test_the_client_for_google_signs_with_the_service_account(private_key):
    settings = hub_settings(gsheets(spreadsheet=SHEET_ID, **key_info(private_key)), {})
    client, transport = open_hub_client(settings)
    assert client.http_client.session is transport and isinstance(transport.session, AuthorizedSession)
    credentials = transport.session.credentials
    assert credentials.service_account_email == EMAIL and tuple(credentials.scopes) == SCOPES
    assert transport.stats.requests == 0  # nothing sent yet


def test_a_settings_object_without_key_nor_emulator_is_refused():
    with pytest.raises(HubConfigError, match="Aucune clé de compte de service"):
        open_hub_client(HubSettings(SHEET_ID, None, "nulle part"))


# -- Google's errors in French --------------------------------------------------------------------


@pytest.fixture
def hub(emulator):
    """(settings as for a real service account, client with one try, spreadsheet id) on the emulator."""
    sid = emulator.create_spreadsheet("Hub", sheets={"structures": [["id"], ["s1"]]})
    settings = hub_settings(gsheets(spreadsheet=sid, emulator=emulator.url), {})
    client, _ = open_hub_client(settings, transport_options={"max_tries": 1})
    return dataclasses.replace(settings, client_email=EMAIL), client, sid


def _api_error(call) -> gspread.exceptions.APIError:
    with pytest.raises(gspread.exceptions.APIError) as raised:
        call()
    return raised.value


DRIVE_DISABLED = (
    "Google Drive API has not been used in project 123456789012 before or it is disabled. Enable it by visiting"
    " https://console.developers.google.com/apis/api/drive.googleapis.com/overview?project=123456789012 then"
    " retry. If you enabled this API recently, wait a few minutes for the action to propagate to our systems and"
    " retry."
)


@pytest.mark.parametrize(
    ("status", "google_message", "reason", "fragments"),
    [
        (401, None, "unauthorized", ["clé du compte de service", EMAIL, "révoquée ou expirée",
                                     "[connections.gsheets]"]),
        (403, "The caller does not have permission", "not_shared",
         ["n'est pas partagé avec le compte de service " + EMAIL, "Partager", "en Éditeur", "{sid}"]),
        (403, DRIVE_DISABLED, "api_disabled",
         ["activez l'API Google Drive", "https://console.developers.google.com/apis/api/drive.googleapis.com"
                                        "/overview?project=123456789012"]),
        (429, None, "quota", ["quota", "réessayez dans une minute"]),
        (500, None, "unavailable", ["indisponible", "rien n'est perdu", "réessayez"]),
        (503, None, "unavailable", ["indisponible (erreur 503)", "rien n'est perdu"]),
        (409, "Requested entity already exists", "unknown", ["erreur 409", "Requested entity already exists"]),
    ],
)
def test_injected_api_errors_are_explained(hub, emulator, status, google_message, reason, fragments):
    settings, client, sid = hub
    emulator.fail_next(status=status, message=google_message)
    error = _api_error(lambda: client.http_client.values_batch_get(sid, ["structures"]))
    assert error.response.status_code == status
    explained = explain_api_error(error, settings)
    assert isinstance(explained, HubAccessError)
    assert explained.reason == reason and explained.status == status and explained.__cause__ is error
    for fragment in fragments:
        assert fragment.format(sid=sid) in str(explained)


def test_an_unknown_spreadsheet_is_explained_with_its_id(hub):
    settings, client, _ = hub
    unknown = dataclasses.replace(settings, spreadsheet_id=OTHER_ID, spreadsheet_origin=f"variable {ENV_SPREADSHEET}")
    error = _api_error(lambda: client.http_client.values_batch_get(OTHER_ID, ["structures"]))
    explained = explain_api_error(error, unknown)
    assert explained.reason == "not_found" and explained.status == 404
    message = str(explained)
    assert "Classeur introuvable" in message and f"{OTHER_ID} (source : variable {ENV_SPREADSHEET})" in message
    assert f"partagé avec {EMAIL}" in message
    with pytest.raises(gspread.exceptions.SpreadsheetNotFound) as raised:  # gspread's own wrapping
        client.open_by_key(OTHER_ID)
    assert explain_api_error(raised.value, unknown).reason == "not_found"


def test_not_found_names_the_id_that_was_asked_for(hub):
    settings, client, sid = hub  # the configured id is sid; the request asked for another one
    error = _api_error(lambda: client.http_client.values_batch_get(OTHER_ID, ["structures"]))
    message = str(explain_api_error(error, settings))
    assert OTHER_ID in message and sid not in message


@pytest.mark.parametrize(
    ("range_", "tab", "named"),
    [
        ("relances!A1:C9", None, "« relances »"),  # the tab read from Google's message
        ("'Mes appels'!A:A", None, "« Mes appels »"),
        ("relances!A1:C9", "relances (hub)", "« relances (hub) »"),  # the caller knows better
    ],
)
def test_a_missing_tab_is_explained(hub, range_, tab, named):
    settings, client, sid = hub
    error = _api_error(lambda: client.http_client.values_batch_get(sid, [range_]))
    assert error.response.status_code == 400 and "Unable to parse range" in error.error["message"]
    explained = explain_api_error(error, settings, tab=tab)
    assert explained.reason == "tab_missing"
    assert f"L'onglet {named} est introuvable ou a été renommé" in str(explained) and sid in str(explained)


def test_gspread_permission_error_on_open_is_not_shared(hub, emulator):
    settings, client, sid = hub
    emulator.fail_next(status=403, message="The caller does not have permission")
    with pytest.raises(PermissionError) as raised:  # gspread's open_by_key hides the APIError behind it
        client.open_by_key(sid)
    explained = explain_api_error(raised.value, settings)
    assert explained.reason == "not_shared" and EMAIL in str(explained)


def test_gspread_worksheet_not_found_is_a_missing_tab(hub):
    settings, client, sid = hub
    with pytest.raises(gspread.exceptions.WorksheetNotFound) as raised:
        client.open_by_key(sid).worksheet("appels")
    assert "« appels » est introuvable" in str(explain_api_error(raised.value, settings))


def test_a_transport_error_passes_unchanged(hub, emulator):
    settings, client, sid = hub
    emulator.drop_next()
    with pytest.raises(TransportError) as raised:
        client.http_client.values_batch_get(sid, ["structures"])
    assert explain_api_error(raised.value, settings) is raised.value


@pytest.mark.parametrize(
    ("error", "kind", "fragments"),
    [
        (google.auth.exceptions.RefreshError("invalid_grant: Invalid JWT Signature."), HubAccessError,
         ["refuse la clé du compte de service " + EMAIL, "Invalid JWT Signature", "nouvelle clé JSON"]),
        (google.auth.exceptions.TransportError("connection refused"), TransportError, ["injoignable"]),
        (ValueError("quelque chose d'imprévu"), HubAccessError, ["Erreur inattendue", SHEET_ID,
                                                                 "quelque chose d'imprévu"]),
    ],
)
def test_other_errors_get_a_french_message(private_key, error, kind, fragments):
    settings = hub_settings(gsheets(spreadsheet=SHEET_ID, **key_info(private_key)), {})
    explained = explain_api_error(error, settings)
    assert type(explained) is kind and explained.__cause__ is error
    for fragment in fragments:
        assert fragment in str(explained)


def test_without_settings_the_message_still_says_what_to_do(hub, emulator):
    _, client, sid = hub
    emulator.fail_next(status=403)
    error = _api_error(lambda: client.http_client.values_batch_get(sid, ["structures"]))
    message = str(explain_api_error(error))
    assert "n'est pas partagé avec le compte de service (l'adresse client_email de sa clé JSON)" in message
