"""collect.column_plan: the fate of every column of a file — who decided it, and why.

The person decides first, then the source's import profile, then the column's name, then its
content. A column that feeds no field is kept aside on each lieu, never dropped; a column the
person leaves out is « écartée ». One message says when two columns claim one field, and one
message when a required field has no column.
"""

from __future__ import annotations

import pytest

from collect.column_plan import KEPT_ASIDE, POINT_FIELD, plan_columns
from collect.readers import Table
from models.errors import InvalidMapping

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
def test_the_persons_choice_for_a_column_comes_before_its_name(choice, field, ignored, shown):
    plan = plan_columns(places_with({"Contact": ["Jeanne Martin", "Paul Durand", "Ali Benali", "Rose Petit"]}),
                        overrides={"Contact": choice})  # by its name, « Contact » would be contact_nom
    use = plan.use("Contact")
    assert (use.field, use.how, use.ignored, use.fate) == (field, "personne", ignored, shown)
    assert ("Contact" in plan.ignored) is ignored
    assert ("Contact" in plan.unmatched) is (choice == KEPT_ASIDE)
    assert ("Contact" in plan.fields) is (field is not None)


def test_the_persons_choice_is_found_whatever_the_case_and_spaces_and_a_column_absent_is_skipped():
    plan = plan_columns(places_with({"Nom du lieu": ["a", "b", "c", "d"]}),
                        overrides={"  NOM du lieu ": "complement_adresse", "Colonne absente": "nom"})
    assert fate(plan, "Nom du lieu") == ("complement_adresse", "personne")
    assert plan.fields["Nom"] == "nom"


def test_a_field_name_the_person_spells_loosely_is_understood():
    plan = plan_columns(places_with({"Remarque": ["a", "b", "c", "d"]}), overrides={"Remarque": "Presentation Resume"})
    assert fate(plan, "Remarque") == ("presentation_resume", "personne")


def test_an_unknown_field_chosen_by_the_person_is_refused_in_french():
    with pytest.raises(InvalidMapping, match="colonne « Remarque » : champ inconnu « remarques_internes »"):
        plan_columns(places_with({"Remarque": ["a", "b", "c", "d"]}), overrides={"Remarque": "remarques_internes"})


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
    assert len(plan.messages) == 1
    assert plan.messages[0].startswith("Les colonnes « Enseigne » et « Nom » correspondent toutes deux au champ « nom »")


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
