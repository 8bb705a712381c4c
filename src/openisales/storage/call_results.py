"""Reading recorded results: the results query and the statistics' counts of the day's calls.

Results are written by ``storage.dispatch.add_results``; here they are only read. Every query
starts from ``ix_call_results_campaign (campaign_pk, recorded_at)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, distinct, exists, func, select
from sqlalchemy.orm import Session

from openisales.domain.dispatch import SUCCESS, DialState
from openisales.storage.models import CallData, CallResult, DialEntry


@dataclass(frozen=True)
class ResultFilter:
    """Criteria combined with AND; None means "any". ``recorded_*`` bound ``recorded_at``."""

    session_id: str | None = None
    custom_field: str | None = None
    called: str | None = None
    call_status: int | None = None
    recorded_from: datetime | None = None  # recorded_at >= this
    recorded_before: datetime | None = None  # recorded_at < this


def _conditions(campaign_pk: int, criteria: ResultFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [CallResult.campaign_pk == campaign_pk]
    if criteria.session_id is not None:
        conditions.append(CallResult.session_id == criteria.session_id)
    if criteria.custom_field is not None:
        conditions.append(CallResult.custom_field == criteria.custom_field)
    if criteria.called is not None:
        conditions.append(CallResult.called == criteria.called)
    if criteria.call_status is not None:
        conditions.append(CallResult.call_status == criteria.call_status)
    if criteria.recorded_from is not None:
        conditions.append(CallResult.recorded_at >= criteria.recorded_from)
    if criteria.recorded_before is not None:
        conditions.append(CallResult.recorded_at < criteria.recorded_before)
    return conditions


def _final_only(campaign_pk: int) -> list[ColumnElement[bool]]:
    """The last result of each record whose dialling has ended (DONE, or the record deleted)."""
    # One grouped pass over the campaign's results: call_results has no index on data_id, so a
    # per-row "is there a later result" lookup would scan the campaign once per row.
    latest = (
        select(func.max(CallResult.pk))
        .where(CallResult.campaign_pk == campaign_pk)
        .group_by(CallResult.data_id)
    )
    still_dialled = exists().where(
        DialEntry.data_id == CallResult.data_id, DialEntry.state != DialState.DONE
    )
    return [CallResult.pk.in_(latest), ~still_dialled]


def page(
    session: Session,
    campaign_pk: int,
    criteria: ResultFilter,
    *,
    final_only: bool,
    offset: int,
    limit: int,
) -> tuple[list[CallResult], int]:
    """A page of the campaign's matching results in the order they were recorded; the total.

    ``final_only``: each finished record's last result instead of every result, the criteria
    applied to that last result.
    """
    conditions = _conditions(campaign_pk, criteria)
    if final_only:
        conditions += _final_only(campaign_pk)
    query = select(CallResult).where(*conditions)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(CallResult.pk).offset(offset).limit(limit))
    return list(rows), total


@dataclass(frozen=True)
class DayCalls:
    """Records of a campaign (or a batch) called, and reached, in one day."""

    called: int
    reached: int


def calls_in_day(
    session: Session,
    campaign_pks: Sequence[int],
    *,
    day_start: datetime,
    day_end: datetime,
    batch_id: str | None = None,
) -> dict[int, DayCalls]:
    """Per campaign: records with a result recorded in [day_start, day_end), and with a success.

    Only records the campaign still holds count, as in every other count of the statistics.
    """
    if not campaign_pks:
        return {}
    reached = case((CallResult.call_status == SUCCESS, CallResult.data_id), else_=None)
    query = (
        select(
            CallResult.campaign_pk,
            func.count(distinct(CallResult.data_id)),
            func.count(distinct(reached)),
        )
        .join(CallData, CallData.data_id == CallResult.data_id)
        .where(
            CallResult.campaign_pk.in_(campaign_pks),
            and_(CallResult.recorded_at >= day_start, CallResult.recorded_at < day_end),
        )
        .group_by(CallResult.campaign_pk)
    )
    if batch_id is not None:
        query = query.where(CallData.batch_id == batch_id)
    found = {pk: DayCalls(int(called), int(ok)) for pk, called, ok in session.execute(query)}
    return {pk: found.get(pk, DayCalls(0, 0)) for pk in campaign_pks}
