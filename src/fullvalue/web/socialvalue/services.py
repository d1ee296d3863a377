"""Writes of social value: commitments (from the winning bid, or added), deliveries, verification.

Every write is checked here, recorded in the audit trail, and done in one transaction.
"""

from __future__ import annotations

import contextlib
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from fullvalue.domain.socialvalue import PENNY
from fullvalue.errors import Conflict, FullvalueError, PermissionDenied, Problem
from fullvalue.web.audit.services import audit_record
from fullvalue.web.contracts.selectors import contract_by_id, supply_chain
from fullvalue.web.kernel import fields
from fullvalue.web.kernel.actor import Actor
from fullvalue.web.kernel.policy import refusal, require
from fullvalue.web.socialvalue import policy, selectors
from fullvalue.web.socialvalue.models import Commitment, Delivery

#: What a commitment carried over from the winning bid covers (a bid commits for the whole term).
TERM = "Contract term"
DECISIONS = {
    "verify": Delivery.Status.VERIFIED,
    "query": Delivery.Status.QUERIED,
    "reject": Delivery.Status.REJECTED,
}


def _commitment_fields(data: dict[str, Any], read: fields.Fields) -> dict[str, Any]:
    return {
        "measure": read(fields.text, data.get("measure"), "measure", max_length=200, required=True),
        "unit": read(fields.text, data.get("unit"), "unit", max_length=50) or "",
        "period": read(fields.text, data.get("period"), "period", max_length=40, required=True),
        "quantity": read(fields.quantity, data.get("quantity"), "quantity"),
        "proxy_value": read(fields.money, data.get("proxy_value"), "proxy_value"),
        "deadweight": read(fields.share, data.get("deadweight") or "0", "deadweight"),
        "attribution": read(fields.share, data.get("attribution") or "1", "attribution"),
        "source": read(fields.text, data.get("source"), "source", max_length=500, required=True),
    }


def _share_places(values: dict[str, Any], read: fields.Fields) -> None:
    for name in ("deadweight", "attribution"):
        value = values.get(name)
        if value is not None and -value.as_tuple().exponent > 4:
            read.problems.append(
                Problem("Enter a share with at most 4 decimal places", column=name)
            )


@transaction.atomic
def commitment_add(*, actor: Actor, contract_id: int, data: dict[str, Any]) -> Commitment:
    """The commissioner adds a social value commitment to the contract (audited)."""
    actor.require_can_write()
    contract = contract_by_id(contract_id)
    require(policy.can_add_commitment, actor, contract)
    read = fields.Fields()
    values = _commitment_fields(data, read)
    _share_places(values, read)
    read.check("The commitment needs correcting.")
    commitment = Commitment.objects.create(contract_id=contract.id, **values)
    audit_record(
        actor=actor,
        action="socialvalue.commit",
        object_type="commitment",
        object_id=commitment.id,
        object_repr=str(commitment),
        after={k: str(v) for k, v in values.items()},
        organisation_id=contract.commissioner_id,
    )
    return commitment


@transaction.atomic
def commitments_from_award(
    *, actor: Actor, contract_id: int, award_id: int, commitments: list[dict[str, Any]]
) -> list[Commitment]:
    """The winning bid's social value commitments become the contract's (called on award).

    A bid commits a measure, unit, quantity and proxy value for the whole term; no deadweight
    or attribution is claimed until the commissioner sets them.
    """
    actor.require_can_write()
    contract = contract_by_id(contract_id)
    if not (actor.is_system_admin or policy.can_add_commitment(actor, contract)):
        raise PermissionDenied(refusal(policy.can_add_commitment))
    source = f"The winning bid's commitment (award {award_id})"
    created = []
    for i, row in enumerate(commitments):
        read = fields.Fields()
        row = {**row, "period": row.get("period") or TERM, "source": source}
        for name in ("quantity", "proxy_value"):  # checked ≥ 0 at submission; kept to the penny
            with contextlib.suppress(InvalidOperation):  # else reported by the field's reader
                row[name] = str(Decimal(str(row.get(name))).quantize(PENNY, ROUND_HALF_UP))
        values = _commitment_fields(row, read)
        if read.problems:
            raise FullvalueError.from_problems(
                "The winning bid's social value could not be carried over.",
                [
                    Problem(p.reason, location=f"social_value[{i}].{p.column}")
                    for p in read.problems
                ],
            )
        created.append(Commitment.objects.create(contract_id=contract.id, **values))
    if created:
        audit_record(
            actor=actor,
            action="socialvalue.from_award",
            object_type="contract",
            object_id=contract.id,
            object_repr=contract.title,
            after={"award": award_id, "commitments": [c.id for c in created]},
            organisation_id=contract.commissioner_id,
        )
    return created


@transaction.atomic
def delivery_report(*, actor: Actor, commitment_id: int, data: dict[str, Any]) -> Delivery:
    """The prime or a supply-chain member reports a quantity delivered, with its evidence."""
    actor.require_can_write()
    commitment = selectors.commitment_by_id(commitment_id)
    contract = contract_by_id(commitment.contract_id)
    require(policy.can_report, actor, contract, supply_chain(contract))
    read = fields.Fields()
    period = read(fields.text, data.get("period"), "period", max_length=40, required=True)
    quantity = read(fields.quantity, data.get("quantity"), "quantity")
    evidence = read(
        fields.text, data.get("evidence"), "evidence", max_length=fields.MAX_TEXT,
        multiline=True, required=True,
    )  # fmt: skip
    if quantity is not None and quantity == 0:
        read.problems.append(Problem("Enter a quantity above 0", column="quantity"))
    read.check("The report needs correcting.")
    assert actor.organisation_id is not None  # a provider's membership (the policy)
    delivery = Delivery.objects.create(
        commitment=commitment,
        organisation_id=actor.organisation_id,
        period=period or "",
        quantity=quantity or Decimal(0),
        evidence=evidence or "",
    )
    audit_record(
        actor=actor,
        action="socialvalue.report",
        object_type="delivery",
        object_id=delivery.id,
        object_repr=f"{delivery.quantity} {commitment.measure} in {delivery.period}",
        after={"commitment": commitment.id, "period": delivery.period,
               "quantity": delivery.quantity, "evidence": delivery.evidence},
        organisation_id=actor.organisation_id,
    )  # fmt: skip
    return delivery


@transaction.atomic
def delivery_decide(*, actor: Actor, delivery_id: int, decision: str, reason: str = "") -> Delivery:
    """The commissioner verifies, queries or rejects a delivery; a query or rejection says why."""
    actor.require_can_write()
    delivery = selectors.delivery_by_id(delivery_id, for_update=True)
    contract = contract_by_id(delivery.commitment.contract_id)
    require(policy.can_verify, actor, contract)
    status = DECISIONS.get(decision)
    if status is None:
        raise FullvalueError.from_problems(
            "Choose a decision.",
            [Problem("Choose verify, query or reject", column="decision")],
        )
    if delivery.status in (Delivery.Status.VERIFIED, Delivery.Status.REJECTED):
        raise Conflict(f"This figure is already {delivery.get_status_display().lower()}.")
    read = fields.Fields()
    reason = read(fields.text, reason, "reason", max_length=fields.MAX_TEXT, multiline=True) or ""
    if status != Delivery.Status.VERIFIED and not reason and not read.problems:
        read.problems.append(Problem("Say why the figure is queried or rejected", column="reason"))
    read.check("The decision needs correcting.")
    before = {"status": delivery.status}
    delivery.status, delivery.reason, delivery.decided_at = status, reason, timezone.now()
    delivery.save(update_fields=["status", "reason", "decided_at"])
    audit_record(
        actor=actor,
        action=f"socialvalue.{decision}",
        object_type="delivery",
        object_id=delivery.id,
        object_repr=f"{delivery.quantity} {delivery.commitment.measure} in {delivery.period}",
        before=before,
        after={"status": status.value, "reason": reason},
        organisation_id=contract.commissioner_id,
    )
    return delivery
