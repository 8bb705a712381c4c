"""Blocklist queries, always scoped to one tenant."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from openisales.storage.models import BlocklistEntry

INSERT_BATCH = 20_000
# Numbers per IN (...) list: well below SQLite's and PostgreSQL's bound-parameter limits.
LOOKUP_BATCH = 5_000


def _chunks(numbers: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(numbers), LOOKUP_BATCH):
        yield numbers[start : start + LOOKUP_BATCH]


def find(session: Session, vdn_id: int, numbers: Sequence[str]) -> list[BlocklistEntry]:
    """The tenant's entries (active or expired) for any of ``numbers``."""
    found: list[BlocklistEntry] = []
    for chunk in _chunks(numbers):
        query = select(BlocklistEntry).where(
            BlocklistEntry.vdn_id == vdn_id, BlocklistEntry.number.in_(chunk)
        )
        found.extend(session.scalars(query))
    return found


def add_many(session: Session, entries: Sequence[dict[str, Any]]) -> None:
    """Bulk insert of entry rows (``vdn_id``, ``number``, ``expires_at``, ...)."""
    statement = insert(BlocklistEntry)
    for start in range(0, len(entries), INSERT_BATCH):
        session.execute(statement, entries[start : start + INSERT_BATCH])


def delete_numbers(session: Session, vdn_id: int, numbers: Sequence[str]) -> int:
    """Remove the tenant's entries of ``numbers``; how many there were."""
    removed = 0
    for chunk in _chunks(numbers):
        result = session.execute(
            delete(BlocklistEntry)
            .where(BlocklistEntry.vdn_id == vdn_id, BlocklistEntry.number.in_(chunk))
            .execution_options(synchronize_session=False)
        )
        removed += int(getattr(result, "rowcount", 0) or 0)
    return removed


def delete_one(session: Session, vdn_id: int, number: str) -> bool:
    """Remove one entry; False when the tenant has no entry for ``number``."""
    return delete_numbers(session, vdn_id, [number]) == 1


def delete_all(session: Session, vdn_id: int) -> int:
    """Delete every entry of the tenant, active or expired; returns how many there were."""
    result = session.execute(
        delete(BlocklistEntry)
        .where(BlocklistEntry.vdn_id == vdn_id)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def page(
    session: Session,
    vdn_id: int,
    *,
    numbers: Sequence[str] | None,
    offset: int,
    limit: int,
) -> tuple[list[BlocklistEntry], int]:
    """A page of the tenant's entries in the order they were added; only ``numbers`` if given."""
    query = select(BlocklistEntry).where(BlocklistEntry.vdn_id == vdn_id)
    if numbers is not None:
        query = query.where(BlocklistEntry.number.in_(numbers))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    order = (BlocklistEntry.created_at, BlocklistEntry.pk)
    rows = session.scalars(query.order_by(*order).offset(offset).limit(limit))
    return list(rows), total


def count(session: Session, vdn_id: int) -> int:
    """How many entries the tenant has, expired ones included."""
    query = select(func.count()).where(BlocklistEntry.vdn_id == vdn_id)
    return session.scalar(query) or 0
