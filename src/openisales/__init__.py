"""openisales: an open implementation of the CC-iSales outbound-campaign OpenAPI."""
