"""Blocklist interfaces (cec_07_0744-0747): add, delete one, delete all, query."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from openisales.client import ISalesClient
from openisales.storage.models import BlocklistEntry
from tests.conftest import Api, Clock


def add(isales: ISalesClient, numbers: Any, **fields: Any) -> dict[str, Any]:
    return isales.call("POST", "/blocklist/add", json={"blocklist": numbers, **fields})


def query(isales: ISalesClient, **body: Any) -> dict[str, Any]:
    return isales.call("POST", "/blocklist/query", json=body)


def listed(isales: ISalesClient) -> dict[str, dict[str, Any]]:
    answer = query(isales)
    assert answer["resultCode"] == "0200000", answer
    return {entry["blocklistNo"]: entry for entry in answer["result"]}


def stored(api: Api, vdn_id: int = 12) -> dict[str, BlocklistEntry]:
    with api.rt.db.transaction() as session:
        rows = session.query(BlocklistEntry).filter_by(vdn_id=vdn_id).all()
        return {row.number: row for row in rows}


def local(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


# --- add ------------------------------------------------------------------------------------


def test_add_then_query_returns_every_field(isales: ISalesClient, clock: Clock) -> None:
    now = clock.now
    answer = add(isales, ["13800000001", "*123#", 13800000003])
    assert answer["resultCode"] == "0200000" and answer["returnCode"] == "0200000", answer
    answer = query(isales)
    assert answer["resultCode"] == "0200000" and answer["count"] == 3
    assert answer["timeZone"] == "UTC"
    assert [e["blocklistNo"] for e in answer["result"]] == ["13800000001", "*123#", "13800000003"]
    assert answer["result"][0] == {
        "blocklistNo": "13800000001",
        "validityExpirationTime": "",
        "validityTime": None,
        "restrictTimes": None,
        "restrictPeriod": None,
        "active": True,
        "createTime": local(now),
    }


def test_validity_time_sets_the_expiry(api: Api, isales: ISalesClient, clock: Clock) -> None:
    now = clock.now
    assert add(isales, ["138"], validityTime=5)["resultCode"] == "0200000"
    assert add(isales, ["139"], validityTime="120")["resultCode"] == "0200000"
    entries = listed(isales)
    assert entries["138"]["validityExpirationTime"] == local(now + timedelta(hours=5))
    assert entries["138"]["validityTime"] == 5
    assert entries["139"]["validityTime"] == 120
    expires_at = stored(api)["138"].expires_at
    assert expires_at is not None
    assert timedelta(0) <= expires_at - (now + timedelta(hours=5)) < timedelta(seconds=1)


def test_expiry_is_in_the_tenant_time_zone_and_wins_over_validity(api: Api, clock: Clock) -> None:
    creds = api.new_tenant(13, "Asia/Shanghai")
    target = (clock.now + timedelta(days=2)).astimezone(UTC)
    shanghai_text = local(target + timedelta(hours=8))
    with api.client(creds) as isales:
        answer = add(isales, ["138"], validityExpirationTime=shanghai_text, validityTime=1)
        assert answer["resultCode"] == "0200000", answer
        result = query(isales)
        assert result["timeZone"] == "Asia/Shanghai"
        entry = result["result"][0]
    assert entry["validityExpirationTime"] == shanghai_text
    assert entry["validityTime"] == 48
    expires_at = stored(api, 13)["138"].expires_at
    assert expires_at == target.replace(microsecond=0)


def test_restriction_is_stored_and_returned(isales: ISalesClient) -> None:
    answer = add(isales, ["138"], restrictTimes=1, restrictPeriod="1")
    assert answer["resultCode"] == "0200000", answer
    assert add(isales, ["139"], restrictTimes="100", restrictPeriod=0)["resultCode"] == "0200000"
    entries = listed(isales)
    assert (entries["138"]["restrictTimes"], entries["138"]["restrictPeriod"]) == (1, "1")
    assert (entries["139"]["restrictTimes"], entries["139"]["restrictPeriod"]) == (100, "0")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "02000001"),
        ({"blocklist": None}, "02000001"),
        ({"blocklist": []}, "02000001"),
        ({"blocklist": "13800000001"}, "02000006"),
        ({"blocklist": [{"number": "1"}]}, "02000006"),
        ({"blocklist": [True]}, "02000006"),
        ({"blocklist": [""]}, "02000001"),
        ({"blocklist": ["1" * 25]}, "02000003"),
        ({"blocklist": ["138", "13a"]}, "02000002"),
        ({"blocklist": ["138", "+86138"]}, "02000002"),
        ({"blocklist": [str(13800000000 + i) for i in range(21)]}, "02000007"),
        ({"blocklist": ["138", "139", "138"]}, "02000009"),
        ({"blocklist": ["138"], "validityTime": 0}, "02000007"),
        ({"blocklist": ["138"], "validityTime": 121}, "02000007"),
        ({"blocklist": ["138"], "validityTime": "two"}, "02000006"),
        ({"blocklist": ["138"], "validityExpirationTime": "2099/01/01"}, "02000006"),
        ({"blocklist": ["138"], "validityExpirationTime": "2099-02-30 00:00:00"}, "02000007"),
        ({"blocklist": ["138"], "validityExpirationTime": "2000-01-01 00:00:00"}, "02000007"),
        ({"blocklist": ["138"], "validityExpirationTime": 20990101}, "02000006"),
        ({"blocklist": ["138"], "restrictTimes": 1}, "02000009"),
        ({"blocklist": ["138"], "restrictPeriod": "1"}, "02000009"),
        ({"blocklist": ["138"], "restrictTimes": 0, "restrictPeriod": "1"}, "02000007"),
        ({"blocklist": ["138"], "restrictTimes": 101, "restrictPeriod": "1"}, "02000007"),
        ({"blocklist": ["138"], "restrictTimes": "x", "restrictPeriod": "1"}, "02000006"),
        ({"blocklist": ["138"], "restrictTimes": 1, "restrictPeriod": "2"}, "02000007"),
        ({"blocklist": ["138"], "restrictTimes": 1, "restrictPeriod": [1]}, "02000006"),
    ],
)
def test_add_rules(api: Api, isales: ISalesClient, body: dict[str, Any], code: str) -> None:
    answer = isales.call("POST", "/blocklist/add", json=body)
    assert answer["resultCode"] == code, answer
    assert answer["returnCode"] == code and answer["resultDesc"]
    assert stored(api) == {}


def test_twenty_numbers_are_accepted(isales: ISalesClient) -> None:
    numbers = [str(13800000000 + i) for i in range(20)]
    assert add(isales, numbers)["resultCode"] == "0200000"
    assert query(isales)["count"] == 20


def test_empty_expiration_text_means_not_given(isales: ISalesClient) -> None:
    answer = add(isales, ["138"], validityExpirationTime="", validityTime=2)
    assert answer["resultCode"] == "0200000", answer
    assert listed(isales)["138"]["validityTime"] == 2


def test_repeat_in_request_names_the_number(isales: ISalesClient) -> None:
    answer = add(isales, ["138", "139", "138"])
    assert answer["resultCode"] == "02000009"
    assert "138" in answer["resultDesc"] and "nothing was added" in answer["resultDesc"]


def test_listed_number_refuses_the_whole_request(api: Api, isales: ISalesClient) -> None:
    assert add(isales, ["138", "139"])["resultCode"] == "0200000"
    answer = add(isales, ["140", "139", "141", "138"])
    assert answer["resultCode"] == "0200109", answer
    assert "138, 139" in answer["resultDesc"] and "nothing was added" in answer["resultDesc"]
    assert sorted(stored(api)) == ["138", "139"]


def test_expired_entry_stops_blocking_and_may_be_replaced(
    api: Api, isales: ISalesClient, clock: Clock
) -> None:
    answer = add(isales, ["138"], validityTime=1, restrictTimes=2, restrictPeriod="0")
    assert answer["resultCode"] == "0200000", answer
    assert listed(isales)["138"]["active"] is True
    clock.advance(minutes=59)
    assert add(isales, ["138"])["resultCode"] == "0200109"
    clock.advance(minutes=2)
    entry = listed(isales)["138"]
    assert entry["active"] is False and entry["validityTime"] == 1
    answer = add(isales, ["138", "139"])
    assert answer["resultCode"] == "0200000", answer
    entry = listed(isales)["138"]
    assert entry["active"] is True and entry["validityExpirationTime"] == ""
    assert entry["restrictTimes"] is None and entry["createTime"] == local(clock.now)
    assert sorted(stored(api)) == ["138", "139"]


# --- delete ---------------------------------------------------------------------------------


def test_delete_one_number(isales: ISalesClient) -> None:
    assert add(isales, ["138", "139"])["resultCode"] == "0200000"
    answer = isales.call("POST", "/blocklist/delete", json={"blocklistNo": "138"})
    assert answer["resultCode"] == "0200000", answer
    assert list(listed(isales)) == ["139"]
    again = isales.call("POST", "/blocklist/delete", json={"blocklistNo": "138"})
    assert again["resultCode"] == "0200114" and "138" in again["resultDesc"]


def test_delete_an_expired_entry(isales: ISalesClient, clock: Clock) -> None:
    assert add(isales, ["138"], validityTime=1)["resultCode"] == "0200000"
    clock.advance(hours=2)
    answer = isales.call("POST", "/blocklist/delete", json={"blocklistNo": 138})
    assert answer["resultCode"] == "0200000", answer
    assert listed(isales) == {}


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "02000001"),
        ({"blocklistNo": None}, "02000001"),
        ({"blocklistNo": ""}, "02000001"),
        ({"blocklistNo": "13a"}, "02000002"),
        ({"blocklistNo": "1" * 25}, "02000003"),
        ({"blocklistNo": ["138"]}, "02000006"),
        ({"blocklistNo": "999"}, "0200114"),
    ],
)
def test_delete_rules(isales: ISalesClient, body: dict[str, Any], code: str) -> None:
    assert add(isales, ["138"])["resultCode"] == "0200000"
    answer = isales.call("POST", "/blocklist/delete", json=body)
    assert answer["resultCode"] == code, answer
    assert list(listed(isales)) == ["138"]


def test_delete_all_empties_only_this_tenants_list(api: Api, isales: ISalesClient) -> None:
    assert add(isales, ["138", "139", "140"])["resultCode"] == "0200000"
    other = api.new_tenant(13)
    with api.client(other) as neighbour:
        assert add(neighbour, ["138"])["resultCode"] == "0200000"
        answer = isales.call("DELETE", "/blocklist")
        assert answer["resultCode"] == "0200000" and answer["deletedNum"] == 3, answer
        assert listed(isales) == {}
        assert list(listed(neighbour)) == ["138"]
        assert isales.call("DELETE", "/blocklist")["deletedNum"] == 0


# --- query ----------------------------------------------------------------------------------


def test_query_filter_returns_only_the_named_numbers(isales: ISalesClient) -> None:
    assert add(isales, ["138", "139", "140"])["resultCode"] == "0200000"
    answer = query(isales, blocklist=["140", "138", "999", "138"])
    assert answer["resultCode"] == "0200000", answer
    assert answer["count"] == 2
    assert [e["blocklistNo"] for e in answer["result"]] == ["138", "140"]
    assert query(isales, blocklist=[])["count"] == 3


def test_query_paging(isales: ISalesClient) -> None:
    numbers = [str(13800000000 + i) for i in range(15)]
    assert add(isales, numbers)["resultCode"] == "0200000"
    first = query(isales, offset=0, limit=10)
    second = query(isales, offset=10, limit=10)
    assert first["count"] == second["count"] == 15
    assert len(first["result"]) == 10 and len(second["result"]) == 5
    seen = [e["blocklistNo"] for e in first["result"] + second["result"]]
    assert seen == numbers


def test_query_without_body(isales: ISalesClient) -> None:
    assert add(isales, ["138"])["resultCode"] == "0200000"
    answer = isales.call("POST", "/blocklist/query")
    assert answer["resultCode"] == "0200000" and answer["count"] == 1, answer


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"blocklist": [str(i) for i in range(21)]}, "02000007"),
        ({"blocklist": ["13a"]}, "02000002"),
        ({"blocklist": "138"}, "02000006"),
        ({"limit": 0}, "02000007"),
        ({"limit": 101}, "02000007"),
        ({"offset": -1}, "02000007"),
        ({"offset": "x"}, "02000006"),
    ],
)
def test_query_rules(isales: ISalesClient, body: dict[str, Any], code: str) -> None:
    answer = query(isales, **body)
    assert answer["resultCode"] == code, answer


def test_tenants_do_not_see_each_others_entries(api: Api, isales: ISalesClient) -> None:
    assert add(isales, ["138"])["resultCode"] == "0200000"
    other = api.new_tenant(13)
    with api.client(other) as neighbour:
        assert query(neighbour)["count"] == 0
        answer = neighbour.call("POST", "/blocklist/delete", json={"blocklistNo": "138"})
        assert answer["resultCode"] == "0200114"
        assert add(neighbour, ["138"])["resultCode"] == "0200000"
    assert list(listed(isales)) == ["138"]


def test_another_tenants_path_is_forbidden(api: Api, isales: ISalesClient) -> None:
    response = isales.request("POST", "/blocklist/query", json={}, version="v1")
    assert response.status_code == 200
    other = api.new_tenant(13)
    with api.client(other, vdn_id=12) as intruder:
        forbidden = intruder.request("POST", "/blocklist/add", json={"blocklist": ["1"]})
    assert forbidden.status_code == 403
    assert forbidden.json()["resultCode"] == "0200103"


def _campaign_with_retries(isales: ISalesClient, name: str, retries: int) -> None:
    policy = f"[{{'type':1,'policy':[{{'result':1,'retryNumber':{retries},'callInterval':60}}]}}]"
    answer = isales.call(
        "POST",
        "",
        version="v2",
        json={
            "name": name,
            "strBeginTime": "2099-01-01 00:00:00",
            "strEndTime": "2099-12-31 23:59:59",
            "deviceType": 2,
            "callerNo": [{"accessCode": "10086", "priority": 1}],
            "retryPolicy": {"policyType": 0, "policyJson": policy},
        },
    )
    assert answer["resultCode"] == "0200000", answer


def test_restrict_times_must_be_below_the_retry_attempts(isales: ISalesClient) -> None:
    # cec_07_0744: "The maximum number of calls must be less than the retry-policy attempts."
    restricted = {"restrictTimes": 3, "restrictPeriod": "1"}
    # no campaign with a retry policy: nothing to compare with
    assert add(isales, ["13800000001"], **restricted)["resultCode"] == "0200000"
    _campaign_with_retries(isales, "two retries", 2)  # at most 3 calls to a number
    refused = add(isales, ["13800000002"], **restricted)
    assert refused["resultCode"] == "02000007", refused
    assert "restrictTimes" in refused["resultDesc"] and "(3," in refused["resultDesc"]
    assert "13800000002" not in listed(isales)
    assert add(isales, ["13800000003"], restrictTimes=2, restrictPeriod="1")["resultCode"] == (
        "0200000"
    )
    _campaign_with_retries(isales, "five retries", 5)  # the most calls now: 6
    assert add(isales, ["13800000002"], **restricted)["resultCode"] == "0200000"
    # without restrictTimes there is nothing to check
    assert add(isales, ["13800000004"])["resultCode"] == "0200000"
