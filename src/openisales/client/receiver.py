"""A receiver for the result push and import notices: appends what is POSTed to a JSON-lines file.

iSales pushes a campaign's results to its ``callBackUrl`` as a bare JSON array of
``{campaignId, sessionId, called, callTimeStr, callStatus, failCode, vdnId, callId,
customField, recordPath}`` and expects HTTP 200 with ``{"retCode":"0","retMsg":"success"}``;
anything else is pushed again. An import with a ``notifyUrl`` POSTs its task's record there,
one JSON object, signed with ``X-Openisales-Signature`` (``openisales.auth.notify``): given
the tenant's notify key, the receiver checks it and refuses (HTTP 401) a notice whose signature
does not hold; without the key it refuses every notice, as it cannot tell ours from a forgery.
Standard library only (and the pure signature module), one request at a time, so lines of two
pushes never interleave.
"""

from __future__ import annotations

import json
import ssl
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

from openisales.auth.notify import HEADER, BadNotifySignature, verify

MAX_BODY = 16 * 1024 * 1024
ACCEPTED = {"retCode": "0", "retMsg": "success"}


class ResultReceiver(HTTPServer):
    """An HTTP(S) server that appends every element of each pushed array to ``out``."""

    def __init__(
        self,
        address: tuple[str, int],
        out: Path,
        *,
        on_push: Callable[[int, int], None] | None = None,
        tls: ssl.SSLContext | None = None,
        notify_key: str | None = None,
        on_notice: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        super().__init__(address, _PushHandler)
        self.out = out
        self.received = 0
        self.notices = 0
        self.on_push = on_push
        self.notify_key = notify_key
        self.on_notice = on_notice
        if tls is not None:
            self.socket = tls.wrap_socket(self.socket, server_side=True)

    @property
    def port(self) -> int:
        """The port listened on (the one chosen when 0 was asked for)."""
        return int(self.server_address[1])

    def store(self, results: list[Any]) -> None:
        """Append one JSON line per result and count them."""
        with self.out.open("a", encoding="utf-8") as file:
            for item in results:
                file.write(json.dumps(item, ensure_ascii=False, separators=(",", ":")) + "\n")
        self.received += len(results)
        if self.on_push is not None:
            self.on_push(len(results), self.received)

    def check_notice(self, signature: str | None, body: bytes) -> str | None:
        """Why a notice is refused (no key here, a bad signature), or None: it is ours."""
        if self.notify_key is None:
            return "no notify key is configured, so no notice can be checked"
        try:
            verify(self.notify_key, signature, body, time.time())
        except BadNotifySignature as exc:
            return str(exc)
        return None

    def store_notice(self, record: dict[str, Any]) -> None:
        """Append the import task's record as one JSON line and count it."""
        with self.out.open("a", encoding="utf-8") as file:
            file.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
        self.notices += 1
        if self.on_notice is not None:
            self.on_notice(record)


def tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    """A server context for HTTPS, TLS 1.2 or later, as the result push requires."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    return context


class _PushHandler(BaseHTTPRequestHandler):
    server: ResultReceiver

    def do_POST(self) -> None:
        """Store a pushed array and answer 200, or refuse the push (it will come again)."""
        length = self.headers.get("Content-Length", "")
        if not length.isdigit():
            self._answer(411, "Content-Length is required")
            return
        if int(length) > MAX_BODY:
            self._answer(413, f"the body is larger than {MAX_BODY} bytes")
            return
        body = self.rfile.read(int(length))
        try:
            results = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            self._answer(400, "the body is not JSON")
            return
        signature = self.headers.get(HEADER)
        if isinstance(results, dict) and signature is not None:  # an import notice: checked
            problem = self.server.check_notice(signature, body)
            if problem is not None:
                self._answer(401, problem)
                return
            self.server.store_notice(results)
            self._answer(200)
            return
        if not isinstance(results, list):
            self._answer(400, "the body must be a JSON array of results or a signed import notice")
            return
        self.server.store(results)
        self._answer(200)

    def _answer(self, status: int, problem: str = "") -> None:
        body = ACCEPTED if status == 200 else {"retCode": "1", "retMsg": problem}
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the receiver prints one line per push itself."""
