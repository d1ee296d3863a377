"""Scoring a lot: price and social value by formula, quality by consensus, totals and ranks.

- **Price**: ``weight × lowest compliant price / bid price`` (the lowest scores full marks).
- **Quality**: ``weight × consensus score / MAX_SCORE`` (5) for each quality criterion.
- **Social value**: the bid's commitments valued as ``Σ quantity × proxy value`` (GBP), scored
  ``weight × bid value / highest value among compliant bids`` (the most valuable scores full
  marks; no commitments score 0).
- A bid that answers "no" to any pass/fail question, or declares exclusion grounds, is not
  compliant and is not ranked.
- Ranking: highest total; ties go to the higher quality-plus-social-value points, then the lower
  price (``fullvalue.domain.evaluation.rank_bids``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from fullvalue.domain.evaluation import MAX_SCORE, POINTS, price_score, quality_points, rank_bids
from fullvalue.errors import Problem
from fullvalue.web.tendering.models import Bid, Consensus, Lot
from fullvalue.web.tendering.sealing import unseal


@dataclass
class BidResult:
    """One bid's points per criterion, total, compliance and rank."""

    bid_id: int
    lead: str
    price: Decimal
    social_value_gbp: Decimal
    compliant: bool
    failures: list[str] = field(default_factory=list)
    points: dict[int, Decimal] = field(default_factory=dict)
    reasons: dict[int, str] = field(default_factory=dict)
    total: Decimal = Decimal(0)
    rank: int | None = None


@dataclass
class LotResults:
    """Every bid's result for a lot, plus anything that stops an award."""

    lot_id: int
    bids: list[BidResult]
    problems: list[Problem]

    @property
    def winner(self) -> int | None:
        """The first-ranked bid, or ``None`` when no bid is compliant or the top is tied."""
        top = [b for b in self.bids if b.rank == 1]
        return top[0].bid_id if len(top) == 1 else None

    def as_json(self) -> dict[str, Any]:
        """Plain JSON for storing with the award and for feedback letters."""
        return {
            "bids": [
                {
                    "bid_id": b.bid_id,
                    "lead": b.lead,
                    "price": str(b.price),
                    "social_value_gbp": str(b.social_value_gbp),
                    "compliant": b.compliant,
                    "failures": b.failures,
                    "total": str(b.total),
                    "rank": b.rank,
                    "points": {str(k): str(v) for k, v in b.points.items()},
                    "reasons": {str(k): v for k, v in b.reasons.items()},
                }
                for b in self.bids
            ]
        }


def lot_results(lot: Lot) -> LotResults:
    """Score every submitted bid for a lot from the stored consensus and sealed contents."""
    criteria = list(lot.tender.criteria.all())
    questions = {str(q.id): q.text for q in lot.tender.pass_fail.all()}
    bids = list(Bid.objects.filter(lot=lot, status=Bid.Status.SUBMITTED).select_related("lead"))
    consensus = {(c.bid_id, c.criterion_id): c for c in Consensus.objects.filter(bid__in=bids)}
    problems: list[Problem] = []
    results: list[BidResult] = []
    for bid in bids:
        contents = unseal(bid.sealed)
        value = sum(
            (Decimal(c["quantity"]) * Decimal(c["proxy_value"]) for c in contents["social_value"]),
            Decimal(0),
        )
        failures = [
            f"Pass/fail: {questions[q]}"
            for q, ok in contents["pass_fail"].items()
            if not ok and q in questions
        ]
        if contents["declarations"].get("exclusion_grounds"):
            failures.append("Declared exclusion grounds")
        results.append(
            BidResult(
                bid.id,
                bid.lead.name,
                Decimal(contents["price"]),
                value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
                not failures,
                failures,
            )
        )
    compliant = [r for r in results if r.compliant]
    lowest = min((r.price for r in compliant), default=None)
    best_sv = max((r.social_value_gbp for r in compliant), default=Decimal(0))
    for r in compliant:
        for c in criteria:
            if c.kind == "price":
                r.points[c.id] = price_score(lowest, r.price, c.weight)  # type: ignore[arg-type]
                r.reasons[c.id] = f"Price £{r.price:,.2f}; lowest compliant price £{lowest:,.2f}"
            elif c.kind == "social_value":
                share = r.social_value_gbp / best_sv if best_sv > 0 else Decimal(0)
                r.points[c.id] = (c.weight * share).quantize(POINTS, rounding=ROUND_HALF_UP)
                r.reasons[c.id] = (
                    f"Social value commitments worth £{r.social_value_gbp:,.2f}; "
                    f"highest £{best_sv:,.2f}"
                )
            else:
                agreed = consensus.get((r.bid_id, c.id))
                if agreed is None:
                    problems.append(
                        Problem(
                            f"Bid {r.bid_id} has no consensus score for “{c.name}”",
                            column="consensus",
                        )
                    )
                    continue
                r.points[c.id] = quality_points(agreed.score, c.weight)
                r.reasons[c.id] = f"Consensus score {agreed.score}/{MAX_SCORE}: {agreed.reason}"
        r.total = sum(r.points.values(), Decimal(0))
    quality_ids = {c.id for c in criteria if c.kind != "price"}
    ranked = rank_bids(
        [
            (
                r.bid_id,
                r.total,
                sum((v for k, v in r.points.items() if k in quality_ids), Decimal(0)),
                r.price,
            )
            for r in compliant
        ]
    )
    ranks = {x.bid_id: x.rank for x in ranked}
    for r in results:
        r.rank = ranks.get(r.bid_id)
    if not problems and sum(1 for x in ranked if x.rank == 1) > 1:
        problems.append(
            Problem(
                "The top bids are tied on total, quality and price: the panel "
                "must decide and record why",
                column="rank",
            )
        )
    results.sort(key=lambda r: (r.rank is None, r.rank or 0, r.bid_id))
    return LotResults(lot.id, results, problems)
