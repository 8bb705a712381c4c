"""Calling windows on the tenant's clock: across midnight, Asia/Shanghai versus UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.dispatch.conftest import Dial, numbers_json

OFFICE = {"workdayBeginTime1": "09:00", "workdayEndTime1": "18:00"}
NIGHTS = {
    "workdayBeginTime1": "20:00", "workdayEndTime1": "23:59",
    "workdayBeginTime2": "00:00", "workdayEndTime2": "02:00",
    "holidayBeginTime1": "10:00", "holidayEndTime1": "11:00",
}  # fmt: skip


def leases_at(dial: Dial, campaign: int, moment: datetime) -> list[str]:
    dial.clock.now = moment
    return dial.numbers(campaign, leaseSeconds=10)


def campaign_with(dial: Dial, schedule: dict[str, Any], *numbers: str) -> int:
    dial.clock.now = datetime(2099, 1, 1, 0, 0, tzinfo=UTC)  # created before every moment used
    campaign = dial.campaign(scheduleParam=schedule)
    dial.load(campaign, *({"called": numbers_json(n)} for n in numbers))
    return campaign


def test_office_hours_in_shanghai_are_not_office_hours_in_utc(dial: Dial) -> None:
    utc_campaign = campaign_with(dial, OFFICE, "7001")
    with dial.api.client(dial.api.new_tenant(21, "Asia/Shanghai")) as shanghai:
        east = Dial(dial.api, shanghai, dial.clock)
        east_campaign = campaign_with(east, OFFICE, "7101")
        # Friday 01:30 UTC is Friday 09:30 in Shanghai.
        morning = datetime(2099, 1, 2, 1, 30, tzinfo=UTC)
        assert leases_at(east, east_campaign, morning) == ["7101"]
        assert leases_at(dial, utc_campaign, morning) == []
        # Friday 10:30 UTC is 18:30 in Shanghai: after hours there, office hours here.
        evening = datetime(2099, 1, 2, 10, 30, tzinfo=UTC)
        assert leases_at(east, east_campaign, evening) == []
        assert leases_at(dial, utc_campaign, evening) == ["7001"]
        # Friday 17:30 UTC is already Saturday 01:30 in Shanghai: a holiday, no window.
        assert leases_at(east, east_campaign, datetime(2099, 1, 2, 17, 30, tzinfo=UTC)) == []


def test_a_calling_period_across_midnight(dial: Dial) -> None:
    campaign = campaign_with(dial, NIGHTS, "7201", "7202", "7203", "7204")
    assert leases_at(dial, campaign, datetime(2099, 1, 1, 19, 59, 59, tzinfo=UTC)) == []
    every = ["7201", "7202", "7203", "7204"]
    assert leases_at(dial, campaign, datetime(2099, 1, 1, 23, 59, 50, tzinfo=UTC)) == every
    # Leased until 00:00:00 UTC; after midnight (Friday 2 January) the second window holds.
    assert leases_at(dial, campaign, datetime(2099, 1, 2, 0, 30, tzinfo=UTC)) == every
    assert leases_at(dial, campaign, datetime(2099, 1, 2, 2, 1, tzinfo=UTC)) == []
    # Saturday: the holiday window only.
    assert leases_at(dial, campaign, datetime(2099, 1, 3, 0, 30, tzinfo=UTC)) == []
    assert leases_at(dial, campaign, datetime(2099, 1, 3, 10, 30, tzinfo=UTC)) == every
