"""The cost-benefit method of HM Treasury (2014) guidance for local partnerships, worked by hand."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fullvalue.engine.cba import apportion, cost_benefit, sensitivity, validate_case


def case(numbers, *, costs=(1000, 1000, 1000), **outcome):
    """One council paying £1,000 a year for three years at 3.5%; one outcome line."""
    line = {
        "name": "Child kept out of care",
        "agency": "Council",
        "cashable": True,
        "fiscal": 400,
        "economic": 100,
        "social": 50,
        "deadweight": 0.25,
        "optimism_bias": 0.2,
        "numbers": numbers,
    } | outcome
    return validate_case(
        {
            "name": "Worked",
            "discount_rate": 0.035,
            "years": len(costs),
            "costs": [{"agency": "Council", "amounts": list(costs)}],
            "outcomes": [line],
        }
    )


def test_worked_example_that_never_pays_back():
    """£1,000 a year: PV = 1000 + 1000/1.035 + 1000/1.035² = 2,899.694... => £2,899.69.

    Fiscal benefit a year = n × 400 × (1 - 0.25) × (1 - 0.2) = 240n, so 240, 720, 1,200;
    PV = 240 + 720/1.035 + 1200/1.035² = 2,055.865... => £2,055.87. Economic is a quarter of
    that (£513.97), social an eighth (£256.98). Cumulative savings (240, 935.65, 2,055.87) never
    reach cumulative costs (1,000, 1,966.18, 2,899.69).
    """
    result = cost_benefit(case([1, 3, 5]))
    assert result.pv_costs == Decimal("2899.69")
    assert result.pv_fiscal == Decimal("2055.87")
    assert result.pv_economic == Decimal("513.97")
    assert result.pv_social == Decimal("256.98")
    assert result.fiscal_npv == Decimal("-843.82")
    assert result.public_value_npv == Decimal("-72.87")
    assert result.fiscal_roi == Decimal("0.71")  # 2,055.865 / 2,899.694 = 0.70899
    assert result.public_value_roi == Decimal("0.97")  # 2,826.81 / 2,899.69 = 0.97487
    assert result.payback_years is None
    assert result.by_agency[0].payback_years is None


def test_worked_example_that_pays_back_in_year_3():
    """With 10 outcomes in year 3 that year saves 2,400/1.035² = 2,240.43: cumulative 3,176.08.

    3,176.08 >= 2,899.69 by the end of year 3, and not before (935.65 < 1,966.18 at year 2).
    ROI 3,176.078 / 2,899.694 = 1.0953 => 1.10; public value 4,367.107 / 2,899.694 = 1.5061.
    """
    result = cost_benefit(case([1, 3, 10]))
    assert result.pv_fiscal == Decimal("3176.08")
    assert result.pv_economic == Decimal("794.02")
    assert result.pv_social == Decimal("397.01")
    assert result.fiscal_npv == Decimal("276.39")
    assert result.public_value_npv == Decimal("1467.42")
    assert result.fiscal_roi == Decimal("1.10")
    assert result.public_value_roi == Decimal("1.51")
    assert result.payback_years == 3
    council = result.by_agency[0]
    assert (council.pv_costs, council.pv_fiscal_benefits, council.pv_cashable_benefits) == (
        Decimal("2899.69"),
        Decimal("3176.08"),
        Decimal("3176.08"),
    )


def test_savings_reaching_costs_exactly_count_as_payback():
    """Year 1 is not discounted: 5 outcomes × 400 × 0.75 × 0.8 = £1,200 against £1,200 of costs."""
    assert cost_benefit(case([5], costs=[1200])).payback_years == 1


def test_non_cashable_savings_are_fiscal_but_not_cashable():
    result = cost_benefit(case([1, 3, 10], cashable=False))
    assert result.by_agency[0].pv_fiscal_benefits == Decimal("3176.08")
    assert result.by_agency[0].pv_cashable_benefits == Decimal("0.00")


def test_no_costs_gives_no_ratio():
    result = cost_benefit(case([1], costs=[0]))
    assert result.fiscal_roi is None and result.public_value_roi is None
    assert result.payback_years == 1


def test_apportion_keeps_the_whole():
    """Three parts of 0.4p make 1.2p: one penny, to the first of the equal remainders."""
    assert apportion([Decimal("0.004")] * 3) == [Decimal("0.01"), Decimal("0.00"), Decimal("0.00")]


@pytest.mark.parametrize(
    ("assumption", "direction"),
    [
        ("deadweight +0.1", -1),
        ("deadweight -0.1", 1),
        ("outcomes -25%", -1),
        ("optimism bias +0.1", -1),
    ],
)
def test_sensitivity_moves_returns_the_right_way(assumption, direction):
    base = cost_benefit(case([1, 3, 10]))
    moved = {s.assumption: s.result for s in sensitivity(case([1, 3, 10]))}[assumption]
    assert (moved.fiscal_roi - base.fiscal_roi) * direction > 0
    assert (moved.public_value_roi - base.public_value_roi) * direction > 0


def test_outcomes_cut_by_a_quarter_cut_benefits_by_a_quarter():
    """Benefits are linear in the numbers: 3,176.078 × 0.75 = 2,382.058 => £2,382.06."""
    moved = {s.assumption: s.result for s in sensitivity(case([1, 3, 10]))}["outcomes -25%"]
    assert moved.pv_fiscal == Decimal("2382.06")
    assert moved.pv_costs == Decimal("2899.69")


money = st.decimals(min_value=0, max_value=10_000_000, places=3, allow_nan=False)
proportion = st.decimals(min_value=0, max_value=1, places=3, allow_nan=False)
agency = st.sampled_from(["PCC", "Probation", "Council", "ICB", "DWP"])


@st.composite
def cases(draw):
    years = draw(st.integers(1, 6))
    yearly = st.lists(money, min_size=years, max_size=years)
    costs = draw(
        st.lists(
            st.fixed_dictionaries({"agency": agency, "amounts": yearly}), min_size=1, max_size=5
        )
    )
    outcomes = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "name": st.just("outcome"),
                    "agency": agency,
                    "cashable": st.booleans(),
                    "fiscal": money,
                    "economic": money,
                    "social": money,
                    "deadweight": proportion,
                    "optimism_bias": proportion,
                    "numbers": st.lists(
                        st.decimals(0, 500, places=2, allow_nan=False),
                        min_size=years,
                        max_size=years,
                    ),
                }
            ),
            max_size=6,
        )
    )
    rate = draw(st.decimals(min_value=0, max_value="0.2", places=4, allow_nan=False))
    return validate_case(
        {
            "name": "random",
            "years": years,
            "discount_rate": str(rate),
            "costs": [c | {"amounts": [str(a) for a in c["amounts"]]} for c in costs],
            "outcomes": [
                o
                | {k: str(o[k]) for k in ("fiscal", "economic", "social", "deadweight")}
                | {"optimism_bias": str(o["optimism_bias"])}
                | {"numbers": [str(n) for n in o["numbers"]]}
                for o in outcomes
            ],
        }
    )


@settings(max_examples=100, deadline=None)
@given(cases())
def test_agencies_add_up_to_the_totals(case):
    result = cost_benefit(case)
    parts = result.by_agency
    assert sum((a.pv_costs for a in parts), Decimal(0)) == result.pv_costs
    assert sum((a.pv_fiscal_benefits for a in parts), Decimal(0)) == result.pv_fiscal
    assert sum((a.pv_cashable_benefits for a in parts), Decimal(0)) == result.pv_cashable
    assert result.fiscal_npv == result.pv_fiscal - result.pv_costs
