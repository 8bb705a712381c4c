"""The record mapping of a finished import (extension): row number -> dataId, sessionId, calledNo."""

from __future__ import annotations

import csv
import io
import json

import openpyxl
from sqlalchemy import select

from openisales.exports import MAPPING_COLUMNS
from openisales.storage.models import BlocklistEntry, CallData
from tests.imports.conftest import UPLOAD_DIR, ImportSetup
from tests.imports.test_import_flow import HEADER, numbers, xlsx

ROWS: list[list[object]] = [
    ["@SUM(1+1)", '[{"calledNo":"13900000001"},{"calledNo":"13900000011"}]', "", "", "", ""],
    ["a2", '[{"calledNo":"13900000002"}]', "", "", "", ""],
    ["a2", '[{"calledNo":"13900000002"}]', "", "", "", ""],  # repeats row 3: not stored
    ["a3", '[{"calledNo":"1390000000X"}]', "", "", "", ""],  # a failed row: not stored
    ["", '[{"calledNo":"13900000009"}]', "", "", "", ""],  # blocklisted: stored as blocked
    ["a5", "13900000005", "", "", "", ""],
]


def _stored(setup: ImportSetup, task_id: str) -> list[list[str]]:
    """The task's records as the mapping should show them, read from the table."""
    with setup.api.rt.db.read() as session:
        query = select(CallData).where(CallData.import_task_id == task_id)
        records = session.scalars(query.order_by(CallData.row_number)).all()
        return [
            [
                str(record.row_number),
                str(record.data_id),
                record.session_id,
                ";".join(number["calledNo"] for number in json.loads(record.called)),
                "",
                "blocked" if record.status == 1 else "pending",
            ]
            for record in records
        ]


def _csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # a BOM, so Excel reads the text right
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def _xlsx(data: bytes) -> list[list[str]]:
    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).active
    assert sheet is not None
    return [
        ["" if cell is None else str(cell) for cell in row]
        for row in sheet.iter_rows(values_only=True)
    ]


def test_the_mapping_lists_every_stored_record_in_row_order(setup: ImportSetup) -> None:
    with setup.api.rt.db.transaction() as session:
        session.add(
            BlocklistEntry(vdn_id=12, number="13900000009", created_at=setup.api.rt.clock())
        )
    setup.import_file("crm.xlsx", xlsx(HEADER, numbers(2, start=13700000000)))  # other records
    task = setup.import_file("mapped.xlsx", xlsx(HEADER, ROWS))
    assert (task["status"], task["succNum"], task["blackNum"]) == ("2", 3, 1)

    stored = _stored(setup, task["id"])
    assert [line[0] for line in stored] == ["2", "3", "6", "7"]  # sheet rows
    assert stored[0][3] == "13900000001;13900000011"
    assert [line[5] for line in stored] == ["pending", "pending", "blocked", "pending"]

    lines = _csv(setup.isales.download_mapping(task["id"], fmt="csv"))
    assert lines[0] == list(MAPPING_COLUMNS)
    # The formula a sessionId could hold is neutralised, as in the failure report.
    assert lines[1][2] == "'@SUM(1+1)"
    stored[0][2] = "'" + stored[0][2]
    assert lines[1:] == stored

    sheet = _xlsx(setup.isales.download_mapping(task["id"], fmt="xlsx"))
    assert sheet[0] == list(MAPPING_COLUMNS)
    assert sheet[1:] == stored


def test_a_mapping_is_for_a_finished_call_data_import_only(setup: ImportSetup) -> None:
    setup.put("waiting.xlsx", xlsx(HEADER, numbers(2)))
    task_id = setup.submit("waiting.xlsx")
    response = setup.isales.mapping_response(task_id)
    assert response.status_code == 200
    assert response.json()["resultCode"] == "0200119"
    assert "has not finished (status 0)" in response.json()["resultDesc"]

    chinese = setup.api.client(locale="zh_CN")
    with chinese:
        answer = chinese.mapping_response(task_id).json()
    assert answer["resultCode"] == "0200119" and "尚未结束" in answer["resultDesc"]

    unknown = setup.isales.mapping_response("9" * 30).json()
    assert unknown["resultCode"] == "0200111"

    blocklist = setup.isales.upload_blackfile(setup.server_id, "n.csv", "/" + UPLOAD_DIR)
    assert setup.run_worker() == 2
    refused = setup.isales.mapping_response(blocklist["importTaskId"]).json()
    assert refused["resultCode"] == "02000007", refused

    # A failed import stored nothing: its mapping is the header alone.
    failed = setup.isales.upload_file_server(
        setup.campaign_id, setup.server_id, "missing.xlsx", "/" + UPLOAD_DIR
    )
    assert setup.run_worker() == 1
    assert setup.task(failed["importTaskId"])["status"] == "3"
    assert _csv(setup.isales.download_mapping(failed["importTaskId"])) == [list(MAPPING_COLUMNS)]
