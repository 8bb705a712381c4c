"""Call-data records and the blocklist lookups the import needs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import IntEnum
from typing import Any

from sqlalchemy import func, insert, or_, select
from sqlalchemy.orm import Session

from openisales.storage.models import BlocklistEntry, CallData

INSERT_BATCH = 20_000


class RecordStatus(IntEnum):
    """Where a record stands; blocked records are kept but never dialled."""

    PENDING = 0
    BLOCKED = 1


def identity_keys(session: Session, campaign_pk: int) -> set[tuple[str, str]]:
    """Every (sessionId, called-number set) the campaign already holds: the duplicate rule."""
    rows = session.execute(
        select(CallData.session_id, CallData.called_key).where(CallData.campaign_pk == campaign_pk)
    )
    return {(session_id, key) for session_id, key in rows}


def active_blocked_numbers(session: Session, vdn_id: int, now: datetime) -> set[str]:
    rows = session.scalars(
        select(BlocklistEntry.number).where(
            BlocklistEntry.vdn_id == vdn_id,
            or_(BlocklistEntry.expires_at.is_(None), BlocklistEntry.expires_at > now),
        )
    )
    return set(rows)


def insert_records(session: Session, records: Sequence[dict[str, Any]]) -> None:
    """Bulk insert in large batches (executemany of one statement per batch)."""
    statement = insert(CallData)
    for start in range(0, len(records), INSERT_BATCH):
        session.execute(statement, records[start : start + INSERT_BATCH])


def count_for_task(session: Session, task_id: str) -> int:
    return session.scalar(select(func.count()).where(CallData.import_task_id == task_id)) or 0


def for_task(session: Session, task_id: str) -> list[CallData]:
    return list(
        session.scalars(
            select(CallData).where(CallData.import_task_id == task_id).order_by(CallData.row_number)
        )
    )
