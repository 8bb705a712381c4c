"""Blocklist file import (cec_07_0748/0749) end to end: signed submit -> worker -> real sftp."""

from __future__ import annotations

import csv
import io
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

import pytest

from openisales.storage.models import BlocklistEntry, Tenant
from tests.imports import conftest as import_fixtures
from tests.imports.conftest import UPLOAD_DIR, ImportSetup
from tests.imports.test_import_flow import xlsx
from tests.support.spreadsheets import write_csv

# The import set-up fixture: tenant 12, a real sftp file server registered for it, a campaign.
setup = import_fixtures.setup

CHINESE = ["黑名单号码", "到期时间", "有效时长", "限制次数", "限制周期"]


def submit(setup: ImportSetup, name: str, **extra: Any) -> str:
    body = {"serverId": setup.server_id, "filePath": "/" + UPLOAD_DIR, "fileName": name, **extra}
    answer = setup.isales.call("POST", "/blackfile/uploadFileServer", json=body)
    assert answer["resultCode"] == "0200000", answer
    assert answer["importTaskId"].isdigit()
    return str(answer["importTaskId"])


def task(setup: ImportSetup, task_id: str) -> dict[str, Any]:
    answer = setup.isales.call(
        "POST",
        "/blackfile/queryDataImportTask",
        json={"offset": 0, "limit": 10, "importTaskIds": [task_id]},
    )
    assert answer["resultCode"] == "0200000" and answer["count"] == 1, answer
    result: dict[str, Any] = answer["result"][0]
    return result


def import_blackfile(setup: ImportSetup, name: str, data: bytes) -> dict[str, Any]:
    setup.put(name, data)
    task_id = submit(setup, name)
    assert task(setup, task_id)["status"] == "0"
    setup.run_worker()
    return task(setup, task_id)


def entries(setup: ImportSetup, vdn_id: int = 12) -> dict[str, BlocklistEntry]:
    with setup.api.rt.db.transaction() as session:
        rows = session.query(BlocklistEntry).filter_by(vdn_id=vdn_id).all()
        return {row.number: row for row in rows}


def counts(result: dict[str, Any]) -> tuple[int, int, int, int]:
    return result["succNum"], result["repeatNum"], result["failNum"], result["blackNum"]


def failure_report(setup: ImportSetup, task_id: str) -> dict[int, list[str]]:
    report = setup.isales.download_failures(task_id, fmt="csv")
    lines = list(csv.reader(io.StringIO(report.decode("utf-8-sig"))))
    by_row: dict[int, list[str]] = {}
    for line in lines[1:]:
        by_row.setdefault(int(line[0]), []).append(line[1] + ":" + line[2])
    return by_row


def test_chinese_template_with_valid_invalid_and_repeated_rows(setup: ImportSetup) -> None:
    with setup.api.rt.db.transaction() as session:
        tenant = session.get(Tenant, 12)
        assert tenant is not None
        tenant.time_zone = "Asia/Shanghai"
    clock = setup.api.rt.clock
    now = clock()
    expiry = (now + timedelta(days=3)).astimezone(UTC).replace(microsecond=0)
    expiry_local = (expiry + timedelta(hours=8)).replace(tzinfo=None)
    rows: list[list[object]] = [
        ["13900000001", None, None, None, None],  # row 2: never expires
        [13900000002, expiry_local.strftime("%Y-%m-%d %H:%M:%S"), 5, None, None],  # row 3
        ["13900000003", None, "24", 1, "1"],  # row 4: 24 hours, once a day
        ["13900000004", expiry_local, None, None, None],  # row 5: a date cell
        ["13900000001", None, None, None, None],  # row 6: repeats row 2
        ["1390000000X", None, None, None, None],  # row 7: invalid characters
        ["13900000007", None, 121, None, None],  # row 8: validity out of range
        ["13900000008", None, None, 2, None],  # row 9: restrictTimes without restrictPeriod
        ["13900000009", "2020-01-01 00:00:00", None, None, None],  # row 10: expiry passed
        [None, None, None, None, None],  # row 11: blank, skipped
        [None, None, 5, None, None],  # row 12: no number
        ["1" * 25, None, None, None, None],  # row 13: too long
    ]
    result = import_blackfile(setup, "黑名单.xlsx", xlsx(CHINESE, rows))
    assert result["status"] == "2", result
    assert counts(result) == (4, 1, 6, 0)
    assert result["totalNum"] == 11 and result["processedNum"] == 11
    assert "6 rows failed" in result["errMsg"]

    stored = entries(setup)
    assert sorted(stored) == ["13900000001", "13900000002", "13900000003", "13900000004"]
    assert stored["13900000001"].expires_at is None
    assert stored["13900000002"].expires_at == expiry  # the expiry wins over the validity
    assert stored["13900000004"].expires_at == expiry
    limited = stored["13900000003"]
    assert (limited.restrict_times, limited.restrict_period) == (1, "1")
    assert limited.expires_at is not None
    assert abs(limited.expires_at - (now + timedelta(hours=24))) < timedelta(seconds=5)

    report = failure_report(setup, result["id"])
    assert report == {
        7: ["number:02000002"],
        8: ["validityTime:02000007"],
        9: ["restrictPeriod:02000009"],
        10: ["expiryTime:02000007"],
        12: ["number:02000001"],
        13: ["number:02000003"],
    }


def test_english_headers_and_csv(setup: ImportSetup, tmp_path: Path) -> None:
    header = ["blocklistNo (Mandatory)", "validityTime (Optional)", "remark"]
    path = write_csv(
        tmp_path / "b.csv",
        header,
        [["13800000001", "2", "x"], ["13800000002", "", "y"], ["13800000002", "", "z"]],
    )
    result = import_blackfile(setup, "b.csv", path.read_bytes())
    assert result["status"] == "2", result
    assert counts(result) == (2, 1, 0, 0) and result["errMsg"] == ""
    stored = entries(setup)
    assert stored["13800000002"].expires_at is None
    assert stored["13800000001"].expires_at is not None


def test_listed_numbers_repeat_and_expired_ones_are_replaced(setup: ImportSetup) -> None:
    added = setup.isales.call(
        "POST", "/blocklist/add", json={"blocklist": ["138"], "validityTime": 1}
    )
    assert added["resultCode"] == "0200000"
    added = setup.isales.call("POST", "/blocklist/add", json={"blocklist": ["139"]})
    assert added["resultCode"] == "0200000"
    header = ["number"]
    first = import_blackfile(setup, "a.xlsx", xlsx(header, [["138"], ["139"], ["140"]]))
    assert counts(first) == (1, 2, 0, 0)
    setup.api.rt.clock.advance(hours=2)  # type: ignore[attr-defined]
    second = import_blackfile(setup, "b.xlsx", xlsx(header, [["138"], ["139"], ["141"]]))
    assert counts(second) == (2, 1, 0, 0)
    stored = entries(setup)
    assert sorted(stored) == ["138", "139", "140", "141"]
    assert stored["138"].expires_at is None  # replaced by the file's entry


def test_file_without_number_column_fails_and_imports_nothing(setup: ImportSetup) -> None:
    result = import_blackfile(setup, "a.xlsx", xlsx(["phone", "到期时间"], [["138", None]]))
    assert result["status"] == "3", result
    assert "黑名单号码" in result["errMsg"] and '"phone"' in result["errMsg"]
    assert entries(setup) == {}


def test_row_limit_fails_the_whole_file(setup: ImportSetup) -> None:
    setup.api.rt.settings.max_import_rows = 10
    rows: list[list[object]] = [[str(13800000000 + i)] for i in range(11)]
    result = import_blackfile(setup, "big.xlsx", xlsx(["黑名单号码"], rows))
    assert result["status"] == "3"
    assert "11" in result["errMsg"] and "10" in result["errMsg"]
    assert entries(setup) == {}


def test_scheduled_blackfile_import_waits_for_its_time(setup: ImportSetup) -> None:
    clock = setup.api.rt.clock
    setup.put("a.xlsx", xlsx(["黑名单号码"], [["138"], ["139"]]))
    now = clock()
    task_id = submit(setup, "a.xlsx", hour=(now.hour + 2) % 24, minute=30)
    waiting = task(setup, task_id)
    assert waiting["status"] == "0" and waiting["scheduledTime"], waiting
    assert setup.run_worker() == 0
    assert entries(setup) == {}
    clock.advance(hours=3)  # type: ignore[attr-defined]
    assert setup.run_worker() == 1
    done = task(setup, task_id)
    assert done["status"] == "2" and counts(done) == (2, 0, 0, 0)
    assert sorted(entries(setup)) == ["138", "139"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"fileName": "a/b.xlsx"}, "02000002"),
        ({"fileName": ""}, "02000001"),
        ({"filePath": "/../../etc"}, "02000002"),
        ({"hour": 8}, "02000010"),
        ({"minute": 30}, "02000010"),
        ({"hour": 24, "minute": 0}, "02000007"),
        ({"hour": "eight", "minute": 0}, "02000006"),
        ({"serverId": "999"}, "0200006"),
    ],
)
def test_submit_validation(setup: ImportSetup, body: dict[str, object], code: str) -> None:
    request = {"serverId": setup.server_id, "filePath": "/isales/upload", "fileName": "a.xlsx"}
    answer = setup.isales.call("POST", "/blackfile/uploadFileServer", json={**request, **body})
    assert answer["resultCode"] == code, answer


def test_task_lists_are_separate_and_per_tenant(setup: ImportSetup) -> None:
    black = import_blackfile(setup, "a.xlsx", xlsx(["黑名单号码"], [["138"]]))
    calldata = setup.import_file("c.xlsx", xlsx(["called"], [["13800000001"]]))
    listed = setup.isales.call(
        "POST", "/blackfile/queryDataImportTask", json={"offset": 0, "limit": 100}
    )
    assert [t["id"] for t in listed["result"]] == [black["id"]] and listed["count"] == 1
    campaign_tasks = setup.isales.query_import_tasks(setup.campaign_id)
    assert [t["id"] for t in campaign_tasks["result"]] == [calldata["id"]]
    bad = setup.isales.call("POST", "/blackfile/queryDataImportTask", json={"limit": 0})
    assert bad["resultCode"] == "02000001"  # offset is required, as in the documented table
    other = setup.api.new_tenant(13)
    with setup.api.client(other) as intruder:
        theirs = intruder.call(
            "POST",
            "/blackfile/queryDataImportTask",
            json={"offset": 0, "limit": 10, "importTaskIds": [black["id"]]},
        )
        assert theirs["resultCode"] == "0200000" and theirs["count"] == 0
        response = intruder.request("GET", f"/calldatafile/importTasks/{black['id']}/failures")
        assert response.json()["resultCode"] == "0200111"


def test_blocklist_task_dates_and_status_shape(setup: ImportSetup) -> None:
    result = import_blackfile(setup, "a.xlsx", xlsx(["黑名单号码"], [["138"]]))
    assert result["beginTime"].endswith("+00:00") and result["endTime"] >= result["beginTime"]
    assert result["fileName"] == "a.xlsx" and result["serverId"] == setup.server_id
    assert set(result) >= {"id", "status", "succNum", "repeatNum", "failNum", "blackNum", "errMsg"}
