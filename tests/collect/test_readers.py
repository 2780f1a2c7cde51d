"""collect.readers: the files territories really have, read into rows of text."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import pickle
import sys
import time
import zipfile
import zlib
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collect.demo import DEMO_DIR
from collect.readers import EXTRA_KEY, MAX_SHEET_ROWS, Table, read_table, read_table_bytes
from models.errors import NotATable
from models.standard import standard_v0, standard_v1

ROOT = Path(__file__).resolve().parents[2]
DEMO = sorted(DEMO_DIR.glob("*.json"))
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
    assert table.rows == [dict(zip(ROWS[0], [value or None for value in row], strict=True)) for row in ROWS[1:]]
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
    data = b"  nom ; code postal  ;commune \n  Mairie  ;   ; Reims \n"
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


def test_rows_share_their_column_names_so_a_big_file_holds_its_cells_not_one_dict_a_line(tmp_path):
    lines = "".join(f"Lieu {n};Reims;5110{n % 10};;\n" for n in range(1000))
    table = read_table(write(tmp_path, "lieux.csv", ("nom;commune;code_postal;;\n" + lines).encode()))
    row = table.rows[7]
    assert dict(row) == {"nom": "Lieu 7", "commune": "Reims", "code_postal": "51107"}  # the empty unnamed: gone
    assert (row.get("colonne_4"), "colonne_4" in row, row.get("absente", "?")) == (None, False, "?")
    with pytest.raises(KeyError):
        row["colonne_4"]
    assert table.column("code_postal")[:3] == ["51100", "51101", "51102"]
    assert sys.getsizeof(row) + sys.getsizeof(row._cells) < sys.getsizeof(dict(row))
    # Sent to a worker process a chunk at a time: the column names travel once, not once a line.
    assert pickle.loads(pickle.dumps(table.rows)) == table.rows
    assert len(pickle.dumps(table.rows)) < 30 * len(table.rows)


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
    started = time.process_time()  # this process's CPU time: a loaded machine does not change it
    table = read_table(path)
    elapsed = time.process_time() - started
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


def test_an_xlsx_and_a_csv_of_the_same_cells_give_the_same_table(tmp_path):
    cells = [["nom", "code_postal", "commune", "latitude"], ["Médiathèque", "51100", "Reims", "49.2583"],
             ["Mairie", "01000", "Bourg-en-Bresse", "46.2052"], ["Agence", None, "Nouméa", "-22.2758"]]
    sheet = xlsx_bytes(lambda workbook: [workbook.active.append(row) for row in cells])
    text = "\n".join(";".join(value or "" for value in row) for row in cells).encode()
    from_xlsx, from_csv = read_table(write(tmp_path, "l.xlsx", sheet)), read_table(write(tmp_path, "l.csv", text))
    assert (from_xlsx.columns, from_xlsx.rows, from_xlsx.line_numbers) == (
        from_csv.columns, from_csv.rows, from_csv.line_numbers)


def test_a_table_lower_right_in_the_sheet_keeps_its_line_numbers_and_columns(tmp_path):
    def build(workbook):
        sheet = workbook.active
        sheet["C3"], sheet["D3"] = "nom", "commune"
        sheet["C4"], sheet["D4"] = "Mairie", "Reims"
        sheet["D6"] = "Épernay"

    table = read_table(write(tmp_path, "decale.xlsx", xlsx_bytes(build)))
    assert (table.columns, table.header_line, table.line_numbers) == (["nom", "commune"], 3, [4, 6])
    assert table.rows == [{"nom": "Mairie", "commune": "Reims"}, {"nom": None, "commune": "Épernay"}]


def test_error_cells_and_numbers_under_a_date_format_outside_the_dates_read_as_excel_shows_them(tmp_path):
    def build(workbook):
        sheet = workbook.active
        sheet.append(["nom", "calcul", "date"])
        sheet.append(["Mairie", "#N/A", 45000])
        sheet.append(["Agence", "#DIV/0!", 1e20])
        sheet.append(["Espace", "#REF!", -1])
        for row in (2, 3, 4):
            sheet.cell(row, 3).number_format = "dd/mm/yyyy"

    table = read_table(write(tmp_path, "erreurs.xlsx", xlsx_bytes(build)))
    assert table.rows == [{"nom": "Mairie", "calcul": "#N/A", "date": "2023-03-15"},
                          {"nom": "Agence", "calcul": "#DIV/0!", "date": "#VALUE!"},
                          {"nom": "Espace", "calcul": "#REF!", "date": "1899-12-29"}]



def test_a_cell_calamine_cannot_read_does_not_stop_the_file_being_read(tmp_path):
    def build(workbook):
        sheet = workbook.active
        sheet.append(["nom", "durée"])
        sheet.append(["Mairie", 1e20])  # a duration of 10^20 days: calamine gives up on the sheet
        sheet.append(["Agence", 1.5])
        sheet["B2"].number_format = sheet["B3"].number_format = "[h]:mm"

    table = read_table(write(tmp_path, "durees.xlsx", xlsx_bytes(build)))
    assert table.rows == [{"nom": "Mairie", "durée": "#VALUE!"}, {"nom": "Agence", "durée": "1 day, 12:00:00"}]

# The sheets below are written as XML (fast, and as other producers write them), in an openpyxl workbook.

MAIN = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def sheet_xml_xlsx(sheet_data: bytes, *, dimension: str | None = None, prefix: bytes = b"") -> bytes:
    """An .xlsx whose only sheet, « Lieux », holds ``sheet_data`` (the rows, as XML)."""
    workbook = openpyxl.Workbook()
    workbook.active.title = "Lieux"
    buffer = io.BytesIO()
    workbook.save(buffer)
    namespace = b'xmlns:%s="%s"' % (prefix[:-1], MAIN) if prefix else b'xmlns="%s"' % MAIN
    sheet = (b"<%sworksheet %s>" % (prefix, namespace)
             + (b'<%sdimension ref="%s"/>' % (prefix, dimension.encode()) if dimension else b"")
             + b"<%ssheetData>" % prefix + sheet_data + b"</%ssheetData></%sworksheet>" % (prefix, prefix))
    output = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source, \
            zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            archive.writestr(info.filename, sheet if info.filename == "xl/worksheets/sheet1.xml" else source.read(info))
    return output.getvalue()


def text_row(row: int, cells: dict[str, str]) -> bytes:
    return b'<row r="%d">' % row + b"".join(
        b'<c r="%s%d" t="inlineStr"><is><t>%s</t></is></c>' % (column.encode(), row, text.encode())
        for column, text in cells.items()) + b"</row>"


def test_a_sheet_announcing_a_huge_range_but_holding_a_few_rows_is_read(tmp_path):
    data = sheet_xml_xlsx(text_row(1, {"A": "nom", "B": "commune"}) + text_row(2, {"A": "Mairie", "B": "Reims"})
                          + b'<row r="999999" s="1" customFormat="1"><c r="T999999" s="1"/></row>',
                          dimension="A1:T1000000")
    table = read_table(write(tmp_path, "plage.xlsx", data))
    assert (table.rows, table.line_numbers) == ([{"nom": "Mairie", "commune": "Reims"}], [2])


def test_a_sheet_written_with_a_namespace_prefix_and_without_cell_references_is_read(tmp_path):
    rows = (b"<x:row><x:c t=\"inlineStr\"><x:is><x:t>nom</x:t></x:is></x:c><x:c t=\"inlineStr\"><x:is><x:t>cp"
            b"</x:t></x:is></x:c></x:row><x:row><x:c t=\"inlineStr\"><x:is><x:t>Mairie</x:t></x:is></x:c>"
            b"<x:c><x:v>51100</x:v></x:c></x:row>")
    table = read_table(write(tmp_path, "prefixe.xlsx", sheet_xml_xlsx(rows, prefix=b"x:")))
    assert (table.rows, table.line_numbers) == ([{"nom": "Mairie", "cp": "51100"}], [2])


BEYOND_LIMITS = [
    ("colonnes.xlsx", text_row(1, {"A": "nom", "SH": "x"}) + text_row(2, {"A": "Mairie"}),
     "des valeurs jusqu'à la colonne SH (502e colonne, cellule SH1), plus que les 500 colonnes qu'un import accepte"),
    ("isolee.xlsx", text_row(1, {"A": "nom"}) + text_row(2, {"A": "Mairie"}) + text_row(900_000, {"A": "x"}),
     ("des valeurs de la ligne 1 à la ligne 900\u202f000 (3 lignes remplies, 1 colonne), plus que les 300\u202f000 "
      "lignes qu'un import accepte")),
    ("cellules.xlsx", text_row(1, {"A": "nom"}) + text_row(2, {"A": "Mairie"}) + text_row(100_000, {"GS": "x"}),
     ("100\u202f000 lignes × 201 colonnes = 20\u202f100\u202f000 cellules (des valeurs jusqu'à la ligne 100\u202f000 "
      "et la colonne GS), plus que les 20\u202f000\u202f000 cellules qu'un import accepte")),
]


@pytest.mark.parametrize(("name", "rows", "found"), BEYOND_LIMITS, ids=[case[0] for case in BEYOND_LIMITS])
def test_a_sheet_beyond_the_limits_is_refused_naming_the_file_the_sheet_what_is_there_and_the_limits(
        tmp_path, name, rows, found):
    with pytest.raises(NotATable) as caught:
        read_table(write(tmp_path, name, sheet_xml_xlsx(rows)))
    assert str(caught.value) == (
        f"{name} : feuille « Lieux » trop grande pour un import : {found} ; limites d'un import : 300\u202f000 "
        "lignes, 500 colonnes, 20\u202f000\u202f000 cellules. Découpez le tableau en fichiers plus petits, ou "
        "supprimez les lignes et colonnes en trop (une valeur isolée loin du tableau suffit à l'étendre).")


def test_a_sheet_really_holding_more_rows_than_the_limit_is_refused_as_soon_as_the_scan_passes_it(tmp_path):
    rows = b"".join(b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (r, r, r) for r in range(1, MAX_SHEET_ROWS + 50_001))
    data = sheet_xml_xlsx(rows, dimension=f"A1:A{MAX_SHEET_ROWS + 50_000}")
    with pytest.raises(NotATable) as caught:
        read_table(write(tmp_path, "enorme.xlsx", data))
    message = str(caught.value)
    assert message.startswith("enorme.xlsx : feuille « Lieux » trop grande pour un import : des valeurs de la ligne 1 "
                              "à la ligne ")
    assert "au moins" in message  # refused before the end of the sheet, not after reading it all
    assert "plus que les 300\u202f000 lignes qu'un import accepte ; la feuille annonce la plage A1:A350000" in message


def patched_central_directory(data: bytes, member: str, *, size: int, crc: int | None = None) -> bytes:
    """``data`` (a zip) whose central directory announces ``size`` bytes (and ``crc``) for ``member``."""
    patched, position = bytearray(data), 0
    while True:
        position = data.index(b"PK\x01\x02", position)
        name_length = int.from_bytes(data[position + 28: position + 30], "little")
        if data[position + 46: position + 46 + name_length].decode() == member:
            break
        position += 46
    patched[position + 24: position + 28] = size.to_bytes(4, "little")
    if crc is not None:
        patched[position + 16: position + 20] = crc.to_bytes(4, "little")
    return bytes(patched)


def test_an_xlsx_announcing_gigabytes_once_inflated_is_refused_before_inflating_anything(tmp_path):
    data = patched_central_directory(sheet_xml_xlsx(text_row(1, {"A": "nom"})), "xl/worksheets/sheet1.xml",
                                     size=3_000_000_000)
    with pytest.raises(NotATable) as caught:
        read_table(write(tmp_path, "bombe.xlsx", data))
    assert str(caught.value).startswith(
        "bombe.xlsx : classeur Excel (.xlsx) de 3,0 Go une fois décompressé, plus que les 2,0 Go qu'un import accepte")


def test_a_part_inflating_beyond_its_announced_size_is_refused(tmp_path):
    sheet_data = text_row(1, {"A": "nom"}) + text_row(2, {"A": "Mairie"}) * 2000
    data = sheet_xml_xlsx(sheet_data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        start = archive.read("xl/worksheets/sheet1.xml")[:1000]
    # What zipfile would accept: the first 1 000 bytes and their CRC; the rest would be inflated unseen.
    data = patched_central_directory(data, "xl/worksheets/sheet1.xml", size=1000, crc=zlib.crc32(start))
    with pytest.raises(NotATable) as caught:
        read_table(write(tmp_path, "piege.xlsx", data))
    assert str(caught.value) == ("piege.xlsx : classeur Excel (.xlsx) anormal : la partie « xl/worksheets/sheet1.xml » "
                                 "se décompresse au-delà des 1,0 ko annoncés (archive piégée ?)")


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
    for path, table in zip(DEMO, tables, strict=True):
        items = json.loads(path.read_text(encoding="utf-8"))
        assert len(items) == len(table.rows)
        for row, item in zip(table.rows, items, strict=True):
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
    expected = [dict(zip(columns, [v.strip() or None for v in row], strict=True)) for row in rows]
    expected = [row for row in expected if any(row.values())]
    try:
        table = read_table_bytes(buffer.getvalue().encode(encoding), "ecrit.csv")
    except NotATable as error:
        assert not expected and "aucune ligne" in error.reason
    else:
        assert table.columns == columns
        assert table.rows == expected


@settings(max_examples=300)
@given(text=st.text(alphabet=st.sampled_from("ab;\"\r\n"), max_size=60), block=st.integers(1, 8))
def test_a_big_text_is_cut_into_the_same_lines_a_block_at_a_time(text, block):
    """A 100 MB CSV is read a block at a time (a StringIO of it all would hold 450 MB): the lines, with
    their \\n, \\r\\n or \\r ends, are exactly those of the whole text, wherever a block ends."""
    from collect.readers import _lines_of

    assert list(_lines_of(text, block)) == list(io.StringIO(text, newline=""))
