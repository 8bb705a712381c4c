"""Daily scheduled imports at a controlled clock: no test sleeps until a real time."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from openisales.services import schedules
from openisales.services.runtime import Runtime
from openisales.storage.models import ImportTask
from openisales.worker.loop import Worker
from tests.conftest import Clock
from tests.imports.conftest import ImportSetup
from tests.imports.test_import_flow import HEADER, numbers, xlsx

START = datetime(2026, 11, 27, 8, 0, 0, tzinfo=UTC)


def _at_start(setup: ImportSetup) -> Clock:
    clock = setup.api.rt.clock
    assert isinstance(clock, Clock)
    clock.now = START
    return clock


def _all_tasks(setup: ImportSetup) -> list[dict[str, object]]:
    answer = setup.isales.query_import_tasks(setup.campaign_id)
    assert answer["resultCode"] == "0200000"
    return list(reversed(answer["result"]))  # oldest first


def test_schedule_runs_at_its_time_then_daily_and_skips_an_unchanged_file(
    setup: ImportSetup,
) -> None:
    clock = _at_start(setup)
    setup.put("daily.xlsx", xlsx(HEADER, numbers(5)))
    answer = setup.isales.upload_file_server(
        setup.campaign_id,
        setup.server_id,
        "daily.xlsx",
        file_path="/isales/upload",
        hour="8",
        minute="02",
    )
    assert answer["resultCode"] == "0200000", answer
    first_id, schedule_id = answer["importTaskId"], answer["scheduleId"]
    first = setup.task(first_id)
    assert first["status"] == "0"
    assert first["scheduledTime"] == "2026-11-27T08:02:00.000+00:00"
    assert first["scheduleId"] == schedule_id

    assert setup.run_worker() == 0  # 08:00: not yet
    clock.advance(minutes=2)
    assert setup.run_worker() == 1
    done = setup.task(first_id)
    assert (done["status"], done["succNum"]) == ("2", 5)

    clock.advance(hours=2)
    assert setup.run_worker() == 0  # nothing more today
    clock.advance(days=1)  # 10:02 next day: the 08:02 run is due
    assert setup.run_worker() == 1
    tasks = _all_tasks(setup)
    assert len(tasks) == 2
    second = tasks[1]
    assert second["scheduledTime"] == "2026-11-28T08:02:00.000+00:00"
    assert second["status"] == "2" and second["succNum"] == 0
    assert "unchanged" in str(second["errMsg"])

    setup.put("daily.xlsx", xlsx(HEADER, numbers(8)))  # a new file: 3 new rows, 5 repeated
    clock.advance(days=1)
    assert setup.run_worker() == 1
    third = _all_tasks(setup)[2]
    assert (third["status"], third["succNum"], third["repeatNum"]) == ("2", 3, 5)


def test_cancelled_schedule_stops_and_its_waiting_run_ends(setup: ImportSetup) -> None:
    clock = _at_start(setup)
    setup.put("daily.xlsx", xlsx(HEADER, numbers(2)))
    answer = setup.isales.upload_file_server(
        setup.campaign_id,
        setup.server_id,
        "daily.xlsx",
        file_path="/isales/upload",
        hour=9,
        minute=0,
    )
    listed = setup.isales.call("GET", f"/calldatafile/schedules/{setup.campaign_id}")
    assert listed["count"] == 1
    assert listed["result"][0]["status"] == "active"
    assert listed["result"][0]["nextRunTime"] == "2026-11-28T09:00:00.000+00:00"

    cancelled = setup.isales.call("POST", f"/importSchedules/{answer['scheduleId']}/cancel")
    assert cancelled["resultCode"] == "0200000" and cancelled["result"]["status"] == "cancelled"
    again = setup.isales.call("POST", f"/importSchedules/{answer['scheduleId']}/cancel")
    assert again["resultCode"] == "0200110"
    waiting = setup.task(answer["importTaskId"])
    assert waiting["status"] == "3" and "cancelled" in waiting["errMsg"]
    clock.advance(days=3)
    assert setup.run_worker() == 0
    assert len(_all_tasks(setup)) == 1


def test_missed_runs_fire_once_not_as_a_pile(setup: ImportSetup) -> None:
    clock = _at_start(setup)
    setup.put("daily.xlsx", xlsx(HEADER, numbers(2)))
    setup.submit("daily.xlsx", hour="8", minute="30")
    clock.advance(days=4)  # the service was down for four days
    assert setup.run_worker() == 2  # the first run (waiting since day 1) and one catch-up run
    assert setup.run_worker() == 0
    assert len(_all_tasks(setup)) == 2


def test_schedule_uses_the_tenants_time_zone(setup: ImportSetup) -> None:
    _at_start(setup)
    other = setup.api.new_tenant(20, "Asia/Shanghai")
    with setup.api.client(other) as shanghai:
        added = shanghai.add_server(
            setup.sftp.username,
            setup.sftp.password,
            setup.sftp.host,
            setup.sftp.port,
            str(setup.sftp.home),
        )
        from tests.imports.conftest import create_campaign

        campaign = create_campaign(shanghai)
        answer = shanghai.upload_file_server(
            campaign, added["serverId"], "a.xlsx", file_path="/isales/upload", hour="9", minute="0"
        )
        task = shanghai.query_import_tasks(campaign)["result"][0]
    assert answer["resultCode"] == "0200000"
    # 08:00 UTC is 16:00 in Shanghai: 09:00 there is 01:00 UTC the next day.
    assert task["scheduledTime"] == "2026-11-28T01:00:00.000+00:00"


def test_each_run_is_fired_exactly_once_by_concurrent_workers(setup: ImportSetup) -> None:
    clock = _at_start(setup)
    setup.submit("daily.xlsx", hour="8", minute="0")
    clock.advance(days=1, minutes=1)
    rt = setup.api.rt
    barrier = threading.Barrier(4)
    created: list[str] = []
    errors: list[BaseException] = []

    def fire() -> None:
        try:
            barrier.wait()
            with rt.db.transaction() as session:
                created.extend(schedules.fire_due(session, clock.now))
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=fire) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(created) == 1


def test_schedules_survive_a_restart(setup: ImportSetup) -> None:
    clock = _at_start(setup)
    setup.put("daily.xlsx", xlsx(HEADER, numbers(3)))
    setup.submit("daily.xlsx", hour="8", minute="10")
    clock.advance(days=1, minutes=15)
    restarted = Runtime.from_settings(setup.api.rt.settings, clock=clock)  # a new process's view
    try:
        worker = Worker(restarted, worker_id="after-restart")
        runs = 0
        while worker.run_once():
            runs += 1
        with restarted.db.transaction() as session:
            statuses = sorted(t.status for t in session.query(ImportTask).all())
    finally:
        restarted.close()
    assert runs == 2 and statuses == [2, 2]


def test_another_tenants_schedule_does_not_exist(setup: ImportSetup) -> None:
    _at_start(setup)
    answer = setup.isales.upload_file_server(
        setup.campaign_id,
        setup.server_id,
        "a.xlsx",
        file_path="/isales/upload",
        hour="9",
        minute="0",
    )
    other = setup.api.new_tenant(21)
    with setup.api.client(other) as intruder:
        refused = intruder.call("POST", f"/importSchedules/{answer['scheduleId']}/cancel")
        unknown = intruder.call("POST", "/importSchedules/123/cancel")
    assert refused["resultCode"] == unknown["resultCode"] == "0200112"
