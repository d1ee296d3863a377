"""Reads of community budgets: the budgets a person may see, the engine's analysis, the ledger.

The business case is kept as the engine's TOML text; every figure on the pages and in the API is
worked out from it by ``fullvalue.engine.cba`` (nothing is stored twice).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet

from fullvalue.domain.roles import Role
from fullvalue.engine.cba import Case, CbaResult, Scenario, cost_benefit, parse_case, sensitivity
from fullvalue.errors import NotFound, PermissionDenied
from fullvalue.web.budgets import policy
from fullvalue.web.budgets.models import Commitment, CommunityBudget, Contribution, Partner
from fullvalue.web.kernel.actor import Actor
from fullvalue.web.kernel.policy import refusal

KIND_WORDS = dict(Contribution.Kind.choices)


def budgets_listed(actor: Actor) -> QuerySet[CommunityBudget]:
    """The budgets the actor may read: all for auditors and admins, else its organisation's."""
    qs = CommunityBudget.objects.select_related("lead")
    if actor.role in (Role.AUDITOR, Role.SYSTEM_ADMIN):
        return qs.order_by("-created_at", "-id")
    if not policy.commissions_for_organisation(actor):
        return qs.none()
    mine = Q(partners__organisation_id=actor.organisation_id) | Q(lead_id=actor.organisation_id)
    return qs.filter(mine).distinct().order_by("-created_at", "-id")


def partner_ids(budget: CommunityBudget) -> set[int]:
    """The organisations in the budget (the lead is always one)."""
    return {budget.lead_id, *budget.partners.values_list("organisation_id", flat=True)}


def budget_get(actor: Actor, budget_id: int) -> CommunityBudget:
    """One budget the actor may read (NotFound when there is none, refused when not a partner)."""
    budget = CommunityBudget.objects.select_related("lead").filter(id=budget_id).first()
    if budget is None:
        raise NotFound("No such community budget.")
    if not policy.can_read_budget(actor, budget, partner_ids(budget)):
        raise PermissionDenied(refusal(policy.can_read_budget))
    return budget


def partners_of(budget: CommunityBudget) -> list[Partner]:
    """The partners, the lead first, then by name."""
    partners = list(
        budget.partners.select_related("organisation", "approver__user").order_by(
            "organisation__name"
        )
    )
    return sorted(partners, key=lambda p: p.organisation_id != budget.lead_id)


def case_of(budget: CommunityBudget) -> Case:
    """The engine's reading of the stored business case (checked when it was saved)."""
    return parse_case(budget.case_toml, source="case")


@dataclass(frozen=True)
class Analysis:
    case: Case
    result: CbaResult
    scenarios: tuple[Scenario, ...]


def analysis_of(budget: CommunityBudget) -> Analysis:
    """The cost-benefit analysis of the budget's business case, and its sensitivity."""
    case = case_of(budget)
    return Analysis(case, cost_benefit(case), sensitivity(case))


@dataclass(frozen=True)
class Ledger:
    rows: list[Contribution]
    commitments: list[Commitment]
    pooled_in: Decimal
    aligned: Decimal
    pending: Decimal
    commissioned_out: Decimal

    @property
    def balance(self) -> Decimal:
        """Agreed pooled money not yet commissioned."""
        return self.pooled_in - self.commissioned_out


def ledger_of(budget: CommunityBudget) -> Ledger:
    """Every contribution, by year and partner, with the pool's totals.

    Only agreed contributions count: pooled money is in the pool, aligned money stays in the
    partner's own budget and is shown beside it. What goes out is what the lead has committed
    from the pool to its programmes.
    """
    rows = list(
        Contribution.objects.filter(budget=budget)
        .select_related("partner__organisation", "recorded_by", "agreed_by")
        .order_by("year", "partner__organisation__name", "kind")
    )
    agreed = [c for c in rows if c.agreed_at is not None]
    commitments = list(
        Commitment.objects.filter(budget=budget)
        .select_related("programme", "committed_by")
        .order_by("committed_at", "id")
    )
    zero = Decimal("0.00")
    return Ledger(
        rows=rows,
        commitments=commitments,
        pooled_in=sum((c.amount for c in agreed if c.kind == Contribution.Kind.POOLED), zero),
        aligned=sum((c.amount for c in agreed if c.kind == Contribution.Kind.ALIGNED), zero),
        pending=sum((c.amount for c in rows if c.agreed_at is None), zero),
        commissioned_out=sum((c.amount for c in commitments), zero),
    )


def awaiting_agreement(actor: Actor) -> list[Contribution]:
    """Contributions the actor may agree for its organisation, oldest first."""
    if not policy.commissions_for_organisation(actor):
        return []
    pending = (
        Contribution.objects.filter(
            agreed_at__isnull=True, partner__organisation_id=actor.organisation_id or 0
        )
        .select_related("budget", "partner")
        .order_by("recorded_at", "id")
    )
    return [c for c in pending if policy.can_agree_contribution(actor, c)]


def contribution_get(contribution_id: int) -> Contribution:
    contribution = (
        Contribution.objects.select_related("budget", "partner__organisation")
        .filter(id=contribution_id)
        .first()
    )
    if contribution is None:
        raise NotFound("No such contribution.")
    return contribution


def agency_rows(budget: CommunityBudget, result: CbaResult) -> list[dict[str, Any]]:
    """The engine's figures per agency, each marked when the agency is a partner on Fullvalue."""
    names = {p.organisation.name for p in budget.partners.select_related("organisation")}
    return [
        {
            "agency": a.agency,
            "pv_costs": a.pv_costs,
            "pv_fiscal_benefits": a.pv_fiscal_benefits,
            "pv_cashable_benefits": a.pv_cashable_benefits,
            "net": a.pv_fiscal_benefits - a.pv_costs,
            "payback_years": a.payback_years,
            "is_partner": a.agency in names,
        }
        for a in result.by_agency
    ]


def against_the_case(budget: CommunityBudget, case: Case, ledger: Ledger) -> list[dict[str, Any]]:
    """Per partner: what the case says it pays over its years, and what it has agreed so far.

    A partner is matched to the case's costs by its organisation's name; a partner the case does
    not name is shown with nothing expected (the case's agency names are the analysts' own).
    """
    expected: dict[str, Decimal] = {}
    for cost in case.costs:
        expected[cost.agency] = expected.get(cost.agency, Decimal(0)) + sum(
            cost.amounts, Decimal(0)
        )
    out = []
    for partner in partners_of(budget):
        name = partner.organisation.name
        agreed = [c for c in ledger.rows if c.partner_id == partner.id and c.agreed_at]
        out.append(
            {
                "partner": name,
                "expected": expected.get(name),
                "agreed": sum((c.amount for c in agreed), Decimal("0.00")),
            }
        )
    return out
