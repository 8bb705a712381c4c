"""The push outbox: every SQL statement of result deliveries and import notices.

Each entry has a kind (``domain.result_delivery.DeliveryKind``): a call result's push, or the
notice of an ended import task. Both kinds share the table, the states, the claim and the
settling; a pusher claims one kind at a time, and reads what that kind pushes.

A state change is a move of ``domain.result_delivery.RESULT_DELIVERY``, written by one guarded
UPDATE (``state IN sources(target)``; a pusher's also "the claim is still mine"), as for import
tasks and number leases. Claims lock their rows with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so
pushers in many workers never take the same entry and never wait for each other; on SQLite the
writer lock (BEGIN IMMEDIATE) serialises them and the guarded UPDATE makes the claim atomic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, literal, select, update
from sqlalchemy.orm import Session

from openisales.domain.import_task import IMPORT_TASK
from openisales.domain.result_delivery import RESULT_DELIVERY, DeliveryKind, DeliveryState
from openisales.storage.models import CallResult, Campaign, ImportTask, ResultDelivery, Tenant

OUTBOX = cast(Table, ResultDelivery.__table__)  # executemany updates go through Core
PENDING, DELIVERING = DeliveryState.PENDING, DeliveryState.DELIVERING
RESULT, IMPORT_NOTICE = DeliveryKind.RESULT, DeliveryKind.IMPORT_NOTICE


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def enqueue(session: Session, lease_ids: Sequence[str], now: datetime) -> int:
    """A pending entry, due now, for the stored result of each of these leases; how many.

    Called in the transaction that stores the results: one INSERT ... SELECT, so a result and
    its entry commit together or not at all.
    """
    if not lease_ids:
        return 0
    stamp = literal(now, ResultDelivery.next_attempt_at.type)
    rows = select(
        CallResult.pk,
        CallResult.vdn_id,
        CallResult.campaign_pk,
        literal(int(PENDING)),
        literal(0),
        stamp,
        stamp,
    ).where(CallResult.lease_id.in_(list(lease_ids)))
    columns = ["result_pk", "vdn_id", "campaign_pk", "state", "pushes", "next_attempt_at"]
    added = session.execute(insert(ResultDelivery).from_select([*columns, "created_at"], rows))
    return _rowcount(added)


def enqueue_notices(session: Session, task_ids: Sequence[str], now: datetime) -> int:
    """A pending notice, due now, for each of these tasks that has ended and has a notifyUrl.

    Called in the transaction that ends the tasks, so a task never ends without its notice;
    a task already noticed is skipped (and ``task_id`` is unique besides), so a move retried
    or replayed never queues a second one.
    """
    if not task_ids:
        return 0
    stamp = literal(now, ResultDelivery.next_attempt_at.type)
    noticed = select(ResultDelivery.pk).where(ResultDelivery.task_id == ImportTask.task_id)
    rows = select(
        ImportTask.task_id,
        literal(int(IMPORT_NOTICE)),
        ImportTask.vdn_id,
        ImportTask.campaign_pk,
        literal(int(PENDING)),
        literal(0),
        stamp,
        stamp,
    ).where(
        ImportTask.task_id.in_(list(task_ids)),
        ImportTask.notify_url.is_not(None),
        ImportTask.status.in_([int(status) for status in IMPORT_TASK.terminal]),
        ~noticed.exists(),
    )
    columns = ["task_id", "kind", "vdn_id", "campaign_pk", "state", "pushes", "next_attempt_at"]
    statement = insert(ResultDelivery).from_select([*columns, "created_at"], rows)
    # Counted from RETURNING: the driver's rowcount of an INSERT ... SELECT is not always known.
    return len(session.execute(statement.returning(ResultDelivery.pk)).all())


# --- claiming ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claimed:
    """A claimed result entry: its result's push fields, its campaign's params, its limit."""

    pk: int
    result_pk: int
    pushes: int  # including the push this claim begins
    max_pushes: int
    campaign_params: dict[str, object]
    campaign_id: int
    session_id: str
    called: str
    call_time_str: str
    call_status: int
    fail_code: str
    vdn_id: int
    call_id: str
    custom_field: str | None
    record_path: str | None


@dataclass(frozen=True)
class ClaimedNotice:
    """A claimed import notice: its task (read whole at push time) and its tenant's limit."""

    pk: int
    task_id: str
    pushes: int  # including the push this claim begins
    max_pushes: int
    vdn_id: int
    notify_url: str
    secret_key_enc: bytes


def claim(
    session: Session, token: str, now: datetime, until: datetime, limit: int
) -> list[Claimed]:
    """Claim up to ``limit`` due result entries for ``token`` until ``until``; each one push more."""
    pks = _claim(session, RESULT, token, now, until, limit)
    return _claimed(session, token, pks) if pks else []


def claim_notices(
    session: Session, token: str, now: datetime, until: datetime, limit: int
) -> list[ClaimedNotice]:
    """Claim up to ``limit`` due import notices for ``token`` until ``until``, as ``claim``."""
    pks = _claim(session, IMPORT_NOTICE, token, now, until, limit)
    return _claimed_notices(session, token, pks) if pks else []


def _claim(
    session: Session, kind: DeliveryKind, token: str, now: datetime, until: datetime, limit: int
) -> list[int]:
    """Claim due entries of ``kind``; their keys.

    Due: claims that expired (their pusher died) first, then pending entries whose time has come,
    oldest first. Each kind is read in the order of the ``(kind, state, next_attempt_at)`` index.
    """
    pks = _due(session, kind, DELIVERING, now, limit)
    if len(pks) < limit:
        pks += _due(session, kind, PENDING, now, limit - len(pks))
    if not pks:
        return []
    session.execute(
        update(ResultDelivery)
        .where(
            ResultDelivery.pk.in_(pks),
            ResultDelivery.state.in_(RESULT_DELIVERY.sources(DELIVERING)),
            ResultDelivery.next_attempt_at <= now,
        )
        .values(
            state=int(DELIVERING),
            claim_token=token,
            next_attempt_at=until,
            pushes=ResultDelivery.pushes + 1,
        )
        .execution_options(synchronize_session=False)
    )
    return pks


def _due(
    session: Session, kind: DeliveryKind, state: DeliveryState, now: datetime, limit: int
) -> list[int]:
    query = (
        select(ResultDelivery.pk)
        .where(
            ResultDelivery.kind == int(kind),
            ResultDelivery.state == state,
            ResultDelivery.next_attempt_at <= now,
        )
        .order_by(ResultDelivery.next_attempt_at)
        .limit(limit)
    )
    if _is_postgres(session):
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query))


def _claimed(session: Session, token: str, pks: Sequence[int]) -> list[Claimed]:
    query = (
        select(
            ResultDelivery.pk,
            CallResult.pk.label("result_pk"),
            ResultDelivery.pushes,
            Tenant.result_push_max.label("max_pushes"),
            Campaign.params.label("campaign_params"),
            CallResult.campaign_id,
            CallResult.session_id,
            CallResult.called,
            CallResult.call_time_str,
            CallResult.call_status,
            CallResult.fail_code,
            CallResult.vdn_id,
            CallResult.call_id,
            CallResult.custom_field,
            CallResult.record_path,
        )
        .join(CallResult, CallResult.pk == ResultDelivery.result_pk)
        .join(Campaign, Campaign.pk == ResultDelivery.campaign_pk)
        .join(Tenant, Tenant.vdn_id == ResultDelivery.vdn_id)
        .where(ResultDelivery.pk.in_(pks), ResultDelivery.claim_token == token)
        .order_by(ResultDelivery.result_pk)
    )
    return [Claimed(**row._asdict()) for row in session.execute(query)]


def _claimed_notices(session: Session, token: str, pks: Sequence[int]) -> list[ClaimedNotice]:
    query = (
        select(
            ResultDelivery.pk,
            ImportTask.task_id,
            ResultDelivery.pushes,
            Tenant.result_push_max.label("max_pushes"),
            ResultDelivery.vdn_id,
            ImportTask.notify_url,
            Tenant.secret_key_enc,
        )
        .join(ImportTask, ImportTask.task_id == ResultDelivery.task_id)
        .join(Tenant, Tenant.vdn_id == ResultDelivery.vdn_id)
        .where(ResultDelivery.pk.in_(pks), ResultDelivery.claim_token == token)
        .order_by(ResultDelivery.pk)
    )
    return [ClaimedNotice(**row._asdict()) for row in session.execute(query)]


# --- settling ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settled:
    """How a claimed entry's push ended: its next state and what the push found."""

    pk: int  # the entry's
    state: DeliveryState
    pushes: int
    next_attempt_at: datetime  # for PENDING; otherwise the moment of settling
    target_url: str | None
    last_status: int | None
    last_error: str | None


def settle(session: Session, token: str, outcomes: Sequence[Settled], now: datetime) -> int:
    """Write each entry's outcome while ``token`` still holds its claim; how many applied.

    A claim that expired and was taken over meanwhile is not touched: its new holder pushes.
    """
    if not outcomes:
        return 0
    for outcome in outcomes:
        RESULT_DELIVERY.check(DELIVERING, outcome.state)
    table = OUTBOX
    statement = (
        update(table)
        .where(
            table.c.pk == bindparam("b_pk"),
            table.c.claim_token == token,
            table.c.state == int(DELIVERING),
        )
        .values(
            state=bindparam("b_state"),
            pushes=bindparam("b_pushes"),
            next_attempt_at=bindparam("b_next"),
            target_url=bindparam("b_url"),
            last_status=bindparam("b_status"),
            last_error=bindparam("b_error"),
            delivered_at=bindparam("b_delivered_at"),
            last_attempt_at=now,
            claim_token=None,
        )
    )
    done = session.execute(
        statement,
        [
            {
                "b_pk": o.pk,
                "b_state": int(o.state),
                "b_pushes": o.pushes,
                "b_next": o.next_attempt_at,
                "b_url": o.target_url,
                "b_status": o.last_status,
                "b_error": o.last_error,
                "b_delivered_at": now if o.state == DeliveryState.DELIVERED else None,
            }
            for o in outcomes
        ],
    )
    return _rowcount(done)


def redeliver(
    session: Session,
    states: Sequence[DeliveryState],
    now: datetime,
    *,
    vdn_id: int | None = None,
    campaign_pk: int | None = None,
    kind: DeliveryKind = RESULT,
) -> int:
    """Queue entries of ``kind`` in ``states`` again (pending, due now, all pushes left); how many."""
    for state in states:
        RESULT_DELIVERY.check(state, PENDING)
    query = update(ResultDelivery).where(
        ResultDelivery.kind == int(kind), ResultDelivery.state.in_([int(s) for s in states])
    )
    if vdn_id is not None:
        query = query.where(ResultDelivery.vdn_id == vdn_id)
    if campaign_pk is not None:
        query = query.where(ResultDelivery.campaign_pk == campaign_pk)
    moved = session.execute(
        query.values(
            state=int(PENDING), pushes=0, next_attempt_at=now, claim_token=None
        ).execution_options(synchronize_session=False)
    )
    return _rowcount(moved)


# --- looking -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryRow:
    """One entry as the console shows it: the result and where its push stands."""

    result_pk: int
    campaign_id: int
    session_id: str
    called: str
    call_id: str
    call_status: int
    recorded_at: datetime
    state: int
    pushes: int
    next_attempt_at: datetime
    target_url: str | None
    last_status: int | None
    last_error: str | None
    last_attempt_at: datetime | None
    delivered_at: datetime | None


def recent(session: Session, vdn_id: int, campaign_pk: int | None, limit: int) -> list[DeliveryRow]:
    """The tenant's (or one campaign's) latest results with their delivery, newest first."""
    query = (
        select(
            ResultDelivery.result_pk,
            CallResult.campaign_id,
            CallResult.session_id,
            CallResult.called,
            CallResult.call_id,
            CallResult.call_status,
            CallResult.recorded_at,
            ResultDelivery.state,
            ResultDelivery.pushes,
            ResultDelivery.next_attempt_at,
            ResultDelivery.target_url,
            ResultDelivery.last_status,
            ResultDelivery.last_error,
            ResultDelivery.last_attempt_at,
            ResultDelivery.delivered_at,
        )
        .join(CallResult, CallResult.pk == ResultDelivery.result_pk)
        .where(ResultDelivery.vdn_id == vdn_id)
        .order_by(ResultDelivery.result_pk.desc())
        .limit(limit)
    )
    if campaign_pk is not None:
        query = query.where(ResultDelivery.campaign_pk == campaign_pk)
    return [DeliveryRow(**row._asdict()) for row in session.execute(query)]


def counts(
    session: Session,
    vdn_id: int | None = None,
    campaign_pk: int | None = None,
    kind: DeliveryKind = RESULT,
) -> dict[int, int]:
    """How many entries of ``kind`` are in each state: every tenant's, one's, or a campaign's."""
    query = (
        select(ResultDelivery.state, func.count())
        .where(ResultDelivery.kind == int(kind))
        .group_by(ResultDelivery.state)
    )
    if vdn_id is not None:
        query = query.where(ResultDelivery.vdn_id == vdn_id)
    if campaign_pk is not None:
        query = query.where(ResultDelivery.campaign_pk == campaign_pk)
    return {int(state): int(count) for state, count in session.execute(query)}
