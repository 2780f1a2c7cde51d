"""collect.readers: the files territories really have, read into rows of text."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collect.readers import EXTRA_KEY, Table, read_table, read_table_bytes
from models.errors import NotATable
from models.standard import standard_v0, standard_v1

ROOT = Path(__file__).resolve().parents[2]
DEMO = sorted((ROOT / "demo").glob("*.json"))
EXAMPLE_V1 = ROOT / "models" / "data" / "standard" / "exemple-valide.csv"
EXAMPLE_V0 = ROOT / "models" / "data" / "standard" / "v0.1.1" / "exemple-valide.csv"


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# --------------------------------------------------------------------------------------------
# CSV


def test_a_cp1252_file_with_semicolons_and_lost_zeros_is_read_as_typed(tmp_path):
    data = (
        "nom;code_postal;telephone;commune\r\n"
        "Médiathèque de l'Œuvre;1000;590123456;Bourg-en-Bresse\r\n"
        "Espace « numérique » – 2€;01000;0590123456;Saint-Étienne\r\n"
    ).encode("cp1252")
    table = read_table(write(tmp_path, "lieux.csv", data))
    assert (table.format, table.encoding, table.delimiter, table.sheet) == ("csv", "cp1252", ";", None)
    assert table.columns == ["nom", "code_postal", "telephone", "commune"]
    assert table.rows == [
        {"nom": "Médiathèque de l'Œuvre", "code_postal": "1000", "telephone": "590123456", "commune": "Bourg-en-Bresse"},
        {"nom": "Espace « numérique » – 2€", "code_postal": "01000", "telephone": "0590123456", "commune": "Saint-Étienne"},
    ]
    assert table.line_numbers == [2, 3]
    assert table.file == "lieux.csv"


def test_a_utf8_file_with_bom_and_tabs_loses_its_bom_from_the_first_column_name(tmp_path):
    data = "\ufeffnom\tcommune\tcourriels\nFabLab\tNouméa\ta@b.nc|c@d.nc\n".encode()
    table = read_table(write(tmp_path, "export.tsv", data))
    assert (table.encoding, table.delimiter) == ("utf-8-sig", "\t")
    assert table.columns == ["nom", "commune", "courriels"]
    assert table.rows == [{"nom": "FabLab", "commune": "Nouméa", "courriels": "a@b.nc|c@d.nc"}]


def test_a_latin1_file_with_a_byte_cp1252_leaves_undefined_is_still_read(tmp_path):
    data = b"nom,commune\nCaf\xe9 \x9d,S\xe8te\n"
    table = read_table(write(tmp_path, "latin.csv", data))
    assert table.encoding == "latin-1"
    assert table.rows == [{"nom": "Café \x9d", "commune": "Sète"}]


def test_a_utf8_file_with_a_few_pasted_cp1252_bytes_keeps_its_utf8_accents(tmp_path):
    data = "nom;commune\nMédiathèque;Sète\nÉcole;Nîmes\n".encode() + "Café;Orléans\n".encode("cp1252")
    table = read_table(write(tmp_path, "mixte.csv", data))
    assert table.encoding == "utf-8+cp1252"
    assert [row["nom"] for row in table.rows] == ["Médiathèque", "École", "Café"]
    assert [row["commune"] for row in table.rows] == ["Sète", "Nîmes", "Orléans"]


ROWS = [
    ["nom", "adresse", "horaires", "courriels"],
    ["Maison France Services", "12, rue de la Paix; bât. B", "Mo-Fr 09:00-12:00", "a@b.fr|c@d.fr"],
    ["L'« atelier » d'Amélie", 'Dit "le Hangar"\n2e étage', "", "contact@atelier.fr"],
    ["Tiers-lieu\tdu port", "Quai n°3", "Sa 10:00-12:00", ""],
]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_every_encoding_and_delimiter_gives_the_same_rows(tmp_path, encoding, delimiter):
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(ROWS)
    table = read_table(write(tmp_path, "lieux.csv", buffer.getvalue().encode(encoding)))
    assert table.delimiter == delimiter
    assert table.encoding == ("utf-8" if encoding == "utf-8" else encoding)
    assert table.columns == ROWS[0]
    assert table.rows == [dict(zip(ROWS[0], [value or None for value in row])) for row in ROWS[1:]]
    assert table.line_numbers == [2, 3, 5]  # the second record spans lines 3 and 4


def test_multi_line_quoted_cells_make_the_line_numbers_jump_and_blank_lines_are_skipped(tmp_path):
    data = (
        b'id,presentation,commune\n'
        b'1,"Premi\xc3\xa8re ligne\nDeuxi\xc3\xa8me, avec virgule\nTroisi\xc3\xa8me",Reims\n'
        b"\n"
        b"   \n"
        b"2,Court,Nancy\r\n"
        b",,\n"
        b'3,"Sur ""deux""\r\nlignes",Metz'
    )
    table = read_table(write(tmp_path, "multi.csv", data))
    assert table.rows == [
        {"id": "1", "presentation": "Première ligne\nDeuxième, avec virgule\nTroisième", "commune": "Reims"},
        {"id": "2", "presentation": "Court", "commune": "Nancy"},
        {"id": "3", "presentation": 'Sur "deux"\r\nlignes', "commune": "Metz"},
    ]
    assert table.line_numbers == [2, 7, 9]


def test_values_and_header_names_are_stripped_and_empty_cells_become_none(tmp_path):
    data = "  nom ; code postal  ;commune \n  Mairie  ;   ; Reims \n".encode()
    table = read_table(write(tmp_path, "blancs.csv", data))
    assert table.columns == ["nom", "code postal", "commune"]
    assert table.rows == [{"nom": "Mairie", "code postal": None, "commune": "Reims"}]


def test_a_row_with_too_many_cells_keeps_them_under_extra_and_a_short_row_gets_none(tmp_path):
    data = b"nom;commune;code_postal\nA;Reims;51100;en trop;encore\nB;Metz\nC;Nancy;54000;;\n"
    table = read_table(write(tmp_path, "bancal.csv", data))
    assert table.rows == [
        {"nom": "A", "commune": "Reims", "code_postal": "51100", EXTRA_KEY: "en trop;encore"},
        {"nom": "B", "commune": "Metz", "code_postal": None},
        {"nom": "C", "commune": "Nancy", "code_postal": "54000"},
    ]
    assert EXTRA_KEY not in table.columns


def test_duplicate_and_empty_header_names_get_a_name_and_empty_unnamed_columns_are_dropped(tmp_path):
    data = b"nom;nom;;tel;;\nA;B;C;0102;;\nD;E;;0304;;\n"
    table = read_table(write(tmp_path, "doublons.csv", data))
    assert table.columns == ["nom", "nom_2", "colonne_3", "tel"]
    assert table.rows == [
        {"nom": "A", "nom_2": "B", "colonne_3": "C", "tel": "0102"},
        {"nom": "D", "nom_2": "E", "colonne_3": None, "tel": "0304"},
    ]


def test_the_delimiter_is_the_one_consistent_with_the_first_lines_not_the_one_in_quotes(tmp_path):
    data = b'"nom, complet";"adresse, voie";commune\n"Dupont, Jean";"1, rue A";Reims\n"B";"2, rue B";Metz\n'
    table = read_table(write(tmp_path, "quotes.csv", data))
    assert table.delimiter == ";"
    assert table.rows[0] == {"nom, complet": "Dupont, Jean", "adresse, voie": "1, rue A", "commune": "Reims"}


def test_a_file_without_any_delimiter_is_a_one_column_table(tmp_path):
    data = "adresses\n12, rue de la Paix à Reims\n3 place Stanislas\n".encode()
    table = read_table(write(tmp_path, "une-colonne.txt", data))
    assert (table.columns, table.delimiter) == (["adresses"], None)
    assert table.rows == [{"adresses": "12, rue de la Paix à Reims"}, {"adresses": "3 place Stanislas"}]


def test_a_quote_never_closed_is_reported_with_the_line_where_it_opens(tmp_path):
    data = b'nom;commune\nA;Reims\n"B;Metz\nC;Nancy\n'
    with pytest.raises(NotATable) as caught:
        read_table(write(tmp_path, "guillemet.csv", data))
    assert str(caught.value).startswith("guillemet.csv : ligne 3 : un guillemet")


def test_a_json_file_named_csv_is_read_as_json_because_the_content_decides(tmp_path):
    table = read_table(write(tmp_path, "lieux.csv", b'  [{"nom": "A", "latitude": 45.5}]'))
    assert (table.format, table.rows) == ("json", [{"nom": "A", "latitude": "45.5"}])


def test_a_csv_whose_first_column_is_named_pk_is_not_taken_for_a_zip(tmp_path):
    table = read_table(write(tmp_path, "export-base.csv", b"PK,nom\n1,Mairie\n"))
    assert (table.format, table.rows) == ("csv", [{"PK": "1", "nom": "Mairie"}])


def test_read_table_and_read_table_bytes_give_the_same_table(tmp_path):
    data = b"nom;commune\nA;Reims\n"
    path = write(tmp_path, "a.csv", data)
    assert read_table(path) == read_table_bytes(data, "a.csv")
    assert read_table(str(path), name="Mon import").file == "Mon import"


def test_reading_20000_rows_takes_well_under_a_second(tmp_path):
    header = ",".join(standard_v1().field_names)
    line = ",".join(f"valeur {i}" for i in range(32))
    path = write(tmp_path, "gros.csv", (header + "\n" + "\n".join(line for _ in range(20_000)) + "\n").encode())
    started = time.perf_counter()
    table = read_table(path)
    elapsed = time.perf_counter() - started
    assert len(table.rows) == 20_000 and table.line_numbers[-1] == 20_001
    assert elapsed < 2.0, f"{elapsed:.2f} s"


# --------------------------------------------------------------------------------------------
# XLSX


def xlsx_bytes(build) -> bytes:
    workbook = openpyxl.Workbook()
    build(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_an_xlsx_sheet_gives_its_cells_as_the_text_a_person_sees(tmp_path):
    def build(workbook):
        sheet = workbook.active
        sheet.title = "Lieux"
        sheet.append([])
        sheet.append(["  nom ", "code_postal", "telephone", "date_maj", "latitude", "siret", "itinerance", "rdv"])
        sheet.append(["Médiathèque ", 1000, 590123456, dt.date(2024, 4, 2), 45.681367, 5.9e8, True, None])
        sheet.append([None] * 8)
        sheet.append(["Mairie", 51100.0, 590123456.0, dt.datetime(2024, 4, 2), -0.331217, 12345678901234.0, False, "x"])
        sheet.append(["Agence", "01000", "0590123456", dt.datetime(2024, 4, 2, 14, 30), 0.1 + 0.2, 1e-7, None, None])

    table = read_table(write(tmp_path, "lieux.xlsx", xlsx_bytes(build)))
    assert (table.format, table.sheet, table.encoding, table.delimiter) == ("xlsx", "Lieux", None, None)
    assert table.columns == ["nom", "code_postal", "telephone", "date_maj", "latitude", "siret", "itinerance", "rdv"]
    assert table.rows == [
        {"nom": "Médiathèque", "code_postal": "1000", "telephone": "590123456", "date_maj": "2024-04-02",
         "latitude": "45.681367", "siret": "590000000", "itinerance": "Oui", "rdv": None},
        {"nom": "Mairie", "code_postal": "51100", "telephone": "590123456", "date_maj": "2024-04-02",
         "latitude": "-0.331217", "siret": "12345678901234", "itinerance": "Non", "rdv": "x"},
        {"nom": "Agence", "code_postal": "01000", "telephone": "0590123456", "date_maj": "2024-04-02 14:30",
         "latitude": "0.3", "siret": "0.0000001", "itinerance": None, "rdv": None},
    ]
    assert table.line_numbers == [3, 5, 6]


def test_xlsx_digit_formats_keep_the_zeros_excel_shows(tmp_path):
    def build(workbook):
        sheet = workbook.active
        sheet.append(["code_postal", "telephone"])
        sheet.append([1000, 590123456])
        sheet["A2"].number_format = "00000"
        sheet["B2"].number_format = "0# ## ## ## ##"

    table = read_table(write(tmp_path, "formats.xlsx", xlsx_bytes(build)))
    assert table.rows == [{"code_postal": "01000", "telephone": "05 90 12 34 56"}]


def test_merged_or_empty_header_cells_are_named_colonne_n(tmp_path):
    def build(workbook):
        sheet = workbook.active
        sheet.append(["Contact", None, "nom", None])
        sheet.merge_cells("A1:B1")
        sheet.append(["Jean", "0102030405", "Mairie", None])

    table = read_table(write(tmp_path, "fusion.xlsx", xlsx_bytes(build)))
    assert table.columns == ["Contact", "colonne_2", "nom"]
    assert table.rows == [{"Contact": "Jean", "colonne_2": "0102030405", "nom": "Mairie"}]


def two_sheets(workbook):
    workbook.active.title = "Notice"
    workbook.active.append(["Lisez-moi"])
    data = workbook.create_sheet("Données")
    data.append(["nom", "commune"])
    data.append(["A", "Reims"])


def test_a_sheet_is_chosen_by_name_and_an_unknown_sheet_lists_those_that_exist(tmp_path):
    path = write(tmp_path, "classeur.xlsx", xlsx_bytes(two_sheets))
    table = read_table(path, sheet="Données")
    assert (table.sheet, table.rows) == ("Données", [{"nom": "A", "commune": "Reims"}])
    assert read_table(path, sheet=" données ").sheet == "Données"
    with pytest.raises(NotATable) as caught:
        read_table(path, sheet="Feuil3")
    assert str(caught.value) == (
        "classeur.xlsx : la feuille « Feuil3 » n'existe pas ; feuilles du classeur : « Notice », « Données »"
    )


def test_the_first_sheet_is_read_by_default(tmp_path):
    path = write(tmp_path, "classeur.xlsx", xlsx_bytes(two_sheets))
    with pytest.raises(NotATable, match="aucune ligne de données"):
        read_table(path)


def test_an_empty_first_sheet_points_to_the_other_sheets(tmp_path):
    def build(workbook):
        workbook.active.title = "Feuil1"
        workbook.create_sheet("Lieux").append(["nom"])

    with pytest.raises(NotATable) as caught:
        read_table(write(tmp_path, "vide.xlsx", xlsx_bytes(build)))
    assert str(caught.value) == "vide.xlsx : la feuille « Feuil1 » est vide ; autres feuilles : « Lieux » (choisissez-en une)"


def test_an_xlsx_named_csv_is_read_as_xlsx(tmp_path):
    def build(workbook):
        workbook.active.append(["nom"])
        workbook.active.append(["A"])

    assert read_table(write(tmp_path, "faux.csv", xlsx_bytes(build))).format == "xlsx"


# --------------------------------------------------------------------------------------------
# JSON


def test_a_json_array_gives_text_values_and_the_union_of_keys_in_first_seen_order(tmp_path):
    items = [
        {"nom": "A", "latitude": 45.681367, "longitude": -0.331217, "code_postal": "16100"},
        {},
        {"nom": " B ", "latitude": 43.0, "itinerance": True, "courriels": ["a@b.fr", "c@d.fr"], "pivot": 43493312300029},
        {"nom": "C", "horaires": {"lundi": "9h-12h"}, "services": [], "latitude": None, "frais": 1e-05},
    ]
    table = read_table(write(tmp_path, "lieux.json", json.dumps(items, indent=2).encode()))
    assert (table.format, table.encoding, table.delimiter) == ("json", "utf-8", None)
    assert table.columns == [
        "nom", "latitude", "longitude", "code_postal", "itinerance", "courriels", "pivot", "horaires", "services", "frais"
    ]
    empty = dict.fromkeys(table.columns)
    assert table.rows == [
        {**empty, "nom": "A", "latitude": "45.681367", "longitude": "-0.331217", "code_postal": "16100"},
        {**empty, "nom": "B", "latitude": "43", "itinerance": "Oui", "courriels": "a@b.fr|c@d.fr",
         "pivot": "43493312300029"},
        {**empty, "nom": "C", "horaires": '{"lundi": "9h-12h"}', "frais": "0.00001"},
    ]
    assert table.line_numbers == [1, 3, 4]


@pytest.mark.parametrize("key", ["data", "lieux"])
def test_an_object_holding_a_single_list_of_objects_is_read_as_that_list(tmp_path, key):
    document = {"meta": {"total": 1}, key: [{"nom": "A"}]}
    table = read_table(write(tmp_path, "api.json", json.dumps(document).encode()))
    assert (table.columns, table.rows) == (["nom"], [{"nom": "A"}])


def test_a_geojson_feature_collection_gives_properties_and_point_coordinates(tmp_path):
    document = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [5.41423, 43.52609]},
                      "properties": {"nom": "A"}}],
    }
    table = read_table(write(tmp_path, "carte.geojson", json.dumps(document).encode()))
    assert table.rows == [{"nom": "A", "longitude": "5.41423", "latitude": "43.52609"}]


def test_the_three_demo_files_give_924_rows_with_coordinates_as_text():
    tables = [read_table(path) for path in DEMO]
    assert [len(t.rows) for t in tables] == [646, 188, 90]
    assert sum(len(t.rows) for t in tables) == 924
    charente = tables[1]
    assert charente.line_numbers[:3] == [1, 2, 3]
    assert charente.rows[0] == {
        "id": "mediation-numerique-conseiller-numerique-63d29db4e6d6a806f256459a-mediation-numerique",
        "nom": "Médiathèque chateaubernard",
        "services": "Maîtrise des outils numériques du quotidien|Compréhension du monde numérique",
        "pivot": "00000000000000",
        "typologie": "RFS",
        "commune": "CHÂTEAUBERNARD",
        "code_postal": "16100",
        "adresse": "allée des justes de France",
        "latitude": "45.681367",
        "longitude": "-0.331217",
        "frais_a_charge": "Gratuit",
        "modalites_accompagnement": "Accompagnement individuel",
        "accessibilite": "https://acceslibre.beta.gouv.fr/app/16-chateaubernard/a/mairie/erp/mairie-chateaubernard/",
        "labels_nationaux": "CNFS;France Services",
        "source": "conseiller-numerique",
        "date_maj": "2023-02-22",
        "telephone": None,
        "site_web": None,
        "horaires": None,
        "courriel": None,
        "publics_accueillis": None,
        "code_insee": None,
    }
    for path, table in zip(DEMO, tables):
        items = json.loads(path.read_text(encoding="utf-8"))
        assert len(items) == len(table.rows)
        for row, item in zip(table.rows, items):
            latitude = item.get("latitude")
            if latitude is None:
                assert row.get("latitude") is None
            else:
                assert row["latitude"] == (str(int(latitude)) if latitude.is_integer() else repr(latitude))


@pytest.mark.parametrize(("path", "standard"), [(EXAMPLE_V1, standard_v1), (EXAMPLE_V0, standard_v0)])
def test_the_standards_valid_examples_are_read_with_every_field(path, standard):
    table = read_table(path)
    assert (table.format, table.delimiter, table.line_numbers) == ("csv", ",", [2])
    assert tuple(table.columns) == standard().field_names
    assert table.rows[0]["id"] == "structure-1"
    assert table.rows[0]["latitude"] == "43.52609"
    assert all(value is not None for value in table.rows[0].values())


# --------------------------------------------------------------------------------------------
# Not a table


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member, content in members.items():
            archive.writestr(member, content)
    return buffer.getvalue()


NOT_TABLES = [
    ("vide.csv", b"", "le fichier est vide"),
    ("blancs.csv", b" \r\n\r\n\t", "le fichier est vide"),
    ("bom.csv", b"\xef\xbb\xbf", "le fichier est vide"),
    ("photo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "ce n'est pas un tableau (fichier binaire : image PNG ?)"),
    ("lieux.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "ce n'est pas un tableau (fichier binaire : PDF ?)"),
    ("lieux.csv", b"%PDF-1.4\n", "ce n'est pas un tableau (fichier binaire : PDF ?)"),
    ("inconnu.bin", b"\x00\x01\x02\x03abc\x00", "ce n'est pas un tableau (fichier binaire de format inconnu)"),
    ("ancien.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "ancien format Excel (.xls)"),
    ("protege.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "protégé par mot de passe"),
    ("archive.zip", zip_bytes({"lieux.txt": b"a;b\n1;2\n"}), "archive zip, pas un classeur Excel"),
    ("abime.xlsx", b"PK\x03\x04tronque", "archive zip endommagée"),
    ("faux.xlsx", zip_bytes({"xl/workbook.xml": b"<pas du xml"}), "classeur Excel (.xlsx) illisible"),
    ("classeur.ods", zip_bytes({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"}), "(.ods)"),
    ("vide.xlsx", xlsx_bytes(lambda workbook: None), "la feuille « Sheet » est vide"),
    ("entete.csv", b"nom;commune;code_postal\r\n", "aucune ligne de données"),
    ("entete2.csv", b"nom;commune\n;;\n\n", "aucune ligne de données"),
    ("casse.json", b'[\n  {"nom": "A",}\n]', "JSON invalide ligne 2, colonne 15 : "),
    ("tronque.json", b'[{"nom": "A"', "JSON invalide ligne 1, colonne 13 : virgule attendue"),
    ("nombres.json", b"[1, 2, 3]", "l'élément n°1 de la liste JSON n'est pas un objet (un nombre)"),
    ("objet.json", b'{"nom": "A", "commune": "B"}', "le JSON n'est pas une liste d'objets"),
    ("deux.json", b'{"a": [{"x": 1}], "b": [{"y": 2}]}', "seule liste (clés trouvées : « a », « b »)"),
    ("liste-vide.json", b"[]", "la liste JSON est vide"),
    ("objets-vides.json", b"[{}, {}]", "aucune ligne de données"),
    ("page.csv", b"<!DOCTYPE html><html><body>Erreur</body></html>", "page web (HTML)"),
    ("export.xls", b'<?xml version="1.0"?><Workbook/>', "fichier XML"),
]


@pytest.mark.parametrize(("name", "data", "reason"), NOT_TABLES, ids=[case[0] for case in NOT_TABLES])
def test_a_file_that_is_not_a_table_raises_not_a_table_naming_the_file(tmp_path, name, data, reason):
    with pytest.raises(NotATable) as caught:
        read_table(write(tmp_path, name, data))
    assert caught.value.file == name
    assert str(caught.value).startswith(f"{name} : ")
    assert reason in caught.value.reason


def test_a_missing_path_or_a_folder_raises_not_a_table(tmp_path):
    with pytest.raises(NotATable, match="absent.csv : fichier introuvable"):
        read_table(tmp_path / "absent.csv")
    with pytest.raises(NotATable, match="c'est un dossier"):
        read_table(tmp_path)


def test_a_table_is_a_plain_dataclass():
    table = Table(file="f", format="csv", columns=["a"], rows=[{"a": "1"}], line_numbers=[2], encoding="utf-8",
                  delimiter=";", sheet=None)
    assert table.rows == [{"a": "1"}]


# --------------------------------------------------------------------------------------------
# Any bytes at all


PREFIXES = st.sampled_from([b"", b"PK\x03\x04", b"[", b"{", b"nom;commune\n", b'"', b"\xef\xbb\xbf", b"\xff\xfe"])


@settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(prefix=PREFIXES, data=st.binary(max_size=300))
def test_any_bytes_give_a_table_or_not_a_table_and_nothing_else(prefix, data):
    try:
        table = read_table_bytes(prefix + data, "aleatoire.bin")
    except NotATable as error:
        assert error.file == "aleatoire.bin" and error.reason
    else:
        assert table.rows and len(table.rows) == len(table.line_numbers)
        assert all(isinstance(v, str) or v is None for row in table.rows for v in row.values())


CELL = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from('\n\r\t";,| '), max_size=12
)


@settings(max_examples=100, deadline=None, database=None)
@given(
    rows=st.lists(st.tuples(CELL, CELL, CELL), min_size=1, max_size=8),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]),
)
def test_any_csv_written_by_python_reads_back_to_the_same_stripped_values(rows, delimiter, encoding):
    columns = ["nom", "commune", "code_postal"]
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter).writerows([columns, *rows])
    expected = [dict(zip(columns, [v.strip() or None for v in row])) for row in rows]
    expected = [row for row in expected if any(row.values())]
    try:
        table = read_table_bytes(buffer.getvalue().encode(encoding), "ecrit.csv")
    except NotATable as error:
        assert not expected and "aucune ligne" in error.reason
    else:
        assert table.columns == columns
        assert table.rows == expected
