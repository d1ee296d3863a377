"""Service-wide pages of the kernel: health, background tasks, cookies and static information.

Pages that join capabilities (start page, dashboard, contract page, errors) are in
:mod:`fullvalue.web.site`.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from fullvalue.web.kernel import health
from fullvalue.web.kernel.pages import page, signin_required
from fullvalue.web.kernel.selectors import task_results

COOKIE_SEEN = "cookies_message_seen"


def healthz(request: HttpRequest) -> HttpResponse:
    """200 when the database answers and a task worker beat within a minute; else 503."""
    status, body = health.check()
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    return response


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
