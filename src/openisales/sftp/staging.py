"""The local side of a download: a temporary file renamed into place only when complete."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from openisales.sftp.errors import raise_local

__all__ = ["TempFile"]


class TempFile:
    """A '.fetch-*' file in the destination directory, removed unless committed."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        try:
            fd, name = tempfile.mkstemp(prefix=".fetch-", dir=directory)
        except OSError as exc:
            raise_local(exc, directory)
        self.path = Path(name)
        self._file = os.fdopen(fd, "wb")

    def __enter__(self) -> TempFile:
        return self

    def write(self, data: bytes) -> None:
        """Append ``data``; a full disk is a DISK_FULL ``FetchError``."""
        try:
            self._file.write(data)
        except OSError as exc:
            raise_local(exc, self._directory)

    def commit(self, final_path: Path) -> None:
        """Flush to disk and rename to ``final_path``, replacing a file there."""
        try:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            os.replace(self.path, final_path)
        except OSError as exc:
            raise_local(exc, self._directory)

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if not self._file.closed:
            with contextlib.suppress(OSError):
                self._file.close()
        if exc_type is not None:
            self.path.unlink(missing_ok=True)
