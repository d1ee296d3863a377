"""The investor's view: contracts they fund, expected return from the simulation, paid so far."""

from decimal import Decimal

import pytest
from django.urls import reverse

from fullvalue.web.accounts.models import Membership
from fullvalue.web.demo.world import build_demo_world
from fullvalue.web.investments.models import Investment
from fullvalue.web.investments.selectors import expected_return, investments_for

pytestmark = pytest.mark.django_db


def test_investor_sees_the_contract_they_fund_with_return_and_payments(signed_in):
    build_demo_world()
    investment = Investment.objects.get()
    investor = Membership.objects.get(role="investor", organisation=investment.investor)
    client = signed_in(investor)
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert reverse("investment-list") in dashboard
    page = client.get(reverse("investment-list")).content.decode()
    assert investment.contract.title.replace("'", "&#39;") in page
    assert "Expected return" in page and "in 9 of 10 runs" in page and "Paid to you so far" in page
    from fullvalue.web.kernel.actor import Actor

    row = investments_for(Actor.system("test"))[0]
    assert row.expected is not None and row.expected.p5 <= row.expected.p50 <= row.expected.p95
    provider = Membership.objects.filter(role="provider_admin").first()
    client.logout()
    assert signed_in(provider).get(reverse("investment-list")).status_code == 403


def test_expected_return_grows_with_the_share_and_falls_with_the_stake(settings):
    from pathlib import Path

    toml = (
        Path(__file__).resolve().parents[2] / "examples" / "womens-centre" / "contract.toml"
    ).read_text()
    half = expected_return(toml, Decimal(60000), Decimal("0.5"))
    whole = expected_return(toml, Decimal(60000), Decimal(1))
    more = expected_return(toml, Decimal(120000), Decimal(1))
    assert whole.p50 > half.p50 and whole.p95 > half.p95
    assert more.p50 == whole.p50 - 60000
