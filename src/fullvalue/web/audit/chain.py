"""The hash chain behind the audit trail (pure functions)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
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
    if event.get("key_id"):  # keyed events bind their key id; older, unkeyed ones have none
        payload["key_id"] = event["key_id"]
    when = event.get("occurred_at")
    if isinstance(when, dt.datetime):
        payload["occurred_at"] = when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_digest(prev_hash: str, event: Mapping[str, Any], key: bytes | None = None) -> str:
    """HMAC-SHA256 under the audit key of the previous hash followed by the event's bytes.

    Notes
    -----
    ``hash_n = HMAC-SHA256(key, hash_{n-1} || canonical(event_n))`` with ``hash_0`` sixty-four
    zeros; ``canonical`` includes the id of the key. Changing, removing or reordering any event
    changes every later hash, and without the key (kept outside the database) nobody can
    compute the hashes of a rewritten chain. Events written before the chain was keyed have no
    key id and ``hash_n = SHA256(hash_{n-1} || canonical(event_n))``: pass ``key=None``.

    >>> event = {"seq": 1, "action": "x", "key_id": "k1"}
    >>> event_digest(GENESIS, event, b"secret") != event_digest(GENESIS, event, b"other")
    True
    """
    message = prev_hash.encode() + canonical(event)
    if key is None:
        return hashlib.sha256(message).hexdigest()
    return hmac.new(key, message, hashlib.sha256).hexdigest()
