"""How a running import task ends: completed, failed, or released for a retry.

Every end goes through ``storage.import_tasks.move`` and so through the lifecycle table of
``domain.import_task``: the terminal update (status, end time, lease given up) is written in one
place, and only by the worker that still holds the task's lease.

The runner of a task is a transaction boundary of its own, as a request is: a run lasts minutes
and its steps must be durable one by one (the fetched file's hash, progress, the one write of all
accepted rows with the end state, or the release for a retry). So the functions here open their
own transactions; the use-case functions of the API never do.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from openisales.domain.import_task import ImportStatus
from openisales.domain.text import visible
from openisales.i18n import text
from openisales.services.runtime import Runtime
from openisales.storage import import_tasks as task_rows

log = logging.getLogger("openisales.import")

RETRY_BASE_SECONDS = 5.0


class LeaseLost(Exception):
    """Another worker took the task over; this run must not write anything."""


class TaskReleased(Exception):
    """The run ended early and put the task back in the queue for a later retry."""


class TaskFailed(Exception):
    """The task ends in status 3 with this message; nothing is imported."""


def retry_delay(attempts: int) -> float:
    """Seconds before the next attempt after ``attempts`` failed ones: 5, 10, 20 …"""
    return float(RETRY_BASE_SECONDS * 2 ** (attempts - 1))


def complete_in(session: Session, rt: Runtime, task_id: str, owner: str, **values: Any) -> None:
    """Mark the task completed inside the importer's write transaction.

    Raises LeaseLost, which rolls the whole write back, when another worker owns the task now.
    """
    if not task_rows.move(
        session, task_id, ImportStatus.COMPLETED, rt.clock(), owner=owner, **values
    ):
        raise LeaseLost


def fail(rt: Runtime, task_id: str, owner: str, message: str) -> None:
    """End the task in status 3 with ``message``; nothing of it is imported."""
    # The message may quote the file's header, control characters and all.
    with rt.db.transaction() as session:
        task_rows.move(
            session, task_id, ImportStatus.FAILED, rt.clock(), owner=owner, err_msg=visible(message)
        )


def release_for_retry(rt: Runtime, task_id: str, owner: str, attempts: int, reason: str) -> None:
    """Put the task back in the queue, due after the backoff of its ``attempts``."""
    delay = retry_delay(attempts)
    now = rt.clock()
    with rt.db.transaction() as session:
        task_rows.move(
            session,
            task_id,
            ImportStatus.PREPARING,
            now,
            owner=owner,
            not_before=now + timedelta(seconds=delay),
            err_msg=text(
                "task.retrying", attempts=attempts, delay=f"{delay:.0f}", reason=reason
            ).render("en"),
        )


def release_to_wait(
    rt: Runtime, task_id: str, owner: str, attempts: int, poll_seconds: float, reason: str
) -> None:
    """Put a task whose file is not complete yet back in the queue, to look again later.

    The attempt is given back: waiting for a writer is not a fault, and must not use up the
    attempts that passing faults (a network outage) have.
    """
    now = rt.clock()
    with rt.db.transaction() as session:
        task_rows.move(
            session,
            task_id,
            ImportStatus.PREPARING,
            now,
            owner=owner,
            attempts=max(attempts - 1, 0),
            not_before=now + timedelta(seconds=poll_seconds),
            err_msg=visible(
                text("task.waiting_for_file", delay=f"{poll_seconds:g}", reason=reason).render("en")
            ),
        )


def release_after_database_error(rt: Runtime, task_id: str, owner: str, attempts: int) -> None:
    """Put a task whose run lost the database back in the queue, with backoff.

    Nothing of the run was committed (the write is one transaction), so the task is retried,
    never failed. When the database is still away the release fails too, and the task's lease
    expires instead; either way another claim takes it up, within the bounded attempts.
    """
    log.warning("import task %s: database unavailable; will retry", task_id, exc_info=True)
    try:
        release_for_retry(rt, task_id, owner, attempts, "the database connection was lost")
    except OperationalError:
        log.warning("import task %s: left for its lease to expire", task_id)
