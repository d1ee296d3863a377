"""Reading the audit trail (auditors and system administrators only)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from fullvalue.domain.roles import Role
from fullvalue.errors import PermissionDenied
from fullvalue.web.audit.models import AuditEvent, AuditHead
from fullvalue.web.kernel.actor import Actor

EXPORT_COLUMNS = (
    "seq",
    "occurred_at",
    "actor_email",
    "actor_role",
    "organisation_id",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "changes",
    "hash",
)


def audit_events(actor: Actor, filters: Mapping[str, Any]) -> QuerySet[AuditEvent]:
    """Events matching the filters, newest first.

    Filters: ``q`` (who or what, contains), ``action`` (prefix), ``object_type``,
    ``date_from`` / ``date_to`` (ISO dates, inclusive, UTC).
    """
    if actor.role not in (Role.AUDITOR, Role.SYSTEM_ADMIN):
        raise PermissionDenied("Only auditors and system administrators can read the audit trail.")
    qs = AuditEvent.objects.order_by("-seq")
    q = str(filters.get("q") or "").strip()[:100]
    if q:
        qs = qs.filter(Q(actor_email__icontains=q) | Q(object_repr__icontains=q) | Q(object_id=q))
    if action := str(filters.get("action") or "").strip()[:80]:
        qs = qs.filter(action__startswith=action)
    if object_type := str(filters.get("object_type") or "").strip()[:80]:
        qs = qs.filter(object_type=object_type)
    for key, lookup in (("date_from", "gte"), ("date_to", "lt")):
        raw = str(filters.get(key) or "").strip()
        if not raw:
            continue
        try:
            day = dt.date.fromisoformat(raw)
        except ValueError:
            continue
        if key == "date_to":
            day += dt.timedelta(days=1)
        start = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
        qs = qs.filter(**{f"occurred_at__{lookup}": start})
    return qs


def audit_actions() -> list[str]:
    """Distinct action names, for the filter."""
    return sorted(set(AuditEvent.objects.values_list("action", flat=True).distinct()))


def write_version() -> int:
    """The audit chain's latest sequence number: it changes with every write anywhere.

    Every write service records an audit event in its own transaction, so a value cached under
    this number (with everything else it depends on) is never stale, in any process or host.
    """
    head = AuditHead.objects.filter(id=1).values_list("seq", flat=True).first()
    return int(head or 0)


_REQUEST_VERSION = "_fullvalue_write_version"


def write_version_for(request: Any) -> int:
    """``write_version()`` read once per request: every cached read in one page agrees on it.

    A page that caches several reads (the actor's roles, the contract, the page body) keys them
    all under the same number, so they are consistent with each other and cost one query.
    """
    version: int | None = getattr(request, _REQUEST_VERSION, None)
    if version is None:
        version = write_version()
        setattr(request, _REQUEST_VERSION, version)
    return version


#: Change fields that hold an organisation's id, and those that hold a person's (user) id.
_ORGANISATION_FIELDS = {"organisation", "provider", "lead", "commissioner", "winner_organisation"}
_PERSON_FIELDS = {"user", "prepared_by", "approved_by", "evaluator_user", "invited_by"}
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_ROLE_VALUES = {r.value for r in Role}
_CODE = re.compile(r"^[a-z]+(_[a-z0-9]+)+$")
#: Past tense of the verbs actions end with ("award.decide" -> "Award decided").
_PAST = {
    "create": "created",
    "update": "updated",
    "delete": "deleted",
    "decide": "decided",
    "confirm": "confirmed",
    "approve": "approved",
    "prepare": "prepared",
    "publish": "published",
    "submit": "submitted",
    "withdraw": "withdrawn",
    "close": "closed",
    "amend": "amended",
    "assign": "assigned",
    "declare": "declared",
    "accept": "accepted",
    "reject": "rejected",
    "dispute": "disputed",
    "remove": "removed",
    "invite": "invited",
    "sign_in": "signed in",
    "backdate": "backdated",
    "start": "started",
    "finish": "finished",
}


@dataclass(frozen=True)
class ReadableChange:
    """One changed field, named and valued in words."""

    field: str
    before: str
    after: str


@dataclass(frozen=True)
class ReadableEvent:
    """An audit event as a person reads it: who, what, and before and after in words.

    ``recorded`` is when the event was written; ``happened`` is the date the change itself
    carries, when it records something that happened on another day (a milestone met, a
    payment made, a backdated start), with the field it came from.
    """

    event: AuditEvent
    who: str
    role: str
    action: str
    changes: list[ReadableChange]
    happened: tuple[str, str] | None


def _day(value: dt.date) -> str:
    return f"{value.day} {value:%B %Y}"


def _words(field: str, value: Any, names: Mapping[tuple[str, int], str]) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int) and field in _ORGANISATION_FIELDS:
        return names.get(("organisation", value), f"organisation {value}")
    if isinstance(value, int) and field in _PERSON_FIELDS:
        return names.get(("person", value), f"person {value}")
    if isinstance(value, int) and field == "bid":
        return f"bid {value}"
    if isinstance(value, list):
        return "; ".join(_words(field, v, names) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{_field(k)}: {_words(k, v, names)}" for k, v in value.items())
    text = str(value)
    if _ISO_DAY.match(text):
        return _day(dt.date.fromisoformat(text))
    if _ISO_MOMENT.match(text):
        try:
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return text
        local = timezone.localtime(moment) if moment.tzinfo else moment
        return f"{_day(local.date())} at {local:%H:%M}"
    if field == "role" and text in _ROLE_VALUES:
        return Role(text).label
    if _CODE.match(text):
        return text.replace("_", " ")
    return text


def _field(name: str) -> str:
    return name.replace("_", " ").capitalize()


def readable_action(action: str) -> str:
    """An action in words.

    >>> readable_action("award.decide")
    'Award decided'
    >>> readable_action("organisation.import.create")
    'Organisation import created'
    """
    *subject, verb = action.split(".")
    words = " ".join([*subject, _PAST.get(verb, verb)]).replace("_", " ")
    return words[:1].upper() + words[1:]


def readable_events(events: list[AuditEvent]) -> list[ReadableEvent]:
    """The events with names for the people and organisations their changes refer to."""
    from fullvalue.web.accounts.selectors import user_names
    from fullvalue.web.organisations.selectors import organisation_names

    org_ids, person_ids = set(), {e.actor_user_id for e in events if e.actor_user_id}
    for e in events:
        for field, pair in (e.changes or {}).items():
            for value in pair if isinstance(pair, list) else [pair]:
                if isinstance(value, int) and field in _ORGANISATION_FIELDS:
                    org_ids.add(value)
                elif isinstance(value, int) and field in _PERSON_FIELDS:
                    person_ids.add(value)
    names: dict[tuple[str, int], str] = {
        ("organisation", i): n for i, n in organisation_names(list(org_ids)).items()
    }
    names |= {("person", i): n for i, n in user_names(list(person_ids)).items()}
    out = []
    for e in events:
        changes, happened = [], None
        for field, pair in (e.changes or {}).items():
            before, after = pair if isinstance(pair, list) and len(pair) == 2 else (None, pair)
            changes.append(
                ReadableChange(
                    _field(field), _words(field, before, names), _words(field, after, names)
                )
            )
            if happened is None and field.endswith(("_on", "_date")) and after:
                happened = (_field(field).lower(), _words(field, after, names))
        role = Role(e.actor_role).label if e.actor_role in _ROLE_VALUES else e.actor_role
        who = names.get(("person", e.actor_user_id or 0)) or e.actor_email or "The system"
        out.append(ReadableEvent(e, who, role or "", readable_action(e.action), changes, happened))
    return out
