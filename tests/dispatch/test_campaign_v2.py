"""Campaign V2 (add, modify): V1's fields plus callerNo list, priority, retryPolicy, callPolicy."""

from __future__ import annotations

from typing import Any

from openisales.client import ISalesClient
from openisales.storage import campaigns as campaign_rows
from tests.conftest import Api

SUCCESS, EMPTY, WRONG_TYPE, WRONG_VALUE = "0200000", "02000001", "02000006", "02000007"
# The published V2 example (cec_07_0722), with dates that are not in the past.
EXAMPLE: dict[str, Any] = {
    "name": "test0827shwocase1",
    "description": "long0825",
    "strBeginTime": "2099-08-27 00:00:00",
    "strEndTime": "2099-08-28 23:59:59",
    "deviceType": 2,
    "callerNo": [{"accessCode": "88889527", "priority": 3}, {"accessCode": "88880066", "priority": 4}],
    "maxAlertingTime": 20,
    "priority": 4,
    "scheduleParam": {
        "workdayBeginTime1": "00:00", "workdayEndTime1": "23:59",
        "workdayBeginTime2": "", "workdayEndTime2": "",
        "holidayBeginTime1": "10:00", "holidayEndTime1": "11:00",
        "holidayBeginTime2": "13:00", "holidayEndTime2": "17:30",
    },
    "skillParam": {"skillId": 2, "skillName": "defaultAudioSkill", "outBoundType": 2},
    "retryPolicy": {
        "policyType": 1,
        "policyJson": "[{'dataType':'SI','type':1,'policy':[{'result':4,'retryNumber':3,'callInterval':600}]}]",
    },
    "callPolicy": {"callType": 1, "chooseType": 0, "turns": [{"turnType": "SI"}]},
    "initStatus": 0,
    "callBackUrl": "https://10.10.10.10/xxx/xxx/xxx",
}  # fmt: skip


def create_v2(isales: ISalesClient, **overrides: Any) -> dict[str, Any]:
    body = {**EXAMPLE, **overrides}
    return isales.call(
        "POST", "", json={k: v for k, v in body.items() if v is not None}, version="v2"
    )


def modify_v2(isales: ISalesClient, campaign_id: int, **fields: Any) -> dict[str, Any]:
    return isales.call("PUT", f"/{campaign_id}", json=fields, version="v2")


def code(answer: dict[str, Any]) -> str:
    assert answer["resultCode"] == answer["returnCode"], answer
    return str(answer["resultCode"])


def stored_policy(api: Api, campaign_id: int) -> Any:
    with api.rt.db.read() as session:
        campaign = campaign_rows.get(session, api.creds.vdn_id, campaign_id)
        assert campaign is not None
        return campaign.retry_policy


def test_the_published_example_creates_a_started_campaign_with_its_policy(
    api: Api, isales: ISalesClient
) -> None:
    answer = create_v2(isales)
    assert code(answer) == SUCCESS, answer
    campaign_id = answer["returnObject"]["id"]
    details = isales.get_campaign(campaign_id)["returnObject"]
    assert details["status"] == 2  # initStatus 0: the default, started
    assert details["callerNo"] == EXAMPLE["callerNo"]
    assert details["retryPolicy"] == EXAMPLE["retryPolicy"]
    assert details["callPolicy"] == EXAMPLE["callPolicy"]
    assert details["priority"] == 4
    assert stored_policy(api, campaign_id) == {
        "policyType": 1,
        "noRetry": [],
        "items": [
            {
                "dataType": "SI",
                "noRetry": [],
                "rules": [{"result": 4, "retries": 3, "interval": 600}],
            }
        ],
    }


def test_a_bad_retry_policy_creates_nothing(isales: ISalesClient) -> None:
    cases = [
        ({"retryPolicy": "three times"}, WRONG_TYPE),
        ({"retryPolicy": {"policyType": 1}}, EMPTY),
        ({"retryPolicy": {"policyType": 1, "policyJson": "[{'type':1,"}}, WRONG_TYPE),
        ({"retryPolicy": {"policyType": 2, "policyJson": []}}, WRONG_VALUE),
        (
            {
                "retryPolicy": {
                    "policyJson": [{"type": 1, "policy": [{"result": 9, "retryNumber": 1}]}]
                }
            },
            WRONG_VALUE,
        ),
        (
            {
                "retryPolicy": {
                    "policyJson": [{"type": 1, "policy": [{"result": 1, "retryNumber": 11}]}]
                }
            },
            WRONG_VALUE,
        ),
        ({"retryPolicy": {"policyJson": [{"type": 0, "retryDay": 2}]}}, EMPTY),
        ({"callerNo": "88889527x"}, WRONG_TYPE),
        ({"callerNo": []}, EMPTY),
        ({"priority": 6}, WRONG_VALUE),
        ({"initStatus": 1}, WRONG_VALUE),
    ]
    for overrides, expected in cases:
        answer = create_v2(isales, **overrides)
        assert code(answer) == expected, (overrides, answer)
        assert overrides and answer["resultDesc"].strip()
    assert isales.list_campaigns()["returnObject"]["total"] == 0


def test_modify_replaces_the_policy_only_when_one_is_given(api: Api, isales: ISalesClient) -> None:
    campaign_id = create_v2(isales)["returnObject"]["id"]
    answer = modify_v2(isales, campaign_id, description="no policy here")
    assert code(answer) == SUCCESS, answer
    assert stored_policy(api, campaign_id)["items"][0]["rules"][0]["retries"] == 3
    common = {"policyType": 0, "policyJson": [{"type": 0, "retryDay": 2, "retryTimes": 3}]}
    answer = modify_v2(isales, campaign_id, retryPolicy=common)
    assert code(answer) == SUCCESS, answer
    assert answer["returnObject"]["retryPolicy"] == common
    assert stored_policy(api, campaign_id)["items"][0] == {
        "dataType": None, "noRetry": [], "days": 2, "perDay": 3,
    }  # fmt: skip
    bad = modify_v2(isales, campaign_id, retryPolicy={"policyJson": "{}"})
    assert code(bad) == WRONG_TYPE, bad
    assert stored_policy(api, campaign_id)["items"][0]["perDay"] == 3


def test_v1_keeps_a_retry_policy_as_given_without_interpreting_it(
    api: Api, isales: ISalesClient
) -> None:
    body = {k: v for k, v in EXAMPLE.items() if k not in ("callerNo", "priority", "initStatus")}
    answer = isales.create_campaign(**body, callerNo="88889527")
    assert code(answer) == SUCCESS, answer
    campaign_id = answer["returnObject"]["id"]
    details = isales.get_campaign(campaign_id)["returnObject"]
    assert details["callerNo"] == "88889527"
    assert details["retryPolicy"] == EXAMPLE["retryPolicy"]
    assert stored_policy(api, campaign_id) is None


def test_v1_modify_of_a_v2_campaign_replaces_the_caller_list(isales: ISalesClient) -> None:
    campaign_id = create_v2(isales)["returnObject"]["id"]
    answer = isales.modify_campaign(campaign_id, callerNo="10086")
    assert code(answer) == SUCCESS, answer
    assert isales.get_campaign(campaign_id)["returnObject"]["callerNo"] == "10086"


def test_v2_takes_the_window_time_zone_extension(isales: ISalesClient) -> None:
    answer = create_v2(isales, windowTimeZone="number")
    assert code(answer) == SUCCESS, answer
    details = isales.get_campaign(answer["returnObject"]["id"])["returnObject"]
    assert details["windowTimeZone"] == "number"
    refused = create_v2(isales, name="bad zone", windowTimeZone="Asia/Shanghai")
    assert code(refused) == "0200001", refused
    assert "windowTimeZone" in refused["resultDesc"]
