"""Pages the site layer assembles: the start page, the dashboard, and the error pages."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from fullvalue.domain.roles import Role
from fullvalue.web.accounts.middleware import own_memberships
from fullvalue.web.audit import panels as audit_panels
from fullvalue.web.budgets import panels as budget_panels
from fullvalue.web.challenges import panels as challenge_panels
from fullvalue.web.investments import panels as investment_panels
from fullvalue.web.kernel.pages import page, signin_required
from fullvalue.web.kernel.selectors import task_results
from fullvalue.web.organisations import panels as organisation_panels
from fullvalue.web.organisations.selectors import organisation_count
from fullvalue.web.reporting import panels as reporting_panels
from fullvalue.web.tendering import panels as tendering_panels


def home(request: HttpRequest) -> HttpResponse:
    """The start page."""
    return page(
        request,
        "core/home.html",
        "Commission rehabilitation services for their full value",
        organisation_count=organisation_count(),
    )


@signin_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """A dashboard shaped by the role the person is acting in, from each capability's panel."""
    actor = request.actor  # type: ignore[attr-defined]
    memberships = own_memberships(request)
    organisation = next((m.organisation for m in memberships if m.id == actor.membership_id), None)
    panels = [
        organisation_panels.market(request, actor),
        tendering_panels.dashboard(request, actor),
        investment_panels.dashboard(request, actor),
        reporting_panels.dashboard(request, actor),
        budget_panels.dashboard(request, actor),
        challenge_panels.dashboard(request, actor),
        organisation_panels.own_organisation(request, actor, organisation),
        audit_panels.dashboard(request, actor),
    ]
    return page(
        request,
        "site/dashboard.html",
        "Dashboard",
        organisation=organisation,
        memberships=memberships,
        panels=panels,
        community=actor.role == Role.COMMUNITY_MEMBER,
        failed_tasks=(
            task_results(actor, "FAILED").count() if actor.role == Role.SYSTEM_ADMIN else None
        ),
        nav_active="dashboard",
    )


def _api_problem(request: HttpRequest, status: int, detail: str) -> HttpResponse | None:
    """Problem details for a path under the API that no endpoint answered, else ``None``."""
    if not request.path.startswith("/api/"):
        return None
    from fullvalue.web.api.app import api
    from fullvalue.web.api.problems import STATUS_CODES, problem_response

    return problem_response(api, request, status=status, code=STATUS_CODES[status], detail=detail)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404 page (problem details under ``/api/``, where clients expect JSON)."""
    problem = _api_problem(request, 404, "There is no API endpoint at this address.")
    if problem is not None:
        return problem
    return page(request, "core/error.html", "Page not found", status=404, error=None)


def server_error(request: HttpRequest) -> HttpResponse:
    """500 page (rendered without touching the database; problem details under ``/api/``)."""
    problem = _api_problem(request, 500, "Something went wrong on our side; it has been logged.")
    if problem is not None:
        return problem
    return render(request, "core/500.html", {"title": "Sorry, there is a problem"}, status=500)
