"""What a reader hands over (``Sheet``) and how it fails (``ReadError``)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from openisales.domain.cells import Cell

__all__ = ["Cell", "Limits", "ReadError", "ReadErrorKind", "Sheet"]


class ReadErrorKind(StrEnum):
    """Why a whole file could not be read."""

    NOT_A_SPREADSHEET = "not_a_spreadsheet"
    EMPTY = "empty"
    HEADER_ONLY = "header_only"
    TOO_MANY_ROWS = "too_many_rows"
    TOO_LARGE = "too_large"
    ENCODING = "encoding"


class ReadError(Exception):
    """The file as a whole cannot be imported; ``message`` is a sentence for an operator."""

    def __init__(self, kind: ReadErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message

    def __repr__(self) -> str:
        return f"ReadError({self.kind!s}, {self.message!r})"

    def __reduce__(self) -> tuple[type[ReadError], tuple[ReadErrorKind, str]]:
        # Raised in the reader's child process and raised again in the worker: it is pickled.
        return (ReadError, (self.kind, self.message))


class Limits(NamedTuple):
    max_rows: int
    max_columns: int
    max_cell_chars: int
    max_uncompressed_bytes: int
    max_cells: int
    """Cells of the used range (columns x rows, counted from A1) a workbook may span."""


@dataclass
class Sheet:
    """The first sheet of a file: its header row and an iterator over its non-blank data rows.

    ``rows`` yields ``(row number as Excel shows it, cells)``; empty cells are None and rows
    whose cells are all empty or whitespace are skipped. Iterating can still raise
    ``ReadError(TOO_LARGE)`` when a later cell is over the size limit.
    """

    header: list[Cell]
    rows: Iterator[tuple[int, list[Cell]]]
    header_row: int
    """Sheet row number of the header (1 unless blank rows come first)."""
    rows_below_header: int
    """Sheet rows after the header, blank ones included: an upper bound of the data rows."""
    format: str
    """"xlsx", "xlsb", "xls", "ods" or "csv"."""
    encoding: str | None = None
    """The text encoding a CSV file was read with."""
