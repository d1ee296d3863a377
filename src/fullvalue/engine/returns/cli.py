"""``fullvalue returns``: every funder's return, for every period, from one set of records.

Thin entry point: read and check the frameworks and the two tables, call
:func:`~fullvalue.engine.returns.compute.compute_returns`, print the returns as a table
(default), JSON, CSV or an Excel workbook (written to standard output). Errors are
:class:`~fullvalue.errors.FullvalueError` and exit with status 2 without a traceback.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from fullvalue.errors import FullvalueError, Problem

if TYPE_CHECKING:
    from fullvalue.engine.returns.compute import Number, Return

FORMATS = ("table", "json", "csv", "xlsx")
CSV_FIELDS = (
    "framework", "funder", "period_start", "period_end", "indicator", "label", "measure",
    "breakdown", "group", "value", "suppressed",
)  # fmt: skip

DESCRIPTION = """\
Produce every funder's return from one participants table and one records table.

Each FRAMEWORK.toml names a funder, its reporting period (month, quarter, half-year or year)
aligned to its year_start (MM-DD, default 01-01) and its indicators (see docs/report-once.md and
docs/framework.schema.json). Every period that starts on or after --from and ends on or before
--to is returned. For the records with one of an indicator's codes dated in the period:

  participants  distinct participants with such a record
  records       number of such records
  sum           sum of their values
  share         participants / participants active in the period (start on or before its last
                day, no end date or an end on or after its first day); null when none are active
  mean_change   one code only: over participants whose latest reading up to the period's end
                falls in the period and who have at least two readings up to then, the mean of
                latest - first reading ever (readings on one date keep their file order)

Breakdowns (sex, ethnicity, age_band, area) follow the same definitions within each group; a
cell describing 1 to 4 participants is suppressed.

PARTICIPANTS (CSV or Parquet): participant,start_date,end_date,sex,ethnicity,age_band,area
(end_date may be blank). RECORDS: participant,date,code,value (value may be blank unless the
code is summed or followed as a change). Dates are YYYY-MM-DD or DD/MM/YYYY.
"""


def _date(text: str) -> Any:
    import datetime as dt

    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (use YYYY-MM-DD)") from exc


def _rows(returns: Sequence[Return]) -> Iterator[dict[str, Any]]:
    for result in returns:
        head = {
            "framework": result.framework.id,
            "funder": result.framework.funder,
            "period_start": result.period_start.isoformat(),
            "period_end": result.period_end.isoformat(),
        }
        for figure in result.figures:
            indicator = figure.indicator
            about = {"indicator": indicator.id, "label": indicator.label}
            about["measure"] = indicator.measure
            yield {**head, **about, "breakdown": "", "group": "", "value": figure.value,
                   "suppressed": False}  # fmt: skip
            for breakdown, cells in figure.breakdowns.items():
                for cell in cells:
                    yield {**head, **about, "breakdown": breakdown, "group": cell.group,
                           "value": cell.value, "suppressed": cell.suppressed}  # fmt: skip


def returns_json(returns: Sequence[Return]) -> str:
    """Render ``{"returns": [...]}``: framework, period, and each indicator's id and value.

    Each indicator also carries its ``label``, ``measure`` and, when the framework asks for
    them, ``breakdowns`` (``{"sex": [{"group": "F", "value": 12, "suppressed": false}]}``).
    """
    data = {
        "returns": [
            {
                "framework": r.framework.id,
                "funder": r.framework.funder,
                "period_start": r.period_start.isoformat(),
                "period_end": r.period_end.isoformat(),
                "indicators": [
                    {
                        "id": f.indicator.id,
                        "value": f.value,
                        "label": f.indicator.label,
                        "measure": f.indicator.measure,
                        **(
                            {
                                "breakdowns": {
                                    name: [
                                        {
                                            "group": c.group,
                                            "value": c.value,
                                            "suppressed": c.suppressed,
                                        }
                                        for c in cells
                                    ]
                                    for name, cells in f.breakdowns.items()
                                }
                            }
                            if f.breakdowns
                            else {}
                        ),
                    }
                    for f in r.figures
                ],
            }
            for r in returns
        ]
    }
    return json.dumps(data, indent=2, ensure_ascii=False)


def returns_csv(returns: Sequence[Return]) -> str:
    """Render one CSV row per figure and breakdown cell (``breakdown`` blank for the total)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(_rows(returns))
    return buffer.getvalue()


def returns_xlsx(returns: Sequence[Return]) -> bytes:
    """Render the CSV layout as an Excel workbook with one sheet, ``returns``."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("returns")
    sheet.append(list(CSV_FIELDS))
    for row in _rows(returns):
        sheet.append([row[name] for name in CSV_FIELDS])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _shown(value: Number) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def returns_table(returns: Sequence[Return]) -> str:
    """Render each return as a heading and a table of its indicators' figures."""
    if not returns:
        return "No reporting period lies wholly between --from and --to."
    blocks = []
    for r in returns:
        rows = [(f.indicator.id, f.indicator.label, _shown(f.value)) for f in r.figures]
        widths = [max(len(row[i]) for row in [("indicator", "label", "value"), *rows])
                  for i in range(3)]  # fmt: skip
        lines = [
            f"{r.framework.id} ({r.framework.funder}), {r.period_start.isoformat()} to "
            f"{r.period_end.isoformat()}",
            "  ".join(
                ("indicator".ljust(widths[0]), "label".ljust(widths[1]), "value".rjust(widths[2]))
            ),
        ]
        lines += [f"{a.ljust(widths[0])}  {b.ljust(widths[1])}  {c.rjust(widths[2])}"
                  for a, b, c in rows]  # fmt: skip
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n\nBreakdowns are in the json, csv and xlsx formats."


def run_returns(args: argparse.Namespace) -> int:
    """Read the frameworks and tables, produce the returns and print them."""
    from fullvalue.engine.returns.compute import compute_returns
    from fullvalue.engine.returns.framework import load_framework
    from fullvalue.engine.returns.io import read_participants, read_records

    if args.start > args.end:
        raise FullvalueError("--from is after --to.")
    frameworks = []
    problems: list[Problem] = []
    for path in args.frameworks:
        try:
            frameworks.append(load_framework(path))
        except FullvalueError as exc:
            problems += exc.problems
    seen: set[str] = set()
    for framework, path in zip(frameworks, args.frameworks, strict=False):
        if framework.id in seen:
            problems.append(Problem(f"framework id {framework.id!r} is used twice", f"{path}: id"))
        seen.add(framework.id)
    if problems:
        raise FullvalueError.from_problems("The frameworks have errors.", problems)
    numeric = {
        code
        for framework in frameworks
        for indicator in framework.indicators
        if indicator.measure in ("sum", "mean_change")
        for code in indicator.codes
    }
    participants = read_participants(args.participants)
    records = read_records(
        args.records, participants.frame.get_column("participant"), numeric_codes=numeric
    )
    returns = compute_returns(frameworks, participants.frame, records.frame, args.start, args.end)
    if args.format == "xlsx":
        sys.stdout.flush()
        sys.stdout.buffer.write(returns_xlsx(returns))
        sys.stdout.buffer.flush()
        return 0
    render = {"table": returns_table, "json": returns_json, "csv": returns_csv}[args.format]
    text = render(returns)
    print(text, end="" if text.endswith("\n") else "\n")
    return 0


def register(subparsers: Any) -> None:
    """Add ``returns`` to the ``fullvalue`` command line."""
    parser = subparsers.add_parser(
        "returns",
        help="every funder's return for every period, from one set of outcome records",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("frameworks", nargs="+", metavar="FRAMEWORK.toml", help="frameworks")
    parser.add_argument("--participants", required=True, metavar="PARTICIPANTS", help="CSV/Parquet")
    parser.add_argument("--records", required=True, metavar="RECORDS", help="CSV or Parquet")
    parser.add_argument(
        "--from", dest="start", required=True, type=_date, metavar="YYYY-MM-DD",
        help="first day: periods starting on or after it",
    )  # fmt: skip
    parser.add_argument(
        "--to", dest="end", required=True, type=_date, metavar="YYYY-MM-DD",
        help="last day: periods ending on or before it",
    )  # fmt: skip
    parser.add_argument("--format", choices=FORMATS, default="table")
    parser.set_defaults(handler=run_returns)
