"""Helpers shared by the pages (not a page: never registered in ``st.navigation``).

The store is the file named by ``$MAILLAGE_DB`` (read at each run, so tests and several
territories on one machine each get their own file), opened and migrated once per process and
path. The cached entry also remembers the file's identity: a file deleted (and perhaps
recreated) since is opened and migrated again.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import streamlit as st

from models.issues import Issue
from models.registry_views import field_labels
from models.store import Store, default_db_path, open_store

PARIS = ZoneInfo("Europe/Paris")


@dataclass(frozen=True)
class OpenedStore:
    """A migrated store and the identity (device, inode) of its file when it was opened."""

    store: Store
    file_id: tuple[int, int] | None


def file_id(path: str | os.PathLike[str]) -> tuple[int, int] | None:
    """The identity of a file (device, inode), or None when it does not exist."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    return info.st_dev, info.st_ino


def _same_file(opened: OpenedStore) -> bool:
    return opened.file_id is not None and file_id(opened.store.path) == opened.file_id


@st.cache_resource(show_spinner=False, validate=_same_file)
def _open(path: str) -> OpenedStore:
    store = open_store(path)
    return OpenedStore(store, file_id(store.path))


def store_path() -> str:
    """The absolute path of the current store file (``$MAILLAGE_DB`` or the default)."""
    return str(default_db_path().expanduser().resolve())


def get_store() -> Store:
    """The migrated store of the current ``$MAILLAGE_DB`` (opened once per process and file)."""
    return _open(store_path()).store


def current_file_id() -> tuple[int, int] | None:
    """The identity of the current store file (see ``file_id``)."""
    return _open(store_path()).file_id


def current_user() -> str:
    """Who acts, recorded in the history: for now the device's name."""
    return get_store().device


def label(field: str | None) -> str:
    """The French title of a field (« Numéro de téléphone »), or the name itself when unknown."""
    if not field:
        return "Fiche"
    return field_labels().get(field, field)


def issue_text(issue: Issue) -> str:
    """One issue as a French sentence naming its field."""
    return f"{label(issue.field)} : {issue.message}" if issue.field else issue.message


def render_issues(issues: Iterable[Issue], *, with_field: bool = True) -> None:
    """Show issues in French: errors as ``st.error``, warnings as ``st.warning``."""
    for issue in issues:
        text = issue_text(issue) if with_field else issue.message
        if issue.is_error:
            st.error(text, icon="⛔")
        else:
            st.warning(text, icon="⚠️")


def paris_time(moment: datetime | None) -> str:
    """An instant as people in France read it: « 12/03/2026 à 10:41 » (Europe/Paris)."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        raise ValueError("paris_time needs a timezone-aware datetime")
    return moment.astimezone(PARIS).strftime("%d/%m/%Y à %H:%M")


def count_text(count: int, singular: str, plural: str | None = None) -> str:
    """« 1 structure », « 924 structures », « 1 234 structures » (French: 0 and 1 are singular)."""
    word = singular if count <= 1 else (plural or singular + "s")
    return f"{count:,}".replace(",", "\u202f") + " " + word
