"""Who is reminded: the rules choose non-respondents, and every other target is left out with its
code and French reason (completed, refused, opted out, no address, delay, maximum, pending)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from collect.relances.batches import prepare_batch
from collect.relances.errors import RelanceError
from collect.relances.export import batch_zip_bytes
from collect.relances.opt_outs import add_opt_out, remove_opt_out
from collect.relances.selection import relance_candidates
from collect.relances.templates import set_relance_settings
from models.store import utc_now
from tests.collect.relances.scenario import LIEUX, PARIS, T0, call

NO_ANSWER_3 = [("pas_de_reponse", 9), ("pas_de_reponse", 6), ("pas_de_reponse", 3)]


# Attempts on the Médiathèque de Cognac: (outcome, days ago[, call-back days ago]). Then either
# the reason it is chosen, or the code of the reason it is left out.
@pytest.mark.parametrize(
    ("attempts", "rules", "chosen", "left_out"),
    [
        pytest.param(NO_ANSWER_3, ["sans_contact"], "jamais jointe après 3 tentative(s)", None, id="never-reached"),
        pytest.param(NO_ANSWER_3[:2], ["sans_contact"], None, "hors_regles", id="too-few-attempts"),
        pytest.param([("repondeur_message", 9), ("occupe", 6), ("pas_de_reponse", 3)], ["sans_contact"],
                     None, "hors_regles", id="answering-machine-means-reached"),
        pytest.param([("partielle", 2)], ["partielle"], "questionnaire commencé, pas terminé", None, id="partial"),
        pytest.param([("partielle", 2)], ["sans_contact"], None, "hors_regles", id="partial-not-asked"),
        pytest.param([("rappel", 5, 2)], ["promesse"],
                     "a promis de répondre (rappel prévu le {callback}), sans entretien depuis", None,
                     id="promise-passed"),
        pytest.param([("rendez_vous", 5, -1)], ["promesse"], None, "hors_regles", id="appointment-still-to-come"),
        pytest.param([("rappel", 5, 2)], ["sans_contact", "partielle"], None, "hors_regles", id="promise-not-asked"),
        pytest.param([("partielle", 4), ("complete", 1)], ["partielle"], None, "complete", id="completed"),
        pytest.param([("refus_doux", 9)], ["sans_contact", "partielle", "promesse"], None, "refus", id="soft-refusal"),
        pytest.param([("rappel", 9, 8), ("refus_ferme", 1)], ["promesse"], None, "refus", id="hard-refusal"),
        pytest.param([("non_eligible", 3)], ["sans_contact"], None, "non_eligible", id="not-eligible"),
        pytest.param([("mauvais_numero", 3)], ["sans_contact"],
                     "numéro erroné (mauvais numéro) : le courriel est le seul moyen de la joindre", None,
                     id="wrong-number-4.41-mail-is-the-way"),
        pytest.param([("numero_inexistant", 3)], ["partielle"], None, "hors_regles", id="wrong-number-not-asked"),
        pytest.param([], ["sans_contact"], None, "hors_regles", id="never-called"),
    ],
)
def test_rules_choose_non_respondents_and_say_why_others_are_left_out(
    store, campaign, attempts, rules, chosen, left_out
):
    callback = None
    for outcome, days_ago, *callback_days_ago in attempts:
        if callback_days_ago:
            callback = T0 - timedelta(days=callback_days_ago[0])
            call(store, campaign, "cognac", outcome, days_ago=days_ago, callback_at=callback)
        else:
            call(store, campaign, "cognac", outcome, days_ago=days_ago)
    with store.connect() as con:
        selection = relance_candidates(con, campaign["id"], rules, min_attempts=3, now=T0)
    candidates = {c.structure_id: c for c in selection.candidates}
    excluded = {e.structure_id: e for e in selection.excluded}
    assert set(candidates) | set(excluded) == {campaign[k] for k in LIEUX}  # every target, in one list
    if chosen:
        # Times are told in the structure's own zone.
        when = f"{callback.astimezone(PARIS):%d/%m/%Y à %H:%M}" if callback else None
        assert candidates[campaign["cognac"]].motif == chosen.format(callback=when)
        assert candidates[campaign["cognac"]].destinataire == "mediatheque@cognac.fr"
    else:
        assert excluded[campaign["cognac"]].code == left_out


def test_opted_out_and_address_less_structures_are_left_out_with_their_reason(store, campaign):
    for key in LIEUX:
        for day in (9, 6, 3):
            call(store, campaign, key, "pas_de_reponse", days_ago=day)
    with store.atomic() as con:
        add_opt_out(con, campaign["segonzac"], "ne souhaite pas être sollicitée", by="coord")
        selection = relance_candidates(con, campaign["id"], ["sans_contact"], min_attempts=3, now=T0)
    assert [(c.nom, c.destinataire) for c in selection.candidates] == [
        ("Espace numérique de Jarnac", "epn@jarnac.fr"),
        ("Médiathèque de Cognac", "mediatheque@cognac.fr"),
        ("Tiers-lieu de Châteauneuf", "lea.martin@tiers-lieu16.fr"),
    ]
    assert [(e.nom, e.code, e.motif) for e in selection.excluded] == [
        ("France services Segonzac", "desinscrite",
         "a demandé à ne plus recevoir de courriels (ne souhaite pas être sollicitée)"),
        ("Point numérique de Barbezieux", "sans_courriel",
         "aucune adresse e-mail connue (ni courriel de la structure, ni courriel du contact)"),
    ]
    with store.atomic() as con:
        assert remove_opt_out(con, campaign["segonzac"], by="coord") is True
        selection = relance_candidates(con, campaign["id"], ["sans_contact"], min_attempts=3, now=T0)
    assert "France services Segonzac" in [c.nom for c in selection.candidates]


def test_the_delay_between_relances_and_their_maximum_are_respected(store, campaign):
    for day in (9, 6, 3):
        call(store, campaign, "cognac", "pas_de_reponse", days_ago=day)
    with store.atomic() as con:
        set_relance_settings(con, campaign["id"], objet=None, corps=None, delai_jours=7, max_relances=2, by="coord")

    def cognac_at(now):
        with store.connect() as con:
            selection = relance_candidates(con, campaign["id"], ["sans_contact"], now=now)
        if any(c.nom == "Médiathèque de Cognac" for c in selection.candidates):
            return "candidate"
        return next(e.code for e in selection.excluded if e.nom == "Médiathèque de Cognac")

    first = prepare_batch(store, campaign["id"], [campaign["cognac"]], canal="export", by="coord", now=T0)
    assert cognac_at(T0) == "en_attente"  # prepared, not sent: never put in a second batch
    batch_zip_bytes(store, first, by="coord")  # exported: counts as sent
    sent_at = utc_now()
    assert cognac_at(sent_at + timedelta(days=3)) == "delai"
    assert cognac_at(sent_at + timedelta(days=8)) == "candidate"
    with pytest.raises(RelanceError, match="Aucune structure à relancer .*7 jours au moins entre deux relances"):
        prepare_batch(store, campaign["id"], [campaign["cognac"]], by="coord", now=sent_at + timedelta(days=3))

    second = prepare_batch(store, campaign["id"], [campaign["cognac"]], canal="export", by="coord",
                           now=sent_at + timedelta(days=8))
    batch_zip_bytes(store, second, by="coord")
    assert cognac_at(sent_at + timedelta(days=30)) == "maximum"
