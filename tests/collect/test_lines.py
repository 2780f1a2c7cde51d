"""One line of a file turned into a lieu (``PreparedLine``), or the reasons it cannot be.

Each value is repaired as a careful person would (a phone written as a number, a postcode that lost
its leading zero…); what cannot be kept in the standard is set aside on the lieu with its French
reason, never dropped. A line is rejected only when it cannot be a lieu at all (no name, no address,
no commune), with a French message naming the field. A person's e-mail found among the lieu's
e-mails goes to the contact person's fields, which are never published.

The lines below are prepared once, as a first import of one small file prepares them
(``collect.imports.prepare_lines`` runs ``prepare_line`` on each line).
"""

from __future__ import annotations

from datetime import date

import pytest

from collect.imports import prepare_lines
from collect.lines import PreparedLine, import_key
from collect.readers import read_table_bytes
from models.structure import Structure

TODAY = date(2026, 11, 23)
HEADER = ("nom", "adresse", "code_postal", "commune", "code_insee", "telephone", "courriels", "date_maj",
          "numero_dossier")
# name → the line's cells, in HEADER's order; most lines are in Charente (the file's département).
LINES = {
    "clean": ("Médiathèque de Cognac", "10 rue du Minage", "16100", "Cognac", "", "05 45 36 19 50",
              "mediatheque@ville-cognac.fr", "2024-01-10", "D-12"),
    "phone as a number": ("EPN de Jarnac", "3 rue des Chais", "16200", "Jarnac", "", "545361951", "", "10/01/2024", ""),
    "international phone": ("Espace de Segonzac", "1 place de l'Église", "16130", "Segonzac", "", "+33 5 45 36 19 52",
                            "", "2024-01-10", ""),
    "two phones": ("Tiers-lieu de Barbezieux", "Boulevard Chanzy", "16300", "Barbezieux-Saint-Hilaire", "",
                   "05.45.36.19.53 / 06 12 34 56 78", "", "2024-01-10", ""),
    "postcode without its zero": ("Point numérique", "2 rue de la Paix", "1000", "Bourg-en-Bresse", "", "", "",
                                  "2024-03-01", ""),
    "personal e-mail": ("Maison France Services", "3 rue Haute", "16100", "Cognac", "", "", "jean.dupont@gmail.com",
                        "2024-03-01", ""),
    "unreadable phone and date": ("Lieu au numéro illisible", "7 rue Courte", "16100", "Cognac", "", "pas de numéro",
                                  "", "pas une date", ""),
    "unknown commune": ("Lieu d'une commune inconnue", "9 rue Neuve", "16100", "Commune Imaginaire", "", "", "",
                        "2024-03-01", ""),
    "unknown commune and INSEE code": ("Lieu d'une autre commune inconnue", "8 rue Neuve", "16100",
                                       "Commune Imaginaire", "99999", "", "", "2024-03-01", ""),
    "no name": ("", "4 rue Basse", "16100", "Cognac", "", "", "", "2024-03-01", ""),
    "no address": ("Lieu sans adresse", "", "16100", "Cognac", "", "", "", "2024-03-01", ""),
    "no commune": ("Lieu sans commune", "5 rue Basse", "", "", "", "", "", "2024-03-01", ""),
    "unreadable postcode of a city of many": ("Lieu de Marseille", "6 rue Longue", "ABCDE", "Marseille", "", "", "",
                                              "2024-03-01", ""),
}


@pytest.fixture(scope="module")
def prepared() -> dict[str, PreparedLine]:
    """Each line of LINES prepared, by name (the file « lieux.csv », its header on line 1)."""
    text = "\n".join(";".join(cells) for cells in (HEADER, *LINES.values())) + "\n"
    lines = prepare_lines(read_table_bytes(text.encode(), "lieux.csv"), today=TODAY)
    assert [line.line for line in lines] == list(range(2, 2 + len(LINES)))
    return dict(zip(LINES, lines, strict=True))


def issues(line: PreparedLine, severity: str) -> list[tuple[str | None, str | None, str]]:
    return [(i.field, i.value, i.message) for i in line.issues if i.severity == severity]


def test_a_clean_line_gives_its_lieu_with_no_message(prepared):
    line = prepared["clean"]
    assert not line.rejected and line.issues == [] and line.set_aside == []
    assert line.structure.model_dump(include={"nom", "adresse", "code_postal", "commune", "code_insee", "telephone",
                                              "courriels", "date_maj"}) == {
        "nom": "Médiathèque de Cognac", "adresse": "10 rue du Minage", "code_postal": "16100", "commune": "Cognac",
        "code_insee": "16102", "telephone": "+33545361950", "courriels": ["mediatheque@ville-cognac.fr"],
        "date_maj": date(2024, 1, 10)}
    assert line.own_date and line.structure.date_maj_estimee is None
    assert line.donnees_source == {"numero_dossier": "D-12"}  # a column of no field is kept with the lieu
    assert line.import_key.startswith("h:")  # no id in the file: recognised by its place


@pytest.mark.parametrize(
    ("name", "telephone", "others", "warnings"),
    [
        pytest.param("clean", "+33545361950", [], [], id="spaced French number"),
        pytest.param("phone as a number", "+33545361951", [], [], id="a number that lost its zero"),
        pytest.param("international phone", "+33545361952", [], [], id="international form"),
        pytest.param("two phones", "+33545361953", ["+33612345678"],
                     [("telephone", "05.45.36.19.53 / 06 12 34 56 78",
                       "Plusieurs numéros : le premier est publié, les autres sont conservés à part.")],
                     id="two phones in one cell"),
    ],
)
def test_a_french_phone_is_written_in_the_international_form(prepared, name, telephone, others, warnings):
    line = prepared[name]
    assert (line.structure.telephone, line.structure.telephones_autres) == (telephone, others)
    assert issues(line, "avertissement") == warnings


def test_a_postcode_that_lost_its_leading_zero_gets_it_back_with_a_warning(prepared):
    line = prepared["postcode without its zero"]
    assert (line.structure.code_postal, line.structure.code_insee, line.structure.commune) == (
        "01000", "01053", "Bourg-en-Bresse")
    assert issues(line, "avertissement") == [
        ("code_postal", "1000", "Code postal « 1000 » complété en 01000 (zéro initial perdu).")]


def test_a_person_s_e_mail_is_kept_out_of_the_lieu_s_published_e_mails(prepared):
    line = prepared["personal e-mail"]
    assert (line.structure.courriels, line.structure.contact_courriel) == ([], "jean.dupont@gmail.com")
    assert issues(line, "avertissement") == [(
        "courriels", "jean.dupont@gmail.com",
        "Adresse e-mail personnelle (l'adresse a la forme prénom.nom (Jean Dupont), sur une messagerie personnelle "
        "(gmail.com)) : gardée comme e-mail de la personne contact (non publiée).")]


def test_values_that_cannot_be_kept_are_set_aside_with_their_reason_and_the_lieu_is_kept(prepared):
    line = prepared["unreadable phone and date"]
    phone = "« pas de numéro » n'est pas un numéro de téléphone."
    day = ("Date « pas une date » illisible : écrivez-la jj/mm/aaaa (ex. 02/04/2024) ou aaaa-mm-jj. "
           "Date du fichier ou du jour retenue.")
    assert not line.rejected and line.structure.telephone is None
    assert line.set_aside == [{"champ": "telephone", "valeur": "pas de numéro", "raison": phone},
                              {"champ": "date_maj", "valeur": "pas une date", "raison": day}]
    assert issues(line, "avertissement") == [("telephone", "pas de numéro", phone), ("date_maj", "pas une date", day)]
    # no date of its own, none in the file's name: the import day, marked as an estimate
    assert (line.structure.date_maj, line.structure.date_maj_estimee, line.own_date) == (TODAY, True, False)


def test_a_commune_unknown_to_the_cog_is_kept_as_written_without_an_insee_code(prepared):
    line = prepared["unknown commune"]
    assert not line.rejected
    assert (line.structure.commune, line.structure.code_insee) == ("Commune Imaginaire", None)
    assert ("commune", "Commune Imaginaire",
            "Commune « Commune Imaginaire » introuvable dans le COG : code INSEE non renseigné.") in issues(
        line, "avertissement")


def test_an_unknown_insee_code_is_ignored_as_said_even_when_the_commune_is_unknown_too(prepared):
    line = prepared["unknown commune and INSEE code"]
    assert ("code_insee", "99999", "Code INSEE 99999 inconnu du COG : ignoré.") in issues(line, "avertissement")
    assert not line.rejected, issues(line, "erreur")
    assert (line.structure.commune, line.structure.code_insee) == ("Commune Imaginaire", None)


@pytest.mark.parametrize(
    ("name", "errors"),
    [
        pytest.param("no name", [("nom", None, "Le nom de la structure est obligatoire.")], id="no name"),
        pytest.param("no address", [("adresse", None, "L'adresse est obligatoire (le standard l'exige).")],
                     id="no address"),
        pytest.param("no commune", [("commune", None, "Commune absente : indiquez la commune ou son code INSEE.")],
                     id="no commune"),
        pytest.param("unreadable postcode of a city of many", [(
            "code_postal", None, "Code postal absent et la commune Marseille en a plusieurs (13001, 13002, 13003, "
            "13004, 13005, 13006, 13007, 13008, 13009, 13010, 13011, 13012, 13013, 13014, 13015, 13016) : "
            "précisez-le.")], id="a postcode that cannot be decided"),
    ],
)
def test_a_line_that_cannot_be_a_lieu_is_rejected_with_a_french_message_naming_the_field(prepared, name, errors):
    line = prepared[name]
    assert line.rejected and line.structure is None and line.import_key is None
    assert issues(line, "erreur") == errors


def test_a_rejected_line_also_says_which_value_was_wrong(prepared):
    line = prepared["unreadable postcode of a city of many"]
    assert ("code_postal", "ABCDE", "Code postal « ABCDE » invalide : il faut 5 chiffres.") in issues(
        line, "avertissement")
    assert line.set_aside == [
        {"champ": "code_postal", "valeur": "ABCDE", "raison": "Code postal « ABCDE » invalide : il faut 5 chiffres."}]


def test_each_problem_of_a_line_is_said_once(prepared):
    line = prepared["unreadable postcode of a city of many"]
    said = [(i.field, i.value, i.message) for i in line.issues]
    assert len(said) == len(set(said)), said


def test_a_warning_keeps_the_value_aside_once_unless_told_not_to_and_an_error_rejects():
    line = PreparedLine(line=7)
    line.warn("telephone", "pas de numéro", "Numéro illisible.")
    line.warn("telephone", "pas de numéro", "Numéro illisible.")
    line.warn("code_postal", "16100", "Code postal déduit.", keep=False)
    assert not line.rejected
    assert line.set_aside == [{"champ": "telephone", "valeur": "pas de numéro", "raison": "Numéro illisible."}]
    assert [(i.field, i.severity) for i in line.issues] == [("telephone", "avertissement"), ("code_postal", "avertissement")]
    line.fail("nom", None, "Le nom de la structure est obligatoire.")
    assert line.rejected


LIEU = {"nom": "Médiathèque de Cognac", "commune": "Cognac", "code_postal": "16100", "adresse": "10 rue du Minage",
        "code_insee": "16102", "date_maj": "2024-01-10"}


@pytest.mark.parametrize(
    ("changes", "source_id", "key"),
    [
        pytest.param({"source": "Hub du Sud"}, "42", "id:hub du sud:42", id="an id within the lieu's own source"),
        pytest.param({}, "42", "id:f:0123456789ab:42", id="an id within the file's namespace"),
    ],
)
def test_a_line_with_an_id_is_recognised_by_that_id_within_its_source(changes, source_id, key):
    structure = Structure.model_validate(LIEU | changes)
    assert import_key(structure, source_id, "f:0123456789ab") == key


@pytest.mark.parametrize(
    ("changes", "same"),
    [
        pytest.param({"nom": "MEDIATHEQUE DE COGNAC"}, True, id="case and accents do not matter"),
        pytest.param({"nom": "Médiathèque  de   Cognac", "source": "Hub du Sud"}, True, id="nor spaces or the source"),
        pytest.param({"adresse": "12 rue du Minage"}, False, id="another address is another lieu"),
        pytest.param({"nom": "Ludothèque de Cognac"}, False, id="another name is another lieu"),
    ],
)
def test_a_line_without_an_id_is_recognised_by_its_name_and_place(changes, same):
    namespace = "f:0123456789ab"
    first = import_key(Structure.model_validate(LIEU), None, namespace)
    other = import_key(Structure.model_validate(LIEU | changes), None, namespace)
    assert first.startswith("h:") and (first == other) is same
