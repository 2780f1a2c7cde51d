"""collect.duplicates: which structures are proposed as possible duplicates, and how many at most.

Two structures are proposed when they share a SIRET/RNA, or when their names are close
(rapidfuzz ``token_sort_ratio`` ≥ 90 on folded names) in the same commune. Names of two
communes are never compared, and near-identical names cannot flood the review: a lieu gets at
most a few pairs, the closest, and the reason says so.
"""

from __future__ import annotations

import random
import string
from collections import Counter

import pytest
from rapidfuzz import fuzz

from collect import duplicates
from collect.duplicates import (
    EXACT_BLOCK,
    MAX_NAME_PAIRS_PER_LIEU,
    MAX_PIVOT_PAIRS_PER_LIEU,
    NAME_SIMILARITY_THRESHOLD,
    Candidate,
    find_duplicates,
    folded_name,
)

PARIS, LYON = "75056", "69123"


def lieu(id_: str, nom: str, commune: str | None = PARIS, pivot: str | None = None) -> Candidate:
    return Candidate(id_, nom, commune, pivot)


def pair_ids(pairs) -> list[tuple[str, str]]:
    return [(p.structure_id, p.other_id) for p in pairs]


# -- what is a close name ------------------------------------------------------------------------

CLOSE = [
    ("Médiathèque Jean Moulin", "MEDIATHEQUE JEAN-MOULIN"),  # case, accents, punctuation
    ("Espace France Services", "Espace France Service"),  # one letter
    ("Maison de l'emploi du Nord", "Maison emploi Nord"),  # the small words every name shares
    ("Centre social Victor Hugo", "Victor Hugo centre social"),  # word order
]
FAR = [
    ("Médiathèque Jean Moulin", "Médiathèque Victor Hugo"),
    ("Mairie", "Mairie annexe du port"),
    ("FabLab", "Cyber-base"),
]


@pytest.mark.parametrize(("first", "second"), CLOSE)
def test_close_names_in_one_commune_are_proposed(first, second):
    pairs = find_duplicates([lieu("a", first), lieu("b", second)], [])
    assert pair_ids(pairs) == [("b", "a")]
    assert pairs[0].reason == f"nom proche dans la même commune : « {first} »"
    assert pairs[0].score >= NAME_SIMILARITY_THRESHOLD


@pytest.mark.parametrize(("first", "second"), FAR)
def test_different_names_in_one_commune_are_not(first, second):
    assert find_duplicates([lieu("a", first), lieu("b", second)], []) == []


def test_a_shared_siret_is_proposed_wherever_the_lieux_are():
    pairs = find_duplicates([lieu("a", "Mairie", PARIS, "21130001700012"), lieu("b", "Agence", LYON, "21130001700012")],
                            [])
    assert pair_ids(pairs) == [("b", "a")]
    assert (pairs[0].reason, pairs[0].score) == ("même identifiant (SIRET/RNA) 21130001700012", 100.0)


def test_new_lieux_are_compared_with_stored_ones_and_earlier_new_ones_stored_ones_not_among_themselves():
    stored = [lieu("s1", "Médiathèque Jean Moulin"), lieu("s2", "Mediatheque Jean Moulin")]
    new = [lieu("n1", "Médiathèque Jean-Moulin"), lieu("n2", "médiathèque jean moulin")]
    assert pair_ids(find_duplicates(new, stored)) == [("n1", "s1"), ("n1", "s2"), ("n2", "s1"), ("n2", "s2"),
                                                      ("n2", "n1")]


# -- names of two communes are never compared ------------------------------------------------------


@pytest.mark.parametrize(("first_commune", "second_commune"), [(PARIS, LYON), (PARIS, None), (None, None)])
def test_the_same_name_in_two_communes_or_without_a_commune_is_not_a_duplicate(first_commune, second_commune):
    assert find_duplicates([lieu("a", "Médiathèque Jean Moulin", first_commune),
                            lieu("b", "Médiathèque Jean Moulin", second_commune)], []) == []


def test_names_of_two_communes_are_never_even_compared(monkeypatch):
    compared: list[list[str]] = []
    real_scores = duplicates._scores

    def recording(queries, choices):
        compared.append(list(queries) + list(choices))
        return real_scores(queries, choices)

    monkeypatch.setattr(duplicates, "_scores", recording)
    towns = {"paris": PARIS, "lyon": LYON, "nulle": None}
    new = [lieu(f"{town}-{kind}", f"{kind} {town}", commune)
           for town, commune in towns.items() for kind in ("Médiathèque", "Centre social", "FabLab")]
    stored = [lieu(f"stocké-{town}", f"Médiathèque {town}", commune) for town, commune in towns.items()]

    pairs = find_duplicates(new, stored)

    assert sorted(pair_ids(pairs)) == [("lyon-Médiathèque", "stocké-lyon"), ("paris-Médiathèque", "stocké-paris")]
    assert len(compared) == 2  # one comparison per commune with new lieux, none for the lieux without one
    for names in compared:
        assert len({word for name in names for word in name.split()} & set(towns)) == 1, names


# -- the pairs of a commune are those of a comparison of every two names -------------------------


def typo(name: str, rng: random.Random) -> str:
    """One letter of ``name`` changed, inserted or removed, away from its ends."""
    position = rng.randrange(3, len(name) - 3)
    letter = rng.choice(string.ascii_lowercase)
    return rng.choice([name[:position] + name[position + 1:], name[:position] + letter + name[position:],
                       name[:position] + letter + name[position + 1:]])


KINDS = ["Médiathèque", "Espace numérique", "France Services", "Centre social", "Maison de quartier", "FabLab",
         "Point info", "Tiers-lieu", "Mairie annexe", "Maison de l'emploi", "Cyber-base", "Bibliothèque"]
FIRST = ["Jean", "Victor", "Louise", "Marie", "Pierre", "Simone", "Albert", "Émile", "Rosa", "Jules", "Anne"]
LAST = ["Moulin", "Hugo", "Michel", "Curie", "Veil", "Camus", "Zola", "Verne", "Ferry", "Éluard", "Monet"]
PLACES = ["", "Nord", "Sud", "Est", "Ouest", "Centre", "Gare", "Bourg", "Port", "Haut", "Plaine", "Rives"]


def varied_names(count: int, rng: random.Random) -> list[str]:
    """``count`` distinct names as a big city's registry has them (a kind, a person, a quarter, a number)."""
    names: set[str] = set()
    while len(names) < count:
        names.add(" ".join(part for part in (rng.choice(KINDS), rng.choice(FIRST), rng.choice(LAST),
                                             rng.choice(PLACES), str(rng.randint(1, 300))) if part))
    return sorted(names)


def every_two_names(new: list[Candidate], stored: list[Candidate]) -> list[tuple[str, str, float]]:
    """What the duplicate search promises in a commune of up to EXACT_BLOCK lieux, written plainly."""
    found = []
    pool = stored + new
    folded = [folded_name(c.nom) for c in pool]
    for j in range(len(stored), len(pool)):
        for i in range(j):
            score = fuzz.token_sort_ratio(folded[j], folded[i])
            if score >= NAME_SIMILARITY_THRESHOLD:
                found.append((pool[j].id, pool[i].id, round(score, 1)))
    return found


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_commune_of_up_to_exact_block_lieux_gets_the_pairs_of_a_comparison_of_every_two_names(seed):
    rng = random.Random(seed)
    names = varied_names(300, rng)
    stored = [lieu(f"s{i}", name) for i, name in enumerate(names[:150])]
    new = [lieu(f"n{i}", name) for i, name in enumerate(names[150:])]
    new += [lieu(f"t{i}", typo(rng.choice(names), rng)) for i in range(60)]
    rng.shuffle(new)

    pairs = find_duplicates(new, stored)

    expected = every_two_names(new, stored)
    assert max(Counter(j for j, _, _ in expected).values()) <= MAX_NAME_PAIRS_PER_LIEU  # no lieu capped
    assert [(p.structure_id, p.other_id, p.score) for p in pairs] == expected
    assert len(expected) >= 40


def test_a_big_commune_of_varied_names_still_finds_each_misspelt_copy():
    rng = random.Random(4)
    names = varied_names(3 * EXACT_BLOCK, rng)  # compared by neighbourhood, not all with all
    new = [lieu(f"n{i}", name) for i, name in enumerate(names)]
    copies = [(f"n{i}", lieu(f"t{i}", typo(names[i], rng))) for i in rng.sample(range(len(names)), 80)]
    new += [copy for _, copy in copies]

    proposed = set(pair_ids(find_duplicates(new, [])))

    close = [(original, copy.id) for original, copy in copies
             if fuzz.token_sort_ratio(folded_name(names[int(original[1:])]), folded_name(copy.nom))
             >= NAME_SIMILARITY_THRESHOLD]
    assert len(close) >= 60
    assert [(original, copy) for original, copy in close if (copy, original) not in proposed] == []


# -- near-identical names cannot flood the review ------------------------------------------------


@pytest.mark.parametrize("count", [EXACT_BLOCK // 2, 3 * EXACT_BLOCK], ids=["commune-moyenne", "grande-commune"])
def test_near_identical_names_in_one_commune_give_at_most_a_few_pairs_each_and_the_real_one(count):
    new = [lieu(f"g{i}", f"Grand {i} Médiathèque du centre") for i in range(count)]
    new.insert(count // 3, lieu("efs", "Espace France Services"))
    new.insert(2 * count // 3, lieu("efs-bis", "ESPACE FRANCE-SERVICES"))

    pairs = find_duplicates(new, [])

    per_lieu = Counter(p.structure_id for p in pairs)
    assert max(per_lieu.values()) == MAX_NAME_PAIRS_PER_LIEU
    assert len(pairs) <= MAX_NAME_PAIRS_PER_LIEU * len(new)  # not count² / 2
    real = [p for p in pairs if "efs" in (p.structure_id, p.other_id) or "efs-bis" in (p.structure_id, p.other_id)]
    assert [(p.structure_id, p.other_id, p.score) for p in real] == [("efs-bis", "efs", 100.0)]
    assert real[0].reason == "nom proche dans la même commune : « Espace France Services »"
    noted = {p.structure_id for p in pairs if f"seuls les {MAX_NAME_PAIRS_PER_LIEU} plus proches" in p.reason}
    assert new[-1].id in noted and all(per_lieu[id_] == MAX_NAME_PAIRS_PER_LIEU for id_ in noted)
    assert all(p.score >= NAME_SIMILARITY_THRESHOLD for p in pairs)


def test_a_capped_lieu_keeps_its_closest_names_and_says_it_has_more():
    stored = [lieu(f"s{i}", f"Antenne {i} Espace numérique de la mairie") for i in range(12)]
    stored.append(lieu("same", "Antenne 3 Espace numérique de la Mairie"))
    pairs = find_duplicates([lieu("new", "Antenne 3 Espace numérique de la mairie")], stored)

    # The two identical names, then the closest (one digit differs), the earliest first; in the file's order.
    assert [(p.other_id, p.score) for p in pairs] == [("s0", 97.0), ("s1", 97.0), ("s2", 97.0), ("s3", 100.0),
                                                      ("same", 100.0)]
    assert pairs[0].reason == (
        f"nom proche dans la même commune : « Antenne 0 Espace numérique de la mairie » (plus de {MAX_NAME_PAIRS_PER_LIEU} "
        f"noms proches dans la commune : seuls les {MAX_NAME_PAIRS_PER_LIEU} plus proches sont proposés)")


def test_a_siret_shared_by_a_whole_network_gives_each_lieu_a_bounded_number_of_pairs_and_says_so():
    network = [lieu(f"agence{i}", f"Agence {i}", f"{10000 + i}", "40109226700020") for i in range(200)]

    pairs = find_duplicates(network, [])

    per_lieu = Counter(p.structure_id for p in pairs)
    assert max(per_lieu.values()) == MAX_PIVOT_PAIRS_PER_LIEU
    assert per_lieu["agence5"] == 5 and len(pairs) < MAX_PIVOT_PAIRS_PER_LIEU * len(network)
    last = [p for p in pairs if p.structure_id == "agence199"]
    assert [p.other_id for p in last] == [f"agence{i}" for i in range(MAX_PIVOT_PAIRS_PER_LIEU)]
    assert last[0].reason == ("même identifiant (SIRET/RNA) 40109226700020 (partagé avec 199 autres structures : "
                              f"seules les {MAX_PIVOT_PAIRS_PER_LIEU} premières sont proposées)")
    assert next(p.reason for p in pairs if p.structure_id == "agence5") == "même identifiant (SIRET/RNA) 40109226700020"


def test_a_pair_made_by_the_siret_is_not_proposed_again_for_the_name():
    pairs = find_duplicates([lieu("a", "Mairie annexe", pivot="21130001700012"),
                             lieu("b", "Mairie annexe", pivot="21130001700012")], [])
    assert pair_ids(pairs) == [("b", "a")] and pairs[0].reason.startswith("même identifiant")
