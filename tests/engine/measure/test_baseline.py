import datetime as dt

import polars as pl
import pytest

from fullvalue.engine.measure.baseline import compare_baseline
from fullvalue.engine.measure.synthetic import synthetic_cohort
from fullvalue.errors import FullvalueError, InsufficientDataError

AS_OF = dt.date(2021, 12, 31)
COVARIATES = ["age", "sex", "ogrs", "prior", "region"]


def run(effect, **kwargs):
    """3,000 baseline people and a riskier current cohort of 3,000 (higher OGRS scores)."""
    cohort = synthetic_cohort(3000, 3000, seed=1, effect=effect)
    people = cohort.people.with_columns(baseline=~pl.col("treated"))
    result = compare_baseline(
        people, cohort.offences, baseline="baseline", covariates=COVARIATES, as_of=AS_OF, **kwargs
    )
    return cohort, result


def test_no_effect_means_actual_matches_case_mix_adjusted_expected():
    """The current cohort reoffends more only because it is riskier: adjusted, no difference."""
    _, result = run(0.0)
    binary, frequency = result.total.binary, result.total.frequency
    assert binary.ci_low <= 0.0 <= binary.ci_high
    assert frequency.ci_low <= 0.0 <= frequency.ci_high
    raw_baseline_rate = 0.47  # the baseline cohort's own rate is far lower than the current 0.60
    assert binary.treated_value - raw_baseline_rate > 0.1
    assert "cannot be distinguished" in result.summary


def test_a_real_reduction_is_found_and_its_size_covered():
    cohort, result = run(-0.5)
    binary, frequency = result.total.binary, result.total.frequency
    assert binary.ci_high < 0
    assert binary.ci_low <= cohort.true_binary <= binary.ci_high
    assert frequency.ci_low <= cohort.true_frequency <= frequency.ci_high
    assert "below expected" in result.summary


def test_one_sided_p_value_is_half_the_two_sided_one_in_the_observed_direction():
    _, two = run(-0.5)
    _, less = run(-0.5, alternative="less")
    _, greater = run(-0.5, alternative="greater")
    assert less.total.binary.p_value == pytest.approx(two.total.binary.p_value / 2)
    assert greater.total.binary.p_value > 0.99


def test_cohorts_by_quarter_and_json_shape():
    _, result = run(0.0)
    assert [c.cohort for c in result.cohorts] == ["2019Q1", "2019Q2", "2019Q3", "2019Q4"]
    assert sum(c.people for c in result.cohorts) == result.current == 3000
    data = result.as_dict()
    assert list(data)[:4] == ["baseline", "current", "binary", "frequency"]
    assert list(data["binary"]) == [
        "actual",
        "expected",
        "difference",
        "ci_low",
        "ci_high",
        "p_value",
    ]


def test_level_missing_from_the_baseline_is_refused():
    cohort = synthetic_cohort(100, 300, seed=2)
    people = cohort.people.with_columns(
        baseline=~pl.col("treated"),
        region=pl.when(pl.col("treated")).then(pl.lit("Mars")).otherwise(pl.col("region")),
    )
    with pytest.raises(FullvalueError) as caught:
        compare_baseline(people, cohort.offences, baseline="baseline", covariates=["region"],
                         as_of=AS_OF)  # fmt: skip
    assert "'Mars' does not occur" in str(caught.value)


def test_empty_cohort_is_refused():
    cohort = synthetic_cohort(100, 300, seed=2)
    people = cohort.people.with_columns(baseline=pl.lit(True))
    with pytest.raises(InsufficientDataError):
        compare_baseline(people, cohort.offences, baseline="baseline", covariates=["age"],
                         as_of=AS_OF)  # fmt: skip
