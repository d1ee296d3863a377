"""A three-person charity bids as a consortium lead, in a browser, with axe-core on every page.

Its member of staff registers interest and prepares the bid (told before the form that an
administrator submits), saving a draft; the named sub-contractor's administrator confirms its
part from their dashboard; the charity's administrator resumes the draft, completes and submits
it. Every page any of them loads is counted, checked with axe and for duplicate ids.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from fullvalue.domain.roles import Role
from fullvalue.web.tendering.models import Bid
from tests.browser.conftest import Axe
from tests.browser.test_journeys import go
from tests.web.cycle import START, programme_data, tender_data
from tests.web.factories import PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

MAX_CHARITY_PAGES = 12


class Person:
    """One person at their own computer: a browser context, a page, axe and a page count."""

    def __init__(self, browser, live_server, membership):
        self.context = browser.new_context(bypass_csp=True, base_url=live_server.url)
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.membership = membership
        self.axe = Axe(self.page)
        self.loads: list[str] = []
        self.page.on("load", lambda p: self.loads.append(p.url))

    def check(self) -> None:
        """axe-core on the page, and no id used twice on it."""
        self.axe.check()
        duplicated = self.page.evaluate(
            """() => {
                const seen = {}, twice = new Set();
                for (const el of document.querySelectorAll('[id]')) {
                    if (seen[el.id]) twice.add(el.id); seen[el.id] = true;
                }
                return [...twice];
            }"""
        )
        assert not duplicated, f"ids used twice on {self.page.url}: {duplicated}"

    def sign_in(self) -> None:
        self.page.goto("/sign-in/")
        self.check()
        self.page.get_by_label("Email address").fill(self.membership.user.email)
        self.page.get_by_label("Password", exact=True).fill(PASSWORD)
        go(self.page, self.page.get_by_role("button", name="Sign in"))
        self.page.wait_for_url("**/dashboard/")
        self.check()


def test_small_charity_consortium_bid_with_a_draft_and_a_confirmed_sub_contractor(
    browser, warm_server, make_member, monkeypatch
):
    live_server = warm_server
    clock = {"now": START + dt.timedelta(days=3)}
    monkeypatch.setattr(timezone, "now", lambda: clock["now"])
    from fullvalue.web.accounts.services import actor_for_membership
    from fullvalue.web.programmes.services import programme_create
    from fullvalue.web.tendering.services import tender_create, tender_publish

    commissioner = make_member(
        Role.COMMISSIONER, name="Anyshire PCC", legal_form="pcc", sector="public"
    )
    c = actor_for_membership(commissioner)
    programme = programme_create(actor=c, data=programme_data())
    tender = tender_create(actor=c, programme_id=programme.id, data=tender_data())
    tender_publish(actor=c, tender_id=tender.id, now=START)
    lot = tender.lots.get(reserved_for_small=True)

    admin = make_member(Role.PROVIDER_ADMIN, name="Anytown Mentors", annual_income=86_000)
    charity = admin.organisation
    staff = make_member(Role.PROVIDER_STAFF, organisation=charity)
    make_member(Role.PROVIDER_STAFF, organisation=charity)  # the third person
    partner = make_member(Role.PROVIDER_ADMIN, name="Workwise Futures", annual_income=38_000)

    # The member of staff registers interest and prepares the bid.
    marcus = Person(browser, live_server, staff)
    marcus.sign_in()
    page = marcus.page
    go(page, page.get_by_role("link", name="See open tenders"))
    marcus.check()
    go(page, page.get_by_role("link", name=tender.title))
    marcus.check()
    go(page, page.get_by_role("button", name="Register interest"))
    expect(page.get_by_text("You will be told of any amendment")).to_be_visible()
    marcus.check()
    # Before any form: the link is there, and why staff cannot submit.
    expect(
        page.get_by_text("Only an administrator of your organisation can submit").first
    ).to_be_visible()
    go(page, page.get_by_role("link", name=f"Prepare a bid for {lot.title}"))
    expect(
        page.get_by_text("Only an administrator of your organisation can submit")
    ).to_be_visible()
    expect(page.get_by_role("button", name="Submit bid")).to_have_count(0)
    marcus.check()
    page.fill("#price", "290000")
    page.locator("textarea[id^=answer_]").first.fill("Mentors with lived experience, weekly.")
    page.fill("#sv_measure_0", "Hours of volunteering")
    page.fill("#sv_unit_0", "hour")
    page.fill("#sv_quantity_0", "2000")
    page.fill("#sv_proxy_0", "15")
    page.fill("#lead_value", "90")
    page.fill("#lead_work", "85")
    page.locator("#partner_0").select_option(str(partner.organisation_id))
    page.get_by_label("Sub-contractor").first.check()
    page.fill("#partner_value_0", "10")
    page.fill("#partner_work_0", "15")
    page.locator("#working_capital").check()  # our organisation
    go(page, page.get_by_role("button", name="Save as draft"))
    expect(page.get_by_text("Your draft is saved")).to_be_visible()
    expect(page.get_by_text("Waiting for Workwise Futures to confirm its part")).to_be_visible()
    marcus.check()
    bid = Bid.objects.get(lot=lot)
    assert bid.status == "draft"

    # The sub-contractor's administrator confirms its part from the dashboard.
    ruby = Person(browser, live_server, partner)
    ruby.sign_in()
    page = ruby.page
    expect(page.get_by_text("awaiting confirmation")).to_be_visible()
    go(page, page.get_by_role("link", name=f"Anytown Mentors: {tender.reference}"))
    expect(
        page.get_by_text("as sub-contractor with 10% of the value and 15% of the work")
    ).to_be_visible()
    ruby.check()
    go(page, page.get_by_role("button", name="Confirm our part"))
    expect(page.get_by_text("You have confirmed your part")).to_be_visible()
    ruby.check()

    # The charity's administrator resumes the draft, completes it and submits it.
    kwame = Person(browser, live_server, admin)
    kwame.sign_in()
    page = kwame.page
    go(page, page.get_by_role("link", name=f"{tender.reference} {lot}"))
    expect(page.get_by_text("Every partner has confirmed its part")).to_be_visible()
    kwame.check()
    go(page, page.get_by_role("link", name="Change the bid"))
    expect(page.locator("#price")).to_have_value("290000")
    expect(page.locator("#partner_value_0")).to_have_value("10")
    kwame.check()
    for answer in page.locator("textarea[id^=answer_]").all():
        if not answer.input_value():
            answer.fill("Co-designed with young men who have left custody.")
    page.locator("input[id^=pf_]").first.check()
    page.locator("#exclusion_grounds").check()  # no exclusion grounds
    go(page, page.get_by_role("button", name="Submit bid"))
    expect(page.get_by_text("Your bid is submitted and sealed until the deadline")).to_be_visible()
    expect(page.get_by_text("Submitted", exact=True)).to_be_visible()
    kwame.check()
    bid.refresh_from_db()
    assert bid.status == "submitted"
    assert {p.organisation_id: p.confirmed_at is not None for p in bid.parties.all()} == {
        charity.id: False,
        partner.organisation_id: True,
    }

    charity_pages = marcus.loads + kwame.loads
    assert len(charity_pages) <= MAX_CHARITY_PAGES, charity_pages
    assert len(ruby.loads) <= 4, ruby.loads
    print(f"charity pages: {len(charity_pages)}; sub-contractor pages: {len(ruby.loads)}")
    for person in (marcus, ruby, kwame):
        person.context.close()
