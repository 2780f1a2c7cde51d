"""collect.column_plan: the fate of every column of a file — who decided it, and why.

The person decides first, then the source's import profile, then the column's name, then its
content. A column that feeds no field is kept aside on each lieu, never dropped; a column the
person leaves out is « écartée ». One message says when two columns claim one field, and one
message when a required field has no column.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from collect.column_plan import KEPT_ASIDE, POINT_FIELD, plan_columns
from collect.columns import LEGACY_FIELDS, SYNONYMS
from collect.demo import DEMO_DIR
from collect.readers import Table, read_table
from models.errors import InvalidMapping

ROOT = Path(__file__).resolve().parents[2]

PLACES = [  # four lieux of Charente: name, address, postcode, commune
    ("Médiathèque de Cognac", "10 rue du Minage", "16100", "Cognac"),
    ("CCAS d'Angoulême", "2 place de l'Hôtel de Ville", "16000", "Angoulême"),
    ("Espace numérique de Ma Campagne", "3 rue de Bordeaux", "16000", "Angoulême"),
    ("France Services de Jarnac", "4 rue Carnot", "16200", "Jarnac"),
]
PLACE_COLUMNS = ["Nom", "Adresse", "CP", "Ville"]


def table(columns: list[str], rows: list[tuple[str | None, ...]], name: str = "lieux.csv") -> Table:
    return Table(name, "csv", columns, [dict(zip(columns, row, strict=True)) for row in rows],
                 list(range(2, 2 + len(rows))))


def places_with(extra: dict[str, list[str | None]]) -> Table:
    """The four lieux with more columns (``extra``: column → one value per lieu)."""
    columns = [*PLACE_COLUMNS, *extra]
    rows = [(*place, *(values[i] for values in extra.values())) for i, place in enumerate(PLACES)]
    return table(columns, rows)


def fate(plan, column: str) -> tuple[str | None, str]:
    use = plan.use(column)
    return use.field, use.how


# -- 1. the person ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("choice", "field", "ignored", "shown"),
    [
        ("presentation_resume", "presentation_resume", False, "presentation_resume (par la personne)"),
        (KEPT_ASIDE, None, False, "conservée à part sur chaque fiche"),
        (None, None, True, "écartée"),
    ],
    ids=["a-field", "kept-aside", "left-out"],
)
@pytest.mark.parametrize(
    ("column", "values"),
    [
        ("Contact", ["Jeanne Martin", "Paul Durand", "Ali Benali", "Rose Petit"]),  # by its name: contact_nom
        ("USER_QUART", ["Centre", "Basseau", "Ma Campagne", "Bourg"]),  # by its words: complement_adresse
    ],
    ids=["synonym", "guess"],
)
def test_the_persons_choice_for_a_column_comes_before_its_name(column, values, choice, field, ignored, shown):
    plan = plan_columns(places_with({column: values}), overrides={column: choice})
    use = plan.use(column)
    assert (use.field, use.how, use.ignored, use.fate) == (field, "personne", ignored, shown)
    assert (column in plan.ignored) is ignored
    assert (column in plan.unmatched) is (choice == KEPT_ASIDE)
    assert (column in plan.fields) is (field is not None)


def test_the_persons_choice_is_found_whatever_the_case_and_spaces_and_a_column_absent_is_skipped():
    plan = plan_columns(places_with({"Nom du lieu": ["a", "b", "c", "d"]}),
                        overrides={"  NOM du lieu ": "complement_adresse", "Colonne absente": "nom"})
    assert fate(plan, "Nom du lieu") == ("complement_adresse", "personne")
    assert plan.fields["Nom"] == "nom"


def test_a_field_name_the_person_spells_loosely_is_understood():
    plan = plan_columns(places_with({"Remarque": ["a", "b", "c", "d"]}), overrides={"Remarque": "Presentation Resume"})
    assert fate(plan, "Remarque") == ("presentation_resume", "personne")


@pytest.mark.parametrize("unknown", ["remarques_internes", "telefone"])
def test_an_unknown_field_chosen_by_the_person_is_refused_in_french(unknown):
    with pytest.raises(InvalidMapping, match=f"colonne « Remarque » : champ inconnu « {unknown} »"):
        plan_columns(places_with({"Remarque": ["a", "b", "c", "d"]}), overrides={"Remarque": unknown})


# -- 2. the profile -----------------------------------------------------------------------------------


def test_the_profile_decides_after_the_person_and_before_the_name():
    rows = [(nom, adresse, cp, ville) for nom, adresse, cp, ville in PLACES]
    plan = plan_columns(table(["Nom", "Adresse", "Zone", "Ville"], rows),
                        profile={"Zone": "code_postal", "Ville": "commune", "Adresse": None},
                        overrides={"Ville": "complement_adresse"})
    assert fate(plan, "Zone") == ("code_postal", "profil")
    assert fate(plan, "Ville") == ("complement_adresse", "personne")
    assert plan.use("Adresse").ignored and plan.use("Adresse").how == "profil"
    assert fate(plan, "Nom") == ("nom", "nom")


# -- 3. the name --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "values", "field", "reason"),
    [
        ("Nom", None, "nom", "nom exact du champ"),
        ("CP", None, "code_postal", "synonyme connu"),
        ("Tél. fixe", ["05 45 82 00 01", "05 45 38 70 00", "05 45 38 70 01", "05 45 81 00 02"], "telephone",
         "synonyme connu"),
        ("Adresse mail de la structure", ["mediatheque@cognac.fr", "ccas@angouleme.fr", "epn@angouleme.fr",
                                          "fs@jarnac.fr"], "courriels", "mots du nom : adresse, courriel"),
        ("Site internet du lieu", ["https://cognac.fr", "https://angouleme.fr", "https://epn.fr", "https://jarnac.fr"],
         "site_web", "mots du nom : site, internet"),
        ("Numéro de téléphone de la structure", ["05 45 82 00 01", "05 45 38 70 00", "05 45 38 70 01",
                                                 "05 45 81 00 02"], "telephone", "mots du nom : numero, telephone"),
        ("USER_QUART", ["Centre", "Basseau", "Ma Campagne", "Bourg"], "complement_adresse",
         "abréviation QUART ; préfixe USER_ ignoré"),
    ],
)
def test_a_column_is_recognised_by_its_name(column, values, field, reason):
    use = plan_columns(places_with({} if values is None else {column: values})).use(column)
    assert (use.field, use.how, use.reason) == (field, "nom", reason)


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
        use = plan_columns(table([spelling], [])).use(spelling)
        assert (use.field, use.how, use.reason) == (target, "nom", "synonyme connu"), spelling


def test_the_columns_of_the_v1_example_all_feed_their_own_field():
    plan = plan_columns(read_table(ROOT / "models" / "data" / "standard" / "exemple-valide.csv"))
    assert plan.fields == {use.column: use.column for use in plan.uses}
    assert {(use.how, use.reason) for use in plan.uses} == {("nom", "nom exact du champ")}
    assert plan.unmatched == [] and plan.messages == []


def test_the_v011_columns_feed_the_v1_field_they_were_renamed_to_or_keep_their_legacy_name():
    plan = plan_columns(read_table(ROOT / "models" / "data" / "standard" / "v0.1.1" / "exemple-valide.csv"))
    assert {column: field for column, field in plan.fields.items() if column != field} == {
        "courriel": "courriels",
        "labels_autres": "autres_formations_labels",
        "accessibilite": "fiche_acces_libre",
    }
    assert [plan.fields[legacy] for legacy in LEGACY_FIELDS] == list(LEGACY_FIELDS)  # values translated later
    assert plan.unmatched == [] and plan.messages == []


@pytest.mark.parametrize("path", sorted(DEMO_DIR.glob("*.json")), ids=lambda path: path.name[:30])
def test_the_demo_files_columns_are_all_recognised_by_their_name(path):
    plan = plan_columns(read_table(path))
    assert {use.how for use in plan.uses} == {"nom"}
    assert plan.unmatched == [] and plan.messages == []


def test_messy_headers_are_recognised_and_unknown_columns_are_kept_aside():
    columns = ["Nom de la structure", "Adresse (n° et voie)", "Code Postal ", "Ville", "Tél.", "E-mail", "N° SIRET",
               "Commentaire interne", "Référent", "Mail référent", "Accès libre"]
    plan = plan_columns(table(columns, []))
    assert plan.fields == {
        "Nom de la structure": "nom",
        "Adresse (n° et voie)": "adresse",
        "Code Postal ": "code_postal",
        "Ville": "commune",
        "Tél.": "telephone",
        "E-mail": "courriels",
        "N° SIRET": "pivot",
        "Référent": "contact_nom",
        "Mail référent": "contact_courriel",
        "Accès libre": "fiche_acces_libre",
    }
    assert plan.unmatched == ["Commentaire interne"] and plan.messages == []


def test_names_the_synonyms_miss_are_recognised_by_their_words_and_say_why():
    columns = ["TYPO_UID", "USER_NOM", "USER_ADRES", "USER_QUART", "LAT", "LNG", "QUALIF1", "DATE_MAJ", "TELEPHONE",
               "MAIL", "SITE_INTER", "LIEN", "code_postal", "commune"]  # an Angers GIS layer
    plan = plan_columns(table(columns, []))
    assert plan.fields == {
        "TYPO_UID": "id", "USER_NOM": "nom", "USER_ADRES": "adresse", "USER_QUART": "complement_adresse",
        "LAT": "latitude", "LNG": "longitude", "DATE_MAJ": "date_maj", "TELEPHONE": "telephone", "MAIL": "courriels",
        "SITE_INTER": "site_web", "LIEN": "site_web", "code_postal": "code_postal", "commune": "commune",
    }
    assert plan.unmatched == ["QUALIF1"] and plan.messages == []  # web sites are a list: LIEN adds to SITE_INTER
    found_by_words = [use for use in plan.uses if use.field and use.confidence < 1.0]  # not a name nor a synonym
    assert {use.column: use.reason for use in found_by_words} == {
        "TYPO_UID": "mots du nom : uid ; identifiant technique ; préfixe TYPO_ ignoré",
        "USER_NOM": "nom exact, préfixe USER_ ignoré",
        "USER_ADRES": "abréviation ADRES ; préfixe USER_ ignoré",
        "USER_QUART": "abréviation QUART ; préfixe USER_ ignoré",
        "SITE_INTER": "abréviation INTER",
        "LIEN": "mots du nom : lien ; lien : site web ?",
    }


def test_a_form_export_is_recognised_by_its_questions():
    columns = ["ObjectID", "GlobalID", "CreationDate", "EditDate", "Nom de votre structure", "Adresse de la structure",
               "Numéro de téléphone de la structure", "Adresse mail de la structure", "Horaires d'ouverture",
               "Horaires d'ouverture__1", "Typologie de la structure", "Autre - Typologie de la structure",
               "Quels sont vos équipements numériques ?", "x", "y"]
    plan = plan_columns(table(columns, []))
    assert plan.fields == {
        "GlobalID": "id", "EditDate": "date_maj", "Nom de votre structure": "nom",
        "Adresse de la structure": "adresse", "Numéro de téléphone de la structure": "telephone",
        "Adresse mail de la structure": "courriels", "Horaires d'ouverture": "horaires",
        "Horaires d'ouverture__1": "horaires", "Typologie de la structure": "typologie", "x": "longitude",
        "y": "latitude",
    }
    # Among guesses the surest wins, wherever it stands; hints (« Autre - … ») are not applied.
    assert plan.unmatched == ["ObjectID", "CreationDate", "Autre - Typologie de la structure",
                              "Quels sont vos équipements numériques ?"]
    assert plan.messages == [
        ("Les colonnes « GlobalID » et « ObjectID » correspondent toutes deux au champ « id » : « GlobalID » est "
         "utilisée, « ObjectID » est conservée à part."),
        ("Les colonnes « EditDate » et « CreationDate » correspondent toutes deux au champ « date_maj » : « EditDate » "
         "est utilisée, « CreationDate » est conservée à part."),
    ]


def test_a_weak_guess_from_the_name_alone_is_not_applied_and_makes_no_conflict():
    hints = ["Autre - Typologie", "c_statut_juridique", "coord x"]  # typologie, typologie, longitude: hints only
    plan = plan_columns(table(["Nom", "Adresse", "Ville", "Type", *hints], []))
    assert plan.fields == {"Nom": "nom", "Adresse": "adresse", "Ville": "commune", "Type": "typologie"}
    assert plan.unmatched == hints and plan.messages == []


def test_the_readers_names_for_duplicate_and_unnamed_columns_are_not_guessed():
    columns = ["nom", *(f"nom_{n}" for n in range(2, 5_001)), "colonne_3", "adresse", "commune"]
    plan = plan_columns(table(columns, []))
    assert plan.fields == {"nom": "nom", "adresse": "adresse", "commune": "commune"} and plan.messages == []
    assert len(plan.unmatched) == 5_000


@pytest.mark.slow
def test_a_header_of_50_000_distinct_columns_is_planned_in_linear_time():
    def header(size: int, tag: str) -> list[str]:
        patterns = ("Question {} : nom du référent", "c_champ_{}_adresse", "Tag {}", "{} - Horaires d'ouverture",
                    "Colonne{}Nomdelastructure")
        return [patterns[n % len(patterns)].format(f"{tag}{n}") for n in range(size)]

    def seconds(columns: list[str]) -> float:  # this process's CPU time: a loaded machine does not change it
        start = time.process_time()
        plan_columns(table(columns, []))
        return time.process_time() - start

    small, large = seconds(header(5_000, "a")), seconds(header(50_000, "b"))
    assert large < 25 * small + 1.0  # 10× the columns: about 10× the time, never 100×


def test_a_day_column_feeds_the_opening_hours_of_that_day():
    plan = plan_columns(places_with({"Horaires lundi": ["9h-12h", "9h-17h", None, "14h-18h"],
                                     "Mardi": ["9h-12h", None, None, "14h-18h"]}))
    assert [(u.column, u.day, u.part) for u in plan.day_columns] == [("Horaires lundi", "Mo", None),
                                                                       ("Mardi", "Tu", None)]
    assert plan.columns_for("horaires") == ["Horaires lundi", "Mardi"]


@pytest.mark.parametrize(
    ("column", "answers", "field", "code"),
    [
        ("c_mediatheque", ["True", "False", "True", "False"], "typologie", "BIB"),
        ("Enlibreacces", ["X", None, "X", "X"], "modalites_accompagnement", "En autonomie"),
        ("Démarches administratives", ["Souvent", "Jamais", "Souvent", "Parfois"], "services",
         "Aide aux démarches administratives"),
        ("c_france_services", ["1", "0", "0", "1"], "dispositif_programmes_nationaux", "France Services"),
        ("Itinérant", ["oui", "non", "non", "non"], "itinerance", "Itinérant"),
        ("actif", ["oui", "non", "oui", "oui"], "statut", "ouvert"),
    ],
)
def test_a_yes_no_column_is_read_by_the_code_its_name_means(column, answers, field, code):
    use = plan_columns(places_with({column: answers})).use(column)
    assert (use.field, use.how, use.reason) == (field, "nom", f"colonne oui/non : {code}")


@pytest.mark.parametrize(("column", "field"), [("Type", "typologie"), ("Services", "services"),
                                               ("Publics", "publics_specifiquement_adresses")])
def test_a_yes_no_column_whose_name_means_no_code_is_kept_aside(column, field):
    use = plan_columns(places_with({column: ["oui", "non", "oui", "X"]})).use(column)
    assert use.field is None and not use.ignored
    assert use.reason == f"colonne oui/non : son nom ne dit pas quelle valeur du champ {field} elle donne"
    assert use.fate == "conservée à part sur chaque fiche"


# -- 4. the content -----------------------------------------------------------------------------------


def test_a_column_is_read_as_a_list_from_its_content_when_its_words_repeat():
    use = plan_columns(places_with({"Divers": ["Médiathèque", "CCAS", "Médiathèque", "CCAS ; Médiathèque"]})).use("Divers")
    assert (use.field, use.how) == ("typologie", "contenu")
    assert use.reason == "100\u202f% des valeurs sont des sortes de lieux (typologie)" and 0.6 <= use.confidence <= 0.95


def test_a_column_whose_every_line_differs_is_not_read_as_a_list():
    names = ["Médiathèque l'Alpha", "Médiathèque de Jarnac", "Mairie de Cognac", "CCAS de Ruelle"]
    use = plan_columns(places_with({"Divers": names})).use("Divers")
    assert use.field is None and use.how == ""


def test_a_column_of_long_names_is_not_a_typology_even_when_they_repeat():
    owners = ["Communauté d'agglomération du Grand Cognac", "Communauté de communes du Rouillacais"] * 2
    use = plan_columns(places_with({"Divers": owners})).use("Divers")
    assert use.field is None


def test_the_numbered_columns_of_a_series_feed_the_list_most_of_them_feed():
    plan = plan_columns(places_with({
        "QUALIF1": ["Accès internet", "Impression", "Accès internet", "Impression"],
        "QUALIF2": ["Impression", "Accès internet", "Impression", "Accès internet"],
        "QUALIF3": ["Zorglub", "Foo", "Zorglub", "Foo"],  # words the vocabulary does not know
        "QUALIF4": [None, "Bar", None, None],
    }))
    assert [plan.use(f"QUALIF{n}").field for n in range(1, 5)] == ["services"] * 4
    assert plan.use("QUALIF3").reason == "même série que les autres colonnes « qualif »"
    assert plan.use("QUALIF3").how == "contenu"


def test_a_series_split_evenly_between_two_lists_completes_neither():
    plan = plan_columns(places_with({
        "Tag 1": ["Médiathèque", "CCAS", "Médiathèque", "CCAS"],
        "Tag 2": ["Wifi", "Impression", "Wifi", "Wifi"],
        "Tag 3": [None, "Aide aux démarches administratives", None, None],
        "Tag 4": [None, None, None, "Blabla"],
    }))
    assert [plan.use(f"Tag {n}").field for n in range(1, 5)] == ["typologie", "services", None, None]


def test_a_cell_holding_both_coordinates_feeds_the_point():
    points = ["{'lon': -0.3289, 'lat': 45.6958}", "{'lon': 0.1563, 'lat': 45.6484}", "45.6398, 0.1620",
              "{'lon': -0.1758, 'lat': 45.6772}"]
    use = plan_columns(places_with({"geolocalisation": points})).use("geolocalisation")
    assert (use.field, use.how) == (POINT_FIELD, "contenu") == ("coordonnees", "contenu")
    assert "la colonne alimente latitude et longitude" in use.reason


# -- columns set aside --------------------------------------------------------------------------------

GEOCODER = {"result_city": ["Cognac", "Angoulême", "Angoulême", "Jarnac"],
            "result_postcode": ["16100", "16000", "16000", "16200"],
            "result_citycode": ["16102", "16015", "16015", "16167"]}


def test_a_geocoders_result_columns_are_set_aside_when_the_file_has_its_own_place_columns():
    plan = plan_columns(places_with(GEOCODER))
    for column in GEOCODER:
        use = plan.use(column)
        assert use.field is None
        assert use.reason.endswith("; le fichier a sa propre colonne")
    assert plan.fields["CP"] == "code_postal" and plan.fields["Ville"] == "commune"
    assert plan.messages == []  # set aside without a conflict message


def test_a_geocoders_result_columns_are_used_when_the_file_has_no_place_column():
    rows = [(place[0], *(values[i] for values in GEOCODER.values())) for i, place in enumerate(PLACES)]
    plan = plan_columns(table(["Nom", *GEOCODER], rows))
    assert [plan.use(c).field for c in GEOCODER] == ["commune", "code_postal", "code_insee"]


@pytest.mark.parametrize(
    ("column", "values", "field"),
    [
        ("Courriel", ["Accessible PMR", "Oui", "Accessible PMR", "non renseigné"], "courriels"),
        ("Site web", ["oui", "non", "oui", "oui"], "site_web"),
        ("accessibilite", ["Accessible PMR", "Non accessible", "Accessible PMR", "Rampe"], "fiche_acces_libre"),
        ("Mise à jour", ["Lucie", "Marc", "Lucie", "Marc"], "date_maj"),
    ],
)
def test_a_column_whose_name_is_contradicted_by_its_content_is_kept_aside(column, values, field):
    use = plan_columns(places_with({column: values})).use(column)
    assert use.field is None
    assert use.reason.startswith(f"le nom dit {field}, mais ") and use.reason.endswith("seulement des valeurs en sont")


# -- one field, several columns -----------------------------------------------------------------------


def test_of_two_columns_for_one_field_the_fuller_one_is_used_and_one_message_says_so():
    plan = plan_columns(places_with({"Latitude": [None, None, None, "45.70"],
                                     "latitude": ["45.6958", "45.6484", "45.6398", "45.6772"],
                                     "longitude": ["-0.3289", "0.1563", "0.1620", "-0.1758"]}))
    assert plan.fields["latitude"] == "latitude"
    assert plan.use("Latitude").field is None and plan.use("Latitude").reason == "aussi possible pour latitude"
    assert plan.messages == [
        ("Les colonnes « latitude » et « Latitude » correspondent toutes deux au champ « latitude » : « latitude » "
         "est utilisée, « Latitude » est conservée à part.")
    ]


@pytest.mark.parametrize(("overrides", "profile", "how"), [({"Enseigne": "nom"}, None, "personne"),
                                                           (None, {"Enseigne": "nom"}, "profil")])
def test_of_two_columns_for_one_field_the_most_authoritative_is_used(overrides, profile, how):
    plan = plan_columns(places_with({"Enseigne": ["Médiathèque", "CCAS", "EPN", "France Services"]}),
                        overrides=overrides, profile=profile)
    assert fate(plan, "Enseigne") == ("nom", how)
    assert plan.use("Nom").field is None
    assert plan.messages == [
        ("Les colonnes « Enseigne » et « Nom » correspondent toutes deux au champ « nom » : « Enseigne » est utilisée, "
         "« Nom » est conservée à part.")
    ]


@pytest.mark.parametrize(
    ("first", "others", "second", "field"),
    [
        ("Raison sociale", ["Adresse", "Ville"], "Nom de la structure", "nom"),
        ("CP", ["Nom", "Adresse", "Ville"], "Code postale", "code_postal"),
    ],
)
def test_of_two_synonyms_for_one_field_the_first_is_used_and_one_message_says_so(first, others, second, field):
    plan = plan_columns(table([first, *others, second], []))
    assert plan.fields[first] == field
    assert plan.use(second).field is None and plan.use(second).reason == f"aussi possible pour {field}"
    assert plan.messages == [
        (f"Les colonnes « {first} » et « {second} » correspondent toutes deux au champ « {field} » : « {first} » est "
         f"utilisée, « {second} » est conservée à part.")
    ]


@pytest.mark.parametrize(("columns", "rows", "used", "aside"), [
    (["Raison sociale", "Nom", "Adresse", "Ville"],
     [("Mairie de Jarnac", "Mairie", "1 rue Carnot", "Jarnac"), ("CCAS de Cognac", "CCAS", "2 rue Richard", "Cognac")],
     "Nom", "Raison sociale"),
    (["Raison sociale", "Nom", "Adresse", "Ville"],
     [("Mairie de Jarnac", None, "1 rue Carnot", "Jarnac"), ("CCAS de Cognac", None, "2 rue Richard", "Cognac")],
     "Raison sociale", "Nom"),
], ids=["own-name-wins", "an-empty-own-name-does-not"])
def test_the_fields_own_name_wins_over_a_synonym_unless_its_column_is_empty(columns, rows, used, aside):
    plan = plan_columns(table(columns, rows))
    assert fate(plan, used) == ("nom", "nom")
    assert plan.use(aside).field is None


@pytest.mark.parametrize("blank", ["", "   "])
def test_a_blank_choice_leaves_the_column_out_as_a_mapping_file_does(blank):
    plan = plan_columns(places_with({"Remarque": ["a", "b", "c", "d"]}), overrides={"Remarque": blank})
    use = plan.use("Remarque")
    assert (use.field, use.how, use.ignored) == (None, "personne", True)


def test_a_field_name_or_a_synonym_wins_over_an_earlier_guess_from_the_words():
    plan = plan_columns(table(["Nom de votre structure", "Dénomination", "Adresse", "Ville"], []))
    assert fate(plan, "Dénomination") == ("nom", "nom")
    assert plan.use("Nom de votre structure").field is None
    assert plan.messages == [
        ("Les colonnes « Dénomination » et « Nom de votre structure » correspondent toutes deux au champ « nom » : "
         "« Dénomination » est utilisée, « Nom de votre structure » est conservée à part.")
    ]


def test_three_columns_for_one_field_give_one_message():
    plan = plan_columns(places_with({"Nom du lieu": ["a", "b", "c", "d"], "Dénomination": ["e", "f", "g", "h"]}))
    assert plan.fields["Nom"] == "nom"
    assert [plan.use(c).reason for c in ("Nom du lieu", "Dénomination")] == ["aussi possible pour nom"] * 2
    assert plan.messages == [
        ("Les colonnes « Nom », « Nom du lieu » et « Dénomination » correspondent toutes au champ « nom » : « Nom » "
         "est utilisée, « Nom du lieu » et « Dénomination » sont conservées à part.")
    ]


def test_a_list_takes_several_columns_without_a_message():
    plan = plan_columns(places_with({"Type": ["Médiathèque", "CCAS", "EPN", "France Services"],
                                     "c_mediatheque": ["oui", "non", "non", "non"],
                                     "Email": ["a@cognac.fr", "b@angouleme.fr", "c@angouleme.fr", "d@jarnac.fr"],
                                     "Mail": ["e@cognac.fr", None, None, "f@jarnac.fr"]}))
    assert plan.columns_for("typologie") == ["Type", "c_mediatheque"]
    assert plan.columns_for("courriels") == ["Email", "Mail"]
    assert plan.messages == []


def test_a_column_the_person_gives_a_list_field_is_added_to_the_column_found_by_name():
    phones = ["05 45 82 00 01", "05 45 38 70 00", "05 45 38 70 01", "05 45 81 00 02"]
    plan = plan_columns(places_with({"telephone": phones, "Standard mairie": phones[::-1]}),
                        overrides={"Standard mairie": "telephone"})
    assert [(c, plan.use(c).how) for c in plan.columns_for("telephone")] == [("telephone", "nom"),
                                                                             ("Standard mairie", "personne")]
    assert plan.messages == []


# -- required fields ----------------------------------------------------------------------------------


def test_a_missing_required_field_gives_one_message_naming_the_columns_that_could_hold_it():
    rows = [(place[0], f"{place[1]} {place[2]} {place[3]}", "05 45 82 00 0" + str(i)) for i, place in enumerate(PLACES)]
    plan = plan_columns(table(["Titre", "Lieu", "Tel"], rows))
    assert plan.messages == [
        ("Aucune colonne n'a été reconnue pour le nom du lieu (champ nom) : indiquez-la dans la correspondance des "
         "colonnes. Colonnes qui pourraient le contenir : « Titre »."),
        ("Aucune colonne n'a été reconnue pour l'adresse (champ adresse) : indiquez-la dans la correspondance des "
         "colonnes. Colonnes qui pourraient le contenir : « Lieu »."),
        ("Aucune colonne n'a été reconnue pour la commune (champ commune) : indiquez-la dans la correspondance des "
         "colonnes. Aucune colonne du fichier ne semble le contenir."),
    ]


def test_a_file_with_every_required_field_gets_no_message():
    assert plan_columns(places_with({})).messages == []


# -- what the column table shows ----------------------------------------------------------------------


def test_the_samples_are_the_first_three_distinct_values_in_file_order():
    plan = plan_columns(places_with({"Remarque": [None, "à rappeler", "", "à rappeler"]}))
    assert plan.use("Remarque").samples == ("à rappeler",)
    assert plan.use("Ville").samples == ("Cognac", "Angoulême", "Jarnac")
    assert plan.use("Nom").samples == tuple(place[0] for place in PLACES[:3])


def test_a_column_nothing_recognises_is_kept_aside_with_its_samples():
    use = plan_columns(places_with({"Interne": ["x1", "x2", "x3", "x4"]})).use("Interne")
    assert (use.field, use.how, use.reason, use.ignored) == (None, "", "", False)
    assert use.fate == "conservée à part sur chaque fiche" and use.samples == ("x1", "x2", "x3")


def test_every_column_has_one_fate_in_file_order():
    extra = {"Interne": ["a", "b", "c", "d"], "c_mediatheque": ["oui", "non", "non", "non"]}
    plan = plan_columns(places_with(extra))
    assert [u.column for u in plan.uses] == [*PLACE_COLUMNS, *extra]


def test_the_signature_is_stable_and_changes_only_with_the_plan():
    first = places_with({"Interne": ["a", "b", "c", "d"]})
    reordered = table(list(reversed(first.columns)), [tuple(reversed([r[c] for c in first.columns])) for r in first.rows])
    signature = plan_columns(first).signature()
    assert plan_columns(first).signature() == signature
    assert plan_columns(reordered).signature() == signature
    assert plan_columns(first, overrides={"Interne": "presentation_resume"}).signature() != signature
    left_out = plan_columns(first, overrides={"Interne": None}).signature()
    assert left_out != signature and all(entry[0] != "Interne" for entry in left_out)
