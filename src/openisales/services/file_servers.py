"""File servers (SFTP) a tenant imports from: add, list, change, remove."""

from __future__ import annotations

import ipaddress
import posixpath
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openisales.errors import ConflictError, EmptyValue, ServerNotFound, WrongValue
from openisales.networks import AddressNotAllowed, ServerNetworks, check_host
from openisales.storage import file_servers as server_rows
from openisales.storage.crypto import SecretBox
from openisales.storage.ids import new_object_id
from openisales.storage.models import FileServer


@dataclass(frozen=True)
class ServerSpec:
    user_name: str
    password: str | None
    ip: str
    port: int
    file_path: str
    # Extension: imports wait for "<file>.done" beside the file. None: false when added, and
    # unchanged when updated.
    require_done_marker: bool | None = None


def normalize_default_path(path: str) -> str:
    """The server's default path as an absolute, normalised POSIX path."""
    if not path.startswith("/"):
        raise WrongValue(
            f"serverInfo.filePath must be an absolute path such as /home/sftp, got {path!r}"
        )
    return posixpath.normpath(path) if path != "/" else "/"


def check_address(spec: ServerSpec, networks: ServerNetworks) -> None:
    """Refuse an address (or a name resolving to one) where a file server may not be."""
    try:
        check_host(spec.ip, spec.port, networks)
    except AddressNotAllowed as exc:
        raise WrongValue(f"serverInfo.ip: {exc}") from None


def add(
    session: Session,
    box: SecretBox,
    vdn_id: int,
    spec: ServerSpec,
    now: datetime,
    *,
    networks: ServerNetworks,
) -> FileServer:
    """Store a new server, password sealed; refuses no password, a barred address, a duplicate."""
    if spec.password is None:
        raise EmptyValue("serverPwd: must not be empty")
    default_path = normalize_default_path(spec.file_path)
    check_address(spec, networks)
    _refuse_duplicate(session, vdn_id, spec, default_path, except_id=None)
    server = FileServer(
        server_id=new_object_id(),
        vdn_id=vdn_id,
        ip=spec.ip,
        port=spec.port,
        file_path=default_path,
        user_name=spec.user_name,
        password_enc=box.seal(spec.password),
        host_key=None,
        created_at=now,
        updated_at=now,
        require_done_marker=bool(spec.require_done_marker),
    )
    try:
        server_rows.add(session, server)
    except IntegrityError as exc:  # a concurrent add took the same address first
        raise _duplicate() from exc
    return server


def page(session: Session, vdn_id: int, offset: int, limit: int) -> tuple[list[FileServer], int]:
    """A page of the tenant's servers, oldest first, and how many there are in all."""
    return server_rows.page(session, vdn_id, offset, limit)


def to_dict(server: FileServer) -> dict[str, Any]:
    """A file server as queryServer returns it; the password is never returned, in any form."""
    return {
        "serverId": server.server_id,
        "ip": server.ip,
        "port": str(server.port),
        "filePath": server.file_path,
        "userName": server.user_name,
        "requireDoneMarker": server.require_done_marker,  # extension
    }


def get(session: Session, vdn_id: int, server_id: str) -> FileServer:
    """The tenant's server; ServerNotFound for an unknown id or another tenant's server."""
    server = server_rows.get(session, vdn_id, server_id)
    if server is None:
        raise ServerNotFound(server_id)
    return server


def update(
    session: Session,
    box: SecretBox,
    vdn_id: int,
    server_id: str,
    spec: ServerSpec,
    now: datetime,
    *,
    networks: ServerNetworks,
) -> FileServer:
    """Change a server in place; a new ip needs the password again, a new ip or port forgets the
    host key. Without a password the stored one is kept."""
    server = get(session, vdn_id, server_id)
    default_path = normalize_default_path(spec.file_path)
    check_address(spec, networks)
    if spec.password is None and not same_host(spec.ip, server.ip):
        # cec_07_0794: serverPwd "must be sent when serverInfo.ip differs from the stored ip";
        # only then. A new port on the same host keeps the stored password, as documented.
        raise EmptyValue("serverPwd: required when serverInfo.ip changes")
    address_changed = not same_host(spec.ip, server.ip) or spec.port != server.port
    _refuse_duplicate(session, vdn_id, spec, default_path, except_id=server.server_id)
    if address_changed:
        server.host_key = None  # a new machine: its key is learnt again on first use
    server.ip, server.port, server.file_path = spec.ip, spec.port, default_path
    server.user_name = spec.user_name
    if spec.password is not None:
        server.password_enc = box.seal(spec.password)
    if spec.require_done_marker is not None:
        server.require_done_marker = spec.require_done_marker
    server.updated_at = now
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent add or update took the same address first
        raise _duplicate() from exc
    return server


def same_host(given: str, stored: str) -> bool:
    """Whether two ``serverInfo.ip`` texts name the same host: the same address however it is
    written (``::1`` and ``0:0:0:0:0:0:0:1``), or the same host name in any letter case."""
    return _host_key(given) == _host_key(stored)


def _host_key(text: str) -> object:
    bare = text.strip().strip("[]")
    try:
        return ipaddress.ip_address(bare)
    except ValueError:
        return bare.lower().rstrip(".")


def delete(session: Session, vdn_id: int, server_id: str) -> None:
    """Remove the tenant's server; ServerNotFound for an unknown id or another tenant's server."""
    server_rows.remove(session, get(session, vdn_id, server_id))


def pin_host_key(session: Session, server_id: str, host_key: str) -> None:
    """Remember the host key seen on first connection (trust on first use); it is pinned from
    then on, and a different key is refused (sftp.client)."""
    server = session.get(FileServer, server_id)
    if server is not None and server.host_key is None:
        server.host_key = host_key
        session.flush()


def _refuse_duplicate(
    session: Session, vdn_id: int, spec: ServerSpec, default_path: str, except_id: str | None
) -> None:
    same = server_rows.find_same_address(
        session, vdn_id, spec.ip, spec.port, default_path, spec.user_name
    )
    if same is not None and same.server_id != except_id:
        raise ConflictError(
            f"a file server with this address, path and user already exists: {same.server_id}"
        )


def _duplicate() -> ConflictError:
    return ConflictError("a file server with this address, path and user already exists")
