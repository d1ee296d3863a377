"""Settlement: what is payable for each period and cohort, line by line, with reasons.

The steps, in order (each in its own function below):

1. every component produces its *due* lines from the results (fees, guaranteed share,
   foundation payments, attachment and outcome tariffs, reoffending results);
2. the guaranteed share's at-risk cap limits outcome payments, in period order;
3. foundation payments are recovered from later outcome payments;
4. what was already paid is taken off, so re-running a settlement never pays twice.

Rounding rule: each line is rounded half-up to the penny where it is worked out (a price times
a whole-number count is exact; a price times a fractional improvement is rounded); totals are
sums of rounded lines, so the lines always add up to the total.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from operator import attrgetter
from pathlib import Path
from typing import Any

import polars as pl

from fullvalue.engine.payments.allocation import Allocation, allocate
from fullvalue.engine.payments.money import (
    ZERO,
    allocate_largest_remainder,
    format_gbp,
    format_percent,
    round_half_up,
)
from fullvalue.engine.payments.results import (
    Payment,
    ReoffendingResult,
    Results,
    load_paid,
    load_results,
)
from fullvalue.engine.payments.spec import (
    ALL_COHORTS,
    ContractSpec,
    FeeForService,
    Foundation,
    Guaranteed,
    Reoffending,
    Tariff,
)


@dataclass(frozen=True, slots=True)
class SettlementLine:
    """One line of a settlement.

    ``due`` is what the contract says is owed for this line (GBP), ``paid`` what was already paid
    against it, and ``amount = due - paid`` what is payable now (negative: to be recovered).
    ``cohort`` is ``None`` for lines that do not belong to a cohort (fees, foundation payments).
    ``detail`` tells apart lines of the same component (a payment group, "sustainment",
    "volume reconciliation").
    """

    period: str
    cohort: str | None
    component: str
    detail: str
    due: Decimal
    paid: Decimal
    amount: Decimal
    reason: str

    def as_dict(self) -> dict[str, Any]:
        """Return the line as JSON-ready data (amounts as decimal strings)."""
        return {
            "period": self.period,
            "cohort": self.cohort,
            "component": self.component,
            "detail": self.detail,
            "amount": f"{self.amount:.2f}",
            "due": f"{self.due:.2f}",
            "paid": f"{self.paid:.2f}",
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Settlement:
    """The settlement of a contract against its results: lines and totals in GBP."""

    contract: str
    lines: tuple[SettlementLine, ...]
    total_due: Decimal
    total_paid: Decimal
    total_payable: Decimal
    allocation: Allocation | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the settlement as JSON-ready data (amounts as decimal strings)."""
        data: dict[str, Any] = {
            "contract": self.contract,
            "lines": [line.as_dict() for line in self.lines],
            "total_due": f"{self.total_due:.2f}",
            "total_paid": f"{self.total_paid:.2f}",
            "total_payable": f"{self.total_payable:.2f}",
        }
        if self.allocation is not None:
            data["allocation"] = {
                "prime": self.allocation.prime,
                "management_fee": f"{self.allocation.management_fee:.2f}",
                "parts": {k: f"{v:.2f}" for k, v in self.allocation.parts.items()},
            }
        return data


@dataclass(slots=True)
class _Draft:
    """A due line being worked out; ``at_risk`` lines count against the guaranteed cap."""

    period: str
    cohort: str | None
    component: str
    detail: str
    amount: Decimal
    reason: str
    at_risk: bool = False
    order: tuple[int | str, ...] = field(default_factory=tuple)


class _Context:
    def __init__(self, spec: ContractSpec, results: Results) -> None:
        self.spec = spec
        self.counts_by_measure: dict[str, list[tuple[str, str, str, int]]] = {}
        for (period, cohort, measure, group), count in results.counts.items():
            self.counts_by_measure.setdefault(measure, []).append((period, cohort, group, count))
        self.period_index = {name: i for i, name in enumerate(spec.period_names())}
        self.cohort_index = {c.name: i for i, c in enumerate(spec.cohorts)}
        self.component_index = {c.name: i for i, c in enumerate(spec.components)}

    def order(
        self, period: str, component: str, cohort: str | None, position: int = 0
    ) -> tuple[int | str, ...]:
        cohort_rank = -1 if not cohort else self.cohort_index.get(cohort, len(self.cohort_index))
        return (self.period_index[period], self.component_index[component], cohort_rank, position)

    def periods_of(self, names: Sequence[str]) -> list[str]:
        return [p for p in self.spec.period_names() if not names or p in names]


def settle(
    spec: ContractSpec,
    results: Results | str | Path | pl.DataFrame | Sequence[Mapping[str, Any]],
    paid: Mapping[tuple[str, str, str], Decimal]
    | str
    | Path
    | pl.DataFrame
    | Iterable[Payment]
    | None = None,
) -> Settlement:
    """Work out what is payable under a contract, line by line, net of what was already paid.

    Parameters
    ----------
    spec : ContractSpec
        The contract (from :func:`~fullvalue.engine.payments.spec.load_spec`).
    results : Results, path, DataFrame or rows
        Measured results (see :mod:`fullvalue.engine.payments.results` for the columns).
    paid : mapping, path, DataFrame or payments, optional
        Payments already made (GBP); a mapping is keyed by ``(period, cohort, component)``,
        with ``cohort`` ``""`` for lines without a cohort. Every key is checked.

    Returns
    -------
    Settlement
        Lines in period order and the totals due, paid and payable (GBP, to the penny).

    Raises
    ------
    FullvalueError
        If the results or payments are invalid (every bad row listed).

    Notes
    -----
    ``total_payable = Σ due - Σ paid``. Settling again with the payable lines added to the
    payments ledger gives ``total_payable = 0``: nothing is paid twice.

    Examples
    --------
    >>> from fullvalue.engine.payments.spec import validate_spec
    >>> spec = validate_spec({
    ...     "contract": {"name": "Attachment only"},
    ...     "periods": [{"name": "Q1", "start": "2025-04-01", "end": "2025-06-30"}],
    ...     "components": [{"type": "attachment", "name": "attachment", "price": 400}],
    ... })
    >>> s = settle(spec, [{"period": "Q1", "measure": "starts", "count": "12"}])
    >>> s.total_payable, s.lines[0].reason
    (Decimal('4800.00'), '12 starts × £400.00 = £4,800.00')
    >>> settle(spec, [{"period": "Q1", "measure": "starts", "count": "12"}],
    ...        paid={("Q1", "", "attachment"): Decimal("4800")}).total_payable
    Decimal('0.00')

    """
    checked = results if isinstance(results, Results) else load_results(spec, results)
    if isinstance(paid, Mapping):
        paid = [
            Payment(period, cohort, component, Decimal(amount))
            for (period, cohort, component), amount in paid.items()
        ]
    ledger = load_paid(spec, paid) if paid is not None else {}
    context = _Context(spec, checked)
    drafts: list[_Draft] = []
    for component in spec.components:
        if isinstance(component, FeeForService):
            drafts.extend(_fee_lines(component, checked, context))
        elif isinstance(component, Guaranteed):
            drafts.extend(_guaranteed_lines(component, context))
        elif isinstance(component, Foundation):
            drafts.extend(_foundation_lines(component, context))
        elif isinstance(component, Tariff):
            drafts.extend(_tariff_lines(component, checked, context))
        else:
            drafts.extend(_reoffending_lines(component, checked, context))
    drafts.sort(key=_order)
    _apply_guaranteed_cap(spec, drafts)
    offsets = _foundation_offsets(spec, drafts, context)
    if offsets:
        drafts.extend(offsets)
        drafts.sort(key=_order)
    lines = _reconcile(drafts, ledger, context)
    total_due = sum([line.due for line in lines], ZERO)
    total_paid = sum([line.paid for line in lines], ZERO)
    total_payable = total_due - total_paid
    allocation = None
    if spec.supply_chain is not None:
        chain = spec.supply_chain
        allocation = allocate(
            total_payable,
            {m.name: m.share for m in chain.members},
            prime=chain.prime,
            management_fee_rate=chain.management_fee_rate,
            management_fee_cap=chain.management_fee_cap,
        )
    return Settlement(
        contract=spec.name,
        lines=tuple(lines),
        total_due=total_due,
        total_paid=total_paid,
        total_payable=total_payable,
        allocation=allocation,
    )


# --- due lines, one function per kind of component -------------------------------------------


def _fee_lines(component: FeeForService, results: Results, context: _Context) -> list[_Draft]:
    lines = []
    volumes: dict[str, int] = {}
    if component.volume is not None:
        for period, _, _, count in context.counts_by_measure.get(component.volume.measure, ()):
            volumes[period] = volumes.get(period, 0) + count
    for period in context.periods_of(component.periods):
        lines.append(
            _Draft(
                period,
                None,
                component.name,
                "fee",
                round_half_up(component.amount),
                f"fixed fee for the period: {format_gbp(component.amount)}",
                order=context.order(period, component.name, None),
            )
        )
        band = component.volume
        if band is None or period not in volumes:
            continue
        volume = Decimal(volumes[period])
        low, high = band.expected * band.lower, band.expected * band.upper
        range_text = f"predicted range {_number(low)} to {_number(high)}"
        if volume < low:
            amount = round_half_up(-(low - volume) * band.unit_price)
            reason = (
                f"volume {_number(volume)} {band.measure} is below the {range_text}: clawback "
                f"{_number(low - volume)} × {format_gbp(band.unit_price)} = {format_gbp(amount)}"
            )
        elif volume > high:
            amount = round_half_up((volume - high) * band.unit_price)
            reason = (
                f"volume {_number(volume)} {band.measure} is above the {range_text}: top-up "
                f"{_number(volume - high)} × {format_gbp(band.unit_price)} = {format_gbp(amount)}"
            )
        else:
            amount = ZERO
            reason = (
                f"volume {_number(volume)} {band.measure} is within the {range_text}: "
                f"{format_gbp(ZERO)}"
            )
        lines.append(
            _Draft(
                period,
                None,
                component.name,
                "volume reconciliation",
                amount,
                reason,
                order=context.order(period, component.name, None, 1),
            )
        )
    return lines


def _guaranteed_lines(component: Guaranteed, context: _Context) -> list[_Draft]:
    periods = context.periods_of(component.periods)
    guaranteed = component.contract_value * component.share
    parts = allocate_largest_remainder(guaranteed, [Decimal(1)] * len(periods))
    return [
        _Draft(
            period,
            None,
            component.name,
            "guaranteed share",
            part,
            f"guaranteed {format_percent(component.share)} of the "
            f"{format_gbp(component.contract_value)} "
            f"contract value, shared equally over {len(periods)} periods: {format_gbp(part)}",
            order=context.order(period, component.name, None),
        )
        for period, part in zip(periods, parts, strict=True)
    ]


def _foundation_lines(component: Foundation, context: _Context) -> list[_Draft]:
    return [
        _Draft(
            period,
            None,
            component.name,
            "up-front payment",
            round_half_up(component.amount),
            f"foundation payment up front, to be recovered from later outcome payments: "
            f"{format_gbp(component.amount)}",
            order=context.order(period, component.name, None),
        )
        for period in context.periods_of(component.periods)
    ]


def _tariff_lines(component: Tariff, results: Results, context: _Context) -> list[_Draft]:
    at_risk = component.kind == "outcome"
    lines = []
    measures = [(component.measure, "", component.price, component.prices)]
    if component.sustainment is not None:
        sus = component.sustainment
        measures.append((sus.measure, "sustainment", sus.price, sus.prices))
    period_index, cohort_index = context.period_index, context.cohort_index
    component_rank = context.component_index[component.name]
    unknown_cohort = len(cohort_index)
    for position, (measure, label, price, prices) in enumerate(measures):
        words = measure.replace("_", " ")
        unit_text: dict[str, tuple[Decimal, str, str, str]] = {}
        for period, cohort, group, count in context.counts_by_measure.get(measure, ()):
            if group not in unit_text:
                unit = price if price is not None else prices[group]
                detail = " ".join(part for part in (group, label) if part)
                unit_text[group] = (unit, format_gbp(unit), detail, f"{group}: " if group else "")
            unit, unit_gbp, detail, who = unit_text[group]
            amount = round_half_up(unit * count)
            rank = -1 if not cohort else cohort_index.get(cohort, unknown_cohort)
            lines.append(
                _Draft(
                    period,
                    cohort or None,
                    component.name,
                    detail,
                    amount,
                    f"{who}{count:,} {words} × {unit_gbp} = {_gbp(amount)}",
                    at_risk,
                    (period_index[period], component_rank, rank, position, group),
                )
            )
    if component.cap is not None:
        lines.sort(key=_order)
        _cap_running(
            lines, component.cap, f"the {format_gbp(component.cap)} cap on {component.name}"
        )
    return lines


def _gbp(amount: Decimal) -> str:
    """Format an amount already rounded to the penny (a faster :func:`format_gbp`)."""
    return f"-£{-amount:,.2f}" if amount < 0 else f"£{amount:,.2f}"


_order = attrgetter("order")


def _reoffending_lines(component: Reoffending, results: Results, context: _Context) -> list[_Draft]:
    rows = sorted(
        (r for r in results.reoffending if r.measure == component.result),
        key=lambda r: (
            context.period_index[r.period],
            r.cohort == ALL_COHORTS,
            context.cohort_index.get(r.cohort, -1),
        ),
    )
    lines: list[_Draft] = []
    cohort_paid = ZERO
    for row in rows:
        order = context.order(
            row.period,
            component.name,
            row.cohort if row.cohort != ALL_COHORTS else None,
            1 if row.cohort == ALL_COHORTS else 0,
        )
        if row.cohort == ALL_COHORTS:
            amount, reason = _overall_result(component, row, cohort_paid)
            lines.append(
                _Draft(
                    row.period,
                    ALL_COHORTS,
                    component.name,
                    "all cohorts",
                    amount,
                    reason,
                    at_risk=True,
                    order=(*order[:2], 10**6, 0),
                )
            )
            continue
        if component.minimum_cohort_size is not None and row.size < component.minimum_cohort_size:
            grant = round_half_up(component.grant_in_lieu)
            lines.append(
                _Draft(
                    row.period,
                    row.cohort or None,
                    component.name,
                    "grant in lieu",
                    grant,
                    f"cohort {row.cohort}: {row.size:,} people is below the minimum cohort size of "
                    f"{component.minimum_cohort_size:,}, so payment by results is replaced by a "
                    f"grant: {format_gbp(grant)}",
                    order=order,
                )
            )
            continue
        amount, reason = _cohort_result(component, row)
        if component.cap_per_cohort is not None and abs(amount) > component.cap_per_cohort:
            capped = component.cap_per_cohort if amount > 0 else -component.cap_per_cohort
            reason += (
                f"; capped at the {format_gbp(component.cap_per_cohort)} cohort cap: "
                f"{format_gbp(capped)}"
            )
            amount = round_half_up(capped)
        cohort_paid += max(amount, ZERO)
        lines.append(
            _Draft(
                row.period,
                row.cohort or None,
                component.name,
                "",
                amount,
                f"cohort {row.cohort}: {reason}",
                at_risk=True,
                order=order,
            )
        )
    lines.sort(key=lambda d: d.order)
    if component.cap_total is not None:
        _cap_running(
            lines,
            component.cap_total,
            f"the {format_gbp(component.cap_total)} cap on {component.name}",
        )
    return lines


def _describe(component: Reoffending, row: ReoffendingResult) -> tuple[Decimal, Decimal, str, str]:
    """Return (reduction, units of improvement, what was measured, unit name)."""
    reduction = (row.comparison - row.treated) / row.comparison
    units = (row.comparison - row.treated) * row.size
    if component.measure == "binary":
        measured = (
            f"{format_percent(row.treated, trim=False)} of {row.size:,} reoffended vs "
            f"{format_percent(row.comparison, trim=False)} {_against(component)}"
        )
        unit = "fewer people reoffending"
    else:
        measured = (
            f"{_number(row.treated)} reoffences per person in a cohort of {row.size:,} vs "
            f"{_number(row.comparison)} {_against(component)}"
        )
        unit = "reoffences avoided"
    return reduction, units, measured, unit


def _against(component: Reoffending) -> str:
    return (
        "in the baseline"
        if component.comparison == "baseline"
        else "in the matched comparison group"
    )


def _significance(component: Reoffending, row: ReoffendingResult) -> tuple[bool, str]:
    if row.p_value is None:
        return False, "no p-value was given"
    level = component.significance_level
    if row.p_value < level:
        return True, f"significant, p = {_number(row.p_value)} < {_number(level)}"
    return False, f"not significant, p = {_number(row.p_value)} ≥ {_number(level)}"


def _cohort_result(component: Reoffending, row: ReoffendingResult) -> tuple[Decimal, str]:
    """Return the amount due for one cohort's result and the reason, without the cohort name."""
    amount, core = _cohort_decision(component, row)
    return amount, f"{core} ({_describe(component, row)[2]})"


def _cohort_decision(component: Reoffending, row: ReoffendingResult) -> tuple[Decimal, str]:
    reduction, units, _, unit = _describe(component, row)
    significant, significance = _significance(component, row)
    nothing = format_gbp(ZERO)
    if reduction < 0:
        rise = format_percent(-reduction, trim=False)
        if component.deduct_on_worsening and significant:
            amount = round_half_up(units * component.deduction_per_unit)
            return amount, (
                f"reoffending rose by {rise} ({significance}), so a deduction of "
                f"{_number(-units)} × {format_gbp(component.deduction_per_unit)} = "
                f"{format_gbp(amount)}"
            )
        why = f" ({significance}, so no deduction)" if component.deduct_on_worsening else ""
        return ZERO, f"reoffending rose by {rise}{why}, no payment: {nothing}"
    if reduction == 0:
        return ZERO, f"no reduction: {nothing}"
    text = f"reduction {format_percent(reduction, trim=False)}"
    if component.cohort_hurdle is None:
        return ZERO, f"{text}; this component pays on the result over all cohorts only: {nothing}"
    hurdle = format_percent(component.cohort_hurdle)
    if component.cohort_hurdle == 0:
        text = f"{text} (any reduction counts)"
    if reduction < component.cohort_hurdle:
        return ZERO, f"{text} is below the {hurdle} cohort hurdle: {nothing}"
    if component.require_significance and not significant:
        meets = "" if component.cohort_hurdle == 0 else f" meets the {hurdle} cohort hurdle but"
        return ZERO, f"{text}{meets} is {significance}: {nothing}"
    amount = round_half_up(units * component.price_per_unit)
    sig = f" and is {significance}" if component.require_significance else ""
    meets = "" if component.cohort_hurdle == 0 else f" meets the {hurdle} cohort hurdle"
    return amount, (
        f"{text}{meets}{sig}: {_number(units)} {unit} × "
        f"{format_gbp(component.price_per_unit)} = {format_gbp(amount)}"
    )


def _overall_result(
    component: Reoffending, row: ReoffendingResult, cohort_paid: Decimal
) -> tuple[Decimal, str]:
    """Return the amount due on the result over all cohorts, net of single-cohort payments."""
    amount, core = _overall_decision(component, row, cohort_paid)
    return amount, f"all cohorts: {core} ({_describe(component, row)[2]})"


def _overall_decision(
    component: Reoffending, row: ReoffendingResult, cohort_paid: Decimal
) -> tuple[Decimal, str]:
    reduction, units, _, unit = _describe(component, row)
    nothing = format_gbp(ZERO)
    text = f"reduction {format_percent(reduction, trim=False)}"
    if component.overall_hurdle is None:
        return ZERO, f"{text}; this component has no overall hurdle: {nothing}"
    hurdle = format_percent(component.overall_hurdle)
    if reduction <= 0 or reduction < component.overall_hurdle:
        return ZERO, f"{text} is below the {hurdle} overall hurdle: {nothing}"
    significant, significance = _significance(component, row)
    if component.require_significance and not significant:
        return ZERO, f"{text} meets the {hurdle} overall hurdle but is {significance}: {nothing}"
    gross = round_half_up(units * component.price_per_unit)
    amount = max(gross - cohort_paid, ZERO)
    reason = (
        f"{text} meets the {hurdle} overall hurdle: {_number(units)} {unit} × "
        f"{format_gbp(component.price_per_unit)} = {format_gbp(gross)}"
    )
    if cohort_paid:
        reason += f", less {format_gbp(cohort_paid)} due for single cohorts: {format_gbp(amount)}"
    return amount, reason


# --- caps and offsets ------------------------------------------------------------------------


def _cap_running(lines: list[_Draft], cap: Decimal, what: str) -> None:
    """Cap the running total of positive lines, in order; rounding: the cap is in whole pennies."""
    running = ZERO
    cap = round_half_up(cap)
    for line in lines:
        if line.amount <= 0:
            running += line.amount
            continue
        room = max(cap - running, ZERO)
        if line.amount > room:
            line.reason += f"; limited by {what} to {format_gbp(room)}"
            line.amount = room
        running += line.amount


def _apply_guaranteed_cap(spec: ContractSpec, drafts: list[_Draft]) -> None:
    for component in spec.components:
        if isinstance(component, Guaranteed):
            at_risk = [d for d in drafts if d.at_risk]
            _cap_running(
                at_risk,
                component.at_risk,
                f"the {format_gbp(component.at_risk)} at risk "
                f"({format_percent(1 - component.share)} of the contract value)",
            )


def _foundation_offsets(
    spec: ContractSpec, drafts: list[_Draft], context: _Context
) -> list[_Draft]:
    offsets: list[_Draft] = []
    foundations = [c for c in spec.components if isinstance(c, Foundation)]
    if not foundations:
        return offsets
    paid_in: dict[tuple[str, str], Decimal] = {}
    earned_in: dict[tuple[str, str], Decimal] = {}
    for d in drafts:
        key = (d.component, d.period)
        paid_in[key] = paid_in.get(key, ZERO) + d.amount
        if d.amount > 0:
            earned_in[key] = earned_in.get(key, ZERO) + d.amount
    for foundation in foundations:
        outstanding = ZERO
        for period in spec.period_names():
            outstanding += paid_in.get((foundation.name, period), ZERO)
            for source in foundation.offset_against:
                earned = earned_in.get((source, period), ZERO)
                if outstanding <= 0 or earned <= 0:
                    continue
                recovered = min(outstanding, round_half_up(earned * foundation.offset_rate))
                outstanding -= recovered
                offsets.append(
                    _Draft(
                        period,
                        None,
                        foundation.name,
                        f"recovered from {source}",
                        -recovered,
                        f"recovers {format_gbp(recovered)} of the foundation payments from "
                        f"{format_gbp(earned)} of {source} payments "
                        f"({format_percent(foundation.offset_rate)} withheld); "
                        f"{format_gbp(outstanding)} still to recover",
                        order=(context.period_index[period], len(context.component_index), -1, 0),
                    )
                )
    return offsets


def _reconcile(
    drafts: list[_Draft], ledger: Mapping[tuple[str, str, str], Decimal], context: _Context
) -> list[SettlementLine]:
    """Take what was already paid off the due lines, key by key, so nothing is paid twice."""
    by_key: dict[tuple[str, str, str], list[_Draft]] = {}
    if ledger:
        for draft in drafts:
            key = (draft.period, draft.cohort or "", draft.component)
            if key in ledger:
                by_key.setdefault(key, []).append(draft)
    paid_for: dict[int, Decimal] = {}
    orphans: list[tuple[tuple[str, str, str], Decimal]] = []
    for key, paid in ledger.items():
        group = by_key.get(key)
        if not group:
            orphans.append((key, paid))
            continue
        # Credits first, so a payment of the net amount settles every line of the key exactly;
        # anything left over (an over- or under-payment) is put against the last line.
        ordered = [d for d in group if d.amount < 0] + [d for d in group if d.amount >= 0]
        remaining = paid
        for position, draft in enumerate(ordered):
            if position == len(ordered) - 1:
                share = remaining
            elif draft.amount <= remaining:
                share = draft.amount
            else:
                share = max(remaining, ZERO)
            paid_for[id(draft)] = share
            remaining -= share
    if paid_for:
        lines = [
            _line(
                d.period,
                d.cohort,
                d.component,
                d.detail,
                d.amount,
                paid_for.get(id(d), ZERO),
                d.reason,
            )
            for d in drafts
        ]
    else:
        line = SettlementLine
        lines = [
            line(d.period, d.cohort, d.component, d.detail, d.amount, ZERO, d.amount, d.reason)
            for d in drafts
        ]
    for (period, cohort, component), paid in sorted(
        orphans, key=lambda item: (context.period_index.get(item[0][0], -1), item[0][1], item[0][2])
    ):
        lines.append(
            _line(period, cohort or None, component, "", ZERO, paid, "nothing is due for this line")
        )
    return lines


def _line(
    period: str,
    cohort: str | None,
    component: str,
    detail: str,
    due: Decimal,
    paid: Decimal,
    reason: str,
) -> SettlementLine:
    """Make a final line; due amounts are already rounded where they were worked out."""
    if not paid:
        return SettlementLine(period, cohort, component, detail, due, ZERO, due, reason)
    paid = round_half_up(paid)
    amount = due - paid
    if paid:
        reason += f"; {format_gbp(paid)} already paid, {format_gbp(amount)} payable"
        if amount < 0:
            reason += " (to be recovered)"
    return SettlementLine(period, cohort, component, detail, due, paid, amount, reason)


def _number(value: Decimal) -> str:
    """Show a number for people: thousands separated, no trailing zeros (1089.50 -> 1,089.5)."""
    text = f"{value:,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text
