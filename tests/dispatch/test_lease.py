"""Leasing: what may be called now, in which order, and to whom."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.dispatch.conftest import Dial, fmt, numbers_json, result

RECORD_KEYS = {
    "leaseId", "dataId", "sessionId", "calledNo", "caller", "callData", "customField",
    "priority", "attempt",
}  # fmt: skip


def test_highest_priority_first_then_oldest_with_what_the_dialer_needs(dial: Dial) -> None:
    campaign = dial.campaign(callerNo="10086")
    dial.load(
        campaign,
        {"called": numbers_json("1001"), "priority": 1},
        {"called": numbers_json("1002")},  # no priority: 3
        {"called": numbers_json("1003"), "priority": 5, "sessionId": "vip", "caller": "955"},
        {"called": numbers_json("1004"), "priority": 3, "callData": '{"a":1}'},
        {"called": numbers_json("1005"), "priority": 5, "customField": "batch7"},
        {"called": numbers_json("1006"), "status": 1},  # blocked at import: never dialled
    )
    records = dial.lease(campaign, limit=3)
    assert [r["calledNo"] for r in records] == ["1003", "1005", "1002"]
    first = records[0]
    assert set(first) == RECORD_KEYS
    assert first["sessionId"] == "vip" and first["caller"] == "955" and first["priority"] == 5
    assert first["attempt"] == 1 and len(first["leaseId"]) == 30
    assert records[1]["caller"] == "10086" and records[1]["customField"] == "batch7"
    assert records[2]["priority"] == 3
    assert dial.numbers(campaign) == ["1004", "1001"]
    assert dial.numbers(campaign) == []


def test_a_leased_number_goes_to_no_other_dialer_until_its_lease_ends(dial: Dial) -> None:
    campaign = dial.campaign()
    dial.load(campaign, {"called": numbers_json("2001")}, {"called": numbers_json("2002")})
    assert dial.numbers(campaign, dialerId="a", leaseSeconds=30) == ["2001", "2002"]
    assert dial.numbers(campaign, dialerId="b") == []
    dial.clock.advance(seconds=29)
    assert dial.numbers(campaign, dialerId="b") == []
    dial.clock.advance(seconds=2)
    again = dial.lease(campaign, dialerId="b")
    assert [r["calledNo"] for r in again] == ["2001", "2002"]
    assert [r["attempt"] for r in again] == [1, 1]  # an expired lease is not a call we know of


def test_records_added_later_join_the_queue(dial: Dial) -> None:
    campaign = dial.campaign()
    dial.load(campaign, {"called": numbers_json("3001")})
    assert dial.numbers(campaign) == ["3001"]
    dial.load(campaign, {"called": numbers_json("3002"), "priority": 5})
    assert dial.numbers(campaign) == ["3002"]


def test_a_paused_completed_or_not_yet_begun_campaign_leases_nothing(dial: Dial) -> None:
    campaign = dial.campaign()
    dial.load(campaign, {"called": numbers_json("4001")})
    assert dial.isales.pause_campaign(campaign)["resultCode"] == "0200000"
    assert dial.numbers(campaign) == []
    assert dial.isales.resume_campaign(campaign)["resultCode"] == "0200000"
    later = dial.campaign(
        strBeginTime=fmt(dial.clock.now + timedelta(hours=1)),
        strEndTime=fmt(dial.clock.now + timedelta(hours=2)),
    )
    dial.load(later, {"called": numbers_json("4002")})
    assert dial.numbers(later) == []  # before its begin time
    dial.clock.advance(hours=1, seconds=1)
    assert dial.numbers(later) == ["4002"]
    dial.clock.advance(hours=1)
    dial.load(later, {"called": numbers_json("4003")})
    assert dial.numbers(later) == []  # its end time has passed: completed
    assert dial.numbers(campaign) == ["4001"]


def test_a_recycled_record_leases_nothing_on_the_tenants_clock(dial: Dial) -> None:
    tenant = dial.api.new_tenant(21, "Asia/Shanghai")
    with dial.api.client(tenant) as shanghai:
        other = Dial(dial.api, shanghai, dial.clock)
        campaign = other.campaign()
        # 2099-01-02 20:30 in Shanghai is 12:30 UTC; the clock is at 12:00 UTC.
        recycle = datetime(2099, 1, 2, 20, 30)
        other.load(
            campaign,
            {"called": numbers_json("5001"), "recycleTime": recycle},
            {"called": numbers_json("5002"), "recycleTime": recycle},
        )
        assert other.numbers(campaign, limit=1) == ["5001"]
        dial.clock.advance(minutes=31)
        assert other.numbers(campaign) == []
        dial.clock.advance(hours=1)
        assert other.numbers(campaign) == []


def test_an_expired_lease_result_is_refused_and_the_number_is_callable_again(dial: Dial) -> None:
    campaign = dial.campaign()
    dial.load(campaign, {"called": numbers_json("6001")})
    [record] = dial.lease(campaign, leaseSeconds=10)
    dial.clock.advance(seconds=11)
    assert dial.report(campaign, result(record["leaseId"])) == ["0200130"]
    assert dial.count_results() == 0
    [again] = dial.lease(campaign)
    assert again["calledNo"] == "6001" and again["leaseId"] != record["leaseId"]
    assert dial.report(campaign, result(again["leaseId"])) == ["0200000"]


def test_records_added_through_the_json_interfaces_are_leased(dial: Dial) -> None:
    campaign = dial.campaign()
    v1 = {"callDataList": [{"sessionId": "a", "called": "13800000001", "priority": "4"}]}
    v2 = {
        "callDataList": [
            {
                "sessionId": "b",
                "called": [{"calledNo": "13800000002", "type": "SI"}, {"calledNo": "139"}],
            }
        ]
    }
    assert dial.isales.call("POST", f"/calldata/{campaign}", json=v1)["resultCode"] == "0200000"
    answer = dial.isales.call("POST", f"/calldata/{campaign}", json=v2, version="v2")
    assert answer["resultCode"] == "0200000", answer
    records = dial.lease(campaign)
    assert [(r["sessionId"], r["calledNo"], r["priority"]) for r in records] == [
        ("a", "13800000001", 4),
        ("b", "13800000002", 3),
    ]
