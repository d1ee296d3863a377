"""Social value, valued honestly: quantity × proxy value × (1 − deadweight) × attribution.

Each line is rounded to the penny (half up) first; a total is the sum of its rounded lines, so
a published total always equals the sum of the lines published under it.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

PENNY = Decimal("0.01")

#: The formula every valued figure shows next to it ("do not over-claim").
FORMULA = "quantity × proxy value × (1 − deadweight) × attribution"


def line_value(
    quantity: Decimal, proxy_value: Decimal, deadweight: Decimal, attribution: Decimal
) -> Decimal:
    """One line's value in pounds, to the penny (half up).

    >>> line_value(Decimal("6"), Decimal("14500"), Decimal("0.25"), Decimal("0.8"))
    Decimal('52200.00')
    >>> line_value(Decimal("1"), Decimal("0.015"), Decimal("0"), Decimal("1"))
    Decimal('0.02')
    """
    exact = quantity * proxy_value * (Decimal(1) - deadweight) * attribution
    return exact.quantize(PENNY, rounding=ROUND_HALF_UP)


def total_of(values: Iterable[Decimal]) -> Decimal:
    """The sum of lines already rounded to the penny.

    >>> total_of([Decimal("0.02"), Decimal("1.10")])
    Decimal('1.12')
    """
    return sum(values, Decimal("0.00")).quantize(PENNY)
