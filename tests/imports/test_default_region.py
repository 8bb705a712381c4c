"""File imports for a tenant with a default region: numbers read with libphonenumber (real sftp)."""

from __future__ import annotations

import csv
import io
import json

from sqlalchemy import select

from openisales.services import tenants
from openisales.storage.models import CallData
from tests.imports.conftest import ImportSetup
from tests.imports.test_import_flow import HEADER, xlsx

ROWS: list[list[object]] = [
    ["c1", '[{"calledNo":"013800001234","type":"home"}]', "", "", "", ""],
    ["c1", "+8613800001234", "", "", "", ""],  # row 2's customer, written in E.164: a duplicate
    ["c2", "13800001234", "", "", "", ""],  # the same number for another sessionId: kept
    ["c3", '[{"calledNo":"01087654321"},{"calledNo":"+442079460000"}]', "", "", "", ""],
    ["c4", "12345", "", "", "", ""],  # cannot exist in CN
    ["c5", 8613900000005, "", "", "", ""],  # a number cell with the country code
    ["c6", '[{"calledNo":"+12015550123"}]', "", "", "", ""],
]


def _set_region(setup: ImportSetup, region: str | None) -> None:
    with setup.api.rt.db.transaction() as session:
        tenants.set_default_region(session, setup.api.creds.vdn_id, region)


def _stored(setup: ImportSetup, task_id: str) -> list[tuple[str, str, list[dict[str, object]]]]:
    with setup.api.rt.db.read() as session:
        query = select(CallData).where(CallData.import_task_id == task_id)
        records = session.scalars(query.order_by(CallData.row_number)).all()
        return [(r.session_id, r.called_key, json.loads(r.called)) for r in records]


def _failures(setup: ImportSetup, task_id: str) -> dict[int, list[str]]:
    report = setup.isales.download_failures(task_id, fmt="csv")
    lines = list(csv.reader(io.StringIO(report.decode("utf-8-sig"))))
    return {int(line[0]): line for line in lines[1:]}


def test_with_a_region_numbers_are_read_and_duplicates_found_on_their_e164_form(
    setup: ImportSetup,
) -> None:
    _set_region(setup, "CN")
    result = setup.import_file("regions.xlsx", xlsx(HEADER, ROWS))
    assert result["status"] == "2", result
    counts = (result["succNum"], result["repeatNum"], result["failNum"], result["totalNum"])
    assert counts == (5, 1, 1, 7)
    stored = _stored(setup, result["id"])
    assert [(session_id, key) for session_id, key, _ in stored] == [
        ("c1", "+8613800001234"),
        ("c2", "+8613800001234"),
        ("c3", "+442079460000,+861087654321"),
        ("c5", "+8613900000005"),
        ("c6", "+12015550123"),
    ]
    assert stored[0][2] == [
        {
            "calledNo": "013800001234",
            "delayTime": 0,
            "type": "home",
            "e164": "+8613800001234",
            "numberType": "MOBILE",
            "timeZone": "Asia/Shanghai",
        }
    ]
    assert [(n["calledNo"], n["numberType"], n["timeZone"]) for n in stored[2][2]] == [
        ("01087654321", "FIXED_LINE", "Asia/Shanghai"),
        ("+442079460000", "FIXED_LINE", "Europe/London"),
    ]
    assert stored[4][2][0]["timeZone"] == "America/New_York"

    failures = _failures(setup, result["id"])
    assert list(failures) == [6]
    column, code, rule, message = failures[6][1:5]
    assert (column, code, rule) == ("called", "02000007", "called.calledNo.invalid")
    assert "12345" in message and "cannot exist" in message

    mapping = setup.isales.download_mapping(result["id"], fmt="csv")
    lines = list(csv.reader(io.StringIO(mapping.decode("utf-8-sig"))))
    assert [line[3:5] for line in lines[1:]] == [
        ["013800001234", "'+8613800001234"],  # neutralised like every text cell
        ["13800001234", "'+8613800001234"],
        ["01087654321;+442079460000", "'+861087654321;+442079460000"],
        ["8613900000005", "'+8613900000005"],
        ["'+12015550123", "'+12015550123"],
    ]


def test_a_second_file_finds_the_customers_of_the_first_in_another_writing(
    setup: ImportSetup,
) -> None:
    _set_region(setup, "CN")
    first = setup.import_file("day1.xlsx", xlsx(HEADER, [["s", "13800001234", "", "", "", ""]]))
    second = setup.import_file("day2.xlsx", xlsx(HEADER, [["s", "+8613800001234", "", "", "", ""]]))
    assert (first["succNum"], first["repeatNum"]) == (1, 0)
    assert (second["succNum"], second["repeatNum"]) == (0, 1)


def test_without_a_region_the_import_is_as_before(setup: ImportSetup) -> None:
    result = setup.import_file("plain.xlsx", xlsx(HEADER, ROWS))
    assert result["status"] == "2", result
    # No number is read: 12345 is stored, and a "+" is an invalid character as always.
    counts = (result["succNum"], result["repeatNum"], result["failNum"], result["totalNum"])
    assert counts == (4, 0, 3, 7)
    stored = _stored(setup, result["id"])
    assert [(session_id, key) for session_id, key, _ in stored] == [
        ("c1", "013800001234"),
        ("c2", "13800001234"),
        ("c4", "12345"),
        ("c5", "8613900000005"),
    ]
    assert stored[0][2] == [{"calledNo": "013800001234", "delayTime": 0, "type": "home"}]
    failures = _failures(setup, result["id"])
    assert sorted(failures) == [3, 5, 8]
    assert {line[3] for line in failures.values()} == {"called.calledNo.chars"}
    mapping = setup.isales.download_mapping(result["id"], fmt="csv")
    lines = list(csv.reader(io.StringIO(mapping.decode("utf-8-sig"))))
    assert {line[4] for line in lines[1:]} == {""}
