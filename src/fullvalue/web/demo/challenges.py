"""The Right to Challenge in the demo world: Lancashire County Council's window and three bodies.

The demo commissioner holds a second role at Lancashire County Council, which publishes a window
for expressions of interest in its family support service. Three relevant bodies have expressed
an interest: Workwise Futures CIC is still waiting and its timetable is overdue (flagged on the
register and the council's dashboard); Black Mentors Collective was rejected on two statutory
grounds with reasons; Moss Side Women's Centre, with partners, was accepted and its procurement
is the council's family resettlement tender (its OCID on the register and the API).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from fullvalue.domain.roles import Role
from fullvalue.web.accounts.models import Membership
from fullvalue.web.accounts.services import actor_for_membership
from fullvalue.web.challenges import services
from fullvalue.web.organisations.models import Organisation
from fullvalue.web.tendering import selectors as tendering

COUNCIL = "Lancashire County Council"


def _admin(org: Organisation) -> Membership:
    admin = Membership.objects.filter(organisation=org, role=Role.PROVIDER_ADMIN.value).first()
    assert admin is not None, f"{org.name} has no administrator in the demo world"
    return admin


def build_challenges_demo(orgs: dict[str, Organisation]) -> None:
    """A window, three expressions of interest: pending and overdue, rejected, accepted."""
    council = actor_for_membership(
        Membership.objects.get(user__email__startswith="commissioner@", organisation=orgs[COUNCIL])
    )
    today = timezone.localdate()

    def ago(days: int) -> dt.date:
        return today - dt.timedelta(days=days)

    window = services.window_publish(
        actor=council,
        data={
            "service": "Family support for families with a parent in prison",
            "description": (
                "Key-worker support for families in Lancashire while a parent is in prison "
                "and for a year after release: housing, schooling, debt and family contact."
            ),
            "opens_on": ago(90).isoformat(),
            "closes_on": (today + dt.timedelta(days=30)).isoformat(),
            "min_days_to_procure": "60",
            "max_days_to_procure": "180",
        },
    )
    common = {
        "area": "Lancashire (Preston, Blackburn with Darwen, Burnley)",
        "finances": "Audited accounts for three years; unrestricted reserves of four months.",
        "capability": "We already support families of people in prison in the north west.",
        "outcomes": "Families stay housed; children stay in school; contact is kept up.",
        "social_value": "Volunteers with lived experience, trained and paid as peer workers.",
    }
    accepted = services.interest_submit(
        actor=actor_for_membership(_admin(orgs["Moss Side Women's Centre"])),
        window_id=window.id,
        data={
            **common,
            "body_type": "consortium",
            "consortium": "Moss Side Women's Centre (lead) with Sahara Women's Project; "
            "debt advice sub-contracted to Fresh Start Debt Advice.",
        },
        today=ago(80),
    )
    rejected = services.interest_submit(
        actor=actor_for_membership(_admin(orgs["Black Mentors Collective"])),
        window_id=window.id,
        data={**common, "body_type": "charity"},
        today=ago(70),
    )
    services.interest_submit(
        actor=actor_for_membership(_admin(orgs["Workwise Futures CIC"])),
        window_id=window.id,
        data={**common, "body_type": "voluntary-community"},
        today=ago(45),
    )
    services.timetable_send(
        actor=council, interest_id=accepted.id, decide_by=ago(50).isoformat(), today=ago(60)
    )
    tender = next(iter(tendering.tenders_of_commissioner(council, limit=1)), None)
    services.decide(
        actor=council,
        interest_id=accepted.id,
        data={"outcome": "accepted", "procurement": str(tender.id) if tender else ""},
        today=ago(52),
    )
    services.timetable_send(
        actor=council, interest_id=rejected.id, decide_by=ago(30).isoformat(), today=ago(50)
    )
    services.decide(
        actor=council,
        interest_id=rejected.id,
        data={
            "outcome": "rejected",
            "grounds": ["procurement-under-way", "inadequate-information"],
            "reasons": (
                "The council had already started procuring this service (its family "
                "resettlement tender), and the expression of interest gave no costs."
            ),
        },
        today=ago(35),
    )
