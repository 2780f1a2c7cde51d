"""The « Import » page, driven through the real app with AppTest on a real store.

AppTest in Streamlit 1.67 drives ``st.file_uploader`` itself (``set_value((name, bytes, mime))``),
so the tests upload through the real widget; no session-state shortcut is needed. The mapping
editor (``st.data_editor``) cannot be edited with ``set_value``: as AppTest documents, its edit
state (``edited_rows``) is written to ``at.session_state`` under the editor's key before a run.

A simulation or an import runs off the page's thread (``collect.import_jobs``): after a click that
starts one, ``_settled`` waits for the job itself (an event, never a sleep) and runs the page again,
as the page's once-a-second look at the job does in a browser.
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from collect.import_jobs import jobs
from collect.import_profiles import list_profiles
from models.registry import count_structures, find_structures
from models.store import Store
from tests.pages.ui import find_button, metric_values, texts_of
from ui.shared import csv_bytes

APP = Path(__file__).resolve().parents[2] / "app.py"
NC_COUNT = 90  # lieux of the Nouvelle-Calédonie file in the fixture store (see conftest)

GOOD_AND_BAD_CSV = (
    "nom;adresse;code_postal;commune;telephone;services\n"
    "Médiathèque l'Alpha;1 rue Coligny;16000;Angoulême;05 45 94 56 00;Aide aux démarches administratives\n"
    "Espace numérique de Cognac;2 place François 1er;16100;Cognac;05 45 36 00 00;\n"
    ";3 rue sans nom;16000;Angoulême;;\n"
).encode()




JOB = "import.travail"  # the page's running job, in its session
DEADLINE = 120  # seconds: generous, the machine may be loaded; a passing test never waits that long


def _running_job(at: AppTest) -> str | None:
    return at.session_state[JOB]["id"] if JOB in at.session_state else None


def _settled(at: AppTest) -> AppTest:
    """Wait until the page's simulation or import has finished, then run the page: it shows the outcome."""
    assert not at.exception
    while (job_id := _running_job(at)) is not None:
        job = jobs().get(job_id)
        assert job is not None and job.wait(DEADLINE), "the page's job did not finish"
        at.run()
        assert not at.exception
    return at


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
    return _settled(find_button(at, "Simuler l'import").click().run())


def _import(at: AppTest) -> AppTest:
    return _settled(find_button(at, "Importer").click().run())



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
    _import(at)
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
    _import(at)
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
    _settled(at.run())
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


# -- a hub's export: column names that say nothing, content that says it all ------------------------

HUB_HEADER = "Structure accueillante;Où;Joindre;Écrire;Genre;MAJ"
HUB_LINES = [
    "Médiathèque l'Alpha;1 rue Coligny 16000 Angoulême;05 45 94 56 00;alpha@example.fr;Médiathèque;12/03/2024",
    "Mairie de Soyaux;Place de la mairie 16800 Soyaux;05 45 97 41 00;mairie@soyaux.fr;Mairie;05/02/2024",
    ("Association Les Petits Débrouillards;12 rue de Périgueux 16000 Angoulême;05 45 38 90 12;contact@pd16.fr;"
     "Association;"),
    ("Médiathèque de Ma Campagne;Rue Pierre Aumaître 16000 Angoulême;05 45 61 20 30;macampagne@example.fr;"
     "Médiathèque;20/01/2024"),
    "Mairie de Gond-Pontouvre;Route de Paris 16160 Gond-Pontouvre;05 45 68 31 44;accueil@gond.fr;Mairie;",
    "Association Cyber 16;3 rue Saint-Roch 16000 Angoulême;05 45 92 11 22;cyber16@example.fr;Association;14/02/2024",
]


def _hub_csv(*lines: str) -> bytes:
    return "\n".join([HUB_HEADER, *lines, ""]).encode("utf-8")


HUB_CSV = _hub_csv(*HUB_LINES)
# The hub's next monthly export: the same columns, other lines (one lieu gone, two new ones).
NEXT_MONTH_CSV = _hub_csv(
    *HUB_LINES[:5],
    "Association Lire et Faire Lire;8 rue de Montmoreau 16000 Angoulême;05 45 90 70 10;lire@example.fr;Association;",
    ("Médiathèque de Soyaux;Rue Aristide Briand 16800 Soyaux;05 45 97 87 20;mediatheque@soyaux.fr;Médiathèque;"
     "02/05/2024"),
)


def _column_table(at: AppTest) -> dict[str, dict]:
    """The « Correspondance des colonnes » table, a row by column of the file."""
    (table,) = [e.value for e in at.data_editor if "Colonne du fichier" in e.value.columns]
    return {row["Colonne du fichier"]: row for row in table.to_dict("records")}


def _word_table(at: AppTest) -> dict[str, dict]:
    """The « Traduction des valeurs » table, a row by value (the file has one translated column)."""
    (table,) = [e.value for e in at.data_editor if "Traduction" in e.value.columns]
    return {row["Valeur"]: row for row in table.to_dict("records")}


def _edit(at: AppTest, marker: str, key_column: str, key: str, changes: dict) -> AppTest:
    """Edit one row of the editable table having the column ``marker`` (AppTest's way: the edit
    state under the editor's key, then a run), as a person's edit in the grid does."""
    (editor,) = [e for e in at.data_editor if marker in e.value.columns]
    row = list(editor.value[key_column]).index(key)
    at.session_state[editor.key] = {"edited_rows": {row: changes}, "added_rows": [], "deleted_rows": []}
    return _settled(at.run())


def _choose_field(at: AppTest, column: str, field: str) -> AppTest:
    return _edit(at, "Colonne du fichier", "Colonne du fichier", column, {"Champ": field})


def _translate(at: AppTest, value: str, text: str | None) -> AppTest:
    return _edit(at, "Traduction", "Valeur", value, {"Traduction": text})


def _hub_simulated(app: AppTest, name: str = "lieux.csv", data: bytes = HUB_CSV) -> AppTest:
    return _simulate(_upload(_on_import_page(app), name, data))


def test_a_file_whose_column_names_say_nothing_is_read_by_its_content_and_the_table_says_how(app):
    at = _hub_simulated(app)
    columns = _column_table(at)
    assert list(columns) == ["Structure accueillante", "Où", "Joindre", "Écrire", "Genre", "MAJ"]
    assert {name: (row["Champ"], row["Trouvée"]) for name, row in columns.items()} == {
        "Structure accueillante": ("(aucun champ)", ""),  # names of places: not guessed from content
        "Où": ("adresse", "par le contenu"),
        "Joindre": ("telephone", "par le contenu"),
        "Écrire": ("courriels", "par le contenu"),
        "Genre": ("typologie", "par le contenu"),
        "MAJ": ("date_maj", "par le nom"),  # a known abbreviation
    }
    # The reason of each guess, in French.
    for name, words in {"Où": "adresses", "Joindre": "téléphone", "Écrire": "e-mail", "Genre": "typologie",
                        "MAJ": "synonyme"}.items():
        assert words in columns[name]["Raison"], (name, columns[name]["Raison"])
    # Three different samples of each column, to check by eye.
    assert columns["Où"]["Exemples"] == (
        "1 rue Coligny 16000 Angoulême | Place de la mairie 16800 Soyaux | 12 rue de Périgueux 16000 Angoulême"
    )
    assert columns["Genre"]["Exemples"] == "Médiathèque | Mairie | Association"
    assert columns["MAJ"]["Exemples"] == "12/03/2024 | 05/02/2024 | 20/01/2024"
    assert columns["Structure accueillante"]["Exemples"].count(" | ") == 2
    # Without a name column every line is rejected, and one message says which column could be it.
    assert metric_values(at)["Rejetées"] == "6"
    assert any("« Structure accueillante »" in message for message in _anomalies(at)["message"])


def test_choosing_a_column_s_field_in_the_table_simulates_again_and_the_row_says_par_la_personne(app):
    at = _choose_field(_hub_simulated(app), "Structure accueillante", "nom")
    columns = _column_table(at)
    assert (columns["Structure accueillante"]["Champ"], columns["Structure accueillante"]["Trouvée"]) == (
        "nom", "par la personne")
    assert columns["Où"]["Trouvée"] == "par le contenu"  # the other columns keep what was found
    metrics = metric_values(at)
    assert (metrics["Nouvelles"], metrics["Rejetées"]) == ("6", "0")

    # « Rétablir la correspondance détectée » forgets the person's choices.
    _settled(find_button(at, "Rétablir la correspondance détectée").click().run())
    assert _column_table(at)["Structure accueillante"]["Champ"] == "(aucun champ)"
    assert metric_values(at)["Rejetées"] == "6"


def test_the_translation_table_lists_each_word_of_a_column_with_its_code_and_its_lines(app):
    at = _hub_simulated(app)
    words = _word_table(at)
    assert {value: (row["Colonne"], row["Champ"], row["Traduction"], row["Lignes"], row["Comment"])
            for value, row in words.items()} == {
        "Association": ("Genre", "typologie", "ASSO", 2, "valeur du standard"),
        "Mairie": ("Genre", "typologie", "MUNI", 2, "valeur du standard"),
        "Médiathèque": ("Genre", "typologie", "BIB", 2, "valeur du standard"),
    }


@pytest.mark.parametrize(
    ("typed", "shown", "typologie"),
    [
        ("ASSO ; CS", "ASSO ; CS", ["ASSO", "CS"]),  # several codes, separated by « ; »
        ("ASSO;CS", "ASSO ; CS", ["ASSO", "CS"]),  # spaces do not matter
        (None, "", None),  # a cleared cell: the word gives no code
        ("", "", None),
    ],
)
def test_correcting_a_translation_simulates_again_and_the_import_uses_the_person_s_codes(
    app, ui_store, typed, shown, typologie
):
    at = _choose_field(_hub_simulated(app), "Structure accueillante", "nom")
    at = _translate(at, "Association", typed)
    words = _word_table(at)
    assert (words["Association"]["Traduction"], words["Association"]["Comment"]) == (shown, "personne")
    assert (words["Mairie"]["Traduction"], words["Mairie"]["Comment"]) == ("MUNI", "valeur du standard")
    assert metric_values(at)["Nouvelles"] == "6"

    _import(at)
    with ui_store.connect() as con:
        (cyber,) = find_structures(con, text="Cyber 16")
        (alpha,) = find_structures(con, text="l'Alpha")
    assert (cyber["typologie"] or None) == typologie
    assert alpha["typologie"] == ["BIB"]


def test_a_code_that_is_not_one_of_the_standard_is_refused_in_french_and_nothing_changes(app):
    at = _translate(_hub_simulated(app), "Mairie", "XYZ")
    assert texts_of(at.error) == [
        "Colonne « Genre », valeur « Mairie » : « XYZ » n'est pas une valeur du champ typologie."
    ]
    words = _word_table(at)
    assert (words["Mairie"]["Traduction"], words["Mairie"]["Comment"]) == ("MUNI", "valeur du standard")  # not used
    # Fixed in the same cell: the error goes, the simulation runs again with the person's code.
    at = _translate(at, "Mairie", "MUNI ; CS")
    assert not at.error
    assert (_word_table(at)["Mairie"]["Traduction"], _word_table(at)["Mairie"]["Comment"]) == ("MUNI ; CS", "personne")


@pytest.mark.parametrize(
    ("name", "data", "lines"),
    [("lieux.csv", HUB_CSV, 6), ("lieux-mai.csv", NEXT_MONTH_CSV, 7)],
    ids=["the-same-file-again", "the-next-monthly-export"],
)
def test_a_saved_profile_is_applied_to_the_source_s_next_file_and_aucun_profil_sets_it_aside(
    app, ui_store, name, data, lines
):
    at = _choose_field(_hub_simulated(app), "Structure accueillante", "nom")
    at = _translate(at, "Association", "ASSO ; CS")
    assert "Aucun profil appliqué." in " ".join(texts_of(at.caption))
    at.text_input(key="import.nom_profil").set_value("Hub Charente").run()
    find_button(at, "Enregistrer comme profil").click().run()
    assert not at.exception
    assert "Profil d'import « Hub Charente » enregistré : le prochain fichier de même en-tête l'utilisera." in (
        texts_of(at.success))
    with ui_store.connect() as con:
        (profile,) = list_profiles(con)
    assert profile.nom == "Hub Charente"
    assert profile.colonnes == HUB_HEADER.split(";")
    assert profile.correspondance["Structure accueillante"] == "nom"
    assert profile.traductions == {"Genre": {"Association": [("typologie", "ASSO"), ("typologie", "CS")]}}
    assert at.selectbox(key="import.profil").options == ["Reconnu d'après l'en-tête", "Aucun profil", "Hub Charente"]

    # The source's next file: its header makes the profile recognised, the person's choices come back.
    at = _simulate(_upload(at, name, data))
    (applied,) = texts_of(at.info)
    assert applied.startswith("Profil « Hub Charente » appliqué (reconnu d'après l'en-tête du fichier)")
    columns = _column_table(at)
    assert (columns["Structure accueillante"]["Champ"], columns["Structure accueillante"]["Trouvée"]) == (
        "nom", "par le profil")
    assert columns["Genre"]["Champ"] == "typologie"
    words = _word_table(at)
    assert (words["Association"]["Traduction"], words["Association"]["Comment"]) == ("ASSO ; CS", "profil")
    assert words["Médiathèque"]["Traduction"] == "BIB"
    metrics = metric_values(at)
    assert (metrics["Nouvelles"], metrics["Rejetées"]) == (str(lines), "0")

    # « Aucun profil »: simulated again as a file never seen.
    _settled(at.selectbox(key="import.profil").set_value("Aucun profil").run())
    assert not at.info
    assert _column_table(at)["Structure accueillante"]["Champ"] == "(aucun champ)"
    assert (_word_table(at)["Association"]["Traduction"], _word_table(at)["Association"]["Comment"]) == (
        "ASSO", "valeur du standard")
    assert metric_values(at)["Rejetées"] == str(lines)

    # Or the profile chosen by its name.
    _settled(at.selectbox(key="import.profil").set_value("Hub Charente").run())
    (applied,) = texts_of(at.info)
    assert applied.startswith("Profil « Hub Charente » appliqué (choisi)")
    assert metric_values(at)["Rejetées"] == "0"


def test_a_profile_needs_a_name_said_in_french(app, ui_store):
    at = _hub_simulated(app)
    at.text_input(key="import.nom_profil").set_value("   ").run()
    find_button(at, "Enregistrer comme profil").click().run()
    assert not at.exception
    assert texts_of(at.error) == ["Le nom du profil est obligatoire."]
    with ui_store.connect() as con:
        assert list_profiles(con) == []


def test_the_file_s_date_goes_to_the_lieux_without_a_date_then_the_import_writes_them(app, ui_store):
    at = _choose_field(_hub_simulated(app), "Structure accueillante", "nom")
    estimated = ("2 lieux sans date de mise à jour : date de l'import retenue, marquée « estimée » sur la fiche "
                 "(donnez la date du fichier pour la remplacer).")
    assert estimated in texts_of(at.caption)

    _settled(at.date_input(key="import.date_fichier").set_value(date(2024, 4, 30)).run())  # simulated again
    captions = texts_of(at.caption)
    assert "2 lieux sans date de mise à jour dans le fichier : date 30/04/2024 (donnée par la personne)." in captions
    assert estimated not in captions
    assert metric_values(at)["Nouvelles"] == "6"

    _import(at)
    (summary,) = texts_of(at.success)
    assert summary.startswith("Import — lieux.csv : 6 lignes lues, 6 nouvelles, 0 mise à jour")
    with ui_store.connect() as con:
        assert count_structures(con) == NC_COUNT + 6
        (debrouillards,) = find_structures(con, text="Petits Débrouillards")
        (alpha,) = find_structures(con, text="l'Alpha")
    assert (debrouillards["date_maj"], bool(debrouillards["date_maj_estimee"])) == (date(2024, 4, 30), False)
    assert alpha["date_maj"] == date(2024, 3, 12)  # its own date
    assert (debrouillards["adresse"], debrouillards["code_postal"], debrouillards["commune"]) == (
        "12 rue de Périgueux", "16000", "Angoulême")
    assert (debrouillards["telephone"], debrouillards["courriels"], debrouillards["typologie"]) == (
        "+33545389012", ["contact@pd16.fr"], ["ASSO"])


# -- a long import runs off the page's thread: progress, « Annuler », nothing kept afterwards --------


@pytest.fixture
def held_import(monkeypatch: pytest.MonkeyPatch):
    """This test's own job registry, and a gate: once armed, the next import stops at its first line
    (the page's progress shows it) until the test releases it, as a long file's import would be
    still running when the page is drawn."""
    import threading

    from collect import import_jobs
    from collect.imports import import_table

    monkeypatch.setattr(import_jobs, "_JOBS", import_jobs.ImportJobs())

    class Gate:
        armed = False
        reached = threading.Event()
        released = threading.Event()

    def held_import_table(store, table, *, progress, **options):
        def held_progress(done: int, total: int) -> None:
            progress(done, total)
            if Gate.armed and not Gate.reached.is_set():
                Gate.reached.set()
                assert Gate.released.wait(DEADLINE), "the test never released the import"
                progress(done, total)  # a cancel asked meanwhile stops it here

        return import_table(store, table, progress=held_progress, **options)

    monkeypatch.setattr(import_jobs, "import_table", held_import_table)
    yield Gate
    Gate.released.set()  # never leave a worker waiting


def _held_import(app: AppTest, gate) -> AppTest:
    """The file simulated, then « Importer » clicked while the import is held at its first line."""
    at = _simulate(_upload(_on_import_page(app), "lieux.csv", GOOD_AND_BAD_CSV))
    gate.armed = True
    find_button(at, "Importer").click().run()
    assert not at.exception
    assert gate.reached.wait(DEADLINE)
    at.run()  # the page's next look at the job
    assert not at.exception
    return at


def test_a_long_import_shows_its_progress_then_its_report_and_keeps_only_the_job_s_id(app, ui_store,
                                                                                       held_import):
    at = _held_import(app, held_import)
    (bar,) = at.progress
    assert bar.text == "Import — Lignes préparées : 1 / 3"
    assert bar.value == 33
    assert find_button(at, "Annuler")
    assert not at.metric  # the page waits for the import: no stale simulation under it
    assert set(at.session_state[JOB]) == {"id", "kind", "sheet", "mapping"}  # the id, not the file or the table
    with ui_store.connect() as con:
        assert count_structures(con) == NC_COUNT  # nothing written yet

    held_import.released.set()
    at = _settled(at)
    (summary,) = texts_of(at.success)
    assert summary.startswith("Import — lieux.csv : 3 lignes lues, 2 nouvelles")
    assert any(f"{NC_COUNT + 2} structures" in caption for caption in texts_of(at.sidebar.caption))
    assert not at.progress
    assert len(jobs()) == 0  # the report was taken: the job is forgotten
    with ui_store.connect() as con:
        assert count_structures(con) == NC_COUNT + 2


def test_cancelling_a_long_import_writes_nothing_and_the_simulation_is_still_there(app, ui_store, held_import):
    at = _held_import(app, held_import)
    find_button(at, "Annuler").click().run()
    assert not at.exception
    assert at.progress[0].text == "Import : annulation en cours…"

    held_import.released.set()
    at = _settled(at)
    assert "Import annulé : rien n'a été enregistré." in texts_of(at.info)
    assert not at.success and not at.progress
    assert metric_values(at)["Nouvelles"] == "2"  # the simulation, to import again or change
    assert find_button(at, "Importer")
    assert len(jobs()) == 0
    with ui_store.connect() as con:
        assert count_structures(con) == NC_COUNT


def test_the_uploaded_file_waits_on_disk_not_in_the_server_s_memory_and_is_deleted_when_dropped(app):
    at = _upload(_on_import_page(app), "lieux.csv", GOOD_AND_BAD_CSV)
    kept = at.session_state["import.fichier_recu"]
    assert "data" not in kept and kept["spool"].size == len(GOOD_AND_BAD_CSV)  # the session holds a path, not the bytes
    assert kept["spool"].read() == GOOD_AND_BAD_CSV
    at.file_uploader[0].set_value(None).run()
    assert not at.exception
    assert not kept["spool"].path.exists()
