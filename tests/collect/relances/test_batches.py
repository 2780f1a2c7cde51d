"""Batches: a batch never holds a structure that must not be mailed, whatever the caller asks, and
what it has not sent can be cancelled."""

from __future__ import annotations

import pytest

from collect.relances.batches import cancel_batch, prepare_batch
from collect.relances.errors import RelanceError
from collect.relances.opt_outs import add_opt_out
from tests.collect.relances.scenario import LIEUX, call, statuses


def test_a_batch_never_holds_a_completed_refused_or_opted_out_structure_even_if_asked(store, campaign):
    call(store, campaign, "jarnac", "complete", days_ago=1)
    call(store, campaign, "segonzac", "refus_doux", days_ago=1)
    with store.atomic() as con:
        add_opt_out(con, campaign["chateauneuf"], None, by="coord")
    everyone = [campaign[k] for k in LIEUX]
    batch = prepare_batch(store, campaign["id"], everyone + ["pas-une-cible"], by="coord")
    assert statuses(store, batch) == {"Médiathèque de Cognac": ("a_envoyer", 0)}
    with pytest.raises(RelanceError, match="Aucune structure à relancer"):
        prepare_batch(store, campaign["id"], [campaign["jarnac"], campaign["segonzac"]], by="coord")
    assert cancel_batch(store, batch, by="coord") == 1
    assert statuses(store, batch) == {"Médiathèque de Cognac": ("annulee", 0)}
