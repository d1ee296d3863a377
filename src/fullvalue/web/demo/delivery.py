"""The delivery half of the demo world: a women's centre contract in delivery.

Moss Side Women's Centre won an HMPPS tender (``demo/commissioning.py``) and delivers it with
Sahara Women's Project as a sub-contractor
(30% of value, paid within 14 days). Both have imported participants; outcomes are claimed in
every state; the 2025-26 payment run is approved and flowed down (the sub-contractor was paid
late); a Justice Data Lab result for the 2025 cohort is recorded (too small a cohort for
payment by results, so the mechanism pays a grant in lieu); the 2026-27 run is prepared and
waits for a second person to approve it. A small grant entered directly (let outside
Fullvalue) shows that existing contracts and grants live here too.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random

from fullvalue.domain.roles import Role
from fullvalue.web.accounts.models import Membership
from fullvalue.web.accounts.services import actor_for_membership
from fullvalue.web.audit.services import audit_record
from fullvalue.web.contracts.models import Contract
from fullvalue.web.contracts.services import (
    contract_create,
    kpi_add,
    kpi_observe,
    milestone_add,
    milestone_met,
    supply_chain_set,
)
from fullvalue.web.delivery.models import OutcomeEvent
from fullvalue.web.delivery.reoffending import results_upload
from fullvalue.web.delivery.services import (
    claim_decide,
    claim_dispute,
    claim_submit,
    claims_sample,
    evidence_attach,
    import_preview,
    import_run,
    import_start,
)
from fullvalue.web.demo.commissioning import demo_member
from fullvalue.web.kernel.actor import Actor
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
    finance = demo_member(moj, Role.COMMISSIONER, f"finance@{DOMAIN}", "Jo Finch", password)
    centre = orgs["Moss Side Women's Centre"]
    sahara = orgs["Sahara Women's Project"]
    prime = _actor(f"provider@{DOMAIN}", centre)
    sub = _actor(f"admin.sahara@{DOMAIN}", sahara)

    contract = Contract.objects.get(award__isnull=False, provider=centre)
    # The demo's contract started in April 2025, before the day the demo is built: the one write
    # here that no service would make, so it is recorded in the audit trail by hand.
    after = {
        "status": Contract.Status.ACTIVE,
        "start_date": dt.date(2025, 4, 1),
        "end_date": dt.date(2028, 3, 31),
    }
    before = {field: getattr(contract, field) for field in after}
    Contract.objects.filter(id=contract.id).update(**after)
    audit_record(
        actor=Actor.system("demo"),
        action="demo.backdate",
        object_type="contract",
        object_id=contract.id,
        object_repr=contract.title,
        before=before,
        after=after,
        organisation_id=contract.commissioner_id,
    )
    opened = milestone_add(
        actor=priya,
        contract_id=contract.id,
        title="Women-only centre open five days a week",
        due_date="2025-06-30",
    )
    milestone_met(actor=priya, milestone_id=opened.id, met_on="2025-06-16")
    milestone_add(
        actor=priya,
        contract_id=contract.id,
        title="Outreach in two probation offices",
        due_date="2026-12-31",
    )
    for name, target, unit, value in (
        ("Women starting within 10 working days of referral", "85", "%", "88"),
        ("Women completing their support plan", "70", "%", "64"),
    ):
        kpi = kpi_add(
            actor=priya,
            contract_id=contract.id,
            data={"name": name, "target": target, "unit": unit, "higher_is_better": "yes"},
        )
        kpi_observe(
            actor=prime,
            kpi_id=kpi.id,
            data={"period_start": "2025-04-01", "period_end": "2026-03-31", "value": value},
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
            evidence_attach(
                actor=prime,
                event_id=event.id,
                filename="tenancy-agreement.pdf",
                content=_pdf_bytes(),
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
    claims_sample(actor=priya, contract_id=contract.id, percent=50, rng=random.Random(2026))
    results_upload(
        actor=priya,
        contract_id=contract.id,
        filename="jdl-report-2025-cohort.csv",
        content=(
            b"period,cohort,measure,size,treated,comparison,p_value,ci_low,ci_high,note\n"
            b"2026-27,2025,reoffending_binary,48,0.271,0.392,0.041,-0.236,-0.006,"
            b"Justice Data Lab report (illustrative): 48 women matched to 1:3 comparisons\n"
        ),
    )
    payrun_prepare(actor=priya, contract_id=contract.id, period="2026-27")
    grant = contract_create(
        actor=priya,
        data={
            "title": "Kinship carers' support grant 2026-27",
            "kind": "grant",
            "provider_id": orgs["Kinship Carers Support Group"].id,
            "value": "24000",
            "start_date": "2026-04-01",
            "end_date": "2027-03-31",
        },
    )
    milestone_add(
        actor=priya,
        contract_id=grant.id,
        title="Monthly drop-in at HMP Liverpool visitors' centre",
        due_date="2026-09-30",
    )


def _pdf_bytes() -> bytes:
    """A one-page PDF standing in for a scanned tenancy agreement."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.set_font("Helvetica", "", 12)
    pdf.multi_cell(0, 8, "Assured shorthold tenancy agreement (demo evidence)")
    return bytes(pdf.output())
