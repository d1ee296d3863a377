from decimal import Decimal

import pytest

from fullvalue.engine.payments.results import load_paid, load_results
from fullvalue.engine.payments.spec import load_spec
from fullvalue.errors import FullvalueError


@pytest.fixture
def work_programme(examples):
    return load_spec(examples / "work-programme" / "contract.toml")


@pytest.fixture
def peterborough(examples):
    return load_spec(examples / "peterborough" / "contract.toml")


def test_counts_are_summed_by_period_cohort_measure_and_group(work_programme):
    results = load_results(
        work_programme,
        [
            {"period": "2012-Q2", "measure": "starts", "count": "10"},
            {"period": "2012-Q2", "measure": "starts", "count": "5"},
            {"period": "2012-Q2", "measure": "job_outcomes", "group": "JSA 25+", "count": "2"},
        ],
    )
    assert results.counts[("2012-Q2", "", "starts", "")] == 15
    assert results.counts[("2012-Q2", "", "job_outcomes", "JSA 25+")] == 2


def test_results_for_unknown_cohorts_and_other_bad_rows_are_all_listed(peterborough, tmp_path):
    path = tmp_path / "results.csv"
    path.write_text(
        "period,cohort,measure,count,treated,comparison\n"
        "2014-15,3,reconviction_frequency,1000,1.42,1.55\n"
        "2030-31,1,reconviction_frequency,1000,1.42,1.55\n"
        "2014-15,1,jobs,1000,,\n"
        "2014-15,2,reconviction_frequency,ten,1.42,\n",
        encoding="utf-8",
    )
    with pytest.raises(FullvalueError) as caught:
        load_results(peterborough, path)
    found = {(p.row, p.column): p.reason for p in caught.value.problems}
    assert "'3' is not one of the contract's cohorts" in found[(2, "cohort")]
    assert "'2030-31' is not one of the contract's periods" in found[(3, "period")]
    assert "No component" in found[(4, "measure")]
    assert (5, "comparison") in found
    assert (5, "count") in found
    assert "4 problems" in caught.value.message or "5 problems" in caught.value.message


def test_bad_counts_and_groups(work_programme):
    with pytest.raises(FullvalueError) as caught:
        load_results(
            work_programme,
            [
                {"period": "2012-Q2", "measure": "starts", "count": "-3"},
                {
                    "period": "2012-Q2",
                    "measure": "job_outcomes",
                    "group": "Lone parents",
                    "count": "1",
                },
                {"period": "2012-Q2", "measure": "starts", "count": "2.5"},
            ],
        )
    found = {(p.row, p.column) for p in caught.value.problems}
    assert found == {(2, "count"), (3, "group"), (4, "count")}


def test_sustainment_cannot_outnumber_26_per_job(work_programme):
    """2 job outcomes allow at most 2 × 26 = 52 sustainment payments; 53 is refused."""
    with pytest.raises(FullvalueError) as caught:
        load_results(
            work_programme,
            [
                {"period": "2012-Q2", "measure": "job_outcomes", "group": "JSA 25+", "count": "2"},
                {
                    "period": "2012-Q2",
                    "measure": "sustainment_payments",
                    "group": "JSA 25+",
                    "count": "53",
                },
            ],
        )
    assert "at most 52" in str(caught.value)


def test_duplicate_reoffending_results_and_missing_p_values(examples):
    spec = load_spec(examples / "transforming-rehabilitation" / "contract.toml")
    row = {
        "period": "2016-Q3",
        "cohort": "2015-Q2",
        "measure": "reoffending_binary",
        "count": "100",
        "treated": "0.4",
        "comparison": "0.5",
        "p_value": "0.01",
    }
    with pytest.raises(FullvalueError) as caught:
        load_results(spec, [row, row, {**row, "cohort": "2015-Q3", "p_value": ""}])
    reasons = [p.reason for p in caught.value.problems]
    assert any("already given on row 2" in r for r in reasons)
    assert any("a p-value is needed" in r for r in reasons)


def test_binary_rates_are_proportions(examples):
    spec = load_spec(examples / "womens-centre" / "contract.toml")
    with pytest.raises(FullvalueError) as caught:
        load_results(
            spec,
            [
                {
                    "period": "2025-26",
                    "cohort": "2025",
                    "measure": "reoffending_binary",
                    "count": "150",
                    "treated": "31",
                    "comparison": "43",
                    "p_value": "0.01",
                }
            ],
        )
    assert {p.column for p in caught.value.problems} == {"treated", "comparison"}


def test_paid_ledger_is_summed_and_checked(peterborough):
    ledger = load_paid(
        peterborough,
        [
            {
                "period": "2017-18",
                "cohort": "all",
                "component": "reconviction events",
                "amount": "1,000",
            },
            {
                "period": "2017-18",
                "cohort": "all",
                "component": "reconviction events",
                "amount": "5",
            },
        ],
    )
    assert ledger == {("2017-18", "all", "reconviction events"): Decimal("1005")}
    with pytest.raises(FullvalueError) as caught:
        load_paid(peterborough, [{"period": "x", "cohort": "", "component": "y", "amount": "z"}])
    assert {p.column for p in caught.value.problems} == {"period", "component", "amount"}


def test_missing_columns_are_named(peterborough, tmp_path):
    path = tmp_path / "results.csv"
    path.write_text("when,cohort,count\n2014-15,1,10\n", encoding="utf-8")
    with pytest.raises(FullvalueError) as caught:
        load_results(peterborough, path)
    assert [p.reason for p in caught.value.problems] == [
        "The column 'period' is missing.",
        "The column 'measure' is missing.",
    ]
