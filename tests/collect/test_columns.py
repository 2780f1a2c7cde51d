"""collect.columns: the file's column names matched to the standard's fields."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from collect.columns import (
    EXTRA_FIELDS,
    LEGACY_FIELDS,
    SYNONYMS,
    TARGET_FIELDS,
    ColumnMapping,
    load_mapping_file,
    match_columns,
    normalize_header,
)
from collect.readers import read_table
from models.errors import InvalidMapping
from models.standard import standard_v0, standard_v1

ROOT = Path(__file__).resolve().parents[2]


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


BRIEF_SYNONYMS = {
    "id": "identifiant id_structure id_lieu",
    "pivot": "siret siren n_siret numero_siret rna ridet siret_structure",
    "nom": "nom_structure nom_du_lieu raison_sociale structure nom_de_la_structure libelle name",
    "commune": "ville localite nom_commune libelle_commune",
    "code_postal": "cp code_postale codepostal postcode",
    "code_insee": "insee code_commune code_commune_insee cog code_insee_commune citycode",
    "adresse": "adresse_postale rue voie adresse_1 address numero_et_voie",
    "complement_adresse": "adresse_2 complement complement_d_adresse",
    "latitude": "lat y_wgs84 coord_lat",
    "longitude": "lon lng long x_wgs84 coord_lon",
    "typologie": "type type_structure typologie_structure categorie",
    "telephone": "tel telephone_structure phone numero_de_telephone tel_fixe standard",
    "courriels": "courriel email e_mail mail adresse_mail adresse_email mel",
    "site_web": "site site_internet url web website",
    "horaires": "horaires_d_ouverture heures_d_ouverture opening_hours",
    "presentation_resume": "description_courte presentation resume description",
    "presentation_detail": "description_longue presentation_detaillee detail",
    "date_maj": "date_de_mise_a_jour mise_a_jour derniere_mise_a_jour updated_at date_modification",
    "services": "services_proposes offre_de_services",
    "publics_specifiquement_adresses": "publics public_cible publics_cibles",
    "frais_a_charge": "frais tarifs cout gratuite",
    "dispositif_programmes_nationaux": "dispositifs programmes_nationaux",
    "formations_labels": "labels formations",
    "autres_formations_labels": "autres_labels labels_autres",
    "modalites_acces": "acces modalites_d_acces",
    "modalites_accompagnement": "accompagnement modalites_d_accompagnement",
    "fiche_acces_libre": "accessibilite acces_libre fiche_accessibilite",
    "prise_rdv": "prise_de_rendez_vous rdv rendez_vous lien_rdv",
    "contact_nom": "nom_du_contact contact referent personne_contact interlocuteur",
    "contact_telephone": "telephone_contact tel_contact tel_referent",
    "contact_courriel": "courriel_contact email_contact mail_contact mail_referent",
}


@pytest.mark.parametrize("target", sorted(BRIEF_SYNONYMS))
def test_the_usual_spellings_of_each_field_are_recognised(target):
    for spelling in BRIEF_SYNONYMS[target].split():
        assert spelling in SYNONYMS[target]
        assert match_columns([spelling]).fields == {spelling: target}


def test_the_columns_of_the_v1_example_all_match_their_own_field():
    columns = read_table(ROOT / "models" / "data" / "standard" / "exemple-valide.csv").columns
    mapping = match_columns(columns)
    assert mapping == ColumnMapping(fields={c: c for c in columns}, unmatched=[], conflicts=[], ignored=[])


def test_the_v01_columns_map_plain_renames_to_v1_and_keep_legacy_targets_for_values_to_translate():
    columns = list(standard_v0().field_names)
    mapping = match_columns(columns)
    assert mapping.unmatched == [] and mapping.conflicts == []
    assert {column: field for column, field in mapping.fields.items() if column != field} == {
        "courriel": "courriels",
        "labels_autres": "autres_formations_labels",
        "accessibilite": "fiche_acces_libre",
    }
    for legacy in LEGACY_FIELDS:
        assert mapping.fields[legacy] == legacy


def test_the_demo_files_columns_are_all_recognised():
    for path in sorted((ROOT / "demo").glob("*.json")):
        mapping = match_columns(read_table(path).columns)
        assert mapping.unmatched == [] and mapping.conflicts == [], path.name


def test_messy_headers_are_matched_and_unknown_columns_are_kept_aside():
    columns = ["Nom de la structure", "Code Postal ", "Ville", "Tél.", "E-mail", "N° SIRET", "Commentaire interne",
               "Référent", "Mail référent", "Accès libre"]
    assert match_columns(columns) == ColumnMapping(
        fields={
            "Nom de la structure": "nom",
            "Code Postal ": "code_postal",
            "Ville": "commune",
            "Tél.": "telephone",
            "E-mail": "courriels",
            "N° SIRET": "pivot",
            "Référent": "contact_nom",
            "Mail référent": "contact_courriel",
            "Accès libre": "fiche_acces_libre",
        },
        unmatched=["Commentaire interne"],
        conflicts=[],
    )


def test_two_synonyms_of_one_field_keep_the_first_and_report_the_second():
    mapping = match_columns(["Mail", "nom", "E-mail"])
    assert mapping.fields == {"Mail": "courriels", "nom": "nom"}
    assert mapping.unmatched == ["E-mail"]
    assert mapping.conflicts == [
        "Les colonnes « Mail » et « E-mail » correspondent toutes deux au champ « courriels » : "
        "« Mail » est utilisée, « E-mail » est mise de côté."
    ]


def test_the_exact_field_name_wins_over_an_earlier_synonym():
    mapping = match_columns(["Tél", "Téléphone"])
    assert mapping.fields == {"Téléphone": "telephone"}
    assert mapping.unmatched == ["Tél"]
    assert len(mapping.conflicts) == 1 and "« Tél » est mise de côté" in mapping.conflicts[0]


def test_overrides_win_over_names_and_none_ignores_a_column():
    columns = ["Nom", "Téléphone", "Portable du référent", "Notes"]
    mapping = match_columns(
        columns, overrides={"portable du référent": "contact_telephone", "Notes": None, "Absente": "nom"}
    )
    assert mapping == ColumnMapping(
        fields={"Nom": "nom", "Téléphone": "telephone", "Portable du référent": "contact_telephone"},
        unmatched=[],
        conflicts=[],
        ignored=["Notes"],
    )


def test_an_override_to_a_field_already_matched_takes_it_and_the_other_column_is_set_aside():
    mapping = match_columns(["telephone", "Standard mairie"], overrides={"Standard mairie": "telephone"})
    assert mapping.fields == {"Standard mairie": "telephone"}
    assert mapping.unmatched == ["telephone"]
    assert mapping.conflicts == [
        "Les colonnes « Standard mairie » et « telephone » correspondent toutes deux au champ « telephone » : "
        "« Standard mairie » est utilisée, « telephone » est mise de côté."
    ]


def test_an_override_naming_an_unknown_field_raises_invalid_mapping_listing_the_valid_names():
    with pytest.raises(InvalidMapping) as caught:
        match_columns(["Tel"], overrides={"Tel": "telefone"})
    message = str(caught.value)
    assert "colonne « Tel »" in message and "champ inconnu « telefone »" in message
    assert "vouliez-vous dire « telephone » ?" in message
    assert ", ".join(TARGET_FIELDS) in message


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
    mapping = match_columns(["nom", "Portable", "Notes"], overrides=load_mapping_file(path))
    assert (mapping.fields, mapping.unmatched, mapping.ignored) == (
        {"nom": "nom", "Portable": "contact_telephone"}, [], ["Notes"]
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


# --------------------------------------------------------------------------------------------
# Names matched by their words (collect.headers)


def test_names_a_synonym_list_misses_are_matched_by_their_words_and_the_guess_is_kept():
    columns = ["TYPO_UID", "USER_NOM", "USER_ADRES", "USER_QUART", "LAT", "LNG", "QUALIF1", "DATE_MAJ", "TELEPHONE",
               "MAIL", "SITE_INTER", "LIEN", "code_postal", "commune"]  # an Angers GIS layer
    mapping = match_columns(columns)
    assert mapping.fields == {
        "TYPO_UID": "id", "USER_NOM": "nom", "USER_ADRES": "adresse", "USER_QUART": "complement_adresse",
        "LAT": "latitude", "LNG": "longitude", "DATE_MAJ": "date_maj", "TELEPHONE": "telephone", "MAIL": "courriels",
        "SITE_INTER": "site_web", "code_postal": "code_postal", "commune": "commune",
    }
    assert mapping.unmatched == ["QUALIF1", "LIEN"]
    assert mapping.conflicts == [
        ("Les colonnes « SITE_INTER » et « LIEN » correspondent toutes deux au champ « site_web » : « SITE_INTER » est "
         "utilisée, « LIEN » est mise de côté.")
    ]
    assert set(mapping.guessed) == {"TYPO_UID", "USER_NOM", "USER_ADRES", "USER_QUART", "SITE_INTER"}
    assert mapping.guessed["USER_ADRES"].reason == "abréviation ADRES ; préfixe USER_ ignoré"


def test_a_form_export_is_matched_by_its_questions():
    columns = ["ObjectID", "GlobalID", "CreationDate", "EditDate", "Nom de votre structure", "Adresse de la structure",
               "Numéro de téléphone de la structure", "Adresse mail de la structure", "Horaires d'ouverture",
               "Horaires d'ouverture__1", "Typologie de la structure", "Autre - Typologie de la structure",
               "Quels sont vos équipements numériques ?", "x", "y"]
    mapping = match_columns(columns)
    assert mapping.fields == {
        "GlobalID": "id", "EditDate": "date_maj", "Nom de votre structure": "nom",
        "Adresse de la structure": "adresse", "Numéro de téléphone de la structure": "telephone",
        "Adresse mail de la structure": "courriels", "Horaires d'ouverture": "horaires",
        "Typologie de la structure": "typologie", "x": "longitude", "y": "latitude",
    }
    # Among guesses the surest wins, wherever it stands; hints (« Autre - … ») are not applied.
    assert mapping.unmatched == ["ObjectID", "CreationDate", "Horaires d'ouverture__1",
                                 "Autre - Typologie de la structure", "Quels sont vos équipements numériques ?"]
    assert [message.split(" : ")[0] for message in mapping.conflicts] == [
        "Les colonnes « GlobalID » et « ObjectID » correspondent toutes deux au champ « id »",
        "Les colonnes « EditDate » et « CreationDate » correspondent toutes deux au champ « date_maj »",
        ("Les colonnes « Horaires d'ouverture » et « Horaires d'ouverture__1 » correspondent toutes deux au champ "
         "« horaires »"),
    ]


def test_a_field_name_or_a_synonym_wins_over_an_earlier_guess():
    mapping = match_columns(["Nom de votre structure", "Dénomination"])
    assert mapping.fields == {"Dénomination": "nom"}
    assert mapping.unmatched == ["Nom de votre structure"] and mapping.guessed == {}


def test_hints_below_the_threshold_are_not_applied_and_make_no_conflict():
    columns = ["nom", "Lundi", "Mardi", "horaires_mercredi", "result_city", "result_postcode", "Autre - Typologie",
               "c_statut_juridique", "coord x"]
    mapping = match_columns(columns)
    assert mapping.fields == {"nom": "nom"}
    assert mapping.unmatched == columns[1:] and mapping.conflicts == []


def test_overrides_still_win_over_guesses():
    mapping = match_columns(["USER_NOM", "USER_ADRES"], overrides={"USER_NOM": None, "USER_ADRES": "complement_adresse"})
    assert mapping.fields == {"USER_ADRES": "complement_adresse"}
    assert mapping.ignored == ["USER_NOM"] and mapping.guessed == {}


def test_the_readers_names_for_duplicate_and_unnamed_columns_are_not_guessed():
    columns = ["nom", *(f"nom_{n}" for n in range(2, 5_001)), "colonne_3"]
    mapping = match_columns(columns)
    assert mapping.fields == {"nom": "nom"} and mapping.conflicts == []
    assert len(mapping.unmatched) == 5_000


@pytest.mark.slow
def test_a_header_of_50_000_distinct_columns_is_matched_in_linear_time():
    def header(size: int, tag: str) -> list[str]:
        patterns = ("Question {} : nom du référent", "c_champ_{}_adresse", "Tag {}", "{} - Horaires d'ouverture",
                    "Colonne{}Nomdelastructure")
        return [patterns[n % len(patterns)].format(f"{tag}{n}") for n in range(size)]

    def seconds(columns: list[str]) -> float:
        start = time.perf_counter()
        match_columns(columns)
        return time.perf_counter() - start

    small, large = seconds(header(5_000, "a")), seconds(header(50_000, "b"))
    assert large < 25 * small + 1.0  # 10× the columns: about 10× the time, never 100×
