"""Writes for delivery: imports (preview, then a background run), outcome claims."""

from __future__ import annotations

import hashlib
import random
import re
import secrets
from collections.abc import Iterator
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from fullvalue.engine.payments import parse_spec
from fullvalue.errors import Conflict, FullvalueError, NotFound, PermissionDenied, Problem
from fullvalue.rules import Breach, rule
from fullvalue.web.audit.services import audit_record
from fullvalue.web.contracts.selectors import contract_by_id
from fullvalue.web.delivery import policy
from fullvalue.web.kernel import fields
from fullvalue.web.kernel import imports as pipeline
from fullvalue.web.kernel.actor import Actor
from fullvalue.web.kernel.policy import require

if TYPE_CHECKING:
    from fullvalue.web.contracts.models import Contract
from fullvalue.web.delivery import imports
from fullvalue.web.delivery.models import Claim, ImportJob, OutcomeEvent

PREVIEW_PROBLEMS = 200


def contract_measures(contract: Contract) -> set[str]:
    """The measures the contract's mechanism counts (outcomes that may be claimed, starts...)."""
    if not contract.mechanism_toml.strip():
        return set()
    spec = parse_spec(contract.mechanism_toml)
    measures = set()
    for component in spec.components:
        for name in ("measure",):
            value = getattr(component, name, None)
            if isinstance(value, str):
                measures.add(value)
        for nested in ("sustainment", "volume"):
            part = getattr(component, nested, None)
            if part is not None and isinstance(getattr(part, "measure", None), str):
                measures.add(part.measure)
    return {m for m in measures if m not in ("binary", "frequency")}


def _supply_chain_provider(actor: Actor, contract: Contract) -> int:
    actor.require_can_write()
    require(policy.can_record_delivery, actor)
    org_id = actor.organisation_id
    if org_id is None or not contract.supply_chain.filter(organisation_id=org_id).exists():
        raise PermissionDenied("Your organisation is not in this contract's supply chain.")
    return org_id


def import_preview(
    *, actor: Actor, contract_id: int, filename: str, content: bytes
) -> tuple[ImportJob, imports.ParsedFile]:
    """Check a file and keep it; say how many rows are valid and name every bad one.

    The file is read and checked (against :data:`imports.LIMITS` first, streaming) before any
    write transaction opens: a slow or hostile file holds no lock that others wait on.
    """
    contract = contract_by_id(contract_id)
    provider_id = _supply_chain_provider(actor, contract)
    if actor.user_id is None:
        raise PermissionDenied("Files are uploaded by people.")
    parsed = imports.parse_file(filename, content, contract_measures(contract))
    imports.refuse_changed_participants(parsed, contract.id, provider_id, filename)
    with transaction.atomic():
        job = _import_job_create(actor.user_id, contract, provider_id, filename, content, parsed)
    return job, parsed


def _import_job_create(
    user_id: int,
    contract: Contract,
    provider_id: int,
    filename: str,
    content: bytes,
    parsed: imports.ParsedFile,
) -> ImportJob:
    return ImportJob.objects.create(
        contract=contract,
        provider_id=provider_id,
        uploaded_by_id=user_id,
        filename=filename[:200],
        content=content,
        sha256=imports.content_hash(content),
        total_rows=parsed.total,
        result={
            "kind": parsed.kind,
            "valid": len(parsed.valid),
            "bad_rows": parsed.bad_rows,
            "problems": [p.as_dict() for p in parsed.problems[:PREVIEW_PROBLEMS]],
            "problem_count": len(parsed.problems),
        },
    )


@transaction.atomic
def import_start(*, actor: Actor, job_id: int, valid_rows_only: bool) -> ImportJob:
    """Queue the import; without ``valid_rows_only`` a file with any bad row is refused."""
    job = ImportJob.objects.select_for_update().filter(id=job_id).first()
    if job is None or job.uploaded_by_id != actor.user_id:
        raise NotFound("No such import.")
    if job.status != ImportJob.Status.PREVIEWED:
        raise Conflict("This import has already been started.")
    bad_rows = job.result.get("bad_rows") or 0
    pipeline.require_choice(
        bad_rows,
        valid_rows_only,
        f"{job.filename} has {bad_rows} rows with errors, so nothing was imported. Fix them, "
        "or choose to import only the valid rows.",
    )
    job.status, job.valid_rows_only = ImportJob.Status.QUEUED, valid_rows_only
    job.save(update_fields=["status", "valid_rows_only"])
    audit_record(
        actor=actor,
        action="import.start",
        object_type="import",
        object_id=job.id,
        object_repr=job.filename,
        after={"valid_rows_only": valid_rows_only, "sha256": job.sha256},
    )
    from fullvalue.web.delivery.tasks import run_import

    transaction.on_commit(lambda: run_import.enqueue(job.id))
    return job


def import_run(job_id: int) -> dict:
    """Do the import (called by the worker); safe to run again after a crash."""
    job = ImportJob.objects.select_related("contract", "uploaded_by").get(id=job_id)
    if job.status == ImportJob.Status.DONE:
        return job.result
    ImportJob.objects.filter(id=job.id).update(status=ImportJob.Status.RUNNING)
    parsed = imports.parse_file(job.filename, bytes(job.content), contract_measures(job.contract))

    def progress(done: int) -> None:
        ImportJob.objects.filter(id=job.id).update(processed_rows=done)

    uploader = Actor(
        user_id=job.uploaded_by_id,
        email=job.uploaded_by.email,
        organisation_id=job.provider_id,
        via="task",
    )

    def record(action: str, after: dict) -> None:
        audit_record(
            actor=uploader,
            action=action,
            object_type="import",
            object_id=job.id,
            object_repr=job.filename,
            after=after,
        )

    def batch_written(first_row: int, rows: int, created: int) -> None:
        record(f"import.{parsed.kind}", {"from_row": first_row, "rows": rows, "created": created})

    writer = imports.write_events if parsed.kind == "events" else imports.write_participants
    counts = writer(job.contract_id, job.provider_id, parsed, progress, batch_written)
    result = {**job.result, **counts, "finished_at": timezone.now().isoformat()}
    with transaction.atomic():
        ImportJob.objects.filter(id=job.id).update(
            status=ImportJob.Status.DONE, result=result, processed_rows=parsed.total
        )
        record("import.finish", {k: v for k, v in counts.items() if k != "problems"})
    return result


@transaction.atomic
def claim_submit(*, actor: Actor, event_id: int) -> Claim:
    """Claim payment for an outcome event (the delivering provider)."""
    event = OutcomeEvent.objects.select_related("participant__contract").filter(id=event_id).first()
    if event is None:
        raise NotFound("No such event.")
    provider_id = _supply_chain_provider(actor, event.participant.contract)
    if event.participant.provider_id != provider_id:
        raise PermissionDenied("You can only claim for your own participants.")
    if hasattr(event, "claim"):
        raise Conflict("This event has already been claimed.")
    claim = Claim.objects.create(event=event)
    audit_record(
        actor=actor,
        action="claim.submit",
        object_type="claim",
        object_id=claim.id,
        object_repr=f"{event.outcome} {event.occurred_on}",
        after={"event": event.id, "outcome": event.outcome, "status": claim.status},
    )
    return claim


@transaction.atomic
def claim_decide(*, actor: Actor, claim_id: int, accept: bool, reason: str = "") -> Claim:
    """The commissioner accepts a claim, or rejects it with a reason."""
    claim = (
        Claim.objects.select_for_update()
        .select_related("event__participant__contract")
        .filter(id=claim_id)
        .first()
    )
    if claim is None:
        raise NotFound("No such claim.")
    contract = claim.event.participant.contract
    actor.require_can_write()
    require(policy.can_decide_claims, actor, contract)
    if claim.status not in (Claim.Status.SUBMITTED, Claim.Status.DISPUTED):
        raise Conflict("This claim has already been decided.")
    reason = fields.text(reason, "reason", max_length=fields.MAX_TEXT, multiline=True)
    if not accept and not reason:
        raise FullvalueError.from_problems(
            "Give the reason for rejecting the claim.",
            [Problem("Give the reason for rejecting the claim", column="reason")],
        )
    before = {"status": claim.status}
    claim.status = Claim.Status.ACCEPTED if accept else Claim.Status.REJECTED
    claim.reason, claim.decided_at = reason, timezone.now()
    claim.save(update_fields=["status", "reason", "decided_at"])
    audit_record(
        actor=actor,
        action="claim.decide",
        object_type="claim",
        object_id=claim.id,
        object_repr=claim.event.outcome,
        before=before,
        after={"status": claim.status, "reason": claim.reason},
        organisation_id=contract.commissioner_id,
    )
    return claim


@transaction.atomic
def claim_dispute(*, actor: Actor, claim_id: int, grounds: str) -> Claim:
    """The provider disputes a rejection, with its grounds."""
    claim = (
        Claim.objects.select_for_update()
        .select_related("event__participant__contract")
        .filter(id=claim_id)
        .first()
    )
    if claim is None:
        raise NotFound("No such claim.")
    provider_id = _supply_chain_provider(actor, claim.event.participant.contract)
    if claim.event.participant.provider_id != provider_id:
        raise PermissionDenied("You can only dispute your own claims.")
    if claim.status != Claim.Status.REJECTED:
        raise Conflict("Only a rejected claim can be disputed.")
    grounds = fields.text(grounds, "grounds", max_length=fields.MAX_TEXT, multiline=True)
    if not grounds:
        raise FullvalueError.from_problems(
            "Give your grounds.", [Problem("Give your grounds for the dispute", column="grounds")]
        )
    claim.status, claim.dispute = Claim.Status.DISPUTED, grounds
    claim.save(update_fields=["status", "dispute"])
    audit_record(
        actor=actor,
        action="claim.dispute",
        object_type="claim",
        object_id=claim.id,
        object_repr=claim.event.outcome,
        after={"grounds": claim.dispute},
    )
    return claim


#: Evidence files: extension -> (content type, the bytes such a file starts with).
EVIDENCE_TYPES = {
    "pdf": ("application/pdf", b"%PDF-"),
    "png": ("image/png", b"\x89PNG\r\n\x1a\n"),
    "jpg": ("image/jpeg", b"\xff\xd8\xff"),
    "jpeg": ("image/jpeg", b"\xff\xd8\xff"),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        b"PK\x03\x04",
    ),
}
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024


@rule
def rule_evidence_file(filename: str, content: bytes) -> Iterator[Breach]:
    """Evidence is a PDF, PNG, JPEG or Word (DOCX) file of at most 10 MB whose contents match its type."""  # noqa: E501
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if not content:
        yield Breach("the file is empty", column="file")
    elif extension not in EVIDENCE_TYPES:
        yield Breach(f"the file is a .{extension or '(none)'} file", column="file")
    else:
        if not content.startswith(EVIDENCE_TYPES[extension][1]):
            yield Breach(f"the file is not a real .{extension} file", column="file")
        if len(content) > MAX_EVIDENCE_BYTES:
            yield Breach("the file is over 10 MB", column="file")


@transaction.atomic
def evidence_attach(*, actor: Actor, event_id: int, filename: str, content: bytes) -> OutcomeEvent:
    """Attach a file as evidence of an outcome (the delivering provider), before it is decided."""
    event = (
        OutcomeEvent.objects.select_for_update()
        .select_related("participant__contract")
        .filter(id=event_id)
        .first()
    )
    if event is None:
        raise NotFound("No such event.")
    provider_id = _supply_chain_provider(actor, event.participant.contract)
    if event.participant.provider_id != provider_id:
        raise PermissionDenied("You can only add evidence for your own participants.")
    claim = getattr(event, "claim", None)
    if claim is not None and claim.status == Claim.Status.ACCEPTED:
        raise Conflict("The claim is accepted; its evidence can no longer change.")
    if problems := rule_evidence_file(filename, content):
        raise FullvalueError.from_problems("The evidence cannot be added.", problems)
    safe_name = re.sub(r"[^A-Za-z0-9._-]+", "-", filename)[-120:]
    digest = hashlib.sha256(content).hexdigest()
    event.evidence_file = content
    event.evidence = f"file:{safe_name}"[:200]
    event.save(update_fields=["evidence_file", "evidence"])
    audit_record(
        actor=actor,
        action="evidence.attach",
        object_type="outcome_event",
        object_id=event.id,
        object_repr=f"{event.outcome} {event.occurred_on}",
        after={"file": safe_name, "sha256": digest, "bytes": len(content)},
    )
    return event


def _commissioner_contract(actor: Actor, contract_id: int) -> Contract:
    actor.require_can_write()
    contract = contract_by_id(contract_id, for_update=True)
    require(policy.can_decide_claims, actor, contract)
    return contract


@transaction.atomic
def claims_sample(
    *, actor: Actor, contract_id: int, percent: int, rng: random.Random | None = None
) -> list[Claim]:
    """Draw a random sample of the submitted claims not yet sampled, for an evidence check.

    The draw uses the operating system's random source, so nobody can predict or steer which
    claims are checked (``rng`` is for the demo world, which must be the same every time); the
    sample (its claim ids) goes into the audit trail.
    """
    contract = _commissioner_contract(actor, contract_id)
    if not 1 <= percent <= 100:
        raise FullvalueError.from_problems(
            "Choose the sample size.",
            [Problem("Enter a percentage from 1 to 100", column="percent")],
        )
    pool = list(
        Claim.objects.filter(
            event__participant__contract=contract,
            status=Claim.Status.SUBMITTED,
            sampled_at__isnull=True,
        ).order_by("id")
    )
    if not pool:
        raise Conflict("There are no submitted claims left to sample.")
    size = max(1, -(-len(pool) * percent // 100))  # round up: never an empty sample
    chosen = (rng or secrets.SystemRandom()).sample(pool, size)
    now = timezone.now()
    Claim.objects.filter(id__in=[c.id for c in chosen]).update(sampled_at=now)
    audit_record(
        actor=actor,
        action="claims.sample",
        object_type="contract",
        object_id=contract.id,
        object_repr=contract.title,
        after={"percent": percent, "of": len(pool), "claims": sorted(c.id for c in chosen)},
        organisation_id=contract.commissioner_id,
    )
    return chosen


@transaction.atomic
def claims_accept_unsampled(*, actor: Actor, contract_id: int) -> int:
    """Accept every submitted claim outside the sample, once every sampled claim is decided.

    This is how a commissioner with many claims validates them: check the evidence of a random
    sample and, if the sample holds up, accept the rest. Refused while any sampled claim is
    undecided, or when no sample was drawn.
    """
    contract = _commissioner_contract(actor, contract_id)
    claims = Claim.objects.filter(event__participant__contract=contract)
    sampled = claims.filter(sampled_at__isnull=False)
    if not sampled.exists():
        raise Conflict("Draw and check a sample first.")
    pending = sampled.filter(status__in=[Claim.Status.SUBMITTED, Claim.Status.DISPUTED]).count()
    if pending:
        raise Conflict(f"Decide the {pending} sampled claim(s) first.")
    rest = list(
        claims.filter(status=Claim.Status.SUBMITTED, sampled_at__isnull=True).values_list(
            "id", flat=True
        )
    )
    now = timezone.now()
    Claim.objects.filter(id__in=rest).update(status=Claim.Status.ACCEPTED, decided_at=now)
    audit_record(
        actor=actor,
        action="claims.accept_unsampled",
        object_type="contract",
        object_id=contract.id,
        object_repr=contract.title,
        after={"accepted": len(rest), "claims": rest},
        organisation_id=contract.commissioner_id,
    )
    return len(rest)
