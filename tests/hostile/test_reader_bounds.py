"""Files that cost a reader far more memory than their size, through the real import path.

Every file is read in a child process with an address-space limit; an xlsx's used range is
checked before calamine builds it. A reader that dies fails its task at once (status 3, a
message saying why) and never takes the worker down with it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from openisales.storage.models import BlocklistEntry, CallData, ImportTask
from tests.blocklist.test_blackfile_import import submit as submit_blackfile
from tests.imports.conftest import ImportSetup
from tests.imports.test_import_flow import HEADER, numbers, xlsx
from tests.support.hostile_files import (
    shared_string_xlsx,
    sparse_xlsx,
    write_csv_with_one_emoji,
    write_numeric_xlsx,
)

MIB = 1024 * 1024
XFD = [("A1", "called"), ("XFD1048576", "x")]
XFD_MESSAGE = (
    "the sheet's used range is 16384 columns x 1048576 rows (A1:XFD1048576); "
    "the template has at most 256 columns"
)
IV400000_MESSAGE = (
    "the sheet's used range is 256 columns x 400000 rows (A1:IV400000, 102,400,000 cells); "
    "at most 10,000,000 cells can be read"
)


def _task_row(setup: ImportSetup, task_id: str) -> ImportTask:
    with setup.api.rt.db.transaction() as session:
        task = session.get(ImportTask, task_id)
        assert task is not None
        session.expunge(task)
        return task


def _records(setup: ImportSetup) -> int:
    with setup.api.rt.db.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(CallData)) or 0)


def _download_dir(setup: ImportSetup, task_id: str) -> Path:
    return setup.api.rt.settings.data_dir / "downloads" / task_id


@pytest.fixture
def worker_process(setup: ImportSetup) -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    """``openisales worker`` processes on the test's database, stopped at the end."""
    started: list[subprocess.Popen[bytes]] = []

    def start() -> subprocess.Popen[bytes]:
        settings = setup.api.rt.settings
        env = {
            **os.environ,
            "OPENISALES_DATABASE_URL": settings.sqlalchemy_url,
            "OPENISALES_DATA_DIR": str(settings.data_dir),
            "OPENISALES_WORKER_POLL_SECONDS": "0.2",
            "OPENISALES_ALLOW_LOCAL_SERVER_ADDRESSES": "true",  # the sftp test server: 127.0.0.1
        }
        command = [sys.executable, "-m", "openisales.cli", "worker"]
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(30)


def _wait_ended(setup: ImportSetup, task_id: str, worker: subprocess.Popen[bytes]) -> ImportTask:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        task = _task_row(setup, task_id)
        if task.status in (2, 3):
            return task
        if worker.poll() is not None:
            pytest.fail(f"the worker died ({worker.returncode}) with task {task_id} in status 1")
        time.sleep(0.1)
    pytest.fail(f"task {task_id} did not end")


@pytest.mark.parametrize("kind", ["calldata", "blocklist"])
def test_a_range_that_would_abort_the_reader_fails_only_its_task(
    setup: ImportSetup,
    worker_process: Callable[[], subprocess.Popen[bytes]],
    kind: str,
) -> None:
    """A1 and XFD1048576 with a forged dimension: calamine asks for 512 GiB and aborts.

    It used to abort the process that read it, the worker (with the API when both run in
    ``serve``), on every retry until the task was given up.
    """
    setup.put("forged.xlsx", sparse_xlsx(XFD, dimension="A1:A2"))
    setup.put("good.xlsx", xlsx(HEADER, numbers(3)))
    worker = worker_process()
    submit = setup.submit if kind == "calldata" else lambda name: submit_blackfile(setup, name)
    task_id = submit("forged.xlsx")
    failed = _wait_ended(setup, task_id, worker)
    assert failed.status == 3, failed.err_msg
    assert XFD_MESSAGE in (failed.err_msg or "")
    assert failed.attempts == 1  # failed at once, not retried
    assert not _download_dir(setup, task_id).exists()
    assert worker.poll() is None  # the worker lives on ...
    good = _wait_ended(setup, setup.submit("good.xlsx"), worker)
    assert (good.status, good.succ_num) == (2, 3)  # ... and imports the next file


def test_a_sparse_range_of_too_many_cells_is_refused(setup: ImportSetup) -> None:
    """A1 and IV400000, 1.5 KB: within the column and row limits, 3.2 GiB of calamine grid."""
    result = setup.import_file("sparse.xlsx", sparse_xlsx([("A1", "called"), ("IV400000", "1")]))
    assert result["status"] == "3", result
    assert IV400000_MESSAGE in result["errMsg"]
    assert _records(setup) == 0


def test_a_sparse_blocklist_file_is_refused(setup: ImportSetup) -> None:
    setup.put("sparse.xlsx", sparse_xlsx([("A1", "number"), ("IV400000", "1")]))
    task_id = submit_blackfile(setup, "sparse.xlsx")
    setup.run_worker()
    task = _task_row(setup, task_id)
    assert task.status == 3 and IV400000_MESSAGE in (task.err_msg or "")
    with setup.api.rt.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(BlocklistEntry)) == 0


def test_sheet_xml_over_the_unpacked_cap_is_refused(setup: ImportSetup, tmp_path: Path) -> None:
    """A 2 MB xlsx whose sheet XML is 600 MB of number cells: it used to be read (the cap was
    1 GiB), calamine taking about 3 GiB for it."""
    path = tmp_path / "deflated.xlsx"
    unpacked = write_numeric_xlsx(path, 156_000, 256, refs=False, level=1)
    assert unpacked > 600_000_000 and path.stat().st_size < 20 * MIB
    result = setup.import_file("deflated.xlsx", path.read_bytes())
    assert result["status"] == "3", result
    assert "the limit is 536,870,912 bytes" in result["errMsg"]
    assert _records(setup) == 0


def test_a_reader_out_of_its_memory_limit_fails_the_task_at_once(
    setup: ImportSetup, monkeypatch: pytest.MonkeyPatch
) -> None:
    """20,000 cells that each copy one 32,000-character shared string: 640 MB of text from a
    300 KB file that no range or size cap catches. The memory limit does."""
    monkeypatch.setattr(setup.api.rt.settings, "reader_memory_limit_bytes", 384 * MIB)
    setup.put("copies.xlsx", shared_string_xlsx(20_000, 32_000))
    task_id = setup.submit("copies.xlsx")
    assert setup.run_worker() == 1  # one run: the task is not put back for another
    task = _task_row(setup, task_id)
    assert task.status == 3 and task.attempts == 1
    assert (task.err_msg or "").startswith(
        "the file could not be read: the reader ran out of its memory limit (402,653,184 bytes, "
        'OPENISALES_READER_MEMORY_LIMIT_BYTES) reading "copies.xlsx"'
    )
    assert not _download_dir(setup, task_id).exists()
    next_result = setup.import_file("next.xlsx", xlsx(HEADER, numbers(2)))
    assert next_result["status"] == "2", next_result.get("errMsg")


def test_a_task_given_up_leaves_no_download_behind(setup: ImportSetup) -> None:
    """A task whose worker died during every attempt: its downloads were never removed."""
    task_id = setup.submit("never-fetched.xlsx")
    attempts = setup.api.rt.settings.import_max_attempts + 1
    with setup.api.rt.db.transaction() as session:
        task = session.get(ImportTask, task_id)
        assert task is not None
        task.attempts = attempts  # as after that many runs that died
    left = _download_dir(setup, task_id)
    left.mkdir(parents=True)
    (left / "never-fetched.xlsx").write_bytes(b"left by a worker that died")
    setup.run_worker()
    given_up = _task_row(setup, task_id)
    assert given_up.status == 3 and (given_up.err_msg or "").startswith("gave up after")
    assert not left.exists()


CSV_LIMIT = 128 * MIB
_READ_ALL = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
from openisales.readers import open_sheet
sheet = open_sheet(sys.argv[1])
print(sum(1 for _ in sheet.rows))
"""


def test_csv_is_read_in_memory_that_does_not_grow_with_the_file(tmp_path: Path) -> None:
    """40 MB of CSV with one emoji: decoded whole it took 8 bytes a character (a str of 4-byte
    characters, and a copy of it); now it is decoded as a stream."""
    path = tmp_path / "emoji.csv"
    rows = write_csv_with_one_emoji(path, 40_000_000)
    done = subprocess.run(
        [sys.executable, "-c", _READ_ALL.format(limit=CSV_LIMIT), str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == str(rows)
