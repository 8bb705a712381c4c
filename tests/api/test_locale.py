"""The locale header: answers in the client's language; without it, answers as they always were."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from openisales.auth import signing
from openisales.client import ISalesClient
from openisales.i18n import has_cjk
from tests.api.test_auth import BASE, QUERY_BODY, signed
from tests.conftest import Api

QUERY = f"{BASE}/file/queryServer"
CAMPAIGN = {
    "name": "renewals",
    "deviceType": 2,
    "strBeginTime": "2099-01-01 00:00:00",
    "strEndTime": "2099-12-31 23:59:59",
}


@pytest.fixture
def chinese(api: Api) -> Iterator[ISalesClient]:
    with api.client(locale="zh_CN") as client:
        yield client


@pytest.fixture
def english(api: Api) -> Iterator[ISalesClient]:
    with api.client(locale="en_US") as client:
        yield client


def _same_text(answer: dict[str, Any]) -> str:
    assert answer["resultDesc"] == answer["returnDesc"], answer
    return str(answer["resultDesc"])


def test_success_is_described_in_the_clients_language(
    chinese: ISalesClient, english: ISalesClient, isales: ISalesClient
) -> None:
    assert _same_text(chinese.create_campaign(**CAMPAIGN)) == "成功"
    assert _same_text(english.create_campaign(**{**CAMPAIGN, "name": "b"})) == "success"
    assert _same_text(isales.create_campaign(**{**CAMPAIGN, "name": "c"})) == "success"


def test_parameter_error_names_the_field_in_chinese(
    chinese: ISalesClient, english: ISalesClient, isales: ISalesClient
) -> None:
    body = {**CAMPAIGN, "name": ""}
    zh, en, plain = (c.create_campaign(**body) for c in (chinese, english, isales))
    assert zh["resultCode"] == en["resultCode"] == plain["resultCode"] == "02000001"
    assert "name" in _same_text(zh) and has_cjk(_same_text(zh)), zh
    assert not has_cjk(_same_text(en)) and "name" in _same_text(en), en
    assert en == plain  # no header: the English answer, unchanged


def test_missing_field_and_pydantic_rules_in_chinese(chinese: ISalesClient) -> None:
    body = {key: value for key, value in CAMPAIGN.items() if key != "deviceType"}
    answer = chinese.create_campaign(**body)
    assert answer["resultCode"] == "02000001", answer
    assert _same_text(answer) == "deviceType：不能为空", answer


def test_missing_campaign_in_the_clients_language(
    chinese: ISalesClient, english: ISalesClient, isales: ISalesClient
) -> None:
    zh = chinese.delete_campaign(987654)
    en = english.delete_campaign(987654)
    assert zh["resultCode"] == en["resultCode"] == "0200007"
    assert _same_text(zh) == "外呼活动987654不存在", zh
    assert _same_text(en) == "campaign 987654 does not exist", en
    assert isales.delete_campaign(987654) == en


@pytest.mark.parametrize(
    ("locale", "chinese"),
    [
        ("zh_CN", True),
        ("zh-CN", True),
        ("ZH_cn", True),
        ("zh", True),
        ("en_US", False),
        ("en", False),
        ("fr_FR", False),
        ("", False),
    ],
)
def test_bad_signature_401_speaks_the_locale(api: Api, locale: str, chinese: bool) -> None:
    request = signed(api.http, api.creds, "POST", QUERY, body=QUERY_BODY)
    request.headers["Authorization"] = request.headers["Authorization"][:-4] + "0000"
    request.headers["locale"] = locale
    response = api.http.send(request)
    assert response.status_code == 401
    answer = response.json()
    assert answer["resultCode"] == "0200101"
    assert has_cjk(_same_text(answer)) is chinese, answer
    if not chinese:
        unsigned = signed(api.http, api.creds, "POST", QUERY, body=QUERY_BODY)
        unsigned.headers["Authorization"] = request.headers["Authorization"]
        assert api.http.send(unsigned).json() == answer  # as without a header


def test_locale_header_may_be_signed_or_not(api: Api) -> None:
    unsigned = signed(api.http, api.creds, "POST", QUERY, body=QUERY_BODY)
    unsigned.headers["locale"] = "zh_CN"  # added after signing: not a signed header
    assert _same_text(api.http.send(unsigned).json()) == "成功"
    request = api.http.build_request(
        "POST",
        QUERY,
        content=QUERY_BODY,
        headers={"Content-Type": "application/json; charset=UTF-8", "locale": "zh_CN"},
    )
    request.headers["Authorization"] = signing.sign(
        access_key=api.creds.access_key,
        secret_key=api.creds.secret_key,
        method="POST",
        path=QUERY,
        headers=dict(request.headers),
        body=QUERY_BODY,
        timestamp=signing.format_timestamp(api.rt.clock()),
        signed_headers=["content-length", "content-type", "host", "locale"],
    )
    assert "locale" in request.headers["Authorization"].split("/")[3]
    assert _same_text(api.http.send(request).json()) == "成功"


def test_unknown_path_in_chinese(api: Api) -> None:
    request = signed(api.http, api.creds, "GET", f"{BASE}/no/such/path", content_type=None)
    plain = api.http.send(request).json()
    request = signed(api.http, api.creds, "GET", f"{BASE}/no/such/path", content_type=None)
    request.headers["locale"] = "zh_CN"
    response = api.http.send(request)
    assert response.status_code == 404
    assert _same_text(response.json()) == "接口不存在"
    assert _same_text(plain) == "No such interface."
