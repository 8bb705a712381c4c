"""Adding call data in JSON (V1 and V2): all of the request or nothing, checked by the file
import's own row rules, the duplicate rule and the blocklist, under the campaign lock.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openisales.domain.cells import Cell
from openisales.domain.record_row import RecordStatus
from openisales.domain.rule_messages import row_error_text
from openisales.domain.template import FIELDS, ColumnMap
from openisales.domain.validation import CallRecord, RowError, validate_row
from openisales.errors import (
    ConflictError,
    NumberBlocklisted,
    ParameterError,
    PendingLimitReached,
    StateError,
    WrongCombination,
)
from openisales.i18n import Both
from openisales.services import campaigns
from openisales.services.calldata_rows import called_json, called_key, number_identity
from openisales.services.campaigns import INTELLIGENT_IVR, CampaignStatus
from openisales.storage import calldata as record_rows
from openisales.storage import campaigns as campaign_rows
from openisales.storage import tenants as tenant_rows
from openisales.storage.models import Campaign

MAX_RECORDS_PER_ADD = 20
MAX_PENDING = 200_000
"""cec_07_0759: "The number of incomplete outbound calls in an outbound campaign cannot exceed
200,000". Incomplete = pending; blocked records are never dialled and do not count."""
SHOWN_ERRORS = 5
# The record fields in template order, so one row of cells feeds the file import's validation.
COLUMNS = ColumnMap({name: index for index, name in enumerate(FIELDS)}, FIELDS)


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


def add(
    session: Session,
    vdn_id: int,
    campaign_id: int,
    items: Sequence[NewRecord],
    now: datetime,
    *,
    unique_per_session: bool,
) -> Added:
    """Add every record or none. V1 numbers are unique in the request, V2 per sessionId.

    With the tenant's default region the numbers are read as in a file import (their E.164
    form decides what is unique and what is held already).
    """
    campaign = _open_campaign(session, vdn_id, campaign_id, now)
    tenant = tenant_rows.get(session, vdn_id)
    records = _validate(
        items,
        call_data_must_be_json=campaign.device_type == INTELLIGENT_IVR,
        default_region=tenant.default_region if tenant else None,
    )
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


def _validate(
    items: Sequence[NewRecord], *, call_data_must_be_json: bool, default_region: str | None
) -> list[CallRecord]:
    """Each item through the file import's row rules; every problem is named, none written."""
    records: list[CallRecord] = []
    errors: list[tuple[int, RowError]] = []
    for index, item in enumerate(items):
        result = validate_row(
            _cells(item),
            COLUMNS,
            index,
            call_data_must_be_json=call_data_must_be_json,
            default_region=default_region,
        )
        if isinstance(result, list):
            errors.extend((index, error) for error in result)
        else:
            records.append(result)
    if errors:
        shown = [
            row_error_text(error, f"callDataList.{index}.")
            for index, error in errors[:SHOWN_ERRORS]
        ]
        message = Both("; ".join(m.en for m in shown), "；".join(m.zh for m in shown))
        raise ParameterError.of(errors[0][1].code, message)
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
            where[(scope, number_identity(number))].append(index)
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
