"""The investor's page: the outcome contracts they fund, expected return, payments to date."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from fullvalue.domain.roles import Role
from fullvalue.web.core.pages import page, signin_required
from fullvalue.web.investments.selectors import RUNS, investments_for


@signin_required
def investment_list(request: HttpRequest) -> HttpResponse:
    """Investments for a social investor (read-only for auditors and administrators)."""
    actor = request.actor  # type: ignore[attr-defined]
    actor.require_role(
        Role.INVESTOR,
        Role.AUDITOR,
        Role.SYSTEM_ADMIN,
        message="This page is for social investors.",
    )
    return page(
        request,
        "investments/list.html",
        "Your investments",
        rows=investments_for(actor),
        runs=RUNS,
        nav_active="dashboard",
    )
