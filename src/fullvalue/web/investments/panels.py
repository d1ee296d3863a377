"""What investments add to the dashboard: a way to an investor's own page."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest
from markupsafe import Markup

from fullvalue.domain.roles import Role
from fullvalue.web.kernel.panels import render_panel

if TYPE_CHECKING:
    from fullvalue.web.kernel.actor import Actor


def dashboard(request: HttpRequest, actor: Actor) -> Markup:
    """For social investors: the contracts they fund, expected return and payments so far."""
    if actor.role != Role.INVESTOR:
        return Markup("")
    return render_panel(request, "investments/panels/dashboard.html")
