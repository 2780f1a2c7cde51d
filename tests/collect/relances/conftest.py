"""Fixtures of the relance tests: the shared campaign on a real store, and a real SMTP server on
127.0.0.1 (aiosmtpd, ``tests.mail_server``)."""

from __future__ import annotations

import pytest

from collect.calls import add_targets
from collect.campaigns import create_campaign
from collect.questionnaire import default_questionnaire
from collect.relances.transport import smtp_settings_from_secrets
from collect.surveys import publish_questionnaire
from models.registry import create_structure
from tests.collect.relances.scenario import LIEUX
from tests.mail_server import Mailbox, start_server


@pytest.fixture
def campaign(store):
    """A campaign « Diagnostic 2026 » targeting the five lieux (three attempts at most)."""
    with store.atomic() as con:
        stored = publish_questionnaire(con, default_questionnaire(), by="t")
        campaign_id = create_campaign(con, nom="Diagnostic 2026", questionnaire_id=stored.id, by="t")
        con.execute("UPDATE campaigns SET max_tentatives = 3 WHERE id = ?", [campaign_id])
        ids = {}
        for key, data in LIEUX.items():
            structure, issues = create_structure(con, data | {"date_maj": "2026-01-01"}, by="t")
            assert structure is not None, issues
            ids[key] = structure.id
        add_targets(con, campaign_id, list(ids.values()), by="coord")
    return {"id": campaign_id, **ids}


@pytest.fixture
def mailbox():
    """A real SMTP server on 127.0.0.1, its settings (``box.settings``) read as the page reads them."""
    box = Mailbox()
    controller = start_server(box)
    # The settings come from the [smtp] table of .streamlit/secrets.toml, as on the page.
    box.settings = smtp_settings_from_secrets({"smtp": {
        "host": "127.0.0.1", "port": controller.port, "starttls": False, "timeout": 5,
        "expediteur": "enquete@maillage-charente.fr", "nom_expediteur": "Équipe Diagnostic",
    }})
    yield box
    controller.stop()
