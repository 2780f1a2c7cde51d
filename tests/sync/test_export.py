"""The open-data export: the standard's 32 columns, valid against the schema, no personal data."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from collect.demo import DEMO_DIR
from collect.imports import import_file
from models.registry import create_structure, update_structure
from models.standard import SCHEMA_V1_PATH, standard_v1
from sync.export import PIVOT_PLACEHOLDER, export_structures, validate_file

DEMO = DEMO_DIR
SAMPLES = sorted(DEMO.glob("*.json"))


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_the_three_sample_datasets_export_with_zero_validation_errors(demo_store, tmp_path, fmt):
    result = export_structures(demo_store, tmp_path / f"lieux.{fmt}", format=fmt)
    assert result.count == 924
    report = validate_file(result.path)
    assert report.errors == [] and report.rows == 924


def test_the_csv_export_passes_the_frictionless_command_itself(demo_store, tmp_path):
    out = export_structures(demo_store, tmp_path / "lieux.csv").path
    shutil.copy(SCHEMA_V1_PATH, tmp_path / "schema.json")  # frictionless only trusts relative paths
    done = subprocess.run(
        [str(Path(sys.executable).parent / "frictionless"), "validate", "--schema", "schema.json", out.name, "--json"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    outcome = json.loads(done.stdout)
    assert outcome["valid"] is True, done.stdout[:2000]
    assert outcome["tasks"][0]["stats"]["rows"] == 924


def test_the_csv_header_is_the_standard_in_the_schema_order(demo_store, tmp_path):
    out = export_structures(demo_store, tmp_path / "lieux.csv").path
    with out.open(encoding="utf-8") as handle:
        assert next(csv.reader(handle)) == list(standard_v1().field_names)


CONTACT = {
    "nom": "Tiers-lieu du Port",
    "commune": "Cognac",
    "code_postal": "16100",
    "adresse": "3 quai du Port",
    "contact_nom": "Paul Personne",
    "contact_telephone": "06 12 34 56 78",
    "contact_courriel": "paul.personne@example.org",
    "telephone": "05 45 36 19 50",
    "date_maj": "2024-01-10",
}


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_personal_data_never_appears_in_the_export(store, tmp_path, fmt):
    with store.atomic() as con:
        structure, issues = create_structure(con, CONTACT, by="test")
    assert structure is not None, issues
    text = export_structures(store, tmp_path / f"x.{fmt}", format=fmt).path.read_text(encoding="utf-8")
    for secret in ("Paul Personne", "+33612345678", "paul.personne@example.org", "contact_"):
        assert secret not in text
    assert "+33545361950" in text


def test_an_unknown_pivot_is_exported_as_the_national_placeholder(store, tmp_path):
    with store.atomic() as con:
        create_structure(con, CONTACT, by="test")
    out = export_structures(store, tmp_path / "x.json", format="json").path
    assert json.loads(out.read_text())[0]["pivot"] == PIVOT_PLACEHOLDER


def test_the_export_as_of_a_date_uses_the_history(store, tmp_path):
    with store.atomic() as con:
        structure, _ = create_structure(con, CONTACT, by="test")
    between = datetime.now(UTC)
    with store.atomic() as con:
        update_structure(con, structure.id, {"nom": "Tiers-lieu du Port de Cognac"}, by="test")
    then = export_structures(store, tmp_path / "then.json", format="json", as_of=between).path
    now = export_structures(store, tmp_path / "now.json", format="json").path
    assert [r["nom"] for r in json.loads(then.read_text())] == ["Tiers-lieu du Port"]
    assert [r["nom"] for r in json.loads(now.read_text())] == ["Tiers-lieu du Port de Cognac"]
    assert json.loads(then.read_text())[0]["id"] == structure.id


def test_validation_reports_each_error_with_its_line_and_column_in_french(tmp_path):
    bad = tmp_path / "lieux.csv"
    header = ",".join(standard_v1().field_names)
    good = ["a1", "21010053300004", "Lieu", "Cognac", "16100", "16102", "1 rue", "", "", "", "", "", "", "", "", "", "", "",
            "", "", "2024-01-01"] + [""] * 11
    wrong = list(good)
    wrong[0], wrong[4], wrong[18] = "a2", "1610", "Mobile"
    bad.write_text("\n".join([header, ",".join(good), ",".join(wrong)]) + "\n", encoding="utf-8")
    report = validate_file(bad)
    assert not report.valid
    assert [(e.line, e.field) for e in report.errors] == [(3, "code_postal"), (3, "itinerance")]
    assert str(report.errors[0]).startswith("ligne 3, colonne code_postal : la valeur ne respecte pas le format attendu")


def test_reimporting_an_export_changes_nothing(demo_store, tmp_path):
    out = export_structures(demo_store, tmp_path / "lieux.csv").path
    before = demo_store.query("SELECT count(*) AS n FROM structure_versions")
    report = import_file(demo_store, out)
    assert (report.new, report.rejected) == (0, 0)
    assert demo_store.query("SELECT count(*) AS n FROM structure_versions") == before
