"""Service-wide pages: start page, dashboard, health, cookies and the static information pages."""

from __future__ import annotations

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from fullvalue.domain.organisations import REGIONS, SizeBand
from fullvalue.domain.roles import Role
from fullvalue.web.accounts.middleware import own_memberships
from fullvalue.web.audit.selectors import audit_events
from fullvalue.web.core import health
from fullvalue.web.core.pages import page, signin_required
from fullvalue.web.core.selectors import task_results
from fullvalue.web.organisations.models import Organisation
from fullvalue.web.organisations.rules import LED_BY_FIELDS
from fullvalue.web.organisations.selectors import market_summary
from fullvalue.web.tendering.models import EvaluatorAssignment, Tender
from fullvalue.web.tendering.selectors import my_bids_listed

COOKIE_SEEN = "cookies_message_seen"


def home(request: HttpRequest) -> HttpResponse:
    """The start page."""
    return page(
        request,
        "core/home.html",
        "Commission rehabilitation services for their full value",
        organisation_count=Organisation.objects.count(),
    )


def healthz(request: HttpRequest) -> HttpResponse:
    """200 when the database answers and a task worker beat within a minute; else 503."""
    status, body = health.check()
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    return response


@signin_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """A dashboard shaped by the role the person is acting in."""
    actor = request.actor  # type: ignore[attr-defined]
    context: dict = {"nav_active": "dashboard"}
    memberships = own_memberships(request)
    context["organisation"] = next(
        (m.organisation for m in memberships if m.id == actor.membership_id), None
    )
    if actor.role in (Role.COMMISSIONER, Role.EVALUATOR, Role.INVESTOR, Role.SYSTEM_ADMIN):
        # The market view is aggregate public data: a minute's staleness is fine.
        summary = cache.get_or_set("market-summary", market_summary, 60)
        total = sum(summary["by_sector"].values()) or 1
        context["market"] = summary
        context["market_total"] = total
        context["bands"] = list(SizeBand)
        context["band_max"] = max(summary["voluntary_by_band"].values()) or 1
        context["led_by_labels"] = LED_BY_FIELDS
    if actor.role in (Role.AUDITOR, Role.SYSTEM_ADMIN):
        context["recent_events"] = list(audit_events(actor, {})[:5])
    if actor.role == Role.SYSTEM_ADMIN:
        context["failed_tasks"] = task_results(actor, "FAILED").count()
    if actor.role == Role.COMMISSIONER and actor.organisation_id:
        context["my_tenders"] = list(
            Tender.objects.filter(commissioner_id=actor.organisation_id).order_by("-id")[:10]
        )
    if actor.role == Role.EVALUATOR:
        context["panels"] = list(
            EvaluatorAssignment.objects.filter(evaluator_id=actor.membership_id)
            .select_related("tender")
            .order_by("-id")
        )
    if actor.role in (Role.PROVIDER_ADMIN, Role.PROVIDER_STAFF):
        context["my_bids"] = my_bids_listed(actor)
    context["memberships"] = memberships
    context["regions"] = REGIONS
    return page(request, "core/dashboard.html", "Dashboard", **context)


@signin_required
def tasks(request: HttpRequest) -> HttpResponse:
    """Background task results for system administrators, failures first if asked."""
    status = request.GET.get("status", "")
    results = list(task_results(request.actor, status)[:200])  # type: ignore[attr-defined]
    return page(
        request,
        "core/tasks.html",
        "Background tasks",
        results=results,
        status_filter=status,
        nav_active="tasks",
    )


def cookies(request: HttpRequest) -> HttpResponse:
    """The cookies page."""
    return page(request, "core/cookies.html", "Cookies")


@require_POST
def cookies_hide(request: HttpRequest) -> HttpResponse:
    """Hide the cookie message (works without JavaScript)."""
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    response = HttpResponseRedirect(target)
    response.set_cookie(
        COOKIE_SEEN,
        "yes",
        max_age=365 * 24 * 3600,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )
    return response


def accessibility(request: HttpRequest) -> HttpResponse:
    """Accessibility statement."""
    return page(request, "core/accessibility.html", "Accessibility statement")


def privacy(request: HttpRequest) -> HttpResponse:
    """Privacy notice."""
    return page(request, "core/privacy.html", "Privacy notice")


def feedback(request: HttpRequest) -> HttpResponse:
    """How to give feedback."""
    return page(request, "core/feedback.html", "Give feedback")


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
    from django.shortcuts import render

    problem = _api_problem(request, 500, "Something went wrong on our side; it has been logged.")
    if problem is not None:
        return problem
    return render(request, "core/500.html", {"title": "Sorry, there is a problem"}, status=500)
