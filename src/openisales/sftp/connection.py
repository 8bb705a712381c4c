"""Opening the SSH connection: allowed networks, host key pin, password login.

Password authentication only. Every failure to connect or log in is mapped here, in
``_login_error`` (asyncssh and socket errors) and ``_not_allowed`` (an address outside the
allowed networks), to a ``FetchError`` kind and message.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field

import asyncssh

from openisales.sftp.errors import FetchError, FetchErrorKind
from openisales.sftp.hostkeys import HostKeyRecorder, describe_key, host_key_algs
from openisales.sftp.networks import SETTING, Network, describe, is_allowed

__all__ = ["SftpTarget", "connect", "open_allowed_socket"]


@dataclass(frozen=True)
class SftpTarget:
    """Where to fetch from. ``repr`` never shows the password."""

    host: str
    port: int
    username: str
    password: str = field(repr=False)
    default_path: str  # the file server's default path, e.g. /home/sftp
    pinned_host_key: str | None  # OpenSSH public key line; None = trust on first use

    @property
    def where(self) -> str:
        """'host:port', as messages name the server."""
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class _Attempt:
    """One connection attempt: what its error messages need to know."""

    target: SftpTarget
    pinned: asyncssh.SSHKey | None
    connect_timeout: float
    recorder: HostKeyRecorder


async def connect(
    target: SftpTarget,
    pinned: asyncssh.SSHKey | None,
    connect_timeout: float,
    allowed_networks: Sequence[Network] | None,
) -> asyncssh.SSHClientConnection:
    """An SSH connection to ``target``, logged in; every failure is a ``FetchError``."""
    attempt = _Attempt(target, pinned, connect_timeout, HostKeyRecorder())
    try:
        sock = None
        if allowed_networks is not None:
            sock = await asyncio.wait_for(
                open_allowed_socket(target, target.where, allowed_networks), connect_timeout
            )
        return await _login(attempt, sock)
    except (asyncssh.DisconnectError, OSError) as exc:  # OSError includes TimeoutError
        raise _login_error(exc, attempt) from None


async def _login(attempt: _Attempt, sock: socket.socket | None) -> asyncssh.SSHClientConnection:
    target, pinned = attempt.target, attempt.pinned
    conn, _client = await asyncssh.create_connection(
        lambda: attempt.recorder,
        target.host,
        target.port,
        username=target.username,
        password=target.password,
        client_keys=None,
        agent_path=None,
        known_hosts=None if pinned is None else ([pinned], [], []),
        server_host_key_algs=host_key_algs(pinned),
        # keyboard-interactive too: servers that check passwords through PAM offer only
        # that; asyncssh answers its password prompt with the password
        preferred_auth="password,keyboard-interactive",
        gss_kex=False,
        gss_auth=False,
        connect_timeout=attempt.connect_timeout,
        config=[],  # no ~/.ssh/config: nothing on this machine may redirect the connection
        sock=sock,
    )
    return conn


def _login_error(exc: asyncssh.DisconnectError | OSError, attempt: _Attempt) -> FetchError:
    """The ``FetchError`` for a failure to connect or log in (subclasses checked first)."""
    where = attempt.target.where
    if isinstance(exc, asyncssh.PermissionDenied):
        return FetchError(
            FetchErrorKind.AUTH_FAILED,
            f"SFTP server {where} refused the login of user {attempt.target.username!r}: "
            "wrong user name or password",
        )
    if isinstance(exc, asyncssh.HostKeyNotVerifiable | asyncssh.KeyExchangeFailed):
        return _key_error(exc, attempt)
    if isinstance(exc, asyncssh.DisconnectError):  # includes ConnectionLost
        return FetchError(
            FetchErrorKind.CONNECTION_LOST,
            f"SFTP server {where} closed the connection during login: {exc.reason}",
        )
    if isinstance(exc, TimeoutError):
        return FetchError(
            FetchErrorKind.TIMEOUT,
            f"SFTP server {where} did not complete connection and login within "
            f"{attempt.connect_timeout:g} s",
        )
    # refused, no route, DNS failure, reset
    return FetchError(
        FetchErrorKind.UNREACHABLE, f"cannot connect to SFTP server {where}: {_os_reason(exc)}"
    )


def _key_error(
    exc: asyncssh.HostKeyNotVerifiable | asyncssh.KeyExchangeFailed, attempt: _Attempt
) -> FetchError:
    where, pinned = attempt.target.where, attempt.pinned
    if isinstance(exc, asyncssh.HostKeyNotVerifiable):
        presented = attempt.recorder.rejected_key
        seen = f" ({describe_key(presented)})" if presented is not None else ""
        expected = describe_key(pinned) if pinned is not None else "?"
        return FetchError(
            FetchErrorKind.HOST_KEY_CHANGED,
            f"SFTP server {where} presented a host key{seen} that differs from the pinned "
            f"key ({expected}); if the server was legitimately replaced, update its pinned key",
        )
    if pinned is not None:
        return FetchError(
            FetchErrorKind.HOST_KEY_CHANGED,
            f"SFTP server {where} offers no host key matching the pinned key "
            f"({describe_key(pinned)}): {exc.reason}; if the server was legitimately "
            "replaced, update its pinned key",
        )
    return FetchError(
        FetchErrorKind.UNREACHABLE, f"SSH key exchange with {where} failed: {exc.reason}"
    )


def _os_reason(exc: OSError) -> str:
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve the host name ({exc.strerror})"
    if exc.errno is not None and exc.errno > 0:
        return os.strerror(exc.errno)
    return str(exc) or type(exc).__name__


async def open_allowed_socket(
    target: SftpTarget, where: str, networks: Sequence[Network]
) -> socket.socket:
    """A TCP connection to the first address of the host inside ``networks``."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    allowed = [info for info in infos if is_allowed(str(info[4][0]), networks)]
    if not allowed:
        addresses = ", ".join(sorted({str(info[4][0]) for info in infos}))
        raise _not_allowed(where, addresses, networks)
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
        peer = str(sock.getpeername()[0])
        if not is_allowed(peer, networks):  # the address really connected to decides
            sock.close()
            raise _not_allowed(where, peer, networks)
        return sock
    assert error is not None
    raise error


def _not_allowed(where: str, addresses: str, networks: Sequence[Network]) -> FetchError:
    return FetchError(
        FetchErrorKind.ADDRESS_NOT_ALLOWED,
        f"SFTP server {where} is at {addresses}, outside the allowed networks "
        f"{describe(networks)} ({SETTING}); nothing was fetched",
    )
