"""Import-schedule queries. A due schedule is fired by a conditional update, so with many
workers each run is created exactly once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from openisales.storage.models import ImportSchedule

ACTIVE, CANCELLED = 0, 1


def add(session: Session, schedule: ImportSchedule) -> None:
    """Insert the schedule and flush."""
    session.add(schedule)
    session.flush()


def get(session: Session, vdn_id: int, schedule_id: str) -> ImportSchedule | None:
    """The tenant's schedule with this id, or None (also for another tenant's schedule)."""
    schedule = session.get(ImportSchedule, schedule_id)
    return schedule if schedule is not None and schedule.vdn_id == vdn_id else None


def page(
    session: Session, *, vdn_id: int, kind: str, campaign_pk: int | None, offset: int, limit: int
) -> tuple[list[ImportSchedule], int]:
    """A page of the tenant's schedules of one kind (one campaign's if given), newest first."""
    query = select(ImportSchedule).where(
        ImportSchedule.vdn_id == vdn_id, ImportSchedule.kind == kind
    )
    if campaign_pk is not None:
        query = query.where(ImportSchedule.campaign_pk == campaign_pk)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    order = (ImportSchedule.created_at.desc(), ImportSchedule.schedule_id.desc())
    return list(session.scalars(query.order_by(*order).offset(offset).limit(limit))), total


def due(session: Session, now: datetime, limit: int = 100) -> list[ImportSchedule]:
    """Up to ``limit`` active schedules whose next run is at or before ``now``, earliest first."""
    query = (
        select(ImportSchedule)
        .where(ImportSchedule.status == ACTIVE, ImportSchedule.next_run_at <= now)
        .order_by(ImportSchedule.next_run_at)
        .limit(limit)
    )
    return list(session.scalars(query))


def advance(
    session: Session, schedule_id: str, expected_run: datetime, next_run: datetime, task_id: str
) -> bool:
    """Move a due schedule to its next run; False when another worker fired it first."""
    result = session.execute(
        update(ImportSchedule)
        .where(
            ImportSchedule.schedule_id == schedule_id,
            ImportSchedule.status == ACTIVE,
            ImportSchedule.next_run_at == expected_run,
        )
        .values(next_run_at=next_run, last_task_id=task_id)
        .execution_options(synchronize_session=False)
    )
    return getattr(result, "rowcount", 0) == 1
