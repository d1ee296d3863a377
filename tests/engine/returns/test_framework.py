import datetime as dt

import pytest

from fullvalue.engine.returns.framework import (
    load_framework,
    parse_framework,
    period_bounds,
    period_index,
    periods_within,
)
from fullvalue.errors import FullvalueError

from .conftest import framework

d = dt.date


def spans(fw, start, end):
    return [(s.isoformat(), e.isoformat()) for _, s, e in periods_within(fw, start, end)]


def test_financial_year_quarters_start_in_april():
    fw = framework([("a", "records", ["ete.job_start"])], period="quarter", year_start="04-01")
    assert spans(fw, d(2025, 1, 1), d(2026, 3, 31)) == [
        ("2025-01-01", "2025-03-31"),
        ("2025-04-01", "2025-06-30"),
        ("2025-07-01", "2025-09-30"),
        ("2025-10-01", "2025-12-31"),
        ("2026-01-01", "2026-03-31"),
    ]


def test_financial_years_and_half_years():
    year = framework([("a", "records", ["ete.job_start"])], period="year", year_start="04-01")
    assert spans(year, d(2024, 1, 1), d(2026, 6, 30)) == [
        ("2024-04-01", "2025-03-31"),
        ("2025-04-01", "2026-03-31"),
    ]
    half = framework([("a", "records", ["ete.job_start"])], period="half-year", year_start="04-01")
    assert spans(half, d(2024, 4, 1), d(2025, 9, 30)) == [
        ("2024-04-01", "2024-09-30"),
        ("2024-10-01", "2025-03-31"),
        ("2025-04-01", "2025-09-30"),
    ]


def test_a_period_partly_outside_from_to_is_left_out():
    half = framework([("a", "records", ["ete.job_start"])], period="half-year", year_start="01-01")
    assert spans(half, d(2025, 2, 1), d(2026, 11, 30)) == [
        ("2025-07-01", "2025-12-31"),
        ("2026-01-01", "2026-06-30"),
    ]


def test_months_on_a_mid_month_year_start_and_across_a_leap_february():
    months = framework([("a", "records", ["ete.job_start"])], period="month", year_start="04-06")
    assert spans(months, d(2024, 1, 6), d(2024, 4, 5)) == [
        ("2024-01-06", "2024-02-05"),
        ("2024-02-06", "2024-03-05"),
        ("2024-03-06", "2024-04-05"),
    ]
    assert period_index(months, d(2024, 3, 5)) + 1 == period_index(months, d(2024, 3, 6))


@pytest.mark.parametrize("period", ["month", "quarter", "half-year", "year"])
def test_periods_tile_the_calendar(period):
    fw = framework([("a", "records", ["ete.job_start"])], period=period, year_start="10-15")
    day = d(2023, 1, 1)
    while day < d(2026, 1, 1):
        start, end = period_bounds(fw, period_index(fw, day))
        assert start <= day <= end
        assert period_index(fw, end + dt.timedelta(days=1)) == period_index(fw, day) + 1
        day += dt.timedelta(days=11)


def test_the_example_frameworks_load(examples):
    loaded = [load_framework(p) for p in sorted(examples.glob("*.toml"))]
    assert {f.period for f in loaded} == {"quarter", "half-year", "year"}
    assert len({f.funder for f in loaded}) == 3


def problems_of(text):
    with pytest.raises(FullvalueError) as caught:
        parse_framework(text, source="f.toml")
    assert caught.value.code == "invalid-framework"
    return [str(p) for p in caught.value.problems]


BASE = 'id = "f"\nfunder = "F"\nperiod = "quarter"\n'


def indicator(measure, codes):
    listed = ", ".join(f'"{c}"' for c in codes)
    return f'[[indicators]]\nid = "i"\nlabel = "I"\nmeasure = "{measure}"\ncodes = [{listed}]\n'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (BASE + indicator("median", ["ete.job_start"]), "indicators[0].measure: unknown measure"),
        (
            BASE + indicator("mean_change", ["star.work", "star.home"]),
            "indicators[0].codes: a mean_change indicator takes one code only, not 2",
        ),
        (
            BASE + indicator("records", ["ete.jobstart"]),
            "'ete.jobstart' is not in the shared vocabulary (did you mean 'ete.job_start'?)",
        ),
        (BASE + indicator("sum", ["ete.job_start"]), "ete.job_start carry no value to add up"),
        (
            BASE + 'year_start = "02-30"\n' + indicator("records", ["ete.job_start"]),
            "year_start: '02-30' is not a year start",
        ),
        (BASE + 'colour = "red"\n' + indicator("records", ["ete.job_start"]), "colour: unknown"),
        (BASE, "indicators: a framework has at least one [[indicators]] table"),
        (
            BASE + 'breakdowns = ["postcode"]\n' + indicator("records", ["ete.job_start"]),
            "breakdowns: breakdowns are a list of: sex, ethnicity, age_band, area",
        ),
    ],
)
def test_a_broken_rule_is_named_at_its_field(text, expected):
    found = problems_of(text)
    assert any(expected in p for p in found), found
    assert all(p.startswith("f.toml: ") for p in found)


def test_every_problem_is_listed_at_once():
    found = problems_of('period = "fortnight"\n' + indicator("median", ["nope"]))
    assert len(found) == 5  # id, funder, period, measure, code
