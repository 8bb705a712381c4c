"""Daily scheduled imports: created by an import request with ``hour`` and ``minute``.

A schedule runs every day at hh:mm in the tenant's time zone; each run is an import task of its
own. Workers fire due schedules; a run missed while no worker was up runs once when one comes
back, never as a pile of catch-up runs.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from openisales.errors import ScheduleNotFound, StateError
from openisales.storage import import_tasks as task_rows
from openisales.storage import schedules as schedule_rows
from openisales.storage import tenants as tenant_rows
from openisales.storage.ids import new_object_id
from openisales.storage.models import ImportSchedule, ImportTask

log = logging.getLogger("openisales.scheduler")


def next_run(after: datetime, hour: int, minute: int, time_zone: str) -> datetime:
    """The first hh:mm in ``time_zone`` at or after ``after`` (minute precision), in UTC."""
    zone = ZoneInfo(time_zone)
    local = after.astimezone(zone).replace(second=0, microsecond=0)
    candidate = local.replace(hour=hour, minute=minute)
    if candidate < local:
        # Rebuild from the date, so a day with a time change still runs at the wall-clock time.
        tomorrow = (local + timedelta(days=1)).date()
        candidate = datetime(tomorrow.year, tomorrow.month, tomorrow.day, hour, minute, tzinfo=zone)
    return candidate.astimezone(UTC)


def zone_of(session: Session, vdn_id: int) -> str:
    """The IANA zone name schedules of the tenant run in; UTC when the tenant row is missing."""
    tenant = tenant_rows.get(session, vdn_id)
    return tenant.time_zone if tenant else "UTC"


def page(
    session: Session, vdn_id: int, *, kind: str, campaign_pk: int | None, offset: int, limit: int
) -> tuple[list[ImportSchedule], int]:
    """A page of the tenant's schedules of one kind (one campaign's if given), newest first."""
    return schedule_rows.page(
        session, vdn_id=vdn_id, kind=kind, campaign_pk=campaign_pk, offset=offset, limit=limit
    )


def create(
    session: Session, first_task: ImportTask, hour: int, minute: int, now: datetime
) -> ImportSchedule:
    """A daily schedule whose first run is ``first_task`` (already due at its ``not_before``)."""
    zone = zone_of(session, first_task.vdn_id)
    first_run = first_task.not_before
    schedule = ImportSchedule(
        schedule_id=new_object_id(),
        vdn_id=first_task.vdn_id,
        campaign_pk=first_task.campaign_pk,
        kind=first_task.kind,
        server_id=first_task.server_id,
        file_path=first_task.file_path,
        file_name=first_task.file_name,
        hour=hour,
        minute=minute,
        status=schedule_rows.ACTIVE,
        next_run_at=next_run(first_run + timedelta(minutes=1), hour, minute, zone),
        last_task_id=first_task.task_id,
        notify_url=first_task.notify_url,
        created_at=now,
        move_after_import=first_task.move_after_import,
    )
    schedule_rows.add(session, schedule)
    first_task.schedule_id = schedule.schedule_id
    session.flush()
    return schedule


def fire_due(session: Session, now: datetime) -> list[str]:
    """Create the task of every due schedule; returns the new task ids."""
    created: list[str] = []
    for schedule in schedule_rows.due(session, now):
        zone = zone_of(session, schedule.vdn_id)
        task = _run_of(schedule, now)
        following = next_run(now + timedelta(minutes=1), schedule.hour, schedule.minute, zone)
        if not schedule_rows.advance(
            session, schedule.schedule_id, schedule.next_run_at, following, task.task_id
        ):
            continue  # another worker fired it
        task_rows.add(session, task)
        created.append(task.task_id)
        log.info(
            "schedule %s: run %s queued; next run %s", schedule.schedule_id, task.task_id, following
        )
    return created


def _run_of(schedule: ImportSchedule, now: datetime) -> ImportTask:
    return ImportTask(
        task_id=new_object_id(),
        vdn_id=schedule.vdn_id,
        campaign_pk=schedule.campaign_pk,
        kind=schedule.kind,
        schedule_id=schedule.schedule_id,
        server_id=schedule.server_id,
        file_path=schedule.file_path,
        file_name=schedule.file_name,
        status=task_rows.QUEUED,
        scheduled_at=schedule.next_run_at,
        not_before=now,
        created_at=now,
        move_after_import=schedule.move_after_import,
        notify_url=schedule.notify_url,
    )


def cancel(session: Session, vdn_id: int, schedule_id: str, now: datetime) -> ImportSchedule:
    """Stop a schedule and cancel its waiting run; refuses an unknown or already cancelled one."""
    schedule = schedule_rows.get(session, vdn_id, schedule_id)
    if schedule is None:
        raise ScheduleNotFound(schedule_id)
    if schedule.status == schedule_rows.CANCELLED:
        raise StateError(f"import schedule {schedule_id} is already cancelled")
    schedule.status = schedule_rows.CANCELLED
    schedule.cancelled_at = now
    task_rows.cancel_waiting(
        session, schedule_id, now, "the import schedule was cancelled before this run"
    )
    session.flush()
    return schedule


def to_dict(schedule: ImportSchedule, time_zone: str) -> dict[str, Any]:
    """A schedule as the API returns it; ``nextRunTime`` is empty once it is cancelled."""
    active = schedule.status == schedule_rows.ACTIVE
    return {
        "scheduleId": schedule.schedule_id,
        "serverId": schedule.server_id,
        "filePath": schedule.file_path or "",
        "fileName": schedule.file_name,  # a date pattern is expanded by each run
        "moveAfterImport": schedule.move_after_import,
        "hour": f"{schedule.hour:02d}",
        "minute": f"{schedule.minute:02d}",
        "timeZone": time_zone,
        "status": "active" if active else "cancelled",
        "nextRunTime": _text(schedule.next_run_at) if active else "",
        "lastTaskId": schedule.last_task_id or "",
        "notifyUrl": schedule.notify_url or "",
        "createTime": _text(schedule.created_at),
        "cancelTime": _text(schedule.cancelled_at),
    }


def _text(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+00:00")
