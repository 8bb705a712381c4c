"""Call-data statistics (V2, cec_07_0765): counts per campaign, per batch, per tenant day."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from openisales.client import ISalesClient
from openisales.storage.models import BlocklistEntry
from tests.calldata.conftest import add_v1, add_v2, delete, ok, refused, statistics, xlsx
from tests.conftest import Api, Clock
from tests.imports.conftest import ImportSetup, create_campaign

CAMPAIGN_NOT_FOUND = "0200007"
DIAL_COUNTS = (
    "calledCount", "finishCount", "totalCalledCount", "totalCallSucc", "totalFinishCount",
    "dailyCalledCount", "dailyCallSucc", "dailyFinishCount",
)  # fmt: skip


def details(answer: dict[str, Any]) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = ok(answer)["countDetail"]
    return entries


def counts(entry: dict[str, Any]) -> tuple[int, int, int]:
    """(unCallCount, totalCount, dailyCount), after checking the dialling counts are all 0."""
    assert all(entry[name] == 0 for name in DIAL_COUNTS), entry
    return entry["unCallCount"], entry["totalCount"], entry["dailyCount"]


def numbers(n: int, start: int) -> list[dict[str, Any]]:
    return [{"sessionId": f"s{start + i}", "called": str(start + i)} for i in range(n)]


def test_one_campaign(isales: ISalesClient, campaign: int) -> None:
    ok(add_v1(isales, campaign, *numbers(3, 1000)))
    [entry] = details(statistics(isales, campaignId=campaign))
    assert entry["campaignId"] == campaign
    assert counts(entry) == (3, 3, 3)
    assert entry["batchDetail"] == []
    assert set(entry) == {
        "campaignId", "unCallCount", "calledCount", "finishCount", "batchDetail",
        "totalCalledCount", "totalCallSucc", "totalFinishCount", "totalCount",
        "dailyCalledCount", "dailyCallSucc", "dailyFinishCount", "dailyCount",
    }  # fmt: skip


def test_every_campaign_of_the_tenant_without_campaign_id(
    api: Api, isales: ISalesClient, campaign: int
) -> None:
    second = create_campaign(isales, "second")
    empty = create_campaign(isales, "empty")
    ok(add_v1(isales, campaign, *numbers(2, 1000)))
    ok(add_v1(isales, second, *numbers(5, 2000)))
    entries = details(statistics(isales))
    assert [e["campaignId"] for e in entries] == [campaign, second, empty]
    assert [counts(e) for e in entries] == [(2, 2, 2), (5, 5, 5), (0, 0, 0)]
    with api.client(api.new_tenant(13)) as stranger:
        assert details(statistics(stranger)) == []
        refused(statistics(stranger, campaignId=campaign), CAMPAIGN_NOT_FOUND)


def test_counts_follow_deletes(isales: ISalesClient, campaign: int) -> None:
    ok(add_v1(isales, campaign, *numbers(4, 1000)))
    assert ok(delete(isales, campaign, sessionId="s1001"))["returnObject"]["deleteCount"] == 1
    ok(delete(isales, campaign, called="1002", archiveHistory=1))
    [entry] = details(statistics(isales, campaignId=campaign))
    assert counts(entry) == (2, 2, 2)


def test_batch_detail(isales: ISalesClient, campaign: int) -> None:
    ok(add_v2(isales, campaign, {"called": ["1"]}, {"called": ["2"]}, batchId="b1"))
    ok(add_v2(isales, campaign, {"called": ["3"], "batchId": "b2"}))
    ok(add_v1(isales, campaign, {"called": "4"}))
    [entry] = details(statistics(isales, campaignId=campaign, batchId="b1"))
    assert counts(entry) == (4, 4, 4)  # the campaign's own counts stay whole
    [batch] = entry["batchDetail"]
    assert batch["batchId"] == "b1"
    assert counts(batch) == (2, 2, 2)
    [other] = details(statistics(isales, campaignId=campaign, batchId="nope"))
    [none] = other["batchDetail"]
    assert none["batchId"] == "nope" and counts(none) == (0, 0, 0)


def test_daily_count_is_today_in_the_tenants_time_zone(api: Api, clock: Clock) -> None:
    # 20:00 UTC on 10 March is already 04:00 on 11 March in Shanghai (UTC+8).
    clock.now = datetime(2030, 3, 10, 20, 0, tzinfo=UTC)
    shanghai = api.new_tenant(13, time_zone="Asia/Shanghai")
    with api.client() as utc_client, api.client(shanghai) as shanghai_client:
        per_client = []
        for client in (utc_client, shanghai_client):
            campaign = create_campaign(client, strBeginTime="2030-03-10 00:00:00")
            ok(add_v1(client, campaign, *numbers(2, 1000)))
            per_client.append((client, campaign))
        clock.advance(hours=5)  # 01:00 UTC on 11 March; 09:00 in Shanghai, the same local day
        for client, campaign in per_client:
            ok(add_v1(client, campaign, *numbers(1, 2000)))
        (utc, utc_campaign), (sh, sh_campaign) = per_client
        assert counts(details(statistics(utc, campaignId=utc_campaign))[0]) == (3, 3, 1)
        assert counts(details(statistics(sh, campaignId=sh_campaign))[0]) == (3, 3, 3)
        clock.advance(days=1)
        assert counts(details(statistics(sh, campaignId=sh_campaign))[0]) == (3, 3, 0)


@pytest.mark.parametrize("campaign_id", ["x", 0, "047"])
def test_a_campaign_id_naming_no_campaign(isales: ISalesClient, campaign_id: object) -> None:
    # campaignId is a String: text naming no campaign is a campaign that does not exist
    refused(statistics(isales, campaignId=campaign_id), CAMPAIGN_NOT_FOUND)


@pytest.mark.sftp
def test_imported_records_are_counted_blocked_ones_as_not_to_call(setup: ImportSetup) -> None:
    with setup.api.rt.db.transaction() as session:
        session.add(
            BlocklistEntry(vdn_id=12, number="13800000003", created_at=setup.api.rt.clock())
        )
    rows: list[list[object]] = [
        ["r1", "13800000001", "", "", "", ""],
        ["r2", "13800000002", "", "", "", ""],
        ["r3", "13800000003", "", "", "", ""],  # blocklisted: stored as blocked
    ]
    task = setup.import_file("calls.xlsx", xlsx(rows))
    assert (task["succNum"], task["blackNum"]) == (2, 1), task
    ok(add_v1(setup.isales, setup.campaign_id, {"sessionId": "j", "called": "13900000001"}))
    [entry] = details(statistics(setup.isales, campaignId=setup.campaign_id))
    assert counts(entry) == (3, 4, 4)
