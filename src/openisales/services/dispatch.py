"""Leasing numbers to a dialer: what may be called at this moment, and to whom it is given.

The rules, in order (docs/architecture.md, "Dispatch"): the campaign is started and inside its
begin/end time; now is inside a ``scheduleParam`` window on the tenant's clock; expired leases
become callable again; then the queue's due rows, highest priority first and oldest first, minus
the records of paused batches (kept waiting), the recycled records (finished) and the blocklisted
numbers (deferred); the rest are leased.

A campaign with ``windowTimeZone: "number"`` (extension) checks the windows on each number's own
clock instead: the ``timeZone`` libphonenumber gave it when it was read in the tenant's default
region, the tenant's clock for a number without one. A number outside its window waits
``WINDOW_RECHECK`` and is looked at again.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from openisales.domain.calling_window import may_call
from openisales.domain.dispatch import DEFAULT_PRIORITY, DialState, Outcome
from openisales.services import campaigns
from openisales.services.blocklist import is_active, tenant_zone
from openisales.storage import blocklist as blocklist_rows
from openisales.storage import call_batches as batch_rows
from openisales.storage import dispatch as dial_rows
from openisales.storage.ids import new_object_id
from openisales.storage.models import BlocklistEntry, Campaign

MAX_LEASE = 500
BLOCKED_RECHECK = timedelta(minutes=5)  # a removed blocklist entry stops blocking this soon
HOURLY = "0"
WINDOW_RECHECK = timedelta(minutes=5)  # a number outside its own window is looked at again
NUMBER_ZONE = "number"


@dataclass(frozen=True)
class LeaseRequest:
    """The lease body: who asks, how many numbers at most, for how long."""

    dialer_id: str
    limit: int
    lease_seconds: int


def _schedule(campaign: Campaign) -> dict[str, Any] | None:
    schedule = campaign.params.get("scheduleParam")
    return schedule if isinstance(schedule, dict) else None


def windows_per_number(campaign: Campaign) -> bool:
    """Whether the campaign checks its calling windows on each number's own clock."""
    return campaign.params.get("windowTimeZone") == NUMBER_ZONE


def dialable(campaign: Campaign, zone: tzinfo, now: datetime) -> bool:
    """Started, inside its begin/end time, and inside a calling window on the tenant's clock
    (per number, for ``windowTimeZone: "number"``: then each row is checked when screened)."""
    if not campaigns.executing(campaign, now):
        return False
    return windows_per_number(campaign) or may_call(_schedule(campaign), now.astimezone(zone))


def lease(
    session: Session, vdn_id: int, campaign_id: int, request: LeaseRequest, now: datetime
) -> list[dict[str, Any]]:
    """Lease up to ``request.limit`` numbers callable now; each answered as the dialer needs it."""
    campaign = campaigns.get(session, vdn_id, campaign_id)
    zone = tenant_zone(session, vdn_id)
    if not dialable(campaign, zone, now):
        return []
    if dial_rows.try_lock_campaign(session, campaign.pk):
        dial_rows.enter_new_records(session, campaign, now)
    dial_rows.expire_leases(session, campaign.pk, now)
    held = batch_rows.paused_ids(session, campaign.pk)
    until = now + timedelta(seconds=request.lease_seconds)
    given: list[dict[str, Any]] = []
    per_number = windows_per_number(campaign)
    while len(given) < request.limit:
        wanted = request.limit - len(given)
        batch = dial_rows.candidates(
            session, campaign.pk, now, wanted, held, with_called=per_number
        )
        in_window = _in_own_window(session, campaign, batch, zone, now) if per_number else batch
        callable_now = _screen(session, vdn_id, in_window, zone, now)
        leases = [(row, new_object_id()) for row in callable_now]
        dial_rows.lease(
            session, [(r.data_id, lid) for r, lid in leases], request.dialer_id, now, until
        )
        given.extend(_answer(row, lease_id, campaign) for row, lease_id in leases)
        if len(batch) < wanted:  # the queue has nothing more due now
            break
    return given


def _in_own_window(
    session: Session,
    campaign: Campaign,
    batch: Sequence[dial_rows.Candidate],
    zone: tzinfo,
    now: datetime,
) -> list[dial_rows.Candidate]:
    """The rows whose number is inside a window on its own clock; the others wait a while."""
    schedule = _schedule(campaign)
    inside: list[dial_rows.Candidate] = []
    outside: list[int] = []
    for row in batch:
        local = now.astimezone(number_zone(row.called, row.position, zone))
        if may_call(schedule, local):
            inside.append(row)
        else:
            outside.append(row.data_id)
    if outside:
        due_at = now + WINDOW_RECHECK
        dial_rows.move_waiting(session, outside, DialState.WAITING, now, due_at=due_at)
    return inside


def number_zone(called: str | None, position: int, tenant_zone: tzinfo) -> tzinfo:
    """The time zone of number ``position`` of a stored ``called``; the tenant's without one."""
    try:
        name = json.loads(called or "[]")[position].get("timeZone")
        return ZoneInfo(name) if isinstance(name, str) else tenant_zone
    except (ValueError, IndexError, AttributeError, ZoneInfoNotFoundError):
        return tenant_zone


def _answer(row: dial_rows.Candidate, lease_id: str, campaign: Campaign) -> dict[str, Any]:
    return {
        "leaseId": lease_id,
        "dataId": row.data_id,
        "sessionId": row.session_id,
        "calledNo": row.called_no,
        "caller": row.caller or campaign.caller_no or "",
        "callData": row.call_data or "",
        "customField": row.custom_field or "",
        "priority": DEFAULT_PRIORITY if row.priority is None else row.priority,
        "attempt": row.failures + 1,
    }


def _screen(
    session: Session,
    vdn_id: int,
    batch: Sequence[dial_rows.Candidate],
    zone: tzinfo,
    now: datetime,
) -> list[dial_rows.Candidate]:
    """The rows that may be called: recycled records are finished, blocked numbers deferred."""
    # recycleTime is the tenant's wall-clock time, like the blocklist's expiry.
    local = now.astimezone(zone).replace(tzinfo=None)
    recycled = [r.data_id for r in batch if r.recycle_time is not None and r.recycle_time <= local]
    dial_rows.move_waiting(session, recycled, DialState.DONE, now, outcome=Outcome.RECYCLED)
    gone = set(recycled)
    live = [row for row in batch if row.data_id not in gone]
    entries = {
        entry.number: entry
        for entry in blocklist_rows.find(session, vdn_id, sorted({row.called_no for row in live}))
        if is_active(entry, now)
    }
    if not entries:
        return live
    allowed = _allowed_calls(session, vdn_id, list(entries.values()), zone, now)
    kept: list[dial_rows.Candidate] = []
    deferred: dict[datetime, list[int]] = {}
    for row in live:
        entry = entries.get(row.called_no)
        if entry is None:
            kept.append(row)
        elif allowed[row.called_no] > 0:
            allowed[row.called_no] -= 1  # two records with one number share its allowance
            kept.append(row)
        else:
            deferred.setdefault(_blocked_until(entry, zone, now), []).append(row.data_id)
    for due_at, data_ids in deferred.items():
        dial_rows.move_waiting(session, data_ids, DialState.WAITING, now, due_at=due_at)
    return kept


def _allowed_calls(
    session: Session,
    vdn_id: int,
    entries: Sequence[BlocklistEntry],
    zone: tzinfo,
    now: datetime,
) -> Counter[str]:
    """How many more calls each listed number may have now: 0 without a restriction."""
    allowed: Counter[str] = Counter()
    restricted = [e for e in entries if e.restrict_times is not None]
    for period in {e.restrict_period for e in restricted}:
        numbers = [e.number for e in restricted if e.restrict_period == period]
        start, _end = period_bounds(period, zone, now)
        made = Counter(dial_rows.results_since(session, vdn_id, numbers, start))
        made.update(dial_rows.live_leases(session, vdn_id, numbers))
        for entry in restricted:
            if entry.restrict_period == period:
                allowed[entry.number] = max(0, (entry.restrict_times or 0) - made[entry.number])
    return allowed


def _blocked_until(entry: BlocklistEntry, zone: tzinfo, now: datetime) -> datetime:
    """When a number that may not be called now is looked at again."""
    if entry.restrict_times is not None:
        return period_bounds(entry.restrict_period, zone, now)[1]
    recheck = now + BLOCKED_RECHECK
    return recheck if entry.expires_at is None else min(recheck, entry.expires_at)


def period_bounds(period: str | None, zone: tzinfo, now: datetime) -> tuple[datetime, datetime]:
    """The current restriction period (an hour for "0", a day for "1", tenant's clock), in UTC."""
    local = now.astimezone(zone)
    if period == HOURLY:
        start = local.replace(minute=0, second=0, microsecond=0)
        return start.astimezone(UTC), (start + timedelta(hours=1)).astimezone(UTC)
    day = local.date()
    start = datetime.combine(day, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)
