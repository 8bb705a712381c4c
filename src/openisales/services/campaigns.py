"""Outbound campaigns (V1): create, read, list, modify, delete, pause and resume."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import IntEnum
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openisales.errors import (
    CampaignLimitReached,
    CampaignNotFound,
    ConflictError,
    EmptyValue,
    StateError,
    WrongCombination,
    WrongType,
    WrongValue,
)
from openisales.settings import Settings
from openisales.storage import calldata as record_rows
from openisales.storage import campaigns as campaign_rows
from openisales.storage import tenants as tenant_rows
from openisales.storage.calldata import RecordFilter
from openisales.storage.models import Campaign

DEVICE_TYPES = {
    1: "intelligent IVR",
    2: "predictive",
    3: "automatic IVR",
    5: "preview",
    6: "preempted",
}
INTELLIGENT_IVR = 1  # its callData must be JSON: the IVR flow parses it
IVR_DEVICE_TYPES = frozenset({INTELLIGENT_IVR, 3})
SKILL_QUEUE_DEVICE_TYPES = frozenset(DEVICE_TYPES) - IVR_DEVICE_TYPES
PREVIEW = 5
TIME_TEXT = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
HH_MM = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
WINDOW_KEY = re.compile(r"(workday|holiday)(Begin|End)Time([123])")


class CampaignStatus(IntEnum):
    STARTED = 2
    PAUSED = 3
    COMPLETED = 4


@dataclass(frozen=True)
class CampaignLimits:
    """A tenant's campaign limits (cec_07_0721): per kind, and started ones per device type."""

    per_kind: int  # IVR or skill-queue campaigns not completed
    liveliest: int  # started campaigns of one device type (max.liveliest.taskCount)

    @classmethod
    def from_settings(cls, settings: Settings) -> CampaignLimits:
        return cls(settings.max_campaigns_per_kind, settings.max_liveliest_task_count)


@dataclass(frozen=True)
class CampaignInput:
    """Validated request fields; None means "not given" (modify keeps the stored value)."""

    name: str | None
    description: str | None
    begin: str | None
    end: str | None
    device_type: int | None
    caller_no: str | None
    max_alerting_time: int | None
    init_status: int | None
    params: dict[str, Any]


def visible_status(campaign: Campaign, now: datetime) -> int:
    """The status a client sees: completed once the end time has passed."""
    if campaign.status == CampaignStatus.COMPLETED or campaign.end_time <= now:
        return CampaignStatus.COMPLETED
    return campaign.status


def executing(campaign: Campaign, now: datetime) -> bool:
    """Started and past its begin time: its numbers are being called (cec_07_4033's "ongoing")."""
    return visible_status(campaign, now) == CampaignStatus.STARTED and campaign.begin_time <= now


def parse_utc(field: str, text: str) -> datetime:
    """The UTC moment of yyyy-MM-dd HH:mm:ss text; WrongType if malformed, WrongValue if unreal."""
    if not TIME_TEXT.fullmatch(text):
        raise WrongType(f"{field}: must be yyyy-MM-dd HH:mm:ss (UTC), got {text!r}")
    try:
        return datetime.fromisoformat(text).replace(tzinfo=UTC)
    except ValueError as exc:
        raise WrongValue(f"{field}: {text!r} is not a real date and time") from exc


def format_utc(moment: datetime) -> str:
    """A moment as the API's yyyy-MM-dd HH:mm:ss UTC text."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def get(session: Session, vdn_id: int, campaign_id: int) -> Campaign:
    """The tenant's campaign; raises CampaignNotFound when it has none with this id."""
    campaign = campaign_rows.get(session, vdn_id, campaign_id)
    if campaign is None:
        raise CampaignNotFound(campaign_id)
    return campaign


def create(
    session: Session,
    vdn_id: int,
    data: CampaignInput,
    now: datetime,
    limits: CampaignLimits,
) -> Campaign:
    """Add a campaign under the next id; refuses a past begin day, broken rules, a taken name,
    and a campaign over the tenant's limits."""
    assert data.name and data.begin and data.end and data.device_type is not None
    begin, end = parse_utc("strBeginTime", data.begin), parse_utc("strEndTime", data.end)
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if begin < today:
        raise WrongValue(
            f"strBeginTime: must not be earlier than today 00:00 UTC, got {data.begin}"
        )
    _check_rules(data.device_type, begin, end, data)
    if campaign_rows.name_taken(session, vdn_id, data.name):
        raise ConflictError(f"a campaign named {data.name!r} already exists")
    campaign_id = campaign_rows.next_campaign_id(session, vdn_id)  # also locks the tenant row
    status = data.init_status or CampaignStatus.STARTED
    _check_kind_limit(session, vdn_id, data.device_type, now, limits)
    if status == CampaignStatus.STARTED:
        _check_started_limit(session, vdn_id, data.device_type, now, limits)
    campaign = Campaign(
        vdn_id=vdn_id,
        campaign_id=campaign_id,
        name=data.name,
        description=data.description,
        status=status,
        device_type=data.device_type,
        begin_time=begin,
        end_time=end,
        caller_no=data.caller_no,
        max_alerting_time=data.max_alerting_time,
        params=data.params,
        created_at=now,
        updated_at=now,
    )
    try:
        campaign_rows.add(session, campaign)
    except IntegrityError as exc:  # a concurrent create took the same name or number
        raise ConflictError("the campaign changed concurrently; send the request again") from exc
    return campaign


def modify(
    session: Session, vdn_id: int, campaign_id: int, data: CampaignInput, now: datetime
) -> Campaign:
    """Apply the given fields; refuses a completed campaign, a new deviceType, a taken name."""
    campaign = get(session, vdn_id, campaign_id)
    if visible_status(campaign, now) == CampaignStatus.COMPLETED:
        raise StateError(f"campaign {campaign_id} is completed and cannot be modified")
    if data.device_type is not None and data.device_type != campaign.device_type:
        raise WrongValue("deviceType: cannot be changed after creation")
    begin = parse_utc("strBeginTime", data.begin) if data.begin else campaign.begin_time
    end = parse_utc("strEndTime", data.end) if data.end else campaign.end_time
    merged = {**campaign.params, **data.params}
    if data.caller_no is not None and "callerNo" not in data.params:
        merged.pop("callerNo", None)  # a V1 callerNo replaces a V2 list
    _check_rules(campaign.device_type, begin, end, data, params=merged)
    if data.name and campaign_rows.name_taken(session, vdn_id, data.name, except_pk=campaign.pk):
        raise ConflictError(f"a campaign named {data.name!r} already exists")
    campaign.name = data.name or campaign.name
    if data.description is not None:
        campaign.description = data.description
    if data.caller_no is not None:
        campaign.caller_no = data.caller_no
    if data.max_alerting_time is not None:
        campaign.max_alerting_time = data.max_alerting_time
    campaign.begin_time, campaign.end_time = begin, end
    campaign.params = merged
    campaign.updated_at = now
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent create or modify took the same name
        raise ConflictError(f"a campaign named {data.name!r} already exists") from exc
    return campaign


def delete(
    session: Session, vdn_id: int, campaign_id: int, now: datetime, *, archive: bool = False
) -> None:
    """Remove a campaign; refuses a started one (pause it first).

    With ``archive`` (``archiveHistory: 1``) the campaign is kept in the campaign history and
    its records move to the call-data history, as the call-data delete archives them; what
    hangs on the campaign otherwise (tasks, queue, results, batches) goes with it either way.
    """
    campaign = campaign_rows.get_for_update(session, vdn_id, campaign_id)
    if campaign is None:
        raise CampaignNotFound(campaign_id)
    status = visible_status(campaign, now)
    if status == CampaignStatus.STARTED:
        raise StateError(f"campaign {campaign_id} is started; pause it before deleting it")
    if archive:
        campaign_rows.archive(session, campaign, status, now)
        record_rows.delete_matching(session, campaign.pk, RecordFilter(), archive_at=now)
    campaign_rows.remove(session, campaign)


def pause(session: Session, vdn_id: int, campaign_id: int, now: datetime) -> Campaign:
    """Move a started campaign to paused; StateError from any other status."""
    return _transition(
        session, vdn_id, campaign_id, now, CampaignStatus.STARTED, CampaignStatus.PAUSED
    )


def resume(
    session: Session,
    vdn_id: int,
    campaign_id: int,
    now: datetime,
    limits: CampaignLimits,
) -> Campaign:
    """Move a paused campaign back to started; StateError from any other status, and
    CampaignLimitReached when the tenant already has as many started ones of its type."""
    tenant_rows.lock(session, vdn_id)
    campaign = get(session, vdn_id, campaign_id)
    if visible_status(campaign, now) == CampaignStatus.PAUSED:
        _check_started_limit(session, vdn_id, campaign.device_type, now, limits)
    return _transition(
        session, vdn_id, campaign_id, now, CampaignStatus.PAUSED, CampaignStatus.STARTED
    )


def _check_kind_limit(
    session: Session, vdn_id: int, device_type: int, now: datetime, limits: CampaignLimits
) -> None:
    ivr = device_type in IVR_DEVICE_TYPES
    kind = IVR_DEVICE_TYPES if ivr else SKILL_QUEUE_DEVICE_TYPES
    if campaign_rows.count_not_completed(session, vdn_id, kind, now) >= limits.per_kind:
        name = "IVR (deviceType 1, 3)" if ivr else "skill-queue (deviceType 2, 5, 6)"
        raise CampaignLimitReached(
            f"the tenant already holds {limits.per_kind} {name} campaigns that are not "
            "completed; delete one first"
        )


def _check_started_limit(
    session: Session, vdn_id: int, device_type: int, now: datetime, limits: CampaignLimits
) -> None:
    if campaign_rows.count_started(session, vdn_id, device_type, now) >= limits.liveliest:
        raise CampaignLimitReached(
            f"the tenant already holds {limits.liveliest} started campaigns of deviceType "
            f"{device_type}; pause one first, or create this one paused (initStatus 3)"
        )


LIST_STATUSES = frozenset({0, *CampaignStatus})  # cec_07_4007: 0 all, 2, 3, 4


@dataclass(frozen=True)
class CampaignQuery:
    """The list filters (cec_07_4007), as given; None means "not given"."""

    name: str | None = None
    status: int | None = None
    device_type: int | None = None
    begin_time: str | None = None  # campaigns that begin at or after this UTC moment
    end_time: str | None = None  # campaigns that end at or before this UTC moment
    cc_id: int | None = None


def page(
    session: Session,
    vdn_id: int,
    query: CampaignQuery,
    *,
    cur_page: int,
    rows_per_page: int,
    cc_id: int,
    now: datetime,
) -> tuple[list[Campaign], int]:
    """One page of the tenant's campaigns matching the filters, with the total.

    Every campaign belongs to this service's one call center (``cc_id``): a list asked for
    another call center's campaigns is empty.
    """
    filters = _list_filters(query)
    if query.cc_id is not None and query.cc_id != cc_id:
        return [], 0
    return campaign_rows.page(
        session,
        vdn_id,
        filters,
        now=now,
        offset=(cur_page - 1) * rows_per_page,
        limit=rows_per_page,
    )


def _list_filters(query: CampaignQuery) -> campaign_rows.ListFilters:
    """The validated filters; WrongValue for an undocumented status or device type."""
    if query.status is not None and query.status not in LIST_STATUSES:
        raise WrongValue(f"status: must be one of {sorted(LIST_STATUSES)}, got {query.status}")
    if query.device_type is not None and query.device_type not in DEVICE_TYPES:
        raise WrongValue(
            f"deviceType: must be one of {sorted(DEVICE_TYPES)}, got {query.device_type}"
        )
    begin = parse_utc("beginTime", query.begin_time) if query.begin_time else None
    end = parse_utc("endTime", query.end_time) if query.end_time else None
    if begin is not None and end is not None and begin > end:
        raise WrongCombination("beginTime must not be later than endTime")
    return campaign_rows.ListFilters(
        name=query.name or None,
        status=query.status or None,
        device_type=query.device_type,
        begins_from=begin,
        ends_by=end,
    )


def _transition(
    session: Session, vdn_id: int, campaign_id: int, now: datetime, source: int, target: int
) -> Campaign:
    campaign = campaign_rows.get_for_update(session, vdn_id, campaign_id)
    if campaign is None:
        raise CampaignNotFound(campaign_id)
    current = visible_status(campaign, now)
    if current != source:
        raise StateError(
            f"campaign {campaign_id} is {CampaignStatus(current).name.lower()}; "
            f"only a {CampaignStatus(source).name.lower()} campaign can be "
            f"{'paused' if target == CampaignStatus.PAUSED else 'resumed'}"
        )
    campaign.status = target
    campaign.updated_at = now
    session.flush()
    return campaign


def _check_rules(
    device_type: int,
    begin: datetime,
    end: datetime,
    data: CampaignInput,
    params: dict[str, Any] | None = None,
) -> None:
    params = data.params if params is None else params
    if device_type not in DEVICE_TYPES:
        raise WrongValue(f"deviceType: must be one of {sorted(DEVICE_TYPES)}, got {device_type}")
    if begin >= end:
        raise WrongCombination("strBeginTime must be earlier than strEndTime")
    if data.max_alerting_time is not None:
        low = 9 if device_type == PREVIEW else 5
        if not low <= data.max_alerting_time <= 120:
            raise WrongValue(f"maxAlertingTime: must be {low}-120 s for deviceType {device_type}")
    if device_type in IVR_DEVICE_TYPES and not params.get("ivrParam"):
        raise EmptyValue(
            f"ivrParam: required for deviceType {device_type} ({DEVICE_TYPES[device_type]})"
        )
    _check_schedule(params.get("scheduleParam"))


def _check_schedule(schedule: Any) -> None:
    if schedule is None:
        return
    if not isinstance(schedule, dict):
        raise WrongType("scheduleParam: must be an object")
    for key, value in schedule.items():
        if (
            WINDOW_KEY.fullmatch(key)
            and value not in (None, "")
            and not (isinstance(value, str) and HH_MM.fullmatch(value))
        ):
            raise WrongType(f"scheduleParam.{key}: must be HH:mm, got {value!r}")
    for kind in ("workday", "holiday"):
        for n in "123":
            start, stop = schedule.get(f"{kind}BeginTime{n}"), schedule.get(f"{kind}EndTime{n}")
            if bool(start) != bool(stop):
                raise WrongCombination(
                    f"scheduleParam: {kind}BeginTime{n} and {kind}EndTime{n} go together"
                )
            if start and stop and start >= stop:
                raise WrongCombination(
                    f"scheduleParam: {kind}BeginTime{n} must be earlier than {kind}EndTime{n}"
                )


def to_dict(campaign: Campaign, now: datetime) -> dict[str, Any]:
    """The campaign as the interfaces return it: stored extra fields first, ours on top."""
    return {
        **campaign.params,
        "campaignId": campaign.campaign_id,
        "name": campaign.name,
        "description": campaign.description or "",
        "status": visible_status(campaign, now),
        "deviceType": campaign.device_type,
        "strBeginTime": format_utc(campaign.begin_time),
        "strEndTime": format_utc(campaign.end_time),
        "callerNo": _caller_no(campaign),
        "maxAlertingTime": campaign.max_alerting_time,
    }


def _caller_no(campaign: Campaign) -> Any:
    """V1's calling number, or the list of ``{accessCode, priority}`` a V2 call gave."""
    listed = campaign.params.get("callerNo")
    return listed if isinstance(listed, list) else campaign.caller_no or ""
