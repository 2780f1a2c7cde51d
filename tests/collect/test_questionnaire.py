"""Declarative questionnaires: a YAML file (keys in French) read into sections and questions.

A malformed questionnaire is refused with ``QuestionnaireInvalid``: one French line per problem,
saying the file, where (« section 1 (offre), question 2 (services), champ type ») and what is wrong —
never a traceback. Registry questions take their label and choices from the standard; a
questionnaire written back as YAML reads back the same.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from collect.questionnaire import (
    QUESTION_TYPES,
    QuestionnaireInvalid,
    default_questionnaire,
    load_questionnaire,
    questionnaire_from_dict,
    questionnaire_to_yaml,
)
from models.standard import standard_v1

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

MINI = {
    "code": "mini",
    "titre": "Mini questionnaire",
    "sections": [
        {
            "code": "offre",
            "titre": "L'offre du lieu",
            "questions": [
                {"code": "interesse", "type": "oui_non", "libelle": "Intéressé ?"},
                {"code": "services", "type": "registre", "champ": "services"},
                {"code": "equipements", "type": "choix_multiple", "libelle": "Équipements",
                 "choix": [{"postes": "Postes"}, {"wifi": "Wi-Fi"}]},
            ],
        },
        {
            "code": "contact",
            "titre": "La personne contact",
            "questions": [{"code": "contact_nom", "type": "texte", "libelle": "Nom", "personnel": True}],
        },
    ],
}


def mini(change=None):
    """A copy of MINI, changed by ``change(raw)``."""
    raw = copy.deepcopy(MINI)
    if change:
        change(raw)
    return raw


def question(raw, section, index):
    return raw["sections"][section]["questions"][index]


def test_a_questionnaire_keeps_its_sections_and_questions_in_order():
    questionnaire = questionnaire_from_dict(mini())
    assert (questionnaire.code, questionnaire.titre, questionnaire.version) == ("mini", "Mini questionnaire", 1)
    assert [s.code for s in questionnaire.sections] == ["offre", "contact"]
    assert [q.code for q in questionnaire.questions()] == ["interesse", "services", "equipements", "contact_nom"]
    assert questionnaire.section_of("contact_nom").titre == "La personne contact"
    assert questionnaire.question("contact_nom").personnel
    with pytest.raises(KeyError):
        questionnaire.question("absente")


@pytest.mark.parametrize(
    ("written", "code", "libelle"),
    [
        pytest.param("Postes en libre accès", "postes_en_libre_acces", "Postes en libre accès", id="a label alone"),
        pytest.param({"postes": "Postes"}, "postes", "Postes", id="a code: label pair"),
        pytest.param({"code": "postes", "libelle": "Postes"}, "postes", "Postes", id="an object"),
    ],
)
def test_a_choice_is_written_as_a_label_a_pair_or_an_object(written, code, libelle):
    raw = mini(lambda r: question(r, 0, 2).update(choix=[written, "Wi-Fi"]))
    equipements = questionnaire_from_dict(raw).question("equipements")
    assert [(c.code, c.libelle) for c in equipements.choix] == [(code, libelle), ("wi_fi", "Wi-Fi")]
    assert (equipements.choice_label(code), equipements.choice_label("inconnu")) == (libelle, "inconnu")


@pytest.mark.parametrize(
    ("champ", "libelle", "answer_type", "is_list", "is_typed"),
    [
        pytest.param("services", "Services", "choix_multiple", True, False, id="a list of the standard"),
        pytest.param("telephone", "Numéro de téléphone", "telephone", False, True, id="a phone"),
        pytest.param("horaires", "Horaires", "horaires", False, True, id="opening hours"),
        pytest.param("presentation_resume", "Présentation résumé", "texte_long", False, True, id="a text"),
    ],
)
def test_a_registry_question_takes_its_label_and_its_behaviour_from_the_registry_field(
    champ, libelle, answer_type, is_list, is_typed
):
    raw = mini(lambda r: question(r, 0, 1).update(champ=champ))
    registry = questionnaire_from_dict(raw).question("services")
    assert (registry.libelle, registry.answer_type, registry.is_list, registry.is_typed) == (
        libelle, answer_type, is_list, is_typed)


def test_a_registry_list_question_offers_the_standard_s_values_unless_it_lists_its_own():
    services = questionnaire_from_dict(mini()).question("services")
    assert [c.code for c in services.choix] == list(standard_v1().choices("services"))
    own = mini(lambda r: question(r, 0, 1).update(libelle="Vos services", choix=["Aide aux démarches administratives"]))
    services = questionnaire_from_dict(own).question("services")
    assert (services.libelle, [c.libelle for c in services.choix]) == (
        "Vos services", ["Aide aux démarches administratives"])


WHERE = "mini.yaml : section 1 (offre), "


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param(lambda r: question(r, 0, 0).update(type="radio"),
                     WHERE + "question 1 (interesse), champ type : type « radio » inconnu (types : "
                     + ", ".join(QUESTION_TYPES) + ")", id="unknown type"),
        pytest.param(lambda r: question(r, 0, 0).update(code="Intéressé"),
                     WHERE + "question 1 (Intéressé), champ code : code « Intéressé » invalide : lettres minuscules "
                     "sans accent, chiffres et _, commençant par une lettre", id="question code with capitals"),
        pytest.param(lambda r: question(r, 0, 0).pop("libelle"),
                     WHERE + "question 1 (interesse) : libellé manquant", id="no label"),
        pytest.param(lambda r: question(r, 0, 0).update(couleur="bleu"),
                     WHERE + "question 1 (interesse), champ couleur : clé inconnue", id="unknown key"),
        pytest.param(lambda r: r.pop("titre"), "mini.yaml : champ titre : obligatoire, absent", id="no title"),
        pytest.param(lambda r: question(r, 0, 1).pop("champ"),
                     WHERE + "question 2 (services) : une question « registre » doit dire quel champ du registre elle "
                     "confirme (champ: …)", id="registry question without its field"),
        pytest.param(lambda r: question(r, 0, 0).update(champ="nom"),
                     WHERE + "question 1 (interesse) : « champ » n'a de sens que pour une question de type registre",
                     id="a field on another question"),
        pytest.param(lambda r: question(r, 0, 2).update(choix=[]),
                     WHERE + "question 3 (equipements) : une question à choix doit lister ses choix", id="no choices"),
        pytest.param(lambda r: question(r, 0, 2).update(choix=["Wi-Fi", "wi fi"]),
                     WHERE + "question 3 (equipements) : deux choix ont le même code", id="two choices, one code"),
        pytest.param(lambda r: question(r, 0, 2)["choix"].append({"code": "salle", "libelle": "Salle", "prix": 3}),
                     WHERE + "question 3 (equipements), choix 3 (salle), champ prix : clé inconnue",
                     id="unknown key of a choice"),
        pytest.param(lambda r: question(r, 0, 0).update(visible_si="${interesse} = "),
                     WHERE + "question 1 (interesse), champ visible_si : expression « ${interesse} =  » : valeur "
                     "attendue après « = » (caractère 16)", id="unreadable condition"),
        pytest.param(lambda r: question(r, 0, 0).update(visible_si="${equipements} = 'wifi'"),
                     "mini.yaml : racine : question « interesse », visible_si : ${equipements} n'est pas une question "
                     "posée avant", id="condition on a later question"),
        pytest.param(lambda r: question(r, 0, 0).update(obligatoire=True, type="note"),
                     WHERE + "question 1 (interesse) : une note ne peut pas être obligatoire", id="required note"),
        pytest.param(lambda r: question(r, 0, 0).update(motif="(["),
                     WHERE + "question 1 (interesse), champ motif : motif « ([ » illisible : unterminated character "
                     "set at position 1", id="unreadable pattern"),
        pytest.param(lambda r: r["sections"][1]["questions"].append({"code": "interesse", "type": "texte",
                                                                    "libelle": "Encore"}),
                     "mini.yaml : racine : question « interesse » : code en double", id="two questions, one code"),
        pytest.param(lambda r: r["sections"][0].update(code="Offre 1"),
                     "mini.yaml : section 1 (Offre 1), champ code : code de section « Offre 1 » invalide",
                     id="section code with a space"),
        pytest.param(lambda r: r.update(code="1mini"),
                     "mini.yaml : champ code : code de questionnaire « 1mini » invalide", id="questionnaire code"),
    ],
)
def test_a_malformed_questionnaire_is_refused_with_a_french_message_saying_where(change, message):
    with pytest.raises(QuestionnaireInvalid) as caught:
        questionnaire_from_dict(mini(change), source="mini.yaml")
    assert str(caught.value) == message


def test_every_problem_is_listed_one_per_line():
    def three_problems(raw):
        question(raw, 0, 0).update(type="radio")
        question(raw, 1, 0).pop("libelle")
        raw["sections"][1].pop("titre")

    with pytest.raises(QuestionnaireInvalid) as caught:
        questionnaire_from_dict(mini(three_problems), source="mini.yaml")
    assert str(caught.value).splitlines() == [
        WHERE + "question 1 (interesse), champ type : type « radio » inconnu (types : " + ", ".join(QUESTION_TYPES) + ")",
        "mini.yaml : section 2 (contact), champ titre : obligatoire, absent",
        "mini.yaml : section 2 (contact), question 1 (contact_nom) : libellé manquant",
    ]


@pytest.mark.parametrize("raw", [None, ["code", "titre"], "diagnostic"], ids=["empty", "a list", "a text"])
def test_a_file_that_does_not_describe_a_questionnaire_is_said_so(raw):
    with pytest.raises(QuestionnaireInvalid) as caught:
        questionnaire_from_dict(raw, source="vide.yaml")
    assert str(caught.value) == "vide.yaml : le fichier doit décrire un questionnaire (code, titre, sections)."


@pytest.mark.parametrize(
    ("where", "allowed"),
    [
        pytest.param("contrainte", True, id="a constraint may check the question's own answer"),
        pytest.param("visible_si", False, id="a condition may not depend on the question itself"),
    ],
)
def test_a_question_s_own_answer_in_its_expressions(where, allowed):
    raw = mini(lambda r: question(r, 0, 0).update({where: "${interesse} = 'oui'"}))
    if allowed:
        assert getattr(questionnaire_from_dict(raw).question("interesse"), where) == "${interesse} = 'oui'"
    else:
        with pytest.raises(QuestionnaireInvalid, match=r"\$\{interesse\} n'est pas une question posée avant"):
            questionnaire_from_dict(raw)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(None, "diagnostic.yaml : fichier introuvable.", id="missing file"),
        pytest.param("code: diagnostic\ntitre: Été\n".encode("latin-1"),
                     "diagnostic.yaml : le fichier doit être en UTF-8.", id="not UTF-8"),
        pytest.param(b"code: diagnostic\ntitre: [non ferm\xc3\xa9\nsections: []\n",
                     "diagnostic.yaml : YAML illisible (ligne 3, colonne 9) : expected ',' or ']', but got ':'.",
                     id="broken YAML"),
        pytest.param(b"", "diagnostic.yaml : le fichier doit décrire un questionnaire (code, titre, sections).",
                     id="empty file"),
    ],
)
def test_an_unreadable_file_is_said_in_french_never_with_a_traceback(tmp_path, content, message):
    path = tmp_path / "diagnostic.yaml"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(QuestionnaireInvalid) as caught:
        load_questionnaire(path)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    "questionnaire",
    [
        pytest.param(lambda: questionnaire_from_dict(MINI), id="a small one"),
        pytest.param(default_questionnaire, id="the default diagnostic"),
        pytest.param(lambda: load_questionnaire(FIXTURES / "questionnaires" / "tous-les-types.yaml"), id="every type"),
    ],
)
def test_a_questionnaire_written_as_yaml_reads_back_the_same(tmp_path, questionnaire):
    original = questionnaire()
    path = tmp_path / "ecrit.yaml"
    path.write_text(questionnaire_to_yaml(original), encoding="utf-8")
    assert load_questionnaire(path) == original


def test_the_default_questionnaire_keeps_the_contact_person_personal():
    questionnaire = default_questionnaire()
    assert questionnaire.code == "diagnostic"
    contact = [q.code for q in questionnaire.questions() if q.code.startswith("contact_")]
    assert contact and all(questionnaire.question(code).personnel for code in contact)
