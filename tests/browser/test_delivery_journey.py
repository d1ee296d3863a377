"""Delivery in a browser, with axe-core on every page visited.

A contract is created from an award → the prime adds two sub-contractors → a sub-contractor
imports participants (a bad row is reported) and outcomes, and claims them → the commissioner
validates the claims → a payment run is prepared by one commissioner and approved by another →
the sub-contractor sees what it is owed and confirms receipt.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from fullvalue.domain.roles import Role
from fullvalue.web.contracts.models import Contract
from fullvalue.web.delivery.models import Claim, ImportJob, Participant
from fullvalue.web.delivery.services import import_run
from fullvalue.web.payruns.models import FlowDownPayment, PaymentRun
from fullvalue.web.payruns.tasks import prepare_payment_run
from tests.browser.test_commissioning_journey import sign_in_2fa, sign_out
from tests.browser.test_journeys import go, sign_in
from tests.web.factories import totp_for

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TODAY = dt.datetime(2027, 3, 22, 10, 0, tzinfo=dt.UTC)
PEOPLE = (
    "case_reference,referred_on,started_on,sex,ethnicity,age_band,cohort\n"
    "SW001,2026-05-04,2026-05-11,female,african,25-34,2026\n"
    "SW002,2026-05-18,2026-05-20,female,caribbean,35-44,2026\n"
    "SW003,2026-06-01,2026-06-03,female,not stated,18-24,2026\n"
    "SW004,2026-06-31,,female,pakistani,25-34,2026\n"
)
OUTCOMES = (
    "case_reference,outcome,occurred_on,evidence\n"
    "SW001,settled_accommodation,2026-09-14,tenancy agreement\n"
    "SW002,settled_accommodation,2026-10-05,tenancy agreement\n"
)


def _awarded_tender(make_member, actor_for):
    """A tender awarded to the prime, its standstill over (set up through the services)."""
    from fullvalue.web.programmes.services import programme_create
    from fullvalue.web.tendering.services import (
        award_decide,
        bid_submit,
        conflict_declare,
        consensus_set,
        panel_assign,
        scores_submit,
        tender_close,
        tender_create,
        tender_publish,
    )
    from tests.web.cycle import START, contents, programme_data, tender_data

    commissioner = make_member(
        Role.COMMISSIONER,
        name="Anyshire PCC",
        legal_form="pcc",
        sector="public",
        annual_income=None,
    )
    finance = make_member(Role.COMMISSIONER, organisation=commissioner.organisation)
    evaluator = make_member(Role.EVALUATOR, organisation=commissioner.organisation)
    prime = make_member(Role.PROVIDER_ADMIN, name="Anytown Women's Centre", annual_income=420_000)
    sub1 = make_member(Role.PROVIDER_ADMIN, name="Sahara Women's Project", annual_income=86_000)
    sub2 = make_member(Role.PROVIDER_ADMIN, name="Anytown Mentors", annual_income=60_000)
    c, ev = actor_for(commissioner), actor_for(evaluator)
    programme = programme_create(actor=c, data=programme_data())
    tender = tender_create(actor=c, programme_id=programme.id, data=tender_data())
    tender_publish(actor=c, tender_id=tender.id, now=START)
    lot = tender.lots.first()
    bid = bid_submit(actor=actor_for(prime), lot_id=lot.id, contents=contents(tender, "410000", 3))
    return {
        "tender": tender,
        "lot": lot,
        "bid": bid,
        "c": c,
        "ev": ev,
        "members": (commissioner, finance, prime, sub1, sub2),
        "steps": (
            tender_close,
            panel_assign,
            conflict_declare,
            scores_submit,
            consensus_set,
            award_decide,
        ),
        "evaluator": evaluator,
    }


def test_delivery_from_award_to_a_confirmed_sub_contractor_payment(
    page, axe, make_member, actor_for, monkeypatch
):
    state = {"now": dt.datetime(2027, 1, 5, 9, 0, tzinfo=dt.UTC)}  # the tender is open
    monkeypatch.setattr(timezone, "now", lambda: state["now"])
    world = _awarded_tender(make_member, actor_for)
    state["now"] = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)  # the deadline has passed
    tender_close, panel_assign, conflict_declare, scores_submit, consensus_set, award_decide = (
        world["steps"]
    )
    c, ev, tender = world["c"], world["ev"], world["tender"]
    tender_close(actor=c, tender_id=tender.id)
    panel_assign(actor=c, tender_id=tender.id, evaluator_membership_id=world["evaluator"].id)
    conflict_declare(actor=ev, tender_id=tender.id, has_conflict=False)
    quality = list(tender.criteria.filter(kind="quality"))
    scores_submit(actor=ev, bid_id=world["bid"].id, scores={q.id: (4, "ok") for q in quality})
    for q in quality:
        consensus_set(actor=c, bid_id=world["bid"].id, criterion_id=q.id, score=4, reason="Agreed")
    award_decide(actor=c, lot_id=world["lot"].id, notice_date=dt.date(2027, 3, 1))
    state["now"] = TODAY  # the standstill is over
    commissioner, finance, prime, sub1, _ = world["members"]
    devices = {m.id: totp_for(m.user) for m in (commissioner, finance)}

    # The commissioner confirms the award: the contract is created.
    sign_in_2fa(page, axe, commissioner, devices[commissioner.id])
    page.goto(f"/tenders/{tender.id}/")
    go(page, page.get_by_role("button", name="Confirm award and create the contract"))
    expect(page.get_by_text("Contract created")).to_be_visible()
    axe.check()
    contract = Contract.objects.get(award__isnull=False)
    contract_url = f"/contracts/{contract.id}/"
    sign_out(page)

    # The prime adds two sub-contractors, one with terms too long, then corrected.
    sign_in(page, axe, prime.user.email)
    page.wait_for_url("**/dashboard/")
    page.goto(contract_url)
    axe.check()
    go(page, page.get_by_role("link", name="Change the supply chain"))
    axe.check()
    first = page.get_by_role("group", name="Sub-contractor 1")
    first.get_by_label("Organisation").select_option(label="Sahara Women's Project")
    first.get_by_label("Share of value (%)").fill("30")
    first.get_by_label("Share of work (%)").fill("35")
    first.get_by_label("Paid within (days)").fill("45")
    second = page.get_by_role("group", name="Sub-contractor 2")
    second.get_by_label("Organisation").select_option(label="Anytown Mentors")
    second.get_by_label("Share of value (%)").fill("10")
    second.get_by_label("Share of work (%)").fill("10")
    second.get_by_label("Paid within (days)").fill("30")
    page.get_by_label("Why is the supply chain changing?").fill(
        "By-and-for support and mentoring partners"
    )
    go(page, page.get_by_role("button", name="Save the supply chain"))
    expect(page.get_by_role("link", name="must be paid within 30 days")).to_be_visible()
    axe.check()
    page.get_by_role("group", name="Sub-contractor 1").get_by_label("Paid within (days)").fill("14")
    go(page, page.get_by_role("button", name="Save the supply chain"))
    expect(page.get_by_text("Supply chain saved")).to_be_visible()
    expect(page.get_by_role("cell", name="Anytown Mentors")).to_be_visible()
    axe.check()
    sign_out(page)

    # A sub-contractor imports participants (one bad row is reported) and outcomes, and claims.
    sign_in(page, axe, sub1.user.email)
    page.wait_for_url("**/dashboard/")
    page.goto(contract_url)
    go(page, page.get_by_role("link", name="Import participants or outcomes"))
    axe.check()
    page.set_input_files(
        "#file", files=[{"name": "people.csv", "mimeType": "text/csv", "buffer": PEOPLE.encode()}]
    )
    go(page, page.get_by_role("button", name="Check the file"))
    expect(page.get_by_text("1 with problems")).to_be_visible()
    expect(page.get_by_role("cell", name="is not a real date")).to_be_visible()
    axe.check()
    go(page, page.get_by_role("button", name="Import only the 3 valid rows"))
    import_run(ImportJob.objects.get().id)  # what the task worker does
    page.reload()
    expect(page.get_by_text("Import complete")).to_be_visible()
    axe.check()
    page.goto(f"/contracts/{contract.id}/import/")
    page.set_input_files(
        "#file",
        files=[{"name": "outcomes.csv", "mimeType": "text/csv", "buffer": OUTCOMES.encode()}],
    )
    go(page, page.get_by_role("button", name="Check the file"))
    go(page, page.get_by_role("button", name="Import 2 rows"))
    import_run(ImportJob.objects.order_by("-id").first().id)
    page.goto(contract_url)
    go(page, page.get_by_role("link", name="Outcomes and claims"))
    axe.check()
    for _ in range(2):
        go(page, page.get_by_role("button", name="Claim").first)
        expect(page.get_by_text("Outcome claimed")).to_be_visible()
    assert Claim.objects.filter(status="submitted").count() == 2
    go(page, page.get_by_role("link", name="Back to the contract"))
    go(page, page.get_by_role("link", name="Participants", exact=True))
    expect(page.get_by_text("3 participants delivered by your organisation")).to_be_visible()
    axe.check()
    sign_out(page)

    # The commissioner validates the claims and prepares the run; a colleague approves it.
    sign_in_2fa(page, axe, commissioner, devices[commissioner.id])
    page.goto(f"/contracts/{contract.id}/outcomes/")
    for _ in range(2):
        go(page, page.get_by_role("button", name="Accept").first)
        expect(page.get_by_text("Claim accepted")).to_be_visible()
    axe.check()
    page.goto(f"/contracts/{contract.id}/reoffending/")
    expect(page.get_by_role("heading", name="Measure from a reoffending extract")).to_be_visible()
    axe.check()
    page.goto(f"/contracts/{contract.id}/cash/?organisation={sub1.organisation_id}")
    expect(page.get_by_role("combobox", name="Provider")).to_be_visible()
    axe.check()
    page.goto(contract_url)
    page.get_by_label("Prepare a payment run for").select_option("2026-27")
    go(page, page.get_by_role("button", name="Prepare payment run"))
    expect(page.get_by_text("being prepared in the background")).to_be_visible()
    axe.check()
    prepare_payment_run.call(PaymentRun.objects.get().id)  # what the task worker does
    page.reload()
    run = PaymentRun.objects.get()
    # 70% of £450,000 over three years (2025-26 and 2026-27 are due), and 2 outcomes x £250.
    assert run.total == Decimal("210500.00")
    # The person who prepared the run is told why they cannot approve it; no button to press.
    expect(page.get_by_text("You prepared this run, so another commissioner must")).to_be_visible()
    expect(page.get_by_role("button", name="Approve 2026-27")).to_have_count(0)
    axe.check()
    sign_out(page)
    sign_in_2fa(page, axe, finance, devices[finance.id])
    page.goto(contract_url)
    go(page, page.get_by_role("button", name="Approve 2026-27"))
    expect(page.get_by_text("Payment run approved")).to_be_visible()
    axe.check()
    sign_out(page)

    # The sub-contractor sees what it is owed and confirms receipt.
    owed = FlowDownPayment.objects.get(member__organisation=sub1.organisation)
    assert owed.amount == Decimal("63150.00")  # 30% of £210,500.00
    sign_in(page, axe, sub1.user.email)
    page.wait_for_url("**/dashboard/")
    page.goto(contract_url)
    expect(page.get_by_role("heading", name="What the prime owes you")).to_be_visible()
    expect(page.get_by_text("£63,150.00")).to_be_visible()
    axe.check()
    page.get_by_label("Date received").fill("2027-03-22")
    go(page, page.get_by_role("button", name="Confirm receipt"))
    expect(page.get_by_text("Receipt confirmed")).to_be_visible()
    axe.check()
    assert FlowDownPayment.objects.get(id=owed.id).paid_on == dt.date(2027, 3, 22)
    page.goto(f"/contracts/{contract.id}/cash/")
    expect(
        page.get_by_role("heading", name="Working capital: Sahara Women's Project")
    ).to_be_visible()
    axe.check()
    assert Participant.objects.filter(provider=sub1.organisation).count() == 3
