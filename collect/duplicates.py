"""Finding structures that may be the same lieu: same SIRET/pivot, or a close name in the same commune.

Pairs are proposed (``models.duplicates``), never merged here. Names are compared with
rapidfuzz's ``token_sort_ratio`` on a folded form (no accents, case, punctuation or the words
that every name shares), commune by commune, so the cost grows with the size of the largest
commune, not with the square of the registry.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from collect.legacy import fold
from models.duplicates import DuplicatePair

NAME_SIMILARITY_THRESHOLD = 90.0
_STOP_WORDS = frozenset("de du des la le les l d et a au aux en".split())


@dataclass(frozen=True)
class Candidate:
    """What duplicate detection needs to know of a structure."""

    id: str
    nom: str
    commune_key: str | None  # INSEE code, else postcode
    pivot: str | None


def folded_name(name: str) -> str:
    """The name as compared: folded, punctuation removed, common small words dropped."""
    words = re.split(r"[^0-9a-z]+", fold(name))
    return " ".join(w for w in words if w and w not in _STOP_WORDS)


def find_duplicates(new: Sequence[Candidate], existing: Iterable[Candidate]) -> list[DuplicatePair]:
    """Pairs (new, other) where ``other`` is an existing structure or an earlier new one."""
    pairs: list[DuplicatePair] = []
    seen: set[frozenset[str]] = set()

    def add(a: str, b: str, reason: str, score: float) -> None:
        key = frozenset((a, b))
        if a != b and key not in seen:
            seen.add(key)
            pairs.append(DuplicatePair(a, b, reason, round(score, 1)))

    existing = list(existing)
    by_pivot: dict[str, list[str]] = defaultdict(list)
    by_commune: dict[str, list[Candidate]] = defaultdict(list)
    for other in existing:
        if other.pivot:
            by_pivot[other.pivot].append(other.id)
        if other.commune_key:
            by_commune[other.commune_key].append(other)

    new_by_commune: dict[str, list[Candidate]] = defaultdict(list)
    for candidate in new:
        if candidate.pivot:
            for other_id in by_pivot[candidate.pivot]:
                add(candidate.id, other_id, f"même identifiant (SIRET/RNA) {candidate.pivot}", 100.0)
            by_pivot[candidate.pivot].append(candidate.id)
        if candidate.commune_key:
            new_by_commune[candidate.commune_key].append(candidate)

    for commune_key, newcomers in new_by_commune.items():
        pool = by_commune[commune_key] + newcomers
        names = [folded_name(c.nom) for c in pool]
        first_new = len(by_commune[commune_key])
        scores = process.cdist(
            names[first_new:], names, scorer=fuzz.token_sort_ratio, score_cutoff=NAME_SIMILARITY_THRESHOLD, workers=1
        )
        for row_index, row in enumerate(scores):
            candidate = pool[first_new + row_index]
            for column_index, score in enumerate(row):
                # Only pairs with an existing structure or an EARLIER new one: each pair once.
                if score and column_index < first_new + row_index:
                    other = pool[column_index]
                    add(candidate.id, other.id, f"nom proche dans la même commune : « {other.nom} »", float(score))
    return pairs
