"""Telling a file still being written from a finished one, by its attributes on the server.

A download is kept only when the file's size and modification time are the same before the
transfer, after it and, when the file may still be in use, after a short re-check, and when the
bytes read are its final size. Otherwise the fetch fails with FILE_CHANGED, and the task waits
for the file to be complete (``FetchError.not_ready``).

The re-check waits until ``stable_seconds`` have passed since the first look, so a transfer that
took that long already pays nothing. It is done only for a file that may still be in use: one
modified in the last ``RECENT_SECONDS`` by this machine's clock (or later, or of unknown age),
and a text file whose last line has no line end (many writers leave the final line end out, so
that alone is no reason to refuse a file; but a writer that flushes in blocks leaves one cut
mid-line, and this catches it even when the server's clock is far behind ours). A file written
long ago is fetched without waiting.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncssh

from openisales.sftp.errors import FetchError, FetchErrorKind

__all__ = ["RECENT_SECONDS", "Snapshot", "change", "needs_recheck", "still_being_written"]

#: A file modified less than this long ago may still be being written. Wide enough for the
#: clocks of the file server and this machine to disagree by a minute or so.
RECENT_SECONDS = 120.0


@dataclass(frozen=True)
class Snapshot:
    """What changes about a file while it is written: its size and modification time."""

    size: int | None
    mtime: int | None  # seconds (SFTP version 3, which OpenSSH speaks, has no finer time)
    mtime_ns: int | None

    @classmethod
    def of(cls, attrs: asyncssh.SFTPAttrs) -> Snapshot:
        """The snapshot of a file's SFTP attributes."""
        return cls(attrs.size, attrs.mtime, attrs.mtime_ns)


def change(before: Snapshot, after: Snapshot, received: int) -> str | None:
    """How the file changed since ``before``, or is not the ``received`` bytes; None if not."""
    if before.size != after.size:
        return f"its size went from {before.size} to {after.size} bytes"
    if (before.mtime, before.mtime_ns) != (after.mtime, after.mtime_ns):
        return "its modification time changed"
    if after.size is not None and received != after.size:
        return f"{received} bytes were read of its {after.size}"
    return None


def needs_recheck(snapshot: Snapshot, now: float, ends_mid_line: bool) -> bool:
    """True when the file may still be in use: modified recently, or text cut mid-line."""
    if ends_mid_line or snapshot.mtime is None:
        return True
    return snapshot.mtime > now - RECENT_SECONDS


def still_being_written(remote_path: str, where: str, how: str) -> FetchError:
    """The FILE_CHANGED error for a file that changed while it was fetched."""
    return FetchError(
        FetchErrorKind.FILE_CHANGED,
        f"the file was still being written: {remote_path} on {where} changed while it was "
        f"fetched ({how}); write it under a temporary name and rename it once complete",
    )
