"""Opt-outs: a structure that asked not to be mailed any more is never mailed again, in any campaign.

Recording an opt-out (with an optional reason) cancels the structure's pending relances; removing it
allows mailing the structure again; the list shows who opted out, newest first. Each change is in
the audit log, and only a coordinator may make it.
"""

from __future__ import annotations

import json

import pytest

from collect.relances.batches import prepare_batch
from collect.relances.opt_outs import add_opt_out, list_opt_outs, remove_opt_out
from models.access import AccessDenied, create_user
from models.errors import StructureNotFound
from models.registry import create_structure
from tests.collect.relances.scenario import LIEUX


@pytest.fixture
def lieux(store):
    """Three lieux of Charente and no campaign at all: an opt-out holds for every campaign."""
    with store.atomic() as con:
        return {key: create_structure(con, LIEUX[key] | {"date_maj": "2026-01-01"}, by="t")[0].id
                for key in ("jarnac", "segonzac", "cognac")}


def opted_out(store):
    with store.connect() as con:
        return [(row["nom"], row["commune"], row["motif"], row["updated_by"]) for row in list_opt_outs(con)]


def test_opted_out_structures_are_listed_newest_first_with_their_reason(store, lieux):
    with store.atomic() as con:
        add_opt_out(con, lieux["jarnac"], "a répondu STOP", by="coord")
        add_opt_out(con, lieux["segonzac"], None, by="claire")
    assert opted_out(store) == [
        ("France services Segonzac", "Segonzac", None, "claire"),
        ("Espace numérique de Jarnac", "Jarnac", "a répondu STOP", "coord"),
    ]


@pytest.mark.parametrize(
    ("motif", "kept"),
    [
        pytest.param("  ne souhaite pas être sollicitée  ", "ne souhaite pas être sollicitée", id="spaces trimmed"),
        pytest.param("   ", None, id="blank is no reason"),
        pytest.param(None, None, id="no reason"),
    ],
)
def test_the_reason_is_optional_and_trimmed(store, lieux, motif, kept):
    with store.atomic() as con:
        add_opt_out(con, lieux["cognac"], motif, by="coord")
    assert opted_out(store) == [("Médiathèque de Cognac", "Cognac", kept, "coord")]


def test_opting_out_twice_keeps_one_entry_with_the_latest_reason(store, lieux):
    with store.atomic() as con:
        add_opt_out(con, lieux["cognac"], "premier appel", by="coord")
        add_opt_out(con, lieux["cognac"], "a écrit à la mairie", by="claire")
    assert opted_out(store) == [("Médiathèque de Cognac", "Cognac", "a écrit à la mairie", "claire")]


def test_an_unknown_structure_cannot_opt_out(store, lieux):
    with store.atomic() as con, pytest.raises(StructureNotFound) as caught:
        add_opt_out(con, "structure-inconnue", "STOP", by="coord")
    assert str(caught.value) == "Structure introuvable : structure-inconnue"
    assert opted_out(store) == []


@pytest.mark.parametrize(
    ("status", "after"),
    [
        pytest.param("a_envoyer", "annulee", id="a relance to send is cancelled"),
        pytest.param("echec", "annulee", id="a failed relance to retry is cancelled"),
        pytest.param("envoyee", "envoyee", id="a relance already sent stays sent"),
        pytest.param("en_cours", "en_cours", id="an uncertain sending stays to be resolved"),
    ],
)
def test_opting_out_cancels_the_structure_s_pending_relances_only(store, campaign, status, after):
    batch = prepare_batch(store, campaign["id"], [campaign["jarnac"], campaign["cognac"]], canal="export", by="coord")
    with store.atomic() as con:
        con.execute("UPDATE relances SET statut = ? WHERE batch_id = ?", [status, batch])
        add_opt_out(con, campaign["jarnac"], "a répondu STOP", by="coord")
    rows = {row["destinataire"]: (row["statut"], row["erreur"]) for row in store.query(
        "SELECT destinataire, statut, erreur FROM relances WHERE batch_id = ?", [batch])}
    cancelled = (after, "la structure ne souhaite plus recevoir de courriels" if after == "annulee" else None)
    assert rows == {"epn@jarnac.fr": cancelled, "mediatheque@cognac.fr": (status, None)}


def test_removing_an_opt_out_allows_mailing_again_and_says_whether_there_was_one(store, lieux):
    with store.atomic() as con:
        add_opt_out(con, lieux["jarnac"], "STOP", by="coord")
        assert remove_opt_out(con, lieux["jarnac"], by="coord") is True
        assert remove_opt_out(con, lieux["jarnac"], by="coord") is False
        assert remove_opt_out(con, lieux["cognac"], by="coord") is False
    assert opted_out(store) == []


def test_each_opt_out_and_opt_in_is_audited_with_who_and_why(store, lieux):
    with store.atomic() as con:
        add_opt_out(con, lieux["jarnac"], "a répondu STOP", by="coord")
        remove_opt_out(con, lieux["jarnac"], by="claire")
        remove_opt_out(con, lieux["jarnac"], by="claire")  # nothing removed: nothing audited
    entries = store.query("SELECT action, actor, entity_id, details FROM audit_log WHERE action LIKE 'relance.opt_%'"
                          " ORDER BY occurred_at")
    assert [(e["action"], e["actor"], e["entity_id"]) for e in entries] == [
        ("relance.opt_out", "coord", lieux["jarnac"]), ("relance.opt_in", "claire", lieux["jarnac"])]
    assert json.loads(entries[0]["details"]) == {"motif": "a répondu STOP"}


@pytest.mark.parametrize(
    ("role", "refusal"),
    [
        pytest.param("coordinateur", None, id="a coordinator may"),
        pytest.param("enqueteur", "Accès refusé : un compte enquêteur·rice (camille) ne peut pas envoyer des relances.",
                     id="a surveyor may not"),
        pytest.param("comite", "Accès refusé : un compte membre du comité de pilotage (camille) ne peut pas envoyer"
                     " des relances.", id="the committee may not"),
    ],
)
def test_only_a_coordinator_records_or_removes_an_opt_out(store, lieux, role, refusal):
    with store.atomic() as con:
        create_user(con, "admin", nom="Alix Admin", role="admin", email="alix@example.org", by="installation")
        create_user(con, "camille", nom="Camille", role=role, email="camille@example.org", by="admin")
        add_opt_out(con, lieux["segonzac"], "STOP", by="admin")
    for action in (lambda con: add_opt_out(con, lieux["jarnac"], "STOP", by="camille"),
                   lambda con: remove_opt_out(con, lieux["segonzac"], by="camille")):
        with store.atomic() as con:
            if refusal is None:
                action(con)
            else:
                with pytest.raises(AccessDenied) as caught:
                    action(con)
                assert str(caught.value) == refusal
    expected = ["France services Segonzac"] if refusal else ["Espace numérique de Jarnac"]
    assert [name for name, *_ in opted_out(store)] == expected
