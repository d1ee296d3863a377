"""What report once adds to the dashboard: returns due (providers), returns received."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest
from django.utils import timezone
from markupsafe import Markup

from fullvalue.web.audit.selectors import write_version_for
from fullvalue.web.kernel.panels import cached_panel, render_panel
from fullvalue.web.reporting import policy, selectors

if TYPE_CHECKING:
    from fullvalue.web.kernel.actor import Actor


def dashboard(request: HttpRequest, actor: Actor) -> Markup:
    """Returns due to funders for a provider; returns received for a framework's owner.

    Drawn once per reader, write version and day (a period falls due by the calendar).
    """
    if not (policy.reports_for_organisation(actor) or policy.receives_returns(actor)):
        return Markup("")
    reader = (actor.user_id, actor.membership_id, actor.role, actor.organisation_id)
    parts = ["reporting-dashboard", write_version_for(request), reader, timezone.localdate()]
    return cached_panel(request, parts, lambda: _dashboard(request, actor))


def _dashboard(request: HttpRequest, actor: Actor) -> Markup:
    if policy.reports_for_organisation(actor):
        overview = selectors.returns_overview(actor.organisation_id or 0, timezone.localdate())
        due = sum(1 for item in overview for p in item["periods"] if p["submission"] is None)
        if not overview:
            return Markup("")
        return render_panel(request, "reporting/panels/dashboard.html", due=due, received=0)
    if policy.receives_returns(actor) and selectors.frameworks_owned(actor.organisation_id or 0):
        received = len(selectors.received(actor))
        return render_panel(request, "reporting/panels/dashboard.html", due=None, received=received)
    return Markup("")
