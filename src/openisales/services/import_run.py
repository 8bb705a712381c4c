"""Running one claimed import task: fetch the file, hand it to the importer of its kind, record
the end state. What is common to call-data and blocklist imports lives here.

Nothing of a file is kept unless the importer's final write commits, and that commit checks that
this worker still holds the task's lease (``complete``), so a task taken over by another worker
is never written twice.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from openisales import metrics
from openisales.services import file_servers
from openisales.services.runtime import Runtime
from openisales.sftp import FetchedFile, FetchError, SftpTarget, fetch_file
from openisales.storage import import_tasks as task_rows
from openisales.storage import tenants as tenant_rows
from openisales.storage.models import Campaign, FileServer, ImportSchedule, ImportTask

log = logging.getLogger("openisales.import")

RETRY_BASE_SECONDS = 5.0


class LeaseLost(Exception):
    """Another worker took the task over; this run must not write anything."""


class TaskReleased(Exception):
    """The run ended early and put the task back in the queue for a later retry."""


class TaskFailed(Exception):
    """The task ends in status 3 with this message; nothing is imported."""


@dataclass(frozen=True)
class TaskContext:
    task_id: str
    kind: str
    vdn_id: int
    campaign_pk: int | None
    device_type: int | None
    time_zone: str
    target: SftpTarget
    server_id: str
    file_path: str | None
    file_name: str
    attempts: int
    schedule_id: str | None
    file_sha256: str = ""
    # Seconds per stage, filled in as the run goes; stored on the task when it completes.
    timings: dict[str, float] = field(default_factory=dict)
    # The counts written by ``complete``, for the metrics once the write has committed.
    counts: dict[str, Any] = field(default_factory=dict)


Importer = Callable[[Runtime, TaskContext, str, Path], None]
IMPORTERS: dict[str, Importer] = {}


def importer(kind: str) -> Callable[[Importer], Importer]:
    """Register the function that imports a fetched file of tasks of ``kind``."""

    def register(function: Importer) -> Importer:
        IMPORTERS[kind] = function
        return function

    return register


def run_task(rt: Runtime, task: ImportTask, owner: str) -> None:
    """Run a claimed task to its end state (2 or 3), or put it back for a retry."""
    started = time.perf_counter()
    end_status: int | None = None
    try:
        context = _load_context(rt, task)
        try:
            fetched = _fetch(rt, context, owner)
            context = replace(context, file_sha256=fetched.sha256, timings=context.timings)
            if not _skip_unchanged(rt, context, owner):
                IMPORTERS[context.kind](rt, context, owner, fetched.path)
            end_status = task_rows.COMPLETED
            metrics.rows_imported(task.kind, context.counts)
        finally:
            discard_download(rt, task.task_id)
    except LeaseLost:
        log.warning(
            "import task %s: lease lost to another worker; this run wrote nothing", task.task_id
        )
    except TaskReleased as exc:
        log.warning("import task %s: will retry: %s", task.task_id, exc)
    except TaskFailed as exc:
        finish_failed(rt, task.task_id, owner, str(exc))
        end_status = task_rows.FAILED
    except OperationalError:  # the database restarted or went away: nothing was committed
        _release_after_database_error(rt, task, owner)
    except Exception:
        log.exception("import task %s: unexpected error", task.task_id)
        finish_failed(
            rt, task.task_id, owner, "internal error while importing; see the service log"
        )
        end_status = task_rows.FAILED
    if end_status is not None:
        metrics.task_ended(task.kind, end_status, time.perf_counter() - started)
    log.info("import task %s done in %.2f s", task.task_id, time.perf_counter() - started)


def _load_context(rt: Runtime, task: ImportTask) -> TaskContext:
    with rt.db.transaction() as session:
        server = session.get(FileServer, task.server_id)
        if server is None or server.vdn_id != task.vdn_id:
            raise TaskFailed(f"file server {task.server_id} no longer exists")
        device_type = None
        if task.campaign_pk is not None:
            campaign = session.get(Campaign, task.campaign_pk)
            if campaign is None:
                raise TaskFailed("the campaign no longer exists")
            device_type = campaign.device_type
        if task.kind not in IMPORTERS:
            raise TaskFailed(f"unknown import kind {task.kind!r}")
        tenant = tenant_rows.get(session, task.vdn_id)
        target = SftpTarget(
            host=server.ip,
            port=server.port,
            username=server.user_name,
            password=rt.box.open(server.password_enc),
            default_path=server.file_path,
            pinned_host_key=server.host_key,
        )
        return TaskContext(
            task_id=task.task_id,
            kind=task.kind,
            vdn_id=task.vdn_id,
            campaign_pk=task.campaign_pk,
            device_type=device_type,
            time_zone=tenant.time_zone if tenant else "UTC",
            target=target,
            server_id=server.server_id,
            file_path=task.file_path,
            file_name=task.file_name,
            attempts=task.attempts,
            schedule_id=task.schedule_id,
        )


def _download_dir(rt: Runtime, task_id: str) -> Path:
    # A folder per task: two tasks fetching files of the same name must not meet.
    return rt.settings.data_dir / "downloads" / task_id


def discard_download(rt: Runtime, task_id: str) -> None:
    """Remove the task's download folder, if any: at the end of every run and when given up."""
    shutil.rmtree(_download_dir(rt, task_id), ignore_errors=True)


def _fetch(rt: Runtime, context: TaskContext, owner: str) -> FetchedFile:
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
                allowed_networks=rt.settings.server_networks,
            )
        )
    except FetchError as exc:
        metrics.sftp_error(exc.kind.value)
        raise _after_fetch_error(rt, context, owner, exc) from exc
    context.timings["fetch"] = round(time.perf_counter() - began, 3)
    log.info(
        "import task %s: fetched %d bytes in %.2f s",
        context.task_id,
        fetched.size,
        context.timings["fetch"],
    )
    with rt.db.transaction() as session:
        file_servers.pin_host_key(session, context.server_id, fetched.host_key)
        if not task_rows.update_owned(
            session, context.task_id, owner, file_sha256=fetched.sha256, file_size=fetched.size
        ):
            raise LeaseLost
    return fetched


def _after_fetch_error(rt: Runtime, context: TaskContext, owner: str, exc: FetchError) -> Exception:
    """A passing network fault is retried with backoff a bounded number of times; others fail."""
    message = f"{exc.kind.value.replace('_', ' ').lower()}: {exc.message}"
    if not exc.retryable or context.attempts >= rt.settings.import_max_attempts:
        if exc.retryable:
            message += f" (gave up after {context.attempts} attempts)"
        return TaskFailed(message)
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
    return TaskReleased(message)


def _skip_unchanged(rt: Runtime, context: TaskContext, owner: str) -> bool:
    """A scheduled run whose file is byte-identical to the last one imported imports nothing."""
    if context.schedule_id is None:
        return False
    with rt.db.transaction() as session:
        schedule = session.get(ImportSchedule, context.schedule_id)
        if schedule is None or schedule.last_sha256 != context.file_sha256:
            return False
        message = (
            f"file unchanged since the last scheduled import (task {schedule.last_task_id}); "
            "nothing imported"
        )
        complete(session, rt, context, owner, remember_file=False, err_msg=message)
    return True


def complete(
    session: Session,
    rt: Runtime,
    context: TaskContext,
    owner: str,
    *,
    remember_file: bool = True,
    **values: Any,
) -> None:
    """Mark the task completed (status 2) inside the importer's write transaction.

    Raises LeaseLost, which rolls the whole write back, when another worker owns the task now.
    ``remember_file`` records the file's hash on the task's schedule, for the unchanged check.
    """
    done = task_rows.update_owned(
        session,
        context.task_id,
        owner,
        status=task_rows.COMPLETED,
        end_time=rt.clock(),
        lease_owner=None,
        lease_expires_at=None,
        timings=context.timings,
        **values,
    )
    if not done:
        raise LeaseLost
    context.counts.update(values)
    if remember_file and context.schedule_id is not None:
        schedule = session.get(ImportSchedule, context.schedule_id)
        if schedule is not None:
            schedule.last_sha256 = context.file_sha256


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector around a bulk stage.

    An import builds millions of small objects without reference cycles; the collector would
    rescan them again and again (measured: validation of 500,000 rows 4.6 s with it, 2.6 s
    without). Reference counting still frees everything as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextmanager
def stage(context: TaskContext, name: str) -> Iterator[None]:
    """Time a stage of the run into ``context.timings``."""
    began = time.perf_counter()
    try:
        yield
    finally:
        spent = time.perf_counter() - began
        context.timings[name] = round(context.timings.get(name, 0.0) + spent, 3)


def progress_reporter(rt: Runtime, task_id: str, owner: str) -> Callable[[int], None]:
    """A callback that records how many rows were processed; it notices a lost lease."""

    def report(processed: int) -> None:
        with rt.db.transaction() as session:
            if not task_rows.update_owned(session, task_id, owner, processed_num=processed):
                raise LeaseLost

    return report


def live_progress_reporter(rt: Runtime, task_id: str, owner: str) -> Callable[[int], None]:
    """Progress while the import's write transaction is open.

    PostgreSQL takes the update on a second connection at once. SQLite has one writer, and the
    import holds it, so progress goes to the process's live board, which queries served by the
    same process read (the embedded default); other processes see the count at commit.
    """
    if rt.db.is_sqlite:

        def publish(processed: int) -> None:
            rt.live_progress[task_id] = processed

        return publish
    return progress_reporter(rt, task_id, owner)


def _release_after_database_error(rt: Runtime, task: ImportTask, owner: str) -> None:
    """Put a task whose run lost the database back in the queue, with backoff.

    Nothing of the run was committed (the write is one transaction), so the task is retried,
    never failed. When the database is still away the release fails too, and the task's lease
    expires instead; either way another claim takes it up, within the bounded attempts.
    """
    log.warning("import task %s: database unavailable; will retry", task.task_id, exc_info=True)
    delay = RETRY_BASE_SECONDS * 2 ** (task.attempts - 1)
    try:
        with rt.db.transaction() as session:
            task_rows.update_owned(
                session,
                task.task_id,
                owner,
                status=task_rows.QUEUED,
                lease_owner=None,
                lease_expires_at=None,
                not_before=rt.clock() + timedelta(seconds=delay),
                err_msg=(
                    f"attempt {task.attempts} failed, retrying in {delay:.0f} s: "
                    "the database connection was lost"
                ),
            )
    except OperationalError:
        log.warning("import task %s: left for its lease to expire", task.task_id)


def finish_failed(rt: Runtime, task_id: str, owner: str, message: str) -> None:
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
