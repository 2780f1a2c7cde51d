"""The campaign the relance tests share: five lieux of Charente (four with an address), calls
logged at chosen days before ``T0``, and a batch's statuses by structure name."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from collect.calls import log_attempt
from collect.relances.batches import batch_rows
from models.store import utc_now

T0 = utc_now()
PARIS = ZoneInfo("Europe/Paris")

LIEUX = {
    "jarnac": {"nom": "Espace numérique de Jarnac", "commune": "Jarnac", "code_postal": "16200",
               "adresse": "3 rue des Chais", "courriels": ["epn@jarnac.fr"]},
    "segonzac": {"nom": "France services Segonzac", "commune": "Segonzac", "code_postal": "16130",
                 "adresse": "1 place de l'Église", "courriels": ["france-services@segonzac.fr"]},
    "cognac": {"nom": "Médiathèque de Cognac", "commune": "Cognac", "code_postal": "16100",
               "adresse": "10 place Cagnard", "telephone": "05 45 82 43 51",
               "courriels": ["mediatheque@cognac.fr", "accueil@cognac.fr"]},
    "chateauneuf": {"nom": "Tiers-lieu de Châteauneuf", "commune": "Châteauneuf-sur-Charente",
                    "code_postal": "16120", "adresse": "Rue Élie Vinet",
                    "contact_courriel": "lea.martin@tiers-lieu16.fr"},
    "barbezieux": {"nom": "Point numérique de Barbezieux", "commune": "Barbezieux-Saint-Hilaire",
                   "code_postal": "16300", "adresse": "Boulevard Chanzy"},
}
# The four structures with an address, in sending order (a batch goes out by structure name).
MAILABLE = ["jarnac", "segonzac", "cognac", "chateauneuf"]
ADDRESS = {"jarnac": "epn@jarnac.fr", "segonzac": "france-services@segonzac.fr", "cognac": "mediatheque@cognac.fr",
           "chateauneuf": "lea.martin@tiers-lieu16.fr"}


def call(store, campaign, who, outcome, *, days_ago, **kwargs):
    with store.atomic() as con:
        log_attempt(con, campaign["id"], campaign[who], outcome, surveyor="alice", by="alice",
                    at=T0 - timedelta(days=days_ago), **kwargs)


def statuses(store, batch_id):
    with store.connect() as con:
        return {row["structure"]: (row["statut"], row["tentatives"]) for row in batch_rows(con, batch_id)}
