"""Background tasks for delivery."""

from __future__ import annotations

from fullvalue.web.delivery.services import import_run
from fullvalue.web.kernel.tasks import retrying_task


@retrying_task(max_attempts=3, backoff_seconds=10)
def run_import(job_id: int) -> dict:
    """Import a checked file (idempotent: existing participants and events are skipped)."""
    return import_run(job_id)
