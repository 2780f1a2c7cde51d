"""Bench: dry run, import, re-import and export of 20 000 structures, with the naive ways beside them.

Run from the project root::

    .venv/bin/python -m bench.import_export

stdout holds only the figures, one per line, as ``name: value unit``; notes and progress go to
stderr. The goal (issue): each of dry run, import and export under 5 s on the machine it runs on.

The input is built deterministically (seeded) from the 924 real demo lieux (``collect/demo_data/*.json``):
each synthetic row copies a real lieu's services, hours, contacts, source… under a new id and a
varied name ("Médiathèque X — antenne 17") and its own phone number and e-mails (as in real files),
and is placed at a real place of the same territory (commune, postcode, INSEE code, address and coordinates taken together from one demo row the
importer resolves without a warning, coordinates jittered by at most 300 m and checked to stay in
the département). It is written as a French Excel CSV (``;``, cp1252) with ~10 % of rows messy
(national phone numbers, postcodes that lost their leading zero, dates as dd/mm/yyyy), and as a
JSON array of the same rows.

The same dry run and import also run on one core (``MAILLAGE_IMPORT_WORKERS=0``) and with the code of
before issue 16, each in a fresh process. The comparisons run in the same process on the same data: ``pandas.read_csv`` against our
reader, one INSERT per row (``executemany``) against the import's Arrow batch, and frictionless
called directly against ``validate_file``. Correctness is checked on the way (20 000 new, 0
rejected; 20 000 unchanged on re-import; 20 000 exported rows valid against the standard): a
regression fails the bench loudly instead of producing a fast, wrong figure.
"""

from __future__ import annotations

import csv
import json
import math
import random
import resource
import sys
import tempfile
import time
import tracemalloc
import unicodedata
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

ROWS = 20_000
SEED = 20_240_320
GOAL_SECONDS = 5.0
# The last commit before issue 16 (real files in): its import is timed in the same run, on the same file.
BEFORE_COMMIT = "de9f267"
_BEFORE_SNIPPET = """
import sys, time
sys.path.insert(0, sys.argv[1])
from collect.imports import import_file
from models.store import Store
store = Store(sys.argv[3]); store.migrate()
started = time.perf_counter(); report = import_file(store, sys.argv[2], dry_run=True)
print("dry", time.perf_counter() - started, report.new)
store = Store(sys.argv[4]); store.migrate()
started = time.perf_counter(); report = import_file(store, sys.argv[2])
print("import", time.perf_counter() - started, report.new)
"""
MESSY_SHARE = 0.10
JITTER_METRES = 300.0
METRES_PER_DEGREE = 111_320.0

# Fields that describe where a lieu is: taken together from one real demo row.
PLACE_FIELDS = ("commune", "code_postal", "code_insee", "adresse", "complement_adresse", "latitude", "longitude")
# Issues on these fields disqualify a place (the importer had to guess or repair it).
PLACE_ISSUE_FIELDS = frozenset({"commune", "code_postal", "code_insee", "adresse", "latitude", "longitude"})


# -- output --------------------------------------------------------------------------------------


def note(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def figure(name: str, value: str | int, unit: str) -> None:
    print(f"{name}: {value} {unit}", flush=True)


def seconds(name: str, value: float) -> None:
    figure(name, f"{value:.1f}", "s")


def rate(name: str, rows: int, value: float) -> None:
    figure(name, f"{rows / value:.0f}" if value > 0 else "inf", "rows/s")


def check(condition: bool, message: str) -> None:
    """An assertion that ``python -O`` does not remove."""
    if not condition:
        raise AssertionError(message)


@contextmanager
def timed(label: str) -> Iterator[list[float]]:
    """``with timed("import") as t: ...`` then ``t[0]`` is the wall time in seconds."""
    note(f"… {label}")
    result: list[float] = []
    start = time.perf_counter()
    yield result
    result.append(time.perf_counter() - start)
    note(f"  {label}: {result[0]:.2f} s")


def progress_to_stderr(label: str) -> Callable[[int, int], None]:
    shown = {-1}

    def progress(done: int, total: int) -> None:
        tenth = done * 10 // max(total, 1)
        if tenth not in shown:
            shown.add(tenth)
            print(f"  {label} {done}/{total}", file=sys.stderr, flush=True)

    return progress


# -- the synthetic input -------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """Where a real demo lieu is, as the importer resolved it without any warning."""

    territory: str
    departement: str
    commune: str
    code_postal: str
    code_insee: str
    adresse: str
    complement_adresse: str | None
    latitude: float | None
    longitude: float | None


@dataclass(frozen=True)
class Template:
    """A real demo lieu whose non-place fields are copied onto synthetic rows."""

    territory: str
    item: dict[str, Any]
    siret: str | None  # a valid SIRET of the lieu, to derive its antennas' own SIRETs


def _demo_lieux() -> tuple[list[Template], list[Place], list[str]]:
    """Templates and places from the demo files, read and checked by the importer's own code.

    A place is a demo lieu's commune, INSEE code, postcode, address and coordinates as the importer
    resolved them (real files give 98800 for every Nouvelle-Calédonie commune, or an INSEE code of
    the wrong département: the postcode is then the commune's own in the COG), kept only when a line
    holding just that place goes through ``prepare_line`` without a single issue on those fields.
    """
    from collect.demo import demo_files
    from collect.imports import prepare_lines
    from collect.readers import Table, read_table
    from models.cog import cog, departement_of_insee

    templates: list[Template] = []
    places: list[Place] = []
    columns: dict[str, None] = {}
    today = date.today()
    probes: list[tuple[Place, dict[str, str | None]]] = []
    for path in demo_files():
        territory = path.stem
        items = json.loads(path.read_text(encoding="utf-8"))
        for item in items:
            columns.update(dict.fromkeys(item))
        table = read_table(path)
        for prepared in prepare_lines(table, today=today):
            item = items[prepared.line - 1]
            structure = prepared.structure
            if structure is None:
                continue  # a rejected demo row is no model for synthetic ones
            pivot = structure.pivot or ""
            siret = pivot if len(pivot) == 14 and pivot[:9] != "356000000" else None  # La Poste: another key rule
            templates.append(Template(territory, item, siret))
            commune = cog().current_commune(structure.code_insee) if structure.code_insee else None
            if commune is None or not commune.codes_postaux:
                continue
            postcode = structure.code_postal if structure.code_postal in commune.codes_postaux else commune.codes_postaux[0]
            name_kept = not any(issue.field in ("commune", "code_insee") for issue in prepared.issues)
            place = Place(
                territory=territory,
                departement=departement_of_insee(commune.code),
                commune=item["commune"] if name_kept else commune.nom,
                code_postal=postcode,
                code_insee=commune.code,
                adresse=item["adresse"],
                complement_adresse=item.get("complement_adresse"),
                latitude=structure.latitude,
                longitude=structure.longitude,
            )
            probe = {name: getattr(place, name) for name in PLACE_FIELDS}
            probe = {k: (None if v is None else str(v)) for k, v in probe.items()}
            probe.update(nom=item["nom"], date_maj=str(structure.date_maj))
            probes.append((place, probe))
    probe_columns = [*PLACE_FIELDS, "nom", "date_maj"]
    probe_table = Table("sondes", "csv", probe_columns, [probe for _, probe in probes], list(range(1, len(probes) + 1)))
    checked_by_line = {checked.line: checked for checked in prepare_lines(probe_table, today=today)}
    first_line: dict[tuple, int] = {}
    for line, (place, probe) in enumerate(probes, start=1):
        checked = checked_by_line.get(first_line.setdefault(tuple(sorted(probe.items())), line))
        if checked and checked.structure is not None and not any(i.field in PLACE_ISSUE_FIELDS for i in checked.issues):
            places.append(place)
    for name in PLACE_FIELDS:
        columns.setdefault(name, None)
    return templates, places, list(columns)


def _siret_of(siren: str, nic: str) -> str:
    """The SIRET of ``siren`` and ``nic`` (the establishment's first 4 digits), its check digit added (python-stdnum)."""
    from stdnum import luhn

    return siren + nic + luhn.calc_check_digit(siren + nic)


def _jittered(place: Place, rng: random.Random) -> tuple[float | None, float | None]:
    """The place's coordinates moved by at most JITTER_METRES, still inside its département."""
    from models.normalize import normalize_coordinates

    if place.latitude is None or place.longitude is None:
        return None, None
    for _attempt in range(10):
        dlat = rng.uniform(-1, 1) * JITTER_METRES / METRES_PER_DEGREE
        dlon = rng.uniform(-1, 1) * JITTER_METRES / (METRES_PER_DEGREE * math.cos(math.radians(place.latitude)))
        lat, lon = round(place.latitude + dlat, 6), round(place.longitude + dlon, 6)
        try:
            _, _, repaired = normalize_coordinates(lat, lon, departement=place.departement)
        except ValueError:
            continue
        if repaired is None:
            return lat, lon
    return place.latitude, place.longitude


def _national_phone(phone: str) -> str:
    """``+33590123456`` → ``05 90 12 34 56``; ``+687445728`` → ``44 57 28`` (as people type them)."""
    if phone.startswith("+33") and len(phone) == 12:
        digits = "0" + phone[3:]
        return " ".join(digits[i : i + 2] for i in range(0, 10, 2))
    if phone.startswith("+687") and len(phone) == 10:
        digits = phone[4:]
        return " ".join(digits[i : i + 2] for i in range(0, 6, 2))
    return phone


def _own_contacts(row: dict[str, Any], antenna: int, rng: random.Random) -> None:
    """An antenna's own phone and e-mails (real files repeat few of them: 85–95 % distinct in the ten
    raw hub exports), so that per-text caches do not make a 20 000-line import look cheaper than it is."""
    if row.get("telephone"):
        row["telephone"] = row["telephone"][:-2] + f"{rng.randrange(100):02d}"
    if row.get("courriels"):
        row["courriels"] = "|".join(
            f"{local}-{antenna}@{domain}" for local, _, domain in (e.partition("@") for e in row["courriels"].split("|"))
        )


def _french_date(iso: str) -> str:
    year, month, day = iso[:10].split("-")
    return f"{day}/{month}/{year}"


def _cp1252_text(value: str) -> str:
    """What a cp1252 export keeps of a text: compatibility forms, '?' for the rest (emoji…)."""
    try:
        value.encode("cp1252")
    except UnicodeEncodeError:
        value = unicodedata.normalize("NFKC", value).encode("cp1252", errors="replace").decode("cp1252")
    return value


def synthetic_rows(rows: int = ROWS, seed: int = SEED) -> tuple[list[str], list[dict[str, Any]]]:
    """``rows`` distinct lieux made from the demo ones (same seed, same rows), and the columns."""
    rng = random.Random(seed)
    templates, places, columns = _demo_lieux()
    places_by_territory: dict[str, list[Place]] = {}
    for place in places:
        places_by_territory.setdefault(place.territory, []).append(place)
    usable = [t for t in templates if places_by_territory.get(t.territory)]
    check(bool(usable), "no demo lieu usable as a template")
    note(f"  {len(templates)} demo lieux as templates, {len(places)} clean places in "
         f"{len({p.code_insee for p in places})} communes")

    order = [usable[i % len(usable)] for i in range(rows)]
    rng.shuffle(order)
    copies: Counter[str] = Counter()  # by name: several demo lieux share one ("France Services")
    placed: set[tuple[str, str]] = set()
    sirets: set[str] = set()
    result: list[dict[str, Any]] = []
    messy = 0
    for template in order:
        copies[template.item["nom"]] += 1
        antenna = copies[template.item["nom"]]
        # Two antennas of one name in one commune would be flagged as possible duplicates (rightly):
        # avoid it, so that the rows stay distinct lieux and the duplicate pairs stay realistic.
        candidates = places_by_territory[template.territory]
        place = rng.choice(candidates)
        for _attempt in range(20):
            if (template.item["nom"], place.code_insee) not in placed:
                break
            place = rng.choice(candidates)
        placed.add((template.item["nom"], place.code_insee))
        row = {k: v for k, v in template.item.items() if k not in PLACE_FIELDS}
        row["id"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        row["nom"] = f"{template.item['nom']} — antenne {antenna}"
        if template.siret:  # an antenna is another establishment of the same SIREN: its own SIRET
            siret = template.siret
            while siret in sirets:
                siret = _siret_of(template.siret[:9], f"{rng.randrange(10_000):04d}")
            sirets.add(siret)
            row["pivot"] = siret
        else:
            row["pivot"] = "00000000000000"
        latitude, longitude = _jittered(place, rng)
        _own_contacts(row, antenna, rng)
        row.update(
            commune=place.commune, code_postal=place.code_postal, code_insee=place.code_insee,
            adresse=place.adresse, complement_adresse=place.complement_adresse,
            latitude=latitude, longitude=longitude,
        )
        if rng.random() < MESSY_SHARE:
            messy += 1
            if row.get("telephone"):
                row["telephone"] = _national_phone(row["telephone"])
            if row["code_postal"].startswith("0"):
                row["code_postal"] = row["code_postal"][1:]
            if row.get("date_maj"):
                row["date_maj"] = _french_date(row["date_maj"])
        result.append({
            k: (_cp1252_text(v) if isinstance(v, str) else v) for k, v in row.items() if v not in (None, "")
        })
    note(f"  {messy} messy rows ({messy / rows:.1%})")
    return columns, result


def write_inputs(directory: Path, columns: list[str], rows: list[dict[str, Any]]) -> tuple[Path, Path]:
    """The rows as a French Excel CSV (``;``, cp1252, CRLF) and as a JSON array (UTF-8)."""
    csv_path = directory / "lieux-20000.csv"
    with csv_path.open("w", encoding="cp1252", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, delimiter=";", lineterminator="\r\n", restval="")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: (repr(v) if isinstance(v, float) else v) for k, v in row.items()})
    json_path = directory / "lieux-20000.json"
    json_path.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    return csv_path, json_path


# -- the naive ways ------------------------------------------------------------------------------


def imported_store(path: Path, structures: int):
    """A store at ``path`` holding ``structures`` synthetic structures, imported the normal way."""
    from collect.imports import import_file
    from models.store import Store

    store = Store(path, device="bench")
    store.migrate()
    columns, rows = synthetic_rows(structures)
    csv_path, _ = write_inputs(path.parent, columns, rows)
    report = import_file(store, csv_path)
    check(report.new == structures, f"{report.new} structures imported")
    return store


def naive_row_by_row_insert(source_db: Path, target_db: Path) -> tuple[float, float, int]:
    """Insert the imported (validated) rows again into fresh tables of the same columns.

    Returns (seconds one INSERT per row with ``executemany``, seconds one Arrow batch, rows).
    """
    import duckdb
    import pyarrow as pa

    with duckdb.connect(str(source_db), read_only=True) as source:
        source.execute("SET TimeZone = 'UTC'")
        described = source.execute("DESCRIBE structures").fetchall()
        arrow_rows = source.sql("SELECT * FROM structures").to_arrow_table()
        python_rows = source.execute("SELECT * FROM structures").fetchall()
    ddl = ", ".join(f'"{name}" {kind}' for name, kind, *_ in described)
    placeholders = ", ".join("?" for _ in described)
    with duckdb.connect(str(target_db)) as con:
        con.execute("SET TimeZone = 'UTC'")
        con.execute(f"CREATE TABLE naive ({ddl})")
        con.execute(f"CREATE TABLE batch ({ddl})")
        start = time.perf_counter()
        con.execute("BEGIN TRANSACTION")
        con.executemany(f"INSERT INTO naive VALUES ({placeholders})", python_rows)
        con.execute("COMMIT")
        naive = time.perf_counter() - start
        check(isinstance(arrow_rows, pa.Table), "expected an Arrow table")
        start = time.perf_counter()
        con.execute("BEGIN TRANSACTION")
        con.register("_bench_batch", arrow_rows)
        con.execute("INSERT INTO batch SELECT * FROM _bench_batch")
        con.unregister("_bench_batch")
        con.execute("COMMIT")
        batch = time.perf_counter() - start
        counts = con.execute("SELECT (SELECT count(*) FROM naive), (SELECT count(*) FROM batch)").fetchone()
    check(counts == (len(python_rows), len(python_rows)), f"naive insert wrote {counts}, expected {len(python_rows)}")
    return naive, batch, len(python_rows)


def frictionless_validate(path: Path) -> tuple[bool, int]:
    """frictionless called directly, as its CLI would, on the exported CSV."""
    import frictionless

    from models.standard import SCHEMA_V1_PATH

    with frictionless.system.use_context(trusted=True):
        report = frictionless.validate(str(path), schema=str(SCHEMA_V1_PATH))
    rows = report.tasks[0].stats.get("rows") if report.tasks else 0
    return report.valid, rows or 0


# -- the bench -----------------------------------------------------------------------------------


@contextmanager
def code_at(commit: str, directory: Path) -> Iterator[Path | None]:
    """The project's code at ``commit``, checked out in a git worktree under ``directory`` for the
    time of the block (None when the repository or that commit is not at hand)."""
    import subprocess

    root = Path(__file__).resolve().parents[1]
    tree = directory / f"avant-{commit}"
    added = subprocess.run(["git", "-C", str(root), "worktree", "add", "--detach", "-f", str(tree), commit],
                           capture_output=True, text=True)
    if added.returncode != 0:
        note(f"  code of {commit}: unavailable ({added.stderr.strip()[:200]})")
        yield None
        return
    try:
        yield tree
    finally:
        subprocess.run(["git", "-C", str(root), "worktree", "remove", "--force", str(tree)], capture_output=True)


def _in_a_fresh_process(tree: Path, csv_path: Path, directory: Path, label: str,
                        env: dict[str, str] | None = None) -> dict[str, float] | None:
    """Dry run then import of ``csv_path`` with the code of ``tree``, in a subprocess of its own."""
    import os
    import subprocess

    done = subprocess.run(
        [sys.executable, "-c", _BEFORE_SNIPPET, str(tree), str(csv_path), str(directory / f"{label}-dry.duckdb"),
         str(directory / f"{label}.duckdb")],
        capture_output=True, text=True, cwd=directory, timeout=1800, env={**os.environ, **(env or {})},
    )
    figures = {}
    for line in done.stdout.splitlines():
        name, value, _ = line.split()
        figures[name] = float(value)
    if not figures:
        note(f"  {label}: failed ({done.stderr.strip()[-300:]})")
        return None
    return figures


def before_this_change(csv_path: Path, directory: Path) -> dict[str, float] | None:
    """Dry run and import of ``csv_path`` with the code of BEFORE_COMMIT (a git worktree, a subprocess);
    None when the repository or that commit is not at hand."""
    with code_at(BEFORE_COMMIT, directory) as tree:
        return None if tree is None else _in_a_fresh_process(tree, csv_path, directory, "avant")


def on_one_core(csv_path: Path, directory: Path) -> dict[str, float] | None:
    """Dry run and import of ``csv_path`` with today's code preparing the lines on one core
    (``MAILLAGE_IMPORT_WORKERS=0``), in a fresh process like the code of before."""
    root = Path(__file__).resolve().parents[1]
    return _in_a_fresh_process(root, csv_path, directory, "un-coeur", {"MAILLAGE_IMPORT_WORKERS": "0"})


def _issue_digest(report: Any) -> str:
    counts = Counter(f"{i.severity} {i.field or '(ligne)'}" for i in report.issues)
    return ", ".join(f"{n}× {text}" for text, n in counts.most_common())


def main() -> int:
    import pandas

    from collect.imports import import_file
    from collect.readers import read_table
    from models.store import Store
    from sync.export import export_structures, validate_file

    with tempfile.TemporaryDirectory(prefix="maillage-bench-") as tmp:
        directory = Path(tmp)
        with timed("building the synthetic input") as built:
            columns, rows = synthetic_rows()
            csv_path, json_path = write_inputs(directory, columns, rows)
        check(len(rows) == ROWS, f"generated {len(rows)} rows")
        check(len({r["id"] for r in rows}) == ROWS, "synthetic ids are not unique")
        check(len({r["nom"] for r in rows}) == ROWS, "synthetic names are not unique")
        note(f"  {csv_path.name}: {csv_path.stat().st_size / 1e6:.1f} MB, {json_path.name}: "
             f"{json_path.stat().st_size / 1e6:.1f} MB ({built[0]:.1f} s to build)")
        figure("rows", ROWS, "rows")
        seconds("goal_seconds", GOAL_SECONDS)

        with timed("read_table (CSV)") as read_csv:
            table = read_table(csv_path)
        check(len(table.rows) == ROWS, f"read_table read {len(table.rows)} rows")
        check(table.delimiter == ";", f"delimiter detected: {table.delimiter!r}")
        note(f"  encoding detected: {table.encoding}")
        del table
        seconds("read_csv_seconds", read_csv[0])

        with timed("pandas.read_csv (naive)") as pandas_read:
            frame = pandas.read_csv(csv_path, sep=";", encoding="cp1252", dtype=str)
        check(len(frame) == ROWS, f"pandas read {len(frame)} rows")
        del frame
        seconds("naive_pandas_read_csv_seconds", pandas_read[0])

        with timed("read_table (JSON, for information)"):
            check(len(read_table(json_path).rows) == ROWS, "JSON input does not read back as 20 000 rows")

        dry_store = Store(directory / "dry-run.duckdb")
        dry_store.migrate()
        with timed("dry run") as dry:
            report = import_file(dry_store, csv_path, dry_run=True, progress=progress_to_stderr("dry run"))
        note(f"  {report.summary()}")
        note(f"  issues: {_issue_digest(report)}")
        check(report.rejected == 0, f"dry run rejected {report.rejected} rows: {[str(e) for e in report.errors[:5]]}")
        check(report.new == ROWS, f"dry run found {report.new} new rows")
        check(not report.written, "a dry run wrote something")
        seconds("dry_run_seconds", dry[0])
        rate("dry_run_rows_per_second", ROWS, dry[0])

        store = Store(directory / "maillage.duckdb")
        store.migrate()
        with timed("import") as imported:
            report = import_file(store, csv_path, progress=progress_to_stderr("import"))
        note(f"  {report.summary()}")
        check(report.rejected == 0, f"import rejected {report.rejected} rows: {[str(e) for e in report.errors[:5]]}")
        check(report.new == ROWS and report.written, f"import wrote {report.new} new rows (written={report.written})")
        seconds("import_seconds", imported[0])
        rate("import_rows_per_second", ROWS, imported[0])

        with timed("dry run and import on one core (MAILLAGE_IMPORT_WORKERS=0), fresh process, same file"):
            alone = on_one_core(csv_path, directory)
        if alone:
            seconds("one_core_dry_run_seconds", alone["dry"])
            seconds("one_core_import_seconds", alone["import"])

        with timed(f"dry run and import with the code of {BEFORE_COMMIT} (before issue 16), same file"):
            before = before_this_change(csv_path, directory)
        if before:
            seconds("before_issue16_dry_run_seconds", before["dry"])
            seconds("before_issue16_import_seconds", before["import"])

        with timed("re-import of the same file") as reimported:
            report = import_file(store, csv_path)
        note(f"  {report.summary()}")
        check(report.unchanged == ROWS, f"re-import: {report.unchanged} unchanged, expected {ROWS}")
        check(report.new == 0 and report.updated == 0 and report.rejected == 0,
              f"re-import: {report.new} new, {report.updated} updated, {report.rejected} rejected")
        seconds("reimport_unchanged_seconds", reimported[0])
        del report

        export_csv = directory / "export.csv"
        with timed("export CSV") as exported_csv:
            result = export_structures(store, export_csv, format="csv")
        check(result.count == ROWS, f"CSV export holds {result.count} rows")
        with export_csv.open(encoding="utf-8", newline="") as handle:
            check(sum(1 for _ in csv.DictReader(handle)) == ROWS, "the exported CSV does not read back as 20 000 rows")
        seconds("export_csv_seconds", exported_csv[0])
        rate("export_csv_rows_per_second", ROWS, exported_csv[0])

        export_json = directory / "export.json"
        with timed("export JSON") as exported_json:
            result = export_structures(store, export_json, format="json")
        check(result.count == ROWS, f"JSON export holds {result.count} rows")
        check(len(json.loads(export_json.read_text(encoding="utf-8"))) == ROWS, "the JSON export is not 20 000 objects")
        seconds("export_json_seconds", exported_json[0])

        with timed("validate_file (export CSV)") as validated:
            validation = validate_file(export_csv)
        note(f"  {validation.summary()}")
        check(validation.rows == ROWS, f"validate_file saw {validation.rows} rows")
        check(not validation.errors, f"validate_file: {len(validation.errors)} errors, e.g. {validation.errors[:3]}")
        seconds("validate_export_seconds", validated[0])

        with timed("frictionless.validate directly (export CSV)") as direct:
            valid, checked = frictionless_validate(export_csv)
        check(valid and checked == ROWS, f"frictionless: valid={valid}, rows={checked}")
        seconds("frictionless_validate_seconds", direct[0])

        with timed("one INSERT per row (executemany) vs one Arrow batch, fresh tables"):
            naive, batch, inserted = naive_row_by_row_insert(store.path, directory / "naive.duckdb")
        check(inserted == ROWS, f"naive insert read {inserted} rows from the store")
        note(f"  same {inserted} rows through one Arrow batch into the same fresh table: {batch:.2f} s")
        seconds("naive_row_by_row_insert_seconds", naive)

        # tracemalloc slows Python down several times: the import is traced on its own, untimed, into
        # another fresh store. It sees Python's allocations only (not DuckDB's or Arrow's own memory).
        traced_store = Store(directory / "traced.duckdb")
        traced_store.migrate()
        with timed("import again under tracemalloc (untimed)"):
            tracemalloc.start()
            try:
                report = import_file(traced_store, csv_path)
                _, traced_peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
        check(report.new == ROWS and report.rejected == 0, f"traced import: {report.summary()}")
        figure("import_tracemalloc_peak_mb", f"{traced_peak / 2**20:.1f}", "MB")

    # Linux reports ru_maxrss in KiB.
    figure("peak_memory_mb", f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f}", "MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
