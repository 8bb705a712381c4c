"""The HTTP client of the result push: one POST of a JSON body to a customer's receiver.

What it guarantees, whatever URL a tenant gives:

* HTTPS verifies the certificate and the host name, with TLS 1.2 at least; the public CAs
  (certifi, as httpx) plus ``OPENISALES_RESULT_PUSH_CA_FILE`` are trusted.
* The connection goes only to an address the file-server rule allows (``openisales.networks``):
  the host name is resolved once, every address it resolves to must be allowed, the socket
  connects to one of exactly those, and its peer address is checked again before a byte is sent.
* Every phase is timed out; redirects are not followed (a 3xx is a failed push); no proxy from
  the environment is used (the receiver, not a proxy, is the address checked); the answer's
  body is never read, so a receiver cannot make the pusher hold a large one.

An answer is an ``Answer``: the HTTP status, or None and why there was none. The reason is
plain enough for the tenant (the receiver is theirs); connection failures of every kind read
the same, so a URL cannot be used to map which ports of a host are open (``sftp.exposure``
does the same for file servers); the log keeps the exact error.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpcore
import httpx

from openisales.networks import SETTING, AddressNotAllowed, ServerNetworks, resolve_checked

log = logging.getLogger("openisales.push")
MIN_TLS_VERSION = ssl.TLSVersion.TLSv1_2
CONTENT_TYPE = "application/json; charset=UTF-8"
USER_AGENT = "openisales-result-push"
MAX_ERROR_CHARS = 300


@dataclass(frozen=True)
class Answer:
    """What one push got back: an HTTP status, or None and the reason there was none."""

    status: int | None
    error: str | None = None

    @property
    def delivered(self) -> bool:
        """HTTP 200 and nothing else, as the reference says."""
        return self.status == 200


def tls_context(ca_file: Path | None) -> ssl.SSLContext:
    """A verifying client context: public CAs plus ``ca_file``, TLS 1.2 or later."""
    context = httpx.create_ssl_context(trust_env=False)  # certifi's bundle, as httpx's default
    if ca_file is not None:
        context.load_verify_locations(cafile=str(ca_file))
    context.minimum_version = MIN_TLS_VERSION
    return context


class _AllowedBackend(httpcore.SyncBackend):
    """Opens TCP connections only to addresses the rule allows, resolved once and checked."""

    def __init__(self, networks: ServerNetworks) -> None:
        self.networks = networks

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        """A connection to the first of ``host``'s checked addresses that answers."""
        failure: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        for _family, _kind, _proto, _name, address in resolve_checked(host, port, self.networks):
            try:  # a literal address: the parent connects without resolving again
                stream = super().connect_tcp(
                    str(address[0]), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
                continue
            peer = stream.get_extra_info("socket").getpeername()
            refusal = self.networks.refusal(str(peer[0]))
            if refusal is not None:  # the address really connected to decides
                stream.close()
                raise AddressNotAllowed(refusal)
            return stream
        assert failure is not None  # resolve_checked never answers with no address
        raise failure


class _AllowedTransport(httpx.HTTPTransport):
    """httpx's transport, its connection pool opening connections through ``_AllowedBackend``.

    httpx takes no network backend of its own, so the pool it built is replaced by an equal one
    that has it; the push tests refuse a receiver on a network not allowed, which fails should
    this ever stop taking effect.
    """

    def __init__(self, context: ssl.SSLContext, networks: ServerNetworks) -> None:
        super().__init__(verify=context, trust_env=False, retries=0)
        self._pool = httpcore.ConnectionPool(
            ssl_context=context,
            max_connections=20,
            max_keepalive_connections=10,
            keepalive_expiry=5.0,
            retries=0,
            network_backend=_AllowedBackend(networks),
        )


class ReceiverClient:
    """Posts pushes; thread-safe, keeps connections to receivers alive between pushes."""

    def __init__(
        self, networks: ServerNetworks, timeout_seconds: float, ca_file: Path | None = None
    ) -> None:
        self.timeout_seconds = timeout_seconds
        self.http = httpx.Client(
            transport=_AllowedTransport(tls_context(ca_file), networks),
            timeout=httpx.Timeout(timeout_seconds),
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": USER_AGENT},
        )

    def post(self, url: str, body: bytes, headers: Mapping[str, str] | None = None) -> Answer:
        """POST ``body`` (JSON) to ``url``, with ``headers`` besides its content type.

        The answer's status, or why there was none.
        """
        problem = url_problem(url)
        if problem is not None:
            return Answer(None, problem)
        try:
            request = self.http.build_request(
                "POST", url, content=body, headers={**(headers or {}), "Content-Type": CONTENT_TYPE}
            )
            response = self.http.send(request, stream=True)
            response.close()  # the status is the answer; the body is not wanted
        except AddressNotAllowed as exc:
            return Answer(None, _short(f"address not allowed: {exc} ({SETTING})"))
        except httpx.HTTPError as exc:
            log.warning("result push to %s failed: %r", origin(url), exc)
            return Answer(None, _short(self._reason(exc, url)))
        return Answer(response.status_code)

    def _reason(self, exc: httpx.HTTPError, url: str) -> str:
        where = origin(url)
        if isinstance(exc, httpx.ConnectTimeout | httpx.ConnectError):
            if "CERTIFICATE_VERIFY_FAILED" in str(exc):
                return f"{where}: its TLS certificate is not trusted (certificate verify failed)"
            if isinstance(exc.__context__, ssl.SSLError) or "SSL" in str(exc):
                return f"{where}: the TLS handshake failed"
            return f"{where}: no connection could be made"
        if isinstance(exc, httpx.TimeoutException):
            return f"{where}: no answer within {self.timeout_seconds:g} s"
        return f"{where}: the connection failed before an answer ({type(exc).__name__})"

    def close(self) -> None:
        """Close the kept-alive connections."""
        self.http.close()

    def __enter__(self) -> ReceiverClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be pushed to (not an absolute http(s) URL), or None."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        return _short(f"the receiver URL {url!r} is not a URL: {exc}")
    if parsed.scheme not in ("http", "https") or not parsed.host:
        return _short(f"the receiver URL {url!r} is not an absolute http or https URL")
    return None


def origin(url: str) -> str:
    """scheme://host:port of ``url``, as messages name a receiver (never its path or query).

    The path and query may carry a customer's token; they are never logged.
    """
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return "(not a URL)"
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    return f"{parsed.scheme}://{parsed.host}:{port}"


def _short(text: str) -> str:
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"
