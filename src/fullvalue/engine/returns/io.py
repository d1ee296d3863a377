"""Read and check the participants and records tables (CSV or Parquet) with Polars.

Participants: ``participant, start_date, end_date, sex, ethnicity, age_band, area`` (the end
date may be blank). Records: ``participant, date, code, value`` (the value may be blank unless a
number is needed). Every problem is collected and raised together as one
:class:`~fullvalue.errors.FullvalueError` naming the file, the rows, the column and the reason;
rows are numbered as a person sees them (the first record of a CSV file is row 2, under the
header; of a Parquet file, row 1). Participant ids are compared as text.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection
from pathlib import Path

import polars as pl

from fullvalue.engine.measure.io import Table, read_table
from fullvalue.engine.returns.vocabulary import READINGS, load_vocabulary
from fullvalue.errors import FullvalueError, Problem

PARTICIPANT_COLUMNS = (
    "participant", "start_date", "end_date", "sex", "ethnicity", "age_band", "area",
)  # fmt: skip
RECORD_COLUMNS = ("participant", "date", "code", "value")
MISSING_GROUP = "(missing)"
#: The position of each record in its file, which orders readings made on one date.
ROW = "row"


def _positions(mask: pl.Series) -> list[int]:
    return mask.arg_true().to_list() if mask.any() else []


def _text(table: Table, column: str) -> pl.Series:
    raw = table.frame.get_column(column)
    text = raw if raw.dtype == pl.String else raw.cast(pl.String)
    return text.str.strip_chars().replace("", None).alias(column)


def _required(table: Table, column: str, problems: list[Problem]) -> pl.Series:
    values = _text(table, column)
    missing = _positions(values.is_null())
    if missing:
        problems.append(table.problem(missing, column, f"{column} is missing"))
    return values


def _dates(table: Table, column: str, problems: list[Problem], required: bool) -> pl.Series:
    """Return a column as dates; blank cells are a problem only when ``required``.

    Text is ISO ``YYYY-MM-DD`` or UK ``DD/MM/YYYY``; an impossible date (30 February) is
    refused like unreadable text.
    """
    raw = table.frame.get_column(column)
    if raw.dtype == pl.Date:
        parsed = raw
    elif isinstance(raw.dtype, pl.Datetime):
        parsed = raw.dt.date()
    else:
        text = _text(table, column)
        parsed = text.str.to_date("%Y-%m-%d", strict=False).fill_null(
            text.str.to_date("%d/%m/%Y", strict=False)
        )
        raw = text
    if required:
        missing = _positions(raw.is_null())
        if missing:
            problems.append(table.problem(missing, column, f"{column} is missing"))
    bad = _positions(parsed.is_null() & raw.is_not_null())
    if bad:
        problems.append(
            table.problem(
                bad,
                column,
                f"{raw[bad[0]]!r} is not a date (impossible or unreadable; use YYYY-MM-DD or "
                "DD/MM/YYYY)",
            )
        )
    return parsed.alias(column)


def read_participants(path: str | Path) -> Table:
    r"""Read and check a participants table.

    Returns
    -------
    Table
        ``participant`` (text), ``start_date``, ``end_date`` (``pl.Date``, null when open) and
        the four breakdown columns as text (a blank cell becomes ``"(missing)"``).

    Raises
    ------
    FullvalueError
        Listing every missing or repeated participant, missing or unreadable start date,
        unreadable end date and end date before the start date, with rows.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "p.csv").write_text(
    ...     "participant,start_date,end_date,sex,ethnicity,age_band,area\n"
    ...     "P1,2025-04-03,,F,White,25-34,North\n")
    >>> read_participants(folder / "p.csv").frame.row(0)
    ('P1', datetime.date(2025, 4, 3), None, 'F', 'White', '25-34', 'North')

    """
    table = read_table(path, PARTICIPANT_COLUMNS, text_columns=PARTICIPANT_COLUMNS)
    problems: list[Problem] = []
    ids = _required(table, "participant", problems)
    repeated = _positions(ids.is_duplicated() & ids.is_not_null())
    if repeated:
        problems.append(
            table.problem(
                repeated, "participant", f"participant {ids[repeated[0]]!r} appears more than once"
            )
        )
    start = _dates(table, "start_date", problems, required=True)
    end = _dates(table, "end_date", problems, required=False)
    early = _positions((end < start).fill_null(False))
    if early:
        problems.append(table.problem(early, "end_date", "the end date is before the start date"))
    if problems:
        raise FullvalueError.from_problems(
            f"{table.source}: the participants table has errors.", problems
        )
    groups = [_text(table, c).fill_null(MISSING_GROUP) for c in PARTICIPANT_COLUMNS[3:]]
    frame = pl.DataFrame([ids, start, end, *groups])
    return Table(frame=frame, source=table.source, first_row=table.first_row)


def read_records(
    path: str | Path, participants: pl.Series, numeric_codes: Collection[str] = ()
) -> Table:
    r"""Read and check a records table against the participants and the vocabulary.

    Parameters
    ----------
    path : str or Path
        The records file.
    participants : pl.Series
        The participant ids of the participants table (text).
    numeric_codes : collection of str
        Codes whose records must carry a value (those a ``sum`` or ``mean_change`` counts).

    Returns
    -------
    Table
        ``participant``, ``date`` (``pl.Date``), ``code``, ``value`` (``pl.Float64``, null when
        blank) and ``row`` (the record's 0-based position in the file).

    Raises
    ------
    FullvalueError
        Listing, with rows: missing fields, participants not in the participants table,
        impossible dates, codes not in the vocabulary, values that are not numbers, blank
        values where a number is needed and scale readings that are not whole numbers 1-10.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> text = "participant,date,code,value\nP1,2025-05-01,star.work,4\n"
    >>> _ = (folder / "r.csv").write_text(text)
    >>> read_records(folder / "r.csv", pl.Series(["P1"])).frame.row(0)
    ('P1', datetime.date(2025, 5, 1), 'star.work', 4.0, 0)

    """
    table = read_table(path, RECORD_COLUMNS, text_columns=RECORD_COLUMNS)
    problems: list[Problem] = []
    ids = _required(table, "participant", problems)
    unknown = _positions(ids.is_not_null() & ~ids.is_in(participants.implode()))
    if unknown:
        problems.append(
            table.problem(
                unknown,
                "participant",
                f"participant {ids[unknown[0]]!r} is not in the participants table",
            )
        )
    date = _dates(table, "date", problems, required=True)
    codes = _required(table, "code", problems)
    vocabulary = load_vocabulary().codes
    strange = _positions(codes.is_not_null() & ~codes.is_in(list(vocabulary)))
    if strange:
        code = str(codes[strange[0]])
        close = difflib.get_close_matches(code, list(vocabulary), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        problems.append(
            table.problem(
                strange,
                "code",
                f"{code!r} is not in the shared vocabulary{hint}; map it to a vocabulary code",
            )
        )
    text = _text(table, "value")
    value = text.cast(pl.Float64, strict=False)
    not_number = _positions(text.is_not_null() & (value.is_null() | value.is_nan()))
    if not_number:
        problems.append(
            table.problem(not_number, "value", f"{text[not_number[0]]!r} is not a number")
        )
    needed = codes.is_in(list(numeric_codes)).fill_null(False)
    blank = _positions(needed & text.is_null())
    if blank:
        problems.append(
            table.problem(
                blank,
                "value",
                f"value is blank, but a number is needed: {codes[blank[0]]!r} is summed or "
                "followed as a change",
            )
        )
    scales = codes.is_in(load_vocabulary().scales()).fill_null(False)
    off_scale = _positions(
        (scales & value.is_not_null() & ~value.is_in([float(r) for r in READINGS])).fill_null(False)
    )
    if off_scale:
        problems.append(
            table.problem(
                off_scale, "value", f"{text[off_scale[0]]!r} is not a scale reading (1 to 10)"
            )
        )
    if problems:
        raise FullvalueError.from_problems(
            f"{table.source}: the records table has errors.", problems
        )
    frame = pl.DataFrame([ids, date, codes, value.alias("value")]).with_row_index(ROW)
    frame = frame.select(*RECORD_COLUMNS, pl.col(ROW).cast(pl.Int64))
    return Table(frame=frame, source=table.source, first_row=table.first_row)
