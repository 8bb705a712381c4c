"""Campaign interfaces (V1, cec_07_0721-0729): create, details, list, modify, delete, pause, resume."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from openisales.api.deps import runtime, tenant
from openisales.api.envelope import ok
from openisales.api.params import CampaignId, VdnId
from openisales.api.routes import V1
from openisales.api.schemas import CampaignFields, CreateCampaignRequest, DeleteCampaignRequest
from openisales.services import campaigns
from openisales.services.campaigns import CampaignInput, CampaignLimits, CampaignQuery
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
        limits = CampaignLimits.from_settings(rt.settings)
        campaign = campaigns.create(session, vdn, _input(body), rt.clock(), limits)
        return ok(returnObject={"id": campaign.campaign_id})


@router.get("")
def list_campaigns(
    vdnId: VdnId,
    name: Annotated[str | None, Query(max_length=100)] = None,
    status: Annotated[int | None, Query()] = None,
    deviceType: Annotated[int | None, Query()] = None,
    beginTime: Annotated[str | None, Query(max_length=19)] = None,
    endTime: Annotated[str | None, Query(max_length=19)] = None,
    ccId: Annotated[int | None, Query(ge=0, le=2**31 - 1)] = None,
    curPage: Annotated[int, Query(ge=1, le=10**7)] = 1,  # offset stays within 10**9
    rowsPerPage: Annotated[int, Query(ge=1, le=100)] = 10,
    vdn: int = Depends(tenant),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """A page of campaigns, filtered by name, status, device type, begin and end, with the total.

    ``beginTime``/``endTime`` (``yyyy-MM-dd HH:mm:ss`` UTC) keep the campaigns that begin at or
    after, and end at or before, the moments given.
    """
    query = CampaignQuery(
        name=name,
        status=status,
        device_type=deviceType,
        begin_time=beginTime,
        end_time=endTime,
        cc_id=ccId,
    )
    now = rt.clock()
    with rt.db.read() as session:
        rows, total = campaigns.page(
            session,
            vdn,
            query,
            cur_page=curPage,
            rows_per_page=rowsPerPage,
            cc_id=rt.settings.cc_id,
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
    body: DeleteCampaignRequest | None = None,
    vdn: int = Depends(tenant),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """Delete a campaign; a started one is refused (pause it first).

    The body is optional: ``archiveHistory: 1`` keeps the campaign and its records in history.
    """
    archive = body is not None and body.archive_history == 1
    with rt.db.transaction() as session:
        campaigns.delete(session, vdn, campaignId, rt.clock(), archive=archive)
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
        limits = CampaignLimits.from_settings(rt.settings)
        campaigns.resume(session, vdn, campaignId, rt.clock(), limits)
        return ok()
