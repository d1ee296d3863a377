"""Background tasks for payments."""

from __future__ import annotations

from fullvalue.web.kernel.faults import checkpoint
from fullvalue.web.kernel.tasks import retrying_task
from fullvalue.web.payruns.services import payrun_compute


@retrying_task(max_attempts=3, backoff_seconds=10)
def prepare_payment_run(run_id: int) -> str:
    """Compute a requested payment run (idempotent: a computed run is left as it is)."""
    run = payrun_compute(run_id)
    checkpoint("payrun.task.after_compute")  # committed, but the task not yet marked done
    return f"{run.period}: {run.total}"
