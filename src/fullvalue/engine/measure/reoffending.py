"""Proven reoffending, Ministry of Justice definition: binary rate, frequency, time to reoffend.

A *proven reoffence* is an offence committed strictly after the person's index date (release from
custody or start of a court order) and on or before the end of the follow-up period (the index date
plus 12 calendar months by default), that led to a conviction or caution (the *disposal*) on or
before the end of the follow-up period plus a further waiting period (6 months by default).
Breaches of licence or of an order never count. Months are calendar months clamped to the end of a
shorter month (see :mod:`fullvalue.engine.measure.dates`); the waiting period is added to the end
of the follow-up period, so 31 August 2019 + 12 months = 31 August 2020, + 6 months = 28 February
2021.

A person's follow-up is *complete* when the waiting period has ended on or before the as-of date
(by default the latest disposal date in the offences table). People whose follow-up is incomplete
are left out of every rate and counted separately; they are never counted as non-reoffenders.
Offences that do not count are counted by reason, never silently dropped.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import polars as pl

from fullvalue.engine.measure.blocks import in_blocks
from fullvalue.engine.measure.dates import add_months_days, to_days
from fullvalue.engine.measure.ids import person_positions
from fullvalue.engine.measure.io import to_numpy
from fullvalue.errors import FullvalueError, Problem

TOTAL = "total"
MISSING_COHORT = "(missing)"

#: Reasons an offence does not count, in the order they are tested (an offence is counted under
#: the first that applies).
EXCLUSION_REASONS = (
    "not_in_cohort",
    "incomplete_follow_up",
    "breach",
    "on_or_before_index_date",
    "after_follow_up",
    "disposal_after_waiting_period",
)


@dataclass(frozen=True)
class Definition:
    """The proven-reoffending definition's periods.

    Parameters
    ----------
    follow_up_months : int
        Length of the follow-up period in calendar months (MoJ: 12).
    waiting_months : int
        Further months allowed for the offence to be disposed of (MoJ: 6).

    """

    follow_up_months: int = 12
    waiting_months: int = 6

    def __post_init__(self) -> None:
        problems = []
        if self.follow_up_months < 1:
            problems.append(Problem("must be at least 1 month", "follow_up_months"))
        if self.waiting_months < 0:
            problems.append(Problem("cannot be negative", "waiting_months"))
        if problems:
            raise FullvalueError.from_problems("The reoffending definition is invalid.", problems)

    @property
    def period_words(self) -> str:
        """Describe the follow-up period ("one-year", "6-month")."""
        if self.follow_up_months == 12:
            return "one-year"
        return f"{self.follow_up_months}-month"


@dataclass(frozen=True)
class CohortMeasures:
    """Proven-reoffending measures for one cohort.

    ``binary_rate`` is a proportion 0-1; frequencies are reoffences per person; days are whole
    days from the index date to the first proven reoffence. Rates are ``None`` when undefined
    (no people with complete follow-up, or no reoffenders).
    """

    cohort: str
    people: int
    reoffenders: int
    binary_rate: float | None
    reoffences: int
    frequency_per_offender: float | None
    frequency_per_reoffender: float | None
    median_days_to_first: float | None
    incomplete_follow_up: int

    @classmethod
    def from_counts(
        cls,
        cohort: str,
        people: int,
        reoffenders: int,
        reoffences: int,
        median_days_to_first: float | None,
        incomplete_follow_up: int,
    ) -> CohortMeasures:
        """Derive the rates from the counts.

        Notes
        -----
        With ``n`` people with complete follow-up, ``r`` reoffenders and ``o`` reoffences:
        binary rate ``r / n``; frequency per offender ``o / n``; per reoffender ``o / r``.

        References
        ----------
        Ministry of Justice, *Proven reoffending statistics: guide*, "binary" and "frequency"
        measures.

        Examples
        --------
        45 of 120 people reoffended, committing 90 reoffences: rate 0.375, 0.75 per offender,
        2 per reoffender.

        >>> m = CohortMeasures.from_counts("2019Q1", 120, 45, 90, 101.0, 3)
        >>> (m.binary_rate, m.frequency_per_offender, m.frequency_per_reoffender)
        (0.375, 0.75, 2.0)

        """
        return cls(
            cohort=cohort,
            people=people,
            reoffenders=reoffenders,
            binary_rate=reoffenders / people if people else None,
            reoffences=reoffences,
            frequency_per_offender=reoffences / people if people else None,
            frequency_per_reoffender=reoffences / reoffenders if reoffenders else None,
            median_days_to_first=median_days_to_first,
            incomplete_follow_up=incomplete_follow_up,
        )


@dataclass(frozen=True)
class ReoffendingResult:
    """Measures by cohort and in total, with the offences that did not count by reason."""

    cohorts: tuple[CohortMeasures, ...]
    total: CohortMeasures
    excluded_offences: dict[str, int]
    counted_offences: int
    as_of: dt.date
    definition: Definition = field(default_factory=Definition)
    by: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON shape documented in ``docs/engine.md``."""
        return {
            "cohorts": [asdict(c) for c in self.cohorts],
            "total": asdict(self.total),
            "by": self.by or "quarter",
            "as_of": self.as_of.isoformat(),
            "follow_up_months": self.definition.follow_up_months,
            "waiting_months": self.definition.waiting_months,
            "counted_offences": self.counted_offences,
            "excluded_offences": dict(self.excluded_offences),
        }


def default_as_of(offences: pl.DataFrame) -> dt.date:
    """Return the latest disposal date in the offences table (the default as-of date).

    Examples
    --------
    >>> frame = pl.DataFrame({"disposal_date": [dt.date(2020, 1, 2), dt.date(2021, 3, 4)]})
    >>> default_as_of(frame)
    datetime.date(2021, 3, 4)

    """
    latest = offences.get_column("disposal_date").max()
    if not isinstance(latest, dt.date):
        raise FullvalueError("There are no disposal dates to take the as-of date from.")
    return latest


@dataclass(frozen=True)
class _Windows:
    """Each person's index date, follow-up end and waiting-period end (days since 1970-01-01).

    The arrays are 32-bit: gathering from them for millions of offences is several times faster
    than from 64-bit arrays, which are twice the size and fall out of the processor's cache.
    ``state`` has one more entry than there are people: each person's follow-up, complete
    (:data:`_COMPLETE`) or not (:data:`_INCOMPLETE`), then :data:`_ABSENT` for row -1, the row
    of an offence whose person is not in the table.
    """

    index: np.ndarray
    follow_up_end: np.ndarray
    waiting_end: np.ndarray
    state: np.ndarray


_ABSENT, _INCOMPLETE, _COMPLETE = 0, 1, 2


def _date_series(name: str, days: np.ndarray) -> pl.Series:
    return pl.Series(name, days.astype(np.int32, copy=False)).cast(pl.Date)


# Each offence is tested against the exclusion reasons in order and counted under the first that
# applies; an offence that passes every test is a proven reoffence. Whatever the ids, each offence
# is first given its person's row (fullvalue.engine.measure.ids), and the tests and counts are
# then made by direct index, on blocks of offences in parallel (fullvalue.engine.measure.blocks).


def _days(series: pl.Series) -> np.ndarray:
    return to_numpy(series.cast(pl.Int32))


def _test_block(
    windows: _Windows,
    offence: np.ndarray,
    disposal: np.ndarray,
    breach: np.ndarray,
    positions: np.ndarray,
) -> tuple[list[int], np.ndarray, np.ndarray]:
    """Count one block's offences under each exclusion reason; return the counted ones.

    Returns the count under each of :data:`EXCLUSION_REASONS`, then the rows of the people
    whose proven reoffences these are and the offences' days, one per proven reoffence.
    """
    # Gathers by a native-size index are several times faster than by the int32 positions;
    # row -1 (not in the table) reads the last entry of ``state``, so needs no shifting.
    rows = positions.astype(np.intp)
    state = np.take(windows.state, rows)
    absent = int(np.count_nonzero(state == _ABSENT))
    incomplete = int(np.count_nonzero(state == _INCOMPLETE))
    complete = len(positions) - absent - incomplete
    if 2 * complete > len(positions):
        # Most offences' people have complete follow-up: test every offence rather than copy
        # most of them. Row -1 reads the last person's dates, which ``passed`` then ignores.
        passed = state == _COMPLETE
    else:
        kept = np.flatnonzero(state == _COMPLETE)
        passed = np.ones(complete, dtype=bool)
        rows, offence, disposal, breach = rows[kept], offence[kept], disposal[kept], breach[kept]
    # For each later reason, the offences that pass its test (in the order of EXCLUSION_REASONS).
    checks = [
        lambda: ~breach,
        lambda: offence > np.take(windows.index, rows),
        lambda: offence <= np.take(windows.follow_up_end, rows),
        lambda: disposal <= np.take(windows.waiting_end, rows),
    ]
    counts = [absent, incomplete]
    remaining = complete
    for check in checks:
        passed &= check()
        left = int(np.count_nonzero(passed))
        counts.append(remaining - left)
        remaining = left
    return counts, rows[passed], offence[passed]


def _count_by_position(
    windows: _Windows, offences: pl.DataFrame, positions: np.ndarray
) -> tuple[dict[str, int], pl.DataFrame]:
    offence = _days(offences.get_column("offence_date"))
    disposal = _days(offences.get_column("disposal_date"))
    breach = to_numpy(offences.get_column("breach"))

    def test(start: int, stop: int) -> tuple[list[int], np.ndarray, np.ndarray]:
        block = slice(start, stop)
        return _test_block(
            windows, offence[block], disposal[block], breach[block], positions[block]
        )

    results = in_blocks(test, len(positions))
    totals = np.sum([counts for counts, _, _ in results], axis=0).tolist()
    excluded = dict(zip(EXCLUSION_REASONS, totals, strict=True))
    counted_rows = np.concatenate([rows for _, rows, _ in results])
    counted_days = np.concatenate([days for _, _, days in results])
    people = len(windows.index)
    reoffences = np.bincount(counted_rows, minlength=people)
    first = np.full(people, np.iinfo(np.int32).max, dtype=np.int32)
    np.minimum.at(first, counted_rows, counted_days)
    aligned = pl.DataFrame(
        {
            "reoffences": reoffences.astype(np.int64, copy=False),
            "days_to_first": first - windows.index,
        }
    ).with_columns(pl.when(pl.col("reoffences") > 0).then(pl.col("days_to_first").cast(pl.Int64)))
    return excluded, aligned


def person_outcomes(
    people: pl.DataFrame,
    offences: pl.DataFrame,
    *,
    as_of: dt.date | None = None,
    definition: Definition | None = None,
) -> tuple[pl.DataFrame, dict[str, int], dt.date]:
    """Apply the proven-reoffending definition person by person.

    Parameters
    ----------
    people : polars.DataFrame
        ``person_id`` (unique) and ``index_date`` (``pl.Date``), plus any other columns (kept).
    offences : polars.DataFrame
        ``person_id``, ``offence_date``, ``disposal_date`` (``pl.Date``) and ``breach``
        (``pl.Boolean``).
    as_of : datetime.date, optional
        Date the data are complete to; default the latest disposal date.
    definition : Definition, optional
        Follow-up and waiting periods; default 12 and 6 months.

    Returns
    -------
    outcomes : polars.DataFrame
        The people rows in their original order with ``follow_up_end``, ``waiting_end``,
        ``complete`` (follow-up and waiting period ended by ``as_of``), ``reoffences`` (count of
        proven reoffences) and ``days_to_first`` (days from index to the first proven reoffence,
        null for non-reoffenders).
    excluded : dict
        Offences that did not count, by reason (:data:`EXCLUSION_REASONS`).
    as_of : datetime.date
        The as-of date used.

    Notes
    -----
    For a person with index date ``t0``, ``F = t0 + f months`` and ``W = F + w months``, an
    offence with offence date ``o``, disposal date ``d`` and breach flag ``b`` counts when
    ``not b`` and ``t0 < o <= F`` and ``d <= W``, and the person's follow-up is complete when
    ``W <= as_of``.

    References
    ----------
    Ministry of Justice, *Proven reoffending statistics: definitions and measurement* (2019).

    Examples
    --------
    Index 31 Aug 2019: follow-up ends 31 Aug 2020, waiting period 28 Feb 2021. The offence of
    1 Mar 2020, disposed 28 Feb 2021, counts (days to it: 30 + 31 + 30 + 31 + 31 + 29 + 1 = 183,
    2020 being a leap year); the one on the index date does not.

    >>> people = pl.DataFrame({"person_id": ["A"], "index_date": [dt.date(2019, 8, 31)]})
    >>> offences = pl.DataFrame({
    ...     "person_id": ["A", "A"],
    ...     "offence_date": [dt.date(2020, 3, 1), dt.date(2019, 8, 31)],
    ...     "disposal_date": [dt.date(2021, 2, 28), dt.date(2019, 9, 30)],
    ...     "breach": [False, False]})
    >>> outcomes, excluded, as_of = person_outcomes(people, offences)
    >>> outcomes.select("waiting_end", "reoffences", "days_to_first").row(0)
    (datetime.date(2021, 2, 28), 1, 183)
    >>> excluded["on_or_before_index_date"]
    1

    """
    definition = definition or Definition()
    as_of = as_of or default_as_of(offences)
    # 32-bit day numbers, like Polars dates: gathers from them are faster (see _Windows).
    index_days = to_numpy(people.get_column("index_date").cast(pl.Int32))
    follow_days = add_months_days(index_days, definition.follow_up_months).astype(np.int32)
    wait_days = add_months_days(follow_days, definition.waiting_months).astype(np.int32)
    complete = wait_days <= to_days(as_of)
    with_windows = people.with_columns(
        _date_series("follow_up_end", follow_days),
        _date_series("waiting_end", wait_days),
        pl.Series("complete", complete),
    )
    positions = person_positions(people.get_column("person_id"), offences.get_column("person_id"))
    state = np.append(np.where(complete, _COMPLETE, _INCOMPLETE).astype(np.int8), _ABSENT)
    windows = _Windows(index_days, follow_days, wait_days, state)
    excluded, aligned = _count_by_position(windows, offences, positions)
    outcomes = with_windows.hstack(aligned)
    excluded["_counted"] = int(aligned.get_column("reoffences").sum())
    return outcomes, excluded, as_of


def _cohort_aggregates(frame: pl.LazyFrame) -> pl.LazyFrame:
    complete = pl.col("complete")
    reoffender = complete & (pl.col("reoffences") > 0)
    return frame.group_by("cohort").agg(
        complete.sum().alias("people"),
        reoffender.sum().alias("reoffenders"),
        pl.col("reoffences").filter(complete).sum().alias("reoffences"),
        pl.col("days_to_first").filter(reoffender).median().alias("median_days_to_first"),
        (~complete).sum().alias("incomplete_follow_up"),
    )


def _measures(row: dict[str, Any]) -> CohortMeasures:
    median = row["median_days_to_first"]
    return CohortMeasures.from_counts(
        cohort=str(row["cohort"]),
        people=int(row["people"]),
        reoffenders=int(row["reoffenders"]),
        reoffences=int(row["reoffences"] or 0),
        median_days_to_first=None if median is None else float(median),
        incomplete_follow_up=int(row["incomplete_follow_up"]),
    )


def cohort_labels(people: pl.DataFrame, by: str | None) -> pl.Expr:
    """Return the cohort label expression: the index date's quarter (``2019Q1``) or ``by``.

    Examples
    --------
    >>> frame = pl.DataFrame({"index_date": [dt.date(2019, 5, 1)], "area": [None]})
    >>> frame.select(cohort_labels(frame, None)).item()
    '2019Q2'
    >>> frame.select(cohort_labels(frame, "area")).item()
    '(missing)'

    """
    if by is None:
        date = pl.col("index_date")
        label = date.dt.year().cast(pl.String) + "Q" + date.dt.quarter().cast(pl.String)
        return label.alias("cohort")
    return pl.col(by).cast(pl.String).fill_null(MISSING_COHORT).alias("cohort")


def measure_reoffending(
    people: pl.DataFrame,
    offences: pl.DataFrame,
    *,
    by: str | None = None,
    as_of: dt.date | None = None,
    definition: Definition | None = None,
) -> ReoffendingResult:
    """Measure proven reoffending by cohort and in total.

    Parameters
    ----------
    people : polars.DataFrame
        ``person_id``, ``index_date`` and (when ``by`` is given) the ``by`` column.
    offences : polars.DataFrame
        ``person_id``, ``offence_date``, ``disposal_date``, ``breach``.
    by : str, optional
        A people column to group by; default the calendar quarter of the index date.
    as_of : datetime.date, optional
        Date the data are complete to; default the latest disposal date in ``offences``.
    definition : Definition, optional
        Follow-up and waiting periods (default 12 and 6 months).

    Returns
    -------
    ReoffendingResult
        One :class:`CohortMeasures` per cohort (sorted by label) and the total.

    Notes
    -----
    Only people with complete follow-up enter the rates: ``n`` people, ``r`` reoffenders (at
    least one proven reoffence), ``o`` proven reoffences; binary rate ``r / n``, frequency per
    offender ``o / n``, per reoffender ``o / r``; median over reoffenders of the days from the
    index date to the first proven reoffence (the mean of the two middle values when ``r`` is
    even).

    References
    ----------
    Ministry of Justice, *Proven reoffending statistics: definitions and measurement* (2019).

    Examples
    --------
    Two people released 15 Jan 2019; A reoffends on 1 Mar 2019 and again on 10 Mar 2019 (a
    breach, which does not count); B does not. Rate 1 of 2 = 0.5, one reoffence, first after 45
    days.

    >>> people = pl.DataFrame({"person_id": ["A", "B"], "index_date": [dt.date(2019, 1, 15)] * 2})
    >>> offences = pl.DataFrame({
    ...     "person_id": ["A", "A"],
    ...     "offence_date": [dt.date(2019, 3, 1), dt.date(2019, 3, 10)],
    ...     "disposal_date": [dt.date(2019, 6, 1), dt.date(2019, 4, 1)],
    ...     "breach": [False, True]})
    >>> result = measure_reoffending(people, offences, as_of=dt.date(2021, 1, 1))
    >>> t = result.total
    >>> (t.people, t.reoffenders, t.binary_rate, t.reoffences, t.median_days_to_first)
    (2, 1, 0.5, 1, 45.0)
    >>> result.cohorts[0].cohort, result.excluded_offences["breach"]
    ('2019Q1', 1)

    """
    definition = definition or Definition()
    if by is not None and by not in people.columns:
        from fullvalue.engine.measure.io import missing_column_problem

        raise FullvalueError.from_problems(
            f"Cannot group by {by!r}.", [missing_column_problem("people", by, people.columns)]
        )
    keep = ["person_id", "index_date", *([by] if by else [])]
    outcomes, excluded, as_of = person_outcomes(
        people.select(keep), offences, as_of=as_of, definition=definition
    )
    if by is None:
        # Group on a number (4 x year + quarter - 1) and label afterwards: much cheaper than
        # building a million strings.
        date = pl.col("index_date")
        key = (date.dt.year().cast(pl.Int32) * 4 + date.dt.quarter().cast(pl.Int32) - 1).alias(
            "cohort"
        )
    else:
        key = cohort_labels(people, by)
    labelled = outcomes.lazy().with_columns(key)
    by_cohort_q = _cohort_aggregates(labelled).sort("cohort")
    total_q = _cohort_aggregates(labelled.with_columns(cohort=pl.lit(TOTAL)))
    by_cohort, total = pl.collect_all([by_cohort_q, total_q])
    if by is None:
        by_cohort = by_cohort.with_columns(
            (
                (pl.col("cohort") // 4).cast(pl.String)
                + "Q"
                + (pl.col("cohort") % 4 + 1).cast(pl.String)
            ).alias("cohort")
        )
    counted = excluded.pop("_counted")
    return ReoffendingResult(
        cohorts=tuple(_measures(row) for row in by_cohort.iter_rows(named=True)),
        total=_measures(total.row(0, named=True)),
        excluded_offences=excluded,
        counted_offences=counted,
        as_of=as_of,
        definition=definition,
        by=by,
    )
