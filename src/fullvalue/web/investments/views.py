"""The investor's page: the outcome contracts they fund, expected return, payments to date."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from fullvalue.web.investments import policy
from fullvalue.web.investments.selectors import RUNS, investments_for
from fullvalue.web.kernel.pages import page, signin_required
from fullvalue.web.kernel.policy import require


@signin_required
def investment_list(request: HttpRequest) -> HttpResponse:
    """Investments for a social investor (read-only for auditors and administrators)."""
    actor = request.actor  # type: ignore[attr-defined]
    require(policy.can_see_investments, actor)
    return page(
        request,
        "investments/list.html",
        "Your investments",
        rows=investments_for(actor),
        runs=RUNS,
        nav_active="dashboard",
    )
