"""RFC 9457 problem details for every API error, with a stable ``type`` per error code."""

from __future__ import annotations

import logging
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError

from fullvalue.errors import FullvalueError, Problem

logger = logging.getLogger(__name__)

CONTENT_TYPE = "application/problem+json"
TITLES = {
    "bad-request": "The request could not be read",
    "unauthenticated": "Authentication is required",
    "permission-denied": "You do not have permission to do that",
    "not-found": "Not found",
    "conflict": "The request conflicts with the current state",
    "invalid-input": "The input needs correcting",
    "insufficient-data": "The data cannot support this analysis",
    "rate-limited": "Too many requests",
    "server-error": "Something went wrong on our side",
}
STATUS_CODES = {
    400: "bad-request",
    401: "unauthenticated",
    403: "permission-denied",
    404: "not-found",
    409: "conflict",
    422: "invalid-input",
    429: "rate-limited",
    500: "server-error",
}


class ProblemOut(Schema):
    """RFC 9457 problem details (``application/problem+json``)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    code: str
    errors: list[dict[str, Any]] | None = None


# What every operation may answer besides success: a request that cannot be read (400), no
# or a bad token (401), a role or organisation that may not (403), nothing there or not
# visible (404), input that breaks a rule (422), too many requests (429).
ERRORS: dict[int, type[Schema]] = dict.fromkeys((400, 401, 403, 404, 422, 429), ProblemOut)
# Writes may also find the state changed under them: already done, closed, duplicate (409).
WRITE_ERRORS: dict[int, type[Schema]] = {**ERRORS, 409: ProblemOut}
# Uploads may also be too large (413).
UPLOAD_ERRORS: dict[int, type[Schema]] = {**WRITE_ERRORS, 413: ProblemOut}


def problem_type(code: str) -> str:
    """The stable ``type`` URI of a problem code (documented at that address)."""
    return f"/api/v1/problems/{code}"


def problem_response(
    api: NinjaAPI,
    request: HttpRequest,
    *,
    status: int,
    code: str,
    detail: str,
    problems: list[Problem] | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    """Build an ``application/problem+json`` response."""
    body: dict[str, Any] = {
        "type": problem_type(code),
        "title": TITLES.get(code, "There is a problem"),
        "status": status,
        "detail": detail,
        "instance": request.path,
        "code": code,
    }
    if problems:
        body["errors"] = [p.as_dict() for p in problems]
    response = api.create_response(request, body, status=status)
    response["Content-Type"] = CONTENT_TYPE
    for key, value in (headers or {}).items():
        response[key] = value
    return response


def install(api: NinjaAPI) -> None:
    """Register the handlers so that every error leaves as problem details."""

    @api.exception_handler(FullvalueError)
    def _app_error(request: HttpRequest, exc: FullvalueError) -> HttpResponse:
        return problem_response(
            api,
            request,
            status=exc.status,
            code=exc.code,
            detail=exc.message,
            problems=exc.problems,
        )

    @api.exception_handler(NinjaValidationError)
    def _validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        problems = []
        for err in exc.errors:
            loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "payload")]
            problems.append(
                Problem(
                    err.get("msg", "invalid"),
                    location=".".join(loc),
                    column=loc[-1] if loc else None,
                )
            )
        return problem_response(
            api,
            request,
            status=422,
            code="invalid-input",
            detail="The request does not match the schema.",
            problems=problems,
        )

    @api.exception_handler(Throttled)
    def _throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
        wait = getattr(exc, "wait", None)
        headers = {"Retry-After": str(int(wait))} if wait else {}
        return problem_response(
            api,
            request,
            status=429,
            code="rate-limited",
            detail="You have made too many requests; wait and try again.",
            headers=headers,
        )

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return problem_response(
            api,
            request,
            status=401,
            code="unauthenticated",
            detail="Send a valid API token as 'Authorization: Bearer <token>'.",
            headers={"WWW-Authenticate": 'Bearer realm="fullvalue"'},
        )

    @api.exception_handler(AuthorizationError)
    def _forbidden(request: HttpRequest, exc: AuthorizationError) -> HttpResponse:
        return problem_response(api, request, status=403, code="permission-denied", detail=str(exc))

    @api.exception_handler(Http404)
    def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return problem_response(api, request, status=404, code="not-found", detail="Not found.")

    @api.exception_handler(HttpError)
    def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        code = STATUS_CODES.get(exc.status_code, "bad-request")
        return problem_response(api, request, status=exc.status_code, code=code, detail=str(exc))

    @api.exception_handler(Exception)
    def _server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("unhandled API error", exc_info=exc)
        return problem_response(
            api,
            request,
            status=500,
            code="server-error",
            detail="An unexpected error happened; it has been logged.",
        )
