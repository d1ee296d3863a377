"""API authentication: bearer tokens for machine clients, the session for the browser."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer

from fullvalue.web.accounts.services import actor_for_token
from fullvalue.web.core.actor import Actor


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
        """No session (and so no CSRF check) for a request that sends a bearer token.

        A request with ``Authorization: Bearer`` authenticates by its token alone: a bad token
        answers 401 with ``WWW-Authenticate``, not the session's CSRF 403.
        """
        if request.headers.get("Authorization", "").lower().startswith("bearer "):
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Actor | None:
        """Return the session's actor if the person is fully signed in."""
        actor = getattr(request, "actor", None)
        if actor is not None and actor.is_authenticated:
            return actor
        return None


def optional_actor(request: HttpRequest) -> Actor:
    """For public endpoints: the token's actor when a valid token is sent, else the session's."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        actor = actor_for_token(header[7:].strip())
        if actor is not None:
            request.auth = actor  # type: ignore[attr-defined]
            return actor
        from ninja.errors import AuthenticationError

        raise AuthenticationError()
    return getattr(request, "actor", None) or Actor.anonymous()
