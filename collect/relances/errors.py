"""The one error of the relances, raised by every module of the package."""

from __future__ import annotations

from collect.campaigns import CampaignError


class RelanceError(CampaignError):
    """A relance action is impossible (bad template, SMTP settings, unknown batch…); message in French."""
