"""Fault injection for the crash tests: kill this process at a named point.

``checkpoint(name)`` does nothing unless the environment variable ``FULLVALUE_FAULTS`` lists
``name`` (comma-separated). Then the process sends itself SIGKILL, as an out-of-memory kill or
a pulled plug would: no ``finally`` blocks, no rollback by Python, no task bookkeeping. The
tests use it to show that a worker killed mid-task leaves nothing half-done and that the
retried task does its work exactly once. Production never sets the variable.

With ``FULLVALUE_FAULTS_ONCE`` set to a file path, the process dies only if that file does not
exist yet (and creates it first): a supervised worker that is restarted then gets past the
checkpoint.
"""

from __future__ import annotations

import os
import signal


def checkpoint(name: str) -> None:
    """Die here (SIGKILL) if ``FULLVALUE_FAULTS`` names this checkpoint."""
    wanted = os.environ.get("FULLVALUE_FAULTS", "")
    if wanted and name in {part.strip() for part in wanted.split(",")}:
        once = os.environ.get("FULLVALUE_FAULTS_ONCE", "")
        if once:
            try:
                with open(once, "x"):
                    pass
            except FileExistsError:
                return
        os.kill(os.getpid(), signal.SIGKILL)
