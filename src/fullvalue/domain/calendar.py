"""England and Wales bank holidays and working days (for standstill periods and payment terms).

The bank holidays come from the ``holidays`` package (the Open World Holidays Framework), which
follows GOV.UK's published lists: the Banking and Financial Dealings Act 1971's days with their
substitute days, days moved by royal proclamation (8 May 2020 for VE Day, 2 June 2022), and
one-off days such as 19 September 2022 (the State Funeral of Queen Elizabeth II) and 8 May 2023
(the Coronation of King Charles III). The next one-off day arrives with an upgrade of the
package, not a change to this code. England and Wales share their bank holidays (the package's
``ENG`` and ``WLS`` lists are the same); the package also lists a holiday that falls on a
weekend on its own date, which is not a bank holiday: the substitute weekday is.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays

#: The ``holidays`` package's country and subdivision for England and Wales.
COUNTRY, SUBDIVISION = "GB", "ENG"


@lru_cache(maxsize=256)
def bank_holidays(year: int) -> frozenset[dt.date]:
    """England and Wales bank holidays in ``year`` (weekdays only, substitutes included).

    >>> sorted(bank_holidays(2026))[:3]
    [datetime.date(2026, 1, 1), datetime.date(2026, 4, 3), datetime.date(2026, 4, 6)]
    >>> dt.date(2027, 12, 28) in bank_holidays(2027)  # Boxing Day 2027 is a Sunday
    True
    >>> dt.date(2023, 5, 8) in bank_holidays(2023)  # the Coronation
    True
    """
    days = holidays.country_holidays(COUNTRY, subdiv=SUBDIVISION, years=year)
    return frozenset(day for day in days if day.year == year and day.weekday() < 5)


def is_working_day(day: dt.date) -> bool:
    """Monday to Friday and not an England and Wales bank holiday."""
    return day.weekday() < 5 and day not in bank_holidays(day.year)


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date ``days`` working days after ``start`` (``start`` itself not counted).

    >>> add_working_days(dt.date(2026, 12, 24), 1)  # Thursday before Christmas
    datetime.date(2026, 12, 29)
    """
    if days < 0:
        raise ValueError("days must not be negative")
    day = start
    while days:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            days -= 1
    return day


def standstill_end(notice_published: dt.date, working_days: int = 8) -> dt.date:
    """The last day of a standstill period of ``working_days`` working days.

    Notes
    -----
    Procurement Act 2023 s.51: the standstill period is "the period of eight working days
    beginning with the day on which the contract details notice is published". The day of
    publication therefore counts as day 1 when it is a working day; the contract may be entered
    into from the day after the returned date.

    Examples
    --------
    >>> standstill_end(dt.date(2026, 11, 25))  # a Wednesday: 25,26,27 Nov, 30 Nov .. 4 Dec
    datetime.date(2026, 12, 4)
    >>> standstill_end(dt.date(2026, 12, 21))  # spans Christmas and Boxing Day substitutes
    datetime.date(2027, 1, 4)
    """
    if working_days < 1:
        raise ValueError("a standstill lasts at least one working day")
    first = notice_published
    while not is_working_day(first):
        first += dt.timedelta(days=1)
    return add_working_days(first, working_days - 1)
