"""Daily files on a real sftp server: the .done marker, and moving a file into done/ or failed/."""

from __future__ import annotations

from pathlib import Path

import pytest

from openisales.sftp import (
    DONE,
    FAILED,
    FetchError,
    FetchErrorKind,
    MoveRequest,
    fetch_file,
    move_file,
)
from tests.sftp.test_fetch import MiB, dest, expect_failure, listing, target_for
from tests.support.servers import SftpServer

pytestmark = pytest.mark.sftp
__all__ = ["dest"]  # the fixture, used by name

DATA = b"sessionId,called\ns1,13900050001\n"
TASK = "000000000000000000000000000042"


async def test_missing_marker_is_not_ready_even_before_the_file_exists(
    sftp: SftpServer, dest: Path
) -> None:
    for present in (False, True):  # the writer has not begun; then it has written the file
        if present:
            sftp.put_file("drop/calls.csv", DATA)
        error = await expect_failure(
            FetchErrorKind.MARKER_MISSING,
            fetch_file(
                target_for(sftp), "drop", "calls.csv", dest, max_bytes=MiB, done_marker=True
            ),
        )
        assert error.not_ready and not error.retryable
        assert f"{sftp.home}/drop/calls.csv.done" in error.message
    assert listing(dest) == []


async def test_file_with_its_marker_is_fetched(sftp: SftpServer, dest: Path) -> None:
    sftp.put_file("drop/calls.csv", DATA)
    sftp.put_file("drop/calls.csv.done", b"")
    fetched = await fetch_file(
        target_for(sftp),
        "drop",
        "calls.csv",
        dest,
        max_bytes=MiB,
        done_marker=True,
        stable_seconds=30,  # the marker says it is complete: no re-check wait
    )
    assert fetched.path.read_bytes() == DATA


async def test_marker_without_the_file_is_not_found(sftp: SftpServer, dest: Path) -> None:
    sftp.put_file("drop/calls.csv.done", b"")
    await expect_failure(
        FetchErrorKind.NOT_FOUND,
        fetch_file(target_for(sftp), "drop", "calls.csv", dest, max_bytes=MiB, done_marker=True),
    )


async def test_move_into_done_creates_the_folder_and_takes_the_marker_along(
    sftp: SftpServer,
) -> None:
    sftp.put_file("drop/calls.csv", DATA)
    sftp.put_file("drop/calls.csv.done", b"")
    moved = await move_file(target_for(sftp), MoveRequest("/drop", "calls.csv", DONE, TASK))
    assert moved == "drop/done/calls.csv"
    assert sorted(p.name for p in (sftp.home / "drop").iterdir()) == ["done"]
    assert (sftp.home / "drop/done/calls.csv").read_bytes() == DATA
    assert (sftp.home / "drop/done/calls.csv.done").exists()


async def test_a_name_already_taken_gets_the_task_id(sftp: SftpServer) -> None:
    sftp.put_file("failed/calls.csv", b"yesterday's")
    sftp.put_file("calls.csv", DATA)
    moved = await move_file(target_for(sftp), MoveRequest(None, "calls.csv", FAILED, TASK))
    assert moved == f"failed/calls.{TASK}.csv"
    assert (sftp.home / "failed/calls.csv").read_bytes() == b"yesterday's"
    assert (sftp.home / f"failed/calls.{TASK}.csv").read_bytes() == DATA
    assert not (sftp.home / "calls.csv").exists()


async def test_done_folder_linked_outside_the_default_path_is_refused(sftp: SftpServer) -> None:
    sftp.put_file("calls.csv", DATA)
    (sftp.home / "done").symlink_to("/tmp")
    with pytest.raises(FetchError) as raised:
        await move_file(target_for(sftp), MoveRequest(None, "calls.csv", DONE, TASK))
    assert raised.value.kind is FetchErrorKind.PATH_OUTSIDE_ROOT
    assert (sftp.home / "calls.csv").exists()  # left where it was


async def test_moving_a_file_that_is_gone_is_not_found(sftp: SftpServer) -> None:
    with pytest.raises(FetchError) as raised:
        await move_file(target_for(sftp), MoveRequest(None, "gone.csv", DONE, TASK))
    assert raised.value.kind is FetchErrorKind.NOT_FOUND


def test_only_done_and_failed() -> None:
    with pytest.raises(ValueError, match="done/ or failed/"):
        MoveRequest(None, "calls.csv", "elsewhere", TASK)
