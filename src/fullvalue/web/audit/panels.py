"""What the audit trail adds to the dashboard of auditors and administrators."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest
from markupsafe import Markup

from fullvalue.domain.roles import Role
from fullvalue.web.audit.selectors import audit_events
from fullvalue.web.kernel.panels import render_panel

if TYPE_CHECKING:
    from fullvalue.web.kernel.actor import Actor

#: How many of the latest events the dashboard lists.
RECENT = 5


def dashboard(request: HttpRequest, actor: Actor) -> Markup:
    """The latest events and the way to search and check the chain."""
    if actor.role not in (Role.AUDITOR, Role.SYSTEM_ADMIN):
        return Markup("")
    return render_panel(
        request,
        "audit/panels/dashboard.html",
        recent_events=list(audit_events(actor, {})[:RECENT]),
    )
