"""The stored risk profile: what ranking needs of a person, whatever the event kind."""

from __future__ import annotations

from collections.abc import Mapping

from canxie_tui.domain.emergency.assessment import _score, factors_of
from canxie_tui.domain.emergency.records import PersonRisk
from canxie_tui.domain.emergency_tables import FACTORS

# What ranking needs of a person that does not depend on the event kind, as one
# integer the store keeps for each person (`store.risk`): a bit per factor, one for
# ≥ 90 and the level above them.  The two age bits depend on the day, so the store
# keeps the days the person turns 80 and 90 and sets them when it reads.
FACTOR_BITS: Mapping[str, int] = {factor: 1 << i for i, factor in enumerate(FACTORS)}
OLDEST_BIT = 1 << len(FACTORS)
_LEVEL_SHIFT = len(FACTORS) + 1


def profile_bits(p: PersonRisk) -> int:
    """`p`'s factors and level as a stored profile (without the age bits: `p.age` is
    ignored, the store adds them for the day it ranks)."""
    bits = 0
    for factor in factors_of(p._replace(age=None)):
        bits |= FACTOR_BITS[factor]
    return bits | (p.level or 0) << _LEVEL_SHIFT


def profile_score(profile: int, weights: Mapping[str, int]) -> int:
    """The score of a stored profile (with its age bits) for an event of these weights:
    what `assess` gives the person it was made from."""
    factors = [factor for factor, bit in FACTOR_BITS.items() if profile & bit]
    return _score(factors, bool(profile & OLDEST_BIT), profile >> _LEVEL_SHIFT, weights)
