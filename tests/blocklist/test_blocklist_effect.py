"""What the blocklist does: the next call-data import stores a listed number's row as blocked
and counts it in blackNum; once removed (or expired) the number imports normally."""

from __future__ import annotations

import json
from typing import Any

from openisales.domain.record_row import RecordStatus
from openisales.storage.models import CallData
from tests.imports import conftest as import_fixtures
from tests.imports.conftest import ImportSetup
from tests.imports.test_import_flow import HEADER, xlsx

# The import set-up fixture: tenant 12, a real sftp file server registered for it, a campaign.
setup = import_fixtures.setup


def call_file(*rows: tuple[str, str]) -> bytes:
    return xlsx(
        HEADER,
        [[session, json.dumps([{"calledNo": number}]), "", "", "", ""] for session, number in rows],
    )


def blocklist(setup: ImportSetup, method: str, path: str, **body: Any) -> None:
    answer = setup.isales.call(method, path, json=body or None)
    assert answer["resultCode"] == "0200000", answer


def statuses(setup: ImportSetup, task_id: str) -> dict[str, int]:
    with setup.api.rt.db.transaction() as session:
        rows = session.query(CallData).filter_by(import_task_id=task_id).all()
        return {row.session_id: row.status for row in rows}


def counts(result: dict[str, Any]) -> tuple[int, int, int, int]:
    return result["succNum"], result["repeatNum"], result["failNum"], result["blackNum"]


def test_listed_number_is_blocked_and_imports_normally_once_removed(setup: ImportSetup) -> None:
    blocklist(setup, "POST", "/blocklist/add", blocklist=["13900000009"])
    first = setup.import_file("day1.xlsx", call_file(("a", "13900000001"), ("b", "13900000009")))
    assert first["status"] == "2", first
    assert counts(first) == (1, 0, 0, 1)
    assert statuses(setup, first["id"]) == {"a": RecordStatus.PENDING, "b": RecordStatus.BLOCKED}

    blocklist(setup, "POST", "/blocklist/delete", blocklistNo="13900000009")
    second = setup.import_file("day2.xlsx", call_file(("c", "13900000009")))
    assert counts(second) == (1, 0, 0, 0)
    assert statuses(setup, second["id"]) == {"c": RecordStatus.PENDING}


def test_a_customer_with_one_listed_number_is_blocked(setup: ImportSetup) -> None:
    blocklist(setup, "POST", "/blocklist/add", blocklist=["13900000002"])
    called = json.dumps([{"calledNo": "13900000001"}, {"calledNo": "13900000002"}])
    data = xlsx(HEADER, [["a", called, "", "", "", ""]])
    result = setup.import_file("a.xlsx", data)
    assert counts(result) == (0, 0, 0, 1)


def test_expired_entry_stops_blocking(setup: ImportSetup) -> None:
    blocklist(setup, "POST", "/blocklist/add", blocklist=["13900000009"], validityTime=1)
    blocked = setup.import_file("a.xlsx", call_file(("a", "13900000009")))
    assert counts(blocked) == (0, 0, 0, 1)
    setup.api.rt.clock.advance(hours=1, seconds=1)  # type: ignore[attr-defined]
    free = setup.import_file("b.xlsx", call_file(("b", "13900000009")))
    assert counts(free) == (1, 0, 0, 0)
    assert statuses(setup, free["id"]) == {"b": RecordStatus.PENDING}


def test_delete_all_lifts_every_block(setup: ImportSetup) -> None:
    blocklist(setup, "POST", "/blocklist/add", blocklist=["13900000001", "13900000002"])
    blocklist(setup, "DELETE", "/blocklist")
    result = setup.import_file("a.xlsx", call_file(("a", "13900000001"), ("b", "13900000002")))
    assert counts(result) == (2, 0, 0, 0)


def test_numbers_from_a_blocklist_file_block_the_next_import(setup: ImportSetup) -> None:
    setup.put("black.xlsx", xlsx(["黑名单号码"], [["13900000005"]]))
    answer = setup.isales.call(
        "POST",
        "/blackfile/uploadFileServer",
        json={"serverId": setup.server_id, "filePath": "/isales/upload", "fileName": "black.xlsx"},
    )
    assert answer["resultCode"] == "0200000", answer
    setup.run_worker()
    result = setup.import_file("a.xlsx", call_file(("a", "13900000005"), ("b", "13900000006")))
    assert counts(result) == (1, 0, 0, 1)


def test_another_tenants_blocklist_does_not_block(setup: ImportSetup) -> None:
    other = setup.api.new_tenant(13)
    with setup.api.client(other) as neighbour:
        answer = neighbour.call("POST", "/blocklist/add", json={"blocklist": ["13900000009"]})
        assert answer["resultCode"] == "0200000"
    result = setup.import_file("a.xlsx", call_file(("a", "13900000009")))
    assert counts(result) == (1, 0, 0, 0)
