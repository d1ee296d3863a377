"""A cohort's reoffending against a fixed comparison value (a baseline or a published rate).

Used when the commissioner has the cohort's own reoffending (from an extract of proven
reoffences, measured by :func:`fullvalue.engine.measure.reoffending.person_outcomes`) and a
comparison value from elsewhere: a historical baseline, or the matched comparison group's rate
from a Justice Data Lab report. The comparison is treated as known; its own sampling error is
not included, which makes the interval narrower than a two-sample comparison would give.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import numpy.typing as npt

from fullvalue.engine.measure.inference import Estimate, critical_value, p_value
from fullvalue.errors import FullvalueError, Problem

#: Fewer people than this give no test: the normal approximation would not hold.
MIN_TESTED = 30

Measure = Literal["binary", "frequency"]


def against_fixed(values: npt.ArrayLike, comparison: float, measure: Measure) -> Estimate:
    """Compare a cohort's mean with a fixed comparison value; one-sided test of "lower".

    Parameters
    ----------
    values : array of float
        One value per person with complete follow-up: 1 or 0 (reoffended or not) for
        ``binary``, the number of proven reoffences for ``frequency``.
    comparison : float
        The comparison rate (0-1) or reoffences per person.
    measure : {"binary", "frequency"}
        Whether the values are 0/1 reoffenders or counts of reoffences.

    Returns
    -------
    Estimate
        Treated value, comparison, difference (treated minus comparison) with a 95% interval,
        and the one-sided p-value that the cohort reoffends less. With fewer than
        :data:`MIN_TESTED` people the interval and p-value are ``None``.

    Notes
    -----
    With ``n`` people, mean ``m`` and comparison ``c``:

    - binary: the score test ``z = (m - c) / sqrt(c (1 - c) / n)``, p-value ``Phi(z)``; the
      interval is the Wilson score interval for the rate, minus ``c``;
    - frequency: ``t = (m - c) / (s / sqrt(n))`` with ``s`` the sample standard deviation of
      the counts (the Poisson ``sqrt(c)`` when every count is the same), p-value from the t
      distribution on ``n - 1`` degrees of freedom; interval ``m - c +/- t_{0.975} s / sqrt(n)``.

    References
    ----------
    Wilson E. B. (1927), "Probable inference, the law of succession, and statistical
    inference", *JASA* 22, 209-212.

    Examples
    --------
    40 of 100 reoffended against a baseline of 50%: z = -0.1 / 0.05 = -2, p = Phi(-2); the
    Wilson interval for 40/100 is 0.3094 to 0.4980.

    >>> e = against_fixed([1] * 40 + [0] * 60, 0.5, "binary")
    >>> round(e.difference, 3), round(e.p_value, 4), round(e.ci_low, 4), round(e.ci_high, 4)
    (-0.1, 0.0228, -0.1906, -0.002)

    """
    data = np.asarray(values, dtype=np.float64)
    problems = []
    if measure not in ("binary", "frequency"):
        problems.append(Problem("must be binary or frequency", column="measure"))
    if not math.isfinite(comparison) or comparison < 0 or (measure == "binary" and comparison > 1):
        problems.append(
            Problem("a rate is between 0 and 1; a frequency is 0 or more", column="comparison")
        )
    if data.size == 0:
        problems.append(Problem("no one in the cohort has completed follow-up"))
    if problems:
        raise FullvalueError.from_problems("Cannot compare against a fixed value.", problems)
    n = int(data.size)
    mean = float(data.mean())
    difference = mean - comparison
    if n < MIN_TESTED:
        return Estimate(mean, comparison, difference, None, None, None, n, math.inf)
    if measure == "binary":
        se0 = math.sqrt(comparison * (1 - comparison) / n)
        if se0 == 0:
            probability = 0.0 if mean < comparison else 1.0
        else:
            probability = p_value((mean - comparison) / se0, "less")
        z = critical_value()
        centre = (mean + z * z / (2 * n)) / (1 + z * z / n)
        half = z / (1 + z * z / n) * math.sqrt(mean * (1 - mean) / n + z * z / (4 * n * n))
        low, high = centre - half - comparison, centre + half - comparison
    else:
        sd = float(data.std(ddof=1))
        if sd == 0:
            sd = math.sqrt(comparison) if comparison > 0 else 0.0
        se = sd / math.sqrt(n)
        df = n - 1
        if se == 0:
            probability = 0.0 if mean < comparison else 1.0
            low = high = difference
        else:
            probability = p_value(difference / se, "less", df)
            t = critical_value(df)
            low, high = difference - t * se, difference + t * se
    return Estimate(mean, comparison, difference, low, high, probability, n, math.inf)
