"""Querying call results (cec_07_0783): final or every result, filters, days, paging, refusals."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, update

from openisales.storage.models import CallResult, Tenant
from tests.dispatch.conftest import Dial, numbers_json, result

SUCCESS, EMPTY, INVALID_CHARS, TOO_LONG = "0200000", "02000001", "02000002", "02000003"
WRONG_TYPE, WRONG_VALUE, COMBINATION = "02000006", "02000007", "02000009"
CAMPAIGN_NOT_FOUND = "0200007"
BUSY, NO_ANSWER = "00537", "00603"
FIELDS = {
    "campaignId", "sessionId", "called", "callTimeStr", "callStatus", "failCode", "resultCode",
    "vdnId", "callId", "recordPath",
}  # fmt: skip


def found(dial: Dial, campaign: int, **criteria: Any) -> dict[str, Any]:
    answer = dial.isales.query_results(campaign, **criteria)
    assert answer["resultCode"] == SUCCESS and answer["returnCode"] == SUCCESS, answer
    assert all(set(row) == FIELDS for row in answer["data"]), answer
    return answer


def outcomes(answer: dict[str, Any]) -> list[tuple[str, str]]:
    return [(row["called"], row["failCode"]) for row in answer["data"]]


def test_final_results_and_every_result(dial: Dial) -> None:
    campaign = dial.campaign()
    dial.load(
        campaign,
        {"called": numbers_json("7001", "7002"), "sessionId": "a", "customField": "k1"},
        {"called": numbers_json("7101"), "sessionId": "b"},
        {"called": numbers_json("7201", ("7202", 60)), "sessionId": "c"},
        {"called": numbers_json("7301"), "sessionId": "d"},
    )
    first = dial.lease(campaign, limit=3)
    codes = {"7001": BUSY, "7101": NO_ANSWER, "7201": BUSY}
    dial.report(
        campaign,
        *(
            result(r["leaseId"], 5, codes[r["calledNo"]], callId=f"id-{r['calledNo']}")
            for r in first
        ),
    )
    [second] = dial.lease(campaign, limit=1)  # 7002 is due at once; 7202 only in 60 s
    assert second["calledNo"] == "7002"
    dial.report(campaign, result(second["leaseId"], 6, "00000", recordPath="/rec/a.wav"))
    [_leased] = dial.lease(campaign, limit=1, leaseSeconds=600)  # 7301: no result

    every = found(dial, campaign, show_detail=1)
    assert every["totalCount"] == 4
    assert outcomes(every) == [
        ("7001", BUSY),
        ("7101", NO_ANSWER),
        ("7201", BUSY),
        ("7002", "00000"),
    ]
    final = found(dial, campaign)  # showDetail 0 is the default
    assert final["totalCount"] == 2
    failed, reached = final["data"]  # in the order recorded
    assert reached == {
        "campaignId": str(campaign),
        "sessionId": "a",
        "called": "7002",
        "callTimeStr": "2099-01-02 12:00:00",
        "callStatus": 6,
        "failCode": "00000",
        "resultCode": "00000",
        "vdnId": 12,
        "callId": reached["callId"],
        "recordPath": "/rec/a.wav",
    }
    assert (failed["sessionId"], failed["callStatus"], failed["failCode"]) == ("b", 5, NO_ANSWER)
    assert (failed["callId"], failed["recordPath"]) == ("id-7101", "")
    # 7202 comes due and fails: the record is finished and its final result is that one.
    dial.clock.advance(seconds=60)
    [third] = dial.lease(campaign)
    dial.report(campaign, result(third["leaseId"], 5, NO_ANSWER))
    assert outcomes(found(dial, campaign)) == [
        ("7101", NO_ANSWER),
        ("7002", "00000"),
        ("7202", NO_ANSWER),
    ]


def test_a_deleted_record_keeps_its_final_result(dial: Dial) -> None:
    campaign = dial.campaign()
    dial.load(campaign, {"called": numbers_json("7501", "7502"), "sessionId": "gone"})
    [record] = dial.lease(campaign)
    dial.report(campaign, result(record["leaseId"], 5, BUSY))
    assert found(dial, campaign)["totalCount"] == 0  # 7502 is still to be called
    assert dial.isales.pause_campaign(campaign)["resultCode"] == "0200000"  # executing: refused
    answer = dial.isales.call("POST", f"/calldata/{campaign}/delete", json={"sessionId": "gone"})
    assert answer["returnObject"]["deleteCount"] == 1, answer
    assert outcomes(found(dial, campaign)) == [("7501", BUSY)]


def test_filters(dial: Dial) -> None:
    campaign = dial.campaign()
    dial.load(
        campaign,
        {"called": numbers_json("7601"), "sessionId": "s1", "customField": "b1"},
        {"called": numbers_json("7602"), "sessionId": "s2", "customField": "b1"},
        {"called": numbers_json("7603"), "sessionId": "s3", "customField": "b2"},
    )
    leased = dial.lease(campaign)
    codes = {"7601": "00000", "7602": BUSY, "7603": "00000"}
    dial.report(
        campaign,
        *(
            result(r["leaseId"], 6 if codes[r["calledNo"]] == "00000" else 5, codes[r["calledNo"]])
            for r in leased
        ),
    )
    assert outcomes(found(dial, campaign, session_id="s2")) == [("7602", BUSY)]
    assert [r["called"] for r in found(dial, campaign, custom_field="b1")["data"]] == [
        "7601",
        "7602",
    ]
    assert [r["called"] for r in found(dial, campaign, called="7603")["data"]] == ["7603"]
    successes = found(dial, campaign, call_status=6, show_detail=1)
    assert (successes["totalCount"], [r["called"] for r in successes["data"]]) == (
        2,
        ["7601", "7603"],
    )
    both = found(dial, campaign, custom_field="b1", call_status=6)
    assert [r["called"] for r in both["data"]] == ["7601"]
    nobody = found(dial, campaign, session_id="nobody")
    assert (nobody["totalCount"], nobody["data"]) == (0, [])
    other = dial.campaign(name="other")
    assert found(dial, other)["totalCount"] == 0


def test_days_are_the_tenants_and_bound_when_a_result_was_recorded(dial: Dial) -> None:
    with dial.api.rt.db.transaction() as session:
        session.execute(update(Tenant).where(Tenant.vdn_id == 12).values(time_zone="Asia/Shanghai"))
    # 2099-01-02 12:00 UTC is 20:00 in Shanghai; each result is recorded 4 hours after the last.
    campaign = dial.campaign()
    dial.load(campaign, *({"called": numbers_json(f"77{i:02d}")} for i in range(4)))
    for _ in range(4):
        [record] = dial.lease(campaign, limit=1)
        assert dial.report(campaign, result(record["leaseId"], 5, BUSY)) == [SUCCESS]
        dial.clock.advance(hours=4)

    # Recorded at Shanghai 20:00 on the 2nd, then 00:00, 04:00 and 08:00 on the 3rd.
    def called(begin: str, end: str) -> list[str]:
        return [
            r["called"]
            for r in found(dial, campaign, show_detail=1, begin_time=begin, end_time=end)["data"]
        ]

    assert called("2099-01-02", "2099-01-03") == ["7700"]
    assert called("2099-01-03", "2099-01-04") == ["7701", "7702", "7703"]
    assert called("2099-01-01", "2099-01-31") == ["7700", "7701", "7702", "7703"]
    assert called("2098-12-01", "2098-12-31") == []


def test_paging(dial: Dial) -> None:
    campaign = dial.campaign()
    dial.load(campaign, *({"called": numbers_json(f"78{i:02d}")} for i in range(7)))
    for record in dial.lease(campaign):
        dial.report(campaign, result(record["leaseId"], 5, BUSY))
    pages = [found(dial, campaign, page_size=3, page_num=n) for n in (1, 2, 3, 4)]
    assert [p["totalCount"] for p in pages] == [7, 7, 7, 7]
    assert [[r["called"] for r in p["data"]] for p in pages] == [
        ["7800", "7801", "7802"], ["7803", "7804", "7805"], ["7806"], [],
    ]  # fmt: skip
    assert len(found(dial, campaign, page_size=2)["data"]) == 2  # pageNum 1
    assert len(found(dial, campaign, page_num=1)["data"]) == 7  # pages of 500
    assert found(dial, campaign, page_num=2)["data"] == []


def test_without_paging_at_most_2000_results(dial: Dial) -> None:
    campaign = dial.campaign()
    pk = dial.campaign_pk(campaign)
    now = dial.clock.now
    rows = [
        {
            "lease_id": f"{i:030d}", "vdn_id": 12, "campaign_pk": pk, "campaign_id": campaign,
            "data_id": 10**6 + i, "position": 0, "attempt": 1, "session_id": f"s{i}",
            "called": "7900", "call_time_str": "2099-01-02 12:00:00", "call_status": 5,
            "fail_code": BUSY, "call_id": f"c{i}", "dialer_id": "d", "recorded_at": now,
        }
        for i in range(2001)
    ]  # fmt: skip
    with dial.api.rt.db.transaction() as session:
        session.execute(insert(CallResult), rows)
    answer = found(dial, campaign, show_detail=1)
    assert (answer["totalCount"], len(answer["data"])) == (2001, 2000)
    # Records that left no dial row behind (as deleted ones) count as finished.
    assert found(dial, campaign)["totalCount"] == 2001
    assert len(found(dial, campaign, page_size=500, page_num=5)["data"]) == 1


def test_no_body_and_an_empty_body_ask_for_everything(dial: Dial) -> None:
    campaign = dial.campaign()
    dial.load(campaign, {"called": numbers_json("7950")})
    [record] = dial.lease(campaign)
    dial.report(campaign, result(record["leaseId"]))
    for body in (None, {}):
        answer = dial.isales.call("POST", f"/callresult/{campaign}", json=body)
        assert (answer["resultCode"], answer["totalCount"]) == (SUCCESS, 1), answer


BAD: list[tuple[Any, str]] = [
    ({"sessionId": "s" * 33}, TOO_LONG),
    ({"sessionId": ["a"]}, WRONG_TYPE),
    ({"customField": "c" * 201}, TOO_LONG),
    ({"pageSize": 0}, WRONG_VALUE),
    ({"pageSize": 501}, WRONG_VALUE),
    ({"pageSize": 101, "showDetail": 1}, WRONG_VALUE),
    ({"pageSize": "ten"}, WRONG_TYPE),
    ({"pageNum": 0}, WRONG_VALUE),
    ({"showDetail": 2}, WRONG_VALUE),
    ({"beginTime": "2099-01-01"}, COMBINATION),
    ({"endTime": "2099-01-01"}, COMBINATION),
    ({"beginTime": "2099-01-02", "endTime": "2099-01-02"}, COMBINATION),
    ({"beginTime": "2099-01-03", "endTime": "2099-01-02"}, COMBINATION),
    ({"beginTime": "2099-01-01", "endTime": "2099-02-01"}, WRONG_VALUE),  # 31 days
    ({"beginTime": "2099/01/01", "endTime": "2099-01-02"}, WRONG_TYPE),
    ({"beginTime": "2099-01-01 00:00:00", "endTime": "2099-01-02"}, TOO_LONG),
    ({"beginTime": "2099-02-30", "endTime": "2099-03-02"}, WRONG_VALUE),
    ({"called": "12X"}, INVALID_CHARS),
    ({"callStatus": 4}, WRONG_VALUE),
    ({"sessionId": "a\u0000b"}, INVALID_CHARS),
    ([], WRONG_TYPE),
]


def test_bad_input_is_refused_with_the_documented_codes(dial: Dial) -> None:
    campaign = dial.campaign()
    for body, expected in BAD:
        answer = dial.isales.call("POST", f"/callresult/{campaign}", json=body)
        assert (answer["resultCode"], answer["returnCode"]) == (expected, expected), (body, answer)
        assert answer["resultDesc"].strip() and "totalCount" not in answer
    assert dial.isales.query_results(999)["resultCode"] == CAMPAIGN_NOT_FOUND
    good = {"beginTime": "2099-01-01", "endTime": "2099-01-31", "pageSize": 100, "showDetail": 1}
    assert dial.isales.call("POST", f"/callresult/{campaign}", json=good)["resultCode"] == SUCCESS


def test_another_tenants_campaign_is_not_found(dial: Dial) -> None:
    campaign = dial.campaign()
    with dial.api.client(dial.api.new_tenant(13)) as stranger:
        assert stranger.query_results(campaign)["resultCode"] == CAMPAIGN_NOT_FOUND


def test_unknown_fields_are_ignored(dial: Dial) -> None:
    """A newer edition's fields (docs/api.md, "Unknown fields"): the answer is the documented one."""
    campaign = dial.campaign()
    dial.load(
        campaign,
        {"called": numbers_json("7001"), "sessionId": "a"},
        {"called": numbers_json("7101"), "sessionId": "b"},
    )
    dial.report(campaign, *(result(r["leaseId"], 6, "00000") for r in dial.lease(campaign)))
    documented = {"sessionId": "a", "showDetail": 1}
    newer = {**documented, "campaignId": 1, "batchId": "b1", "resultType": [1, 2]}
    answers = [
        dial.isales.call("POST", f"/callresult/{campaign}", json=body)
        for body in (documented, newer)
    ]
    assert answers[0]["resultCode"] == SUCCESS and answers[0]["totalCount"] == 1, answers
    assert answers[0] == answers[1]
