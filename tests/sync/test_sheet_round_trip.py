"""Every value the store holds goes to the sheet RAW and comes back the same, through gspread's real
client and the emulator: formula-looking texts stay text, codes keep their zeros, types round-trip."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync.sheet_values import from_cell, to_cell

PARIS = ZoneInfo("Europe/Paris")

# The columns of a synced row, one per kind, with the values a store can hold.
printable = st.characters(blacklist_categories=("Cs", "Cc"))
COLUMNS = {
    "id": ("text", st.uuids().map(str)),
    "nom": ("text", st.text(printable, min_size=1, max_size=30).filter(lambda t: t.strip() == t)),
    "code_postal": ("code", st.from_regex(r"\A(0[1-9]|[1-8]\d|9[0-8])\d{3}\Z")),
    "telephone": ("code", st.from_regex(r"\A\+(33|590|262|687)[1-9]\d{7,8}\Z")),
    "formule": ("text", st.sampled_from(["=cmd|' /C calc'!A0", "=1+1", "+33545000000", "-", "@x", "'quoted", "TRUE", "1e5"])),
    "typologie": ("list", st.lists(st.sampled_from(["CCAS", "MUNI", "BIB", "ASSO", "FRANCE_SERVICES"]), min_size=1,
                                   max_size=3, unique=True)),
    "actif": ("boolean", st.booleans()),
    "tentatives": ("integer", st.integers(0, 10**12)),
    "latitude": ("decimal", st.floats(-90, 90, allow_nan=False)),
    "date_maj": ("date", st.dates()),
    "rappel": ("datetime", st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2060, 1, 1),
                                        timezones=st.sampled_from([UTC, PARIS, ZoneInfo("Pacific/Noumea"),
                                                                   timezone(timedelta(hours=-4))]))
                 .map(lambda moment: moment.astimezone(UTC).astimezone(moment.tzinfo))),  # a wall time that exists
    "reponses": ("json", st.dictionaries(st.sampled_from(["a", "b", "c"]), st.integers(-5, 5) | st.text(max_size=5),
                                         max_size=3)),
}
rows = st.lists(st.fixed_dictionaries({name: st.one_of(st.none(), values) if name != "id" else values
                                       for name, (_, values) in COLUMNS.items()}), min_size=1, max_size=8)


def test_random_rows_round_trip_through_the_sheet(emulator, gc):
    spreadsheet_id = emulator.create_spreadsheet("Aller-retour", sheets={"structures": [list(COLUMNS)]})
    sheet = gc.open_by_key(spreadsheet_id)

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(rows)
    def round_trip(records):
        cells = [[to_cell(record[name], kind) for name, (kind, _) in COLUMNS.items()] for record in records]
        end = chr(ord("A") + len(COLUMNS) - 1)
        sheet.values_clear(f"structures!A2:{end}")
        sheet.values_batch_update({"valueInputOption": "RAW", "data": [
            {"range": f"structures!A2:{end}{len(cells) + 1}", "values": cells}]})
        read = sheet.values_batch_get([f"structures!A1:{end}"], params={"valueRenderOption": "FORMATTED_VALUE"})
        header, *lines = read["valueRanges"][0]["values"]
        assert header == list(COLUMNS)
        for record, line in zip(records, lines, strict=True):
            line = line + [""] * (len(header) - len(line))  # the API trims trailing empty cells
            back = {name: from_cell(line[i], COLUMNS[name][0], tab="structures", column=name) for i, name in enumerate(header)}
            for name, value in record.items():
                if isinstance(value, datetime):  # same instant, same offset (PEP 495: no == across zones at a fold)
                    assert (back[name].astimezone(UTC), back[name].utcoffset()) == (value.astimezone(UTC), value.utcoffset())
                else:
                    assert back[name] == value, name

    round_trip()
