import json
import os
import subprocess
import sys

import pytest

from fullvalue.engine.measure.cli import main
from fullvalue.engine.measure.synthetic import synthetic_cohort

AS_OF = "2021-12-31"


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    cohort = synthetic_cohort(300, 3000, seed=11)
    cohort.people.write_csv(folder / "people.csv")
    cohort.offences.write_csv(folder / "offences.csv")
    cohort.people.write_parquet(folder / "people.parquet")
    cohort.offences.write_parquet(folder / "offences.parquet")
    return folder


def run(capsys, *argv):
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_reoffending_json_fields(files, capsys):
    status, out, _ = run(
        capsys, "reoffending", files / "people.csv", files / "offences.csv", "--as-of", AS_OF,
        "--format", "json",
    )  # fmt: skip
    assert status == 0
    data = json.loads(out)
    fields = [
        "cohort", "people", "reoffenders", "binary_rate", "reoffences", "frequency_per_offender",
        "frequency_per_reoffender", "median_days_to_first", "incomplete_follow_up",
    ]  # fmt: skip
    assert list(data["total"]) == fields
    assert [c["cohort"] for c in data["cohorts"]] == ["2019Q1", "2019Q2", "2019Q3", "2019Q4"]
    assert data["total"]["people"] == 3300
    assert data["excluded_offences"]["breach"] == 3300
    assert data["excluded_offences"]["not_in_cohort"] == 33


def test_reoffending_csv_and_parquet_agree(files, capsys):
    outputs = []
    for suffix in ("csv", "parquet"):
        status, out, _ = run(
            capsys, "reoffending", files / f"people.{suffix}", files / f"offences.{suffix}",
            "--as-of", AS_OF, "--format", "csv", "--by", "region",
        )  # fmt: skip
        assert status == 0
        outputs.append(out)
    assert outputs[0] == outputs[1]
    assert outputs[0].splitlines()[0].startswith("cohort,people,reoffenders,binary_rate")
    assert outputs[0].splitlines()[-1].startswith("total,3300,")


def test_reoffending_table_reports_exclusions_and_incomplete_follow_up(files, capsys):
    status, out, _ = run(capsys, "reoffending", files / "people.csv", files / "offences.csv")
    assert status == 0
    assert "incomplete follow up:" in out  # default as-of leaves late-2019 releases incomplete
    assert "breach:" in out


def test_compare_table_and_balance(files, capsys):
    status, out, _ = run(
        capsys, "compare", files / "people.csv", files / "offences.csv", "--treated", "treated",
        "--covariates", "age,sex,ogrs,prior,region", "--as-of", AS_OF,
    )  # fmt: skip
    assert status == 0
    assert "SMD before" in out
    assert "percentage points" in out


def test_baseline_json(files, capsys):
    status, out, _ = run(
        capsys, "baseline", files / "people.parquet", files / "offences.parquet", "--baseline",
        "treated", "--covariates", "age,ogrs", "--as-of", AS_OF, "--format", "json",
        "--alternative", "less",
    )  # fmt: skip
    assert status == 0
    assert json.loads(out)["settings"]["alternative"] == "less"


def test_refusal_below_sixty_exits_2(files, capsys):
    status, out, err = run(
        capsys, "compare", files / "people.csv", files / "offences.csv", "--treated", "treated",
        "--covariates", "age", "--as-of", AS_OF, "--min-treated", "301",
    )  # fmt: skip
    assert (status, out) == (2, "")
    assert "Only 300 treated people" in err


@pytest.mark.parametrize(
    ("people", "offences", "expected"),
    [
        ("person_id,index_dat\n1,2019-01-01\n", None, "did you mean 'index_dat'"),
        ("person_id,index_date\n1,2019-02-30\n", None, "people.csv row 2, column index_date"),
        ("", None, "people.csv: the file is empty"),
        (None, "person_id,offence_date,disposal_date\n1,2019-03-02,2019-03-01\n",
         "offences.csv row 2, column disposal_date"),
    ],
)  # fmt: skip
def test_bad_input_exits_2_with_a_located_message(tmp_path, capsys, people, offences, expected):
    (tmp_path / "people.csv").write_text(
        people if people is not None else "person_id,index_date\n1,2019-01-01\n"
    )
    (tmp_path / "offences.csv").write_text(
        offences
        if offences is not None
        else "person_id,offence_date,disposal_date\n1,2019-02-01,2019-03-01\n"
    )
    status, _, err = run(capsys, "reoffending", tmp_path / "people.csv", tmp_path / "offences.csv")
    assert status == 2
    assert expected in err
    assert "Traceback" not in err


def test_bad_as_of_date_is_a_usage_error(files, capsys):
    with pytest.raises(SystemExit) as caught:
        main(
            [
                "reoffending",
                str(files / "people.csv"),
                str(files / "offences.csv"),
                "--as-of",
                "31/12/2021",
            ]
        )
    assert caught.value.code == 2
    assert "is not a date" in capsys.readouterr().err


def test_help_explains_the_definition(capsys):
    with pytest.raises(SystemExit):
        main(["reoffending", "--help"])
    out = capsys.readouterr().out
    assert "Breaches of" in out and "waiting period" in out and "28/29 Feb" in out


def test_same_bytes_under_different_hash_seeds(files):
    """Categorical covariates and set-like operations must not follow Python's hash seed."""
    argv = [
        sys.executable, "-m", "fullvalue.engine.measure.cli", "compare",
        str(files / "people.csv"), str(files / "offences.csv"), "--treated", "treated",
        "--covariates", "region,sex,age,ogrs", "--as-of", AS_OF, "--format", "json", "--ratio", "2",
    ]  # fmt: skip
    outputs = []
    for seed in ("0", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(argv, capture_output=True, env=env, check=True, timeout=120)
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]
    assert json.loads(outputs[0])["matched_treated"] > 250
