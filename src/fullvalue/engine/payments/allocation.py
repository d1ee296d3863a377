"""Allocation of a payment down a supply chain: a capped management fee, then shares.

Payments reach sub-contractors through the prime. The prime keeps a management fee (a rate of the
payment, never more than a cap) and the rest is shared among the members by their agreed shares.
Every part is whole pennies and the parts add up exactly to the payment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from fullvalue.engine.payments import rules
from fullvalue.engine.payments.money import (
    ZERO,
    allocate_largest_remainder,
    round_half_up,
)
from fullvalue.errors import FullvalueError, Problem


@dataclass(frozen=True)
class Allocation:
    """How one payment (GBP) is divided: the prime's management fee and each member's part."""

    total: Decimal
    prime: str | None
    management_fee: Decimal
    parts: Mapping[str, Decimal]

    def received(self, member: str) -> Decimal:
        """Return what a member receives in GBP, including the management fee for the prime."""
        fee = self.management_fee if member == self.prime else ZERO
        return self.parts.get(member, ZERO) + fee


def allocate(
    total: Decimal,
    shares: Mapping[str, Decimal],
    *,
    prime: str | None = None,
    management_fee_rate: Decimal = Decimal(0),
    management_fee_cap: Decimal | None = None,
) -> Allocation:
    """Divide a payment between supply-chain members after the prime's capped management fee.

    Parameters
    ----------
    total : Decimal
        The payment in GBP (negative for a clawback, which is shared the same way and carries no
        management fee).
    shares : mapping of str to Decimal
        Each member's share of the payment after the fee, as proportions 0-1 adding up to 1.
    prime : str, optional
        The prime contractor, who receives the management fee; required if the rate is above 0.
    management_fee_rate : Decimal
        The fee as a proportion (0-1) of the payment.
    management_fee_cap : Decimal, optional
        The most the fee can be, in GBP.

    Returns
    -------
    Allocation
        The fee and the members' parts, all in whole pennies, adding up exactly to ``total``.

    Raises
    ------
    FullvalueError
        If shares are outside 0-1 or do not add up to 1, the fee rate is outside 0-1, or the cap
        is negative; every problem is listed.

    Notes
    -----
    ``fee = min(round_half_up(rate × max(total, 0)), cap)``; the remainder ``total - fee`` is
    split by :func:`~fullvalue.engine.payments.money.allocate_largest_remainder`, so
    ``fee + Σ parts = total`` to the penny.

    References
    ----------
    Department for Work and Pensions (2012), *Merlin Standard* (primes' conduct towards their
    supply chain in the Work Programme: fair shares, prompt payment, management fees
    declared). Ministry of Justice (2014), *Transforming Rehabilitation* Industry Standard
    Partnering Agreement (the prime's management fee and payments passed down in proportion).

    Examples
    --------
    >>> a = allocate(Decimal("100000"), {"Prime": Decimal("0.4"), "Local": Decimal("0.6")},
    ...              prime="Prime", management_fee_rate=Decimal("0.15"),
    ...              management_fee_cap=Decimal("10000"))
    >>> a.management_fee, a.parts["Prime"], a.parts["Local"]
    (Decimal('10000.00'), Decimal('36000.00'), Decimal('54000.00'))

    """
    problems: list[Problem] = []
    for name, share in shares.items():
        problems += rules.proportion_is_between_0_and_1(share, f"shares.{name}")
    problems += rules.shares_add_up_to_the_whole(list(shares.values()), "shares")
    if not shares:
        problems.append(Problem("At least one member is needed.", "shares"))
    problems += rules.proportion_is_between_0_and_1(management_fee_rate, "management_fee_rate")
    if management_fee_cap is not None:
        problems += rules.money_is_not_negative(management_fee_cap, "management_fee_cap")
    if management_fee_rate > 0 and prime is None:
        problems.append(Problem("A management fee needs a prime to receive it.", "prime"))
    if problems:
        raise FullvalueError.from_problems("The allocation cannot be made.", problems)
    total = round_half_up(total)
    fee = round_half_up(management_fee_rate * max(total, ZERO))
    if management_fee_cap is not None:
        fee = min(fee, round_half_up(management_fee_cap))
    names = list(shares)
    parts = allocate_largest_remainder(total - fee, [shares[n] for n in names])
    return Allocation(
        total=total, prime=prime, management_fee=fee, parts=dict(zip(names, parts, strict=True))
    )
