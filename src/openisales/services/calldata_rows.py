"""Read and validate a call-data file into rows ready for the bulk load, in chunks.

This is the CPU-heavy half of an import. It runs in a child process (``reader_process``: its
memory is capped, so no file can take the worker down) while the worker's own process writes the
chunks it receives, so both cores work.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

import polars as pl

from openisales.domain.cell_batch import CellBatch, batch_from_rows
from openisales.domain.cells import Cell
from openisales.domain.columnar_rules import decide
from openisales.domain.record_row import (
    RECORD_COLUMNS,
    RecordRow,
    RecordStatus,
    rows_frame,
)
from openisales.domain.template import ColumnMap, TemplateError, map_header
from openisales.domain.validation import (
    CalledNumber,
    CallRecord,
    RowError,
    is_blank,
    original_cells_as_text,
    validate_row,
)
from openisales.readers import MAX_UNPACKED_BYTES, ReadError, Sheet, open_sheet
from openisales.readers.detect import detect_format
from openisales.readers.sheet import reading_limits
from openisales.readers.xlsx_columns import ColumnarSheet, NotColumnar, open_columnar
from openisales.services.reader_process import ReaderCrashed, crash_message, run_in_child

CHUNK_ROWS = 20_000  # rows per chunk of the per-row reader (the sheet is in memory already)
# Rows per batch of the columnar reader: 10,000 held the reader's child at ~215 MiB and the
# worker at ~240 MiB for the 500,000-row benchmark file, 25,000 at ~290 and ~330 MiB, in the
# same time (bench/README.md).
COLUMNAR_ROWS = 10_000


@dataclass(frozen=True)
class RowSpec:
    """What the producer needs to know about the task; picklable, for the child process."""

    campaign_pk: int
    task_id: str
    max_rows: int
    call_data_must_be_json: bool
    blocked: frozenset[str]  # the tenant's active blocklist when the task started
    max_unpacked_bytes: int = MAX_UNPACKED_BYTES
    default_region: str | None = None  # the tenant's: numbers are read with libphonenumber


@dataclass
class Chunk:
    """A frame of record rows (``domain.record_row`` layout), and failure rows for the report."""

    rows: pl.DataFrame
    failures: list[tuple[int, str, str, str, str, list[str]]]
    total: int  # non-blank data rows seen so far
    failed_rows: int  # rows rejected so far
    validate_seconds: float = 0.0  # spent validating so far (not waiting for the reader)
    read_seconds: float = 0.0  # spent reading so far, the sheet's opening included
    reader: str = ""  # which reader read the rows so far, for the log
    width: int = 0  # sheet columns seen so far: failure rows and the header are padded to it

    # A chunk crosses from the reader's process as Arrow IPC: half the time of polars' pickle.
    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        buffer = io.BytesIO()
        self.rows.write_ipc(buffer, compression="uncompressed")
        state["rows"] = buffer.getvalue()
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state["rows"] = pl.read_ipc(io.BytesIO(state["rows"]))
        self.__dict__.update(state)


@dataclass(frozen=True)
class Header:
    columns: list[str]
    read_seconds: float  # loading the sheet, before the first row is validated


class FileRejected(Exception):
    """The whole file cannot be imported (unreadable, no called column, too many rows...)."""


def number_identity(number: CalledNumber) -> str:
    """Who the number reaches: its E.164 form when it was read in a default region, so
    ``013800001234`` and ``+8613800001234`` are one customer; else the number as written."""
    return number.called_no if number.phone is None else number.phone.e164


def called_key(record: CallRecord) -> str:
    """The record's identity with its sessionId: its distinct numbers (``number_identity``),
    sorted."""
    return ",".join(sorted({number_identity(n) for n in record.called}))


_encode_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def called_json(record: CallRecord) -> str:
    """The numbers as stored: ``[{"calledNo":..,"delayTime":..,"type"?:..}]``.

    Written by hand, five times faster than json.dumps: a validated calledNo holds only
    ``0-9 * # +`` and delayTime is an int, so only ``type`` needs JSON escaping. A number read in
    a default region adds ``"e164"``, ``"numberType"`` and ``"timeZone"`` (when it has one).
    """
    parts = [
        f'{{"calledNo":"{n.called_no}","delayTime":{n.delay_time}}}'
        if n.type is None
        else f'{{"calledNo":"{n.called_no}","delayTime":{n.delay_time},"type":{_encode_json(n.type)}}}'
        for n in record.called
    ]
    if any(n.phone is not None for n in record.called):
        parts = [_with_phone(part, n) for part, n in zip(parts, record.called, strict=True)]
    return "[" + ",".join(parts) + "]"


def _with_phone(part: str, number: CalledNumber) -> str:
    """One element of ``called_json`` with what libphonenumber read in it (ASCII names only)."""
    phone = number.phone
    if phone is None:
        return part
    zone = "" if phone.time_zone is None else f',"timeZone":"{phone.time_zone}"'
    return f'{part[:-1]},"e164":"{phone.e164}","numberType":"{phone.number_type}"{zone}}}'


def produce(path: Path, spec: RowSpec) -> Messages:
    """The header, then a chunk of record rows per batch of sheet rows; FileRejected on failure.

    Each batch is checked by the column rules (``domain.columnar_rules``) and only the rows they
    cannot decide go through the per-row validator, the rules' oracle.
    """
    try:
        began = time.perf_counter()
        rows = FileRows(path, spec)
        columns = map_header(rows.header)
        read_seconds = time.perf_counter() - began
        yield Header(list(columns.header), read_seconds)
        progress = Chunk(
            rows_frame([]), [], 0, 0, read_seconds=read_seconds, width=len(rows.header)
        )
        batches = rows.batches()
        blocked = _is_blocked(spec.blocked)  # once: a tenant's blocklist may be a million long
        while (batch := _timed_next(batches, progress)) is not None:
            resumed = time.perf_counter()
            progress = _checked(batch, columns, spec, blocked, progress)
            progress.validate_seconds += time.perf_counter() - resumed
            progress.reader = rows.reader
            yield progress  # the time the consumer takes is neither reading nor validation
    except ReadError as exc:  # the readers, also while they read the rows
        raise FileRejected(exc.message) from exc
    except TemplateError as exc:
        raise FileRejected(str(exc)) from exc


class FileRows:
    """A file's rows in batches: streamed by the columnar xlsx reader when it can read the file,
    else by the per-row reader, which also takes over from the row where the columnar reader
    met something it does not read (``NotColumnar``): both give the same rows."""

    def __init__(self, path: Path, spec: RowSpec) -> None:
        self._path = path
        self._limits = reading_limits(spec.max_rows, spec.max_unpacked_bytes)
        self._columnar: ColumnarSheet | None = None
        self.reader = "per-row"
        if detect_format(path, spec.max_unpacked_bytes) == "xlsx":
            try:
                self._columnar = open_columnar(path, self._limits, batch_rows=COLUMNAR_ROWS)
                self.reader = "columnar"
            except NotColumnar as exc:
                self.reader = f"per-row: {exc.reason}"
        if self._columnar is None:
            self._sheet: Sheet | None = self._open_sheet()
            self.header: list[Cell] = self._sheet.header
        else:
            self._sheet = None
            self.header = self._columnar.header

    def _open_sheet(self) -> Sheet:
        limits = self._limits
        return open_sheet(
            self._path,
            max_rows=limits.max_rows,
            max_uncompressed_bytes=limits.max_uncompressed_bytes,
        )

    def batches(self) -> Iterator[SheetRows]:
        """The data rows after the header, in row order."""
        done = 0  # the last sheet row handed over
        if self._columnar is not None:
            try:
                for batch in self._columnar.batches:
                    done = batch.row_number(len(batch) - 1) if len(batch) else done
                    yield SheetRows(batch, batch.cells, [], batch.width)
                width = self._columnar.width  # final now: the used range's last column
                yield SheetRows(batch_from_rows([], width), _no_cells, [], width)
                return
            except NotColumnar as exc:
                self.reader = f"columnar to row {done}, then per-row: {exc.reason}"
                self._sheet = self._open_sheet()
        assert self._sheet is not None
        width = len(self._sheet.header)
        rows = (row for row in self._sheet.rows if row[0] > done)
        yield from row_batches(rows, width, CHUNK_ROWS)


def _timed_next(batches: Iterator[SheetRows], progress: Chunk) -> SheetRows | None:
    """The next batch of rows (None at the end), its reading time added to ``progress``."""
    began = time.perf_counter()
    rows = next(batches, None)
    progress.read_seconds += time.perf_counter() - began
    return rows


@dataclass(frozen=True)
class SheetRows:
    """Rows of a sheet in a batch the column rules read, and those a batch cannot hold."""

    batch: CellBatch
    cells: Callable[[int], Sequence[Cell]]  # the cells of the batch's i-th row, as read
    others: list[tuple[int, list[Cell]]]  # rows with a date, boolean... cell: per-row only
    width: int  # the sheet's columns known after these rows


def row_batches(
    rows: Iterator[tuple[int, list[Cell]]], width: int, size: int
) -> Iterator[SheetRows]:
    """The per-row reader's rows, ``size`` at a time, as batches of text and number cells."""
    while True:
        read = list(islice(rows, size))
        if not read:
            return
        taken = [row for row in read if not is_blank(row[1])]
        plain = [row for row in taken if _plain(row[1])]
        others = [row for row in taken if not _plain(row[1])] if len(plain) < len(taken) else []
        originals = [cells for _, cells in plain]
        yield SheetRows(batch_from_rows(plain, width), originals.__getitem__, others, width)


def _no_cells(index: int) -> Sequence[Cell]:
    raise IndexError(index)


def _plain(cells: Sequence[Cell]) -> bool:
    """True when a cell batch can hold every cell of the row (text, floats and empty cells)."""
    return all(cell is None or type(cell) is str or type(cell) is float for cell in cells)


def _checked(
    rows: SheetRows, columns: ColumnMap, spec: RowSpec, blocked: pl.Expr, before: Chunk
) -> Chunk:
    """One chunk: the batch's rows decided by the column rules, the others validated per row.

    ``blocked``: ``_is_blocked`` of the task's blocklist.
    """
    decided = decide(
        rows.batch,
        columns,
        call_data_must_be_json=spec.call_data_must_be_json,
        default_region=spec.default_region,
    )
    chunk = Chunk(
        _decided_records(decided.records, spec, blocked),
        [],
        before.total + len(rows.batch) + len(rows.others),
        before.failed_rows,
        before.validate_seconds,
        before.read_seconds,
        before.reader,
        width=max(before.width, rows.width),
    )
    slow = [(rows.batch.row_number(i), rows.cells(i)) for i in decided.undecided.to_list()]
    slow.extend(rows.others)
    slow.sort(key=lambda row: row[0])
    records: list[RecordRow] = []
    for row_number, cells in slow:
        result = validate_row(
            cells,
            columns,
            row_number,
            call_data_must_be_json=spec.call_data_must_be_json,
            default_region=spec.default_region,
        )
        if isinstance(result, list):
            chunk.failed_rows += 1
            chunk.failures.extend(_failure_rows(result, cells))
        else:
            records.append(_row(spec, row_number, result))
    if records:
        chunk.rows = pl.concat([chunk.rows, rows_frame(records)]).sort("row_number")
    return chunk


def _is_blocked(numbers: frozenset[str]) -> pl.Expr:
    """True for a decided record one of whose numbers is in ``numbers`` (the blocklist, as
    ``_row`` checks it for the others)."""
    if not numbers:
        return pl.lit(False)
    listed = pl.Series("blocked", list(numbers), dtype=pl.Utf8)
    return pl.col("numbers").list.eval(pl.element().is_in(listed.implode())).list.any()


def _decided_records(records: pl.DataFrame, spec: RowSpec, blocked: pl.Expr) -> pl.DataFrame:
    """The rules' accepted rows as record rows of the task: campaign, task id and status."""
    return records.with_columns(
        campaign_pk=pl.lit(spec.campaign_pk, pl.Int64),
        status=pl.when(blocked)
        .then(pl.lit(int(RecordStatus.BLOCKED), pl.Int64))
        .otherwise(pl.lit(int(RecordStatus.PENDING), pl.Int64)),
        import_task_id=pl.lit(spec.task_id, pl.Utf8),
    ).select(RECORD_COLUMNS)


def _row(spec: RowSpec, row_number: int, record: CallRecord) -> RecordRow:
    # Positional, in RECORD_SCHEMA order (a tuple is the cheapest row to build): checked by
    # tests/unit/test_record_row.py against the schema, by name.
    blocked = bool(spec.blocked) and any(n.called_no in spec.blocked for n in record.called)
    return (
        spec.campaign_pk,
        record.session_id,
        called_key(record),
        called_json(record),
        record.caller,
        record.custom_field,
        record.recycle_time,
        record.call_data,
        record.priority,
        RecordStatus.BLOCKED if blocked else RecordStatus.PENDING,
        spec.task_id,
        row_number,
    )


def _failure_rows(
    errors: list[RowError], cells: Any
) -> list[tuple[int, str, str, str, str, list[str]]]:
    original = original_cells_as_text(cells)
    return [(e.row, e.column[:64], e.code, e.rule[:64], e.message, original) for e in errors]


Messages = Generator[Header | Chunk, None, None]


def stream(path: Path, spec: RowSpec, *, memory_limit: int) -> Messages:
    """The producer's messages, computed in a capped child process; close() stops it.

    A child that dies (out of its memory limit, killed) is ``FileRejected`` with the reason.
    """
    try:
        yield from run_in_child(produce, (path, spec), memory_limit=memory_limit)
    except ReaderCrashed as crash:
        message = crash_message(
            path,
            crash,
            memory_limit=memory_limit,
            max_uncompressed_bytes=spec.max_unpacked_bytes,
        )
        raise FileRejected(message) from crash
