"""API for payments: payment runs, what is owed down the supply chain, working capital."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Prefetch
from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from fullvalue.web.api.auth import request_actor
from fullvalue.web.api.pagination import Links, PageIn, page_out
from fullvalue.web.api.problems import ERRORS, WRITE_ERRORS
from fullvalue.web.api.schemas import Id
from fullvalue.web.contracts.api import get_contract_or_404
from fullvalue.web.payruns import selectors as payments
from fullvalue.web.payruns.cash import cash_timeline
from fullvalue.web.payruns.models import FlowDownPayment, PaymentRun
from fullvalue.web.payruns.services import flowdown_confirm, payrun_approve, payrun_prepare

router = Router(tags=["delivery"])


class PeriodIn(Schema):
    """The period to settle."""

    period: str = Field(description="a period name from the contract's mechanism")


class ApproveIn(Schema):
    """When the prime is paid."""

    paid_on: dt.date | None = None


class ReceiptIn(Schema):
    """When the sub-contractor was paid."""

    paid_on: dt.date


class RunLineOut(Schema):
    """One line of a payment run's settlement."""

    period: str
    cohort: str | None = Field(description="null for a line about the whole contract")
    component: str
    amount: str = Field(description="GBP")
    reason: str


class FlowDownOut(Schema):
    """What the prime owes a sub-contractor from a run."""

    id: int
    organisation_id: int
    amount: str = Field(description="GBP")
    due_on: dt.date
    paid_on: dt.date | None


class RunOut(Schema):
    """A payment run."""

    id: int
    period: str
    status: str
    total: str = Field(description="GBP")
    lines: list[RunLineOut]
    paid_on: dt.date | None
    flow_down: list[FlowDownOut]


class RunPage(Schema):
    """One page of payment runs."""

    items: list[RunOut]
    next_cursor: str | None
    links: Links


class ReceiptOut(Schema):
    """A flow-down payment confirmed."""

    id: int
    paid_on: dt.date | None
    due_on: dt.date


class OwedOut(Schema):
    """A payment owed to (or made to) your organisation through a supply chain."""

    id: int
    contract_id: int
    period: str
    amount: str = Field(description="GBP")
    due_on: dt.date
    paid_on: dt.date | None


class OwedPage(Schema):
    """One page of what you are owed."""

    items: list[OwedOut]
    next_cursor: str | None
    links: Links


class CashPeriodOut(Schema):
    """One period of a cash timeline (GBP)."""

    period: str
    status: str = Field(description="actual, current or projected")
    actual_in: str
    actual_out: str
    projected_in: str
    projected_out: str
    cumulative: str
    cumulative_p5: str | None
    cumulative_p95: str | None


class CashOut(Schema):
    """A provider's cash timeline on a contract."""

    organisation_id: int
    is_prime: bool
    peak_need: str = Field(description="GBP")
    peak_period: str
    peak_is_actual: bool
    projected: bool
    periods: list[CashPeriodOut]


def _run_out(run: PaymentRun) -> dict[str, Any]:
    return {
        "id": run.id,
        "period": run.period,
        "status": run.status,
        "total": str(run.total),
        "lines": run.lines,
        "paid_on": run.paid_on,
        "flow_down": [
            {
                "id": p.id,
                "organisation_id": p.member.organisation_id,
                "amount": str(p.amount),
                "due_on": p.due_on,
                "paid_on": p.paid_on,
            }
            for p in run.flow_down.all()
        ],
    }


def _one_run(run_id: int) -> dict[str, Any]:
    return _run_out(_with_flow_down(PaymentRun.objects.all()).get(id=run_id))


def _with_flow_down(qs: Any) -> Any:
    return qs.prefetch_related(
        Prefetch("flow_down", queryset=FlowDownPayment.objects.select_related("member"))
    )


@router.get("/contracts/{contract_id}/payment-runs", response={200: RunPage, **ERRORS})
def list_runs(request: HttpRequest, contract_id: Id, page: Query[PageIn]) -> Any:
    """A contract's payment runs (the commissioner, the prime, auditors), oldest first."""
    qs = payments.runs_for(request_actor(request), get_contract_or_404(contract_id))
    items, rest = page_out(request, _with_flow_down(qs), page)
    return {"items": [_run_out(r) for r in items], **rest}


@router.post("/contracts/{contract_id}/payment-runs", response={201: RunOut, **WRITE_ERRORS})
def prepare(request: HttpRequest, contract_id: Id, payload: PeriodIn) -> Any:
    """Prepare a payment run for a period (the engine's settlement, net of approved runs)."""
    run = payrun_prepare(
        actor=request_actor(request), contract_id=contract_id, period=payload.period
    )
    return Status(201, _one_run(run.id))


@router.post("/payment-runs/{run_id}/approve", response={200: RunOut, **WRITE_ERRORS})
def approve(request: HttpRequest, run_id: Id, payload: ApproveIn) -> Any:
    """Approve a run (not by its preparer); creates what is owed down the supply chain."""
    run = payrun_approve(actor=request_actor(request), run_id=run_id, paid_on=payload.paid_on)
    return _one_run(run.id)


@router.post("/flow-down/{payment_id}/confirm", response={200: ReceiptOut, **WRITE_ERRORS})
def confirm(request: HttpRequest, payment_id: Id, payload: ReceiptIn) -> Any:
    """Confirm receipt of a payment from the prime (the sub-contractor)."""
    p = flowdown_confirm(
        actor=request_actor(request), payment_id=payment_id, paid_on=payload.paid_on
    )
    return {"id": p.id, "paid_on": p.paid_on, "due_on": p.due_on}


@router.get("/owed", response={200: OwedPage, **ERRORS})
def owed(request: HttpRequest, page: Query[PageIn]) -> Any:
    """What your organisation is owed (or was paid) through supply chains."""
    items, rest = page_out(request, payments.owed_to(request_actor(request)), page)
    return {
        "items": [
            {
                "id": p.id,
                "contract_id": p.run.contract_id,
                "period": p.run.period,
                "amount": str(p.amount),
                "due_on": p.due_on,
                "paid_on": p.paid_on,
            }
            for p in items
        ],
        **rest,
    }


@router.get("/contracts/{contract_id}/cash", response={200: CashOut, **ERRORS})
def cash(request: HttpRequest, contract_id: Id, organisation_id: Id | None = None) -> Any:
    """A provider's cash timeline: actual to date, then projected (median and 5th-95th band)."""
    t = cash_timeline(request_actor(request), get_contract_or_404(contract_id), organisation_id)
    return {
        "organisation_id": t.member.organisation_id,
        "is_prime": t.is_prime,
        "peak_need": str(t.peak_need),
        "peak_period": t.peak_period,
        "peak_is_actual": t.peak_is_actual,
        "projected": t.projected,
        "periods": [
            {
                "period": p.name,
                "status": p.status,
                "actual_in": str(p.actual_in),
                "actual_out": str(p.actual_out),
                "projected_in": str(p.projected_in),
                "projected_out": str(p.projected_out),
                "cumulative": str(p.cumulative),
                "cumulative_p5": None if p.cumulative_p5 is None else str(p.cumulative_p5),
                "cumulative_p95": None if p.cumulative_p95 is None else str(p.cumulative_p95),
            }
            for p in t.periods
        ],
    }
