"""The V2 statistics interface: a campaign's record counts, in total and today in the tenant's zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from openisales.services import campaigns
from openisales.storage import calldata as record_rows
from openisales.storage import tenants as tenant_rows


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
