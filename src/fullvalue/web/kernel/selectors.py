"""Reads for system administrators: background task results and feedback on the service."""

from __future__ import annotations

from django.db.models import QuerySet
from django_tasks_db.models import DBTaskResult

from fullvalue.errors import PermissionDenied
from fullvalue.web.kernel.actor import Actor
from fullvalue.web.kernel.models import Feedback


def task_results(actor: Actor, status: str = "") -> QuerySet[DBTaskResult]:
    """Recent task results, newest first; failures are what administrators look for."""
    if not actor.is_system_admin:
        raise PermissionDenied("Only system administrators can see background tasks.")
    qs = DBTaskResult.objects.order_by("-enqueued_at")
    if status:
        qs = qs.filter(status=status)
    return qs


def feedback_received(actor: Actor) -> QuerySet[Feedback]:
    """Feedback on the service, newest first: for system administrators only."""
    if not actor.is_system_admin:
        raise PermissionDenied("Only system administrators read the feedback.")
    return Feedback.objects.select_related("user").order_by("-created_at", "-id")
