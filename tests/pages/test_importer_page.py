"""The « Import » page, driven through the real app with AppTest on a real store.

AppTest in Streamlit 1.67 drives ``st.file_uploader`` itself (``set_value((name, bytes, mime))``),
so the tests upload through the real widget; no session-state shortcut is needed. The mapping
editor (``st.data_editor``) cannot be edited with ``set_value``: as AppTest documents, its edit
state (``edited_rows``) is written to ``at.session_state`` under the editor's key before a run.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
from streamlit.testing.v1 import AppTest

from models.registry import count_structures, find_structures
from models.store import Store
from pages.shared import csv_bytes
from tests.pages.ui import find_button, metric_values, texts_of

APP = Path(__file__).resolve().parents[2] / "app.py"
NC_COUNT = 90  # lieux of the Nouvelle-Calédonie file in the fixture store (see conftest)

GOOD_AND_BAD_CSV = (
    "nom;adresse;code_postal;commune;telephone;services\n"
    "Médiathèque l'Alpha;1 rue Coligny;16000;Angoulême;05 45 94 56 00;Aide aux démarches administratives\n"
    "Espace numérique de Cognac;2 place François 1er;16100;Cognac;05 45 36 00 00;\n"
    ";3 rue sans nom;16000;Angoulême;;\n"
).encode("utf-8")




def _on_import_page(app: AppTest) -> AppTest:
    at = app.run()
    at.switch_page("pages/importer.py").run()
    assert not at.exception
    assert texts_of(at.title) == ["Import"]
    return at


def _upload(at: AppTest, name: str, data: bytes, mime: str = "text/csv") -> AppTest:
    at.file_uploader[0].set_value((name, data, mime)).run()
    assert not at.exception
    return at


def _simulate(at: AppTest) -> AppTest:
    find_button(at, "Simuler l'import").click().run()
    assert not at.exception
    return at



def _anomalies(at: AppTest) -> pd.DataFrame:
    (table,) = [df.value for df in at.dataframe if "gravité" in df.value.columns]
    return table


def test_the_import_page_asks_for_a_file(app):
    at = _on_import_page(app)
    assert at.file_uploader[0].label == "Fichier de structures"
    assert set(at.file_uploader[0].allowed_type) >= {".csv", ".tsv", ".txt", ".xlsx", ".json"}
    assert "Choisissez un fichier pour commencer." in texts_of(at.info)


def test_the_dry_run_shows_the_counts_the_mapping_and_the_errors_of_a_csv_with_a_bad_line(app, ui_store):
    at = _simulate(_upload(_on_import_page(app), "lieux.csv", GOOD_AND_BAD_CSV))
    metrics = metric_values(at)
    assert list(metrics) == [
        "Nouvelles", "Mises à jour", "Inchangées", "Doublons possibles", "Rejetées", "Avertissements",
    ]
    assert [metrics[name] for name in ("Nouvelles", "Mises à jour", "Inchangées", "Rejetées")] == ["2", "0", "0", "1"]
    mapping = at.data_editor[0].value
    assert dict(zip(mapping["Colonne du fichier"], mapping["Champ"], strict=True)) == {
        "nom": "nom", "adresse": "adresse", "code_postal": "code_postal", "commune": "commune",
        "telephone": "telephone", "services": "services",
    }
    anomalies = _anomalies(at)
    assert list(anomalies.columns) == ["fichier", "ligne", "champ", "valeur", "gravité", "message"]
    errors = anomalies[anomalies["gravité"] == "erreur"]
    assert list(errors["ligne"]) == [4]
    assert "Le nom de la structure est obligatoire." in list(errors["message"])
    assert [b.label for b in at.download_button] == ["Télécharger ces anomalies (CSV)"]
    # Nothing written by a simulation.
    with ui_store.connect() as con:
        assert count_structures(con) == NC_COUNT

    at.segmented_control(key="import.gravite").set_value(["erreur"]).run()
    assert set(_anomalies(at)["gravité"]) == {"erreur"}


def test_confirming_imports_the_valid_lines_and_the_store_then_has_them(app, ui_store):
    at = _simulate(_upload(_on_import_page(app), "lieux.csv", GOOD_AND_BAD_CSV))
    assert at.radio(key="import.mode").value == "Importer les lignes valides"
    find_button(at, "Importer").click().run()
    assert not at.exception
    (summary,) = texts_of(at.success)
    assert summary.startswith("Import — lieux.csv : 3 lignes lues, 2 nouvelles")
    assert any(f"{NC_COUNT + 2} structures" in caption for caption in texts_of(at.sidebar.caption))
    with ui_store.connect() as con:
        assert count_structures(con) == NC_COUNT + 2
        (alpha,) = find_structures(con, text="Alpha")
    assert alpha["code_insee"] == "16015"
    assert alpha["services"] == ["Aide aux démarches administratives"]
    assert alpha["updated_by"] == "poste-test"


def test_all_or_nothing_refuses_a_file_with_a_rejected_line_in_french_and_writes_nothing(app, ui_store):
    at = _simulate(_upload(_on_import_page(app), "lieux.csv", GOOD_AND_BAD_CSV))
    at.radio(key="import.mode").set_value("Tout ou rien").run()
    find_button(at, "Importer").click().run()
    assert not at.exception
    refused = "lieux.csv : 1 ligne(s) rejetée(s) ; import « tout ou rien » demandé, rien n'a été enregistré."
    assert refused in texts_of(at.error)
    with ui_store.connect() as con:
        assert count_structures(con) == NC_COUNT


def test_a_file_that_is_not_a_table_shows_the_french_message(app, ui_store):
    at = _simulate(_upload(_on_import_page(app), "plan.csv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"))
    (message,) = texts_of(at.error)
    assert message.startswith("plan.csv : ")
    assert "PDF" in message
    assert not at.metric
    with ui_store.connect() as con:
        assert count_structures(con) == NC_COUNT


def _workbook(**sheets: str) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for title, csv_text in sheets.items():
        sheet = book.create_sheet(title)
        for line in csv_text.splitlines():
            sheet.append(line.split(";"))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_excel_sheet_is_chosen_by_name_and_a_wrong_name_is_explained_in_french(app):
    data = _workbook(Notes="remarque;auteur\nà relire;Paul", Lieux=GOOD_AND_BAD_CSV.decode())
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    at = _upload(_on_import_page(app), "lieux.xlsx", data, xlsx)
    sheet = at.text_input(key="import.feuille")
    sheet.set_value("Lieux").run()
    _simulate(at)
    assert metric_values(at)["Nouvelles"] == "2"

    at.text_input(key="import.feuille").set_value("Lieu").run()
    assert "La feuille a changé : relancez la simulation." in texts_of(at.info)
    assert "import.importer" not in [b.key for b in at.button]  # no import of a stale simulation
    _simulate(at)
    (message,) = texts_of(at.error)
    assert message.startswith("lieux.xlsx : ") and "Lieux" in message
    assert not at.metric


def test_overriding_the_column_mapping_runs_the_simulation_again(app):
    renamed = GOOD_AND_BAD_CSV.replace(b"nom;adresse", b"Colonne A;adresse", 1)
    at = _simulate(_upload(_on_import_page(app), "lieux.csv", renamed))
    assert metric_values(at)["Rejetées"] == "3"  # no name column recognised
    editor = at.data_editor[0]
    rows = list(editor.value["Colonne du fichier"])
    assert editor.value["Champ"][rows.index("Colonne A")] == "(aucun champ)"

    at.session_state[editor.key] = {
        "edited_rows": {rows.index("Colonne A"): {"Champ": "nom"}}, "added_rows": [], "deleted_rows": [],
    }
    at.run()
    assert not at.exception
    assert metric_values(at)["Nouvelles"] == "2"
    assert metric_values(at)["Rejetées"] == "1"
    mapping = at.data_editor[0].value
    assert dict(zip(mapping["Colonne du fichier"], mapping["Champ"], strict=True))["Colonne A"] == "nom"


def test_the_uploaded_file_and_its_simulation_survive_a_visit_to_another_page(app):
    at = _simulate(_upload(_on_import_page(app), "lieux.csv", GOOD_AND_BAD_CSV))
    at.switch_page("pages/structures.py").run()
    at.switch_page("pages/importer.py").run()
    assert not at.exception
    assert any("lieux.csv" in text for text in texts_of(at.markdown))
    assert metric_values(at)["Nouvelles"] == "2"


def test_the_anomalies_csv_is_semicolon_separated_utf8_with_bom():
    table = pd.DataFrame(
        [{"fichier": "lieux.csv", "ligne": 4, "champ": "nom", "message": "Le nom est obligatoire ; vraiment"}]
    )
    data = csv_bytes(table)
    assert data.startswith(b"\xef\xbb\xbf")
    read = pd.read_csv(io.BytesIO(data), sep=";", encoding="utf-8-sig")
    assert read.to_dict("records") == table.to_dict("records")
    assert data.decode("utf-8-sig").splitlines()[0] == "fichier;ligne;champ;message"


def test_a_page_run_without_app_py_reruns_through_app_py(ui_store: Store):
    """Without the ``server_navigation`` shim, AppTest's second run executes the page file alone
    (Streamlit's legacy ``pages/`` mode, as on a new server whose first request is ``/importer``).
    The page's guard reruns through ``app.py``: its sidebar and navigation are there."""
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    at.switch_page("pages/importer.py").run()
    assert not at.exception
    assert texts_of(at.title) == ["Import"]
    assert any(f"{NC_COUNT} structures" in caption for caption in texts_of(at.sidebar.caption))
