"""Call data imports from the shell: ``import``, ``tasks``, ``failures``, ``mapping``, ``schedules``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from openisales.client import ISalesClient, ISalesHTTPError
from openisales.client.cli.follow import check_schedule_options, submit_and_follow
from openisales.client.cli.options import (
    FileName,
    FilePath,
    Hour,
    JsonOpt,
    Limit,
    Minute,
    MoveAfterImport,
    NotifyUrl,
    NoWait,
    Offset,
    ProfileOpt,
    ServerId,
    ValidateOnly,
)
from openisales.client.cli.output import EXIT_USAGE, SUCCESS, die, emit, listing, send
from openisales.client.cli.profile import open_client

Campaign = Annotated[int, typer.Option("--campaign", help="Campaign id.")]

TASK_COLUMNS = [
    "id",
    "status",
    "fileName",
    "totalNum",
    "processedNum",
    "succNum",
    "failNum",
    "repeatNum",
    "blackNum",
    "beginTime",
    "endTime",
    "errMsg",
]
SCHEDULE_COLUMNS = [
    "scheduleId",
    "status",
    "hour",
    "minute",
    "timeZone",
    "fileName",
    "filePath",
    "nextRunTime",
    "lastTaskId",
]


def import_file(
    campaign: Campaign,
    server_id: ServerId,
    file_name: FileName,
    file_path: FilePath = None,
    hour: Hour = None,
    minute: Minute = None,
    validate_only: ValidateOnly = False,
    move_after_import: MoveAfterImport = False,
    notify_url: NotifyUrl = None,
    no_wait: NoWait = False,
    profile: ProfileOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Import a call data file from a file server and follow the task until it ends."""
    check_schedule_options(hour, minute)
    submit_and_follow(
        profile,
        lambda isales: isales.upload_file_server(
            campaign,
            server_id,
            file_name,
            file_path,
            hour,
            minute,
            validate_only,
            move_after_import,
            notify_url,
        ),
        lambda isales, ids: isales.query_import_tasks(campaign, import_task_ids=ids),
        wait=not no_wait,
        as_json=as_json,
    )


def tasks(
    campaign: Campaign,
    offset: Offset = 0,
    limit: Limit = 100,
    profile: ProfileOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List a campaign's import tasks."""
    with open_client(profile) as isales:
        answer = send(lambda: isales.query_import_tasks(campaign, offset, limit), as_json)
    listing(answer, TASK_COLUMNS, as_json)


TaskId = Annotated[str, typer.Argument(help="importTaskId")]


def failures(
    task_id: TaskId,
    fmt: Annotated[str, typer.Option("--format", help="xlsx or csv")] = "xlsx",
    output: Annotated[
        Path | None, typer.Option("--output", help="Default: <id>-failures.<format>")
    ] = None,
    profile: ProfileOpt = None,
) -> None:
    """Download an import task's failure report (every rejected row with column and reason)."""
    target = output or Path(f"{task_id}-failures.{fmt}")
    _download(profile, fmt, target, lambda isales: isales.failures_response(task_id, fmt))


def mapping(
    task_id: TaskId,
    fmt: Annotated[str, typer.Option("--format", help="csv or xlsx")] = "csv",
    output: Annotated[
        Path | None, typer.Option("--output", help="Default: <id>-mapping.<format>")
    ] = None,
    profile: ProfileOpt = None,
) -> None:
    """Download a finished import's record mapping: rowNumber, dataId, sessionId, calledNo."""
    target = output or Path(f"{task_id}-mapping.{fmt}")
    _download(profile, fmt, target, lambda isales: isales.mapping_response(task_id, fmt))


def _download(
    profile: Path | None,
    fmt: str,
    target: Path,
    fetch: Callable[[ISalesClient], httpx.Response],
) -> None:
    """Fetch a file the service makes (a report, a mapping) into ``target`` and print its path."""
    if fmt not in ("xlsx", "csv"):
        die(f"--format must be xlsx or csv, got {fmt!r}", EXIT_USAGE)
    with open_client(profile) as isales:
        data: dict[str, Any] = {}

        def download() -> dict[str, Any]:
            """The file, kept aside; a refusal comes back as its envelope."""
            response = fetch(isales)
            is_json = "json" in response.headers.get("content-type", "")
            envelope: dict[str, Any] | None = response.json() if is_json else None
            if not response.is_success:
                raise ISalesHTTPError(response.status_code, envelope, response.content)
            if envelope is not None:  # a refusal (unknown or unfinished task) is an envelope
                return envelope
            data["file"] = response.content
            return {"resultCode": SUCCESS}

        send(download)
    try:
        target.write_bytes(data["file"])
    except OSError as exc:
        die(f"cannot write {target}: {exc}", EXIT_USAGE)
    typer.echo(str(target))


def schedules(
    campaign: Annotated[
        int | None, typer.Option("--campaign", help="Default: the blocklist's schedules.")
    ] = None,
    cancel: Annotated[str | None, typer.Option("--cancel", help="Cancel this scheduleId.")] = None,
    profile: ProfileOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List daily imports (a campaign's, or the blocklist's), or cancel one."""
    with open_client(profile) as isales:
        if cancel is not None:
            answer = send(lambda: isales.cancel_schedule(cancel), as_json)
            emit(answer, as_json, f"schedule {cancel} cancelled")
            return
        answer = send(lambda: isales.list_schedules(campaign), as_json)
    listing(answer, SCHEDULE_COLUMNS, as_json)
