"""The auditor's page: search the trail, download it, check the chain."""

from __future__ import annotations

import json

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse

from fullvalue.web.audit.selectors import (
    EXPORT_COLUMNS,
    audit_actions,
    audit_events,
    readable_action,
    readable_events,
)
from fullvalue.web.audit.verify import verify_audit
from fullvalue.web.kernel.exports import table_response
from fullvalue.web.kernel.forms import FormState
from fullvalue.web.kernel.pages import page, signin_required


@signin_required
def audit_list(request: HttpRequest) -> HttpResponse:
    """Search and download the audit trail; optionally verify the hash chain."""
    actor = request.actor  # type: ignore[attr-defined]
    filters = {
        k: request.GET.get(k, "") for k in ("q", "action", "object_type", "date_from", "date_to")
    }
    events = audit_events(actor, filters)
    fmt = request.GET.get("format")
    if fmt:
        rows = (
            [
                e.seq,
                e.occurred_at,
                e.actor_email,
                e.actor_role,
                e.organisation_id,
                e.action,
                e.object_type,
                e.object_id,
                e.object_repr,
                json.dumps(e.changes, ensure_ascii=False, sort_keys=True),
                e.hash,
            ]
            for e in events.iterator()
        )
        return table_response(fmt, "audit-trail", EXPORT_COLUMNS, rows)
    page_obj = Paginator(events, 50).get_page(request.GET.get("page"))
    verification = verify_audit() if request.GET.get("verify") == "1" else None
    return page(
        request,
        "audit/list.html",
        "Audit trail",
        state=FormState(values=filters),
        page_obj=page_obj,
        readable=readable_events(list(page_obj)),
        actions=[(a, readable_action(a)) for a in audit_actions()],
        verification=verification,
        nav_active="audit",
    )
