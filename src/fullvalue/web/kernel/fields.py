"""Reading one field of user input: money, shares, dates, whole numbers and text.

Pages, the API and imports read what people type through these functions, so the same text gets
the same answer everywhere (decision 0003). Each reader takes the raw value and the field's
name, and returns the value read or raises :class:`FieldInvalid`, whose one :class:`Problem`
names the field (``column``) and says what to enter instead. :class:`Fields` collects the
problems of many fields, so a form or request is answered with all of them at once.

The rules, the same on every path:

- Money is pounds and pence as :class:`~decimal.Decimal`: ASCII digits, an optional ``£`` and
  thousands commas, at most two decimal places (more are refused, never rounded), no exponent
  (``1e30``), no ``NaN`` or infinity, within a stated maximum (:data:`MAX_MONEY` unless given).
- Shares are a proportion 0-1 (:func:`share`) or percentage points 0-100 (:func:`percent`),
  read as Decimal, never float.
- Dates are ISO (``2026-03-31``) and must exist (``2026-02-30`` does not); date-times are ISO
  with an optional offset (UK time when none) and must exist too.
- Whole numbers are ASCII digits within a stated range.
- Text has a stated maximum length (longer is refused, never cut) and no control characters;
  tab and newline only where the field allows several lines. Names (:func:`name`) are one line
  and refuse the bidirectional controls that make text display in another order than it is
  stored (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F, U+061C).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from django.utils import timezone
from django.utils.dateparse import datetime_re

from fullvalue.errors import FullvalueError, Problem

#: The largest amount of money any field takes unless it states its own: £10 billion.
MAX_MONEY = Decimal("10000000000")
#: Lengths stated for kinds of text (characters).
MAX_NAME = 200
MAX_TITLE = 200
MAX_SHORT_TEXT = 500
MAX_TEXT = 10_000
MAX_LONG_TEXT = 50_000

_MONEY = re.compile(r"^-?[0-9]+(?:\.[0-9]+)?$")
_INTEGER = re.compile(r"^[+-]?[0-9]+$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_CONTROL_ONE_LINE = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROL_MULTI_LINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")

T = TypeVar("T")


class FieldInvalid(FullvalueError):
    """One field's value cannot be read; its problem names the field."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(
            message=f"{field}: {reason}",
            problems=[Problem(reason, location=field, column=field)],
        )

    def __str__(self) -> str:
        return self.message


def _text_of(value: Any, field: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        raise FieldInvalid(field, "Enter a value, not a list or an object")
    return str(value).strip()


def money(
    value: Any,
    field: str,
    *,
    minimum: Decimal = Decimal(0),
    maximum: Decimal = MAX_MONEY,
    above_minimum: bool = False,
) -> Decimal:
    """Pounds and pence: at most two decimal places, from ``minimum`` to ``maximum``.

    ``above_minimum`` refuses the minimum itself (an amount above 0).

    >>> money("£1,250.5", "value")
    Decimal('1250.50')
    >>> money("1e30", "value")
    Traceback (most recent call last):
    ...
    fullvalue.web.kernel.fields.FieldInvalid: value: Enter an amount in pounds, like 1250.50
    >>> money("0.125", "value")
    Traceback (most recent call last):
    ...
    fullvalue.web.kernel.fields.FieldInvalid: value: Enter an amount with at most 2 decimal places
    """
    text = _text_of(value, field).removeprefix("£").replace(",", "")
    if isinstance(value, float):
        text = repr(value)
    if not _MONEY.match(text):
        raise FieldInvalid(field, "Enter an amount in pounds, like 1250.50")
    amount = Decimal(text)
    if -amount.as_tuple().exponent > 2:  # type: ignore[operator]
        raise FieldInvalid(field, "Enter an amount with at most 2 decimal places")
    if amount < minimum or (above_minimum and amount == minimum):
        word = "above" if above_minimum else "at least"
        raise FieldInvalid(field, f"Enter an amount in pounds {word} {minimum:,}")
    if amount > maximum:
        raise FieldInvalid(field, f"Enter an amount in pounds of at most {maximum:,}")
    return amount.quantize(Decimal("0.01"))


def _decimal(value: Any, field: str, hint: str) -> Decimal:
    text = _text_of(value, field)
    if isinstance(value, float):
        text = repr(value)
    if not _MONEY.match(text):
        raise FieldInvalid(field, hint)
    try:
        return Decimal(text)
    except InvalidOperation as exc:  # cannot happen after the pattern; kept for safety
        raise FieldInvalid(field, hint) from exc


def number(value: Any, field: str) -> Decimal:
    """A decimal number in ASCII digits (no exponent, ``NaN`` or infinity), not range-checked.

    >>> number("130", "share")
    Decimal('130')
    """
    return _decimal(value, field, "Enter a number, like 12.5")


def share(value: Any, field: str) -> Decimal:
    """A proportion from 0 to 1 (0.3 is 30%), read exactly.

    >>> share("0.30", "share_of_value")
    Decimal('0.30')
    """
    hint = "Enter a share between 0 and 1 (0.3 is 30%)"
    amount = _decimal(value, field, hint)
    if not 0 <= amount <= 1:
        raise FieldInvalid(field, hint)
    return amount


def percent(value: Any, field: str, *, places: int = 2) -> Decimal:
    """Percentage points from 0 to 100 with at most ``places`` decimal places.

    >>> percent("12.5", "weight")
    Decimal('12.5')
    """
    hint = "Enter a percentage between 0 and 100"
    amount = _decimal(value, field, hint)
    if not 0 <= amount <= 100:
        raise FieldInvalid(field, hint)
    if -amount.as_tuple().exponent > places:  # type: ignore[operator]
        raise FieldInvalid(field, f"Enter a percentage with at most {places} decimal places")
    return amount


def quantity(value: Any, field: str, *, places: int = 2, maximum: Decimal = MAX_MONEY) -> Decimal:
    """A measured amount (a KPI's target or value) from 0, with at most ``places`` decimals.

    Refused, never rounded, when it has more places than are stored.

    >>> quantity("85.5", "target")
    Decimal('85.50')
    >>> quantity("0.125", "target")
    Traceback (most recent call last):
    ...
    fullvalue.web.kernel.fields.FieldInvalid: target: Enter a number with at most 2 decimal places
    """
    hint = "Enter a number (0 or more), like 12.5"
    amount = _decimal(_text_of(value, field).replace(",", ""), field, hint)
    if amount < 0:
        raise FieldInvalid(field, hint)
    if -amount.as_tuple().exponent > places:  # type: ignore[operator]
        raise FieldInvalid(field, f"Enter a number with at most {places} decimal places")
    if amount > maximum:
        raise FieldInvalid(field, f"Enter a number of at most {maximum:,}")
    return amount.quantize(Decimal(1).scaleb(-places))


def integer(value: Any, field: str, *, minimum: int, maximum: int) -> int:
    """A whole number from ``minimum`` to ``maximum``, in ASCII digits.

    >>> integer("30", "payment_terms_days", minimum=0, maximum=365)
    30
    """
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        text = _text_of(value, field)
        if not _INTEGER.match(text):
            raise FieldInvalid(field, "Enter a whole number, like 30")
        number = int(text)
    if not minimum <= number <= maximum:
        raise FieldInvalid(field, f"Enter a whole number from {minimum} to {maximum}")
    return number


def whole_or(raw: Any, default: int) -> int:
    """``raw`` as a whole number when it is ASCII digits only, else ``default``.

    For chosen ids and scores that a service then checks: full-width or other Unicode digits
    (which ``str.isdigit`` and ``int`` accept) never become numbers.

    >>> whole_or("3", -1), whole_or("３", -1), whole_or("", 0), whole_or("-2", -1)
    (3, -1, 0, -1)
    """
    text = raw if isinstance(raw, str) else ""
    return int(text) if text.isascii() and text.isdigit() else default


def identifier(value: Any, field: str) -> int:
    """The id of something chosen (a positive whole number)."""
    return integer(value, field, minimum=1, maximum=2**63 - 1)


def date(value: Any, field: str) -> dt.date:
    """A date that exists, written like 2026-03-31.

    >>> date("2026-02-30", "start_date")
    Traceback (most recent call last):
    ...
    fullvalue.web.kernel.fields.FieldInvalid: start_date: 2026-02-30 is not a real date: ...
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text_of(value, field)
    try:
        if not _DATE.match(text):
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        shown = text[:20] if _DATE.match(text) else "That"
        raise FieldInvalid(
            field, f"{shown} is not a real date: enter a date like 2026-03-31"
        ) from None


_UK_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def sheet_date(value: str, field: str) -> dt.date:
    """A date as a spreadsheet row gives it: 2026-03-31 or, as UK sheets write it, 31/03/2026.

    >>> sheet_date("31/03/2026", "date"), sheet_date("2026-03-31", "date")
    (datetime.date(2026, 3, 31), datetime.date(2026, 3, 31))
    >>> sheet_date("30/02/2026", "date")
    Traceback (most recent call last):
    ...
    fullvalue.web.kernel.fields.FieldInvalid: date: '30/02/2026' is not a real date (use 2026-03-31 or 31/03/2026)
    """  # noqa: E501
    try:
        if "/" not in value:  # no ISO form has a slash, so only UK dates need the pattern
            return dt.date.fromisoformat(value)
        if (m := _UK_DATE.match(value)) is not None:
            return dt.date(int(m[3]), int(m[2]), int(m[1]))
    except ValueError:
        pass
    raise FieldInvalid(field, f"{value[:20]!r} is not a real date (use 2026-03-31 or 31/03/2026)")


def datetime(value: Any, field: str) -> dt.datetime:
    """A date and time that exists (ISO, like 2027-01-31T12:00; UK time unless an offset).

    >>> datetime("2026-02-30T10:00:00Z", "submission_deadline")
    Traceback (most recent call last):
    ...
    fullvalue.web.kernel.fields.FieldInvalid: submission_deadline: Enter a real date and time, ...
    """
    if isinstance(value, dt.datetime):
        parsed = value
    else:
        text = _text_of(value, field)
        if not text.isascii() or datetime_re.match(text) is None:
            raise FieldInvalid(field, "Enter a date and time, like 2027-01-31T12:00")
        try:
            parsed = dt.datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00"))
        except ValueError:
            raise FieldInvalid(field, "Enter a real date and time, like 2027-01-31T12:00") from None
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)  # a time without an offset is UK time
    return parsed


def text(
    value: Any, field: str, *, max_length: int, multiline: bool = False, required: bool = False
) -> str:
    r"""Text of at most ``max_length`` characters with no control characters (trimmed).

    Tab, newline and carriage return are allowed only when ``multiline``. Longer text is
    refused, never cut.

    >>> text("ok", "title", max_length=200)
    'ok'
    >>> text("a\x00b", "question", max_length=10, multiline=True)
    Traceback (most recent call last):
    ...
    fullvalue.web.kernel.fields.FieldInvalid: question: Remove the control character at position 2
    """
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise FieldInvalid(field, "Enter text")
    value = value.strip()
    if required and not value:
        raise FieldInvalid(field, "Enter a value")
    if len(value) > max_length:
        raise FieldInvalid(
            field, f"Enter at most {max_length:,} characters (this has {len(value):,})"
        )
    pattern = _CONTROL_MULTI_LINE if multiline else _CONTROL_ONE_LINE
    found = pattern.search(value)
    if found is not None:
        what = "line break or tab" if found[0] in "\t\n\r" else "control character"
        raise FieldInvalid(field, f"Remove the {what} at position {found.start() + 1}")
    return value


def name(value: Any, field: str, *, max_length: int = MAX_NAME, required: bool = True) -> str:
    r"""A name: one line of text that displays as it is stored (no bidirectional controls).

    >>> name("Moss Side \u202eCentre", "name")
    Traceback (most recent call last):
    ...
    fullvalue.web.kernel.fields.FieldInvalid: name: Remove the text-direction character...
    """
    value = text(value, field, max_length=max_length, required=required)
    found = _BIDI.search(value)
    if found is not None:
        raise FieldInvalid(
            field, f"Remove the text-direction character at position {found.start() + 1}"
        )
    return value


def clean_problems(value: str) -> str | None:
    """Why a stored or imported cell's text is refused (control characters), or ``None``."""
    found = _CONTROL_MULTI_LINE.search(value)
    if found is None:
        return None
    return f"has a control character at position {found.start() + 1}: remove it"


class Fields:
    """Reads many fields, collecting every problem instead of stopping at the first.

    >>> read = Fields()
    >>> read(money, "12.345", "value") is None, read(integer, "7", "days", minimum=0, maximum=9)
    (True, 7)
    >>> [p.column for p in read.problems]
    ['value']
    """

    def __init__(self, problems: list[Problem] | None = None) -> None:
        self.problems = problems if problems is not None else []

    def __call__(
        self, reader: Callable[..., T], value: Any, field: str, **options: Any
    ) -> T | None:
        """``reader(value, field, **options)``, or ``None`` with its problem recorded."""
        try:
            return reader(value, field, **options)
        except FieldInvalid as exc:
            self.problems += exc.problems
            return None

    def check(self, message: str) -> None:
        """Raise one :class:`FullvalueError` with every problem recorded, if there are any."""
        if self.problems:
            raise FullvalueError.from_problems(message, self.problems)
