"""Tenant queries."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from openisales.storage.models import Tenant


def get(session: Session, vdn_id: int) -> Tenant | None:
    """The tenant with this VDN id, or None."""
    return session.get(Tenant, vdn_id)


def get_by_access_key(session: Session, access_key: str) -> Tenant | None:
    """The tenant holding this access key, or None."""
    return session.scalars(select(Tenant).where(Tenant.access_key == access_key)).one_or_none()


def list_all(session: Session) -> list[Tenant]:
    """Every tenant, by VDN id."""
    return list(session.scalars(select(Tenant).order_by(Tenant.vdn_id)))


def add(session: Session, tenant: Tenant) -> None:
    """Insert the tenant and flush."""
    session.add(tenant)
    session.flush()


def lock(session: Session, vdn_id: int) -> None:
    """Hold the tenant row until the transaction ends: writers that check a tenant-wide count
    (its blocklist, its campaigns) queue here, so the count stays true until the commit.

    On SQLite the transaction's BEGIN IMMEDIATE already serialises all writers.
    """
    if session.get_bind().dialect.name != "sqlite":
        session.execute(select(Tenant.vdn_id).where(Tenant.vdn_id == vdn_id).with_for_update())
