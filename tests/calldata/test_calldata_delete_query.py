"""Deleting call data (cec_07_0761), reading one record (cec_07_0764) and the record list."""

from __future__ import annotations

from typing import Any

import pytest

from openisales.client import ISalesClient
from openisales.storage.models import CallData, CallDataHistory
from tests.calldata.conftest import (
    add_v1,
    add_v2,
    data_ids,
    delete,
    ok,
    properties,
    query_one,
    records,
    refused,
    xlsx,
)
from tests.conftest import Api, Clock
from tests.imports.conftest import ImportSetup, create_campaign

EMPTY, INVALID_CHARS, TOO_LONG = "02000001", "02000002", "02000003"
WRONG_TYPE, WRONG_VALUE, COMBINATION = "02000006", "02000007", "02000009"
CAMPAIGN_NOT_FOUND, CALL_DATA_NOT_FOUND = "0200007", "0200033"


def deleted(answer: dict[str, Any]) -> int:
    return int(ok(answer)["returnObject"]["deleteCount"])


def remaining(isales: ISalesClient, campaign: int) -> list[str]:
    listing = ok(records(isales, campaign))["returnObject"]
    return sorted(item["sessionId"] for item in listing["data"])


@pytest.fixture
def seeded(isales: ISalesClient, campaign: int) -> dict[str, int]:
    """Six records of one campaign, by sessionId, covering every criterion."""
    answer = add_v2(
        isales,
        campaign,
        {"sessionId": "a", "called": ["1380001"], "customField": "north",
         "recycleTime": "2030-06-01 08:00:00"},
        {"sessionId": "b", "called": ["13800011"], "customField": "north",
         "recycleTime": "2030-06-01 18:30:00"},
        {"sessionId": "c", "called": ["1390002", "1380001"], "customField": "south",
         "recycleTime": "2030-06-02 09:00:00"},
        {"sessionId": "d", "called": ["21380001"], "recycleTime": "2030-05-31 23:59:59"},
        {"sessionId": "e", "called": ["1380001*"]},
        {"sessionId": "f", "called": ["1390003"], "customField": "north"},
    )  # fmt: skip
    ids = data_ids(answer)
    return dict(zip("abcdef", ids, strict=True))


# -- delete --------------------------------------------------------------------------------------


def test_delete_by_session_id(isales: ISalesClient, campaign: int, seeded: dict[str, int]) -> None:
    assert deleted(delete(isales, campaign, sessionId="b")) == 1
    assert remaining(isales, campaign) == ["a", "c", "d", "e", "f"]
    assert deleted(delete(isales, campaign, sessionId="b")) == 0


def test_delete_by_called_matches_a_whole_number_among_the_records_numbers(
    isales: ISalesClient, campaign: int, seeded: dict[str, int]
) -> None:
    # "1380001" is a's only number and one of c's; 13800011, 21380001 and 1380001* only contain it.
    assert deleted(delete(isales, campaign, called="1380001")) == 2
    assert remaining(isales, campaign) == ["b", "d", "e", "f"]
    assert deleted(delete(isales, campaign, called="1380001*")) == 1
    assert remaining(isales, campaign) == ["b", "d", "f"]


def test_delete_by_custom_field(
    isales: ISalesClient, campaign: int, seeded: dict[str, int]
) -> None:
    assert deleted(delete(isales, campaign, customField="north")) == 3
    assert remaining(isales, campaign) == ["c", "d", "e"]


@pytest.mark.parametrize(
    ("recycle_time", "recycle_type", "gone"),
    [
        ("2030-06-01 12:00:00", 1, ["a", "b", "d"]),  # on or before that day
        ("2030-06-01", 1, ["a", "b", "d"]),  # the day alone is enough for the day-wise types
        ("2030-06-01 12:00:00", 2, ["a", "b"]),  # that day
        ("2030-06-01 00:00:00", 2, ["a", "b"]),
        ("2030-06-01 18:30:00", 3, ["b"]),  # exactly
        ("2030-06-01 18:30:01", 3, []),
        ("2030-05-30 00:00:00", 1, []),
    ],
)
def test_delete_by_recycle_time(
    isales: ISalesClient,
    campaign: int,
    seeded: dict[str, int],
    recycle_time: str,
    recycle_type: int,
    gone: list[str],
) -> None:
    count = deleted(delete(isales, campaign, recycleTime=recycle_time, recycleType=recycle_type))
    assert count == len(gone)
    assert remaining(isales, campaign) == sorted(set("abcdef") - set(gone))


def test_criteria_combine_with_and(
    isales: ISalesClient, campaign: int, seeded: dict[str, int]
) -> None:
    assert deleted(delete(isales, campaign, customField="north", called="1390003")) == 1
    both = delete(
        isales, campaign, customField="north", recycleTime="2030-06-01 00:00:00", recycleType=2
    )
    assert deleted(both) == 2
    assert remaining(isales, campaign) == ["c", "d", "e"]
    assert deleted(delete(isales, campaign, sessionId="c", customField="north")) == 0


def test_delete_touches_only_its_own_campaign(
    api: Api, isales: ISalesClient, campaign: int, seeded: dict[str, int]
) -> None:
    other = create_campaign(isales, "other")
    ok(add_v1(isales, other, {"sessionId": "a", "called": "1380001", "customField": "north"}))
    assert deleted(delete(isales, campaign, customField="north")) == 3
    assert remaining(isales, other) == ["a"]
    with api.client(api.new_tenant(13)) as stranger:
        refused(delete(stranger, campaign, sessionId="c"), CAMPAIGN_NOT_FOUND)
    assert "c" in remaining(isales, campaign)


def test_archive_history_moves_records_with_their_data_id(
    api: Api, isales: ISalesClient, campaign: int, seeded: dict[str, int]
) -> None:
    before = properties(query_one(isales, campaign, seeded["a"]))
    assert deleted(delete(isales, campaign, customField="north", archiveHistory=1)) == 3
    assert deleted(delete(isales, campaign, sessionId="d", archiveHistory=0)) == 1
    assert remaining(isales, campaign) == ["c", "e"]
    refused(query_one(isales, campaign, seeded["a"]), CALL_DATA_NOT_FOUND)
    with api.rt.db.transaction() as session:
        history = {row.data_id: row for row in session.query(CallDataHistory).all()}
        assert sorted(history) == sorted(seeded[key] for key in "abf")
        archived = history[seeded["a"]]
        assert archived.session_id == "a" and archived.custom_field == "north"
        assert archived.called_key == "1380001"
        assert archived.recycle_time is not None
        assert archived.recycle_time.strftime("%Y-%m-%d %H:%M:%S") == before["recycleTime"]
        assert archived.archived_at is not None and archived.created_at is not None
        assert session.query(CallData).filter(CallData.data_id == seeded["d"]).count() == 0


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, EMPTY),
        ({"archiveHistory": 1}, EMPTY),
        ({"sessionId": "", "called": ""}, EMPTY),
        ({"recycleTime": "2030-06-01 00:00:00"}, COMBINATION),
        ({"sessionId": "a", "recycleType": 1}, COMBINATION),
        ({"recycleTime": "2030-06-01 00:00:00", "recycleType": 4}, WRONG_VALUE),
        ({"recycleTime": "01/06/2030", "recycleType": 1}, WRONG_TYPE),
        ({"recycleTime": "2030-06-01", "recycleType": 3}, WRONG_TYPE),
        ({"recycleTime": "2030-02-30 00:00:00", "recycleType": 2}, WRONG_VALUE),
        ({"called": "138-0001"}, INVALID_CHARS),
        ({"called": "1" * 25}, TOO_LONG),
        ({"sessionId": "s" * 33}, TOO_LONG),
        ({"customField": "c" * 201}, TOO_LONG),
        ({"sessionId": "a", "archiveHistory": 2}, WRONG_VALUE),
    ],
)
def test_delete_rules(
    isales: ISalesClient, campaign: int, seeded: dict[str, int], body: dict[str, Any], code: str
) -> None:
    refused(delete(isales, campaign, **body), code)
    assert len(remaining(isales, campaign)) == 6


# -- query one -----------------------------------------------------------------------------------


def test_query_one_returns_properties_and_numbers(
    isales: ISalesClient, campaign: int, seeded: dict[str, int]
) -> None:
    answer = ok(query_one(isales, campaign, seeded["c"]))
    data = answer["data"]
    assert data["dataId"] == seeded["c"]
    assert [n["calledNo"] for n in data["calledNos"]] == ["1390002", "1380001"]
    codes = [prop["propCode"] for prop in data["properties"]]
    for code in ("sessionId", "caller", "customField", "recycleTime", "callData", "priority",
                 "status", "importTaskId", "batchId"):  # fmt: skip
        assert code in codes
    assert all(prop["propName"] for prop in data["properties"])
    props = properties(answer)
    assert props["sessionId"] == "c" and props["customField"] == "south"
    assert props["recycleTime"] == "2030-06-02 09:00:00" and props["caller"] == ""


def test_query_one_unknown_or_foreign_record(
    api: Api, isales: ISalesClient, campaign: int, seeded: dict[str, int]
) -> None:
    other = create_campaign(isales, "other")
    [elsewhere] = data_ids(add_v1(isales, other, {"called": "1"}))
    for data_id in (999_999, "abc", "-1", "1" * 30, elsewhere):
        refused(query_one(isales, campaign, data_id), CALL_DATA_NOT_FOUND)
    ok(query_one(isales, other, elsewhere))
    refused(query_one(isales, 99, seeded["a"]), CAMPAIGN_NOT_FOUND)
    with api.client(api.new_tenant(13)) as stranger:
        theirs = create_campaign(stranger, "theirs")
        assert theirs == campaign  # campaign ids are per tenant: same number, other campaign
        refused(query_one(stranger, theirs, seeded["a"]), CALL_DATA_NOT_FOUND)


# -- imported records, one by one -----------------------------------------------------------------


@pytest.mark.sftp
def test_imported_records_can_be_read_deleted_and_listed(setup: ImportSetup) -> None:
    isales, campaign = setup.isales, setup.campaign_id
    rows: list[list[object]] = [
        ["r1", '[{"calledNo":"13800000001","type":"home"}]', "4001", "", "east", ""],
        ["r2", "13800000002", "", "", "west", "2030-01-02 03:04:05"],
        ["r3", "13800000003", "", "", "east", ""],
    ]
    task = setup.import_file("calls.xlsx", xlsx(rows))
    assert task["succNum"] == 3, task
    listing = ok(records(isales, campaign, importTaskId=task["id"]))["returnObject"]
    assert listing["count"] == 3
    assert [item["rowNumber"] for item in listing["data"]] == [2, 3, 4]
    assert {item["importTaskId"] for item in listing["data"]} == {task["id"]}
    for item, row in zip(listing["data"], rows, strict=True):
        props = properties(query_one(isales, campaign, item["dataId"]))
        assert props["sessionId"] == row[0] and props["customField"] == row[4]
        assert props["importTaskId"] == task["id"] and props["rowNumber"] == str(item["rowNumber"])
    first = ok(query_one(isales, campaign, listing["data"][0]["dataId"]))["data"]
    assert first["calledNos"] == [{"calledNo": "13800000001", "type": "home", "delayTime": 0}]
    assert deleted(delete(isales, campaign, customField="east")) == 2
    assert deleted(delete(isales, campaign, recycleTime="2030-01-02", recycleType=2)) == 1
    assert ok(records(isales, campaign))["returnObject"]["count"] == 0


# -- the record list (extension) ------------------------------------------------------------------


def test_record_list_pages_and_filters(
    isales: ISalesClient, campaign: int, seeded: dict[str, int]
) -> None:
    page = ok(records(isales, campaign, offset=2, limit=3))["returnObject"]
    assert page["count"] == 6 and (page["offset"], page["limit"]) == (2, 3)
    assert [item["sessionId"] for item in page["data"]] == ["c", "d", "e"]
    assert page["data"][0] == {
        "dataId": seeded["c"],
        "sessionId": "c",
        "calledNos": [
            {"calledNo": "1390002", "type": "", "delayTime": 0},
            {"calledNo": "1380001", "type": "", "delayTime": 0},
        ],
        "status": 0,
        "importTaskId": "",
        "rowNumber": None,
    }
    assert ok(records(isales, campaign, status=1))["returnObject"]["count"] == 0
    assert ok(records(isales, campaign, status=0))["returnObject"]["count"] == 6
    assert ok(records(isales, campaign, importTaskId="none"))["returnObject"]["count"] == 0
    refused(records(isales, campaign, limit=101), WRONG_VALUE)
    refused(records(isales, campaign, limit=0), WRONG_VALUE)
    refused(records(isales, 99), CAMPAIGN_NOT_FOUND)


def test_data_ids_are_never_reused_after_a_delete(isales: ISalesClient, campaign: int) -> None:
    [first] = data_ids(add_v1(isales, campaign, {"called": "1"}))
    assert deleted(delete(isales, campaign, called="1", archiveHistory=1)) == 1
    [second] = data_ids(add_v1(isales, campaign, {"called": "2"}))
    assert second != first
    # The history keeps dataIds unique, so the second record can be archived too.
    assert deleted(delete(isales, campaign, called="2", archiveHistory=1)) == 1


def test_delete_refused_while_the_campaign_is_executing(isales: ISalesClient, clock: Clock) -> None:
    # cec_07_4033: "An outbound number in an ongoing task cannot be deleted."
    begin = clock.now.strftime("%Y-%m-%d %H:%M:%S")
    running = create_campaign(isales, name="running", strBeginTime=begin)
    ok(add_v1(isales, running, {"sessionId": "x", "called": "13800000001"}))
    clock.advance(seconds=1)
    desc = refused(delete(isales, running, sessionId="x"), "0200110")
    assert "executing" in desc and "pause" in desc
    assert remaining(isales, running) == ["x"]  # nothing deleted

    ok(isales.pause_campaign(running))
    assert deleted(delete(isales, running, sessionId="x")) == 1
    assert remaining(isales, running) == []


def test_delete_allowed_before_a_started_campaign_begins(
    isales: ISalesClient, campaign: int
) -> None:
    # The fixture's campaign is started but begins in 2099: nothing of it is being called yet.
    ok(add_v1(isales, campaign, {"sessionId": "y", "called": "13800000002"}))
    assert deleted(delete(isales, campaign, sessionId="y")) == 1
