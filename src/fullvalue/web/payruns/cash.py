"""Working capital: a provider's cash in and out on a contract, so far and projected.

So far (up to today) the timeline uses what happened: payment runs paid to the prime, what the
prime owed and paid its sub-contractors, and delivery costs estimated from the contract's cost
assumptions (``[simulation]``: a cost per period and per person) applied to the participants
who actually started, in proportion to the provider's share of the work. Costs are estimates:
Fullvalue does not hold providers' accounts.

From today on it is projected with the engine's simulation
(:func:`fullvalue.engine.payments.simulate`) run on the contract's mechanism with its
assumptions calibrated to the delivery so far: the cohort size per period becomes the
observed starts per year, and each tariff's outcome rate the accepted outcomes per start. The
provider's part of each simulated payment is its share of value, and of each cost its share of
work. The projection gives the median and the 5th-95th percentile band of the cumulative cash
position, which starts from the actual position today.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

import numpy as np

from fullvalue.engine.payments import parse_spec, simulate
from fullvalue.engine.payments.spec import ContractSpec, Tariff
from fullvalue.errors import FullvalueError, NotFound, PermissionDenied
from fullvalue.web.contracts.selectors import supply_chain_members
from fullvalue.web.delivery.selectors import accepted_outcome_counts, start_dates
from fullvalue.web.kernel.actor import Actor
from fullvalue.web.kernel.policy import refusal
from fullvalue.web.payruns import policy
from fullvalue.web.payruns.models import FlowDownPayment, PaymentRun

if TYPE_CHECKING:
    from fullvalue.web.contracts.models import Contract, SupplyChainMember

#: Simulated runs behind a projection (the seed is fixed, so a page shows the same numbers).
RUNS = 2000
SEED = 20260401
PENNY = Decimal("0.01")


@dataclass(frozen=True)
class CashPeriod:
    """One period of the timeline: actual and projected flows, and the cumulative position."""

    name: str
    start: dt.date
    end: dt.date
    actual_in: Decimal
    actual_out: Decimal
    projected_in: Decimal
    projected_out: Decimal
    cumulative: Decimal
    cumulative_p5: Decimal | None
    cumulative_p95: Decimal | None
    status: str  # "actual", "current" or "projected"

    @property
    def net(self) -> Decimal:
        """Money in minus money out in the period, actual plus projected."""
        return self.actual_in + self.projected_in - self.actual_out - self.projected_out


@dataclass(frozen=True)
class CashTimeline:
    """A provider's cash timeline on a contract."""

    contract: Contract
    member: SupplyChainMember
    is_prime: bool
    periods: tuple[CashPeriod, ...]
    peak_need: Decimal
    peak_period: str
    peak_is_actual: bool
    projected: bool
    note: str


def _money(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(PENNY)


def timeline_members(actor: Actor, contract: Contract) -> list[SupplyChainMember]:
    """Supply-chain members whose timeline the actor may see.

    A provider sees its own; the commissioner, auditors and administrators see every member's.
    """
    members = supply_chain_members(contract)
    if policy.sees_every_cash_position(actor, contract):
        return members
    own = [m for m in members if actor.belongs_to(m.organisation_id)]
    if not own:
        raise PermissionDenied(refusal(policy.sees_every_cash_position))
    return own


def _calibrated(spec: ContractSpec, contract: Contract, today: dt.date) -> ContractSpec:
    """The spec with its simulation assumptions set from delivery so far (where there is any)."""
    assert spec.simulation is not None
    starts = start_dates(contract, today)
    first = min((p.start for p in spec.periods), default=today)
    elapsed = (today - first).days
    if not starts or elapsed < 90:
        return spec
    periods = sorted(spec.periods, key=lambda p: p.start)
    days_per_period = sum((p.end - p.start).days + 1 for p in periods) / len(periods)
    per_period = max(1, round(len(starts) * days_per_period / elapsed))
    accepted = accepted_outcome_counts(contract)
    rates = dict(spec.simulation.outcome_rates)
    for component in spec.components:
        if isinstance(component, Tariff) and component.measure in rates:
            rates[component.measure] = Decimal(accepted[component.measure]) / len(starts)
    assumptions = dataclasses.replace(spec.simulation, cohort_size=per_period, outcome_rates=rates)
    return dataclasses.replace(spec, simulation=assumptions)


def cash_timeline(
    actor: Actor, contract: Contract, organisation_id: int | None, today: dt.date | None = None
) -> CashTimeline:
    """Build the timeline for one supply-chain member (default: the actor's own, or the prime)."""
    today = today or dt.date.today()
    members = timeline_members(actor, contract)
    member = next(
        (m for m in members if m.organisation_id == organisation_id),
        next((m for m in members if actor.belongs_to(m.organisation_id)), None)
        or next((m for m in members if m.organisation_id == contract.provider_id), None)
        or (members[0] if members else None),
    )
    if member is None:
        raise NotFound("This contract has no supply chain.")
    if not contract.mechanism_toml.strip():
        raise FullvalueError("The contract has no payment mechanism to project from.")
    spec = parse_spec(contract.mechanism_toml)
    is_prime = member.organisation_id == contract.provider_id
    ordered = sorted(spec.periods, key=lambda p: p.start)
    periods = [(p.name, p.start, p.end) for p in ordered]
    work, value = member.share_of_work, member.share_of_value
    sim = spec.simulation
    cost_per_period = sim.cost_per_period if sim else Decimal(0)
    cost_per_person = sim.cost_per_person if sim else Decimal(0)

    actual_in: defaultdict[str, Decimal] = defaultdict(Decimal)
    actual_out: defaultdict[str, Decimal] = defaultdict(Decimal)
    if is_prime:
        for paid_on, total in PaymentRun.objects.filter(
            contract=contract, status=PaymentRun.Status.APPROVED, paid_on__lte=today
        ).values_list("paid_on", "total"):
            if paid_on and (name := spec.period_of(paid_on)):
                actual_in[name] += total
        for paid_on, due_on, amount in FlowDownPayment.objects.filter(
            run__contract=contract
        ).values_list("paid_on", "due_on", "amount"):
            day: dt.date = paid_on or due_on
            if day <= today and (name := spec.period_of(day)):
                actual_out[name] += amount
    else:
        for paid_on, amount in FlowDownPayment.objects.filter(
            member=member, paid_on__isnull=False, paid_on__lte=today
        ).values_list("paid_on", "amount"):
            if paid_on and (name := spec.period_of(paid_on)):
                actual_in[name] += amount
    starts: Counter[str] = Counter()
    for started in start_dates(contract, today):
        if name := spec.period_of(started):
            starts[name] += 1
    for name, start, end in periods:
        if start > today:
            continue
        elapsed = min((today - start).days + 1, (end - start).days + 1)
        fraction = Decimal(elapsed) / Decimal((end - start).days + 1)
        actual_out[name] += (cost_per_period * fraction + cost_per_person * starts[name]) * work

    projection = None
    note = ""
    if sim is None:
        note = "The mechanism has no cost and volume assumptions, so nothing is projected."
    else:
        result = simulate(_calibrated(spec, contract, today), runs=RUNS, seed=SEED)
        assert result.income_by_period is not None and result.cost_by_period is not None
        share_in = Decimal(1) if is_prime else value
        income = result.income_by_period * float(share_in)
        cost = result.cost_by_period * float(work)
        out = cost + (result.income_by_period * float(1 - value) if is_prime else 0.0)
        projection = (income, out, list(result.periods))

    rows: list[CashPeriod] = []
    cumulative = Decimal(0)
    paths = None
    labels = [p[0] for p in periods]
    extra = projection[2][len(periods) :] if projection else []
    spans = periods + [(label, periods[-1][2], periods[-1][2]) for label in extra]
    for index, (name, start, end) in enumerate(spans):
        if index >= len(periods):
            status = "projected"
        elif end < today:
            status = "actual"
        elif start <= today:
            status = "current"
        else:
            status = "projected"
        a_in = _money(actual_in[name]) if name in labels else Decimal(0)
        a_out = _money(actual_out[name]) if name in labels else Decimal(0)
        cumulative += a_in - a_out
        p_in = p_out = Decimal(0)
        if projection is not None and status != "actual":
            income, out, _ = projection
            if status == "current":
                remaining = Decimal((end - today).days) / Decimal((end - start).days + 1)
            else:
                remaining = Decimal(1)
            flows_in = income[:, index] * float(remaining)
            flows_out = out[:, index] * float(remaining)
            net = flows_in - flows_out
            paths = net if paths is None else paths + net
            p_in, p_out = _money(float(np.median(flows_in))), _money(float(np.median(flows_out)))
            position = float(cumulative) + paths
            p5, p50, p95 = np.percentile(position, [5, 50, 95])
            rows.append(
                CashPeriod(
                    name,
                    start,
                    end,
                    a_in,
                    a_out,
                    p_in,
                    p_out,
                    _money(p50),
                    _money(p5),
                    _money(p95),
                    status,
                )
            )
            continue
        if paths is not None:
            position = float(cumulative) + paths
            p5, p50, p95 = np.percentile(position, [5, 50, 95])
            rows.append(
                CashPeriod(
                    name,
                    start,
                    end,
                    a_in,
                    a_out,
                    p_in,
                    p_out,
                    _money(p50),
                    _money(p5),
                    _money(p95),
                    status,
                )
            )
        else:
            rows.append(
                CashPeriod(
                    name, start, end, a_in, a_out, p_in, p_out, cumulative, None, None, status
                )
            )
    lowest = min(
        rows, key=lambda r: r.cumulative_p5 if r.cumulative_p5 is not None else r.cumulative
    )
    low_value = lowest.cumulative_p5 if lowest.cumulative_p5 is not None else lowest.cumulative
    return CashTimeline(
        contract=contract,
        member=member,
        is_prime=is_prime,
        periods=tuple(rows),
        peak_need=max(-low_value, Decimal(0)),
        peak_period=lowest.name if low_value < 0 else "none",
        peak_is_actual=lowest.status == "actual",
        projected=projection is not None,
        note=note,
    )


def timeline_chart(timeline: CashTimeline) -> str:
    """An SVG chart of the cumulative cash position: actual line, projected median and band.

    Periods are the contract's own; actual periods are a solid line, the current and later
    ones a dashed projected median with its 5-95% band (see :mod:`fullvalue.web.kernel.charts`).
    """
    from fullvalue.web.kernel.charts import band_chart

    periods = timeline.periods
    actual = sum(1 for p in periods if p.status == "actual")
    projected = any(p.cumulative_p5 is not None for p in periods)
    return band_chart(
        title="Cumulative cash position",
        description="Actual cash position so far, then the projected median with its 5-95% band.",
        labels=[p.name for p in periods],
        median=[p.cumulative for p in periods],
        low=[p.cumulative if p.cumulative_p5 is None else p.cumulative_p5 for p in periods]
        if projected
        else None,
        high=[p.cumulative if p.cumulative_p95 is None else p.cumulative_p95 for p in periods]
        if projected
        else None,
        projected_from=actual if projected else None,
        chart_id="cash-timeline",
    )
