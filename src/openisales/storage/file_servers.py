"""File-server queries, always scoped to one tenant."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openisales.storage.models import FileServer


def get(session: Session, vdn_id: int, server_id: str) -> FileServer | None:
    """The tenant's server with this id, or None (also for another tenant's server)."""
    server = session.get(FileServer, server_id)
    # Another tenant's server is indistinguishable from one that does not exist.
    return server if server is not None and server.vdn_id == vdn_id else None


def find_same_address(
    session: Session, vdn_id: int, ip: str, port: int, file_path: str, user_name: str
) -> FileServer | None:
    """The tenant's server with this ip, port, path and user, if there is one."""
    query = select(FileServer).where(
        FileServer.vdn_id == vdn_id,
        FileServer.ip == ip,
        FileServer.port == port,
        FileServer.file_path == file_path,
        FileServer.user_name == user_name,
    )
    return session.scalars(query).first()


def page(session: Session, vdn_id: int, offset: int, limit: int) -> tuple[list[FileServer], int]:
    """A page of the tenant's servers, oldest first, and the total."""
    base = select(FileServer).where(FileServer.vdn_id == vdn_id)
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = session.scalars(
        base.order_by(FileServer.created_at, FileServer.server_id).offset(offset).limit(limit)
    )
    return list(rows), total


def add(session: Session, server: FileServer) -> None:
    """Insert the server and flush."""
    session.add(server)
    session.flush()


def remove(session: Session, server: FileServer) -> None:
    """Delete the server row and flush."""
    session.delete(server)
    session.flush()
