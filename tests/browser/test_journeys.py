"""Journeys a person takes, in a real browser, with axe-core run on every page visited."""

from __future__ import annotations

import pytest
from django_otp.oath import totp
from playwright.sync_api import expect

from fullvalue.domain.roles import Role
from tests.web.factories import PASSWORD, totp_for

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def go(page, locator):
    """Click something that loads a new page, and wait for that page.

    Its document, not its images: a chart drawn by the server can take a while on a busy
    machine, and nothing the journeys check waits on it.
    """
    with page.expect_navigation(wait_until="domcontentloaded"):
        locator.click()


def sign_in(page, axe, email, password=PASSWORD):
    page.goto("/sign-in/")
    axe.check()
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    go(page, page.get_by_role("button", name="Sign in"))


def test_provider_signs_in_edits_with_an_error_and_fixes_it(page, axe, make_member):
    admin = make_member(Role.PROVIDER_ADMIN, name="Harbour Lights Trust", slug="harbour-lights")
    page.goto("/")
    axe.check()
    go(page, page.get_by_role("button", name="Hide cookie message"))
    # A wrong password first: the error summary links to the field.
    sign_in(page, axe, admin.user.email, "not-the-password")
    expect(page.get_by_role("alert").get_by_text("There is a problem")).to_be_visible()
    axe.check()
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    go(page, page.get_by_role("button", name="Sign in"))
    page.wait_for_url("**/dashboard/")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    axe.check()

    go(page, page.get_by_role("link", name="Update your organisation's details"))
    axe.check()
    page.get_by_label("Name", exact=True).fill("")
    page.get_by_label("Annual income").fill("a lot")
    go(page, page.get_by_role("button", name="Save"))
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    assert page.title().startswith("Error:")
    axe.check()
    # The summary links move focus to the field.
    summary.get_by_role("link", name="Enter the organisation's name").click()
    assert page.evaluate("document.activeElement.id") == "name"

    page.get_by_label("Name", exact=True).fill("Harbour Lights Recovery Trust")
    page.get_by_label("Annual income").fill("86000")
    page.get_by_label("Led by and for women").check()
    go(page, page.get_by_role("button", name="Save"))
    page.wait_for_url("**/organisations/harbour-lights-recovery-trust/")
    expect(page.get_by_text("has been updated")).to_be_visible()
    expect(page.get_by_role("heading", name="Harbour Lights Recovery Trust")).to_be_visible()
    axe.check()

    go(page, page.get_by_role("link", name="Organisations", exact=True))
    axe.check()
    page.get_by_label("Led by and for women").check()
    go(page, page.get_by_role("button", name="Apply filters"))
    expect(page.get_by_role("link", name="Harbour Lights Recovery Trust")).to_be_visible()
    axe.check()
    page.goto(f"/organisations/{'harbour-lights-recovery-trust'}/members/")
    axe.check()
    page.goto("/account/")
    axe.check()
    assert len(axe.checked) >= 10


def test_commissioner_signs_in_with_a_second_factor(page, axe, make_member):
    member = make_member(Role.COMMISSIONER, legal_form="public_body", sector="public")
    device = totp_for(member.user)
    sign_in(page, axe, member.user.email)
    page.wait_for_url("**/sign-in/verify/")
    axe.check()
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=6):06d}"
    page.get_by_label("Enter your security code").fill(code)
    go(page, page.get_by_role("button", name="Continue"))
    page.wait_for_url("**/dashboard/")
    expect(page.get_by_role("heading", name="The market")).to_be_visible()
    axe.check()
    page.goto("/organisations/import/")
    axe.check()
    page.goto("/organisations/new/")
    axe.check()


def test_auditor_reads_and_verifies_the_trail(page, axe, make_member):
    auditor = make_member(Role.AUDITOR, legal_form="public_body", sector="public")
    sign_in(page, axe, auditor.user.email)
    page.wait_for_url("**/dashboard/")
    go(page, page.get_by_role("link", name="Audit trail", exact=True).first)
    axe.check()
    go(page, page.get_by_role("link", name="Check the chain now"))
    expect(page.get_by_text("The chain is intact")).to_be_visible()
    axe.check()


def test_pages_work_without_javascript(browser, live_server, make_member):
    context = browser.new_context(java_script_enabled=False, base_url=live_server.url)
    page = context.new_page()
    admin = make_member(Role.PROVIDER_ADMIN)
    page.goto("/sign-in/")
    page.get_by_label("Email address").fill(admin.user.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    go(page, page.get_by_role("button", name="Sign in"))
    page.wait_for_url("**/dashboard/")
    go(page, page.get_by_role("button", name="Hide cookie message"))
    assert page.locator(".govuk-cookie-banner").count() == 0
    go(page, page.get_by_role("button", name="Sign out"))
    expect(page.get_by_text("You have been signed out")).to_be_visible()
    context.close()


def test_the_accessibility_check_can_fail(page, axe):
    """Guard against a silent checker: a page with known WCAG failures must be reported."""
    page.set_content('<html><body><img src="x.png"><input type="text"></body></html>')
    with pytest.raises(AssertionError, match="image-alt"):
        axe.check()


def test_commissioning_pages_in_the_demo_world_pass_axe(page, axe):
    """Every commissioning page a new user meets in the demo world, checked by axe-core."""
    from fullvalue.web.demo.world import DEMO_PASSWORD, build_demo_world
    from fullvalue.web.tendering.models import Bid, Tender

    build_demo_world()
    for path in ("/programmes/", "/tenders/", "/tenders/partners/", "/contracts/"):
        page.goto(path)
        axe.check()
    page.goto("/programmes/")
    go(
        page,
        page.get_by_role("link", name="Women's centres and Black-led mentoring, West Midlands"),
    )
    expect(page.get_by_role("heading", name="Risk for a provider")).to_be_visible()
    expect(page.locator(".fv-risk-sentence")).to_contain_text("in reserves")
    axe.check()
    for tender in Tender.objects.all():
        page.goto(f"/tenders/{tender.id}/")
        axe.check()
    sign_in(page, axe, "provider@demo.fullvalue.test", DEMO_PASSWORD)
    page.wait_for_url("**/dashboard/")
    axe.check()
    open_tender = Tender.objects.get(status="open")
    page.goto(f"/lots/{open_tender.lots.first().id}/bid/")
    axe.check()
    own = Bid.objects.filter(lead__name="Moss Side Women's Centre").first()
    page.goto(f"/bids/{own.id}/")
    axe.check()
    from fullvalue.web.contracts.models import Contract

    contract_id = Contract.objects.get(award__isnull=False).id
    page.goto(f"/contracts/{contract_id}/")
    expect(page.get_by_role("heading", name="Outcome claims")).to_be_visible()
    axe.check()
    for path, heading in (
        ("participants/", "Participants"),
        ("outcomes/", "Outcomes and claims"),
        ("outcomes/?status=disputed", "Outcomes and claims"),
        ("reoffending/", "Reoffending results"),
        ("cash/", "Working capital: Moss Side Women's Centre"),
        ("supply-chain/", "Supply chain"),
    ):
        page.goto(f"/contracts/{contract_id}/{path}")
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        axe.check()
    go(page, page.get_by_role("button", name="Sign out"))
    sign_in(page, axe, "tenders@demo.fullvalue.test", DEMO_PASSWORD)  # Calder's bid manager
    page.wait_for_url("**/dashboard/")
    lost = Bid.objects.filter(lot__award__isnull=False, lead__name="Calder Rehabilitation plc")
    assert lost.exists()
    for bid in lost:
        page.goto(f"/bids/{bid.id}/feedback/")
        expect(page.get_by_role("heading", name="Feedback on your bid")).to_be_visible()
        expect(page.get_by_text("not successful")).to_be_visible()
        axe.check()


def test_pages_run_their_scripts_under_the_real_content_security_policy(
    browser, live_server, make_member
):
    """No CSP bypass here: the nonce'd inline script and our module scripts must run, and the
    browser must report no violation on any page visited."""
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    violations: list[str] = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "console.error('Content Security Policy violation: ' + e.violatedDirective + ' ' + "
        "e.blockedURI))"
    )
    admin = make_member(Role.PROVIDER_ADMIN)
    for path in ("/", "/organisations/", "/sign-in/"):
        page.goto(path)
        body_class = page.evaluate("document.body.className")
        assert "js-enabled" in body_class and "govuk-frontend-supported" in body_class, path
    # the module script ran too: GOV.UK Frontend marks each component it initialised
    page.goto("/")
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-govuk-button-init]").count() >= 1
    page.goto("/sign-in/")
    page.get_by_label("Email address").fill(admin.user.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    go(page, page.get_by_role("button", name="Sign in"))
    page.wait_for_url("**/dashboard/")
    for path in ("/dashboard/", "/account/", f"/organisations/{admin.organisation.slug}/"):
        page.goto(path)
        page.wait_for_load_state("networkidle")
    assert page.evaluate("document.body.className").count("govuk-frontend-supported") == 1
    context.close()
    assert violations == []


def test_the_csp_check_can_fail(browser, live_server):
    """Guard: an inline script without the nonce is reported as a violation."""
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    seen: list[str] = []
    page.on("console", lambda m: seen.append(m.text))
    page.goto("/")
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.x = 1';"
        " document.body.appendChild(s); }"
    )
    page.wait_for_timeout(200)
    context.close()
    assert any("Content Security Policy" in text for text in seen)
