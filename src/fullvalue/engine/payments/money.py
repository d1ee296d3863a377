"""Money in Decimal: rounding to the penny and splitting a total into parts that add up.

Every amount the engine pays is a :class:`~decimal.Decimal` in pounds sterling (GBP). Two rules
apply wherever money is produced, and each function below says which one it applies:

- **Rounding**: an amount is rounded *half-up to the penny* (``0.005`` becomes ``0.01``), the
  convention of UK public-sector payment schedules.
- **Shares of a total**: a total is split with the *largest remainder* method, so the parts are
  whole pennies and add up exactly to the total.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

PENNY = Decimal("0.01")
ZERO = Decimal("0.00")


def round_half_up(amount: Decimal | int | str) -> Decimal:
    """Round an amount in GBP half-up to the penny.

    Parameters
    ----------
    amount : Decimal, int or str
        Amount in GBP, any precision.

    Returns
    -------
    Decimal
        The amount with exactly two decimal places.

    Notes
    -----
    Half-up means a remainder of exactly half a penny rounds away from zero:
    ``round(x) = sign(x) * floor(|x| * 100 + 0.5) / 100``.

    Examples
    --------
    >>> round_half_up(Decimal("2.345"))
    Decimal('2.35')
    >>> round_half_up(Decimal("-2.345"))
    Decimal('-2.35')
    >>> round_half_up(7)
    Decimal('7.00')

    """
    if not isinstance(amount, Decimal):
        amount = Decimal(amount)
    return amount.quantize(PENNY, rounding=ROUND_HALF_UP)


def to_pennies(amount: Decimal | int | str) -> int:
    """Convert an amount in GBP to whole pennies, rounding half-up.

    Examples
    --------
    >>> to_pennies(Decimal("12.345"))
    1235
    >>> to_pennies("0.1")
    10

    """
    return int(round_half_up(amount) * 100)


def from_pennies(pennies: int) -> Decimal:
    """Convert whole pennies to an amount in GBP with two decimal places.

    Examples
    --------
    >>> from_pennies(1235)
    Decimal('12.35')

    """
    return Decimal(pennies).scaleb(-2)


def parse_money(text: str) -> Decimal:
    """Parse a money string such as ``"1200"``, ``"£1,200.50"`` or ``"-35.10"``.

    Raises
    ------
    ValueError
        If the text is not a finite number.

    Examples
    --------
    >>> parse_money("£1,200.50")
    Decimal('1200.50')

    """
    cleaned = text.strip().replace("£", "").replace(",", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:
        raise ValueError(f"{text!r} is not an amount of money") from exc
    if not value.is_finite():
        raise ValueError(f"{text!r} is not an amount of money")
    return value


def allocate_largest_remainder(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """Split a total in GBP into parts proportional to ``weights`` that add up exactly.

    Parameters
    ----------
    total : Decimal
        Amount in GBP to split; rounded half-up to the penny first. May be negative (a clawback
        is split the same way as a payment).
    weights : sequence of Decimal
        Non-negative weights, not all zero (for example shares as proportions 0-1).

    Returns
    -------
    list of Decimal
        One amount per weight, each a whole number of pennies, summing exactly to ``total``.

    Notes
    -----
    With ``T`` the total in pennies and ``q_i = |T| w_i / sum(w)`` the exact quota, each part
    first gets ``floor(q_i)`` pennies; the ``|T| - sum(floor(q_i))`` pennies left over go one each
    to the parts with the largest remainders ``q_i - floor(q_i)`` (ties to the earlier part).
    This is the Hamilton (largest remainder) method.

    References
    ----------
    Balinski, M. L. and Young, H. P. (2001). *Fair Representation*, 2nd ed., ch. 2.

    Examples
    --------
    >>> allocate_largest_remainder(Decimal("100.00"), [Decimal(1), Decimal(1), Decimal(1)])
    [Decimal('33.34'), Decimal('33.33'), Decimal('33.33')]
    >>> allocate_largest_remainder(Decimal("-0.05"), [Decimal("0.5"), Decimal("0.5")])
    [Decimal('-0.03'), Decimal('-0.02')]

    """
    if not weights:
        raise ValueError("at least one weight is needed")
    if any(w < 0 for w in weights):
        raise ValueError("weights cannot be negative")
    weight_sum = sum(weights, Decimal(0))
    if weight_sum == 0:
        raise ValueError("weights cannot all be zero")
    pennies = to_pennies(total)
    sign = -1 if pennies < 0 else 1
    whole = abs(pennies)
    floors: list[int] = []
    remainders: list[Decimal] = []
    for weight in weights:
        quota = Decimal(whole) * weight / weight_sum
        floor = int(quota)
        floors.append(floor)
        remainders.append(quota - floor)
    left_over = whole - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in order[:left_over]:
        floors[i] += 1
    return [from_pennies(sign * part) for part in floors]


def format_gbp(amount: Decimal) -> str:
    """Format an amount in GBP for people: ``£1,234.50``, ``-£20.00``.

    Examples
    --------
    >>> format_gbp(Decimal("-1234.5"))
    '-£1,234.50'

    """
    rounded = round_half_up(amount)
    sign = "-" if rounded < 0 else ""
    return f"{sign}£{abs(rounded):,.2f}"


def format_percent(proportion: Decimal | float, places: int = 1, *, trim: bool = True) -> str:
    """Format a proportion (0-1) as a percentage rounded half-up: ``0.08387`` -> ``8.4%``.

    With ``trim`` (the default, for hurdles and shares) trailing zeros are dropped: ``10%``;
    without it (for measured results) the places are kept: ``9.0%``.

    Examples
    --------
    >>> format_percent(Decimal(13) / Decimal(155))
    '8.4%'
    >>> format_percent(Decimal("0.10")), format_percent(Decimal("0.09"), trim=False)
    ('10%', '9.0%')

    """
    value = (Decimal(str(proportion)) * 100).quantize(
        Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP
    )
    text = f"{value:f}"
    if trim and "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}%"
