"""One import task end to end: fetch -> read -> validate -> classify -> write.

Each stage is a small function; the task row records the outcome. Nothing of the file reaches
the campaign unless the final write commits, and that commit also checks that this worker still
holds the task's lease, so a task taken over by another worker is never written twice.
"""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
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
from openisales.services.runtime import Runtime
from openisales.sftp import FetchedFile, FetchError, SftpTarget, fetch_file
from openisales.storage import calldata as record_rows
from openisales.storage import campaigns as campaign_rows
from openisales.storage import import_tasks as task_rows
from openisales.storage.calldata import RecordStatus
from openisales.storage.models import Campaign, FileServer, ImportTask

log = logging.getLogger("openisales.import")

PROGRESS_EVERY_ROWS = 20_000
INTELLIGENT_IVR = 1
RETRY_BASE_SECONDS = 5.0


class LeaseLost(Exception):
    """Another worker took the task over; this run must not write anything."""


class TaskReleased(Exception):
    """The run ended early and put the task back in the queue for a later retry."""


class TaskFailed(Exception):
    """The task ends in status 3 with this message; nothing is imported."""


@dataclass
class Validated:
    records: list[tuple[int, CallRecord]] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)
    failed_rows: int = 0
    total: int = 0


@dataclass(frozen=True)
class TaskContext:
    task_id: str
    vdn_id: int
    campaign_pk: int
    device_type: int
    target: SftpTarget
    server_id: str
    file_path: str | None
    file_name: str
    attempts: int


def run_task(rt: Runtime, task: ImportTask, owner: str) -> None:
    """Run a claimed task to its end state (2 or 3), or put it back for a retry."""
    started = time.perf_counter()
    try:
        context = _load_context(rt, task)
        try:
            fetched = _fetch(rt, context, owner)
            _import_file(rt, context, owner, fetched.path)
        finally:
            shutil.rmtree(_download_dir(rt, task.task_id), ignore_errors=True)
    except LeaseLost:
        log.warning(
            "import task %s: lease lost to another worker; this run wrote nothing", task.task_id
        )
    except TaskReleased as exc:
        log.warning("import task %s: will retry: %s", task.task_id, exc)
    except TaskFailed as exc:
        _finish_failed(rt, task.task_id, owner, str(exc))
    except Exception:
        log.exception("import task %s: unexpected error", task.task_id)
        _finish_failed(
            rt, task.task_id, owner, "internal error while importing; see the service log"
        )
    log.info("import task %s done in %.2f s", task.task_id, time.perf_counter() - started)


def _load_context(rt: Runtime, task: ImportTask) -> TaskContext:
    with rt.db.transaction() as session:
        server = session.get(FileServer, task.server_id)
        campaign = session.get(Campaign, task.campaign_pk)
        if server is None or server.vdn_id != task.vdn_id:
            raise TaskFailed(f"file server {task.server_id} no longer exists")
        if campaign is None:
            raise TaskFailed("the campaign no longer exists")
        target = SftpTarget(
            host=server.ip,
            port=server.port,
            username=server.user_name,
            password=rt.box.open(server.password_enc),
            default_path=server.file_path,
            pinned_host_key=server.host_key,
        )
        return TaskContext(
            task.task_id, task.vdn_id, campaign.pk, campaign.device_type, target,
            server.server_id, task.file_path, task.file_name, task.attempts,
        )  # fmt: skip


def _fetch(rt: Runtime, context: TaskContext, owner: str) -> FetchedFile:
    # A folder per task: two tasks fetching files of the same name must not meet.
    downloads = _download_dir(rt, context.task_id)
    downloads.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    try:
        fetched = asyncio.run(
            fetch_file(
                context.target,
                context.file_path,
                context.file_name,
                downloads,
                max_bytes=rt.settings.max_file_bytes,
                connect_timeout=rt.settings.sftp_connect_timeout,
                read_timeout=rt.settings.sftp_read_timeout,
            )
        )
    except FetchError as exc:
        _after_fetch_error(rt, context, owner, exc)
        raise AssertionError("unreachable") from exc
    log.info(
        "import task %s: fetched %d bytes in %.2f s",
        context.task_id,
        fetched.size,
        time.perf_counter() - began,
    )
    with rt.db.transaction() as session:
        server = session.get(FileServer, context.server_id)
        if server is not None and server.host_key is None:
            server.host_key = fetched.host_key  # trust on first use, pinned from now on
        if not task_rows.update_owned(
            session, context.task_id, owner, file_sha256=fetched.sha256, file_size=fetched.size
        ):
            raise LeaseLost
    return fetched


def _download_dir(rt: Runtime, task_id: str) -> Path:
    return rt.settings.data_dir / "downloads" / task_id


def _after_fetch_error(rt: Runtime, context: TaskContext, owner: str, exc: FetchError) -> None:
    """A passing network fault is retried with backoff a bounded number of times; others fail."""
    message = f"{exc.kind.value.replace('_', ' ').lower()}: {exc.message}"
    if not exc.retryable or context.attempts >= rt.settings.import_max_attempts:
        if exc.retryable:
            message += f" (gave up after {context.attempts} attempts)"
        raise TaskFailed(message) from exc
    delay = RETRY_BASE_SECONDS * 2 ** (context.attempts - 1)
    retry_at = rt.clock() + timedelta(seconds=delay)
    with rt.db.transaction() as session:
        task_rows.update_owned(
            session,
            context.task_id,
            owner,
            status=task_rows.QUEUED,
            lease_owner=None,
            lease_expires_at=None,
            not_before=retry_at,
            err_msg=f"attempt {context.attempts} failed, retrying in {delay:.0f} s: {message}",
        )
    raise TaskReleased(message)


def _import_file(rt: Runtime, context: TaskContext, owner: str, path: Path) -> None:
    try:
        sheet = open_sheet(path, max_rows=rt.settings.max_import_rows)
        columns = map_header(sheet.header)
        progress = _progress_reporter(rt, context.task_id, owner)
        validated = validate_rows(
            sheet.rows,
            columns,
            call_data_must_be_json=context.device_type == INTELLIGENT_IVR,
            progress=progress,
        )
    except ReadError as exc:  # raised by open_sheet, and by the rows for an oversized cell
        raise TaskFailed(exc.message) from exc
    except TemplateError as exc:
        raise TaskFailed(str(exc)) from exc
    _write(rt, context, owner, validated, list(columns.header))


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


def _progress_reporter(rt: Runtime, task_id: str, owner: str) -> Callable[[int], None]:
    def report(processed: int) -> None:
        with rt.db.transaction() as session:
            if not task_rows.update_owned(session, task_id, owner, processed_num=processed):
                raise LeaseLost

    return report


def called_key(record: CallRecord) -> str:
    return ",".join(sorted({number.called_no for number in record.called}))


def _called_json(record: CallRecord) -> str:
    numbers = [
        {
            "calledNo": n.called_no,
            "delayTime": n.delay_time,
            **({"type": n.type} if n.type is not None else {}),
        }
        for n in record.called
    ]
    return json.dumps(numbers, ensure_ascii=False, separators=(",", ":"))


def _write(
    rt: Runtime, context: TaskContext, owner: str, validated: Validated, header: list[str]
) -> None:
    """Classify against the campaign and commit everything at once, under the campaign lock."""
    now = rt.clock()
    with rt.db.transaction() as session:
        # Serialises writers of one campaign, so the duplicate check below stays true at commit.
        campaign_rows.lock(session, context.campaign_pk)
        seen = record_rows.identity_keys(session, context.campaign_pk)
        blocked = record_rows.active_blocked_numbers(session, context.vdn_id, now)
        records, repeat, black = _classify(context, validated, seen, blocked, now)
        record_rows.insert_records(session, records)
        task_rows.add_failures(session, context.task_id, validated.failures)
        done = task_rows.update_owned(
            session,
            context.task_id,
            owner,
            status=task_rows.COMPLETED,
            end_time=rt.clock(),
            total_num=validated.total,
            processed_num=validated.total,
            succ_num=len(records) - black,
            repeat_num=repeat,
            fail_num=validated.failed_rows,
            black_num=black,
            err_msg=_summary(validated.failed_rows),
            source_header=header,
            lease_owner=None,
            lease_expires_at=None,
        )
        if not done:
            raise LeaseLost  # rolls the whole write back


def _classify(
    context: TaskContext,
    validated: Validated,
    seen: set[tuple[str, str]],
    blocked: set[str],
    now: datetime,
) -> tuple[list[dict[str, Any]], int, int]:
    records: list[dict[str, Any]] = []
    repeat = black = 0
    for row_number, record in validated.records:
        identity = (record.session_id, called_key(record))
        if identity in seen:
            repeat += 1
            continue
        seen.add(identity)
        is_blocked = bool(blocked) and any(n.called_no in blocked for n in record.called)
        black += is_blocked
        records.append(
            {
                "campaign_pk": context.campaign_pk,
                "session_id": record.session_id,
                "called_key": identity[1],
                "called": _called_json(record),
                "caller": record.caller,
                "custom_field": record.custom_field,
                "recycle_time": record.recycle_time,
                "call_data": record.call_data,
                "priority": record.priority,
                "status": RecordStatus.BLOCKED if is_blocked else RecordStatus.PENDING,
                "import_task_id": context.task_id,
                "row_number": row_number,
                "created_at": now,
            }
        )
    return records, repeat, black


def _summary(failed_rows: int) -> str:
    if not failed_rows:
        return ""
    return (
        f"{failed_rows} rows failed validation; download the failure report for each row and reason"
    )


def _finish_failed(rt: Runtime, task_id: str, owner: str, message: str) -> None:
    with rt.db.transaction() as session:
        task_rows.update_owned(
            session,
            task_id,
            owner,
            status=task_rows.FAILED,
            end_time=rt.clock(),
            err_msg=message,
            lease_owner=None,
            lease_expires_at=None,
        )
