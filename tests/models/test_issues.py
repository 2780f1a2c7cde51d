"""A problem found in a value or a record: its field, the value as given, why (in French), how serious."""

from __future__ import annotations

import dataclasses

import pytest

from models.issues import SEVERITIES, Issue
from models.structure import validate_structure


def test_the_two_severities_are_an_error_and_a_warning():
    assert SEVERITIES == ("erreur", "avertissement")


def test_an_issue_is_an_error_unless_said_otherwise():
    issue = Issue("code_postal", "ABCDE", "n'est pas un code postal")
    assert issue.severity == "erreur" and issue.is_error


@pytest.mark.parametrize(("severity", "is_error"), [("erreur", True), ("avertissement", False)])
def test_only_an_error_stops_a_record_from_being_saved(severity, is_error):
    assert Issue("telephone", "12", "numéro écarté", severity).is_error is is_error


def test_an_issue_may_concern_the_record_as_a_whole():
    issue = Issue(None, None, "la commune ne correspond pas au code postal")
    assert (issue.field, issue.value) == (None, None) and issue.is_error


def test_an_issue_cannot_be_changed_once_made():
    issue = Issue("nom", "", "ce champ est obligatoire")
    with pytest.raises(dataclasses.FrozenInstanceError):
        issue.severity = "avertissement"  # type: ignore[misc]


def test_issues_with_the_same_content_are_equal_so_a_list_of_them_can_be_compared():
    assert Issue("nom", "", "obligatoire") == Issue("nom", "", "obligatoire")
    assert len({Issue("nom", "", "obligatoire"), Issue("nom", "", "obligatoire")}) == 1


def test_the_registry_reports_a_refused_value_as_an_error_issue_naming_its_field_in_french():
    structure, issues = validate_structure({"nom": "CCAS de Cognac", "commune": "Cognac", "code_postal": "ABCDE",
                                            "adresse": "Hôtel de ville", "date_maj": "2024-04-02"})
    assert structure is None
    assert issues == [Issue("code_postal", "ABCDE", "Code postal « ABCDE » invalide : il faut 5 chiffres.", "erreur")]
