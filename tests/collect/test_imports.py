"""Imports: messy real-world files in, clean structures out; nothing half-written, nothing lost."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from collect.demo import DEMO_DIR
from collect.imports import import_bytes, import_file
from models.errors import ImportRejected, NotATable
from models.registry import structure_history, update_structure

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
DEMO = DEMO_DIR
SAMPLES = sorted(DEMO.glob("*.json"))
LEGACY_EXAMPLE = Path(__file__).resolve().parents[2] / "models" / "data" / "standard" / "v0.1.1" / "exemple-valide.csv"


def rows(store, sql="SELECT * FROM structures ORDER BY nom"):
    return store.query(sql)


def counts(store):
    return store.query(
        "SELECT (SELECT count(*) FROM structures) AS structures, (SELECT count(*) FROM structure_versions) AS versions"
    )[0]


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name[:30])
def test_each_sample_dataset_imports_without_rejecting_a_line(store, sample):
    report = import_file(store, sample)
    expected = len(json.loads(sample.read_text()))
    assert report.rows_read == expected
    assert report.rejected == 0, [str(i) for i in report.errors]
    assert report.new == expected
    assert counts(store) == {"structures": expected, "versions": expected}


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name[:30])
def test_reimporting_the_same_file_changes_nothing(store, sample):
    import_file(store, sample)
    before = rows(store)
    report = import_file(store, sample)
    assert (report.new, report.updated, report.unchanged, report.rejected) == (0, 0, report.rows_read, 0)
    assert rows(store) == before
    assert counts(store)["versions"] == report.rows_read


def test_a_dry_run_reports_and_writes_nothing(store):
    report = import_file(store, FIXTURES / "structures-lignes-en-erreur.csv", dry_run=True)
    assert report.dry_run and not report.written
    assert (report.new, report.rejected) == (2, 4)
    assert counts(store) == {"structures": 0, "versions": 0}
    assert store.query("SELECT count(*) AS n FROM import_runs") == [{"n": 0}]


def test_each_bad_line_gets_one_french_message_with_file_line_and_field(store):
    report = import_file(store, FIXTURES / "structures-lignes-en-erreur.csv")
    messages = [(e.line, e.field) for e in report.errors]
    # line 2 holds a two-line cell: the bad lines are 4 to 7 of the file
    assert messages == [(4, "nom"), (5, "adresse"), (6, "code_postal"), (7, "commune")]
    texts = [str(e) for e in report.errors]
    assert texts[0] == "structures-lignes-en-erreur.csv, ligne 4, champ nom : Le nom de la structure est obligatoire."
    assert "Marseille en a plusieurs" in texts[2]
    assert [r["nom"] for r in rows(store)] == ["Espace public numérique", "Médiathèque de Cognac"]


def test_all_or_nothing_writes_nothing_when_a_line_is_rejected(store):
    with pytest.raises(ImportRejected) as caught:
        import_file(store, FIXTURES / "structures-lignes-en-erreur.csv", all_or_nothing=True)
    assert "4 ligne(s) rejetée(s)" in str(caught.value)
    assert counts(store) == {"structures": 0, "versions": 0}


def test_a_french_excel_csv_imports_with_the_right_values(store):
    report = import_file(store, FIXTURES / "structures-excel-cp1252.csv")
    assert (report.new, report.rejected, report.encoding, report.delimiter) == (7, 0, "cp1252", ";")
    found = {r["nom"]: r for r in rows(store)}
    bourg = found["Médiathèque Albert Camus"]
    assert (bourg["code_postal"], bourg["code_insee"], bourg["telephone"]) == ("01000", "01053", "+33474123456")
    assert bourg["courriels"] == ["mediatheque@bourg.fr", "accueil@bourg.fr"]
    assert bourg["site_web"] == ["https://www.bourg-en-bresse.fr"]
    assert str(bourg["date_maj"]) == "2024-04-02" and bourg["itinerance"] == ["Fixe"]
    assert bourg["frais_a_charge"] == ["Gratuit"] and bourg["contact_nom"] == "Jeanne Martin"
    assert json.loads(bourg["donnees_source"]) == {"Commentaire interne": "à rappeler"}
    abymes = found["CCAS des Abymes"]
    assert (abymes["code_postal"], abymes["telephone"]) == ("97139", "+590590123456")
    assert (abymes["latitude"], abymes["longitude"]) == (16.265, -61.5331)  # swapped back
    benoit = found["Mission locale Est"]
    assert (benoit["telephone"], benoit["telephones_autres"]) == ("+262262501234", ["+262692123456"])
    barbezieux = found["Espace France Services"]  # Lambert-93 with a decimal comma
    assert barbezieux["latitude"] == pytest.approx(45.4728, abs=1e-3)
    assert barbezieux["longitude"] == pytest.approx(-0.1536, abs=1e-3)
    caf = found["CAF de la Charente"]
    assert (caf["telephone"], caf["numero_court"], caf["pivot"], caf["commune"]) == (None, "3230", None, "Angoulême")
    assert found["France Services Mamoudzou"]["telephone"] == "+262269611234"
    assert found["Fare numérique de Papeete"]["telephone"] == "+68940123456"


def test_a_latitude_is_never_stored_in_metres(store):
    import_file(store, FIXTURES / "structures-excel-cp1252.csv")
    assert store.query("SELECT max(abs(latitude)) <= 90 AND max(abs(longitude)) <= 180 AS ok FROM structures") == [{"ok": True}]


def test_an_excel_workbook_damaged_by_french_excel_imports(store, tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Lieux"
    sheet.append(["NOM", "Adresse", "CP", "Commune", "Tél", "Mise à jour", "Frais"])
    sheet.append(["Maison France Services", "2 rue de la Poste", 1000, "Bourg-en-Bresse", 474123456, "02/04/2024", "Gratuit"])
    sheet.append(["Bibliothèque", "1 rue des Écoles", "97110", "Pointe-à-Pitre", 590123456.0, 45384, "payant"])
    path = tmp_path / "lieux.xlsx"
    workbook.save(path)
    report = import_file(store, path, sheet="Lieux")
    assert (report.new, report.rejected) == (2, 0)
    found = {r["nom"]: r for r in rows(store)}
    assert (found["Maison France Services"]["code_postal"], found["Maison France Services"]["telephone"]) == ("01000", "+33474123456")
    assert found["Bibliothèque"]["telephone"] == "+590590123456"
    assert str(found["Bibliothèque"]["date_maj"]) == "2024-04-02"
    assert found["Bibliothèque"]["frais_a_charge"] == ["Payant"]


def test_two_columns_for_one_field_are_reported_on_the_header_line_of_the_sheet(store, tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet["A3"] = "Nom"  # the table starts on the third line
    for column, name in zip("BCDE", ["Adresse", "Code postal", "Commune", "Nom de la structure"], strict=True):
        sheet[f"{column}3"] = name
    sheet.append(["CCAS de Cognac", "1 rue Haute", "16100", "Cognac", "CCAS"])
    path = tmp_path / "lieux.xlsx"
    workbook.save(path)
    report = import_file(store, path, dry_run=True)
    (warning,) = [issue for issue in report.issues if "correspondent toutes deux" in issue.message]
    assert warning.line == 3


def test_the_legacy_v01_example_maps_to_v1_lists(store):
    report = import_file(store, LEGACY_EXAMPLE)
    assert (report.new, report.rejected) == (1, 0)
    lieu = rows(store)[0]
    assert lieu["services"] == ["Aide aux démarches administratives", "Maîtrise des outils numériques du quotidien"]
    assert lieu["publics_specifiquement_adresses"] == ["Familles et/ou enfants"]
    assert lieu["prise_en_charge_specifique"] == ["Déficience visuelle"]
    assert lieu["frais_a_charge"] == ["Payant", "Gratuit sous condition"]
    assert lieu["dispositif_programmes_nationaux"] == ["France Services", "Point d'accès numérique CAF"]
    assert lieu["autres_formations_labels"] == "SudLabs;Nièvre médiation numérique|APTIC"
    assert lieu["modalites_accompagnement"] == ["En autonomie", "Accompagnement individuel"]
    assert lieu["courriels"] == ["contact@laquincaillerie.tl"]
    assert lieu["fiche_acces_libre"].startswith("https://acceslibre.beta.gouv.fr/")


def test_columns_can_be_mapped_by_a_mapping_file(store, tmp_path):
    source = tmp_path / "export-hub.csv"
    source.write_text("Intitulé;Lieu-dit;CP;Ville\nPoint numérique;1 place du Marché;16100;Cognac\n", encoding="utf-8")
    mapping = tmp_path / "colonnes.yaml"
    mapping.write_text("colonnes:\n  Intitulé: nom\n  Lieu-dit: adresse\n", encoding="utf-8")
    without = import_file(store, source, dry_run=True)
    assert without.rejected == 1
    report = import_file(store, source, mapping=mapping)
    assert (report.new, report.rejected) == (1, 0)
    assert rows(store)[0]["nom"] == "Point numérique"


def test_duplicates_are_proposed_never_merged(store, tmp_path):
    import_file(store, FIXTURES / "structures-excel-cp1252.csv")
    other = tmp_path / "autre-source.csv"
    other.write_text(
        "nom,adresse,code_postal,commune,pivot\n"
        "Mediatheque Albert-Camus,1 pl. de la Mairie,01000,Bourg-en-Bresse,\n"
        "Mairie de Bourg,Place de l'Hôtel de Ville,01000,Bourg-en-Bresse,21010053300004\n",
        encoding="utf-8",
    )
    report = import_file(store, other)
    assert (report.new, report.duplicates) == (2, 2)
    reasons = sorted(p.reason.split(" ")[0] for p in report.duplicate_pairs)
    assert reasons == ["même", "nom"]
    assert counts(store)["structures"] == 9
    assert store.query("SELECT count(*) AS n FROM duplicate_candidates WHERE status = 'a_examiner'") == [{"n": 2}]


def test_placeholder_pivots_identify_nothing(store):
    report = import_file(store, SAMPLES[0])
    assert report.rejected == 0
    assert store.query("SELECT count(*) AS n FROM structures WHERE \"pivot\" = '00000000000000'") == [{"n": 0}]
    assert not any("00000000000000" in p.reason for p in report.duplicate_pairs)


def test_a_long_summary_is_shortened_and_kept_whole_in_the_detail(store):
    import_file(store, SAMPLES[2])  # Nouvelle-Calédonie: 12 summaries longer than 280 characters
    long_ones = store.query(
        "SELECT presentation_resume AS r, presentation_detail AS d FROM structures WHERE length(presentation_detail) > 280"
    )
    assert long_ones
    assert all(len(x["r"]) <= 280 and x["r"].endswith("…") and x["d"].startswith(x["r"][:-1]) for x in long_ones)


def test_a_reimport_applies_what_changed_in_the_source_and_keeps_edits_made_in_maillage(store, tmp_path):
    first = tmp_path / "lieux.csv"
    first.write_text(
        "id,nom,adresse,code_postal,commune,telephone,date_maj\n"
        "L1,Médiathèque,1 rue Haute,16100,Cognac,05 45 00 00 01,2024-01-01\n",
        encoding="utf-8",
    )
    import_file(store, first)
    lieu_id = rows(store)[0]["id"]
    with store.atomic() as con:
        update_structure(con, lieu_id, {"nom": "Médiathèque municipale de Cognac"}, by="coordinatrice")
    first.write_text(
        "id,nom,adresse,code_postal,commune,telephone,date_maj\n"
        "L1,Médiathèque,1 rue Haute,16100,Cognac,05 45 00 00 02,2024-02-01\n",
        encoding="utf-8",
    )
    report = import_file(store, first)
    assert (report.updated, report.unchanged) == (1, 0)
    lieu = rows(store)[0]
    assert lieu["nom"] == "Médiathèque municipale de Cognac"  # the person's edit is kept
    assert lieu["telephone"] == "+33545000002"  # the source's change is applied
    with store.connect() as con:
        assert [v["change_reason"] for v in structure_history(con, lieu_id)] == ["import", "modification", "import"]
    assert import_file(store, first).unchanged == 1


def test_an_id_exported_by_maillage_is_kept_when_imported_elsewhere(store, tmp_path):
    source = tmp_path / "export.csv"
    source.write_text(
        "id,nom,adresse,code_postal,commune,date_maj\n"
        "0193a1c2-7d4e-7f00-8a1b-3c4d5e6f7a8b,Point numérique,1 place du Marché,16100,Cognac,2024-01-01\n",
        encoding="utf-8",
    )
    import_file(store, source)
    assert rows(store)[0]["id"] == "0193a1c2-7d4e-7f00-8a1b-3c4d5e6f7a8b"


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("vide.csv", b"", "vide"),
        ("image.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "pas un tableau"),
        ("ancien.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, ".xlsx"),
        ("cassé.json", b'[{"nom": "x",}]', "JSON"),
        ("entete.csv", b"nom;adresse;commune\n", "aucune ligne"),
    ],
)
def test_a_file_that_is_not_a_table_gets_a_clear_message_and_writes_nothing(store, name, data, expected):
    with pytest.raises(NotATable) as caught:
        import_bytes(store, data, name)
    assert name in str(caught.value) and expected in str(caught.value)
    assert counts(store) == {"structures": 0, "versions": 0}


def test_progress_is_reported_while_lines_are_read(store):
    seen = []
    import_file(store, SAMPLES[2], progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (90, 90) and len(seen) > 10
