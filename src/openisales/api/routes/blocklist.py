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
from openisales.api.params import VdnId
from openisales.api.routes import V1
from openisales.api.schemas import QueryImportTasksRequest, UploadFileServerRequest
from openisales.services import blocklist, imports
from openisales.services.blocklist import AddRequest
from openisales.services.runtime import Runtime

router = APIRouter(tags=["blocklist"])


@router.post(V1 + "/blocklist/add")
def add_numbers(
    vdnId: VdnId,
    body: AddBlocklistRequest,
    vdn: int = Depends(tenant),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """Add up to 20 numbers, all or none: one listed, repeated or bad number refuses them all."""
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
    """Remove one number from the blocklist, active or expired; an unlisted one is refused."""
    with rt.db.transaction() as session:
        blocklist.delete(session, vdn, body.blocklist_no)
        return ok()


@router.delete(V1 + "/blocklist")
def delete_all(
    vdnId: VdnId,
    vdn: int = Depends(tenant),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """Empty the tenant's blocklist and answer how many entries it held (``deletedNum``)."""
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
    """A page of the blocklist (only the given numbers, if any), times in the tenant's zone."""
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
    """Queue (or schedule, with hour/minute) a blocklist file import; answers its task id."""
    request = body.as_import_request()
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
    """A page of the tenant's blocklist import tasks with their counts, newest first."""
    with rt.db.read() as session:
        tasks, total = blocklist.import_tasks(
            session, vdn, body.offset, body.limit, body.import_task_ids
        )
        return ok(result=[imports.to_dict(task) for task in tasks], count=total)
