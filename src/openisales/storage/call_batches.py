"""Call batches and the records they hold: every SQL statement of the batch interfaces.

A status change is a move of ``domain.call_batch.CALL_BATCH``, written by one guarded UPDATE
(``status IN sources(target)``), as import tasks move.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, exists, func, or_, select, update
from sqlalchemy.orm import Session

from openisales.domain.call_batch import CALL_BATCH, BatchStatus
from openisales.domain.dispatch import DialState
from openisales.storage.models import CallBatch, CallData, DialEntry

LIVE = CallBatch.status != BatchStatus.DELETED


def get(session: Session, campaign_pk: int, batch_id: str) -> CallBatch | None:
    """The campaign's live batch with this id."""
    query = select(CallBatch).where(
        CallBatch.campaign_pk == campaign_pk, CallBatch.batch_id == batch_id, LIVE
    )
    return session.scalars(query).first()


def name_taken(session: Session, campaign_pk: int, name: str, except_pk: int | None = None) -> bool:
    """Whether another live batch of the campaign has this name."""
    query = select(CallBatch.pk).where(
        CallBatch.campaign_pk == campaign_pk, CallBatch.name == name, LIVE
    )
    if except_pk is not None:
        query = query.where(CallBatch.pk != except_pk)
    return session.scalars(query).first() is not None


def count_live(session: Session, campaign_pk: int) -> int:
    """How many live batches the campaign holds."""
    query = select(func.count()).where(CallBatch.campaign_pk == campaign_pk, LIVE)
    return int(session.scalar(query) or 0)


def add(session: Session, batch: CallBatch) -> None:
    """Write a new batch (the live-name index refuses a concurrent twin: IntegrityError)."""
    session.add(batch)
    session.flush()


def page(
    session: Session,
    campaign_pk: int,
    *,
    status: int | None,
    name: str | None,
    offset: int,
    limit: int,
) -> tuple[list[CallBatch], int]:
    """A page of the campaign's live batches, oldest first; the total that match."""
    query = select(CallBatch).where(CallBatch.campaign_pk == campaign_pk, LIVE)
    if status is not None:
        query = query.where(CallBatch.status == status)
    if name:
        escaped = name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(CallBatch.name.like(f"%{escaped}%", escape="\\"))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(CallBatch.pk).offset(offset).limit(limit))
    return list(rows), int(total)


def move(session: Session, pk: int, target: BatchStatus, now: datetime, **values: Any) -> bool:
    """Move a batch to ``target`` if its lifecycle allows it from the row's state now."""
    result = session.execute(
        update(CallBatch)
        .where(CallBatch.pk == pk, CallBatch.status.in_(CALL_BATCH.sources(target)))
        .values(status=target, updated_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    return getattr(result, "rowcount", 0) == 1


def paused_ids(session: Session, campaign_pk: int) -> list[str]:
    """The ids of the campaign's paused batches (few: at most the batch limit)."""
    query = select(CallBatch.batch_id).where(
        CallBatch.campaign_pk == campaign_pk, CallBatch.status == BatchStatus.PAUSED
    )
    return sorted(session.scalars(query))


def delete_uncalled(session: Session, campaign_pk: int, batch_id: str, now: datetime) -> int:
    """Delete the batch's records that were never called; how many.

    Never called: no queue row yet, or a queue row still on its first number with no failure,
    not finished and not under a live lease (as the statistics count ``unCallCount``).
    """
    touched = exists().where(
        DialEntry.data_id == CallData.data_id,
        or_(
            DialEntry.position > 0,
            DialEntry.failures > 0,
            DialEntry.state == DialState.DONE,
            (DialEntry.state == DialState.LEASED) & (DialEntry.lease_expires_at >= now),
        ),
    )
    result = session.execute(
        delete(CallData)
        .where(CallData.campaign_pk == campaign_pk, CallData.batch_id == batch_id, ~touched)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
