"""The seed interface end to end: signed submit -> worker -> real sftp fetch -> query."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime

import openpyxl
import pytest
import xlsxwriter

from openisales.storage.models import BlocklistEntry, CallData
from tests.imports.conftest import ImportSetup, create_campaign

HEADER = ["sessionId", "called", "caller", "callData", "customField", "recycleTime"]


def xlsx(header: list[str], rows: list[list[object]], *, constant_memory: bool = False) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "constant_memory": constant_memory})
    sheet = book.add_worksheet()
    date_format = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    for c, name in enumerate(header):
        sheet.write_string(0, c, name)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if isinstance(value, datetime):
                sheet.write_datetime(r, c, value, date_format)
            elif value is not None:
                sheet.write(r, c, value)
    book.close()
    return out.getvalue()


def numbers(n: int, start: int = 13800000000) -> list[list[object]]:
    return [[f"s{i}", json.dumps([{"calledNo": str(start + i)}]), "", "", "", ""] for i in range(n)]


def test_seed_example_request_imports_the_file(setup: ImportSetup) -> None:
    setup.put("demogl50w.xlsx", xlsx(HEADER, numbers(50)))
    answer = setup.isales.call(
        "POST",
        f"/calldatafile/uploadFileServer/{setup.campaign_id}",
        json={
            "serverId": setup.server_id,
            "filePath": "/isales/upload",
            "fileName": "demogl50w.xlsx",
        },
    )
    assert answer["resultCode"] == "0200000" and answer["returnCode"] == "0200000"
    assert answer["importTaskId"].isdigit() and len(answer["importTaskId"]) == 30
    queued = setup.task(answer["importTaskId"])
    assert queued["status"] == "0"
    assert setup.run_worker() == 1
    done = setup.task(answer["importTaskId"])
    assert done["status"] == "2", done
    assert (done["succNum"], done["failNum"], done["repeatNum"], done["blackNum"]) == (50, 0, 0, 0)
    assert done["totalNum"] == 50 and done["processedNum"] == 50
    assert done["fileName"] == "demogl50w.xlsx" and done["serverId"] == setup.server_id
    assert done["beginTime"].endswith("+00:00") and done["endTime"] >= done["beginTime"]


def test_mixed_file_counts_every_kind_of_row(setup: ImportSetup) -> None:
    with setup.api.rt.db.transaction() as session:
        session.add(
            BlocklistEntry(vdn_id=12, number="13900000009", created_at=setup.api.rt.clock())
        )
    rows: list[list[object]] = [
        [
            "a1",
            '[{"calledNo":"13900000001","delayTime":"30","type":"mobile"}]',
            "4001",
            '{"k":1}',
            "vip",
            "2026-12-01 10:00:00",
        ],
        ["a2", "[{'calledNo':13900000002}]", "", "", "", datetime(2026, 12, 1, 9, 30)],
        ["a3", 13900000003, "", "", "", ""],
        ["a1", '[{"calledNo":"13900000001"}]', "", "", "", ""],  # duplicate of row 2
        ["a4", '[{"calledNo":"1390000000X"}]', "", "", "", ""],  # invalid characters
        ["a5", "not json", "", "", "", ""],  # called not JSON
        ["x" * 33, '[{"calledNo":"13900000005"}]', "", "", "", ""],  # sessionId too long
        [
            "a6",
            '[{"calledNo":"13900000006","delayTime":"7201"}]',
            "",
            "",
            "",
            "",
        ],  # delayTime range
        ["a7", '[{"calledNo":"13900000007"}]', "1" * 25, "", "", ""],  # caller too long
        ["a8", '[{"calledNo":"13900000008"}]', "", "", "", "2026/12/01"],  # recycleTime format
        ["a9", '[{"calledNo":"13900000009"}]', "", "", "", ""],  # blocklisted
        [None, None, None, None, None, None],  # blank: skipped, not failed
        ["a10", '[{"calledNo":"13900000010"}]', "", "", "c" * 201, ""],  # customField too long
    ]
    result = setup.import_file("mixed.xlsx", xlsx(HEADER, rows))
    assert result["status"] == "2", result
    assert result["succNum"] == 3
    assert result["repeatNum"] == 1
    assert result["blackNum"] == 1
    assert result["failNum"] == 7
    assert result["totalNum"] == 12
    assert "7 rows failed" in result["errMsg"]

    report = setup.isales.download_failures(result["id"], fmt="csv")
    lines = list(csv.reader(io.StringIO(report.decode("utf-8-sig"))))
    failed_rows = sorted({int(line[0]) for line in lines[1:]})
    assert failed_rows == [6, 7, 8, 9, 10, 11, 14]
    by_row = {int(line[0]): line for line in lines[1:]}
    assert by_row[8][1] == "sessionId" and by_row[8][2] == "02000003"
    assert by_row[10][1] == "caller"

    with setup.api.rt.db.transaction() as session:
        stored = (
            session.query(CallData)
            .filter_by(import_task_id=result["id"])
            .order_by(CallData.row_number)
            .all()
        )
        assert [r.session_id for r in stored] == ["a1", "a2", "a3", "a9"]
        assert json.loads(stored[0].called) == [
            {"calledNo": "13900000001", "delayTime": 30, "type": "mobile"}
        ]
        assert json.loads(stored[2].called)[0]["calledNo"] == "13900000003"
        assert stored[1].recycle_time == datetime(2026, 12, 1, 9, 30)
        assert [r.status for r in stored] == [0, 0, 0, 1]


def test_second_import_of_same_rows_counts_duplicates(setup: ImportSetup) -> None:
    first = setup.import_file("day1.xlsx", xlsx(HEADER, numbers(20)))
    second = setup.import_file("day2.xlsx", xlsx(HEADER, numbers(25)))
    assert (first["succNum"], first["repeatNum"]) == (20, 0)
    assert (second["succNum"], second["repeatNum"]) == (5, 20)


def test_openpyxl_shared_strings_and_numeric_cells(setup: ImportSetup) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["sessionId (Optional)", " Called (Mandatory) ", "caller", "recycleTime"])
    sheet.append(["p1", 13800001234, 4001, datetime(2026, 12, 2, 8, 0, 0)])
    sheet.append(["p2", '[{"calledNo":"13800001235"}]', "4002", "2026-12-02 08:00:00"])
    out = io.BytesIO()
    book.save(out)
    result = setup.import_file("openpyxl.xlsx", out.getvalue())
    assert (result["status"], result["succNum"], result["failNum"]) == ("2", 2, 0), result
    with setup.api.rt.db.transaction() as session:
        stored = (
            session.query(CallData)
            .filter_by(import_task_id=result["id"])
            .order_by(CallData.row_number)
            .all()
        )
        assert json.loads(stored[0].called)[0]["calledNo"] == "13800001234"
        assert stored[0].caller == "4001"


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("absent.xlsx", None, "not found"),
        ("page.xlsx", b"<html><body>login</body></html>", "is not a spreadsheet"),
        ("header-only.xlsx", "header-only", "header"),
        ("no-called.xlsx", "no-called", "called"),
    ],
)
def test_unreadable_files_fail_the_task_with_distinct_messages(
    setup: ImportSetup, name: str, data: bytes | str | None, expected: str
) -> None:
    if data == "header-only":
        data = xlsx(HEADER, [])
    elif data == "no-called":
        data = xlsx(["sessionId", "caller"], [["s1", "4001"]])
    if data is not None:
        assert isinstance(data, bytes)
        setup.put(name, data)
    task_id = setup.submit(name)
    setup.run_worker()
    result = setup.task(task_id)
    assert result["status"] == "3", result
    assert expected in result["errMsg"].lower(), result["errMsg"]
    assert (result["succNum"], result["failNum"]) == (0, 0)


def test_wrong_password_fails_with_authentication_message(setup: ImportSetup) -> None:
    setup.put("a.xlsx", xlsx(HEADER, numbers(1)))
    answer = setup.isales.update_server(
        setup.server_id, setup.sftp.username, setup.sftp.host, setup.sftp.port, str(setup.sftp.home),
        password="wrong-password-1",
    )  # fmt: skip
    assert answer["resultCode"] == "0200000", answer
    task_id = setup.submit("a.xlsx")
    setup.run_worker()
    result = setup.task(task_id)
    assert result["status"] == "3"
    assert "auth" in result["errMsg"].lower()


def test_update_without_password_keeps_the_working_one(setup: ImportSetup) -> None:
    """cec_07_0794: serverPwd only when the ip changes; the stored password still logs in."""
    assert setup.import_file("a.xlsx", xlsx(HEADER, numbers(1)))["status"] == "2"
    answer = setup.isales.update_server(
        setup.server_id, setup.sftp.username, setup.sftp.host, setup.sftp.port, str(setup.sftp.home)
    )
    assert answer["resultCode"] == "0200000", answer
    second = setup.import_file("b.xlsx", xlsx(HEADER, numbers(1, start=13700000000)))
    assert second["status"] == "2" and second["succNum"] == 1, second


def test_row_limit_fails_whole_file_and_imports_nothing(setup: ImportSetup) -> None:
    setup.api.rt.settings.max_import_rows = 10
    result = setup.import_file("big.xlsx", xlsx(HEADER, numbers(11)))
    assert result["status"] == "3"
    assert "11" in result["errMsg"] and "10" in result["errMsg"]
    with setup.api.rt.db.transaction() as session:
        assert session.query(CallData).count() == 0


def test_unreachable_server_is_retried_then_fails(setup: ImportSetup) -> None:
    setup.put("a.xlsx", xlsx(HEADER, numbers(1)))
    task_id = setup.submit("a.xlsx")
    setup.sftp.stop()
    clock = setup.api.rt.clock
    for attempt in range(1, setup.api.rt.settings.import_max_attempts):
        setup.run_worker()
        waiting = setup.task(task_id)
        assert waiting["status"] == "0", waiting
        assert f"attempt {attempt} failed" in waiting["errMsg"]
        clock.advance(minutes=5)  # type: ignore[attr-defined]
    setup.run_worker()
    result = setup.task(task_id)
    assert result["status"] == "3"
    assert "unreachable" in result["errMsg"].lower() and "gave up" in result["errMsg"]


def test_changed_host_key_is_refused(setup: ImportSetup) -> None:
    first = setup.import_file("a.xlsx", xlsx(HEADER, numbers(1)))
    assert first["status"] == "2"
    setup.sftp.regenerate_host_key()
    setup.sftp.restart()
    result = setup.import_file("b.xlsx", xlsx(HEADER, numbers(1, start=13700000000)))
    assert result["status"] == "3"
    assert "host key" in result["errMsg"].lower()


def test_scheduled_import_waits_for_its_time(setup: ImportSetup) -> None:
    clock = setup.api.rt.clock
    setup.put("a.xlsx", xlsx(HEADER, numbers(3)))
    now = clock()
    target = (now.hour + 2) % 24
    task_id = setup.submit("a.xlsx", hour=str(target), minute="30")
    waiting = setup.task(task_id)
    assert waiting["status"] == "0" and waiting["scheduledTime"]
    assert setup.run_worker() == 0
    clock.advance(hours=3)  # type: ignore[attr-defined]
    assert setup.run_worker() == 1
    assert setup.task(task_id)["status"] == "2"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"fileName": "a/b.xlsx"}, "02000002"),
        ({"fileName": "..xlsx"}, "02000002"),
        ({"fileName": "a\\b.xlsx"}, "02000002"),
        ({"fileName": ""}, "02000001"),
        ({"filePath": "/../../etc"}, "02000002"),
        ({"filePath": "isales/../../.."}, "02000002"),
        ({"hour": "8"}, "02000010"),
        ({"minute": "30"}, "02000010"),
        ({"hour": "24", "minute": "0"}, "02000007"),
        ({"hour": "8", "minute": "60"}, "02000007"),
        ({"hour": "eight", "minute": "0"}, "02000006"),
        ({"serverId": "999"}, "0200006"),
    ],
)
def test_submit_validation(setup: ImportSetup, body: dict[str, object], code: str) -> None:
    request = {
        "serverId": setup.server_id,
        "filePath": "/isales/upload",
        "fileName": "a.xlsx",
        **body,
    }
    answer = setup.isales.call(
        "POST", f"/calldatafile/uploadFileServer/{setup.campaign_id}", json=request
    )
    assert answer["resultCode"] == code, answer
    assert answer["resultDesc"]


def test_submit_to_unknown_or_completed_campaign_is_refused(setup: ImportSetup) -> None:
    unknown = setup.isales.upload_file_server(999, setup.server_id, "a.xlsx")
    assert unknown["resultCode"] == "0200007"
    clock = setup.api.rt.clock
    now = clock()
    ending = create_campaign(
        setup.isales,
        name="short",
        strBeginTime=now.strftime("%Y-%m-%d %H:%M:%S"),
        strEndTime=(now.replace(microsecond=0)).strftime("%Y-%m-%d 23:59:59"),
    )
    clock.advance(days=1)  # type: ignore[attr-defined]
    completed = setup.isales.upload_file_server(ending, setup.server_id, "a.xlsx")
    assert completed["resultCode"] == "0200110", completed


def test_another_tenants_task_and_campaign_do_not_exist(setup: ImportSetup) -> None:
    result = setup.import_file("a.xlsx", xlsx(HEADER, numbers(2)))
    other = setup.api.new_tenant(13)
    with setup.api.client(other) as intruder:
        create_campaign(intruder)
        tasks = intruder.query_import_tasks(setup.campaign_id, import_task_ids=[result["id"]])
        assert tasks["resultCode"] == "0200000" and tasks["count"] == 0
        response = intruder.request("GET", f"/calldatafile/importTasks/{result['id']}/failures")
        assert response.json()["resultCode"] == "0200111"
