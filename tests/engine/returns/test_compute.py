"""Returns computed per the definitions of issue 16, checked on worked examples and at random."""

import datetime as dt

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from fullvalue.engine.returns.compute import compute_returns

from .conftest import framework, people, records

d = dt.date
Q1 = (d(2025, 4, 1), d(2025, 6, 30))  # first quarter of the 2025-26 financial year


def figures(fw, participants, recs, start=Q1[0], end=Q1[1]):
    returns = compute_returns([fw], participants, recs, start, end)
    return [{f.indicator.id: f.value for f in r.figures} for r in returns]


PEOPLE = people(
    [
        ("A", d(2025, 1, 1), None, "F"),
        ("B", d(2025, 5, 1), None, "M"),
        ("C", d(2024, 6, 1), d(2025, 3, 31), "M"),  # left the day before the quarter
        ("D", d(2025, 7, 1), None, "F"),  # starts the day after it
        ("E", d(2024, 1, 1), d(2025, 4, 1), "M"),  # active for its first day
    ]
)


def test_participants_records_and_sum():
    """In the quarter: A starts work twice, B once, C once (after leaving - still counted).

    participants = |{A, B, C}| = 3; records = 4; sum of volunteering 2.5 + 4 + 0.1 + 0.2 = 6.8
    (exactly, not 6.800000000000001); a job start on 31 March and one on 1 July are outside.
    """
    fw = framework(
        [
            ("people", "participants", ["ete.job_start"]),
            ("starts", "records", ["ete.job_start"]),
            ("hours", "sum", ["ete.volunteering"]),
        ]
    )
    recs = records(
        [
            ("A", d(2025, 4, 1), "ete.job_start", None),
            ("A", d(2025, 6, 30), "ete.job_start", None),
            ("B", d(2025, 5, 5), "ete.job_start", None),
            ("C", d(2025, 5, 5), "ete.job_start", None),
            ("A", d(2025, 3, 31), "ete.job_start", None),
            ("B", d(2025, 7, 1), "ete.job_start", None),
            ("A", d(2025, 4, 2), "ete.volunteering", 2.5),
            ("B", d(2025, 4, 3), "ete.volunteering", 4),
            ("B", d(2025, 4, 4), "ete.volunteering", 0.1),
            ("E", d(2025, 4, 4), "ete.volunteering", 0.2),
        ]
    )
    assert figures(fw, PEOPLE, recs) == [{"people": 3, "starts": 4, "hours": 6.8}]


def test_share_counts_the_active_participants():
    """Active in Q1: A, B and E (active on 1 April); not C (left 31 March), nor D (starts 1 July).

    Settled: A and C (C is counted in the numerator, as the definition says) => 2 / 3.
    """
    fw = framework([("settled", "share", ["accommodation.settled"])])
    recs = records(
        [
            ("A", d(2025, 4, 10), "accommodation.settled", None),
            ("C", d(2025, 4, 10), "accommodation.settled", None),
        ]
    )
    assert figures(fw, PEOPLE, recs) == [{"settled": 2 / 3}]


def test_share_is_null_when_nobody_is_active():
    fw = framework([("settled", "share", ["accommodation.settled"])])
    nobody = people([("D", d(2025, 7, 1), None)])
    assert figures(fw, nobody, records([])) == [{"settled": None}]


def test_mean_change_latest_reading_in_the_period_minus_the_first_ever():
    """A: 2 (Jan), 5 (Apr), 6 (May) => latest in Q1 is 6, change 6 - 2 = +4.

    B: one reading only => left out. E: 8 (Feb) then 7 and 3 on one date in June, in that file
    order => the latest is 3, change 3 - 8 = -5. C: 1 (Jan), 9 (Mar) => no reading in Q1, left
    out. Mean (4 - 5) / 2 = -0.5. The next quarter: A reads 10 in August => 10 - 2 = +8.
    """
    fw = framework([("work", "mean_change", ["star.work"])])
    recs = records(
        [
            ("A", d(2025, 1, 10), "star.work", 2),
            ("A", d(2025, 4, 10), "star.work", 5),
            ("A", d(2025, 5, 10), "star.work", 6),
            ("B", d(2025, 5, 10), "star.work", 9),
            ("E", d(2025, 6, 2), "star.work", 7),
            ("E", d(2025, 2, 2), "star.work", 8),
            ("E", d(2025, 6, 2), "star.work", 3),
            ("C", d(2025, 1, 2), "star.work", 1),
            ("C", d(2025, 3, 2), "star.work", 9),
            ("A", d(2025, 8, 1), "star.work", 10),
        ]
    )
    assert figures(fw, PEOPLE, recs, Q1[0], d(2025, 9, 30)) == [{"work": -0.5}, {"work": 8.0}]


def test_readings_on_one_date_keep_their_file_order():
    fw = framework([("work", "mean_change", ["star.work"])])
    both = [("A", d(2025, 5, 1), "star.work", 3), ("A", d(2025, 5, 1), "star.work", 7)]
    assert figures(fw, PEOPLE, records(both)) == [{"work": 4.0}]
    assert figures(fw, PEOPLE, records(both[::-1])) == [{"work": -4.0}]


def test_breakdown_cells_of_one_to_four_are_suppressed_and_zero_is_shown():
    """Five women and three men start work; one man is in no group with records.

    sex F: 5 participants (shown), M: 3 (suppressed); the total, 8, is never suppressed.
    """
    crowd = people(
        [(f"F{i}", d(2025, 1, 1), None, "F") for i in range(5)]
        + [(f"M{i}", d(2025, 1, 1), None, "M") for i in range(3)]
        + [("X", d(2025, 1, 1), None, "X")]
    )
    recs = records([(p, d(2025, 5, 1), "ete.job_start", None) for p in crowd["participant"][:8]])
    fw = framework(
        [("people", "participants", ["ete.job_start"]), ("share", "share", ["ete.job_start"])],
        breakdowns=["sex"],
    )
    (result,) = compute_returns([fw], crowd, recs, *Q1)
    people_figure, share_figure = result.figures
    assert people_figure.value == 8
    cells = {c.group: (c.value, c.suppressed) for c in people_figure.breakdowns["sex"]}
    assert cells == {"F": (5, False), "M": (None, True), "X": (0, False)}
    shares = {c.group: (c.value, c.suppressed) for c in share_figure.breakdowns["sex"]}
    # X: 0 of 1 active - the denominator 1 is a count of 1-4, so suppressed too.
    assert shares == {"F": (1.0, False), "M": (None, True), "X": (None, True)}


def test_several_frameworks_each_with_their_own_periods():
    quarterly = framework([("n", "records", ["ete.job_start"])])
    yearly = framework([("n", "records", ["ete.job_start"])], period="year", year_start="01-01")
    recs = records([("A", d(2025, 4, 1), "ete.job_start", None)])
    out = compute_returns([quarterly, yearly], PEOPLE, recs, d(2025, 1, 1), d(2025, 12, 31))
    assert [(r.framework.period, r.period_start.month, r.figures[0].value) for r in out] == [
        ("quarter", 1, 0),
        ("quarter", 4, 1),
        ("quarter", 7, 0),
        ("quarter", 10, 0),
        ("year", 1, 1),
    ]


# A plain-Python reading of the definitions, one record and one participant at a time.


def in_period(day, start, end):
    return start <= day <= end


def reference(measure, codes, plist, rlist, start, end):
    hits = [r for r in rlist if r[2] in codes and in_period(r[1], start, end)]
    counted = {r[0] for r in hits}
    if measure == "participants":
        return len(counted)
    if measure == "records":
        return len(hits)
    if measure == "sum":
        return sum(r[3] for r in hits)
    if measure == "share":
        active = [p for p in plist if p[1] <= end and (p[2] is None or p[2] >= start)]
        return len(counted) / len(active) if active else None
    changes = []
    for pid in {p[0] for p in plist}:
        mine = [r for r in rlist if r[0] == pid and r[2] == codes[0] and r[1] <= end]
        mine.sort(key=lambda r: r[1])  # stable: one date keeps file order
        if len(mine) >= 2 and in_period(mine[-1][1], start, end):
            changes.append(mine[-1][3] - mine[0][3])
    return sum(changes) / len(changes) if changes else None


DAY0 = d(2024, 1, 1)
dates = st.integers(0, 900).map(lambda n: DAY0 + dt.timedelta(days=n))
CODES = ["ete.job_start", "ete.volunteering", "star.work"]


@st.composite
def worlds(draw):
    n = draw(st.integers(1, 8))
    plist = []
    for i in range(n):
        start = draw(dates)
        end = draw(st.one_of(st.none(), st.integers(0, 400)))
        plist.append((f"P{i}", start, None if end is None else start + dt.timedelta(days=end)))
    rlist = draw(
        st.lists(
            st.tuples(
                st.sampled_from([p[0] for p in plist]),
                dates,
                st.sampled_from(CODES),
                st.integers(1, 10).map(float),
            ),
            max_size=40,
        )
    )
    return plist, rlist


@settings(max_examples=60, deadline=None)
@given(
    world=worlds(),
    period=st.sampled_from(["month", "quarter", "half-year", "year"]),
    year_start=st.sampled_from(["01-01", "04-01", "10-15"]),
)
def test_every_figure_equals_a_plain_reading_of_the_definition(world, period, year_start):
    plist, rlist = world
    indicators = [
        ("p", "participants", ["ete.job_start", "star.work"]),
        ("r", "records", ["ete.job_start"]),
        ("s", "sum", ["ete.volunteering", "star.work"]),
        ("h", "share", ["ete.job_start"]),
        ("m", "mean_change", ["star.work"]),
    ]
    fw = framework(indicators, period=period, year_start=year_start)
    frame = people(plist)
    recs = records(rlist)
    out = compute_returns([fw], frame, recs, d(2024, 1, 1), d(2026, 12, 31))
    assert out, "at least one period"
    for result in out:
        for (identifier, measure, codes), figure in zip(indicators, result.figures, strict=True):
            expected = reference(
                measure, codes, plist, rlist, result.period_start, result.period_end
            )
            assert figure.indicator.id == identifier
            if expected is None or figure.value is None:
                assert figure.value == expected
            else:
                assert abs(figure.value - expected) < 1e-9, (identifier, result.period_start)


def test_the_records_frame_is_left_as_it_was():
    recs = records([("A", d(2025, 5, 1), "star.work", 3)])
    before = recs.clone()
    compute_returns([framework([("m", "mean_change", ["star.work"])])], PEOPLE, recs, *Q1)
    assert recs.equals(before)
    assert isinstance(recs, pl.DataFrame)
