"""The failed-rows report of an import, as xlsx or CSV, safe to open in a spreadsheet.

One line per row error: where it is (sheet row, column), the Table 8 code, the rule, the
message, then the row's original cells under the source file's own header, so the user can fix
the rows in the report and import them again.

Spreadsheet programs run a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula (and
a leading tab or carriage return can hide one), so every such cell gets a leading ``'`` in both
formats. The xlsx is written in XlsxWriter's constant-memory mode with every value as a string:
a report of 500,000 failures is streamed, not held in memory.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any, BinaryIO, Literal

import xlsxwriter

Failure = tuple[int, str, str, str, str, Sequence[str]]
"""(sheet row, column, code, rule, message, the row's original cells as text)."""

FAILURE_COLUMNS: tuple[str, ...] = ("row", "column", "code", "rule", "message")

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# An xlsx sheet holds 1,048,576 rows; a report with more failures goes on to a second sheet.
XLSX_MAX_ROWS = 1_048_576
_SHEET_NAME = "failed rows"


def neutralise(text: str) -> str:
    """``text`` with a leading ``'`` when a spreadsheet could take it for a formula."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def write_failure_report(
    out: BinaryIO,
    fmt: Literal["xlsx", "csv"],
    source_header: Sequence[str],
    failures: Iterable[Failure],
) -> None:
    """Write the report to ``out`` (a binary file or buffer, left open)."""
    header = [*FAILURE_COLUMNS, *(neutralise(name) for name in source_header)]
    if fmt == "csv":
        _write_csv(out, header, failures)
    elif fmt == "xlsx":
        _write_xlsx(out, header, failures)
    else:
        raise ValueError(f"unknown report format {fmt!r}; expected 'xlsx' or 'csv'")


def _texts(failure: Failure) -> list[str]:
    """Everything after the row number, neutralised."""
    _, column, code, rule, message, cells = failure
    texts = [neutralise(column), neutralise(code), neutralise(rule), neutralise(message)]
    texts.extend(neutralise(cell) for cell in cells)
    return texts


def _write_csv(out: BinaryIO, header: list[str], failures: Iterable[Failure]) -> None:
    # UTF-8 with a BOM: Excel then opens Chinese text right instead of guessing a code page.
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=False)
    try:
        writer = csv.writer(text)
        writer.writerow(header)
        writer.writerows([str(failure[0]), *_texts(failure)] for failure in failures)
        text.flush()
    finally:
        text.detach()


def _write_xlsx(out: BinaryIO, header: list[str], failures: Iterable[Failure]) -> None:
    options = {"constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False}
    workbook = xlsxwriter.Workbook(out, options)
    try:
        sheet = _add_sheet(workbook, header, 1)
        line_no = 0
        for failure in failures:
            line_no += 1
            if line_no == XLSX_MAX_ROWS:
                sheet = _add_sheet(workbook, header, len(workbook.worksheets()) + 1)
                line_no = 1
            # The row number is ours, not the file's: a number cell, so that it sorts right.
            sheet.write_number(line_no, 0, failure[0])
            for col, text in enumerate(_texts(failure), 1):
                sheet.write_string(line_no, col, text)
    finally:
        workbook.close()


def _add_sheet(workbook: Any, header: list[str], number: int) -> Any:
    sheet = workbook.add_worksheet(_SHEET_NAME if number == 1 else f"{_SHEET_NAME} {number}")
    # Widths and the frozen header must come before the first row in constant-memory mode.
    sheet.set_column(0, 0, 8)
    sheet.set_column(1, 3, 22)
    sheet.set_column(4, 4, 60)
    sheet.set_column(5, max(5, len(header) - 1), 18)
    sheet.freeze_panes(1, 0)
    for col, name in enumerate(header):
        sheet.write_string(0, col, name)
    return sheet
