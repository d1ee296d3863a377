"""Reads of the Right to Challenge: windows, the public register, each challenge's clocks."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from fullvalue.errors import NotFound
from fullvalue.web.challenges import rules
from fullvalue.web.challenges.models import ExpressionOfInterest, Window
from fullvalue.web.kernel.actor import Actor
from fullvalue.web.tendering import selectors as tendering

BODY_TYPES = dict(ExpressionOfInterest.BodyType.choices)
OUTCOMES = dict(ExpressionOfInterest.Outcome.choices)
GROUNDS = rules.GROUNDS


def window_get(window_id: int) -> Window:
    window = Window.objects.select_related("authority").filter(id=window_id).first()
    if window is None:
        raise NotFound("No such window for expressions of interest.")
    return window


def windows_listed() -> list[Window]:
    """Every window, the latest to close first."""
    return list(Window.objects.select_related("authority").order_by("-closes_on", "-id"))


def windows_open(today: dt.date) -> list[Window]:
    """Windows taking expressions of interest today, the soonest to close first (one query)."""
    return list(
        Window.objects.select_related("authority")
        .filter(opens_on__lte=today, closes_on__gte=today)
        .order_by("closes_on", "id")
    )


def is_open(window: Window, today: dt.date) -> bool:
    return not rules.received_while_window_open(window, today)


def interests_listed() -> QuerySet[ExpressionOfInterest]:
    """Every expression of interest (the register is public), in the order received."""
    return ExpressionOfInterest.objects.select_related(
        "window", "window__authority", "body", "procurement"
    ).order_by("id")


def interests_of_authority(organisation_id: int) -> list[ExpressionOfInterest]:
    return list(interests_listed().filter(window__authority_id=organisation_id))


def interest_get(interest_id: int) -> ExpressionOfInterest:
    interest = interests_listed().filter(id=interest_id).first()
    if interest is None:
        raise NotFound("No such expression of interest.")
    return interest


def overdue(interest: ExpressionOfInterest, today: dt.date) -> list[str]:
    """What the authority is late with (the rule broken, with when it was due); empty if nothing."""
    found = rules.timetable_within_thirty_days(interest, today)
    if interest.decision_timetable_sent_on is not None:
        found = []  # sent late is recorded, not still overdue
    found += rules.decided_when_promised(interest, today)
    return [p.reason for p in found]


def overdue_of_authority(organisation_id: int, today: dt.date) -> list[ExpressionOfInterest]:
    return [i for i in interests_of_authority(organisation_id) if overdue(i, today)]


def ocid_of(interest: ExpressionOfInterest) -> str | None:
    """The OCDS id of the procurement an accepted expression of interest started, if any."""
    if interest.procurement is None or interest.outcome not in ("accepted", "modified"):
        return None
    return f"{settings.OCID_PREFIX}-{interest.procurement.reference}"


def procurement_window(interest: ExpressionOfInterest) -> tuple[dt.date, dt.date] | None:
    """Between which days the procurement is to start, by the authority's published periods."""
    if interest.decided_on is None or interest.outcome not in ("accepted", "modified"):
        return None
    window = interest.window
    return (
        interest.decided_on + dt.timedelta(days=window.min_days_to_procure),
        interest.decided_on + dt.timedelta(days=window.max_days_to_procure),
    )


def tenders_to_link(actor: Actor) -> list[Any]:
    """The authority's own tenders, one of which an acceptance may name as its procurement."""
    return tendering.tenders_of_commissioner(actor, limit=50)


def register_row(interest: ExpressionOfInterest, today: dt.date) -> dict[str, Any]:
    """One challenge on the register, in plain words."""
    return {
        "interest": interest,
        "body": interest.body.name,
        "body_type": BODY_TYPES.get(interest.body_type, interest.body_type),
        "authority": interest.window.authority.name,
        "service": interest.window.service,
        "received_on": interest.received_on,
        "timetable_due_on": rules.timetable_due_on(interest.received_on),
        "decision_timetable_sent_on": interest.decision_timetable_sent_on,
        "outcome": OUTCOMES[interest.outcome],
        "decided_on": interest.decided_on,
        "grounds": [GROUNDS.get(g, g) for g in interest.grounds],
        "reasons": interest.reasons,
        "ocid": ocid_of(interest),
        "overdue": overdue(interest, today),
    }
