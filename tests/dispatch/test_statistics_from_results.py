"""V2 statistics (cec_07_0765) counted from the dial queue and the recorded results."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.dispatch.conftest import Dial, numbers_json, result

SUCCESS = "0200000"
BUSY, NO_ANSWER = "00537", "00603"
NAMES = (
    "unCallCount", "totalCalledCount", "totalCallSucc", "totalFinishCount", "dailyCalledCount",
    "dailyCallSucc", "dailyFinishCount", "dailyCount", "totalCount",
)  # fmt: skip


def statistics(dial: Dial, campaign: int, **params: Any) -> dict[str, Any]:
    answer = dial.isales.call(
        "GET", "/statistics", params={"campaignId": campaign, **params}, version="v2"
    )
    assert answer["resultCode"] == SUCCESS, answer
    [entry] = answer["countDetail"]
    return dict(entry)


def counts(entry: dict[str, Any]) -> dict[str, int]:
    """The counts by name, after checking the two documented duplicates agree."""
    assert entry["calledCount"] == entry["dailyCalledCount"], entry  # "当天已拨打量"
    assert entry["finishCount"] == entry["totalFinishCount"], entry  # "已完成呼叫总量"
    return {name: entry[name] for name in NAMES}


def expect(**values: int) -> dict[str, int]:
    return dict(zip(NAMES, (values[name] for name in NAMES), strict=True))


def report_each(
    dial: Dial, campaign: int, leased: list[dict[str, Any]], codes: dict[str, str]
) -> None:
    reports = [
        result(r["leaseId"], 6 if codes[r["calledNo"]] == "00000" else 5, codes[r["calledNo"]])
        for r in leased
        if r["calledNo"] in codes
    ]
    assert set(dial.report(campaign, *reports)) == {SUCCESS}


def test_counts_follow_the_calls_over_two_days(dial: Dial) -> None:
    campaign = dial.campaign()
    past = datetime(2099, 1, 2, 11, 0)  # recycleTime on the tenant's (UTC) clock: passed
    dial.load(
        campaign,
        {"called": numbers_json("9001", "9002")},  # busy, then reached on its 2nd number
        {"called": numbers_json("9051"), "recycleTime": past},  # finished without a call
        {"called": numbers_json("9101")},  # no answer: every number tried
        {"called": numbers_json("9201", ("9202", 3600))},  # busy, 2nd number due in an hour
        {"called": numbers_json("9301")},  # leased, no result yet
        {"called": numbers_json("9401")},  # not leased
        {"called": numbers_json("9501"), "status": 1},  # blocked: never dialled
    )
    first = dial.lease(campaign, limit=4)
    assert [r["calledNo"] for r in first] == ["9001", "9101", "9201", "9301"]
    report_each(dial, campaign, first, {"9001": BUSY, "9101": NO_ANSWER, "9201": BUSY})
    second = dial.lease(campaign, limit=1)
    assert [r["calledNo"] for r in second] == ["9002"]
    report_each(dial, campaign, second, {"9002": "00000"})
    assert counts(statistics(dial, campaign)) == expect(
        unCallCount=1, totalCalledCount=3, totalCallSucc=1, totalFinishCount=3,
        dailyCalledCount=3, dailyCallSucc=1, dailyFinishCount=3, dailyCount=7, totalCount=7,
    )  # fmt: skip

    # The next day: 9301's lease has expired (not a call: uncalled again), 9202 is due.
    dial.clock.advance(days=1)
    assert counts(statistics(dial, campaign))["unCallCount"] == 2
    third = dial.lease(campaign)
    assert sorted(r["calledNo"] for r in third) == ["9202", "9301", "9401"]
    report_each(dial, campaign, third, {"9202": "00000", "9301": BUSY, "9401": NO_ANSWER})
    assert counts(statistics(dial, campaign)) == expect(
        unCallCount=0, totalCalledCount=5, totalCallSucc=2, totalFinishCount=6,
        dailyCalledCount=3, dailyCallSucc=1, dailyFinishCount=3, dailyCount=0, totalCount=7,
    )  # fmt: skip


def test_batch_detail_and_deleted_records(dial: Dial) -> None:
    campaign = dial.campaign()
    body = {
        "batchId": "b1",
        "callDataList": [
            {"sessionId": "x1", "called": ["9601"]},
            {"sessionId": "x2", "called": ["9602"]},
            {"sessionId": "x3", "called": ["9603"], "batchId": "b2"},
        ],
    }
    added = dial.isales.call("POST", f"/calldata/{campaign}", json=body, version="v2")
    assert added["resultCode"] == SUCCESS, added
    leased = dial.lease(campaign)
    report_each(dial, campaign, leased, {"9601": "00000", "9603": BUSY})  # 9602: being called
    entry = statistics(dial, campaign, batchId="b1")
    assert counts(entry) == expect(
        unCallCount=0, totalCalledCount=2, totalCallSucc=1, totalFinishCount=2,
        dailyCalledCount=2, dailyCallSucc=1, dailyFinishCount=2, dailyCount=3, totalCount=3,
    )  # fmt: skip
    [batch] = entry["batchDetail"]
    assert batch["batchId"] == "b1"
    assert counts(batch) == expect(
        unCallCount=0, totalCalledCount=1, totalCallSucc=1, totalFinishCount=1,
        dailyCalledCount=1, dailyCallSucc=1, dailyFinishCount=1, dailyCount=2, totalCount=2,
    )  # fmt: skip
    # A deleted record leaves every count; its results stay for the results query.
    assert dial.isales.pause_campaign(campaign)["resultCode"] == "0200000"  # executing: refused
    deleted = dial.isales.call("POST", f"/calldata/{campaign}/delete", json={"sessionId": "x3"})
    assert deleted["returnObject"]["deleteCount"] == 1, deleted
    assert counts(statistics(dial, campaign)) == expect(
        unCallCount=0, totalCalledCount=1, totalCallSucc=1, totalFinishCount=1,
        dailyCalledCount=1, dailyCallSucc=1, dailyFinishCount=1, dailyCount=2, totalCount=2,
    )  # fmt: skip
    assert dial.isales.query_results(campaign, show_detail=1)["totalCount"] == 2
