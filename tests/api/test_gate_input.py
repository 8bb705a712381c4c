"""The signed-request gate on odd input: path ids that are not ASCII digits, repeated headers."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from openisales.auth import signing
from tests.api.test_auth import (
    BASE,
    JSON_TYPE,
    QUERY_BODY,
    assert_failure,
    assert_success,
    signed,
)
from tests.conftest import Api

#: Path ids that are not 1 to 10 ASCII digits: a superscript two (isdigit() but not int()),
#: Arabic-Indic and full-width digits, 5,000 digits (over int()'s limit), sign, space, decimals.
NOT_AN_ID = [
    "%C2%B2",
    "%D9%A1%D9%A2",
    "%EF%BC%91%EF%BC%92",
    "1" * 5000,
    "+12",
    "%2012",
    "12.0",
    "1_2",
]


@pytest.mark.parametrize("vdn", NOT_AN_ID)
def test_vdn_that_is_not_ascii_digits_is_a_type_error(api: Api, vdn: str) -> None:
    path = f"/rest/isales/v1/openapi/campaigns/{vdn}/file/queryServer"
    request = signed(api.http, api.creds, "POST", path, body=QUERY_BODY)
    body = assert_failure(api.http.send(request), 200, "02000006")
    assert len(body["resultDesc"]) < 200, body  # the 5,000 digits are not echoed back


# A campaignId is a String (seed Table 4): text that is not a campaign's digits names no
# campaign, answered 0200007 as a missing campaign is (tests/api/test_campaign_id_text.py).
@pytest.mark.parametrize("campaign", NOT_AN_ID)
def test_campaign_id_that_is_not_ascii_digits_names_no_campaign(api: Api, campaign: str) -> None:
    path = f"{BASE}/{campaign}/pause"
    request = signed(api.http, api.creds, "PUT", path, content_type=None)
    body = assert_failure(api.http.send(request), 200, "0200007")
    assert "does not exist" in body["resultDesc"] and len(body["resultDesc"]) < 200, body


@pytest.mark.parametrize("campaign", NOT_AN_ID)
def test_the_dialer_interface_parses_campaign_ids_by_the_same_rule(api: Api, campaign: str) -> None:
    path = f"{BASE}/dialer/{campaign}/lease"
    body = b'{"dialerId": "d1", "limit": 1, "leaseSeconds": 60}'
    request = signed(api.http, api.creds, "POST", path, body=body)
    answer = assert_failure(api.http.send(request), 200, "0200007")
    assert "does not exist" in answer["resultDesc"], answer


def test_campaign_id_zero_names_no_campaign(api: Api) -> None:
    request = signed(api.http, api.creds, "PUT", f"{BASE}/0/pause", content_type=None)
    assert_failure(api.http.send(request), 200, "0200007")


# -- repeated headers --------------------------------------------------------------------------


def _with_repeated(api: Api, name: str, used: str, other: str) -> httpx.Request:
    """A queryServer call signed over ``used`` as header ``name``, sent with ``other`` after it.

    The gate used to check the signature against the last copy while the application read the
    first: a request signed over one value could be served with another.
    """
    request = signed(api.http, api.creds, "POST", f"{BASE}/file/queryServer", body=QUERY_BODY)
    headers = [(k, v) for k, v in request.headers.raw if k.lower() != b"authorization"]
    signed_values = {k.decode().lower(): v.decode() for k, v in headers}
    signed_values[name] = other  # what the old gate read: the last copy
    at = next(i for i, (k, _) in enumerate(headers) if k.decode().lower() == name)
    headers[at] = (name.encode(), used.encode())
    headers.insert(at + 1, (name.encode(), other.encode()))
    authorization = signing.sign(
        access_key=api.creds.access_key,
        secret_key=api.creds.secret_key,
        method="POST",
        path=request.url.raw_path.decode("ascii"),
        query=[],
        headers=signed_values,
        body=QUERY_BODY,
        timestamp=signing.format_timestamp(datetime.now(UTC)),
    )
    headers.append((b"authorization", authorization.encode()))
    return httpx.Request("POST", request.url, headers=headers, content=QUERY_BODY)


@pytest.mark.parametrize(
    ("name", "used", "other"),
    [
        ("content-type", "text/plain", JSON_TYPE),
        ("host", "elsewhere.example", "testserver"),
        ("content-length", str(len(QUERY_BODY)), str(len(QUERY_BODY))),
    ],
)
def test_a_repeated_signed_header_is_refused(api: Api, name: str, used: str, other: str) -> None:
    body = assert_failure(api.http.send(_with_repeated(api, name, used, other)), 401, "0200101")
    assert name in body["resultDesc"] and "more than once" in body["resultDesc"], body


def test_a_repeated_authorization_header_is_refused(api: Api) -> None:
    request = signed(api.http, api.creds, "POST", f"{BASE}/file/queryServer", body=QUERY_BODY)
    headers = [*request.headers.raw, (b"Authorization", request.headers["authorization"].encode())]
    again = httpx.Request("POST", request.url, headers=headers, content=QUERY_BODY)
    body = assert_failure(api.http.send(again), 401, "0200101")
    assert "authorization" in body["resultDesc"], body


def test_a_repeated_unsigned_header_is_no_matter(api: Api) -> None:
    request = signed(api.http, api.creds, "POST", f"{BASE}/file/queryServer", body=QUERY_BODY)
    headers = [*request.headers.raw, (b"X-Trace", b"one"), (b"X-Trace", b"two")]
    assert_success(
        api.http.send(httpx.Request("POST", request.url, headers=headers, content=QUERY_BODY))
    )
