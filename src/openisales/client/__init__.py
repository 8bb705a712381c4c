"""Signed Python client for the CC-iSales outbound-campaign OpenAPI."""

from openisales.client.api import (
    AuthV2,
    ISalesClient,
    ISalesClientError,
    ISalesHTTPError,
    ISalesResponseError,
)

__all__ = ["AuthV2", "ISalesClient", "ISalesClientError", "ISalesHTTPError", "ISalesResponseError"]
