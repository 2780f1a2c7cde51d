"""collect.profiling: columns understood by their content, on real hub exports and built cases.

The real files are the territories' raw exports (``shared/reference/raw-hub-exports``, beside the
repository); each folder's ``*.config.json`` says what a column means and serves only as the
expectation here, never as input.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from collect.profiling import (
    KINDS,
    ColumnProfile,
    ContentProposal,
    columns_that_could_hold,
    parse_point,
    profile_column,
    profile_table,
    propose_fields,
)
from collect.readers import read_table
from models.standard import standard_v1

ROOT = Path(__file__).resolve().parents[2]
EXPORTS = ROOT.parent / "shared" / "reference" / "raw-hub-exports"
TERRITORIES = sorted(p.name for p in EXPORTS.iterdir()) if EXPORTS.is_dir() else []
needs_exports = pytest.mark.skipif(not TERRITORIES, reason="raw hub exports not found beside the repository")


@cache
def _table(territory: str):
    return read_table(EXPORTS / territory / f"{territory}.json")


@cache
def _profiles(territory: str) -> tuple[ColumnProfile, ...]:
    return tuple(profile_table(_table(territory)))


@cache
def _proposals(territory: str) -> dict[str, ContentProposal]:
    return propose_fields(_profiles(territory))


def _profile(territory: str, column: str) -> ColumnProfile:
    return next(p for p in _profiles(territory) if p.name == column)


def _config_fields(territory: str) -> dict[str, set[str]]:
    """Column → fields the territory's own mapping gives it (test expectation only)."""
    config = json.loads((EXPORTS / territory / f"{territory}.config.json").read_text(encoding="utf-8"))
    fields: dict[str, set[str]] = {}
    for name, spec in config.items():
        if isinstance(spec, dict) and spec.get("colonne"):
            fields.setdefault(spec["colonne"], set()).add(name)
    return fields


# --------------------------------------------------------------------------------------------
# Kinds of single values


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("contact@mairie-aixenprovence.fr", "courriel"),
        ("c.huque@adsea28.org,p.pelleray@adsea28.org", "courriel"),
        ("02 41 43 28 13", "telephone"),
        ("+262 2 62 97 25 02", "telephone"),
        ("326533780", "telephone"),  # Épernay: the leading zero lost by a spreadsheet
        ("33630392518", "telephone"),  # +33 written without the +
        ("+687445728", "telephone"),
        ("13/12/2022 17:51", "date"),
        ("2022-09-26 19:00:45", "date"),
        ("2020/06/30 14:16:50.898", "date"),
        ("2024-01-31", "date"),
        ("49000", "code_postal"),
        ("1000", "code_postal"),  # 01000 without its zero
        ("2A004", "code_insee"),
        ("1053", "code_insee"),
        ("401 092 267 00020", "siret"),
        ("35600000063516", "siret"),  # La Poste: its own key rule
        ("434806402", "siren"),
        ("W131004321", "rna"),
        ("https://www.angers.fr/", "url"),
        ("www.ads-reunion.com", "url"),
        ("accase.re", "url"),
        ("49,04334998", "latitude"),
        ("-0.53959184", "longitude"),
        ("166.468099", "longitude"),
        ("652345,5", "lambert93"),
        ("6862000", "lambert93"),
        ("{'lon': 166.46, 'lat': -22.23}", "point"),
        ('{"lon": 166.468099, "lat": -22.233939}', "point"),
        ("47.47, -0.55", "point"),
        ("POINT(2.35 48.85)", "point"),
        ('{"type": "Point", "coordinates": [2.35, 48.85]}', "point"),
        ("Mo-Fr 08:00-12:15,13:15-16:30", "horaires"),
        ("Du lundi au vendredi, de 9h30 à 17h", "horaires"),
        ("9h à  12h /  14h à  17h", "horaires"),
        ("09:00 - 11:00, 15:30 - 17:30", "horaires"),
        ("08:30", "heure"),
        ("14h", "heure"),
        ("oui", "oui_non"),
        ("X", "oui_non"),
        ("True", "oui_non"),
        ("12", "nombre"),
        ("Épernay", "commune"),
        ("SAINT PIERRE", "commune"),
        ("Dun le Palestel", "commune"),
        ("BOURGES CEDEX", "commune"),
        ("38 bis, avenue Pasteur", "adresse"),
        ("1 PLACE VICTOR SCHOELCHER", "adresse"),
        ("ABDELKRIM Chibab", "nom_personne"),
        ("Sophie SAUBION", "nom_personne"),
        ("Dessinet Hubert", "nom_personne"),
        ("Médiathèque Simone-Veil", "texte_court"),
        ("Ateliers d'initiation " * 6, "texte_long"),
    ],
)
def test_a_value_is_read_as_its_kind(value, kind):
    assert kind in profile_column("colonne", [value]).kinds


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("43.5263932", "telephone"),  # a coordinate's digits are no phone number
        ("-0.53959184", "siren"),
        ("0.7523406324110671", "telephone"),
        ("6034cb8da1b3c.jpeg", "url"),  # a file name is no web site
        ("BGE CHER", "nom_personne"),  # an organisation in capitals
        ("Accès WIFI", "nom_personne"),
        ("CA Bourges Plus", "nom_personne"),
        ("31/02/2024", "date"),  # no such day
        ("Lundi - samedi", "horaires"),  # days without times
        ("13001_3079_00001", "texte_court"),  # a code, not words
        ("166.468099", "latitude"),  # beyond 90
        ("2", "oui_non"),
    ],
)
def test_a_value_is_not_read_as_a_kind_it_only_resembles(value, kind):
    assert kind not in profile_column("colonne", [value]).kinds


@pytest.mark.parametrize(
    ("text", "point"),
    [
        ("{'lon': 166.46, 'lat': -22.23}", (-22.23, 166.46, True)),
        ('{"lat":47.4,"lng":-0.5}', (47.4, -0.5, True)),
        ("POINT(2.35 48.85)", (48.85, 2.35, True)),
        ("SRID=4326;POINT (2.35 48.85)", (48.85, 2.35, True)),
        ('{"type":"Point","coordinates":[2.35,48.85]}', (48.85, 2.35, True)),
        ("47.47, -0.55", (47.47, -0.55, False)),
        ("(48.85; 2.35)", (48.85, 2.35, False)),
        ("49,04 ; 3,95", (49.04, 3.95, False)),
        ("166.46, -22.23", (-22.23, 166.46, False)),  # 166 cannot be a latitude: the other order
        ("Rue de la Paix", None),
        ("200.5, 300.5", None),
    ],
)
def test_parse_point_reads_both_coordinates_of_a_cell(text, point):
    assert parse_point(text) == point


# --------------------------------------------------------------------------------------------
# Column profiles: counts, samples, determinism, edge cases


def test_an_empty_column_has_no_kind():
    profile = profile_column("vide", [None] * 50)
    assert (profile.rows, profile.non_empty, profile.distinct, profile.sampled) == (50, 0, 0, 0)
    assert profile.kinds == {}
    assert profile.samples == ()
    assert profile.max_length == 0
    assert not profile.unique
    assert profile.main_kind is None
    assert profile.label == "Vide"


@pytest.mark.parametrize("placeholder", ["#N/D", "#N/A", "n/a", "NULL", "-", "nan", "#VALEUR!", "Non renseigné"])
def test_a_column_of_placeholders_is_empty(placeholder):
    profile = profile_column("c_contacts", [placeholder] * 30 + [None] * 5)
    assert profile.non_empty == 0
    assert profile.kinds == {}
    assert profile.samples == ()


def test_placeholders_are_left_out_of_counts_samples_and_kinds():
    values = ["#N/D", "a@b.fr", "#N/D", None, "c@d.fr", "a@b.fr", "e@f.fr", "#N/D"]
    profile = profile_column("contacts", values)
    assert profile.non_empty == 4
    assert profile.distinct == 3
    assert not profile.unique
    assert profile.samples == ("a@b.fr", "c@d.fr", "e@f.fr")
    assert profile.kinds["courriel"] == 1.0
    assert profile.max_length == 6


def test_a_mixed_column_shares_its_values_between_kinds():
    values = ["a@b.fr", "05 45 82 43 51", "2024-01-31", "Rue de la Paix", "49000", None, "#N/D"]
    profile = profile_column("divers", values)
    assert profile.non_empty == 5
    for kind in ("courriel", "telephone", "date", "adresse", "code_postal"):
        assert profile.kinds[kind] == pytest.approx(0.2)
    assert profile.unique
    assert profile.samples == ("a@b.fr", "05 45 82 43 51", "2024-01-31")


@pytest.mark.parametrize(
    ("values", "kind", "absent"),
    [
        (["Export du réseau"] * 40, "constante", "drapeau"),
        (["X", None, None, "X", "X", None], "drapeau", "constante"),
        (["Accès WIFI"] * 9 + [None] * 3, "drapeau", "constante"),
        (["0", "1", "1", "0"], "oui_non", None),
        (["Oui", "non", "1", "0", None], "oui_non", None),
        (["1", "2", "3", "4"], "identifiant", "oui_non"),  # 0/1 are answers only in a yes/no column
        (["W751234567", "13001_3079_00001", "42"], "identifiant", None),
    ],
)
def test_column_kinds_come_from_the_whole_column(values, kind, absent):
    profile = profile_column("colonne", values)
    assert profile.kinds[kind] == 1.0
    if absent:
        assert absent not in profile.kinds


def test_unique_texts_are_no_identifiers():
    profile = profile_column("nom", ["Anonymal", "Cyberbase", "Simplon"])
    assert profile.unique
    assert "identifiant" not in profile.kinds


def test_the_sample_is_bounded_and_spread_over_the_whole_column():
    values = [f"{i}.5" for i in range(10_000)]
    profile = profile_column("mesure", values, sample_size=200)
    assert profile.sampled == 200
    rows = [row for row, _ in profile.numbers]
    assert rows[0] == 0 and rows[-1] >= 9_900
    assert profile.non_empty == profile.distinct == 10_000


def test_columns_filled_alike_are_sampled_on_the_same_rows():
    gaps = [None if i % 3 == 0 else f"{46 + i / 10_000:.5f}" for i in range(9_000)]
    other = [None if v is None else "2.35" for v in gaps]
    first, second = profile_column("a", gaps), profile_column("b", other)
    assert [row for row, _ in first.numbers] == [row for row, _ in second.numbers]


def test_samples_are_the_first_three_distinct_values_as_they_appear():
    profile = profile_column("ville", [None, "BAYONNE", "Bayonne", "BAYONNE", "#N/D", "Mourenx", "Pau"])
    assert profile.samples == ("BAYONNE", "Bayonne", "Mourenx")
    assert profile.max_length == 7


def test_the_same_column_gives_the_same_profile():
    values = [f"contact{i % 700}@ville{i % 13}.fr" if i % 5 else None for i in range(5_000)]
    assert profile_column("mail", values) == profile_column("mail", list(values))


@needs_exports
def test_the_same_file_gives_the_same_profiles_and_proposals_whatever_the_hash_seed():
    script = (
        "from collect.readers import read_table; from collect.profiling import profile_table, propose_fields;"
        f"t = read_table({str(EXPORTS / 'hub-lo' / 'hub-lo.json')!r}); p = profile_table(t);"
        "print(repr(p)); print(repr(propose_fields(p)))"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    }
    here = f"{list(_profiles('hub-lo'))!r}\n{_proposals('hub-lo')!r}\n"
    assert outputs == {here}


def test_every_kind_has_a_french_label():
    assert all(label and label[0].isupper() for label in KINDS.values())
    profile = profile_column("mail", ["a@b.fr", "c@d.fr"])
    assert profile.label == "Adresse e-mail"


# --------------------------------------------------------------------------------------------
# Real files: kinds of the columns whose name says little


@needs_exports
@pytest.mark.parametrize(
    ("territory", "column", "kind", "share"),
    [
        ("epernay", "x", "longitude", 1.0),
        ("epernay", "y", "latitude", 1.0),
        ("epernay", "Numéro de téléphone de la structure", "telephone", 0.85),
        ("epernay", "Adresse mail de la structure", "courriel", 0.95),
        ("epernay", "CreationDate", "date", 1.0),
        ("epernay", "Horaires d'ouverture__1", "horaires", 0.85),
        ("nouvelle-caledonie", "geolocalisation", "point", 1.0),
        ("nouvelle-caledonie", "date_soumission", "date", 1.0),
        ("nouvelle-caledonie", "horaires_lundi", "horaires", 0.9),
        ("hub-lo", "c_lat_coor1", "latitude", 1.0),
        ("hub-lo", "c_long_coor1", "longitude", 1.0),
        ("hub-lo", "c__edit_datemaj", "date", 1.0),
        ("hub-lo", "c_siren_site", "siren", 0.9),
        ("hub-lo", "c_postcode", "code_postal", 0.95),
        ("hub-lo", "c_city", "commune", 0.95),
        ("hub-lo", "c_adresse", "adresse", 0.85),
        ("hub-lo", "c_contacts", "courriel", 0.75),
        ("hub-lo", "c_epn", "oui_non", 1.0),
        ("hub-lo", "c_epn", "drapeau", 1.0),
        ("hub-lo", "c_acces_pmr", "oui_non", 1.0),
        ("hub-lo", "c_b_pmr", "oui_non", 1.0),
        ("hub-lo", "c_b_pmr", "drapeau", 1.0),
        ("hub-lo", "c_validation", "constante", 1.0),
        ("hub-lo", "gid", "identifiant", 1.0),
        ("angers", "LAT", "latitude", 1.0),
        ("angers", "LNG", "longitude", 1.0),
        ("angers", "WIFI", "drapeau", 1.0),
        ("angers", "HORAIRE", "horaires", 0.9),
        ("angers", "DATE_MAJ", "date", 1.0),
        ("fibre-64", "Enlibreacces", "oui_non", 1.0),
        ("fibre-64", "Enlibreacces", "drapeau", 1.0),
        ("fibre-64", "Adressemail", "courriel", 1.0),
        ("fibre-64", "Codepostal", "code_postal", 1.0),
        ("fibre-64", "NometPrenomdelapersonnereferentesilyenaune", "nom_personne", 0.6),
        ("ultra-num", "Ouverture matin (ou journée continue) lundi", "heure", 1.0),
        ("ultra-num", "Fermeture après-midi vendredi", "heure", 1.0),
        ("ultra-num", "Lundi", "drapeau", 1.0),
        ("ultra-num", "Contact : nom", "nom_personne", 0.9),
        ("ultra-num", "Site web", "url", 0.9),
        ("ultra-num", "Fixe", "telephone", 0.95),
        ("etapes-numerique", "Code postal", "code_postal", 1.0),
        ("etapes-numerique", "Code INSEE", "code_insee", 0.9),
        ("etapes-numerique", "SIRET", "siret", 1.0),
        ("aix-en-provence", "code_insee", "code_insee", 1.0),
        ("bus-france-services-charente", "SIRET", "siret", 1.0),
        ("bus-france-services-charente", "horaires", "horaires", 1.0),
        ("la-creuse", "téléphone", "telephone", 1.0),
    ],
)
def test_real_columns_are_recognised_by_their_content(territory, column, kind, share):
    assert _profile(territory, column).kinds.get(kind, 0.0) >= share


@needs_exports
@pytest.mark.parametrize(
    ("territory", "column", "kind"),
    [
        ("angers", "WIFI", "nom_personne"),  # « Accès WIFI »
        ("angers", "LAT", "telephone"),
        ("epernay", "x", "telephone"),
        ("hub-lo", "c_lat_coor1", "siret"),
        ("hub-lo", "c_long_coor1", "siren"),
        ("hub-lo", "c_acces_pmr", "drapeau"),  # two values: oui and non
        ("hub-lo", "c_nom", "identifiant"),
        ("bus-france-services-charente", "result_score", "identifiant"),
    ],
)
def test_real_columns_are_not_mistaken_for_a_kind_they_resemble(territory, column, kind):
    assert kind not in _profile(territory, column).kinds


@needs_exports
@pytest.mark.parametrize(
    ("territory", "column"),
    [
        ("epernay", "x"),
        ("epernay", "Nom de votre structure"),
        ("hub-lo", "c_contacts"),
        ("hub-lo", "c_city"),
        ("nouvelle-caledonie", "geolocalisation"),
        ("ultra-num", "Ouverture matin (ou journée continue) lundi"),
        ("fibre-64", "Ville"),
    ],
)
def test_real_samples_are_the_first_three_distinct_values(territory, column):
    expected: list[str] = []
    for row in _table(territory).rows:
        value = row[column]
        if value not in PLACEHOLDERS_SEEN and value not in expected:
            expected.append(value)
    assert _profile(territory, column).samples == tuple(expected[:3])


PLACEHOLDERS_SEEN = (None, "#N/D", "-", "--", "/")  # in the real files: empty cells under another name


@needs_exports
@pytest.mark.parametrize("territory", TERRITORIES)
def test_real_counts_match_the_column(territory):
    table = _table(territory)
    for profile in _profiles(territory):
        values = [row[profile.name] for row in table.rows if row[profile.name] not in PLACEHOLDERS_SEEN]
        assert profile.rows == len(table.rows)
        assert profile.non_empty == len(values)
        assert profile.distinct == len(set(values))
        assert profile.unique == (bool(values) and len(set(values)) == len(values))
        assert profile.max_length == max(map(len, values), default=0)
        assert profile.sampled == min(len(values), 200)


# --------------------------------------------------------------------------------------------
# Real files: proposals


@needs_exports
@pytest.mark.parametrize(
    ("territory", "column", "fields", "paired_with"),
    [
        ("epernay", "x", ("longitude",), "y"),
        ("epernay", "y", ("latitude",), "x"),
        ("epernay", "Adresse mail de la structure", ("courriels",), None),
        ("epernay", "Numéro de téléphone de la structure", ("telephone",), None),
        ("epernay", "Site Web de la structure", ("site_web",), None),
        ("epernay", "Adresse de la structure", ("adresse",), None),
        ("epernay", "EditDate", ("date_maj",), None),  # the later of the two dates
        ("nouvelle-caledonie", "geolocalisation", ("latitude", "longitude"), None),
        ("nouvelle-caledonie", "date_soumission", ("date_maj",), None),
        ("hub-lo", "c_lat_coor1", ("latitude",), "c_long_coor1"),
        ("hub-lo", "c_long_coor1", ("longitude",), "c_lat_coor1"),
        ("hub-lo", "c_courriel", ("courriels",), None),
        ("hub-lo", "c_telephone", ("telephone",), None),
        ("hub-lo", "c_site_web", ("site_web",), None),
        ("hub-lo", "c_postcode", ("code_postal",), None),
        ("hub-lo", "c_city", ("commune",), None),
        ("hub-lo", "c_adresse", ("adresse",), None),
        ("hub-lo", "c_siren_site", ("pivot",), None),
        ("hub-lo", "c__edit_datemaj", ("date_maj",), None),
        ("angers", "LAT", ("latitude",), "LNG"),
        ("angers", "LNG", ("longitude",), "LAT"),
        ("angers", "MAIL", ("courriels",), None),
        ("angers", "TELEPHONE", ("telephone",), None),
        ("angers", "USER_ADRES", ("adresse",), None),
        ("angers", "SITE_INTER", ("site_web",), None),
        ("fibre-64", "Adressenumeronomdelavoie", ("adresse",), None),  # before the geocoder's result_*
        ("fibre-64", "Ville", ("commune",), None),
        ("fibre-64", "NometPrenomdelapersonnereferentesilyenaune", ("contact_nom",), None),
        ("ultra-num", "Contact : nom", ("contact_nom",), None),
        ("ultra-num", "Rue", ("adresse",), None),
        ("etapes-numerique", "Code postal", ("code_postal",), None),
        ("etapes-numerique", "Code INSEE", ("code_insee",), None),
        ("etapes-numerique", "SIRET", ("pivot",), None),
        ("aix-en-provence", "code_postal", ("code_postal",), None),
        ("aix-en-provence", "code_insee", ("code_insee",), None),
    ],
)
def test_real_columns_get_their_field_from_their_content(territory, column, fields, paired_with):
    proposal = _proposals(territory)[column]
    assert proposal.fields == fields
    assert proposal.paired_with == paired_with
    assert 0 < proposal.confidence <= 1


@needs_exports
@pytest.mark.parametrize("territory", TERRITORIES)
def test_real_proposals_agree_with_the_territory_mapping(territory):
    """Where the territory's own mapping names a column, a proposal for it gives that field."""
    expected = _config_fields(territory)
    renamed = {"courriel": "courriels", "presentation_resume": "presentation_detail"}  # v0 names; no way to tell
    for column, proposal in _proposals(territory).items():
        if column in expected:
            wanted = expected[column] | {renamed.get(f, f) for f in expected[column]}
            assert set(proposal.fields) & wanted, (column, proposal.fields, expected[column])


@needs_exports
@pytest.mark.parametrize("territory", TERRITORIES)
def test_each_field_is_proposed_once_and_reasons_are_french(territory):
    proposals = _proposals(territory)
    fields = [f for proposal in proposals.values() for f in proposal.fields]
    assert len(fields) == len(set(fields))
    allowed = set(standard_v1().field_names) | {"contact_nom"}
    assert set(fields) <= allowed
    for proposal in proposals.values():
        assert "\u202f%" in proposal.reason
        assert proposal.reason[0].isdigit()


@needs_exports
@pytest.mark.parametrize(
    ("territory", "column", "minimum"),
    [
        ("hub-lo", "c_courriel", 0.9),
        ("fibre-64", "Adressemail", 0.9),
        ("hub-lo", "c_lat_coor1", 0.9),
        ("nouvelle-caledonie", "geolocalisation", 0.9),
        ("hub-lo", "c_telephone", 0.8),
    ],
)
def test_strong_content_gives_a_strong_confidence(territory, column, minimum):
    assert _proposals(territory)[column].confidence >= minimum


@needs_exports
@pytest.mark.parametrize(("territory", "column"), [("hub-lo", "c_nom"), ("angers", "USER_NOM"), ("ultra-num", "Nom de l'organisation")])
def test_nom_comes_from_content_only_as_a_weak_guess(territory, column):
    proposal = _proposals(territory)[column]
    assert proposal.field == "nom"
    assert proposal.confidence < 0.4
    assert "à vérifier" in proposal.reason


@needs_exports
def test_the_best_column_wins_and_the_reason_names_the_others():
    proposal = _proposals("hub-lo")["c_telephone"]
    assert proposal.alternatives == ("c_mobile",)
    assert "« c_mobile »" in proposal.reason
    assert "c_mobile" not in _proposals("hub-lo")


@needs_exports
def test_the_reason_says_the_share_and_the_kind():
    assert _proposals("fibre-64")["Adressemail"].reason == "100\u202f% des valeurs sont des adresses e-mail"


@needs_exports
def test_flags_and_short_texts_get_no_field():
    proposals = _proposals("hub-lo")
    for column in ("c_epn", "c_acces_pmr", "c_b_pmr", "c_validation", "c_etiquettes", "c_statut_juridique"):
        assert column not in proposals
    assert "WIFI" not in _proposals("angers")


@needs_exports
def test_scores_between_0_and_1_are_not_taken_for_coordinates():
    proposals = _proposals("bus-france-services-charente")
    assert "result_score" not in proposals and "result_score_next" not in proposals
    assert proposals["latitude"].paired_with == "longitude"


@needs_exports
def test_known_columns_and_fields_are_left_out():
    proposals = propose_fields(_profiles("hub-lo"), known={"c_courriel": "courriels", "c_nom": "nom"})
    assert "c_courriel" not in proposals and "c_nom" not in proposals
    assert "courriels" not in [f for p in proposals.values() for f in p.fields]
    assert proposals["c_telephone"].field == "telephone"


@needs_exports
@pytest.mark.parametrize(
    ("territory", "field", "first"),
    [
        ("hub-lo", "nom", "c_nom"),
        ("hub-lo", "adresse", "c_adresse"),
        ("hub-lo", "commune", "c_city"),
        ("fibre-64", "adresse", "Adressenumeronomdelavoie"),
        ("epernay", "adresse", "Adresse de la structure"),
        ("nouvelle-caledonie", "latitude", "geolocalisation"),
        ("ultra-num", "horaires", "Ouverture matin (ou journée continue) lundi"),
        ("nouvelle-caledonie", "horaires", "horaires_lundi"),
    ],
)
def test_columns_that_could_hold_a_missing_field(territory, field, first):
    columns = columns_that_could_hold(field, _profiles(territory))
    assert columns[0] == first


@needs_exports
def test_columns_that_could_hold_lists_every_candidate():
    assert columns_that_could_hold("commune", _profiles("hub-lo")) == ["c_city", "c_bassin_de_vie"]
    assert set(columns_that_could_hold("adresse", _profiles("fibre-64"))) == {
        "Adressenumeronomdelavoie", "result_label", "result_name", "result_street",
    }
    assert len(columns_that_could_hold("horaires", _profiles("ultra-num"))) >= 28


def test_columns_that_could_hold_nothing():
    profiles = [profile_column("n", ["1", "2", "3"]), profile_column("t", ["oui", "non", "oui"])]
    assert columns_that_could_hold("adresse", profiles) == []
    assert columns_that_could_hold("typologie", profiles) == []


# --------------------------------------------------------------------------------------------
# Built cases: coordinates


def _pair(lat: list[str], lon: list[str], names: tuple[str, str] = ("a", "b")) -> dict[str, ContentProposal]:
    return propose_fields([profile_column(names[0], lat), profile_column(names[1], lon)])


def test_a_pair_in_france_is_proposed_whichever_column_comes_first():
    lat = [f"{46 + i / 100:.4f}" for i in range(50)]
    lon = [f"{2 + i / 100:.4f}" for i in range(50)]
    proposals = _pair(lon, lat)
    assert proposals["a"].field == "longitude" and proposals["b"].field == "latitude"
    assert proposals["a"].paired_with == "b"


def test_a_pair_overseas_is_proposed():
    lat = [f"{-21.1 - i / 1000:.4f}" for i in range(30)]  # La Réunion
    lon = [f"{55.4 + i / 1000:.4f}" for i in range(30)]
    assert _pair(lat, lon)["a"].field == "latitude"


def test_a_pair_outside_france_is_not_proposed():
    lat = [f"{40.4 + i / 1000:.4f}" for i in range(30)]  # Madrid
    lon = [f"{-3.7 + i / 1000:.4f}" for i in range(30)]
    assert _pair(lat, lon) == {}


def test_decimal_commas_pair_like_points():
    lat = [f"{49 + i / 1000:.6f}".replace(".", ",") for i in range(30)]
    lon = [f"{3.9 + i / 1000:.6f}".replace(".", ",") for i in range(30)]
    proposals = _pair(lon, lat, ("x", "y"))
    assert (proposals["x"].field, proposals["y"].field) == ("longitude", "latitude")


def test_a_lambert93_pair_is_proposed_once_converted():
    xs = [f"{652000 + i * 150},5" for i in range(40)]  # around Paris
    ys = [str(6862000 + i * 150) for i in range(40)]
    profiles = [profile_column("X", xs), profile_column("Y", ys)]
    assert profiles[0].kinds["lambert93"] == 1.0
    proposals = propose_fields(profiles)
    assert (proposals["X"].field, proposals["Y"].field) == ("longitude", "latitude")
    assert "Lambert-93" in proposals["Y"].reason


def test_a_point_column_feeds_both_coordinates():
    values = [f"{48.8 + i / 1000:.4f}, {2.3 + i / 1000:.4f}" for i in range(40)]
    proposal = propose_fields([profile_column("geo", values)])["geo"]
    assert proposal.fields == ("latitude", "longitude")
    assert proposal.also_fields == ("longitude",)
    assert "latitude et longitude" in proposal.reason


def test_a_point_column_written_longitude_first_is_still_found():
    values = [f"{2.3 + i / 1000:.4f}, {48.8 + i / 1000:.4f}" for i in range(40)]
    proposal = propose_fields([profile_column("geo", values)])["geo"]
    assert proposal.fields == ("latitude", "longitude")
    assert "longitude puis latitude" in proposal.reason


def test_points_outside_france_feed_nothing():
    values = [f"{40.4 + i / 1000:.4f}, {-3.7 + i / 1000:.4f}" for i in range(40)]
    assert propose_fields([profile_column("geo", values)]) == {}


# --------------------------------------------------------------------------------------------
# Built cases: confidence


def test_confidence_reflects_the_share_and_the_kind():
    emails = [f"contact{i}@ville.fr" for i in range(95)] + ["à compléter"] * 5
    texts = [f"Atelier n°{i} du mardi" for i in range(100)]
    proposals = propose_fields([profile_column("m", emails), profile_column("t", texts), profile_column("v", ["oui", "non"] * 50)])
    assert proposals["m"].field == "courriels" and proposals["m"].confidence >= 0.9
    assert proposals["m"].reason.startswith("95\u202f% des valeurs sont des adresses e-mail")
    assert proposals["t"].field == "nom" and proposals["t"].confidence < 0.4
    assert "v" not in proposals


def test_few_values_give_less_confidence():
    few = propose_fields([profile_column("m", ["a@b.fr"])])["m"].confidence
    many = propose_fields([profile_column("m", [f"a{i}@b.fr" for i in range(100)])])["m"].confidence
    assert few < 0.5
    assert many > 0.9


def test_a_column_under_the_share_gets_nothing():
    values = ["a@b.fr"] * 4 + [f"texte {i}" for i in range(16)]
    assert "courriels" not in [p.field for p in propose_fields([profile_column("m", values)]).values()]


def test_a_postcode_column_and_an_insee_column_are_told_apart():
    postcodes = ["16140", "16700", "16460", "64100", "49000", "51200", "23800", "13090"]
    insee = ["16317", "16390", "16242", "64102", "49007", "51230", "23300", "13001"]
    proposals = propose_fields([profile_column("a", insee), profile_column("b", postcodes)])
    assert (proposals["a"].field, proposals["b"].field) == ("code_insee", "code_postal")


def test_long_texts_go_to_the_summary_or_the_detail_by_their_length():
    short = [f"Ateliers numériques pour tous les publics, le mardi et le jeudi, n°{i}, " * 2 for i in range(20)]
    long = [text * 5 for text in short]
    proposals = propose_fields([profile_column("court", short), profile_column("long", long)])
    assert proposals["court"].field == "presentation_resume"
    assert proposals["long"].field == "presentation_detail"
