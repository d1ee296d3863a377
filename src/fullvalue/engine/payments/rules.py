"""Business rules a contract specification must keep, one small named unit each.

Each rule has the one shape of :mod:`fullvalue.rules`: its docstring (first paragraph) is the text
shown to the user when the rule is broken, and it yields a :class:`~fullvalue.rules.Breach` (what
is wrong, and where) for each place it is broken. Field rules look at one value; contract rules
look across fields. :func:`fullvalue.engine.payments.spec.validate_spec` runs them all and reports
every breach together.

Examples
--------
>>> [p.reason for p in money_is_not_negative(Decimal("-5"), "components[0].price")]
['An amount of money (a price, fee, cap or payment) cannot be negative. Here -5.']
>>> money_is_not_negative(Decimal("5"), "components[0].price")
[]
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from datetime import date
from decimal import Decimal

from fullvalue.rules import Breach, rule

# --- field rules -----------------------------------------------------------------------------


@rule
def money_is_not_negative(value: Decimal, where: str) -> Iterator[Breach]:
    """An amount of money (a price, fee, cap or payment) cannot be negative.

    Deductions and clawbacks are worked out by the engine; the specification states them as
    positive prices.
    """
    if value < 0:
        yield Breach(f"{value}", where)


@rule
def proportion_is_between_0_and_1(value: Decimal, where: str) -> Iterator[Breach]:
    """A proportion (a hurdle, share, rate or significance level) must be between 0 and 1.

    Write 10% as 0.10.
    """
    if not Decimal(0) <= value <= Decimal(1):
        yield Breach(f"{value}", where)


@rule
def count_is_positive(value: int, where: str) -> Iterator[Breach]:
    """A count (a cohort size, a number of payments or an expected volume) must be at least 1."""
    if value < 1:
        yield Breach(f"{value}", where)


# --- contract rules --------------------------------------------------------------------------


@rule
def contract_has_components(components: Sequence[object]) -> Iterator[Breach]:
    """A contract needs at least one payment component."""
    if not components:
        yield Breach("no components are given", "components")


@rule
def names_are_unique(names: Sequence[str], where: str) -> Iterator[Breach]:
    """Each component, period and cohort needs a name of its own."""
    seen: set[str] = set()
    for index, name in enumerate(names):
        if name in seen:
            yield Breach(f"{name!r} is used more than once", f"{where}[{index}]")
        seen.add(name)


@rule
def period_ends_after_it_starts(start: date, end: date, where: str) -> Iterator[Breach]:
    """A period ends on or after the day it starts."""
    if end < start:
        yield Breach(f"it ends on {end:%d/%m/%Y}, before it starts on {start:%d/%m/%Y}", where)


@rule
def periods_do_not_overlap(periods: Sequence[tuple[str, date, date]]) -> Iterator[Breach]:
    """Settlement periods cannot overlap: each day belongs to at most one period."""
    ordered = sorted(enumerate(periods), key=lambda item: item[1][1])
    for (_, previous), (index, current) in itertools.pairwise(ordered):
        if current[1] <= previous[2]:
            yield Breach(
                f"period {current[0]!r} starts on {current[1]:%d/%m/%Y}, "
                f"before period {previous[0]!r} ends on {previous[2]:%d/%m/%Y}",
                f"periods[{index}]",
            )


@rule
def shares_add_up_to_the_whole(shares: Sequence[Decimal], where: str) -> Iterator[Breach]:
    """Supply-chain shares must add up to exactly 100% (1.0): no more, no less."""
    total = sum(shares, Decimal(0))
    if shares and total != 1:
        yield Breach(f"the shares add up to {(total * 100).normalize():f}%", where)


@rule
def volume_band_is_ordered(lower: Decimal, upper: Decimal, where: str) -> Iterator[Breach]:
    """The lower end of a volume band cannot be above its upper end."""
    if lower > upper:
        yield Breach(f"lower {lower} is above upper {upper}", where)


@rule
def overall_hurdle_not_above_cohort_hurdle(
    cohort_hurdle: Decimal | None, overall_hurdle: Decimal | None, where: str
) -> Iterator[Breach]:
    """A hurdle over all cohorts cannot be higher than the hurdle for a single cohort.

    Peterborough: 10% in one cohort, or 7.5% over all cohorts.
    """
    if cohort_hurdle is not None and overall_hurdle is not None and overall_hurdle > cohort_hurdle:
        yield Breach(
            f"overall hurdle {overall_hurdle} is above cohort hurdle {cohort_hurdle}", where
        )


@rule
def reoffending_has_a_way_to_pay(
    cohort_hurdle: Decimal | None, overall_hurdle: Decimal | None, where: str
) -> Iterator[Breach]:
    """A reoffending component needs a cohort hurdle, an overall hurdle, or both.

    Use 0 for "any improvement pays".
    """
    if cohort_hurdle is None and overall_hurdle is None:
        yield Breach("neither cohort_hurdle nor overall_hurdle is given", where)


@rule
def offsets_name_payment_components(
    offset_against: Sequence[str], outcome_names: set[str], where: str
) -> Iterator[Breach]:
    """A foundation payment can only be recovered from outcome or reoffending components."""
    for index, name in enumerate(offset_against):
        if name not in outcome_names:
            yield Breach(
                f"{name!r} is not an outcome or reoffending component", f"{where}[{index}]"
            )


@rule
def at_most_one_guaranteed_share(where: Sequence[str]) -> Iterator[Breach]:
    """A contract has at most one guaranteed share of its value."""
    for location in where[1:]:
        yield Breach("a second guaranteed component is given", location)


@rule
def periods_are_known(names: Sequence[str], known: set[str], where: str) -> Iterator[Breach]:
    """A component can only name periods the contract defines."""
    for index, name in enumerate(names):
        if name not in known:
            yield Breach(f"{name!r} is not one of the contract's periods", f"{where}[{index}]")


@rule
def prime_is_a_member(prime: str, members: set[str], where: str) -> Iterator[Breach]:
    """The prime contractor must be one of the supply-chain members."""
    if prime not in members:
        yield Breach(f"{prime!r} is not listed in supply_chain.members", where)


@rule
def payment_group_prices_are_given(
    price: Decimal | None, prices: dict[str, Decimal], where: str
) -> Iterator[Breach]:
    """A tariff needs either one price, or a price for each payment group, not both."""
    if price is None and not prices:
        yield Breach("neither price nor prices is given", where)
    elif price is not None and prices:
        yield Breach("both price and prices are given", where)
