"""Journeys finished in the demo world, as its people, in a real browser.

An evaluator signs in and lands on the panel, declares no conflict and saves scores; the
commissioner creates the contract from an award whose standstill is over; a payment run prepared
by one commissioner is approved by a second; the investor finds the contracts they fund, with
the expected return, its spread and the payments to date. axe-core and the duplicate-id check run
on every page (``Axe.check``); screenshots of the key pages at 1280 px and 390 px are kept under
``var/browser-artefacts/`` (not committed).
"""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from fullvalue.web.contracts.models import Contract
from fullvalue.web.demo.services import demo_totp_code
from fullvalue.web.demo.world import DEMO_PASSWORD, build_demo_world
from fullvalue.web.investments.selectors import investments_for
from fullvalue.web.jinja import money
from fullvalue.web.kernel.actor import Actor
from fullvalue.web.payruns.models import PaymentRun
from fullvalue.web.tendering.models import Award, Score
from tests.browser.test_every_page import ARTEFACTS, DESKTOP, PHONE, _problems
from tests.browser.test_journeys import go

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

DOMAIN = "demo.fullvalue.test"


@pytest.fixture
def demo(monkeypatch):
    monkeypatch.setenv("FULLVALUE_DEMO", "1")
    build_demo_world()


def shots(page, name: str) -> None:
    """Keep the current page at desktop and phone widths."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    for size, label in ((DESKTOP, "1280"), (PHONE, "390")):
        page.set_viewport_size(size)
        page.screenshot(path=ARTEFACTS / f"journey-{name}-{label}.png", full_page=True)
    page.set_viewport_size(DESKTOP)


def sign_in(page, axe, email: str) -> None:
    page.goto("/sign-in/")
    axe.check()
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    go(page, page.get_by_role("button", name="Sign in"))
    if "/sign-in/verify/" in page.url:
        axe.check()
        # Forget an earlier use of this 30-second window's code (replay protection).
        TOTPDevice.objects.filter(user__email=email).update(last_t=-1, throttling_failure_count=0)
        page.get_by_label("Enter your security code").fill(demo_totp_code(email).split()[0])
        go(page, page.get_by_role("button", name="Continue"))
    assert "/sign-in/" not in page.url


def sign_out(page) -> None:
    go(page, page.get_by_role("button", name="Sign out"))


def test_an_evaluator_signs_in_and_saves_scores(page, axe, demo):
    sign_in(page, axe, f"evaluator@{DOMAIN}")
    # Tom also evaluates for the West Midlands, but the panel waiting for him is HMPPS's.
    expect(page).to_have_url(re.compile(r".*/tenders/\d+/evaluation/$"))
    expect(page.get_by_text("declare any conflict", exact=False)).to_be_visible()
    axe.check()
    shots(page, "evaluator-panel")
    page.get_by_label("No", exact=True).check()
    go(page, page.get_by_role("button", name="Declare"))
    forms = page.locator("form:has(input[name=bid])")
    expect(forms.first).to_be_visible()
    axe.check()
    first = forms.first
    for group in first.locator("fieldset:has(input[type=radio])").all():
        group.locator("input[value='4']").check()
    for reason in first.locator("textarea").all():
        reason.fill("Clear plan for the first week after release, with named partners.")
    go(page, first.get_by_role("button"))
    expect(page.get_by_text("Your scores are saved")).to_be_visible()
    axe.check()
    shots(page, "evaluator-scored")
    assert Score.objects.filter(
        assignment__evaluator__user__email=f"evaluator@{DOMAIN}", submitted_at__isnull=False
    ).exists()


def test_the_commissioner_creates_the_contract_after_standstill(page, axe, demo):
    award = Award.objects.select_related("lot__tender").get(
        status="standstill", standstill_ends_on__lt=timezone.localdate()
    )
    sign_in(page, axe, f"commissioner@{DOMAIN}")
    go(page, page.get_by_role("link", name="Tenders", exact=True).first)
    axe.check()
    go(page, page.get_by_role("link", name=award.lot.tender.title))
    axe.check()
    shots(page, "award-standstill-over")
    go(page, page.get_by_role("button", name="Confirm award and create the contract"))
    expect(page.get_by_text("Contract created")).to_be_visible()
    expect(page.get_by_text("Confirmed; the contract has been created.")).to_be_visible()
    axe.check()
    contract = Contract.objects.get(award=award)
    assert contract.provider.name == "Fresh Start Debt Advice"
    page.goto(f"/contracts/{contract.id}/")
    expect(page.get_by_role("heading", name=contract.title)).to_be_visible()
    axe.check()
    shots(page, "contract-created")


def test_two_commissioners_prepare_and_approve_a_payment_run(page, axe, demo):
    run = PaymentRun.objects.select_related("contract", "prepared_by").get(status="prepared")
    assert run.prepared_by.email == f"commissioner@{DOMAIN}"
    url = f"/contracts/{run.contract_id}/"
    sign_in(page, axe, f"commissioner@{DOMAIN}")
    page.goto(url)
    expect(page.get_by_text("you prepared this run, so another commissioner must")).to_be_visible()
    expect(page.get_by_role("button", name=f"Approve {run.period}")).to_have_count(0)
    axe.check()
    sign_out(page)
    sign_in(page, axe, f"finance@{DOMAIN}")
    page.goto(url)
    axe.check()
    shots(page, "payrun-to-approve")
    go(page, page.get_by_role("button", name=f"Approve {run.period}"))
    expect(page.get_by_text("Payment run approved")).to_be_visible()
    axe.check()
    run.refresh_from_db()
    assert run.status == "approved" and run.approved_by.email == f"finance@{DOMAIN}"


def test_the_investor_sees_their_contracts_expected_return_and_payments(page, axe, demo):
    rows = [
        r
        for r in investments_for(Actor.system("test"))
        if r.investment.investor.name == "Bridgewater Social Investment"
    ]
    assert len(rows) == 1 and rows[0].expected is not None
    row, expected = rows[0], rows[0].expected
    assert expected.p5 < expected.p95  # a spread worth showing
    sign_in(page, axe, f"investor@{DOMAIN}")
    axe.check()
    go(
        page,
        page.get_by_role("link", name="Contracts you fund, expected return and payments so far"),
    )
    expect(page).to_have_url(re.compile(r".*/investments/$"))
    expect(page.get_by_role("heading", name="Your investments", level=1)).to_be_visible()
    contract = row.investment.contract
    expect(page.get_by_role("heading", name=contract.title, level=2)).to_be_visible()
    expect(
        page.get_by_text(f"{contract.commissioner.name} with {contract.provider.name}")
    ).to_be_visible()

    def value(key: str):
        return page.locator(f".govuk-summary-list__row:has(dt:text-is('{key}')) dd")

    expect(value("Committed")).to_have_text(f"{money(row.investment.committed)} on 20 March 2025")
    expect(value("Repaid from")).to_have_text("80% of payments on results")
    expect(value("Paid to you so far")).to_have_text(money(row.paid_to_date))
    expect(value("Expected return")).to_have_text(
        f"{money(expected.p50)} in a typical run; "
        f"{money(expected.p5)} to {money(expected.p95)} in 9 of 10 runs"
    )
    expect(value("Chance of losing money")).to_have_text(f"{expected.probability_of_loss:.0%}")
    axe.check()
    shots(page, "investor-investments")
    page.set_viewport_size(PHONE)
    assert _problems(page) == []
    page.set_viewport_size(DESKTOP)
