"""Slow clients: withheld or dribbled bodies and headers are cut off, idle connections closed."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from contextlib import suppress
from typing import Any

import pytest
from starlette.types import Message, Receive, Scope, Send

from openisales.api.middleware import SignedRequestMiddleware
from openisales.errors import ResultCode
from openisales.services.authentication import Admission, SignedRequest
from tests.transport.conftest import Service, answers, free_port

PATH = "/rest/isales/v1/openapi/campaigns/12/file/queryServer"
READ_TIMEOUT = 1.0
WAIT = 10.0  # bound on every wait for the server; far above READ_TIMEOUT


@pytest.fixture
def port(service: Service) -> Any:
    service.extra_env.update(
        OPENISALES_REQUEST_READ_TIMEOUT_SECONDS=str(READ_TIMEOUT),
        OPENISALES_KEEP_ALIVE_TIMEOUT_SECONDS="1",
    )
    number = free_port()
    with service.serve(
        "--port", str(number), "--no-worker", ready=answers(f"http://127.0.0.1:{number}")
    ):
        yield number


def _connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
    sock.settimeout(WAIT)
    return sock


def _read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (bounded by WAIT)."""
    data = b""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    else:
        pytest.fail("the server did not close the connection")
    return data


def _headers(length: int) -> bytes:
    return (
        f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: application/json; charset=UTF-8\r\nContent-Length: {length}\r\n\r\n"
    ).encode()


def _assert_408_envelope(answer: bytes) -> None:
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 "), answer
    assert b"connection: close" in head.lower()
    envelope = json.loads(body)
    assert envelope["resultCode"] == envelope["returnCode"] == ResultCode.REQUEST_TIMEOUT
    assert "did not arrive" in envelope["resultDesc"]


def test_withheld_body_gets_408(port: int) -> None:
    with _connect(port) as sock:
        started = time.monotonic()
        sock.sendall(_headers(100) + b'{"offset":')
        answer = _read_until_closed(sock)
        elapsed = time.monotonic() - started
    _assert_408_envelope(answer)
    assert READ_TIMEOUT * 0.9 <= elapsed < READ_TIMEOUT + 5


def test_dribbled_body_is_cut_off(port: int) -> None:
    body = b'{"offset":0,"limit":10}' + b" " * 200
    with _connect(port) as sock:
        sock.sendall(_headers(len(body)))
        started = time.monotonic()
        sent = 0
        sock.setblocking(False)
        answer = b""
        # One byte every 50 ms would take over 11 s; the server must answer long before.
        while sent < len(body) and time.monotonic() - started < WAIT:
            try:
                sock.send(body[sent : sent + 1])
                sent += 1
            except (BrokenPipeError, ConnectionResetError, BlockingIOError):
                break
            try:
                answer += sock.recv(65536)
                if answer:
                    break
            except BlockingIOError:
                pass
            time.sleep(0.05)
        sock.setblocking(True)
        sock.settimeout(WAIT)
        answer += _read_until_closed(sock)
        elapsed = time.monotonic() - started
    assert sent < len(body)
    _assert_408_envelope(answer)
    assert elapsed < READ_TIMEOUT + 5


def test_withheld_headers_are_cut_off(port: int) -> None:
    with _connect(port) as sock:
        started = time.monotonic()
        sock.sendall(b"POST " + PATH.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        answer = _read_until_closed(sock)
        elapsed = time.monotonic() - started
    envelope = _assert_envelope(answer, b"408", ResultCode.REQUEST_TIMEOUT)
    assert "headers did not arrive" in envelope["resultDesc"], envelope
    assert READ_TIMEOUT * 0.9 <= elapsed < READ_TIMEOUT + 5


def test_silent_connection_is_cut_off(port: int) -> None:
    with _connect(port) as sock:
        started = time.monotonic()
        _read_until_closed(sock)
        assert time.monotonic() - started < READ_TIMEOUT + 5


def test_oversized_headers_get_431(port: int) -> None:
    with _connect(port) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        try:
            for _ in range(20):
                sock.sendall(b"X-Filler: " + b"a" * 8000 + b"\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = _read_until_closed(sock)
    _assert_envelope(answer, b"431", ResultCode.HEADERS_TOO_LARGE)


def _assert_envelope(answer: bytes, status: bytes, code: str) -> dict[str, Any]:
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 " + status + b" "), answer[:300]
    assert b"content-type: application/json" in head.lower(), head
    envelope: dict[str, Any] = json.loads(body)
    assert set(envelope) == {"resultCode", "resultDesc", "returnCode", "returnDesc"}, envelope
    assert envelope["resultCode"] == envelope["returnCode"] == code, envelope
    return envelope


def test_a_huge_authorization_header_gets_431_with_the_envelope(port: int) -> None:
    request = (
        f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: auth-v2/".encode()
        + b"A" * (1024 * 1024)
        + b"\r\nContent-Length: 0\r\n\r\n"
    )
    with _connect(port) as sock:
        with suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(request)
        answer = _read_until_closed(sock)
    envelope = _assert_envelope(answer, b"431", ResultCode.HEADERS_TOO_LARGE)
    assert "65536 bytes" in envelope["resultDesc"], envelope


def test_idle_keep_alive_connection_is_closed(port: int) -> None:
    with _connect(port) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        started = time.monotonic()
        answer = _read_until_closed(sock)
        assert time.monotonic() - started < 1 + 5
    assert answer.startswith(b"HTTP/1.1 200 ")


def test_prompt_request_is_served(port: int) -> None:
    """The deadlines do not hurt a normal client: an unsigned call gets its 401 as usual."""
    body = b'{"offset":0,"limit":10}'
    with _connect(port) as sock:
        sock.sendall(_headers(len(body)) + body)
        head = sock.recv(65536)
    assert head.startswith(b"HTTP/1.1 401 ")


# -- the middleware in-process -----------------------------------------------------------------


async def test_middleware_answers_408_when_the_body_never_comes() -> None:
    authenticated: list[SignedRequest] = []
    reached: list[Scope] = []

    async def authenticate(request: SignedRequest) -> Admission:
        authenticated.append(request)
        return Admission(12)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        reached.append(scope)

    async def receive() -> Message:
        await asyncio.Event().wait()  # never set: the client sends nothing more
        raise AssertionError("unreachable")

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    middleware = SignedRequestMiddleware(
        app, authenticate=authenticate, max_body_bytes=1024, read_timeout=0.05
    )
    scope: Scope = {
        "type": "http",
        "method": "POST",
        "path": PATH,
        "raw_path": PATH.encode(),
        "query_string": b"",
        "headers": [(b"content-length", b"10"), (b"content-type", b"application/json")],
    }
    started = time.monotonic()
    await asyncio.wait_for(middleware(scope, receive, send), timeout=WAIT)
    assert time.monotonic() - started < 2
    assert not authenticated and not reached
    start, body = sent
    assert start["type"] == "http.response.start" and start["status"] == 408
    assert (b"connection", b"close") in start["headers"]
    envelope = json.loads(body["body"])
    assert envelope["resultCode"] == envelope["returnCode"] == ResultCode.REQUEST_TIMEOUT
    assert envelope["resultDesc"] == envelope["returnDesc"]
    assert "0.05 seconds" in envelope["resultDesc"]
