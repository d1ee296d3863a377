import datetime as dt

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fullvalue.engine.measure.dates import (
    add_months,
    add_months_days,
    from_days,
    quarter_label,
    to_days,
)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        # 31 Aug + 6 months: February has 29 days in 2020 (leap year), so clamp to 29 Feb.
        (dt.date(2019, 8, 31), 6, dt.date(2020, 2, 29)),
        # ... and 28 days in 2019, so clamp to 28 Feb.
        (dt.date(2018, 8, 31), 6, dt.date(2019, 2, 28)),
        # 29 Feb 2020 + 12 months: 2021 is not a leap year, so 28 Feb 2021.
        (dt.date(2020, 2, 29), 12, dt.date(2021, 2, 28)),
        # 29 Feb 2020 + 48 months: 2024 is a leap year, 29 Feb 2024 exists.
        (dt.date(2020, 2, 29), 48, dt.date(2024, 2, 29)),
        # 31 Jan + 1 month lands on the last day of February; + 3 months on 30 Apr.
        (dt.date(2019, 1, 31), 1, dt.date(2019, 2, 28)),
        (dt.date(2019, 1, 31), 3, dt.date(2019, 4, 30)),
        # Year boundary: 15 Nov 2019 + 3 months = 15 Feb 2020.
        (dt.date(2019, 11, 15), 3, dt.date(2020, 2, 15)),
        # Negative months go back, clamped the same way.
        (dt.date(2019, 3, 31), -1, dt.date(2019, 2, 28)),
    ],
)
def test_add_months_worked_examples(start, months, expected):
    assert add_months(start, months) == expected
    assert from_days(add_months_days(np.array([to_days(start)]), months)[0]) == expected


@given(
    st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2090, 12, 31)),
    st.integers(min_value=-60, max_value=60),
)
def test_vectorised_months_agree_with_scalar(day, months):
    shifted = add_months_days(np.array([to_days(day)], dtype=np.int64), months)
    assert from_days(shifted[0]) == add_months(day, months)


@given(st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2090, 12, 31)))
def test_adding_months_never_overshoots_the_month(day):
    later = add_months(day, 6)
    assert (later.year * 12 + later.month) - (day.year * 12 + day.month) == 6
    assert later.day <= day.day


def test_quarter_labels():
    assert [quarter_label(dt.date(2019, m, 1)) for m in (1, 3, 4, 6, 7, 9, 10, 12)] == [
        "2019Q1", "2019Q1", "2019Q2", "2019Q2", "2019Q3", "2019Q3", "2019Q4", "2019Q4",
    ]  # fmt: skip
