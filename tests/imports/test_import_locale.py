"""An import's errMsg and failure report in the language of the client that reads them."""

from __future__ import annotations

import csv
import io

import openpyxl

from openisales.i18n import has_cjk
from tests.imports.conftest import ImportSetup
from tests.imports.test_import_flow import HEADER, xlsx


def _messages(report: bytes) -> list[str]:
    rows = list(csv.DictReader(io.StringIO(report.decode("utf-8-sig"))))
    return [row["message"] for row in rows]


def test_failure_report_and_err_msg_follow_the_readers_locale(setup: ImportSetup) -> None:
    rows: list[list[object]] = [
        ["a1", '[{"calledNo":"13900000001"}]', "", "", "", ""],
        ["a2", '[{"calledNo":"1390000000X"}]', "", "", "", ""],  # invalid characters
        ["a3", "not json", "", "", "", ""],  # called not JSON
        ["x" * 33, '[{"calledNo":"13900000005"}]', "", "", "", ""],  # sessionId too long
        ["a4", '[{"calledNo":"13900000008"}]', "", "", "", "2026/12/01"],  # recycleTime format
    ]
    task = setup.import_file("mixed.xlsx", xlsx(HEADER, rows))
    assert task["status"] == "2" and task["failNum"] == 4, task
    assert task["errMsg"].startswith("4 rows failed validation"), task

    english = _messages(setup.isales.download_failures(task["id"], "csv"))
    assert len(english) == 4 and not any(has_cjk(message) for message in english), english
    with setup.api.client(locale="zh_CN") as chinese:
        zh_task = chinese.query_import_tasks(setup.campaign_id, import_task_ids=[task["id"]])
        report = chinese.download_failures(task["id"], "csv")
        workbook = chinese.download_failures(task["id"], "xlsx")
    assert zh_task["result"][0]["errMsg"] == "4行数据校验失败，请下载失败报告查看每行的原因"
    assert zh_task["resultDesc"] == "成功"
    messages = _messages(report)
    assert len(messages) == 4 and all(has_cjk(message) for message in messages), messages
    assert "sessionId的长度超过上限32个字符" in messages
    sheet = openpyxl.load_workbook(io.BytesIO(workbook), read_only=True).worksheets[0]
    assert [row[4] for row in sheet.iter_rows(min_row=2, values_only=True)] == messages
    with setup.api.client(locale="en_US") as reader:
        assert _messages(reader.download_failures(task["id"], "csv")) == english
