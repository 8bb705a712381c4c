"""The call-data importer: read -> validate -> classify -> write, for one fetched file.

Rows are validated as they stream from the reader; the classification (duplicate, blocked,
accepted) and the bulk write happen in one transaction under the campaign's lock, so the
duplicate check still holds at commit and the task imports all its accepted rows or none.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openisales.domain.template import ColumnMap, TemplateError, map_header
from openisales.domain.validation import (
    CallRecord,
    RowError,
    is_blank,
    original_cells_as_text,
    validate_row,
)
from openisales.readers import ReadError, open_sheet
from openisales.services.import_run import (
    TaskContext,
    TaskFailed,
    complete,
    gc_paused,
    importer,
    progress_reporter,
    stage,
)
from openisales.services.runtime import Runtime
from openisales.storage import calldata as record_rows
from openisales.storage import campaigns as campaign_rows
from openisales.storage import import_tasks as task_rows
from openisales.storage.bulk import load_records
from openisales.storage.calldata import RecordStatus

PROGRESS_EVERY_ROWS = 20_000
INTELLIGENT_IVR = 1


@dataclass
class Validated:
    records: list[tuple[int, CallRecord]] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)
    failed_rows: int = 0
    total: int = 0


@importer("calldata")
def import_calldata_file(rt: Runtime, context: TaskContext, owner: str, path: Path) -> None:
    with gc_paused():
        validated, header = _read_and_validate(rt, context, owner, path)
        _write(rt, context, owner, validated, header)


def _read_and_validate(
    rt: Runtime, context: TaskContext, owner: str, path: Path
) -> tuple[Validated, list[str]]:
    """Every row validated; the sheet itself is freed when this returns."""
    try:
        with stage(context, "read"):
            sheet = open_sheet(path, max_rows=rt.settings.max_import_rows)
            columns = map_header(sheet.header)
        with stage(context, "validate"):
            validated = validate_rows(
                sheet.rows,
                columns,
                call_data_must_be_json=context.device_type == INTELLIGENT_IVR,
                progress=progress_reporter(rt, context.task_id, owner),
            )
    except ReadError as exc:  # raised by open_sheet, and by the rows for an oversized cell
        raise TaskFailed(exc.message) from exc
    except TemplateError as exc:
        raise TaskFailed(str(exc)) from exc
    return validated, list(columns.header)


def validate_rows(
    rows: Any,
    columns: ColumnMap,
    *,
    call_data_must_be_json: bool,
    progress: Callable[[int], None] | None = None,
) -> Validated:
    """Validate every non-blank row; rejected rows keep their original cells for the report."""
    out = Validated()
    for row_number, cells in rows:
        if is_blank(cells):
            continue
        out.total += 1
        result = validate_row(
            cells, columns, row_number, call_data_must_be_json=call_data_must_be_json
        )
        if isinstance(result, list):
            out.failed_rows += 1
            out.failures.extend(_failure_rows(result, cells, len(out.failures)))
        else:
            out.records.append((row_number, result))
        if progress is not None and out.total % PROGRESS_EVERY_ROWS == 0:
            progress(out.total)
    return out


def _failure_rows(errors: list[RowError], cells: Any, seq_start: int) -> list[dict[str, Any]]:
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


def called_key(record: CallRecord) -> str:
    return ",".join(sorted({number.called_no for number in record.called}))


_encode_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def called_json(record: CallRecord) -> str:
    """The numbers as stored: ``[{"calledNo":..,"delayTime":..,"type"?:..}]``."""
    return _encode_json(
        [
            {"calledNo": n.called_no, "delayTime": n.delay_time}
            if n.type is None
            else {"calledNo": n.called_no, "delayTime": n.delay_time, "type": n.type}
            for n in record.called
        ]
    )


def _write(
    rt: Runtime, context: TaskContext, owner: str, validated: Validated, header: list[str]
) -> None:
    """Classify against the campaign and commit everything at once, under the campaign lock."""
    if context.campaign_pk is None:
        raise TaskFailed("a call-data import task must belong to a campaign")
    now = rt.clock()
    with rt.db.transaction() as session:
        # Serialises writers of one campaign, so the duplicate check below stays true at commit.
        campaign_rows.lock(session, context.campaign_pk)
        with stage(context, "classify"):
            seen = record_rows.identity_keys(session, context.campaign_pk)
            blocked = record_rows.active_blocked_numbers(session, context.vdn_id, now)
            rows, repeat, black = _classify(context, validated, seen, blocked)
            validated.records.clear()  # the rows hold everything now; free the records early
        with stage(context, "write"):
            load_records(session, rows, now)
            task_rows.add_failures(session, context.task_id, validated.failures)
        complete(
            session,
            rt,
            context,
            owner,
            total_num=validated.total,
            processed_num=validated.total,
            succ_num=len(rows) - black,
            repeat_num=repeat,
            fail_num=validated.failed_rows,
            black_num=black,
            err_msg=_summary(validated.failed_rows),
            source_header=header,
        )


def _classify(
    context: TaskContext,
    validated: Validated,
    seen: set[tuple[str, str]],
    blocked: set[str],
) -> tuple[list[tuple[Any, ...]], int, int]:
    """Rows to insert (bulk.RECORD_COLUMNS order), duplicates skipped, blocked rows marked."""
    rows: list[tuple[Any, ...]] = []
    repeat = black = 0
    campaign_pk, task_id = context.campaign_pk, context.task_id
    pending, blocked_status = int(RecordStatus.PENDING), int(RecordStatus.BLOCKED)
    for row_number, record in validated.records:
        key = called_key(record)
        identity = (record.session_id, key)
        if identity in seen:
            repeat += 1
            continue
        seen.add(identity)
        status = pending
        if blocked and any(n.called_no in blocked for n in record.called):
            status = blocked_status
            black += 1
        rows.append(
            (
                campaign_pk,
                record.session_id,
                key,
                called_json(record),
                record.caller,
                record.custom_field,
                record.recycle_time,
                record.call_data,
                record.priority,
                status,
                task_id,
                row_number,
            )
        )
    return rows, repeat, black


def _summary(failed_rows: int) -> str:
    if not failed_rows:
        return ""
    return (
        f"{failed_rows} rows failed validation; download the failure report for each row and reason"
    )
