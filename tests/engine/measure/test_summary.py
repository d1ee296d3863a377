from fullvalue.engine.measure.inference import Estimate
from fullvalue.engine.measure.summary import baseline_summary, matched_summary


def estimate(low, high):
    return Estimate(0.3, 0.4, (low + high) / 2, low, high, 0.01, 100, 100)


def summary(binary, imbalanced=(), off_support=0):
    return matched_summary(
        period_words="one-year",
        binary=binary,
        frequency=estimate(-0.4, 0.2),
        days_to_first=estimate(-20.0, 40.0),
        matched_treated=72,
        comparison=300,
        off_support=off_support,
        imbalanced=list(imbalanced),
    )


def test_reduction_is_claimed_only_when_the_interval_is_below_zero():
    """CI -23 to -1 points: "reduced ... by between 1 and 23 percentage points"."""
    assert "reduced the one-year proven reoffending rate by between 1 and 23" in summary(
        estimate(-0.23, -0.01)
    )


def test_increase_is_reported_plainly():
    assert "increased the one-year proven reoffending rate by between 2 and 9" in summary(
        estimate(0.02, 0.09)
    )


def test_interval_spanning_zero_cannot_show_a_change():
    text = summary(estimate(-0.05, 0.03))
    assert "cannot show whether the programme changed the one-year proven reoffending rate" in text
    assert "does not mean it had no effect" in text


def test_off_support_and_imbalance_are_said():
    text = summary(estimate(-0.05, 0.03), imbalanced=["age", "sex=M"], off_support=4)
    assert "4 participants had no comparable person" in text
    assert "not balanced on age, sex=M" in text


def test_missing_estimate_is_said():
    empty = Estimate(None, None, None, None, None, None, 0, 0)
    assert "not enough information" in summary(empty)


def test_baseline_summary_directions():
    above = baseline_summary(
        period_words="one-year", binary=estimate(0.01, 0.03), frequency=estimate(-0.1, 0.1),
        current=500,
    )  # fmt: skip
    assert "rate was above expected by between 1.0 and 3.0 percentage points" in above
    assert "reoffences per person cannot be distinguished from expected" in above
