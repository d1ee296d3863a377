"""The delivery half of the demo world: a women's centre contract in delivery.

Moss Side Women's Centre won an HMPPS tender (``demo/commissioning.py``) and delivers it with
Sahara Women's Project as a sub-contractor
(30% of value, paid within 14 days). Both have imported participants; outcomes are claimed in
every state; the 2025-26 payment run is approved and flowed down (the sub-contractor was paid
late); the 2026-27 run is prepared and waits for a second person to approve it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from fullvalue.domain.roles import Role
from fullvalue.web.accounts.models import Membership
from fullvalue.web.accounts.services import actor_for_membership
from fullvalue.web.contracts.models import Contract, Milestone
from fullvalue.web.contracts.services import supply_chain_set
from fullvalue.web.core.actor import Actor
from fullvalue.web.delivery.models import OutcomeEvent
from fullvalue.web.delivery.services import (
    claim_decide,
    claim_dispute,
    claim_submit,
    import_preview,
    import_run,
    import_start,
)
from fullvalue.web.demo.commissioning import _member
from fullvalue.web.organisations.models import Organisation
from fullvalue.web.payruns.models import FlowDownPayment
from fullvalue.web.payruns.services import flowdown_confirm, payrun_approve, payrun_prepare

DOMAIN = "demo.fullvalue.test"
ETHNICITIES = (
    "caribbean",
    "english, welsh, scottish, northern irish or british",
    "pakistani",
    "african",
    "irish",
    "white and black caribbean",
    "not stated",
)
BANDS = ("18-24", "25-34", "35-44", "45-54", "55+")


def _actor(email: str, org: Organisation) -> Actor:
    membership = Membership.objects.select_related("user", "organisation").get(
        user__email=email, organisation=org
    )
    return actor_for_membership(membership)


def _people_csv(prefix: str, n: int, first: dt.date) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["case_reference", "referred_on", "started_on", "sex", "ethnicity", "age_band", "cohort"]
    )
    for i in range(n):
        referred = first + dt.timedelta(days=9 * i)
        cohort = referred.year if referred.month >= 4 else referred.year - 1
        writer.writerow(
            [
                f"{prefix}{i:03d}",
                referred,
                referred + dt.timedelta(days=6),
                "female",
                ETHNICITIES[i % len(ETHNICITIES)],
                BANDS[i % len(BANDS)],
                cohort,
            ]
        )
    return out.getvalue().encode()


def _import(actor: Actor, contract_id: int, name: str, content: bytes) -> None:
    job, _ = import_preview(actor=actor, contract_id=contract_id, filename=name, content=content)
    import_start(actor=actor, job_id=job.id, valid_rows_only=True)
    import_run(job.id)


def build_delivery_demo(orgs: dict[str, Organisation], password: str) -> None:
    """Create the contract in delivery (called after the commissioning demo)."""
    moj = orgs["Ministry of Justice (HMPPS)"]
    priya = _actor(f"commissioner@{DOMAIN}", moj)
    finance = _member(moj, Role.COMMISSIONER, f"finance@{DOMAIN}", "Jo Finch", password)
    centre = orgs["Moss Side Women's Centre"]
    sahara = orgs["Sahara Women's Project"]
    prime = _actor(f"provider@{DOMAIN}", centre)
    sub = _actor(f"admin.sahara@{DOMAIN}", sahara)

    contract = Contract.objects.get(award__isnull=False, provider=centre)
    Contract.objects.filter(id=contract.id).update(
        status=Contract.Status.ACTIVE, start_date=dt.date(2025, 4, 1), end_date=dt.date(2028, 3, 31)
    )
    Milestone.objects.bulk_create(
        [
            Milestone(
                contract=contract,
                title="Women-only centre open five days a week",
                due_date=dt.date(2025, 6, 30),
                met_on=dt.date(2025, 6, 16),
            ),
            Milestone(
                contract=contract,
                title="Outreach in two probation offices",
                due_date=dt.date(2026, 12, 31),
            ),
        ]
    )
    supply_chain_set(
        actor=prime,
        contract_id=contract.id,
        reason="By-and-for support for Black and Asian women",
        members=[
            {
                "organisation_id": sahara.id,
                "share_of_value": "0.3",
                "share_of_work": "0.35",
                "payment_terms_days": 14,
            }
        ],
    )
    _import(prime, contract.id, "moss-side-2025.csv", _people_csv("MS", 36, dt.date(2025, 4, 7)))
    _import(sub, contract.id, "sahara-2025.csv", _people_csv("SW", 14, dt.date(2025, 4, 14)))
    events = ["case_reference,outcome,occurred_on,evidence"]
    for i in range(0, 30, 3):
        day = dt.date(2025, 7, 1) + dt.timedelta(days=5 * i)
        events.append(f"MS{i:03d},settled_accommodation,{day},tenancy agreement")
    _import(prime, contract.id, "moss-side-outcomes.csv", ("\n".join(events) + "\n").encode())
    for n, event in enumerate(
        OutcomeEvent.objects.filter(participant__contract=contract).order_by("occurred_on", "id")
    ):
        claim = claim_submit(actor=prime, event_id=event.id)
        if n < 6:
            claim_decide(actor=priya, claim_id=claim.id, accept=True)
        elif n == 6:
            claim_decide(
                actor=priya,
                claim_id=claim.id,
                accept=False,
                reason="Temporary hostel place, not settled accommodation",
            )
        elif n == 7:
            claim_decide(
                actor=priya, claim_id=claim.id, accept=False, reason="No evidence attached"
            )
            claim_dispute(
                actor=prime,
                claim_id=claim.id,
                grounds="Tenancy agreement now uploaded to the case file",
            )
    run = payrun_prepare(actor=priya, contract_id=contract.id, period="2025-26")
    payrun_approve(actor=finance, run_id=run.id, paid_on=dt.date(2026, 4, 15))
    owed = FlowDownPayment.objects.get(run=run)
    flowdown_confirm(actor=sub, payment_id=owed.id, paid_on=dt.date(2026, 5, 20))  # 35 days
    payrun_prepare(actor=priya, contract_id=contract.id, period="2026-27")
