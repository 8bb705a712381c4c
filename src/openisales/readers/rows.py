"""Row handling shared by the workbook and CSV readers."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn

from openisales.domain.cells import Cell, column_letter
from openisales.readers.model import ReadError, ReadErrorKind

Numbered = tuple[int, list[Cell]]


class _CellTooLong(Exception):
    pass


def _too_long() -> NoReturn:
    raise _CellTooLong


def clean_rows(
    raw_rows: Iterable[Sequence[Any]], before: int, pad: list[None], max_chars: int
) -> Iterator[Numbered]:
    """Number the rows from ``before + 1``, turn empty and whitespace-only cells into None,
    skip rows left with nothing, and refuse a cell longer than ``max_chars``.

    ``pad`` (None cells) is put in front of every row, so that indexes count from column A
    when the reader dropped empty leading columns.
    """
    number = before
    for raw in raw_rows:
        number += 1
        # One comprehension does it all: this runs for every cell of up to 500,000 rows, and a
        # second loop just for the length check would cost a third of the reading time.
        try:
            row: list[Cell] = [
                (
                    None
                    if not cell or cell.isspace()
                    else cell
                    if len(cell) <= max_chars
                    else _too_long()
                )
                if type(cell) is str
                else cell
                for cell in raw
            ]
        except _CellTooLong:
            raise _cell_too_large(number, raw, len(pad), max_chars) from None
        if row.count(None) == len(row):
            continue
        yield number, (pad + row if pad else row)


def _cell_too_large(number: int, raw: Sequence[Any], offset: int, max_chars: int) -> ReadError:
    # The first string over the limit names the cell, be it only whitespace.
    index, length = next(
        (i, len(cell)) for i, cell in enumerate(raw) if type(cell) is str and len(cell) > max_chars
    )
    return cell_too_large(number, offset + index, length, max_chars)


def cell_too_large(number: int, column: int, length: int, max_chars: int) -> ReadError:
    """The error for cell ``column`` (0-based) of row ``number``, ``length`` characters long."""
    return ReadError(
        ReadErrorKind.TOO_LARGE,
        f"Cell {column_letter(column)}{number} holds {length:,} characters; "
        f"the limit is {max_chars:,}.",
    )


def first_row(rows: Iterator[Numbered], kind: ReadErrorKind, message: str) -> Numbered:
    """The next row, or ``ReadError(kind, message)`` when there is none."""
    for item in rows:
        return item
    raise ReadError(kind, message)


def check_row_count(path: Path, count: int, max_rows: int) -> None:
    """Refuse the whole file when it has more data rows than one import may hold."""
    if count > max_rows:
        raise ReadError(
            ReadErrorKind.TOO_MANY_ROWS,
            f'"{path.name}" has {count:,} data rows; at most {max_rows:,} rows can be '
            "imported from one file. Split it into smaller files.",
        )
