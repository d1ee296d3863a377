"""What tendering adds to the dashboard: your tenders, your evaluation panels, your bids."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest
from django.utils import timezone
from markupsafe import Markup

from fullvalue.domain.roles import Role
from fullvalue.web.audit.selectors import write_version_for
from fullvalue.web.kernel.panels import cached_panel, render_panel
from fullvalue.web.tendering import selectors
from fullvalue.web.tendering.partnering import unanswered_count

if TYPE_CHECKING:
    from fullvalue.web.kernel.actor import Actor


def dashboard(request: HttpRequest, actor: Actor) -> Markup:
    """The tenders a commissioner runs, the panels an evaluator sits on, a provider's bids.

    Drawn once per reader, write version and minute (tenders open and close by the clock,
    without a write), then served from the cache.
    """
    if actor.role not in _DASHBOARD_ROLES:
        return Markup("")
    reader = (actor.user_id, actor.membership_id, actor.role, actor.organisation_id)
    minute = timezone.now().replace(second=0, microsecond=0)
    parts = ["tendering-dashboard", write_version_for(request), reader, minute]
    return cached_panel(request, parts, lambda: _dashboard(request, actor))


_DASHBOARD_ROLES = {Role.COMMISSIONER, Role.EVALUATOR, Role.PROVIDER_ADMIN, Role.PROVIDER_STAFF}


def _dashboard(request: HttpRequest, actor: Actor) -> Markup:
    if actor.role == Role.COMMISSIONER and actor.organisation_id:
        context = {"my_tenders": selectors.tenders_of_commissioner(actor)}
    elif actor.role == Role.EVALUATOR:
        context = {"panels": selectors.panels_of_evaluator(actor)}
    elif actor.role in (Role.PROVIDER_ADMIN, Role.PROVIDER_STAFF):
        context = {
            "my_bids": selectors.my_bids_listed(actor),
            "to_confirm": selectors.parts_awaiting_confirmation(actor),
            "unanswered_messages": unanswered_count(actor),
        }
    else:
        return Markup("")
    return render_panel(request, "tendering/panels/dashboard.html", **context)
