"""Read and validate a call-data file into rows ready for the bulk load, in chunks.

This is the CPU-heavy half of an import. For a large file it runs in a child process while the
worker's own process writes the chunks it receives, so both cores work; for a small file it runs
in place, where starting a process would cost more than it saves. Both ways run the same code
and give the same rows.
"""

from __future__ import annotations

import gc
import json
import pickle
import subprocess
import sys
import time
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openisales.domain.template import TemplateError, map_header
from openisales.domain.validation import (
    CallRecord,
    RowError,
    is_blank,
    original_cells_as_text,
    validate_row,
)
from openisales.readers import ReadError, open_sheet

CHUNK_ROWS = 20_000
PENDING, BLOCKED = 0, 1  # storage.calldata.RecordStatus, kept import-free for the child process


@dataclass(frozen=True)
class RowSpec:
    """What the producer needs to know about the task; picklable, for the child process."""

    campaign_pk: int
    task_id: str
    max_rows: int
    call_data_must_be_json: bool
    blocked: frozenset[str]  # the tenant's active blocklist when the task started


@dataclass
class Chunk:
    """Rows in storage.bulk.RECORD_COLUMNS order, and failure rows for the report."""

    rows: list[tuple[Any, ...]]
    failures: list[tuple[int, str, str, str, str, list[str]]]
    total: int  # non-blank data rows seen so far
    failed_rows: int  # rows rejected so far
    validate_seconds: float = 0.0  # spent validating so far (not waiting for the reader)


@dataclass(frozen=True)
class Header:
    columns: list[str]
    read_seconds: float  # loading the sheet, before the first row is validated


class FileRejected(Exception):
    """The whole file cannot be imported (unreadable, no called column, too many rows...)."""


def called_key(record: CallRecord) -> str:
    """The record's identity with its sessionId: its distinct numbers, sorted."""
    return ",".join(sorted({number.called_no for number in record.called}))


_encode_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def called_json(record: CallRecord) -> str:
    """The numbers as stored: ``[{"calledNo":..,"delayTime":..,"type"?:..}]``.

    Written by hand, five times faster than json.dumps: a validated calledNo holds only
    ``0-9 * #`` and delayTime is an int, so only ``type`` needs JSON escaping.
    """
    parts = [
        f'{{"calledNo":"{n.called_no}","delayTime":{n.delay_time}}}'
        if n.type is None
        else f'{{"calledNo":"{n.called_no}","delayTime":{n.delay_time},"type":{_encode_json(n.type)}}}'
        for n in record.called
    ]
    return "[" + ",".join(parts) + "]"


def produce(path: Path, spec: RowSpec) -> Messages:
    """The header, then chunks of rows until the file ends; FileRejected on failure."""
    try:
        began = time.perf_counter()
        sheet = open_sheet(path, max_rows=spec.max_rows)
        columns = map_header(sheet.header)
        yield Header(list(columns.header), time.perf_counter() - began)
        chunk = Chunk([], [], 0, 0)
        resumed = time.perf_counter()
        for row_number, cells in sheet.rows:
            if is_blank(cells):
                continue
            chunk.total += 1
            result = validate_row(
                cells, columns, row_number, call_data_must_be_json=spec.call_data_must_be_json
            )
            if isinstance(result, list):
                chunk.failed_rows += 1
                chunk.failures.extend(_failure_rows(result, cells))
            else:
                chunk.rows.append(_row(spec, row_number, result))
            if len(chunk.rows) + len(chunk.failures) >= CHUNK_ROWS:
                chunk.validate_seconds += time.perf_counter() - resumed
                yield chunk  # the time the consumer takes is not validation time
                resumed = time.perf_counter()
                chunk = Chunk([], [], chunk.total, chunk.failed_rows, chunk.validate_seconds)
        chunk.validate_seconds += time.perf_counter() - resumed
        yield chunk
    except ReadError as exc:  # open_sheet, and the rows themselves for an oversized cell
        raise FileRejected(exc.message) from exc
    except TemplateError as exc:
        raise FileRejected(str(exc)) from exc


def _row(spec: RowSpec, row_number: int, record: CallRecord) -> tuple[Any, ...]:
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
        BLOCKED if blocked else PENDING,
        spec.task_id,
        row_number,
    )


def _failure_rows(
    errors: list[RowError], cells: Any
) -> list[tuple[int, str, str, str, str, list[str]]]:
    original = original_cells_as_text(cells)
    return [(e.row, e.column[:64], e.code, e.rule[:64], e.message, original) for e in errors]


Messages = Generator[Header | Chunk, None, None]


def stream(path: Path, spec: RowSpec, *, in_child: bool) -> Messages:
    """The producer's messages, from a child process or from this one; close() stops it."""
    return _from_child(path, spec) if in_child else produce(path, spec)


def _from_child(path: Path, spec: RowSpec) -> Messages:
    # A fresh interpreter (not fork: the worker may share its process with the API's threads),
    # started by module name so that it does not depend on how the parent was started.
    child = subprocess.Popen(
        [sys.executable, "-m", "openisales.services.calldata_rows"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert child.stdin is not None and child.stdout is not None
    try:
        pickle.dump((path, spec), child.stdin)
        child.stdin.close()
        while True:
            try:
                kind, payload = pickle.load(child.stdout)
            except EOFError:
                code = child.wait()
                raise RuntimeError(
                    f"the validating process ended unexpectedly (exit code {code})"
                ) from None
            if kind == "done":
                return
            if kind == "rejected":
                raise FileRejected(payload)
            yield payload
    finally:
        child.stdout.close()
        if child.poll() is None:
            child.kill()
        child.wait()


def _child_main() -> None:
    """Read the task from stdin, write pickled messages to stdout."""
    gc.disable()  # millions of acyclic objects: see import_run.gc_paused
    path, spec = pickle.load(sys.stdin.buffer)
    out = sys.stdout.buffer
    try:
        for message in produce(path, spec):
            pickle.dump(("data", message), out, protocol=pickle.HIGHEST_PROTOCOL)
        pickle.dump(("done", None), out)
    except FileRejected as exc:
        pickle.dump(("rejected", str(exc)), out)
    out.flush()


if __name__ == "__main__":
    # Run from the module imported under its real name, so that what it pickles names
    # openisales.services.calldata_rows and not __main__.
    from openisales.services import calldata_rows

    calldata_rows._child_main()
