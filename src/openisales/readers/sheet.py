"""Open an outbound call data file: the format comes from the file's bytes, not its name."""

from __future__ import annotations

from pathlib import Path

from openisales.readers.delimited import read_delimited
from openisales.readers.detect import detect_format
from openisales.readers.model import Limits, Sheet
from openisales.readers.workbook import read_workbook

MAX_ROWS = 500_000
"""Seed: "A maximum of 500,000 records can be imported using a file at a time"."""


def open_sheet(
    path: Path,
    *,
    max_rows: int = MAX_ROWS,
    max_columns: int = 256,
    max_cell_chars: int = 32_767,
    max_uncompressed_bytes: int = 1 << 30,
) -> Sheet:
    """Open the first visible sheet of an xlsx/xlsb/xls/ods file, or a CSV file.

    Raises ``ReadError`` before any data row is handed over when the file is not a spreadsheet,
    is empty or header-only, has more than ``max_rows`` non-blank data rows, more than
    ``max_columns`` columns, or would unpack to more than ``max_uncompressed_bytes``; a cell
    longer than ``max_cell_chars`` raises while iterating, at the row that holds it.
    """
    path = Path(path)
    limits = Limits(max_rows, max_columns, max_cell_chars, max_uncompressed_bytes)
    fmt = detect_format(path, max_uncompressed_bytes)
    if fmt == "csv":
        return read_delimited(path, limits)
    return read_workbook(path, fmt, limits)
