"""End to end: a coordinator imports a hub's export whose column names say nothing, in a real
browser. The simulation reads the columns by their content; the coordinator names the column of
the names and corrects a translation right in the tables, saves that as the hub's import profile,
loads the file again (the profile is recognised by its header) and imports it.

The two tables are ``st.data_editor`` grids (Glide Data Grid): drawn on a canvas, with an
accessible copy of their cells in the page (``glide-cell-<column>-<row>``) to read them. A cell is
edited as with the keyboard: click the row's first cell, arrow to the column, Enter opens its editor
(clicking at a column's computed x would depend on the column widths, which follow the content)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from models.store import Store
from models.text import figure

from .conftest import settled

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

ROW_HEIGHT = 35  # px, a grid row (Streamlit's default); the header is row 0 on the canvas
DEMO_COUNT = 924

HUB_CSV = """Structure accueillante;Où;Joindre;Écrire;Genre;MAJ
Médiathèque l'Alpha;1 rue Coligny 16000 Angoulême;05 45 94 56 00;alpha@example.fr;Médiathèque;12/03/2024
Mairie de Soyaux;Place de la mairie 16800 Soyaux;05 45 97 41 00;mairie@soyaux.fr;Mairie;05/02/2024
Association Les Petits Débrouillards;12 rue de Périgueux 16000 Angoulême;05 45 38 90 12;contact@pd16.fr;Association;
Médiathèque de Ma Campagne;Rue Pierre Aumaître 16000 Angoulême;05 45 61 20 30;macampagne@example.fr;Médiathèque;20/01/2024
Mairie de Gond-Pontouvre;Route de Paris 16160 Gond-Pontouvre;05 45 68 31 44;accueil@gond.fr;Mairie;
Association Cyber 16;3 rue Saint-Roch 16000 Angoulême;05 45 92 11 22;cyber16@example.fr;Association;14/02/2024
"""


def _grid(page, column: str):
    """The table having this column (its accessible header cell: the canvas hides it from roles)."""
    header = page.locator("th[role='columnheader']", has_text=re.compile(f"^{re.escape(column)}$"))
    return page.get_by_test_id("stDataFrame").filter(has=header)


def _cell(grid, row: int, column: int):
    """A cell's text (row 0: the first line under the header)."""
    return grid.get_by_test_id(f"glide-cell-{column}-{row}")


def _open_cell(page, grid, row: int, column: int):
    """Open a cell's editor; returns it once open (keys typed before would be lost)."""
    settled(page)
    expect(_cell(grid, row, 0)).not_to_have_text("")  # the grid is drawn
    grid.click(position={"x": 10, "y": ROW_HEIGHT * (row + 1) + ROW_HEIGHT / 2})
    for _ in range(column):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    editor = page.get_by_test_id("portal").locator(".gdg-clip-region")
    expect(editor).to_be_visible(timeout=15_000)
    return editor


def _until_shown(page, edit, cell, text: str, tries: int = 3) -> None:
    """Make a grid edit and wait for the page to show its effect; an edit the canvas grid dropped while
    the page was redrawing (a busy machine) is made again, as a person would."""
    for attempt in range(tries):
        try:
            edit()
            settled(page)
            expect(cell()).to_have_text(text, timeout=20_000)
            return
        except (AssertionError, PlaywrightTimeout):
            # A redraw between the click and the keys opened another cell's editor, or none.
            if attempt == tries - 1:
                raise
            page.keyboard.press("Escape")
            page.keyboard.press("Escape")


def _choose_file(page, path: Path) -> None:
    """Choose the file in the file chooser, as a person does (the same file a second time too)."""
    settled(page)
    with page.expect_file_chooser() as chooser:
        page.get_by_test_id("stFileUploaderDropzone").click()
    chooser.value.set_files(str(path))


def _metric(page, label: str):
    return page.get_by_test_id("stMetric").filter(has_text=label).first.get_by_test_id("stMetricValue")


def _no_exception(page) -> None:
    assert page.locator("[data-testid='stException']").count() == 0


def _simulate(page) -> None:
    settled(page)
    page.get_by_role("button", name="Simuler l'import").click()
    expect(page.get_by_role("heading", name="Correspondance des colonnes")).to_be_visible()


def test_a_hub_export_is_read_by_its_content_corrected_saved_as_a_profile_then_imported(
    demo_app, page, tmp_path: Path
):
    url, db = demo_app
    export = tmp_path / "lieux.csv"
    export.write_text(HUB_CSV, encoding="utf-8")
    page.goto(url + "/importer")
    expect(page.get_by_role("heading", name="Import")).to_be_visible()
    _choose_file(page, export)
    _simulate(page)

    # The column table: each column of the file, the field its content gave.
    columns = _grid(page, "Colonne du fichier")
    expect(_cell(columns, 0, 0)).to_have_text("Structure accueillante")
    expect(_cell(columns, 0, 1)).to_have_text("(aucun champ)")
    expect(_cell(columns, 1, 0)).to_have_text("Où")
    expect(_cell(columns, 1, 1)).to_have_text("adresse")
    expect(_cell(columns, 1, 2)).to_have_text("par le contenu")
    expect(_cell(columns, 4, 0)).to_have_text("Genre")
    expect(_cell(columns, 4, 2)).to_have_text("par le contenu")
    expect(_metric(page, "Rejetées")).to_have_text("6")  # no name column yet

    # « Structure accueillante » holds the names: chosen in the « Champ » list of its row.
    def choose_nom() -> None:
        editor = _open_cell(page, _grid(page, "Colonne du fichier"), 0, 1)
        editor.get_by_role("combobox").press_sequentially("nom", timeout=15_000)
        option = page.get_by_role("option", name="nom", exact=True)
        expect(option).to_be_visible()
        option.click(timeout=15_000)

    _until_shown(page, choose_nom, lambda: _cell(_grid(page, "Colonne du fichier"), 0, 2), "par la personne")
    expect(_metric(page, "Nouvelles")).to_have_text("6")
    expect(_metric(page, "Rejetées")).to_have_text("0")

    # The hub's « Association » are also social centres here: two codes typed in its translation.
    words = _grid(page, "Traduction")
    expect(_cell(words, 0, 2)).to_have_text("Association")
    expect(_cell(words, 0, 4)).to_have_text("ASSO")
    def type_codes() -> None:
        editor = _open_cell(page, _grid(page, "Traduction"), 0, 4).locator(".gdg-input")
        editor.fill("ASSO ; CS", timeout=15_000)
        editor.press("Enter", timeout=15_000)

    _until_shown(page, type_codes, lambda: _cell(_grid(page, "Traduction"), 0, 5), "personne")
    words = _grid(page, "Traduction")
    expect(_cell(words, 0, 4)).to_have_text("ASSO ; CS")

    # Saved as the hub's profile.
    settled(page)
    page.get_by_label("Nom du profil").fill("Hub Charente")
    page.get_by_label("Nom du profil").press("Enter")
    settled(page)
    page.get_by_role("button", name="Enregistrer comme profil").click()
    expect(page.get_by_text("Profil d'import « Hub Charente » enregistré")).to_be_visible()

    # The file again (removed, chosen again): its header makes the profile recognised.
    settled(page)
    page.get_by_role("button", name="Remove lieux.csv").click()
    expect(page.get_by_text("Choisissez un fichier pour commencer.")).to_be_visible()
    _choose_file(page, export)
    _simulate(page)
    expect(page.get_by_text("Profil « Hub Charente » appliqué (reconnu d'après l'en-tête du fichier)")).to_be_visible()
    expect(_cell(_grid(page, "Colonne du fichier"), 0, 2)).to_have_text("par le profil")
    expect(_cell(_grid(page, "Traduction"), 0, 4)).to_have_text("ASSO ; CS")
    expect(_metric(page, "Nouvelles")).to_have_text("6")
    assert Store(db, keep_open=0).query("SELECT count(*) AS n FROM structures") == [{"n": DEMO_COUNT}]

    settled(page)
    page.get_by_role("button", name="Importer", exact=True).click()
    expect(page.get_by_text("Import — lieux.csv : 6 lignes lues, 6 nouvelles")).to_be_visible()
    expect(page.get_by_text(f"{DEMO_COUNT + 6} structures").first).to_be_visible()
    _no_exception(page)
    store = Store(db, keep_open=0)
    assert store.query("SELECT count(*) AS n FROM structures") == [{"n": DEMO_COUNT + 6}]
    assert store.query("SELECT typologie FROM structures WHERE nom = 'Association Cyber 16'") == [
        {"typologie": ["ASSO", "CS"]}
    ]


def _long_csv(lines: int) -> str:
    """A file long enough that its lines are still being prepared after the page's first second."""
    rows = [f"Lieu numéro {n};{n} rue de la Paix;16000;Angoulême" for n in range(lines)]
    return "\n".join(["nom;adresse;code_postal;commune", *rows, ""])


def test_a_long_file_is_simulated_and_imported_off_the_page_s_thread(demo_app, page, tmp_path: Path):
    """The simulation and the import run on a worker thread of the real server, the page polling them
    every second (a fragment) until the report is there. Progress and « Annuler » are checked with
    AppTest (tests/pages/test_importer_page.py), where the job's pace is under the test's control: in
    a browser, whether a click lands before a job ends depends on the machine's load."""
    lines = 3_000
    url, db = demo_app
    export = tmp_path / "long.csv"
    export.write_text(_long_csv(lines), encoding="utf-8")
    page.goto(url + "/importer")
    expect(page.get_by_role("heading", name="Import")).to_be_visible()
    _choose_file(page, export)
    settled(page)
    page.get_by_role("button", name="Simuler l'import").click()
    expect(page.get_by_role("heading", name="Correspondance des colonnes")).to_be_visible(timeout=240_000)
    expect(_metric(page, "Nouvelles")).to_have_text(str(lines))
    assert Store(db, keep_open=0).query("SELECT count(*) AS n FROM structures") == [{"n": DEMO_COUNT}]

    settled(page)
    page.get_by_role("button", name="Importer", exact=True).click()
    expect(page.get_by_text(re.compile(rf"^Import — long\.csv : {figure(lines)} lignes lues, {figure(lines)} nouvelles"))).to_be_visible(
        timeout=240_000)
    _no_exception(page)
    assert Store(db, keep_open=0).query("SELECT count(*) AS n FROM structures") == [{"n": DEMO_COUNT + lines}]
