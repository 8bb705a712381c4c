"""A file still being written on the sftp server is never imported torn.

A writer thread appends rows to the file on the server (each row in two writes, so the file
often ends in the middle of a number) while the worker fetches it; the fetch sees the file change
and the task waits for it, and once the file is complete and stays unchanged the task imports it
whole, once. A file that is still being written when the wait's bound has passed fails the task.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from openisales.settings import Settings
from openisales.storage.models import CallData, ImportTask
from tests.conftest import Clock
from tests.imports.conftest import UPLOAD_DIR, ImportSetup
from tests.reliability.files import call_file

FIRST_ROWS = 9  # rows complete before the writer starts; row 10 is cut after "1390"
STABLE_SECONDS = 0.5
POLL_SECONDS = 60
WAIT_SECONDS = 600  # ten minutes: the bound of the wait for a file to be complete
WAITING = "waiting for the file to be complete, looking again in 60 s: file changed: "


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """A re-check window that a writer appending every few milliseconds always writes in."""
    return settings.model_copy(
        update={
            "fetch_stable_seconds": STABLE_SECONDS,
            "file_wait_poll_seconds": POLL_SECONDS,
            "file_wait_seconds": WAIT_SECONDS,
        }
    )


def _number(row: int) -> str:
    return str(13900050000 + row)  # row 10: 13900050010


class Writer:
    """Appends rows to a CSV on the server, each in two writes, until stopped."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows = FIRST_ROWS + 1  # row 10 is already half written
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        head = "".join(f"w-{i},{_number(i)}\n" for i in range(1, FIRST_ROWS + 1))
        path.write_text(f"sessionId,called\n{head}w-10,{_number(10)[:4]}")

    def __enter__(self) -> Writer:
        self._thread.start()
        return self

    def _run(self) -> None:
        with self.path.open("a") as file:
            file.write(_number(self.rows)[4:] + "\n")  # finish row 10
            file.flush()
            while not self._stop.wait(0.005):
                self.rows += 1
                number = _number(self.rows)
                file.write(f"w-{self.rows},{number[:4]}")  # the file now ends mid-number
                file.flush()
                time.sleep(0.002)
                file.write(number[4:] + "\n")
                file.flush()

    def stop(self) -> int:
        """Stop after the current row; returns the number of data rows in the file."""
        self._stop.set()
        self._thread.join(10)
        assert not self._thread.is_alive()
        return self.rows

    def __exit__(self, *exc: object) -> None:
        self.stop()


@pytest.fixture
def writer(setup: ImportSetup) -> Iterator[Writer]:
    setup.put("growing.csv", b"")  # creates the folder, owned by the sftp user
    with Writer(setup.sftp.path(f"{UPLOAD_DIR}/growing.csv")) as running:
        yield running


def _stored_numbers(setup: ImportSetup, task_id: str) -> list[str]:
    with setup.api.rt.db.transaction() as session:
        rows = session.scalars(
            select(CallData.called)
            .where(CallData.import_task_id == task_id)
            .order_by(CallData.row_number)
        ).all()
    return [json.loads(called)[0]["calledNo"] for called in rows]


def _tasks(setup: ImportSetup) -> list[ImportTask]:
    with setup.api.rt.db.transaction() as session:
        return list(session.query(ImportTask).order_by(ImportTask.created_at))


def test_file_appended_to_while_fetched_waits_then_is_imported_whole(
    setup: ImportSetup, writer: Writer, clock: Clock
) -> None:
    task_id = setup.submit("growing.csv")
    assert setup.run_worker() == 1
    waiting = setup.task(task_id)
    assert waiting["status"] == "0", waiting  # not imported torn (status 2), but put back
    assert waiting["errMsg"].startswith(WAITING), waiting
    assert "still being written" in waiting["errMsg"]
    assert _stored_numbers(setup, task_id) == []

    rows = writer.stop()  # the file is complete now, and stays as it is
    clock.advance(seconds=POLL_SECONDS + 1)
    assert setup.run_worker() == 1
    done = setup.task(task_id)
    assert done["status"] == "2", done
    assert (done["totalNum"], done["succNum"], done["failNum"]) == (rows, rows, 0), done
    assert _stored_numbers(setup, task_id) == [_number(i) for i in range(1, rows + 1)]


def test_scheduled_run_waits_for_a_file_being_written_then_imports_it_once(
    setup: ImportSetup, writer: Writer, clock: Clock
) -> None:
    """The CRM is still writing today's file when the schedule fires: the run waits for it.

    It looks again every poll interval, more often than the attempts kept for network faults
    would allow, and imports the file once it is complete: one task, one import.
    """
    clock.now = clock.now.replace(hour=8, minute=0, second=0)
    first_id = setup.submit("growing.csv", hour=8, minute=2)
    clock.advance(minutes=2)  # 08:02: the run is due while the writer writes
    looks = setup.api.rt.settings.import_max_attempts + 2
    for _look in range(looks):
        assert setup.run_worker() == 1
        waiting = setup.task(first_id)
        assert waiting["status"] == "0", waiting
        assert waiting["errMsg"].startswith(WAITING), waiting
        clock.advance(seconds=POLL_SECONDS + 1)
    assert _stored_numbers(setup, first_id) == []

    rows = writer.stop()
    assert setup.run_worker() == 1
    done = setup.task(first_id)
    assert (done["status"], done["succNum"], done["failNum"]) == ("2", rows, 0), done
    assert done["errMsg"] == "", done
    assert _stored_numbers(setup, first_id) == [_number(i) for i in range(1, rows + 1)]
    assert setup.run_worker() == 0  # nothing more today: the schedule's next run is tomorrow
    assert [task.task_id for task in _tasks(setup)] == [first_id]


def test_file_written_through_the_whole_wait_fails_without_importing(
    setup: ImportSetup, writer: Writer, clock: Clock
) -> None:
    task_id = setup.submit("growing.csv")
    looks = 0
    while setup.task(task_id)["status"] == "0":
        assert setup.run_worker() == 1
        looks += 1
        clock.advance(seconds=POLL_SECONDS + 1)
    # The first look, one a minute after it, and the one past the ten minutes that fails it.
    assert looks == WAIT_SECONDS // POLL_SECONDS + 1
    task = setup.task(task_id)
    assert task["status"] == "3", task
    assert task["errMsg"].startswith(
        "the file was not complete after 10 minutes of waiting: file changed: "
    ), task
    assert "still being written" in task["errMsg"]
    assert _stored_numbers(setup, task_id) == []


def test_truncated_xlsx_is_refused_not_imported(setup: ImportSetup) -> None:
    """An xlsx cut short (its zip central directory missing) is refused, even when stable."""
    data, _expected = call_file("cut", 400)
    setup.put("cut.xlsx", data[: len(data) * 2 // 3])
    day_ago = time.time() - 86400  # written long ago and unchanged: the fetch takes it at once
    os.utime(setup.sftp.path(f"{UPLOAD_DIR}/cut.xlsx"), (day_ago, day_ago))
    task_id = setup.submit("cut.xlsx")
    assert setup.run_worker() == 1
    task = setup.task(task_id)
    assert task["status"] == "3", task
    assert "damaged or incomplete" in task["errMsg"], task
    assert (task["succNum"], task["failNum"]) == (0, 0)
    assert _stored_numbers(setup, task_id) == []
