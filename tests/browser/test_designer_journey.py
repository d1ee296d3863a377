"""A commissioner designs payment without TOML and compares three mechanisms, in a browser.

The form is long: a draft is saved midway (with only the title and summary), found again on the
programmes page and resumed; publishing still names what is missing.

axe-core runs on every page visited; each key page is also checked at 390 px for sideways
scrolling and duplicate ids, and saved as a screenshot at 1280 px and 390 px (test artefacts in
``var/screenshots/``, not committed).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from fullvalue.domain.roles import Role
from fullvalue.web.programmes.models import Programme, ProgrammeDraft
from tests.browser.test_commissioning_journey import sign_in_2fa
from tests.browser.test_journeys import go
from tests.web.factories import totp_for

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def check_phone_and_shoot(page, axe, name: str) -> None:
    """Screenshots at 1280 and 390 px; at 390 px no sideways scrolling and no duplicate ids."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(SHOTS / f"{name}-1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    axe.check()
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at 390 px"
    duplicates = page.evaluate(
        "(() => { const seen = {}; const dup = [];"
        " for (const e of document.querySelectorAll('[id]')) {"
        " if (seen[e.id]) dup.push(e.id); seen[e.id] = true; } return dup; })()"
    )
    assert not duplicates, f"duplicate ids on {name}: {duplicates}"
    page.screenshot(path=str(SHOTS / f"{name}-390.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_commissioner_designs_without_toml_and_compares_three(page, axe, make_member):
    commissioner = make_member(
        Role.COMMISSIONER,
        name="Anyshire PCC",
        legal_form="pcc",
        sector="public",
        annual_income=None,
    )
    page.set_default_timeout(60_000)  # a shared, busy machine
    sign_in_2fa(page, axe, commissioner, totp_for(commissioner.user))
    page.goto("/programmes/new/")
    axe.check()
    expect(page.locator("textarea#mechanism_toml")).to_have_count(0)
    guide = page.get_by_role("link", name="How each kind of payment works")
    expect(guide).to_have_attribute("href", "/programmes/payment-guide/")
    page.fill("#title", "Anytown women's service")
    page.fill("#summary", "Holistic support for women in contact with the justice system.")

    # A long form: save a draft midway, with the figures still to come, and resume it later.
    go(page, page.get_by_role("button", name="Save as draft"))
    expect(page).to_have_url(re.compile(r".*/programmes/drafts/\d+/$"))
    draft_url = page.url
    expect(page.get_by_text("has been saved as a draft")).to_be_visible()
    to_finish = page.locator("#to-finish")
    expect(
        to_finish.get_by_role("link", name="Enter the budget in pounds, above 0")
    ).to_have_attribute("href", "#budget")
    expect(to_finish).to_contain_text("Enter the cohort")
    expect(page.locator("#title")).to_have_value("Anytown women's service")
    axe.check()
    check_phone_and_shoot(page, axe, "programme-draft")
    page.goto("/programmes/")
    go(page, page.get_by_role("link", name="Continue Anytown women's service"))
    assert page.url == draft_url
    expect(page.locator("#summary")).to_have_value(
        "Holistic support for women in contact with the justice system."
    )
    axe.check()
    assert not Programme.objects.exists() and ProgrammeDraft.objects.count() == 1

    page.get_by_label("Proven reoffending (binary)").check()
    page.fill("#cohort", "Women on community orders")
    page.fill("#volume_low", "60")
    page.fill("#volume_expected", "80")
    page.fill("#volume_high", "100")
    page.fill("#budget", "600000")
    page.fill("#starts_on", "2027-04-01")

    # Three starting points, each added to the comparison.
    for label in ("Blended 70/30", "100% payment by results", "Grant"):
        page.get_by_label(label, exact=True).check()
        go(page, page.get_by_role("button", name="Use this starting point"))
        expect(page.locator(".fv-risk-sentence")).to_contain_text("A provider with £50,000")
        go(page, page.get_by_role("button", name="Add this mechanism to the comparison"))
    table = page.locator("#comparison")
    expect(table.locator("thead th")).to_have_count(4)
    expect(table).to_contain_text("100% payment by results")
    axe.check()
    check_phone_and_shoot(page, axe, "designer-compare")

    # With JavaScript the preview follows the design: a bigger budget changes it.
    page.get_by_label("Blended 70/30", exact=True).check()
    go(page, page.get_by_role("button", name="Use this starting point"))
    before = page.locator(".fv-risk-sentence").inner_text()
    income = page.locator("#risk-preview").inner_text()
    page.fill("#provider_reserves", "400000")
    expect(page.locator("#risk-preview")).to_have_attribute("data-updated", "1", timeout=15_000)
    assert page.locator(".fv-risk-sentence").inner_text() != before
    assert "£400,000 in reserves" in page.locator(".fv-risk-sentence").inner_text()
    assert income != page.locator("#risk-preview").inner_text()

    # Publishing needs everything: a mistake is explained in words and linked to its field.
    page.get_by_label("Payment for each person fewer reoffending").fill("")
    go(page, page.get_by_role("button", name="Save and publish"))
    summary = page.locator(".govuk-error-summary")
    expect(
        summary.get_by_role("link", name="Enter the payment for each person fewer")
    ).to_be_visible()
    assert "components[" not in summary.inner_text()
    axe.check()
    page.get_by_label("Payment for each person fewer reoffending").fill("7000")
    go(page, page.get_by_role("button", name="Save as draft"))
    page.wait_for_url("**/programmes/anytown-womens-service/")
    assert Programme.objects.get().status == "draft" and not ProgrammeDraft.objects.exists()
    expect(page.locator("svg.fv-svg-chart")).to_have_count(2)
    expect(page.get_by_text("2027-28", exact=True).first).to_be_attached()
    axe.check()
    check_phone_and_shoot(page, axe, "programme-detail")
    go(page, page.get_by_role("link", name="Change this draft"))
    expect(page.locator("#budget")).to_have_value("600000.00")
    axe.check()
    go(page, page.get_by_role("link", name="How each kind of payment works"))
    axe.check()


class _NoAxe:
    """Stands in for axe where the page's own CSP must stay in force (axe is injected)."""

    def check(self) -> None:
        return None


def test_live_preview_runs_under_the_real_content_security_policy(
    browser, live_server, make_member
):
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(60_000)
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
    commissioner = make_member(
        Role.COMMISSIONER,
        name="Anyshire PCC",
        legal_form="pcc",
        sector="public",
        annual_income=None,
    )
    sign_in_2fa(page, _NoAxe(), commissioner, totp_for(commissioner.user))
    page.goto("/programmes/new/")
    page.fill("#volume_low", "60")
    page.fill("#volume_expected", "80")
    page.fill("#volume_high", "100")
    page.fill("#budget", "600000")
    page.get_by_label("Blended 70/30", exact=True).check()
    go(page, page.get_by_role("button", name="Use this starting point"))
    page.fill("#budget", "900000")
    expect(page.locator("#risk-preview")).to_have_attribute("data-updated", "1", timeout=30_000)
    expect(page.locator("#risk-preview")).to_contain_text("£900,000")
    context.close()
    assert violations == []
