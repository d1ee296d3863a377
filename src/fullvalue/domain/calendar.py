"""England and Wales bank holidays and working days (for standstill periods and payment terms).

Rules (Banking and Financial Dealings Act 1971 and royal proclamations):

- New Year's Day, 1 January; Christmas Day, 25 December; Boxing Day, 26 December. When one falls
  on a weekend the holiday is the next weekday not already a holiday ("substitute day").
- Good Friday and Easter Monday (Easter by the Gregorian computus).
- Early May bank holiday: the first Monday in May (moved to Friday 8 May in 2020 for VE Day).
- Spring bank holiday: the last Monday in May (moved to Thursday 2 June in 2022, with an extra
  holiday on Friday 3 June for the Platinum Jubilee).
- Summer bank holiday: the last Monday in August.
- One-off holidays: 19 September 2022 (the State Funeral of Queen Elizabeth II) and 8 May 2023
  (the Coronation of King Charles III).
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

ONE_OFF = {dt.date(2022, 6, 3), dt.date(2022, 9, 19), dt.date(2023, 5, 8)}
MOVED = {
    (2020, "early_may"): dt.date(2020, 5, 8),
    (2022, "spring"): dt.date(2022, 6, 2),
}


def easter_sunday(year: int) -> dt.date:
    """Easter Sunday by the anonymous Gregorian algorithm (Meeus/Jones/Butcher).

    >>> easter_sunday(2024), easter_sunday(2026)
    (datetime.date(2024, 3, 31), datetime.date(2026, 4, 5))
    """
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def _first_monday(year: int, month: int) -> dt.date:
    day = dt.date(year, month, 1)
    return day + dt.timedelta(days=(7 - day.weekday()) % 7)


def _last_monday(year: int, month: int) -> dt.date:
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    last = nxt - dt.timedelta(days=1)
    return last - dt.timedelta(days=last.weekday())


@lru_cache(maxsize=256)
def bank_holidays(year: int) -> frozenset[dt.date]:
    """England and Wales bank holidays in ``year``.

    >>> sorted(bank_holidays(2026))[:3]
    [datetime.date(2026, 1, 1), datetime.date(2026, 4, 3), datetime.date(2026, 4, 6)]
    >>> dt.date(2027, 12, 28) in bank_holidays(2027)  # Boxing Day 2027 is a Sunday
    True
    """
    easter = easter_sunday(year)
    days = {
        easter - dt.timedelta(days=2),
        easter + dt.timedelta(days=1),
        MOVED.get((year, "early_may"), _first_monday(year, 5)),
        MOVED.get((year, "spring"), _last_monday(year, 5)),
        _last_monday(year, 8),
    }
    days |= {d for d in ONE_OFF if d.year == year}
    # Fixed-date holidays with substitutes, in date order so substitutes do not collide.
    for fixed in (dt.date(year, 1, 1), dt.date(year, 12, 25), dt.date(year, 12, 26)):
        day = fixed
        while day.weekday() >= 5 or day in days:
            day += dt.timedelta(days=1)
        days.add(day)
    return frozenset(days)


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
