"""Fuzzing every structure import format: whatever the file, a French answer and an intact store.

Each format the product accepts is fed random and near-valid content: CSV (random bytes, every
encoding and separator, quotes, BOM, huge fields, odd headers, and structurally valid files whose
cells hold random phones, e-mails, SIRET, coordinates, opening hours, dates, lists…), .xlsx built
with openpyxl (random cells, types and sheets) and corrupt archives, JSON (random documents and
near-valid documents of the national standard), and column mapping files (YAML and CSV).

The properties, for every example:
- nothing but a ``MaillageError`` escapes, and its message is French and names the file; an
  import report's issues are French and say file, line and field;
- a rejected import (an unreadable file, a bad mapping, all-or-nothing with a rejected line, a
  dry run, every line rejected) leaves every table of the store exactly as it was;
- what an accepted import stores is what the line validated to: each new structure equals the
  structure its line was prepared into, and its open version equals the current row.

Every example starts from its own copy of one template store (``StoreFactory``); hypothesis is
derandomised so CI runs the same examples every time.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collect.columns import SYNONYMS, TARGET_FIELDS, load_mapping_file
from collect.demo import DEMO_DIR
from collect.imports import ImportReport, import_bytes, occurrence_key, prepare_lines
from collect.readers import read_table_bytes
from models.errors import ImportRejected, MaillageError, NotATable
from models.normalize import clean_text
from models.standard import standard_v1
from models.structure import Structure, data_fields, enumerated_fields
from models.typologies import typologies
from tests.reliability.storecheck import (
    StoreFactory,
    assert_french,
    damaged,
    dump_difference,
    examples,
    note,
    store_dump,
    workbook_bytes,
)

ROOT = Path(__file__).resolve().parents[2]
DEMO = sorted(DEMO_DIR.glob("*.json"))
TODAY = dt.date(2026, 3, 2)

FUZZ = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)

# A structure exported by Maillage keeps its id elsewhere: a UUID in the file is the structure's id.
KNOWN_UUID = "0193a1c2-7d4e-7f00-8a1b-3c4d5e6f7a8b"
NEW_UUID = "0193a1c2-7d4e-7f00-8a1b-3c4d5e6f7a8c"
SEED_CSV = (
    "id;nom;adresse;code_postal;commune;telephone;date_maj\n"
    "L1;Médiathèque;1 rue Haute;16100;Cognac;05 45 00 00 01;2024-01-01\n"
    "L2;CCAS des Abymes;Rue Achille René-Boisneuf;97139;Les Abymes;0590 12 34 56;2025-06-01\n"
    "L3;Espace numérique;allée des Justes;16100;Châteaubernard;;2024-04-02\n"
    f"{KNOWN_UUID};Tiers-lieu;2 place du Champ de Mars;16000;Angoulême;;2024-05-05\n"
)


def _seed(store) -> None:
    report = import_bytes(store, SEED_CSV.encode(), "amorce.csv", today=TODAY)
    assert (report.new, report.rejected) == (4, 0), report.issues


@pytest.fixture(scope="module")
def factory(tmp_path_factory: pytest.TempPathFactory) -> StoreFactory:
    """A store holding four imported structures (ids L1–L3 and a UUID, so fuzzed lines can update them)."""
    return StoreFactory(tmp_path_factory.mktemp("fuzz-imports"), seed=_seed)


# -- checks -------------------------------------------------------------------------------------

ISSUE_FIELDS = {*TARGET_FIELDS, *Structure.model_fields, None}


def _line_values(data: bytes, name: str, sheet: str | None) -> tuple[dict[int, list[str]], set[int]]:
    """Each line's cell texts (raw and cleaned) and the line numbers, to read the report against."""
    table = read_table_bytes(data, name, sheet=sheet)
    values: dict[int, list[str]] = {}
    for row, line in zip(table.rows, table.line_numbers, strict=True):
        texts = [text for cell in row.values() if cell for text in (cell, clean_text(cell) or "")]
        values[line] = texts + list(table.columns)
    return values, set(table.line_numbers)


def check_report(report: ImportReport, data: bytes, name: str, sheet: str | None) -> None:
    """Every issue is French and says where: the file, a line of the file (none for what concerns the
    whole file, said once), a field."""
    cells, lines = _line_values(data, name, sheet)
    assert report.file == name
    assert report.rows_read == report.new + report.updated + report.unchanged + report.identical + report.rejected
    for issue in report.issues:
        assert issue.file == name
        assert issue.severity in ("erreur", "avertissement")
        assert issue.line in lines or issue.line is None or issue.line <= min(lines, default=1), issue  # header
        assert issue.line is not None or issue.severity == "avertissement", issue
        assert issue.field in ISSUE_FIELDS, issue
        text = str(issue)
        assert text.startswith(f"{name}, ligne {issue.line}" if issue.line is not None else f"{name}")
        if issue.field:
            assert f"champ {issue.field}" in text
        assert_french(issue.message, quoted=(name, issue.value or "", *cells.get(issue.line or 0, ())))
    assert_french(report.summary(), quoted=(name,))


def check_store_consistent(store) -> None:
    """Every live structure is valid for the model, and its open version is the current row."""
    columns = ", ".join(f'"{name}"' for name in data_fields())  # the model's own field names
    current_sql = "SELECT id, " + columns + " FROM structures WHERE deleted_at IS NULL"
    versions_sql = ("SELECT structure_id, " + columns + " FROM structure_versions"
                    " WHERE valid_to IS NULL AND NOT deleted")
    with store.connect() as con:
        current = {row[0]: row[1:] for row in con.execute(current_sql).fetchall()}
        versions = {row[0]: row[1:] for row in con.execute(versions_sql).fetchall()}
    assert versions == current
    for structure_id, row in current.items():
        values = {name: value for name, value in zip(data_fields(), row, strict=True) if value is not None}
        Structure.model_validate({"id": structure_id, **values})


def run_import(factory: StoreFactory, data: bytes, name: str, *, sheet: str | None = None,
               mapping: Any = None, all_or_nothing: bool = False, dry_run: bool = False,
               round_trip: bool = False) -> ImportReport | None:
    """Import ``data`` into a fresh copy of the template and check every property; the report,
    or None when the import was refused (with a French error, the store left unchanged)."""
    with factory.fresh() as store:
        try:
            report = import_bytes(store, data, name, sheet=sheet, mapping=mapping, all_or_nothing=all_or_nothing,
                                  dry_run=dry_run, today=TODAY)
        except MaillageError as error:
            message = str(error)
            if isinstance(mapping, Mapping):  # overrides chosen on the page: the message names them
                assert name in message or message.startswith("Correspondance des colonnes, colonne « "), message
            elif mapping is None:
                assert name in message, message
            assert_french(message, quoted=(name, str(mapping or "")))
            if isinstance(error, ImportRejected):
                assert all_or_nothing
            after = store_dump(store)
            assert after == factory.dump, dump_difference(factory.dump, after)
            note(f"refusé : {type(error).__name__}")
            return None
        note("écrit" if report.written else "rien d'écrit")
        note(f"lignes nouvelles ou mises à jour : {'oui' if report.new or report.updated else 'non'}")
        check_report(report, data, name, sheet)
        assert dry_run or not (all_or_nothing and report.rejected)  # a dry run reports, it never raises
        after = store_dump(store)
        if dry_run or not (report.written or report.unchanged):
            assert not report.written
            assert after == factory.dump, dump_difference(factory.dump, after)
        if report.written:
            check_store_consistent(store)
        if round_trip:
            check_round_trip(store, report, data, name, sheet, mapping)
        return report


def check_round_trip(store, report: ImportReport, data: bytes, name: str, sheet: str | None, mapping: Any) -> None:
    """Each new structure is stored exactly as its line was validated (values, set-aside values,
    extra columns), and the store holds as many new structures as the report says."""
    if not report.written:
        return
    table = read_table_bytes(data, name, sheet=sheet)
    overrides = load_mapping_file(mapping) if isinstance(mapping, (str, Path)) else dict(mapping or {})
    prepared = {}
    occurrences: dict[str, int] = {}
    for result in prepare_lines(table, overrides=overrides, today=TODAY):
        if result.structure is not None:
            prepared[occurrence_key(result.import_key, occurrences)] = result
    created = {row["structure_id"] for row in store.query(
        "SELECT structure_id FROM structure_versions GROUP BY structure_id"
        " HAVING count(*) = 1 AND bool_and(import_run_id IS NOT DISTINCT FROM ?)", [report.import_run_id])}
    assert len(created) == report.new
    for row in store.query("SELECT * FROM structures"):
        if row["id"] not in created:
            continue
        line = prepared[row["import_key"]]
        expected = line.structure.model_dump(exclude={"id"})
        stored = {field: row[field] for field in expected}
        for field, value in expected.items():
            if isinstance(value, list):
                stored[field] = list(stored[field] or [])
        assert stored == expected, f"ligne {line.line}"
        assert json.loads(row["valeurs_ecartees"] or "null") == (line.set_aside or None)
        assert json.loads(row["donnees_source"] or "null") == (line.donnees_source or None)
        assert row["source_id"] == line.source_id


# -- value strategies ---------------------------------------------------------------------------

# Text that may hold anything a file can: accents, odd spaces, quotes, separators, formulas.
ANY_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)) | st.sampled_from(';,|\t"\'\n\r =+-@«»\u00a0'),
    max_size=40,
)
TRICKY = st.sampled_from([
    "", " ", "-", "?", "NC", "n/a", "NULL", "#N/A", "#VALEUR!", "=1+1", "=HYPERLINK(\"http://evil\",\"x\")",
    "=cmd|' /C calc'!A0", "+33", "@SUM(1)", "\t=1", "0", "00000", "1e400", "NaN", "-Infinity", "\u200b", "\ufeff",
    "x" * 5000, "é" * 300, "'); DROP TABLE structures; --", "' OR 1=1 --", "\\", "\u202e\u0645",
])


def texts(*samples: str, regex: str | None = None) -> st.SearchStrategy[str]:
    """Realistic values of a field, well-formed or slightly off, mixed with tricky and random text."""
    options = [st.sampled_from(samples)] if samples else []
    if regex:
        options.append(st.from_regex(regex, fullmatch=True))
    return st.one_of(*options, TRICKY, ANY_TEXT)


COMMUNES = [("Cognac", "16100", "16102"), ("Châteaubernard", "16100", "16089"), ("Les Abymes", "97139", "97101"),
            ("Bourg-en-Bresse", "01000", "01053"), ("Angoulême", "16000", "16015"), ("Nouméa", "98800", "98818"),
            ("Ajaccio", "20000", "2A004"), ("Mamoudzou", "97600", "97611"), ("Marseille", "13001", "13055"),
            ("Papeete", "98714", "98735")]


def list_cell(choices: tuple[str, ...] | list[str]) -> st.SearchStrategy[str]:
    items = st.lists(st.one_of(st.sampled_from(list(choices)), ANY_TEXT, st.sampled_from(["", "  "])), max_size=4)
    return st.tuples(items, st.sampled_from(["|", ";", " | ", ",", "\n"])).map(lambda t: t[1].join(t[0]))


FIELD_VALUES: dict[str, st.SearchStrategy[str]] = {
    "id": texts("L1", "L2", "L9", KNOWN_UUID, KNOWN_UUID.upper(), KNOWN_UUID.replace("-", ""), NEW_UUID,
                NEW_UUID.upper(), "dora-3d647b3a", regex=r"[A-Za-z0-9\-]{0,12}"),
    "pivot": texts("21010053300004", "434 933 123 00029", "00000000000000", "W123456789", "1234567.001",
                   "12345678901234", "434933123", "0", regex=r"[0-9 .]{0,17}"),
    "nom": texts("Médiathèque", "CCAS de Cognac", "Espace France Services", "L'« atelier »"),
    "commune": st.one_of(st.sampled_from([c[0] for c in COMMUNES]), texts("COGNAC", "St Pierre", "Paris 15e")),
    "code_postal": st.one_of(st.sampled_from([c[1] for c in COMMUNES]), texts("1000", "16 100", "16100.0", "1.6E+4",
                                                                               regex=r"[0-9AB ]{0,6}")),
    "code_insee": st.one_of(st.sampled_from([c[2] for c in COMMUNES]), texts("1053", "2a004", "99999",
                                                                              regex=r"[0-9AB]{0,6}")),
    "adresse": texts("1 rue Haute", "12, rue de la Paix; bât. B", "BP 12 16100 Cognac", 'Dit "le Hangar"\n2e étage'),
    "complement_adresse": texts("bât. B", "2e étage"),
    "latitude": texts("45.6958", "45,6958", "16.265", "6522000", "45°41'N", "-21.1", "1e308", "0", "91",
                      regex=r"-?[0-9]{1,7}([.,][0-9]{0,8})?"),
    "longitude": texts("-0.3287", "-0,3287", "-61.5331", "469000", "0°19'W", "166.45", "-181", "0",
                       regex=r"-?[0-9]{1,7}([.,][0-9]{0,8})?"),
    "typologie": list_cell(sorted(typologies())),
    "telephone": texts("05 45 00 00 01", "+33 5 45 82 43 51", "0590123456", "590123456", "3949", "+687 40 12 34",
                       "05.45.00.00.01 / 06 12 34 56 78", "0033545000001", "+33 (0)5 45 00 00 01", "545000001.0",
                       regex=r"\+?[0-9 .\-()/]{0,22}"),
    "courriels": texts("a@b.fr", "contact@ville.fr; accueil@ville.fr", "mailto:x@y.nc", "pas-un-mail", "a@b",
                       "<x@y.fr>", regex=r"[a-z0-9._%+\-]{0,8}@[a-z0-9.\-]{0,8}(\.[a-z]{0,4})?"),
    "site_web": texts("www.ville.fr", "https://x.fr/a?b=c", "http://", "ftp://x.fr", "javascript:alert(1)",
                      "a.fr b.fr", regex=r"(https?://)?[a-z0-9.\-]{0,12}(/[a-z]{0,5})?"),
    "horaires": texts("Mo-Fr 09:00-12:00,14:00-17:00; Sa 09:00-12:00", "24/7", "Mo 25:00-26:00", "lundi 9h-12h",
                      "Mo-Fr 08:00-12:00 off", "PH off", "Tu-Th 09:00-17:00 \"sur rendez-vous\""),
    "presentation_resume": st.one_of(texts("Accueil et ateliers"), st.text(max_size=400)),
    "presentation_detail": texts("Un lieu\nsur deux lignes"),
    "source": texts("dora", "hub-du-sud", "Conseiller Numérique"),
    "itinerance": texts("Oui", "Non", "Fixe", "Itinérant", "x", "Fixe|Itinérant"),
    "structure_parente": texts("Mairie de Cognac"),
    "date_maj": texts("2024-01-01", "02/04/2024", "2024-02-30", "31/12/24", "45384", "45384,5", "20240102",
                      "1899-12-31", "10000-01-01", "2024-01-01T10:00:00+02:00",
                      regex=r"[0-9]{1,4}[-/.][0-9]{1,2}[-/.][0-9]{1,4}"),
    "autres_formations_labels": texts("SudLabs|APTIC"),
    "fiche_acces_libre": texts("https://acceslibre.beta.gouv.fr/app/x", "acceslibre"),
    "prise_rdv": texts("https://rdv.fr", "rdv.fr/x"),
    "contact_nom": texts("Jeanne Martin"),
    "contact_telephone": texts("06 12 34 56 78", "+33612345678"),
    "contact_courriel": texts("jeanne@ville.fr"),
    "publics_accueillis": list_cell(["Seniors (+ 65 ans)", "Adultes", "Surdité", "Familles/enfants"]),
    "conditions_acces": list_cell(["Gratuit", "Payant", "Adhésion", "Accepte le Pass numérique"]),
    "labels_nationaux": list_cell(["France Services", "APTIC", "Point Numérique CAF"]),
    "cle_ban": texts("16102_0010_00001"),
}
for _field in enumerated_fields():
    _choices = list_cell(standard_v1().choices(_field))
    FIELD_VALUES[_field] = st.one_of(_choices, FIELD_VALUES[_field]) if _field in FIELD_VALUES else _choices
assert set(FIELD_VALUES) == set(TARGET_FIELDS)


def header_of(field: str) -> st.SearchStrategy[str]:
    """How a file may name a field: its own name, a synonym, with capitals, accents, spaces or a BOM."""
    spellings = [field, *SYNONYMS.get(field, ())]
    base = st.sampled_from(spellings)
    return st.one_of(base, base.map(str.upper), base.map(lambda s: " " + s.replace("_", " ").title() + " "),
                     base.map(lambda s: "\ufeff" + s))


CORE = ("nom", "adresse", "code_postal", "commune")


@st.composite
def standard_rows(draw) -> tuple[list[str], list[list[str]]]:
    """A header naming fields of the standard (the four needed ones most often) and rows of values."""
    others = draw(st.lists(st.sampled_from([f for f in TARGET_FIELDS if f not in CORE]), max_size=8, unique=True))
    core = [f for f in CORE if draw(st.integers(0, 9)) > 0]
    fields = draw(st.permutations(core + others))
    header = [draw(header_of(field)) for field in fields]
    if draw(st.booleans()):
        header.append(draw(st.sampled_from(["Commentaire interne", "", "nom", "colonne sans nom", "Téléphone"])))
    rows = []
    for _ in range(draw(st.integers(1, 5))):
        place = draw(st.sampled_from(COMMUNES))
        row = []
        for field in fields:
            use_place = field in ("commune", "code_postal", "code_insee") and draw(st.integers(0, 3)) > 0
            if use_place:
                row.append(place[("commune", "code_postal", "code_insee").index(field)])
            else:
                row.append(draw(FIELD_VALUES[field]))
        row += [draw(ANY_TEXT) for _ in header[len(fields):]]
        if draw(st.integers(0, 9)) == 0:
            row = row[: draw(st.integers(0, len(row)))] if draw(st.booleans()) else row + [draw(ANY_TEXT)]
        rows.append(row)
    return header, rows


ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16", "utf-16-be"])


def encoded(text: str, encoding: str) -> bytes:
    if encoding == "utf-16-be":  # big-endian, as some Mac exports: with its BOM
        return codecs.BOM_UTF16_BE + text.encode(encoding, errors="replace")
    return text.encode(encoding, errors="replace")


def csv_text(header: list[str], rows: list[list[str]], delimiter: str, quoting: int, terminator: str) -> str:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter, quoting=quoting, lineterminator=terminator).writerows([header, *rows])
    return buffer.getvalue()


QUOTING = st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC])
DELIMITERS = st.sampled_from([";", ",", "\t", "|"])
TERMINATORS = st.sampled_from(["\r\n", "\n", "\r"])


# -- CSV ------------------------------------------------------------------------------------------

NAMES = st.sampled_from(["lieux.csv", "export.CSV", "données lieux.txt", "lieux.xlsx", "lieux.json", "sans-extension"])
PREFIXES = st.sampled_from([b"", codecs.BOM_UTF8, codecs.BOM_UTF16_LE, b"nom;adresse;code_postal;commune\n", b'"',
                            b"PK\x03\x04", b"[", b"{", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"])


@settings(FUZZ, max_examples=examples(30))
@given(prefix=PREFIXES, body=st.binary(max_size=400), name=NAMES, all_or_nothing=st.booleans())
def test_random_bytes_give_a_french_answer_and_leave_the_store_unchanged(factory, prefix, body, name, all_or_nothing):
    run_import(factory, prefix + body, name, all_or_nothing=all_or_nothing)


HEADER_NAMES = st.one_of(st.sampled_from(TARGET_FIELDS), ANY_TEXT, st.sampled_from(["", " ", "nom", "NOM", "Nom ",
                                                                                       "\ufeffnom", "a" * 300]))


@settings(FUZZ, max_examples=examples(35))
@given(
    header=st.lists(HEADER_NAMES, min_size=1, max_size=7),
    rows=st.lists(st.lists(st.one_of(ANY_TEXT, TRICKY), max_size=8), max_size=5),
    delimiter=DELIMITERS, quoting=QUOTING, terminator=TERMINATORS, encoding=ENCODINGS,
    broken=st.booleans(), bom=st.booleans(), huge=st.booleans(), all_or_nothing=st.booleans(), dry_run=st.booleans(),
)
def test_any_csv_text_gives_a_french_answer_and_rejections_change_nothing(
    factory, header, rows, delimiter, quoting, terminator, encoding, broken, bom, huge, all_or_nothing, dry_run
):
    if huge and rows and rows[0]:
        rows[0][0] = "Médiathèque " * 20_000  # a 240 000-character cell
    if broken:  # joined by hand: quotes and separators inside cells are not escaped
        text = terminator.join(delimiter.join(cells) for cells in [header, *rows])
    else:
        text = csv_text(header, rows, delimiter, quoting, terminator)
    data = encoded(text, encoding)
    if bom and encoding in ("utf-8", "cp1252", "latin-1"):
        data = codecs.BOM_UTF8 + data
    run_import(factory, data, "lieux.csv", all_or_nothing=all_or_nothing, dry_run=dry_run)


@settings(FUZZ, max_examples=examples(50))
@given(table=standard_rows(), delimiter=DELIMITERS, quoting=QUOTING, encoding=ENCODINGS,
       all_or_nothing=st.booleans())
def test_csv_in_the_standards_columns_with_random_values_round_trips_what_it_accepts(
    factory, table, delimiter, quoting, encoding, all_or_nothing
):
    header, rows = table
    data = encoded(csv_text(header, rows, delimiter, quoting, "\r\n"), encoding)
    run_import(factory, data, "lieux.csv", all_or_nothing=all_or_nothing, round_trip=True)


@pytest.mark.parametrize(
    ("case", "data"),
    [
        ("cellule de 17 Mo", b"nom;adresse\n" + b"a" * 17_000_000 + b";x\n"),
        ("cellule entre guillemets de 17 Mo", b'nom;adresse\n"' + b"a" * 17_000_000 + b'";x\n'),
        ("guillemet jamais refermé",
         b'nom;adresse;code_postal;commune\n"Mairie;1 rue;16100;Cognac\nB;2;16100;Cognac\n'),
        ("seulement un BOM et des blancs", codecs.BOM_UTF8 + b" \r\n\t"),
        ("UTF-16 sans BOM", "nom;adresse\nA;B\n".encode("utf-16-le")),
        ("UTF-16 tronqué", codecs.BOM_UTF16_LE + "nom;adresse\nA;B\n".encode("utf-16-le")[:-1]),
        ("en-têtes seulement", b"nom;adresse;code_postal;commune\r\n"),
        ("200 000 colonnes vides", b"nom" + b";" * 200_000 + b"\nA\n"),
        ("50 000 colonnes du même nom", b"nom;" * 50_000 + b"\nA\n"),
        ("caractères de contrôle", b"nom;adresse\n\x01\x02\x03;\x04\x05\x06\x07\x08\x0e\x0f\x10\x11\n"),
        ("retours chariot seuls", b"nom;adresse;code_postal;commune\rMairie;1 rue;16100;Cognac\r"),
        ("séparateur dans toutes les cellules", b'"a;b";"c;d"\n"e;f";"g;h"\n'),
        ("mélange utf-8 et cp1252", "nom;adresse;code_postal;commune\nMédiathèque;1 rue;16100;Cognac\n".encode()
         + "École;2 rue;16100;Cognac\n".encode("cp1252")),
        ("nul au milieu", b"nom;adresse\nA\x00;B\n"),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_hostile_csv_files_give_a_french_answer(factory, case, data):
    run_import(factory, data, "lieux.csv")
    run_import(factory, data, "lieux.csv", all_or_nothing=True)


@pytest.mark.parametrize("first", [KNOWN_UUID, NEW_UUID])
@pytest.mark.parametrize("spelling", [str, str.upper, lambda text: text.replace("-", "")])
def test_two_lines_naming_one_structure_by_its_uuid_keep_both_the_first_with_the_id(factory, first, spelling):
    data = (
        "id;source;nom;adresse;code_postal;commune;date_maj\n"
        f"{first};a;Premier;1 rue;16100;Cognac;2024-01-01\n"
        f"{spelling(first)};b;Second;2 rue;16100;Cognac;2024-01-01\n"
    ).encode()
    report = run_import(factory, data, "lieux.csv", round_trip=True)
    assert report is not None and (report.new + report.updated, report.rejected) == (2, 0)  # no line ignored
    (pair,) = [p for p in report.duplicate_pairs if "même identifiant" in p.reason]
    assert pair.other_id == first and pair.reason == "même identifiant que la ligne 2 du fichier"
    with factory.fresh() as store:
        import_bytes(store, data, "lieux.csv", today=TODAY)
        assert store.query("SELECT nom FROM structures WHERE id = ?", [first]) == [{"nom": "Premier"}]
        assert store.query("SELECT count(*) AS n FROM structures WHERE nom = 'Second' AND id <> ?", [first]) == [{"n": 1}]
        assert store.query("SELECT count(*) AS n FROM structures WHERE lower(id) <> id") == [{"n": 0}]


def test_a_cell_beyond_the_csv_limit_and_a_too_deep_json_say_where_in_french():
    with pytest.raises(NotATable) as caught:
        read_table_bytes(b"nom;adresse\nA;B\n" + b"a" * 17_000_000 + b";x\n", "lieux.csv")
    assert caught.value.reason.startswith("ligne 3 : une cellule dépasse 16 millions de caractères")
    # Too deep for the parser or, a little less deep, for reading the values (where the limit falls
    # depends on the stack already in use): a French reason either way, never « RecursionError ».
    with pytest.raises(NotATable) as caught:
        read_table_bytes(b'[{"nom": "A"}, {"services": ' + b"[" * 900 + b"]" * 900 + b"}]", "lieux.json")
    assert caught.value.reason in (
        "JSON illisible : l'élément n°2, clé « services », a des valeurs imbriquées trop profondément",
        "JSON illisible (trop imbriqué ou nombre trop long)",
    )


def test_an_all_or_nothing_import_with_one_bad_line_among_good_ones_writes_nothing(factory):
    data = (SEED_CSV.replace("L1;Médiathèque", "L1;Médiathèque municipale") + "L4;;1 rue;16100;Cognac;;\n").encode()
    with factory.fresh() as store:
        with pytest.raises(ImportRejected) as caught:
            import_bytes(store, data, "lieux.csv", all_or_nothing=True, today=TODAY)
        assert_french(str(caught.value), quoted=("lieux.csv",))
        assert store_dump(store) == factory.dump
    report = run_import(factory, data, "lieux.csv")
    assert report is not None and (report.updated, report.rejected) == (1, 1)


# -- XLSX -----------------------------------------------------------------------------------------

XLSX_ILLEGAL = set(range(0x00, 0x09)) | {0x0B, 0x0C} | set(range(0x0E, 0x20))
XLSX_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",),
                                           exclude_characters="".join(map(chr, XLSX_ILLEGAL))), max_size=30)
CELL_VALUES = st.one_of(
    st.none(), XLSX_TEXT, st.integers(-(2**53), 2**53), st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(), st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(9999, 1, 1)),
    st.dates(min_value=dt.date(1900, 3, 1)), st.times(), st.sampled_from(["=1+1", "=A1", "=HYPERLINK(\"x\")", "#N/A"]),
)
SHEET_TITLES = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"),
                                              exclude_characters="[]:*?/\\'"), min_size=1, max_size=31)
NUMBER_FORMATS = st.sampled_from(["General", "00000", "0# ## ## ## ##", "0.00", "dd/mm/yyyy", "@", "0%"])


@st.composite
def workbooks(draw) -> tuple[bytes, str | None]:
    """An .xlsx of random sheets: maybe the standard's header on top, then cells of every type."""
    workbook = openpyxl.Workbook()
    titles = draw(st.lists(SHEET_TITLES, min_size=1, max_size=3, unique_by=str.casefold))
    workbook.active.title = titles[0]
    for title in titles[1:]:
        workbook.create_sheet(title)
    for worksheet in workbook.worksheets:
        start = draw(st.integers(1, 3))
        if draw(st.booleans()):
            header, rows = draw(standard_rows())
            rows = [[cell if draw(st.integers(0, 3)) else draw(CELL_VALUES) for cell in row] for row in rows]
            grid = [header, *rows]
        else:
            grid = draw(st.lists(st.lists(CELL_VALUES, max_size=6), max_size=5))
        for r, values in enumerate(grid, start=start):
            for c, value in enumerate(values, start=1):
                if isinstance(value, str) and any(ord(ch) in XLSX_ILLEGAL for ch in value):
                    value = value.translate({code: " " for code in XLSX_ILLEGAL})
                cell = worksheet.cell(row=r, column=c, value=value)
                if isinstance(value, (int, float)) and draw(st.integers(0, 3)) == 0:
                    cell.number_format = draw(NUMBER_FORMATS)
    buffer = io.BytesIO()
    workbook.save(buffer)
    sheet = draw(st.one_of(st.none(), st.sampled_from(titles), SHEET_TITLES, st.sampled_from(titles).map(str.upper)))
    return buffer.getvalue(), sheet


@settings(FUZZ, max_examples=examples(25))
@given(book=workbooks(), all_or_nothing=st.booleans())
def test_random_workbooks_give_a_french_answer_and_round_trip_what_they_accept(factory, book, all_or_nothing):
    data, sheet = book
    run_import(factory, data, "lieux.xlsx", sheet=sheet, all_or_nothing=all_or_nothing, round_trip=True)


VALID_XLSX = workbook_bytes({"Lieux": [["nom", "adresse", "code_postal", "commune"],
                                       ["Mairie", "1 rue", "16100", "Cognac"]]})


@settings(FUZZ, max_examples=examples(20))
@given(data=damaged(VALID_XLSX))
def test_corrupt_workbooks_give_a_french_answer_and_leave_the_store_unchanged(factory, data):
    run_import(factory, data, "lieux.xlsx")


# -- JSON -----------------------------------------------------------------------------------------

JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), ANY_TEXT, TRICKY)
JSON_VALUES = st.recursive(JSON_SCALARS, lambda children: st.one_of(
    st.lists(children, max_size=4), st.dictionaries(ANY_TEXT, children, max_size=4)), max_leaves=12)


@settings(FUZZ, max_examples=examples(25))
@given(document=JSON_VALUES, wrap=st.sampled_from(["tel quel", "liste", "objet", "geojson"]),
       ensure_ascii=st.booleans(), cut=st.one_of(st.none(), st.integers(0, 200)))
def test_random_json_documents_give_a_french_answer(factory, document, wrap, ensure_ascii, cut):
    if wrap == "liste":
        document = [document]
    elif wrap == "objet":
        document = {"lieux": document}
    elif wrap == "geojson":
        document = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": document,
                                                              "geometry": {"type": "Point", "coordinates": document}}]}
    text = json.dumps(document, ensure_ascii=ensure_ascii)
    if cut is not None:
        text = text[:cut]
    run_import(factory, text.encode(), "lieux.json")


DEMO_RECORDS = [record for path in DEMO for record in json.loads(path.read_text())[:4]]


@st.composite
def near_standard_documents(draw) -> list[dict[str, Any]]:
    """Records of the national open-data files, each slightly damaged: a key dropped, a value of
    another type, a random value in a standard field, an unknown key."""
    records = [dict(record) for record in draw(st.lists(st.sampled_from(DEMO_RECORDS), min_size=1, max_size=5))]
    for record in records:
        for _ in range(draw(st.integers(0, 4))):
            how = draw(st.integers(0, 4))
            if how == 0 and record:
                del record[draw(st.sampled_from(sorted(record)))]
            elif how == 1:
                field = draw(st.sampled_from(TARGET_FIELDS))
                record[field] = draw(FIELD_VALUES[field])
            elif how == 2:
                field = draw(st.sampled_from(sorted(record) or ["nom"]))
                record[field] = draw(JSON_VALUES)
            elif how == 3:
                record[draw(ANY_TEXT)] = draw(JSON_SCALARS)
            else:
                field = draw(st.sampled_from(["latitude", "longitude"]))
                record[field] = draw(st.one_of(st.floats(), st.integers(), FIELD_VALUES[field]))
    return records


@settings(FUZZ, max_examples=examples(35))
@given(records=near_standard_documents(), as_geojson=st.booleans(), all_or_nothing=st.booleans())
def test_near_valid_standard_json_round_trips_what_it_accepts(factory, records, as_geojson, all_or_nothing):
    document: Any = records
    if as_geojson:
        document = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": r} for r in records]}
    data = json.dumps(document, ensure_ascii=False, allow_nan=True).encode()
    run_import(factory, data, "lieux.json", all_or_nothing=all_or_nothing, round_trip=True)


@pytest.mark.parametrize(
    ("case", "data"),
    [
        ("imbrication profonde", b'[{"nom": ' + b"[" * 900 + b"]" * 900 + b"}]"),
        ("imbrication très profonde", b'[{"nom": ' + b"[" * 100_000 + b"]" * 100_000 + b"}]"),
        ("objet profond", b'[{"nom": ' + b'{"a":' * 900 + b"1" + b"}" * 900 + b"}]"),
        ("entier de 5000 chiffres", b'[{"nom": ' + b"9" * 5000 + b"}]"),
        ("NaN et infinis", b'[{"nom": NaN, "latitude": Infinity, "longitude": -Infinity, "adresse": 1e400}]'),
        ("clés vides ou en double", b'[{"": "x", " ": "y", "nom": "A", "nom": "B", "NOM": "C"}]'),
        ("coordonnées GeoJSON étranges", b'{"type": "FeatureCollection", "features": [{"properties": {"nom": "x"},'
                                          b' "geometry": {"type": "Point", "coordinates": [{"a": 1}, [2], null]}}]}'),
        ("liste de listes", b"[[1, 2], [3]]"),
        ("échappement invalide", b'[{"nom": "\\x41"}]'),
        ("caractère de contrôle dans un texte", b'[{"nom": "a\tb"}]'),
        ("BOM UTF-8 puis JSON", codecs.BOM_UTF8 + b'[{"nom": "A", "adresse": "1 rue", "commune": "Cognac"}]'),
        ("JSON en UTF-16", '[{"nom": "A", "adresse": "1 rue", "commune": "Cognac"}]'.encode("utf-16")),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_hostile_json_files_give_a_french_answer(factory, case, data):
    run_import(factory, data, "lieux.json")


# -- column mapping files -------------------------------------------------------------------------

MAPPING_LINES = st.one_of(
    st.tuples(st.one_of(ANY_TEXT, st.sampled_from(["Intitulé", "Lieu-dit", "CP", "Ville", "colonnes"])),
              st.one_of(st.sampled_from([*TARGET_FIELDS, "~", "null", "", "nom_du_lieu", "inconnu", "nmo"]), ANY_TEXT)),
)


@st.composite
def mapping_files(draw) -> tuple[str, bytes]:
    """A YAML or CSV mapping file, well-formed or not, named .yaml/.yml/.csv/.txt or without suffix."""
    lines = draw(st.lists(MAPPING_LINES, max_size=6))
    kind = draw(st.sampled_from(["yaml", "yaml-colonnes", "csv", "aléatoire"]))
    if kind == "yaml":
        text = "\n".join(f"{column}: {field}" for column, field in lines)
    elif kind == "yaml-colonnes":
        indent = draw(st.sampled_from(["  ", "\t", " "]))
        text = "colonnes:\n" + "\n".join(f"{indent}{column}: {field}" for column, field in lines)
    elif kind == "csv":
        delimiter = draw(st.sampled_from([",", ";", "\t"]))
        text = csv_text(["colonne", "champ"], [list(line) for line in lines], delimiter, csv.QUOTE_MINIMAL, "\n")
    else:
        text = draw(st.one_of(ANY_TEXT, st.sampled_from(["- a\n- b", "a: [b", "a: {b", "'a", "*x", "&a b: c",
                                                          "%YAML 1.1\n---\na: b", "a: b\n---\nc: d", "@a: b", "`a`: b",
                                                          "a: !!python/object:os.system x", "? [a, b]\n: nom",
                                                          "a:\n  b: c", "1: nom\n2.5: adresse\ntrue: commune"])))
    suffix = draw(st.sampled_from([".yaml", ".yml", ".csv", ".txt", ""]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]))
    return "colonnes" + suffix, encoded(text, encoding)


SOURCE = "Intitulé;Lieu-dit;CP;Ville\nPoint numérique;1 place du Marché;16100;Cognac\n".encode()


@settings(FUZZ, max_examples=examples(30))
@given(mapping=mapping_files())
def test_any_mapping_file_is_read_or_refused_in_french_and_an_import_with_it_changes_nothing_on_refusal(
    factory, tmp_path_factory, mapping
):
    name, data = mapping
    path = tmp_path_factory.mktemp("correspondance") / name
    path.write_bytes(data)
    try:
        overrides = load_mapping_file(path)
    except MaillageError as error:
        assert_french(str(error), quoted=(name,))
        assert str(error).startswith(name), str(error)
    else:
        assert all(isinstance(k, str) for k in overrides)
        assert all(v is None or v in TARGET_FIELDS for v in overrides.values())
    run_import(factory, SOURCE, "export-hub.csv", mapping=path, round_trip=True)


@pytest.mark.parametrize(
    ("case", "text", "reason"),
    [
        ("listes imbriquées", "Intitulé: " + "[" * 5000 + "]" * 5000, "imbriquées trop profondément"),
        ("sections imbriquées", "".join(" " * i + f"c{i}:\n" for i in range(3000)), "imbriquées trop profondément"),
        ("caractère de contrôle", "Intitulé: nom\nCP: code_postal\x07\n", "ligne 2 : YAML invalide (caractère de"),
        ("deux-points manquant", '"Intitulé" nom\nCP: code_postal', "YAML invalide"),
        ("étiquette python", "Intitulé: !!python/object:os.system nom", "étiquette « ! »"),
        ("alias récursif", "Intitulé: &a [*a]", "YAML invalide"),
        ("échappement inconnu", 'Intitulé: "\\q"', "séquence « \\ »"),
    ],
    ids=lambda value: value if isinstance(value, str) and len(value) < 30 else "",
)
def test_hostile_mapping_files_are_refused_in_french_with_their_line(factory, tmp_path, case, text, reason):
    path = tmp_path / "colonnes.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(MaillageError) as caught:
        load_mapping_file(path)
    assert str(caught.value).startswith("colonnes.yaml") and reason in str(caught.value), str(caught.value)
    assert_french(str(caught.value), quoted=("colonnes.yaml",))
    run_import(factory, SOURCE, "export-hub.csv", mapping=path)


def test_a_mapping_file_that_does_not_exist_is_refused_in_french(factory, tmp_path):
    run_import(factory, SOURCE, "export-hub.csv", mapping=tmp_path / "absente.yaml")
    run_import(factory, SOURCE, "export-hub.csv", mapping=tmp_path)


@settings(FUZZ, max_examples=examples(15))
@given(overrides=st.dictionaries(st.one_of(ANY_TEXT, st.sampled_from(["Intitulé", "CP", "Ville", "Lieu-dit"])),
                                 st.one_of(st.none(), st.sampled_from(TARGET_FIELDS), ANY_TEXT), max_size=5))
def test_any_column_overrides_are_applied_or_refused_in_french(factory, overrides):
    run_import(factory, SOURCE, "export-hub.csv", mapping=overrides, round_trip=True)
