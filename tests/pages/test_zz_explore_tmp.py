from tests.pages.test_importer_page import _on_import_page, _upload, _simulate, _anomalies
from tests.pages.ui import find_button, metric_values, texts_of
CSV = """Structure accueillante;Où;Joindre;Écrire;Genre;MAJ
Médiathèque l'Alpha;1 rue Coligny 16000 Angoulême;05 45 94 56 00;alpha@example.fr;Médiathèque;12/03/2024
""".encode()
def test_explore(app, ui_store):
    at = _simulate(_upload(_on_import_page(app), "lieux.csv", CSV))
    at.text_input(key="import.nom_profil").set_value("   ").run()
    find_button(at, "Enregistrer comme profil").click().run()
    print(at.exception, texts_of(at.error), texts_of(at.success))
