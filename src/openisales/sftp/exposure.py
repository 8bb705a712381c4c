"""What a tenant may learn from a failed connection to its file server, and what only the log gets.

A tenant chooses the address it imports from, so whatever the answer tells apart is a probe of
the network the service sits in. Until an SSH server has completed its key exchange, a closed
port (refused), a filtered one (no answer, timeout), a host that does not exist (no route, no
name) and a port where another service listens (it closes the connection or says something
that is not SSH) would each tell the tenant something about that network; the tenant gets one
and the same message for all of them, and the operator's log keeps the detail.

From a completed key exchange on, the peer has shown it is an SSH server, which is what the
tenant said it was: a refused login (``AUTH_FAILED``) and a changed host key stay distinct,
because a wrong password is the failure a tenant most needs to tell from an outage. They reveal
nothing but "an SSH server listens at the address you gave".
"""

from __future__ import annotations

import os
import socket

__all__ = ["UNREACHABLE", "connect_failure_detail", "tenant_message"]

#: The one kind every failure before an established SSH session is reported as.
UNREACHABLE = "UNREACHABLE"


def connect_failure_detail(exc: BaseException, connect_timeout: float) -> str:
    """The operator's account of why no SSH session came about (never shown to the tenant)."""
    if isinstance(exc, TimeoutError):
        return f"no connection and SSH login within {connect_timeout:g} s"
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve the host name ({exc.strerror})"
    reason = getattr(exc, "reason", None)  # asyncssh's DisconnectError and KeyExchangeFailed
    if isinstance(reason, str) and reason:
        return f"{type(exc).__name__} before the SSH session was established: {reason}"
    if isinstance(exc, OSError) and exc.errno is not None and exc.errno > 0:
        return f"cannot connect: {os.strerror(exc.errno)}"
    return f"cannot connect: {exc or type(exc).__name__}"


def tenant_message(kind: str, message: str, where: str) -> str:
    """The text of a fetch failure of ``kind`` that the tenant sees (in the task's errMsg)."""
    if kind == UNREACHABLE:
        return (
            f"no SSH session could be established with SFTP server {where}: it could not be "
            "reached, refused or closed the connection, or did not answer in time"
        )
    return message
