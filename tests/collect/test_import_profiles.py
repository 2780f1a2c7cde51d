"""collect.import_profiles: what a coordinator confirmed for one source, applied to its next export.

A profile keeps, under a name, the header it was made on, the column choices and the value
translations. The next file whose header is (nearly) the same is recognised and the profile
applied; a profile can also be named, or not used at all.
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from collect.column_plan import KEPT_ASIDE
from collect.import_profiles import (
    RECOGNITION_THRESHOLD,
    ImportProfile,
    ProfileError,
    delete_profile,
    find_profile,
    get_profile,
    header_similarity,
    list_profiles,
    recognise_profile,
    save_profile,
)
from collect.imports import import_bytes, profile_from_report
from models.access import AccessDenied, create_user

PASSWORD = "une phrase de passe assez longue"
TODAY = date(2024, 6, 1)

# The header of a hub's monthly export: 15 columns.
HUB_HEADER = ["id", "nom", "adresse", "code_postal", "commune", "telephone", "courriel", "site_web", "horaires",
              "typologie", "services", "publics", "Interne", "date_maj", "latitude"]


def profile(nom: str, colonnes: list[str] = HUB_HEADER, **choices) -> ImportProfile:
    return ImportProfile(nom=nom, colonnes=colonnes, **choices)


def save(store, *profiles: ImportProfile, by: str = "test") -> list[ImportProfile]:
    with store.atomic() as con:
        return [save_profile(con, p, by=by) for p in profiles]


def names(store) -> list[str]:
    with store.connect() as con:
        return [p.nom for p in list_profiles(con)]


# -- save, list, find, update, delete -----------------------------------------------------------------


def test_a_saved_profile_is_listed_with_its_choices_and_translations(store):
    (saved,) = save(store, profile("Hub du Sud", correspondance={"Interne": None, "nom": "nom"},
                                   traductions={"typologie": {"Zorglub": [["typologie", "TIERS_LIEUX"]]}}))
    assert saved.id and saved.updated_by == "test" and saved.updated_at is not None
    with store.connect() as con:
        (listed,) = list_profiles(con)
    assert (listed.nom, listed.colonnes, listed.correspondance) == ("Hub du Sud", HUB_HEADER,
                                                                    {"Interne": None, "nom": "nom"})
    assert listed.traductions == {"typologie": {"Zorglub": [("typologie", "TIERS_LIEUX")]}}
    assert listed.id == saved.id


def test_profiles_are_listed_by_name(store):
    save(store, profile("zèbre"), profile("Aix"), profile("hub du Sud"))
    assert names(store) == ["Aix", "hub du Sud", "zèbre"]


@pytest.mark.parametrize("asked", ["Hub du Sud", "hub du sud", "  HUB   du  Sud "])
def test_a_profile_is_found_by_its_name_whatever_the_case_and_spaces(store, asked):
    save(store, profile("Hub du Sud"))
    with store.connect() as con:
        assert get_profile(con, asked).nom == "Hub du Sud"


def test_saving_under_the_same_name_updates_the_profile(store):
    (first,) = save(store, profile("Hub du Sud", correspondance={"Interne": None}))
    (second,) = save(store, profile("HUB DU SUD", correspondance={"Interne": "presentation_resume"}))
    assert second.id == first.id and second.updated_at > first.updated_at
    with store.connect() as con:
        (only,) = list_profiles(con)
    assert only.nom == "HUB DU SUD" and only.correspondance == {"Interne": "presentation_resume"}
    actions = [row["action"] for row in store.query("SELECT action FROM audit_log WHERE entity = 'import_profiles' "
                                                     "ORDER BY occurred_at")]
    assert actions == ["import_profile.create", "import_profile.update"]


def test_a_deleted_profile_is_no_longer_found_but_kept_in_the_store(store):
    save(store, profile("Hub du Sud"), profile("Aix"))
    with store.atomic() as con:
        deleted = delete_profile(con, "hub du sud", by="test")
    assert deleted.nom == "Hub du Sud"
    assert names(store) == ["Aix"]
    rows = store.query("SELECT nom, deleted_at IS NOT NULL AS deleted FROM import_profiles ORDER BY nom")
    assert rows == [{"nom": "Aix", "deleted": False}, {"nom": "Hub du Sud", "deleted": True}]
    with store.connect() as con, pytest.raises(ProfileError) as missing:
        get_profile(con, "Hub du Sud")
    assert str(missing.value) == "Profil d'import « Hub du Sud » introuvable (profils enregistrés : « Aix »)."
    assert store.query("SELECT count(*) AS n FROM audit_log WHERE action = 'import_profile.delete'") == [{"n": 1}]


def test_a_name_deleted_can_be_saved_again_as_a_new_profile(store):
    (first,) = save(store, profile("Hub du Sud"))
    with store.atomic() as con:
        delete_profile(con, "Hub du Sud", by="test")
    (again,) = save(store, profile("Hub du Sud"))
    assert again.id != first.id and names(store) == ["Hub du Sud"]


def test_an_unknown_profile_is_a_french_error_naming_the_known_ones(store):
    with store.connect() as con:
        assert find_profile(con, "Inconnu") is None
        with pytest.raises(ProfileError, match=r"^Profil d'import « Inconnu » introuvable \(profils enregistrés : aucun\)\.$"):
            get_profile(con, "Inconnu")
    save(store, profile("Hub du Sud"), profile("Aix"))
    with store.connect() as con, pytest.raises(ProfileError) as missing:
        get_profile(con, "Inconnu")
    assert str(missing.value).endswith("(profils enregistrés : « Aix », « Hub du Sud »).")
    with store.atomic() as con, pytest.raises(ProfileError, match="« Inconnu » introuvable"):
        delete_profile(con, "Inconnu", by="test")


@pytest.mark.parametrize(
    ("name", "message"),
    [("   ", "Le nom du profil est obligatoire."), ("x" * 81, "Le nom du profil est trop long (80 caractères au plus).")],
)
def test_a_profile_needs_a_short_name_said_in_french(name, message):
    with pytest.raises(ProfileError) as refused:
        profile(name)
    assert str(refused.value) == message


def test_the_spaces_of_a_profile_name_are_tidied():
    assert profile("  Hub   du\tSud ").nom == "Hub du Sud"


# -- recognition --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "similarity"),
    [
        (HUB_HEADER, 1.0),
        (list(reversed(HUB_HEADER)), 1.0),
        ([c.upper() for c in HUB_HEADER], 1.0),
        ([*[c for c in HUB_HEADER if c != "Interne"], "longitude"], 14 / 16),  # one added, one removed
    ],
    ids=["same", "reordered", "upper-case", "one-added-one-removed"],
)
def test_the_next_export_of_a_source_is_recognised_by_its_header(store, header, similarity):
    save(store, profile("Hub du Sud"))
    with store.connect() as con:
        match = recognise_profile(con, header)
    assert match is not None and match.profile.nom == "Hub du Sud"
    assert match.similarity == pytest.approx(similarity) and match.similarity >= RECOGNITION_THRESHOLD


@pytest.mark.parametrize(
    "header",
    [
        ["Nom de l'organisation", "Type de lieu", "Rue", "Code postal", "Ville", "Email", "Fixe", "Tag 1", "Tag 2"],
        HUB_HEADER[:10],  # a third of the columns gone
        [*HUB_HEADER, "c1", "c2", "c3", "c4"],  # four columns added
        [],
    ],
    ids=["another-source", "shorter", "longer", "empty"],
)
def test_another_header_is_not_recognised(store, header):
    save(store, profile("Hub du Sud"))
    with store.connect() as con:
        assert recognise_profile(con, header) is None


def test_of_two_equally_similar_profiles_the_most_recent_wins(store):
    save(store, profile("Ancien"))
    save(store, profile("Récent"))
    with store.connect() as con:
        assert recognise_profile(con, HUB_HEADER).profile.nom == "Récent"
    save(store, profile("Ancien"))  # confirmed again: now the most recent
    with store.connect() as con:
        assert recognise_profile(con, HUB_HEADER).profile.nom == "Ancien"


def test_the_closest_header_wins_over_the_most_recent(store):
    save(store, profile("Exact"), profile("Presque", colonnes=[*HUB_HEADER, "longitude"]))
    with store.connect() as con:
        assert recognise_profile(con, HUB_HEADER).profile.nom == "Exact"


def test_a_deleted_profile_is_not_recognised(store):
    save(store, profile("Hub du Sud"))
    with store.atomic() as con:
        delete_profile(con, "Hub du Sud", by="test")
    with store.connect() as con:
        assert recognise_profile(con, HUB_HEADER) is None


def test_header_similarity_ignores_case_accents_and_punctuation():
    assert header_similarity(["Téléphone", "Code postal"], ["telephone", "code_postal"]) == 1.0
    assert header_similarity(["a", "b"], ["b", "c"]) == pytest.approx(1 / 3)
    assert header_similarity([], []) == 0.0


# -- rights -------------------------------------------------------------------------------------------


@pytest.fixture
def team(store):
    """A server store: an admin, a coordinator and a committee member."""
    with store.atomic() as con:
        create_user(con, "admin", nom="Alix Admin", role="admin", password=PASSWORD, by="installation")
        create_user(con, "coord", nom="Camille Coord", role="coordinateur", password=PASSWORD, by="admin")
        create_user(con, "comite", nom="Côme Comité", role="comite", password=PASSWORD, by="admin")
    return store


def test_a_committee_member_can_neither_save_nor_delete_a_profile(team):
    with team.atomic() as con, pytest.raises(AccessDenied, match="ne peut pas importer des structures"):
        save_profile(con, profile("Hub du Sud"), by="comite")
    save(team, profile("Hub du Sud"), by="coord")
    with team.atomic() as con, pytest.raises(AccessDenied, match="ne peut pas importer des structures"):
        delete_profile(con, "Hub du Sud", by="comite")
    assert names(team) == ["Hub du Sud"]


def test_a_coordinator_saves_and_deletes_profiles(team):
    (saved,) = save(team, profile("Hub du Sud"), by="coord")
    assert saved.updated_by == "coord"
    with team.atomic() as con:
        delete_profile(con, "Hub du Sud", by="coord")
    assert names(team) == []


# -- end to end: import, save the profile, the next export ---------------------------------------------

HEADER = "ID;Nom du lieu;Adresse;CP;Ville;Type;Accueil;Interne"
JANUARY = f"""{HEADER}
1;Médiathèque de Cognac;10 rue du Minage;16100;Cognac;Médiathèque;Sans rendez-vous le mardi;à rappeler
2;Tiers-lieu La Forge;2 rue de Bordeaux;16000;Angoulême;Zorglub;Ateliers le samedi;ok
"""
FEBRUARY = f"""{HEADER}
3;Espace numérique de Ma Campagne;3 rue de Bordeaux;16000;Angoulême;Zorglub;Permanence le jeudi;nouveau
4;Médiathèque de Jarnac;4 rue Carnot;16200;Jarnac;Médiathèque;Ordinateurs en accès libre;vu
"""
CHOICES = {"Accueil": "presentation_resume", "Interne": None}
TRANSLATIONS = {"Type": {"Zorglub": [["typologie", "TIERS_LIEUX"]]}}


def first_import(store, name: str = "Hub du Sud") -> ImportProfile:
    """A simulation of January's export with the person's choices, saved as the source's profile."""
    report = import_bytes(store, JANUARY.encode(), "hub-janvier.csv", mapping=CHOICES, translations=TRANSLATIONS,
                          dry_run=True, today=TODAY)
    assert report.profile is None
    (saved,) = save(store, profile_from_report(report, name))
    return saved


def lieux(store) -> dict[str, dict]:
    return {row["nom"]: row for row in store.query("SELECT * FROM structures")}


def test_a_simulation_gives_a_profile_of_what_was_applied(store):
    saved = first_import(store)
    assert saved.colonnes == HEADER.split(";")
    assert saved.correspondance == {"ID": "id", "Nom du lieu": "nom", "Adresse": "adresse", "CP": "code_postal",
                                    "Ville": "commune", "Type": "typologie", "Accueil": "presentation_resume",
                                    "Interne": None}
    assert saved.traductions == {"Type": {"Zorglub": [("typologie", "TIERS_LIEUX")]}}


def test_the_next_export_of_the_source_gets_its_profile_applied(store):
    first_import(store)
    report = import_bytes(store, FEBRUARY.encode(), "hub-fevrier.csv", today=TODAY)
    assert (report.profile, report.profile_recognised) == ("Hub du Sud", True)
    assert (report.new, report.rejected) == (2, 0)
    assert {u.column: (u.field, u.how) for u in report.columns}["Accueil"] == ("presentation_resume", "profil")
    assert report.columns[-1].fate == "écartée"
    (zorglub,) = [t for t in report.translations if t.value == "Zorglub"]
    assert (zorglub.targets, zorglub.how) == ((("typologie", "TIERS_LIEUX"),), "profil")
    espace = lieux(store)["Espace numérique de Ma Campagne"]
    assert espace["typologie"] == ["TIERS_LIEUX"]
    assert espace["presentation_resume"] == "Permanence le jeudi"
    assert "Interne" not in json.loads(espace["donnees_source"] or "{}")
    assert not [i for i in report.issues if "ne correspond à aucune valeur" in i.message]


def test_the_person_can_import_without_the_profile(store):
    first_import(store)
    report = import_bytes(store, FEBRUARY.encode(), "hub-fevrier.csv", use_profile=False, today=TODAY)
    assert (report.profile, report.profile_recognised) == (None, False)
    espace = lieux(store)["Espace numérique de Ma Campagne"]
    assert not espace["typologie"] and espace["presentation_resume"] is None
    assert json.loads(espace["donnees_source"]) == {"Accueil": "Permanence le jeudi", "Interne": "nouveau"}
    assert json.loads(espace["valeurs_ecartees"])[0]["valeur"] == "Zorglub"


def test_a_profile_named_by_the_person_is_applied_to_any_header(store):
    first_import(store, name="Hub du Sud")
    renamed = FEBRUARY.replace("Nom du lieu;", "Nom;").replace(";Accueil;Interne", ";Accueil;Remarques")
    report = import_bytes(store, renamed.encode(), "autre.csv", profile="hub du sud", dry_run=True, today=TODAY)
    assert (report.profile, report.profile_recognised) == ("Hub du Sud", False)
    assert report.mapping["Accueil"] == "presentation_resume"
    (zorglub,) = [t for t in report.translations if t.value == "Zorglub"]
    assert zorglub.targets == (("typologie", "TIERS_LIEUX"),)


def test_the_persons_choices_win_over_the_profile(store):
    first_import(store)
    report = import_bytes(store, FEBRUARY.encode(), "hub-fevrier.csv", mapping={"Accueil": None},
                          translations={"Type": {"Zorglub": [["typologie", "FABLAB"]]}}, dry_run=True, today=TODAY)
    assert report.profile == "Hub du Sud"
    assert "Accueil" not in report.mapping
    (zorglub,) = [t for t in report.translations if t.value == "Zorglub"]
    assert (zorglub.targets, zorglub.how) == ((("typologie", "FABLAB"),), "personne")


def test_an_unknown_profile_name_stops_the_import(store):
    first_import(store)
    with pytest.raises(ProfileError, match="« Inconnu » introuvable .*« Hub du Sud »"):
        import_bytes(store, FEBRUARY.encode(), "hub-fevrier.csv", profile="Inconnu", today=TODAY)
    assert lieux(store) == {}


def test_reimporting_a_file_after_saving_its_profile_changes_nothing(store):
    report = import_bytes(store, JANUARY.encode(), "hub-janvier.csv", mapping=CHOICES, translations=TRANSLATIONS,
                          today=TODAY)
    assert report.new == 2
    save(store, profile_from_report(report, "Hub du Sud"))
    again = import_bytes(store, JANUARY.encode(), "hub-janvier.csv", today=TODAY)
    assert again.profile == "Hub du Sud"
    assert (again.new, again.updated, again.unchanged, again.duplicates) == (0, 0, 2, 0)
    assert len(lieux(store)) == 2


def test_a_column_the_person_kept_aside_stays_aside_with_the_profile(store):
    report = import_bytes(store, JANUARY.encode(), "hub-janvier.csv", mapping={"Ville": KEPT_ASIDE, **CHOICES},
                          dry_run=True, today=TODAY)
    assert report.columns[4].field is None  # « Ville » kept aside by the person
    save(store, profile_from_report(report, "Hub du Sud"))
    again = import_bytes(store, FEBRUARY.encode(), "hub-fevrier.csv", dry_run=True, today=TODAY)
    assert again.profile == "Hub du Sud"
    assert "Ville" not in again.mapping
