"""Call data in JSON (cec_07_0759-0765): add (V1/V2), delete, query one, list, statistics.

A record added here is the same kind of record a file import writes: it is checked by the
file's row rules (``domain.validation.validate_row``), keyed by the same duplicate rule (the
campaign holds one record per sessionId and set of called numbers) and written under the same
campaign lock. An add is all or nothing: one bad, duplicate or blocklisted record refuses the
whole request, and the message names it.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from enum import IntEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openisales.domain.cells import Cell
from openisales.domain.template import FIELDS, ColumnMap
from openisales.domain.validation import CallRecord, RowError, validate_row
from openisales.errors import (
    CallDataNotFound,
    ConflictError,
    EmptyValue,
    NumberBlocklisted,
    ParameterError,
    PendingLimitReached,
    StateError,
    WrongCombination,
    WrongType,
    WrongValue,
)
from openisales.services import campaigns
from openisales.services.calldata_rows import called_json, called_key
from openisales.services.campaigns import INTELLIGENT_IVR, CampaignStatus
from openisales.storage import calldata as record_rows
from openisales.storage import campaigns as campaign_rows
from openisales.storage import tenants as tenant_rows
from openisales.storage.calldata import RecordFilter, RecordStatus
from openisales.storage.models import CallData, Campaign

MAX_RECORDS_PER_ADD = 20
MAX_PENDING = 200_000
"""cec_07_0759: "The number of incomplete outbound calls in an outbound campaign cannot exceed
200,000". Incomplete = pending; blocked records are never dialled and do not count."""
SHOWN_ERRORS = 5
# The record fields in template order, so one row of cells feeds the file import's validation.
COLUMNS = ColumnMap({name: index for index, name in enumerate(FIELDS)}, FIELDS)
TIME_TEXT = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
DATE_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}")


class RecycleType(IntEnum):
    ON_OR_BEFORE_DAY = 1
    SAME_DAY = 2
    EXACT = 3


@dataclass(frozen=True)
class NewRecord:
    """One ``callDataList`` item as sent (JSON values); ``called`` is a number or a list."""

    session_id: Any = None
    called: Any = None
    caller: Any = None
    custom_field: Any = None
    recycle_time: Any = None
    call_data: Any = None
    priority: Any = None
    batch_id: str | None = None


@dataclass(frozen=True)
class Added:
    records: list[tuple[CallRecord, int]]  # each record with its new dataId, in request order
    pending: int  # pending records of the campaign after the add


@dataclass(frozen=True)
class DeleteRequest:
    session_id: str | None = None
    called: str | None = None
    custom_field: str | None = None
    recycle_time: str | None = None
    recycle_type: int | None = None
    archive_history: bool = False


# --- add ------------------------------------------------------------------------------------


def add(
    session: Session,
    vdn_id: int,
    campaign_id: int,
    items: Sequence[NewRecord],
    now: datetime,
    *,
    unique_per_session: bool,
) -> Added:
    """Add every record or none. V1 numbers are unique in the request, V2 per sessionId."""
    campaign = _open_campaign(session, vdn_id, campaign_id, now)
    records = _validate(items, call_data_must_be_json=campaign.device_type == INTELLIGENT_IVR)
    _check_unique_numbers(records, per_session=unique_per_session)
    # Serialises writers of the campaign: the checks below hold until the commit.
    campaign_rows.lock(session, campaign.pk)
    _check_blocklist(session, vdn_id, records, now)
    _check_not_held(session, campaign.pk, records)
    pending = record_rows.count_pending(session, campaign.pk)
    if pending + len(records) > MAX_PENDING:
        raise PendingLimitReached(
            f"campaign {campaign_id} holds {pending} incomplete records; adding {len(records)} "
            f"would exceed the limit of {MAX_PENDING}"
        )
    rows = [
        _row(campaign.pk, record, item.batch_id, now)
        for record, item in zip(records, items, strict=True)
    ]
    try:
        data_ids = record_rows.add_records(session, rows)
    except IntegrityError as exc:  # only if the lock was bypassed; still never a doubled record
        raise ConflictError("the campaign changed concurrently; send the request again") from exc
    return Added(list(zip(records, data_ids, strict=True)), pending + len(records))


def _open_campaign(session: Session, vdn_id: int, campaign_id: int, now: datetime) -> Campaign:
    campaign = campaigns.get(session, vdn_id, campaign_id)
    if campaigns.visible_status(campaign, now) == CampaignStatus.COMPLETED:
        raise StateError(f"campaign {campaign_id} is completed; no data can be added to it")
    return campaign


def _validate(items: Sequence[NewRecord], *, call_data_must_be_json: bool) -> list[CallRecord]:
    """Each item through the file import's row rules; every problem is named, none written."""
    records: list[CallRecord] = []
    errors: list[tuple[int, RowError]] = []
    for index, item in enumerate(items):
        result = validate_row(
            _cells(item), COLUMNS, index, call_data_must_be_json=call_data_must_be_json
        )
        if isinstance(result, list):
            errors.extend((index, error) for error in result)
        else:
            records.append(result)
    if errors:
        shown = "; ".join(
            f"callDataList.{index}.{error.column}: {error.message.rstrip('.')}"
            for index, error in errors[:SHOWN_ERRORS]
        )
        raise ParameterError.of(errors[0][1].code, shown)
    return records


def _cells(item: NewRecord) -> list[Cell]:
    """The item as a template row (``FIELDS`` order): what ``validate_row`` reads."""
    by_field: dict[str, Cell] = {
        "sessionId": item.session_id,
        "called": _called_cell(item.called),
        "caller": item.caller,
        "callData": _call_data_cell(item.call_data),
        "customField": item.custom_field,
        "recycleTime": item.recycle_time,
        "priority": item.priority,
    }
    return [by_field[name] for name in FIELDS]


def _called_cell(called: Any) -> Cell:
    """V2's list (of numbers or of {calledNo, delayTime, type}) as the file's JSON text."""
    if not isinstance(called, list):
        return called  # type: ignore[no-any-return]
    numbers = [item if isinstance(item, dict) else {"calledNo": item} for item in called]
    return json.dumps(numbers, ensure_ascii=False)


def _call_data_cell(call_data: Any) -> Cell:
    """A JSON object sent as an object rather than as text is stored as its compact text."""
    if isinstance(call_data, dict):
        return json.dumps(call_data, ensure_ascii=False, separators=(",", ":"))
    return call_data  # type: ignore[no-any-return]


def _check_unique_numbers(records: Sequence[CallRecord], *, per_session: bool) -> None:
    where: dict[tuple[str, str], list[int]] = defaultdict(list)
    for index, record in enumerate(records):
        scope = record.session_id if per_session else ""
        for number in record.called:
            where[(scope, number.called_no)].append(index)
    repeated = [(key, indexes) for key, indexes in where.items() if len(indexes) > 1]
    if not repeated:
        return
    (session_id, repeated_no), indexes = repeated[0]
    places = ", ".join(f"callDataList.{i}" for i in dict.fromkeys(indexes))
    within = f" under sessionId {session_id!r}" if per_session else " within a request"
    raise WrongCombination(
        f"called number {repeated_no} appears more than once ({places}); called numbers must "
        f"be unique{within}"
    )


def _check_blocklist(
    session: Session, vdn_id: int, records: Sequence[CallRecord], now: datetime
) -> None:
    numbers = [number.called_no for record in records for number in record.called]
    blocked = record_rows.blocked_among(session, vdn_id, numbers, now)
    if not blocked:
        return
    raise NumberBlocklisted(blocked)


def _check_not_held(session: Session, campaign_pk: int, records: Sequence[CallRecord]) -> None:
    """The duplicate rule of file imports: one record per sessionId and set of numbers."""
    identities = [(record.session_id, called_key(record)) for record in records]
    held = record_rows.find_identities(session, campaign_pk, identities)
    duplicates = [
        f"callDataList.{index} (sessionId {identity[0]!r}, called {identity[1]}) is dataId "
        f"{held[identity]}"
        for index, identity in enumerate(identities)
        if identity in held
    ]
    if duplicates:
        raise ConflictError(
            "the campaign already holds these records: "
            + "; ".join(duplicates[:SHOWN_ERRORS])
            + "; nothing was added"
        )


def _row(
    campaign_pk: int, record: CallRecord, batch_id: str | None, now: datetime
) -> dict[str, Any]:
    return {
        "campaign_pk": campaign_pk,
        "session_id": record.session_id,
        "called_key": called_key(record),
        "called": called_json(record),
        "caller": record.caller,
        "custom_field": record.custom_field,
        "recycle_time": record.recycle_time,
        "call_data": record.call_data,
        "priority": record.priority,
        "batch_id": batch_id,
        "status": RecordStatus.PENDING,
        "import_task_id": None,
        "row_number": None,
        "created_at": now,
    }


# --- delete ---------------------------------------------------------------------------------


def delete(
    session: Session, vdn_id: int, campaign_id: int, request: DeleteRequest, now: datetime
) -> int:
    """Delete (or archive) the campaign's records matching every criterion given."""
    criteria = _criteria(request)
    campaign = campaigns.get(session, vdn_id, campaign_id)
    campaign_rows.lock(session, campaign.pk)
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


# --- query ----------------------------------------------------------------------------------


def get(session: Session, vdn_id: int, campaign_id: int, data_id: str) -> CallData:
    """One record of the campaign; another campaign's or tenant's looks like none at all."""
    campaign = campaigns.get(session, vdn_id, campaign_id)
    record = None
    if data_id.isdigit() and len(data_id) <= 18:
        record = record_rows.get_record(session, campaign.pk, int(data_id))
    if record is None:
        raise CallDataNotFound(data_id, campaign_id)
    return record


def page(
    session: Session,
    vdn_id: int,
    campaign_id: int,
    *,
    import_task_id: str | None,
    status: int | None,
    offset: int,
    limit: int,
) -> tuple[list[CallData], int]:
    campaign = campaigns.get(session, vdn_id, campaign_id)
    return record_rows.page_records(
        session,
        campaign.pk,
        import_task_id=import_task_id,
        status=status,
        offset=offset,
        limit=limit,
    )


PROPERTIES: tuple[tuple[str, str, str], ...] = (
    ("sessionId", "Session ID", "session_id"),
    ("caller", "Calling number", "caller"),
    ("customField", "Custom field", "custom_field"),
    ("recycleTime", "Recycle time", "recycle_time"),
    ("callData", "Call data", "call_data"),
    ("priority", "Priority", "priority"),
    ("batchId", "Batch ID", "batch_id"),
    ("status", "Status", "status"),
    ("importTaskId", "Import task ID", "import_task_id"),
    ("rowNumber", "Row number", "row_number"),
    ("createdAt", "Created at (UTC)", "created_at"),
)


def to_dict(record: CallData) -> dict[str, Any]:
    """The query-one shape: ``{dataId, properties[{propCode, propName, propValue}], calledNos}``."""
    return {
        "dataId": record.data_id,
        "properties": [
            {"propCode": code, "propName": name, "propValue": _text(getattr(record, attribute))}
            for code, name, attribute in PROPERTIES
        ],
        "calledNos": called_nos(record),
    }


def to_list_item(record: CallData) -> dict[str, Any]:
    return {
        "dataId": record.data_id,
        "sessionId": record.session_id,
        "calledNos": called_nos(record),
        "status": record.status,
        "importTaskId": record.import_task_id or "",
        "rowNumber": record.row_number,
    }


def called_nos(record: CallData) -> list[dict[str, Any]]:
    numbers: list[dict[str, Any]] = json.loads(record.called)
    return [
        {
            "calledNo": number["calledNo"],
            "type": number.get("type") or "",
            "delayTime": number.get("delayTime", 0),
        }
        for number in numbers
    ]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        moment = value.astimezone(UTC) if value.tzinfo is not None else value
        return moment.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


# --- statistics -----------------------------------------------------------------------------


def statistics(
    session: Session,
    vdn_id: int,
    campaign_id: int | None,
    batch_id: str | None,
    now: datetime,
) -> list[dict[str, Any]]:
    """One ``countDetail`` entry per campaign (or for the one asked for).

    openisales does not dial, so every called/finished count is 0 and ``unCallCount`` is the
    pending records. "Daily" is today in the tenant's time zone.
    """
    if campaign_id is not None:
        targets = [(campaigns.get(session, vdn_id, campaign_id).pk, campaign_id)]
    else:
        targets = record_rows.tenant_campaigns(session, vdn_id)
    start, end = _today(session, vdn_id, now)
    pks = [pk for pk, _ in targets]
    whole = record_rows.counts(session, pks, day_start=start, day_end=end)
    batch = (
        record_rows.counts(session, pks, day_start=start, day_end=end, batch_id=batch_id)
        if batch_id is not None
        else {}
    )
    return [
        {
            "campaignId": number,
            **_count_fields(whole[pk]),
            "batchDetail": [{"batchId": batch_id, **_count_fields(batch[pk])}]
            if batch_id is not None
            else [],
        }
        for pk, number in targets
    ]


def _count_fields(counts: record_rows.Counts) -> dict[str, int]:
    return {
        "unCallCount": counts.pending,
        "calledCount": 0,
        "finishCount": 0,
        "totalCalledCount": 0,
        "totalCallSucc": 0,
        "totalFinishCount": 0,
        "totalCount": counts.total,
        "dailyCalledCount": 0,
        "dailyCallSucc": 0,
        "dailyFinishCount": 0,
        "dailyCount": counts.created_in_day,
    }


def _today(session: Session, vdn_id: int, now: datetime) -> tuple[datetime, datetime]:
    """Today in the tenant's time zone, as a [start, end) range of UTC instants."""
    tenant = tenant_rows.get(session, vdn_id)
    zone = ZoneInfo(tenant.time_zone if tenant else "UTC")
    day = now.astimezone(zone).date()
    # Midnight to midnight on the wall clock: 23 or 25 hours on a daylight-saving change.
    start = datetime.combine(day, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)
