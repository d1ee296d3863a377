"""A cohort against a fixed comparison value, checked against SciPy's tests and intervals."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from fullvalue.engine.measure.fixed import MIN_TESTED, against_fixed
from fullvalue.errors import FullvalueError


@pytest.mark.parametrize(("k", "n", "c"), [(40, 100, 0.5), (12, 48, 0.392), (90, 300, 0.25)])
def test_binary_matches_the_score_test_and_wilson_interval(k, n, c):
    estimate = against_fixed([1] * k + [0] * (n - k), c, "binary")
    z = (k / n - c) / math.sqrt(c * (1 - c) / n)
    assert estimate.p_value == pytest.approx(stats.norm.cdf(z), rel=1e-9)
    ci = stats.binomtest(k, n, c).proportion_ci(confidence_level=0.95, method="wilson")
    assert estimate.ci_low == pytest.approx(ci.low - c, abs=1e-9)
    assert estimate.ci_high == pytest.approx(ci.high - c, abs=1e-9)
    assert estimate.difference == pytest.approx(k / n - c)


def test_frequency_matches_the_one_sample_t_test():
    rng = np.random.default_rng(7)
    counts = rng.poisson(1.2, 120).astype(float)
    estimate = against_fixed(counts, 1.5, "frequency")
    reference = stats.ttest_1samp(counts, 1.5, alternative="less")
    assert estimate.p_value == pytest.approx(reference.pvalue, rel=1e-6)
    interval = stats.ttest_1samp(counts, 1.5).confidence_interval(0.95)
    assert estimate.ci_low == pytest.approx(interval.low - 1.5, rel=1e-6)
    assert estimate.ci_high == pytest.approx(interval.high - 1.5, rel=1e-6)


def test_too_few_people_give_no_test_and_bad_input_is_refused():
    small = against_fixed([1, 0, 0], 0.4, "binary")
    assert small.n_treated == 3 < MIN_TESTED
    assert small.p_value is None and small.ci_low is None
    assert small.treated_value == pytest.approx(1 / 3)
    with pytest.raises(FullvalueError) as exc:
        against_fixed([], 1.4, "binary")
    reasons = " ".join(p.reason for p in exc.value.problems)
    assert "between 0 and 1" in reasons and "completed follow-up" in reasons


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(MIN_TESTED, 400),
    share=st.floats(0, 1),
    c=st.floats(0.05, 0.95),
)
def test_interval_contains_the_estimate_and_p_falls_with_the_rate(n, share, c):
    k = round(share * n)
    estimate = against_fixed([1] * k + [0] * (n - k), c, "binary")
    assert estimate.ci_low <= estimate.difference + 1e-12 <= estimate.ci_high + 2e-12
    assert 0 <= estimate.p_value <= 1
    if k < n:
        better = against_fixed([1] * k + [0] * (n - k + 1), c, "binary")
        assert better.p_value <= estimate.p_value + 1e-12


def test_coverage_of_the_binary_interval_is_near_95_percent():
    """Monte Carlo: 400 cohorts of 150 with a true rate of 0.35 (seeded)."""
    rng = np.random.default_rng(2026)
    hits = 0
    for _ in range(400):
        values = (rng.random(150) < 0.35).astype(float)
        e = against_fixed(values, 0.43, "binary")
        hits += e.ci_low <= 0.35 - 0.43 <= e.ci_high
    assert 0.92 <= hits / 400 <= 0.98
