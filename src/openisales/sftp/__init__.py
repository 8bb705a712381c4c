"""Fetching call-data files from customers' SFTP servers."""

from openisales.sftp.client import FetchedFile, FetchError, FetchErrorKind, SftpTarget, fetch_file
from openisales.sftp.moving import DONE, FAILED, MoveRequest, move_file
from openisales.sftp.paths import UnsafePathError, resolve_remote_path

__all__ = [
    "DONE",
    "FAILED",
    "FetchError",
    "FetchErrorKind",
    "FetchedFile",
    "MoveRequest",
    "SftpTarget",
    "UnsafePathError",
    "fetch_file",
    "move_file",
    "resolve_remote_path",
]
