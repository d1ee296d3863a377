"""Full-value evaluation: award-criteria rules, price scoring, totals and ranking (pure rules).

Award criteria carry weights in percentage points that sum to 100. Quality and social value are
scored on a 0-5 scale by evaluators and moderated to a consensus; price is scored by formula.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from fullvalue.errors import Problem
from fullvalue.rules import Breach, check, rule

#: The default 0-5 scale with descriptors (after the Cabinet Office model evaluation guidance).
SCALE = {
    0: "Unacceptable: no response, or the response does not address the requirement.",
    1: "Poor: significant gaps or weaknesses; little confidence it will be met.",
    2: "Weak: partly meets the requirement, with some gaps or weaknesses.",
    3: "Satisfactory: meets the requirement, with minor weaknesses.",
    4: "Good: fully meets the requirement, with good evidence and some added value.",
    5: "Excellent: exceeds the requirement, with strong evidence and innovation.",
}
#: The top of the evaluation scale: scores are whole numbers from 0 to ``MAX_SCORE``.
MAX_SCORE = max(SCALE)
#: Social value's minimum weight, in percentage points of the total score.
SOCIAL_VALUE_MINIMUM = Decimal("10")
POINTS = Decimal("0.01")


@dataclass(frozen=True)
class Criterion:
    """An award criterion: a name, a kind (price, quality or social_value) and a weight (%)."""

    name: str
    kind: str
    weight: Decimal


@rule
def rule_weights_sum_to_100(criteria: Sequence[Criterion]) -> Iterator[Breach]:
    """The weights of the award criteria must add up to 100."""
    total = sum((c.weight for c in criteria), Decimal(0))
    if total != 100:
        yield Breach(f"they add up to {total.normalize():f}", column="weights")


@rule
def rule_social_value_at_least_10(
    criteria: Sequence[Criterion], reason_for_lower: str = ""
) -> Iterator[Breach]:
    """Social value must carry at least 10% of the total score, unless a reason is recorded.

    The floor is :data:`SOCIAL_VALUE_MINIMUM` (PPN 002: a minimum 10% weighting).
    """
    weight = sum((c.weight for c in criteria if c.kind == "social_value"), Decimal(0))
    if weight < SOCIAL_VALUE_MINIMUM and not reason_for_lower.strip():
        yield Breach(
            f"social value carries {weight.normalize():f}% and no reason is recorded",
            column="social_value_weight",
        )


@rule
def rule_one_price_criterion(criteria: Sequence[Criterion]) -> Iterator[Breach]:
    """There can be only one price criterion."""
    prices = sum(1 for c in criteria if c.kind == "price")
    if prices > 1:
        yield Breach(f"{prices} criteria are price criteria", column="weights")


@rule
def rule_weights_above_zero(criteria: Sequence[Criterion]) -> Iterator[Breach]:
    """Every award criterion needs a weight above zero."""
    for c in criteria:
        if c.weight <= 0:
            yield Breach(f"{c.name} has weight {c.weight.normalize():f}", column="weights")


@rule
def rule_score_on_the_scale(score: object, column: str = "score") -> Iterator[Breach]:
    """Scores run from 0 to 5, whole numbers only (the evaluation scale).

    The top of the scale is :data:`MAX_SCORE`.
    """
    if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= MAX_SCORE:
        yield Breach(f"the score given is {str(score)[:20]!r}", column=column)


def check_criteria(criteria: Sequence[Criterion], reason_for_lower: str = "") -> list[Problem]:
    """Every rule broken by a set of award criteria (empty when they are valid)."""
    return check(
        rule_weights_sum_to_100(criteria),
        rule_social_value_at_least_10(criteria, reason_for_lower),
        rule_one_price_criterion(criteria),
        rule_weights_above_zero(criteria),
    )


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
    """Points for a 0-5 consensus score: ``weight x score / MAX_SCORE``.

    >>> quality_points(4, Decimal("25"))
    Decimal('20.00')
    """
    if rule_score_on_the_scale(score):
        raise ValueError(rule_score_on_the_scale.text)
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
