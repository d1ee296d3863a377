"""API rate limits: a fixed-window count per client, kept where every web process sees it.

Django Ninja's own throttles keep a list of every request's time for the last window and
rewrite it on each request, so their cost grows with the limit; and by default they count in
the process's own memory, so three gunicorn workers allowed three times the limit. Here each
(client, window) is one counter in ``CACHES["throttle"]`` (files shared by the host's processes
by default; a cache server for several hosts): one read and one write per request whatever the
limit. A fixed window lets a client spend its allowance at the end of one window and again at
the start of the next; that is the usual trade for constant cost.
"""

from __future__ import annotations

import hashlib
import threading
import time

from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.http import HttpRequest
from ninja.throttling import BaseThrottle

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """``"600/m"`` as (600 requests, 60 seconds); periods s, m, h or d, optionally multiplied.

    >>> parse_rate("600/m"), parse_rate("10/5s"), parse_rate("1000/d")
    ((600, 60), (10, 5), (1000, 86400))
    """
    try:
        count, period = rate.split("/", 1)
        unit = period[-1:]
        multiple = int(period[:-1]) if period[:-1] else 1
        return int(count), multiple * _PERIODS[unit]
    except (ValueError, KeyError):
        message = f"a rate is like 600/m (requests per s, m, h or d), not {rate!r}"
        raise ValueError(message) from None


class WindowLimit(BaseThrottle):
    """At most ``num_requests`` per ``duration`` seconds for each client the subclass names."""

    scope = "all"

    def __init__(self, rate: str, cache: BaseCache | None = None) -> None:
        self.num_requests, self.duration = parse_rate(rate)
        self.cache = cache if cache is not None else caches["throttle"]
        self._last = threading.local()  # the wait of this thread's last refused request

    def client(self, request: HttpRequest) -> str | None:
        """Who is counted (``None``: this limit does not apply to the request)."""
        raise NotImplementedError

    def key(self, client: str, now: float) -> str:
        """The counter for a client in the window holding ``now``."""
        return f"fv-limit:{self.scope}:{client}:{int(now // self.duration)}"

    def allow_request(self, request: HttpRequest) -> bool:
        """Count the request; refuse it once the client's window is full."""
        client = self.client(request)
        if client is None:
            return True
        now = time.time()
        key = self.key(client, now)
        try:
            count = self.cache.incr(key)  # the usual case: one read and one write
        except ValueError:  # the window's first request (or its counter just expired)
            count = 1 if self.cache.add(key, 1, self.duration + 1) else self.cache.incr(key)
        if count > self.num_requests:
            self._last.wait = self.duration - now % self.duration
            return False
        return True

    def wait(self) -> float | None:
        """Seconds until the client's next window opens (for ``Retry-After``)."""
        return getattr(self._last, "wait", None)


class AnonLimit(WindowLimit):
    """Requests without a token or session, counted per client address."""

    scope = "anon"

    def client(self, request: HttpRequest) -> str | None:
        """The client's address, for requests nobody signed."""
        if getattr(request, "auth", None) is not None:
            return None
        return self.get_ident(request) or "unknown"


class TokenLimit(WindowLimit):
    """Requests with a token or session, counted per credential."""

    scope = "auth"

    def client(self, request: HttpRequest) -> str | None:
        """A digest of who the request acts as."""
        auth = getattr(request, "auth", None)
        if auth is None:
            return None
        return hashlib.sha256(str(auth).encode()).hexdigest()[:32]
