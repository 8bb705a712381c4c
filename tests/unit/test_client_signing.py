"""Tests for the signed httpx client (openisales.client)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from openisales.auth.signing import parse_authorization, verify
from openisales.client import AuthV2, ISalesClient, ISalesHTTPError
from openisales.client.api import ISalesResponseError

AK = "client-ak"
SK = "client-sk"
BASE = "https://isales.example:8443"
ROOT = "/rest/isales/v1/openapi/campaigns/7"
OK = {"resultCode": "0200000", "resultDesc": "success", "returnCode": "0200000"}


class Recorder:
    """A MockTransport handler that keeps every request and answers with a fixed response."""

    def __init__(self, response: Callable[[httpx.Request], httpx.Response] | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self._response = response or (lambda _req: httpx.Response(200, json=OK))

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        return self._response(request)

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]


def _verifies(request: httpx.Request, secret_key: str = SK) -> bool:
    header = parse_authorization(request.headers["Authorization"])
    return verify(
        header,
        secret_key=secret_key,
        method=request.method,
        path=request.url.raw_path.split(b"?", 1)[0].decode("ascii"),
        query=request.url.params.multi_items(),
        headers=dict(request.headers.items()),
        body=request.content,
    )


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def client(recorder: Recorder) -> Iterator[ISalesClient]:
    with ISalesClient(BASE, AK, SK, 7, transport=httpx.MockTransport(recorder)) as c:
        yield c


def _body(request: httpx.Request) -> Any:
    return json.loads(request.content)


# -- AuthV2 on its own ----------------------------------------------------------------------------


def test_auth_signs_final_request_with_injected_clock() -> None:
    recorder = Recorder()
    clock = lambda: datetime(2026, 11, 27, 8, 0, 0, 5000, tzinfo=UTC)  # noqa: E731
    with httpx.Client(
        auth=AuthV2(AK, SK, clock=clock), transport=httpx.MockTransport(recorder)
    ) as http:
        http.post("https://h.example:8443/a/b%20c", params={"q": "é", "a": "1"}, json={"k": "v"})
    request = recorder.last
    header = parse_authorization(request.headers["Authorization"])
    assert header.access_key == AK
    assert header.timestamp == "2026-11-27T08:00:00.005Z"
    assert header.signed_headers == ("content-length", "content-type", "host")
    assert request.headers["Content-Type"] == "application/json; charset=UTF-8"
    assert request.headers["Host"] == "h.example:8443"
    assert _verifies(request)
    # The raw path (percent-encoded as on the wire) is what was signed.
    assert not verify(
        header,
        secret_key=SK,
        method="POST",
        path="/a/b c",
        query=request.url.params.multi_items(),
        headers=dict(request.headers.items()),
        body=request.content,
    )
    assert not _verifies(request, secret_key="other")


def test_auth_base64_variant() -> None:
    recorder = Recorder()
    with httpx.Client(
        auth=AuthV2(AK, SK, variant="base64"), transport=httpx.MockTransport(recorder)
    ) as http:
        http.get("https://h.example/x")
    header = parse_authorization(recorder.last.headers["Authorization"])
    assert header.variant == "base64"
    assert header.signed_headers == ("host",)
    assert _verifies(recorder.last)


def test_auth_uses_current_utc_time_by_default() -> None:
    recorder = Recorder()
    before = datetime.now(UTC).replace(microsecond=0)
    with httpx.Client(auth=AuthV2(AK, SK), transport=httpx.MockTransport(recorder)) as http:
        http.get("https://h.example/x")
    stamp = parse_authorization(recorder.last.headers["Authorization"]).timestamp
    signed_at = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    assert before <= signed_at <= datetime.now(UTC)


# -- ISalesClient ----------------------------------------------------------------------------------


def test_call_path_body_and_signature(client: ISalesClient, recorder: Recorder) -> None:
    envelope = client.upload_file_server(100, "srv-1", "demo.xlsx", file_path="/isales/upload")
    assert envelope == OK
    request = recorder.last
    assert request.method == "POST"
    assert request.url.path == f"{ROOT}/calldatafile/uploadFileServer/100"
    assert _body(request) == {
        "serverId": "srv-1",
        "filePath": "/isales/upload",
        "fileName": "demo.xlsx",
    }
    assert request.headers["Content-Type"] == "application/json; charset=UTF-8"
    assert request.headers["Content-Length"] == str(len(request.content))
    assert _verifies(request)


def test_signature_does_not_verify_a_tampered_request(
    client: ISalesClient, recorder: Recorder
) -> None:
    client.query_import_tasks("100", import_task_ids=["t1"])
    request = recorder.last
    assert _verifies(request)
    header = parse_authorization(request.headers["Authorization"])
    common: dict[str, Any] = {
        "secret_key": SK,
        "method": request.method,
        "query": (),
        "headers": dict(request.headers.items()),
    }
    assert not verify(header, path=request.url.path, body=request.content + b" ", **common)
    assert not verify(header, path=f"{ROOT}/other", body=request.content, **common)


def test_non_ascii_json_is_utf8_and_signed(client: ISalesClient, recorder: Recorder) -> None:
    client.create_campaign(name="外呼活动", maxCount=3)
    request = recorder.last
    assert request.url.path == ROOT
    assert "外呼活动".encode() in request.content
    assert _body(request) == {"name": "外呼活动", "maxCount": 3}
    assert _verifies(request)


def test_query_params_are_signed(client: ISalesClient, recorder: Recorder) -> None:
    client.list_campaigns(offset=0, limit=10, name="a b&c", status=None)
    request = recorder.last
    assert request.method == "GET"
    assert request.url.path == ROOT
    assert request.url.params.multi_items() == [("offset", "0"), ("limit", "10"), ("name", "a b&c")]
    assert _verifies(request)
    header = parse_authorization(request.headers["Authorization"])
    assert not verify(
        header,
        secret_key=SK,
        method="GET",
        path=request.url.path,
        query=[("offset", "0"), ("limit", "20"), ("name", "a b&c")],
        headers=dict(request.headers.items()),
        body=request.content,
    )


@pytest.mark.parametrize(
    ("invoke", "method", "path", "body"),
    [
        (
            lambda c: c.add_server("isales", "pw-123456", "10.0.0.1", 22, "/home/sftp"),
            "POST",
            "/file/addServer",
            {
                "userName": "isales",
                "serverPwd": "pw-123456",
                "serverInfo": {"ip": "10.0.0.1", "port": 22, "filePath": "/home/sftp"},
            },
        ),
        (
            lambda c: c.query_servers(offset=100, limit=50),
            "POST",
            "/file/queryServer",
            {"offset": 100, "limit": 50},
        ),
        (
            lambda c: c.update_server("s1", "isales", "10.0.0.2", "22", "/home/sftp"),
            "POST",
            "/file/s1/updateServer",
            {
                "userName": "isales",
                "serverInfo": {"ip": "10.0.0.2", "port": "22", "filePath": "/home/sftp"},
            },
        ),
        (
            lambda c: c.update_server("s1", "u", "10.0.0.2", 22, "/p", password="new-pass-1"),
            "POST",
            "/file/s1/updateServer",
            {
                "userName": "u",
                "serverPwd": "new-pass-1",
                "serverInfo": {"ip": "10.0.0.2", "port": 22, "filePath": "/p"},
            },
        ),
        (lambda c: c.delete_server("s1"), "POST", "/file/s1/deleteServer", None),
        (lambda c: c.get_campaign(5), "GET", "/5", None),
        (lambda c: c.modify_campaign(5, name="x"), "PUT", "/5", {"name": "x"}),
        (lambda c: c.delete_campaign(5), "DELETE", "/5", None),
        (lambda c: c.pause_campaign(5), "PUT", "/5/pause", None),
        (lambda c: c.resume_campaign(5), "PUT", "/5/resume", None),
        (
            lambda c: c.upload_file_server("9", "srv", "f.xlsx", hour=3, minute=0),
            "POST",
            "/calldatafile/uploadFileServer/9",
            {"serverId": "srv", "fileName": "f.xlsx", "hour": 3, "minute": 0},
        ),
        (
            lambda c: c.query_import_tasks(9),
            "POST",
            "/calldatafile/queryDataImportTask/9",
            {"offset": 0, "limit": 100},
        ),
    ],
)
def test_convenience_methods(
    client: ISalesClient,
    recorder: Recorder,
    invoke: Callable[[ISalesClient], dict[str, Any]],
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    assert invoke(client) == OK
    request = recorder.last
    assert request.method == method
    assert request.url.path == ROOT + path
    if body is None:
        assert request.content == b""
    else:
        assert _body(request) == body
    assert _verifies(request)


def test_path_ids_are_escaped(client: ISalesClient, recorder: Recorder) -> None:
    client.delete_server("../x?y")
    assert recorder.last.url.raw_path == f"{ROOT}/file/..%2Fx%3Fy/deleteServer".encode()
    assert recorder.last.url.params.multi_items() == []
    assert _verifies(recorder.last)


def test_version_and_base_path(recorder: Recorder) -> None:
    transport = httpx.MockTransport(recorder)
    with ISalesClient(BASE + "/prefix", AK, SK, 12, transport=transport) as c:
        c.call("POST", "/x", json={}, version="v2")
    assert recorder.last.url.path == "/prefix/rest/isales/v2/openapi/campaigns/12/x"
    assert _verifies(recorder.last)


def test_call_rejects_relative_path(client: ISalesClient) -> None:
    with pytest.raises(ValueError):
        client.call("GET", "x")


# -- envelopes and errors -------------------------------------------------------------------------


def _client_answering(response: httpx.Response) -> tuple[ISalesClient, Recorder]:
    recorder = Recorder(lambda _req: response)
    return ISalesClient(BASE, AK, SK, 7, transport=httpx.MockTransport(recorder)), recorder


def test_business_error_is_returned_not_raised() -> None:
    failure = {"resultCode": "02000005", "description": "参数长度需要介于8和80之间"}
    client, _ = _client_answering(httpx.Response(200, json=failure))
    with client:
        assert client.add_server("u", "short", "1.2.3.4", 22, "/p") == failure


def test_http_error_carries_status_and_envelope() -> None:
    envelope = {"resultCode": "0200401", "resultDesc": "authentication failed"}
    client, _ = _client_answering(httpx.Response(401, json=envelope))
    with client, pytest.raises(ISalesHTTPError) as info:
        client.get_campaign(1)
    assert info.value.status_code == 401
    assert info.value.envelope == envelope
    assert "401" in str(info.value)


def test_http_error_with_non_json_body() -> None:
    client, _ = _client_answering(httpx.Response(502, text="<html>bad gateway</html>"))
    with client, pytest.raises(ISalesHTTPError) as info:
        client.query_servers()
    assert info.value.status_code == 502
    assert info.value.envelope is None
    assert info.value.body == b"<html>bad gateway</html>"


def test_success_without_json_object_raises() -> None:
    client, _ = _client_answering(httpx.Response(200, json=[1, 2]))
    with client, pytest.raises(ISalesResponseError):
        client.query_servers()


def test_download_failures_returns_bytes() -> None:
    payload = b"PK\x03\x04 fake xlsx"
    client, recorder = _client_answering(httpx.Response(200, content=payload))
    with client:
        assert client.download_failures("task-1", fmt="csv") == payload
    request = recorder.last
    assert request.method == "GET"
    assert request.url.path == f"{ROOT}/calldatafile/importTasks/task-1/failures"
    assert request.url.params.multi_items() == [("format", "csv")]
    assert _verifies(request)


def test_download_failures_http_error() -> None:
    client, _ = _client_answering(httpx.Response(404, json={"resultCode": "0200006"}))
    with client, pytest.raises(ISalesHTTPError) as info:
        client.download_failures("missing")
    assert info.value.status_code == 404
    assert info.value.envelope == {"resultCode": "0200006"}


def test_raw_request_does_not_raise() -> None:
    client, _ = _client_answering(httpx.Response(500, text="boom"))
    with client:
        response = client.request("GET", "/1")
    assert response.status_code == 500
    assert response.text == "boom"


def test_close_closes_http_client(recorder: Recorder) -> None:
    client = ISalesClient(BASE, AK, SK, 7, transport=httpx.MockTransport(recorder))
    client.close()
    with pytest.raises(RuntimeError):
        client.get_campaign(1)
