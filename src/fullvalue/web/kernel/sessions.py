"""Idle timeout without a database write on every request.

Django can save the session on every request to push its expiry forward
(``SESSION_SAVE_EVERY_REQUEST``), which costs a write per page view. This middleware refreshes a
signed-in session at most once a minute instead, so the idle timeout is kept to within a minute
and most requests write nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

REFRESH_KEY = "_refreshed_at"
REFRESH_EVERY_SECONDS = 60


class SessionRefreshMiddleware:
    """Mark an existing session modified when it was last refreshed over a minute ago."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = request.session
        if session.session_key:
            now = int(time.time())
            if now - int(session.get(REFRESH_KEY, 0)) >= REFRESH_EVERY_SECONDS:
                session[REFRESH_KEY] = now  # marks the session modified, so it is saved
        return self.get_response(request)
