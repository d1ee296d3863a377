import datetime as dt

import polars as pl
import pytest

from fullvalue.engine.measure.io import read_offences, read_people, rows_text
from fullvalue.errors import FullvalueError


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def error_of(call, *args, **kwargs):
    with pytest.raises(FullvalueError) as caught:
        call(*args, **kwargs)
    return caught.value


def test_reads_csv_with_iso_and_uk_dates(tmp_path):
    path = write(
        tmp_path, "people.csv", "person_id,index_date,age\n1,2019-01-31,30\n2,28/02/2019,41\n"
    )
    frame = read_people(path, extra=["age"]).frame
    assert frame["index_date"].to_list() == [dt.date(2019, 1, 31), dt.date(2019, 2, 28)]
    assert frame["person_id"].to_list() == ["1", "2"]
    assert frame["age"].to_list() == [30, 41]


def test_reads_parquet(tmp_path):
    path = tmp_path / "offences.parquet"
    pl.DataFrame(
        {
            "person_id": [1],
            "offence_date": [dt.datetime(2019, 2, 1, 10, 0)],
            "disposal_date": [dt.date(2019, 3, 1)],
        }
    ).write_parquet(path)
    frame = read_offences(path).frame
    assert frame.row(0) == (1, dt.date(2019, 2, 1), dt.date(2019, 3, 1), False)


def test_misspelt_column_suggests_the_closest_name(tmp_path):
    path = write(tmp_path, "people.csv", "person_id,index_dte\n1,2019-01-01\n")
    error = error_of(read_people, path)
    (problem,) = error.problems
    assert problem.column == "index_date"
    assert problem.source == "people.csv"
    assert "did you mean 'index_dte'" in problem.reason


def test_missing_column_without_a_near_name_lists_the_columns(tmp_path):
    path = write(
        tmp_path, "offences.csv", "person_id,when,disposal_date\n1,2019-01-01,2019-02-01\n"
    )
    error = error_of(read_offences, path)
    assert "offence_date" in str(error)
    assert "columns are: person_id, when, disposal_date" in str(error)


def test_unparseable_dates_name_file_rows_and_column(tmp_path):
    """Header is row 1, so the bad values on the 2nd and 4th records are rows 3 and 5."""
    text = "person_id,index_date\n1,2019-01-01\n2,2019-13-01\n3,2019-01-02\n4,yesterday\n"
    error = error_of(read_people, write(tmp_path, "people.csv", text))
    (problem,) = error.problems
    assert problem.location == "people.csv rows 3, 5, column index_date"
    assert problem.row == 3
    assert "'2019-13-01'" in problem.reason


def test_duplicate_person_id(tmp_path):
    text = "person_id,index_date\n7,2019-01-01\n8,2019-01-01\n7,2019-02-01\n"
    error = error_of(read_people, write(tmp_path, "people.csv", text))
    (problem,) = error.problems
    assert problem.location == "people.csv rows 2, 4, column person_id"
    assert "'7' appears more than once" in problem.reason


def test_disposal_before_offence(tmp_path):
    text = (
        "person_id,offence_date,disposal_date\n1,2019-05-01,2019-04-30\n1,2019-05-01,2019-05-01\n"
    )
    error = error_of(read_offences, write(tmp_path, "offences.csv", text))
    (problem,) = error.problems
    assert (problem.row, problem.column) == (2, "disposal_date")
    assert "before the offence date" in problem.reason


def test_every_problem_is_reported_together(tmp_path):
    text = (
        "person_id,offence_date,disposal_date,breach\n"
        ",2019-05-01,2019-06-01,no\n"
        "2,,2019-06-01,maybe\n"
        "3,2019-05-01,06/2019,yes\n"
    )
    error = error_of(read_offences, write(tmp_path, "offences.csv", text))
    reasons = {(p.column, p.row) for p in error.problems}
    assert reasons == {("person_id", 2), ("offence_date", 3), ("disposal_date", 4), ("breach", 3)}


def test_breach_flags(tmp_path):
    text = (
        "person_id,offence_date,disposal_date,breach\n"
        "1,2019-05-01,2019-06-01,Yes\n2,2019-05-01,2019-06-01,\n3,2019-05-01,2019-06-01,0\n"
    )
    frame = read_offences(write(tmp_path, "offences.csv", text)).frame
    assert frame["breach"].to_list() == [True, False, False]


@pytest.mark.parametrize(
    ("text", "code"),
    [("", "empty-file"), ("person_id,index_date\n", "empty-file")],
)
def test_empty_files(tmp_path, text, code):
    error = error_of(read_people, write(tmp_path, "people.csv", text))
    assert error.code == code
    assert "people.csv" in str(error)


def test_missing_and_unreadable_files(tmp_path):
    assert error_of(read_people, tmp_path / "nope.csv").code == "unreadable-file"
    bad = tmp_path / "people.parquet"
    bad.write_bytes(b"this is not parquet")
    error = error_of(read_people, bad)
    assert error.code == "unreadable-file"
    assert "people.parquet" in str(error)


def test_rows_text_caps_the_list():
    assert rows_text([2, 3]) == "rows 2, 3"
    assert rows_text(list(range(1, 15))).endswith("and 4 more")
