"""API for contracts: the public register, entering one, its supply chain, KPIs, milestones."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from fullvalue.errors import NotFound
from fullvalue.web.api.auth import optional_actor, request_actor
from fullvalue.web.api.pagination import Links, PageIn, page_out
from fullvalue.web.api.problems import ERRORS, WRITE_ERRORS
from fullvalue.web.api.schemas import MAX_INT, Id, Money, Share
from fullvalue.web.contracts.models import Contract, SupplyChainMember
from fullvalue.web.contracts.services import (
    contract_create,
    kpi_add,
    kpi_observe,
    milestone_add,
    milestone_met,
    supply_chain_set,
)
from fullvalue.web.payruns.selectors import PaymentRecord, payment_records

router = Router(tags=["delivery"])

Amount = Annotated[Decimal, Field(max_digits=14, decimal_places=2, description="in the KPI's unit")]


class ContractIn(Schema):
    """A contract or grant entered directly."""

    title: str
    provider_id: Id
    value: Money = Field(description="GBP")
    kind: str = Field("contract", description="contract or grant")
    mechanism_toml: str = ""
    start_date: dt.date | None = None
    end_date: dt.date | None = None


class ChainMemberIn(Schema):
    """A sub-contractor, its shares and payment terms."""

    organisation_id: Id
    share_of_value: Share
    share_of_work: Share
    upfront_share: Share = Decimal(0)
    carries_working_capital: bool = False
    payment_terms_days: int = Field(30, ge=0, le=MAX_INT, description="30 or fewer")


class ChainIn(Schema):
    """The supply chain below the prime, and why it changes."""

    reason: str
    members: list[ChainMemberIn]


class SupplyChainMemberOut(Schema):
    """A member of a contract's supply chain (the prime included)."""

    organisation_id: int
    organisation: str
    share_of_value: str = Field(description="proportion 0-1")
    share_of_work: str = Field(description="proportion 0-1")
    payment_terms_days: int


class PaymentRecordOut(Schema):
    """How promptly the prime pays its supply chain."""

    payments: int
    paid: int
    average_days_to_pay: float | None
    share_within_30_days: float | None = Field(description="proportion 0-1")
    overdue: int


class ContractOut(Schema):
    """A contract, its supply chain and its prime's payment record (public)."""

    id: int
    title: str
    kind: str
    status: str
    commissioner_id: int
    commissioner: str
    provider_id: int
    provider: str
    value: str = Field(description="GBP")
    supply_chain: list[SupplyChainMemberOut]
    payment_record: PaymentRecordOut


class ContractPage(Schema):
    """One page of contracts."""

    items: list[ContractOut]
    next_cursor: str | None
    links: Links


class KpiIn(Schema):
    """A KPI and its target."""

    name: str
    unit: str
    target: Amount
    higher_is_better: bool = True


class KpiOut(Schema):
    """A KPI added."""

    id: int
    name: str
    target: str
    unit: str


class ObservationIn(Schema):
    """A KPI's actual value for a period."""

    period_start: dt.date
    period_end: dt.date
    value: Amount
    note: str = ""


class ObservationOut(Schema):
    """A KPI's value recorded."""

    id: int
    value: str
    on_target: bool


class MilestoneIn(Schema):
    """A milestone and its due date."""

    title: str
    due_date: dt.date


class MilestoneOut(Schema):
    """A milestone added."""

    id: int
    title: str
    due_date: dt.date


class MetIn(Schema):
    """When a milestone was met."""

    met_on: dt.date


class MetOut(Schema):
    """A milestone met."""

    id: int
    met_on: dt.date | None


def _contracts() -> QuerySet[Contract]:
    return Contract.objects.select_related("commissioner", "provider").prefetch_related(
        Prefetch("supply_chain", queryset=SupplyChainMember.objects.select_related("organisation"))
    )


def get_contract_or_404(contract_id: int) -> Contract:
    """The contract with ``contract_id`` (commissioner and provider loaded), or a 404 problem."""
    contract = _contracts().filter(id=contract_id).first()
    if contract is None:
        raise NotFound("No such contract.")
    return contract


def _contract_out(c: Contract, record: PaymentRecord) -> dict[str, Any]:
    return {
        "id": c.id,
        "title": c.title,
        "kind": c.kind,
        "status": c.status,
        "commissioner_id": c.commissioner_id,
        "commissioner": c.commissioner.name,
        "provider_id": c.provider_id,
        "provider": c.provider.name,
        "value": str(c.value),
        "supply_chain": [
            {
                "organisation_id": m.organisation_id,
                "organisation": m.organisation.name,
                "share_of_value": str(m.share_of_value),
                "share_of_work": str(m.share_of_work),
                "payment_terms_days": m.payment_terms_days,
            }
            for m in c.supply_chain.all()
        ],
        "payment_record": record.__dict__,
    }


def _one_out(contract_id: int) -> dict[str, Any]:
    c = get_contract_or_404(contract_id)
    return _contract_out(c, payment_records([c.id])[c.id])


@router.get("/contracts", response={200: ContractPage, **ERRORS}, auth=None)
def list_contracts(request: HttpRequest, page: Query[PageIn]) -> Any:
    """Contracts with their supply chains and payment records (public)."""
    optional_actor(request)
    items, rest = page_out(request, _contracts(), page)
    records = payment_records([c.id for c in items])
    return {"items": [_contract_out(c, records[c.id]) for c in items], **rest}


@router.get("/contracts/{contract_id}", response={200: ContractOut, **ERRORS}, auth=None)
def get_contract(request: HttpRequest, contract_id: Id) -> Any:
    """One contract (public)."""
    optional_actor(request)
    return _one_out(contract_id)


@router.post("/contracts", response={201: ContractOut, **WRITE_ERRORS})
def create_contract(request: HttpRequest, payload: ContractIn) -> Any:
    """Enter an existing contract or grant (commissioners)."""
    c = contract_create(actor=request_actor(request), data=payload.dict())
    return Status(201, _one_out(c.id))


@router.put("/contracts/{contract_id}/supply-chain", response={200: ContractOut, **WRITE_ERRORS})
def set_chain(request: HttpRequest, contract_id: Id, payload: ChainIn) -> Any:
    """Set the sub-contractors (terms of 30 days or fewer); recorded as a variation."""
    supply_chain_set(
        actor=request_actor(request),
        contract_id=contract_id,
        members=[m.dict() for m in payload.members],
        reason=payload.reason,
    )
    return _one_out(contract_id)


@router.post("/contracts/{contract_id}/kpis", response={201: KpiOut, **WRITE_ERRORS})
def add_kpi(request: HttpRequest, contract_id: Id, payload: KpiIn) -> Any:
    """Add a KPI with its target (the commissioner)."""
    k = kpi_add(actor=request_actor(request), contract_id=contract_id, data=payload.dict())
    return Status(201, {"id": k.id, "name": k.name, "target": str(k.target), "unit": k.unit})


@router.post("/kpis/{kpi_id}/observations", response={201: ObservationOut, **WRITE_ERRORS})
def observe_kpi(request: HttpRequest, kpi_id: Id, payload: ObservationIn) -> Any:
    """Record a KPI's value for a period (the commissioner or the prime); replaces that period's."""
    data = {**payload.dict(), "period_start": str(payload.period_start)}
    data["period_end"] = str(payload.period_end)
    o = kpi_observe(actor=request_actor(request), kpi_id=kpi_id, data=data)
    return Status(201, {"id": o.id, "value": str(o.value), "on_target": o.on_target})


@router.post("/contracts/{contract_id}/milestones", response={201: MilestoneOut, **WRITE_ERRORS})
def add_milestone(request: HttpRequest, contract_id: Id, payload: MilestoneIn) -> Any:
    """Add a milestone (the commissioner)."""
    m = milestone_add(
        actor=request_actor(request),
        contract_id=contract_id,
        title=payload.title,
        due_date=str(payload.due_date),
    )
    return Status(201, {"id": m.id, "title": m.title, "due_date": m.due_date})


@router.post("/milestones/{milestone_id}/met", response={200: MetOut, **WRITE_ERRORS})
def met_milestone(request: HttpRequest, milestone_id: Id, payload: MetIn) -> Any:
    """Record that a milestone was met (the commissioner)."""
    m = milestone_met(
        actor=request_actor(request), milestone_id=milestone_id, met_on=str(payload.met_on)
    )
    return {"id": m.id, "met_on": m.met_on}
