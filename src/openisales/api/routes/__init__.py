"""The iSales interfaces, one module per family."""

V1 = "/rest/isales/v1/openapi/campaigns/{vdnId}"
