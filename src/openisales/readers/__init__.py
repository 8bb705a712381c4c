"""Readers: an xlsx/xlsb/xls/ods/csv file -> a header row and rows of raw cell values.

Failures of the file as a whole are ``ReadError`` with a ``ReadErrorKind``; a row's content is
judged later, by ``openisales.domain.validation``.
"""

from openisales.readers.model import Cell, ReadError, ReadErrorKind, Sheet
from openisales.readers.sheet import MAX_ROWS, open_sheet

__all__ = ["MAX_ROWS", "Cell", "ReadError", "ReadErrorKind", "Sheet", "open_sheet"]
