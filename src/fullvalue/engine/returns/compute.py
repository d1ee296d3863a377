"""Produce funders' returns from outcome records.

Every figure of every return is computed from one participants table and one records table,
whole columns at a time with Polars (no Python loop over rows), so a provider with hundreds of
thousands of participants gets all its funders' returns in seconds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import polars as pl

from fullvalue.engine.returns.framework import BREAKDOWNS, Framework, Indicator, periods_within
from fullvalue.engine.returns.io import ROW

TOTAL = "total"
#: Breakdown cells describing 1 to 4 participants are suppressed (value null).
SUPPRESS = range(1, 5)
#: Decimal places a ``sum`` is rounded to, to drop binary floating-point noise (0.1 + 0.2).
SUM_PLACES = 6

Number = int | float | None


@dataclass(frozen=True)
class Cell:
    """One group of a breakdown: its figure, or ``None`` with ``suppressed`` when disclosive."""

    group: str
    value: Number
    suppressed: bool = False


@dataclass(frozen=True)
class Figure:
    """An indicator's figure for one period, with its breakdowns by participant group."""

    indicator: Indicator
    value: Number
    breakdowns: dict[str, tuple[Cell, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Return:
    """One framework's return for one reporting period."""

    framework: Framework
    period_start: dt.date
    period_end: dt.date
    figures: tuple[Figure, ...]


def with_period(frame: pl.DataFrame, column: str, framework: Framework, name: str) -> pl.DataFrame:
    """Add the number of the framework's reporting period containing each date of ``column``.

    The vectorised form of :func:`~fullvalue.engine.returns.framework.period_index` (a null
    date gives a null period).

    Examples
    --------
    >>> from fullvalue.engine.returns.framework import Framework, period_bounds
    >>> months = Framework("f", "F", "", "month", (1, 1), (), ())
    >>> days = pl.DataFrame({"d": [dt.date(2025, 1, 31), dt.date(2025, 2, 1)]})
    >>> ks = with_period(days, "d", months, "k")["k"].to_list()
    >>> [period_bounds(months, k)[0].isoformat() for k in ks]
    ['2025-01-01', '2025-02-01']

    """
    month, first = framework.year_start
    date = pl.col(column)
    months = (
        date.dt.year().cast(pl.Int64) * 12
        + date.dt.month().cast(pl.Int64)
        - month
        - (date.dt.day() < first).cast(pl.Int64)
    )
    return frame.with_columns((months // framework.months).alias(name))


def _counts(
    events: pl.DataFrame, dimension: str
) -> dict[tuple[str, int, str], tuple[int, int, float]]:
    grouped = events.group_by("indicator", "k", dimension).agg(
        pl.col("pid").n_unique().alias("participants"),
        pl.len().alias("records"),
        pl.col("value").sum().alias("sum"),
    )
    return {(i, k, g): (p, r, s) for i, k, g, p, r, s in grouped.iter_rows()}


def active_participants(
    participants: pl.DataFrame, dimension: str, first: int, last: int
) -> dict[tuple[int, str], int]:
    r"""Count the participants active in each period ``first`` to ``last``, by group.

    The participants frame holds ``kf`` and ``kl``, the periods of the start and end dates
    (``kl`` null when there is no end date).

    Notes
    -----
    A participant is active in period :math:`k` when the start date is on or before its last
    day and there is no end date or the end date is on or after its first day; as periods are
    consecutive, that is :math:`k_f \le k \le k_l` (:math:`k_l = \infty` with no end date).
    Each participant adds 1 at :math:`\max(k_f, first)` and takes it away after
    :math:`\min(k_l, last)`; a running sum over :math:`k` gives the counts.

    """
    spans = participants.select(
        dimension,
        pl.col("kf").clip(lower_bound=first).alias("on"),
        (pl.col("kl").fill_null(last).clip(upper_bound=last) + 1).alias("off"),
    ).filter(pl.col("on") < pl.col("off"))
    deltas = pl.concat(
        [
            spans.group_by(dimension, "on").agg(pl.len().cast(pl.Int64)).rename({"on": "k"}),
            spans.group_by(dimension, "off").agg(-pl.len().cast(pl.Int64)).rename({"off": "k"}),
        ]
    )
    running = (
        deltas.group_by(dimension, "k")
        .agg(pl.col("len").sum())
        .sort(dimension, "k")
        .with_columns(pl.col("len").cum_sum().over(dimension).alias("active"))
    )
    active: dict[tuple[int, str], int] = {}
    for group, rows in running.partition_by(dimension, as_dict=True).items():
        level = 0
        changes = dict(zip(rows["k"].to_list(), rows["active"].to_list(), strict=True))
        for k in range(first, last + 1):
            level = changes.get(k, level)
            active[k, str(group[0])] = level
    return active


def changes(readings: pl.DataFrame, first: int, last: int) -> pl.DataFrame:
    r"""Each participant's change on one scale in each period ``first`` to ``last`` it counts in.

    ``readings`` holds one code's records with ``pid`` (participant number), ``date``,
    ``value``, ``k`` (period), ``row`` (file position) and the breakdown columns.

    Notes
    -----
    For period :math:`k`, over the participants :math:`i` whose latest reading up to the end of
    :math:`k` falls in :math:`k` (they have a reading in :math:`k`) and who have at least two
    readings up to its end:

    .. math:: \bar\Delta_k = \frac{1}{|I_k|} \sum_{i \in I_k} (x_{i,\text{last}(k)} - x_{i,1})

    where :math:`x_{i,1}` is the first reading ever and :math:`x_{i,\text{last}(k)}` the latest
    in :math:`k`, readings ordered by date and, on one date, by their order in the file. This
    returns one row per :math:`(i, k)` with :math:`i \in I_k`: ``pid``, ``k``, ``change`` and
    the breakdown columns; :func:`mean_changes` averages them.

    """
    ordered = readings.sort("pid", "date", ROW)
    groups = [c for c in (TOTAL, *BREAKDOWNS) if c in readings.columns]
    return (
        ordered.group_by("pid", "k", maintain_order=True)
        .agg(
            pl.col("value").last().alias("latest"),
            pl.len().alias("n"),
            *(pl.col(c).first() for c in groups),
        )
        .with_columns(pl.col("n").cum_sum().over("pid").alias("so_far"))
        .join(
            ordered.group_by("pid").agg(pl.col("value").first().alias("first_ever")),
            on="pid",
        )
        .filter(pl.col("k").is_between(first, last), pl.col("so_far") >= 2)
        .select("pid", "k", (pl.col("latest") - pl.col("first_ever")).alias("change"), *groups)
    )


def mean_changes(rows: pl.DataFrame, dimension: str) -> dict[tuple[int, str], tuple[float, int]]:
    """Average :func:`changes` by period and group: ``{(k, group): (mean, participants)}``."""
    grouped = rows.group_by("k", dimension).agg(pl.col("change").mean(), pl.len())
    return {(k, g): (m, n) for k, g, m, n in grouped.iter_rows()}


def _value(indicator: Indicator, counts: tuple[int, int, float], active: int) -> Number:
    participants, records, total = counts
    if indicator.measure == "participants":
        return participants
    if indicator.measure == "records":
        return records
    if indicator.measure == "sum":
        rounded = round(total, SUM_PLACES)
        return int(rounded) if rounded.is_integer() else rounded
    return participants / active if active else None


def _framework_returns(
    framework: Framework,
    participants: pl.DataFrame,
    records: pl.DataFrame,
    start: dt.date,
    end: dt.date,
) -> list[Return]:
    periods = list(periods_within(framework, start, end))
    if not periods:
        return []
    first, last = periods[0][0], periods[-1][0]
    dimensions = [TOTAL, *framework.breakdowns]
    people = with_period(participants, "start_date", framework, "kf")
    people = with_period(people, "end_date", framework, "kl")
    groups = {d: sorted(people.get_column(d).unique().to_list()) for d in framework.breakdowns}
    groups[TOTAL] = [TOTAL]
    dated = with_period(records, "date", framework, "k")
    counted = [i for i in framework.indicators if i.measure != "mean_change"]
    codes = pl.DataFrame(
        [(i.id, c) for i in counted for c in i.codes],
        schema={"indicator": pl.String, "code": pl.String},
        orient="row",
    )
    events = dated.filter(pl.col("k").is_between(first, last)).join(codes, on="code")
    counts = {d: _counts(events, d) for d in dimensions}
    active = {d: active_participants(people, d, first, last) for d in dimensions}
    means = {}
    for indicator in framework.indicators:
        if indicator.measure == "mean_change":
            rows = changes(
                dated.filter(pl.col("code") == indicator.codes[0], pl.col("k") <= last),
                first,
                last,
            )
            means.update({(indicator.id, d): mean_changes(rows, d) for d in dimensions})
    returns = []
    for k, period_start, period_end in periods:
        figures = []
        for indicator in framework.indicators:
            cells: dict[str, list[Cell]] = {}
            for d in dimensions:
                for group in groups[d]:
                    if indicator.measure == "mean_change":
                        mean, n = means[indicator.id, d].get((k, group), (None, 0))
                        value: Number = mean
                        disclosive = n in SUPPRESS
                    else:
                        found = counts[d].get((indicator.id, k, group), (0, 0, 0.0))
                        here = active[d].get((k, group), 0)
                        value = _value(indicator, found, here)
                        disclosive = found[0] in SUPPRESS or (
                            indicator.measure == "share" and here in SUPPRESS
                        )
                    if d != TOTAL and disclosive:
                        cells.setdefault(d, []).append(Cell(group, None, suppressed=True))
                    else:
                        cells.setdefault(d, []).append(Cell(group, value))
            total = cells.pop(TOTAL)[0].value
            figures.append(Figure(indicator, total, {d: tuple(c) for d, c in cells.items()}))
        returns.append(Return(framework, period_start, period_end, tuple(figures)))
    return returns


def compute_returns(
    frameworks: Sequence[Framework],
    participants: pl.DataFrame,
    records: pl.DataFrame,
    start: dt.date,
    end: dt.date,
) -> list[Return]:
    r"""Produce every framework's return for every reporting period inside ``start``-``end``.

    Parameters
    ----------
    frameworks : sequence of Framework
        The funders' frameworks, in the order their returns are wanted.
    participants : pl.DataFrame
        ``participant``, ``start_date``, ``end_date`` (null when open), ``sex``, ``ethnicity``,
        ``age_band``, ``area`` (as :func:`~fullvalue.engine.returns.io.read_participants`).
    records : pl.DataFrame
        ``participant``, ``date``, ``code``, ``value`` (float, null when blank) and ``row`` (file
        position), as :func:`~fullvalue.engine.returns.io.read_records`; every participant is
        in ``participants``.
    start, end : date
        Periods that start on or after ``start`` and end on or before ``end`` are returned.

    Returns
    -------
    list of Return
        By framework, then period; each with one figure per indicator, in framework order.

    Notes
    -----
    For a period :math:`[a, b]` and an indicator with codes :math:`C`, let :math:`R` be the
    records with a code in :math:`C` dated :math:`a \le d \le b`, and :math:`P(R)` their
    distinct participants. A participant is active when :math:`s \le b` and
    (:math:`e` is blank or :math:`e \ge a`), for start date :math:`s` and end date :math:`e`.

    ============== ================================================================
    measure        figure
    ============== ================================================================
    participants   :math:`|P(R)|`
    records        :math:`|R|`
    sum            :math:`\sum_{r \in R} v_r` (blank values are refused beforehand)
    share          :math:`|P(R)| / |\text{active}|`, null when none are active
    mean_change    see :func:`changes` (one code only)
    ============== ================================================================

    Breakdowns apply the same definitions within each group of participants. A cell is
    suppressed (null) when it describes 1 to 4 participants: the participants counted (for
    ``mean_change``, those averaged) or, for ``share``, the participants active.

    Examples
    --------
    Three participants; in the April-June 2025 quarter P1 and P2 start work (P1 twice), and P1's
    work scale goes 3 then 7 (change +4), P3's 5 then 6 (+1) - mean (4 + 1) / 2 = 2.5:

    >>> from fullvalue.engine.returns.framework import parse_framework
    >>> framework = parse_framework('''
    ... id = "trust"
    ... funder = "A trust"
    ... period = "quarter"
    ... year_start = "04-01"
    ... [[indicators]]
    ... id = "jobs"
    ... label = "Job starts"
    ... measure = "records"
    ... codes = ["ete.job_start"]
    ... [[indicators]]
    ... id = "working"
    ... label = "Share who started work"
    ... measure = "share"
    ... codes = ["ete.job_start"]
    ... [[indicators]]
    ... id = "work_change"
    ... label = "Change in the work scale"
    ... measure = "mean_change"
    ... codes = ["star.work"]
    ... ''')
    >>> d = dt.date
    >>> people = pl.DataFrame({
    ...     "participant": ["P1", "P2", "P3"],
    ...     "start_date": [d(2025, 1, 6), d(2025, 5, 1), d(2025, 2, 1)],
    ...     "end_date": [None, None, d(2025, 3, 31)],
    ... }).with_columns(
    ...     *(pl.lit("x").alias(c) for c in ("sex", "ethnicity", "age_band", "area")))
    >>> records = pl.DataFrame({
    ...     "participant": ["P1", "P1", "P2", "P1", "P1", "P3", "P3"],
    ...     "date": [d(2025, 4, 2), d(2025, 6, 9), d(2025, 5, 5), d(2025, 3, 1),
    ...              d(2025, 6, 1), d(2025, 1, 9), d(2025, 5, 1)],
    ...     "code": ["ete.job_start"] * 3 + ["star.work"] * 4,
    ...     "value": [None, None, None, 3.0, 7.0, 5.0, 6.0],
    ... }).with_row_index("row").with_columns(pl.col("row").cast(pl.Int64))
    >>> [(f.indicator.id, f.value) for f in compute_returns(
    ...     [framework], people, records, d(2025, 4, 1), d(2025, 6, 30))[0].figures]
    [('jobs', 3), ('working', 1.0), ('work_change', 2.5)]

    P3 ended on 31 March, so two participants are active and both started work: share 1.0.

    """
    people = participants.with_row_index("pid").with_columns(pl.lit(TOTAL).alias(TOTAL))
    # One join up front: each record's participant number and groups, for every framework.
    dated = records.join(people.select("participant", "pid", *BREAKDOWNS, TOTAL), on="participant")
    return [
        result
        for framework in frameworks
        for result in _framework_returns(framework, people, dated, start, end)
    ]
