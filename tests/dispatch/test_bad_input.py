"""Bad input to both dialer interfaces: the documented codes, and nothing changed."""

from __future__ import annotations

from typing import Any

import pytest

from openisales.domain.dispatch import DialState
from tests.dispatch.conftest import Dial, numbers_json, result

SUCCESS, EMPTY, INVALID_CHARS, TOO_LONG = "0200000", "02000001", "02000002", "02000003"
WRONG_TYPE, WRONG_VALUE, COMBINATION, TOO_MANY = "02000006", "02000007", "02000009", "02000011"
CAMPAIGN_NOT_FOUND = "0200007"
GOOD_LEASE = {"dialerId": "d1", "limit": 10, "leaseSeconds": 60}

LEASE_CASES: list[tuple[dict[str, Any], str]] = [
    ({"limit": 10, "leaseSeconds": 60}, EMPTY),
    ({**GOOD_LEASE, "dialerId": ""}, EMPTY),
    ({**GOOD_LEASE, "dialerId": "dialer one"}, INVALID_CHARS),
    ({**GOOD_LEASE, "dialerId": "d" * 65}, TOO_LONG),
    ({**GOOD_LEASE, "dialerId": ["d1"]}, WRONG_TYPE),
    ({**GOOD_LEASE, "limit": 0}, WRONG_VALUE),
    ({**GOOD_LEASE, "limit": 501}, WRONG_VALUE),
    ({**GOOD_LEASE, "limit": "ten"}, WRONG_TYPE),
    ({**GOOD_LEASE, "leaseSeconds": 9}, WRONG_VALUE),
    ({**GOOD_LEASE, "leaseSeconds": 3601}, WRONG_VALUE),
    ({"dialerId": "d1", "limit": 10}, EMPTY),
    ({**GOOD_LEASE, "campaignId": 1}, TOO_MANY),
]


def code(answer: dict[str, Any]) -> str:
    assert answer["resultCode"] == answer["returnCode"], answer
    assert answer["resultDesc"].strip(), answer
    return str(answer["resultCode"])


@pytest.fixture
def leased(dial: Dial) -> tuple[int, str]:
    """A campaign with one leased number and one waiting."""
    campaign = dial.campaign()
    dial.load(campaign, {"called": numbers_json("1101")}, {"called": numbers_json("1102")})
    [record] = dial.lease(campaign, limit=1)
    return campaign, str(record["leaseId"])


def test_bad_lease_bodies(dial: Dial, leased: tuple[int, str]) -> None:
    campaign, _lease = leased
    for body, expected in LEASE_CASES:
        answer = dial.isales.call("POST", f"/dialer/{campaign}/lease", json=body)
        assert code(answer) == expected, (body, answer)
    assert code(dial.lease_answer(999)) == CAMPAIGN_NOT_FOUND
    assert list(dial.states().values()) == [DialState.LEASED, DialState.WAITING]


def test_bad_result_bodies_record_nothing(dial: Dial, leased: tuple[int, str]) -> None:
    campaign, lease_id = leased
    good = result(lease_id)
    cases: list[tuple[Any, str]] = [
        ({}, EMPTY),
        ({"results": []}, EMPTY),
        ({"results": good}, WRONG_TYPE),
        ({"results": [good] * 501}, TOO_MANY),
        ({"results": [good, good]}, COMBINATION),
        ({"results": [{**good, "callStatus": 4}]}, WRONG_VALUE),
        ({"results": [{**good, "callStatus": None}]}, EMPTY),
        ({"results": [{**good, "failCode": "busy"}]}, INVALID_CHARS),
        ({"results": [{**good, "callTimeStr": "2099-01-02T12:00:00"}]}, WRONG_TYPE),
        ({"results": [{**good, "callTimeStr": None}]}, EMPTY),  # found by fuzzing: was a 500
        ({"results": [{**good, "callTimeStr": "2099-02-30 12:00:00"}]}, WRONG_VALUE),
        ({"results": [{**good, "callId": ""}]}, EMPTY),
        ({"results": [{**good, "leaseId": "x" * 33}]}, TOO_LONG),
        ({"results": [{**good, "recordPath": "r" * 1025}]}, TOO_LONG),
        ({"results": [{**good, "called": "1101"}]}, TOO_MANY),
        ({"results": [good], "dialerId": "d1"}, TOO_MANY),
    ]
    for body, expected in cases:
        answer = dial.isales.call("POST", f"/dialer/{campaign}/results", json=body)
        assert code(answer) == expected, (body, answer)
    assert code(dial.report_answer(999, good)) == CAMPAIGN_NOT_FOUND
    assert dial.count_results() == 0
    assert list(dial.states().values()) == [DialState.LEASED, DialState.WAITING]
    assert dial.report(campaign, good) == [SUCCESS]
