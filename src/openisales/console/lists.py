"""Console pages for the tenant's file servers and blocklist."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, Response

from openisales.console.web import PREFIX, ConsoleRoute, Ctx, posted, redirect, signed_in
from openisales.errors import ISalesError, ParameterError
from openisales.services import blocklist, file_servers
from openisales.services.blocklist import AddRequest
from openisales.services.file_servers import ServerSpec

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)


# -- file servers ------------------------------------------------------------------------------


def _servers_page(ctx: Ctx, status: int = 200, **extra: Any) -> HTMLResponse:
    with ctx.rt.db.read() as db:
        servers, total = file_servers.page(db, ctx.vdn, 0, 100)
        rows = [
            {
                "id": s.server_id,
                "user": s.user_name,
                "ip": s.ip,
                "port": s.port,
                "path": s.file_path,
                "pinned": s.host_key is not None,
            }
            for s in servers
        ]
    return ctx.render("servers.html", status, servers=rows, total=total, **extra)


@router.get("/file-servers", response_class=HTMLResponse)
def server_list(ctx: Ctx = Depends(signed_in)) -> HTMLResponse:
    """The file-servers page: the first 100 servers, each with whether its host key is pinned."""
    return _servers_page(ctx)


@router.post("/file-servers")
def server_add(ctx: Ctx = Depends(posted)) -> Response:
    """Add a file server from the form; bad input re-renders the page (400) without the password."""
    port = ctx.field("port") or "22"
    try:
        if not port.isdigit() or not 1 <= int(port) <= 65535:
            raise ParameterError("port: a whole number from 1 to 65535")
        if not ctx.field("user_name") or not ctx.field("ip"):
            raise ParameterError("user name and address are required")
        spec = ServerSpec(
            ctx.field("user_name"),
            ctx.form.get("password") or None,
            ctx.field("ip"),
            int(port),
            ctx.field("file_path") or "/",
        )
        with ctx.rt.db.transaction() as db:
            file_servers.add(
                db,
                ctx.rt.box,
                ctx.vdn,
                spec,
                ctx.rt.clock(),
                networks=ctx.rt.server_networks,
            )
    except ISalesError as exc:
        form = {k: v for k, v in ctx.form.items() if k != "password"}
        return _servers_page(ctx, 400, error=exc.message, form=form)
    return redirect("/file-servers?added=1")


# -- blocklist ---------------------------------------------------------------------------------


def _blocklist_page(ctx: Ctx, status: int = 200, **extra: Any) -> HTMLResponse:
    now = ctx.rt.clock()
    with ctx.rt.db.read() as db:
        found = blocklist.query(db, ctx.vdn, None, 0, 100)
        rows = [blocklist.to_dict(e, found.zone, now) for e in found.entries]
    return ctx.render("blocklist.html", status, entries=rows, total=found.total, **extra)


@router.get("/blocklist", response_class=HTMLResponse)
def blocklist_list(ctx: Ctx = Depends(signed_in)) -> HTMLResponse:
    """The blocklist page: the first 100 entries and the total."""
    return _blocklist_page(ctx)


@router.post("/blocklist")
def blocklist_add(ctx: Ctx = Depends(posted)) -> Response:
    """Add the form's numbers (all or none), redirecting back; bad input re-renders it (400)."""
    numbers = [n for n in ctx.field("numbers").replace(",", " ").split() if n]
    hours = ctx.field("validity_hours")
    try:
        if hours and not hours.isdigit():
            raise ParameterError("validity: a whole number of hours")
        request = AddRequest(numbers, validity_time=int(hours) if hours else None)
        with ctx.rt.db.transaction() as db:
            blocklist.add(db, ctx.vdn, request, ctx.rt.clock())
    except ISalesError as exc:
        return _blocklist_page(ctx, 400, error=exc.message, form=ctx.form)
    return redirect("/blocklist")


@router.post("/blocklist/delete")
def blocklist_delete(ctx: Ctx = Depends(posted)) -> Response:
    """Remove the form's number, redirecting back; an unlisted number re-renders the page (400)."""
    try:
        with ctx.rt.db.transaction() as db:
            blocklist.delete(db, ctx.vdn, ctx.field("number"))
    except ISalesError as exc:
        return _blocklist_page(ctx, 400, error=exc.message)
    return redirect("/blocklist")
