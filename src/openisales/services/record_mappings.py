"""The record mapping of a finished call-data import, ready to stream (API, CLI through it).

Which row of the file became which record: ``rowNumber -> dataId, sessionId, calledNo``
(``exports.record_mapping``), so a CRM links its own ids to ours in one download. Only a task
that has ended has a final mapping (a running import commits its records at its end).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy.orm import Session

from openisales.domain.import_task import IMPORT_TASK, ImportStatus
from openisales.domain.record_row import RecordStatus
from openisales.errors import ImportNotFinished, WrongValue
from openisales.exports import MappingLine, write_mapping
from openisales.i18n import text
from openisales.services.failure_reports import MEDIA_TYPES, FileDownload, ReportFormat, spooled
from openisales.storage import calldata as record_rows
from openisales.storage.calldata import TaskRecord
from openisales.storage.models import ImportTask

#: Several numbers of one record are joined by this in the calledNo column.
NUMBER_SEPARATOR = ";"


def build(session: Session, task: ImportTask, fmt: ReportFormat, spool_dir: Path) -> FileDownload:
    """Write the task's records as ``fmt`` into a spool; answer its bytes, name and type.

    Refused for a task that has not ended (``ImportNotFinished``) and for a blocklist import,
    which stores no records.
    """
    if task.kind != "calldata":
        raise WrongValue(text("mapping.blocklist", task=task.task_id))
    if not IMPORT_TASK.is_terminal(ImportStatus(task.status)):
        raise ImportNotFinished(text("mapping.not_finished", task=task.task_id, status=task.status))
    lines = _lines(record_rows.iter_task_records(session, task.task_id))
    chunks = spooled(spool_dir, lambda out: write_mapping(out, fmt, lines))
    return FileDownload(chunks, f"import-{task.task_id}-mapping.{fmt}", MEDIA_TYPES[fmt])


def _lines(records: Iterator[TaskRecord]) -> Iterator[MappingLine]:
    for record in records:
        called = json.loads(record.called)
        numbers = [str(number["calledNo"]) for number in called]
        # E.164 only for numbers read in the tenant's default region (empty otherwise).
        e164 = [str(number.get("e164", "")) for number in called]
        yield (
            record.row_number,
            record.data_id,
            record.session_id,
            NUMBER_SEPARATOR.join(numbers),
            NUMBER_SEPARATOR.join(e164) if any(e164) else "",
            RecordStatus(record.status).name.lower(),
        )
