"""Calling windows (a campaign's ``scheduleParam``): may the campaign call at this moment?

``scheduleParam`` holds up to three workday and three holiday windows, ``HH:mm`` to ``HH:mm``
on the tenant's wall clock. Workdays are Monday to Friday, holidays Saturday and Sunday (there
is no holiday calendar). A window includes its end minute, so ``00:00``-``23:59`` is the whole
day, and a period across midnight is two windows (``20:00``-``23:59`` and ``00:00``-``02:00``).
No window at all means any time; windows for one kind of day only mean no calls on the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

SLOTS = ("1", "2", "3")
SATURDAY = 5


def windows(schedule: Mapping[str, Any] | None, kind: str) -> list[tuple[str, str]]:
    """The ``(begin, end)`` windows of ``kind`` ("workday" or "holiday") that are set."""
    if not schedule:
        return []
    found: list[tuple[str, str]] = []
    for slot in SLOTS:
        begin, end = schedule.get(f"{kind}BeginTime{slot}"), schedule.get(f"{kind}EndTime{slot}")
        if isinstance(begin, str) and isinstance(end, str) and begin and end:
            found.append((begin, end))
    return found


def day_kind(local: datetime) -> str:
    """ "holiday" on Saturday and Sunday, "workday" otherwise (the local date decides)."""
    return "holiday" if local.weekday() >= SATURDAY else "workday"


def may_call(schedule: Mapping[str, Any] | None, local: datetime) -> bool:
    """Whether ``local`` (the tenant's wall-clock time) falls in one of the campaign's windows."""
    if not windows(schedule, "workday") and not windows(schedule, "holiday"):
        return True
    minute = local.strftime("%H:%M")
    # HH:mm strings compare as times; validation guarantees begin < end in each window.
    return any(begin <= minute <= end for begin, end in windows(schedule, day_kind(local)))
