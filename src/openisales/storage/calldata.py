"""Call-data records and the blocklist lookups the import needs."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, delete, func, insert, literal, or_, select
from sqlalchemy.orm import Session

from openisales.domain.dispatch import DialState, Outcome
from openisales.domain.record_row import RecordStatus
from openisales.storage.models import (
    BlocklistEntry,
    CallData,
    CallDataHistory,
    Campaign,
    DialEntry,
)


def count_of_task(session: Session, task_id: str, status: int) -> int:
    """How many records the import task stored with ``status`` (a ``RecordStatus``)."""
    count = session.scalar(
        select(func.count())
        .select_from(CallData)
        .where(CallData.import_task_id == task_id, CallData.status == status)
    )
    return int(count or 0)


def active_blocked_numbers(session: Session, vdn_id: int, now: datetime) -> set[str]:
    """The tenant's blocklisted numbers that have not expired at ``now``."""
    rows = session.scalars(
        select(BlocklistEntry.number).where(
            BlocklistEntry.vdn_id == vdn_id,
            or_(BlocklistEntry.expires_at.is_(None), BlocklistEntry.expires_at > now),
        )
    )
    return set(rows)


def find_identities(
    session: Session, campaign_pk: int, identities: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], int]:
    """Which of these (sessionId, called-number set) the campaign holds, with their dataIds."""
    if not identities:
        return {}
    wanted = or_(
        *(
            and_(CallData.session_id == session_id, CallData.called_key == key)
            for session_id, key in identities
        )
    )
    rows = session.execute(
        select(CallData.session_id, CallData.called_key, CallData.data_id).where(
            CallData.campaign_pk == campaign_pk, wanted
        )
    )
    return {(session_id, key): data_id for session_id, key, data_id in rows}


def count_pending(session: Session, campaign_pk: int) -> int:
    """How many of the campaign's records are still pending (status 0)."""
    query = select(func.count()).where(
        CallData.campaign_pk == campaign_pk, CallData.status == RecordStatus.PENDING
    )
    return session.scalar(query) or 0


def add_records(session: Session, records: Sequence[dict[str, Any]]) -> list[int]:
    """Insert a few records (a JSON add) and return their dataIds in the order given."""
    rows = [CallData(**record) for record in records]
    session.add_all(rows)
    session.flush()
    return [row.data_id for row in rows]


@dataclass(frozen=True)
class TaskRecord:
    """What the record mapping shows of one record an import stored."""

    row_number: int | None
    data_id: int
    session_id: str
    called: str  # the stored JSON array
    status: int


def iter_task_records(session: Session, task_id: str, batch: int = 5000) -> Iterator[TaskRecord]:
    """The records an import task stored, in row order, fetched ``batch`` at a time."""
    query = (
        select(
            CallData.row_number,
            CallData.data_id,
            CallData.session_id,
            CallData.called,
            CallData.status,
        )
        .where(CallData.import_task_id == task_id)
        .order_by(CallData.row_number, CallData.data_id)
        .execution_options(yield_per=batch)
    )
    for row in session.execute(query):
        yield TaskRecord(*row)


def get_record(session: Session, campaign_pk: int, data_id: int) -> CallData | None:
    """The campaign's record with this dataId, or None."""
    query = select(CallData).where(CallData.campaign_pk == campaign_pk, CallData.data_id == data_id)
    return session.scalars(query).one_or_none()


def page_records(
    session: Session,
    campaign_pk: int,
    *,
    import_task_id: str | None,
    status: int | None,
    offset: int,
    limit: int,
) -> tuple[list[CallData], int]:
    """A page of the campaign's records by dataId (one task's, one status if given); total."""
    query = select(CallData).where(CallData.campaign_pk == campaign_pk)
    if import_task_id is not None:
        query = query.where(CallData.import_task_id == import_task_id)
    if status is not None:
        query = query.where(CallData.status == status)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(CallData.data_id).offset(offset).limit(limit))
    return list(rows), total


@dataclass(frozen=True)
class RecordFilter:
    """Delete criteria, combined with AND; None means "any". Recycle times are naive."""

    session_id: str | None = None
    called_no: str | None = None
    custom_field: str | None = None
    recycle_from: datetime | None = None  # recycle_time >= this
    recycle_before: datetime | None = None  # recycle_time < this
    recycle_at: datetime | None = None  # recycle_time == this


def _matching(campaign_pk: int, criteria: RecordFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [CallData.campaign_pk == campaign_pk]
    if criteria.session_id is not None:
        conditions.append(CallData.session_id == criteria.session_id)
    if criteria.called_no is not None:
        conditions.append(_holds_number(criteria.called_no))
    if criteria.custom_field is not None:
        conditions.append(CallData.custom_field == criteria.custom_field)
    if criteria.recycle_from is not None:
        conditions.append(CallData.recycle_time >= criteria.recycle_from)
    if criteria.recycle_before is not None:
        conditions.append(CallData.recycle_time < criteria.recycle_before)
    if criteria.recycle_at is not None:
        conditions.append(CallData.recycle_time == criteria.recycle_at)
    return conditions


def _holds_number(number: str) -> ColumnElement[bool]:
    """``number`` is one element of the comma-joined ``called_key`` (never a substring match).

    Numbers hold only 0-9, * and #, none of which is a LIKE wildcard.
    """
    key = CallData.called_key
    return or_(
        key == number,
        key.like(number + ",%"),
        key.like("%," + number),
        key.like("%," + number + ",%"),
    )


def delete_matching(
    session: Session, campaign_pk: int, criteria: RecordFilter, *, archive_at: datetime | None
) -> int:
    """Delete the matching records; with ``archive_at`` copy them to the history first."""
    conditions = _matching(campaign_pk, criteria)
    if archive_at is not None:
        names = [column.name for column in CallData.__table__.columns]
        archived = select(
            *(CallData.__table__.c[name] for name in names),
            literal(archive_at, CallDataHistory.archived_at.type).label("archived_at"),
        ).where(*conditions)
        session.execute(insert(CallDataHistory).from_select([*names, "archived_at"], archived))
    result = session.execute(
        delete(CallData).where(*conditions).execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


@dataclass(frozen=True)
class Counts:
    """Record counts of one campaign (or one batch of it), from the records and the dial queue."""

    campaign_pk: int
    total: int
    pending: int
    created_in_day: int
    uncalled: int = 0  # pending, never called, not finished, not being called
    called: int = 0  # with at least one recorded result
    reached: int = 0  # finished by a success
    finished: int = 0  # reached, every number tried, or recycled
    finished_in_day: int = 0
    being_called: int = 0  # leased to a dialer, the lease not expired


def counts(
    session: Session,
    campaign_pks: Sequence[int],
    *,
    day_start: datetime,
    day_end: datetime,
    now: datetime,
    batch_id: str | None = None,
) -> dict[int, Counts]:
    """Per campaign: records by status, by where the dial queue has them, and by day.

    A lease that has expired at ``now`` counts as none, though the next lease sweeps it.

    One pass over the campaign's records, each joined to its queue row by primary key.
    """
    if not campaign_pks:
        return {}
    query = (
        select(
            CallData.campaign_pk,
            func.count(),
            *(func.sum(flag) for flag in _flags(day_start, day_end, now)),
        )
        .outerjoin(DialEntry, DialEntry.data_id == CallData.data_id)
        .where(CallData.campaign_pk.in_(campaign_pks))
        .group_by(CallData.campaign_pk)
    )
    if batch_id is not None:
        query = query.where(CallData.batch_id == batch_id)
    found = {
        pk: Counts(pk, int(total), *(int(value or 0) for value in sums))
        for pk, total, *sums in session.execute(query)
    }
    return {pk: found.get(pk, Counts(pk, 0, 0, 0)) for pk in campaign_pks}


def _flags(day_start: datetime, day_end: datetime, now: datetime) -> list[ColumnElement[int]]:
    """0/1 per record for each count after the total, in the order of ``Counts``' fields."""

    def flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return case((condition, 1), else_=0)

    def in_day(column: Any) -> ColumnElement[bool]:
        return and_(column >= day_start, column < day_end)

    pending = CallData.status == RecordStatus.PENDING
    # A queue row's position and failures move only on a recorded result, and a result either
    # finishes the record (with an outcome of a call) or moves one of them on.
    results_seen = or_(
        DialEntry.outcome.in_([Outcome.REACHED, Outcome.FAILED]),
        DialEntry.position > 0,
        DialEntry.failures > 0,
    )
    done = DialEntry.state == DialState.DONE
    being_called = and_(DialEntry.state == DialState.LEASED, DialEntry.lease_expires_at >= now)
    untouched = and_(DialEntry.position == 0, DialEntry.failures == 0, ~done, ~being_called)
    return [
        flag(pending),
        flag(in_day(CallData.created_at)),
        flag(and_(pending, or_(DialEntry.data_id.is_(None), untouched))),
        flag(results_seen),
        flag(DialEntry.outcome == Outcome.REACHED),
        flag(done),
        flag(and_(done, in_day(DialEntry.updated_at))),
        flag(being_called),
    ]


def tenant_campaigns(session: Session, vdn_id: int) -> list[tuple[int, int]]:
    """(pk, campaignId) of every campaign of the tenant, by campaignId."""
    rows = session.execute(
        select(Campaign.pk, Campaign.campaign_id)
        .where(Campaign.vdn_id == vdn_id)
        .order_by(Campaign.campaign_id)
    )
    return [(pk, campaign_id) for pk, campaign_id in rows]


def blocked_among(
    session: Session, vdn_id: int, numbers: Sequence[str], now: datetime
) -> list[str]:
    """Which of ``numbers`` have an active (unexpired) blocklist entry of the tenant."""
    if not numbers:
        return []
    rows = session.scalars(
        select(BlocklistEntry.number)
        .where(
            BlocklistEntry.vdn_id == vdn_id,
            BlocklistEntry.number.in_(sorted(set(numbers))),
            or_(BlocklistEntry.expires_at.is_(None), BlocklistEntry.expires_at > now),
        )
        .order_by(BlocklistEntry.number)
    )
    return list(rows)
