"""API authentication: bearer tokens for machine clients, the session for the browser."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.errors import AuthenticationError
from ninja.security import APIKeyCookie, HttpBearer

from fullvalue.web.accounts.services import actor_for_token
from fullvalue.web.kernel.actor import Actor


class TokenAuth(HttpBearer):
    """``Authorization: Bearer fv_...``: acts as the token's membership (organisation and role)."""

    def authenticate(self, request: HttpRequest, token: str) -> Actor | None:
        """Return the token's actor, or ``None`` (401) for an unknown or revoked token."""
        actor = actor_for_token(token)
        if actor is not None:
            request.actor = actor  # type: ignore[attr-defined]
        return actor


class SessionActorAuth(APIKeyCookie):
    """A signed-in browser session (CSRF checked on writes), acting in the chosen role."""

    param_name = "sessionid"

    def _get_key(self, request: HttpRequest) -> str | None:
        """The session cookie, CSRF-checked; ``None`` when the request does not use a session.

        A request that sends a bearer token, or no session cookie, is not a browser session:
        it is not CSRF-checked here, so a missing or bad token answers 401, not a CSRF 403.
        """
        if "Authorization" in request.headers or self.param_name not in request.COOKIES:
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Actor | None:
        """Return the session's actor if the person is fully signed in."""
        actor = getattr(request, "actor", None)
        if actor is not None and actor.is_authenticated:
            return actor
        return None


def request_actor(request: HttpRequest) -> Actor:
    """The actor an authenticated operation acts as (set by ``TokenAuth`` or the session)."""
    return request.auth  # type: ignore[attr-defined,no-any-return]


def optional_actor(request: HttpRequest) -> Actor:
    """For public endpoints: the token's actor when a valid token is sent, else the session's."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        actor = actor_for_token(header[7:].strip())
        if actor is not None:
            request.auth = actor  # type: ignore[attr-defined]
            return actor
        raise AuthenticationError()
    return getattr(request, "actor", None) or Actor.anonymous()
