"""The JSON API at ``/api/v1/`` (django-ninja): OpenAPI 3 at ``/api/v1/openapi.json``.

This module assembles the API from each capability's router (``web/<capability>/api.py``, which
holds that capability's typed schemas and operations) with the shared machinery of this
package: authentication (``auth``), problem details (``problems``), cursor pagination
(``pagination``), rate limits (``throttling``) and shared field types (``schemas``).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.operation import Operation

from fullvalue.errors import NotFound
from fullvalue.web.accounts.api import router as accounts_router
from fullvalue.web.api import problems
from fullvalue.web.api.auth import SessionActorAuth, TokenAuth
from fullvalue.web.api.problems import ProblemOut
from fullvalue.web.api.throttling import AnonLimit, TokenLimit
from fullvalue.web.audit.api import router as audit_router
from fullvalue.web.budgets.api import router as budgets_router
from fullvalue.web.challenges.api import router as challenges_router
from fullvalue.web.contracts.api import router as contracts_router
from fullvalue.web.delivery.api import router as delivery_router
from fullvalue.web.organisations.api import router as organisations_router
from fullvalue.web.payruns.api import router as payruns_router
from fullvalue.web.programmes.api import router as programmes_router
from fullvalue.web.publication.api import giving_router, market_router, ocds_router
from fullvalue.web.reporting.api import router as reporting_router
from fullvalue.web.socialvalue.api import router as socialvalue_router
from fullvalue.web.tendering.api import router as tendering_router

__all__ = ["ProblemOut", "api"]

DESCRIPTION = """
Fullvalue's JSON API. Machine clients send `Authorization: Bearer <token>`; a token acts for one
membership (one organisation and role) and is created on the *Your account* page. Without a
valid token an operation that needs one answers 401 with `WWW-Authenticate: Bearer`. Lists use
cursor pagination (`cursor`, `limit`, and `links.next`). Every error is
`application/problem+json` (RFC 9457) with a stable `type` and, for input errors, an `errors`
list naming each field and reason.
"""


class FullvalueAPI(NinjaAPI):
    """The API, whose operation ids are the operations' names (``list_contracts``)."""

    def get_openapi_operation_id(self, operation: Operation) -> str:
        """The view function's name: unique across the API, stable when code moves."""
        return operation.view_func.__name__


api = FullvalueAPI(
    title="Fullvalue API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    auth=[TokenAuth(), SessionActorAuth()],
    throttle=[AnonLimit(settings.API_RATE_LIMIT), TokenLimit(settings.API_RATE_LIMIT)],
)
problems.install(api)
api.add_router("", organisations_router)
api.add_router("", accounts_router)
api.add_router("", programmes_router)
api.add_router("", tendering_router)
api.add_router("", contracts_router)
api.add_router("", delivery_router)
api.add_router("", payruns_router)
api.add_router("/ocds", ocds_router)
api.add_router("/market", market_router)
api.add_router("/360giving", giving_router)
api.add_router("", audit_router)
api.add_router("", reporting_router)
api.add_router("", challenges_router)
api.add_router("", budgets_router)
api.add_router("", socialvalue_router)


@api.get("/problems/{code}", auth=None, include_in_schema=False)
def problem_doc(request: HttpRequest, code: str) -> HttpResponse:
    """Human description of a problem type."""
    title = problems.TITLES.get(code)
    if title is None:
        raise NotFound("No such problem type.")
    return HttpResponse(f"{code}: {title}", content_type="text/plain; charset=utf-8")
