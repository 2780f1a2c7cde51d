"""Injection: SQL through every text input of the core, formulas through every CSV and the sheet.

SQL: each text a person can type into the core (import fields and column names, a structure's
fields on creation and edit, saved filter names and criteria, the registry search, survey answers,
call notes, campaign names, account logins and names) receives SQL-looking text, quotes,
backslashes, NUL bytes, LIKE wildcards and unicode tricks. Each is stored verbatim (as the core
normalises text: ``clean_text``) and read back as such, or refused with a French message; every
table is still there with its columns, and the tables the action does not write are unchanged.

Formulas: values starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return, written
through an import, a form and the surveyor's inputs, come out neutralised in every CSV export
(``models.excel_csv``, the responses, the campaign reports, the open-data registry) and are written
to the Google Sheet as text, never as formulas (checked on the Sheets emulator, which does
evaluate a formula sent ``USER_ENTERED``). The HTML report escapes them (and any markup).
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from datetime import UTC, datetime
from typing import Any

import duckdb
import gspread
import openpyxl
import pandas as pd
import pytest

from collect.calls import add_targets, assign, attempts_of, log_attempt
from collect.campaigns import create_campaign, find_campaign, list_campaigns
from collect.imports import import_bytes
from collect.questionnaire import questionnaire_from_dict
from collect.response_export import export_responses_csv
from collect.surveys import load_draft, open_draft, publish_questionnaire, save_answer, submit_draft
from collect.xlsform import import_xlsform_bytes
from dashboards.calls import campaign_report, table_csv
from dashboards.export import Report, Section, report_html
from models.access import authenticate, create_user, get_user, list_users
from models.backup import export_all
from models.errors import MaillageError
from models.excel_csv import FORMULA_PREFIXES, excel_csv_text
from models.normalize import clean_text
from models.registry import count_structures, create_structure, find_structures, get_structure, update_structure
from models.registry_views import communes_in_use, departements_in_use
from models.saved_filters import StructureFilter, get_filter, list_filters, save_filter, structure_ids_matching
from models.store import Store
from sync.export import export_structures, validate_file
from sync.hub import sync_hub
from sync.sheets_emulator import SheetsEmulator
from sync.transport import SyncTransport
from tests.reliability.storecheck import Dump, StoreFactory, assert_french, store_dump
from tests.sync.conftest import emulator, gc  # noqa: F401  (the Sheets emulator and gspread's client on it)

SQL_PAYLOADS = [
    "'); DROP TABLE structures; --",
    "' OR 1=1 --",
    '" OR ""="',
    '"',
    "\\",
    "\\'; DROP TABLE users; --",
    "a\x00b",
    "Robert'); DELETE FROM audit_log WHERE ('1'='1",
    "%",
    "_",
    "%' OR '%'='",
    "$$; DROP TABLE campaigns; $$",
    "/* */ UNION SELECT * FROM users --",
    "\u202etxt.exe",
    "ＤＲＯＰ ＴＡＢＬＥ structures",
    "e\u0301cole",
    "\u200b",
    "\ufeff' OR 1=1",
    "\u2028; DROP",
    "🙂'; --",
    "'" * 300,
]
IDS = [repr(p)[:24] for p in SQL_PAYLOADS]

SEED_CSV = (
    "id;nom;adresse;code_postal;commune;telephone;date_maj\n"
    "S1;Médiathèque de Cognac;10 rue du Minage;16100;Cognac;05 45 00 00 01;2024-01-10\n"
    "S2;CCAS des Abymes;Rue Achille René-Boisneuf;97139;Les Abymes;0590 12 34 56;2025-06-01\n"
    "S3;Espace numérique;allée des Justes;16100;Châteaubernard;;2024-04-02\n"
)
QUESTIONNAIRE = {
    "code": "injection",
    "titre": "Diagnostic",
    "sections": [{"code": "s", "titre": "Questions", "questions": [
        {"code": "remarque", "type": "texte", "libelle": "Remarque"},
        {"code": "detail", "type": "texte_long", "libelle": "Détail"},
    ]}],
}
REGISTRY_TABLES = {"structures", "structure_versions", "import_runs", "audit_log", "duplicate_candidates"}


def _seed(store: Store) -> dict[str, Any]:
    report = import_bytes(store, SEED_CSV.encode(), "amorce.csv")
    assert (report.new, report.rejected) == (3, 0)
    structures = {row["source_id"]: row["id"] for row in store.query("SELECT id, source_id FROM structures")}
    with store.atomic() as con:
        stored = publish_questionnaire(con, questionnaire_from_dict(QUESTIONNAIRE), by="coord")
        campaign_id = create_campaign(con, nom="Diagnostic", questionnaire_id=stored.id, by="coord")
        add_targets(con, campaign_id, list(structures.values()), by="coord")
        assign(con, campaign_id, list(structures.values()), "alice", by="coord")
        draft = open_draft(con, structure_id=structures["S1"], campaign_id=campaign_id, surveyor="alice", by="alice")
    return {"structures": structures, "questionnaire": stored.id, "campaign": campaign_id, "draft": draft.id}


@pytest.fixture(scope="module")
def factory(tmp_path_factory: pytest.TempPathFactory) -> StoreFactory:
    """Three structures, a questionnaire, a campaign targeting and assigning them, a draft."""
    return StoreFactory(tmp_path_factory.mktemp("injection"), seed=_seed)


@pytest.fixture(scope="module")
def empty(tmp_path_factory: pytest.TempPathFactory) -> StoreFactory:
    return StoreFactory(tmp_path_factory.mktemp("injection-vide"))


def assert_only_written(before: Dump, after: Dump, written: set[str]) -> None:
    """Every table is still there with its columns; only the tables in ``written`` changed."""
    assert sorted(before) == sorted(after)
    for name in before:
        assert before[name][0] == after[name][0], f"colonnes de {name} changées"
        if name.split(".", 1)[1] not in written:
            assert before[name] == after[name], f"{name} a changé"


# -- SQL: imports ---------------------------------------------------------------------------------


def _import_record(payload: str) -> dict[str, str]:
    return {
        "id": f"ID-{payload}", "nom": f"Lieu {payload}", "adresse": f"1 rue {payload}", "code_postal": "16100",
        "commune": "Cognac", "complement_adresse": payload, "source": payload, "structure_parente": payload,
        "presentation_detail": payload, "contact_nom": payload, f"Colonne {payload}": payload,
    }


@pytest.mark.parametrize("fmt", ["csv", "json"])
@pytest.mark.parametrize("payload", SQL_PAYLOADS, ids=IDS)
def test_an_import_stores_every_text_field_and_column_name_as_given(factory, payload, fmt):
    record = _import_record(payload)
    if fmt == "csv":
        buffer = io.StringIO(newline="")
        csv.writer(buffer, delimiter=";").writerows([list(record), list(record.values())])
        data = buffer.getvalue().encode()
    else:
        data = json.dumps([record]).encode()
    with factory.fresh() as store:
        before = store_dump(store)
        try:
            report = import_bytes(store, data, f"lieux.{fmt}")
        except MaillageError as error:  # a NUL byte makes a CSV a binary file
            assert_french(str(error), quoted=(f"lieux.{fmt}",))
            assert store_dump(store) == before
            return
        assert report.rejected == 0, [str(issue) for issue in report.errors]
        assert_only_written(before, store_dump(store), REGISTRY_TABLES)
        (row,) = store.query("SELECT * FROM structures WHERE source_id = ?", [clean_text(record["id"])])
        for field in ("nom", "adresse", "complement_adresse", "source", "structure_parente", "presentation_detail",
                      "contact_nom"):
            assert row[field] == clean_text(record[field]), field
        extra = {f"Colonne {payload}".strip(): clean_text(payload)} if clean_text(payload) else None
        assert json.loads(row["donnees_source"] or "null") == extra
        with store.connect() as con:
            assert row["id"] in [found["id"] for found in find_structures(con, text=row["nom"])]


# -- SQL: the registry --------------------------------------------------------------------------


def _free_text(payload: str) -> dict[str, str]:
    return {"complement_adresse": payload, "source": payload, "structure_parente": payload,
            "presentation_detail": payload, "contact_nom": payload, "autres_formations_labels": payload}


@pytest.mark.parametrize("payload", SQL_PAYLOADS, ids=IDS)
def test_a_structure_typed_or_edited_with_any_text_is_stored_as_typed_and_found_by_it(factory, payload):
    data = {"nom": payload, "adresse": payload, "commune": "Cognac", "code_postal": "16100", "date_maj": "2024-01-01",
            **_free_text(payload)}
    with factory.fresh() as store:
        before = store_dump(store)
        with store.atomic() as con:
            structure, issues = create_structure(con, data, by="coord")
        for issue in issues:
            assert_french(issue.message, quoted=(payload, payload.strip()))
        if structure is None:  # a name that cleans to nothing: refused, in French
            assert clean_text(payload) is None and any(issue.field == "nom" for issue in issues)
            assert store_dump(store) == before
            return
        with store.connect() as con:
            row = get_structure(con, structure.id)
        assert row is not None
        for field in ("nom", "adresse", *_free_text(payload)):
            assert row[field] == clean_text(data[field]), field
        with store.atomic() as con:
            edited, issues = update_structure(con, structure.id, {"nom": f"Autre {payload}", "adresse": payload},
                                              by="coord")
        assert edited is not None, issues
        assert_only_written(before, store_dump(store), {"structures", "structure_versions", "audit_log"})
        with store.connect() as con:
            assert get_structure(con, structure.id)["nom"] == clean_text(f"Autre {payload}")
            found = [found["id"] for found in find_structures(con, text=payload)]
        # The search finds the structure holding the text, and no other: « % » and « _ » are not wildcards.
        assert set(found) <= {structure.id}
        if clean_text(payload) == payload.strip():
            assert found == [structure.id]


@pytest.mark.parametrize("payload", SQL_PAYLOADS, ids=IDS)
def test_a_saved_filter_keeps_its_name_and_criteria_as_typed_and_matches_nothing_by_accident(factory, payload):
    criteria = StructureFilter(text=payload, code_insee=payload, departement=payload, typologie=payload,
                               service=payload)
    with factory.fresh() as store:
        before = store_dump(store)
        try:
            with store.atomic() as con:
                filter_id = save_filter(con, payload, criteria, by="coord")
        except MaillageError as error:  # a name that is only spaces
            assert not payload.strip()
            assert_french(str(error))
            assert store_dump(store) == before
            return
        assert_only_written(before, store_dump(store), {"saved_filters", "audit_log"})
        with store.connect() as con:
            (saved,) = list_filters(con)
            assert (saved.id, saved.nom, saved.criteria) == (filter_id, payload.strip(), criteria)
            assert get_filter(con, payload.strip()) == saved
            assert structure_ids_matching(con, [criteria]) == []
            assert structure_ids_matching(con, [StructureFilter(text=payload)]) == []


@pytest.mark.parametrize("payload", SQL_PAYLOADS, ids=IDS)
def test_the_registry_search_and_its_choices_read_any_text_as_a_value(factory, payload):
    with factory.fresh() as store:
        before = store_dump(store)
        with store.connect() as con:
            for criterion in ("text", "code_insee", "departement", "typologie", "service"):
                assert find_structures(con, **{criterion: payload}) == [], criterion
                assert count_structures(con, **{criterion: payload}) == 0, criterion
            assert communes_in_use(con, departement=payload) == []
            assert departements_in_use(con) == ["16", "971"]
        assert store_dump(store) == before


# -- SQL: surveys, calls, campaigns ------------------------------------------------------------------


@pytest.mark.parametrize("payload", SQL_PAYLOADS, ids=IDS)
def test_survey_answers_are_stored_as_typed_then_submitted(factory, payload):
    seeded = factory.seeded
    with factory.fresh() as store:
        before = store_dump(store)
        with store.atomic() as con:
            saved = save_answer(con, seeded["draft"], "remarque", payload, base_revision=0, session_id=payload,
                                by="alice")
            save_answer(con, seeded["draft"], payload, "hors questionnaire", base_revision=0, session_id="s",
                        by="alice")
        assert saved.saved
        assert_only_written(before, store_dump(store), {"draft_values", "drafts"})
        with store.connect() as con:
            draft = load_draft(con, seeded["draft"])
        assert (draft.values["remarque"].value, draft.values["remarque"].session_id) == (payload, payload)
        assert draft.values[payload].value == "hors questionnaire"
        outcome = submit_draft(store, seeded["draft"], by="alice")
        (response,) = store.query("SELECT answers FROM responses WHERE id = ?", [outcome.response_id])
        assert json.loads(response["answers"]).get("remarque") in (payload, clean_text(payload))


@pytest.mark.parametrize("payload", SQL_PAYLOADS, ids=IDS)
def test_a_call_note_and_a_surveyor_name_are_stored_as_typed(factory, payload):
    seeded = factory.seeded
    structure_id = seeded["structures"]["S2"]
    with factory.fresh() as store:
        before = store_dump(store)
        with store.atomic() as con:
            log_attempt(con, seeded["campaign"], structure_id, "pas_de_reponse", surveyor=payload, by="alice",
                        note=payload)
        assert_only_written(before, store_dump(store), {"call_attempts", "audit_log"})
        with store.connect() as con:
            (attempt,) = attempts_of(con, seeded["campaign"], structure_id)
        assert (attempt["note"], attempt["surveyor"]) == (payload, payload)


@pytest.mark.parametrize("payload", SQL_PAYLOADS, ids=IDS)
def test_a_campaign_name_is_stored_as_typed_and_found_by_it(factory, payload):
    with factory.fresh() as store:
        before = store_dump(store)
        with store.atomic() as con:
            campaign_id = create_campaign(con, nom=payload, questionnaire_id=factory.seeded["questionnaire"],
                                          by="coord")
        assert_only_written(before, store_dump(store), {"campaigns", "audit_log"})
        with store.connect() as con:
            assert find_campaign(con, payload)["id"] == campaign_id
            assert payload in [campaign["nom"] for campaign in list_campaigns(con)]


@pytest.mark.parametrize("payload", SQL_PAYLOADS, ids=IDS)
def test_an_account_login_is_checked_and_its_name_stored_as_typed(empty, payload):
    folded = unicodedata.normalize("NFKD", payload.strip()).encode("ascii", "ignore").decode().lower()
    with empty.fresh() as store:
        before = store_dump(store)
        try:
            with store.atomic() as con:
                create_user(con, payload, nom="Camille Martin", role="admin", by="installation",
                            email="camille@exemple.fr")
        except MaillageError as error:
            assert_french(str(error), quoted=(payload,))
            assert store_dump(store) == before
        else:  # what remains once accents and symbols are dropped is a valid login (« école » → « ecole »)
            assert [user.login for user in users_of(store)] == [folded]
            assert_only_written(before, store_dump(store), {"users", "audit_log"})
        with store.atomic() as con:
            if folded != "":
                try:
                    assert get_user(con, payload).login == folded
                except MaillageError as error:
                    assert_french(str(error), quoted=(payload,))
            sign_in = authenticate(con, payload, payload)
        assert sign_in.user is None and sign_in.refusal == "Identifiant ou mot de passe incorrect."
    with empty.fresh() as store:
        before = store_dump(store)
        try:
            with store.atomic() as con:
                create_user(con, "camille.martin", nom=payload, role="admin", by="installation",
                            email="camille@exemple.fr")
        except MaillageError as error:  # a name that is only spaces
            assert not payload.strip()
            assert_french(str(error))
            assert store_dump(store) == before
            return
        assert_only_written(before, store_dump(store), {"users", "audit_log"})
        assert [user.nom for user in users_of(store)] == [payload.strip()]


def users_of(store: Store) -> list:
    with store.connect() as con:
        return list_users(con)


# -- formulas -----------------------------------------------------------------------------------

FORMULAS = [
    '=HYPERLINK("http://evil.example","x")',
    "=cmd|' /C calc'!A0",
    "=1+1",
    "+1",
    "+33 6 12 34 56 78 =1",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "-",
    "=",
]
_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?(?:[eE][+-]?\d+)?")


def assert_no_formula(text: str, delimiter: str, *, exact: frozenset[str] = frozenset()) -> list[list[str]]:
    """Every cell of a CSV is safe: it does not start like a formula, unless it is a number (or a
    column of ``exact``, whose values the standard fixes). Returns the rows."""
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), delimiter=delimiter))
    header = rows[0]
    for row in rows:
        for column, cell in zip(header, row, strict=True):
            if cell.startswith(FORMULA_PREFIXES) and not _NUMBER.fullmatch(cell) and column not in exact:
                raise AssertionError(f"cellule non neutralisée dans la colonne {column!r} : {cell!r}")
    return rows


@pytest.mark.parametrize("payload", FORMULAS, ids=[repr(p)[:20] for p in FORMULAS])
def test_excel_csv_neutralises_formula_like_text_in_cells_lists_and_headers(payload):
    rows = [{payload: payload, "liste": [payload, "b"], "tuple": (payload,), "nombre": -3.5, "entier": -2}]
    out = assert_no_formula(excel_csv_text([payload, "liste", "tuple", "nombre", "entier"], rows), ";")
    assert out[0][0] == "'" + payload
    assert out[1] == ["'" + payload, f"'{payload} | b", "'" + payload, "-3,5", "-2"]


def _form_with_formula_labels() -> bytes:
    """An XLSForm whose labels and choice labels are texts starting like formulas."""
    workbook = openpyxl.Workbook()
    survey = workbook.active
    survey.title = "survey"
    choices = workbook.create_sheet("choices")
    for sheet, rows in (
        (survey, (["type", "name", "label"], ["text", "remarque", FORMULAS[0]], ["text", "detail", FORMULAS[1]],
                  ["select_one liste", "choix", FORMULAS[2]], ["decimal", "nombre", "Nombre"])),
        (choices, (["list_name", "name", "label"], ["liste", "a", FORMULAS[5]], ["liste", "b", FORMULAS[6]])),
    ):
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                cell = sheet.cell(row=r, column=c, value=value)
                cell.data_type = "s"  # a text cell, as typed with a leading apostrophe (openpyxl makes « = » a formula)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def formulas_store(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A store where formula-like text came in through an import, an XLSForm, a campaign, a draft
    and call notes: the structures' names and addresses, choice labels, answers, surveyors."""
    folder = tmp_path_factory.mktemp("formules")
    store = Store(folder / "formules.duckdb", device="test")
    store.migrate()
    lines = [{"nom": f"{payload} n°{index}", "adresse": f"{payload} rue {index}", "code_postal": "16100",
              "commune": "Cognac", "complement_adresse": payload, "source": payload,
              "courriels": "=1+1@evil.example", "telephone": "05 45 00 00 01", "latitude": "45.69",
              "longitude": "-0.33", "date_maj": "2024-01-01"}
             for index, payload in enumerate(FORMULAS)]
    report = import_bytes(store, json.dumps(lines).encode(), "lieux.json")
    assert report.new == len(FORMULAS), [str(issue) for issue in report.errors]
    form = import_xlsform_bytes(_form_with_formula_labels(), "formulaire.xlsx")
    assert form.questionnaire is not None, [str(p) for p in form.problems]
    structures = [row["id"] for row in store.query("SELECT id FROM structures ORDER BY nom")]
    now = datetime.now(UTC)
    with store.atomic() as con:
        stored = publish_questionnaire(con, form.questionnaire, by="coord")
        campaign_id = create_campaign(con, nom=FORMULAS[3], questionnaire_id=stored.id, by="coord")
        add_targets(con, campaign_id, structures, by="coord")
        for index, structure_id in enumerate(structures):
            surveyor = FORMULAS[index % len(FORMULAS)]
            assign(con, campaign_id, [structure_id], surveyor, by="coord")
            log_attempt(con, campaign_id, structure_id, "pas_de_reponse", surveyor=surveyor, by="coord", at=now,
                        note=FORMULAS[index])
        draft = open_draft(con, structure_id=structures[0], campaign_id=campaign_id, surveyor=FORMULAS[4],
                           by="coord")
        for code, value in (("remarque", FORMULAS[0]), ("detail", FORMULAS[7]), ("choix", "a"), ("nombre", -2.5)):
            save_answer(con, draft.id, code, value, base_revision=0, session_id="s", by="coord")
    submit_draft(store, draft.id, by="coord")
    return {"store": store, "campaign": campaign_id, "folder": folder}


def test_the_responses_export_neutralises_every_formula(formulas_store):
    out = formulas_store["folder"] / "reponses.csv"
    export_responses_csv(formulas_store["store"], out, by="coord")
    rows = assert_no_formula(out.read_text(encoding="utf-8-sig"), ";")
    cells = {cell for row in rows for cell in row}
    # the answer, the choice label, the structure's name and the surveyor, each with its apostrophe
    assert {"'" + FORMULAS[0], "'" + FORMULAS[5], "'" + FORMULAS[4], "-2,5"} <= cells


def test_the_campaign_reports_neutralise_every_formula(formulas_store):
    store = formulas_store["store"]
    with store.connect() as con:
        reports = campaign_report(con, formulas_store["campaign"], now=datetime.now(UTC), by="coord")
    seen = set()
    for table, rows in reports.items():
        out = assert_no_formula(table_csv(table, rows).decode("utf-8-sig"), ";")
        seen |= {cell for row in out for cell in row}
    assert "'" + FORMULAS[0] in seen and "'" + FORMULAS[1] in seen


def test_every_csv_of_the_export_of_every_table_neutralises_every_formula(formulas_store, tmp_path):
    store = formulas_store["store"]
    report = export_all(store, tmp_path / "export", by="coord")
    seen = set()
    for table in report.tables:
        text = table.csv.read_text(encoding="utf-8-sig")
        seen |= {cell for row in assert_no_formula(text, ";")[1:] for cell in row}
    # a structure's name, a call note, a surveyor: each with its apostrophe
    assert {"'" + FORMULAS[0] + " n°0", "'" + FORMULAS[1], "'" + FORMULAS[4]} <= seen
    # the Parquet twin keeps the values exact
    exact = duckdb.connect().execute("SELECT nom FROM read_parquet(?)", [str(tmp_path / "export" / "structures.parquet")])
    assert FORMULAS[0] + " n°0" in {nom for (nom,) in exact.fetchall()}


def test_the_html_report_escapes_formulas_and_markup(formulas_store):
    names = [row["nom"] for row in formulas_store["store"].query("SELECT nom FROM structures")]
    table = pd.DataFrame({"Structure": [*names, "<script>alert(1)</script>", "<img src=x onerror=alert(1)>"]})
    page = report_html(Report(FORMULAS[0], "<b>sous-titre</b>", datetime.now(UTC),
                              [Section("<i>section</i>", "texte <a href='javascript:x'>", tables=[("t", table)])]))
    text = page.decode("utf-8")
    for markup in ("<script>", "<img", "<b>sous", "<i>section", "<a href"):
        assert markup not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_the_open_data_export_neutralises_text_keeps_phones_and_coordinates_and_round_trips(formulas_store,
                                                                                           tmp_path, empty):
    store = formulas_store["store"]
    out = export_structures(store, tmp_path / "lieux.csv").path
    rows = assert_no_formula(out.read_text(encoding="utf-8"), ",", exact=frozenset({"telephone", "latitude",
                                                                                    "longitude"}))
    header = rows[0]
    records = [dict(zip(header, row, strict=True)) for row in rows[1:]]
    assert {r["telephone"] for r in records} == {"+33545000001"}
    assert {r["longitude"] for r in records} == {"-0.33"}
    assert "'" + FORMULAS[0] + " n°0" in {r["nom"] for r in records}
    assert "'=1+1@evil.example" in {r["courriels"] for r in records}
    assert validate_file(out).valid, [str(e) for e in validate_file(out).errors]
    exact = json.loads(export_structures(store, tmp_path / "lieux.json", format="json").path.read_text())
    assert FORMULAS[0] + " n°0" in {r["nom"] for r in exact}
    # Re-imported elsewhere, the CSV gives back the values, without the apostrophes.
    fields = ("nom", "adresse", "complement_adresse", "source", "courriels", "telephone")
    original = sorted(tuple(str(row[f]) for f in fields) for row in store.query("SELECT * FROM structures"))
    with empty.fresh() as other:
        report = import_bytes(other, out.read_bytes(), "lieux.csv")
        assert report.new == len(FORMULAS), [str(issue) for issue in report.errors]
        again = sorted(tuple(str(row[f]) for f in fields) for row in other.query("SELECT * FROM structures"))
    assert again == original


# -- the Google Sheet ---------------------------------------------------------------------------

SHEET_FORMULAS = ["=1+1", "+1", "=2*3", "-1", "@x", '=HYPERLINK("http://evil.example","x")', "=cmd|' /C calc'!A0"]


def _sync(store: Store, emulator: SheetsEmulator, sid: str):
    transport = SyncTransport(emulator.session(), sleep=lambda seconds: None, max_tries=4)
    try:
        return sync_hub(store, gspread.Client(auth=None, session=transport), sid, stats=transport.stats)
    finally:
        transport.close()


@pytest.mark.parametrize("copies", [1, 80], ids=["quelques lignes", "premier envoi en bloc"])
def test_the_sheet_receives_formula_like_text_as_text_never_as_a_formula(empty, emulator, gc, copies,  # noqa: F811
                                                                         monkeypatch):
    # Control: the emulator does evaluate what is sent USER_ENTERED, so the check below means something.
    control = emulator.create_spreadsheet("Témoin")
    gc.open_by_key(control).sheet1.update([["=1+1", "+1"]], "A1", raw=False)
    assert emulator.values(control, "Sheet1", "UNFORMATTED_VALUE") == [[2, 1]]

    monkeypatch.setattr("sync.hub.BULK_APPEND_ROWS", 50)  # the bulk path (values:append) without 500 lines
    lines = [{"nom": f"{payload}" if n == 0 else f"{payload} {n}", "adresse": payload, "complement_adresse": payload,
              "code_postal": "16100", "commune": "Cognac", "date_maj": "2024-01-01"}
             for payload in SHEET_FORMULAS for n in range(copies)]
    with empty.fresh() as store:
        report = import_bytes(store, json.dumps(lines).encode(), "lieux.json")
        assert report.new == len(lines), [str(issue) for issue in report.errors]
        sid = emulator.create_spreadsheet("Hub")
        assert _sync(store, emulator, sid).status == "terminee"
        header, *body = emulator.values(sid, "structures", "UNFORMATTED_VALUE")
        column = {name: index for index, name in enumerate(header)}
        names = {line[column["nom"]] for line in body}
        assert set(SHEET_FORMULAS) <= names  # « =1+1 » is still its text, not 2
        assert {line[column["adresse"]] for line in body} == set(SHEET_FORMULAS)
        formulas = emulator.values(sid, "structures", "FORMULA")
        assert formulas == [header, *body]  # no cell holds a formula of its own
        before = store.query("SELECT id, nom, adresse FROM structures ORDER BY id")
        again = _sync(store, emulator, sid)
        assert (again.to_store, again.conflicts, again.errors) == (0, 0, [])
        assert store.query("SELECT id, nom, adresse FROM structures ORDER BY id") == before


def test_the_sheet_values_module_writes_text_verbatim_for_raw_input():
    from sync.sheet_values import from_cell, to_cell

    for payload in SQL_PAYLOADS + FORMULAS:
        assert to_cell(payload, "text") == payload
        assert from_cell(payload, "text") == (payload or None)


