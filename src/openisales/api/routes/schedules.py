"""Import schedules (extension): list the daily imports of a campaign or the blocklist, cancel one."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from openisales.api.deps import runtime, tenant
from openisales.api.envelope import ok
from openisales.api.params import CampaignIdText, LimitQuery, ObjectId, OffsetQuery, VdnId
from openisales.api.routes import V1
from openisales.services import campaigns, schedules
from openisales.services.runtime import Runtime

router = APIRouter(prefix=V1, tags=["import schedules"])


def _page(
    rt: Runtime, vdn: int, kind: str, campaign_id: int | None, offset: int, limit: int
) -> dict[str, Any]:
    with rt.db.read() as session:
        campaign_pk = (
            campaigns.get(session, vdn, campaign_id).pk if campaign_id is not None else None
        )
        rows, total = schedules.page(
            session, vdn, kind=kind, campaign_pk=campaign_pk, offset=offset, limit=limit
        )
        zone = schedules.zone_of(session, vdn)
        return ok(result=[schedules.to_dict(row, zone) for row in rows], count=total)


@router.get("/calldatafile/schedules/{campaignId}")
def list_campaign_schedules(
    vdnId: VdnId,
    campaignId: CampaignIdText,
    offset: OffsetQuery = 0,
    limit: LimitQuery = 100,
    vdn: int = Depends(tenant),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """The daily call-data imports of a campaign, active and cancelled."""
    return _page(rt, vdn, "calldata", campaignId, offset, limit)


@router.get("/blackfile/schedules")
def list_blocklist_schedules(
    vdnId: VdnId,
    offset: OffsetQuery = 0,
    limit: LimitQuery = 100,
    vdn: int = Depends(tenant),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """The tenant's daily blocklist imports."""
    return _page(rt, vdn, "blocklist", None, offset, limit)


@router.post("/importSchedules/{scheduleId}/cancel")
def cancel_schedule(
    vdnId: VdnId,
    scheduleId: ObjectId,
    vdn: int = Depends(tenant),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """Stop a daily import; its runs that have not started yet end with status 3."""
    with rt.db.transaction() as session:
        schedule = schedules.cancel(session, vdn, scheduleId, rt.clock())
        return ok(result=schedules.to_dict(schedule, schedules.zone_of(session, vdn)))
