"""Calling windows on the tenant's clock: across midnight, Asia/Shanghai versus UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from openisales.services import tenants
from openisales.services.dispatch import WINDOW_RECHECK
from openisales.storage.models import DialEntry
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


def _with_region_numbers(dial: Dial, **fields: Any) -> int:
    """A campaign (OFFICE hours) of numbers read in CN: Shanghai, London, and US toll free."""
    dial.clock.now = datetime(2099, 1, 1, 0, 0, tzinfo=UTC)
    campaign = dial.campaign(scheduleParam=OFFICE, **fields)
    added = dial.isales.call(
        "POST",
        f"/calldata/{campaign}",
        json={
            "callDataList": [
                {"sessionId": "cn", "called": "013800001234"},
                {"sessionId": "gb", "called": "+442079460000"},
                {"sessionId": "us", "called": "+18005550100"},  # no zone of its own
            ]
        },
    )
    assert added["resultCode"] == "0200000", added
    return campaign


def test_windows_on_each_numbers_own_clock_when_the_campaign_asks(dial: Dial) -> None:
    with dial.api.rt.db.transaction() as session:
        tenants.set_default_region(session, dial.isales.vdn_id, "CN")
    per_number = _with_region_numbers(dial, windowTimeZone="number")
    on_tenant_clock = _with_region_numbers(dial, name="tenant clock")
    # Friday 01:30 UTC: 09:30 in Shanghai, 01:30 in London and on the tenant's (UTC) clock.
    morning = datetime(2099, 1, 2, 1, 30, tzinfo=UTC)
    assert leases_at(dial, per_number, morning) == ["013800001234"]
    assert leases_at(dial, on_tenant_clock, morning) == []
    # 10:30 UTC: 18:30 in Shanghai; office hours in London and on the tenant's clock.
    evening = datetime(2099, 1, 2, 10, 30, tzinfo=UTC)
    assert leases_at(dial, per_number, evening) == ["+442079460000", "+18005550100"]
    assert leases_at(dial, on_tenant_clock, evening) == [
        "013800001234",
        "+442079460000",
        "+18005550100",
    ]
    # A number outside its window waits WINDOW_RECHECK from the lease that passed it over.
    with dial.api.rt.db.read() as session:
        entry = session.scalars(
            select(DialEntry).where(
                DialEntry.campaign_pk == dial.campaign_pk(per_number),
                DialEntry.called_no == "013800001234",
            )
        ).one()
        assert entry.due_at - entry.updated_at == WINDOW_RECHECK


def test_window_time_zone_takes_tenant_or_number_only(dial: Dial) -> None:
    answer = dial.isales.create_campaign(
        name="bad zone",
        deviceType=2,
        strBeginTime="2099-01-01 00:00:00",
        strEndTime="2099-12-31 23:59:59",
        windowTimeZone="Asia/Shanghai",
    )
    assert answer["resultCode"] == "0200001", answer
    assert "windowTimeZone" in answer["resultDesc"]
