"""Import tasks change status only through their lifecycle, on both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest

from openisales.domain.import_task import ImportStatus
from openisales.services import tenants
from openisales.services.runtime import Runtime
from openisales.storage import import_tasks as task_rows
from openisales.storage.models import ImportTask

OWNER = "worker-a"


def _queued_task(rt: Runtime, task_id: str = "t1") -> None:
    now = rt.clock()
    with rt.db.transaction() as session:
        tenants.create(session, rt.box, 12, "UTC", now)
        session.add(
            ImportTask(
                task_id=task_id,
                vdn_id=12,
                kind="calldata",
                server_id="s1",
                file_name="a.xlsx",
                status=ImportStatus.PREPARING,
                not_before=now,
                created_at=now,
            )
        )


def _claim(rt: Runtime, owner: str = OWNER) -> ImportTask | None:
    now = rt.clock()
    with rt.db.transaction() as session:
        return task_rows.claim(session, owner, now, now + timedelta(seconds=30))


def _task(rt: Runtime, task_id: str = "t1") -> ImportTask:
    with rt.db.transaction() as session:
        task = task_rows.get_any(session, task_id)
        assert task is not None
        session.expunge(task)
        return task


def _move(rt: Runtime, target: ImportStatus, owner: str | None = OWNER, **values: object) -> bool:
    with rt.db.transaction() as session:
        return task_rows.move(session, "t1", target, rt.clock(), owner=owner, **values)


def test_ending_stamps_the_end_and_gives_up_the_lease(rt: Runtime) -> None:
    _queued_task(rt)
    assert _claim(rt) is not None
    assert _move(rt, ImportStatus.FAILED, err_msg="broken")
    task = _task(rt)
    assert task.status == ImportStatus.FAILED
    assert task.err_msg == "broken"
    assert task.end_time is not None
    assert task.lease_owner is None and task.lease_expires_at is None


def test_an_ended_task_is_never_moved_again(rt: Runtime) -> None:
    _queued_task(rt)
    assert _claim(rt) is not None
    assert _move(rt, ImportStatus.COMPLETED, succ_num=3)
    assert not _move(rt, ImportStatus.FAILED, owner=None, err_msg="late")
    task = _task(rt)
    assert task.status == ImportStatus.COMPLETED and task.err_msg == ""


def test_only_the_lease_holder_moves_a_running_task(rt: Runtime) -> None:
    _queued_task(rt)
    assert _claim(rt) is not None
    assert not _move(rt, ImportStatus.COMPLETED, owner="worker-b")
    assert _task(rt).status == ImportStatus.RUNNING


def test_a_release_goes_back_to_the_queue_without_a_lease(rt: Runtime) -> None:
    _queued_task(rt)
    assert _claim(rt) is not None
    later = rt.clock() + timedelta(seconds=10)
    assert _move(rt, ImportStatus.PREPARING, not_before=later, err_msg="retrying")
    task = _task(rt)
    assert task.status == ImportStatus.PREPARING
    assert task.lease_owner is None and task.end_time is None


def test_a_queued_task_cannot_complete_without_running(rt: Runtime) -> None:
    _queued_task(rt)
    assert not _move(rt, ImportStatus.COMPLETED, owner=None)
    assert _task(rt).status == ImportStatus.PREPARING


def test_a_status_change_outside_the_lifecycle_is_refused(rt: Runtime) -> None:
    _queued_task(rt)
    assert _claim(rt) is not None
    with rt.db.transaction() as session, pytest.raises(ValueError, match="move"):
        task_rows.update_owned(session, "t1", OWNER, status=ImportStatus.COMPLETED)
    assert _task(rt).status == ImportStatus.RUNNING


def test_cancelling_a_schedule_fails_only_its_waiting_runs(rt: Runtime) -> None:
    _queued_task(rt, "t1")
    now = rt.clock()
    with rt.db.transaction() as session:
        for task_id in ("t1", "t2"):
            if task_id == "t2":
                session.add(
                    ImportTask(
                        task_id="t2",
                        vdn_id=12,
                        server_id="s1",
                        file_name="a.xlsx",
                        status=ImportStatus.PREPARING,
                        not_before=now,
                        created_at=now,
                    )
                )
            task = session.get(ImportTask, task_id)
            assert task is not None
            task.schedule_id = "sch"
    assert _claim(rt) is not None  # t1 runs now; t2 still waits
    with rt.db.transaction() as session:
        assert task_rows.cancel_waiting(session, "sch", rt.clock(), "cancelled") == 1
    assert _task(rt, "t1").status == ImportStatus.RUNNING
    cancelled = _task(rt, "t2")
    assert cancelled.status == ImportStatus.FAILED and cancelled.err_msg == "cancelled"
    assert cancelled.end_time is not None
