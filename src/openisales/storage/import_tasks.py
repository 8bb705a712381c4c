"""Import-task queries: the task table is also the work queue that workers claim from."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.orm import Session

from openisales.domain.import_task import IMPORT_TASK, UNFINISHED, ImportStatus
from openisales.storage import result_deliveries as outbox
from openisales.storage.models import ImportFailure, ImportTask

QUEUED, RUNNING, COMPLETED, FAILED = (
    ImportStatus.PREPARING,
    ImportStatus.RUNNING,
    ImportStatus.COMPLETED,
    ImportStatus.FAILED,
)


def add(session: Session, task: ImportTask) -> None:
    """Insert the task and flush."""
    session.add(task)
    session.flush()


def get(session: Session, vdn_id: int, task_id: str) -> ImportTask | None:
    """The tenant's task with this id, or None (also for another tenant's task)."""
    task = session.get(ImportTask, task_id)
    return task if task is not None and task.vdn_id == vdn_id else None


def get_any(session: Session, task_id: str) -> ImportTask | None:
    """The task with this id whatever its tenant (for workers), or None."""
    return session.get(ImportTask, task_id)


def page(
    session: Session,
    *,
    vdn_id: int,
    kind: str,
    campaign_pk: int | None,
    offset: int,
    limit: int,
    task_ids: Sequence[str] | None,
) -> tuple[list[ImportTask], int]:
    """A tenant's tasks of one kind, newest first; call-data tasks of one campaign."""
    query = select(ImportTask).where(ImportTask.vdn_id == vdn_id, ImportTask.kind == kind)
    if campaign_pk is not None:
        query = query.where(ImportTask.campaign_pk == campaign_pk)
    if task_ids is not None:
        query = query.where(ImportTask.task_id.in_(task_ids))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    order = (ImportTask.created_at.desc(), ImportTask.task_id.desc())
    rows = session.scalars(query.order_by(*order).offset(offset).limit(limit))
    return list(rows), total


def _claimable(now: datetime) -> Any:
    # Queued and due, or running under a lease that its worker stopped renewing.
    return or_(
        (ImportTask.status == QUEUED) & (ImportTask.not_before <= now),
        (ImportTask.status == RUNNING) & (ImportTask.lease_expires_at < now),
    )


def claim(session: Session, owner: str, now: datetime, lease_until: datetime) -> ImportTask | None:
    """Take the oldest due task under a lease for ``owner``; None when there is nothing to do.

    PostgreSQL: ``FOR UPDATE SKIP LOCKED`` lets many workers claim at once without waiting on
    each other. SQLite: the transaction already holds the write lock (BEGIN IMMEDIATE), and the
    conditional update makes the claim atomic all the same.
    """
    candidates = (
        select(ImportTask.task_id)
        .where(_claimable(now))
        .order_by(ImportTask.not_before, ImportTask.created_at)
        .limit(1)
    )
    if session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    task_id = session.scalars(candidates).first()
    if task_id is None:
        return None
    claimed = session.execute(
        update(ImportTask)
        .where(ImportTask.task_id == task_id, _claimable(now))
        .values(
            status=RUNNING,
            lease_owner=owner,
            lease_expires_at=lease_until,
            attempts=ImportTask.attempts + 1,
            begin_time=func.coalesce(ImportTask.begin_time, now),
        )
        .execution_options(synchronize_session=False)
    )
    if getattr(claimed, "rowcount", 0) != 1:
        return None
    task = session.get(ImportTask, task_id, populate_existing=True)
    return task


def renew_lease(session: Session, task_id: str, owner: str, lease_until: datetime) -> bool:
    """Extend the lease; False when another worker has taken the task over."""
    result = session.execute(
        update(ImportTask)
        .where(
            ImportTask.task_id == task_id,
            ImportTask.lease_owner == owner,
            ImportTask.status == RUNNING,
        )
        .values(lease_expires_at=lease_until)
        .execution_options(synchronize_session=False)
    )
    return getattr(result, "rowcount", 0) == 1


def update_owned(session: Session, task_id: str, owner: str, **values: Any) -> bool:
    """Change a task this worker still holds; False when the lease was lost meanwhile.

    A change of status is a lifecycle move: ``move`` makes it, never this.
    """
    if "status" in values:
        raise ValueError("a task's status changes through move(), which checks the lifecycle")
    result = session.execute(
        update(ImportTask)
        .where(
            ImportTask.task_id == task_id,
            ImportTask.lease_owner == owner,
            ImportTask.status == RUNNING,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return getattr(result, "rowcount", 0) == 1


def entry_values(target: ImportStatus, now: datetime) -> dict[str, Any]:
    """What every move into ``target`` writes besides the status: the one terminal update.

    Ending (completed or failed) stamps the end time; ending or going back to the queue gives up
    the lease, so no worker's heartbeat keeps a task it no longer runs.
    """
    values: dict[str, Any] = {"status": int(target)}
    if IMPORT_TASK.is_terminal(target):
        values["end_time"] = now
    if target != ImportStatus.RUNNING:
        values.update(lease_owner=None, lease_expires_at=None)
    return values


def move(
    session: Session,
    task_id: str,
    target: ImportStatus,
    now: datetime,
    *,
    owner: str | None,
    **values: Any,
) -> bool:
    """Move a task to ``target`` if its lifecycle allows it from the state the row is in now.

    With ``owner`` the move applies only while that worker holds the task's lease. False when the
    row was not in a state the move starts from, or another worker holds it: nothing changed.
    A move that ends the task queues its notice (``notifyUrl``) in the same transaction.
    """
    guard = [ImportTask.task_id == task_id, ImportTask.status.in_(IMPORT_TASK.sources(target))]
    if owner is not None:
        guard += [ImportTask.lease_owner == owner, ImportTask.status == ImportStatus.RUNNING]
    result = session.execute(
        update(ImportTask)
        .where(*guard)
        .values(**{**values, **entry_values(target, now)})
        .execution_options(synchronize_session=False)
    )
    moved = getattr(result, "rowcount", 0) == 1
    if moved and IMPORT_TASK.is_terminal(target):
        outbox.enqueue_notices(session, [task_id], now)
    return moved


def record_move(
    session: Session, task_id: str, *, moved_to: str | None, move_error: str | None
) -> bool:
    """Record where an ended task's file was moved, or why it was not; False if not ended.

    Not a lifecycle move: the task's status and counts stay as the run ended them.
    """
    result = session.execute(
        update(ImportTask)
        .where(ImportTask.task_id == task_id, ImportTask.status.in_(IMPORT_TASK.terminal))
        .values(moved_to=moved_to, move_error=move_error)
        .execution_options(synchronize_session=False)
    )
    return getattr(result, "rowcount", 0) == 1


def cancel_waiting(session: Session, schedule_id: str, now: datetime, message: str) -> int:
    """Fail a schedule's runs that have not started yet, queueing their notices; how many."""
    IMPORT_TASK.check(ImportStatus.PREPARING, ImportStatus.FAILED)
    waiting = [ImportTask.schedule_id == schedule_id, ImportTask.status == ImportStatus.PREPARING]
    # Read first, so the notices name these runs: a run a worker claims meanwhile is not moved
    # here, and enqueue_notices skips a task that has not ended or already has its notice.
    task_ids = list(session.scalars(select(ImportTask.task_id).where(*waiting)))
    result = session.execute(
        update(ImportTask)
        .where(*waiting)
        .values(err_msg=message, **entry_values(ImportStatus.FAILED, now))
        .execution_options(synchronize_session=False)
    )
    outbox.enqueue_notices(session, task_ids, now)
    return int(getattr(result, "rowcount", 0) or 0)


def add_failures(session: Session, task_id: str, failures: Iterable[dict[str, Any]]) -> None:
    """Bulk-insert rejected rows of the task; nothing for an empty batch."""
    rows = [{"task_id": task_id, **failure} for failure in failures]
    if rows:
        session.execute(insert(ImportFailure), rows)


def iter_failures(session: Session, task_id: str, batch: int = 5000) -> Iterator[ImportFailure]:
    """The task's rejected rows in order, fetched ``batch`` at a time."""
    query = (
        select(ImportFailure)
        .where(ImportFailure.task_id == task_id)
        .order_by(ImportFailure.seq)
        .execution_options(yield_per=batch)
    )
    yield from session.scalars(query)


def count_unfinished(session: Session) -> dict[int, int]:
    """How many tasks are queued (0) and running (1): the queue depth."""
    query = (
        select(ImportTask.status, func.count())
        .where(ImportTask.status.in_(UNFINISHED))
        .group_by(ImportTask.status)
    )
    return {int(status): int(count) for status, count in session.execute(query)}
