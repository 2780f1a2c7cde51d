"""The « Mes appels » page, driven through the real app with AppTest on a real store.

The page reads the real clock, and the demo campaign calls only on weekdays in office hours
(Nouvelle-Calédonie time): its queue depends on when the tests run. So each test builds its own
campaign, « Appels de test », callable at any hour, whose calls are logged relative to the real
now, so that the queue of this device's user (``poste-test``) is known:

1. a call-back asked for one hour ago (« Rappel prévu »);
2. two structures never called (« Jamais appelée »), in name order;
3. a structure that did not answer ten hours ago (« Nouvelle tentative »);

and not in the queue: a structure that did not answer five minutes ago (too early to retry), and
a structure assigned to someone else. The structures' opening hours are cleared so that they
never hide a structure. A row is clicked by writing its selection to the table's session
state, as AppTest allows.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from streamlit.testing.v1 import AppTest

from collect.calls import add_targets, assign, configure_campaign, log_attempt
from collect.campaigns import create_campaign
from collect.questionnaire import default_questionnaire
from collect.surveys import publish_questionnaire
from models.store import Store, utc_now
from tests.pages.ui import find_button, metric_values, texts_of

DEVICE = "poste-test"  # $MAILLAGE_DEVICE in the fixture: who acts, and whose queue is shown
OTHER = "enqueteur-1"
NOUMEA = ZoneInfo("Pacific/Noumea")
CAMPAIGN_NAME = "Appels de test"
CAMPAIGN_KEY = "appels.campagne"
OUTCOME_KEY = "appels.issue"
QUEUE = "À appeler maintenant"
COMING = "Rappels et rendez-vous à venir"





def _attempts(store: Store, campaign_id: str, structure_id: str | None = None) -> list[dict]:
    sql = "SELECT * FROM call_attempts WHERE campaign_id = ?"
    params = [campaign_id]
    if structure_id is not None:
        sql += " AND structure_id = ?"
        params.append(structure_id)
    return store.query(sql + " ORDER BY attempted_at", params)


@pytest.fixture
def calls(ui_store: Store) -> dict:
    """« Appels de test »: six NC structures (opening hours cleared), five of them this device's."""
    rows = ui_store.query("SELECT id, nom FROM structures WHERE deleted_at IS NULL ORDER BY nom, id LIMIT 6")
    assert len({row["nom"] for row in rows}) == 6
    by_name = [row["id"] for row in rows]
    names = {row["id"]: row["nom"] for row in rows}
    callback, never_a, retry, never_b, recent, elsewhere = (
        by_name[3], by_name[0], by_name[1], by_name[2], by_name[4], by_name[5]
    )
    now = utc_now()
    with ui_store.atomic() as con:
        stored = publish_questionnaire(con, default_questionnaire(), by="test")
        campaign_id = create_campaign(con, nom=CAMPAIGN_NAME, questionnaire_id=stored.id, by="test")
        configure_campaign(con, campaign_id, max_tentatives=3, heures_appel="Mo-Su 00:00-24:00", by="test")
        con.execute("UPDATE structures SET horaires = NULL WHERE id IN (SELECT unnest(?::VARCHAR[]))", [by_name])
        add_targets(con, campaign_id, by_name, by="test")
        assign(con, campaign_id, by_name[:5], DEVICE, by="test")
        assign(con, campaign_id, [elsewhere], OTHER, by="test")
        log_attempt(con, campaign_id, callback, "rappel", surveyor=DEVICE, by=DEVICE,
                    at=now - timedelta(days=1), callback_at=now - timedelta(hours=1))
        log_attempt(con, campaign_id, retry, "pas_de_reponse", surveyor=DEVICE, by=DEVICE,
                    at=now - timedelta(hours=10))
        log_attempt(con, campaign_id, recent, "pas_de_reponse", surveyor=DEVICE, by=DEVICE,
                    at=now - timedelta(minutes=5))
    return {
        "campaign": campaign_id, "store": ui_store, "names": names,
        "queue": [callback, never_a, never_b, retry], "recent": recent, "elsewhere": elsewhere,
        "callback": callback, "never": never_a, "retry": retry,
    }


def _on_page(app: AppTest, campaign_id: str) -> AppTest:
    at = app.run()
    at.switch_page("pages/appels.py").run()
    assert not at.exception
    assert texts_of(at.title) == ["Mes appels"]
    at.selectbox(key=CAMPAIGN_KEY).set_value(campaign_id).run()
    assert not at.exception
    return at


@pytest.fixture
def page(app: AppTest, calls: dict) -> AppTest:
    return _on_page(app, calls["campaign"])


def _queue_table(at: AppTest):
    found = [df for df in at.dataframe if df.key and df.key.startswith("appels.file.")]
    assert len(found) <= 1
    return found[0] if found else None


def _coming_table(at: AppTest):
    found = [df.value for df in at.dataframe if list(df.value.columns)[:2] == ["Rappel", "Structure"]]
    assert len(found) <= 1
    return found[0] if found else None


def _click_row(at: AppTest, structure: str, calls: dict) -> AppTest:
    """Click the queue's row of ``structure``: its call panel opens."""
    table = _queue_table(at)
    row = list(table.value["Structure"]).index(calls["names"][structure])
    at.session_state[table.key] = {"selection": {"rows": [row], "columns": []}}
    at.run()
    assert not at.exception
    assert f"Appel : {calls['names'][structure]}" in texts_of(at.subheader)
    return at


def _save(at: AppTest) -> AppTest:
    find_button(at, "Enregistrer l'appel").click().run()
    assert not at.exception
    return at


# -- the queue ----------------------------------------------------------------------------------


def test_the_queue_lists_due_call_backs_then_structures_never_called_then_retries(page, calls):
    assert page.selectbox(key=CAMPAIGN_KEY).format_func(calls["campaign"]) == CAMPAIGN_NAME
    surveyor = page.selectbox(key="appels.enqueteur")
    assert surveyor.value == DEVICE  # this device's user, who holds structures of the campaign
    assert surveyor.options == [OTHER, DEVICE]
    assert metric_values(page) == {"À appeler maintenant": "4", "Rappels à venir": "0", "Structures en cours": "5"}
    assert any("Mo-Su 00:00-24:00" in text and "au plus 3 tentatives" in text for text in texts_of(page.caption))

    table = _queue_table(page).value
    assert list(table.columns) == ["Ordre", "Motif", "Structure", "Commune", "Téléphone", "Heure locale",
                                   "Tentatives", "Dernière issue", "Rappel demandé"]
    names = calls["names"]
    assert list(table["Structure"]) == [names[sid] for sid in calls["queue"]]
    assert list(table["Ordre"]) == [1, 2, 3, 4]
    assert list(table["Motif"]) == ["Rappel prévu", "Jamais appelée", "Jamais appelée", "Nouvelle tentative"]
    assert list(table["Tentatives"]) == [1, 0, 0, 1]
    assert list(table["Dernière issue"]) == ["Rappel demandé", "", "", "Pas de réponse"]
    asked = (utc_now() - timedelta(hours=1)).astimezone(NOUMEA).strftime("%d/%m")
    assert "(Pacific/Noumea)" in table["Rappel demandé"][0] and asked in table["Rappel demandé"][0]
    assert list(table["Rappel demandé"][1:]) == ["", "", ""]
    assert all(re.fullmatch(r"\d{2}:\d{2} \(Pacific/Noumea\)", text) for text in table["Heure locale"])
    assert not {names[calls["recent"]], names[calls["elsewhere"]]} & set(table["Structure"])
    assert _coming_table(page) is None
    assert "Aucun rappel prévu." in texts_of(page.caption)


def test_another_surveyors_queue_is_theirs(page, calls):
    page.selectbox(key="appels.enqueteur").set_value(OTHER).run()
    assert not page.exception
    assert list(_queue_table(page).value["Structure"]) == [calls["names"][calls["elsewhere"]]]


@pytest.mark.parametrize(
    ("setup", "kind", "message"),
    [
        ("nobody", "info", "Aucune structure ne vous est attribuée dans cette campagne"),
        ("all_closed", "success", "Toutes vos structures sont traitées."),
        ("all_recent", "info", "Personne à appeler maintenant"),
    ],
    ids=["nothing-assigned", "all-closed", "none-due-yet"],
)
def test_an_empty_queue_says_why(app, ui_store, setup, kind, message):
    rows = ui_store.query("SELECT id FROM structures WHERE deleted_at IS NULL ORDER BY nom, id LIMIT 2")
    ids = [row["id"] for row in rows]
    with ui_store.atomic() as con:
        stored = publish_questionnaire(con, default_questionnaire(), by="test")
        campaign_id = create_campaign(con, nom=CAMPAIGN_NAME, questionnaire_id=stored.id, by="test")
        configure_campaign(con, campaign_id, max_tentatives=3, heures_appel="Mo-Su 00:00-24:00", by="test")
        add_targets(con, campaign_id, ids, by="test")
        assign(con, campaign_id, ids, OTHER if setup == "nobody" else DEVICE, by="test")
        for sid in ids if setup != "nobody" else []:
            outcome = "non_eligible" if setup == "all_closed" else "occupe"
            log_attempt(con, campaign_id, sid, outcome, surveyor=DEVICE, by=DEVICE,
                        at=utc_now() - timedelta(minutes=1))
    at = _on_page(app, campaign_id)
    if setup == "nobody":  # this device's user holds nothing: the first surveyor's queue is shown
        at.selectbox(key="appels.enqueteur").set_value(DEVICE).run()
    assert _queue_table(at) is None
    assert metric_values(at)["À appeler maintenant"] == "0"
    assert any(message in text for text in texts_of(getattr(at, kind)))


# -- logging a call -----------------------------------------------------------------------------


def test_clicking_a_row_opens_the_call_panel(page, calls):
    _click_row(page, calls["retry"], calls)
    labels = [b.label for b in page.button]
    assert {"Ouvrir le questionnaire", "Enregistrer l'appel", "Fermer sans enregistrer"} <= set(labels)
    assert page.selectbox(key=OUTCOME_KEY).value == "pas_de_reponse"  # the most frequent outcome, ready
    (history,) = [df.value for df in page.dataframe if "Code AAPOR" in df.value.columns]
    assert list(history["Issue"]) == ["Pas de réponse"] and list(history["Par"]) == [DEVICE]
    assert any("il est **" in text and "(Pacific/Noumea)" in text for text in texts_of(page.markdown))

    find_button(page, "Fermer sans enregistrer").click().run()
    assert not page.exception
    assert not any(text.startswith("Appel : ") for text in texts_of(page.subheader))
    # The row stays selected without reopening; a click unselects it, the next one reopens the call.
    table = _queue_table(page)
    page.session_state[table.key] = {"selection": {"rows": [], "columns": []}}
    page.run()
    assert not any(text.startswith("Appel : ") for text in texts_of(page.subheader))
    _click_row(page, calls["retry"], calls)


def test_a_structure_never_called_says_so_in_its_panel(page, calls):
    _click_row(page, calls["never"], calls)
    assert "Premier appel de cette structure." in texts_of(page.caption)


def test_logging_no_answer_writes_one_attempt_and_the_structure_leaves_the_queue(page, calls):
    store, campaign, structure = calls["store"], calls["campaign"], calls["never"]
    before = len(_attempts(store, campaign))
    _click_row(page, structure, calls)
    page.text_area(key="appels.note").input("Sonnerie dans le vide")
    started = utc_now()
    _save(page)

    assert "Appel enregistré : Pas de réponse." in texts_of(page.success)
    page.run()  # the flash is shown once; the last call logged stays in view
    assert "Appel enregistré : Pas de réponse." not in texts_of(page.success)
    assert any(text.startswith("Dernier appel enregistré : ") and " — Pas de réponse, à " in text
               for text in texts_of(page.caption))
    assert len(_attempts(store, campaign)) == before + 1
    (attempt,) = _attempts(store, campaign, structure)
    assert attempt["surveyor"] == DEVICE and attempt["updated_by"] == DEVICE
    assert attempt["outcome"] == "pas_de_reponse" and attempt["callback_at"] is None
    assert attempt["note"] == "Sonnerie dans le vide"
    assert started - timedelta(seconds=1) <= attempt["attempted_at"] <= utc_now()
    # The panel is closed, and the structure waits for its retry time.
    assert not any(text.startswith("Appel : ") for text in texts_of(page.subheader))
    remaining = [calls["names"][sid] for sid in calls["queue"] if sid != structure]
    assert list(_queue_table(page).value["Structure"]) == remaining
    assert metric_values(page)["À appeler maintenant"] == "3"


def test_a_call_back_typed_in_the_structures_time_is_stored_as_that_instant(page, calls):
    store, campaign, structure = calls["store"], calls["campaign"], calls["never"]
    _click_row(page, structure, calls)
    page.selectbox(key=OUTCOME_KEY).set_value("rappel").run()
    assert not page.exception
    day_input = page.date_input(key="appels.rappel_jour")
    assert "Pacific/Noumea" in day_input.label
    tomorrow = utc_now().astimezone(NOUMEA).date() + timedelta(days=1)
    assert day_input.value == tomorrow  # by default, tomorrow there at 10:00
    assert page.time_input(key="appels.rappel_heure").value == time(10, 0)
    day = tomorrow + timedelta(days=1)
    day_input.set_value(day)
    page.time_input(key="appels.rappel_heure").set_value(time(14, 30)).run()
    assert any(text.startswith("Rappel le ") and "14:30 (Pacific/Noumea)" in text for text in texts_of(page.caption))
    _save(page)

    assert "Appel enregistré : Rappel demandé." in texts_of(page.success)
    (attempt,) = _attempts(store, campaign, structure)
    assert attempt["outcome"] == "rappel" and attempt["surveyor"] == DEVICE
    # 14:30 in Nouméa (UTC+11, no summer time) is 03:30 UTC the same day.
    expected = datetime.combine(day, time(3, 30), tzinfo=UTC)
    assert attempt["callback_at"] == expected
    assert attempt["callback_at"] == datetime.combine(day, time(14, 30), tzinfo=NOUMEA)

    assert calls["names"][structure] not in list(_queue_table(page).value["Structure"])
    assert metric_values(page)["Rappels à venir"] == "1"
    assert COMING in texts_of(page.subheader)
    coming = _coming_table(page)
    assert list(coming["Structure"]) == [calls["names"][structure]]
    assert list(coming["Issue"]) == ["Rappel demandé"]
    weekday = ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim.")[day.weekday()]
    assert coming["Rappel"][0].startswith(f"{weekday} {day:%d/%m} 14:30 (Pacific/Noumea) · ")


def _two_messages(calls: dict) -> None:
    with calls["store"].atomic() as con:
        for days in (2, 1):
            log_attempt(con, calls["campaign"], calls["never"], "repondeur_message", surveyor=DEVICE, by=DEVICE,
                        at=utc_now() - timedelta(days=days))


@pytest.mark.parametrize(
    ("outcome", "error"),
    [
        ("repondeur_message", "Déjà 2 messages laissés sur ce répondeur : n'en laissez pas d'autre,"
                              " notez « Répondeur, pas de message »."),
        ("rappel", "La date de rappel doit être après l'appel."),  # asked for today at 00:00 there
    ],
    ids=["third-answering-machine-message", "call-back-in-the-past"],
)
def test_a_refused_call_shows_the_french_reason_and_writes_nothing(app, calls, outcome, error):
    if outcome == "repondeur_message":
        _two_messages(calls)
    page = _on_page(app, calls["campaign"])
    store, campaign, structure = calls["store"], calls["campaign"], calls["never"]
    before = _attempts(store, campaign)
    _click_row(page, structure, calls)
    page.selectbox(key=OUTCOME_KEY).set_value(outcome).run()
    if outcome == "repondeur_message":
        assert any("Deux messages ont déjà été laissés" in text for text in texts_of(page.warning))
    if outcome == "rappel":
        page.date_input(key="appels.rappel_jour").set_value(utc_now().astimezone(NOUMEA).date())
        page.time_input(key="appels.rappel_heure").set_value(time(0, 0)).run()
    _save(page)

    assert error in texts_of(page.error)
    assert not page.success
    assert _attempts(store, campaign) == before
    # The panel stays open on the same structure, to log the right outcome.
    assert f"Appel : {calls['names'][structure]}" in texts_of(page.subheader)


def test_ouvrir_le_questionnaire_opens_the_survey_of_that_structure(page, calls):
    _click_row(page, calls["callback"], calls)
    find_button(page, "Ouvrir le questionnaire").click().run()
    assert not page.exception
    assert texts_of(page.title) == ["Enquête"]
    assert page.query_params.get("campagne") == calls["campaign"]
    assert page.query_params.get("structure") == calls["callback"]
    assert page.query_params.get("depuis") == "appels"
    assert calls["names"][calls["callback"]] in texts_of(page.subheader)
