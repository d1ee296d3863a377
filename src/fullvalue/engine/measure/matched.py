"""Matched comparison groups, Justice Data Lab method.

Treated people (those flagged in a true/false column of the people table) are compared with a
comparison group chosen from everyone else in the same table: a logistic propensity score is
fitted on the named covariates, each treated person is matched to the nearest ``ratio`` untreated
people on the logit of the score within a caliper, and the one-year proven reoffending rate,
frequency and time to first reoffence are compared with confidence intervals and p-values that
account for the matching weights.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from fullvalue.engine.measure.inference import (
    Alternative,
    Estimate,
    check_alternative,
    matched_difference,
    nearest_in_order,
    nearest_neighbour,
    neighbour_variance,
)
from fullvalue.engine.measure.io import Table, missing_column_problem, parse_flag, to_numpy
from fullvalue.engine.measure.matching import Matches, match_nearest, sort_order
from fullvalue.engine.measure.models import (
    check_covariates,
    design_matrix,
    logistic_coefficients,
)
from fullvalue.engine.measure.reoffending import Definition, person_outcomes
from fullvalue.engine.measure.summary import matched_summary
from fullvalue.errors import FullvalueError, InsufficientDataError, Problem

BALANCE_THRESHOLD = 0.1
Progress = Callable[[str], None]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Balance:
    """Standardised mean difference of one covariate term before and after matching."""

    covariate: str
    smd_before: float
    smd_after: float

    @property
    def balanced(self) -> bool:
        """Whether ``|smd_after|`` is at most 0.1."""
        return abs(self.smd_after) <= BALANCE_THRESHOLD


@dataclass(frozen=True)
class MatchedComparison:
    """The result of a matched comparison (JSON shape in ``docs/engine.md``).

    ``treated`` counts treated people with complete follow-up, ``matched_treated`` those with at
    least one match, ``comparison`` the distinct comparison people used. Differences are treated
    minus comparison.
    """

    treated: int
    matched_treated: int
    comparison: int
    binary: Estimate
    frequency: Estimate
    days_to_first: Estimate
    balance: tuple[Balance, ...]
    summary: str
    off_support: int
    pool: int
    incomplete_follow_up: dict[str, int]
    caliper_logit: float
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def balanced(self) -> bool:
        """Whether every covariate term has ``|SMD| <= 0.1`` after matching."""
        return all(b.balanced for b in self.balance)

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON shape documented in ``docs/engine.md``."""
        return {
            "treated": self.treated,
            "matched_treated": self.matched_treated,
            "comparison": self.comparison,
            "binary": self.binary.as_dict(),
            "frequency": self.frequency.as_dict(),
            "days_to_first": self.days_to_first.as_dict(),
            "balance": [
                {"covariate": b.covariate, "smd_before": b.smd_before, "smd_after": b.smd_after}
                for b in self.balance
            ],
            "balanced": self.balanced,
            "summary": self.summary,
            "off_support": self.off_support,
            "pool": self.pool,
            "incomplete_follow_up": dict(self.incomplete_follow_up),
            "caliper_logit": self.caliper_logit,
            "settings": dict(self.settings),
        }


def standardised_mean_difference(
    treated: FloatArray,
    comparison: FloatArray,
    weights: FloatArray | None = None,
    scale: FloatArray | None = None,
) -> FloatArray:
    """Return the standardised mean difference of each covariate between two groups.

    Parameters
    ----------
    treated : array of float, shape (n_t, k)
        The treated group's values, one column per covariate term (each person counts once).
    comparison : array of float, shape (n_c, k)
        The comparison group's values.
    weights : array of float, shape (n_c,), optional
        Comparison weights (matching weights); default equal.
    scale : array of float, shape (k,), optional
        The denominators; default ``sqrt((s_t^2 + s_c^2) / 2)`` of these two groups.

    Returns
    -------
    numpy.ndarray, shape (k,)
        0 where the denominator is 0.

    Notes
    -----
    ``SMD = (mean_t - mean_c) / sqrt((s_t^2 + s_c^2) / 2)``. After matching the same
    denominator as before matching is used (the variances of the unmatched groups), so that a
    change in the SMD reflects a change in the means only. ``|SMD| > 0.1`` is taken as
    imbalance.

    References
    ----------
    Austin P. C. (2009), "Balance diagnostics for comparing the distribution of baseline
    covariates between treatment groups in propensity-score matched samples", *Statistics in
    Medicine* 28, 3083-3107.

    Examples
    --------
    Means 2 and 1, variances 1 and 1: SMD 1.

    >>> treated, comparison = np.array([[1.0], [2.0], [3.0]]), np.array([[0.0], [1.0], [2.0]])
    >>> standardised_mean_difference(treated, comparison).tolist()
    [1.0]

    """
    w = np.ones(len(comparison)) if weights is None else np.asarray(weights, dtype=np.float64)
    mean_c = w @ comparison / w.sum()
    if scale is None:
        scale = np.sqrt((treated.var(axis=0, ddof=1) + comparison.var(axis=0, ddof=1)) / 2.0)
    return _smd(treated.mean(axis=0), mean_c, scale)


def _smd(mean_t: FloatArray, mean_c: FloatArray, scale: FloatArray) -> FloatArray:
    safe = np.where(scale > 0, scale, 1.0)
    return np.asarray(np.where(scale > 0, (mean_t - mean_c) / safe, 0.0), dtype=np.float64)


def _rest_moments(terms: FloatArray, rows: npt.NDArray[np.int64]) -> tuple[FloatArray, FloatArray]:
    """Column means and variances (``ddof=1``) of the rows of ``terms`` not in ``rows``.

    The comparison pool is most of the table, so rather than copy it, its sums of values and of
    squares are the whole column's less the (few) given rows', and its variance is
    ``(sum x^2 - r m^2) / (r - 1)`` for its ``r`` rows with mean ``m``. That one-pass formula
    loses no precision on the design's standardised terms, whose mean is near 0 and standard
    deviation near 1 (it would on raw columns with a large mean).

    Examples
    --------
    The rows other than row 3 are 1, 2 and 4: mean 7/3, variance (16/9 + 1/9 + 25/9) / 2 = 7/3.

    >>> terms = np.array([[1.0], [2.0], [4.0], [9.0]])
    >>> mean, var = _rest_moments(terms, np.array([3]))
    >>> np.round(mean, 12).tolist(), np.round(var, 12).tolist()
    ([2.333333333333], [2.333333333333])

    """
    given = terms[rows]
    rest = terms.shape[0] - len(rows)
    squares = [terms[:, j] @ terms[:, j] for j in range(terms.shape[1])]
    mean = (terms.sum(axis=0) - given.sum(axis=0)) / rest
    variance = (np.array(squares) - np.einsum("ij,ij->j", given, given) - rest * mean**2) / (
        rest - 1
    )
    return mean, variance


def _as_table(people: Table | pl.DataFrame) -> Table:
    return people if isinstance(people, Table) else Table(frame=people, source="people")


def _check_settings(caliper: float, ratio: int, min_treated: int) -> None:
    problems = []
    if not caliper > 0:
        problems.append(
            Problem("must be greater than 0 (standard deviations of the logit)", "caliper")
        )
    if ratio < 1:
        problems.append(Problem("must be at least 1", "ratio"))
    if min_treated < 1:
        problems.append(Problem("must be at least 1", "min_treated"))
    if problems:
        raise FullvalueError.from_problems("The matching settings are invalid.", problems)


def matching_weights(matches: Matches, pool_size: int) -> tuple[FloatArray, FloatArray]:
    """Return each treated person's match count and each pool member's matching weight.

    Notes
    -----
    A treated person ``i`` with ``m_i`` matches gives each of them weight ``1 / m_i``; a pool
    member's weight is the sum over the treated people it was matched to. The weights sum to
    the number of matched treated people.

    References
    ----------
    Stuart E. A. (2010), "Matching methods for causal inference: a review and a look forward",
    *Statistical Science* 25(1), 1-21, section 5.

    Examples
    --------
    Treated 0 matched to pool 1 and 2; treated 1 matched to pool 1.

    >>> m = Matches(np.array([0, 0, 1]), np.array([1, 2, 1]), np.zeros(3))
    >>> counts, weights = matching_weights(m, 3)
    >>> weights.tolist()
    [0.0, 1.5, 0.5]

    """
    counts = np.bincount(matches.treated).astype(np.float64)
    share = 1.0 / counts[matches.treated]
    weights = np.bincount(matches.control, weights=share, minlength=pool_size).astype(np.float64)
    return counts, weights


def compare_matched(
    people: Table | pl.DataFrame,
    offences: pl.DataFrame,
    *,
    treated: str,
    covariates: Sequence[str],
    caliper: float = 0.2,
    ratio: int = 1,
    replacement: bool = True,
    min_treated: int = 60,
    as_of: dt.date | None = None,
    seed: int | None = None,
    alternative: Alternative = "two-sided",
    definition: Definition | None = None,
    progress: Progress | None = None,
) -> MatchedComparison:
    """Compare treated people with a propensity-score matched comparison group.

    Parameters
    ----------
    people : Table or polars.DataFrame
        ``person_id``, ``index_date``, the ``treated`` flag and the covariates.
    offences : polars.DataFrame
        Checked offences (see :func:`fullvalue.engine.measure.io.check_offences`).
    treated : str
        True/false column marking the programme's participants; everyone else is the pool.
    covariates : sequence of str
        Propensity-score covariates, numeric or categorical, in a fixed order.
    caliper : float
        Caliper in standard deviations of the logit of the propensity score (default 0.2).
    ratio : int
        Comparisons per treated person (1:k).
    replacement : bool
        Whether a comparison person may be matched more than once.
    min_treated : int
        Refuse when fewer matched treated people remain (Justice Data Lab: 60).
    as_of : datetime.date, optional
        Data complete to this date; default the latest disposal date.
    seed : int, optional
        When given, ties are broken by a random permutation of rows drawn with this seed instead
        of by row order.
    alternative : {"two-sided", "less", "greater"}
        Alternative hypothesis for the p-values.
    definition : Definition, optional
        Follow-up and waiting periods.
    progress : callable, optional
        Called with a short message at each stage.

    Returns
    -------
    MatchedComparison

    Raises
    ------
    InsufficientDataError
        When fewer than ``min_treated`` treated people have complete follow-up, or remain after
        matching.

    Notes
    -----
    People with incomplete follow-up are left out (and counted). The propensity model is
    ``logit P(treated | x) = x' beta`` (see
    :func:`~fullvalue.engine.measure.models.fit_logistic`); the caliper is
    ``c = caliper * sqrt((var_t(x' beta) + var_c(x' beta)) / 2)``. Treated people with no pool
    member within ``c`` are off support and excluded. Estimates are of the effect on the treated:
    treated mean minus the weighted mean of their matches (see :func:`matching_weights`), with
    the conditional variance of :func:`~fullvalue.engine.measure.inference.matched_difference`:
    each person's outcome variance is estimated from their nearest neighbour on the logit within
    their own group (:func:`~fullvalue.engine.measure.inference.neighbour_variance`), and a
    comparison person enters with the square of their matching weight. Time to first reoffence
    compares the mean days among those who reoffended.

    References
    ----------
    Ministry of Justice, *Justice Data Lab methodology*. Abadie A. and Imbens G. W. (2006),
    *Econometrica* 74(1), 235-267 (variance). Rosenbaum P. R. and Rubin D. B. (1985),
    "Constructing a control group using multivariate matched sampling methods that incorporate
    the propensity score", *The American Statistician* 39(1), 33-38. Austin P. C. (2011),
    *Pharmaceutical Statistics* 10(2), 150-161 (caliper of 0.2 SD of the logit).

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> n = 600
    >>> age = rng.integers(18, 60, n)
    >>> flag = rng.random(n) < 0.3
    >>> people = pl.DataFrame({"person_id": range(n), "index_date": [dt.date(2019, 1, 1)] * n,
    ...                        "treated": flag, "age": age})
    >>> reoffend = rng.random(n) < 0.4
    >>> ids = np.flatnonzero(reoffend)
    >>> offences = pl.DataFrame({"person_id": ids, "offence_date": [dt.date(2019, 6, 1)] * len(ids),
    ...                          "disposal_date": [dt.date(2019, 9, 1)] * len(ids),
    ...                          "breach": [False] * len(ids)})
    >>> result = compare_matched(people, offences, treated="treated", covariates=["age"],
    ...                          as_of=dt.date(2021, 1, 1))
    >>> result.treated == result.matched_treated == int(flag.sum())
    True
    >>> -0.2 < result.binary.difference < 0.2
    True

    """
    _check_settings(caliper, ratio, min_treated)
    alternative = check_alternative(alternative)
    report = progress or (lambda _message: None)
    table = _as_table(people)
    if treated not in table.frame.columns:
        raise FullvalueError.from_problems(
            "The treated column is missing.",
            [missing_column_problem(table.source, treated, table.frame.columns)],
        )
    if treated in covariates:
        raise FullvalueError.from_problems(
            "The treated flag cannot also be a covariate.",
            [Problem("remove it from the covariates", f"--covariates {treated}", column=treated)],
        )
    check_covariates(table, covariates)
    problems: list[Problem] = []
    flags = parse_flag(table, treated, problems)
    if problems:
        raise FullvalueError.from_problems(
            f"{table.source}: the treated flag has errors.", problems
        )

    report("applying the proven reoffending definition")
    outcomes, _excluded, as_of = person_outcomes(
        table.frame.select("person_id", "index_date"),
        offences,
        as_of=as_of,
        definition=definition,
    )
    complete = to_numpy(outcomes.get_column("complete"))
    is_treated = to_numpy(flags)
    incomplete = {
        "treated": int(np.sum(is_treated & ~complete)),
        "pool": int(np.sum(~is_treated & ~complete)),
    }
    n_treated = int(np.sum(is_treated & complete))
    n_pool = int(np.sum(~is_treated & complete))
    if n_treated < min_treated:
        raise InsufficientDataError(
            f"Only {n_treated} treated people have complete follow-up by {as_of.isoformat()}; "
            f"at least {min_treated} are needed for a reliable comparison "
            f"({incomplete['treated']} more have incomplete follow-up).",
            [Problem(f"{n_treated} < {min_treated}", "--min-treated", column=treated)],
        )
    if n_pool == 0:
        raise InsufficientDataError("There is nobody in the comparison pool to match to.")

    # Usually everyone's follow-up is complete: then skip copying every column and array.
    keep: slice | npt.NDArray[np.bool_] = slice(None) if complete.all() else complete
    analysis = table.frame if isinstance(keep, slice) else table.frame.filter(pl.Series(keep))
    treat = is_treated[keep]
    design = design_matrix(analysis, covariates, np.ones(analysis.height, dtype=bool), table.source)
    report(f"fitting the propensity model on {analysis.height} people")
    coef, _ = logistic_coefficients(design.matrix, treat)
    logit = design.matrix @ coef
    t_logit, c_logit = logit[treat], logit[~treat]
    sd = float(np.sqrt((t_logit.var(ddof=1) + c_logit.var(ddof=1)) / 2.0))
    width = caliper * sd

    rank = np.arange(analysis.height)
    if seed is not None:
        rank = np.random.default_rng(seed).permutation(analysis.height)
    report(f"matching {n_treated} treated people against a pool of {n_pool}")
    # The pool's score order serves the matching and every neighbour look-up below.
    pool_order = sort_order(c_logit, rank[~treat])
    pool_sorted = c_logit[pool_order]
    matches = match_nearest(
        t_logit,
        c_logit,
        caliper=width,
        ratio=ratio,
        replacement=replacement,
        treated_rank=rank[treat],
        pool_rank=rank[~treat],
        pool_order=pool_order,
        pool_sorted=pool_sorted,
    )
    counts, weights = matching_weights(matches, n_pool)
    matched_rows = np.flatnonzero(counts > 0)
    matched_treated = len(matched_rows)
    off_support = n_treated - matched_treated
    if matched_treated < min_treated:
        raise InsufficientDataError(
            f"Only {matched_treated} of {n_treated} treated people could be matched within the "
            f"caliper ({off_support} are off support); at least {min_treated} are needed.",
            [Problem(f"{matched_treated} < {min_treated}", "--min-treated", column=treated)],
        )

    used = np.flatnonzero(weights > 0)
    report("estimating differences")
    counts_all = to_numpy(outcomes.get_column("reoffences"), np.float64)[keep]
    # Days to first reoffence, NaN for people who did not reoffend (null in the outcomes).
    days_all = to_numpy(outcomes.get_column("days_to_first"), np.float64)[keep]
    t_logit_m = t_logit[matched_rows]
    w_used = weights[used]

    # Conditional variances come from each person's nearest neighbour on the logit in their own
    # group: among the matched treated, and among the whole pool. The neighbours are the same
    # for the rate and the frequency; days to first reoffence uses reoffenders only. The pool's
    # look-ups share its score order, with each member's place in it.
    pool_place = np.empty(n_pool, dtype=np.int32)
    pool_place[pool_order] = np.arange(n_pool, dtype=np.int32)
    t_neighbour = nearest_neighbour(t_logit_m)
    c_neighbour = nearest_in_order(pool_order, pool_sorted, pool_place[used])

    def compare(treated_all: FloatArray, pool_all: FloatArray) -> Estimate:
        t_values = treated_all[matched_rows]
        v_t = 0.5 * (t_values - t_values[t_neighbour]) ** 2
        v_c = 0.5 * (pool_all[used] - pool_all[c_neighbour]) ** 2
        return matched_difference(t_values, v_t, pool_all[used], v_c, w_used, alternative)

    def compare_reoffenders(treated_all: FloatArray, pool_all: FloatArray) -> Estimate:
        t_values = treated_all[matched_rows]
        t_keep = ~np.isnan(t_values)
        has_outcome = ~np.isnan(pool_all)
        c_keep = has_outcome[used]
        c_values = pool_all[used[c_keep]]
        neighbour = nearest_in_order(
            pool_order,
            pool_sorted,
            pool_place[used[c_keep]],
            among=np.flatnonzero(has_outcome[pool_order]),
        )
        v_c = 0.5 * (c_values - pool_all[neighbour]) ** 2
        v_t = neighbour_variance(t_values[t_keep], t_logit_m[t_keep])
        return matched_difference(t_values[t_keep], v_t, c_values, v_c, w_used[c_keep], alternative)

    reoffended = (counts_all > 0).astype(np.float64)
    binary = compare(reoffended[treat], reoffended[~treat])
    frequency = compare(counts_all[treat], counts_all[~treat])
    days = compare_reoffenders(days_all[treat], days_all[~treat])

    # Balance on the design's standardised terms: a standardised mean difference is the same
    # for a column shifted and scaled, so there is no need for an unscaled copy.
    terms = design.matrix[:, 1:]
    treated_rows = np.flatnonzero(treat)
    terms_t = terms[treated_rows]
    mean_c, var_c = _rest_moments(terms, treated_rows)
    scale = np.sqrt((terms_t.var(axis=0, ddof=1) + var_c) / 2.0)
    before = _smd(terms_t.mean(axis=0), mean_c, scale)
    pool_rows = np.flatnonzero(~treat)
    after = standardised_mean_difference(
        terms_t[matched_rows], terms[pool_rows[used]], w_used, scale
    )
    balance = [
        Balance(covariate=term, smd_before=float(b), smd_after=float(a))
        for term, b, a in zip(design.terms, before, after, strict=True)
    ]
    definition = definition or Definition()
    summary = matched_summary(
        period_words=definition.period_words,
        binary=binary,
        frequency=frequency,
        days_to_first=days,
        matched_treated=matched_treated,
        comparison=len(used),
        off_support=off_support,
        imbalanced=[b.covariate for b in balance if not b.balanced],
    )
    return MatchedComparison(
        treated=n_treated,
        matched_treated=matched_treated,
        comparison=len(used),
        binary=binary,
        frequency=frequency,
        days_to_first=days,
        balance=tuple(balance),
        summary=summary,
        off_support=off_support,
        pool=n_pool,
        incomplete_follow_up=incomplete,
        caliper_logit=width,
        settings={
            "covariates": list(covariates),
            "caliper_sd": caliper,
            "ratio": ratio,
            "replacement": replacement,
            "min_treated": min_treated,
            "as_of": as_of.isoformat(),
            "seed": seed,
            "alternative": alternative,
            "follow_up_months": definition.follow_up_months,
            "waiting_months": definition.waiting_months,
        },
    )
