"""Fetching call-data files from customers' SFTP servers."""

from openisales.sftp.client import (
    FetchedFile,
    FetchError,
    FetchErrorKind,
    SftpTarget,
    UnsafePathError,
    fetch_file,
    resolve_remote_path,
)

__all__ = [
    "FetchError",
    "FetchErrorKind",
    "FetchedFile",
    "SftpTarget",
    "UnsafePathError",
    "fetch_file",
    "resolve_remote_path",
]
