"""A real HTTP(S) receiver of result pushes on loopback, scripted by the test.

It records every POST (path, headers, raw and parsed JSON body, the status it answered) and answers
from a script: ``answer(500, 500)`` makes the next two pushes fail, then the default (200)
applies again; ``always(500)`` changes the default. ``down()`` closes the listening socket
(connections are refused) and ``up()`` listens on the same port again. ``hold()`` keeps
requests waiting, unanswered, until ``release()``: a push in flight.
"""

from __future__ import annotations

import json
import ssl
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Post:
    """One request the receiver got, and what it answered."""

    path: str
    content_type: str
    items: Any  # a result push: a list of results; an import notice: the task's record
    status: int
    raw: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        receiver = self.server.receiver
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        receiver.arrived.set()
        receiver.released.wait(30)
        status = receiver.next_status()
        body = b'{"retCode":"0","retMsg":"success"}' if status == 200 else b"{}"
        receiver.record(
            Post(
                self.path,
                self.headers.get("Content-Type", ""),
                json.loads(raw),
                status,
                raw,
                dict(self.headers.items()),
            )
        )
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:  # the pusher is gone (killed while its push was held)
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        return


class _Server(ThreadingHTTPServer):
    allow_reuse_address = True
    daemon_threads = True
    receiver: Receiver


class Receiver:
    """The receiver; ``url`` is where pushes go (https: ``localhost``, so the name is checked)."""

    def __init__(self, cert: Path | None = None, key: Path | None = None) -> None:
        self.context: ssl.SSLContext | None = None
        if cert is not None and key is not None:
            self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.context.load_cert_chain(cert, key)
        self.posts: list[Post] = []
        self.default = 200
        self.script: deque[int] = deque()
        self.arrived = threading.Event()  # a request came in (set while it may be held)
        self.released = threading.Event()
        self.released.set()
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0
        self.up()

    @property
    def url(self) -> str:
        """The push URL: http://127.0.0.1:PORT/results or https://localhost:PORT/results."""
        if self.context is not None:
            return f"https://localhost:{self.port}/results"
        return f"http://127.0.0.1:{self.port}/results"

    def up(self) -> None:
        """Listen (again, on the same port once it had one)."""
        server = _Server(("127.0.0.1", self.port), _Handler)
        if self.context is not None:
            server.socket = self.context.wrap_socket(server.socket, server_side=True)
        server.receiver = self
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()

    def down(self) -> None:
        """Stop listening: connections are refused until ``up()``."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def answer(self, *statuses: int) -> None:
        """Answer the next pushes with these statuses, then the default again."""
        with self._lock:
            self.script.extend(statuses)

    def always(self, status: int) -> None:
        """Answer every push not scripted with ``status``."""
        self.default = status

    def hold(self) -> None:
        """Keep requests unanswered until ``release()``."""
        self.arrived.clear()
        self.released.clear()

    def release(self) -> None:
        """Let held requests be answered."""
        self.released.set()

    def next_status(self) -> int:
        """The status for the request being answered."""
        with self._lock:
            return self.script.popleft() if self.script else self.default

    def record(self, post: Post) -> None:
        """Keep a request and its answer."""
        with self._lock:
            self.posts.append(post)

    def delivered(self) -> list[dict[str, Any]]:
        """Every item of every push answered 200, in order."""
        with self._lock:
            return [item for post in self.posts if post.status == 200 for item in post.items]

    def close(self) -> None:
        """Release held requests and stop."""
        self.release()
        self.down()


@contextmanager
def receiver(cert: Path | None = None, key: Path | None = None) -> Iterator[Receiver]:
    """A running receiver, stopped at the end."""
    running = Receiver(cert, key)
    try:
        yield running
    finally:
        running.close()
