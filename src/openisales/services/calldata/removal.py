"""Deleting (or archiving) a campaign's call data by sessionId, called, customField or recycleTime."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from enum import IntEnum

from sqlalchemy.orm import Session

from openisales.errors import (
    EmptyValue,
    StateError,
    WrongCombination,
    WrongType,
    WrongValue,
)
from openisales.services import campaigns
from openisales.storage import calldata as record_rows
from openisales.storage import campaigns as campaign_rows
from openisales.storage.calldata import RecordFilter

TIME_TEXT = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
DATE_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}")


class RecycleType(IntEnum):
    ON_OR_BEFORE_DAY = 1
    SAME_DAY = 2
    EXACT = 3


@dataclass(frozen=True)
class DeleteRequest:
    session_id: str | None = None
    called: str | None = None
    custom_field: str | None = None
    recycle_time: str | None = None
    recycle_type: int | None = None
    archive_history: bool = False


def delete(
    session: Session, vdn_id: int, campaign_id: int, request: DeleteRequest, now: datetime
) -> int:
    """Delete (or archive) the campaign's records matching every criterion given.

    Refused while the campaign is executing (cec_07_4033): pause it first.
    """
    criteria = _criteria(request)
    campaign = campaigns.get(session, vdn_id, campaign_id)
    campaign_rows.lock(session, campaign.pk)
    if campaigns.executing(campaign, now):
        raise StateError(
            f"campaign {campaign_id} is executing (started, past its begin time); "
            "pause it before deleting its call data"
        )
    archive_at = now if request.archive_history else None
    return record_rows.delete_matching(session, campaign.pk, criteria, archive_at=archive_at)


def _criteria(request: DeleteRequest) -> RecordFilter:
    if (request.recycle_time is None) != (request.recycle_type is None):
        raise WrongCombination("recycleTime and recycleType must be given together")
    given = (request.session_id, request.called, request.custom_field, request.recycle_time)
    if all(value is None for value in given):
        raise EmptyValue(
            "give at least one of sessionId, called, customField or recycleTime with recycleType"
        )
    base = RecordFilter(
        session_id=request.session_id,
        called_no=request.called,
        custom_field=request.custom_field,
    )
    if request.recycle_time is None or request.recycle_type is None:
        return base
    moment = _recycle_time(request.recycle_time, request.recycle_type)
    day = datetime.combine(moment.date(), time.min)
    next_day = day + timedelta(days=1)
    if request.recycle_type == RecycleType.ON_OR_BEFORE_DAY:
        return replace(base, recycle_before=next_day)
    if request.recycle_type == RecycleType.SAME_DAY:
        return replace(base, recycle_from=day, recycle_before=next_day)
    return replace(base, recycle_at=moment)


def _recycle_time(text: str, recycle_type: int) -> datetime:
    """``yyyy-MM-dd HH:mm:ss``; the day-wise types also take a bare ``yyyy-MM-dd``."""
    day_only = recycle_type != RecycleType.EXACT and DATE_TEXT.fullmatch(text)
    if not (TIME_TEXT.fullmatch(text) or day_only):
        raise WrongType(f"recycleTime: must be yyyy-MM-dd HH:mm:ss, got {text!r}")
    try:
        return datetime.fromisoformat(text)
    except ValueError as exc:
        raise WrongValue(f"recycleTime: {text!r} is not a real date and time") from exc
