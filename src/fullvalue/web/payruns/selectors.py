"""Reads for payments: remittances, what a sub-contractor is owed, supply-chain payment record."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from fullvalue.domain.roles import Role
from fullvalue.errors import PermissionDenied
from fullvalue.web.contracts.models import Contract
from fullvalue.web.core.actor import Actor
from fullvalue.web.payruns.models import FlowDownPayment, PaymentRun


@dataclass(frozen=True)
class PaymentRecord:
    """How promptly a contract's prime pays its supply chain (public)."""

    payments: int
    paid: int
    average_days_to_pay: float | None
    share_within_30_days: float | None
    overdue: int


def payment_record(contract: Contract, today: dt.date | None = None) -> PaymentRecord:
    """How promptly the prime pays its supply chain.

    Average days from the prime being paid to the sub-contractor being paid, the share paid
    within 30 days, and how many payments are unpaid past their due date.
    """
    return payment_records([contract.id], today)[contract.id]


def payment_records(
    contract_ids: Iterable[int], today: dt.date | None = None
) -> dict[int, PaymentRecord]:
    """:func:`payment_record` of each contract in ``contract_ids``, in one query."""
    today = today or timezone.localdate()
    rows: dict[int, list[FlowDownPayment]] = {cid: [] for cid in contract_ids}
    for p in FlowDownPayment.objects.filter(run__contract_id__in=list(rows)).select_related("run"):
        rows[p.run.contract_id].append(p)
    return {cid: _record(payments, today) for cid, payments in rows.items()}


def _record(rows: list[FlowDownPayment], today: dt.date) -> PaymentRecord:
    paid = [p for p in rows if p.paid_on and p.run.paid_on]
    days = [(p.paid_on - p.run.paid_on).days for p in paid]  # type: ignore[operator]
    return PaymentRecord(
        payments=len(rows),
        paid=len(paid),
        average_days_to_pay=sum(days) / len(days) if days else None,
        share_within_30_days=sum(d <= 30 for d in days) / len(days) if days else None,
        overdue=sum(1 for p in rows if p.paid_on is None and p.due_on < today),
    )


def runs_for(actor: Actor, contract: Contract) -> QuerySet[PaymentRun]:
    """Runs of a contract: the commissioner, the prime, auditors and admins see them."""
    if not (
        actor.belongs_to(contract.commissioner_id)
        or actor.belongs_to(contract.provider_id)
        or actor.role in (Role.AUDITOR, Role.SYSTEM_ADMIN)
    ):
        raise PermissionDenied("Payment runs are for the commissioner and the prime.")
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
