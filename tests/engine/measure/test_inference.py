import numpy as np
import pytest
from scipy import stats

from fullvalue.engine.measure.inference import (
    check_alternative,
    critical_value,
    matched_difference,
    neighbour_variance,
    p_value,
)
from fullvalue.errors import FullvalueError


def test_variance_by_hand():
    """Treated 1, 0, 1, 0 (variances 0.25 each); comparisons 0 and 1 with weights 3 and 1.

    Normalised weights 0.75 and 0.25: comparison value 0.25, difference 0.5 - 0.25 = 0.25.
    Variance 4 x 0.25 / 4^2 + (0.75^2 + 0.25^2) x 0.25 = 0.0625 + 0.15625 = 0.21875.
    """
    e = matched_difference([1, 0, 1, 0], [0.25] * 4, [0, 1], [0.25, 0.25], [3, 1])
    assert (e.treated_value, e.comparison_value, e.difference) == (0.5, 0.25, 0.25)
    half = (e.ci_high - e.ci_low) / 2
    parts = (0.0625, 0.15625)
    effective = 1 / (0.75**2 + 0.25**2)
    df = sum(parts) ** 2 / (parts[0] ** 2 / 3 + parts[1] ** 2 / (effective - 1))
    assert half == pytest.approx(stats.t.ppf(0.975, df) * np.sqrt(0.21875))
    assert e.n_comparison == pytest.approx(1.6)


def test_reuse_widens_the_interval():
    rng = np.random.default_rng(5)
    a, b = rng.normal(size=100), rng.normal(size=100)
    v_a, v_b = np.ones(100), np.ones(100)
    even = matched_difference(a, v_a, b, v_b, np.ones(100))
    uneven = matched_difference(a, v_a, b, v_b, np.r_[np.full(10, 10.0), np.ones(90)])
    assert uneven.ci_high - uneven.ci_low > even.ci_high - even.ci_low


def test_neighbour_variance_on_a_constant_score_is_unbiased():
    """With one score value, (y_i - y_j)^2 / 2 averages to the variance of y."""
    rng = np.random.default_rng(6)
    y = rng.normal(0, 2.0, 20_000)
    assert neighbour_variance(y, np.zeros(len(y))).mean() == pytest.approx(4.0, rel=0.05)


def test_neighbour_variance_of_selected_members():
    values = neighbour_variance([5.0, 1.0, 0.0], [2.0, 1.0, 0.0], members=[0])
    assert values.tolist() == [8.0]  # score 2 is nearest to score 1: (5 - 1)^2 / 2
    assert neighbour_variance([1.0], [0.0]).tolist() == [0.0]


def test_one_sided_p_values():
    assert p_value(-2.0, "less") == pytest.approx(stats.norm.cdf(-2.0))
    assert p_value(-2.0, "greater") == pytest.approx(stats.norm.sf(-2.0))
    assert p_value(2.0, "two-sided", 10) == pytest.approx(2 * stats.t.sf(2.0, 10))
    assert critical_value(30) == pytest.approx(stats.t.ppf(0.975, 30))


def test_unknown_alternative():
    with pytest.raises(FullvalueError):
        check_alternative("bigger")


def test_empty_groups_give_no_estimate():
    assert matched_difference([], [], [1.0], [0.0], [1.0]).difference is None
