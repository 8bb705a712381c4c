"""The signed HTTP session under one tenant's OpenAPI path; :class:`ISalesClient` builds on it."""

from __future__ import annotations

import json as jsonlib
import ssl
from collections.abc import Callable, Mapping
from datetime import datetime
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote

import httpx

from openisales.client.auth import JSON_CONTENT_TYPE, AuthV2
from openisales.client.errors import ISalesHTTPError, ISalesResponseError
from openisales.client.retry import ReplayingTransport

Params = Mapping[str, str | int | float | bool | None]


def json_object(response: httpx.Response) -> dict[str, Any] | None:
    """The response body if it is a JSON object, else None."""
    try:
        data = response.json()
    except ValueError:  # covers JSONDecodeError and undecodable text
        return None
    return data if isinstance(data, dict) else None


def segment(value: str | int) -> str:
    """An identifier escaped for one path segment."""
    # Escape identifiers so that "/" or "?" in them cannot redirect the call.
    return quote(str(value), safe="")


def drop_none(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The fields whose value is not None."""
    return {key: value for key, value in fields.items() if value is not None}


class SignedSession:
    """Signed requests to ``/rest/isales/{version}/openapi/campaigns/{vdnId}``.

    Business result codes (``resultCode`` other than ``0200000``) are returned, not raised.
    Only non-2xx HTTP statuses raise :class:`ISalesHTTPError`.
    """

    def __init__(
        self,
        base_url: str,
        access_key: str,
        secret_key: str,
        vdn_id: int,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
        verify: bool | str = True,
        clock: Callable[[], datetime] | None = None,
        retries: int = 0,
        locale: str | None = None,
    ) -> None:
        """``retries``: how many times to send a request again, unchanged (same signature), when
        its answer is lost or the service is still making it (client.retry). ``locale``
        (``zh_CN``, ``en_US``) is sent as the ``locale`` header on every request: the language
        of the answers' texts. It is not among the headers this client signs (Host,
        Content-Length, Content-Type), and the service reads it whether signed or not."""
        self.vdn_id = vdn_id
        # httpx 0.28 deprecates verify=<path>, so build the context from the CA bundle ourselves.
        tls: bool | ssl.SSLContext = (
            ssl.create_default_context(cafile=verify) if isinstance(verify, str) else verify
        )
        if retries > 0:
            inner = transport or httpx.HTTPTransport(verify=tls)
            transport = ReplayingTransport(inner, retries)
        self._http = httpx.Client(
            base_url=base_url,
            auth=AuthV2(access_key, secret_key, clock=clock),
            transport=transport,
            timeout=timeout,
            verify=tls,
            headers={"locale": locale} if locale else None,
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the underlying HTTP connection pool."""
        self._http.close()

    def _url(self, path: str, version: str) -> str:
        if path and not path.startswith("/"):
            raise ValueError(f"path must be empty or start with '/': {path!r}")
        return f"/rest/isales/{version}/openapi/campaigns/{self.vdn_id}{path}"

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Params | None = None,
        version: str = "v1",
    ) -> httpx.Response:
        """Send a signed request and return the raw response. This never raises on status."""
        content: bytes | None = None
        headers: dict[str, str] = {}
        if json is not None:
            # Encode the body ourselves so that the bytes and the Content-Type are fixed (UTF-8).
            content = jsonlib.dumps(json, ensure_ascii=False, separators=(",", ":")).encode()
            headers["Content-Type"] = JSON_CONTENT_TYPE
        query = drop_none(params) if params is not None else None
        return self._http.request(
            method.upper(),
            self._url(path, version),
            content=content,
            params=query,
            headers=headers,
        )

    def call(
        self,
        method: str,
        path: str,
        json: Any = None,
        params: Params | None = None,
        version: str = "v1",
    ) -> dict[str, Any]:
        """Send a signed request and return the JSON envelope.

        Raises :class:`ISalesHTTPError` for a non-2xx status, and :class:`ISalesResponseError`
        when a 2xx body is not a JSON object.
        """
        response = self.request(method, path, json=json, params=params, version=version)
        envelope = json_object(response)
        if not response.is_success:
            raise ISalesHTTPError(response.status_code, envelope, response.content)
        if envelope is None:
            raise ISalesResponseError(
                f"HTTP {response.status_code} response is not a JSON object: "
                f"{response.content[:200].decode('utf-8', 'replace')}"
            )
        return envelope
