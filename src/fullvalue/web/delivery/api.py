"""API for delivery: imports, participants, equality, outcome claims, evidence, reoffending."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from fullvalue.errors import NotFound
from fullvalue.web.api.auth import request_actor
from fullvalue.web.api.pagination import Links, PageIn, page_out
from fullvalue.web.api.problems import ERRORS, UPLOAD_ERRORS, WRITE_ERRORS
from fullvalue.web.api.schemas import Id
from fullvalue.web.contracts.api import get_contract_or_404
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
from fullvalue.web.kernel.tables import check_size

router = Router(tags=["delivery"])


class ImportPreviewOut(Schema):
    """A checked file: how many rows are valid, and the first problems found."""

    id: int
    status: str
    kind: str = Field(description="participants or events")
    valid: int
    bad_rows: int
    problems: list[dict[str, Any]] = Field(description="row, column and reason of each")
    problem_count: int


class ImportStartedOut(Schema):
    """An import's new status."""

    id: int
    status: str


class ImportStatusOut(Schema):
    """An import's status, progress and result."""

    id: int
    status: str
    processed: int
    total: int
    result: dict[str, Any] = Field(description="the preview's counts, then what was written")


class ParticipantOut(Schema):
    """A participant by pseudonym (identities are never in the API)."""

    pseudonym: str
    provider_id: int
    cohort: str
    referred_on: dt.date | None
    started_on: dt.date | None
    left_on: dt.date | None


class ParticipantPage(Schema):
    """One page of participants."""

    items: list[ParticipantOut]
    next_cursor: str | None
    links: Links


class ParticipantPageIn(PageIn):
    """Which page of participants."""

    limit: int = Field(100, description="items per page, 1-200")


class EqualityOut(Schema):
    """Counts by characteristic as [value, count] pairs; 1-4 shown as "fewer than 5"."""

    sex: list[tuple[str, str]]
    ethnicity: list[tuple[str, str]]
    age_band: list[tuple[str, str]]


class ClaimOut(Schema):
    """A claim's status."""

    id: int
    status: str


class DecisionIn(Schema):
    """Accept or reject a claim."""

    accept: bool
    reason: str = ""


class DecidedOut(Schema):
    """A claim decided."""

    id: int
    status: str
    reason: str


class DisputeIn(Schema):
    """Grounds for disputing a rejected claim."""

    grounds: str


class ClaimDetailOut(Schema):
    """A claim on an outcome event."""

    id: int
    event_id: int
    pseudonym: str
    outcome: str
    occurred_on: dt.date
    status: str
    reason: str
    dispute: str
    submitted_at: dt.datetime
    decided_at: dt.datetime | None


class ClaimPage(Schema):
    """One page of claims."""

    items: list[ClaimDetailOut]
    next_cursor: str | None
    links: Links


class EvidenceOut(Schema):
    """The evidence attached."""

    id: int
    evidence: str = Field(description="the file's name")


class ResultOut(Schema):
    """A reoffending result for a cohort and period."""

    period: str
    cohort: str
    measure: str
    size: int
    treated: str
    comparison: str
    ci_low: str | None
    ci_high: str | None
    p_value: str | None
    source: str
    note: str


class ResultPage(Schema):
    """One page of reoffending results."""

    items: list[ResultOut]
    next_cursor: str | None
    links: Links


class ExtractIn(Schema):
    """What to measure from an extract of proven offences."""

    period: str
    measure: str
    comparison: str = Field(description="the comparison group's value, proportion 0-1")
    as_of: dt.date | None = None


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


@router.post("/contracts/{contract_id}/imports", response={201: ImportPreviewOut, **UPLOAD_ERRORS})
def upload(request: HttpRequest, contract_id: Id, file: File[UploadedFile]) -> Any:
    """Check a participants or outcomes file; every bad row is named; nothing is written yet.

    A file over a limit (size, unpacked size, compression ratio, rows, columns) is refused with
    413 or 422 naming the limit, before anything is written.
    """
    actor = request_actor(request)
    filename = file.name or "upload.csv"
    check_size(filename, file.size or 0, LIMITS)  # before reading it into memory
    job, _ = import_preview(
        actor=actor, contract_id=contract_id, filename=filename, content=file.read()
    )
    return Status(201, {"id": job.id, "status": job.status, **job.result})


@router.post("/imports/{job_id}/start", response={200: ImportStartedOut, **WRITE_ERRORS})
def start(request: HttpRequest, job_id: Id, valid_rows_only: bool = False) -> Any:
    """Start the background import (all rows, or only the valid ones)."""
    job = import_start(actor=request_actor(request), job_id=job_id, valid_rows_only=valid_rows_only)
    return {"id": job.id, "status": job.status}


@router.get("/imports/{job_id}", response={200: ImportStatusOut, **ERRORS})
def import_status(request: HttpRequest, job_id: Id) -> Any:
    """An import's status, progress and result."""
    job = ImportJob.objects.filter(id=job_id, uploaded_by_id=request_actor(request).user_id).first()
    if job is None:
        raise NotFound("No such import.")
    return {
        "id": job.id,
        "status": job.status,
        "processed": job.processed_rows,
        "total": job.total_rows,
        "result": job.result,
    }


@router.get("/contracts/{contract_id}/participants", response={200: ParticipantPage, **ERRORS})
def participants(request: HttpRequest, contract_id: Id, page: Query[ParticipantPageIn]) -> Any:
    """Participants by pseudonym (providers see their own); identities are never in the API."""
    qs = delivery.participants_for(request_actor(request), get_contract_or_404(contract_id))
    items, rest = page_out(request, qs, page, key="pseudonym")
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
        **rest,
    }


@router.get("/contracts/{contract_id}/equality", response={200: EqualityOut, **ERRORS})
def equality(request: HttpRequest, contract_id: Id) -> Any:
    """Equality monitoring in aggregate, small numbers suppressed."""
    return delivery.equality_summary(request_actor(request), get_contract_or_404(contract_id))


@router.get("/contracts/{contract_id}/claims", response={200: ClaimPage, **ERRORS})
def list_claims(request: HttpRequest, contract_id: Id, page: Query[PageIn]) -> Any:
    """Claims on the contract you may see (providers: their own), oldest first."""
    qs = delivery.claims_for(request_actor(request), get_contract_or_404(contract_id))
    items, rest = page_out(request, qs, page)
    return {
        "items": [
            {
                "id": c.id,
                "event_id": c.event_id,
                "pseudonym": c.event.participant.pseudonym,
                "outcome": c.event.outcome,
                "occurred_on": c.event.occurred_on,
                "status": c.status,
                "reason": c.reason,
                "dispute": c.dispute,
                "submitted_at": c.submitted_at,
                "decided_at": c.decided_at,
            }
            for c in items
        ],
        **rest,
    }


@router.post("/events/{event_id}/claim", response={201: ClaimOut, **WRITE_ERRORS})
def claim(request: HttpRequest, event_id: Id) -> Any:
    """Claim an outcome event."""
    c = claim_submit(actor=request_actor(request), event_id=event_id)
    return Status(201, {"id": c.id, "status": c.status})


@router.post("/claims/{claim_id}/decision", response={200: DecidedOut, **WRITE_ERRORS})
def decide(request: HttpRequest, claim_id: Id, payload: DecisionIn) -> Any:
    """Accept or reject a claim (the commissioner)."""
    c = claim_decide(
        actor=request_actor(request),
        claim_id=claim_id,
        accept=payload.accept,
        reason=payload.reason,
    )
    return {"id": c.id, "status": c.status, "reason": c.reason}


@router.post("/claims/{claim_id}/dispute", response={200: ClaimOut, **WRITE_ERRORS})
def dispute(request: HttpRequest, claim_id: Id, payload: DisputeIn) -> Any:
    """Dispute a rejected claim (the provider)."""
    c = claim_dispute(actor=request_actor(request), claim_id=claim_id, grounds=payload.grounds)
    return {"id": c.id, "status": c.status}


@router.post("/events/{event_id}/evidence", response={200: EvidenceOut, **UPLOAD_ERRORS})
def add_evidence(request: HttpRequest, event_id: Id, file: File[UploadedFile]) -> Any:
    """Attach a PDF, PNG, JPEG or DOCX file as an outcome's evidence (the delivering provider)."""
    e = evidence_attach(
        actor=request_actor(request),
        event_id=event_id,
        filename=file.name or "evidence",
        content=file.read(MAX_EVIDENCE_BYTES + 1),
    )
    return {"id": e.id, "evidence": e.evidence}


@router.get("/contracts/{contract_id}/reoffending-results", response={200: ResultPage, **ERRORS})
def reoffending_list(request: HttpRequest, contract_id: Id, page: Query[PageIn]) -> Any:
    """Reoffending results recorded for the contract (those who may see its delivery data)."""
    contract = get_contract_or_404(contract_id)
    delivery.participants_for(request_actor(request), contract)
    items, rest = page_out(request, ReoffendingResult.objects.filter(contract=contract), page)
    return {"items": [_result_out(r) for r in items], **rest}


@router.post(
    "/contracts/{contract_id}/reoffending-results", response={201: list[ResultOut], **UPLOAD_ERRORS}
)
def reoffending_upload(request: HttpRequest, contract_id: Id, file: File[UploadedFile]) -> Any:
    """Record matched-comparison results from CSV/XLSX (all rows or none; the commissioner)."""
    saved = results_upload(
        actor=request_actor(request),
        contract_id=contract_id,
        filename=file.name or "results.csv",
        content=file.read(),
    )
    return Status(201, [_result_out(r) for r in saved])


@router.post(
    "/contracts/{contract_id}/reoffending-extract", response={201: list[ResultOut], **UPLOAD_ERRORS}
)
def reoffending_extract(
    request: HttpRequest,
    contract_id: Id,
    file: File[UploadedFile],
    params: Query[ExtractIn],
) -> Any:
    """Measure each cohort's proven reoffending from an extract against a comparison value."""
    saved = extract_measure(
        actor=request_actor(request),
        contract_id=contract_id,
        filename=file.name or "extract.csv",
        content=file.read(),
        period=params.period,
        measure=params.measure,
        comparison=params.comparison,
        as_of=params.as_of,
    )
    return Status(201, [_result_out(r) for r in saved])
