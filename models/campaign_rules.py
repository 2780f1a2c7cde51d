"""A campaign's calling rules and their defaults, defined once.

``CampaignRules`` is what a campaign row's rule columns mean: at most ``max_tentatives`` calls per
structure, calls only within ``heures_appel`` (OpenStreetMap opening-hours syntax, read in each
structure's own time zone), between ``date_debut`` and ``date_fin``. A campaign created before its
rules were set, or a rule left empty, reads as the default here; the schema's column defaults
(migrations 0003 and 0004) are the same values (``tests/models/test_campaign_rules.py`` checks it).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict

DEFAULT_MAX_TENTATIVES = 6
DEFAULT_HEURES_APPEL = "Mo-Fr 09:00-12:30,13:30-18:00"
# The relances of a campaign (``collect.relances``): days at least between two, and how many at most.
DEFAULT_DELAI_JOURS = 7
DEFAULT_MAX_RELANCES = 2
# A new campaign's dates, as the form proposes them: from today, for about two months.
DEFAULT_CAMPAIGN_DAYS = 60
RULE_FIELDS = ("max_tentatives", "heures_appel", "date_debut", "date_fin")


class CampaignRules(BaseModel):
    """The calling rules of one campaign (the argument names of ``collect.calls.configure_campaign``)."""

    model_config = ConfigDict(frozen=True)

    max_tentatives: int = DEFAULT_MAX_TENTATIVES
    heures_appel: str = DEFAULT_HEURES_APPEL
    date_debut: date | None = None
    date_fin: date | None = None

    @classmethod
    def of(cls, campaign: Mapping[str, Any]) -> CampaignRules:
        """The rules a campaign row holds, each one missing or empty read as its default."""
        return cls(
            max_tentatives=int(campaign.get("max_tentatives") or DEFAULT_MAX_TENTATIVES),
            heures_appel=(campaign.get("heures_appel") or "").strip() or DEFAULT_HEURES_APPEL,
            date_debut=campaign.get("date_debut"),
            date_fin=campaign.get("date_fin"),
        )


def proposed_campaign_dates(today: date) -> tuple[date, date]:
    """The dates the form proposes for a new campaign: today, and ``DEFAULT_CAMPAIGN_DAYS`` later."""
    return today, today + timedelta(days=DEFAULT_CAMPAIGN_DAYS)
