"""Idempotent replay: an identical signed request sent again is answered with the first answer,
not carried out again (docs/api.md, the signature; docs/reliability.md)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import func, select, update

from openisales.api.app import create_app
from openisales.client import ISalesClient
from openisales.services import calldata as calldata_service
from openisales.services import tenants
from openisales.services.runtime import Runtime
from openisales.storage.models import CallData, SeenSignature
from openisales.storage.replay import ReplayState
from tests.api.test_auth import BASE, assert_failure, signed
from tests.conftest import Api, Clock
from tests.imports.conftest import create_campaign

RECORDS = {"callDataList": [{"called": "13800000001"}, {"called": "13800000002"}]}


def _body(data: Any) -> bytes:
    return json.dumps(data).encode()


def _records(rt: Runtime) -> int:
    with rt.db.read() as session:
        return int(session.scalar(select(func.count()).select_from(CallData)) or 0)


def _remembered(rt: Runtime) -> list[tuple[int, bool]]:
    """(state, has an answer) of every remembered signature."""
    with rt.side.read() as session:
        rows = session.execute(select(SeenSignature.state, SeenSignature.answer)).all()
        return [(state, answer is not None) for state, answer in rows]


@pytest.fixture
def campaign(isales: ISalesClient) -> int:
    return create_campaign(isales)


def test_the_replay_is_the_first_answer_and_adds_nothing(
    api: Api, campaign: int, clock: Clock
) -> None:
    request = signed(
        api.http, api.creds, "POST", f"{BASE}/calldata/{campaign}", body=_body(RECORDS), clock=clock
    )
    first = api.http.send(request)
    assert first.json()["resultCode"] == "0200000", first.text
    clock.advance(minutes=5)  # later, but inside the clock window
    for _ in range(2):
        again = api.http.send(request)
        assert (again.status_code, again.content) == (first.status_code, first.content)
        assert again.headers["content-type"] == first.headers["content-type"]
    assert _records(api.rt) == 2
    assert _remembered(api.rt)[-1] == (ReplayState.ANSWERED, True)


def test_a_refusal_by_the_gate_after_the_signature_is_replayed_too(api: Api) -> None:
    # Signed for VDN 13 with tenant 12's key: 403 after the signature check.
    path = "/rest/isales/v1/openapi/campaigns/13/file/queryServer"
    request = signed(api.http, api.creds, "POST", path, body=b'{"offset":0,"limit":1}')
    first = assert_failure(api.http.send(request), 403, "0200103")
    assert assert_failure(api.http.send(request), 403, "0200103") == first


def test_other_bytes_under_the_same_signature_stay_401(api: Api, campaign: int) -> None:
    request = signed(
        api.http, api.creds, "POST", f"{BASE}/calldata/{campaign}", body=_body(RECORDS)
    )
    assert api.http.send(request).json()["resultCode"] == "0200000"
    other = _body(RECORDS).replace(b"13800000001", b"13800000009")  # same length
    forged = httpx.Request("POST", request.url, headers=request.headers, content=other)
    body = assert_failure(api.http.send(forged), 401, "0200101")
    assert "signature does not match" in body["resultDesc"]
    assert _records(api.rt) == 2


def test_a_retry_while_the_first_is_still_processed_is_409(api: Api, campaign: int) -> None:
    request = signed(
        api.http, api.creds, "POST", f"{BASE}/calldata/{campaign}", body=_body(RECORDS)
    )
    first = api.http.send(request)
    # As if the first were still being carried out: the state it has until its answer is kept.
    with api.rt.side.transaction() as session:
        session.execute(update(SeenSignature).values(state=ReplayState.PROCESSING))
    body = assert_failure(api.http.send(request), 409, "0200118")
    assert "still being processed" in body["resultDesc"]
    assert _records(api.rt) == 2
    with api.rt.side.transaction() as session:
        session.execute(update(SeenSignature).values(state=ReplayState.ANSWERED))
    assert api.http.send(request).content == first.content


def test_an_answer_over_64_kib_is_not_kept_and_its_replay_is_401(api: Api, campaign: int) -> None:
    # The details answer returns skillParam as given: 70,000 characters make it too large.
    big = {"skillParam": {"skillName": "s" * 70_000}}
    request = signed(api.http, api.creds, "PUT", f"{BASE}/{campaign}", body=_body(big))
    first = api.http.send(request)
    assert first.json()["resultCode"] == "0200000" and len(first.content) > 64 * 1024
    body = assert_failure(api.http.send(request), 401, "0200101")
    assert "replayed request" in body["resultDesc"] and "not kept" in body["resultDesc"]
    assert (ReplayState.NOT_KEPT, False) in _remembered(api.rt)


def test_the_purge_removes_answers_with_their_signatures(
    api: Api, campaign: int, clock: Clock
) -> None:
    request = signed(
        api.http, api.creds, "POST", f"{BASE}/calldata/{campaign}", body=_body(RECORDS), clock=clock
    )
    first = api.http.send(request)
    kept = len(_remembered(api.rt))
    clock.advance(minutes=10)
    assert api.rt.replay.forget_expired(clock.now) == 0  # inside the window: kept, answer too
    assert api.http.send(request).content == first.content
    clock.advance(minutes=10)  # past the 15-minute window of the signing time
    assert api.rt.replay.forget_expired(clock.now) == kept
    assert _remembered(api.rt) == []
    body = assert_failure(api.http.send(request), 401, "0200101")
    assert "window" in body["resultDesc"]
    assert _records(api.rt) == 2


# -- a real retry: the service on loopback, behind a proxy that loses the first answer ----------


@dataclass
class LossyProxy:
    """Relays HTTP/1.1 requests to ``upstream``; the first ``lose`` answers never reach the
    client (the connection is closed instead), as when a network drops a reply."""

    upstream: int
    lose: int = 1
    requests: list[bytes] = field(default_factory=list)
    lost: list[bytes] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with client:
                self._relay(client)

    def _relay(self, client: socket.socket) -> None:
        request = _read_message(client)
        if not request:
            return
        self.requests.append(request)
        with socket.create_connection(("127.0.0.1", self.upstream)) as upstream:
            upstream.sendall(request)
            answer = _read_message(upstream)
        if self.lose > 0:
            self.lose -= 1
            self.lost.append(answer)
            return  # closed without an answer
        client.sendall(answer)

    def close(self) -> None:
        self._listener.close()


def _read_message(sock: socket.socket) -> bytes:
    """One HTTP/1.1 message with a Content-Length body (all this API sends and answers)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(rest) < length:
        rest += sock.recv(65536)
    return head + b"\r\n\r\n" + rest


@pytest.fixture
def served(rt: Runtime) -> Iterator[int]:
    """The app on a loopback port, in this process: its runtime is the test's (both databases)."""
    config = uvicorn.Config(create_app(rt), host="127.0.0.1", port=0, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        thread.join(0.01)
        assert thread.is_alive(), "the server did not start"
    yield int(server.servers[0].sockets[0].getsockname()[1])
    server.should_exit = True
    thread.join(10)


def test_a_retry_of_the_signed_client_after_a_lost_answer(rt: Runtime, served: int) -> None:
    with rt.db.transaction() as session:
        creds = tenants.create(session, rt.box, 12, "UTC", rt.clock())
    proxy = LossyProxy(served)
    try:
        base = f"http://127.0.0.1:{proxy.port}"
        keys = (creds.access_key, creds.secret_key, 12)
        with ISalesClient(f"http://127.0.0.1:{served}", *keys, clock=rt.clock) as direct:
            campaign = create_campaign(direct)
        with ISalesClient(base, *keys, clock=rt.clock, retries=2) as client:
            answer = client.call("POST", f"/calldata/{campaign}", json=RECORDS)
    finally:
        proxy.close()
    assert answer["resultCode"] == "0200000", answer
    first, retry = proxy.requests
    assert retry == first  # the same bytes, the same signature: an identical request
    assert json.loads(proxy.lost[0].partition(b"\r\n\r\n")[2]) == answer  # the lost answer
    assert _records(rt) == 2  # carried out once


def test_without_retries_the_lost_answer_is_an_error(rt: Runtime, served: int) -> None:
    with rt.db.transaction() as session:
        creds = tenants.create(session, rt.box, 12, "UTC", rt.clock())
    proxy = LossyProxy(served)
    try:
        keys = (creds.access_key, creds.secret_key, 12)
        client = ISalesClient(f"http://127.0.0.1:{proxy.port}", *keys, clock=rt.clock)
        with client, pytest.raises(httpx.RemoteProtocolError):
            client.query_servers()
    finally:
        proxy.close()
    assert len(proxy.requests) == 1


def test_an_unexpected_failure_is_the_first_answer_too(
    api: Api, campaign: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(calldata_service, "add", broken)
    request = signed(
        api.http, api.creds, "POST", f"{BASE}/calldata/{campaign}", body=_body(RECORDS)
    )
    first = assert_failure(api.http.send(request), 500, "0200199")
    monkeypatch.undo()  # the service works again; the replay is still not carried out
    assert assert_failure(api.http.send(request), 500, "0200199") == first
    assert _records(api.rt) == 0
