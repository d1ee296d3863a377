"""Actual against case-mix adjusted expected reoffending, Transforming Rehabilitation style.

A baseline cohort (flagged in a true/false column of the people table) fixes how reoffending
depends on risk factors: a logistic model for the binary measure and, for the number of
reoffences, a two-part (hurdle) model: the same logistic model for reoffending at all and a
quasi-Poisson model for the reoffences beyond the first. The current cohort's expected values
are what the baseline's reoffending would have been for people with the current cohort's risk
factors; actual minus expected, with a 95% confidence interval and a p-value, says whether the
current cohort did better or worse.
"""

from __future__ import annotations

import datetime as dt
import math
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
    critical_value,
    p_value,
)
from fullvalue.engine.measure.io import Table, missing_column_problem, parse_flag
from fullvalue.engine.measure.models import (
    Fit,
    check_covariates,
    design_matrix,
    expit,
    fit_logistic,
    fit_poisson,
)
from fullvalue.engine.measure.reoffending import TOTAL, Definition, cohort_labels, person_outcomes
from fullvalue.engine.measure.summary import baseline_summary
from fullvalue.errors import FullvalueError, InsufficientDataError, Problem

FloatArray = npt.NDArray[np.float64]


def rate_against_expected(
    x: FloatArray,
    y: FloatArray,
    fit: Fit,
    alternative: Alternative = "two-sided",
) -> Estimate:
    """Compare a cohort's actual reoffending rate with the rate a baseline logistic model predicts.

    Parameters
    ----------
    x : numpy.ndarray, shape (n, p)
        The cohort's model matrix (same columns and scaling as the fit).
    y : numpy.ndarray, shape (n,)
        Actual outcomes, 1 for a reoffender and 0 otherwise.
    fit : Fit
        The baseline logistic model.
    alternative : {"two-sided", "less", "greater"}
        "less" tests whether actual is below expected.

    Returns
    -------
    Estimate
        ``treated_value`` is actual, ``comparison_value`` expected.

    Notes
    -----
    With predictions ``p_i = expit(x_i' beta)``: actual ``A = mean(y)``, expected
    ``E = mean(p)``, ``D = A - E`` and

    ``Var(D) = sum(p_i (1 - p_i)) / n^2 + g' V g``,  ``g = (1/n) sum p_i (1 - p_i) x_i``,

    the first term the cohort's own binomial variation around the expected values and
    the second the uncertainty of the baseline coefficients (covariance ``V``), by the delta
    method. The interval is ``D +/- 1.96 sqrt(Var(D))`` and the test a z test.

    References
    ----------
    Ministry of Justice (2014), *Transforming Rehabilitation: payment mechanism* (binary and
    frequency measures against a case-mix adjusted baseline). McCullagh P. and Nelder J. A.
    (1989), *Generalized Linear Models*, 2nd ed.

    Examples
    --------
    A baseline of 4 people with rate 0.5 and no covariates; a current cohort of 4 with 1
    reoffender: actual 0.25, expected 0.5.

    >>> x = np.ones((4, 1))
    >>> fit = fit_logistic(x, [1, 0, 1, 0])
    >>> e = rate_against_expected(x, np.array([1.0, 0, 0, 0]), fit)
    >>> e.treated_value, e.comparison_value, e.difference
    (0.25, 0.5, -0.25)
    >>> round(e.ci_high - e.difference, 3)  # 1.96 * sqrt(4 * 0.25 / 16 + 0.25 * 1 * 0.25)
    0.693

    """
    n = len(y)
    p = expit(x @ fit.coef)
    variance = p * (1.0 - p)
    gradient = x.T @ variance / n
    var = float(np.sum(variance) / n**2 + gradient @ fit.covariance @ gradient)
    return _interval(float(np.mean(y)), float(np.mean(p)), var, n, alternative)


def _interval(
    actual: float, expected: float, var: float, n: int, alternative: Alternative
) -> Estimate:
    difference = actual - expected
    se = math.sqrt(max(var, 0.0))
    if se == 0.0:
        return Estimate(actual, expected, difference, difference, difference, None, n, n)
    half = critical_value() * se
    return Estimate(
        treated_value=actual,
        comparison_value=expected,
        difference=difference,
        ci_low=difference - half,
        ci_high=difference + half,
        p_value=p_value(difference / se, alternative),
        n_treated=float(n),
        n_comparison=float(n),
    )


def frequency_against_expected(
    x: FloatArray,
    y: FloatArray,
    binary_fit: Fit,
    extra_fit: Fit | None,
    alternative: Alternative = "two-sided",
) -> Estimate:
    """Compare a cohort's reoffences per person with a two-part (hurdle) baseline model.

    Parameters
    ----------
    x : numpy.ndarray, shape (n, p)
        The cohort's model matrix (same columns and scaling as the fits).
    y : numpy.ndarray, shape (n,)
        Proven reoffences per person.
    binary_fit : Fit
        Logistic model of reoffending at all, fitted on the baseline cohort.
    extra_fit : Fit or None
        Quasi-Poisson model of the reoffences beyond the first, fitted on the baseline cohort's
        reoffenders; ``None`` when no baseline reoffender had more than one (then ``mu = 0``).
    alternative : {"two-sided", "less", "greater"}
        "less" tests whether actual is below expected.

    Returns
    -------
    Estimate
        ``treated_value`` is actual reoffences per person, ``comparison_value`` expected.

    Notes
    -----
    A person reoffends with probability ``p_i = expit(x_i' a)``; a reoffender commits
    ``1 + Z`` reoffences with ``E Z = mu_i = exp(x_i' b)`` and ``Var Z = phi mu_i``. So
    ``E y_i = p_i (1 + mu_i)`` and ``Var y_i = p_i (1 - p_i) (1 + mu_i)^2 + p_i phi mu_i``.
    Expected ``E = mean(p_i (1 + mu_i))`` and

    ``Var(A - E) = sum(Var y_i) / n^2 + g_a' V_a g_a + g_b' V_b g_b``,

    ``g_a = mean(p_i (1 - p_i) (1 + mu_i) x_i)``, ``g_b = mean(p_i mu_i x_i)`` (delta method;
    the two parts' likelihoods factorise, so their estimates are independent). A single
    log-linear count model would extrapolate badly when the current cohort's risk differs from
    the baseline's: reoffences per person rise with risk through both parts, not along one
    exponential curve.

    References
    ----------
    Mullahy J. (1986), "Specification and testing of some modified count data models",
    *Journal of Econometrics* 33, 341-365 (hurdle models). Ministry of Justice (2014),
    *Transforming Rehabilitation: payment mechanism* (frequency measure).

    Examples
    --------
    Baseline: half reoffend, reoffenders commit 2 on average (1 + 1). Current: 4 people, 2
    reoffenders with 1 and 5 reoffences, so actual 6/4 = 1.5 against expected 0.5 x 2 = 1.

    >>> x = np.ones((4, 1))
    >>> a = fit_logistic(x, [1, 1, 0, 0])
    >>> b = fit_poisson(np.ones((2, 1)), [0, 2])
    >>> e = frequency_against_expected(x, np.array([1.0, 5, 0, 0]), a, b)
    >>> e.treated_value, e.comparison_value
    (1.5, 1.0)

    """
    n = len(y)
    p = expit(x @ binary_fit.coef)
    mu = np.zeros(n) if extra_fit is None else np.exp(x @ extra_fit.coef)
    dispersion = 0.0 if extra_fit is None else extra_fit.dispersion
    each = p * (1.0 + mu)
    variance = p * (1.0 - p) * (1.0 + mu) ** 2 + p * dispersion * mu
    g_a = x.T @ (p * (1.0 - p) * (1.0 + mu)) / n
    var = float(np.sum(variance) / n**2 + g_a @ binary_fit.covariance @ g_a)
    if extra_fit is not None:
        g_b = x.T @ (p * mu) / n
        var += float(g_b @ extra_fit.covariance @ g_b)
    return _interval(float(np.mean(y)), float(np.mean(each)), var, n, alternative)


def _estimate_dict(estimate: Estimate) -> dict[str, Any]:
    return {
        "actual": estimate.treated_value,
        "expected": estimate.comparison_value,
        "difference": estimate.difference,
        "ci_low": estimate.ci_low,
        "ci_high": estimate.ci_high,
        "p_value": estimate.p_value,
    }


@dataclass(frozen=True)
class CohortAgainstBaseline:
    """One current cohort's actual against expected binary rate and frequency per offender."""

    cohort: str
    people: int
    binary: Estimate
    frequency: Estimate

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON fields."""
        return {
            "cohort": self.cohort,
            "people": self.people,
            "binary": _estimate_dict(self.binary),
            "frequency": _estimate_dict(self.frequency),
        }


@dataclass(frozen=True)
class BaselineComparison:
    """The current cohort(s) against the case-mix adjusted baseline (JSON in ``docs/engine.md``)."""

    baseline: int
    current: int
    cohorts: tuple[CohortAgainstBaseline, ...]
    total: CohortAgainstBaseline
    summary: str
    incomplete_follow_up: dict[str, int]
    dispersion: float
    settings: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON shape documented in ``docs/engine.md``."""
        return {
            "baseline": self.baseline,
            "current": self.current,
            "binary": _estimate_dict(self.total.binary),
            "frequency": _estimate_dict(self.total.frequency),
            "cohorts": [c.as_dict() for c in self.cohorts],
            "summary": self.summary,
            "incomplete_follow_up": dict(self.incomplete_follow_up),
            "frequency_dispersion": self.dispersion,
            "settings": dict(self.settings),
        }


def compare_baseline(
    people: Table | pl.DataFrame,
    offences: pl.DataFrame,
    *,
    baseline: str,
    covariates: Sequence[str],
    by: str | None = None,
    alternative: Alternative = "two-sided",
    as_of: dt.date | None = None,
    definition: Definition | None = None,
    progress: Callable[[str], None] | None = None,
) -> BaselineComparison:
    """Compare the current cohort's reoffending with a case-mix adjusted baseline.

    Parameters
    ----------
    people : Table or polars.DataFrame
        ``person_id``, ``index_date``, the ``baseline`` flag, the covariates (and ``by``).
    offences : polars.DataFrame
        Checked offences.
    baseline : str
        True/false column: true for the baseline cohort, false for the current cohort.
    covariates : sequence of str
        Risk factors (e.g. OGRS score, age, sex, prior offences), numeric or categorical.
    by : str, optional
        Splits the current cohort for per-cohort results; default the index date's quarter.
    alternative : {"two-sided", "less", "greater"}
        "less" tests whether the current cohort reoffended less than expected.
    as_of : datetime.date, optional
        Data complete to this date; default the latest disposal date.
    definition : Definition, optional
        Follow-up and waiting periods.
    progress : callable, optional
        Called with a short message at each stage.

    Returns
    -------
    BaselineComparison

    Notes
    -----
    People with incomplete follow-up are left out and counted. The binary model is logistic
    (:func:`rate_against_expected`); frequency (reoffences per person, i.e. per offender in the
    cohort) uses the two-part model of :func:`frequency_against_expected`.

    References
    ----------
    Ministry of Justice (2014), *Transforming Rehabilitation: payment mechanism*.

    Examples
    --------
    >>> rng = np.random.default_rng(3)
    >>> n = 400
    >>> people = pl.DataFrame({"person_id": range(n), "index_date": [dt.date(2019, 1, 1)] * n,
    ...                        "baseline": np.arange(n) < 200, "ogrs": rng.random(n)})
    >>> ids = np.flatnonzero(rng.random(n) < people["ogrs"].to_numpy())
    >>> offences = pl.DataFrame({"person_id": ids, "offence_date": [dt.date(2019, 6, 1)] * len(ids),
    ...                          "disposal_date": [dt.date(2019, 9, 1)] * len(ids),
    ...                          "breach": [False] * len(ids)})
    >>> result = compare_baseline(people, offences, baseline="baseline", covariates=["ogrs"],
    ...                           as_of=dt.date(2021, 1, 1))
    >>> result.baseline, result.current, result.total.binary.ci_low < 0 < result.total.binary.ci_high
    (200, 200, True)

    """  # noqa: E501
    alternative = check_alternative(alternative)
    definition = definition or Definition()
    report = progress or (lambda _message: None)
    table = people if isinstance(people, Table) else Table(frame=people, source="people")
    for column in (baseline, *([by] if by else [])):
        if column not in table.frame.columns:
            raise FullvalueError.from_problems(
                f"The {column} column is missing.",
                [missing_column_problem(table.source, column, table.frame.columns)],
            )
    check_covariates(table, covariates)
    problems: list[Problem] = []
    flags = parse_flag(table, baseline, problems)
    if problems:
        raise FullvalueError.from_problems(
            f"{table.source}: the baseline flag has errors.", problems
        )
    report("applying the proven reoffending definition")
    outcomes, _excluded, as_of = person_outcomes(
        table.frame.select("person_id", "index_date"), offences, as_of=as_of, definition=definition
    )
    complete = outcomes.get_column("complete").to_numpy()
    is_base = flags.to_numpy()
    incomplete = {
        "baseline": int(np.sum(is_base & ~complete)),
        "current": int(np.sum(~is_base & ~complete)),
    }
    n_base, n_current = int(np.sum(is_base & complete)), int(np.sum(~is_base & complete))
    if n_base == 0 or n_current == 0:
        raise InsufficientDataError(
            f"Both cohorts need people with complete follow-up by {as_of.isoformat()}: the "
            f"baseline has {n_base} and the current cohort {n_current}."
        )
    analysis = table.frame.filter(pl.Series(complete))
    fit_rows = is_base[complete]
    design = design_matrix(analysis, covariates, fit_rows, table.source)
    counts = outcomes.get_column("reoffences").to_numpy()[complete].astype(np.float64)
    report(f"fitting the baseline models on {n_base} people")
    binary_fit = fit_logistic(design.matrix[fit_rows], counts[fit_rows] > 0)
    reoffenders = fit_rows & (counts > 0)
    extra = counts[reoffenders] - 1.0
    count_fit = fit_poisson(design.matrix[reoffenders], extra) if extra.any() else None
    labels = analysis.select(cohort_labels(analysis, by)).get_column("cohort").to_numpy()[~fit_rows]
    x_current, y_current = design.matrix[~fit_rows], counts[~fit_rows]

    def against(rows: npt.NDArray[np.bool_], label: str) -> CohortAgainstBaseline:
        x, y = x_current[rows], y_current[rows]
        return CohortAgainstBaseline(
            cohort=label,
            people=int(rows.sum()),
            binary=rate_against_expected(x, (y > 0).astype(float), binary_fit, alternative),
            frequency=frequency_against_expected(x, y, binary_fit, count_fit, alternative),
        )

    cohorts = tuple(against(labels == label, str(label)) for label in sorted(set(labels.tolist())))
    total = against(np.ones(len(y_current), dtype=bool), TOTAL)
    return BaselineComparison(
        baseline=n_base,
        current=n_current,
        cohorts=cohorts,
        total=total,
        summary=baseline_summary(
            period_words=definition.period_words,
            binary=total.binary,
            frequency=total.frequency,
            current=n_current,
        ),
        incomplete_follow_up=incomplete,
        dispersion=0.0 if count_fit is None else count_fit.dispersion,
        settings={
            "covariates": list(covariates),
            "by": by or "quarter",
            "alternative": alternative,
            "as_of": as_of.isoformat(),
            "follow_up_months": definition.follow_up_months,
            "waiting_months": definition.waiting_months,
        },
    )
