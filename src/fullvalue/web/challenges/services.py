"""Writes of the Right to Challenge: windows, expressions of interest, timetables, decisions.

Every write is checked here (the clocks and decision rules are in :mod:`.rules`), recorded in
the audit trail, and done in one transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from fullvalue.errors import Conflict, FullvalueError, Problem
from fullvalue.rules import check
from fullvalue.web.audit.services import audit_record
from fullvalue.web.challenges import policy, rules, selectors
from fullvalue.web.challenges.models import ExpressionOfInterest, Window
from fullvalue.web.kernel import fields
from fullvalue.web.kernel.actor import Actor
from fullvalue.web.kernel.policy import require
from fullvalue.web.tendering import selectors as tendering

#: Stated maximum lengths of the long answers (characters).
LONG = 4000
SHORT = 2000
#: The longest period an authority may publish between accepting and procuring (days).
MAX_DAYS = 3650


@transaction.atomic
def window_publish(*, actor: Actor, data: dict[str, Any]) -> Window:
    """Publish a window for expressions of interest in one of the authority's services."""
    actor.require_can_write()
    require(policy.can_publish_window, actor)
    read = fields.Fields()
    service = read(fields.text, data.get("service"), "service", max_length=200, required=True)
    description = read(
        fields.text, data.get("description"), "description",
        max_length=LONG, multiline=True, required=True,
    )  # fmt: skip
    opens_on = read(fields.date, data.get("opens_on"), "opens_on")
    closes_on = read(fields.date, data.get("closes_on"), "closes_on")
    min_days = read(
        fields.integer, data.get("min_days_to_procure"), "min_days_to_procure",
        minimum=0, maximum=MAX_DAYS,
    )  # fmt: skip
    max_days = read(
        fields.integer, data.get("max_days_to_procure"), "max_days_to_procure",
        minimum=0, maximum=MAX_DAYS,
    )  # fmt: skip
    if opens_on and closes_on and min_days is not None and max_days is not None:
        read.problems += rules.window_periods_in_order(opens_on, closes_on, min_days, max_days)
    read.check("The window needs correcting.")
    assert opens_on is not None and closes_on is not None  # checked above
    window = Window.objects.create(
        authority_id=actor.organisation_id or 0,
        service=service or "",
        description=description or "",
        opens_on=opens_on,
        closes_on=closes_on,
        min_days_to_procure=min_days or 0,
        max_days_to_procure=max_days or 0,
        published_by_id=actor.user_id or 0,
    )
    audit_record(
        actor=actor,
        action="challenge_window.create",
        object_type="challenge_window",
        object_id=window.id,
        object_repr=window.service,
        after={"opens_on": opens_on, "closes_on": closes_on, "min": min_days, "max": max_days},
        organisation_id=actor.organisation_id,
    )
    return window


@transaction.atomic
def interest_submit(
    *, actor: Actor, window_id: int, data: dict[str, Any], today: dt.date | None = None
) -> ExpressionOfInterest:
    """Submit the body's expression of interest; it is received today, while the window is open."""
    actor.require_can_write()
    require(policy.can_express_interest, actor)
    window = selectors.window_get(window_id)
    today = today or timezone.localdate()
    read = fields.Fields(rules.received_while_window_open(window, today))
    body_type = str(data.get("body_type") or "")
    if body_type not in selectors.BODY_TYPES:
        read.problems.append(Problem("Choose what kind of body you are", column="body_type"))
    area = read(fields.text, data.get("area"), "area", max_length=200, required=True)
    answers: dict[str, str] = {}
    for name, limit, required in (
        ("finances", LONG, True),
        ("capability", LONG, True),
        ("consortium", SHORT, body_type == "consortium"),
        ("outcomes", LONG, True),
        ("social_value", LONG, True),
        ("partners", SHORT, body_type == "employee-led"),
        ("governance", SHORT, body_type == "employee-led"),
    ):
        answers[name] = (
            read(
                fields.text,
                data.get(name),
                name,
                max_length=limit,
                multiline=True,
                required=required,
            )
            or ""
        )
    read.check("The expression of interest needs correcting.")
    interest = ExpressionOfInterest.objects.create(
        window=window,
        body_id=actor.organisation_id or 0,
        body_type=body_type,
        area=area or "",
        submitted_by_id=actor.user_id or 0,
        received_on=today,
        **answers,
    )
    audit_record(
        actor=actor,
        action="challenge.submit",
        object_type="expression_of_interest",
        object_id=interest.id,
        object_repr=f"{actor.organisation_name}: {window.service}",
        after={"window": window.id, "body_type": body_type, "received_on": today},
        organisation_id=actor.organisation_id,
    )
    return interest


def _own(actor: Actor, interest_id: int) -> ExpressionOfInterest:
    actor.require_can_write()
    interest = selectors.interest_get(interest_id)
    require(policy.decides_for_authority, actor, interest)
    return interest


@transaction.atomic
def timetable_send(
    *, actor: Actor, interest_id: int, decide_by: Any, today: dt.date | None = None
) -> ExpressionOfInterest:
    """Tell the body when the authority will decide (due within 30 days of receipt)."""
    interest = _own(actor, interest_id)
    today = today or timezone.localdate()
    if interest.decision_timetable_sent_on is not None:
        raise Conflict(
            f"The timetable was sent on {interest.decision_timetable_sent_on:%-d %B %Y}."
        )
    day = fields.date(decide_by, "decide_by")
    if day < today:
        raise FullvalueError.from_problems(
            "The timetable needs correcting.",
            [Problem("The decision date cannot be in the past", column="decide_by")],
        )
    interest.decision_timetable_sent_on = today
    interest.decide_by = day
    interest.save(update_fields=["decision_timetable_sent_on", "decide_by"])
    audit_record(
        actor=actor,
        action="challenge.timetable",
        object_type="expression_of_interest",
        object_id=interest.id,
        object_repr=f"{interest.body.name}: {interest.window.service}",
        after={"sent_on": today, "decide_by": day, "late": bool(
            rules.timetable_within_thirty_days(interest, today)
        )},
        organisation_id=actor.organisation_id,
    )  # fmt: skip
    return interest


@transaction.atomic
def decide(
    *, actor: Actor, interest_id: int, data: dict[str, Any], today: dt.date | None = None
) -> ExpressionOfInterest:
    """Accept, accept with modifications, or reject on statutory grounds with reasons.

    ``data``: ``outcome`` (accepted, modified, rejected), ``grounds`` (codes), ``reasons``,
    ``modifications``, and ``procurement`` (the id of one of the authority's tenders).
    """
    interest = _own(actor, interest_id)
    if interest.outcome != ExpressionOfInterest.Outcome.PENDING:
        raise Conflict(f"This expression of interest was decided on {interest.decided_on}.")
    read = fields.Fields()
    outcome = str(data.get("outcome") or "")
    if outcome not in ("accepted", "modified", "rejected"):
        read.problems.append(Problem("Choose the decision", column="outcome"))
    grounds = [str(g) for g in data.get("grounds") or []]
    reasons = (
        read(fields.text, data.get("reasons"), "reasons", max_length=LONG, multiline=True) or ""
    )
    modifications = (
        read(
            fields.text, data.get("modifications"), "modifications", max_length=LONG, multiline=True
        )
        or ""
    )
    read.problems += check(
        rules.rejected_on_statutory_grounds(outcome, grounds, reasons),
        rules.modifications_agreed(outcome, modifications),
    )
    tender = None
    raw = data.get("procurement")
    if raw not in (None, "", 0):
        if outcome == "rejected":
            read.problems.append(
                Problem("A rejection starts no procurement: leave it blank", column="procurement")
            )
        else:
            tender_id = read(fields.identifier, raw, "procurement")
            if tender_id is not None:
                own = {t.id: t for t in selectors.tenders_to_link(actor)}
                tender = own.get(tender_id)
                if tender is None:
                    read.problems.append(
                        Problem("Choose one of the authority's tenders", column="procurement")
                    )
                else:
                    tender = tendering.tender_get(actor, tender_id)
    read.check("The decision needs correcting.")
    interest.outcome = outcome
    interest.decided_on = today or timezone.localdate()
    interest.grounds = grounds if outcome == "rejected" else []
    interest.reasons = reasons
    interest.modifications = modifications if outcome == "modified" else ""
    interest.procurement = tender
    interest.decided_by_id = actor.user_id
    interest.save()
    audit_record(
        actor=actor,
        action="challenge.decide",
        object_type="expression_of_interest",
        object_id=interest.id,
        object_repr=f"{interest.body.name}: {interest.window.service}",
        before={"outcome": "pending"},
        after={
            "outcome": outcome,
            "grounds": interest.grounds,
            "procurement": selectors.ocid_of(interest),
        },
        organisation_id=actor.organisation_id,
    )
    return interest
