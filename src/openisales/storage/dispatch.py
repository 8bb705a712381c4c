"""The dial queue and the recorded results: every SQL statement of the dispatch half.

A state change of a queue row is a move of ``domain.dispatch.NUMBER_LEASE``, written by one
guarded UPDATE (``state IN sources(target)``), so a move the lifecycle does not allow is never
written and two dialers racing for one row cannot both win. On PostgreSQL the selection locks
its rows with ``FOR UPDATE SKIP LOCKED``; on SQLite the writer lock (BEGIN IMMEDIATE) serialises.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    Table,
    Update,
    bindparam,
    case,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from openisales.domain.dispatch import DEFAULT_PRIORITY, NUMBER_LEASE, PRIORITY_TOP, DialState
from openisales.domain.record_row import RecordStatus
from openisales.storage import result_deliveries
from openisales.storage.models import CallData, CallResult, Campaign, DialEntry

QUEUE = cast(Table, DialEntry.__table__)  # executemany updates go through Core
CALLED_PREFIX = '[{"calledNo":"'  # how storage writes called (services.calldata_rows.called_json)
ENTRY_COLUMNS = (
    "data_id", "campaign_pk", "state", "priority_key", "position", "called_no", "failures",
    "due_at", "updated_at",
)  # fmt: skip


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


# --- entering new records ----------------------------------------------------------------------


def try_lock_campaign(session: Session, campaign_pk: int) -> bool:
    """Hold the campaign row if no one else does (an import, a JSON add, another lease).

    Imports and adds write under this lock, so while it is held no record of the campaign is in
    flight. SQLite's writer lock is already held by the transaction.
    """
    if not _is_postgres(session):
        return True
    query = select(Campaign.pk).where(Campaign.pk == campaign_pk).with_for_update(skip_locked=True)
    return session.scalars(query).first() is not None


def enter_new_records(session: Session, campaign: Campaign, now: datetime) -> int:
    """Give every pending record above the campaign's watermark its queue row; how many.

    One INSERT ... SELECT: the rows never pass through Python. Call only while holding the
    campaign row (``try_lock_campaign``).
    """
    # dataIds only grow, and no record of this campaign is in flight while its row is held:
    # everything above the watermark up to the table's top is there to be seen.
    top = session.scalar(select(func.max(CallData.data_id)))
    if top is None or top <= campaign.dial_watermark:
        return 0
    stamp = literal(now, DialEntry.due_at.type)
    rows = select(
        CallData.data_id,
        CallData.campaign_pk,
        literal(int(DialState.WAITING)),
        PRIORITY_TOP - func.coalesce(CallData.priority, DEFAULT_PRIORITY),
        literal(0),
        _first_number(session),
        literal(0),
        stamp,
        stamp,
    ).where(
        # "+ 0": read the new dataIds by primary-key range, not the whole campaign by its index.
        CallData.campaign_pk + 0 == campaign.pk,
        CallData.data_id > campaign.dial_watermark,
        CallData.data_id <= top,
        CallData.status == RecordStatus.PENDING,
    )
    entered = session.execute(insert(DialEntry).from_select(list(ENTRY_COLUMNS), rows))
    session.execute(update(Campaign).where(Campaign.pk == campaign.pk).values(dial_watermark=top))
    return _rowcount(entered)


def _first_number(session: Session) -> Any:
    """SQL for the first calledNo of ``called``, as storage writes it: ``[{"calledNo":"…"``."""
    rest = func.substr(CallData.called, len(CALLED_PREFIX) + 1)
    position = func.strpos if _is_postgres(session) else func.instr
    return case(
        (CallData.called.startswith(CALLED_PREFIX), func.substr(rest, 1, position(rest, '"') - 1)),
        else_="",
    )


# --- leasing -----------------------------------------------------------------------------------


def expire_leases(session: Session, campaign_pk: int, now: datetime) -> int:
    """Make the campaign's expired leases callable again (LEASED -> WAITING); how many."""
    expired = select(DialEntry.data_id).where(
        DialEntry.campaign_pk == campaign_pk,
        DialEntry.state == DialState.LEASED,
        DialEntry.lease_expires_at < now,
    )
    if _is_postgres(session):  # rows a results report holds are left for the next sweep
        expired = expired.with_for_update(skip_locked=True)
    return _rowcount(
        session.execute(
            update(DialEntry)
            .where(
                DialEntry.data_id.in_(expired.scalar_subquery()),
                DialEntry.state.in_(NUMBER_LEASE.sources(DialState.WAITING)),
            )
            .values(state=DialState.WAITING, lease_id=None, dialer_id=None, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    )


@dataclass(frozen=True)
class Candidate:
    """A queue row due now, with what the dialer needs of its record."""

    data_id: int
    called_no: str
    position: int
    failures: int
    recycle_time: datetime | None  # the tenant's wall-clock time, as stored
    session_id: str
    caller: str | None
    call_data: str | None
    custom_field: str | None
    priority: int | None
    called: str | None = None  # the record's called JSON, only when asked for (with_called)


def candidates(
    session: Session,
    campaign_pk: int,
    now: datetime,
    limit: int,
    held_batches: Sequence[str] = (),
    *,
    with_called: bool = False,
) -> list[Candidate]:
    """The first ``limit`` rows due now: highest priority first, then the oldest record.

    Records of the ``held_batches`` (paused batches) are passed over. PostgreSQL locks the rows
    (SKIP LOCKED: rows another dialer is taking are passed over). ``with_called``: each row
    carries its record's ``called`` JSON too (its numbers' time zones).
    """
    columns: list[Any] = [
        DialEntry.data_id,
        DialEntry.called_no,
        DialEntry.position,
        DialEntry.failures,
        CallData.recycle_time,
        CallData.session_id,
        CallData.caller,
        CallData.call_data,
        CallData.custom_field,
        CallData.priority,
    ]
    if with_called:
        columns.append(CallData.called)
    query = (
        select(*columns)
        .join(CallData, CallData.data_id == DialEntry.data_id)
        .where(
            DialEntry.campaign_pk == campaign_pk,
            DialEntry.state == DialState.WAITING,
            DialEntry.due_at <= now,
        )
        .order_by(DialEntry.priority_key, DialEntry.data_id)
        .limit(limit)
    )
    if held_batches:  # only then: without a paused batch the query is the queue index alone
        query = query.where(
            or_(CallData.batch_id.is_(None), CallData.batch_id.not_in(list(held_batches)))
        )
    if _is_postgres(session):
        query = query.with_for_update(skip_locked=True, of=DialEntry)
    return [Candidate(**row._asdict()) for row in session.execute(query)]


def lease(
    session: Session,
    leases: Sequence[tuple[int, str]],
    dialer_id: str,
    now: datetime,
    until: datetime,
) -> None:
    """WAITING -> LEASED for each ``(data_id, lease_id)``, until ``until``: one executemany."""
    if not leases:
        return
    assert NUMBER_LEASE.sources(DialState.LEASED) == {DialState.WAITING}
    table = QUEUE
    statement = (
        update(table)
        .where(
            table.c.data_id == bindparam("b_data_id"),
            table.c.state == DialState.WAITING,  # the one source of LEASED
        )
        .values(
            state=DialState.LEASED,
            lease_id=bindparam("b_lease_id"),
            dialer_id=dialer_id,
            leased_at=now,
            lease_expires_at=until,
            updated_at=now,
        )
    )
    session.execute(
        statement, [{"b_data_id": data_id, "b_lease_id": lease_id} for data_id, lease_id in leases]
    )


def move_waiting(
    session: Session, data_ids: Iterable[int], target: DialState, now: datetime, **values: Any
) -> int:
    """A move of WAITING rows (deferred: WAITING -> WAITING; recycled: WAITING -> DONE)."""
    NUMBER_LEASE.check(DialState.WAITING, target)
    ids = list(data_ids)
    if not ids:
        return 0
    result = session.execute(
        update(DialEntry)
        .where(DialEntry.data_id.in_(ids), DialEntry.state == DialState.WAITING)
        .values(state=target, updated_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result)


def live_leases(session: Session, vdn_id: int, numbers: Sequence[str]) -> dict[str, int]:
    """How many live leases the tenant's campaigns hold on each of ``numbers``."""
    query = (
        select(DialEntry.called_no, func.count())
        .join(Campaign, Campaign.pk == DialEntry.campaign_pk)
        .where(
            Campaign.vdn_id == vdn_id,
            DialEntry.state == DialState.LEASED,
            DialEntry.called_no.in_(sorted(set(numbers))),
        )
        .group_by(DialEntry.called_no)
    )
    return {number: int(count) for number, count in session.execute(query)}


def results_since(
    session: Session, vdn_id: int, numbers: Sequence[str], since: datetime
) -> dict[str, int]:
    """How many results the tenant recorded for each of ``numbers`` since ``since``."""
    query = (
        select(CallResult.called, func.count())
        .where(
            CallResult.vdn_id == vdn_id,
            CallResult.called.in_(sorted(set(numbers))),
            CallResult.recorded_at >= since,
        )
        .group_by(CallResult.called)
    )
    return {number: int(count) for number, count in session.execute(query)}


# --- results -----------------------------------------------------------------------------------


def leased(session: Session, campaign_pk: int, lease_ids: Sequence[str]) -> dict[str, DialEntry]:
    """The campaign's rows currently under these leases, locked (in one order: no deadlock)."""
    query = (
        select(DialEntry)
        .where(
            DialEntry.campaign_pk == campaign_pk,
            DialEntry.lease_id.in_(lease_ids),
            DialEntry.state == DialState.LEASED,
        )
        .order_by(DialEntry.data_id)
    )
    if _is_postgres(session):
        query = query.with_for_update()
    return {entry.lease_id or "": entry for entry in session.scalars(query)}


def records(session: Session, data_ids: Sequence[int]) -> dict[int, CallData]:
    """The call records of these rows, by dataId."""
    query = select(CallData).where(CallData.data_id.in_(data_ids))
    return {record.data_id: record for record in session.scalars(query)}


def recorded(session: Session, lease_ids: Sequence[str]) -> set[str]:
    """Which of these leases already have their result."""
    query = select(CallResult.lease_id).where(CallResult.lease_id.in_(lease_ids))
    return set(session.scalars(query))


@dataclass(frozen=True)
class LeaseEnd:
    """Where a result takes a leased row (``domain.dispatch.NextStep``, with the number)."""

    data_id: int
    lease_id: str
    state: DialState
    due_at: datetime
    position: int
    called_no: str
    failures: int
    outcome: int | None


def end_leases(session: Session, ends: Sequence[LeaseEnd], now: datetime) -> None:
    """LEASED -> WAITING or DONE after results, each only while its lease is the row's lease.

    The caller holds the rows (``leased``), so every guarded update applies.
    """
    if not ends:
        return
    for end in ends:
        NUMBER_LEASE.check(DialState.LEASED, end.state)
    session.execute(
        _end_lease_statement(now),
        [
            {
                "b_data_id": e.data_id,
                "b_lease_id": e.lease_id,
                "b_state": int(e.state),
                "b_due_at": e.due_at,
                "b_position": e.position,
                "b_called_no": e.called_no,
                "b_failures": e.failures,
                "b_outcome": e.outcome,
            }
            for e in ends
        ],
    )


def _end_lease_statement(now: datetime) -> Update:
    """The executemany UPDATE that ends one lease, guarded by its lease id and LEASED state."""
    table = QUEUE
    return (
        update(table)
        .where(
            table.c.data_id == bindparam("b_data_id"),
            table.c.lease_id == bindparam("b_lease_id"),
            table.c.state == DialState.LEASED,
        )
        .values(
            state=bindparam("b_state"),
            due_at=bindparam("b_due_at"),
            position=bindparam("b_position"),
            called_no=bindparam("b_called_no"),
            failures=bindparam("b_failures"),
            outcome=bindparam("b_outcome"),
            lease_id=None,
            dialer_id=None,
            lease_expires_at=None,
            updated_at=now,
        )
    )


def add_results(session: Session, rows: Sequence[dict[str, Any]], now: datetime) -> None:
    """Store recorded results, each with its outbox entry for the result push.

    ``call_results.lease_id`` is unique: never twice. The entries are written by the same
    transaction, so a result is never stored without being pushed.
    """
    if rows:
        session.execute(insert(CallResult), list(rows))
        result_deliveries.enqueue(session, [row["lease_id"] for row in rows], now)
