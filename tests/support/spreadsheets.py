"""Test workbooks and CSV files, written the ways real users' tools write them.

* ``write_xlsx(..., writer="xlsxwriter")``: XlsxWriter, shared-strings table (like Excel and
  LibreOffice).
* ``writer="xlsxwriter-const"``: XlsxWriter constant-memory mode, inline strings.
* ``writer="openpyxl"``: openpyxl, another XML layout and shared strings.
* ``write_ods``: a minimal OpenDocument spreadsheet.
* ``write_csv``: CSV in any encoding (utf-8, utf-8-sig, gb18030, utf-16) and separator.

Rows are sequences of cell values: ``str`` is a text cell, ``int``/``float`` a number cell (how
Excel stores a phone number typed without a leading apostrophe), ``datetime``/``date``/``time``
a real date cell, ``bool`` a TRUE/FALSE cell, ``None`` an empty cell. An empty sequence is a blank
row. ``first_row``/``first_column`` (1-based) leave blank rows above and columns left of the data.
"""

from __future__ import annotations

import csv
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Literal
from xml.sax.saxutils import escape, quoteattr

import openpyxl
import xlsxwriter

XlsxWriterName = Literal["xlsxwriter", "xlsxwriter-const", "openpyxl"]
XLSX_WRITERS: tuple[XlsxWriterName, ...] = ("xlsxwriter", "xlsxwriter-const", "openpyxl")

DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
DATE_FORMAT = "yyyy-mm-dd"
TIME_FORMAT = "hh:mm:ss"


def write_xlsx(
    path: Path,
    header: Sequence[Any] | None,
    rows: Iterable[Sequence[Any]] = (),
    *,
    writer: XlsxWriterName = "xlsxwriter",
    first_row: int = 1,
    first_column: int = 1,
) -> Path:
    """Write one sheet: ``header`` (skipped when None) then ``rows``. Returns ``path``."""
    all_rows = _with_header(header, rows)
    if writer == "openpyxl":
        _write_openpyxl(path, all_rows, first_row, first_column)
    else:
        _write_xlsxwriter(path, all_rows, first_row, first_column, writer == "xlsxwriter-const")
    return path


def _with_header(
    header: Sequence[Any] | None, rows: Iterable[Sequence[Any]]
) -> list[Sequence[Any]]:
    return ([header] if header is not None else []) + list(rows)


def _write_xlsxwriter(
    path: Path, rows: list[Sequence[Any]], first_row: int, first_column: int, const: bool
) -> None:
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": const})
    formats = {
        datetime: workbook.add_format({"num_format": DATETIME_FORMAT}),
        date: workbook.add_format({"num_format": DATE_FORMAT}),
        time: workbook.add_format({"num_format": TIME_FORMAT}),
    }
    sheet = workbook.add_worksheet()
    for r, row in enumerate(rows, first_row - 1):
        for c, value in enumerate(row, first_column - 1):
            if value is None:
                continue
            if isinstance(value, str):
                sheet.write_string(r, c, value)
            elif isinstance(value, bool):
                sheet.write_boolean(r, c, value)
            elif isinstance(value, int | float):
                sheet.write_number(r, c, value)
            elif isinstance(value, datetime | date | time):
                sheet.write_datetime(r, c, value, formats[type(value)])
            else:
                raise TypeError(f"cannot write {value!r}")
    workbook.close()


def _write_openpyxl(
    path: Path, rows: list[Sequence[Any]], first_row: int, first_column: int
) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for r, row in enumerate(rows, first_row):
        for c, value in enumerate(row, first_column):
            if value is None:
                continue
            cell = sheet.cell(row=r, column=c, value=value)
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"  # a text cell, not a formula
            elif isinstance(value, datetime):
                cell.number_format = DATETIME_FORMAT
    workbook.save(path)


def write_csv(
    path: Path,
    header: Sequence[Any] | None,
    rows: Iterable[Sequence[Any]] = (),
    *,
    encoding: str = "utf-8",
    delimiter: str = ",",
) -> Path:
    """Write a CSV file; None is an empty field, other values are written with ``str``."""
    with path.open("w", encoding=encoding, newline="") as file:
        writer = csv.writer(file, delimiter=delimiter)
        for row in _with_header(header, rows):
            writer.writerow(["" if value is None else str(value) for value in row])
    return path


def write_ods(
    path: Path,
    header: Sequence[Any] | None,
    rows: Iterable[Sequence[Any]] = (),
    *,
    first_row: int = 1,
) -> Path:
    """Write a minimal OpenDocument spreadsheet with one sheet."""
    xml_rows = []
    if first_row > 1:
        xml_rows.append(
            f'<table:table-row table:number-rows-repeated="{first_row - 1}">'
            "<table:table-cell/></table:table-row>"
        )
    for row in _with_header(header, rows):
        xml_rows.append(
            "<table:table-row>" + "".join(_ods_cell(v) for v in row) + "</table:table-row>"
        )
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="Sheet1">'
        + "".join(xml_rows)
        + "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        'manifest:version="1.2"><manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    return path


def _ods_cell(value: Any) -> str:
    if value is None:
        return "<table:table-cell/>"
    if isinstance(value, str):
        return f'<table:table-cell office:value-type="string"><text:p>{escape(value)}</text:p></table:table-cell>'
    if isinstance(value, bool):
        flag = "true" if value else "false"
        return f'<table:table-cell office:value-type="boolean" office:boolean-value="{flag}"/>'
    if isinstance(value, int | float):
        return (
            f'<table:table-cell office:value-type="float" office:value={quoteattr(repr(value))}/>'
        )
    if isinstance(value, datetime | date):
        return (
            f'<table:table-cell office:value-type="date" office:date-value="{value.isoformat()}"/>'
        )
    raise TypeError(f"cannot write {value!r}")
