"""The failed-rows report of an import task, ready to stream: one use case for API and console."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO, Literal, cast

from sqlalchemy.orm import Session

from openisales.domain.rule_messages import rule_message
from openisales.exports import write_failure_report
from openisales.services import imports
from openisales.storage.models import ImportTask

ReportFormat = Literal["xlsx", "csv"]
MEDIA_TYPES: dict[str, str] = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
# A report up to this size stays in memory; a larger one goes to a file under the data dir.
SPOOL_IN_MEMORY = 8 * 1024 * 1024
CHUNK = 256 * 1024


@dataclass(frozen=True)
class FileDownload:
    """A file made for a download (this report, the record mapping): its bytes, name and type."""

    chunks: Iterator[bytes]
    filename: str
    media_type: str


def build(session: Session, task: ImportTask, fmt: ReportFormat, spool_dir: Path) -> FileDownload:
    """Write the task's rejected rows as ``fmt`` into a spool; answer its bytes, name and type.

    The report is written in full while ``session`` is open, so the stream outlives it. Its
    messages are in the request's language: a stored row keeps its rule, so its Chinese text
    is rendered here (domain.rule_messages).
    """
    rows = (
        (
            f.row_number,
            f.column_name,
            f.code,
            f.rule,
            rule_message(f.rule, f.column_name, f.message),
            f.cells,
        )
        for f in imports.failures(session, task)
    )
    chunks = spooled(
        spool_dir,
        lambda out: write_failure_report(out, fmt, task.source_header or [], rows),
    )
    filename = f"import-{task.task_id}-failures.{fmt}"
    return FileDownload(chunks, filename, MEDIA_TYPES[fmt])


def spooled(spool_dir: Path, write: Callable[[BinaryIO], None]) -> Iterator[bytes]:
    """Run ``write`` into a spool (memory, then a file under ``spool_dir``); its bytes in chunks.

    The file is written in full now, while the caller's session is open; the chunks can be
    streamed after it closed. The spool is closed once they are read (or the write fails).
    """
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY, dir=str(spool_dir))  # noqa: SIM115 - closed by _chunks once streamed
    try:
        write(cast(BinaryIO, spool))
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    return _chunks(spool)


def _chunks(spool: IO[bytes]) -> Iterator[bytes]:
    try:
        while chunk := spool.read(CHUNK):
            yield chunk
    finally:
        spool.close()
