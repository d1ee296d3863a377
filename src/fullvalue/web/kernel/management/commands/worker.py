"""``manage.py worker``: the task worker, which first takes back tasks a killed worker left.

django-tasks' database worker marks a task RUNNING when it claims it; if the process is killed
(out of memory, a redeploy, a pulled plug) the task stays RUNNING for ever. Each worker here has
a stable id (``--worker-id``, default ``FULLVALUE_WORKER_ID`` or ``<hostname>-1``): a task still
RUNNING under this worker's id when it starts can only be left over from a previous process
with the same id, so it is made READY again and runs once more. Our tasks are written to be
safe to run again (imports skip what exists; payment runs that are already computed are left
as they are). Run one process per id; give each worker on a host its own id.

While it runs, the worker writes a heartbeat every few seconds (:mod:`fullvalue.web.kernel.health`)
that ``/healthz`` reads, and a signed checkpoint of the audit chain's head whenever the last
one is a day old.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils.module_loading import import_string
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand
from django_tasks_db.models import DBTaskResult

from fullvalue.web.kernel import health

logger = logging.getLogger(__name__)


def default_worker_id() -> str:
    return os.environ.get("FULLVALUE_WORKER_ID") or f"{socket.gethostname()}-1"[:64]


def recover(worker_id: str) -> int:
    """Make READY again every task left RUNNING under this worker id; return how many."""
    recovered = 0
    with transaction.atomic():
        for result in DBTaskResult.objects.select_for_update().filter(
            status=TaskResultStatus.RUNNING
        ):
            if result.worker_ids and result.worker_ids[-1] == worker_id:
                result.status = TaskResultStatus.READY
                result.started_at = None
                result.save(update_fields=["status", "started_at"])
                recovered += 1
    return recovered


#: How often the worker runs its periodic duties (seconds).
CHECKPOINT_LOOK_SECONDS = 60.0


def _start_checkpoints(stop: threading.Event) -> None:
    """Run the worker's periodic duties now, then again every minute.

    The duties are named in ``settings.WORKER_DUTIES`` (dotted paths; the kernel imports no
    capability): the audit trail's daily signed checkpoint is one. Each duty decides for itself
    whether anything is due.
    """
    duties = [import_string(path) for path in settings.WORKER_DUTIES]

    def loop() -> None:
        while True:
            try:
                for duty in duties:
                    duty()
            except Exception:  # the next look tries again; tasks must keep running
                logger.exception("a periodic duty of the worker failed")
            finally:
                connection.close()  # this thread's own connection
            if stop.wait(CHECKPOINT_LOOK_SECONDS):
                return

    threading.Thread(target=loop, name="audit-checkpoints", daemon=True).start()


class Command(DbWorkerCommand):
    help = "Run the task worker (recovering tasks a killed worker with the same id left running)."

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        for action in parser._actions:
            if action.dest == "worker_id":
                action.default = default_worker_id()

    def handle(self, *args: Any, **options: Any) -> None:
        # Beat before anything else: /healthz reports a worker that cannot even recover.
        stop = health.start_heartbeat(options["worker_id"])
        _start_checkpoints(stop)
        count = recover(options["worker_id"])
        if count:
            self.stdout.write(
                f"Recovered {count} task(s) left running by a previous worker "
                f"{options['worker_id']}; they will run again."
            )
        try:
            super().handle(*args, **options)
        finally:
            stop.set()
