"""Readers: an xlsx/xlsb/xls/ods/csv file -> a header row and rows of raw cell values.

Failures of the file as a whole are ``ReadError`` with a ``ReadErrorKind``; a row's content is
judged later, by ``openisales.domain.validation``.
"""

from openisales.readers.model import Cell, ReadError, ReadErrorKind, Sheet
from openisales.readers.sheet import (
    MAX_CELLS,
    MAX_ROWS,
    MAX_UNPACKED_BYTES,
    explain_too_large,
    open_sheet,
)

__all__ = [
    "MAX_CELLS",
    "MAX_ROWS",
    "MAX_UNPACKED_BYTES",
    "Cell",
    "ReadError",
    "ReadErrorKind",
    "Sheet",
    "explain_too_large",
    "open_sheet",
]
