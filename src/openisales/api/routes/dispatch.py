"""The dialer interface (extension): an external dialer leases numbers and reports results.

``POST .../dialer/{campaignId}/lease`` answers ``returnObject.records``, the numbers to call now;
``POST .../dialer/{campaignId}/results`` records each lease's outcome once and answers each
result's own code in ``returnObject.results``. Both are signed like every other interface.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from openisales.api.deps import runtime, tenant
from openisales.api.dispatch_schemas import LeaseBody, ResultsBody
from openisales.api.envelope import ok
from openisales.api.params import CampaignId, VdnId
from openisales.api.routes import V1
from openisales.services import dispatch, dispatch_results
from openisales.services.dispatch import LeaseRequest
from openisales.services.runtime import Runtime

router = APIRouter(prefix=V1 + "/dialer/{campaignId}", tags=["dialer"])


@router.post("/lease")
def lease_numbers(
    vdnId: VdnId,
    campaignId: CampaignId,
    body: LeaseBody,
    vdn: int = Depends(tenant),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """Lease up to ``limit`` numbers that may be called now, for ``leaseSeconds``."""
    request = LeaseRequest(body.dialer_id, body.limit, body.lease_seconds)
    with rt.db.transaction() as session:
        records = dispatch.lease(session, vdn, campaignId, request, rt.clock())
    return ok(returnObject={"records": records})


@router.post("/results")
def report_results(
    vdnId: VdnId,
    campaignId: CampaignId,
    body: ResultsBody,
    vdn: int = Depends(tenant),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """Record the outcome of each lease once; each result gets its own code."""
    reports = [item.to_report() for item in body.results]
    with rt.db.transaction() as session:
        answers = dispatch_results.record(session, vdn, campaignId, reports, rt.clock())
    rt.results_recorded.set()  # committed: wake this process's pusher
    return ok(returnObject={"results": answers})
