"""Signed-request gate for ``/rest/isales/``: body cap, auth-v2 signature, tenant, content type.

A pure ASGI middleware, because the signature covers the raw body: it must be read (within the
cap) and checked before any JSON parsing, so an unsigned request never reaches validation.

It also keeps the first answer of each signed mutating request (``Recorder``), so that the same
request sent again is answered with it instead of being carried out twice
(services.authentication).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

import anyio
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openisales.api.envelope import failure
from openisales.api.params import vdn_in_path
from openisales.errors import (
    BodyTooLarge,
    ForbiddenError,
    ISalesError,
    RequestTimeout,
    ResultCode,
    UnsupportedMediaType,
)
from openisales.services.authentication import ANSWER_MAX_BYTES, Admission, Answer, SignedRequest

ISALES_PREFIX = "/rest/isales/"
VDN_IN_PATH = re.compile(r"^/rest/isales/v\d+/openapi/campaigns/([^/]+)")
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

Authenticator = Callable[[SignedRequest], Awaitable[Admission]]
# Stores the first answer under the request's replay key; None: the answer is not kept.
AnswerRecorder = Callable[[str, Answer | None], Awaitable[None]]


async def _keep_nothing(_key: str, _answer: Answer | None) -> None:
    return None


class SignedRequestMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        authenticate: Authenticator,
        max_body_bytes: int,
        read_timeout: float = 30.0,
        record_answer: AnswerRecorder = _keep_nothing,
    ) -> None:
        self.app = app
        self.authenticate = authenticate
        self.max_body_bytes = max_body_bytes
        self.read_timeout = read_timeout
        self.record_answer = record_answer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(ISALES_PREFIX):
            await self.app(scope, receive, send)
            return
        try:
            body = await self._read_body(scope, receive)
            request = _signed_request(scope, body)
            admission = await self.authenticate(request)
        except ISalesError as exc:
            await _refusal(exc)(scope, receive, send)
            return
        if admission.answer is not None:  # an identical request's first answer, sent again
            await _stored(admission.answer)(scope, receive, send)
            return
        if admission.replay_key is None:
            await self._admit(scope, receive, send, request, admission.vdn_id)
            return
        key = admission.replay_key

        async def keep(answer: Answer | None) -> None:
            # Shielded: a client that hangs up must not leave the signature "processing".
            with anyio.CancelScope(shield=True):
                await self.record_answer(key, answer)

        recorder = Recorder(send, keep)
        try:
            await self._admit(scope, receive, recorder.send, request, admission.vdn_id)
        except Exception:
            recorder.failed()  # the outer handler answers 500 (INTERNAL): that is the answer
            raise
        finally:
            if not recorder.kept:
                await keep(recorder.answer())

    async def _admit(
        self, scope: Scope, receive: Receive, send: Send, request: SignedRequest, vdn_id: int
    ) -> None:
        try:
            _check_content_type(request)
            _check_tenant(scope["path"], vdn_id)
        except ISalesError as exc:
            await _refusal(exc)(scope, receive, send)
            return
        scope.setdefault("state", {})["vdn_id"] = vdn_id
        await self.app(scope, _replay(request.body, receive), send)

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes:
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            raise BodyTooLarge(self.max_body_bytes)
        # One deadline for the whole body: a client dribbling or withholding it (slowloris)
        # must not hold a connection and a worker slot for ever.
        try:
            with anyio.fail_after(self.read_timeout):
                return await self._receive_body(receive)
        except TimeoutError:
            raise RequestTimeout(self.read_timeout) from None

    async def _receive_body(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                raise BodyTooLarge(self.max_body_bytes)
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


class Recorder:
    """Passes an answer on to the client and keeps a copy of it, up to ``ANSWER_MAX_BYTES``.

    The copy is handed to ``keep`` before the answer's last part goes out: a client that
    has the whole answer (and sends the request again, say, because a proxy lost it) always
    finds it kept, never the first request still "processing".
    """

    def __init__(self, send: Send, keep: Callable[[Answer | None], Awaitable[None]]) -> None:
        self._send = send
        self._keep = keep
        self.kept = False
        self._status: int | None = None
        self._content_type: str | None = None
        self._chunks: list[bytes] = []
        self._size = 0
        self._complete = False
        self._too_large = False

    async def send(self, message: Message) -> None:
        """Note the message, then send it on unchanged."""
        if message["type"] == "http.response.start":
            self._status = int(message["status"])
            for key, value in message.get("headers", []):
                if key.lower() == b"content-type":
                    self._content_type = value.decode("latin-1")
        elif message["type"] == "http.response.body":
            chunk = message.get("body", b"")
            self._size += len(chunk)
            self._too_large = self._too_large or self._size > ANSWER_MAX_BYTES
            if not self._too_large:
                self._chunks.append(chunk)
            self._complete = not message.get("more_body", False)
            if self._complete:
                await self._keep(self.answer())
                self.kept = True
        await self._send(message)

    def failed(self) -> None:
        """The application raised: when nothing was sent yet, the answer is the 500 envelope
        the outer error handler sends (api.errors); else the answer is unknown."""
        if self._status is None:
            internal = failure(ResultCode.INTERNAL)
            self._status = internal.status_code
            self._content_type = internal.headers.get("content-type")
            self._chunks, self._complete = [bytes(internal.body)], True

    def answer(self) -> Answer | None:
        """The whole answer, or None when it did not complete or is too large to keep."""
        if self._status is None or not self._complete or self._too_large:
            return None
        return Answer(self._status, self._content_type, b"".join(self._chunks))


def _refusal(exc: ISalesError) -> Response:
    response = failure(exc.code, exc.text())
    if isinstance(exc, RequestTimeout):
        response.headers["connection"] = "close"  # the rest of the body is not awaited
    return response


def _stored(answer: Answer) -> Response:
    headers = {"content-type": answer.content_type} if answer.content_type else None
    return Response(answer.body, status_code=answer.status, headers=headers)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _signed_request(scope: Scope, body: bytes) -> SignedRequest:
    headers: dict[str, str] = {}
    repeated: set[str] = set()
    for key, value in scope["headers"]:
        name = key.decode("latin-1").lower()
        if name in headers:
            repeated.add(name)
        else:  # the first one, as the application reads it (starlette's Headers.get)
            headers[name] = value.decode("latin-1")
    raw_path = scope.get("raw_path") or scope["path"].encode("utf-8")
    query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    return SignedRequest(
        method=scope["method"],
        path=raw_path.decode("latin-1"),
        query=query,
        headers=headers,
        body=body,
        repeated_headers=frozenset(repeated),
    )


def _check_content_type(request: SignedRequest) -> None:
    """Bodies must be JSON in UTF-8; a bodiless call may omit the header."""
    value = request.headers.get("content-type")
    if value is None and not request.body:
        return
    media, _, params = (value or "").partition(";")
    charset = ""
    for param in params.split(";"):
        key, _, val = param.strip().partition("=")
        if key.lower() == "charset":
            charset = val.strip().strip('"').lower()
    if media.strip().lower() != "application/json" or charset not in ("", "utf-8", "utf8"):
        raise UnsupportedMediaType(value)


def _check_tenant(path: str, vdn_id: int) -> None:
    match = VDN_IN_PATH.match(path)
    if match is None:
        return
    asked = vdn_in_path(match.group(1))  # the routes' own rule (api.params)
    if asked != vdn_id:
        raise ForbiddenError(f"this access key belongs to VDN {vdn_id}, not to VDN {asked}")


def _replay(body: bytes, downstream: Receive) -> Receive:
    """Hand the already-read body to the app once, then pass on the real connection events."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await downstream()

    return receive


def vdn_of(state: Any) -> int:
    """The authenticated tenant of a request that passed the gate."""
    return int(state["vdn_id"])
