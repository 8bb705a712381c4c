"""Outbound call batches (cec_07_0770-0775): their interfaces, and their effect on the lease."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from openisales.client import ISalesClient
from openisales.storage.models import CallData
from tests.dispatch.conftest import SUCCESS, Dial, result

EMPTY, INVALID_CHARS, TOO_LONG, WRONG_VALUE = "02000001", "02000002", "02000003", "02000007"
CAMPAIGN_NOT_FOUND = "0200007"
NAME_TAKEN, NOT_ALLOWED, BATCH_LIMIT, BATCH_NOT_FOUND = (
    "03000001",
    "03000002",
    "03000003",
    "03000004",
)
ALREADY_PAUSED, NOT_PAUSED = "03000006", "0200140"
STARTED, PAUSED = 1, 2


def batch_call(isales: ISalesClient, campaign_id: int, op: str, **body: Any) -> dict[str, Any]:
    method = "GET" if op == "list" else "POST"
    return isales.call(method, f"/callbatch/{campaign_id}/{op}", json=body)


def create(isales: ISalesClient, campaign_id: int, name: str, **body: Any) -> str:
    answer = batch_call(isales, campaign_id, "create", name=name, **body)
    assert answer["resultCode"] == SUCCESS, answer
    return str(answer["returnObject"]["id"])


def batches(isales: ISalesClient, campaign_id: int, **body: Any) -> dict[str, int]:
    answer = batch_call(isales, campaign_id, "list", **{"offset": 0, "limit": 100, **body})
    assert answer["resultCode"] == SUCCESS, answer
    assert answer["totalCount"] == len(answer["data"])
    return {item["name"]: item["status"] for item in answer["data"]}


def code(answer: dict[str, Any]) -> str:
    return str(answer["resultCode"])


def add_records(dial: Dial, campaign_id: int, batch_id: str, *numbers: str) -> None:
    dial.clock.advance(seconds=2)
    records = [{"sessionId": number, "called": [number]} for number in numbers]
    answer = dial.isales.call(
        "POST",
        f"/calldata/{campaign_id}",
        json={"callDataList": records, "batchId": batch_id},
        version="v2",
    )
    assert answer["resultCode"] == SUCCESS, answer


def test_add_modify_pause_resume_list_delete(dial: Dial) -> None:
    campaign = dial.campaign()
    first = create(dial.isales, campaign, "first", status=1)
    second = create(dial.isales, campaign, "second")
    assert batches(dial.isales, campaign) == {"first": STARTED, "second": PAUSED}
    assert batches(dial.isales, campaign, name="sec") == {"second": PAUSED}
    assert batches(dial.isales, campaign, status=1) == {"first": STARTED}
    answer = batch_call(dial.isales, campaign, "list", offset=1, limit=1)
    assert answer["totalCount"] == 2 and [b["id"] for b in answer["data"]] == [second]

    assert code(batch_call(dial.isales, campaign, "update", id=first, name="renamed")) == SUCCESS
    assert code(batch_call(dial.isales, campaign, "pause", id=first)) == SUCCESS
    assert code(batch_call(dial.isales, campaign, "pause", id=first)) == ALREADY_PAUSED
    assert batches(dial.isales, campaign) == {"renamed": PAUSED, "second": PAUSED}
    assert code(batch_call(dial.isales, campaign, "resume", id=second)) == SUCCESS
    assert code(batch_call(dial.isales, campaign, "resume", id=second)) == NOT_PAUSED
    assert batches(dial.isales, campaign) == {"renamed": PAUSED, "second": STARTED}

    assert code(batch_call(dial.isales, campaign, "delete", id=first)) == SUCCESS
    assert batches(dial.isales, campaign) == {"second": STARTED}
    for op in ("pause", "resume", "delete"):
        assert code(batch_call(dial.isales, campaign, op, id=first)) == BATCH_NOT_FOUND
    assert create(dial.isales, campaign, "renamed")  # a deleted batch frees its name


def test_names_are_unique_and_a_campaign_holds_at_most_100(dial: Dial) -> None:
    campaign = dial.campaign()
    other = dial.campaign()
    one = create(dial.isales, campaign, "one")
    create(dial.isales, campaign, "two")
    assert code(batch_call(dial.isales, campaign, "create", name="one")) == NAME_TAKEN
    assert code(batch_call(dial.isales, campaign, "update", id=one, name="two")) == NAME_TAKEN
    assert code(batch_call(dial.isales, campaign, "update", id=one, name="one")) == SUCCESS
    assert create(dial.isales, other, "one")  # names are per campaign
    for i in range(98):
        create(dial.isales, campaign, f"b{i}")
    assert code(batch_call(dial.isales, campaign, "create", name="b98")) == BATCH_LIMIT
    assert len(batches(dial.isales, campaign)) == 100


def test_bad_bodies_and_missing_objects_change_nothing(dial: Dial) -> None:
    campaign = dial.campaign()
    batch = create(dial.isales, campaign, "kept", status=1)
    cases = [
        ("create", {}, EMPTY),
        ("create", {"name": ""}, EMPTY),
        ("create", {"name": "a<b"}, INVALID_CHARS),
        ("create", {"name": "x" * 256}, TOO_LONG),
        ("create", {"name": "ok", "status": 3}, WRONG_VALUE),
        ("update", {"id": batch, "name": "bad/name"}, INVALID_CHARS),
        ("update", {"name": "no id"}, EMPTY),
        ("pause", {}, EMPTY),
        ("pause", {"id": "1" * 33}, TOO_LONG),
        ("pause", {"id": "123"}, BATCH_NOT_FOUND),
        ("update", {"id": "123", "name": "n"}, BATCH_NOT_FOUND),
    ]
    for op, body, expected in cases:
        assert code(batch_call(dial.isales, campaign, op, **body)) == expected, (op, body)
    assert code(batch_call(dial.isales, 999, "create", name="n")) == CAMPAIGN_NOT_FOUND
    assert code(batch_call(dial.isales, 999, "list")) == CAMPAIGN_NOT_FOUND
    other = dial.campaign()
    assert code(batch_call(dial.isales, other, "pause", id=batch)) == BATCH_NOT_FOUND
    with dial.api.client(dial.api.new_tenant(13)) as stranger:
        assert code(batch_call(stranger, campaign, "pause", id=batch)) == CAMPAIGN_NOT_FOUND
        assert code(batch_call(stranger, campaign, "list")) == CAMPAIGN_NOT_FOUND
    assert batches(dial.isales, campaign) == {"kept": STARTED}


def test_a_paused_campaign_does_not_pause_its_batches(dial: Dial) -> None:
    campaign = dial.campaign()
    batch = create(dial.isales, campaign, "b", status=1)
    assert dial.isales.call("PUT", f"/{campaign}/pause")["resultCode"] == SUCCESS
    assert code(batch_call(dial.isales, campaign, "pause", id=batch)) == NOT_ALLOWED
    assert batches(dial.isales, campaign) == {"b": STARTED}


def test_a_paused_batch_is_not_leased_until_resumed(dial: Dial) -> None:
    campaign = dial.campaign()
    held = create(dial.isales, campaign, "held", status=1)
    free = create(dial.isales, campaign, "free", status=1)
    add_records(dial, campaign, held, "13800000001", "13800000002")
    add_records(dial, campaign, free, "13800000003")
    assert code(batch_call(dial.isales, campaign, "pause", id=held)) == SUCCESS
    assert dial.numbers(campaign) == ["13800000003"]
    assert dial.numbers(campaign) == []
    add_records(dial, campaign, held, "13800000004")  # added while paused: held too
    assert dial.numbers(campaign) == []
    assert code(batch_call(dial.isales, campaign, "resume", id=held)) == SUCCESS
    assert sorted(dial.numbers(campaign)) == ["13800000001", "13800000002", "13800000004"]


def test_a_batch_created_paused_holds_its_records(dial: Dial) -> None:
    campaign = dial.campaign()
    batch = create(dial.isales, campaign, "later")  # paused by default (cec_07_0770)
    add_records(dial, campaign, batch, "13800000001")
    assert dial.numbers(campaign) == []
    batch_call(dial.isales, campaign, "resume", id=batch)
    assert dial.numbers(campaign) == ["13800000001"]


def session_ids(dial: Dial, campaign_id: int) -> set[str]:
    pk = dial.campaign_pk(campaign_id)
    with dial.api.rt.db.read() as session:
        return set(session.scalars(select(CallData.session_id).where(CallData.campaign_pk == pk)))


def test_delete_removes_only_the_uncalled_records(dial: Dial) -> None:
    campaign = dial.campaign()
    batch = create(dial.isales, campaign, "b", status=1)
    other = create(dial.isales, campaign, "other", status=1)
    add_records(dial, campaign, batch, "13800000001", "13800000002", "13800000003", "13800000004")
    add_records(dial, campaign, other, "13800000009")
    first, second, being_called = dial.lease(campaign, limit=3)  # oldest first: batch b's
    dial.report(campaign, result(first["leaseId"], status=5, fail_code="00603"))
    dial.report(campaign, result(second["leaseId"]))
    answer = batch_call(dial.isales, campaign, "delete", id=batch)
    assert answer["resultCode"] == SUCCESS, answer
    assert answer["deletedNum"] == 1  # 13800000004: never leased
    assert session_ids(dial, campaign) == {
        "13800000001", "13800000002", "13800000003", "13800000009",
    }  # fmt: skip
    assert being_called["sessionId"] == "13800000003"


def test_a_newer_clients_unknown_fields_are_ignored(dial: Dial) -> None:
    campaign = dial.campaign()
    batch = create(dial.isales, campaign, "newer", status=1, batchRemark="from a newer edition")
    assert batches(dial.isales, campaign) == {"newer": STARTED}
    paused = batch_call(dial.isales, campaign, "pause", id=batch, traceId="abc")
    assert code(paused) == SUCCESS, paused
    assert batches(dial.isales, campaign) == {"newer": PAUSED}
