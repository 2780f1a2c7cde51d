"""The relances' closed list of exclusion codes: each with its French title, read from either."""

from __future__ import annotations

import pytest

from models.errors import InvalidValue
from models.records import RELANCE_EXCLUSION_LABELS, RELANCE_EXCLUSIONS, relance_exclusion


def test_every_exclusion_code_has_one_french_title():
    assert set(RELANCE_EXCLUSION_LABELS) == set(RELANCE_EXCLUSIONS)
    assert len(set(RELANCE_EXCLUSION_LABELS.values())) == len(RELANCE_EXCLUSIONS)


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("delai", "delai"),
        (" DELAI ", "delai"),
        ("Relancée trop récemment", "delai"),
        ("relancee trop recemment", "delai"),  # typed without accents
        ("questionnaire complet", "complete"),  # what the command printed before the codes
        ("sans_courriel", "sans_courriel"),
        ("Aucune adresse e-mail", "sans_courriel"),
    ],
)
def test_an_exclusion_is_read_from_its_code_or_its_french_title(typed, code):
    assert relance_exclusion(typed) == code


@pytest.mark.parametrize("typed", ["trop tard", "", "   "])
def test_an_unknown_exclusion_is_refused_in_french_with_the_accepted_values(typed):
    with pytest.raises(InvalidValue) as refused:
        relance_exclusion(typed)
    message = str(refused.value)
    assert message.startswith(f"« {typed} » n'est pas une raison d'écart connue (attendu : complete (Questionnaire")
    assert all(f"{code} ({label})" in message for code, label in RELANCE_EXCLUSION_LABELS.items())
