"""Full-value evaluation: award-criteria rules, price scoring, totals and ranking (pure rules).

Award criteria carry weights in percentage points that sum to 100. Quality and social value are
scored on a 0-5 scale by evaluators and moderated to a consensus; price is scored by formula.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from fullvalue.errors import Problem

#: The default 0-5 scale with descriptors (after the Cabinet Office model evaluation guidance).
SCALE = {
    0: "Unacceptable: no response, or the response does not address the requirement.",
    1: "Poor: significant gaps or weaknesses; little confidence it will be met.",
    2: "Weak: partly meets the requirement, with some gaps or weaknesses.",
    3: "Satisfactory: meets the requirement, with minor weaknesses.",
    4: "Good: fully meets the requirement, with good evidence and some added value.",
    5: "Excellent: exceeds the requirement, with strong evidence and innovation.",
}
MAX_SCORE = 5
SOCIAL_VALUE_MINIMUM = Decimal("10")
POINTS = Decimal("0.01")


@dataclass(frozen=True)
class Criterion:
    """An award criterion: a name, a kind (price, quality or social_value) and a weight (%)."""

    name: str
    kind: str
    weight: Decimal


def rule_weights_sum_to_100(criteria: Sequence[Criterion]) -> Problem | None:
    """The weights of the award criteria must add up to 100."""
    total = sum((c.weight for c in criteria), Decimal(0))
    if total != 100:
        return Problem(f"The weights add up to {total.normalize():f}, not 100", column="weights")
    return None


def rule_social_value_at_least_10(
    criteria: Sequence[Criterion], reason_for_lower: str = ""
) -> Problem | None:
    """Social value must carry at least 10% of the total score, unless a reason is recorded."""
    weight = sum((c.weight for c in criteria if c.kind == "social_value"), Decimal(0))
    if weight < SOCIAL_VALUE_MINIMUM and not reason_for_lower.strip():
        return Problem(
            f"Social value carries {weight.normalize():f}% of the score; it must carry at least "
            "10%, or record why a lower weight is justified",
            column="social_value_weight",
        )
    return None


def rule_one_price_criterion(criteria: Sequence[Criterion]) -> Problem | None:
    """There must be at most one price criterion, and every weight must be positive."""
    if sum(1 for c in criteria if c.kind == "price") > 1:
        return Problem("There can be only one price criterion", column="weights")
    if any(c.weight <= 0 for c in criteria):
        return Problem("Every criterion needs a weight above zero", column="weights")
    return None


def check_criteria(criteria: Sequence[Criterion], reason_for_lower: str = "") -> list[Problem]:
    """Every rule broken by a set of award criteria (empty when they are valid)."""
    found = [
        rule_weights_sum_to_100(criteria),
        rule_social_value_at_least_10(criteria, reason_for_lower),
        rule_one_price_criterion(criteria),
    ]
    return [p for p in found if p is not None]


def price_score(lowest: Decimal, bid: Decimal, weight: Decimal) -> Decimal:
    """Relative price score: ``weight x lowest / bid``, in points to 2 decimal places.

    Notes
    -----
    The lowest compliant price scores the full weight; others score in proportion. Rounded half
    up to 0.01 points.

    Examples
    --------
    >>> price_score(Decimal("800000"), Decimal("1000000"), Decimal("30"))
    Decimal('24.00')
    """
    if bid <= 0 or lowest <= 0:
        raise ValueError("prices must be positive")
    return (weight * lowest / bid).quantize(POINTS, rounding=ROUND_HALF_UP)


def quality_points(score: int, weight: Decimal) -> Decimal:
    """Points for a 0-5 consensus score: ``weight x score / 5``.

    >>> quality_points(4, Decimal("25"))
    Decimal('20.00')
    """
    if not 0 <= score <= MAX_SCORE:
        raise ValueError("scores run from 0 to 5")
    return (weight * score / MAX_SCORE).quantize(POINTS, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Ranked:
    """A bid's place after totals and the tie-break."""

    bid_id: int
    total: Decimal
    quality_and_social_value: Decimal
    price: Decimal
    rank: int


def rank_bids(rows: Sequence[tuple[int, Decimal, Decimal, Decimal]]) -> list[Ranked]:
    """Rank bids by total points; ties go to higher quality + social value, then lower price.

    ``rows`` are ``(bid_id, total_points, quality_and_social_value_points, bid_price_gbp)``.
    Bids still tied after both are given the same rank (a documented decision for the panel).

    >>> [r.bid_id for r in rank_bids([(1, Decimal(80), Decimal(50), Decimal(9)),
    ...                               (2, Decimal(80), Decimal(55), Decimal(9))])]
    [2, 1]
    """
    ordered = sorted(rows, key=lambda r: (-r[1], -r[2], r[3], r[0]))
    out: list[Ranked] = []
    for i, (bid_id, total, quality, price) in enumerate(ordered):
        rank = i + 1
        if out and (out[-1].total, out[-1].quality_and_social_value, out[-1].price) == (
            total,
            quality,
            price,
        ):
            rank = out[-1].rank
        out.append(Ranked(bid_id, total, quality, price, rank))
    return out
