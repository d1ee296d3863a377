"""The shared import pipeline: header and row problems, keys, choice, idempotence, progress."""

import datetime as dt
import io

import pytest
from openpyxl import Workbook

from fullvalue.errors import FullvalueError, Problem
from fullvalue.web.kernel import fields
from fullvalue.web.kernel import imports as pipeline
from fullvalue.web.kernel.tables import Limits, UploadOverLimit

SCHEMA = pipeline.RowSchema(
    columns=(
        pipeline.Column("ref", "Reference", required=True, blank=False),
        pipeline.Column("sex", "Sex", allowed=("female", "male", "not stated")),
        pipeline.Column("on", "Date", required=True, blank=False, read=fields.date),
        pipeline.Column("income", "Annual income", read=fields.money),
    ),
    tolerated=frozenset({"notes"}),
    suggest=True,
    unique_header=True,
    keys=lambda row: [row["ref"].upper()],
    key_column="ref",
)


def table(text: str, name: str = "people.csv") -> pipeline.Table:
    return pipeline.read_table(name, text.encode())


def test_valid_rows_are_read_by_their_columns_readers():
    preview = pipeline.check(SCHEMA, table('ref,sex,on,income\nA1,Female,2026-03-31,"£1,200.50"\n'))
    assert preview.problems == []
    (row,) = preview.valid
    assert row == {
        "row": 2,
        "ref": "A1",
        "sex": "Female",
        "on": dt.date(2026, 3, 31),
        "income": fields.money("1200.50", "income"),
    }


def test_every_row_problem_names_file_row_column_and_reason():
    preview = pipeline.check(
        SCHEMA, table("ref,sex,on,income\nA1,female,2026-02-30,lots\n\n,dragon,2026-01-01,\n")
    )
    found = {(p.row, p.column) for p in preview.problems}
    assert found == {(2, "on"), (2, "income"), (4, "ref"), (4, "sex")}
    sex = next(p for p in preview.problems if p.column == "sex")
    assert sex.reason == "sex must be one of female, male, not stated"  # allowed values listed
    assert sex.location == "people.csv row 4, column sex" and sex.source == "people.csv"
    assert preview.valid == [] and preview.bad_rows == 2
    assert preview.total == 3  # the blank row counts as the spreadsheet numbers it


def test_a_key_repeated_in_the_file_names_its_first_row():
    preview = pipeline.check(SCHEMA, table("ref,on\nA1,2026-01-01\nb2,2026-01-02\na1,2026-01-03\n"))
    (problem,) = preview.problems
    assert (problem.row, problem.column, problem.reason) == (4, "ref", "A1 also appears in row 2")
    assert [r["row"] for r in preview.valid] == [2, 3]


def test_header_problems_stop_the_check_and_suggest_the_nearest_column():
    preview = pipeline.check(SCHEMA, table("ref,sexx,notes,ref\nA1,x,y,z\n"))
    reasons = [p.reason for p in preview.problems]
    assert "required column 'on' is missing" in reasons
    assert "column 'sexx' is not one we know (did you mean 'sex'?)" in reasons
    assert "a column name appears twice" in reasons
    assert all(p.row == 1 for p in preview.problems) and preview.header_refused
    assert preview.valid == []


def test_a_short_row_reads_missing_cells_as_blank_and_extra_cells_are_cut():
    preview = pipeline.check(SCHEMA, table("ref,on,sex\nA1,2026-01-01\nB2,2026-01-01,male,extra\n"))
    assert preview.problems == []
    assert [r["sex"] for r in preview.valid] == [None, "male"]
    assert preview.valid[0]["income"] is None  # a column the file lacks is blank


def test_xlsx_is_read_as_csv_is():
    book = Workbook()
    sheet = book.active
    sheet.append(["Ref", "On"])
    sheet.append(["A1", dt.datetime(2026, 3, 31)])
    out = io.BytesIO()
    book.save(out)
    preview = pipeline.check(SCHEMA, pipeline.read_table("people.xlsx", out.getvalue()))
    assert [r["on"] for r in preview.valid] == [dt.date(2026, 3, 31)]


def test_the_capabilitys_limits_apply():
    with pytest.raises(UploadOverLimit):
        pipeline.read_table("people.csv", b"ref,on\n" + b"A,2026-01-01\n" * 3, Limits(max_rows=2))


def test_a_capabilitys_own_row_reader_is_given_column_positions():
    def reader(at, header):
        assert header == ["on", "ref"]

        def read(cells, row):
            ref = cells[at["ref"]].strip()
            if ref.startswith("X"):
                return {"row": row, "why": "x"}, [Problem("no X references", column="ref")]
            return {"row": row, "ref": ref, "sex": cells[at["sex"]]}, []

        return read

    schema = pipeline.RowSchema(columns=SCHEMA.columns, row_reader=reader)
    preview = pipeline.check(schema, table("on,ref\n2026-01-01,A1\n2026-01-01,X9\n"))
    assert preview.valid == [{"row": 2, "ref": "A1", "sex": ""}]
    assert preview.rejected == [{"row": 3, "why": "x"}]  # what the reader said about the bad row
    assert preview.problems[0].location == "people.csv row 3, column ref"


def test_rows_stored_with_other_data_are_refused_naming_each_difference():
    preview = pipeline.check(
        SCHEMA, table("ref,sex,on\nA1,female,2026-01-01\nB2,male,2026-01-02\nC3,,2026-01-03\n")
    )
    stored = {
        "A1": {"sex": "female", "on": dt.date(2026, 1, 1)},  # the same: stays valid
        "B2": {"sex": "", "on": dt.date(2026, 1, 9)},  # different: refused
    }
    asked = []

    def lookup(keys):
        asked.append(keys)
        return {k: stored[k] for k in keys if k in stored}

    pipeline.refuse_changed(
        preview,
        "people.csv",
        key=lambda r: r["ref"],
        stored=lookup,
        compared=("sex", "on"),
        message=lambda row, said: f"{row['ref']} differs ({said})",
    )
    assert asked == [["A1", "B2", "C3"]]
    assert [r["ref"] for r in preview.valid] == ["A1", "C3"]
    (problem,) = preview.problems
    assert problem.reason == (
        "B2 differs (sex: male in the file, empty on Fullvalue; "
        "on: 2026-01-02 in the file, 2026-01-09 on Fullvalue)"
    )
    assert (problem.row, problem.column) == (3, "sex")


def test_bad_rows_are_written_only_when_valid_rows_only_is_chosen():
    problems = [Problem("bad", row=2, column="ref")]
    with pytest.raises(FullvalueError) as caught:
        pipeline.require_choice(1, False, "people.csv has rows with errors", problems)
    assert caught.value.problems == problems
    pipeline.require_choice(1, True, "unused")
    pipeline.require_choice(0, False, "unused")


def test_progress_is_passed_on_at_most_once_per_interval(monkeypatch):
    clock = iter([0.0, 0.5, 2.5, 2.6, 2.7, 5.0, 5.0, 6.0])

    class Clock:
        @staticmethod
        def monotonic():
            return next(clock)

    monkeypatch.setattr(pipeline, "time", Clock)
    told = []
    report = pipeline.throttled(2.0, told.append)  # made at 0.0
    for done in (100, 200, 300, 400):  # at 0.5 (too soon), 2.5 (told, reset 2.6), 2.7, 5.0
        report(done)
    assert told == [200, 400]
    pipeline.throttled(2.0, None)(1)  # no progress wanted: nothing to tell


def test_content_hash_recognises_a_reupload():
    assert pipeline.content_hash(b"a") == pipeline.content_hash(b"a") != pipeline.content_hash(b"b")
