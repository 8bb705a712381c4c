"""Downloading one file over an SFTP session on an open connection.

The remote path must stay inside the default path on the server too (after the server resolves
symlinks). The file is streamed with many reads in flight into a temporary file in the
destination directory, hashed on the way, and renamed into place only when complete and
unchanged on the server (``stability``); on any failure the temporary file is removed. Every SFTP request has the read timeout, and its failures
are mapped to ``FetchError`` kinds in ``_request_error``.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import hashlib
import stat
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

import asyncssh

from openisales.sftp.errors import FetchError, FetchErrorKind, reason
from openisales.sftp.paths import is_inside
from openisales.sftp.stability import Snapshot, change, needs_recheck, still_being_written
from openisales.sftp.staging import TempFile

__all__ = ["IN_FLIGHT_BYTES", "MIN_BLOCK", "Download", "Session", "marker_path"]

#: Bytes of read requests kept in flight (the window that hides the round-trip time).
IN_FLIGHT_BYTES = 4 * 1024 * 1024
#: Smallest read request: asyncssh assumes 16 KiB when a server does not state its limits.
MIN_BLOCK = 16 * 1024

_T = TypeVar("_T")

# Every failure of an SFTP request that becomes a FetchError; anything else propagates.
_MAPPED = (
    TimeoutError,
    asyncssh.SFTPError,
    asyncssh.DisconnectError,
    asyncssh.ChannelOpenError,
    ConnectionError,
)
_LOST = (
    asyncssh.SFTPConnectionLost,
    asyncssh.SFTPNoConnection,
    asyncssh.DisconnectError,
    ConnectionError,
)


@dataclass(frozen=True)
class Download:
    """One file to download: where it is, where it goes, how large it may be."""

    root: str  # the default path, normalised
    remote_path: str
    local_path: Path
    max_bytes: int
    progress: Callable[[int], None] | None = None
    stable_seconds: float = 0.0  # re-check a file in use this long after the first look
    text: bool = False  # line-based text: a last line without its line end is suspect
    done_marker: bool = False  # fetch only once "<remote_path>.done" exists; then no re-check


@dataclass(frozen=True)
class _Seen:
    """The file's attributes at the first look, and when (monotonic clock) that was."""

    snapshot: Snapshot
    at: float


@dataclass(frozen=True)
class _Received:
    size: int
    sha256: str
    last_byte: bytes  # empty for an empty file


class Session:
    """SFTP requests on one connection, each with the read timeout and its failures mapped."""

    def __init__(self, conn: asyncssh.SSHClientConnection, where: str, read_timeout: float):
        self._conn = conn
        self._where = where
        self._read_timeout = read_timeout

    async def _await(self, awaitable: Awaitable[_T]) -> _T:
        """Await with the read timeout.

        On timeout or cancellation the connection is aborted rather than the request cancelled:
        an SFTP request cannot be taken back, and asyncssh leaves the helper tasks of a
        cancelled operation behind, while an abort makes every outstanding request fail at once.
        """
        task = asyncio.ensure_future(awaitable)
        task.add_done_callback(retrieve)
        try:
            done, _ = await asyncio.wait({task}, timeout=self._read_timeout)
        except asyncio.CancelledError:
            self._conn.abort()
            raise
        if not done:
            self._conn.abort()
            with contextlib.suppress(Exception, asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(task), timeout=5)
            if not task.done():
                task.cancel()
            raise TimeoutError
        return task.result()

    async def request(self, awaitable: Awaitable[_T], doing: str, path: str = "") -> _T:
        """Await one SFTP operation with the read timeout, mapping its failures."""
        try:
            return await self._await(awaitable)
        except _MAPPED as exc:
            raise self._request_error(exc, doing, path) from None

    def _request_error(self, exc: Exception, doing: str, path: str) -> FetchError:
        """The ``FetchError`` for a failed request (subclasses checked before their bases)."""
        where, subject = self._where, f" {path}" if path else ""
        if isinstance(exc, TimeoutError):
            return FetchError(
                FetchErrorKind.TIMEOUT,
                f"SFTP server {where} did not answer within {self._read_timeout:g} s "
                f"while {doing}{subject}",
            )
        if isinstance(exc, asyncssh.SFTPNoSuchFile):
            return FetchError(
                FetchErrorKind.NOT_FOUND, f"{path or 'path'} does not exist on {where}"
            )
        if isinstance(exc, asyncssh.SFTPPermissionDenied):
            return FetchError(
                FetchErrorKind.PERMISSION_DENIED,
                f"SFTP server {where} denied access while {doing}{subject}",
            )
        if isinstance(exc, _LOST):
            return FetchError(
                FetchErrorKind.CONNECTION_LOST,
                f"connection to SFTP server {where} lost while {doing}{subject}: {reason(exc)}",
            )
        if isinstance(exc, asyncssh.ChannelOpenError):
            return FetchError(
                FetchErrorKind.SERVER_ERROR,
                f"SFTP server {where} refused to open an SFTP session: {exc.reason}",
            )
        assert isinstance(exc, asyncssh.SFTPError)
        return FetchError(
            FetchErrorKind.SERVER_ERROR,
            f"SFTP server {where} reported an error while {doing}{subject}: "
            f"{exc.reason or type(exc).__name__}",
        )

    async def download(self, job: Download) -> tuple[Path, int, str]:
        """Download ``job`` into its local path; returns the path, its size and SHA-256."""
        sftp = await self.request(self._conn.start_sftp_client(), "starting the SFTP session")
        if job.done_marker:
            await self._require_marker(sftp, job)
        real_path, seen = await self._locate(sftp, job)
        # block_size=0: each read() is exactly one SFTP request; the pipelining is ours.
        remote_file = await self.request(
            sftp.open(real_path, "rb", block_size=0), "opening", job.remote_path
        )
        block = max(sftp.limits.max_read_len, MIN_BLOCK)
        with TempFile(job.local_path.parent) as tmp:
            received = await self._stream(_Pipeline(remote_file, block, job.max_bytes), tmp, job)
            await self.request(remote_file.close(), "closing", job.remote_path)
            await self._check_unchanged(sftp, real_path, job, seen, received)
            tmp.commit(job.local_path)
        sftp.exit()
        return job.local_path, received.size, received.sha256

    async def _require_marker(self, sftp: asyncssh.SFTPClient, job: Download) -> None:
        """MARKER_MISSING until the writer has put ``<file>.done`` beside the file.

        Looked at before the file itself: a writer that has not begun yet is waited for too.
        """
        marker = marker_path(job.remote_path)
        try:
            await self.request(sftp.stat(marker), "looking for the marker", marker)
        except FetchError as exc:
            if exc.kind != FetchErrorKind.NOT_FOUND:
                raise
            raise FetchError(
                FetchErrorKind.MARKER_MISSING,
                f"waiting for {marker} on {self._where}: the file server asks for a .done marker "
                "before a file is imported",
            ) from None

    async def _locate(self, sftp: asyncssh.SFTPClient, job: Download) -> tuple[str, _Seen]:
        """The file's real path, checked to be a regular file inside the root, within the cap."""
        where, remote_path = self._where, job.remote_path
        real_root = await self.request(
            sftp.realpath(job.root), "resolving the default path", job.root
        )
        real_path = await self.request(sftp.realpath(remote_path), "resolving", remote_path)
        if not is_inside(real_path, real_root):
            raise FetchError(
                FetchErrorKind.PATH_OUTSIDE_ROOT,
                f"{remote_path} on {where} resolves to {real_path}, which is outside the "
                f"default path {real_root}",
            )
        attrs = await self.request(sftp.stat(real_path), "reading the attributes of", remote_path)
        seen = _Seen(Snapshot.of(attrs), time.monotonic())
        if not _is_regular(attrs):
            raise FetchError(
                FetchErrorKind.NOT_A_FILE, f"{remote_path} on {where} is not a regular file"
            )
        if attrs.size is not None and attrs.size > job.max_bytes:
            raise FetchError(
                FetchErrorKind.TOO_LARGE,
                f"{remote_path} on {where} is {attrs.size} bytes, more than the limit of "
                f"{job.max_bytes} bytes",
            )
        return real_path, seen

    async def _stream(self, pipeline: _Pipeline, tmp: TempFile, job: Download) -> _Received:
        """Read the file to its end into ``tmp``; more than ``max_bytes`` is TOO_LARGE."""
        hasher = hashlib.sha256()
        received, last = 0, b""
        while (pending := pipeline.take()) is not None:
            size, task = pending
            data = await self.request(task, f"reading at offset {received} of", job.remote_path)
            if not data:
                break  # end of file
            last = data
            received += len(data)
            if received > job.max_bytes:
                raise FetchError(
                    FetchErrorKind.TOO_LARGE,
                    f"{job.remote_path} on {self._where} grew past the limit of {job.max_bytes} "
                    "bytes during the download",
                )
            hasher.update(data)
            tmp.write(data)
            if job.progress is not None:
                job.progress(received)
            if len(data) < size:  # end of file, or a server that sends less than asked:
                pipeline.restart_at(received)  # at the end that read comes back empty
        return _Received(received, hasher.hexdigest(), last[-1:])

    async def _check_unchanged(
        self, sftp: asyncssh.SFTPClient, real_path: str, job: Download, seen: _Seen, got: _Received
    ) -> None:
        """FILE_CHANGED unless the file is as first seen after the transfer and the re-check."""
        after = await self._look(sftp, real_path, job, seen, got)
        # With a marker the writer has said the file is complete: no need to watch it.
        wait = 0.0 if job.done_marker else job.stable_seconds - (time.monotonic() - seen.at)
        ends_mid_line = job.text and got.last_byte not in (b"", b"\n", b"\r")
        if wait > 0 and needs_recheck(after, time.time(), ends_mid_line):
            await asyncio.sleep(wait)  # a writer that paused for the transfer writes again
            await self._look(sftp, real_path, job, seen, got)

    async def _look(
        self, sftp: asyncssh.SFTPClient, real_path: str, job: Download, seen: _Seen, got: _Received
    ) -> Snapshot:
        """The file's attributes now; FILE_CHANGED when they differ from the first look."""
        attrs = await self.request(
            sftp.stat(real_path), "re-reading the attributes of", job.remote_path
        )
        now = Snapshot.of(attrs)
        how = change(seen.snapshot, now, got.size)
        if how is not None:
            raise still_being_written(job.remote_path, self._where, how)
        return now


class _Pipeline:
    """Block reads in flight at consecutive offsets, taken in order.

    Reads are never cancelled (asyncssh cannot take a request back): after a short read the
    reads queued behind it are dropped and their answers ignored.
    """

    def __init__(self, remote_file: asyncssh.SFTPClientFile, block: int, max_bytes: int) -> None:
        self._file = remote_file
        self._block = block
        self._depth = max(16, min(IN_FLIGHT_BYTES // block, 128))
        self._max_bytes = max_bytes
        self._pending: collections.deque[tuple[int, asyncio.Task[bytes]]] = collections.deque()
        self._next_offset = 0

    def take(self) -> tuple[int, asyncio.Task[bytes]] | None:
        """The next read (its requested size and task), after topping up the ones in flight."""
        while len(self._pending) < self._depth and self._next_offset <= self._max_bytes:
            # never ask beyond one byte past the limit: that byte shows the file grew
            size = min(self._block, self._max_bytes + 1 - self._next_offset)
            task = asyncio.ensure_future(self._read(self._next_offset, size))
            task.add_done_callback(retrieve)
            self._pending.append((size, task))
            self._next_offset += size
        return self._pending.popleft() if self._pending else None

    def restart_at(self, offset: int) -> None:
        """Drop the reads in flight and go on reading from ``offset``."""
        self._pending.clear()
        self._next_offset = offset

    async def _read(self, offset: int, size: int) -> bytes:
        return cast(bytes, await self._file.read(size, offset))  # opened in binary mode


def marker_path(remote_path: str) -> str:
    """The ``.done`` marker that says ``remote_path`` is complete: ``<remote_path>.done``."""
    return remote_path + ".done"


def retrieve(task: asyncio.Future[Any]) -> None:
    """Mark a task's exception as seen; the caller reports failures its own way."""
    if not task.cancelled():
        task.exception()


def _is_regular(attrs: asyncssh.SFTPAttrs) -> bool:
    if attrs.permissions is not None:
        return stat.S_ISREG(attrs.permissions)
    return attrs.type == asyncssh.FILEXFER_TYPE_REGULAR
