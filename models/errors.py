"""Named exceptions of Maillage. Each carries a French message for the user (``str(error)``).

Callers catch a meaning (``StoreBusy``, ``NotATable``), never parse a message.
"""

from __future__ import annotations

from pathlib import Path


class MaillageError(Exception):
    """Base of every error whose message is meant for the user (in French)."""


class WriteConflict(MaillageError):
    """Another unit of work kept writing the same rows through every retry (``Store.transaction``)."""

    def __init__(self) -> None:
        super().__init__("D'autres enregistrements touchaient les mêmes données au même moment : rien n'a été"
                         " enregistré. Réessayez dans un instant.")


class UnitOfWorkFailed(MaillageError):
    """A unit of work nested in another failed and the outer one went on as if it had not: the whole
    action is rolled back (DuckDB has no savepoints, so the inner part cannot be undone alone)."""

    def __init__(self) -> None:
        super().__init__("Une partie de l'action a échoué : rien n'a été enregistré. Réessayez ; si l'erreur"
                         " revient, signalez-la.")


class NewerStore(MaillageError):
    """The store was written by a newer Maillage (migrations this program does not know): it is left
    untouched rather than damaged by an older schema."""

    def __init__(self, path: Path, unknown: list[str]) -> None:
        super().__init__(
            f"La base {path} vient d'une version plus récente de Maillage (étapes du schéma inconnues de celle-ci :"
            f" {', '.join(unknown)}). Installez cette version-là ou une plus récente ; la base n'a pas été modifiée."
        )


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


class BackupError(MaillageError):
    """A backup, restore or export that cannot be done (French message saying what and where)."""


class UnusableBackup(BackupError):
    """A file given to a restore (or read as a backup) that cannot be restored; nothing was changed.

    The message names the file, says what it is instead, and that the current store did not change.
    Each subclass is one meaning, for callers that act on it rather than show it.
    """

    def __init__(self, path: Path, explanation: str) -> None:
        super().__init__(f"{path} {explanation} La base actuelle n'a pas changé.")
        self.path = path
        self.explanation = explanation


class TruncatedBackup(UnusableBackup):
    """The file stops before the end of the database it holds (a copy or a download cut short)."""


class CorruptedBackup(UnusableBackup):
    """Part of the file is no longer what DuckDB wrote there (its checksums say so)."""


class NotADuckDBFile(UnusableBackup):
    """Not a DuckDB file at all (empty, text, an archive, a Parquet export…)."""


class NotAMaillageStore(UnusableBackup):
    """A DuckDB file, but not a Maillage store (no migrations table, or tables missing)."""


class NewerMaillageBackup(UnusableBackup):
    """Written by a newer Maillage: migrations, or a DuckDB storage format, this program does not know."""


class BackupInUse(UnusableBackup):
    """Another program holds the file open for writing (DuckDB's file lock)."""


class StructureNotFound(MaillageError):
    """No structure with that id in the store."""

    def __init__(self, structure_id: str) -> None:
        super().__init__(f"Structure introuvable : {structure_id}")
        self.structure_id = structure_id


class InvalidValue(ValueError):
    """A single value failed normalisation; the message (French) says why."""
