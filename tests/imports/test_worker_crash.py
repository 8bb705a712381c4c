"""A worker killed with SIGKILL mid-import leaves nothing behind; the next worker finishes exactly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import xlsxwriter
from sqlalchemy import func, select

from openisales.storage.models import CallData, ImportTask
from tests.imports.conftest import ImportSetup
from tests.support.receivers import Receiver

ROWS = 200_000
INVALID_EVERY = 50  # 4,000 invalid rows
DUPLICATE_EVERY = 100  # 2,000 rows repeat the row before them


def _write_file(path: Path) -> tuple[int, int, int]:
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["sessionId", "called", "callData"])
    invalid = duplicate = 0
    for i in range(1, ROWS + 1):
        number = 13000000000 + i
        if i % DUPLICATE_EVERY == 0:
            number -= 1  # same sessionId and number as the row before: a duplicate
            session_id = f"s{i - 1}"
            duplicate += 1
        elif i % INVALID_EVERY == 0:
            number, session_id = -1, f"s{i}"
            invalid += 1
        else:
            session_id = f"s{i}"
        called = json.dumps([{"calledNo": "12AB" if number < 0 else str(number)}])
        sheet.write_row(i, 0, [session_id, called, '{"campaign":"renewal"}'])
    book.close()
    return ROWS - invalid - duplicate, invalid, duplicate


def _worker(setup: ImportSetup, **extra_env: str) -> subprocess.Popen[bytes]:
    settings = setup.api.rt.settings
    env = {
        **os.environ,
        "OPENISALES_DATABASE_URL": settings.sqlalchemy_url,
        "OPENISALES_DATA_DIR": str(settings.data_dir),
        "OPENISALES_LEASE_SECONDS": "3",
        "OPENISALES_WORKER_POLL_SECONDS": "0.2",
        "OPENISALES_ALLOW_LOCAL_SERVER_ADDRESSES": "true",  # the sftp test server: 127.0.0.1
        **extra_env,
    }
    command = [sys.executable, "-m", "openisales.cli", "worker"]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _task(setup: ImportSetup, task_id: str) -> ImportTask:
    with setup.api.rt.db.transaction() as session:
        task = session.get(ImportTask, task_id)
        assert task is not None
        return task


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")  # a zombie has ended; only its exit status is left


def _wait(predicate: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


@pytest.mark.slow
def test_sigkill_mid_import_then_restart_gives_exact_result(
    setup: ImportSetup, tmp_path: Path
) -> None:
    path = tmp_path / "big.xlsx"
    expected_ok, expected_invalid, expected_repeat = _write_file(path)
    setup.put("big.xlsx", path.read_bytes())
    crm = Receiver()  # the import's notifyUrl: told once, by the worker that ends the task
    task_id = setup.submit("big.xlsx", notify_url=crm.url)

    first = _worker(setup)
    validator: list[int] = []
    try:
        # The file is read and validated by a child process while the worker writes the rows
        # it streams: the child's presence means the import is under way.
        def under_way() -> bool:
            validator.extend(_children(first.pid))
            return bool(validator)

        _wait(under_way, 120, "the import to be under way")
        time.sleep(0.5)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    # The validating child notices its reader is gone and ends too.
    assert validator, "the worker had no validating child when it was killed"
    _wait(lambda: not any(_alive(pid) for pid in validator), 30, "the child to end")
    killed = _task(setup, task_id)
    assert killed.status == 1 and killed.succ_num == 0
    with setup.api.rt.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(CallData)) == 0

    assert crm.posts == []  # the killed run ended nothing

    second = _worker(setup)
    try:
        _wait(lambda: _task(setup, task_id).status in (2, 3), 240, "the second worker to finish")
        _wait(lambda: bool(crm.posts), 60, "the second worker's pusher to notify the end")
    finally:
        second.send_signal(signal.SIGTERM)
        _, stderr = second.communicate(timeout=30)
        crm.close()
    (notice,) = crm.posts
    assert notice.status == 200 and notice.items["id"] == task_id
    assert notice.items["status"] == "2" and notice.items["succNum"] == expected_ok
    done = setup.task(task_id)
    assert done["status"] == "2", (done, stderr.decode(errors="replace")[-2000:])
    assert done["succNum"] == expected_ok
    assert done["failNum"] == expected_invalid
    assert done["repeatNum"] == expected_repeat
    assert _task(setup, task_id).attempts == 2
    with setup.api.rt.db.transaction() as session:
        stored = session.scalar(select(func.count()).where(CallData.import_task_id == task_id))
        distinct = session.scalar(
            select(func.count(func.distinct(CallData.row_number))).where(
                CallData.import_task_id == task_id
            )
        )
    assert stored == distinct == expected_ok
