from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fullvalue.engine.payments.allocation import allocate
from fullvalue.errors import FullvalueError


def test_capped_management_fee_then_shares():
    """£100,000 with a 15% fee capped at £10,000: fee £10,000 (not £15,000); the £90,000 left
    is split 40/60: £36,000 to the prime's delivery arm and £54,000 to the local charity."""
    allocation = allocate(
        Decimal("100000"),
        {"Prime": Decimal("0.4"), "Local": Decimal("0.6")},
        prime="Prime",
        management_fee_rate=Decimal("0.15"),
        management_fee_cap=Decimal("10000"),
    )
    assert allocation.management_fee == Decimal("10000.00")
    assert allocation.parts == {"Prime": Decimal("36000.00"), "Local": Decimal("54000.00")}
    assert allocation.received("Prime") == Decimal("46000.00")
    assert allocation.received("Local") == Decimal("54000.00")


def test_fee_below_cap_is_the_rate():
    """£10,000 at 10% with a £5,000 cap: fee £1,000; £9,000 shared equally in thirds:
    £3,000.00 each."""
    allocation = allocate(
        Decimal("10000"),
        {"A": Decimal(1) / 3, "B": Decimal(1) / 3, "C": 1 - 2 * (Decimal(1) / 3)},
        prime="A",
        management_fee_rate=Decimal("0.1"),
        management_fee_cap=Decimal("5000"),
    )
    assert allocation.management_fee == Decimal("1000.00")
    assert sum(allocation.parts.values()) == Decimal("9000.00")


def test_clawback_carries_no_fee():
    allocation = allocate(
        Decimal("-100.01"),
        {"A": Decimal("0.5"), "B": Decimal("0.5")},
        prime="A",
        management_fee_rate=Decimal("0.1"),
    )
    assert allocation.management_fee == Decimal("0.00")
    assert allocation.parts == {"A": Decimal("-50.01"), "B": Decimal("-50.00")}


def test_bad_shares_are_all_listed():
    with pytest.raises(FullvalueError) as caught:
        allocate(
            Decimal(100),
            {"A": Decimal("1.2"), "B": Decimal("0.3")},
            management_fee_rate=Decimal("1.5"),
            management_fee_cap=Decimal(-1),
        )
    locations = [p.location for p in caught.value.problems]
    assert locations == ["shares.A", "shares", "management_fee_rate", "management_fee_cap", "prime"]
    assert "150%" in str(caught.value) or "1.5" in str(caught.value)


shares_strategy = st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=8).filter(
    lambda xs: sum(xs) > 0
)


@given(
    total=st.decimals(min_value=-(10**8), max_value=10**8, places=2),
    raw=shares_strategy,
    rate=st.decimals(min_value=0, max_value=1, places=3),
    cap=st.one_of(st.none(), st.decimals(min_value=0, max_value=10**6, places=2)),
)
def test_flow_down_always_adds_up_to_the_payment(total, raw, rate, cap):
    """Whatever the payment, shares, fee rate and cap: fee + parts = payment, to the penny,
    and the fee never exceeds its cap or its rate."""
    weights = [Decimal(x) / sum(raw) for x in raw]
    weights[-1] = 1 - sum(weights[:-1])  # exact sum of 1
    shares = {f"member {i}": w for i, w in enumerate(weights)}
    allocation = allocate(
        total, shares, prime="member 0", management_fee_rate=rate, management_fee_cap=cap
    )
    assert allocation.management_fee + sum(allocation.parts.values()) == total
    assert allocation.management_fee >= 0
    if cap is not None:
        assert allocation.management_fee <= cap + Decimal("0.005")
    assert allocation.management_fee <= max(total, Decimal(0)) * rate + Decimal("0.005")
