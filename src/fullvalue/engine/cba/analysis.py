"""Cost-benefit analysis of a community budget's business case (HM Treasury / New Economy method).

Figures are worked out exactly in Decimal and rounded half-up to the penny only at the end; each
agency's share of a total is apportioned so that the agencies' pennies add up exactly to the
rounded total (see :func:`apportion`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, localcontext
from typing import Any

from fullvalue.engine.cba.case import Case, Outcome

PENNY = Decimal("0.01")
RATIO = Decimal("0.01")
#: Digits kept while working; far more than a penny on any public budget needs.
PRECISION = 40


@dataclass(frozen=True)
class AgencyFigures:
    """What one agency puts in and gets back, present values in GBP to the penny.

    ``payback_years`` is the first year by whose end the agency's cumulative discounted fiscal
    benefits reach its cumulative discounted costs, or None if that never happens in the horizon.
    """

    agency: str
    pv_costs: Decimal
    pv_fiscal_benefits: Decimal
    pv_cashable_benefits: Decimal
    payback_years: int | None


@dataclass(frozen=True)
class CbaResult:
    """The headline figures of a business case (GBP to the penny; ROIs to two places).

    ``fiscal_roi`` and ``public_value_roi`` are None when there are no costs; ``pv_cashable`` is
    the total the agencies' ``pv_cashable_benefits`` add up to.
    """

    name: str
    pv_costs: Decimal
    pv_fiscal: Decimal
    pv_economic: Decimal
    pv_social: Decimal
    pv_cashable: Decimal
    fiscal_npv: Decimal
    public_value_npv: Decimal
    fiscal_roi: Decimal | None
    public_value_roi: Decimal | None
    payback_years: int | None
    by_agency: tuple[AgencyFigures, ...]

    def headline(self) -> dict[str, Any]:
        """Return the headline figures as JSON-ready data (money as decimal strings)."""
        return {
            "pv_costs": f"{self.pv_costs:.2f}",
            "pv_fiscal": f"{self.pv_fiscal:.2f}",
            "pv_economic": f"{self.pv_economic:.2f}",
            "pv_social": f"{self.pv_social:.2f}",
            "fiscal_npv": f"{self.fiscal_npv:.2f}",
            "public_value_npv": f"{self.public_value_npv:.2f}",
            "fiscal_roi": None if self.fiscal_roi is None else f"{self.fiscal_roi:.2f}",
            "public_value_roi": (
                None if self.public_value_roi is None else f"{self.public_value_roi:.2f}"
            ),
            "payback_years": self.payback_years,
        }

    def as_dict(self) -> dict[str, Any]:
        """Return the headline figures and the figures per agency as JSON-ready data."""
        return {
            "name": self.name,
            **self.headline(),
            "by_agency": [
                {
                    "agency": a.agency,
                    "pv_costs": f"{a.pv_costs:.2f}",
                    "pv_fiscal_benefits": f"{a.pv_fiscal_benefits:.2f}",
                    "pv_cashable_benefits": f"{a.pv_cashable_benefits:.2f}",
                    "payback_years": a.payback_years,
                }
                for a in self.by_agency
            ],
        }


@dataclass(frozen=True)
class Scenario:
    """The figures again with one assumption moved (``assumption`` says which way)."""

    assumption: str
    result: CbaResult


def discount_factor(rate: Decimal, year: int) -> Decimal:
    """Return the factor that brings an amount in ``year`` (1-based) to present value.

    Parameters
    ----------
    rate : Decimal
        Discount rate, a proportion (0.035 is 3.5% a year).
    year : int
        Year of the case, 1 for the first (which is not discounted).

    Notes
    -----
    .. math:: d_t = (1 + r)^{-(t - 1)}

    References
    ----------
    HM Treasury (2014), *Supporting public service transformation: cost benefit analysis
    guidance for local partnerships*, section 5 (discounting at the Green Book rate).

    Examples
    --------
    >>> discount_factor(Decimal("0.1"), 1), discount_factor(Decimal("0.25"), 3)
    (Decimal('1'), Decimal('0.64'))
    """
    with localcontext() as ctx:
        ctx.prec = PRECISION
        return +(1 / (1 + rate) ** (year - 1))


def outcome_benefits(outcome: Outcome, year: int, kind: str) -> Decimal:
    r"""Return an outcome line's benefit of one ``kind`` in ``year`` (1-based), undiscounted, GBP.

    Notes
    -----
    For outcome line :math:`o` in year :math:`t`, with :math:`n_{o,t}` outcomes, unit value
    :math:`v_o` (fiscal, economic or social), deadweight :math:`w_o` and optimism bias
    :math:`b_o`:

    .. math:: B_{o,t} = n_{o,t} \, v_o \, (1 - w_o) \, (1 - b_o)

    References
    ----------
    HM Treasury (2014), *Supporting public service transformation: cost benefit analysis
    guidance for local partnerships*, sections 4 (deadweight) and 6 (optimism bias).

    Examples
    --------
    10 jobs a year at £9,800 fiscal, 20% deadweight, 10% optimism bias:
    10 × 9,800 × 0.8 × 0.9 = £70,560.

    >>> from fullvalue.engine.cba.case import Outcome
    >>> job = Outcome("Job", "DWP", True, Decimal(9800), Decimal(0), Decimal(0),
    ...               Decimal("0.2"), Decimal("0.1"), (Decimal(10),))
    >>> outcome_benefits(job, 1, "fiscal")
    Decimal('70560.00')
    """
    value: Decimal = getattr(outcome, kind)
    return (
        outcome.numbers[year - 1] * value * (1 - outcome.deadweight) * (1 - outcome.optimism_bias)
    )


def apportion(parts: Sequence[Decimal]) -> list[Decimal]:
    r"""Round exact parts to the penny so that they add up to their rounded total.

    Parameters
    ----------
    parts : sequence of Decimal
        Exact amounts in GBP (any sign) whose sum is the whole.

    Returns
    -------
    list of Decimal
        Whole pennies, one per part, summing exactly to the whole rounded half-up to the penny.

    Notes
    -----
    The largest remainder (Hamilton) method on signed amounts: each part is first rounded down
    to the penny, :math:`f_i = \lfloor 100 p_i \rfloor`; the
    :math:`\operatorname{round}(100 \sum p_i) - \sum f_i` pennies left (between 0 and the
    number of parts) go one each to the parts with the largest remainders
    :math:`100 p_i - f_i`, ties to the earlier part.

    References
    ----------
    Balinski, M. L. and Young, H. P. (2001). *Fair Representation*, 2nd ed., ch. 2.

    Examples
    --------
    >>> apportion([Decimal("0.004"), Decimal("0.004"), Decimal("0.004")])
    [Decimal('0.01'), Decimal('0.00'), Decimal('0.00')]

    A saving of £10.005 and a dis-saving of £3.333 make £6.672, £6.67 to the penny; rounded down
    they are 1000 and -334 pennies, and the one penny left goes to the larger remainder (0.7):

    >>> apportion([Decimal("10.005"), Decimal("-3.333")])
    [Decimal('10.00'), Decimal('-3.33')]
    """
    with localcontext() as ctx:
        ctx.prec = PRECISION
        scaled = [p * 100 for p in parts]
        floors = [s.to_integral_value(rounding=ROUND_FLOOR) for s in scaled]
        whole = sum(scaled, Decimal(0)).to_integral_value(rounding=ROUND_HALF_UP)
        left_over = int(whole - sum(floors, Decimal(0)))
        order = sorted(range(len(parts)), key=lambda i: (-(scaled[i] - floors[i]), i))
        for i in order[:left_over]:
            floors[i] += 1
        return [(f / 100).quantize(PENNY) for f in floors]


def _payback(costs: Sequence[Decimal], benefits: Sequence[Decimal]) -> int | None:
    spent = received = Decimal(0)
    for year, (cost, benefit) in enumerate(zip(costs, benefits, strict=True), start=1):
        spent += cost
        received += benefit
        if received >= spent:
            return year
    return None


def _ratio(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    if denominator == 0:
        return None
    return (numerator / denominator).quantize(RATIO, rounding=ROUND_HALF_UP)


def cost_benefit(case: Case) -> CbaResult:
    r"""Work out the present values, returns, payback and who pays and who benefits.

    Parameters
    ----------
    case : Case
        The business case: costs in GBP per agency per year; outcome lines with unit values in
        GBP, deadweight and optimism bias (proportions 0-1) and numbers per year.

    Returns
    -------
    CbaResult
        Present values in GBP rounded half-up to the penny, ROIs to two decimal places, the
        payback year and the figures per agency (which add up exactly to the totals).

    Notes
    -----
    With :math:`d_t = (1 + r)^{-(t-1)}`, costs :math:`C_{a,t}` paid by agency :math:`a` and
    benefits :math:`B^k_{o,t}` of kind :math:`k` (see :func:`outcome_benefits`):

    .. math::

        PV_C = \sum_{a,t} d_t C_{a,t}, \qquad PV_k = \sum_{o,t} d_t B^k_{o,t}

        ROI_{fiscal} = PV_{fiscal} / PV_C, \qquad
        ROI_{public} = (PV_{fiscal} + PV_{economic} + PV_{social}) / PV_C

        NPV_{fiscal} = PV_{fiscal} - PV_C, \qquad
        NPV_{public} = PV_{fiscal} + PV_{economic} + PV_{social} - PV_C

    Payback is the least :math:`T` with
    :math:`\sum_{t \le T} d_t B^{fiscal}_t \ge \sum_{t \le T} d_t C_t` (None if none
    within the horizon); an agency's payback compares the fiscal benefits falling in its budget
    with its own costs. The PVs are rounded half-up to the penny from their exact values and the
    NPVs are the differences of the rounded PVs, so the published figures reconcile; ratios and
    paybacks use the exact values. Agency figures are apportioned with :func:`apportion`.

    References
    ----------
    HM Treasury, Public Service Transformation Network and New Economy (2014), *Supporting
    public service transformation: cost benefit analysis guidance for local partnerships*
    (supplementary Green Book guidance).

    Examples
    --------
    Two years at 10%: the council pays £1,000 in year 1; 2 jobs a year save the DWP £500 each
    after 20% deadweight and 10% optimism bias: 2 × 500 × 0.8 × 0.9 = £720 a year, so
    PV fiscal = 720 + 720 / 1.1 = £1,374.55, paying back in year 2.

    >>> from fullvalue.engine.cba.case import validate_case
    >>> case = validate_case({"name": "Demo", "years": 2, "discount_rate": 0.1,
    ...     "costs": [{"agency": "Council", "amounts": [1000, 0]}],
    ...     "outcomes": [{"name": "Job", "agency": "DWP", "cashable": True, "fiscal": 500,
    ...                   "economic": 100, "social": 0, "deadweight": 0.2,
    ...                   "optimism_bias": 0.1, "numbers": [2, 2]}]})
    >>> result = cost_benefit(case)
    >>> result.pv_costs, result.pv_fiscal, result.pv_economic, result.fiscal_npv
    (Decimal('1000.00'), Decimal('1374.55'), Decimal('274.91'), Decimal('374.55'))
    >>> result.fiscal_roi, result.public_value_roi, result.payback_years
    (Decimal('1.37'), Decimal('1.65'), 2)
    >>> for a in result.by_agency:
    ...     print(a.agency, a.pv_costs, a.pv_fiscal_benefits, a.payback_years)
    Council 1000.00 0.00 None
    DWP 0.00 1374.55 1
    """
    with localcontext() as ctx:
        ctx.prec = PRECISION
        years = range(1, case.years + 1)
        factors = [discount_factor(case.discount_rate, t) for t in years]
        agencies = case.agencies
        zero = [Decimal(0)] * case.years
        costs = {a: list(zero) for a in agencies}
        fiscal = {a: list(zero) for a in agencies}
        cashable = {a: list(zero) for a in agencies}
        pv = {"economic": Decimal(0), "social": Decimal(0)}
        for cost in case.costs:
            for i, amount in enumerate(cost.amounts):
                costs[cost.agency][i] += amount * factors[i]
        for outcome in case.outcomes:
            for i, t in enumerate(years):
                saving = outcome_benefits(outcome, t, "fiscal") * factors[i]
                fiscal[outcome.agency][i] += saving
                if outcome.cashable:
                    cashable[outcome.agency][i] += saving
                for kind in pv:
                    pv[kind] += outcome_benefits(outcome, t, kind) * factors[i]
        agency_costs = [sum(costs[a], Decimal(0)) for a in agencies]
        agency_fiscal = [sum(fiscal[a], Decimal(0)) for a in agencies]
        agency_cashable = [sum(cashable[a], Decimal(0)) for a in agencies]
        exact_costs = sum(agency_costs, Decimal(0))
        exact_fiscal = sum(agency_fiscal, Decimal(0))
        exact_public = exact_fiscal + pv["economic"] + pv["social"]
        by_agency = tuple(
            AgencyFigures(a, c, f, k, _payback(costs[a], fiscal[a]))
            for a, c, f, k in zip(
                agencies,
                apportion(agency_costs),
                apportion(agency_fiscal),
                apportion(agency_cashable),
                strict=True,
            )
        )
        totals = [
            sum((column[t] for column in costs.values()), Decimal(0)) for t in range(case.years)
        ]
        savings = [
            sum((column[t] for column in fiscal.values()), Decimal(0)) for t in range(case.years)
        ]
        pv_costs = _penny(exact_costs)
        pv_fiscal = _penny(exact_fiscal)
        pv_economic = _penny(pv["economic"])
        pv_social = _penny(pv["social"])
        return CbaResult(
            name=case.name,
            pv_costs=pv_costs,
            pv_fiscal=pv_fiscal,
            pv_economic=pv_economic,
            pv_social=pv_social,
            pv_cashable=_penny(sum(agency_cashable, Decimal(0))),
            fiscal_npv=pv_fiscal - pv_costs,
            public_value_npv=pv_fiscal + pv_economic + pv_social - pv_costs,
            fiscal_roi=_ratio(exact_fiscal, exact_costs),
            public_value_roi=_ratio(exact_public, exact_costs),
            payback_years=_payback(totals, savings),
            by_agency=by_agency,
        )


def _penny(amount: Decimal) -> Decimal:
    return amount.quantize(PENNY, rounding=ROUND_HALF_UP)


def _moved(value: Decimal, by: Decimal) -> Decimal:
    return min(Decimal(1), max(Decimal(0), value + by))


#: Each sensitivity test: what it says, and how it changes one outcome line.
SENSITIVITY_TESTS: tuple[tuple[str, Callable[[Outcome], Outcome]], ...] = (
    (
        "deadweight +0.1",
        lambda o: replace(o, deadweight=_moved(o.deadweight, Decimal("0.1"))),
    ),
    (
        "deadweight -0.1",
        lambda o: replace(o, deadweight=_moved(o.deadweight, Decimal("-0.1"))),
    ),
    (
        "outcomes -25%",
        lambda o: replace(o, numbers=tuple(n * Decimal("0.75") for n in o.numbers)),
    ),
    (
        "optimism bias +0.1",
        lambda o: replace(o, optimism_bias=_moved(o.optimism_bias, Decimal("0.1"))),
    ),
)


def sensitivity(case: Case) -> tuple[Scenario, ...]:
    """Work out the figures again with each assumption moved, one at a time.

    Notes
    -----
    Deadweight is moved up and down by 0.1, the numbers of outcomes cut by 25% and optimism bias
    raised by 0.1 (about one confidence grade), for every outcome line at once; proportions are
    kept within 0-1.

    References
    ----------
    HM Treasury (2014), *Supporting public service transformation: cost benefit analysis
    guidance for local partnerships*, section 7 (sensitivity analysis).

    Examples
    --------
    >>> from fullvalue.engine.cba.case import validate_case
    >>> case = validate_case({"name": "Demo", "years": 1,
    ...     "costs": [{"agency": "Council", "amounts": [1000]}],
    ...     "outcomes": [{"name": "Job", "agency": "DWP", "cashable": True, "fiscal": 1000,
    ...                   "economic": 0, "social": 0, "deadweight": 0.2,
    ...                   "optimism_bias": 0, "numbers": [2]}]})
    >>> [(s.assumption, s.result.fiscal_roi) for s in sensitivity(case)]
    [('deadweight +0.1', Decimal('1.40')), ('deadweight -0.1', Decimal('1.80')), \
('outcomes -25%', Decimal('1.20')), ('optimism bias +0.1', Decimal('1.44'))]
    """
    return tuple(
        Scenario(name, cost_benefit(replace(case, outcomes=tuple(map(move, case.outcomes)))))
        for name, move in SENSITIVITY_TESTS
    )
