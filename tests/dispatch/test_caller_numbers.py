"""Calling numbers of a campaign (cec_07_0735 add, cec_07_0736 delete), and the lease's caller."""

from __future__ import annotations

from typing import Any

from openisales.client import ISalesClient
from tests.dispatch.conftest import SUCCESS, Dial, numbers_json

EMPTY, INVALID_CHARS, TOO_LONG = "02000001", "02000002", "02000003"
WRONG_TYPE, WRONG_VALUE, COMBINATION, TOO_MANY = "02000006", "02000007", "02000009", "02000011"
CAMPAIGN_NOT_FOUND, ALREADY_EXISTS = "0200007", "0200109"


def callers(*codes: str, priority: int = 2) -> dict[str, Any]:
    return {"callerNo": [{"accessCode": code, "priority": priority} for code in codes]}


def add(isales: ISalesClient, campaign_id: int, body: dict[str, Any]) -> dict[str, Any]:
    return isales.call("POST", f"/callerNo/{campaign_id}", json=body)


def remove(isales: ISalesClient, campaign_id: int, body: dict[str, Any]) -> dict[str, Any]:
    return isales.call("DELETE", f"/callerNo/{campaign_id}", json=body)


def listed(isales: ISalesClient, campaign_id: int) -> list[str]:
    answer = isales.call("GET", f"/{campaign_id}")
    assert answer["resultCode"] == SUCCESS, answer
    value = answer["returnObject"]["callerNo"]
    return [item["accessCode"] for item in value] if isinstance(value, list) else [value]


def code(answer: dict[str, Any]) -> str:
    return str(answer["resultCode"])


def test_add_then_delete_keeps_the_list_and_the_lease_caller(dial: Dial) -> None:
    campaign = dial.campaign(callerNo="5550000")
    assert code(add(dial.isales, campaign, callers("5550001", "5550002"))) == SUCCESS
    assert listed(dial.isales, campaign) == ["5550000", "5550001", "5550002"]

    dial.load(campaign, {"called": numbers_json("13800000001")})
    [record] = dial.lease(campaign)
    assert record["caller"] == "5550000"

    assert code(remove(dial.isales, campaign, callers("5550000"))) == SUCCESS
    assert listed(dial.isales, campaign) == ["5550001", "5550002"]
    dial.load(campaign, {"called": numbers_json("13800000002"), "sessionId": "second"})
    [record] = dial.lease(campaign)
    assert record["caller"] == "5550001"  # the first number left


def test_a_v2_campaign_list_grows_and_a_campaign_without_number_gets_one(dial: Dial) -> None:
    v2 = dial.campaign("v2", callerNo=[{"accessCode": "111", "priority": 1}])
    assert code(add(dial.isales, v2, callers("222"))) == SUCCESS
    assert listed(dial.isales, v2) == ["111", "222"]
    bare = dial.campaign()
    assert code(add(dial.isales, bare, callers("333"))) == SUCCESS
    assert listed(dial.isales, bare) == ["333"]


def test_at_most_100_a_call(dial: Dial) -> None:
    campaign = dial.campaign(callerNo="5550000")
    many = [str(6_000_000 + i) for i in range(101)]
    assert code(add(dial.isales, campaign, callers(*many))) == TOO_MANY
    assert code(remove(dial.isales, campaign, callers(*many))) == TOO_MANY
    assert listed(dial.isales, campaign) == ["5550000"]
    assert code(add(dial.isales, campaign, callers(*many[:100]))) == SUCCESS
    assert len(listed(dial.isales, campaign)) == 101


def test_the_last_number_cannot_be_deleted(dial: Dial) -> None:
    campaign = dial.campaign(callerNo="5550000")
    assert code(remove(dial.isales, campaign, callers("5550000"))) == WRONG_VALUE
    add(dial.isales, campaign, callers("5550001"))
    assert code(remove(dial.isales, campaign, callers("5550000", "5550001"))) == WRONG_VALUE
    assert listed(dial.isales, campaign) == ["5550000", "5550001"]
    bare = dial.campaign()
    assert code(remove(dial.isales, bare, callers("5550000"))) == WRONG_VALUE


def test_bad_bodies_are_refused_and_change_nothing(dial: Dial) -> None:
    campaign = dial.campaign(callerNo="5550000")
    cases = [
        ({"callerNo": []}, EMPTY),
        ({}, EMPTY),
        ({"callerNo": "5550001"}, WRONG_TYPE),
        (callers("55a"), INVALID_CHARS),
        (callers("5" * 25), TOO_LONG),
        (callers("5550001", priority=6), WRONG_VALUE),
        (callers("5550001", "5550001"), COMBINATION),
        (callers("5550000"), ALREADY_EXISTS),
        (callers("5550001", "5550000"), ALREADY_EXISTS),
    ]
    for body, expected in cases:
        assert code(add(dial.isales, campaign, body)) == expected, body
    assert code(remove(dial.isales, campaign, callers("5559999"))) == WRONG_VALUE
    assert listed(dial.isales, campaign) == ["5550000"]


def test_unknown_and_another_tenants_campaign_read_as_missing(dial: Dial) -> None:
    campaign = dial.campaign(callerNo="5550000")
    assert code(add(dial.isales, 999, callers("5550001"))) == CAMPAIGN_NOT_FOUND
    assert code(remove(dial.isales, 999, callers("5550000"))) == CAMPAIGN_NOT_FOUND
    with dial.api.client(dial.api.new_tenant(13)) as stranger:
        assert code(add(stranger, campaign, callers("5550001"))) == CAMPAIGN_NOT_FOUND
        assert code(remove(stranger, campaign, callers("5550000"))) == CAMPAIGN_NOT_FOUND
    assert listed(dial.isales, campaign) == ["5550000"]


def test_a_newer_clients_unknown_fields_are_ignored(dial: Dial) -> None:
    campaign = dial.campaign(callerNo="5550000")
    body = callers("5550009")
    body["callerNo"][0]["displayName"] = "from a newer edition"
    body["traceId"] = "abc"
    assert code(add(dial.isales, campaign, body)) == SUCCESS
    assert listed(dial.isales, campaign) == ["5550000", "5550009"]
