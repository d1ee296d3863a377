"""CSV and XLSX downloads of any table a user sees.

CSV: cells that a spreadsheet would run as a formula (starting ``=``, ``+``, ``-``, ``@``, tab or
carriage return) are prefixed with an apostrophe, so hostile strings stay text (CSV injection).
XLSX: every text cell is written as text (type ``s``), never as a formula, so the value is kept
as it is, with no apostrophe.

Both: control characters other than tab, newline and carriage return are replaced by U+FFFD.
Input refuses them (:mod:`fullvalue.web.kernel.fields`), so this is the last line of defence: text
stored before that rule, or by a path that missed it, must not break a download for everyone
(XML 1.0, and so XLSX, cannot hold them at all).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from fullvalue.errors import FullvalueError

FORMATS = {"csv", "xlsx"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: What XML 1.0 cannot hold, below U+0020 (tab, newline and return it can), and DEL.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
REPLACEMENT = "\ufffd"


def clean_text(value: str) -> str:
    r"""Replace control characters (other than tab, newline, return) by U+FFFD.

    >>> clean_text("cohort\x00A")
    'cohort\ufffdA'
    >>> clean_text("two\nlines")
    'two\nlines'
    """
    return _CONTROL.sub(REPLACEMENT, value)


def safe_cell(value: Any) -> Any:
    """A CSV cell: formulas neutralised in text, control characters replaced; numbers as is.

    >>> safe_cell("=HYPERLINK(1)")
    "'=HYPERLINK(1)"
    >>> safe_cell(12)
    12
    """
    value = _flat(value)
    if isinstance(value, str):
        value = clean_text(value)
        if value.startswith(_FORMULA_START):
            return "'" + value
    return value


def _flat(value: Any) -> Any:
    if isinstance(value, (list, tuple, set)):
        return "; ".join(str(v) for v in value)
    return value


def table_response(
    fmt: str, filename: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]
) -> HttpResponse:
    """Return the table as a CSV or XLSX download named ``filename.csv`` / ``.xlsx``."""
    if fmt not in FORMATS:
        raise FullvalueError(f"Unknown export format {fmt!r}: use csv or xlsx.", status=400)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([safe_cell(h) for h in headers])
        for row in rows:
            writer.writerow([safe_cell(v) for v in row])
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    else:
        book = Workbook(write_only=True)
        sheet = book.create_sheet(title=filename[:31])
        sheet.append([_xlsx_cell(sheet, h) for h in headers])
        for row in rows:
            sheet.append([_xlsx_cell(sheet, v) for v in row])
        out = io.BytesIO()
        book.save(out)
        response = HttpResponse(
            out.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response


def _xlsx_cell(sheet: WriteOnlyWorksheet, value: Any) -> Any:
    """An XLSX cell: text always as text (never a formula), numbers and dates as values."""
    value = _flat(value)
    if isinstance(value, str):
        # Set around openpyxl's value setter, which makes any text starting "=" a formula.
        cell = WriteOnlyCell(sheet)
        cell._value, cell.data_type = clean_text(value), "s"  # type: ignore[attr-defined]
        return cell
    if isinstance(value, Decimal):
        return float(value) if value == value.quantize(Decimal("0.01")) else str(value)
    if hasattr(value, "tzinfo") and getattr(value, "tzinfo", None) is not None:
        return value.replace(tzinfo=None)
    return value
