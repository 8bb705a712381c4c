"""The blocklist at lease time: an active entry blocks, a restricted one allows its calls."""

from __future__ import annotations

from typing import Any

from tests.dispatch.conftest import Dial, numbers_json, result

SUCCESS = "0200000"


def block(dial: Dial, *numbers: str, **fields: Any) -> None:
    answer = dial.isales.call("POST", "/blocklist/add", json={"blocklist": list(numbers), **fields})
    assert answer["resultCode"] == SUCCESS, answer


def test_an_active_entry_blocks_until_it_expires(dial: Dial) -> None:
    campaign = dial.campaign()
    dial.load(campaign, {"called": numbers_json("9001")}, {"called": numbers_json("9002")})
    block(dial, "9001", validityTime=1)  # imported before the entry: blocked at lease time
    assert dial.numbers(campaign, leaseSeconds=10) == ["9002"]
    dial.clock.advance(minutes=30)
    assert dial.numbers(campaign, leaseSeconds=10) == ["9002"]
    dial.clock.advance(minutes=31)  # the entry expired
    assert dial.numbers(campaign, leaseSeconds=10) == ["9001", "9002"]


def test_a_removed_entry_stops_blocking_within_five_minutes(dial: Dial) -> None:
    campaign = dial.campaign()
    dial.load(campaign, {"called": numbers_json("9101")})
    block(dial, "9101")
    assert dial.numbers(campaign) == []
    assert (
        dial.isales.call("POST", "/blocklist/delete", json={"blocklistNo": "9101"})["resultCode"]
        == SUCCESS
    )
    dial.clock.advance(minutes=5)
    assert dial.numbers(campaign) == ["9101"]


def test_restricted_calls_are_counted_in_the_tenants_day(dial: Dial) -> None:
    first, second = dial.campaign(name="a"), dial.campaign(name="b")
    dial.load(first, {"called": numbers_json("9201")}, {"called": numbers_json("9301")})
    dial.load(second, {"called": numbers_json("9201")})
    block(dial, "9201", restrictTimes=1, restrictPeriod="1")  # one call a day
    leased = dial.lease(first)
    assert [r["calledNo"] for r in leased] == ["9201", "9301"]
    assert dial.numbers(second) == []  # the day's one call is being made (a live lease)
    assert dial.report(first, *(result(r["leaseId"], 5, "00603") for r in leased)) == [
        SUCCESS,
        SUCCESS,
    ]
    dial.clock.advance(hours=11, minutes=59)  # 23:59 UTC, still the same day
    assert dial.numbers(second, leaseSeconds=10) == []
    dial.clock.advance(minutes=1)  # the next day
    assert dial.numbers(second) == ["9201"]


def test_an_hourly_restriction_allows_two_calls_an_hour(dial: Dial) -> None:
    campaign = dial.campaign()
    dial.load(campaign, *({"called": numbers_json("9401", str(9500 + i))} for i in range(3)))
    # Three records share their first number; two calls an hour are allowed.
    block(dial, "9401", restrictTimes=2, restrictPeriod="0")
    leased = dial.lease(campaign)
    assert [r["calledNo"] for r in leased] == ["9401", "9401"]
    assert dial.report(campaign, *(result(r["leaseId"], 5, "00603") for r in leased)) == [
        SUCCESS,
        SUCCESS,
    ]
    following = dial.lease(campaign)
    assert [r["calledNo"] for r in following] == ["9500", "9501"]  # their next numbers
    assert dial.report(campaign, *(result(r["leaseId"]) for r in following)) == [SUCCESS] * 2
    dial.clock.advance(minutes=59)
    assert dial.numbers(campaign, leaseSeconds=10) == []
    dial.clock.advance(minutes=1)  # 13:00: a new hour
    assert dial.numbers(campaign) == ["9401"]
