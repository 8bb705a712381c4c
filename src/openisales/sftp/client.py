"""Fetch one file from a customer's SFTP server.

Password authentication only. The server's host key is trusted on first use (the caller stores
``FetchedFile.host_key``) and must match the pinned key afterwards. The remote path is built from
the file server's default path plus the request's relative path and name, and must stay inside
the default path both as text and on the server (after the server resolves symlinks).

The file is streamed into a temporary file (``.fetch-*``) in the destination directory, hashed
on the way, and renamed into place only when complete; on any failure the temporary file is
removed. Every failure the caller can act on is a ``FetchError`` with a ``kind``.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import errno
import hashlib
import os
import socket
import stat
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, NoReturn, TypeVar, cast

import asyncssh
from asyncssh.public_key import get_default_public_key_algs

from openisales.sftp.exposure import connect_failure_detail
from openisales.sftp.networks import ServerNetworks
from openisales.sftp.paths import is_inside, normalise_root, resolve_remote_path

__all__ = [
    "FetchError",
    "FetchErrorKind",
    "FetchedFile",
    "SftpTarget",
    "fetch_file",
]

#: Bytes of read requests kept in flight (the window that hides the round-trip time).
IN_FLIGHT_BYTES = 4 * 1024 * 1024
#: Smallest read request: asyncssh assumes 16 KiB when a server does not state its limits.
MIN_BLOCK = 16 * 1024

_T = TypeVar("_T")


@dataclass(frozen=True)
class SftpTarget:
    """Where to fetch from. ``repr`` never shows the password."""

    host: str
    port: int
    username: str
    password: str = field(repr=False)
    default_path: str  # the file server's default path, e.g. /home/sftp
    pinned_host_key: str | None  # OpenSSH public key line; None = trust on first use


@dataclass(frozen=True)
class FetchedFile:
    path: Path  # the downloaded file, in dest_dir, named like the remote file
    size: int
    sha256: str  # hex digest
    host_key: str  # the key the server presented (OpenSSH line), to pin on first use


class FetchErrorKind(StrEnum):
    UNREACHABLE = "UNREACHABLE"
    TIMEOUT = "TIMEOUT"
    AUTH_FAILED = "AUTH_FAILED"
    HOST_KEY_CHANGED = "HOST_KEY_CHANGED"
    PATH_OUTSIDE_ROOT = "PATH_OUTSIDE_ROOT"
    NOT_FOUND = "NOT_FOUND"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    NOT_A_FILE = "NOT_A_FILE"
    TOO_LARGE = "TOO_LARGE"
    CONNECTION_LOST = "CONNECTION_LOST"
    DISK_FULL = "DISK_FULL"
    ADDRESS_NOT_ALLOWED = "ADDRESS_NOT_ALLOWED"  # outside the operator's allowed networks
    SERVER_ERROR = "SERVER_ERROR"  # any other error status the SFTP server answered with


_RETRYABLE = frozenset(
    {
        FetchErrorKind.UNREACHABLE,
        FetchErrorKind.TIMEOUT,
        FetchErrorKind.CONNECTION_LOST,
        FetchErrorKind.SERVER_ERROR,
    }
)


class FetchError(Exception):
    """A fetch failed. ``message`` is meant for an operator and never contains the password."""

    def __init__(self, kind: FetchErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message

    @property
    def retryable(self) -> bool:
        """True when trying again later may succeed without anyone changing anything."""
        return self.kind in _RETRYABLE

    def __repr__(self) -> str:
        return f"FetchError({self.kind.value}, {self.message!r})"


def _parse_pinned_key(line: str) -> asyncssh.SSHKey:
    try:
        return asyncssh.import_public_key(line.strip())
    except (asyncssh.KeyImportError, ValueError) as exc:
        raise ValueError(f"the pinned host key is not an OpenSSH public key line: {exc}") from None


def _key_line(key: asyncssh.SSHKey) -> str:
    """'algorithm base64-blob', without a comment."""
    algorithm, blob = key.export_public_key("openssh").decode("ascii").split()[:2]
    return f"{algorithm} {blob}"


def _describe(key: asyncssh.SSHKey) -> str:
    return f"{key.get_algorithm()} {key.get_fingerprint('sha256')}"


def _host_key_algs(pinned: asyncssh.SSHKey | None) -> str | list[str]:
    """Host key algorithms to offer: the pinned key's first, then all the usual ones.

    With only the pinned key's algorithms on offer, a server that no longer has a key of that
    type would just drop the connection during key exchange, which looks like a network fault.
    Offering the others too makes it present its new key, which then fails the pin check.
    """
    if pinned is None:
        return "default"
    algs = [alg.decode("ascii") for alg in pinned.sig_algorithms]
    for alg in get_default_public_key_algs():
        name = alg.decode("ascii")
        if name not in algs:
            algs.append(name)
    return algs


class _HostKeyRecorder(asyncssh.SSHClient):
    """Remembers a host key that failed the pinned-key check, for the error message."""

    def __init__(self) -> None:
        self.rejected_key: asyncssh.SSHKey | None = None

    def validate_host_public_key(
        self, host: str, addr: str, port: int, key: asyncssh.SSHKey
    ) -> bool:
        self.rejected_key = key
        return False


# -- fetching ----------------------------------------------------------------------------------


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
) -> FetchedFile:
    """Download one file into ``dest_dir`` (as ``dest_dir / file_name``, replacing a file there).

    ``progress`` is called with the number of bytes received so far after each chunk.
    With ``allowed_networks``, the connection is opened only to an address of the host inside
    them, checked on the connected socket before a byte of SSH is sent.
    ``connect_timeout`` covers TCP connect, SSH handshake and login; ``read_timeout`` applies to
    each SFTP request (including each chunk read). Raises ``UnsafePathError`` before connecting
    when the path is unsafe, ``ValueError`` when the pinned host key cannot be parsed,
    ``FetchError`` for everything the server or the network does, and ``OSError`` for local
    failures other than a full disk (e.g. ``dest_dir`` not writable).
    """
    remote_path = resolve_remote_path(target.default_path, file_path, file_name)
    root = normalise_root(target.default_path)
    pinned = _parse_pinned_key(target.pinned_host_key) if target.pinned_host_key else None
    where = f"{target.host}:{target.port}"

    conn = await _connect(target, pinned, where, connect_timeout, allowed_networks)
    try:
        presented = conn.get_server_host_key()
        host_key = _key_line(presented) if presented is not None else ""
        fetch = _Fetch(conn, where, read_timeout)
        path, size, digest = await fetch.download(
            root, remote_path, dest_dir / file_name, max_bytes, progress
        )
    except BaseException:
        conn.abort()  # never wait on a server that may have stopped answering
        raise
    conn.close()
    with contextlib.suppress(Exception):
        await asyncio.wait_for(conn.wait_closed(), timeout=min(read_timeout, 5))
    return FetchedFile(path=path, size=size, sha256=digest, host_key=host_key)


async def _connect(
    target: SftpTarget,
    pinned: asyncssh.SSHKey | None,
    where: str,
    connect_timeout: float,
    allowed_networks: ServerNetworks | None,
) -> asyncssh.SSHClientConnection:
    recorder = _HostKeyRecorder()
    try:
        sock = None
        if allowed_networks is not None:
            sock = await asyncio.wait_for(
                _open_allowed_socket(target, where, allowed_networks), connect_timeout
            )
        conn, _client = await asyncssh.create_connection(
            lambda: recorder,
            target.host,
            target.port,
            username=target.username,
            password=target.password,
            client_keys=None,
            agent_path=None,
            known_hosts=None if pinned is None else ([pinned], [], []),
            server_host_key_algs=_host_key_algs(pinned),
            # keyboard-interactive too: servers that check passwords through PAM offer only
            # that; asyncssh answers its password prompt with the password
            preferred_auth="password,keyboard-interactive",
            gss_kex=False,
            gss_auth=False,
            connect_timeout=connect_timeout,
            config=[],  # no ~/.ssh/config: nothing on this machine may redirect the connection
            sock=sock,
        )
    except asyncssh.PermissionDenied:
        raise FetchError(
            FetchErrorKind.AUTH_FAILED,
            f"SFTP server {where} refused the login of user {target.username!r}: "
            "wrong user name or password",
        ) from None
    except asyncssh.HostKeyNotVerifiable:
        presented = recorder.rejected_key
        seen = f" ({_describe(presented)})" if presented is not None else ""
        expected = _describe(pinned) if pinned is not None else "?"
        raise FetchError(
            FetchErrorKind.HOST_KEY_CHANGED,
            f"SFTP server {where} presented a host key{seen} that differs from the pinned "
            f"key ({expected}); if the server was legitimately replaced, update its pinned key",
        ) from None
    except asyncssh.KeyExchangeFailed as exc:
        if pinned is not None:
            raise FetchError(
                FetchErrorKind.HOST_KEY_CHANGED,
                f"SFTP server {where} offers no host key matching the pinned key "
                f"({_describe(pinned)}): {exc.reason}; if the server was legitimately "
                "replaced, update its pinned key",
            ) from None
        raise _unreachable(where, exc, connect_timeout) from None
    # Refused, no route, no name, timeout, or a peer that is no SSH server: one kind, so that
    # the tenant cannot tell them apart (sftp.exposure); the message keeps the detail.
    except (asyncssh.DisconnectError, TimeoutError, OSError) as exc:
        raise _unreachable(where, exc, connect_timeout) from None
    return conn


def _unreachable(where: str, exc: BaseException, connect_timeout: float) -> FetchError:
    detail = connect_failure_detail(exc, connect_timeout)
    return FetchError(FetchErrorKind.UNREACHABLE, f"SFTP server {where}: {detail}")


async def _open_allowed_socket(
    target: SftpTarget, where: str, networks: ServerNetworks
) -> socket.socket:
    """A TCP connection to the first address of the host inside ``networks``."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    allowed = [info for info in infos if networks.allows(str(info[4][0]))]
    if not allowed:
        refusals = {networks.refusal(str(info[4][0])) or "" for info in infos}
        raise _not_allowed(where, "; ".join(sorted(refusals)))
    error: OSError | None = None
    for family, kind, proto, _name, address in allowed:
        sock = socket.socket(family, kind, proto)
        sock.setblocking(False)
        try:
            await loop.sock_connect(sock, address)
        except OSError as exc:
            sock.close()
            error = exc
            continue
        except BaseException:
            sock.close()
            raise
        refusal = networks.refusal(str(sock.getpeername()[0]))
        if refusal is not None:  # the address really connected to decides
            sock.close()
            raise _not_allowed(where, refusal)
        return sock
    assert error is not None
    raise error


def _not_allowed(where: str, refusals: str) -> FetchError:
    return FetchError(
        FetchErrorKind.ADDRESS_NOT_ALLOWED,
        f"SFTP server {where}: {refusals}; nothing was fetched",
    )


class _Fetch:
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
        task.add_done_callback(_retrieve)
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

    async def _remote(self, awaitable: Awaitable[_T], doing: str, path: str = "") -> _T:
        """Await one SFTP operation with the read timeout, mapping its failures."""
        subject = f" {path}" if path else ""
        try:
            return await self._await(awaitable)
        except TimeoutError:
            raise FetchError(
                FetchErrorKind.TIMEOUT,
                f"SFTP server {self._where} did not answer within {self._read_timeout:g} s "
                f"while {doing}{subject}",
            ) from None
        except asyncssh.SFTPNoSuchFile:
            raise FetchError(
                FetchErrorKind.NOT_FOUND, f"{path or 'path'} does not exist on {self._where}"
            ) from None
        except asyncssh.SFTPPermissionDenied:
            raise FetchError(
                FetchErrorKind.PERMISSION_DENIED,
                f"SFTP server {self._where} denied access while {doing}{subject}",
            ) from None
        except (
            asyncssh.SFTPConnectionLost,
            asyncssh.SFTPNoConnection,
            asyncssh.DisconnectError,
            ConnectionError,
        ) as exc:
            raise FetchError(
                FetchErrorKind.CONNECTION_LOST,
                f"connection to SFTP server {self._where} lost while {doing}{subject}: "
                f"{_reason(exc)}",
            ) from None
        except asyncssh.ChannelOpenError as exc:
            raise FetchError(
                FetchErrorKind.SERVER_ERROR,
                f"SFTP server {self._where} refused to open an SFTP session: {exc.reason}",
            ) from None
        except asyncssh.SFTPError as exc:
            raise FetchError(
                FetchErrorKind.SERVER_ERROR,
                f"SFTP server {self._where} reported an error while {doing}{subject}: "
                f"{exc.reason or type(exc).__name__}",
            ) from None

    async def download(
        self,
        root: str,
        remote_path: str,
        local_path: Path,
        max_bytes: int,
        progress: Callable[[int], None] | None,
    ) -> tuple[Path, int, str]:
        sftp = await self._remote(self._conn.start_sftp_client(), "starting the SFTP session")

        real_root = await self._remote(sftp.realpath(root), "resolving the default path", root)
        real_path = await self._remote(sftp.realpath(remote_path), "resolving", remote_path)
        if not is_inside(real_path, real_root):
            raise FetchError(
                FetchErrorKind.PATH_OUTSIDE_ROOT,
                f"{remote_path} on {self._where} resolves to {real_path}, which is outside the "
                f"default path {real_root}",
            )

        attrs = await self._remote(sftp.stat(real_path), "reading the attributes of", remote_path)
        if not _is_regular(attrs):
            raise FetchError(
                FetchErrorKind.NOT_A_FILE,
                f"{remote_path} on {self._where} is not a regular file",
            )
        if attrs.size is not None and attrs.size > max_bytes:
            raise FetchError(
                FetchErrorKind.TOO_LARGE,
                f"{remote_path} on {self._where} is {attrs.size} bytes, more than the limit of "
                f"{max_bytes} bytes",
            )

        # block_size=0: each read() below is exactly one SFTP request; the pipelining is ours.
        remote_file = await self._remote(
            sftp.open(real_path, "rb", block_size=0), "opening", remote_path
        )
        block = max(sftp.limits.max_read_len, MIN_BLOCK)
        depth = max(16, min(IN_FLIGHT_BYTES // block, 128))

        async def read(offset: int, size: int) -> bytes:
            return cast(bytes, await remote_file.read(size, offset))  # opened in binary mode

        def read_at(offset: int, size: int) -> asyncio.Task[bytes]:
            task = asyncio.ensure_future(read(offset, size))
            task.add_done_callback(_retrieve)
            return task

        # Up to `depth` block reads are in flight at consecutive offsets and consumed in order.
        # Reads are never cancelled (asyncssh cannot take a request back): after a short read
        # the reads queued behind it are dropped and their answers ignored.
        pending: collections.deque[tuple[int, asyncio.Task[bytes]]] = collections.deque()
        with _TempFile(local_path.parent) as tmp:
            hasher = hashlib.sha256()
            received = 0
            next_offset = 0
            while True:
                while len(pending) < depth and next_offset <= max_bytes:
                    # never ask beyond one byte past the limit: that byte shows the file grew
                    size = min(block, max_bytes + 1 - next_offset)
                    pending.append((size, read_at(next_offset, size)))
                    next_offset += size
                if not pending:
                    break
                size, task = pending.popleft()
                data = await self._remote(task, f"reading at offset {received} of", remote_path)
                if not data:
                    break  # end of file
                received += len(data)
                if received > max_bytes:
                    raise FetchError(
                        FetchErrorKind.TOO_LARGE,
                        f"{remote_path} on {self._where} grew past the limit of {max_bytes} "
                        "bytes during the download",
                    )
                hasher.update(data)
                tmp.write(data)
                if progress is not None:
                    progress(received)
                if len(data) < size:  # end of file, or a server that sends less than asked:
                    pending.clear()  # ask again from here; at the end that read comes back empty
                    next_offset = received
            await self._remote(remote_file.close(), "closing", remote_path)
            tmp.commit(local_path)
        sftp.exit()
        return local_path, received, hasher.hexdigest()


def _retrieve(task: asyncio.Future[Any]) -> None:
    """Mark a task's exception as seen; the caller reports failures its own way."""
    if not task.cancelled():
        task.exception()


def _is_regular(attrs: asyncssh.SFTPAttrs) -> bool:
    if attrs.permissions is not None:
        return stat.S_ISREG(attrs.permissions)
    return attrs.type == asyncssh.FILEXFER_TYPE_REGULAR


def _reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    if isinstance(reason, str) and reason:
        return reason
    return str(exc) or type(exc).__name__


def _raise_local(exc: OSError, where: Path) -> NoReturn:
    """Re-raise a local file error, as DISK_FULL when the disk (or quota) is full."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        raise FetchError(
            FetchErrorKind.DISK_FULL, f"no space left for the download in {where}: {exc.strerror}"
        ) from exc
    raise exc


class _TempFile:
    """A '.fetch-*' file in the destination directory, removed unless committed."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        try:
            fd, name = tempfile.mkstemp(prefix=".fetch-", dir=directory)
        except OSError as exc:
            _raise_local(exc, directory)
        self.path = Path(name)
        self._file = os.fdopen(fd, "wb")

    def __enter__(self) -> _TempFile:
        return self

    def write(self, data: bytes) -> None:
        try:
            self._file.write(data)
        except OSError as exc:
            _raise_local(exc, self._directory)

    def commit(self, final_path: Path) -> None:
        try:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            os.replace(self.path, final_path)
        except OSError as exc:
            _raise_local(exc, self._directory)

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if not self._file.closed:
            with contextlib.suppress(OSError):
                self._file.close()
        if exc_type is not None:
            self.path.unlink(missing_ok=True)
