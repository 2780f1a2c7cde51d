"""Campaigns: a named survey of the territory's structures under one questionnaire version at a time.

A campaign is created with a name and a published questionnaire version, found again by its id or
its exact name, listed newest first with its questionnaire's title and version, and moved to a newer
version mid-campaign. Whatever is impossible is refused with a French ``CampaignError``; only a
coordinator (or an admin) may create or move a campaign.
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from collect.campaigns import (
    CampaignError,
    create_campaign,
    find_campaign,
    get_campaign,
    list_campaigns,
    set_campaign_questionnaire,
)
from collect.questionnaire import default_questionnaire
from collect.surveys import publish_questionnaire
from models.access import AccessDenied, create_user


@pytest.fixture
def versions(store):
    """The default questionnaire published twice: version 1, then version 2 (another title)."""
    with store.atomic() as con:
        v1 = publish_questionnaire(con, default_questionnaire(), by="t")
        v2 = publish_questionnaire(
            con, default_questionnaire().model_copy(update={"titre": "Diagnostic territorial 2027"}), by="t"
        )
    assert (v1.version, v2.version) == (1, 2)
    return v1, v2


def audit(store, action):
    return store.query("SELECT actor, entity_id, details FROM audit_log WHERE action = ? ORDER BY occurred_at", [action])


def test_a_campaign_is_created_with_its_questionnaire_version_and_dates_and_audited(store, versions):
    v1, _ = versions
    with store.atomic() as con:
        campaign_id = create_campaign(con, nom="Diagnostic 2026", questionnaire_id=v1.id,
                                      date_debut=date(2026, 9, 1), date_fin=date(2026, 12, 15), by="coord")
        campaign = get_campaign(con, campaign_id)
    assert (campaign["nom"], campaign["questionnaire_id"], campaign["date_debut"], campaign["date_fin"]) == (
        "Diagnostic 2026", v1.id, date(2026, 9, 1), date(2026, 12, 15))
    assert (campaign["updated_by"], campaign["deleted_at"]) == ("coord", None)
    (entry,) = audit(store, "campaign.create")
    assert (entry["actor"], entry["entity_id"], json.loads(entry["details"])) == (
        "coord", campaign_id, {"nom": "Diagnostic 2026"})


@pytest.mark.parametrize("nom", ["", "   ", None], ids=["empty", "blank", "none"])
def test_a_campaign_without_a_name_is_refused_in_french(store, versions, nom):
    with store.atomic() as con, pytest.raises(CampaignError) as caught:
        create_campaign(con, nom=nom, questionnaire_id=versions[0].id, by="coord")
    assert str(caught.value) == "Donnez un nom à la campagne (par exemple « Diagnostic 2027 »)."
    assert store.query("SELECT count(*) AS n FROM campaigns") == [{"n": 0}]


@pytest.mark.parametrize("action", ["create", "move"])
def test_an_unknown_questionnaire_version_is_refused_in_french(store, versions, action):
    with store.atomic() as con:
        campaign_id = create_campaign(con, nom="Diagnostic 2026", questionnaire_id=versions[0].id, by="coord")
    with store.atomic() as con, pytest.raises(CampaignError) as caught:
        if action == "create":
            create_campaign(con, nom="Relevé 2027", questionnaire_id="questionnaire-inconnu", by="coord")
        else:
            set_campaign_questionnaire(con, campaign_id, "questionnaire-inconnu", by="coord")
    assert str(caught.value) == "Questionnaire introuvable : questionnaire-inconnu"
    with store.connect() as con:
        assert [c["questionnaire_id"] for c in list_campaigns(con)] == [versions[0].id]


@pytest.mark.parametrize("how", ["id", "name"])
def test_a_campaign_is_found_by_its_id_or_exact_name_the_newest_of_that_name(store, versions, how):
    with store.atomic() as con:
        older = create_campaign(con, nom="Diagnostic", questionnaire_id=versions[0].id, by="coord")
        newer = create_campaign(con, nom="Diagnostic", questionnaire_id=versions[1].id, by="coord")
        found = find_campaign(con, older if how == "id" else "Diagnostic")
    assert found["id"] == (older if how == "id" else newer)


@pytest.mark.parametrize("wanted", ["Diagnostic 2025", "diagnostic 2026", "Diagnostic"])
def test_a_campaign_not_found_by_id_or_exact_name_is_said_in_french(store, versions, wanted):
    with store.atomic() as con:
        create_campaign(con, nom="Diagnostic 2026", questionnaire_id=versions[0].id, by="coord")
    with store.connect() as con, pytest.raises(CampaignError) as caught:
        find_campaign(con, wanted)
    assert str(caught.value) == f"Campagne « {wanted} » introuvable."


def test_getting_an_unknown_campaign_id_is_said_in_french(store):
    with store.connect() as con, pytest.raises(CampaignError) as caught:
        get_campaign(con, "campagne-inconnue")
    assert str(caught.value) == "Campagne introuvable : campagne-inconnue"


def test_campaigns_are_listed_newest_first_with_their_questionnaire_title_and_version(store, versions):
    v1, v2 = versions
    with store.atomic() as con:
        create_campaign(con, nom="Diagnostic 2026", questionnaire_id=v1.id, by="coord")
        create_campaign(con, nom="Relevé 2027", questionnaire_id=v2.id, by="coord")
        listed = list_campaigns(con)
    assert [(c["nom"], c["questionnaire_titre"], c["questionnaire_version"]) for c in listed] == [
        ("Relevé 2027", "Diagnostic territorial 2027", 2),
        ("Diagnostic 2026", "Diagnostic territorial de l'inclusion numérique", 1),
    ]


def test_a_deleted_campaign_is_neither_listed_nor_found(store, versions):
    with store.atomic() as con:
        kept = create_campaign(con, nom="Diagnostic 2026", questionnaire_id=versions[0].id, by="coord")
        gone = create_campaign(con, nom="Ancienne campagne", questionnaire_id=versions[0].id, by="coord")
        con.execute("UPDATE campaigns SET deleted_at = now() WHERE id = ?", [gone])  # as a deletion leaves it
        assert [c["id"] for c in list_campaigns(con)] == [kept]
        for wanted in (gone, "Ancienne campagne"):
            with pytest.raises(CampaignError, match="introuvable"):
                find_campaign(con, wanted)


def test_a_campaign_moves_to_a_newer_questionnaire_version_and_the_move_is_audited(store, versions):
    v1, v2 = versions
    with store.atomic() as con:
        campaign_id = create_campaign(con, nom="Diagnostic 2026", questionnaire_id=v1.id, by="coord")
        set_campaign_questionnaire(con, campaign_id, v2.id, by="claire")
        moved = get_campaign(con, campaign_id)
        (listed,) = list_campaigns(con)
    assert (moved["questionnaire_id"], moved["updated_by"]) == (v2.id, "claire")
    assert listed["questionnaire_version"] == 2
    (entry,) = audit(store, "campaign.questionnaire")
    assert (entry["actor"], entry["entity_id"], json.loads(entry["details"])) == (
        "claire", campaign_id, {"questionnaire_id": v2.id})


def test_moving_an_unknown_campaign_is_refused_in_french_and_audits_nothing(store, versions):
    with store.atomic() as con, pytest.raises(CampaignError, match="Campagne introuvable : campagne-inconnue"):
        set_campaign_questionnaire(con, "campagne-inconnue", versions[1].id, by="coord")
    assert audit(store, "campaign.questionnaire") == []


@pytest.mark.parametrize(
    ("role", "refusal"),
    [
        pytest.param("coordinateur", None, id="a coordinator may"),
        pytest.param("enqueteur", "Accès refusé : un compte enquêteur·rice (camille) ne peut pas gérer une campagne"
                     " (cibles, attributions, réglages).", id="a surveyor may not"),
        pytest.param("comite", "Accès refusé : un compte membre du comité de pilotage (camille) ne peut pas gérer une"
                     " campagne (cibles, attributions, réglages).", id="the committee may not"),
    ],
)
def test_only_a_coordinator_creates_or_moves_a_campaign(store, versions, role, refusal):
    v1, v2 = versions
    with store.atomic() as con:
        create_user(con, "admin", nom="Alix Admin", role="admin", email="alix@example.org", by="installation")
        create_user(con, "camille", nom="Camille", role=role, email="camille@example.org", by="admin")
        existing = create_campaign(con, nom="Diagnostic 2026", questionnaire_id=v1.id, by="admin")
    actions = {
        "create": lambda con: create_campaign(con, nom="Relevé 2027", questionnaire_id=v1.id, by="camille"),
        "move": lambda con: set_campaign_questionnaire(con, existing, v2.id, by="camille"),
    }
    for action in actions.values():
        with store.atomic() as con:
            if refusal:
                with pytest.raises(AccessDenied) as caught:
                    action(con)
                assert str(caught.value) == refusal
            else:
                action(con)
    with store.connect() as con:
        campaigns = {c["nom"]: c["questionnaire_version"] for c in list_campaigns(con)}
    assert campaigns == ({"Diagnostic 2026": 1} if refusal else {"Diagnostic 2026": 2, "Relevé 2027": 1})


def test_a_name_typed_with_spaces_around_is_kept_as_typed_and_found_without_them(store, versions):
    with store.atomic() as con:
        campaign_id = create_campaign(con, nom=" Diagnostic 2027 ", questionnaire_id=versions[0].id, by="coord")
        assert get_campaign(con, campaign_id)["nom"] == " Diagnostic 2027 "
        assert find_campaign(con, "Diagnostic 2027")["id"] == campaign_id
