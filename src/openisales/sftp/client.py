"""Fetch one file from a customer's SFTP server.

Password authentication only. The server's host key is trusted on first use (the caller stores
``FetchedFile.host_key``) and must match the pinned key afterwards. The remote path is built from
the file server's default path plus the request's relative path and name, and must stay inside
the default path both as text and on the server (after the server resolves symlinks).

The file is streamed into a temporary file (``.fetch-*``) in the destination directory, hashed
on the way, and renamed into place only when complete and unchanged on the server (a file still
being written is FILE_CHANGED, see ``stability``); on any failure the temporary file is removed.
Every failure the caller can act on is a ``FetchError`` with a ``kind``.

The parts: ``connection`` (connect, log in, map connect failures), ``hostkeys`` (pinning),
``transfer`` (the SFTP requests and the download), ``stability`` (did the file change while it
was fetched), ``staging`` (the local temporary file), ``errors`` (``FetchError`` and its kinds).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import asyncssh

from openisales.networks import ServerNetworks
from openisales.sftp.connection import SftpTarget, connect
from openisales.sftp.errors import FetchError, FetchErrorKind
from openisales.sftp.hostkeys import key_line, parse_pinned_key
from openisales.sftp.paths import normalise_root, resolve_remote_path
from openisales.sftp.transfer import Download, Session

__all__ = [
    "FetchError",
    "FetchErrorKind",
    "FetchedFile",
    "SftpTarget",
    "fetch_file",
]


@dataclass(frozen=True)
class FetchedFile:
    """A downloaded file, and the host key of the server it came from."""

    path: Path  # the downloaded file, in dest_dir, named like the remote file
    size: int
    sha256: str  # hex digest
    host_key: str  # the key the server presented (OpenSSH line), to pin on first use


async def fetch_file(
    target: SftpTarget,
    file_path: str | None,
    file_name: str,
    dest_dir: Path,
    *,
    max_bytes: int,
    connect_timeout: float = 10,
    read_timeout: float = 30,
    progress: Callable[[int], None] | None = None,
    allowed_networks: ServerNetworks | None = None,
    stable_seconds: float = 0.0,
    text: bool = False,
    done_marker: bool = False,
) -> FetchedFile:
    """Download one file into ``dest_dir`` (as ``dest_dir / file_name``, replacing a file there).

    ``progress`` is called with the number of bytes received so far after each chunk. With
    ``allowed_networks``, the connection is opened only to an address of the host inside them,
    checked on the connected socket before a byte of SSH is sent. ``connect_timeout`` covers TCP
    connect, SSH handshake and login; ``read_timeout`` applies to each SFTP request. A file that
    may still be in use is looked at again ``stable_seconds`` after the first look (``text``:
    the file is CSV-like, see ``stability``). With ``done_marker`` the file is fetched only once
    ``<file>.done`` exists beside it (else MARKER_MISSING), and not re-checked. Raises ``UnsafePathError`` before connecting when
    the path is unsafe, ``ValueError`` when the pinned host key cannot be parsed, ``FetchError``
    for everything the server or the network does, and ``OSError`` for local failures other
    than a full disk (e.g. ``dest_dir`` not writable).
    """
    remote_path = resolve_remote_path(target.default_path, file_path, file_name)
    root, local_path = normalise_root(target.default_path), dest_dir / file_name
    job = Download(
        root, remote_path, local_path, max_bytes, progress, stable_seconds, text, done_marker
    )
    pinned = parse_pinned_key(target.pinned_host_key) if target.pinned_host_key else None
    conn = await connect(target, pinned, connect_timeout, allowed_networks)
    try:
        fetched = await _download(conn, Session(conn, target.where, read_timeout), job)
    except BaseException:
        conn.abort()  # never wait on a server that may have stopped answering
        raise
    await _close(conn, read_timeout)
    return fetched


async def _download(
    conn: asyncssh.SSHClientConnection, session: Session, job: Download
) -> FetchedFile:
    presented = conn.get_server_host_key()
    host_key = key_line(presented) if presented is not None else ""
    path, size, digest = await session.download(job)
    return FetchedFile(path=path, size=size, sha256=digest, host_key=host_key)


async def _close(conn: asyncssh.SSHClientConnection, read_timeout: float) -> None:
    """Close politely, but wait at most a few seconds for the server to agree."""
    conn.close()
    with contextlib.suppress(Exception):
        await asyncio.wait_for(conn.wait_closed(), timeout=min(read_timeout, 5))
