"""The « Structures » page, driven through the real app with AppTest on a real store.

The structure to open is chosen with the « Ouvrir une fiche » selectbox (or, in one test, by a
row selection written to the table's session state, as AppTest allows); edits go through the
real form and are checked in the store itself.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from collect.demo import demo_loaded
from models.duplicates import list_duplicate_candidates
from models.registry import count_structures, find_structures, get_structure, structure_history
from models.store import Store
from tests.pages.conftest import TIMEOUT
from tests.pages.ui import PASSWORD, find_button, sign_in, texts_of, with_accounts

APP = Path(__file__).resolve().parents[2] / "app.py"
NC_COUNT = 90  # lieux of the Nouvelle-Calédonie file in the fixture store (see conftest)
DEVICE = "poste-test"  # $MAILLAGE_DEVICE in the fixture: who acts

ADIE_ADDRESS = "2 rue Charles de Verneilh"
CHOOSER = "structures.choisir"




def _adie(store: Store) -> dict:
    with store.connect() as con:
        (row,) = find_structures(con, text="ADIE")
    return row


def _open(at: AppTest, structure_id: str) -> AppTest:
    at.selectbox(key=CHOOSER).set_value(structure_id).run()
    assert not at.exception
    return at


def _field(at: AppTest, label: str):
    found = [w for w in (*at.text_input, *at.text_area) if w.label == label]
    assert len(found) == 1, f"champ « {label} » introuvable ou en double"
    return found[0]


def test_the_app_starts_on_the_structures_page_and_shows_the_count(app):
    at = app.run()
    assert not at.exception
    assert texts_of(at.title) == ["Structures"]
    assert f"**{NC_COUNT} structures**" in texts_of(at.markdown)
    assert any(f"{NC_COUNT} structures" in caption for caption in texts_of(at.sidebar.caption))
    assert len(at.dataframe[0].value) == NC_COUNT


def test_on_a_store_s_first_start_the_app_loads_the_924_demo_lieux(tmp_path: Path, monkeypatch, server_navigation):
    path = tmp_path / "premier-demarrage.duckdb"
    monkeypatch.setenv("MAILLAGE_DB", str(path))
    at = AppTest.from_file(str(APP), default_timeout=120).run()
    assert not at.exception
    assert "**924 structures**" in texts_of(at.markdown)
    store = Store(path)
    assert demo_loaded(store)
    # More than 200 results: pages of 200.
    assert "Structures 1 à 200 sur 924 (page 1 sur 5)." in texts_of(at.caption)
    at.number_input(key="structures.page").set_value(5).run()
    assert "Structures 801 à 924 sur 924 (page 5 sur 5)." in texts_of(at.caption)
    assert len(at.dataframe[0].value) == 124
    # Deleted and recreated at the same path: the app notices and sets the new file up again.
    path.unlink()
    monkeypatch.setenv("MAILLAGE_DB", str(path))
    at.run()
    assert not at.exception
    assert "**924 structures**" in texts_of(at.markdown)


def test_searching_filters_the_table(app, ui_store):
    at = app.run()
    at.text_input(key="structures.recherche").set_value("adie").run()
    assert not at.exception
    assert "**1 structure**" in texts_of(at.markdown)
    assert list(at.dataframe[0].value["Nom"]) == ["ADIE"]
    assert at.dataframe[0].value["Commune"][0] == "Nouméa"

    at.text_input(key="structures.recherche").set_value("dumbea").run()  # a commune, without its accent
    with ui_store.connect() as con:
        expected = count_structures(con, text="Dumbéa")
    assert 1 < expected < NC_COUNT
    assert f"**{expected} structures**" in texts_of(at.markdown)
    assert set(at.dataframe[0].value["Commune"]) == {"Dumbéa"}

    at.text_input(key="structures.recherche").set_value("98 800").run()  # a postcode typed with a space
    with ui_store.connect() as con:
        in_noumea = count_structures(con, text="98800")  # the file's 98800 corrected to each commune's own
    assert 1 < in_noumea < NC_COUNT
    assert f"**{in_noumea} structures**" in texts_of(at.markdown)

    at.text_input(key="structures.recherche").set_value("introuvable-xyz").run()
    assert "**0 structure**" in texts_of(at.markdown)
    assert "Aucune structure ne correspond à cette recherche." in texts_of(at.info)


def test_filters_offer_the_departements_and_typologies_of_the_registry(app, ui_store):
    at = app.run()
    departement = at.selectbox(key="structures.departement")
    assert departement.options == ["988 — Nouvelle-Calédonie"]
    assert departement.placeholder == "Tous les départements" and departement.value is None
    departement.set_value("988").run()
    assert f"**{NC_COUNT} structures**" in texts_of(at.markdown)

    at.selectbox(key="structures.typologie").set_value("ASSO").run()
    assert not at.exception
    with ui_store.connect() as con:
        associations = count_structures(con, typologie="ASSO")
    assert 0 < associations < NC_COUNT
    assert len(at.dataframe[0].value) == associations
    assert all("ASSO" in typologie for typologie in at.dataframe[0].value["Typologie"])

    service = "Aide aux démarches administratives"
    at.selectbox(key="structures.service").set_value(service).run()
    with ui_store.connect() as con:
        both = count_structures(con, typologie="ASSO", service=service)
    assert len(at.dataframe[0].value) == both


def test_opening_a_structure_shows_its_fields(app, ui_store):
    adie = _adie(ui_store)
    at = _open(app.run(), adie["id"])
    assert "ADIE — Nouméa" in texts_of(at.subheader)
    assert [tab.label for tab in at.tabs] == ["Fiche", "Modifier", "Historique"]
    fiche = "\n".join(texts_of(at.tabs[0].markdown))
    assert ADIE_ADDRESS in fiche
    assert "nouvellecaledonie@adie.org" in fiche
    assert "ASSO — " in fiche  # the typologie with its label
    assert _field(at, "Adresse").value == ADIE_ADDRESS
    assert "Contact (données personnelles, jamais publiées)" in [e.label for e in at.expander]


def test_selecting_a_row_of_the_table_opens_that_structure(app, ui_store):
    at = app.run()
    at.text_input(key="structures.recherche").set_value("ADIE").run()
    table_key = at.dataframe[0].key
    at.session_state[table_key] = {"selection": {"rows": [0], "columns": []}}
    at.run()
    assert not at.exception
    assert "ADIE — Nouméa" in texts_of(at.subheader)


def test_editing_the_phone_with_a_bad_value_shows_a_french_error_and_saves_nothing(app, ui_store):
    adie = _adie(ui_store)
    at = _open(app.run(), adie["id"])
    _field(at, "Numéro de téléphone").set_value("abc")
    find_button(at, "Enregistrer les modifications").click().run()
    assert not at.exception
    errors = texts_of(at.error)
    assert "« abc » n'est pas un numéro de téléphone." in errors  # next to the field
    assert any(e.startswith("Rien n'a été enregistré") and "Numéro de téléphone" in e for e in errors)
    assert "Modifications enregistrées" not in " ".join(texts_of(at.success))
    with ui_store.connect() as con:
        assert get_structure(con, adie["id"])["telephone"] is None
        assert len(structure_history(con, adie["id"])) == 1


def test_editing_with_a_good_value_saves_a_new_version(app, ui_store):
    adie = _adie(ui_store)
    at = _open(app.run(), adie["id"])
    _field(at, "Numéro de téléphone").set_value("25 12 34")
    _field(at, "Nom du contact").set_value("Marie Dupont")
    find_button(at, "Enregistrer les modifications").click().run()
    assert not at.exception
    assert not texts_of(at.error)
    assert any(s.startswith("Modifications enregistrées") and "Numéro de téléphone" in s for s in texts_of(at.success))
    with ui_store.connect() as con:
        row = get_structure(con, adie["id"])
        history = structure_history(con, adie["id"])
    assert row["telephone"] == "+687251234"
    assert row["contact_nom"] == "Marie Dupont"
    assert len(history) == 2
    assert history[-1]["updated_by"] == DEVICE
    assert set(history[-1]["changes"]) == {"telephone", "contact_nom"}
    # The form now shows the saved (normalised) value, and the history tab the new version.
    assert _field(at, "Numéro de téléphone").value == "+687251234"
    history_table = at.tabs[2].dataframe[0].value
    assert len(history_table) == 2
    latest = history_table.iloc[0]
    assert latest["Motif"] == "Modification" and latest["Par"] == DEVICE
    assert re.fullmatch(r"\d\d/\d\d/\d{4} à \d\d:\d\d", latest["Date"])
    assert "Numéro de téléphone" in latest["Champs modifiés"]


def test_deleting_asks_for_confirmation_then_restoring_brings_the_structure_back(app, ui_store):
    adie = _adie(ui_store)
    at = _open(app.run(), adie["id"])
    find_button(at, "Supprimer").click().run()
    assert any("Supprimer « ADIE » ?" in w for w in texts_of(at.warning))
    with ui_store.connect() as con:
        assert get_structure(con, adie["id"])["deleted_at"] is None  # not before the confirmation

    find_button(at, "Confirmer la suppression").click().run()
    assert not at.exception
    assert any("supprimée" in s for s in texts_of(at.success))
    assert f"**{NC_COUNT - 1} structures**" in texts_of(at.markdown)
    with ui_store.connect() as con:
        assert get_structure(con, adie["id"])["deleted_at"] is not None

    at.checkbox(key="structures.supprimees").check().run()
    assert f"**{NC_COUNT} structures**" in texts_of(at.markdown)
    find_button(at, "Restaurer").click().run()
    assert not at.exception
    with ui_store.connect() as con:
        assert get_structure(con, adie["id"])["deleted_at"] is None
        reasons = [version["change_reason"] for version in structure_history(con, adie["id"])]
    assert reasons == ["import", "suppression", "restauration"]
    assert [tab.label for tab in at.tabs] == ["Fiche", "Modifier", "Historique"]


@pytest.mark.parametrize("action", ["distinct", "fusion"])
def test_a_possible_duplicate_can_be_merged_or_declared_distinct(app, ui_store, action):
    with ui_store.connect() as con:
        candidates = list_duplicate_candidates(con)
    assert candidates, "le fichier de Nouvelle-Calédonie contient une paire de doublons possibles"
    at = app.run()
    assert f"Doublons possibles à examiner ({len(candidates)})" in [e.label for e in at.expander]
    first = candidates[0]
    if action == "distinct":
        at.button(key=f"structures.distinct.{first['id']}").click().run()
    else:
        at.button(key=f"structures.fusion.{first['id']}.{first['structure_id']}").click().run()
    assert not at.exception
    assert f"Doublons possibles à examiner ({len(candidates) - 1})" in [e.label for e in at.expander]
    with ui_store.connect() as con:
        dropped = get_structure(con, first["other_id"])
    if action == "fusion":
        assert dropped["merged_into"] == first["structure_id"]
        assert f"**{NC_COUNT - 1} structures**" in texts_of(at.markdown)
    else:
        assert dropped["deleted_at"] is None


def test_the_app_reopens_a_store_deleted_between_runs(app, ui_store, nc_store_template):
    at = app.run()
    ui_store.path.unlink()
    shutil.copy(nc_store_template, ui_store.path)
    at.run()
    assert not at.exception
    assert f"**{NC_COUNT} structures**" in texts_of(at.markdown)


# -- two people on one fiche (issue 17, item 2) --------------------------------------------------------


def _session(ui_store: Store, login: str, structure_id: str) -> AppTest:
    """One more browser tab: a signed-in person with this fiche open on its « Modifier » tab."""
    at = sign_in(AppTest.from_file(str(APP), default_timeout=TIMEOUT).run(), login, PASSWORD)
    at.switch_page("pages/structures.py").run()
    return _open(at, structure_id)


def _save(at: AppTest) -> AppTest:
    find_button(at, "Enregistrer les modifications").click().run()
    assert not at.exception
    return at


def test_a_tab_opened_earlier_saving_another_field_keeps_what_the_other_tab_saved(ui_store, server_navigation):
    with_accounts(ui_store, ("amelie", "coordinateur"), ("bruno", "coordinateur"))
    adie = _adie(ui_store)
    tab_a = _session(ui_store, "amelie", adie["id"])  # opened first
    tab_b = _session(ui_store, "bruno", adie["id"])

    _field(tab_b, "Site web").set_value("https://nouvellecaledonie.adie.org")
    _save(tab_b)
    _field(tab_a, "Nom").set_value("ADIE Nouvelle-Calédonie")
    _save(tab_a)

    with ui_store.connect() as con:
        row = get_structure(con, adie["id"])
    assert row["nom"] == "ADIE Nouvelle-Calédonie"
    assert row["site_web"] == ["https://nouvellecaledonie.adie.org"]  # bruno's save is still there
    assert texts_of(tab_a.success) == ["Modifications enregistrées : Nom."]


def _tab(structure_id: str) -> AppTest:
    """One more browser tab on this computer (no accounts: everyone is the device) with the fiche open."""
    return _open(AppTest.from_file(str(APP), default_timeout=TIMEOUT).run(), structure_id)


def test_the_same_field_saved_from_two_tabs_is_a_conflict_shown_with_both_values_then_resolved(ui_store, server_navigation):
    with_accounts(ui_store, ("amelie", "coordinateur"), ("bruno", "coordinateur"))
    adie = _adie(ui_store)
    tab_a = _session(ui_store, "amelie", adie["id"])
    tab_b = _session(ui_store, "bruno", adie["id"])

    _field(tab_b, "Horaires").set_value("Mo-Fr 08:00-12:00")
    _save(tab_b)
    _field(tab_a, "Horaires").set_value("Tu-Sa 09:00-17:00")
    _field(tab_a, "Numéro court").set_value("1010")
    _save(tab_a)

    (warning,) = texts_of(tab_a.warning)
    assert warning.startswith("Enregistré : Numéro court. Non enregistré")
    assert "Horaires (modifié par bruno le " in warning
    assert not [s for s in texts_of(tab_a.success) if "Modifications enregistrées" in s]
    with ui_store.connect() as con:
        row = get_structure(con, adie["id"])
    assert (row["horaires"], row["numero_court"]) == ("Mo-Fr 08:00-12:00", "1010")  # bruno's hours kept
    assert "Conflits à résoudre (1)" in [e.label for e in tab_a.expander]
    conflict = next(m for m in texts_of(tab_a.markdown) if m.startswith("**Horaires**"))
    assert "« Mo-Fr 08:00-12:00 » : valeur de la fiche, enregistrée par bruno le " in conflict
    assert "« Tu-Sa 09:00-17:00 » : proposée sur la fiche par amelie le " in conflict

    find_button(tab_a, "Garder « Tu-Sa 09:00-17:00 »").click().run()
    assert not tab_a.exception
    assert "Conflit résolu : « Tu-Sa 09:00-17:00 » est gardée." in texts_of(tab_a.success)
    assert not [e for e in tab_a.expander if e.label.startswith("Conflits à résoudre")]
    assert _field(tab_a, "Horaires").value == "Tu-Sa 09:00-17:00"  # the form drawn again from the fiche
    with ui_store.connect() as con:
        assert get_structure(con, adie["id"])["horaires"] == "Tu-Sa 09:00-17:00"
        assert structure_history(con, adie["id"])[-1]["change_reason"] == "resolution"


FIVE_TABS = {
    "toutes différentes": [("Nom", "ADIE Nouvelle-Calédonie"), ("Site web", "https://nc.adie.org"),
                           ("Horaires", "Mo-Fr 08:00-12:00"), ("Numéro court", "1010"),
                           ("Présentation résumé", "Microcrédit et accompagnement.")],
    "deux sur le même champ": [("Nom", "ADIE Nouvelle-Calédonie"), ("Site web", "https://nc.adie.org"),
                               ("Horaires", "Mo-Fr 08:00-12:00"), ("Horaires", "Tu-Sa 09:00-17:00"),
                               ("Numéro court", "1010")],
}
STORED = {"Nom": ("nom", str), "Site web": ("site_web", lambda v: [v]), "Horaires": ("horaires", str),
          "Numéro court": ("numero_court", str), "Présentation résumé": ("presentation_resume", str)}


@pytest.mark.parametrize("case", list(FIVE_TABS))
def test_five_tabs_editing_one_fiche_at_once_keep_every_field_saved_or_show_a_conflict(ui_store, server_navigation, case):
    adie = _adie(ui_store)
    edits = FIVE_TABS[case]
    tabs = [_tab(adie["id"]) for _ in edits]  # all five open the fiche before anyone saves
    for tab, (label, value) in zip(tabs, edits, strict=True):
        _field(tab, label).set_value(value)
    for tab in tabs:
        _save(tab)

    with ui_store.connect() as con:
        row = get_structure(con, adie["id"])
    first_value = {}
    for label, value in edits:
        first_value.setdefault(label, value)  # the first to save a field keeps it
    for label, value in first_value.items():
        name, stored = STORED[label]
        assert row[name] == stored(value), label
    for tab, (label, value) in zip(tabs, edits, strict=True):
        if value == first_value[label]:
            assert texts_of(tab.success) == [f"Modifications enregistrées : {label}."]
        else:  # the second on the same field: nothing overwritten, the conflict shown with both values
            (warning,) = texts_of(tab.warning)
            assert warning.startswith("Rien n'a été enregistré. Non enregistré, car changé ailleurs")
            assert f"{label} (modifié par {DEVICE} le " in warning
            assert "Conflits à résoudre (1)" in [e.label for e in tab.expander]
            conflict = next(m for m in texts_of(tab.markdown) if m.startswith(f"**{label}**"))
            assert f"« {first_value[label]} » : valeur de la fiche" in conflict and f"« {value} » : proposée" in conflict
