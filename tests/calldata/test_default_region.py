"""JSON adds (V1, V2) for a tenant with a default region: numbers read as in a file import."""

from __future__ import annotations

import json

from sqlalchemy import select

from openisales.client import ISalesClient
from openisales.services import tenants
from openisales.storage.models import CallData
from tests.calldata.conftest import add_v1, add_v2, data_ids, ok, query_one, refused
from tests.conftest import Api

WRONG_VALUE, COMBINATION, ALREADY_EXISTS, INVALID_CHARS = (
    "02000007",
    "02000009",
    "0200109",
    "02000002",
)


def _set_region(api: Api, region: str | None) -> None:
    with api.rt.db.transaction() as session:
        tenants.set_default_region(session, api.creds.vdn_id, region)


def _stored(api: Api, data_id: int) -> tuple[str, list[dict[str, object]]]:
    with api.rt.db.read() as session:
        record = session.scalars(select(CallData).where(CallData.data_id == data_id)).one()
        return record.called_key, json.loads(record.called)


def test_v1_stores_the_e164_form_and_finds_a_held_customer_written_another_way(
    api: Api, isales: ISalesClient, campaign: int
) -> None:
    _set_region(api, "CN")
    [data_id] = data_ids(ok(add_v1(isales, campaign, {"sessionId": "s", "called": "013800001234"})))
    key, called = _stored(api, data_id)
    assert key == "+8613800001234"
    assert called == [
        {
            "calledNo": "013800001234",
            "delayTime": 0,
            "e164": "+8613800001234",
            "numberType": "MOBILE",
            "timeZone": "Asia/Shanghai",
        }
    ]
    # The documented answer is unchanged: the number as written.
    assert query_one(isales, campaign, data_id)["data"]["calledNos"] == [
        {"calledNo": "013800001234", "type": "", "delayTime": 0}
    ]
    again = add_v1(isales, campaign, {"sessionId": "s", "called": "+8613800001234"})
    assert f"dataId {data_id}" in refused(again, ALREADY_EXISTS)


def test_v1_numbers_are_unique_in_the_request_by_their_e164_form(
    api: Api, isales: ISalesClient, campaign: int
) -> None:
    _set_region(api, "CN")
    answer = add_v1(
        isales,
        campaign,
        {"sessionId": "a", "called": "13800001234"},
        {"sessionId": "b", "called": "+8613800001234"},
    )
    assert "+8613800001234" in refused(answer, COMBINATION)


def test_v2_a_number_that_cannot_exist_refuses_the_request_in_both_languages(
    api: Api, isales: ISalesClient, campaign: int
) -> None:
    _set_region(api, "GB")
    body = {"sessionId": "a", "called": ["02079460000", {"calledNo": "07700900123"}]}
    desc = refused(add_v2(isales, campaign, body), WRONG_VALUE)
    assert "callDataList.0.called[2].calledNo" in desc and "cannot exist" in desc
    with api.client(locale="zh_CN") as chinese:
        desc_zh = refused(add_v2(chinese, campaign, body), WRONG_VALUE)
    assert "不是可能存在的电话号码" in desc_zh
    [data_id] = data_ids(
        ok(add_v2(isales, campaign, {"sessionId": "a", "called": ["+12015550123"]}))
    )
    assert _stored(api, data_id)[1][0]["timeZone"] == "America/New_York"


def test_without_a_region_a_json_add_is_as_before(
    api: Api, isales: ISalesClient, campaign: int
) -> None:
    [data_id] = data_ids(ok(add_v1(isales, campaign, {"sessionId": "s", "called": "12345"})))
    assert _stored(api, data_id) == ("12345", [{"calledNo": "12345", "delayTime": 0}])
    refused(add_v1(isales, campaign, {"called": "+8613800001234"}), INVALID_CHARS)
