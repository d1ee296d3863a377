"""What community budgets add to the dashboard: the budgets, and contributions to agree."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest
from markupsafe import Markup

from fullvalue.web.audit.selectors import write_version_for
from fullvalue.web.budgets import policy, selectors
from fullvalue.web.kernel.panels import cached_panel, render_panel

if TYPE_CHECKING:
    from fullvalue.web.kernel.actor import Actor


def dashboard(request: HttpRequest, actor: Actor) -> Markup:
    """A commissioner's community budgets and the contributions waiting for its agreement.

    Drawn once per reader and write version.
    """
    if not policy.commissions_for_organisation(actor):
        return Markup("")
    reader = (actor.user_id, actor.membership_id, actor.role, actor.organisation_id)
    parts = ["budgets-dashboard", write_version_for(request), reader]
    return cached_panel(request, parts, lambda: _dashboard(request, actor))


def _dashboard(request: HttpRequest, actor: Actor) -> Markup:
    budgets = selectors.budgets_listed(actor).count()
    if not budgets:
        return Markup("")
    waiting = len(selectors.awaiting_agreement(actor))
    return render_panel(request, "budgets/panels/dashboard.html", budgets=budgets, waiting=waiting)
