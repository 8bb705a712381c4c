"""A receiver for the result push: accepts the POSTed results and appends them to a JSON-lines file.

iSales pushes a campaign's results to its ``callBackUrl`` as a bare JSON array of
``{campaignId, sessionId, called, callTimeStr, callStatus, failCode, vdnId, callId,
customField, recordPath}`` and expects HTTP 200 with ``{"retCode":"0","retMsg":"success"}``;
anything else is pushed again. Standard library only, one request at a time, so lines of two
pushes never interleave.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

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
    ) -> None:
        super().__init__(address, _PushHandler)
        self.out = out
        self.received = 0
        self.on_push = on_push
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
        try:
            results = json.loads(self.rfile.read(int(length)).decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            self._answer(400, "the body is not JSON")
            return
        if not isinstance(results, list):
            self._answer(400, "the body must be a JSON array of results")
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
