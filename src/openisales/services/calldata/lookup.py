"""Reading call data: one record with its numbers, and the paged record list."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from openisales.errors import (
    CallDataNotFound,
)
from openisales.services import campaigns
from openisales.storage import calldata as record_rows
from openisales.storage.models import CallData


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
    """One page of a campaign's records and the total; CampaignNotFound if not the tenant's."""
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
    """The list shape of one record: dataId, sessionId, calledNos, status, task and row."""
    return {
        "dataId": record.data_id,
        "sessionId": record.session_id,
        "calledNos": called_nos(record),
        "status": record.status,
        "importTaskId": record.import_task_id or "",
        "rowNumber": record.row_number,
    }


def called_nos(record: CallData) -> list[dict[str, Any]]:
    """The record's numbers as the API's calledNos list (type empty when unset)."""
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
