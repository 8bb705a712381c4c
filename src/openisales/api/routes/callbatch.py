"""Outbound call batches (cec_07_0770 add, 0771 modify, 0772 delete, 0773 pause, 0774 resume,
0775 list)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from openisales.api.batch_schemas import (
    BatchRequest,
    CreateBatchRequest,
    ListBatchesRequest,
    UpdateBatchRequest,
)
from openisales.api.deps import runtime, tenant
from openisales.api.envelope import ok
from openisales.api.params import CampaignId, VdnId
from openisales.api.routes import V1
from openisales.services import call_batches
from openisales.services.runtime import Runtime

router = APIRouter(tags=["call batches"])
BATCHES = V1 + "/callbatch/{campaignId}"


@router.post(BATCHES + "/create", summary="Add a call batch (cec_07_0770)")
def create_batch(
    vdnId: VdnId,
    campaignId: CampaignId,
    body: CreateBatchRequest,
    vdn: int = Depends(tenant),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """Add a batch (paused unless ``status`` is 1); ``returnObject.id`` is its ``batchId``."""
    with rt.db.transaction() as session:
        batch = call_batches.create(session, vdn, campaignId, body.name, body.status, rt.clock())
        return ok(returnObject={"id": batch.batch_id})


@router.post(BATCHES + "/update", summary="Modify a call batch (cec_07_0771)")
def update_batch(
    vdnId: VdnId,
    campaignId: CampaignId,
    body: UpdateBatchRequest,
    vdn: int = Depends(tenant),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """Rename a batch; the name stays unique among the campaign's batches."""
    with rt.db.transaction() as session:
        call_batches.rename(session, vdn, campaignId, body.id, body.name, rt.clock())
        return ok()


@router.post(BATCHES + "/delete", summary="Delete a call batch (cec_07_0772)")
def delete_batch(
    vdnId: VdnId,
    campaignId: CampaignId,
    body: BatchRequest,
    vdn: int = Depends(tenant),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """Delete a batch and its records never called (``deletedNum``, an extension)."""
    with rt.db.transaction() as session:
        removed = call_batches.delete(session, vdn, campaignId, body.id, rt.clock())
        return ok(deletedNum=removed)


@router.post(BATCHES + "/pause", summary="Pause a call batch (cec_07_0773)")
def pause_batch(
    vdnId: VdnId,
    campaignId: CampaignId,
    body: BatchRequest,
    vdn: int = Depends(tenant),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """Stop leasing the batch's records until it is resumed."""
    with rt.db.transaction() as session:
        call_batches.pause(session, vdn, campaignId, body.id, rt.clock())
        return ok()


@router.post(BATCHES + "/resume", summary="Resume a call batch (cec_07_0774)")
def resume_batch(
    vdnId: VdnId,
    campaignId: CampaignId,
    body: BatchRequest,
    vdn: int = Depends(tenant),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """Lease the batch's records again."""
    with rt.db.transaction() as session:
        call_batches.resume(session, vdn, campaignId, body.id, rt.clock())
        return ok()


@router.get(BATCHES + "/list", summary="List call batches (cec_07_0775)")
def list_batches(
    vdnId: VdnId,
    campaignId: CampaignId,
    body: ListBatchesRequest | None = None,
    vdn: int = Depends(tenant),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """A page of the campaign's batches; the filters come in a JSON body, as the page sends."""
    body = body or ListBatchesRequest()
    with rt.db.read() as session:
        found = call_batches.page(
            session,
            vdn,
            campaignId,
            status=body.status,
            name=body.name,
            offset=body.offset,
            limit=body.limit,
        )
        return ok(totalCount=found.total, data=[call_batches.to_dict(b) for b in found.batches])
