"""Console pages: campaigns, their import tasks, dialling, result deliveries and schedules.

Every page acts for the signed-in tenant only: the vdnId comes from the session, never from
the URL or the form, and every use case below is called with it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path
from fastapi.responses import FileResponse, HTMLResponse, Response, StreamingResponse

from openisales.console.web import (
    HERE,
    PREFIX,
    ConsoleRoute,
    Ctx,
    posted,
    redirect,
    signed_in,
)
from openisales.domain.result_delivery import RESULT_DELIVERY
from openisales.errors import (
    CampaignNotFound,
    ImportTaskNotFound,
    ISalesError,
    ParameterError,
)
from openisales.services import (
    calldata,
    campaigns,
    failure_reports,
    file_servers,
    imports,
    result_deliveries,
    schedules,
)
from openisales.services.campaigns import CampaignInput
from openisales.services.imports import STATUS_TEXT, ImportRequest

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)
CampaignId = Annotated[int, Path(ge=1, le=2**31 - 1)]
TaskId = Annotated[str, Path(max_length=32)]
UNFINISHED = (0, 1)
RECENT_DELIVERIES = 20


@router.get("/static/console.css")
def stylesheet() -> FileResponse:
    """The console's one stylesheet, served locally (no CDN)."""
    return FileResponse(HERE / "static" / "console.css", media_type="text/css")


@router.get("")
def home() -> Response:
    """Send the console's root to the campaign list."""
    return redirect("/campaigns")


# -- campaigns ---------------------------------------------------------------------------------


def _campaigns_page(ctx: Ctx, status: int = 200, **extra: Any) -> HTMLResponse:
    now = ctx.rt.clock()
    with ctx.rt.db.read() as db:
        rows, total = campaigns.page(
            db,
            ctx.vdn,
            campaigns.CampaignQuery(),
            cur_page=1,
            rows_per_page=100,
            cc_id=ctx.rt.settings.cc_id,
            now=now,
        )
        listed = [campaigns.to_dict(c, now) for c in rows]
    return ctx.render(
        "campaigns.html",
        status,
        campaigns=listed,
        total=total,
        device_types=campaigns.DEVICE_TYPES,
        **extra,
    )


@router.get("/campaigns", response_class=HTMLResponse)
def campaign_list(ctx: Ctx = Depends(signed_in)) -> HTMLResponse:
    """The tenant's campaigns, with the form to create one."""
    return _campaigns_page(ctx)


@router.post("/campaigns")
def campaign_create(ctx: Ctx = Depends(posted)) -> Response:
    """Create a campaign from the form; the form again with the reason when refused."""
    try:
        data = CampaignInput(
            name=_required(ctx, "name", 64),
            description=ctx.field("description") or None,
            begin=_required(ctx, "begin", 19),
            end=_required(ctx, "end", 19),
            device_type=_integer(ctx, "device_type", 1, 99),
            caller_no=ctx.field("caller_no") or None,
            max_alerting_time=None,
            init_status=None,
            params={},
        )
        with ctx.rt.db.transaction() as db:
            limits = campaigns.CampaignLimits.from_settings(ctx.rt.settings)
            campaign = campaigns.create(db, ctx.vdn, data, ctx.rt.clock(), limits)
            campaign_id = campaign.campaign_id
    except ISalesError as exc:
        return _campaigns_page(ctx, 400, error=exc.message, form=ctx.form)
    return redirect(f"/campaigns/{campaign_id}")


def _required(ctx: Ctx, name: str, max_length: int) -> str:
    value = ctx.field(name)
    if not value or len(value) > max_length:
        raise _form_error(f"{name.replace('_', ' ')}: required, at most {max_length} characters")
    return value


def _integer(ctx: Ctx, name: str, low: int, high: int, *, optional: bool = False) -> int | None:
    value = ctx.field(name)
    if not value and optional:
        return None
    if not value.isdigit() or not low <= int(value) <= high:
        raise _form_error(f"{name.replace('_', ' ')}: a whole number from {low} to {high}")
    return int(value)


def _form_error(message: str) -> ISalesError:
    return ParameterError(message)


# -- one campaign: its import tasks, the import form, its schedules ------------------------------


def _campaign_page(ctx: Ctx, campaign_id: int, status: int = 200, **extra: Any) -> HTMLResponse:
    now = ctx.rt.clock()
    with ctx.rt.db.read() as db:
        campaign = campaigns.get(db, ctx.vdn, campaign_id)
        tasks, total = imports.page(db, ctx.vdn, campaign_id, 0, 100, None)
        live = ctx.rt.live_progress
        task_rows = [imports.to_dict(t, live.get(t.task_id)) for t in tasks]
        plans, _ = schedules.page(
            db, ctx.vdn, kind="calldata", campaign_pk=campaign.pk, offset=0, limit=100
        )
        zone = schedules.zone_of(db, ctx.vdn)
        plan_rows = [schedules.to_dict(p, zone) for p in plans]
        servers, _ = file_servers.page(db, ctx.vdn, 0, 100)
        server_rows = [
            (s.server_id, f"{s.user_name}@{s.ip}:{s.port}{s.file_path}") for s in servers
        ]
        info = campaigns.to_dict(campaign, now)
        dialling = _dialling(ctx, db, campaign, now)
    return ctx.render(
        "campaign.html",
        status,
        campaign=info,
        **dialling,
        tasks=task_rows,
        total=total,
        plans=plan_rows,
        servers=server_rows,
        status_text=STATUS_TEXT,
        time_zone=zone,
        refresh=any(int(t["status"]) in UNFINISHED for t in task_rows),
        **extra,
    )


def _dialling(ctx: Ctx, db: Any, campaign: Any, now: datetime) -> dict[str, Any]:
    """The campaign's dialling counts, its latest results' deliveries and where they go."""
    deliveries = result_deliveries.recent(db, ctx.vdn, campaign.pk, RECENT_DELIVERIES)
    by_state = result_deliveries.counts(db, ctx.vdn, campaign.pk)
    return {
        "dialling": calldata.dial_progress(db, ctx.vdn, campaign.campaign_id, now),
        "deliveries": [{**row, "answer": _answer(row)} for row in deliveries],
        "delivery_counts": [
            (RESULT_DELIVERY.text(state).replace(" ", "-"), RESULT_DELIVERY.text(state), count)
            for state, count in by_state.items()
        ],
        "results_total": sum(by_state.values()),
        "receiver": result_deliveries.receiver_origin(
            campaign.params, ctx.rt.settings.result_callback_url
        ),
    }


def _answer(row: dict[str, Any]) -> str:
    """What the last push got: its HTTP status, or why there was none."""
    status = f"HTTP {row['lastStatus']}" if row["lastStatus"] is not None else ""
    error = row["lastError"] or ""
    return status if error in ("", status) else f"{status} {error}".strip()


@router.get("/campaigns/{campaign_id}", response_class=HTMLResponse)
def campaign_view(campaign_id: CampaignId, ctx: Ctx = Depends(signed_in)) -> HTMLResponse:
    """A campaign's import tasks with live progress, its dialling and result deliveries, its
    schedules and the import form."""
    return _campaign_page(ctx, campaign_id)


@router.post("/campaigns/{campaign_id}/imports")
def import_start(campaign_id: CampaignId, ctx: Ctx = Depends(posted)) -> Response:
    """Start a file import (or a daily one) from the form; refused values show on the page."""
    try:
        request = ImportRequest(
            server_id=_required(ctx, "server_id", 32),
            file_path=ctx.field("file_path") or None,
            file_name=_required(ctx, "file_name", 255),
            hour=_integer(ctx, "hour", 0, 23, optional=True),
            minute=_integer(ctx, "minute", 0, 59, optional=True),
        )
        with ctx.rt.db.transaction() as db:
            task = imports.submit(db, ctx.vdn, campaign_id, request, ctx.rt.clock())
            task_id = task.task_id
    except ISalesError as exc:
        if isinstance(exc, CampaignNotFound):
            raise
        return _campaign_page(ctx, campaign_id, 400, error=exc.message, form=ctx.form)
    ctx.rt.work_available.set()  # committed: wake an idle worker of this process
    return redirect(f"/campaigns/{campaign_id}/tasks/{task_id}")


@router.post("/campaigns/{campaign_id}/schedules/{schedule_id}/cancel")
def schedule_cancel(
    campaign_id: CampaignId, schedule_id: TaskId, ctx: Ctx = Depends(posted)
) -> Response:
    """Cancel a daily import and its runs not started yet, then back to the campaign."""
    try:
        with ctx.rt.db.transaction() as db:
            campaigns.get(db, ctx.vdn, campaign_id)
            schedules.cancel(db, ctx.vdn, schedule_id, ctx.rt.clock())
    except ISalesError as exc:
        return _campaign_page(ctx, campaign_id, 400, error=exc.message)
    return redirect(f"/campaigns/{campaign_id}")


# -- one import task ---------------------------------------------------------------------------


def _task_of(ctx: Ctx, db: Any, campaign_id: int, task_id: str) -> Any:
    campaign = campaigns.get(db, ctx.vdn, campaign_id)
    task = imports.get_task(db, ctx.vdn, task_id)
    if task.campaign_pk != campaign.pk:
        raise ImportTaskNotFound(task_id)
    return campaign, task


@router.get("/campaigns/{campaign_id}/tasks/{task_id}", response_class=HTMLResponse)
def task_view(
    campaign_id: CampaignId, task_id: TaskId, ctx: Ctx = Depends(signed_in)
) -> HTMLResponse:
    """One import task: status, counts, errMsg and the failure-report downloads."""
    now = ctx.rt.clock()
    with ctx.rt.db.read() as db:
        campaign, task = _task_of(ctx, db, campaign_id, task_id)
        row = imports.to_dict(task, ctx.rt.live_progress.get(task.task_id))
        info = campaigns.to_dict(campaign, now)
        times = {
            "created": task.created_at,
            "begin": task.begin_time,
            "end": task.end_time,
            "scheduled": task.scheduled_at,
        }
    return ctx.render(
        "task.html",
        campaign=info,
        task=row,
        times=times,
        status_text=STATUS_TEXT,
        refresh=int(row["status"]) in UNFINISHED,
    )


@router.get("/campaigns/{campaign_id}/tasks/{task_id}/failures.{fmt}")
def task_failures(
    campaign_id: CampaignId,
    task_id: TaskId,
    fmt: Literal["xlsx", "csv"],
    ctx: Ctx = Depends(signed_in),
) -> StreamingResponse:
    """Download a task's failure report (xlsx or csv), the same file the API serves."""
    with ctx.rt.db.read() as db:
        _, task = _task_of(ctx, db, campaign_id, task_id)
        report = failure_reports.build(db, task, fmt, ctx.rt.settings.data_dir)
    return StreamingResponse(
        report.chunks,
        media_type=report.media_type,
        headers={"Content-Disposition": f'attachment; filename="{report.filename}"'},
    )
