"""Reading in a child process whose address space is capped (services.reader_process)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests.support import reader_jobs
from tests.support.hostile_files import shared_string_xlsx, sparse_xlsx
from tests.support.spreadsheets import write_xlsx

from openisales.readers import ReadError, ReadErrorKind, open_sheet
from openisales.services.reader_process import (
    ReaderCrashed,
    crash_message,
    run_in_child,
    sheet_in_child,
)

MIB = 1024 * 1024
LIMIT = 2048 * MIB


def test_what_the_child_yields_comes_back() -> None:
    assert list(run_in_child(reader_jobs.count_to, (5,), memory_limit=LIMIT)) == [0, 1, 2, 3, 4]


def test_an_exception_in_the_child_is_raised_here() -> None:
    with pytest.raises(ValueError, match="invalid literal"):
        list(run_in_child(int, ("x",), memory_limit=LIMIT))


def test_the_memory_limit_holds_in_the_child() -> None:
    assert list(run_in_child(reader_jobs.allocate, (300 * MIB,), memory_limit=0)) == [300 * MIB]
    with pytest.raises(ReaderCrashed) as caught:
        list(run_in_child(reader_jobs.allocate, (300 * MIB,), memory_limit=200 * MIB))
    assert caught.value.out_of_memory


def test_a_child_killed_by_a_signal() -> None:
    with pytest.raises(ReaderCrashed) as caught:
        list(run_in_child(os.abort, (), memory_limit=LIMIT))
    assert caught.value.reason == "killed by SIGABRT"
    assert not caught.value.out_of_memory


def test_a_sheet_read_in_the_child_is_the_sheet_read_here(tmp_path: Path) -> None:
    rows = [[f"s{i}", str(13800000000 + i), i] for i in range(12_000)]  # more than one batch
    path = write_xlsx(tmp_path / "a.xlsx", ["sessionId", "called", "n"], rows)
    here = open_sheet(path)
    with sheet_in_child(path, memory_limit=LIMIT) as there:
        assert (there.header, there.header_row, there.format) == (here.header, 1, "xlsx")
        assert there.rows_below_header == here.rows_below_header
        assert list(there.rows) == list(here.rows)


def test_read_errors_cross_over(tmp_path: Path) -> None:
    page = tmp_path / "page.xlsx"
    page.write_text("<html><body>error</body></html>")
    with pytest.raises(ReadError) as caught, sheet_in_child(page, memory_limit=LIMIT):
        pass
    assert caught.value.kind is ReadErrorKind.NOT_A_SPREADSHEET
    long_cell = write_xlsx(tmp_path / "long.xlsx", ["called"], [["1"], ["2" * 40]])
    with (
        sheet_in_child(long_cell, memory_limit=LIMIT, max_cell_chars=10) as sheet,
        pytest.raises(ReadError) as caught,
    ):
        list(sheet.rows)
    assert caught.value.message == "Cell A3 holds 40 characters; the limit is 10."


def test_a_forged_range_kills_only_the_child_and_is_explained(tmp_path: Path) -> None:
    """The dimension says A1:A2, so calamine is asked for the whole A1:XFD1048576 grid."""
    path = tmp_path / "forged.xlsx"
    path.write_bytes(sparse_xlsx([("A1", "called"), ("XFD1048576", "x")], dimension="A1:A2"))
    with pytest.raises(ReaderCrashed) as caught, sheet_in_child(path, memory_limit=LIMIT):
        pass
    assert caught.value.out_of_memory  # "memory allocation of 549755813888 bytes failed"
    message = crash_message(
        path, caught.value, memory_limit=LIMIT, max_uncompressed_bytes=512 * MIB
    )
    assert message.startswith(
        '"forged.xlsx": the sheet\'s used range is 16384 columns x 1048576 rows (A1:XFD1048576); '
        "the template has at most 256 columns."
    )


def test_a_file_no_cap_catches_runs_out_of_the_limit(tmp_path: Path) -> None:
    """20,000 cells copy one 32,000-character string: 640 MB from a 300 KB file."""
    path = tmp_path / "copies.xlsx"
    path.write_bytes(shared_string_xlsx(20_000, 32_000))
    limit = 384 * MIB
    with pytest.raises(ReaderCrashed) as caught, sheet_in_child(path, memory_limit=limit) as sheet:
        list(sheet.rows)
    assert caught.value.out_of_memory
    message = crash_message(path, caught.value, memory_limit=limit, max_uncompressed_bytes=1 << 29)
    assert message == (
        "the file could not be read: the reader ran out of its memory limit (402,653,184 bytes, "
        'OPENISALES_READER_MEMORY_LIMIT_BYTES) reading "copies.xlsx". The file needs far more '
        "memory than its size; split the data into smaller files."
    )
