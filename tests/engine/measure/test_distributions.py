"""The pure-Python normal and t distribution functions agree with SciPy's."""

import math

import pytest
from scipy import special

from fullvalue.engine.measure.distributions import (
    NORMAL_975,
    log_beta,
    normal_cdf,
    student_t_cdf,
    student_t_quantile,
)

# Welch-Satterthwaite degrees of freedom are rarely whole numbers; both sides of df = 30, where
# the method changes, and the large values a million-person comparison gives.
DFS = [0.5, 1, 2, 3, 4.7, 10, 29.5, 30, 31.5, 100, 1234.5, 1e4, 3e4, 1e5, 1e6, 5e6]
STATISTICS = [-60, -20, -8, -5, -3, -2, -1.96, -1.5, -1, -0.5, -0.1, -1e-3, 0, 0.5, 2, 8]


@pytest.mark.parametrize("df", DFS)
def test_t_cdf_matches_scipy(df):
    for t in STATISTICS:
        expected = float(special.stdtr(df, t))
        if expected > 1e-290:
            assert student_t_cdf(t, df) == pytest.approx(expected, rel=1e-13, abs=0), t


@pytest.mark.parametrize("df", DFS)
def test_t_quantile_matches_scipy(df):
    for p in (0.5, 0.6, 0.9, 0.975, 0.99):
        expected = float(special.stdtrit(df, p))
        assert student_t_quantile(p, df) == pytest.approx(expected, rel=1e-13, abs=1e-15), p


def test_quantile_inverts_the_cdf():
    for df in DFS:
        assert student_t_cdf(student_t_quantile(0.975, df), df) == pytest.approx(0.975, rel=1e-14)


def test_normal():
    assert float(special.ndtri(0.975)) == NORMAL_975
    for x in (-38.0, -10.0, -3.0, -1.0, -0.1, 0.0, 0.5, 3.0):
        assert normal_cdf(x) == pytest.approx(float(special.ndtr(x)), rel=1e-14)
    assert student_t_cdf(-2.0, math.inf) == normal_cdf(-2.0)


@pytest.mark.parametrize("a", [0.5, 3.0, 14.9, 15.0, 40.0])
def test_log_beta_matches_scipy_for_small_arguments(a):
    assert log_beta(a, 0.5) == pytest.approx(float(special.betaln(a, 0.5)), rel=1e-13, abs=1e-13)


@pytest.mark.parametrize("a", [14.5, 20.0, 1e3, 1e6, 1e9])
def test_log_beta_recurrence_for_large_arguments(a):
    """B(a + 1, b) = B(a, b) a / (a + b); SciPy's betaln loses digits here, so check this."""
    step = log_beta(a + 1.0, 0.5) - log_beta(a, 0.5)
    assert step == pytest.approx(math.log(a / (a + 0.5)), rel=1e-12, abs=1e-14)
