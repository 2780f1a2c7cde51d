"""An uploaded file kept on disk while its person works on it, never in the server's memory.

The Import page simulates a file, lets the person correct columns and translations, simulates it
again and finally imports it: the file is needed across many page runs. Kept in the session, a
100 MB file stayed in the server's memory for as long as Streamlit kept the session — a closed tab's
included, which Streamlit never shuts down (streamlit/streamlit#12506). It is therefore written once
to a private file (mode 0600, in the system's temporary folder), the session keeping only its path;
the page deletes it when the person drops or replaces the file, and every new upload deletes the
files left by tabs closed more than a day ago.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from models.errors import MaillageError

FOLDER_NAME = "maillage-envois"
MAX_AGE_SECONDS = 24 * 3600  # an upload older than this belongs to a tab closed long ago


class UploadGone(MaillageError):
    """The file an upload was kept in is no longer there."""


@dataclass(frozen=True)
class SpooledUpload:
    """An uploaded file: its name as the person gave it (its format and date are read from it), where
    its bytes are, and its size."""

    name: str
    path: Path
    size: int

    def read(self) -> bytes:
        """The file's bytes (its age starts again: a tab still using its file keeps it)."""
        try:
            os.utime(self.path)
            return self.path.read_bytes()
        except FileNotFoundError:
            raise UploadGone(f"Le fichier « {self.name} » n'est plus disponible sur le serveur (envoyé il y a plus "
                             "d'un jour, ou le serveur a redémarré) : choisissez-le à nouveau.") from None

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


def spool_folder() -> Path:
    folder = Path(tempfile.gettempdir()) / FOLDER_NAME
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def spool_upload(source: BinaryIO, name: str, *, folder: Path | None = None, now: float | None = None) -> SpooledUpload:
    """Write an uploaded file (a readable binary stream, read from its start) to a private file of its own."""
    where = folder or spool_folder()
    sweep_spool(where, now=now)
    handle, path = tempfile.mkstemp(prefix="envoi-", suffix=Path(name).suffix[:16], dir=where)
    with os.fdopen(handle, "wb") as target:
        source.seek(0)
        shutil.copyfileobj(source, target, length=1024 * 1024)
        size = target.tell()
    return SpooledUpload(name=name, path=Path(path), size=size)


def sweep_spool(folder: Path, *, now: float | None = None) -> int:
    """Delete the uploads older than ``MAX_AGE_SECONDS`` (tabs closed without dropping their file);
    returns how many."""
    limit = (time.time() if now is None else now) - MAX_AGE_SECONDS
    removed = 0
    for path in folder.glob("envoi-*"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue  # removed meanwhile by another session
    return removed
