"""Named exceptions of Maillage. Each carries a French message for the user (``str(error)``).

Callers catch a meaning (``StoreBusy``, ``NotATable``), never parse a message.
"""

from __future__ import annotations

from pathlib import Path


class MaillageError(Exception):
    """Base of every error whose message is meant for the user (in French)."""


class StoreBusy(MaillageError):
    """The store file stayed locked by another process beyond the bounded wait."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"La base {path} est occupée par un autre programme (synchronisation, import…) "
            "depuis trop longtemps. Réessayez dans un instant ; rien n'a été enregistré."
        )
        self.path = path


class NotATable(MaillageError):
    """A file given to an import is not a table (binary, empty, unknown format, wrong sheet)."""

    def __init__(self, file: str, reason: str) -> None:
        super().__init__(f"{file} : {reason}")
        self.file = file
        self.reason = reason


class InvalidMapping(MaillageError):
    """A column mapping file is malformed or names a field that does not exist."""


class ImportRejected(MaillageError):
    """An all-or-nothing import found rejected lines, so nothing was written."""

    def __init__(self, file: str, rejected: int) -> None:
        super().__init__(
            f"{file} : {rejected} ligne(s) rejetée(s) ; import « tout ou rien » demandé, rien n'a été enregistré."
        )
        self.file = file
        self.rejected = rejected


class StructureNotFound(MaillageError):
    """No structure with that id in the store."""

    def __init__(self, structure_id: str) -> None:
        super().__init__(f"Structure introuvable : {structure_id}")
        self.structure_id = structure_id


class InvalidValue(ValueError):
    """A single value failed normalisation; the message (French) says why."""
