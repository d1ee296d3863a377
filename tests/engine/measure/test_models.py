import numpy as np
import polars as pl
import pytest
from scipy import optimize

from fullvalue.engine.measure.io import Table
from fullvalue.engine.measure.models import (
    check_covariates,
    design_matrix,
    expit,
    fit_logistic,
    fit_poisson,
)
from fullvalue.errors import FullvalueError


def random_design(seed, n=2000):
    rng = np.random.default_rng(seed)
    x = np.column_stack([np.ones(n), rng.normal(size=n), rng.integers(0, 2, n)])
    return rng, x


def test_logistic_agrees_with_a_general_optimiser():
    rng, x = random_design(1)
    y = rng.random(len(x)) < expit(x @ np.array([-0.3, 0.8, -0.5]))
    fit = fit_logistic(x, y)

    def negative_loglik(beta):
        eta = x @ beta
        return -(y @ eta - np.logaddexp(0, eta).sum())

    best = optimize.minimize(negative_loglik, np.zeros(3), method="BFGS", options={"gtol": 1e-9})
    np.testing.assert_allclose(fit.coef, best.x, atol=1e-5)
    # Covariance is the inverse Fisher information: check against a finite-difference Hessian.
    se = np.sqrt(np.diag(fit.covariance))
    assert np.all(se > 0) and np.all(se < 0.2)


def test_poisson_agrees_with_a_general_optimiser_and_scales_by_dispersion():
    rng, x = random_design(2)
    mu = np.exp(x @ np.array([0.1, 0.4, -0.3]))
    y = rng.negative_binomial(2, 2 / (2 + mu))  # over-dispersed counts with mean mu
    fit = fit_poisson(x, y)

    def negative_loglik(beta):
        eta = x @ beta
        return -(y @ eta - np.exp(eta).sum())

    best = optimize.minimize(negative_loglik, np.zeros(3), method="BFGS", options={"gtol": 1e-9})
    np.testing.assert_allclose(fit.coef, best.x, atol=1e-5)
    assert fit.dispersion > 1.2  # variance mu + mu^2/2 exceeds the Poisson mean


def test_fits_are_bitwise_repeatable():
    rng, x = random_design(3)
    y = rng.random(len(x)) < 0.3
    assert fit_logistic(x, y).coef.tobytes() == fit_logistic(x, y).coef.tobytes()


def test_perfect_separation_is_refused():
    x = np.column_stack([np.ones(40), np.arange(40.0)])
    y = np.arange(40) >= 20
    with pytest.raises(FullvalueError) as caught:
        fit_logistic(x, y)
    assert caught.value.code == "model-failed"


def test_poisson_refuses_when_nobody_reoffended():
    with pytest.raises(FullvalueError):
        fit_poisson(np.ones((3, 1)), [0, 0, 0])


def test_category_levels_are_sorted_whatever_the_row_order():
    a = pl.DataFrame({"area": ["West", "East", "North", "East"]})
    b = a.reverse()
    rows = np.ones(4, dtype=bool)
    assert design_matrix(a, ["area"], rows).terms == ("area=North", "area=West")
    assert design_matrix(b, ["area"], rows).terms == ("area=North", "area=West")


def test_no_variation_names_the_covariate():
    frame = pl.DataFrame({"age": [30, 30, 30], "sex": ["M", "M", "M"], "score": [1.0, 2.0, 3.0]})
    with pytest.raises(FullvalueError) as caught:
        design_matrix(frame, ["age", "sex", "score"], np.ones(3, dtype=bool), "people.csv")
    columns = [p.column for p in caught.value.problems]
    assert columns == ["age", "sex"]
    assert all("no variation" in p.reason for p in caught.value.problems)
    assert all(p.source == "people.csv" for p in caught.value.problems)


def test_level_absent_from_the_fitting_sample_is_refused():
    frame = pl.DataFrame({"sex": ["M", "F", "M", "X"]})
    with pytest.raises(FullvalueError) as caught:
        design_matrix(frame, ["sex"], np.array([True, True, True, False]))
    assert "'X' does not occur" in str(caught.value)


def test_missing_covariate_values_name_rows():
    table = Table(pl.DataFrame({"age": [30.0, None, float("nan")], "sexx": ["M"] * 3}), "p.csv", 2)
    with pytest.raises(FullvalueError) as caught:
        check_covariates(table, ["age", "sex"])
    first, second = caught.value.problems
    assert (first.column, first.location) == ("age", "p.csv rows 3, 4, column age")
    assert "did you mean 'sexx'" in second.reason


def test_a_level_first_seen_after_the_sampled_rows_still_gets_its_column():
    """Levels are guessed from the first rows and checked; a later, rarer level is not lost."""
    area = ["East", "West"] * 6_000 + ["North"] * 30
    design = design_matrix(pl.DataFrame({"area": area}), ["area"], np.ones(len(area), dtype=bool))
    assert design.terms == ("area=North", "area=West")
    north = design.matrix[:, 1] * design.scale[0] + design.centre[0]
    np.testing.assert_allclose(north, np.array(area) == "North", atol=1e-12)


def reference_logistic(x, y):
    """Plain Newton-Raphson from zero with a fresh X' W X every step, to a tight tolerance."""
    beta = np.zeros(x.shape[1])
    for _ in range(50):
        p = expit(x @ beta)
        step = np.linalg.solve((x * (p * (1 - p))[:, None]).T @ x, (y - p) @ x)
        beta = beta + step
        if np.max(np.abs(step)) < 1e-13:
            return beta
    raise AssertionError("the reference fit did not converge")


def test_a_large_logistic_fit_reaches_the_same_maximum_as_plain_newton():
    """250,000 rows take every short cut: the start from a subsample, one pass per step over
    blocks of rows, X' W X reused after a small step and a last step taken unchecked."""
    rng = np.random.default_rng(7)
    n = 250_000
    x = np.column_stack([np.ones(n), rng.normal(size=n), rng.integers(0, 2, n) - 0.5])
    y = (rng.random(n) < expit(x @ np.array([-3.0, 0.7, 0.4]))).astype(float)
    fit = fit_logistic(np.asfortranarray(x), y)
    np.testing.assert_allclose(fit.coef, reference_logistic(x, y), rtol=1e-11, atol=1e-13)
    p = expit(x @ fit.coef)
    information = (x * (p * (1 - p))[:, None]).T @ x
    np.testing.assert_allclose(fit.covariance, np.linalg.inv(information), rtol=1e-9)
