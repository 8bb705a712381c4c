"""Signed Python client for the CC-iSales outbound-campaign OpenAPI.

Importing it loads httpx and nothing of the command line: ``openisales client ...`` lives in
:mod:`openisales.client.cli`, which alone needs typer and rich.
"""

from openisales.client.api import ISalesClient
from openisales.client.auth import AuthV2
from openisales.client.errors import ISalesClientError, ISalesHTTPError, ISalesResponseError

__all__ = ["AuthV2", "ISalesClient", "ISalesClientError", "ISalesHTTPError", "ISalesResponseError"]
