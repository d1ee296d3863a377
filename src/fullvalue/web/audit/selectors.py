"""Reading the audit trail (auditors and system administrators only)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db.models import Q, QuerySet

from fullvalue.domain.roles import Role
from fullvalue.errors import PermissionDenied
from fullvalue.web.audit.models import AuditEvent, AuditHead
from fullvalue.web.core.actor import Actor

EXPORT_COLUMNS = (
    "seq",
    "occurred_at",
    "actor_email",
    "actor_role",
    "organisation_id",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "changes",
    "hash",
)


def audit_events(actor: Actor, filters: Mapping[str, Any]) -> QuerySet[AuditEvent]:
    """Events matching the filters, newest first.

    Filters: ``q`` (who or what, contains), ``action`` (prefix), ``object_type``,
    ``date_from`` / ``date_to`` (ISO dates, inclusive, UTC).
    """
    if actor.role not in (Role.AUDITOR, Role.SYSTEM_ADMIN):
        raise PermissionDenied("Only auditors and system administrators can read the audit trail.")
    qs = AuditEvent.objects.order_by("-seq")
    q = str(filters.get("q") or "").strip()[:100]
    if q:
        qs = qs.filter(Q(actor_email__icontains=q) | Q(object_repr__icontains=q) | Q(object_id=q))
    if action := str(filters.get("action") or "").strip()[:80]:
        qs = qs.filter(action__startswith=action)
    if object_type := str(filters.get("object_type") or "").strip()[:80]:
        qs = qs.filter(object_type=object_type)
    for key, lookup in (("date_from", "gte"), ("date_to", "lt")):
        raw = str(filters.get(key) or "").strip()
        if not raw:
            continue
        try:
            day = dt.date.fromisoformat(raw)
        except ValueError:
            continue
        if key == "date_to":
            day += dt.timedelta(days=1)
        start = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
        qs = qs.filter(**{f"occurred_at__{lookup}": start})
    return qs


def audit_actions() -> list[str]:
    """Distinct action names, for the filter."""
    return sorted(set(AuditEvent.objects.values_list("action", flat=True).distinct()))


def write_version() -> int:
    """The audit chain's latest sequence number: it changes with every write anywhere.

    Every write service records an audit event in its own transaction, so a value cached under
    this number (with everything else it depends on) is never stale, in any process or host.
    """
    head = AuditHead.objects.filter(id=1).values_list("seq", flat=True).first()
    return int(head or 0)
