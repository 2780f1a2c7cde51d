"""The sync's HTTP side against the emulator: requests counted, 429/5xx retried with backoff and
Retry-After, a dropped connection re-sent only when sending twice is harmless."""

from __future__ import annotations

import gspread
import pytest

from sync.transport import SyncTransport, TransportError, backoff_delay, is_repeatable


@pytest.fixture
def waits():
    return []


@pytest.fixture
def transport(emulator, waits):
    return SyncTransport(emulator.session(), sleep=waits.append, rng=lambda: 1.0, base_delay=0.5, max_delay=8.0,
                         max_tries=4)


@pytest.fixture
def sheet(emulator, transport):
    spreadsheet_id = emulator.create_spreadsheet("Transport", sheets={"structures": [["id", "nom"], ["a", "CCAS"]]})
    client = gspread.Client(auth=None, session=transport)
    return client.http_client, spreadsheet_id


def _read(sheet):
    http, spreadsheet_id = sheet
    return http.values_batch_get(spreadsheet_id, ["structures"])["valueRanges"][0]["values"]


def test_every_request_is_counted_with_its_bytes(sheet, transport):
    assert _read(sheet) == [["id", "nom"], ["a", "CCAS"]]
    assert transport.stats.requests == 1 and transport.stats.retries == 0
    assert transport.stats.bytes_received > 0


@pytest.mark.parametrize(
    ("status", "retry_after", "expected_waits"),
    [
        (429, 3, [3.0]),  # quota: at least what Retry-After asks
        (429, None, [0.5]),
        (500, None, [0.5]),
        (503, None, [0.5]),
    ],
)
def test_quota_and_server_errors_are_retried(sheet, emulator, transport, waits, status, retry_after, expected_waits):
    emulator.fail_next(status, retry_after=retry_after)
    assert _read(sheet)[1] == ["a", "CCAS"]
    assert waits == expected_waits and transport.stats.requests == 2 and transport.stats.retries == 1


def test_the_backoff_doubles_up_to_its_cap_then_gives_the_error_to_the_caller(sheet, emulator, transport, waits):
    emulator.fail_next(503, times=4)
    with pytest.raises(gspread.exceptions.APIError):
        _read(sheet)
    assert waits == [0.5, 1.0, 2.0] and transport.stats.requests == 4


def test_a_dropped_read_is_sent_again(sheet, emulator, transport, waits):
    emulator.drop_next()
    assert _read(sheet)[1] == ["a", "CCAS"]
    assert transport.stats.retries == 1


def test_a_dropped_values_write_is_sent_again_and_lands_once(sheet, emulator):
    http, spreadsheet_id = sheet
    emulator.drop_next()
    http.values_batch_update(spreadsheet_id, {"valueInputOption": "RAW", "data": [
        {"range": "structures!B2", "values": [["CCAS de Cognac"]]}]})
    assert emulator.values(spreadsheet_id, "structures")[1] == ["a", "CCAS de Cognac"]


def test_a_dropped_structural_change_is_not_sent_twice(sheet, emulator, transport):
    http, spreadsheet_id = sheet
    emulator.drop_next()
    with pytest.raises(TransportError, match="n'est pas renvoyée"):
        http.batch_update(spreadsheet_id, {"requests": [{"addSheet": {"properties": {"title": "appels"}}}]})
    assert transport.stats.requests == 1


def test_an_unreachable_api_is_a_french_error(emulator):
    transport = SyncTransport(emulator.session(), sleep=lambda _: None, max_tries=3)
    emulator.drop_next(times=3)
    with pytest.raises(TransportError, match="injoignable \\(3 essais\\)"):
        transport.request("GET", "https://sheets.googleapis.com/v4/spreadsheets/x")


@pytest.mark.parametrize(
    ("method", "url", "repeatable"),
    [
        ("GET", "https://sheets.googleapis.com/v4/spreadsheets/x/values:batchGet", True),
        ("POST", "https://sheets.googleapis.com/v4/spreadsheets/x/values:batchUpdate", True),
        ("POST", "https://sheets.googleapis.com/v4/spreadsheets/x/values:batchUpdateByDataFilter", True),
        ("PUT", "https://sheets.googleapis.com/v4/spreadsheets/x/values/A1", True),
        ("POST", "https://sheets.googleapis.com/v4/spreadsheets/x:batchUpdate", False),
        ("POST", "https://sheets.googleapis.com/v4/spreadsheets/x/values/A1:append", False),
    ],
)
def test_which_requests_may_be_sent_twice(method, url, repeatable):
    assert is_repeatable(method, url) is repeatable


@pytest.mark.parametrize("attempt", [1, 2, 3, 4, 5, 6, 7])
def test_the_jittered_delay_stays_within_its_bounds(attempt):
    for draw in (0.0, 0.3, 1.0):
        delay = backoff_delay(attempt, base=1.0, cap=32.0, retry_after=None, rng=lambda draw=draw: draw)
        assert 0.0 <= delay <= min(32.0, 2 ** (attempt - 1))
    assert backoff_delay(attempt, base=1.0, cap=32.0, retry_after=60, rng=lambda: 0.5) >= 60
