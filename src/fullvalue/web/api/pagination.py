"""Cursor pagination: stable under inserts, opaque to clients.

A cursor encodes the sort key of the last item returned (name and id); the next page is the
items strictly after it. ``links.next`` is the full URL of the next page, or ``null``.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from ninja import Schema
from pydantic import Field

from fullvalue.errors import FullvalueError, Problem

MAX_LIMIT = 200
DEFAULT_LIMIT = 50


class Links(Schema):
    """Pagination links."""

    next: str | None = Field(description="the full URL of the next page; null on the last")


class PageIn(Schema):
    """Which page: the cursor from the last page's ``next_cursor`` and the page size."""

    cursor: str | None = Field(None, description="opaque; from the last page")
    limit: int = Field(DEFAULT_LIMIT, description=f"items per page, 1-{MAX_LIMIT}")


def page_out(
    request: HttpRequest, qs: QuerySet, page: PageIn, *, key: str = "id"
) -> tuple[list[Any], dict[str, Any]]:
    """One page of ``qs`` and the page's ``next_cursor`` and ``links`` (to add ``items`` to)."""
    items, next_cursor, next_url = paginate(
        request, qs, cursor=page.cursor, limit=page.limit, key=key
    )
    return items, {"next_cursor": next_cursor, "links": {"next": next_url}}


def encode_cursor(values: list[Any]) -> str:
    """Encode sort-key values as an opaque cursor."""
    raw = json.dumps(values, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> list[Any]:
    """Decode a cursor or raise a 400 problem naming the parameter."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(values, list) or len(values) != 2:
            raise ValueError
        return values
    except (ValueError, TypeError) as exc:
        raise FullvalueError(
            "The cursor is not valid.",
            code="bad-request",
            status=400,
            problems=[Problem("not a cursor this API issued", column="cursor")],
        ) from exc


def paginate(
    request: HttpRequest, qs: QuerySet, *, cursor: str | None, limit: int, key: str = "name"
) -> tuple[list[Any], str | None, str | None]:
    """Return one page of ``qs`` ordered by (``key``, id), the next cursor and its URL."""
    if limit < 1 or limit > MAX_LIMIT:
        raise FullvalueError(
            f"limit must be between 1 and {MAX_LIMIT}.",
            code="bad-request",
            status=400,
            problems=[Problem(f"must be between 1 and {MAX_LIMIT}", column="limit")],
        )
    qs = qs.order_by(key, "id")
    if cursor:
        last_key, last_id = decode_cursor(cursor)
        qs = qs.filter(Q(**{f"{key}__gt": last_key}) | Q(**{key: last_key, "id__gt": last_id}))
    items = list(qs[: limit + 1])
    if len(items) <= limit:
        return items, None, None
    items = items[:limit]
    last = items[-1]
    next_cursor = encode_cursor([getattr(last, key), last.id])
    params = request.GET.copy()
    params["cursor"] = next_cursor
    params["limit"] = str(limit)
    return items, next_cursor, request.build_absolute_uri(request.path + "?" + params.urlencode())
