"""The blocklist file importer (cec_07_0748): read -> validate -> classify -> write.

Counts: ``succNum`` numbers added; ``repeatNum`` rows whose number came earlier in the file or is
already listed and active; ``failNum`` invalid rows (kept for the failure report); ``blackNum``
is always 0. An expired entry is replaced by the file's row, as with the JSON add. Everything is
written in one transaction under the tenant's blocklist lock: all of the file or nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from openisales.domain.blocklist_template import (
    BlocklistColumns,
    BlocklistRecord,
    map_blocklist_header,
    validate_blocklist_row,
)
from openisales.domain.cells import Cell
from openisales.domain.records import RowError
from openisales.domain.template import TemplateError
from openisales.domain.validation import is_blank, original_cells_as_text
from openisales.readers import ReadError
from openisales.services.blocklist import is_active
from openisales.services.import_lifecycle import TaskFailed
from openisales.services.import_run import (
    TaskContext,
    complete,
    progress_reporter,
    summary,
)
from openisales.services.reader_process import ReaderCrashed, crash_message, sheet_in_child
from openisales.services.runtime import Runtime
from openisales.storage import blocklist as blocklist_rows
from openisales.storage import import_tasks as task_rows
from openisales.storage import tenants as tenant_rows

PROGRESS_EVERY_ROWS = 20_000


@dataclass
class ValidatedEntries:
    records: list[BlocklistRecord] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)
    failed_rows: int = 0
    total: int = 0


def import_blocklist_file(rt: Runtime, context: TaskContext, owner: str, path: Path) -> None:
    """Read, validate and store a blocklist file; TaskFailed if unreadable, misheaded or crashed."""
    settings = rt.settings
    try:
        # Read in a capped child process (reader_process); validated here as the rows arrive.
        with sheet_in_child(
            path,
            memory_limit=settings.reader_memory_limit_bytes,
            max_rows=settings.max_import_rows,
            max_uncompressed_bytes=settings.max_unpacked_bytes,
        ) as sheet:
            columns = map_blocklist_header(sheet.header)
            validated = validate_rows(
                sheet.rows,
                columns,
                now=rt.clock(),
                zone=ZoneInfo(context.time_zone),
                progress=progress_reporter(rt, context.task_id, owner),
            )
    except ReadError as exc:  # raised by open_sheet, and by the rows for an oversized cell
        raise TaskFailed(exc.message) from exc
    except TemplateError as exc:
        raise TaskFailed(str(exc)) from exc
    except ReaderCrashed as crash:
        message = crash_message(
            path,
            crash,
            memory_limit=settings.reader_memory_limit_bytes,
            max_uncompressed_bytes=settings.max_unpacked_bytes,
        )
        raise TaskFailed(message) from crash
    _write(rt, context, owner, validated, list(columns.header))


def validate_rows(
    rows: Iterable[tuple[int, list[Cell]]],
    columns: BlocklistColumns,
    *,
    now: datetime,
    zone: tzinfo,
    progress: Callable[[int], None] | None = None,
) -> ValidatedEntries:
    """Validate every non-blank row; rejected rows keep their original cells for the report."""
    out = ValidatedEntries()
    for row_number, cells in rows:
        if is_blank(cells):
            continue
        out.total += 1
        result = validate_blocklist_row(cells, columns, row_number, now=now, zone=zone)
        if isinstance(result, list):
            out.failed_rows += 1
            out.failures.extend(_failure_rows(result, cells, len(out.failures)))
        else:
            out.records.append(result)
        if progress is not None and out.total % PROGRESS_EVERY_ROWS == 0:
            progress(out.total)
    return out


def _failure_rows(
    errors: list[RowError], cells: list[Cell], seq_start: int
) -> list[dict[str, Any]]:
    original = original_cells_as_text(cells)
    return [
        {
            "seq": seq_start + i,
            "row_number": error.row,
            "column_name": error.column[:64],
            "code": error.code,
            "rule": error.rule[:64],
            "message": error.message,
            "cells": original,
        }
        for i, error in enumerate(errors)
    ]


def _write(
    rt: Runtime, context: TaskContext, owner: str, validated: ValidatedEntries, header: list[str]
) -> None:
    now = rt.clock()
    with rt.db.transaction() as session:
        tenant_rows.lock(session, context.vdn_id)
        numbers = list(dict.fromkeys(record.number for record in validated.records))
        existing = blocklist_rows.find(session, context.vdn_id, numbers)
        listed = {entry.number for entry in existing if is_active(entry, now)}
        rows = _classify(context.vdn_id, validated.records, listed, now)
        expired = [entry.number for entry in existing if entry.number not in listed]
        if not context.validate_only:  # a dry run counts what it would change
            blocklist_rows.delete_numbers(session, context.vdn_id, expired)
            blocklist_rows.add_many(session, rows)
        task_rows.add_failures(session, context.task_id, validated.failures)
        complete(
            session,
            rt,
            context,
            owner,
            total_num=validated.total,
            processed_num=validated.total,
            succ_num=len(rows),
            repeat_num=len(validated.records) - len(rows),
            fail_num=validated.failed_rows,
            black_num=0,
            err_msg=summary(context, validated.failed_rows),
            source_header=header,
        )


def _classify(
    vdn_id: int, records: list[BlocklistRecord], listed: set[str], now: datetime
) -> list[dict[str, Any]]:
    """The rows to insert: the first row of each number that is not listed and active."""
    seen = set(listed)
    rows: list[dict[str, Any]] = []
    for record in records:
        if record.number in seen:
            continue
        seen.add(record.number)
        rows.append(
            {
                "vdn_id": vdn_id,
                "number": record.number,
                "expires_at": record.expires_at,
                "restrict_times": record.restrict_times,
                "restrict_period": record.restrict_period,
                "created_at": now,
            }
        )
    return rows
