"""One pipeline for tabular imports: read, check, preview, choose, write once, report progress.

A capability plugs an import in by describing its rows with a :class:`RowSchema` and calling the
steps in order; each step is the same for every import, so every file is refused, previewed and
written the same way:

1. :func:`read_table` reads a CSV or XLSX upload within the capability's
   :class:`~fullvalue.web.kernel.tables.Limits` (streaming, hostile files refused first).
2. :func:`check` names every problem of the header (a required column missing, a column not
   known, one named twice) and of every row (row as a spreadsheet numbers it, the header being
   row 1; column; reason), finds keys repeated within the file, and returns a :class:`Preview`:
   the valid rows and the problems. Nothing is written.
3. :func:`refuse_changed` makes the import idempotent: a valid row whose key is already stored
   with the same data is left to be skipped; with different data it becomes a problem naming
   each difference (":func:`differences`").
4. :func:`require_choice`: a file with any bad row is written only when the user chose to import
   the valid rows only.
5. The capability writes the valid rows (its own services, in batches, skipping keys already
   there) and tells the background task how far it is through :func:`throttled` progress.

Rows are read by the schema's columns (a reader from :mod:`~fullvalue.web.kernel.fields` or one
of the capability's own, and the allowed values, listed in the error) or, when the capability
has rules across columns or a measured hot loop, by its own ``row_reader``. A valid row is a
mapping that carries its row number under ``"row"``.

The kernel imports no capability: everything about a capability's rows comes in the schema.
"""

from __future__ import annotations

import difflib
import hashlib
import time
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from fullvalue.errors import FullvalueError, Problem
from fullvalue.web.kernel.fields import FieldInvalid
from fullvalue.web.kernel.tables import DEFAULT_LIMITS, Limits, header_of, is_blank, read_rows

#: Where a valid row keeps its row number (spreadsheet numbering, the header being row 1).
ROW = "row"

CellReader = Callable[[str, str], Any]
"""Reads one cell: ``reader(text, column)`` returns the value or raises ``FieldInvalid``."""

RowReader = Callable[[list[str], int], tuple[Any, list[Problem]]]
"""Reads one row: ``reader(cells, row)`` returns ``(value, problems)``.

``value`` is the valid row (a mapping with ``"row"``) when ``problems`` is empty; with problems
it may be ``None`` or an outcome the capability wants to show for the rejected row.
"""


@dataclass(frozen=True)
class Column:
    """One column of an import file.

    ``required``: the header must have it (a missing column refuses the file). ``blank``: whether
    a cell may be empty (read as ``None``). ``read``: the cell's reader (``reader(text, column)``,
    raising :class:`~fullvalue.web.kernel.fields.FieldInvalid`); without one the trimmed text is
    the value. ``allowed``: the values a cell may take (compared in lower case; the error lists
    them all).
    """

    name: str
    label: str = ""
    required: bool = False
    blank: bool = True
    read: CellReader | None = None
    allowed: tuple[str, ...] = ()


@dataclass(frozen=True)
class RowSchema:
    """What the rows of an import file are: columns, keys, and how a row is read.

    ``tolerated``: columns a file may carry that are not read as fields (an export's extra
    columns). ``suggest``: an unknown column's error names the nearest known one.
    ``unique_header``: refuse a file that names a column twice. ``keys``: the keys of a valid
    row (say, its case reference) that must not repeat within the file; a repeat is a problem
    in ``key_column`` worded by ``repeated(key, first_row)``. ``row_reader``: given where each
    column is (a column the file lacks points at a blank cell) and the file's header, returns
    the capability's own reader of one row, used instead of the columns' readers.
    """

    columns: tuple[Column, ...]
    tolerated: frozenset[str] = frozenset()
    suggest: bool = False
    refuse_unknown: bool = True
    unique_header: bool = False
    keys: Callable[[Mapping[str, Any]], Iterable[Hashable]] | None = None
    key_column: str = ""
    repeated: Callable[[Hashable, int], str] = lambda key, first: (
        f"{key} also appears in row {first}"
    )
    row_reader: Callable[[Mapping[str, int], list[str]], RowReader] | None = None

    @property
    def names(self) -> tuple[str, ...]:
        """The column names, in order."""
        return tuple(c.name for c in self.columns)


@dataclass
class Table:
    """An upload read into its normalised header and its data rows (as text)."""

    filename: str
    header: list[str]
    rows: list[list[str]]

    @property
    def total(self) -> int:
        """Data rows in the file, blank ones included (as the spreadsheet numbers them)."""
        return len(self.rows)

    def records(self) -> Iterator[tuple[int, dict[str, str]]]:
        """Each non-blank row as ``(row number, {column: text})``, header order."""
        for number, cells in enumerate(self.rows, start=2):
            if is_blank(cells):
                continue
            yield (
                number,
                {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(self.header) if h},
            )


@dataclass
class Preview:
    """What importing a file would do: its valid rows and every problem, row by row."""

    total: int
    valid: list[Any] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    #: What the row reader said about each rejected row, when it says anything.
    rejected: list[Any] = field(default_factory=list)

    @property
    def bad_rows(self) -> int:
        """How many data rows have at least one problem."""
        return len({p.row for p in self.problems if p.row is not None and p.row > 1})

    @property
    def header_refused(self) -> bool:
        """Whether the file was refused for its columns (no row was read)."""
        return any(p.row == 1 for p in self.problems)


def read_table(filename: str, content: bytes, limits: Limits = DEFAULT_LIMITS) -> Table:
    """Read a CSV or XLSX upload within ``limits`` (see :func:`~.tables.read_rows`)."""
    rows = read_rows(filename, content, limits)
    return Table(filename, header_of(rows[0]), rows[1:])


def located(reason: str, filename: str, row: int, column: str | None) -> Problem:
    """A problem of an import file, naming the file, the row and the column.

    >>> str(located("sex must be one of female, male", "people.csv", 7, "sex"))
    'people.csv row 7, column sex: sex must be one of female, male'
    """
    where = f"{filename} row {row}" + (f", column {column}" if column else "")
    return Problem(reason, location=where, row=row, column=column, source=filename)


def header_problems(schema: RowSchema, table: Table) -> list[Problem]:
    """What is wrong with the header: required columns missing, unknown or repeated ones."""
    filename, header = table.filename, table.header
    known = set(schema.names)
    problems = [
        located(f"required column {c.name!r} is missing", filename, 1, c.name)
        for c in schema.columns
        if c.required and c.name not in header
    ]
    for index, name in enumerate(header):
        if schema.refuse_unknown and name and name not in known and name not in schema.tolerated:
            close = difflib.get_close_matches(name, schema.names, n=1) if schema.suggest else []
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(
                Problem(
                    f"column {name!r} is not one we know{hint}",
                    location=f"{filename} row 1, column {index + 1}",
                    row=1,
                    column=name,
                    source=filename,
                )
            )
    if schema.unique_header and len(header) != len({h for h in header if h}):
        problems.append(located("a column name appears twice", filename, 1, None))
    return problems


class Duplicates:
    """Keys seen so far in a file, to name the row where a repeated key first appeared.

    >>> seen = Duplicates()
    >>> seen.first("AB1", 2), seen.first("AB1", 5)
    (None, 2)
    """

    def __init__(self) -> None:
        self.rows: dict[Hashable, int] = {}

    def first(self, key: Hashable, row: int) -> int | None:
        """The row where ``key`` first appeared, or ``None`` (and ``row`` remembered)."""
        earlier = self.rows.get(key)
        if earlier is None:
            self.rows[key] = row
        return earlier


def check(schema: RowSchema, table: Table) -> Preview:
    """Check the header and every row; return the valid rows and every problem, located.

    A header with problems stops there (no row is read). Blank rows are skipped. Within the
    file, a valid row whose key (``schema.keys``) appeared in an earlier row becomes a problem.
    """
    preview = Preview(total=table.total)
    preview.problems = header_problems(schema, table)
    if preview.problems:
        return preview
    header, filename = table.header, table.filename
    width = len(header)
    index = {h: i for i, h in enumerate(header) if h}
    at = {c.name: index.get(c.name, width) for c in schema.columns}
    needed = max([*at.values(), width - 1]) + 1
    if schema.row_reader is not None:
        read = schema.row_reader(at, header)
    else:
        read = _columns_reader(schema, at)
    reshape_every_row = needed > width
    seen = Duplicates()
    for number, cells in enumerate(table.rows, start=2):
        if is_blank(cells):
            continue
        if reshape_every_row or len(cells) != width:  # cut to the header, pad with blanks
            cells = cells[:width] + [""] * (needed - min(len(cells), width))
        value, problems = read(cells, number)
        if not problems and schema.keys is not None:
            for key in schema.keys(value):
                first = seen.first(key, number)
                if first is not None:
                    problems.append(Problem(schema.repeated(key, first), column=schema.key_column))
        if problems:
            preview.problems += [located(p.reason, filename, number, p.column) for p in problems]
            if value is not None:
                preview.rejected.append(value)
        else:
            preview.valid.append(value)
    return preview


def _columns_reader(schema: RowSchema, at: Mapping[str, int]) -> RowReader:
    """A row reader from the columns' own readers and allowed values."""
    columns = [(c, at[c.name], {a.lower() for a in c.allowed}) for c in schema.columns]

    def read(cells: list[str], row: int) -> tuple[dict[str, Any], list[Problem]]:
        value: dict[str, Any] = {ROW: row}
        problems: list[Problem] = []
        for column, position, allowed in columns:
            text = cells[position].strip()
            if not text:
                if not column.blank:
                    problems.append(Problem(f"{column.name} is required", column=column.name))
                value[column.name] = None
                continue
            if allowed and text.lower() not in allowed:
                listed = ", ".join(sorted(allowed))
                problems.append(
                    Problem(f"{column.name} must be one of {listed}", column=column.name)
                )
                continue
            try:
                value[column.name] = (
                    column.read(text, column.name) if column.read is not None else text
                )
            except FieldInvalid as exc:
                problems += [Problem(p.reason, column=column.name) for p in exc.problems]
        return value, problems

    return read


def differences(
    row: Mapping[str, Any],
    stored: Mapping[str, Any],
    compared: Iterable[str],
    *,
    blank_is_missing: bool = True,
) -> list[tuple[str, Any, Any]]:
    """The fields on which a file's row and the stored record differ: ``(name, file, stored)``.

    Blank and missing are the same (``""`` and ``None``) unless ``blank_is_missing`` is false;
    a field the stored record lacks differs from any value but ``None``.

    >>> file, stored = {"sex": "male", "cohort": ""}, {"sex": "female", "cohort": None}
    >>> differences(file, stored, ["sex", "cohort"])
    [('sex', 'male', 'female')]
    """
    if blank_is_missing:
        return [
            (name, row[name], stored[name])
            for name in compared
            if (row[name] or None) != (stored[name] or None)
        ]
    return [
        (name, row[name], stored.get(name)) for name in compared if row[name] != stored.get(name)
    ]


def shown(value: Any) -> str:
    """A value as a difference names it: dates in ISO form, blanks as "empty"."""
    if value is None or value == "":
        return "empty"
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def refuse_changed(
    preview: Preview,
    filename: str,
    *,
    key: Callable[[Mapping[str, Any]], Hashable],
    stored: Callable[[list[Hashable]], Mapping[Hashable, Mapping[str, Any]]],
    compared: Iterable[str],
    message: Callable[[Mapping[str, Any], str], str],
) -> None:
    """Make re-importing safe: a valid row already stored with other data becomes a problem.

    ``stored(keys)`` returns what is stored for those keys that exist. A row identical to its
    stored record stays valid (the writer skips it); a different one is refused with
    ``message(row, "name: X in the file, Y on Fullvalue; ...")`` at its first differing column.
    """
    compared = tuple(compared)
    by_key = {key(r): r for r in preview.valid}
    current = stored(list(by_key))
    refused: set[int] = set()
    for k, row in by_key.items():
        before = current.get(k)
        if before is None:
            continue
        found = differences(row, before, compared)
        if found:
            refused.add(row[ROW])
            said = "; ".join(
                f"{name}: {shown(new)} in the file, {shown(old)} on Fullvalue"
                for name, new, old in found
            )
            preview.problems.append(located(message(row, said), filename, row[ROW], found[0][0]))
    if refused:
        preview.valid = [r for r in preview.valid if r[ROW] not in refused]
        preview.problems.sort(key=lambda p: p.row or 0)


def require_choice(
    bad_rows: int, valid_rows_only: bool, message: str, problems: Iterable[Problem] = ()
) -> None:
    """Refuse to write a file with bad rows unless the user chose to import the valid rows only."""
    if bad_rows and not valid_rows_only:
        raise FullvalueError.from_problems(message, problems)


def throttled(seconds: float, progress: Callable[[int], None] | None) -> Callable[[int], None]:
    """``progress``, passed on only when ``seconds`` have gone by since the last time.

    A background import tells its task how many rows are done after each batch; a page asks
    every few seconds, and each update is a write, so telling it after every batch would only
    slow the import down. The caller records the end itself.
    """
    last = time.monotonic()

    def report(done: int) -> None:
        nonlocal last
        if progress is not None and time.monotonic() - last >= seconds:
            progress(done)
            last = time.monotonic()

    return report


def content_hash(content: bytes) -> str:
    """SHA-256 of a file, to recognise a re-upload."""
    return hashlib.sha256(content).hexdigest()
