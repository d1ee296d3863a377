"""The Right to Challenge's API: the public register of expressions of interest and decisions."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema

from fullvalue.web.api.auth import optional_actor
from fullvalue.web.api.pagination import Links, PageIn, page_out
from fullvalue.web.api.problems import ERRORS
from fullvalue.web.challenges import selectors

router = Router(tags=["right to challenge"])

Ground = Literal[
    "non-compliant",
    "inadequate-information",
    "unsuitable-body",
    "service-to-stop",
    "nhs-integrated",
    "procurement-under-way",
    "third-party-negotiations",
    "employee-led-published",
    "frivolous-vexatious",
    "breach-of-law",
]


class BodyOut(Schema):
    """The relevant body that expressed interest, and what kind of body it is (in words)."""

    name: str
    type: str


class DecisionOut(Schema):
    """The authority's decision; ``ocid`` names the procurement an acceptance started."""

    outcome: Literal["accepted", "modified", "rejected", "pending"]
    decided_on: dt.date | None
    grounds: list[Ground]
    reasons: str
    ocid: str | None


class ChallengeOut(Schema):
    """One expression of interest under the Right to Challenge."""

    body: BodyOut
    service: str
    received_on: dt.date
    decision_timetable_sent_on: dt.date | None
    decision: DecisionOut


class ChallengePage(Schema):
    """One page of expressions of interest, in the order received."""

    items: list[ChallengeOut]
    next_cursor: str | None
    links: Links


def _out(i: Any) -> dict[str, Any]:
    return {
        "body": {"name": i.body.name, "type": selectors.BODY_TYPES[i.body_type]},
        "service": i.window.service,
        "received_on": i.received_on,
        "decision_timetable_sent_on": i.decision_timetable_sent_on,
        "decision": {
            "outcome": i.outcome,
            "decided_on": i.decided_on,
            "grounds": list(i.grounds),
            "reasons": i.reasons,
            "ocid": selectors.ocid_of(i),
        },
    }


@router.get("/challenges", response={200: ChallengePage, **ERRORS}, auth=None)
def list_challenges(request: HttpRequest, page: Query[PageIn]) -> Any:
    """Expressions of interest under the Right to Challenge and their decisions (public)."""
    optional_actor(request)
    items, rest = page_out(request, selectors.interests_listed(), page)
    return {"items": [_out(i) for i in items], **rest}
