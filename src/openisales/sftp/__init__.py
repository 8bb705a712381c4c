"""Fetching call-data files from customers' SFTP servers."""

from openisales.sftp.client import FetchedFile, FetchError, FetchErrorKind, SftpTarget, fetch_file
from openisales.sftp.paths import UnsafePathError, resolve_remote_path

__all__ = [
    "FetchError",
    "FetchErrorKind",
    "FetchedFile",
    "SftpTarget",
    "UnsafePathError",
    "fetch_file",
    "resolve_remote_path",
]
