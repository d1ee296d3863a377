"""The demo's social investment: Bridgewater funds the women's centre contract in delivery."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from fullvalue.web.contracts.models import Contract
from fullvalue.web.investments.services import investment_record
from fullvalue.web.kernel.actor import Actor
from fullvalue.web.organisations.models import Organisation


def build_investments_demo(orgs: dict[str, Organisation]) -> None:
    """Record the investor's stake in the contract in delivery (after the delivery demo)."""
    contract = Contract.objects.filter(award__isnull=False, status=Contract.Status.ACTIVE).first()
    if contract is None:
        return
    investment_record(
        actor=Actor.system("demo"),
        contract_id=contract.id,
        investor_id=orgs["Bridgewater Social Investment"].id,
        committed=Decimal(60000),
        share_of_outcome_payments=Decimal("0.8"),
        committed_on=dt.date(2025, 3, 20),
    )
