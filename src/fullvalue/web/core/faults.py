"""Fault injection for the crash tests: kill this process at a named point.

``checkpoint(name)`` does nothing unless the environment variable ``FULLVALUE_FAULTS`` lists
``name`` (comma-separated). Then the process sends itself SIGKILL, as an out-of-memory kill or
a pulled plug would: no ``finally`` blocks, no rollback by Python, no task bookkeeping. The
tests use it to show that a worker killed mid-task leaves nothing half-done and that the
retried task does its work exactly once. Production never sets the variable.
"""

from __future__ import annotations

import os
import signal


def checkpoint(name: str) -> None:
    """Die here (SIGKILL) if ``FULLVALUE_FAULTS`` names this checkpoint."""
    wanted = os.environ.get("FULLVALUE_FAULTS", "")
    if wanted and name in {part.strip() for part in wanted.split(",")}:
        os.kill(os.getpid(), signal.SIGKILL)
