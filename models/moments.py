"""Instants as people in France read them: one formatter for every page, report and message.

The store keeps timezone-aware instants (UTC); a person reads them in their own zone (Paris by
default; Nouméa, Guadeloupe… overseas). A naive datetime is refused: its zone would be a guess.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


def moment_text(moment: datetime | None, zone: ZoneInfo = PARIS, *, seconds: bool = False) -> str:
    """« 12/03/2026 à 10:41 » (« 12/03/2026 à 10:41:07 » with ``seconds``) in ``zone``; "" for None."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        raise ValueError("moment_text needs a timezone-aware datetime")
    return moment.astimezone(zone).strftime("%d/%m/%Y à %H:%M:%S" if seconds else "%d/%m/%Y à %H:%M")
