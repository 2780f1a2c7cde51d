"""The secrets file (``.streamlit/secrets.toml``), read one way by every command and page that needs it.

On a page, Streamlit's ``st.secrets`` reads it; a command (the CLI, a sync beside the app) reads it
with ``read_secrets``. A missing file is no secret at all (``{}``): each user of a table (the sync's
``[connections.gsheets]``, the relances' ``[smtp]``) then says, in French, which table to add to which
file. A file that cannot be read as TOML text is a ``SecretsError`` naming the file, the line and the
column, never a traceback.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from models.errors import MaillageError
from models.places import secrets_path

SECRETS_PATH = Path(".streamlit") / "secrets.toml"
_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)")


class SecretsError(MaillageError):
    """The secrets file exists but cannot be read; the message (French) says where and what to do."""


def shown_path(path: Path) -> str:
    """A path as the user knows it: relative to the current directory when it is under it."""
    try:
        return path.absolute().relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)


def read_secrets(path: str | Path | None = None) -> dict[str, Any]:
    """The secrets file at ``path`` (default ``models.places.secrets_path()``: ``.streamlit/secrets.toml``
    under the current folder, else under the data folder) as a dict; ``{}`` when there is no such file;
    ``SecretsError`` when it cannot be read."""
    path = Path(path) if path is not None else secrets_path()
    shown = shown_path(path)
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as error:
        raise toml_error(shown, error) from None
    except UnicodeDecodeError:
        raise SecretsError(
            f"Le fichier {shown} n'est pas un texte UTF-8 : enregistrez-le en UTF-8 depuis votre éditeur."
        ) from None
    except OSError as error:
        raise SecretsError(
            f"Le fichier {shown} ne peut pas être lu ({error.strerror or error}) : vérifiez qu'il s'agit bien"
            " d'un fichier et que vous avez le droit de le lire."
        ) from None


def toml_error(shown: str, error: tomllib.TOMLDecodeError) -> SecretsError:
    """A TOML parse error of the secrets file as French, with its line and column."""
    message = str(error)
    position = _TOML_POSITION.search(message)
    where = f", ligne {position.group(1)} (colonne {position.group(2)})" if position else ""
    reason = _TOML_POSITION.sub("", message)
    return SecretsError(
        f"Le fichier {shown} n'est pas un TOML valide{where} : {reason}. Corrigez cette ligne : un texte"
        ' s\'écrit entre guillemets (spreadsheet = "https://…"), une clé privée sur plusieurs lignes entre'
        ' triples guillemets ("""…""") ou sur une ligne avec des \\n.'
    )
