"""Community budgets' API: the budgets a person may read, and one with its cost-benefit analysis."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from fullvalue.errors import PermissionDenied
from fullvalue.web.api.auth import request_actor
from fullvalue.web.api.pagination import Links, PageIn, page_out
from fullvalue.web.api.problems import ERRORS
from fullvalue.web.budgets import policy, selectors
from fullvalue.web.kernel.policy import refusal

router = Router(tags=["community budgets"])


class PartnerOut(Schema):
    """An agency in the budget."""

    organisation_id: int
    organisation: str
    is_lead: bool


class BudgetOut(Schema):
    """A community budget: who leads it, who it is for, its partners."""

    id: int
    name: str
    cohort: str
    lead_id: int
    lead: str
    created_at: dt.datetime
    partners: list[PartnerOut]


class BudgetPage(Schema):
    """One page of community budgets, in the order they were set up."""

    items: list[BudgetOut]
    next_cursor: str | None
    links: Links


class AgencyOut(Schema):
    """One agency's figures (present values in GBP as decimal strings, to the penny)."""

    agency: str
    pv_costs: str
    pv_fiscal_benefits: str
    pv_cashable_benefits: str
    payback_years: int | None


class CbaOut(Schema):
    """The engine's cost-benefit analysis (``fullvalue cba --format json``): money as strings."""

    name: str
    pv_costs: str
    pv_fiscal: str
    pv_economic: str
    pv_social: str
    fiscal_npv: str
    public_value_npv: str
    fiscal_roi: str | None
    public_value_roi: str | None
    payback_years: int | None
    by_agency: list[AgencyOut]


class CommitmentOut(Schema):
    """Money committed from the pool to a programme (GBP as a decimal string)."""

    programme: str
    programme_title: str
    amount: str
    committed_at: dt.datetime


class LedgerOut(Schema):
    """The pool's totals from agreed contributions and commitments (GBP as decimal strings)."""

    pooled_in: str
    aligned: str
    pending: str
    commissioned_out: str
    balance: str
    commitments: list[CommitmentOut]


class BudgetDetailOut(BudgetOut):
    """A community budget with its business case's figures and the pool's ledger."""

    years: int
    discount_rate: str
    cba: CbaOut
    ledger: LedgerOut


def _out(budget: Any) -> dict[str, Any]:
    partners = selectors.partners_of(budget)
    return {
        "id": budget.id,
        "name": budget.name,
        "cohort": budget.cohort,
        "lead_id": budget.lead_id,
        "lead": budget.lead.name,
        "created_at": budget.created_at,
        "partners": [
            {
                "organisation_id": p.organisation_id,
                "organisation": p.organisation.name,
                "is_lead": p.organisation_id == budget.lead_id,
            }
            for p in partners
        ],
    }


@router.get("/community-budgets", response={200: BudgetPage, **ERRORS})
def list_community_budgets(request: HttpRequest, page: Query[PageIn]) -> Any:
    """Community budgets your organisation is a partner in (all, for auditors)."""
    actor = request_actor(request)
    if not policy.can_see_budgets(actor):
        raise PermissionDenied(refusal(policy.can_see_budgets))
    items, rest = page_out(request, selectors.budgets_listed(actor), page)
    return {"items": [_out(b) for b in items], **rest}


@router.get("/community-budgets/{budget_id}", response={200: BudgetDetailOut, **ERRORS})
def get_community_budget(request: HttpRequest, budget_id: int) -> Any:
    """One community budget: partners, the cost-benefit analysis of its case, the pool's ledger."""
    actor = request_actor(request)
    budget = selectors.budget_get(actor, budget_id)
    analysis = selectors.analysis_of(budget)
    ledger = selectors.ledger_of(budget)
    return {
        **_out(budget),
        "years": analysis.case.years,
        "discount_rate": str(analysis.case.discount_rate),
        "cba": analysis.result.as_dict(),
        "ledger": {
            "pooled_in": f"{ledger.pooled_in:.2f}",
            "aligned": f"{ledger.aligned:.2f}",
            "pending": f"{ledger.pending:.2f}",
            "commissioned_out": f"{ledger.commissioned_out:.2f}",
            "balance": f"{ledger.balance:.2f}",
            "commitments": [
                {
                    "programme": c.programme.slug,
                    "programme_title": c.programme.title,
                    "amount": f"{c.amount:.2f}",
                    "committed_at": c.committed_at,
                }
                for c in ledger.commitments
            ],
        },
    }
