"""Helpers every page view uses: render with the layout, require sign-in, turn errors into pages."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from fullvalue.errors import FullvalueError
from fullvalue.web.kernel.forms import FormState


def page(
    request: HttpRequest,
    template: str,
    title: str,
    *,
    state: FormState | None = None,
    status: int | None = None,
    **context: Any,
) -> HttpResponse:
    """Render a page; a form state with errors gives the error summary and a 400 status."""
    errors = state.error_list if state is not None else []
    return render(
        request,
        template,
        {"title": title, "state": state or FormState(), "page_errors": errors, **context},
        status=status or (400 if errors else 200),
    )


def signin_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Send people who are not (fully) signed in to the sign-in page, then back."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.actor.is_authenticated:  # type: ignore[attr-defined]
            target = reverse("sign-in") + "?" + urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(target)
        return view(request, *args, **kwargs)

    return wrapper


def error_page(request: HttpRequest, error: FullvalueError) -> HttpResponse:
    """The page for an error that reached the top of a view (403, 404, 409 ...)."""
    titles = {
        403: "You do not have permission to see this page",
        404: "Page not found",
        409: "This cannot be done now",
    }
    return page(
        request,
        "core/error.html",
        titles.get(error.status, "There is a problem"),
        status=error.status,
        error=error,
    )


class ErrorPageMiddleware:
    """Render application errors raised by page views as GOV.UK error pages."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """Handle :class:`FullvalueError` outside the API (the API has its own handlers)."""
        if isinstance(exception, FullvalueError) and not request.path.startswith("/api/"):
            return error_page(request, exception)
        return None
