"""Standstill with bank holidays, award-criteria rules, price scoring and ranking."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fullvalue.domain.calendar import (
    add_working_days,
    bank_holidays,
    is_working_day,
    standstill_end,
)
from fullvalue.domain.evaluation import (
    Criterion,
    check_criteria,
    price_score,
    quality_points,
    rank_bids,
)

D = Decimal


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        (
            2022,
            [
                "2022-01-03",
                "2022-04-15",
                "2022-04-18",
                "2022-05-02",
                "2022-06-02",
                "2022-06-03",
                "2022-08-29",
                "2022-09-19",
                "2022-12-26",
                "2022-12-27",
            ],
        ),
        (
            2020,
            [
                "2020-01-01",
                "2020-04-10",
                "2020-04-13",
                "2020-05-08",
                "2020-05-25",
                "2020-08-31",
                "2020-12-25",
                "2020-12-28",
            ],
        ),
        (
            2026,
            [
                "2026-01-01",
                "2026-04-03",
                "2026-04-06",
                "2026-05-04",
                "2026-05-25",
                "2026-08-31",
                "2026-12-25",
                "2026-12-28",
            ],
        ),
    ],
)
def test_bank_holidays_match_the_published_lists(year, expected):
    assert sorted(d.isoformat() for d in bank_holidays(year)) == expected


def test_standstill_counts_the_day_of_publication_and_skips_holidays():
    """Published Friday 24 Dec 2021: 24 (1), 29, 30, 31 Dec (2-4), 4-7 Jan (5-8).

    27 and 28 Dec 2021 are the Christmas and Boxing Day substitutes; 3 Jan 2022 is New Year's.
    """
    assert standstill_end(dt.date(2021, 12, 24)) == dt.date(2022, 1, 7)


def test_standstill_published_at_a_weekend_starts_on_monday():
    assert standstill_end(dt.date(2026, 11, 28)) == dt.date(2026, 12, 9)


@given(
    st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2035, 12, 31)),
    st.integers(min_value=1, max_value=20),
)
def test_standstill_always_spans_exactly_n_working_days(start, n):
    end = standstill_end(start, n)
    first = start
    while not is_working_day(first):
        first += dt.timedelta(days=1)
    span = [first + dt.timedelta(days=i) for i in range((end - first).days + 1)]
    assert sum(is_working_day(d) for d in span) == n
    assert is_working_day(end)


@given(st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2035, 12, 31)))
def test_every_year_has_at_least_eight_holidays_on_weekdays(day):
    holidays = bank_holidays(day.year)
    assert len(holidays) >= 8 and all(h.weekday() < 5 for h in holidays)
    assert add_working_days(day, 0) == day


def criteria(price=30, quality=60, sv=10):
    return [
        Criterion("Price", "price", D(price)),
        Criterion("Quality", "quality", D(quality)),
        Criterion("Social value", "social_value", D(sv)),
    ]


def test_valid_criteria():
    assert check_criteria(criteria()) == []


def test_weights_must_sum_to_100_and_social_value_needs_ten_percent():
    problems = check_criteria(criteria(price=40, quality=55, sv=5))
    reasons = " ".join(p.reason for p in problems)
    assert "add up to 100, not 100" not in reasons
    assert "at least 10%" in reasons
    assert check_criteria(criteria(price=40, quality=55, sv=5), "pilot; SV scored in quality") == []
    assert "add up to 95" in check_criteria(criteria(price=30, quality=55, sv=10))[0].reason


def test_price_and_quality_points():
    """Lowest £800k, bid £1m, weight 30 => 30 x 0.8 = 24.00 points."""
    assert price_score(D(800_000), D(1_000_000), D(30)) == D("24.00")
    assert price_score(D(800_000), D(800_000), D(30)) == D("30.00")
    assert quality_points(3, D(60)) == D("36.00")
    with pytest.raises(ValueError):
        quality_points(6, D(60))


def test_ranking_tie_break_quality_then_price():
    ranked = rank_bids(
        [
            (1, D(80), D(50), D(900)),
            (2, D(80), D(50), D(800)),
            (3, D(85), D(40), D(700)),
            (4, D(80), D(50), D(800)),
        ]
    )
    assert [(r.bid_id, r.rank) for r in ranked] == [(3, 1), (2, 2), (4, 2), (1, 4)]


def test_a_future_royal_occasion_is_read_from_the_holidays_package(monkeypatch):
    """A one-off bank holiday proclaimed for (say) Friday 6 June 2031 needs a package upgrade only.

    The package's list of special days is extended the way an upgrade would extend it; the
    calendar code is unchanged and picks the day up, and standstill periods step over it.
    """
    from holidays.countries.united_kingdom import UnitedKingdomStaticHolidays

    occasion = dt.date(2031, 6, 6)
    assert occasion not in bank_holidays(2031)
    specials = {
        **UnitedKingdomStaticHolidays.special_public_holidays,
        2031: (6, 6, "A royal occasion"),
    }
    monkeypatch.setattr(UnitedKingdomStaticHolidays, "special_public_holidays", specials)
    bank_holidays.cache_clear()
    try:
        assert occasion in bank_holidays(2031)
        assert not is_working_day(occasion)
        # Published Thursday 5 June 2031: 5 (1), then 9-13 June (2-6), 16-17 June (7-8).
        assert standstill_end(dt.date(2031, 6, 5)) == dt.date(2031, 6, 17)
    finally:
        monkeypatch.undo()
        bank_holidays.cache_clear()
    assert occasion not in bank_holidays(2031)


def test_england_and_wales_share_their_bank_holidays():
    import holidays

    for year in (2020, 2022, 2023, 2026, 2030):
        wales = holidays.country_holidays("GB", subdiv="WLS", years=year)
        assert bank_holidays(year) == {d for d in wales if d.weekday() < 5}
