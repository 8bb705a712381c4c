"""Opening the SSH connection: allowed networks, host key pin, password login.

Password authentication only. Every failure to connect or log in is mapped here, in
``_login_error`` (asyncssh and socket errors) and ``_not_allowed`` (an address outside the
allowed networks), to a ``FetchError`` kind and message.
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass, field

import asyncssh

from openisales.networks import ServerNetworks
from openisales.sftp.errors import FetchError, FetchErrorKind
from openisales.sftp.exposure import connect_failure_detail
from openisales.sftp.hostkeys import HostKeyRecorder, describe_key, host_key_algs

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
    allowed_networks: ServerNetworks | None,
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
    # Refused, no route, no name, timeout, or a peer that is no SSH server: one kind, so that
    # the tenant cannot tell them apart (sftp.exposure); the message keeps the detail.
    return _unreachable(where, exc, attempt.connect_timeout)


def _unreachable(where: str, exc: BaseException, connect_timeout: float) -> FetchError:
    detail = connect_failure_detail(exc, connect_timeout)
    return FetchError(FetchErrorKind.UNREACHABLE, f"SFTP server {where}: {detail}")


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
    return _unreachable(where, exc, attempt.connect_timeout)


async def open_allowed_socket(
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
