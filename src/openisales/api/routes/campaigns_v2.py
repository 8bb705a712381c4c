"""Campaign interfaces (V2, cec_07_0722 add, cec_07_0724 modify): V1's with the retry policy.

The other campaign interfaces (details, list, delete, pause, resume) are V1 only, as published.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from openisales.api.campaign_v2_schemas import CampaignV2Fields, CreateCampaignV2Request
from openisales.api.deps import runtime, tenant
from openisales.api.envelope import ok
from openisales.api.params import CampaignId, VdnId
from openisales.api.routes.campaigns import INTERPRETED
from openisales.services import campaigns, campaigns_v2
from openisales.services.campaigns import CampaignInput, CampaignLimits
from openisales.services.runtime import Runtime

V2 = "/rest/isales/v2/openapi/campaigns/{vdnId}"
router = APIRouter(prefix=V2, tags=["campaigns"])
# V2's callerNo list is kept with the other fields as given (the details return it).
INTERPRETED_V2 = INTERPRETED - {"callerNo"}


def _input(body: CampaignV2Fields) -> CampaignInput:
    given = body.model_dump(by_alias=True, exclude_unset=True, exclude_none=True)
    return CampaignInput(
        name=body.name,
        description=body.description,
        begin=body.str_begin_time,
        end=body.str_end_time,
        device_type=body.device_type,
        caller_no=body.first_caller(),
        max_alerting_time=body.max_alerting_time,
        init_status=body.init_status,
        params={key: value for key, value in given.items() if key not in INTERPRETED_V2},
    )


@router.post("")
def create_campaign_v2(
    vdnId: VdnId,
    body: CreateCampaignV2Request,
    vdn: int = Depends(tenant),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """Create a campaign from the V2 body, its retry policy checked and stored."""
    with rt.db.transaction() as session:
        limits = CampaignLimits.from_settings(rt.settings)
        campaign = campaigns_v2.create(
            session, vdn, _input(body), body.retry_policy, rt.clock(), limits
        )
        return ok(returnObject={"id": campaign.campaign_id})


@router.put("/{campaignId}")
def modify_campaign_v2(
    vdnId: VdnId,
    campaignId: CampaignId,
    body: CampaignV2Fields,
    vdn: int = Depends(tenant),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """Change the fields a V2 body carries, the retry policy included."""
    with rt.db.transaction() as session:
        campaign = campaigns_v2.modify(
            session, vdn, campaignId, _input(body), body.retry_policy, rt.clock()
        )
        return ok(returnObject=campaigns.to_dict(campaign, rt.clock()))
