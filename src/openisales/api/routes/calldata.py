"""Call data in JSON (cec_07_0759-0765): add V1/V2, delete, query one, statistics.

Beside the contract: ``GET .../calldata/{campaignId}`` pages through a campaign's records (from
files and from JSON alike), for operators checking what an import wrote.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from openisales.api.calldata_schemas import (
    AddCallDataV1Request,
    AddCallDataV2Request,
    DeleteCallDataRequest,
)
from openisales.api.deps import runtime, tenant
from openisales.api.envelope import ok
from openisales.api.params import CampaignId, CampaignIdQuery, LimitQuery, OffsetQuery, VdnId
from openisales.api.routes import V1
from openisales.services import calldata
from openisales.services.calldata import Added, DeleteRequest
from openisales.services.runtime import Runtime

V2 = "/rest/isales/v2/openapi/campaigns/{vdnId}"
router = APIRouter(tags=["call data"])
# The documented answer text of the add interfaces (cec_07_0759 example).
CREATED = "create data succeeded"


@router.post(V1 + "/calldata/{campaignId}")
def add_v1(
    vdnId: VdnId,
    campaignId: CampaignId,
    body: AddCallDataV1Request,
    vdn: int = Depends(tenant),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """Add records all or none and answer each one's dataId; a completed campaign is refused."""
    items = [record.to_new() for record in body.call_data_list]
    with rt.db.transaction() as session:
        added = calldata.add(session, vdn, campaignId, items, rt.clock(), unique_per_session=False)
    return ok(CREATED, returnObject=_added(added, as_list=False))


@router.post(V2 + "/calldata/{campaignId}")
def add_v2(
    vdnId: VdnId,
    campaignId: CampaignId,
    body: AddCallDataV2Request,
    vdn: int = Depends(tenant),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """Add records (numbers unique per sessionId) all or none; a completed campaign is refused."""
    items = [record.to_new(body.batch_id) for record in body.call_data_list]
    with rt.db.transaction() as session:
        added = calldata.add(session, vdn, campaignId, items, rt.clock(), unique_per_session=True)
    return ok(CREATED, returnObject=_added(added, as_list=True))


def _added(added: Added, *, as_list: bool) -> dict[str, Any]:
    """V1 answers each record's number; V2, whose ``called`` is a list, the list of numbers."""
    return {
        "totalSize": added.pending,
        "dataIdList": [
            {
                "called": [n.called_no for n in record.called]
                if as_list
                else record.called[0].called_no,
                "dataId": data_id,
            }
            for record, data_id in added.records
        ],
    }


@router.post(V1 + "/calldata/{campaignId}/delete")
def delete(
    vdnId: VdnId,
    campaignId: CampaignId,
    body: DeleteCallDataRequest,
    vdn: int = Depends(tenant),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """Delete (or archive) the campaign's records matching every criterion; answers the count."""
    request = DeleteRequest(
        session_id=body.session_id or None,
        called=body.called or None,
        custom_field=body.custom_field or None,
        recycle_time=body.recycle_time or None,
        recycle_type=body.recycle_type,
        archive_history=body.archive_history == 1,
    )
    with rt.db.transaction() as session:
        count = calldata.delete(session, vdn, campaignId, request, rt.clock())
    return ok(returnObject={"deleteCount": count})


@router.get(V1 + "/calldata/{campaignId}/{dataId}")
def query_one(
    vdnId: VdnId,
    campaignId: CampaignId,
    dataId: Annotated[str, Path(max_length=40)],
    vdn: int = Depends(tenant),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """One record by dataId; another campaign's or tenant's record is answered as not found."""
    with rt.db.read() as session:
        record = calldata.get(session, vdn, campaignId, dataId)
        return ok(data=calldata.to_dict(record))


@router.get(V1 + "/calldata/{campaignId}")
def list_records(
    vdnId: VdnId,
    campaignId: CampaignId,
    importTaskId: Annotated[str | None, Query(max_length=32)] = None,
    status: Annotated[int | None, Query(ge=0, le=1)] = None,
    offset: OffsetQuery = 0,
    limit: LimitQuery = 100,
    vdn: int = Depends(tenant),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """Extension: a page of the campaign's records, oldest first, with the total."""
    with rt.db.read() as session:
        records, total = calldata.page(
            session,
            vdn,
            campaignId,
            import_task_id=importTaskId or None,
            status=status,
            offset=offset,
            limit=limit,
        )
        items = [calldata.to_list_item(record) for record in records]
    return ok(returnObject={"count": total, "offset": offset, "limit": limit, "data": items})


@router.get(V2 + "/statistics")
def statistics(
    vdnId: VdnId,
    campaignId: CampaignIdQuery = None,
    batchId: Annotated[str | None, Query(max_length=64)] = None,
    vdn: int = Depends(tenant),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """Record counts (``countDetail``) per campaign, or for the one campaign or batch asked."""
    with rt.db.read() as session:
        details = calldata.statistics(session, vdn, campaignId, batchId or None, rt.clock())
    return ok(countDetail=details)
