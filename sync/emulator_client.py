"""Reaching a local Sheets API emulator instead of Google: the one piece of the emulator the app runs.

A hub set up with ``emulator = "http://127.0.0.1:8765"`` (``maillage dev sheets-emulator``, or the test
suite's own emulator) is reached through gspread's real client: only its HTTP session differs, one whose
adapter sends Google's URLs to the emulator, path and query kept. The emulator itself
(``sync/sheets_emulator.py``, ~2 300 lines) is test and development machinery: only the tests and
``maillage dev`` import it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

GOOGLE_PREFIXES = ("https://sheets.googleapis.com/", "https://www.googleapis.com/")


class EmulatorAdapter(HTTPAdapter):
    """A ``requests`` adapter sending Google API URLs to the emulator, path and query kept."""

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        parts = urlsplit(request.url)
        request = request.copy()
        request.url = self.base_url + parts.path + (f"?{parts.query}" if parts.query else "")
        return super().send(request, **kwargs)


def emulator_session(url: str) -> requests.Session:
    """A ``requests.Session`` for ``gspread.Client(auth=None, session=…)`` that reaches the
    emulator at ``url`` instead of Google (works from another process too)."""
    session = requests.Session()
    adapter = EmulatorAdapter(url)
    for prefix in GOOGLE_PREFIXES:
        session.mount(prefix, adapter)
    return session
