"""A streaming, columnar reader of xlsx sheets: cell batches without a Python object per cell.

``open_columnar`` reads the first visible worksheet of an xlsx as ``CellBatch`` frames (layout
in ``domain.cell_batch``) straight from the inflating sheet XML, a block of about 4 MiB at a
time, with polars doing the cell work (``xlsx_cells``). It gives exactly what the per-row
reader (python-calamine through ``open_sheet``) gives — the same header, row numbers and cell
values, the same ``ReadError``s — or it raises ``NotColumnar`` and the caller reads the file
the per-row way. What it does not know (booleans, errors, dates, rich inline strings, unusual
XML...) is ``NotColumnar``, raised as early as it is seen, mid-file too.

The per-row reader checks a file in this order, on the whole sheet calamine has built: empty
sheet, used range, header (a too-long header cell), row count (a too-long cell below the header
first), header only, then each row's too-long cells as it is iterated. A stream knows the used
range only at its end, so once one of these failures is certain this reader stops producing
batches, reads the rest of the sheet for its extent and row count, and raises what the per-row
reader would have raised first.
"""

from __future__ import annotations

import os
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from openisales.domain.cell_batch import (
    ROW,
    CellBatch,
    batch_schema,
    number_column,
    text_column,
)
from openisales.domain.cells import Cell
from openisales.readers.model import Limits, ReadError, ReadErrorKind
from openisales.readers.rows import cell_too_large, check_row_count
from openisales.readers.xlsx_book import date_styles, locate, prefetched, shared_strings
from openisales.readers.xlsx_cells import SheetCells, scalar_int, sheet_blocks
from openisales.readers.xlsx_scan import UsedRange, check_before_reading, check_used_range
from openisales.readers.xlsx_xml import NotColumnar

__all__ = ["ColumnarSheet", "NotColumnar", "open_columnar"]

_BATCH_TEXT_BYTES = 64 << 20  # a batch is cut early when its text gets this large
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    EOFError,
    NotImplementedError,
    RuntimeError,
)


def open_columnar(path: Path, limits: Limits, *, batch_rows: int = 50_000) -> ColumnarSheet:
    """Open the first visible worksheet of an xlsx (``detect_format`` said "xlsx").

    Returns once the header and the first data row are read; raises ``ReadError`` when
    ``open_sheet`` would raise one on opening, ``NotColumnar`` when the file is not for this
    reader. Iterating the batches can raise either too.
    """
    path = Path(path)
    try:
        archive = zipfile.ZipFile(path)
    except _ZIP_ERRORS as exc:
        raise NotColumnar(f"the zip cannot be opened ({exc})") from exc
    try:
        stream = _open_stream(path, archive, limits, batch_rows)
    except BaseException:
        archive.close()
        raise
    return ColumnarSheet(stream)


def _open_stream(path: Path, archive: zipfile.ZipFile, limits: Limits, batch_rows: int) -> _Stream:
    try:
        book = locate(archive)
        styles = date_styles(archive, book.styles_part)
        shared = shared_strings(archive, book.shared_strings_part)
    except _ZIP_ERRORS as exc:
        raise NotColumnar(f"a workbook part cannot be read ({exc})") from exc
    check_before_reading(path, book.sheet_name, limits)
    stream = _Stream(path, archive, SheetCells(shared, styles), book.sheet_part, limits)
    stream.batch_rows = max(1, batch_rows)
    try:
        stream.start()
    except BaseException:
        stream.close()
        raise
    return stream


class ColumnarSheet:
    """The first visible worksheet: its header and batches of its non-blank data rows."""

    format = "xlsx"

    def __init__(self, stream: _Stream) -> None:
        self._stream = stream
        self.header: list[Cell] = stream.header
        """The first non-blank row over the columns seen when it was read (pad to ``width``)."""
        self.header_row: int = stream.progress.header_row
        self.batches: Iterator[CellBatch] = stream.batches()
        """The data rows after the header in row order; ``width`` never decreases."""

    @property
    def width(self) -> int:
        """Columns seen so far; once ``batches`` is exhausted, calamine's used range width."""
        return self._stream.progress.width


@dataclass
class _Progress:
    """What the per-row reader's checks depend on, for the sheet read so far."""

    width: int = 0  # 1 + the last column holding a cell calamine keeps (blank text too)
    last_row: int = 0  # the last sheet row holding such a cell (0: none yet)
    header_row: int = 0  # the first non-blank row (0: none yet)
    data_rows: int = 0  # non-blank rows after the header
    long_row: int = 0  # the cell the size limit names: its row, column and length
    long_column: int = 0
    long_chars: int = 0


class _Stream:
    """Reads the sheet's blocks in order and cuts their rows into batches."""

    def __init__(
        self,
        path: Path,
        archive: zipfile.ZipFile,
        cells: SheetCells,
        part: str,
        limits: Limits,
    ) -> None:
        self.path = path
        self.archive = archive
        self.cells = cells
        self.limits = limits
        blocks = sheet_blocks(archive, part)
        self.blocks = prefetched(blocks) if _cores() > 1 else blocks
        self.progress = _Progress()
        self.header: list[Cell] = []
        self.batch_rows = 50_000
        self.failing = False  # a ReadError is certain: read on for the sheet's extent only
        self.pending: list[pl.DataFrame] = []  # data rows not yet in a batch

    def start(self) -> None:
        """Read until the header and a first data row are in, or the sheet ends (raising)."""
        while not self.pending:
            if not self._read_block():
                self._finish()
                raise AssertionError("a sheet without data rows always fails")  # pragma: no cover

    def batches(self) -> Iterator[CellBatch]:
        try:
            while True:
                more = self._read_block()
                while self._buffered_rows() >= self.batch_rows or self._buffered_bytes() > (
                    _BATCH_TEXT_BYTES
                ):
                    yield self._batch()
                if not more:
                    break
            self._finish()
            while self.pending:
                yield self._batch()
        finally:
            self.close()

    def close(self) -> None:
        """Stop reading (the inflating thread first) and close the zip."""
        self.blocks.close()
        self.archive.close()

    def _read_block(self) -> bool:
        """Read the next block; False at the end of the sheet."""
        try:
            block = next(self.blocks, None)
        except _ZIP_ERRORS as exc:
            raise NotColumnar(f"the worksheet cannot be inflated ({exc})") from exc
        if block is None:
            self.cells.finish()
            return False
        cells = self.cells.read(block)
        if cells.is_empty():
            return True
        self._extend(cells)
        self._check_lengths(cells)
        kept = (cells["text"].is_not_null() | cells["number"].is_not_null()).arg_true()
        if kept.is_empty():
            return True
        rows = cells["row"].gather(kept).unique(maintain_order=True)
        progress = self.progress
        header_here = not progress.header_row
        if header_here:
            progress.header_row = int(rows[0])
        data_rows = int((rows > progress.header_row).sum())
        progress.data_rows += data_rows
        if progress.data_rows > self.limits.max_rows:
            self.failing = True
        if self.failing:
            return True
        wide = _wide(cells, kept, progress.width)
        if header_here:
            self.header = CellBatch(wide.head(1), progress.width).cells(0)
            wide = wide.slice(1)
        if wide.height:
            self.pending.append(wide)
        return True

    def _extend(self, cells: pl.DataFrame) -> None:
        """Widen the used range by the block's cells; fail once it is over the limits."""
        progress = self.progress
        progress.width = max(progress.width, scalar_int(cells["column"].max()) + 1)
        progress.last_row = int(cells["row"][-1])
        columns, rows = progress.width, progress.last_row
        if columns > self.limits.max_columns or columns * rows > self.limits.max_cells:
            self.failing = True

    def _check_lengths(self, cells: pl.DataFrame) -> None:
        """Note the sheet's first row with a text over the cell size limit."""
        if self.progress.long_row:
            return
        over = cells.filter(pl.col("chars") > self.limits.max_cell_chars)
        rows = over.filter(pl.col("text").is_not_null())["row"]  # blank text never fails
        if rows.is_empty():
            return
        # The per-row reader names the row's first text over the limit, be it blank.
        first = over.row(over["row"].search_sorted(rows[0]), named=True)
        self.progress.long_row = first["row"]
        self.progress.long_column = first["column"]
        self.progress.long_chars = first["chars"]
        self.failing = True

    def _finish(self) -> None:
        """At the end of the sheet: raise what the per-row reader raises, if anything."""
        while self.failing and self._read_block():
            pass
        progress = self.progress
        empty = ReadError(ReadErrorKind.EMPTY, f'"{self.path.name}": the first sheet is empty.')
        if not progress.last_row:
            raise empty
        check_used_range(
            self.path.name, UsedRange(progress.last_row - 1, progress.width - 1), self.limits
        )
        if not progress.header_row:
            raise empty
        if progress.long_row == progress.header_row:
            raise self._too_long()
        if progress.data_rows > self.limits.max_rows:
            if progress.long_row:
                raise self._too_long()
            check_row_count(self.path, progress.data_rows, self.limits.max_rows)
        if not progress.data_rows:
            raise ReadError(
                ReadErrorKind.HEADER_ONLY, f'"{self.path.name}" has a header row but no data rows.'
            )
        if progress.long_row:
            raise self._too_long()

    def _too_long(self) -> ReadError:
        progress = self.progress
        return cell_too_large(
            progress.long_row, progress.long_column, progress.long_chars, self.limits.max_cell_chars
        )

    def _buffered_rows(self) -> int:
        return sum(frame.height for frame in self.pending)

    def _buffered_bytes(self) -> int:
        return sum(int(frame.estimated_size()) for frame in self.pending)

    def _batch(self) -> CellBatch:
        width = self.progress.width
        frames = pl.concat([_padded(frame, width) for frame in self.pending], rechunk=False)
        batch, rest = frames.head(self.batch_rows), frames.slice(self.batch_rows)
        self.pending = [rest] if rest.height else []
        return CellBatch(batch, width)


def _cores() -> int:
    """The cores this process may run on (a thread to inflate in costs time on one core)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _wide(cells: pl.DataFrame, kept: pl.Series, width: int) -> pl.DataFrame:
    """The ``kept`` (non-blank) cells of ``cells`` (``row``, ``column``, ``text``, ``number``,
    in sheet order) as rows of the batch layout over ``width`` columns: each cell is gathered
    into its row's slot."""
    rows = cells["row"].gather(kept)
    starts = rows != rows.shift(1)
    starts[0] = True
    index = starts.cast(pl.Int64).cum_sum() - 1
    count = int(index[-1]) + 1
    slots = pl.repeat(None, count * width, dtype=pl.Int64, eager=True)
    slots.scatter(index * width + cells["column"].gather(kept), kept.cast(pl.Int64))
    texts, numbers = cells["text"].gather(slots), cells["number"].gather(slots)
    columns = {ROW: rows.filter(starts)}
    for column in range(width):
        columns[text_column(column)] = texts.gather_every(width, column)
        columns[number_column(column)] = numbers.gather_every(width, column)
    return pl.DataFrame(columns, schema=batch_schema(width))


def _padded(frame: pl.DataFrame, width: int) -> pl.DataFrame:
    have = (frame.width - 1) // 2
    if have == width:
        return frame
    schema = batch_schema(width)
    missing = [pl.lit(None, dtype=schema[name]).alias(name) for name in list(schema)[frame.width :]]
    return frame.with_columns(missing).select(list(schema))
