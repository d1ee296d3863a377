from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fullvalue.engine.payments.money import (
    allocate_largest_remainder,
    format_gbp,
    format_percent,
    parse_money,
    round_half_up,
    to_pennies,
)


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("0.005", "0.01"),
        ("0.004999", "0.00"),
        ("2.345", "2.35"),
        ("-2.345", "-2.35"),
        ("100.8", "100.80"),
    ],
)
def test_round_half_up_to_the_penny(amount, expected):
    """Half a penny rounds away from zero: 2.345 -> 2.35 (banker's rounding would give 2.34)."""
    assert round_half_up(Decimal(amount)) == Decimal(expected)


def test_pennies_round_trip():
    assert to_pennies("12.345") == 1235
    assert to_pennies(Decimal("-0.015")) == -2


def test_thirds_of_one_hundred_pounds():
    """£100 in three equal shares: 3333.33... pennies each, the spare penny to the first: £33.34."""
    parts = allocate_largest_remainder(Decimal("100"), [Decimal(1)] * 3)
    assert parts == [Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]


def test_largest_remainder_not_first_come():
    """£1 at 0.335/0.335/0.33: quotas 33.5, 33.5, 33 pennies; the two .5 remainders get a penny."""
    parts = allocate_largest_remainder(
        Decimal("1.00"), [Decimal("0.335"), Decimal("0.335"), Decimal("0.33")]
    )
    assert parts == [Decimal("0.34"), Decimal("0.33"), Decimal("0.33")]
    assert sum(parts) == Decimal("1.00")


def test_allocation_rejects_bad_weights():
    with pytest.raises(ValueError):
        allocate_largest_remainder(Decimal(1), [])
    with pytest.raises(ValueError):
        allocate_largest_remainder(Decimal(1), [Decimal(-1), Decimal(2)])
    with pytest.raises(ValueError):
        allocate_largest_remainder(Decimal(1), [Decimal(0)])


@given(
    total=st.decimals(min_value=-(10**9), max_value=10**9, places=2),
    weights=st.lists(
        st.decimals(min_value=0, max_value=1000, places=4), min_size=1, max_size=12
    ).filter(lambda ws: sum(ws) > 0),
)
def test_parts_always_add_up_to_the_whole(total, weights):
    parts = allocate_largest_remainder(total, weights)
    assert sum(parts) == total
    assert all(p == p.quantize(Decimal("0.01")) for p in parts)
    # no part is more than a penny away from its exact quota
    weight_sum = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        assert abs(part - total * weight / weight_sum) < Decimal("0.01")


def test_formatting():
    assert format_gbp(Decimal("6075000")) == "£6,075,000.00"
    assert format_gbp(Decimal("-250000")) == "-£250,000.00"
    assert format_percent(Decimal("0.0750")) == "7.5%"
    assert format_percent(Decimal("0.09"), trim=False) == "9.0%"
    assert parse_money("£1,200") == Decimal(1200)
    with pytest.raises(ValueError):
        parse_money("twelve")
