"""Ten real exports of ten territories, imported as a new user would: no mapping file, no profile.

The files are in ``shared/reference/raw-hub-exports/`` (beside the repository); each comes with the
national mapping tool's configuration for it, which says what each column means. The expected
values below were written from those configurations (which column holds the name, the postcode,
the date…) and from the COG — the product never reads the configurations.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from collect.imports import import_file
from models.personal_data import known_people_from
from models.store import Store
from sync.export import export_structures, validate_file

RAW = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "raw-hub-exports"
FILES = sorted(p for p in RAW.glob("*/*.json") if not p.name.endswith(".config.json"))
TODAY = date(2026, 12, 7)

pytestmark = pytest.mark.skipif(not FILES, reason="shared/reference/raw-hub-exports is not beside the repository")


def _records(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def imported(tmp_path_factory) -> dict[str, tuple[Store, object]]:
    """Each real file imported once into its own store (shared by the tests of this module)."""
    stores = {}
    for path in FILES:
        store = Store(tmp_path_factory.mktemp(path.parent.name) / "s.duckdb", keep_open=0)
        store.migrate()
        stores[path.parent.name] = (store, import_file(store, path, today=TODAY))
    return stores


# Lines the standard cannot hold as a lieu: no address at all in the source (« adresse » is required).
REJECTED = {"hub-lo": 1, "la-creuse": 2}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.parent.name)
def test_every_line_of_a_real_file_becomes_a_lieu_or_says_why(imported, path):
    store, report = imported[path.parent.name]
    assert report.rows_read == len(_records(path))
    assert report.new + report.identical + report.rejected == report.rows_read
    assert report.rejected == REJECTED.get(path.parent.name, 0), [str(e) for e in report.errors]
    for error in report.errors:
        assert error.line is not None and error.field and error.message  # where and why, in French
    assert store.query("SELECT count(*) AS n FROM structures")[0]["n"] == report.new


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.parent.name)
def test_every_column_of_a_real_file_has_its_fate_with_three_samples(imported, path):
    _, report = imported[path.parent.name]
    columns = {key for record in _records(path) for key in record}
    assert {use.column for use in report.columns} == columns
    for use in report.columns:
        assert use.fate  # used for a field (and how it was found), kept aside, or left out
        assert len(use.samples) <= 3
        if use.field:
            assert use.how in ("nom", "contenu") and use.reason


# One lieu per file and what its source says, as the file's configuration documents it.
EXPECTED = {
    "aix-en-provence": ("Anonymal", {
        "pivot": "W131004321", "code_postal": "13100", "code_insee": "13001", "commune": "Aix-en-Provence",
        "latitude": 43.5263932, "longitude": 5.4138517, "typologie": ["ASSO"], "telephone": "+33442645975",
        "courriels": ["contact@anonymal.tv"], "date_maj": date(2024, 1, 31)}),
    "angers": ("Aide Accueil", {
        "code_postal": "49000", "code_insee": "49007", "latitude": 47.47312842, "longitude": -0.55415912,
        "date_maj": date(2022, 9, 26), "telephone": "+33241253560", "courriels": ["aideaccueil49@gmail.com"],
        "horaires": "Mo-Fr 09:00-12:00,14:00-17:00", "adresse": "3, rue de Crimée"}),
    "bus-france-services-charente": ("Bus France Services - [Face à la boulangerie]", {
        "pivot": "40109226700020", "code_postal": "16140", "code_insee": "16317", "telephone": "+33630392518",
        "horaires": "Mo 09:30-12:30,13:30-15:30; PH off", "latitude": 45.952791, "longitude": -0.008588}),
    "epernay": ("Médiathèque Simone-Veil", {
        "code_postal": "51200", "code_insee": "51230", "commune": "Épernay", "adresse": "1 Rue Professeur Langevin",
        "latitude": 49.04334998, "longitude": 3.953037972, "date_maj": date(2022, 12, 13), "typologie": ["BIB"],
        "telephone": "+33326533780", "courriels": ["mediatheque-veil@ville-epernay.fr"],
        "horaires": "Tu 13:30-19:00; We 10:00-12:00,13:30-18:00; Th,Fr 13:30-18:00; Sa 10:00-18:00"}),
    "etapes-numerique": ("Bourg En Bresse Maginot BP", {
        "pivot": "35600000063516", "code_postal": "01000", "code_insee": "01053", "commune": "Bourg-en-Bresse",
        "latitude": 46.210064, "longitude": 5.227404}),
    "fibre-64": ("Reseau Cyber-base Lacq-Orthez", {
        "code_postal": "64150", "code_insee": "64410", "commune": "Mourenx", "telephone": "+33559805884",
        "courriels": ["cyberbases@cc-lacqorthez.fr"], "latitude": 43.370176, "longitude": -0.629337,
        "itinerance": ["Itinérant"], "contact_nom": "Dessinet Hubert"}),
    "hub-lo": ("ACTION NUMERIQUE", {
        "pivot": "409769312", "code_postal": "45100", "code_insee": "45234", "commune": "Orléans",
        "latitude": 47.837496, "longitude": 1.935953, "date_maj": date(2020, 6, 30), "telephone": "+33238694598",
        "courriels": ["direction@actionnumerique.fr"]}),
    "la-creuse": ("Dun Le Palestel - La Palette", {
        "code_postal": "23800", "code_insee": "23075", "commune": "Dun-le-Palestel", "telephone": "+33587660000"}),
    "nouvelle-caledonie": ("Espace municipal de Rivière Salée", {
        "code_postal": "98800", "code_insee": "98818", "commune": "Nouméa", "latitude": -22.233939,
        "longitude": 166.468099, "date_maj": date(2023, 11, 5), "typologie": ["MQ"], "telephone": "+687445728"}),
    "ultra-num": ("Académie des savoirs Saint-Denis", {
        "code_postal": "97490", "code_insee": "97411", "commune": "Saint-Denis", "courriels": ["contact@ads-reunion.com"],
        "latitude": -20.902798, "longitude": 55.499529, "horaires": "Mo-Fr 08:30-16:30",
        "contact_nom": "ABDELKRIM Chibab"}),
}


@pytest.mark.parametrize("territory", sorted(EXPECTED))
def test_a_real_file_gives_the_values_its_configuration_documents(imported, territory):
    store, _ = imported[territory]
    nom, expected = EXPECTED[territory]
    (row,) = store.query("SELECT * FROM structures WHERE nom = ?", [nom])
    assert {name: row[name] for name in expected} == expected


# Lists translated from the words of the file (config: « termes » → « cible »).
LISTS = {
    "angers": ("Aide Accueil", "services", {"Aide aux démarches administratives",
                                            "Accès internet et matériel informatique",
                                            "Maîtrise des outils numériques du quotidien"}),
    "hub-lo": ("ACTION NUMERIQUE", "typologie", {"EPN", "ASSO"}),
    "fibre-64": ("Reseau Cyber-base Lacq-Orthez", "modalites_accompagnement",
                 {"En autonomie", "Accompagnement individuel", "Dans un atelier collectif"}),
    "epernay": ("Médiathèque Simone-Veil", "frais_a_charge", {"Gratuit"}),
    "nouvelle-caledonie": ("Espace municipal de Rivière Salée", "frais_a_charge", {"Gratuit"}),
    "aix-en-provence": ("Anonymal", "dispositif_programmes_nationaux", {"Conseillers numériques", "Aidants Connect"}),
}


@pytest.mark.parametrize("territory", sorted(LISTS))
def test_the_words_of_a_real_file_are_translated_to_the_standards_lists(imported, territory):
    store, _ = imported[territory]
    nom, field, expected = LISTS[territory]
    (row,) = store.query(f'SELECT "{field}" AS v FROM structures WHERE nom = ?', [nom])  # noqa: S608 - a test's constant
    assert expected <= set(row["v"] or [])


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.parent.name)
def test_a_lieu_without_its_own_date_is_dated_by_the_import_and_says_it_is_an_estimate(imported, path):
    store, report = imported[path.parent.name]
    estimated = store.query("SELECT count(*) AS n FROM structures WHERE date_maj_estimee")[0]["n"]
    dated = store.query("SELECT count(*) AS n FROM structures WHERE date_maj_estimee IS NOT TRUE")[0]["n"]
    if estimated:
        assert report.date_note and "estimée" in report.date_note
        assert store.query("SELECT DISTINCT date_maj FROM structures WHERE date_maj_estimee") == [{"date_maj": TODAY}]
    if dated:
        assert store.query("SELECT count(*) AS n FROM structures WHERE NOT date_maj_estimee IS NOT DISTINCT FROM TRUE"
                           " AND date_maj = ?", [TODAY])[0]["n"] == 0


@pytest.mark.parametrize("path", [*FILES, *sorted((Path(__file__).parents[1] / "fixtures").glob("structures-*.csv"))],
                         ids=lambda p: p.name)
def test_importing_a_file_again_and_again_changes_nothing(tmp_path, path):
    store = Store(tmp_path / "s.duckdb", keep_open=0)
    store.migrate()
    import_file(store, path, today=TODAY)
    before = store.query("SELECT * FROM structures ORDER BY id")
    for later in (date(2026, 12, 8), date(2027, 1, 15)):  # another day: an estimated date is no change
        report = import_file(store, path, today=later)
        assert (report.new, report.updated) == (0, 0), report.summary()
    assert store.query("SELECT * FROM structures ORDER BY id") == before


def test_ids_1_to_n_of_two_sources_never_take_each_others_lieux(tmp_path):
    store = Store(tmp_path / "s.duckdb", keep_open=0)
    store.migrate()
    first = import_file(store, RAW / "la-creuse" / "la-creuse.json", today=TODAY)
    second = import_file(store, RAW / "etapes-numerique" / "etapes-numerique.json", today=TODAY)
    assert second.updated == 0 and second.new == second.rows_read
    total = store.query("SELECT count(*) AS n FROM structures")[0]["n"]
    assert total == first.new + second.new


def _fold(text: str) -> str:
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).casefold()


def _personal_values(path: Path, report) -> set[str]:
    """What the file itself shows to be a person's: the names in its columns of named persons
    (contact, référent…), and the e-mails of the line, in any column, that carry that person's family
    name (« ssaubion@… » beside « Sophie SAUBION »). A shared mailbox given as the contact's
    (« contact@… », « cyberbase@… ») is no person's and may be published."""
    name_columns = [u.column for u in report.columns if u.field == "contact_nom"]
    values: set[str] = set()
    for record in _records(path):
        names = known_people_from([record[c] for c in name_columns if isinstance(record.get(c), str)])
        values.update(names)
        family_names = {_fold(word) for name in names for word in name.split() if len(word) >= 4}
        for cell in record.values():
            for part in str(cell or "").replace(";", ",").replace(" ", ",").split(","):
                local = _fold(part.strip().split("@")[0]) if "@" in part else ""
                if local and any(family in local for family in family_names):
                    values.add(part.strip())
    return values


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.parent.name)
def test_no_email_or_name_of_a_personal_column_reaches_the_open_data_export(imported, path, tmp_path):
    store, report = imported[path.parent.name]
    personal = _personal_values(path, report)
    result = export_structures(store, tmp_path / "lieux.json", format="json")
    published = result.path.read_text(encoding="utf-8").casefold()
    leaked = sorted(value for value in personal if value.casefold() in published)
    assert not leaked


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.parent.name)
@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_the_open_data_export_of_a_real_file_is_valid_against_the_standard(imported, path, fmt, tmp_path):
    store, _ = imported[path.parent.name]
    out = export_structures(store, tmp_path / f"lieux.{fmt}", format=fmt).path
    report = validate_file(out)
    assert report.valid, [str(e) for e in report.errors[:5]]
