"""The retry policy: parsing the V2 retryPolicy, and when a failed number is tried again."""

from __future__ import annotations

import pytest

from openisales.domain.retry_policy import (
    DAY_SECONDS,
    PolicyError,
    max_attempts,
    parse,
    result_type,
    retry_in,
)

BUSY, NO_ANSWER, WRONG_NUMBER, OTHER_FAILURE = "00537", "00603", "00538", "00601"


def result_policy(*rules: dict[str, object], **item: object) -> dict[str, object]:
    return parse({"policyType": 0, "policyJson": [{"type": 1, "policy": list(rules), **item}]})


def test_the_documented_single_quoted_policy_json_is_read() -> None:
    policy = parse(
        {
            "policyType": 1,
            "policyJson": "[{'dataType':'SI','type':1,'policy':[{'result':4,'retryNumber':3,"
            "'callInterval':600}]}]",
        }
    )
    assert retry_in(policy, "SI", "00548", 0) == 600
    assert retry_in(policy, "SI", "00548", 2) == 600
    assert retry_in(policy, "SI", "00548", 3) is None  # three retries used up
    assert retry_in(policy, "MOBILE", "00548", 0) is None  # policyType 1: the type must match
    assert retry_in(policy, None, "00548", 0) is None
    assert retry_in(policy, "SI", BUSY, 0) is None  # result type 1 has no rule


def test_result_types_and_failcodes() -> None:
    assert [result_type(c) for c in (BUSY, NO_ANSWER, "01040", "00604", "00549", WRONG_NUMBER)] == [
        1, 2, 2, 3, 4, 5,
    ]  # fmt: skip
    assert result_type("99999") == 6
    policy = result_policy(
        {"result": 1, "retryNumber": 2, "callInterval": 300},
        {"result": BUSY, "retryNumber": 1, "callInterval": 60},  # a failCode wins over its type
        {"result": 6, "retryNumber": 1, "callInterval": 900},
    )
    assert retry_in(policy, None, BUSY, 0) == 60
    assert retry_in(policy, None, BUSY, 1) is None
    assert retry_in(policy, None, OTHER_FAILURE, 0) == 900
    assert retry_in(policy, None, NO_ANSWER, 0) is None  # type 2 has no rule; 6 is only "other"


def test_no_retry_codes_are_never_retried() -> None:
    policy = result_policy(
        {"result": 6, "retryNumber": 5, "callInterval": 10}, noRetryPolicy=["00601"]
    )
    assert retry_in(policy, None, OTHER_FAILURE, 0) is None
    assert retry_in(policy, None, "00602", 0) == 10


def test_a_common_policy_spreads_its_daily_tries() -> None:
    policy = parse({"policyJson": [{"type": 0, "retryDay": 2, "retryTimes": 3}]})
    assert [retry_in(policy, None, BUSY, n) for n in range(6)] == [DAY_SECONDS // 3] * 5 + [None]


def test_no_policy_retries_nothing() -> None:
    assert retry_in(None, None, BUSY, 0) is None


@pytest.mark.parametrize(
    ("body", "kind", "words"),
    [
        ([], "type", "must be an object"),
        ({"policyJson": "not json"}, "type", "policyJson: is not valid JSON"),
        ({"policyJson": []}, "empty", "at least one"),
        ({"policyJson": [{"type": 1, "policy": [{"retryNumber": 1}]}]}, "empty", "result: is required"),
        ({"policyJson": [{"type": 1, "policy": [{"result": "busy", "retryNumber": 1}]}]}, "value", "failCode"),
        ({"policyJson": [{"type": 1, "policy": [{"result": 1, "retryNumber": 1, "callInterval": -1}]}]}, "value", "callInterval"),
        ({"policyJson": [{"type": 1, "policy": [{"result": 1, "retryNumber": 1.5}]}]}, "type", "retryNumber"),
        ({"policyJson": [{"type": 2}]}, "value", "type"),
        ({"policyJson": [{"type": 0, "retryDay": 1, "retryTimes": 1, "noRetryPolicy": [5]}]}, "type", "noRetryPolicy[0]"),
        ({"policyType": 1, "noRetryPolicy": ["00601"], "policyJson": [{"type": 0, "retryDay": 1, "retryTimes": 1}]}, "value", "policyType is 1"),
    ],
)  # fmt: skip
def test_bad_policies_name_their_fault(body: object, kind: str, words: str) -> None:
    with pytest.raises(PolicyError, match=words.replace("[", r"\[").replace("]", r"\]")) as caught:
        parse(body)
    assert caught.value.kind == kind


def test_max_attempts_counts_the_first_call_and_the_retries() -> None:
    rules = result_policy(
        {"result": 1, "retryNumber": 2, "callInterval": 60},
        {"result": 2, "retryNumber": 4, "callInterval": 60},
    )
    assert max_attempts(rules) == 5
    common = {"policyType": 0, "policyJson": [{"type": 0, "retryDay": 2, "retryTimes": 3}]}
    assert max_attempts(parse(common)) == 6  # three tries a day for two days
    no_retry = result_policy({"result": 1, "retryNumber": 0, "callInterval": 0})
    assert max_attempts(no_retry) == 1
