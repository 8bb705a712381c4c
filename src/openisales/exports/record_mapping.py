"""The record mapping of a finished import, as CSV or xlsx: which row became which record.

One line per record the import stored, in the file's row order: the sheet row, the ``dataId``
given to it, its ``sessionId``, its called numbers as written (``;`` between several), the
same numbers in E.164 (``calledNoE164``: empty unless the numbers were read in the tenant's
default region; the column is there so that files keep one shape), and whether it was stored to be dialled
(``pending``) or as blocklisted (``blocked``). A CRM joins its own ids to ours by row number or
sessionId without one query per record.

Text cells are neutralised as in the failure report (no cell runs as a formula). The xlsx is
written in XlsxWriter's constant-memory mode, so 500,000 lines are streamed, not held.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any, BinaryIO, Literal

import xlsxwriter

from openisales.exports import failure_report
from openisales.exports.failure_report import neutralise

MappingLine = tuple[int | None, int, str, str, str, str]
"""(sheet row, dataId, sessionId, calledNo, calledNoE164, status)."""

MAPPING_COLUMNS: tuple[str, ...] = (
    "rowNumber",
    "dataId",
    "sessionId",
    "calledNo",
    "calledNoE164",
    "status",
)
# Excel keeps 15 significant digits of a number: a larger dataId is written as text, exactly.
_EXACT_IN_EXCEL = 10**15
_SHEET_NAME = "records"
XLSX_MAX_ROWS = failure_report.XLSX_MAX_ROWS


def write_mapping(out: BinaryIO, fmt: Literal["xlsx", "csv"], lines: Iterable[MappingLine]) -> None:
    """Write the mapping to ``out`` (a binary file or buffer, left open)."""
    if fmt == "csv":
        _write_csv(out, lines)
    elif fmt == "xlsx":
        _write_xlsx(out, lines)
    else:
        raise ValueError(f"unknown mapping format {fmt!r}; expected 'xlsx' or 'csv'")


def _texts(line: MappingLine) -> list[str]:
    """The text cells (everything after rowNumber and dataId), neutralised."""
    return [neutralise(text) for text in line[2:]]


def _write_csv(out: BinaryIO, lines: Iterable[MappingLine]) -> None:
    # UTF-8 with a BOM, as the failure report: Excel then reads it in the right code page.
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=False)
    try:
        writer = csv.writer(text)
        writer.writerow(MAPPING_COLUMNS)
        for line in lines:
            row = "" if line[0] is None else str(line[0])
            writer.writerow([row, str(line[1]), *_texts(line)])
        text.flush()
    finally:
        text.detach()


def _write_xlsx(out: BinaryIO, lines: Iterable[MappingLine]) -> None:
    options = {"constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False}
    workbook = xlsxwriter.Workbook(out, options)
    try:
        sheet = _add_sheet(workbook, 1)
        line_no = 0
        for line in lines:
            line_no += 1
            if line_no == XLSX_MAX_ROWS:
                sheet = _add_sheet(workbook, len(workbook.worksheets()) + 1)
                line_no = 1
            _write_line(sheet, line_no, line)
    finally:
        workbook.close()


def _write_line(sheet: Any, line_no: int, line: MappingLine) -> None:
    row_number, data_id = line[0], line[1]
    if row_number is not None:  # numbers, so that they sort as numbers
        sheet.write_number(line_no, 0, row_number)
    if data_id < _EXACT_IN_EXCEL:
        sheet.write_number(line_no, 1, data_id)
    else:
        sheet.write_string(line_no, 1, str(data_id))
    for col, text in enumerate(_texts(line), 2):
        sheet.write_string(line_no, col, text)


def _add_sheet(workbook: Any, number: int) -> Any:
    sheet = workbook.add_worksheet(_SHEET_NAME if number == 1 else f"{_SHEET_NAME} {number}")
    # Widths and the frozen header must come before the first row in constant-memory mode.
    sheet.set_column(0, 1, 12)
    sheet.set_column(2, 4, 24)
    sheet.set_column(5, 5, 10)
    sheet.freeze_panes(1, 0)
    for col, name in enumerate(MAPPING_COLUMNS):
        sheet.write_string(0, col, name)
    return sheet
