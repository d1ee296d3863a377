"""Differences with confidence intervals and p-values for matched and model-based comparisons."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from fullvalue.engine.measure.distributions import NORMAL_975, student_t_cdf, student_t_quantile
from fullvalue.errors import FullvalueError, Problem

Alternative = Literal["two-sided", "less", "greater"]
ALTERNATIVES: tuple[Alternative, ...] = ("two-sided", "less", "greater")
LEVEL = 0.95


@dataclass(frozen=True)
class Estimate:
    """A treated-minus-comparison difference with its 95% confidence interval and p-value.

    Values are in the measure's unit (proportion 0-1 for a rate, reoffences per person for a
    frequency, days for time to reoffend). ``n_treated`` and ``n_comparison`` are the people
    behind each value (the comparison's as a Kish effective sample size when weighted).
    """

    treated_value: float | None
    comparison_value: float | None
    difference: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    n_treated: float
    n_comparison: float

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON fields."""
        return asdict(self)


def check_alternative(alternative: str) -> Alternative:
    """Refuse an unknown alternative hypothesis.

    Examples
    --------
    >>> check_alternative("less")
    'less'

    """
    if alternative not in ALTERNATIVES:
        raise FullvalueError.from_problems(
            "Unknown alternative hypothesis.",
            [Problem(f"must be one of {', '.join(ALTERNATIVES)}", "--alternative")],
        )
    return alternative  # type: ignore[return-value]


def p_value(statistic: float, alternative: Alternative, df: float = math.inf) -> float:
    """Return the p-value of a t (or, with ``df`` infinite, normal) statistic.

    Notes
    -----
    With ``F`` the t distribution function on ``df`` degrees of freedom: two-sided
    ``2 F(-|T|)``; "less" (the treated value is lower) ``F(T)``; "greater" ``1 - F(T)``.

    References
    ----------
    Welch B. L. (1947), "The generalization of Student's problem when several different
    population variances are involved", *Biometrika* 34, 28-35.

    Examples
    --------
    >>> round(p_value(1.959964, "two-sided"), 4)
    0.05
    >>> round(p_value(-1.644854, "less"), 4)
    0.05

    """
    if alternative == "two-sided":
        return min(1.0, 2.0 * student_t_cdf(-abs(statistic), df))
    if alternative == "less":
        return student_t_cdf(statistic, df)
    return student_t_cdf(-statistic, df)


def critical_value(df: float = math.inf) -> float:
    """Return the two-sided 95% critical value of the t (or normal) distribution.

    Notes
    -----
    ``F^-1(0.975)`` for the t distribution on ``df`` degrees of freedom (the normal when ``df``
    is infinite), so that ``estimate +/- critical_value * se`` is a 95% interval.

    References
    ----------
    Welch B. L. (1947), *Biometrika* 34, 28-35.

    Examples
    --------
    >>> round(critical_value(), 4)
    1.96
    >>> round(critical_value(10), 4)
    2.2281

    """
    if math.isinf(df):
        return NORMAL_975
    return student_t_quantile(1.0 - (1.0 - LEVEL) / 2.0, df)


def neighbour_variance(
    outcome: npt.ArrayLike,
    score: npt.ArrayLike,
    members: npt.ArrayLike | None = None,
    order: npt.ArrayLike | None = None,
) -> npt.NDArray[np.float64]:
    """Estimate each unit's conditional outcome variance from its nearest neighbour on a score.

    Parameters
    ----------
    outcome : array of float
        Outcomes of everyone in one group (treated, or the whole comparison pool).
    score : array of float
        Their scores (the logit of the propensity score).
    members : array of int, optional
        The units whose variance is wanted (default all).
    order : array of int, optional
        The units in score order, when already known (see :func:`nearest_neighbour`).

    Returns
    -------
    numpy.ndarray
        ``sigma^2_i`` for each member.

    Notes
    -----
    With ``l(i)`` the unit of the same group nearest to ``i`` on the score (see
    :func:`nearest_neighbour`), ``sigma^2_i = (y_i - y_l(i))^2 / 2``: unbiased for
    ``Var(y | score)`` when the neighbour's score is the same (Abadie and Imbens' matching
    estimator of the conditional variance with one neighbour). A group of one has no neighbour
    and gets 0.

    References
    ----------
    Abadie A. and Imbens G. W. (2006), "Large sample properties of matching estimators for
    average treatment effects", *Econometrica* 74(1), 235-267, section 4.

    Examples
    --------
    Scores 0, 1, 5 with outcomes 1, 0, 0: the first two are each other's neighbours,
    (1 - 0)^2 / 2 = 0.5; the third's nearest is the second, (0 - 0)^2 / 2 = 0.

    >>> neighbour_variance([1.0, 0.0, 0.0], [0.0, 1.0, 5.0]).tolist()
    [0.5, 0.5, 0.0]

    """
    y = np.asarray(outcome, dtype=np.float64)
    wanted = np.arange(len(y)) if members is None else np.asarray(members, dtype=np.int64)
    if len(y) < 2:
        return np.zeros(len(wanted))
    return 0.5 * (y[wanted] - y[nearest_neighbour(score, wanted, order)]) ** 2


def nearest_neighbour(
    score: npt.ArrayLike, members: npt.ArrayLike | None = None, order: npt.ArrayLike | None = None
) -> npt.NDArray[np.int64]:
    """Return, for each member, the position of the nearest other unit on the score.

    Units are put in score order (equal scores in row order, or in the given ``order``) and
    each takes the nearer of its two neighbours in that order, the lower on a tie; a group of
    one is its own neighbour.

    Notes
    -----
    With ``s_(1) <= ... <= s_(n)`` the sorted scores, the unit at rank ``r`` takes rank
    ``r - 1`` when ``s_(r) - s_(r-1) <= s_(r+1) - s_(r)`` and rank ``r + 1`` otherwise: one sort,
    ``O(n log n)``, instead of an ``n x n`` distance matrix.

    References
    ----------
    Abadie A. and Imbens G. W. (2006), *Econometrica* 74(1), 235-267, section 4 (matching
    within a treatment group to estimate conditional variances).

    Examples
    --------
    Rows 1 and 3 share the score 1.0, so each is the other's neighbour; row 2 (5.0) is next to
    row 3 in score order.

    >>> nearest_neighbour([0.0, 1.0, 5.0, 1.0]).tolist()
    [1, 3, 3, 1]

    """
    s = np.asarray(score, dtype=np.float64)
    n = len(s)
    wanted = np.arange(n) if members is None else np.asarray(members, dtype=np.int64)
    if n < 2:
        return wanted.copy()
    order = np.argsort(s, kind="stable") if order is None else np.asarray(order, dtype=np.int64)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    return nearest_in_order(order, s[order], rank[wanted])


def nearest_in_order(
    order: npt.ArrayLike,
    ordered: npt.ArrayLike,
    places: npt.ArrayLike,
    among: npt.ArrayLike | None = None,
) -> npt.NDArray[np.int64]:
    """Return the unit nearest on the score to the unit at each of ``places`` in a score order.

    :func:`nearest_neighbour` for a caller that already has the order, the scores in it and the
    places of the units it wants (several look-ups in one large group share one sort).

    Parameters
    ----------
    order : array of int
        The group's units in score order.
    ordered : array of float
        Their scores, in that order.
    places : array of int
        Positions in ``order`` of the units whose neighbours are wanted.
    among : array of int, optional
        Positions, ascending, of the units that count (a subgroup, such as those with an
        outcome); ``places`` must be among them. Default: every unit.

    Notes
    -----
    With ``r_1 < r_2 < ...`` the places that count, the unit at ``r_k`` takes ``r_(k-1)`` when
    ``s(r_k) - s(r_(k-1)) <= s(r_(k+1)) - s(r_k)`` and ``r_(k+1)`` otherwise; a group of one is
    its own neighbour.

    Examples
    --------
    >>> nearest_in_order([2, 0, 1], [0.0, 1.0, 5.0], [0, 2]).tolist()
    [0, 0]
    >>> nearest_in_order([2, 0, 1, 3], [0.0, 1.0, 5.0, 6.0], [0, 2], among=[0, 2, 3]).tolist()
    [1, 3]

    """
    units = np.asarray(order, dtype=np.int64)
    s = np.asarray(ordered, dtype=np.float64)
    r = np.asarray(places, dtype=np.int64)
    counted = None if among is None else np.asarray(among, dtype=np.int64)
    n = len(units) if counted is None else len(counted)
    if n < 2:
        return units[r]
    if counted is None:
        k, left, right = r, np.maximum(r - 1, 0), np.minimum(r + 1, n - 1)
    else:
        k = np.searchsorted(counted, r)
        left, right = counted[np.maximum(k - 1, 0)], counted[np.minimum(k + 1, n - 1)]
    left_gap = np.where(k > 0, s[r] - s[left], np.inf)
    right_gap = np.where(k < n - 1, s[right] - s[r], np.inf)
    return units[np.where(left_gap <= right_gap, left, right)]


def matched_difference(
    treated: npt.ArrayLike,
    treated_variance: npt.ArrayLike,
    comparison: npt.ArrayLike,
    comparison_variance: npt.ArrayLike,
    weights: npt.ArrayLike,
    alternative: Alternative = "two-sided",
) -> Estimate:
    """Compare matched treated people with their weighted matches (Abadie-Imbens variance).

    Parameters
    ----------
    treated : array of float
        Outcomes of the matched treated people (each counts once).
    treated_variance : array of float
        Their conditional variances (see :func:`neighbour_variance`).
    comparison : array of float
        Outcomes of the distinct comparison people used.
    comparison_variance : array of float
        Their conditional variances.
    weights : array of float
        Each comparison person's matching weight (the number of treated people they stand for).
    alternative : {"two-sided", "less", "greater"}
        "less" tests whether the treated value is lower.

    Returns
    -------
    Estimate

    Notes
    -----
    With ``n`` treated outcomes ``y_i`` and normalised weights ``w_j`` (summing to 1) on the
    comparison outcomes ``y_j``, the estimate is ``mean(y_i) - sum(w_j y_j)``, a linear
    combination of independent outcomes, so conditional on the covariates

    ``Var = sum(sigma^2_i) / n^2 + sum(w_j^2 sigma^2_j)``.

    A comparison person matched to several treated people has a large ``w_j`` and enters with
    ``w_j^2``: this is how reuse under matching with replacement widens the interval. The 95%
    interval uses a t distribution on Welch-Satterthwaite degrees of freedom, with the Kish
    effective size ``1 / sum(w_j^2)`` for the comparison side. The variance is for the effect on
    these participants given their characteristics (the sample effect on the treated); it does
    not add the uncertainty of the estimated propensity score.

    References
    ----------
    Abadie A. and Imbens G. W. (2006), *Econometrica* 74(1), 235-267, theorem 7 (conditional
    variance of the matching estimator). Kish L. (1965), *Survey Sampling*, Wiley (effective
    sample size). Welch B. L. (1947), *Biometrika* 34, 28-35.

    Examples
    --------
    Treated 1, 0, 1, 0 with variances 0.25; comparisons 0, 1 with weights 3, 1 and variances
    0.25: difference 0.5 - 0.25, variance 4 x 0.25 / 16 + (0.75^2 + 0.25^2) x 0.25.

    >>> e = matched_difference([1, 0, 1, 0], [0.25] * 4, [0, 1], [0.25, 0.25], [3, 1])
    >>> e.difference, round((e.ci_high - e.ci_low) / 2 / critical_value(), 4) > 0
    (0.25, True)

    """
    y_t = np.asarray(treated, dtype=np.float64)
    y_c = np.asarray(comparison, dtype=np.float64)
    v_t = np.asarray(treated_variance, dtype=np.float64)
    v_c = np.asarray(comparison_variance, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    n = len(y_t)
    if n == 0 or len(y_c) == 0 or not w.sum() > 0:
        return Estimate(None, None, None, None, None, None, float(n), float(len(y_c)))
    w = w / w.sum()
    a, b = float(y_t.mean()), float(w @ y_c)
    part_t = float(v_t.sum()) / n**2
    part_c = float((w**2) @ v_c)
    effective = 1.0 / float(w @ w)
    difference = a - b
    se = math.sqrt(part_t + part_c)
    if se == 0.0:
        return Estimate(a, b, difference, difference, difference, None, float(n), effective)
    denominator = (part_t**2 / (n - 1) if n > 1 else 0.0) + (
        part_c**2 / (effective - 1) if effective > 1 else 0.0
    )
    df = (part_t + part_c) ** 2 / denominator if denominator > 0 else math.inf
    half = critical_value(df) * se
    return Estimate(
        treated_value=a,
        comparison_value=b,
        difference=difference,
        ci_low=difference - half,
        ci_high=difference + half,
        p_value=p_value(difference / se, alternative, df),
        n_treated=float(n),
        n_comparison=effective,
    )
