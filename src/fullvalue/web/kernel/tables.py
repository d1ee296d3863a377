"""Reading uploaded CSV and XLSX files into rows of text, with errors a user can act on.

An upload is checked against :class:`Limits` as it is read, so a hostile file is refused before
it costs much time or memory: its size, then (XLSX) what its zip directory says it unpacks to
and the compression ratio, then the rows and columns counted while the sheet XML is streamed
through a decompressor (no XML parser, no cell objects), stopping at the first limit passed.
Only a file within every limit is read cell by cell (openpyxl's streaming ``read_only`` mode).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import re
import zipfile
from dataclasses import dataclass

from openpyxl import load_workbook

from fullvalue.errors import FullvalueError, Problem

#: Bytes of XML decompressed at a time while counting a sheet's rows.
_CHUNK = 1 << 20
#: The last row of the used range a sheet states (``<dimension ref="A1:C500002"/>``).
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension ref="[A-Z]*[0-9]*:?[A-Z]+([0-9]+)"')


@dataclass(frozen=True)
class Limits:
    """What an upload may be: bytes as sent, bytes unpacked, unpacking ratio, rows and columns.

    ``max_rows`` counts data rows (the header row is not counted). ``max_ratio`` is the XLSX
    file's unpacked size over its size as sent; ordinary spreadsheets are 5-20, a "zip bomb"
    hundreds or thousands.
    """

    max_bytes: int = 50 * 1024 * 1024
    max_unpacked_bytes: int = 300 * 1024 * 1024
    max_ratio: int = 100
    max_rows: int = 500_000
    max_columns: int = 50


DEFAULT_LIMITS = Limits()


class UploadTooLarge(FullvalueError):
    """An upload over a size limit (HTTP 413), naming the limit."""

    def __init__(self, message: str, limit: str, value: int) -> None:
        super().__init__(
            message=message,
            code="upload-too-large",
            status=413,
            problems=[Problem(message, location=limit, column=limit)],
        )
        self.limit, self.value = limit, value


class UploadOverLimit(FullvalueError):
    """An upload with too many rows or columns (HTTP 422), naming the limit."""

    def __init__(self, message: str, limit: str) -> None:
        super().__init__(
            message=message,
            code="upload-over-limit",
            status=422,
            problems=[Problem(message, location=limit, column=limit)],
        )
        self.limit = limit


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()  # spreadsheet dates become ISO dates
    return str(value)


def read_rows(filename: str, content: bytes, limits: Limits = DEFAULT_LIMITS) -> list[list[str]]:
    """The rows of a CSV (UTF-8) or XLSX file (first sheet) as text, within ``limits``.

    Blank rows in the middle are kept, so callers can number rows as a spreadsheet does (the
    header is row 1) and skip the blank ones; blank rows at the end are dropped.

    Raises :class:`UploadTooLarge` (413) or :class:`UploadOverLimit` (422) naming the limit a
    file passes, and :class:`FullvalueError` naming the file when it is empty, not CSV or
    XLSX, not UTF-8, or cannot be read as a spreadsheet.
    """
    if not content:
        raise FullvalueError(f"{filename} is empty.")
    check_size(filename, len(content), limits)
    lower = filename.lower()
    try:
        if lower.endswith(".csv"):
            rows = _csv_rows(filename, content, limits)
        elif lower.endswith(".xlsx"):
            rows = _xlsx_rows(filename, content, limits)
        else:
            raise FullvalueError(f"{filename} is not a CSV or XLSX file.")
    except FullvalueError:
        raise
    except UnicodeDecodeError as exc:
        raise FullvalueError(f"{filename} is not UTF-8 text: save it as CSV UTF-8.") from exc
    except Exception as exc:  # openpyxl and zipfile raise many types for corrupt files
        raise FullvalueError(f"{filename} could not be read as a spreadsheet.") from exc
    while rows and is_blank(rows[-1]):
        rows.pop()
    if not rows or is_blank(rows[0]):
        rows = [r for r in rows if not is_blank(r)]
    if not rows:
        raise FullvalueError(f"{filename} has no rows.")
    return rows


def check_size(filename: str, size: int, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse a file larger than ``limits.max_bytes`` as sent (413)."""
    if size > limits.max_bytes:
        raise UploadTooLarge(
            f"{filename} is {_mb(size)}; files may be at most {_mb(limits.max_bytes)}.",
            "max_bytes",
            size,
        )


def _too_many_rows(filename: str, limits: Limits) -> UploadOverLimit:
    return UploadOverLimit(
        f"{filename} has more than {limits.max_rows:,} rows; split it.", "max_rows"
    )


def _too_many_columns(filename: str, limits: Limits) -> UploadOverLimit:
    return UploadOverLimit(f"{filename} has more than {limits.max_columns} columns.", "max_columns")


def _csv_rows(filename: str, content: bytes, limits: Limits) -> list[list[str]]:
    rows: list[list[str]] = []
    most = limits.max_rows + 1  # the header and the data rows
    text = content.decode("utf-8-sig")
    for row in csv.reader(io.StringIO(text), delimiter=csv_delimiter(text)):
        if len(row) > limits.max_columns and not is_blank(row[limits.max_columns :]):
            raise _too_many_columns(filename, limits)
        rows.append(row)
        if len(rows) > most and not is_blank(row):
            raise _too_many_rows(filename, limits)
    return rows


def _xlsx_rows(filename: str, content: bytes, limits: Limits) -> list[list[str]]:
    check_xlsx(filename, content, limits)
    book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    try:
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # a sheet's stated dimensions may be wrong, or hostile
        rows: list[list[str]] = []
        most = limits.max_rows + 1
        for values in sheet.iter_rows(values_only=True):
            if len(values) > limits.max_columns and any(
                v not in (None, "") for v in values[limits.max_columns :]
            ):
                raise _too_many_columns(filename, limits)
            rows.append([_cell(v) for v in values])
            if len(rows) > most:
                raise _too_many_rows(filename, limits)
        return rows
    finally:
        book.close()


def check_xlsx(filename: str, content: bytes, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse an XLSX file that unpacks beyond the limits, without parsing its XML.

    The zip directory gives each member's unpacked size (``zipfile`` refuses to unpack a member
    beyond the size its directory states, so the sizes cannot lie): their sum and its ratio to
    the file's size are checked first. Then each worksheet's XML is decompressed a chunk at a
    time and its row elements counted (a row's ``r`` number counts too: a sheet may skip
    rows, which a reader fills in), and cells beyond column Z are checked against the column
    limit, stopping at the first limit passed. Memory stays at a chunk or two.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile as exc:
        raise FullvalueError(f"{filename} could not be read as a spreadsheet.") from exc
    with archive:
        members = archive.infolist()
        unpacked = sum(m.file_size for m in members)
        if unpacked > limits.max_unpacked_bytes:
            raise UploadTooLarge(
                f"{filename} unpacks to {_mb(unpacked)}; spreadsheets may unpack to at most "
                f"{_mb(limits.max_unpacked_bytes)}.",
                "max_unpacked_bytes",
                unpacked,
            )
        ratio = unpacked / max(len(content), 1)
        if ratio > limits.max_ratio:
            raise UploadTooLarge(
                f"{filename} unpacks to {ratio:.0f} times its size; spreadsheets may unpack to "
                f"at most {limits.max_ratio} times their size.",
                "max_ratio",
                int(ratio),
            )
        for member in members:
            name = member.filename
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                _scan_sheet(archive, member, filename, limits)


def _scan_sheet(
    archive: zipfile.ZipFile, member: zipfile.ZipInfo, filename: str, limits: Limits
) -> None:
    rows = 0
    most = limits.max_rows + 1
    too_wide = _cells_beyond(limits.max_columns)
    tail = b""
    with archive.open(member) as stream:
        while chunk := stream.read(_CHUNK):
            # A tag may be cut in two by the chunk's end: the last one is held back for the
            # next chunk, so nothing is missed or counted twice.
            text = tail + chunk
            cut = text.rfind(b"<")
            text, tail = (text[:cut], text[cut:]) if cut >= 0 else (text, b"")
            # A sheet states its used range first: one beyond the limit is refused at once
            # (the rows themselves would be counted, the slower way, to the same answer).
            stated = _DIMENSION.search(text) if not rows else None
            if stated is not None and int(stated[1]) > most:
                raise _too_many_rows(filename, limits)
            # Counting substrings runs at memory speed; a regular expression at a tenth of it.
            rows += text.count(b"<row ") + text.count(b"<row>") + text.count(b":row ")
            if rows > most:
                raise _too_many_rows(filename, limits)
            if too_wide.search(text) is not None:
                raise _too_many_columns(filename, limits)
            if len(tail) > _CHUNK:  # one tag over a megabyte: no spreadsheet writes that
                raise FullvalueError(f"{filename} could not be read as a spreadsheet.")


@functools.lru_cache
def _cells_beyond(columns: int) -> re.Pattern[bytes]:
    """A cell reference (``r="AY7"``) beyond the first ``columns`` columns.

    Built from character classes after the fixed start ``' r="'``, which the search looks for
    first; a list of names instead (``AY|AZ|BA|...``) made the scan of a 100 MB sheet take
    most of a minute.

    >>> bool(_cells_beyond(50).search(b'<c r="AX2"')), bool(_cells_beyond(50).search(b'<c r="AY2"'))
    (False, True)
    >>> bool(_cells_beyond(3).search(b'<c r="C9"')), bool(_cells_beyond(3).search(b'<c r="D9"'))
    (False, True)
    """
    beyond = ["[A-Z]{3}"]
    if columns < 26:
        beyond += ["[A-Z]{2}", f"[{chr(65 + columns)}-Z]"]
    elif columns == 26:
        beyond += ["[A-Z]{2}"]
    elif columns < 702:
        first, second = divmod(columns - 1, 26)  # 50 is AX: first A (1), second X (23)
        if first < 26:
            beyond.append(f"[{chr(65 + first)}-Z][A-Z]")
        if second < 25:
            beyond.append(f"{chr(64 + first)}[{chr(66 + second)}-Z]")
    pattern = ' r="(?:' + "|".join(beyond) + ")[0-9]"
    return re.compile(pattern.encode())


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def csv_delimiter(text: str) -> str:
    r"""The separator of a CSV file: a semicolon when its header has more of them than commas.

    Spreadsheets set to a European locale save "CSV" with semicolons; column names never hold
    either character, so the header row tells them apart.

    >>> csv_delimiter("name;legal_form;sector\nA, B;cio;voluntary")
    ';'
    >>> csv_delimiter("name,legal_form,sector")
    ','
    """
    header = text.split("\n", 1)[0]
    return ";" if header.count(";") > header.count(",") else ","


def header_of(row: list[str]) -> list[str]:
    """Normalise column names: trimmed, lower case, spaces as underscores."""
    return [h.strip().lower().replace(" ", "_") for h in row]


def is_blank(row: list[str]) -> bool:
    """Whether every cell of a row is empty or spaces."""
    return not "".join(row).strip()  # one string: much faster than a cell by cell loop
