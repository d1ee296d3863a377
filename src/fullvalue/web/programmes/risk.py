"""The risk preview: a mechanism simulated with the programme's own figures, for one provider.

Pure Python (no Django). The programme's figures override the specification's own:

- periods: one a year from the programme's start date, for its years (named ``2027-28``);
- payment lag: the specification's lag in its own periods, as whole years;
- volumes: each year's cohort is drawn up to the high volume, centred on the expected volume,
  with the low volume at about the 5th percentile (the engine's volume shortfall, shared by the
  years of one run, as under Transforming Rehabilitation: mean ``1 - expected / high``, standard
  deviation ``(expected - low) / (1.645 × high)``);
- value (only for a specification written for another programme, ``scale_to_budget``): every
  amount in it (payments and the provider's costs) is multiplied by one factor so that the
  mechanism's mean payments over the runs equal the programme's budget. Payments are linear in
  the amounts, so one factor does it exactly (up to penny rounding).

The provider profile says what one provider carries: its reserves (GBP) and its share of the
work (0-1) of the contract's income and costs. It runs out of cash in a run when its reserves
plus its share of the cumulative cash position fall below zero in any period.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

from fullvalue.engine.payments import minimum_detectable_effect, simulate
from fullvalue.engine.payments.money import round_half_up
from fullvalue.engine.payments.spec import (
    Cohort,
    Component,
    ContractSpec,
    FeeForService,
    Foundation,
    Guaranteed,
    Period,
    Reoffending,
    Tariff,
)
from fullvalue.errors import FullvalueError, Problem
from fullvalue.rules import Breach, check, rule
from fullvalue.web.programmes.designer import yearly_periods

#: Above this share of expected income paid on results, small cohorts get a warning.
PBR_SHARE_WARNING = 0.3
#: A minimum detectable effect above this (proportion) means modest real effects go unpaid.
MDE_WARNING = 0.05
#: z for the 5th percentile of a normal distribution (the low volume's place).
Z_05 = 1.645


@dataclass(frozen=True)
class Figures:
    """The programme's figures: budget (GBP in total), years, start date, people a year."""

    budget: Decimal
    years: int
    start: dt.date
    volume_low: int
    volume_expected: int
    volume_high: int


@dataclass(frozen=True)
class Provider:
    """A provider's profile: reserves in GBP, share of the work 0-1."""

    reserves: Decimal = Decimal(50000)
    share: Decimal = Decimal(1)


@dataclass(frozen=True)
class Band:
    """P5, P50 and P95 of an amount in one period (GBP)."""

    p5: Decimal
    p50: Decimal
    p95: Decimal


@dataclass(frozen=True)
class RiskPreview:
    """What a provider would face under a mechanism with the programme's figures."""

    name: str
    runs: int
    budget: Decimal
    provider: Provider
    probability_of_outcome_payment: float
    probability_of_loss: float
    probability_cash_runs_out: float
    cash_runs_out_period: str | None
    working_capital_p50: Decimal
    working_capital_p95: Decimal
    income_p5: Decimal
    income_p50: Decimal
    income_p95: Decimal
    pbr_share: float
    minimum_detectable_effect: float | None
    warnings: tuple[str, ...]
    periods: tuple[str, ...]
    income_bands: tuple[Band, ...]
    cash_bands: tuple[Band, ...]

    @property
    def sentence(self) -> str:
        """What the provider faces, in one sentence."""
        who = f"A provider with {pounds(self.provider.reserves)} in reserves"
        if self.provider.share < 1:
            who += f" doing {self.provider.share * 100:.0f}% of the work"
        p = self.probability_cash_runs_out
        if p == 0:
            return f"{who} does not run out of cash in any of {self.runs:,} runs."
        in_100 = round(p * 100)
        times = f"{in_100} of 100 runs" if in_100 >= 1 else "fewer than 1 in 100 runs"
        return f"{who} runs out of cash in {times}, most often in {self.cash_runs_out_period}."


def pounds(amount: Decimal) -> str:
    """An amount in whole pounds for a sentence, the minus sign before the pound: ``−£20,000``.

    >>> pounds(Decimal("50000")), pounds(Decimal("-19999.5"))
    ('£50,000', '−£20,000')
    """
    whole = amount.quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return f"{'−' if whole < 0 else ''}£{abs(whole):,}"


@rule
def rule_pbr_share_for_cohort(pbr_share: float, mde: float | None, cohort: int) -> Iterator[Breach]:
    """When a cohort is too small to show a modest real effect, keep payment by results to at most 30% of income (blend it with grant or fee, or pool cohorts).

    30% is :data:`PBR_SHARE_WARNING`; "too small" means a minimum detectable effect above
    :data:`MDE_WARNING` (5 percentage points).
    """  # noqa: E501
    if mde is not None and mde > MDE_WARNING and pbr_share > PBR_SHARE_WARNING:
        yield Breach(
            f"{pbr_share:.0%} of expected income depends on results, but a cohort of {cohort:,} "
            f"a year can only show an effect of {mde * 100:.1f} percentage points or more as "
            "significant: a real but smaller improvement would go unpaid"
        )


@rule
def rule_payments_within_budget(income_p50: Decimal, budget: Decimal) -> Iterator[Breach]:
    """The mechanism's typical payments should not exceed the programme's budget: lower the prices or add a cap."""  # noqa: E501
    if budget > 0 and income_p50 > budget * Decimal("1.05"):
        yield Breach(
            f"in half the runs the mechanism pays more than {pounds(income_p50)}, above the "
            f"budget of {pounds(budget)}"
        )


def _scaled(spec: ContractSpec, k: float) -> ContractSpec:
    """Every amount in the specification (payments and costs) multiplied by ``k``."""
    f = Decimal(repr(k))

    def m(value: Decimal) -> Decimal:
        return round_half_up(value * f)

    def o(value: Decimal | None) -> Decimal | None:
        return None if value is None else m(value)

    components: list[Component] = []
    for c in spec.components:
        if isinstance(c, FeeForService):
            volume = c.volume and dataclasses.replace(c.volume, unit_price=m(c.volume.unit_price))
            components.append(dataclasses.replace(c, amount=m(c.amount), volume=volume))
        elif isinstance(c, Tariff):
            sus = c.sustainment and dataclasses.replace(
                c.sustainment,
                price=o(c.sustainment.price),
                prices={g: m(p) for g, p in c.sustainment.prices.items()},
            )
            components.append(
                dataclasses.replace(
                    c,
                    price=o(c.price),
                    prices={g: m(p) for g, p in c.prices.items()},
                    cap=o(c.cap),
                    sustainment=sus,
                )
            )
        elif isinstance(c, Reoffending):
            components.append(
                dataclasses.replace(
                    c,
                    price_per_unit=m(c.price_per_unit),
                    deduction_per_unit=m(c.deduction_per_unit),
                    cap_per_cohort=o(c.cap_per_cohort),
                    cap_total=o(c.cap_total),
                    grant_in_lieu=m(c.grant_in_lieu),
                )
            )
        elif isinstance(c, Foundation):
            components.append(dataclasses.replace(c, amount=m(c.amount)))
        else:
            components.append(dataclasses.replace(c, contract_value=m(c.contract_value)))
    assert spec.simulation is not None
    simulation = dataclasses.replace(
        spec.simulation,
        cost_per_period=m(spec.simulation.cost_per_period),
        cost_per_person=m(spec.simulation.cost_per_person),
    )
    return dataclasses.replace(spec, components=tuple(components), simulation=simulation)


def with_figures(spec: ContractSpec, figures: Figures) -> ContractSpec:
    """The specification with the programme's periods, cohorts and volumes (see the module).

    >>> from fullvalue.engine.payments.spec import validate_spec
    >>> spec = validate_spec({
    ...     "contract": {"name": "x"},
    ...     "periods": [{"name": "Q1", "start": "2016-04-01", "end": "2016-06-30"}],
    ...     "components": [{"type": "fee_for_service", "name": "fee", "amount": 10}],
    ...     "simulation": {"cohort_size": 4800, "baseline_rate": 0.45},
    ... })
    >>> out = with_figures(spec, Figures(Decimal(1), 2, dt.date(2027, 4, 1), 60, 80, 100))
    >>> out.period_names(), out.simulation.cohort_size, str(out.simulation.volume_shortfall_mean)
    (['2027-28', '2028-29'], 100, '0.2000')
    """
    if spec.simulation is None:
        raise FullvalueError.from_problems(
            f"The contract {spec.name!r} cannot be simulated.",
            [Problem("The contract needs a [simulation] table of assumptions.", "simulation")],
            code="invalid-spec",
        )
    periods = tuple(
        Period(p["name"], p["start"], p["end"])
        for p in yearly_periods(figures.start, figures.years)
    )
    high = max(figures.volume_high, figures.volume_expected, 1)
    mean = Decimal(1) - Decimal(figures.volume_expected) / Decimal(high)
    sd = Decimal(max(figures.volume_expected - figures.volume_low, 0)) / (Decimal(str(Z_05)) * high)
    old_size = spec.simulation.cohort_size or 1
    components = []
    for c in spec.components:
        if isinstance(c, FeeForService | Guaranteed | Foundation):
            c = dataclasses.replace(c, periods=())
        if isinstance(c, FeeForService) and c.volume is not None:
            expected = c.volume.expected * Decimal(figures.volume_expected) / Decimal(old_size)
            c = dataclasses.replace(c, volume=dataclasses.replace(c.volume, expected=expected))
        components.append(c)
    old = sorted(spec.periods, key=lambda p: p.start)
    days = sum((p.end - p.start).days + 1 for p in old) / len(old) if old else 365
    simulation = dataclasses.replace(
        spec.simulation,
        payment_lag=round(spec.simulation.payment_lag * days / 365.25),
        cohort_size=high,
        volume_shortfall_mean=mean.quantize(Decimal("0.0001")),
        volume_shortfall_sd=sd.quantize(Decimal("0.0001")),
    )
    return dataclasses.replace(
        spec,
        periods=periods,
        cohorts=tuple(Cohort(p.name, figures.volume_expected) for p in periods),
        components=tuple(components),
        simulation=simulation,
    )


def _band(values: np.ndarray) -> tuple[Band, ...]:
    p5, p50, p95 = np.percentile(values, [5, 50, 95], axis=0)
    return tuple(
        Band(*(round_half_up(Decimal(repr(float(v)))) for v in column))
        for column in zip(p5, p50, p95, strict=True)
    )


def risk_preview(
    spec: ContractSpec,
    figures: Figures,
    provider: Provider | None = None,
    *,
    scale_to_budget: bool = False,
    own_figures: bool = False,
    runs: int = 2000,
    seed: int = 1,
) -> RiskPreview:
    """Simulate a mechanism with the programme's figures for one provider.

    Parameters
    ----------
    spec : ContractSpec
        The mechanism, with its ``[simulation]`` assumptions (baseline, effect, costs).
    figures : Figures
        The programme's budget, years, start date and volumes (override the spec's own).
    provider : Provider
        Reserves (GBP) and share of the work (0-1); default £50,000 and all of it.
    scale_to_budget : bool
        Scale every amount so the mean payments equal the budget (a spec written for another
        programme).
    own_figures : bool
        Keep the specification's own periods and volumes (``figures`` only give the budget
        line and the cohort size for the smallest detectable effect).
    runs, seed : int
        Simulated runs and the generator's seed (the same inputs give the same preview).

    Notes
    -----
    The provider's cash in period ``t`` of run ``r`` is
    ``reserves + share × Σ_{s ≤ t} (income_rs - cost_rs)``; it runs out of cash in run ``r``
    when that is below zero in any period. ``probability_cash_runs_out`` is the share of runs
    in which it does, and ``cash_runs_out_period`` the period in which it most often first does.

    Examples
    --------
    >>> from fullvalue.engine.payments.spec import validate_spec
    >>> spec = validate_spec({
    ...     "contract": {"name": "all on results"},
    ...     "periods": [{"name": "Y1", "start": "2025-04-01", "end": "2026-03-31"}],
    ...     "components": [{"type": "reoffending", "name": "r", "cohort_hurdle": 0.1,
    ...                     "require_significance": True, "price_per_unit": 3000}],
    ...     "simulation": {"cohort_size": 150, "baseline_rate": 0.43, "effect_mean": 0.04,
    ...                    "cost_per_period": 100000, "payment_lag": 2},
    ... })
    >>> figures = Figures(Decimal(300000), 3, dt.date(2027, 4, 1), 100, 150, 180)
    >>> preview = risk_preview(spec, figures, Provider(Decimal(50000)), runs=500)
    >>> preview.probability_cash_runs_out, preview.cash_runs_out_period
    (1.0, '2027-28')
    """
    provider = provider or Provider()
    fitted = spec if own_figures else with_figures(spec, figures)
    result = simulate(fitted, runs=runs, seed=seed)
    mean_income = float(result.income.mean())
    if scale_to_budget and mean_income > 0 and figures.budget > 0:
        fitted = _scaled(fitted, float(figures.budget) / mean_income)
        result = simulate(fitted, runs=runs, seed=seed)
    assert result.income_by_period is not None
    income = float(result.income.mean()) or 1.0
    pbr_share = float(result.outcome_income.mean()) / income
    wc = result.percentiles(result.working_capital)
    inc = result.percentiles(result.income)
    position = float(provider.reserves) + float(provider.share) * result.cash
    out = position < -0.005
    runs_out = out.any(axis=1)
    first = out.argmax(axis=1)[runs_out]
    period = result.periods[Counter(first.tolist()).most_common(1)[0][0]] if first.size else None
    mde = None
    assumptions = fitted.simulation
    assert assumptions is not None
    has_reoffending = any(isinstance(c, Reoffending) for c in fitted.components)
    if has_reoffending and figures.volume_expected > 0 and 0 < assumptions.baseline_rate < 1:
        mde = minimum_detectable_effect(
            float(assumptions.baseline_rate), figures.volume_expected
        ).minimum_detectable_effect
    warnings = tuple(
        problem.reason
        for problem in check(
            rule_pbr_share_for_cohort(pbr_share, mde, figures.volume_expected),
            rule_payments_within_budget(inc["p50"], figures.budget),
        )
    )
    return RiskPreview(
        name=spec.name,
        runs=runs,
        budget=figures.budget,
        provider=provider,
        probability_of_outcome_payment=result.probability_of_outcome_payment,
        probability_of_loss=result.probability_of_loss,
        probability_cash_runs_out=float(runs_out.mean()),
        cash_runs_out_period=period,
        working_capital_p50=wc["p50"],
        working_capital_p95=wc["p95"],
        income_p5=inc["p5"],
        income_p50=inc["p50"],
        income_p95=inc["p95"],
        pbr_share=pbr_share,
        minimum_detectable_effect=mde,
        warnings=warnings,
        periods=result.periods,
        income_bands=_band(np.cumsum(result.income_by_period, axis=1)),
        cash_bands=_band(position),
    )
