import math

import pytest

from fullvalue.engine.payments.power import (
    minimum_detectable_effect,
    probability_of_payment,
    standard_error,
)
from fullvalue.errors import FullvalueError


def test_social_market_foundation_four_points():
    """1,000 people at 47.5%: SE = sqrt(0.475 × 0.525 / 1000) = 0.015791; one-sided 5%, 80%
    power: MDE = (1.6449 + 0.8416) × 0.015791 = 0.03926, about 4 percentage points."""
    result = minimum_detectable_effect(0.475, 1000)
    assert result.standard_error == pytest.approx(math.sqrt(0.475 * 0.525 / 1000))
    assert result.minimum_detectable_effect == pytest.approx(0.03926, abs=1e-4)
    assert 0.035 < result.minimum_detectable_effect < 0.045


def test_a_womens_cohort_of_150_cannot_carry_volume_dependent_pbr():
    """150 women at 43%: SE = sqrt(0.43 × 0.57 / 150) = 0.04042; MDE = 2.4865 × 0.04042 = 0.1005:
    a 10-point fall (23% of the baseline) is needed, against about 4 points for 1,000 people.
    A realistic 4-point effect is paid only about one year in four (25.6%)."""
    women = minimum_detectable_effect(0.43, 150)
    assert women.minimum_detectable_effect == pytest.approx(0.1005, abs=5e-4)
    assert women.relative_effect == pytest.approx(0.234, abs=1e-3)
    assert probability_of_payment(0.43, 150, 0.04) == pytest.approx(0.256, abs=2e-3)
    assert probability_of_payment(0.43, 1000, 0.04) > 0.8


def test_two_sided_and_matched_comparison_need_more():
    one = minimum_detectable_effect(0.475, 1000).minimum_detectable_effect
    two = minimum_detectable_effect(0.475, 1000, two_sided=True).minimum_detectable_effect
    matched = minimum_detectable_effect(0.475, 1000, comparison_size=1000)
    assert two > one
    assert matched.minimum_detectable_effect == pytest.approx(one * math.sqrt(2))
    assert standard_error(0.5, 100, 100) == pytest.approx(math.sqrt(0.25 * 0.02))


def test_probability_of_payment_at_the_mde_is_the_power():
    mde = minimum_detectable_effect(0.475, 1000, power=0.9).minimum_detectable_effect
    assert probability_of_payment(0.475, 1000, mde) == pytest.approx(0.9)
    assert probability_of_payment(0.475, 1000, 0.0) == pytest.approx(0.05)


def test_a_hurdle_above_significance_lowers_the_chance():
    """A 10% relative hurdle at 47.5% needs a 4.75-point fall, above the 2.6-point threshold of
    significance, so it, not significance, decides."""
    plain = probability_of_payment(0.475, 1000, 0.04)
    hurdled = probability_of_payment(0.475, 1000, 0.04, hurdle=0.10)
    assert hurdled < plain
    assert hurdled == pytest.approx(1 - 0.6826, abs=0.01)


def test_bad_inputs_are_listed():
    with pytest.raises(FullvalueError) as caught:
        minimum_detectable_effect(1.2, 0, alpha=0, power=1)
    assert [p.location for p in caught.value.problems] == [
        "baseline_rate",
        "cohort_size",
        "alpha",
        "power",
    ]
