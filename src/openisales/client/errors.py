"""What :class:`ISalesClient` raises: ``ISalesClientError`` > ``ISalesHTTPError``, ``ISalesResponseError``.

Business result codes (``resultCode`` other than ``0200000``) are returned, never raised.
"""

from __future__ import annotations

from typing import Any


class ISalesClientError(Exception):
    """Base class for errors raised by :class:`ISalesClient`."""


class ISalesHTTPError(ISalesClientError):
    """A non-2xx HTTP response. ``envelope`` is the JSON body if it was a JSON object."""

    def __init__(self, status_code: int, envelope: dict[str, Any] | None, body: bytes) -> None:
        self.status_code = status_code
        self.envelope = envelope
        self.body = body
        detail = envelope if envelope is not None else body[:200].decode("utf-8", "replace")
        super().__init__(f"HTTP {status_code}: {detail}")


class ISalesResponseError(ISalesClientError):
    """A 2xx response whose body is not a JSON object (no result envelope)."""
