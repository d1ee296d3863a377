"""Business rules a contract specification must keep, one small named unit each.

Each rule's docstring (its first paragraph) is the text shown to the user when the rule is broken;
the location of the offending field is added by the caller. Field rules take one value and say
whether it is acceptable; contract rules look across fields and yield ``(location, detail)`` for
each breach. :func:`fullvalue.engine.payments.spec.validate_spec` runs them all and reports every
breach together.
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from decimal import Decimal
from typing import Protocol

Breach = tuple[str, str]


def rule_text(rule: Callable[..., object]) -> str:
    """Return the user-facing text of a rule: the first paragraph of its docstring.

    Examples
    --------
    >>> rule_text(money_is_not_negative)
    'An amount of money (a price, fee, cap or payment) cannot be negative.'

    """
    doc = inspect.getdoc(rule) or rule.__name__
    return " ".join(doc.split("\n\n")[0].split())


# --- field rules -----------------------------------------------------------------------------


def money_is_not_negative(value: Decimal) -> bool:
    """An amount of money (a price, fee, cap or payment) cannot be negative.

    Deductions and clawbacks are worked out by the engine; the specification states them as
    positive prices.
    """
    return value >= 0


def proportion_is_between_0_and_1(value: Decimal) -> bool:
    """A proportion (a hurdle, share, rate or significance level) must be between 0 and 1.

    Write 10% as 0.10.
    """
    return Decimal(0) <= value <= Decimal(1)


def count_is_positive(value: int) -> bool:
    """A count (a cohort size, a number of payments or an expected volume) must be at least 1."""
    return value >= 1


# --- contract rules --------------------------------------------------------------------------


class _Named(Protocol):
    @property
    def name(self) -> str: ...


def contract_has_components(components: Sequence[object]) -> Iterator[Breach]:
    """A contract needs at least one payment component."""
    if not components:
        yield "components", "no components are given"


def names_are_unique(names: Sequence[str], where: str) -> Iterator[Breach]:
    """Each component, period and cohort needs a name of its own."""
    seen: set[str] = set()
    for index, name in enumerate(names):
        if name in seen:
            yield f"{where}[{index}]", f"{name!r} is used more than once"
        seen.add(name)


def period_ends_after_it_starts(start: date, end: date, where: str) -> Iterator[Breach]:
    """A period ends on or after the day it starts."""
    if end < start:
        yield where, f"it ends on {end:%d/%m/%Y}, before it starts on {start:%d/%m/%Y}"


def periods_do_not_overlap(periods: Sequence[tuple[str, date, date]]) -> Iterator[Breach]:
    """Settlement periods cannot overlap: each day belongs to at most one period."""
    ordered = sorted(enumerate(periods), key=lambda item: item[1][1])
    for (_, previous), (index, current) in itertools.pairwise(ordered):
        if current[1] <= previous[2]:
            yield (
                f"periods[{index}]",
                f"period {current[0]!r} starts on {current[1]:%d/%m/%Y}, "
                f"before period {previous[0]!r} ends on {previous[2]:%d/%m/%Y}",
            )


def shares_add_up_to_the_whole(shares: Sequence[Decimal], where: str) -> Iterator[Breach]:
    """Supply-chain shares must add up to exactly 100% (1.0): no more, no less."""
    total = sum(shares, Decimal(0))
    if shares and total != 1:
        yield where, f"the shares add up to {(total * 100).normalize():f}%"


def volume_band_is_ordered(lower: Decimal, upper: Decimal, where: str) -> Iterator[Breach]:
    """The lower end of a volume band cannot be above its upper end."""
    if lower > upper:
        yield where, f"lower {lower} is above upper {upper}"


def overall_hurdle_not_above_cohort_hurdle(
    cohort_hurdle: Decimal | None, overall_hurdle: Decimal | None, where: str
) -> Iterator[Breach]:
    """A hurdle over all cohorts cannot be higher than the hurdle for a single cohort.

    Peterborough: 10% in one cohort, or 7.5% over all cohorts.
    """
    if cohort_hurdle is not None and overall_hurdle is not None and overall_hurdle > cohort_hurdle:
        yield where, f"overall hurdle {overall_hurdle} is above cohort hurdle {cohort_hurdle}"


def reoffending_has_a_way_to_pay(
    cohort_hurdle: Decimal | None, overall_hurdle: Decimal | None, where: str
) -> Iterator[Breach]:
    """A reoffending component needs a cohort hurdle, an overall hurdle, or both.

    Use 0 for "any improvement pays".
    """
    if cohort_hurdle is None and overall_hurdle is None:
        yield where, "neither cohort_hurdle nor overall_hurdle is given"


def offsets_name_payment_components(
    offset_against: Sequence[str], outcome_names: set[str], where: str
) -> Iterator[Breach]:
    """A foundation payment can only be recovered from outcome or reoffending components."""
    for index, name in enumerate(offset_against):
        if name not in outcome_names:
            yield f"{where}[{index}]", f"{name!r} is not an outcome or reoffending component"


def at_most_one_guaranteed_share(where: Sequence[str]) -> Iterator[Breach]:
    """A contract has at most one guaranteed share of its value."""
    for location in where[1:]:
        yield location, "a second guaranteed component is given"


def periods_are_known(names: Sequence[str], known: set[str], where: str) -> Iterator[Breach]:
    """A component can only name periods the contract defines."""
    for index, name in enumerate(names):
        if name not in known:
            yield f"{where}[{index}]", f"{name!r} is not one of the contract's periods"


def prime_is_a_member(prime: str, members: set[str], where: str) -> Iterator[Breach]:
    """The prime contractor must be one of the supply-chain members."""
    if prime not in members:
        yield where, f"{prime!r} is not listed in supply_chain.members"


def payment_group_prices_are_given(
    price: Decimal | None, prices: dict[str, Decimal], where: str
) -> Iterator[Breach]:
    """A tariff needs either one price, or a price for each payment group, not both."""
    if price is None and not prices:
        yield where, "neither price nor prices is given"
    elif price is not None and prices:
        yield where, "both price and prices are given"
