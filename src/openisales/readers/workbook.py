"""xlsx/xlsb/xls/ods through python-calamine: the first visible worksheet."""

from __future__ import annotations

from itertools import chain, islice
from pathlib import Path

from python_calamine import (
    CalamineError,
    CalamineSheet,
    CalamineWorkbook,
    PasswordError,
    SheetTypeEnum,
    SheetVisibleEnum,
)

from openisales.readers.model import Limits, ReadError, ReadErrorKind, Sheet
from openisales.readers.rows import check_row_count, clean_rows, first_row
from openisales.readers.xlsx_scan import UsedRange, check_before_reading, check_used_range

_NAMES = {
    "xlsx": "Excel workbook",
    "xlsb": "Excel binary workbook",
    "xls": "Excel 97-2003 workbook",
    "ods": "OpenDocument spreadsheet",
}
# A password-protected xlsx is an OLE2 file holding an "EncryptedPackage" stream.
_ENCRYPTED_MARK = "EncryptedPackage".encode("utf-16-le")
_PROTECTED = "it is password-protected. Remove the password, save it and upload it again."


def read_workbook(path: Path, fmt: str, limits: Limits) -> Sheet:
    """Open the first visible worksheet; raise ``ReadError`` when the file cannot be used.

    The used range is checked before calamine builds it (xlsx: see ``xlsx_scan``) and again
    from what calamine built, which holds for every format.
    """
    sheet = _load_sheet(path, fmt, limits)
    start, end = sheet.start, sheet.end
    if start is None or end is None:
        raise ReadError(ReadErrorKind.EMPTY, f'"{path.name}": the first sheet is empty.')
    check_used_range(path.name, UsedRange(end[0], end[1]), limits)
    # python-calamine's iter_rows yields one (empty) row for every sheet row above the data,
    # so the n-th row yielded is sheet row n; columns start at the first used one.
    pad = [None] * start[1]
    rows = clean_rows(sheet.iter_rows(), 0, pad, limits.max_cell_chars)
    empty = f'"{path.name}": the first sheet is empty.'
    header_row, header = first_row(rows, ReadErrorKind.EMPTY, empty)
    rows_below = end[0] + 1 - header_row
    if rows_below > limits.max_rows:
        below = islice(sheet.iter_rows(), header_row, None)
        rows_below = sum(1 for _ in clean_rows(below, header_row, pad, limits.max_cell_chars))
        check_row_count(path, rows_below, limits.max_rows)
    first = first_row(
        rows,
        ReadErrorKind.HEADER_ONLY,
        f'"{path.name}" has a header row but no data rows.',
    )
    return Sheet(header, chain((first,), rows), header_row, rows_below, fmt)


def _load_sheet(path: Path, fmt: str, limits: Limits) -> CalamineSheet:
    try:
        with CalamineWorkbook.from_path(str(path)) as workbook:
            index = _first_visible_worksheet(workbook)
            if fmt == "xlsx":
                check_before_reading(path, workbook.sheet_names[index], limits)
            return workbook.get_sheet_by_index(index)
    except PasswordError as exc:
        raise _unreadable(path, _PROTECTED) from exc
    except CalamineError as exc:
        if fmt == "xls" and _ENCRYPTED_MARK in path.read_bytes():
            raise _unreadable(path, _PROTECTED) from exc
        reason = f"it is not a readable {_NAMES.get(fmt, fmt)} ({exc})"
        raise _unreadable(path, reason + ". Save it again from Excel and upload it again.") from exc


def _unreadable(path: Path, reason: str) -> ReadError:
    return ReadError(ReadErrorKind.NOT_A_SPREADSHEET, f'"{path.name}" cannot be read: {reason}')


def _first_visible_worksheet(workbook: CalamineWorkbook) -> int:
    for index, meta in enumerate(workbook.sheets_metadata):
        if meta.typ == SheetTypeEnum.WorkSheet and meta.visible == SheetVisibleEnum.Visible:
            return index
    return 0
