"""``Cache-Control: no-store`` on every response made for a signed-in person or an API token.

Pages and files behind sign-in show personal data (participants, evidence, bids, remittances) or
sealed commercial data. A browser or a proxy must keep no copy of them: on a shared computer the
back button or the disk cache would otherwise show them to the next person. A view that sets its
own ``Cache-Control`` (a public chart, say) keeps it.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class NoStoreWhenSignedInMiddleware:
    """Add ``Cache-Control: no-store`` to responses for a signed-in actor or a bearer token."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        actor = getattr(request, "actor", None)
        signed_in = actor is not None and actor.is_authenticated
        if (signed_in or "Authorization" in request.headers) and not response.has_header(
            "Cache-Control"
        ):
            response["Cache-Control"] = "no-store"
        return response
