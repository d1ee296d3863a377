"""What the Right to Challenge adds to the dashboard: an authority's challenges and overdue ones."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest
from django.utils import timezone
from markupsafe import Markup

from fullvalue.web.audit.selectors import write_version_for
from fullvalue.web.challenges import policy, selectors
from fullvalue.web.kernel.panels import cached_panel, render_panel

if TYPE_CHECKING:
    from fullvalue.web.kernel.actor import Actor


def dashboard(request: HttpRequest, actor: Actor) -> Markup:
    """An authority's challenges waiting for it (overdue flagged); windows open to a body.

    Drawn once per reader, write version and day (a clock runs out by the calendar).
    """
    if not (policy.can_publish_window(actor) or policy.can_express_interest(actor)):
        return Markup("")
    reader = (actor.user_id, actor.membership_id, actor.role, actor.organisation_id)
    parts = ["challenges-dashboard", write_version_for(request), reader, timezone.localdate()]
    return cached_panel(request, parts, lambda: _dashboard(request, actor))


def _dashboard(request: HttpRequest, actor: Actor) -> Markup:
    today = timezone.localdate()
    if policy.can_express_interest(actor):
        open_windows = selectors.windows_open(today)
        if not open_windows:
            return Markup("")
        return render_panel(request, "challenges/panels/windows.html", windows=open_windows)
    interests = selectors.interests_of_authority(actor.organisation_id or 0)
    if not interests:
        return Markup("")
    pending = [i for i in interests if i.outcome == "pending"]
    overdue = [(i, selectors.overdue(i, today)) for i in pending if selectors.overdue(i, today)]
    return render_panel(
        request, "challenges/panels/dashboard.html", pending=len(pending), overdue=overdue
    )
