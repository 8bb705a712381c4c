"""The V2 statistics interface (cec_07_0765): a campaign's record counts, in total and today.

A "call" in ``countDetail`` is a call record, as in the publication's own ``totalCount``
("含完成,呼叫中,未呼叫": finished, being called, not called). The counts come from the records,
their dial-queue rows and the recorded results; "today" is the tenant's day.

``dial_progress`` gives the console the same counts, as where dialling stands.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from openisales.services import campaigns
from openisales.storage import call_results as result_rows
from openisales.storage import calldata as record_rows
from openisales.storage import tenants as tenant_rows


def statistics(
    session: Session,
    vdn_id: int,
    campaign_id: int | None,
    batch_id: str | None,
    now: datetime,
) -> list[dict[str, Any]]:
    """One ``countDetail`` entry per campaign (or for the one asked for); see docs/api.md."""
    if campaign_id is not None:
        targets = [(campaigns.get(session, vdn_id, campaign_id).pk, campaign_id)]
    else:
        targets = record_rows.tenant_campaigns(session, vdn_id)
    start, end = _today(session, vdn_id, now)
    pks = [pk for pk, _ in targets]
    whole = _fields(session, pks, start, end, now, None)
    batch = _fields(session, pks, start, end, now, batch_id) if batch_id is not None else {}
    return [
        {
            "campaignId": number,
            **whole[pk],
            "batchDetail": [{"batchId": batch_id, **batch[pk]}] if batch_id is not None else [],
        }
        for pk, number in targets
    ]


@dataclass(frozen=True)
class DialProgress:
    """Where dialling of one campaign stands: every record is in exactly one of the counts."""

    blocked: int  # blocklisted at import: kept, never dialled
    pending: int  # not finished and not leased now: callable, waiting, or its lease expired
    leased: int  # leased to a dialer, the lease not expired
    finished: int  # reached, every number tried, or recycled
    reached: int  # finished by a success

    @property
    def total(self) -> int:
        """Every record of the campaign."""
        return self.blocked + self.pending + self.leased + self.finished

    @property
    def success_rate(self) -> float | None:
        """Reached among finished (0 to 1); None while nothing is finished."""
        return self.reached / self.finished if self.finished else None


def dial_progress(session: Session, vdn_id: int, campaign_id: int, now: datetime) -> DialProgress:
    """The campaign's dialling counts, from the records and the dial queue as ``statistics``."""
    pk = campaigns.get(session, vdn_id, campaign_id).pk
    start, end = _today(session, vdn_id, now)
    found = record_rows.counts(session, [pk], day_start=start, day_end=end, now=now)[pk]
    # Only pending records enter the queue, so its finished and leased rows are pending ones.
    return DialProgress(
        blocked=found.total - found.pending,
        pending=found.pending - found.finished - found.being_called,
        leased=found.being_called,
        finished=found.finished,
        reached=found.reached,
    )


def _fields(
    session: Session,
    pks: list[int],
    start: datetime,
    end: datetime,
    now: datetime,
    batch_id: str | None,
) -> dict[int, dict[str, int]]:
    """The count fields of each campaign (or of its batch), in the documented order."""
    records = record_rows.counts(
        session, pks, day_start=start, day_end=end, now=now, batch_id=batch_id
    )
    today = result_rows.calls_in_day(session, pks, day_start=start, day_end=end, batch_id=batch_id)
    return {pk: _count_fields(records[pk], today[pk]) for pk in pks}


def _count_fields(counts: record_rows.Counts, today: result_rows.DayCalls) -> dict[str, int]:
    return {
        "unCallCount": counts.uncalled,
        "calledCount": today.called,  # "当天已拨打量", as dailyCalledCount
        "finishCount": counts.finished,  # "已完成呼叫总量", as totalFinishCount
        "totalCalledCount": counts.called,
        "totalCallSucc": counts.reached,
        "totalFinishCount": counts.finished,
        "totalCount": counts.total,
        "dailyCalledCount": today.called,
        "dailyCallSucc": today.reached,
        "dailyFinishCount": counts.finished_in_day,
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
