"""The contract specification's rules, one worked example each (kept, then broken)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from fullvalue.engine.payments import rules

D = Decimal


@pytest.mark.parametrize(
    ("found", "location", "detail"),
    [
        (rules.money_is_not_negative(D("-0.01"), "price"), "price", "Here -0.01."),
        (rules.proportion_is_between_0_and_1(D("1.5"), "share"), "share", "Here 1.5."),
        (rules.count_is_positive(0, "cohort_size"), "cohort_size", "Here 0."),
        (rules.contract_has_components([]), "components", "no components are given"),
        (rules.names_are_unique(["a", "b", "a"], "periods"), "periods[2]", "'a' is used more"),
        (
            rules.period_ends_after_it_starts(date(2025, 2, 1), date(2025, 1, 31), "periods[0]"),
            "periods[0]",
            "ends on 31/01/2025, before it starts on 01/02/2025",
        ),
        (
            rules.periods_do_not_overlap(
                [
                    ("Q1", date(2025, 1, 1), date(2025, 3, 31)),
                    ("Q2", date(2025, 3, 31), date(2025, 6, 30)),
                ]
            ),
            "periods[1]",
            "starts on 31/03/2025, before period 'Q1' ends on 31/03/2025",
        ),
        (
            rules.shares_add_up_to_the_whole([D("0.6"), D("0.5")], "members"),
            "members",
            "the shares add up to 110%",
        ),
        (rules.volume_band_is_ordered(D("1.1"), D("0.9"), "volume"), "volume", "lower 1.1"),
        (
            rules.overall_hurdle_not_above_cohort_hurdle(D("0.075"), D("0.1"), "components[0]"),
            "components[0]",
            "overall hurdle 0.1 is above cohort hurdle 0.075",
        ),
        (
            rules.reoffending_has_a_way_to_pay(None, None, "components[0]"),
            "components[0]",
            "neither cohort_hurdle nor overall_hurdle",
        ),
        (
            rules.offsets_name_payment_components(["fee"], {"outcome"}, "offset_against"),
            "offset_against[0]",
            "'fee' is not an outcome",
        ),
        (
            rules.at_most_one_guaranteed_share(["components[0]", "components[3]"]),
            "components[3]",
            "a second guaranteed component",
        ),
        (rules.periods_are_known(["Q9"], {"Q1"}, "pay_in"), "pay_in[0]", "'Q9' is not one"),
        (rules.prime_is_a_member("Z", {"A"}, "prime"), "prime", "'Z' is not listed"),
        (rules.payment_group_prices_are_given(D(1), {"a": D(2)}, "c"), "c", "both price"),
    ],
)
def test_a_broken_rule_names_the_place_and_states_the_rule(found, location, detail):
    [problem] = found
    assert problem.location == location
    assert detail in problem.reason
    assert " Here " in problem.reason


@pytest.mark.parametrize(
    "found",
    [
        rules.money_is_not_negative(D(0), "price"),
        rules.proportion_is_between_0_and_1(D(1), "share"),
        rules.count_is_positive(1, "cohort_size"),
        rules.contract_has_components([object()]),
        rules.names_are_unique(["a", "b"], "periods"),
        rules.period_ends_after_it_starts(date(2025, 1, 1), date(2025, 1, 1), "periods[0]"),
        rules.periods_do_not_overlap(
            [
                ("Q1", date(2025, 1, 1), date(2025, 3, 31)),
                ("Q2", date(2025, 4, 1), date(2025, 6, 30)),
            ]
        ),
        rules.shares_add_up_to_the_whole([D("0.6"), D("0.4")], "members"),
        rules.volume_band_is_ordered(D("0.9"), D("1.1"), "volume"),
        rules.overall_hurdle_not_above_cohort_hurdle(D("0.1"), D("0.075"), "c"),
        rules.reoffending_has_a_way_to_pay(D(0), None, "c"),
        rules.offsets_name_payment_components(["outcome"], {"outcome"}, "o"),
        rules.at_most_one_guaranteed_share(["components[0]"]),
        rules.periods_are_known(["Q1"], {"Q1"}, "pay_in"),
        rules.prime_is_a_member("A", {"A"}, "prime"),
        rules.payment_group_prices_are_given(D(1), {}, "c"),
    ],
)
def test_a_kept_rule_finds_nothing(found):
    assert found == []


def test_the_message_starts_with_the_docstring():
    [problem] = rules.money_is_not_negative(D(-5), "components[0].price")
    assert problem.reason == (
        "An amount of money (a price, fee, cap or payment) cannot be negative. Here -5."
    )
