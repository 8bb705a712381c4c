"""The ``auth-v2`` httpx authentication that signs every request of :class:`ISalesClient`."""

from __future__ import annotations

from collections.abc import Callable, Generator
from datetime import UTC, datetime

import httpx

from openisales.auth.signing import Variant, format_timestamp, sign

JSON_CONTENT_TYPE = "application/json; charset=UTF-8"


def _utc_now() -> datetime:
    return datetime.now(UTC)


class AuthV2(httpx.Auth):
    """Add an ``auth-v2`` Authorization header to every request.

    The signature covers the request's final Host, Content-Length and Content-Type headers
    (those present), its raw path without the query, its decoded query parameters and its body.
    """

    requires_request_body = True  # the body is part of the signature

    def __init__(
        self,
        access_key: str,
        secret_key: str,
        *,
        clock: Callable[[], datetime] | None = None,
        variant: Variant = "hex",
    ) -> None:
        self._access_key = access_key
        self._secret_key = secret_key
        self._clock = clock or _utc_now
        self._variant: Variant = variant

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Sign the request as it will be sent, then send it."""
        content_type = request.headers.get("content-type")
        if content_type is not None and content_type.split(";")[0].strip().lower() == (
            "application/json"
        ):
            # The OpenAPI fixes Content-Type to this exact value. httpx's json= gives a bare
            # "application/json", so set it before signing, because Content-Type is a signed header.
            request.headers["Content-Type"] = JSON_CONTENT_TYPE
        raw_path = request.url.raw_path.split(b"?", 1)[0].decode("ascii")
        request.headers["Authorization"] = sign(
            access_key=self._access_key,
            secret_key=self._secret_key,
            method=request.method,
            path=raw_path,
            query=request.url.params.multi_items(),
            headers=dict(request.headers.items()),
            body=request.content,
            timestamp=format_timestamp(self._clock()),
            variant=self._variant,
        )
        yield request
