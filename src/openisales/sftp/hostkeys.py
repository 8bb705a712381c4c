"""Host key pinning: parsing the pinned key, what to offer in key exchange, how keys are shown.

The server's host key is trusted on first use (the caller stores the key the server presented)
and must match the pinned key afterwards.
"""

from __future__ import annotations

import asyncssh
from asyncssh.public_key import get_default_public_key_algs

__all__ = ["HostKeyRecorder", "describe_key", "host_key_algs", "key_line", "parse_pinned_key"]


def parse_pinned_key(line: str) -> asyncssh.SSHKey:
    """The pinned key of an OpenSSH public key line; ``ValueError`` when it is not one."""
    try:
        return asyncssh.import_public_key(line.strip())
    except (asyncssh.KeyImportError, ValueError) as exc:
        raise ValueError(f"the pinned host key is not an OpenSSH public key line: {exc}") from None


def key_line(key: asyncssh.SSHKey) -> str:
    """'algorithm base64-blob', without a comment."""
    algorithm, blob = key.export_public_key("openssh").decode("ascii").split()[:2]
    return f"{algorithm} {blob}"


def describe_key(key: asyncssh.SSHKey) -> str:
    """A key as an operator compares it: its algorithm and SHA-256 fingerprint."""
    return f"{key.get_algorithm()} {key.get_fingerprint('sha256')}"


def host_key_algs(pinned: asyncssh.SSHKey | None) -> str | list[str]:
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


class HostKeyRecorder(asyncssh.SSHClient):
    """Remembers a host key that failed the pinned-key check, for the error message."""

    def __init__(self) -> None:
        self.rejected_key: asyncssh.SSHKey | None = None

    def validate_host_public_key(
        self, host: str, addr: str, port: int, key: asyncssh.SSHKey
    ) -> bool:
        """Record the key asyncssh found not matching the pin, and refuse it."""
        self.rejected_key = key
        return False
