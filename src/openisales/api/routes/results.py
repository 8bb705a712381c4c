"""Querying outbound call results (cec_07_0783): ``POST .../callresult/{campaignId}``.

The published interface: ``totalCount`` and ``data``, one element per result, filtered by
``sessionId``, ``customField``, the days ``beginTime``/``endTime`` and, beside the contract,
``called`` and ``callStatus``; paged by ``pageSize``/``pageNum``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from openisales.api.deps import runtime, tenant
from openisales.api.envelope import ok
from openisales.api.params import CampaignId, VdnId
from openisales.api.result_schemas import QueryResultsRequest
from openisales.api.routes import V1
from openisales.services import call_results
from openisales.services.runtime import Runtime

router = APIRouter(prefix=V1, tags=["call results"])


@router.post("/callresult/{campaignId}")
def query_results(
    vdnId: VdnId,
    campaignId: CampaignId,
    body: QueryResultsRequest | None = None,
    vdn: int = Depends(tenant),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """Each finished record's final result (showDetail 0) or every call's (1), with the total."""
    request = (body or QueryResultsRequest()).to_query()
    with rt.db.read() as session:
        found = call_results.query(session, vdn, campaignId, request)
        data = [call_results.to_dict(row) for row in found.rows]
    return ok(totalCount=found.total, data=data)
