"""Reaching the local Sheets emulator instead of Google: gspread's real client, only its HTTP session differs —
Google's URLs are sent to the emulator with their path, query, method and body kept."""

from __future__ import annotations

import json

import gspread
import pytest
from requests.adapters import HTTPAdapter

from sync.emulator_client import GOOGLE_PREFIXES, EmulatorAdapter, emulator_session

LIEUX = [["id", "nom", "code_postal"], ["lieu-1", "CCAS de Cognac", "16100"], ["lieu-2", "Médiathèque", "01000"]]


@pytest.fixture
def hub(emulator) -> str:
    return emulator.create_spreadsheet("Diagnostic Charente", sheets={"structures": LIEUX})


@pytest.fixture
def session(emulator):
    opened = emulator_session(emulator.url)
    yield opened
    opened.close()


def test_gspreads_unchanged_client_reads_and_writes_the_emulators_spreadsheet(emulator, hub, session):
    client = gspread.Client(auth=None, session=session)
    tab = client.open_by_key(hub).worksheet("structures")
    assert tab.get_all_values() == LIEUX
    tab.update([["Médiathèque de Cognac"]], "B3")
    assert emulator.values(hub, "structures")[2] == ["lieu-2", "Médiathèque de Cognac", "01000"]


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("https://sheets.googleapis.com/v4/spreadsheets/{hub}/values/structures!A1:C2"
         "?valueRenderOption=FORMATTED_VALUE&majorDimension=ROWS",
         "/v4/spreadsheets/{hub}/values/structures!A1:C2?valueRenderOption=FORMATTED_VALUE&majorDimension=ROWS"),
        ("https://sheets.googleapis.com/v4/spreadsheets/{hub}/values/%27structures%27%21A1",
         "/v4/spreadsheets/{hub}/values/%27structures%27%21A1"),  # an encoded range stays encoded
        ("https://sheets.googleapis.com/v4/spreadsheets/{hub}", "/v4/spreadsheets/{hub}"),  # no query: no « ? »
        ("https://www.googleapis.com/drive/v3/files/{hub}?fields=modifiedTime",
         "/drive/v3/files/{hub}?fields=modifiedTime"),  # Drive's API too
    ],
    ids=["values-with-query", "encoded-range", "no-query", "drive"],
)
def test_a_google_url_reaches_the_emulator_with_its_path_and_query_as_sent(emulator, hub, session, url, path):
    answer = session.get(url.format(hub=hub))
    assert answer.status_code == 200, answer.text
    (request,) = emulator.requests
    assert (request.method, request.path) == ("GET", path.format(hub=hub))


def test_the_emulators_answers_come_back_as_googles(emulator, hub, session):
    values = session.get(f"https://sheets.googleapis.com/v4/spreadsheets/{hub}/values/structures!A2:C2").json()
    assert values == {"range": "structures!A2:C2", "majorDimension": "ROWS", "values": [LIEUX[1]]}
    drive = session.get(f"https://www.googleapis.com/drive/v3/files/{hub}", params={"fields": "modifiedTime"}).json()
    assert drive == {"modifiedTime": emulator.modified_time(hub)}


def test_a_write_keeps_its_method_and_body(emulator, hub, session):
    body = {"range": "structures!B2", "majorDimension": "ROWS", "values": [["=1+1"]]}
    answer = session.put(f"https://sheets.googleapis.com/v4/spreadsheets/{hub}/values/structures!B2",
                         params={"valueInputOption": "RAW"}, json=body)
    assert answer.status_code == 200, answer.text
    (request,) = emulator.requests
    assert request.method == "PUT" and json.loads(request.request_body) == body
    assert request.path == f"/v4/spreadsheets/{hub}/values/structures!B2?valueInputOption=RAW"
    assert emulator.values(hub, "structures", "FORMULA")[1][1] == "=1+1"  # RAW: text, as sent


def test_an_error_of_the_emulator_reaches_gspread_as_googles_error(emulator, session):
    client = gspread.Client(auth=None, session=session)
    with pytest.raises(gspread.exceptions.SpreadsheetNotFound):
        client.open_by_key("classeur-inconnu")
    assert [request.status for request in emulator.requests] == [404]


@pytest.mark.parametrize("suffix", ["", "/", "//"], ids=["bare", "slash", "two-slashes"])
def test_the_emulators_address_may_end_with_slashes(emulator, hub, suffix):
    with emulator_session(emulator.url + suffix) as session:
        assert session.get(f"https://sheets.googleapis.com/v4/spreadsheets/{hub}").status_code == 200
    assert emulator.requests[0].path == f"/v4/spreadsheets/{hub}"


def test_only_googles_two_api_hosts_go_to_the_emulator(emulator, session):
    assert GOOGLE_PREFIXES == ("https://sheets.googleapis.com/", "https://www.googleapis.com/")
    for prefix in GOOGLE_PREFIXES:
        adapter = session.get_adapter(prefix + "v4/spreadsheets/x")
        assert isinstance(adapter, EmulatorAdapter) and adapter.base_url == emulator.url
    for other in ("https://oauth2.googleapis.com/token", "https://example.org/", "http://sheets.googleapis.com/"):
        adapter = session.get_adapter(other)
        assert isinstance(adapter, HTTPAdapter) and not isinstance(adapter, EmulatorAdapter), other


def test_two_sessions_on_two_emulators_each_reach_their_own(emulator, hub):
    from sync.sheets_emulator import SheetsEmulator

    with SheetsEmulator() as other:
        elsewhere = other.create_spreadsheet("Diagnostic Guadeloupe", sheets={"structures": [["id"], ["lieu-971"]]})
        with emulator_session(emulator.url) as here, emulator_session(other.url) as there:
            assert gspread.Client(auth=None, session=here).open_by_key(hub).title == "Diagnostic Charente"
            assert gspread.Client(auth=None, session=there).open_by_key(elsewhere).title == "Diagnostic Guadeloupe"
        assert other.requests and all(elsewhere in request.path for request in other.requests)
    assert emulator.requests and all(hub in request.path for request in emulator.requests)
