"""Tests for the auth-v2 request signature (openisales.auth.signing)."""

from __future__ import annotations

import base64
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from openisales.auth.signing import (
    AuthorizationHeader,
    SignatureFormatError,
    Variant,
    canonical_request,
    format_timestamp,
    normalize,
    parse_authorization,
    parse_timestamp,
    sign,
    verify,
)

AK = "AK0012TEST"
SK = "SK-secret-0123456789"
TS = "2026-11-27T08:00:00.000Z"
PATH = "/rest/isales/v1/openapi/campaigns/12/calldatafile/uploadFileServer/100"
BODY = (
    b'{"serverId":"164690088271159234793429225848",'
    b'"filePath":"/isales/upload","fileName":"demogl50w.xlsx"}'
)
HEADERS = {
    "Host": "127.0.0.1:8443",
    "Content-Type": "application/json; charset=UTF-8",
    "Content-Length": "101",
}
EXPECTED = (
    "auth-v2/AK0012TEST/2026-11-27T08:00:00.000Z/content-length;content-type;host/"
    "be799e9b942f9d2f7ef3102a2b27bf2298567ac48b7142c261bd76b723834f2b"
)


def _sign(variant: Variant = "hex", **overrides: Any) -> str:
    kwargs: dict[str, Any] = {
        "access_key": AK,
        "secret_key": SK,
        "method": "POST",
        "path": PATH,
        "query": (),
        "headers": HEADERS,
        "body": BODY,
        "timestamp": TS,
        "variant": variant,
    }
    kwargs.update(overrides)
    return sign(**kwargs)


def _verify(value: str, **overrides: Any) -> bool:
    kwargs: dict[str, Any] = {
        "secret_key": SK,
        "method": "POST",
        "path": PATH,
        "query": (),
        "headers": HEADERS,
        "body": BODY,
    }
    kwargs.update(overrides)
    return verify(parse_authorization(value), **kwargs)


# -- the reference vector ---------------------------------------------------------------------


def test_reference_vector() -> None:
    assert len(BODY) == 101
    assert _sign() == EXPECTED


def test_reference_vector_header_names_are_case_insensitive() -> None:
    lowered = {k.lower(): v for k, v in HEADERS.items()}
    assert _sign(headers=lowered) == EXPECTED


def test_reference_vector_canonical_request_layout() -> None:
    text = canonical_request(
        "POST", PATH, (), HEADERS, ["host", "content-type", "content-length"], BODY
    )
    lines = text.split("\n")
    assert lines[:4] == ["POST", PATH, "", "content-length;content-type;host"]
    assert lines[4:7] == [
        "content-length:101",
        "content-type:application%2Fjson%3B%20charset%3DUTF-8",
        "host:127.0.0.1%3A8443",
    ]
    assert lines[7].startswith("%7B%22serverId%22%3A%22")
    assert len(lines) == 8


def test_base64_variant_layout_has_one_blank_line_before_body() -> None:
    text = canonical_request("POST", PATH, (), HEADERS, ["host"], b"x", variant="base64")
    assert text == f"POST\n{PATH}\n\nhost\nhost:127.0.0.1%3A8443\n\nx"
    hex_text = canonical_request("POST", PATH, (), HEADERS, ["host"], b"x")
    assert hex_text == f"POST\n{PATH}\n\nhost\nhost:127.0.0.1%3A8443\nx"


# -- round trips and tampering ------------------------------------------------------------------


@pytest.mark.parametrize("variant", ["hex", "base64"])
def test_round_trip(variant: Variant) -> None:
    value = _sign(variant)
    header = parse_authorization(value)
    assert header.variant == variant
    assert _verify(value)


def test_base64_signature_form() -> None:
    signature = parse_authorization(_sign("base64")).signature
    assert len(base64.b64decode(signature, validate=True)) == 32
    assert re.fullmatch(r"[0-9a-f]{64}", parse_authorization(_sign("hex")).signature)


@pytest.mark.parametrize("variant", ["hex", "base64"])
@pytest.mark.parametrize(
    "overrides",
    [
        {"body": BODY[:-2] + b"X}"},  # one byte changed
        {"body": BODY + b" "},
        {"path": PATH.replace("/100", "/101")},
        {"method": "PUT"},
        {"query": [("a", "1")]},
        {"secret_key": SK + "x"},
        {"headers": {**HEADERS, "Host": "127.0.0.1:8444"}},
        {"headers": {"Host": HEADERS["Host"], "Content-Type": HEADERS["Content-Type"]}},
    ],
    ids=["body-byte", "body-extra", "path", "method", "query", "sk", "host", "missing-header"],
)
def test_tampering_fails(variant: Variant, overrides: dict[str, Any]) -> None:
    value = _sign(variant)
    assert _verify(value)
    assert not _verify(value, **overrides)


def test_signed_query_must_match() -> None:
    query = [("b", "2"), ("a", "1")]
    value = _sign(query=query)
    assert _verify(value, query=list(reversed(query)))  # order does not matter
    assert not _verify(value, query=[("a", "1"), ("b", "3")])
    assert not _verify(value, query=[("a", "1")])


def test_unsigned_headers_do_not_matter_and_values_are_trimmed() -> None:
    value = _sign()
    extra = {**HEADERS, "X-Trace": "abc", "Host": "  127.0.0.1:8443\t"}
    assert _verify(value, headers=extra)


def test_timestamp_is_signed() -> None:
    header = parse_authorization(_sign())
    moved = replace(header, timestamp="2026-11-27T08:00:00.001Z")
    assert not verify(
        moved, secret_key=SK, method="POST", path=PATH, query=(), headers=HEADERS, body=BODY
    )


def test_signature_with_flipped_case_is_rejected() -> None:
    header = parse_authorization(_sign("base64"))
    flipped = replace(header, signature=header.signature.swapcase())
    assert not verify(
        flipped, secret_key=SK, method="POST", path=PATH, query=(), headers=HEADERS, body=BODY
    )


def test_default_signed_headers_only_those_present() -> None:
    value = _sign(method="GET", headers={"Host": "h"}, body=b"")
    assert parse_authorization(value).signed_headers == ("host",)
    assert _verify(value, method="GET", headers={"host": "h"}, body=b"")


def test_explicit_signed_headers() -> None:
    headers = {**HEADERS, "X-Tenant": "t1"}
    value = _sign(headers=headers, signed_headers=["X-Tenant", "Host"])
    assert parse_authorization(value).signed_headers == ("host", "x-tenant")
    assert _verify(value, headers=headers)
    assert not _verify(value, headers={**headers, "X-Tenant": "t2"})


@pytest.mark.parametrize(
    "overrides",
    [
        {"headers": {"Content-Length": "1"}},  # no Host
        {"signed_headers": ["content-length"]},  # host not signed
        {"signed_headers": ["host", "x-absent"]},
        {"access_key": "a/b"},
        {"access_key": ""},
    ],
)
def test_sign_rejects_unusable_input(overrides: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        _sign(**overrides)


def test_sign_rejects_bad_timestamp() -> None:
    with pytest.raises(SignatureFormatError):
        _sign(timestamp="2026-11-27 08:00:00")


def test_canonical_request_missing_header_raises_key_error() -> None:
    with pytest.raises(KeyError):
        canonical_request("GET", "/", (), {"Host": "h"}, ["host", "content-type"], b"")


def test_body_that_is_not_utf8_is_still_signed_bytewise() -> None:
    body = b"\xff\xfe"
    value = _sign(body=body)
    assert _verify(value, body=body)
    assert not _verify(value, body=b"\xff\xfd")
    text = canonical_request("POST", "/", (), {"Host": "h"}, ["host"], body)
    assert text.endswith("\n%FF%FE")


# -- normalize and query canonicalisation --------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "encoded"),
    [
        ("AZaz09-._~", "AZaz09-._~"),
        ("a b", "a%20b"),
        ("/?#[]@!$&'()*+,;=:%", "%2F%3F%23%5B%5D%40%21%24%26%27%28%29%2A%2B%2C%3B%3D%3A%25"),
        ("é", "%C3%A9"),
        ("外呼", "%E5%A4%96%E5%91%BC"),
        ("😀", "%F0%9F%98%80"),
        ("", ""),
    ],
)
def test_normalize(raw: str, encoded: str) -> None:
    assert normalize(raw) == encoded


def test_query_canonicalisation_sorts_encoded_pairs() -> None:
    query = [("b", "x y"), ("a", "é"), ("a-b", "1"), ("a", "0")]
    text = canonical_request("GET", "/p", query, {"Host": "h"}, ["host"], b"")
    # "a-b=1" sorts before "a=0" because '-' (0x2D) < '=' (0x3D) in the encoded strings.
    # Likewise "a=%C3%A9" sorts before "a=0" because '%' (0x25) < '0' (0x30).
    assert text.split("\n")[2] == "a-b=1&a=%C3%A9&a=0&b=x%20y"


def test_query_line_present_when_empty() -> None:
    text = canonical_request("GET", "/p", (), {"Host": "h"}, ["host"], b"")
    assert text == "GET\n/p\n\nhost\nhost:h\n"


def test_query_encoding_of_reserved_chars() -> None:
    text = canonical_request("GET", "/p", [("k&=", "v/+")], {"Host": "h"}, ["host"], b"")
    assert text.split("\n")[2] == "k%26%3D=v%2F%2B"


# -- timestamps ----------------------------------------------------------------------------------


def test_format_timestamp() -> None:
    moment = datetime(2026, 11, 27, 9, 0, 0, 123999, tzinfo=timezone(timedelta(hours=1)))
    assert format_timestamp(moment) == "2026-11-27T08:00:00.123Z"
    assert format_timestamp(datetime(999, 1, 2, tzinfo=UTC)) == "0999-01-02T00:00:00.000Z"


def test_format_timestamp_rejects_naive() -> None:
    with pytest.raises(ValueError):
        format_timestamp(datetime(2026, 1, 1))


def test_parse_timestamp() -> None:
    parsed = parse_timestamp("2026-11-27T08:00:00.123Z")
    assert parsed == datetime(2026, 11, 27, 8, 0, 0, 123000, tzinfo=UTC)
    assert parsed.utcoffset() == timedelta(0)
    assert format_timestamp(parsed) == "2026-11-27T08:00:00.123Z"


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-27T08:00:00Z",
        "2026-11-27T08:00:00.000",
        "2026-11-27T08:00:00.000+00:00",
        "2026-11-27T08:00:00.0000Z",
        "2026-11-27 08:00:00.000Z",
        "2026-13-27T08:00:00.000Z",
        "2026-02-30T08:00:00.000Z",
        "2026-11-27T24:00:00.000Z",
        "２０２６-11-27T08:00:00.000Z",
        "",
    ],
)
def test_parse_timestamp_rejects(text: str) -> None:
    with pytest.raises(SignatureFormatError):
        parse_timestamp(text)


# -- parse_authorization --------------------------------------------------------------------------


def test_parse_authorization_fields() -> None:
    header = parse_authorization(EXPECTED)
    assert header == AuthorizationHeader(
        access_key=AK,
        timestamp=TS,
        signed_headers=("content-length", "content-type", "host"),
        signature="be799e9b942f9d2f7ef3102a2b27bf2298567ac48b7142c261bd76b723834f2b",
    )
    assert header.prefix == EXPECTED.rsplit("/", 1)[0]


def test_parse_authorization_keeps_slashes_in_base64_signature() -> None:
    # Find a Base64 signature containing '/', so that the split really is exercised.
    for n in range(200):
        value = _sign("base64", body=BODY + b" " * n)
        if "/" in parse_authorization(value).signature:
            assert _verify(value, body=BODY + b" " * n)
            assert parse_authorization(value).signature == value.split("/", 4)[4]
            break
    else:  # pragma: no cover - 200 tries without '/' is astronomically unlikely
        pytest.fail("no Base64 signature containing '/' found")


SIG = "be799e9b942f9d2f7ef3102a2b27bf2298567ac48b7142c261bd76b723834f2b"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (f"auth-v2/{AK}/{TS}/host", "parts"),
        (f"auth-v2/{AK}/{TS}", "parts"),
        ("auth-v2", "parts"),
        ("", "parts"),
        (f"auth-v1/{AK}/{TS}/host/{SIG}", "scheme"),
        (f"AUTH-V2/{AK}/{TS}/host/{SIG}", "scheme"),
        (f"auth-v2//{TS}/host/{SIG}", "access key"),
        (f"auth-v2/{AK}/{TS}/host/", "signature is empty"),
        (f"auth-v2/{AK}/{TS}/content-length;content-type/{SIG}", "host"),
        (f"auth-v2/{AK}/{TS}/host;content-type/{SIG}", "sorted"),
        (f"auth-v2/{AK}/{TS}/host;host/{SIG}", "sorted"),
        (f"auth-v2/{AK}/{TS}/content-type;Host/{SIG}", "lower-case"),
        (f"auth-v2/{AK}/{TS}/;host/{SIG}", "empty header name"),
        (f"auth-v2/{AK}/{TS}//{SIG}", "empty header name"),
        (f"auth-v2/{AK}/2026-11-27T08:00:00Z/host/{SIG}", "timestamp"),
        (f"auth-v2/{AK}/not-a-time/host/{SIG}", "timestamp"),
        (f"auth-v2/{AK}/{TS}/host/{SIG.upper()}", "neither"),
        (f"auth-v2/{AK}/{TS}/host/{SIG[:-1]}", "neither"),
        (f"auth-v2/{AK}/{TS}/host/abc/def", "neither"),
    ],
)
def test_parse_authorization_rejects(value: str, message: str) -> None:
    with pytest.raises(SignatureFormatError, match=message):
        parse_authorization(value)


def test_signature_format_error_is_value_error() -> None:
    assert issubclass(SignatureFormatError, ValueError)
