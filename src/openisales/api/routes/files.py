"""File-server interfaces (cec_07_0792-0795): addServer, queryServer, updateServer, deleteServer."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from openisales.api.deps import runtime, tenant
from openisales.api.envelope import ok
from openisales.api.params import ObjectId, VdnId
from openisales.api.routes import V1
from openisales.api.schemas import AddServerRequest, PageRequest, UpdateServerRequest
from openisales.services import file_servers
from openisales.services.file_servers import ServerSpec
from openisales.services.runtime import Runtime

router = APIRouter(prefix=V1 + "/file", tags=["file servers"])


def _spec(body: AddServerRequest | UpdateServerRequest) -> ServerSpec:
    info = body.server_info
    return ServerSpec(
        body.user_name,
        body.server_pwd,
        info.ip,
        info.port,
        info.file_path,
        require_done_marker=body.require_done_marker,
    )


@router.post("/addServer")
def add_server(
    vdnId: VdnId,
    body: AddServerRequest,
    vdn: int = Depends(tenant),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """Register an SFTP server, answer its id; refuses no password, barred address, duplicate."""
    spec = _spec(body)
    with rt.db.transaction() as session:
        server = file_servers.add(
            session, rt.box, vdn, spec, rt.clock(), networks=rt.server_networks
        )
        return ok(serverId=server.server_id)


@router.post("/queryServer")
def query_server(
    vdnId: VdnId,
    body: PageRequest,
    vdn: int = Depends(tenant),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """A page of the tenant's file servers (never their passwords) with the total."""
    with rt.db.read() as session:
        servers, total = file_servers.page(session, vdn, body.offset, body.limit)
        return ok(server=[file_servers.to_dict(s) for s in servers], total=total)


@router.post("/{serverId}/updateServer")
def update_server(
    vdnId: VdnId,
    serverId: ObjectId,
    body: UpdateServerRequest,
    vdn: int = Depends(tenant),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """Change a file server; the password must be sent again when the ip changes, else kept."""
    spec = _spec(body)
    with rt.db.transaction() as session:
        file_servers.update(
            session, rt.box, vdn, serverId, spec, rt.clock(), networks=rt.server_networks
        )
        return ok()


@router.post("/{serverId}/deleteServer")
def delete_server(
    vdnId: VdnId,
    serverId: ObjectId,
    vdn: int = Depends(tenant),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """Remove one of the tenant's file servers; an unknown id is refused."""
    with rt.db.transaction() as session:
        file_servers.delete(session, vdn, serverId)
        return ok()
