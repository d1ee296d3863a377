"""``fullvalue returns`` end to end through ``fullvalue.cli.main``."""

import csv
import io
import json

import pytest
from openpyxl import load_workbook

from fullvalue.cli import main

HEADER_P = "participant,start_date,end_date,sex,ethnicity,age_band,area\n"
HEADER_R = "participant,date,code,value\n"


def run(capsys, *argv):
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def examples_args(examples, *extra):
    return [
        "returns",
        examples / "pcc.toml",
        examples / "trust.toml",
        examples / "lottery.toml",
        "--participants",
        examples / "participants.csv",
        "--records",
        examples / "records.csv",
        "--from",
        "2024-04-01",
        "--to",
        "2026-03-31",
        *extra,
    ]


def test_json_has_the_issue_shape(examples, capsys):
    status, out, err = run(capsys, *examples_args(examples, "--format", "json"))
    assert status == 0, err
    data = json.loads(out)
    assert list(data) == ["returns"]
    periods = [(r["framework"], r["period_start"], r["period_end"]) for r in data["returns"]]
    # Financial-year quarters over two years, calendar half-years wholly inside, and the one
    # October-September year inside April 2024 - March 2026.
    assert next(p for p in periods if p[0] == "pcc-reducing-reoffending")[1:] == (
        "2024-04-01",
        "2024-06-30",
    )
    assert sum(p[0] == "pcc-reducing-reoffending" for p in periods) == 8
    assert [p[1:] for p in periods if p[0] == "trust-pathways-to-work"] == [
        ("2024-07-01", "2024-12-31"),
        ("2025-01-01", "2025-06-30"),
        ("2025-07-01", "2025-12-31"),
    ]
    assert [p[1:] for p in periods if p[0] == "community-fund"] == [("2024-10-01", "2025-09-30")]
    for result in data["returns"]:
        for indicator in result["indicators"]:
            assert {"id", "value"} <= set(indicator)
            assert indicator["value"] is None or isinstance(indicator["value"], int | float)


def test_csv_and_parquet_inputs_agree(examples, tmp_path, capsys):
    import polars as pl

    from fullvalue.engine.returns.io import read_participants, read_records

    people = read_participants(examples / "participants.csv").frame
    people.write_parquet(tmp_path / "p.parquet")
    recs = read_records(examples / "records.csv", people["participant"]).frame
    recs.drop("row").write_parquet(tmp_path / "r.parquet")
    _, from_csv, _ = run(capsys, *examples_args(examples, "--format", "csv"))
    argv = examples_args(examples, "--format", "csv")
    argv[argv.index("--participants") + 1] = tmp_path / "p.parquet"
    argv[argv.index("--records") + 1] = tmp_path / "r.parquet"
    status, from_parquet, err = run(capsys, *argv)
    assert status == 0, err
    assert from_csv == from_parquet
    rows = list(csv.DictReader(io.StringIO(from_csv)))
    assert {r["breakdown"] for r in rows} == {"", "sex", "ethnicity", "age_band", "area"}
    assert all(r["value"] == "" for r in rows if r["suppressed"] == "True")
    assert isinstance(pl.read_csv(io.StringIO(from_csv)), pl.DataFrame)


def test_xlsx_holds_the_csv_rows(examples, capsysbinary):
    status = main([str(a) for a in examples_args(examples, "--format", "xlsx")])
    out, _ = capsysbinary.readouterr()
    assert status == 0
    sheet = load_workbook(io.BytesIO(out), read_only=True)["returns"]
    rows = list(sheet.values)
    assert rows[0][:4] == ("framework", "funder", "period_start", "period_end")
    assert rows[1][0] == "pcc-reducing-reoffending"
    assert len(rows) > 100


def test_table_names_framework_and_period(examples, capsys):
    status, out, _ = run(capsys, *examples_args(examples))
    assert status == 0
    assert "community-fund (Community Lottery Fund), 2024-10-01 to 2025-09-30" in out
    assert "debt_reduced_gbp" in out


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.fixture
def files(tmp_path):
    people = write(
        tmp_path,
        "people.csv",
        HEADER_P + "P1,2025-01-01,,F,White,25-34,North\nP2,2025-02-01,,M,White,25-34,North\n",
    )
    return tmp_path, people


def bad_run(capsys, tmp_path, people, framework_text, records_text):
    framework = write(tmp_path, "fw.toml", framework_text)
    recs = write(tmp_path, "records.csv", HEADER_R + records_text)
    status, out, err = run(
        capsys, "returns", framework, "--participants", people, "--records", recs,
        "--from", "2025-01-01", "--to", "2025-12-31", "--format", "json",
    )  # fmt: skip
    assert status == 2
    assert out == ""
    assert "Traceback" not in err
    return err


FRAMEWORK = """id = "f"
funder = "F"
period = "quarter"
[[indicators]]
id = "i"
label = "I"
measure = "{measure}"
codes = [{codes}]
"""


def fw(measure="records", codes='"ete.job_start"'):
    return FRAMEWORK.format(measure=measure, codes=codes)


@pytest.mark.parametrize(
    ("framework", "records_text", "expected"),
    [
        (
            fw(measure="median"),
            "P1,2025-02-01,ete.job_start,\n",
            "fw.toml: indicators[0].measure: unknown measure 'median'",
        ),
        (
            fw(measure="mean_change", codes='"star.work", "star.home"'),
            "P1,2025-02-01,star.work,3\n",
            "fw.toml: indicators[0].codes: a mean_change indicator takes one code only, not 2",
        ),
        (
            fw(),
            "P1,2025-02-01,ete.job_start,\nP9,2025-02-01,ete.job_start,\n",
            "records.csv row 3, column participant: participant 'P9' is not in the participants",
        ),
        (
            fw(),
            "P1,2025-02-01,ete.job_start,\nP2,2025-02-30,ete.job_start,\n",
            "records.csv row 3, column date: '2025-02-30' is not a date",
        ),
        (
            fw(measure="sum", codes='"ete.volunteering"'),
            "P1,2025-02-01,ete.volunteering,three\n",
            "records.csv row 2, column value: 'three' is not a number",
        ),
        (
            fw(measure="sum", codes='"ete.volunteering"'),
            "P1,2025-02-01,ete.job_start,\nP1,2025-02-01,ete.volunteering,\n",
            "records.csv row 3, column value: value is blank, but a number is needed",
        ),
        (
            fw(measure="mean_change", codes='"star.work"'),
            "P1,2025-02-01,star.work,11\n",
            "records.csv row 2, column value: '11' is not a scale reading (1 to 10)",
        ),
        (
            fw(),
            "P1,2025-02-01,ete.jobstart,\n",
            "records.csv row 2, column code: 'ete.jobstart' is not in the shared vocabulary "
            "(did you mean 'ete.job_start'?)",
        ),
    ],
)
def test_bad_input_exits_2_naming_file_row_and_field(
    files, capsys, framework, records_text, expected
):
    tmp_path, people = files
    err = bad_run(capsys, tmp_path, people, framework, records_text)
    assert expected in err


@pytest.mark.parametrize(
    ("people_text", "expected"),
    [
        (
            "P1,2025-01-01,,F,W,25-34,N\nP1,2025-01-02,,F,W,25-34,N\n",
            "people.csv rows 2, 3, column participant: participant 'P1' appears more than once",
        ),
        ("P1,2025-13-01,,F,W,25-34,N\n", "people.csv row 2, column start_date: '2025-13-01'"),
        ("P1,,,F,W,25-34,N\n", "people.csv row 2, column start_date: start_date is missing"),
        (
            "P1,2025-03-01,2025-02-01,F,W,25-34,N\n",
            "people.csv row 2, column end_date: the end date is before the start date",
        ),
    ],
)
def test_bad_participants_exit_2(tmp_path, capsys, people_text, expected):
    people = write(tmp_path, "people.csv", HEADER_P + people_text)
    err = bad_run(capsys, tmp_path, people, fw(), "P1,2025-02-01,ete.job_start,\n")
    assert expected in err


def test_a_missing_column_is_named(files, capsys):
    tmp_path, _ = files
    people = write(
        tmp_path, "people.csv", "participant,start,end_date,sex,ethnicity,age_band,area\n"
    )
    err = bad_run(capsys, tmp_path, people, fw(), "P1,2025-02-01,ete.job_start,\n")
    assert "people.csv, column start_date: column is missing" in err


def test_two_frameworks_with_one_id_are_refused(files, capsys):
    tmp_path, people = files
    one = write(tmp_path, "one.toml", fw())
    two = write(tmp_path, "two.toml", fw())
    recs = write(tmp_path, "r.csv", HEADER_R + "P1,2025-02-01,ete.job_start,\n")
    status, _, err = run(
        capsys, "returns", one, two, "--participants", people, "--records", recs,
        "--from", "2025-01-01", "--to", "2025-12-31",
    )  # fmt: skip
    assert status == 2
    assert "two.toml: id: framework id 'f' is used twice" in err
