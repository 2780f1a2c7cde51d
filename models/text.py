"""French text helpers every layer shares, each defined once: accent folding, figures, counted words.

- ``fold_accents``: the one accent folder. Lower case (``str.casefold``), accents and ligatures gone
  (« Cœur de l'Île » → « coeur de l'ile »); what else a comparison ignores (punctuation, spaces,
  apostrophes) stays with the comparison that ignores it.
- ``figure``: a whole number as French writes it, thousands apart by a narrow no-break space
  (« 12 345 »).
- ``counted``: a count and its word, agreed the French way: 0 and 1 are singular (« 0 ligne »,
  « 1 ligne », « 1 234 lignes »).
"""

from __future__ import annotations

import unicodedata

# Letters NFKD leaves whole: written out as French spells them once their ligature is undone.
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss"})
NARROW_NO_BREAK_SPACE = "\u202f"


def fold_accents(text: str) -> str:
    """``text`` in lower case without accents or ligatures: « Leïla MARÉCHAL » → « leila marechal »."""
    if text.isascii():
        return text.casefold()
    decomposed = unicodedata.normalize("NFKD", text.casefold())  # casefold first: « İ » → i + ◌̇
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    # Ligatures and case once more after the decomposition, which may reveal them: « Ǣ » → æ + ◌̄,
    # « 𝖠 » or « Ⓐ » → A (found by hypothesis: folding twice must change nothing).
    return bare.translate(_LIGATURES).casefold()


def figure(number: int) -> str:
    """« 12 345 »: a whole number with French thousands separators (narrow no-break spaces)."""
    return f"{number:,}".replace(",", NARROW_NO_BREAK_SPACE)


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """« 1 structure », « 0 ligne lue », « 1 234 structures »: French agreement (0 and 1 are singular);
    ``plural`` defaults to ``singular`` + « s »."""
    word = singular if count <= 1 else (plural or singular + "s")
    return f"{figure(count)} {word}"
