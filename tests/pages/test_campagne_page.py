"""The « Préparer la campagne » page, driven through the real app with AppTest on a real store:
a coordinator creates a campaign, sets its calling rules, targets structures and shares them.

The store is conftest's copy of the 90 Nouvelle-Calédonie lieux and the demo campaign.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from collect.calls import assignment_history, load_cases
from collect.campaigns import find_campaign
from models.saved_filters import StructureFilter, save_filter
from models.store import Store
from tests.pages.conftest import APP, TIMEOUT
from tests.pages.ui import find_button

PAGE = "pages/campagne.py"



def _open(app: AppTest) -> AppTest:
    app.run()
    app.switch_page(PAGE)
    app.run()
    assert not app.exception, app.exception
    return app


def _new_campaign(app: AppTest, name: str) -> AppTest:
    app.text_input(key="campagne.nouvelle.nom").input(name)
    find_button(app, "Créer la campagne").click().run()
    assert not app.exception
    assert f"Campagne « {name} » créée" in app.success[0].value
    return app


def test_a_new_campaign_is_targeted_by_territory_then_shared_in_balance(app: AppTest, ui_store: Store):
    _new_campaign(_open(app), "Relevé 2027")
    assert app.selectbox(key="campagne.choisie").format_func(app.selectbox(key="campagne.choisie").value) == "Relevé 2027"
    app.multiselect(key="campagne.departements").select("988").run()
    assert "90 structures correspondent, dont 90 nouvelles pour la campagne." in [c.value for c in app.caption]
    find_button(app, "Ajouter 90 structures").click().run()
    assert app.success[0].value == "90 structures ajoutées à la campagne."
    app.text_input(key="campagne.nouveaux_enqueteurs").input("alice, bruno, chloe").run()
    find_button(app, "Proposer une répartition").click().run()
    proposed = [df.value for df in app.dataframe if "Territoires" in df.value.columns][0]
    assert proposed["Structures"].tolist() == [30, 30, 30] and set(proposed["Territoires"]) == {"988"}
    find_button(app, "Appliquer cette répartition").click().run()
    assert app.success[0].value == "90 structures attribuées."
    with ui_store.connect() as con:
        campaign_id = find_campaign(con, "Relevé 2027")["id"]
        cases = load_cases(con, campaign_id)
    assert {c.surveyor for c in cases} == {"alice", "bruno", "chloe"}


def test_a_leaving_surveyor_s_structures_are_taken_over_with_history(app: AppTest, ui_store: Store):
    _open(app)
    with ui_store.connect() as con:
        demo = find_campaign(con, "Diagnostic 2026 (démonstration)")["id"]
        before = {c.structure_id: c for c in load_cases(con, demo)}
    leaving = [sid for sid, c in before.items() if c.surveyor == "enqueteur-3" and not c.disposition.final]
    app.selectbox(key=f"campagne.reprendre.{demo}").select("enqueteur-3").run()
    find_button(app, "Proposer une répartition").click().run()
    find_button(app, "Appliquer cette répartition").click().run()
    assert not app.exception
    with ui_store.connect() as con:
        after = {c.structure_id: c for c in load_cases(con, demo)}
        history = assignment_history(con, demo, leaving[0])
    assert all(after[sid].surveyor in ("enqueteur-1", "enqueteur-2") for sid in leaving)
    assert history[0]["surveyor"] == "enqueteur-3" and history[0]["ended_at"] is not None


@pytest.mark.parametrize(
    ("hours", "attempts", "message"),
    [
        ("lundi matin", 5, "Heures d'appel illisibles"),
        ("Mo-Sa 08:30-19:00", 4, "Règles d'appel enregistrées."),
    ],
)
def test_calling_rules_are_saved_or_refused_in_french(app: AppTest, ui_store: Store, hours, attempts, message):
    _open(app)
    app.text_input(key="campagne.heures").input(hours)
    app.number_input(key="campagne.max_tentatives").set_value(attempts)
    find_button(app, "Enregistrer les règles").click().run()
    shown = [e.value for e in (*app.success, *app.error)]
    assert any(message in text for text in shown), shown
    with ui_store.connect() as con:
        saved = find_campaign(con, "Diagnostic 2026 (démonstration)")
    expected = (hours, attempts) if "enregistrées" in message else ("Mo-Fr 09:00-12:30,13:30-18:00", 6)
    assert (saved["heures_appel"], saved["max_tentatives"]) == expected


def test_a_saved_filter_of_the_structures_page_targets_a_campaign(app: AppTest, ui_store: Store):
    with ui_store.atomic() as con:
        save_filter(con, "Nouméa", StructureFilter(text="Nouméa"), by="coord")
    _new_campaign(_open(app), "Nouméa seulement")
    saved = app.multiselect(key="campagne.filtres")
    saved.select(saved.options[0]).run()
    button = find_button(app, "Ajouter")
    assert not button.disabled
    button.click().run()
    with ui_store.connect() as con:
        cases = load_cases(con, find_campaign(con, "Nouméa seulement")["id"])
    assert cases and all("nouméa" in (c.commune or "").lower() or "nouméa" in (c.nom or "").lower() for c in cases)


def test_structures_are_assigned_by_hand_or_taken_out_of_the_campaign(app: AppTest, ui_store: Store):
    _open(app)
    with ui_store.connect() as con:
        demo = find_campaign(con, "Diagnostic 2026 (démonstration)")["id"]
        open_cases = [c for c in load_cases(con, demo) if not c.disposition.final]
    first, second = open_cases[0].structure_id, open_cases[1].structure_id
    app.multiselect(key=f"campagne.manuelle.{demo}").select(first)
    app.selectbox(key=f"campagne.manuelle_vers.{demo}").select("enqueteur-2")
    find_button(app, "Attribuer").click().run()
    assert app.success[0].value == "1 structure attribuée à enqueteur-2."
    app.multiselect(key=f"campagne.manuelle.{demo}").select(second)
    find_button(app, "Retirer de la campagne").click().run()
    assert app.success[0].value.startswith("1 structure retirée de la campagne")
    with ui_store.connect() as con:
        cases = {c.structure_id: c for c in load_cases(con, demo)}
        kept_calls = con.execute("SELECT count(*) FROM call_attempts WHERE structure_id = ?", [second]).fetchone()[0]
    assert cases[first].surveyor == "enqueteur-2" and second not in cases
    assert kept_calls == open_cases[1].summary.count  # its calls stay in the history


def test_two_tabs_changing_different_rules_keep_both_and_the_same_rule_is_a_conflict_to_settle(
    app: AppTest, ui_store: Store, server_navigation
):
    first = _open(app)
    second = _open(AppTest.from_file(str(APP), default_timeout=TIMEOUT))  # both show the rules as stored
    second.text_input(key="campagne.heures").input("Mo-Sa 08:30-19:00")
    find_button(second, "Enregistrer les règles").click().run()
    first.number_input(key="campagne.max_tentatives").set_value(4)
    find_button(first, "Enregistrer les règles").click().run()
    assert [s.value for s in first.success] == ["Règles d'appel enregistrées."]
    with ui_store.connect() as con:
        saved = find_campaign(con, "Diagnostic 2026 (démonstration)")
    assert (saved["heures_appel"], saved["max_tentatives"]) == ("Mo-Sa 08:30-19:00", 4)  # the hours are still there

    second.number_input(key="campagne.max_tentatives").set_value(5)  # still based on 6
    find_button(second, "Enregistrer les règles").click().run()
    assert not second.exception
    warnings = [w.value for w in second.warning]
    assert warnings[0] == ("Non enregistré, car changé ailleurs pendant que vous modifiiez : Tentatives au plus"
                           " (les deux valeurs sont sous le formulaire).")
    assert warnings[1].startswith("Tentatives au plus : votre valeur « 5 » n'est pas enregistrée, car poste-test l'a"
                                  " changée en « 4 » le ")
    assert not second.success
    with ui_store.connect() as con:
        assert find_campaign(con, "Diagnostic 2026 (démonstration)")["max_tentatives"] == 4

    find_button(second, "Garder « 5 »").click().run()
    assert [s.value for s in second.success] == ["Règles d'appel enregistrées."] and not second.warning
    with ui_store.connect() as con:
        assert find_campaign(con, "Diagnostic 2026 (démonstration)")["max_tentatives"] == 5
