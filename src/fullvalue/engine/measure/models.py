"""Covariate design matrices and the two regression models the engine fits, in NumPy.

Both models are fitted by Newton-Raphson (for these canonical-link models the same as iteratively
reweighted least squares) with step halving, to a tight tolerance, inside
``threadpoolctl.threadpool_limits(1)``: NumPy and SciPy each bring their own BLAS threads, which
fight on small machines, and one thread gives the same floating-point result every time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl
from threadpoolctl import threadpool_limits

from fullvalue.engine.measure.io import Table, missing_column_problem
from fullvalue.errors import FullvalueError, Problem

INTERCEPT = "(intercept)"
TOLERANCE = 1e-10
MAX_ITERATIONS = 100
SUBSAMPLE_ROWS = 50_000
GRAM_BLOCK_ROWS = 32_768
SUBSAMPLE_TOLERANCE = 1e-6
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Design:
    """A model matrix: an intercept, numeric covariates, and one column per non-reference level.

    ``terms`` names the columns after the intercept (``age``, ``sex=M``); ``raw`` holds the same
    columns unscaled (for standardised mean differences); ``matrix`` has the intercept first and
    the columns centred by ``centre`` and scaled by ``scale``, the fit sample's means and standard
    deviations (the fitted probabilities do not change; the Newton steps are better conditioned).
    Both are column-major: each covariate is one contiguous array, which is how they are built
    and summarised, and BLAS reads them as fast as row-major.
    """

    matrix: FloatArray
    raw: FloatArray
    terms: tuple[str, ...]
    centre: FloatArray
    scale: FloatArray


def _no_variation(name: str, source: str) -> Problem:
    return Problem(
        "covariate has no variation among the people the model is fitted on (every one has the "
        "same value), so it cannot be used",
        f"{source}, column {name}",
        column=name,
        source=source,
    )


def _is_numeric(dtype: pl.DataType) -> bool:
    return dtype.is_numeric() and dtype != pl.Boolean


def check_covariates(table: Table, covariates: Sequence[str]) -> None:
    """Refuse covariates that are absent from the people table or have missing values.

    Raises
    ------
    FullvalueError
        Naming the file, column and rows.

    """
    frame = table.frame
    problems: list[Problem] = []
    if not covariates:
        problems.append(Problem("name at least one covariate", "--covariates"))
    for name in covariates:
        if name not in frame.columns:
            problems.append(missing_column_problem(table.source, name, frame.columns))
            continue
        column = frame.get_column(name)
        missing = column.is_null()
        if column.dtype.is_float():
            missing = missing | column.is_nan()
        rows = missing.arg_true().to_list()
        if rows:
            problems.append(table.problem(rows, name, "covariate value is missing"))
    if problems:
        raise FullvalueError.from_problems(f"{table.source}: the covariates have errors.", problems)


def design_matrix(
    frame: pl.DataFrame,
    covariates: Sequence[str],
    fit_rows: npt.NDArray[np.bool_],
    source: str = "people",
) -> Design:
    """Build the model matrix for ``covariates`` in the order given.

    Parameters
    ----------
    frame : polars.DataFrame
        Holds the covariates, with no missing values (see :func:`check_covariates`).
    covariates : sequence of str
        Numeric columns enter as they are; any other column (text, true/false) is categorical.
    fit_rows : numpy.ndarray of bool
        Rows the model is fitted on; every column must vary within them.
    source : str
        File name for messages.

    Returns
    -------
    Design

    Notes
    -----
    A categorical covariate with sorted levels ``l_0 < l_1 < ... < l_k`` (sorted as text, so the
    order never depends on the data's row order or on Python's hash seed) becomes ``k`` indicator
    columns ``c=l_1 ... c=l_k``; ``l_0`` is the reference.

    References
    ----------
    McCullagh P. and Nelder J. A. (1989), *Generalized Linear Models*, 2nd ed., section 3.4.

    Examples
    --------
    >>> frame = pl.DataFrame({"age": [20, 30, 40], "sex": ["M", "F", "M"]})
    >>> design = design_matrix(frame, ["age", "sex"], np.ones(3, dtype=bool))
    >>> design.terms
    ('age', 'sex=M')
    >>> design.raw.tolist()
    [[20.0, 1.0], [30.0, 0.0], [40.0, 1.0]]

    """
    problems: list[Problem] = []
    raw_columns: list[FloatArray] = []
    terms: list[str] = []
    every_row = bool(fit_rows.all())
    for name in covariates:
        column = frame.get_column(name)
        if _is_numeric(column.dtype):
            raw_columns.append(column.cast(pl.Float64).to_numpy())
            terms.append(name)
            continue
        text = column.cast(pl.String)
        levels = sorted(text.unique().to_list())
        codes = text.cast(pl.Enum(levels)).to_physical().to_numpy()
        present = np.bincount(codes if every_row else codes[fit_rows], minlength=len(levels))
        fitted_levels = [level for level, count in zip(levels, present, strict=True) if count]
        if len(fitted_levels) < 2:
            problems.append(_no_variation(name, source))
            continue
        for level in levels:
            if level not in fitted_levels:
                problems.append(
                    Problem(
                        f"level {level!r} does not occur among the people the model is fitted on",
                        f"{source}, column {name}",
                        column=name,
                        source=source,
                    )
                )
        for code, level in enumerate(levels[1:], start=1):
            raw_columns.append((codes == code).astype(np.float64))
            terms.append(f"{name}={level}")
    # Column by column: each covariate's mean and standard deviation over one contiguous array,
    # several times faster than reducing an (n x k) row-major array along its first axis.
    raw = np.empty((frame.height, len(raw_columns)), order="F")
    centre, scale = np.zeros(len(raw_columns)), np.zeros(len(raw_columns))
    for j, values in enumerate(raw_columns):
        raw[:, j] = values
        fitted = values if every_row else values[fit_rows]
        if fitted.size:
            centre[j], scale[j] = fitted.mean(), fitted.std()
    for j, term in enumerate(terms):
        if not scale[j] > 0:
            name = term.split("=", 1)[0]
            if any(p.column == name for p in problems):
                continue
            problems.append(_no_variation(name, source))
    if problems:
        position = {name: i for i, name in enumerate(covariates)}
        problems.sort(key=lambda p: position.get(p.column or "", 0))
        raise FullvalueError.from_problems(f"{source}: the covariates cannot be used.", problems)
    matrix = np.empty((frame.height, raw.shape[1] + 1), order="F")
    matrix[:, 0] = 1.0
    for j in range(raw.shape[1]):
        np.subtract(raw[:, j], centre[j], out=matrix[:, j + 1])
        matrix[:, j + 1] /= scale[j]
    return Design(matrix=matrix, raw=raw, terms=tuple(terms), centre=centre, scale=scale)


@dataclass(frozen=True)
class Fit:
    """A fitted generalised linear model.

    ``coef`` are the coefficients (on the design's scaled columns), ``covariance`` their
    estimated covariance (times ``dispersion`` for the quasi-Poisson model), ``iterations`` the
    Newton steps taken.
    """

    coef: FloatArray
    covariance: FloatArray
    dispersion: float
    iterations: int


def _log1pexp(eta: FloatArray) -> FloatArray:
    return np.logaddexp(0.0, eta)


def expit(eta: FloatArray) -> FloatArray:
    """Return the logistic function ``1 / (1 + exp(-eta))`` without overflow.

    Notes
    -----
    Computed as ``exp(-log(1 + exp(-eta)))`` with ``numpy.logaddexp``, which is exact to
    rounding for every finite ``eta`` and never overflows.

    References
    ----------
    McCullagh P. and Nelder J. A. (1989), *Generalized Linear Models*, 2nd ed., section 4.3.

    Examples
    --------
    >>> expit(np.array([0.0, 800.0, -800.0])).tolist()
    [0.5, 1.0, 0.0]

    """
    return np.exp(-_log1pexp(-eta))


def _logistic_terms(eta: FloatArray) -> tuple[FloatArray, FloatArray]:
    # log(1 + e^eta) = max(eta, 0) + log1p(e^-|eta|) and expit(eta) from the one exponential
    # e^-|eta| (never overflows): half the transcendental work of logaddexp and a second exp.
    small = np.exp(-np.abs(eta))
    softplus = np.maximum(eta, 0.0)
    softplus += np.log1p(small)
    mean = np.where(eta >= 0.0, 1.0, small)
    mean /= 1.0 + small
    return softplus, mean


def _weighted_gram(x: FloatArray, weight: FloatArray) -> FloatArray:
    # X' W X as the sum over blocks of rows of (sqrt(W) X)' (sqrt(W) X), symmetric rank-k
    # updates on a block that stays in cache, reused for every block: faster than one product
    # over an n x p temporary, which also costs a fresh allocation each Newton step.
    rooted = np.sqrt(weight)
    block = np.empty((min(GRAM_BLOCK_ROWS, len(weight)), x.shape[1]), order="F")
    gram = np.zeros((x.shape[1], x.shape[1]))
    for start in range(0, len(weight), GRAM_BLOCK_ROWS):
        part = block[: min(GRAM_BLOCK_ROWS, len(weight) - start)]
        np.multiply(
            x[start : start + GRAM_BLOCK_ROWS],
            rooted[start : start + GRAM_BLOCK_ROWS, None],
            out=part,
        )
        gram += part.T @ part
    return gram


def _newton(
    x: FloatArray,
    y: FloatArray,
    family: str,
    start: FloatArray,
    tolerance: float = TOLERANCE,
) -> tuple[FloatArray, FloatArray, int]:
    def loglik(beta: FloatArray) -> tuple[float, FloatArray]:
        # Returns the log-likelihood and the fitted means.
        eta = x @ beta
        if family == "logistic":
            softplus, mean = _logistic_terms(eta)
            return float(y @ eta - softplus.sum()), mean
        mean = np.exp(eta)
        return float(y @ eta - mean.sum()), mean

    beta = start
    current, mean = loglik(beta)
    for iteration in range(1, MAX_ITERATIONS + 1):
        weight = mean * (1.0 - mean) if family == "logistic" else mean
        gradient = (y - mean) @ x
        hessian = _weighted_gram(x, weight)
        try:
            step = np.linalg.solve(hessian, gradient)
        except np.linalg.LinAlgError as exc:
            raise FullvalueError(
                "The model cannot be fitted: the covariates are collinear or one of them "
                "perfectly predicts the outcome.",
                code="model-failed",
            ) from exc
        size = 1.0
        while True:
            candidate = beta + size * step
            value, candidate_mean = loglik(candidate)
            if value >= current - 1e-12 * abs(current) or size < 1e-8:
                break
            size /= 2.0
        beta, current, mean = candidate, value, candidate_mean
        if np.max(np.abs(size * step)) < tolerance * (1.0 + np.max(np.abs(beta))):
            return beta, hessian, iteration
    raise FullvalueError(
        f"The {family} model did not converge in {MAX_ITERATIONS} iterations: a covariate may "
        "perfectly separate the groups; remove or group it.",
        code="model-failed",
    )


def _information(x: FloatArray, beta: FloatArray, family: str) -> FloatArray:
    eta = x @ beta
    if family == "logistic":
        mean = expit(eta)
        weight = mean * (1.0 - mean)
    else:
        weight = np.exp(eta)
    return _weighted_gram(x, weight)


def _logistic_start(x: FloatArray, y: FloatArray) -> FloatArray:
    # The intercept-only fit (column 0 is ones); for a large sample, refined by a loose fit on
    # every k-th row (about 50,000), which leaves the full fit two or three Newton steps instead
    # of six or seven. The full fit converges to the same maximum to its own tolerance either
    # way; a subsample that cannot be fitted (a rare level absent, say) is simply not used.
    share = float(np.clip(y.mean(), 1e-6, 1 - 1e-6))
    start = np.zeros(x.shape[1])
    start[0] = np.log(share / (1.0 - share))
    stride = len(y) // SUBSAMPLE_ROWS
    if stride < 4:
        return start
    sub_x, sub_y = x[::stride], y[::stride]
    if not 0.0 < sub_y.mean() < 1.0:
        return start
    try:
        beta, _, _ = _newton(
            np.ascontiguousarray(sub_x), sub_y, "logistic", start, SUBSAMPLE_TOLERANCE
        )
    except FullvalueError:
        return start
    return beta if np.all(np.isfinite(beta)) else start


def logistic_coefficients(x: FloatArray, y: npt.ArrayLike) -> tuple[FloatArray, int]:
    """Return the maximum-likelihood logistic coefficients and the Newton steps taken.

    :func:`fit_logistic` without the covariance (one pass over the data fewer), for callers
    that need only the fitted scores, as the propensity model does.

    Examples
    --------
    >>> x = np.column_stack([np.ones(6), [0, 0, 0, 1, 1, 1]])
    >>> coef, _ = logistic_coefficients(x, [0, 0, 1, 0, 1, 1])
    >>> np.round(coef, 6).tolist()
    [-0.693147, 1.386294]

    """
    y_arr = np.asarray(y, dtype=np.float64)
    with threadpool_limits(1):
        beta, _, iterations = _newton(x, y_arr, "logistic", _logistic_start(x, y_arr))
    return beta, iterations


def fit_logistic(x: FloatArray, y: npt.ArrayLike) -> Fit:
    """Fit a logistic regression by maximum likelihood.

    Parameters
    ----------
    x : numpy.ndarray, shape (n, p)
        Model matrix, intercept included.
    y : array of 0/1, shape (n,)
        Outcome.

    Returns
    -------
    Fit
        Coefficients and their covariance ``(X' W X)^-1``.

    Notes
    -----
    ``logit P(y = 1 | x) = x' beta``. Newton-Raphson: ``beta <- beta + (X' W X)^-1 X' (y - p)``
    with ``p = expit(X beta)`` and ``W = diag(p (1 - p))``, halving the step while the
    log-likelihood falls; stops when every step component is below ``1e-10 (1 + max|beta|)``.
    It starts from the intercept-only fit or, above 200,000 rows, from a fit to a tolerance of
    ``1e-6`` on every k-th row (about 50,000 rows), which saves three or four passes over the
    data and reaches the same maximum.

    References
    ----------
    McCullagh P. and Nelder J. A. (1989), *Generalized Linear Models*, 2nd ed., chapter 4.

    Examples
    --------
    >>> x = np.column_stack([np.ones(6), [0, 0, 0, 1, 1, 1]])
    >>> fit = fit_logistic(x, [0, 0, 1, 0, 1, 1])
    >>> np.round(fit.coef, 6).tolist()  # log odds 1/2 and log odds ratio (2/1)/(1/2)
    [-0.693147, 1.386294]

    """
    beta, iterations = logistic_coefficients(x, y)
    with threadpool_limits(1):
        covariance = np.asarray(np.linalg.inv(_information(x, beta, "logistic")), np.float64)
    return Fit(coef=beta, covariance=covariance, dispersion=1.0, iterations=iterations)


def fit_poisson(x: FloatArray, y: npt.ArrayLike) -> Fit:
    """Fit a quasi-Poisson log-linear model of a count.

    Parameters
    ----------
    x : numpy.ndarray, shape (n, p)
        Model matrix, intercept included.
    y : array of counts, shape (n,)
        Outcome (reoffences per person).

    Returns
    -------
    Fit
        Coefficients, covariance ``phi (X' W X)^-1`` and dispersion ``phi``.

    Notes
    -----
    ``log E(y | x) = x' beta``, fitted by Newton-Raphson with ``W = diag(mu)``. Reoffence counts
    are over-dispersed (a few people commit many offences), so the covariance is scaled by the
    Pearson dispersion ``phi = sum((y - mu)^2 / mu) / (n - p)`` (quasi-Poisson); the coefficients
    are the Poisson maximum-likelihood ones, consistent for the mean whatever the dispersion.

    References
    ----------
    McCullagh P. and Nelder J. A. (1989), *Generalized Linear Models*, 2nd ed., section 6.2 and
    chapter 9 (quasi-likelihood).

    Examples
    --------
    >>> x = np.column_stack([np.ones(4), [0, 0, 1, 1]])
    >>> fit = fit_poisson(x, [1, 3, 4, 4])
    >>> np.round(np.exp(fit.coef), 6).tolist()  # mean 2 in group 0, ratio 4/2
    [2.0, 2.0]

    """
    y_arr = np.asarray(y, dtype=np.float64)
    mean_y = float(y_arr.mean())
    if not mean_y > 0:
        raise FullvalueError(
            "The count model cannot be fitted: every count in the fitting sample is zero.",
            code="model-failed",
        )
    start = np.zeros(x.shape[1])
    start[0] = np.log(mean_y)
    with threadpool_limits(1):
        beta, _, iterations = _newton(x, y_arr, "poisson", start)
        mu = np.exp(x @ beta)
        freedom = max(len(y_arr) - x.shape[1], 1)
        dispersion = float(np.sum((y_arr - mu) ** 2 / mu) / freedom)
        covariance = dispersion * np.asarray(
            np.linalg.inv(_information(x, beta, "poisson")), np.float64
        )
    return Fit(coef=beta, covariance=covariance, dispersion=dispersion, iterations=iterations)
