"""Blocklist (cec_07_0743-0749): add, delete one, delete all, query, file import and its results."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from openisales.api.blocklist_schemas import (
    AddBlocklistRequest,
    DeleteBlocklistRequest,
    QueryBlocklistRequest,
)
from openisales.api.deps import runtime, tenant
from openisales.api.envelope import ok
from openisales.api.path_ids import VdnId
from openisales.api.routes import V1
from openisales.api.schemas import QueryImportTasksRequest, UploadFileServerRequest
from openisales.services import blocklist, imports
from openisales.services.blocklist import AddRequest
from openisales.services.imports import ImportRequest
from openisales.services.runtime import Runtime

router = APIRouter(tags=["blocklist"])


@router.post(V1 + "/blocklist/add")
def add_numbers(
    vdnId: VdnId,
    body: AddBlocklistRequest,
    vdn: int = Depends(tenant),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    request = AddRequest(
        numbers=body.blocklist,
        validity_expiration_time=body.validity_expiration_time,
        validity_time=body.validity_time,
        restrict_times=body.restrict_times,
        restrict_period=body.restrict_period,
    )
    with rt.db.transaction() as session:
        blocklist.add(session, vdn, request, rt.clock())
        return ok()


@router.post(V1 + "/blocklist/delete")
def delete_number(
    vdnId: VdnId,
    body: DeleteBlocklistRequest,
    vdn: int = Depends(tenant),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    with rt.db.transaction() as session:
        blocklist.delete(session, vdn, body.blocklist_no)
        return ok()


@router.delete(V1 + "/blocklist")
def delete_all(
    vdnId: VdnId,
    vdn: int = Depends(tenant),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    with rt.db.transaction() as session:
        removed = blocklist.delete_all(session, vdn)
        return ok(deletedNum=removed)


@router.post(V1 + "/blocklist/query")
def query_numbers(
    vdnId: VdnId,
    body: QueryBlocklistRequest | None = None,
    vdn: int = Depends(tenant),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    body = body or QueryBlocklistRequest()
    now = rt.clock()
    with rt.db.read() as session:
        page = blocklist.query(session, vdn, body.blocklist, body.offset, body.limit)
        return ok(
            result=[blocklist.to_dict(entry, page.zone, now) for entry in page.entries],
            count=page.total,
            timeZone=str(page.zone),
        )


@router.post(V1 + "/blackfile/uploadFileServer")
def upload_file_server(
    vdnId: VdnId,
    body: UploadFileServerRequest,
    vdn: int = Depends(tenant),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    request = ImportRequest(body.server_id, body.file_path, body.file_name, body.hour, body.minute)
    with rt.db.transaction() as session:
        task = blocklist.submit_file(session, vdn, request, rt.clock())
    rt.work_available.set()  # committed: wake an idle worker of this process
    extra = {"scheduleId": task.schedule_id} if task.schedule_id else {}
    return ok(importTaskId=task.task_id, **extra)


@router.post(V1 + "/blackfile/queryDataImportTask")
def query_data_import_task(
    vdnId: VdnId,
    body: QueryImportTasksRequest,
    vdn: int = Depends(tenant),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    with rt.db.read() as session:
        tasks, total = blocklist.import_tasks(
            session, vdn, body.offset, body.limit, body.import_task_ids
        )
        return ok(result=[imports.to_dict(task) for task in tasks], count=total)
