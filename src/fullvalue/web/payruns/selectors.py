"""Reads for payments: remittances, what a sub-contractor is owed, supply-chain payment record."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.utils import timezone

from fullvalue.domain.roles import Role
from fullvalue.web.contracts.services import MAX_FLOW_DOWN_DAYS
from fullvalue.web.kernel.actor import Actor
from fullvalue.web.kernel.policy import require
from fullvalue.web.payruns import policy
from fullvalue.web.payruns.models import FlowDownPayment, PaymentRun

if TYPE_CHECKING:
    from fullvalue.web.contracts.models import Contract


@dataclass(frozen=True)
class PaymentRecord:
    """How promptly a contract's prime pays its supply chain (public)."""

    payments: int
    paid: int
    average_days_to_pay: float | None
    share_within_30_days: float | None
    overdue: int


#: One flow-down payment as the record needs it: (paid on, prime paid on, due on).
PaymentDates = tuple[dt.date | None, dt.date | None, dt.date]


def _record(rows: list[PaymentDates], today: dt.date) -> PaymentRecord:
    """The record from (sub-contractor paid on, prime paid on, due on) of each payment."""
    days = [(paid - run_paid).days for paid, run_paid, _ in rows if paid and run_paid]
    return PaymentRecord(
        payments=len(rows),
        paid=len(days),
        average_days_to_pay=sum(days) / len(days) if days else None,
        share_within_30_days=(
            sum(d <= MAX_FLOW_DOWN_DAYS for d in days) / len(days) if days else None
        ),
        overdue=sum(1 for paid, _, due in rows if paid is None and due < today),
    )


def payment_records(
    contract_ids: list[int], today: dt.date | None = None
) -> dict[int, PaymentRecord]:
    """The payment record of each of these contracts, read in one query."""
    today = today or timezone.localdate()
    rows: dict[int, list[PaymentDates]] = {cid: [] for cid in contract_ids}
    for cid, paid, run_paid, due in FlowDownPayment.objects.filter(
        run__contract_id__in=contract_ids
    ).values_list("run__contract_id", "paid_on", "run__paid_on", "due_on"):
        rows[cid].append((paid, run_paid, due))
    return {cid: _record(r, today) for cid, r in rows.items()}


def payment_record(contract: Contract, today: dt.date | None = None) -> PaymentRecord:
    """How promptly the prime pays its supply chain.

    Average days from the prime being paid to the sub-contractor being paid, the share paid
    within 30 days, and how many payments are unpaid past their due date.
    """
    return payment_records([contract.id], today)[contract.id]


def runs_for(actor: Actor, contract: Contract) -> QuerySet[PaymentRun]:
    """Runs of a contract: the commissioner, the prime, auditors and admins see them."""
    require(policy.can_read_payment_runs, actor, contract)
    return contract.payment_runs.select_related("prepared_by", "approved_by")


def owed_to(actor: Actor) -> QuerySet[FlowDownPayment]:
    """What the actor's organisation is owed (or has been paid) through supply chains."""
    if actor.organisation_id is None:
        return FlowDownPayment.objects.none()
    return FlowDownPayment.objects.filter(
        member__organisation_id=actor.organisation_id
    ).select_related("run__contract", "member")


def overdue_for_commissioner(actor: Actor) -> QuerySet[FlowDownPayment]:
    """Sub-contractor payments past their due date on the commissioner's contracts."""
    if actor.role != Role.COMMISSIONER or actor.organisation_id is None:
        return FlowDownPayment.objects.none()
    return FlowDownPayment.objects.filter(
        run__contract__commissioner_id=actor.organisation_id,
        paid_on__isnull=True,
        due_on__lt=timezone.localdate(),
    ).select_related("run__contract", "member__organisation")


def approved_runs_of(contract_ids: list[int]) -> QuerySet[PaymentRun]:
    """Approved payment runs of these contracts, in the order they were approved (public)."""
    return PaymentRun.objects.filter(
        contract_id__in=contract_ids, status=PaymentRun.Status.APPROVED
    ).order_by("approved_at", "id")
