"""What can go wrong fetching a file: ``FetchError`` and its kinds, and which kinds may pass."""

from __future__ import annotations

import errno
from enum import StrEnum
from pathlib import Path
from typing import NoReturn

__all__ = ["FetchError", "FetchErrorKind", "raise_local", "reason"]


class FetchErrorKind(StrEnum):
    """Why a fetch failed: what an operator (or a retry) can do about it depends on this."""

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
    FILE_CHANGED = "FILE_CHANGED"  # changed while fetched: still being written
    MARKER_MISSING = "MARKER_MISSING"  # the server asks for "<file>.done", which is not there yet


_RETRYABLE = frozenset(
    {
        FetchErrorKind.UNREACHABLE,
        FetchErrorKind.TIMEOUT,
        FetchErrorKind.CONNECTION_LOST,
        FetchErrorKind.SERVER_ERROR,
    }
)
# The file is not complete yet: the task waits for it (``file_wait_seconds``), without using
# up the attempts that are there for passing faults.
_NOT_READY = frozenset({FetchErrorKind.FILE_CHANGED, FetchErrorKind.MARKER_MISSING})


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

    @property
    def not_ready(self) -> bool:
        """True when the file is still being written, or its ``.done`` marker is not there yet."""
        return self.kind in _NOT_READY

    def __repr__(self) -> str:
        return f"FetchError({self.kind.value}, {self.message!r})"


def reason(exc: BaseException) -> str:
    """The reason an asyncssh or OS error gives, else its text or its type's name."""
    text = getattr(exc, "reason", None)
    if isinstance(text, str) and text:
        return text
    return str(exc) or type(exc).__name__


def raise_local(exc: OSError, where: Path) -> NoReturn:
    """Re-raise a local file error, as DISK_FULL when the disk (or quota) is full."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        raise FetchError(
            FetchErrorKind.DISK_FULL, f"no space left for the download in {where}: {exc.strerror}"
        ) from exc
    raise exc
