"""One way to cache a computed value under a digest of what it depends on (decision 0005)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import cache

T = TypeVar("T")


def digest_key(prefix: str, parts: Any) -> str:
    """``prefix`` and the SHA-256 of ``parts`` as JSON: short, safe for any cache, any input.

    >>> digest_key("org-results", ["3:2026-11-26", [["page", ["2"]]]])[:16]
    'org-results:ca6e'
    """
    text = json.dumps(parts, sort_keys=True, default=str)
    return f"{prefix}:{hashlib.sha256(text.encode()).hexdigest()}"


def cached(prefix: str, parts: Any, compute: Callable[[], T], timeout: int = 3600) -> T:
    """The value stored under ``prefix`` and ``parts``, computed and stored on a miss.

    Put everything the value depends on into ``parts`` (for shared data, a version read from
    the database such as ``directory_version()``), so a stored value is never stale. An exception
    from ``compute`` is raised and nothing is stored.
    """
    key = digest_key(prefix, parts)
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout)
    return value
