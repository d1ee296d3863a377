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

Tariff lines (a price per event: there can be a million of them) are worked out as a polars
table in whole pennies (:mod:`~fullvalue.engine.payments.table`); the few other lines are worked
out one by one in Decimal here. Both go through the same steps in the same order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl

from fullvalue.engine.payments.allocation import Allocation, allocate
from fullvalue.engine.payments.lines import LINE_COLUMNS, SettlementLine, SettlementLines
from fullvalue.engine.payments.money import (
    ZERO,
    allocate_largest_remainder,
    format_gbp,
    format_percent,
    from_pennies,
    round_half_up,
    to_pennies,
)
from fullvalue.engine.payments.results import (
    Payment,
    ReoffendingResult,
    Results,
    counts_table,
    load_results,
    paid_table,
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
from fullvalue.engine.payments.table import (
    DUE_SCHEMA,
    PENNIES,
    cap_running,
    in_order,
    orphan_table,
    reconcile_table,
    tariff_table,
)

__all__ = ["Settlement", "SettlementLine", "settle"]


@dataclass(frozen=True)
class Settlement:
    """The settlement of a contract against its results: lines and totals in GBP.

    ``lines`` is a read-only sequence of :class:`SettlementLine` (from :func:`settle`, a
    :class:`~fullvalue.engine.payments.lines.SettlementLines`, which makes each line when it is
    read and compares equal to a tuple of the same lines).
    """

    contract: str
    lines: Sequence[SettlementLine]
    total_due: Decimal
    total_paid: Decimal
    total_payable: Decimal
    allocation: Allocation | None = None

    def as_dict(self, *, with_lines: bool = True) -> dict[str, Any]:
        """Return the settlement as JSON-ready data (amounts as decimal strings).

        ``with_lines=False`` leaves out ``lines`` (to write them a column at a time).
        """
        data: dict[str, Any] = {"contract": self.contract}
        if with_lines:
            data["lines"] = [line.as_dict() for line in self.lines]
        data |= {
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
    order: tuple[int, ...] = field(default_factory=tuple)


class _Context:
    def __init__(self, spec: ContractSpec, results: Results) -> None:
        self.spec = spec
        self.counts = counts_table(results.counts).with_row_index("seq")
        self.period_index = {name: i for i, name in enumerate(spec.period_names())}
        self.cohort_index = {c.name: i for i, c in enumerate(spec.cohorts)}
        self.component_index = {c.name: i for i, c in enumerate(spec.components)}

    def order(
        self, period: str, component: str, cohort: str | None, position: int = 0
    ) -> tuple[int, ...]:
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
    Each component's due lines for period ``t`` (and cohort ``c``), every amount rounded half-up
    to the penny where it is worked out:

    - fee for service: the fixed fee ``F``; with a volume band (expected volume ``E``, bounds
      ``l``, ``u``, unit price ``p``) a reconciliation on the volume ``V_t``:
      ``-p (l E - V_t)`` if ``V_t < l E``, ``p (V_t - u E)`` if ``V_t > u E``, else 0;
    - guaranteed share ``g`` of contract value ``C``: ``g C`` shared equally over its periods
      by largest remainder (the parts add up to ``g C`` exactly); ``(1 - g) C`` is the most
      the at-risk lines may earn in total;
    - attachment and outcome tariffs: ``n_tc x p`` for each payment group;
    - reoffending, with treated rate (or frequency) ``r_T``, comparison ``r_C`` and cohort size
      ``N``: the reduction ``d = (r_C - r_T) / r_C``; when ``d`` meets the cohort hurdle (and is
      significant, if required) the payment is ``(r_C - r_T) N x p`` (fewer people
      reoffending, or reoffences avoided); over all cohorts the same against the overall
      hurdle, less what single cohorts earned; a significant rise is deducted at the
      deduction price when the contract says so;
    - foundation payments are paid up front and recovered from later earnings ``e`` of the
      named components at the offset rate ``o``: ``min(outstanding, o e)`` each period.

    Caps apply to running totals in line order (a tariff's cap, then the at-risk amount), and
    ``total_payable = Σ due - Σ paid``. Settling again with the payable lines added to the
    payments ledger gives ``total_payable = 0``: nothing is paid twice.

    References
    ----------
    Ministry of Justice (2014), *Transforming Rehabilitation: payment mechanism* (fee for
    service with volume reconciliation; binary and frequency reoffending measures paid per unit
    of improvement, only when significant, with deductions for a significant worsening; the
    foundation payment up front). Ministry of Justice (2010), *Peterborough Social Impact Bond*
    contract (a 10% hurdle in a single cohort or 7.5% over all cohorts, against a matched
    comparison group). Department for Work and Pensions (2011), *The Work Programme*
    (attachment fee, job outcome and sustainment payments by payment group).

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

    A Peterborough-style result: 1,000 people, 52% reoffended against 60% in the comparison
    group, a reduction of 13.3% over the 10% hurdle: 0.08 × 1,000 = 80 fewer people
    reoffending, at £5,000 each.

    >>> pb = validate_spec({
    ...     "contract": {"name": "Reoffending"},
    ...     "periods": [{"name": "Y1", "start": "2025-01-01", "end": "2025-12-31"}],
    ...     "cohorts": [{"name": "C1"}],
    ...     "components": [{"type": "reoffending", "name": "outcome", "cohort_hurdle": 0.1,
    ...                     "price_per_unit": 5000}],
    ... })
    >>> settle(pb, [{"period": "Y1", "cohort": "C1", "measure": "reoffending_binary",
    ...              "count": "1000", "treated": "0.52", "comparison": "0.60"}]).total_payable
    Decimal('400000.00')

    """
    checked = results if isinstance(results, Results) else load_results(spec, results)
    if isinstance(paid, Mapping):
        paid = _mapping_ledger(paid)
    ledger, scale = paid_table(spec, paid) if paid is not None else (_NO_PAYMENTS, 2)
    context = _Context(spec, checked)
    drafts: list[_Draft] = []
    tariffs: list[pl.DataFrame] = []
    for component in spec.components:
        if isinstance(component, FeeForService):
            drafts.extend(_fee_lines(component, context))
        elif isinstance(component, Guaranteed):
            drafts.extend(_guaranteed_lines(component, context))
        elif isinstance(component, Foundation):
            drafts.extend(_foundation_lines(component, context))
        elif isinstance(component, Tariff):
            tariffs.append(
                tariff_table(
                    component,
                    context.counts,
                    period_index=context.period_index,
                    cohort_index=context.cohort_index,
                    component_rank=context.component_index[component.name],
                )
            )
        else:
            drafts.extend(_reoffending_lines(component, checked, context))
    due = in_order(pl.concat([_draft_table(drafts), *tariffs]))
    due = _apply_caps(spec, due, drafts)
    offsets = _foundation_offsets(spec, due, context)
    if offsets:
        due = in_order(pl.concat([due, _draft_table(offsets, start=len(drafts))]))
        drafts.extend(offsets)
    lines, total_due, total_paid = _reconcile(due, drafts, ledger, scale, context)
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
        lines=lines,
        total_due=total_due,
        total_paid=total_paid,
        total_payable=total_payable,
        allocation=allocation,
    )


_NO_PAYMENTS = pl.DataFrame(
    schema={"period": pl.String, "cohort": pl.String, "component": pl.String, "paid": PENNIES}
)


def _mapping_ledger(paid: Mapping[tuple[str, str, str], Decimal]) -> pl.DataFrame:
    keys = list(paid)
    return pl.DataFrame(
        {
            "period": [k[0] for k in keys],
            "cohort": [k[1] for k in keys],
            "component": [k[2] for k in keys],
            "amount": [str(Decimal(paid[k])) for k in keys],
        },
        schema=dict.fromkeys(("period", "cohort", "component", "amount"), pl.String),
    )


def _draft_table(drafts: Sequence[_Draft], start: int = 0) -> pl.DataFrame:
    """Return drafts as rows of a due table (``draft`` and ``seq``: position in the drafts)."""
    positions = list(range(start, start + len(drafts)))
    return pl.DataFrame(
        {
            "period": [d.period for d in drafts],
            "cohort": [d.cohort for d in drafts],
            "component": [d.component for d in drafts],
            "detail": [d.detail for d in drafts],
            "due": [to_pennies(d.amount) for d in drafts],
            "reason": [d.reason for d in drafts],
            "at_risk": [d.at_risk for d in drafts],
            "o_period": [d.order[0] for d in drafts],
            "o_component": [d.order[1] for d in drafts],
            "o_cohort": [d.order[2] for d in drafts],
            "o_position": [d.order[3] for d in drafts],
            "o_group": [""] * len(drafts),
            "seq": positions,
            "draft": positions,
        },
        schema=DUE_SCHEMA,
    )


# --- due lines, one function per kind of component -------------------------------------------


def _fee_lines(component: FeeForService, context: _Context) -> list[_Draft]:
    lines = []
    volumes: dict[str, int] = {}
    if component.volume is not None:
        counts = context.counts.filter(pl.col("measure") == component.volume.measure)
        volumes = dict(counts.group_by("period").agg(pl.col("count").sum()).iter_rows())
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


def _apply_caps(spec: ContractSpec, due: pl.DataFrame, drafts: list[_Draft]) -> pl.DataFrame:
    """Cap each tariff's total, then the at-risk lines; ``due`` is in line order.

    Drafts that the guaranteed share's cap cuts are updated.
    """
    for component in spec.components:
        if isinstance(component, Tariff) and component.cap is not None:
            due = cap_running(
                due,
                component.cap,
                f"the {format_gbp(component.cap)} cap on {component.name}",
                among=pl.col("component") == component.name,
            )
    for component in spec.components:
        if isinstance(component, Guaranteed):
            before = due["due"]
            due = cap_running(
                due,
                component.at_risk,
                f"the {format_gbp(component.at_risk)} at risk "
                f"({format_percent(1 - component.share)} of the contract value)",
                among=pl.col("at_risk"),
            )
            cut = due.filter(pl.col("draft").is_not_null() & (pl.col("due") != before))
            for index, amount, reason in cut.select("draft", "due", "reason").iter_rows():
                drafts[index].amount = from_pennies(amount)
                drafts[index].reason = reason
    return due


def _foundation_offsets(spec: ContractSpec, due: pl.DataFrame, context: _Context) -> list[_Draft]:
    offsets: list[_Draft] = []
    foundations = [c for c in spec.components if isinstance(c, Foundation)]
    if not foundations:
        return offsets
    paid_in: dict[tuple[str, str], Decimal] = {}
    earned_in: dict[tuple[str, str], Decimal] = {}
    sums = due.group_by("component", "period").agg(
        pl.col("due").sum().alias("net"), pl.col("due").clip(lower_bound=0).sum().alias("earned")
    )
    for component, period, net, earned in sums.iter_rows():
        paid_in[component, period] = from_pennies(net)
        if earned > 0:
            earned_in[component, period] = from_pennies(earned)
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
    due: pl.DataFrame,
    drafts: list[_Draft],
    ledger: pl.DataFrame,
    scale: int,
    context: _Context,
) -> tuple[SettlementLines, Decimal, Decimal]:
    """Take what was already paid off the due lines, key by key, so nothing is paid twice.

    ``due`` is in line order; ``ledger`` holds payments in units of ``10**-scale`` GBP. Returns
    the lines, with lines for payments against keys where nothing is due at the end, and the
    totals due and paid.
    """
    keys = ["period", "cohort", "component"]
    ledger = ledger.with_row_index("key")
    draft_keys = pl.DataFrame(
        [(d.period, d.cohort or "", d.component) for d in drafts],
        schema=dict.fromkeys(keys, pl.String),
        orient="row",
    ).unique()
    draft_payments = ledger.join(draft_keys, on=keys, how="semi")
    draft_ledger = {
        (period, cohort, component): Decimal(paid).scaleb(-scale)
        for period, cohort, component, paid in draft_payments.select(*keys, "paid").iter_rows()
    }
    ordered = [drafts[i] for i in due.filter(pl.col("draft").is_not_null())["draft"].to_list()]
    made_drafts = _reconcile_drafts(ordered, draft_ledger)
    table, minus_zero, matched = reconcile_table(due, ledger, scale)
    orphans, orphan_minus_zero = orphan_table(
        ledger.filter(
            ~pl.col("key").is_in(matched.implode()),
            ~pl.col("key").is_in(draft_payments["key"].implode()),
        ).drop("key"),
        scale,
        context.period_index,
    )
    positions = table.with_row_index("_line").filter(pl.col("draft").is_not_null())["_line"]
    made = dict(zip(positions.to_list(), made_drafts, strict=True))
    for position, (amount, share) in minus_zero.items():
        row = table.row(position, named=True)
        made[position] = _line(
            row["period"],
            row["cohort"],
            row["component"],
            row["detail"],
            amount,
            share,
            row["reason"],
        )
    for position, share in orphan_minus_zero.items():
        period, cohort, component = orphans.row(position)[:3]
        made[table.height + position] = _line(
            period, cohort, component, "", ZERO, share, "nothing is due for this line"
        )
    tariff_rows = table.filter(pl.col("draft").is_null()).select("due", "paid")
    sums = pl.concat([tariff_rows, orphans.select("due", "paid")]).sum()
    total_due = sum([line.due for line in made_drafts], from_pennies(int(sums["due"][0] or 0)))
    total_paid = sum([line.paid for line in made_drafts], from_pennies(int(sums["paid"][0] or 0)))
    lines = SettlementLines(
        pl.concat([table.select(LINE_COLUMNS), orphans.select(LINE_COLUMNS)]), made
    )
    return lines, total_due, total_paid


def _reconcile_drafts(
    drafts: list[_Draft], ledger: Mapping[tuple[str, str, str], Decimal]
) -> list[SettlementLine]:
    """Make the lines for drafts (in line order), net of the payments against their keys."""
    by_key: dict[tuple[str, str, str], list[_Draft]] = {}
    for draft in drafts:
        key = (draft.period, draft.cohort or "", draft.component)
        if key in ledger:
            by_key.setdefault(key, []).append(draft)
    paid_for: dict[int, Decimal] = {}
    for key, group in by_key.items():
        # Credits first, so a payment of the net amount settles every line of the key exactly;
        # anything left over (an over- or under-payment) is put against the last line.
        ordered = [d for d in group if d.amount < 0] + [d for d in group if d.amount >= 0]
        remaining = ledger[key]
        for position, draft in enumerate(ordered):
            if position == len(ordered) - 1:
                share = remaining
            elif draft.amount <= remaining:
                share = draft.amount
            else:
                share = max(remaining, ZERO)
            paid_for[id(draft)] = share
            remaining -= share
    return [
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
