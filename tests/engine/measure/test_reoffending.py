import datetime as dt
import statistics

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fullvalue.engine.measure.dates import add_months
from fullvalue.engine.measure.reoffending import (
    Definition,
    measure_reoffending,
    person_outcomes,
)
from fullvalue.errors import FullvalueError

D = dt.date
LATE = D(2030, 1, 1)


def people(*rows, **columns):
    data = {"person_id": [r[0] for r in rows], "index_date": [r[1] for r in rows]}
    data.update(columns)
    return pl.DataFrame(data)


def offences(*rows):
    return pl.DataFrame(
        {
            "person_id": [r[0] for r in rows],
            "offence_date": [r[1] for r in rows],
            "disposal_date": [r[2] for r in rows],
            "breach": [r[3] if len(r) > 3 else False for r in rows],
        },
        schema={
            "person_id": pl.String,
            "offence_date": pl.Date,
            "disposal_date": pl.Date,
            "breach": pl.Boolean,
        },
    )


def counted(frame_people, frame_offences, **kwargs):
    outcomes, excluded, _ = person_outcomes(
        frame_people, frame_offences, as_of=kwargs.pop("as_of", LATE), **kwargs
    )
    return dict(zip(outcomes["person_id"], outcomes["reoffences"], strict=True)), excluded


def test_waiting_period_edge():
    """Index 15 Mar 2019: follow-up ends 15 Mar 2020, waiting period 15 Sep 2020.

    An offence on 15 Mar 2020 (last day of follow-up) disposed 15 Sep 2020 (last day of the
    waiting period) counts; the same offence disposed 16 Sep 2020 does not; an offence on
    16 Mar 2020 does not, whenever disposed. A counts 1, B 0, C 0.
    """
    result, excluded = counted(
        people(("A", D(2019, 3, 15)), ("B", D(2019, 3, 15)), ("C", D(2019, 3, 15))),
        offences(
            ("A", D(2020, 3, 15), D(2020, 9, 15)),
            ("B", D(2020, 3, 15), D(2020, 9, 16)),
            ("C", D(2020, 3, 16), D(2020, 4, 1)),
        ),
    )
    assert result == {"A": 1, "B": 0, "C": 0}
    assert excluded["disposal_after_waiting_period"] == 1
    assert excluded["after_follow_up"] == 1


def test_breach_never_counts():
    """Two offences inside the window for A, one a breach of licence: 1 reoffence, not 2."""
    result, excluded = counted(
        people(("A", D(2019, 1, 10))),
        offences(
            ("A", D(2019, 2, 1), D(2019, 3, 1), False),
            ("A", D(2019, 2, 2), D(2019, 3, 1), True),
        ),
    )
    assert result == {"A": 1}
    assert excluded["breach"] == 1


def test_offence_on_the_index_date_does_not_count():
    """The window starts strictly after the index date: 10 Jan offence, 10 Jan index -> 0."""
    result, excluded = counted(
        people(("A", D(2019, 1, 10))),
        offences(("A", D(2019, 1, 10), D(2019, 2, 1)), ("A", D(2019, 1, 11), D(2019, 2, 1))),
    )
    assert result == {"A": 1}
    assert excluded["on_or_before_index_date"] == 1


def test_leap_year_follow_up():
    """Index 29 Feb 2020: follow-up ends 28 Feb 2021 (no 29 Feb in 2021), waiting 28 Aug 2021.

    Offence 28 Feb 2021 counts (disposed 28 Aug 2021); offence 1 Mar 2021 does not; for B the
    disposal on 29 Aug 2021 is one day late.
    """
    result, _ = counted(
        people(("A", D(2020, 2, 29)), ("B", D(2020, 2, 29))),
        offences(
            ("A", D(2021, 2, 28), D(2021, 8, 28)),
            ("A", D(2021, 3, 1), D(2021, 3, 2)),
            ("B", D(2021, 2, 1), D(2021, 8, 29)),
        ),
    )
    assert result == {"A": 1, "B": 0}


def test_31_august_plus_six_months_waiting():
    """Index 31 Aug 2019 -> follow-up 31 Aug 2020 -> waiting 28 Feb 2021 (clamped from 31st).

    Offence 31 Aug 2020 disposed 28 Feb 2021 counts; disposed 1 Mar 2021 it does not.
    """
    outcomes, _, _ = person_outcomes(
        people(("A", D(2019, 8, 31)), ("B", D(2019, 8, 31))),
        offences(("A", D(2020, 8, 31), D(2021, 2, 28)), ("B", D(2020, 8, 31), D(2021, 3, 1))),
        as_of=LATE,
    )
    assert outcomes["follow_up_end"].to_list() == [D(2020, 8, 31)] * 2
    assert outcomes["waiting_end"].to_list() == [D(2021, 2, 28)] * 2
    assert outcomes["reoffences"].to_list() == [1, 0]


def test_incomplete_follow_up_is_reported_not_counted_as_non_reoffending():
    """As of 30 Jun 2020: A (index 1 Jan 2019) ended waiting 1 Jul 2020 -> incomplete.

    B (index 1 Dec 2018) ended waiting 1 Jun 2020 -> complete, did not reoffend. C (index
    1 Nov 2018) reoffended. People 2 (B, C), reoffenders 1, rate 0.5, incomplete 1; A's offence
    is excluded as incomplete follow-up.
    """
    result = measure_reoffending(
        people(("A", D(2019, 1, 1)), ("B", D(2018, 12, 1)), ("C", D(2018, 11, 1))),
        offences(("A", D(2019, 2, 1), D(2019, 3, 1)), ("C", D(2019, 2, 1), D(2019, 3, 1))),
        as_of=D(2020, 6, 30),
    )
    total = result.total
    assert (total.people, total.reoffenders, total.binary_rate) == (2, 1, 0.5)
    assert total.incomplete_follow_up == 1
    assert result.excluded_offences["incomplete_follow_up"] == 1
    assert [c.cohort for c in result.cohorts] == ["2018Q4", "2019Q1"]
    assert result.cohorts[1].people == 0
    assert result.cohorts[1].binary_rate is None


def test_measures_by_quarter_worked_example():
    """2019Q1: A (3 reoffences, first after 20 days), B (1, after 40 days), C (none).

    people 3, reoffenders 2, rate 2/3, reoffences 4, per offender 4/3, per reoffender 2, median
    days (20 + 40) / 2 = 30. 2019Q2: D with none. Total: 4 people, rate 0.5, median 30.
    """
    result = measure_reoffending(
        people(
            ("A", D(2019, 1, 1)), ("B", D(2019, 2, 1)), ("C", D(2019, 3, 1)), ("D", D(2019, 4, 1))
        ),
        offences(
            ("A", D(2019, 1, 21), D(2019, 2, 1)),
            ("A", D(2019, 5, 1), D(2019, 6, 1)),
            ("A", D(2019, 7, 1), D(2019, 8, 1)),
            ("B", D(2019, 3, 13), D(2019, 4, 1)),
            ("Z", D(2019, 3, 13), D(2019, 4, 1)),
        ),
        as_of=D(2021, 1, 1),
    )
    q1, q2 = result.cohorts
    assert (q1.cohort, q1.people, q1.reoffenders, q1.reoffences) == ("2019Q1", 3, 2, 4)
    assert q1.binary_rate == pytest.approx(2 / 3)
    assert q1.frequency_per_offender == pytest.approx(4 / 3)
    assert q1.frequency_per_reoffender == 2.0
    assert q1.median_days_to_first == 30.0
    assert (q2.cohort, q2.people, q2.reoffenders, q2.median_days_to_first) == ("2019Q2", 1, 0, None)
    assert (result.total.people, result.total.binary_rate) == (4, 0.5)
    assert result.excluded_offences["not_in_cohort"] == 1
    assert result.counted_offences == 4


def test_group_by_column_with_missing_values():
    frame = people(("A", D(2019, 1, 1)), ("B", D(2019, 1, 1)), area=["North", None])
    result = measure_reoffending(
        frame, offences(("A", D(2019, 2, 1), D(2019, 3, 1))), by="area", as_of=LATE
    )
    assert [(c.cohort, c.reoffenders) for c in result.cohorts] == [("(missing)", 0), ("North", 1)]


def test_unknown_group_column_suggests_the_closest():
    with pytest.raises(FullvalueError) as caught:
        measure_reoffending(
            people(("A", D(2019, 1, 1)), area=["x"]),
            offences(("A", D(2019, 2, 1), D(2019, 3, 1))),
            by="aera",
        )
    assert "did you mean 'area'" in str(caught.value)


def test_default_as_of_is_latest_disposal():
    result = measure_reoffending(
        people(("A", D(2019, 1, 1))), offences(("A", D(2019, 2, 1), D(2020, 7, 1)))
    )
    assert result.as_of == D(2020, 7, 1)
    assert result.total.people == 1  # waiting ended 1 Jul 2020, on the as-of date


def test_shorter_definition():
    """Follow-up 6 months, waiting 3: index 1 Jan 2019 -> window to 1 Jul, disposal by 1 Oct."""
    result, _ = counted(
        people(("A", D(2019, 1, 1)), ("B", D(2019, 1, 1))),
        offences(("A", D(2019, 7, 1), D(2019, 10, 1)), ("B", D(2019, 7, 2), D(2019, 7, 3))),
        definition=Definition(follow_up_months=6, waiting_months=3),
    )
    assert result == {"A": 1, "B": 0}


def test_invalid_definition_is_refused():
    with pytest.raises(FullvalueError):
        Definition(follow_up_months=0, waiting_months=-1)


# --- properties -------------------------------------------------------------------------------

dates = st.dates(min_value=D(2017, 1, 1), max_value=D(2021, 12, 31))


@st.composite
def tables(draw):
    n = draw(st.integers(min_value=1, max_value=6))
    ids = [f"P{i}" for i in range(n)]
    index = [draw(dates) for _ in ids]
    rows = []
    for _ in range(draw(st.integers(min_value=0, max_value=15))):
        person = draw(st.sampled_from([*ids, "OUTSIDER"]))
        offence = draw(dates)
        disposal = offence + dt.timedelta(days=draw(st.integers(0, 400)))
        rows.append((person, offence, disposal, draw(st.booleans())))
    return people(*zip(ids, index, strict=True)), offences(*rows)


def reference(frame_people, frame_offences, as_of):
    """A plain-Python reading of the definition, one offence at a time."""
    out = {}
    for pid, index in frame_people.iter_rows():
        end = add_months(index, 12)
        wait = add_months(end, 6)
        if wait > as_of:
            continue
        hits = [
            o
            for p, o, d, b in frame_offences.iter_rows()
            if p == pid and not b and index < o <= end and d <= wait
        ]
        out[pid] = (len(hits), (min(hits) - index).days if hits else None)
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables(), dates)
def test_agrees_with_a_plain_python_reading_of_the_definition(data, as_of):
    frame_people, frame_offences = data
    outcomes, _, _ = person_outcomes(frame_people, frame_offences, as_of=as_of)
    expected = reference(frame_people, frame_offences, as_of)
    got = {
        pid: (n, days)
        for pid, n, days, complete in outcomes.select(
            "person_id", "reoffences", "days_to_first", "complete"
        ).iter_rows()
        if complete
    }
    assert got == expected
    result = measure_reoffending(frame_people, frame_offences, as_of=as_of)
    firsts = [d for n, d in expected.values() if n]
    assert result.total.people == len(expected)
    assert result.total.reoffenders == len(firsts)
    assert result.total.median_days_to_first == (statistics.median(firsts) if firsts else None)


@settings(max_examples=100, deadline=None)
@given(tables(), st.integers(0, 4), st.data())
def test_an_offence_outside_the_window_changes_nothing(data, kind, draw):
    frame_people, frame_offences = data
    pid, index = frame_people.row(draw.draw(st.integers(0, frame_people.height - 1)))
    end = add_months(index, 12)
    wait = add_months(end, 6)
    inside = index + dt.timedelta(days=draw.draw(st.integers(1, (end - index).days)))
    extra = [
        (pid, index - dt.timedelta(days=draw.draw(st.integers(0, 500))), index, False),
        (pid, end + dt.timedelta(days=draw.draw(st.integers(1, 500))), LATE, False),
        (pid, inside, wait + dt.timedelta(days=draw.draw(st.integers(1, 300))), False),
        (pid, inside, inside, True),
        ("NOT-IN-COHORT", inside, inside, False),
    ][kind]
    extra = (extra[0], extra[1], max(extra[1], extra[2]), extra[3])
    before = measure_reoffending(frame_people, frame_offences, as_of=LATE)
    after = measure_reoffending(
        frame_people, pl.concat([frame_offences, offences(extra)]), as_of=LATE
    )
    assert after.cohorts == before.cohorts
    assert after.total == before.total
    assert after.counted_offences == before.counted_offences
    assert sum(after.excluded_offences.values()) == sum(before.excluded_offences.values()) + 1


@settings(max_examples=100, deadline=None)
@given(tables(), dates)
def test_rates_are_bounded_and_reoffences_at_least_reoffenders(data, as_of):
    result = measure_reoffending(*data, as_of=as_of)
    for m in (*result.cohorts, result.total):
        assert m.binary_rate is None or 0.0 <= m.binary_rate <= 1.0
        assert m.reoffences >= m.reoffenders
        assert m.reoffenders <= m.people
        if m.frequency_per_reoffender is not None:
            assert m.frequency_per_reoffender >= 1.0
    assert sum(c.people for c in result.cohorts) == result.total.people
    assert sum(c.incomplete_follow_up for c in result.cohorts) == result.total.incomplete_follow_up


@settings(max_examples=100, deadline=None)
@given(tables(), dates)
def test_integer_ids_take_the_fast_path_with_the_same_answer(data, as_of):
    """Integer ids are counted by direct index, text ids by a join: the results must agree."""
    frame_people, frame_offences = data
    as_int = {f"P{i}": i for i in range(frame_people.height)} | {"OUTSIDER": frame_people.height}
    to_int = pl.col("person_id").replace_strict(as_int, return_dtype=pl.Int64)
    text = person_outcomes(frame_people, frame_offences, as_of=as_of)
    whole = person_outcomes(
        frame_people.with_columns(to_int), frame_offences.with_columns(to_int), as_of=as_of
    )
    assert text[1] == whole[1]
    assert text[0].drop("person_id").equals(whole[0].drop("person_id"))


def test_fast_path_on_synthetic_data_matches_the_join():
    from fullvalue.engine.measure.synthetic import synthetic_cohort

    cohort = synthetic_cohort(200, 3000, seed=5)
    as_text = pl.col("person_id").cast(pl.String)
    fast = measure_reoffending(cohort.people, cohort.offences, as_of=LATE)
    slow = measure_reoffending(
        cohort.people.with_columns(as_text), cohort.offences.with_columns(as_text), as_of=LATE
    )
    assert fast == slow
    assert fast.total.reoffenders > 0
