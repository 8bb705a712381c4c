"""Adding call data in JSON (V1 cec_07_0759, V2 cec_07_0760): limits, codes, all or nothing."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from openisales.client import ISalesClient
from openisales.services.calldata import new_records as calldata_service
from openisales.storage.models import BlocklistEntry, CallData
from tests.calldata.conftest import (
    add_v1,
    add_v2,
    data_ids,
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
WRONG_TYPE, WRONG_VALUE, COMBINATION, TOO_MANY = "02000006", "02000007", "02000009", "02000011"
CAMPAIGN_NOT_FOUND, ALREADY_EXISTS, WRONG_STATE = "0200007", "0200109", "0200110"
BLOCKLISTED, PENDING_LIMIT = "0200120", "0200121"


def numbered(n: int, start: int = 13800000000, **fields: Any) -> list[dict[str, Any]]:
    return [{"sessionId": f"s{i}", "called": str(start + i), **fields} for i in range(n)]


def stored_count(api: Api) -> int:
    with api.rt.db.transaction() as session:
        return session.query(CallData).count()


def block(api: Api, number: str, *, expires_in: timedelta | None = None) -> None:
    now = api.rt.clock()
    with api.rt.db.transaction() as session:
        session.add(
            BlocklistEntry(
                vdn_id=12,
                number=number,
                expires_at=now + expires_in if expires_in is not None else None,
                created_at=now,
            )
        )


# -- V1 ----------------------------------------------------------------------------------------


def test_v1_add_answers_each_number_with_its_data_id(isales: ISalesClient, campaign: int) -> None:
    answer = ok(add_v1(isales, campaign, *numbered(2)))
    assert answer["resultDesc"] == "create data succeeded"
    result = answer["returnObject"]
    assert result["totalSize"] == 2
    assert [item["called"] for item in result["dataIdList"]] == ["13800000000", "13800000001"]
    first, second = data_ids(answer)
    assert first != second
    assert (
        ok(add_v1(isales, campaign, *numbered(1, start=13900000000)))["returnObject"]["totalSize"]
        == 3
    )


def test_v1_stores_every_documented_field(isales: ISalesClient, campaign: int) -> None:
    record = {
        "sessionId": "cust-1",
        "called": "13800001234",
        "caller": "4001",
        "customField": "vip",
        "recycleTime": "2030-06-01 18:00:00",
        "callData": "free text",
        "priority": 2,
    }
    [data_id] = data_ids(add_v1(isales, campaign, record))
    found = query_one(isales, campaign, data_id)
    props = properties(found)
    assert props["sessionId"] == "cust-1" and props["caller"] == "4001"
    assert props["customField"] == "vip" and props["recycleTime"] == "2030-06-01 18:00:00"
    assert props["callData"] == "free text" and props["priority"] == "2"
    assert props["status"] == "0" and props["importTaskId"] == "" and props["batchId"] == ""
    assert found["data"]["dataId"] == data_id
    assert found["data"]["calledNos"] == [{"calledNo": "13800001234", "type": "", "delayTime": 0}]


def test_v1_numbers_sent_as_json_numbers_keep_their_digits(
    isales: ISalesClient, campaign: int
) -> None:
    answer = ok(add_v1(isales, campaign, {"called": 13800001234, "sessionId": 77}))
    assert answer["returnObject"]["dataIdList"][0]["called"] == "13800001234"
    assert properties(query_one(isales, campaign, data_ids(answer)[0]))["sessionId"] == "77"


def test_twenty_records_is_the_limit(api: Api, isales: ISalesClient, campaign: int) -> None:
    desc = refused(add_v1(isales, campaign, *numbered(21)), TOO_MANY)
    assert "20" in desc and "21" in desc
    assert stored_count(api) == 0
    assert len(data_ids(add_v1(isales, campaign, *numbered(20)))) == 20


@pytest.mark.parametrize("body", [{"callDataList": []}, {}, {"callDataList": None}])
def test_empty_or_missing_list_is_refused(
    isales: ISalesClient, campaign: int, body: dict[str, Any]
) -> None:
    refused(isales.call("POST", f"/calldata/{campaign}", json=body), EMPTY)


def test_v1_numbers_must_be_unique_within_the_request(
    api: Api, isales: ISalesClient, campaign: int
) -> None:
    answer = add_v1(
        isales,
        campaign,
        {"sessionId": "a", "called": "13800000001"},
        {"sessionId": "b", "called": "13800000002"},
        {"sessionId": "c", "called": "13800000001"},
    )
    desc = refused(answer, COMBINATION)
    assert "13800000001" in desc and "callDataList.0" in desc and "callDataList.2" in desc
    assert stored_count(api) == 0


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("sessionId", "s" * 33, TOO_LONG),
        ("sessionId", ["s1"], WRONG_TYPE),
        ("called", "1380000000X", INVALID_CHARS),
        ("called", "1" * 25, TOO_LONG),
        ("called", "", EMPTY),
        ("called", None, EMPTY),
        ("called", '[{"calledNo":"13800000001"}]', WRONG_TYPE),
        ("called", ["13800000001"], WRONG_TYPE),
        ("caller", "1" * 25, TOO_LONG),
        ("customField", "c" * 201, TOO_LONG),
        ("recycleTime", "2030/06/01 18:00", WRONG_TYPE),
        ("recycleTime", "2030-02-30 18:00:00", WRONG_VALUE),
        ("callData", "d" * 1025, TOO_LONG),
        ("priority", 6, WRONG_VALUE),
        ("priority", 0, WRONG_VALUE),
        ("priority", "high", WRONG_TYPE),
        ("priority", True, WRONG_TYPE),
    ],
)
def test_v1_field_rules(
    api: Api, isales: ISalesClient, campaign: int, field: str, value: Any, code: str
) -> None:
    good = {"sessionId": "ok", "called": "13800000009"}
    bad = {"sessionId": "s1", "called": "13800000001", field: value}
    desc = refused(add_v1(isales, campaign, good, bad), code)
    assert "callDataList.1" in desc and field in desc
    assert stored_count(api) == 0  # the good record is not added either


def test_call_data_must_be_a_json_object_for_intelligent_ivr(isales: ISalesClient) -> None:
    ivr = create_campaign(isales, "ivr", deviceType=1, ivrParam={"flowAccessCode": "1001"})
    desc = refused(add_v1(isales, ivr, {"called": "13800000001", "callData": "plain"}), WRONG_TYPE)
    assert "JSON" in desc
    text = ok(add_v1(isales, ivr, {"called": "13800000001", "callData": '{"name":"Li"}'}))
    as_object = ok(add_v1(isales, ivr, {"called": "13800000002", "callData": {"name": "Wang"}}))
    assert properties(query_one(isales, ivr, data_ids(text)[0]))["callData"] == '{"name":"Li"}'
    stored = properties(query_one(isales, ivr, data_ids(as_object)[0]))["callData"]
    assert json.loads(stored) == {"name": "Wang"}


def test_a_blocklisted_number_refuses_the_request(
    api: Api, isales: ISalesClient, campaign: int
) -> None:
    block(api, "13800000001")
    desc = refused(add_v1(isales, campaign, *numbered(3)), BLOCKLISTED)
    assert "13800000001" in desc and "13800000000" not in desc
    assert stored_count(api) == 0


def test_an_expired_blocklist_entry_does_not_block(
    api: Api, isales: ISalesClient, campaign: int, clock: Clock
) -> None:
    block(api, "13800000001", expires_in=timedelta(hours=1))
    refused(add_v1(isales, campaign, *numbered(2)), BLOCKLISTED)
    clock.advance(hours=2)
    assert len(data_ids(add_v1(isales, campaign, *numbered(2)))) == 2


def test_a_record_the_campaign_holds_refuses_the_whole_request(
    api: Api, isales: ISalesClient, campaign: int
) -> None:
    [held] = data_ids(add_v1(isales, campaign, {"sessionId": "s1", "called": "13800000001"}))
    answer = add_v1(
        isales,
        campaign,
        {"sessionId": "s2", "called": "13800000002"},
        {"sessionId": "s1", "called": "13800000001"},
    )
    desc = refused(answer, ALREADY_EXISTS)
    assert "callDataList.1" in desc and f"dataId {held}" in desc and "13800000001" in desc
    assert stored_count(api) == 1
    # The same number for another customer (sessionId) is another record.
    assert len(data_ids(add_v1(isales, campaign, {"sessionId": "s2", "called": "13800000001"})))


def test_the_same_record_in_another_campaign_is_not_a_duplicate(
    isales: ISalesClient, campaign: int
) -> None:
    other = create_campaign(isales, "other")
    ok(add_v1(isales, campaign, *numbered(2)))
    assert ok(add_v1(isales, other, *numbered(2)))["returnObject"]["totalSize"] == 2


def test_incomplete_records_are_limited_per_campaign(
    api: Api, isales: ISalesClient, campaign: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert calldata_service.MAX_PENDING == 200_000
    monkeypatch.setattr(calldata_service, "MAX_PENDING", 3)
    ok(add_v1(isales, campaign, *numbered(2)))
    desc = refused(add_v1(isales, campaign, *numbered(2, start=13900000000)), PENDING_LIMIT)
    assert "3" in desc and "2 incomplete" in desc
    assert stored_count(api) == 2
    assert (
        ok(add_v1(isales, campaign, *numbered(1, start=13900000000)))["returnObject"]["totalSize"]
        == 3
    )
    # Another campaign has its own allowance.
    other = create_campaign(isales, "other")
    ok(add_v1(isales, other, *numbered(3)))


def test_completed_campaign_is_refused(api: Api, isales: ISalesClient, clock: Clock) -> None:
    today = clock.now.strftime("%Y-%m-%d")
    ends = (clock.now + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")
    short = create_campaign(isales, "short", strBeginTime=f"{today} 00:00:00", strEndTime=ends)
    ok(add_v1(isales, short, *numbered(1)))
    clock.advance(hours=2)
    assert "completed" in refused(add_v1(isales, short, *numbered(1, start=1390)), WRONG_STATE)
    refused(add_v2(isales, short, {"called": ["1390"]}), WRONG_STATE)
    assert stored_count(api) == 1


def test_unknown_or_foreign_campaign_is_refused(api: Api, isales: ISalesClient) -> None:
    refused(add_v1(isales, 99, *numbered(1)), CAMPAIGN_NOT_FOUND)
    with api.client(api.new_tenant(13)) as other:
        foreign = create_campaign(other, "theirs")
    refused(add_v1(isales, foreign + 1000, *numbered(1)), CAMPAIGN_NOT_FOUND)
    with api.client(api.new_tenant(14)) as third:
        refused(add_v1(third, foreign, *numbered(1)), CAMPAIGN_NOT_FOUND)


# -- V2 ----------------------------------------------------------------------------------------


def test_v2_accepts_lists_of_numbers_and_of_objects(isales: ISalesClient, campaign: int) -> None:
    answer = ok(
        add_v2(
            isales,
            campaign,
            {"sessionId": "a", "called": ["13800000001", 13800000002]},
            {
                "sessionId": "b",
                "called": [
                    {"calledNo": "13800000003", "delayTime": 30, "type": "mobile"},
                    {"calledNo": 13800000004},
                ],
                "priority": 5,
            },
        )
    )
    assert answer["resultDesc"] == "create data succeeded"
    result = answer["returnObject"]
    assert result["totalSize"] == 2
    assert [item["called"] for item in result["dataIdList"]] == [
        ["13800000001", "13800000002"],
        ["13800000003", "13800000004"],
    ]
    second = query_one(isales, campaign, result["dataIdList"][1]["dataId"])
    assert second["data"]["calledNos"] == [
        {"calledNo": "13800000003", "type": "mobile", "delayTime": 30},
        {"calledNo": "13800000004", "type": "", "delayTime": 0},
    ]
    assert properties(second)["priority"] == "5"


def test_v2_batch_id_per_record_or_for_the_request(isales: ISalesClient, campaign: int) -> None:
    answer = add_v2(
        isales,
        campaign,
        {"sessionId": "a", "called": ["13800000001"]},
        {"sessionId": "b", "called": ["13800000002"], "batchId": "own"},
        batchId="request",
    )
    first, second = data_ids(answer)
    assert properties(query_one(isales, campaign, first))["batchId"] == "request"
    assert properties(query_one(isales, campaign, second))["batchId"] == "own"
    refused(add_v2(isales, campaign, {"called": ["1"]}, batchId="b" * 65), TOO_LONG)


def test_v2_numbers_are_unique_per_session_id(
    api: Api, isales: ISalesClient, campaign: int
) -> None:
    same_number_two_customers = add_v2(
        isales,
        campaign,
        {"sessionId": "a", "called": ["13800000001"]},
        {"sessionId": "b", "called": ["13800000001"]},
    )
    assert len(data_ids(same_number_two_customers)) == 2
    twice_for_one_customer = add_v2(
        isales,
        campaign,
        {"sessionId": "c", "called": ["13800000005"]},
        {"sessionId": "c", "called": ["13800000006", "13800000005"]},
    )
    desc = refused(twice_for_one_customer, COMBINATION)
    assert "13800000005" in desc and "'c'" in desc
    refused(add_v2(isales, campaign, {"sessionId": "d", "called": ["1", "1"]}), COMBINATION)
    assert stored_count(api) == 2


def test_v2_duplicate_is_the_same_set_of_numbers(isales: ISalesClient, campaign: int) -> None:
    ok(add_v2(isales, campaign, {"sessionId": "a", "called": ["13800000001", "13800000002"]}))
    reordered = {"sessionId": "a", "called": ["13800000002", "13800000001"]}
    refused(add_v2(isales, campaign, reordered), ALREADY_EXISTS)
    subset = {"sessionId": "a", "called": ["13800000002"]}
    assert len(data_ids(add_v2(isales, campaign, subset))) == 1


@pytest.mark.parametrize(
    ("called", "code"),
    [
        ([], EMPTY),
        (None, EMPTY),
        ([True], WRONG_TYPE),
        ([["13800000001"]], WRONG_TYPE),
        ([{"calledNo": "13800000001", "delayTime": 7201}], WRONG_VALUE),
        ([{"delayTime": 5}], EMPTY),
        ([{"calledNo": "138-0000"}], INVALID_CHARS),
    ],
)
def test_v2_called_rules(isales: ISalesClient, campaign: int, called: Any, code: str) -> None:
    refused(add_v2(isales, campaign, {"sessionId": "a", "called": called}), code)


def test_v2_limit_and_blocklist(api: Api, isales: ISalesClient, campaign: int) -> None:
    many = [{"sessionId": f"s{i}", "called": [str(1000 + i)]} for i in range(21)]
    refused(add_v2(isales, campaign, *many), TOO_MANY)
    block(api, "2001")
    desc = refused(add_v2(isales, campaign, {"called": ["2000", "2001"]}), BLOCKLISTED)
    assert "2001" in desc
    assert stored_count(api) == 0


# -- the same records as file imports ------------------------------------------------------


@pytest.mark.sftp
def test_json_add_and_file_import_share_the_duplicate_rule(setup: ImportSetup) -> None:
    isales, campaign = setup.isales, setup.campaign_id
    imported = setup.import_file(
        "first.xlsx",
        xlsx(
            [
                ["f1", '[{"calledNo":"13800000001"}]', "", "", "", ""],
                ["f2", "13800000002", "", "", "", ""],
            ]
        ),
    )
    assert (imported["succNum"], imported["repeatNum"]) == (2, 0), imported
    # A JSON add that repeats a file-imported record is refused and adds nothing.
    answer = add_v1(
        isales,
        campaign,
        {"sessionId": "j1", "called": "13900000001"},
        {"sessionId": "f2", "called": "13800000002"},
    )
    assert "callDataList.1" in refused(answer, ALREADY_EXISTS)
    # A new JSON record counts with the imported ones...
    added = ok(add_v2(isales, campaign, {"sessionId": "j1", "called": ["13900000001"]}))
    assert added["returnObject"]["totalSize"] == 3
    # ...and a later file repeating it counts it as a duplicate.
    again = setup.import_file(
        "second.xlsx",
        xlsx(
            [
                ["j1", '[{"calledNo":"13900000001"}]', "", "", "", ""],
                ["f3", "13800000003", "", "", "", ""],
            ]
        ),
    )
    assert (again["succNum"], again["repeatNum"]) == (1, 1), again
    listing = ok(records(isales, campaign))["returnObject"]
    assert listing["count"] == 4
    assert sorted(item["sessionId"] for item in listing["data"]) == ["f1", "f2", "f3", "j1"]


@pytest.mark.parametrize("custom_field", ["north<b>", "a;b", 'say "hi"', "50%", "a/b"])
def test_v2_custom_field_takes_no_special_characters(
    isales: ISalesClient, campaign: int, custom_field: str
) -> None:
    record = {"sessionId": "s1", "called": ["13800000001"], "customField": custom_field}
    desc = refused(add_v2(isales, campaign, record), "02000002")
    assert "customField" in desc
    # V1 documents no such rule: the same text is taken there
    v1 = {"sessionId": "s1", "called": "13800000001", "customField": custom_field}
    ok(add_v1(isales, campaign, v1))


def test_v2_custom_field_with_ordinary_text(isales: ISalesClient, campaign: int) -> None:
    record = {"sessionId": "s2", "called": ["13800000002"], "customField": "north-2026_Q1 区域"}
    ok(add_v2(isales, campaign, record))
