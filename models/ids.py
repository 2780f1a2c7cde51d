"""Identifiers: UUIDv7 made locally, so two devices never produce the same id."""

from __future__ import annotations

import uuid_utils


def new_id() -> str:
    """A new time-ordered UUIDv7 as text, e.g. ``0193a1c2-7d4e-7f00-8a1b-3c4d5e6f7a8b``."""
    return str(uuid_utils.uuid7())
