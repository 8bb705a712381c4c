"""Files from a CRM that drops one a day: date-pattern names, the .done marker, done/ and failed/.

Real sftp server, both databases, a controlled clock.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from openisales.client import ISalesClient
from tests.conftest import Clock
from tests.imports.conftest import UPLOAD_DIR, ImportSetup, create_campaign
from tests.imports.test_import_flow import HEADER, numbers, xlsx

PATTERN = "calls_$(yyyyMMdd).xlsx"


def _clock(setup: ImportSetup, moment: datetime) -> Clock:
    clock = setup.api.rt.clock
    assert isinstance(clock, Clock)
    clock.now = moment
    return clock


def _on_server(setup: ImportSetup, relative: str) -> bool:
    return setup.sftp.path(relative).exists()


# -- date patterns -------------------------------------------------------------------------------


class Shanghai:
    """A second tenant in Asia/Shanghai (UTC+8), with the sftp server and a campaign."""

    def __init__(self, setup: ImportSetup, isales: ISalesClient) -> None:
        self.setup, self.isales = setup, isales
        sftp = setup.sftp
        added = isales.add_server(
            sftp.username, sftp.password, sftp.host, sftp.port, str(sftp.home)
        )
        assert added["resultCode"] == "0200000", added
        self.server_id = str(added["serverId"])
        self.campaign_id = create_campaign(isales)

    def submit(self, name: str, **extra: Any) -> dict[str, Any]:
        answer = self.isales.upload_file_server(
            self.campaign_id, self.server_id, name, file_path="/" + UPLOAD_DIR, **extra
        )
        assert answer["resultCode"] == "0200000", answer
        return answer

    def tasks(self) -> list[dict[str, Any]]:
        answer = self.isales.query_import_tasks(self.campaign_id)
        return list(reversed(answer["result"]))  # oldest first


def test_date_pattern_names_the_tenants_day_across_its_midnight(setup: ImportSetup) -> None:
    # Three days' files, of 3, 5 and 7 rows, so that which one was taken shows in the counts.
    for day, rows in (("20261203", 3), ("20261204", 5), ("20261205", 7)):
        setup.put(f"calls_{day}.xlsx", xlsx(HEADER, numbers(rows, start=13800000000 + rows)))
    clock = _clock(setup, datetime(2026, 12, 3, 15, 59, tzinfo=UTC))  # 23:59 in Shanghai
    with setup.api.client(setup.api.new_tenant(20, "Asia/Shanghai")) as isales:
        tenant = Shanghai(setup, isales)
        tenant.submit(PATTERN)  # runs now: still 3 December in Shanghai
        schedule = tenant.submit(PATTERN, hour=0, minute=5)  # 00:05 Shanghai = 16:05 UTC
        setup.run_worker()
        clock.advance(minutes=6)  # 16:05 UTC: 3 December in UTC, 4 December in Shanghai
        assert setup.run_worker() == 1
        clock.advance(days=1)
        assert setup.run_worker() == 1
        tasks = tenant.tasks()
        listed = isales.call("GET", f"/calldatafile/schedules/{tenant.campaign_id}")
    taken = [(t["fileName"], t["fetchedFileName"], t["status"], t["succNum"]) for t in tasks]
    assert taken == [
        (PATTERN, "calls_20261203.xlsx", "2", 3),
        (PATTERN, "calls_20261204.xlsx", "2", 5),
        (PATTERN, "calls_20261205.xlsx", "2", 7),
    ]
    assert tasks[1]["id"] == schedule["importTaskId"]
    assert listed["result"][0]["fileName"] == PATTERN  # the schedule keeps the pattern


def test_waiting_run_keeps_its_days_name_past_midnight(setup: ImportSetup) -> None:
    """A run due at 23:50 whose file is not there until after midnight still takes that day's."""
    clock = _clock(setup, datetime(2026, 12, 3, 23, 40, tzinfo=UTC))
    assert (
        setup.isales.update_server(
            setup.server_id,
            setup.sftp.username,
            setup.sftp.host,
            setup.sftp.port,
            str(setup.sftp.home),
            require_done_marker=True,
        )["resultCode"]
        == "0200000"
    )
    task_id = setup.submit(PATTERN, hour=23, minute=50)
    clock.advance(minutes=10)
    assert setup.run_worker() == 1
    waiting = setup.task(task_id)
    assert (waiting["status"], waiting["fetchedFileName"]) == ("0", "calls_20261203.xlsx")
    assert "calls_20261203.xlsx.done" in waiting["errMsg"], waiting
    clock.advance(minutes=20)  # 00:10 on 4 December: the CRM has finished yesterday's file
    setup.put("calls_20261203.xlsx", xlsx(HEADER, numbers(4)))
    setup.put("calls_20261203.xlsx.done", b"")
    assert setup.run_worker() == 1
    done = setup.task(task_id)
    assert (done["status"], done["fetchedFileName"], done["succNum"]) == (
        "2",
        "calls_20261203.xlsx",
        4,
    )


def test_unknown_date_token_is_refused_at_submit(setup: ImportSetup) -> None:
    for name, token in (("calls_$(yyyyMMDD).xlsx", "DD"), ("calls_$(yyyy.xlsx", "not closed")):
        for path in (
            f"/calldatafile/uploadFileServer/{setup.campaign_id}",
            "/blackfile/uploadFileServer",
        ):
            body = {"serverId": setup.server_id, "fileName": name, "hour": 8, "minute": 0}
            answer = setup.isales.call("POST", path, json=body)
            assert answer["resultCode"] == "02000006", answer
            assert "fileName" in answer["resultDesc"] and token in answer["resultDesc"]
    assert setup.isales.query_import_tasks(setup.campaign_id)["count"] == 0


def test_expanded_name_must_still_be_a_plain_file_name(setup: ImportSetup) -> None:
    answer = setup.isales.upload_file_server(
        setup.campaign_id, setup.server_id, "../$(yyyy).xlsx", file_path="/" + UPLOAD_DIR
    )
    assert answer["resultCode"] == "02000002", answer


# -- the .done marker ----------------------------------------------------------------------------


def test_server_asking_for_a_marker_waits_for_it_then_imports(setup: ImportSetup) -> None:
    clock = _clock(setup, datetime(2026, 12, 3, 8, 0, tzinfo=UTC))
    setup.isales.update_server(
        setup.server_id,
        setup.sftp.username,
        setup.sftp.host,
        setup.sftp.port,
        str(setup.sftp.home),
        require_done_marker=True,
    )
    setup.put("daily.xlsx", xlsx(HEADER, numbers(6)))  # written, but not declared complete
    task_id = setup.submit("daily.xlsx")
    assert setup.run_worker() == 1
    waiting = setup.task(task_id)
    assert waiting["status"] == "0", waiting
    assert waiting["errMsg"].startswith(
        "waiting for the file to be complete, looking again in 60 s: marker missing: waiting "
        f"for {setup.sftp.home}/{UPLOAD_DIR}/daily.xlsx.done"
    ), waiting
    clock.advance(seconds=30)
    assert setup.run_worker() == 0  # it looks again only after the poll interval
    setup.put("daily.xlsx.done", b"")
    clock.advance(seconds=31)
    assert setup.run_worker() == 1
    done = setup.task(task_id)
    assert (done["status"], done["succNum"], done["errMsg"]) == ("2", 6, ""), done


# -- moving the file after the run ---------------------------------------------------------------


def test_completed_import_moves_the_file_into_done(setup: ImportSetup) -> None:
    setup.put("a.xlsx", xlsx(HEADER, numbers(3)))
    setup.put("a.xlsx.done", b"")  # a marker goes along, even when the server does not ask
    task_id = setup.submit("a.xlsx", move_after_import=True)
    setup.run_worker()
    task = setup.task(task_id)
    assert (task["status"], task["succNum"], task["moveAfterImport"]) == ("2", 3, True), task
    assert task["movedTo"] == f"{UPLOAD_DIR}/done/a.xlsx"
    assert _on_server(setup, f"{UPLOAD_DIR}/done/a.xlsx")
    assert _on_server(setup, f"{UPLOAD_DIR}/done/a.xlsx.done")
    assert not _on_server(setup, f"{UPLOAD_DIR}/a.xlsx")


def test_import_with_failed_rows_completed_and_went_to_done(setup: ImportSetup) -> None:
    rows = [*numbers(2), ["bad", "not json", "", "", "", ""]]
    setup.put("some-bad.xlsx", xlsx(HEADER, rows))
    task_id = setup.submit("some-bad.xlsx", move_after_import=True)
    setup.run_worker()
    task = setup.task(task_id)
    assert (task["status"], task["succNum"], task["failNum"]) == ("2", 2, 1), task
    assert task["movedTo"] == f"{UPLOAD_DIR}/done/some-bad.xlsx"


def test_failed_import_moves_the_file_into_failed(setup: ImportSetup) -> None:
    setup.put("broken.xlsx", b"this is not a workbook")
    task_id = setup.submit("broken.xlsx", move_after_import=True)
    setup.run_worker()
    task = setup.task(task_id)
    assert task["status"] == "3", task
    assert task["movedTo"] == f"{UPLOAD_DIR}/failed/broken.xlsx"
    assert _on_server(setup, f"{UPLOAD_DIR}/failed/broken.xlsx")
    assert not _on_server(setup, f"{UPLOAD_DIR}/broken.xlsx")


def test_without_the_option_and_in_a_dry_run_the_file_stays(setup: ImportSetup) -> None:
    setup.put("stay.xlsx", xlsx(HEADER, numbers(2)))
    plain = setup.submit("stay.xlsx")
    dry = setup.submit("stay.xlsx", validate_only=True, move_after_import=True)
    setup.run_worker()
    for task_id in (plain, dry):
        task = setup.task(task_id)
        assert (task["status"], task["moveAfterImport"], task["movedTo"]) == ("2", False, "")
    assert _on_server(setup, f"{UPLOAD_DIR}/stay.xlsx")
    assert not _on_server(setup, f"{UPLOAD_DIR}/done")


def test_file_not_found_is_not_moved_anywhere(setup: ImportSetup) -> None:
    task_id = setup.submit("missing.xlsx", move_after_import=True)
    setup.run_worker()
    task = setup.task(task_id)
    assert (task["status"], task["movedTo"]) == ("3", ""), task
    assert "not moved" not in task["errMsg"]


def test_a_move_that_fails_leaves_the_result_and_says_why(setup: ImportSetup) -> None:
    setup.put("a.xlsx", xlsx(HEADER, numbers(3)))
    setup.put("done", b"a file where the folder should be")
    task_id = setup.submit("a.xlsx", move_after_import=True)
    setup.run_worker()
    task = setup.task(task_id)
    assert (task["status"], task["succNum"], task["movedTo"]) == ("2", 3, ""), task
    assert task["errMsg"].startswith("the file was not moved to done/: not a file: "), task
    assert _on_server(setup, f"{UPLOAD_DIR}/a.xlsx")
    with setup.api.client(locale="zh_CN") as chinese:
        answer = chinese.query_import_tasks(setup.campaign_id, import_task_ids=[task_id])
    assert answer["result"][0]["errMsg"].startswith("文件未能移动到done/："), answer


def test_each_scheduled_run_moves_its_days_file(setup: ImportSetup) -> None:
    clock = _clock(setup, datetime(2026, 12, 3, 7, 0, tzinfo=UTC))
    setup.put("calls_20261203.xlsx", xlsx(HEADER, numbers(2)))
    setup.put("calls_20261204.xlsx", xlsx(HEADER, numbers(3, start=13900000000)))
    setup.submit(PATTERN, hour=7, minute=30, move_after_import=True)
    listed = setup.isales.call("GET", f"/calldatafile/schedules/{setup.campaign_id}")
    assert listed["result"][0]["moveAfterImport"] is True
    clock.advance(minutes=30)
    assert setup.run_worker() == 1
    clock.advance(days=1)
    assert setup.run_worker() == 1
    answer = setup.isales.query_import_tasks(setup.campaign_id)
    moved = sorted((t["movedTo"], t["succNum"]) for t in answer["result"])
    assert moved == [
        (f"{UPLOAD_DIR}/done/calls_20261203.xlsx", 2),
        (f"{UPLOAD_DIR}/done/calls_20261204.xlsx", 3),
    ]


def test_blocklist_import_moves_its_file_too(setup: ImportSetup) -> None:
    setup.put("block.csv", b"blocklistNo\n13800000001\n")
    answer = setup.isales.upload_blackfile(
        setup.server_id, "block.csv", "/" + UPLOAD_DIR, move_after_import=True
    )
    assert answer["resultCode"] == "0200000", answer
    setup.run_worker()
    tasks = setup.isales.query_blackfile_tasks(import_task_ids=[answer["importTaskId"]])
    task = tasks["result"][0]
    assert (task["status"], task["movedTo"]) == ("2", f"{UPLOAD_DIR}/done/block.csv"), task


def test_move_after_import_must_be_a_boolean(setup: ImportSetup) -> None:
    path = f"/calldatafile/uploadFileServer/{setup.campaign_id}"
    body = {"serverId": setup.server_id, "fileName": "a.xlsx"}
    for value, code in (("yes", "02000006"), (1, "02000006"), (None, "0200000")):
        answer = setup.isales.call("POST", path, json={**body, "moveAfterImport": value})
        assert answer["resultCode"] == code, (value, answer)
