"""Bench: reading .xlsx files with limits, calamine beside openpyxl (issue 17, item 6).

Run from the project root::

    .venv/bin/python -m bench.spreadsheets

stdout holds only the figures, one per line, as ``name: value unit``; notes go to stderr.

Four files, built here (seeded):

- ``lieux-20000.xlsx``: 20 000 lieux × 20 columns as an export has them (names, addresses,
  postcodes under a ``00000`` format, phones, e-mails, coordinates, dates, yes/no, hours, numbers),
  written by openpyxl (inline strings);
- ``plage-annoncee.xlsx``: the same rows in a sheet that announces ``<dimension ref="A1:T1000000">``
  (a producer's habit): it must read like the first, not be refused nor cost more;
- ``million.xlsx``: 1 000 000 identical rows × 20 cells (shared strings, no cell references), a
  couple of MB on disk like the issue's 1.7 MB file that ran past 120 s: refused at once, in French;
- ``bombe.xlsx``: a small archive whose sheet announces 3 GB once inflated: refused before inflating.

Each read runs in its own subprocess (after one small warm-up read, so imports are not timed):
its wall time, and its peak memory as how far it raised the resident size above what the process
held before (``bench.duplicates.resident_peak_during``). The reader of
the code before this change (openpyxl, ``collect/readers.py`` at BEFORE_COMMIT, read from git) reads
the same files; on ``million.xlsx`` it is stopped after BEFORE_TIMEOUT seconds (the figure is then a
lower bound, said on stderr). Checked on the way: both readers give the same table for the two
20 000-row files; the new one refuses ``million.xlsx`` and ``bombe.xlsx`` with a French message.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import random
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from bench.duplicates import resident_peak_during
from bench.import_export import check, figure, note, timed

BEFORE_COMMIT = "b3769be"  # the last commit before calamine and the limits
BEFORE_TIMEOUT = 60
ROWS = 20_000
SEED = 20_260_317
ROOT = Path(__file__).resolve().parents[1]
COLUMNS = ["nom", "adresse", "code_postal", "commune", "telephone", "courriel", "site_web", "latitude", "longitude",
           "date_maj", "itinerance", "horaires", "siret", "typologie", "services", "frais", "public", "accessibilite",
           "capacite", "note"]


# -- the files -------------------------------------------------------------------------------------


def lieux_xlsx(path: Path) -> None:
    import openpyxl
    from openpyxl.cell import WriteOnlyCell

    rng = random.Random(SEED)
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Lieux")
    sheet.append(COLUMNS)
    towns = [("Reims", 51100), ("Bourg-en-Bresse", 1000), ("Nouméa", 98800), ("Angoulême", 16000), ("Pau", 64000)]
    for i in range(ROWS):
        town, postcode = rng.choice(towns)
        code = WriteOnlyCell(sheet, value=postcode)
        code.number_format = "00000"
        sheet.append([
            f"Médiathèque {rng.choice(['Jean Moulin', 'Victor Hugo', 'Louise Michel'])} — antenne {i}",
            f"{rng.randint(1, 200)} rue de la République", code, town, f"0{rng.randint(100000000, 999999999)}",
            f"contact{i}@exemple.fr", f"https://lieu{i}.exemple.fr", round(rng.uniform(43, 50), 6),
            round(rng.uniform(-1, 7), 6), dt.date(2024, 1, 1) + dt.timedelta(days=rng.randint(0, 700)),
            rng.random() < 0.3, "Lu-Ve 09:00-12:00", str(rng.randint(10**13, 10**14 - 1)), "BIB",
            "aide-aux-demarches|numerique", "gratuit", "tout-public", None if i % 7 else "oui", rng.randint(1, 40),
            rng.random() * 20,
        ])
    workbook.save(path)


def announced_range_xlsx(source: Path, path: Path) -> None:
    """``source`` whose sheet announces the range A1:T1000000 (its rows unchanged)."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in original.infolist():
            data = original.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                head, sheet_data = data.split(b"<sheetData>", 1)
                if b"<dimension" in head:
                    head = head[: head.index(b"<dimension")] + head[head.index(b"/>", head.index(b"<dimension")) + 2:]
                data = head + b'<dimension ref="A1:T1000000"/><sheetData>' + sheet_data
            archive.writestr(info, data)


_CONTENT_TYPES = (b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/'
                  b'2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-'
                  b'package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override '
                  b'PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                  b'spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType='
                  b'"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName='
                  b'"/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
                  b'sharedStrings+xml"/></Types>')
_RELS = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
         b'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
         b'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
_WORKBOOK = (b'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
             b'2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet '
             b'name="Lieux" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WORKBOOK_RELS = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                  b'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                  b'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id='
                  b'"rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
                  b'Target="sharedStrings.xml"/></Relationships>')


def million_xlsx(path: Path, rows: int = 1_000_000, columns: int = 20) -> None:
    """``rows`` identical rows of ``columns`` shared strings, without cell references (as some exporters
    write them): deflate packs them into a couple of MB, like the issue's 1.7 MB file."""
    strings = b"".join(b"<si><t>valeur %d</t></si>" % c for c in range(columns))
    row = b"<row>" + b"".join(b'<c t="s"><v>%d</v></c>' % c for c in range(columns)) + b"</row>"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/sharedStrings.xml", b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://'
                         b'schemas.openxmlformats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">%s</sst>'
                         % (columns, columns, strings))
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
                        b'spreadsheetml/2006/main"><dimension ref="A1:%s%d"/><sheetData>'
                        % (chr(64 + columns).encode(), rows))
            batch = row * 10_000
            for _ in range(rows // 10_000):
                sheet.write(batch)
            sheet.write(row * (rows % 10_000) + b"</sheetData></worksheet>")


def bomb_xlsx(source: Path, path: Path, announced: int = 3_000_000_000) -> None:
    """``source`` whose central directory announces ``announced`` bytes for its sheet once inflated."""
    data = bytearray(source.read_bytes())
    position = 0
    while True:
        position = data.index(b"PK\x01\x02", position)
        name_length = int.from_bytes(data[position + 28: position + 30], "little")
        if data[position + 46: position + 46 + name_length] == b"xl/worksheets/sheet1.xml":
            break
        position += 46
    data[position + 24: position + 28] = announced.to_bytes(4, "little")
    path.write_bytes(bytes(data))


# -- one read, in its own process ------------------------------------------------------------------


def one_read(path: str, code: str, table_path: str) -> None:
    """Child process: warm up, read ``path`` once, print its figures as JSON, save the table read."""
    if code == "after":
        from collect import readers as module
    else:
        import importlib.util

        spec = importlib.util.spec_from_file_location("readers_before", code)
        module = importlib.util.module_from_spec(spec)
        sys.modules["readers_before"] = module
        spec.loader.exec_module(module)
    import openpyxl

    from models.errors import NotATable

    warm = openpyxl.Workbook()
    warm.active.append(["nom"])
    warm.active.append(["Mairie"])
    buffer = io.BytesIO()
    warm.save(buffer)
    module.read_table_bytes(buffer.getvalue(), "chauffe.xlsx")
    data = Path(path).read_bytes()

    def read():
        try:
            return module.read_table_bytes(data, Path(path).name)
        except NotATable as error:
            return error

    table, seconds, peak = resident_peak_during(read)
    if isinstance(table, NotATable):
        outcome, rows = str(table), 0
    else:
        outcome, rows = "read", len(table.rows)
        Path(table_path).write_text(json.dumps([table.columns, table.rows, table.line_numbers]), encoding="utf-8")
    print(json.dumps({"seconds": seconds, "peak_mb": peak, "outcome": outcome, "rows": rows}))


def measured(path: Path, code: str, label: str, timeout: float | None = None) -> dict | None:
    """One read in a subprocess; None when it ran past ``timeout`` (stopped)."""
    table_path = path.with_suffix(f".{label}.json")
    try:
        done = subprocess.run([sys.executable, "-m", "bench.spreadsheets", "--one", str(path), code, str(table_path)],
                              capture_output=True, text=True, cwd=ROOT, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return None
    check(done.returncode == 0, f"reading {path.name} ({label}) failed: {done.stderr[-2000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["table"] = table_path
    return result


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="maillage-bench-xlsx-") as tmp:
        directory = Path(tmp)
        before_code = directory / "readers_before.py"
        shown = subprocess.run(["git", "-C", str(ROOT), "show", f"{BEFORE_COMMIT}:collect/readers.py"],
                               capture_output=True, text=True, check=False)
        if shown.returncode == 0:
            before_code.write_text(shown.stdout, encoding="utf-8")
        else:
            note(f"  before this change: unavailable ({shown.stderr.strip()[:200]})")
        lieux, announced = directory / "lieux-20000.xlsx", directory / "plage-annoncee.xlsx"
        million, bomb = directory / "million.xlsx", directory / "bombe.xlsx"
        with timed("building the files"):
            lieux_xlsx(lieux)
            announced_range_xlsx(lieux, announced)
            million_xlsx(million)
            bomb_xlsx(lieux, bomb)
        for path in (lieux, announced, million, bomb):
            note(f"  {path.name}: {path.stat().st_size / 1e6:.1f} MB")
        figure("xlsx_rows", ROWS, "rows")
        figure("million_xlsx_size", f"{million.stat().st_size / 1e6:.1f}", "MB")

        cases = [("lieux_20000", lieux, None), ("announced_range_20000", announced, None),
                 ("million_rows", million, BEFORE_TIMEOUT), ("zip_bomb", bomb, None)]
        for name, path, timeout in cases:
            after = measured(path, "after", "after")
            check(after is not None, f"{path.name}: the new reader did not finish")
            assert after is not None
            note(f"… {path.name}, new reader (calamine, limits): {after['seconds']:.2f} s, +{after['peak_mb']:.0f} MB, "
                 f"{after['outcome'] if after['outcome'] == 'read' else 'refused: ' + after['outcome']}")
            figure(f"{name}_calamine_seconds", f"{after['seconds']:.2f}", "s")
            figure(f"{name}_calamine_peak_memory", f"{after['peak_mb']:.0f}", "MB")
            if name in ("lieux_20000", "announced_range_20000"):
                check(after["outcome"] == "read" and after["rows"] == ROWS, f"{path.name}: {after['outcome']}")
            else:
                check(after["outcome"] != "read", f"{path.name} was read, not refused")
                check(after["outcome"].startswith(f"{path.name} : "), f"{path.name}: {after['outcome']}")
            if not before_code.exists():
                continue
            before = measured(path, str(before_code), "before", timeout)
            if before is None:
                note(f"  code before this change (openpyxl): still reading after {timeout} s, stopped")
                figure(f"{name}_openpyxl_seconds", f">{timeout}", "s")
                continue
            note(f"  code before this change (openpyxl): {before['seconds']:.2f} s, +{before['peak_mb']:.0f} MB, "
                 f"{before['outcome'] if before['outcome'] == 'read' else 'refused: ' + before['outcome']}")
            figure(f"{name}_openpyxl_seconds", f"{before['seconds']:.2f}", "s")
            figure(f"{name}_openpyxl_peak_memory", f"{before['peak_mb']:.0f}", "MB")
            if after["outcome"] == "read" and before["outcome"] == "read":
                same = Path(after["table"]).read_text(encoding="utf-8") == Path(before["table"]).read_text(
                    encoding="utf-8")
                check(same, f"{path.name}: calamine and openpyxl do not give the same table")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--one":
        one_read(sys.argv[2], sys.argv[3], sys.argv[4])
        sys.exit(0)
    sys.exit(main())
