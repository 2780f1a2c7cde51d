"""The secrets file: one reader for every command; a missing file is no secret, a broken one a French error."""

from __future__ import annotations

import pytest

from models.secrets import SecretsError, read_secrets


def test_a_missing_secrets_file_holds_no_secret(tmp_path):
    assert read_secrets(tmp_path / "absent.toml") == {}


def test_the_secrets_are_read_as_toml(tmp_path):
    path = tmp_path / "secrets.toml"
    path.write_text('[smtp]\nhost = "smtp.example.fr"\nport = 465\n\n[connections.gsheets]\nspreadsheet = "x"\n',
                    encoding="utf-8")
    assert read_secrets(path) == {"smtp": {"host": "smtp.example.fr", "port": 465},
                                  "connections": {"gsheets": {"spreadsheet": "x"}}}


@pytest.mark.parametrize(("content", "said"), [
    (b"[smtp\nhost = 1\n", "n'est pas un TOML valide, ligne 1 (colonne 6)"),
    (b'[smtp]\nhost = smtp.example.fr\n', "n'est pas un TOML valide, ligne 2"),
    ('[smtp]\nexpediteur = "enquête@exemple.fr"\n'.encode("cp1252"), "n'est pas un texte UTF-8"),
])
def test_a_secrets_file_that_cannot_be_read_is_refused_in_french_naming_it(tmp_path, content, said):
    path = tmp_path / "secrets.toml"
    path.write_bytes(content)
    with pytest.raises(SecretsError) as refused:
        read_secrets(path)
    assert str(path) in str(refused.value) and said in str(refused.value)


def test_a_folder_in_place_of_the_file_is_refused_in_french(tmp_path):
    with pytest.raises(SecretsError, match="ne peut pas être lu"):
        read_secrets(tmp_path)
