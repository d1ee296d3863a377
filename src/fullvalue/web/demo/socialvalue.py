"""Social value in the demo world: Moss Side Women's Centre's contract, from bid to delivery.

The winning bid's two commitments (jobs for prison leavers, volunteering hours) became the
contract's when the award was confirmed (``demo/commissioning.py``); the commissioner adds one
for settled accommodation with its deadweight, attribution and source. A year of deliveries
follows, by quarter, from the centre and from Sahara Women's Project in its supply chain: most
verified, one queried, one rejected, the latest waiting for verification.
"""

from __future__ import annotations

from fullvalue.domain.roles import Role
from fullvalue.web.accounts.models import Membership
from fullvalue.web.accounts.services import actor_for_membership
from fullvalue.web.contracts.selectors import contracts_listed
from fullvalue.web.kernel.actor import Actor
from fullvalue.web.organisations.models import Organisation
from fullvalue.web.socialvalue import selectors, services

HOUSING = {
    "measure": "Women moved into settled accommodation",
    "unit": "woman",
    "period": "2025/26",
    "quantity": "40",
    "proxy_value": "8150",
    "deadweight": "0.2",
    "attribution": "0.75",
    "source": "Illustrative proxy for the demo: a tenancy sustained for a year (not a real figure)",
}

VOLUNTEERING = "Volunteering hours by people with lived experience"

#: (measure, period, quantity, reported by "prime" or "sub", decision, reason)
DELIVERIES = [
    ("Jobs for prison leavers", "2025/26 Q1", "1", "prime", "verify", ""),
    ("Jobs for prison leavers", "2025/26 Q2", "2", "prime", "verify", ""),
    ("Jobs for prison leavers", "2025/26 Q3", "1", "prime", "query",
     "Which employer? The start letter on file is unsigned."),
    ("Jobs for prison leavers", "2025/26 Q4", "2", "prime", None, ""),
    (VOLUNTEERING, "2025/26 Q1", "260", "sub", "verify", ""),
    (VOLUNTEERING, "2025/26 Q2", "310", "sub", "verify", ""),
    (VOLUNTEERING, "2025/26 Q3", "420", "sub", "reject",
     "These hours were already reported in Q2: the timesheets are the same."),
    (VOLUNTEERING, "2025/26 Q4", "280", "sub", "verify", ""),
    ("Women moved into settled accommodation", "2025/26 Q1", "8", "prime", "verify", ""),
    ("Women moved into settled accommodation", "2025/26 Q2", "11", "prime", "verify", ""),
    ("Women moved into settled accommodation", "2025/26 Q3", "9", "prime", "verify", ""),
]  # fmt: skip


def _admin(org: Organisation, role: Role) -> Actor:
    member = Membership.objects.filter(organisation=org, role=role.value).order_by("id").first()
    assert member is not None, f"{org.name} has no {role.value}"
    return actor_for_membership(member)


def build_socialvalue_demo(orgs: dict[str, Organisation]) -> None:
    """Commitments and a year of reported, verified, queried and rejected social value."""
    centre = orgs["Moss Side Women's Centre"]
    contract = next(
        c for c in contracts_listed() if c.provider_id == centre.id and c.award_id is not None
    )
    commissioner = actor_for_membership(
        Membership.objects.get(
            user__email__startswith="commissioner@", organisation_id=contract.commissioner_id
        )
    )
    services.commitment_add(actor=commissioner, contract_id=contract.id, data=HOUSING)
    by_measure = {c.measure: c.id for c in selectors.commitments_of(contract.id)}
    reporters = {
        "prime": _admin(centre, Role.PROVIDER_ADMIN),
        "sub": _admin(orgs["Sahara Women's Project"], Role.PROVIDER_ADMIN),
    }
    for measure, period, quantity, who, decision, reason in DELIVERIES:
        delivery = services.delivery_report(
            actor=reporters[who],
            commitment_id=by_measure[measure],
            data={
                "period": period,
                "quantity": quantity,
                "evidence": f"Participant records for {period} (case management system export)",
            },
        )
        if decision:
            services.delivery_decide(
                actor=commissioner, delivery_id=delivery.id, decision=decision, reason=reason
            )
