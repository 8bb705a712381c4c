"""Re-sending the same signed request when its answer was lost (idempotent replay).

The service answers an identical signed request with the first request's answer instead of
carrying it out again (docs/api.md, the signature), so a request whose answer never arrived may
be sent again, byte for byte and with the same signature, inside the clock window. A new
signature would be a new request, carried out twice.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import httpx

IN_PROGRESS = "0200118"  # the first of the identical requests is still being carried out
# Failures after which the request may have reached the service: its answer is unknown.
LOST = (httpx.ConnectError, httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError,
        httpx.ReadTimeout, httpx.WriteTimeout)  # fmt: skip


class ReplayingTransport(httpx.BaseTransport):
    """Send a request again, unchanged, when its answer is lost or still being made (409)."""

    def __init__(
        self,
        inner: httpx.BaseTransport,
        retries: int,
        *,
        pause: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._inner = inner
        self._retries = retries
        self._pause = pause
        self._sleep = sleep

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """The answer of the first attempt that gets one, the request re-sent as it is."""
        for attempt in range(self._retries + 1):
            last = attempt == self._retries
            try:
                response = self._inner.handle_request(request)
            except LOST:
                if last:
                    raise
                continue
            if last or not _in_progress(response):
                return response
            response.close()
            self._sleep(self._pause * (attempt + 1))  # give the first request time to finish
        raise AssertionError("unreachable")  # the last attempt returns or raises

    def close(self) -> None:
        """Close the wrapped transport."""
        self._inner.close()


def _in_progress(response: httpx.Response) -> bool:
    if response.status_code != 409:
        return False
    try:
        body = json.loads(response.read())
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("resultCode") == IN_PROGRESS
