"""Running one claimed import task: fetch the file, hand it to the importer of its kind, record
the end state. What is common to call-data and blocklist imports lives here; how a task ends is
in ``import_lifecycle``, which every end goes through.

Nothing of a file is kept unless the importer's final write commits, and that commit checks that
this worker still holds the task's lease (``complete``), so a task taken over by another worker
is never written twice. A task that asks for it has its file moved into ``done/`` or
``failed/`` on the server once it has ended (``_move_after_run``). The importers are given
explicitly (``services.importers.IMPORTERS``): nothing registers itself by being imported.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import shutil
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from openisales import metrics
from openisales.domain import file_name_pattern
from openisales.i18n import text
from openisales.services import file_servers
from openisales.services.import_lifecycle import (
    LeaseLost,
    TaskFailed,
    TaskReleased,
    complete_in,
    fail,
    release_after_database_error,
    release_for_retry,
    release_to_wait,
)
from openisales.services.runtime import Runtime
from openisales.sftp import (
    DONE,
    FAILED,
    FetchedFile,
    FetchError,
    MoveRequest,
    SftpTarget,
    UnsafePathError,
    fetch_file,
    move_file,
)
from openisales.sftp.exposure import tenant_message
from openisales.storage import import_tasks as task_rows
from openisales.storage import tenants as tenant_rows
from openisales.storage.models import Campaign, FileServer, ImportSchedule, ImportTask

log = logging.getLogger("openisales.import")


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
    file_name: str  # the name this run fetches: a date pattern in the task's name expanded
    attempts: int
    schedule_id: str | None
    began_at: datetime  # the run's first claim: waiting for the file is counted from it
    validate_only: bool = False  # a dry run: the importer validates and counts, writes nothing
    done_marker: bool = False  # the file server asks for "<file>.done" before a fetch
    move_after_import: bool = False  # move the file into done/ or failed/ after the run
    file_sha256: str = ""
    default_region: str | None = None  # the tenant's: numbers are read with libphonenumber
    # Seconds per stage, filled in as the run goes; stored on the task when it completes.
    timings: dict[str, float] = field(default_factory=dict)
    # The counts written by ``complete``, for the metrics once the write has committed.
    counts: dict[str, Any] = field(default_factory=dict)


Importer = Callable[[Runtime, TaskContext, str, Path], None]
"""Imports a fetched file: (runtime, task, lease owner, local path)."""


def run_task(rt: Runtime, task: ImportTask, owner: str, importers: Mapping[str, Importer]) -> None:
    """Run a claimed task to its end state (2 or 3), or put it back for a retry.

    A task that ends after its file was fetched moves the file when it asks for it.
    """
    started = time.perf_counter()
    end_status: int | None = None
    context: TaskContext | None = None
    fetched: FetchedFile | None = None
    try:
        context = _load_context(rt, task, owner, importers)
        try:
            fetched = _fetch(rt, context, owner)
            context = replace(context, file_sha256=fetched.sha256, timings=context.timings)
            if not _skip_unchanged(rt, context, owner):
                importers[context.kind](rt, context, owner, fetched.path)
            end_status = task_rows.COMPLETED
            if not context.validate_only:  # a dry run imported nothing
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
        fail(rt, task.task_id, owner, str(exc))
        end_status = task_rows.FAILED
    except OperationalError:  # the database restarted or went away: nothing was committed
        release_after_database_error(rt, task.task_id, owner, task.attempts)
    except Exception:
        log.exception("import task %s: unexpected error", task.task_id)
        fail(rt, task.task_id, owner, "internal error while importing; see the service log")
        end_status = task_rows.FAILED
    if end_status is not None:
        metrics.task_ended(task.kind, end_status, time.perf_counter() - started)
        if context is not None and fetched is not None:
            _move_after_run(rt, context, fetched, end_status)
    log.info("import task %s done in %.2f s", task.task_id, time.perf_counter() - started)


def _load_context(
    rt: Runtime, task: ImportTask, owner: str, importers: Mapping[str, Importer]
) -> TaskContext:
    with rt.db.transaction() as session:
        server = session.get(FileServer, task.server_id)
        if server is None or server.vdn_id != task.vdn_id:
            raise TaskFailed(text("task.server_gone", server=task.server_id).render("en"))
        device_type = None
        if task.campaign_pk is not None:
            campaign = session.get(Campaign, task.campaign_pk)
            if campaign is None:
                raise TaskFailed(text("task.campaign_gone").render("en"))
            device_type = campaign.device_type
        if task.kind not in importers:
            raise TaskFailed(f"unknown import kind {task.kind!r}")
        tenant = tenant_rows.get(session, task.vdn_id)
        time_zone = tenant.time_zone if tenant else "UTC"
        default_region = tenant.default_region if tenant else None
        file_name = _name_to_fetch(task, time_zone)
        if not task_rows.update_owned(session, task.task_id, owner, fetched_name=file_name):
            raise LeaseLost
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
            time_zone=time_zone,
            target=target,
            server_id=server.server_id,
            file_path=task.file_path,
            file_name=file_name,
            attempts=task.attempts,
            schedule_id=task.schedule_id,
            began_at=task.begin_time or rt.clock(),
            validate_only=task.validate_only,
            done_marker=server.require_done_marker,
            move_after_import=task.move_after_import and not task.validate_only,
            default_region=default_region,
        )


def _name_to_fetch(task: ImportTask, time_zone: str) -> str:
    """The task's file name, its date pattern expanded at the run's time on the tenant's clock.

    The run's time is when it was due (a scheduled run: its schedule's time; otherwise when it
    was submitted), so a retry or a wait past midnight still fetches the same day's file.
    """
    moment = task.scheduled_at or task.created_at
    try:
        return file_name_pattern.expand(task.file_name, moment, time_zone)
    except file_name_pattern.PatternError as exc:  # refused at submit; kept for old rows
        raise TaskFailed(f"fileName: {exc}") from exc


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
                allowed_networks=rt.server_networks,
                stable_seconds=rt.settings.fetch_stable_seconds,
                text=context.file_name.lower().endswith((".csv", ".txt")),  # read as CSV
                done_marker=context.done_marker,
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
    """A passing network fault is retried with backoff a bounded number of times; a file not
    complete yet is waited for (``_wait_for_file``); others fail.

    The log gets the whole reason; the task's errMsg only what the tenant may learn of it.
    """
    log.warning("import task %s: fetch failed: %s: %s", context.task_id, exc.kind, exc.message)
    message = _fetch_error_text(context, exc)
    if exc.not_ready:
        return _wait_for_file(rt, context, owner, message)
    if not exc.retryable or context.attempts >= rt.settings.import_max_attempts:
        if exc.retryable:
            message += f" (gave up after {context.attempts} attempts)"
        return TaskFailed(message)
    release_for_retry(rt, context.task_id, owner, context.attempts, message)
    return TaskReleased(message)


def _fetch_error_text(context: TaskContext, exc: FetchError) -> str:
    """What the tenant is told of a failed fetch (or move): its kind and the allowed detail."""
    told = tenant_message(exc.kind, exc.message, context.target.where)
    return f"{exc.kind.value.replace('_', ' ').lower()}: {told}"


def _wait_for_file(rt: Runtime, context: TaskContext, owner: str, reason: str) -> Exception:
    """A file still being written (or without its marker yet) is waited for, not imported.

    The task goes back to the queue and looks again after ``file_wait_poll_seconds``; the wait
    does not use up the attempts kept for passing faults. After ``file_wait_seconds`` since the
    run's first look, the task fails.
    """
    waited = rt.clock() - context.began_at
    bound = rt.settings.file_wait_seconds
    if waited >= timedelta(seconds=bound):
        gave_up = text("task.file_never_ready", minutes=f"{bound / 60:g}", reason=reason)
        return TaskFailed(gave_up.render("en"))
    poll = rt.settings.file_wait_poll_seconds
    release_to_wait(rt, context.task_id, owner, context.attempts, poll, reason)
    return TaskReleased(reason)


def _move_after_run(rt: Runtime, context: TaskContext, fetched: FetchedFile, status: int) -> None:
    """Move the fetched file into done/ (completed) or failed/ when the task asks for it.

    The task has ended: a move that fails changes nothing of its result; why it failed is
    recorded beside the errMsg (and logged), where the file went in ``movedTo``.
    """
    if not context.move_after_import:
        return
    folder = DONE if status == task_rows.COMPLETED else FAILED
    # The fetch pinned the server's key (trust on first use): the move must meet the same one.
    target = replace(context.target, pinned_host_key=fetched.host_key or None)
    request = MoveRequest(context.file_path, context.file_name, folder, context.task_id)
    moved_to: str | None = None
    error: str | None = None
    try:
        moved_to = asyncio.run(
            move_file(
                target,
                request,
                connect_timeout=rt.settings.sftp_connect_timeout,
                read_timeout=rt.settings.sftp_read_timeout,
                allowed_networks=rt.server_networks,
            )
        )
    except FetchError as exc:
        metrics.sftp_error(exc.kind.value)
        log.warning("import task %s: move to %s/ failed: %s", context.task_id, folder, exc)
        reason = _fetch_error_text(context, exc)
        error = text("task.move_failed", folder=folder, reason=reason).render("en")
    except (UnsafePathError, ValueError, OSError) as exc:
        log.warning("import task %s: move to %s/ failed: %s", context.task_id, folder, exc)
        error = text("task.move_failed", folder=folder, reason=str(exc)).render("en")
    else:
        log.info("import task %s: file moved to %s", context.task_id, moved_to)
    with rt.db.transaction() as session:
        task_rows.record_move(session, context.task_id, moved_to=moved_to, move_error=error)


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
    complete_in(session, rt, context.task_id, owner, timings=context.timings, **values)
    context.counts.update(values)
    if remember_file and context.schedule_id is not None:
        schedule = session.get(ImportSchedule, context.schedule_id)
        if schedule is not None:
            schedule.last_sha256 = context.file_sha256


def summary(context: TaskContext, failed_rows: int) -> str:
    """The task's ``errMsg`` when it completes: what failed, and whether it was a dry run.

    Stored in English; queryDataImportTask renders it in the caller's language (i18n).
    """
    if context.validate_only:
        key = "task.dry_run_rows_failed" if failed_rows else "task.dry_run"
    elif failed_rows:
        key = "task.rows_failed"
    else:
        return ""
    return text(key, count=failed_rows).render("en")


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
