"""French text helpers, each defined once: accents folded, figures and counted words as French writes them."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.text import counted, figure, fold_accents


@pytest.mark.parametrize(("text", "folded"), [
    ("Leïla MARÉCHAL", "leila marechal"),
    ("Cœur de l'Île", "coeur de l'ile"),
    ("ÆSOPE Straße", "aesope strasse"),
    ("Médiathèque Saint-Éloi", "mediatheque saint-eloi"),
    ("CCAS", "ccas"),
    ("", ""),
    ("𝖠telier Ⓐ", "atelier a"),  # compatibility letters decompose to capitals (found by hypothesis)
    ("Ǣ ＡＢ", "ae ab"),  # a ligature revealed by the decomposition; full-width letters
])
def test_accents_and_ligatures_are_folded_and_case_ignored(text, folded):
    assert fold_accents(text) == folded


@given(st.text(max_size=40))
def test_folding_never_leaves_an_accent_and_folding_twice_changes_nothing(text):
    folded = fold_accents(text)
    assert not any(unicodedata.combining(c) for c in unicodedata.normalize("NFKD", folded))
    assert fold_accents(folded) == folded


@pytest.mark.parametrize(("number", "text"), [(0, "0"), (7, "7"), (999, "999"), (1000, "1\u202f000"),
                                              (1234567, "1\u202f234\u202f567")])
def test_figures_are_written_with_narrow_no_break_spaces_between_thousands(number, text):
    assert figure(number) == text


@pytest.mark.parametrize(("count", "words", "text"), [
    (0, ("ligne lue", "lignes lues"), "0 ligne lue"),
    (1, ("ligne lue", "lignes lues"), "1 ligne lue"),
    (2, ("ligne lue", "lignes lues"), "2 lignes lues"),
    (1234, ("structure",), "1\u202f234 structures"),
    (3, ("mise à jour", "mises à jour"), "3 mises à jour"),
])
def test_zero_and_one_are_singular_in_french(count, words, text):
    assert counted(count, *words) == text
