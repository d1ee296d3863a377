"""Provider risk simulation: Monte Carlo of income, net position and cash under a contract.

The simulation runs the contract's payment mechanism many times over uncertain volumes and
effects, with all runs at once as NumPy arrays (runs × periods), seeded so a run can be repeated
exactly. The assumptions come from the contract's ``[simulation]`` table
(:class:`~fullvalue.engine.payments.spec.SimulationAssumptions`).

The model, for each run ``r`` and cohort ``c`` (one cohort enrols in each contract period):

- volume shortfall ``s_r ~ Normal(mean, sd)`` clipped to 0-0.95, shared by all cohorts of a run
  (TR's shortfall was systematic, 16-48% below forecast);
- cohort size ``n_rc ~ Poisson(cohort_size × (1 - s_r))``;
- true effect ``δ_r ~ Normal(effect_mean, effect_sd)``, a reduction in the binary reoffending
  rate in proportion points (negative: the service makes things worse);
- binary: reoffenders ``~ Binomial(n, p0 - δ)``; frequency: reoffences ``~ Poisson(n f0 (1 -
  δ/p0))`` (the same relative effect); a matched comparison group of the same size is drawn
  from the baseline, a baseline comparison is taken as known;
- significance by the one-sided normal test of :mod:`~fullvalue.engine.payments.power`;
- reoffending payments arrive ``payment_lag`` periods after the cohort's period; fees,
  guaranteed share, foundation payments and tariffs in the period itself;
- tariff events ``~ Binomial(n, rate)`` (``Poisson(n × rate)`` if rate > 1), priced at the mean of
  group prices; costs are ``cost_per_period + cost_per_person × n``.

The payment rules (hurdles, significance, deductions, caps, grant in lieu, foundation recovery,
guaranteed cap, volume reconciliation) are the settlement's rules, applied to arrays. Money is
float64 GBP inside the simulation (an estimate); summary amounts are rounded half-up to the penny.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.stats import norm

from fullvalue.engine.payments.money import format_gbp, round_half_up
from fullvalue.engine.payments.spec import (
    ContractSpec,
    FeeForService,
    Foundation,
    Guaranteed,
    Reoffending,
    SimulationAssumptions,
    Tariff,
)
from fullvalue.errors import FullvalueError, Problem

Array = NDArray[np.float64]


@dataclass(frozen=True)
class SimulationResult:
    """The distribution of a provider's position under a contract, over simulated runs.

    Arrays have one row per run. ``income``, ``cost`` and ``net`` are totals in GBP;
    ``outcome_income`` is the part paid on results (outcome tariffs and reoffending results),
    ``reoffending_income`` the part paid on reoffending results alone; ``cash`` is the
    cumulative cash position (income - cost) at the end of each period in ``periods``;
    ``working_capital`` the peak need (the lowest cash position below zero, as a positive
    amount) and ``trough`` the index of the period when the cash position is lowest.
    ``income_by_period`` and ``cost_by_period`` (runs x periods) are the flows behind ``cash``.
    """

    contract: str
    runs: int
    seed: int
    periods: tuple[str, ...]
    income: Array
    cost: Array
    net: Array
    outcome_income: Array
    reoffending_income: Array
    cash: Array
    working_capital: Array
    trough: NDArray[np.int64]
    income_by_period: Array | None = None
    cost_by_period: Array | None = None

    def percentiles(self, values: Array) -> dict[str, Decimal]:
        """P5, P50 and P95 of an array of amounts, in GBP rounded half-up to the penny."""
        p5, p50, p95 = np.percentile(values, [5, 50, 95])
        return {"p5": _money(p5), "p50": _money(p50), "p95": _money(p95)}

    @property
    def probability_of_outcome_payment(self) -> float:
        """Share of runs with any payment on results (0-1)."""
        return float(np.mean(self.outcome_income > 0.005))

    @property
    def probability_of_reoffending_payment(self) -> float:
        """Share of runs with any payment on reoffending results (0-1)."""
        return float(np.mean(self.reoffending_income > 0.005))

    @property
    def probability_of_loss(self) -> float:
        """Share of runs in which income is less than cost (0-1)."""
        return float(np.mean(self.net < -0.005))

    @property
    def peak_period(self) -> str:
        """The period in which the cash need most often peaks (among runs that need any)."""
        needing = self.trough[self.working_capital > 0.005]
        if needing.size == 0:
            return "none"
        return self.periods[int(np.bincount(needing).argmax())]

    def summary(self) -> dict[str, Any]:
        """The figures a provider reads: JSON-ready (amounts as decimal strings)."""

        def strings(values: dict[str, Decimal]) -> dict[str, str]:
            return {k: f"{v:.2f}" for k, v in values.items()}

        return {
            "contract": self.contract,
            "runs": self.runs,
            "seed": self.seed,
            "income": strings(self.percentiles(self.income)),
            "net_position": strings(self.percentiles(self.net)),
            "cost": strings(self.percentiles(self.cost)),
            "probability_of_outcome_payment": round(self.probability_of_outcome_payment, 4),
            "probability_of_reoffending_payment": round(self.probability_of_reoffending_payment, 4),
            "probability_of_loss": round(self.probability_of_loss, 4),
            "peak_working_capital": strings(self.percentiles(self.working_capital)),
            "peak_working_capital_period": self.peak_period,
            "periods": list(self.periods),
            "cash_position_p50": [f"{_money(v):.2f}" for v in np.median(self.cash, axis=0)],
        }


def _money(value: float) -> Decimal:
    return round_half_up(Decimal(repr(float(value))))


def _f(value: Decimal | None) -> float:
    return 0.0 if value is None else float(value)


def simulate(spec: ContractSpec, runs: int = 10_000, seed: int = 20120601) -> SimulationResult:
    """Simulate a provider's income, costs and cash position under a contract.

    Parameters
    ----------
    spec : ContractSpec
        The contract, with a ``[simulation]`` table of assumptions.
    runs : int
        Number of simulated runs (each a whole contract).
    seed : int
        Seed of NumPy's PCG64 generator; the same seed gives the same result.

    Returns
    -------
    SimulationResult
        Per-run totals and cash positions, with summary statistics.

    Raises
    ------
    FullvalueError
        If the contract has no ``[simulation]`` table or lacks a rate a tariff needs.

    Notes
    -----
    The model is described in this module's docstring. For each run ``r`` and period ``t``:
    ``cash_rt = Σ_{k<=t} (income_rk - cost_rk)``, ``working_capital_r = max(0, -min_t cash_rt)``
    and ``net_r = Σ_t (income_rt - cost_rt)``. The probability of a reoffending payment is the
    share of runs with any, ``mean_r [reoffending_income_r > 0]``; for one cohort it agrees with
    :func:`~fullvalue.engine.payments.power.probability_of_payment` (a test checks it).

    References
    ----------
    HM Treasury (2022), *The Green Book* (risk and uncertainty: Monte Carlo analysis of
    uncertain costs and benefits). National Audit Office (2015), *Outcome-based payment
    schemes: government's use of payment by results* (providers' cash-flow and working-capital
    risk). Ministry of Justice (2014), *Transforming Rehabilitation: payment mechanism* (results
    paid after the follow-up period: the payment lag; volumes 16-48% below forecast).

    Examples
    --------
    >>> from fullvalue.engine.payments.spec import validate_spec
    >>> spec = validate_spec({
    ...     "contract": {"name": "150 women a year, 100% on results"},
    ...     "periods": [{"name": "Y1", "start": "2025-04-01", "end": "2026-03-31"}],
    ...     "components": [{"type": "reoffending", "name": "r", "cohort_hurdle": 0.1,
    ...                     "require_significance": True, "price_per_unit": 3000}],
    ...     "simulation": {"cohort_size": 150, "baseline_rate": 0.43, "effect_mean": 0.04},
    ... })
    >>> a, b = simulate(spec, runs=2000, seed=1), simulate(spec, runs=2000, seed=1)
    >>> bool((a.net == b.net).all())
    True
    >>> round(a.probability_of_reoffending_payment, 1)
    0.3

    """
    assumptions = _assumptions(spec, runs)
    rng = np.random.default_rng(seed)
    periods = spec.period_names()
    n_periods = len(periods)
    lag = assumptions.payment_lag
    has_reoffending = any(isinstance(c, Reoffending) for c in spec.components)
    horizon = n_periods + (lag if has_reoffending else 0)
    labels = tuple(periods) + later_periods(spec, horizon - n_periods)

    shortfall = np.clip(
        rng.normal(
            _f(assumptions.volume_shortfall_mean), _f(assumptions.volume_shortfall_sd), runs
        ),
        0.0,
        0.95,
    )
    effect = rng.normal(_f(assumptions.effect_mean), _f(assumptions.effect_sd), runs)
    sizes: Array = rng.poisson(
        assumptions.cohort_size * (1.0 - shortfall)[:, None], (runs, n_periods)
    ).astype(np.float64)

    income = np.zeros((runs, horizon))
    at_risk = np.zeros((runs, horizon))
    by_component: dict[str, Array] = {}
    for component in spec.components:
        flows = np.zeros((runs, horizon))
        risky = False
        if isinstance(component, FeeForService):
            _fee(component, assumptions, sizes, periods, flows)
        elif isinstance(component, Guaranteed):
            active = _active(periods, component.periods)
            share = float(component.contract_value * component.share) / active.sum()
            flows[:, :n_periods][:, active] = share
        elif isinstance(component, Foundation):
            continue
        elif isinstance(component, Tariff):
            _tariff(component, assumptions, sizes, rng, flows)
            risky = component.kind == "outcome"
        else:
            risky_flows = np.zeros((runs, horizon))
            _reoffending(component, assumptions, sizes, effect, rng, flows, risky_flows, lag)
            at_risk += risky_flows
            by_component[component.name] = risky_flows
            income += flows - risky_flows
            continue
        if risky:
            at_risk += flows
            by_component[component.name] = flows
        else:
            income += flows
    for component in spec.components:
        if isinstance(component, Guaranteed):
            capped = _cap_running(at_risk, float(component.at_risk))
            scale = np.divide(capped, at_risk, out=np.ones_like(at_risk), where=at_risk > 0)
            for name in by_component:
                by_component[name] = np.where(
                    at_risk > 0, by_component[name] * scale, by_component[name]
                )
            at_risk = capped
    income += at_risk
    for component in spec.components:
        if isinstance(component, Foundation):
            income += _foundation(component, periods, horizon, by_component, runs)
    costs = np.zeros((runs, horizon))
    costs[:, :n_periods] = _f(assumptions.cost_per_period) + _f(assumptions.cost_per_person) * sizes
    cash = np.cumsum(income - costs, axis=1)
    lowest = cash.min(axis=1)
    return SimulationResult(
        contract=spec.name,
        runs=runs,
        seed=seed,
        periods=labels,
        income=income.sum(axis=1),
        cost=costs.sum(axis=1),
        net=cash[:, -1],
        outcome_income=np.clip(at_risk, 0, None).sum(axis=1),
        reoffending_income=sum(
            (
                np.clip(by_component[c.name], 0, None).sum(axis=1)
                for c in spec.components
                if isinstance(c, Reoffending)
            ),
            np.zeros(runs),
        ),
        cash=cash,
        working_capital=np.maximum(-lowest, 0.0),
        trough=cash.argmin(axis=1),
        income_by_period=income,
        cost_by_period=costs,
    )


_YEAR = re.compile(r"^(\d{4})$")
_FINANCIAL_YEAR = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})(-\d{2})? ?-?Q([1-4])$")


def later_periods(spec: ContractSpec, count: int) -> tuple[str, ...]:
    """Names for the ``count`` periods after the contract's last, in the contract's own style.

    Payments on results arrive after the contract ends; these periods are named as the
    contract names its own (``2027-28`` then ``2028-29``; ``2016-Q4`` then ``2017-Q1``;
    ``2027-28 Q4`` then ``2028-29 Q1``), or by the month they start in (``Apr 2031``).

    Examples
    --------
    >>> from fullvalue.engine.payments.spec import validate_spec
    >>> def spec(name, start, end):
    ...     return validate_spec({"contract": {"name": "x"},
    ...         "periods": [{"name": name, "start": start, "end": end}],
    ...         "components": [{"type": "fee_for_service", "name": "f", "amount": 1}]})
    >>> later_periods(spec("2027-28", "2027-04-01", "2028-03-31"), 2)
    ('2028-29', '2029-30')
    >>> later_periods(spec("2016-Q4", "2017-01-01", "2017-03-31"), 2)
    ('2017-Q1', '2017-Q2')
    >>> later_periods(spec("2027-28 Q4", "2028-01-01", "2028-03-31"), 1)
    ('2028-29 Q1',)
    >>> later_periods(spec("Final", "2030-04-01", "2031-03-31"), 1)
    ('Apr 2031',)
    """
    if count <= 0 or not spec.periods:
        return ()
    last = max(spec.periods, key=lambda p: p.start)
    names = []
    for k in range(1, count + 1):
        if m := _YEAR.match(last.name):
            names.append(str(int(m[1]) + k))
        elif m := _FINANCIAL_YEAR.match(last.name):
            year = int(m[1]) + k
            names.append(f"{year}-{(year + 1) % 100:02d}")
        elif m := _QUARTER.match(last.name):
            index = int(m[1]) * 4 + int(m[3]) - 1 + k
            year, quarter = divmod(index, 4)
            if m[2]:
                names.append(f"{year}-{(year + 1) % 100:02d} Q{quarter + 1}")
            else:
                names.append(f"{year}-Q{quarter + 1}")
        else:
            days = (last.end - last.start).days + 1
            start = last.start + timedelta(days=days * k)
            names.append(start.strftime("%b %Y"))
    return tuple(names)


def _assumptions(spec: ContractSpec, runs: int) -> SimulationAssumptions:
    problems = []
    if runs < 1:
        problems.append(Problem("There must be at least one run.", "runs"))
    assumptions = spec.simulation
    if assumptions is None:
        problems.append(
            Problem("The contract needs a [simulation] table of assumptions.", "simulation")
        )
    else:
        for component in spec.components:
            if isinstance(component, Tariff) and component.kind == "outcome":
                for measure in [component.measure] + (
                    [component.sustainment.measure] if component.sustainment else []
                ):
                    if measure not in assumptions.outcome_rates:
                        problems.append(
                            Problem(
                                f"Component {component.name!r} needs the expected {measure!r} "
                                "per person to be simulated.",
                                f"simulation.outcome_rates.{measure}",
                            )
                        )
    if problems or assumptions is None:
        raise FullvalueError.from_problems(
            f"The contract {spec.name!r} cannot be simulated.", problems, code="invalid-spec"
        )
    return assumptions


def _active(periods: list[str], names: tuple[str, ...]) -> NDArray[np.bool_]:
    return np.array([not names or p in names for p in periods])


def _fee(
    component: FeeForService,
    assumptions: SimulationAssumptions,
    sizes: Array,
    periods: list[str],
    flows: Array,
) -> None:
    active = _active(periods, component.periods)
    flows[:, : len(periods)][:, active] += float(component.amount)
    band = component.volume
    if band is None:
        return
    rate = _f(assumptions.outcome_rates.get(band.measure, Decimal(1)))
    volume = sizes * rate
    low, high = float(band.expected * band.lower), float(band.expected * band.upper)
    adjustment = np.where(
        volume < low, -(low - volume), np.where(volume > high, volume - high, 0.0)
    )
    flows[:, : len(periods)] += np.round(adjustment * float(band.unit_price), 2) * active


def _draw_counts(rng: np.random.Generator, sizes: Array, rate: float) -> Array:
    if rate <= 1:
        return rng.binomial(sizes.astype(np.int64), rate).astype(np.float64)
    return rng.poisson(sizes * rate).astype(np.float64)


def _tariff(
    component: Tariff,
    assumptions: SimulationAssumptions,
    sizes: Array,
    rng: np.random.Generator,
    flows: Array,
) -> None:
    n_periods = sizes.shape[1]
    default = Decimal(1) if component.kind == "attachment" else Decimal(0)
    parts = [(component.measure, component.price, component.prices)]
    if component.sustainment is not None:
        sus = component.sustainment
        parts.append((sus.measure, sus.price, sus.prices))
    total = np.zeros_like(sizes)
    for measure, price, prices in parts:
        unit = (
            float(price)
            if price is not None
            else float(np.mean([float(p) for p in prices.values()]))
        )
        rate = _f(assumptions.outcome_rates.get(measure, default))
        total += _draw_counts(rng, sizes, rate) * unit
    if component.cap is not None:
        total = _cap_running(total, float(component.cap))
    flows[:, :n_periods] += total


def _reoffending(
    component: Reoffending,
    assumptions: SimulationAssumptions,
    sizes: Array,
    effect: Array,
    rng: np.random.Generator,
    flows: Array,
    risky_flows: Array,
    lag: int,
) -> None:
    """Pay each cohort's result ``lag`` periods later; the overall result after the last."""
    p0 = _f(assumptions.baseline_rate)
    n = np.maximum(sizes, 1.0)
    matched = component.comparison == "matched"
    if component.measure == "binary":
        rate = np.clip(p0 - effect, 0.0, 1.0)[:, None] * np.ones_like(sizes)
        treated_events = rng.binomial(n.astype(np.int64), rate).astype(np.float64)
        base_events = rng.binomial(n.astype(np.int64), p0).astype(np.float64) if matched else n * p0
        variance = p0 * (1 - p0)
    else:
        f0 = _f(assumptions.baseline_frequency)
        relative = np.clip(effect / p0, None, 1.0) if p0 > 0 else np.zeros_like(effect)
        treated_events = rng.poisson(n * f0 * (1 - relative)[:, None]).astype(np.float64)
        base_events = rng.poisson(n * f0).astype(np.float64) if matched else n * f0
        variance = f0
    alpha = _f(component.significance_level)
    z_alpha = float(norm.ppf(1 - alpha))
    amounts = _cohort_amounts(component, treated_events, base_events, n, variance, matched, z_alpha)
    if component.minimum_cohort_size is not None:
        small = sizes < component.minimum_cohort_size
        grant = float(component.grant_in_lieu)
        amounts = np.where(small, grant, amounts)
        grants = np.where(small, grant, 0.0)
    else:
        grants = np.zeros_like(amounts)
    n_periods = sizes.shape[1]
    payable = np.zeros_like(flows)
    payable[:, lag : lag + n_periods] = amounts
    if component.overall_hurdle is not None:
        last = lag + n_periods - 1
        payable[:, last] += _overall_amount(
            component,
            treated_events,
            base_events,
            n,
            variance,
            matched,
            z_alpha,
            np.clip(amounts - grants, 0, None).sum(axis=1),
        )
    if component.cap_total is not None:
        payable = _cap_running(payable, float(component.cap_total))
    flows += payable
    shifted_grants = np.zeros_like(flows)
    shifted_grants[:, lag : lag + n_periods] = grants
    risky_flows += payable - shifted_grants


def _cohort_amounts(
    component: Reoffending,
    treated_events: Array,
    base_events: Array,
    n: Array,
    variance: float,
    matched: bool,
    z_alpha: float,
) -> Array:
    treated, comparison = treated_events / n, base_events / n
    safe = np.where(comparison > 0, comparison, 1.0)
    reduction = np.where(comparison > 0, (comparison - treated) / safe, 0.0)
    units = (comparison - treated) * n
    se = np.sqrt(variance * (1 / n + (1 / n if matched else 0.0)))
    z = (comparison - treated) / se
    significant_better = z > z_alpha
    significant_worse = -z > z_alpha
    pays = reduction > 0
    if component.cohort_hurdle is None:
        pays &= False
    else:
        pays &= reduction >= float(component.cohort_hurdle)
    if component.require_significance:
        pays &= significant_better
    amounts = np.where(pays, np.round(units * float(component.price_per_unit), 2), 0.0)
    if component.deduct_on_worsening:
        deduct = (reduction < 0) & significant_worse
        amounts = np.where(
            deduct, np.round(units * float(component.deduction_per_unit), 2), amounts
        )
    if component.cap_per_cohort is not None:
        cap = float(component.cap_per_cohort)
        amounts = np.clip(amounts, -cap, cap)
    return amounts


def _overall_amount(
    component: Reoffending,
    treated_events: Array,
    base_events: Array,
    n: Array,
    variance: float,
    matched: bool,
    z_alpha: float,
    cohort_paid: Array,
) -> Array:
    total_n = n.sum(axis=1)
    treated = treated_events.sum(axis=1) / total_n
    comparison = base_events.sum(axis=1) / total_n
    safe = np.where(comparison > 0, comparison, 1.0)
    reduction = np.where(comparison > 0, (comparison - treated) / safe, 0.0)
    pays = (reduction > 0) & (reduction >= float(component.overall_hurdle or 0))
    if component.require_significance:
        se = np.sqrt(variance * (1 / total_n + (1 / total_n if matched else 0.0)))
        pays &= (comparison - treated) / se > z_alpha
    gross = np.round((comparison - treated) * total_n * float(component.price_per_unit), 2)
    return np.where(pays, np.maximum(gross - cohort_paid, 0.0), 0.0)


def _cap_running(amounts: Array, cap: float) -> Array:
    """Cap the running total of positive amounts over periods, as settlement does."""
    capped = amounts.copy()
    running = np.zeros(amounts.shape[0])
    for t in range(amounts.shape[1]):
        column = amounts[:, t]
        room = np.maximum(cap - running, 0.0)
        capped[:, t] = np.where(column > 0, np.minimum(column, room), column)
        running += capped[:, t]
    return capped


def _foundation(
    component: Foundation,
    periods: list[str],
    horizon: int,
    by_component: dict[str, Array],
    runs: int,
) -> Array:
    """Foundation payments up front, then recovered from named outcome payments."""
    paid = np.zeros(horizon)
    paid[: len(periods)] = _active(periods, component.periods) * float(component.amount)
    earned = np.zeros((runs, horizon))
    for name in component.offset_against:
        if name in by_component:
            earned += np.clip(by_component[name], 0, None)
    flows = np.broadcast_to(paid, (runs, horizon)).copy()
    outstanding = np.zeros(runs)
    rate = float(component.offset_rate)
    for t in range(horizon):
        outstanding += paid[t]
        recovered = np.minimum(outstanding, np.round(earned[:, t] * rate, 2))
        flows[:, t] -= recovered
        outstanding -= recovered
    return flows


def render_simulations(results: list[SimulationResult], output_format: str) -> str:
    """Render one or more simulation results side by side as ``table`` or ``json``."""
    if output_format == "json":
        data: Any = [r.summary() for r in results]
        return json.dumps(data[0] if len(data) == 1 else {"mechanisms": data}, indent=2)
    rows: list[tuple[str, list[str]]] = []

    def add(label: str, values: list[str]) -> None:
        rows.append((label, values))

    for key, label in (("income", "income"), ("net", "net position")):
        for p in ("p5", "p50", "p95"):
            add(
                f"{label} {p.upper()}",
                [format_gbp(r.percentiles(getattr(r, key))[p]) for r in results],
            )
    add(
        "probability of any outcome payment",
        [f"{r.probability_of_outcome_payment:.1%}" for r in results],
    )
    add(
        "probability of any reoffending payment",
        [f"{r.probability_of_reoffending_payment:.1%}" for r in results],
    )
    add("probability of a loss", [f"{r.probability_of_loss:.1%}" for r in results])
    add(
        "peak working capital P50",
        [format_gbp(r.percentiles(r.working_capital)["p50"]) for r in results],
    )
    add(
        "peak working capital P95",
        [format_gbp(r.percentiles(r.working_capital)["p95"]) for r in results],
    )
    add("period of the peak need (most often)", [r.peak_period for r in results])
    headers = ["", *(r.contract for r in results)]
    widths = [max(len(headers[0]), *(len(label) for label, _ in rows))]
    for i in range(len(results)):
        widths.append(max(len(headers[i + 1]), *(len(values[i]) for _, values in rows)))
    lines = [
        f"{results[0].runs:,} runs, seed {results[0].seed}",
        "",
        "  ".join(
            h.rjust(w) if i else h.ljust(w)
            for i, (h, w) in enumerate(zip(headers, widths, strict=True))
        ),
        "  ".join("-" * w for w in widths),
    ]
    for label, values in rows:
        cells = [
            label.ljust(widths[0]),
            *(v.rjust(w) for v, w in zip(values, widths[1:], strict=True)),
        ]
        lines.append("  ".join(cells))
    return "\n".join(lines)
