"""Community budgets, finished in the demo world in a real browser (issue 20).

The demo commissioner, acting for Lancashire County Council (the pool's lead), reads the business
case and who pays and who benefits, and records HMPPS's contribution for year 3; acting for HMPPS
she agrees the contribution still waiting from year 2 and the one just recorded, and the ledger
counts them. axe-core and the duplicate-id check run on every page; screenshots at 1280 px and
390 px are kept under ``var/browser-artefacts/``.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from fullvalue.web.budgets.models import Contribution
from tests.browser.test_demo_journeys import DOMAIN, demo, shots, sign_in  # noqa: F401
from tests.browser.test_journeys import go

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def act_as(page, axe, role: str) -> None:
    page.goto("/account/role/")
    axe.check()
    page.get_by_label(role).check()
    go(page, page.get_by_role("button", name="Continue"))


def open_budget(page, axe) -> None:
    page.goto("/community-budgets/")
    axe.check()
    go(page, page.get_by_role("link", name="Lancashire families with complex needs"))
    axe.check()


def test_partners_agree_contributions_to_a_pooled_budget(page, axe, demo):  # noqa: F811
    sign_in(page, axe, f"commissioner@{DOMAIN}")
    act_as(page, axe, "Commissioner, Lancashire County Council")
    open_budget(page, axe)
    expect(page.get_by_role("heading", name="Who pays and who benefits")).to_be_visible()
    shots(page, "community-budget")
    page.get_by_label("Partner", exact=True).select_option(label="Ministry of Justice (HMPPS)")
    page.get_by_label("Year of the case").select_option(label="Year 3")
    page.get_by_label("Amount").first.fill("45000.005")  # a fraction of a penny: refused
    page.get_by_label("Pooled", exact=True).check()
    go(page, page.get_by_role("button", name="Record the contribution"))
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    axe.check()
    page.get_by_label("Amount").first.fill("45000")
    go(page, page.get_by_role("button", name="Record the contribution"))
    expect(page.get_by_text("Contribution recorded")).to_be_visible()
    waiting = Contribution.objects.filter(agreed_at__isnull=True).count()
    assert waiting == 2  # year 2 from the demo, year 3 just recorded

    act_as(page, axe, "Commissioner, Ministry of Justice (HMPPS)")
    open_budget(page, axe)
    for _ in range(waiting):
        go(page, page.get_by_role("button", name="Agree").first)
        expect(page.get_by_text("Contribution agreed")).to_be_visible()
    axe.check()
    assert not Contribution.objects.filter(agreed_at__isnull=True).exists()
    expect(page.get_by_text("Waiting for the partner")).to_have_count(0)
