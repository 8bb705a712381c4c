"""Open an outbound call data file: the format comes from the file's bytes, not its name."""

from __future__ import annotations

from pathlib import Path

from openisales.readers.delimited import read_delimited
from openisales.readers.detect import detect_format
from openisales.readers.model import Limits, ReadError, Sheet
from openisales.readers.workbook import read_workbook
from openisales.readers.xlsx_scan import explain_size

MAX_ROWS = 500_000
"""Seed: "A maximum of 500,000 records can be imported using a file at a time"."""
MAX_CELLS = 10_000_000
"""Cells a workbook's used range may span (columns x rows from A1): 500,000 rows of 20 columns.

calamine holds the range as a dense grid of 32-byte cells, so this bounds that grid at 320 MB.
"""
MAX_UNPACKED_BYTES = 512 * 1024 * 1024
"""What a workbook may unpack to (the sum of its zip members' declared sizes), or a CSV hold."""
MAX_COLUMNS = 256
"""Columns a sheet's used range may span."""
MAX_CELL_CHARS = 32_767
"""Characters a cell may hold: Excel's own limit."""


def open_sheet(
    path: Path,
    *,
    max_rows: int = MAX_ROWS,
    max_columns: int = MAX_COLUMNS,
    max_cell_chars: int = MAX_CELL_CHARS,
    max_uncompressed_bytes: int = MAX_UNPACKED_BYTES,
    max_cells: int = MAX_CELLS,
) -> Sheet:
    """Open the first visible sheet of an xlsx/xlsb/xls/ods file, or a CSV file.

    Raises ``ReadError`` before any data row is handed over when the file is not a spreadsheet,
    is empty or header-only, has more than ``max_rows`` non-blank data rows, more than
    ``max_columns`` columns, a used range of more than ``max_cells`` cells, or would unpack to
    more than ``max_uncompressed_bytes``; a cell longer than ``max_cell_chars`` raises while
    iterating, at the row that holds it.
    """
    path = Path(path)
    limits = Limits(max_rows, max_columns, max_cell_chars, max_uncompressed_bytes, max_cells)
    fmt = detect_format(path, max_uncompressed_bytes)
    if fmt == "csv":
        return read_delimited(path, limits)
    return read_workbook(path, fmt, limits)


def reading_limits(max_rows: int, max_uncompressed_bytes: int) -> Limits:
    """The limits ``open_sheet`` reads with, given the two an import task sets."""
    return Limits(max_rows, MAX_COLUMNS, MAX_CELL_CHARS, max_uncompressed_bytes, MAX_CELLS)


def explain_too_large(
    path: Path,
    *,
    max_columns: int = MAX_COLUMNS,
    max_cells: int = MAX_CELLS,
    max_uncompressed_bytes: int = MAX_UNPACKED_BYTES,
) -> str | None:
    """Why the first sheet of an xlsx spans too large a range, from its cells' coordinates.

    None when it does not, or when the file is not an xlsx. For a reader that died: this reads
    no cell, and its memory does not grow with the file.
    """
    path = Path(path)
    try:
        if detect_format(path, max_uncompressed_bytes) != "xlsx":
            return None
    except ReadError:
        return None
    limits = Limits(MAX_ROWS, max_columns, MAX_CELL_CHARS, max_uncompressed_bytes, max_cells)
    return explain_size(path, limits)
