"""The Google Sheets emulator: Google's recorded exchanges replayed, gspread end to end,
value input rules, developer metadata, injected faults, a person's edits, the request log."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import gspread
import pytest
import requests

from sync.sheets_emulator import SheetsEmulator, parse_a1, user_entered_cell

CASSETTES = Path(__file__).resolve().parents[1] / "fixtures" / "gspread-cassettes"  # copied, see its SOURCES.md
CASSETTE_FILES = sorted(CASSETTES.glob("*.json")) if CASSETTES.is_dir() else []
ID_KEYS = ("spreadsheetId", "id", "sheetId", "metadataId")
# Keys whose recorded value the emulator must reproduce exactly (ids mapped), beyond the shape.
EXACT_KEYS = {
    "range", "values", "majorDimension", "updatedRange", "updatedRows", "updatedColumns", "updatedCells",
    "clearedRange", "tableRange", "totalUpdatedRows", "totalUpdatedColumns", "totalUpdatedCells", "totalUpdatedSheets",
    "title", "index", "gridProperties", "name", "mimeType", "kind", "code", "status", "message",
}
# Interactions that cannot be replayed, by (cassette, index): none so far. (No cassette holds
# an OAuth token exchange; 429/408 answers were never recorded.)
SKIPPED: dict[tuple[str, int], str] = {}


# --------------------------------------------------------------------------------------------
# Replaying gspread's recorded exchanges


def first_recording(interactions: list[dict]) -> list[dict]:
    """The interactions vcrpy plays: up to the second recording's Drive ``files.create``."""
    kept, creates = [], 0
    for interaction in interactions:
        request = interaction["request"]
        if request["method"] == "POST" and urlsplit(request["uri"]).path == "/drive/v3/files":
            creates += 1
            if creates == 2:
                break
        kept.append(interaction)
    return kept


def shape(value: Any) -> Any:
    """A JSON value's structure: same keys, value types; a list by its first element."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return "null" if value is None else type(value).__name__


def learn_ids(recorded: Any, actual: Any, ids: dict) -> None:
    """Pair the recorded ids (spreadsheet, sheet, metadata) with the emulator's."""
    if isinstance(recorded, dict) and isinstance(actual, dict):
        for key in recorded.keys() & actual.keys():
            if key in ID_KEYS and not isinstance(recorded[key], (dict, list)):
                ids[recorded[key]] = actual[key]
            else:
                learn_ids(recorded[key], actual[key], ids)
    elif isinstance(recorded, list) and isinstance(actual, list):
        for pair in zip(recorded, actual, strict=False):  # a length difference is reported elsewhere
            learn_ids(*pair, ids)


def map_ids(value: Any, ids: dict) -> Any:
    """``value`` with recorded ids replaced by the emulator's (in ids keys and in strings)."""
    if isinstance(value, dict):
        return {
            key: ids.get(item, item) if key in ID_KEYS and not isinstance(item, (dict, list)) else map_ids(item, ids)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [map_ids(item, ids) for item in value]
    if isinstance(value, str):
        for recorded, actual in ids.items():
            if isinstance(recorded, str):
                value = value.replace(recorded, str(actual))
    return value


def exact_differences(recorded: Any, actual: Any, path: str = "") -> list[str]:
    """Where a key of EXACT_KEYS has another value than recorded."""
    found = []
    if isinstance(recorded, dict) and isinstance(actual, dict):
        for key in recorded.keys() & actual.keys():
            if key in EXACT_KEYS and recorded[key] != actual[key]:
                found.append(f"{path}.{key}: recorded {recorded[key]!r}, emulator {actual[key]!r}")
            else:
                found += exact_differences(recorded[key], actual[key], f"{path}.{key}")
    elif isinstance(recorded, list) and isinstance(actual, list):
        for i, pair in enumerate(zip(recorded, actual, strict=False)):
            found += exact_differences(*pair, f"{path}[{i}]")
    return found


def replay(emulator: SheetsEmulator, cassette: Path) -> tuple[list[str], int]:
    """Send each recorded request to the emulator; the differences found, and the count sent."""
    interactions = first_recording(json.loads(cassette.read_text(encoding="utf-8"))["interactions"])
    ids: dict = {}
    problems, sent = [], 0
    with requests.Session() as http:
        for n, interaction in enumerate(interactions):
            if (cassette.name, n) in SKIPPED:
                continue
            request, recorded = interaction["request"], interaction["response"]
            parts = urlsplit(request["uri"])
            target = map_ids(parts.path + (f"?{parts.query}" if parts.query else ""), ids)
            body = request["body"]
            if isinstance(body, dict):
                body = body.get("string")
            if body:
                body = json.dumps(map_ids(json.loads(body), ids)).encode("utf-8")
            headers = {"Content-Type": "application/json"} if body else {}
            answer = http.request(request["method"], emulator.url + target, data=body or None, headers=headers)
            sent += 1
            label = f"#{n} {request['method']} {parts.path}"
            status = recorded["status"]["code"]
            if answer.status_code != status:
                problems.append(f"{label}: status {answer.status_code}, recorded {status}: {answer.text[:300]}")
                continue
            text = recorded["body"]["string"]
            if not text:
                if answer.content:
                    problems.append(f"{label}: body {answer.text[:100]!r} where none was recorded")
                continue
            expected, actual = json.loads(text), answer.json()
            learn_ids(expected, actual, ids)
            expected = map_ids(expected, ids)
            if shape(actual) != shape(expected):
                problems.append(f"{label}: shape {json.dumps(shape(actual))} != recorded {json.dumps(shape(expected))}")
            problems += [f"{label}: {difference}" for difference in exact_differences(expected, actual)]
    return problems, sent


def test_the_ten_recorded_cassettes_are_in_the_repository() -> None:
    assert len(CASSETTE_FILES) == 10, CASSETTES


@pytest.mark.parametrize("cassette", CASSETTE_FILES, ids=[path.stem for path in CASSETTE_FILES])
def test_recorded_exchanges_replay_with_the_same_answers(emulator: SheetsEmulator, cassette: Path) -> None:
    problems, sent = replay(emulator, cassette)
    assert sent > 0
    assert not problems, "\n".join(problems)


def test_replay_follows_the_first_recording_only() -> None:
    cassette = CASSETTES / "CellTest.test_numeric_value.json"
    interactions = json.loads(cassette.read_text(encoding="utf-8"))["interactions"]
    kept = first_recording(interactions)
    assert 0 < len(kept) < len(interactions)
    paths = [urlsplit(i["request"]["uri"]).path for i in kept]
    assert len({path.split("/")[3].split(":")[0] for path in paths if path.startswith("/v4/")}) == 1


# --------------------------------------------------------------------------------------------
# gspread's real client


def test_gspread_update_raw_then_get_all_values(emulator: SheetsEmulator, gc: gspread.Client) -> None:
    sid = emulator.create_spreadsheet("Hub", sheets={"lieux": [["id", "nom"]]})
    worksheet = gc.open_by_key(sid).worksheet("lieux")
    worksheet.update([["id", "nom", "tel"], ["1", "CCAS", "+33545000000"], ["2", "Médiathèque", ""]], "A1")
    assert worksheet.get_all_values() == [
        ["id", "nom", "tel"],
        ["1", "CCAS", "+33545000000"],
        ["2", "Médiathèque", ""],
    ]
    assert emulator.values(sid, "lieux")[1] == ["1", "CCAS", "+33545000000"]


def test_gspread_batch_get_and_values_batch_update(emulator: SheetsEmulator, gc: gspread.Client) -> None:
    sid = emulator.create_spreadsheet("Hub", sheets={"Feuille 1": [["a", "b", "c"], ["1", "2", "3"]]})
    spreadsheet = gc.open_by_key(sid)
    answer = spreadsheet.values_batch_update(
        {
            "valueInputOption": "RAW",
            "data": [
                {"range": "'Feuille 1'!B2", "values": [["deux"]]},
                {"range": "'Feuille 1'!A4:C4", "values": [["x", "", "z"]]},
            ],
        }
    )
    assert answer["totalUpdatedCells"] == 4 and answer["totalUpdatedSheets"] == 1
    assert [r["updatedRange"] for r in answer["responses"]] == ["'Feuille 1'!B2", "'Feuille 1'!A4:C4"]
    got = spreadsheet.worksheet("Feuille 1").batch_get(["A1:C2", "A3:C4"])
    assert got[0] == [["a", "b", "c"], ["1", "deux", "3"]]
    assert got[1] == [[], ["x", "", "z"]]
    assert got[0].range == "'Feuille 1'!A1:C2"


def test_gspread_append_row_after_the_table(emulator: SheetsEmulator, gc: gspread.Client) -> None:
    sid = emulator.create_spreadsheet("Hub", sheets={"lieux": [["id", "nom"], ["1", "CCAS"]]})
    worksheet = gc.open_by_key(sid).worksheet("lieux")
    answer = worksheet.append_row(["2", "Mairie"])
    assert answer["tableRange"] == "lieux!A1:B2"
    assert answer["updates"]["updatedRange"] == "lieux!A3:B3"
    assert worksheet.get_all_values() == [["id", "nom"], ["1", "CCAS"], ["2", "Mairie"]]


def test_gspread_add_and_delete_worksheets(emulator: SheetsEmulator, gc: gspread.Client) -> None:
    sid = emulator.create_spreadsheet("Hub")
    spreadsheet = gc.open_by_key(sid)
    added = spreadsheet.add_worksheet("structures", rows=10, cols=4)
    assert (added.row_count, added.col_count, added.index) == (10, 4, 1)
    assert emulator.sheet_titles(sid) == ["Sheet1", "structures"]
    with pytest.raises(gspread.exceptions.APIError, match="already exists"):
        spreadsheet.add_worksheet("structures", rows=1, cols=1)
    spreadsheet.del_worksheet(added)
    assert [ws.title for ws in spreadsheet.worksheets()] == ["Sheet1"]


def test_gspread_open_absent_spreadsheet_raises_not_found(gc: gspread.Client) -> None:
    with pytest.raises(gspread.SpreadsheetNotFound):
        gc.open_by_key("absent")


def test_gspread_create_and_drive_metadata(emulator: SheetsEmulator, gc: gspread.Client) -> None:
    spreadsheet = gc.create("Nouveau hub")
    assert spreadsheet.title == "Nouveau hub"
    assert spreadsheet.sheet1.title == "Sheet1"
    metadata = gc.get_file_drive_metadata(spreadsheet.id)
    assert set(metadata) == {"id", "name", "createdTime", "modifiedTime"}
    assert metadata["modifiedTime"].endswith("Z")
    gc.del_spreadsheet(spreadsheet.id)
    assert spreadsheet.id not in emulator.spreadsheet_ids()


# --------------------------------------------------------------------------------------------
# Values as Google stores them


def test_raw_keeps_formula_like_and_leading_zero_text(emulator: SheetsEmulator, gc: gspread.Client) -> None:
    sid = emulator.create_spreadsheet("Hub")
    worksheet = gc.open_by_key(sid).sheet1
    tricky = ["=cmd|' /C calc'!A0", "+33545000000", "-", "@x", "00123", "=1+1", "TRUE"]
    worksheet.update([tricky], "A1", raw=True)
    assert worksheet.get_all_values(value_render_option="UNFORMATTED_VALUE") == [tricky]
    assert worksheet.get_all_values(value_render_option="FORMULA") == [tricky]


def test_user_entered_parses_numbers_booleans_and_formulas(emulator: SheetsEmulator, gc: gspread.Client) -> None:
    sid = emulator.create_spreadsheet("Hub")
    worksheet = gc.open_by_key(sid).sheet1
    worksheet.update([["12", "TRUE", "=4/2", "2020-01-01", "00123", "texte", "=A1*2"]], "A1", raw=False)
    unformatted = worksheet.get("A1:G1", value_render_option="UNFORMATTED_VALUE")
    assert unformatted == [[12, True, 2, 43831, 123, "texte", "=A1*2"]]
    assert worksheet.get("A1:G1")[0][:5] == ["12", "TRUE", "2", "2020-01-01", "123"]
    assert worksheet.get("C1", value_render_option="FORMULA") == [["=4/2"]]


@pytest.mark.parametrize(
    ("typed", "value", "shown"),
    [("2,000,000.01", 2000000.01, "2,000,000.01"), ("= 1 / 1024", 0.0009765625, "0.0009765625"),
     ("12%", 0.12, "12%"), ("'0123", "0123", "0123"), ("-", "-", "-"), ("1.50", 1.5, "1.5")],
)
def test_user_entered_rules(typed: str, value: Any, shown: str) -> None:
    cell = user_entered_cell(typed)
    assert (cell.value, cell.text) == (value, shown)


def test_reads_trim_empty_cells_and_normalise_ranges(emulator: SheetsEmulator) -> None:
    sid = emulator.create_spreadsheet("Hub", sheets={"Sheet1": [["A1", "", "C1", ""], ["", ""], [""], ["A4"]]})
    with requests.Session() as http:
        base = f"{emulator.url}/v4/spreadsheets/{sid}/values/"
        whole = http.get(base + "Sheet1").json()
        assert whole == {"range": "Sheet1!A1:Z1000", "majorDimension": "ROWS", "values": [["A1", "", "C1"], [], [], ["A4"]]}
        empty = http.get(base + "Sheet1!E5:F6").json()
        assert empty == {"range": "Sheet1!E5:F6", "majorDimension": "ROWS"}
        assert http.get(base + "A:C").json()["range"] == "Sheet1!A1:C1000"
        assert http.get(base + "Sheet1!A2:Z").json()["range"] == "Sheet1!A2:Z1000"
        columns = http.get(base + "Sheet1!A1:C4", params={"majorDimension": "COLUMNS"}).json()
        assert columns["values"] == [["A1", "", "", "A4"], [], ["C1"]]
        bad = http.get(base + "Nope!A1")
        assert bad.status_code == 400
        assert bad.json() == {"error": {"code": 400, "message": "Unable to parse range: Nope!A1", "status": "INVALID_ARGUMENT"}}
        outside = http.get(base + "Sheet1!A1:AB2")
        assert outside.status_code == 400 and "exceeds grid limits" in outside.json()["error"]["message"]


def test_a1_parsing() -> None:
    assert parse_a1("B2") == parse_a1("b2")
    assert (parse_a1("A2:Z").r0, parse_a1("A2:Z").r1, parse_a1("A2:Z").c1) == (1, None, 26)
    assert parse_a1("C3:A1") == parse_a1("A1:C3")
    assert parse_a1("2:5").c1 is None
    assert parse_a1("A0") is None and parse_a1("Sheet1") is None


def test_bounded_write_must_fit_its_range(emulator: SheetsEmulator) -> None:
    sid = emulator.create_spreadsheet("Hub")
    with requests.Session() as http:
        answer = http.put(
            f"{emulator.url}/v4/spreadsheets/{sid}/values/Sheet1!A1:B1",
            params={"valueInputOption": "RAW"},
            json={"values": [["a", "b", "c"]]},
        )
        assert answer.status_code == 400
        assert "tried writing to column [C]" in answer.json()["error"]["message"]
        missing = http.put(f"{emulator.url}/v4/spreadsheets/{sid}/values/Sheet1!A1", json={"values": [["a"]]})
        assert missing.status_code == 400 and "valueInputOption" in missing.json()["error"]["message"]


def test_failed_batch_changes_nothing(emulator: SheetsEmulator, gc: gspread.Client) -> None:
    sid = emulator.create_spreadsheet("Hub", sheets={"Sheet1": [["a"]]})
    before = emulator.modified_time(sid)
    with pytest.raises(gspread.exceptions.APIError, match="Unable to parse range"):
        gc.open_by_key(sid).values_batch_update(
            {"valueInputOption": "RAW", "data": [{"range": "A1", "values": [["b"]]}, {"range": "Nope!A1", "values": [["c"]]}]}
        )
    assert emulator.values(sid, "Sheet1") == [["a"]]
    assert emulator.modified_time(sid) == before


def test_unsupported_request_is_a_clear_400(emulator: SheetsEmulator, gc: gspread.Client) -> None:
    sid = emulator.create_spreadsheet("Hub")
    spreadsheet = gc.open_by_key(sid)
    with pytest.raises(gspread.exceptions.APIError, match="not implemented by the emulator"):
        spreadsheet.batch_update({"requests": [{"duplicateSheet": {"sourceSheetId": 0}}]})
    with pytest.raises(gspread.exceptions.APIError, match='Unknown name "frobnicate"'):
        spreadsheet.batch_update({"requests": [{"frobnicate": {}}]})


# --------------------------------------------------------------------------------------------
# Developer metadata


def _row_metadata(sheet_id: int, row_index: int, value: str) -> dict:
    location = {"dimensionRange": {"sheetId": sheet_id, "dimension": "ROWS", "startIndex": row_index, "endIndex": row_index + 1}}
    return {
        "createDeveloperMetadata": {
            "developerMetadata": {"metadataKey": "maillage_id", "metadataValue": value, "location": location, "visibility": "DOCUMENT"}
        }
    }


def _rows_of(emulator: SheetsEmulator, sid: str) -> dict[str, int]:
    return {m["metadataValue"]: m["location"]["dimensionRange"]["startIndex"] for m in emulator.developer_metadata(sid)}


def test_row_metadata_follows_inserts_and_deletes_not_sorts(emulator: SheetsEmulator, gc: gspread.Client) -> None:
    rows = [["id", "nom"], ["b", "Bravo"], ["c", "Charlie"], ["a", "Alpha"]]
    sid = emulator.create_spreadsheet("Hub", sheets={"lieux": rows})
    spreadsheet = gc.open_by_key(sid)
    sheet_id = spreadsheet.worksheet("lieux").id
    created = spreadsheet.batch_update({"requests": [_row_metadata(sheet_id, i, rows[i][0]) for i in (1, 2, 3)]})
    assert created["replies"][0]["createDeveloperMetadata"]["developerMetadata"]["location"]["locationType"] == "ROW"
    assert _rows_of(emulator, sid) == {"b": 1, "c": 2, "a": 3}

    span = {"sheetId": sheet_id, "dimension": "ROWS", "startIndex": 1, "endIndex": 3}
    spreadsheet.batch_update({"requests": [{"insertDimension": {"range": span, "inheritFromBefore": False}}]})
    assert _rows_of(emulator, sid) == {"b": 3, "c": 4, "a": 5}

    span = {"sheetId": sheet_id, "dimension": "ROWS", "startIndex": 1, "endIndex": 2}
    spreadsheet.batch_update({"requests": [{"deleteDimension": {"range": span}}]})
    assert _rows_of(emulator, sid) == {"b": 2, "c": 3, "a": 4}

    grid = {"sheetId": sheet_id, "startRowIndex": 1, "endRowIndex": 5}
    sort = {"range": grid, "sortSpecs": [{"dimensionIndex": 0, "sortOrder": "DESCENDING"}]}
    spreadsheet.batch_update({"requests": [{"sortRange": sort}]})
    # The values moved (the empty row stays last), the metadata stayed on its row.
    assert emulator.values(sid, "lieux") == [["id", "nom"], ["c", "Charlie"], ["b", "Bravo"], ["a", "Alpha"]]
    assert _rows_of(emulator, sid) == {"b": 2, "c": 3, "a": 4}

    emulator.human_delete_row(sid, "lieux", 4)  # the row carrying the metadata "c"
    assert _rows_of(emulator, sid) == {"b": 2, "a": 3}


def test_batch_update_by_data_filter_writes_the_row_carrying_the_metadata(
    emulator: SheetsEmulator, gc: gspread.Client
) -> None:
    sid = emulator.create_spreadsheet("Hub", sheets={"lieux": [["id", "nom"], ["x", "Xavier"], ["y", "Yvonne"]]})
    spreadsheet = gc.open_by_key(sid)
    spreadsheet.batch_update({"requests": [_row_metadata(0, 2, "y")]})
    emulator.human_insert_row(sid, "lieux", 2, ["new", "Nouvelle ligne"])  # "y" moves to row 4
    lookup = {"developerMetadataLookup": {"metadataKey": "maillage_id", "metadataValue": "y"}}
    with emulator.session() as http:
        base = f"{emulator.url}/v4/spreadsheets/{sid}/values"
        written = http.post(
            f"{base}:batchUpdateByDataFilter",
            json={"valueInputOption": "RAW", "data": [{"dataFilter": lookup, "values": [["y", "Yvonne B."]]}]},
        ).json()
        assert written["responses"][0]["updatedRange"] == "lieux!A4:B4"
        assert written["responses"][0]["dataFilter"] == lookup
        read = http.post(f"{base}:batchGetByDataFilter", json={"dataFilters": [lookup]}).json()
        assert read["valueRanges"][0]["valueRange"]["values"] == [["y", "Yvonne B."]]
        assert read["valueRanges"][0]["valueRange"]["range"] == "lieux!A4:Z4"
        found = http.post(
            f"{emulator.url}/v4/spreadsheets/{sid}/developerMetadata:search", json={"dataFilters": [lookup]}
        ).json()
        assert found["matchedDeveloperMetadata"][0]["developerMetadata"]["metadataValue"] == "y"
        none = http.post(
            f"{emulator.url}/v4/spreadsheets/{sid}/developerMetadata:search",
            json={"dataFilters": [{"developerMetadataLookup": {"metadataKey": "autre"}}]},
        ).json()
        assert none == {}
    assert emulator.values(sid, "lieux")[3] == ["y", "Yvonne B."]
    deleted = spreadsheet.batch_update({"requests": [{"deleteDeveloperMetadata": {"dataFilter": lookup}}]})
    assert len(deleted["replies"][0]["deleteDeveloperMetadata"]["deletedDeveloperMetadata"]) == 1
    assert emulator.developer_metadata(sid) == []


def test_metadata_must_sit_on_a_single_row(emulator: SheetsEmulator, gc: gspread.Client) -> None:
    sid = emulator.create_spreadsheet("Hub")
    request = _row_metadata(0, 1, "x")
    request["createDeveloperMetadata"]["developerMetadata"]["location"]["dimensionRange"]["endIndex"] = 4
    with pytest.raises(gspread.exceptions.APIError, match="single row or column"):
        gc.open_by_key(sid).batch_update({"requests": [request]})


# --------------------------------------------------------------------------------------------
# Faults and a person's edits


def test_429_with_retry_after_then_success(emulator: SheetsEmulator) -> None:
    sid = emulator.create_spreadsheet("Hub")
    emulator.fail_next(429, retry_after=2)
    with emulator.session() as http:
        url = f"https://sheets.googleapis.com/v4/spreadsheets/{sid}"
        limited = http.get(url)
        assert limited.status_code == 429
        assert limited.headers["Retry-After"] == "2"
        assert limited.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
        assert http.get(url).status_code == 200


def test_gspread_sees_injected_server_errors(emulator: SheetsEmulator, gc: gspread.Client) -> None:
    sid = emulator.create_spreadsheet("Hub")
    emulator.fail_next(503)
    with pytest.raises(gspread.exceptions.APIError) as raised:
        gc.open_by_key(sid)
    assert raised.value.code == 503
    emulator.fail_at(2, 500)
    spreadsheet = gc.open_by_key(sid)
    with pytest.raises(gspread.exceptions.APIError) as raised:
        spreadsheet.sheet1.get_all_values()
    assert raised.value.error["status"] == "INTERNAL"
    assert spreadsheet.sheet1.get_all_values() == [[]]  # gspread's answer for an empty sheet


def test_dropped_connection_raises_connection_error(emulator: SheetsEmulator, gc: gspread.Client) -> None:
    sid = emulator.create_spreadsheet("Hub")
    spreadsheet = gc.open_by_key(sid)
    emulator.drop_next()
    with pytest.raises(requests.exceptions.ConnectionError):
        spreadsheet.sheet1.get_all_values()
    assert emulator.requests[-1].status is None
    assert spreadsheet.sheet1.get_all_values() == [[]]  # the next request is served


def test_a_persons_edit_between_two_requests(emulator: SheetsEmulator, gc: gspread.Client) -> None:
    sid = emulator.create_spreadsheet("Hub", sheets={"lieux": [["id", "nom"], ["1", "CCAS"]]})
    worksheet = gc.open_by_key(sid).worksheet("lieux")
    before = gc.get_file_drive_metadata(sid)["modifiedTime"]
    emulator.between(lambda: emulator.human_edit(sid, "lieux", 2, 2, "CCAS de Cognac"))
    assert worksheet.get_all_values()[1] == ["1", "CCAS"]  # read before the edit
    assert worksheet.get_all_values()[1] == ["1", "CCAS de Cognac"]
    assert gc.get_file_drive_metadata(sid)["modifiedTime"] > before


def test_human_edits_insert_sort_and_modified_time(emulator: SheetsEmulator) -> None:
    sid = emulator.create_spreadsheet("Hub", sheets={"lieux": [["id", "nom"], ["2", "b"], ["1", "a"]]})
    times = [emulator.modified_time(sid)]
    emulator.human_insert_row(sid, "lieux", values=["", "sans id"])
    times.append(emulator.modified_time(sid))
    emulator.human_sort(sid, "lieux", 2, reverse=True)
    times.append(emulator.modified_time(sid))
    emulator.human_insert_column(sid, "lieux", 2, ["commentaire", "ok"])
    times.append(emulator.modified_time(sid))
    emulator.human_edit(sid, "lieux", 2, 1, "00123")  # typed: becomes the number 123
    times.append(emulator.modified_time(sid))
    assert emulator.values(sid, "lieux") == [
        ["id", "commentaire", "nom"],
        ["123", "ok", "sans id"],
        ["2", "", "b"],
        ["1", "", "a"],
    ]
    assert emulator.values(sid, "lieux", "UNFORMATTED_VALUE")[1][0] == 123
    assert times == sorted(set(times))


# --------------------------------------------------------------------------------------------
# The request log


def test_request_log_counts_and_sizes(emulator: SheetsEmulator, gc: gspread.Client) -> None:
    sid = emulator.create_spreadsheet("Hub", sheets={"lieux": [["id"]]})
    worksheet = gc.open_by_key(sid).worksheet("lieux")
    assert emulator.request_count == 2  # open_by_key and worksheet(): two metadata GETs
    emulator.reset_log()
    worksheet.update([["id"], ["1"]], "A1")
    worksheet.get_all_values()
    log = emulator.requests
    assert emulator.request_count == 2
    assert [(entry.method, entry.status) for entry in log] == [("PUT", 200), ("GET", 200)]
    assert log[0].request_bytes == len(log[0].request_body) == len(b'{"values": [["id"], ["1"]], "majorDimension": null}')
    assert json.loads(log[0].request_body) == {"values": [["id"], ["1"]], "majorDimension": None}
    assert log[1].request_bytes == 0
    assert log[1].response_bytes == len(log[1].response_body) > 0
    assert json.loads(log[1].response_body)["values"] == [["id"], ["1"]]
    assert "/values/" in log[1].path


def test_console_page_is_not_logged(emulator: SheetsEmulator) -> None:
    emulator.create_spreadsheet("Hub", sheets={"lieux": [["id", "<b>"]]})
    page = requests.get(emulator.url + "/")
    assert page.status_code == 200 and "&lt;b&gt;" in page.text
    assert emulator.request_count == 0
