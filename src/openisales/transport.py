"""What ``serve`` needs of the transport: TLS files checked up front, loopback, slow clients.

Everything here runs before the server listens (the checks) or inside uvicorn's HTTP protocol
(the header deadline), so a misconfiguration is a one-line error and never a half-started server.
"""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
from collections.abc import Callable
from http import HTTPStatus
from pathlib import Path
from typing import ClassVar

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from openisales.api.envelope import failure
from openisales.errors import ResultCode

MIN_TLS_VERSION = ssl.TLSVersion.TLSv1_2
MAX_HEADER_BYTES = 64 * 1024
"""Request line plus headers of one request; more is answered 431 and the connection closed."""


def raw_failure(code: ResultCode, message: str) -> bytes:
    """A whole HTTP/1.1 answer with the iSales envelope that closes the connection.

    For refusals made below the application (no request was ever handed to it), which must
    still carry the envelope every iSales client reads. The status is the code's own.
    """
    body = bytes(failure(code, message).body)
    status = HTTPStatus(code.http_status)
    head = (
        f"HTTP/1.1 {status.value} {status.phrase}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


_HEADERS_TOO_LARGE = raw_failure(
    ResultCode.HEADERS_TOO_LARGE,
    f"the request line and headers are larger than the limit of {MAX_HEADER_BYTES} bytes",
)


class TransportConfigError(ValueError):
    """The TLS or listen settings cannot be served; the message says why in one line."""


def is_loopback(host: str) -> bool:
    """``localhost``, 127.0.0.0/8 and ::1; anything else (names included) may be reachable."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_listen(host: str, *, tls: bool, insecure_http: bool) -> None:
    """Plain HTTP only on loopback, unless the operator says so."""
    if tls or insecure_http or is_loopback(host):
        return
    raise TransportConfigError(
        f"refusing to serve plain HTTP on non-loopback address {host!r}: "
        "give --tls-cert and --tls-key, or --insecure-http to allow it"
    )


def check_tls_files(cert: Path | None, key: Path | None) -> bool:
    """Whether TLS is configured; raises when only one file is given or the pair cannot serve."""
    if cert is None and key is None:
        return False
    if cert is None or key is None:
        raise TransportConfigError("--tls-cert and --tls-key must be given together")
    cert_pem = _read(cert, "certificate")
    key_pem = _read(key, "key")
    try:
        certificate = x509.load_pem_x509_certificate(cert_pem)
    except ValueError as exc:
        raise TransportConfigError(f"TLS certificate {cert} is not a PEM certificate") from exc
    try:
        private_key = serialization.load_pem_private_key(key_pem, password=None)
    except TypeError as exc:
        raise TransportConfigError(
            f"TLS key {key} is encrypted; give an unencrypted PEM key"
        ) from exc
    except ValueError as exc:
        raise TransportConfigError(f"TLS key {key} is not a PEM private key") from exc
    except Exception as exc:  # unsupported key types
        raise TransportConfigError(f"TLS key {key} cannot be used: {exc}") from exc
    if certificate.public_key() != private_key.public_key():
        raise TransportConfigError(f"TLS key {key} does not match the certificate {cert}")
    try:
        server_context(cert, key)
    except ssl.SSLError as exc:
        reason = exc.reason or str(exc)
        raise TransportConfigError(f"TLS certificate {cert} and key {key}: {reason}") from exc
    return True


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    """A TLS server context loaded from the PEM pair, refusing anything older than TLS 1.2."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = MIN_TLS_VERSION
    context.load_cert_chain(cert, key)
    return context


def tls_1_2_minimum(
    _config: Config, default_factory: Callable[[], ssl.SSLContext]
) -> ssl.SSLContext:
    """uvicorn's ``ssl_context_factory``: its context from the files, TLS 1.2 at least."""
    context = default_factory()
    context.minimum_version = MIN_TLS_VERSION
    return context


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise TransportConfigError(
            f"cannot read TLS {what} file {path}: {exc.strerror or exc}"
        ) from exc


class HeaderDeadlineProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline on request line and headers.

    uvicorn times out idle keep-alive connections, but not a client that opens a connection
    and dribbles its headers (slowloris); the body is covered by the signed-request middleware.
    Subclasses made by ``http_protocol`` set the deadline and its answer.
    """

    header_timeout: ClassVar[float]
    request_timeout: ClassVar[bytes]
    _deadline: asyncio.TimerHandle | None = None
    _header_bytes = 0
    _chunk = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Start the header deadline as soon as the connection opens."""
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        """Feed the parser; answer 431 and close once the headers pass MAX_HEADER_BYTES."""
        self._chunk = len(data)
        if self._deadline is not None:
            self._header_bytes += len(data)
        super().data_received(data)
        if self._deadline is not None and self._header_bytes > MAX_HEADER_BYTES:
            self._refuse(_HEADERS_TOO_LARGE)

    def on_message_begin(self) -> None:
        """Re-arm the deadline for the next request of a keep-alive connection."""
        super().on_message_begin()
        if self._deadline is None:
            self._arm()
            self._header_bytes = self._chunk

    def on_headers_complete(self) -> None:
        """Stop the deadline: the headers are in, the body has its own limits."""
        self._disarm()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        """Drop the pending deadline with the connection."""
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._header_bytes = 0
        self._deadline = self.loop.call_later(
            self.header_timeout, self._refuse, self.request_timeout
        )

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _refuse(self, answer: bytes) -> None:
        self._disarm()
        if not self.transport.is_closing():
            self.transport.write(answer)
            self.transport.close()


def http_protocol(header_timeout: float) -> type[asyncio.Protocol]:
    """A ``HeaderDeadlineProtocol`` class that answers 408 and closes after ``header_timeout``."""
    answer = raw_failure(
        ResultCode.REQUEST_TIMEOUT,
        f"the request line and headers did not arrive within {header_timeout:g} seconds",
    )

    timeout = header_timeout  # a class body cannot read a same-named enclosing variable

    class TimedHeaderDeadlineProtocol(HeaderDeadlineProtocol):
        header_timeout = timeout
        request_timeout = answer

    return TimedHeaderDeadlineProtocol
