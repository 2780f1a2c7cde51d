"""Imported by the fork server of ``collect.parallel`` (never by the app itself): the import
preparation's modules and the COG, loaded once there, are in every worker forked from it."""

from __future__ import annotations

import collect.imports  # noqa: F401  (the preparation's modules, imported for the workers)
from models.cog import cog

cog()
