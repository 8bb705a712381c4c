"""fetch_file against a real OpenSSH sftp server on loopback."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from openisales.sftp import (
    FetchError,
    FetchErrorKind,
    SftpTarget,
    UnsafePathError,
    fetch_file,
)
from tests.support.servers import SftpServer, free_port

pytestmark = pytest.mark.sftp

MiB = 1024 * 1024


def target_for(
    server: SftpServer,
    *,
    pinned: str | None = None,
    password: str | None = None,
    port: int | None = None,
    default_path: str | None = None,
) -> SftpTarget:
    return SftpTarget(
        host=server.host,
        port=server.port if port is None else port,
        username=server.username,
        password=server.password if password is None else password,
        default_path=str(server.home) if default_path is None else default_path,
        pinned_host_key=pinned,
    )


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    directory = tmp_path / "downloads"
    directory.mkdir()
    return directory


def listing(directory: Path) -> list[str]:
    return sorted(os.listdir(directory))


async def expect_failure(kind: FetchErrorKind, fetch: Awaitable[object]) -> FetchError:
    """Await a fetch that must fail with ``kind``; returns the error."""
    with pytest.raises(FetchError) as info:
        await fetch
    assert info.value.kind is kind, info.value.message
    return info.value


# -- success -----------------------------------------------------------------------------------


async def test_fetches_file_with_size_hash_and_host_key(sftp: SftpServer, dest: Path) -> None:
    content = os.urandom(3 * MiB + 12345)  # several chunks and a partial one
    sftp.put_file("isales/20220310/data.xlsx", content)
    seen: list[int] = []

    result = await fetch_file(
        target_for(sftp),
        "/isales/20220310",  # the OpenAPI's form: relative to the default path
        "data.xlsx",
        dest,
        max_bytes=10 * MiB,
        progress=seen.append,
    )

    assert result.path == dest / "data.xlsx"
    assert result.path.read_bytes() == content
    assert result.size == len(content)
    assert result.sha256 == hashlib.sha256(content).hexdigest()
    assert result.host_key == sftp.host_key_public
    assert listing(dest) == ["data.xlsx"]  # no temporary file left behind
    assert seen == sorted(seen) and seen[-1] == len(content) and len(seen) >= 4


async def test_empty_file(sftp: SftpServer, dest: Path) -> None:
    sftp.put_file("empty.xlsx", b"")
    result = await fetch_file(target_for(sftp), None, "empty.xlsx", dest, max_bytes=100)
    assert result.size == 0
    assert result.sha256 == hashlib.sha256(b"").hexdigest()
    assert result.path.read_bytes() == b""
    assert listing(dest) == ["empty.xlsx"]


async def test_file_of_exactly_max_bytes_is_accepted(sftp: SftpServer, dest: Path) -> None:
    sftp.put_file("limit.bin", b"x" * 1000)
    result = await fetch_file(target_for(sftp), "", "limit.bin", dest, max_bytes=1000)
    assert result.size == 1000


async def test_replaces_a_file_already_in_dest_dir(sftp: SftpServer, dest: Path) -> None:
    (dest / "data.xlsx").write_bytes(b"old content")
    sftp.put_file("data.xlsx", b"new content")
    result = await fetch_file(target_for(sftp), None, "data.xlsx", dest, max_bytes=100)
    assert result.path.read_bytes() == b"new content"
    assert listing(dest) == ["data.xlsx"]


async def test_symlink_inside_the_default_path_is_followed(sftp: SftpServer, dest: Path) -> None:
    real = sftp.put_file("real/data.xlsx", b"linked content")
    (sftp.home / "alias.xlsx").symlink_to(real)
    result = await fetch_file(target_for(sftp), "/", "alias.xlsx", dest, max_bytes=100)
    assert result.path == dest / "alias.xlsx"
    assert result.path.read_bytes() == b"linked content"


async def test_default_path_with_trailing_slash(sftp: SftpServer, dest: Path) -> None:
    sftp.put_file("a/b.txt", b"b")
    target = target_for(sftp, default_path=f"{sftp.home}/")
    result = await fetch_file(target, "a", "b.txt", dest, max_bytes=10)
    assert result.path.read_bytes() == b"b"


async def test_connection_is_closed_after_the_fetch(sftp: SftpServer, dest: Path) -> None:
    sftp.put_file("data.xlsx", b"content")
    await fetch_file(target_for(sftp), None, "data.xlsx", dest, max_bytes=100)
    deadline = time.monotonic() + 5
    while sftp.session_pids() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sftp.session_pids() == set()


# -- host keys ---------------------------------------------------------------------------------


async def test_pinned_key_matches_ignoring_its_comment(sftp: SftpServer, dest: Path) -> None:
    sftp.put_file("data.xlsx", b"pinned")
    pinned = f"{sftp.host_key_public} operator@example comment"
    result = await fetch_file(
        target_for(sftp, pinned=pinned), None, "data.xlsx", dest, max_bytes=100
    )
    assert result.path.read_bytes() == b"pinned"
    assert result.host_key == sftp.host_key_public


async def test_changed_host_key_is_refused_before_login(sftp: SftpServer, dest: Path) -> None:
    old_key = sftp.host_key_public
    sftp.regenerate_host_key()  # restarts the server with the new key
    assert sftp.host_key_public != old_key
    sftp.put_file("data.xlsx", b"from an impostor")
    log_before = sftp.log_path.read_text(errors="replace")

    error = await expect_failure(
        FetchErrorKind.HOST_KEY_CHANGED,
        fetch_file(target_for(sftp, pinned=old_key), None, "data.xlsx", dest, max_bytes=100),
    )

    assert not error.retryable
    assert f"{sftp.host}:{sftp.port}" in error.message
    new_fingerprint = subprocess.run(
        ["ssh-keygen", "-l", "-E", "sha256", "-f", "-"],
        input=sftp.host_key_public,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()[1]
    assert new_fingerprint in error.message
    assert listing(dest) == []
    # the password was never offered to the server with the unknown key
    new_log = sftp.log_path.read_text(errors="replace")[len(log_before) :]
    assert "password" not in new_log.lower()


async def test_pinned_key_of_a_type_the_server_lacks(
    sftp: SftpServer, dest: Path, tmp_path: Path
) -> None:
    key_file = tmp_path / "rsa_key"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", str(key_file)],
        check=True,
    )
    rsa_public = key_file.with_suffix(".pub").read_text().strip()
    sftp.put_file("data.xlsx", b"x")

    error = await expect_failure(
        FetchErrorKind.HOST_KEY_CHANGED,
        fetch_file(target_for(sftp, pinned=rsa_public), None, "data.xlsx", dest, max_bytes=10),
    )
    assert "ssh-rsa" in error.message
    assert not error.retryable


async def test_unparseable_pinned_key_is_a_value_error(sftp: SftpServer, dest: Path) -> None:
    with pytest.raises(ValueError, match="pinned host key"):
        await fetch_file(
            target_for(sftp, pinned="not a key"), None, "data.xlsx", dest, max_bytes=10
        )


# -- connection and login failures -------------------------------------------------------------


async def test_wrong_password(sftp: SftpServer, dest: Path) -> None:
    sftp.put_file("data.xlsx", b"x")
    error = await expect_failure(
        FetchErrorKind.AUTH_FAILED,
        fetch_file(
            target_for(sftp, password="Wrong-Secret-123"), None, "data.xlsx", dest, max_bytes=10
        ),
    )
    assert not error.retryable
    assert sftp.username in error.message
    assert f"{sftp.host}:{sftp.port}" in error.message
    assert "Wrong-Secret-123" not in error.message and sftp.password not in error.message
    assert listing(dest) == []


async def test_closed_port_is_unreachable(sftp: SftpServer, dest: Path) -> None:
    port = free_port()
    error = await expect_failure(
        FetchErrorKind.UNREACHABLE,
        fetch_file(target_for(sftp, port=port), None, "data.xlsx", dest, max_bytes=10),
    )
    assert error.retryable
    assert f"127.0.0.1:{port}" in error.message
    assert listing(dest) == []


@pytest.fixture
def silent_listener() -> Iterator[int]:
    """A TCP port that accepts connections but never says a word."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]


async def test_server_that_never_answers_times_out(
    sftp: SftpServer, dest: Path, silent_listener: int
) -> None:
    started = time.monotonic()
    error = await expect_failure(
        FetchErrorKind.UNREACHABLE,  # before an SSH session: one kind for every cause
        fetch_file(
            target_for(sftp, port=silent_listener),
            None,
            "data.xlsx",
            dest,
            max_bytes=10,
            connect_timeout=0.5,
        ),
    )
    assert time.monotonic() - started < 5
    assert error.retryable
    assert f"127.0.0.1:{silent_listener}" in error.message
    assert "within 0.5 s" in error.message  # the operator's detail


async def test_server_that_stops_answering_mid_transfer_times_out(
    sftp: SftpServer, dest: Path
) -> None:
    sftp.put_file("big.bin", os.urandom(64 * MiB))

    def pause_once(received: int) -> None:
        if received:
            sftp.pause_sessions()

    try:
        started = time.monotonic()
        error = await expect_failure(
            FetchErrorKind.TIMEOUT,
            fetch_file(
                target_for(sftp),
                None,
                "big.bin",
                dest,
                max_bytes=100 * MiB,
                read_timeout=1,
                progress=pause_once,
            ),
        )
    finally:
        sftp.resume_sessions()
    assert time.monotonic() - started < 10
    assert error.retryable
    assert "big.bin" in error.message
    assert listing(dest) == []


async def test_server_stopped_mid_transfer_is_connection_lost(sftp: SftpServer, dest: Path) -> None:
    size = 64 * MiB
    sftp.put_file("big.bin", os.urandom(size))
    seen: list[int] = []

    def stop_once(received: int) -> None:
        seen.append(received)
        if len(seen) == 1:
            sftp.stop()  # kills the listener and the live session

    error = await expect_failure(
        FetchErrorKind.CONNECTION_LOST,
        fetch_file(target_for(sftp), None, "big.bin", dest, max_bytes=size, progress=stop_once),
    )
    assert error.retryable
    assert f"{sftp.host}:{sftp.port}" in error.message
    assert seen and seen[-1] < size
    assert listing(dest) == []
    assert not sftp.running


# -- what is at the path -----------------------------------------------------------------------


async def test_missing_file(sftp: SftpServer, dest: Path) -> None:
    sftp.mkdir("isales")
    error = await expect_failure(
        FetchErrorKind.NOT_FOUND,
        fetch_file(target_for(sftp), "isales", "missing.xlsx", dest, max_bytes=10),
    )
    assert not error.retryable
    assert f"{sftp.home}/isales/missing.xlsx" in error.message
    assert listing(dest) == []


async def test_missing_directory(sftp: SftpServer, dest: Path) -> None:
    error = await expect_failure(
        FetchErrorKind.NOT_FOUND,
        fetch_file(target_for(sftp), "/no/such/dir", "data.xlsx", dest, max_bytes=10),
    )
    assert f"{sftp.home}/no/such/dir/data.xlsx" in error.message


async def test_missing_default_path(sftp: SftpServer, dest: Path) -> None:
    target = target_for(sftp, default_path=f"{sftp.home}/not-there")
    error = await expect_failure(
        FetchErrorKind.NOT_FOUND, fetch_file(target, None, "data.xlsx", dest, max_bytes=10)
    )
    assert f"{sftp.home}/not-there" in error.message


async def test_directory_is_not_a_file(sftp: SftpServer, dest: Path) -> None:
    sftp.mkdir("isales/data.xlsx")
    error = await expect_failure(
        FetchErrorKind.NOT_A_FILE,
        fetch_file(target_for(sftp), "isales", "data.xlsx", dest, max_bytes=10),
    )
    assert not error.retryable
    assert f"{sftp.home}/isales/data.xlsx" in error.message
    assert listing(dest) == []


async def test_unreadable_file_is_permission_denied(sftp: SftpServer, dest: Path) -> None:
    sftp.put_file("secret.xlsx", b"secret").chmod(0o000)
    error = await expect_failure(
        FetchErrorKind.PERMISSION_DENIED,
        fetch_file(target_for(sftp), None, "secret.xlsx", dest, max_bytes=100),
    )
    assert not error.retryable
    assert "secret.xlsx" in error.message
    assert listing(dest) == []


async def test_file_in_unreadable_directory_is_permission_denied(
    sftp: SftpServer, dest: Path
) -> None:
    sftp.put_file("locked/data.xlsx", b"x")
    (sftp.home / "locked").chmod(0o000)
    error = await expect_failure(
        FetchErrorKind.PERMISSION_DENIED,
        fetch_file(target_for(sftp), "locked", "data.xlsx", dest, max_bytes=100),
    )
    assert "locked/data.xlsx" in error.message


async def test_file_larger_than_max_bytes(sftp: SftpServer, dest: Path) -> None:
    sftp.put_file("big.xlsx", b"x" * 1001)
    error = await expect_failure(
        FetchErrorKind.TOO_LARGE,
        fetch_file(target_for(sftp), None, "big.xlsx", dest, max_bytes=1000),
    )
    assert not error.retryable
    assert "1001 bytes" in error.message and "1000 bytes" in error.message
    assert listing(dest) == []


async def test_file_that_grows_past_max_bytes_during_download(sftp: SftpServer, dest: Path) -> None:
    path = sftp.put_file("growing.bin", os.urandom(3 * MiB))
    grown = False

    def grow(received: int) -> None:
        nonlocal grown
        if not grown:
            with path.open("ab") as f:
                f.write(os.urandom(2 * MiB))
            grown = True

    error = await expect_failure(
        FetchErrorKind.TOO_LARGE,
        fetch_file(target_for(sftp), None, "growing.bin", dest, max_bytes=4 * MiB, progress=grow),
    )
    assert "grew" in error.message
    assert listing(dest) == []


# -- a file still being written ----------------------------------------------------------------


def append_once(path: Path, data: bytes) -> Callable[[int], None]:
    """A progress callback that appends ``data`` to the server's file at the first chunk."""
    done = False

    def append(received: int) -> None:
        nonlocal done
        if not done:
            with path.open("ab") as f:
                f.write(data)
            done = True

    return append


async def test_file_appended_to_during_the_transfer_is_file_changed(
    sftp: SftpServer, dest: Path
) -> None:
    path = sftp.put_file("growing.csv", b"sessionId,called\n" + b"s1,13900050001\n" * 200_000)
    error = await expect_failure(
        FetchErrorKind.FILE_CHANGED,
        fetch_file(
            target_for(sftp),
            None,
            "growing.csv",
            dest,
            max_bytes=10 * MiB,
            progress=append_once(path, b"s2,1390"),
        ),
    )
    assert error.not_ready and not error.retryable  # waited for, not retried as a fault
    assert error.message.startswith("the file was still being written: ")
    assert f"{sftp.home}/growing.csv" in error.message and "size went from" in error.message
    assert listing(dest) == []  # the torn copy is not kept


async def test_file_truncated_during_the_transfer_is_file_changed(
    sftp: SftpServer, dest: Path
) -> None:
    path = sftp.put_file("rewritten.bin", os.urandom(3 * MiB))

    def truncate(received: int) -> None:
        if received < MiB:
            os.truncate(path, MiB)

    await expect_failure(
        FetchErrorKind.FILE_CHANGED,
        fetch_file(
            target_for(sftp), None, "rewritten.bin", dest, max_bytes=10 * MiB, progress=truncate
        ),
    )
    assert listing(dest) == []


def append_after_the_transfer(path: Path, size: int, data: bytes) -> Callable[[int], None]:
    """A progress callback that appends ``data`` 0.1 s after the last chunk has arrived."""

    def append() -> None:
        with path.open("ab") as f:
            f.write(data)

    def at_the_end(received: int) -> None:
        if received == size:
            threading.Timer(0.1, append).start()

    return at_the_end


async def test_recently_written_file_changed_after_the_transfer_is_caught_by_the_recheck(
    sftp: SftpServer, dest: Path
) -> None:
    content = b"sessionId,called\ns1,13900050001\n"
    path = sftp.put_file("paused.csv", content)
    error = await expect_failure(
        FetchErrorKind.FILE_CHANGED,
        fetch_file(
            target_for(sftp),
            None,
            "paused.csv",
            dest,
            max_bytes=MiB,
            stable_seconds=1.0,  # the writer pauses 0.1 s: the re-check comes after it
            progress=append_after_the_transfer(path, len(content), b"s2,13900050002\n"),
        ),
    )
    assert "still being written" in error.message
    assert listing(dest) == []


async def test_old_text_file_cut_mid_line_is_rechecked_too(sftp: SftpServer, dest: Path) -> None:
    """Its mtime says it is old (the server's clock may be behind), but its last line is cut."""
    content = b"sessionId,called\ns1,1390"
    path = sftp.put_file("cut.csv", content)
    os.utime(path, (time.time() - 86400, time.time() - 86400))
    error = await expect_failure(
        FetchErrorKind.FILE_CHANGED,
        fetch_file(
            target_for(sftp),
            None,
            "cut.csv",
            dest,
            max_bytes=MiB,
            stable_seconds=1.0,
            text=True,
            progress=append_after_the_transfer(path, len(content), b"0050001\n"),
        ),
    )
    assert "still being written" in error.message


async def test_unchanged_file_is_fetched_after_the_recheck(sftp: SftpServer, dest: Path) -> None:
    """A complete file, just written and without a final line end, passes the re-check."""
    sftp.put_file("done.csv", b"sessionId,called\ns1,13900050001")
    result = await fetch_file(
        target_for(sftp), None, "done.csv", dest, max_bytes=MiB, stable_seconds=0.2, text=True
    )
    assert result.path.read_bytes() == b"sessionId,called\ns1,13900050001"
    assert listing(dest) == ["done.csv"]


# -- staying inside the default path -----------------------------------------------------------


async def test_symlink_to_a_file_outside_is_refused(sftp: SftpServer, dest: Path) -> None:
    (sftp.home / "passwd.xlsx").symlink_to("/etc/passwd")
    error = await expect_failure(
        FetchErrorKind.PATH_OUTSIDE_ROOT,
        fetch_file(target_for(sftp), None, "passwd.xlsx", dest, max_bytes=MiB),
    )
    assert not error.retryable
    assert "/etc/passwd" in error.message
    assert listing(dest) == []


async def test_symlinked_directory_outside_is_refused(sftp: SftpServer, dest: Path) -> None:
    (sftp.home / "etc").symlink_to("/etc")
    error = await expect_failure(
        FetchErrorKind.PATH_OUTSIDE_ROOT,
        fetch_file(target_for(sftp), "/etc", "passwd", dest, max_bytes=MiB),
    )
    assert "/etc/passwd" in error.message
    assert listing(dest) == []


async def test_sibling_directory_sharing_the_prefix_is_outside(
    sftp: SftpServer, dest: Path
) -> None:
    # default path /home/isales-sftp/data must not admit /home/isales-sftp/data-other
    sftp.mkdir("data")
    sftp.put_file("data-other/x.xlsx", b"other")
    (sftp.home / "data" / "x.xlsx").symlink_to(sftp.home / "data-other" / "x.xlsx")
    target = target_for(sftp, default_path=f"{sftp.home}/data")
    error = await expect_failure(
        FetchErrorKind.PATH_OUTSIDE_ROOT, fetch_file(target, None, "x.xlsx", dest, max_bytes=10)
    )
    assert "data-other/x.xlsx" in error.message


@pytest.mark.parametrize(
    ("file_path", "file_name"),
    [("../", "passwd"), ("/../../etc", "passwd"), ("isales/../..", "x.xlsx"), (None, "../x")],
)
async def test_dot_dot_is_refused_before_connecting(
    sftp: SftpServer, dest: Path, file_path: str | None, file_name: str
) -> None:
    # a closed port: had fetch_file tried to connect, it would report UNREACHABLE instead
    target = target_for(sftp, port=free_port())
    with pytest.raises(UnsafePathError):
        await fetch_file(target, file_path, file_name, dest, max_bytes=10)
    assert listing(dest) == []


# -- local disk --------------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs, to fill up for real."""
    mount_point = tmp_path / "small"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here to fill up: {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=False)


async def test_full_local_disk(sftp: SftpServer, small_disk: Path) -> None:
    sftp.put_file("big.bin", os.urandom(3 * MiB))
    error = await expect_failure(
        FetchErrorKind.DISK_FULL,
        fetch_file(target_for(sftp), None, "big.bin", small_disk, max_bytes=10 * MiB),
    )
    assert not error.retryable
    assert str(small_disk) in error.message
    assert listing(small_disk) == []


def test_target_repr_hides_the_password() -> None:
    target = SftpTarget("h", 22, "u", "Top-Secret-Pw", "/home/sftp", None)
    assert "Top-Secret-Pw" not in repr(target)
