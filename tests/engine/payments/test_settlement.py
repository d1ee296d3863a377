from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fullvalue.engine.payments.settlement import settle
from fullvalue.engine.payments.spec import validate_spec
from fullvalue.errors import FullvalueError

PERIODS = [
    {"name": "Y1", "start": "2025-04-01", "end": "2026-03-31"},
    {"name": "Y2", "start": "2026-04-01", "end": "2027-03-31"},
]
COHORTS = [{"name": "1"}, {"name": "2"}]


def contract(*components, **extra):
    return validate_spec(
        {
            "contract": {"name": "Test"},
            "periods": PERIODS,
            "cohorts": COHORTS,
            "components": list(components),
            **extra,
        }
    )


def reoffending(**fields):
    return {"type": "reoffending", "name": "r", "price_per_unit": 1000, **fields}


def result(period, cohort, size, treated, comparison, p_value="", measure="reoffending_binary"):
    return {
        "period": period,
        "cohort": cohort,
        "measure": measure,
        "count": str(size),
        "treated": str(treated),
        "comparison": str(comparison),
        "p_value": str(p_value),
    }


def amounts(settlement):
    return [line.amount for line in settlement.lines]


def test_cohort_below_hurdle_pays_nothing_and_says_why():
    """Peterborough cohort 1: 142 vs 155 events per 100, reduction 13/155 = 8.39% < 10%: £0.00."""
    spec = contract(reoffending(measure="frequency", cohort_hurdle=0.10, overall_hurdle=0.075))
    s = settle(spec, [result("Y1", "1", 1000, "1.42", "1.55", measure="reoffending_frequency")])
    assert s.total_payable == Decimal("0.00")
    assert s.lines[0].reason.startswith(
        "cohort 1: reduction 8.4% is below the 10% cohort hurdle: £0.00"
    )


def test_cohort_meeting_hurdle_pays_per_unit_of_improvement():
    """Binary 40% vs 50% in 200 people: reduction 20% ≥ 10%; (0.50 - 0.40) × 200 = 20 fewer
    people reoffending × £1,000 = £20,000.00."""
    spec = contract(reoffending(cohort_hurdle=0.10))
    s = settle(spec, [result("Y1", "1", 200, "0.40", "0.50")])
    assert amounts(s) == [Decimal("20000.00")]
    assert "20 fewer people reoffending × £1,000.00 = £20,000.00" in s.lines[0].reason


def test_fractional_improvement_is_rounded_half_up_to_the_penny():
    """(0.5 - 0.49995) × 100 = 0.005 people × £1 = £0.005, rounded half-up to £0.01."""
    spec = contract(reoffending(cohort_hurdle=0, price_per_unit=1))
    s = settle(spec, [result("Y1", "1", 100, "0.49995", "0.5")])
    assert amounts(s) == [Decimal("0.01")]


def test_overall_hurdle_pays_net_of_cohort_payments():
    """Cohort 1 earns 12% ≥ 10%: (1.50 - 1.32) × 1000 = 180 × £1,000 = £180,000. Overall
    9% ≥ 7.5%: (1.50 - 1.365) × 2000 = 270 × £1,000 = £270,000, less the £180,000 already due:
    £90,000. Total £270,000: the cohort payment is not paid twice."""
    spec = contract(reoffending(measure="frequency", cohort_hurdle=0.10, overall_hurdle=0.075))
    rows = [
        result("Y1", "1", 1000, "1.32", "1.50", measure="reoffending_frequency"),
        result("Y2", "2", 1000, "1.41", "1.50", measure="reoffending_frequency"),
        result("Y2", "all", 2000, "1.365", "1.50", measure="reoffending_frequency"),
    ]
    s = settle(spec, rows)
    assert amounts(s) == [Decimal("180000.00"), Decimal("0.00"), Decimal("90000.00")]
    assert "less £180,000.00 due for single cohorts" in s.lines[2].reason
    assert s.total_payable == Decimal("270000.00")


def test_overall_result_below_hurdle():
    spec = contract(reoffending(measure="frequency", cohort_hurdle=0.10, overall_hurdle=0.075))
    s = settle(spec, [result("Y2", "all", 2000, "1.40", "1.50", measure="reoffending_frequency")])
    assert "reduction 6.7% is below the 7.5% overall hurdle: £0.00" in s.lines[0].reason


def test_significance_is_required_when_asked():
    """A 20% reduction with p = 0.08 is not significant at 0.05: £0.00; with p = 0.01: paid."""
    spec = contract(reoffending(cohort_hurdle=0.10, require_significance=True))
    s = settle(spec, [result("Y1", "1", 100, "0.4", "0.5", "0.08")])
    assert amounts(s) == [Decimal("0.00")]
    assert "not significant, p = 0.08 ≥ 0.05" in s.lines[0].reason
    s = settle(spec, [result("Y1", "1", 100, "0.4", "0.5", "0.01")])
    assert amounts(s) == [Decimal("10000.00")]


def test_significant_worsening_is_deducted_up_to_the_cohort_cap():
    """55% vs 50% in 1,000: 50 more people reoffending; p = 0.001 so a deduction of
    50 × £500 = £25,000, capped at the £20,000 cohort cap: -£20,000.00."""
    spec = contract(
        reoffending(
            cohort_hurdle=0,
            deduct_on_worsening=True,
            deduction_per_unit=500,
            require_significance=True,
            cap_per_cohort=20000,
        )
    )
    s = settle(spec, [result("Y1", "1", 1000, "0.55", "0.50", "0.001")])
    assert amounts(s) == [Decimal("-20000.00")]
    assert "deduction of 50 × £500.00 = -£25,000.00" in s.lines[0].reason
    s = settle(spec, [result("Y1", "1", 1000, "0.55", "0.50", "0.3")])
    assert amounts(s) == [Decimal("0.00")]
    assert "so no deduction" in s.lines[0].reason


def test_contract_cap_limits_the_running_total():
    """Two cohorts earn £20,000 each; the £30,000 cap leaves £10,000 for the second."""
    spec = contract(reoffending(cohort_hurdle=0.1, cap_total=30000))
    s = settle(
        spec, [result("Y1", "1", 200, "0.40", "0.50"), result("Y2", "2", 200, "0.40", "0.50")]
    )
    assert amounts(s) == [Decimal("20000.00"), Decimal("10000.00")]
    assert "limited by the £30,000.00 cap on r to £10,000.00" in s.lines[1].reason


def test_small_cohort_gets_a_grant_in_lieu():
    """72 women < the minimum of 100: the PbR payment is replaced by a £20,000 grant."""
    spec = contract(reoffending(cohort_hurdle=0.1, minimum_cohort_size=100, grant_in_lieu=20000))
    s = settle(spec, [result("Y1", "1", 72, "0.31", "0.43")])
    assert amounts(s) == [Decimal("20000.00")]
    assert "below the minimum cohort size of 100" in s.lines[0].reason


def test_volume_reconciliation_clawback_and_top_up():
    """Expected 100 a period, band 90-110, £50 a case: 80 cases -> clawback 10 × £50 = -£500;
    125 cases -> top-up 15 × £50 = £750."""
    spec = contract(
        {
            "type": "fee_for_service",
            "name": "fee",
            "amount": 10000,
            "volume": {
                "measure": "referrals",
                "expected": 100,
                "lower": 0.9,
                "upper": 1.1,
                "unit_price": 50,
            },
        }
    )
    s = settle(
        spec,
        [
            {"period": "Y1", "measure": "referrals", "count": "80"},
            {"period": "Y2", "measure": "referrals", "count": "125"},
        ],
    )
    assert amounts(s) == [
        Decimal("10000.00"),
        Decimal("-500.00"),
        Decimal("10000.00"),
        Decimal("750.00"),
    ]
    assert "below the predicted range 90 to 110" in s.lines[1].reason


def test_guaranteed_share_caps_outcome_payments_at_the_rest():
    """£100,000 contract, 70% guaranteed: £35,000 a year for two years; outcome payments capped
    at £30,000 in all. Outcomes earn 200 × £100 = £20,000 in each year: the second is cut to
    £10,000."""
    spec = contract(
        {"type": "guaranteed", "name": "g", "contract_value": 100000, "share": 0.7},
        {"type": "outcome", "name": "o", "measure": "outcomes", "price": 100},
    )
    s = settle(
        spec,
        [
            {"period": "Y1", "measure": "outcomes", "count": "200"},
            {"period": "Y2", "measure": "outcomes", "count": "200"},
        ],
    )
    assert amounts(s) == [
        Decimal("35000.00"),
        Decimal("20000.00"),
        Decimal("35000.00"),
        Decimal("10000.00"),
    ]
    assert s.total_payable == Decimal("100000.00")


def test_foundation_is_recovered_from_later_outcome_payments():
    """£1,000 up front each year; half of each outcome payment is withheld until recovered.
    Y1: 10 × £100 = £1,000 earned, £500 recovered (£500 left). Y2: another £1,000 up front
    (£1,500 outstanding); 40 × £100 = £4,000 earned, half is £2,000, so the £1,500 is recovered."""
    spec = contract(
        {"type": "outcome", "name": "o", "measure": "outcomes", "price": 100},
        {
            "type": "foundation",
            "name": "f",
            "amount": 1000,
            "offset_against": ["o"],
            "offset_rate": 0.5,
        },
    )
    s = settle(
        spec,
        [
            {"period": "Y1", "measure": "outcomes", "count": "10"},
            {"period": "Y2", "measure": "outcomes", "count": "40"},
        ],
    )
    offsets = [line.amount for line in s.lines if line.detail.startswith("recovered")]
    assert offsets == [Decimal("-500.00"), Decimal("-1500.00")]
    assert s.total_payable == Decimal("2000.00") + Decimal("5000.00") - Decimal("2000.00")


def test_nothing_is_paid_twice():
    """Settle, record the payable lines as paid, settle again: £0.00 payable."""
    spec = contract(
        reoffending(cohort_hurdle=0.1),
        {"type": "attachment", "name": "a", "price": 400},
    )
    rows = [
        result("Y1", "1", 200, "0.40", "0.50"),
        {"period": "Y1", "measure": "starts", "count": "12"},
    ]
    first = settle(spec, rows)
    ledger = [
        {
            "period": item.period,
            "cohort": item.cohort or "",
            "component": item.component,
            "amount": item.amount,
        }
        for item in first.lines
    ]
    again = settle(spec, rows, paid=ledger)
    assert first.total_payable == Decimal("24800.00")
    assert again.total_payable == Decimal("0.00")
    assert again.total_paid == first.total_due
    assert "already paid" in again.lines[0].reason


def test_overpayment_is_recovered_and_unknown_keys_shown():
    spec = contract({"type": "attachment", "name": "a", "price": 400})
    s = settle(
        spec,
        [{"period": "Y1", "measure": "starts", "count": "1"}],
        paid={("Y1", "", "a"): Decimal("500"), ("Y2", "", "a"): Decimal("50")},
    )
    assert amounts(s) == [Decimal("-100.00"), Decimal("-50.00")]
    assert "to be recovered" in s.lines[0].reason
    assert "nothing is due" in s.lines[1].reason
    assert s.total_payable == Decimal("-150.00")


@settings(max_examples=60, deadline=None)
@given(
    counts=st.lists(st.integers(min_value=0, max_value=10_000), min_size=2, max_size=2),
    paid=st.lists(
        st.decimals(min_value=-(10**6), max_value=10**7, places=2), min_size=2, max_size=2
    ),
    treated=st.decimals(min_value=0, max_value=1, places=3),
)
def test_payable_is_due_less_paid_and_settling_twice_pays_nothing(counts, paid, treated):
    spec = contract(
        {"type": "outcome", "name": "o", "measure": "outcomes", "price": "123.45"},
        reoffending(cohort_hurdle=0.05, cap_per_cohort=50000, price_per_unit="333.33"),
    )
    rows = [
        {"period": "Y1", "measure": "outcomes", "count": str(counts[0])},
        {"period": "Y2", "measure": "outcomes", "count": str(counts[1])},
        result("Y2", "2", 777, treated, "0.5"),
    ]
    ledger = {("Y1", "", "o"): paid[0], ("Y2", "2", "r"): paid[1]}
    s = settle(spec, rows, paid=ledger)
    assert s.total_payable == s.total_due - s.total_paid
    assert s.total_payable == sum(line.amount for line in s.lines)
    assert s.total_paid == sum(paid)
    first = settle(spec, rows)
    full_ledger = {}
    for line in first.lines:
        key = (line.period, line.cohort or "", line.component)
        full_ledger[key] = full_ledger.get(key, Decimal(0)) + line.amount
    again = settle(spec, rows, paid=full_ledger)
    assert again.total_payable == 0
    assert all(line.amount == 0 for line in again.lines)


def test_supply_chain_allocation_of_the_payable_total():
    spec = contract(
        {"type": "attachment", "name": "a", "price": "100.01"},
        supply_chain={
            "prime": "P",
            "management_fee_rate": 0.1,
            "management_fee_cap": 5,
            "members": [{"name": "P", "share": 0.5}, {"name": "S", "share": 0.5}],
        },
    )
    s = settle(spec, [{"period": "Y1", "measure": "starts", "count": "1"}])
    assert s.allocation is not None
    assert s.allocation.management_fee == Decimal("5.00")
    assert sum(s.allocation.parts.values()) + s.allocation.management_fee == Decimal("100.01")


@pytest.mark.parametrize("amount", ["4800", "4,800.00"])
def test_json_shape(amount):
    spec = contract({"type": "attachment", "name": "a", "price": 400})
    data = settle(
        spec,
        [{"period": "Y1", "measure": "starts", "count": "12"}],
        paid=[{"period": "Y1", "cohort": "", "component": "a", "amount": amount}],
    ).as_dict()
    line = data["lines"][0]
    assert set(line) >= {"period", "cohort", "component", "amount", "reason"}
    assert line["amount"] == "0.00" and line["cohort"] is None
    assert data["total_payable"] == "0.00"


def test_a_paid_mapping_is_checked_like_a_file():
    spec = contract({"type": "attachment", "name": "a", "price": 400})
    with pytest.raises(FullvalueError) as caught:
        settle(
            spec,
            [{"period": "Y1", "measure": "starts", "count": "1"}],
            paid={("Y9", "", "bonus"): Decimal("5")},
        )
    assert {p.column for p in caught.value.problems} == {"period", "component"}
