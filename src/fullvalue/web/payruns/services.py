"""Payment runs and flow-down.

A run settles a contract up to a period with the engine (``fullvalue.engine.payments.settle``)
from the contract's delivery data — starts, accepted outcome claims and reoffending results —
net of every approved run before it, so re-running a period pays nothing twice. One person
prepares a run and a different person approves it (two-person rule); an approved run never
changes. Approval creates what the prime owes each sub-contractor (its share of the payment,
allocated by largest remainder so the parts add up to the whole), due within its terms.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from fullvalue.engine.payments import allocate_largest_remainder, parse_spec, settle
from fullvalue.errors import Conflict, FullvalueError, NotFound, PermissionDenied, Problem
from fullvalue.web.audit.services import audit_record
from fullvalue.web.contracts.selectors import contract_by_id
from fullvalue.web.contracts.services import MAX_FLOW_DOWN_DAYS
from fullvalue.web.kernel.actor import Actor
from fullvalue.web.kernel.policy import require
from fullvalue.web.payruns import policy

if TYPE_CHECKING:
    from fullvalue.web.contracts.models import Contract
from fullvalue.web.delivery.reoffending import settlement_rows
from fullvalue.web.delivery.selectors import accepted_outcomes, start_dates
from fullvalue.web.delivery.services import contract_measures
from fullvalue.web.kernel.faults import checkpoint
from fullvalue.web.payruns.models import FlowDownPayment, PaymentRun


def _commissioner(actor: Actor, contract: Contract) -> int:
    """Check the actor is the contract's commissioner; return the person's user id."""
    actor.require_can_write()
    require(policy.can_run_payments, actor, contract)
    assert actor.user_id is not None  # the policy admits people only
    return actor.user_id


def delivery_results(contract: Contract, spec: Any, upto: str) -> list[dict[str, Any]]:
    """Results rows (period, cohort, measure, group, count) from the contract's delivery data."""
    periods = sorted(spec.periods, key=lambda p: p.start)
    names = [p.name for p in periods]
    if upto not in names:
        raise FullvalueError.from_problems(
            "Unknown period.", [Problem(f"choose one of {', '.join(names)}", column="period")]
        )
    wanted = set(names[: names.index(upto) + 1])

    counts: Counter[tuple[str, str]] = Counter()
    for started in start_dates(contract, upto=dt.date.max):
        if (name := spec.period_of(started)) in wanted:
            counts[(name, "starts")] += 1
    for outcome, day in accepted_outcomes(contract):
        if (name := spec.period_of(day)) in wanted:
            counts[(name, outcome)] += 1
    known = contract_measures(contract)
    return [
        {"period": p, "cohort": "", "measure": m, "group": "", "count": n}
        for (p, m), n in sorted(counts.items())
        if m in known
    ] + settlement_rows(contract, wanted)


def _paid(contract: Contract) -> list[dict[str, Any]]:
    rows = []
    for run in PaymentRun.objects.filter(contract=contract, status=PaymentRun.Status.APPROVED):
        rows += [
            {
                "period": line["period"],
                "cohort": line["cohort"],
                "component": line["component"],
                "amount": line["amount"],
            }
            for line in run.lines
        ]
    return rows


def payrun_prepare(*, actor: Actor, contract_id: int, period: str) -> PaymentRun:
    """Prepare the run for a period at once: what is payable now, line by line with reasons."""
    run = payrun_request(actor=actor, contract_id=contract_id, period=period, queue=False)
    return payrun_compute(run.id)


@transaction.atomic
def payrun_request(
    *, actor: Actor, contract_id: int, period: str, queue: bool = True
) -> PaymentRun:
    """Ask for a period's run to be prepared; the task worker computes it (``queue``).

    The run exists at once with status "being prepared", so the page can say so; any earlier
    unapproved run for the period is replaced when the new one is computed.
    """
    contract = contract_by_id(contract_id, for_update=True)
    user_id = _commissioner(actor, contract)
    if not contract.mechanism_toml.strip():
        raise Conflict("The contract has no payment mechanism to settle.")
    spec = parse_spec(contract.mechanism_toml)
    if period not in {p.name for p in spec.periods}:
        raise FullvalueError.from_problems(
            "Unknown period.",
            [Problem("Choose one of the contract's periods", column="period")],
        )
    busy = PaymentRun.objects.filter(
        contract=contract, period=period, status=PaymentRun.Status.PREPARING
    )
    if queue and busy.exists():
        raise Conflict(f"The {period} run is already being prepared.")
    replaced = sorted(busy.values_list("id", flat=True))
    busy.delete()
    run = PaymentRun.objects.create(
        contract=contract,
        period=period,
        total=Decimal(0),
        lines=[],
        prepared_by_id=user_id,
        status=PaymentRun.Status.PREPARING,
    )
    audit_record(
        actor=actor,
        action="payrun.request",
        object_type="payment_run",
        object_id=run.id,
        object_repr=f"{contract.title} {period}",
        before={"runs_being_prepared": replaced} if replaced else None,
        after={"period": period, "status": run.status},
        organisation_id=contract.commissioner_id,
    )
    if queue:
        from fullvalue.web.payruns.tasks import prepare_payment_run

        transaction.on_commit(lambda: prepare_payment_run.enqueue(run.id))
    return run


@transaction.atomic
def payrun_compute(run_id: int) -> PaymentRun:
    """Compute a requested run from the delivery data (the task worker; safe to run again).

    Settles the contract up to the run's period net of every approved run, keeps the lines of
    the periods up to it, and replaces any earlier unapproved run for the period. A run that is
    no longer "being prepared" is returned as it is, so a retried task does nothing twice.
    """
    run = (
        PaymentRun.objects.select_for_update().select_related("contract").filter(id=run_id).first()
    )
    if run is None:
        raise NotFound("No such payment run.")
    if run.status != PaymentRun.Status.PREPARING:
        return run
    contract, period = run.contract, run.period
    spec = parse_spec(contract.mechanism_toml)
    results = delivery_results(contract, spec, period)
    paid = _paid(contract)
    settlement = settle(spec, results, paid=paid or None)  # type: ignore[arg-type]
    end = next(q.end for q in spec.periods if q.name == period)
    upto = {p.name for p in spec.periods if p.start <= end}
    lines = [
        {
            "period": line.period,
            "cohort": line.cohort,
            "component": line.component,
            "amount": str(line.amount or 0),
            "reason": line.reason,
        }
        for line in settlement.lines
        if line.period in upto and line.amount != 0
    ]
    total = sum((Decimal(str(line["amount"])) for line in lines), Decimal(0))
    PaymentRun.objects.filter(
        contract=contract, period=period, status=PaymentRun.Status.PREPARED
    ).delete()
    run.lines, run.total, run.status = lines, total, PaymentRun.Status.PREPARED
    run.prepared_at = timezone.now()
    run.save(update_fields=["lines", "total", "status", "prepared_at"])
    checkpoint("payrun.compute.before_commit")
    audit_record(
        actor=Actor.system("payment-runs"),
        action="payrun.prepare",
        object_type="payment_run",
        object_id=run.id,
        object_repr=f"{contract.title} {period}",
        after={"total": total, "lines": len(lines), "requested_by": run.prepared_by_id},
        organisation_id=contract.commissioner_id,
    )
    return run


@transaction.atomic
def payrun_approve(*, actor: Actor, run_id: int, paid_on: dt.date | None = None) -> PaymentRun:
    """Approve a prepared run (a different person from the preparer); create the flow-down."""
    run = (
        PaymentRun.objects.select_for_update().select_related("contract").filter(id=run_id).first()
    )
    if run is None:
        raise NotFound("No such payment run.")
    _commissioner(actor, run.contract)
    if run.status == PaymentRun.Status.APPROVED:
        raise Conflict("This run is already approved and cannot change.")
    if run.status == PaymentRun.Status.PREPARING:
        raise Conflict("This run is still being prepared.")
    if not policy.can_approve_payment_run(actor, run):
        raise PermissionDenied(policy.approval_refusal(actor, run))
    run.status, run.approved_by_id = PaymentRun.Status.APPROVED, actor.user_id
    run.approved_at, run.paid_on = timezone.now(), paid_on or timezone.localdate()
    try:
        with transaction.atomic():
            run.save(update_fields=["status", "approved_by", "approved_at", "paid_on"])
    except IntegrityError as exc:
        raise Conflict("A run for this period has already been approved.") from exc
    payments = flow_down(run)
    audit_record(
        actor=actor,
        action="payrun.approve",
        object_type="payment_run",
        object_id=run.id,
        object_repr=f"{run.contract.title} {run.period}",
        before={"status": "prepared"},
        after={
            "status": "approved",
            "total": run.total,
            "flow_down": {str(p.member.organisation_id): p.amount for p in payments},
        },
        organisation_id=run.contract.commissioner_id,
    )
    return run


def flow_down(run: PaymentRun) -> list[FlowDownPayment]:
    """Split an approved payment among the supply chain by share of value (largest remainder).

    The prime's own part stays with it; each sub-contractor's part is due ``payment_terms_days``
    after the prime was paid (and never later than 30 days).
    """
    members = list(run.contract.supply_chain.select_related("organisation").order_by("id"))
    subs = [m for m in members if m.organisation_id != run.contract.provider_id]
    if not subs or run.total <= 0:
        return []
    weights = [m.share_of_value for m in members]
    parts = allocate_largest_remainder(run.total, weights)
    paid_on = run.paid_on or timezone.localdate()
    out = []
    for member, amount in zip(members, parts, strict=True):
        if member.organisation_id == run.contract.provider_id or amount == 0:
            continue
        out.append(
            FlowDownPayment.objects.create(
                run=run,
                member=member,
                amount=amount,
                due_on=paid_on
                + dt.timedelta(days=min(member.payment_terms_days, MAX_FLOW_DOWN_DAYS)),
            )
        )
    return out


@transaction.atomic
def flowdown_confirm(*, actor: Actor, payment_id: int, paid_on: dt.date) -> FlowDownPayment:
    """A sub-contractor confirms it received a payment from the prime, and when."""
    payment = (
        FlowDownPayment.objects.select_for_update()
        .select_related("member", "run")
        .filter(id=payment_id)
        .first()
    )
    if payment is None:
        raise NotFound("No such payment.")
    actor.require_can_write()
    require(policy.can_confirm_receipt, actor, payment)
    if payment.confirmed_at is not None:
        raise Conflict("Receipt is already confirmed.")
    problems = []
    if (run_paid := payment.run.paid_on) and paid_on < run_paid:
        problems.append(Problem("The date is before the prime was paid", column="paid_on"))
    if paid_on > timezone.localdate():
        problems.append(Problem("The date is in the future", column="paid_on"))
    if problems:
        raise FullvalueError.from_problems("Check the date.", problems)
    payment.paid_on, payment.confirmed_at = paid_on, timezone.now()
    payment.save(update_fields=["paid_on", "confirmed_at"])
    audit_record(
        actor=actor,
        action="flowdown.confirm",
        object_type="flow_down_payment",
        object_id=payment.id,
        object_repr=str(payment),
        after={"paid_on": paid_on, "due_on": payment.due_on},
    )
    return payment
