"""The tenant's blocklist from the shell: ``blocklist add``, ``delete``, ``query`` and ``import``."""

from __future__ import annotations

from typing import Annotated

import typer

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
from openisales.client.cli.output import emit, listing, send
from openisales.client.cli.profile import open_client

BLOCKLIST_COLUMNS = [
    "blocklistNo",
    "active",
    "validityExpirationTime",
    "validityTime",
    "restrictTimes",
    "restrictPeriod",
    "createTime",
]


def add(
    numbers: Annotated[list[str], typer.Argument(help="Numbers to block.")],
    validity_time: Annotated[int | None, typer.Option("--validity-time", help="Hours.")] = None,
    expires: Annotated[str | None, typer.Option("--expires", help="validityExpirationTime")] = None,
    restrict_times: Annotated[int | None, typer.Option("--restrict-times")] = None,
    restrict_period: Annotated[str | None, typer.Option("--restrict-period")] = None,
    profile: ProfileOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add numbers to the blocklist."""
    with open_client(profile) as isales:
        answer = send(
            lambda: isales.add_blocklist(
                numbers, expires, validity_time, restrict_times, restrict_period
            ),
            as_json,
        )
    emit(answer, as_json, f"{len(numbers)} number(s) added")


def delete(
    number: Annotated[str, typer.Argument()],
    profile: ProfileOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Remove a number from the blocklist."""
    with open_client(profile) as isales:
        answer = send(lambda: isales.delete_blocklist(number), as_json)
    emit(answer, as_json, f"{number} deleted")


def query(
    numbers: Annotated[list[str] | None, typer.Argument(help="Only these numbers.")] = None,
    offset: Offset = 0,
    limit: Limit = 100,
    profile: ProfileOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List blocklisted numbers."""
    with open_client(profile) as isales:
        answer = send(lambda: isales.query_blocklist(numbers, offset, limit), as_json)
    listing(answer, BLOCKLIST_COLUMNS, as_json)


def import_file(
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
    """Import a blocklist file from a file server and follow the task until it ends."""
    check_schedule_options(hour, minute)
    submit_and_follow(
        profile,
        lambda isales: isales.upload_blackfile(
            server_id,
            file_name,
            file_path,
            hour,
            minute,
            validate_only,
            move_after_import,
            notify_url,
        ),
        lambda isales, ids: isales.query_blackfile_tasks(import_task_ids=ids),
        wait=not no_wait,
        as_json=as_json,
    )
