"""API for contracts in delivery: supply chains, imports, participants, claims, payment runs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from fullvalue.errors import NotFound
from fullvalue.web.api.auth import optional_actor
from fullvalue.web.api.pagination import paginate
from fullvalue.web.contracts.models import Contract
from fullvalue.web.contracts.services import contract_create, supply_chain_set
from fullvalue.web.delivery import selectors as delivery
from fullvalue.web.delivery.models import ImportJob
from fullvalue.web.delivery.services import (
    claim_decide,
    claim_dispute,
    claim_submit,
    import_preview,
    import_start,
)
from fullvalue.web.payruns import selectors as payments
from fullvalue.web.payruns.models import PaymentRun
from fullvalue.web.payruns.services import flowdown_confirm, payrun_approve, payrun_prepare

router = Router(tags=["delivery"])


class ContractIn(Schema):
    """A contract or grant entered directly."""

    title: str
    provider_id: int
    value: str = Field(description="GBP")
    kind: str = "contract"
    mechanism_toml: str = ""
    start_date: str | None = None
    end_date: str | None = None


class ChainIn(Schema):
    """The supply chain below the prime, and why it changes."""

    reason: str
    members: list[dict[str, Any]]


class DecisionIn(Schema):
    """Accept or reject a claim."""

    accept: bool
    reason: str = ""


class DisputeIn(Schema):
    """Grounds for disputing a rejected claim."""

    grounds: str


class PeriodIn(Schema):
    """The period to settle."""

    period: str


class ApproveIn(Schema):
    """When the prime is paid."""

    paid_on: dt.date | None = None


class ReceiptIn(Schema):
    """When the sub-contractor was paid."""

    paid_on: dt.date


def _actor(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _contract(contract_id: int) -> Contract:
    contract = (
        Contract.objects.select_related("commissioner", "provider").filter(id=contract_id).first()
    )
    if contract is None:
        raise NotFound("No such contract.")
    return contract


def _contract_out(c: Contract) -> dict[str, Any]:
    record = payments.payment_record(c)
    return {
        "id": c.id,
        "title": c.title,
        "kind": c.kind,
        "status": c.status,
        "commissioner": c.commissioner.name,
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
            for m in c.supply_chain.select_related("organisation")
        ],
        "payment_record": record.__dict__,
    }


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
            for p in run.flow_down.select_related("member")
        ],
    }


@router.get("/contracts", response=list[dict], auth=None)
def list_contracts(request: HttpRequest) -> Any:
    """Contracts with their supply chains and payment records (public)."""
    return [_contract_out(c) for c in Contract.objects.select_related("commissioner", "provider")]


@router.get("/contracts/{contract_id}", response=dict, auth=None)
def get_contract(request: HttpRequest, contract_id: int) -> Any:
    """One contract (public)."""
    optional_actor(request)
    return _contract_out(_contract(contract_id))


@router.post("/contracts", response={201: dict})
def create_contract(request: HttpRequest, payload: ContractIn) -> Any:
    """Enter an existing contract or grant (commissioners)."""
    return Status(201, _contract_out(contract_create(actor=_actor(request), data=payload.dict())))


@router.put("/contracts/{contract_id}/supply-chain", response=dict)
def set_chain(request: HttpRequest, contract_id: int, payload: ChainIn) -> Any:
    """Set the sub-contractors (terms of 30 days or fewer); recorded as a variation."""
    supply_chain_set(
        actor=_actor(request),
        contract_id=contract_id,
        members=payload.members,
        reason=payload.reason,
    )
    return _contract_out(_contract(contract_id))


@router.post("/contracts/{contract_id}/imports", response={201: dict})
def upload(request: HttpRequest, contract_id: int, file: File[UploadedFile]) -> Any:
    """Check a participants or outcomes file; every bad row is named; nothing is written yet."""
    job, _ = import_preview(
        actor=_actor(request),
        contract_id=contract_id,
        filename=file.name or "upload.csv",
        content=file.read(),
    )
    return Status(201, {"id": job.id, "status": job.status, **job.result})


@router.post("/imports/{job_id}/start", response=dict)
def start(request: HttpRequest, job_id: int, valid_rows_only: bool = False) -> Any:
    """Start the background import (all rows, or only the valid ones)."""
    job = import_start(actor=_actor(request), job_id=job_id, valid_rows_only=valid_rows_only)
    return {"id": job.id, "status": job.status}


@router.get("/imports/{job_id}", response=dict)
def import_status(request: HttpRequest, job_id: int) -> Any:
    """An import's status, progress and result."""
    job = ImportJob.objects.filter(id=job_id, uploaded_by_id=_actor(request).user_id).first()
    if job is None:
        raise NotFound("No such import.")
    return {
        "id": job.id,
        "status": job.status,
        "processed": job.processed_rows,
        "total": job.total_rows,
        "result": job.result,
    }


@router.get("/contracts/{contract_id}/participants", response=dict)
def participants(
    request: HttpRequest, contract_id: int, cursor: str | None = None, limit: int = 100
) -> Any:
    """Participants by pseudonym (providers see their own); identities are never in the API."""
    qs = delivery.participants_for(_actor(request), _contract(contract_id))
    items, next_cursor, next_url = paginate(
        request, qs, cursor=cursor, limit=limit, key="pseudonym"
    )
    return {
        "items": [
            {
                "pseudonym": p.pseudonym,
                "provider_id": p.provider_id,
                "cohort": p.cohort,
                "referred_on": p.referred_on,
                "started_on": p.started_on,
                "left_on": p.left_on,
            }
            for p in items
        ],
        "next_cursor": next_cursor,
        "links": {"next": next_url},
    }


@router.get("/contracts/{contract_id}/equality", response=dict)
def equality(request: HttpRequest, contract_id: int) -> Any:
    """Equality monitoring in aggregate, small numbers suppressed."""
    return delivery.equality_summary(_actor(request), _contract(contract_id))


@router.post("/events/{event_id}/claim", response={201: dict})
def claim(request: HttpRequest, event_id: int) -> Any:
    """Claim an outcome event."""
    c = claim_submit(actor=_actor(request), event_id=event_id)
    return Status(201, {"id": c.id, "status": c.status})


@router.post("/claims/{claim_id}/decision", response=dict)
def decide(request: HttpRequest, claim_id: int, payload: DecisionIn) -> Any:
    """Accept or reject a claim (the commissioner)."""
    c = claim_decide(
        actor=_actor(request), claim_id=claim_id, accept=payload.accept, reason=payload.reason
    )
    return {"id": c.id, "status": c.status, "reason": c.reason}


@router.post("/claims/{claim_id}/dispute", response=dict)
def dispute(request: HttpRequest, claim_id: int, payload: DisputeIn) -> Any:
    """Dispute a rejected claim (the provider)."""
    c = claim_dispute(actor=_actor(request), claim_id=claim_id, grounds=payload.grounds)
    return {"id": c.id, "status": c.status}


@router.post("/contracts/{contract_id}/payment-runs", response={201: dict})
def prepare(request: HttpRequest, contract_id: int, payload: PeriodIn) -> Any:
    """Prepare a payment run for a period (the engine's settlement, net of approved runs)."""
    return Status(
        201,
        _run_out(
            payrun_prepare(actor=_actor(request), contract_id=contract_id, period=payload.period)
        ),
    )


@router.post("/payment-runs/{run_id}/approve", response=dict)
def approve(request: HttpRequest, run_id: int, payload: ApproveIn) -> Any:
    """Approve a run (not by its preparer); creates what is owed down the supply chain."""
    return _run_out(payrun_approve(actor=_actor(request), run_id=run_id, paid_on=payload.paid_on))


@router.post("/flow-down/{payment_id}/confirm", response=dict)
def confirm(request: HttpRequest, payment_id: int, payload: ReceiptIn) -> Any:
    """Confirm receipt of a payment from the prime (the sub-contractor)."""
    p = flowdown_confirm(actor=_actor(request), payment_id=payment_id, paid_on=payload.paid_on)
    return {"id": p.id, "paid_on": p.paid_on, "due_on": p.due_on}


@router.get("/owed", response=list[dict])
def owed(request: HttpRequest) -> Any:
    """What your organisation is owed (or was paid) through supply chains."""
    return [
        {
            "id": p.id,
            "contract_id": p.run.contract_id,
            "period": p.run.period,
            "amount": str(p.amount),
            "due_on": p.due_on,
            "paid_on": p.paid_on,
        }
        for p in payments.owed_to(_actor(request))
    ]
