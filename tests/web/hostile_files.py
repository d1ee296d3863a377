"""Hostile spreadsheets for upload tests and the upload benchmark, made without openpyxl.

:func:`bomb_xlsx` writes the file from issue #14: a sheet of one-cell rows that deflates about
340 to 1 (5,000,000 rows: about 245 MB of XML in a file of about 0.7 MB).
"""

from __future__ import annotations

import io
import zipfile

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="xl/workbook.xml" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/officeDocument"/>'
    "</Relationships>"
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="worksheets/sheet1.xml" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/worksheet"/>'
    "</Relationships>"
)
_SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
_SHEET_TAIL = b"</sheetData></worksheet>"


def xlsx_of_rows(rows, *, level: int = 9, dimension: str = "") -> bytes:
    """An XLSX file whose first sheet holds ``rows`` (an iterable of row XML as bytes).

    ``dimension`` (like ``A1:C500002``) is written as the sheet's stated used range.
    """
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(_SHEET_HEAD.replace(b"<sheetData>", _dimension(dimension) + b"<sheetData>"))
            batch: list[bytes] = []
            for row in rows:
                batch.append(row)
                if len(batch) == 50_000:
                    sheet.write(b"".join(batch))
                    batch.clear()
            sheet.write(b"".join(batch))
            sheet.write(_SHEET_TAIL)
    return out.getvalue()


#: One row of the bomb: 49 bytes, the same every time (rows need not be numbered).
BOMB_ROW = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>'


def _dimension(ref: str) -> bytes:
    return f'<dimension ref="{ref}"/>'.encode() if ref else b""


def bomb_xlsx(rows: int = 5_000_000) -> bytes:
    """``rows`` identical one-cell rows: 5,000,000 make 245 MB of XML in about 0.7 MB."""
    return xlsx_of_rows(BOMB_ROW for _ in range(rows))


def inline_row(number: int, cells: list[str]) -> bytes:
    """A row of inline-string cells (columns A, B, ...)."""
    from openpyxl.utils import get_column_letter

    return (
        b'<row r="%d">' % number
        + b"".join(
            f'<c r="{get_column_letter(i)}{number}" t="inlineStr"><is><t>{v}</t></is></c>'.encode()
            for i, v in enumerate(cells, start=1)
        )
        + b"</row>"
    )
