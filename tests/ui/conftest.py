"""Fixtures of the tests of ``ui``: the real app (``app.py``) on a real store, as the page tests
run it (``tests/pages/conftest.py``, whose fixtures these are)."""

from __future__ import annotations

from tests.pages.conftest import app, nc_store_template, server_navigation, ui_store  # noqa: F401 (fixtures)
