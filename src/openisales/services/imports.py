"""File imports as a client sees them: submit a task, query tasks, read a task's failures."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from openisales.domain import file_name_pattern
from openisales.domain.import_task import IMPORT_TASK
from openisales.errors import (
    HourMinuteUnpaired,
    ImportTaskNotFound,
    InvalidCharacters,
    StateError,
    WrongCombination,
    WrongType,
    WrongValue,
)
from openisales.i18n import text, translate_stored
from openisales.receiver_client import url_problem
from openisales.services import campaigns, file_servers, schedules
from openisales.services.campaigns import CampaignStatus
from openisales.sftp import UnsafePathError, resolve_remote_path
from openisales.storage import import_tasks as task_rows
from openisales.storage.ids import new_object_id
from openisales.storage.models import FileServer, ImportFailure, ImportTask

# What each status is called (the console shows it): the lifecycle's own texts.
STATUS_TEXT = {int(status): text for status, text in IMPORT_TASK.texts.items()}


@dataclass(frozen=True)
class ImportRequest:
    server_id: str
    file_path: str | None
    file_name: str
    hour: int | None
    minute: int | None
    validate_only: bool = False  # a dry run: validate and count, write nothing
    move_after_import: bool = False  # move the file into done/ or failed/ after the run
    notify_url: str | None = None  # where the task's record is POSTed once it ends


def check_file_name(name: str) -> None:
    """A bare file name: no directory part, no parent reference, no NUL."""
    if any(ch in name for ch in "/\\\x00") or ".." in name or name == ".":
        raise InvalidCharacters(
            f"fileName: must be a bare file name such as demo.xlsx, got {name!r}"
        )


def submit(
    session: Session, vdn_id: int, campaign_id: int, request: ImportRequest, now: datetime
) -> ImportTask:
    """Record a call-data import task of a campaign for a worker to run."""
    campaign = campaigns.get(session, vdn_id, campaign_id)
    if campaigns.visible_status(campaign, now) == CampaignStatus.COMPLETED:
        raise StateError(f"campaign {campaign_id} is completed; no data can be imported into it")
    return submit_file_import(
        session, vdn_id, kind="calldata", campaign_pk=campaign.pk, request=request, now=now
    )


def submit_file_import(
    session: Session,
    vdn_id: int,
    *,
    kind: str,
    campaign_pk: int | None,
    request: ImportRequest,
    now: datetime,
) -> ImportTask:
    """Validate a file-import request and record its task; nothing is fetched here.

    With ``hour`` and ``minute`` the import is scheduled: the task waits (status 0) for its time.
    """
    server = _checked_server(session, vdn_id, request)
    notify_url = checked_notify_url(request.notify_url)
    if request.validate_only and request.hour is not None:
        raise WrongCombination("validateOnly: a dry run runs once, now; leave out hour and minute")
    scheduled_at = _scheduled_time(session, vdn_id, request, now)
    task = ImportTask(
        task_id=new_object_id(),
        vdn_id=vdn_id,
        campaign_pk=campaign_pk,
        kind=kind,
        server_id=server.server_id,
        file_path=request.file_path,
        file_name=request.file_name,
        status=task_rows.QUEUED,
        scheduled_at=scheduled_at,
        not_before=scheduled_at or now,
        created_at=now,
        validate_only=request.validate_only,
        move_after_import=request.move_after_import and not request.validate_only,
        notify_url=notify_url,
    )
    task_rows.add(session, task)
    if request.hour is not None and request.minute is not None:
        schedules.create(session, task, request.hour, request.minute, now)
    return task


def checked_notify_url(url: str | None) -> str | None:
    """``notifyUrl`` as stored: None when not given; refused unless the push could use it.

    The rule of a campaign's ``callBackUrl`` (``receiver_client.url_problem``): an absolute
    http or https URL. Where its host may be is checked when it is pushed to, as for results.
    """
    if url is None or not url.strip():
        return None
    if url_problem(url.strip()) is not None:
        raise WrongValue(text("field", field="notifyUrl", rule=text("field.receiver_url", got=url)))
    return url.strip()


def _checked_server(session: Session, vdn_id: int, request: ImportRequest) -> FileServer:
    """The request's file server, once hour/minute, file name and path are known to be sound."""
    if (request.hour is None) != (request.minute is None):
        raise HourMinuteUnpaired()
    # The rules of a name hold for the name a run fetches: a date pattern expanded.
    file_name = _expanded_sample(request.file_name)
    check_file_name(file_name)
    server = file_servers.get(session, vdn_id, request.server_id)
    try:
        resolve_remote_path(server.file_path, request.file_path, file_name)
    except UnsafePathError as exc:
        raise InvalidCharacters(f"filePath: {exc}") from exc
    return server


def _expanded_sample(file_name: str) -> str:
    """``file_name`` with its date pattern expanded at a fixed moment; refuses unknown tokens.

    A pattern's tokens become digits and its separators are ``-_.``, so whatever a run makes of
    it is as safe a name as this sample is.
    """
    try:
        return file_name_pattern.expand(file_name, _SAMPLE_MOMENT, "UTC")
    except file_name_pattern.PatternError as exc:
        raise WrongType(f"fileName: {exc}") from exc


_SAMPLE_MOMENT = datetime(2000, 1, 1, tzinfo=UTC)


def _scheduled_time(
    session: Session, vdn_id: int, request: ImportRequest, now: datetime
) -> datetime | None:
    """When a scheduled import first runs (the tenant's zone), or None for one that runs now."""
    if request.hour is None or request.minute is None:
        return None
    zone = schedules.zone_of(session, vdn_id)
    return schedules.next_run(now, request.hour, request.minute, zone)


def page(
    session: Session,
    vdn_id: int,
    campaign_id: int,
    offset: int,
    limit: int,
    task_ids: Sequence[str] | None,
) -> tuple[list[ImportTask], int]:
    """A page of the campaign's call-data import tasks, newest first, with the total."""
    campaign = campaigns.get(session, vdn_id, campaign_id)
    return task_rows.page(
        session,
        vdn_id=vdn_id,
        kind="calldata",
        campaign_pk=campaign.pk,
        offset=offset,
        limit=limit,
        task_ids=task_ids,
    )


def get_task(session: Session, vdn_id: int, task_id: str) -> ImportTask:
    """The tenant's import task; ImportTaskNotFound for an unknown id or another tenant's task."""
    task = task_rows.get(session, vdn_id, task_id)
    if task is None:
        raise ImportTaskNotFound(task_id)
    return task


def failures(session: Session, task: ImportTask) -> Iterator[ImportFailure]:
    """The task's rejected rows in the order they were found, streamed in batches."""
    return task_rows.iter_failures(session, task.task_id)


def queue_depth(session: Session) -> dict[int, int]:
    """How many import tasks of every tenant are queued (0) and running (1)."""
    return task_rows.count_unfinished(session)


def _time_text(moment: datetime | None) -> str:
    # The documented form: 2022-03-11T07:27:09.000+00:00
    if moment is None:
        return ""
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.")
        + f"{moment.microsecond // 1000:03d}+00:00"
    )


def _err_msg(task: ImportTask) -> str:
    """The task's errMsg in the caller's language, with why its file was not moved, if so."""
    parts = [translate_stored(task.err_msg), translate_stored(task.move_error or "")]
    return "; ".join(part for part in parts if part)


def to_dict(task: ImportTask, live_progress: int | None = None) -> dict[str, Any]:
    """A DataImportTask as queryDataImportTask returns it, with openisales' extensions.

    ``live_progress`` is the running import's processed count when this process knows it.
    """
    return {
        "id": task.task_id,
        "beginTime": _time_text(task.begin_time),
        "endTime": _time_text(task.end_time),
        "status": str(task.status),
        "succNum": task.succ_num,
        "repeatNum": task.repeat_num,
        "failNum": task.fail_num,
        "blackNum": task.black_num,
        "errMsg": _err_msg(task),
        # Extensions beside the documented fields.
        "fileName": task.file_name,
        "fetchedFileName": task.fetched_name or "",  # fileName's date pattern, expanded
        "filePath": task.file_path or "",
        "serverId": task.server_id,
        "totalNum": task.total_num,
        "processedNum": max(task.processed_num, live_progress or 0),
        "scheduledTime": _time_text(task.scheduled_at),
        "scheduleId": task.schedule_id or "",
        "createTime": _time_text(task.created_at),
        "timings": task.timings or {},
        "validateOnly": task.validate_only,
        "moveAfterImport": task.move_after_import,
        "movedTo": task.moved_to or "",
        "notifyUrl": task.notify_url or "",
    }
