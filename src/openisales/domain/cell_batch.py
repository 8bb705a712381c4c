"""A batch of sheet rows as columns: what the columnar import reads and checks.

The per-row reader hands over a Python list of cells per row; the columnar reader hands over
polars frames of up to a few ten thousand rows in which no cell is a Python object. A cell of
an imported file is text, a number or empty (a file with any other kind of cell, a date or a
boolean, takes the per-row path), so every sheet column ``i`` is two frame columns:

* ``t{i}`` (Utf8): the cell's text when it is a text cell, else null;
* ``n{i}`` (Float64): the cell's value when it is a number cell, else null.

``row`` (Int64) is the sheet row number as Excel shows it. The rows are cleaned as the per-row
reader cleans them (``readers.rows.clean_rows``): an empty or whitespace-only text is null, and
a row with nothing left is not in the batch at all. ``cells`` turns a row back into the cells
the per-row reader would have given, for the validator of the rows the column rules cannot
decide.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from openisales.domain.cells import Cell

ROW = "row"


def text_column(index: int) -> str:
    """The frame column of sheet column ``index``'s text cells."""
    return f"t{index}"


def number_column(index: int) -> str:
    """The frame column of sheet column ``index``'s number cells."""
    return f"n{index}"


def batch_schema(width: int) -> dict[str, pl.DataType]:
    """The frame layout of a batch of ``width`` sheet columns, in order."""
    schema: dict[str, pl.DataType] = {ROW: pl.Int64()}
    for index in range(width):
        schema[text_column(index)] = pl.Utf8()
        schema[number_column(index)] = pl.Float64()
    return schema


@dataclass(frozen=True)
class CellBatch:
    """Rows of a sheet as a frame (the module's layout) over ``width`` sheet columns."""

    frame: pl.DataFrame
    width: int

    def __len__(self) -> int:
        return self.frame.height

    def cells(self, index: int) -> list[Cell]:
        """The cells of the frame's ``index``-th row, as the per-row reader gives them."""
        values = self.frame.row(index)
        return [
            values[1 + 2 * column] if values[1 + 2 * column] is not None else values[2 + 2 * column]
            for column in range(self.width)
        ]

    def row_number(self, index: int) -> int:
        """The sheet row number of the frame's ``index``-th row."""
        return int(self.frame[ROW][index])


def batch_from_rows(rows: Sequence[tuple[int, Sequence[Cell]]], width: int) -> CellBatch:
    """A batch from ``(row number, cells)`` of text, number and empty cells (tests, fallbacks).

    The cells must already be cleaned (no whitespace-only text); a cell of another kind is a
    ValueError: the layout cannot hold it.
    """
    columns: dict[str, list[object]] = {name: [] for name in batch_schema(width)}
    for number, cells in rows:
        columns[ROW].append(number)
        for index in range(width):
            cell = cells[index] if index < len(cells) else None
            text = cell if type(cell) is str else None
            value = cell if type(cell) is float else None  # xlsx numbers are floats
            if cell is not None and text is None and value is None:
                raise ValueError(f"a cell batch holds text and numbers only, not {cell!r}")
            columns[text_column(index)].append(text)
            columns[number_column(index)].append(value)
    return CellBatch(pl.DataFrame(columns, schema=batch_schema(width)), width)
