"""Background tasks of the audit trail: writing a signed checkpoint of the chain's head."""

from __future__ import annotations

from fullvalue.web.kernel.tasks import retrying_task


@retrying_task(max_attempts=3, backoff_seconds=30)
def audit_checkpoint() -> dict:
    """Write a signed checkpoint of the audit chain's head (on demand; the worker also daily)."""
    from fullvalue.web.audit.checkpoints import write_checkpoint

    checkpoint = write_checkpoint()
    return {"seq": checkpoint.seq, "hash": checkpoint.hash}
