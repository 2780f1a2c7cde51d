"""Finding structures that may be the same lieu: same SIRET/pivot, or a close name in the same commune.

Pairs are proposed (``models.duplicates``), never merged here. Names are compared with
rapidfuzz's ``token_sort_ratio`` on a folded form (no accents, case, punctuation or the words
that every name shares): each name's words are sorted once and compared with ``fuzz.ratio``,
which gives the same score (``token_sort_ratio`` *is* the ratio of the sorted words) about
18 times faster than sorting them again for every comparison.

Only names of one commune (INSEE code, else postcode) are ever compared, and the work stays
near-linear in the number of lieux whatever the names:

- a commune of at most :data:`EXACT_BLOCK` lieux (every real export so far: at most 65) has each
  new name compared with every earlier name, a chunk of rows at a time (bounded memory), the
  scores read by numpy, never by a Python loop over the n × n matrix;
- a bigger commune (a national file's big city; or 30 000 « Grand 1 … », « Grand 2 … » lieux in
  one commune) has each name compared with its :data:`NEIGHBOURS` nearest names on each side in
  the alphabetical order of its sorted words, and again in the order of their mirror image (the
  « sorted neighbourhood » of record linkage): two spellings of one name share their beginning
  or their end, so they sit side by side in one of the two orders. Cost: about
  ``12 × NEIGHBOURS`` comparisons a name (two orders, chunks of ``4 × NEIGHBOURS`` rows against
  ``6 × NEIGHBOURS`` names), whatever the size of the commune.

A lieu gets at most :data:`MAX_NAME_PAIRS_PER_LIEU` pairs for its name (the closest) and
:data:`MAX_PIVOT_PAIRS_PER_LIEU` for its SIRET (the first structures that share it), so 10 000
lieux that all look alike give at most 50 000 pairs to review, not 50 million; the reason of a
capped lieu's pairs says so. A name pair's reason is one text per earlier lieu (and cap), shared
by all the pairs that name it: 300 000 near-identical names give 1.5 million pairs, whose texts
would otherwise hold ~400 MB.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from rapidfuzz import fuzz, process

from collect.legacy import fold
from models.duplicates import DuplicatePair

NAME_SIMILARITY_THRESHOLD = 90.0
_STOP_WORDS = frozenset("de du des la le les l d et a au aux en".split())
_NOT_ALPHANUMERIC = re.compile(r"[^0-9a-z]+")

# The real exports (collect/demo_data/ and the hubs' exports in the shared reference) give one lieu at most 3
# close names in its commune: 5 keeps them all and bounds what near-identical names can give.
MAX_NAME_PAIRS_PER_LIEU = 5
# A SIRET is shared by a network's lieux (the 14 libraries of Aix-en-Provence: 13 pairs each in
# the real export): 20 keeps those and bounds a network of 10 000 agencies with one SIRET.
MAX_PIVOT_PAIRS_PER_LIEU = 20
# A commune of at most this many lieux (stored + new) is compared all with all: 500 comparisons
# a name on average (~20 µs), exactly the pairs a comparison of every two names gives.
EXACT_BLOCK = 1_000
# Beyond, each name is compared with this many neighbours on each side, in two orders.
NEIGHBOURS = 25
# Scores computed at once (float32): 16 MB, whatever the size of the commune.
_SCORES_AT_ONCE = 4_000_000
# Close names kept per new lieu while searching: room for pairs its SIRET already made.
_KEPT = 2 * MAX_NAME_PAIRS_PER_LIEU
# Ranking key: the score as stored (one decimal) first, then the earlier lieu first.
_INDEX_SPAN = 1 << 32


@dataclass(frozen=True, slots=True)
class Candidate:
    """What duplicate detection needs to know of a structure."""

    id: str
    nom: str
    commune_key: str | None  # INSEE code, else postcode
    pivot: str | None


def folded_name(name: str) -> str:
    """The name as compared: folded, punctuation removed, common small words dropped."""
    return " ".join(part for word in name.split() for part in _folded_word(word))


@lru_cache(maxsize=1 << 16)
def _folded_word(word: str) -> tuple[str, ...]:
    """One word of a name folded (names share most of their words: each is folded once)."""
    folded = word.lower() if word.isascii() else fold(word)  # ASCII: no accent to remove, casefold is lower
    return tuple(w for w in _NOT_ALPHANUMERIC.split(folded) if w and w not in _STOP_WORDS)


def sorted_words(name: str) -> str:
    """The folded name's words in alphabetical order: ``ratio`` of these is ``token_sort_ratio``."""
    words = [part for word in name.split() for part in _folded_word(word)]
    words.sort()
    return " ".join(words)


def _figure(number: int) -> str:
    """« 12 345 » (French thousands separator: a narrow no-break space)."""
    return f"{number:,}".replace(",", "\u202f")


# Long: the blocking (by commune, by postcode) and the pairing share the pool of lieux and the pairs
# already found; each block's loop is short, the function holds them in order.
def find_duplicates(new: Sequence[Candidate], existing: Iterable[Candidate]) -> list[DuplicatePair]:
    """Pairs (new, other) where ``other`` is an existing structure or an earlier new one."""
    pairs: list[DuplicatePair] = []
    seen: set[tuple[str, str]] = set()

    def add(a: str, b: str, reason: str, score: float) -> bool:
        key = _key(a, b)
        if a == b or key in seen:
            return False
        seen.add(key)
        pairs.append(DuplicatePair(a, b, reason, round(score, 1)))
        return True

    by_pivot: dict[str, list[str]] = defaultdict(list)
    by_commune: dict[str, list[Candidate]] = defaultdict(list)
    for other in existing:
        if other.pivot:
            by_pivot[other.pivot].append(other.id)
        if other.commune_key:
            by_commune[other.commune_key].append(other)

    new_by_commune: dict[str, list[Candidate]] = defaultdict(list)
    paired: set[str] = set()  # new lieux with a pair already (their SIRET): a name pair must not repeat it
    for candidate in new:
        if candidate.pivot:
            sharing = by_pivot[candidate.pivot]
            reason = f"même identifiant (SIRET/RNA) {candidate.pivot}"
            if len(sharing) > MAX_PIVOT_PAIRS_PER_LIEU:
                reason += (f" (partagé avec {_figure(len(sharing))} autres structures : seules les "
                           f"{MAX_PIVOT_PAIRS_PER_LIEU} premières sont proposées)")
            proposed = 0
            for other_id in sharing:
                if proposed == MAX_PIVOT_PAIRS_PER_LIEU:
                    break
                proposed += add(candidate.id, other_id, reason, 100.0)
            if proposed:
                paired.add(candidate.id)
            sharing.append(candidate.id)
        if candidate.commune_key:
            new_by_commune[candidate.commune_key].append(candidate)

    # Name pairs: each (later, earlier) of one commune is met once, so only a SIRET pair can repeat one.
    shared_scores: dict[float, float] = {}  # one float object per score (90.0 to 100.0): 1.5 M pairs share ~100
    for commune_key, newcomers in new_by_commune.items():
        pool = by_commune[commune_key] + newcomers
        reasons: dict[tuple[int, str], str] = {}  # shared texts of this commune's pairs
        first_new = len(pool) - len(newcomers)
        keys = [sorted_words(c.nom) for c in pool]
        exact = len(pool) <= EXACT_BLOCK
        for j, others, scores in _close_names(keys, first_new, exact=exact):
            candidate = pool[j]
            matches = list(zip(others, scores, strict=True))
            if candidate.id in paired:
                matches = [(i, s) for i, s in matches if _key(candidate.id, pool[i].id) not in seen]
            note = ""
            if len(matches) > MAX_NAME_PAIRS_PER_LIEU:
                matches = matches[:MAX_NAME_PAIRS_PER_LIEU]  # already the closest first
                note = _CAPPED
            # In the order of the earlier lieux, as a reader of the file meets them.
            for i, score in sorted(matches):
                other = pool[i]
                if other.id != candidate.id:
                    rounded = round(score, 1)
                    pairs.append(DuplicatePair(candidate.id, other.id, _close_name_reason(reasons, pool, i, note),
                                               shared_scores.setdefault(rounded, rounded)))
    return pairs


_CAPPED = (f" (plus de {MAX_NAME_PAIRS_PER_LIEU} noms proches dans la commune : seuls les {MAX_NAME_PAIRS_PER_LIEU} "
           "plus proches sont proposés)")


def _close_name_reason(reasons: dict[tuple[int, str], str], pool: list[Candidate], i: int, note: str) -> str:
    """The reason of a pair with ``pool[i]``: one text per earlier lieu and note, however many later lieux are
    close to it."""
    text = reasons.get((i, note))
    if text is None:
        text = reasons[(i, note)] = f"nom proche dans la même commune : « {pool[i].nom} »{note}"
    return text


def _key(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


# A batch of new names: their indices, and for each its best earlier names (indices, ranks, scores,
# best first; rank 0 = no match).
_Batch = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _close_names(keys: list[str], first_new: int, *, exact: bool) -> Iterator[tuple[int, list[int], list[float]]]:
    """For each new name ``j`` (index in ``keys``) with close earlier names: ``(j, others, scores)``.

    ``others`` are indices of earlier names (< ``j``), the closest first (then the earliest), at
    most :data:`_KEPT`.
    """
    batches = _all_with_all(keys, first_new) if exact else _neighbourhood(keys, first_new)
    for rows, others, ranks, scores in batches:
        for row in np.flatnonzero(ranks[:, 0] > 0):
            kept = ranks[row] > 0
            yield int(rows[row]), others[row][kept].tolist(), scores[row][kept].tolist()


def _rank(scores: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """One int64 a cell, higher is better: the score as stored (one decimal), then the earlier lieu; 0: no match."""
    rounded = np.rint(scores.astype(np.float64) * 10).astype(np.int64)
    return np.where(rounded > 0, rounded * _INDEX_SPAN + (_INDEX_SPAN - 1 - indices), 0)


def _best(ranks: np.ndarray, indices: np.ndarray, scores: np.ndarray,
          keep: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``keep`` best cells of each row, best first: their indices, ranks and scores."""
    if ranks.shape[1] > keep:
        top = np.argpartition(-ranks, keep - 1, axis=1)[:, :keep]
        ranks, indices, scores = (np.take_along_axis(a, top, axis=1) for a in (ranks, indices, scores))
    order = np.argsort(-ranks, axis=1, kind="stable")
    return tuple(np.take_along_axis(a, order, axis=1) for a in (indices, ranks, scores))  # type: ignore[return-value]


def _scores(queries: list[str], choices: list[str]) -> np.ndarray:
    return process.cdist(queries, choices, scorer=fuzz.ratio, score_cutoff=NAME_SIMILARITY_THRESHOLD,
                         dtype=np.float32, workers=1)


def _all_with_all(keys: list[str], first_new: int) -> Iterator[_Batch]:
    """Each new name against every earlier name, rows in chunks of at most ``_SCORES_AT_ONCE`` scores."""
    total = len(keys)
    step = max(1, _SCORES_AT_ONCE // total)
    for start in range(first_new, total, step):
        stop = min(total, start + step)
        scores = _scores(keys[start:stop], keys[:stop])
        rows = np.arange(start, stop)
        columns = np.broadcast_to(np.arange(stop), scores.shape)
        scores[columns >= rows[:, None]] = 0  # only earlier names: each pair once
        matched = np.flatnonzero(scores.any(axis=1))
        if not len(matched):
            continue
        scores, columns, rows = scores[matched], columns[matched], rows[matched]
        others, best, kept = _best(_rank(scores, columns), columns, scores, _KEPT)
        yield rows, others, best, kept


def _neighbourhood(keys: list[str], first_new: int) -> Iterator[_Batch]:
    """Each new name against its ``NEIGHBOURS`` neighbours on each side, in two alphabetical orders."""
    total = len(keys)
    newcomers = total - first_new
    kept_others = np.zeros((newcomers, _KEPT), dtype=np.int64)
    kept_ranks = np.zeros((newcomers, _KEPT), dtype=np.int64)
    kept_scores = np.zeros((newcomers, _KEPT), dtype=np.float32)
    chunk = 4 * NEIGHBOURS
    for mirrored in (False, True):
        order = np.array(sorted(range(total), key=(lambda i: keys[i][::-1]) if mirrored else keys.__getitem__),
                         dtype=np.int64)
        ordered = [keys[i] for i in order]
        for start in range(0, total, chunk):
            stop = min(total, start + chunk)
            rows = order[start:stop]
            new_rows = rows >= first_new
            if not new_rows.any():
                continue
            low, high = max(0, start - NEIGHBOURS), min(total, stop + NEIGHBOURS)
            scores = _scores(ordered[start:stop], ordered[low:high])
            distance = np.abs(np.arange(low, high)[None, :] - np.arange(start, stop)[:, None])
            columns = np.broadcast_to(order[low:high], scores.shape)
            scores[(distance > NEIGHBOURS) | (columns >= rows[:, None])] = 0  # near, earlier names only
            matched = np.flatnonzero(new_rows & scores.any(axis=1))
            if not len(matched):
                continue
            scores, columns, rows = scores[matched], columns[matched], rows[matched]
            ranks = _rank(scores, columns)
            slots = rows - first_new
            # Merged with what the other order found: a pair found twice has one rank, kept once.
            others, ranks, scores = _best(np.concatenate([kept_ranks[slots], ranks], axis=1),
                                          np.concatenate([kept_others[slots], columns], axis=1),
                                          np.concatenate([kept_scores[slots], scores], axis=1), 2 * _KEPT)
            twice = np.zeros(ranks.shape, dtype=bool)
            twice[:, 1:] = ranks[:, 1:] == ranks[:, :-1]
            ranks[twice] = 0
            kept_others[slots], kept_ranks[slots], kept_scores[slots] = _best(ranks, others, scores, _KEPT)
    yield np.arange(first_new, total), kept_others, kept_ranks, kept_scores
