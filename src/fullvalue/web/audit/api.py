"""The audit trail's API: signed checkpoints of the chain's head, for auditors."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status

from fullvalue.domain.roles import Role
from fullvalue.errors import PermissionDenied
from fullvalue.web.api.problems import ERRORS, WRITE_ERRORS
from fullvalue.web.audit.checkpoints import checkpoints
from fullvalue.web.kernel.actor import Actor

router = Router(tags=["audit"])


class CheckpointOut(Schema):
    """The chain's head at ``written_at``, signed (HMAC-SHA256) with audit key ``key_id``."""

    seq: int
    hash: str
    written_at: str
    key_id: str
    signature: str


def _auditor(request: HttpRequest) -> Actor:
    actor: Actor = request.auth  # type: ignore[attr-defined]
    if actor.role not in (Role.AUDITOR, Role.SYSTEM_ADMIN):
        raise PermissionDenied("Only auditors and system administrators read audit checkpoints.")
    return actor


class CheckpointRequestedOut(Schema):
    """A checkpoint asked of the task worker: the task that writes it."""

    task: str
    status: str


@router.get("/audit/checkpoints", response={200: list[CheckpointOut], **ERRORS})
def list_checkpoints(request: HttpRequest, limit: int = Query(30, ge=1, le=365)) -> Any:
    """Signed checkpoints of the audit chain, newest first (keep copies outside the service)."""
    _auditor(request)
    return checkpoints(limit=max(1, min(limit, 365)))


@router.post("/audit/checkpoints", response={202: CheckpointRequestedOut, **WRITE_ERRORS})
def request_checkpoint(request: HttpRequest) -> Any:
    """Ask the task worker to write a checkpoint now."""
    _auditor(request)
    from fullvalue.web.audit.tasks import audit_checkpoint

    result = audit_checkpoint.enqueue()
    return Status(202, {"task": str(result.id), "status": "queued"})
