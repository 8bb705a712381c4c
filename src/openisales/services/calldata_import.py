"""The call-data importer: read -> validate -> write, for one fetched file.

Reading and validating (calldata_rows) yield chunks of record frames ready for the bulk load;
the file is read and validated in a child process while this process writes the chunks, so both
cores work. All chunks go into one transaction under the campaign's lock, and the database
leaves duplicates out as it stores them (``storage.bulk``): the duplicate check against the
campaign holds at commit, and the task imports all its accepted rows or none.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from openisales.domain.record_row import RecordStatus
from openisales.services.calldata_rows import (
    Chunk,
    FileRejected,
    Header,
    RowSpec,
    stream,
)
from openisales.services.campaigns import INTELLIGENT_IVR
from openisales.services.import_lifecycle import TaskFailed
from openisales.services.import_run import (
    TaskContext,
    complete,
    gc_paused,
    live_progress_reporter,
    stage,
    summary,
)
from openisales.services.runtime import Runtime
from openisales.storage import calldata as record_rows
from openisales.storage import campaigns as campaign_rows
from openisales.storage import import_tasks as task_rows
from openisales.storage.bulk import load_new_records

log = logging.getLogger("openisales.import")


def import_calldata_file(rt: Runtime, context: TaskContext, owner: str, path: Path) -> None:
    """Import a call-data file: all accepted rows or none; TaskFailed when it cannot."""
    if context.campaign_pk is None:
        raise TaskFailed("a call-data import task must belong to a campaign")
    with rt.db.transaction() as session:
        blocked = record_rows.active_blocked_numbers(session, context.vdn_id, rt.clock())
    spec = RowSpec(
        campaign_pk=context.campaign_pk,
        task_id=context.task_id,
        max_rows=rt.settings.max_import_rows,
        call_data_must_be_json=context.device_type == INTELLIGENT_IVR,
        blocked=frozenset(blocked),
        max_unpacked_bytes=rt.settings.max_unpacked_bytes,
        default_region=context.default_region,
    )
    messages = stream(path, spec, memory_limit=rt.settings.reader_memory_limit_bytes)
    try:
        with gc_paused():
            header = next(messages)  # the sheet is loaded and its header understood
            assert isinstance(header, Header)
            with stage(context, "validate_and_write"):
                _write(rt, context, owner, header, messages)
    except FileRejected as exc:
        raise TaskFailed(str(exc)) from exc
    finally:
        messages.close()  # stops the child process if the write ended early
        rt.live_progress.pop(context.task_id, None)


@dataclass
class _Tally:
    """What the chunks written so far add up to, for the task's final counts."""

    stored: int = 0
    repeat: int = 0
    black: int = 0
    total: int = 0
    failed_rows: int = 0
    width: int = 0
    reader: str = ""
    failures: list[tuple[int, str, str, str, str, list[str]]] = field(default_factory=list)

    def add(self, chunk: Chunk, stored: int) -> None:
        """Count one written chunk: the records stored (the others were duplicates), failures."""
        self.stored += stored
        self.repeat += chunk.rows.height - stored
        self.failures.extend(chunk.failures)
        self.total, self.failed_rows = chunk.total, chunk.failed_rows
        self.width = max(self.width, chunk.width)
        self.reader = chunk.reader

    def padded_failures(self) -> list[tuple[int, str, str, str, str, list[str]]]:
        """The failure rows with each row's cells as wide as the sheet's used range.

        The columnar reader learns the range's last column only at the end of the sheet; the
        per-row reader gives every row that width, and so does the report.
        """
        return [
            (*failure[:5], failure[5] + [""] * (self.width - len(failure[5])))
            for failure in self.failures
        ]


def _write(
    rt: Runtime, context: TaskContext, owner: str, header: Header, chunks: Iterator[Header | Chunk]
) -> None:
    """Write the chunks as they come, in one transaction under the campaign's lock.

    Duplicates are left out by the database as the records are stored (``storage.bulk``), so
    the check holds at commit; a file rejected half-way (an oversized cell) rolls everything
    back. A dry run stores them the same way inside a savepoint it rolls back: it counts what
    the import would store, by the same rule.
    """
    assert context.campaign_pk is not None
    report = live_progress_reporter(rt, context.task_id, owner)
    tally = _Tally()
    with rt.db.transaction() as session:
        # Serialises writers of one campaign, so the duplicate check stays true at commit.
        campaign_rows.lock(session, context.campaign_pk)
        created_at = rt.clock()
        records = session.begin_nested()
        _load(session, context, chunks, tally, report, created_at)
        tally.black = record_rows.count_of_task(session, context.task_id, RecordStatus.BLOCKED)
        if context.validate_only:
            records.rollback()
        else:
            records.commit()
        log.info("import task %s read by: %s", context.task_id, tally.reader)
        _finish(session, rt, context, owner, header, tally)


def _load(
    session: Session,
    context: TaskContext,
    chunks: Iterator[Header | Chunk],
    tally: _Tally,
    report: Callable[[int], None],
    created_at: datetime,
) -> None:
    """Store each chunk's records as it arrives and count it."""
    for chunk in chunks:
        assert isinstance(chunk, Chunk)
        with stage(context, "write"):
            stored = load_new_records(session, chunk.rows, created_at)
        tally.add(chunk, stored)
        context.timings["read"] = round(chunk.read_seconds, 3)
        context.timings["validate"] = round(chunk.validate_seconds, 3)
        report(tally.total)


def _finish(
    session: Session, rt: Runtime, context: TaskContext, owner: str, header: Header, tally: _Tally
) -> None:
    """Store the failure rows and complete the task with the tallied counts."""
    with stage(context, "write"):
        task_rows.add_failures(session, context.task_id, _numbered(tally.padded_failures()))
    complete(
        session,
        rt,
        context,
        owner,
        total_num=tally.total,
        processed_num=tally.total,
        succ_num=tally.stored - tally.black,
        repeat_num=tally.repeat,
        fail_num=tally.failed_rows,
        black_num=tally.black,
        err_msg=summary(context, tally.failed_rows),
        source_header=header.columns + [""] * (tally.width - len(header.columns)),
    )


def _numbered(failures: list[tuple[int, str, str, str, str, list[str]]]) -> list[dict[str, Any]]:
    keys = ("row_number", "column_name", "code", "rule", "message", "cells")
    return [
        {"seq": seq, **dict(zip(keys, failure, strict=True))}
        for seq, failure in enumerate(failures)
    ]
