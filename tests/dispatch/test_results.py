"""Results: each lease's outcome once, the record moved on by delayTime and the retry policy."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from openisales.domain.dispatch import DialState, Outcome
from openisales.storage.models import CallResult, DialEntry
from tests.dispatch.conftest import Dial, numbers_json, result

RECORDED, ALREADY, NO_LEASE = "0200000", "0200131", "0200130"
BUSY, WRONG_NUMBER, NO_ANSWER = "00537", "00538", "00603"
BUSY_TWICE_MORE = {
    "policyType": 0,
    "policyJson": [{"type": 1, "policy": [{"result": 1, "retryNumber": 2, "callInterval": 600}]}],
}


def only(records: list[dict[str, Any]]) -> dict[str, Any]:
    assert len(records) == 1, records
    return records[0]


def test_the_next_number_waits_its_delay_time(dial: Dial) -> None:
    campaign = dial.campaign()
    dial.load(campaign, {"called": numbers_json("8001", ("8002", 60), ("8003", 5))})
    first = only(dial.lease(campaign))
    assert first["calledNo"] == "8001"
    assert dial.report(campaign, result(first["leaseId"], 5, NO_ANSWER)) == [RECORDED]
    assert dial.lease(campaign) == []
    dial.clock.advance(seconds=59)
    assert dial.lease(campaign) == []
    dial.clock.advance(seconds=1)
    second = only(dial.lease(campaign))
    assert (second["calledNo"], second["attempt"]) == ("8002", 1)
    assert dial.report(campaign, result(second["leaseId"], 5, NO_ANSWER)) == [RECORDED]
    dial.clock.advance(seconds=5)
    third = only(dial.lease(campaign))
    assert dial.report(campaign, result(third["leaseId"], 5, NO_ANSWER)) == [RECORDED]
    dial.clock.advance(days=1)
    assert dial.lease(campaign) == []
    with dial.api.rt.db.read() as session:
        entry = session.scalars(select(DialEntry)).one()
        assert (entry.state, entry.outcome) == (DialState.DONE, Outcome.FAILED)


def test_success_finishes_the_record(dial: Dial) -> None:
    campaign = dial.campaign()
    dial.load(campaign, {"called": numbers_json("8101", "8102")})
    first = only(dial.lease(campaign))
    assert dial.report(campaign, result(first["leaseId"], 6, "00000")) == [RECORDED]
    dial.clock.advance(days=1)
    assert dial.lease(campaign) == []
    with dial.api.rt.db.read() as session:
        assert session.scalars(select(DialEntry.outcome)).one() == Outcome.REACHED


def test_the_retry_policy_retries_a_busy_number_then_moves_on(dial: Dial) -> None:
    campaign = dial.campaign(version="v2", retryPolicy=BUSY_TWICE_MORE)
    dial.load(
        campaign,
        {"called": numbers_json("8201", "8202")},
        {"called": numbers_json("8301", "8302")},
    )
    busy, wrong = dial.lease(campaign)
    assert dial.report(
        campaign, result(busy["leaseId"], 5, BUSY), result(wrong["leaseId"], 5, WRONG_NUMBER)
    ) == [RECORDED, RECORDED]
    # A wrong number has no rule: the record moves on to its next number at once.
    moved_on = only(dial.lease(campaign))
    assert (moved_on["calledNo"], moved_on["attempt"]) == ("8302", 1)
    assert dial.report(campaign, result(moved_on["leaseId"])) == [RECORDED]
    dial.clock.advance(seconds=599)
    assert dial.lease(campaign) == []
    for attempt in (2, 3):
        dial.clock.advance(seconds=600)
        again = only(dial.lease(campaign))
        assert (again["calledNo"], again["attempt"]) == ("8201", attempt)
        assert dial.report(campaign, result(again["leaseId"], 5, BUSY)) == [RECORDED]
    dial.clock.advance(seconds=600)
    assert [(r["calledNo"], r["attempt"]) for r in dial.lease(campaign)] == [("8202", 1)]
    with dial.api.rt.db.read() as session:
        attempts = session.scalars(
            select(CallResult.attempt).where(CallResult.called == "8201").order_by(CallResult.pk)
        ).all()
    assert attempts == [1, 2, 3]


def test_a_repeated_report_is_answered_as_already_recorded(dial: Dial) -> None:
    campaign = dial.campaign()
    dial.load(campaign, {"called": numbers_json("8401")}, {"called": numbers_json("8402")})
    one, two = dial.lease(campaign)
    full = result(one["leaseId"], 6, "00000", recordPath="/rec/1.wav")
    assert dial.report(campaign, full) == [RECORDED]
    assert dial.report(campaign, full, result(two["leaseId"])) == [ALREADY, RECORDED]
    assert dial.report(campaign, result(two["leaseId"], 5, BUSY)) == [ALREADY]
    assert dial.report(campaign, result("123456789012345678901234567890")) == [NO_LEASE]
    assert dial.count_results() == 2
    with dial.api.rt.db.read() as session:
        stored = session.scalars(select(CallResult).order_by(CallResult.pk)).first()
        assert stored is not None
        assert (stored.campaign_id, stored.vdn_id, stored.called, stored.session_id) == (
            campaign, 12, "8401", "s0",
        )  # fmt: skip
        assert (stored.call_status, stored.fail_code, stored.record_path) == (
            6,
            "00000",
            "/rec/1.wav",
        )
        assert stored.call_id == full["callId"] and stored.call_time_str == "2099-01-02 12:00:00"


def test_another_campaigns_lease_is_not_found(dial: Dial) -> None:
    first, second = dial.campaign(name="first"), dial.campaign(name="second")
    dial.load(first, {"called": numbers_json("8501")})
    record = only(dial.lease(first))
    assert dial.report(second, result(record["leaseId"])) == [NO_LEASE]
    assert dial.report(first, result(record["leaseId"])) == [RECORDED]


def test_a_deleted_record_takes_its_lease_with_it(dial: Dial) -> None:
    campaign = dial.campaign()
    dial.load(campaign, {"called": numbers_json("8601"), "sessionId": "gone"})
    record = only(dial.lease(campaign))
    assert dial.isales.pause_campaign(campaign)["resultCode"] == "0200000"  # executing: refused
    answer = dial.isales.call("POST", f"/calldata/{campaign}/delete", json={"sessionId": "gone"})
    assert answer["returnObject"]["deleteCount"] == 1, answer
    assert dial.report(campaign, result(record["leaseId"])) == [NO_LEASE]
    assert dial.states() == {}
