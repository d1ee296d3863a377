import datetime as dt

import numpy as np
import polars as pl
import pytest
from scipy import stats

from fullvalue.engine.measure.matched import compare_matched
from fullvalue.engine.measure.reoffending import person_outcomes
from fullvalue.engine.measure.synthetic import synthetic_cohort
from fullvalue.errors import FullvalueError, InsufficientDataError

AS_OF = dt.date(2021, 12, 31)
COVARIATES = ["age", "sex", "ogrs", "prior", "region"]


@pytest.fixture(scope="module")
def confounded():
    return synthetic_cohort(1000, 20000, seed=3, effect=-0.5, confounding=1.5)


@pytest.fixture(scope="module")
def matched(confounded):
    return compare_matched(
        confounded.people, confounded.offences, treated="treated", covariates=COVARIATES,
        as_of=AS_OF,
    )  # fmt: skip


def test_matched_interval_covers_the_true_effect_and_the_naive_one_does_not(confounded, matched):
    """Risk (OGRS) drives both joining the programme and reoffending, so participants reoffend
    more than non-participants even though the programme lowers their odds (true effect on the
    treated about -6 points). The naive difference points the wrong way; matching recovers it.
    """
    truth = confounded.true_binary
    assert truth == pytest.approx(-0.062, abs=0.001)
    assert matched.binary.ci_low <= truth <= matched.binary.ci_high
    assert matched.frequency.ci_low <= confounded.true_frequency <= matched.frequency.ci_high

    outcomes, _, _ = person_outcomes(confounded.people, confounded.offences, as_of=AS_OF)
    reoffended = outcomes["reoffences"].to_numpy() > 0
    treated = confounded.people["treated"].to_numpy()
    naive = stats.ttest_ind(reoffended[treated], reoffended[~treated], equal_var=False)
    low, high = naive.confidence_interval(0.95)
    assert not low <= truth <= high
    assert low > 0.1  # the naive difference has the wrong sign, and is large


def test_balance_before_and_after(matched):
    smd = {b.covariate: b for b in matched.balance}
    assert list(smd) == ["age", "sex=M", "ogrs", "prior", "region=London", "region=North",
                         "region=South", "region=Wales"]  # fmt: skip
    assert smd["ogrs"].smd_before > 1.0
    assert matched.balanced
    assert all(abs(b.smd_after) <= 0.1 for b in matched.balance)


def test_balance_before_matching_is_the_smd_of_the_raw_columns(confounded, matched):
    """The SMDs are computed on the model's standardised terms; a column's shift and scale
    cancel, so they equal the textbook formula on the raw values."""
    people = confounded.people
    treated = people["treated"].to_numpy()
    smd = {b.covariate: b.smd_before for b in matched.balance}
    for name in ("age", "ogrs", "prior"):
        values = people[name].to_numpy().astype(float)
        t, c = values[treated], values[~treated]
        expected = (t.mean() - c.mean()) / np.sqrt((t.var(ddof=1) + c.var(ddof=1)) / 2)
        assert smd[name] == pytest.approx(expected, rel=1e-12)


def test_counts_and_json_shape(matched):
    assert (matched.treated, matched.matched_treated, matched.off_support) == (1000, 1000, 0)
    assert 0 < matched.comparison <= 1000
    data = matched.as_dict()
    assert list(data)[:8] == [
        "treated", "matched_treated", "comparison", "binary", "frequency", "days_to_first",
        "balance", "balanced",
    ]  # fmt: skip
    assert list(data["binary"])[:6] == [
        "treated_value", "comparison_value", "difference", "ci_low", "ci_high", "p_value",
    ]  # fmt: skip
    assert list(data["balance"][0]) == ["covariate", "smd_before", "smd_after"]
    assert "percentage points" in data["summary"]
    assert 0.0 <= data["binary"]["treated_value"] <= 1.0


def test_same_result_when_run_again(confounded, matched):
    again = compare_matched(
        confounded.people, confounded.offences, treated="treated", covariates=COVARIATES,
        as_of=AS_OF,
    )  # fmt: skip
    assert again.as_dict() == matched.as_dict()


def test_ratio_and_no_replacement(confounded):
    result = compare_matched(
        confounded.people, confounded.offences, treated="treated", covariates=COVARIATES,
        as_of=AS_OF, ratio=2, replacement=False,
    )  # fmt: skip
    # Without replacement the high-risk participants outrun similar non-participants, so some
    # are off support; every comparison person is used once.
    assert result.matched_treated + result.off_support == result.treated
    assert result.comparison >= result.matched_treated


def test_refuses_below_the_minimum():
    small = synthetic_cohort(59, 2000, seed=1)
    with pytest.raises(InsufficientDataError) as caught:
        compare_matched(small.people, small.offences, treated="treated", covariates=["age"],
                        as_of=AS_OF)  # fmt: skip
    assert caught.value.code == "insufficient-data"
    assert "Only 59 treated people" in caught.value.message


def test_refuses_when_too_many_are_off_support(confounded):
    with pytest.raises(InsufficientDataError) as caught:
        compare_matched(
            confounded.people, confounded.offences, treated="treated", covariates=COVARIATES,
            as_of=AS_OF, caliper=1e-9, min_treated=1000,
        )  # fmt: skip
    assert "off support" in caught.value.message


def test_min_treated_is_configurable():
    small = synthetic_cohort(40, 2000, seed=1)
    result = compare_matched(small.people, small.offences, treated="treated",
                             covariates=["age", "ogrs"], as_of=AS_OF, min_treated=30)  # fmt: skip
    assert result.treated == 40


def test_seeded_tie_breaking_is_repeatable(confounded):
    people = confounded.people.with_columns(pl.col("ogrs").round(1))
    runs = [
        compare_matched(people, confounded.offences, treated="treated", covariates=["ogrs", "sex"],
                        as_of=AS_OF, seed=7).as_dict()
        for _ in range(2)
    ]  # fmt: skip
    assert runs[0] == runs[1]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"treated": "treatd"}, "did you mean 'treated'"),
        ({"covariates": ["treated"]}, "cannot also be a covariate"),
        ({"caliper": 0}, "caliper"),
        ({"ratio": 0}, "ratio"),
    ],
)
def test_bad_settings(confounded, kwargs, message):
    arguments = {"treated": "treated", "covariates": ["age"], "as_of": AS_OF, **kwargs}
    with pytest.raises(FullvalueError) as caught:
        compare_matched(confounded.people, confounded.offences, **arguments)
    assert message in str(caught.value)


def test_covariate_without_variation_is_refused(confounded):
    people = confounded.people.with_columns(pl.lit("UK").alias("country"))
    with pytest.raises(FullvalueError) as caught:
        compare_matched(people, confounded.offences, treated="treated",
                        covariates=["age", "country"], as_of=AS_OF)  # fmt: skip
    assert caught.value.problems[0].column == "country"
