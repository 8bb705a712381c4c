"""``validateOnly: true`` (extension): fetch, read, validate and count, and import nothing."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from sqlalchemy import func, select

from openisales.storage.models import BlocklistEntry, CallData, DialEntry, ImportFailure
from tests.imports.conftest import ImportSetup
from tests.imports.test_import_flow import HEADER, xlsx

COUNTS = ("totalNum", "succNum", "failNum", "repeatNum", "blackNum")
ROWS: list[list[object]] = [
    ["a1", '[{"calledNo":"13900000001"}]', "", "", "", ""],
    ["a2", '[{"calledNo":"13900000002"}]', "", "", "", ""],
    ["a1", '[{"calledNo":"13900000001"}]', "", "", "", ""],  # repeats row 2
    ["a3", '[{"calledNo":"1390000000X"}]', "", "", "", ""],  # invalid characters
    ["a4", '[{"calledNo":"13900000009"}]', "", "", "", ""],  # blocklisted
]


def _stored(setup: ImportSetup) -> tuple[int, int]:
    with setup.api.rt.db.read() as session:
        records = session.scalar(select(func.count()).select_from(CallData)) or 0
        queued = session.scalar(select(func.count()).select_from(DialEntry)) or 0
    return records, queued


def _counts(task: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(task[key] for key in COUNTS)


def _report(setup: ImportSetup, task_id: str) -> list[list[str]]:
    report = setup.isales.download_failures(task_id, fmt="csv")
    return list(csv.reader(io.StringIO(report.decode("utf-8-sig"))))


def test_a_dry_run_counts_what_the_import_does_and_leaves_the_campaign_untouched(
    setup: ImportSetup,
) -> None:
    with setup.api.rt.db.transaction() as session:
        session.add(
            BlocklistEntry(vdn_id=12, number="13900000009", created_at=setup.api.rt.clock())
        )
    setup.put("dry.xlsx", xlsx(HEADER, ROWS))

    dry_id = setup.submit("dry.xlsx", validate_only=True)
    assert setup.run_worker() == 1
    dry = setup.task(dry_id)
    assert dry["status"] == "2", dry
    assert dry["validateOnly"] is True
    assert dry["errMsg"].startswith("dry run (validateOnly): nothing was imported; 1 rows failed")
    assert _counts(dry) == (5, 2, 1, 1, 1)
    assert _stored(setup) == (0, 0)
    dry_report = _report(setup, dry_id)
    assert [line[0] for line in dry_report[1:]] == ["5"]

    real = setup.task(setup.submit("dry.xlsx"))
    assert setup.run_worker() == 1
    real = setup.task(real["id"])
    assert real["validateOnly"] is False and not real["errMsg"].startswith("dry run")
    assert _counts(real) == _counts(dry)
    assert _stored(setup) == (3, 0)  # a1, a2 and the blocklisted a4 (kept, never dialled)
    assert _report(setup, real["id"])[1:] == dry_report[1:]

    again = setup.task(setup.submit("dry.xlsx", validate_only=True))
    assert setup.run_worker() == 1
    again = setup.task(again["id"])
    # Against the campaign as it is now: every valid row is a repeat.
    assert _counts(again) == (5, 0, 1, 4, 0)
    assert _stored(setup) == (3, 0)


def test_a_blocklist_dry_run_adds_no_number(setup: ImportSetup) -> None:
    setup.put("numbers.csv", b"number\n13700000001\n13700000002\n13700000001\n12AB\n")
    answer = setup.isales.upload_blackfile(
        setup.server_id, "numbers.csv", "/isales/upload", validate_only=True
    )
    assert answer["resultCode"] == "0200000", answer
    assert setup.run_worker() == 1
    [task] = setup.isales.query_blackfile_tasks(import_task_ids=[answer["importTaskId"]])["result"]
    assert task["status"] == "2" and task["validateOnly"] is True, task
    assert (task["succNum"], task["repeatNum"], task["failNum"]) == (2, 1, 1)
    assert task["errMsg"].startswith("dry run (validateOnly)")
    with setup.api.rt.db.read() as session:
        assert session.scalar(select(func.count()).select_from(BlocklistEntry)) == 0
        assert session.scalar(select(func.count()).select_from(ImportFailure)) == 1


def test_bad_dry_run_requests_are_refused_and_queue_nothing(setup: ImportSetup) -> None:
    path = f"/calldatafile/uploadFileServer/{setup.campaign_id}"
    body = {"serverId": setup.server_id, "filePath": "/isales/upload", "fileName": "dry.xlsx"}
    scheduled = setup.isales.call(
        "POST", path, json={**body, "validateOnly": True, "hour": 3, "minute": 0}
    )
    assert scheduled["resultCode"] == "02000009", scheduled
    assert "validateOnly" in scheduled["resultDesc"]
    for value in ("yes", 1, "true", None, []):
        answer = setup.isales.call("POST", path, json={**body, "validateOnly": value})
        if value is None:  # absent and null: a real import
            assert answer["resultCode"] == "0200000", answer
            continue
        assert answer["resultCode"] == "02000006", (value, answer)
    listed = setup.isales.query_import_tasks(setup.campaign_id)
    assert listed["count"] == 1 and listed["result"][0]["validateOnly"] is False
    assert json.dumps(listed).count('"validateOnly": true') == 0


def test_a_dry_runs_err_msg_reads_in_the_clients_language(setup: ImportSetup) -> None:
    setup.put("dry.xlsx", xlsx(HEADER, ROWS))
    task_id = setup.submit("dry.xlsx", validate_only=True)
    assert setup.run_worker() == 1
    with setup.api.client(locale="zh_CN") as chinese:
        answer = chinese.query_import_tasks(setup.campaign_id, import_task_ids=[task_id])
    err_msg = answer["result"][0]["errMsg"]
    assert (
        err_msg
        == "试运行（validateOnly）：未导入任何数据；1行数据校验失败，请下载失败报告查看每行的原因"
    )
