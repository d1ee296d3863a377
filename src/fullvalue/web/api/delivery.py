"""API for contracts in delivery.

Supply chains, KPIs, milestones, imports, participants, evidence, claims, reoffending results,
payment runs and working-capital timelines.
"""

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
from fullvalue.web.contracts.services import (
    contract_create,
    kpi_add,
    kpi_observe,
    milestone_add,
    milestone_met,
    supply_chain_set,
)
from fullvalue.web.core.tables import check_size
from fullvalue.web.delivery import selectors as delivery
from fullvalue.web.delivery.imports import LIMITS
from fullvalue.web.delivery.models import ImportJob, ReoffendingResult
from fullvalue.web.delivery.reoffending import extract_measure, results_upload
from fullvalue.web.delivery.services import (
    MAX_EVIDENCE_BYTES,
    claim_decide,
    claim_dispute,
    claim_submit,
    evidence_attach,
    import_preview,
    import_start,
)
from fullvalue.web.payruns import selectors as payments
from fullvalue.web.payruns.cash import cash_timeline
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


class KpiIn(Schema):
    """A KPI and its target."""

    name: str
    unit: str
    target: str
    higher_is_better: bool = True


class ObservationIn(Schema):
    """A KPI's actual value for a period."""

    period_start: dt.date
    period_end: dt.date
    value: str
    note: str = ""


class MilestoneIn(Schema):
    """A milestone and its due date."""

    title: str
    due_date: dt.date


class MetIn(Schema):
    """When a milestone was met."""

    met_on: dt.date


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
    """Check a participants or outcomes file; every bad row is named; nothing is written yet.

    A file over a limit (size, unpacked size, compression ratio, rows, columns) is refused with
    413 or 422 naming the limit, before anything is written.
    """
    actor = _actor(request)
    filename = file.name or "upload.csv"
    check_size(filename, file.size or 0, LIMITS)  # before reading it into memory
    job, _ = import_preview(
        actor=actor, contract_id=contract_id, filename=filename, content=file.read()
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


@router.post("/contracts/{contract_id}/kpis", response={201: dict})
def add_kpi(request: HttpRequest, contract_id: int, payload: KpiIn) -> Any:
    """Add a KPI with its target (the commissioner)."""
    k = kpi_add(actor=_actor(request), contract_id=contract_id, data=payload.dict())
    return Status(201, {"id": k.id, "name": k.name, "target": str(k.target), "unit": k.unit})


@router.post("/kpis/{kpi_id}/observations", response={201: dict})
def observe_kpi(request: HttpRequest, kpi_id: int, payload: ObservationIn) -> Any:
    """Record a KPI's value for a period (the commissioner or the prime); replaces that period's."""
    data = {**payload.dict(), "period_start": str(payload.period_start)}
    data["period_end"] = str(payload.period_end)
    o = kpi_observe(actor=_actor(request), kpi_id=kpi_id, data=data)
    return Status(201, {"id": o.id, "value": str(o.value), "on_target": o.on_target})


@router.post("/contracts/{contract_id}/milestones", response={201: dict})
def add_milestone(request: HttpRequest, contract_id: int, payload: MilestoneIn) -> Any:
    """Add a milestone (the commissioner)."""
    m = milestone_add(
        actor=_actor(request),
        contract_id=contract_id,
        title=payload.title,
        due_date=str(payload.due_date),
    )
    return Status(201, {"id": m.id, "title": m.title, "due_date": m.due_date})


@router.post("/milestones/{milestone_id}/met", response=dict)
def met_milestone(request: HttpRequest, milestone_id: int, payload: MetIn) -> Any:
    """Record that a milestone was met (the commissioner)."""
    m = milestone_met(actor=_actor(request), milestone_id=milestone_id, met_on=str(payload.met_on))
    return {"id": m.id, "met_on": m.met_on}


@router.post("/events/{event_id}/evidence", response=dict)
def add_evidence(request: HttpRequest, event_id: int, file: File[UploadedFile]) -> Any:
    """Attach a PDF, PNG, JPEG or DOCX file as an outcome's evidence (the delivering provider)."""
    e = evidence_attach(
        actor=_actor(request),
        event_id=event_id,
        filename=file.name or "evidence",
        content=file.read(MAX_EVIDENCE_BYTES + 1),
    )
    return {"id": e.id, "evidence": e.evidence}


def _result_out(r: ReoffendingResult) -> dict[str, Any]:
    return {
        "period": r.period,
        "cohort": r.cohort,
        "measure": r.measure,
        "size": r.size,
        "treated": str(r.treated),
        "comparison": str(r.comparison),
        "ci_low": None if r.ci_low is None else str(r.ci_low),
        "ci_high": None if r.ci_high is None else str(r.ci_high),
        "p_value": None if r.p_value is None else str(r.p_value),
        "source": r.source,
        "note": r.note,
    }


@router.get("/contracts/{contract_id}/reoffending-results", response=list[dict])
def reoffending_list(request: HttpRequest, contract_id: int) -> Any:
    """Reoffending results recorded for the contract (those who may see its delivery data)."""
    contract = _contract(contract_id)
    delivery.participants_for(_actor(request), contract)
    return [_result_out(r) for r in ReoffendingResult.objects.filter(contract=contract)]


@router.post("/contracts/{contract_id}/reoffending-results", response={201: list[dict]})
def reoffending_upload(request: HttpRequest, contract_id: int, file: File[UploadedFile]) -> Any:
    """Record matched-comparison results from CSV/XLSX (all rows or none; the commissioner)."""
    saved = results_upload(
        actor=_actor(request),
        contract_id=contract_id,
        filename=file.name or "results.csv",
        content=file.read(),
    )
    return Status(201, [_result_out(r) for r in saved])


@router.post("/contracts/{contract_id}/reoffending-extract", response={201: list[dict]})
def reoffending_extract(
    request: HttpRequest,
    contract_id: int,
    file: File[UploadedFile],
    period: str,
    measure: str,
    comparison: str,
    as_of: dt.date | None = None,
) -> Any:
    """Measure each cohort's proven reoffending from an extract against a comparison value."""
    saved = extract_measure(
        actor=_actor(request),
        contract_id=contract_id,
        filename=file.name or "extract.csv",
        content=file.read(),
        period=period,
        measure=measure,
        comparison=comparison,
        as_of=as_of,
    )
    return Status(201, [_result_out(r) for r in saved])


@router.get("/contracts/{contract_id}/cash", response=dict)
def cash(request: HttpRequest, contract_id: int, organisation_id: int | None = None) -> Any:
    """A provider's cash timeline: actual to date, then projected (median and 5th-95th band)."""
    t = cash_timeline(_actor(request), _contract(contract_id), organisation_id)
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
