"""Calling numbers of a campaign (cec_07_0735 add, cec_07_0736 delete)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from openisales.api.batch_schemas import CallerNoRequest
from openisales.api.deps import runtime, tenant
from openisales.api.envelope import ok
from openisales.api.params import CampaignId, VdnId
from openisales.api.routes import V1
from openisales.services import caller_numbers
from openisales.services.caller_numbers import CallerNumber
from openisales.services.runtime import Runtime

router = APIRouter(tags=["calling numbers"])


@router.post(V1 + "/callerNo/{campaignId}", summary="Add calling numbers (cec_07_0735)")
def add_caller_numbers(
    vdnId: VdnId,
    campaignId: CampaignId,
    body: CallerNoRequest,
    vdn: int = Depends(tenant),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """Add up to 100 calling numbers, all or none; the first of the list is the lease's caller."""
    numbers = [CallerNumber(item.access_code, item.priority) for item in body.caller_no]
    with rt.db.transaction() as session:
        caller_numbers.add(session, vdn, campaignId, numbers, rt.clock())
        return ok()


@router.delete(V1 + "/callerNo/{campaignId}", summary="Delete calling numbers (cec_07_0736)")
def delete_caller_numbers(
    vdnId: VdnId,
    campaignId: CampaignId,
    body: CallerNoRequest,
    vdn: int = Depends(tenant),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """Remove up to 100 calling numbers, all or none; at least one must remain."""
    numbers = [item.access_code for item in body.caller_no]
    with rt.db.transaction() as session:
        caller_numbers.delete(session, vdn, campaignId, numbers, rt.clock())
        return ok()
