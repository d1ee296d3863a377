"""Covariate design matrices and the two regression models the engine fits, in NumPy.

Both models are fitted by Newton-Raphson (for these canonical-link models the same as iteratively
reweighted least squares) with step halving, to a tight tolerance, inside
``threadpoolctl.threadpool_limits(1)``: NumPy and SciPy each bring their own BLAS threads, which
fight on small machines, and one thread gives the same floating-point result every time. Each
Newton step reads the data once: the log-likelihood, the gradient and ``X' W X`` are accumulated
together over blocks of rows that stay in cache.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl
from threadpoolctl import threadpool_limits

from fullvalue.engine.measure.io import Table, missing_column_problem, to_numpy
from fullvalue.errors import FullvalueError, Problem

INTERCEPT = "(intercept)"
TOLERANCE = 1e-10
MAX_ITERATIONS = 100
SUBSAMPLE_ROWS = 50_000
BLOCK_ROWS = 32_768
LOG_GROUP = 64
LEVEL_SAMPLE_ROWS = 10_000
SUBSAMPLE_TOLERANCE = 1e-6
REUSE_HESSIAN_STEP = 1e-4
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Design:
    """A model matrix: an intercept, numeric covariates, and one column per non-reference level.

    ``terms`` names the columns after the intercept (``age``, ``sex=M``). ``matrix`` has the
    intercept first and then each term centred by ``centre`` and scaled by ``scale``, the fit
    sample's means and standard deviations: the fitted probabilities do not change, the Newton
    steps are better conditioned, and standardised mean differences (which do not change under a
    column's shift and scale) can be read from it directly, so no unscaled copy is kept. It is
    column-major: each term is one contiguous array, which is how it is built and summarised,
    and BLAS reads it as fast as row-major.
    """

    matrix: FloatArray
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
        rows = missing.arg_true().to_list() if missing.any() else []
        if rows:
            problems.append(table.problem(rows, name, "covariate value is missing"))
    if problems:
        raise FullvalueError.from_problems(f"{table.source}: the covariates have errors.", problems)


def _level_problems(
    name: str, levels: Sequence[str], present: Sequence[int], source: str
) -> list[Problem]:
    fitted = [level for level, count in zip(levels, present, strict=True) if count]
    if len(fitted) < 2:
        return [_no_variation(name, source)]
    return [
        Problem(
            f"level {level!r} does not occur among the people the model is fitted on",
            f"{source}, column {name}",
            column=name,
            source=source,
        )
        for level, count in zip(levels, present, strict=True)
        if not count
    ]


def _levels(text: pl.Series) -> tuple[list[str], list[pl.Series]]:
    """Return a text column's sorted levels and an indicator (true/false series) for each.

    The levels are almost always all present in the first rows, so they are taken from there
    and checked: when their indicators account for every row, there is no other level. One
    comparison per level is several times cheaper than hashing a million strings, which is
    done only when the check fails.

    Examples
    --------
    >>> levels, indicators = _levels(pl.Series(["b", "a", "b"]))
    >>> levels, [i.to_list() for i in indicators]
    (['a', 'b'], [[False, True, False], [True, False, True]])

    """
    levels = sorted(text.head(LEVEL_SAMPLE_ROWS).unique().to_list())
    indicators = [text == level for level in levels]
    if sum(i.sum() for i in indicators) != text.len():
        levels = sorted(text.unique().to_list())
        indicators = [text == level for level in levels]
    return levels, indicators


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
    columns ``c=l_1 ... c=l_k``; ``l_0`` is the reference. Each term ``x`` then enters as
    ``(x - m) / s``, with ``m`` and ``s`` its mean and standard deviation over the fit rows.

    References
    ----------
    McCullagh P. and Nelder J. A. (1989), *Generalized Linear Models*, 2nd ed., section 3.4.

    Examples
    --------
    >>> frame = pl.DataFrame({"age": [20, 30, 40], "sex": ["M", "F", "M"]})
    >>> design = design_matrix(frame, ["age", "sex"], np.ones(3, dtype=bool))
    >>> design.terms
    ('age', 'sex=M')
    >>> design.centre.tolist()  # 30 years; two of three are M
    [30.0, 0.6666666666666666]
    >>> (design.matrix[:, 1] * design.scale[0] + design.centre[0]).round(12).tolist()
    [20.0, 30.0, 40.0]

    """
    terms: list[str] = []
    values: list[pl.Series] = []
    # Each covariate's columns (positions in ``terms``) and, when categorical, its levels.
    covariate_columns: list[tuple[str, list[int], list[str] | None]] = []
    for name in covariates:
        column = frame.get_column(name)
        if _is_numeric(column.dtype):
            covariate_columns.append((name, [len(terms)], None))
            terms.append(name)
            values.append(column)
            continue
        levels, indicators = _levels(column.cast(pl.String))
        covariate_columns.append(
            (name, list(range(len(terms), len(terms) + len(levels) - 1)), levels)
        )
        terms += [f"{name}={level}" for level in levels[1:]]
        values += indicators[1:]
    every_row = bool(fit_rows.all())
    fitted_count = len(fit_rows) if every_row else int(fit_rows.sum())
    matrix = np.empty((frame.height, len(terms) + 1), order="F")
    matrix[:, 0] = 1.0
    centre, scale = np.zeros(len(terms)), np.zeros(len(terms))
    present = np.zeros(len(terms), dtype=np.int64)
    # Column by column: each term's mean and standard deviation over one contiguous array, then
    # standardised straight into its column of the matrix.
    for j, series in enumerate(values):
        # Indicators stay true/false: NumPy's mean, standard deviation and subtraction give the
        # same numbers as on 0.0/1.0, without a float copy of each. Integers and floats become
        # float64 as Polars' cast would make them; anything else is cast by Polars.
        if series.dtype == pl.Boolean:
            raw = to_numpy(series)
        elif series.dtype.is_integer() or series.dtype.is_float():
            raw = to_numpy(series, np.float64)
        else:
            raw = to_numpy(series.cast(pl.Float64))
        fitted = raw if every_row else raw[fit_rows]
        if fitted.size:
            centre[j], scale[j] = fitted.mean(), fitted.std()
            present[j] = np.count_nonzero(fitted)
        out = matrix[:, j + 1]
        np.subtract(raw, centre[j], out=out)
        if scale[j] > 0:
            out /= scale[j]
    problems: list[Problem] = []
    for name, columns, names in covariate_columns:
        if names is None:
            if not scale[columns[0]] > 0:
                problems.append(_no_variation(name, source))
            continue
        counts = [int(present[j]) for j in columns]
        problems += _level_problems(name, names, [fitted_count - sum(counts), *counts], source)
    if problems:
        raise FullvalueError.from_problems(f"{source}: the covariates cannot be used.", problems)
    return Design(matrix=matrix, terms=tuple(terms), centre=centre, scale=scale)


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
    return np.exp(-np.logaddexp(0.0, -eta))


def _sum_log1p(small: FloatArray, one_plus: FloatArray) -> float:
    """Return ``sum(log(1 + small))``, given ``one_plus = 1 + small`` with ``0 <= small <= 1``.

    Taken as the logarithm of products of 64 factors at a time (each factor is in [1, 2], so a
    product stays below 2^64): one logarithm per 64 values instead of a ``log1p`` each, the
    costliest part of a log-likelihood pass. The rounding, a few units in the last place per
    product, is far below the ``1e-12`` relative slack of the step-halving test, the only use of
    the value.

    Examples
    --------
    >>> small = np.linspace(0.0, 1.0, 1000)
    >>> bool(np.isclose(_sum_log1p(small, 1.0 + small), np.log1p(small).sum(), rtol=1e-13))
    True

    """
    whole = len(one_plus) - len(one_plus) % LOG_GROUP
    products = one_plus[:whole].reshape(-1, LOG_GROUP).prod(axis=1)
    return float(np.log(products).sum() + np.log1p(small[whole:]).sum())


def _logistic_block(eta: FloatArray, y: FloatArray) -> tuple[float, FloatArray]:
    # The block's log-likelihood sum(y eta - log(1 + e^eta)), with log(1 + e^eta) =
    # max(eta, 0) + log(1 + e^-|eta|), and the fitted means expit(eta), both from the one
    # exponential e^-|eta| (which never overflows).
    small = np.exp(-np.abs(eta))
    one_plus = 1.0 + small
    loglik = float(y @ eta) - float(np.maximum(eta, 0.0).sum()) - _sum_log1p(small, one_plus)
    mean = np.where(eta >= 0.0, 1.0, small)
    mean /= one_plus
    return loglik, mean


def _newton_terms(
    x: FloatArray, y: FloatArray, beta: FloatArray, family: str, with_gram: bool = True
) -> tuple[float, FloatArray, FloatArray | None]:
    """Return the log-likelihood, its gradient and ``X' W X`` at ``beta``, reading ``x`` once.

    Blocks of rows are taken in turn: each block's linear predictor, fitted means, gradient
    ``(y - mu)' X`` and ``(sqrt(W) X)' (sqrt(W) X)`` (a symmetric rank-k update) are computed
    while the block is in cache, three times faster than three passes over an n x p matrix.
    ``X' W X``, two thirds of the work, is left out (``None``) unless ``with_gram``.
    """
    p = x.shape[1]
    loglik, gradient = 0.0, np.zeros(p)
    gram = np.zeros((p, p)) if with_gram else None
    block = np.empty((min(BLOCK_ROWS, len(y)), p), order="F")
    for start in range(0, len(y), BLOCK_ROWS):
        rows = slice(start, start + BLOCK_ROWS)
        x_part, y_part = x[rows], y[rows]
        eta = x_part @ beta
        if family == "logistic":
            value, mean = _logistic_block(eta, y_part)
            weight = mean * (1.0 - mean)
        else:
            mean = np.exp(eta)
            value, weight = float(y_part @ eta - mean.sum()), mean
        loglik += value
        gradient += (y_part - mean) @ x_part
        if gram is not None:
            rooted = block[: len(y_part)]
            np.multiply(x_part, np.sqrt(weight)[:, None], out=rooted)
            gram += rooted.T @ rooted
    return loglik, gradient, gram


def _newton(
    x: FloatArray,
    y: FloatArray,
    family: str,
    start: FloatArray,
    tolerance: float = TOLERANCE,
) -> tuple[FloatArray, int]:
    # Returns the coefficients and the Newton steps taken.
    def below(step: npt.NDArray[np.floating], beta: npt.NDArray[np.floating], size: float) -> bool:
        return bool(np.max(np.abs(step)) < size * (1.0 + np.max(np.abs(beta))))

    beta = start
    current, gradient, hessian = _newton_terms(x, y, beta, family)
    assert hessian is not None
    for iteration in range(1, MAX_ITERATIONS + 1):
        try:
            step = np.linalg.solve(hessian, gradient)
        except np.linalg.LinAlgError as exc:
            raise FullvalueError(
                "The model cannot be fitted: the covariates are collinear or one of them "
                "perfectly predicts the outcome.",
                code="model-failed",
            ) from exc
        if below(step, beta + step, tolerance):
            # A Newton step this small cannot lower the log-likelihood by the step-halving
            # test's slack, so it is taken without another pass over the data to check.
            return beta + step, iteration
        # After a step this small X' W X changes by about as little, relatively: the next step
        # keeps the current one and is still exact to within that fraction of itself.
        fresh = not below(step, beta, REUSE_HESSIAN_STEP)
        size = 1.0
        while True:
            candidate = beta + size * step
            value, candidate_gradient, candidate_hessian = _newton_terms(
                x, y, candidate, family, with_gram=fresh
            )
            if value >= current - 1e-12 * abs(current) or size < 1e-8:
                break
            size /= 2.0
        beta, current, gradient = candidate, value, candidate_gradient
        if candidate_hessian is not None:
            hessian = candidate_hessian
        if below(size * step, beta, tolerance):
            return beta, iteration
    raise FullvalueError(
        f"The {family} model did not converge in {MAX_ITERATIONS} iterations: a covariate may "
        "perfectly separate the groups; remove or group it.",
        code="model-failed",
    )


def _information(x: FloatArray, y: FloatArray, beta: FloatArray, family: str) -> FloatArray:
    gram = _newton_terms(x, y, beta, family)[2]
    assert gram is not None
    return gram


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
        beta, _ = _newton(np.asfortranarray(sub_x), sub_y, "logistic", start, SUBSAMPLE_TOLERANCE)
    except FullvalueError:
        return start
    return beta if np.all(np.isfinite(beta)) else start


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
    log-likelihood falls; stops when every step component is below ``1e-10 (1 + max|beta|)``
    (that last step is taken without another pass over the data to check the log-likelihood,
    which so small a step cannot lower). Once a step is below ``1e-4 (1 + max|beta|)``, the
    next step reuses ``X' W X`` from before it, which that step changed by about as little: the
    next step is then exact to within that fraction of itself, and the fit ends at the same
    maximum to rounding. It starts from the intercept-only fit or, above 200,000 rows, from a
    fit to a tolerance of ``1e-6`` on every k-th row (about 50,000 rows), which saves three or
    four passes over the data and reaches the same maximum.

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
        information = _information(x, np.asarray(y, dtype=np.float64), beta, "logistic")
        covariance = np.asarray(np.linalg.inv(information), np.float64)
    return Fit(coef=beta, covariance=covariance, dispersion=1.0, iterations=iterations)


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
        return _newton(x, y_arr, "logistic", _logistic_start(x, y_arr))


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
        beta, iterations = _newton(x, y_arr, "poisson", start)
        mu = np.exp(x @ beta)
        freedom = max(len(y_arr) - x.shape[1], 1)
        dispersion = float(np.sum((y_arr - mu) ** 2 / mu) / freedom)
        information = _information(x, y_arr, beta, "poisson")
        covariance = dispersion * np.asarray(np.linalg.inv(information), np.float64)
    return Fit(coef=beta, covariance=covariance, dispersion=dispersion, iterations=iterations)
