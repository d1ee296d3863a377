"""Reading uploaded CSV and XLSX files into rows of text, with errors a user can act on."""

from __future__ import annotations

import csv
import datetime as dt
import io

from openpyxl import load_workbook

from fullvalue.errors import FullvalueError


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()  # spreadsheet dates become ISO dates
    return str(value)


def read_rows(filename: str, content: bytes) -> list[list[str]]:
    """The rows of a CSV (UTF-8) or XLSX file (first sheet) as text.

    Blank rows in the middle are kept, so callers can number rows as a spreadsheet does (the
    header is row 1) and skip the blank ones; blank rows at the end are dropped.

    Raises :class:`FullvalueError` naming the file when it is empty, not CSV or XLSX, not UTF-8,
    or cannot be read as a spreadsheet.
    """
    if not content:
        raise FullvalueError(f"{filename} is empty.")
    lower = filename.lower()
    try:
        if lower.endswith(".csv"):
            text = content.decode("utf-8-sig")
            rows = list(csv.reader(io.StringIO(text), delimiter=csv_delimiter(text)))
        elif lower.endswith(".xlsx"):
            book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
            rows = [
                [_cell(v) for v in row] for row in book.worksheets[0].iter_rows(values_only=True)
            ]
        else:
            raise FullvalueError(f"{filename} is not a CSV or XLSX file.")
    except FullvalueError:
        raise
    except UnicodeDecodeError as exc:
        raise FullvalueError(f"{filename} is not UTF-8 text: save it as CSV UTF-8.") from exc
    except Exception as exc:  # openpyxl raises many types for corrupt files
        raise FullvalueError(f"{filename} could not be read as a spreadsheet.") from exc
    while rows and is_blank(rows[-1]):
        rows.pop()
    if not rows or is_blank(rows[0]):
        rows = [r for r in rows if not is_blank(r)]
    if not rows:
        raise FullvalueError(f"{filename} has no rows.")
    return rows


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
