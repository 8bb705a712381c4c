"""The pure rules that tell a file still being written from a finished one."""

from __future__ import annotations

import pytest

from openisales.sftp.stability import RECENT_SECONDS, Snapshot, change, needs_recheck

NOW = 1_700_000_000.0


def snap(size: int | None = 100, mtime: int | None = 1_600_000_000) -> Snapshot:
    return Snapshot(size, mtime, None)


def test_unchanged_file_read_whole_is_no_change() -> None:
    assert change(snap(), snap(), 100) is None


@pytest.mark.parametrize(
    ("after", "received", "expected"),
    [
        (snap(size=160), 160, "its size went from 100 to 160 bytes"),
        (snap(mtime=1_600_000_001), 100, "its modification time changed"),
        (snap(), 96, "96 bytes were read of its 100"),
    ],
)
def test_each_change_is_named(after: Snapshot, received: int, expected: str) -> None:
    assert change(snap(), after, received) == expected


def test_sizes_a_server_does_not_report_are_not_compared() -> None:
    assert change(snap(size=None), snap(size=None), 123) is None


@pytest.mark.parametrize(
    ("mtime", "ends_mid_line", "expected"),
    [
        (int(NOW - RECENT_SECONDS - 1), False, False),  # written long ago: taken at once
        (int(NOW - 5), False, True),  # written seconds ago
        (int(NOW + 3600), False, True),  # in the future: the server's clock is ahead
        (None, False, True),  # age unknown
        (int(NOW - 86400), True, True),  # old by its mtime, but text cut mid-line
    ],
)
def test_which_files_are_rechecked(mtime: int | None, ends_mid_line: bool, expected: bool) -> None:
    assert needs_recheck(snap(mtime=mtime), NOW, ends_mid_line) is expected
