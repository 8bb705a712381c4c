"""Call-data file import (the seed interface), its result query and the failure report."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import Annotated, Any, BinaryIO, Literal, cast

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import StreamingResponse

from openisales.api.deps import runtime, tenant
from openisales.api.envelope import ok
from openisales.api.path_ids import CampaignId, VdnId
from openisales.api.routes import V1
from openisales.api.schemas import QueryImportTasksRequest, UploadFileServerRequest
from openisales.exports import write_failure_report
from openisales.services import imports
from openisales.services.imports import ImportRequest
from openisales.services.runtime import Runtime

router = APIRouter(prefix=V1 + "/calldatafile", tags=["call data import"])
# The seed's own answer text, kept word for word for clients that compare it.
ACCEPTED = "Exporting data... View details in Import Result."
MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


@router.post("/uploadFileServer/{campaignId}")
def upload_file_server(
    vdnId: VdnId,
    campaignId: CampaignId,
    body: UploadFileServerRequest,
    vdn: int = Depends(tenant),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """Queue (or schedule, with hour/minute) a call-data file import; answers its task id."""
    request = ImportRequest(body.server_id, body.file_path, body.file_name, body.hour, body.minute)
    with rt.db.transaction() as session:
        task = imports.submit(session, vdn, campaignId, request, rt.clock())
    rt.work_available.set()  # committed: wake an idle worker of this process
    extra = {"scheduleId": task.schedule_id} if task.schedule_id else {}
    return ok(ACCEPTED, importTaskId=task.task_id, **extra)


@router.post("/queryDataImportTask/{campaignId}")
def query_data_import_task(
    vdnId: VdnId,
    campaignId: CampaignId,
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
    importTaskId: Annotated[str, Path(max_length=32)],
    format: Annotated[Literal["xlsx", "csv"], Query()] = "xlsx",
    vdn: int = Depends(tenant),
    rt: Runtime = Depends(runtime),
) -> StreamingResponse:
    """Every rejected row of the task: row number, column, code, message, then its original cells."""
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024, dir=str(rt.settings.data_dir))  # noqa: SIM115 - closed by _chunks once streamed
    with rt.db.read() as session:
        task = imports.get_task(session, vdn, importTaskId)
        rows = (
            (f.row_number, f.column_name, f.code, f.rule, f.message, f.cells)
            for f in imports.failures(session, task)
        )
        write_failure_report(cast(BinaryIO, spool), format, task.source_header or [], rows)
    spool.seek(0)
    filename = f"import-{importTaskId}-failures.{format}"
    return StreamingResponse(
        _chunks(spool),
        media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _chunks(spool: Any) -> Iterator[bytes]:
    try:
        while chunk := spool.read(256 * 1024):
            yield chunk
    finally:
        spool.close()
