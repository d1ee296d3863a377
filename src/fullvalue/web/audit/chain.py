"""The hash chain behind the audit trail (pure functions)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

GENESIS = "0" * 64

#: The event fields covered by the hash, in a fixed order.
HASHED_FIELDS = (
    "seq",
    "occurred_at",
    "actor_user_id",
    "actor_email",
    "actor_role",
    "organisation_id",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "changes",
)


def jsonable(value: Any) -> Any:
    """Turn a field value into plain JSON (Decimals and dates as strings, sets sorted)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (set, frozenset)):
        return sorted(jsonable(v) for v in value)
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    return value


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Return ``{field: [before, after]}`` for every field whose value changed.

    >>> diff({"name": "A", "town": "Leeds"}, {"name": "B", "town": "Leeds"})
    {'name': ['A', 'B']}
    >>> diff({}, {"name": "A"})
    {'name': [None, 'A']}
    """
    out: dict[str, list[Any]] = {}
    for key in sorted(set(before) | set(after)):
        old, new = jsonable(before.get(key)), jsonable(after.get(key))
        if old != new:
            out[key] = [old, new]
    return out


def canonical(event: Mapping[str, Any]) -> bytes:
    """The canonical bytes of an event's hashed fields (sorted keys, compact, UTF-8)."""
    payload = {name: jsonable(event.get(name)) for name in HASHED_FIELDS}
    when = event.get("occurred_at")
    if isinstance(when, dt.datetime):
        payload["occurred_at"] = when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_digest(prev_hash: str, event: Mapping[str, Any]) -> str:
    """SHA-256 of the previous hash followed by the event's canonical bytes.

    Notes
    -----
    ``hash_n = SHA256(hash_{n-1} || canonical(event_n))`` with ``hash_0`` sixty-four zeros.
    Changing, removing or reordering any event changes every later hash.

    """
    return hashlib.sha256(prev_hash.encode() + canonical(event)).hexdigest()
