"""Background tasks for report once."""

from __future__ import annotations

from typing import Any

from fullvalue.web.kernel.tasks import retrying_task
from fullvalue.web.reporting.imports import record_import_run


@retrying_task(max_attempts=3, backoff_seconds=10)
def run_record_import(job_id: int) -> dict[str, Any]:
    """Write a checked records file (idempotent: records already kept are skipped)."""
    return record_import_run(job_id)
