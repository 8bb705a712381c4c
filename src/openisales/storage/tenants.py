"""Tenant and replay-guard queries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openisales.storage.models import SeenSignature, Tenant


def get(session: Session, vdn_id: int) -> Tenant | None:
    return session.get(Tenant, vdn_id)


def get_by_access_key(session: Session, access_key: str) -> Tenant | None:
    return session.scalars(select(Tenant).where(Tenant.access_key == access_key)).one_or_none()


def list_all(session: Session) -> list[Tenant]:
    return list(session.scalars(select(Tenant).order_by(Tenant.vdn_id)))


def add(session: Session, tenant: Tenant) -> None:
    session.add(tenant)
    session.flush()


def remember_signature(session: Session, signature: str, expires_at: datetime) -> bool:
    """Record a mutating request's signature; False when it was seen before (a replay)."""
    try:
        with session.begin_nested():
            session.add(SeenSignature(signature=signature, expires_at=expires_at))
    except IntegrityError:
        return False
    return True


def forget_expired_signatures(session: Session, now: datetime) -> int:
    result = session.execute(delete(SeenSignature).where(SeenSignature.expires_at < now))
    return int(getattr(result, "rowcount", 0) or 0)
