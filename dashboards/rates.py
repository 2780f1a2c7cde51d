"""Response rates by the AAPOR Standard Definitions (10th edition, 2023).

Every case of a campaign has one final disposition code (``models.dispositions``), grouped as
AAPOR does (``AAPOR_GROUPS``):

====  ==========================================================  =========================
I     complete interview                                           1.1
P     partial interview                                            1.2
R     refusal and break-off                                        2.1x
NC    non-contact                                                  2.2x
O     other eligible, no interview                                 2.0, 2.3x
UH    unknown if eligible, never reached the household/structure   3.1x
UO    unknown eligibility, other                                   3.2–3.9
NE    not eligible                                                 4.x
====  ==========================================================  =========================

With ``U = UH + UO`` and ``e`` the estimated share of the unknown-eligibility cases that are
eligible, the rates are (a denominator of 0 gives None):

- RR1 = I / (I+P + R+NC+O + U)          RR2 = (I+P) / (I+P + R+NC+O + U)
- RR3 = I / (I+P + R+NC+O + e·U)        RR4 = (I+P) / (I+P + R+NC+O + e·U)
- RR5 = I / (I+P + R+NC+O)              RR6 = (I+P) / (I+P + R+NC+O)
- COOP1 = I / (I+P + R + O)             COOP2 = (I+P) / (I+P + R + O)
- COOP3 = I / (I+P + R)                 COOP4 = (I+P) / (I+P + R)
- REF1 = R / (I+P + R+NC+O + U)         REF2 = R / (I+P + R+NC+O + e·U)      REF3 = R / (I+P + R+NC+O)
- CON1 = (I+P + R + O) / (I+P + R+NC+O + U)
- CON2 = (I+P + R + O) / (I+P + R+NC+O + e·U)
- CON3 = (I+P + R + O) / (I+P + R+NC+O)

``e`` by the **proportional method** (AAPOR's CASRO allocation): the eligible share among the
cases whose eligibility is known, ``(I+P+R+NC+O) / (I+P+R+NC+O+NE)``; None when no case's
eligibility is known (the rates using ``e`` are then None too).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from models.dispositions import AAPOR_GROUPS

GROUPS: tuple[str, ...] = ("I", "P", "R", "NC", "O", "UH", "UO", "NE")
RATE_NAMES: tuple[str, ...] = (
    "RR1", "RR2", "RR3", "RR4", "RR5", "RR6", "COOP1", "COOP2", "COOP3", "COOP4",
    "REF1", "REF2", "REF3", "CON1", "CON2", "CON3",
)


def group_counts(codes: Iterable[str]) -> dict[str, int]:
    """The AAPOR group counts of some final disposition codes (every group present, 0 if none)."""
    counted = Counter(AAPOR_GROUPS[code] for code in codes)
    return {group: counted.get(group, 0) for group in GROUPS}


def proportional_e(counts: Mapping[str, int]) -> float | None:
    """The share of unknown-eligibility cases estimated eligible, by the proportional method."""
    c = _checked(counts)
    eligible = c["I"] + c["P"] + c["R"] + c["NC"] + c["O"]
    known = eligible + c["NE"]
    return eligible / known if known else None


def aapor_rates(counts: Mapping[str, int], e: float | None = None) -> dict[str, float | None]:
    """Every AAPOR rate by its name (see the module docstring), and ``e`` as used.

    ``counts`` holds the counts of I, P, R, NC, O, UH, UO and NE (a missing group is 0; an
    unknown key or a negative count is a ``ValueError``). ``e`` defaults to the proportional
    estimate; given, it must lie in [0, 1].
    """
    c = _checked(counts)
    if e is None:
        e = proportional_e(c)
    elif not 0 <= e <= 1:
        raise ValueError(f"e must lie between 0 and 1, not {e}")
    interviews = c["I"] + c["P"]
    eligible_no_interview = c["R"] + c["NC"] + c["O"]
    unknown = c["UH"] + c["UO"]
    contacted = interviews + c["R"] + c["O"]
    all_cases = interviews + eligible_no_interview + unknown
    known_eligible = interviews + eligible_no_interview
    with_e = None if e is None else known_eligible + e * unknown
    rates: dict[str, float | None] = {
        "RR1": _ratio(c["I"], all_cases),
        "RR2": _ratio(interviews, all_cases),
        "RR3": _ratio(c["I"], with_e),
        "RR4": _ratio(interviews, with_e),
        "RR5": _ratio(c["I"], known_eligible),
        "RR6": _ratio(interviews, known_eligible),
        "COOP1": _ratio(c["I"], interviews + c["R"] + c["O"]),
        "COOP2": _ratio(interviews, interviews + c["R"] + c["O"]),
        "COOP3": _ratio(c["I"], interviews + c["R"]),
        "COOP4": _ratio(interviews, interviews + c["R"]),
        "REF1": _ratio(c["R"], all_cases),
        "REF2": _ratio(c["R"], with_e),
        "REF3": _ratio(c["R"], known_eligible),
        "CON1": _ratio(contacted, all_cases),
        "CON2": _ratio(contacted, with_e),
        "CON3": _ratio(contacted, known_eligible),
    }
    rates["e"] = e
    return rates


def _ratio(numerator: float, denominator: float | None) -> float | None:
    return None if not denominator else numerator / denominator


def _checked(counts: Mapping[str, int]) -> dict[str, int]:
    unknown = set(counts) - set(GROUPS)
    if unknown:
        raise ValueError(f"unknown AAPOR groups: {sorted(unknown)} (expected {', '.join(GROUPS)})")
    checked = {group: int(counts.get(group, 0)) for group in GROUPS}
    negative = [group for group, count in checked.items() if count < 0]
    if negative:
        raise ValueError(f"negative counts for {negative}")
    return checked
