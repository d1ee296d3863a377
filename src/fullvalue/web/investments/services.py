"""Writes for investments: record an investor's commitment to an outcome contract."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from fullvalue.errors import FullvalueError, NotFound, PermissionDenied, Problem
from fullvalue.web.audit.services import audit_record
from fullvalue.web.contracts.selectors import contract_by_id
from fullvalue.web.investments import policy
from fullvalue.web.investments.models import Investment
from fullvalue.web.kernel.actor import Actor
from fullvalue.web.kernel.policy import refusal
from fullvalue.web.organisations.selectors import organisation_by_id


def rule_share_of_outcome_payments_is_a_proportion(share: Decimal) -> bool:
    """The share of outcome payments that repays an investor is between 0% and 100%."""
    return Decimal(0) < share <= Decimal(1)


@transaction.atomic
def investment_record(
    *,
    actor: Actor,
    contract_id: int,
    investor_id: int,
    committed: Any,
    share_of_outcome_payments: Any,
    committed_on: dt.date,
) -> Investment:
    """Record that an investor funds an outcome contract (by its commissioner or an admin)."""
    actor.require_can_write()
    contract = contract_by_id(contract_id)
    if not policy.can_record_investment(actor, contract):
        raise PermissionDenied(refusal(policy.can_record_investment))
    if organisation_by_id(investor_id) is None:
        raise NotFound("No such investor.")
    problems = []
    try:
        amount = Decimal(str(committed)).quantize(Decimal("0.01"))
        if amount <= 0:
            raise InvalidOperation
    except InvalidOperation:
        problems.append(
            Problem("Enter the amount committed in pounds, above 0", column="committed")
        )
        amount = Decimal(0)
    try:
        share = Decimal(str(share_of_outcome_payments))
    except InvalidOperation:
        share = Decimal(-1)
    if not rule_share_of_outcome_payments_is_a_proportion(share):
        problems.append(
            Problem(
                "The share of outcome payments that repays the investor is between 0% and 100%",
                column="share_of_outcome_payments",
            )
        )
    if problems:
        raise FullvalueError.from_problems("The investment needs correcting.", problems)
    investment = Investment.objects.create(
        contract=contract,
        investor_id=investor_id,
        committed=amount,
        share_of_outcome_payments=share,
        committed_on=committed_on,
    )
    audit_record(
        actor=actor,
        action="investment.record",
        object_type="investment",
        object_id=investment.id,
        object_repr=str(investment),
        after={"committed": str(amount), "share": str(share), "investor": investor_id},
    )
    return investment
