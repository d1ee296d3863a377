"""The whole commissioning cycle in a browser, with axe-core on every page visited.

Commissioner designs a programme and publishes a tender with two lots → two organisations form a
consortium and a third bids alone → a question is answered → the deadline passes → two
evaluators score, the commissioner moderates → award → standstill → each bidder reads its
feedback.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_otp.oath import totp
from playwright.sync_api import expect

from fullvalue.domain.roles import Role
from tests.browser.test_journeys import go, sign_in
from tests.web.factories import totp_for

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

START = dt.datetime(2027, 1, 4, 9, 0, tzinfo=dt.UTC)


def code(device) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=6):06d}"


def sign_in_2fa(page, axe, membership, device):
    sign_in(page, axe, membership.user.email)
    page.wait_for_url("**/sign-in/verify/")
    device.refresh_from_db()
    device.throttle_reset()
    # TOTP refuses a code already used in the same 30-second window (replay protection); the
    # journey signs in several times a minute, so the test forgets the last use.
    device.last_t = -1
    device.save(update_fields=["last_t"])
    page.get_by_label("Enter your security code").fill(code(device))
    go(page, page.get_by_role("button", name="Continue"))
    # People land where their work is: the dashboard, or an evaluation panel waiting for them.
    page.wait_for_url(lambda url: "/sign-in/" not in url)


def sign_out(page):
    go(page, page.get_by_role("button", name="Sign out"))


def test_the_whole_cycle_in_the_browser(page, axe, make_member, monkeypatch):
    state = {"now": START}
    monkeypatch.setattr(timezone, "now", lambda: state["now"])
    commissioner = make_member(
        Role.COMMISSIONER,
        name="Anyshire PCC",
        legal_form="pcc",
        sector="public",
        annual_income=None,
    )
    org = commissioner.organisation
    ev1 = make_member(Role.EVALUATOR, organisation=org)
    ev2 = make_member(Role.EVALUATOR, organisation=org)
    women = make_member(Role.PROVIDER_ADMIN, name="Anytown Women's Centre", annual_income=420_000)
    mentors = make_member(Role.PROVIDER_ADMIN, name="Anytown Mentors", annual_income=86_000)
    solo = make_member(
        Role.PROVIDER_ADMIN,
        name="Big Rehab Ltd",
        legal_form="private_company",
        sector="private",
        annual_income=20_000_000,
    )
    devices = {m.id: totp_for(m.user) for m in (commissioner, ev1, ev2)}

    # The commissioner designs a programme, checks its risk, and tenders it.
    sign_in_2fa(page, axe, commissioner, devices[commissioner.id])
    page.goto("/programmes/new/")
    axe.check()
    page.fill("#title", "Anytown women's service")
    page.fill("#summary", "Holistic support for women in contact with the justice system.")
    page.get_by_label("Proven reoffending (binary)").check()
    page.get_by_label("Settled accommodation").check()
    page.fill("#cohort", "Women on community orders")
    page.fill("#volume_low", "120")
    page.fill("#volume_expected", "150")
    page.fill("#volume_high", "180")
    page.fill("#budget", "1350000")
    page.get_by_label("Blended 70/30").check()
    go(page, page.get_by_role("button", name="Use this starting point"))
    page.get_by_label("Outcome payment 1: outcome").select_option("accommodation-settled")
    page.get_by_label("Outcome payment 1: price for each person").fill("250")
    go(page, page.get_by_role("button", name="Update the preview"))
    expect(page.get_by_text("Chance of a loss")).to_be_visible()
    axe.check()
    go(page, page.get_by_role("button", name="Save and publish"))
    page.wait_for_url("**/programmes/anytown-womens-service/", wait_until="domcontentloaded")
    axe.check()
    go(page, page.get_by_role("link", name="Tender this programme"))
    axe.check()
    page.fill("#title", "Anytown women's centres 2027")
    page.fill("#consortium_deadline", "2027-01-25T12:00")
    page.fill("#clarification_deadline", "2027-02-01T12:00")
    page.fill("#submission_deadline", "2027-02-10T12:00")
    page.fill("#lot_title_0", "North Anytown")
    page.fill("#lot_value_0", "450000")
    # One lot to start with; another is added by posting the form (it works without scripts).
    assert page.locator("#lot_title_1").count() == 0
    go(page, page.get_by_role("button", name="Add another lot"))
    expect(page.locator("#lot_title_0")).to_have_value("North Anytown")
    axe.check()
    page.fill("#lot_title_1", "South Anytown (small organisations)")
    page.fill("#lot_value_1", "300000")
    page.locator("#lot_reserved_1-2").check()
    page.fill("#criterion_weight_0", "40")  # weights now add up to 110
    go(page, page.get_by_role("button", name="Save draft"))
    expect(page.locator(".govuk-error-summary").get_by_text("add up to 110")).to_be_visible()
    axe.check()
    page.fill("#criterion_weight_0", "30")
    page.fill("#pass_fail_0", "Do you have a safeguarding policy?")
    go(page, page.get_by_role("button", name="Save draft"))
    page.wait_for_url("**/tenders/*/")
    tender_url = page.url
    # The draft can be edited: everything saved is filled in, and a question added.
    go(page, page.get_by_role("link", name="Edit the draft"))
    axe.check()
    expect(page.locator("#lot_title_1")).to_have_value("South Anytown (small organisations)")
    go(page, page.get_by_role("button", name="Add another question"))
    page.fill("#pass_fail_1", "Do you hold £5m public liability insurance?")
    go(page, page.get_by_role("button", name="Save draft"))
    page.wait_for_url(tender_url)
    expect(page.get_by_text("£5m public liability insurance")).to_be_visible()
    for evaluator in (ev1, ev2):
        page.get_by_label("Add an evaluator").select_option(str(evaluator.id))
        go(page, page.get_by_role("button", name="Add to panel"))
    go(page, page.get_by_role("button", name="Publish"))
    expect(page.get_by_text("The tender is published")).to_be_visible()
    axe.check()
    sign_out(page)

    # Two organisations bid as a consortium; a third bids alone; a question is asked.
    def bid(member, price, partner=None):
        sign_in(page, axe, member.user.email)
        page.wait_for_url("**/dashboard/")
        page.goto(tender_url)
        go(page, page.get_by_role("link", name="Bid for this lot").first)
        page.fill("#price", price)
        for answer in page.locator("textarea[id^=answer_]").all():
            answer.fill("Women-only spaces, co-designed with the women who use them.")
        page.fill("#sv_measure_0", "Jobs for women leaving prison")
        page.fill("#sv_quantity_0", "4")
        page.fill("#sv_proxy_0", "12000")
        if partner:
            page.fill("#lead_value", "70")
            page.fill("#lead_work", "60")
            page.locator("#partner_0").select_option(str(partner.organisation_id))
            page.locator("#partner_role_0").check()
            page.fill("#partner_value_0", "30")
            page.fill("#partner_work_0", "40")
            page.locator("#working_capital").check()
        for yes in page.locator("input[id^=pf_][value=yes]").all():  # both pass/fail questions
            yes.check()
        page.locator("#exclusion_grounds").check()
        axe.check()
        if partner:
            # A named partner confirms its part before the bid can be submitted.
            go(page, page.get_by_role("button", name="Save as draft"))
            expect(page.get_by_text("Your draft is saved")).to_be_visible()
            axe.check()
            sign_out(page)
            sign_in(page, axe, partner.user.email)
            page.wait_for_url("**/dashboard/")
            go(page, page.get_by_role("link", name=f"{member.organisation.name}:"))
            go(page, page.get_by_role("button", name="Confirm our part"))
            axe.check()
            sign_out(page)
            sign_in(page, axe, member.user.email)
            page.wait_for_url("**/dashboard/")
            go(page, page.locator("main a[href^='/bids/']").first)
        go(page, page.get_by_role("button", name="Submit bid"))
        page.wait_for_url("**/bids/*/")
        expect(page.get_by_text("sealed until the deadline").first).to_be_visible()
        axe.check()

    bid(women, "390000", partner=mentors)
    page.goto(tender_url)
    page.get_by_label("Ask a question").fill("Can a partner be named after award?")
    go(page, page.get_by_role("button", name="Send question"))
    sign_out(page)
    bid(solo, "400000")
    sign_out(page)

    sign_in_2fa(page, axe, commissioner, devices[commissioner.id])
    page.goto(tender_url)
    page.get_by_label("Answer (published to all bidders, without saying who asked)").fill(
        "No: name every partner in the bid."
    )
    go(page, page.get_by_role("button", name="Publish answer"))
    expect(page.get_by_text("name every partner in the bid")).to_be_visible()
    # Sealed: the commissioner sees no bid before the deadline.
    assert page.get_by_role("link", name="Bid 1", exact=True).count() == 0
    sign_out(page)

    # The deadline passes.
    state["now"] = dt.datetime(2027, 2, 11, 9, 0, tzinfo=dt.UTC)
    sign_in_2fa(page, axe, commissioner, devices[commissioner.id])
    page.goto(tender_url)
    go(page, page.get_by_role("button", name="Close and unseal bids"))
    expect(page.get_by_text("Bids are unsealed")).to_be_visible()
    sign_out(page)

    for evaluator, mark in ((ev1, "4"), (ev2, "3")):
        sign_in_2fa(page, axe, evaluator, devices[evaluator.id])
        page.goto(tender_url + "evaluation/")
        axe.check()
        page.get_by_label("No", exact=True).check()
        with page.expect_navigation():
            page.get_by_role("button", name="Declare").click()
        expect(page.locator("form:has(input[name=bid])").first).to_be_visible()
        assert page.locator("form:has(input[name=bid])").count() == 2
        for form in page.locator("form:has(input[name=bid])").all():
            for group in form.locator("fieldset:has(input[type=radio])").all():
                group.locator(f"input[value='{mark}']").check()
            for reason in form.locator("textarea").all():
                reason.fill("Scored against the descriptors with evidence from the answer.")
            with page.expect_navigation():
                form.get_by_role("button").click()
            expect(page.get_by_text("Your scores are saved")).to_be_visible()
        axe.check()
        sign_out(page)

    sign_in_2fa(page, axe, commissioner, devices[commissioner.id])
    page.goto(tender_url + "moderation/")
    axe.check()
    while page.get_by_role("button", name="Record consensus").count():
        form = page.locator("form:has(button:text('Record consensus'))").first
        form.locator("input[value='4']").check()
        form.locator("textarea").fill("Agreed after discussion of both evaluators' reasons.")
        with page.expect_navigation():
            form.get_by_role("button", name="Record consensus").click()
        expect(page.get_by_text("Consensus recorded")).to_be_visible()
    page.goto(tender_url)
    go(page, page.get_by_role("button", name="Award North Anytown"))
    expect(
        page.get_by_role("heading", name="Are you sure you want to award this lot?")
    ).to_be_visible()
    axe.check()
    go(page, page.get_by_role("button", name="Award North Anytown"))
    expect(page.get_by_text("The standstill period has started")).to_be_visible()
    expect(page.get_by_text("Standstill until")).to_be_visible()
    axe.check()
    sign_out(page)

    # Each bidder reads its feedback.
    for member, outcome in ((women, "successful"), (solo, "not successful")):
        sign_in(page, axe, member.user.email)
        page.wait_for_url("**/dashboard/")
        go(page, page.get_by_role("link", name="North Anytown").first)
        go(page, page.get_by_role("link", name="Read the feedback letter"))
        expect(page.get_by_text(f"your bid was {outcome}")).to_be_visible()
        axe.check()
        sign_out(page)
