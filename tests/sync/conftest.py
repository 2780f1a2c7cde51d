"""Fixtures of the sync tests: a started Sheets emulator and gspread's real client on it."""

from __future__ import annotations

from collections.abc import Iterator

import gspread
import pytest

from sync.sheets_emulator import SheetsEmulator


@pytest.fixture
def emulator() -> Iterator[SheetsEmulator]:
    """A Google Sheets emulator on a free 127.0.0.1 port, stopped after the test."""
    with SheetsEmulator() as running:
        yield running


@pytest.fixture
def gc(emulator: SheetsEmulator) -> Iterator[gspread.Client]:
    """gspread's unchanged client, its requests sent to the emulator."""
    session = emulator.session()
    yield gspread.Client(auth=None, session=session)
    session.close()
