"""Campaign interfaces (V1, cec_07_0721-0729): create, details, list, modify, delete, pause, resume."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from openisales.api.deps import runtime, tenant
from openisales.api.envelope import ok
from openisales.api.params import CampaignId, VdnId
from openisales.api.routes import V1
from openisales.api.schemas import CampaignFields, CreateCampaignRequest
from openisales.services import campaigns
from openisales.services.campaigns import CampaignInput
from openisales.services.runtime import Runtime

router = APIRouter(prefix=V1, tags=["campaigns"])
INTERPRETED = {
    "name", "description", "strBeginTime", "strEndTime", "deviceType", "callerNo",
    "maxAlertingTime", "initStatus",
}  # fmt: skip


def _input(body: CampaignFields) -> CampaignInput:
    given = body.model_dump(by_alias=True, exclude_unset=True)
    return CampaignInput(
        name=body.name,
        description=body.description,
        begin=body.str_begin_time,
        end=body.str_end_time,
        device_type=body.device_type,
        caller_no=body.caller_no,
        max_alerting_time=body.max_alerting_time,
        init_status=body.init_status,
        params={key: value for key, value in given.items() if key not in INTERPRETED},
    )


@router.post("")
def create_campaign(
    vdnId: VdnId,
    body: CreateCampaignRequest,
    vdn: int = Depends(tenant),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """Create a campaign, answer its id; refuses a taken name or a begin before today."""
    with rt.db.transaction() as session:
        campaign = campaigns.create(session, vdn, _input(body), rt.clock())
        return ok(returnObject={"id": campaign.campaign_id})


@router.get("")
def list_campaigns(
    vdnId: VdnId,
    name: Annotated[str | None, Query(max_length=100)] = None,
    status: Annotated[int | None, Query(ge=0, le=4)] = None,
    deviceType: Annotated[int | None, Query(ge=1, le=6)] = None,
    curPage: Annotated[int, Query(ge=1, le=10**7)] = 1,  # offset stays within 10**9
    rowsPerPage: Annotated[int, Query(ge=1, le=100)] = 10,
    vdn: int = Depends(tenant),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """A page of campaigns, filtered by name, status and device type, with the total."""
    now = rt.clock()
    with rt.db.read() as session:
        rows, total = campaigns.page(
            session,
            vdn,
            name=name,
            status=status or None,
            device_type=deviceType,
            cur_page=curPage,
            rows_per_page=rowsPerPage,
            now=now,
        )
        items = [campaigns.to_dict(c, now) for c in rows]
    return ok(
        returnObject={
            "total": total,
            "curPage": curPage,
            "rowsPerPage": rowsPerPage,
            "campaigns": items,
        }
    )


@router.get("/{campaignId}")
def get_campaign(
    vdnId: VdnId,
    campaignId: CampaignId,
    vdn: int = Depends(tenant),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """One campaign's details, with the status a client sees (completed once past its end)."""
    with rt.db.read() as session:
        return ok(
            returnObject=campaigns.to_dict(campaigns.get(session, vdn, campaignId), rt.clock())
        )


@router.put("/{campaignId}")
def modify_campaign(
    vdnId: VdnId,
    campaignId: CampaignId,
    body: CampaignFields,
    vdn: int = Depends(tenant),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """Change a campaign's fields; refused once completed, or for a new device type."""
    with rt.db.transaction() as session:
        campaign = campaigns.modify(session, vdn, campaignId, _input(body), rt.clock())
        return ok(returnObject=campaigns.to_dict(campaign, rt.clock()))


@router.delete("/{campaignId}")
def delete_campaign(
    vdnId: VdnId,
    campaignId: CampaignId,
    vdn: int = Depends(tenant),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """Delete a campaign; a started one is refused (pause it first)."""
    with rt.db.transaction() as session:
        campaigns.delete(session, vdn, campaignId, rt.clock())
        return ok()


@router.put("/{campaignId}/pause")
def pause_campaign(
    vdnId: VdnId,
    campaignId: CampaignId,
    vdn: int = Depends(tenant),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """Pause a started campaign; a campaign in any other status is refused."""
    with rt.db.transaction() as session:
        campaigns.pause(session, vdn, campaignId, rt.clock())
        return ok()


@router.put("/{campaignId}/resume")
def resume_campaign(
    vdnId: VdnId,
    campaignId: CampaignId,
    vdn: int = Depends(tenant),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """Start a paused campaign again; a campaign in any other status is refused."""
    with rt.db.transaction() as session:
        campaigns.resume(session, vdn, campaignId, rt.clock())
        return ok()
