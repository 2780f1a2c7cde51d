"""collect.columns: the names of the standard's fields, their usual spellings, and mapping files.

How a file's columns are then matched to fields is the column plan's (tests/collect/test_column_plan.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from collect.column_plan import plan_columns
from collect.columns import EXTRA_FIELDS, LEGACY_FIELDS, SYNONYMS, TARGET_FIELDS, load_mapping_file, normalize_header
from collect.readers import Table
from models.errors import InvalidMapping
from models.standard import standard_v0, standard_v1


@pytest.mark.parametrize(
    ("header", "normalized"),
    [
        ("Code Postal ", "code_postal"),
        ("Téléphone", "telephone"),
        ("E-mail", "e_mail"),
        ("Nom de la structure", "nom_de_la_structure"),
        ("  N° SIRET  ", "n_siret"),
        ("Adresse (n° et voie)", "adresse_n_et_voie"),
        ("Complément d'adresse", "complement_d_adresse"),
        ("ŒUVRE / Cœur", "oeuvre_coeur"),
        ("date_maj", "date_maj"),
        ("__", ""),
    ],
)
def test_normalize_header_drops_case_accents_and_punctuation(header, normalized):
    assert normalize_header(header) == normalized


def test_target_fields_are_the_standard_then_maillage_extras_then_legacy_targets():
    assert TARGET_FIELDS == standard_v1().field_names + EXTRA_FIELDS + LEGACY_FIELDS
    assert EXTRA_FIELDS == ("contact_nom", "contact_telephone", "contact_courriel")
    assert set(LEGACY_FIELDS) <= set(standard_v0().field_names)
    assert len(TARGET_FIELDS) == len(set(TARGET_FIELDS)) == 39


def test_every_synonym_is_normalized_unique_and_points_to_a_target_field():
    owners: dict[str, str] = {}
    for target, spellings in SYNONYMS.items():
        assert target in TARGET_FIELDS
        for spelling in spellings:
            assert normalize_header(spelling) == spelling
            assert spelling not in TARGET_FIELDS
            assert owners.setdefault(spelling, target) == target, spelling


# --------------------------------------------------------------------------------------------
# Mapping files


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_a_yaml_mapping_file_gives_columns_to_fields_and_tilde_ignores(tmp_path):
    path = write(tmp_path, "correspondance.yaml", "Nom du lieu: nom\n'Tél. fixe': telephone\nNotes: ~\nVide:\n")
    assert load_mapping_file(path) == {"Nom du lieu": "nom", "Tél. fixe": "telephone", "Notes": None, "Vide": None}


def test_a_yaml_mapping_file_may_put_its_columns_under_colonnes(tmp_path):
    path = write(tmp_path, "correspondance.yml", "# import de la Charente\ncolonnes:\n  CP: code_postal\n  Notes: null\n")
    assert load_mapping_file(path) == {"CP": "code_postal", "Notes": None}


def test_a_csv_mapping_file_has_colonne_and_champ_columns_in_any_usual_encoding_and_delimiter(tmp_path):
    text = "colonne;champ\r\nNom du lieu;nom\r\nTéléphone fixe;telephone\r\nNotes;\r\n"
    path = write(tmp_path, "correspondance.csv", text, encoding="cp1252")
    assert load_mapping_file(path) == {"Nom du lieu": "nom", "Téléphone fixe": "telephone", "Notes": None}


def test_a_mapping_file_read_then_used_as_overrides(tmp_path):
    path = write(tmp_path, "correspondance.csv", "colonne,champ\nPortable,contact_telephone\nNotes,\n")
    columns = ["nom", "Portable", "Notes"]
    plan = plan_columns(Table("lieux.csv", "csv", columns, [], []), overrides=load_mapping_file(path))
    assert (plan.fields, plan.unmatched, plan.ignored) == ({"nom": "nom", "Portable": "contact_telephone"}, [], ["Notes"])
    assert [plan.use(c).how for c in columns] == ["nom", "personne", "personne"]


def test_a_mapping_file_naming_an_unknown_field_suggests_the_closest_and_lists_the_valid_names(tmp_path):
    with pytest.raises(InvalidMapping) as caught:
        load_mapping_file(write(tmp_path, "correspondance.yaml", "Tel: telefone\n"))
    assert str(caught.value) == (
        "correspondance.yaml, ligne 1, colonne « Tel » : champ inconnu « telefone » (vouliez-vous dire « telephone » ?)."
        f" Champs possibles : {', '.join(TARGET_FIELDS)}"
    )


MALFORMED = [
    ("casse.yaml", "nom: nom\ntel: [telephone\n", "casse.yaml, ligne 3 : YAML invalide"),
    ("inconnu.yaml", "nom: nom\ntel: telefone\n", "inconnu.yaml, ligne 2, colonne « tel » : champ inconnu « telefone »"),
    ("liste.yaml", "nom: nom\ntel: [telephone, courriels]\n", "liste.yaml, ligne 2, colonne « tel » : le champ doit"),
    ("double.yaml", "nom: nom\nnom: commune\n", "double.yaml, ligne 2 : la colonne « nom » est déjà définie"),
    ("pas-un-dict.yaml", "- nom\n- commune\n", "pas-un-dict.yaml, ligne 1 : attendu des lignes « colonne du fichier: champ »"),
    ("vide.yaml", "  \n", "vide.yaml : fichier de correspondance vide"),
    ("trois.csv", "colonne,champ\nnom,nom\ntel,telephone,en trop\n", "trois.csv, ligne 3 : attendu deux cellules"),
    ("inconnu.csv", "colonne;champ\nnom;nom\n\ntel;telefone\n", "inconnu.csv, ligne 4, colonne « tel » : champ inconnu"),
    ("double.csv", "nom,nom\nnom,commune\n", "double.csv, ligne 2 : la colonne « nom » est déjà définie"),
]


@pytest.mark.parametrize(("name", "text", "message"), MALFORMED, ids=[case[0] for case in MALFORMED])
def test_a_malformed_mapping_file_raises_invalid_mapping_with_file_and_line(tmp_path, name, text, message):
    with pytest.raises(InvalidMapping) as caught:
        load_mapping_file(write(tmp_path, name, text))
    assert str(caught.value).startswith(message)


def test_a_missing_mapping_file_raises_invalid_mapping(tmp_path):
    with pytest.raises(InvalidMapping, match="absent.yaml : fichier de correspondance illisible"):
        load_mapping_file(tmp_path / "absent.yaml")
