"""Call-data file import (the seed interface), its result query, failure report and mapping."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from openisales.api.deps import runtime, tenant
from openisales.api.envelope import ok
from openisales.api.params import CampaignIdText, ObjectId, VdnId
from openisales.api.routes import V1
from openisales.api.schemas import QueryImportTasksRequest, UploadFileServerRequest
from openisales.services import failure_reports, imports, record_mappings
from openisales.services.failure_reports import FileDownload
from openisales.services.runtime import Runtime

router = APIRouter(prefix=V1 + "/calldatafile", tags=["call data import"])
# The seed's own answer text, kept word for word for clients that compare it.
ACCEPTED = "Exporting data... View details in Import Result."


@router.post("/uploadFileServer/{campaignId}")
def upload_file_server(
    vdnId: VdnId,
    campaignId: CampaignIdText,
    body: UploadFileServerRequest,
    vdn: int = Depends(tenant),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """Queue (or schedule, with hour/minute) a call-data file import; answers its task id."""
    request = body.as_import_request()
    with rt.db.transaction() as session:
        task = imports.submit(session, vdn, campaignId, request, rt.clock())
    rt.work_available.set()  # committed: wake an idle worker of this process
    extra = {"scheduleId": task.schedule_id} if task.schedule_id else {}
    return ok(ACCEPTED, importTaskId=task.task_id, **extra)


@router.post("/queryDataImportTask/{campaignId}")
def query_data_import_task(
    vdnId: VdnId,
    campaignId: CampaignIdText,
    body: QueryImportTasksRequest,
    vdn: int = Depends(tenant),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """A page of the campaign's import tasks with counts and live progress, and the total."""
    with rt.db.read() as session:
        tasks, total = imports.page(
            session, vdn, campaignId, body.offset, body.limit, body.import_task_ids
        )
        live = rt.live_progress
        return ok(result=[imports.to_dict(t, live.get(t.task_id)) for t in tasks], count=total)


@router.get("/importTasks/{importTaskId}/failures", response_class=StreamingResponse)
def download_failures(
    vdnId: VdnId,
    importTaskId: ObjectId,
    format: Annotated[Literal["xlsx", "csv"], Query()] = "xlsx",
    vdn: int = Depends(tenant),
    rt: Runtime = Depends(runtime),
) -> StreamingResponse:
    """Every rejected row of the task: row number, column, code, message, then its original cells."""
    with rt.db.read() as session:
        task = imports.get_task(session, vdn, importTaskId)
        report = failure_reports.build(session, task, format, rt.settings.data_dir)
    return _attachment(report)


@router.get("/importTasks/{importTaskId}/mapping", response_class=StreamingResponse)
def download_mapping(
    vdnId: VdnId,
    importTaskId: ObjectId,
    format: Annotated[Literal["xlsx", "csv"], Query()] = "csv",
    vdn: int = Depends(tenant),
    rt: Runtime = Depends(runtime),
) -> StreamingResponse:
    """A finished import's records in row order: rowNumber, dataId, sessionId, calledNo."""
    with rt.db.read() as session:
        task = imports.get_task(session, vdn, importTaskId)
        mapping = record_mappings.build(session, task, format, rt.settings.data_dir)
    return _attachment(mapping)


def _attachment(download: FileDownload) -> StreamingResponse:
    """A made file streamed as a download under its own name."""
    return StreamingResponse(
        download.chunks,
        media_type=download.media_type,
        headers={"Content-Disposition": f'attachment; filename="{download.filename}"'},
    )
