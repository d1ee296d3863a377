"""Writes for delivery: imports (preview, then a background run), outcome claims."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from fullvalue.domain.roles import Role
from fullvalue.engine.payments import load_spec
from fullvalue.errors import Conflict, FullvalueError, NotFound, PermissionDenied, Problem
from fullvalue.web.audit.services import audit_record
from fullvalue.web.contracts.models import Contract
from fullvalue.web.core.actor import Actor
from fullvalue.web.delivery import imports
from fullvalue.web.delivery.models import Claim, ImportJob, OutcomeEvent

PREVIEW_PROBLEMS = 200


def contract_measures(contract: Contract) -> set[str]:
    """The measures the contract's mechanism counts (outcomes that may be claimed, starts...)."""
    if not contract.mechanism_toml.strip():
        return set()
    spec = load_spec(contract.mechanism_toml + "\n")
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
    actor.require_role(
        Role.PROVIDER_ADMIN,
        Role.PROVIDER_STAFF,
        message="Providers in the supply chain record delivery.",
    )
    org_id = actor.organisation_id
    if org_id is None or not contract.supply_chain.filter(organisation_id=org_id).exists():
        raise PermissionDenied("Your organisation is not in this contract's supply chain.")
    return org_id


@transaction.atomic
def import_preview(
    *, actor: Actor, contract_id: int, filename: str, content: bytes
) -> tuple[ImportJob, imports.ParsedFile]:
    """Check a file and keep it; say how many rows are valid and name every bad one."""
    contract = Contract.objects.filter(id=contract_id).first()
    if contract is None:
        raise NotFound("No such contract.")
    provider_id = _supply_chain_provider(actor, contract)
    if actor.user_id is None:
        raise PermissionDenied("Files are uploaded by people.")
    parsed = imports.parse_file(filename, content, contract_measures(contract))
    job = ImportJob.objects.create(
        contract=contract,
        provider_id=provider_id,
        uploaded_by_id=actor.user_id,
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
    return job, parsed


@transaction.atomic
def import_start(*, actor: Actor, job_id: int, valid_rows_only: bool) -> ImportJob:
    """Queue the import; without ``valid_rows_only`` a file with any bad row is refused."""
    job = ImportJob.objects.select_for_update().filter(id=job_id).first()
    if job is None or job.uploaded_by_id != actor.user_id:
        raise NotFound("No such import.")
    if job.status != ImportJob.Status.PREVIEWED:
        raise Conflict("This import has already been started.")
    if job.result.get("bad_rows") and not valid_rows_only:
        raise FullvalueError(
            f"{job.filename} has {job.result['bad_rows']} rows with errors, so nothing was "
            "imported. Fix them, or choose to import only the valid rows.",
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
    job = ImportJob.objects.select_related("contract").get(id=job_id)
    if job.status == ImportJob.Status.DONE:
        return job.result
    ImportJob.objects.filter(id=job.id).update(status=ImportJob.Status.RUNNING)
    parsed = imports.parse_file(job.filename, bytes(job.content), contract_measures(job.contract))

    def progress(done: int) -> None:
        ImportJob.objects.filter(id=job.id).update(processed_rows=done)

    writer = imports.write_events if parsed.kind == "events" else imports.write_participants
    counts = writer(job.contract_id, job.provider_id, parsed, progress)
    result = {**job.result, **counts, "finished_at": timezone.now().isoformat()}
    ImportJob.objects.filter(id=job.id).update(
        status=ImportJob.Status.DONE, result=result, processed_rows=parsed.total
    )
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
    if not (actor.role == Role.COMMISSIONER and actor.belongs_to(contract.commissioner_id)):
        raise PermissionDenied("Only the contract's commissioner validates claims.")
    if claim.status not in (Claim.Status.SUBMITTED, Claim.Status.DISPUTED):
        raise Conflict("This claim has already been decided.")
    if not accept and not reason.strip():
        raise FullvalueError.from_problems(
            "Give the reason for rejecting the claim.",
            [Problem("Give the reason for rejecting the claim", column="reason")],
        )
    before = {"status": claim.status}
    claim.status = Claim.Status.ACCEPTED if accept else Claim.Status.REJECTED
    claim.reason, claim.decided_at = reason.strip(), timezone.now()
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
    if not grounds.strip():
        raise FullvalueError.from_problems(
            "Give your grounds.", [Problem("Give your grounds for the dispute", column="grounds")]
        )
    claim.status, claim.dispute = Claim.Status.DISPUTED, grounds.strip()
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
