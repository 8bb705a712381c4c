"""Calling windows: workday and holiday windows on the tenant's wall clock."""

from __future__ import annotations

from datetime import datetime

from openisales.domain.calling_window import day_kind, may_call

FRIDAY, SATURDAY = datetime(2099, 1, 2), datetime(2099, 1, 3)  # 2099-01-02 is a Friday
EVENINGS = {
    "workdayBeginTime1": "20:00", "workdayEndTime1": "23:59",
    "workdayBeginTime2": "00:00", "workdayEndTime2": "02:00",
    "workdayBeginTime3": "", "workdayEndTime3": "",
}  # fmt: skip


def at(day: datetime, hh_mm: str, second: int = 0) -> datetime:
    hour, minute = map(int, hh_mm.split(":"))
    return day.replace(hour=hour, minute=minute, second=second)


def test_days_of_the_week() -> None:
    assert day_kind(FRIDAY) == "workday"
    assert day_kind(SATURDAY) == "holiday"


def test_no_windows_means_any_time() -> None:
    assert may_call(None, at(SATURDAY, "03:00"))
    assert may_call({}, at(FRIDAY, "03:00"))
    assert may_call({"workdayBeginTime1": "", "workdayEndTime1": ""}, at(FRIDAY, "03:00"))


def test_a_period_across_midnight_is_two_windows_and_ends_include_their_minute() -> None:
    assert not may_call(EVENINGS, at(FRIDAY, "19:59", 59))
    assert may_call(EVENINGS, at(FRIDAY, "20:00"))
    assert may_call(EVENINGS, at(FRIDAY, "23:59", 59))
    assert may_call(EVENINGS, at(FRIDAY, "00:00"))
    assert may_call(EVENINGS, at(FRIDAY, "02:00", 59))
    assert not may_call(EVENINGS, at(FRIDAY, "02:01"))


def test_workday_windows_only_mean_no_calls_on_holidays() -> None:
    assert not may_call(EVENINGS, at(SATURDAY, "21:00"))
    both = {**EVENINGS, "holidayBeginTime1": "10:00", "holidayEndTime1": "11:00"}
    assert may_call(both, at(SATURDAY, "10:30"))
    assert not may_call(both, at(SATURDAY, "21:00"))
